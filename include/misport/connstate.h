/* connstate.h: per-flow scan evidence: Zeek conn_state, probe kind, port answer and TRW outcome. */
#ifndef MISPORT_CONNSTATE_H
#define MISPORT_CONNSTATE_H

#include <stdbool.h>
#include <stdint.h>

struct mp_flow;

/* Zeek's conn_state values (base/protocols/conn: conn_state()), approximated from per-direction OR-ed
 * TCP flags (the order of flags within a direction is not kept; see docs/scan.md). */
enum conn_state {
	CONN_S0 = 0, /* attempt seen, no reply */
	CONN_S1,     /* established, not terminated */
	CONN_SF,     /* established and closed by FIN both ways (and UDP answered) */
	CONN_REJ,    /* attempt rejected by RST */
	CONN_S2,     /* established, close by the originator only */
	CONN_S3,     /* established, close by the responder only */
	CONN_RSTO,   /* established (SYN-ACK seen), then the originator reset */
	CONN_RSTR,   /* the responder reset after more than a bare attempt */
	CONN_RSTOS0, /* originator SYN then RST, no SYN-ACK seen */
	CONN_RSTRH,  /* responder RST while the originator sent no SYN (or SYN-ACK then RST) */
	CONN_SH,     /* originator SYN or probe then FIN, nothing from the responder */
	CONN_SHR,    /* responder SYN-ACK then FIN, or UDP from the responder only */
	CONN_OTH,    /* no SYN seen: midstream traffic, ICMP, other transports */
	CONN_STATE_COUNT
};

/* How the client opened the flow: the scan technique it matches. */
enum conn_probe {
	CONN_PROBE_NONE = 0,  /* not a probe: midstream data, ICMP errors, server-only traffic */
	CONN_PROBE_SYN,       /* SYN; the client never completed the handshake (half-open, nmap -sS) */
	CONN_PROBE_CONNECT,   /* SYN, SYN-ACK, ACK from the client (nmap -sT, or any real connection) */
	CONN_PROBE_NULL,      /* no flags (nmap -sN) */
	CONN_PROBE_FIN,       /* FIN only (nmap -sF) */
	CONN_PROBE_XMAS,      /* FIN+PSH+URG (nmap -sX) */
	CONN_PROBE_ACK,       /* ACK only, no payload (nmap -sA, -sW) */
	CONN_PROBE_MAIMON,    /* FIN+ACK (nmap -sM) */
	CONN_PROBE_UDP,       /* a UDP datagram from the client */
	CONN_PROBE_ICMP_ECHO, /* ICMP/ICMPv6 echo request */
	CONN_PROBE_ICMP_TS,   /* ICMP timestamp or address-mask request (no echo) */
	CONN_PROBE_COUNT
};

/* What the server's answer says about the probed port, in nmap's terms. */
enum conn_answer {
	CONN_ANS_NONE = 0,   /* no answer at all: filtered, or open|filtered for NULL/FIN/Xmas/UDP */
	CONN_ANS_OPEN,       /* SYN-ACK, a UDP reply, an echo or timestamp reply */
	CONN_ANS_CLOSED,     /* RST to a SYN or stealth probe, ICMP port (or protocol) unreachable */
	CONN_ANS_UNFILTERED, /* RST to an ACK probe: reachable, open or closed unknown */
	CONN_ANS_FILTERED,   /* an ICMP error saying a filter or the host is in the way */
	CONN_ANS_UNKNOWN,    /* not a probe */
	CONN_ANS_COUNT
};

/* Outcome of the flow as a first contact (Jung et al. 2004): success when the server accepted. */
enum conn_outcome { CONN_OUT_UNKNOWN = 0, CONN_OUT_SUCCESS, CONN_OUT_FAILURE };

/* Direction of the flow's first packet. */
enum { CONN_DIR_C2S = 0, CONN_DIR_S2C = 1, CONN_DIR_UNKNOWN = 2 };

/* ICMP message classes seen in one direction of an ICMP flow (bits of conn_evidence.icmp_seen). */
#define CONN_ICMP_ECHO_REQ   0x01 /* echo request (ICMP 8, ICMPv6 128) */
#define CONN_ICMP_ECHO_REPLY 0x02 /* echo reply (ICMP 0, ICMPv6 129) */
#define CONN_ICMP_INFO_REQ   0x04 /* timestamp (13) or address mask (17) request */
#define CONN_ICMP_INFO_REPLY 0x08 /* timestamp (14) or address mask (18) reply */
#define CONN_ICMP_ERROR      0x10 /* an error message (unreachable, time exceeded, ...) */
#define CONN_ICMP_OTHER      0x20 /* anything else (router/neighbour discovery, ...) */

/* An ICMP error that quotes a flow's packet, as far as scanning is concerned (conn_evidence.icmp_error). */
enum conn_icmp_err {
	CONN_ICMPERR_NONE = 0,
	CONN_ICMPERR_PORT,   /* port unreachable (ICMP 3/3, ICMPv6 1/4): the port is closed */
	CONN_ICMPERR_PROTO,  /* protocol unreachable (ICMP 3/2): closed for an IP protocol scan */
	CONN_ICMPERR_FILTER, /* administratively prohibited (ICMP 3/9,10,13; ICMPv6 1/1,5,6): filtered */
	CONN_ICMPERR_HOST,   /* net or host unreachable (ICMP 3/0,1,6,7,11,12; ICMPv6 1/0,2,3): filtered */
	CONN_ICMPERR_OTHER,  /* time exceeded, parameter problem, fragmentation needed, ... */
};

/* What conn_classify needs about one finished flow; plain data, filled by the caller from the flow.
 * Index 0 is client -> server (MP_DIR_C2S), 1 is server -> client. */
struct conn_evidence {
	uint8_t ip_proto;        /* 6, 17, 1, 58, other */
	uint8_t first_dir;       /* CONN_DIR_* of the flow's first packet */
	uint8_t first_tcp_flags; /* TCP flags of the flow's first packet */
	uint8_t tcp_flags[2];    /* OR of the TCP flags per direction */
	uint8_t icmp_seen[2];    /* CONN_ICMP_* bits per direction (ICMP flows) */
	uint8_t icmp_error; /* enum conn_icmp_err: an ICMP error from the server side quoting this flow */
	uint64_t pkts[2];
	uint64_t payload_bytes[2]; /* L4 payload bytes per direction */
};

/* What conn_classify concludes. */
struct conn_result {
	enum conn_state state;
	enum conn_probe probe;
	enum conn_answer answer;
	enum conn_outcome outcome;
	bool client_data; /* the client sent application payload */
	bool server_data; /* the server sent application payload */
};

/* Labels one finished flow. Pure function of *ev; never fails. */
void conn_classify(const struct conn_evidence *ev, struct conn_result *out);

/* Fills *ev from the fields struct mp_flow has (transport, packet and payload counts, TCP flags) and
 * derives first_dir from the flow's side basis (CONN_DIR_UNKNOWN when the sides came from the port
 * heuristic). Sets icmp_seen and icmp_error to zero: the caller copies them from the flow. */
void conn_evidence_from_flow(const struct mp_flow *f, struct conn_evidence *ev);

/* Returns the CONN_ICMP_* bit of an ICMP (ip_proto 1) or ICMPv6 (58) message type; 0 for other transports. */
uint8_t conn_icmp_bit(uint8_t ip_proto, uint8_t type);

/* Returns the enum conn_icmp_err class of an ICMP/ICMPv6 message (CONN_ICMPERR_NONE when it is not an
 * error). */
uint8_t conn_icmp_error_kind(uint8_t ip_proto, uint8_t type, uint8_t code);

/* Stable names: "S0".."OTH"; "syn", "connect", "null", "fin", "xmas", "ack", "maimon", "udp",
 * "icmp-echo", "icmp-timestamp", "none"; "none", "open", "closed", "unfiltered", "filtered", "unknown";
 * "unknown", "success", "failure". Out-of-range values give "?". */
const char *conn_state_name(enum conn_state s);
const char *conn_probe_name(enum conn_probe p);
const char *conn_answer_name(enum conn_answer a);
const char *conn_outcome_name(enum conn_outcome o);

/* Returns the human name of a probe kind for alert text: "SYN scan", "connect scan", "NULL scan",
 * "FIN scan", "Xmas scan", "ACK scan", "Maimon scan", "UDP scan", "ICMP echo", "ICMP timestamp". */
const char *conn_probe_title(enum conn_probe p);

#endif
