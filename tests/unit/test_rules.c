/* test_rules.c: the protocol map (incl. coverage of every nDPI 4.2 protocol), the legacy list and the policy
 * parser. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <ndpi/ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "misport/rules.h"

#define RULES SOURCE_DIR "/rules"
#define CSV   SHARED_DIR "/iana/service-names-port-numbers.csv"

static char tmp_path[64];

static const char *write_tmp(const char *content)
{
	int fd;
	FILE *fp;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/misport-rules-XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert(fd >= 0);
	fp = fdopen(fd, "wb");
	cr_assert_not_null(fp);
	fputs(content, fp);
	fclose(fp);
	return tmp_path;
}

static void expect_prefix(const char *err, const char *path, const char *line, const char *text)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "%s:%s:", path, line);
	cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "error \"%s\" does not start with \"%s\"", err,
		  prefix);
	cr_assert_not_null(strstr(err, text), "error \"%s\" lacks \"%s\"", err, text);
}

static struct protomap *shipped_pmap(void)
{
	struct protomap *m;
	char err[256];

	cr_assert_eq(pmap_load(RULES "/protomap.conf", &m, err, sizeof(err)), 0, "%s", err);
	return m;
}

static struct registry *shipped_registry(void)
{
	struct registry *r;
	char err[256];

	cr_assert_eq(reg_load_tsv(RULES "/registry.tsv", &r, err, sizeof(err)), 0, "%s", err);
	return r;
}

/* ---- protocol map
 * ---------------------------------------------------------------------------------------------- */

Test(protomap, shipped_map_loads)
{
	struct protomap *m = shipped_pmap();
	const struct pmap_proto *p;

	cr_assert_eq(pmap_count(m), 282);
	p = pmap_find(m, "HTTP");
	cr_assert_not_null(p);
	cr_assert_eq(p->cls, PMAP_CLASS_CARRIER);
	cr_assert(pmap_counts_as(p, "http-alt"));
	cr_assert(pmap_counts_as(p, "WWW"));
	cr_assert(p->has_own);
	p = pmap_find(m, "TLS");
	for (const char *const *s = (const char *const[]){"https", "imaps", "pop3s", "ldaps", "ftps",
							  "ircs-u", "domain-s", "submissions", "imap", NULL};
	     *s != NULL; s++)
		cr_assert(pmap_counts_as(p, *s), "TLS should count as %s", *s);
	cr_assert_not(pmap_counts_as(p, "ssh"));
	p = pmap_find(m, "SSH");
	cr_assert(pmap_counts_as(p, "ssh"));
	cr_assert_eq(p->cls, PMAP_CLASS_SERVICE);
	cr_assert(pmap_counts_as(pmap_find(m, "DNS"), "domain"));
	p = pmap_find(m, "Google");
	cr_assert_str_eq(p->reason, "carried");
	cr_assert_eq(p->n_names, 0);
	cr_assert_not(p->judged_alone);
	cr_assert_str_eq(pmap_find(m, "GRE")->reason, "nonport");
	cr_assert(pmap_find(m, "BitTorrent")->judged_alone);
	p = pmap_find(m, "DTLS");
	cr_assert_gt(p->n_names, 0);
	cr_assert_not(p->has_own); /* only carried names: DTLS has no port of its own */
	cr_assert_not_null(pmap_defacto_for(pmap_find(m, "Syslog"), 514, MP_TRANSPORT_TCP));
	cr_assert_null(pmap_defacto_for(pmap_find(m, "Syslog"), 514, MP_TRANSPORT_UDP));
	cr_assert_not_null(pmap_defacto_for(pmap_find(m, "SAP"), 3299, MP_TRANSPORT_TCP));
	cr_assert(pmap_knows_service(m, "ms-wbt-server"));
	cr_assert_not(pmap_knows_service(m, "umm-port"));
	cr_assert_not_null(pmap_reason_text(m, "carried"));
	cr_assert_not_null(pmap_class_text(m, PMAP_CLASS_APP));
	cr_assert_null(pmap_find(m, "NoSuchProtocol"));
	pmap_free(m);
}

/* Every protocol nDPI 4.2 knows has exactly one line, and every line names a protocol nDPI knows. */
Test(protomap, covers_every_ndpi_protocol)
{
	struct protomap *m = shipped_pmap();
	struct ndpi_detection_module_struct *nd = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK all;
	unsigned n, mapped = 0, none = 0;

	cr_assert_not_null(nd);
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(nd, &all);
	ndpi_finalize_initialization(nd);
	n = ndpi_get_num_supported_protocols(nd);
	cr_assert_gt(n, 250);
	for (unsigned id = 0; id < n; id++) {
		const char *name = ndpi_get_proto_name(nd, (u_int16_t)id);
		const struct pmap_proto *p = pmap_find(m, name);

		cr_expect_not_null(p, "nDPI protocol %u \"%s\" is missing from protomap.conf", id, name);
		if (p != NULL && p->n_names > 0)
			mapped++;
		else if (p != NULL)
			none++;
	}
	for (size_t i = 0; i < pmap_count(m); i++) {
		const char *name = pmap_at(m, i)->ndpi;
		int found = 0;

		for (unsigned id = 0; id < n && !found; id++)
			found = strcmp(ndpi_get_proto_name(nd, (u_int16_t)id), name) == 0;
		cr_expect(found, "protomap.conf:%u names \"%s\", which nDPI does not know",
			  pmap_at(m, i)->line, name);
	}
	cr_log_info("nDPI protocols: %u, mapped to IANA names: %u, marked without counterpart: %u", n, mapped,
		    none);
	cr_assert_eq(mapped + none, n);
	ndpi_exit_detection_module(nd);
	pmap_free(m);
}

Test(protomap, every_service_name_is_registered)
{
	struct protomap *m = shipped_pmap();
	struct registry *r = shipped_registry(), *csv = NULL;
	const struct reg_entry *const *v = NULL;
	char err[256];

	if (access(CSV, R_OK) == 0)
		cr_assert_eq(reg_load_csv(CSV, &csv, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < pmap_count(m); i++) {
		const struct pmap_proto *p = pmap_at(m, i);

		for (size_t k = 0; k < p->n_names; k++) {
			cr_expect_gt(reg_lookup_name(r, p->names[k].service, &v), 0,
				     "%s: %s is not in registry.tsv", p->ndpi, p->names[k].service);
			if (csv != NULL)
				cr_expect_gt(reg_lookup_name(csv, p->names[k].service, &v), 0,
					     "%s: %s is not in IANA's CSV", p->ndpi, p->names[k].service);
		}
	}
	reg_free(csv);
	reg_free(r);
	pmap_free(m);
}

static void pmap_expect_error(const char *content, const char *line, const char *text)
{
	struct protomap *m = NULL;
	char err[512] = "";
	const char *path = write_tmp(content);

	cr_assert_eq(pmap_load(path, &m, err, sizeof(err)), -1, "loaded: %s", content);
	cr_assert_null(m);
	expect_prefix(err, path, line, text);
	unlink(path);
}

#define PM_HDR "# source: t\n# date: 2025-01-01\nclass service x\nreason carried skip y\n"

Test(protomap, malformed_lines_name_file_and_line)
{
	pmap_expect_error(PM_HDR "proto SSH carrier ssh\n", "5", "class \"carrier\" is not declared");
	pmap_expect_error(PM_HDR "proto Google service none unregistered\n", "5",
			  "reason \"unregistered\" is not declared");
	pmap_expect_error(PM_HDR "proto SSH service ssh\nproto SSH service ssh\n", "6", "mapped twice");
	pmap_expect_error(PM_HDR "defacto SSH 22/tcp x\n", "5", "no proto line before");
	pmap_expect_error(PM_HDR "proto SSH service ssh\ndefacto SSH 22/sctp x\n", "6", "bad transport");
	pmap_expect_error(PM_HDR "proto SSH service ssh\ndefacto SSH 22 x\n", "6", "lacks /tcp");
	pmap_expect_error(PM_HDR "proto SSH service ssh\ndefacto SSH 99999/tcp x\n", "6", "bad port");
	pmap_expect_error(PM_HDR "proto SSH service ssh SSH\n", "5", "listed twice");
	pmap_expect_error(PM_HDR "proto SSH service\n", "5", "expected");
	pmap_expect_error(PM_HDR "proto X service none carried extra\n", "5", "exactly one reason");
	pmap_expect_error(PM_HDR "map SSH ssh\n", "5", "unknown keyword");
	pmap_expect_error(PM_HDR "class bogus text\n", "5", "unknown class");
	pmap_expect_error(PM_HDR "class service again\n", "5", "declared twice");
	pmap_expect_error(PM_HDR "reason r maybe text\n", "5", "neither judge nor skip");
}

Test(protomap, header_is_required)
{
	struct protomap *m = NULL;
	char err[256];
	const char *path = write_tmp("class service x\nproto SSH service ssh\n");

	cr_assert_eq(pmap_load(path, &m, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "header"), "%s", err);
	unlink(path);
}

/* ---- legacy list
 * ------------------------------------------------------------------------------------------------ */

static struct legacy_list *shipped_legacy(void)
{
	const char *paths[] = {RULES "/legacy.tsv", RULES "/legacy-iana.tsv"};
	struct legacy_list *l;
	char err[256];

	cr_assert_eq(legacy_load(paths, 2, &l, err, sizeof(err)), 0, "%s", err);
	return l;
}

static int listed(const struct legacy_list *l, uint16_t port, enum mp_transport t, const char *service)
{
	const struct legacy_entry *const *v = NULL;
	size_t n = legacy_lookup(l, port, t, &v);

	for (size_t i = 0; i < n; i++)
		if (service == NULL || strcasecmp(v[i]->service, service) == 0)
			return 1;
	return 0;
}

Test(legacy, shipped_list_loads)
{
	struct legacy_list *l = shipped_legacy();
	size_t curated = 0;

	for (size_t i = 0; i < legacy_count(l); i++) {
		const struct legacy_entry *e = legacy_at(l, i);

		if (strstr(e->file, "legacy.tsv") != NULL && strstr(e->file, "legacy-iana") == NULL)
			curated++;
		cr_assert_str_neq(e->reason, "");
		cr_assert_str_neq(e->source, "");
	}
	cr_assert_geq(curated, 30);
	cr_log_info("legacy entries: %zu (%zu hand-kept)", legacy_count(l), curated);
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		cr_assert(listed(l, 598, (enum mp_transport)t, "sco-websrvrmg3"));
		cr_assert(listed(l, 3098, (enum mp_transport)t, "umm-port"));
	}
	cr_assert(listed(l, 18, MP_TRANSPORT_TCP, "msp"));      /* IANA: "(historic)" */
	cr_assert(listed(l, 585, MP_TRANSPORT_TCP, NULL));      /* IANA: De-registered */
	cr_assert(listed(l, 63, MP_TRANSPORT_TCP, "whois++"));  /* IANA: historic alias */
	cr_assert(listed(l, 14001, MP_TRANSPORT_UDP, "sua"));   /* IANA: De-Registered */
	cr_assert_not(listed(l, 3219, MP_TRANSPORT_TCP, NULL)); /* wms-messenger is current */
	cr_assert_not(listed(l, 79, MP_TRANSPORT_TCP, NULL));   /* finger still exists */
	cr_assert_not(listed(l, 514, MP_TRANSPORT_TCP, NULL));  /* syslog over TCP uses it */
	legacy_free(l);
}

/* A legacy entry must agree with the registry: a port or name entry names a service registered on that port
 * (a name entry's canonical name when only IANA's CSV has the alias); a vacated entry's port is either free
 * or still carries the withdrawn name in the older Wireshark copy. */
Test(legacy, every_entry_exists_in_the_registry)
{
	struct legacy_list *l = shipped_legacy();
	struct registry *r = shipped_registry(), *csv = NULL;
	char err[256];

	if (access(CSV, R_OK) == 0)
		cr_assert_eq(reg_load_csv(CSV, &csv, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < legacy_count(l); i++) {
		const struct legacy_entry *e = legacy_at(l, i);
		enum mp_transport t = (enum mp_transport)e->transport;
		const struct reg_entry *const *v = NULL;

		switch (e->scope) {
		case LEGACY_SCOPE_PORT:
			cr_expect(reg_has(r, e->service, e->port, t), "%s:%u: %s is not registered on %u/%s",
				  e->file, e->line, e->service, e->port, reg_transport_name(t));
			break;
		case LEGACY_SCOPE_NAME:
			cr_expect_not_null(reg_primary(r, e->port, t), "%s:%u: %u/%s has no registration",
					   e->file, e->line, e->port, reg_transport_name(t));
			if (csv != NULL)
				cr_expect(reg_has(csv, e->service, e->port, t),
					  "%s:%u: IANA has no alias %s on %u", e->file, e->line, e->service,
					  e->port);
			break;
		case LEGACY_SCOPE_VACATED:
			cr_expect(reg_primary(r, e->port, t) == NULL || reg_has(r, e->service, e->port, t),
				  "%s:%u: %u/%s is assigned to %s", e->file, e->line, e->port,
				  reg_transport_name(t), reg_primary(r, e->port, t)->service);
			if (csv != NULL)
				cr_expect(reg_lookup_port(csv, e->port, t, &v) > 0,
					  "%s:%u: IANA lists nothing on %u/%s", e->file, e->line, e->port,
					  reg_transport_name(t));
			break;
		}
	}
	reg_free(csv);
	reg_free(r);
	legacy_free(l);
}

static int word_historic(const char *s)
{
	/* "historic" as a word (not "Historically") */
	for (const char *p = s; (p = strcasestr(p, "historic")) != NULL; p += 8)
		if (!isalpha((unsigned char)p[8]))
			return 1;
	return 0;
}

/* Every entry IANA's own text marks historic, deprecated, de-registered, de-assigned, removed or withdrawn is
 * in the legacy list (re-assigned ports whose notes only recall an earlier removal are not). */
Test(legacy, includes_every_entry_iana_marks)
{
	struct legacy_list *l = shipped_legacy();
	struct registry *csv;
	char err[256];
	static const char *const marks[] = {"deprecated",      "de-registered",   "de-assigned",
					    "removed",         "withdrawn",       "decomissioned",
					    "de-commissioned", "no longer in use"};
	size_t checked = 0;

	if (access(CSV, R_OK) != 0)
		cr_skip_test("IANA CSV not present at %s", CSV);
	cr_assert_eq(reg_load_csv(CSV, &csv, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < reg_count(csv); i++) {
		const struct reg_entry *e = reg_entry_at(csv, i);
		int marked = word_historic(e->description) || word_historic(e->notes);

		for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]) && !marked; k++)
			marked = strcasestr(e->description, marks[k]) != NULL ||
				 strcasestr(e->notes, marks[k]) != NULL;
		if (!marked || e->port_lo != e->port_hi)
			continue;
		if (!(e->flags & REG_F_RESERVED) && strcasestr(e->notes, "previously") != NULL)
			continue; /* a live registration whose port was removed once, long ago */
		checked++;
		cr_expect(listed(l, e->port_lo, (enum mp_transport)e->transport, NULL),
			  "IANA marks %s %u/%s (\"%s\"), but the legacy list lacks it",
			  e->service[0] ? e->service : "-", e->port_lo,
			  reg_transport_name((enum mp_transport)e->transport), e->description);
	}
	cr_assert_gt(checked, 200);
	reg_free(csv);
	legacy_free(l);
}

static void legacy_expect_error(const char *content, const char *line, const char *text)
{
	struct legacy_list *l = NULL;
	char err[512] = "";
	const char *path = write_tmp(content);
	const char *paths[] = {path};

	cr_assert_eq(legacy_load(paths, 1, &l, err, sizeof(err)), -1, "loaded: %s", content);
	cr_assert_null(l);
	expect_prefix(err, path, line, text);
	unlink(path);
}

#define LG_HDR "# source: t\n# date: 2025-01-01\n"

Test(legacy, malformed_lines_name_file_and_line)
{
	legacy_expect_error(LG_HDR "598\ttcp\tsco-websrvrmg3\tport\tsrc\n", "3", "expected 6");
	legacy_expect_error(LG_HDR "598\ttcp\tsco-websrvrmg3\tdead\tsrc\treason\n", "3", "bad scope");
	legacy_expect_error(LG_HDR "598\tsctp\tsco-websrvrmg3\tport\tsrc\treason\n", "3", "bad transport");
	legacy_expect_error(LG_HDR "65536\ttcp\tx\tport\tsrc\treason\n", "3", "bad port");
	legacy_expect_error(LG_HDR "598\ttcp\t-\tport\tsrc\treason\n", "3", "needs a service");
	legacy_expect_error(LG_HDR "598\ttcp\tx\tport\t\treason\n", "3", "empty source");
	legacy_expect_error(LG_HDR "598\ttcp/udp\tx\tport\ts\tr\n598\tudp\tx\tport\ts\tr\n", "4",
			    "already listed");
}

Test(legacy, tcp_udp_expands_and_lookup_sorts)
{
	struct legacy_list *l = NULL;
	char err[256];
	const char *path = write_tmp(LG_HDR "70\ttcp/udp\tgopher\tport\ts\tr\n5\tudp\t-\tvacated\ts\tr\n");
	const char *paths[] = {path};
	const struct legacy_entry *const *v = NULL;

	cr_assert_eq(legacy_load(paths, 1, &l, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(legacy_count(l), 3);
	cr_assert_eq(legacy_lookup(l, 70, MP_TRANSPORT_UDP, &v), 1);
	cr_assert_eq(v[0]->line, 3);
	cr_assert_eq(v[0]->scope, LEGACY_SCOPE_PORT);
	cr_assert_eq(legacy_lookup(l, 5, MP_TRANSPORT_TCP, &v), 0);
	cr_assert_eq(legacy_at(l, 0)->port, 70); /* tcp first, then udp by port */
	cr_assert_eq(legacy_at(l, 1)->port, 5);
	cr_assert_str_eq(legacy_scope_name(LEGACY_SCOPE_VACATED), "vacated");
	legacy_free(l);
	unlink(path);
}

/* ---- policy
 * ----------------------------------------------------------------------------------------------------- */

static const uint8_t *ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	static uint8_t buf[4][16];
	static int k;
	uint8_t *p = buf[k++ % 4];

	memset(p, 0, 16);
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p;
}

Test(policy, cidr_v4_and_v6)
{
	struct policy_net n;
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	cr_assert_eq(policy_parse_cidr("10.0.0.0/8", &n), 0);
	cr_assert_eq(n.family, 4);
	cr_assert_eq(n.prefix, 8);
	cr_assert(policy_net_contains(&n, 4, ip4(10, 200, 3, 4)));
	cr_assert_not(policy_net_contains(&n, 4, ip4(11, 0, 0, 1)));
	cr_assert_not(policy_net_contains(&n, 6, ip4(10, 0, 0, 1)));
	cr_assert_eq(policy_parse_cidr("10.1.2.3", &n), 0);
	cr_assert_eq(n.prefix, 32);
	cr_assert(policy_net_contains(&n, 4, ip4(10, 1, 2, 3)));
	cr_assert_not(policy_net_contains(&n, 4, ip4(10, 1, 2, 4)));
	cr_assert_eq(policy_parse_cidr("192.168.1.77/26", &n), 0); /* host bits cleared */
	cr_assert(policy_net_contains(&n, 4, ip4(192, 168, 1, 64)));
	cr_assert_not(policy_net_contains(&n, 4, ip4(192, 168, 1, 128)));
	cr_assert_eq(policy_parse_cidr("0.0.0.0/0", &n), 0);
	cr_assert(policy_net_contains(&n, 4, ip4(1, 2, 3, 4)));
	cr_assert_eq(policy_parse_cidr("2001:db8:10::/44", &n), 0);
	cr_assert_eq(n.family, 6);
	cr_assert(policy_net_contains(&n, 6, v6));
	v6[5] = 0x20;
	cr_assert_not(policy_net_contains(&n, 6, v6));
	cr_assert_eq(policy_parse_cidr("::1", &n), 0);
	cr_assert_eq(n.prefix, 128);
	cr_assert_not(policy_net_contains(&n, 6, NULL));

	cr_assert_eq(policy_parse_cidr("10.0.0.0/33", &n), -1);
	cr_assert_eq(policy_parse_cidr("2001:db8::/129", &n), -1);
	cr_assert_eq(policy_parse_cidr("10.0.0/8", &n), -1);
	cr_assert_eq(policy_parse_cidr("10.0.0.0/", &n), -1);
	cr_assert_eq(policy_parse_cidr("10.0.0.0/-1", &n), -1);
	cr_assert_eq(policy_parse_cidr("host.example", &n), -1);
	cr_assert_eq(policy_parse_cidr("/8", &n), -1);
}

Test(policy, good_lines)
{
	struct protomap *m = shipped_pmap();
	struct policy *p;
	char err[256];
	const struct policy_rule *r;
	const char *path = write_tmp("# local\n"
				     "allow server 10.1.2.3 port 3098/tcp proto HTTP   # our app server\n"
				     "\n"
				     "allow client 2001:db8::/32 proto SSH verdict port-mismatch\n"
				     "severity 3 proto TLS verdict port-mismatch\n"
				     "report-dynamic server 10.0.0.0/8 port 49152-65535/udp\n");

	cr_assert_eq(policy_load(path, m, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_count(p), 4);
	r = policy_at(p, 0);
	cr_assert_eq(r->action, POLICY_ALLOW);
	cr_assert(r->has_server);
	cr_assert_not(r->has_client);
	cr_assert_eq(r->server.prefix, 32);
	cr_assert_eq(r->port_lo, 3098);
	cr_assert_eq(r->port_hi, 3098);
	cr_assert_eq(r->transport, MP_TRANSPORT_TCP);
	cr_assert_str_eq(r->proto, "HTTP");
	cr_assert_eq(r->verdict, -1);
	cr_assert_str_eq(r->note, "our app server");
	cr_assert_eq(r->line, 2);
	r = policy_at(p, 1);
	cr_assert(r->has_client);
	cr_assert_eq(r->client.family, 6);
	cr_assert_eq(r->verdict, MP_VERDICT_PORT_MISMATCH);
	r = policy_at(p, 2);
	cr_assert_eq(r->action, POLICY_SEVERITY);
	cr_assert_eq(r->severity, 3);
	r = policy_at(p, 3);
	cr_assert_eq(r->action, POLICY_REPORT_DYNAMIC);
	cr_assert_eq(r->port_lo, 49152);
	cr_assert_eq(r->port_hi, 65535);
	cr_assert_eq(r->transport, MP_TRANSPORT_UDP);

	{
		struct policy_flow f = {.family = 4,
					.client = ip4(192, 0, 2, 1),
					.server = ip4(10, 1, 2, 3),
					.port = 3098,
					.transport = MP_TRANSPORT_TCP,
					.proto = "HTTP",
					.verdict = MP_VERDICT_PORT_MISMATCH};

		cr_assert_eq(policy_match(p, POLICY_ALLOW, &f), policy_at(p, 0));
		f.server = ip4(10, 1, 2, 4);
		cr_assert_null(policy_match(p, POLICY_ALLOW, &f));
		f.server = ip4(10, 1, 2, 3);
		f.transport = MP_TRANSPORT_UDP;
		cr_assert_null(policy_match(p, POLICY_ALLOW, &f));
		f.transport = MP_TRANSPORT_TCP;
		f.proto = "TLS";
		f.app = "HTTP"; /* the application inside a carrier matches too */
		cr_assert_eq(policy_match(p, POLICY_ALLOW, &f), policy_at(p, 0));
		f.app = NULL;
		cr_assert_eq(policy_match(p, POLICY_SEVERITY, &f), policy_at(p, 2));
		f.verdict = MP_VERDICT_LEGACY_PORT;
		cr_assert_null(policy_match(p, POLICY_SEVERITY, &f));
	}
	policy_free(p);
	pmap_free(m);
	unlink(path);
}

static void policy_expect_error(const char *content, const char *line, const char *text)
{
	struct protomap *m = shipped_pmap();
	struct policy *p = NULL;
	char err[512] = "";
	const char *path = write_tmp(content);

	cr_assert_eq(policy_load(path, m, &p, err, sizeof(err)), -1, "loaded: %s", content);
	cr_assert_null(p);
	expect_prefix(err, path, line, text);
	pmap_free(m);
	unlink(path);
}

Test(policy, bad_lines_name_file_and_line)
{
	policy_expect_error("# c\npermit server 10.0.0.1\n", "2", "unknown rule");
	policy_expect_error("allow server 10.0.0.0/33\n", "1", "bad network");
	policy_expect_error("allow server 2001:db8::/129\n", "1", "bad network");
	policy_expect_error("allow client 10.0.0.0/8 client 10.0.0.0/8\n", "1", "given twice");
	policy_expect_error("allow\n", "1", "would allow every flow");
	policy_expect_error("allow verdict port-mismatch\n", "1", "would allow every flow");
	policy_expect_error("allow proto HTTPS\n", "1", "not in the protocol map");
	policy_expect_error("allow port 70000\n", "1", "bad port");
	policy_expect_error("allow port 80/sctp\n", "1", "bad port");
	policy_expect_error("allow port\n", "1", "needs a value");
	policy_expect_error("allow host 10.0.0.1\n", "1", "unknown selector");
	policy_expect_error("allow proto HTTP verdict match\n", "1", "bad verdict");
	policy_expect_error("severity 0 proto HTTP\n", "1", "level 1");
	policy_expect_error("severity 4\n", "1", "level 1");
	policy_expect_error("severity high\n", "1", "level 1");
	policy_expect_error("\n\nreport-dynamic verdict port-mismatch\n", "3", "takes no verdict");
}

Test(policy, shipped_policy_has_no_rules_and_its_examples_load)
{
	struct protomap *m = shipped_pmap();
	struct policy *p;
	char err[256], line[1024], all[16384] = "";
	FILE *fp = fopen(RULES "/policy.conf", "r");
	size_t used = 0, examples = 0;
	const char *path;

	cr_assert_eq(policy_load(RULES "/policy.conf", m, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_count(p), 0);
	policy_free(p);
	cr_assert_not_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *s = line;

		if (strncmp(line, "#allow ", 7) == 0 || strncmp(line, "#severity ", 10) == 0 ||
		    strncmp(line, "#report-dynamic ", 16) == 0) {
			s = line + 1;
			examples++;
		}
		used += (size_t)snprintf(all + used, sizeof(all) - used, "%s", s);
		cr_assert_lt(used, sizeof(all));
	}
	fclose(fp);
	path = write_tmp(all);
	cr_assert_eq(policy_load(path, m, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_count(p), examples);
	cr_assert_geq(examples, 4);
	policy_free(p);
	pmap_free(m);
	unlink(path);
}

/* ---- the whole set
 * ----------------------------------------------------------------------------------------------- */

Test(rules, load_shipped_dir)
{
	struct rules *r;
	char err[512];

	cr_assert_eq(rules_load(RULES, NULL, NULL, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(policy_count(rules_policy(r)), 0);
	cr_assert(rules_port_flags(r, 3098, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY);
	cr_assert(rules_port_flags(r, 598, MP_TRANSPORT_UDP) & RULES_PORT_LEGACY);
	cr_assert_str_eq(rules_port_legacy(r, 598, MP_TRANSPORT_TCP)->service, "sco-websrvrmg3");
	cr_assert(rules_port_flags(r, 585, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY); /* vacated */
	cr_assert(rules_port_flags(r, 2, MP_TRANSPORT_TCP) &
		  RULES_PORT_LEGACY); /* compressnet, de-assigned */
	cr_assert(rules_port_flags(r, 4444, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY); /* krb524 + nv-video */
	cr_assert_not(rules_port_flags(r, 63, MP_TRANSPORT_TCP) &
		      RULES_PORT_LEGACY); /* only an alias is historic */
	cr_assert_not(rules_port_flags(r, 44818, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY);
	cr_assert_not(rules_port_flags(r, 514, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY);
	cr_assert(rules_port_flags(r, 22, MP_TRANSPORT_TCP) & RULES_PORT_WELLKNOWN);
	cr_assert(rules_port_flags(r, 3098, MP_TRANSPORT_TCP) & RULES_PORT_ASSIGNED);
	cr_assert_not(rules_port_flags(r, 3098, MP_TRANSPORT_TCP) & RULES_PORT_WELLKNOWN);
	rules_free(r);
}

Test(rules, load_errors)
{
	struct rules *r = NULL;
	char err[512];
	const char *bad = write_tmp("allow proto NoSuch\n");

	cr_assert_eq(rules_load("/nonexistent", NULL, NULL, &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/registry.tsv"), "%s", err);
	cr_assert_eq(rules_load(RULES, NULL, "/nonexistent/policy.conf", &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/policy.conf"), "%s", err);
	cr_assert_eq(rules_load(RULES, "/nonexistent/iana.csv", NULL, &r, err, sizeof(err)), -1);
	cr_assert_eq(rules_load(RULES, NULL, bad, &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":1: protocol \"NoSuch\""), "%s", err);
	cr_assert_null(r);
	unlink(bad);
}

Test(rules, load_with_iana_csv)
{
	struct rules *r;
	char err[512];

	if (access(CSV, R_OK) != 0)
		cr_skip_test("IANA CSV not present at %s", CSV);
	cr_assert_eq(rules_load(RULES, CSV, NULL, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(reg_primary(rules_registry(r), 3098, MP_TRANSPORT_TCP)->assignee, "[Phil_Braham]");
	cr_assert_geq(reg_nmap_freq(rules_registry(r), 80, MP_TRANSPORT_TCP), 0); /* kept from the TSV */
	cr_assert(rules_port_flags(r, 3098, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY);
	cr_assert(rules_port_flags(r, 2, MP_TRANSPORT_TCP) & RULES_PORT_LEGACY); /* now unassigned, vacated */
	cr_assert_not(rules_port_flags(r, 2, MP_TRANSPORT_TCP) & RULES_PORT_ASSIGNED);
	rules_free(r);
}
