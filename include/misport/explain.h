/* explain.h: `misport explain PORT[/tcp|udp]` and `misport explain NAME`: what a port is (IANA registry
 * RFC 6335, legacy list, nmap prevalence, nDPI's expectations) as a page for people or as JSON. */
#ifndef MISPORT_EXPLAIN_H
#define MISPORT_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct rules;

/* Explains query: "PORT", "PORT/tcp", "PORT/udp" or an IANA service name. Writes a text page (colour
 * when colour is true) or one JSON object to fp. Returns 0, or -1 with err filled (bad query, unknown
 * service name). rules is borrowed. */
int explain_query(const struct rules *rules, const char *query, bool json, bool colour, FILE *fp, char *err,
		  size_t errlen);

#endif
