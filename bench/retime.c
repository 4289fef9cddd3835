/* retime.c: copies a pcap file, clamping every gap between consecutive packets to [0, MAX] s (bench
 * corpus). */
/*
 * usage: retime IN.pcap OUT.pcap MAX_GAP_S [START_S]
 *
 * nDPI's test captures are themselves spliced from traces years apart, and a concatenation of them
 * jumps back and forth in time. Copies of such a file cannot be laid end to end in a 32-bit pcap
 * timestamp, and idle timeouts would fire on every jump. This tool keeps every real inter-packet
 * gap up to MAX_GAP_S seconds, turns a longer gap into MAX_GAP_S and a backward step into 0, so the
 * output is one monotonic capture starting at START_S (default 1600000000). It prints the output's
 * packet count and its span in seconds.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct retime {
	pcap_dumper_t *out;
	int64_t max_gap_us;
	int64_t prev_in_us; /* input time of the previous packet */
	int64_t out_us;     /* output time of the previous packet */
	uint64_t packets;
	int first;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct retime *r = (struct retime *)user;
	int64_t in_us = (int64_t)h->ts.tv_sec * 1000000 + (int64_t)h->ts.tv_usec;
	struct pcap_pkthdr oh = *h;

	if (r->first) {
		r->first = 0;
	} else {
		int64_t gap = in_us - r->prev_in_us;

		if (gap < 0)
			gap = 0;
		if (gap > r->max_gap_us)
			gap = r->max_gap_us;
		r->out_us += gap;
	}
	r->prev_in_us = in_us;
	oh.ts.tv_sec = (time_t)(r->out_us / 1000000);
	oh.ts.tv_usec = (suseconds_t)(r->out_us % 1000000);
	pcap_dump((u_char *)r->out, &oh, bytes);
	r->packets++;
}

static int parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno != 0 || end == s || *end != '\0' || *out < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct retime r;
	double max_gap, start = 1600000000.0;
	pcap_t *in;
	int rc;

	if (argc < 4 || argc > 5 || parse_num(argv[3], &max_gap) != 0 ||
	    (argc == 5 && parse_num(argv[4], &start) != 0)) {
		fprintf(stderr, "usage: retime IN.pcap OUT.pcap MAX_GAP_S [START_S]\n");
		return 1;
	}
	in = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (in == NULL) {
		fprintf(stderr, "retime: %s\n", errbuf);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.first = 1;
	r.max_gap_us = (int64_t)(max_gap * 1e6);
	r.out_us = (int64_t)(start * 1e6);
	r.out = pcap_dump_open(in, argv[2]);
	if (r.out == NULL) {
		fprintf(stderr, "retime: %s: %s\n", argv[2], pcap_geterr(in));
		pcap_close(in);
		return 1;
	}
	rc = pcap_loop(in, -1, on_packet, (u_char *)&r);
	if (rc == PCAP_ERROR)
		fprintf(stderr, "retime: %s: %s\n", argv[1], pcap_geterr(in));
	if (pcap_dump_flush(r.out) != 0) {
		fprintf(stderr, "retime: %s: write failed\n", argv[2]);
		rc = PCAP_ERROR;
	}
	pcap_dump_close(r.out);
	pcap_close(in);
	printf("packets %" PRIu64 " span_s %.6f\n", r.packets,
	       r.packets ? (double)(r.out_us - (int64_t)(start * 1e6)) / 1e6 : 0.0);
	return rc == PCAP_ERROR ? 1 : 0;
}
