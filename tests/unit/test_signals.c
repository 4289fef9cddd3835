/* test_signals.c: signals as pending flags (signals.c): each flag is set by its signal, taken once, and
 * a stop stays requested; SIGPIPE no longer kills the process. */
#include <criterion/criterion.h>
#include <signal.h>

#include "misport/signals.h"

Test(signals, flags_are_taken_once)
{
	cr_assert_eq(sig_install(), 0);
	cr_assert(!sig_take_reload() && !sig_take_stats() && !sig_stop_requested());
	cr_assert_eq(raise(SIGHUP), 0);
	cr_assert(sig_take_reload());
	cr_assert(!sig_take_reload(), "the reload flag was not cleared when taken");
	cr_assert_eq(raise(SIGUSR1), 0);
	cr_assert(!sig_take_reload(), "SIGUSR1 set the reload flag");
	cr_assert(sig_take_stats());
	cr_assert(!sig_take_stats());
	cr_assert(!sig_stop_requested());
}

Test(signals, a_stop_stays_requested)
{
	cr_assert_eq(sig_install(), 0);
	cr_assert_eq(raise(SIGTERM), 0);
	cr_assert(sig_stop_requested());
	cr_assert(sig_stop_requested(), "a stop request was cleared by asking");
}

Test(signals, sigint_requests_a_stop)
{
	cr_assert_eq(sig_install(), 0);
	cr_assert_eq(raise(SIGINT), 0);
	cr_assert(sig_stop_requested());
}

Test(signals, request_stop_without_a_signal)
{
	cr_assert(!sig_stop_requested());
	sig_request_stop();
	cr_assert(sig_stop_requested());
}

Test(signals, sigpipe_is_ignored)
{
	cr_assert_eq(sig_install(), 0);
	cr_assert_eq(raise(SIGPIPE), 0); /* the test process would die here otherwise */
	cr_assert(!sig_stop_requested());
}
