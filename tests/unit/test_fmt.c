/* test_fmt.c: fmt_fast_vsnprintf (fmt.c) prints exactly what glibc's vsnprintf prints, for every format it
 * takes, every truncation length and edge values; every other format is refused before an argument is
 * read. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "misport/fmt.h"

/* Runs both formatters on the same arguments into buffers of maxlen bytes (canaries after them) and
 * requires the same return value and the same bytes. */
static void both(size_t maxlen, const char *fmt, ...)
{
	char want[256], got[256];
	va_list a1, a2;
	int rw, rg;

	cr_assert_leq(maxlen, 200u);
	memset(want, 0x5a, sizeof(want));
	memset(got, 0x5a, sizeof(got));
	va_start(a1, fmt);
	rw = vsnprintf(want, maxlen, fmt, a1);
	va_end(a1);
	va_start(a2, fmt);
	rg = fmt_fast_vsnprintf(got, maxlen, fmt, a2);
	va_end(a2);
	cr_assert_eq(rg, rw, "'%s' maxlen %zu: returned %d, glibc %d", fmt, maxlen, rg, rw);
	cr_assert_eq(memcmp(got, want, sizeof(want)), 0, "'%s' maxlen %zu: '%.*s' vs glibc '%.*s'", fmt,
		     maxlen, (int)(maxlen ? maxlen - 1 : 0), got, (int)(maxlen ? maxlen - 1 : 0), want);
}

static const size_t lens[] = {0, 1, 2, 3, 5, 8, 13, 64, 200};
#define EACH_LEN for (size_t li = 0, n; li < sizeof(lens) / sizeof(lens[0]) && (n = lens[li], 1); li++)

/* The formats nDPI 4.2's TLS code builds fingerprints with (tls.c), at every truncation. */
Test(fmt, ja3_formats_as_glibc)
{
	EACH_LEN
	{
		both(n, "%u,", 771u);
		both(n, "%s%u", "-", 49195u);
		both(n, "%s%u", "", 0u);
		both(n, ",");
		both(n, ",%s", "h2,http/1.1");
		both(n, "%02X", 0x0au);
		both(n, "%02X", 0x1abu);
		both(n, "%02x", 0u);
		both(n, "%02x", 255u);
		both(n, "%u.%u.%u.%u", 192u, 168u, 1u, 255u);
		both(n, "%s", "");
		both(n, "plain text, no conversion");
	}
}

/* Integer conversions at their limits, with every length modifier the fast path takes. */
Test(fmt, integers_at_their_limits)
{
	EACH_LEN
	{
		both(n, "%d %i %d %d", 0, -1, INT_MIN, INT_MAX);
		both(n, "%u %x %X", UINT_MAX, UINT_MAX, 0xdeadbeefu);
		both(n, "%ld %lu %lx %lX", LONG_MIN, ULONG_MAX, ULONG_MAX, 0xabcdefUL);
		both(n, "%lld|%llu|%llx|%lli", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL, LLONG_MAX);
		both(n, "%zu %zd %zx %02zx", (size_t)SIZE_MAX, (ssize_t)-5, (size_t)48879, (size_t)7);
		both(n, "%02lx%02llX", 3UL, 0xfeULL);
	}
}

/* %c (NUL included), %s of a null pointer, %% and text around conversions. */
Test(fmt, characters_strings_and_percent)
{
	EACH_LEN
	{
		both(n, "[%c%c%c]", 'a', 0, 255);
		both(n, "%s|%s", (const char *)NULL, "x");
		both(n, "100%% %s %%", "sure");
		both(n, "%%d");
		both(n, "%s%s%s", "a long string of forty-one characters...", "b", "c");
	}
}

/* Formats outside the fast path are refused at once (the caller then uses vsnprintf). */
static int refused(const char *fmt, ...)
{
	char buf[32] = "untouched";
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fmt_fast_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cr_assert_str_eq(buf, "untouched", "'%s' wrote before refusing", fmt);
	return rc == FMT_NOT_HANDLED;
}

Test(fmt, other_formats_are_refused_untouched)
{
	cr_assert(refused("%5d", 1));
	cr_assert(refused("%-3s", "a"));
	cr_assert(refused("%.2s", "abc"));
	cr_assert(refused("%.*s", 2, "abc"));
	cr_assert(refused("%f", 1.5));
	cr_assert(refused("%p", (void *)0));
	cr_assert(refused("%03x", 1u));
	cr_assert(refused("%02d", 1));
	cr_assert(refused("%hhu", 1));
	cr_assert(refused("%lc", 1));
	cr_assert(refused("ok %u then %+d", 1u, 2));
	cr_assert(refused("trailing %"));
}
