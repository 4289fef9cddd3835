/* report.h: the pieces of the HTML report sink (report.c) that its unit test reaches directly: the HTML
 * escaper and the port-list parser. Private to src/output/report.c and tests/unit/test_report.c. */
#ifndef MISPORT_OUTPUT_REPORT_H
#define MISPORT_OUTPUT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "misport/textesc.h"

/* Appends s to b as HTML text that is also safe inside a double- or single-quoted attribute value:
 * '&' '<' '>' '"' '\'' become entities; control characters other than tab, LF and CR (C0, DEL, C1) and bytes
 * that are not valid UTF-8 become U+FFFD. Appends are atomic per character (sbuf): on overflow the text ends
 * at a whole character or entity. s is borrowed. */
void report_html_escape(struct sbuf *b, const char *s);

/* Lanes of the scanner picture: one row per transport. */
enum report_lane { REPORT_LANE_TCP = 0, REPORT_LANE_UDP, REPORT_LANE_ANY, REPORT_LANES };

/* An inclusive port range on one lane. */
struct report_port_range {
	uint16_t lo, hi;
	uint8_t lane; /* enum report_lane */
};

/* Parses a list of ports and ranges as scan alerts carry them ("22/tcp,80/tcp", "1-1024/tcp 53/udp",
 * "tcp/443", "8080"), separated by commas, semicolons or blanks, into out (at most cap ranges). A token
 * without a transport gets default_lane. Tokens that are not ports (out of range, lo > hi, other words) are
 * skipped and counted in *skipped (may be NULL), as are tokens beyond cap. Returns the ranges stored. */
size_t report_parse_ports(const char *s, enum report_lane default_lane, struct report_port_range *out,
			  size_t cap, size_t *skipped);

#endif
