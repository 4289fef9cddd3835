/* spin.c: how worker threads wait for each other: a bounded busy wait, then a sleep (POSIX nanosleep). */
#include "misport/spin.h"

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "misport/config.h"

/* Tells the CPU that this is a busy wait (x86 PAUSE: less power, no penalty leaving the loop). */
static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

long spin_sleep_ns(unsigned spins)
{
	long ns = MP_SPIN_SLEEP_NS;

	if (spins < MP_SPIN_PAUSES)
		return 0;
	spins -= MP_SPIN_PAUSES;
	if (spins < MP_SPIN_SHORT_SLEEPS)
		return ns;
	/* The k-th sleep past the short ones (k from 0) is 2^(k+1) short sleeps, capped. */
	for (unsigned i = 0, k = spins - MP_SPIN_SHORT_SLEEPS; i <= k && ns < MP_SPIN_SLEEP_MAX_NS; i++)
		ns *= 2;
	return ns < MP_SPIN_SLEEP_MAX_NS ? ns : MP_SPIN_SLEEP_MAX_NS;
}

bool spin_backoff(unsigned *spins)
{
	long ns = spin_sleep_ns(*spins);

	if (*spins < UINT_MAX)
		++*spins;
	if (ns == 0) {
		cpu_relax();
		return false;
	}
	struct timespec ts = {ns / 1000000000L, ns % 1000000000L};

	nanosleep(&ts, NULL);
	return true;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return UINT64_MAX; /* no clock: the caller stops spinning */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void spin_lock_mutex(pthread_mutex_t *m)
{
	uint64_t start;

	if (pthread_mutex_trylock(m) == 0)
		return;
	start = mono_ns();
	/* A try every 8 pauses leaves the holder's line alone most of the time; the clock is read every
	 * 256 (a few microseconds on current x86). */
	for (unsigned i = 1; start != UINT64_MAX; i++) {
		cpu_relax();
		if (i % 8 == 0 && pthread_mutex_trylock(m) == 0)
			return;
		if (i % 256 == 0) {
			uint64_t now = mono_ns();

			if (now == UINT64_MAX || now - start >= MP_SPIN_LOCK_NS)
				break;
		}
	}
	pthread_mutex_lock(m);
}
