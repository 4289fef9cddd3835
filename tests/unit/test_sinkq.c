/* test_sinkq.c: the network sinks' bounded queue: bounds and drop counts, order and exactly-once
 * delivery across failed connects and broken sends, bounded flush at stop. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/now.h"
#include "misport/sinkq.h"

/* A scripted transport; its fields are touched by the sender thread only while the queue runs, and by
 * the test after sinkq_stop joined it. */
struct fake {
	int connect_failures_left; /* connects that fail before one succeeds; -1: always fail */
	int break_after;  /* the send that would deliver record number break_after fails after it; -1 never */
	int not_alive_at; /* alive() says false once when this many were delivered; -1 never */
	int delivered;
	int connects;
	int got[4096];
	bool connected;
};

static int f_connect(void *ctx, uint64_t deadline_ms, char *err, size_t errlen)
{
	struct fake *f = ctx;

	(void)deadline_ms;
	f->connects++;
	if (f->connect_failures_left != 0) {
		if (f->connect_failures_left > 0)
			f->connect_failures_left--;
		snprintf(err, errlen, "refused");
		return -1;
	}
	f->connected = true;
	return 0;
}

static int f_send(void *ctx, struct sinkq_rec *const *recs, size_t n, size_t *done, uint64_t deadline_ms,
		  char *err, size_t errlen)
{
	struct fake *f = ctx;

	(void)deadline_ms;
	*done = 0;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (f->break_after >= 0 && f->delivered == f->break_after) {
			f->break_after = -1;
			snprintf(err, errlen, "broken pipe");
			return -1;
		}
		cr_assert_eq(recs[i]->len, sizeof(int));
		memcpy(&v, recs[i]->data, sizeof(v));
		f->got[f->delivered++] = v;
		*done = i + 1;
	}
	return 0;
}

static bool f_alive(void *ctx)
{
	struct fake *f = ctx;

	if (f->not_alive_at >= 0 && f->delivered >= f->not_alive_at) {
		f->not_alive_at = -1;
		return false;
	}
	return f->connected;
}

static void f_disconnect(void *ctx)
{
	((struct fake *)ctx)->connected = false;
}

static const struct sinkq_ops fake_ops = {f_connect, f_send, f_alive, f_disconnect};

static struct sinkq *mkq(struct fake *f, size_t max_records, size_t max_bytes, size_t batch)
{
	struct sinkq_config c;
	struct sinkq *q;
	char err[128];

	memset(&c, 0, sizeof(c));
	c.name = "test";
	c.max_records = max_records;
	c.max_bytes = max_bytes;
	c.batch = batch;
	c.backoff_min_ms = 1;
	c.backoff_max_ms = 8;
	c.quiet = true;
	cr_assert_eq(sinkq_new(&c, &fake_ops, f, &q, err, sizeof(err)), 0, "%s", err);
	return q;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->break_after = -1;
	f->not_alive_at = -1;
}

Test(sinkq, full_queue_drops_and_counts)
{
	struct fake f;
	struct sinkq *q;
	struct sinkq_stats st;
	int accepted = 0, dropped = 0;

	fake_init(&f);
	f.connect_failures_left = -1; /* the receiver never comes: nothing drains */
	q = mkq(&f, 100, 1 << 20, 0);
	for (int i = 0; i < 250; i++) {
		if (sinkq_push(q, &i, sizeof(i)) == 0)
			accepted++;
		else
			dropped++;
	}
	cr_assert_eq(accepted, 100);
	cr_assert_eq(dropped, 150);
	sinkq_get_stats(q, &st);
	cr_assert_eq(st.accepted, 100);
	cr_assert_eq(st.dropped_full, 150);
	cr_assert_eq(st.queued, 100);
	cr_assert_eq(st.peak, 100);
	cr_assert_eq(st.sent, 0);
	sinkq_stop(q, now_mono_ms() + 50);
	sinkq_get_stats(q, &st);
	cr_assert_eq(st.dropped_exit, 100, "what could not be flushed is counted");
	cr_assert_eq(st.queued, 0);
	cr_assert_gt(st.connect_failures, 0);
	cr_assert_eq(sinkq_push(q, &accepted, sizeof(accepted)), -1, "no pushes after stop");
	sinkq_get_stats(q, &st);
	cr_assert_eq(st.dropped_full, 151);
	sinkq_free(q);
}

Test(sinkq, byte_bound)
{
	struct fake f;
	struct sinkq *q;
	char big[400];
	int ok = 0;

	fake_init(&f);
	f.connect_failures_left = -1;
	q = mkq(&f, 1000, 1000, 0);
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 5; i++)
		ok += sinkq_push(q, big, sizeof(big)) == 0;
	cr_assert_eq(ok, 2, "two 400-byte records fit in 1000 bytes, a third does not");
	sinkq_free(q);
}

static void check_in_order(const struct fake *f, int n)
{
	cr_assert_eq(f->delivered, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(f->got[i], i, "record %d out of order or duplicated (%d)", i, f->got[i]);
}

Test(sinkq, failed_connects_are_retried_and_nothing_is_lost)
{
	struct fake f;
	struct sinkq *q;
	struct sinkq_stats st;

	fake_init(&f);
	f.connect_failures_left = 3;
	q = mkq(&f, 4096, 1 << 20, 7);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(sinkq_push(q, &i, sizeof(i)), 0);
	sinkq_stop(q, now_mono_ms() + 5000);
	sinkq_get_stats(q, &st);
	check_in_order(&f, 1000);
	cr_assert_eq(st.sent, 1000);
	cr_assert_eq(st.connect_failures, 3);
	cr_assert_eq(st.connects, 1);
	cr_assert_eq(st.reconnects, 0);
	cr_assert_eq(st.dropped_exit, 0);
	sinkq_free(q);
}

Test(sinkq, broken_send_resends_the_undelivered_rest)
{
	struct fake f;
	struct sinkq *q;
	struct sinkq_stats st;

	fake_init(&f);
	f.break_after = 333;
	q = mkq(&f, 4096, 1 << 20, 50);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(sinkq_push(q, &i, sizeof(i)), 0);
	sinkq_stop(q, now_mono_ms() + 5000);
	sinkq_get_stats(q, &st);
	check_in_order(&f, 1000);
	cr_assert_eq(st.sent, 1000);
	cr_assert_eq(st.send_failures, 1);
	cr_assert_eq(st.reconnects, 1);
	sinkq_free(q);
}

Test(sinkq, receiver_gone_is_noticed_before_sending)
{
	struct fake f;
	struct sinkq *q;
	struct sinkq_stats st;

	fake_init(&f);
	q = mkq(&f, 4096, 1 << 20, 10);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(sinkq_push(q, &i, sizeof(i)), 0);
	/* Let the first records go, then the receiver "closes". */
	while (true) {
		sinkq_get_stats(q, &st);
		if (st.sent == 100)
			break;
	}
	f.not_alive_at = 0; /* safe: the sender is idle, waiting for records; the push below wakes it */
	for (int i = 100; i < 200; i++)
		cr_assert_eq(sinkq_push(q, &i, sizeof(i)), 0);
	sinkq_stop(q, now_mono_ms() + 5000);
	sinkq_get_stats(q, &st);
	check_in_order(&f, 200);
	cr_assert_eq(st.reconnects, 1);
	cr_assert_eq(st.send_failures, 0);
	sinkq_free(q);
}

Test(sinkq, stop_is_bounded_when_the_receiver_never_comes)
{
	struct fake f;
	struct sinkq *q;
	struct sinkq_stats st;
	uint64_t t0;

	fake_init(&f);
	f.connect_failures_left = -1;
	q = mkq(&f, 4096, 1 << 20, 0);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(sinkq_push(q, &i, sizeof(i)), 0);
	t0 = now_mono_ms();
	sinkq_stop(q, t0 + 300);
	cr_assert_lt(now_mono_ms() - t0, 1000, "stop took %llu ms", (unsigned long long)(now_mono_ms() - t0));
	sinkq_get_stats(q, &st);
	cr_assert_eq(st.dropped_exit, 10);
	cr_assert_eq(st.sent, 0);
	sinkq_free(q);
}

/* A producer racing the sender: every record is either sent or counted as dropped. */
Test(sinkq, concurrent_accounting)
{
	struct fake f;
	struct sinkq *q;
	struct sinkq_stats st;
	int refused = 0;

	fake_init(&f);
	f.break_after = 1500;
	q = mkq(&f, 64, 1 << 20, 16);
	for (int i = 0; i < 4000; i++)
		refused += sinkq_push(q, &i, sizeof(i)) != 0;
	sinkq_stop(q, now_mono_ms() + 5000);
	sinkq_get_stats(q, &st);
	cr_assert_eq(st.accepted + st.dropped_full, 4000);
	cr_assert_eq(st.dropped_full, (uint64_t)refused);
	cr_assert_eq(st.sent + st.dropped_exit, st.accepted);
	cr_assert_eq((uint64_t)f.delivered, st.sent);
	for (int i = 1; i < f.delivered; i++)
		cr_assert_gt(f.got[i], f.got[i - 1], "order kept");
	sinkq_free(q);
}
