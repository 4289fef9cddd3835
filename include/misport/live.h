/* live.h: the run loop for live interfaces: polls every capture, drives the pipeline's clock from
 * the wall clock, emits periodic stats, and acts on stop/reload/stats signals. */
#ifndef MISPORT_LIVE_H
#define MISPORT_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "misport/capture.h"
#include "misport/workers.h"

struct live_opts {
	uint64_t max_packets;      /* stop after this many packets (0: no limit) */
	uint64_t duration_s;       /* stop after this many seconds (0: no limit) */
	uint32_t stats_interval_s; /* periodic stats records (0: only at exit and on SIGUSR1) */
	const char *const *names;  /* each capture's interface name (EVE in_iface), borrowed; or NULL */
};

/* Called on SIGHUP; returns 0, or -1 when the reload failed (the old configuration stays). */
typedef int (*live_reload_cb)(void *user);

/* Runs until a stop signal, a limit, or an interface error. With workers made by wk_new_fanout, caps are
 * every worker's sockets (only their counters are read here, once the workers have stopped), and the
 * workers read them. On return every flow has been
 * finished and the final stats record emitted; *totals holds the summed kernel counters.
 * Returns 0 on a requested stop or limit, -1 on an interface error (err filled). */
int live_run(struct capture **caps, size_t ncaps, struct workers *pl, const struct live_opts *o,
	     live_reload_cb reload, void *reload_user, struct capture_counters *totals, char *err,
	     size_t errlen);

#endif
