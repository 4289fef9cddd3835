/* flow.h: bounded bidirectional flow table keyed by the ordered 5-tuple and VLAN, with a seeded
 * symmetric hash, per-class idle expiry in capture time, and counted eviction of the oldest flow. */
#ifndef MISPORT_FLOW_H
#define MISPORT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "misport/decode.h"

/* Ordered key: endpoint a is the lower (address, port) of the two, so both directions of a
 * conversation produce the same key. */
struct mp_flow_key {
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	uint16_t vlan;
	uint8_t family;
	uint8_t ip_proto;
};

/* Flow directions, from the client's point of view. */
enum { MP_DIR_C2S = 0, MP_DIR_S2C = 1 };

/* How the client side was decided (documented in docs/flows.md). */
enum mp_side_basis {
	MP_SIDE_SYN = 0, /* the sender of a SYN without ACK */
	MP_SIDE_SYNACK,  /* the receiver of a SYN+ACK */
	MP_SIDE_PORT,    /* port heuristic: the side on the lower / non-ephemeral port is the server */
	MP_SIDE_FIRST,   /* the sender of the first packet */
};

/* Idle-timeout classes; each has its own expiry list and timeout. */
enum mp_flow_class {
	MP_FC_TCP_NEW = 0, /* TCP before the handshake completes */
	MP_FC_TCP_EST,     /* TCP after SYN/SYN-ACK or data both ways */
	MP_FC_TCP_CLOSED,  /* TCP after RST or FIN both ways */
	MP_FC_UDP,
	MP_FC_OTHER,
	MP_FC_COUNT
};

/* Why a flow ended. */
enum mp_flow_end { MP_END_TIMEOUT = 0, MP_END_EVICTED, MP_END_SHUTDOWN };

struct dpi_flow;
struct evid_flow;

/* One flow. The table owns it; callers may read all fields and write the "user" section. */
struct mp_flow {
	struct mp_flow_key key;
	uint64_t flow_id; /* 51-bit id from the key, first packet time and seed: the same flow
			   * gets the same id whatever the number of workers */
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2]; /* indexed by MP_DIR_C2S / MP_DIR_S2C; bytes are IP bytes */
	uint64_t payload_bytes[2];
	uint8_t tcp_flags_seen[2]; /* OR of TCP flags per direction */
	uint8_t first_tcp_flags;   /* flags of the first packet of the flow */
	uint8_t client_is_a;       /* 1 when key.a is the client */
	uint8_t side_basis;        /* enum mp_side_basis */
	uint8_t fclass;            /* enum mp_flow_class */
	uint8_t first_dir;         /* MP_DIR_* of the flow's first packet */
	/* user section: written by the pipeline, never by the table */
	struct dpi_flow *dpi;             /* nDPI state while detection runs, owned by the pipeline */
	uint8_t dpi_done;                 /* detection final: nDPI is not called again */
	uint8_t dpi_guessed;              /* protocol was guessed at give-up */
	uint8_t ndpi_wrong_port;          /* nDPI's NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT risk */
	uint16_t proto_master, proto_app; /* nDPI protocol ids */
	char proto_name[48];              /* nDPI's name as ndpiReader prints it ("TLS.Google") */
	uint8_t alerted;                  /* an alert was raised for this flow */
	uint8_t judged;                   /* the verdict was decided (once per flow) */
	uint8_t verdict;                  /* enum mp_verdict of the flow, 0 when none */
	uint8_t severity;                 /* severity of its alert, 0 when none */
	uint8_t would_be;                 /* the alert verdict it had before scan-noise replaced it */
	uint8_t scan_observed;            /* handed to the scan detector */
	uint8_t judge_pending;            /* its verdict waits for the scan detector's answer */
	uint64_t last_pos;                /* reader's position of its latest packet (scanfeed.h) */
	uint8_t contact_noted;            /* its answered first contact was told to the scan detector */
	uint8_t icmp_seen[2];             /* CONN_ICMP_* bits per direction (ICMP flows) */
	uint8_t icmp_error;               /* enum conn_icmp_err of an ICMP error quoting this flow */
	uint8_t icmp_type0, icmp_code0;   /* ICMP flows: type and code of the first packet (Community ID) */
	const char *source;               /* file or interface of its first packet (pipeline_set_source) */
	uint8_t source_iface;             /* source names an interface, not a file */
	struct evid_flow *evid;           /* evidence packets, owned by the pipeline */
	struct mp_tunnel_info *tun;       /* outer end of a tunnelled first packet, owned by the pipeline */
	/* table internals */
	struct mp_flow *hnext;         /* hash chain */
	struct mp_flow *lprev, *lnext; /* expiry list of its class, oldest first */
	uint32_t hash;
};

/* Called for every flow that ends (timeout, eviction, shutdown) before the table frees it; it must
 * release whatever the user section owns (flow->dpi). */
typedef void (*flow_end_cb)(struct mp_flow *flow, enum mp_flow_end why, void *user);

struct flow_table_config {
	uint32_t max_flows;              /* cap; 0 means MP_FLOW_MAX_DEFAULT */
	uint32_t timeout_s[MP_FC_COUNT]; /* 0 entries take the defaults from config.h */
	uint64_t seed;                   /* hash and flow-id seed */
	flow_end_cb on_end;
	void *user;
};

struct flow_stats {
	uint64_t created, ended_timeout, ended_evicted, ended_shutdown;
	/* emergency mode (shortened timeouts) entries and exits */
	uint64_t emergency_entered, emergency_over;
	uint8_t emergency; /* 1 while in emergency mode */
	uint64_t tcp, udp, icmpv4, icmpv6, other;
	uint32_t active, peak_active;
	uint32_t hash_grows; /* doublings of the bucket array (it starts at MP_FLOW_MIN_BUCKETS) */
};

struct flow_table;

/* Creates a table; returns 0, or -1 with err filled. *out is owned by the caller (flow_table_free). */
int flow_table_new(const struct flow_table_config *cfg, struct flow_table **out, char *err, size_t errlen);

/* Ends every remaining flow (MP_END_SHUTDOWN, in flow_flush's order) and frees the table. NULL is allowed. */
void flow_table_free(struct flow_table *ft);

/* Finds the flow of packet p or creates it (evicting the oldest flow when the table is full).
 * Sets *dir to the packet's direction and updates counters, TCP flags, last-seen time and the
 * timeout class. Returns the flow, which stays valid until the next call that may end flows
 * (flow_get, flow_expire, flow_table_free). Never returns NULL. */
struct mp_flow *flow_get(struct flow_table *ft, const struct mp_packet *p, int *dir, bool *created);

/* Finds the flow packet p belongs to without creating or updating anything; NULL when none. */
struct mp_flow *flow_find(struct flow_table *ft, const struct mp_packet *p);

/* Ends every flow idle longer than its class timeout at capture time now_us. Returns how many. Flows end
 * in sweep order: by timeout class (enum mp_flow_class), then least recently seen first. */
size_t flow_expire(struct flow_table *ft, uint64_t now_us);

/* Ends every flow (MP_END_SHUTDOWN), least recently seen first: in last_pos order, then last_us. */
void flow_flush(struct flow_table *ft);

/* f's rank in a sweep (flow_expire), given that the caller sets last_pos from an increasing packet
 * position on every packet of f: tables that hold different flows of one packet sequence end their
 * flows in the order one table holding all of them would (scanfeed.h). At flow_flush the rank is
 * last_pos alone. */
static inline uint64_t flow_sweep_order(const struct mp_flow *f)
{
	return (uint64_t)f->fclass << 56 | (f->last_pos & ((1ull << 56) - 1u));
}

/* Returns the table's counters. */
const struct flow_stats *flow_table_stats(const struct flow_table *ft);

/* Fills the client/server view of f: client address and port, server address and port. */
void flow_endpoints(const struct mp_flow *f, const uint8_t **cip, uint16_t *cport, const uint8_t **sip,
		    uint16_t *sport);

/* Builds the ordered key of packet p; *swapped is true when p's source is endpoint b. */
void flow_key_from_packet(const struct mp_packet *p, struct mp_flow_key *k, bool *swapped);

/* Seeded hash of an ordered key; equal for both directions of a conversation. */
uint32_t flow_key_hash(const struct mp_flow_key *k, uint64_t seed);

/* The virtual shard (0 .. MP_WORKER_VSHARDS-1) of the host pair a, b (16-byte addresses, either order)
 * on vlan: --workers deals virtual shards out to workers, and nDPI's caches are kept per virtual shard,
 * so every flow sees the same cache contents whatever the number of workers. */
unsigned flow_vshard(const uint8_t *a, const uint8_t *b, uint16_t vlan, uint64_t seed);

/* Returns "new", "established" or "closed" for the EVE flow.state field. */
const char *flow_state_name(const struct mp_flow *f);

#endif
