/* test_scan.c: scan detector: TRW arithmetic, thresholds, windows, policy, flood bounds, rules, captures.
 *
 * The scan_pcap suite runs the golden captures pcaps/scan-*.pcap through decode, flow, nDPI, connstate and
 * scan the way the pipeline does, and checks scanner address, type and counts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/connstate.h"
#include "misport/decode.h"
#include "misport/dpi.h"
#include "misport/flow.h"
#include "misport/scan.h"

/* ---------- helpers ---------- */

#define MAX_KEPT 64

struct sink {
	unsigned n;
	struct mp_alert a[MAX_KEPT];
};

static struct sink g_sink;

static void on_alert(const struct mp_alert *a, void *user)
{
	struct sink *s = user;

	if (s->n < MAX_KEPT)
		s->a[s->n] = *a;
	s->n++;
}

static const char *meta(const struct mp_alert *a, const char *key)
{
	const char *v = alert_meta_get(a, key);

	cr_assert_not_null(v, "alert has no %s", key);
	return v;
}

static unsigned long meta_u(const struct mp_alert *a, const char *key)
{
	return strtoul(meta(a, key), NULL, 10);
}

static struct scan_detector *detector(struct scan_config *cfg)
{
	struct scan_config def;
	struct scan_detector *sd;
	char err[160];

	if (cfg == NULL) {
		scan_config_defaults(&def);
		cfg = &def;
	}
	memset(&g_sink, 0, sizeof(g_sink));
	cr_assert_eq(scan_new(cfg, on_alert, &g_sink, &sd, err, sizeof(err)), 0, "%s", err);
	return sd;
}

static void ip4(uint8_t out[16], uint32_t v)
{
	memset(out, 0, 16);
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

enum kind {
	SYN_CLOSED,
	SYN_OPEN,
	SYN_SILENT,
	SESSION,
	UDP_CLOSED,
	UDP_OPEN,
	UDP_SILENT,
	PING_UP,
	PING_DOWN,
	FIN_CLOSED
};

static struct conn_result result(enum kind k)
{
	struct conn_evidence ev;
	struct conn_result r;

	memset(&ev, 0, sizeof(ev));
	ev.ip_proto = 6;
	ev.first_dir = CONN_DIR_C2S;
	ev.pkts[0] = 1;
	switch (k) {
	case SYN_CLOSED:
		ev.first_tcp_flags = ev.tcp_flags[0] = MP_TH_SYN;
		ev.tcp_flags[1] = MP_TH_RST | MP_TH_ACK, ev.pkts[1] = 1;
		break;
	case SYN_OPEN:
		ev.first_tcp_flags = MP_TH_SYN;
		ev.tcp_flags[0] = MP_TH_SYN | MP_TH_RST, ev.pkts[0] = 2;
		ev.tcp_flags[1] = MP_TH_SYN | MP_TH_ACK, ev.pkts[1] = 1;
		break;
	case SYN_SILENT:
		ev.first_tcp_flags = ev.tcp_flags[0] = MP_TH_SYN;
		break;
	case SESSION:
		ev.first_tcp_flags = MP_TH_SYN;
		ev.tcp_flags[0] = ev.tcp_flags[1] = MP_TH_SYN | MP_TH_ACK | MP_TH_FIN | MP_TH_PSH;
		ev.pkts[0] = ev.pkts[1] = 5;
		ev.payload_bytes[0] = 100, ev.payload_bytes[1] = 1000;
		break;
	case FIN_CLOSED:
		ev.first_tcp_flags = ev.tcp_flags[0] = MP_TH_FIN;
		ev.tcp_flags[1] = MP_TH_RST | MP_TH_ACK, ev.pkts[1] = 1;
		break;
	case UDP_CLOSED:
	case UDP_OPEN:
	case UDP_SILENT:
		ev.ip_proto = 17;
		ev.pkts[1] = k == UDP_OPEN;
		ev.icmp_error = k == UDP_CLOSED ? CONN_ICMPERR_PORT : 0;
		break;
	case PING_UP:
	case PING_DOWN:
		ev.ip_proto = 1;
		ev.icmp_seen[0] = CONN_ICMP_ECHO_REQ;
		ev.icmp_seen[1] = k == PING_UP ? CONN_ICMP_ECHO_REPLY : 0;
		ev.pkts[1] = k == PING_UP;
		break;
	}
	conn_classify(&ev, &r);
	return r;
}

static struct scan_probe mkprobe(uint32_t client, uint32_t server, uint16_t port, enum kind k, uint64_t t_ms)
{
	struct scan_probe p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.conn = result(k);
	p.ip_proto = k >= PING_UP && k <= PING_DOWN ? 1 : (k >= UDP_CLOSED && k <= UDP_SILENT) ? 17 : 6;
	ip4(p.client, client);
	ip4(p.server, server);
	p.client_port = p.ip_proto == 1 ? 0 : 40000;
	p.server_port = p.ip_proto == 1 ? 0 : port;
	p.first_us = 1700000000000000ull + t_ms * 1000u;
	p.last_us = p.first_us + 500;
	return p;
}

static void observe(struct scan_detector *sd, uint32_t client, uint32_t server, uint16_t port, enum kind k,
		    uint64_t t_ms)
{
	struct scan_probe p = mkprobe(client, server, port, k, t_ms);

	scan_observe(sd, &p);
}

static bool is_scanner(struct scan_detector *sd, uint32_t addr)
{
	uint8_t a[16];

	ip4(a, addr);
	return scan_is_scanner(sd, 4, a, 0);
}

#define SCANNER IP(10, 98, 0, 66)
#define TARGET  IP(10, 98, 0, 10)

/* ---------- TRW arithmetic ---------- */

Test(scan_trw, published_defaults_give_the_expected_thresholds_and_steps)
{
	struct scan_trw t;
	char err[128];

	cr_assert_eq(scan_trw_init(&t, 0.8, 0.2, 0.99, 0.01, err, sizeof(err)), 0, "%s", err);
	/* eta1 = PD/PF = 99, eta0 = (1-PD)/(1-PF) = 1/99 */
	cr_expect_float_eq(t.ln_eta1, 4.59511985, 1e-7);
	cr_expect_float_eq(t.ln_eta0, -4.59511985, 1e-7);
	/* success: theta1/theta0 = 1/4; failure: (1-theta1)/(1-theta0) = 4 */
	cr_expect_float_eq(t.step_success, -1.38629436, 1e-7);
	cr_expect_float_eq(t.step_failure, 1.38629436, 1e-7);
	cr_expect_eq(scan_trw_failures_to_flag(&t), 4u);
}

Test(scan_trw, four_failed_first_contacts_flag_three_do_not)
{
	struct scan_trw t;
	char err[128];
	double llr = 0;

	cr_assert_eq(scan_trw_init(&t, 0.8, 0.2, 0.99, 0.01, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(scan_trw_step(&t, &llr, false), SCAN_TRW_PENDING, "failure %d", i + 1);
	cr_expect_float_eq(llr, 3 * 1.38629436, 1e-6);
	cr_expect_eq(scan_trw_step(&t, &llr, false), SCAN_TRW_SCANNER);
}

Test(scan_trw, four_successes_decide_benign_and_restart_the_walk)
{
	struct scan_trw t;
	char err[128];
	double llr = 0;

	cr_assert_eq(scan_trw_init(&t, 0.8, 0.2, 0.99, 0.01, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(scan_trw_step(&t, &llr, true), SCAN_TRW_PENDING);
	cr_expect_eq(scan_trw_step(&t, &llr, true), SCAN_TRW_BENIGN);
	cr_expect_float_eq(llr, 0.0, 1e-12);
	/* A success in between undoes a failure: alternating outcomes never flag. */
	for (int i = 0; i < 1000; i++)
		cr_expect_neq(scan_trw_step(&t, &llr, (i & 1) != 0), SCAN_TRW_SCANNER);
	/* After three failures one success needs two more failures (3 - 1 + 2 = 4). */
	llr = 0;
	for (int i = 0; i < 3; i++)
		scan_trw_step(&t, &llr, false);
	cr_expect_eq(scan_trw_step(&t, &llr, true), SCAN_TRW_PENDING);
	cr_expect_eq(scan_trw_step(&t, &llr, false), SCAN_TRW_PENDING);
	cr_expect_eq(scan_trw_step(&t, &llr, false), SCAN_TRW_SCANNER);
}

Test(scan_trw, other_parameters_move_the_threshold)
{
	struct scan_trw t;
	char err[128];

	/* theta 0.9/0.1: step ln 9 = 2.197; ln 99 / 2.197 = 2.09 -> 3 failures. */
	cr_assert_eq(scan_trw_init(&t, 0.9, 0.1, 0.99, 0.01, err, sizeof(err)), 0);
	cr_expect_eq(scan_trw_failures_to_flag(&t), 3u);
	/* PD 0.999 / PF 0.001: ln 999 = 6.907; with ln 4 steps -> 5 failures. */
	cr_assert_eq(scan_trw_init(&t, 0.8, 0.2, 0.999, 0.001, err, sizeof(err)), 0);
	cr_expect_eq(scan_trw_failures_to_flag(&t), 5u);
}

Test(scan_trw, parameters_out_of_range_are_rejected)
{
	struct scan_trw t;
	char err[128];

	cr_expect_neq(scan_trw_init(&t, 0.2, 0.8, 0.99, 0.01, err, sizeof(err)), 0);
	cr_expect(strstr(err, "theta1") != NULL);
	cr_expect_neq(scan_trw_init(&t, 0.8, 0.2, 0.01, 0.99, err, sizeof(err)), 0);
	cr_expect_neq(scan_trw_init(&t, 1.0, 0.2, 0.99, 0.01, err, sizeof(err)), 0);
	cr_expect_neq(scan_trw_init(&t, 0.8, 0.0, 0.99, 0.01, err, sizeof(err)), 0);
}

/* ---------- detectors ---------- */

Test(scan, trw_flags_the_fourth_failed_first_contact)
{
	struct scan_detector *sd = detector(NULL);

	for (int i = 0; i < 3; i++)
		observe(sd, SCANNER, TARGET + (uint32_t)i, 445, SYN_CLOSED, (uint64_t)i * 10);
	cr_expect_eq(g_sink.n, 0);
	cr_expect(!is_scanner(sd, SCANNER));
	/* More failures on a host already contacted are no first contact. */
	observe(sd, SCANNER, TARGET, 446, SYN_CLOSED, 40);
	cr_expect_eq(g_sink.n, 0);
	observe(sd, SCANNER, TARGET + 3, 445, SYN_CLOSED, 50);
	cr_assert_eq(g_sink.n, 1);
	cr_expect_str_eq(meta(&g_sink.a[0], "scan_type"), "trw");
	cr_expect_eq(g_sink.a[0].signature_id, SCAN_SID_TRW);
	cr_expect_str_eq(meta(&g_sink.a[0], "verdict"), "scan");
	cr_expect(is_scanner(sd, SCANNER));
	cr_expect_eq(scan_get_stats(sd)->trw_scanners, 1);
	scan_free(sd);
}

Test(scan, vertical_portscan_fires_at_the_threshold_once_per_window)
{
	struct scan_detector *sd = detector(NULL);
	const struct mp_alert *a;

	for (uint16_t p = 1; p <= 14; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, p);
	cr_expect_eq(g_sink.n, 0, "14 failed ports stay below 15");
	observe(sd, SCANNER, TARGET, 15, SYN_CLOSED, 15);
	cr_assert_eq(g_sink.n, 1);
	a = &g_sink.a[0];
	cr_expect_str_eq(meta(a, "scan_type"), "portscan");
	cr_expect_str_eq(meta(a, "record"), "scan-alert");
	cr_expect_eq(a->signature_id, SCAN_SID_PORTSCAN_TCP);
	cr_expect_str_eq(a->category, "Attempted Information Leak");
	cr_expect_eq(a->severity, 2);
	cr_expect_eq(a->ip_proto, 6);
	cr_expect_eq(a->src_ip[3], 66);
	cr_expect_eq(a->dst_ip[3], 10);
	cr_expect(strstr(a->signature, "10.98.0.66 scanned 15 TCP ports of 10.98.0.10") != NULL, "%s",
		  a->signature);
	cr_expect(strstr(a->signature, "(SYN scan)") != NULL, "%s", a->signature);
	/* The rest of the scan is counted, not alerted. */
	for (uint16_t p = 16; p <= 1000; p++)
		observe(sd, SCANNER, TARGET, p, p == 22 || p == 80 ? SYN_OPEN : SYN_CLOSED, p);
	cr_expect_eq(g_sink.n, 1);
	scan_flush(sd);
	cr_assert_eq(g_sink.n, 2, "one closing update");
	a = &g_sink.a[1];
	cr_expect_str_eq(meta(a, "record"), "scan-update");
	cr_expect_eq(a->signature_id, SCAN_SID_PORTSCAN_TCP);
	cr_expect_eq(meta_u(a, "ports"), 1000);
	cr_expect_eq(meta_u(a, "targets"), 1);
	cr_expect_eq(meta_u(a, "open_count"), 2);
	cr_expect_eq(meta_u(a, "closed_ports"), 998);
	cr_expect_eq(meta_u(a, "updates"), 985);
	cr_expect_str_eq(meta(a, "port_ranges"), "1-1000");
	cr_expect_str_eq(meta(a, "open_ports"), "22/tcp,80/tcp");
	cr_expect(strstr(a->signature, "scanned 1000 TCP ports of 10.98.0.10") != NULL, "%s", a->signature);
	/* Nothing changed since: a second flush emits nothing. */
	scan_flush(sd);
	cr_expect_eq(g_sink.n, 2);
	scan_free(sd);
}

Test(scan, port_ranges_are_summarised)
{
	struct scan_detector *sd = detector(NULL);
	static const uint16_t ports[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 3098, 8080, 8081};

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		observe(sd, SCANNER, TARGET, ports[i], SYN_CLOSED, i);
	scan_flush(sd);
	cr_assert_eq(g_sink.n, 2);
	cr_expect_str_eq(meta(&g_sink.a[1], "port_ranges"), "1-14,3098,8080-8081");
	scan_free(sd);
}

Test(scan, both_transports_and_several_targets_are_spelled_out)
{
	struct scan_detector *sd = detector(NULL);
	const struct mp_alert *a;

	for (uint16_t p = 1; p <= 22; p++)
		observe(sd, SCANNER, TARGET, p, p == 22 ? SYN_OPEN : SYN_CLOSED, p);
	observe(sd, SCANNER, TARGET + 1, 22, SYN_OPEN, 30);
	observe(sd, SCANNER, TARGET, 53, UDP_OPEN, 40);
	observe(sd, SCANNER, TARGET, 67, UDP_CLOSED, 41);
	observe(sd, SCANNER, TARGET, 68, UDP_CLOSED, 42);
	scan_flush(sd);
	cr_assert_eq(g_sink.n, 2);
	a = &g_sink.a[1];
	cr_expect_str_eq(meta(a, "port_ranges"), "1-22/tcp,53/udp,67-68/udp");
	cr_expect_str_eq(meta(a, "open_ports"), "22/tcp,53/udp");
	cr_expect_str_eq(meta(a, "open_services"), "10.98.0.10:22/tcp,10.98.0.11:22/tcp,10.98.0.10:53/udp");
	cr_expect_str_eq(meta(a, "transport"), "tcp,udp");
	cr_expect_str_eq(meta(a, "probe_kind"), "syn,udp");
	cr_expect_eq(meta_u(a, "ports"), 25);
	cr_expect_eq(meta_u(a, "targets"), 2);
	scan_free(sd);
}

Test(scan, horizontal_portsweep_fires_at_25_hosts)
{
	struct scan_config cfg;
	struct scan_detector *sd;
	const struct mp_alert *a;

	scan_config_defaults(&cfg);
	cfg.trw_enabled = false; /* TRW would flag at the fourth host */
	sd = detector(&cfg);
	for (uint32_t i = 0; i < 24; i++)
		observe(sd, SCANNER, IP(10, 98, 1, 1) + i, 445, SYN_SILENT, i);
	cr_expect_eq(g_sink.n, 0);
	observe(sd, SCANNER, IP(10, 98, 1, 25), 445, SYN_SILENT, 30);
	cr_assert_eq(g_sink.n, 1);
	a = &g_sink.a[0];
	cr_expect_str_eq(meta(a, "scan_type"), "portsweep");
	cr_expect_eq(a->signature_id, SCAN_SID_PORTSWEEP_TCP);
	cr_expect_eq(a->dst_port, 445);
	cr_expect_str_eq(meta(a, "target_range"), "10.98.1.1-10.98.1.25");
	cr_expect_eq(meta_u(a, "filtered_ports"), 25, "no answers: filtered");
	cr_expect_eq(meta_u(a, "targets_silent"), 25);
	cr_expect(strstr(a->signature, "swept 25 hosts (10.98.1.1-10.98.1.25) on 445/tcp") != NULL, "%s",
		  a->signature);
	scan_free(sd);
}

Test(scan, closed_and_filtered_are_told_apart)
{
	struct scan_detector *sd = detector(NULL);
	const struct mp_alert *a;

	for (uint16_t p = 1; p <= 10; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, p);
	for (uint16_t p = 11; p <= 20; p++)
		observe(sd, SCANNER, TARGET, p, SYN_SILENT, p);
	for (uint16_t p = 1; p <= 20; p++)
		observe(sd, SCANNER, TARGET + 1, p, SYN_SILENT, 100 + p);
	scan_flush(sd);
	cr_assert_geq(g_sink.n, 1);
	a = &g_sink.a[g_sink.n - 1];
	cr_expect_eq(meta_u(a, "closed_ports"), 10);
	cr_expect_eq(meta_u(a, "filtered_ports"), 30);
	cr_expect_eq(meta_u(a, "targets_answering"), 1);
	cr_expect_eq(meta_u(a, "targets_silent"), 1);
	scan_free(sd);
}

Test(scan, udp_portscan_uses_port_unreachables)
{
	struct scan_detector *sd = detector(NULL);
	const struct mp_alert *a;

	for (uint16_t p = 100; p < 200; p++)
		observe(sd, SCANNER, TARGET, p,
			p == 161      ? UDP_OPEN
			: p % 10 == 0 ? UDP_SILENT
				      : UDP_CLOSED,
			p);
	scan_flush(sd);
	cr_assert_eq(g_sink.n, 2);
	a = &g_sink.a[1];
	cr_expect_eq(a->signature_id, SCAN_SID_PORTSCAN_UDP);
	cr_expect_eq(a->ip_proto, 17);
	cr_expect_eq(meta_u(a, "ports"), 100);
	cr_expect_eq(meta_u(a, "open_count"), 1);
	cr_expect_str_eq(meta(a, "open_ports"), "161/udp");
	cr_expect_eq(meta_u(a, "closed_ports"), 89);
	cr_expect_eq(meta_u(a, "filtered_ports"), 10);
	cr_expect(strstr(a->signature, "scanned 100 UDP ports of 10.98.0.10") != NULL, "%s", a->signature);
	cr_expect(strstr(a->signature, "UDP scan") != NULL, "%s", a->signature);
	scan_free(sd);
}

Test(scan, ping_sweep_fires_at_five_hosts_even_when_all_answer)
{
	struct scan_detector *sd = detector(NULL);
	const struct mp_alert *a;

	for (uint32_t i = 0; i < 4; i++)
		observe(sd, SCANNER, TARGET + i, 0, PING_UP, i);
	cr_expect_eq(g_sink.n, 0);
	observe(sd, SCANNER, TARGET + 4, 0, PING_DOWN, 5);
	cr_assert_eq(g_sink.n, 1);
	a = &g_sink.a[0];
	cr_expect_str_eq(meta(a, "scan_type"), "pingsweep");
	cr_expect_eq(a->signature_id, SCAN_SID_PINGSWEEP);
	cr_expect_eq(a->ip_proto, 1);
	cr_expect(strstr(a->signature, "swept 5 hosts (10.98.0.10-10.98.0.14)") != NULL, "%s", a->signature);
	cr_expect(strstr(a->signature, "4 answered") != NULL, "%s", a->signature);
	scan_free(sd);
}

Test(scan, benign_client_with_a_few_failures_is_never_flagged)
{
	struct scan_detector *sd = detector(NULL);
	uint32_t client = IP(10, 98, 0, 50);

	/* Three failures first (the worst order), then ordinary work and three more failures later, each
	 * time on hosts it has not contacted before. */
	observe(sd, client, TARGET + 1, 81, SYN_CLOSED, 0);
	observe(sd, client, TARGET + 2, 8081, SYN_CLOSED, 10);
	observe(sd, client, TARGET + 3, 9090, SYN_SILENT, 20);
	for (uint32_t i = 0; i < 40; i++) {
		observe(sd, client, IP(10, 97, 0, 1) + i, 443, SESSION, 100 + i * 50);
		observe(sd, client, IP(10, 97, 0, 1) + i, 443, SESSION, 120 + i * 50);
	}
	observe(sd, client, IP(10, 96, 0, 1), 443, SYN_SILENT, 5000);
	observe(sd, client, IP(10, 96, 0, 2), 80, SYN_CLOSED, 5100);
	observe(sd, client, IP(10, 96, 0, 3), 22, UDP_SILENT, 5200);
	scan_expire(sd, 1700000000000000ull + 4000000000ull);
	scan_flush(sd);
	cr_expect_eq(g_sink.n, 0);
	cr_expect(!is_scanner(sd, client));
	cr_expect_eq(scan_get_stats(sd)->trw_scanners, 0);
	cr_expect_geq(scan_get_stats(sd)->trw_benign, 1);
	scan_free(sd);
}

Test(scan, server_that_contacted_the_source_first_exempts_it)
{
	struct scan_detector *sd = detector(NULL);
	uint8_t srv[16], cli[16];

	ip4(srv, TARGET);
	ip4(cli, SCANNER);
	scan_note_contact(sd, 4, srv, cli, 1700000000000000ull);
	for (uint16_t p = 1; p <= 100; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, p);
	scan_flush(sd);
	cr_expect_eq(g_sink.n, 0);
	cr_expect_eq(scan_get_stats(sd)->exempt, 100);
	/* The same source probing another host is not exempt. */
	for (uint16_t p = 1; p <= 20; p++)
		observe(sd, SCANNER, TARGET + 1, p, SYN_CLOSED, 200 + p);
	cr_expect_eq(g_sink.n, 1);
	scan_free(sd);
}

Test(scan, sessions_note_contacts_themselves)
{
	struct scan_detector *sd = detector(NULL);

	/* TARGET opened a real session to SCANNER; SCANNER's probes back to TARGET are exempt. */
	observe(sd, TARGET, SCANNER, 8443, SESSION, 0);
	for (uint16_t p = 1; p <= 30; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, 10 + p);
	scan_flush(sd);
	cr_expect_eq(g_sink.n, 0);
	scan_free(sd);
}

Test(scan, mismatches_of_a_scanner_go_into_the_scan_alert)
{
	struct scan_detector *sd = detector(NULL);
	struct scan_probe p;
	const char *mm;

	for (uint16_t port = 1; port <= 20; port++)
		observe(sd, SCANNER, TARGET, port, port == 22 ? SYN_OPEN : SYN_CLOSED, port);
	cr_assert(is_scanner(sd, SCANNER));
	p = mkprobe(SCANNER, TARGET, 22, SESSION, 100);
	p.app_proto = "HTTP";
	p.mismatch = "port-mismatch";
	scan_observe(sd, &p);
	scan_observe(sd, &p); /* the same mismatch twice is listed once */
	scan_flush(sd);
	cr_assert_eq(g_sink.n, 2);
	mm = meta(&g_sink.a[1], "mismatches");
	cr_expect_str_eq(mm, "probed 22/tcp with HTTP (port-mismatch)");
	cr_expect(strstr(g_sink.a[1].signature, "2 version probes") != NULL, "%s", g_sink.a[1].signature);
	scan_free(sd);
}

Test(scan, windows_close_by_capture_time_and_a_held_scanner_gets_one_alert_per_window)
{
	struct scan_detector *sd = detector(NULL);
	uint64_t base = 1700000000000000ull;

	for (uint16_t p = 1; p <= 50; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, p);
	cr_expect_eq(g_sink.n, 1);
	/* Window 300 s + grace 60 s: nothing closes before, the update comes after. */
	scan_expire(sd, base + 359000000ull);
	cr_expect_eq(g_sink.n, 1);
	scan_expire(sd, base + 361000000ull);
	cr_assert_eq(g_sink.n, 2);
	cr_expect_str_eq(meta(&g_sink.a[1], "record"), "scan-update");
	cr_expect(is_scanner(sd, SCANNER), "still held");
	/* In a later window a few probes of the held scanner give one alert when that window closes. */
	for (uint16_t p = 1; p <= 5; p++)
		observe(sd, SCANNER, TARGET + 1, p, SYN_CLOSED, 400000 + p);
	cr_expect_eq(g_sink.n, 2);
	scan_flush(sd);
	cr_assert_eq(g_sink.n, 3);
	cr_expect_str_eq(meta(&g_sink.a[2], "record"), "scan-alert");
	cr_expect_eq(meta_u(&g_sink.a[2], "probes"), 5);
	/* After the hold time the source is no scanner any more. */
	{
		uint8_t a[16];

		ip4(a, SCANNER);
		cr_expect(scan_is_scanner(sd, 4, a, base + 400000000ull));
		cr_expect(!scan_is_scanner(sd, 4, a, base + 400000000ull + 3601000000ull));
	}
	scan_free(sd);
}

Test(scan, a_flagged_source_doing_normal_work_later_raises_nothing_more)
{
	struct scan_detector *sd = detector(NULL);

	for (uint32_t i = 0; i < 4; i++)
		observe(sd, SCANNER, TARGET + i, 445, SYN_CLOSED, i);
	cr_assert_eq(g_sink.n, 1);
	cr_expect_str_eq(meta(&g_sink.a[0], "scan_type"), "trw");
	/* Later windows: only sessions that work, to hosts never contacted before. */
	for (uint32_t i = 0; i < 20; i++)
		observe(sd, SCANNER, IP(10, 97, 0, 1) + i, 443, SESSION, 400000 + i * 1000);
	for (uint32_t i = 0; i < 20; i++)
		observe(sd, SCANNER, IP(10, 97, 1, 1) + i, 443, SESSION, 800000 + i * 1000);
	scan_flush(sd);
	cr_expect_eq(g_sink.n, 1, "got %u alerts", g_sink.n);
	scan_free(sd);
}

Test(scan, a_record_after_the_window_starts_a_new_one)
{
	struct scan_detector *sd = detector(NULL);

	for (uint16_t p = 1; p <= 20; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, p);
	cr_expect_eq(g_sink.n, 1);
	/* 301 s later: the first window closes (update), the new one alerts on its own threshold. */
	for (uint16_t p = 1; p <= 15; p++)
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, 301000 + p);
	cr_assert_eq(g_sink.n, 3);
	cr_expect_str_eq(meta(&g_sink.a[1], "record"), "scan-update");
	cr_expect_str_eq(meta(&g_sink.a[2], "record"), "scan-alert");
	scan_free(sd);
}

Test(scan, policy_ignore_scanner_never_flag_and_ignore_target)
{
	struct scan_config cfg;
	struct scan_detector *sd;
	char err[128];

	scan_config_defaults(&cfg);
	cr_assert_eq(
	    scan_cidr_parse("10.98.0.66/32", &cfg.ignore_scanner[cfg.n_ignore_scanner++], err, sizeof(err)),
	    0);
	cr_assert_eq(scan_cidr_parse("10.97.0.0/16", &cfg.never_flag[cfg.n_never_flag++], err, sizeof(err)),
		     0);
	cr_assert_eq(
	    scan_cidr_parse("10.95.0.0/24", &cfg.ignore_target[cfg.n_ignore_target++], err, sizeof(err)), 0);
	sd = detector(&cfg);
	for (uint16_t p = 1; p <= 100; p++) {
		observe(sd, SCANNER, TARGET, p, SYN_CLOSED, p);
		observe(sd, IP(10, 97, 3, 4), TARGET, p, SYN_CLOSED, p);
		observe(sd, IP(10, 94, 0, 1), IP(10, 95, 0, 9), p, SYN_CLOSED, p);
	}
	scan_flush(sd);
	cr_expect_eq(g_sink.n, 0);
	cr_expect(is_scanner(sd, SCANNER), "a known scanner's flows are scan-noise");
	cr_expect(!is_scanner(sd, IP(10, 97, 3, 4)));
	cr_expect(!is_scanner(sd, IP(10, 94, 0, 1)));
	cr_expect_eq(scan_get_stats(sd)->ignored_policy, 300);
	scan_free(sd);
}

Test(scan, ipv6_sources_and_targets)
{
	struct scan_detector *sd = detector(NULL);
	struct scan_probe p;

	for (uint16_t port = 1; port <= 15; port++) {
		p = mkprobe(0, 0, port, SYN_CLOSED, port);
		p.family = 6;
		memcpy(p.client, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x66", 16);
		memcpy(p.server, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10", 16);
		scan_observe(sd, &p);
	}
	cr_assert_eq(g_sink.n, 1);
	cr_expect_eq(g_sink.a[0].family, 6);
	cr_expect(strstr(g_sink.a[0].signature, "2001:db8::66 scanned 15 TCP ports of 2001:db8::10") != NULL,
		  "%s", g_sink.a[0].signature);
	scan_free(sd);
}

Test(scan, summary_lists_scanners_with_their_figures)
{
	struct scan_detector *sd = detector(NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	for (uint16_t p = 1; p <= 100; p++)
		observe(sd, SCANNER, TARGET, p, p == 80 ? SYN_OPEN : SYN_CLOSED, p);
	scan_flush(sd);
	fp = open_memstream(&buf, &len);
	cr_assert_not_null(fp);
	scan_print_summary(sd, fp);
	fclose(fp);
	cr_log_info("%s", buf);
	cr_expect(strstr(buf, "Scanners: 1\n") != NULL, "%s", buf);
	cr_expect(strstr(buf, "10.98.0.66") != NULL, "%s", buf);
	cr_expect(strstr(buf, "portscan") != NULL, "%s", buf);
	cr_expect(strstr(buf, "ports 100 ") != NULL, "%s", buf);
	cr_expect(strstr(buf, "open 1 ") != NULL, "%s", buf);
	cr_expect(strstr(buf, "closed 99 ") != NULL, "%s", buf);
	cr_expect(strstr(buf, "scanned 100 TCP ports of 10.98.0.10") != NULL, "%s", buf);
	free(buf);
	scan_free(sd);
}

/* ---------- bounded state ---------- */

/* Time budget of the flood test; sanitizer builds run several times slower. */
#if defined(__SANITIZE_ADDRESS__)
#define FLOOD_SECONDS 8.0
#else
#define FLOOD_SECONDS 2.0
#endif

Test(scan, a_million_spoofed_sources_keep_the_table_at_its_cap)
{
	struct scan_config cfg;
	struct scan_detector *sd;
	const struct scan_stats *st;
	struct timespec t0, t1;
	double secs;
	const uint32_t n = 1000000, cap = 65536;

	scan_config_defaults(&cfg);
	cfg.max_sources = cap;
	cfg.seed = 7;
	sd = detector(&cfg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < n; i++) {
		/* Spoofed SYNs from 1M addresses of 100.64.0.0/10 (each once) at one target ... */
		observe(sd, IP(100, 64, 0, 0) + i, TARGET, 80, SYN_SILENT, i / 100);
		/* ... while a real scanner works through the ports of another host. */
		if (i % 1000 == 0)
			observe(sd, SCANNER, TARGET + 1, (uint16_t)(1 + i / 1000), SYN_CLOSED, i / 100);
		if (i % 100000 == 0) {
			st = scan_get_stats(sd);
			cr_assert_leq(st->sources_active, cap);
			cr_assert_leq(st->mem_bytes, cfg.mem_max);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	st = scan_get_stats(sd);
	cr_expect_leq(st->sources_peak, cap);
	cr_expect_eq(st->sources_active, cap);
	cr_expect_eq(st->sources_created, (uint64_t)n + 1);
	cr_expect_eq(st->sources_evicted + st->sources_evicted_mem, (uint64_t)n + 1 - cap);
	cr_expect_leq(st->mem_peak, cfg.mem_max);
	/* One-record sources are evicted first: the real scanner keeps its state and is flagged. */
	cr_expect(is_scanner(sd, SCANNER));
	cr_expect_geq(g_sink.n, 1);
	cr_expect_str_eq(meta(&g_sink.a[0], "scan_type"), "portscan");
	cr_expect_lt(secs, FLOOD_SECONDS, "1M records took %.2f s", secs);
	scan_free(sd);
}

Test(scan, memory_cap_evicts_and_counts)
{
	struct scan_config cfg;
	struct scan_detector *sd;
	const struct scan_stats *st;

	scan_config_defaults(&cfg);
	cfg.mem_max = 256 * 1024;
	cfg.trw_enabled = false;
	sd = detector(&cfg);
	for (uint32_t s = 0; s < 200; s++)
		for (uint16_t p = 1; p <= 200; p++)
			observe(sd, IP(10, 50, 0, 0) + s, TARGET, p, SYN_CLOSED, s * 1000 + p);
	st = scan_get_stats(sd);
	cr_expect_leq(st->mem_peak, cfg.mem_max);
	cr_expect_gt(st->sources_evicted_mem, 0);
	/* Each evicted scanner's alerted window was closed with its update. */
	cr_expect_gt(st->updates, 0);
	scan_free(sd);
}

Test(scan, per_window_sets_are_capped)
{
	struct scan_config cfg;
	struct scan_detector *sd;
	const struct scan_stats *st;

	scan_config_defaults(&cfg);
	cfg.trw_enabled = false;
	sd = detector(&cfg);
	for (uint32_t i = 0; i < MP_SCAN_MAX_TARGETS + 100; i++)
		observe(sd, SCANNER, IP(10, 100, 0, 0) + i, 80, SYN_SILENT, i);
	st = scan_get_stats(sd);
	cr_expect_eq(st->targets_overflow, 100);
	scan_flush(sd);
	cr_assert_geq(g_sink.n, 2);
	cr_expect_eq(meta_u(&g_sink.a[g_sink.n - 1], "targets"), MP_SCAN_MAX_TARGETS + 100);
	scan_free(sd);
}

/* ---------- rules/scan.conf ---------- */

static const char *write_tmp(const char *text)
{
	static char path[64];
	FILE *fp;

	snprintf(path, sizeof(path), "/tmp/test_scan_conf.%d", (int)getpid());
	fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

Test(scan_conf, parses_parameters_policy_and_header)
{
	struct scan_config c;
	char err[256];
	const char *path = write_tmp("# scan.conf test\n"
				     "# source: unit test\n"
				     "# date: 2026-01-02\n"
				     "\n"
				     "window 120   # two minutes\n"
				     "portscan-ports 30\n"
				     "portsweep-hosts 10\n"
				     "pingsweep-hosts 0\n"
				     "trw-theta0 0.9\n"
				     "trw-theta1 0.1\n"
				     "trw-pd 0.999\n"
				     "trw-pf 0.001\n"
				     "trw off\n"
				     "memory 32m\n"
				     "max-sources 1000\n"
				     "ignore-scanner 192.0.2.7\n"
				     "never-flag 10.0.0.0/8\n"
				     "never-flag 2001:db8::/32\n"
				     "ignore-target 198.51.100.0/24\n");

	scan_config_defaults(&c);
	cr_assert_eq(scan_config_load(&c, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.window_s, 120);
	cr_expect_eq(c.portscan_ports, 30);
	cr_expect_eq(c.portsweep_hosts, 10);
	cr_expect_eq(c.pingsweep_hosts, 0);
	cr_expect_float_eq(c.trw_theta0, 0.9, 1e-12);
	cr_expect_float_eq(c.trw_pf, 0.001, 1e-12);
	cr_expect(!c.trw_enabled);
	cr_expect_eq(c.mem_max, 32ull * 1024 * 1024);
	cr_expect_eq(c.max_sources, 1000);
	cr_expect_eq(c.n_ignore_scanner, 1);
	cr_expect_eq(c.ignore_scanner[0].prefix, 32);
	cr_expect_eq(c.n_never_flag, 2);
	cr_expect_eq(c.never_flag[1].family, 6);
	cr_expect_eq(c.never_flag[1].prefix, 32);
	cr_expect_str_eq(c.source, "unit test");
	cr_expect_str_eq(c.date, "2026-01-02");
	unlink(path);
}

Test(scan_conf, errors_name_the_file_and_line)
{
	struct scan_config c;
	char err[256];
	const char *path;

	path = write_tmp("window 60\nfrobnicate 3\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, ":2: unknown key 'frobnicate'") != NULL, "%s", err);

	path = write_tmp("# ok\n\nnever-flag 10.0.0.0/33\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, ":3: never-flag: bad prefix length") != NULL, "%s", err);

	path = write_tmp("window five\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, ":1: window:") != NULL, "%s", err);

	path = write_tmp("trw-pd 1.5\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, ":1: trw-pd") != NULL, "%s", err);

	path = write_tmp("trw-theta0 0.1\ntrw-theta1 0.5\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, "theta1 < theta0") != NULL, "%s", err);

	path = write_tmp("portscan-ports 1 2\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, ":1: portscan-ports takes one value") != NULL, "%s", err);

	path = write_tmp("window\n");
	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, path, err, sizeof(err)), 0);
	cr_expect(strstr(err, ":1: 'window' needs a value") != NULL, "%s", err);
	unlink(path);

	scan_config_defaults(&c);
	cr_expect_neq(scan_config_load(&c, "/nonexistent/scan.conf", err, sizeof(err)), 0);
	cr_expect(strstr(err, "/nonexistent/scan.conf: ") != NULL, "%s", err);
}

Test(scan_conf, the_shipped_rules_file_loads_with_the_compiled_defaults)
{
	struct scan_config c, d;
	char err[256];

	scan_config_defaults(&c);
	scan_config_defaults(&d);
	cr_assert_eq(scan_config_load(&c, SOURCE_DIR "/rules/scan.conf", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(c.window_s, d.window_s);
	cr_expect_eq(c.portscan_ports, d.portscan_ports);
	cr_expect_eq(c.portsweep_hosts, d.portsweep_hosts);
	cr_expect_eq(c.pingsweep_hosts, d.pingsweep_hosts);
	cr_expect_float_eq(c.trw_theta0, d.trw_theta0, 1e-12);
	cr_expect_float_eq(c.trw_theta1, d.trw_theta1, 1e-12);
	cr_expect_float_eq(c.trw_pd, d.trw_pd, 1e-12);
	cr_expect_float_eq(c.trw_pf, d.trw_pf, 1e-12);
	cr_expect_neq(c.source[0], '\0');
	cr_expect_neq(c.date[0], '\0');
}

Test(scan_conf, cidr_matching)
{
	struct scan_cidr c;
	char err[128];
	uint8_t a[16];

	cr_assert_eq(scan_cidr_parse("10.98.0.77/24", &c, err, sizeof(err)), 0);
	ip4(a, IP(10, 98, 0, 200));
	cr_expect(scan_cidr_match(&c, 4, a));
	ip4(a, IP(10, 98, 1, 1));
	cr_expect(!scan_cidr_match(&c, 4, a));
	cr_expect(!scan_cidr_match(&c, 6, a));
	cr_assert_eq(scan_cidr_parse("10.96.0.0/12", &c, err, sizeof(err)), 0);
	ip4(a, IP(10, 111, 255, 255));
	cr_expect(scan_cidr_match(&c, 4, a));
	ip4(a, IP(10, 112, 0, 0));
	cr_expect(!scan_cidr_match(&c, 4, a));
	cr_assert_eq(scan_cidr_parse("0.0.0.0/0", &c, err, sizeof(err)), 0);
	cr_expect(scan_cidr_match(&c, 4, a));
	cr_expect_neq(scan_cidr_parse("10.0.0.300", &c, err, sizeof(err)), 0);
	cr_expect_neq(scan_cidr_parse("/8", &c, err, sizeof(err)), 0);
	cr_expect_neq(scan_cidr_parse("10.0.0.0/", &c, err, sizeof(err)), 0);
	cr_expect_neq(scan_cidr_parse("fe80::/129", &c, err, sizeof(err)), 0);
}

/* ---------- golden captures (pcaps/scan-*.pcap) through decode, flow, nDPI, connstate, scan ---------- */

/* An ICMP error seen for a quoted flow key, applied when that flow ends. */
struct quoted_err {
	struct mp_flow_key key;
	uint8_t kind;
};

/* ICMP types seen per ICMP flow, by flow id. */
struct icmp_bits {
	uint64_t flow_id;
	uint8_t seen[2];
};

struct harness {
	struct flow_table *ft;
	struct dpi_engine *dpi;
	struct scan_detector *sd;
	struct quoted_err qe[4096];
	unsigned nqe;
	struct icmp_bits ib[4096];
	unsigned nib;
	unsigned scan_noise, mismatches;
};

static struct harness *g_h;

static struct icmp_bits *ibits(struct harness *h, uint64_t id, bool create)
{
	for (unsigned i = 0; i < h->nib; i++)
		if (h->ib[i].flow_id == id)
			return &h->ib[i];
	if (!create || h->nib >= 4096)
		return NULL;
	h->ib[h->nib].flow_id = id;
	return &h->ib[h->nib++];
}

/* The registered protocol of a few ports, for a stand-in port-mismatch verdict. */
static const char *registered(uint16_t port)
{
	switch (port) {
	case 22:
		return "SSH";
	case 53:
		return "DNS";
	case 80:
		return "HTTP";
	default:
		return NULL;
	}
}

static void h_flow_end(struct mp_flow *f, enum mp_flow_end why, void *user)
{
	struct harness *h = user;
	struct conn_evidence ev;
	struct scan_probe p;
	struct dpi_result res;
	const uint8_t *cip, *sip;
	const char *reg;
	struct icmp_bits *b;

	(void)why;
	memset(&res, 0, sizeof(res));
	if (!f->dpi_done && f->dpi != NULL) {
		dpi_giveup(h->dpi, f->dpi, &res);
		memcpy(f->proto_name, res.name, sizeof(f->proto_name) - 1);
	} else if (!f->dpi_done) {
		memcpy(f->proto_name, "Unknown", 8);
	}
	dpi_flow_free(h->dpi, f->dpi);
	f->dpi = NULL;

	conn_evidence_from_flow(f, &ev);
	if ((b = ibits(h, f->flow_id, false)) != NULL) {
		ev.icmp_seen[0] = b->seen[0];
		ev.icmp_seen[1] = b->seen[1];
		b->flow_id = 0;
	}
	for (unsigned i = 0; i < h->nqe; i++)
		if (memcmp(&h->qe[i].key, &f->key, sizeof(f->key)) == 0) {
			ev.icmp_error = h->qe[i].kind;
			break;
		}
	memset(&p, 0, sizeof(p));
	conn_classify(&ev, &p.conn);
	p.first_us = f->first_us;
	p.last_us = f->last_us;
	p.flow_id = f->flow_id;
	p.family = f->key.family;
	p.ip_proto = f->key.ip_proto;
	flow_endpoints(f, &cip, &p.client_port, &sip, &p.server_port);
	memcpy(p.client, cip, 16);
	memcpy(p.server, sip, 16);
	p.app_proto = f->proto_name;
	reg = registered(p.server_port);
	if (p.ip_proto == 6 && reg != NULL && strcmp(f->proto_name, "Unknown") != 0 &&
	    strncmp(f->proto_name, reg, strlen(reg)) != 0)
		p.mismatch = "port-mismatch";
	scan_observe(h->sd, &p);
	if (p.mismatch != NULL) {
		h->mismatches++;
		if (scan_is_scanner(h->sd, p.family, p.client, p.last_us))
			h->scan_noise++;
	}
}

static int h_packet(void *user, int dlt, const struct capture_pkt *pkt)
{
	struct harness *h = user;
	struct mp_packet p;
	struct mp_flow *f;
	bool created;
	int dir;

	flow_expire(h->ft, pkt->ts_us);
	scan_expire(h->sd, pkt->ts_us);
	if (decode_packet(dlt, pkt->data, pkt->caplen, pkt->wirelen, &p) != MP_DEC_OK)
		return 0;
	p.ts_us = pkt->ts_us;
	if ((p.ip_proto == 1 || p.ip_proto == 58) && p.quoted.valid) {
		struct mp_packet q;
		bool swapped;
		uint8_t kind = conn_icmp_error_kind(p.ip_proto, p.icmp_type, p.icmp_code);

		memset(&q, 0, sizeof(q));
		q.family = p.family;
		q.vlan = p.vlan;
		q.ip_proto = p.quoted.ip_proto;
		memcpy(q.src, p.quoted.src, 16);
		memcpy(q.dst, p.quoted.dst, 16);
		q.sport = p.quoted.sport;
		q.dport = p.quoted.dport;
		if (kind != CONN_ICMPERR_NONE && h->nqe < 4096) {
			memset(&h->qe[h->nqe].key, 0, sizeof(h->qe[h->nqe].key));
			flow_key_from_packet(&q, &h->qe[h->nqe].key, &swapped);
			h->qe[h->nqe++].kind = kind;
		}
	}
	f = flow_get(h->ft, &p, &dir, &created);
	if (created)
		f->dpi = dpi_flow_new(h->dpi, flow_vshard(f->key.a, f->key.b, f->key.vlan, 0));
	if (p.ip_proto == 1 || p.ip_proto == 58) {
		struct icmp_bits *b = ibits(h, f->flow_id, true);

		if (b != NULL)
			b->seen[dir] |= conn_icmp_bit(p.ip_proto, p.icmp_type);
	}
	if (!f->dpi_done && f->dpi != NULL) {
		struct dpi_result res;

		if (dpi_process(h->dpi, f->dpi, p.l3, p.l3_len, p.ts_us, f->pkts[0] + f->pkts[1], p.ip_proto,
				&res)) {
			memcpy(f->proto_name, res.name, sizeof(f->proto_name) - 1);
			f->dpi_done = 1;
			dpi_flow_free(h->dpi, f->dpi);
			f->dpi = NULL;
		}
	}
	return 0;
}

/* Runs pcaps/<name> through the harness; skips the test when the capture is absent. */
static void run_capture(const char *name)
{
	char path[512], err[256];
	struct flow_table_config fc;
	struct capture *cap;
	struct dpi_limits lim;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/pcaps/%s", SOURCE_DIR, name);
	if ((fp = fopen(path, "rb")) == NULL)
		cr_skip_test("%s not recorded (tools/record-scan-pcaps.sh)", path);
	fclose(fp);
	g_h = calloc(1, sizeof(*g_h));
	cr_assert_not_null(g_h);
	g_h->sd = detector(NULL);
	memset(&lim, 0, sizeof(lim));
	lim.guess = true;
	cr_assert_eq(dpi_engine_new(&lim, &g_h->dpi, err, sizeof(err)), 0, "%s", err);
	memset(&fc, 0, sizeof(fc));
	fc.seed = 1;
	fc.on_end = h_flow_end;
	fc.user = g_h;
	cr_assert_eq(flow_table_new(&fc, &g_h->ft, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(capture_open_file(path, NULL, &cap, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(capture_run(cap, h_packet, g_h, 0, err, sizeof(err)), 0, "%s", err);
	capture_close(cap);
	flow_flush(g_h->ft);
	scan_flush(g_h->sd);
}

static void end_capture(void)
{
	flow_table_free(g_h->ft);
	dpi_engine_free(g_h->dpi);
	scan_free(g_h->sd);
	free(g_h);
}

/* The last alert (the closing update with the final figures) must be of the scanner and name. */
static const struct mp_alert *final_alert(const char *type, uint32_t sid)
{
	const struct mp_alert *a;

	cr_assert_geq(g_sink.n, 1, "no scan alert");
	cr_assert_leq(g_sink.n, 2, "more than one alert and one update: %u", g_sink.n);
	for (unsigned i = 0; i < g_sink.n; i++) {
		cr_expect_eq(memcmp(g_sink.a[i].src_ip, "\x0a\x62\x00\x42", 4), 0, "scanner is 10.98.0.66");
		cr_expect_str_eq(meta(&g_sink.a[i], "scan_type"), type);
		cr_expect_eq(g_sink.a[i].signature_id, sid);
	}
	a = &g_sink.a[g_sink.n - 1];
	cr_log_info("%s", a->signature);
	return a;
}

Test(scan_pcap, syn_scan)
{
	const struct mp_alert *a;

	run_capture("scan-syn.pcap");
	a = final_alert("portscan", SCAN_SID_PORTSCAN_TCP);
	cr_expect(strstr(a->signature, "10.98.0.66 scanned 1000 TCP ports of 10.98.0.10 in ") != NULL, "%s",
		  a->signature);
	cr_expect(strstr(a->signature, "(SYN scan)") != NULL, "%s", a->signature);
	cr_expect_eq(meta_u(a, "ports"), 1000);
	cr_expect_eq(meta_u(a, "targets"), 1);
	cr_expect_str_eq(meta(a, "open_ports"), "22/tcp,53/tcp,80/tcp");
	cr_expect_eq(meta_u(a, "closed_ports"), 997);
	cr_expect_str_eq(meta(a, "port_ranges"), "1-1000");
	cr_expect_str_eq(meta(a, "probe_kind"), "syn");
	end_capture();
}

Test(scan_pcap, connect_scan)
{
	const struct mp_alert *a;

	run_capture("scan-connect.pcap");
	a = final_alert("portscan", SCAN_SID_PORTSCAN_TCP);
	cr_expect(strstr(a->signature, "scanned 1000 TCP ports of 10.98.0.10") != NULL, "%s", a->signature);
	cr_expect(strstr(a->signature, "(connect scan)") != NULL, "%s", a->signature);
	cr_expect_eq(meta_u(a, "open_count"), 3);
	cr_expect_eq(meta_u(a, "closed_ports"), 997);
	end_capture();
}

Test(scan_pcap, udp_scan)
{
	const struct mp_alert *a;

	run_capture("scan-udp.pcap");
	a = final_alert("portscan", SCAN_SID_PORTSCAN_UDP);
	cr_expect(strstr(a->signature, "scanned 100 UDP ports of 10.98.0.10") != NULL, "%s", a->signature);
	cr_expect_eq(meta_u(a, "ports"), 100);
	cr_expect(strstr(meta(a, "open_ports"), "53/udp") != NULL);
	cr_expect_geq(meta_u(a, "closed_ports"), 80, "ICMP port unreachables matched to their probes");
	cr_expect_geq(meta_u(a, "filtered_ports"), 1);
	end_capture();
}

Test(scan_pcap, version_scan_reports_http_to_22_inside_the_scan)
{
	const struct mp_alert *a;

	run_capture("scan-version.pcap");
	a = final_alert("portscan", SCAN_SID_PORTSCAN_TCP);
	cr_expect_eq(meta_u(a, "targets"), 2);
	cr_expect(strstr(a->signature, "on 2 hosts (10.98.0.10-10.98.0.11)") != NULL, "%s", a->signature);
	cr_expect(strstr(a->signature, "version probe") != NULL, "%s", a->signature);
	cr_expect(strstr(meta(a, "mismatches"), "probed 22/tcp with HTTP") != NULL, "%s",
		  meta(a, "mismatches"));
	cr_expect_gt(g_h->mismatches, 0);
	cr_expect_eq(g_h->scan_noise, g_h->mismatches, "every mismatch of the scanner is scan-noise");
	end_capture();
}

static void stealth(const char *pcap, const char *title, const char *kind)
{
	const struct mp_alert *a;

	run_capture(pcap);
	a = final_alert("portscan", SCAN_SID_PORTSCAN_TCP);
	cr_expect(strstr(a->signature, "scanned 300 TCP ports of 10.98.0.10") != NULL, "%s", a->signature);
	cr_expect(strstr(a->signature, title) != NULL, "%s", a->signature);
	cr_expect_str_eq(meta(a, "probe_kind"), kind);
	end_capture();
}

Test(scan_pcap, null_scan)
{
	stealth("scan-null.pcap", "(NULL scan)", "null");
	/* Linux answers RST on closed ports and nothing on open ones. */
}

Test(scan_pcap, fin_scan)
{
	stealth("scan-fin.pcap", "(FIN scan)", "fin");
}

Test(scan_pcap, xmas_scan)
{
	stealth("scan-xmas.pcap", "(Xmas scan)", "xmas");
}

Test(scan_pcap, maimon_scan)
{
	stealth("scan-maimon.pcap", "(Maimon scan)", "maimon");
}

Test(scan_pcap, ack_scan)
{
	const struct mp_alert *a;

	run_capture("scan-ack.pcap");
	a = final_alert("portscan", SCAN_SID_PORTSCAN_TCP);
	cr_expect(strstr(a->signature, "(ACK scan)") != NULL, "%s", a->signature);
	cr_expect_eq(meta_u(a, "unfiltered_ports"), 300);
	end_capture();
}

Test(scan_pcap, ping_sweep)
{
	const struct mp_alert *a;

	run_capture("scan-pingsweep.pcap");
	a = final_alert("pingsweep", SCAN_SID_PINGSWEEP);
	cr_expect(strstr(a->signature, "swept 12 hosts (10.98.0.10-10.98.0.21)") != NULL, "%s", a->signature);
	cr_expect(strstr(a->signature, "8 answered") != NULL, "%s", a->signature);
	cr_expect_eq(meta_u(a, "targets"), 12);
	cr_expect_eq(meta_u(a, "targets_silent"), 4);
	end_capture();
}

Test(scan_pcap, benign_client_raises_nothing)
{
	run_capture("scan-benign.pcap");
	cr_expect_eq(g_sink.n, 0, "benign traffic raised %u scan alerts", g_sink.n);
	cr_expect_gt(scan_get_stats(g_h->sd)->probes, 0);
	end_capture();
}

/* TRW watches first contacts into home-net (the paper's setting): a client whose connections to
 * Internet servers go unanswered is not scanning us; the same failures inside home-net are. */
Test(scan, trw_counts_only_contacts_into_home_net)
{
	struct scan_config cfg;
	struct scan_detector *sd = detector(NULL);

	for (uint32_t i = 1; i <= 6; i++)
		observe(sd, IP(192, 168, 2, 100), IP(157, 240, 0, (uint8_t)i), 5222, SYN_SILENT, i * 10);
	cr_assert_not(is_scanner(sd, IP(192, 168, 2, 100)),
		      "failures to public hosts are not first contacts here");
	for (uint32_t i = 1; i <= 4; i++)
		observe(sd, IP(203, 0, 113, 9), IP(10, 1, 0, (uint8_t)i), 5222, SYN_SILENT, 100 + i * 10);
	cr_assert(is_scanner(sd, IP(203, 0, 113, 9)), "4 failed first contacts into home-net flag");
	scan_free(sd);

	scan_config_defaults(&cfg);
	cfg.trw_all_targets = true;
	sd = detector(&cfg);
	for (uint32_t i = 1; i <= 4; i++)
		observe(sd, IP(192, 168, 2, 100), IP(157, 240, 0, (uint8_t)i), 5222, SYN_SILENT, i * 10);
	cr_assert(is_scanner(sd, IP(192, 168, 2, 100)), "trw-targets all counts every contact");
	scan_free(sd);
}

/* An unanswered UDP datagram is not a failed contact (most UDP services stay silent). */
Test(scan, trw_ignores_silent_udp)
{
	struct scan_detector *sd = detector(NULL);

	for (uint32_t i = 1; i <= 8; i++)
		observe(sd, IP(10, 0, 0, 7), IP(10, 0, 1, (uint8_t)i), 3478, UDP_SILENT, i * 10);
	cr_assert_not(is_scanner(sd, IP(10, 0, 0, 7)));
	for (uint32_t i = 1; i <= 4; i++)
		observe(sd, IP(10, 0, 0, 8), IP(10, 0, 2, (uint8_t)i), 3478, UDP_CLOSED, i * 10);
	cr_assert(is_scanner(sd, IP(10, 0, 0, 8)), "port unreachable answers are failures");
	scan_free(sd);
}
