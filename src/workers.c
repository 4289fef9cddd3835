/* workers.c: single-threaded or sharded multi-threaded pipelines. The reader thread shards every frame
 * by its host addresses, runs shard 0 itself and feeds shards 1..N-1 through single-producer
 * single-consumer byte rings (frames, undecoded or with the reader's decoding), so N workers use N
 * threads. Live, the kernel can shard instead (packet(7) PACKET_FANOUT): each worker thread then reads
 * a socket of its own, and the scan detector's input is merged by the packets' times. */
#include "misport/workers.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "misport/config.h"
#include "misport/decode.h"
#include "misport/dpi.h"
#include "misport/fanout.h"
#include "misport/flow.h"
#include "misport/now.h"
#include "misport/output.h"
#include "misport/scan.h"
#include "misport/scanfeed.h"
#include "misport/spin.h"
#include "misport/summary.h"

/* Ring records are multiples of this many bytes. When the space left before the end of the buffer is
 * too small for a header, both sides skip it without a pad record. */
#define REC_ALIGN 8u

enum rec_type {
	REC_PKT = 1,
	REC_RAW,
	REC_PAD,
	REC_TICK,
	REC_STATS,
	REC_FINISH,
	REC_RULES,
	REC_SOURCE,
	REC_IFACE
};

struct rec {
	uint32_t size; /* whole record, REC_ALIGN multiple */
	uint8_t type;
	uint8_t pad_;
	int16_t dlt; /* link types are below 32768 (decode_link_supported) */
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us; /* packet time, or the time of a control record */
	/* REC_PKT: the reader's clock (latest time of any packet), which the worker adopts */
	uint64_t clock_us;
	uint64_t pos; /* the reader's position of this record (pipeline_set_pos) */
};

_Static_assert(sizeof(struct rec) % REC_ALIGN == 0, "ring record header must be a REC_ALIGN multiple");

/* Positions with kernel fanout. No reader numbers the packets, so each worker makes the positions of its
 * records (scanfeed.h's pos) from the packets' times: bits 17-63 the microseconds since the capture
 * started (plus one), bits 7-16 a count of records within one microsecond, bits 1-6 the worker, so no
 * two workers ever share a position; bit 0 of the word a worker publishes (fan_at) says it is idle.
 * A worker's positions only grow: a packet stamped earlier than its previous record (the kernel does
 * not stamp in order across CPUs) takes the next position after it. */
#define FAN_IDLE      1u
#define FAN_IDX_SHIFT 1
#define FAN_SEQ_ONE   (UINT64_C(1) << 7)
#define FAN_T_SHIFT   17
#define FAN_T_MAX     ((UINT64_C(1) << (64 - FAN_T_SHIFT)) - 1)

_Static_assert(MP_MAX_WORKERS <= 64, "fanout positions hold the worker in six bits");

/* How a fanout worker is told to end (workers.fan_exit). */
enum { FAN_RUN = 0, FAN_EXIT_DRAIN, FAN_EXIT_NOW };

/* A REC_PKT record carries the reader's decoding of the frame after the header, then the frame: the
 * worker does not decode it again. Pointers into the frame travel as offsets from its first byte. A
 * REC_RAW record carries the frame alone, for the worker to decode: the reader sharded it by
 * decode_hosts without decoding it. */
#define NO_OFF UINT32_MAX

struct rec_dec {
	struct mp_packet p;   /* l3 and payload are not valid here: see l3_off, payload_off */
	uint32_t l3_off;      /* p.l3 - frame, or NO_OFF for NULL */
	uint32_t payload_off; /* p.payload - frame, or NO_OFF for NULL */
	uint32_t result;      /* enum mp_decode_result */
	uint32_t pad_;
};

_Static_assert(sizeof(struct rec_dec) % REC_ALIGN == 0, "decoded-packet block must be a REC_ALIGN multiple");

/* Positions are masked with cap - 1, and ring_put waits until a record and the pad before it fit: a ring
 * smaller than twice the largest record (a frame of MP_CAPTURE_SNAPLEN bytes, config.h) would make it
 * wait forever. */
_Static_assert((MP_WORKER_RING_BYTES & (MP_WORKER_RING_BYTES - 1u)) == 0,
	       "the ring's size must be a power of two");
_Static_assert(MP_WORKER_RING_BYTES >=
		   2u * (sizeof(struct rec) + sizeof(struct rec_dec) + MP_CAPTURE_SNAPLEN + REC_ALIGN),
	       "the ring must hold the largest record with the pad before it");

/* Each side caches the other side's position and reloads it only when the cached value says the ring is
 * full (producer) or empty (consumer), so the two cache lines move between cores once per batch rather
 * than once per packet. */
struct ring {
	_Alignas(64) _Atomic uint64_t head; /* consumer position */
	uint64_t tail_seen;                 /* consumer's copy of tail */
	uint64_t empty_sleeps;              /* consumer: sleeps on an empty ring */
	_Alignas(64) _Atomic uint64_t tail; /* producer position */
	uint64_t head_seen;                 /* producer's copy of head */
	uint64_t full_sleeps;               /* producer: sleeps on a full ring */
	_Alignas(64) uint8_t *buf;
	uint64_t cap, mask;
};

struct worker {
	struct workers *w;
	unsigned idx;
	pthread_t thread;
	int started;
	struct pipeline *pl;
	struct ring ring;
	_Alignas(64) _Atomic uint64_t at; /* position of the record the thread works on (wk_bound) */
	struct mp_stats_record snap;      /* filled on REC_STATS */
	_Atomic uint64_t acked;           /* last REC_STATS generation served */
	uint64_t cpu_ns;                  /* the thread's CPU time at the end of its flush */
	/* kernel fanout only; ring is then the inbound queue of the packets other workers hand over (several
	 * producers, serialized by in_lock), and its clock_us field carries the packet's interface */
	struct capture *const *caps; /* its sockets, one per interface (borrowed) */
	pthread_spinlock_t in_lock;
	int in_lock_ready;
	size_t cur_iface;                     /* the interface whose socket it reads now */
	uint64_t forwarded;                   /* packets it handed to their owner */
	_Atomic int sleeping;                 /* set while it may wait in poll: a handover wakes it */
	int evfd;                             /* wakes its poll for a request or the end (owned), or -1 */
	_Alignas(64) _Atomic uint64_t fan_at; /* position of its current record, | FAN_IDLE while idle */
	uint64_t fan_last;                    /* position of its latest record (its thread only) */
	uint64_t req_served;                  /* latest request generation served (its thread only) */
	struct capture_counters kc;           /* its sockets' kernel counters at the latest stats request */
	char err[256];                        /* the read error that stopped it, when failed */
	_Atomic int failed;
};

struct workers {
	unsigned n;
	uint8_t vshard[MP_WORKER_VSHARDS]; /* virtual shard -> worker */
	struct pipeline_config cfg;
	struct pipeline *single; /* n == 1 */
	struct worker *wk;       /* n > 1 */
	/* The locks get cache lines of their own: the fields around them are read on every packet. */
	_Alignas(64) pthread_mutex_t emit_lock;
	_Alignas(64) pthread_spinlock_t scan_lock; /* held briefly, many times per flow: a futex costs more */
	/* The reader's progress (wk_bound): every record before rd_disp is in its ring(s); shard 0, in the
	 * reader's thread, has done every record before rd_done. */
	_Alignas(64) _Atomic uint64_t rd_disp;
	_Atomic uint64_t rd_done;
	uint64_t pos; /* the reader's latest position (reader only) */
	int lock_ready;
	struct scan_detector *scan; /* shared by every worker, NULL when disabled */
	struct scan_feed *feed;     /* n > 1 with scan: the detector's input, merged in capture order */
	uint64_t scan_alerts;       /* scan alerts emitted (under scan_lock) */
	uint64_t stats_gen;
	uint64_t now_us, next_sweep_us;
	uint64_t rd_cpu0_ns; /* the reader thread's CPU time when wk_new returned */
	struct summary *merged;
	int finished;
	/* kernel fanout only (wk_new_fanout) */
	bool fanout;
	size_t ncaps;                   /* sockets per worker: one per interface */
	const char *const *names;       /* the interfaces' names, or NULL (borrowed) */
	uint64_t fan_start_us;          /* time 0 of the positions: when the capture started */
	uint64_t fan_max;               /* packet limit over all workers (0: none) */
	uint32_t fan_seed;              /* fanout_hash's seed, as in the kernel's program */
	_Atomic unsigned fan_read_done; /* workers that have stopped reading their sockets */
	uint32_t req_type;              /* the latest request: REC_STATS or REC_RULES, */
	uint64_t req_arg;               /* its argument (the rules), */
	_Atomic uint64_t req_gen;       /* and its generation, published last */
	_Atomic uint64_t fan_seen;      /* packets taken, counted only with a limit */
	_Atomic int fan_go;             /* set once the threads may read */
	_Atomic int fan_halt;           /* set when the limit is reached or a read failed: nobody reads */
	_Atomic int fan_exit;           /* FAN_RUN, or how the threads are to end */
	struct capture_counters fan_kc; /* kernel counters summed at the latest stats request */
	_Alignas(64) char end_[1];      /* nothing written often shares the line before */
};

/* CPU time of the calling thread in nanoseconds, or 0 when the clock is not available. */
static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bytes of a record: control records are a header alone. */
static uint32_t rec_size(uint32_t type, uint32_t caplen)
{
	size_t body = type == REC_PKT ? sizeof(struct rec_dec) + caplen : type == REC_RAW ? caplen : 0;

	return (uint32_t)((sizeof(struct rec) + body + REC_ALIGN - 1) / REC_ALIGN * REC_ALIGN);
}

static uint32_t off_of(const uint8_t *ptr, const uint8_t *frame)
{
	return ptr != NULL ? (uint32_t)(ptr - frame) : NO_OFF;
}

/* Whether a record of need bytes fits in r now, with the pad before it when the end of the buffer is too
 * short (the producer's side; with in_lock held when several threads produce). */
static bool ring_fits(struct ring *r, uint32_t need)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t contig = r->cap - (tail & r->mask), total = need + (contig < need ? contig : 0);

	if (r->cap - (tail - r->head_seen) >= total)
		return true;
	r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
	return r->cap - (tail - r->head_seen) >= total;
}

/* Appends one record, waiting while the ring is full. Only one thread at a time calls this: the reader,
 * or (kernel fanout) a worker holding the owner's in_lock after ring_fits said the record fits. For REC_PKT,
 * data is the frame and dec its decoding (result res); REC_RAW takes the frame alone; control records
 * use neither. */
static void ring_put(struct ring *r, uint32_t type, int dlt, uint64_t pos, uint64_t ts_us, uint64_t clock_us,
		     const uint8_t *data, uint32_t caplen, uint32_t wirelen, const struct mp_packet *dec,
		     enum mp_decode_result res)
{
	uint32_t need = rec_size(type, caplen);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t off = tail & r->mask, contig = r->cap - off;
	unsigned spins = 0;
	struct rec *h;

	while (!ring_fits(r, need))
		r->full_sleeps += spin_backoff(&spins);
	if (contig < need) { /* a pad record fills the end, the record starts at offset 0 */
		if (contig >= sizeof(struct rec)) {
			h = (struct rec *)(r->buf + off);
			h->size = (uint32_t)contig;
			h->type = REC_PAD;
		}
		tail += contig;
		off = 0;
	}
	h = (struct rec *)(r->buf + off);
	h->size = need;
	h->type = (uint8_t)type;
	h->dlt = (int16_t)dlt;
	h->clock_us = clock_us;
	h->caplen = caplen;
	h->wirelen = wirelen;
	h->ts_us = ts_us;
	h->pos = pos;
	if (type == REC_PKT) {
		struct rec_dec *rd = (struct rec_dec *)(h + 1);

		rd->p = *dec;
		rd->l3_off = off_of(dec->l3, data);
		rd->payload_off = off_of(dec->payload, data);
		rd->result = (uint32_t)res;
		if (caplen > 0)
			memcpy(rd + 1, data, caplen);
	} else if (type == REC_RAW && caplen > 0) {
		memcpy(h + 1, data, caplen);
	}
	atomic_store_explicit(&r->tail, tail + need, memory_order_release);
	/* A hint only: lines the worker still reads are not written, only fetched. */
	for (uint32_t i = 0; i < need; i += 64)
		__builtin_prefetch(r->buf + ((tail + need + MP_WORKER_RING_PREFETCH_AHEAD + i) & r->mask), 1,
				   3);
}

/* The packet of a REC_PKT record h: the frame in *pkt and the sender's decoding in *p, its pointers
 * made again from the offsets; returns the decoding's result. Both point into the ring, valid until the
 * consumer moves past h. */
static enum mp_decode_result rec_packet(const struct rec *h, struct capture_pkt *pkt, struct mp_packet *p)
{
	const struct rec_dec *rd = (const struct rec_dec *)(h + 1);
	const uint8_t *frame = (const uint8_t *)(rd + 1);

	*pkt = (struct capture_pkt){h->ts_us, h->caplen, h->wirelen, frame};
	*p = rd->p;
	p->l3 = rd->l3_off != NO_OFF ? frame + rd->l3_off : NULL;
	p->payload = rd->payload_off != NO_OFF ? frame + rd->payload_off : NULL;
	return (enum mp_decode_result)rd->result;
}

/* The record at the consumer's head of r, at position *headp; the end of the buffer, too short for a
 * header, is passed over. NULL when r is empty. Only the consumer calls this. */
static const struct rec *ring_head(struct ring *r, uint64_t *headp)
{
	for (;;) {
		uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

		if (head == r->tail_seen &&
		    head == (r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire)))
			return NULL;
		if (r->cap - (head & r->mask) < sizeof(struct rec)) {
			atomic_store_explicit(&r->head, head + (r->cap - (head & r->mask)),
					      memory_order_release);
			continue;
		}
		*headp = head;
		return (const struct rec *)(r->buf + (head & r->mask));
	}
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct ring *r = &wk->ring;
	unsigned spins = 0;

	for (;;) {
		uint64_t head;
		const struct rec *h = ring_head(r, &head);

		if (h == NULL) {
			r->empty_sleeps += spin_backoff(&spins);
			continue;
		}
		/* Any record ends a short wait. A wait that has reached the long sleeps is an idle worker,
		 * and only a packet ends it: the tick record an idle live capture sends every second would
		 * start it over at its pauses and shortest sleeps. */
		if (!spin_waited_long(spins) || h->type == REC_PKT || h->type == REC_RAW)
			spins = 0;
		/* The next record, if published in full, is fetched while this one is processed. */
		if (head + h->size + MP_WORKER_RING_PREFETCH_NEXT <= r->tail_seen)
			for (unsigned i = 0; i < MP_WORKER_RING_PREFETCH_NEXT; i += 64)
				__builtin_prefetch(r->buf + ((head + h->size + i) & r->mask), 0, 3);
		if (h->type != REC_PAD) {
			atomic_store_explicit(&wk->at, h->pos, memory_order_release);
			pipeline_set_pos(wk->pl, h->pos);
		}
		switch (h->type) {
		case REC_PKT: {
			struct capture_pkt pkt;
			struct mp_packet p;
			enum mp_decode_result res = rec_packet(h, &pkt, &p);

			pipeline_set_clock(wk->pl, h->clock_us);
			pipeline_packet_decoded(wk->pl, h->dlt, &pkt, res, &p);
			break;
		}
		case REC_RAW: {
			struct capture_pkt pkt = {h->ts_us, h->caplen, h->wirelen, (const uint8_t *)(h + 1)};

			pipeline_set_clock(wk->pl, h->clock_us);
			pipeline_packet(wk->pl, h->dlt, &pkt);
			break;
		}
		case REC_TICK:
			pipeline_tick(wk->pl, h->ts_us);
			break;
		case REC_RULES:
			pipeline_set_rules(wk->pl, (const struct rules *)(uintptr_t)h->ts_us);
			break;
		case REC_SOURCE:
		case REC_IFACE:
			pipeline_set_source(wk->pl, (const char *)(uintptr_t)h->ts_us, h->type == REC_IFACE);
			break;
		case REC_STATS:
			pipeline_stats(wk->pl, &wk->snap);
			atomic_store_explicit(&wk->acked, h->ts_us, memory_order_release);
			break;
		case REC_FINISH:
			pipeline_flush(wk->pl);
			wk->cpu_ns = thread_cpu_ns(); /* read by the reader after it joined the thread */
			dpi_thread_publish();         /* the thread's nDPI memory change, before it ends */
			atomic_store_explicit(&r->head, head + h->size, memory_order_release);
			return NULL;
		default:
			break;
		}
		atomic_store_explicit(&r->head, head + h->size, memory_order_release);
	}
}

/* Scan alerts go straight to the outputs (not through suppression: the window's closing update must
 * not be taken for a repeat). Called with scan_lock held by the worker whose call produced it. */
static void on_scan_alert(const struct mp_alert *a, void *user)
{
	struct workers *w = user;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = a};

	w->scan_alerts++;
	outputs_emit_locked(w->cfg.outputs, &ev, &w->emit_lock);
}

/* Position of the first record in r at or after head h and before t (pad records and skipped ends
 * passed over), or 0 when there is none. The consumer may be past h already: the caller checks. */
static uint64_t ring_peek_pos(const struct ring *r, uint64_t h, uint64_t t)
{
	while (h != t) {
		uint64_t off = h & r->mask;
		const struct rec *rec;

		if (r->cap - off < sizeof(struct rec)) {
			h += r->cap - off;
			continue;
		}
		rec = (const struct rec *)(r->buf + off);
		if (rec->type != REC_PAD)
			return rec->pos;
		h += rec->size;
	}
	return 0;
}

/* The first fanout position of worker idx at time t_us (see FAN_T_SHIFT). */
static uint64_t fan_key(const struct workers *w, unsigned idx, uint64_t t_us)
{
	uint64_t t = (t_us > w->fan_start_us ? t_us - w->fan_start_us : 0) + 1;

	if (t > FAN_T_MAX)
		t = FAN_T_MAX;
	return (t << FAN_T_SHIFT) | ((uint64_t)idx << FAN_IDX_SHIFT);
}

/* The scan feed's bound of fanout worker i: the position of the record it works on, which it publishes
 * before starting it. An idle worker (in poll, its sockets empty) can next get a packet stamped up to
 * MP_FANOUT_ORDER_LAG_MS ago, so its bound is raised here to that time, or to the furthest position of
 * another worker when that is further (after the wall clock stepped back, positions run ahead of it),
 * by whichever thread asks; the worker takes the raised value as the floor of its next positions when it
 * wakes (fan_idle_end). The idle bit and the position share one word, so a raise never lands after the
 * worker woke. */
static uint64_t fan_bound(struct workers *w, unsigned i)
{
	_Atomic uint64_t *at = &w->wk[i].fan_at;
	uint64_t v = atomic_load_explicit(at, memory_order_acquire), want;

	if (!(v & FAN_IDLE))
		return v;
	want = fan_key(w, i, now_wall_us() - (uint64_t)MP_FANOUT_ORDER_LAG_MS * 1000u) | FAN_IDLE;
	for (unsigned j = 0; j < w->n; j++) {
		/* worker j's microsecond and count, as a position of worker i's */
		uint64_t o =
		    (atomic_load_explicit(&w->wk[j].fan_at, memory_order_relaxed) & ~(FAN_SEQ_ONE - 1)) |
		    ((uint64_t)i << FAN_IDX_SHIFT) | FAN_IDLE;

		if (j != i && o > want)
			want = o;
	}
	while (want > v) {
		if (atomic_compare_exchange_weak_explicit(at, &v, want, memory_order_acq_rel,
							  memory_order_acquire))
			return want & ~(uint64_t)FAN_IDLE;
		if (!(v & FAN_IDLE))
			return v;
	}
	return v & ~(uint64_t)FAN_IDLE;
}

/* Gives the worker's next record its position (after its latest, and at least t_us's), publishes it and
 * hands it to the pipeline. */
static void fan_next_pos(struct worker *wk, uint64_t t_us)
{
	uint64_t k = fan_key(wk->w, wk->idx, t_us);

	if (k <= wk->fan_last)
		k = wk->fan_last + FAN_SEQ_ONE;
	wk->fan_last = k;
	atomic_store_explicit(&wk->fan_at, k, memory_order_release);
	pipeline_set_pos(wk->pl, k);
}

/* The worker is about to wait with its sockets empty: every call it made is submitted, and its next
 * record comes after its latest and no earlier than the lag behind the wall clock. */
static void fan_idle_begin(struct worker *wk)
{
	uint64_t b = fan_key(wk->w, wk->idx, now_wall_us() - (uint64_t)MP_FANOUT_ORDER_LAG_MS * 1000u);

	if (b <= wk->fan_last)
		b = wk->fan_last + FAN_SEQ_ONE;
	atomic_store_explicit(&wk->fan_at, b | FAN_IDLE, memory_order_release);
}

/* The worker woke: it clears its idle bit, after which nobody raises its bound, and starts its next
 * positions at the bound that others may have seen. */
static void fan_idle_end(struct worker *wk)
{
	uint64_t v = atomic_load_explicit(&wk->fan_at, memory_order_acquire);

	while (!atomic_compare_exchange_weak_explicit(&wk->fan_at, &v, v & ~(uint64_t)FAN_IDLE,
						      memory_order_acq_rel, memory_order_acquire))
		;
	v &= ~(uint64_t)FAN_IDLE;
	if (v >= FAN_SEQ_ONE && v - FAN_SEQ_ONE > wk->fan_last)
		wk->fan_last = v - FAN_SEQ_ONE;
}

/* Empties the worker's eventfd after a wake-up. */
static void fan_clear_wake(struct worker *wk)
{
	uint64_t v;

	if (read(wk->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
}

static void fan_wake(struct worker *wk)
{
	uint64_t one = 1;

	if (write(wk->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return;
}

/* Runs up to MP_LIVE_BATCH packets that other workers handed over. Returns how many. */
static int fan_drain_inbound(struct worker *wk)
{
	struct workers *w = wk->w;
	struct ring *r = &wk->ring;
	int got = 0;

	if (r->buf == NULL)
		return 0;
	while (got < MP_LIVE_BATCH) {
		uint64_t head;
		const struct rec *h = ring_head(r, &head);

		if (h == NULL)
			break;
		if (h->type == REC_PKT) { /* the rest are pads */
			struct capture_pkt pkt;
			struct mp_packet p;
			enum mp_decode_result res = rec_packet(h, &pkt, &p);

			if (w->names != NULL)
				pipeline_set_source(wk->pl, w->names[h->clock_us], true);
			fan_next_pos(wk, h->ts_us);
			pipeline_packet_decoded(wk->pl, h->dlt, &pkt, res, &p);
			got++;
		}
		atomic_store_explicit(&r->head, head + h->size, memory_order_release);
	}
	if (got > 0 && w->names != NULL)
		pipeline_set_source(wk->pl, w->names[wk->cur_iface], true);
	return got;
}

/* One step of a wait for another worker: the worker waits as an idle one, so that its place in the scan
 * detector's order holds nobody up (fan_bound may raise it meanwhile). */
static void fan_wait_step(struct worker *wk, unsigned *spins)
{
	fan_idle_begin(wk);
	spin_backoff(spins);
	fan_idle_end(wk);
}

/* Hands a decoded packet to worker `to`, its owner. While the owner's queue is full it runs its own
 * queue meanwhile (two workers handing packets to each other must not wait for each other), and
 * otherwise waits as an idle worker (fan_wait_step). */
static void fan_forward(struct worker *wk, struct worker *to, int dlt, const struct capture_pkt *pkt,
			const struct mp_packet *p, enum mp_decode_result r)
{
	uint32_t need = rec_size(REC_PKT, pkt->caplen);
	unsigned spins = 0;

	for (;;) {
		pthread_spin_lock(&to->in_lock);
		if (ring_fits(&to->ring, need)) {
			ring_put(&to->ring, REC_PKT, dlt, 0, pkt->ts_us, wk->cur_iface, pkt->data,
				 pkt->caplen, pkt->wirelen, p, r);
			pthread_spin_unlock(&to->in_lock);
			break;
		}
		pthread_spin_unlock(&to->in_lock);
		if (fan_drain_inbound(wk) == 0)
			fan_wait_step(wk, &spins);
	}
	wk->forwarded++;
	/* The owner sets `sleeping`, then looks at its queue once more before poll; this side published the
	 * record, then clears it. Both exchange the one variable, so either the owner's look finds the
	 * record (it read this side's exchange) or this side finds it set and wakes it. */
	if (atomic_exchange_explicit(&to->sleeping, 0, memory_order_acq_rel))
		fan_wake(to);
}

/* capture_cb of a fanout worker: the packet is decoded, and run here when this worker owns its host
 * pair (fanout_hash of the addresses decode_packet found, inside any tunnel), else handed over. */
static int fan_cb(void *user, int dlt, const struct capture_pkt *pkt)
{
	struct worker *wk = user;
	struct workers *w = wk->w;
	struct mp_packet p;
	enum mp_decode_result r;
	unsigned owner = wk->idx;

	if (w->fan_max != 0 &&
	    atomic_fetch_add_explicit(&w->fan_seen, 1, memory_order_relaxed) >= w->fan_max) {
		atomic_store_explicit(&w->fan_halt, 1, memory_order_release);
		return 1;
	}
	r = decode_packet(dlt, pkt->data, pkt->caplen, pkt->wirelen, &p);
	if (w->n > 1 && (r == MP_DEC_OK || r == MP_DEC_SKIP_FRAGMENT))
		owner = fanout_hash(fanout_fold(p.src), fanout_fold(p.dst), w->fan_seed) % w->n;
	if (owner != wk->idx) {
		fan_forward(wk, &w->wk[owner], dlt, pkt, &p, r);
		return 0;
	}
	fan_next_pos(wk, pkt->ts_us);
	pipeline_packet_decoded(wk->pl, dlt, pkt, r, &p);
	return 0;
}

/* Reads a batch from each of the worker's sockets. Returns the packets read; a read error halts every
 * worker, and is kept in wk->err. */
static int fan_read(struct worker *wk)
{
	struct workers *w = wk->w;
	int got = 0;

	for (size_t k = 0; k < w->ncaps; k++) {
		int r;

		wk->cur_iface = k;
		if (w->names != NULL)
			pipeline_set_source(wk->pl, w->names[k], true);
		r = capture_read_ready(wk->caps[k], fan_cb, wk, MP_LIVE_BATCH, wk->err, sizeof(wk->err));
		if (r < 0) {
			atomic_store_explicit(&wk->failed, 1, memory_order_release);
			atomic_store_explicit(&w->fan_halt, 1, memory_order_release);
			break;
		}
		got += r;
	}
	return got + fan_drain_inbound(wk);
}

/* Kernel counters summed over the worker's sockets, read in its own thread (libpcap handles are not
 * shared between threads). */
static void fan_counters(struct worker *wk, struct capture_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t k = 0; k < wk->w->ncaps; k++) {
		struct capture_counters c;

		if (capture_counters(wk->caps[k], &c) == 0) {
			sum->received += c.received;
			sum->dropped += c.dropped;
			sum->ifdropped += c.ifdropped;
		}
	}
}

/* Serves the latest request of the controlling thread (fan_request), once. */
static void fan_serve(struct worker *wk)
{
	struct workers *w = wk->w;
	uint64_t gen = atomic_load_explicit(&w->req_gen, memory_order_acquire);

	if (gen == wk->req_served)
		return;
	wk->req_served = gen;
	if (w->req_type == REC_STATS) {
		pipeline_stats(wk->pl, &wk->snap);
		fan_counters(wk, &wk->kc);
	} else if (w->req_type == REC_RULES) {
		pipeline_set_rules(wk->pl, (const struct rules *)(uintptr_t)w->req_arg);
	}
	atomic_store_explicit(&wk->acked, gen, memory_order_release);
}

/* Whether no handed-over packet waits for the worker (its own thread). */
static bool fan_inbound_empty(struct worker *wk)
{
	uint64_t head;

	return wk->ring.buf == NULL || ring_head(&wk->ring, &head) == NULL;
}

/* A fanout worker thread: reads its sockets, runs its pipeline on what they deliver, ticks it from the
 * wall clock, serves requests, and at the end reads for MP_LIVE_DRAIN_MS more (FAN_EXIT_DRAIN) before
 * it ends its flows. */
static void *fan_main(void *arg)
{
	struct worker *wk = arg;
	struct workers *w = wk->w;
	struct pollfd pfd[MP_MAX_INTERFACES + 1];
	uint64_t drain_until = 0;
	size_t nfd = w->ncaps + 1;

	for (size_t k = 0; k < w->ncaps; k++) {
		pfd[k].fd = capture_fd(wk->caps[k]);
		pfd[k].events = POLLIN;
	}
	pfd[w->ncaps].fd = wk->evfd;
	pfd[w->ncaps].events = POLLIN;
	while (!atomic_load_explicit(&w->fan_go, memory_order_acquire) &&
	       atomic_load_explicit(&w->fan_exit, memory_order_acquire) == FAN_RUN) {
		(void)poll(&pfd[w->ncaps], 1, MP_LIVE_POLL_MS);
		fan_clear_wake(wk);
	}
	fan_idle_end(wk);
	for (;;) {
		int ex = atomic_load_explicit(&w->fan_exit, memory_order_acquire), got = 0, timeout;
		bool halted = atomic_load_explicit(&w->fan_halt, memory_order_acquire);

		fan_serve(wk);
		if (ex != FAN_RUN && drain_until == 0)
			drain_until = ex == FAN_EXIT_DRAIN ? now_mono_ms() + MP_LIVE_DRAIN_MS : 1;
		if (!halted && atomic_load_explicit(&w->fan_go, memory_order_acquire))
			got = fan_read(wk);
		fan_next_pos(wk, 0);
		pipeline_tick(wk->pl, now_wall_us());
		if (got > 0)
			continue;
		timeout = MP_LIVE_POLL_MS;
		if (drain_until != 0) {
			uint64_t now = now_mono_ms();

			if (now >= drain_until || halted)
				break;
			timeout = (int)(drain_until - now);
		}
		pipeline_idle(wk->pl);
		fan_idle_begin(wk);
		(void)atomic_exchange_explicit(&wk->sleeping, 1, memory_order_acq_rel); /* see fan_forward */
		if (!fan_inbound_empty(wk)) {
			atomic_store_explicit(&wk->sleeping, 0, memory_order_relaxed);
			fan_idle_end(wk);
			continue;
		}
		wk->ring.empty_sleeps++;
		(void)poll(pfd, (nfds_t)nfd, timeout);
		atomic_store_explicit(&wk->sleeping, 0, memory_order_relaxed);
		if (pfd[w->ncaps].revents & POLLIN)
			fan_clear_wake(wk);
		fan_idle_end(wk);
	}
	/* Its sockets are done with; others may still hand it packets until they are done with theirs. */
	atomic_fetch_add_explicit(&w->fan_read_done, 1, memory_order_acq_rel);
	for (unsigned spins = 0;;) {
		bool all = atomic_load_explicit(&w->fan_read_done, memory_order_acquire) == w->n;

		fan_serve(wk);
		while (fan_drain_inbound(wk) > 0)
			;
		if (all) /* every handover happened before the count reached n: the queue is empty now */
			break;
		fan_wait_step(wk, &spins);
	}
	fan_next_pos(wk, 0);
	pipeline_flush(wk->pl);
	fan_counters(wk, &wk->kc);
	wk->cpu_ns = thread_cpu_ns(); /* read by the controlling thread after it joined this one */
	dpi_thread_publish();
	return NULL;
}

/* Makes a request of every fanout worker and waits until all have served it. Only the controlling
 * thread calls this, one request at a time. */
static void fan_request(struct workers *w, uint32_t type, uint64_t arg)
{
	uint64_t gen = ++w->stats_gen;

	w->req_type = type;
	w->req_arg = arg;
	atomic_store_explicit(&w->req_gen, gen, memory_order_release);
	for (unsigned i = 0; i < w->n; i++)
		fan_wake(&w->wk[i]);
	for (unsigned i = 0; i < w->n; i++) {
		unsigned spins = 0;

		while (atomic_load_explicit(&w->wk[i].acked, memory_order_acquire) != gen)
			spin_backoff(&spins);
	}
}

/* The scan feed's bound of producer i (scanfeed.h): a position below which i submits nothing more.
 * Shard 0 runs in the reader's thread: rd_done. A threaded worker has done every record before the one
 * at the head of its ring (the one it works on, or waits to start); with an empty ring, its next record
 * is one the reader has not dispatched yet: rd_disp, loaded first, as every record before it was in the
 * ring by then. The record at the head is read only while the head stays put: until the worker moves
 * past it, the reader does not overwrite it. A head that moved meanwhile gives the worker's own `at`
 * (a smaller bound, which only delays). */
static uint64_t wk_bound(void *ctx, unsigned i)
{
	struct workers *w = ctx;
	struct ring *r;
	uint64_t next, h, t, pos;

	if (w->fanout)
		return fan_bound(w, i);
	if (i == 0)
		return atomic_load_explicit(&w->rd_done, memory_order_acquire);
	next = atomic_load_explicit(&w->rd_disp, memory_order_acquire);
	r = &w->wk[i].ring;
	h = atomic_load_explicit(&r->head, memory_order_acquire);
	t = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (h == t)
		return next;
	pos = ring_peek_pos(r, h, t);
	if (pos != 0 && atomic_load_explicit(&r->head, memory_order_acquire) == h)
		return pos;
	return atomic_load_explicit(&w->wk[i].at, memory_order_acquire);
}

/* Zeroed memory starting on a cache line: the structures here align their members written by one thread
 * and read by another to 64 bytes, which holds only if the block itself is aligned (calloc gives 16). */
static void *cache_aligned_calloc(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	bytes = (n * size + 63u) / 64u * 64u;
	p = aligned_alloc(64, bytes);
	if (p != NULL)
		memset(p, 0, bytes);
	return p;
}

/* Deals the virtual shards out to the workers. The reader's own shard (worker 0) gets a smaller share
 * because the reader also reads and dispatches every packet. */
static void init_vshards(struct workers *w)
{
	const unsigned pct = MP_WORKER_READER_SHARE_PCT;
	unsigned n0, k = 0;

	if (w->n <= 1) {
		memset(w->vshard, 0, sizeof(w->vshard));
		return;
	}
	/* worker 0 weighs pct/100 of a worker */
	n0 = (unsigned)((uint64_t)MP_WORKER_VSHARDS * pct / (pct + 100u * (w->n - 1)));
	for (unsigned i = 0; i < MP_WORKER_VSHARDS; i++)
		w->vshard[i] = (uint8_t)(i < n0 ? 0 : 1 + (k++ % (w->n - 1)));
}

/* The part of wk_new and wk_new_fanout before any thread starts: n pipelines, and with the reader's
 * sharding (fanout false) the rings of workers 1..n-1. */
static int wk_alloc(const struct pipeline_config *cfg, unsigned n, bool fanout, struct workers **out,
		    char *err, size_t errlen)
{
	struct workers *w;
	struct pipeline_config base;

	*out = NULL;
	if (n == 0 || n > MP_MAX_WORKERS) {
		snprintf(err, errlen, "--workers must be 1..%u", MP_MAX_WORKERS);
		return -1;
	}
	w = cache_aligned_calloc(1, sizeof(*w));
	if (w == NULL)
		goto oom;
	w->n = n;
	w->fanout = fanout;
	init_vshards(w);
	w->cfg = *cfg;
	if (pthread_mutex_init(&w->emit_lock, NULL) != 0)
		goto oom;
	if (pthread_spin_init(&w->scan_lock, PTHREAD_PROCESS_PRIVATE) != 0) {
		pthread_mutex_destroy(&w->emit_lock);
		goto oom;
	}
	w->lock_ready = 1;
	if (cfg->scan_config != NULL &&
	    scan_new(cfg->scan_config, on_scan_alert, w, &w->scan, err, errlen) != 0)
		goto fail;
	base = *cfg;
	base.scan = w->scan;
	if (n == 1 && !fanout) {
		if (pipeline_new(&base, &w->single, err, errlen) != 0)
			goto fail;
		*out = w;
		return 0;
	}
	w->wk = cache_aligned_calloc(n, sizeof(*w->wk));
	if (w->wk == NULL)
		goto oom;
	for (unsigned i = 0; i < n; i++)
		w->wk[i].evfd = -1;
	if (w->scan != NULL && sfeed_new(n, MP_SCAN_FEED_QUEUE, (void *)(uintptr_t)&w->scan_lock, wk_bound, w,
					 sfeed_apply_scan, w->scan, &w->feed, err, errlen) != 0)
		goto fail;
	for (unsigned i = 0; i < n; i++) {
		struct worker *wk = &w->wk[i];
		struct pipeline_config pc = base;

		pc.external_clock = true;
		pc.emit_lock = &w->emit_lock;
		pc.feed = w->feed;
		pc.worker = i;
		/* The flow table cap is shared out so the total stays what was asked for. */
		pc.max_flows = (cfg->max_flows != 0 ? cfg->max_flows : MP_FLOW_MAX_DEFAULT) / n;
		if (pc.max_flows == 0)
			pc.max_flows = 1;
		wk->w = w;
		wk->idx = i;
		atomic_init(&wk->fan_at, FAN_IDLE); /* a fanout worker is idle until its first packet */
		/* Shard 0 runs in the reader's thread and needs no ring; fanout workers each have one for the
		 * packets others hand over. */
		if (fanout ? n > 1 : i > 0) {
			wk->ring.cap = MP_WORKER_RING_BYTES;
			wk->ring.mask = wk->ring.cap - 1;
			wk->ring.buf = aligned_alloc(64, wk->ring.cap);
			if (wk->ring.buf == NULL)
				goto oom;
			/* Every page touched now: the first pass over the ring then takes no page faults
			 * (each a trap to the hypervisor in a VM) while packets wait. */
			memset(wk->ring.buf, 0, wk->ring.cap);
		}
		if (pipeline_new(&pc, &wk->pl, err, errlen) != 0)
			goto fail;
	}
	*out = w;
	return 0;
oom:
	snprintf(err, errlen, "workers: out of memory");
fail:
	wk_free(w);
	return -1;
}

int wk_new(const struct pipeline_config *cfg, unsigned n, struct workers **out, char *err, size_t errlen)
{
	struct workers *w;
	char name[16]; /* a thread name holds 15 bytes and the NUL */

	*out = NULL;
	if (wk_alloc(cfg, n, false, &w, err, errlen) != 0)
		return -1;
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&w->wk[i].thread, NULL, worker_main, &w->wk[i]) != 0) {
			snprintf(err, errlen, "cannot start worker thread %u", i);
			goto fail;
		}
		w->wk[i].started = 1;
		/* "misport-w1" ... in top -H, ps -L and perf: a failure only loses the name */
		snprintf(name, sizeof(name), "misport-w%u", i & 0xffu); /* i < MP_MAX_WORKERS */
		(void)pthread_setname_np(w->wk[i].thread, name);
	}
	w->rd_cpu0_ns = thread_cpu_ns();
	*out = w;
	return 0;
fail:
	wk_free(w);
	return -1;
}

int wk_new_fanout(const struct pipeline_config *cfg, unsigned n, struct capture *const *caps, size_t ncaps,
		  const char *const *names, uint64_t max_packets, struct workers **out, char *err,
		  size_t errlen)
{
	struct workers *w;
	sigset_t all, old;
	char name[16];

	*out = NULL;
	if (ncaps == 0 || ncaps > MP_MAX_INTERFACES) {
		snprintf(err, errlen, "kernel fanout: 1..%d interfaces", MP_MAX_INTERFACES);
		return -1;
	}
	if (wk_alloc(cfg, n, true, &w, err, errlen) != 0)
		return -1;
	w->ncaps = ncaps;
	w->names = names;
	w->fan_max = max_packets;
	w->fan_seed = fanout_seed32(cfg->seed);
	for (unsigned i = 0; i < n; i++) {
		w->wk[i].caps = caps + (size_t)i * ncaps;
		if (pthread_spin_init(&w->wk[i].in_lock, PTHREAD_PROCESS_PRIVATE) != 0) {
			snprintf(err, errlen, "workers: cannot make a lock");
			goto fail;
		}
		w->wk[i].in_lock_ready = 1;
		if ((w->wk[i].evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
			snprintf(err, errlen, "eventfd: %s", strerror(errno));
			goto fail;
		}
	}
	/* Signals go to the controlling thread, whose loop acts on them: the workers block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&w->wk[i].thread, NULL, fan_main, &w->wk[i]) != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			snprintf(err, errlen, "cannot start worker thread %u", i);
			goto fail;
		}
		w->wk[i].started = 1;
		snprintf(name, sizeof(name), "misport-w%u", i & 0xffu); /* i < MP_MAX_WORKERS */
		(void)pthread_setname_np(w->wk[i].thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*out = w;
	return 0;
fail:
	wk_free(w);
	return -1;
}

bool wk_is_fanout(const struct workers *w)
{
	return w->fanout;
}

void wk_fanout_go(struct workers *w, uint64_t start_us)
{
	w->fan_start_us = start_us;
	atomic_store_explicit(&w->fan_go, 1, memory_order_release);
	for (unsigned i = 0; i < w->n; i++)
		fan_wake(&w->wk[i]);
}

int wk_fanout_state(struct workers *w, char *err, size_t errlen)
{
	if (!atomic_load_explicit(&w->fan_halt, memory_order_acquire))
		return 0;
	for (unsigned i = 0; i < w->n; i++)
		if (atomic_load_explicit(&w->wk[i].failed, memory_order_acquire)) {
			snprintf(err, errlen, "%s", w->wk[i].err);
			return 1;
		}
	return 2;
}

int wk_parse_cpus(const char *s, unsigned *cpus, size_t max, char *err, size_t errlen)
{
	const char *p = s;
	size_t n = 0;

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "an empty CPU list");
		return -1;
	}
	for (;;) {
		unsigned long first, last;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto syntax;
		errno = 0;
		first = strtoul(p, &end, 10);
		if (errno != 0 || first >= CPU_SETSIZE)
			goto range;
		last = first;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto syntax;
			last = strtoul(p, &end, 10);
			if (errno != 0 || last >= CPU_SETSIZE)
				goto range;
			if (last < first) {
				snprintf(err, errlen, "'%s': the range %lu-%lu runs backwards", s, first,
					 last);
				return -1;
			}
			p = end;
		}
		for (unsigned long c = first; c <= last; c++)
			if (n < max)
				cpus[n++] = (unsigned)c;
		if (*p == '\0')
			return (int)n;
		if (*p != ',')
			goto syntax;
		p++;
	}
syntax:
	snprintf(err, errlen, "'%s' is not a CPU list (numbers and ranges such as 0,2-3)", s);
	return -1;
range:
	snprintf(err, errlen, "'%s': CPU numbers go up to %d", s, CPU_SETSIZE - 1);
	return -1;
}

int wk_cpus_usable(const unsigned *cpus, size_t ncpus, char *err, size_t errlen)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		snprintf(err, errlen, "cannot read the CPUs this process may use: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ncpus; i++)
		if (!CPU_ISSET(cpus[i], &allowed)) {
			snprintf(err, errlen,
				 "CPU %u is not one this process may use (%d online, %d allowed)", cpus[i],
				 (int)sysconf(_SC_NPROCESSORS_ONLN), CPU_COUNT(&allowed));
			return -1;
		}
	return 0;
}

/* Binds thread t to cpu alone. Returns 0, or -1 with err naming who and the CPU. */
static int pin_thread(pthread_t t, const char *who, unsigned cpu, char *err, size_t errlen)
{
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(t, sizeof(set), &set);
	if (rc == 0)
		return 0;
	if (rc == EINVAL)
		snprintf(err, errlen,
			 "cannot run %s on CPU %u: no such CPU, offline, or outside the CPUs this "
			 "process may use",
			 who, cpu);
	else
		snprintf(err, errlen, "cannot run %s on CPU %u: %s", who, cpu, strerror(rc));
	return -1;
}

int wk_pin_cpus(struct workers *w, const unsigned *cpus, size_t ncpus, char *err, size_t errlen)
{
	char who[32];

	if (ncpus == 0) {
		snprintf(err, errlen, "no CPU to run on");
		return -1;
	}
	if (w->fanout) { /* every worker is a thread; the controlling thread stays where it is */
		for (unsigned i = 0; i < w->n; i++) {
			snprintf(who, sizeof(who), "worker %u", i);
			if (pin_thread(w->wk[i].thread, who, cpus[i % ncpus], err, errlen) != 0)
				return -1;
		}
		return 0;
	}
	if (pin_thread(pthread_self(), w->n > 1 ? "the reader and worker 0" : "the pipeline", cpus[0], err,
		       errlen) != 0)
		return -1;
	for (unsigned i = 1; i < w->n; i++) {
		snprintf(who, sizeof(who), "worker %u", i);
		if (pin_thread(w->wk[i].thread, who, cpus[i % ncpus], err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Shard of a decoded frame: the symmetric hash of its two host addresses and VLAN id (flow_vshard), so
 * both directions and every flow between two hosts land in the same worker. Undecodable frames go to
 * worker 0, which counts them. */
static unsigned shard_of(const struct workers *w, enum mp_decode_result r, const struct mp_packet *p)
{
	if (r != MP_DEC_OK && r != MP_DEC_SKIP_FRAGMENT)
		return 0;
	return w->vshard[flow_vshard(p->src, p->dst, p->vlan, w->cfg.seed)];
}

/* Sends a control record to every threaded worker and performs it on shard 0 at once. */
static void broadcast(struct workers *w, uint32_t type, uint64_t ts)
{
	uint64_t pos = ++w->pos;

	for (unsigned i = 1; i < w->n; i++)
		ring_put(&w->wk[i].ring, type, 0, pos, ts, 0, NULL, 0, 0, NULL, MP_DEC_OK);
	atomic_store_explicit(&w->rd_disp, pos + 1, memory_order_release);
	pipeline_set_pos(w->wk[0].pl, pos);
	switch (type) {
	case REC_TICK:
		pipeline_tick(w->wk[0].pl, ts);
		break;
	case REC_STATS:
		pipeline_stats(w->wk[0].pl, &w->wk[0].snap);
		atomic_store_explicit(&w->wk[0].acked, ts, memory_order_relaxed);
		break;
	case REC_FINISH:
		pipeline_flush(w->wk[0].pl);
		break;
	case REC_RULES:
		pipeline_set_rules(w->wk[0].pl, (const struct rules *)(uintptr_t)ts);
		break;
	case REC_SOURCE:
	case REC_IFACE:
		pipeline_set_source(w->wk[0].pl, (const char *)(uintptr_t)ts, type == REC_IFACE);
		break;
	default:
		break;
	}
	atomic_store_explicit(&w->rd_done, pos + 1, memory_order_release);
}

void wk_packet(struct workers *w, int dlt, const struct capture_pkt *pkt)
{
	if (w->single != NULL) {
		pipeline_packet(w->single, dlt, pkt);
		return;
	}
	struct mp_packet p;
	enum mp_decode_result r = MP_DEC_OK; /* set whenever p is */
	uint8_t src[16], dst[16];
	uint16_t vlan;
	unsigned s;
	uint64_t pos;
	bool fast;

	/* Replicate the single pipeline's sweep schedule so expiry is the same for any n. */
	if (pkt->ts_us > w->now_us)
		w->now_us = pkt->ts_us;
	if (w->now_us >= w->next_sweep_us) {
		broadcast(w, REC_TICK, w->now_us);
		w->next_sweep_us = w->now_us + (uint64_t)MP_FLOW_SWEEP_INTERVAL * 1000000u;
	}
	/* Most frames are sharded from their addresses alone, and those of other workers travel undecoded:
	 * the worker decodes them, which spreads the decoding over the threads and keeps records short. A
	 * frame whose addresses decode_hosts gives but which decode_packet finds malformed is counted by
	 * whichever worker gets it; the counters are summed. */
	pos = ++w->pos;
	fast = decode_hosts(dlt, pkt->data, pkt->caplen, src, dst, &vlan);
	s = fast ? w->vshard[flow_vshard(src, dst, vlan, w->cfg.seed)] : 0;
	if (!fast || s == 0) {
		r = decode_packet(dlt, pkt->data, pkt->caplen, pkt->wirelen, &p);
		if (!fast)
			s = shard_of(w, r, &p);
	}
	if (s == 0) {
		atomic_store_explicit(&w->rd_disp, pos + 1, memory_order_release);
		pipeline_set_pos(w->wk[0].pl, pos);
		pipeline_set_clock(w->wk[0].pl, w->now_us);
		pipeline_packet_decoded(w->wk[0].pl, dlt, pkt, r, &p); /* decoded once */
	} else {
		/* decoded once: by the worker (REC_RAW), or here, the decoding travelling along (REC_PKT) */
		ring_put(&w->wk[s].ring, fast ? REC_RAW : REC_PKT, dlt, pos, pkt->ts_us, w->now_us, pkt->data,
			 pkt->caplen, pkt->wirelen, fast ? NULL : &p, r);
		atomic_store_explicit(&w->rd_disp, pos + 1, memory_order_release);
	}
	atomic_store_explicit(&w->rd_done, pos + 1, memory_order_release);
}

int wk_capture_cb(void *user, int dlt, const struct capture_pkt *pkt)
{
	wk_packet(user, dlt, pkt);
	return 0;
}

void wk_tick(struct workers *w, uint64_t now_us)
{
	if (w->single != NULL) {
		pipeline_tick(w->single, now_us);
		outputs_idle(w->cfg.outputs, NULL);
		return;
	}
	if (w->fanout) { /* the workers tick themselves */
		outputs_idle(w->cfg.outputs, &w->emit_lock);
		return;
	}
	if (now_us > w->now_us)
		w->now_us = now_us;
	if (w->now_us >= w->next_sweep_us) {
		broadcast(w, REC_TICK, w->now_us);
		w->next_sweep_us = w->now_us + (uint64_t)MP_FLOW_SWEEP_INTERVAL * 1000000u;
	}
	outputs_idle(w->cfg.outputs, &w->emit_lock);
}

static void stats_add(struct mp_stats_record *d, const struct mp_stats_record *s)
{
	if (s->ts_us > d->ts_us)
		d->ts_us = s->ts_us;
	if (s->uptime_s > d->uptime_s)
		d->uptime_s = s->uptime_s;
	d->pkts += s->pkts;
	d->bytes += s->bytes;
	for (int i = 0; i < MP_DEC_RESULT_COUNT; i++)
		d->decoded[i] += s->decoded[i];
	d->invalid += s->invalid;
	d->ipv4 += s->ipv4;
	d->ipv6 += s->ipv6;
	d->tcp += s->tcp;
	d->udp += s->udp;
	d->icmpv4 += s->icmpv4;
	d->icmpv6 += s->icmpv6;
	d->link_ethernet += s->link_ethernet;
	d->link_sll += s->link_sll;
	d->link_sll2 += s->link_sll2;
	d->link_null += s->link_null;
	d->link_raw += s->link_raw;
	d->vlan += s->vlan;
	for (int i = 0; i < MP_TUN_COUNT; i++)
		d->tunnel[i] += s->tunnel[i];
	d->flows_total += s->flows_total;
	d->flows_tcp += s->flows_tcp;
	d->flows_udp += s->flows_udp;
	d->flows_icmpv4 += s->flows_icmpv4;
	d->flows_icmpv6 += s->flows_icmpv6;
	d->flows_active += s->flows_active;
	d->flows_timeout += s->flows_timeout;
	d->flows_evicted += s->flows_evicted;
	d->flows_emerg_entered += s->flows_emerg_entered;
	d->flows_emerg_over += s->flows_emerg_over;
	d->alerts += s->alerts;
	d->alerts_suppressed += s->alerts_suppressed;
	for (int i = 0; i < MP_VERDICT_COUNT; i++)
		d->alerts_verdict[i] += s->alerts_verdict[i];
	d->supp_evicted += s->supp_evicted;
	d->supp_active += s->supp_active;
	d->evid_written += s->evid_written;
	d->evid_truncated += s->evid_truncated;
	d->evid_other_link += s->evid_other_link;
	d->evid_write_errors += s->evid_write_errors;
	d->evid_files_refused += s->evid_files_refused;
	d->dpi_packets += s->dpi_packets;
	d->dpi_clamped += s->dpi_clamped;
	d->dpi_cache_refused += s->dpi_cache_refused;
	d->dpi_memcap_refused += s->dpi_memcap_refused;
	/* nDPI's memory figures are process-wide already: not summed. */
	if (s->dpi_memuse > d->dpi_memuse)
		d->dpi_memuse = s->dpi_memuse;
	if (s->dpi_memuse_peak > d->dpi_memuse_peak)
		d->dpi_memuse_peak = s->dpi_memuse_peak;
	if (s->dpi_memcap > d->dpi_memcap)
		d->dpi_memcap = s->dpi_memcap;
}

/* Collects a consistent snapshot of every worker's counters (they answer in ring order). */
static void collect(struct workers *w, struct mp_stats_record *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (w->fanout) {
		if (!w->finished)
			fan_request(w, REC_STATS, 0);
		memset(&w->fan_kc, 0, sizeof(w->fan_kc));
		for (unsigned i = 0; i < w->n; i++) {
			if (w->finished)
				pipeline_stats(w->wk[i].pl, &w->wk[i].snap);
			stats_add(sum, &w->wk[i].snap);
			w->fan_kc.received += w->wk[i].kc.received;
			w->fan_kc.dropped += w->wk[i].kc.dropped;
			w->fan_kc.ifdropped += w->wk[i].kc.ifdropped;
		}
		return;
	}
	w->stats_gen++;
	if (!w->finished)
		broadcast(w, REC_STATS, w->stats_gen);
	for (unsigned i = 0; i < w->n; i++) {
		unsigned spins = 0;

		if (!w->finished)
			while (atomic_load_explicit(&w->wk[i].acked, memory_order_acquire) != w->stats_gen)
				spin_backoff(&spins);
		else
			pipeline_stats(w->wk[i].pl, &w->wk[i].snap);
		stats_add(sum, &w->wk[i].snap);
	}
}

static void emit_sum(struct workers *w, struct mp_stats_record *st, const struct capture_counters *kernel)
{
	struct mp_event ev;

	if (kernel != NULL) {
		st->have_capture = true;
		st->kernel_packets = kernel->received;
		st->kernel_drops = kernel->dropped;
		st->kernel_ifdrops = kernel->ifdropped;
	}
	if (st->ts_us == 0) /* nothing read yet (an empty capture): stamp the record with the wall clock */
		st->ts_us = now_wall_us();
	ev.type = MP_EV_STATS;
	ev.u.stats = st;
	spin_lock_mutex(&w->emit_lock);
	st->output_dropped = outputs_dropped(w->cfg.outputs);
	outputs_emit(w->cfg.outputs, &ev);
	pthread_mutex_unlock(&w->emit_lock);
}

void wk_set_source(struct workers *w, const char *name, bool iface)
{
	if (w->single != NULL) {
		pipeline_set_source(w->single, name, iface);
		return;
	}
	if (!w->finished &&
	    !w->fanout) /* fanout workers name each socket's packets themselves */ /* in ring order: packets
										      before it keep the
										      previous source */
		broadcast(w, iface ? REC_IFACE : REC_SOURCE, (uint64_t)(uintptr_t)name);
}

int wk_reopen_outputs(struct workers *w, char *err, size_t errlen)
{
	int rc;

	if (w->single != NULL)
		return outputs_reopen(w->cfg.outputs, err, errlen);
	spin_lock_mutex(&w->emit_lock);
	rc = outputs_reopen(w->cfg.outputs, err, errlen);
	pthread_mutex_unlock(&w->emit_lock);
	return rc;
}

void wk_set_rules(struct workers *w, const struct rules *rules)
{
	struct mp_stats_record ignored;

	if (w->single != NULL) {
		pipeline_set_rules(w->single, rules);
		return;
	}
	if (w->finished)
		return;
	if (w->fanout) { /* every worker has switched when fan_request returns */
		fan_request(w, REC_RULES, (uint64_t)(uintptr_t)rules);
		return;
	}
	broadcast(w, REC_RULES, (uint64_t)(uintptr_t)rules);
	collect(w, &ignored); /* rings are in order: a stats answer means the switch is done */
}

/* Sums every worker's counters and the scan detector's alerts. */
static void snapshot(struct workers *w, struct mp_stats_record *st)
{
	if (w->single != NULL)
		pipeline_stats(w->single, st);
	else {
		collect(w, st);
		if (w->feed != NULL && !w->finished && !w->fanout) {
			/* every worker is past the stats record: what they queued before it goes in first */
			struct sfeed_key k = {w->pos, 0};

			sfeed_wait(w->feed, 0, k, k);
		}
	}
	pthread_spin_lock(&w->scan_lock);
	st->alerts += w->scan_alerts;
	st->alerts_scan = w->scan_alerts;
	if (w->scan != NULL) {
		const struct scan_stats *ss = scan_get_stats(w->scan);

		st->scan_evicted = ss->sources_evicted + ss->sources_evicted_mem;
		st->scan_overflow = ss->targets_overflow + ss->pairs_overflow + ss->ports_overflow +
				    ss->contacts_overflow + ss->mismatches_overflow;
		st->scan_memuse = ss->mem_bytes;
		st->scan_contacts_replaced = ss->contact_pairs_replaced;
	}
	pthread_spin_unlock(&w->scan_lock);
}

void wk_emit_stats(struct workers *w, const struct capture_counters *kernel)
{
	struct mp_stats_record st;

	snapshot(w, &st);
	emit_sum(w, &st, kernel == NULL && w->fanout ? &w->fan_kc : kernel);
}

/* Ends the fanout threads: with drain, each first reads what its sockets hold for MP_LIVE_DRAIN_MS. */
static void fan_stop(struct workers *w, bool drain)
{
	atomic_store_explicit(&w->fan_exit, drain ? FAN_EXIT_DRAIN : FAN_EXIT_NOW, memory_order_release);
	for (unsigned i = 0; i < w->n; i++)
		if (w->wk[i].evfd >= 0)
			fan_wake(&w->wk[i]);
	for (unsigned i = 0; i < w->n; i++)
		if (w->wk[i].started) {
			pthread_join(w->wk[i].thread, NULL);
			w->wk[i].started = 0;
		}
	w->finished = 1;
}

void wk_stop(struct workers *w, bool drain)
{
	if (w->fanout && !w->finished)
		fan_stop(w, drain);
}

static void stop_threads(struct workers *w)
{
	if (w->finished)
		return;
	if (w->fanout) {
		fan_stop(w, false);
		return;
	}
	/* Every worker's clock to the reader's before the flush, so what the flush emits carries the
	 * time one worker would give it (the latest packet), not the worker's last tick. */
	if (w->now_us != 0)
		broadcast(w, REC_TICK, w->now_us);
	broadcast(w, REC_FINISH, 0);
	w->wk[0].cpu_ns = thread_cpu_ns() - w->rd_cpu0_ns; /* worker 0's flush is done: the reader's part */
	for (unsigned i = 0; i < w->n; i++)
		if (w->wk[i].started) {
			pthread_join(w->wk[i].thread, NULL);
			w->wk[i].started = 0;
		}
	w->finished = 1;
}

void wk_finish(struct workers *w, const struct capture_counters *kernel)
{
	struct mp_stats_record st;

	if (w->single != NULL)
		pipeline_flush(w->single);
	else {
		stop_threads(w);
		if (w->feed != NULL)
			sfeed_drain(w->feed); /* every worker has ended: what is queued goes in, in order */
	}
	if (w->scan != NULL) {
		pthread_spin_lock(&w->scan_lock);
		scan_flush(w->scan);
		pthread_spin_unlock(&w->scan_lock);
	}
	snapshot(w, &st);
	emit_sum(w, &st, kernel);
}

int wk_worker_stats(const struct workers *w, unsigned i, struct wk_worker_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (i >= w->n || !(w->single != NULL || w->finished))
		return -1;
	if (w->single != NULL) { /* one worker: the caller's thread ran everything */
		struct mp_stats_record r;

		pipeline_stats(w->single, &r);
		st->pkts = r.pkts;
		st->flows = r.flows_total;
		return 0;
	}
	st->pkts = w->wk[i].snap.pkts;
	st->flows = w->wk[i].snap.flows_total;
	st->cpu_ns = w->wk[i].cpu_ns;
	st->forwarded = w->wk[i].forwarded;
	if (i == 0 && !w->fanout)
		for (unsigned j = 1; j < w->n; j++)
			st->sleeps += w->wk[j].ring.full_sleeps;
	else
		st->sleeps = w->wk[i].ring.empty_sleeps;
	return 0;
}

/* The table of wk_print_summary: how the packets and the CPU time were spread over the threads. */
static void print_workers(const struct workers *w, FILE *fp)
{
	struct wk_worker_stats ws[MP_MAX_WORKERS];
	uint64_t total = 0;

	for (unsigned i = 0; i < w->n; i++) {
		(void)wk_worker_stats(w, i, &ws[i]);
		total += ws[i].pkts;
	}
	if (w->fanout)
		fprintf(fp, "\n  workers: %u (each reads its own socket; the kernel shards by host pair)\n",
			w->n);
	else
		fprintf(
		    fp,
		    "\n  workers: %u (worker 0 runs in the reader thread, which also reads and dispatches "
		    "every packet)\n",
		    w->n);
	fprintf(fp, "  %-6s %12s %7s %10s %9s %8s%s\n", "worker", "packets", "share", "flows", "cpu s",
		"sleeps", w->fanout ? "    handed" : "");
	fprintf(fp, "  %-6s %12s %7s %10s %9s %8s%s\n", "------", "------------", "-------", "----------",
		"---------", "--------", w->fanout ? "  --------" : "");
	for (unsigned i = 0; i < w->n; i++) {
		fprintf(fp, "  %-6u %12" PRIu64 " %6.1f%% %10" PRIu64 " %9.3f %8" PRIu64, i, ws[i].pkts,
			total != 0 ? 100.0 * (double)ws[i].pkts / (double)total : 0.0, ws[i].flows,
			(double)ws[i].cpu_ns / 1e9, ws[i].sleeps);
		if (w->fanout)
			fprintf(fp, "  %8" PRIu64, ws[i].forwarded);
		fputc('\n', fp);
	}
}

void wk_print_summary(struct workers *w, FILE *fp)
{
	struct mp_stats_record st;

	if (w->single == NULL && w->merged == NULL && (w->merged = summary_new()) != NULL)
		for (unsigned i = 0; i < w->n; i++)
			summary_merge(w->merged, pipeline_summary(w->wk[i].pl));
	snapshot(w, &st);
	if (w->single != NULL)
		summary_print(pipeline_summary(w->single), &st, fp);
	else if (w->merged != NULL)
		summary_print(w->merged, &st, fp);
	if (w->single == NULL)
		print_workers(w, fp);
	if (w->scan != NULL)
		scan_print_summary(w->scan, fp);
}

void wk_free(struct workers *w)
{
	if (w == NULL)
		return;
	pipeline_free(w->single);
	if (w->wk != NULL) {
		/* Threads that started need their rings alive until they stop. */
		int any = 0;
		for (unsigned i = 0; i < w->n; i++)
			any |= w->wk[i].started;
		if (any)
			stop_threads(w);
		for (unsigned i = 0; i < w->n; i++) {
			pipeline_free(w->wk[i].pl);
			free(w->wk[i].ring.buf);
			if (w->wk[i].evfd >= 0)
				close(w->wk[i].evfd);
			if (w->wk[i].in_lock_ready)
				pthread_spin_destroy(&w->wk[i].in_lock);
		}
		free(w->wk);
	}
	sfeed_free(w->feed);
	summary_free(w->merged);
	scan_free(w->scan);
	if (w->lock_ready) {
		pthread_mutex_destroy(&w->emit_lock);
		pthread_spin_destroy(&w->scan_lock);
	}
	free(w);
}
