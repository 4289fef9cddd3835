/* fuzz_rules.c: libFuzzer target for misport's file parsers: IANA registry (TSV, CSV), protocol map, legacy
 * list, policy, scan configuration and output configuration. Byte 0 picks the parser, the rest is the file,
 * written to a memfd and loaded by its /proc path as misport loads files. A file that loads is then
 * queried. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "misport/outconf.h"
#include "misport/rules.h"
#include "misport/scan.h"

static struct memfile mf;
static struct protomap *shipped_pmap; /* for policy_load's protocol-name check */
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if (memfile_init(&mf, "fuzz_rules") != 0) {
		perror("fuzz_rules: memfd_create");
		abort();
	}
	if (pmap_load(MISPORT_SOURCE_RULES_DIR "/protomap.conf", &shipped_pmap, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_rules: %s\n", err);
		abort();
	}
	devnull = fopen("/dev/null", "w");
	return 0;
}

/* The error of a failed load names the file. */
static void check_err(int rc, const char *err)
{
	if (rc != 0)
		FUZZ_CHECK(err[0] != '\0' && strlen(err) < 512, "failed without a message");
}

static void query_registry(const struct registry *r)
{
	static const uint16_t ports[] = {0, 1, 22, 80, 443, 598, 3098, 49151, 65535};
	size_t n = reg_count(r);

	for (size_t i = 0; i < n; i++) {
		const struct reg_entry *e = reg_entry_at(r, i);
		const struct reg_entry *const *hits;

		FUZZ_CHECK(e->service != NULL && e->description != NULL && e->notes != NULL, "NULL string");
		FUZZ_CHECK(e->port_lo <= e->port_hi, "range %u-%u", e->port_lo, e->port_hi);
		FUZZ_CHECK(e->transport < MP_TRANSPORT_COUNT, "transport %u", e->transport);
		FUZZ_CHECK(reg_lookup_port(r, e->port_lo, (enum mp_transport)e->transport, &hits) >= 1,
			   "entry %zu not found by its port", i);
		if (e->service[0] != '\0')
			FUZZ_CHECK(reg_lookup_name(r, e->service, &hits) >= 1, "entry %zu not found by name",
				   i);
		if (i > 64)
			break;
	}
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
			const struct reg_entry *const *hits;

			(void)reg_lookup_port(r, ports[i], (enum mp_transport)t, &hits);
			(void)reg_primary(r, ports[i], (enum mp_transport)t);
			(void)reg_nmap_freq(r, ports[i], (enum mp_transport)t);
		}
	}
	(void)reg_source(r);
	(void)reg_date(r);
}

static void query_pmap(const struct protomap *m)
{
	size_t n = pmap_count(m);

	for (size_t i = 0; i < n; i++) {
		const struct pmap_proto *p = pmap_at(m, i);

		FUZZ_CHECK(pmap_find(m, p->ndpi) != NULL, "protocol %s not found by name", p->ndpi);
		for (size_t k = 0; k < p->n_names; k++)
			FUZZ_CHECK(pmap_counts_as(p, p->names[k].service), "name not counted");
		(void)pmap_defacto_for(p, 80, MP_TRANSPORT_TCP);
	}
	(void)pmap_knows_service(m, "http");
	(void)pmap_class_text(m, PMAP_CLASS_APP);
}

static void query_policy(const struct policy *p)
{
	static const uint8_t a[16] = {10, 0, 0, 1}, b[16] = {192, 168, 1, 1};
	struct policy_flow f = {4, a, b, 80, MP_TRANSPORT_TCP, "HTTP", NULL, 1};

	for (int act = POLICY_ALLOW; act <= POLICY_REPORT_DYNAMIC; act++)
		(void)policy_match(p, (enum policy_action)act, &f);
	FUZZ_CHECK(policy_count(p) <= MP_POLICY_MAX_RULES, "%zu rules", policy_count(p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	int rc;

	if (size < 1 || memfile_set(&mf, data + 1, size - 1) != 0)
		return 0;
	err[0] = '\0';
	switch (data[0] % 9) {
	case 0:
	case 1:
	case 2: {
		struct registry *r = NULL;

		rc = data[0] % 9 == 0   ? reg_load_tsv(mf.path, &r, err, sizeof(err))
		     : data[0] % 9 == 1 ? reg_load_csv(mf.path, &r, err, sizeof(err))
					: reg_load(mf.path, &r, err, sizeof(err));
		check_err(rc, err);
		if (rc == 0)
			query_registry(r);
		reg_free(r);
		break;
	}
	case 3: {
		struct protomap *m = NULL;

		rc = pmap_load(mf.path, &m, err, sizeof(err));
		check_err(rc, err);
		if (rc == 0)
			query_pmap(m);
		pmap_free(m);
		break;
	}
	case 4: {
		struct legacy_list *l = NULL;
		const char *paths[2] = {mf.path, mf.path};

		/* The same file twice: every entry is a duplicate, which must be refused cleanly. */
		rc = legacy_load(paths, (data[0] & 0x80) ? 2 : 1, &l, err, sizeof(err));
		check_err(rc, err);
		if (rc == 0) {
			const struct legacy_entry *const *hits;

			for (size_t i = 0; i < legacy_count(l); i++) {
				const struct legacy_entry *e = legacy_at(l, i);

				FUZZ_CHECK(
				    legacy_lookup(l, e->port, (enum mp_transport)e->transport, &hits) >= 1,
				    "legacy entry %zu not found", i);
			}
		}
		legacy_free(l);
		break;
	}
	case 5:
	case 6: {
		struct policy *p = NULL;

		rc = policy_load(mf.path, data[0] % 9 == 5 ? shipped_pmap : NULL, &p, err, sizeof(err));
		check_err(rc, err);
		if (rc == 0)
			query_policy(p);
		policy_free(p);
		break;
	}
	case 7: {
		struct scan_config *c = malloc(sizeof(*c));

		if (c == NULL)
			return 0;
		scan_config_defaults(c);
		rc = scan_config_load(c, mf.path, err, sizeof(err));
		check_err(rc, err);
		if (rc == 0)
			(void)scan_config_check(c, err, sizeof(err));
		free(c);
		break;
	}
	case 8:
		rc = outconf_check_file(mf.path, devnull, err, sizeof(err));
		check_err(rc, err);
		break;
	}
	return 0;
}
