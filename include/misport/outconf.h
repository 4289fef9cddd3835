/* outconf.h: turns the output options of the command line (and an output configuration file)
 * into open sinks. */
#ifndef MISPORT_OUTCONF_H
#define MISPORT_OUTCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "misport/output.h"

/* The output options as given; NULL means not given. Strings are borrowed from argv. */
struct outconf_cli {
	const char *eve;           /* --eve PATH|-|unix:PATH */
	const char *fast;          /* --fast PATH|- */
	const char *syslog;        /* --syslog udp://H:P | tcp://H:P | tls://H:P */
	const char *syslog_format; /* --syslog-format eve|cef */
	const char *cef;           /* --cef PATH|- */
	const char *redis;         /* --redis redis://H:P/list/KEY | .../stream/KEY */
	const char *config;        /* --output-config FILE */
	bool flows;                /* --flows: flow records go to the EVE-type sinks */
};

/* Opens the sinks the options ask for into o. When no sink at all is asked for, alerts go to
 * stdout in the fast format. Returns 0, or -1 with err filled (naming the option or file:line). */
int outconf_apply(const struct outconf_cli *cli, struct outputs *o, char *err, size_t errlen);

/* Returns true when some sink writes to standard output (the summary then goes to stderr). */
bool outconf_uses_stdout(const struct outconf_cli *cli);

#endif
