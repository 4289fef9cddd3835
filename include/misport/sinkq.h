/* sinkq.h: a bounded queue of serialized records with one sender thread per network sink; capture
 * never blocks on it (full = dropped and counted), the sender reconnects with exponential backoff and
 * flushes within a deadline at exit. */
#ifndef MISPORT_SINKQ_H
#define MISPORT_SINKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One queued record: len bytes of data, exactly what the transport writes (a syslog frame, an EVE
 * line, a Redis value). Owned by the queue; transports only read it. */
struct sinkq_rec {
	size_t len;
	char data[];
};

/* The transport a sender thread drives; every callback runs on that thread only, so ctx needs no
 * locking. deadline_ms (CLOCK_MONOTONIC milliseconds) bounds each call.
 * connect: establishes the connection; 0, or -1 with err filled.
 * send: delivers recs[0..n-1] in order and sets *done to how many were delivered (for an
 *   acknowledged transport: acknowledged). Returns 0 when all n were, -1 when the connection broke
 *   (err filled); the undelivered records stay queued and are sent again after a reconnect.
 * alive: may be NULL; returns false when the connection is known to be gone (peer closed), checked
 *   before each batch so that a restarted receiver costs as few records as possible.
 * disconnect: closes the connection (idempotent). */
struct sinkq_ops {
	int (*connect)(void *ctx, uint64_t deadline_ms, char *err, size_t errlen);
	int (*send)(void *ctx, struct sinkq_rec *const *recs, size_t n, size_t *done, uint64_t deadline_ms,
		    char *err, size_t errlen);
	bool (*alive)(void *ctx);
	void (*disconnect)(void *ctx);
};

/* Counters; a consistent snapshot taken under the queue's lock. */
struct sinkq_stats {
	uint64_t accepted;     /* records pushed */
	uint64_t dropped_full; /* records refused: queue full or over the byte bound, or after stop */
	uint64_t dropped_exit; /* records still queued when the flush deadline passed */
	uint64_t sent;         /* records the transport delivered */
	uint64_t queued, queued_bytes, peak;
	uint64_t connects, reconnects, connect_failures, send_failures;
	bool connected;
};

struct sinkq;

/* Limits of a queue and its behaviour; zero fields take the defaults of config.h. */
struct sinkq_config {
	const char *name;        /* for diagnostics ("syslog tcp://h:514"); copied */
	size_t max_records;      /* MP_OUT_QUEUE_RECORDS */
	size_t max_bytes;        /* MP_OUT_QUEUE_BYTES */
	size_t batch;            /* MP_OUT_BATCH_RECORDS */
	unsigned backoff_min_ms; /* MP_OUT_BACKOFF_MIN_MS */
	unsigned backoff_max_ms; /* MP_OUT_BACKOFF_MAX_MS */
	unsigned io_timeout_ms;  /* MP_OUT_IO_TIMEOUT_MS */
	bool quiet;              /* no diagnostics on stderr (unit tests) */
};

/* Creates a queue and starts its sender thread, which connects in the background (a receiver that
 * is down at start is retried like one that went away). ops and ctx are borrowed and must stay valid
 * until sinkq_free. Returns 0 with *out set (owned by the caller), or -1 with err filled. */
int sinkq_new(const struct sinkq_config *cfg, const struct sinkq_ops *ops, void *ctx, struct sinkq **out,
	      char *err, size_t errlen);

/* Copies len bytes of data into the queue. Never blocks beyond a short lock. Returns 0, or -1 when
 * the record was dropped (queue full, over the byte bound, or the queue is stopping); drops are counted. */
int sinkq_push(struct sinkq *q, const void *data, size_t len);

/* Same with the record assembled from two parts (a frame header and a body) without a copy first. */
int sinkq_push2(struct sinkq *q, const void *a, size_t alen, const void *b, size_t blen);

/* Stops the sender: it keeps delivering until the queue is empty or deadline_ms passes (reconnecting
 * if it must), then disconnects and exits; what is left counts as dropped_exit. Joins the thread.
 * Idempotent; later pushes are dropped. */
void sinkq_stop(struct sinkq *q, uint64_t deadline_ms);

/* Snapshot of the counters. */
void sinkq_get_stats(struct sinkq *q, struct sinkq_stats *st);

struct output_sink_stats;

/* Fills the queued-sink fields of an output's counters (output.h) from the queue: the stats() of the
 * queued output modules. */
void sinkq_output_stats(struct sinkq *q, struct output_sink_stats *st);

/* Stops (with an immediate deadline if sinkq_stop was not called) and frees. NULL allowed. */
void sinkq_free(struct sinkq *q);

#endif
