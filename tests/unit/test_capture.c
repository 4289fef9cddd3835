/* test_capture.c: savefile input and output (capture.c): what capture_run delivers, packet counts and
 * BPF filters, the writer's round trip, the errors of bad and truncated files, and the direct reader of
 * classic pcap files checked record by record against libpcap's own reading. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/decode.h"
#include "misport/fanout.h"

#define MIXED SOURCE_DIR "/pcaps/mixed.pcap"

/* What a run delivered: packets, and a hash of times, lengths and bytes in order. */
struct run {
	unsigned n;
	uint64_t hash;
	int dlt;
	int rc;
	char err[256];
};

static int on_pkt(void *user, int dlt, const struct capture_pkt *p)
{
	struct run *r = user;
	uint64_t h = r->hash ^ p->ts_us ^ ((uint64_t)p->caplen << 32 | p->wirelen);

	for (uint32_t i = 0; i < p->caplen; i++)
		h = (h ^ p->data[i]) * 1099511628211ull;
	r->hash = h * 1099511628211ull;
	r->n++;
	r->dlt = dlt;
	return 0;
}

static void read_file(const char *path, const char *bpf, uint64_t max, struct run *r)
{
	struct capture *c;
	char err[256];

	memset(r, 0, sizeof(*r));
	r->hash = 1469598103934665603ull;
	cr_assert_eq(capture_open_file(path, bpf, &c, err, sizeof(err)), 0, "%s", err);
	r->rc = capture_run(c, on_pkt, r, max, r->err, sizeof(r->err));
	cr_assert_eq(capture_packets(c), r->n);
	capture_close(c);
}

/* mixed.pcap (pcaps/README.md): 111 Ethernet frames, to its end. */
Test(capture, reads_a_savefile_to_its_end)
{
	struct run r;

	read_file(MIXED, NULL, 0, &r);
	cr_assert_eq(r.rc, 0, "%s", r.err);
	cr_assert_eq(r.n, 111);
	cr_assert_eq(r.dlt, 1, "DLT_EN10MB");
	cr_assert_str_eq(capture_datalink_name(r.dlt), "EN10MB");
}

/* A packet count stops the run there (return 1); a BPF filter delivers only what matches, and the
 * count counts delivered packets. */
Test(capture, count_and_filter)
{
	struct run all, tcp, some;

	read_file(MIXED, NULL, 10, &some);
	cr_assert_eq(some.rc, 1);
	cr_assert_eq(some.n, 10);
	read_file(MIXED, NULL, 0, &all);
	read_file(MIXED, "tcp", 0, &tcp);
	cr_assert_eq(tcp.rc, 0);
	cr_assert(tcp.n > 0 && tcp.n < all.n, "tcp filter kept %u of %u", tcp.n, all.n);
	read_file(MIXED, "tcp", 3, &some);
	cr_assert_eq(some.n, 3);
	cr_assert_eq(some.rc, 1);
}

static bool no_link(int dlt)
{
	(void)dlt;
	return false;
}

/* LINKTYPE_RAW's DLT on Linux (12): IP packets without a link header. */
static bool raw_only(int dlt)
{
	return dlt == 12;
}

/* capture_check_filter: an expression is accepted when it compiles for one of the link types misport
 * decodes, refused with libpcap's message when it compiles for none. */
Test(capture, check_filter)
{
	char err[512] = "";

	cr_assert_eq(capture_check_filter("tcp port 80 or udp", decode_link_supported, err, sizeof(err)), 0);
	cr_assert_eq(
	    capture_check_filter("ether host 02:00:00:00:00:01", decode_link_supported, err, sizeof(err)), 0,
	    "Ethernet only");
	cr_assert_eq(capture_check_filter("inbound and tcp", decode_link_supported, err, sizeof(err)), 0,
		     "Linux cooked only");
	cr_assert_eq(
	    capture_check_filter("wlan addr1 02:00:00:00:00:01", decode_link_supported, err, sizeof(err)), -1,
	    "802.11, which misport does not decode");
	cr_assert(strstr(err, "802.11") != NULL, "%s", err);
	cr_assert_eq(capture_check_filter("tcp port", decode_link_supported, err, sizeof(err)), -1);
	cr_assert(strstr(err, "bad filter 'tcp port': ") != NULL, "%s", err);
	cr_assert_eq(capture_check_filter("port 99999", decode_link_supported, err, sizeof(err)), -1,
		     "port out of range");
	cr_assert(strstr(err, "99999") != NULL, "%s", err);
	cr_assert_eq(capture_check_filter("tcp", no_link, err, sizeof(err)), -1, "no link type to try");
	cr_assert(strstr(err, "no link type") != NULL, "%s", err);
	cr_assert_eq(capture_check_filter("tcp port", raw_only, err, sizeof(err)), -1, "without Ethernet");
	cr_assert(strstr(err, "bad filter 'tcp port': ") != NULL && strstr(err, "no link type") == NULL, "%s",
		  err);
	cr_assert_eq(capture_check_filter("ip and tcp", raw_only, err, sizeof(err)), 0, "raw IP");
}

static int write_cb(void *user, int dlt, const struct capture_pkt *p)
{
	(void)dlt;
	return capture_writer_write(user, p) == 0 ? 0 : 1;
}

/* A copy of mixed.pcap without its last cut bytes; returns the path (static). */
static const char *cut_copy(long cut)
{
	static char path[64];
	FILE *in = fopen(MIXED, "rb"), *out;
	char buf[65536];
	size_t n;
	long size;

	snprintf(path, sizeof(path), "/tmp/misport-test-capture-%d.pcap", (int)getpid());
	out = fopen(path, "wb");
	cr_assert(in != NULL && out != NULL);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	size = ftell(out);
	fclose(in);
	fclose(out);
	cr_assert_eq(truncate(path, size - cut), 0);
	return path;
}

/* What the writer stores reads back the same (times, lengths, bytes). */
Test(capture, writer_round_trip)
{
	char path[] = "/tmp/misport-test-capture-XXXXXX";
	struct capture_writer *w;
	struct capture *c;
	struct run orig, back;
	char err[256];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(capture_writer_open(path, 1, 0, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(capture_open_file(MIXED, NULL, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(capture_run(c, write_cb, w, 0, err, sizeof(err)), 0);
	capture_close(c);
	cr_assert_eq(capture_writer_close(w), 0);
	read_file(MIXED, NULL, 0, &orig);
	read_file(path, NULL, 0, &back);
	unlink(path);
	cr_assert_eq(back.n, orig.n);
	cr_assert_eq(back.hash, orig.hash);
}

/* A file cut inside its last record: the packets before it are delivered, then an error that names the
 * file and says where it stopped. */
Test(capture, truncated_file_delivers_what_is_there_then_fails)
{
	struct run r;
	const char *path = cut_copy(10);

	read_file(path, NULL, 0, &r);
	unlink(path);
	cr_assert_eq(r.rc, -1);
	cr_assert_eq(r.n, 110);
	cr_assert_not_null(strstr(r.err, path), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "after packet 110"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "truncated dump file"), "%s", r.err);
}

/* Files that are not captures, and missing files, are refused at open with the path in the message;
 * nothing is left to close. */
Test(capture, refuses_what_is_not_a_capture)
{
	struct capture *c = (struct capture *)1;
	char err[256];

	cr_assert_eq(capture_open_file(SOURCE_DIR "/README.md", NULL, &c, err, sizeof(err)), -1);
	cr_assert_null(c);
	cr_assert_not_null(strstr(err, "README.md"), "%s", err);
	cr_assert_eq(capture_open_file("/nonexistent/x.pcap", NULL, &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/x.pcap"), "%s", err);
	cr_assert_eq(capture_open_file(MIXED, "not a ( filter", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "bad filter"), "%s", err);
}

/* --- the direct reader against libpcap ---------------------------------------------------------------
 * libpcap is the oracle: the same file read with pcap_next_ex() must give the same records (times,
 * lengths, bytes), the same end (clean, or the error libpcap reports, after the same packet), with the
 * same filter and count. */

/* Reads path with libpcap alone, as misport did before it read classic files itself. */
static void oracle(const char *path, const char *bpf, uint64_t max, struct run *r)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	struct pcap_pkthdr *h;
	const u_char *data;
	struct bpf_program prog;
	int rc;

	memset(r, 0, sizeof(*r));
	r->hash = 1469598103934665603ull;
	cr_assert_not_null(p, "%s: %s", path, perr);
	if (bpf != NULL) {
		cr_assert_eq(pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN), 0);
		cr_assert_eq(pcap_setfilter(p, &prog), 0);
		pcap_freecode(&prog);
	}
	while (max == 0 || r->n < max) {
		struct capture_pkt pkt;

		rc = pcap_next_ex(p, &h, &data);
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc != 1) {
			snprintf(r->err, sizeof(r->err), "%s: read error after packet %u: %s", path, r->n,
				 pcap_geterr(p));
			r->rc = -1;
			break;
		}
		pkt.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		pkt.caplen = h->caplen;
		pkt.wirelen = h->len;
		pkt.data = data;
		on_pkt(r, pcap_datalink(p), &pkt);
	}
	if (max != 0 && r->n == max)
		r->rc = 1;
	pcap_close(p);
}

/* Reads path both ways and requires the same result; returns the reader misport used. */
static const char *same_as_libpcap(const char *path, const char *bpf, uint64_t max, unsigned *n)
{
	struct run want, got;
	struct capture *c;
	char err[256];
	const char *how;

	oracle(path, bpf, max, &want);
	memset(&got, 0, sizeof(got));
	got.hash = 1469598103934665603ull;
	cr_assert_eq(capture_open_file(path, bpf, &c, err, sizeof(err)), 0, "%s", err);
	how = capture_reader_name(c);
	got.rc = capture_run(c, on_pkt, &got, max, got.err, sizeof(got.err));
	capture_close(c);
	cr_expect_eq(got.n, want.n, "%s (%s): %u packets, libpcap %u", path, how, got.n, want.n);
	cr_expect_eq(got.hash, want.hash, "%s (%s): records differ from libpcap's", path, how);
	cr_expect_eq(got.rc, want.rc, "%s (%s): rc %d, libpcap %d (%s)", path, how, got.rc, want.rc, got.err);
	cr_expect_str_eq(got.err, want.err, "%s (%s)", path, how);
	if (n != NULL)
		*n = got.n;
	return how;
}

/* The records of a classic little-endian file: header fields and each record's bytes. */
struct recs {
	uint32_t snaplen, linktype;
	unsigned n;
	struct {
		uint32_t sec, usec, caplen, len;
		const uint8_t *data;
	} r[512];
	uint8_t *file;
};

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void load_recs(const char *path, struct recs *rs)
{
	FILE *f = fopen(path, "rb");
	long size;
	size_t off = 24;

	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	rs->file = malloc((size_t)size);
	cr_assert_eq(fread(rs->file, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	cr_assert_eq(le32(rs->file), 0xa1b2c3d4u, "a little-endian microsecond file");
	rs->snaplen = le32(rs->file + 16);
	rs->linktype = le32(rs->file + 20);
	rs->n = 0;
	while (off + 16 <= (size_t)size && rs->n < 512) {
		rs->r[rs->n].sec = le32(rs->file + off);
		rs->r[rs->n].usec = le32(rs->file + off + 4);
		rs->r[rs->n].caplen = le32(rs->file + off + 8);
		rs->r[rs->n].len = le32(rs->file + off + 12);
		rs->r[rs->n].data = rs->file + off + 16;
		off += 16u + rs->r[rs->n].caplen;
		rs->n++;
	}
}

static void put32(FILE *f, uint32_t v, int big)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	cr_assert_eq(fwrite(b, 1, 4, f), 4u);
}

/* Writes rs as a classic pcap file: big-endian when big, nanosecond times when nsec (each microsecond
 * time plus 999 ns, which scaling down must drop), the given snaplen, link type and version minor; then
 * cuts the file to its first keep bytes (0: whole). */
static void write_variant(const char *path, const struct recs *rs, int big, int nsec, uint32_t snaplen,
			  uint32_t linktype, uint16_t minor, long keep)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	put32(f, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, big);
	put32(f, big ? (uint32_t)2 << 16 | minor : (uint32_t)minor << 16 | 2, big);
	put32(f, 0, big);
	put32(f, 0, big);
	put32(f, snaplen, big);
	put32(f, linktype, big);
	for (unsigned i = 0; i < rs->n; i++) {
		put32(f, rs->r[i].sec, big);
		put32(f, nsec ? rs->r[i].usec * 1000u + 999u : rs->r[i].usec, big);
		put32(f, rs->r[i].caplen, big);
		put32(f, rs->r[i].len, big);
		cr_assert_eq(fwrite(rs->r[i].data, 1, rs->r[i].caplen, f), rs->r[i].caplen);
	}
	cr_assert_eq(fclose(f), 0);
	if (keep > 0)
		cr_assert_eq(truncate(path, keep), 0);
}

/* Byte offset of record i's header in a file written by write_variant. */
static long rec_off(const struct recs *rs, unsigned i)
{
	long off = 24;

	for (unsigned k = 0; k < i; k++)
		off += 16 + (long)rs->r[k].caplen;
	return off;
}

/* Every form the direct reader takes: both byte orders, both time resolutions, a snapshot length
 * shorter than records (kept part delivered, wire length unchanged), a snapshot of 0 (libpcap takes the
 * largest), filters and counts; each read the same as libpcap reads it, and by the direct reader. */
Test(capture, direct_reader_reads_every_classic_form_as_libpcap_does)
{
	static struct recs rs;
	char path[64];
	unsigned n;
	struct {
		int big, nsec;
		uint32_t snap;
	} forms[] = {{0, 0, 262144}, {1, 0, 262144}, {0, 1, 262144}, {1, 1, 65535},
		     {0, 0, 100},    {1, 1, 60},     {0, 0, 0}};

	load_recs(MIXED, &rs);
	cr_assert_eq(rs.n, 111);
	rs.r[5].sec = 0xb661c185u;  /* 2066: negative for libpcap 1.10, which reads the field signed */
	rs.r[6].usec = 0x90000000u; /* not a time of day, delivered as read */
	snprintf(path, sizeof(path), "/tmp/misport-test-direct-%d.pcap", (int)getpid());
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		write_variant(path, &rs, forms[i].big, forms[i].nsec, forms[i].snap, rs.linktype, 4, 0);
		cr_expect_str_eq(same_as_libpcap(path, NULL, 0, &n), "direct", "form %zu", i);
		cr_expect_eq(n, 111, "form %zu", i);
		same_as_libpcap(path, "tcp", 0, NULL);
		same_as_libpcap(path, "udp", 5, NULL);
		same_as_libpcap(path, NULL, 17, NULL);
	}
	unlink(path);
	free(rs.file);
}

/* A file cut anywhere (in the file header, in a record header, in a record's data, in the part of a
 * record beyond the snapshot length) ends after the same packet with libpcap's message. */
Test(capture, direct_reader_ends_cut_files_as_libpcap_does)
{
	static struct recs rs;
	char path[64];
	unsigned long_rec = 0;

	load_recs(MIXED, &rs);
	for (unsigned i = 0; i < rs.n && long_rec == 0; i++)
		if (i > 0 && rs.r[i].caplen > 120)
			long_rec = i;
	cr_assert_gt(long_rec, 0, "mixed.pcap has a record longer than 120 bytes");
	snprintf(path, sizeof(path), "/tmp/misport-test-direct-%d.pcap", (int)getpid());
	for (int snap100 = 0; snap100 <= 1; snap100++) {
		uint32_t snap = snap100 ? 100 : 262144;
		long at = rec_off(&rs, long_rec);
		long cuts[] = {at,
			       at + 7,
			       at + 16,
			       at + 16 + 50,
			       at + 16 + 100,
			       at + 16 + 110,
			       at + 16 + (long)rs.r[long_rec].caplen - 1};

		for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
			unsigned n;

			write_variant(path, &rs, (int)(k & 1), 0, snap, rs.linktype, 4, cuts[k]);
			same_as_libpcap(path, NULL, 0, &n);
			cr_expect_eq(n, long_rec, "cut at %ld", cuts[k]);
		}
	}
	/* a file header alone is an empty capture, not an error */
	write_variant(path, &rs, 0, 0, 262144, rs.linktype, 4, 24);
	same_as_libpcap(path, NULL, 0, NULL);
	unlink(path);
	free(rs.file);
}

/* A record longer than one read of the direct reader (MP_CAPTURE_READ_CHUNK) is delivered whole; one
 * longer than libpcap accepts (262144 bytes for these link types) stops the read with libpcap's message. */
Test(capture, direct_reader_refuses_oversized_records_as_libpcap_does)
{
	static struct recs rs;
	char path[64];
	static uint8_t big[300000];
	unsigned n;

	load_recs(MIXED, &rs);
	rs.n = 5;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7u);
	rs.r[2].caplen = rs.r[2].len = 200000;
	rs.r[2].data = big;
	rs.r[3].caplen = rs.r[3].len = sizeof(big);
	rs.r[3].data = big;
	snprintf(path, sizeof(path), "/tmp/misport-test-direct-%d.pcap", (int)getpid());
	write_variant(path, &rs, 0, 0, 262144, rs.linktype, 4, 0);
	cr_expect_str_eq(same_as_libpcap(path, NULL, 0, &n), "direct");
	cr_expect_eq(n, 3);
	unlink(path);
	free(rs.file);
}

/* Files the direct reader does not take are read by libpcap: another version of the format, or a link
 * type libpcap rewrites or does not bound at 262144 bytes. */
Test(capture, other_files_go_to_libpcap)
{
	static struct recs rs;
	char path[64];

	load_recs(MIXED, &rs);
	snprintf(path, sizeof(path), "/tmp/misport-test-direct-%d.pcap", (int)getpid());
	write_variant(path, &rs, 0, 0, 262144, rs.linktype, 3, 0); /* version 2.3 */
	cr_expect_str_eq(same_as_libpcap(path, NULL, 0, NULL), "libpcap");
	write_variant(path, &rs, 0, 0, 262144, 192, 4, 0); /* LINKTYPE_PPI */
	cr_expect_str_eq(same_as_libpcap(path, NULL, 0, NULL), "libpcap");
	write_variant(path, &rs, 1, 0, 262144, 113, 4, 0); /* Linux cooked, big-endian: libpcap swaps parts */
	cr_expect_str_eq(same_as_libpcap(path, NULL, 0, NULL), "libpcap");
	write_variant(path, &rs, 0, 0, 262144, 113, 4, 0); /* Linux cooked, native order */
	cr_expect_str_eq(same_as_libpcap(path, NULL, 0, NULL), "direct");
	unlink(path);
	free(rs.file);
}

/* Every capture of nDPI's test corpus (when ../shared is there): the same records and end as libpcap,
 * whichever reader takes it; most classic files are read directly. */
Test(capture, corpus_reads_as_libpcap_does)
{
	const char *dir = SOURCE_DIR "/../shared/corpus/ndpi";
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned files = 0, direct = 0;

	if (d == NULL) {
		cr_skip_test("%s is absent", dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct capture *c;
		char err[256];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (capture_open_file(path, NULL, &c, err, sizeof(err)) != 0)
			continue; /* not a capture libpcap opens */
		capture_close(c);
		files++;
		if (strcmp(same_as_libpcap(path, NULL, 0, NULL), "direct") == 0)
			direct++;
	}
	closedir(d);
	cr_assert_gt(files, 200);
	cr_assert_gt(direct, 100, "%u of %u files read directly", direct, files);
}

/* A classic BPF machine for the instructions the fanout program uses, run as the kernel runs a fanout
 * program on a frame: net is the frame from its network header on (len bytes), proto its EtherType
 * (SKF_AD_PROTOCOL). A load past the end ends the program with 0, as in the kernel. */
static uint32_t run_bpf(const struct capture_bpf_insn *prog, size_t n, uint16_t proto, const uint8_t *net,
			size_t len)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (size_t pc = 0; pc < n; pc++) {
		const struct capture_bpf_insn *i = &prog[pc];
		int32_t k = (int32_t)i->k;

		switch (i->code) {
		case BPF_LD | BPF_H | BPF_ABS:
			cr_assert_eq(k, SKF_AD_OFF + SKF_AD_PROTOCOL,
				     "only the protocol is loaded as a half-word");
			a = proto;
			break;
		case BPF_LD | BPF_W | BPF_ABS: {
			cr_assert_geq(k, SKF_NET_OFF, "loads are relative to the network header");
			size_t off = (size_t)(k - SKF_NET_OFF);

			if (off + 4 > len)
				return 0;
			a = (uint32_t)net[off] << 24 | (uint32_t)net[off + 1] << 16 |
			    (uint32_t)net[off + 2] << 8 | net[off + 3];
			break;
		}
		case BPF_LD | BPF_MEM:
			a = mem[i->k];
			break;
		case BPF_LDX | BPF_W | BPF_MEM:
			x = mem[i->k];
			break;
		case BPF_ST:
			mem[i->k] = a;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_ALU | BPF_XOR | BPF_K:
			a ^= i->k;
			break;
		case BPF_ALU | BPF_XOR | BPF_X:
			a ^= x;
			break;
		case BPF_ALU | BPF_ADD | BPF_X:
			a += x;
			break;
		case BPF_ALU | BPF_MUL | BPF_K:
			a *= i->k;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			a >>= i->k;
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_A:
			return a;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("instruction 0x%04x is not one the fanout program should use",
				       i->code);
		}
	}
	cr_assert_fail("the program ran off its end");
	return 0;
}

/* Checks the fanout program (n instructions) on the network header hdr (len bytes, EtherType proto)
 * whose source address of alen bytes starts at off, the destination right after it: the program gives
 * fanout_hash of the addresses as decode.h stores them, and the same with the two swapped. */
static void check_pair(const struct capture_bpf_insn *prog, size_t n, uint16_t proto, const uint8_t *hdr,
		       size_t len, size_t off, size_t alen, uint32_t seed)
{
	uint8_t a[16] = {0}, b[16] = {0}, rev[64];

	cr_assert_leq(len, sizeof(rev));
	memcpy(a, hdr + off, alen);
	memcpy(b, hdr + off + alen, alen);
	cr_assert_eq(run_bpf(prog, n, proto, hdr, len), fanout_hash(fanout_fold(a), fanout_fold(b), seed));
	memcpy(rev, hdr, len);
	memcpy(rev + off, hdr + off + alen, alen);
	memcpy(rev + off + alen, hdr + off, alen);
	cr_assert_eq(run_bpf(prog, n, proto, rev, len), run_bpf(prog, n, proto, hdr, len), "both directions");
}

/* The kernel's fanout program and the workers' fanout_hash agree, so a worker runs what its socket gets
 * and hands nothing over but tunnelled packets: IPv4 and IPv6, both directions, a host talking to itself,
 * other seeds; a frame that is not IP or is too short goes to the first socket. */
Test(capture, fanout_program_computes_fanout_hash)
{
	struct capture_bpf_insn prog[128];
	/* IPv4 header: 45 00 len, id, flags, ttl 64 proto 6, csum, 10.0.0.1 -> 192.168.7.9 */
	uint8_t v4[20] = {0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 168, 7, 9};
	/* IPv6 header: version 6, payload 0, next header 17, hop limit 64, 2001:db8::1 -> fe80::aa:bbcc */
	uint8_t v6[40] = {0x60, 0, 0, 0, 0, 0, 17, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0,
			  0,    0, 0, 0, 0, 0, 0,  0,  0,    1,    0xfe, 0x80, 0, 0,
			  0,    0, 0, 0, 0, 0, 0,  0,  0,    0xaa, 0xbb, 0xcc};
	uint8_t self[20];
	unsigned ones = 0;

	for (uint32_t i = 0; i < 64; i++) {
		uint32_t seed = i * 0x9e3779b9u;
		size_t n = capture_fanout_program(prog, 128, seed);

		cr_assert_gt(n, 0);
		cr_assert_eq(capture_fanout_program(prog, n - 1, seed), 0, "too little room is refused");
		check_pair(prog, n, 0x0800, v4, sizeof(v4), 12, 4, seed);
		check_pair(prog, n, 0x86dd, v6, sizeof(v6), 8, 16, seed);
		/* not IP, and too short */
		cr_assert_eq(run_bpf(prog, n, 0x0806, v4, sizeof(v4)), 0);
		cr_assert_eq(run_bpf(prog, n, 0x0800, v4, 19), 0);
		cr_assert_eq(run_bpf(prog, n, 0x86dd, v6, 39), 0);
		/* a host talking to itself is not always even (a plain sum of the two would be) */
		memcpy(self, v4, 20);
		memcpy(self + 16, v4 + 12, 4);
		self[15] = (uint8_t)i;
		self[19] = (uint8_t)i;
		check_pair(prog, n, 0x0800, self, sizeof(self), 12, 4, seed);
		ones += run_bpf(prog, n, 0x0800, self, 20) & 1u;
	}
	cr_assert(ones > 16 && ones < 48, "%u of 64 self-talking hosts odd", ones);
}
