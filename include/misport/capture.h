/* capture.h: packet sources through libpcap (savefiles in pcap/pcapng, later live interfaces);
 * the only module that includes <pcap.h>. */
#ifndef MISPORT_CAPTURE_H
#define MISPORT_CAPTURE_H

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

/* Opens a savefile (pcap or pcapng; "-" is stdin) and applies bpf when not NULL. Returns 0, or -1
 * with err filled (naming the file). The caller owns *out and closes it with capture_close. */
int capture_open_file(const char *path, const char *bpf, struct capture **out, char *err, size_t errlen);

/* Returns the link type (DLT) of the source, and its libpcap name and description. */
int capture_datalink(const struct capture *c);
const char *capture_datalink_name(int dlt);

/* Reads packets until the end of the source, max_packets (0: no limit) or a non-zero return of cb.
 * Returns 0 at a clean end, 1 when stopped by cb or the limit, -1 on a read error (a truncated or
 * corrupt file) with err filled saying after which packet it stopped. */
int capture_run(struct capture *c, capture_cb cb, void *user, uint64_t max_packets, char *err, size_t errlen);

/* Number of packets delivered so far by this source. */
uint64_t capture_packets(const struct capture *c);

/* Closes the source. NULL is allowed. */
void capture_close(struct capture *c);

#endif
