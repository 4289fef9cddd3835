/* test_log.c: stderr diagnostics (log.c): the program name first, errno's text after warn, verbosity
 * levels for info and debug, errno left as it was. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>

#include "misport/log.h"

static void redirect(void)
{
	cr_redirect_stderr();
}

Test(log, messages_and_levels, .init = redirect)
{
	log_init("mp-test", 1);
	errno = ENOENT;
	log_warn("open %s", "x.conf");
	cr_assert_eq(errno, ENOENT, "log_warn changed errno");
	log_warnx("line %d: bad", 3);
	log_info("shown at verbosity 1");
	log_debug("hidden at verbosity 1");
	fflush(stderr);
	cr_assert_stderr_eq_str("mp-test: open x.conf: No such file or directory\n"
				"mp-test: line 3: bad\n"
				"mp-test: shown at verbosity 1\n");
}

Test(log, quiet_by_default, .init = redirect)
{
	log_init("mp-test", 0);
	log_info("not shown");
	log_debug("not shown");
	log_warnx("shown");
	fflush(stderr);
	cr_assert_stderr_eq_str("mp-test: shown\n");
}
