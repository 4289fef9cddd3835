/* test_capture.c: savefile input and output through libpcap (capture.c): what capture_run delivers,
 * packet counts and BPF filters, the writer's round trip, and the errors of bad and truncated files. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/capture.h"

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
