/* log.c: stderr diagnostics (warn/warnx style); never exits the process. */
#include "misport/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *log_progname = "misport";
static int log_verbosity;

void log_init(const char *progname, int verbosity)
{
	if (progname != NULL)
		log_progname = progname;
	log_verbosity = verbosity;
}

static void log_vmsg(int with_errno, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void log_vmsg(int with_errno, const char *fmt, va_list ap)
{
	int saved = errno;

	fprintf(stderr, "%s: ", log_progname);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(saved));
	fputc('\n', stderr);
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(1, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(0, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	log_vmsg(0, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 2)
		return;
	va_start(ap, fmt);
	log_vmsg(0, fmt, ap);
	va_end(ap);
}
