/* fuzz_decode.c: libFuzzer target for the L2-L4 decoder and its address shortcut (decode_hosts): byte 0
 * picks the link type, the rest is one frame. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "misport/config.h"
#include "misport/decode.h"

/* Every link type misport decodes, and two it does not (they must be refused, not decoded). */
static const int dlts[] = {
    MP_DLT_EN10MB,       MP_DLT_LINUX_SLL,  MP_DLT_LINUX_SLL2, MP_DLT_RAW,       MP_DLT_RAW_OPENBSD,
    MP_DLT_LINKTYPE_RAW, MP_DLT_IPV4,       MP_DLT_IPV6,       MP_DLT_NULL,      MP_DLT_LOOP,
    MP_DLT_PPP,          MP_DLT_PPP_SERIAL, MP_DLT_C_HDLC,     105 /* 802.11 */, 127 /* radiotap */,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int in_frame(const uint8_t *frame, uint32_t caplen, const uint8_t *p, uint32_t n)
{
	if (n == 0)
		return 1;
	return p >= frame && p <= frame + caplen && n <= (uint32_t)(frame + caplen - p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_packet p;
	enum mp_decode_result r;
	uint8_t *frame;
	uint32_t caplen;
	int dlt;

	if (size < 1 || size > 262145)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	caplen = (uint32_t)(size - 1);
	/* An exact-size copy: any read past caplen lands in ASan's redzone. */
	frame = malloc(caplen != 0 ? caplen : 1);
	if (frame == NULL)
		return 0;
	if (caplen != 0)
		memcpy(frame, data + 1, caplen);
	memset(&p, 0xa5, sizeof(p));
	r = decode_packet(dlt, frame, caplen, caplen + (data[0] >> 4), &p);
	FUZZ_CHECK((unsigned)r < MP_DEC_RESULT_COUNT, "result %d", (int)r);
	FUZZ_CHECK(decode_result_name(r) != NULL, "no name for %d", (int)r);
	if (!decode_link_supported(dlt))
		FUZZ_CHECK(r != MP_DEC_OK, "unsupported link type %d decoded", dlt);
	if (r == MP_DEC_OK) {
		FUZZ_CHECK(p.family == 4 || p.family == 6, "family %u", p.family);
		FUZZ_CHECK(in_frame(frame, caplen, p.l3, p.l3_len), "l3 outside the frame");
		FUZZ_CHECK(p.l3_len >= (p.family == 4 ? 20u : 40u), "l3_len %u", p.l3_len);
		FUZZ_CHECK(in_frame(frame, caplen, p.payload, p.payload_len), "payload outside the frame");
		FUZZ_CHECK(p.payload_len <= p.payload_wire_len, "payload %u > wire %u", p.payload_len,
			   p.payload_wire_len);
		FUZZ_CHECK(p.payload_len == 0 ||
			       (p.payload >= p.l3 && p.payload + p.payload_len <= p.l3 + p.l3_len),
			   "payload outside l3");
		FUZZ_CHECK(p.tunnel_depth <= MP_DECODE_MAX_TUNNEL_DEPTH, "tunnel depth %u", p.tunnel_depth);
		FUZZ_CHECK((p.tunnel_depth == 0) == (p.tunnels == 0), "depth %u with kinds 0x%x",
			   p.tunnel_depth, p.tunnels);
		FUZZ_CHECK((p.tunnels & ~MP_TUN_ALL) == 0, "tunnel kinds 0x%x", p.tunnels);
		FUZZ_CHECK(p.tunnel_depth == 0 || (p.outer_off < caplen && frame + p.outer_off < p.l3),
			   "outer header at %u, inner at %td", p.outer_off, p.l3 - frame);
		if (p.ip_proto != 6 && p.ip_proto != 17)
			FUZZ_CHECK(p.sport == 0 && p.dport == 0, "ports on ip_proto %u", p.ip_proto);
		if (p.ip_proto != 6)
			FUZZ_CHECK(p.tcp_flags == 0, "tcp flags on ip_proto %u", p.ip_proto);
		/* Touch every byte the decoder points at, so ASan checks the whole range. */
		if (p.payload_len != 0) {
			volatile uint8_t x = 0;

			for (uint32_t i = 0; i < p.payload_len; i++)
				x ^= p.payload[i];
			(void)x;
		}
	}
	{
		/* decode_hosts, the reader's shortcut, gives decode_packet's addresses and VLAN id whenever
		 * decode_packet decodes the frame or skips it as a fragment. */
		uint8_t src[16], dst[16];
		uint16_t vlan;

		if (decode_hosts(dlt, frame, caplen, src, dst, &vlan) &&
		    (r == MP_DEC_OK || r == MP_DEC_SKIP_FRAGMENT)) {
			FUZZ_CHECK(memcmp(src, p.src, 16) == 0 && memcmp(dst, p.dst, 16) == 0,
				   "decode_hosts addresses differ");
			FUZZ_CHECK(vlan == p.vlan, "decode_hosts VLAN %u, decode_packet %u", vlan, p.vlan);
		}
	}
	free(frame);
	return 0;
}
