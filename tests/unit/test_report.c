/* test_report.c: the HTML report sink: its escaper, its port-list parser, and the page it writes from
 * synthetic alerts, flow records and stats (counts, table rows, hostile strings, bounds). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/output/report.h"
#include "misport/config.h"
#include "misport/output.h"

/* 2024-05-01 10:00:00 UTC */
#define T0 1714557600000000ull

/* ---- helpers ------------------------------------------------------------------------------------------- */

static char *escape(const char *s, size_t cap, bool *overflow)
{
	char *buf = malloc(cap);
	struct sbuf b;

	cr_assert_not_null(buf);
	sb_init(&b, buf, cap);
	report_html_escape(&b, s);
	if (overflow != NULL)
		*overflow = b.overflow;
	return buf;
}

static struct mp_alert *alert_new(uint64_t ts, const char *client, const char *server, uint16_t dport,
				  uint8_t ip_proto, const char *verdict, int severity, const char *signature)
{
	struct mp_alert *a = calloc(1, sizeof(*a));
	unsigned c[4], s[4];

	cr_assert_not_null(a);
	cr_assert_eq(sscanf(client, "%u.%u.%u.%u", &c[0], &c[1], &c[2], &c[3]), 4);
	cr_assert_eq(sscanf(server, "%u.%u.%u.%u", &s[0], &s[1], &s[2], &s[3]), 4);
	a->ts_us = ts;
	a->family = 4;
	a->ip_proto = ip_proto;
	for (int i = 0; i < 4; i++) {
		a->src_ip[i] = (uint8_t)c[i];
		a->dst_ip[i] = (uint8_t)s[i];
	}
	a->src_port = 40000;
	a->dst_port = dport;
	a->severity = severity;
	a->signature_id = 4100101;
	snprintf(a->signature, sizeof(a->signature), "%s", signature);
	snprintf(a->category, sizeof(a->category), "Potentially Bad Traffic");
	alert_meta_add(a, "verdict", verdict);
	return a;
}

static struct mp_flow_record flow_mk(uint64_t ts, const char *client, const char *server, uint16_t dport,
				     const char *app, const char *verdict, const char *service, int severity,
				     uint64_t bytes)
{
	struct mp_flow_record f;
	unsigned c[4], s[4];

	memset(&f, 0, sizeof(f));
	cr_assert_eq(sscanf(client, "%u.%u.%u.%u", &c[0], &c[1], &c[2], &c[3]), 4);
	cr_assert_eq(sscanf(server, "%u.%u.%u.%u", &s[0], &s[1], &s[2], &s[3]), 4);
	f.first_us = ts;
	f.last_us = ts + 2000000;
	f.family = 4;
	f.ip_proto = 6;
	for (int i = 0; i < 4; i++) {
		f.src_ip[i] = (uint8_t)c[i];
		f.dst_ip[i] = (uint8_t)s[i];
	}
	f.src_port = 50000;
	f.dst_port = dport;
	f.pkts_toserver = 5;
	f.pkts_toclient = 5;
	f.bytes_toserver = bytes / 2;
	f.bytes_toclient = bytes - bytes / 2;
	snprintf(f.app_proto, sizeof(f.app_proto), "%s", app);
	snprintf(f.verdict, sizeof(f.verdict), "%s", verdict);
	snprintf(f.registered_service, sizeof(f.registered_service), "%s", service);
	f.severity = severity;
	return f;
}

struct sink {
	const struct output_module *m;
	void *state;
	char path[64];
};

static void sink_open(struct sink *s)
{
	char err[256];
	int fd;

	s->m = output_find("report");
	cr_assert_not_null(s->m, "the report module is registered");
	snprintf(s->path, sizeof(s->path), "/tmp/misport-report-XXXXXX");
	fd = mkstemp(s->path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(s->m->open(s->path, &s->state, err, sizeof(err)), 0, "%s", err);
}

static void emit_alert(struct sink *s, struct mp_alert *a)
{
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = a};

	cr_assert_eq(s->m->write(s->state, &ev), 0);
	free(a);
}

static void emit_flow(struct sink *s, const struct mp_flow_record *f)
{
	struct mp_event ev = {.type = MP_EV_FLOW, .u.flow = f};

	cr_assert_eq(s->m->write(s->state, &ev), 0);
}

/* Closes the sink (which writes the page) and returns the page; the caller frees it. */
static char *sink_close(struct sink *s)
{
	FILE *fp;
	long n;
	char *buf;

	s->m->close(s->state);
	fp = fopen(s->path, "r");
	cr_assert_not_null(fp);
	cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	cr_assert_gt(n, 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	unlink(s->path);
	return buf;
}

/* Copies the table row (<tr ... </tr>) that contains marker into out; false when there is none. */
static bool row_with(const char *html, const char *marker, char *out, size_t cap)
{
	const char *m = strstr(html, marker), *start, *end;

	if (m == NULL)
		return false;
	for (start = m; start > html && strncmp(start, "<tr", 3) != 0; start--)
		;
	end = strstr(m, "</tr>");
	if (end == NULL || (size_t)(end - start) >= cap)
		return false;
	memcpy(out, start, (size_t)(end - start));
	out[end - start] = '\0';
	return true;
}

/* The k-th (0-based) number cell (<td class="n">N) of a row, or -1. */
static long long nth_number(const char *row, int k)
{
	const char *p = row;

	for (int i = 0; i <= k; i++) {
		p = strstr(p, "<td class=\"n\"");
		if (p == NULL)
			return -1;
		p = strchr(p, '>') + 1;
	}
	return strtoll(p, NULL, 10);
}

static size_t count_of(const char *html, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(html, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The page must load nothing: no script, no external reference of any kind. */
static void assert_self_contained(const char *html)
{
	cr_assert_null(strstr(html, "<script"), "no script element");
	cr_assert_null(strstr(html, "src="), "no src attribute");
	cr_assert_null(strstr(html, "http://"), "no external URL");
	cr_assert_null(strstr(html, "https://"), "no external URL");
	cr_assert_null(strstr(html, "url("), "no CSS url()");
	cr_assert_null(strstr(html, "<link"), "no link element");
	cr_assert_null(strstr(html, "@import"), "no CSS import");
	cr_assert(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	cr_assert_not_null(strstr(html, "</html>\n"));
}

/* ---- the escaper --------------------------------------------------------------------------------------- */

Test(report, escaper_turns_markup_into_text)
{
	char *s = escape("<script>alert(\"x\")</script> & 'y'", 256, NULL);

	cr_assert_str_eq(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
	free(s);
	s = escape("plain text, caf\xc3\xa9 \xe2\x86\x92 ok\ttab\nline", 256, NULL);
	cr_assert_str_eq(s, "plain text, caf\xc3\xa9 \xe2\x86\x92 ok\ttab\nline");
	free(s);
}

Test(report, escaper_replaces_controls_and_invalid_utf8)
{
	/* C0 control, DEL, a lone continuation byte, an overlong '/', a surrogate, a C1 control, a cut
	 * sequence. */
	char *s = escape("a\x01"
			 "b\x7f"
			 "c\x80"
			 "d\xc0\xaf"
			 "e\xed\xa0\x80"
			 "f\xc2\x85"
			 "g\xe2\x86",
			 256, NULL);

	cr_assert_str_eq(s, "a\xef\xbf\xbd"
			    "b\xef\xbf\xbd"
			    "c\xef\xbf\xbd"
			    "d\xef\xbf\xbd\xef\xbf\xbd"
			    "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			    "f\xef\xbf\xbd"
			    "g\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
}

Test(report, escaper_never_cuts_an_entity)
{
	bool overflow = false;
	char *s = escape("ab&cd", 6, &overflow); /* "ab&amp;" needs 7 bytes + NUL */

	cr_assert(overflow);
	cr_assert_str_eq(s, "ab");
	free(s);
	s = escape("\xe2\x86\x92\xe2\x86\x92", 6, &overflow); /* two 3-byte characters, room for one */
	cr_assert(overflow);
	cr_assert_str_eq(s, "\xe2\x86\x92");
	free(s);
}

/* ---- the port-list parser ------------------------------------------------------------------------------ */

Test(report, port_lists_parse_ranges_and_transports)
{
	struct report_port_range r[8];
	size_t skipped = 99, n;

	n = report_parse_ports("22/tcp,80/tcp, 1-1024/TCP 53/udp;tcp/443 8080", REPORT_LANE_ANY, r, 8,
			       &skipped);
	cr_assert_eq(n, 6);
	cr_assert_eq(skipped, 0);
	cr_assert(r[0].lo == 22 && r[0].hi == 22 && r[0].lane == REPORT_LANE_TCP);
	cr_assert(r[2].lo == 1 && r[2].hi == 1024 && r[2].lane == REPORT_LANE_TCP);
	cr_assert(r[3].lo == 53 && r[3].lane == REPORT_LANE_UDP);
	cr_assert(r[4].lo == 443 && r[4].lane == REPORT_LANE_TCP);
	cr_assert(r[5].lo == 8080 && r[5].hi == 8080 && r[5].lane == REPORT_LANE_ANY);
}

Test(report, port_lists_skip_what_is_not_a_port)
{
	struct report_port_range r[2];
	size_t skipped = 0, n;

	n = report_parse_ports("70000, 5-3, abc, 22/sctp, -1, 7-, 65535/udp, 0, 9", REPORT_LANE_TCP, r, 2,
			       &skipped);
	cr_assert_eq(n, 2);
	cr_assert(r[0].lo == 65535 && r[0].lane == REPORT_LANE_UDP);
	cr_assert(r[1].lo == 0 && r[1].hi == 0 && r[1].lane == REPORT_LANE_TCP);
	cr_assert_eq(skipped, 7, "six bad tokens and one beyond cap (got %zu)", skipped);
	cr_assert_eq(report_parse_ports("", REPORT_LANE_TCP, r, 2, NULL), 0);
	cr_assert_eq(report_parse_ports(" , ;", REPORT_LANE_TCP, r, 2, NULL), 0);
}

/* ---- the page ------------------------------------------------------------------------------------------ */

Test(report, page_shows_counts_ports_chart_scanners_and_talkers)
{
	struct sink s;
	struct mp_alert *a;
	struct mp_flow_record f;
	struct mp_stats_record st;
	struct mp_event ev = {.type = MP_EV_STATS, .u.stats = &st};
	char row[4096], *html;

	sink_open(&s);
	/* Two HTTP-on-3098 alerts (one with a hostile signature), with their flows. */
	a = alert_new(T0 + 1000000, "10.0.0.1", "10.0.0.2", 3098, 6, "port-mismatch", 1,
		      "HTTP on 3098/tcp <script>alert(1)</script>");
	alert_meta_add(a, "observed_protocol", "HTTP");
	alert_meta_add(a, "registered_service", "umm-port");
	alert_meta_add(a, "registered_description", "Universal Message Manager");
	alert_meta_add(a, "explanation", "HTTP is registered on 80 & 8080, not on 3098");
	emit_alert(&s, a);
	a = alert_new(T0 + 5000000, "10.0.0.3", "10.0.0.2", 3098, 6, "port-mismatch", 1, "HTTP on 3098/tcp");
	alert_meta_add(a, "observed_protocol", "HTTP");
	alert_meta_add(a, "registered_service", "umm-port");
	emit_alert(&s, a);
	f = flow_mk(T0 + 1000000, "10.0.0.1", "10.0.0.2", 3098, "HTTP", "port-mismatch", "umm-port", 1, 9000);
	emit_flow(&s, &f);
	f = flow_mk(T0 + 5000000, "10.0.0.3", "10.0.0.2", 3098, "HTTP", "port-mismatch", "umm-port", 1, 1000);
	emit_flow(&s, &f);
	f = flow_mk(T0 + 6000000, "10.0.0.1", "10.0.0.2", 3098, "HTTP", "port-mismatch", "umm-port", 1, 500);
	emit_flow(&s, &f);
	/* A legacy-port alert with a suppression closing record for it. */
	a = alert_new(T0 + 20000000, "10.0.0.4", "10.0.0.5", 598, 6, "legacy-port", 2,
		      "SSH on legacy 598/tcp");
	alert_meta_add(a, "observed_protocol", "SSH");
	alert_meta_add(a, "registered_service", "sco-websrvrmg3");
	alert_meta_add(a, "legacy_reason", "historic SCO web server manager");
	emit_alert(&s, a);
	a = alert_new(T0 + 40000000, "10.0.0.4", "10.0.0.5", 598, 6, "legacy-port", 2,
		      "SSH on legacy 598/tcp");
	alert_meta_add(a, "record", "suppression-summary");
	alert_meta_add(a, "suppressed_count", "7");
	emit_alert(&s, a);
	/* A normal flow on 443 (a "match" row) and an unclassified one (no row). */
	f = flow_mk(T0 + 30000000, "10.0.0.6", "10.0.0.7", 443, "TLS", "match", "https", 0, 4000);
	emit_flow(&s, &f);
	f = flow_mk(T0 + 30000000, "10.0.0.6", "10.0.0.7", 5555, "Unknown", "", "", 0, 100);
	emit_flow(&s, &f);
	/* A scanner with a hostile scan type, port ranges and an open port, and one scan-noise flow. */
	a = alert_new(T0 + 50000000, "192.0.2.66", "10.0.0.2", 0, 6, "scan", 2,
		      "TCP SYN portscan from 192.0.2.66");
	alert_meta_add(a, "scan_type", "portscan<b>");
	alert_meta_add(a, "port_ranges", "1-1024/tcp,3306/tcp,5900-5910/tcp");
	alert_meta_add(a, "open_ports", "22/tcp");
	alert_meta_add(a, "targets", "1");
	alert_meta_add(a, "probes", "1036");
	emit_alert(&s, a);
	f = flow_mk(T0 + 50000000, "192.0.2.66", "10.0.0.2", 25, "Unknown", "scan-noise", "smtp", 0, 60);
	emit_flow(&s, &f);
	memset(&st, 0, sizeof(st));
	st.ts_us = T0 + 60000000;
	st.pkts = 4242;
	st.bytes = 1234567;
	st.flows_total = 77;
	cr_assert_eq(s.m->write(s.state, &ev), 0);
	html = sink_close(&s);

	assert_self_contained(html);
	cr_assert_not_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"),
			   "the hostile signature is text");
	cr_assert_not_null(strstr(html, "portscan&lt;b&gt;"));
	cr_assert_not_null(
	    strstr(html, "Capture time 2024-05-01 10:00:01.000 to 2024-05-01 10:01:00.000 UTC"));
	cr_assert_not_null(strstr(html, "<div id=\"total-packets\"><b>4242</b>packets</div>"));
	cr_assert_not_null(strstr(html, "<div id=\"total-flows\"><b>77</b>flows</div>"));
	cr_assert_not_null(strstr(html, "<div id=\"total-alerts\"><b>4</b>alerts</div>"));
	cr_assert_not_null(strstr(html, "<div id=\"total-suppressed\"><b>7</b>repeats suppressed</div>"));

	/* Verdict counts: alerts, suppressed repeats, flows. */
	cr_assert(row_with(html, "<tr data-verdict=\"port-mismatch\">", row, sizeof(row)));
	cr_assert(nth_number(row, 0) == 2 && nth_number(row, 1) == 0 && nth_number(row, 2) == 3, "%s", row);
	cr_assert(row_with(html, "<tr data-verdict=\"legacy-port\">", row, sizeof(row)));
	cr_assert(nth_number(row, 0) == 1 && nth_number(row, 1) == 7 && nth_number(row, 2) == 0, "%s", row);
	cr_assert(row_with(html, "<tr data-verdict=\"scan\">", row, sizeof(row)));
	cr_assert(nth_number(row, 0) == 1 && nth_number(row, 2) == 0, "%s", row);
	cr_assert(row_with(html, "<tr data-verdict=\"scan-noise\">", row, sizeof(row)));
	cr_assert(nth_number(row, 0) == 0 && nth_number(row, 2) == 1, "%s", row);
	cr_assert(row_with(html, "<tr data-verdict=\"unregistered-port\">", row, sizeof(row)),
		  "always listed");
	cr_assert(nth_number(row, 0) == 0);
	cr_assert(row_with(html, "<tr data-verdict=\"match\">", row, sizeof(row)));
	cr_assert_eq(nth_number(row, 2), 1);

	/* Port table: 3098 first (high), then 598 (medium), then 443 (none); nothing for 5555, 25 or the
	 * scan. */
	cr_assert(row_with(html, ">3098/tcp<", row, sizeof(row)));
	cr_assert_not_null(strstr(row, "class=\"sev-1\""), "%s", row);
	cr_assert_not_null(strstr(row, "umm-port"));
	cr_assert_not_null(strstr(row, "Universal Message Manager"));
	cr_assert_not_null(strstr(row, "HTTP <span class=\"small\">(3 flows)</span>"), "%s", row);
	cr_assert_not_null(strstr(row, "port-mismatch"));
	cr_assert_not_null(strstr(row, "80 &amp; 8080"));
	cr_assert_not_null(strstr(row, "HTTP on 3098/tcp &lt;script&gt;"), "the first alert's signature");
	cr_assert_not_null(strstr(row, ">high<"));
	cr_assert(nth_number(row, 0) == 2 && nth_number(row, 1) == 3, "%s", row);
	cr_assert(row_with(html, ">598/tcp<", row, sizeof(row)));
	cr_assert_not_null(strstr(row, "class=\"sev-2\""));
	cr_assert_not_null(strstr(row, "sco-websrvrmg3"));
	cr_assert_not_null(strstr(row, "SSH <span class=\"small\">(1 alert)</span>"), "%s", row);
	cr_assert_not_null(strstr(row, "+7 suppressed"));
	cr_assert_not_null(strstr(row, "historic SCO web server manager"));
	cr_assert(row_with(html, ">443/tcp<", row, sizeof(row)));
	cr_assert_not_null(strstr(row, "class=\"sev-0\""));
	cr_assert_not_null(strstr(row, ">none<"));
	cr_assert_null(strstr(html, ">5555/tcp<"));
	cr_assert_null(strstr(html, ">25/tcp<"));
	cr_assert_null(strstr(html, ">0/tcp<"));
	cr_assert(strstr(html, ">3098/tcp<") < strstr(html, ">598/tcp<"));
	cr_assert(strstr(html, ">598/tcp<") < strstr(html, ">443/tcp<"));

	/* Chart: an SVG with the bar width and a legend with the alert counts. */
	cr_assert_not_null(strstr(html, "<svg id=\"alert-chart\""));
	cr_assert_not_null(strstr(html, "one bar = 1.0 s"), "a 50 s span in bars of 1 s");
	cr_assert_not_null(strstr(html, "port-mismatch: 2 alerts</li>"));
	cr_assert_not_null(strstr(html, "scan: 1 alert</li>"));

	/* Scanner: address, picture of the port range with the probed ranges and the open port. */
	cr_assert_not_null(strstr(html, "<span class=\"mono\">192.0.2.66</span>"));
	cr_assert_not_null(strstr(html, "<title>probed 1-1024/tcp</title>"));
	cr_assert_not_null(strstr(html, "<title>probed 3306/tcp</title>"));
	cr_assert_not_null(strstr(html, "<title>open 22/tcp</title>"));
	cr_assert_not_null(strstr(html, "Probed: 1-1024/tcp, 3306/tcp, 5900-5910/tcp"));
	cr_assert_not_null(strstr(html, "<dt>probes</dt><dd>1036</dd>"));
	cr_assert_eq(count_of(html, "class=\"strip\""), 2, "the full range and the 0-1023 detail");

	/* Top talkers: 10.0.0.1 (9500 bytes, 2 flows) before 10.0.0.3. */
	cr_assert(row_with(html, "<td class=\"n\">1</td><td class=\"mono\">10.0.0.1<", row, sizeof(row)));
	cr_assert_not_null(strstr(row, "10.0.0.2:3098/tcp"));
	cr_assert_not_null(strstr(row, "title=\"9500 bytes\""));
	cr_assert_eq(nth_number(row, 2), 2);
	cr_assert(row_with(html, "<td class=\"n\">2</td><td class=\"mono\">10.0.0.3<", row, sizeof(row)));
	cr_assert_null(strstr(html, "10.0.0.6</td>"), "a match flow is no talker on a mismatched port");
	free(html);
}

Test(report, hostile_names_everywhere_are_escaped)
{
	static const char evil[] = "\"'><img onerror=x>&amp;\x01\xff";
	struct sink s;
	struct mp_alert *a;
	struct mp_flow_record f;
	char *html;

	sink_open(&s);
	a = alert_new(T0, "10.0.0.1", "10.0.0.2", 8080, 6, evil, 3, evil);
	alert_meta_add(a, "observed_protocol", evil);
	alert_meta_add(a, "registered_service", evil);
	alert_meta_add(a, "registered_description", evil);
	alert_meta_add(a, "explanation", evil);
	emit_alert(&s, a);
	a = alert_new(T0, "10.0.0.9", "10.0.0.2", 0, 17, "scan", 3, evil);
	alert_meta_add(a, "scan_type", evil);
	alert_meta_add(a, evil, evil);
	alert_meta_add(a, "ports", "53/udp,<x>,161");
	emit_alert(&s, a);
	f = flow_mk(T0, "10.0.0.1", "10.0.0.2", 8081, evil, "port-mismatch", evil, 1, 10);
	emit_flow(&s, &f);
	html = sink_close(&s);

	assert_self_contained(html);
	cr_assert_null(strstr(html, "<img"));
	cr_assert_null(strstr(html, "\x01"));
	cr_assert_null(strstr(html, "\xff"));
	cr_assert_gt(count_of(html, "&quot;&#39;&gt;&lt;img onerror=x&gt;&amp;amp;\xef\xbf\xbd\xef\xbf\xbd"),
		     8);
	cr_assert_not_null(strstr(html, "<tr data-verdict=\"&quot;&#39;&gt;&lt;img"), "the verdict name too");
	cr_assert_not_null(strstr(html, "<title>probed 53/udp</title>"));
	cr_assert_not_null(strstr(html, "<title>probed 161/udp</title>"), "transport from the alert");
	free(html);
}

Test(report, empty_page_is_complete)
{
	struct sink s;
	char *html;

	sink_open(&s);
	html = sink_close(&s);
	assert_self_contained(html);
	cr_assert_not_null(strstr(html, "No events were received."));
	cr_assert_not_null(strstr(html, "No server port received a verdict."));
	cr_assert_not_null(strstr(html, "<p>No alerts.</p>"));
	cr_assert_not_null(strstr(html, "No scanner was reported."));
	cr_assert_not_null(strstr(html, "No flow on a mismatched port"));
	cr_assert_not_null(strstr(html, "<tr data-verdict=\"port-mismatch\">"));
	free(html);
}

Test(report, tables_stay_within_their_bounds)
{
	struct sink s;
	struct mp_flow_record f;
	char *html, *chart, *chart_end, row[4096];
	const unsigned ports = MP_REPORT_MAX_PORTS + 10, talkers = MP_REPORT_MAX_TALKERS + 500;

	sink_open(&s);
	/* More ports than the table keeps, spread over about a day. */
	for (unsigned i = 0; i < ports; i++) {
		struct mp_alert *a = alert_new(T0 + (uint64_t)i * 40000000u, "10.0.0.1", "10.0.0.2",
					       (uint16_t)(10000 + i), 6, "unregistered-port", 2, "x");

		emit_alert(&s, a);
	}
	/* More talkers than tracked: small ones first, then one big talker that must still come out on
	 * top. */
	for (unsigned i = 0; i < talkers; i++) {
		char client[32];

		snprintf(client, sizeof(client), "10.%u.%u.%u", i >> 16 & 255, i >> 8 & 255, i & 255);
		f = flow_mk(T0, client, "10.9.9.9", 3098, "HTTP", "port-mismatch", "umm-port", 1,
			    100 + i % 7);
		emit_flow(&s, &f);
	}
	f = flow_mk(T0, "10.200.0.1", "10.9.9.9", 3098, "HTTP", "port-mismatch", "umm-port", 1, 5000000);
	emit_flow(&s, &f);
	html = sink_close(&s);

	assert_self_contained(html);
	cr_assert_eq(count_of(html, "<tr class=\"sev-"), MP_REPORT_MAX_PORTS);
	snprintf(row, sizeof(row), "10 alerts and %u flows on further ports are not listed", talkers + 1);
	cr_assert_not_null(strstr(html, row), "%s", row);
	cr_assert(row_with(html, "<tr data-verdict=\"unregistered-port\">", row, sizeof(row)));
	cr_assert_eq(nth_number(row, 0), ports, "every alert is counted");
	/* The chart: at most MP_REPORT_TIME_BUCKETS bars, one rect per bar here. */
	chart = strstr(html, "<svg id=\"alert-chart\"");
	cr_assert_not_null(chart);
	chart_end = strstr(chart, "</svg>");
	*chart_end = '\0';
	cr_assert_leq(count_of(chart, "<rect"), MP_REPORT_TIME_BUCKETS);
	cr_assert_geq(count_of(chart, "<rect"), MP_REPORT_TIME_BUCKETS / 5);
	cr_assert_not_null(strstr(chart, "one bar = 20 min 0 s"), "a day in bars of 20 min");
	*chart_end = '<';
	/* Talkers: the big one first, marked as a bound; the note says keys were replaced. */
	cr_assert(row_with(html, "<td class=\"n\">1</td><td class=\"mono\">10.200.0.1<", row, sizeof(row)),
		  "top");
	cr_assert_not_null(strstr(row, "at most 5.0 MB"), "%s", row);
	cr_assert_eq(count_of(strstr(html, "<table id=\"talker-table\">"), "<tr><td class=\"n\">"),
		     MP_REPORT_TOP_TALKERS);
	cr_assert_not_null(strstr(html, "figures marked \"at most\" are upper bounds"));
	free(html);
}

Test(report, unwritable_target_is_refused)
{
	const struct output_module *m = output_find("report");
	void *state = NULL;
	char err[256] = "";

	cr_assert_not_null(m);
	cr_assert_eq(m->open("/nonexistent-dir/x/report.html", &state, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "report: /nonexistent-dir/x/report.html"), "%s", err);
}

Test(report, ipv6_servers_are_bracketed)
{
	struct sink s;
	struct mp_flow_record f =
	    flow_mk(T0, "10.0.0.1", "10.0.0.2", 8443, "SSH", "port-mismatch", "pcsync-https", 2, 300);
	char *html;

	f.family = 6;
	memset(f.src_ip, 0, sizeof(f.src_ip));
	memset(f.dst_ip, 0, sizeof(f.dst_ip));
	f.src_ip[0] = 0x20, f.src_ip[1] = 0x01, f.src_ip[2] = 0x0d, f.src_ip[3] = 0xb8, f.src_ip[15] = 1;
	f.dst_ip[0] = 0x20, f.dst_ip[1] = 0x01, f.dst_ip[2] = 0x0d, f.dst_ip[3] = 0xb8, f.dst_ip[15] = 2;
	sink_open(&s);
	emit_flow(&s, &f);
	html = sink_close(&s);
	cr_assert_not_null(strstr(
	    html, "<td class=\"mono\">2001:db8::1</td><td class=\"mono\">[2001:db8::2]:8443/tcp</td>"));
	cr_assert_not_null(strstr(html, ">8443/tcp<"));
	cr_assert_not_null(strstr(html, "SSH <span class=\"small\">(1 flow)</span>"));
	free(html);
}
