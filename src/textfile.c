/* textfile.c: bounded reading of misport's rule and registry files (size, line length, NUL bytes checked;
 * errors as file:line). */
#include "misport/textfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tf_error(char *err, size_t errlen, const char *path, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	/* Truncation only shortens the message. */
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		(void)snprintf(err, errlen, "%s:%u: %s", path != NULL ? path : "?", line, msg);
	else
		(void)snprintf(err, errlen, "%s: %s", path != NULL ? path : "?", msg);
	return -1;
}

int tf_open(struct tf_file *f, const char *path, size_t max_size, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0, len = 0;

	memset(f, 0, sizeof(*f));
	f->path = path;
	fp = fopen(path, "rb");
	if (fp == NULL)
		return tf_error(err, errlen, path, 0, "cannot open: %s", strerror(errno));
	for (;;) {
		size_t n;

		if (len + 1 >= cap) {
			size_t ncap = cap == 0 ? 65536 : cap * 2;
			char *nb;

			if (ncap > max_size + 2)
				ncap = max_size + 2;
			if (ncap <= len + 1) {
				free(buf);
				fclose(fp);
				return tf_error(err, errlen, path, 0, "larger than %zu bytes", max_size);
			}
			nb = realloc(buf, ncap);
			if (nb == NULL) {
				free(buf);
				fclose(fp);
				return tf_error(err, errlen, path, 0, "out of memory");
			}
			buf = nb;
			cap = ncap;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (len > max_size) {
			free(buf);
			fclose(fp);
			return tf_error(err, errlen, path, 0, "larger than %zu bytes", max_size);
		}
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return tf_error(err, errlen, path, 0, "read error");
	}
	fclose(fp);
	if (buf == NULL) {
		buf = malloc(1);
		if (buf == NULL)
			return tf_error(err, errlen, path, 0, "out of memory");
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		unsigned line = 1;
		const char *nul = memchr(buf, '\0', len);

		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		free(buf);
		return tf_error(err, errlen, path, line, "NUL byte in a text file");
	}
	f->data = buf;
	f->len = len;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		f->pos = 3;
	return 0;
}

int tf_next_line(struct tf_file *f, size_t max_line, char **line, char *err, size_t errlen)
{
	char *start, *nl;
	size_t n;

	if (f->data == NULL || f->pos >= f->len)
		return 0;
	start = f->data + f->pos;
	nl = memchr(start, '\n', f->len - f->pos);
	n = nl != NULL ? (size_t)(nl - start) : f->len - f->pos;
	f->line++;
	f->pos += n + (nl != NULL);
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > max_line)
		return tf_error(err, errlen, f->path, f->line, "line longer than %zu bytes", max_line);
	start[n] = '\0';
	*line = start;
	return 1;
}

void tf_close(struct tf_file *f)
{
	free(f->data);
	f->data = NULL;
	f->len = f->pos = 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int tf_split_blanks(char *s, char **fields, int max)
{
	int n = 0;

	for (;;) {
		while (is_blank(*s))
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return max + 1;
		fields[n++] = s;
		while (*s != '\0' && !is_blank(*s))
			s++;
		if (*s == '\0')
			return n;
		*s++ = '\0';
	}
}

char *tf_token(char **cursor)
{
	char *s = *cursor, *tok;

	while (is_blank(*s))
		s++;
	if (*s == '\0') {
		*cursor = s;
		return NULL;
	}
	tok = s;
	while (*s != '\0' && !is_blank(*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	while (is_blank(*s))
		s++;
	*cursor = s;
	return tok;
}

int tf_split_char(char *s, char sep, char **fields, int max)
{
	int n = 0;

	for (;;) {
		char *e = strchr(s, sep);

		if (n == max)
			return max + 1;
		fields[n++] = s;
		if (e == NULL)
			return n;
		*e = '\0';
		s = e + 1;
	}
}

char *tf_trim(char *s, int strip_comment)
{
	size_t n;

	if (strip_comment) {
		char *h = strchr(s, '#');

		if (h != NULL)
			*h = '\0';
	}
	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int tf_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned long d = (unsigned long)(*s - '0');

		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int tf_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	unsigned long a, b;

	if (dash == NULL) {
		if (tf_parse_uint(s, 65535, &a) < 0)
			return -1;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	if (tf_parse_uint(buf, 65535, &a) < 0 || tf_parse_uint(dash + 1, 65535, &b) < 0 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int tf_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return -1;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}
