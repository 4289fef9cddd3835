/* event.h: the neutral records misport emits (alerts, finished flows, statistics); sinks
 * serialize them, detectors and the pipeline fill them. */
#ifndef MISPORT_EVENT_H
#define MISPORT_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "misport/alert.h"
#include "misport/classify.h"
#include "misport/decode.h"

/* A finished flow, client -> server. Plain data. */
struct mp_flow_record {
	uint64_t flow_id;
	uint64_t first_us, last_us;
	uint8_t family, ip_proto;
	uint16_t vlan;
	uint8_t src_ip[16], dst_ip[16];
	uint16_t src_port, dst_port;
	uint64_t pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient;
	uint8_t tcp_flags_ts, tcp_flags_tc;
	char app_proto[48];   /* nDPI name as ndpiReader prints it */
	char category[32];    /* nDPI category */
	bool guessed;         /* protocol guessed at give-up */
	bool ndpi_wrong_port; /* nDPI's own "known protocol on non-standard port" risk */
	bool alerted;
	char verdict[24];            /* "match", "port-mismatch", ... or "" when the flow had no verdict */
	char registered_service[48]; /* IANA service of the server port, "" when unassigned/unknown */
	int severity;                /* of the flow's alert, 0 when none */
	const char *state;           /* "new", "established", "closed" */
	const char *reason;          /* "timeout", "forced" (evicted), "shutdown" */
	/* The outer end of the tunnels of the flow's first packet; family 0: none. */
	struct mp_tunnel_info tunnel;
	char community_id[CID_STRLEN]; /* the flow's Community ID (communityid.h) */
	const char *pcap_filename;     /* capture file of its first packet, NULL live; borrowed */
	const char *in_iface;          /* interface of its first packet, NULL offline; borrowed */
};

/* Counters for a stats record; a snapshot, plain data. */
struct mp_stats_record {
	uint64_t ts_us; /* capture time of the snapshot */
	uint64_t uptime_s;
	uint64_t pkts, bytes;                  /* every packet read */
	uint64_t decoded[MP_DEC_RESULT_COUNT]; /* packets per decode result */
	uint64_t invalid;                      /* malformed packets (sum of the MP_DEC_BAD_* kinds) */
	uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6;
	uint64_t link_ethernet, link_sll, link_sll2, link_null, link_raw, vlan;
	uint64_t tunnel[MP_TUN_COUNT]; /* decoded packets that came through a tunnel of each kind */
	uint64_t flows_total, flows_tcp, flows_udp, flows_icmpv4, flows_icmpv6;
	uint64_t flows_active, flows_timeout, flows_evicted;
	uint64_t flows_emerg_entered, flows_emerg_over;
	uint64_t alerts, alerts_suppressed;
	/* flow alerts emitted per verdict (suppressed repeats excluded) */
	uint64_t alerts_verdict[MP_VERDICT_COUNT];
	uint64_t alerts_scan; /* scan alerts: first alerts and closing updates */
	/* Bounded tables (docs/hostile-input.md): what hitting each bound cost. */
	uint64_t scan_evicted;  /* scan sources evicted at the source cap or the memory bound */
	uint64_t scan_overflow; /* per-source target/port/pair/contact/mismatch lists that were full */
	uint64_t scan_memuse;   /* bytes held by the scan detector */
	uint64_t supp_evicted;  /* suppression keys closed early because the table was full */
	uint64_t supp_active;   /* suppression keys open */
	/* evidence pcaps (-w, --evidence-dir) */
	uint64_t evid_written, evid_truncated, evid_other_link, evid_write_errors;
	uint64_t evid_files_refused;     /* alerted flows without a per-alert pcap (too many open) */
	uint64_t scan_contacts_replaced; /* TRW first-contact pairs replaced in a full set */
	uint64_t dpi_packets; /* IP packets handed to nDPI: none of a flow's once its verdict is final */
	uint64_t dpi_clamped; /* IP packets cut to nDPI's 16-bit length */
	uint64_t dpi_cache_refused;  /* writes to nDPI's per-shard caches dropped */
	uint64_t dpi_memcap_refused; /* flows refused nDPI state at the memcap, or whose allocation failed */
	/* nDPI bytes in use and peak (process-wide), the cap */
	uint64_t dpi_memuse, dpi_memuse_peak, dpi_memcap;
	uint64_t output_dropped; /* events refused by output sinks (queue full, write error, exit) */
	bool have_capture;       /* live capture: the kernel figures below are meaningful */
	uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
};

enum mp_event_type { MP_EV_ALERT = 0, MP_EV_FLOW, MP_EV_STATS, MP_EV_TYPE_COUNT };

/* Bit masks for choosing which events a sink receives. */
#define MP_EVMASK_ALERT (1u << MP_EV_ALERT)
#define MP_EVMASK_FLOW  (1u << MP_EV_FLOW)
#define MP_EVMASK_STATS (1u << MP_EV_STATS)
#define MP_EVMASK_ALL   (MP_EVMASK_ALERT | MP_EVMASK_FLOW | MP_EVMASK_STATS)

struct mp_event {
	enum mp_event_type type;
	union {
		const struct mp_alert *alert;
		const struct mp_flow_record *flow;
		const struct mp_stats_record *stats;
	} u;
};

#endif
