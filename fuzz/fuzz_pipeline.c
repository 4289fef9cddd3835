/* fuzz_pipeline.c: libFuzzer target for decode + flow table + nDPI + verdicts + EVE on a sequence of packets.
 *
 * Input: byte 0 picks the link type; then records of [length: 2 bytes big-endian][time step: 1 byte][frame].
 * The time step advances the capture clock by step*16 ms (255: ten minutes, so every flow times out). One
 * pipeline lives for the whole run (nDPI's initialisation takes ~150 ms); every input ends with a flush, so
 * each one starts with an empty flow table. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "misport/decode.h"
#include "misport/output.h"
#include "misport/pipeline.h"
#include "misport/rules.h"

static const int dlts[] = {
    MP_DLT_EN10MB, MP_DLT_LINUX_SLL, MP_DLT_LINUX_SLL2, MP_DLT_RAW,        MP_DLT_IPV4,   MP_DLT_IPV6,
    MP_DLT_NULL,   MP_DLT_LOOP,      MP_DLT_PPP,        MP_DLT_PPP_SERIAL, MP_DLT_C_HDLC,
};

static struct pipeline *pl;
static struct outputs *outs;
static struct rules *rules;
static uint64_t clock_us = 1700000000ull * 1000000u;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pipeline_config pc;
	char err[512];

	(void)argc;
	(void)argv;
	if (rules_load(MISPORT_SOURCE_RULES_DIR, NULL, NULL, &rules, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pipeline: %s\n", err);
		abort();
	}
	outs = outputs_new();
	/* Every event is serialized (EVE), then thrown away. */
	if (outs == NULL || outputs_add(outs, "eve", "/dev/null", MP_EVMASK_ALL, err, sizeof(err)) != 0 ||
	    outputs_add(outs, "fast", "/dev/null", MP_EVMASK_ALERT, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pipeline: outputs: %s\n", err);
		abort();
	}
	memset(&pc, 0, sizeof(pc));
	pc.outputs = outs;
	pc.rules = rules;
	pc.emit_flows = true;
	pc.max_flows = 64; /* small, so that eviction and emergency mode are reached */
	pc.seed = 1;
	pc.suppress_interval_s = 60;
	if (pipeline_new(&pc, &pl, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_pipeline: %s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 1;
	int dlt;

	if (size < 1)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	while (off + 3 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		uint8_t step = data[off + 2];
		struct capture_pkt pkt;
		uint8_t *frame;

		off += 3;
		if (len > size - off)
			len = size - off;
		clock_us += step == 255 ? 600000000ull : (uint64_t)step * 16000u;
		/* An exact-size copy: the decoder and nDPI reading past the frame hit ASan's redzone. */
		frame = malloc(len != 0 ? len : 1);
		if (frame == NULL)
			break;
		memcpy(frame, data + off, len);
		pkt.ts_us = clock_us;
		pkt.caplen = (uint32_t)len;
		pkt.wirelen = (uint32_t)len + (step & 1 ? 0 : 100); /* sometimes a snapped packet */
		pkt.data = frame;
		pipeline_packet(pl, dlt, &pkt);
		free(frame);
		off += len;
	}
	pipeline_flush(pl);
	return 0;
}
