/* modules.h: the sink modules compiled into misport (private to src/output.c and the sinks). */
#ifndef MISPORT_OUTPUT_MODULES_H
#define MISPORT_OUTPUT_MODULES_H

#include "misport/output.h"

extern const struct output_module output_eve;
extern const struct output_module output_fast;
extern const struct output_module output_eve_socket; /* eve_socket.c: EVE to a Unix socket */
extern const struct output_module output_cef;        /* cef.c: CEF lines to a file or stdout */
extern const struct output_module output_syslog;     /* syslog.c: RFC 5424 over UDP, TCP, TLS */
extern const struct output_module output_redis;      /* redis.c: RPUSH/LPUSH/XADD */
extern const struct output_module output_report;     /* report.c: one self-contained HTML page at exit */

#endif
