/* fuzz_textesc.c: libFuzzer target for the SIEM escapers (src/output/textesc.c, cef.c, syslog.c): what the
 * CEF header/extension and RFC 5424 PARAM-VALUE escapers, cef_format and rfc5424_sd_element write,
 * independent parsers read back to the expected value (control characters as documented, invalid UTF-8 as
 * U+FFFD); no record holds a raw line break; a too-small buffer yields a prefix that ends between escape
 * units. Input: byte 0 drives options, then NUL-separated strings. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "misport/alert.h"
#include "misport/cef.h"
#include "misport/event.h"
#include "misport/rfc5424.h"
#include "misport/textesc.h"
#include "utf8_oracle.h"

#define MAX_IN  8192
#define NFIELDS 16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

enum kind { K_CEF_HEADER, K_CEF_EXT, K_SD_PARAM };

/* The value a reader must get back: the documented replacements (a control character becomes a space, except
 * LF and CR in a CEF extension, which survive as escapes), and U+FFFD per byte that starts no valid
 * sequence. */
static size_t expected(enum kind k, const char *s, uint8_t *out)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n = strlen(s), i = 0, o = 0;

	while (i < n) {
		if (u[i] < 0x80) {
			bool ctl = u[i] < 0x20 || u[i] == 0x7f;

			if (ctl && !(k == K_CEF_EXT && (u[i] == '\n' || u[i] == '\r')))
				out[o++] = ' ';
			else
				out[o++] = u[i];
			i++;
			continue;
		}
		{
			size_t l = oracle_utf8_len(u + i, n - i);

			if (l == 0) {
				memcpy(out + o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			} else {
				memcpy(out + o, u + i, l);
				o += l;
				i += l;
			}
		}
	}
	return o;
}

/* Reads back escaped text t[0..n) of kind k into out; stops at an unescaped stop byte (or n) and returns the
 * position there, or (size_t)-1 when the text breaks the format (an escape the writer never makes, a raw byte
 * that must be escaped, a cut escape, invalid UTF-8). */
static size_t unescape(enum kind k, const char *t, size_t n, uint8_t stop, uint8_t *out, size_t *olen)
{
	const uint8_t *u = (const uint8_t *)t;
	size_t i = 0;

	*olen = 0;
	while (i < n && u[i] != stop) {
		uint8_t c = u[i];

		if (c == '\\') {
			uint8_t e;

			if (i + 1 >= n)
				return (size_t)-1;
			e = u[i + 1];
			if (k == K_CEF_HEADER && (e == '\\' || e == '|'))
				out[(*olen)++] = e;
			else if (k == K_CEF_EXT && (e == '\\' || e == '='))
				out[(*olen)++] = e;
			else if (k == K_CEF_EXT && (e == 'n' || e == 'r'))
				out[(*olen)++] = e == 'n' ? '\n' : '\r';
			else if (k == K_SD_PARAM && (e == '"' || e == '\\' || e == ']'))
				out[(*olen)++] = e;
			else
				return (size_t)-1;
			i += 2;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return (size_t)-1; /* raw control characters never appear */
		if ((k == K_CEF_HEADER && c == '|') || (k == K_CEF_EXT && c == '=') ||
		    (k == K_SD_PARAM && (c == '"' || c == ']')))
			return (size_t)-1;
		{
			size_t l = oracle_utf8_len(u + i, n - i);

			if (l == 0)
				return (size_t)-1;
			memcpy(out + *olen, u + i, l);
			*olen += l;
			i += l;
		}
	}
	return i;
}

static void (*const escaper[])(struct sbuf *, const char *) = {sb_cef_header, sb_cef_ext, sb_sd_param};

/* One escaper: full round trip, then a buffer of every smaller size gives a clean prefix. */
static void check_escaper(enum kind k, const char *s, uint8_t *scratch, uint8_t *scratch2, char *buf,
			  size_t cap)
{
	struct sbuf b;
	size_t elen, olen, pos, full_len;

	sb_init(&b, buf, cap);
	escaper[k](&b, s);
	FUZZ_CHECK(!b.overflow && strlen(buf) == b.len, "escaper %d overflowed %zu bytes", (int)k, cap);
	full_len = b.len;
	elen = expected(k, s, scratch);
	pos = unescape(k, buf, b.len, 0, scratch2, &olen);
	FUZZ_CHECK(pos == b.len, "escaper %d wrote text its reader refuses: %s", (int)k, buf);
	FUZZ_CHECK(olen == elen && memcmp(scratch, scratch2, elen) == 0, "escaper %d round trip differs: %s",
		   (int)k, buf);
	/* Small buffers (a few sizes): prefix of the full text, readable, overflow set. */
	for (size_t scap = 1; scap <= full_len; scap += 1 + full_len / 7) {
		char *small = malloc(scap + 1);

		if (small == NULL)
			return;
		small[scap] = 'Z';
		sb_init(&b, small, scap);
		escaper[k](&b, s);
		FUZZ_CHECK(small[scap] == 'Z', "escaper %d wrote past cap", (int)k);
		FUZZ_CHECK(b.overflow && b.len < scap && strlen(small) == b.len, "escaper %d small buffer",
			   (int)k);
		FUZZ_CHECK(memcmp(small, buf, b.len) == 0, "escaper %d: cut text is not a prefix", (int)k);
		pos = unescape(k, small, b.len, 0, scratch2, &olen);
		FUZZ_CHECK(pos == b.len, "escaper %d: cut inside an escape or a character: %s", (int)k,
			   small);
		free(small);
	}
}

static void check_token(const char *s, size_t maxlen, bool sd_name, char *buf, size_t cap)
{
	struct sbuf b;
	size_t want = strlen(s);

	sb_init(&b, buf, cap);
	sb_syslog_token(&b, s, maxlen, sd_name);
	if (want == 0)
		want = 1; /* "-" */
	else if (want > maxlen)
		want = maxlen;
	FUZZ_CHECK(b.len == want, "token of %zu bytes for input of %zu (max %zu)", b.len, strlen(s), maxlen);
	for (size_t i = 0; i < b.len; i++) {
		uint8_t c = (uint8_t)buf[i];

		FUZZ_CHECK(c >= 33 && c <= 126, "byte %02x in a token", c);
		if (sd_name)
			FUZZ_CHECK(c != '=' && c != ']' && c != '"', "'%c' in an SD-NAME", c);
	}
}

/* Splits the CEF extension into key=value pairs and returns the decoded value of key (first occurrence), or
 * false when absent. Fails the run when the extension does not parse. */
static bool cef_ext_get(const char *ext, const char *key, uint8_t *val, size_t *vlen)
{
	size_t n = strlen(ext), i = 0;
	bool found = false;

	while (i < n) {
		size_t ks = i, ke, vs, ve, pos, olen;
		uint8_t tmp[MAX_IN * 3 + 64];

		while (i < n && ext[i] != '=')
			i++;
		FUZZ_CHECK(i < n && i > ks, "extension without key=value at %zu: %s", ks, ext);
		ke = i;
		for (size_t q = ks; q < ke; q++)
			FUZZ_CHECK((ext[q] >= 'a' && ext[q] <= 'z') || (ext[q] >= 'A' && ext[q] <= 'Z') ||
				       (ext[q] >= '0' && ext[q] <= '9'),
				   "bad key character in %s", ext);
		vs = ke + 1;
		/* The value runs to the space before the next key, whose '=' is the next unescaped one. */
		pos = unescape(K_CEF_EXT, ext + vs, n - vs, 0, tmp, &olen);
		if (pos == (size_t)-1) {
			size_t q = vs, eq = (size_t)-1;

			while (q < n) {
				if (ext[q] == '\\') {
					q += 2;
					continue;
				}
				if (ext[q] == '=') {
					eq = q;
					break;
				}
				q++;
			}
			FUZZ_CHECK(eq != (size_t)-1, "extension value does not parse: %s", ext + vs);
			ve = eq;
			while (ve > vs && ext[ve - 1] != ' ')
				ve--;
			FUZZ_CHECK(ve > vs, "no space before the next key in %s", ext + vs);
			ve--; /* the separating space */
			pos = unescape(K_CEF_EXT, ext + vs, ve - vs, 0, tmp, &olen);
			FUZZ_CHECK(pos == ve - vs, "extension value does not parse: %.*s", (int)(ve - vs),
				   ext + vs);
			i = ve + 1;
		} else {
			ve = n;
			i = n;
		}
		if (!found && ke - ks == strlen(key) && memcmp(ext + ks, key, ke - ks) == 0) {
			memcpy(val, tmp, olen);
			*vlen = olen;
			found = true;
		}
	}
	return found;
}

static void expect_ext(const char *ext, const char *key, const char *value)
{
	static uint8_t got[MAX_IN * 3 + 64], want[MAX_IN * 3 + 64];
	size_t glen = 0, wlen;
	bool present = cef_ext_get(ext, key, got, &glen);

	if (value == NULL || value[0] == '\0') {
		FUZZ_CHECK(!present, "%s present for an empty value", key);
		return;
	}
	FUZZ_CHECK(present, "%s missing from %s", key, ext);
	wlen = expected(K_CEF_EXT, value, want);
	FUZZ_CHECK(glen == wlen && memcmp(got, want, wlen) == 0, "%s read back differently from %s", key,
		   ext);
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void check_cef(const char *const *f, uint8_t opt, char *buf, size_t cap)
{
	static struct mp_alert a;
	static uint8_t got[MAX_IN * 3 + 64], want[MAX_IN * 3 + 64];
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};
	const char *p, *dvchost = (opt & 2) ? f[7] : NULL;
	const char *expl, *obs;
	size_t glen, wlen, pos;
	int len;

	memset(&a, 0, sizeof(a));
	a.ts_us = 1700000000123456ull;
	a.flow_id = opt;
	a.family = (opt & 4) ? 6 : 4;
	a.ip_proto = (opt & 8) ? 17 : 6;
	a.src_port = 1234;
	a.dst_port = 80;
	a.severity = opt % 5;
	a.signature_id = 1000u + opt;
	copy_field(a.signature, sizeof(a.signature), f[0]);
	copy_field(a.app_proto, sizeof(a.app_proto), f[1]);
	copy_field(a.category, sizeof(a.category), f[2]);
	(void)alert_meta_add(&a, "explanation", f[3]);
	(void)alert_meta_add(&a, "verdict", f[4]);
	(void)alert_meta_add(&a, "registered_service", f[5]);
	(void)alert_meta_add(&a, "legacy_reason", f[6]);
	len = cef_format(&ev, dvchost, buf, cap);
	FUZZ_CHECK(len > 0 && (size_t)len == strlen(buf), "cef_format returned %d", len);
	for (int i = 0; i < len; i++)
		FUZZ_CHECK(buf[i] != '\n' && buf[i] != '\r', "raw line break in a CEF record");
	FUZZ_CHECK(strncmp(buf, "CEF:0|", 6) == 0, "no CEF:0 prefix");
	p = buf + 6;
	/* Vendor, product, version, signature id, name, severity: six header fields. */
	for (int field = 0; field < 6; field++) {
		pos = unescape(K_CEF_HEADER, p, strlen(p), '|', got, &glen);
		FUZZ_CHECK(pos != (size_t)-1 && p[pos] == '|', "header field %d does not parse: %s", field,
			   buf);
		if (field == 4) {
			wlen = expected(K_CEF_HEADER, a.signature, want);
			FUZZ_CHECK(glen == wlen && memcmp(got, want, wlen) == 0,
				   "name read back differently: %s", buf);
		}
		p += pos + 1;
	}
	expl = alert_meta_get(&a, "explanation");
	obs = a.app_proto;
	expect_ext(p, "app", a.app_proto);
	expect_ext(p, "cat", a.category);
	expect_ext(p, "msg", expl != NULL && expl[0] != '\0' ? expl : a.signature);
	expect_ext(p, "dvchost", dvchost);
	expect_ext(p, "cs1", alert_meta_get(&a, "registered_service"));
	expect_ext(p, "cs2", alert_meta_get(&a, "verdict"));
	expect_ext(p, "cs3", expl);
	expect_ext(p, "cs4", obs);
	expect_ext(p, "cs6", alert_meta_get(&a, "legacy_reason"));
	/* Too small: refused as a whole. */
	{
		size_t scap = (size_t)len;
		char *small = malloc(scap);

		if (small != NULL) {
			FUZZ_CHECK(cef_format(&ev, dvchost, small, scap) == -1,
				   "record did not fit but was accepted");
			free(small);
		}
	}
}

static void check_sd(const char *const *f, size_t nf, uint8_t opt, char *buf, size_t cap)
{
	static uint8_t got[MAX_IN * 3 + 64], want[MAX_IN * 3 + 64];
	const char *names[4], *values[4];
	size_t n = 0, i = 0, len;
	struct sbuf b;

	for (size_t k = 9; k + 1 < nf && n < 4; k += 2) {
		names[n] = f[k];
		values[n] = (opt >> n & 1) ? NULL : f[k + 1];
		n++;
	}
	sb_init(&b, buf, cap);
	rfc5424_sd_element(&b, f[8], names, values, n);
	FUZZ_CHECK(!b.overflow, "SD element overflowed");
	len = b.len;
	FUZZ_CHECK(len >= 3 && buf[0] == '[' && buf[len - 1] == ']', "not an SD-ELEMENT: %s", buf);
	i = 1;
	/* SD-ID, then ( SP PARAM-NAME "=" %d34 PARAM-VALUE %d34 )* (RFC 5424 section 6.3). */
	{
		size_t s0 = i;

		while (i < len && buf[i] != ' ' && buf[i] != ']')
			i++;
		FUZZ_CHECK(i > s0 && i - s0 <= 32, "SD-ID of %zu bytes", i - s0);
	}
	for (size_t k = 0; k < n; k++) {
		size_t s0, pos, glen, wlen;

		if (values[k] == NULL)
			continue;
		FUZZ_CHECK(buf[i] == ' ', "no space before a parameter: %s", buf);
		s0 = ++i;
		while (i < len && buf[i] != '=')
			i++;
		FUZZ_CHECK(i > s0 && i - s0 <= 32 && i + 1 < len && buf[i + 1] == '"', "bad PARAM-NAME: %s",
			   buf);
		i += 2;
		pos = unescape(K_SD_PARAM, buf + i, len - i, '"', got, &glen);
		FUZZ_CHECK(pos != (size_t)-1 && buf[i + pos] == '"', "PARAM-VALUE does not parse: %s", buf);
		wlen = expected(K_SD_PARAM, values[k], want);
		FUZZ_CHECK(glen == wlen && memcmp(got, want, wlen) == 0,
			   "PARAM-VALUE read back differently: %s", buf);
		i += pos + 1;
	}
	FUZZ_CHECK(i == len - 1, "trailing bytes in %s", buf);
}

static void check_header(const char *const *f, uint8_t opt, char *buf, size_t cap)
{
	struct rfc5424_hdr h = {opt % 24, opt % 8, (uint64_t)opt * 86400000000ull * 365u, f[0], f[1],
				f[2],     f[3]};
	static const size_t maxes[4] = {255, 48, 128, 32};
	struct sbuf b;
	size_t i = 0, field = 0;

	sb_init(&b, buf, cap);
	rfc5424_header(&b, &h);
	FUZZ_CHECK(!b.overflow && b.len > 0 && buf[b.len - 1] == ' ', "header: %s", buf);
	/* PRI VERSION, TIMESTAMP, then the four tokens. */
	for (field = 0; field < 6; field++) {
		size_t s0 = i;

		while (i < b.len && buf[i] != ' ')
			i++;
		FUZZ_CHECK(i < b.len && i > s0, "header field %zu empty: %s", field, buf);
		if (field >= 2) {
			FUZZ_CHECK(i - s0 <= maxes[field - 2], "header field %zu too long", field);
			for (size_t q = s0; q < i; q++)
				FUZZ_CHECK(buf[q] >= 33 && buf[q] <= 126, "header byte %02x",
					   (unsigned)(uint8_t)buf[q]);
		}
		i++;
	}
	FUZZ_CHECK(i == b.len, "header has %zu bytes after MSGID", b.len - i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[MAX_IN + 1];
	static uint8_t s1[MAX_IN * 3 + 64], s2[MAX_IN * 3 + 64];
	static char buf[MAX_IN * 8 + 4096];
	const char *f[NFIELDS];
	size_t nf = 0, start = 0, n;
	uint8_t opt;

	if (size < 1 || size > MAX_IN)
		return 0;
	opt = data[0];
	n = size - 1;
	memcpy(text, data + 1, n);
	text[n] = '\0';
	for (size_t i = 0; i <= n && nf < NFIELDS; i++) {
		if (text[i] == '\0') {
			f[nf++] = text + start;
			start = i + 1;
		}
	}
	for (size_t k = nf; k < NFIELDS; k++)
		f[k] = "";
	for (int k = K_CEF_HEADER; k <= K_SD_PARAM; k++)
		check_escaper((enum kind)k, f[0], s1, s2, buf, sizeof(buf));
	check_token(f[0], 32, true, buf, sizeof(buf));
	check_token(f[0], 255, false, buf, sizeof(buf));
	check_cef(f, opt, buf, sizeof(buf));
	check_sd(f, NFIELDS, opt, buf, sizeof(buf));
	check_header(f, opt, buf, sizeof(buf));
	return 0;
}
