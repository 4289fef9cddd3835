/* fuzz_json.c: libFuzzer target for the JSON builder (src/json.c): what json_escape and jb_* write, an
 * independent RFC 8259 parser reads back to the same value (invalid UTF-8 as U+FFFD, one per byte that starts
 * no valid sequence), and a too-small buffer yields a NUL-terminated prefix of the full text with overflow
 * set. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz_common.h"
#include "misport/json.h"
#include "utf8_oracle.h"

#define MAX_IN 8192

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* What the escaper must preserve: s with every byte that starts no well-formed sequence replaced by
 * U+FFFD. */
static size_t expected_value(const uint8_t *s, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t l = oracle_utf8_len(s + i, n - i);

		if (l == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, s + i, l);
			o += l;
			i += l;
		}
	}
	return o;
}

/* ---- an independent JSON reader
 * ---------------------------------------------------------------------------- */

enum tok_kind {
	TK_STR,
	TK_NUM,
	TK_TRUE,
	TK_FALSE,
	TK_NULL,
	TK_OPEN_OBJ,
	TK_CLOSE_OBJ,
	TK_OPEN_ARR,
	TK_CLOSE_ARR
};

struct tok {
	enum tok_kind kind;
	size_t off, len; /* decoded string or number text in the arena */
};

struct reader {
	const uint8_t *s;
	size_t n, i;
	uint8_t *arena;
	size_t alen, acap;
	struct tok toks[64];
	size_t ntok;
	int depth;
};

static bool rd_tok(struct reader *r, enum tok_kind k, size_t off, size_t len)
{
	if (r->ntok >= sizeof(r->toks) / sizeof(r->toks[0]))
		return false;
	r->toks[r->ntok].kind = k;
	r->toks[r->ntok].off = off;
	r->toks[r->ntok].len = len;
	r->ntok++;
	return true;
}

static bool rd_put(struct reader *r, const uint8_t *b, size_t n)
{
	if (n > r->acap - r->alen)
		return false;
	memcpy(r->arena + r->alen, b, n);
	r->alen += n;
	return true;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool rd_hex4(struct reader *r, uint32_t *v)
{
	*v = 0;
	if (r->n - r->i < 4)
		return false;
	for (int k = 0; k < 4; k++) {
		int h = hexval(r->s[r->i + (size_t)k]);

		if (h < 0)
			return false;
		*v = *v << 4 | (uint32_t)h;
	}
	r->i += 4;
	return true;
}

static bool rd_string(struct reader *r)
{
	size_t start = r->alen;

	if (r->i >= r->n || r->s[r->i] != '"')
		return false;
	r->i++;
	while (r->i < r->n) {
		uint8_t c = r->s[r->i];

		if (c == '"') {
			r->i++;
			return rd_tok(r, TK_STR, start, r->alen - start);
		}
		if (c < 0x20)
			return false; /* RFC 8259: control characters must be escaped */
		if (c == '\\') {
			uint8_t e, u8[4];
			uint32_t cp, lo;

			if (++r->i >= r->n)
				return false;
			e = r->s[r->i++];
			switch (e) {
			case '"':
			case '\\':
			case '/':
				u8[0] = e;
				break;
			case 'b':
				u8[0] = '\b';
				break;
			case 'f':
				u8[0] = '\f';
				break;
			case 'n':
				u8[0] = '\n';
				break;
			case 'r':
				u8[0] = '\r';
				break;
			case 't':
				u8[0] = '\t';
				break;
			case 'u':
				if (!rd_hex4(r, &cp) || (cp >= 0xdc00 && cp <= 0xdfff))
					return false;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (r->n - r->i < 2 || r->s[r->i] != '\\' || r->s[r->i + 1] != 'u')
						return false;
					r->i += 2;
					if (!rd_hex4(r, &lo) || lo < 0xdc00 || lo > 0xdfff)
						return false;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (!rd_put(r, u8, oracle_utf8_put(cp, u8)))
					return false;
				continue;
			default:
				return false;
			}
			if (!rd_put(r, u8, 1))
				return false;
			continue;
		}
		/* JSON text is UTF-8 (RFC 8259 section 8.1). */
		{
			size_t l = oracle_utf8_len(r->s + r->i, r->n - r->i);

			if (l == 0 || !rd_put(r, r->s + r->i, l))
				return false;
			r->i += l;
		}
	}
	return false;
}

static bool rd_lit(struct reader *r, const char *lit, enum tok_kind k)
{
	size_t l = strlen(lit);

	if (r->n - r->i < l || memcmp(r->s + r->i, lit, l) != 0)
		return false;
	r->i += l;
	return rd_tok(r, k, 0, 0);
}

static bool rd_value(struct reader *r);

static bool rd_members(struct reader *r, bool obj)
{
	uint8_t close = obj ? '}' : ']';

	if (r->i < r->n && r->s[r->i] == close) {
		r->i++;
		return true;
	}
	for (;;) {
		if (obj) {
			if (!rd_string(r) || r->i >= r->n || r->s[r->i] != ':')
				return false;
			r->i++;
		}
		if (!rd_value(r) || r->i >= r->n)
			return false;
		if (r->s[r->i] == close) {
			r->i++;
			return true;
		}
		if (r->s[r->i] != ',')
			return false;
		r->i++;
	}
}

static bool rd_value(struct reader *r)
{
	uint8_t c;

	if (r->i >= r->n || ++r->depth > 16)
		return false;
	c = r->s[r->i];
	if (c == '"') {
		r->depth--;
		return rd_string(r);
	}
	if (c == '{' || c == '[') {
		r->i++;
		if (!rd_tok(r, c == '{' ? TK_OPEN_OBJ : TK_OPEN_ARR, 0, 0) || !rd_members(r, c == '{'))
			return false;
		r->depth--;
		return rd_tok(r, c == '{' ? TK_CLOSE_OBJ : TK_CLOSE_ARR, 0, 0);
	}
	r->depth--;
	if (c == 't')
		return rd_lit(r, "true", TK_TRUE);
	if (c == 'f')
		return rd_lit(r, "false", TK_FALSE);
	if (c == 'n')
		return rd_lit(r, "null", TK_NULL);
	if (c == '-' || (c >= '0' && c <= '9')) {
		size_t start = r->i, astart = r->alen;

		if (c == '-')
			r->i++;
		if (r->i >= r->n || r->s[r->i] < '0' || r->s[r->i] > '9')
			return false;
		if (r->s[r->i] == '0' && r->i + 1 < r->n && r->s[r->i + 1] >= '0' && r->s[r->i + 1] <= '9')
			return false; /* no leading zeros */
		while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9')
			r->i++;
		return rd_put(r, r->s + start, r->i - start) && rd_tok(r, TK_NUM, astart, r->alen - astart);
	}
	return false;
}

/* ---- the properties
 * -------------------------------------------------------------------------------------- */

static uint64_t take_u64(const uint8_t *d, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8 && i < n; i++)
		v = v << 8 | d[i];
	return v;
}

static bool tok_is(const struct reader *r, size_t k, enum tok_kind kind, const void *val, size_t len)
{
	const struct tok *t = &r->toks[k];

	if (k >= r->ntok || t->kind != kind)
		return false;
	if (val == NULL)
		return true;
	return t->len == len && memcmp(r->arena + t->off, val, len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *s;
	size_t n, cap, explen, cslen, expclen, esc_len;
	uint8_t *exp, *expc, *arena;
	char *full, *small, *cs, num[2][24];
	struct jbuf j;
	struct reader r;
	uint64_t u;
	int64_t i64;
	bool b;

	if (size < 1 || size > MAX_IN)
		return 0;
	s = data + 1;
	n = size - 1;
	u = take_u64(s, n);
	i64 = (int64_t)(u ^ 0x8000000000000000ull);
	b = (data[0] & 1) != 0;
	cap = 6 * n + 64;
	exp = malloc(3 * n + 1);
	expc = malloc(3 * n + 1);
	arena = malloc(24 * n + 512);
	full = malloc(8 * cap + 512);
	cs = malloc(n + 1);
	if (exp == NULL || expc == NULL || arena == NULL || full == NULL || cs == NULL)
		goto out;
	memcpy(cs, s, n);
	cs[n] = '\0';
	cslen = strlen(cs);
	explen = expected_value(s, n, exp);
	expclen = expected_value((const uint8_t *)cs, cslen, expc);

	/* 1. json_escape alone: a JSON string literal that reads back to the expected value. */
	jb_init(&j, full, cap);
	json_escape(&j, (const char *)s, n);
	FUZZ_CHECK(!j.overflow && j.len == strlen(full), "escape overflowed a %zu-byte buffer", cap);
	esc_len = j.len;
	memset(&r, 0, sizeof(r));
	r.s = (const uint8_t *)full;
	r.n = j.len;
	r.arena = arena;
	r.acap = 24 * n + 512;
	FUZZ_CHECK(rd_string(&r) && r.i == r.n, "escaper output is not one JSON string: %s", full);
	FUZZ_CHECK(tok_is(&r, 0, TK_STR, exp, explen), "round trip changed the value: %s", full);

	/* 2. a too-small buffer: a NUL-terminated prefix of the full text, overflow set. */
	{
		size_t scap = (size_t)data[0] % (esc_len + 2);

		small = malloc(scap + 1);
		if (small == NULL)
			goto out;
		small[scap] = 'Z'; /* the byte past cap must stay untouched */
		jb_init(&j, small, scap);
		json_escape(&j, (const char *)s, n);
		FUZZ_CHECK(small[scap] == 'Z', "wrote past cap %zu", scap);
		if (scap > 0) {
			FUZZ_CHECK(j.len < scap && strlen(small) == j.len, "len %zu cap %zu", j.len, scap);
			FUZZ_CHECK(memcmp(small, full, j.len) == 0, "cut text is not a prefix");
		}
		FUZZ_CHECK(j.overflow == (esc_len + 1 > scap), "overflow %d, need %zu, cap %zu", j.overflow,
			   esc_len + 1, scap);
		free(small);
	}

	/* 3. a document through the builder reads back token by token. */
	jb_init(&j, full, 8 * cap + 512);
	jb_obj_open(&j, NULL);
	jb_str(&j, cs, cs);
	jb_strn(&j, "raw", (const char *)s, n);
	jb_arr_open(&j, cs);
	jb_strn(&j, NULL, (const char *)s, n);
	jb_u64(&j, NULL, u);
	jb_i64(&j, NULL, i64);
	jb_bool(&j, NULL, b);
	jb_obj_open(&j, NULL);
	jb_obj_close(&j);
	jb_arr_close(&j);
	jb_u64(&j, "u", u);
	jb_obj_close(&j);
	FUZZ_CHECK(!j.overflow, "document overflowed");
	memset(&r, 0, sizeof(r));
	r.s = (const uint8_t *)full;
	r.n = j.len;
	r.arena = arena;
	r.acap = 24 * n + 512;
	FUZZ_CHECK(rd_value(&r) && r.i == r.n, "document is not JSON: %s", full);
	snprintf(num[0], sizeof(num[0]), "%" PRIu64, u);
	snprintf(num[1], sizeof(num[1]), "%" PRId64, i64);
	FUZZ_CHECK(r.ntok == 17, "%zu tokens in %s", r.ntok, full);
	FUZZ_CHECK(tok_is(&r, 0, TK_OPEN_OBJ, NULL, 0) && tok_is(&r, 1, TK_STR, expc, expclen) &&
		       tok_is(&r, 2, TK_STR, expc, expclen) && tok_is(&r, 3, TK_STR, "raw", 3) &&
		       tok_is(&r, 4, TK_STR, exp, explen) && tok_is(&r, 5, TK_STR, expc, expclen) &&
		       tok_is(&r, 6, TK_OPEN_ARR, NULL, 0) && tok_is(&r, 7, TK_STR, exp, explen) &&
		       tok_is(&r, 8, TK_NUM, num[0], strlen(num[0])) &&
		       tok_is(&r, 9, TK_NUM, num[1], strlen(num[1])) &&
		       tok_is(&r, 10, b ? TK_TRUE : TK_FALSE, NULL, 0) &&
		       tok_is(&r, 11, TK_OPEN_OBJ, NULL, 0) && tok_is(&r, 12, TK_CLOSE_OBJ, NULL, 0) &&
		       tok_is(&r, 13, TK_CLOSE_ARR, NULL, 0) && tok_is(&r, 14, TK_STR, "u", 1) &&
		       tok_is(&r, 15, TK_NUM, num[0], strlen(num[0])) &&
		       tok_is(&r, 16, TK_CLOSE_OBJ, NULL, 0),
		   "document read back differently: %s", full);
out:
	free(exp);
	free(expc);
	free(arena);
	free(full);
	free(cs);
	return 0;
}
