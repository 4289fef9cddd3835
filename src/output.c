/* output.c: the static registry of sink modules and the fan-out of events to open sinks. */
#include "misport/output.h"

#include <stdlib.h>
#include <string.h>

#include "output/modules.h"

static const struct output_module *const output_registry[] = {
    &output_eve,
    &output_fast,
};

#define N_MODULES (sizeof(output_registry) / sizeof(output_registry[0]))

/* At most this many sinks at once. */
#define MAX_SINKS 16

struct sink {
	const struct output_module *mod;
	void *state;
	unsigned mask;
	unsigned long long written, dropped;
};

struct outputs {
	struct sink sinks[MAX_SINKS];
	size_t n;
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
	const struct output_module *m = output_find(name);
	struct sink *s;

	if (m == NULL) {
		snprintf(err, errlen, "unknown output module '%s'", name);
		return -1;
	}
	if (o->n >= MAX_SINKS) {
		snprintf(err, errlen, "too many outputs (at most %d)", MAX_SINKS);
		return -1;
	}
	s = &o->sinks[o->n];
	memset(s, 0, sizeof(*s));
	if (m->open(target, &s->state, err, errlen) != 0)
		return -1;
	s->mod = m;
	s->mask = mask;
	o->n++;
	return 0;
}

void outputs_emit(struct outputs *o, const struct mp_event *ev)
{
	for (size_t i = 0; i < o->n; i++) {
		struct sink *s = &o->sinks[i];

		if ((s->mask & (1u << ev->type)) == 0)
			continue;
		if (s->mod->write(s->state, ev) == 0)
			s->written++;
		else
			s->dropped++;
	}
}

int outputs_reopen(struct outputs *o, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < o->n; i++)
		if (o->sinks[i].mod->reopen != NULL && o->sinks[i].mod->reopen(o->sinks[i].state, err, errlen) != 0)
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

void outputs_free(struct outputs *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++)
		o->sinks[i].mod->close(o->sinks[i].state);
	free(o);
}
