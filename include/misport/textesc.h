/* textesc.h: a bounded text builder and the escapers of the SIEM formats: CEF header fields and
 * extension values (ArcSight "Implementing ArcSight CEF", rev. 25) and RFC 5424 PARAM-VALUEs. */
#ifndef MISPORT_TEXTESC_H
#define MISPORT_TEXTESC_H

#include <stdbool.h>
#include <stddef.h>

/* Writes into a caller-owned buffer of cap bytes (cap >= 1), always NUL-terminated. Appends are
 * atomic per unit (a character or one escape sequence): once one does not fit, overflow is set and
 * nothing more is appended, so the text never ends in half an escape. */
struct sbuf {
	char *buf;
	size_t cap, len;
	bool overflow;
};

void sb_init(struct sbuf *b, char *buf, size_t cap);
void sb_putn(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* utf8_seq_len (UTF-8 validation) is declared in misport/json.h and shared by every escaper. */

/* CEF header field (Device Vendor, Product, Version, Signature ID, Name): '\' -> "\\", '|' -> "\|";
 * CR, LF and other control characters (which the header may not hold) -> ' '; invalid UTF-8 -> U+FFFD. */
void sb_cef_header(struct sbuf *b, const char *s);

/* CEF extension value: '\' -> "\\", '=' -> "\=", LF -> "\n", CR -> "\r"; other control characters
 * -> ' '; invalid UTF-8 -> U+FFFD. '|' needs no escape in the extension. */
void sb_cef_ext(struct sbuf *b, const char *s);

/* RFC 5424 PARAM-VALUE (section 6.3.3): '"' -> "\"", '\' -> "\\", ']' -> "\]"; control characters
 * -> ' '; invalid UTF-8 -> U+FFFD (PARAM-VALUE is UTF-8). */
void sb_sd_param(struct sbuf *b, const char *s);

/* RFC 5424 header fields (HOSTNAME, APP-NAME, PROCID, MSGID, SD-ID) are PRINTUSASCII without spaces
 * (and for SD-NAME without '=', ']', '"'): copies at most maxlen such characters of s, replacing
 * others with '_'; an empty s gives "-" (the NILVALUE). */
void sb_syslog_token(struct sbuf *b, const char *s, size_t maxlen, bool sd_name);

#endif
