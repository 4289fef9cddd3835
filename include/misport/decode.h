/* decode.h: bounds-checked L2-L4 decoder (Ethernet/802.1Q/QinQ/LLC-SNAP, Linux SLL/SLL2, raw IP, BSD null,
 * PPP RFC 1661/1662, Cisco HDLC; IPv4 RFC 791, IPv6 RFC 8200, TCP RFC 9293, UDP RFC 768, ICMP RFC 792,
 * ICMPv6 RFC 4443; tunnels: IP in IP RFC 2003/4213, GRE RFC 2784/2890, ERSPAN types I-III
 * draft-foschiano-erspan, VXLAN RFC 7348, Geneve RFC 8926, GTP-U 3GPP TS 29.281, Teredo RFC 4380). */
#ifndef MISPORT_DECODE_H
#define MISPORT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types misport decodes (libpcap DLT/LINKTYPE values). */
#define MP_DLT_NULL         0
#define MP_DLT_EN10MB       1
#define MP_DLT_PPP          9  /* PPP, with or without RFC 1662 HDLC-like framing */
#define MP_DLT_RAW          12 /* DLT_RAW on most platforms */
#define MP_DLT_RAW_OPENBSD  14
#define MP_DLT_PPP_SERIAL   50 /* PPP in HDLC-like framing, or Cisco PPP with HDLC framing */
#define MP_DLT_LOOP         108
#define MP_DLT_LINKTYPE_RAW 101
#define MP_DLT_C_HDLC       104 /* Cisco HDLC */
#define MP_DLT_LINUX_SLL    113
#define MP_DLT_IPV4         228
#define MP_DLT_IPV6         229
#define MP_DLT_LINUX_SLL2   276

/* Outcome of decoding one packet. MP_DEC_OK and the MP_DEC_SKIP_* kinds are not malformed:
 * they are valid packets misport does not analyse. Every MP_DEC_BAD_* kind is a malformed packet
 * and is named after the Suricata decoder event it corresponds to (stats.decoder.event.*). */
enum mp_decode_result {
	MP_DEC_OK = 0,
	MP_DEC_SKIP_NON_IP,      /* ARP, LLDP, STP, other ethertypes */
	MP_DEC_SKIP_FRAGMENT,    /* IPv4/IPv6 fragment other than the first */
	MP_DEC_SKIP_NO_L4,       /* IPv6 "no next header" */
	MP_DEC_BAD_ETHERNET,     /* ethernet.pkt_too_small */
	MP_DEC_BAD_SLL,          /* sll.pkt_too_small */
	MP_DEC_BAD_SLL2,         /* sll2.pkt_too_small */
	MP_DEC_BAD_NULL,         /* ltnull.pkt_too_small */
	MP_DEC_BAD_VLAN,         /* vlan.header_too_small */
	MP_DEC_BAD_VLAN_LAYERS,  /* vlan.too_many_layers */
	MP_DEC_BAD_MPLS,         /* mpls.header_too_small */
	MP_DEC_BAD_PPPOE,        /* pppoe.pkt_too_small */
	MP_DEC_BAD_RAW_VERSION,  /* ipraw.invalid_ip_version */
	MP_DEC_BAD_IPV4_SMALL,   /* ipv4.pkt_too_small: fewer than 20 bytes */
	MP_DEC_BAD_IPV4_VERSION, /* ipv4.wrong_ip_version */
	MP_DEC_BAD_IPV4_HLEN,    /* ipv4.hlen_too_small: IHL < 5 */
	MP_DEC_BAD_IPV4_TRUNC,   /* ipv4.trunc_pkt: header longer than the captured bytes */
	MP_DEC_BAD_IPV4_IPLEN,   /* ipv4.iplen_smaller_than_hlen */
	MP_DEC_BAD_IPV6_SMALL,   /* ipv6.pkt_too_small: fewer than 40 bytes */
	MP_DEC_BAD_IPV6_VERSION, /* ipv6.wrong_ip_version */
	MP_DEC_BAD_IPV6_EXTHDR,  /* ipv6.trunc_exthdr: extension chain truncated or too long */
	MP_DEC_BAD_TCP_SMALL,    /* tcp.pkt_too_small */
	MP_DEC_BAD_TCP_HLEN,     /* tcp.hlen_too_small: data offset < 5 or beyond the data */
	MP_DEC_BAD_UDP_SMALL,    /* udp.pkt_too_small */
	MP_DEC_BAD_UDP_LEN,      /* udp.len_invalid: length field below 8 */
	MP_DEC_BAD_ICMPV4_SMALL, /* icmpv4.pkt_too_small */
	MP_DEC_BAD_ICMPV6_SMALL, /* icmpv6.pkt_too_small */
	MP_DEC_BAD_PPP,          /* ppp.pkt_too_small */
	MP_DEC_BAD_CHDLC,        /* chdlc.pkt_too_small */
	MP_DEC_BAD_GRE_SMALL,    /* gre.pkt_too_small */
	MP_DEC_BAD_GRE_VERSION,  /* gre.wrong_version: a version other than 0 (RFC 2784) or 1 (RFC 2637) */
	MP_DEC_BAD_GRE_HDR,      /* gre.version0_hdr_too_big: optional fields beyond the packet */
	MP_DEC_BAD_ERSPAN_SMALL, /* erspan.header_too_small */
	MP_DEC_BAD_ERSPAN_VER,   /* erspan.unsupported_version */
	MP_DEC_RESULT_COUNT
};

/* Kinds of tunnel layer the decoder unwraps: bits of mp_packet.tunnels and of decode_set_tunnels's mask. */
enum mp_tunnel {
	MP_TUN_IPV4_IN_IPV4 = 0, /* RFC 2003 */
	MP_TUN_IPV6_IN_IPV4,     /* RFC 4213 (6in4) */
	MP_TUN_IPV4_IN_IPV6,     /* RFC 2473 */
	MP_TUN_IPV6_IN_IPV6,     /* RFC 2473 */
	MP_TUN_GRE,              /* IP or Ethernet in GRE, IP protocol 47 (RFC 2784, 2890; 0x6558 bridging) */
	MP_TUN_ERSPAN, /* Ethernet in GRE with an ERSPAN type I, II or III header (0x88be, 0x22eb) */
	MP_TUN_VXLAN,  /* Ethernet in UDP to port 4789 (RFC 7348) */
	MP_TUN_GENEVE, /* Ethernet or IP in UDP to port 6081 (RFC 8926) */
	MP_TUN_GTPU,   /* IP in GTPv1-U T-PDUs, UDP port 2152 (3GPP TS 29.281) */
	MP_TUN_TEREDO, /* IPv6 in UDP, port 3544 (RFC 4380) */
	MP_TUN_COUNT
};

/* decode_set_tunnels mask bits: all kinds, and the four IP-in-IP kinds. */
#define MP_TUN_ALL ((1u << MP_TUN_COUNT) - 1u)
#define MP_TUN_IPIP                                                                                          \
	((1u << MP_TUN_IPV4_IN_IPV4) | (1u << MP_TUN_IPV6_IN_IPV4) | (1u << MP_TUN_IPV4_IN_IPV6) |           \
	 (1u << MP_TUN_IPV6_IN_IPV6))

/* TCP flag bits as on the wire. */
#define MP_TH_FIN 0x01
#define MP_TH_SYN 0x02
#define MP_TH_RST 0x04
#define MP_TH_PSH 0x08
#define MP_TH_ACK 0x10
#define MP_TH_URG 0x20
#define MP_TH_ECE 0x40
#define MP_TH_CWR 0x80

/* The 5-tuple of a packet quoted inside an ICMP error (the probe it answers). */
struct mp_quoted {
	bool valid;
	uint8_t ip_proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

/* A decoded packet. Pointers point into the caller's packet buffer and are valid only as long
 * as it is. Addresses are 16 bytes; IPv4 uses the first 4 and zeroes the rest. For a packet carried
 * in tunnels (enum mp_tunnel, up to MP_DECODE_MAX_TUNNEL_DEPTH layers) every field describes the
 * innermost IP packet, except vlan: the first tag of the innermost Ethernet frame that has one (an
 * ERSPAN header's VLAN counts as a tag of the frame it carries), else 0. tunnel_depth says how many
 * layers were unwrapped, tunnels which kinds, outer_off where the outermost IP header starts. */
struct mp_packet {
	uint64_t ts_us;   /* capture timestamp, microseconds since the epoch */
	uint32_t caplen;  /* bytes captured */
	uint32_t wirelen; /* bytes on the wire */
	uint16_t vlan;    /* outermost VLAN id, 0 when untagged */
	uint8_t family;   /* 4 or 6 */
	uint8_t ip_proto; /* 6, 17, 1 or 58 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* TCP and UDP ports; 0 for ICMP and other transports */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	const uint8_t *l3; /* start of the IP header */
	uint32_t l3_len;   /* IP bytes available: min(captured, IP total length) */
	const uint8_t *payload;
	uint32_t payload_len;      /* L4 payload bytes available (captured and within IP length) */
	uint32_t payload_wire_len; /* L4 payload length the headers claim (>= payload_len) */
	uint8_t icmp_type, icmp_code;
	struct mp_quoted quoted; /* for ICMP/ICMPv6 errors */
	uint8_t tunnel_depth; /* tunnel layers unwrapped before the IP header in l3; 0 when not tunnelled */
	uint16_t tunnels;     /* bit (1 << enum mp_tunnel) for each kind of layer unwrapped */
	uint32_t outer_off;   /* tunnelled: offset of the outermost IP header from the frame's first byte */
};

/* The outer end of a tunnelled packet: its outermost IP header, which EVE records report as "tunnel". */
struct mp_tunnel_info {
	uint8_t family;   /* 4 or 6; 0 when the packet was not tunnelled */
	uint8_t ip_proto; /* outer transport: 17 (VXLAN, Geneve, GTP-U, Teredo), 47 (GRE), 4 or 41 */
	uint8_t depth;    /* tunnel layers unwrapped (mp_packet.tunnel_depth) */
	uint16_t kinds;   /* mp_packet.tunnels */
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* outer UDP ports, 0 for other transports */
};

/* Fills *t from the outermost IP header of p, a packet decode_packet decoded from frame[0..caplen) with
 * tunnel_depth > 0. Returns false, with t->family 0, for a packet that was not tunnelled. */
bool decode_tunnel_info(const uint8_t *frame, uint32_t caplen, const struct mp_packet *p,
			struct mp_tunnel_info *t);

/* Decodes one captured frame of link type dlt. Returns MP_DEC_OK with *out filled, or another
 * enum mp_decode_result saying why the packet is skipped. Never reads outside data[0..caplen). */
enum mp_decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
				    struct mp_packet *out);

/* Sets the kinds of tunnel decode_packet unwraps (a mask of 1 << enum mp_tunnel; MP_TUN_ALL at start).
 * A kind left out is analysed as a flow of its outer protocol (GRE, UDP to 4789 ...). Not thread-safe:
 * call it before any thread decodes. */
void decode_set_tunnels(unsigned mask);

/* Parses a comma-separated list of tunnel kinds ("gre,vxlan"; names: ipip gre erspan vxlan geneve gtpu
 * teredo, or all, none) into a decode_set_tunnels mask. Returns 0, or -1 naming the bad word in err. */
int decode_parse_tunnels(const char *list, unsigned *mask, char *err, size_t errlen);

/* Returns the stable name of a tunnel kind: "ipv4_in_ipv4", "gre", "vxlan" ... (Suricata's stats keys). */
const char *decode_tunnel_name(enum mp_tunnel t);

/* Finds the two host addresses (16 bytes each, as in struct mp_packet) and the VLAN id of a frame of link
 * type dlt without decoding it, when that is cheap to tell: Ethernet, VLAN tags, then an IPv4 or IPv6
 * header that carries neither an IPv6 extension header nor a tunnel decode_packet would unwrap (IP in
 * IP, GRE, UDP to a tunnel port). Returns false for any other frame. When it returns true and decode_packet
 * returns MP_DEC_OK or MP_DEC_SKIP_FRAGMENT for the same bytes, both give the same addresses and VLAN id; for
 * a frame decode_packet finds malformed they mean nothing. Never reads outside data[0..caplen). The reader of
 * --workers shards frames with it. */
bool decode_hosts(int dlt, const uint8_t *data, uint32_t caplen, uint8_t src[16], uint8_t dst[16],
		  uint16_t *vlan);

/* Returns true when decode_packet supports link type dlt. */
bool decode_link_supported(int dlt);

/* Returns the stable name of a decode result: the Suricata decoder event ("tcp.pkt_too_small")
 * for malformed kinds, "non_ip", "ip_fragment", "no_l4" or "ok" otherwise. */
const char *decode_result_name(enum mp_decode_result r);

/* Returns true when r counts as a malformed packet. */
bool decode_result_malformed(enum mp_decode_result r);

#endif
