/* test_pipeline.c: one worker's path; here, how its scan-detector calls reach the detector, how its
 * judgments wait for the detector's answers, and that a flow whose verdict is final costs no nDPI call,
 * allocation or output per packet. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/config.h"
#include "misport/output.h"
#include "misport/pipeline.h"
#include "misport/rules.h"
#include "misport/scan.h"
#include "misport/scanfeed.h"

static unsigned g_scan_alerts;

/* Allocation counting (the hot-path test): the test executable's malloc, calloc and realloc count the
 * calls made by a thread that turned counting on, then hand them to glibc's. Left out under
 * AddressSanitizer, whose allocator must stay the one bound. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNTS_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTS_ALLOCS 0
#endif
#endif
#ifndef COUNTS_ALLOCS
#define COUNTS_ALLOCS 1
#endif

static _Thread_local bool g_counting;
static _Thread_local unsigned long g_allocs;

#if COUNTS_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n)
{
	if (g_counting)
		g_allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (g_counting)
		g_allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	if (g_counting)
		g_allocs++;
	return __libc_realloc(p, n);
}
#endif

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
static _Atomic uint64_t g_bound1;

static uint64_t bound_of(void *ctx, unsigned producer)
{
	(void)ctx;
	return producer == 1 ? atomic_load(&g_bound1) : 0;
}

/* A worker's pipeline with rules, a scan detector fed through a two-producer feed, and EVE output to a
 * temporary file. Producer 1 starts with nothing submitted (g_bound1 0). */
struct pend_rig {
	pthread_spinlock_t lock;
	struct scan_detector *sd;
	struct scan_feed *feed;
	struct rules *rules;
	struct outputs *outs;
	struct pipeline *pl;
	char eve[32];
};

static void pend_rig_new(struct pend_rig *r, unsigned feed_queue)
{
	struct pipeline_config pc;
	struct scan_config sc;
	char err[256];
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(r->eve, sizeof(r->eve), "/tmp/misport-test-pend-XXXXXX");
	fd = mkstemp(r->eve);
	cr_assert_geq(fd, 0);
	close(fd);
	atomic_store(&g_bound1, 0);
	cr_assert_eq(pthread_spin_init(&r->lock, PTHREAD_PROCESS_PRIVATE), 0);
	scan_config_defaults(&sc);
	cr_assert_eq(scan_new(&sc, on_scan_alert, NULL, &r->sd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sfeed_new(2, feed_queue, (void *)(uintptr_t)&r->lock, bound_of, NULL, sfeed_apply_scan,
			       r->sd, &r->feed, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, &r->rules, err, sizeof(err)), 0, "%s", err);
	r->outs = outputs_new();
	cr_assert_not_null(r->outs);
	cr_assert_eq(outputs_add(r->outs, "eve", r->eve, ~0u, err, sizeof(err)), 0, "%s", err);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = r->outs;
	pc.rules = r->rules;
	pc.seed = 1;
	pc.suppress_interval_s = 60;
	pc.scan = r->sd;
	pc.feed = r->feed;
	pc.worker = 0;
	cr_assert_eq(pipeline_new(&pc, &r->pl, err, sizeof(err)), 0, "%s", err);
}

static void pend_rig_free(struct pend_rig *r)
{
	pipeline_free(r->pl);
	outputs_free(r->outs);
	rules_free(r->rules);
	sfeed_free(r->feed);
	scan_free(r->sd);
	pthread_spin_destroy(&r->lock);
	unlink(r->eve);
}

/* The value of member key (a number, or a string without its quotes; at most 15 characters) of every
 * alert line of an EVE file, suppression summaries left out, in order; returns how many. */
static unsigned alert_values(const char *path, const char *key, char (*out)[16], unsigned cap)
{
	static char line[65536];
	char pattern[64];
	unsigned n = 0;
	FILE *fp = fopen(path, "r");

	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	cr_assert_not_null(fp, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *p;

		if (strstr(line, "\"event_type\":\"alert\"") == NULL ||
		    strstr(line, "suppression-summary") != NULL)
			continue;
		p = strstr(line, pattern);
		cr_assert_not_null(p, "no %s in %s", key, line);
		p += strlen(pattern);
		if (*p == '"')
			p++;
		cr_assert_lt(n, cap);
		cr_assert_eq(sscanf(p, "%15[0-9a-zA-Z.:-]", out[n]), 1);
		n++;
	}
	fclose(fp);
	return n;
}

/* Verdicts that raise an alert ask the detector whether the client is a scanner. While another worker
 * may still submit earlier detector calls, the answer cannot be given: the judgments wait in the
 * pipeline (nothing goes out, the packets keep flowing) and go out, in the order they were made, once the
 * other worker has moved on. Three captures with one alert each (HTTP on 3098, SSH on 598, TLS on 3219),
 * fed one after the other, so three judgments are pending at once. */
Test(pipeline, pending_judgments_wait_for_other_workers_and_go_out_in_order)
{
	static const char *const caps[] = {"http-3098.pcap", "ssh-598.pcap", "tls-3219.pcap"};
	static const char *const want[] = {"3098", "598", "3219"};
	struct pend_rig r;
	char path[512], err[256], ports[8][16];
	unsigned n;

	pend_rig_new(&r, 1024);
	for (unsigned i = 0; i < 3; i++) {
		struct capture *cap;

		snprintf(path, sizeof(path), "%s/pcaps/%s", SOURCE_DIR, caps[i]);
		cr_assert_eq(capture_open_file(path, NULL, &cap, err, sizeof(err)), 0, "%s", err);
		cr_assert_geq(capture_run(cap, pipeline_capture_cb, r.pl, 0, err, sizeof(err)), 0, "%s", err);
		capture_close(cap);
	}
	outputs_idle(r.outs, NULL); /* what the EVE file buffered, to the file */
	cr_assert_eq(alert_values(r.eve, "dest_port", ports, 8), 0,
		     "an alert went out before its scanner question was answered");

	atomic_store(&g_bound1, UINT64_MAX); /* worker 1 has moved past everything: the answers come */
	pipeline_flush(r.pl);
	outputs_idle(r.outs, NULL);
	n = alert_values(r.eve, "dest_port", ports, 8);
	cr_assert_eq(n, 3, "%u alerts", n);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_str_eq(ports[i], want[i], "alert %u is for port %s, not %s", i, ports[i], want[i]);
	pend_rig_free(&r);
}

/* The packets of a capture, copied. */
struct frames {
	struct capture_pkt pkt[64];
	uint8_t data[64][2048];
	unsigned n;
	int dlt;
};

static int keep_frame(void *user, int dlt, const struct capture_pkt *p)
{
	struct frames *fr = user;

	cr_assert_lt(fr->n, 64u);
	cr_assert_leq(p->caplen, sizeof(fr->data[0]));
	memcpy(fr->data[fr->n], p->data, p->caplen);
	fr->pkt[fr->n] = *p;
	fr->pkt[fr->n].data = fr->data[fr->n];
	fr->n++;
	fr->dlt = dlt;
	return 0;
}

/* The feeding thread's progress (packets handed to the pipeline, of g_total), and whether the helper
 * below saw it stand still before the end (the pipeline waiting on its full pending list). */
static _Atomic unsigned g_fed;
static unsigned g_total;
static bool g_saw_wait;

/* Lets worker 1 move on once the feeding thread has stopped advancing for 50 ms short of the end, or
 * once it has fed everything. */
static void *release_when_stuck(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	unsigned last = ~0u;

	(void)arg;
	for (;;) {
		unsigned fed;

		nanosleep(&ts, NULL);
		fed = atomic_load(&g_fed);
		if (fed == g_total)
			break;
		if (fed == last) {
			g_saw_wait = true;
			break;
		}
		last = fed;
	}
	atomic_store(&g_bound1, UINT64_MAX);
	return NULL;
}

/* More judgments than MP_PENDING_JUDGMENTS wait at once: http-3098.pcap's three HTTP flows on a legacy
 * port, replayed with a different client address each time (so each replay raises one alert of its
 * own), while another worker holds everything back. The pipeline then waits for the oldest judgment
 * (a helper thread, seeing the feeding stuck, lets the other worker move on) and reuses its entry; the
 * alerts still go out one per replay, in replay order. */
Test(pipeline, a_full_pending_list_waits_for_its_oldest)
{
	const unsigned replays = MP_PENDING_JUDGMENTS / 3u + 40u;
	static struct frames fr;
	static char src[1024][16];
	struct pend_rig r;
	pthread_t helper;
	struct capture *cap;
	char err[256];
	unsigned n;

	cr_assert_lt(replays, 1024u);
	memset(&fr, 0, sizeof(fr));
	cr_assert_eq(capture_open_file(SOURCE_DIR "/pcaps/http-3098.pcap", NULL, &cap, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(capture_run(cap, keep_frame, &fr, 0, err, sizeof(err)), 0, "%s", err);
	capture_close(cap);
	cr_assert_eq(fr.dlt, 1, "http-3098.pcap is expected to be Ethernet");

	pend_rig_new(&r, 4096);
	g_total = replays * fr.n;
	atomic_store(&g_fed, 0);
	g_saw_wait = false;
	cr_assert_eq(pthread_create(&helper, NULL, release_when_stuck, NULL), 0);
	for (unsigned k = 0; k < replays; k++)
		for (unsigned i = 0; i < fr.n; i++) {
			/* Ethernet + IPv4: the client 10.99.0.1 (source or destination)
			 * becomes 10.100.k/256.k%256. */
			uint8_t *ip = fr.data[i] + 14;
			uint8_t saved[8];
			static const uint8_t client[4] = {10, 99, 0, 1};

			memcpy(saved, ip + 12, 8);
			for (unsigned off = 12; off <= 16; off += 4)
				if (memcmp(ip + off, client, 4) == 0) {
					ip[off + 1] = 100;
					ip[off + 2] = (uint8_t)(k >> 8);
					ip[off + 3] = (uint8_t)k;
				}
			pipeline_capture_cb(r.pl, fr.dlt, &fr.pkt[i]);
			memcpy(ip + 12, saved, 8);
			atomic_fetch_add(&g_fed, 1);
		}
	cr_assert_eq(pthread_join(helper, NULL), 0);
	cr_assert(g_saw_wait, "the pending list never filled up (the case is not exercised)");
	pipeline_flush(r.pl);
	outputs_idle(r.outs, NULL);
	n = alert_values(r.eve, "src_ip", src, 1024);
	cr_assert_eq(n, replays, "%u alerts for %u replays", n, replays);
	for (unsigned k = 0; k < replays; k++) {
		char want[16];

		snprintf(want, sizeof(want), "10.100.%u.%u", k >> 8, k & 255u);
		cr_assert_str_eq(src[k], want, "alert %u", k);
	}
	pend_rig_free(&r);
}

/* The hot path (issue 7): once a flow's verdict is final, its packets cost no nDPI call, no allocation
 * and no output. ssh-598.pcap is one SSH session of 47 packets on 598/tcp (the dormant sco-websrvrmg3):
 * nDPI names it after the key exchange (packet 11), which raises a legacy-port alert at once (a single
 * pipeline's scan detector, when there is one, answers its question at once). After the packet that
 * brought the alert and to the end of the capture, the pipeline's count of packets handed to nDPI, the
 * allocations made while it handles each packet (counted unless built with AddressSanitizer) and the
 * events written must all stay where they were. */
struct hot {
	struct pipeline *pl;
	struct outputs *outs;
	unsigned pkts, alert_at; /* packets fed; the one after which the alert was out (0: none yet) */
	uint64_t dpi_at;         /* packets handed to nDPI when the alert was out */
	unsigned long allocs_at;
	unsigned long long written_at;
	unsigned changed_dpi, changed_allocs, changed_written; /* packets after the alert that changed one */
};

static int hot_cb(void *user, int dlt, const struct capture_pkt *pkt)
{
	struct hot *h = user;
	struct mp_stats_record st;
	struct output_sink_stats ss;

	g_counting = true;
	pipeline_packet(h->pl, dlt, pkt);
	g_counting = false;
	h->pkts++;
	cr_assert_eq(outputs_sink_stats(h->outs, 0, &ss), 0);
	pipeline_stats(h->pl, &st);
	if (h->alert_at == 0) {
		if (ss.written > 0) {
			h->alert_at = h->pkts;
			h->dpi_at = st.dpi_packets;
			h->allocs_at = g_allocs;
			h->written_at = ss.written;
		}
		return 0;
	}
	h->changed_dpi += st.dpi_packets != h->dpi_at;
	h->changed_allocs += g_allocs != h->allocs_at;
	h->changed_written += ss.written != h->written_at;
	return 0;
}

/* Feeds ssh-598.pcap as above to a pipeline with rules, EVE output and, if with_scan, a scan detector
 * (misport's default), and checks the packets after the verdict. */
static void check_hot_path(bool with_scan)
{
	struct pipeline_config pc;
	struct scan_config sc;
	struct scan_detector *sd = NULL;
	struct rules *rules;
	struct capture *cap;
	struct hot h;
	char eve[] = "/tmp/misport-test-hot-XXXXXX", err[256];
	int fd = mkstemp(eve);

	cr_assert_geq(fd, 0);
	close(fd);
	memset(&h, 0, sizeof(h));
	g_allocs = 0;
	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, &rules, err, sizeof(err)), 0, "%s", err);
	h.outs = outputs_new();
	cr_assert_not_null(h.outs);
	cr_assert_eq(outputs_add(h.outs, "eve", eve, ~0u, err, sizeof(err)), 0, "%s", err);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = h.outs;
	pc.rules = rules;
	pc.seed = 1;
	pc.suppress_interval_s = 60;
	if (with_scan) {
		scan_config_defaults(&sc);
		cr_assert_eq(scan_new(&sc, on_scan_alert, NULL, &sd, err, sizeof(err)), 0, "%s", err);
		pc.scan = sd;
	}
	cr_assert_eq(pipeline_new(&pc, &h.pl, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(capture_open_file(SOURCE_DIR "/pcaps/ssh-598.pcap", NULL, &cap, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_geq(capture_run(cap, hot_cb, &h, 0, err, sizeof(err)), 0, "%s", err);
	capture_close(cap);
	cr_assert_eq(h.pkts, 47);
	cr_log_info("alert after packet %u; nDPI saw %llu packets; %lu allocations until then", h.alert_at,
		    (unsigned long long)h.dpi_at, h.allocs_at);
	cr_assert(h.alert_at > 0 && h.alert_at <= 16, "the alert came after packet %u", h.alert_at);
	cr_assert_geq(h.dpi_at, 4, "nDPI saw %llu packets", (unsigned long long)h.dpi_at);
	cr_assert_eq(h.changed_dpi, 0, "%u of the %u packets after the verdict went to nDPI", h.changed_dpi,
		     h.pkts - h.alert_at);
	cr_assert_eq(h.changed_written, 0, "%u of the packets after the verdict wrote an event",
		     h.changed_written);
#if COUNTS_ALLOCS
	cr_assert_gt(h.allocs_at, 0, "no allocation counted at all: the counting is not in force");
	cr_assert_eq(h.changed_allocs, 0, "%u of the %u packets after the verdict allocated",
		     h.changed_allocs, h.pkts - h.alert_at);
#endif
	pipeline_free(h.pl);
	scan_free(sd);
	outputs_free(h.outs);
	rules_free(rules);
	unlink(eve);
}

Test(pipeline, a_flow_with_a_final_verdict_costs_no_ndpi_call_allocation_or_output)
{
	check_hot_path(false);
}

Test(pipeline, with_the_scan_detector_too)
{
	check_hot_path(true);
}
