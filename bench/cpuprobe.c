/* cpuprobe.c: how fast each given CPU runs a busy-core loop right now: the benchmark reads the VM's state. */
/*
 * usage: cpuprobe MS CPU [CPU ...]
 * Runs, at the same time on each CPU (one pinned thread each), eight independent xorshift chains for
 * about MS milliseconds, and prints the nanoseconds per step of each CPU, comma-separated, in the order
 * given ("7.41,14.90"). Exit 1 on a bad argument or when a thread cannot be started or pinned.
 *
 * The loop does no memory access and keeps the execution units busy, so its speed is what the core
 * gives one hardware thread. On the benchmark's VM it runs about twice as fast when the vCPU has its
 * physical core to itself as when an SMT sibling is busy (bench/JOURNAL.md, thirtieth session); bench/run
 * probes the CPUs before and after each timed run on 5 copies or more, and bench/report.py says in which
 * state each tool ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CPUS 64

struct probe {
	int cpu;
	double ms;
	double ns_per_step; /* result */
	uint64_t sink;      /* keeps the loop's result alive */
	int err;            /* pthread_setaffinity_np's error, 0 when pinned */
};

static pthread_barrier_t start;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	uint64_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, s = 0, steps = 0;
	cpu_set_t set;
	double t0, t;

	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	p->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(&start);
	t0 = now_s();
	do {
		for (int i = 0; i < 50000; i++) {
			for (int k = 0; k < 8; k++) {
				uint64_t v = x[k];

				v ^= v << 13;
				v ^= v >> 7;
				v ^= v << 17;
				x[k] = v;
				s += v * UINT64_C(0x9e3779b97f4a7c15);
			}
		}
		steps += 50000;
		t = now_s();
	} while ((t - t0) * 1e3 < p->ms);
	p->ns_per_step = (t - t0) / (double)steps * 1e9;
	p->sink = s;
	return NULL;
}

/* Parses a whole non-negative decimal number below limit into *out; returns 0, or -1 when s is not one. */
static int parse_uint(const char *s, unsigned long limit, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v >= limit)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p[MAX_CPUS];
	pthread_t th[MAX_CPUS];
	unsigned long ms, cpu;
	int n = argc - 2, rc = 0;

	if (argc < 3 || n > MAX_CPUS || parse_uint(argv[1], 10001, &ms) != 0 || ms == 0) {
		fprintf(stderr, "usage: cpuprobe MS CPU [CPU ...] (MS 1-10000, at most %d CPUs)\n", MAX_CPUS);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (parse_uint(argv[i + 2], CPU_SETSIZE, &cpu) != 0) {
			fprintf(stderr, "cpuprobe: bad CPU '%s'\n", argv[i + 2]);
			return 1;
		}
		p[i] = (struct probe){.cpu = (int)cpu, .ms = (double)ms};
	}
	if (pthread_barrier_init(&start, NULL, (unsigned)n) != 0) {
		fprintf(stderr, "cpuprobe: pthread_barrier_init failed\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int e = pthread_create(&th[i], NULL, probe_main, &p[i]);

		if (e != 0) {
			fprintf(stderr, "cpuprobe: pthread_create: %s\n", strerror(e));
			/* the started threads wait at the barrier for ever: end the process */
			return 1;
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < n; i++) {
		if (p[i].err != 0) {
			fprintf(stderr, "cpuprobe: cannot pin to CPU %d: %s\n", p[i].cpu, strerror(p[i].err));
			rc = 1;
		}
		printf("%s%.2f", i ? "," : "", p[i].ns_per_step);
	}
	printf("\n");
	return rc;
}
