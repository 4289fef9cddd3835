/* suppress.h: alert suppression per (client, server, server port, transport, verdict) over an
 * interval of capture time, bounded, with a closing record for every suppressed repeat count. */
#ifndef MISPORT_SUPPRESS_H
#define MISPORT_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "misport/alert.h"

struct supp_table;

/* Receives a closing record (an alert saying how many repeats were suppressed); the record is
 * valid only during the call. */
typedef void (*supp_emit_cb)(const struct mp_alert *closing, void *user);

struct supp_stats {
	uint64_t suppressed; /* repeats counted instead of emitted */
	uint64_t closed;     /* closing records emitted */
	uint64_t evicted;    /* keys closed early because the table was full */
	uint32_t active;
};

/* Creates a table of at most max keys (0: MP_SUPPRESS_MAX) with the given interval in seconds
 * (0 disables suppression: every alert is emitted). Returns 0, or -1 with err filled; the caller
 * owns *out (supp_free). */
int supp_new(uint32_t max, uint32_t interval_s, supp_emit_cb emit, void *user, struct supp_table **out,
	     char *err, size_t errlen);

/* Closes every key (emitting closing records for those with repeats) and frees the table. */
void supp_free(struct supp_table *t);

/* Decides on alert a at capture time now_us: returns true when it must be emitted (first of its key
 * in the interval), false when it is a repeat, which is counted. The verdict is read from a's
 * "verdict" metadata. */
bool supp_check(struct supp_table *t, const struct mp_alert *a, uint64_t now_us);

/* Closes keys whose interval has ended at now_us, emitting their closing records. */
void supp_expire(struct supp_table *t, uint64_t now_us);

/* Closes every key now. */
void supp_flush(struct supp_table *t);

const struct supp_stats *supp_table_stats(const struct supp_table *t);

#endif
