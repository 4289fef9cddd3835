/* test_summary.c: the per-protocol and per-port tallies behind the end-of-run summary (summary.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"
#include "misport/summary.h"

/* summary_print's output, as one string (caller frees). */
static char *printed(const struct summary *s, const struct mp_stats_record *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	cr_assert_not_null(fp);
	summary_print(s, st, fp);
	fclose(fp);
	return buf;
}

Test(summary, flows_are_counted_per_protocol)
{
	struct summary *s = summary_new();

	cr_assert_not_null(s);
	summary_add_flow(s, "HTTP", false, 10, 1000);
	summary_add_flow(s, "HTTP", false, 5, 500);
	summary_add_flow(s, "TLS.Google", false, 3, 300);
	cr_assert_eq(summary_flows(s, "HTTP"), 2);
	cr_assert_eq(summary_flows(s, "TLS.Google"), 1);
	cr_assert_eq(summary_flows(s, "SSH"), 0);
	summary_free(s);
}

/* Past MP_SUMMARY_MAX_PROTOCOLS distinct names, flows go to "(other)": the table stays bounded and
 * nothing is lost. */
Test(summary, protocols_beyond_the_cap_go_to_other)
{
	struct summary *s = summary_new();
	char name[32];

	for (unsigned i = 0; i < MP_SUMMARY_MAX_PROTOCOLS + 10; i++) {
		snprintf(name, sizeof(name), "proto-%u", i);
		summary_add_flow(s, name, false, 1, 1);
	}
	cr_assert_eq(summary_flows(s, "proto-0"), 1);
	cr_assert_eq(summary_flows(s, "(other)"), 10);
	summary_free(s);
}

/* Merging adds rows: the workers' tallies sum to one worker's. */
Test(summary, merge_adds_rows)
{
	struct summary *a = summary_new(), *b = summary_new();

	summary_add_flow(a, "HTTP", false, 1, 10);
	summary_add_flow(b, "HTTP", false, 1, 10);
	summary_add_flow(b, "DNS", false, 1, 10);
	summary_add_port(a, 3098, 6, "umm-port", "HTTP", "legacy-port", 1);
	summary_add_port(b, 3098, 6, "umm-port", "HTTP", "legacy-port", 1);
	summary_merge(a, b);
	cr_assert_eq(summary_flows(a, "HTTP"), 2);
	cr_assert_eq(summary_flows(a, "DNS"), 1);
	summary_free(a);
	summary_free(b);
}

/* The printed tables: totals from the stats record, the protocol table with the most flows first, the
 * port table with the registered service and what was seen there. */
Test(summary, printed_tables)
{
	struct summary *s = summary_new();
	struct mp_stats_record st;
	char *out, *http, *dns;

	memset(&st, 0, sizeof(st));
	st.pkts = 42;
	st.flows_total = 3;
	st.invalid = 2;
	summary_add_flow(s, "DNS", false, 1, 100);
	summary_add_flow(s, "HTTP", false, 4, 400);
	summary_add_flow(s, "HTTP", false, 4, 400);
	summary_add_port(s, 3098, 6, "umm-port", "HTTP", "legacy-port", 1);
	out = printed(s, &st);
	cr_assert_not_null(strstr(out, "packets 42"), "%s", out);
	cr_assert_not_null(strstr(out, "malformed packets: 2"), "%s", out);
	http = strstr(out, "HTTP ");
	dns = strstr(out, "DNS ");
	cr_assert(http != NULL && dns != NULL && http < dns,
		  "HTTP (2 flows) is not listed before DNS (1):\n%s", out);
	cr_assert_not_null(strstr(out, "umm-port"), "%s", out);
	cr_assert_not_null(strstr(out, "3098/tcp"), "%s", out);
	cr_assert_null(strstr(out, "tunnelled"), "no tunnel line without tunnelled packets:\n%s", out);
	free(out);
	/* Packets from inside tunnels: one line, the kinds in enum order, zero counts left out. */
	st.tunnel[MP_TUN_VXLAN] = 7;
	st.tunnel[MP_TUN_GRE] = 5;
	out = printed(s, &st);
	cr_assert_not_null(strstr(out, "\n  tunnelled packets:  gre 5  vxlan 7\n"), "%s", out);
	free(out);
	summary_free(s);
}

/* The row of protocol name in printed output: its flows and guessed flows; 0 when it has none. */
static int row_of(const char *out, const char *name, unsigned long long *flows, unsigned long long *guessed)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\n  %s ", name);
	p = strstr(out, key);
	if (p == NULL)
		return 0;
	return sscanf(p + strlen(key), "%llu %llu", flows, guessed) == 2;
}

/* Flows nDPI named at give-up are counted apart, in every worker's tally and after a merge, and the
 * table says what the column means only when it has any. */
Test(summary, guessed_flows_are_counted_apart)
{
	struct summary *a = summary_new(), *b = summary_new();
	struct mp_stats_record st;
	unsigned long long flows = 0, guessed = 0;
	char *out;

	memset(&st, 0, sizeof(st));
	summary_add_flow(a, "HTTP", false, 10, 1000);
	out = printed(a, &st);
	cr_assert(row_of(out, "HTTP", &flows, &guessed), "%s", out);
	cr_assert(flows == 1 && guessed == 0, "%s", out);
	cr_assert_null(strstr(out, "guessed:"), "%s", out);
	free(out);
	summary_add_flow(a, "HTTP", true, 2, 112);
	summary_add_flow(b, "HTTP", true, 2, 112);
	summary_add_flow(b, "Telnet", true, 2, 112);
	summary_merge(a, b);
	out = printed(a, &st);
	cr_assert(row_of(out, "HTTP", &flows, &guessed), "%s", out);
	cr_assert(flows == 3 && guessed == 2, "HTTP %llu flows, %llu guessed:\n%s", flows, guessed, out);
	cr_assert(row_of(out, "Telnet", &flows, &guessed), "%s", out);
	cr_assert(flows == 1 && guessed == 1, "%s", out);
	cr_assert_not_null(strstr(out, "guessed:"), "%s", out);
	free(out);
	summary_free(a);
	summary_free(b);
}
