/* test_dpi.c: the nDPI wrapper's memory accounting (its malloc hooks) and memcap. Each Criterion test
 * runs in a process of its own, so the process-wide figures start from the same point every time. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "misport/dpi.h"

static struct dpi_engine *engine(uint64_t memcap)
{
	struct dpi_limits lim;
	struct dpi_engine *e;
	char err[256];

	memset(&lim, 0, sizeof(lim));
	lim.memcap = memcap;
	lim.guard = -1;
	cr_assert_eq(dpi_engine_new(&lim, &e, err, sizeof(err)), 0, "%s", err);
	return e;
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
	cr_assert_eq(dpi_memory_in_use(), before + one, "the thread's flow is not counted after it published");
	dpi_flow_free(e, a.f);
	cr_assert_eq(dpi_memory_in_use(), before);
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
			b.w[k] = (n & 1) ? (uint32_t)(x >> 8) & (uint32_t)(x >> 40) & (uint32_t)(x >> 3) : ~a.w[k];
		}
		cr_assert_eq(NDPI_BITMASK_COMPARE(a, b), bm_reference(&a, &b), "random masks, round %d", n);
	}
	memset(&a, 0xff, sizeof(a));
	memset(&b, 0, sizeof(b));
	cr_assert_eq(NDPI_BITMASK_COMPARE(a, b), 0);
	cr_assert_eq(NDPI_BITMASK_COMPARE(a, a), 1);
}
