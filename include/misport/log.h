/* log.h: diagnostics to stderr in the style of OpenBSD log.c (warn adds errno's text, warnx does not). */
#ifndef MISPORT_LOG_H
#define MISPORT_LOG_H

#include <stdarg.h>

#define MP_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Sets the program name printed before every message; the string must outlive all logging. */
void log_init(const char *progname, int verbosity);
/* Prints "progname: message: strerror(errno)". */
void log_warn(const char *fmt, ...) MP_PRINTF(1, 2);
/* Prints "progname: message". */
void log_warnx(const char *fmt, ...) MP_PRINTF(1, 2);
/* Prints "progname: message" only when verbosity >= 1. */
void log_info(const char *fmt, ...) MP_PRINTF(1, 2);
/* Prints "progname: message" only when verbosity >= 2. */
void log_debug(const char *fmt, ...) MP_PRINTF(1, 2);

#endif
