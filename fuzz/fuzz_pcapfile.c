/* fuzz_pcapfile.c: libFuzzer target for a whole capture file (pcap or pcapng through libpcap) run through the
 * pipeline as misport -r does: the input is written to a memfd and opened by its /proc path. nDPI gets each
 * packet in front of a guard page (libpcap's buffer would otherwise hide over-reads from ASan). */
#include <stdint.h>
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
	setenv("MISPORT_DPI_GUARD", "1", 1);
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
	return 0;
}
