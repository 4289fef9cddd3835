/* outconf.h: turns the output options of the command line (and an output configuration file, whose
 * syntax docs/outputs.md documents) into open sinks. */
#ifndef MISPORT_OUTCONF_H
#define MISPORT_OUTCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "misport/output.h"

/* The output options as given; NULL means not given. Strings are borrowed from argv. */
struct outconf_cli {
	const char *eve;             /* --eve PATH|-|unix:PATH */
	const char *fast;            /* --fast PATH|- */
	const char *syslog;          /* --syslog udp://H:P | tcp://H:P | tls://H:P */
	const char *syslog_format;   /* --syslog-format eve|cef */
	const char *syslog_facility; /* --syslog-facility NAME|NUMBER (default local5) */
	const char *cef;             /* --cef PATH|- */
	const char *redis;           /* --redis redis://H:P/list/KEY | .../stream/KEY */
	const char *config;          /* --output-config FILE */
	bool flows;                  /* --flows: flow records go to the EVE-type sinks */
};

/* Opens the sinks the options ask for into o. When no sink at all is asked for, alerts go to
 * stdout in the fast format. Returns 0, or -1 with err filled (naming the option or file:line). */
int outconf_apply(const struct outconf_cli *cli, struct outputs *o, char *err, size_t errlen);

/* Returns true when some sink writes to standard output (the summary then goes to stderr); this
 * includes the sinks of the --output-config file. */
bool outconf_uses_stdout(const struct outconf_cli *cli);

/* Reads and validates an output configuration file without opening anything (--check-config): syntax,
 * module names, targets, options and event kinds. On success prints one line per sink to report (may
 * be NULL) and returns 0; otherwise returns -1 with err naming FILE:LINE. */
int outconf_check_file(const char *path, FILE *report, char *err, size_t errlen);

/* Parses an event list ("alert flow stats", commas or blanks; "alerts", "flows", "all" accepted) into a
 * mask of MP_EVMASK_* bits. Returns 0 or -1. */
int outconf_parse_events(const char *s, unsigned *mask);

#endif
