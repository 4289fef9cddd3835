/* test_pipeline.c: one worker's path; here, how its scan-detector calls reach the detector and how its
 * judgments wait for the detector's answers. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/output.h"
#include "misport/pipeline.h"
#include "misport/rules.h"
#include "misport/scan.h"
#include "misport/scanfeed.h"

static unsigned g_scan_alerts;

static void on_scan_alert(const struct mp_alert *a, void *user)
{
	(void)a;
	(void)user;
	g_scan_alerts++;
}

struct rig {
	struct outputs *outs;
	struct scan_detector *sd;
	struct pipeline *pl;
};

/* A pipeline with a scan detector and no rules (so no verdict ever queries the detector), fed all of
 * pcaps/<name> without the end-of-input flush. */
static void feed(struct rig *r, const char *name)
{
	struct pipeline_config pc;
	struct scan_config sc;
	struct capture *cap;
	char path[512], err[256];

	memset(r, 0, sizeof(*r));
	g_scan_alerts = 0;
	snprintf(path, sizeof(path), "%s/pcaps/%s", SOURCE_DIR, name);
	r->outs = outputs_new();
	cr_assert_not_null(r->outs);
	scan_config_defaults(&sc);
	cr_assert_eq(scan_new(&sc, on_scan_alert, NULL, &r->sd, err, sizeof(err)), 0, "%s", err);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = r->outs;
	pc.seed = 1;
	pc.scan = r->sd;
	cr_assert_eq(pipeline_new(&pc, &r->pl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(capture_open_file(path, NULL, &cap, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(capture_run(cap, pipeline_capture_cb, r->pl, 0, err, sizeof(err)), 0, "%s", err);
	capture_close(cap);
}

static void rig_free(struct rig *r)
{
	pipeline_free(r->pl);
	scan_free(r->sd);
	outputs_free(r->outs);
}

/* scan-quick.pcap: 30 SYN probes, 29 answered by RST (each ends its flow and becomes a detector record),
 * all within 0.06 s, so no flow sweep runs. The records wait in the pipeline's queue (fewer than
 * MP_SCAN_QUEUE); a stats snapshot hands them over, so the detector's figures and alerts are current. */
Test(pipeline, stats_hand_queued_scan_records_to_the_detector)
{
	struct rig r;
	struct mp_stats_record st;
	uint64_t before;

	feed(&r, "scan-quick.pcap");
	before = scan_get_stats(r.sd)->records;
	cr_assert_lt(before, 29, "records reached the detector one by one, not queued");
	pipeline_stats(r.pl, &st);
	cr_assert_geq(scan_get_stats(r.sd)->records, 29, "queued records not handed over by pipeline_stats");
	cr_assert_geq(g_scan_alerts, 1, "the port scan (15-port threshold) was not flagged");
	rig_free(&r);
}

/* The end of input ends every flow and hands over their records too. */
Test(pipeline, flush_hands_over_every_record)
{
	struct rig r;

	feed(&r, "scan-quick.pcap");
	pipeline_flush(r.pl);
	/* 31 TCP flows (30 probes and curl's connection): each is a record once it ends. */
	cr_assert_eq(scan_get_stats(r.sd)->records, 31);
	cr_assert_geq(g_scan_alerts, 1);
	rig_free(&r);
}

/* Pending judgments (worker mode). A worker's pipeline is producer 0 of a two-producer feed; producer
 * 1's bound stands for another worker that has not caught up. */
static uint64_t g_bound1;

static uint64_t bound_of(void *ctx, unsigned producer)
{
	(void)ctx;
	return producer == 1 ? g_bound1 : 0;
}

/* The dest_port of every alert line in an EVE file, in order, into ports; returns how many. */
static unsigned alert_ports(const char *path, unsigned *ports, unsigned cap)
{
	char line[65536];
	unsigned n = 0;
	FILE *fp = fopen(path, "r");

	cr_assert_not_null(fp, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *p;

		if (strstr(line, "\"event_type\":\"alert\"") == NULL || strstr(line, "suppression-summary") != NULL)
			continue;
		p = strstr(line, "\"dest_port\":");
		cr_assert_not_null(p);
		cr_assert_lt(n, cap);
		ports[n++] = (unsigned)strtoul(p + 12, NULL, 10);
	}
	fclose(fp);
	return n;
}

/* Verdicts that raise an alert ask the detector whether the client is a scanner. While another worker
 * may still submit earlier detector calls, the answer cannot be given: the judgments wait in the
 * pipeline (nothing goes out, the packets keep flowing) and go out, in the order they were made, once the
 * other worker has moved on. Three captures with one alert each (HTTP on 3098, SSH on 598, TLS on 3219),
 * fed one after the other, so three judgments are pending at once. */
Test(pipeline, pending_judgments_wait_for_other_workers_and_go_out_in_order, .timeout = 60)
{
	static const char *const caps[] = {"http-3098.pcap", "ssh-598.pcap", "tls-3219.pcap"};
	static const unsigned want[] = {3098, 598, 3219};
	pthread_spinlock_t lock;
	struct scan_config sc;
	struct scan_detector *sd;
	struct scan_feed *feed;
	struct rules *rules;
	struct outputs *outs;
	struct pipeline_config pc;
	struct pipeline *pl;
	char eve[] = "/tmp/misport-test-pend-XXXXXX", path[512], err[256];
	unsigned ports[8], n;
	int fd;

	fd = mkstemp(eve);
	cr_assert_geq(fd, 0);
	close(fd);
	g_bound1 = 0; /* worker 1 has submitted nothing yet */
	cr_assert_eq(pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE), 0);
	scan_config_defaults(&sc);
	cr_assert_eq(scan_new(&sc, on_scan_alert, NULL, &sd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sfeed_new(2, 1024, (void *)(uintptr_t)&lock, bound_of, NULL, sfeed_apply_scan, sd, &feed, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, &rules, err, sizeof(err)), 0, "%s", err);
	outs = outputs_new();
	cr_assert_not_null(outs);
	cr_assert_eq(outputs_add(outs, "eve", eve, ~0u, err, sizeof(err)), 0, "%s", err);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = outs;
	pc.rules = rules;
	pc.seed = 1;
	pc.suppress_interval_s = 60;
	pc.scan = sd;
	pc.feed = feed;
	pc.worker = 0;
	cr_assert_eq(pipeline_new(&pc, &pl, err, sizeof(err)), 0, "%s", err);
	for (unsigned i = 0; i < 3; i++) {
		struct capture *cap;

		snprintf(path, sizeof(path), "%s/pcaps/%s", SOURCE_DIR, caps[i]);
		cr_assert_eq(capture_open_file(path, NULL, &cap, err, sizeof(err)), 0, "%s", err);
		cr_assert_geq(capture_run(cap, pipeline_capture_cb, pl, 0, err, sizeof(err)), 0, "%s", err);
		capture_close(cap);
	}
	outputs_flush(outs);
	cr_assert_eq(alert_ports(eve, ports, 8), 0, "an alert went out before its scanner question was answered");

	g_bound1 = UINT64_MAX; /* worker 1 has moved past everything: the answers come */
	pipeline_flush(pl);
	outputs_flush(outs);
	n = alert_ports(eve, ports, 8);
	cr_assert_eq(n, 3, "%u alerts", n);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(ports[i], want[i], "alert %u is for port %u, not %u", i, ports[i], want[i]);

	pipeline_free(pl);
	outputs_free(outs);
	rules_free(rules);
	sfeed_free(feed);
	scan_free(sd);
	pthread_spin_destroy(&lock);
	unlink(eve);
}
