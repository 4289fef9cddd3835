/* json.c: bounded JSON builder and string escaper (RFC 8259; UTF-8 validation per RFC 3629). */
#include "misport/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void jb_init(struct jbuf *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->overflow = false;
	j->need_comma = false;
	if (cap > 0)
		buf[0] = '\0';
}

static void jb_put(struct jbuf *j, const char *s, size_t n)
{
	if (j->overflow)
		return;
	if (j->cap == 0 || n > j->cap - 1 - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void jb_putc(struct jbuf *j, char c)
{
	jb_put(j, &c, 1);
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_escape(struct jbuf *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	jb_putc(j, '"');
	while (i < n) {
		unsigned char c = u[i];
		const char *esc = NULL;
		char tmp[8];
		size_t len;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		/* flush the run of plain ASCII before this byte */
		jb_put(j, s + i - run, run);
		run = 0;
		if (c >= 0x80) {
			len = utf8_seq_len(u + i, n - i);
			if (len == 0) {
				esc = "\\ufffd";
				len = 1;
			} else {
				jb_put(j, s + i, len);
			}
			if (esc != NULL)
				jb_put(j, esc, strlen(esc));
			i += len;
			continue;
		}
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		default:
			(void)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			esc = tmp;
			break;
		}
		jb_put(j, esc, strlen(esc));
		i++;
	}
	jb_put(j, s + i - run, run);
	jb_putc(j, '"');
}

static void jb_key(struct jbuf *j, const char *key)
{
	if (j->need_comma)
		jb_putc(j, ',');
	j->need_comma = true;
	if (key != NULL) {
		json_escape(j, key, strlen(key));
		jb_putc(j, ':');
	}
}

void jb_obj_open(struct jbuf *j, const char *key)
{
	jb_key(j, key);
	jb_putc(j, '{');
	j->need_comma = false;
}

void jb_obj_close(struct jbuf *j)
{
	jb_putc(j, '}');
	j->need_comma = true;
}

void jb_arr_open(struct jbuf *j, const char *key)
{
	jb_key(j, key);
	jb_putc(j, '[');
	j->need_comma = false;
}

void jb_arr_close(struct jbuf *j)
{
	jb_putc(j, ']');
	j->need_comma = true;
}

void jb_str(struct jbuf *j, const char *key, const char *s)
{
	jb_strn(j, key, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

void jb_strn(struct jbuf *j, const char *key, const char *s, size_t n)
{
	jb_key(j, key);
	json_escape(j, s, n);
}

void jb_u64(struct jbuf *j, const char *key, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	jb_key(j, key);
	jb_put(j, tmp, (size_t)n);
}

void jb_i64(struct jbuf *j, const char *key, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	jb_key(j, key);
	jb_put(j, tmp, (size_t)n);
}

void jb_bool(struct jbuf *j, const char *key, bool v)
{
	jb_key(j, key);
	jb_put(j, v ? "true" : "false", v ? 4 : 5);
}
