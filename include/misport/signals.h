/* signals.h: process signals as pending flags (SIGINT/SIGTERM stop, SIGHUP reload, SIGUSR1 stats);
 * handlers only set flags, the run loops act on them. SIGPIPE is ignored. */
#ifndef MISPORT_SIGNALS_H
#define MISPORT_SIGNALS_H

#include <stdbool.h>

/* Installs the handlers (without SA_RESTART, so blocking calls return EINTR). Returns 0 or -1. */
int sig_install(void);

/* Each returns whether its signal arrived since the last call, and clears the flag. A stop stays
 * set once requested (sig_stop_requested does not clear it). */
bool sig_stop_requested(void);
bool sig_take_reload(void);
bool sig_take_stats(void);

/* Requests a stop as if SIGTERM had arrived (used by limits such as -c and --duration). */
void sig_request_stop(void);

#endif
