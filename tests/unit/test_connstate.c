/* test_connstate.c: Zeek conn_state labels, nmap probe kinds, answers and TRW outcomes of finished flows. */
#include <criterion/criterion.h>
#include <string.h>

#include "misport/connstate.h"
#include "misport/decode.h"

#define SYN MP_TH_SYN
#define ACK MP_TH_ACK
#define RST MP_TH_RST
#define FIN MP_TH_FIN
#define PSH MP_TH_PSH
#define URG MP_TH_URG

/* A TCP flow whose client sent flags o (first packet `first`) and server r, with payload byte counts. */
static struct conn_evidence tcp(uint8_t first, uint8_t o, uint8_t r, uint64_t cdata, uint64_t sdata)
{
	struct conn_evidence ev;

	memset(&ev, 0, sizeof(ev));
	ev.ip_proto = 6;
	ev.first_dir = CONN_DIR_C2S;
	ev.first_tcp_flags = first;
	ev.tcp_flags[0] = o;
	ev.tcp_flags[1] = r;
	ev.pkts[0] = 1 + (cdata > 0);
	ev.pkts[1] = r != 0 ? 1 + (sdata > 0) : 0;
	ev.payload_bytes[0] = cdata;
	ev.payload_bytes[1] = sdata;
	return ev;
}

static struct conn_result run(const struct conn_evidence *ev)
{
	struct conn_result r;

	conn_classify(ev, &r);
	return r;
}

static void expect(struct conn_evidence ev, const char *state, const char *probe, const char *answer,
		   const char *outcome)
{
	struct conn_result r = run(&ev);

	cr_expect_str_eq(conn_state_name(r.state), state);
	cr_expect_str_eq(conn_probe_name(r.probe), probe);
	cr_expect_str_eq(conn_answer_name(r.answer), answer);
	cr_expect_str_eq(conn_outcome_name(r.outcome), outcome);
}

Test(connstate, syn_scan_of_closed_open_and_filtered_ports)
{
	expect(tcp(SYN, SYN, RST | ACK, 0, 0), "REJ", "syn", "closed", "failure");
	expect(tcp(SYN, SYN | RST, SYN | ACK, 0, 0), "RSTO", "syn", "open", "success");
	expect(tcp(SYN, SYN, 0, 0, 0), "S0", "syn", "none", "failure");
}

Test(connstate, syn_then_own_reset_without_answer_is_rstos0)
{
	expect(tcp(SYN, SYN | RST, 0, 0, 0), "RSTOS0", "syn", "none", "failure");
}

Test(connstate, syn_then_fin_without_answer_is_sh)
{
	expect(tcp(SYN, SYN | FIN, 0, 0, 0), "SH", "syn", "none", "failure");
}

Test(connstate, connect_scan_and_real_sessions)
{
	struct conn_result r;

	expect(tcp(SYN, SYN | ACK | RST, SYN | ACK, 0, 0), "RSTO", "connect", "open", "success");
	expect(tcp(SYN, SYN, RST | ACK, 0, 0), "REJ", "syn", "closed", "failure");
	expect(tcp(SYN, SYN | ACK | FIN | PSH, SYN | ACK | FIN | PSH, 80, 500), "SF", "connect", "open",
	       "success");
	expect(tcp(SYN, SYN | ACK | PSH, SYN | ACK | PSH, 80, 500), "S1", "connect", "open", "success");
	expect(tcp(SYN, SYN | ACK | FIN, SYN | ACK, 0, 0), "S2", "connect", "open", "success");
	expect(tcp(SYN, SYN | ACK, SYN | ACK | FIN, 0, 10), "S3", "connect", "open", "success");
	expect(tcp(SYN, SYN | ACK | PSH, SYN | ACK | RST, 10, 0), "RSTR", "connect", "open", "success");
	r = run(&(struct conn_evidence){.ip_proto = 6,
					.first_dir = CONN_DIR_C2S,
					.first_tcp_flags = SYN,
					.tcp_flags = {SYN | ACK | PSH, SYN | ACK | PSH},
					.pkts = {3, 2},
					.payload_bytes = {10, 20}});
	cr_expect(r.client_data && r.server_data);
}

Test(connstate, stealth_probes)
{
	expect(tcp(0, 0, RST | ACK, 0, 0), "RSTRH", "null", "closed", "failure");
	expect(tcp(0, 0, 0, 0, 0), "OTH", "null", "none", "failure");
	expect(tcp(FIN, FIN, RST | ACK, 0, 0), "RSTR", "fin", "closed", "failure");
	expect(tcp(FIN, FIN, 0, 0, 0), "SH", "fin", "none", "failure");
	expect(tcp(FIN | PSH | URG, FIN | PSH | URG, RST | ACK, 0, 0), "RSTR", "xmas", "closed", "failure");
	expect(tcp(FIN | PSH | URG, FIN | PSH | URG, 0, 0, 0), "SH", "xmas", "none", "failure");
	expect(tcp(FIN | ACK, FIN | ACK, RST, 0, 0), "RSTR", "maimon", "closed", "failure");
	expect(tcp(ACK, ACK, RST, 0, 0), "RSTRH", "ack", "unfiltered", "unknown");
	expect(tcp(ACK, ACK, 0, 0, 0), "OTH", "ack", "none", "unknown");
}

Test(connstate, ecn_bits_do_not_change_the_probe)
{
	expect(tcp(SYN | MP_TH_ECE | MP_TH_CWR, SYN | MP_TH_ECE | MP_TH_CWR, RST | ACK, 0, 0), "REJ", "syn",
	       "closed", "failure");
	expect(tcp(FIN | MP_TH_ECE, FIN | MP_TH_ECE, RST | ACK, 0, 0), "RSTR", "fin", "closed", "failure");
}

Test(connstate, midstream_traffic_is_no_probe)
{
	expect(tcp(ACK | PSH, ACK | PSH, ACK | PSH, 100, 200), "OTH", "none", "unknown", "unknown");
	expect(tcp(RST, RST, 0, 0, 0), "OTH", "none", "unknown", "unknown");
}

Test(connstate, server_only_handshake_halves)
{
	struct conn_evidence ev = tcp(SYN | ACK, 0, SYN | ACK | FIN, 0, 0);

	ev.first_dir = CONN_DIR_S2C;
	ev.pkts[0] = 0;
	expect(ev, "SHR", "none", "unknown", "unknown");
	ev.tcp_flags[1] = SYN | ACK | RST;
	expect(ev, "RSTRH", "none", "unknown", "unknown");
}

Test(connstate, icmp_error_makes_a_syn_filtered)
{
	struct conn_evidence ev = tcp(SYN, SYN, 0, 0, 0);

	ev.icmp_error = CONN_ICMPERR_FILTER;
	expect(ev, "S0", "syn", "filtered", "failure");
	ev.icmp_error = CONN_ICMPERR_HOST;
	expect(ev, "S0", "syn", "filtered", "failure");
}

static struct conn_evidence udp(uint64_t answers, uint8_t icmp_error)
{
	struct conn_evidence ev;

	memset(&ev, 0, sizeof(ev));
	ev.ip_proto = 17;
	ev.first_dir = CONN_DIR_C2S;
	ev.pkts[0] = 1;
	ev.pkts[1] = answers;
	ev.payload_bytes[1] = answers * 40;
	ev.icmp_error = icmp_error;
	return ev;
}

Test(connstate, udp_probes)
{
	expect(udp(1, 0), "SF", "udp", "open", "success");
	expect(udp(0, CONN_ICMPERR_PORT), "S0", "udp", "closed", "failure");
	expect(udp(0, CONN_ICMPERR_FILTER), "S0", "udp", "filtered", "failure");
	expect(udp(0, 0), "S0", "udp", "none", "failure");
}

Test(connstate, udp_from_the_server_only_is_shr)
{
	struct conn_evidence ev = udp(1, 0);

	ev.pkts[0] = 0;
	expect(ev, "SHR", "none", "unknown", "unknown");
}

static struct conn_evidence icmp(uint8_t proto, uint8_t c, uint8_t s)
{
	struct conn_evidence ev;

	memset(&ev, 0, sizeof(ev));
	ev.ip_proto = proto;
	ev.first_dir = CONN_DIR_C2S;
	ev.icmp_seen[0] = c;
	ev.icmp_seen[1] = s;
	ev.pkts[0] = c != 0;
	ev.pkts[1] = s != 0;
	ev.payload_bytes[0] = 56;
	return ev;
}

Test(connstate, icmp_echo_and_timestamp)
{
	struct conn_result r;

	expect(icmp(1, CONN_ICMP_ECHO_REQ, CONN_ICMP_ECHO_REPLY), "OTH", "icmp-echo", "open", "success");
	expect(icmp(1, CONN_ICMP_ECHO_REQ, 0), "OTH", "icmp-echo", "none", "failure");
	expect(icmp(58, CONN_ICMP_ECHO_REQ, CONN_ICMP_ERROR), "OTH", "icmp-echo", "filtered", "failure");
	expect(icmp(1, CONN_ICMP_INFO_REQ, CONN_ICMP_INFO_REPLY), "OTH", "icmp-timestamp", "open", "success");
	expect(icmp(1, CONN_ICMP_ERROR, 0), "OTH", "none", "unknown", "unknown");
	r = run(&(struct conn_evidence){
	    .ip_proto = 1, .icmp_seen = {CONN_ICMP_ECHO_REQ, 0}, .payload_bytes = {56, 0}});
	cr_expect(!r.client_data, "ICMP bodies are not application data");
}

Test(connstate, icmp_bits_and_error_kinds)
{
	cr_expect_eq(conn_icmp_bit(1, 8), CONN_ICMP_ECHO_REQ);
	cr_expect_eq(conn_icmp_bit(1, 0), CONN_ICMP_ECHO_REPLY);
	cr_expect_eq(conn_icmp_bit(1, 13), CONN_ICMP_INFO_REQ);
	cr_expect_eq(conn_icmp_bit(1, 14), CONN_ICMP_INFO_REPLY);
	cr_expect_eq(conn_icmp_bit(1, 3), CONN_ICMP_ERROR);
	cr_expect_eq(conn_icmp_bit(1, 9), CONN_ICMP_OTHER);
	cr_expect_eq(conn_icmp_bit(58, 128), CONN_ICMP_ECHO_REQ);
	cr_expect_eq(conn_icmp_bit(58, 129), CONN_ICMP_ECHO_REPLY);
	cr_expect_eq(conn_icmp_bit(58, 1), CONN_ICMP_ERROR);
	cr_expect_eq(conn_icmp_bit(58, 135), CONN_ICMP_OTHER);
	cr_expect_eq(conn_icmp_bit(6, 8), 0);

	cr_expect_eq(conn_icmp_error_kind(1, 3, 3), CONN_ICMPERR_PORT);
	cr_expect_eq(conn_icmp_error_kind(1, 3, 2), CONN_ICMPERR_PROTO);
	cr_expect_eq(conn_icmp_error_kind(1, 3, 13), CONN_ICMPERR_FILTER);
	cr_expect_eq(conn_icmp_error_kind(1, 3, 10), CONN_ICMPERR_FILTER);
	cr_expect_eq(conn_icmp_error_kind(1, 3, 1), CONN_ICMPERR_HOST);
	cr_expect_eq(conn_icmp_error_kind(1, 3, 4), CONN_ICMPERR_OTHER);
	cr_expect_eq(conn_icmp_error_kind(1, 11, 0), CONN_ICMPERR_OTHER);
	cr_expect_eq(conn_icmp_error_kind(1, 0, 0), CONN_ICMPERR_NONE);
	cr_expect_eq(conn_icmp_error_kind(58, 1, 4), CONN_ICMPERR_PORT);
	cr_expect_eq(conn_icmp_error_kind(58, 1, 1), CONN_ICMPERR_FILTER);
	cr_expect_eq(conn_icmp_error_kind(58, 1, 3), CONN_ICMPERR_HOST);
	cr_expect_eq(conn_icmp_error_kind(58, 3, 0), CONN_ICMPERR_OTHER);
	cr_expect_eq(conn_icmp_error_kind(58, 128, 0), CONN_ICMPERR_NONE);
}

Test(connstate, names_are_stable_and_bounded)
{
	static const char *const states[] = {"S0",   "S1",     "SF",    "REJ", "S2",  "S3", "RSTO",
					     "RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH"};

	for (int i = 0; i < CONN_STATE_COUNT; i++)
		cr_expect_str_eq(conn_state_name((enum conn_state)i), states[i]);
	cr_expect_str_eq(conn_state_name(CONN_STATE_COUNT), "?");
	cr_expect_str_eq(conn_probe_name(CONN_PROBE_MAIMON), "maimon");
	cr_expect_str_eq(conn_probe_title(CONN_PROBE_XMAS), "Xmas scan");
	cr_expect_str_eq(conn_probe_name(CONN_PROBE_COUNT), "?");
	cr_expect_str_eq(conn_answer_name(CONN_ANS_UNFILTERED), "unfiltered");
	cr_expect_str_eq(conn_outcome_name(CONN_OUT_FAILURE), "failure");
}

Test(connstate, unknown_first_direction_uses_the_client_flags)
{
	struct conn_evidence ev = tcp(RST | ACK, FIN | PSH | URG, RST | ACK, 0, 0);

	ev.first_dir = CONN_DIR_UNKNOWN;
	expect(ev, "RSTR", "xmas", "closed", "failure");
}
