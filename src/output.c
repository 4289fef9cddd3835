/* output.c: the static registry of sink modules and the fan-out of events to open sinks. */
#include "misport/output.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"
#include "misport/log.h"
#include "misport/now.h"
#include "misport/spin.h"
#include "output/modules.h"

static const struct output_module *const output_registry[] = {
    &output_eve, &output_fast, &output_eve_socket, &output_cef, &output_syslog, &output_redis, &output_report,
};

#define N_MODULES (sizeof(output_registry) / sizeof(output_registry[0]))

struct sink {
	const struct output_module *mod;
	void *state;
	char *target; /* owned copy, for reports */
	unsigned mask;
	unsigned long long written, dropped;
};

struct outputs {
	struct sink sinks[MP_OUTPUT_MAX_SINKS];
	size_t n;
	bool flushed; /* outputs_flush ran: queued sinks have stopped */
};

const struct output_module *output_find(const char *name)
{
	for (size_t i = 0; i < N_MODULES; i++)
		if (strcmp(output_registry[i]->name, name) == 0)
			return output_registry[i];
	return NULL;
}

void output_list(FILE *fp)
{
	for (size_t i = 0; i < N_MODULES; i++)
		fprintf(fp, "  %-8s %s\n", output_registry[i]->name, output_registry[i]->help);
}

struct outputs *outputs_new(void)
{
	return calloc(1, sizeof(struct outputs));
}

int outputs_add(struct outputs *o, const char *name, const char *target, unsigned mask, char *err,
		size_t errlen)
{
	return outputs_add_opts(o, name, target, NULL, 0, mask, err, errlen);
}

int outputs_add_opts(struct outputs *o, const char *name, const char *target, const struct output_opt *opts,
		     size_t nopts, unsigned mask, char *err, size_t errlen)
{
	const struct output_module *m = output_find(name);
	struct sink *s;
	int rc;

	if (m == NULL) {
		snprintf(err, errlen, "unknown output module '%s'", name);
		return -1;
	}
	if (o->n >= MP_OUTPUT_MAX_SINKS) {
		snprintf(err, errlen, "too many outputs (at most %d)", MP_OUTPUT_MAX_SINKS);
		return -1;
	}
	if (nopts > 0 && m->open_opts == NULL) {
		snprintf(err, errlen, "%s: takes no option ('%s')", name, opts[0].key);
		return -1;
	}
	s = &o->sinks[o->n];
	memset(s, 0, sizeof(*s));
	s->target = strdup(target);
	if (s->target == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (m->open_opts != NULL)
		rc = m->open_opts(target, opts, nopts, &s->state, err, errlen);
	else
		rc = m->open(target, &s->state, err, errlen);
	if (rc != 0) {
		free(s->target);
		s->target = NULL;
		return -1;
	}
	s->mod = m;
	s->mask = mask;
	o->n++;
	return 0;
}

int output_check(const char *name, const char *target, const struct output_opt *opts, size_t nopts, char *err,
		 size_t errlen)
{
	const struct output_module *m = output_find(name);

	if (m == NULL) {
		snprintf(err, errlen, "unknown output module '%s'", name);
		return -1;
	}
	if (m->check != NULL)
		return m->check(target, opts, nopts, err, errlen);
	if (nopts > 0) {
		snprintf(err, errlen, "%s: takes no option ('%s')", name, opts[0].key);
		return -1;
	}
	if (target == NULL || target[0] == '\0') {
		snprintf(err, errlen, "%s: empty target", name);
		return -1;
	}
	return 0;
}

void outputs_emit(struct outputs *o, const struct mp_event *ev)
{
	outputs_emit_locked(o, ev, NULL);
}

/* The calling thread's EVE line: formatted before the outputs' lock is taken, so each thread needs its
 * own. */
static _Thread_local char eve_line[MP_RECORD_MAX + 1];

void outputs_emit_locked(struct outputs *o, const struct mp_event *ev, void *lock)
{
	int len = -2; /* -2: not formatted (no write_eve sink wants ev), -1: did not fit */

	for (size_t i = 0; i < o->n && len == -2; i++)
		if (o->sinks[i].mod->write_eve != NULL && (o->sinks[i].mask & (1u << ev->type)) != 0) {
			len = eve_format(ev, eve_line, sizeof(eve_line) - 1);
			if (len >= 0)
				eve_line[len++] = '\n';
		}
	if (lock != NULL)
		spin_lock_mutex(lock);
	for (size_t i = 0; i < o->n; i++) {
		struct sink *s = &o->sinks[i];
		int rc;

		if ((s->mask & (1u << ev->type)) == 0)
			continue;
		if (s->mod->write_eve != NULL)
			rc = len >= 0 ? s->mod->write_eve(s->state, ev, eve_line, (size_t)len) : -1;
		else
			rc = s->mod->write(s->state, ev);
		if (rc == 0)
			s->written++;
		else
			s->dropped++;
	}
	if (lock != NULL)
		pthread_mutex_unlock(lock);
}

void outputs_idle(struct outputs *o, void *lock)
{
	bool any = false;

	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++)
		any |= o->sinks[i].mod->idle != NULL;
	if (!any)
		return;
	if (lock != NULL)
		spin_lock_mutex(lock);
	for (size_t i = 0; i < o->n; i++)
		if (o->sinks[i].mod->idle != NULL)
			o->sinks[i].mod->idle(o->sinks[i].state);
	if (lock != NULL)
		pthread_mutex_unlock(lock);
}

int outputs_reopen(struct outputs *o, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->sinks[i].mod->reopen != NULL &&
		    o->sinks[i].mod->reopen(o->sinks[i].state, err, errlen) != 0)
			rc = -1;
	return rc;
}

size_t outputs_count(const struct outputs *o)
{
	return o->n;
}

unsigned long long outputs_dropped(const struct outputs *o)
{
	unsigned long long d = 0;

	for (size_t i = 0; i < o->n; i++)
		d += o->sinks[i].dropped;
	return d;
}

int outputs_sink_stats(const struct outputs *o, size_t i, struct output_sink_stats *st)
{
	const struct sink *s;

	if (i >= o->n)
		return -1;
	s = &o->sinks[i];
	memset(st, 0, sizeof(*st));
	if (s->mod->stats != NULL)
		s->mod->stats(s->state, st);
	st->module = s->mod->name;
	st->target = s->target;
	st->written = s->written;
	st->dropped = s->dropped;
	return 0;
}

void outputs_flush(struct outputs *o)
{
	uint64_t deadline;

	if (o == NULL || o->flushed)
		return;
	o->flushed = true;
	/* One deadline for all: each sink's thread already drains concurrently; flush() joins them in
	 * turn. */
	deadline = now_mono_ms() + MP_OUT_FLUSH_TIMEOUT_MS;
	for (size_t i = 0; i < o->n; i++)
		if (o->sinks[i].mod->flush != NULL)
			o->sinks[i].mod->flush(o->sinks[i].state, deadline);
	outputs_idle(o, NULL); /* and what the file sinks buffered */
}

void outputs_report(const struct outputs *o, FILE *fp, const char *prefix)
{
	struct output_sink_stats st;

	for (size_t i = 0; i < o->n; i++) {
		if (outputs_sink_stats(o, i, &st) != 0 || (!st.queued && st.dropped == 0))
			continue;
		if (st.queued)
			fprintf(fp,
				"%soutput %s %s: %llu sent, %llu dropped (queue full %llu, at exit %llu, "
				"other %llu), "
				"%llu reconnects, %llu connect failures, %llu broken sends\n",
				prefix, st.module, st.target, st.sent, st.dropped + st.dropped_exit,
				st.dropped_full, st.dropped_exit, st.dropped - st.dropped_full, st.reconnects,
				st.connect_failures, st.send_failures);
		else
			fprintf(fp, "%soutput %s %s: %llu written, %llu dropped\n", prefix, st.module,
				st.target, st.written, st.dropped);
	}
}

void outputs_free(struct outputs *o)
{
	bool any_queued = false;

	if (o == NULL)
		return;
	outputs_flush(o);
	for (size_t i = 0; i < o->n; i++)
		if (o->sinks[i].mod->stats != NULL)
			any_queued = true;
	/* At exit, the delivery figures of network sinks go to stderr beside the capture figures. */
	if (any_queued) {
		fflush(stdout);
		outputs_report(o, stderr, "misport: ");
	}
	for (size_t i = 0; i < o->n; i++) {
		o->sinks[i].mod->close(o->sinks[i].state);
		free(o->sinks[i].target);
	}
	free(o);
}
