/* capture.h: packet sources through libpcap (savefiles in pcap/pcapng, later live interfaces);
 * the only module that includes <pcap.h>. */
#ifndef MISPORT_CAPTURE_H
#define MISPORT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;

/* One packet as read; data is valid only during the callback. */
struct capture_pkt {
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	const uint8_t *data;
};

/* Called for every packet; returning non-zero stops the read loop (capture_run returns 1). */
typedef int (*capture_cb)(void *user, int dlt, const struct capture_pkt *pkt);

/* Checks that bpf is a filter expression libpcap compiles for at least one link type below
 * MP_CAPTURE_DLT_SCAN for which link_ok is true (the caller's decodable types), so that a mistyped
 * filter is refused before any input is opened; a filter for some link types only ("ether host ...")
 * is accepted here and refused later by the inputs of other types. Returns 0, or -1 with err filled
 * with libpcap's message for Ethernet when Ethernet is one of them, else for the first type tried. */
int capture_check_filter(const char *bpf, bool (*link_ok)(int dlt), char *err, size_t errlen);

/* Opens a savefile (pcap or pcapng; "-" is stdin) and applies bpf when not NULL. Returns 0, or -1
 * with err filled (naming the file). The caller owns *out and closes it with capture_close. */
int capture_open_file(const char *path, const char *bpf, struct capture **out, char *err, size_t errlen);

/* Live capture settings (tcpdump's -s -B -p --immediate-mode). */
struct capture_live_opts {
	int snaplen;    /* bytes per packet; 0: MP_CAPTURE_SNAPLEN */
	int buffer_kib; /* kernel buffer in KiB; 0: MP_CAPTURE_BUFFER_KIB */
	int promisc;    /* 1 promiscuous (default), 0 not */
	int immediate;  /* 1 deliver each packet at once, 0 (default) let the kernel batch them */
	int timeout_ms; /* block timeout when not immediate; 0: MP_CAPTURE_BLOCK_TIMEOUT_MS */
};

/* Opens interface iface for live capture, applies bpf, and makes the handle non-blocking so
 * capture_poll() can multiplex several interfaces. Returns 0, or -1 with err naming the interface
 * and the cause (no such device, permission denied, interface down). The caller owns *out. */
int capture_open_live(const char *iface, const struct capture_live_opts *o, const char *bpf,
		      struct capture **out, char *err, size_t errlen);

/* Makes live source c one socket of a Linux packet fanout group (packet(7), PACKET_FANOUT_CBPF) whose
 * program deals each frame to a socket by a seeded hash of its two IP addresses, the same in both
 * directions: every packet between two hosts goes to one socket of the group. With *group < 0 a new
 * group is made (the kernel picks an unused id) and *group set to its id; otherwise the group *group
 * is joined. Every socket of a group must capture the same interface. Returns 0, or -1 with err filled
 * (a kernel without PACKET_FANOUT_CBPF, Linux before 4.4, or a source that is not a live socket). */
int capture_fanout_join(struct capture *c, int *group, uint32_t seed, char *err, size_t errlen);

/* One instruction of a classic BPF program, laid out as Linux's struct sock_filter. */
struct capture_bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* Writes the program capture_fanout_join gives a new group (for seed) into prog, which has room for max
 * instructions. Returns the number written, or 0 when max is too small. Tests run it against
 * fanout_hash (fanout.h), which the workers compute in turn. */
size_t capture_fanout_program(struct capture_bpf_insn *prog, size_t max, uint32_t seed);

/* Skips the packets of live source c stamped before start_us: a socket receives every frame until it
 * joins its fanout group, so the frames before the whole group is up would otherwise reach several
 * sockets. */
void capture_set_start(struct capture *c, uint64_t start_us);

/* Returns the descriptor to poll for readability, or -1 when the source cannot be polled. */
int capture_fd(const struct capture *c);

/* Reads whatever packets are ready on a live source without blocking (at most max per call).
 * Returns the number delivered (0 when none were ready), or -1 on an error with err filled (e.g.
 * the interface went down). */
int capture_read_ready(struct capture *c, capture_cb cb, void *user, int max, char *err, size_t errlen);

/* Kernel counters of a live source widened to 64 bits across the 32-bit wraparound of
 * pcap_stats(). Returns 0, or -1 when the source has none (savefiles). */
struct capture_counters {
	uint64_t received, dropped, ifdropped;
};
int capture_counters(struct capture *c, struct capture_counters *out);

/* Returns the source's name (file path or interface). */
const char *capture_name(const struct capture *c);

/* Returns the link type (DLT) of the source, and its libpcap name and description. */
int capture_datalink(const struct capture *c);
const char *capture_datalink_name(int dlt);

/* Reads packets until the end of the source, max_packets (0: no limit) or a non-zero return of cb.
 * Returns 0 at a clean end, 1 when stopped by cb or the limit, -1 on a read error (a truncated or
 * corrupt file) with err filled saying after which packet it stopped. */
int capture_run(struct capture *c, capture_cb cb, void *user, uint64_t max_packets, char *err, size_t errlen);

/* For savefiles: bytes read so far and the file's size (0 when unknown, e.g. a pipe). Returns 0, or -1
 * for live sources. */
int capture_progress(const struct capture *c, uint64_t *done, uint64_t *total);

/* Returns how the source is read: "direct" for a classic pcap file whose records misport reads itself
 * (version 2.4, either byte order, micro- or nanosecond times, a link type libpcap delivers unchanged),
 * "libpcap" for everything else (pcapng, other pcap versions and link types, stdin, interfaces). */
const char *capture_reader_name(const struct capture *c);

/* Number of packets delivered so far by this source. */
uint64_t capture_packets(const struct capture *c);

struct capture_writer;

/* Creates (truncating) a pcap file at path for frames of link type dlt, or appends to an existing
 * one when append is non-zero and the file exists with the same link type. Returns 0, or -1 with
 * err filled. The caller owns *out (capture_writer_close). */
int capture_writer_open(const char *path, int dlt, int append, struct capture_writer **out, char *err,
			size_t errlen);

/* Writes one frame as captured. Returns 0, or -1 on a write error. */
int capture_writer_write(struct capture_writer *w, const struct capture_pkt *pkt);

/* Returns the writer's link type. */
int capture_writer_dlt(const struct capture_writer *w);

/* Flushes and closes the file. NULL is allowed. Returns 0, or -1 when the flush failed. */
int capture_writer_close(struct capture_writer *w);

/* Closes the source. NULL is allowed. */
void capture_close(struct capture *c);

#endif
