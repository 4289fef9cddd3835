/* dpi.h: the nDPI 4.2 wrapper; the only module that includes nDPI headers. */
#ifndef MISPORT_DPI_H
#define MISPORT_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dpi_engine;
struct dpi_flow;

/* What nDPI concluded about a flow. Names are nDPI's own ("TLS", "Google", "TLS.Google"). */
struct dpi_result {
	uint16_t master_id, app_id;
	char master[32];             /* "" when nDPI reported only one protocol */
	char app[32];                /* "Unknown" when nothing was detected */
	char name[48];               /* as ndpiReader prints it: "TLS.Google", "HTTP", "Unknown" */
	char category[32];           /* nDPI category name */
	bool guessed;                /* protocol came from give-up guessing (ports), not payload */
	bool known_proto_wrong_port; /* nDPI's own NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT risk */
};

struct dpi_limits {
	uint32_t max_tcp_packets; /* packets per flow before give-up; 0: MP_DPI_MAX_TCP_PACKETS */
	uint32_t max_udp_packets; /* likewise for UDP and others; 0: MP_DPI_MAX_UDP_PACKETS */
	bool guess;               /* guess from ports at give-up (ndpiReader's default: on) */
	/* Bytes nDPI may hold over the process before new flows get no nDPI state (they stay Unknown,
	 * counted); 0: $MISPORT_DPI_MEMCAP, else MP_DPI_MEMCAP_DEFAULT. */
	uint64_t memcap;
	/* Packets handed to nDPI are copies in front of a PROT_NONE guard page (docs/hostile-input.md): 1 on,
	 * MP_DPI_GUARD_SLACK zero bytes before the page; 2 strict, the copy ends at the page; -1 off; 0:
	 * $MISPORT_DPI_GUARD (0, 1 or strict), else on in MISPORT_HARDEN builds. */
	int guard;
};

/* The bytes nDPI is given for the len bytes at l3 (len at most MP_DPI_MAX_PACKET_LEN): with the guard on,
 * a copy in e's guard area that ends MP_DPI_GUARD_SLACK bytes (strict: 0 bytes) before the PROT_NONE page,
 * valid until e's next packet; with it off, l3 itself. */
const uint8_t *dpi_guard_copy(struct dpi_engine *e, const uint8_t *l3, uint32_t len);

/* Creates an nDPI detection module with every protocol enabled. Returns 0, or -1 with err filled.
 * The caller owns *out and frees it with dpi_engine_free. */
int dpi_engine_new(const struct dpi_limits *lim, struct dpi_engine **out, char *err, size_t errlen);

/* Frees the engine; every dpi_flow made by it must be freed first. NULL is allowed. */
void dpi_engine_free(struct dpi_engine *e);

/* Allocates per-flow detection state, or returns NULL when out of memory or when nDPI already holds
 * the memcap (both counted in dpi_engine_stats; the flow then stays Unknown). scope is the flow's
 * virtual shard (flow_vshard): the part of nDPI's caches its dissection reads and writes. Owned by the
 * caller, released with dpi_flow_free. */
struct dpi_flow *dpi_flow_new(struct dpi_engine *e, unsigned scope);

/* Releases per-flow detection state. NULL is allowed. */
void dpi_flow_free(struct dpi_engine *e, struct dpi_flow *f);

/* Feeds one packet (IP header onwards, l3_len bytes) of a flow to nDPI. flow_pkts is the number of
 * packets the flow has had including this one, ip_proto its transport. ts_us is the capture time;
 * nDPI is given the latest time this engine has seen, so out-of-order timestamps never move its
 * clock back (as ndpiReader does). Returns true when detection
 * is final (protocol found and no extra dissection wanted, or the packet budget is spent, in which
 * case it has given up and guessed); *res then holds the result. Lengths above 65535 are clamped. */
bool dpi_process(struct dpi_engine *e, struct dpi_flow *f, const uint8_t *l3, uint32_t l3_len, uint64_t ts_us,
		 uint64_t flow_pkts, uint8_t ip_proto, struct dpi_result *res);

/* Ends detection for a flow that finished before dpi_process returned true: gives up, guessing
 * when enabled, and fills *res. */
void dpi_giveup(struct dpi_engine *e, struct dpi_flow *f, struct dpi_result *res);

/* Number of protocols nDPI knows, and the name of protocol id i (NULL when unused). */
unsigned dpi_protocol_count(const struct dpi_engine *e);
const char *dpi_protocol_name(const struct dpi_engine *e, unsigned id);

/* Bytes nDPI has allocated and not freed through its malloc hooks, and the peak, over every engine of
 * the process (the hooks are process-wide; safe to call from any thread). Exact with one thread; with
 * several, each other thread's change may be missing up to MP_DPI_MEM_PUBLISH_BYTES. */
uint64_t dpi_memory_in_use(void);
uint64_t dpi_memory_peak(void);

struct ndpi_detection_module_struct;

/* dpi_dispatch.c: misport's ndpi_check_flow_func, nDPI's dissector dispatch. Checks that it can serve
 * the library engine s comes from (the structure layout it was compiled against, the dissector tables
 * in libndpi's code): returns 0 if so, otherwise -1 and from then on every dispatch goes to libndpi's
 * own. dpi_engine_new calls it. */
int dpi_dispatch_check(struct ndpi_detection_module_struct *s);

/* Whether misport's dispatch serves nDPI's calls (false after a failed check or dpi_dispatch_use_ndpi). */
bool dpi_dispatch_is_misport(void);

/* Tests: on = true sends every dispatch to libndpi's own, false back to misport's (after a good check). */
void dpi_dispatch_use_ndpi(bool on);

/* Adds the calling thread's unpublished change of nDPI's bytes in use to the process-wide figure. A
 * thread that allocates through nDPI calls it before it ends (worker threads do). */
void dpi_thread_publish(void);

/* Counters of one engine (plain data). */
struct dpi_stats {
	uint64_t memuse;      /* dpi_memory_in_use() at the time of the call (process-wide) */
	uint64_t memuse_peak; /* dpi_memory_peak() (process-wide) */
	uint64_t memcap;      /* the cap in force, bytes */
	/* flows of this engine refused nDPI state because nDPI held memcap or more */
	uint64_t memcap_refused;
	uint64_t alloc_failed;   /* flows of this engine whose nDPI state could not be allocated */
	uint64_t packets, bytes; /* packets (and their IP bytes) this engine handed to nDPI */
	uint64_t clamped;        /* packets of this engine longer than MP_DPI_MAX_PACKET_LEN, cut to it */
	uint64_t cache_refused;  /* writes to nDPI's caches dropped (MP_DPI_MAX_LRU_CACHES, or no memory) */
	bool guard;              /* packets are handed to nDPI in front of a guard page */
};

/* Fills *out with e's counters. */
void dpi_engine_stats(const struct dpi_engine *e, struct dpi_stats *out);

#endif
