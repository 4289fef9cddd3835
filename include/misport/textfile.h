/* textfile.h: bounded reading of misport's rule and registry files (size, line length, NUL bytes checked;
 * errors as file:line). */
#ifndef MISPORT_TEXTFILE_H
#define MISPORT_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>

/* A whole file in memory, walked line by line. Owns data; release with tf_close. */
struct tf_file {
	char *data;       /* file contents, NUL-terminated; lines are cut in place */
	size_t len;       /* bytes in data, the terminating NUL excluded */
	size_t pos;       /* next unread byte */
	unsigned line;    /* number of the line last returned by tf_next_line (1-based) */
	const char *path; /* borrowed; must outlive f */
};

/* Reads path (at most max_size bytes) into f; a leading UTF-8 byte order mark is skipped. Fails on a
 * missing file, a larger file or a NUL byte. Returns 0, or -1 with err filled ("path: reason").
 * On success the caller owns f's buffer and calls tf_close. */
int tf_open(struct tf_file *f, const char *path, size_t max_size, char *err, size_t errlen);

/* Returns 1 and sets *line to the next line (newline and a trailing CR removed, modifiable, valid until
 * tf_close), 0 at the end, or -1 with err filled ("path:N: line longer than max_line bytes"). */
int tf_next_line(struct tf_file *f, size_t max_line, char **line, char *err, size_t errlen);

/* Frees f's buffer; f may then be reused. Safe on a zeroed or closed f. */
void tf_close(struct tf_file *f);

/* Formats "path:line: message" (or "path: message" when line is 0) into err; always returns -1 so a
 * caller can write `return tf_error(...)`. */
int tf_error(char *err, size_t errlen, const char *path, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Cuts s in place at runs of blanks (space, tab) into at most max fields; returns the field count, or
 * max + 1 when more fields followed. */
int tf_split_blanks(char *s, char **fields, int max);

/* Returns the next blank-separated word at *cursor (cut in place) and moves *cursor past it and the
 * blanks after it, so *cursor is then the rest of the line; NULL when no word is left. */
char *tf_token(char **cursor);

/* Cuts s in place at every sep into at most max fields; returns the count, or max + 1 when more followed. */
int tf_split_char(char *s, char sep, char **fields, int max);

/* Removes a '#' comment (when strip_comment) and surrounding blanks; returns s (modified in place). */
char *tf_trim(char *s, int strip_comment);

/* Parses a plain decimal number (digits only, no sign or blanks) no larger than max. Returns 0 or -1. */
int tf_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Parses "N" or "LO-HI" (0..65535, LO <= HI). Returns 0 or -1. */
int tf_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi);

/* Copies src into dst (size bytes), truncating; returns 0, or -1 when truncated. */
int tf_copy(char *dst, size_t size, const char *src);

#endif
