/* now.h: the clocks the run loops read: wall-clock microseconds (packet times, live ticks) and
 * monotonic milliseconds (timeouts and intervals). */
#ifndef MISPORT_NOW_H
#define MISPORT_NOW_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME now, in microseconds since the epoch (the unit of packet times). */
static inline uint64_t now_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* CLOCK_MONOTONIC now, in milliseconds. */
static inline uint64_t now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
