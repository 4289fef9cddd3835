/* cef.c: ArcSight CEF:0 (rev. 25) records for alerts and flows, and the CEF file/stdout sink. */
#include "misport/cef.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/config.h"
#include "misport/output.h"
#include "misport/textesc.h"
#include "modules.h"

int cef_severity(int alert_severity)
{
	switch (alert_severity) {
	case 1:
		return 8;
	case 2:
		return 5;
	case 3:
		return 3;
	default:
		return 0;
	}
}

/* Returns the value of the first of keys (NULL-terminated) present in a's metadata, or NULL. */
static const char *meta_first(const struct mp_alert *a, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		const char *v = alert_meta_get(a, *keys);

		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

/* A record being built: the text, and where the extension starts (no separator before its first pair). */
struct cefw {
	struct sbuf b;
	size_t ext_start;
};

/* Appends " key=value" with value escaped for the extension; nothing when value is NULL or empty. */
static void ext(struct cefw *w, const char *key, const char *value)
{
	struct sbuf *b = &w->b;

	if (value == NULL || value[0] == '\0')
		return;
	if (b->len > w->ext_start)
		sb_putn(b, " ", 1);
	sb_puts(b, key);
	sb_putn(b, "=", 1);
	sb_cef_ext(b, value);
}

static void ext_u64(struct cefw *b, const char *key, unsigned long long v)
{
	char tmp[24];

	(void)snprintf(tmp, sizeof(tmp), "%llu", v);
	ext(b, key, tmp);
}

/* Appends "csNLabel=label csN=value" when value is set. */
static void ext_cs(struct cefw *b, int n, const char *label, const char *value)
{
	char k[16];

	if (value == NULL || value[0] == '\0')
		return;
	(void)snprintf(k, sizeof(k), "cs%dLabel", n);
	ext(b, k, label);
	(void)snprintf(k, sizeof(k), "cs%d", n);
	ext(b, k, value);
}

/* The flow's Community ID (communityid.h) in ArcSight's flexString1, labelled; nothing when it has none. */
static void ext_community_id(struct cefw *b, const char *community_id)
{
	if (community_id[0] == '\0')
		return;
	ext(b, "flexString1Label", "communityId");
	ext(b, "flexString1", community_id);
}

static void header(struct cefw *w, const char *sig_id, const char *name, int severity)
{
	struct sbuf *b = &w->b;

	sb_puts(b, "CEF:0|");
	sb_cef_header(b, "misport");
	sb_putn(b, "|", 1);
	sb_cef_header(b, "misport");
	sb_putn(b, "|", 1);
	sb_cef_header(b, MISPORT_VERSION);
	sb_putn(b, "|", 1);
	sb_cef_header(b, sig_id);
	sb_putn(b, "|", 1);
	sb_cef_header(b, name);
	sb_printf(b, "|%d|", severity);
	w->ext_start = b->len;
}

/* Endpoints and transport, common to alerts and flows. */
static void endpoints(struct cefw *b, uint8_t family, uint8_t ip_proto, const uint8_t *src, uint16_t sport,
		      const uint8_t *dst, uint16_t dport)
{
	char a[64], p[8];
	bool ports = ip_proto == 6 || ip_proto == 17;

	/* CEF src/dst: IPv4 in rev. 25, IPv4 or IPv6 in later revisions; misport writes both families
	 * here. */
	eve_addr(family, src, a, sizeof(a));
	ext(b, "src", a);
	if (ports)
		ext_u64(b, "spt", sport);
	eve_addr(family, dst, a, sizeof(a));
	ext(b, "dst", a);
	if (ports)
		ext_u64(b, "dpt", dport);
	ext(b, "proto", eve_proto_name(ip_proto, p, sizeof(p)));
}

static void cef_alert(struct cefw *b, const struct mp_alert *a, const char *dvchost)
{
	static const char *const cs1[] = {CEF_CS1_KEYS, NULL}, *const cs2[] = {CEF_CS2_KEYS, NULL},
				 *const cs3[] = {CEF_CS3_KEYS, NULL}, *const cs4[] = {CEF_CS4_KEYS, NULL},
				 *const cs6[] = {CEF_CS6_KEYS, NULL};
	char sid[16], fid[24];
	const char *explanation = meta_first(a, cs3), *observed = meta_first(a, cs4);

	(void)snprintf(sid, sizeof(sid), "%u", a->signature_id);
	header(b, sid, a->signature, cef_severity(a->severity));
	ext_u64(b, "rt", (unsigned long long)(a->ts_us / 1000u));
	endpoints(b, a->family, a->ip_proto, a->src_ip, a->src_port, a->dst_ip, a->dst_port);
	ext(b, "app", a->app_proto);
	ext(b, "act", "alert");
	ext(b, "cat", a->category);
	ext(b, "msg", explanation != NULL ? explanation : a->signature);
	ext(b, "dvchost", dvchost);
	ext_cs(b, 1, "registeredService", meta_first(a, cs1));
	ext_cs(b, 2, "verdict", meta_first(a, cs2));
	ext_cs(b, 3, "explanation", explanation);
	ext_cs(b, 4, "observedProtocol", observed != NULL ? observed : a->app_proto);
	fid[0] = '\0';
	if (a->flow_id != 0)
		(void)snprintf(fid, sizeof(fid), "%llu", (unsigned long long)a->flow_id);
	ext_cs(b, 5, "flowId", fid);
	ext_cs(b, 6, "legacyReason", meta_first(a, cs6));
	ext_community_id(b, a->community_id);
}

static void cef_flow(struct cefw *b, const struct mp_flow_record *f, const char *dvchost)
{
	char fid[24];
	const char *app = f->app_proto[0] != '\0' ? f->app_proto : "Unknown";

	header(b, "flow", "flow", 1);
	ext_u64(b, "rt", (unsigned long long)(f->last_us / 1000u));
	ext_u64(b, "start", (unsigned long long)(f->first_us / 1000u));
	ext_u64(b, "end", (unsigned long long)(f->last_us / 1000u));
	endpoints(b, f->family, f->ip_proto, f->src_ip, f->src_port, f->dst_ip, f->dst_port);
	ext(b, "app", app);
	ext_u64(b, "out", (unsigned long long)f->bytes_toserver);
	ext_u64(b, "in", (unsigned long long)f->bytes_toclient);
	ext(b, "dvchost", dvchost);
	ext_cs(b, 4, "observedProtocol", app);
	(void)snprintf(fid, sizeof(fid), "%llu", (unsigned long long)f->flow_id);
	ext_cs(b, 5, "flowId", fid);
	ext_community_id(b, f->community_id);
}

int cef_format(const struct mp_event *ev, const char *dvchost, char *buf, size_t cap)
{
	struct cefw w;

	sb_init(&w.b, buf, cap);
	w.ext_start = 0;
	switch (ev->type) {
	case MP_EV_ALERT:
		cef_alert(&w, ev->u.alert, dvchost);
		break;
	case MP_EV_FLOW:
		cef_flow(&w, ev->u.flow, dvchost);
		break;
	default:
		return 0;
	}
	if (w.b.overflow)
		return -1;
	return (int)w.b.len;
}

/* The CEF file sink: one CEF record per line, appended to a file, or on stdout ("-"). Options:
 * dvchost=NAME (default: this host's name; "-" for none). */
struct cef_file {
	FILE *fp;
	char *path; /* NULL for stdout */
	char dvchost[256];
	char buf[MP_RECORD_MAX];
};

static int cef_parse_opts(const struct output_opt *opts, size_t nopts, char *dvchost, size_t cap, char *err,
			  size_t errlen)
{
	if (gethostname(dvchost, cap) != 0)
		dvchost[0] = '\0';
	dvchost[cap - 1] = '\0';
	for (size_t i = 0; i < nopts; i++) {
		if (strcmp(opts[i].key, "dvchost") == 0) {
			if (strcmp(opts[i].value, "-") == 0)
				dvchost[0] = '\0';
			else
				(void)snprintf(dvchost, cap, "%s", opts[i].value);
		} else {
			snprintf(err, errlen, "cef: unknown option '%s' (known: dvchost)", opts[i].key);
			return -1;
		}
	}
	return 0;
}

static int cef_check(const char *target, const struct output_opt *opts, size_t nopts, char *err,
		     size_t errlen)
{
	char host[256];

	if (target == NULL || target[0] == '\0') {
		snprintf(err, errlen, "cef: empty target");
		return -1;
	}
	return cef_parse_opts(opts, nopts, host, sizeof(host), err, errlen);
}

static int cef_open_opts(const char *target, const struct output_opt *opts, size_t nopts, void **state,
			 char *err, size_t errlen)
{
	struct cef_file *c;

	if (cef_check(target, opts, nopts, err, errlen) != 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "cef: out of memory");
		return -1;
	}
	(void)cef_parse_opts(opts, nopts, c->dvchost, sizeof(c->dvchost), err, errlen);
	if (strcmp(target, "-") == 0) {
		c->fp = stdout;
	} else {
		c->path = strdup(target);
		c->fp = fopen(target, "a");
		if (c->path == NULL || c->fp == NULL) {
			snprintf(err, errlen, "cef: %s: %s", target, strerror(errno));
			if (c->fp != NULL)
				fclose(c->fp);
			free(c->path);
			free(c);
			return -1;
		}
	}
	*state = c;
	return 0;
}

static int cef_open(const char *target, void **state, char *err, size_t errlen)
{
	return cef_open_opts(target, NULL, 0, state, err, errlen);
}

static int cef_write(void *state, const struct mp_event *ev)
{
	struct cef_file *c = state;
	int n = cef_format(ev, c->dvchost[0] != '\0' ? c->dvchost : NULL, c->buf, sizeof(c->buf) - 1);

	if (n < 0)
		return -1;
	if (n == 0)
		return 0; /* no CEF form (stats) */
	c->buf[n++] = '\n';
	if (fwrite(c->buf, 1, (size_t)n, c->fp) != (size_t)n)
		return -1;
	if (ev->type == MP_EV_ALERT)
		(void)fflush(c->fp);
	return 0;
}

static int cef_reopen(void *state, char *err, size_t errlen)
{
	struct cef_file *c = state;
	FILE *fp;

	if (c->path == NULL)
		return 0;
	fp = fopen(c->path, "a");
	if (fp == NULL) {
		snprintf(err, errlen, "cef: reopen %s: %s", c->path, strerror(errno));
		return -1;
	}
	fclose(c->fp);
	c->fp = fp;
	return 0;
}

static void cef_close(void *state)
{
	struct cef_file *c = state;

	if (c == NULL)
		return;
	if (c->fp != stdout)
		fclose(c->fp);
	else
		(void)fflush(stdout);
	free(c->path);
	free(c);
}

const struct output_module output_cef = {
    .name = "cef",
    .help = "ArcSight CEF lines (alerts; flows if asked) to a file (appended) or '-' for stdout",
    .open = cef_open,
    .write = cef_write,
    .reopen = cef_reopen,
    .close = cef_close,
    .open_opts = cef_open_opts,
    .check = cef_check,
};
