/* minimal.c: minimal flow table + nDPI loop, the benchmark's reference for "flows and nDPI, nothing else". */
/*
 * usage: minimal FILE [FILE ...]
 *
 * Ethernet (up to two VLAN tags) -> IPv4/IPv6 -> 5-tuple. Flows live in a chained hash table keyed by the
 * canonical (smaller endpoint first) 5-tuple plus VLAN; each flow gets an nDPI flow until its protocol is
 * detected with no extra dissection pending, or its packet budget (80 TCP / 24 UDP packets, as
 * ndpiReader -T/-U) runs out and detection gives up; the nDPI state is freed then. A flow is freed after
 * an idle time in capture time (TCP 300 s, UDP 60 s, other 30 s: one LRU list per class, swept once per
 * capture second). Non-first IP fragments and non-IP frames are counted and skipped. Prints one line of
 * counters at the end. No output per flow, no verdict, no alert: the floor for a classifier.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#define NBUCKETS   (1u << 18)
#define MAX_FLOWS  (4u << 20)
#define BUDGET_TCP 80u
#define BUDGET_UDP 24u

enum { CLS_TCP, CLS_UDP, CLS_OTHER, NCLS };
static const uint64_t idle_ms[NCLS] = {300000, 60000, 30000};

struct key {
	uint8_t a[16], b[16]; /* endpoint a < endpoint b (address, then port) */
	uint16_t pa, pb;
	uint16_t vlan;
	uint8_t proto, ver;
};

struct flow {
	struct flow *hnext;       /* hash chain */
	struct flow *prev, *next; /* LRU list of the flow's class, oldest first */
	struct key key;
	uint64_t last_ms;
	uint32_t packets;
	uint16_t master, app;
	uint8_t cls, done, guessed;
	struct ndpi_flow_struct *nf; /* NULL once detection is over */
};

struct lru {
	struct flow *head, *tail;
};

struct state {
	struct ndpi_detection_module_struct *ndpi;
	uint32_t nf_size;
	struct flow **buckets;
	struct lru lru[NCLS];
	uint64_t now_ms, next_sweep_ms;
	uint64_t packets, bytes, skipped, flows, live, peak_live, expired, dropped_full;
	uint64_t detected, guessed, unknown, ndpi_calls;
};

static uint64_t hash_key(const struct key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ull;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static void lru_unlink(struct lru *l, struct flow *f)
{
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct lru *l, struct flow *f)
{
	f->prev = l->tail;
	f->next = NULL;
	if (l->tail != NULL)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/* Ends detection on f: gives up if nothing was detected, then frees the nDPI state. */
static void finish_dpi(struct state *s, struct flow *f, ndpi_protocol p, bool giveup)
{
	if (giveup) {
		uint8_t g = 0;

		p = ndpi_detection_giveup(s->ndpi, f->nf, 1, &g);
		f->guessed = g;
	}
	f->master = p.master_protocol;
	f->app = p.app_protocol;
	f->done = 1;
	if (f->app == NDPI_PROTOCOL_UNKNOWN && f->master == NDPI_PROTOCOL_UNKNOWN)
		s->unknown++;
	else if (f->guessed)
		s->guessed++;
	else
		s->detected++;
	ndpi_free_flow(f->nf);
	f->nf = NULL;
}

static void flow_free(struct state *s, struct flow *f)
{
	uint32_t b = (uint32_t)hash_key(&f->key) & (NBUCKETS - 1);
	struct flow **pp = &s->buckets[b];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	lru_unlink(&s->lru[f->cls], f);
	if (!f->done)
		finish_dpi(s, f, (ndpi_protocol){0, 0, 0}, true);
	free(f);
	s->live--;
}

static void sweep(struct state *s)
{
	for (int c = 0; c < NCLS; c++) {
		while (s->lru[c].head != NULL && s->lru[c].head->last_ms + idle_ms[c] < s->now_ms) {
			flow_free(s, s->lru[c].head);
			s->expired++;
		}
	}
}

static struct flow *lookup(struct state *s, const struct key *k)
{
	uint32_t b = (uint32_t)hash_key(k) & (NBUCKETS - 1);
	struct flow *f;

	for (f = s->buckets[b]; f != NULL; f = f->hnext)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	if (s->live >= MAX_FLOWS) {
		s->dropped_full++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->nf = ndpi_flow_malloc(s->nf_size);
	if (f->nf == NULL) {
		free(f);
		return NULL;
	}
	memset(f->nf, 0, s->nf_size);
	f->key = *k;
	f->cls = k->proto == 6 ? CLS_TCP : k->proto == 17 ? CLS_UDP : CLS_OTHER;
	f->hnext = s->buckets[b];
	s->buckets[b] = f;
	lru_append(&s->lru[f->cls], f);
	s->flows++;
	if (++s->live > s->peak_live)
		s->peak_live = s->live;
	return f;
}

/* Fills k's endpoints in canonical order. */
static void set_endpoints(struct key *k, const uint8_t *src, const uint8_t *dst, size_t alen, uint16_t sp,
			  uint16_t dp)
{
	int c = memcmp(src, dst, alen);

	if (c < 0 || (c == 0 && sp <= dp)) {
		memcpy(k->a, src, alen);
		memcpy(k->b, dst, alen);
		k->pa = sp;
		k->pb = dp;
	} else {
		memcpy(k->a, dst, alen);
		memcpy(k->b, src, alen);
		k->pa = dp;
		k->pb = sp;
	}
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Decodes one Ethernet frame into k and the IP header span; returns false to skip the packet. */
static bool decode(const uint8_t *p, uint32_t len, struct key *k, const uint8_t **l3, uint32_t *l3_len)
{
	uint32_t off = 14, ipend, l4;
	uint16_t et;
	uint8_t proto;

	memset(k, 0, sizeof(*k));
	if (len < 14)
		return false;
	et = rd16(p + 12);
	for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
		if (len < off + 4)
			return false;
		if (tags == 0)
			k->vlan = rd16(p + off) & 0x0fff;
		et = rd16(p + off + 2);
		off += 4;
	}
	if (et == 0x0800) {
		uint32_t ihl;

		if (len < off + 20 || (p[off] >> 4) != 4)
			return false;
		ihl = (uint32_t)(p[off] & 0x0f) * 4;
		ipend = off + rd16(p + off + 2);
		if (ihl < 20 || ipend > len)
			ipend = len;
		if (off + ihl > ipend || (rd16(p + off + 6) & 0x1fff) != 0)
			return false; /* truncated or a non-first fragment */
		proto = p[off + 9];
		l4 = off + ihl;
		k->ver = 4;
		if ((proto == 6 || proto == 17) && l4 + 4 <= ipend)
			set_endpoints(k, p + off + 12, p + off + 16, 4, rd16(p + l4), rd16(p + l4 + 2));
		else
			set_endpoints(k, p + off + 12, p + off + 16, 4, 0, 0);
	} else if (et == 0x86dd) {
		uint8_t nh;

		if (len < off + 40 || (p[off] >> 4) != 6)
			return false;
		ipend = off + 40 + rd16(p + off + 4);
		if (ipend > len)
			ipend = len;
		nh = p[off + 6];
		l4 = off + 40;
		for (int i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 44); i++) {
			if (l4 + 8 > ipend)
				return false;
			if (nh == 44) {
				if ((rd16(p + l4 + 2) & 0xfff8) != 0)
					return false; /* non-first fragment */
				nh = p[l4];
				l4 += 8;
			} else {
				uint8_t next = p[l4];

				l4 += 8 + (uint32_t)p[l4 + 1] * 8;
				nh = next;
			}
		}
		proto = nh;
		k->ver = 6;
		if ((proto == 6 || proto == 17) && l4 + 4 <= ipend)
			set_endpoints(k, p + off + 8, p + off + 24, 16, rd16(p + l4), rd16(p + l4 + 2));
		else
			set_endpoints(k, p + off + 8, p + off + 24, 16, 0, 0);
	} else {
		return false;
	}
	k->proto = proto;
	*l3 = p + off;
	*l3_len = ipend - off;
	if (*l3_len > 65535)
		*l3_len = 65535;
	return true;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct state *s = (struct state *)user;
	uint64_t ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
	const uint8_t *l3;
	uint32_t l3_len;
	struct key k;
	struct flow *f;

	s->packets++;
	s->bytes += h->caplen;
	if (ms > s->now_ms)
		s->now_ms = ms; /* nDPI's clock and the expiry clock never go backwards */
	if (s->now_ms >= s->next_sweep_ms) {
		sweep(s);
		s->next_sweep_ms = s->now_ms + 1000;
	}
	if (!decode(bytes, h->caplen, &k, &l3, &l3_len)) {
		s->skipped++;
		return;
	}
	f = lookup(s, &k);
	if (f == NULL)
		return;
	f->last_ms = s->now_ms;
	f->packets++;
	if (s->lru[f->cls].tail != f) {
		lru_unlink(&s->lru[f->cls], f);
		lru_append(&s->lru[f->cls], f);
	}
	if (!f->done) {
		ndpi_protocol p =
		    ndpi_detection_process_packet(s->ndpi, f->nf, l3, (unsigned short)l3_len, s->now_ms);
		uint32_t budget = k.proto == 6 ? BUDGET_TCP : BUDGET_UDP;
		bool over = f->packets > budget;

		s->ndpi_calls++;
		if (p.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
		    (over || !ndpi_extra_dissection_possible(s->ndpi, f->nf)))
			finish_dpi(s, f, p, false);
		else if (over)
			finish_dpi(s, f, p, true);
	}
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	NDPI_PROTOCOL_BITMASK all;
	struct state s;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: minimal FILE [FILE ...]\n");
		return 1;
	}
	memset(&s, 0, sizeof(s));
	s.ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (s.ndpi == NULL) {
		fprintf(stderr, "minimal: nDPI initialisation failed\n");
		return 1;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(s.ndpi, &all);
	ndpi_finalize_initialization(s.ndpi);
	s.nf_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
	s.buckets = calloc(NBUCKETS, sizeof(*s.buckets));
	if (s.buckets == NULL) {
		fprintf(stderr, "minimal: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		pcap_t *p = pcap_open_offline(argv[i], errbuf);

		if (p == NULL) {
			fprintf(stderr, "minimal: %s\n", errbuf);
			status = 1;
			continue;
		}
		if (pcap_datalink(p) != DLT_EN10MB) {
			fprintf(stderr, "minimal: %s: not Ethernet, skipped\n", argv[i]);
			status = 1;
		} else if (pcap_loop(p, -1, on_packet, (u_char *)&s) == PCAP_ERROR) {
			fprintf(stderr, "minimal: %s: %s\n", argv[i], pcap_geterr(p));
			status = 1;
		}
		pcap_close(p);
	}
	for (int c = 0; c < NCLS; c++)
		while (s.lru[c].head != NULL)
			flow_free(&s, s.lru[c].head);
	printf("packets %" PRIu64 " bytes %" PRIu64 " skipped %" PRIu64 " flows %" PRIu64
	       " peak_live %" PRIu64 " expired %" PRIu64 " detected %" PRIu64 " guessed %" PRIu64
	       " unknown %" PRIu64 " ndpi_calls %" PRIu64 " table_full %" PRIu64 "\n",
	       s.packets, s.bytes, s.skipped, s.flows, s.peak_live, s.expired, s.detected, s.guessed,
	       s.unknown, s.ndpi_calls, s.dropped_full);
	free(s.buckets);
	ndpi_exit_detection_module(s.ndpi);
	return status;
}
