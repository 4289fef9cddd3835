/* json.h: a bounded JSON text builder (RFC 8259) that always emits valid UTF-8. */
#ifndef MISPORT_JSON_H
#define MISPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes into a caller-owned buffer of cap bytes. On overflow, further writes are ignored,
 * overflow is set and the text is cut at a point that keeps buf NUL-terminated. */
struct jbuf {
	char *buf;
	size_t cap, len;
	bool overflow;
	bool need_comma; /* a value was written at the current nesting level */
};

/* Starts an empty document in buf (cap >= 1). */
void jb_init(struct jbuf *j, char *buf, size_t cap);
/* Opens and closes objects and arrays; key may be NULL inside arrays and at the top level. */
void jb_obj_open(struct jbuf *j, const char *key);
void jb_obj_close(struct jbuf *j);
void jb_arr_open(struct jbuf *j, const char *key);
void jb_arr_close(struct jbuf *j);
/* Writes "key": value members (key NULL for array elements). */
void jb_str(struct jbuf *j, const char *key, const char *s);
void jb_strn(struct jbuf *j, const char *key, const char *s, size_t n);
void jb_u64(struct jbuf *j, const char *key, uint64_t v);
void jb_i64(struct jbuf *j, const char *key, int64_t v);
void jb_bool(struct jbuf *j, const char *key, bool v);

/* Returns the length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF) at s[0..n), or 0 when it is not one. n >= 1. Shared by the JSON, CEF, syslog and HTML
 * escapers. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* Appends the JSON string literal (with quotes) for n bytes of s to j: '"' and '\\' are escaped,
 * control bytes become \n \r \t \b \f or \u00XX, and bytes that are not valid UTF-8 (overlong
 * forms, surrogates, code points above U+10FFFF, truncated sequences) become U+FFFD. */
void json_escape(struct jbuf *j, const char *s, size_t n);

#endif
