/* suppress.c: bounded alert suppression with counted repeats and closing records. */
#include "misport/suppress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"
#include "misport/dlist.h"

struct supp_key {
	uint8_t src[16], dst[16];
	uint16_t dport;
	uint8_t family, ip_proto;
	char verdict[28];
};

/* One tracked key with what its closing record needs (a compact copy of the first alert). */
struct supp_entry {
	struct supp_key key;
	uint64_t first_us, last_us, window_end_us;
	uint64_t repeats;
	uint64_t flow_id;
	uint16_t sport, vlan;
	uint32_t signature_id;
	int severity;
	char app_proto[64];
	char signature[256];
	char category[64];
	uint32_t hash;
	struct supp_entry *hnext, *lprev, *lnext; /* hash chain; list ordered by window end */
};

struct supp_table {
	struct supp_entry **buckets;
	uint32_t mask, max;
	uint64_t interval_us;
	struct supp_entry *head, *tail; /* head closes first */
	supp_emit_cb emit;
	void *user;
	struct supp_stats st;
};

int supp_new(uint32_t max, uint32_t interval_s, supp_emit_cb emit, void *user, struct supp_table **out,
	     char *err, size_t errlen)
{
	struct supp_table *t = calloc(1, sizeof(*t));
	uint32_t nb = 64;

	*out = NULL;
	if (t == NULL)
		goto fail;
	t->max = max != 0 ? max : MP_SUPPRESS_MAX;
	while (nb < t->max && nb < (1u << 28))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (t->buckets == NULL)
		goto fail;
	t->mask = nb - 1;
	t->interval_us = (uint64_t)interval_s * 1000000u;
	t->emit = emit;
	t->user = user;
	*out = t;
	return 0;
fail:
	snprintf(err, errlen, "suppression table: out of memory");
	free(t);
	return -1;
}

static void key_of(const struct mp_alert *a, struct supp_key *k)
{
	const char *v = alert_meta_get(a, "verdict");
	size_t n = v != NULL ? strlen(v) : 0;

	memset(k, 0, sizeof(*k));
	memcpy(k->src, a->src_ip, 16);
	memcpy(k->dst, a->dst_ip, 16);
	k->dport = a->dst_port;
	k->family = a->family;
	k->ip_proto = a->ip_proto;
	if (n >= sizeof(k->verdict))
		n = sizeof(k->verdict) - 1;
	if (n > 0)
		memcpy(k->verdict, v, n);
}

static uint32_t key_hash(const struct supp_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Removes e from the table; emits its closing record when it counted repeats; frees it. */
static void close_entry(struct supp_table *t, struct supp_entry *e)
{
	struct supp_entry **pp = &t->buckets[e->hash & t->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	MP_DLIST_REMOVE(&t->head, &t->tail, e, lprev, lnext);
	t->st.active--;
	if (e->repeats > 0 && t->emit != NULL) {
		struct mp_alert c;
		int n;

		memset(&c, 0, sizeof(c));
		c.ts_us = e->last_us;
		c.flow_id = e->flow_id;
		c.family = e->key.family;
		c.ip_proto = e->key.ip_proto;
		c.vlan = e->vlan;
		memcpy(c.src_ip, e->key.src, 16);
		memcpy(c.dst_ip, e->key.dst, 16);
		c.src_port = e->sport;
		c.dst_port = e->key.dport;
		memcpy(c.app_proto, e->app_proto, sizeof(c.app_proto));
		c.signature_id = e->signature_id;
		c.severity = e->severity;
		memcpy(c.category, e->category, sizeof(c.category));
		n = snprintf(c.signature, sizeof(c.signature), "%s (%llu repeats suppressed)", e->signature,
			     (unsigned long long)e->repeats);
		if (n < 0 || (size_t)n >= sizeof(c.signature))
			copy_str(c.signature, sizeof(c.signature), e->signature);
		alert_meta_add(&c, "verdict", e->key.verdict);
		alert_meta_add(&c, "record", "suppression-summary");
		alert_meta_addf(&c, "suppressed_count", "%llu", (unsigned long long)e->repeats);
		alert_meta_addf(&c, "first_alert_flow_id", "%llu", (unsigned long long)e->flow_id);
		alert_meta_addf(&c, "suppression_interval", "%llu",
				(unsigned long long)(t->interval_us / 1000000u));
		t->emit(&c, t->user);
		t->st.closed++;
	}
	free(e);
}

void supp_expire(struct supp_table *t, uint64_t now_us)
{
	while (t->head != NULL && now_us >= t->head->window_end_us)
		close_entry(t, t->head);
}

void supp_flush(struct supp_table *t)
{
	while (t->head != NULL)
		close_entry(t, t->head);
}

bool supp_check(struct supp_table *t, const struct mp_alert *a, uint64_t now_us)
{
	struct supp_key k;
	struct supp_entry *e;
	uint32_t h;

	if (t->interval_us == 0)
		return true;
	supp_expire(t, now_us);
	key_of(a, &k);
	h = key_hash(&k);
	for (e = t->buckets[h & t->mask]; e != NULL; e = e->hnext) {
		if (e->hash == h && memcmp(&e->key, &k, sizeof(k)) == 0) {
			e->repeats++;
			if (now_us > e->last_us)
				e->last_us = now_us;
			t->st.suppressed++;
			return false;
		}
	}
	if (t->st.active >= t->max && t->head != NULL) {
		close_entry(t, t->head);
		t->st.evicted++;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return true; /* cannot track it: emit rather than lose it */
	e->key = k;
	e->hash = h;
	e->first_us = e->last_us = now_us;
	e->window_end_us = now_us + t->interval_us;
	e->flow_id = a->flow_id;
	e->sport = a->src_port;
	e->vlan = a->vlan;
	e->signature_id = a->signature_id;
	e->severity = a->severity;
	copy_str(e->app_proto, sizeof(e->app_proto), a->app_proto);
	copy_str(e->signature, sizeof(e->signature), a->signature);
	copy_str(e->category, sizeof(e->category), a->category);
	e->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = e;
	/* Windows all have the same length, so appending keeps the list ordered by window end. */
	MP_DLIST_APPEND(&t->head, &t->tail, e, lprev, lnext);
	t->st.active++;
	return true;
}

const struct supp_stats *supp_table_stats(const struct supp_table *t)
{
	return &t->st;
}

void supp_free(struct supp_table *t)
{
	if (t == NULL)
		return;
	supp_flush(t);
	free(t->buckets);
	free(t);
}
