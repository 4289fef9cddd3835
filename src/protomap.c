/* protomap.c: loader of rules/protomap.conf, which maps nDPI 4.2 protocol names to the IANA service names
 * (RFC 6335 registry) that count as them, with declared classes and no-counterpart reasons (p0f-style
 * vocabulary). */
#include "misport/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "misport/config.h"
#include "misport/textfile.h"

struct vocab {
	char *word;
	char *text;
	int skip; /* reasons only */
};

struct protomap {
	struct pmap_proto *p;
	size_t n, cap;
	const struct pmap_proto **by_name; /* sorted by nDPI name */
	char **known;                      /* every service named by some protocol, sorted, unique */
	size_t n_known;
	struct vocab cls[PMAP_CLASS_COUNT];
	struct vocab reasons[MP_PMAP_MAX_VOCAB];
	size_t n_reasons;
	size_t n_defacto;
};

static const char *const class_names[PMAP_CLASS_COUNT] = {"service", "carrier", "app"};

const char *pmap_class_name(enum pmap_class c)
{
	return (unsigned)c < PMAP_CLASS_COUNT ? class_names[c] : "?";
}

static void proto_free(struct pmap_proto *p)
{
	free(p->ndpi);
	free(p->reason);
	for (size_t i = 0; i < p->n_names; i++)
		free(p->names[i].service);
	free(p->names);
	for (size_t i = 0; i < p->n_defacto; i++)
		free(p->defacto[i].source);
	free(p->defacto);
}

void pmap_free(struct protomap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		proto_free(&m->p[i]);
	free(m->p);
	free(m->by_name);
	free(m->known);
	for (int c = 0; c < PMAP_CLASS_COUNT; c++) {
		free(m->cls[c].word);
		free(m->cls[c].text);
	}
	for (size_t i = 0; i < m->n_reasons; i++) {
		free(m->reasons[i].word);
		free(m->reasons[i].text);
	}
	free(m);
}

static int class_from_word(const char *w)
{
	for (int c = 0; c < PMAP_CLASS_COUNT; c++)
		if (strcmp(w, class_names[c]) == 0)
			return c;
	return -1;
}

static const struct vocab *find_reason(const struct protomap *m, const char *w)
{
	for (size_t i = 0; i < m->n_reasons; i++)
		if (strcmp(m->reasons[i].word, w) == 0)
			return &m->reasons[i];
	return NULL;
}

static struct pmap_proto *find_proto_linear(struct protomap *m, const char *ndpi)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->p[i].ndpi, ndpi) == 0)
			return &m->p[i];
	return NULL;
}

static int cmp_pname(const void *a, const void *b)
{
	const struct pmap_name *x = a, *y = b;

	return strcasecmp(x->service, y->service);
}

static int cmp_proto(const void *a, const void *b)
{
	const struct pmap_proto *x = *(const struct pmap_proto *const *)a;
	const struct pmap_proto *y = *(const struct pmap_proto *const *)b;

	return strcmp(x->ndpi, y->ndpi);
}

static int cmp_str(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int parse_class_line(struct protomap *m, char *rest, const char *path, unsigned line, char *err,
			    size_t errlen)
{
	char *word = tf_token(&rest);
	int c;

	if (word == NULL || *rest == '\0')
		return tf_error(err, errlen, path, line, "expected: class NAME TEXT");
	c = class_from_word(word);
	if (c < 0)
		return tf_error(err, errlen, path, line,
				"unknown class \"%s\" (misport knows service, carrier, app)", word);
	if (m->cls[c].word != NULL)
		return tf_error(err, errlen, path, line, "class \"%s\" declared twice", word);
	m->cls[c].word = strdup(word);
	m->cls[c].text = strdup(rest);
	if (m->cls[c].word == NULL || m->cls[c].text == NULL)
		return tf_error(err, errlen, path, line, "out of memory");
	return 0;
}

static int parse_reason_line(struct protomap *m, char *rest, const char *path, unsigned line, char *err,
			     size_t errlen)
{
	char *word = tf_token(&rest), *mode = tf_token(&rest);
	struct vocab *v;

	if (word == NULL || mode == NULL || *rest == '\0')
		return tf_error(err, errlen, path, line, "expected: reason NAME judge|skip TEXT");
	if (strcmp(mode, "judge") != 0 && strcmp(mode, "skip") != 0)
		return tf_error(err, errlen, path, line, "reason mode \"%s\" is neither judge nor skip",
				mode);
	if (find_reason(m, word) != NULL)
		return tf_error(err, errlen, path, line, "reason \"%s\" declared twice", word);
	if (m->n_reasons >= MP_PMAP_MAX_VOCAB)
		return tf_error(err, errlen, path, line, "more than %u reasons", MP_PMAP_MAX_VOCAB);
	v = &m->reasons[m->n_reasons];
	v->word = strdup(word);
	v->text = strdup(rest);
	v->skip = strcmp(mode, "skip") == 0;
	if (v->word == NULL || v->text == NULL) {
		free(v->word);
		free(v->text);
		return tf_error(err, errlen, path, line, "out of memory");
	}
	m->n_reasons++;
	return 0;
}

static int parse_proto_line(struct protomap *m, char *rest, const char *path, unsigned line, char *err,
			    size_t errlen)
{
	char *ndpi = tf_token(&rest), *cls = tf_token(&rest), *tok;
	struct pmap_proto *p;
	int c;

	if (ndpi == NULL || cls == NULL || *rest == '\0')
		return tf_error(err, errlen, path, line,
				"expected: proto NDPI CLASS SERVICE... or proto NDPI CLASS none REASON");
	c = class_from_word(cls);
	if (c < 0 || m->cls[c].word == NULL)
		return tf_error(err, errlen, path, line, "class \"%s\" is not declared", cls);
	if (strlen(ndpi) >= 64)
		return tf_error(err, errlen, path, line, "protocol name longer than 63 bytes");
	if (find_proto_linear(m, ndpi) != NULL)
		return tf_error(err, errlen, path, line, "protocol \"%s\" mapped twice", ndpi);
	if (m->n >= MP_PMAP_MAX_PROTOCOLS)
		return tf_error(err, errlen, path, line, "more than %u protocols", MP_PMAP_MAX_PROTOCOLS);
	if (m->n == m->cap) {
		size_t ncap = m->cap == 0 ? 64 : m->cap * 2;
		struct pmap_proto *np = realloc(m->p, ncap * sizeof(*np));

		if (np == NULL)
			return tf_error(err, errlen, path, line, "out of memory");
		m->p = np;
		m->cap = ncap;
	}
	p = &m->p[m->n];
	memset(p, 0, sizeof(*p));
	p->line = line;
	p->cls = (enum pmap_class)c;
	p->judged_alone = 1;
	p->ndpi = strdup(ndpi);
	if (p->ndpi == NULL)
		return tf_error(err, errlen, path, line, "out of memory");
	m->n++; /* from here on p is freed with the map */
	if (strncmp(rest, "none", 4) == 0 && (rest[4] == ' ' || rest[4] == '\t' || rest[4] == '\0')) {
		const struct vocab *v;

		(void)tf_token(&rest);
		tok = tf_token(&rest);
		if (tok == NULL || *rest != '\0')
			return tf_error(err, errlen, path, line, "expected exactly one reason after none");
		v = find_reason(m, tok);
		if (v == NULL)
			return tf_error(err, errlen, path, line, "reason \"%s\" is not declared", tok);
		p->reason = strdup(tok);
		if (p->reason == NULL)
			return tf_error(err, errlen, path, line, "out of memory");
		p->judged_alone = !v->skip;
		return 0;
	}
	p->names = calloc(MP_PMAP_MAX_NAMES, sizeof(*p->names));
	if (p->names == NULL)
		return tf_error(err, errlen, path, line, "out of memory");
	while ((tok = tf_token(&rest)) != NULL) {
		int carried = tok[0] == '~';

		if (carried)
			tok++;
		if (*tok == '\0' || strcmp(tok, "none") == 0 || tok[0] == '~')
			return tf_error(err, errlen, path, line, "bad service name \"%s\"", tok);
		if (p->n_names >= MP_PMAP_MAX_NAMES)
			return tf_error(err, errlen, path, line, "more than %u names", MP_PMAP_MAX_NAMES);
		for (size_t i = 0; i < p->n_names; i++)
			if (strcasecmp(p->names[i].service, tok) == 0)
				return tf_error(err, errlen, path, line, "service \"%s\" listed twice", tok);
		p->names[p->n_names].service = strdup(tok);
		if (p->names[p->n_names].service == NULL)
			return tf_error(err, errlen, path, line, "out of memory");
		p->names[p->n_names++].carried = carried;
		if (!carried)
			p->has_own = 1;
	}
	qsort(p->names, p->n_names, sizeof(*p->names), cmp_pname);
	return 0;
}

static int parse_defacto_line(struct protomap *m, char *rest, const char *path, unsigned line, char *err,
			      size_t errlen)
{
	char *ndpi = tf_token(&rest), *spec = tf_token(&rest), *slash;
	struct pmap_proto *p;
	struct pmap_defacto *d;
	uint16_t lo, hi;
	int t;

	if (ndpi == NULL || spec == NULL || *rest == '\0')
		return tf_error(err, errlen, path, line, "expected: defacto NDPI PORT[-HI]/TRANSPORT SOURCE");
	p = find_proto_linear(m, ndpi);
	if (p == NULL)
		return tf_error(err, errlen, path, line, "protocol \"%s\" has no proto line before this one",
				ndpi);
	slash = strchr(spec, '/');
	if (slash == NULL)
		return tf_error(err, errlen, path, line, "port \"%s\" lacks /tcp or /udp", spec);
	*slash = '\0';
	if (tf_parse_port_range(spec, &lo, &hi) < 0)
		return tf_error(err, errlen, path, line, "bad port \"%s\"", spec);
	if (strcmp(slash + 1, "tcp") == 0)
		t = MP_TRANSPORT_TCP;
	else if (strcmp(slash + 1, "udp") == 0)
		t = MP_TRANSPORT_UDP;
	else
		return tf_error(err, errlen, path, line, "bad transport \"%s\" (tcp or udp)", slash + 1);
	if (m->n_defacto >= MP_PMAP_MAX_DEFACTO)
		return tf_error(err, errlen, path, line, "more than %u defacto lines", MP_PMAP_MAX_DEFACTO);
	d = realloc(p->defacto, (p->n_defacto + 1) * sizeof(*d));
	if (d == NULL)
		return tf_error(err, errlen, path, line, "out of memory");
	p->defacto = d;
	d = &p->defacto[p->n_defacto];
	d->source = strdup(rest);
	if (d->source == NULL)
		return tf_error(err, errlen, path, line, "out of memory");
	d->port_lo = lo;
	d->port_hi = hi;
	d->transport = (uint8_t)t;
	d->line = line;
	p->n_defacto++;
	m->n_defacto++;
	return 0;
}

static int build_index(struct protomap *m, const char *path, char *err, size_t errlen)
{
	size_t total = 0, k = 0;

	m->by_name = malloc((m->n > 0 ? m->n : 1) * sizeof(*m->by_name));
	if (m->by_name == NULL)
		return tf_error(err, errlen, path, 0, "out of memory");
	for (size_t i = 0; i < m->n; i++) {
		m->by_name[i] = &m->p[i];
		total += m->p[i].n_names;
	}
	qsort(m->by_name, m->n, sizeof(*m->by_name), cmp_proto);
	m->known = malloc((total > 0 ? total : 1) * sizeof(*m->known));
	if (m->known == NULL)
		return tf_error(err, errlen, path, 0, "out of memory");
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->p[i].n_names; j++)
			m->known[k++] = m->p[i].names[j].service;
	qsort(m->known, k, sizeof(*m->known), cmp_str);
	m->n_known = 0;
	for (size_t i = 0; i < k; i++)
		if (m->n_known == 0 || strcasecmp(m->known[m->n_known - 1], m->known[i]) != 0)
			m->known[m->n_known++] = m->known[i];
	return 0;
}

int pmap_load(const char *path, struct protomap **out, char *err, size_t errlen)
{
	struct tf_file f;
	struct protomap *m;
	char *line;
	int rc, have_source = 0, have_date = 0;

	*out = NULL;
	if (tf_open(&f, path, MP_RULES_MAX_FILE_SIZE, err, errlen) < 0)
		return -1;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		tf_close(&f);
		return tf_error(err, errlen, path, 0, "out of memory");
	}
	while ((rc = tf_next_line(&f, MP_RULES_MAX_LINE, &line, err, errlen)) > 0) {
		char *rest, *kw;

		if (strncmp(line, "# source:", 9) == 0)
			have_source = 1;
		if (strncmp(line, "# date:", 7) == 0)
			have_date = 1;
		rest = tf_trim(line, 1);
		kw = tf_token(&rest);
		if (kw == NULL)
			continue;
		if (strcmp(kw, "class") == 0)
			rc = parse_class_line(m, rest, path, f.line, err, errlen);
		else if (strcmp(kw, "reason") == 0)
			rc = parse_reason_line(m, rest, path, f.line, err, errlen);
		else if (strcmp(kw, "proto") == 0)
			rc = parse_proto_line(m, rest, path, f.line, err, errlen);
		else if (strcmp(kw, "defacto") == 0)
			rc = parse_defacto_line(m, rest, path, f.line, err, errlen);
		else
			rc = tf_error(err, errlen, path, f.line,
				      "unknown keyword \"%s\" (class, reason, proto, defacto)", kw);
		if (rc < 0)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	if (!have_source || !have_date) {
		tf_error(err, errlen, path, 0, "missing \"# source:\" or \"# date:\" header line");
		goto fail;
	}
	if (m->n == 0) {
		tf_error(err, errlen, path, 0, "no proto lines");
		goto fail;
	}
	if (build_index(m, path, err, errlen) < 0)
		goto fail;
	tf_close(&f);
	*out = m;
	return 0;
fail:
	tf_close(&f);
	pmap_free(m);
	return -1;
}

size_t pmap_count(const struct protomap *m)
{
	return m->n;
}

const struct pmap_proto *pmap_at(const struct protomap *m, size_t i)
{
	return i < m->n ? &m->p[i] : NULL;
}

const struct pmap_proto *pmap_find(const struct protomap *m, const char *ndpi)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->by_name[mid]->ndpi, ndpi);

		if (c == 0)
			return m->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int pmap_counts_as(const struct pmap_proto *p, const char *service)
{
	size_t lo = 0, hi = p->n_names;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(p->names[mid].service, service);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

const struct pmap_defacto *pmap_defacto_for(const struct pmap_proto *p, uint16_t port, enum mp_transport t)
{
	for (size_t i = 0; i < p->n_defacto; i++)
		if (p->defacto[i].transport == t && port >= p->defacto[i].port_lo &&
		    port <= p->defacto[i].port_hi)
			return &p->defacto[i];
	return NULL;
}

int pmap_knows_service(const struct protomap *m, const char *service)
{
	size_t lo = 0, hi = m->n_known;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(m->known[mid], service);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

const char *pmap_class_text(const struct protomap *m, enum pmap_class c)
{
	return (unsigned)c < PMAP_CLASS_COUNT ? m->cls[c].text : NULL;
}

const char *pmap_reason_text(const struct protomap *m, const char *reason)
{
	const struct vocab *v = find_reason(m, reason);

	return v != NULL ? v->text : NULL;
}
