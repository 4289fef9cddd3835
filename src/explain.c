/* explain.c: a port's registration (RFC 6335 registry), legacy status, prevalence and expected protocols,
 * as a terminal page or JSON. */
#include "misport/explain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "misport/config.h"
#include "misport/dpi_ports.h"
#include "misport/json.h"
#include "misport/rules.h"

struct target {
	uint16_t port;
	uint8_t ip_proto;
};

struct names {
	char v[MP_EXPLAIN_MAX_NAMES][48];
	size_t n;
};

static void names_add(const char *name, void *user)
{
	struct names *ns = user;
	size_t len = strlen(name);

	if (ns->n >= MP_EXPLAIN_MAX_NAMES)
		return;
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return;
	if (len >= sizeof(ns->v[0]))
		len = sizeof(ns->v[0]) - 1;
	memcpy(ns->v[ns->n], name, len);
	ns->v[ns->n][len] = '\0';
	ns->n++;
}

static const char *range_name(uint16_t port)
{
	if (port < 1024)
		return "system (well-known) port, 0-1023";
	if (port < 49152)
		return "user (registered) port, 1024-49151";
	return "dynamic/private port, 49152-65535";
}

/* Everything a page says about one (port, transport). */
struct facts {
	uint16_t port;
	uint8_t ip_proto;
	const char *tp;
	const struct reg_entry *const *regs;
	size_t nregs;
	const struct legacy_entry *const *leg;
	size_t nleg;
	const struct legacy_entry *legacy; /* the entry that makes the port legacy, or NULL */
	unsigned flags;                    /* RULES_PORT_* */
	long freq;                         /* nmap, millionths, or -1 */
	struct names ndpi;                 /* nDPI protocols with this default port */
	struct names mapped;               /* protocols of the map that count a registered name here */
	char likely[640];
};

static void gather(const struct rules *r, uint16_t port, uint8_t ip_proto, struct facts *f)
{
	enum mp_transport t = ip_proto == 6 ? MP_TRANSPORT_TCP : MP_TRANSPORT_UDP;
	const struct protomap *pm = rules_protomap(r);
	char err[128];
	size_t assigned = 0;

	memset(f, 0, sizeof(*f));
	f->port = port;
	f->ip_proto = ip_proto;
	f->tp = reg_transport_name(t);
	f->nregs = reg_lookup_port(rules_registry(r), port, t, &f->regs);
	f->nleg = legacy_lookup(rules_legacy(r), port, t, &f->leg);
	f->legacy = rules_port_legacy(r, port, t);
	f->flags = rules_port_flags(r, port, t);
	f->freq = reg_nmap_freq(rules_registry(r), port, t);
	(void)dpi_protocols_on_port(port, ip_proto, names_add, &f->ndpi, err, sizeof(err));
	for (size_t i = 0; i < f->nregs; i++) {
		if (f->regs[i]->flags & REG_F_RESERVED)
			continue;
		assigned++;
		for (size_t k = 0; k < pmap_count(pm); k++) {
			const struct pmap_proto *p = pmap_at(pm, k);

			for (size_t m = 0; m < p->n_names; m++)
				if (!p->names[m].carried &&
				    strcasecmp(p->names[m].service, f->regs[i]->service) == 0)
					names_add(p->ndpi, &f->mapped);
		}
	}
	if (f->legacy != NULL)
		snprintf(
		    f->likely, sizeof(f->likely),
		    "The registered product is dormant or gone (see legacy), so real traffic here is most "
		    "likely "
		    "an application that picked a port that looked free, a misconfiguration, or scanning; "
		    "misport reports any payload here as legacy-port.");
	else if (assigned == 0 && port >= 49152)
		snprintf(
		    f->likely, sizeof(f->likely),
		    "Dynamic range: client ephemeral ports and peer-to-peer applications live here; a server "
		    "on it is an application's own choice. misport reports a known protocol here only when "
		    "the "
		    "policy asks (report-dynamic).");
	else if (assigned == 0)
		snprintf(
		    f->likely, sizeof(f->likely),
		    "IANA has assigned nothing here: a server on this port is an application's own choice "
		    "(or "
		    "a misconfiguration), and probes of it are usually scanning. A protocol with its own "
		    "registered port seen here is reported as unregistered-port.");
	else if (f->mapped.n > 0)
		snprintf(f->likely, sizeof(f->likely),
			 "A well-known service port: traffic here should be %s%s; any other protocol "
			 "deserves a look "
			 "(port-mismatch), and unanswered probes are usually scanning.",
			 f->mapped.v[0], f->mapped.n > 1 ? " (or the other protocols listed)" : "");
	else
		snprintf(
		    f->likely, sizeof(f->likely),
		    "Registered to a specific product. If that product is not deployed here, traffic on the "
		    "port is most likely another application that picked it, a misconfiguration, or "
		    "scanning; "
		    "the product itself may speak HTTP or TLS, so those carriers get a lower severity.");
}

static void print_kv(FILE *fp, bool colour, const char *key, const char *value)
{
	fprintf(fp, "  %s%-18s%s %s\n", colour ? "\033[1m" : "", key, colour ? "\033[0m" : "", value);
}

static void page_text(const struct facts *f, bool colour, FILE *fp)
{
	char buf[1024];
	const char *first = NULL;

	for (size_t i = 0; i < f->nregs && first == NULL; i++)
		if (!(f->regs[i]->flags & REG_F_RESERVED))
			first = f->regs[i]->service;
	fprintf(fp, "%s%u/%s%s  %s\n", colour ? "\033[1;4m" : "", f->port, f->tp, colour ? "\033[0m" : "",
		first != NULL ? first : "(not assigned by IANA)");
	print_kv(fp, colour, "range", range_name(f->port));
	for (size_t i = 0; i < f->nregs; i++) {
		const struct reg_entry *e = f->regs[i];

		if (e->flags & REG_F_RESERVED) {
			snprintf(buf, sizeof(buf), "%s%s%s", e->description[0] ? e->description : "reserved",
				 e->notes[0] ? " -- " : "", e->notes);
			print_kv(fp, colour, "IANA (no name)", buf);
			continue;
		}
		snprintf(buf, sizeof(buf), "%s -- %s", e->service,
			 e->description[0] ? e->description : "(no description)");
		print_kv(fp, colour, "IANA service", buf);
		if (e->assignee[0] != '\0')
			print_kv(fp, colour, "  assignee", e->assignee);
		if (e->registration_date[0] != '\0')
			print_kv(fp, colour, "  registered", e->registration_date);
		if (e->modification_date[0] != '\0')
			print_kv(fp, colour, "  modified", e->modification_date);
		if (e->reference[0] != '\0')
			print_kv(fp, colour, "  reference", e->reference);
		if (e->notes[0] != '\0')
			print_kv(fp, colour, "  notes", e->notes);
	}
	if (f->nregs == 0)
		print_kv(fp, colour, "IANA service", "none: unassigned");
	if (f->legacy != NULL) {
		snprintf(buf, sizeof(buf), "%s%s%s -- %s (source: %s)", colour ? "\033[31m" : "", "LEGACY",
			 colour ? "\033[0m" : "", f->legacy->reason, f->legacy->source);
		print_kv(fp, colour, "legacy", buf);
	} else {
		print_kv(fp, colour, "legacy", "no");
	}
	for (size_t i = 0; i < f->nleg; i++)
		if (f->leg[i] != f->legacy && f->leg[i]->scope == LEGACY_SCOPE_NAME) {
			snprintf(buf, sizeof(buf), "the name %s is historic: %s", f->leg[i]->service,
				 f->leg[i]->reason);
			print_kv(fp, colour, "  note", buf);
		}
	if (f->freq >= 0)
		snprintf(buf, sizeof(buf), "%.6f (share of nmap's scans that found it open)",
			 (double)f->freq / 1e6);
	else
		snprintf(buf, sizeof(buf), "unknown (nmap lists no frequency)");
	print_kv(fp, colour, "nmap open-freq", buf);
	buf[0] = '\0';
	for (size_t i = 0; i < f->ndpi.n; i++) {
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "", f->ndpi.v[i]);
	}
	print_kv(fp, colour, "nDPI expects", f->ndpi.n ? buf : "no protocol has this as a default port");
	buf[0] = '\0';
	for (size_t i = 0; i < f->mapped.n; i++) {
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? ", " : "", f->mapped.v[i]);
	}
	print_kv(fp, colour, "counts as match",
		 f->mapped.n ? buf : "(no nDPI protocol claims the registered name)");
	print_kv(fp, colour, "likely traffic", f->likely);
	fprintf(fp, "  %s%-18s%s Linux: ss -%slnp 'sport = :%u'    lsof -nP -i %s:%u\n",
		colour ? "\033[1m" : "", "what listens", colour ? "\033[0m" : "",
		f->ip_proto == 6 ? "t" : "u", f->port, f->ip_proto == 6 ? "TCP" : "UDP", f->port);
	fprintf(fp, "  %-18s Windows: netstat -ano | findstr :%u    macOS/BSD: lsof -nP -i %s:%u\n\n", "",
		f->port, f->ip_proto == 6 ? "TCP" : "UDP", f->port);
}

static void page_json(const struct facts *f, struct jbuf *j)
{
	char cmd[128];

	jb_obj_open(j, NULL);
	jb_u64(j, "port", f->port);
	jb_str(j, "transport", f->tp);
	jb_str(j, "range", f->port < 1024 ? "system" : f->port < 49152 ? "user" : "dynamic");
	jb_arr_open(j, "services");
	for (size_t i = 0; i < f->nregs; i++) {
		const struct reg_entry *e = f->regs[i];

		jb_obj_open(j, NULL);
		jb_str(j, "name", e->service);
		jb_str(j, "description", e->description);
		jb_bool(j, "assigned", !(e->flags & REG_F_RESERVED));
		if (e->assignee[0])
			jb_str(j, "assignee", e->assignee);
		if (e->registration_date[0])
			jb_str(j, "registration_date", e->registration_date);
		if (e->modification_date[0])
			jb_str(j, "modification_date", e->modification_date);
		if (e->reference[0])
			jb_str(j, "reference", e->reference);
		if (e->notes[0])
			jb_str(j, "notes", e->notes);
		jb_obj_close(j);
	}
	jb_arr_close(j);
	jb_bool(j, "legacy", f->legacy != NULL);
	if (f->legacy != NULL) {
		jb_str(j, "legacy_reason", f->legacy->reason);
		jb_str(j, "legacy_source", f->legacy->source);
	}
	if (f->freq >= 0) {
		char v[32];
		snprintf(v, sizeof(v), "%.6f", (double)f->freq / 1e6);
		jb_str(j, "nmap_open_frequency", v);
	}
	jb_arr_open(j, "ndpi_expected");
	for (size_t i = 0; i < f->ndpi.n; i++)
		jb_str(j, NULL, f->ndpi.v[i]);
	jb_arr_close(j);
	jb_arr_open(j, "counts_as_match");
	for (size_t i = 0; i < f->mapped.n; i++)
		jb_str(j, NULL, f->mapped.v[i]);
	jb_arr_close(j);
	jb_str(j, "likely_traffic", f->likely);
	jb_arr_open(j, "commands");
	snprintf(cmd, sizeof(cmd), "ss -%slnp 'sport = :%u'", f->ip_proto == 6 ? "t" : "u", f->port);
	jb_str(j, NULL, cmd);
	snprintf(cmd, sizeof(cmd), "lsof -nP -i %s:%u", f->ip_proto == 6 ? "TCP" : "UDP", f->port);
	jb_str(j, NULL, cmd);
	snprintf(cmd, sizeof(cmd), "netstat -ano | findstr :%u", f->port);
	jb_str(j, NULL, cmd);
	jb_arr_close(j);
	jb_obj_close(j);
}

/* Parses "PORT", "PORT/tcp" or "PORT/udp". Returns the number of targets (1 or 2), 0 when q is not a
 * port (a service name then), or -1 when it looks like a port but is invalid. */
static int parse_port(const char *q, struct target *t)
{
	char *end;
	unsigned long v;

	if (q[0] < '0' || q[0] > '9')
		return 0;
	errno = 0;
	v = strtoul(q, &end, 10);
	if (errno != 0 || v > 65535)
		return -1;
	if (*end == '\0') {
		t[0] = (struct target){(uint16_t)v, 6};
		t[1] = (struct target){(uint16_t)v, 17};
		return 2;
	}
	if (strcasecmp(end, "/tcp") == 0) {
		t[0] = (struct target){(uint16_t)v, 6};
		return 1;
	}
	if (strcasecmp(end, "/udp") == 0) {
		t[0] = (struct target){(uint16_t)v, 17};
		return 1;
	}
	return -1;
}

int explain_query(const struct rules *rules, const char *query, bool json, bool colour, FILE *fp, char *err,
		  size_t errlen)
{
	static struct target t[MP_EXPLAIN_MAX_TARGETS];
	struct facts *f;
	int n = parse_port(query, t);

	if (n < 0) {
		snprintf(err, errlen, "explain: '%s' is not PORT, PORT/tcp, PORT/udp or a service name",
			 query);
		return -1;
	}
	if (n == 0) {
		const struct reg_entry *const *e;
		size_t k = reg_lookup_name(rules_registry(rules), query, &e);

		for (size_t i = 0; i < k; i++)
			for (uint32_t p = e[i]->port_lo; p <= e[i]->port_hi && n < MP_EXPLAIN_MAX_TARGETS;
			     p++) {
				uint8_t ipp = e[i]->transport == MP_TRANSPORT_TCP ? 6 : 17;
				bool dup = false;

				for (int d = 0; d < n; d++)
					dup |= t[d].port == p && t[d].ip_proto == ipp;
				if (!dup)
					t[n++] = (struct target){(uint16_t)p, ipp};
			}
		if (n == 0) {
			snprintf(err, errlen, "explain: '%s' is not an IANA service name in %s", query,
				 reg_path(rules_registry(rules)));
			return -1;
		}
	}
	f = malloc(sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "explain: out of memory");
		return -1;
	}
	if (json) {
		size_t cap = 1u << 20;
		char *buf = malloc(cap);
		struct jbuf j;

		if (buf == NULL) {
			free(f);
			snprintf(err, errlen, "explain: out of memory");
			return -1;
		}
		jb_init(&j, buf, cap);
		jb_obj_open(&j, NULL);
		jb_str(&j, "query", query);
		jb_str(&j, "registry", reg_source(rules_registry(rules)));
		jb_arr_open(&j, "ports");
		for (int i = 0; i < n; i++) {
			gather(rules, t[i].port, t[i].ip_proto, f);
			page_json(f, &j);
		}
		jb_arr_close(&j);
		jb_obj_close(&j);
		fprintf(fp, "%s\n", buf);
		free(buf);
	} else {
		for (int i = 0; i < n; i++) {
			gather(rules, t[i].port, t[i].ip_proto, f);
			page_text(f, colour, fp);
		}
	}
	free(f);
	return 0;
}
