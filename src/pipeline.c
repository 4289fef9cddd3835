/* pipeline.c: one worker's packet path: decode, flow lookup, nDPI until final, verdict, events. */
#include "misport/pipeline.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misport/alert.h"
#include "misport/classify.h"
#include "misport/config.h"
#include "misport/connstate.h"
#include "misport/decode.h"
#include "misport/dpi.h"
#include "misport/evidence.h"
#include "misport/heap.h"
#include "misport/log.h"
#include "misport/output.h"
#include "misport/scan.h"
#include "misport/scanfeed.h"
#include "misport/summary.h"
#include "misport/suppress.h"

enum { SWEEP_NONE, SWEEP_EXPIRE, SWEEP_FLUSH };

struct pipeline {
	struct pipeline_config cfg;
	struct flow_table *flows;
	struct dpi_engine *dpi;
	struct summary *summary;
	struct supp_table *supp;
	struct evidence *evid;     /* NULL unless -w or --evidence-dir */
	const struct rules *rules; /* borrowed; NULL: no verdicts */
	struct mp_stats_record st; /* packet counters; flow figures are filled on demand */
	uint64_t now_us;           /* latest capture time seen */
	uint64_t first_us;         /* first capture time seen, 0 before any packet */
	uint64_t next_sweep_us;
	bool quiet_end;         /* pipeline_free: end flows without output */
	struct scan_feed *feed; /* the scan detector's input; NULL without a scan detector */
	bool own_feed;          /* feed made here (one pipeline without workers): freed here */
	unsigned producer;      /* this pipeline's queue in the feed */
	struct sfeed_key key;   /* order key of the detector calls made now (scanfeed.h) */
	/* Pending judgments, with a feed: a queue of pend_head..pend_tail (indices modulo
	 * MP_PENDING_JUDGMENTS into pend_slot, which names each one's entry of pend). Entries are taken from
	 * the top of the pend_free stack and go back on it, so only as many entries as were ever pending at
	 * once are touched (one is 13 KB). */
	struct pending_judgment *pend;
	uint16_t *pend_slot, *pend_free;
	unsigned pend_nfree;
	uint64_t pend_head, pend_tail;
	uint64_t supp_due_us; /* a suppression sweep skipped while judgments were pending, 0: none */
	int in_sweep;         /* flows end by flow_expire (SWEEP_EXPIRE) or flow_flush (SWEEP_FLUSH): the
			       * detector calls they cause are keyed by the flows' order there */
	const char *source;   /* file or interface of the packets now arriving (pipeline_set_source) */
	bool source_iface;    /* source names an interface */
};

/* A judgment waiting for the scan detector's answer (judge_flow). */
struct pending_judgment {
	struct mp_flow *f;      /* alive: the flow's end finishes its judgment first */
	struct mp_alert a;      /* the alert it raises unless the client is a scanner */
	uint8_t v;              /* enum mp_verdict */
	_Atomic uint8_t answer; /* enum sfeed_answer, stored by the feed */
	uint64_t now_us;        /* the clock at the verdict (suppression windows) */
	struct sfeed_key key;   /* its QUERY call's key */
	/* f NULL: the flow has ended; its record (flow_record_base) waits here for the verdict */
	struct mp_flow_record rec;
	bool alerted;
	uint8_t severity;
};

/* Sends ev to the outputs, serialized with other workers when they share them. */
static void emit(struct pipeline *pl, const struct mp_event *ev)
{
	outputs_emit_locked(pl->cfg.outputs, ev, pl->cfg.emit_lock);
}

static void finish_flow_dpi(struct pipeline *pl, struct mp_flow *f, const struct dpi_result *res)
{
	size_t n = strlen(res->name);

	if (n >= sizeof(f->proto_name))
		n = sizeof(f->proto_name) - 1;
	memcpy(f->proto_name, res->name, n);
	f->proto_name[n] = '\0';
	f->proto_master = res->master_id;
	f->proto_app = res->app_id;
	f->dpi_guessed = res->guessed;
	f->ndpi_wrong_port = res->known_proto_wrong_port;
	f->dpi_done = 1;
	dpi_flow_free(pl->dpi, f->dpi);
	f->dpi = NULL;
}

static bool verdict_alerts(enum mp_verdict v)
{
	return v == MP_VERDICT_PORT_MISMATCH || v == MP_VERDICT_UNREGISTERED_PORT ||
	       v == MP_VERDICT_LEGACY_PORT;
}

/* Hands the queued detector calls over as far as they can be applied now (scanfeed.h). */
static void scan_sync(struct pipeline *pl)
{
	if (pl->feed != NULL)
		sfeed_sync(pl->feed, pl->producer, pl->key);
}

/* Hands flow f to the scan detector once: its Zeek-style connection state, probe kind and outcome,
 * and the alert verdict it would have had (a scanner's mismatches are listed in its scan alert). */
static void scan_observe_flow(struct pipeline *pl, struct mp_flow *f)
{
	struct conn_evidence ev;
	struct sfeed_op *op;
	struct scan_probe *spp;
	const uint8_t *cip, *sip;

	if (pl->feed == NULL || f->scan_observed)
		return;
	f->scan_observed = 1;
	op = sfeed_slot(pl->feed, pl->producer, pl->key);
	op->kind = SFEED_PROBE;
	spp = &op->sp;
	conn_evidence_from_flow(f, &ev);
	ev.first_dir = f->first_dir == MP_DIR_C2S ? CONN_DIR_C2S : CONN_DIR_S2C;
	ev.icmp_seen[0] = f->icmp_seen[0];
	ev.icmp_seen[1] = f->icmp_seen[1];
	ev.icmp_error = f->icmp_error;
	memset(spp, 0, sizeof(*spp));
	conn_classify(&ev, &spp->conn);
	spp->first_us = f->first_us;
	spp->last_us = f->last_us;
	spp->flow_id = f->flow_id;
	spp->family = f->key.family;
	spp->ip_proto = f->key.ip_proto;
	spp->vlan = f->key.vlan;
	flow_endpoints(f, &cip, &spp->client_port, &sip, &spp->server_port);
	memcpy(spp->client, cip, 16);
	memcpy(spp->server, sip, 16);
	if (f->dpi_done && !f->dpi_guessed) {
		_Static_assert(sizeof(op->app) == sizeof(f->proto_name), "nDPI name copy");
		memcpy(op->app, f->proto_name, sizeof(op->app));
		spp->app_proto = op->app;
	}
	spp->mismatch = f->would_be != MP_VERDICT_NONE ? verdict_name((enum mp_verdict)f->would_be) : NULL;
	sfeed_commit(pl->feed, pl->producer);
}

/* Emits a closing record of the suppression table (called back by supp_*). */
static void on_supp_close(const struct mp_alert *a, void *user)
{
	struct pipeline *pl = user;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = a};

	emit(pl, &ev);
}

/* Ends the judgment of a flow: verdict v (its alert a), or scan-noise when its client is a scanner; an
 * alert that suppression lets through goes out. now_us is the clock when the verdict was decided. The
 * outcome goes into f, or into *ended (a pending judgment of a flow that has ended: f is NULL). */
static void finish_judgment(struct pipeline *pl, struct mp_flow *f, struct pending_judgment *ended,
			    struct mp_alert *a, enum mp_verdict v, bool scanner, uint64_t now_us)
{
	if (scanner)
		v = MP_VERDICT_SCAN_NOISE; /* reported inside the scanner's alert */
	if (ended != NULL) {
		ended->v = (uint8_t)v;
		ended->alerted = false;
		ended->severity = verdict_alerts(v) ? (uint8_t)a->severity : 0;
	} else if (f != NULL) {
		f->verdict = (uint8_t)v;
		if (verdict_alerts(v))
			f->severity = (uint8_t)a->severity;
	}
	if (!verdict_alerts(v)) {
		if (pl->evid != NULL && f != NULL)
			evid_release(pl->evid, f);
		return;
	}
	if (supp_check(pl->supp, a, now_us)) {
		struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = a};

		if (pl->evid != NULL && f != NULL) {
			char path[4096];

			if (evid_alert(pl->evid, f, path, sizeof(path)) == 0 && path[0] != '\0')
				alert_meta_add(a, "evidence_pcap", path);
		}
		if (ended != NULL)
			ended->alerted = true;
		else
			f->alerted = 1;
		pl->st.alerts++;
		pl->st.alerts_verdict[v]++;
		emit(pl, &ev);
	} else if (pl->evid != NULL && f != NULL) {
		evid_release(pl->evid, f); /* a counted repeat: its first flow holds the evidence */
	}
}

static void flow_record_finish(struct pipeline *pl, struct mp_flow_record *r, enum mp_verdict verdict,
			       bool alerted, int severity);

_Static_assert(MP_PENDING_JUDGMENTS <= 65536u, "pending judgment slots are 16-bit");

/* The entry of pending judgment i (pend_head <= i < pend_tail). */
static struct pending_judgment *pend_at(const struct pipeline *pl, uint64_t i)
{
	return &pl->pend[pl->pend_slot[i % MP_PENDING_JUDGMENTS]];
}

/* Finishes the oldest pending judgment. Its answer must be in. */
static void pend_finish_head(struct pipeline *pl)
{
	uint16_t slot = pl->pend_slot[pl->pend_head % MP_PENDING_JUDGMENTS];
	struct pending_judgment *e = &pl->pend[slot];
	uint8_t ans = atomic_load_explicit(&e->answer, memory_order_acquire);

	pl->pend_head++;
	if (e->f != NULL) {
		e->f->judge_pending = 0;
		finish_judgment(pl, e->f, NULL, &e->a, (enum mp_verdict)e->v, ans == SFEED_SCANNER,
				e->now_us);
	} else { /* the flow ended meanwhile: its record waited for the verdict */
		finish_judgment(pl, NULL, e, &e->a, (enum mp_verdict)e->v, ans == SFEED_SCANNER, e->now_us);
		flow_record_finish(pl, &e->rec, (enum mp_verdict)e->v, e->alerted, e->severity);
	}
	pl->pend_free[pl->pend_nfree++] = slot; /* e is done with */
	if (pl->pend_head == pl->pend_tail && pl->supp_due_us != 0) {
		supp_expire(pl->supp, pl->supp_due_us); /* the sweeps skipped while judgments were pending */
		pl->supp_due_us = 0;
	}
}

/* Finishes pending judgments in order, those before index upto (pend_head <= upto <= pend_tail): only
 * those answered already (block false), or waiting for each answer (block true). */
static void pend_run(struct pipeline *pl, uint64_t upto, bool block)
{
	while (pl->pend_head != upto) {
		struct pending_judgment *e = pend_at(pl, pl->pend_head);

		if (atomic_load_explicit(&e->answer, memory_order_acquire) == SFEED_UNANSWERED) {
			if (!block)
				return;
			sfeed_wait(pl->feed, pl->producer, pl->key, e->key);
		}
		pend_finish_head(pl);
	}
}

/* Index of f's pending judgment (judge_pending set). */
static uint64_t pend_index(const struct pipeline *pl, const struct mp_flow *f)
{
	uint64_t i;

	for (i = pl->pend_head; i != pl->pend_tail; i++)
		if (pend_at(pl, i)->f == f)
			break;
	return i;
}

/* Writes f's Community ID to out: client to server, except an ICMP flow's, which is its first packet's
 * (a one-way ICMP message is hashed in the direction it went). */
static void flow_community_id(const struct pipeline *pl, const struct mp_flow *f, char out[CID_STRLEN])
{
	const uint8_t *cip, *sip;
	uint16_t cport, sport;

	flow_endpoints(f, &cip, &cport, &sip, &sport);
	if (f->key.ip_proto == 1 || f->key.ip_proto == 58) {
		bool c2s = f->first_dir == MP_DIR_C2S;

		cid_format(pl->cfg.community_id_seed, f->key.family, f->key.ip_proto, c2s ? cip : sip,
			   c2s ? sip : cip, f->icmp_type0, f->icmp_code0, out);
		return;
	}
	cid_format(pl->cfg.community_id_seed, f->key.family, f->key.ip_proto, cip, sip, cport, sport, out);
}

/* Decides the verdict of flow f once its protocol is final (res), raises its alert if any. Flows
 * whose protocol was only guessed from ports, or that carried no payload, get no verdict. An alert
 * verdict asks the scan detector first whether the client is a scanner (then the verdict is
 * scan-noise); with workers, when calls of other workers ordered before this one are still to come,
 * the judgment waits in the pipeline's queue (pending_judgment) rather than the worker. now_block:
 * the verdict is needed at once (the flow is ending). */
static void judge_flow(struct pipeline *pl, struct mp_flow *f, const struct dpi_result *res, bool now_block)
{
	struct classify_in in;
	struct mp_alert a;
	const uint8_t *cip, *sip;
	uint16_t cport, sport;
	enum mp_verdict v;
	bool scanner = false;

	if (f->judged)
		return;
	f->judged = 1;
	if (pl->rules == NULL || res->guessed || f->payload_bytes[0] + f->payload_bytes[1] == 0 ||
	    (f->key.ip_proto != 6 && f->key.ip_proto != 17)) {
		if (pl->evid != NULL)
			evid_release(pl->evid, f);
		return;
	}
	flow_endpoints(f, &cip, &cport, &sip, &sport);
	memset(&in, 0, sizeof(in));
	in.master = res->master;
	in.app = res->app;
	in.ip_proto = f->key.ip_proto;
	in.server_port = sport;
	in.family = f->key.family;
	in.client_ip = cip;
	in.server_ip = sip;
	/* Only the fixed part is cleared: metadata entries are written before they are counted, so the
	 * 13 KB array needs no zeroing on the per-flow path. */
	memset(&a, 0, offsetof(struct mp_alert, meta));
	v = classify_flow(pl->rules, &in, &a);
	if (verdict_alerts(v)) {
		f->would_be = (uint8_t)v;
		a.ts_us = f->last_us;
		a.flow_id = f->flow_id;
		a.family = f->key.family;
		a.ip_proto = f->key.ip_proto;
		a.vlan = f->key.vlan;
		memcpy(a.src_ip, cip, 16);
		memcpy(a.dst_ip, sip, 16);
		a.src_port = cport;
		a.dst_port = sport;
		memcpy(a.app_proto, f->proto_name, sizeof(f->proto_name));
		flow_community_id(pl, f, a.community_id);
		a.pcap_filename = f->source_iface ? NULL : f->source;
		a.in_iface = f->source_iface ? f->source : NULL;
		if (f->tun != NULL) {
			a.tunnel = *f->tun;
			/* the most specific kind first ("erspan", "gre"): the fast format shows it */
			for (int t = MP_TUN_COUNT - 1; t >= 0; t--)
				if (f->tun->kinds & (1u << t))
					(void)alert_meta_add(&a, "tunnel",
							     decode_tunnel_name((enum mp_tunnel)t));
		}
	}
	if (!verdict_alerts(v) || pl->feed == NULL) {
		finish_judgment(pl, f, NULL, &a, v, false, pl->now_us);
		return;
	}
	if (now_block || pl->pend == NULL) { /* pend is NULL with one pipeline, which never waits here */
		pend_run(pl, pl->pend_tail, true); /* the judgments before this one come first */
		scanner = sfeed_is_scanner(pl->feed, pl->producer, pl->key, f->key.family, cip, pl->now_us);
	} else if (pl->pend_head != pl->pend_tail ||
		   !sfeed_try_is_scanner(pl->feed, pl->producer, pl->key, f->key.family, cip, pl->now_us,
					 &scanner)) {
		struct pending_judgment *e;
		struct sfeed_op *op;

		if (pl->pend_tail - pl->pend_head == MP_PENDING_JUDGMENTS)
			pend_run(pl, pl->pend_head + 1, true); /* full: the oldest first */
		pl->pend_slot[pl->pend_tail % MP_PENDING_JUDGMENTS] = pl->pend_free[--pl->pend_nfree];
		e = pend_at(pl, pl->pend_tail);
		e->f = f;
		e->v = (uint8_t)v;
		e->now_us = pl->now_us;
		e->key = pl->key;
		memcpy(&e->a, &a, offsetof(struct mp_alert, meta) + a.n_meta * sizeof(a.meta[0]));
		atomic_store_explicit(&e->answer, SFEED_UNANSWERED, memory_order_relaxed);
		op = sfeed_slot(pl->feed, pl->producer, pl->key);
		op->kind = SFEED_QUERY;
		op->family = f->key.family;
		memcpy(op->client, cip, 16);
		op->ts_us = pl->now_us;
		op->answer = &e->answer;
		sfeed_commit(pl->feed, pl->producer);
		pl->pend_tail++;
		f->judge_pending = 1;
		return;
	}
	finish_judgment(pl, f, NULL, &a, v, scanner, pl->now_us);
}

/* Fills the parts of f's flow record that do not depend on its verdict (all of it when flow records are
 * on; otherwise what the summary needs: server port, transport, protocol name). */
static void flow_record_base(const struct pipeline *pl, const struct mp_flow *f, enum mp_flow_end why,
			     struct mp_flow_record *r)
{
	const uint8_t *cip, *sip;

	memset(r, 0, offsetof(struct mp_flow_record, category));
	flow_endpoints(f, &cip, &r->src_port, &sip, &r->dst_port);
	r->ip_proto = f->key.ip_proto;
	memcpy(r->app_proto, f->proto_name, sizeof(r->app_proto));
	if (!pl->cfg.emit_flows)
		return;
	memset(&r->category, 0, sizeof(*r) - offsetof(struct mp_flow_record, category));
	r->flow_id = f->flow_id;
	r->first_us = f->first_us;
	r->last_us = f->last_us;
	r->family = f->key.family;
	r->vlan = f->key.vlan;
	memcpy(r->src_ip, cip, 16);
	memcpy(r->dst_ip, sip, 16);
	r->pkts_toserver = f->pkts[MP_DIR_C2S];
	r->pkts_toclient = f->pkts[MP_DIR_S2C];
	r->bytes_toserver = f->bytes[MP_DIR_C2S];
	r->bytes_toclient = f->bytes[MP_DIR_S2C];
	r->tcp_flags_ts = f->tcp_flags_seen[MP_DIR_C2S];
	r->tcp_flags_tc = f->tcp_flags_seen[MP_DIR_S2C];
	r->guessed = f->dpi_guessed;
	r->ndpi_wrong_port = f->ndpi_wrong_port;
	r->state = flow_state_name(f);
	r->reason = why == MP_END_TIMEOUT ? "timeout" : why == MP_END_EVICTED ? "forced" : "shutdown";
	if (f->tun != NULL)
		r->tunnel = *f->tun;
	flow_community_id(pl, f, r->community_id);
	r->pcap_filename = f->source_iface ? NULL : f->source;
	r->in_iface = f->source_iface ? f->source : NULL;
}

/* The verdict-dependent end of a flow: its port in the summary, and its flow record (r from
 * flow_record_base) completed and emitted. */
static void flow_record_finish(struct pipeline *pl, struct mp_flow_record *r, enum mp_verdict verdict,
			       bool alerted, int severity)
{
	const char *svc = "", *desc = "";
	struct mp_event ev;

	if (verdict != MP_VERDICT_NONE) {
		if (pl->rules != NULL)
			(void)classify_port_service(pl->rules, r->dst_port, r->ip_proto, &svc, &desc);
		summary_add_port(pl->summary, r->dst_port, r->ip_proto, svc, r->app_proto,
				 verdict_name(verdict), severity);
	}
	if (!pl->cfg.emit_flows)
		return;
	r->alerted = alerted;
	r->severity = severity;
	if (verdict != MP_VERDICT_NONE) {
		const char *vn = verdict_name(verdict);
		size_t n = strlen(vn);

		memcpy(r->verdict, vn, n < sizeof(r->verdict) ? n + 1 : 0);
		n = strlen(svc);
		if (n < sizeof(r->registered_service))
			memcpy(r->registered_service, svc, n + 1);
	}
	ev.type = MP_EV_FLOW;
	ev.u.flow = r;
	emit(pl, &ev);
}

static void flow_end(struct pipeline *pl, struct mp_flow *f, enum mp_flow_end why)
{
	struct mp_flow_record r;

	if (pl->in_sweep != SWEEP_NONE)
		pl->key.sub = pl->in_sweep == SWEEP_EXPIRE ? flow_sweep_order(f) : f->last_pos;
	if (!f->dpi_done) {
		struct dpi_result res;

		if (f->dpi != NULL) {
			dpi_giveup(pl->dpi, f->dpi, &res);
			finish_flow_dpi(pl, f, &res);
			if (!pl->quiet_end) /* then scan_observe_flow below, with its would-be verdict */
				judge_flow(pl, f, &res, pl->evid != NULL);
		} else {
			memcpy(f->proto_name, "Unknown", 8);
			f->dpi_done = 1;
		}
	}
	if (f->judge_pending) {
		if (pl->quiet_end) {
			/* pipeline_free: nothing goes out */
			for (; pl->pend_head != pl->pend_tail; pl->pend_head++)
				pl->pend_free[pl->pend_nfree++] =
				    pl->pend_slot[pl->pend_head % MP_PENDING_JUDGMENTS];
			pl->supp_due_us = 0;
		} else if (pl->evid != NULL) {
			/* its evidence file is decided with the verdict */
			pend_run(pl, pend_index(pl, f) + 1, true);
		}
	}
	if (pl->evid != NULL)
		evid_flow_end(pl->evid, f);
	if (pl->quiet_end)
		return;
	scan_observe_flow(pl, f);
	summary_add_flow(pl->summary, f->proto_name, f->dpi_guessed, f->pkts[0] + f->pkts[1],
			 f->bytes[0] + f->bytes[1]);
	if (f->judge_pending) { /* the record goes out with the verdict (pend_finish_head) */
		struct pending_judgment *e = pend_at(pl, pend_index(pl, f));

		flow_record_base(pl, f, why, &e->rec);
		e->f = NULL;
		f->judge_pending = 0;
		return;
	}
	flow_record_base(pl, f, why, &r);
	flow_record_finish(pl, &r, (enum mp_verdict)f->verdict, f->alerted, f->severity);
}

/* The flow table's end callback: the flow's verdict, records and summary (flow_end), then what the
 * pipeline owns in it is freed. */
static void on_flow_end(struct mp_flow *f, enum mp_flow_end why, void *user)
{
	flow_end(user, f, why);
	free(f->tun);
	f->tun = NULL;
}

int pipeline_new(const struct pipeline_config *cfg, struct pipeline **out, char *err, size_t errlen)
{
	struct pipeline *pl;
	struct flow_table_config fc;
	struct dpi_limits lim;

	*out = NULL;
	pl = calloc(1, sizeof(*pl));
	if (pl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pl->cfg = *cfg;
	memset(&lim, 0, sizeof(lim));
	lim.max_tcp_packets = cfg->dpi_max_tcp_packets;
	lim.max_udp_packets = cfg->dpi_max_udp_packets;
	lim.guess = !cfg->dpi_no_guess;
	if (dpi_engine_new(&lim, &pl->dpi, err, errlen) != 0)
		goto fail;
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = cfg->max_flows;
	fc.seed = cfg->seed;
	fc.on_end = on_flow_end;
	fc.user = pl;
	if (flow_table_new(&fc, &pl->flows, err, errlen) != 0)
		goto fail;
	pl->summary = summary_new();
	if (pl->summary == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pl->feed = cfg->feed;
	pl->producer = cfg->worker;
	if (cfg->scan != NULL && pl->feed == NULL) {
		if (sfeed_new(1, 2u * MP_SCAN_QUEUE, NULL, NULL, NULL, sfeed_apply_scan, cfg->scan, &pl->feed,
			      err, errlen) != 0)
			goto fail;
		pl->own_feed = true;
		pl->producer = 0;
	}
	if (pl->feed != NULL && !pl->own_feed) {
		pl->pend = malloc(MP_PENDING_JUDGMENTS * sizeof(*pl->pend));
		pl->pend_slot = malloc(MP_PENDING_JUDGMENTS * sizeof(*pl->pend_slot));
		pl->pend_free = malloc(MP_PENDING_JUDGMENTS * sizeof(*pl->pend_free));
		if (pl->pend == NULL || pl->pend_slot == NULL || pl->pend_free == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (unsigned i = 0; i < MP_PENDING_JUDGMENTS; i++) /* entry 0 on top */
			pl->pend_free[i] = (uint16_t)(MP_PENDING_JUDGMENTS - 1u - i);
		pl->pend_nfree = MP_PENDING_JUDGMENTS;
	}
	pl->rules = cfg->rules;
	if (supp_new(0, cfg->suppress_interval_s, on_supp_close, pl, &pl->supp, err, errlen) != 0)
		goto fail;
	if ((cfg->evidence_path != NULL || cfg->evidence_dir != NULL) &&
	    evid_new(cfg->evidence_path, cfg->evidence_dir, &pl->evid, err, errlen) != 0)
		goto fail;
	*out = pl;
	return 0;
fail:
	pipeline_free(pl);
	return -1;
}

static void count_link(struct pipeline *pl, int dlt)
{
	switch (dlt) {
	case MP_DLT_EN10MB:
		pl->st.link_ethernet++;
		break;
	case MP_DLT_LINUX_SLL:
		pl->st.link_sll++;
		break;
	case MP_DLT_LINUX_SLL2:
		pl->st.link_sll2++;
		break;
	case MP_DLT_NULL:
	case MP_DLT_LOOP:
		pl->st.link_null++;
		break;
	default:
		pl->st.link_raw++;
		break;
	}
}

static void count_l3l4(struct pipeline *pl, const struct mp_packet *p)
{
	if (p->family == 4)
		pl->st.ipv4++;
	else
		pl->st.ipv6++;
	if (p->vlan != 0)
		pl->st.vlan++;
	for (unsigned t = 0, bits = p->tunnels; bits != 0; t++, bits >>= 1)
		if (bits & 1u)
			pl->st.tunnel[t]++;
	switch (p->ip_proto) {
	case 6:
		pl->st.tcp++;
		break;
	case 17:
		pl->st.udp++;
		break;
	case 1:
		pl->st.icmpv4++;
		break;
	case 58:
		pl->st.icmpv6++;
		break;
	default:
		break;
	}
}

/* Runs the time-driven work due at the current clock: idle flow expiry, suppression windows, and (by
 * producer 0 of the scan feed, after every flow the sweep ends in any worker) the scan detector's windows
 * and idle sources. */
static void run_timers(struct pipeline *pl)
{
	if (pl->now_us >= pl->next_sweep_us) {
		pl->in_sweep = SWEEP_EXPIRE;
		flow_expire(pl->flows, pl->now_us);
		pl->in_sweep = SWEEP_NONE;
		if (pl->pend_head == pl->pend_tail)
			supp_expire(pl->supp, pl->now_us);
		else /* after them: each one's check expires up to its own time */
			pl->supp_due_us = pl->now_us;
		if (pl->feed != NULL) {
			if (pl->producer == 0) {
				struct sfeed_op *op;

				pl->key.sub = SFEED_SUB_LAST;
				op = sfeed_slot(pl->feed, pl->producer, pl->key);
				op->kind = SFEED_EXPIRE;
				op->ts_us = pl->now_us;
				sfeed_commit(pl->feed, pl->producer);
			}
			/* One pipeline applies its sweep at once (no lock to take). Workers hand calls over
			 * every MP_SCAN_QUEUE calls: the key keeps the order whenever they go, and a lock
			 * round per tick and worker cost more than the merge itself. */
			if (pl->own_feed)
				scan_sync(pl);
		}
		pl->next_sweep_us = pl->now_us + (uint64_t)MP_FLOW_SWEEP_INTERVAL * 1000000u;
		heap_advise_growth();
	}
}

void pipeline_set_clock(struct pipeline *pl, uint64_t now_us)
{
	if (now_us > pl->now_us)
		pl->now_us = now_us;
}

void pipeline_set_pos(struct pipeline *pl, uint64_t pos)
{
	pl->key.pos = pos;
	pl->key.sub = 0;
}

void pipeline_tick(struct pipeline *pl, uint64_t now_us)
{
	if (!pl->cfg.external_clock)
		pipeline_set_pos(pl, pl->key.pos + 1);
	if (now_us > pl->now_us)
		pl->now_us = now_us;
	if (pl->first_us == 0)
		pl->first_us = now_us;
	run_timers(pl);
	if (pl->pend_head != pl->pend_tail)         /* live capture without packets: alerts still go out */
		pend_run(pl, pl->pend_tail, false); /* (run_timers has handed the queue over) */
}

void pipeline_idle(struct pipeline *pl)
{
	if (pl->pend_head == pl->pend_tail)
		return;
	if (!pl->own_feed)
		scan_sync(pl);
	pend_run(pl, pl->pend_tail, false);
}

/* Scan evidence of one packet: ICMP message kinds per direction, ICMP errors matched to the flow they
 * quote, and probes whose outcome is already known (refused by RST, port unreachable) handed to the
 * detector at once, so a scan is recognised before the version probes that follow it. */
static void scan_evidence(struct pipeline *pl, struct mp_flow *f, const struct mp_packet *p, int dir)
{
	if (p->ip_proto == 1 || p->ip_proto == 58) {
		f->icmp_seen[dir] |= conn_icmp_bit(p->ip_proto, p->icmp_type);
		if (p->quoted.valid) {
			struct mp_packet q;
			struct mp_flow *probe;
			uint8_t kind;

			memset(&q, 0, sizeof(q));
			q.family = p->family;
			q.vlan = p->vlan;
			q.ip_proto = p->quoted.ip_proto;
			memcpy(q.src, p->quoted.src, 16);
			memcpy(q.dst, p->quoted.dst, 16);
			q.sport = p->quoted.sport;
			q.dport = p->quoted.dport;
			probe = flow_find(pl->flows, &q);
			kind = conn_icmp_error_kind(p->ip_proto, p->icmp_type, p->icmp_code);
			if (probe != NULL && kind != CONN_ICMPERR_NONE &&
			    probe->icmp_error != CONN_ICMPERR_PORT) {
				probe->icmp_error = kind;
				if (probe->payload_bytes[MP_DIR_S2C] == 0)
					scan_observe_flow(pl, probe);
			}
		}
		return;
	}
	/* An answered connection: its server may later be the one connecting back, which is no scan. */
	if (!f->contact_noted && dir == MP_DIR_S2C &&
	    (p->ip_proto == 17 ||
	     (p->ip_proto == 6 && (p->tcp_flags & (MP_TH_SYN | MP_TH_ACK)) == (MP_TH_SYN | MP_TH_ACK)))) {
		const uint8_t *cip, *sip;
		uint16_t cport, sport;
		struct sfeed_op *op = sfeed_slot(pl->feed, pl->producer, pl->key);

		f->contact_noted = 1;
		flow_endpoints(f, &cip, &cport, &sip, &sport);
		op->kind = SFEED_CONTACT;
		op->family = f->key.family;
		memcpy(op->client, cip, 16);
		memcpy(op->server, sip, 16);
		op->ts_us = p->ts_us;
		sfeed_commit(pl->feed, pl->producer);
	}
	if (p->ip_proto == 6 && !f->scan_observed && (p->tcp_flags & MP_TH_RST) && dir == MP_DIR_S2C &&
	    f->payload_bytes[0] == 0 && f->payload_bytes[1] == 0)
		scan_observe_flow(pl, f);
}

void pipeline_packet(struct pipeline *pl, int dlt, const struct capture_pkt *pkt)
{
	struct mp_packet p;
	enum mp_decode_result r = decode_packet(dlt, pkt->data, pkt->caplen, pkt->wirelen, &p);

	pipeline_packet_decoded(pl, dlt, pkt, r, &p);
}

void pipeline_packet_decoded(struct pipeline *pl, int dlt, const struct capture_pkt *pkt,
			     enum mp_decode_result r, struct mp_packet *p)
{
	struct mp_flow *f;
	bool created;
	int dir;

	if (pl->pend_head != pl->pend_tail)
		pend_run(pl, pl->pend_tail, false);
	pl->st.pkts++;
	pl->st.bytes += pkt->wirelen;
	if (pkt->ts_us > pl->now_us)
		pl->now_us = pkt->ts_us;
	if (pl->first_us == 0)
		pl->first_us = pkt->ts_us;
	if (!pl->cfg.external_clock) { /* one pipeline: a position for its timers, then one for the packet */
		pipeline_set_pos(pl, pl->key.pos + 1);
		run_timers(pl);
		pipeline_set_pos(pl, pl->key.pos + 1);
	}
	count_link(pl, dlt);
	pl->st.decoded[r]++;
	if (r != MP_DEC_OK) {
		if (decode_result_malformed(r))
			pl->st.invalid++;
		else if (r == MP_DEC_SKIP_FRAGMENT || r == MP_DEC_SKIP_NO_L4)
			count_l3l4(pl, p);
		return;
	}
	p->ts_us = pkt->ts_us;
	count_l3l4(pl, p);

	f = flow_get(pl->flows, p, &dir, &created);
	f->last_pos = pl->key.pos;
	if (created) {
		f->dpi = dpi_flow_new(pl->dpi, flow_vshard(f->key.a, f->key.b, f->key.vlan, pl->cfg.seed));
		f->icmp_type0 = p->icmp_type;
		f->icmp_code0 = p->icmp_code;
		f->source = pl->source;
		f->source_iface = pl->source_iface;
		/* Where a tunnelled flow came from; without memory it is reported without (EVE "tunnel"). */
		if (p->tunnel_depth != 0 && (f->tun = malloc(sizeof(*f->tun))) != NULL)
			(void)decode_tunnel_info(pkt->data, pkt->caplen, p, f->tun);
	}
	if (pl->evid != NULL)
		evid_packet(pl->evid, f, dlt, pkt);
	if (pl->feed != NULL)
		scan_evidence(pl, f, p, dir);
	if (!f->dpi_done && f->dpi != NULL) {
		struct dpi_result res;

		if (dpi_process(pl->dpi, f->dpi, p->l3, p->l3_len, p->ts_us, f->pkts[0] + f->pkts[1],
				p->ip_proto, &res)) {
			finish_flow_dpi(pl, f, &res);
			judge_flow(pl, f, &res, false);
		}
	}
}

int pipeline_capture_cb(void *user, int dlt, const struct capture_pkt *pkt)
{
	pipeline_packet(user, dlt, pkt);
	return 0;
}

void pipeline_stats(struct pipeline *pl, struct mp_stats_record *out)
{
	const struct flow_stats *fs = flow_table_stats(pl->flows);
	const struct supp_stats *ss = supp_table_stats(pl->supp);

	if (pl->pend_head != pl->pend_tail)
		pend_run(pl, pl->pend_tail, true); /* its alert counters are final */
	scan_sync(pl); /* the detector's figures (scan alerts, bounds) then include this pipeline's records */
	*out = pl->st;
	out->ts_us = pl->now_us;
	out->uptime_s = pl->now_us > pl->first_us ? (pl->now_us - pl->first_us) / 1000000u : 0;
	out->flows_total = fs->created;
	out->flows_tcp = fs->tcp;
	out->flows_udp = fs->udp;
	out->flows_icmpv4 = fs->icmpv4;
	out->flows_icmpv6 = fs->icmpv6;
	out->flows_active = fs->active;
	out->flows_timeout = fs->ended_timeout;
	out->flows_evicted = fs->ended_evicted;
	out->flows_emerg_entered = fs->emergency_entered;
	out->flows_emerg_over = fs->emergency_over;
	out->alerts_suppressed = ss->suppressed;
	out->supp_evicted = ss->evicted;
	out->supp_active = ss->active;
	if (pl->evid != NULL) {
		const struct evid_stats *es = evid_get_stats(pl->evid);

		out->evid_written = es->packets_written;
		out->evid_truncated = es->packets_truncated;
		out->evid_other_link = es->packets_other_link;
		out->evid_write_errors = es->write_errors;
		out->evid_files_refused = es->files_refused;
	}
	{
		struct dpi_stats ds;

		dpi_engine_stats(pl->dpi, &ds);
		out->dpi_memcap_refused = ds.memcap_refused + ds.alloc_failed;
		out->dpi_memuse = ds.memuse;
		out->dpi_memuse_peak = ds.memuse_peak;
		out->dpi_memcap = ds.memcap;
		out->dpi_packets = ds.packets;
		out->dpi_clamped = ds.clamped;
		out->dpi_cache_refused = ds.cache_refused;
	}
}

void pipeline_flush(struct pipeline *pl)
{
	if (!pl->cfg.external_clock)
		pipeline_set_pos(pl, pl->key.pos + 1);
	if (pl->pend_head != pl->pend_tail)
		pend_run(pl, pl->pend_tail, true);
	pl->in_sweep = SWEEP_FLUSH;
	flow_flush(pl->flows);
	pl->in_sweep = SWEEP_NONE;
	pl->key.sub = UINT64_MAX; /* nothing more at this position: other workers need not wait for it */
	/* judgments of flows that ended just now, before suppression closes */
	if (pl->pend_head != pl->pend_tail)
		pend_run(pl, pl->pend_tail, true);
	if (pl->feed != NULL) {
		scan_sync(pl);
		sfeed_done(pl->feed, pl->producer);
		if (pl->own_feed)
			sfeed_drain(pl->feed);
	}
	supp_flush(pl->supp);
}

void pipeline_set_source(struct pipeline *pl, const char *name, bool iface)
{
	pl->source = name;
	pl->source_iface = iface;
}

void pipeline_set_rules(struct pipeline *pl, const struct rules *rules)
{
	pl->rules = rules;
}

const struct summary *pipeline_summary(const struct pipeline *pl)
{
	return pl->summary;
}

void pipeline_free(struct pipeline *pl)
{
	if (pl == NULL)
		return;
	pl->quiet_end = true;
	flow_table_free(pl->flows);
	dpi_engine_free(pl->dpi);
	summary_free(pl->summary);
	/* Closing records of suppressed repeats still go out: nothing is silently lost. */
	supp_free(pl->supp);
	evid_free(pl->evid);
	free(pl->pend);
	free(pl->pend_slot);
	free(pl->pend_free);
	if (pl->own_feed)
		/* calls still queued are dropped: the detector may be gone (see pipeline_flush) */
		sfeed_free(pl->feed);
	free(pl);
}
