/* rawread.c: bare libpcap read loop, the benchmark's floor: counts packets and bytes of pcap files. */
/*
 * usage: rawread FILE [FILE ...]
 * Prints "packets N caplen_bytes B wire_bytes W" for all files together; exit 1 if one could not be read.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

struct counts {
	uint64_t packets;
	uint64_t caplen_bytes;
	uint64_t wire_bytes;
	unsigned sum; /* touches the packet so the read is not only a header walk */
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct counts *c = (struct counts *)user;

	c->packets++;
	c->caplen_bytes += h->caplen;
	c->wire_bytes += h->len;
	if (h->caplen > 0)
		c->sum += bytes[0];
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct counts c = {0, 0, 0, 0};
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: rawread FILE [FILE ...]\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		pcap_t *p = pcap_open_offline(argv[i], errbuf);

		if (p == NULL) {
			fprintf(stderr, "rawread: %s\n", errbuf);
			status = 1;
			continue;
		}
		if (pcap_loop(p, -1, on_packet, (u_char *)&c) == PCAP_ERROR) {
			fprintf(stderr, "rawread: %s: %s\n", argv[i], pcap_geterr(p));
			status = 1;
		}
		pcap_close(p);
	}
	printf("packets %" PRIu64 " caplen_bytes %" PRIu64 " wire_bytes %" PRIu64 " check %u\n", c.packets,
	       c.caplen_bytes, c.wire_bytes, c.sum);
	return status;
}
