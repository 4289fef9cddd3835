/* main.c: misport's command line: parses options, wires capture -> pipeline -> outputs, and maps
 * outcomes to exit statuses (0 ok, 1 usage or setup error, 2 some input could not be read). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "misport/capture.h"
#include "misport/config.h"
#include "misport/decode.h"
#include "misport/log.h"
#include "misport/output.h"
#include "misport/pipeline.h"

#define EXIT_USAGE 1
#define EXIT_INPUT 2

struct options {
	const char *files[MP_MAX_INPUT_FILES];
	size_t nfiles;
	const char *bpf;
	const char *eve;
	const char *fast;
	bool flows;
	bool quiet;
	uint64_t count;
	uint64_t seed;
	bool have_seed;
	uint32_t max_flows;
	int verbose;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: misport -r FILE [-r FILE ...] [options]\n"
		"Classify each flow with nDPI and report protocols that do not match the server port's\n"
		"IANA registration.\n\n"
		"input:\n"
		"  -r, --read FILE       read a pcap or pcapng file ('-' for stdin); repeatable, one flow\n"
		"                        table across all files, in order\n"
		"  -f, --filter EXPR     BPF capture filter\n"
		"  -c, --count N         stop after N packets\n"
		"output:\n"
		"      --eve PATH        Suricata EVE JSON lines to PATH ('-' for stdout)\n"
		"      --fast PATH       one line per alert to PATH ('-' for stdout; the default when no\n"
		"                        --eve is given)\n"
		"      --flows           also write an EVE flow record for every finished flow\n"
		"  -q, --quiet           no summary at the end\n"
		"tuning:\n"
		"      --max-flows N     flow table cap (default %u)\n"
		"      --seed N          hash and flow-id seed (default: random)\n"
		"  -v, --verbose         more diagnostics (repeatable)\n"
		"  -h, --help            this help\n"
		"  -V, --version         print the version\n"
		"\nexit status: 0 ok, 1 usage or setup error, 2 some input could not be read\n",
		MP_FLOW_MAX_DEFAULT);
}

/* Parses a decimal unsigned number in [min, max]; returns 0 or -1. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum { OPT_EVE = 256, OPT_FAST, OPT_FLOWS, OPT_SEED, OPT_MAX_FLOWS };

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"read", required_argument, NULL, 'r'},
	    {"filter", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'c'},
	    {"eve", required_argument, NULL, OPT_EVE},
	    {"fast", required_argument, NULL, OPT_FAST},
	    {"flows", no_argument, NULL, OPT_FLOWS},
	    {"quiet", no_argument, NULL, 'q'},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "r:f:c:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->nfiles >= MP_MAX_INPUT_FILES) {
				log_warnx("too many -r files (at most %u)", MP_MAX_INPUT_FILES);
				return -1;
			}
			o->files[o->nfiles++] = optarg;
			break;
		case 'f':
			o->bpf = optarg;
			break;
		case 'c':
			if (parse_u64(optarg, 1, UINT64_MAX, &o->count) != 0) {
				log_warnx("-c: '%s' is not a positive number", optarg);
				return -1;
			}
			break;
		case OPT_EVE:
			o->eve = optarg;
			break;
		case OPT_FAST:
			o->fast = optarg;
			break;
		case OPT_FLOWS:
			o->flows = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, &o->seed) != 0) {
				log_warnx("--seed: '%s' is not a number", optarg);
				return -1;
			}
			o->have_seed = true;
			break;
		case OPT_MAX_FLOWS:
			if (parse_u64(optarg, 1, 1u << 30, &v) != 0) {
				log_warnx("--max-flows: '%s' is not a number in 1..%u", optarg, 1u << 30);
				return -1;
			}
			o->max_flows = (uint32_t)v;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("misport %s\n", MISPORT_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		log_warnx("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->nfiles == 0) {
		log_warnx("nothing to read: give -r FILE");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Reads every input file through pl. Returns the number of files that failed (unreadable,
 * unsupported link type, or a read error part-way). */
static int run_files(const struct options *o, struct pipeline *pl)
{
	char err[512];
	int failed = 0;
	uint64_t total = 0;

	for (size_t i = 0; i < o->nfiles; i++) {
		struct capture *cap;
		int dlt, rc;

		if (capture_open_file(o->files[i], o->bpf, &cap, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			failed++;
			continue;
		}
		dlt = capture_datalink(cap);
		if (!decode_link_supported(dlt)) {
			log_warnx("%s: unsupported link type %s (%d)", o->files[i], capture_datalink_name(dlt), dlt);
			capture_close(cap);
			failed++;
			continue;
		}
		rc = capture_run(cap, pipeline_capture_cb, pl, o->count != 0 ? o->count - total : 0, err,
				 sizeof(err));
		total += capture_packets(cap);
		capture_close(cap);
		if (rc < 0) {
			log_warnx("%s", err);
			failed++;
		}
		if (o->count != 0 && total >= o->count)
			break;
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct options o;
	struct outputs *outs = NULL;
	struct pipeline *pl = NULL;
	struct pipeline_config pc;
	char err[512];
	int failed, status = EXIT_USAGE;
	bool stdout_taken;

	memset(&o, 0, sizeof(o));
	log_init("misport", 0);
	if (parse_options(argc, argv, &o) != 0)
		return EXIT_USAGE;
	log_init("misport", o.verbose);
	if (!o.have_seed && getrandom(&o.seed, sizeof(o.seed), 0) != (ssize_t)sizeof(o.seed))
		o.seed = (uint64_t)(uintptr_t)&o ^ 0x6d6973706f7274ull;

	outs = outputs_new();
	if (outs == NULL) {
		log_warnx("out of memory");
		goto done;
	}
	if (o.eve != NULL &&
	    outputs_add(outs, "eve", o.eve, MP_EVMASK_ALL, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	if (o.fast == NULL && o.eve == NULL)
		o.fast = "-";
	if (o.fast != NULL && outputs_add(outs, "fast", o.fast, MP_EVMASK_ALERT, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	stdout_taken = (o.eve != NULL && strcmp(o.eve, "-") == 0);

	memset(&pc, 0, sizeof(pc));
	pc.outputs = outs;
	pc.emit_flows = o.flows;
	pc.max_flows = o.max_flows;
	pc.seed = o.seed;
	if (pipeline_new(&pc, &pl, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	failed = run_files(&o, pl);
	pipeline_finish(pl);
	if (!o.quiet)
		pipeline_print_summary(pl, stdout_taken ? stderr : stdout);
	if (outputs_dropped(outs) != 0)
		log_warnx("%llu events could not be written", outputs_dropped(outs));
	status = failed != 0 ? EXIT_INPUT : 0;
done:
	pipeline_free(pl);
	outputs_free(outs);
	return status;
}
