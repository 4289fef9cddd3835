/* output.h: output sinks as a table of function pointers with a static registry (zmap-style),
 * and a set of open sinks that events fan out to. */
#ifndef MISPORT_OUTPUT_H
#define MISPORT_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "misport/event.h"

/* One kind of sink. open() gets the target (a path, "-", a URL) and returns private state that
 * the sink owns and close() frees. write() must not block the caller for long; it returns 0 or -1
 * (the event is then counted as dropped by that sink). reopen() (may be NULL) reopens files after
 * log rotation. */
struct output_module {
	const char *name;
	const char *help;
	int (*open)(const char *target, void **state, char *err, size_t errlen);
	int (*write)(void *state, const struct mp_event *ev);
	int (*reopen)(void *state, char *err, size_t errlen);
	void (*close)(void *state);
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

/* Sends ev to every sink that wants its type; failures are counted per sink. */
void outputs_emit(struct outputs *o, const struct mp_event *ev);

/* Reopens every sink that supports it; returns 0, or -1 when one failed (err names it). */
int outputs_reopen(struct outputs *o, char *err, size_t errlen);

/* Number of sinks, and the number of events dropped by write failures over all sinks. */
size_t outputs_count(const struct outputs *o);
unsigned long long outputs_dropped(const struct outputs *o);

/* Closes every sink and frees the set. NULL is allowed. */
void outputs_free(struct outputs *o);

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
