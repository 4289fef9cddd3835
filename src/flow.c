/* flow.c: bounded bidirectional flow table (ordered 5-tuple + VLAN key, seeded symmetric hash,
 * per-class idle expiry lists, eviction of the least recently seen flow, all counted). */
#include "misport/flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/chain.h"
#include "misport/config.h"
#include "misport/dlist.h"

struct flow_list {
	struct mp_flow *head, *tail; /* head is the least recently seen */
};

struct flow_table {
	struct flow_table_config cfg;
	struct mp_flow **buckets;
	uint32_t mask;
	uint32_t max_buckets; /* the bucket count the cap needs; the array doubles up to it */
	struct flow_list lists[MP_FC_COUNT];
	uint64_t timeout_us[MP_FC_COUNT];
	struct mp_flow *spare; /* freed flows kept for reuse, linked by hnext */
	uint32_t nspare;
	uint64_t next_id;
	struct flow_stats st;
};

static const uint32_t default_timeouts[MP_FC_COUNT] = {
    [MP_FC_TCP_NEW] = MP_FLOW_TIMEOUT_TCP_NEW,       [MP_FC_TCP_EST] = MP_FLOW_TIMEOUT_TCP_EST,
    [MP_FC_TCP_CLOSED] = MP_FLOW_TIMEOUT_TCP_CLOSED, [MP_FC_UDP] = MP_FLOW_TIMEOUT_UDP,
    [MP_FC_OTHER] = MP_FLOW_TIMEOUT_OTHER,
};

int flow_table_new(const struct flow_table_config *cfg, struct flow_table **out, char *err, size_t errlen)
{
	struct flow_table *ft;
	uint32_t nb = MP_FLOW_MIN_BUCKETS;

	*out = NULL;
	ft = calloc(1, sizeof(*ft));
	if (ft == NULL)
		goto fail;
	ft->cfg = *cfg;
	if (ft->cfg.max_flows == 0)
		ft->cfg.max_flows = MP_FLOW_MAX_DEFAULT;
	ft->max_buckets = MP_FLOW_MIN_BUCKETS;
	while (ft->max_buckets < ft->cfg.max_flows && ft->max_buckets < (1u << 30))
		ft->max_buckets <<= 1;
	ft->buckets = calloc(nb, sizeof(*ft->buckets));
	if (ft->buckets == NULL)
		goto fail;
	ft->mask = nb - 1;
	for (int i = 0; i < MP_FC_COUNT; i++) {
		uint32_t t = cfg->timeout_s[i] != 0 ? cfg->timeout_s[i] : default_timeouts[i];
		ft->timeout_us[i] = (uint64_t)t * 1000000u;
	}
	*out = ft;
	return 0;
fail:
	snprintf(err, errlen, "flow table: out of memory for %u flows", cfg->max_flows);
	free(ft);
	return -1;
}

static void list_remove(struct flow_list *l, struct mp_flow *f)
{
	MP_DLIST_REMOVE(&l->head, &l->tail, f, lprev, lnext);
}

static void list_append(struct flow_list *l, struct mp_flow *f)
{
	MP_DLIST_APPEND(&l->head, &l->tail, f, lprev, lnext);
}

/* Unlinks f from its bucket and list, hands it to the end callback, and recycles it. */
static void flow_end(struct flow_table *ft, struct mp_flow *f, enum mp_flow_end why)
{
	struct mp_flow **pp = &ft->buckets[f->hash & ft->mask];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	list_remove(&ft->lists[f->fclass], f);
	ft->st.active--;
	if (why == MP_END_TIMEOUT)
		ft->st.ended_timeout++;
	else if (why == MP_END_EVICTED)
		ft->st.ended_evicted++;
	else
		ft->st.ended_shutdown++;
	if (ft->cfg.on_end != NULL)
		ft->cfg.on_end(f, why, ft->cfg.user);
	f->hnext = ft->spare;
	ft->spare = f;
	ft->nspare++;
}

/* Returns the least recently seen flow over all classes, or NULL when the table is empty. */
static struct mp_flow *oldest_flow(struct flow_table *ft)
{
	struct mp_flow *best = NULL;

	for (int i = 0; i < MP_FC_COUNT; i++) {
		struct mp_flow *h = ft->lists[i].head;
		if (h != NULL && (best == NULL || h->last_us < best->last_us))
			best = h;
	}
	return best;
}

/* The least recently seen flow by last_pos (then last_us, for callers that leave last_pos 0). Each list
 * is in last_pos order, so repeated calls give every flow in last_pos order. NULL when empty. */
static struct mp_flow *stalest_flow(struct flow_table *ft)
{
	struct mp_flow *best = NULL;

	for (int i = 0; i < MP_FC_COUNT; i++) {
		struct mp_flow *h = ft->lists[i].head;
		if (h != NULL && (best == NULL || h->last_pos < best->last_pos ||
				  (h->last_pos == best->last_pos && h->last_us < best->last_us)))
			best = h;
	}
	return best;
}

void flow_flush(struct flow_table *ft)
{
	struct mp_flow *f;

	while ((f = stalest_flow(ft)) != NULL)
		flow_end(ft, f, MP_END_SHUTDOWN);
}

void flow_table_free(struct flow_table *ft)
{
	struct mp_flow *f;

	if (ft == NULL)
		return;
	flow_flush(ft);
	while ((f = ft->spare) != NULL) {
		ft->spare = f->hnext;
		free(f);
	}
	free(ft->buckets);
	free(ft);
}

/* Enters or leaves emergency mode according to how full the table is. */
static void check_emergency(struct flow_table *ft)
{
	uint64_t active = ft->st.active, cap = ft->cfg.max_flows;

	if (!ft->st.emergency && active * 100 >= cap * MP_FLOW_EMERGENCY_ENTER_PCT) {
		ft->st.emergency = 1;
		ft->st.emergency_entered++;
	} else if (ft->st.emergency && active * 100 < cap * MP_FLOW_EMERGENCY_EXIT_PCT) {
		ft->st.emergency = 0;
		ft->st.emergency_over++;
	}
}

size_t flow_expire(struct flow_table *ft, uint64_t now_us)
{
	size_t n = 0;

	check_emergency(ft);
	for (int i = 0; i < MP_FC_COUNT; i++) {
		uint64_t timeout = ft->timeout_us[i] / (ft->st.emergency ? MP_FLOW_EMERGENCY_DIVISOR : 1u);
		struct mp_flow *f;

		while ((f = ft->lists[i].head) != NULL && now_us > f->last_us &&
		       now_us - f->last_us >= timeout) {
			flow_end(ft, f, MP_END_TIMEOUT);
			n++;
		}
	}
	return n;
}

static int addr_cmp(const uint8_t *x, const uint8_t *y)
{
	return memcmp(x, y, 16);
}

void flow_key_from_packet(const struct mp_packet *p, struct mp_flow_key *k, bool *swapped)
{
	int c = addr_cmp(p->src, p->dst);

	memset(k, 0, sizeof(*k));
	*swapped = c > 0 || (c == 0 && p->sport > p->dport);
	if (!*swapped) {
		memcpy(k->a, p->src, 16);
		memcpy(k->b, p->dst, 16);
		k->pa = p->sport;
		k->pb = p->dport;
	} else {
		memcpy(k->a, p->dst, 16);
		memcpy(k->b, p->src, 16);
		k->pa = p->dport;
		k->pb = p->sport;
	}
	k->vlan = p->vlan;
	k->family = p->family;
	k->ip_proto = p->ip_proto;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* The two addresses enter through the sums of their 64-bit halves, which do not depend on their order:
 * no comparison is needed, and the reader of --workers computes this for every packet. */
unsigned flow_vshard(const uint8_t *a, const uint8_t *b, uint16_t vlan, uint64_t seed)
{
	uint64_t a0, a1, b0, b1, h;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	h = ((a0 + b0) ^ seed ^ 0x2545f4914f6cdd1dull) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 32) ^ (a1 + b1)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 29) ^ vlan) * 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (unsigned)((h >> 8) % MP_WORKER_VSHARDS);
}

uint32_t flow_key_hash(const struct mp_flow_key *k, uint64_t seed)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull, w;
	const uint8_t *b = (const uint8_t *)k;

	_Static_assert(sizeof(struct mp_flow_key) == 40, "flow key must have no padding");
	for (size_t i = 0; i < sizeof(*k); i += 8) {
		memcpy(&w, b + i, 8);
		h = mix64(h ^ w);
	}
	return (uint32_t)(h ^ (h >> 32));
}

static bool key_eq(const struct mp_flow_key *x, const struct mp_flow_key *y)
{
	return memcmp(x, y, sizeof(*x)) == 0;
}

/* Port heuristic for flows whose start was not seen. Returns 1 when dport is the server's,
 * 0 when sport is, -1 when the ports do not decide. */
static int port_server_side(uint16_t sport, uint16_t dport)
{
	if (sport == dport)
		return -1;
	if ((sport < 1024) != (dport < 1024))
		return dport < 1024;
	if ((sport >= 32768) != (dport >= 32768))
		return dport < 32768;
	if (sport < 1024)
		return dport < sport;
	return -1;
}

static void decide_sides(struct mp_flow *f, const struct mp_packet *p, bool swapped)
{
	bool src_is_client;
	int s;

	if (p->ip_proto == 6 && (p->tcp_flags & (MP_TH_SYN | MP_TH_ACK)) == MP_TH_SYN) {
		src_is_client = true;
		f->side_basis = MP_SIDE_SYN;
	} else if (p->ip_proto == 6 && (p->tcp_flags & (MP_TH_SYN | MP_TH_ACK)) == (MP_TH_SYN | MP_TH_ACK)) {
		src_is_client = false;
		f->side_basis = MP_SIDE_SYNACK;
	} else if ((p->ip_proto == 6 || p->ip_proto == 17) &&
		   (s = port_server_side(p->sport, p->dport)) >= 0) {
		src_is_client = s == 1;
		f->side_basis = MP_SIDE_PORT;
	} else if (p->ip_proto == 6 && p->sport != p->dport) {
		src_is_client = p->sport > p->dport; /* TCP mid-stream: the lower port serves */
		f->side_basis = MP_SIDE_PORT;
	} else {
		src_is_client = true;
		f->side_basis = MP_SIDE_FIRST;
	}
	/* key.a is the packet's source unless swapped */
	f->client_is_a = (uint8_t)(src_is_client != swapped);
	f->first_dir = src_is_client ? MP_DIR_C2S : MP_DIR_S2C;
}

static enum mp_flow_class flow_class_of(const struct mp_flow *f)
{
	uint8_t c = f->tcp_flags_seen[MP_DIR_C2S], s = f->tcp_flags_seen[MP_DIR_S2C];

	switch (f->key.ip_proto) {
	case 6:
		if (((c | s) & MP_TH_RST) || ((c & MP_TH_FIN) && (s & MP_TH_FIN)))
			return MP_FC_TCP_CLOSED;
		if (((c & MP_TH_SYN) && (s & MP_TH_SYN) && (s & MP_TH_ACK)) ||
		    (f->payload_bytes[0] && f->payload_bytes[1]))
			return MP_FC_TCP_EST;
		/* Picked up mid-stream (no SYN either way) with acknowledgements both ways: a connection
		 * established before the capture began, e.g. one that only exchanges keepalives. */
		if (!((c | s) & MP_TH_SYN) && (c & MP_TH_ACK) && (s & MP_TH_ACK))
			return MP_FC_TCP_EST;
		return MP_FC_TCP_NEW;
	case 17:
		return MP_FC_UDP;
	default:
		return MP_FC_OTHER;
	}
}

/* A 51-bit id (safe as a JSON number) derived from the flow's key, its first packet time and the
 * seed; ids do not depend on table order or on the number of workers. */
static uint64_t flow_id_of(const struct flow_table *ft, uint32_t hash, const struct mp_flow_key *k,
			   uint64_t first_us)
{
	uint64_t x = mix64(ft->cfg.seed ^ ((uint64_t)hash << 32) ^ first_us);

	x = mix64(x ^ ((uint64_t)k->pa << 16 | k->pb) ^ ((uint64_t)k->ip_proto << 40));
	x &= (1ull << 51) - 1;
	return x == 0 ? 1 : x;
}

/* Doubles the bucket array once the live flows outnumber the buckets, up to max_buckets, so that the
 * table touches memory in proportion to the flows it holds. A failed allocation keeps the old array:
 * chains get longer, nothing is lost. Only bucket chains change; lists and results do not. */
static void maybe_grow(struct flow_table *ft)
{
	uint32_t nb = (ft->mask + 1) * 2;
	struct mp_flow **nbk;

	if (ft->st.active <= ft->mask + 1 || nb > ft->max_buckets)
		return;
	if ((nbk = calloc(nb, sizeof(*nbk))) == NULL)
		return;
	MP_CHAIN_REHASH(struct mp_flow, ft->buckets, ft->mask + 1, nbk, nb, hash, hnext);
	free(ft->buckets);
	ft->buckets = nbk;
	ft->mask = nb - 1;
	ft->st.hash_grows++;
}

static struct mp_flow *flow_create(struct flow_table *ft, const struct mp_packet *p,
				   const struct mp_flow_key *k, uint32_t hash, bool swapped)
{
	struct mp_flow *f;

	if (ft->st.active >= ft->cfg.max_flows) {
		struct mp_flow *old = oldest_flow(ft);
		if (old != NULL)
			flow_end(ft, old, MP_END_EVICTED);
	}
	if ((f = ft->spare) != NULL) {
		ft->spare = f->hnext;
		ft->nspare--;
	} else if ((f = malloc(sizeof(*f))) == NULL) {
		/* Out of memory: reuse the oldest flow rather than fail the packet. */
		struct mp_flow *old = oldest_flow(ft);
		if (old == NULL)
			return NULL;
		flow_end(ft, old, MP_END_EVICTED);
		f = ft->spare;
		ft->spare = f->hnext;
		ft->nspare--;
	}
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->hash = hash;
	f->flow_id = flow_id_of(ft, hash, k, p->ts_us);
	f->first_us = f->last_us = p->ts_us;
	f->first_tcp_flags = p->tcp_flags;
	decide_sides(f, p, swapped);
	f->fclass = (uint8_t)flow_class_of(f);
	f->hnext = ft->buckets[hash & ft->mask];
	ft->buckets[hash & ft->mask] = f;
	list_append(&ft->lists[f->fclass], f);
	ft->st.created++;
	if (++ft->st.active > ft->st.peak_active)
		ft->st.peak_active = ft->st.active;
	maybe_grow(ft);
	switch (k->ip_proto) {
	case 6:
		ft->st.tcp++;
		break;
	case 17:
		ft->st.udp++;
		break;
	case 1:
		ft->st.icmpv4++;
		break;
	case 58:
		ft->st.icmpv6++;
		break;
	default:
		ft->st.other++;
		break;
	}
	return f;
}

struct mp_flow *flow_find(struct flow_table *ft, const struct mp_packet *p)
{
	struct mp_flow_key k;
	struct mp_flow *f;
	bool swapped;
	uint32_t h;

	flow_key_from_packet(p, &k, &swapped);
	h = flow_key_hash(&k, ft->cfg.seed);
	for (f = ft->buckets[h & ft->mask]; f != NULL; f = f->hnext)
		if (f->hash == h && key_eq(&f->key, &k))
			return f;
	return NULL;
}

struct mp_flow *flow_get(struct flow_table *ft, const struct mp_packet *p, int *dir, bool *created)
{
	struct mp_flow_key k;
	struct mp_flow *f;
	bool swapped;
	uint32_t h;
	enum mp_flow_class fc;

	flow_key_from_packet(p, &k, &swapped);
	h = flow_key_hash(&k, ft->cfg.seed);
	*created = false;
	for (f = ft->buckets[h & ft->mask]; f != NULL; f = f->hnext)
		if (f->hash == h && key_eq(&f->key, &k))
			break;
	if (f == NULL) {
		f = flow_create(ft, p, &k, h, swapped);
		*created = true;
	}
	*dir = ((!swapped) == (f->client_is_a != 0)) ? MP_DIR_C2S : MP_DIR_S2C;
	f->pkts[*dir]++;
	f->bytes[*dir] += p->wirelen;
	f->payload_bytes[*dir] += p->payload_wire_len;
	f->tcp_flags_seen[*dir] |= p->tcp_flags;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	fc = flow_class_of(f);
	list_remove(&ft->lists[f->fclass], f);
	f->fclass = (uint8_t)fc;
	list_append(&ft->lists[fc], f);
	return f;
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
	return &ft->st;
}

void flow_endpoints(const struct mp_flow *f, const uint8_t **cip, uint16_t *cport, const uint8_t **sip,
		    uint16_t *sport)
{
	if (f->client_is_a) {
		*cip = f->key.a;
		*cport = f->key.pa;
		*sip = f->key.b;
		*sport = f->key.pb;
	} else {
		*cip = f->key.b;
		*cport = f->key.pb;
		*sip = f->key.a;
		*sport = f->key.pa;
	}
}

const char *flow_state_name(const struct mp_flow *f)
{
	switch (f->fclass) {
	case MP_FC_TCP_NEW:
		return "new";
	case MP_FC_TCP_CLOSED:
		return "closed";
	case MP_FC_TCP_EST:
		return "established";
	default:
		return f->pkts[MP_DIR_S2C] > 0 ? "established" : "new";
	}
}
