/* output.h: output sinks as a table of function pointers with a static registry (zmap-style),
 * and a set of open sinks that events fan out to. */
#ifndef MISPORT_OUTPUT_H
#define MISPORT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "misport/event.h"

/* One option of a sink ("facility" = "local5"); both strings are borrowed for the call. */
struct output_opt {
	const char *key;
	const char *value;
};

/* Counters of one open sink (outputs_sink_stats). The first three apply to every sink; the rest to
 * queued (network) sinks only, which deliver from a sender thread of their own. */
struct output_sink_stats {
	const char *module;         /* module name; borrowed from the registry */
	const char *target;         /* target as given; borrowed from the set, valid until outputs_free */
	unsigned long long written; /* events written (queued sinks: accepted into the queue) */
	unsigned long long dropped; /* events refused: queue full, too large, write error */
	bool queued;                /* a network sink: the fields below are meaningful */
	unsigned long long sent;    /* records handed to the transport (Redis: acknowledged) */
	unsigned long long dropped_full; /* of dropped: the queue was full (or over its byte bound) */
	unsigned long long dropped_exit; /* still queued when the flush timeout expired at exit */
	unsigned long long queue_len;    /* records waiting now */
	unsigned long long queue_peak;   /* most records ever waiting */
	unsigned long long reconnects;   /* connections made after the first one */
	unsigned long long connect_failures;
	unsigned long long send_failures; /* broken connections while sending (records were retried) */
	bool connected;
};

/* One kind of sink. open() gets the target (a path, "-", a URL) and returns private state that
 * the sink owns and close() frees. write() must not block the caller for long; it returns 0 or -1
 * (the event is then counted as dropped by that sink). Sinks whose records are EVE JSON lines have
 * write_eve() instead of write(): it gets the event and its line (eve_format's object and a newline,
 * len bytes, valid during the call), which outputs_emit makes once per event for all such sinks, before
 * it takes the outputs' lock. A module has one of the two. reopen() (may be NULL) reopens files after
 * log rotation.
 * Optional members (NULL when absent): open_opts() is open() with per-sink options (a module without
 * it accepts none); check() validates a target and options without opening anything
 * (--check-config); flush() delivers what is queued until deadline_ms (CLOCK_MONOTONIC milliseconds)
 * and stops the sink's thread, after which stats() figures are final; stats() fills the queued-sink
 * fields of st; idle() is called between capture batches (outputs_idle) to push out what the sink
 * buffered. */
struct output_module {
	const char *name;
	const char *help;
	int (*open)(const char *target, void **state, char *err, size_t errlen);
	int (*write)(void *state, const struct mp_event *ev);
	int (*reopen)(void *state, char *err, size_t errlen);
	void (*close)(void *state);
	int (*open_opts)(const char *target, const struct output_opt *opts, size_t nopts, void **state,
			 char *err, size_t errlen);
	int (*check)(const char *target, const struct output_opt *opts, size_t nopts, char *err,
		     size_t errlen);
	void (*flush)(void *state, uint64_t deadline_ms);
	void (*stats)(void *state, struct output_sink_stats *st);
	int (*write_eve)(void *state, const struct mp_event *ev, const char *line, size_t len);
	void (*idle)(void *state);
};

/* Returns the module registered under name, or NULL. */
const struct output_module *output_find(const char *name);

/* Lists the registered modules, one per line, to fp. */
void output_list(FILE *fp);

struct outputs;

/* Creates an empty set of sinks; owned by the caller, freed with outputs_free. */
struct outputs *outputs_new(void);

/* Opens a sink of module name on target for the events in mask. Returns 0, or -1 with err filled. */
int outputs_add(struct outputs *o, const char *name, const char *target, unsigned mask, char *err,
		size_t errlen);

/* Like outputs_add with per-sink options (opts may be NULL when nopts is 0); a module that takes no
 * options refuses any. */
int outputs_add_opts(struct outputs *o, const char *name, const char *target, const struct output_opt *opts,
		     size_t nopts, unsigned mask, char *err, size_t errlen);

/* Validates a sink of module name on target with opts without opening it. Returns 0 or -1 (err). */
int output_check(const char *name, const char *target, const struct output_opt *opts, size_t nopts, char *err,
		 size_t errlen);

/* Sends ev to every sink that wants its type; failures are counted per sink. */
void outputs_emit(struct outputs *o, const struct mp_event *ev);

/* outputs_emit for outputs shared by threads: the sinks are called with lock (a pthread_mutex_t *, or
 * NULL for none) held, and the EVE line of write_eve sinks is formatted before it is taken, in a buffer
 * of the calling thread, so that threads format concurrently and hold the lock only to hand lines
 * over. */
void outputs_emit_locked(struct outputs *o, const struct mp_event *ev, void *lock);

/* Lets every sink push out what it buffered (an EVE file flushes its stdio buffer), with lock (as in
 * outputs_emit_locked) held. The capture loop calls it between batches: in live capture at least every
 * MP_LIVE_POLL_MS, so a record waits no longer than that to reach its file. */
void outputs_idle(struct outputs *o, void *lock);

/* Reopens every sink that supports it; returns 0, or -1 when one failed (err names it). */
int outputs_reopen(struct outputs *o, char *err, size_t errlen);

/* Number of sinks, and the number of events dropped by write failures over all sinks. */
size_t outputs_count(const struct outputs *o);
unsigned long long outputs_dropped(const struct outputs *o);

/* Fills st with the counters of sink i (0 <= i < outputs_count). Returns 0, or -1 when i is out of range.
 * Callable from the capture thread at any time (queued sinks lock their counters). */
int outputs_sink_stats(const struct outputs *o, size_t i, struct output_sink_stats *st);

/* Delivers what the queued sinks hold, all of them within MP_OUT_FLUSH_TIMEOUT_MS together, and stops
 * their threads; events emitted afterwards are dropped (counted) by those sinks. Also pushes out what
 * the file sinks buffered (outputs_idle). Idempotent. */
void outputs_flush(struct outputs *o);

/* Prints one line per sink that queues or dropped something ("output syslog tcp://h:514: 120 sent,
 * 3 dropped (queue full 3, at exit 0), 1 reconnect"), each prefixed with prefix, to fp. */
void outputs_report(const struct outputs *o, FILE *fp, const char *prefix);

/* Flushes (outputs_flush), reports the queued sinks on stderr when they exist, closes every sink and
 * frees the set. NULL is allowed. */
void outputs_free(struct outputs *o);

/* Sets the sensor name every EVE record carries as "host" (Suricata's sensor-name); NULL or "" for none.
 * name is borrowed and must outlive every output. Not thread-safe: call it before outputs start. */
void eve_set_sensor_name(const char *name);

/* Serializes ev as one Suricata-EVE JSON object (no newline) into buf. Returns its length, or
 * -1 when it did not fit (buf then holds nothing useful). */
int eve_format(const struct mp_event *ev, char *buf, size_t cap);

/* Formats a capture timestamp as Suricata does: 2026-11-22T03:24:00.123456+0000 (UTC). */
void eve_timestamp(uint64_t ts_us, char *buf, size_t cap);

/* Returns Suricata's name for an IP protocol ("TCP", "UDP", "ICMP", "IPv6-ICMP", or the number). */
const char *eve_proto_name(uint8_t ip_proto, char *tmp, size_t cap);

/* Formats a 16-byte address of the given family (4 or 6) as text. */
void eve_addr(uint8_t family, const uint8_t *addr, char *buf, size_t cap);

#endif
