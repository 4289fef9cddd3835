/* summary.h: per-protocol flow tallies and the human-readable end-of-run tables. */
#ifndef MISPORT_SUMMARY_H
#define MISPORT_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "misport/event.h"

struct summary;

/* Creates an empty tally, owned by the caller (summary_free); NULL when out of memory. */
struct summary *summary_new(void);
void summary_free(struct summary *s);

/* Counts one finished flow of protocol name (copied) with its packets and bytes; guessed when nDPI
 * named it at give-up (from the port or address, not the payload). Names beyond
 * MP_SUMMARY_MAX_PROTOCOLS distinct ones are counted under "(other)". */
void summary_add_flow(struct summary *s, const char *name, bool guessed, uint64_t pkts, uint64_t bytes);

/* Counts one judged flow in the port table: server port and transport, the IANA service registered
 * there ("" when none), the observed protocol, the flow's verdict name and its alert severity (0 when
 * it raised none). Strings are copied. */
void summary_add_port(struct summary *s, uint16_t port, uint8_t ip_proto, const char *service,
		      const char *observed, const char *verdict, int severity);

/* Adds every row of src into dst. */
void summary_merge(struct summary *dst, const struct summary *src);

/* Number of flows counted for name (0 when never seen); "(other)" gives those of the names beyond
 * MP_SUMMARY_MAX_PROTOCOLS. */
uint64_t summary_flows(const struct summary *s, const char *name);

/* Prints the run's totals, the protocol table (most flows first) and malformed-packet counts. */
void summary_print(const struct summary *s, const struct mp_stats_record *st, FILE *fp);

#endif
