/* fuzz_pcapfile.c: libFuzzer target for a whole capture file (pcap or pcapng) run through the pipeline as
 * misport -r does: the input is written to a memfd and opened by its /proc path. nDPI gets each packet in
 * front of a guard page (a read buffer would otherwise hide over-reads from ASan). Oracle: what capture.c
 * delivers (its own reader of classic pcap files, or libpcap) must be what libpcap's pcap_next_ex reads:
 * the same records, in order, and the same end (clean, or the same error after the same packet). */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "misport/capture.h"
#include "misport/decode.h"
#include "misport/output.h"
#include "misport/pipeline.h"
#include "misport/rules.h"

static struct pipeline *pl;
static struct outputs *outs;
static struct rules *rules;
static struct memfile mf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pipeline_config pc;
	char err[512];

	(void)argc;
	(void)argv;
	setenv("MISPORT_DPI_GUARD", "strict", 1);
	if (memfile_init(&mf, "fuzz_pcapfile") != 0) {
		perror("fuzz_pcapfile: memfd_create");
		abort();
	}
	if (rules_load(MISPORT_SOURCE_RULES_DIR, NULL, NULL, &rules, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pcapfile: %s\n", err);
		abort();
	}
	outs = outputs_new();
	if (outs == NULL || outputs_add(outs, "eve", "/dev/null", MP_EVMASK_ALL, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pcapfile: outputs: %s\n", err);
		abort();
	}
	memset(&pc, 0, sizeof(pc));
	pc.outputs = outs;
	pc.rules = rules;
	pc.emit_flows = true;
	pc.max_flows = 256;
	pc.seed = 1;
	pc.suppress_interval_s = 60;
	if (pipeline_new(&pc, &pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pcapfile: %s\n", err);
		abort();
	}
	return 0;
}

/* Records in order, folded into one hash with their count. */
struct fold {
	uint64_t h, n;
};

static void fold_pkt(struct fold *f, uint64_t ts_us, uint32_t caplen, uint32_t wirelen, const uint8_t *d)
{
	uint64_t h = f->h ^ ts_us ^ ((uint64_t)caplen << 32 | wirelen);

	for (uint32_t i = 0; i < caplen; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	f->h = h * 1099511628211ull;
	f->n++;
}

static int fold_cb(void *user, int dlt, const struct capture_pkt *p)
{
	(void)dlt;
	fold_pkt(user, p->ts_us, p->caplen, p->wirelen, p->data);
	return 0;
}

/* capture.c against libpcap on the file at path. */
static void check_against_libpcap(const char *path)
{
	char perr[PCAP_ERRBUF_SIZE], err[512], want_err[512] = "";
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	struct fold want = {1469598103934665603ull, 0}, got = {1469598103934665603ull, 0};
	struct capture *cap;
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc, want_rc = 0;

	rc = capture_open_file(path, NULL, &cap, err, sizeof(err));
	FUZZ_CHECK((rc == 0) == (p != NULL), "capture.c %s what libpcap %s", rc == 0 ? "opened" : "refused",
		   p != NULL ? "opened" : "refused");
	if (p == NULL)
		return;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1)
		fold_pkt(&want, (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec, h->caplen,
			 h->len, d);
	if (rc != PCAP_ERROR_BREAK) {
		want_rc = -1;
		snprintf(want_err, sizeof(want_err), "%s: read error after packet %llu: %s", path,
			 (unsigned long long)want.n, pcap_geterr(p));
	}
	pcap_close(p);
	err[0] = '\0';
	rc = capture_run(cap, fold_cb, &got, 0, err, sizeof(err));
	FUZZ_CHECK(got.n == want.n && got.h == want.h,
		   "%s reader: %llu records, libpcap %llu, or they differ", capture_reader_name(cap),
		   (unsigned long long)got.n, (unsigned long long)want.n);
	FUZZ_CHECK(rc == want_rc && strcmp(err, want_err) == 0,
		   "%s reader ended with %d '%s', libpcap %d '%s'", capture_reader_name(cap), rc, err,
		   want_rc, want_err);
	capture_close(cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capture *cap;
	char err[512];
	int rc;

	if (memfile_set(&mf, data, size) != 0)
		return 0;
	if (capture_open_file(mf.path, NULL, &cap, err, sizeof(err)) != 0)
		return 0;
	FUZZ_CHECK(capture_name(cap) != NULL, "no name");
	if (decode_link_supported(capture_datalink(cap))) {
		rc = capture_run(cap, pipeline_capture_cb, pl, 0, err, sizeof(err));
		FUZZ_CHECK(rc == 0 || rc == -1, "capture_run returned %d", rc);
		if (rc < 0)
			FUZZ_CHECK(err[0] != '\0', "read error without a message");
	} else {
		FUZZ_CHECK(capture_datalink_name(capture_datalink(cap)) != NULL, "no link type name");
	}
	capture_close(cap);
	pipeline_flush(pl);
	check_against_libpcap(mf.path);
	return 0;
}
