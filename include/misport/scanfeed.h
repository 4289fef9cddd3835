/* scanfeed.h: the scan detector's input, merged from every worker into one capture-ordered sequence.
 *
 * The detector's results depend on the order of its calls (a full list evicts, a TRW test crosses its
 * threshold at one record and not another, a window opens at the first probe it sees). One pipeline
 * makes its calls in capture order. With workers, each worker submits its calls to its own queue tagged
 * with an order key, and the feed applies them in key order, the order one pipeline would have made them
 * in, whatever the threads' timing; a call is applied only once no worker can still submit one with a
 * smaller key. Queries (is this source a scanner?) wait until every call ordered before them is applied.
 *
 * Order key (pos, sub), compared as a pair. pos is the position of the record (packet, timer tick,
 * end of input) in the reader's sequence: a packet goes to one worker, a tick to all of them. sub is 0
 * for calls made while a packet is processed (one worker: its queue order is the order), and for calls
 * made while a tick or the end of input ends flows, the ended flow's place in that sweep: its state
 * class, then the position of its last packet (flow_sweep_order), which is the order in which one flow
 * table would have ended them. The detector's own sweep comes last at its tick (SFEED_SUB_LAST). */
#ifndef MISPORT_SCANFEED_H
#define MISPORT_SCANFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "misport/scan.h"

/* sub of the detector's own sweep at a tick: after every flow the tick ends. */
#define SFEED_SUB_LAST UINT64_MAX

struct sfeed_key {
	uint64_t pos, sub;
};

enum sfeed_kind { SFEED_PROBE = 1, SFEED_CONTACT, SFEED_EXPIRE, SFEED_QUERY };

/* Answers of a SFEED_QUERY call, stored into *answer by whichever thread applies it. */
enum sfeed_answer { SFEED_UNANSWERED = 0, SFEED_NOT_SCANNER, SFEED_SCANNER };

/* One detector call. PROBE: scan_observe(&sp) (app is the storage of sp.app_proto, which the feed
 * points back at app when sp.app_proto is not NULL; sp.mismatch must be a static string). CONTACT:
 * scan_note_contact(family, client, server, ts_us). EXPIRE: scan_expire(ts_us). QUERY:
 * scan_is_scanner(family, client, ts_us), its enum sfeed_answer stored into *answer (release order); the
 * submitter keeps *answer alive until it reads the answer. */
struct sfeed_op {
	struct sfeed_key key;
	uint8_t kind;
	uint8_t family;
	uint8_t client[16], server[16];
	uint64_t ts_us;
	_Atomic uint8_t *answer;
	char app[48];
	struct scan_probe sp;
};

/* Makes one call (the consumer: sfeed_apply_scan in misport, a recorder in tests), with the feed's lock
 * held. Returns the answer of a QUERY (true: a scanner); ignored for the other kinds. */
typedef bool (*sfeed_apply_fn)(void *ctx, struct sfeed_op *op);

/* sfeed_apply_fn of the scan detector: ctx is the struct scan_detector. */
bool sfeed_apply_scan(void *ctx, struct sfeed_op *op);

/* Lower bound of the keys producer i can still submit, as a position: every call of i with a key below
 * (bound, 0) is submitted already. Called with the feed's lock held, from any producer's thread; it must
 * be safe to call concurrently with producer i's work. */
typedef uint64_t (*sfeed_bound_fn)(void *ctx, unsigned producer);

struct scan_feed;

/* Creates a feed of nproducers queues of qcap calls each (a power of two) into apply(actx, ...). lock
 * (pthread_spinlock_t *, borrowed) serializes the consumer; NULL with one producer. bound(bctx, i) may be
 * NULL with one producer. Returns 0, or -1 with err filled. The caller owns *out (sfeed_free). */
int sfeed_new(unsigned nproducers, unsigned qcap, void *lock, sfeed_bound_fn bound, void *bctx,
	      sfeed_apply_fn apply, void *actx, struct scan_feed **out, char *err, size_t errlen);

/* Frees the feed; calls still queued are dropped. NULL is allowed. */
void sfeed_free(struct scan_feed *f);

/* The next free call of producer i's queue, for key k (keys of one producer never decrease). When the
 * queue is full, it first waits until calls can be applied. The call is submitted by sfeed_commit; only
 * producer i's thread calls these two. The slot's fields other than key are undefined. */
struct sfeed_op *sfeed_slot(struct scan_feed *f, unsigned i, struct sfeed_key k);
void sfeed_commit(struct scan_feed *f, unsigned i);

/* Applies what can be applied now, without waiting (takes the lock). Producer i is at key k: it will
 * submit nothing below k. */
void sfeed_sync(struct scan_feed *f, unsigned i, struct sfeed_key k);

/* Waits until every call ordered at or before limit, from every producer, is applied; producer i is at
 * key at (limit <= at). */
void sfeed_wait(struct scan_feed *f, unsigned i, struct sfeed_key at, struct sfeed_key limit);

/* sfeed_wait(i, k, k), then the consumer's answer to a QUERY (family, addr, now_us) under the same lock
 * hold. */
bool sfeed_is_scanner(struct scan_feed *f, unsigned i, struct sfeed_key k, uint8_t family,
		      const uint8_t addr[16], uint64_t now_us);

/* The same question without waiting: when every call ordered at or before k is applied, or can be now,
 * stores the answer in *scanner and returns true; otherwise returns false (ask with a QUERY call). */
bool sfeed_try_is_scanner(struct scan_feed *f, unsigned i, struct sfeed_key k, uint8_t family,
			  const uint8_t addr[16], uint64_t now_us, bool *scanner);

/* Producer i has ended: it submits nothing more (its bound is past every key). */
void sfeed_done(struct scan_feed *f, unsigned i);

/* Applies every queued call in key order, ignoring bounds: for the end, once no producer runs. */
void sfeed_drain(struct scan_feed *f);

/* Calls still queued over all producers (under the lock; for tests and stats). */
uint64_t sfeed_pending(struct scan_feed *f);

/* Order key helpers. */
static inline bool sfeed_key_lt(struct sfeed_key a, struct sfeed_key b)
{
	return a.pos < b.pos || (a.pos == b.pos && a.sub < b.sub);
}

#endif
