/* scanfeed.c: per-worker queues of scan-detector calls, applied in capture order (a k-way merge by key). */
#include "misport/scanfeed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"
#include "misport/spin.h"

/* One producer's queue: single producer (its worker), consumed by whichever thread holds the lock. */
struct sfeed_queue {
	_Alignas(64) _Atomic uint64_t tail; /* written by the producer */
	uint64_t head_seen;                 /* producer's copy of head */
	uint64_t since_sync;                /* producer: commits since it last applied */
	struct sfeed_key cur;               /* producer: key of its latest slot */
	_Alignas(64) _Atomic uint64_t head; /* written under the lock */
	_Atomic int done;                   /* sfeed_done */
	bool waiting;                       /* under the lock: the producer waits at wait_key */
	struct sfeed_key wait_key;
	struct sfeed_op *ops;
};

struct scan_feed {
	sfeed_apply_fn apply;
	void *actx;
	pthread_spinlock_t *lock;
	unsigned n;
	uint64_t cap, mask;
	sfeed_bound_fn bound;
	void *bctx;
	struct sfeed_queue *q;
};

static const struct sfeed_key key_max = {UINT64_MAX, UINT64_MAX};

static void feed_lock(struct scan_feed *f)
{
	if (f->lock != NULL)
		pthread_spin_lock(f->lock);
}

static void feed_unlock(struct scan_feed *f)
{
	if (f->lock != NULL)
		pthread_spin_unlock(f->lock);
}

int sfeed_new(unsigned nproducers, unsigned qcap, void *lock, sfeed_bound_fn bound, void *bctx,
	      sfeed_apply_fn apply, void *actx, struct scan_feed **out, char *err, size_t errlen)
{
	struct scan_feed *f;

	*out = NULL;
	if (apply == NULL || nproducers == 0 || nproducers > MP_MAX_WORKERS || qcap < 2 ||
	    (qcap & (qcap - 1)) != 0 || (nproducers > 1 && (lock == NULL || bound == NULL))) {
		snprintf(err, errlen, "scan feed: bad parameters");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto oom;
	f->apply = apply;
	f->actx = actx;
	f->lock = lock;
	f->n = nproducers;
	f->cap = qcap;
	f->mask = qcap - 1u;
	f->bound = bound;
	f->bctx = bctx;
	f->q = aligned_alloc(64, sizeof(*f->q) * nproducers);
	if (f->q == NULL)
		goto oom;
	memset(f->q, 0, sizeof(*f->q) * nproducers);
	for (unsigned i = 0; i < nproducers; i++)
		if ((f->q[i].ops = calloc(qcap, sizeof(struct sfeed_op))) == NULL)
			goto oom;
	*out = f;
	return 0;
oom:
	snprintf(err, errlen, "scan feed: out of memory");
	sfeed_free(f);
	return -1;
}

void sfeed_free(struct scan_feed *f)
{
	if (f == NULL)
		return;
	if (f->q != NULL)
		for (unsigned i = 0; i < f->n; i++)
			free(f->q[i].ops);
	free(f->q);
	free(f);
}

/* Producer j's bound as a key. Lock held. */
static struct sfeed_key bound_of(struct scan_feed *f, unsigned j)
{
	struct sfeed_queue *q = &f->q[j];
	struct sfeed_key b = {0, 0};

	if (atomic_load_explicit(&q->done, memory_order_acquire))
		return key_max;
	if (f->bound != NULL)
		b.pos = f->bound(f->bctx, j);
	if (q->waiting && sfeed_key_lt(b, q->wait_key))
		b = q->wait_key;
	return b;
}

bool sfeed_apply_scan(void *ctx, struct sfeed_op *op)
{
	struct scan_detector *sd = ctx;

	switch (op->kind) {
	case SFEED_PROBE:
		if (op->sp.app_proto != NULL)
			op->sp.app_proto = op->app;
		scan_observe(sd, &op->sp);
		break;
	case SFEED_CONTACT:
		scan_note_contact(sd, op->family, op->client, op->server, op->ts_us);
		break;
	case SFEED_EXPIRE:
		scan_expire(sd, op->ts_us);
		break;
	case SFEED_QUERY:
		return scan_is_scanner(sd, op->family, op->client, op->ts_us);
	default:
		break;
	}
	return false;
}

/* Makes a queued call; a QUERY's answer goes to its submitter. */
static void apply(struct scan_feed *f, struct sfeed_op *op)
{
	bool r = f->apply(f->actx, op);

	if (op->kind == SFEED_QUERY)
		atomic_store_explicit(op->answer, r ? SFEED_SCANNER : SFEED_NOT_SCANNER,
				      memory_order_release);
}

/* Applies queued calls in key order for as long as the smallest queued key is one no producer can still
 * undercut, and (limit) not past limit. self is the calling producer, at key self_key (NULL bounds:
 * every producer has ended). Returns whether every call ordered at or before limit is applied: every
 * other producer's bound has reached limit. Lock held. */
static bool merge(struct scan_feed *f, unsigned self, struct sfeed_key self_key,
		  const struct sfeed_key *limit, bool ignore_bounds)
{
	struct sfeed_key b[MP_MAX_WORKERS];
	bool complete = true;

	for (unsigned j = 0; j < f->n; j++)
		b[j] = ignore_bounds ? key_max : j == self ? self_key : bound_of(f, j);
	for (;;) {
		unsigned best = f->n;
		struct sfeed_key bk = key_max;
		struct sfeed_queue *q;
		uint64_t h;

		for (unsigned j = 0; j < f->n; j++) {
			uint64_t hj = atomic_load_explicit(&f->q[j].head, memory_order_relaxed);

			if (hj != atomic_load_explicit(&f->q[j].tail, memory_order_acquire)) {
				struct sfeed_key k = f->q[j].ops[hj & f->mask].key;

				if (best == f->n || sfeed_key_lt(k, bk)) {
					best = j;
					bk = k;
				}
			}
		}
		if (best == f->n || (limit != NULL && sfeed_key_lt(*limit, bk)))
			break;
		for (unsigned j = 0; j < f->n; j++)
			if (j != best && sfeed_key_lt(b[j], bk))
				goto stop; /* producer j may still submit a call ordered before this one */
		q = &f->q[best];
		h = atomic_load_explicit(&q->head, memory_order_relaxed);
		apply(f, &q->ops[h & f->mask]);
		atomic_store_explicit(&q->head, h + 1, memory_order_release);
	}
stop:
	if (limit != NULL)
		for (unsigned j = 0; j < f->n; j++)
			if (j != self && sfeed_key_lt(b[j], *limit))
				complete = false;
	return complete;
}

struct sfeed_op *sfeed_slot(struct scan_feed *f, unsigned i, struct sfeed_key k)
{
	struct sfeed_queue *q = &f->q[i];
	uint64_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct sfeed_op *op;

	q->cur = k;
	if (t - q->head_seen >= f->cap &&
	    t - (q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire)) >= f->cap) {
		unsigned spins = 0;

		feed_lock(f);
		q->waiting = true;
		q->wait_key = k;
		for (;;) {
			(void)merge(f, i, k, NULL, false);
			if (t - (q->head_seen = atomic_load_explicit(&q->head, memory_order_relaxed)) <
			    f->cap)
				break;
			feed_unlock(f);
			(void)spin_backoff(&spins);
			feed_lock(f);
		}
		q->waiting = false;
		feed_unlock(f);
		q->since_sync = 0;
	}
	op = &q->ops[t & f->mask];
	op->key = k;
	return op;
}

void sfeed_commit(struct scan_feed *f, unsigned i)
{
	struct sfeed_queue *q = &f->q[i];

	atomic_store_explicit(&q->tail, atomic_load_explicit(&q->tail, memory_order_relaxed) + 1,
			      memory_order_release);
	if (++q->since_sync >= MP_SCAN_QUEUE)
		sfeed_sync(f, i, q->cur);
}

void sfeed_sync(struct scan_feed *f, unsigned i, struct sfeed_key k)
{
	f->q[i].since_sync = 0;
	feed_lock(f);
	(void)merge(f, i, k, NULL, false);
	feed_unlock(f);
}

/* Lock held on entry and on return. */
static void wait_locked(struct scan_feed *f, unsigned i, struct sfeed_key at, struct sfeed_key k)
{
	struct sfeed_queue *q = &f->q[i];
	unsigned spins = 0;

	q->waiting = true;
	q->wait_key = at;
	while (!merge(f, i, at, &k, false)) {
		feed_unlock(f);
		(void)spin_backoff(&spins);
		feed_lock(f);
	}
	q->waiting = false;
	q->since_sync = 0;
}

void sfeed_wait(struct scan_feed *f, unsigned i, struct sfeed_key at, struct sfeed_key limit)
{
	feed_lock(f);
	wait_locked(f, i, at, limit);
	feed_unlock(f);
}

/* The consumer's answer to a QUERY made now. Lock held. */
static bool ask(struct scan_feed *f, struct sfeed_key k, uint8_t family, const uint8_t addr[16],
		uint64_t now_us)
{
	struct sfeed_op op;

	memset(&op, 0, offsetof(struct sfeed_op, app));
	op.key = k;
	op.kind = SFEED_QUERY;
	op.family = family;
	memcpy(op.client, addr, 16);
	op.ts_us = now_us;
	return f->apply(f->actx, &op);
}

bool sfeed_is_scanner(struct scan_feed *f, unsigned i, struct sfeed_key k, uint8_t family,
		      const uint8_t addr[16], uint64_t now_us)
{
	bool r;

	feed_lock(f);
	wait_locked(f, i, k, k);
	r = ask(f, k, family, addr, now_us);
	feed_unlock(f);
	return r;
}

bool sfeed_try_is_scanner(struct scan_feed *f, unsigned i, struct sfeed_key k, uint8_t family,
			  const uint8_t addr[16], uint64_t now_us, bool *scanner)
{
	bool done;

	feed_lock(f);
	done = merge(f, i, k, &k, false);
	if (done)
		*scanner = ask(f, k, family, addr, now_us);
	feed_unlock(f);
	f->q[i].since_sync = 0;
	return done;
}

void sfeed_done(struct scan_feed *f, unsigned i)
{
	atomic_store_explicit(&f->q[i].done, 1, memory_order_release);
}

void sfeed_drain(struct scan_feed *f)
{
	feed_lock(f);
	(void)merge(f, 0, key_max, NULL, true);
	feed_unlock(f);
}

uint64_t sfeed_pending(struct scan_feed *f)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < f->n; i++)
		n += atomic_load_explicit(&f->q[i].tail, memory_order_acquire) -
		     atomic_load_explicit(&f->q[i].head, memory_order_acquire);
	return n;
}
