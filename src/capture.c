/* capture.c: libpcap savefile reading (pcap, pcapng) with optional BPF filters. */
#include "misport/capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "misport/config.h"

struct capture {
	pcap_t *p;
	char *name;
	char *iobuf; /* stdio buffer of the file libpcap reads (owned; freed after pcap_close) */
	int dlt;
	int live;
	uint64_t delivered;
	/* last raw pcap_stats() values and the 64-bit totals they were widened into */
	uint32_t last_recv, last_drop, last_ifdrop;
	struct capture_counters total;
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
	if (strcmp(path, "-") == 0) {
		c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	} else {
		/* Opened here rather than by libpcap to give the stream a large buffer. */
		FILE *fp = fopen(path, "rb");

		if (fp == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		c->iobuf = malloc(MP_CAPTURE_FILE_BUFFER);
		if (c->iobuf != NULL && setvbuf(fp, c->iobuf, _IOFBF, MP_CAPTURE_FILE_BUFFER) != 0) {
			free(c->iobuf);
			c->iobuf = NULL;
		}
		/* Only the reader thread uses the stream: with worker threads running, glibc would otherwise
		 * lock it in each of libpcap's two freads per packet. */
		__fsetlocking(fp, FSETLOCKING_BYCALLER);
		c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, perr);
		if (c->p == NULL)
			fclose(fp); /* libpcap closes the stream only once it has accepted it */
	}
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

int capture_open_live(const char *iface, const struct capture_live_opts *o, const char *bpf, struct capture **out,
		      char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->name = strdup(iface)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", iface);
		goto fail;
	}
	c->live = 1;
	c->p = pcap_create(iface, perr);
	if (c->p == NULL) {
		snprintf(err, errlen, "%s: %s", iface, perr);
		goto fail;
	}
	(void)pcap_set_snaplen(c->p, o->snaplen > 0 ? o->snaplen : MP_CAPTURE_SNAPLEN);
	(void)pcap_set_promisc(c->p, o->promisc);
	(void)pcap_set_timeout(c->p, o->timeout_ms > 0 ? o->timeout_ms : 100);
	if (o->immediate)
		(void)pcap_set_immediate_mode(c->p, 1);
	(void)pcap_set_buffer_size(c->p, (o->buffer_kib > 0 ? o->buffer_kib : (int)MP_CAPTURE_BUFFER_KIB) * 1024);
	(void)pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_MICRO);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why;

		switch (rc) {
		case PCAP_ERROR_NO_SUCH_DEVICE:
			why = "no such device";
			break;
		case PCAP_ERROR_PERM_DENIED:
			why = "permission denied (run as root or grant CAP_NET_RAW, see misport(8))";
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			why = "interface is down";
			break;
		case PCAP_ERROR_PROMISC_PERM_DENIED:
			why = "permission denied for promiscuous mode (try -p)";
			break;
		default:
			why = "cannot capture";
			break;
		}
		snprintf(err, errlen, "%s: %s: %s", iface, why, pcap_geterr(c->p));
		goto fail;
	}
	if (rc > 0)
		fprintf(stderr, "misport: %s: warning: %s\n", iface, pcap_statustostr(rc));
	c->dlt = pcap_datalink(c->p);
	if (apply_filter(c, bpf, err, errlen) != 0)
		goto fail;
	if (pcap_setnonblock(c->p, 1, perr) != 0) {
		snprintf(err, errlen, "%s: cannot make non-blocking: %s", iface, perr);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	capture_close(c);
	return -1;
}

int capture_fd(const struct capture *c)
{
	return pcap_get_selectable_fd(c->p);
}

const char *capture_name(const struct capture *c)
{
	return c->name;
}

int capture_counters(struct capture *c, struct capture_counters *out)
{
	struct pcap_stat ps;

	if (!c->live || pcap_stats(c->p, &ps) != 0)
		return -1;
	/* pcap_stats() counters are 32-bit and wrap; add the (modular) difference since last time. */
	c->total.received += (uint32_t)(ps.ps_recv - c->last_recv);
	c->total.dropped += (uint32_t)(ps.ps_drop - c->last_drop);
	c->total.ifdropped += (uint32_t)(ps.ps_ifdrop - c->last_ifdrop);
	c->last_recv = ps.ps_recv;
	c->last_drop = ps.ps_drop;
	c->last_ifdrop = ps.ps_ifdrop;
	*out = c->total;
	return 0;
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

int capture_read_ready(struct capture *c, capture_cb cb, void *user, int max, char *err, size_t errlen)
{
	struct run_ctx rc = {c, cb, user, 0};
	int n = pcap_dispatch(c->p, max, on_packet, (u_char *)&rc);

	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", c->name, pcap_geterr(c->p));
		return -1;
	}
	return n < 0 ? 0 : n;
}

int capture_progress(const struct capture *c, uint64_t *done, uint64_t *total)
{
	FILE *fp;
	struct stat st;
	off_t pos;

	if (c->live || (fp = pcap_file(c->p)) == NULL)
		return -1;
	pos = ftello(fp);
	*done = pos > 0 ? (uint64_t)pos : 0;
	*total = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return 0;
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
		pcap_close(c->p); /* closes the file, whose buffer is c->iobuf */
	free(c->iobuf);
	free(c->name);
	free(c);
}

struct capture_writer {
	pcap_t *dead;
	pcap_dumper_t *d;
	int dlt;
};

int capture_writer_open(const char *path, int dlt, int append, struct capture_writer **out, char *err,
			size_t errlen)
{
	struct capture_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	w->dlt = dlt;
	w->dead = pcap_open_dead_with_tstamp_precision(dlt, MP_CAPTURE_SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO);
	if (w->dead == NULL) {
		snprintf(err, errlen, "%s: cannot create a writer for link type %d", path, dlt);
		free(w);
		return -1;
	}
	w->d = append ? pcap_dump_open_append(w->dead, path) : pcap_dump_open(w->dead, path);
	if (w->d == NULL) {
		snprintf(err, errlen, "%s", pcap_geterr(w->dead));
		pcap_close(w->dead);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int capture_writer_write(struct capture_writer *w, const struct capture_pkt *pkt)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(pkt->ts_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(pkt->ts_us % 1000000u);
	h.caplen = pkt->caplen;
	h.len = pkt->wirelen;
	pcap_dump((u_char *)w->d, &h, pkt->data);
	return ferror(pcap_dump_file(w->d)) ? -1 : 0;
}

int capture_writer_dlt(const struct capture_writer *w)
{
	return w->dlt;
}

int capture_writer_close(struct capture_writer *w)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (pcap_dump_flush(w->d) != 0)
		rc = -1;
	pcap_dump_close(w->d);
	pcap_close(w->dead);
	free(w);
	return rc;
}
