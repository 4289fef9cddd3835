/* test_pipeline.c: one worker's path; here, how its queued scan-detector calls reach the detector. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "misport/capture.h"
#include "misport/output.h"
#include "misport/pipeline.h"
#include "misport/scan.h"

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
