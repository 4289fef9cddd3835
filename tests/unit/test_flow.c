/* test_flow.c: flow keying, client/server sides, expiry by class, and the bounded table. */
#include <criterion/criterion.h>
#include <string.h>

#include "misport/config.h"
#include "misport/flow.h"

struct ended {
	unsigned n, timeout, evicted, shutdown;
	uint16_t last_server_port;
};

static void on_end(struct mp_flow *f, enum mp_flow_end why, void *user)
{
	struct ended *e = user;
	const uint8_t *c, *s;
	uint16_t cp, sp;

	e->n++;
	e->timeout += why == MP_END_TIMEOUT;
	e->evicted += why == MP_END_EVICTED;
	e->shutdown += why == MP_END_SHUTDOWN;
	flow_endpoints(f, &c, &cp, &s, &sp);
	e->last_server_port = sp;
}

/* A TCP or UDP packet between 10.0.0.<a>:<sp> and 10.0.0.<b>:<dp>. */
static struct mp_packet pkt(uint8_t proto, uint8_t a, uint16_t sp, uint8_t b, uint16_t dp, uint8_t flags,
			    uint64_t ts_s)
{
	struct mp_packet p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.ip_proto = proto;
	p.src[0] = 10, p.src[3] = a;
	p.dst[0] = 10, p.dst[3] = b;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = flags;
	p.ts_us = ts_s * 1000000u;
	p.wirelen = 60;
	return p;
}

static struct flow_table *new_table(uint32_t max, struct ended *e)
{
	struct flow_table_config cfg;
	struct flow_table *ft;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_flows = max;
	cfg.seed = 42;
	cfg.on_end = on_end;
	cfg.user = e;
	cr_assert_eq(flow_table_new(&cfg, &ft, err, sizeof(err)), 0, "%s", err);
	return ft;
}

Test(flow, both_directions_share_one_flow_and_the_hash)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(16, &e);
	struct mp_packet syn = pkt(6, 1, 40000, 2, 3098, MP_TH_SYN, 1);
	struct mp_packet synack = pkt(6, 2, 3098, 1, 40000, MP_TH_SYN | MP_TH_ACK, 1);
	struct mp_flow_key k1, k2;
	struct mp_flow *f1, *f2;
	bool created, sw1, sw2;
	int dir;

	flow_key_from_packet(&syn, &k1, &sw1);
	flow_key_from_packet(&synack, &k2, &sw2);
	cr_assert(memcmp(&k1, &k2, sizeof(k1)) == 0);
	cr_assert_neq(sw1, sw2);
	cr_assert_eq(flow_key_hash(&k1, 7), flow_key_hash(&k2, 7));
	cr_assert_neq(flow_key_hash(&k1, 7), flow_key_hash(&k1, 8), "the seed changes the hash");

	f1 = flow_get(ft, &syn, &dir, &created);
	cr_assert(created);
	cr_assert_eq(dir, MP_DIR_C2S);
	f2 = flow_get(ft, &synack, &dir, &created);
	cr_assert_not(created);
	cr_assert_eq(f1, f2);
	cr_assert_eq(dir, MP_DIR_S2C);
	cr_assert_eq(f1->side_basis, MP_SIDE_SYN);
	cr_assert_eq(f1->pkts[MP_DIR_C2S], 1);
	cr_assert_eq(f1->pkts[MP_DIR_S2C], 1);
	cr_assert_eq(flow_table_stats(ft)->created, 1);
	flow_table_free(ft);
	cr_assert_eq(e.shutdown, 1);
	cr_assert_eq(e.last_server_port, 3098);
}

Test(flow, vlan_separates_flows)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(16, &e);
	struct mp_packet a = pkt(17, 1, 5000, 2, 53, 0, 1), b = a;
	bool created;
	int dir;

	b.vlan = 7;
	cr_assert_neq(flow_get(ft, &a, &dir, &created), flow_get(ft, &b, &dir, &created));
	cr_assert_eq(flow_table_stats(ft)->created, 2);
	flow_table_free(ft);
}

Test(flow, synack_first_makes_the_receiver_the_client)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(16, &e);
	struct mp_packet synack = pkt(6, 2, 8080, 1, 50000, MP_TH_SYN | MP_TH_ACK, 1);
	const uint8_t *c, *s;
	uint16_t cp, sp;
	bool created;
	int dir;
	struct mp_flow *f = flow_get(ft, &synack, &dir, &created);

	cr_assert_eq(dir, MP_DIR_S2C);
	cr_assert_eq(f->side_basis, MP_SIDE_SYNACK);
	flow_endpoints(f, &c, &cp, &s, &sp);
	cr_assert_eq(cp, 50000);
	cr_assert_eq(sp, 8080);
	cr_assert_eq(s[3], 2);
	flow_table_free(ft);
}

Test(flow, midstream_and_udp_use_the_port_heuristic)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(16, &e);
	const uint8_t *c, *s;
	uint16_t cp, sp;
	bool created;
	int dir;
	/* A DNS answer seen before its query: 53 is the server although it sent first. */
	struct mp_packet answer = pkt(17, 2, 53, 1, 40000, 0, 1);
	struct mp_flow *f = flow_get(ft, &answer, &dir, &created);

	cr_assert_eq(f->side_basis, MP_SIDE_PORT);
	cr_assert_eq(dir, MP_DIR_S2C);
	flow_endpoints(f, &c, &cp, &s, &sp);
	cr_assert_eq(sp, 53);

	/* TCP mid-stream between two registered ports: the lower port serves. */
	struct mp_packet mid = pkt(6, 1, 5000, 2, 3098, MP_TH_ACK, 1);
	f = flow_get(ft, &mid, &dir, &created);
	flow_endpoints(f, &c, &cp, &s, &sp);
	cr_assert_eq(sp, 3098);

	/* UDP between equal ports: the first sender is the client. */
	struct mp_packet ntp = pkt(17, 2, 123, 1, 123, 0, 1);
	f = flow_get(ft, &ntp, &dir, &created);
	cr_assert_eq(f->side_basis, MP_SIDE_FIRST);
	cr_assert_eq(dir, MP_DIR_C2S);
	flow_table_free(ft);
}

Test(flow, idle_flows_expire_by_class_in_capture_time)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(16, &e);
	struct mp_packet udp = pkt(17, 1, 40000, 2, 53, 0, 100);
	struct mp_packet syn = pkt(6, 1, 40001, 2, 80, MP_TH_SYN, 100);
	struct mp_packet synack = pkt(6, 2, 80, 1, 40001, MP_TH_SYN | MP_TH_ACK, 100);
	bool created;
	int dir;

	flow_get(ft, &udp, &dir, &created);
	flow_get(ft, &syn, &dir, &created);
	flow_get(ft, &synack, &dir, &created);
	cr_assert_eq(flow_expire(ft, 159u * 1000000u), 0, "nothing is idle for 59 s of capture time");
	cr_assert_eq(flow_expire(ft, 161u * 1000000u), 1, "the UDP flow ends after 60 s");
	cr_assert_eq(e.timeout, 1);
	cr_assert_eq(flow_table_stats(ft)->active, 1);
	cr_assert_eq(flow_expire(ft, 401u * 1000000u), 1, "the established TCP flow ends after 300 s");
	cr_assert_eq(flow_table_stats(ft)->active, 0);
	flow_table_free(ft);
	cr_assert_eq(e.n, 2);
}

Test(flow, full_table_evicts_the_oldest_and_counts_it)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(100, &e);
	bool created;
	int dir;

	for (unsigned i = 0; i < 1000; i++) {
		struct mp_packet p = pkt(17, 1, (uint16_t)(10000 + i), 2, 53, 0, 1000 + i / 100);
		flow_get(ft, &p, &dir, &created);
		cr_assert(created);
		cr_assert_leq(flow_table_stats(ft)->active, 100);
	}
	cr_assert_eq(flow_table_stats(ft)->ended_evicted, 900);
	cr_assert_eq(e.evicted, 900);
	/* The survivors are the 100 newest: port 10900 is still there, 10000 is gone. */
	struct mp_packet newest = pkt(17, 1, 10900, 2, 53, 0, 1010),
			 oldest = pkt(17, 1, 10000, 2, 53, 0, 1010);
	flow_get(ft, &newest, &dir, &created);
	cr_assert_not(created);
	flow_get(ft, &oldest, &dir, &created);
	cr_assert(created);
	flow_table_free(ft);
	cr_assert_eq(e.n, 1001);
}

Test(flow, flow_ids_are_unique_and_nonzero)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(5000, &e);
	static uint64_t ids[4000];
	bool created;
	int dir;

	for (unsigned i = 0; i < 4000; i++) {
		struct mp_packet p =
		    pkt(6, (uint8_t)(i % 200), (uint16_t)(20000 + i), 250, 443, MP_TH_SYN, 1);
		ids[i] = flow_get(ft, &p, &dir, &created)->flow_id;
		cr_assert_neq(ids[i], 0);
		cr_assert_lt(ids[i], 1ull << 51);
	}
	for (unsigned i = 0; i < 4000; i++)
		for (unsigned j = i + 1; j < 4000; j++)
			cr_assert_neq(ids[i], ids[j]);
	flow_table_free(ft);
}

Test(flow, midstream_acks_both_ways_count_as_established)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(16, &e);
	struct mp_packet ka = pkt(6, 1, 40002, 2, 443, MP_TH_ACK, 100);
	struct mp_packet ka_back = pkt(6, 2, 443, 1, 40002, MP_TH_ACK, 100);
	struct mp_packet lone = pkt(6, 1, 40003, 2, 443, MP_TH_ACK, 100);
	struct mp_flow *f;
	bool created;
	int dir;

	flow_get(ft, &lone, &dir, &created);
	flow_get(ft, &ka, &dir, &created);
	f = flow_get(ft, &ka_back, &dir, &created);
	cr_assert_str_eq(flow_state_name(f), "established",
			 "keepalives both ways, no SYN: an older connection");
	cr_assert_eq(flow_expire(ft, 131u * 1000000u), 1, "the one-way ACK flow ends after 30 s");
	cr_assert_eq(flow_expire(ft, 399u * 1000000u), 0, "the mid-stream connection lives 300 s");
	cr_assert_eq(flow_expire(ft, 401u * 1000000u), 1);
	flow_table_free(ft);
}

Test(flow, emergency_mode_shortens_timeouts_when_nearly_full)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(100, &e);
	bool created;
	int dir;

	/* 95 UDP flows at t=100 s fill the table past 90 %. */
	for (unsigned i = 0; i < 95; i++) {
		struct mp_packet p = pkt(17, 1, (uint16_t)(20000 + i), 2, 53, 0, 100);
		flow_get(ft, &p, &dir, &created);
	}
	/* 7 s later: the normal UDP timeout is 60 s, the emergency one 6 s. */
	cr_assert_eq(flow_expire(ft, 107u * 1000000u), 95);
	cr_assert_eq(flow_table_stats(ft)->emergency_entered, 1);
	cr_assert_eq(flow_table_stats(ft)->emergency, 1);
	cr_assert_eq(flow_expire(ft, 108u * 1000000u), 0);
	cr_assert_eq(flow_table_stats(ft)->emergency_over, 1, "an empty table leaves emergency mode");
	flow_table_free(ft);
}

Test(flow, flow_id_depends_on_the_flow_not_on_table_order)
{
	struct ended e1 = {0}, e2 = {0};
	struct flow_table *a = new_table(16, &e1), *b = new_table(16, &e2);
	struct mp_packet x = pkt(6, 1, 40000, 2, 80, MP_TH_SYN, 5),
			 y = pkt(6, 3, 40001, 4, 443, MP_TH_SYN, 6);
	bool created;
	int dir;
	uint64_t ax = flow_get(a, &x, &dir, &created)->flow_id;
	uint64_t ay = flow_get(a, &y, &dir, &created)->flow_id;
	uint64_t by = flow_get(b, &y, &dir, &created)->flow_id;
	uint64_t bx = flow_get(b, &x, &dir, &created)->flow_id;

	cr_assert_eq(ax, bx);
	cr_assert_eq(ay, by);
	cr_assert_neq(ax, ay);
	flow_table_free(a);
	flow_table_free(b);
}

/* The bucket array starts at MP_FLOW_MIN_BUCKETS and doubles as flows arrive (up to what the cap needs);
 * every flow is still found in both directions after the doublings, and ending them all empties it. */
Test(flow, buckets_grow_with_the_flows_and_keep_every_flow)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(5000, &e);
	int dir;
	bool created;

	for (uint32_t i = 0; i < 5000; i++) {
		struct mp_packet p = pkt(17, (uint8_t)(i & 0xff), (uint16_t)(1024 + i), 2, 53, 0, 1);

		flow_get(ft, &p, &dir, &created);
		cr_assert(created, "flow %u not new", i);
	}
	/* 5000 flows: 1024 -> 2048 -> 4096 -> 8192 buckets (8192 is the cap's power of two). */
	cr_assert_eq(flow_table_stats(ft)->hash_grows, 3);
	cr_assert_eq(flow_table_stats(ft)->active, 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		struct mp_packet p = pkt(17, (uint8_t)(i & 0xff), (uint16_t)(1024 + i), 2, 53, 0, 2);
		struct mp_packet r = pkt(17, 2, 53, (uint8_t)(i & 0xff), (uint16_t)(1024 + i), 0, 2);

		cr_assert_not_null(flow_find(ft, &p), "flow %u lost", i);
		cr_assert_eq(flow_find(ft, &p), flow_find(ft, &r));
		flow_get(ft, &r, &dir, &created);
		cr_assert_not(created, "flow %u recreated", i);
		cr_assert_eq(dir, MP_DIR_S2C);
	}
	cr_assert_eq(flow_table_stats(ft)->active, 5000);
	flow_table_free(ft);
	cr_assert_eq(e.shutdown, 5000);
}

/* A small cap never grows the array past its own power of two. */
Test(flow, buckets_stop_growing_at_the_cap)
{
	struct ended e = {0};
	struct flow_table *ft = new_table(1500, &e);
	int dir;
	bool created;

	for (uint32_t i = 0; i < 3000; i++) {
		struct mp_packet p = pkt(17, (uint8_t)(i & 0xff), (uint16_t)(1024 + i), 2, 53, 0, 1);

		flow_get(ft, &p, &dir, &created);
	}
	cr_assert_eq(flow_table_stats(ft)->hash_grows, 1); /* 1024 -> 2048, the cap's power of two */
	cr_assert_eq(flow_table_stats(ft)->active, 1500);
	cr_assert_eq(e.evicted, 1500);
	flow_table_free(ft);
}

/* Ending order, recorded: each ended flow's server port and its ranks at flow_expire and flow_flush. */
struct order {
	unsigned n;
	uint16_t port[64];
	uint64_t rank[64];
	bool flush;
};

static void on_end_order(struct mp_flow *f, enum mp_flow_end why, void *user)
{
	struct order *o = user;
	const uint8_t *c, *s;
	uint16_t cp, sp;

	(void)why;
	cr_assert_lt(o->n, 64);
	flow_endpoints(f, &c, &cp, &s, &sp);
	o->port[o->n] = sp;
	o->rank[o->n] = o->flush ? f->last_pos : flow_sweep_order(f);
	o->n++;
}

static struct flow_table *order_table(struct order *o)
{
	struct flow_table_config cfg;
	struct flow_table *ft;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_flows = 64;
	cfg.seed = 42;
	cfg.on_end = on_end_order;
	cfg.user = o;
	cr_assert_eq(flow_table_new(&cfg, &ft, err, sizeof(err)), 0, "%s", err);
	return ft;
}

/* Merges the endings of two tables by rank (each is in rank order) into *out. */
static void merge_orders(const struct order *a, const struct order *b, struct order *out)
{
	unsigned i = 0, j = 0;

	memset(out, 0, sizeof(*out));
	while (i < a->n || j < b->n) {
		bool take_a = j == b->n || (i < a->n && a->rank[i] < b->rank[j]);

		out->port[out->n] = take_a ? a->port[i] : b->port[j];
		out->rank[out->n++] = take_a ? a->rank[i++] : b->rank[j++];
	}
}

/* Workers hold different flows of one packet sequence; a sweep or the end of input ends each worker's flows
 * in its own table. Merged by rank, the endings must come in the order one table holding every flow gives
 * them (src/scanfeed.c relies on it to hand flows to the scan detector in one order). Flows of three
 * classes (UDP, TCP before and after the handshake) are touched in a scrambled order; every packet has a
 * position (last_pos) as the reader gives it, and capture times that are not in order. */
static void run_split(bool flush)
{
	struct order one = {0}, part[2] = {{0}, {0}}, merged;
	struct flow_table *t1, *tp[2];
	uint64_t x = 0x2545f4914f6cdd1dull;

	one.flush = part[0].flush = part[1].flush = flush;
	t1 = order_table(&one);
	tp[0] = order_table(&part[0]);
	tp[1] = order_table(&part[1]);
	for (uint64_t pos = 1; pos <= 60; pos++) {
		unsigned i;
		uint8_t proto, flags;
		struct mp_packet p;
		struct mp_flow *f;
		bool created;
		int dir;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = (unsigned)(x % 12u); /* flow i: 10.0.0.1:(40000+i) -> 10.0.0.2:(1000+i) */
		proto = i % 3 == 0 ? 17 : 6;
		flags = i % 3 == 1 ? MP_TH_SYN : MP_TH_ACK;
		/* capture times out of order (jitter above the spacing): last_us and last_pos disagree */
		p = pkt(proto, 1, (uint16_t)(40000 + i), 2, (uint16_t)(1000 + i), flags,
			pos * 10 + (x >> 20) % 40);
		f = flow_get(t1, &p, &dir, &created);
		f->last_pos = pos;
		f = flow_get(tp[i % 2], &p, &dir, &created);
		f->last_pos = pos;
	}
	if (flush) {
		flow_flush(t1);
		flow_flush(tp[0]);
		flow_flush(tp[1]);
	} else { /* every class's timeout has passed */
		flow_expire(t1, 1000000u * 1000000ull);
		flow_expire(tp[0], 1000000u * 1000000ull);
		flow_expire(tp[1], 1000000u * 1000000ull);
	}
	cr_assert_eq(one.n, 12);
	merge_orders(&part[0], &part[1], &merged);
	cr_assert_eq(merged.n, one.n);
	for (unsigned k = 0; k < one.n; k++)
		cr_assert_eq(merged.port[k], one.port[k], "ending %u: port %u, one table gives %u", k,
			     merged.port[k], one.port[k]);
	for (unsigned k = 1; k < one.n; k++)
		cr_assert_lt(one.rank[k - 1], one.rank[k], "one table ends flows in rank order");
	flow_table_free(t1);
	flow_table_free(tp[0]);
	flow_table_free(tp[1]);
}

Test(flow, split_tables_expire_in_the_order_of_one_table)
{
	run_split(false);
}

Test(flow, split_tables_flush_in_the_order_of_one_table)
{
	run_split(true);
}

/* flow_vshard over 65,536 clients of one server whose addresses differ in their last two bytes only
 * (at offset off: 2 for IPv4 as decode keeps it, the address in bytes 0-3; 14 for IPv6): the same shard
 * for a pair in either order; a spread that leaves no shard empty and none far above the mean; the
 * VLAN and the seed counting. */
static void check_vshard_spread(const uint8_t srv[16], uint8_t cli[16], unsigned off)
{
	unsigned count[MP_WORKER_VSHARDS] = {0}, max = 0, moved = 0, vlan_moved = 0;
	const unsigned pairs = 65536;

	for (unsigned i = 0; i < pairs; i++) {
		unsigned s;

		cli[off] = (uint8_t)(i >> 8);
		cli[off + 1] = (uint8_t)i;
		s = flow_vshard(cli, srv, 0, 7);
		cr_assert_lt(s, MP_WORKER_VSHARDS);
		cr_assert_eq(s, flow_vshard(srv, cli, 0, 7), "pair %u: order changes the shard", i);
		count[s]++;
		moved += s != flow_vshard(cli, srv, 0, 8);
		vlan_moved += s != flow_vshard(cli, srv, 100, 7);
	}
	for (unsigned s = 0; s < MP_WORKER_VSHARDS; s++) {
		cr_assert_gt(count[s], 0, "shard %u empty", s);
		if (count[s] > max)
			max = count[s];
	}
	/* a mean of 256 per shard; a fair spread stays within about 5 standard deviations (16 each) */
	cr_assert_lt(max, 256 + 80, "busiest shard %u of %u pairs", max, pairs);
	/* another seed or VLAN deals the pairs out anew: about 255 in 256 change shard */
	cr_assert_gt(moved, pairs * 9 / 10);
	cr_assert_gt(vlan_moved, pairs * 9 / 10);
}

Test(flow, vshard_is_symmetric_and_spreads_host_pairs)
{
	const uint8_t srv4[16] = {192, 0, 2, 1}, srv6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t cli4[16] = {10, 0}, cli6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 7};

	check_vshard_spread(srv4, cli4, 2);  /* 10.0.x.y */
	check_vshard_spread(srv6, cli6, 14); /* 2001:db8:0:7::x:y */
}
