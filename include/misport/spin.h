/* spin.h: how worker threads wait for each other: a bounded busy wait, then a sleep (POSIX nanosleep). */
#ifndef MISPORT_SPIN_H
#define MISPORT_SPIN_H

#include <pthread.h>
#include <stdbool.h>

#include "misport/config.h"

/* One step of waiting for a condition another thread will make true (a ring that fills or drains, a
 * queue that empties): a CPU pause for the first MP_SPIN_PAUSES steps counted in *spins, then a sleep
 * of spin_sleep_ns(*spins) per step. The caller zeroes *spins when it stops waiting. It never calls
 * sched_yield: with as many threads as cores that returns at once, and a thread spinning on it becomes
 * a storm of system calls (each a trap to the hypervisor in a VM) that slows the thread doing the work.
 * Returns whether it slept. */
bool spin_backoff(unsigned *spins);

/* The sleep of spin_backoff's step `spins`, in nanoseconds: 0 (a pause) for the first MP_SPIN_PAUSES
 * steps, MP_SPIN_SLEEP_NS for the next MP_SPIN_SHORT_SLEEPS, then twice the step before, up to
 * MP_SPIN_SLEEP_MAX_NS. */
long spin_sleep_ns(unsigned spins);

/* Whether a wait at step `spins` has reached the long sleeps, that is, whether the waiting thread has had
 * nothing to do for a while (10 ms and more). */
static inline bool spin_waited_long(unsigned spins)
{
	return spins >= MP_SPIN_PAUSES + MP_SPIN_SHORT_SLEEPS;
}

/* Locks m, a mutex other threads hold for microseconds at a time (the outputs shared by workers). While
 * m is held, it retries for up to MP_SPIN_LOCK_NS before it sleeps in pthread_mutex_lock: on a virtual
 * machine a sleep and its wake-up cost tens of microseconds and traps to the hypervisor, more than the
 * wait. Unlock with pthread_mutex_unlock. */
void spin_lock_mutex(pthread_mutex_t *m);

#endif
