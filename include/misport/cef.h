/* cef.h: ArcSight Common Event Format (CEF:0, "Implementing ArcSight CEF" rev. 25) serialization of
 * misport alerts and flow records. */
#ifndef MISPORT_CEF_H
#define MISPORT_CEF_H

#include <stddef.h>

#include "misport/event.h"

/* Which alert metadata keys feed the CEF custom strings (cs1..cs6, labels in parentheses); the first
 * key present wins. cs5 falls back to the alert's flow id, cs4 to its app_proto. */
#define CEF_CS1_KEYS "registered_service", "registered", "service" /* registeredService */
#define CEF_CS2_KEYS "verdict"                                     /* verdict */
#define CEF_CS3_KEYS "explanation", "reason"                       /* explanation */
#define CEF_CS4_KEYS "observed_protocol", "protocol"               /* observedProtocol */
#define CEF_CS6_KEYS "legacy_reason", "legacy"                     /* legacyReason */

/* Formats ev as one CEF record, without newline or syslog header:
 *   CEF:0|misport|misport|VERSION|SIGNATURE_ID|NAME|SEVERITY|EXTENSION
 * Alerts: signature id, signature, severity mapped by cef_severity; extension rt (ms since the epoch),
 * src dst spt dpt proto app act cat msg, cs1..cs6 with labels (see above), dvchost when dvchost is not
 * NULL. Flows: signature id "flow", name "flow", severity 1; rt start end src dst spt dpt proto app
 * out (bytes client->server) in (bytes server->client), cs4 observedProtocol, cs5 flowId.
 * Returns the length written to buf (NUL-terminated), 0 when ev has no CEF form (stats records), or
 * -1 when it did not fit in cap. */
int cef_format(const struct mp_event *ev, const char *dvchost, char *buf, size_t cap);

/* Maps misport/Suricata alert severity (1 highest .. 3) to CEF severity (0..10): 1 -> 8 (high),
 * 2 -> 5 (medium), 3 -> 3 (low); anything else -> 0. */
int cef_severity(int alert_severity);

#endif
