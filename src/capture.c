/* capture.c: packet sources through libpcap (savefiles in pcap and pcapng, live interfaces) with
 * optional BPF filters; classic pcap files (the libpcap savefile format, draft-ietf-opsawg-pcap) of
 * common link types are read record by record straight from the file descriptor. */
#include "misport/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "misport/config.h"

/* Under AddressSanitizer the bytes of the read buffer around the record being delivered are poisoned
 * during the callback, so that reading past a packet is caught as it would be past libpcap's buffer. */
#if defined(__SANITIZE_ADDRESS__)
#define MP_CAPTURE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_CAPTURE_ASAN 1
#endif
#endif
#ifdef MP_CAPTURE_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The direct reader of a classic pcap file: libpcap opened the file and checked its header; records
 * are then read here with read(2) into one buffer, without stdio's copy and two freads per packet,
 * and with the same results and messages as libpcap 1.10's sf-pcap.c for the formats direct_header()
 * and direct_link_ok() accept. */
struct direct {
	int fd;            /* the descriptor of libpcap's stream, positioned after the file header */
	uint8_t *buf;      /* MP_CAPTURE_FILE_BUFFER bytes (owned) */
	size_t off, len;   /* unread bytes are buf[off..len) */
	uint64_t file_pos; /* file offset of buf[len] */
	uint32_t snapshot; /* libpcap's adjusted snapshot length */
	int swapped, nsec;
	struct bpf_program prog; /* the filter (owned), when has_prog */
	int has_prog;
};

struct capture {
	pcap_t *p;
	char *name;
	char *iobuf;      /* stdio buffer of the file libpcap reads (owned; freed after pcap_close) */
	struct direct *d; /* NULL unless the file is read directly (owned) */
	int dlt;
	int live;
	uint64_t delivered;
	uint64_t start_us; /* packets stamped earlier are skipped (capture_set_start) */
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
	if (c->d != NULL) { /* the direct reader runs the program itself */
		c->d->prog = prog;
		c->d->has_prog = 1;
		return 0;
	}
	if (pcap_setfilter(c->p, &prog) != 0) {
		snprintf(err, errlen, "%s: cannot set filter: %s", c->name, pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

int capture_check_filter(const char *bpf, bool (*link_ok)(int dlt), char *err, size_t errlen)
{
	int rc = -1;
	bool said = false; /* err holds libpcap's message for a link type */

	snprintf(err, errlen, "bad filter '%s': no link type to compile it for", bpf);
	for (int dlt = 0; dlt < MP_CAPTURE_DLT_SCAN && rc != 0; dlt++) {
		pcap_t *p;
		struct bpf_program prog;

		if (!link_ok(dlt))
			continue;
		if ((p = pcap_open_dead(dlt, MP_CAPTURE_SNAPLEN)) == NULL) {
			snprintf(err, errlen, "cannot check the filter: out of memory");
			return -1;
		}
		if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) == 0) {
			pcap_freecode(&prog);
			rc = 0;
		} else if (!said || dlt == DLT_EN10MB) {
			snprintf(err, errlen, "bad filter '%s': %s", bpf, pcap_geterr(p));
			said = true;
		}
		pcap_close(p);
	}
	return rc;
}

_Static_assert(MP_CAPTURE_FILE_BUFFER >= 16u + MP_CAPTURE_SNAPLEN,
	       "the read buffer must hold the largest record");

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du

static uint32_t swap32(uint32_t v)
{
	return __builtin_bswap32(v);
}

static uint32_t get32(const uint8_t *b, int swapped)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return swapped ? swap32(v) : v;
}

static uint16_t get16(const uint8_t *b, int swapped)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return swapped ? __builtin_bswap16(v) : v;
}

/* Reads the 24-byte file header of fd without moving its offset. Returns 1 when the file is a classic
 * pcap file of version 2.4 in either byte order, with *nsec set for nanosecond timestamps; 0 for
 * anything else (pcapng, older versions, Kuznetzov's patched format, short files), which libpcap reads. */
static int direct_header(int fd, int *nsec)
{
	uint8_t h[24];
	uint32_t m;
	int swapped;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	memcpy(&m, h, 4);
	swapped = m != PCAP_MAGIC_US && m != PCAP_MAGIC_NS;
	if (swapped)
		m = swap32(m);
	if (m != PCAP_MAGIC_US && m != PCAP_MAGIC_NS)
		return 0;
	if (get16(h + 4, swapped) != 2 || get16(h + 6, swapped) != 4)
		return 0;
	*nsec = m == PCAP_MAGIC_NS;
	return 1;
}

/* Link types whose records libpcap delivers exactly as stored (no pseudo-header swapping or fixing in
 * pcap_post_process, and MAXIMUM_SNAPLEN as the largest record); swapped files of the Linux cooked
 * types are left to libpcap, which rewrites parts of their headers. */
static int direct_link_ok(int dlt, int swapped)
{
	switch (dlt) {
	case DLT_NULL:
	case DLT_EN10MB:
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_C_HDLC:
	case DLT_RAW:
	case DLT_LOOP:
	case DLT_IPV4:
	case DLT_IPV6:
		return 1;
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return !swapped;
	default:
		return 0;
	}
}

static void direct_free(struct direct *d)
{
	if (d == NULL)
		return;
	if (d->has_prog)
		pcap_freecode(&d->prog);
	free(d->buf);
	free(d);
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
		int nsec = 0;

		if (direct_header(fileno(fp), &nsec)) {
			c->d = calloc(1, sizeof(*c->d));
			if (c->d != NULL && (c->d->buf = malloc(MP_CAPTURE_FILE_BUFFER)) == NULL) {
				free(c->d);
				c->d = NULL;
			}
			if (c->d != NULL)
				c->d->nsec = nsec;
		}
		if (c->d == NULL) {
			c->iobuf = malloc(MP_CAPTURE_FILE_BUFFER);
			if (c->iobuf != NULL && setvbuf(fp, c->iobuf, _IOFBF, MP_CAPTURE_FILE_BUFFER) != 0) {
				free(c->iobuf);
				c->iobuf = NULL;
			}
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
	if (c->d != NULL) {
		FILE *fp = pcap_file(c->p);

		c->d->swapped = pcap_is_swapped(c->p);
		c->d->snapshot = (uint32_t)pcap_snapshot(c->p);
		c->d->fd = fp != NULL ? fileno(fp) : -1;
		c->d->file_pos = 24;
		/* libpcap read the header through stdio, which read ahead: the descriptor is put back. */
		if (!direct_link_ok(c->dlt, c->d->swapped) || c->d->fd < 0 ||
		    lseek(c->d->fd, 24, SEEK_SET) != 24) {
			/* libpcap reads on from its stream, which the failed attempt left where it was. */
			direct_free(c->d);
			c->d = NULL;
		}
	}
	if (apply_filter(c, bpf, err, errlen) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	capture_close(c);
	return -1;
}

int capture_open_live(const char *iface, const struct capture_live_opts *o, const char *bpf,
		      struct capture **out, char *err, size_t errlen)
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
	(void)pcap_set_timeout(c->p, o->timeout_ms > 0 ? o->timeout_ms : MP_CAPTURE_BLOCK_TIMEOUT_MS);
	if (o->immediate)
		(void)pcap_set_immediate_mode(c->p, 1);
	(void)pcap_set_buffer_size(c->p,
				   (o->buffer_kib > 0 ? o->buffer_kib : (int)MP_CAPTURE_BUFFER_KIB) * 1024);
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

/* The fanout group's program (packet(7), PACKET_FANOUT_CBPF): fanout_hash (fanout.h) of the frame's
 * two IP addresses, which the kernel takes modulo the group's size to pick a socket. Loads are relative to
 * the network header (SKF_NET_OFF), which the kernel has found past the link header and any VLAN tag it
 * took off; frames that are neither IPv4 nor IPv6, or too short, give 0 (the first socket). Returns the
 * number of instructions written to prog (at most MP_FANOUT_PROG_MAX). */
#define MP_FANOUT_PROG_MAX 96
#define FP_STMT(code, k)   ((struct sock_filter)BPF_STMT((code), (uint32_t)(k)))
static unsigned fanout_prog(struct sock_filter *prog, uint32_t seed)
{
	unsigned n = 0, jv4, jv6, jmix;

	prog[n++] = FP_STMT(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
	jv4 = n;
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 0); /* jf: IPv6? */
	/* IPv4: scratch word 0 the source address (offset 12), word 1 the destination (16) */
	prog[n++] = FP_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12);
	prog[n++] = FP_STMT(BPF_ST, 0);
	prog[n++] = FP_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 16);
	prog[n++] = FP_STMT(BPF_ST, 1);
	jmix = n;
	prog[n++] = FP_STMT(BPF_JMP | BPF_JA, 0); /* to the mix */
	prog[jv4].jf = (uint8_t)(n - jv4 - 1);
	jv6 = n;
	prog[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 0); /* jf: other */
	/* IPv6: each address's four words XORed, the source (offsets 8-23) into word 0, the destination
	 * (24-39) into word 1 */
	for (uint32_t m = 0; m < 2; m++) {
		uint32_t base = 8 + 16 * m;

		prog[n++] = FP_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + (int)base);
		for (uint32_t off = 4; off < 16; off += 4) {
			prog[n++] = FP_STMT(BPF_MISC | BPF_TAX, 0);
			prog[n++] = FP_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + (int)(base + off));
			prog[n++] = FP_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
		}
		prog[n++] = FP_STMT(BPF_ST, m);
	}
	prog[jmix].k = n - jmix - 1;
	/* fanout_fmix32(word ^ seed) of word 0 into word 2, then of word 1, then of their sum */
	for (uint32_t m = 0; m < 3; m++) {
		if (m < 2) {
			prog[n++] = FP_STMT(BPF_LD | BPF_MEM, m);
			prog[n++] = FP_STMT(BPF_ALU | BPF_XOR | BPF_K, seed);
		} else {
			prog[n++] = FP_STMT(BPF_LDX | BPF_W | BPF_MEM, 2);
			prog[n++] = FP_STMT(BPF_ALU | BPF_ADD | BPF_X, 0);
		}
		prog[n++] = FP_STMT(BPF_MISC | BPF_TAX, 0);
		prog[n++] = FP_STMT(BPF_ALU | BPF_RSH | BPF_K, 16);
		prog[n++] = FP_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
		prog[n++] = FP_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x85ebca6bu);
		prog[n++] = FP_STMT(BPF_MISC | BPF_TAX, 0);
		prog[n++] = FP_STMT(BPF_ALU | BPF_RSH | BPF_K, 13);
		prog[n++] = FP_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
		prog[n++] = FP_STMT(BPF_ALU | BPF_MUL | BPF_K, 0xc2b2ae35u);
		prog[n++] = FP_STMT(BPF_MISC | BPF_TAX, 0);
		prog[n++] = FP_STMT(BPF_ALU | BPF_RSH | BPF_K, 16);
		prog[n++] = FP_STMT(BPF_ALU | BPF_XOR | BPF_X, 0);
		if (m == 0)
			prog[n++] = FP_STMT(BPF_ST, 2);
	}
	prog[n++] = FP_STMT(BPF_RET | BPF_A, 0);
	prog[jv6].jf = (uint8_t)(n - jv6 - 1);
	prog[n++] = FP_STMT(BPF_RET | BPF_K, 0);
	return n;
}

_Static_assert(sizeof(struct capture_bpf_insn) == sizeof(struct sock_filter),
	       "capture_bpf_insn is a sock_filter");

size_t capture_fanout_program(struct capture_bpf_insn *prog, size_t max, uint32_t seed)
{
	struct sock_filter f[MP_FANOUT_PROG_MAX];
	unsigned n = fanout_prog(f, seed);

	if (n > max)
		return 0;
	for (unsigned i = 0; i < n; i++)
		prog[i] = (struct capture_bpf_insn){f[i].code, f[i].jt, f[i].jf, f[i].k};
	return n;
}

int capture_fanout_join(struct capture *c, int *group, uint32_t seed, char *err, size_t errlen)
{
	int fd = c->live ? pcap_fileno(c->p) : -1;
	int val;
	socklen_t len = sizeof(val);

	if (fd < 0) {
		snprintf(err, errlen, "%s: not a live capture", c->name);
		return -1;
	}
	if (*group < 0) {
		/* the kernel picks an id no group uses, so that no other program's group is joined */
		val = (PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val)) != 0 ||
		    getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, &len) != 0)
			goto fail;
		struct sock_filter prog[MP_FANOUT_PROG_MAX];
		struct sock_fprog fp = {(unsigned short)fanout_prog(prog, seed), prog};

		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp, sizeof(fp)) != 0)
			goto fail;
		*group = val & 0xffff;
		return 0;
	}
	val = (PACKET_FANOUT_CBPF << 16) | (*group & 0xffff);
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val)) != 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: cannot join a packet fanout group: %s", c->name, strerror(errno));
	return -1;
}

void capture_set_start(struct capture *c, uint64_t start_us)
{
	c->start_us = start_us;
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
	if (pkt.ts_us < rc->c->start_us)
		return;
	pkt.caplen = h->caplen;
	pkt.wirelen = h->len;
	pkt.data = bytes;
	rc->c->delivered++;
	if (rc->cb(rc->user, rc->c->dlt, &pkt) != 0) {
		rc->stopped = 1;
		pcap_breakloop(rc->c->p);
	}
}

/* Makes at least want bytes available at d->buf + d->off when the file has them; want is at most
 * MP_CAPTURE_FILE_BUFFER. Returns the bytes available (fewer than want only at the end of the file),
 * or -1 on a read error with errno set. */
static ssize_t direct_fill(struct direct *d, size_t want)
{
	if (d->len - d->off >= want)
		return (ssize_t)(d->len - d->off);
	if (d->off > 0) {
		memmove(d->buf, d->buf + d->off, d->len - d->off);
		d->len -= d->off;
		d->off = 0;
	}
	while (d->len < want) {
		size_t room = MP_CAPTURE_FILE_BUFFER - d->len;
		ssize_t n =
		    read(d->fd, d->buf + d->len, room < MP_CAPTURE_READ_CHUNK ? room : MP_CAPTURE_READ_CHUNK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		d->len += (size_t)n;
		d->file_pos += (uint64_t)n;
	}
	return (ssize_t)(d->len - d->off);
}

/* Reads the next record as libpcap's pcap_next_packet() does: 1 with *h and *data set (data valid until
 * the next call), 0 at the end of the file, -1 with err filled on a read error, a truncated record or a
 * record longer than libpcap accepts (the same messages as libpcap). */
static int direct_next(struct capture *c, struct pcap_pkthdr *h, const uint8_t **data, char *err,
		       size_t errlen)
{
	struct direct *d = c->d;
	const uint8_t *r;
	ssize_t avail = direct_fill(d, 16);
	uint32_t caplen, keep;

	if (avail < 0)
		goto read_error;
	if (avail == 0)
		return 0;
	if (avail < 16) {
		snprintf(err, errlen, "truncated dump file; tried to read 16 header bytes, only got %zd",
			 avail);
		return -1;
	}
	r = d->buf + d->off;
	/* libpcap 1.10 reads the time fields of a file in its own byte order as signed 32-bit numbers
	 * (seconds from 2038 on come out negative) and those of a swapped file as unsigned; later libpcap
	 * reads both unsigned. The same here, so that both readers deliver the same times. */
	if (d->swapped) {
		h->ts.tv_sec = (time_t)get32(r, 1);
		h->ts.tv_usec = (suseconds_t)get32(r + 4, 1);
	} else {
		h->ts.tv_sec = (time_t)(int32_t)get32(r, 0);
		h->ts.tv_usec = (suseconds_t)(int32_t)get32(r + 4, 0);
	}
	if (d->nsec)
		h->ts.tv_usec /= 1000;
	caplen = get32(r + 8, d->swapped);
	h->len = get32(r + 12, d->swapped);
	if (caplen > MP_CAPTURE_SNAPLEN) { /* libpcap's MAXIMUM_SNAPLEN for these link types */
		if (caplen > d->snapshot)
			snprintf(err, errlen, "invalid packet capture length %u, bigger than snaplen of %u",
				 caplen, d->snapshot);
		else
			snprintf(err, errlen, "invalid packet capture length %u, bigger than maximum of %u",
				 caplen, (unsigned)MP_CAPTURE_SNAPLEN);
		return -1;
	}
	keep = caplen > d->snapshot ? d->snapshot : caplen;
	avail = direct_fill(d, 16u + (size_t)caplen);
	if (avail < 0)
		goto read_error;
	if ((size_t)avail < 16u + (size_t)caplen) {
		/* libpcap reads the kept part first, then the discarded rest, and names what it tried */
		size_t got = (size_t)avail - 16u;

		snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %zu",
			 got < keep ? keep : caplen, got);
		return -1;
	}
	h->caplen = keep;
	*data = d->buf + d->off + 16;
	d->off += 16u + (size_t)caplen;
	return 1;
read_error:
	snprintf(err, errlen, "error reading dump file: %s", strerror(errno));
	return -1;
}

/* capture_run for a file read directly: the same contract and messages as through libpcap. */
static int direct_run(struct capture *c, capture_cb cb, void *user, uint64_t max_packets, char *err,
		      size_t errlen)
{
	struct direct *d = c->d;
	char why[256];

	for (;;) {
		struct pcap_pkthdr h;
		const uint8_t *data;
		struct capture_pkt pkt;
		int rc;

		if (max_packets != 0 && c->delivered >= max_packets)
			return 1;
		rc = direct_next(c, &h, &data, why, sizeof(why));
		if (rc == 0)
			return 0;
		if (rc < 0) {
			snprintf(err, errlen, "%s: read error after packet %llu: %s", c->name,
				 (unsigned long long)c->delivered, why);
			return -1;
		}
		if (d->has_prog && pcap_offline_filter(&d->prog, &h, data) == 0)
			continue;
		pkt.ts_us = (uint64_t)h.ts.tv_sec * 1000000u + (uint64_t)h.ts.tv_usec;
		pkt.caplen = h.caplen;
		pkt.wirelen = h.len;
		pkt.data = data;
		c->delivered++;
		POISON(d->buf, (size_t)(data - d->buf));
		POISON(data + h.caplen, MP_CAPTURE_FILE_BUFFER - (size_t)(data - d->buf) - h.caplen);
		rc = cb(user, c->dlt, &pkt);
		UNPOISON(d->buf, MP_CAPTURE_FILE_BUFFER);
		if (rc != 0)
			return 1;
	}
}

int capture_run(struct capture *c, capture_cb cb, void *user, uint64_t max_packets, char *err, size_t errlen)
{
	struct run_ctx rc = {c, cb, user, 0};

	if (c->d != NULL)
		return direct_run(c, cb, user, max_packets, err, errlen);

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
	pos = c->d != NULL ? (off_t)(c->d->file_pos - (c->d->len - c->d->off)) : ftello(fp);
	*done = pos > 0 ? (uint64_t)pos : 0;
	*total = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return 0;
}

const char *capture_reader_name(const struct capture *c)
{
	return c->d != NULL ? "direct" : "libpcap";
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
	direct_free(c->d);
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
