/* redis.c: the Redis sink (hiredis; RESP commands RPUSH/LPUSH to a list or XADD MAXLEN ~ to a stream,
 * like Suricata's redis output), one EVE JSON document per entry, queued with a sender thread that
 * counts a record as sent only once Redis acknowledged it (sinkq). */
#include "misport/redis_sink.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "misport/config.h"
#include "misport/netconn.h"
#include "misport/now.h"
#include "misport/output.h"
#include "misport/sinkq.h"
#include "modules.h"

int redis_parse_url(const char *url, struct redis_target *t, char *err, size_t errlen)
{
	const char *p, *slash, *colon = NULL, *hend;
	unsigned long port = 6379;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	p = url + 8;
	slash = strchr(p, '/');
	if (slash == NULL)
		goto bad;
	if (p[0] == '[') {
		const char *close = memchr(p, ']', (size_t)(slash - p));

		if (close == NULL || (close[1] != ':' && close + 1 != slash))
			goto bad;
		p++;
		hend = close;
		if (close[1] == ':')
			colon = close + 1;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hend = colon != NULL ? colon : slash;
	}
	if (hend == p || (size_t)(hend - p) >= sizeof(t->host))
		goto bad;
	memcpy(t->host, p, (size_t)(hend - p));
	t->host[hend - p] = '\0';
	if (colon != NULL) {
		port = 0;
		if (colon + 1 == slash || slash - colon > 6)
			goto bad;
		for (const char *c = colon + 1; c < slash; c++) {
			if (*c < '0' || *c > '9')
				goto bad;
			port = port * 10 + (unsigned long)(*c - '0');
		}
		if (port == 0 || port > 65535)
			goto bad;
	}
	t->port = (int)port;
	if (strncmp(slash, "/list/", 6) == 0) {
		t->mode = REDIS_RPUSH;
		p = slash + 6;
	} else if (strncmp(slash, "/stream/", 8) == 0) {
		t->mode = REDIS_XADD;
		p = slash + 8;
	} else {
		goto bad;
	}
	if (p[0] == '\0' || strlen(p) >= sizeof(t->key))
		goto bad;
	memcpy(t->key, p, strlen(p) + 1);
	return 0;
bad:
	snprintf(err, errlen, "'%s': expected redis://HOST[:PORT]/list/KEY or redis://HOST[:PORT]/stream/KEY",
		 url);
	return -1;
}

struct redis_conf {
	struct redis_target t;
	unsigned long long maxlen; /* streams: MAXLEN ~ N; 0 = no trimming */
	int db;                    /* SELECT db when > 0 */
	char password[256];        /* AUTH when set */
	size_t queue, batch;
};

struct redis_sink {
	struct redis_conf conf;
	/* Sender thread only. */
	redisContext *rc;
	const char **argv;
	size_t *argvlen;
	char maxlen_s[24];
	/* Owned; the queue is stopped before the rest is freed. */
	struct sinkq *q;
};

static int parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (s[0] == '\0' || strlen(s) > 19)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Options: mode rpush|lpush (lists), maxlen N (streams; 0 = none), db N, password, queue N, batch N. */
static int redis_parse(const char *target, const struct output_opt *opts, size_t nopts, struct redis_conf *c,
		       char *err, size_t errlen)
{
	char e[256];

	memset(c, 0, sizeof(*c));
	if (redis_parse_url(target, &c->t, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "redis: %s", e);
		return -1;
	}
	c->maxlen = MP_OUT_REDIS_STREAM_MAXLEN;
	for (size_t i = 0; i < nopts; i++) {
		const char *k = opts[i].key, *v = opts[i].value;
		unsigned long long n;
		int rc;

		if (strcmp(k, "mode") == 0) {
			if (c->t.mode == REDIS_XADD)
				goto bad_mode;
			if (strcmp(v, "rpush") == 0)
				c->t.mode = REDIS_RPUSH;
			else if (strcmp(v, "lpush") == 0)
				c->t.mode = REDIS_LPUSH;
			else
				goto bad_mode;
		} else if (strcmp(k, "maxlen") == 0) {
			if (parse_ull(v, 1ull << 40, &c->maxlen) != 0)
				goto bad;
		} else if (strcmp(k, "db") == 0) {
			if (parse_ull(v, 1u << 16, &n) != 0)
				goto bad;
			c->db = (int)n;
		} else if (strcmp(k, "password") == 0) {
			if (v[0] == '\0' || strlen(v) >= sizeof(c->password))
				goto bad;
			memcpy(c->password, v, strlen(v) + 1);
		} else if (strcmp(k, "batch") == 0) {
			if (parse_ull(v, MP_OUT_BATCH_RECORDS, &n) != 0 || n == 0)
				goto bad;
			c->batch = (size_t)n;
		} else if ((rc = net_queue_option(k, v, &c->queue, e, sizeof(e))) != 0) {
			if (rc < 0) {
				snprintf(err, errlen, "redis: %s", e);
				return -1;
			}
		} else {
			snprintf(err, errlen,
				 "redis: unknown option '%s' (known: mode maxlen db password batch queue)",
				 k);
			return -1;
		}
		continue;
	bad:
		snprintf(err, errlen, "redis: %s: bad value '%s'", k, strcmp(k, "password") == 0 ? "..." : v);
		return -1;
	bad_mode:
		snprintf(err, errlen,
			 "redis: mode: '%s': lists take rpush or lpush; a stream always uses XADD", v);
		return -1;
	}
	return 0;
}

static int redis_check(const char *target, const struct output_opt *opts, size_t nopts, char *err,
		       size_t errlen)
{
	struct redis_conf *c = malloc(sizeof(*c));
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "redis: out of memory");
		return -1;
	}
	rc = redis_parse(target, opts, nopts, c, err, errlen);
	free(c);
	return rc;
}

/* ---- transport (sender thread) ----------------------------------------------------------------- */

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000u);
	tv.tv_usec = (suseconds_t)(ms % 1000u) * 1000;
	return tv;
}

static void rd_disconnect(void *ctx)
{
	struct redis_sink *s = ctx;

	if (s->rc != NULL) {
		redisFree(s->rc);
		s->rc = NULL;
	}
}

/* Runs one command and checks for an OK-ish reply; returns 0 or -1 (err). */
static int rd_simple(struct redis_sink *s, int argc, const char **argv, char *err, size_t errlen)
{
	redisReply *r = redisCommandArgv(s->rc, argc, argv, NULL);
	int rc = 0;

	if (r == NULL) {
		snprintf(err, errlen, "%s: %s", argv[0], s->rc->errstr);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "%s: %s", argv[0], r->str);
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

static int rd_connect(void *ctx, uint64_t deadline_ms, char *err, size_t errlen)
{
	struct redis_sink *s = ctx;
	uint64_t now = now_mono_ms();
	struct timeval tv = ms_tv(deadline_ms > now ? deadline_ms - now : 1);

	rd_disconnect(s);
	s->rc = redisConnectWithTimeout(s->conf.t.host, s->conf.t.port, tv);
	if (s->rc == NULL) {
		snprintf(err, errlen, "connect %s:%d: out of memory", s->conf.t.host, s->conf.t.port);
		return -1;
	}
	if (s->rc->err != 0) {
		snprintf(err, errlen, "connect %s:%d: %s", s->conf.t.host, s->conf.t.port, s->rc->errstr);
		return -1;
	}
	tv = ms_tv(MP_OUT_IO_TIMEOUT_MS);
	if (redisSetTimeout(s->rc, tv) != REDIS_OK) {
		snprintf(err, errlen, "set timeout: %s", s->rc->errstr);
		return -1;
	}
	if (s->conf.password[0] != '\0') {
		const char *argv[2] = {"AUTH", s->conf.password};

		if (rd_simple(s, 2, argv, err, errlen) != 0)
			return -1;
	}
	if (s->conf.db > 0) {
		char db[16];
		const char *argv[2] = {"SELECT", db};

		(void)snprintf(db, sizeof(db), "%d", s->conf.db);
		if (rd_simple(s, 2, argv, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int rd_send(void *ctx, struct sinkq_rec *const *recs, size_t n, size_t *done, uint64_t deadline_ms,
		   char *err, size_t errlen)
{
	struct redis_sink *s = ctx;
	redisReply *r;

	(void)deadline_ms; /* bounded by the context's I/O timeout */
	*done = 0;
	if (s->rc == NULL) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	if (s->conf.t.mode != REDIS_XADD) {
		/* One RPUSH/LPUSH with every record of the batch: atomic, one acknowledgement. */
		s->argv[0] = s->conf.t.mode == REDIS_RPUSH ? "RPUSH" : "LPUSH";
		s->argvlen[0] = 5;
		s->argv[1] = s->conf.t.key;
		s->argvlen[1] = strlen(s->conf.t.key);
		for (size_t i = 0; i < n; i++) {
			s->argv[2 + i] = recs[i]->data;
			s->argvlen[2 + i] = recs[i]->len;
		}
		r = redisCommandArgv(s->rc, (int)(n + 2), s->argv, s->argvlen);
		if (r == NULL) {
			snprintf(err, errlen, "%s: %s", s->argv[0], s->rc->errstr);
			return -1;
		}
		if (r->type != REDIS_REPLY_INTEGER) {
			snprintf(err, errlen, "%s: %s", s->argv[0],
				 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
		*done = n;
		return 0;
	}
	/* Streams: n pipelined XADDs, acknowledged one by one in order. */
	for (size_t i = 0; i < n; i++) {
		const char *argv[8];
		size_t argvlen[8];
		int argc = 0;

		argv[argc] = "XADD", argvlen[argc++] = 4;
		argv[argc] = s->conf.t.key, argvlen[argc++] = strlen(s->conf.t.key);
		if (s->conf.maxlen > 0) {
			argv[argc] = "MAXLEN", argvlen[argc++] = 6;
			argv[argc] = "~", argvlen[argc++] = 1;
			argv[argc] = s->maxlen_s, argvlen[argc++] = strlen(s->maxlen_s);
		}
		argv[argc] = "*", argvlen[argc++] = 1;
		argv[argc] = "eve", argvlen[argc++] = 3;
		argv[argc] = recs[i]->data, argvlen[argc++] = recs[i]->len;
		if (redisAppendCommandArgv(s->rc, argc, argv, argvlen) != REDIS_OK) {
			snprintf(err, errlen, "XADD: %s", s->rc->errstr);
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		void *reply = NULL;

		if (redisGetReply(s->rc, &reply) != REDIS_OK || reply == NULL) {
			snprintf(err, errlen, "XADD: %s", s->rc->errstr);
			return -1;
		}
		r = reply;
		if (r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "XADD: %s", r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
		*done = i + 1;
	}
	return 0;
}

static const struct sinkq_ops redis_ops = {
    .connect = rd_connect,
    .send = rd_send,
    .alive = NULL,
    .disconnect = rd_disconnect,
};

/* ---- the sink ---------------------------------------------------------------------------------- */

static void redis_close(void *state);

static int redis_open_opts(const char *target, const struct output_opt *opts, size_t nopts, void **state,
			   char *err, size_t errlen)
{
	struct redis_sink *s = calloc(1, sizeof(*s));
	struct sinkq_config qc;
	char e[256], name[600];
	size_t batch;

	if (s == NULL) {
		snprintf(err, errlen, "redis: out of memory");
		return -1;
	}
	if (redis_parse(target, opts, nopts, &s->conf, err, errlen) != 0)
		goto fail;
	batch = s->conf.batch != 0 ? s->conf.batch : MP_OUT_BATCH_RECORDS;
	s->argv = calloc(batch + 2, sizeof(*s->argv));
	s->argvlen = calloc(batch + 2, sizeof(*s->argvlen));
	if (s->argv == NULL || s->argvlen == NULL) {
		snprintf(err, errlen, "redis: out of memory");
		goto fail;
	}
	(void)snprintf(s->maxlen_s, sizeof(s->maxlen_s), "%llu", s->conf.maxlen);
	memset(&qc, 0, sizeof(qc));
	(void)snprintf(name, sizeof(name), "redis %s", target);
	qc.name = name;
	qc.max_records = s->conf.queue;
	qc.batch = batch;
	if (sinkq_new(&qc, &redis_ops, s, &s->q, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "redis: %s", e);
		goto fail;
	}
	*state = s;
	return 0;
fail:
	redis_close(s);
	return -1;
}

static int redis_open(const char *target, void **state, char *err, size_t errlen)
{
	return redis_open_opts(target, NULL, 0, state, err, errlen);
}

/* The line outputs_emit made, without its newline: one JSON object per list element or stream entry. */
static int redis_write_eve(void *state, const struct mp_event *ev, const char *line, size_t len)
{
	(void)ev;
	return sinkq_push(((struct redis_sink *)state)->q, line, len - 1);
}

static void redis_flush(void *state, uint64_t deadline_ms)
{
	sinkq_stop(((struct redis_sink *)state)->q, deadline_ms);
}

static void redis_stats(void *state, struct output_sink_stats *st)
{
	sinkq_output_stats(((struct redis_sink *)state)->q, st);
}

static void redis_close(void *state)
{
	struct redis_sink *s = state;

	if (s == NULL)
		return;
	sinkq_free(s->q); /* joins the sender, which disconnects */
	rd_disconnect(s);
	free(s->argv);
	free(s->argvlen);
	free(s);
}

const struct output_module output_redis = {
    .name = "redis",
    .help = "EVE JSON to Redis: redis://HOST:PORT/list/KEY (RPUSH/LPUSH) or .../stream/KEY (XADD MAXLEN ~)",
    .open = redis_open,
    .reopen = NULL,
    .close = redis_close,
    .open_opts = redis_open_opts,
    .check = redis_check,
    .flush = redis_flush,
    .stats = redis_stats,
    .write_eve = redis_write_eve,
};
