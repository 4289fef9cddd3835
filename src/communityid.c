/* communityid.c: Community ID v1 flow hashes (Corelight community-id-spec, 2019), over SHA-1 (FIPS 180-4)
 * and base64 (RFC 4648 section 4). */
#include "misport/communityid.h"

#include <stdbool.h>
#include <string.h>

static uint32_t rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32u - n));
}

/* One 64-byte block into the state h (FIPS 180-4 section 6.1.2). */
static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999u;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1u;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdcu;
		else
			f = b ^ c ^ d, k = 0xca62c1d6u;
		t = rol32(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol32(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void cid_sha1(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u};
	const uint8_t *p = data;
	uint8_t last[128];
	size_t rest = len % 64, n;
	uint64_t bits = (uint64_t)len * 8u;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha1_block(h, p + i);
	/* Padding: 0x80, zeros, the message length in bits (big-endian), to a multiple of 64 bytes. */
	memset(last, 0, sizeof(last));
	if (rest != 0)
		memcpy(last, p + (len - rest), rest);
	last[rest] = 0x80;
	n = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		last[n - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, last);
	if (n == 128)
		sha1_block(h, last + 64);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

void cid_base64(const uint8_t *in, size_t len, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The counterpart of an ICMP (v4) or ICMPv6 request or reply type, as the specification maps them (after
 * Zeek's ICMP analyzer); -1 for a one-way message. */
static int icmp_counterpart(uint8_t proto, uint8_t type)
{
	static const uint8_t v4[][2] = {{8, 0},   {0, 8},  {13, 14}, {14, 13}, {15, 16},
					{16, 15}, {10, 9}, {17, 18}, {18, 17}};
	static const uint8_t v6[][2] = {{128, 129}, {129, 128}, {133, 134}, {134, 133},
					{135, 136}, {136, 135}, {130, 131}, {131, 130},
					{139, 140}, {140, 139}, {144, 145}, {145, 144}};
	const uint8_t(*t)[2] = proto == 1 ? v4 : v6;
	size_t n = proto == 1 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++)
		if (t[i][0] == type)
			return t[i][1];
	return -1;
}

void cid_format(uint16_t seed, uint8_t family, uint8_t proto, const uint8_t *src, const uint8_t *dst,
		uint16_t sport, uint16_t dport, char out[CID_STRLEN])
{
	/* seed (2), two addresses (2 x 16 at most), protocol, a zero byte, two ports (2 x 2): 40 bytes at
	 * most */
	uint8_t buf[2 + 32 + 2 + 4], digest[20];
	size_t alen = family == 6 ? 16 : 4, n = 0;
	bool ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
	bool one_way = false;
	const uint8_t *a = src, *b = dst;
	uint16_t pa = sport, pb = dport;
	int cmp;

	if (proto == 1 || proto == 58) {
		int peer = icmp_counterpart(proto, (uint8_t)sport);

		if (peer < 0)
			one_way = true; /* type and code as they are */
		else
			pb = (uint16_t)peer;
	}
	if (!ports)
		pa = pb = 0;
	/* The smaller endpoint first: address, then port (not for one-way ICMP messages). */
	cmp = memcmp(a, b, alen);
	if (!one_way && (cmp > 0 || (cmp == 0 && pa > pb))) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b, b = t;
		pa = pb, pb = tp;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		buf[n++] = (uint8_t)(pa >> 8);
		buf[n++] = (uint8_t)pa;
		buf[n++] = (uint8_t)(pb >> 8);
		buf[n++] = (uint8_t)pb;
	}
	cid_sha1(buf, n, digest);
	out[0] = '1';
	out[1] = ':';
	cid_base64(digest, sizeof(digest), out + 2);
}
