/* test_output.c: the fan-out of events to sinks (output.c) and the EVE file sink's buffering. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/config.h"
#include "misport/output.h"

/* An alert from 10.1.2.3:1234 to 10.3.2.1:3098/tcp, numbered i in its signature and flow id. */
static void alert_with(struct mp_alert *a, int i)
{
	memset(a, 0, sizeof(*a));
	a->ts_us = 1700000000000000ull + (uint64_t)i;
	a->flow_id = (uint64_t)i + 1;
	a->family = 4;
	a->ip_proto = 6;
	inet_pton(AF_INET, "10.1.2.3", a->src_ip);
	inet_pton(AF_INET, "10.3.2.1", a->dst_ip);
	a->src_port = 1234;
	a->dst_port = 3098;
	a->signature_id = 1000;
	a->severity = 2;
	snprintf(a->signature, sizeof(a->signature), "event %d", i);
	snprintf(a->category, sizeof(a->category), "Potentially Bad Traffic");
	alert_meta_add(a, "verdict", "port-mismatch");
}

/* A fresh path in the temporary directory; the caller removes the file. */
static void temp_path(char *path, size_t cap, const char *tag)
{
	snprintf(path, cap, "/tmp/misport-test-output-%s-%d.json", tag, (int)getpid());
	unlink(path);
}

/* The file's contents as the file system has them now (not what a stream still buffers), NUL-terminated;
 * *len gets the byte count. The caller frees the result. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(fp, "%s", path);
	cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	cr_assert_geq(n, 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static size_t count_lines(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *l = s; *l != '\0';) {
		const char *e = strchr(l, '\n');

		cr_assert_not_null(e, "an unterminated line: %.60s", l);
		if (needle == NULL || memmem(l, (size_t)(e - l), needle, strlen(needle)) != NULL)
			n++;
		l = e + 1;
	}
	return n;
}

/* An alert waits in the EVE file's buffer (a run with many alerts makes few system calls) until the
 * capture loop's outputs_idle, or a stats record, pushes it out. */
Test(output, eve_file_lines_wait_for_idle_or_stats)
{
	struct outputs *o = outputs_new();
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};
	struct mp_stats_record st;
	struct mp_event sev = {.type = MP_EV_STATS, .u.stats = &st};
	char path[128], err[256], *data;
	size_t len;

	temp_path(path, sizeof(path), "idle");
	cr_assert_eq(outputs_add(o, "eve", path, MP_EVMASK_ALL, err, sizeof(err)), 0, "%s", err);
	alert_with(&a, 1);
	outputs_emit(o, &ev);
	data = slurp(path, &len);
	cr_assert_eq(len, 0, "the alert reached the file at once: %s", data);
	free(data);

	outputs_idle(o, NULL);
	data = slurp(path, &len);
	cr_assert_eq(count_lines(data, "\"event_type\":\"alert\""), 1, "%s", data);
	cr_assert(strstr(data, "\"signature\":\"event 1\"") != NULL, "%s", data);
	free(data);

	alert_with(&a, 2);
	outputs_emit(o, &ev);
	memset(&st, 0, sizeof(st));
	st.ts_us = 1700000000000100ull;
	outputs_emit(o, &sev);
	data = slurp(path, &len);
	cr_assert_eq(count_lines(data, NULL), 3, "the stats record did not flush: %s", data);
	cr_assert_eq(count_lines(data, "\"event_type\":\"stats\""), 1);
	free(data);
	outputs_free(o);
	unlink(path);
}

/* More than a buffer's worth of records without outputs_idle: the file only ever holds whole lines, and
 * every record is there once the outputs are freed. */
Test(output, eve_file_gets_whole_lines_only)
{
	enum { N = 400 };
	struct outputs *o = outputs_new();
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};
	char path[128], err[256], *data;
	size_t len, seen;

	temp_path(path, sizeof(path), "whole");
	cr_assert_eq(outputs_add(o, "eve", path, MP_EVMASK_ALL, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < N; i++) {
		alert_with(&a, i);
		outputs_emit(o, &ev);
	}
	data = slurp(path, &len);
	cr_assert_gt(len, 0, "%d alerts (more than %u bytes) and nothing written", N, MP_EVE_FILE_BUFFER);
	cr_assert_eq(data[len - 1], '\n', "the file ends in the middle of a line");
	seen = count_lines(data, "\"event_type\":\"alert\"");
	cr_assert_lt(seen, (size_t)N, "every line was flushed at once");
	free(data);
	outputs_free(o);
	data = slurp(path, &len);
	cr_assert_eq(count_lines(data, "\"event_type\":\"alert\""), (size_t)N);
	free(data);
	unlink(path);
}

/* Several EVE sinks get the same line: the event is serialized once, for all of them. */
Test(output, every_eve_sink_gets_the_same_line)
{
	struct outputs *o = outputs_new();
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};
	char p1[128], p2[128], err[256], *d1, *d2, want[MP_RECORD_MAX];
	size_t l1, l2;
	int n;

	temp_path(p1, sizeof(p1), "one");
	temp_path(p2, sizeof(p2), "two");
	cr_assert_eq(outputs_add(o, "eve", p1, MP_EVMASK_ALL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(outputs_add(o, "eve", p2, MP_EVMASK_ALL, err, sizeof(err)), 0, "%s", err);
	alert_with(&a, 7);
	outputs_emit(o, &ev);
	outputs_free(o);
	n = eve_format(&ev, want, sizeof(want));
	cr_assert_gt(n, 0);
	d1 = slurp(p1, &l1);
	d2 = slurp(p2, &l2);
	cr_assert_eq(l1, (size_t)n + 1);
	cr_assert_eq(memcmp(d1, want, (size_t)n), 0, "%s", d1);
	cr_assert_str_eq(d1, d2);
	free(d1);
	free(d2);
	unlink(p1);
	unlink(p2);
}

struct emitter {
	struct outputs *o;
	pthread_mutex_t *lock;
	int base;
};

enum { PER_THREAD = 2000 };

static void *emit_many(void *arg)
{
	struct emitter *e = arg;
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};

	for (int i = 0; i < PER_THREAD; i++) {
		alert_with(&a, e->base + i);
		outputs_emit_locked(e->o, &ev, e->lock);
		if (i % 100 == 0)
			outputs_idle(e->o, e->lock);
	}
	return NULL;
}

/* Threads that share the outputs format their lines concurrently and hand them over under the lock:
 * every record arrives once, whole, and no two lines are mixed. */
Test(output, threads_sharing_outputs_write_whole_records)
{
	struct outputs *o = outputs_new();
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct emitter em[3];
	pthread_t t[3];
	char path[128], err[256], *data, needle[64];
	size_t len;

	temp_path(path, sizeof(path), "threads");
	cr_assert_eq(outputs_add(o, "eve", path, MP_EVMASK_ALL, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 3; i++) {
		em[i] = (struct emitter){o, &lock, i * PER_THREAD};
		cr_assert_eq(pthread_create(&t[i], NULL, emit_many, &em[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pthread_join(t[i], NULL), 0);
	outputs_free(o);
	data = slurp(path, &len);
	cr_assert_eq(count_lines(data, NULL), 3u * PER_THREAD);
	for (const char *l = data; *l != '\0'; l = strchr(l, '\n') + 1)
		cr_assert(l[0] == '{' && strchr(l, '\n')[-1] == '}', "a mixed line: %.80s", l);
	for (int i = 0; i < 3 * PER_THREAD; i += 997) {
		snprintf(needle, sizeof(needle), "\"signature\":\"event %d\"", i);
		cr_assert_eq(count_lines(data, needle), 1, "%s", needle);
	}
	free(data);
	unlink(path);
}
