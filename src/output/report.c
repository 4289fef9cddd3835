/* report.c: the "report" output sink: folds alerts, flow records and stats into bounded tables and writes one
 * self-contained HTML page (inline CSS and SVG, no script, no external resource) when it is closed. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "misport/config.h"
#include "misport/json.h"
#include "misport/log.h"
#include "misport/output.h"
#include "misport/textesc.h"
#include "modules.h"

#ifndef MISPORT_VERSION
#define MISPORT_VERSION "unknown"
#endif

_Static_assert(MP_REPORT_MAX_VERDICTS >= 9 && MP_REPORT_MAX_VERDICTS <= 32,
	       "verdicts are a 32-bit mask per row");
_Static_assert(MP_REPORT_MAX_PORTS >= 1 && MP_REPORT_MAX_PORTS < 65535, "port rows are indexed by uint16_t");
_Static_assert(MP_REPORT_TIME_BUCKETS >= 4, "the chart needs a few bars");
_Static_assert(MP_REPORT_SCAN_RANGES >= 2, "ranges merge pairwise");

/* ---- text: HTML escaping, bounded copies, numbers, times ----------------------------------------------- */

static const char utf8_replacement[] = "\xef\xbf\xbd";

/* Escapes the character at s[0..n) (n >= 1): sets *out and *outlen to its HTML form (a literal, or s itself)
 * and returns the number of input bytes it covers. */
static size_t html_unit(const char *s, size_t n, const char **out, size_t *outlen)
{
	unsigned char c = (unsigned char)s[0];
	size_t k;

	switch (c) {
	case '&':
		*out = "&amp;";
		*outlen = 5;
		return 1;
	case '<':
		*out = "&lt;";
		*outlen = 4;
		return 1;
	case '>':
		*out = "&gt;";
		*outlen = 4;
		return 1;
	case '"':
		*out = "&quot;";
		*outlen = 6;
		return 1;
	case '\'':
		*out = "&#39;";
		*outlen = 5;
		return 1;
	case '\t':
	case '\n':
	case '\r':
		*out = s;
		*outlen = 1;
		return 1;
	default:
		break;
	}
	if (c < 0x20 || c == 0x7f) {
		*out = utf8_replacement;
		*outlen = 3;
		return 1;
	}
	k = utf8_seq_len((const unsigned char *)s, n);
	if (k == 0) {
		*out = utf8_replacement;
		*outlen = 3;
		return 1;
	}
	if (k == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0) { /* C1 control, U+0080..U+009F */
		*out = utf8_replacement;
		*outlen = 3;
		return 2;
	}
	*out = s;
	*outlen = k;
	return k;
}

void report_html_escape(struct sbuf *b, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n && !b->overflow) {
		const char *u;
		size_t ulen;

		i += html_unit(s + i, n - i, &u, &ulen);
		sb_putn(b, u, ulen);
	}
}

/* Writes s escaped (as report_html_escape) to fp. */
static void put_esc(FILE *fp, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		const char *u;
		size_t ulen;

		i += html_unit(s + i, n - i, &u, &ulen);
		(void)fwrite(u, 1, ulen, fp);
	}
}

static void put(FILE *fp, const char *s)
{
	(void)fputs(s, fp);
}

static void putf(FILE *fp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(FILE *fp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfprintf(fp, fmt, ap);
	va_end(ap);
}

/* Copies src into dst (cap >= 1 bytes); a longer src is cut before the character that does not fit. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Appends ", " and src to dst (cap bytes) when both fit whole; returns false otherwise (dst unchanged). */
static bool append_item(char *dst, size_t cap, const char *src)
{
	size_t len = strlen(dst), add = strlen(src) + (len > 0 ? 2 : 0);

	if (len + add >= cap)
		return false;
	if (len > 0) {
		memcpy(dst + len, ", ", 2);
		len += 2;
	}
	memcpy(dst + len, src, strlen(src) + 1);
	return true;
}

/* True for "" and "-" (how alerts spell "no registered service"). */
static bool is_blank(const char *s)
{
	return s[0] == '\0' || strcmp(s, "-") == 0;
}

/* Parses a plain decimal number (digits only) into *out; false when s is NULL, empty, not digits or too
 * big. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* The time of day in a fmt_time result ("10:00:00"), or the whole text when it has no date. */
static const char *time_part(const char *t)
{
	return strlen(t) > 11 ? t + 11 : t;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Formats a capture time as "2024-05-01 10:00:00" (UTC); with_ms adds ".123". */
static void fmt_time(uint64_t ts_us, bool with_ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ts_us / 1000000u);
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL) {
		(void)snprintf(buf, cap, "?");
		return;
	}
	if (with_ms)
		n = snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d.%03u", tm.tm_year + 1900, tm.tm_mon + 1,
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     (unsigned)(ts_us % 1000000u / 1000u));
	else
		n = snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= cap)
		(void)snprintf(buf, cap, "?");
}

/* Formats a duration in microseconds for people: "850 ms", "12.5 s", "5 min 3 s", "2 h 10 min", "3 d 4 h". */
static void fmt_duration(uint64_t us, char *buf, size_t cap)
{
	uint64_t s = us / 1000000u;
	int n;

	if (us < 1000000u)
		n = snprintf(buf, cap, "%" PRIu64 " ms", us / 1000u);
	else if (s < 60)
		n = snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 " s", s, us % 1000000u / 100000u);
	else if (s < 3600)
		n = snprintf(buf, cap, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else if (s < 86400)
		n = snprintf(buf, cap, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
	else
		n = snprintf(buf, cap, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s % 86400 / 3600);
	if (n < 0 || (size_t)n >= cap)
		(void)snprintf(buf, cap, "?");
}

/* Formats a byte count with a decimal unit: "812 B", "1.5 kB", "12.0 MB". */
static void fmt_bytes(uint64_t v, char *buf, size_t cap)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double d = (double)v;
	size_t u = 0;
	int n;

	while (d >= 1000.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		d /= 1000.0;
		u++;
	}
	if (u == 0)
		n = snprintf(buf, cap, "%" PRIu64 " B", v);
	else
		n = snprintf(buf, cap, "%.1f %s", d, unit[u]);
	if (n < 0 || (size_t)n >= cap)
		(void)snprintf(buf, cap, "?");
}

/* ---- port lists of scan alerts ------------------------------------------------------------------------- */

static bool is_list_sep(char c)
{
	return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads a decimal number no larger than 65535 at t[*i..n); advances *i past it. */
static bool parse_port_num(const char *t, size_t n, size_t *i, uint32_t *v)
{
	size_t start = *i;
	uint32_t x = 0;

	while (*i < n && t[*i] >= '0' && t[*i] <= '9') {
		x = x * 10 + (uint32_t)(t[*i] - '0');
		if (x > 65535u)
			return false;
		(*i)++;
	}
	if (*i == start)
		return false;
	*v = x;
	return true;
}

/* Returns the lane named by the n bytes at s ("tcp", "udp", any case), or -1. */
static int lane_named(const char *s, size_t n)
{
	if (n == 3 && strncasecmp(s, "tcp", 3) == 0)
		return REPORT_LANE_TCP;
	if (n == 3 && strncasecmp(s, "udp", 3) == 0)
		return REPORT_LANE_UDP;
	return -1;
}

/* Parses one token "N", "LO-HI", either with "/tcp" (or ":udp") after it or "tcp/" before it. */
static bool parse_port_token(const char *t, size_t n, enum report_lane def, struct report_port_range *r)
{
	size_t i = 0;
	uint32_t lo, hi;
	int lane = (int)def, l;

	if (n > 4 && (t[3] == '/' || t[3] == ':') && (l = lane_named(t, 3)) >= 0) {
		lane = l;
		i = 4;
	}
	if (!parse_port_num(t, n, &i, &lo))
		return false;
	hi = lo;
	if (i < n && t[i] == '-') {
		i++;
		if (!parse_port_num(t, n, &i, &hi))
			return false;
	}
	if (i < n && (t[i] == '/' || t[i] == ':')) {
		l = lane_named(t + i + 1, n - i - 1);
		if (l < 0)
			return false;
		lane = l;
		i = n;
	}
	if (i != n || lo > hi)
		return false;
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	r->lane = (uint8_t)lane;
	return true;
}

size_t report_parse_ports(const char *s, enum report_lane default_lane, struct report_port_range *out,
			  size_t cap, size_t *skipped)
{
	size_t len = strlen(s), i = 0, n = 0, bad = 0;

	while (i < len) {
		struct report_port_range r;
		size_t start;

		while (i < len && is_list_sep(s[i]))
			i++;
		start = i;
		while (i < len && !is_list_sep(s[i]))
			i++;
		if (i == start)
			break;
		if (n < cap && parse_port_token(s + start, i - start, default_lane, &r))
			out[n++] = r;
		else
			bad++;
	}
	if (skipped != NULL)
		*skipped = bad;
	return n;
}

/* ---- the aggregates ------------------------------------------------------------------------------------ */

/* A set of disjoint, sorted, non-adjacent port ranges of one lane; one spare slot for the insert. */
struct rp_rset {
	uint32_t n;
	/* two ranges were joined to stay within the cap: the set covers more than was reported */
	bool merged;
	struct {
		uint16_t lo, hi;
	} r[MP_REPORT_SCAN_RANGES + 1];
};

struct rp_verdict {
	char name[32];
	uint64_t alerts;     /* alert events (closing records excluded) */
	uint64_t suppressed; /* repeats reported by suppression closing records */
	uint64_t flows;      /* flow records with this verdict */
};

struct rp_proto {
	char name[48];
	uint64_t flows, alerts;
};

/* One row of the port table: a server port and transport. */
struct rp_port {
	uint16_t port;
	uint8_t ip_proto;
	int severity;      /* most serious (lowest) of its alerts and flows, 0 when none */
	uint32_t verdicts; /* bit i: verdict i was seen */
	char service[48];
	char description[128];
	char signature[160];             /* of its first alert */
	char note[MP_REPORT_META_VALUE]; /* the first explanation or legacy_reason */
	uint64_t alerts, suppressed, flows, bytes;
	uint32_t nproto;
	struct rp_proto proto[MP_REPORT_PORT_PROTOS];
	uint64_t other_flows, other_alerts; /* protocols beyond MP_REPORT_PORT_PROTOS */
};

struct rp_meta {
	char key[MP_ALERT_META_KEY];
	char value[MP_REPORT_META_VALUE];
	bool this_alert; /* set while one alert is folded in: repeated keys of that alert are joined */
};

/* One scanning source, over all its scan alerts. */
struct rp_scanner {
	uint8_t family;
	uint8_t ip[16];
	uint8_t target[16]; /* destination of its latest alert that had one */
	bool have_target;
	uint64_t first_us, last_us, alerts;
	int severity;
	char types[128];     /* distinct scan_type values, ", "-separated */
	char signature[256]; /* of the latest alert */
	uint32_t nmeta;
	uint64_t meta_dropped;
	struct rp_meta meta[MP_REPORT_SCAN_META];
	struct rp_rset probed[REPORT_LANES], open[REPORT_LANES];
	uint64_t tokens_skipped; /* port-list tokens that did not parse */
};

/* One (client, server, server port, transport, protocol) key of the top talkers (space-saving summary). */
struct rp_talker {
	uint8_t family, ip_proto;
	uint16_t port;
	uint8_t client[16], server[16];
	char proto[48];
	uint32_t verdict; /* verdict index of its first flow */
	uint32_t hash;
	uint32_t heap_pos; /* position in the min-heap by bytes */
	uint64_t bytes, flows;
	uint64_t err; /* bytes inherited from the replaced key: bytes - err <= true bytes <= bytes */
};

/* Alerts per bar and verdict; bars are `width` microseconds, aligned to multiples of width since the
 * epoch. */
struct rp_chart {
	bool used;
	uint64_t width;
	uint64_t lo, hi; /* bar numbers (time / width) of the first and the last bar */
	uint64_t count[MP_REPORT_TIME_BUCKETS][MP_REPORT_MAX_VERDICTS];
	uint64_t scratch[MP_REPORT_TIME_BUCKETS][MP_REPORT_MAX_VERDICTS];
};

struct report {
	FILE *fp;
	bool to_stdout;

	bool have_span;
	uint64_t first_us, last_us;
	uint64_t alerts, closing_records, suppressed, flows;
	bool have_stats;
	struct mp_stats_record stats; /* the last one */

	uint32_t nverdicts;
	struct rp_verdict verdicts[MP_REPORT_MAX_VERDICTS];

	struct rp_port *ports; /* MP_REPORT_MAX_PORTS */
	uint32_t nports;
	uint16_t *port_index; /* [transport][port] -> row + 1, 0 when none; 2 * 65536 */
	uint64_t ports_dropped_alerts, ports_dropped_flows;

	struct rp_chart *chart;

	struct rp_scanner *scanners; /* MP_REPORT_MAX_SCANNERS */
	uint32_t nscanners;
	uint64_t scanners_dropped_alerts;

	struct rp_talker *talkers; /* MP_REPORT_MAX_TALKERS */
	uint32_t ntalkers;
	uint32_t *thash; /* open addressing, talker index + 1, 0 empty */
	uint32_t thash_mask;
	uint32_t *theap; /* min-heap of talker indices by bytes */
	uint64_t talker_flows, talkers_replaced;
};

/* Verdicts in the order the page lists them; the first five are always listed. */
static const struct {
	const char *name, *colour, *meaning;
} verdict_info[] = {
    {"port-mismatch", "#d32f2f", "the protocol is not one IANA registered for the server port"},
    {"unregistered-port", "#ef6c00",
     "a protocol with a registered port of its own, on a port IANA has not assigned"},
    {"legacy-port", "#7b1fa2", "traffic on a dormant or historic registration"},
    {"scan", "#1565c0", "a scanner (one alert per scanner and window)"},
    {"scan-noise", "#78909c", "flows of a detected scanner"},
    {"allowed", "#00897b", "an alert verdict that the local policy allows"},
    {"match", "#43a047", "the protocol is one the server port is registered for"},
};
#define N_VERDICT_INFO   (sizeof(verdict_info) / sizeof(verdict_info[0]))
#define N_VERDICT_ALWAYS 5u

static const char *const extra_colours[] = {"#8d6e63", "#5d4037", "#c2185b", "#0097a7", "#827717", "#455a64"};

static const char *verdict_colour(const struct report *r, uint32_t v)
{
	for (size_t i = 0; i < N_VERDICT_INFO; i++)
		if (strcmp(r->verdicts[v].name, verdict_info[i].name) == 0)
			return verdict_info[i].colour;
	return extra_colours[v % (sizeof(extra_colours) / sizeof(extra_colours[0]))];
}

static const char *verdict_meaning(const char *name)
{
	for (size_t i = 0; i < N_VERDICT_INFO; i++)
		if (strcmp(name, verdict_info[i].name) == 0)
			return verdict_info[i].meaning;
	return "";
}

/* Returns the index of verdict name, adding it; names beyond the cap share a last entry "other". */
static uint32_t verdict_index(struct report *r, const char *name)
{
	char key[sizeof(r->verdicts[0].name)];

	copy_str(key, sizeof(key), name);
	for (uint32_t i = 0; i < r->nverdicts; i++)
		if (strcmp(r->verdicts[i].name, key) == 0)
			return i;
	if (r->nverdicts < MP_REPORT_MAX_VERDICTS - 1) {
		memcpy(r->verdicts[r->nverdicts].name, key, sizeof(key));
		return r->nverdicts++;
	}
	if (r->nverdicts == MP_REPORT_MAX_VERDICTS - 1) {
		copy_str(r->verdicts[r->nverdicts].name, sizeof(key), "other");
		r->nverdicts++;
	}
	return MP_REPORT_MAX_VERDICTS - 1;
}

/* Returns the index of verdict name, or -1 when it was never seen. */
static int verdict_find(const struct report *r, const char *name)
{
	for (uint32_t i = 0; i < r->nverdicts; i++)
		if (strcmp(r->verdicts[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool is_alert_verdict(const char *v)
{
	return strcmp(v, "port-mismatch") == 0 || strcmp(v, "unregistered-port") == 0 ||
	       strcmp(v, "legacy-port") == 0;
}

/* Returns the more serious of two severities (1 is the most serious; 0 or less means none). */
static int sev_worse(int cur, int s)
{
	if (s <= 0)
		return cur;
	if (cur <= 0 || s < cur)
		return s;
	return cur;
}

static const char *sev_label(int s)
{
	switch (s) {
	case 1:
		return "high";
	case 2:
		return "medium";
	case 3:
		return "low";
	default:
		return s > 3 ? "info" : "none";
	}
}

static int sev_class(int s)
{
	return s <= 0 ? 0 : s > 3 ? 3 : s;
}

/* ---- the chart of alerts over time --------------------------------------------------------------------- */

/* Bar widths in microseconds; each divides the next, so bars merge whole. Past the end the width doubles. */
static const uint64_t chart_widths[] = {
    1000u,       2000u,       10000u,       20000u,       100000u,      200000u,       1000000u,
    2000000u,    10000000u,   20000000u,    60000000u,    120000000u,   600000000u,    1200000000u,
    3600000000u, 7200000000u, 21600000000u, 43200000000u, 86400000000u, 172800000000u, 864000000000u,
};
#define N_CHART_WIDTHS (sizeof(chart_widths) / sizeof(chart_widths[0]))

static uint64_t chart_next_width(uint64_t w)
{
	for (size_t i = 0; i + 1 < N_CHART_WIDTHS; i++)
		if (chart_widths[i] == w)
			return chart_widths[i + 1];
	return w <= UINT64_MAX / 2 ? w * 2 : w;
}

/* Makes the chart cover ts: widens the bars (merging them) when the covered span no longer fits. */
static void chart_fit(struct rp_chart *c, uint64_t ts)
{
	uint64_t lo_t, hi_t, w, nlo;

	if (!c->used) {
		c->used = true;
		c->width = chart_widths[0];
		c->lo = c->hi = ts / c->width;
		return;
	}
	lo_t = c->lo * c->width;
	hi_t = c->hi * c->width;
	if (ts < lo_t)
		lo_t = ts;
	if (ts > hi_t)
		hi_t = ts;
	w = c->width;
	while (hi_t / w - lo_t / w + 1 > MP_REPORT_TIME_BUCKETS && w <= UINT64_MAX / 2)
		w = chart_next_width(w);
	nlo = lo_t / w;
	if (w != c->width || nlo != c->lo) {
		memset(c->scratch, 0, sizeof(c->scratch));
		for (uint64_t i = 0; i <= c->hi - c->lo; i++) {
			uint64_t slot = (c->lo + i) * c->width / w - nlo;

			for (size_t v = 0; v < MP_REPORT_MAX_VERDICTS; v++)
				c->scratch[slot][v] += c->count[i][v];
		}
		memcpy(c->count, c->scratch, sizeof(c->count));
	}
	c->width = w;
	c->lo = nlo;
	c->hi = hi_t / w;
}

static void chart_add(struct rp_chart *c, uint64_t ts, uint32_t v)
{
	chart_fit(c, ts);
	c->count[ts / c->width - c->lo][v]++;
}

/* Extends the capture span (and the chart) to ts. */
static void span_touch(struct report *r, uint64_t ts)
{
	if (!r->have_span) {
		r->have_span = true;
		r->first_us = r->last_us = ts;
	} else if (ts < r->first_us) {
		r->first_us = ts;
	} else if (ts > r->last_us) {
		r->last_us = ts;
	}
	chart_fit(r->chart, ts);
}

/* ---- port rows ----------------------------------------------------------------------------------------- */

/* Returns the row of (port, ip_proto), adding it; NULL for transports other than TCP and UDP or at the
 * cap. */
static struct rp_port *port_row(struct report *r, uint16_t port, uint8_t ip_proto)
{
	uint16_t *slot;
	struct rp_port *p;

	if (ip_proto != 6 && ip_proto != 17)
		return NULL;
	slot = &r->port_index[(ip_proto == 6 ? 0u : 65536u) + port];
	if (*slot != 0)
		return &r->ports[*slot - 1];
	if (r->nports >= MP_REPORT_MAX_PORTS)
		return NULL;
	p = &r->ports[r->nports++];
	p->port = port;
	p->ip_proto = ip_proto;
	*slot = (uint16_t)r->nports;
	return p;
}

static void port_proto_add(struct rp_port *p, const char *name, uint64_t flows, uint64_t alerts)
{
	char key[sizeof(p->proto[0].name)];

	copy_str(key, sizeof(key), name[0] != '\0' ? name : "Unknown");
	for (uint32_t i = 0; i < p->nproto; i++) {
		if (strcmp(p->proto[i].name, key) == 0) {
			p->proto[i].flows += flows;
			p->proto[i].alerts += alerts;
			return;
		}
	}
	if (p->nproto < MP_REPORT_PORT_PROTOS) {
		memcpy(p->proto[p->nproto].name, key, sizeof(key));
		p->proto[p->nproto].flows = flows;
		p->proto[p->nproto].alerts = alerts;
		p->nproto++;
		return;
	}
	p->other_flows += flows;
	p->other_alerts += alerts;
}

/* The server port and transport of a (non-scan) alert: metadata server_port/transport when present. */
static void alert_port(const struct mp_alert *a, uint16_t *port, uint8_t *ip_proto)
{
	const char *sp = alert_meta_get(a, "server_port"), *tr = alert_meta_get(a, "transport");
	uint64_t v;

	*port = a->dst_port;
	*ip_proto = a->ip_proto;
	if (parse_u64(sp, &v) && v <= 65535u)
		*port = (uint16_t)v;
	if (tr != NULL && strcasecmp(tr, "tcp") == 0)
		*ip_proto = 6;
	else if (tr != NULL && strcasecmp(tr, "udp") == 0)
		*ip_proto = 17;
}

static void port_alert(struct report *r, const struct mp_alert *a, uint32_t v, uint64_t suppressed)
{
	const char *s;
	struct rp_port *p;
	uint16_t port;
	uint8_t ip_proto;

	alert_port(a, &port, &ip_proto);
	p = port_row(r, port, ip_proto);
	if (p == NULL) {
		if (ip_proto == 6 || ip_proto == 17)
			r->ports_dropped_alerts++;
		return;
	}
	p->verdicts |= 1u << v;
	p->severity = sev_worse(p->severity, a->severity);
	if (p->service[0] == '\0' && (s = alert_meta_get(a, "registered_service")) != NULL && !is_blank(s))
		copy_str(p->service, sizeof(p->service), s);
	if (p->description[0] == '\0' && (s = alert_meta_get(a, "registered_description")) != NULL &&
	    !is_blank(s))
		copy_str(p->description, sizeof(p->description), s);
	if (p->signature[0] == '\0')
		copy_str(p->signature, sizeof(p->signature), a->signature);
	if (p->note[0] == '\0' && ((s = alert_meta_get(a, "explanation")) != NULL ||
				   (s = alert_meta_get(a, "legacy_reason")) != NULL))
		copy_str(p->note, sizeof(p->note), s);
	if (suppressed > 0) {
		p->suppressed += suppressed;
		return;
	}
	p->alerts++;
	s = alert_meta_get(a, "observed_protocol");
	if (s == NULL || s[0] == '\0')
		s = a->app_proto;
	port_proto_add(p, s, 0, 1);
}

/* ---- scanners ------------------------------------------------------------------------------------------ */

static void rset_add(struct rp_rset *s, uint16_t lo16, uint16_t hi16)
{
	uint32_t lo = lo16, hi = hi16, i = 0, j, best;

	while (i < s->n && (uint32_t)s->r[i].hi + 1 < lo)
		i++;
	j = i;
	while (j < s->n && s->r[j].lo <= hi + 1) {
		if (s->r[j].lo < lo)
			lo = s->r[j].lo;
		if (s->r[j].hi > hi)
			hi = s->r[j].hi;
		j++;
	}
	if (j == i) {
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
		s->n++;
	} else if (j > i + 1) {
		memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(s->r[0]));
		s->n -= j - i - 1;
	}
	s->r[i].lo = (uint16_t)lo;
	s->r[i].hi = (uint16_t)hi;
	if (s->n <= MP_REPORT_SCAN_RANGES)
		return;
	/* Over the cap: join the two neighbours with the smallest gap. */
	best = 0;
	for (uint32_t k = 1; k + 1 < s->n; k++)
		if (s->r[k + 1].lo - s->r[k].hi < s->r[best + 1].lo - s->r[best].hi)
			best = k;
	s->r[best].hi = s->r[best + 1].hi;
	memmove(&s->r[best + 1], &s->r[best + 2], (s->n - best - 2) * sizeof(s->r[0]));
	s->n--;
	s->merged = true;
}

static struct rp_scanner *scanner_get(struct report *r, const struct mp_alert *a)
{
	size_t alen = a->family == 6 ? 16 : 4;
	struct rp_scanner *sc;

	for (uint32_t i = 0; i < r->nscanners; i++) {
		sc = &r->scanners[i];
		if (sc->family == a->family && memcmp(sc->ip, a->src_ip, alen) == 0)
			return sc;
	}
	if (r->nscanners >= MP_REPORT_MAX_SCANNERS)
		return NULL;
	sc = &r->scanners[r->nscanners++];
	memset(sc, 0, sizeof(*sc));
	sc->family = a->family;
	memcpy(sc->ip, a->src_ip, alen);
	sc->first_us = sc->last_us = a->ts_us;
	return sc;
}

/* Keeps key = value among the scanner's metadata: the latest alert's value wins, and the values of a key
 * repeated within one alert are joined. */
static void scanner_meta(struct rp_scanner *sc, const char *key, const char *value)
{
	struct rp_meta *m = NULL;

	for (uint32_t i = 0; i < sc->nmeta; i++)
		if (strcmp(sc->meta[i].key, key) == 0)
			m = &sc->meta[i];
	if (m == NULL) {
		if (sc->nmeta >= MP_REPORT_SCAN_META) {
			sc->meta_dropped++;
			return;
		}
		m = &sc->meta[sc->nmeta++];
		copy_str(m->key, sizeof(m->key), key);
		m->value[0] = '\0';
	} else if (!m->this_alert) {
		m->value[0] = '\0';
	}
	m->this_alert = true;
	if (m->value[0] == '\0')
		copy_str(m->value, sizeof(m->value), value);
	else
		(void)append_item(m->value, sizeof(m->value), value);
}

static bool is_open_ports_key(const char *k)
{
	return strstr(k, "open") != NULL && strstr(k, "port") != NULL;
}

/* Adds the ports listed in value to sets (probed or open) of the scanner. */
static void scanner_ports(struct rp_scanner *sc, const char *value, enum report_lane def, bool open)
{
	struct report_port_range rr[64];
	size_t n, skipped, pos = 0, len = strlen(value);

	/* In pieces of whole tokens, so a long list is not cut at rr's size. */
	while (pos < len) {
		char piece[256];
		size_t end = pos + sizeof(piece) - 1 < len ? pos + sizeof(piece) - 1 : len;

		if (end < len) {
			size_t cut = end;

			while (cut > pos && !is_list_sep(value[cut]))
				cut--;
			if (cut > pos)
				end = cut;
		}
		memcpy(piece, value + pos, end - pos);
		piece[end - pos] = '\0';
		n = report_parse_ports(piece, def, rr, sizeof(rr) / sizeof(rr[0]), &skipped);
		sc->tokens_skipped += skipped;
		for (size_t i = 0; i < n; i++)
			rset_add(open ? &sc->open[rr[i].lane] : &sc->probed[rr[i].lane], rr[i].lo, rr[i].hi);
		pos = end;
	}
}

/* A value that lists ports rather than counting them: it has a separator, a range or a transport. */
static bool looks_like_port_list(const char *v)
{
	return strpbrk(v, ",;/- :") != NULL;
}

static void scanner_alert(struct report *r, const struct mp_alert *a)
{
	struct rp_scanner *sc = scanner_get(r, a);
	enum report_lane def = a->ip_proto == 6    ? REPORT_LANE_TCP
			       : a->ip_proto == 17 ? REPORT_LANE_UDP
						   : REPORT_LANE_ANY;
	const char *s, *ranges = alert_meta_get(a, "port_ranges");
	static const uint8_t zero[16];

	if (sc == NULL) {
		r->scanners_dropped_alerts++;
		return;
	}
	sc->alerts++;
	if (a->ts_us < sc->first_us)
		sc->first_us = a->ts_us;
	if (a->ts_us > sc->last_us)
		sc->last_us = a->ts_us;
	sc->severity = sev_worse(sc->severity, a->severity);
	copy_str(sc->signature, sizeof(sc->signature), a->signature);
	if (memcmp(a->dst_ip, zero, a->family == 6 ? 16 : 4) != 0) {
		memcpy(sc->target, a->dst_ip, sizeof(sc->target));
		sc->have_target = true;
	}
	if ((s = alert_meta_get(a, "transport")) != NULL && lane_named(s, strlen(s)) >= 0)
		def = (enum report_lane)lane_named(s, strlen(s));
	for (uint32_t i = 0; i < sc->nmeta; i++)
		sc->meta[i].this_alert = false;
	for (size_t i = 0; i < a->n_meta; i++) {
		const char *k = a->meta[i].key, *v = a->meta[i].value;

		if (strcmp(k, "verdict") == 0)
			continue;
		if (strcmp(k, "scan_type") == 0) {
			if (v[0] != '\0' && strstr(sc->types, v) == NULL)
				(void)append_item(sc->types, sizeof(sc->types), v);
			continue;
		}
		scanner_meta(sc, k, v);
		if (is_open_ports_key(k))
			scanner_ports(sc, v, def, true);
		else if (strcmp(k, "port_ranges") == 0 ||
			 (ranges == NULL && strcmp(k, "ports") == 0 && looks_like_port_list(v)))
			scanner_ports(sc, v, def, false);
	}
}

/* ---- top talkers (space-saving summary: a hash for lookup, a min-heap by bytes for replacement) -------- */

static uint32_t talker_hash(uint8_t family, uint8_t ip_proto, uint16_t port, const uint8_t *c,
			    const uint8_t *s, const char *proto)
{
	uint32_t h = 2166136261u;
	uint8_t head[4] = {family, ip_proto, (uint8_t)(port >> 8), (uint8_t)port};

	for (size_t i = 0; i < sizeof(head); i++)
		h = (h ^ head[i]) * 16777619u;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ c[i]) * 16777619u;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ s[i]) * 16777619u;
	for (; *proto != '\0'; proto++)
		h = (h ^ (uint8_t)*proto) * 16777619u;
	return h;
}

static void heap_swap(struct report *r, uint32_t i, uint32_t j)
{
	uint32_t t = r->theap[i];

	r->theap[i] = r->theap[j];
	r->theap[j] = t;
	r->talkers[r->theap[i]].heap_pos = i;
	r->talkers[r->theap[j]].heap_pos = j;
}

static void heap_up(struct report *r, uint32_t i)
{
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (r->talkers[r->theap[parent]].bytes <= r->talkers[r->theap[i]].bytes)
			return;
		heap_swap(r, i, parent);
		i = parent;
	}
}

static void heap_down(struct report *r, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;

		if (l < r->ntalkers && r->talkers[r->theap[l]].bytes < r->talkers[r->theap[m]].bytes)
			m = l;
		if (l + 1 < r->ntalkers && r->talkers[r->theap[l + 1]].bytes < r->talkers[r->theap[m]].bytes)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(r, i, m);
		i = m;
	}
}

static void thash_insert(struct report *r, uint32_t idx)
{
	uint32_t i = r->talkers[idx].hash & r->thash_mask;

	while (r->thash[i] != 0)
		i = (i + 1) & r->thash_mask;
	r->thash[i] = idx + 1;
}

/* Removes talker idx from the hash (linear probing, backward-shift deletion). */
static void thash_remove(struct report *r, uint32_t idx)
{
	uint32_t mask = r->thash_mask, i = r->talkers[idx].hash & mask, j;

	while (r->thash[i] != idx + 1)
		i = (i + 1) & mask;
	j = i;
	for (;;) {
		uint32_t k;

		j = (j + 1) & mask;
		if (r->thash[j] == 0)
			break;
		k = r->talkers[r->thash[j] - 1].hash & mask;
		/* The entry at j may move to the hole at i unless its home k lies cyclically in (i, j]. */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			r->thash[i] = r->thash[j];
			i = j;
		}
	}
	r->thash[i] = 0;
}

static void talker_set_key(struct rp_talker *t, const struct mp_flow_record *f, const char *proto, uint32_t h)
{
	t->family = f->family;
	t->ip_proto = f->ip_proto;
	t->port = f->dst_port;
	memcpy(t->client, f->src_ip, 16);
	memcpy(t->server, f->dst_ip, 16);
	copy_str(t->proto, sizeof(t->proto), proto);
	t->hash = h;
}

static void talker_add(struct report *r, const struct mp_flow_record *f, uint32_t v)
{
	uint64_t bytes = f->bytes_toserver + f->bytes_toclient;
	char proto[sizeof(r->talkers[0].proto)];
	uint32_t h, i, idx;
	struct rp_talker *t;

	copy_str(proto, sizeof(proto), f->app_proto[0] != '\0' ? f->app_proto : "Unknown");
	h = talker_hash(f->family, f->ip_proto, f->dst_port, f->src_ip, f->dst_ip, proto);
	r->talker_flows++;
	for (i = h & r->thash_mask; r->thash[i] != 0; i = (i + 1) & r->thash_mask) {
		t = &r->talkers[r->thash[i] - 1];
		if (t->hash == h && t->family == f->family && t->ip_proto == f->ip_proto &&
		    t->port == f->dst_port && memcmp(t->client, f->src_ip, 16) == 0 &&
		    memcmp(t->server, f->dst_ip, 16) == 0 && strcmp(t->proto, proto) == 0) {
			t->bytes += bytes;
			t->flows++;
			heap_down(r, t->heap_pos);
			return;
		}
	}
	if (r->ntalkers < MP_REPORT_MAX_TALKERS) {
		idx = r->ntalkers++;
		t = &r->talkers[idx];
		memset(t, 0, sizeof(*t));
		talker_set_key(t, f, proto, h);
		t->verdict = v;
		t->bytes = bytes;
		t->flows = 1;
		r->thash[i] = idx + 1;
		r->theap[idx] = idx;
		t->heap_pos = idx;
		heap_up(r, idx);
		return;
	}
	/* Full: the key with the fewest bytes gives its place (and its count, as the error bound) to this
	 * one. */
	idx = r->theap[0];
	t = &r->talkers[idx];
	thash_remove(r, idx);
	t->err = t->bytes;
	t->bytes += bytes;
	t->flows = 1;
	t->verdict = v;
	talker_set_key(t, f, proto, h);
	thash_insert(r, idx);
	heap_down(r, 0);
	r->talkers_replaced++;
}

/* ---- events -------------------------------------------------------------------------------------------- */

static void on_alert(struct report *r, const struct mp_alert *a)
{
	const char *verdict = alert_meta_get(a, "verdict"), *rec = alert_meta_get(a, "record");
	uint32_t v;

	if (verdict == NULL || verdict[0] == '\0')
		verdict = "unlabelled";
	v = verdict_index(r, verdict);
	span_touch(r, a->ts_us);
	if (rec != NULL && strcmp(rec, "suppression-summary") == 0) {
		uint64_t n = 0;

		(void)parse_u64(alert_meta_get(a, "suppressed_count"), &n);
		r->closing_records++;
		r->suppressed += n;
		r->verdicts[v].suppressed += n;
		if (strcmp(verdict, "scan") != 0 && n > 0)
			port_alert(r, a, v, n);
		return;
	}
	r->alerts++;
	r->verdicts[v].alerts++;
	chart_add(r->chart, a->ts_us, v);
	if (strcmp(verdict, "scan") == 0)
		scanner_alert(r, a);
	else
		port_alert(r, a, v, 0);
}

static void on_flow(struct report *r, const struct mp_flow_record *f)
{
	uint64_t bytes = f->bytes_toserver + f->bytes_toclient;
	struct rp_port *p;
	uint32_t v;

	r->flows++;
	span_touch(r, f->first_us);
	span_touch(r, f->last_us);
	if (f->verdict[0] == '\0' || strcmp(f->verdict, "none") == 0)
		return;
	v = verdict_index(r, f->verdict);
	r->verdicts[v].flows++;
	if (strcmp(f->verdict, "scan-noise") == 0 || strcmp(f->verdict, "scan") == 0)
		return;
	p = port_row(r, f->dst_port, f->ip_proto);
	if (p != NULL) {
		p->flows++;
		p->bytes += bytes;
		p->verdicts |= 1u << v;
		p->severity = sev_worse(p->severity, f->severity);
		if (p->service[0] == '\0' && !is_blank(f->registered_service))
			copy_str(p->service, sizeof(p->service), f->registered_service);
		port_proto_add(p, f->app_proto, 1, 0);
	} else if (f->ip_proto == 6 || f->ip_proto == 17) {
		r->ports_dropped_flows++;
	}
	if (is_alert_verdict(f->verdict))
		talker_add(r, f, v);
}

static int report_write(void *state, const struct mp_event *ev)
{
	struct report *r = state;

	switch (ev->type) {
	case MP_EV_ALERT:
		on_alert(r, ev->u.alert);
		break;
	case MP_EV_FLOW:
		on_flow(r, ev->u.flow);
		break;
	case MP_EV_STATS:
		r->stats = *ev->u.stats;
		r->have_stats = true;
		if (ev->u.stats->ts_us != 0)
			span_touch(r, ev->u.stats->ts_us);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the page ------------------------------------------------------------------------------------------ */

static const char page_css[] =
    ":root{color-scheme:light}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0;"
    "color:#1d2430;background:#f4f6f9}"
    "header{background:#1f2a3a;color:#fff;padding:16px 28px}"
    "header h1{margin:0 0 4px;font-size:22px}header p{margin:0;color:#c9d3e0}"
    "nav{padding:8px 28px;font-size:13px}nav a{color:#1f4e8c;margin-right:14px}"
    "main{padding:0 28px 28px;max-width:1240px}"
    "section{background:#fff;border:1px solid #d9dee6;border-radius:6px;padding:10px 18px 14px;margin:14px 0}"
    "h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:0 0 4px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e7ee;vertical-align:top}"
    "thead th{background:#eef1f5;font-weight:600}"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    ".mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace}"
    ".small,.note{font-size:12px;color:#5b6678}"
    ".totals{display:flex;flex-wrap:wrap;gap:10px 30px;margin:4px 0}"
    ".totals div{min-width:90px}.totals b{display:block;font-size:20px;font-variant-numeric:tabular-nums}"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}"
    "tr.sev-1{background:#fdecea}tr.sev-1 td:first-child{border-left:6px solid #b71c1c}"
    "tr.sev-2{background:#fff3e0}tr.sev-2 td:first-child{border-left:6px solid #e65100}"
    "tr.sev-3{background:#fffde7}tr.sev-3 td:first-child{border-left:6px solid #f9a825}"
    "tr.sev-0 td:first-child{border-left:6px solid #c5ccd6}"
    ".badge{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;font-weight:600;color:#fff;"
    "white-space:nowrap}"
    ".badge.sev-1{background:#b71c1c}.badge.sev-2{background:#e65100}"
    ".badge.sev-3{background:#f9a825;color:#222}.badge.sev-0{background:#8a94a3}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 20px;margin:6px 0;padding:0;list-style:none;font-size:13px}"
    "svg{display:block;width:100%;height:auto}svg text{font-family:system-ui,'DejaVu Sans',sans-serif}"
    ".scanner{border-top:1px solid #e3e7ee;padding:10px 0}.scanner:first-of-type{border-top:0}"
    "details summary{cursor:pointer;color:#1f4e8c}"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0;font-size:12px}"
    "dl.meta dt{color:#5b6678}dl.meta dd{margin:0;word-break:break-all}"
    "footer{padding:0 28px 24px;font-size:12px;color:#5b6678}footer ul{margin:4px 0;padding-left:18px}";

static void page_head(struct report *r, FILE *fp)
{
	char a[40], b[40];

	put(fp, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
	put(fp, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
	/* Nothing on the page may load anything: no script, no request, styles only inline. */
	put(fp, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'\">\n");
	put(fp, "<meta name=\"generator\" content=\"misport " MISPORT_VERSION "\">\n<title>misport report");
	if (r->have_span) {
		fmt_time(r->first_us, false, a, sizeof(a));
		fmt_time(r->last_us, false, b, sizeof(b));
		putf(fp, ": %s to %s UTC", a, b);
	}
	putf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n", page_css);
}

static void page_header(struct report *r, FILE *fp)
{
	char a[40], b[40], d[40];

	put(fp, "<header>\n<h1>misport report</h1>\n<p id=\"span\">");
	if (r->have_span) {
		fmt_time(r->first_us, true, a, sizeof(a));
		fmt_time(r->last_us, true, b, sizeof(b));
		fmt_duration(r->last_us - r->first_us, d, sizeof(d));
		putf(fp, "Capture time %s to %s UTC (%s)", a, b, d);
	} else {
		put(fp, "No events were received.");
	}
	put(fp, "</p>\n</header>\n<nav><a href=\"#verdicts\">Verdicts</a><a href=\"#ports\">Ports</a>"
		"<a href=\"#timeline\">Alerts over time</a><a href=\"#scanners\">Scanners</a>"
		"<a href=\"#talkers\">Top talkers</a></nav>\n<main>\n");
}

static void total(FILE *fp, const char *id, uint64_t v, const char *label)
{
	putf(fp, "<div id=\"total-%s\"><b>%" PRIu64 "</b>%s</div>", id, v, label);
}

static void page_summary(struct report *r, FILE *fp)
{
	char b[32];

	put(fp, "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"totals\">");
	if (r->have_stats) {
		total(fp, "packets", r->stats.pkts, "packets");
		fmt_bytes(r->stats.bytes, b, sizeof(b));
		putf(fp, "<div id=\"total-bytes\" title=\"%" PRIu64 " bytes\"><b>%s</b>captured</div>",
		     r->stats.bytes, b);
		total(fp, "flows", r->stats.flows_total, "flows");
	} else {
		total(fp, "flows", r->flows, "flow records");
	}
	total(fp, "alerts", r->alerts, plural(r->alerts, "alert", "alerts"));
	total(fp, "suppressed", r->suppressed, "repeats suppressed");
	total(fp, "ports", r->nports, "ports with a verdict");
	total(fp, "scanners", r->nscanners, plural(r->nscanners, "scanner", "scanners"));
	if (r->have_stats) {
		total(fp, "malformed", r->stats.invalid, "malformed packets");
		if (r->stats.have_capture)
			total(fp, "drops", r->stats.kernel_drops, "kernel drops");
	}
	put(fp, "</div>\n");
	if (r->flows == 0)
		put(fp, "<p class=\"note\">No flow records were received: the port table counts alerts only, "
			"and there are no top talkers.</p>\n");
	put(fp, "</section>\n");
}

static void page_verdicts(struct report *r, FILE *fp)
{
	put(fp, "<section id=\"verdicts\">\n<h2>Verdicts</h2>\n<table id=\"verdict-table\">\n<thead><tr>"
		"<th>Verdict</th><th class=\"n\">Alerts</th><th class=\"n\">Suppressed repeats</th>"
		"<th class=\"n\">Flows</th><th>Meaning</th></tr></thead>\n<tbody>\n");
	for (uint32_t v = 0; v < r->nverdicts; v++) {
		const struct rp_verdict *vd = &r->verdicts[v];

		if (v >= N_VERDICT_ALWAYS && vd->alerts == 0 && vd->suppressed == 0 && vd->flows == 0)
			continue;
		put(fp, "<tr data-verdict=\"");
		put_esc(fp, vd->name);
		putf(fp, "\"><td><span class=\"sw\" style=\"background:%s\"></span>", verdict_colour(r, v));
		put_esc(fp, vd->name);
		putf(fp,
		     "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
		     "</td><td class=\"n\">%" PRIu64 "</td><td class=\"small\">",
		     vd->alerts, vd->suppressed, vd->flows);
		put_esc(fp, verdict_meaning(vd->name));
		put(fp, "</td></tr>\n");
	}
	put(fp, "</tbody>\n</table>\n</section>\n");
}

static int port_cmp(const void *pa, const void *pb)
{
	const struct rp_port *a = *(const struct rp_port *const *)pa, *b = *(const struct rp_port *const *)pb;
	int sa = a->severity > 0 ? a->severity : 1000, sb = b->severity > 0 ? b->severity : 1000;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (a->alerts + a->suppressed != b->alerts + b->suppressed)
		return a->alerts + a->suppressed > b->alerts + b->suppressed ? -1 : 1;
	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (int)a->ip_proto - (int)b->ip_proto;
}

static const char *transport_name(uint8_t ip_proto)
{
	return ip_proto == 6 ? "tcp" : ip_proto == 17 ? "udp" : "?";
}

static void page_port_row(struct report *r, FILE *fp, const struct rp_port *p)
{
	int unreg = verdict_find(r, "unregistered-port");
	bool first = true;

	putf(fp, "<tr class=\"sev-%d\"><td class=\"mono\">%u/%s</td><td>", sev_class(p->severity), p->port,
	     transport_name(p->ip_proto));
	if (p->service[0] != '\0')
		put_esc(fp, p->service);
	else if (unreg >= 0 && (p->verdicts & (1u << unreg)))
		put(fp, "<i>unassigned</i>");
	else
		put(fp, "<i>unknown</i>");
	if (p->description[0] != '\0') {
		put(fp, "<div class=\"small\">");
		put_esc(fp, p->description);
		put(fp, "</div>");
	}
	put(fp, "</td><td>");
	for (uint32_t i = 0; i < p->nproto; i++) {
		const struct rp_proto *pr = &p->proto[i];

		put(fp, i > 0 ? "<br>" : "");
		put_esc(fp, pr->name);
		if (pr->flows > 0)
			putf(fp, " <span class=\"small\">(%" PRIu64 " %s)</span>", pr->flows,
			     plural(pr->flows, "flow", "flows"));
		else
			putf(fp, " <span class=\"small\">(%" PRIu64 " %s)</span>", pr->alerts,
			     plural(pr->alerts, "alert", "alerts"));
	}
	if (p->other_flows + p->other_alerts > 0)
		putf(fp,
		     "<br>other protocols <span class=\"small\">(%" PRIu64 " flows, %" PRIu64
		     " alerts)</span>",
		     p->other_flows, p->other_alerts);
	put(fp, "</td><td>");
	for (uint32_t v = 0; v < r->nverdicts; v++) {
		if (!(p->verdicts & (1u << v)))
			continue;
		put(fp, first ? "" : ", ");
		put_esc(fp, r->verdicts[v].name);
		first = false;
	}
	if (p->signature[0] != '\0') {
		put(fp, "<div class=\"small\">");
		put_esc(fp, p->signature);
		put(fp, "</div>");
	}
	if (p->note[0] != '\0') {
		put(fp, "<details class=\"small\"><summary>why</summary>");
		put_esc(fp, p->note);
		put(fp, "</details>");
	}
	putf(fp, "</td><td><span class=\"badge sev-%d\">%s</span></td><td class=\"n\">%" PRIu64,
	     sev_class(p->severity), sev_label(p->severity), p->alerts);
	if (p->suppressed > 0)
		putf(fp, "<div class=\"small\">+%" PRIu64 " suppressed</div>", p->suppressed);
	putf(fp, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", p->flows);
}

static void page_ports(struct report *r, FILE *fp)
{
	const struct rp_port **order;

	put(fp, "<section id=\"ports\">\n<h2>Ports: registered and observed</h2>\n");
	if (r->nports == 0) {
		put(fp, "<p>No server port received a verdict.</p>\n</section>\n");
		return;
	}
	put(fp,
	    "<p class=\"note\">One row per server port with a verdict, the most serious first. Severity is "
	    "shown as a label and a colour: high (red), medium (orange), low (yellow), none (grey).</p>\n");
	order = calloc(r->nports, sizeof(*order));
	put(fp, "<table id=\"port-table\">\n<thead><tr><th>Server port</th><th>Registered service (IANA)</th>"
		"<th>Observed protocols</th><th>Verdict</th><th>Severity</th><th class=\"n\">Alerts</th>"
		"<th class=\"n\">Flows</th></tr></thead>\n<tbody>\n");
	if (order != NULL) {
		for (uint32_t i = 0; i < r->nports; i++)
			order[i] = &r->ports[i];
		qsort(order, r->nports, sizeof(*order), port_cmp);
		for (uint32_t i = 0; i < r->nports; i++)
			page_port_row(r, fp, order[i]);
		free(order);
	} else {
		for (uint32_t i = 0; i < r->nports; i++) /* out of memory: unsorted, but complete */
			page_port_row(r, fp, &r->ports[i]);
	}
	put(fp, "</tbody>\n</table>\n");
	if (r->ports_dropped_alerts + r->ports_dropped_flows > 0)
		putf(fp,
		     "<p class=\"note\">%" PRIu64 " alerts and %" PRIu64
		     " flows on further ports are not listed "
		     "(the table keeps %u ports).</p>\n",
		     r->ports_dropped_alerts, r->ports_dropped_flows, MP_REPORT_MAX_PORTS);
	put(fp, "</section>\n");
}

/* The smallest of 1, 2, 5 x 10^k that is at least v (and at least 1). */
static uint64_t nice_ceil(uint64_t v)
{
	uint64_t m = 1;

	for (;;) {
		if (v <= m)
			return m;
		if (v <= 2 * m)
			return 2 * m;
		if (v <= 5 * m)
			return 5 * m;
		if (m > UINT64_MAX / 100)
			return v;
		m *= 10;
	}
}

/* Formats the time of a bar boundary for the axis: time of day, with milliseconds for short bars and the date
 * for long spans. */
static void fmt_axis_time(uint64_t ts_us, uint64_t width, uint64_t span, char *buf, size_t cap)
{
	char full[40];

	fmt_time(ts_us, width < 1000000u, full, sizeof(full));
	if (span >= 86400000000u)
		(void)snprintf(buf, cap, "%.16s", full); /* 2024-05-01 10:00 */
	else
		(void)snprintf(buf, cap, "%s", time_part(full)); /* 10:00:00(.123) */
}

#define CH_W 960
#define CH_H 250
#define CH_L 52
#define CH_R 14
#define CH_T 12
#define CH_B 46

static void page_chart(struct report *r, FILE *fp)
{
	const struct rp_chart *c = r->chart;
	uint64_t n, ymax = 0, busiest = 0, busiest_n = 0, span;
	double pw = CH_W - CH_L - CH_R, ph = CH_H - CH_T - CH_B, bw;
	char wbuf[32], tbuf[40];

	put(fp, "<section id=\"timeline\">\n<h2>Alerts over capture time</h2>\n");
	if (r->alerts == 0 || !c->used) {
		put(fp, "<p>No alerts.</p>\n</section>\n");
		return;
	}
	n = c->hi - c->lo + 1;
	span = n * c->width;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = 0;

		for (uint32_t v = 0; v < r->nverdicts; v++)
			t += c->count[i][v];
		if (t > busiest_n) {
			busiest_n = t;
			busiest = i;
		}
	}
	ymax = nice_ceil(busiest_n);
	bw = pw / (double)n;
	fmt_duration(c->width, wbuf, sizeof(wbuf));
	putf(fp,
	     "<svg id=\"alert-chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"alerts per %s over the "
	     "capture, stacked by verdict\">\n",
	     CH_W, CH_H, wbuf);
	/* Horizontal grid and the count axis. */
	for (int g = 0; g <= 2; g++) {
		double y = CH_T + ph - ph * g / 2.0;
		uint64_t label = ymax * (uint64_t)g / 2;

		if (g == 1 && ymax % 2 != 0)
			continue;
		putf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>", CH_L, y,
		     CH_W - CH_R, y, g == 0 ? "#59636f" : "#e3e7ee");
		putf(
		    fp,
		    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" fill=\"#3b4453\">%" PRIu64
		    "</text>\n",
		    CH_L - 6, y + 4, label);
	}
	/* Bars, stacked in verdict order. */
	for (uint64_t i = 0; i < n; i++) {
		double x = CH_L + bw * (double)i, gap = bw > 4 ? 1.0 : 0.0, y = CH_T + ph;
		char t0[40], t1[40];

		fmt_time((c->lo + i) * c->width, c->width < 1000000u, t0, sizeof(t0));
		fmt_time((c->lo + i + 1) * c->width, c->width < 1000000u, t1, sizeof(t1));
		for (uint32_t v = 0; v < r->nverdicts; v++) {
			double h;

			if (c->count[i][v] == 0)
				continue;
			h = ph * (double)c->count[i][v] / (double)ymax;
			y -= h;
			putf(fp,
			     "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			     "fill=\"%s\"><title>%s to %s "
			     "UTC: %" PRIu64 " ",
			     x + gap / 2, y, bw - gap, h, verdict_colour(r, v), t0, time_part(t1),
			     c->count[i][v]);
			put_esc(fp, r->verdicts[v].name);
			put(fp, "</title></rect>\n");
		}
	}
	/* The time axis: five labels at bar boundaries. */
	for (int k = 0; k <= 4; k++) {
		uint64_t i = n * (uint64_t)k / 4;
		double x = CH_L + bw * (double)i;

		fmt_axis_time((c->lo + i) * c->width, c->width, span, tbuf, sizeof(tbuf));
		putf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#59636f\"/>", x,
		     CH_T + ph, x, CH_T + ph + 5);
		putf(fp,
		     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"11\" "
		     "fill=\"#3b4453\">%s</text>\n",
		     x, CH_T + ph + 18,
		     k == 0   ? "start"
		     : k == 4 ? "end"
			      : "middle",
		     tbuf);
	}
	putf(
	    fp,
	    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5b6678\">capture time "
	    "(UTC), one bar = %s</text>\n</svg>\n",
	    CH_L + pw / 2, CH_H - 6, wbuf);
	put(fp, "<ul class=\"legend\" id=\"chart-legend\">");
	for (uint32_t v = 0; v < r->nverdicts; v++) {
		if (r->verdicts[v].alerts == 0)
			continue;
		putf(fp, "<li><span class=\"sw\" style=\"background:%s\"></span>", verdict_colour(r, v));
		put_esc(fp, r->verdicts[v].name);
		putf(fp, ": %" PRIu64 " %s</li>", r->verdicts[v].alerts,
		     plural(r->verdicts[v].alerts, "alert", "alerts"));
	}
	fmt_time((c->lo + busiest) * c->width, c->width < 1000000u, tbuf, sizeof(tbuf));
	putf(fp, "</ul>\n<p class=\"note\">Busiest bar: %" PRIu64 " %s from %s UTC.</p>\n</section>\n",
	     busiest_n, plural(busiest_n, "alert", "alerts"), tbuf);
}

/* Lane names as the picture labels them. */
static const char *const lane_label[REPORT_LANES] = {"TCP", "UDP", "any"};
static const char *const lane_suffix[REPORT_LANES] = {"/tcp", "/udp", ""};

#define ST_L 44
#define ST_R 14

/* Draws one strip of ports lo..hi with a row per lane in use: probed ranges as blue bars, open ports as green
 * marks, port-class bands behind them, ticks at the given ports. */
static void scanner_strip(FILE *fp, const struct rp_scanner *sc, const char *who, uint32_t lo, uint32_t hi,
			  const uint32_t *ticks, size_t nticks)
{
	static const struct {
		uint32_t lo, hi;
		const char *fill, *label;
	} band[] = {{0, 1023, "#eef3fb", "system ports"},
		    {1024, 49151, "#f7f8fa", "user ports"},
		    {49152, 65535, "#eef3fb", "dynamic ports"}};
	double pw = 960 - ST_L - ST_R, scale = pw / (double)(hi - lo + 1);
	int lanes[REPORT_LANES], nl = 0, height, top = 16, lh = 20;

	for (int l = 0; l < REPORT_LANES; l++)
		if (sc->probed[l].n > 0 || sc->open[l].n > 0)
			lanes[nl++] = l;
	height = top + nl * (lh + 4) + 22;
	putf(
	    fp,
	    "<svg class=\"strip\" viewBox=\"0 0 960 %d\" role=\"img\" aria-label=\"ports %u to %u probed by ",
	    height, lo, hi);
	put_esc(fp, who);
	put(fp, "\">\n");
	for (size_t b = 0; b < sizeof(band) / sizeof(band[0]); b++) {
		uint32_t a = band[b].lo < lo ? lo : band[b].lo, z = band[b].hi > hi ? hi : band[b].hi;
		double x;

		if (a > z)
			continue;
		x = ST_L + (a - lo) * scale;
		putf(fp, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\"/>", x, top - 2,
		     (z - a + 1) * scale, nl * (lh + 4), band[b].fill);
		if ((z - a + 1) * scale > 90)
			putf(fp, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#5b6678\">%s</text>",
			     x + 3, top - 5, band[b].label);
	}
	for (int k = 0; k < nl; k++) {
		int l = lanes[k], y = top + k * (lh + 4);

		putf(fp, "\n<text x=\"4\" y=\"%d\" font-size=\"11\" fill=\"#3b4453\">%s</text>", y + 14,
		     lane_label[l]);
		putf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c5ccd6\"/>", ST_L,
		     y + lh / 2, 960 - ST_R, y + lh / 2);
		for (uint32_t i = 0; i < sc->probed[l].n; i++) {
			uint32_t a = sc->probed[l].r[i].lo, z = sc->probed[l].r[i].hi;
			double w;

			if (z < lo || a > hi)
				continue;
			a = a < lo ? lo : a;
			z = z > hi ? hi : z;
			w = (z - a + 1) * scale;
			putf(fp,
			     "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
			     "fill=\"#1565c0\"><title>probed ",
			     ST_L + (a - lo) * scale, y + 3, w < 1.5 ? 1.5 : w, lh - 6);
			if (a == z)
				putf(fp, "%u%s</title></rect>", a, lane_suffix[l]);
			else
				putf(fp, "%u-%u%s</title></rect>", a, z, lane_suffix[l]);
		}
		for (uint32_t i = 0; i < sc->open[l].n; i++) {
			uint32_t a = sc->open[l].r[i].lo, z = sc->open[l].r[i].hi;
			double w;

			if (z < lo || a > hi)
				continue;
			a = a < lo ? lo : a;
			z = z > hi ? hi : z;
			w = (z - a + 1) * scale;
			putf(fp,
			     "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
			     "fill=\"#2e7d32\"><title>open ",
			     ST_L + (a - lo) * scale - (w < 3 ? (3 - w) / 2 : 0), y, w < 3 ? 3 : w, lh);
			if (a == z)
				putf(fp, "%u%s</title></rect>", a, lane_suffix[l]);
			else
				putf(fp, "%u-%u%s</title></rect>", a, z, lane_suffix[l]);
		}
	}
	for (size_t t = 0; t < nticks; t++) {
		double x = ST_L + (ticks[t] - lo + (ticks[t] == hi ? 1 : 0)) * scale;
		int y = top + nl * (lh + 4) - 2;

		putf(fp, "\n<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#59636f\"/>", x, y, x,
		     y + 5);
		putf(fp,
		     "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" font-size=\"10\" "
		     "fill=\"#3b4453\">%u</text>",
		     x, y + 16,
		     t == 0            ? "start"
		     : t + 1 == nticks ? "end"
				       : "middle",
		     ticks[t]);
	}
	put(fp, "\n</svg>\n");
}

/* Writes a range set as text ("1-1024/tcp, 3306/tcp"), at most max ranges, then how many more. */
static void put_ranges(FILE *fp, const struct rp_rset *s, int lane, bool *first, uint32_t max)
{
	for (uint32_t i = 0; i < s->n; i++) {
		if (i == max) {
			putf(fp, " and %u more%s ranges", s->n - max, lane_suffix[lane]);
			*first = false;
			return;
		}
		put(fp, *first ? "" : ", ");
		if (s->r[i].lo == s->r[i].hi)
			putf(fp, "%u%s", s->r[i].lo, lane_suffix[lane]);
		else
			putf(fp, "%u-%u%s", s->r[i].lo, s->r[i].hi, lane_suffix[lane]);
		*first = false;
	}
}

static void page_scanner(FILE *fp, const struct rp_scanner *sc, uint32_t idx)
{
	static const uint32_t full_ticks[] = {0, 8192, 16384, 24576, 32768, 40960, 49152, 57344, 65535};
	static const uint32_t low_ticks[] = {0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1023};
	char ip[64], tgt[64], t0[40], t1[40];
	bool any = false, low = false, first, merged = false;

	eve_addr(sc->family, sc->ip, ip, sizeof(ip));
	fmt_time(sc->first_us, false, t0, sizeof(t0));
	fmt_time(sc->last_us, false, t1, sizeof(t1));
	for (int l = 0; l < REPORT_LANES; l++) {
		any = any || sc->probed[l].n > 0 || sc->open[l].n > 0;
		low = low || (sc->probed[l].n > 0 && sc->probed[l].r[0].lo < 1024) ||
		      (sc->open[l].n > 0 && sc->open[l].r[0].lo < 1024);
		merged = merged || sc->probed[l].merged || sc->open[l].merged;
	}
	putf(fp, "<div class=\"scanner\" id=\"scanner-%u\">\n<h3><span class=\"mono\">", idx + 1);
	put_esc(fp, ip);
	putf(fp, "</span> <span class=\"badge sev-%d\">%s</span> ", sev_class(sc->severity),
	     sev_label(sc->severity));
	put_esc(fp, sc->types[0] != '\0' ? sc->types : "scan");
	put(fp, "</h3>\n<p class=\"small\">");
	put_esc(fp, sc->signature);
	putf(fp, "<br>%" PRIu64 " %s, %s to %s UTC", sc->alerts, plural(sc->alerts, "alert", "alerts"), t0,
	     time_part(t1));
	if (sc->have_target) {
		eve_addr(sc->family, sc->target, tgt, sizeof(tgt));
		put(fp, "; target in the latest alert: <span class=\"mono\">");
		put_esc(fp, tgt);
		put(fp, "</span>");
	}
	put(fp, "</p>\n");
	if (any) {
		scanner_strip(fp, sc, ip, 0, 65535, full_ticks, sizeof(full_ticks) / sizeof(full_ticks[0]));
		if (low) {
			put(fp, "<p class=\"small\">Ports 0 to 1023 in detail:</p>\n");
			scanner_strip(fp, sc, ip, 0, 1023, low_ticks,
				      sizeof(low_ticks) / sizeof(low_ticks[0]));
		}
		put(fp, "<ul class=\"legend\"><li><span class=\"sw\" "
			"style=\"background:#1565c0\"></span>probed</li>"
			"<li><span class=\"sw\" style=\"background:#2e7d32\"></span>open</li></ul>\n");
		put(fp, "<p class=\"small ranges\">Probed: ");
		first = true;
		for (int l = 0; l < REPORT_LANES; l++)
			put_ranges(fp, &sc->probed[l], l, &first, 48);
		if (first)
			put(fp, "none listed");
		first = true;
		for (int l = 0; l < REPORT_LANES; l++) {
			if (sc->open[l].n > 0 && first)
				put(fp, "<br>Open: ");
			put_ranges(fp, &sc->open[l], l, &first, 48);
		}
		if (merged)
			putf(fp,
			     "<br>Approximate: neighbouring ranges were joined to keep at most %u per "
			     "transport.",
			     MP_REPORT_SCAN_RANGES);
		put(fp, "</p>\n");
	} else {
		put(fp, "<p class=\"small\">The alerts list no ports to draw.</p>\n");
	}
	if (sc->nmeta > 0) {
		put(fp, "<dl class=\"meta\">");
		for (uint32_t i = 0; i < sc->nmeta; i++) {
			put(fp, "<dt>");
			put_esc(fp, sc->meta[i].key);
			put(fp, "</dt><dd>");
			put_esc(fp, sc->meta[i].value);
			put(fp, "</dd>");
		}
		put(fp, "</dl>\n");
	}
	if (sc->meta_dropped > 0 || sc->tokens_skipped > 0)
		putf(fp,
		     "<p class=\"note\">%" PRIu64 " metadata entries not kept, %" PRIu64
		     " port-list items not drawn.</p>\n",
		     sc->meta_dropped, sc->tokens_skipped);
	put(fp, "</div>\n");
}

static void page_scanners(struct report *r, FILE *fp)
{
	put(fp, "<section id=\"scanners\">\n<h2>Scanners</h2>\n");
	if (r->nscanners == 0)
		put(fp, "<p>No scanner was reported.</p>\n");
	else
		put(fp,
		    "<p class=\"note\">One picture per scanning source: the port range 0 to 65535 from left "
		    "to "
		    "right, a row per transport; blue bars are probed ports, green marks open ones.</p>\n");
	for (uint32_t i = 0; i < r->nscanners; i++)
		page_scanner(fp, &r->scanners[i], i);
	if (r->scanners_dropped_alerts > 0)
		putf(fp,
		     "<p class=\"note\">%" PRIu64
		     " alerts of further scanners are not listed (at most %u).</p>\n",
		     r->scanners_dropped_alerts, MP_REPORT_MAX_SCANNERS);
	put(fp, "</section>\n");
}

static int talker_cmp(const void *pa, const void *pb)
{
	const struct rp_talker *a = *(const struct rp_talker *const *)pa,
			       *b = *(const struct rp_talker *const *)pb;
	int c;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->flows != b->flows)
		return a->flows > b->flows ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if ((c = memcmp(a->client, b->client, 16)) != 0)
		return c;
	if ((c = memcmp(a->server, b->server, 16)) != 0)
		return c;
	return strcmp(a->proto, b->proto);
}

static void page_talkers(struct report *r, FILE *fp)
{
	const struct rp_talker **order;
	uint32_t shown;

	put(fp, "<section id=\"talkers\">\n<h2>Top talkers on mismatched ports</h2>\n");
	if (r->ntalkers == 0) {
		putf(fp,
		     "<p>No flow on a mismatched port (port-mismatch, unregistered-port, legacy-port) among "
		     "%" PRIu64 " flow records.</p>\n</section>\n",
		     r->flows);
		return;
	}
	order = calloc(r->ntalkers, sizeof(*order));
	if (order == NULL) {
		put(fp, "<p>Out of memory while sorting.</p>\n</section>\n");
		return;
	}
	for (uint32_t i = 0; i < r->ntalkers; i++)
		order[i] = &r->talkers[i];
	qsort(order, r->ntalkers, sizeof(*order), talker_cmp);
	shown = r->ntalkers < MP_REPORT_TOP_TALKERS ? r->ntalkers : MP_REPORT_TOP_TALKERS;
	putf(fp,
	     "<p class=\"note\">Client, server and protocol of the flows with verdict port-mismatch, "
	     "unregistered-port or legacy-port, by bytes (both directions); %u of %u, over %" PRIu64
	     " flows.</p>\n",
	     shown, r->ntalkers, r->talker_flows);
	put(fp, "<table id=\"talker-table\">\n<thead><tr><th class=\"n\">#</th><th>Client</th><th>Server</th>"
		"<th>Protocol</th><th>Verdict</th><th class=\"n\">Bytes</th><th "
		"class=\"n\">Flows</th></tr></thead>\n"
		"<tbody>\n");
	for (uint32_t i = 0; i < shown; i++) {
		const struct rp_talker *t = order[i];
		char c[64], s[64], b[32];

		eve_addr(t->family, t->client, c, sizeof(c));
		eve_addr(t->family, t->server, s, sizeof(s));
		fmt_bytes(t->bytes, b, sizeof(b));
		putf(fp, "<tr><td class=\"n\">%u</td><td class=\"mono\">", i + 1);
		put_esc(fp, c);
		put(fp, t->family == 6 ? "</td><td class=\"mono\">[" : "</td><td class=\"mono\">");
		put_esc(fp, s);
		putf(fp, "%s:%u/%s</td><td>", t->family == 6 ? "]" : "", t->port,
		     transport_name(t->ip_proto));
		put_esc(fp, t->proto);
		putf(fp, "</td><td><span class=\"sw\" style=\"background:%s\"></span>",
		     verdict_colour(r, t->verdict));
		put_esc(fp, r->verdicts[t->verdict].name);
		putf(fp,
		     "</td><td class=\"n\" title=\"%" PRIu64 " bytes\">%s%s</td><td class=\"n\">%" PRIu64
		     "</td></tr>\n",
		     t->bytes, t->err > 0 ? "at most " : "", b, t->flows);
	}
	put(fp, "</tbody>\n</table>\n");
	if (r->talkers_replaced > 0)
		putf(fp,
		     "<p class=\"note\">More than %u talkers: %" PRIu64
		     " times the smallest was replaced, so "
		     "figures marked \"at most\" are upper bounds.</p>\n",
		     MP_REPORT_MAX_TALKERS, r->talkers_replaced);
	free(order);
	put(fp, "</section>\n");
}

static void page_footer(struct report *r, FILE *fp)
{
	put(fp,
	    "</main>\n<footer>\n<p>Written by misport " MISPORT_VERSION " from its alerts, flow records and "
	    "statistics; the page is self-contained (no script, no external resource).</p>\n");
	if (r->verdicts[MP_REPORT_MAX_VERDICTS - 1].name[0] != '\0' &&
	    strcmp(r->verdicts[MP_REPORT_MAX_VERDICTS - 1].name, "other") == 0)
		putf(fp, "<p>More than %u verdict names: the rest are counted as \"other\".</p>\n",
		     MP_REPORT_MAX_VERDICTS - 1);
	put(fp, "</footer>\n</body>\n</html>\n");
}

static int report_render(struct report *r)
{
	FILE *fp = r->fp;

	page_head(r, fp);
	page_header(r, fp);
	page_summary(r, fp);
	page_verdicts(r, fp);
	page_ports(r, fp);
	page_chart(r, fp);
	page_scanners(r, fp);
	page_talkers(r, fp);
	page_footer(r, fp);
	return fflush(fp) != 0 || ferror(fp) ? -1 : 0;
}

/* ---- the module ---------------------------------------------------------------------------------------- */

static void report_free(struct report *r)
{
	free(r->ports);
	free(r->port_index);
	free(r->chart);
	free(r->scanners);
	free(r->talkers);
	free(r->thash);
	free(r->theap);
	free(r);
}

/* Opens (creates or truncates) target, or uses stdout for "-"; the page is written into it at close. The
 * state owns the file and every table. */
static int report_open(const char *target, void **state, char *err, size_t errlen)
{
	struct report *r = calloc(1, sizeof(*r));
	uint32_t hsize = 1;

	if (r == NULL) {
		snprintf(err, errlen, "report: out of memory");
		return -1;
	}
	while (hsize < 2 * MP_REPORT_MAX_TALKERS)
		hsize *= 2;
	r->ports = calloc(MP_REPORT_MAX_PORTS, sizeof(*r->ports));
	r->port_index = calloc(2 * 65536u, sizeof(*r->port_index));
	r->chart = calloc(1, sizeof(*r->chart));
	r->scanners = calloc(MP_REPORT_MAX_SCANNERS, sizeof(*r->scanners));
	r->talkers = calloc(MP_REPORT_MAX_TALKERS, sizeof(*r->talkers));
	r->thash = calloc(hsize, sizeof(*r->thash));
	r->theap = calloc(MP_REPORT_MAX_TALKERS, sizeof(*r->theap));
	r->thash_mask = hsize - 1;
	if (r->ports == NULL || r->port_index == NULL || r->chart == NULL || r->scanners == NULL ||
	    r->talkers == NULL || r->thash == NULL || r->theap == NULL) {
		snprintf(err, errlen, "report: out of memory");
		report_free(r);
		return -1;
	}
	for (size_t i = 0; i < N_VERDICT_INFO; i++)
		(void)verdict_index(r, verdict_info[i].name);
	if (strcmp(target, "-") == 0) {
		r->fp = stdout;
		r->to_stdout = true;
	} else {
		r->fp = fopen(target, "w");
		if (r->fp == NULL) {
			snprintf(err, errlen, "report: %s: %s", target, strerror(errno));
			report_free(r);
			return -1;
		}
	}
	*state = r;
	return 0;
}

static void report_close(void *state)
{
	struct report *r = state;
	int rc;

	if (r == NULL)
		return;
	rc = report_render(r);
	if (!r->to_stdout && fclose(r->fp) != 0)
		rc = -1;
	if (rc != 0)
		log_warnx("report: the HTML page could not be written completely");
	report_free(r);
}

const struct output_module output_report = {
    .name = "report",
    .help =
	"one self-contained HTML page (verdicts, ports, alerts over time, scanners, top talkers), written at "
	"exit",
    .open = report_open,
    .write = report_write,
    .reopen = NULL, /* the page is written once, at close: nothing is open to rotate */
    .close = report_close,
};
