/* classify.h: the verdict of one flow: its nDPI protocol against the IANA registration (RFC 6335) of its
 * server port, the legacy list and the local policy. */
#ifndef MISPORT_CLASSIFY_H
#define MISPORT_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

struct rules;
struct mp_alert;

/* What the pipeline knows about a finished (or final) flow. Strings are borrowed for the call. */
struct classify_in {
	const char *master; /* nDPI master protocol ("TLS" of TLS.Google); "", "Unknown" or NULL when none */
	/* nDPI app protocol ("Google", or "SSH" when nDPI gave one protocol); ""/NULL/"Unknown" */
	const char *app;
	uint8_t ip_proto; /* 6 TCP, 17 UDP; other transports get no verdict */
	uint16_t server_port;
	uint8_t family;           /* 4 or 6 */
	const uint8_t *client_ip; /* 16 bytes, IPv4 in the first 4; NULL matches no network rule */
	const uint8_t *server_ip;
};

/* Verdicts; the numbering is stable (new verdicts go before MP_VERDICT_COUNT). */
enum mp_verdict {
	MP_VERDICT_NONE,  /* nothing to judge: no payload protocol, not TCP/UDP, or nothing to compare */
	MP_VERDICT_MATCH, /* the observed protocol is one the server port is registered for */
	MP_VERDICT_PORT_MISMATCH, /* the port is registered to other services */
	/* a protocol with its own registered port on a port IANA has not assigned */
	MP_VERDICT_UNREGISTERED_PORT,
	MP_VERDICT_LEGACY_PORT, /* traffic on a port of the legacy list, whatever it speaks */
	MP_VERDICT_ALLOWED,     /* an alert verdict the policy allows */
	/* an alert verdict from a source flagged as a scanner (reported in its scan alert) */
	MP_VERDICT_SCAN_NOISE,
	MP_VERDICT_COUNT
};

/* "none", "match", "port-mismatch", "unregistered-port", "legacy-port", "allowed", "scan-noise"; "?" when out
 * of range. */
const char *verdict_name(enum mp_verdict v);

/* The verdict named s (as verdict_name spells it), or -1. */
int verdict_from_name(const char *s);

/* Stable signature ids (ranges documented in rules/README.md). */
#define MP_SID_PORT_MISMATCH     4100101u
#define MP_SID_UNREGISTERED_PORT 4100201u
#define MP_SID_LEGACY_PORT       4100301u

/* Judges one flow. When the verdict is an alert (port-mismatch, unregistered-port, legacy-port) and out is
 * not NULL, fills out's signature, signature_id, severity, category and metadata (existing metadata is kept;
 * the caller fills addresses, ports, flow id, app_proto and time). out is left alone for the other verdicts.
 * Never fails; O(1) in the registry and legacy list, O(rules) in the policy. rules and in are borrowed. */
enum mp_verdict classify_flow(const struct rules *rules, const struct classify_in *in, struct mp_alert *out);

/* For the summary's port table: the first IANA service assigned to (port, ip_proto) and its description.
 * Returns 0 with *service and *description set (owned by rules), or -1 when IANA has assigned nothing there
 * or ip_proto is neither TCP nor UDP. */
int classify_port_service(const struct rules *rules, uint16_t port, uint8_t ip_proto, const char **service,
			  const char **description);

#endif
