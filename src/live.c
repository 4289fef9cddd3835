/* live.c: live capture run loop (poll over pcap descriptors, wall-clock timers, signals). */
#include "misport/live.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "misport/config.h"
#include "misport/log.h"
#include "misport/now.h"
#include "misport/signals.h"

struct live_ctx {
	struct workers *pl;
	uint64_t seen, max;
	const char *const *names; /* interface names (live_opts.names), or NULL */
	size_t cur;               /* the capture whose name the workers have (wk_set_source), or SIZE_MAX */
};

static bool at_limit(const struct live_ctx *lc)
{
	return lc->max != 0 && lc->seen >= lc->max;
}

static int live_cb(void *user, int dlt, const struct capture_pkt *pkt)
{
	struct live_ctx *lc = user;

	wk_packet(lc->pl, dlt, pkt);
	lc->seen++;
	return at_limit(lc);
}

/* Reads what capture i has ready (capture_read_ready), after naming it to the workers when the packets
 * before came from another one: a flow's in_iface is the interface of its first packet. */
static int read_ready(struct capture **caps, size_t i, struct live_ctx *lc, char *err, size_t errlen)
{
	if (lc->names != NULL && lc->cur != i) {
		wk_set_source(lc->pl, lc->names[i], true);
		lc->cur = i;
	}
	return capture_read_ready(caps[i], live_cb, lc, MP_LIVE_BATCH, err, errlen);
}

/* Reads every source until it has nothing ready or the packet limit is reached. A read error ends that
 * source's turn (err is filled; the stop goes on). */
static void read_all_ready(struct capture **caps, size_t n, struct live_ctx *lc, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		while (!at_limit(lc) && read_ready(caps, i, lc, err, errlen) > 0)
			;
}

static void sum_counters(struct capture **caps, size_t n, struct capture_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < n; i++) {
		struct capture_counters c;

		if (capture_counters(caps[i], &c) == 0) {
			sum->received += c.received;
			sum->dropped += c.dropped;
			sum->ifdropped += c.ifdropped;
		}
	}
}

/* One round's timers and signals, after the packets: ticks the workers, emits a stats record when asked
 * or due (with the kernel counters of caps, or with kernel fanout those the workers read), and reloads
 * on SIGHUP. Returns the monotonic time in seconds. */
static uint64_t housekeeping(struct capture **caps, size_t ncaps, struct workers *pl,
			     const struct live_opts *o, uint64_t *next_stats, live_reload_cb reload,
			     void *reload_user)
{
	uint64_t now;

	wk_tick(pl, now_wall_us());
	now = now_mono_ms() / 1000u;
	if (sig_take_stats() || (*next_stats != 0 && now >= *next_stats)) {
		struct capture_counters cc;

		if (wk_is_fanout(pl))
			wk_emit_stats(pl, NULL);
		else {
			sum_counters(caps, ncaps, &cc);
			wk_emit_stats(pl, &cc);
		}
		if (*next_stats != 0)
			*next_stats = now + o->stats_interval_s;
	}
	if (sig_take_reload() && reload != NULL) {
		if (reload(reload_user) != 0)
			log_warnx("reload failed; the previous configuration stays in force");
		else
			log_info("reloaded");
	}
	return now;
}

/* live_run with kernel fanout: the worker threads read their sockets; this thread only keeps time, acts
 * on signals, and emits the periodic stats. */
static int run_fanout(struct capture **caps, size_t ncaps, struct workers *pl, const struct live_opts *o,
		      live_reload_cb reload, void *reload_user, struct capture_counters *totals, char *err,
		      size_t errlen)
{
	uint64_t start = now_mono_ms() / 1000u, next_stats;
	int rc = 0;
	bool limit = false;

	next_stats = o->stats_interval_s ? start + o->stats_interval_s : 0;
	while (!sig_stop_requested()) {
		uint64_t now;
		int st;

		(void)poll(NULL, 0, MP_LIVE_POLL_MS); /* a signal cuts it short */
		st = wk_fanout_state(pl, err, errlen);
		if (st == 1) {
			rc = -1;
			break;
		}
		if (st == 2) {
			limit = true;
			break;
		}
		now = housekeeping(caps, ncaps, pl, o, &next_stats, reload, reload_user);
		if (o->duration_s != 0 && now - start >= o->duration_s)
			break;
	}
	/* As without fanout, a stop reads what the kernel still holds (not after a limit or an error). */
	wk_stop(pl, rc == 0 && !limit);
	sum_counters(caps, ncaps, totals);
	wk_finish(pl, totals);
	return rc;
}

int live_run(struct capture **caps, size_t ncaps, struct workers *pl, const struct live_opts *o,
	     live_reload_cb reload, void *reload_user, struct capture_counters *totals, char *err,
	     size_t errlen)
{
	struct pollfd pfd[MP_MAX_INTERFACES];
	struct live_ctx lc = {pl, 0, o->max_packets, o->names, SIZE_MAX};
	uint64_t start = now_mono_ms() / 1000u, next_stats;
	int rc = 0;

	if (wk_is_fanout(pl))
		return run_fanout(caps, ncaps, pl, o, reload, reload_user, totals, err, errlen);
	if (ncaps > MP_MAX_INTERFACES) {
		snprintf(err, errlen, "too many interfaces (at most %d)", MP_MAX_INTERFACES);
		return -1;
	}
	for (size_t i = 0; i < ncaps; i++) {
		pfd[i].fd = capture_fd(caps[i]);
		pfd[i].events = POLLIN;
	}
	next_stats = o->stats_interval_s ? start + o->stats_interval_s : 0;
	while (!sig_stop_requested()) {
		int n = poll(pfd, (nfds_t)ncaps, MP_LIVE_POLL_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		/* Read every source each round: a poll timeout may hide packets the kernel batched. */
		for (size_t i = 0; i < ncaps && rc == 0; i++) {
			if (read_ready(caps, i, &lc, err, errlen) < 0)
				rc = -1;
		}
		if (rc != 0)
			break;
		now = housekeeping(caps, ncaps, pl, o, &next_stats, reload, reload_user);
		if (at_limit(&lc))
			break;
		if (o->duration_s != 0 && now - start >= o->duration_s)
			break;
	}
	/* Drain what the kernel holds so a stop loses nothing that was captured: packets in a block the
	 * kernel has not handed over yet come within the block timeout, so sources are read for
	 * MP_LIVE_DRAIN_MS. */
	if (rc == 0) {
		uint64_t until = now_mono_ms() + MP_LIVE_DRAIN_MS, now;

		for (;;) {
			read_all_ready(caps, ncaps, &lc, err, errlen);
			now = now_mono_ms();
			if (at_limit(&lc) || now >= until)
				break;
			(void)poll(pfd, (nfds_t)ncaps, (int)(until - now));
		}
	}
	sum_counters(caps, ncaps, totals);
	wk_finish(pl, totals);
	return rc;
}
