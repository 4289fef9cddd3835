/* fast.c: one human-readable line per alert, in the layout of Suricata's fast.log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misport/output.h"
#include "modules.h"

struct fast_state {
	FILE *fp;
	char *path;
};

static int fast_open(const char *target, void **state, char *err, size_t errlen)
{
	struct fast_state *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "fast: out of memory");
		return -1;
	}
	if (strcmp(target, "-") == 0) {
		s->fp = stdout;
	} else {
		s->path = strdup(target);
		s->fp = fopen(target, "a");
		if (s->path == NULL || s->fp == NULL) {
			snprintf(err, errlen, "fast: %s: %s", target, strerror(errno));
			if (s->fp != NULL)
				fclose(s->fp);
			free(s->path);
			free(s);
			return -1;
		}
	}
	*state = s;
	return 0;
}

static int fast_write(void *state, const struct mp_event *ev)
{
	struct fast_state *s = state;
	const struct mp_alert *a;
	char ts[40], src[64], dst[64], p[8];
	const char *verdict, *tunnel;
	int n;

	if (ev->type != MP_EV_ALERT)
		return 0;
	a = ev->u.alert;
	eve_timestamp(a->ts_us, ts, sizeof(ts));
	eve_addr(a->family, a->src_ip, src, sizeof(src));
	eve_addr(a->family, a->dst_ip, dst, sizeof(dst));
	verdict = alert_meta_get(a, "verdict");
	tunnel = alert_meta_get(a, "tunnel"); /* the most specific kind of a tunnelled flow */
	if (a->ip_proto == 6 || a->ip_proto == 17)
		n = fprintf(s->fp,
			    "%.26s  [**] [1:%u:1] %s [**] [Classification: %s] [Priority: %d] {%s} %s:%u -> "
			    "%s:%u%s%s%s%s\n",
			    ts, a->signature_id, a->signature, a->category, a->severity,
			    eve_proto_name(a->ip_proto, p, sizeof(p)), src, a->src_port, dst, a->dst_port,
			    verdict != NULL ? " verdict=" : "", verdict != NULL ? verdict : "",
			    tunnel != NULL ? " tunnel=" : "", tunnel != NULL ? tunnel : "");
	else
		n = fprintf(s->fp,
			    "%.26s  [**] [1:%u:1] %s [**] [Classification: %s] [Priority: %d] {%s} %s -> "
			    "%s%s%s%s%s\n",
			    ts, a->signature_id, a->signature, a->category, a->severity,
			    eve_proto_name(a->ip_proto, p, sizeof(p)), src, dst,
			    verdict != NULL ? " verdict=" : "", verdict != NULL ? verdict : "",
			    tunnel != NULL ? " tunnel=" : "", tunnel != NULL ? tunnel : "");
	if (n < 0)
		return -1;
	(void)fflush(s->fp);
	return 0;
}

static int fast_reopen(void *state, char *err, size_t errlen)
{
	struct fast_state *s = state;
	FILE *fp;

	if (s->path == NULL)
		return 0;
	fp = fopen(s->path, "a");
	if (fp == NULL) {
		snprintf(err, errlen, "fast: reopen %s: %s", s->path, strerror(errno));
		return -1;
	}
	fclose(s->fp);
	s->fp = fp;
	return 0;
}

static void fast_close(void *state)
{
	struct fast_state *s = state;

	if (s == NULL)
		return;
	if (s->fp != stdout)
		fclose(s->fp);
	else
		(void)fflush(stdout);
	free(s->path);
	free(s);
}

const struct output_module output_fast = {
    .name = "fast",
    .help = "one line per alert (Suricata fast.log layout) to a file or '-' for stdout",
    .open = fast_open,
    .write = fast_write,
    .reopen = fast_reopen,
    .close = fast_close,
};
