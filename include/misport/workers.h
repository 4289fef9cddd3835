/* workers.h: runs the pipeline on one thread or on N worker threads. With N > 1 a reader thread
 * shards packets by a symmetric hash of the two host addresses (so every flow, and every pair of
 * hosts, lives in one worker) into per-worker single-producer single-consumer rings. */
#ifndef MISPORT_WORKERS_H
#define MISPORT_WORKERS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "misport/capture.h"
#include "misport/pipeline.h"

struct workers;

/* Creates n pipelines (n = 1: no threads, the caller's thread runs the pipeline). cfg->seed is
 * shared so flow ids do not depend on n. Returns 0, or -1 with err filled; the caller owns *out. */
int wk_new(const struct pipeline_config *cfg, unsigned n, struct workers **out, char *err, size_t errlen);

/* Creates n worker threads (n >= 1) that each read sockets of their own, for live capture sharded by the
 * kernel: caps[i * ncaps + k] is worker i's socket on interface k, the n sockets of interface k one
 * fanout group (capture_fanout_join), so that every packet between two hosts reaches one worker. names
 * (the interfaces', for in_iface; may be NULL) and caps are borrowed and must outlive the workers; the
 * caller closes the sockets after wk_finish. The threads wait for wk_fanout_go. With max_packets
 * non-zero the workers stop reading once that many packets have been taken (wk_fanout_state). The scan
 * detector's input is merged in the order of the packets' times (scanfeed.h). Returns 0, or -1 with err
 * filled; the caller owns *out. */
int wk_new_fanout(const struct pipeline_config *cfg, unsigned n, struct capture *const *caps, size_t ncaps,
		  const char *const *names, uint64_t max_packets, struct workers **out, char *err,
		  size_t errlen);

/* True when w was made by wk_new_fanout. */
bool wk_is_fanout(const struct workers *w);

/* Lets the fanout workers read; start_us is the time the capture started (capture_set_start). */
void wk_fanout_go(struct workers *w, uint64_t start_us);

/* 0 while the fanout workers read; 1 when one stopped on a read error (err filled with it); 2 when the
 * packet limit was reached. */
int wk_fanout_state(struct workers *w, char *err, size_t errlen);

/* Ends the fanout workers' threads; with drain, each first reads what its sockets still hold for
 * MP_LIVE_DRAIN_MS. Each ends its flows. After it the sockets are no longer read, and the caller may
 * read their counters; then wk_finish. No effect without fanout or when done already. */
void wk_stop(struct workers *w, bool drain);

/* Parses a CPU list in the form of taskset -c and Linux's cpulist files ("0,2-3": numbers and
 * ascending ranges, comma-separated, each below CPU_SETSIZE) into cpus, in the order given, repeats
 * allowed; entries past max are checked but not stored. Returns the number stored, or -1 with err
 * filled. */
int wk_parse_cpus(const char *s, unsigned *cpus, size_t max, char *err, size_t errlen);

/* Checks that every CPU of cpus is online and in the process's allowed set (sched_getaffinity), so
 * that a bad list is refused before anything is opened. Returns 0, or -1 with err naming the CPU. */
int wk_cpus_usable(const unsigned *cpus, size_t ncpus, char *err, size_t errlen);

/* Binds the caller's thread (the reader, which also runs worker 0) to cpus[0] and worker thread i to
 * cpus[i % ncpus], one CPU each (as Suricata's cpu-affinity and Zeek's pin_cpus do); with kernel fanout,
 * worker thread i (0 included) to cpus[i % ncpus], the caller's thread staying unbound. Call it after
 * wk_new and before the first packet, from the thread that will read; cpus is borrowed. Threads the
 * caller starts afterwards inherit cpus[0]. Returns 0, or -1 with err naming the thread and the CPU the
 * kernel refused (no such CPU, offline, or outside the process's allowed set); threads bound before the
 * failure stay bound. */
int wk_pin_cpus(struct workers *w, const unsigned *cpus, size_t ncpus, char *err, size_t errlen);

/* Hands one frame to the worker that owns its flow. The frame is copied when n > 1. */
void wk_packet(struct workers *w, int dlt, const struct capture_pkt *pkt);

/* capture_cb adapter: user is the workers object. Always returns 0. */
int wk_capture_cb(void *user, int dlt, const struct capture_pkt *pkt);

/* Advances every worker's clock to now_us (wall clock when live), and lets the outputs push out what they
 * buffered (outputs_idle). The live capture loop calls it every round. */
void wk_tick(struct workers *w, uint64_t now_us);

/* Names the capture file (iface false) or interface (iface true) the packets after this call come from,
 * in every worker (pipeline_set_source); name is borrowed and must outlive the workers. */
void wk_set_source(struct workers *w, const char *name, bool iface);

/* Reopens the output files (after log rotation: outputs_reopen) while no worker writes to them. Returns
 * 0, or -1 with err filled when a sink could not reopen (it keeps its old file). */
int wk_reopen_outputs(struct workers *w, char *err, size_t errlen);

/* Switches every worker to rules (borrowed) and returns once all of them use it, so the caller may
 * then free the previous rule set. */
void wk_set_rules(struct workers *w, const struct rules *rules);

/* Emits one stats record summed over all workers (kernel may be NULL; with kernel fanout, NULL takes the
 * counters the workers read from their sockets). */
void wk_emit_stats(struct workers *w, const struct capture_counters *kernel);

/* Ends every flow in every worker, stops the threads, and emits the final stats record. */
void wk_finish(struct workers *w, const struct capture_counters *kernel);

/* Prints the summary merged over all workers, then, with more than one worker, a table of each
 * worker's share (wk_worker_stats). Only after wk_finish. */
void wk_print_summary(struct workers *w, FILE *fp);

/* One worker's part of a run. */
struct wk_worker_stats {
	uint64_t pkts;   /* packets its pipeline took (counted as the summary's packets are) */
	uint64_t flows;  /* flows its pipeline created */
	uint64_t cpu_ns; /* CPU time of its thread from wk_new to the end of its flush; worker 0's thread is
			  * the reader, whose time includes reading and dispatching every packet (0 with one
			  * worker, which runs in the caller's thread) */
	uint64_t sleeps; /* times its thread slept waiting for the other side of a ring: worker 0 (the
			  * reader) for room, the others for records; with kernel fanout, times it waited
			  * in poll(2) with nothing to read */
	uint64_t forwarded; /* kernel fanout: packets it read but handed to the worker owning their host
			     * pair (one the kernel's hash of the outer addresses sent elsewhere: a tunnel) */
};

/* Fills st with worker i's part (0 <= i < the number of workers). Returns 0, or -1 when i is out of
 * range or wk_finish has not run. */
int wk_worker_stats(const struct workers *w, unsigned i, struct wk_worker_stats *st);

/* Stops the threads if running and frees everything. NULL is allowed. */
void wk_free(struct workers *w);

#endif
