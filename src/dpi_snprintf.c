/* dpi_snprintf.c: the process's __snprintf_chk (glibc's fortified snprintf, LSB), linked into the misport
 * executable only, so that nDPI's calls (and misport's own, built with _FORTIFY_SOURCE) take the fast path
 * of fmt.h for the simplest formats; every other format goes to glibc's __vsnprintf_chk. Under a sanitizer
 * the runtime's checking version is kept instead. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "misport/fmt.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_KEEP_LIBC_SNPRINTF 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MP_KEEP_LIBC_SNPRINTF 1
#endif

#ifndef MP_KEEP_LIBC_SNPRINTF
/* glibc's entry points (exported by libc.so.6 since GLIBC_2.3.4). */
extern void __chk_fail(void) __attribute__((noreturn));
extern int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, va_list ap);
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...);

/* Shadows glibc's __snprintf_chk for every object of the process (the executable's definition comes first
 * in symbol lookup, and the linker exports it because shared libraries on the link line use it). As glibc's:
 * a destination smaller than maxlen is a buffer overflow caught (__chk_fail); flag only matters to %n,
 * which the fast path does not take. */
int __snprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (slen < maxlen)
		__chk_fail();
	va_start(ap, fmt);
	rc = fmt_fast_vsnprintf(s, maxlen, fmt, ap);
	va_end(ap);
	if (rc == FMT_NOT_HANDLED) {
		va_start(ap, fmt);
		rc = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
#else
typedef int mp_snprintf_kept; /* a translation unit must declare something */
#endif
