/* test_dpi.c: the nDPI wrapper (dpi.c, dpi_dispatch.c): memory accounting (its malloc hooks) and memcap,
 * the shadowed bitmask test, and misport's dissector dispatch against libndpi's own. Each Criterion test
 * runs in a process of its own, so the process-wide figures start from the same point every time. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/config.h"
#include "misport/decode.h"
#include "misport/dpi.h"
#include "misport/flow.h"

/* An engine with the given memcap (0: the default) and guard setting (struct dpi_limits guard: 1 on,
 * 2 strict, -1 off). */
static struct dpi_engine *engine_with(uint64_t memcap, int guard)
{
	struct dpi_limits lim;
	struct dpi_engine *e;
	char err[256];

	memset(&lim, 0, sizeof(lim));
	lim.memcap = memcap;
	lim.guard = guard;
	cr_assert_eq(dpi_engine_new(&lim, &e, err, sizeof(err)), 0, "%s", err);
	return e;
}

static struct dpi_engine *engine(uint64_t memcap)
{
	return engine_with(memcap, -1);
}

/* Whether the byte at p can be read, without touching it here: write(2) from an unreadable address
 * fails with EFAULT instead of raising SIGSEGV. */
static bool readable(const uint8_t *p)
{
	int fd[2];
	bool ok;

	cr_assert_eq(pipe(fd), 0);
	ok = write(fd[1], p, 1) == 1;
	close(fd[0]);
	close(fd[1]);
	return ok;
}

/* The guard's copies: on, a packet is followed by MP_DPI_GUARD_SLACK readable zero bytes (what a
 * dissector reading past it gets, also after a longer packet) and the next byte faults; strict, the
 * byte after the packet faults; off, nDPI gets the caller's bytes. */
Test(dpi, guard_copies_end_before_the_guard_page)
{
	uint8_t pkt[1500];
	const uint8_t *c;
	struct dpi_engine *e;

	memset(pkt, 0xab, sizeof(pkt));
	e = engine_with(0, 1);
	c = dpi_guard_copy(e, pkt, sizeof(pkt)); /* a long packet first: its bytes must not linger */
	cr_assert_neq(c, pkt);
	cr_assert_eq(memcmp(c, pkt, sizeof(pkt)), 0);
	c = dpi_guard_copy(e, pkt, 60);
	cr_assert_eq(memcmp(c, pkt, 60), 0);
	for (uint32_t i = 0; i < MP_DPI_GUARD_SLACK; i++)
		cr_assert_eq(c[60 + i], 0, "byte %u past the packet is %#x, not 0", i, c[60 + i]);
	cr_assert(readable(c + 60 + MP_DPI_GUARD_SLACK - 1));
	cr_assert_not(readable(c + 60 + MP_DPI_GUARD_SLACK), "the guard page is readable");
	dpi_engine_free(e);

	e = engine_with(0, 2);
	c = dpi_guard_copy(e, pkt, 60);
	cr_assert_eq(memcmp(c, pkt, 60), 0);
	cr_assert(readable(c + 59));
	cr_assert_not(readable(c + 60), "strict: the byte after the packet is readable");
	c = dpi_guard_copy(e, pkt, sizeof(pkt));
	cr_assert_not(readable(c + sizeof(pkt)));
	dpi_engine_free(e);

	e = engine_with(0, -1);
	cr_assert_eq(dpi_guard_copy(e, pkt, 60), pkt);
	dpi_engine_free(e);
}

/* With one thread the figure is exact: it rises by what an engine and a flow take and falls back to
 * the same byte when they are freed; the peak covers the highest point. */
Test(dpi, memory_in_use_is_exact_in_one_thread)
{
	uint64_t base = dpi_memory_in_use(), with_engine, with_flow;
	struct dpi_engine *e = engine(0);
	struct dpi_flow *f;

	with_engine = dpi_memory_in_use();
	cr_assert_gt(with_engine, base + 100000u, "an nDPI module takes far more than 100 kB (%llu)",
		     (unsigned long long)(with_engine - base));
	f = dpi_flow_new(e, 0);
	cr_assert_not_null(f);
	with_flow = dpi_memory_in_use();
	cr_assert_gt(with_flow, with_engine);
	cr_assert_geq(dpi_memory_peak(), with_flow);
	dpi_flow_free(e, f);
	cr_assert_eq(dpi_memory_in_use(), with_engine);
	dpi_engine_free(e);
	cr_assert_eq(dpi_memory_in_use(), base);
}

/* Below the memcap a flow gets nDPI state; at it, none, and the refusal is counted. */
Test(dpi, memcap_refuses_new_flows_and_counts_them)
{
	struct dpi_engine *e = engine(1); /* nDPI holds more than 1 byte once its module exists */
	struct dpi_stats st;

	cr_assert_null(dpi_flow_new(e, 0));
	dpi_engine_stats(e, &st);
	cr_assert_eq(st.memcap_refused, 1);
	cr_assert_eq(st.memcap, 1);
	dpi_engine_free(e);
	e = engine(0);
	struct dpi_flow *f = dpi_flow_new(e, 0);
	cr_assert_not_null(f);
	dpi_engine_stats(e, &st);
	cr_assert_eq(st.memcap_refused, 0);
	dpi_flow_free(e, f);
	dpi_engine_free(e);
}

struct thread_arg {
	struct dpi_engine *e;
	struct dpi_flow *f;
	bool publish;
};

static void *alloc_and_leave(void *p)
{
	struct thread_arg *a = p;

	a->f = dpi_flow_new(a->e, 1);
	if (a->publish)
		dpi_thread_publish();
	return NULL;
}

/* A thread's change of less than MP_DPI_MEM_PUBLISH_BYTES (and below the peak) stays its own until it
 * publishes it, as worker threads do before they end: then the process-wide figure counts what the
 * thread left allocated. */
Test(dpi, a_thread_publishes_what_it_leaves_allocated)
{
	struct dpi_engine *e = engine(0);
	struct dpi_flow *g[4];
	struct thread_arg a = {e, NULL, false};
	pthread_t t;
	uint64_t before, one;

	for (int i = 0; i < 4; i++) /* a peak above anything the threads below reach */
		cr_assert_not_null(g[i] = dpi_flow_new(e, 0));
	dpi_thread_publish();
	for (int i = 0; i < 4; i++)
		dpi_flow_free(e, g[i]);
	dpi_thread_publish();
	before = dpi_memory_in_use();
	g[0] = dpi_flow_new(e, 0); /* one flow's bytes, measured in this thread */
	one = dpi_memory_in_use() - before;
	dpi_flow_free(e, g[0]);
	cr_assert_gt(one, 0);
	cr_assert_eq(dpi_memory_in_use(), before);

	cr_assert_eq(pthread_create(&t, NULL, alloc_and_leave, &a), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_not_null(a.f);
	cr_assert_eq(dpi_memory_in_use(), before, "an unpublished change below the peak was seen");
	dpi_flow_free(e, a.f);
	dpi_thread_publish();
	before -= one; /* the first thread's flow was never counted, its free was */
	cr_assert_eq(dpi_memory_in_use(), before);

	a.publish = true;
	cr_assert_eq(pthread_create(&t, NULL, alloc_and_leave, &a), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_not_null(a.f);
	cr_assert_eq(dpi_memory_in_use(), before + one,
		     "the thread's flow is not counted after it published");
	dpi_flow_free(e, a.f);
	cr_assert_eq(dpi_memory_in_use(), before);
	dpi_engine_free(e);
}

/* nDPI 4.2's allocation entry points and its process-wide allocation counter (declared here without
 * nDPI's headers). */
char *ndpi_strdup(const char *s);
void ndpi_free(void *ptr);
void *ndpi_calloc(unsigned long count, size_t size);
uint32_t ndpi_get_tot_allocated_memory(void);

/* An allocation libndpi makes inside one of its own functions (ndpi_strdup calls ndpi_malloc) reaches
 * the dpi module's hooks without touching nDPI's process-wide counter, whose locked add shares a cache
 * line with the hooks. ndpi_calloc zeroes, and refuses a product that overflows. */
Test(dpi, ndpi_allocations_reach_the_hooks_without_the_shared_counter)
{
	struct dpi_engine *e = engine(0); /* installs the hooks, as libndpi's own ndpi_malloc would call */
	uint64_t base = dpi_memory_in_use();
	uint32_t tot = ndpi_get_tot_allocated_memory();
	char *s = ndpi_strdup("misport");
	unsigned char *z;

	cr_assert_not_null(s);
	cr_assert_str_eq(s, "misport");
	cr_assert_eq(dpi_memory_in_use(), base + 8, "the copy's 8 bytes are not counted");
	cr_assert_eq(ndpi_get_tot_allocated_memory(), tot, "libndpi's own ndpi_malloc ran");
	ndpi_free(s);
	cr_assert_eq(dpi_memory_in_use(), base);

	z = ndpi_calloc(3, 100);
	cr_assert_not_null(z);
	cr_assert_eq(dpi_memory_in_use(), base + 300);
	for (int i = 0; i < 300; i++)
		cr_assert_eq(z[i], 0, "byte %d is not zero", i);
	ndpi_free(z);
	cr_assert_null(ndpi_calloc(SIZE_MAX / 2, 3));
	cr_assert_eq(ndpi_get_tot_allocated_memory(), tot);
	cr_assert_eq(dpi_memory_in_use(), base);
	dpi_engine_free(e);
}

/* nDPI 4.2's NDPI_BITMASK_COMPARE, which dpi.c shadows: a 512-bit mask passed by value (the layout of
 * NDPI_PROTOCOL_BITMASK, declared here without nDPI's headers). */
struct bm512 {
	uint32_t w[16];
};
int NDPI_BITMASK_COMPARE(struct bm512 a, struct bm512 b);

static int bm_reference(const struct bm512 *a, const struct bm512 *b)
{
	for (int i = 0; i < 16; i++)
		if (a->w[i] & b->w[i])
			return 1;
	return 0;
}

/* 1 exactly when the two masks share a bit: every single bit against every single bit, and masks of
 * random words against each other (a fixed generator: the test is deterministic). */
Test(dpi, bitmask_compare_is_nonzero_exactly_on_a_common_bit)
{
	struct bm512 a, b;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 512; i++) {
		for (int j = 0; j < 512; j += 7) {
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			a.w[i / 32] = 1u << (i % 32);
			b.w[j / 32] = 1u << (j % 32);
			cr_assert_eq(NDPI_BITMASK_COMPARE(a, b), i == j, "bits %d and %d", i, j);
		}
	}
	for (int n = 0; n < 20000; n++) {
		for (int k = 0; k < 16; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			a.w[k] = (uint32_t)x & (uint32_t)(x >> 32) & (uint32_t)(x >> 16); /* sparse words */
			b.w[k] =
			    (n & 1) ? (uint32_t)(x >> 8) & (uint32_t)(x >> 40) & (uint32_t)(x >> 3) : ~a.w[k];
		}
		cr_assert_eq(NDPI_BITMASK_COMPARE(a, b), bm_reference(&a, &b), "random masks, round %d", n);
	}
	memset(&a, 0xff, sizeof(a));
	memset(&b, 0, sizeof(b));
	cr_assert_eq(NDPI_BITMASK_COMPARE(a, b), 0);
	cr_assert_eq(NDPI_BITMASK_COMPARE(a, a), 1);
}

/* misport's dissector dispatch (dpi_dispatch.c) against libndpi's own: every packet of a capture goes
 * to two engines, one calling nDPI's dispatch and one misport's, each flow in both; the verdict of every
 * call and the results at the verdict and at give-up must be the same. */
#define DISP_SLOTS 65536u

struct disp_flow {
	bool used, done;
	struct mp_flow_key key; /* flow.h's key: one for both directions */
	uint64_t pkts;
	struct dpi_flow *f[2];
};

struct disp_run {
	struct dpi_engine *e[2];
	struct disp_flow *slot;
	unsigned flows, verdicts, detected, packets;
	char where[1100];
};

static void disp_same(const struct dpi_result *x, const struct dpi_result *y, const char *where)
{
	cr_assert_eq(x->master_id, y->master_id, "%s: master %u vs %u", where, x->master_id, y->master_id);
	cr_assert_eq(x->app_id, y->app_id, "%s: app %u vs %u", where, x->app_id, y->app_id);
	cr_assert_str_eq(x->name, y->name, "%s", where);
	cr_assert_str_eq(x->category, y->category, "%s", where);
	cr_assert_eq(x->guessed, y->guessed, "%s", where);
	cr_assert_eq(x->known_proto_wrong_port, y->known_proto_wrong_port, "%s", where);
}

static struct disp_flow *disp_lookup(struct disp_run *r, const struct mp_packet *p)
{
	struct mp_flow_key k;
	bool swapped;
	uint32_t h;

	flow_key_from_packet(p, &k, &swapped);
	h = flow_key_hash(&k, 0);
	for (uint32_t i = 0; i < DISP_SLOTS; i++) {
		struct disp_flow *s = &r->slot[(h + i) % DISP_SLOTS];

		if (!s->used) {
			s->used = true;
			s->key = k;
			for (int n = 0; n < 2; n++)
				s->f[n] = dpi_flow_new(r->e[n], 0);
			cr_assert(s->f[0] != NULL && s->f[1] != NULL);
			r->flows++;
			return s;
		}
		if (memcmp(&s->key, &k, sizeof(k)) == 0) /* the key has no padding (flow.c) */
			return s;
	}
	return NULL; /* table full: the flow is left out */
}

static int disp_packet(void *user, int dlt, const struct capture_pkt *pkt)
{
	struct disp_run *r = user;
	struct mp_packet p;
	struct disp_flow *s;
	struct dpi_result res[2];
	bool v[2];

	if (decode_packet(dlt, pkt->data, pkt->caplen, pkt->wirelen, &p) != MP_DEC_OK || p.l3 == NULL)
		return 0;
	if ((s = disp_lookup(r, &p)) == NULL || s->done)
		return 0;
	s->pkts++;
	r->packets++;
	for (int k = 0; k < 2; k++) {
		memset(&res[k], 0, sizeof(res[k]));
		dpi_dispatch_use_ndpi(k == 0);
		v[k] = dpi_process(r->e[k], s->f[k], p.l3, p.l3_len, p.ts_us, s->pkts, p.ip_proto, &res[k]);
	}
	dpi_dispatch_use_ndpi(false);
	cr_assert_eq(v[0], v[1], "%s: packet %u of the flow: verdict %d (nDPI's dispatch) vs %d", r->where,
		     (unsigned)s->pkts, v[0], v[1]);
	if (v[0]) {
		disp_same(&res[0], &res[1], r->where);
		s->done = true;
		r->verdicts++;
		r->detected += res[0].app_id != 0 || res[0].master_id != 0;
	}
	return 0;
}

/* Runs one capture through both dispatches; flows without a verdict are given up on at the end. */
static void disp_capture(struct disp_run *r, const char *path)
{
	struct capture *c;
	char err[256];

	if (capture_open_file(path, NULL, &c, err, sizeof(err)) != 0)
		return;
	snprintf(r->where, sizeof(r->where), "%s", path);
	capture_run(c, disp_packet, r, 0, err, sizeof(err));
	capture_close(c);
	for (uint32_t i = 0; i < DISP_SLOTS; i++) {
		struct disp_flow *s = &r->slot[i];

		if (!s->used)
			continue;
		if (!s->done) {
			struct dpi_result res[2];

			for (int k = 0; k < 2; k++) {
				dpi_dispatch_use_ndpi(k == 0);
				dpi_giveup(r->e[k], s->f[k], &res[k]);
			}
			dpi_dispatch_use_ndpi(false);
			disp_same(&res[0], &res[1], r->where);
			r->detected += res[0].app_id != 0 || res[0].master_id != 0;
		}
		for (int k = 0; k < 2; k++)
			dpi_flow_free(r->e[k], s->f[k]);
		memset(s, 0, sizeof(*s));
	}
}

static void disp_dir(struct disp_run *r, const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		size_t n = strlen(de->d_name), k = strlen(suffix);

		if (de->d_name[0] == '.' || n < k || strcmp(de->d_name + n - k, suffix) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		disp_capture(r, path);
	}
	closedir(d);
}

static void disp_setup(struct disp_run *r)
{
	memset(r, 0, sizeof(*r));
	for (int k = 0; k < 2; k++)
		r->e[k] = engine(0);
	cr_assert(dpi_dispatch_is_misport(), "misport's dispatch refused this libndpi");
	r->slot = calloc(DISP_SLOTS, sizeof(*r->slot));
	cr_assert_not_null(r->slot);
}

static void disp_teardown(struct disp_run *r)
{
	free(r->slot);
	for (int k = 0; k < 2; k++)
		dpi_engine_free(r->e[k]);
}

/* Both dispatches agreed on every capture of dir; the run must have been a real one: more than min_flows
 * flows, min_verdicts verdicts before give-up and min_detected flows with a protocol. */
static void disp_run_dir(const char *dir, const char *suffix, unsigned min_flows, unsigned min_verdicts,
			 unsigned min_detected)
{
	struct disp_run r;

	disp_setup(&r);
	disp_dir(&r, dir, suffix);
	cr_log_info("%s: %u flows, %u packets, %u verdicts, %u with a protocol", dir, r.flows, r.packets,
		    r.verdicts, r.detected);
	cr_assert_gt(r.flows, min_flows, "%u flows", r.flows);
	cr_assert_gt(r.verdicts, min_verdicts, "%u verdicts", r.verdicts);
	cr_assert_gt(r.detected, min_detected, "%u flows with a protocol", r.detected);
	disp_teardown(&r);
}

/* The captures of pcaps/: TLS, HTTP, SSH, DNS, SMB, IMAP and scans, detected the same way. */
Test(dpi, dispatch_matches_ndpi_on_pcaps)
{
	disp_run_dir(SOURCE_DIR "/pcaps", ".pcap", 100, 20, 20);
}

/* nDPI's own test captures (when ../shared is there): hundreds of protocols, malformed packets. */
Test(dpi, dispatch_matches_ndpi_on_the_corpus, .timeout = 600)
{
	DIR *d = opendir(SOURCE_DIR "/../shared/corpus/ndpi");

	if (d == NULL) {
		cr_skip_test("../shared/corpus/ndpi is absent");
		return;
	}
	closedir(d);
	disp_run_dir(SOURCE_DIR "/../shared/corpus/ndpi", "", 2000, 1000, 1000);
}
