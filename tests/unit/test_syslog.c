/* test_syslog.c: RFC 5424 header and STRUCTURED-DATA escaping, RFC 6587 octet-counting framing, and the
 * syslog sink end to end over loopback TCP and UDP, checked with a parser written here from the RFCs. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "misport/output.h"
#include "misport/rfc5424.h"
#include "misport/textesc.h"

/* ---- an independent RFC 5424 parser -------------------------------------------------------------- */

struct msg5424 {
	int pri, version;
	char ts[64], host[256], app[64], procid[160], msgid[64];
	char sd_id[64];
	size_t n_params;
	char pname[8][64], pvalue[8][1024];
	bool sd_nil;
	const char *msg; /* into the parsed text */
};

/* Reads a header token up to the next SP; returns the pointer after the SP or NULL. */
static const char *token(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	while (*s != ' ' && *s != '\0') {
		if (*s < 33 || *s > 126 || n + 1 >= cap)
			return NULL;
		out[n++] = *s++;
	}
	out[n] = '\0';
	return *s == ' ' && n > 0 ? s + 1 : NULL;
}

static int parse5424(const char *s, struct msg5424 *m)
{
	char tmp[16];

	memset(m, 0, sizeof(*m));
	if (sscanf(s, "<%d>%d ", &m->pri, &m->version) != 2 || m->pri < 0 || m->pri > 191)
		return -1;
	s = strchr(s, ' ') + 1;
	if ((s = token(s, m->ts, sizeof(m->ts))) == NULL ||
	    (s = token(s, m->host, sizeof(m->host))) == NULL ||
	    (s = token(s, m->app, sizeof(m->app))) == NULL ||
	    (s = token(s, m->procid, sizeof(m->procid))) == NULL ||
	    (s = token(s, m->msgid, sizeof(m->msgid))) == NULL)
		return -1;
	(void)tmp;
	if (*s == '-') {
		m->sd_nil = true;
		s++;
	} else if (*s == '[') {
		size_t n = 0;

		s++;
		while (*s != ' ' && *s != ']' && n + 1 < sizeof(m->sd_id))
			m->sd_id[n++] = *s++;
		while (*s == ' ') {
			size_t k = 0, o = 0;

			s++;
			if (m->n_params >= 8)
				return -1;
			while (*s != '=' && *s != '\0' && k + 1 < sizeof(m->pname[0]))
				m->pname[m->n_params][k++] = *s++;
			if (s[0] != '=' || s[1] != '"')
				return -1;
			s += 2;
			for (;;) {
				if (*s == '\0')
					return -1;
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == ']')) {
					m->pvalue[m->n_params][o++] = s[1];
					s += 2;
					continue;
				}
				if (*s == '"' || *s == ']')
					break; /* an unescaped '"' ends the value, a bare ']' is an error */
				m->pvalue[m->n_params][o++] = *s++;
				if (o + 1 >= sizeof(m->pvalue[0]))
					return -1;
			}
			if (*s != '"')
				return -1;
			s++;
			m->n_params++;
		}
		if (*s != ']')
			return -1;
		s++;
	} else {
		return -1;
	}
	if (*s == ' ')
		s++;
	else if (*s != '\0')
		return -1;
	m->msg = s;
	return 0;
}

/* ---- pieces ------------------------------------------------------------------------------------------ */

Test(syslog, facility_and_severity_names)
{
	int v;

	cr_assert_eq(syslog_facility_parse("local5", &v), 0);
	cr_assert_eq(v, 21);
	cr_assert_eq(syslog_facility_parse("LOCAL0", &v), 0);
	cr_assert_eq(v, 16);
	cr_assert_eq(syslog_facility_parse("daemon", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(syslog_facility_parse("23", &v), 0);
	cr_assert_eq(v, 23);
	cr_assert_eq(syslog_facility_parse("24", &v), -1);
	cr_assert_eq(syslog_facility_parse("local8", &v), -1);
	cr_assert_eq(syslog_facility_parse("", &v), -1);
	cr_assert_eq(syslog_severity_parse("warning", &v), 0);
	cr_assert_eq(v, 4);
	cr_assert_eq(syslog_severity_parse("err", &v), 0);
	cr_assert_eq(v, 3);
	cr_assert_eq(syslog_severity_parse("7", &v), 0);
	cr_assert_eq(v, 7);
	cr_assert_eq(syslog_severity_parse("8", &v), -1);
	cr_assert_eq(syslog_severity_parse("-1", &v), -1);
}

Test(syslog, alert_severity_maps_to_syslog_severity)
{
	static const int map[3] = {SYSLOG_ALERT_SEV_1, SYSLOG_ALERT_SEV_2, SYSLOG_ALERT_SEV_3};
	struct mp_alert a;
	struct mp_flow_record f;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};

	memset(&a, 0, sizeof(a));
	a.severity = 1;
	cr_assert_eq(syslog_event_severity(&ev, map, 6), 3);
	a.severity = 2;
	cr_assert_eq(syslog_event_severity(&ev, map, 6), 4);
	a.severity = 3;
	cr_assert_eq(syslog_event_severity(&ev, map, 6), 5);
	a.severity = 7;
	cr_assert_eq(syslog_event_severity(&ev, map, 6), 5, "clamped");
	memset(&f, 0, sizeof(f));
	ev.type = MP_EV_FLOW;
	ev.u.flow = &f;
	cr_assert_eq(syslog_event_severity(&ev, map, 6), 6);
}

Test(syslog, header_fields)
{
	char buf[512];
	struct sbuf b;
	struct rfc5424_hdr h = {.facility = 21,
				.severity = 3,
				.time_us = 1700000000123456ull,
				.hostname = "sensor one",
				.app_name = "misport",
				.procid = "4242",
				.msgid = "alert"};
	struct msg5424 m;

	sb_init(&b, buf, sizeof(buf));
	rfc5424_header(&b, &h);
	sb_puts(&b, "- {\"x\":1}");
	cr_assert_not(b.overflow);
	cr_assert_eq(parse5424(buf, &m), 0, "%s", buf);
	cr_assert_eq(m.pri, 21 * 8 + 3);
	cr_assert_eq(m.version, 1);
	cr_assert_str_eq(m.ts, "2023-11-14T22:13:20.123456Z");
	cr_assert_str_eq(m.host, "sensor_one", "a blank is not PRINTUSASCII");
	cr_assert_str_eq(m.app, "misport");
	cr_assert_str_eq(m.procid, "4242");
	cr_assert_str_eq(m.msgid, "alert");
	cr_assert(m.sd_nil);
	cr_assert_str_eq(m.msg, "{\"x\":1}");
	h.hostname = NULL;
	sb_init(&b, buf, sizeof(buf));
	rfc5424_header(&b, &h);
	cr_assert_not_null(strstr(buf, "Z - misport"), "missing HOSTNAME is the NILVALUE: %s", buf);
}

Test(syslog, sd_param_values_are_escaped)
{
	static const char *const hostile[] = {"plain", "quote\"in", "back\\slash",   "close]bracket",
					      "\"]\\", "end\\",     "utf8 \xc3\xa9", "bad \xff byte"};
	static const char *const names[] = {"v"};
	struct msg5424 m;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char buf[512];
		struct sbuf b;
		const char *values[1] = {hostile[i]};
		struct rfc5424_hdr h = {.facility = 1,
					.severity = 5,
					.time_us = 0,
					.hostname = "h",
					.app_name = "misport",
					.procid = "1",
					.msgid = "alert"};

		sb_init(&b, buf, sizeof(buf));
		rfc5424_header(&b, &h);
		rfc5424_sd_element(&b, "misport@32473", names, values, 1);
		sb_puts(&b, " msg");
		cr_assert_eq(parse5424(buf, &m), 0, "value %zu: %s", i, buf);
		cr_assert_str_eq(m.sd_id, "misport@32473");
		cr_assert_eq(m.n_params, 1);
		cr_assert_str_eq(m.pname[0], "v");
		if (i == 7)
			cr_assert_str_eq(m.pvalue[0], "bad \xef\xbf\xbd byte", "invalid UTF-8 is replaced");
		else
			cr_assert_str_eq(m.pvalue[0], hostile[i], "value %zu: %s", i, buf);
		cr_assert_str_eq(m.msg, "msg");
	}
}

Test(syslog, octet_counting_prefix)
{
	char p[8];

	cr_assert_eq(rfc6587_prefix(0, p, sizeof(p)), 2);
	cr_assert_str_eq(p, "0 ");
	cr_assert_eq(rfc6587_prefix(12345, p, sizeof(p)), 6);
	cr_assert_str_eq(p, "12345 ");
	cr_assert_eq(rfc6587_prefix(1234567, p, sizeof(p)), -1, "does not fit");
}

/* ---- the sink over loopback -------------------------------------------------------------------------- */

static void alert_with(struct mp_alert *a, int i, const char *verdict)
{
	memset(a, 0, sizeof(*a));
	a->ts_us = 1700000000000000ull + (uint64_t)i;
	a->flow_id = (uint64_t)i + 1;
	a->family = 4;
	a->ip_proto = 6;
	inet_pton(AF_INET, "10.1.2.3", a->src_ip);
	inet_pton(AF_INET, "10.3.2.1", a->dst_ip);
	a->src_port = 1234;
	a->dst_port = 3098;
	a->signature_id = 1000;
	a->severity = 1 + i % 3;
	snprintf(a->signature, sizeof(a->signature), "event %d", i);
	snprintf(a->category, sizeof(a->category), "Potentially Bad Traffic");
	alert_meta_add(a, "verdict", verdict);
}

static int listen_on(int type, int *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, type, 0);

	cr_assert_geq(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

Test(syslog, tcp_octet_counted_frames_carry_every_event)
{
	enum { N = 200 };
	static const char *const verdicts[] = {"port-mismatch", "a]b\"c\\d", "line\nbreak"};
	struct outputs *o = outputs_new();
	struct output_opt opts[] = {{"sd-id", "misport@32473"}, {"facility", "local3"}};
	char err[256], target[64], *data = malloc(1 << 22);
	size_t len = 0, frames = 0;
	int lfd, port, cfd;
	struct output_sink_stats st;

	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(SOCK_STREAM, &port);
	snprintf(target, sizeof(target), "tcp://127.0.0.1:%d", port);
	cr_assert_eq(outputs_add_opts(o, "syslog", target, opts, 2, MP_EVMASK_ALL, err, sizeof(err)), 0, "%s",
		     err);
	for (int i = 0; i < N; i++) {
		struct mp_alert a;
		struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};

		alert_with(&a, i, verdicts[i % 3]);
		outputs_emit(o, &ev);
	}
	cfd = accept(lfd, NULL, NULL);
	cr_assert_geq(cfd, 0);
	/* Read until N whole frames are in (the sender is still running), then flush and stop it. */
	for (;;) {
		struct pollfd p = {.fd = cfd, .events = POLLIN};
		size_t off = 0, complete = 0;
		ssize_t n;

		while (off < len) {
			char *end;
			unsigned long mlen = strtoul(data + off, &end, 10);

			if (end >= data + len || (size_t)(end + 1 - data) + mlen > len)
				break;
			off = (size_t)(end + 1 - data) + mlen;
			complete++;
		}
		if (complete >= N)
			break;
		cr_assert_gt(poll(&p, 1, 5000), 0, "timed out with %zu frames", complete);
		n = recv(cfd, data + len, (1 << 22) - len, 0);
		cr_assert_gt(n, 0);
		len += (size_t)n;
	}
	outputs_flush(o);
	cr_assert_eq(outputs_sink_stats(o, 0, &st), 0);
	cr_assert(st.queued);
	cr_assert_eq(st.sent, N);
	cr_assert_eq(st.dropped, 0);
	/* Frames: MSG-LEN SP MSG, back to back. */
	for (size_t off = 0; off < len; frames++) {
		struct msg5424 m;
		char *end, *msg;
		unsigned long mlen = strtoul(data + off, &end, 10);
		char want[32];

		cr_assert_eq(*end, ' ', "frame %zu: no MSG-LEN", frames);
		cr_assert_leq((size_t)(end + 1 - data) + mlen, len);
		msg = strndup(end + 1, mlen);
		cr_assert_eq(parse5424(msg, &m), 0, "frame %zu: %s", frames, msg);
		cr_assert_eq(m.pri, 19 * 8 + (frames % 3 == 0 ? 3 : frames % 3 == 1 ? 4 : 5));
		cr_assert_str_eq(m.app, "misport");
		cr_assert_str_eq(m.msgid, "alert");
		cr_assert_str_eq(m.sd_id, "misport@32473");
		cr_assert_str_eq(m.pvalue[2], frames % 3 == 2 ? "line break" : verdicts[frames % 3],
				 "frame %zu", frames);
		snprintf(want, sizeof(want), "\"signature\":\"event %zu\"", frames);
		cr_assert_not_null(strstr(m.msg, want), "frame %zu in order: %s", frames, m.msg);
		cr_assert_eq(m.msg[0], '{');
		free(msg);
		off = (size_t)(end + 1 - data) + mlen;
	}
	cr_assert_eq(frames, N);
	outputs_free(o);
	close(cfd);
	close(lfd);
	free(data);
}

Test(syslog, udp_one_message_per_datagram_and_cef)
{
	enum { N = 20 };
	struct outputs *o = outputs_new();
	struct output_opt opts[] = {{"format", "cef"}, {"hostname", "h1"}};
	char err[256], target[64], buf[70000];
	int fd, port, got = 0;

	fd = listen_on(SOCK_DGRAM, &port);
	snprintf(target, sizeof(target), "udp://127.0.0.1:%d", port);
	cr_assert_eq(outputs_add_opts(o, "syslog", target, opts, 2, MP_EVMASK_ALERT, err, sizeof(err)), 0,
		     "%s", err);
	for (int i = 0; i < N; i++) {
		struct mp_alert a;
		struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};

		alert_with(&a, i, "v|=\\");
		outputs_emit(o, &ev);
	}
	outputs_flush(o);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct msg5424 m;
		ssize_t n;

		if (poll(&p, 1, 500) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		cr_assert_gt(n, 0);
		buf[n] = '\0';
		cr_assert_eq(parse5424(buf, &m), 0, "%s", buf);
		cr_assert_str_eq(m.host, "h1");
		cr_assert(m.sd_nil);
		cr_assert_eq(strncmp(m.msg, "CEF:0|misport|misport|", 22), 0, "%s", m.msg);
		cr_assert_not_null(strstr(m.msg, "cs2=v|\\=\\\\"), "%s", m.msg);
		got++;
	}
	cr_assert_eq(got, N);
	outputs_free(o);
	close(fd);
}

Test(syslog, bad_targets_and_options_are_refused)
{
	char err[256];
	struct output_opt bad_fmt[] = {{"format", "xml"}};
	struct output_opt tls_on_tcp[] = {{"tls-ca", "/x"}};
	struct output_opt bad_sev[] = {{"alert-severity", "err,warning"}};
	struct output_opt good[] = {
	    {"alert-severity", "crit,err,info"}, {"severity", "debug"}, {"queue", "10"}};

	cr_assert_eq(output_check("syslog", "tcp://host", NULL, 0, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "tcp://host:0", NULL, 0, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "tcp://host:65536", NULL, 0, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "http://host:514", NULL, 0, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "unix:/dev/log", NULL, 0, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "tcp://[::1]:514", NULL, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(output_check("syslog", "udp://h:514", bad_fmt, 1, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "tcp://h:514", tls_on_tcp, 1, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "tls://h:6514", tls_on_tcp, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(output_check("syslog", "tcp://h:514", bad_sev, 1, err, sizeof(err)), -1);
	cr_assert_eq(output_check("syslog", "tcp://h:514", good, 3, err, sizeof(err)), 0, "%s", err);
}
