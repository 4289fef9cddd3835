/* test_spin.c: spin_backoff pauses, then sleeps; spin_lock_mutex excludes, waits out a long holder, and
 * takes a free mutex at once (pthread_mutex_trylock(3), nanosleep(2)). */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "misport/config.h"
#include "misport/spin.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

Test(spin, backoff_pauses_then_sleeps)
{
	unsigned spins = 0;
	uint64_t t0;

	for (unsigned i = 0; i < MP_SPIN_PAUSES; i++)
		cr_assert_not(spin_backoff(&spins), "step %u slept", i);
	cr_assert_eq(spins, MP_SPIN_PAUSES);
	t0 = now_ns();
	cr_assert(spin_backoff(&spins));
	/* nanosleep sleeps at least what was asked. */
	cr_assert_geq(now_ns() - t0, (uint64_t)MP_SPIN_SLEEP_NS);
	cr_assert(spin_backoff(&spins), "it keeps sleeping until the caller zeroes the count");
	spins = 0;
	cr_assert_not(spin_backoff(&spins));
}

/* An idle thread (a worker of a quiet live capture) must not wake up 50,000 times a second: the sleeps of
 * a wait stay short for MP_SPIN_SHORT_SLEEPS steps, then double up to MP_SPIN_SLEEP_MAX_NS and stay
 * there, without overflow at the end of the count. */
Test(spin, sleeps_grow_when_a_wait_lasts)
{
	const unsigned first_long = MP_SPIN_PAUSES + MP_SPIN_SHORT_SLEEPS;
	long prev = 0;

	cr_assert_eq(spin_sleep_ns(0), 0);
	cr_assert_eq(spin_sleep_ns(MP_SPIN_PAUSES - 1), 0);
	cr_assert_eq(spin_sleep_ns(MP_SPIN_PAUSES), MP_SPIN_SLEEP_NS);
	cr_assert_eq(spin_sleep_ns(first_long - 1), MP_SPIN_SLEEP_NS);
	cr_assert_eq(spin_sleep_ns(first_long), 2 * MP_SPIN_SLEEP_NS);
	cr_assert_eq(spin_sleep_ns(first_long + 1), 4 * MP_SPIN_SLEEP_NS);
	for (unsigned s = 0; s < first_long + 64; s++) {
		long ns = spin_sleep_ns(s);

		cr_assert_geq(ns, prev, "step %u sleeps less than the step before", s);
		cr_assert_leq(ns, MP_SPIN_SLEEP_MAX_NS, "step %u", s);
		cr_assert_eq(spin_waited_long(s), ns > MP_SPIN_SLEEP_NS, "step %u: long wait or not", s);
		prev = ns;
	}
	cr_assert_eq(prev, MP_SPIN_SLEEP_MAX_NS, "the sleeps reach the cap");
	cr_assert_eq(spin_sleep_ns(UINT_MAX), MP_SPIN_SLEEP_MAX_NS);
	/* 1 s of idle waiting wakes the thread up fewer than 1,000 times once the sleeps are long. */
	cr_assert_geq(MP_SPIN_SLEEP_MAX_NS, 1000000L);
}

/* The count saturates instead of wrapping around to the pauses. */
Test(spin, backoff_count_saturates)
{
	unsigned spins = UINT_MAX - 1;

	cr_assert(spin_backoff(&spins));
	cr_assert_eq(spins, UINT_MAX);
	cr_assert(spin_backoff(&spins));
	cr_assert_eq(spins, UINT_MAX);
}

Test(spin, lock_takes_a_free_mutex)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

	spin_lock_mutex(&m);
	/* A default mutex refuses a second lock, even from its holder. */
	cr_assert_eq(pthread_mutex_trylock(&m), EBUSY);
	cr_assert_eq(pthread_mutex_unlock(&m), 0);
	cr_assert_eq(pthread_mutex_trylock(&m), 0);
	cr_assert_eq(pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
}

struct holder {
	pthread_mutex_t m;
	atomic_int held, released;
	uint64_t hold_ns;
};

static void *hold_then_release(void *arg)
{
	struct holder *h = arg;
	struct timespec ts = {0, (long)h->hold_ns};

	cr_assert_eq(pthread_mutex_lock(&h->m), 0);
	atomic_store(&h->held, 1);
	nanosleep(&ts, NULL);
	atomic_store(&h->released, 1);
	cr_assert_eq(pthread_mutex_unlock(&h->m), 0);
	return NULL;
}

/* A holder that keeps the lock well past MP_SPIN_LOCK_NS: the waiter stops spinning, sleeps in
 * pthread_mutex_lock, and gets the lock only once it was released. */
Test(spin, lock_waits_out_a_long_holder)
{
	struct holder h = {.m = PTHREAD_MUTEX_INITIALIZER, .hold_ns = 20u * MP_SPIN_LOCK_NS};
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, hold_then_release, &h), 0);
	while (!atomic_load(&h.held))
		;
	spin_lock_mutex(&h.m);
	cr_assert(atomic_load(&h.released), "locked while the other thread still held it");
	cr_assert_eq(pthread_mutex_unlock(&h.m), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	pthread_mutex_destroy(&h.m);
}

struct counter {
	pthread_mutex_t m;
	unsigned long n; /* written only under m */
	unsigned rounds;
	atomic_int inside;
	atomic_int overlaps;
};

static void *count_up(void *arg)
{
	struct counter *c = arg;

	for (unsigned i = 0; i < c->rounds; i++) {
		spin_lock_mutex(&c->m);
		if (atomic_fetch_add(&c->inside, 1) != 0)
			atomic_fetch_add(&c->overlaps, 1);
		c->n++;
		atomic_fetch_sub(&c->inside, 1);
		pthread_mutex_unlock(&c->m);
	}
	return NULL;
}

/* Four threads take the lock 50,000 times each for a few instructions: never two inside at once, and
 * no increment lost. */
Test(spin, lock_excludes_under_contention)
{
	struct counter c = {.m = PTHREAD_MUTEX_INITIALIZER, .rounds = 50000};
	pthread_t t[4];

	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, count_up, &c), 0);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(pthread_join(t[i], NULL), 0);
	cr_assert_eq(atomic_load(&c.overlaps), 0);
	cr_assert_eq(c.n, 4ul * c.rounds);
	pthread_mutex_destroy(&c.m);
}
