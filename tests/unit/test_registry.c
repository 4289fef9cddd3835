/* test_registry.c: the IANA port registry loaders (misport's TSV and IANA's CSV), lookups and malformed
 * input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/registry.h"

#define TSV SOURCE_DIR "/rules/registry.tsv"
#define CSV SHARED_DIR "/iana/service-names-port-numbers.csv"

static char tmp_path[64];

/* Writes content (len bytes) to a fresh temporary file; the path stays valid for the test. */
static const char *write_tmp_n(const char *content, size_t len)
{
	int fd;
	FILE *fp;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/misport-reg-XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert(fd >= 0);
	fp = fdopen(fd, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(content, 1, len, fp), len);
	fclose(fp);
	return tmp_path;
}

static const char *write_tmp(const char *content)
{
	return write_tmp_n(content, strlen(content));
}

static int has_name(const struct registry *r, uint16_t port, enum mp_transport t, const char *name)
{
	return reg_has(r, name, port, t);
}

#define HDR "# source: test\n# date: 2025-01-01\n"

static void expect_error(int csv, const char *content, const char *want_line, const char *want_text)
{
	struct registry *r = NULL;
	char err[512] = "";
	const char *path = write_tmp(content);
	char prefix[128];
	int rc = csv ? reg_load_csv(path, &r, err, sizeof(err)) : reg_load_tsv(path, &r, err, sizeof(err));

	cr_assert_eq(rc, -1, "loaded a bad file: %s", content);
	cr_assert_null(r);
	snprintf(prefix, sizeof(prefix), "%s:%s:", path, want_line);
	cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "error \"%s\" does not start with \"%s\"", err,
		  prefix);
	cr_assert_not_null(strstr(err, want_text), "error \"%s\" lacks \"%s\"", err, want_text);
	unlink(path);
}

Test(registry, shipped_tsv_loads)
{
	struct registry *r;
	char err[256];
	const struct reg_entry *const *v = NULL;
	size_t n;

	cr_assert_eq(reg_load_tsv(TSV, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(reg_count(r), 11000);
	cr_assert_not_null(strstr(reg_source(r), "wireshark"));
	cr_assert_str_neq(reg_date(r), "");

	n = reg_lookup_port(r, 3098, MP_TRANSPORT_TCP, &v);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0]->service, "umm-port");
	cr_assert_str_eq(v[0]->description, "Universal Message Manager");
	cr_assert_str_eq(v[0]->assignee, "");
	cr_assert(has_name(r, 598, MP_TRANSPORT_UDP, "sco-websrvrmg3"));
	/* Second and third names of port 80 come from the supplement. */
	cr_assert(has_name(r, 80, MP_TRANSPORT_TCP, "http"));
	cr_assert(has_name(r, 80, MP_TRANSPORT_TCP, "www"));
	cr_assert(has_name(r, 80, MP_TRANSPORT_TCP, "www-http"));
	cr_assert(has_name(r, 465, MP_TRANSPORT_TCP, "submissions"));
	cr_assert(has_name(r, 6003, MP_TRANSPORT_TCP, "x11"));
	cr_assert(has_name(r, 27005, MP_TRANSPORT_UDP, "flex-lm"));
	cr_assert_not(has_name(r, 3283, MP_TRANSPORT_TCP, "Apple-Remote-De"));
	cr_assert(has_name(r, 3283, MP_TRANSPORT_TCP, "net-assistant"));
	cr_assert_str_eq(reg_primary(r, 8080, MP_TRANSPORT_TCP)->service, "http-alt");
	cr_assert_gt(reg_nmap_freq(r, 80, MP_TRANSPORT_TCP), 400000);
	cr_assert_eq(reg_nmap_freq(r, 3098, MP_TRANSPORT_TCP), 0);
	cr_assert_null(reg_primary(r, 0, MP_TRANSPORT_TCP));

	/* Name lookup is case-insensitive and returns every port. */
	n = reg_lookup_name(r, "HTTP", &v);
	cr_assert_geq(n, 2);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(v[i]->service, "http");
	n = reg_lookup_name(r, "sql-net", &v);
	cr_assert_eq(n, 4); /* 66 and 150, tcp and udp */
	cr_assert_eq(reg_lookup_name(r, "no-such-service", &v), 0);
	reg_free(r);
}

Test(registry, tsv_ranges_and_dash_fields)
{
	struct registry *r;
	char err[256];
	const char *path = write_tmp(HDR "x11\t6000-6063\ttcp\t-\tX Window System\nfoo\t7\tudp\t0.5\t-\n\n");
	const struct reg_entry *const *v = NULL;

	cr_assert_eq(reg_load_tsv(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reg_count(r), 2);
	cr_assert_eq(reg_lookup_port(r, 6063, MP_TRANSPORT_TCP, &v), 1);
	cr_assert_eq(v[0]->port_lo, 6000);
	cr_assert_eq(v[0]->port_hi, 6063);
	cr_assert_eq(reg_lookup_port(r, 6064, MP_TRANSPORT_TCP, &v), 0);
	cr_assert_eq(reg_lookup_port(r, 6000, MP_TRANSPORT_UDP, &v), 0);
	cr_assert_eq(reg_nmap_freq(r, 6001, MP_TRANSPORT_TCP), -1);
	cr_assert_eq(reg_nmap_freq(r, 7, MP_TRANSPORT_UDP), 500000);
	cr_assert_str_eq(reg_primary(r, 7, MP_TRANSPORT_UDP)->description, "");
	reg_free(r);
	unlink(path);
}

Test(registry, tsv_malformed_lines_name_file_and_line)
{
	expect_error(0, HDR "http\t80\ttcp\t0.1\n", "3", "expected 5");
	expect_error(0, HDR "ok\t1\ttcp\t-\tx\nhttp\t80\ttcp\t0.1\tWWW\textra\n", "4", "expected 5");
	expect_error(0, HDR "http\t70000\ttcp\t0.1\tWWW\n", "3", "bad port");
	expect_error(0, HDR "http\t80-79\ttcp\t0.1\tWWW\n", "3", "bad port");
	expect_error(0, HDR "http\t8a\ttcp\t0.1\tWWW\n", "3", "bad port");
	expect_error(0, HDR "http\t80\tsctp\t0.1\tWWW\n", "3", "bad transport");
	expect_error(0, HDR "http\t80\ttcp\t2.5\tWWW\n", "3", "nmap frequency");
	expect_error(0, HDR "ht tp\t80\ttcp\t0.1\tWWW\n", "3", "bad service");
	expect_error(0, HDR "\t80\ttcp\t0.1\tWWW\n", "3", "bad service");
}

Test(registry, tsv_header_limits_and_nul)
{
	struct registry *r = NULL;
	char err[256], *big;
	const char *path = write_tmp("http\t80\ttcp\t0.1\tWWW\n");

	cr_assert_eq(reg_load_tsv(path, &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "header"), "%s", err);
	unlink(path);

	path = write_tmp_n(HDR "ht\0p\t80\ttcp\t0.1\tWWW\n", sizeof(HDR "ht\0p\t80\ttcp\t0.1\tWWW\n") - 1);
	cr_assert_eq(reg_load_tsv(path, &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":3: NUL byte"), "%s", err);
	unlink(path);

	big = malloc(10000);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	memcpy(big, HDR, strlen(HDR));
	path = write_tmp(big);
	free(big);
	cr_assert_eq(reg_load_tsv(path, &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":3: line longer"), "%s", err);
	unlink(path);

	cr_assert_eq(reg_load_tsv("/nonexistent/registry.tsv", &r, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/registry.tsv: cannot open"), "%s", err);
}

#define CSV_HDR                                                                                              \
	"Service Name,Port Number,Transport Protocol,Description,Assignee,Contact,Registration Date,"        \
	"Modification Date,Reference,Service Code,Unauthorized Use Reported,Assignment Notes\r\n"

Test(registry, csv_quoting_ranges_and_skips)
{
	struct registry *r;
	char err[256];
	const struct reg_entry *const *v = NULL;
	const char *path = write_tmp(
	    CSV_HDR "umm-port,3098,tcp,Universal Message Manager,[Phil_Braham],[Phil_Braham],,,,,,\r\n"
		    "x11,6000-6063,udp,X Window System,[Stephen_Gildea],[Stephen_Gildea],,,,,Known "
		    "Unauthorized Use on port 6003,\r\n"
		    "whoispp,63,tcp,\"whois++\nIANA assigned this well-formed service name as a replacement "
		    "for \"\"whois++\"\".\",[R],[R],,,,,,\r\n"
		    "\"a,b\",9,tcp,\"desc, with comma\",,,2010-07-27,2017-12,[RFC1],,,\"note line 1\nnote "
		    "line 2\"\r\n"
		    "flex-lm,27000-27009,,FLEX LM (1-10),,,,,,,,\r\n"
		    "discard,9,sctp,Discard,,,,,,,,\r\n"
		    ",4,tcp,Unassigned,,,,,,,,\r\n"
		    ",585,,De-registered,,,,,,,,\"Use of 585 is not recommended, use 993 instead\"\r\n"
		    "argus,,,ARGUS Protocol,,,,,,,,\r\n");

	cr_assert_eq(reg_load_csv(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(reg_primary(r, 3098, MP_TRANSPORT_TCP)->assignee, "[Phil_Braham]");
	cr_assert_eq(reg_lookup_port(r, 6003, MP_TRANSPORT_UDP, &v), 1);
	cr_assert_str_eq(v[0]->unauthorized_use, "Known Unauthorized Use on port 6003");
	cr_assert_eq(reg_lookup_port(r, 6003, MP_TRANSPORT_TCP, &v), 0);
	/* A multi-line description keeps its first line; the record's later lines do not break the count. */
	cr_assert_str_eq(reg_primary(r, 63, MP_TRANSPORT_TCP)->description, "whois++");
	cr_assert_eq(reg_primary(r, 63, MP_TRANSPORT_TCP)->line, 4);
	cr_assert_str_eq(reg_primary(r, 9, MP_TRANSPORT_TCP)->service, "a,b");
	cr_assert_str_eq(reg_primary(r, 9, MP_TRANSPORT_TCP)->description, "desc, with comma");
	cr_assert_str_eq(reg_primary(r, 9, MP_TRANSPORT_TCP)->notes, "note line 1\nnote line 2");
	cr_assert_str_eq(reg_primary(r, 9, MP_TRANSPORT_TCP)->registration_date, "2010-07-27");
	cr_assert_str_eq(reg_primary(r, 9, MP_TRANSPORT_TCP)->reference, "[RFC1]");
	cr_assert_eq(reg_primary(r, 9, MP_TRANSPORT_TCP)->line, 6);
	/* No transport means both; SCTP rows are skipped. */
	cr_assert(reg_has(r, "flex-lm", 27009, MP_TRANSPORT_TCP));
	cr_assert(reg_has(r, "flex-lm", 27000, MP_TRANSPORT_UDP));
	cr_assert_not(reg_has(r, "discard", 9, MP_TRANSPORT_TCP));
	/* Plain "Unassigned" rows are dropped; other unnamed rows are kept as reserved, not as
	 * assignments. */
	cr_assert_eq(reg_lookup_port(r, 4, MP_TRANSPORT_TCP, &v), 0);
	cr_assert_eq(reg_lookup_port(r, 585, MP_TRANSPORT_TCP, &v), 1);
	cr_assert(v[0]->flags & REG_F_RESERVED);
	cr_assert_str_eq(v[0]->notes, "Use of 585 is not recommended, use 993 instead");
	cr_assert_null(reg_primary(r, 585, MP_TRANSPORT_TCP));
	cr_assert_eq(reg_lookup_name(r, "argus", &v), 0);
	cr_assert_str_eq(reg_date(r), "2010-07-27");
	reg_free(r);
	unlink(path);
}

Test(registry, csv_malformed_records_name_file_and_line)
{
	expect_error(1, CSV_HDR "a,1,tcp,x,,,,,,,,\r\n\"open,2,tcp,never closed\n,,,\n", "3", "not closed");
	expect_error(1, CSV_HDR "a,1,tcp,x,,,,,,,,\r\nb,99999,tcp,x,,,,,,,,\r\n", "3", "bad port");
	expect_error(1, CSV_HDR "b,5-3,tcp,x,,,,,,,,\r\n", "2", "bad port");
	expect_error(1, CSV_HDR "b,5,tcpx,x,,,,,,,,\r\n", "2", "bad transport");
	expect_error(1, CSV_HDR "b,5,tcp,x\"y,,,,,,,,\r\n", "2", "quote inside");
	expect_error(1, CSV_HDR "b,5,tcp,\"x\"y,,,,,,,,\r\n", "2", "after a closing quote");
	expect_error(1, CSV_HDR "b,5,tcp,x,,,July 2010,,,,,\r\n", "2", "bad date");
	expect_error(1, CSV_HDR "b,5\r\n", "2", "expected at least");
	expect_error(1, "Service Name,Port,Transport Protocol,Description\r\n", "1", "Port Number");
}

Test(registry, load_detects_the_format)
{
	struct registry *r;
	char err[256];
	const char *path =
	    write_tmp("\xEF\xBB\xBF" CSV_HDR "umm-port,3098,tcp,Universal Message Manager,,,,,,,,\r\n");

	cr_assert_eq(reg_load(path, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(reg_primary(r, 3098, MP_TRANSPORT_TCP)->service, "umm-port");
	cr_assert_str_eq(reg_source(r), "IANA service-names-port-numbers.csv");
	reg_free(r);
	cr_assert_eq(reg_load(TSV, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(reg_count(r), 11000);
	reg_free(r);
	unlink(path);
}

static struct registry *load_iana(void)
{
	struct registry *r;
	char err[512];

	if (access(CSV, R_OK) != 0)
		cr_skip_test("IANA CSV not present at %s", CSV);
	cr_assert_eq(reg_load_csv(CSV, &r, err, sizeof(err)), 0, "%s", err);
	return r;
}

Test(registry, iana_csv_from_shared)
{
	struct registry *r = load_iana();
	const struct reg_entry *e;
	const struct reg_entry *const *v = NULL;
	size_t n;

	cr_assert_gt(reg_count(r), 12000);
	e = reg_primary(r, 3098, MP_TRANSPORT_TCP);
	cr_assert_str_eq(e->service, "umm-port");
	cr_assert_str_eq(e->description, "Universal Message Manager");
	cr_assert_str_eq(e->assignee, "[Phil_Braham]");
	e = reg_primary(r, 598, MP_TRANSPORT_TCP);
	cr_assert_str_eq(e->service, "sco-websrvrmg3");
	cr_assert_str_eq(e->assignee, "[Simon_Baldwin]");
	cr_assert_str_eq(e->registration_date, ""); /* IANA has no date for these early entries */
	cr_assert(reg_has(r, "submissions", 465, MP_TRANSPORT_TCP));
	n = reg_lookup_name(r, "submissions", &v);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(v[0]->registration_date, "2017-12-12");
	cr_assert_str_eq(v[0]->reference, "[RFC8314]");
	cr_assert_str_eq(reg_primary(r, 5671, MP_TRANSPORT_TCP)->registration_date, "2008-03-26");
	e = reg_primary(r, 6003, MP_TRANSPORT_TCP);
	cr_assert_str_eq(e->service, "x11");
	cr_assert_eq(e->port_lo, 6000);
	cr_assert_eq(e->port_hi, 6063);
	cr_assert_not_null(strstr(e->unauthorized_use, "6003"));
	/* Historic aliases and reserved rows are kept. */
	cr_assert(reg_has(r, "whois++", 63, MP_TRANSPORT_TCP));
	n = reg_lookup_port(r, 585, MP_TRANSPORT_TCP, &v);
	cr_assert_eq(n, 1);
	cr_assert(v[0]->flags & REG_F_RESERVED);
	cr_assert_str_eq(v[0]->description, "De-registered");
	cr_assert_str_eq(reg_date(r), "2025-03-28");
	reg_free(r);
}

/* The generated TSV agrees with IANA's CSV: every TSV entry is in the CSV, except names IANA de-assigned
 * after Wireshark's copy was made (those are in legacy-iana.tsv), and every named TCP/UDP assignment is in
 * the TSV. */
Test(registry, shipped_tsv_agrees_with_iana_csv)
{
	struct registry *csv = load_iana(), *tsv;
	char err[256];
	size_t missing = 0, extra = 0;

	cr_assert_eq(reg_load_tsv(TSV, &tsv, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < reg_count(tsv); i++) {
		const struct reg_entry *e = reg_entry_at(tsv, i);

		if (!reg_has(csv, e->service, e->port_lo, (enum mp_transport)e->transport)) {
			cr_expect_str_eq(e->service, "compressnet", "TSV has %s %u/%s, IANA does not",
					 e->service, e->port_lo,
					 reg_transport_name((enum mp_transport)e->transport));
			extra++;
		}
	}
	for (size_t i = 0; i < reg_count(csv); i++) {
		const struct reg_entry *e = reg_entry_at(csv, i);

		if ((e->flags & REG_F_RESERVED) || strstr(e->notes, "now historic") != NULL)
			continue;
		for (uint32_t p = e->port_lo; p <= e->port_hi; p++)
			if (!reg_has(tsv, e->service, (uint16_t)p, (enum mp_transport)e->transport)) {
				cr_expect_fail("IANA's %s %u/%s is not in registry.tsv", e->service, p,
					       reg_transport_name((enum mp_transport)e->transport));
				missing++;
			}
	}
	cr_assert_eq(missing, 0);
	cr_assert_eq(extra, 4);
	reg_free(tsv);
	reg_free(csv);
}

Test(registry, merge_freq_and_transport_helpers)
{
	struct registry *csv = load_iana(), *tsv;
	char err[256];

	cr_assert_eq(reg_load_tsv(TSV, &tsv, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(reg_nmap_freq(csv, 80, MP_TRANSPORT_TCP), -1);
	reg_merge_freq(csv, tsv);
	cr_assert_eq(reg_nmap_freq(csv, 80, MP_TRANSPORT_TCP), reg_nmap_freq(tsv, 80, MP_TRANSPORT_TCP));
	cr_assert_eq(reg_transport_from_ip_proto(6), MP_TRANSPORT_TCP);
	cr_assert_eq(reg_transport_from_ip_proto(17), MP_TRANSPORT_UDP);
	cr_assert_eq(reg_transport_from_ip_proto(1), -1);
	cr_assert_str_eq(reg_transport_name(MP_TRANSPORT_UDP), "udp");
	reg_free(tsv);
	reg_free(csv);
}
