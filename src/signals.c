/* signals.c: POSIX signal handlers that set flags for the run loops (stop, reload, stats). */
#include "misport/signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t sig_stop, sig_reload, sig_stats;

static void on_signal(int signo)
{
	switch (signo) {
	case SIGINT:
	case SIGTERM:
		sig_stop = 1;
		break;
	case SIGHUP:
		sig_reload = 1;
		break;
	case SIGUSR1:
		sig_stats = 1;
		break;
	default:
		break;
	}
}

int sig_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	return 0;
}

bool sig_stop_requested(void)
{
	return sig_stop != 0;
}

bool sig_take_reload(void)
{
	if (sig_reload == 0)
		return false; /* read-only when nothing is pending: no store per packet */
	sig_reload = 0;
	return true;
}

bool sig_take_stats(void)
{
	if (sig_stats == 0)
		return false;
	sig_stats = 0;
	return true;
}

void sig_request_stop(void)
{
	sig_stop = 1;
}
