/* test_cef.c: CEF escaping of hostile values, checked by round-tripping records through a CEF parser
 * written here from the specification (not from the producer), and the record layout. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "misport/cef.h"
#include "misport/output.h"
#include "misport/textesc.h"

/* ---- an independent CEF parser ------------------------------------------------------------------- */

#define P_MAX_EXT 64

struct parsed {
	char header[7]
		   [1024]; /* Version (with "CEF:"), Vendor, Product, Version, SignatureID, Name, Severity */
	size_t n_ext;
	char key[P_MAX_EXT][64];
	char value[P_MAX_EXT][2048];
};

/* Parses one CEF record; returns 0 or -1 on a syntax error. Header: seven '|'-terminated fields where
 * "\|" and "\\" are escapes. Extension: key=value pairs; a value runs to the blank before the next
 * unescaped '=' preceded by a key; "\=", "\\", "\n", "\r" are escapes. */
static int cef_parse(const char *line, struct parsed *p)
{
	const char *s = line;
	size_t eqs[P_MAX_EXT], neq = 0, len;
	const char *ext;

	memset(p, 0, sizeof(*p));
	for (int f = 0; f < 7; f++) {
		size_t o = 0;

		for (;;) {
			if (*s == '\0')
				return -1;
			if (*s == '\\') {
				if (s[1] != '\\' && s[1] != '|')
					return -1; /* only \\ and \| exist in the header */
				p->header[f][o++] = s[1];
				s += 2;
				continue;
			}
			if (*s == '|') {
				s++;
				break;
			}
			if (*s == '\n' || *s == '\r')
				return -1;
			p->header[f][o++] = *s++;
			if (o >= sizeof(p->header[f]) - 1)
				return -1;
		}
	}
	if (strncmp(p->header[0], "CEF:", 4) != 0)
		return -1;
	ext = s;
	len = strlen(ext);
	/* Every unescaped '=' ends a key. */
	for (size_t i = 0; i < len; i++) {
		if (ext[i] == '\\') {
			i++;
			continue;
		}
		if (ext[i] == '=') {
			if (neq >= P_MAX_EXT)
				return -1;
			eqs[neq++] = i;
		}
		if (ext[i] == '\n' || ext[i] == '\r')
			return -1; /* raw line breaks are not allowed */
	}
	for (size_t k = 0; k < neq; k++) {
		size_t ks = eqs[k], ve, o = 0;

		while (ks > 0 && ext[ks - 1] != ' ')
			ks--;
		if (eqs[k] - ks == 0 || eqs[k] - ks >= sizeof(p->key[0]))
			return -1;
		for (size_t i = ks; i < eqs[k]; i++)
			if (!((ext[i] >= 'a' && ext[i] <= 'z') || (ext[i] >= 'A' && ext[i] <= 'Z') ||
			      (ext[i] >= '0' && ext[i] <= '9')))
				return -1;
		memcpy(p->key[k], ext + ks, eqs[k] - ks);
		if (k + 1 < neq) {
			ve = eqs[k + 1];
			while (ve > 0 && ext[ve - 1] != ' ')
				ve--;
			if (ve == 0 || ve <= eqs[k])
				return -1;
			ve--; /* the separating blank */
		} else {
			ve = len;
		}
		for (size_t i = eqs[k] + 1; i < ve; i++) {
			if (ext[i] == '\\') {
				char c = ext[++i];

				if (c == 'n')
					p->value[k][o++] = '\n';
				else if (c == 'r')
					p->value[k][o++] = '\r';
				else if (c == '\\' || c == '=')
					p->value[k][o++] = c;
				else
					return -1;
			} else {
				p->value[k][o++] = ext[i];
			}
			if (o >= sizeof(p->value[k]) - 1)
				return -1;
		}
	}
	p->n_ext = neq;
	return 0;
}

static const char *ext_get(const struct parsed *p, const char *key)
{
	for (size_t i = 0; i < p->n_ext; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->value[i];
	return NULL;
}

/* ---- escapers -------------------------------------------------------------------------------------- */

static const char *hdr(const char *s)
{
	static char buf[512];
	struct sbuf b;

	sb_init(&b, buf, sizeof(buf));
	sb_cef_header(&b, s);
	cr_assert_not(b.overflow);
	return buf;
}

static const char *extv(const char *s)
{
	static char buf[512];
	struct sbuf b;

	sb_init(&b, buf, sizeof(buf));
	sb_cef_ext(&b, s);
	cr_assert_not(b.overflow);
	return buf;
}

Test(cef, header_escaping)
{
	cr_assert_str_eq(hdr("a|b\\c"), "a\\|b\\\\c");
	cr_assert_str_eq(hdr("x=y"), "x=y", "'=' is not special in the header");
	cr_assert_str_eq(hdr("l1\nl2\rl3"), "l1 l2 l3", "no line breaks in the header");
	cr_assert_str_eq(hdr("\\|"), "\\\\\\|");
}

Test(cef, extension_escaping)
{
	cr_assert_str_eq(extv("a=b\\c"), "a\\=b\\\\c");
	cr_assert_str_eq(extv("p|q"), "p|q", "'|' needs no escape in the extension");
	cr_assert_str_eq(extv("l1\nl2\r\n"), "l1\\nl2\\r\\n");
	cr_assert_str_eq(extv("tab\there\x01"), "tab here ");
	cr_assert_str_eq(extv("\\n"), "\\\\n", "a literal backslash-n stays distinguishable");
}

Test(cef, invalid_utf8_is_replaced)
{
	cr_assert_str_eq(extv("a\xff"
			      "b"),
			 "a\xef\xbf\xbd"
			 "b");
	cr_assert_str_eq(hdr("\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
}

Test(cef, truncation_never_splits_an_escape)
{
	char buf[6];
	struct sbuf b;

	sb_init(&b, buf, sizeof(buf));
	sb_cef_ext(&b, "abcd=");
	cr_assert(b.overflow);
	cr_assert_str_eq(buf, "abcd", "the two-byte escape did not fit and was left out whole");
}

/* ---- records ------------------------------------------------------------------------------------- */

static void sample_alert(struct mp_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->ts_us = 1700000000123456ull;
	a->flow_id = 987654321;
	a->family = 4;
	a->ip_proto = 6;
	inet_pton(AF_INET, "10.0.0.1", a->src_ip);
	inet_pton(AF_INET, "192.0.2.7", a->dst_ip);
	a->src_port = 40000;
	a->dst_port = 3098;
	snprintf(a->app_proto, sizeof(a->app_proto), "HTTP");
	a->signature_id = 1000001;
	a->severity = 1;
}

static const char *const hostile[] = {
    "plain",
    "a=b",
    "back\\slash",
    "pipe|in|value",
    "new\nline and\r\ncrlf",
    "ends with backslash\\",
    "=leading equals",
    " key=fake",
    "\\=\\|\\n",
    "x y z=",
};

Test(cef, alert_round_trips_hostile_values)
{
	for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
		struct mp_alert a;
		struct mp_event ev = {.type = MP_EV_ALERT};
		struct parsed p;
		char line[8192];
		int n;

		sample_alert(&a);
		snprintf(a.signature, sizeof(a.signature), "sig %s", hostile[h]);
		snprintf(a.category, sizeof(a.category), "%s", hostile[h]);
		alert_meta_add(&a, "verdict", hostile[h]);
		alert_meta_add(&a, "registered_service", hostile[h]);
		alert_meta_add(&a, "explanation", hostile[h]);
		ev.u.alert = &a;
		n = cef_format(&ev, "sensor|1", line, sizeof(line));
		cr_assert_gt(n, 0);
		cr_assert_eq((size_t)n, strlen(line));
		cr_assert_null(strchr(line, '\n'), "value %zu: a raw newline in %s", h, line);
		cr_assert_eq(cef_parse(line, &p), 0, "value %zu does not parse: %s", h, line);
		cr_assert_str_eq(p.header[0], "CEF:0");
		cr_assert_str_eq(p.header[1], "misport");
		cr_assert_str_eq(p.header[2], "misport");
		cr_assert_str_eq(p.header[4], "1000001");
		/* The header cannot carry line breaks: they become blanks. */
		{
			char want[300];

			snprintf(want, sizeof(want), "sig %s", hostile[h]);
			for (char *c = want; *c != '\0'; c++)
				if (*c == '\n' || *c == '\r')
					*c = ' ';
			cr_assert_str_eq(p.header[5], want, "value %zu", h);
		}
		cr_assert_str_eq(p.header[6], "8");
		cr_assert_str_eq(ext_get(&p, "cat"), hostile[h], "value %zu: %s", h, line);
		cr_assert_str_eq(ext_get(&p, "cs1Label"), "registeredService");
		cr_assert_str_eq(ext_get(&p, "cs1"), hostile[h]);
		cr_assert_str_eq(ext_get(&p, "cs2Label"), "verdict");
		cr_assert_str_eq(ext_get(&p, "cs2"), hostile[h]);
		cr_assert_str_eq(ext_get(&p, "cs3Label"), "explanation");
		cr_assert_str_eq(ext_get(&p, "cs3"), hostile[h]);
		cr_assert_str_eq(ext_get(&p, "msg"), hostile[h], "msg is the explanation");
		cr_assert_str_eq(ext_get(&p, "dvchost"), "sensor|1");
		cr_assert_str_eq(ext_get(&p, "src"), "10.0.0.1");
		cr_assert_str_eq(ext_get(&p, "dst"), "192.0.2.7");
		cr_assert_str_eq(ext_get(&p, "spt"), "40000");
		cr_assert_str_eq(ext_get(&p, "dpt"), "3098");
		cr_assert_str_eq(ext_get(&p, "proto"), "TCP");
		cr_assert_str_eq(ext_get(&p, "app"), "HTTP");
		cr_assert_str_eq(ext_get(&p, "rt"), "1700000000123");
		cr_assert_str_eq(ext_get(&p, "cs5Label"), "flowId");
		cr_assert_str_eq(ext_get(&p, "cs5"), "987654321");
		cr_assert_str_eq(ext_get(&p, "cs4"), "HTTP");
	}
}

Test(cef, absent_metadata_leaves_out_the_custom_strings)
{
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT};
	struct parsed p;
	char line[4096];

	sample_alert(&a);
	snprintf(a.signature, sizeof(a.signature), "HTTP on 3098/tcp");
	a.severity = 3;
	ev.u.alert = &a;
	cr_assert_gt(cef_format(&ev, NULL, line, sizeof(line)), 0);
	cr_assert_eq(cef_parse(line, &p), 0);
	cr_assert_null(ext_get(&p, "cs1"));
	cr_assert_null(ext_get(&p, "cs1Label"));
	cr_assert_null(ext_get(&p, "cs6Label"));
	cr_assert_null(ext_get(&p, "dvchost"));
	cr_assert_str_eq(ext_get(&p, "msg"), "HTTP on 3098/tcp", "msg falls back to the signature");
	cr_assert_str_eq(p.header[6], "3");
	cr_assert_null(ext_get(&p, "flexString1"), "no Community ID, no flexString1");
	/* A flow's Community ID travels in flexString1, labelled. */
	memcpy(a.community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", CID_STRLEN);
	cr_assert_gt(cef_format(&ev, NULL, line, sizeof(line)), 0);
	cr_assert_eq(cef_parse(line, &p), 0);
	cr_assert_str_eq(ext_get(&p, "flexString1Label"), "communityId");
	cr_assert_str_eq(ext_get(&p, "flexString1"), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "%s", line);
}

Test(cef, severity_mapping)
{
	cr_assert_eq(cef_severity(1), 8);
	cr_assert_eq(cef_severity(2), 5);
	cr_assert_eq(cef_severity(3), 3);
	cr_assert_eq(cef_severity(0), 0);
	cr_assert_eq(cef_severity(9), 0);
}

Test(cef, ipv6_flow_and_stats)
{
	struct mp_flow_record f;
	struct mp_stats_record st;
	struct mp_event ev = {.type = MP_EV_FLOW};
	struct parsed p;
	char line[4096];

	memset(&f, 0, sizeof(f));
	f.flow_id = 42;
	f.family = 6;
	f.ip_proto = 17;
	inet_pton(AF_INET6, "2001:db8::1", f.src_ip);
	inet_pton(AF_INET6, "2001:db8::2", f.dst_ip);
	f.src_port = 5353;
	f.dst_port = 53;
	f.first_us = 1000000;
	f.last_us = 3000000;
	f.bytes_toserver = 10;
	f.bytes_toclient = 20;
	snprintf(f.app_proto, sizeof(f.app_proto), "DNS");
	ev.u.flow = &f;
	cr_assert_gt(cef_format(&ev, "h", line, sizeof(line)), 0);
	cr_assert_eq(cef_parse(line, &p), 0, "%s", line);
	cr_assert_str_eq(p.header[4], "flow");
	cr_assert_str_eq(ext_get(&p, "src"), "2001:db8::1");
	cr_assert_str_eq(ext_get(&p, "out"), "10");
	cr_assert_str_eq(ext_get(&p, "in"), "20");
	cr_assert_str_eq(ext_get(&p, "start"), "1000");
	cr_assert_str_eq(ext_get(&p, "cs5"), "42");
	memset(&st, 0, sizeof(st));
	ev.type = MP_EV_STATS;
	ev.u.stats = &st;
	cr_assert_eq(cef_format(&ev, "h", line, sizeof(line)), 0, "stats have no CEF form");
}

Test(cef, too_small_a_buffer_fails)
{
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT};
	char line[64];

	sample_alert(&a);
	snprintf(a.signature, sizeof(a.signature),
		 "a long signature that does not fit in sixty-four bytes at all");
	ev.u.alert = &a;
	cr_assert_eq(cef_format(&ev, NULL, line, sizeof(line)), -1);
}
