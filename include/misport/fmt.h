/* fmt.h: a fast path for the simplest snprintf formats (ISO C 7.21.6.5), exactly as glibc prints them. */
#ifndef MISPORT_FMT_H
#define MISPORT_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Returned by fmt_fast_vsnprintf for a format it does not take; ap is then untouched. */
#define FMT_NOT_HANDLED (-2)

/* Formats like vsnprintf(s, maxlen, fmt, ap) when every conversion of fmt is one of %%, %c, %s, %d, %i,
 * %u, %x, %X, %02x, %02X, each of the integer ones also with the l, ll or z length modifier: writes at
 * most maxlen - 1 characters and a terminating NUL (nothing when maxlen is 0) and returns the length
 * the whole output has, or -1 when that exceeds INT_MAX. %s of a null pointer prints "(null)", as glibc
 * does. For any other format (flags, other widths, precision, floating point, %n, %p ...) it returns
 * FMT_NOT_HANDLED at once, having read no argument, and the caller formats with vsnprintf. */
int fmt_fast_vsnprintf(char *s, size_t maxlen, const char *fmt, va_list ap);

#endif
