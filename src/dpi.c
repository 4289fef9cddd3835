/* dpi.c: nDPI 4.2 detection per flow, following ndpiReader's packet budget and give-up rules; nDPI's
 * memory is accounted through its malloc hooks against a cap, and in hardened builds every packet is
 * handed to nDPI as a copy in front of a PROT_NONE guard page (docs/hostile-input.md). */
#include "misport/dpi.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ndpi/ndpi_api.h>

#include "misport/config.h"

/* Whether the guard page is on by default: CMake's MISPORT_HARDEN defines MISPORT_DPI_GUARD_DEFAULT=1. */
#ifndef MISPORT_DPI_GUARD_DEFAULT
#define MISPORT_DPI_GUARD_DEFAULT 0
#endif

struct dpi_engine {
	struct ndpi_detection_module_struct *ndpi;
	struct dpi_limits lim;
	uint32_t flow_size;
	/* Guard: a mapping of read-write pages followed by one PROT_NONE page; a packet of n bytes is
	 * copied to guard_end - n. guard_end is MP_DPI_GUARD_SLACK bytes before the PROT_NONE page (bytes
	 * never written, so zero), or at the page in strict mode, where reading byte n faults. NULL when
	 * off. */
	uint8_t *guard_map;
	size_t guard_map_len;
	uint8_t *guard_end;
	uint64_t memcap_refused, alloc_failed, clamped, packets, bytes;
	/* nDPI's LRU caches, kept per virtual shard (see the cache hooks below): for each of nDPI's caches
	 * met so far, one table of its size per shard, allocated when first written. */
	struct ndpi_lru_cache *lru_seen[MP_DPI_MAX_LRU_CACHES];
	struct ndpi_lru_cache_entry *lru_part[MP_DPI_MAX_LRU_CACHES][MP_WORKER_VSHARDS];
	uint64_t lru_refused; /* cache writes dropped: more caches than MP_DPI_MAX_LRU_CACHES, or no memory */
};

struct dpi_flow {
	struct ndpi_flow_struct *nf;
	ndpi_protocol proto;
	uint16_t scope;   /* virtual shard of the flow's host pair: the part of nDPI's caches it sees */
	uint64_t last_ms; /* latest packet time handed to nDPI for this flow */
};

/* nDPI's memory. Every allocation carries a size header, so the hooks can account the bytes nDPI holds.
 * The hooks are process-wide and run in every worker thread, so the count is kept per thread first: a
 * thread adds its net change to the process-wide figure once it reaches MP_DPI_MEM_PUBLISH_BYTES either
 * way (worker threads do not share a counter's cache line per allocation), and a thread's own view, the
 * published figure plus its unpublished change, is exact when it is the only one. */
static _Alignas(64) _Atomic int64_t dpi_mem_used; /* each on its own cache line: no false sharing */
static _Alignas(64) _Atomic uint64_t dpi_mem_peak;
static _Thread_local int64_t mem_delta; /* bytes this thread allocated minus freed, not yet published */

struct mem_hdr {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};

static void mem_publish(void)
{
	int64_t used = atomic_fetch_add_explicit(&dpi_mem_used, mem_delta, memory_order_relaxed) + mem_delta;
	uint64_t peak = atomic_load_explicit(&dpi_mem_peak, memory_order_relaxed);

	mem_delta = 0;
	while (used > 0 && (uint64_t)used > peak &&
	       !atomic_compare_exchange_weak_explicit(&dpi_mem_peak, &peak, (uint64_t)used,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

static void *dpi_malloc(size_t size)
{
	struct mem_hdr *h;

	if (size > SIZE_MAX - sizeof(*h))
		return NULL;
	h = malloc(sizeof(*h) + size);
	if (h == NULL)
		return NULL;
	h->size = size;
	mem_delta += (int64_t)size;
	/* A new peak is published at once, so one thread's peak is exact. */
	if (mem_delta >= (int64_t)MP_DPI_MEM_PUBLISH_BYTES ||
	    dpi_memory_in_use() > atomic_load_explicit(&dpi_mem_peak, memory_order_relaxed))
		mem_publish();
	return h + 1;
}

static void dpi_free(void *p)
{
	struct mem_hdr *h;

	if (p == NULL)
		return;
	h = (struct mem_hdr *)p - 1;
	mem_delta -= (int64_t)h->size;
	if (mem_delta <= -(int64_t)MP_DPI_MEM_PUBLISH_BYTES)
		mem_publish();
	free(h);
}

/* nDPI 4.2's ndpi_malloc, ndpi_calloc and ndpi_free, shadowed (libndpi calls them through its PLT, so
 * these definitions are the ones bound, as for ndpi_lru_find_cache below). libndpi's own versions add
 * every allocation's size to a process-wide counter with a locked add, and that counter shares a cache
 * line with the hook pointers that every nDPI allocation and free reads: with two workers the line moved
 * between the cores on about a million calls per run of the benchmark's 40-copy corpus (378 k mallocs,
 * 197 k callocs, 484 k frees), and two workers ran 1.07x faster without it (bench/JOURNAL.md). These go
 * straight to the hooks above, which count per thread; nDPI's counter (ndpi_get_tot_allocated_memory) is
 * no longer kept. Same contracts as nDPI's: memory from ndpi_malloc and ndpi_calloc is released with
 * ndpi_free; ndpi_calloc's memory is zeroed, and a count whose product with size overflows gets NULL. */
void *ndpi_malloc(size_t size)
{
	return dpi_malloc(size);
}

void *ndpi_calloc(unsigned long count, size_t size)
{
	void *p;

	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	p = dpi_malloc(count * size);
	if (p != NULL)
		memset(p, 0, count * size);
	return p;
}

void ndpi_free(void *ptr)
{
	dpi_free(ptr);
}

uint64_t dpi_memory_in_use(void)
{
	int64_t v = atomic_load_explicit(&dpi_mem_used, memory_order_relaxed) + mem_delta;

	return v > 0 ? (uint64_t)v : 0;
}

void dpi_thread_publish(void)
{
	if (mem_delta != 0)
		mem_publish();
}

uint64_t dpi_memory_peak(void)
{
	return atomic_load_explicit(&dpi_mem_peak, memory_order_relaxed);
}

/* Reads a decimal environment override; returns 0 when unset or not a number. */
static uint64_t env_u64(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return 0;
	return v;
}

enum guard_mode { GUARD_OFF = 0, GUARD_ON, GUARD_STRICT };

/* The guard mode of a struct dpi_limits guard setting (dpi.h). */
static enum guard_mode guard_wanted(int setting)
{
	const char *s;

	if (setting != 0)
		return setting < 0 ? GUARD_OFF : setting == 2 ? GUARD_STRICT : GUARD_ON;
	s = getenv("MISPORT_DPI_GUARD");
	if (s != NULL && strcmp(s, "0") == 0)
		return GUARD_OFF;
	if (s != NULL && strcmp(s, "1") == 0)
		return GUARD_ON;
	if (s != NULL && strcmp(s, "strict") == 0)
		return GUARD_STRICT;
	return MISPORT_DPI_GUARD_DEFAULT != 0 ? GUARD_ON : GUARD_OFF;
}

/* Maps the guard area: enough pages for the longest packet nDPI is given and the slack (none when
 * strict), then one PROT_NONE page. */
static int guard_map(struct dpi_engine *e, enum guard_mode mode, char *err, size_t errlen)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096u;
	size_t slack = mode == GUARD_STRICT ? 0 : MP_DPI_GUARD_SLACK;
	size_t span = ((size_t)MP_DPI_MAX_PACKET_LEN + slack + page - 1) / page * page;
	void *m = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		snprintf(err, errlen, "nDPI guard page: mmap failed");
		return -1;
	}
	if (mprotect((uint8_t *)m + span, page, PROT_NONE) != 0) {
		munmap(m, span + page);
		snprintf(err, errlen, "nDPI guard page: mprotect failed");
		return -1;
	}
	e->guard_map = m;
	e->guard_map_len = span + page;
	e->guard_end = (uint8_t *)m + span - slack;
	return 0;
}

const uint8_t *dpi_guard_copy(struct dpi_engine *e, const uint8_t *l3, uint32_t len)
{
	if (e->guard_end == NULL || len == 0 || len > MP_DPI_MAX_PACKET_LEN)
		return l3;
	memcpy(e->guard_end - len, l3, len);
	return e->guard_end - len;
}

int dpi_engine_new(const struct dpi_limits *lim, struct dpi_engine **out, char *err, size_t errlen)
{
	struct dpi_engine *e;
	NDPI_PROTOCOL_BITMASK all;
	enum guard_mode mode;

	*out = NULL;
	set_ndpi_malloc(dpi_malloc);
	set_ndpi_free(dpi_free);
	set_ndpi_flow_malloc(dpi_malloc);
	set_ndpi_flow_free(dpi_free);
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "nDPI: out of memory");
		return -1;
	}
	e->lim = *lim;
	if (e->lim.max_tcp_packets == 0)
		e->lim.max_tcp_packets = MP_DPI_MAX_TCP_PACKETS;
	if (e->lim.max_udp_packets == 0)
		e->lim.max_udp_packets = MP_DPI_MAX_UDP_PACKETS;
	if (e->lim.memcap == 0)
		e->lim.memcap = env_u64("MISPORT_DPI_MEMCAP");
	if (e->lim.memcap == 0)
		e->lim.memcap = MP_DPI_MEMCAP_DEFAULT;
	mode = guard_wanted(e->lim.guard);
	if (mode != GUARD_OFF && guard_map(e, mode, err, errlen) != 0) {
		free(e);
		return -1;
	}
	e->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (e->ndpi == NULL) {
		snprintf(err, errlen, "nDPI: ndpi_init_detection_module failed");
		if (e->guard_map != NULL)
			munmap(e->guard_map, e->guard_map_len);
		free(e);
		return -1;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(e->ndpi, &all);
	ndpi_finalize_initialization(e->ndpi);
	(void)dpi_dispatch_check(e->ndpi); /* on failure nDPI's own dispatch serves: same results, slower */
	e->flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
	*out = e;
	return 0;
}

/* nDPI's caches keyed per virtual shard.
 *
 * nDPI 4.2 remembers what it learnt from one flow for later flows in module-wide LRU caches (STUN
 * endpoints, Ookla servers, BitTorrent peers, TLS certificates, mining and Teams hosts). With one nDPI
 * module per worker a later flow would see a different cache depending on --workers. misport defines
 * nDPI's two cache functions itself (the executable's definitions come first, libndpi calls them
 * through its PLT) and keeps one table per virtual shard of the flow being dissected, with nDPI's
 * semantics (a direct-mapped table, slot = key modulo size; the cache's own size up to
 * MP_DPI_LRU_SHARD_ENTRIES, so 256 shards hold more than nDPI's one table). Every flow of a
 * virtual shard lives in one worker and is dissected in capture order, so each flow finds the same
 * entries for any number of workers. A flow now sees what flows of its own host pair's shard taught
 * nDPI, not every flow's (docs/agreement.md has what that changes against ndpiReader). Outside a call
 * from this module (no current engine) the functions work on nDPI's own table. */
static _Thread_local struct dpi_engine *lru_engine; /* engine inside an nDPI call on this thread */
static _Thread_local unsigned lru_scope;

/* Entries of one shard's table of cache c: nDPI's own size, at most MP_DPI_LRU_SHARD_ENTRIES. */
static size_t lru_size(const struct ndpi_lru_cache *c)
{
	return c->num_entries < MP_DPI_LRU_SHARD_ENTRIES ? c->num_entries : MP_DPI_LRU_SHARD_ENTRIES;
}

static struct ndpi_lru_cache_entry *lru_table(struct ndpi_lru_cache *c, bool create)
{
	struct dpi_engine *e = lru_engine;
	unsigned i;

	for (i = 0; i < MP_DPI_MAX_LRU_CACHES && e->lru_seen[i] != NULL; i++)
		if (e->lru_seen[i] == c)
			break;
	if (i == MP_DPI_MAX_LRU_CACHES) {
		if (create)
			e->lru_refused++;
		return NULL;
	}
	if (e->lru_seen[i] == NULL) {
		if (!create)
			return NULL;
		e->lru_seen[i] = c;
	}
	if (e->lru_part[i][lru_scope] == NULL && create) {
		size_t bytes = lru_size(c) * sizeof(struct ndpi_lru_cache_entry);

		e->lru_part[i][lru_scope] = dpi_malloc(bytes);
		if (e->lru_part[i][lru_scope] == NULL) {
			e->lru_refused++;
			return NULL;
		}
		memset(e->lru_part[i][lru_scope], 0, bytes);
	}
	return e->lru_part[i][lru_scope];
}

/* The slot of key in the table the current call sees: nDPI's own outside a call from this module, else
 * the current shard's (created when create is set). NULL when there is none. */
static struct ndpi_lru_cache_entry *lru_slot(struct ndpi_lru_cache *c, u_int32_t key, bool create)
{
	struct ndpi_lru_cache_entry *t;

	if (c == NULL || c->num_entries == 0)
		return NULL;
	if (lru_engine == NULL)
		return &c->entries[key % c->num_entries];
	t = lru_table(c, create);
	return t != NULL ? &t[key % lru_size(c)] : NULL;
}

u_int8_t ndpi_lru_find_cache(struct ndpi_lru_cache *c, u_int32_t key, u_int16_t *value,
			     u_int8_t clean_key_when_found)
{
	struct ndpi_lru_cache_entry *s = lru_slot(c, key, false);

	if (s == NULL || !s->is_full || s->key != key)
		return 0;
	*value = (u_int16_t)s->value;
	if (clean_key_when_found)
		s->is_full = 0;
	return 1;
}

void ndpi_lru_add_to_cache(struct ndpi_lru_cache *c, u_int32_t key, u_int16_t value)
{
	struct ndpi_lru_cache_entry *s = lru_slot(c, key, true);

	if (s == NULL)
		return;
	s->is_full = 1;
	s->key = key;
	s->value = value;
}

/* nDPI 4.2's own bitmask test, shadowed (libndpi calls it through its PLT, so the executable's definition
 * is the one bound): nDPI's dissector dispatch calls it twice for every dissector it considers for a packet,
 * about ten times per packet (since dpi_dispatch.c replaces that dispatch, only when its start-up check
 * sends the dispatch back to libndpi), and its loop tests the sixteen 32-bit words one by one with a branch
 * each. Here the words are ANDed and ORed together without branches. Same contract: 1 when a and b share a
 * bit, else 0. The masks arrive on the stack, pushed 8 bytes at a time by nDPI's caller: they are read 8
 * bytes at a time (the empty asm keeps the compiler from merging two reads into one 16-byte load, which the
 * store buffer cannot serve from two pushes and which then waits for both to reach the cache). */
_Static_assert(sizeof(NDPI_PROTOCOL_BITMASK) == 64, "nDPI 4.2's protocol bitmask is 512 bits");

int NDPI_BITMASK_COMPARE(NDPI_PROTOCOL_BITMASK a, NDPI_PROTOCOL_BITMASK b)
{
	const unsigned char *pa = (const unsigned char *)&a, *pb = (const unsigned char *)&b;
	uint64_t acc = 0;

	for (size_t i = 0; i < sizeof(a); i += 8) {
		uint64_t x, y;

		memcpy(&x, pa + i, 8);
		memcpy(&y, pb + i, 8);
		__asm__("" : "+r"(x), "+r"(y));
		acc |= x & y;
	}
	return acc != 0;
}

/* Brackets every nDPI call made for flow f. */
static void lru_enter(struct dpi_engine *e, const struct dpi_flow *f)
{
	lru_engine = e;
	lru_scope = f->scope;
}

static void lru_leave(void)
{
	lru_engine = NULL;
}

void dpi_engine_free(struct dpi_engine *e)
{
	if (e == NULL)
		return;
	for (unsigned i = 0; i < MP_DPI_MAX_LRU_CACHES; i++)
		for (unsigned s = 0; s < MP_WORKER_VSHARDS; s++)
			dpi_free(e->lru_part[i][s]);
	ndpi_exit_detection_module(e->ndpi);
	if (e->guard_map != NULL)
		munmap(e->guard_map, e->guard_map_len);
	free(e);
}

struct dpi_flow *dpi_flow_new(struct dpi_engine *e, unsigned scope)
{
	struct dpi_flow *f;

	/* The cap is checked before a flow starts: nDPI's allocations while it dissects a flow already
	 * admitted are not refused (nDPI 4.2 does not survive a failed allocation everywhere), so the cap
	 * can be exceeded by what the admitted flows still allocate. */
	if (dpi_memory_in_use() + e->flow_size > e->lim.memcap) {
		e->memcap_refused++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		e->alloc_failed++;
		return NULL;
	}
	f->nf = ndpi_flow_malloc(e->flow_size);
	if (f->nf == NULL) {
		e->alloc_failed++;
		free(f);
		return NULL;
	}
	memset(f->nf, 0, e->flow_size);
	f->scope = (uint16_t)(scope % MP_WORKER_VSHARDS);
	return f;
}

void dpi_flow_free(struct dpi_engine *e, struct dpi_flow *f)
{
	(void)e;
	if (f == NULL)
		return;
	ndpi_free_flow(f->nf); /* frees the nDPI flow's contents and the flow itself */
	free(f);
}

static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fill_result(struct dpi_engine *e, struct dpi_flow *f, bool guessed, struct dpi_result *res)
{
	ndpi_protocol p = f->proto;
	char buf[64];

	memset(res, 0, sizeof(*res));
	res->master_id = p.master_protocol;
	res->app_id = p.app_protocol;
	res->guessed = guessed;
	copy_name(res->name, sizeof(res->name), ndpi_protocol2name(e->ndpi, p, buf, sizeof(buf)));
	if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN && p.master_protocol != p.app_protocol)
		copy_name(res->master, sizeof(res->master), ndpi_get_proto_name(e->ndpi, p.master_protocol));
	copy_name(res->app, sizeof(res->app),
		  ndpi_get_proto_name(e->ndpi, p.app_protocol != NDPI_PROTOCOL_UNKNOWN ? p.app_protocol
										       : p.master_protocol));
	copy_name(res->category, sizeof(res->category), ndpi_category_get_name(e->ndpi, p.category));
	res->known_proto_wrong_port =
	    NDPI_ISSET_BIT(f->nf->risk, NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT) != 0;
}

bool dpi_process(struct dpi_engine *e, struct dpi_flow *f, const uint8_t *l3, uint32_t l3_len, uint64_t ts_us,
		 uint64_t flow_pkts, uint8_t ip_proto, struct dpi_result *res)
{
	uint32_t budget = ip_proto == 6 ? e->lim.max_tcp_packets : e->lim.max_udp_packets;
	uint64_t ms = ts_us / 1000;
	bool enough;

	/* Captures with timestamps out of order would make nDPI's per-flow timers run backwards; nDPI
	 * is given the flow's latest time instead (per flow rather than per engine, as ndpiReader does,
	 * so that what a flow sees does not depend on which other flows share its worker). */
	if (ms < f->last_ms)
		ms = f->last_ms;
	f->last_ms = ms;
	/* nDPI 4.2 takes the length as unsigned short: a longer packet would wrap to a short one. */
	if (l3_len > MP_DPI_MAX_PACKET_LEN) {
		l3_len = MP_DPI_MAX_PACKET_LEN;
		e->clamped++;
	}
	e->packets++;
	e->bytes += l3_len;
	/* Containment: nDPI reading past the packet reads zeros or hits the guard page, never stale bytes. */
	l3 = dpi_guard_copy(e, l3, l3_len);
	lru_enter(e, f);
	f->proto = ndpi_detection_process_packet(e->ndpi, f->nf, l3, (unsigned short)l3_len, ms);
	lru_leave();
	enough = flow_pkts > budget;
	if (!enough && f->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return false;
	if (!enough && ndpi_extra_dissection_possible(e->ndpi, f->nf))
		return false;
	if (f->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		dpi_giveup(e, f, res);
		return true;
	}
	fill_result(e, f, false, res);
	return true;
}

void dpi_giveup(struct dpi_engine *e, struct dpi_flow *f, struct dpi_result *res)
{
	uint8_t guessed = 0;

	lru_enter(e, f);
	f->proto = ndpi_detection_giveup(e->ndpi, f->nf, e->lim.guess ? 1 : 0, &guessed);
	lru_leave();
	fill_result(e, f, guessed != 0, res);
}

unsigned dpi_protocol_count(const struct dpi_engine *e)
{
	return ndpi_get_num_supported_protocols(e->ndpi);
}

const char *dpi_protocol_name(const struct dpi_engine *e, unsigned id)
{
	if (id >= ndpi_get_num_supported_protocols(e->ndpi))
		return NULL;
	return ndpi_get_proto_name(e->ndpi, (u_int16_t)id);
}

void dpi_engine_stats(const struct dpi_engine *e, struct dpi_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->memuse = dpi_memory_in_use();
	out->memuse_peak = dpi_memory_peak();
	out->memcap = e->lim.memcap;
	out->memcap_refused = e->memcap_refused;
	out->alloc_failed = e->alloc_failed;
	out->clamped = e->clamped;
	out->cache_refused = e->lru_refused;
	out->packets = e->packets;
	out->bytes = e->bytes;
	out->guard = e->guard_end != NULL;
}
