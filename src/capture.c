/* capture.c: libpcap savefile reading (pcap, pcapng) with optional BPF filters. */
#include "misport/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

struct capture {
	pcap_t *p;
	char *name;
	int dlt;
	uint64_t delivered;
};

static int apply_filter(struct capture *c, const char *bpf, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (bpf == NULL || bpf[0] == '\0')
		return 0;
	if (pcap_compile(c->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "%s: bad filter '%s': %s", c->name, bpf, pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) != 0) {
		snprintf(err, errlen, "%s: cannot set filter: %s", c->name, pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

int capture_open_file(const char *path, const char *bpf, struct capture **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->name = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (c->p == NULL) {
		/* libpcap's message usually names the file already; keep one line that surely does. */
		if (strstr(perr, path) != NULL)
			snprintf(err, errlen, "%s", perr);
		else
			snprintf(err, errlen, "%s: %s", path, perr);
		goto fail;
	}
	c->dlt = pcap_datalink(c->p);
	if (apply_filter(c, bpf, err, errlen) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	capture_close(c);
	return -1;
}

int capture_datalink(const struct capture *c)
{
	return c->dlt;
}

const char *capture_datalink_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n != NULL ? n : "unknown";
}

struct run_ctx {
	struct capture *c;
	capture_cb cb;
	void *user;
	int stopped;
};

static void on_packet(u_char *u, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct run_ctx *rc = (struct run_ctx *)u;
	struct capture_pkt pkt;

	if (rc->stopped)
		return;
	pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.data = bytes;
	rc->c->delivered++;
	if (rc->cb(rc->user, rc->c->dlt, &pkt) != 0) {
		rc->stopped = 1;
		pcap_breakloop(rc->c->p);
	}
}

int capture_run(struct capture *c, capture_cb cb, void *user, uint64_t max_packets, char *err, size_t errlen)
{
	struct run_ctx rc = {c, cb, user, 0};

	for (;;) {
		int want = 1024, n;

		if (max_packets != 0) {
			uint64_t left = max_packets > c->delivered ? max_packets - c->delivered : 0;
			if (left == 0)
				return 1;
			if (left < (uint64_t)want)
				want = (int)left;
		}
		n = pcap_dispatch(c->p, want, on_packet, (u_char *)&rc);
		if (rc.stopped || n == PCAP_ERROR_BREAK)
			return 1;
		if (n == PCAP_ERROR) {
			snprintf(err, errlen, "%s: read error after packet %llu: %s", c->name,
				 (unsigned long long)c->delivered, pcap_geterr(c->p));
			return -1;
		}
		if (n == 0)
			return 0; /* end of savefile */
	}
}

uint64_t capture_packets(const struct capture *c)
{
	return c->delivered;
}

void capture_close(struct capture *c)
{
	if (c == NULL)
		return;
	if (c->p != NULL)
		pcap_close(c->p);
	free(c->name);
	free(c);
}
