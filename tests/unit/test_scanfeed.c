/* test_scanfeed.c: the scan detector's input merged from several workers in key (capture) order. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "misport/scanfeed.h"

/* The consumer: records every call it is given, in order. A QUERY answers "scanner" when at least
 * ts_us other calls were made before it. */
#define REC_MAX 200000u
static struct sfeed_key g_keys[REC_MAX];
static uint8_t g_kinds[REC_MAX];
static size_t g_n, g_nonquery;

static bool record(void *ctx, struct sfeed_op *op)
{
	(void)ctx;
	cr_assert_lt(g_n, REC_MAX);
	g_keys[g_n] = op->key;
	g_kinds[g_n] = op->kind;
	g_n++;
	if (op->kind == SFEED_QUERY)
		return g_nonquery >= op->ts_us;
	g_nonquery++;
	return false;
}

/* Bounds of the producers, set by the tests (positions). */
static uint64_t g_bound[4];

static uint64_t bound(void *ctx, unsigned i)
{
	(void)ctx;
	return g_bound[i];
}

static pthread_spinlock_t g_lock;

static struct scan_feed *make_with(unsigned n, unsigned cap, sfeed_bound_fn bfn)
{
	struct scan_feed *f;
	char err[128];

	g_n = g_nonquery = 0;
	memset(g_bound, 0, sizeof(g_bound));
	pthread_spin_init(&g_lock, PTHREAD_PROCESS_PRIVATE);
	cr_assert_eq(sfeed_new(n, cap, n > 1 ? (void *)(uintptr_t)&g_lock : NULL, n > 1 ? bfn : NULL, NULL,
			       record, NULL, &f, err, sizeof(err)),
		     0, "%s", err);
	return f;
}

static struct scan_feed *make(unsigned n, unsigned cap)
{
	return make_with(n, cap, bound);
}

static struct sfeed_key K(uint64_t pos, uint64_t sub) {
	struct sfeed_key k = {pos, sub};
	return k;
}

static void
put(struct scan_feed *f, unsigned i, uint64_t pos, uint64_t sub)
{
	struct sfeed_op *op = sfeed_slot(f, i, K(pos, sub));

	op->kind = SFEED_CONTACT;
	sfeed_commit(f, i);
}

static void expect_applied(const struct sfeed_key *want, size_t n)
{
	cr_assert_eq(g_n, n, "applied %zu calls, expected %zu", g_n, n);
	for (size_t i = 0; i < n; i++)
		cr_assert(g_keys[i].pos == want[i].pos && g_keys[i].sub == want[i].sub,
			  "call %zu: applied (%llu,%llu), expected (%llu,%llu)", i,
			  (unsigned long long)g_keys[i].pos, (unsigned long long)g_keys[i].sub,
			  (unsigned long long)want[i].pos, (unsigned long long)want[i].sub);
}

Test(scanfeed, merges_two_queues_in_key_order)
{
	struct scan_feed *f = make(2, 16);
	const struct sfeed_key want[] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}};

	put(f, 0, 1, 0);
	put(f, 0, 3, 0);
	put(f, 0, 5, 0);
	put(f, 1, 2, 0);
	put(f, 1, 4, 0);
	g_bound[1] = 5; /* producer 1 works on position 5: it submits nothing before (5,0) any more */
	sfeed_sync(f, 0, K(6, 0));
	expect_applied(want, 5);
	sfeed_free(f);
}

Test(scanfeed, holds_calls_back_while_another_producer_may_still_precede_them)
{
	struct scan_feed *f = make(2, 16);
	const struct sfeed_key want[] = {{1, 0}, {3, 0}, {5, 0}};

	put(f, 0, 3, 0);
	put(f, 0, 5, 0);
	put(f, 1, 1, 0);
	g_bound[1] = 2;
	sfeed_sync(f, 0, K(6, 0));
	expect_applied(want, 1); /* (3,0) waits: producer 1 is at 2 */
	cr_assert_eq(sfeed_pending(f), 2);
	g_bound[1] = 4;
	sfeed_sync(f, 0, K(6, 0));
	expect_applied(want, 2);
	sfeed_done(f, 1); /* producer 1 has ended: nothing of it can come before (5,0) */
	sfeed_sync(f, 0, K(6, 0));
	expect_applied(want, 3);
	cr_assert_eq(sfeed_pending(f), 0);
	sfeed_free(f);
}

/* A tick reaches every worker at one position; the flows it ends are ordered by their sweep rank (sub),
 * and the detector's own sweep comes after all of them. */
Test(scanfeed, orders_one_tick_by_sweep_rank_across_producers)
{
	struct scan_feed *f = make(2, 16);
	const struct sfeed_key want[] = {{7, 5}, {7, 6}, {7, 8}, {7, 9}, {7, SFEED_SUB_LAST}};

	put(f, 0, 7, 5);
	put(f, 0, 7, 9);
	put(f, 0, 7, SFEED_SUB_LAST);
	put(f, 1, 7, 6);
	g_bound[1] = 7; /* producer 1 is still in its sweep at 7: (7,5) must wait for it */
	sfeed_sync(f, 0, K(7, SFEED_SUB_LAST));
	expect_applied(want, 0);
	put(f, 1, 7, 8);
	g_bound[0] = 8; /* both have finished the tick */
	g_bound[1] = 8;
	sfeed_sync(f, 1, K(8, 0));
	expect_applied(want, 5);
	sfeed_free(f);
}

/* A query is answered on exactly the calls ordered before it, from every producer. */
Test(scanfeed, query_sees_exactly_the_calls_ordered_before_it)
{
	struct scan_feed *f = make(2, 16);
	static const uint8_t addr[16] = {10, 0, 0, 1};
	_Atomic uint8_t answer = SFEED_UNANSWERED;
	struct sfeed_op *op;
	bool scanner = true;

	put(f, 0, 1, 0);
	put(f, 0, 4, 0);
	put(f, 1, 2, 0);
	g_bound[0] = 4; /* producer 0 may still submit at 4: producer 1's query at 5 cannot be answered */
	cr_assert_not(sfeed_try_is_scanner(f, 1, K(5, 0), 4, addr, 3, &scanner));
	op = sfeed_slot(f, 1, K(5, 0));
	op->kind = SFEED_QUERY;
	op->ts_us = 3; /* "scanner" when 3 calls came before it: (1,0), (2,0) and (4,0) */
	op->answer = &answer;
	sfeed_commit(f, 1);
	put(f, 1, 6, 0);
	sfeed_sync(f, 1, K(6, 0));
	cr_assert_eq(atomic_load(&answer), SFEED_UNANSWERED);
	g_bound[0] = 7;
	sfeed_sync(f, 1, K(6, 0));
	cr_assert_eq(atomic_load(&answer), SFEED_SCANNER);
	cr_assert_eq(g_n, 5);
	cr_assert_eq(g_kinds[3], SFEED_QUERY);
	/* the same question now: 4 calls before (7,0), once producer 1 is there too */
	cr_assert_not(sfeed_try_is_scanner(f, 0, K(7, 0), 4, addr, 4, &scanner));
	g_bound[1] = 7;
	cr_assert(sfeed_try_is_scanner(f, 0, K(7, 0), 4, addr, 4, &scanner));
	cr_assert(scanner);
	cr_assert(sfeed_try_is_scanner(f, 0, K(7, 0), 4, addr, 5, &scanner));
	cr_assert_not(scanner);
	sfeed_free(f);
}

Test(scanfeed, drain_applies_everything_in_order)
{
	struct scan_feed *f = make(3, 16);
	const struct sfeed_key want[] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}};

	put(f, 2, 3, 0);
	put(f, 0, 1, 0);
	put(f, 1, 2, 0);
	put(f, 0, 4, 0);
	sfeed_sync(f, 0, K(5, 0)); /* producers 1 and 2 are at 0: nothing can go yet */
	expect_applied(want, 0);
	sfeed_drain(f);
	expect_applied(want, 4);
	sfeed_free(f);
}

/* One producer (one pipeline): no lock, no bounds; a full queue is applied to make room. */
Test(scanfeed, single_producer_applies_in_submission_order)
{
	struct scan_feed *f = make(1, 4);

	for (uint64_t i = 1; i <= 10; i++)
		put(f, 0, i, 0);
	cr_assert_geq(g_n, 6, "a full queue of 4 is applied before the next call");
	sfeed_sync(f, 0, K(10, 0));
	cr_assert_eq(g_n, 10);
	for (size_t i = 0; i < g_n; i++)
		cr_assert_eq(g_keys[i].pos, i + 1);
	sfeed_free(f);
}

Test(scanfeed, refuses_bad_parameters)
{
	struct scan_feed *f = (struct scan_feed *)1;
	char err[128];

	cr_assert_neq(sfeed_new(2, 16, NULL, bound, NULL, record, NULL, &f, err, sizeof(err)),
		      0); /* no lock */
	cr_assert_null(f);
	cr_assert_neq(sfeed_new(1, 12, NULL, NULL, NULL, record, NULL, &f, err, sizeof(err)),
		      0); /* not 2^n */
	cr_assert_neq(sfeed_new(0, 16, NULL, NULL, NULL, record, NULL, &f, err, sizeof(err)), 0);
	cr_assert_neq(sfeed_new(1, 16, NULL, NULL, NULL, NULL, NULL, &f, err, sizeof(err)), 0);
}

/* Two threads own the positions 1..N between them (a fixed pseudo-random deal), submit calls and ask
 * blocking queries at their positions, with small queues so that both wait on each other. Whatever the
 * timing, the consumer must see every call in key order, and every query must get the answer its key
 * gives: the number of calls ordered before it. */
#define STRESS_N 20000u
static _Atomic uint64_t g_at[2];
static uint8_t g_owner[STRESS_N + 1];
static uint8_t g_calls[STRESS_N + 1];   /* calls submitted at each position (0..2), before the query */
static uint8_t g_query[STRESS_N + 1];   /* a query at this position */
static uint8_t g_got[STRESS_N + 1];     /* its answer: 1 not scanner, 2 scanner */
static uint64_t g_thresh[STRESS_N + 1]; /* its threshold */
static struct scan_feed *g_feed;

static uint64_t stress_bound(void *ctx, unsigned i)
{
	(void)ctx;
	return atomic_load(&g_at[i]);
}

static void *stress_worker(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	static const uint8_t addr[16] = {192, 0, 2, 1};

	for (uint64_t p = 1; p <= STRESS_N; p++) {
		if (g_owner[p] != me)
			continue;
		atomic_store(&g_at[me], p);
		for (unsigned c = 0; c < g_calls[p]; c++)
			put(g_feed, me, p, 0);
		if (g_query[p])
			g_got[p] = sfeed_is_scanner(g_feed, me, K(p, 0), 4, addr, g_thresh[p]) ? 2 : 1;
	}
	sfeed_done(g_feed, me);
	return NULL;
}

Test(scanfeed, two_threads_give_capture_order_and_exact_answers)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, before = 0, total = 0;
	pthread_t t[2];

	g_feed = make_with(2, 16, stress_bound);
	for (uint64_t p = 1; p <= STRESS_N; p++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		g_owner[p] = (uint8_t)(x & 1);
		g_calls[p] = (uint8_t)((x >> 8) % 3);
		g_query[p] = ((x >> 16) % 16) == 0;
		g_thresh[p] = before + g_calls[p] - (x >> 24) % 2; /* at or one below what it will see */
		before += g_calls[p];
		total += g_calls[p];
	}
	atomic_store(&g_at[0], 0);
	atomic_store(&g_at[1], 0);
	pthread_create(&t[0], NULL, stress_worker, (void *)(uintptr_t)0);
	pthread_create(&t[1], NULL, stress_worker, (void *)(uintptr_t)1);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	sfeed_drain(g_feed);
	cr_assert_eq(g_nonquery, total, "every call applied once (%zu of %llu)", g_nonquery,
		     (unsigned long long)total);
	for (size_t i = 1; i < g_n; i++)
		cr_assert(!sfeed_key_lt(g_keys[i], g_keys[i - 1]), "call %zu applied out of order", i);
	before = 0;
	for (uint64_t p = 1; p <= STRESS_N; p++) {
		before += g_calls[p];
		if (g_query[p])
			cr_assert_eq(g_got[p], before >= g_thresh[p] ? 2 : 1, "query at %llu",
				     (unsigned long long)p);
	}
	sfeed_free(g_feed);
}
