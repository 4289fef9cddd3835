/* communityid.h: Community ID flow hashing, version 1 (Corelight's community-id-spec, as Zeek and Suricata
 * write it), and the SHA-1 (FIPS 180-4) and base64 (RFC 4648) it is built from. */
#ifndef MISPORT_COMMUNITYID_H
#define MISPORT_COMMUNITYID_H

#include <stddef.h>
#include <stdint.h>

/* Characters of a version 1 Community ID ("1:" and 28 base64 characters) with its NUL. */
#define CID_STRLEN 31u

/* Writes the SHA-1 digest of data[0..len) to out. */
void cid_sha1(const void *data, size_t len, uint8_t out[20]);

/* Writes the standard base64 encoding (with '=' padding) of in[0..len) and a NUL to out, which must hold
 * 4 * ((len + 2) / 3) + 1 bytes. */
void cid_base64(const uint8_t *in, size_t len, char *out);

/* Writes the version 1 Community ID of a flow to out (CID_STRLEN bytes): seed, IP version `family` (4 or
 * 6; addresses of 4 or 16 bytes), IP protocol proto, source and destination as one of its packets has
 * them. sport and dport are the ports for TCP (6), UDP (17) and SCTP (132); for ICMP (1) and ICMPv6 (58)
 * they are the message type and code, which the function maps as the specification says (a request and
 * its reply hash alike); other protocols have none and the values are ignored. Either direction of a
 * conversation gives the same ID, except for one-way ICMP messages. */
void cid_format(uint16_t seed, uint8_t family, uint8_t proto, const uint8_t *src, const uint8_t *dst,
		uint16_t sport, uint16_t dport, char out[CID_STRLEN]);

#endif
