/* memcmp.h: a byte comparison that reads only the bytes it compares (ISO C memcmp semantics). */
#ifndef MISPORT_MEMCMP_H
#define MISPORT_MEMCMP_H

#include <stddef.h>
#include <stdint.h>

/* Compares n bytes of a and b as unsigned char: negative, zero or positive like memcmp. Reads exactly
 * bytes [0, n) of each buffer, never a vector beyond them: glibc's AVX-512 memcmp loads 32 bytes under
 * a mask, and when the masked-off lanes lie in a PROT_NONE page (the guard page behind nDPI's packet
 * copy, docs/hostile-input.md) every such load takes a fault-suppression microcode assist. */
static inline int mp_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (n >= 8) {
		uint64_t x, y;

		__builtin_memcpy(&x, p, 8);
		__builtin_memcpy(&y, q, 8);
		if (x != y) {
			/* Byte-swapped, the first differing byte is the most significant difference. */
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
			return x < y ? -1 : 1;
		}
		p += 8;
		q += 8;
		n -= 8;
	}
#endif
	for (; n > 0; n--, p++, q++)
		if (*p != *q)
			return (int)*p - (int)*q;
	return 0;
}

#endif
