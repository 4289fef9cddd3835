/* test_suppress.c: alert suppression counts repeats, emits closing records, and stays bounded. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "misport/suppress.h"

struct closings {
	unsigned n;
	unsigned long long counted;
	char last_sig[256];
};

static void on_close(const struct mp_alert *c, void *user)
{
	struct closings *cl = user;
	const char *n = alert_meta_get(c, "suppressed_count");

	cr_assert_not_null(n);
	cr_assert_str_eq(alert_meta_get(c, "record"), "suppression-summary");
	cl->n++;
	cl->counted += strtoull(n, NULL, 10);
	memcpy(cl->last_sig, c->signature, sizeof(cl->last_sig));
}

static struct mp_alert mk(uint8_t client, uint16_t dport, const char *verdict)
{
	struct mp_alert a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.ip_proto = 6;
	a.src_ip[0] = 10, a.src_ip[3] = client;
	a.dst_ip[0] = 10, a.dst_ip[3] = 200;
	a.src_port = 40000;
	a.dst_port = dport;
	a.signature_id = 9000001;
	a.severity = 2;
	memcpy(a.signature, "HTTP on 3098/tcp", 17);
	alert_meta_add(&a, "verdict", verdict);
	return a;
}

static struct supp_table *table(uint32_t max, uint32_t interval, struct closings *cl)
{
	struct supp_table *t;
	char err[64];

	cr_assert_eq(supp_new(max, interval, on_close, cl, &t, err, sizeof(err)), 0);
	return t;
}

Test(suppress, repeats_within_the_interval_are_counted_and_closed)
{
	struct closings cl = {0};
	struct supp_table *t = table(0, 3600, &cl);
	struct mp_alert a = mk(1, 3098, "port-mismatch");

	cr_assert(supp_check(t, &a, 1000000));
	for (int i = 0; i < 5; i++)
		cr_assert_not(supp_check(t, &a, 2000000 + (uint64_t)i));
	cr_assert_eq(supp_table_stats(t)->suppressed, 5);
	/* Another verdict, port or client is another key. */
	struct mp_alert b = mk(1, 3098, "legacy-port"), c = mk(2, 3098, "port-mismatch"),
			d = mk(1, 80, "port-mismatch");
	cr_assert(supp_check(t, &b, 3000000));
	cr_assert(supp_check(t, &c, 3000000));
	cr_assert(supp_check(t, &d, 3000000));
	cr_assert_eq(cl.n, 0);
	/* After the interval the key closes with its count, and the next alert is emitted again. */
	cr_assert(supp_check(t, &a, 3602000000ull));
	cr_assert_eq(cl.n, 1);
	cr_assert_eq(cl.counted, 5);
	cr_assert_not_null(strstr(cl.last_sig, "(5 repeats suppressed)"));
	supp_free(t);
	cr_assert_eq(cl.n, 1, "keys without repeats close silently");
}

Test(suppress, shutdown_reports_pending_counts)
{
	struct closings cl = {0};
	struct supp_table *t = table(0, 3600, &cl);
	struct mp_alert a = mk(1, 3098, "port-mismatch");

	supp_check(t, &a, 1);
	supp_check(t, &a, 2);
	supp_free(t);
	cr_assert_eq(cl.n, 1);
	cr_assert_eq(cl.counted, 1);
}

Test(suppress, full_table_closes_the_oldest_early_and_counts_it)
{
	struct closings cl = {0};
	struct supp_table *t = table(10, 3600, &cl);

	for (int i = 0; i < 50; i++) {
		struct mp_alert a = mk((uint8_t)i, 3098, "port-mismatch");
		cr_assert(supp_check(t, &a, 10));
		cr_assert_not(supp_check(t, &a, 11));
		cr_assert_leq(supp_table_stats(t)->active, 10);
	}
	cr_assert_eq(supp_table_stats(t)->evicted, 40);
	cr_assert_eq(cl.n, 40, "an early close still reports its repeats");
	supp_free(t);
	cr_assert_eq(cl.counted, 50, "every repeat is reported once");
}

Test(suppress, zero_interval_disables_suppression)
{
	struct closings cl = {0};
	struct supp_table *t = table(0, 0, &cl);
	struct mp_alert a = mk(1, 3098, "port-mismatch");

	cr_assert(supp_check(t, &a, 1));
	cr_assert(supp_check(t, &a, 2));
	supp_free(t);
	cr_assert_eq(cl.n, 0);
}
