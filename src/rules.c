/* rules.c: loads misport's rule set (IANA port registry per RFC 6335, nDPI protocol map, legacy list, policy)
 * from a rules directory and precomputes per-port facts for the classifier. */
#include "misport/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "misport/textfile.h"

#define NPORTS 65536u

struct rules {
	struct registry *reg;
	struct protomap *pmap;
	struct legacy_list *legacy;
	struct policy *policy;
	uint8_t *flags[MP_TRANSPORT_COUNT]; /* NPORTS each, RULES_PORT_* */
	/* NPORTS each, set where RULES_PORT_LEGACY */
	const struct legacy_entry **port_legacy[MP_TRANSPORT_COUNT];
};

void rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	reg_free(r->reg);
	pmap_free(r->pmap);
	legacy_free(r->legacy);
	policy_free(r->policy);
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		free(r->flags[t]);
		free(r->port_legacy[t]);
	}
	free(r);
}

static int join(char *dst, size_t size, const char *dir, const char *name, char *err, size_t errlen)
{
	int n = snprintf(dst, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return tf_error(err, errlen, dir, 0, "path too long");
	return 0;
}

/* Legacy decision for one (port, t): a port is legacy when it has a port/vacated entry and every service IANA
 * has assigned there is such an entry (a port with no assignment left counts when vacated or listed). */
static const struct legacy_entry *port_is_legacy(const struct rules *r, uint16_t port, enum mp_transport t)
{
	const struct legacy_entry *const *le = NULL;
	const struct reg_entry *const *re = NULL;
	const struct legacy_entry *first = NULL;
	size_t nl = legacy_lookup(r->legacy, port, t, &le), nr;

	for (size_t i = 0; i < nl; i++)
		if (le[i]->scope != LEGACY_SCOPE_NAME) {
			first = le[i];
			break;
		}
	if (first == NULL)
		return NULL;
	nr = reg_lookup_port(r->reg, port, t, &re);
	for (size_t i = 0; i < nr; i++) {
		int listed = 0;

		if (re[i]->flags & REG_F_RESERVED)
			continue;
		for (size_t j = 0; j < nl && !listed; j++)
			listed = le[j]->scope != LEGACY_SCOPE_NAME &&
				 strcasecmp(le[j]->service, re[i]->service) == 0;
		if (!listed)
			return NULL;
	}
	return first;
}

static int compute_ports(struct rules *r, const char *dir, char *err, size_t errlen)
{
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		r->flags[t] = calloc(NPORTS, 1);
		r->port_legacy[t] = calloc(NPORTS, sizeof(*r->port_legacy[t]));
		if (r->flags[t] == NULL || r->port_legacy[t] == NULL)
			return tf_error(err, errlen, dir, 0, "out of memory");
	}
	for (size_t i = 0; i < reg_count(r->reg); i++) {
		const struct reg_entry *e = reg_entry_at(r->reg, i);
		uint8_t f;

		if (e->flags & REG_F_RESERVED)
			continue;
		f = RULES_PORT_ASSIGNED;
		if (pmap_knows_service(r->pmap, e->service))
			f |= RULES_PORT_WELLKNOWN;
		for (uint32_t p = e->port_lo; p <= e->port_hi; p++)
			r->flags[e->transport][p] |= f;
	}
	for (size_t i = 0; i < legacy_count(r->legacy); i++) {
		const struct legacy_entry *e = legacy_at(r->legacy, i);
		const struct legacy_entry *why;

		if (r->port_legacy[e->transport][e->port] != NULL)
			continue;
		why = port_is_legacy(r, e->port, (enum mp_transport)e->transport);
		if (why != NULL) {
			r->port_legacy[e->transport][e->port] = why;
			r->flags[e->transport][e->port] |= RULES_PORT_LEGACY;
		}
	}
	return 0;
}

int rules_load(const char *dir, const char *registry_csv, const char *policy_path, struct rules **out,
	       char *err, size_t errlen)
{
	char path[4096], leg1[4096], leg2[4096];
	const char *legs[2] = {leg1, leg2};
	struct rules *r;
	struct stat st;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return tf_error(err, errlen, dir, 0, "out of memory");
	if (join(path, sizeof(path), dir, "registry.tsv", err, errlen) < 0 ||
	    reg_load_tsv(path, &r->reg, err, errlen) < 0)
		goto fail;
	if (registry_csv != NULL) {
		struct registry *csv;

		if (reg_load(registry_csv, &csv, err, errlen) < 0)
			goto fail;
		reg_merge_freq(csv, r->reg);
		reg_free(r->reg);
		r->reg = csv;
	}
	if (join(path, sizeof(path), dir, "protomap.conf", err, errlen) < 0 ||
	    pmap_load(path, &r->pmap, err, errlen) < 0)
		goto fail;
	if (join(leg1, sizeof(leg1), dir, "legacy.tsv", err, errlen) < 0 ||
	    join(leg2, sizeof(leg2), dir, "legacy-iana.tsv", err, errlen) < 0 ||
	    legacy_load(legs, 2, &r->legacy, err, errlen) < 0)
		goto fail;
	if (policy_path != NULL) {
		if (policy_load(policy_path, r->pmap, &r->policy, err, errlen) < 0)
			goto fail;
	} else {
		if (join(path, sizeof(path), dir, "policy.conf", err, errlen) < 0)
			goto fail;
		if (stat(path, &st) == 0) {
			if (policy_load(path, r->pmap, &r->policy, err, errlen) < 0)
				goto fail;
		} else {
			r->policy = policy_empty();
			if (r->policy == NULL) {
				tf_error(err, errlen, dir, 0, "out of memory");
				goto fail;
			}
		}
	}
	if (compute_ports(r, dir, err, errlen) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	rules_free(r);
	return -1;
}

const struct registry *rules_registry(const struct rules *r)
{
	return r->reg;
}

const struct protomap *rules_protomap(const struct rules *r)
{
	return r->pmap;
}

const struct legacy_list *rules_legacy(const struct rules *r)
{
	return r->legacy;
}

const struct policy *rules_policy(const struct rules *r)
{
	return r->policy;
}

unsigned rules_port_flags(const struct rules *r, uint16_t port, enum mp_transport t)
{
	return (unsigned)t < MP_TRANSPORT_COUNT ? r->flags[t][port] : 0;
}

const struct legacy_entry *rules_port_legacy(const struct rules *r, uint16_t port, enum mp_transport t)
{
	return (unsigned)t < MP_TRANSPORT_COUNT ? r->port_legacy[t][port] : NULL;
}
