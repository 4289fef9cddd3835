/* eve_socket.c: the EVE sink to a Unix socket (Suricata's unix_stream/unix_dgram filetypes): one EVE
 * JSON line per event, newline-terminated, queued with a sender thread that reconnects (sinkq). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"
#include "misport/netconn.h"
#include "misport/output.h"
#include "misport/sinkq.h"
#include "modules.h"

struct eve_socket {
	struct net_target target;
	struct netconn *conn; /* owned */
	struct sinkq *q;      /* owned */
};

/* Target unix:PATH (stream, or datagram when the receiver's socket is one), unix-stream:PATH,
 * unix-dgram:PATH; option queue=N. */
static int es_parse(const char *target, const struct output_opt *opts, size_t nopts, struct net_target *t,
		    size_t *queue, char *err, size_t errlen)
{
	char e[256];

	if (net_parse_target(target, NET_ALLOW_UNIX, t, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "eve: %s", e);
		return -1;
	}
	for (size_t i = 0; i < nopts; i++) {
		int rc = net_queue_option(opts[i].key, opts[i].value, queue, e, sizeof(e));

		if (rc < 0) {
			snprintf(err, errlen, "eve: %s", e);
			return -1;
		}
		if (rc == 0) {
			snprintf(err, errlen, "eve: unknown option '%s' for a socket (known: queue)",
				 opts[i].key);
			return -1;
		}
	}
	return 0;
}

static int es_check(const char *target, const struct output_opt *opts, size_t nopts, char *err, size_t errlen)
{
	struct net_target *t = malloc(sizeof(*t));
	size_t queue = 0;
	int rc;

	if (t == NULL) {
		snprintf(err, errlen, "eve: out of memory");
		return -1;
	}
	rc = es_parse(target, opts, nopts, t, &queue, err, errlen);
	free(t);
	return rc;
}

static void es_close(void *state);

static int es_open_opts(const char *target, const struct output_opt *opts, size_t nopts, void **state,
			char *err, size_t errlen)
{
	struct eve_socket *s = calloc(1, sizeof(*s));
	struct sinkq_config qc;
	char e[256], name[300];

	if (s == NULL) {
		snprintf(err, errlen, "eve: out of memory");
		return -1;
	}
	memset(&qc, 0, sizeof(qc));
	if (es_parse(target, opts, nopts, &s->target, &qc.max_records, err, errlen) != 0)
		goto fail;
	if (netconn_new(&s->target, &s->conn, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "eve: %s: %s", target, e);
		goto fail;
	}
	(void)snprintf(name, sizeof(name), "eve %s", target);
	qc.name = name;
	if (sinkq_new(&qc, &netconn_sinkq_ops, s->conn, &s->q, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "eve: %s", e);
		goto fail;
	}
	*state = s;
	return 0;
fail:
	es_close(s);
	return -1;
}

static int es_open(const char *target, void **state, char *err, size_t errlen)
{
	return es_open_opts(target, NULL, 0, state, err, errlen);
}

/* The line outputs_emit made: queued as it is, newline included (the receiver reads lines). */
static int es_write_eve(void *state, const struct mp_event *ev, const char *line, size_t len)
{
	(void)ev;
	return sinkq_push(((struct eve_socket *)state)->q, line, len);
}

static void es_flush(void *state, uint64_t deadline_ms)
{
	sinkq_stop(((struct eve_socket *)state)->q, deadline_ms);
}

static void es_stats(void *state, struct output_sink_stats *st)
{
	sinkq_output_stats(((struct eve_socket *)state)->q, st);
}

static void es_close(void *state)
{
	struct eve_socket *s = state;

	if (s == NULL)
		return;
	sinkq_free(s->q);
	netconn_free(s->conn);
	free(s);
}

const struct output_module output_eve_socket = {
    .name = "eve-socket",
    .help = "EVE JSON lines to a Unix socket: unix:PATH, unix-stream:PATH or unix-dgram:PATH",
    .open = es_open,
    .reopen = NULL,
    .close = es_close,
    .open_opts = es_open_opts,
    .check = es_check,
    .flush = es_flush,
    .stats = es_stats,
    .write_eve = es_write_eve,
};
