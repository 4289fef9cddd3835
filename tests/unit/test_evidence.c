/* test_evidence.c: the evidence writer (evidence.c): frames of a flow are held until its verdict, written
 * whole when it alerts (to -w and to a file of its own), dropped when it does not; buffers are bounded. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/config.h"
#include "misport/evidence.h"
#include "misport/flow.h"

static char g_dir[64], g_all[128];
static uint8_t g_frame[1514];

static void setup(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/misport-test-evidence-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	snprintf(g_all, sizeof(g_all), "%s/all.pcap", g_dir);
	for (size_t i = 0; i < sizeof(g_frame); i++)
		g_frame[i] = (uint8_t)i;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	cr_assert_eq(system(cmd), 0);
}

/* Frame number i (its time and first byte tell it apart) of len bytes. */
static void frame(struct evidence *e, struct mp_flow *f, unsigned i, uint32_t len)
{
	struct capture_pkt p = {1600000000000000ull + i, len, len, g_frame};

	g_frame[0] = (uint8_t)i;
	evid_packet(e, f, 1, &p);
}

static int count_cb(void *user, int dlt, const struct capture_pkt *p)
{
	(void)dlt;
	(void)p;
	(*(unsigned *)user)++;
	return 0;
}

/* Packets in a pcap file, or -1 when it does not exist. */
static int packets_in(const char *path)
{
	struct capture *c;
	char err[256];
	unsigned n = 0;

	if (access(path, F_OK) != 0)
		return -1;
	cr_assert_eq(capture_open_file(path, NULL, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(capture_run(c, count_cb, &n, 0, err, sizeof(err)), 0, "%s", err);
	capture_close(c);
	return (int)n;
}

TestSuite(evidence, .init = setup, .fini = teardown);

/* An alerting flow: the frames before the alert and those after it, in both files; a flow judged
 * harmless: nothing, not even its later frames. */
Test(evidence, alerted_flows_are_written_whole_others_not_at_all)
{
	struct evidence *e;
	struct mp_flow a, b;
	char err[256], path[512], own[512];

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.flow_id = 1001;
	b.flow_id = 1002;
	cr_assert_eq(evid_new(g_all, g_dir, &e, err, sizeof(err)), 0, "%s", err);
	for (unsigned i = 0; i < 3; i++) {
		frame(e, &a, i, 100);
		frame(e, &b, 10 + i, 100);
	}
	cr_assert_gt(evid_get_stats(e)->buffered_bytes, 0);
	cr_assert_eq(evid_alert(e, &a, path, sizeof(path)), 0);
	snprintf(own, sizeof(own), "%s/1001.pcap", g_dir);
	cr_assert_str_eq(path, own);
	evid_release(e, &b);
	frame(e, &a, 3, 100);
	frame(e, &a, 4, 100);
	frame(e, &b, 13, 100);
	evid_flow_end(e, &a);
	evid_flow_end(e, &b);
	cr_assert_eq(evid_get_stats(e)->flows_written, 1);
	cr_assert_eq(evid_get_stats(e)->buffered_bytes, 0);
	evid_free(e);
	cr_assert_eq(packets_in(own), 5);
	cr_assert_eq(packets_in(g_all), 5);
	snprintf(own, sizeof(own), "%s/1002.pcap", g_dir);
	cr_assert_eq(packets_in(own), -1, "the harmless flow got a file");
}

/* A flow holds at most MP_EVIDENCE_FLOW_MAX_BYTES before its verdict; frames beyond are counted as
 * truncated, and what was kept is written when it alerts. */
Test(evidence, a_flows_buffer_is_bounded)
{
	struct evidence *e;
	struct mp_flow a;
	char err[256], path[512];
	unsigned n = MP_EVIDENCE_FLOW_MAX_BYTES / 1000u + 50u;
	int kept;

	memset(&a, 0, sizeof(a));
	a.flow_id = 7;
	cr_assert_eq(evid_new(NULL, g_dir, &e, err, sizeof(err)), 0, "%s", err);
	for (unsigned i = 0; i < n; i++)
		frame(e, &a, i, 1000);
	cr_assert_leq(evid_get_stats(e)->buffered_bytes, MP_EVIDENCE_FLOW_MAX_BYTES + 4096u);
	cr_assert_gt(evid_get_stats(e)->packets_truncated, 0);
	cr_assert_eq(evid_alert(e, &a, path, sizeof(path)), 0);
	evid_flow_end(e, &a);
	evid_free(e);
	kept = packets_in(path);
	cr_assert(kept > 0 && (unsigned)kept < n, "kept %d of %u", kept, n);
}

/* The directory must exist and be one: refused at start, with the path, not at every alert. */
Test(evidence, missing_directory_is_refused)
{
	struct evidence *e;
	char err[256];

	cr_assert_eq(evid_new(NULL, "/nonexistent/evidence", &e, err, sizeof(err)), -1);
	cr_assert_null(e);
	cr_assert_not_null(strstr(err, "/nonexistent/evidence"), "%s", err);
	cr_assert_eq(evid_new(NULL, SOURCE_DIR "/README.md", &e, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "not a directory"), "%s", err);
}
