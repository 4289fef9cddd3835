/* legacy.c: loader of rules/legacy.tsv and rules/legacy-iana.tsv, registrations of the IANA port registry
 * (RFC 6335) whose product is dormant, historic or extinct, or which IANA itself marks historic or
 * withdrew. */
#include "misport/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "misport/config.h"
#include "misport/textfile.h"

struct legacy_list {
	struct legacy_entry *e;
	size_t n, cap;
	const struct legacy_entry **sorted;
	char **files; /* copies of the paths, referenced by entries */
	size_t n_files;
};

static const char *const scope_names[] = {"port", "vacated", "name"};

const char *legacy_scope_name(enum legacy_scope s)
{
	return (unsigned)s < sizeof(scope_names) / sizeof(scope_names[0]) ? scope_names[s] : "?";
}

void legacy_free(struct legacy_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].service);
		free(l->e[i].source);
		free(l->e[i].reason);
	}
	for (size_t i = 0; i < l->n_files; i++)
		free(l->files[i]);
	free(l->files);
	free(l->sorted);
	free(l->e);
	free(l);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct legacy_entry *x = *(const struct legacy_entry *const *)a;
	const struct legacy_entry *y = *(const struct legacy_entry *const *)b;

	if (x->transport != y->transport)
		return x->transport < y->transport ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int add_entry(struct legacy_list *l, const char *file, unsigned line, uint16_t port, int t,
		     enum legacy_scope scope, const char *service, const char *source, const char *reason,
		     char *err, size_t errlen)
{
	struct legacy_entry *e;

	for (size_t i = 0; i < l->n; i++) {
		const struct legacy_entry *o = &l->e[i];

		if (o->port == port && o->transport == t && strcasecmp(o->service, service) == 0)
			return tf_error(err, errlen, file, line, "%u/%s %s already listed at %s:%u", port,
					reg_transport_name((enum mp_transport)t), service, o->file, o->line);
	}
	if (l->n >= MP_LEGACY_MAX_ENTRIES)
		return tf_error(err, errlen, file, line, "more than %u legacy entries",
				MP_LEGACY_MAX_ENTRIES);
	if (l->n == l->cap) {
		size_t ncap = l->cap == 0 ? 256 : l->cap * 2;
		struct legacy_entry *ne = realloc(l->e, ncap * sizeof(*ne));

		if (ne == NULL)
			return tf_error(err, errlen, file, line, "out of memory");
		l->e = ne;
		l->cap = ncap;
	}
	e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	e->port = port;
	e->transport = (uint8_t)t;
	e->scope = scope;
	e->file = file;
	e->line = line;
	e->service = strdup(service);
	e->source = strdup(source);
	e->reason = strdup(reason);
	l->n++; /* freed with the list from here on */
	if (e->service == NULL || e->source == NULL || e->reason == NULL)
		return tf_error(err, errlen, file, line, "out of memory");
	return 0;
}

static int load_one(struct legacy_list *l, const char *path, char *err, size_t errlen)
{
	struct tf_file f;
	char *line, *file;
	char **nf;
	int rc, have_source = 0, have_date = 0;

	nf = realloc(l->files, (l->n_files + 1) * sizeof(*nf));
	if (nf == NULL)
		return tf_error(err, errlen, path, 0, "out of memory");
	l->files = nf;
	file = strdup(path);
	if (file == NULL)
		return tf_error(err, errlen, path, 0, "out of memory");
	l->files[l->n_files++] = file;
	if (tf_open(&f, file, MP_RULES_MAX_FILE_SIZE, err, errlen) < 0)
		return -1;
	while ((rc = tf_next_line(&f, MP_RULES_MAX_LINE, &line, err, errlen)) > 0) {
		char *fld[7];
		unsigned long port;
		int n, t0, t1;
		enum legacy_scope scope;

		if (line[0] == '#') {
			have_source |= strncmp(line, "# source:", 9) == 0;
			have_date |= strncmp(line, "# date:", 7) == 0;
			continue;
		}
		if (tf_trim(line, 0)[0] == '\0')
			continue;
		n = tf_split_char(line, '\t', fld, 6);
		if (n != 6) {
			rc = tf_error(err, errlen, file, f.line,
				      "expected 6 tab-separated fields (port, transport, service, scope, "
				      "source, reason), got %d",
				      n > 6 ? 7 : n);
			break;
		}
		for (int i = 0; i < 6; i++)
			fld[i] = tf_trim(fld[i], 0);
		if (tf_parse_uint(fld[0], 65535, &port) < 0) {
			rc = tf_error(err, errlen, file, f.line, "bad port \"%s\"", fld[0]);
			break;
		}
		if (strcmp(fld[1], "tcp") == 0) {
			t0 = t1 = MP_TRANSPORT_TCP;
		} else if (strcmp(fld[1], "udp") == 0) {
			t0 = t1 = MP_TRANSPORT_UDP;
		} else if (strcmp(fld[1], "tcp/udp") == 0) {
			t0 = MP_TRANSPORT_TCP;
			t1 = MP_TRANSPORT_UDP;
		} else {
			rc = tf_error(err, errlen, file, f.line, "bad transport \"%s\" (tcp, udp or tcp/udp)",
				      fld[1]);
			break;
		}
		if (strcmp(fld[3], "port") == 0) {
			scope = LEGACY_SCOPE_PORT;
		} else if (strcmp(fld[3], "vacated") == 0) {
			scope = LEGACY_SCOPE_VACATED;
		} else if (strcmp(fld[3], "name") == 0) {
			scope = LEGACY_SCOPE_NAME;
		} else {
			rc = tf_error(err, errlen, file, f.line, "bad scope \"%s\" (port, vacated or name)",
				      fld[3]);
			break;
		}
		if (fld[2][0] == '\0' || (strcmp(fld[2], "-") == 0 && scope != LEGACY_SCOPE_VACATED)) {
			rc = tf_error(err, errlen, file, f.line, "a %s entry needs a service name", fld[3]);
			break;
		}
		if (fld[4][0] == '\0' || fld[5][0] == '\0') {
			rc = tf_error(err, errlen, file, f.line, "empty source or reason");
			break;
		}
		for (int t = t0; t <= t1 && rc >= 0; t++)
			if (add_entry(l, file, f.line, (uint16_t)port, t, scope, fld[2], fld[4], fld[5], err,
				      errlen) < 0)
				rc = -1;
		if (rc < 0)
			break;
	}
	if (rc >= 0 && (!have_source || !have_date))
		rc = tf_error(err, errlen, file, 0, "missing \"# source:\" or \"# date:\" header line");
	tf_close(&f);
	return rc < 0 ? -1 : 0;
}

int legacy_load(const char *const *paths, size_t n, struct legacy_list **out, char *err, size_t errlen)
{
	struct legacy_list *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return tf_error(err, errlen, n > 0 ? paths[0] : "legacy", 0, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (load_one(l, paths[i], err, errlen) < 0) {
			legacy_free(l);
			return -1;
		}
	}
	l->sorted = malloc((l->n > 0 ? l->n : 1) * sizeof(*l->sorted));
	if (l->sorted == NULL) {
		legacy_free(l);
		return tf_error(err, errlen, n > 0 ? paths[0] : "legacy", 0, "out of memory");
	}
	for (size_t i = 0; i < l->n; i++)
		l->sorted[i] = &l->e[i];
	qsort(l->sorted, l->n, sizeof(*l->sorted), cmp_entry);
	*out = l;
	return 0;
}

size_t legacy_count(const struct legacy_list *l)
{
	return l->n;
}

const struct legacy_entry *legacy_at(const struct legacy_list *l, size_t i)
{
	return i < l->n ? l->sorted[i] : NULL;
}

size_t legacy_lookup(const struct legacy_list *l, uint16_t port, enum mp_transport t,
		     const struct legacy_entry *const **out)
{
	size_t lo = 0, hi = l->n, first;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct legacy_entry *e = l->sorted[mid];

		if (e->transport < t || (e->transport == t && e->port < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < l->n && l->sorted[lo]->transport == t && l->sorted[lo]->port == port)
		lo++;
	if (lo > first)
		*out = l->sorted + first;
	return lo - first;
}
