/* test_communityid.c: SHA-1 against FIPS 180-2's examples, base64 against RFC 4648's, and Community IDs
 * against the community-id-spec baselines (baseline_deflt.json, baseline_seed1.json). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "misport/communityid.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

Test(communityid, sha1_known_digests)
{
	static const struct {
		const char *msg;
		size_t repeat;
		const char *digest;
	} v[] = {
	    {"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
	    {"", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	    /* 56 bytes: the length no longer fits the first block's padding */
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	    {"a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
	};
	static char big[1000001];
	uint8_t d[20];
	char h[41];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *m = v[i].msg;
		size_t len = strlen(m);

		if (v[i].repeat > 1) {
			memset(big, m[0], v[i].repeat);
			m = big;
			len = v[i].repeat;
		}
		cid_sha1(m, len, d);
		hex(d, 20, h);
		cr_assert_str_eq(h, v[i].digest, "message %zu", i);
	}
}

Test(communityid, base64_rfc4648_vectors)
{
	static const char *const v[][2] = {{"", ""},
					   {"f", "Zg=="},
					   {"fo", "Zm8="},
					   {"foo", "Zm9v"},
					   {"foob", "Zm9vYg=="},
					   {"fooba", "Zm9vYmE="},
					   {"foobar", "Zm9vYmFy"}};
	char out[16];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cid_base64((const uint8_t *)v[i][0], strlen(v[i][0]), out);
		cr_assert_str_eq(out, v[i][1]);
	}
}

struct vec {
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport; /* ICMP: type and code as on the wire */
	const char *seed0, *seed1;
};

/* The baselines' flows. Their ICMP rows list the mapped port equivalents; the wire's type and code are
 * given here (an echo reply is type 0 code 0, a neighbour advertisement 136 code 0). */
static const struct vec vecs[] = {
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0,
     "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
    {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
    {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
     "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="},
    {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
    {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
    {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0,
     "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="},
    {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0,
     "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="},
    {1, "192.168.0.89", "192.168.0.1", 8, 0,
     "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
    {1, "192.168.0.1", "192.168.0.89", 0, 0,
     "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
    {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20="},
    {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
    {132, "192.168.170.56", "192.168.170.8", 7, 7,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
    {6, "128.232.110.120", "66.35.250.204", 34855, 80,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
    {6, "66.35.250.204", "128.232.110.120", 80, 34855,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
    {17, "192.168.1.52", "8.8.8.8", 54585, 53,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
    /* RSVP (46): no ports; whatever is passed is ignored */
    {46, "10.1.12.1", "10.1.12.2", 1234, 5678,
     "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI="},
    {46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI="},
};

static uint8_t addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1)
		return 4;
	cr_assert_eq(inet_pton(AF_INET6, s, out), 1, "%s", s);
	return 6;
}

Test(communityid, spec_baselines_with_seeds_0_and_1)
{
	char id[CID_STRLEN];

	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		uint8_t s[16], d[16], fam = addr(vecs[i].src, s);

		cr_assert_eq(addr(vecs[i].dst, d), fam);
		cid_format(0, fam, vecs[i].proto, s, d, vecs[i].sport, vecs[i].dport, id);
		cr_assert_str_eq(id, vecs[i].seed0, "row %zu, seed 0", i);
		cid_format(1, fam, vecs[i].proto, s, d, vecs[i].sport, vecs[i].dport, id);
		cr_assert_str_eq(id, vecs[i].seed1, "row %zu, seed 1", i);
	}
}
