/* utf8_oracle.h: an independent UTF-8 well-formedness check (Unicode 15, table 3-7) for the escaper fuzz
 * targets. */
#ifndef MISPORT_UTF8_ORACLE_H
#define MISPORT_UTF8_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed sequence at s[0..n) by the byte ranges of table 3-7, or 0. */
static inline size_t oracle_utf8_len(const uint8_t *s, size_t n)
{
	static const struct {
		uint8_t lo0, hi0, lo1, hi1;
		uint8_t len;
	} rows[] = {
	    {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3}, {0xe1, 0xec, 0x80, 0xbf, 3},
	    {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
	    {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
	};

	if (n == 0)
		return 0;
	if (s[0] <= 0x7f)
		return 1;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0)
			continue;
		if (n < rows[r].len || s[1] < rows[r].lo1 || s[1] > rows[r].hi1)
			return 0;
		for (size_t k = 2; k < rows[r].len; k++)
			if (s[k] < 0x80 || s[k] > 0xbf)
				return 0;
		return rows[r].len;
	}
	return 0;
}

/* True when all of s[0..n) is well-formed UTF-8. */
static inline int oracle_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l = oracle_utf8_len(s + i, n - i);

		if (l == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* Appends the UTF-8 form of code point cp to out (capacity checked by the caller: 4 bytes). */
static inline size_t oracle_utf8_put(uint32_t cp, uint8_t *out)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

#endif
