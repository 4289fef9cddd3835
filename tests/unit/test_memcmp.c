/* test_memcmp.c: the memcmp that nDPI binds to (include/misport/memcmp.h) agrees with the C library's. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "misport/memcmp.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Every length up to 80 and every position of a single differing byte, with values on both sides of
 * 0x80 (bytes compare as unsigned char). */
Test(memcmp, agrees_with_libc_on_every_length_and_position)
{
	unsigned char a[80], b[80];
	static const unsigned char vals[][2] = {{0x00, 0x01}, {0x7f, 0x80}, {0x80, 0xff}, {0x41, 0x61}};

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 37u + 11u);
	for (size_t n = 0; n <= sizeof(a); n++) {
		memcpy(b, a, sizeof(a));
		cr_assert_eq(mp_memcmp(a, b, n), 0, "equal buffers, n=%zu", n);
		for (size_t pos = 0; pos < n; pos++)
			for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
				memcpy(b, a, sizeof(a));
				a[pos] = vals[v][0];
				b[pos] = vals[v][1];
				cr_assert_eq(sign(mp_memcmp(a, b, n)), sign(memcmp(a, b, n)), "n=%zu pos=%zu",
					     n, pos);
				cr_assert_eq(sign(mp_memcmp(b, a, n)), sign(memcmp(b, a, n)), "n=%zu pos=%zu",
					     n, pos);
				a[pos] = (unsigned char)(pos * 37u + 11u);
			}
	}
}

/* Only the first difference counts, even when later bytes differ the other way. */
Test(memcmp, first_difference_decides)
{
	const unsigned char a[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xff};
	const unsigned char b[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 0x00, 0x00};

	cr_assert_lt(mp_memcmp(a, b, sizeof(a)), 0);
	cr_assert_gt(mp_memcmp(b, a, sizeof(a)), 0);
	cr_assert_eq(mp_memcmp(a, b, 8), 0);
}

/* Reading stops at n: a comparison of the last bytes before a PROT_NONE page does not fault. */
Test(memcmp, reads_nothing_past_n)
{
	unsigned char *m = aligned_alloc(4096, 8192);
	unsigned char want[] = "GET /";

	cr_assert_not_null(m);
	memcpy(m + 4096 - 5, want, 5);
	cr_assert_eq(mp_memcmp(m + 4096 - 5, want, 5), 0);
	for (size_t n = 0; n <= 5; n++)
		cr_assert_eq(mp_memcmp(m + 4096 - n, want + 5 - n, n), 0);
	free(m);
}
