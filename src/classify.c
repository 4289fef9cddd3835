/* classify.c: the verdict of one flow: nDPI's protocol against the IANA registration (RFC 6335) of the server
 * port, the legacy list and the local policy; fills the neutral alert record when a verdict is an alert. */
#include "misport/classify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "misport/alert.h"
#include "misport/rules.h"
#include "misport/textfile.h"

#define DYNAMIC_PORT_MIN 49152u /* RFC 6335 section 6: Dynamic Ports 49152-65535 */

static const char *const verdict_names[MP_VERDICT_COUNT] = {
    "none", "match", "port-mismatch", "unregistered-port", "legacy-port", "allowed", "scan-noise"};

const char *verdict_name(enum mp_verdict v)
{
	return (unsigned)v < MP_VERDICT_COUNT ? verdict_names[v] : "?";
}

int verdict_from_name(const char *s)
{
	for (int v = 0; v < MP_VERDICT_COUNT; v++)
		if (strcmp(s, verdict_names[v]) == 0)
			return v;
	return -1;
}

static const char *present(const char *s)
{
	if (s == NULL || s[0] == '\0' || strcmp(s, "Unknown") == 0)
		return NULL;
	return s;
}

/* Formats into dst; on truncation ends the text with "..." so a cut is visible. */
static void fmt_trunc(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fmt_trunc(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0) {
		dst[0] = '\0';
	} else if ((size_t)n >= size && size > 4) {
		memcpy(dst + size - 4, "...", 4);
	}
}

/* The assigned services of (port, t) joined with ", " into dst; returns the first one or NULL. */
static const struct reg_entry *registered_names(const struct registry *reg, uint16_t port,
						enum mp_transport t, char *dst, size_t size)
{
	const struct reg_entry *const *v = NULL;
	const struct reg_entry *first = NULL;
	size_t n = reg_lookup_port(reg, port, t, &v), used = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k;

		if (v[i]->flags & REG_F_RESERVED)
			continue;
		if (first == NULL)
			first = v[i];
		k = snprintf(dst + used, size - used, "%s%s", used > 0 ? ", " : "", v[i]->service);
		if (k < 0 || (size_t)k >= size - used) {
			dst[used] = '\0'; /* keep whole names only */
			break;
		}
		used += (size_t)k;
	}
	return first;
}

/* The first reserved (unnamed) row of (port, t), for the text of a vacated port; NULL when none. */
static const struct reg_entry *reserved_row(const struct registry *reg, uint16_t port, enum mp_transport t)
{
	const struct reg_entry *const *v = NULL;
	size_t n = reg_lookup_port(reg, port, t, &v);

	for (size_t i = 0; i < n; i++)
		if (v[i]->flags & REG_F_RESERVED)
			return v[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int is_match(const struct registry *reg, const struct pmap_proto *p, uint16_t port,
		    enum mp_transport t)
{
	const struct reg_entry *const *v = NULL;
	size_t n = reg_lookup_port(reg, port, t, &v);

	for (size_t i = 0; i < n; i++)
		if (!(v[i]->flags & REG_F_RESERVED) && pmap_counts_as(p, v[i]->service))
			return 1;
	return pmap_defacto_for(p, port, t) != NULL;
}

/* The protocol's own names ("ssh, netconf-ssh"), for unregistered-port alerts. */
static void own_names(const struct pmap_proto *p, char *dst, size_t size)
{
	size_t used = 0;

	dst[0] = '\0';
	for (size_t i = 0; i < p->n_names; i++) {
		int k;

		if (p->names[i].carried)
			continue;
		k = snprintf(dst + used, size - used, "%s%s", used > 0 ? ", " : "", p->names[i].service);
		if (k < 0 || (size_t)k >= size - used) {
			dst[used] = '\0';
			break;
		}
		used += (size_t)k;
	}
}

struct judged {
	const char *proto;   /* the protocol judged (the master when there is one) */
	const char *carried; /* the application inside it, or NULL */
	char display[96];    /* "TLS.Google" */
	char split[64];      /* storage when "TLS.Google" came as one name */
	const struct pmap_proto *p;
};

static int judge_protocol(const struct protomap *pm, const struct classify_in *in, struct judged *j)
{
	const char *master = present(in->master), *app = present(in->app);

	memset(j, 0, sizeof(*j));
	if (master != NULL) {
		j->proto = master;
		j->carried = app != NULL && strcmp(app, master) != 0 ? app : NULL;
	} else if (app != NULL) {
		j->proto = app;
	} else {
		return -1;
	}
	j->p = pmap_find(pm, j->proto);
	if (j->p == NULL && j->carried == NULL) {
		/* One combined name such as "TLS.Google" (a name with a dot like "Z39.50" was found
		 * above). */
		const char *dot = strchr(j->proto, '.');

		if (dot != NULL && (size_t)(dot - j->proto) < sizeof(j->split)) {
			memcpy(j->split, j->proto, (size_t)(dot - j->proto));
			j->split[dot - j->proto] = '\0';
			j->p = pmap_find(pm, j->split);
			if (j->p != NULL) {
				j->carried = present(dot + 1);
				j->proto = j->split;
			}
		}
	}
	if (j->p == NULL)
		return -1;
	if (j->carried != NULL)
		fmt_trunc(j->display, sizeof(j->display), "%s.%s", j->proto, j->carried);
	else
		fmt_trunc(j->display, sizeof(j->display), "%s", j->proto);
	return 0;
}

static int mismatch_severity(const struct pmap_proto *p, unsigned flags)
{
	if (p->cls == PMAP_CLASS_SERVICE)
		return 1;
	return (flags & RULES_PORT_WELLKNOWN) ? 2 : 3;
}

static void fill_alert(const struct rules *rules, const struct classify_in *in, enum mp_transport t,
		       const struct judged *j, enum mp_verdict v, int severity,
		       const struct policy_rule *sev_rule, struct mp_alert *a)
{
	const struct registry *reg = rules_registry(rules);
	const char *tn = reg_transport_name(t);
	uint16_t port = in->server_port;
	unsigned flags = rules_port_flags(rules, port, t);
	char names[256], expl[MP_ALERT_META_VALUE], basis[256];
	const struct reg_entry *prim = registered_names(reg, port, t, names, sizeof(names));
	const struct legacy_entry *le =
	    v == MP_VERDICT_LEGACY_PORT ? rules_port_legacy(rules, port, t) : NULL;
	const char *desc = prim != NULL ? prim->description : "";
	long freq = reg_nmap_freq(reg, port, t);

	a->severity = severity;
	fmt_trunc(basis, sizeof(basis),
		  "IANA registers %u/%s to %s, which the protocol map does not count as %s", port, tn, names,
		  j->proto);
	switch (v) {
	case MP_VERDICT_PORT_MISMATCH:
		a->signature_id = MP_SID_PORT_MISMATCH;
		tf_copy(a->category, sizeof(a->category), "Detection of a Non-Standard Protocol or Event");
		if (desc[0] != '\0')
			fmt_trunc(a->signature, sizeof(a->signature), "%s on %u/%s, registered to %s (%s)",
				  j->display, port, tn, names, desc);
		else
			fmt_trunc(a->signature, sizeof(a->signature), "%s on %u/%s, registered to %s",
				  j->display, port, tn, names);
		if (j->p->cls == PMAP_CLASS_SERVICE)
			fmt_trunc(expl, sizeof(expl),
				  "%s has a registered port of its own, so running it on another service's "
				  "port is a "
				  "deliberate move (dodging port filters, a tunnel or backdoor) or a "
				  "misconfigured server; "
				  "basis: %s.",
				  j->proto, basis);
		else if (j->p->cls == PMAP_CLASS_CARRIER && (flags & RULES_PORT_WELLKNOWN))
			fmt_trunc(
			    expl, sizeof(expl),
			    "%s on the port of another well-known protocol points to a tunnel, a proxy or a "
			    "misconfigured server; basis: %s.",
			    j->proto, basis);
		else if (j->p->cls == PMAP_CLASS_CARRIER)
			fmt_trunc(expl, sizeof(expl),
				  "%s is a general carrier, so the product registered here may itself speak "
				  "it, or an "
				  "application chose the port; basis: %s.",
				  j->proto, basis);
		else
			fmt_trunc(expl, sizeof(expl),
				  "An application chose this port for %s (or uses it to slip past port "
				  "filters); basis: %s.",
				  j->proto, basis);
		break;
	case MP_VERDICT_UNREGISTERED_PORT: {
		char own[200];

		own_names(j->p, own, sizeof(own));
		a->signature_id = MP_SID_UNREGISTERED_PORT;
		tf_copy(a->category, sizeof(a->category), "Detection of a Non-Standard Protocol or Event");
		fmt_trunc(a->signature, sizeof(a->signature), "%s on %u/%s, a port IANA has not assigned",
			  j->display, port, tn);
		fmt_trunc(expl, sizeof(expl),
			  "An administrator or application chose an unassigned port for %s instead of its "
			  "registered "
			  "one (%s), or this is a test or hidden service; basis: IANA has assigned nothing "
			  "on %u/%s.",
			  j->proto, own, port, tn);
		break;
	}
	case MP_VERDICT_LEGACY_PORT:
	default: {
		const char *svc = prim != NULL ? prim->service : le != NULL ? le->service : "-";

		a->signature_id = MP_SID_LEGACY_PORT;
		tf_copy(a->category, sizeof(a->category), "Potentially Bad Traffic");
		if (prim == NULL) {
			const struct reg_entry *res = reserved_row(reg, port, t);

			desc = res != NULL ? res->description : "";
			if (strcmp(svc, "-") == 0)
				fmt_trunc(a->signature, sizeof(a->signature),
					  "%s on %u/%s, a port whose IANA assignment was withdrawn",
					  j->display, port, tn);
			else
				fmt_trunc(a->signature, sizeof(a->signature),
					  "%s on %u/%s, withdrawn legacy port of %s", j->display, port, tn,
					  svc);
		} else if (desc[0] != '\0') {
			fmt_trunc(a->signature, sizeof(a->signature), "%s on %u/%s, legacy port of %s (%s)",
				  j->display, port, tn, svc, desc);
		} else {
			fmt_trunc(a->signature, sizeof(a->signature), "%s on %u/%s, legacy port of %s",
				  j->display, port, tn, svc);
		}
		if (names[0] == '\0')
			tf_copy(names, sizeof(names), svc);
		fmt_trunc(expl, sizeof(expl),
			  "Nothing current should listen on this port, so live traffic means a forgotten "
			  "legacy system, "
			  "a program reusing the port (often a backdoor) or scanning; basis: legacy list "
			  "%s:%u (%s).",
			  le != NULL ? base_name(le->file) : "?", le != NULL ? le->line : 0,
			  le != NULL ? le->source : "?");
		break;
	}
	}
	alert_meta_add(a, "verdict", verdict_name(v));
	alert_meta_add(a, "observed_protocol", j->proto);
	if (j->carried != NULL)
		alert_meta_add(a, "application", j->carried);
	alert_meta_add(a, "protocol_class", pmap_class_name(j->p->cls));
	alert_meta_add(a, "registered_service", names[0] != '\0' ? names : "-");
	alert_meta_add(a, "registered_description", desc[0] != '\0' ? desc : "-");
	alert_meta_add(a, "transport", tn);
	alert_meta_addf(a, "server_port", "%u", port);
	alert_meta_add(a, "explanation", expl);
	if (prim != NULL && prim->assignee[0] != '\0')
		alert_meta_add(a, "assignee", prim->assignee);
	if (prim != NULL && prim->registration_date[0] != '\0')
		alert_meta_add(a, "registration_date", prim->registration_date);
	/* IANA's CSV often has only the modification date (3219's "2022-07-18" is one). */
	if (prim != NULL && prim->modification_date[0] != '\0')
		alert_meta_add(a, "modification_date", prim->modification_date);
	if (prim != NULL && prim->notes[0] != '\0')
		alert_meta_add(a, "registration_notes", prim->notes);
	if (le != NULL) {
		alert_meta_add(a, "legacy_reason", le->reason);
		alert_meta_add(a, "legacy_source", le->source);
	}
	if (freq >= 0)
		alert_meta_addf(a, "nmap_open_frequency", "%ld.%06ld", freq / 1000000, freq % 1000000);
	if (sev_rule != NULL)
		alert_meta_addf(a, "severity_policy", "line %u%s%s", sev_rule->line,
				sev_rule->note[0] ? ": " : "", sev_rule->note);
}

enum mp_verdict classify_flow(const struct rules *rules, const struct classify_in *in, struct mp_alert *out)
{
	const struct registry *reg = rules_registry(rules);
	struct judged j;
	struct policy_flow pf;
	const struct policy_rule *rule;
	enum mp_verdict v;
	unsigned flags;
	int t = reg_transport_from_ip_proto(in->ip_proto), severity;

	if (t < 0 || judge_protocol(rules_protomap(rules), in, &j) < 0)
		return MP_VERDICT_NONE;
	if (j.p->n_names == 0 && !j.p->judged_alone && j.p->n_defacto == 0)
		return MP_VERDICT_NONE;
	flags = rules_port_flags(rules, in->server_port, (enum mp_transport)t);
	memset(&pf, 0, sizeof(pf));
	pf.family = in->family;
	pf.client = in->client_ip;
	pf.server = in->server_ip;
	pf.port = in->server_port;
	pf.transport = t;
	pf.proto = j.proto;
	pf.app = j.carried;
	if (flags & RULES_PORT_LEGACY) {
		v = MP_VERDICT_LEGACY_PORT;
		severity = 1;
	} else if (is_match(reg, j.p, in->server_port, (enum mp_transport)t)) {
		return MP_VERDICT_MATCH;
	} else if (flags & RULES_PORT_ASSIGNED) {
		v = MP_VERDICT_PORT_MISMATCH;
		severity = mismatch_severity(j.p, flags);
	} else if (j.p->has_own) {
		if (in->server_port >= DYNAMIC_PORT_MIN &&
		    policy_match(rules_policy(rules), POLICY_REPORT_DYNAMIC, &pf) == NULL)
			return MP_VERDICT_NONE;
		v = MP_VERDICT_UNREGISTERED_PORT;
		severity = 3;
	} else {
		return MP_VERDICT_NONE;
	}
	pf.verdict = (int)v;
	if (policy_match(rules_policy(rules), POLICY_ALLOW, &pf) != NULL)
		return MP_VERDICT_ALLOWED;
	rule = policy_match(rules_policy(rules), POLICY_SEVERITY, &pf);
	if (rule != NULL)
		severity = rule->severity;
	if (out != NULL)
		fill_alert(rules, in, (enum mp_transport)t, &j, v, severity, rule, out);
	return v;
}

int classify_port_service(const struct rules *rules, uint16_t port, uint8_t ip_proto, const char **service,
			  const char **description)
{
	int t = reg_transport_from_ip_proto(ip_proto);
	const struct reg_entry *e;

	if (t < 0)
		return -1;
	e = reg_primary(rules_registry(rules), port, (enum mp_transport)t);
	if (e == NULL)
		return -1;
	*service = e->service;
	*description = e->description;
	return 0;
}
