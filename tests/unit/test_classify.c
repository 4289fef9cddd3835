/* test_classify.c: each verdict with its severity, signature and metadata; the pairs that are not
 * mismatches. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/alert.h"
#include "misport/classify.h"
#include "misport/rules.h"

#define RULES SOURCE_DIR "/rules"
#define CSV   SHARED_DIR "/iana/service-names-port-numbers.csv"

static struct rules *R;
static uint8_t client4[16] = {192, 0, 2, 10}, server4[16] = {10, 1, 2, 3};
static uint8_t server6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};

static void load(const char *csv, const char *policy)
{
	char err[512];

	cr_assert_eq(rules_load(RULES, csv, policy, &R, err, sizeof(err)), 0, "%s", err);
}

static void setup(void)
{
	load(NULL, NULL);
}

static void teardown(void)
{
	rules_free(R);
	R = NULL;
}

TestSuite(classify, .init = setup, .fini = teardown);

static enum mp_verdict judge(const char *master, const char *app, uint8_t ip_proto, uint16_t port,
			     struct mp_alert *a)
{
	struct classify_in in = {.master = master,
				 .app = app,
				 .ip_proto = ip_proto,
				 .server_port = port,
				 .family = 4,
				 .client_ip = client4,
				 .server_ip = server4};

	if (a != NULL)
		memset(a, 0, sizeof(*a));
	return classify_flow(R, &in, a);
}

/* nDPI names one protocol (SSH) through app and leaves master empty, as src/dpi.c does. */
static enum mp_verdict one(const char *proto, uint8_t ip_proto, uint16_t port, struct mp_alert *a)
{
	return judge("", proto, ip_proto, port, a);
}

static void assert_meta(const struct mp_alert *a, const char *key, const char *want)
{
	const char *v = alert_meta_get(a, key);

	cr_assert_not_null(v, "metadata %s missing", key);
	if (want != NULL)
		cr_assert_str_eq(v, want, "metadata %s", key);
}

static void assert_common_meta(const struct mp_alert *a)
{
	static const char *const keys[] = {
	    "verdict",   "observed_protocol", "registered_service", "registered_description",
	    "transport", "server_port",       "explanation"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_meta(a, keys[i], NULL);
	cr_assert_str_neq(a->signature, "");
	cr_assert_str_neq(a->category, "");
	cr_assert(a->severity >= 1 && a->severity <= 3);
}

Test(classify, verdict_names)
{
	cr_assert_str_eq(verdict_name(MP_VERDICT_MATCH), "match");
	cr_assert_str_eq(verdict_name(MP_VERDICT_PORT_MISMATCH), "port-mismatch");
	cr_assert_str_eq(verdict_name(MP_VERDICT_UNREGISTERED_PORT), "unregistered-port");
	cr_assert_str_eq(verdict_name(MP_VERDICT_LEGACY_PORT), "legacy-port");
	cr_assert_str_eq(verdict_name(MP_VERDICT_ALLOWED), "allowed");
	cr_assert_str_eq(verdict_name(MP_VERDICT_COUNT), "?");
	for (int v = 0; v < MP_VERDICT_COUNT; v++)
		cr_assert_eq(verdict_from_name(verdict_name((enum mp_verdict)v)), v);
	cr_assert_eq(verdict_from_name("bogus"), -1);
}

Test(classify, match_leaves_the_alert_alone)
{
	struct mp_alert a;

	cr_assert_eq(one("SSH", 6, 22, &a), MP_VERDICT_MATCH);
	cr_assert_eq(a.n_meta, 0);
	cr_assert_eq(a.signature_id, 0);
	cr_assert_eq(one("HTTP", 6, 80, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("DNS", 17, 53, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("RDP", 6, 3389, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("QUIC", 17, 443, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("Z39.50", 6, 210, NULL), MP_VERDICT_MATCH);
}

/* Pairs nDPI's own port check gets wrong: none of them is a mismatch. */
Test(classify, known_good_pairs_are_matches)
{
	cr_assert_eq(one("HTTP", 6, 8080, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("HTTP_Proxy", 6, 8080, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("DoH_DoT", 6, 853, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("DoH_DoT", 17, 853, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("TLS", 6, 853, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("SMBv1", 6, 445, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("SMBv23", 6, 445, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("IMAP", 6, 143, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("IMAPS", 6, 143, NULL), MP_VERDICT_MATCH); /* STARTTLS */
	cr_assert_eq(one("TLS", 6, 143, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("TLS", 6, 993, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("TLS", 6, 995, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("TLS", 6, 465, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("IMAPS", 6, 993, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("POPS", 6, 995, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("SMTPS", 6, 465, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("SMTPS", 6, 587, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("TLS", 6, 25, NULL), MP_VERDICT_MATCH); /* STARTTLS on SMTP */
	/* Ports a protocol uses by long practice without IANA's registration (defacto lines). */
	cr_assert_eq(one("Syslog", 6, 514, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("Oracle", 6, 1521, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("HTTP_Proxy", 6, 3128, NULL), MP_VERDICT_MATCH);
	/* Historic alias names do not make a live port legacy. */
	cr_assert_eq(one("EthernetIP", 6, 44818, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("EthernetIP", 17, 2222, NULL), MP_VERDICT_MATCH);
}

Test(classify, carried_applications_are_judged_by_the_master)
{
	struct mp_alert a;

	cr_assert_eq(judge("TLS", "Google", 6, 443, &a), MP_VERDICT_MATCH);
	cr_assert_eq(judge("QUIC", "YouTube", 17, 443, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(judge("HTTP", "Google", 6, 8080, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(judge(NULL, "TLS.Google", 6, 443, NULL), MP_VERDICT_MATCH); /* one combined name */

	cr_assert_eq(judge("TLS", "Google", 6, 5432, &a), MP_VERDICT_MATCH); /* PostgreSQL upgrades to TLS */
	cr_assert_eq(judge("TLS", "Google", 6, 3306, &a), MP_VERDICT_MATCH);
	cr_assert_eq(judge("TLS", "Google", 6, 5190, &a), MP_VERDICT_LEGACY_PORT);
	cr_assert_eq(judge("TLS", "Google", 6, 1194, &a), MP_VERDICT_PORT_MISMATCH); /* openvpn */
	cr_assert_str_eq(a.signature, "TLS.Google on 1194/tcp, registered to openvpn (OpenVPN)");
	assert_meta(&a, "observed_protocol", "TLS");
	assert_meta(&a, "application", "Google");
	assert_meta(&a, "protocol_class", "carrier");
	cr_assert_eq(a.severity, 2); /* carrier on another well-known protocol's port */

	/* An application nDPI found without a carrier is not judged (its carrier is unknown). */
	cr_assert_eq(judge("Unknown", "Google", 6, 3098, &a), MP_VERDICT_NONE);
	cr_assert_eq(a.n_meta, 0);
}

Test(classify, nothing_to_judge)
{
	cr_assert_eq(judge("Unknown", "Unknown", 6, 3098, NULL), MP_VERDICT_NONE);
	cr_assert_eq(judge(NULL, NULL, 6, 3098, NULL), MP_VERDICT_NONE);
	cr_assert_eq(judge("", "", 17, 598, NULL), MP_VERDICT_NONE);
	cr_assert_eq(one("ICMP", 1, 0, NULL), MP_VERDICT_NONE);
	cr_assert_eq(one("SSH", 132, 22, NULL), MP_VERDICT_NONE); /* SCTP */
	cr_assert_eq(one("NotAnNdpiName", 6, 3098, NULL), MP_VERDICT_NONE);
	cr_assert_eq(one("FTP_DATA", 6, 3098, NULL), MP_VERDICT_NONE); /* negotiated port */
	cr_assert_eq(one("RTP", 17, 5004, NULL), MP_VERDICT_NONE);
}

Test(classify, port_mismatch_carrier_on_proprietary_port)
{
	struct mp_alert a;

	cr_assert_eq(one("HTTP", 6, 3099, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.signature_id, MP_SID_PORT_MISMATCH);
	cr_assert_eq(a.severity, 3);
	assert_common_meta(&a);
	assert_meta(&a, "verdict", "port-mismatch");
	assert_meta(&a, "observed_protocol", "HTTP");
	assert_meta(&a, "transport", "tcp");
	assert_meta(&a, "server_port", "3099");
	cr_assert_null(alert_meta_get(&a, "legacy_reason"));
	cr_assert_null(alert_meta_get(&a, "assignee")); /* the TSV has none */
	cr_assert_str_eq(a.category, "Detection of a Non-Standard Protocol or Event");
	cr_assert_not_null(strstr(alert_meta_get(&a, "explanation"), "basis:"));
}

Test(classify, port_mismatch_well_defined_protocol_is_high)
{
	struct mp_alert a;

	cr_assert_eq(one("SSH", 6, 3389, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	cr_assert_str_eq(a.signature, "SSH on 3389/tcp, registered to ms-wbt-server (MS WBT Server)");
	assert_meta(&a, "registered_service", "ms-wbt-server");
	assert_meta(&a, "registered_description", "MS WBT Server");
	assert_meta(&a, "protocol_class", "service");
	assert_meta(&a, "nmap_open_frequency", NULL);
	cr_assert_eq(one("RDP", 6, 443, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	cr_assert_eq(one("SMBv23", 6, 139 + 1000, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	cr_assert_eq(one("DNS", 17, 123, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	cr_assert_eq(one("Telnet", 6, 8080, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	cr_assert_eq(one("VNC", 6, 80, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	/* Several names on one port are all listed. */
	cr_assert_eq(one("SSH", 6, 80, &a), MP_VERDICT_PORT_MISMATCH);
	assert_meta(&a, "registered_service", "http, www, www-http");
}

Test(classify, port_mismatch_carrier_and_app_on_well_known_ports)
{
	struct mp_alert a;

	cr_assert_eq(one("HTTP", 6, 22, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 2);
	cr_assert_eq(one("HTTP", 6, 443, &a), MP_VERDICT_PORT_MISMATCH); /* plain HTTP on the HTTPS port */
	cr_assert_eq(a.severity, 2);
	cr_assert_eq(one("TLS", 6, 80, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 2);
	cr_assert_eq(one("BitTorrent", 6, 3389, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 2);
	assert_meta(&a, "protocol_class", "app");
	cr_assert_eq(one("BitTorrent", 6, 3099, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 3);
}

static uint16_t unassigned_port(uint16_t from, enum mp_transport t)
{
	for (uint32_t p = from; p < 49152; p++)
		if (rules_port_flags(R, (uint16_t)p, t) == 0)
			return (uint16_t)p;
	cr_assert_fail("no unassigned port");
	return 0;
}

Test(classify, unregistered_port_is_low)
{
	struct mp_alert a;
	uint16_t port = unassigned_port(2000, MP_TRANSPORT_TCP);
	char want[128];

	cr_assert_eq(one("SSH", 6, port, &a), MP_VERDICT_UNREGISTERED_PORT);
	cr_assert_eq(a.signature_id, MP_SID_UNREGISTERED_PORT);
	cr_assert_eq(a.severity, 3);
	snprintf(want, sizeof(want), "SSH on %u/tcp, a port IANA has not assigned", port);
	cr_assert_str_eq(a.signature, want);
	assert_common_meta(&a);
	assert_meta(&a, "verdict", "unregistered-port");
	assert_meta(&a, "registered_service", "-");
	cr_assert_not_null(strstr(alert_meta_get(&a, "explanation"), "ssh"));
	/* Protocols without a registered port of their own get no verdict on free ports. */
	cr_assert_eq(one("BitTorrent", 6, port, NULL), MP_VERDICT_NONE);
	cr_assert_eq(one("DTLS", 17, unassigned_port(2000, MP_TRANSPORT_UDP), NULL), MP_VERDICT_NONE);
	/* Dynamic ports are reported only by policy. */
	cr_assert_eq(one("SSH", 6, 50022, NULL), MP_VERDICT_NONE);
}

Test(classify, legacy_port_whatever_it_speaks)
{
	struct mp_alert a;

	cr_assert_eq(one("HTTP", 6, 3098, &a), MP_VERDICT_LEGACY_PORT);
	cr_assert_eq(a.signature_id, MP_SID_LEGACY_PORT);
	cr_assert_eq(a.severity, 1);
	cr_assert_str_eq(a.signature,
			 "HTTP on 3098/tcp, legacy port of umm-port (Universal Message Manager)");
	assert_common_meta(&a);
	assert_meta(&a, "verdict", "legacy-port");
	assert_meta(&a, "registered_service", "umm-port");
	assert_meta(&a, "registered_description", "Universal Message Manager");
	assert_meta(&a, "legacy_reason", NULL);
	assert_meta(&a, "legacy_source", NULL);
	assert_meta(&a, "nmap_open_frequency", "0.000000");
	cr_assert_str_eq(a.category, "Potentially Bad Traffic");

	cr_assert_eq(one("HTTP", 6, 598, &a), MP_VERDICT_LEGACY_PORT);
	cr_assert_str_eq(a.signature,
			 "HTTP on 598/tcp, legacy port of sco-websrvrmg3 (SCO Web Server Manager 3)");
	cr_assert_eq(one("SSH", 17, 598, &a), MP_VERDICT_LEGACY_PORT);
	cr_assert_eq(one("FastTrack", 6, 1214, &a),
		     MP_VERDICT_LEGACY_PORT); /* even the registered protocol */
	cr_assert_eq(one("SSH", 6, 4444, &a), MP_VERDICT_LEGACY_PORT);
	cr_assert_eq(one("TLS", 6, 585, &a), MP_VERDICT_LEGACY_PORT); /* IANA de-registered it */
	cr_assert_not_null(strstr(a.signature, "585/tcp"));
	assert_meta(&a, "legacy_reason", NULL);
	cr_assert_eq(one("HTTP", 6, 2, &a), MP_VERDICT_LEGACY_PORT); /* compressnet, de-assigned 2025 */
}

Test(classify, policy_allow_severity_and_dynamic_ports)
{
	struct mp_alert a;
	struct classify_in in = {.master = "",
				 .app = "HTTP",
				 .ip_proto = 6,
				 .server_port = 3099,
				 .family = 4,
				 .client_ip = client4,
				 .server_ip = server4};
	char path[] = "/tmp/misport-policy-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	cr_assert_not_null(fp);
	fputs("allow server 10.1.2.3 port 3099/tcp proto HTTP   # our app server\n"
	      "allow server 2001:db8:10::/48 proto TLS\n"
	      "severity 1 proto HTTP verdict port-mismatch     # urgent here\n"
	      "report-dynamic server 10.0.0.0/8\n",
	      fp);
	fclose(fp);
	rules_free(R);
	load(NULL, path);

	cr_assert_eq(classify_flow(R, &in, &a), MP_VERDICT_ALLOWED);
	in.server_ip = client4; /* another server */
	memset(&a, 0, sizeof(a));
	cr_assert_eq(classify_flow(R, &in, &a), MP_VERDICT_PORT_MISMATCH);
	cr_assert_eq(a.severity, 1);
	assert_meta(&a, "severity_policy", "line 3: urgent here");

	in.family = 6;
	in.server_ip = server6;
	in.app = "TLS";
	cr_assert_eq(classify_flow(R, &in, NULL), MP_VERDICT_ALLOWED);
	in.app = "SSH";
	cr_assert_eq(classify_flow(R, &in, NULL), MP_VERDICT_PORT_MISMATCH);

	in.family = 4;
	in.server_ip = server4;
	in.server_port = 50022;
	cr_assert_eq(classify_flow(R, &in, NULL), MP_VERDICT_UNREGISTERED_PORT);
	in.server_ip = client4;
	cr_assert_eq(classify_flow(R, &in, NULL), MP_VERDICT_NONE);
	unlink(path);
}

Test(classify, iana_csv_adds_assignee_and_date)
{
	struct mp_alert a;

	if (access(CSV, R_OK) != 0)
		cr_skip_test("IANA CSV not present at %s", CSV);
	rules_free(R);
	load(CSV, NULL);
	cr_assert_eq(one("HTTP", 6, 3098, &a), MP_VERDICT_LEGACY_PORT);
	assert_meta(&a, "assignee", "[Phil_Braham]");
	assert_meta(&a, "nmap_open_frequency", "0.000000");
	cr_assert_eq(one("HTTP", 6, 598, &a), MP_VERDICT_LEGACY_PORT);
	assert_meta(&a, "assignee", "[Simon_Baldwin]");
	cr_assert_eq(one("SSH", 6, 5671, &a), MP_VERDICT_PORT_MISMATCH);
	assert_meta(&a, "registered_service", "amqps");
	assert_meta(&a, "assignee", "[Ted_Ross_2]");
	assert_meta(&a, "registration_date", "2008-03-26");
	cr_assert_eq(one("TLS", 6, 585, &a), MP_VERDICT_LEGACY_PORT);
	assert_meta(&a, "registered_description", "De-registered");
	cr_assert_eq(one("TLS", 6, 465, NULL), MP_VERDICT_MATCH);
	cr_assert_eq(one("HTTP", 6, 8080, NULL), MP_VERDICT_MATCH);
}

Test(classify, summary_port_service)
{
	const char *svc, *desc;

	cr_assert_eq(classify_port_service(R, 3098, 6, &svc, &desc), 0);
	cr_assert_str_eq(svc, "umm-port");
	cr_assert_str_eq(desc, "Universal Message Manager");
	cr_assert_eq(classify_port_service(R, 53, 17, &svc, &desc), 0);
	cr_assert_str_eq(svc, "domain");
	cr_assert_eq(classify_port_service(R, 0, 6, &svc, &desc), -1);
	cr_assert_eq(classify_port_service(R, 22, 1, &svc, &desc), -1);
}
