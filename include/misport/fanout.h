/* fanout.h: the host-pair hash that deals live packets to worker threads with kernel fanout (packet(7),
 * PACKET_FANOUT_CBPF). capture.c's classic BPF program computes the same value in the kernel; a worker
 * computes it again from its decoding and hands a packet the kernel dealt otherwise (one whose hosts are
 * inside a tunnel) to the worker that owns it. */
#ifndef MISPORT_FANOUT_H
#define MISPORT_FANOUT_H

#include <stdint.h>

/* MurmurHash3's 32-bit finalizer. */
static inline uint32_t fanout_fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* An address as decode.h stores it (IPv4 in the first four bytes, the rest zero) folded to one word: the
 * XOR of its four big-endian 32-bit words (an IPv4 address is its own fold). */
static inline uint32_t fanout_fold(const uint8_t a[16])
{
	uint32_t h = 0;

	for (int i = 0; i < 16; i += 4)
		h ^= (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 | (uint32_t)a[i + 2] << 8 | a[i + 3];
	return h;
}

/* The hash of a host pair: the same in both directions, as it mixes the sum of each address's mixed
 * fold. Not the XOR of the two folds, which a rewrite flipping the same bits of both addresses leaves
 * unchanged; and the sum mixed again, because for a host talking to itself it is even. */
static inline uint32_t fanout_hash(uint32_t fold_a, uint32_t fold_b, uint32_t seed)
{
	return fanout_fmix32(fanout_fmix32(fold_a ^ seed) + fanout_fmix32(fold_b ^ seed));
}

/* The 32-bit seed of the hash from misport's 64-bit one. */
static inline uint32_t fanout_seed32(uint64_t seed)
{
	return (uint32_t)(seed ^ (seed >> 32));
}

#endif
