/* alert.h: the neutral alert record that detectors fill and output sinks serialize (EVE, syslog, CEF). */
#ifndef MISPORT_ALERT_H
#define MISPORT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "misport/communityid.h"
#include "misport/decode.h"

/* Maximum number of metadata entries in one alert, and the size of a key and of a value. */
#define MP_ALERT_MAX_META   24
#define MP_ALERT_META_KEY   32
#define MP_ALERT_META_VALUE 512

/* One metadata entry; EVE writes it as "key": ["value"] under alert.metadata. A key may repeat:
 * entries with the same key become one array, in order. */
struct mp_alert_meta {
	char key[MP_ALERT_META_KEY];
	char value[MP_ALERT_META_VALUE];
};

/* An alert about one flow (or one scanner), always addressed client -> server. Plain data: it owns
 * no pointers, so it can be copied and queued. */
struct mp_alert {
	uint64_t ts_us;     /* capture time the alert refers to, microseconds since the epoch */
	uint64_t flow_id;   /* flow it belongs to, 0 when none (scan summaries) */
	uint8_t family;     /* 4 or 6 */
	uint8_t ip_proto;   /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
	uint16_t vlan;      /* outermost VLAN id, 0 when untagged */
	uint8_t src_ip[16]; /* client (or scanner); IPv4 in the first 4 bytes */
	uint8_t dst_ip[16]; /* server (or scan target) */
	uint16_t src_port;
	uint16_t dst_port;
	char app_proto[64];    /* observed protocol, nDPI's name ("HTTP", "TLS.Google"), "" when none */
	uint32_t signature_id; /* stable per verdict, ranges in rules/README.md */
	int severity;          /* 1 (highest) .. 3, as in Suricata */
	char signature[256];   /* one sentence: "HTTP on 3098/tcp, registered to umm-port (...)" */
	char category[64];     /* alert.category */
	struct mp_tunnel_info tunnel;  /* the flow's first packet came through tunnels: their outer end */
	char community_id[CID_STRLEN]; /* the flow's Community ID, "" when none (scan alerts) */
	const char *pcap_filename;     /* capture file of the flow's first packet, NULL when none; borrowed */
	const char *in_iface;          /* or the interface it was captured on, NULL when none; borrowed */
	size_t n_meta;
	struct mp_alert_meta meta[MP_ALERT_MAX_META];
};

/* Appends key=value to a's metadata; truncates over-long values. Returns 0, or -1 when the
 * metadata is full (the entry is then dropped). */
int alert_meta_add(struct mp_alert *a, const char *key, const char *value);

/* Like alert_meta_add with a printf-style value. */
int alert_meta_addf(struct mp_alert *a, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the first value stored under key, or NULL. The pointer is into a. */
const char *alert_meta_get(const struct mp_alert *a, const char *key);

#endif
