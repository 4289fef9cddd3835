/* sinkq.c: bounded record queue + sender thread for network sinks (drop-on-full, reconnect with
 * exponential backoff, bounded flush at exit); see include/misport/sinkq.h. */
#include "misport/sinkq.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misport/config.h"
#include "misport/log.h"
#include "misport/now.h"
#include "misport/output.h"

struct sinkq {
	/* Set at creation, read-only afterwards. */
	char *name;
	const struct sinkq_ops *ops;
	void *ctx;
	size_t max_records, max_bytes, batch;
	unsigned backoff_min, backoff_max, io_timeout;
	bool quiet;
	pthread_t thread;
	bool thread_started;

	/* Everything below is guarded by mu. The producer (capture thread) only appends at the tail;
	 * only the sender removes from the head, so records it has taken pointers to stay put. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sinkq_rec **ring; /* max_records slots */
	size_t head, count;
	size_t bytes;
	bool stopping;     /* sinkq_stop called: drain until empty or deadline */
	bool stopped;      /* thread joined */
	uint64_t deadline; /* when stopping */
	struct sinkq_stats st;
};

/* Waits on q->cv (mu held) until woken or until the monotonic time until_ms. */
static void wait_until(struct sinkq *q, uint64_t until_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(until_ms / 1000u);
	ts.tv_nsec = (long)(until_ms % 1000u) * 1000000L;
	(void)pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Removes n records from the head (mu held); returns them through out for freeing outside the lock. */
static void pop_n(struct sinkq *q, size_t n, struct sinkq_rec **out)
{
	for (size_t i = 0; i < n; i++) {
		struct sinkq_rec *r = q->ring[q->head];

		q->ring[q->head] = NULL;
		q->head = (q->head + 1) % q->max_records;
		q->count--;
		q->bytes -= r->len;
		out[i] = r;
	}
}

/* Marks the start of an outage (the first failure since deliveries last worked) and logs it once. */
static void outage_begin(struct sinkq *q, bool *outage, const char *what, const char *err)
{
	if (!*outage && !q->quiet)
		log_warnx("output %s: %s%s%s; retrying with backoff, events are queued up to %zu", q->name,
			  what, err[0] != '\0' ? ": " : "", err, q->max_records);
	*outage = true;
}

static void *sender_main(void *arg)
{
	struct sinkq *q = arg;
	struct sinkq_rec **batch = calloc(q->batch, sizeof(*batch));
	char err[256];
	bool connected = false, outage = false;
	unsigned backoff = q->backoff_min;
	uint64_t next_attempt = 0, outage_failures = 0;

	pthread_mutex_lock(&q->mu);
	if (batch == NULL) {
		/* Without a batch array nothing can be sent; everything queued will count as dropped at
		 * exit. */
		while (!q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
	}
	while (batch != NULL) {
		uint64_t now = now_mono_ms(), io_deadline;
		size_t n, done = 0;
		int rc;

		if (q->stopping && (q->count == 0 || now >= q->deadline))
			break;
		io_deadline = now + q->io_timeout;
		if (q->stopping)
			io_deadline = min_u64(io_deadline, q->deadline);
		/* Connect eagerly, even with nothing to send, so that a receiver that is down or
		 * misconfigured is reported at start and the first events do not wait for a handshake. */
		if (!connected) {
			if (now < next_attempt) {
				wait_until(q,
					   q->stopping ? min_u64(next_attempt, q->deadline) : next_attempt);
				continue;
			}
			pthread_mutex_unlock(&q->mu);
			err[0] = '\0';
			rc = q->ops->connect(q->ctx, io_deadline, err, sizeof(err));
			if (rc != 0)
				q->ops->disconnect(q->ctx);
			pthread_mutex_lock(&q->mu);
			if (rc != 0) {
				q->st.connect_failures++;
				outage_failures++;
				outage_begin(q, &outage, "cannot connect", err);
				next_attempt = now_mono_ms() + backoff;
				backoff = backoff * 2 > q->backoff_max ? q->backoff_max : backoff * 2;
				continue;
			}
			connected = true;
			q->st.connected = true;
			if (q->st.connects++ > 0)
				q->st.reconnects++;
			continue;
		}
		if (q->count == 0) {
			pthread_cond_wait(&q->cv, &q->mu);
			continue;
		}
		if (q->ops->alive != NULL) {
			bool alive;

			pthread_mutex_unlock(&q->mu);
			alive = q->ops->alive(q->ctx);
			if (!alive)
				q->ops->disconnect(q->ctx);
			pthread_mutex_lock(&q->mu);
			if (!alive) {
				/* The receiver closed (or, for UDP, an ICMP error is pending): reconnect now,
				 * or after the backoff when this keeps happening. */
				connected = false;
				q->st.connected = false;
				outage_failures++;
				outage_begin(q, &outage, "receiver went away", "");
				next_attempt = outage_failures > 1 ? now_mono_ms() + backoff : 0;
				if (outage_failures > 1)
					backoff = backoff * 2 > q->backoff_max ? q->backoff_max : backoff * 2;
				continue;
			}
		}
		n = q->count < q->batch ? q->count : q->batch;
		for (size_t i = 0; i < n; i++)
			batch[i] = q->ring[(q->head + i) % q->max_records];
		pthread_mutex_unlock(&q->mu);
		err[0] = '\0';
		rc = q->ops->send(q->ctx, batch, n, &done, io_deadline, err, sizeof(err));
		if (done > n)
			done = n;
		if (rc != 0)
			q->ops->disconnect(q->ctx);
		pthread_mutex_lock(&q->mu);
		pop_n(q, done, batch);
		q->st.sent += done;
		if (rc != 0) {
			connected = false;
			q->st.connected = false;
			q->st.send_failures++;
			outage_failures++;
			outage_begin(q, &outage, "connection broke", err);
			next_attempt = now_mono_ms() + backoff;
			backoff = backoff * 2 > q->backoff_max ? q->backoff_max : backoff * 2;
		} else if (outage) {
			/* Deliveries work again: the outage is over. */
			if (!q->quiet)
				log_warnx("output %s: delivering again after %llu failed attempts; %zu "
					  "events queued",
					  q->name, (unsigned long long)outage_failures, q->count);
			outage = false;
			outage_failures = 0;
			backoff = q->backoff_min;
		} else {
			backoff = q->backoff_min;
		}
		pthread_mutex_unlock(&q->mu);
		for (size_t i = 0; i < done; i++)
			free(batch[i]);
		pthread_mutex_lock(&q->mu);
	}
	/* Stopping: whatever is left could not be delivered in time. */
	q->st.dropped_exit += q->count;
	while (q->count > 0) {
		struct sinkq_rec *r;

		pop_n(q, 1, &r);
		free(r);
	}
	q->st.connected = false;
	pthread_mutex_unlock(&q->mu);
	q->ops->disconnect(q->ctx);
	free(batch);
	return NULL;
}

int sinkq_new(const struct sinkq_config *cfg, const struct sinkq_ops *ops, void *ctx, struct sinkq **out,
	      char *err, size_t errlen)
{
	struct sinkq *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (q == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	q->name = strdup(cfg->name != NULL ? cfg->name : "sink");
	q->ops = ops;
	q->ctx = ctx;
	q->max_records = cfg->max_records != 0 ? cfg->max_records : MP_OUT_QUEUE_RECORDS;
	q->max_bytes = cfg->max_bytes != 0 ? cfg->max_bytes : MP_OUT_QUEUE_BYTES;
	q->batch = cfg->batch != 0 ? cfg->batch : MP_OUT_BATCH_RECORDS;
	q->backoff_min = cfg->backoff_min_ms != 0 ? cfg->backoff_min_ms : MP_OUT_BACKOFF_MIN_MS;
	q->backoff_max = cfg->backoff_max_ms != 0 ? cfg->backoff_max_ms : MP_OUT_BACKOFF_MAX_MS;
	q->io_timeout = cfg->io_timeout_ms != 0 ? cfg->io_timeout_ms : MP_OUT_IO_TIMEOUT_MS;
	q->quiet = cfg->quiet;
	q->ring = calloc(q->max_records, sizeof(*q->ring));
	if (q->name == NULL || q->ring == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* The sender thread takes no signals: SIGINT/TERM/HUP/USR1 stay with the capture thread's loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&q->thread, NULL, sender_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	q->thread_started = true;
	*out = q;
	return 0;
fail:
	free(q->ring);
	free(q->name);
	free(q);
	return -1;
}

int sinkq_push2(struct sinkq *q, const void *a, size_t alen, const void *b, size_t blen)
{
	size_t len = alen + blen;
	struct sinkq_rec *r;

	/* The copy is made outside the lock so that the sender is never held up by it. */
	r = malloc(sizeof(*r) + len);
	if (r == NULL) {
		pthread_mutex_lock(&q->mu);
		q->st.dropped_full++;
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	r->len = len;
	if (alen > 0)
		memcpy(r->data, a, alen);
	if (blen > 0)
		memcpy(r->data + alen, b, blen);
	pthread_mutex_lock(&q->mu);
	if (q->stopping || q->count >= q->max_records || q->bytes + len > q->max_bytes) {
		q->st.dropped_full++;
		pthread_mutex_unlock(&q->mu);
		free(r);
		return -1;
	}
	q->ring[(q->head + q->count) % q->max_records] = r;
	q->count++;
	q->bytes += len;
	q->st.accepted++;
	if (q->count > q->st.peak)
		q->st.peak = q->count;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

int sinkq_push(struct sinkq *q, const void *data, size_t len)
{
	return sinkq_push2(q, data, len, NULL, 0);
}

void sinkq_stop(struct sinkq *q, uint64_t deadline_ms)
{
	pthread_mutex_lock(&q->mu);
	if (q->stopped) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	q->stopping = true;
	q->deadline = deadline_ms;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (q->thread_started)
		pthread_join(q->thread, NULL);
	pthread_mutex_lock(&q->mu);
	q->stopped = true;
	pthread_mutex_unlock(&q->mu);
}

void sinkq_get_stats(struct sinkq *q, struct sinkq_stats *st)
{
	pthread_mutex_lock(&q->mu);
	*st = q->st;
	st->queued = q->count;
	st->queued_bytes = q->bytes;
	pthread_mutex_unlock(&q->mu);
}

void sinkq_output_stats(struct sinkq *q, struct output_sink_stats *st)
{
	struct sinkq_stats s;

	sinkq_get_stats(q, &s);
	st->queued = true;
	st->sent = s.sent;
	st->dropped_full = s.dropped_full;
	st->dropped_exit = s.dropped_exit;
	st->queue_len = s.queued;
	st->queue_peak = s.peak;
	st->reconnects = s.reconnects;
	st->connect_failures = s.connect_failures;
	st->send_failures = s.send_failures;
	st->connected = s.connected;
}

void sinkq_free(struct sinkq *q)
{
	if (q == NULL)
		return;
	sinkq_stop(q, now_mono_ms());
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q->name);
	free(q);
}
