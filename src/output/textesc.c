/* textesc.c: bounded text builder and the CEF (ArcSight CEF rev. 25) and RFC 5424 escapers. */
#include "misport/textesc.h"

#include "misport/json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void sb_init(struct sbuf *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = false;
	if (cap > 0)
		buf[0] = '\0';
}

void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->overflow || b->cap == 0 || n >= b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow || b->cap == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->buf[b->len] = '\0'; /* drop the partial unit */
		b->overflow = true;
		return;
	}
	b->len += (size_t)n;
}

/* The three escapers differ only in the table: for each ASCII byte, the replacement or NULL. */
enum esc_kind { ESC_CEF_HEADER, ESC_CEF_EXT, ESC_SD_PARAM };

static const char *esc_for(enum esc_kind k, unsigned char c)
{
	switch (k) {
	case ESC_CEF_HEADER:
		if (c == '\\')
			return "\\\\";
		if (c == '|')
			return "\\|";
		break;
	case ESC_CEF_EXT:
		if (c == '\\')
			return "\\\\";
		if (c == '=')
			return "\\=";
		if (c == '\n')
			return "\\n";
		if (c == '\r')
			return "\\r";
		break;
	case ESC_SD_PARAM:
		if (c == '"')
			return "\\\"";
		if (c == '\\')
			return "\\\\";
		if (c == ']')
			return "\\]";
		break;
	}
	if (c < 0x20 || c == 0x7f)
		return " ";
	return NULL;
}

static void sb_escape(struct sbuf *b, const char *s, enum esc_kind k)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n && !b->overflow) {
		if (u[i] < 0x80) {
			const char *e = esc_for(k, u[i]);

			if (e != NULL)
				sb_puts(b, e);
			else
				sb_putn(b, s + i, 1);
			i++;
		} else {
			size_t len = utf8_seq_len(u + i, n - i);

			if (len == 0) {
				sb_puts(b, "\xef\xbf\xbd");
				i++;
			} else {
				sb_putn(b, s + i, len);
				i += len;
			}
		}
	}
}

void sb_cef_header(struct sbuf *b, const char *s)
{
	sb_escape(b, s, ESC_CEF_HEADER);
}

void sb_cef_ext(struct sbuf *b, const char *s)
{
	sb_escape(b, s, ESC_CEF_EXT);
}

void sb_sd_param(struct sbuf *b, const char *s)
{
	sb_escape(b, s, ESC_SD_PARAM);
}

void sb_syslog_token(struct sbuf *b, const char *s, size_t maxlen, bool sd_name)
{
	size_t n = 0;

	if (s == NULL || s[0] == '\0') {
		sb_puts(b, "-");
		return;
	}
	for (const char *p = s; *p != '\0' && n < maxlen; p++, n++) {
		unsigned char c = (unsigned char)*p;
		bool ok = c >= 33 && c <= 126 && !(sd_name && (c == '=' || c == ']' || c == '"'));

		sb_putn(b, ok ? p : "_", 1);
	}
}
