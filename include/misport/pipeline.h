/* pipeline.h: wires decode -> flow table -> dpi -> classify -> alerts -> outputs for one worker. */
#ifndef MISPORT_PIPELINE_H
#define MISPORT_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "misport/capture.h"
#include "misport/event.h"
#include "misport/flow.h"

struct outputs;
struct rules;
struct scan_detector;
struct scan_config;
struct scan_feed;

struct pipeline_config {
	struct outputs *outputs;               /* borrowed; events go here */
	const struct rules *rules;             /* borrowed; NULL: no verdicts (flows only) */
	bool emit_flows;                       /* send a flow record for every finished flow */
	uint32_t max_flows;                    /* flow table cap; 0: default */
	uint32_t dpi_max_tcp_packets;          /* 0: default */
	uint32_t dpi_max_udp_packets;          /* 0: default */
	bool dpi_no_guess;                     /* do not guess protocols from ports at give-up */
	uint64_t seed;                         /* hash seed */
	uint16_t community_id_seed;            /* seed of the Community IDs of EVE records (0 as Zeek's) */
	uint32_t suppress_interval_s;          /* alert suppression interval; 0 disables suppression */
	const char *evidence_path;             /* -w FILE, or NULL */
	const char *evidence_dir;              /* --evidence-dir DIR, or NULL */
	const struct scan_config *scan_config; /* for wk_new: scan detection settings, NULL: none */
	struct scan_detector *scan;            /* borrowed, shared by every worker; NULL: no scan detection */
	/* Workers: the shared detector's input (scanfeed.h), this pipeline's queue in it is `worker`; NULL:
	 * one pipeline, which makes its own single-queue feed when scan is set. */
	struct scan_feed *feed;
	unsigned worker;
	bool external_clock; /* worker mode: timers run only on pipeline_tick, not on packets, and
			      * the reader sets the position of every record (pipeline_set_pos) */
	void *emit_lock;     /* pthread_mutex_t * serializing outputs_emit across workers, or NULL */
};

struct pipeline;

/* Creates a pipeline. Returns 0, or -1 with err filled. The caller owns *out (pipeline_free). */
int pipeline_new(const struct pipeline_config *cfg, struct pipeline **out, char *err, size_t errlen);

/* Processes one captured frame of link type dlt. Never fails: malformed packets are counted. */
void pipeline_packet(struct pipeline *pl, int dlt, const struct capture_pkt *pkt);

/* pipeline_packet for a frame the caller has decoded already: r and *p are what decode_packet returned
 * for it (p is borrowed for the call). */
void pipeline_packet_decoded(struct pipeline *pl, int dlt, const struct capture_pkt *pkt,
			     enum mp_decode_result r, struct mp_packet *p);

/* capture_cb adapter: user is the pipeline. Always returns 0. */
int pipeline_capture_cb(void *user, int dlt, const struct capture_pkt *pkt);

/* Worker mode: moves the pipeline's clock to now_us (never backwards) without running timers, so a
 * worker's clock is the reader's (the latest time of any packet) as it would be with one worker. */
void pipeline_set_clock(struct pipeline *pl, uint64_t now_us);

/* Worker mode: the reader's position of the record processed next (packet, tick, end of input), which
 * orders this pipeline's scan-detector calls among every worker's (scanfeed.h). */
void pipeline_set_pos(struct pipeline *pl, uint64_t pos);

/* Advances the pipeline's clock to now_us (wall-clock time when live) without a packet, so idle
 * flows end and pending alerts close even when traffic stops. Time never goes backwards. */
void pipeline_tick(struct pipeline *pl, uint64_t now_us);

/* Live with kernel fanout, before the worker waits for packets: hands the scan-detector calls it queued
 * over to the merge and finishes the judgments whose answers are in, without waiting. Its alerts then
 * go out while the capture is quiet: no reader keeps moving the positions on, so nothing else would
 * merge the questions they wait for. */
void pipeline_idle(struct pipeline *pl);

/* Names where the next packets come from: the capture file (iface false; EVE pcap_filename of the flows
 * they start) or the interface (iface true; in_iface); NULL for none. name is borrowed and must outlive
 * the pipeline. */
void pipeline_set_source(struct pipeline *pl, const char *name, bool iface);

/* Replaces the rule set used for flows judged from now on (SIGHUP reload). rules is borrowed and must
 * outlive the pipeline or the next call. */
void pipeline_set_rules(struct pipeline *pl, const struct rules *rules);

/* Finishes pending judgments, ends every open flow, hands the queued scan-detector calls over and closes
 * pending alert state (flow records and closing alerts are emitted), without a stats record. The
 * pipeline then submits nothing more to a shared feed (sfeed_done); with a feed of its own, the feed is
 * drained into the detector. */
void pipeline_flush(struct pipeline *pl);

/* The pipeline's per-protocol tally (for merging across workers). */
const struct summary *pipeline_summary(const struct pipeline *pl);

/* Finishes pending judgments (waiting for their answers) and hands the queued scan-detector calls over,
 * then fills a snapshot of the counters. */
void pipeline_stats(struct pipeline *pl, struct mp_stats_record *out);

/* Frees the pipeline (flows still open are ended as at shutdown, without output). NULL allowed. */
void pipeline_free(struct pipeline *pl);

#endif
