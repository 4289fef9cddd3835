/* config.h: every compile-time limit and default of misport, one place, one comment each. */
#ifndef MISPORT_CONFIG_H
#define MISPORT_CONFIG_H

/* Flow table: maximum number of live flows; at the cap the least recently seen flow is evicted (counted). */
#define MP_FLOW_MAX_DEFAULT 262144u

/* Flow table: hash buckets are the next power of two at or above flows/2, at least this many. */
#define MP_FLOW_MIN_BUCKETS 1024u

/* Idle timeouts in capture-time seconds: a flow with no packet for this long is finished and reported. */
#define MP_FLOW_TIMEOUT_TCP_NEW 30u    /* TCP before the handshake completes (probes, attempts) */
#define MP_FLOW_TIMEOUT_TCP_EST 300u   /* TCP after data or handshake */
#define MP_FLOW_TIMEOUT_TCP_CLOSED 10u /* TCP after FIN both ways or RST */
#define MP_FLOW_TIMEOUT_UDP 60u        /* UDP */
#define MP_FLOW_TIMEOUT_OTHER 30u      /* ICMP and anything else */

/* Expiry sweep: the idle scan runs at most once per this many capture-time seconds. */
#define MP_FLOW_SWEEP_INTERVAL 1u

/* nDPI packet budget per flow (same defaults as ndpiReader -T/-U): after this many packets with
 * payload-or-not in the flow, detection gives up and guesses. */
#define MP_DPI_MAX_TCP_PACKETS 80u
#define MP_DPI_MAX_UDP_PACKETS 24u

/* nDPI 4.2 takes packet lengths as unsigned short: longer IP packets are clamped to this. */
#define MP_DPI_MAX_PACKET_LEN 65535u

/* Decoder: at most this many VLAN tags (802.1Q/802.1ad) are skipped; more is malformed. */
#define MP_DECODE_MAX_VLAN_TAGS 4u

/* Decoder: at most this many IPv6 extension headers are skipped; more is malformed. */
#define MP_DECODE_MAX_IPV6_EXT 8u

/* Capture: default snapshot length for live capture. */
#define MP_CAPTURE_SNAPLEN 262144

/* Input files: at most this many -r files in one run. */
#define MP_MAX_INPUT_FILES 256u

/* Output: maximum length of one serialized record (EVE line); longer string fields are truncated. */
#define MP_RECORD_MAX 16384u

/* Summary: the per-protocol table holds at most this many distinct protocol names. */
#define MP_SUMMARY_MAX_PROTOCOLS 1024u

/* Alert suppression: repeats of a (client, server, server port, transport, verdict) alert within this
 * many capture-time seconds are counted, not emitted; a closing record reports the count. */
#define MP_SUPPRESS_INTERVAL_DEFAULT 3600u

/* Alert suppression: at most this many keys are tracked; at the cap the oldest key is closed early
 * (its closing record is emitted and the early close counted). */
#define MP_SUPPRESS_MAX 16384u

#endif
