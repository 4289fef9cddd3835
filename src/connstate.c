/* connstate.c: labels finished flows for scan detection: Zeek conn_state, probe kind, answer, outcome. */
#include "misport/connstate.h"

#include <stddef.h>

#include "misport/decode.h"
#include "misport/flow.h"

/* The flags that define a probe; ECE and CWR (ECN negotiation) are ignored. */
#define PROBE_FLAGS (MP_TH_FIN | MP_TH_SYN | MP_TH_RST | MP_TH_PSH | MP_TH_ACK | MP_TH_URG)

/* Endpoint states in the spirit of Zeek's TCP analyzer, derived from what one side sent. */
enum ep_state {
	EP_INACTIVE = 0,
	EP_PARTIAL,
	EP_SYN_SENT,
	EP_SYN_ACK_SENT,
	EP_ESTABLISHED,
	EP_CLOSED,
	EP_RESET
};

static enum ep_state endpoint(uint8_t mine, uint64_t pkts, bool established)
{
	if (mine & MP_TH_RST)
		return EP_RESET;
	if (mine & MP_TH_FIN)
		return EP_CLOSED;
	if (established)
		return EP_ESTABLISHED;
	if ((mine & (MP_TH_SYN | MP_TH_ACK)) == MP_TH_SYN)
		return EP_SYN_SENT;
	if ((mine & (MP_TH_SYN | MP_TH_ACK)) == (MP_TH_SYN | MP_TH_ACK))
		return EP_SYN_ACK_SENT;
	return pkts > 0 ? EP_PARTIAL : EP_INACTIVE;
}

/* Zeek's conn_state() decision list applied to the approximated endpoint states. */
static enum conn_state tcp_state(const struct conn_evidence *ev)
{
	uint8_t o = ev->tcp_flags[0], r = ev->tcp_flags[1];
	bool synack = (r & (MP_TH_SYN | MP_TH_ACK)) == (MP_TH_SYN | MP_TH_ACK);
	bool est = (o & MP_TH_SYN) && synack && (o & MP_TH_ACK);
	enum ep_state os = endpoint(o, ev->pkts[0], est);
	enum ep_state rs = endpoint(r, ev->pkts[1], est);
	bool o_inactive = os == EP_INACTIVE || os == EP_PARTIAL;
	bool r_inactive = rs == EP_INACTIVE || rs == EP_PARTIAL;

	if (rs == EP_RESET) {
		if (os == EP_SYN_SENT || os == EP_SYN_ACK_SENT ||
		    (os == EP_RESET && ev->payload_bytes[0] == 0 && ev->payload_bytes[1] == 0))
			return CONN_REJ;
		if (o_inactive)
			return CONN_RSTRH;
		return CONN_RSTR;
	}
	if (os == EP_RESET) {
		if (r_inactive) {
			/* Zeek: history S, then R, with no handshake, ACK or FIN in between. */
			if ((o & MP_TH_SYN) && !(o & (MP_TH_ACK | MP_TH_FIN)))
				return CONN_RSTOS0;
			return CONN_OTH;
		}
		return CONN_RSTO;
	}
	if (rs == EP_CLOSED && os == EP_CLOSED)
		return CONN_SF;
	if (os == EP_CLOSED)
		return r_inactive ? CONN_SH : CONN_S2;
	if (rs == EP_CLOSED)
		return o_inactive ? CONN_SHR : CONN_S3;
	if (os == EP_SYN_SENT && rs == EP_INACTIVE)
		return CONN_S0;
	if (os == EP_ESTABLISHED && rs == EP_ESTABLISHED)
		return CONN_S1;
	return CONN_OTH;
}

/* The opening of a TCP flow by its client. */
static enum conn_probe tcp_probe(const struct conn_evidence *ev)
{
	uint8_t o = ev->tcp_flags[0], r = ev->tcp_flags[1], f;

	if (ev->pkts[0] == 0)
		return CONN_PROBE_NONE;
	if (o & MP_TH_SYN) {
		bool synack = (r & (MP_TH_SYN | MP_TH_ACK)) == (MP_TH_SYN | MP_TH_ACK);

		/* The client acknowledged the SYN-ACK (or sent data): a full connection. */
		if (synack && ((o & MP_TH_ACK) || ev->payload_bytes[0] > 0))
			return CONN_PROBE_CONNECT;
		return CONN_PROBE_SYN;
	}
	if (ev->payload_bytes[0] > 0)
		return CONN_PROBE_NONE; /* midstream data: a connection whose start was not seen */
	f = (uint8_t)((ev->first_dir == CONN_DIR_C2S ? ev->first_tcp_flags : o) & PROBE_FLAGS);
	switch (f) {
	case 0:
		return CONN_PROBE_NULL;
	case MP_TH_FIN:
		return CONN_PROBE_FIN;
	case MP_TH_FIN | MP_TH_PSH | MP_TH_URG:
		return CONN_PROBE_XMAS;
	case MP_TH_FIN | MP_TH_ACK:
		return CONN_PROBE_MAIMON;
	case MP_TH_ACK:
		return CONN_PROBE_ACK;
	default:
		return CONN_PROBE_NONE;
	}
}

static void classify_tcp(const struct conn_evidence *ev, struct conn_result *out)
{
	uint8_t r = ev->tcp_flags[1];
	bool synack = (r & (MP_TH_SYN | MP_TH_ACK)) == (MP_TH_SYN | MP_TH_ACK);
	bool rst = (r & MP_TH_RST) != 0;

	out->state = tcp_state(ev);
	out->probe = tcp_probe(ev);
	switch (out->probe) {
	case CONN_PROBE_SYN:
	case CONN_PROBE_CONNECT:
		if (synack || ev->payload_bytes[1] > 0) {
			out->answer = CONN_ANS_OPEN;
			out->outcome = CONN_OUT_SUCCESS;
		} else {
			if (rst || ev->icmp_error == CONN_ICMPERR_PORT)
				out->answer = CONN_ANS_CLOSED;
			else if (ev->icmp_error != CONN_ICMPERR_NONE && ev->icmp_error != CONN_ICMPERR_OTHER)
				out->answer = CONN_ANS_FILTERED;
			else
				out->answer = CONN_ANS_NONE;
			out->outcome = CONN_OUT_FAILURE;
		}
		break;
	case CONN_PROBE_NULL:
	case CONN_PROBE_FIN:
	case CONN_PROBE_XMAS:
	case CONN_PROBE_MAIMON:
		/* Never a connection attempt a legitimate client makes first: a failure whatever the
		 * answer. */
		if (rst)
			out->answer = CONN_ANS_CLOSED;
		else if (ev->icmp_error != CONN_ICMPERR_NONE && ev->icmp_error != CONN_ICMPERR_OTHER)
			out->answer = CONN_ANS_FILTERED;
		else
			out->answer = CONN_ANS_NONE;
		out->outcome = CONN_OUT_FAILURE;
		break;
	case CONN_PROBE_ACK:
		/* ACK probes map filters, not services; they are no connection attempt for TRW. A lone ACK is
		 * also what a connection's tail looks like after its flow expired. */
		if (rst)
			out->answer = CONN_ANS_UNFILTERED;
		else if (ev->icmp_error != CONN_ICMPERR_NONE && ev->icmp_error != CONN_ICMPERR_OTHER)
			out->answer = CONN_ANS_FILTERED;
		else
			out->answer = CONN_ANS_NONE;
		out->outcome = CONN_OUT_UNKNOWN;
		break;
	default:
		out->answer = CONN_ANS_UNKNOWN;
		out->outcome = CONN_OUT_UNKNOWN;
		break;
	}
}

static void classify_udp(const struct conn_evidence *ev, struct conn_result *out)
{
	if (ev->pkts[0] > 0)
		out->state = ev->pkts[1] > 0 ? CONN_SF : CONN_S0;
	else
		out->state = ev->pkts[1] > 0 ? CONN_SHR : CONN_OTH;
	if (ev->pkts[0] == 0) {
		out->probe = CONN_PROBE_NONE;
		out->answer = CONN_ANS_UNKNOWN;
		out->outcome = CONN_OUT_UNKNOWN;
		return;
	}
	out->probe = CONN_PROBE_UDP;
	if (ev->pkts[1] > 0) {
		out->answer = CONN_ANS_OPEN;
		out->outcome = CONN_OUT_SUCCESS;
		return;
	}
	if (ev->icmp_error == CONN_ICMPERR_PORT || ev->icmp_error == CONN_ICMPERR_PROTO)
		out->answer = CONN_ANS_CLOSED;
	else if (ev->icmp_error == CONN_ICMPERR_FILTER || ev->icmp_error == CONN_ICMPERR_HOST)
		out->answer = CONN_ANS_FILTERED;
	else
		out->answer = CONN_ANS_NONE;
	out->outcome = CONN_OUT_FAILURE;
}

static void classify_icmp(const struct conn_evidence *ev, struct conn_result *out)
{
	uint8_t c = ev->icmp_seen[0], s = ev->icmp_seen[1];

	out->state = CONN_OTH;
	if (c & CONN_ICMP_ECHO_REQ)
		out->probe = CONN_PROBE_ICMP_ECHO;
	else if (c & CONN_ICMP_INFO_REQ)
		out->probe = CONN_PROBE_ICMP_TS;
	else {
		out->probe = CONN_PROBE_NONE;
		out->answer = CONN_ANS_UNKNOWN;
		out->outcome = CONN_OUT_UNKNOWN;
		return;
	}
	if (s & (CONN_ICMP_ECHO_REPLY | CONN_ICMP_INFO_REPLY)) {
		out->answer = CONN_ANS_OPEN;
		out->outcome = CONN_OUT_SUCCESS;
	} else {
		out->answer = (s & CONN_ICMP_ERROR) ? CONN_ANS_FILTERED : CONN_ANS_NONE;
		out->outcome = CONN_OUT_FAILURE;
	}
}

void conn_classify(const struct conn_evidence *ev, struct conn_result *out)
{
	out->state = CONN_OTH;
	out->probe = CONN_PROBE_NONE;
	out->answer = CONN_ANS_UNKNOWN;
	out->outcome = CONN_OUT_UNKNOWN;
	out->client_data = ev->payload_bytes[0] > 0;
	out->server_data = ev->payload_bytes[1] > 0;
	switch (ev->ip_proto) {
	case 6:
		classify_tcp(ev, out);
		break;
	case 17:
		classify_udp(ev, out);
		break;
	case 1:
	case 58:
		out->client_data = out->server_data = false; /* ICMP bodies are not application data */
		classify_icmp(ev, out);
		break;
	default:
		break;
	}
}

void conn_evidence_from_flow(const struct mp_flow *f, struct conn_evidence *ev)
{
	ev->ip_proto = f->key.ip_proto;
	switch (f->side_basis) {
	case MP_SIDE_SYN:
	case MP_SIDE_FIRST:
		ev->first_dir = CONN_DIR_C2S;
		break;
	case MP_SIDE_SYNACK:
		ev->first_dir = CONN_DIR_S2C;
		break;
	default:
		ev->first_dir = CONN_DIR_UNKNOWN;
		break;
	}
	ev->first_tcp_flags = f->first_tcp_flags;
	for (int d = 0; d < 2; d++) {
		ev->tcp_flags[d] = f->tcp_flags_seen[d];
		ev->pkts[d] = f->pkts[d];
		ev->payload_bytes[d] = f->payload_bytes[d];
		ev->icmp_seen[d] = 0;
	}
	ev->icmp_error = CONN_ICMPERR_NONE;
}

uint8_t conn_icmp_bit(uint8_t ip_proto, uint8_t type)
{
	if (ip_proto == 1) {
		switch (type) {
		case 8:
			return CONN_ICMP_ECHO_REQ;
		case 0:
			return CONN_ICMP_ECHO_REPLY;
		case 13:
		case 17:
			return CONN_ICMP_INFO_REQ;
		case 14:
		case 18:
			return CONN_ICMP_INFO_REPLY;
		case 3:
		case 4:
		case 5:
		case 11:
		case 12:
			return CONN_ICMP_ERROR;
		default:
			return CONN_ICMP_OTHER;
		}
	}
	if (ip_proto == 58) {
		if (type == 128)
			return CONN_ICMP_ECHO_REQ;
		if (type == 129)
			return CONN_ICMP_ECHO_REPLY;
		if (type >= 1 && type <= 4)
			return CONN_ICMP_ERROR;
		return CONN_ICMP_OTHER;
	}
	return 0;
}

uint8_t conn_icmp_error_kind(uint8_t ip_proto, uint8_t type, uint8_t code)
{
	if (ip_proto == 1) {
		if (type == 3) {
			switch (code) {
			case 3:
				return CONN_ICMPERR_PORT;
			case 2:
				return CONN_ICMPERR_PROTO;
			case 9:
			case 10:
			case 13:
				return CONN_ICMPERR_FILTER;
			case 0:
			case 1:
			case 6:
			case 7:
			case 11:
			case 12:
				return CONN_ICMPERR_HOST;
			default:
				return CONN_ICMPERR_OTHER;
			}
		}
		if (type == 4 || type == 5 || type == 11 || type == 12)
			return CONN_ICMPERR_OTHER;
		return CONN_ICMPERR_NONE;
	}
	if (ip_proto == 58) {
		if (type == 1) {
			switch (code) {
			case 4:
				return CONN_ICMPERR_PORT;
			case 1:
			case 5:
			case 6:
				return CONN_ICMPERR_FILTER;
			default:
				return CONN_ICMPERR_HOST;
			}
		}
		if (type >= 2 && type <= 4)
			return CONN_ICMPERR_OTHER;
	}
	return CONN_ICMPERR_NONE;
}

static const char *const state_names[CONN_STATE_COUNT] = {
    "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
};

static const char *const probe_names[CONN_PROBE_COUNT] = {
    "none", "syn", "connect", "null", "fin", "xmas", "ack", "maimon", "udp", "icmp-echo", "icmp-timestamp",
};

static const char *const probe_titles[CONN_PROBE_COUNT] = {
    "no probe", "SYN scan",    "connect scan", "NULL scan", "FIN scan",       "Xmas scan",
    "ACK scan", "Maimon scan", "UDP scan",     "ICMP echo", "ICMP timestamp",
};

static const char *const answer_names[CONN_ANS_COUNT] = {
    "none", "open", "closed", "unfiltered", "filtered", "unknown",
};

const char *conn_state_name(enum conn_state s)
{
	return (unsigned)s < CONN_STATE_COUNT ? state_names[s] : "?";
}

const char *conn_probe_name(enum conn_probe p)
{
	return (unsigned)p < CONN_PROBE_COUNT ? probe_names[p] : "?";
}

const char *conn_probe_title(enum conn_probe p)
{
	return (unsigned)p < CONN_PROBE_COUNT ? probe_titles[p] : "?";
}

const char *conn_answer_name(enum conn_answer a)
{
	return (unsigned)a < CONN_ANS_COUNT ? answer_names[a] : "?";
}

const char *conn_outcome_name(enum conn_outcome o)
{
	switch (o) {
	case CONN_OUT_SUCCESS:
		return "success";
	case CONN_OUT_FAILURE:
		return "failure";
	case CONN_OUT_UNKNOWN:
		return "unknown";
	default:
		return "?";
	}
}
