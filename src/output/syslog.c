/* syslog.c: the syslog sink: RFC 5424 messages (EVE JSON or CEF as MSG) over UDP (RFC 5426), TCP with
 * octet-counting framing (RFC 6587 3.4.1) or TLS (RFC 5425), queued with a sender thread (sinkq). */
#include "misport/rfc5424.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "misport/cef.h"
#include "misport/config.h"
#include "misport/netconn.h"
#include "misport/output.h"
#include "misport/sinkq.h"
#include "modules.h"

static const char *const facility_names[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
};

static int parse_small(const char *s, int max, int *out)
{
	int v = 0;

	if (s[0] == '\0' || strlen(s) > 2)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int syslog_facility_parse(const char *s, int *out)
{
	for (int i = 0; i < 24; i++) {
		if (strcasecmp(s, facility_names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return parse_small(s, 23, out);
}

int syslog_severity_parse(const char *s, int *out)
{
	static const struct {
		const char *name;
		int sev;
	} names[] = {
	    {"emerg", 0}, {"emergency", 0},     {"alert", 1},   {"crit", 2}, {"critical", 2},
	    {"err", 3},   {"error", 3},         {"warning", 4}, {"warn", 4}, {"notice", 5},
	    {"info", 6},  {"informational", 6}, {"debug", 7},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].sev;
			return 0;
		}
	}
	return parse_small(s, 7, out);
}

void rfc5424_header(struct sbuf *b, const struct rfc5424_hdr *h)
{
	time_t t = (time_t)(h->time_us / 1000000u);
	struct tm tm;

	sb_printf(b, "<%d>1 ", h->facility * 8 + h->severity);
	if (gmtime_r(&t, &tm) != NULL)
		sb_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ ", tm.tm_year + 1900, tm.tm_mon + 1,
			  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(h->time_us % 1000000u));
	else
		sb_puts(b, "- ");
	sb_syslog_token(b, h->hostname, 255, false);
	sb_putn(b, " ", 1);
	sb_syslog_token(b, h->app_name, 48, false);
	sb_putn(b, " ", 1);
	sb_syslog_token(b, h->procid, 128, false);
	sb_putn(b, " ", 1);
	sb_syslog_token(b, h->msgid, 32, false);
	sb_putn(b, " ", 1);
}

void rfc5424_sd_element(struct sbuf *b, const char *sd_id, const char *const *names,
			const char *const *values, size_t n)
{
	sb_putn(b, "[", 1);
	sb_syslog_token(b, sd_id, 32, true);
	for (size_t i = 0; i < n; i++) {
		if (values[i] == NULL)
			continue;
		sb_putn(b, " ", 1);
		sb_syslog_token(b, names[i], 32, true);
		sb_puts(b, "=\"");
		sb_sd_param(b, values[i]);
		sb_putn(b, "\"", 1);
	}
	sb_putn(b, "]", 1);
}

int rfc6587_prefix(size_t msglen, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%zu ", msglen);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int syslog_event_severity(const struct mp_event *ev, const int alert_map[3], int other)
{
	int s;

	if (ev->type != MP_EV_ALERT)
		return other;
	s = ev->u.alert->severity;
	if (s < 1)
		s = 1;
	if (s > 3)
		s = 3;
	return alert_map[s - 1];
}

/* ---- the sink ------------------------------------------------------------------------------------ */

enum syslog_format { FMT_EVE, FMT_CEF };

/* Largest UDP payload over IPv4. */
#define UDP_MAX_PAYLOAD 65507u

struct syslog_conf {
	struct net_target target;
	enum syslog_format format;
	int facility;
	int alert_sev[3];
	int other_sev;
	char hostname[256];
	char sd_id[33]; /* empty: STRUCTURED-DATA is "-" */
	size_t queue;
};

struct syslog_sink {
	struct syslog_conf conf;
	char procid[16];
	struct netconn *conn; /* owned; used by the sender thread only once the queue runs */
	struct sinkq *q;      /* owned */
	/* Capture-thread scratch: the MSG body and the frame prefix + header. */
	char body[MP_RECORD_MAX];
	char head[1024];
};

/* Parses target and options into conf. Options: format eve|cef, facility, severity (flows, stats),
 * alert-severity S1,S2,S3, hostname, sd-id, queue, tls-ca, tls-cert, tls-key, tls-name, tls-verify. */
static int syslog_parse(const char *target, const struct output_opt *opts, size_t nopts,
			struct syslog_conf *conf, char *err, size_t errlen)
{
	char e[256];

	memset(conf, 0, sizeof(*conf));
	if (net_parse_target(target, NET_ALLOW_INET, &conf->target, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "syslog: %s", e);
		return -1;
	}
	conf->format = FMT_EVE;
	conf->facility = 21; /* local5 */
	conf->alert_sev[0] = SYSLOG_ALERT_SEV_1;
	conf->alert_sev[1] = SYSLOG_ALERT_SEV_2;
	conf->alert_sev[2] = SYSLOG_ALERT_SEV_3;
	conf->other_sev = SYSLOG_OTHER_SEV;
	if (gethostname(conf->hostname, sizeof(conf->hostname)) != 0)
		conf->hostname[0] = '\0';
	conf->hostname[sizeof(conf->hostname) - 1] = '\0';
	for (size_t i = 0; i < nopts; i++) {
		const char *k = opts[i].key, *v = opts[i].value;
		int rc;

		if (strcmp(k, "format") == 0) {
			if (strcmp(v, "eve") == 0)
				conf->format = FMT_EVE;
			else if (strcmp(v, "cef") == 0)
				conf->format = FMT_CEF;
			else
				goto bad;
		} else if (strcmp(k, "facility") == 0) {
			if (syslog_facility_parse(v, &conf->facility) != 0)
				goto bad;
		} else if (strcmp(k, "severity") == 0) {
			if (syslog_severity_parse(v, &conf->other_sev) != 0)
				goto bad;
		} else if (strcmp(k, "alert-severity") == 0) {
			char tmp[64];
			char *p = tmp, *comma;

			if (strlen(v) >= sizeof(tmp))
				goto bad;
			memcpy(tmp, v, strlen(v) + 1);
			for (int s = 0; s < 3; s++) {
				comma = strchr(p, ',');
				if ((comma == NULL) != (s == 2))
					goto bad;
				if (comma != NULL)
					*comma = '\0';
				while (*p == ' ' || *p == '\t')
					p++;
				for (char *end = p + strlen(p);
				     end > p && (end[-1] == ' ' || end[-1] == '\t');)
					*--end = '\0';
				if (syslog_severity_parse(p, &conf->alert_sev[s]) != 0)
					goto bad;
				p = comma != NULL ? comma + 1 : p;
			}
		} else if (strcmp(k, "hostname") == 0) {
			if (v[0] == '\0' || strlen(v) > 255)
				goto bad;
			memcpy(conf->hostname, v, strlen(v) + 1);
		} else if (strcmp(k, "sd-id") == 0) {
			if (strlen(v) > 32 || strchr(v, '@') == NULL)
				goto bad;
			memcpy(conf->sd_id, v, strlen(v) + 1);
		} else if ((rc = net_queue_option(k, v, &conf->queue, e, sizeof(e))) != 0 ||
			   (rc = net_tls_option(&conf->target, k, v, e, sizeof(e))) != 0) {
			if (rc < 0) {
				snprintf(err, errlen, "syslog: %s", e);
				return -1;
			}
		} else {
			snprintf(err, errlen,
				 "syslog: unknown option '%s' (known: format facility severity "
				 "alert-severity hostname "
				 "sd-id queue tls-ca tls-cert tls-key tls-name tls-verify)",
				 k);
			return -1;
		}
		continue;
	bad:
		snprintf(err, errlen, "syslog: %s: bad value '%s'%s", k, v,
			 strcmp(k, "sd-id") == 0 ? " (NAME@ENTERPRISE-NUMBER, at most 32 characters)"
			 : strcmp(k, "alert-severity") == 0 ? " (three severities: for alert severity 1,2,3)"
							    : "");
		return -1;
	}
	if (conf->target.kind != NET_TLS) {
		for (size_t i = 0; i < nopts; i++) {
			if (strncmp(opts[i].key, "tls-", 4) == 0) {
				snprintf(err, errlen, "syslog: %s applies to tls:// targets only",
					 opts[i].key);
				return -1;
			}
		}
	}
	return 0;
}

static int syslog_check(const char *target, const struct output_opt *opts, size_t nopts, char *err,
			size_t errlen)
{
	struct syslog_conf *conf = malloc(sizeof(*conf));
	int rc;

	if (conf == NULL) {
		snprintf(err, errlen, "syslog: out of memory");
		return -1;
	}
	rc = syslog_parse(target, opts, nopts, conf, err, errlen);
	free(conf);
	return rc;
}

static void syslog_close(void *state);

static int syslog_open_opts(const char *target, const struct output_opt *opts, size_t nopts, void **state,
			    char *err, size_t errlen)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	struct sinkq_config qc;
	char e[256], name[300];

	if (s == NULL) {
		snprintf(err, errlen, "syslog: out of memory");
		return -1;
	}
	if (syslog_parse(target, opts, nopts, &s->conf, err, errlen) != 0)
		goto fail;
	(void)snprintf(s->procid, sizeof(s->procid), "%ld", (long)getpid());
	if (netconn_new(&s->conf.target, &s->conn, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "syslog: %s: %s", target, e);
		goto fail;
	}
	memset(&qc, 0, sizeof(qc));
	(void)snprintf(name, sizeof(name), "syslog %s", target);
	qc.name = name;
	qc.max_records = s->conf.queue;
	if (sinkq_new(&qc, &netconn_sinkq_ops, s->conn, &s->q, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "syslog: %s", e);
		goto fail;
	}
	*state = s;
	return 0;
fail:
	syslog_close(s);
	return -1;
}

static int syslog_open(const char *target, void **state, char *err, size_t errlen)
{
	return syslog_open_opts(target, NULL, 0, state, err, errlen);
}

static int syslog_write(void *state, const struct mp_event *ev)
{
	static const char *const sd_names[] = {"sid", "severity", "verdict", "flow_id"};
	struct syslog_sink *s = state;
	struct rfc5424_hdr h;
	struct sbuf hb;
	struct timeval tv;
	char prefix[24];
	int blen, plen;
	size_t total;

	if (s->conf.format == FMT_CEF)
		blen = cef_format(ev, s->conf.hostname, s->body, sizeof(s->body));
	else
		blen = eve_format(ev, s->body, sizeof(s->body));
	if (blen < 0)
		return -1;
	if (blen == 0)
		return 0; /* no form in this format (stats as CEF) */
	gettimeofday(&tv, NULL);
	memset(&h, 0, sizeof(h));
	h.facility = s->conf.facility;
	h.severity = syslog_event_severity(ev, s->conf.alert_sev, s->conf.other_sev);
	h.time_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	h.hostname = s->conf.hostname;
	h.app_name = "misport";
	h.procid = s->procid;
	h.msgid = ev->type == MP_EV_ALERT ? "alert" : ev->type == MP_EV_FLOW ? "flow" : "stats";
	sb_init(&hb, s->head, sizeof(s->head));
	rfc5424_header(&hb, &h);
	if (s->conf.sd_id[0] != '\0' && ev->type == MP_EV_ALERT) {
		const struct mp_alert *a = ev->u.alert;
		char sid[16], sev[8], fid[24];
		const char *values[4];

		(void)snprintf(sid, sizeof(sid), "%u", a->signature_id);
		(void)snprintf(sev, sizeof(sev), "%d", a->severity);
		(void)snprintf(fid, sizeof(fid), "%llu", (unsigned long long)a->flow_id);
		values[0] = sid;
		values[1] = sev;
		values[2] = alert_meta_get(a, "verdict");
		values[3] = a->flow_id != 0 ? fid : NULL;
		rfc5424_sd_element(&hb, s->conf.sd_id, sd_names, values, 4);
	} else {
		sb_putn(&hb, "-", 1);
	}
	sb_putn(&hb, " ", 1);
	if (hb.overflow)
		return -1;
	total = hb.len + (size_t)blen;
	if (s->conf.target.kind == NET_UDP) {
		if (total > UDP_MAX_PAYLOAD)
			return -1;
		return sinkq_push2(s->q, s->head, hb.len, s->body, (size_t)blen);
	}
	/* Octet counting: "LEN SP" + header + MSG, with no trailer. The prefix is put before the header by
	 * moving the header up (both are short). */
	plen = rfc6587_prefix(total, prefix, sizeof(prefix));
	if (plen < 0 || hb.len + (size_t)plen >= sizeof(s->head))
		return -1;
	memmove(s->head + plen, s->head, hb.len);
	memcpy(s->head, prefix, (size_t)plen);
	return sinkq_push2(s->q, s->head, hb.len + (size_t)plen, s->body, (size_t)blen);
}

static void syslog_flush(void *state, uint64_t deadline_ms)
{
	struct syslog_sink *s = state;

	sinkq_stop(s->q, deadline_ms);
}

static void syslog_stats(void *state, struct output_sink_stats *st)
{
	sinkq_output_stats(((struct syslog_sink *)state)->q, st);
}

static void syslog_close(void *state)
{
	struct syslog_sink *s = state;

	if (s == NULL)
		return;
	sinkq_free(s->q); /* stops the thread before its connection goes */
	netconn_free(s->conn);
	free(s);
}

const struct output_module output_syslog = {
    .name = "syslog",
    .help = "RFC 5424 syslog (EVE JSON or CEF as MSG) to udp://, tcp:// (octet counting) or tls:// HOST:PORT",
    .open = syslog_open,
    .write = syslog_write,
    .reopen = NULL,
    .close = syslog_close,
    .open_opts = syslog_open_opts,
    .check = syslog_check,
    .flush = syslog_flush,
    .stats = syslog_stats,
};
