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
#include <time.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/config.h"
#include "misport/decode.h"
#include "misport/explain.h"
#include "misport/fanout.h"
#include "misport/heap.h"
#include "misport/live.h"
#include "misport/log.h"
#include "misport/now.h"
#include "misport/outconf.h"
#include "misport/output.h"
#include "misport/pipeline.h"
#include "misport/privdrop.h"
#include "misport/rules.h"
#include "misport/scan.h"
#include "misport/signals.h"
#include "misport/workers.h"

#define EXIT_USAGE 1
#define EXIT_INPUT 2
#define EXIT_LIVE  3

struct options {
	const char *files[MP_MAX_INPUT_FILES];
	size_t nfiles;
	const char *ifaces[MP_MAX_INTERFACES];
	size_t nifaces;
	struct capture_live_opts live;
	uint64_t duration_s;
	uint32_t stats_interval_s;
	bool stats_interval_set;
	const char *user;
	const char *bpf;                   /* -f, or bpf_args */
	char bpf_args[MP_FILTER_ARGS_MAX]; /* the arguments after the options, joined by spaces */
	struct outconf_cli out;
	bool quiet;
	uint64_t count;
	uint64_t seed;
	bool have_seed;
	uint32_t max_flows;
	unsigned workers;
	unsigned cpus[MP_MAX_WORKERS]; /* --cpus: the CPU of the reader, then of each worker thread */
	size_t ncpus;
	int verbose;
	const char *rules_dir;
	const char *registry;
	const char *policy;
	bool check_rules;
	uint32_t suppress_s;
	const char *write_path;
	const char *evidence_dir;
	const char *report;
	bool no_scan;
	bool no_fanout;    /* --no-fanout: live workers fed by the reader thread, not by the kernel */
	unsigned tunnels;  /* decode_set_tunnels mask (--decap) */
	uint16_t cid_seed; /* --community-id-seed */
};

static void usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: misport -r FILE [-r FILE ...] [options] [FILTER]\n"
	    "       misport -i IFACE [-i IFACE ...] [options] [FILTER]\n"
	    "       misport explain [--json] PORT[/tcp|/udp]|NAME   what a port is and what runs there\n"
	    "Classify each flow with nDPI and report protocols that do not match the server port's\n"
	    "IANA registration.\n\n"
	    "input:\n"
	    "  -r, --read FILE       read a pcap or pcapng file ('-' for stdin); repeatable, one flow\n"
	    "                        table across all files, in order\n"
	    "  -i, --interface IFACE capture live from IFACE; repeatable\n"
	    "  -f, --filter EXPR     BPF filter (files and interfaces), or FILTER after the options\n"
	    "  -c, --count N         stop after N packets\n"
	    "      --duration SEC    stop live capture after SEC seconds\n"
	    "  -s, --snaplen N       live: bytes captured per packet (default %d)\n"
	    "  -B, --buffer-size KIB live: kernel capture buffer in KiB (default 32768)\n"
	    "  -p, --no-promiscuous-mode  live: do not put the interface in promiscuous mode\n"
	    "      --immediate       live: hand over each packet at once (a wake-up per packet); by\n"
	    "                        default the kernel hands packets over in blocks, as in tcpdump\n"
	    "  -Z, --relinquish-privileges USER  live: switch to USER once interfaces are open\n"
	    "      --decap LIST      tunnels to unwrap: ipip,gre,erspan,vxlan,geneve,gtpu,teredo|all|none\n"
	    "output:\n"
	    "      --eve PATH        Suricata EVE JSON lines to PATH ('-' for stdout)\n"
	    "      --fast PATH       one line per alert to PATH ('-' for stdout; default without --eve)\n"
	    "      --flows           also write an EVE flow record for every finished flow\n"
	    "      --community-id-seed N  seed of the Community IDs in EVE records (default 0)\n"
	    "      --sensor-name NAME  \"host\" of every EVE record (Suricata's sensor-name)\n"
	    "  -w, --write FILE      write the packets of every alerted flow to a pcap FILE\n"
	    "      --evidence-dir DIR  one pcap per alerted flow in DIR, named by flow_id\n"
	    "      --report FILE     a self-contained HTML report of the run, written at the end\n"
	    "      --eve unix:PATH   EVE JSON lines to a Unix socket (stream or datagram)\n"
	    "      --syslog URL      RFC 5424 syslog to udp://, tcp:// or tls:// HOST:PORT\n"
	    "      --syslog-format F  syslog MSG: eve (EVE JSON, default) or cef\n"
	    "      --syslog-facility F  syslog facility (default local5)\n"
	    "      --cef PATH        ArcSight CEF lines (alerts) to PATH ('-' for stdout)\n"
	    "      --redis URL       EVE JSON to redis://HOST:PORT/list/KEY or .../stream/KEY\n"
	    "      --output-config FILE  more outputs from FILE (docs/outputs.md)\n"
	    "      --check-config FILE   validate an output configuration file and exit\n"
	    "      --stats-interval SEC  EVE stats record every SEC seconds (live default 60; 0 off)\n"
	    "  -q, --quiet           no summary at the end\n"
	    "rules:\n"
	    "      --rules DIR       rule directory (default: $MISPORT_RULES, else the installed rules,\n"
	    "                        else the source tree's rules/)\n"
	    "      --registry FILE   IANA's service-names-port-numbers.csv instead of the shipped registry\n"
	    "      --policy FILE     site policy (default: DIR/policy.conf)\n"
	    "      --check-rules     load the rules and policy, print OK or the error, and exit\n"
	    "      --suppress-interval SEC  repeats of an alert within SEC are counted (default %u)\n"
	    "      --no-scan-detection  no scan alerts, no scan-noise verdicts (DIR/scan.conf tunes them)\n"
	    "tuning:\n"
	    "      --max-flows N     flow table cap (default %u)\n"
	    "      --workers N       worker threads; flows are sharded by host pair (default 1)\n"
	    "      --no-fanout       live --workers: a reader thread shards, not the kernel's fanout\n"
	    "      --cpus LIST       pin worker i (0: the reader without fanout) to LIST's entry i, the\n"
	    "                        list repeating if short (as taskset -c: 0,2-3)\n"
	    "      --seed N          hash and flow-id seed (default: random)\n"
	    "  -v, --verbose         more diagnostics (repeatable)\n"
	    "  -h, --help            this help; -V, --version: the version\n"
	    "\nsignals: INT/TERM stop and flush, HUP reopens outputs, USR1 writes a stats record\n"
	    "exit status: 0 ok, 1 usage or setup error, 2 some input could not be read,\n"
	    "             3 a live interface failed\n",
	    MP_CAPTURE_SNAPLEN, MP_SUPPRESS_INTERVAL_DEFAULT, MP_FLOW_MAX_DEFAULT);
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

enum {
	OPT_EVE = 256,
	OPT_FAST,
	OPT_FLOWS,
	OPT_SEED,
	OPT_MAX_FLOWS,
	OPT_DURATION,
	OPT_NO_IMMEDIATE,
	OPT_IMMEDIATE,
	OPT_STATS_INTERVAL,
	OPT_WORKERS,
	OPT_RULES,
	OPT_REGISTRY,
	OPT_POLICY,
	OPT_CHECK_RULES,
	OPT_SUPPRESS,
	OPT_EVIDENCE_DIR,
	OPT_REPORT,
	OPT_NO_SCAN,
	OPT_NO_FANOUT,
	OPT_CPUS,
	OPT_DECAP,
	OPT_CID_SEED,
	OPT_SENSOR_NAME
};
enum {
	OPT_SYSLOG = 512,
	OPT_SYSLOG_FORMAT,
	OPT_SYSLOG_FACILITY,
	OPT_CEF,
	OPT_REDIS,
	OPT_OUTPUT_CONFIG,
	OPT_CHECK_CONFIG
};

/* Takes the n arguments after the options as the filter expression, joined by spaces, as tcpdump does.
 * Returns 0, or -1 (logged) when -f gave one too or the expression is longer than o->bpf_args. */
static int join_filter_args(struct options *o, int n, char **args)
{
	size_t len = 0;

	if (o->bpf != NULL) {
		log_warnx("a filter was given with -f and as arguments ('%s')", args[0]);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t k = strlen(args[i]);

		if (len + (i > 0) + k >= sizeof(o->bpf_args)) {
			log_warnx("the filter given as arguments is longer than %zu bytes",
				  sizeof(o->bpf_args) - 1);
			return -1;
		}
		if (i > 0)
			o->bpf_args[len++] = ' ';
		memcpy(o->bpf_args + len, args[i], k);
		len += k;
	}
	o->bpf_args[len] = '\0';
	o->bpf = o->bpf_args;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"read", required_argument, NULL, 'r'},
	    {"interface", required_argument, NULL, 'i'},
	    {"filter", required_argument, NULL, 'f'},
	    {"duration", required_argument, NULL, OPT_DURATION},
	    {"snaplen", required_argument, NULL, 's'},
	    {"buffer-size", required_argument, NULL, 'B'},
	    {"no-promiscuous-mode", no_argument, NULL, 'p'},
	    {"no-immediate", no_argument, NULL, OPT_NO_IMMEDIATE},
	    {"immediate", no_argument, NULL, OPT_IMMEDIATE},
	    {"relinquish-privileges", required_argument, NULL, 'Z'},
	    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	    {"count", required_argument, NULL, 'c'},
	    {"eve", required_argument, NULL, OPT_EVE},
	    {"fast", required_argument, NULL, OPT_FAST},
	    {"flows", no_argument, NULL, OPT_FLOWS},
	    {"syslog", required_argument, NULL, OPT_SYSLOG},
	    {"syslog-format", required_argument, NULL, OPT_SYSLOG_FORMAT},
	    {"syslog-facility", required_argument, NULL, OPT_SYSLOG_FACILITY},
	    {"cef", required_argument, NULL, OPT_CEF},
	    {"redis", required_argument, NULL, OPT_REDIS},
	    {"output-config", required_argument, NULL, OPT_OUTPUT_CONFIG},
	    {"check-config", required_argument, NULL, OPT_CHECK_CONFIG},
	    {"quiet", no_argument, NULL, 'q'},
	    {"seed", required_argument, NULL, OPT_SEED},
	    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
	    {"workers", required_argument, NULL, OPT_WORKERS},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"rules", required_argument, NULL, OPT_RULES},
	    {"registry", required_argument, NULL, OPT_REGISTRY},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"check-rules", no_argument, NULL, OPT_CHECK_RULES},
	    {"suppress-interval", required_argument, NULL, OPT_SUPPRESS},
	    {"write", required_argument, NULL, 'w'},
	    {"evidence-dir", required_argument, NULL, OPT_EVIDENCE_DIR},
	    {"report", required_argument, NULL, OPT_REPORT},
	    {"no-scan-detection", no_argument, NULL, OPT_NO_SCAN},
	    {"no-fanout", no_argument, NULL, OPT_NO_FANOUT},
	    {"decap", required_argument, NULL, OPT_DECAP},
	    {"community-id-seed", required_argument, NULL, OPT_CID_SEED},
	    {"sensor-name", required_argument, NULL, OPT_SENSOR_NAME},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "r:i:f:c:s:B:pZ:w:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->nfiles >= MP_MAX_INPUT_FILES) {
				log_warnx("too many -r files (at most %u)", MP_MAX_INPUT_FILES);
				return -1;
			}
			o->files[o->nfiles++] = optarg;
			break;
		case 'i':
			if (o->nifaces >= MP_MAX_INTERFACES) {
				log_warnx("too many -i interfaces (at most %d)", MP_MAX_INTERFACES);
				return -1;
			}
			o->ifaces[o->nifaces++] = optarg;
			break;
		case 'f':
			o->bpf = optarg;
			break;
		case OPT_DURATION:
			if (parse_u64(optarg, 1, UINT32_MAX, &o->duration_s) != 0) {
				log_warnx("--duration: '%s' is not a positive number of seconds", optarg);
				return -1;
			}
			break;
		case 's':
			if (parse_u64(optarg, 64, 262144, &v) != 0) {
				log_warnx("-s: '%s' is not a snap length in 64..262144", optarg);
				return -1;
			}
			o->live.snaplen = (int)v;
			break;
		case 'B':
			if (parse_u64(optarg, 1, 4u << 20, &v) != 0) {
				log_warnx("-B: '%s' is not a buffer size in KiB (1..4194304)", optarg);
				return -1;
			}
			o->live.buffer_kib = (int)v;
			break;
		case 'p':
			o->live.promisc = 0;
			break;
		case OPT_NO_IMMEDIATE: /* the default since 2026-12; kept for scripts that name it */
			o->live.immediate = 0;
			break;
		case OPT_IMMEDIATE:
			o->live.immediate = 1;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_u64(optarg, 0, 86400, &v) != 0) {
				log_warnx("--stats-interval: '%s' is not a number of seconds in 0..86400",
					  optarg);
				return -1;
			}
			o->stats_interval_s = (uint32_t)v;
			o->stats_interval_set = true;
			break;
		case 'c':
			if (parse_u64(optarg, 1, UINT64_MAX, &o->count) != 0) {
				log_warnx("-c: '%s' is not a positive number", optarg);
				return -1;
			}
			break;
		case OPT_EVE:
			o->out.eve = optarg;
			break;
		case OPT_FAST:
			o->out.fast = optarg;
			break;
		case OPT_FLOWS:
			o->out.flows = true;
			break;
		case OPT_SYSLOG:
			o->out.syslog = optarg;
			break;
		case OPT_SYSLOG_FORMAT:
			o->out.syslog_format = optarg;
			break;
		case OPT_SYSLOG_FACILITY:
			o->out.syslog_facility = optarg;
			break;
		case OPT_CEF:
			o->out.cef = optarg;
			break;
		case OPT_REDIS:
			o->out.redis = optarg;
			break;
		case OPT_OUTPUT_CONFIG:
			o->out.config = optarg;
			break;
		case OPT_CHECK_CONFIG: {
			char cerr[512];

			if (outconf_check_file(optarg, stdout, cerr, sizeof(cerr)) != 0) {
				log_warnx("%s", cerr);
				exit(EXIT_USAGE);
			}
			exit(0);
		}
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
		case OPT_WORKERS:
			if (parse_u64(optarg, 1, MP_MAX_WORKERS, &v) != 0) {
				log_warnx("--workers: '%s' is not a number in 1..%u", optarg, MP_MAX_WORKERS);
				return -1;
			}
			o->workers = (unsigned)v;
			break;
		case OPT_CPUS: {
			char why[256];
			int n = wk_parse_cpus(optarg, o->cpus, MP_MAX_WORKERS, why, sizeof(why));

			if (n < 0 || wk_cpus_usable(o->cpus, (size_t)n, why, sizeof(why)) != 0) {
				log_warnx("--cpus: %s", why);
				return -1;
			}
			o->ncpus = (size_t)n;
			break;
		}
		case OPT_RULES:
			o->rules_dir = optarg;
			break;
		case OPT_REGISTRY:
			o->registry = optarg;
			break;
		case OPT_POLICY:
			o->policy = optarg;
			break;
		case OPT_CHECK_RULES:
			o->check_rules = true;
			break;
		case OPT_SUPPRESS:
			if (parse_u64(optarg, 0, 30u * 86400u, &v) != 0) {
				log_warnx(
				    "--suppress-interval: '%s' is not a number of seconds in 0..2592000",
				    optarg);
				return -1;
			}
			o->suppress_s = (uint32_t)v;
			break;
		case 'w':
			o->write_path = optarg;
			break;
		case OPT_EVIDENCE_DIR:
			o->evidence_dir = optarg;
			break;
		case OPT_REPORT:
			o->report = optarg;
			break;
		case OPT_NO_SCAN:
			o->no_scan = true;
			break;
		case OPT_NO_FANOUT:
			o->no_fanout = true;
			break;
		case OPT_SENSOR_NAME:
			eve_set_sensor_name(optarg);
			break;
		case OPT_CID_SEED:
			if (parse_u64(optarg, 0, UINT16_MAX, &v) != 0) {
				log_warnx("--community-id-seed: '%s' is not a number in 0..65535", optarg);
				return -1;
			}
			o->cid_seed = (uint16_t)v;
			break;
		case OPT_DECAP: {
			char why[160];

			if (decode_parse_tunnels(optarg, &o->tunnels, why, sizeof(why)) != 0) {
				log_warnx("--decap: %s", why);
				return -1;
			}
			break;
		}
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
	if (optind < argc && join_filter_args(o, argc - optind, argv + optind) != 0)
		return -1;
	if (o->check_rules)
		return 0;
	if (o->bpf != NULL && o->bpf[0] != '\0') {
		char why[512];

		if (capture_check_filter(o->bpf, decode_link_supported, why, sizeof(why)) != 0) {
			log_warnx("%s", why);
			return -1;
		}
	}
	if (o->nfiles == 0 && o->nifaces == 0) {
		log_warnx("nothing to read: give -r FILE or -i IFACE");
		usage(stderr);
		return -1;
	}
	if (o->nfiles != 0 && o->nifaces != 0) {
		log_warnx("-r and -i cannot be combined");
		return -1;
	}
	if (o->user != NULL && o->nifaces == 0) {
		log_warnx("-Z applies to live capture (-i) only");
		return -1;
	}
	if (o->workers > 1 && (o->write_path != NULL || o->evidence_dir != NULL)) {
		log_warnx("-w and --evidence-dir need --workers 1");
		return -1;
	}
	if (!o->stats_interval_set)
		o->stats_interval_s = o->nifaces != 0 ? 60 : 0;
	return 0;
}

/* Progress of the file being read, shown on stderr when it is a terminal. */
struct progress {
	struct workers *w;
	struct capture *cap;
	const char *name;
	bool show;
	uint64_t pkts, last_pkts;
	double start, last;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_print(struct progress *pr, double t)
{
	uint64_t done, total;
	double rate = t > pr->last ? (double)(pr->pkts - pr->last_pkts) / (t - pr->last) : 0;

	if (capture_progress(pr->cap, &done, &total) != 0)
		return;
	if (total > 0 && done > 0) {
		double eta = (t - pr->start) * (double)(total - (done < total ? done : total)) / (double)done;
		fprintf(stderr, "\r\033[K%s: %3.0f%%  %.1f/%.1f MB  %.2f Mpkt/s  ETA %d:%02d", pr->name,
			100.0 * (double)done / (double)total, (double)done / 1e6, (double)total / 1e6,
			rate / 1e6, (int)eta / 60, (int)eta % 60);
	} else {
		fprintf(stderr, "\r\033[K%s: %.1f MB  %.2f Mpkt/s", pr->name, (double)done / 1e6, rate / 1e6);
	}
	pr->last = t;
	pr->last_pkts = pr->pkts;
}

/* capture_cb for files: feeds the pipeline, shows progress, honours SIGINT/SIGTERM and SIGUSR1. */
static int file_cb(void *user, int dlt, const struct capture_pkt *pkt)
{
	struct progress *pr = user;

	wk_packet(pr->w, dlt, pkt);
	if (sig_take_stats())
		wk_emit_stats(pr->w, NULL);
	if (pr->show && (++pr->pkts & 0x3fff) == 0) {
		double t = now_s();
		if (t - pr->last >= 0.5)
			progress_print(pr, t);
	}
	return sig_stop_requested();
}

/* Runs every input file through pl. Returns how many files failed (could not be opened, have an
 * unsupported link type, or could not be read to the end) and sets *opened to how many were opened with
 * a supported link type, i.e. were read from. */
static int run_files(const struct options *o, struct workers *pl, size_t *opened)
{
	char err[512];
	int failed = 0;
	uint64_t total = 0;
	struct progress pr;

	*opened = 0;
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
			log_warnx("%s: unsupported link type %s (%d)", o->files[i],
				  capture_datalink_name(dlt), dlt);
			capture_close(cap);
			failed++;
			continue;
		}
		(*opened)++;
		wk_set_source(pl, o->files[i], false);
		pr.w = pl;
		pr.cap = cap;
		pr.name = o->files[i];
		pr.show = !o->quiet && isatty(STDERR_FILENO);
		pr.pkts = pr.last_pkts = 0;
		pr.start = pr.last = now_s();
		rc = capture_run(cap, file_cb, &pr, o->count != 0 ? o->count - total : 0, err, sizeof(err));
		total += capture_packets(cap);
		if (pr.show && pr.start + 0.5 <= pr.last)
			fprintf(stderr, "\r\033[K"); /* the progress line was shown: clear it */
		capture_close(cap);
		if (rc < 0) {
			log_warnx("%s", err);
			failed++;
		}
		if ((o->count != 0 && total >= o->count) || sig_stop_requested())
			break;
	}
	return failed;
}

/* Picks the rule directory: --rules, $MISPORT_RULES, the installed rules, the source tree's. */
static const char *rules_dir(const struct options *o)
{
	const char *env = getenv("MISPORT_RULES");
	char probe[4096];
	int n;

	if (o->rules_dir != NULL)
		return o->rules_dir;
	if (env != NULL && env[0] != '\0')
		return env;
	n = snprintf(probe, sizeof(probe), "%s/registry.tsv", MISPORT_RULES_DIR);
	if (n > 0 && (size_t)n < sizeof(probe) && access(probe, R_OK) == 0)
		return MISPORT_RULES_DIR;
	return MISPORT_SOURCE_RULES_DIR;
}

/* Loads DIR/scan.conf over the built-in defaults (a missing file keeps the defaults). */
static int load_scan_config(const struct options *o, struct scan_config *c, char *err, size_t errlen)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/scan.conf", rules_dir(o));

	scan_config_defaults(c);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "rules directory path too long");
		return -1;
	}
	if (access(path, F_OK) != 0)
		return 0;
	return scan_config_load(c, path, err, errlen);
}

/* State that the SIGHUP reload needs. */
struct reload_ctx {
	const struct options *o;
	struct workers *w;
	struct rules **rules; /* the rule set in force; replaced on a good reload */
};

static int reload_all(void *user)
{
	struct reload_ctx *rc = user;
	struct rules *fresh;
	char err[512];
	int rcode = 0;

	if (rules_load(rules_dir(rc->o), rc->o->registry, rc->o->policy, &fresh, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the previous rules", err);
		rcode = -1;
	} else {
		wk_set_rules(rc->w, fresh);
		rules_free(*rc->rules);
		*rc->rules = fresh;
		log_info("reload: rules from %s", rules_dir(rc->o));
	}
	if (wk_reopen_outputs(rc->w, err, sizeof(err)) != 0) {
		log_warnx("reload: %s", err);
		rcode = -1;
	}
	return rcode;
}

/* Opens every -i interface; returns the number opened, or -1 after logging the failure. */
static int open_ifaces(const struct options *o, struct capture **caps)
{
	char err[512];

	for (size_t i = 0; i < o->nifaces; i++) {
		if (capture_open_live(o->ifaces[i], &o->live, o->bpf, &caps[i], err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			for (size_t k = 0; k < i; k++)
				capture_close(caps[k]);
			return -1;
		}
		if (!decode_link_supported(capture_datalink(caps[i]))) {
			log_warnx("%s: unsupported link type %s (%d)", o->ifaces[i],
				  capture_datalink_name(capture_datalink(caps[i])),
				  capture_datalink(caps[i]));
			for (size_t k = 0; k <= i; k++)
				capture_close(caps[k]);
			return -1;
		}
	}
	return (int)o->nifaces;
}

/* Opens o->workers sockets on every -i interface, those of one interface a kernel fanout group, into
 * caps[i * nifaces + k] (worker i, interface k); each socket gets an equal part of the kernel buffer.
 * Packets stamped before the last socket joined are skipped (capture_set_start), so none is seen twice.
 * Returns the number of sockets opened with *start_us the capture's start; 0 when the kernel cannot
 * make a fanout group (nothing left open: the caller shards in the reader instead); or -1 after logging
 * the failure. */
static int open_fanout(const struct options *o, struct capture **caps, uint64_t *start_us)
{
	struct capture_live_opts lo = o->live;
	size_t total = (size_t)o->workers * o->nifaces;
	uint32_t seed32 = fanout_seed32(o->seed); /* the workers' fanout_hash uses the same */
	char err[512];
	int kib = o->live.buffer_kib > 0 ? o->live.buffer_kib : (int)MP_CAPTURE_BUFFER_KIB, rc = -1;

	lo.buffer_kib = kib / (int)o->workers;
	if (lo.buffer_kib < MP_FANOUT_MIN_BUFFER_KIB)
		lo.buffer_kib = MP_FANOUT_MIN_BUFFER_KIB;
	for (size_t k = 0; k < o->nifaces; k++) {
		int group = -1;

		for (unsigned i = 0; i < o->workers; i++) {
			struct capture **c = &caps[(size_t)i * o->nifaces + k];

			if (capture_open_live(o->ifaces[k], &lo, o->bpf, c, err, sizeof(err)) != 0) {
				log_warnx("%s", err);
				goto fail;
			}
			if (!decode_link_supported(capture_datalink(*c))) {
				log_warnx("%s: unsupported link type %s (%d)", o->ifaces[k],
					  capture_datalink_name(capture_datalink(*c)), capture_datalink(*c));
				goto fail;
			}
			if (capture_fanout_join(*c, &group, seed32, err, sizeof(err)) != 0) {
				log_warnx("%s; the reader thread shards instead (--no-fanout)", err);
				rc = 0;
				goto fail;
			}
		}
		log_debug("%s: %u sockets in packet fanout group %d, %d KiB of kernel buffer each",
			  o->ifaces[k], o->workers, group, lo.buffer_kib);
	}
	*start_us = now_wall_us();
	for (size_t j = 0; j < total; j++)
		capture_set_start(caps[j], *start_us);
	return (int)total;
fail:
	for (size_t j = 0; j < total; j++) {
		capture_close(caps[j]);
		caps[j] = NULL;
	}
	return rc;
}

/* misport explain [--json] [--rules DIR] [--registry FILE] QUERY...: explains ports or service names. */
static int run_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"rules", required_argument, NULL, 'R'},
	    {"registry", required_argument, NULL, 'G'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct options o;
	struct rules *rules;
	bool json = false, colour;
	char err[512];
	int c, rc = 0;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'R':
			o.rules_dir = optarg;
			break;
		case 'G':
			o.registry = optarg;
			break;
		case 'h':
			printf("usage: misport explain [--json] [--rules DIR] [--registry IANA.csv] "
			       "PORT[/tcp|/udp]|NAME ...\n");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_warnx("explain: give a PORT, PORT/tcp, PORT/udp or a service name");
		return EXIT_USAGE;
	}
	if (rules_load(rules_dir(&o), o.registry, NULL, &rules, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_USAGE;
	}
	colour = !json && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	for (int i = optind; i < argc; i++)
		if (explain_query(rules, argv[i], json, colour, stdout, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			rc = EXIT_USAGE;
		}
	rules_free(rules);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct outputs *outs = NULL;
	struct workers *pl = NULL;
	struct pipeline_config pc;
	static struct capture *caps[MP_MAX_INTERFACES * MP_MAX_WORKERS]; /* with fanout, one per worker */
	size_t ncaps = 0;
	uint64_t fan_start_us = 0;
	bool fanout = false;
	struct capture_counters kc;
	struct reload_ctx rctx;
	struct rules *rules = NULL;
	static struct scan_config scfg;
	char err[512];
	int failed, status = EXIT_USAGE;
	FILE *summary_fp;

	if (argc >= 2 && strcmp(argv[1], "explain") == 0) {
		log_init("misport", 0);
		return run_explain(argc - 1, argv + 1);
	}
	memset(&o, 0, sizeof(o));
	o.live.promisc = 1;
	o.live.immediate = 0; /* batched, as tcpdump's default (bench/JOURNAL.md, "live capture") */
	o.workers = 1;
	o.suppress_s = MP_SUPPRESS_INTERVAL_DEFAULT;
	o.tunnels = MP_TUN_ALL;
	log_init("misport", 0);
	if (parse_options(argc, argv, &o) != 0)
		return EXIT_USAGE;
	log_init("misport", o.verbose);
	decode_set_tunnels(o.tunnels); /* before any thread decodes */
	if (heap_tune() < 0)
		log_debug("madvise(MADV_HUGEPAGE) on the heap: %s (4 KiB pages then)", strerror(errno));
	if (sig_install() != 0) {
		log_warn("sigaction");
		return EXIT_USAGE;
	}
	if (rules_load(rules_dir(&o), o.registry, o.policy, &rules, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		return EXIT_USAGE;
	}
	if (load_scan_config(&o, &scfg, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		rules_free(rules);
		return EXIT_USAGE;
	}
	if (o.check_rules) {
		printf("OK: rules from %s\n", rules_dir(&o));
		rules_free(rules);
		return 0;
	}
	if (!o.have_seed && getrandom(&o.seed, sizeof(o.seed), 0) != (ssize_t)sizeof(o.seed))
		o.seed = (uint64_t)(uintptr_t)&o ^ 0x6d6973706f7274ull;

	/* Interfaces and output files are opened before privileges are dropped. */
	if (o.nifaces != 0 && o.workers > 1 && !o.no_fanout) {
		int n = open_fanout(&o, caps, &fan_start_us);

		if (n < 0) {
			rules_free(rules);
			return EXIT_LIVE;
		}
		fanout = n > 0;
		ncaps = (size_t)n;
	}
	if (o.nifaces != 0 && !fanout) {
		if (open_ifaces(&o, caps) < 0) {
			rules_free(rules);
			return EXIT_LIVE;
		}
		ncaps = o.nifaces;
	}
	outs = outputs_new();
	if (outs == NULL) {
		log_warnx("out of memory");
		goto done;
	}
	if (outconf_apply(&o.out, outs, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	if (o.report != NULL && outputs_add(outs, "report", o.report, MP_EVMASK_ALL, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	summary_fp =
	    outconf_uses_stdout(&o.out) || (o.report != NULL && strcmp(o.report, "-") == 0) ? stderr : stdout;
	if (o.user != NULL && priv_drop(o.user, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		goto done;
	}

	memset(&pc, 0, sizeof(pc));
	pc.outputs = outs;
	pc.emit_flows = o.out.flows || o.report != NULL;
	pc.max_flows = o.max_flows;
	pc.seed = o.seed;
	pc.community_id_seed = o.cid_seed;
	pc.rules = rules;
	scfg.seed = o.seed;
	pc.scan_config = o.no_scan ? NULL : &scfg;
	pc.suppress_interval_s = o.suppress_s;
	pc.evidence_path = o.write_path;
	pc.evidence_dir = o.evidence_dir;
	if ((fanout ? wk_new_fanout(&pc, o.workers, caps, o.nifaces, o.ifaces, o.count, &pl, err, sizeof(err))
		    : wk_new(&pc, o.workers, &pl, err, sizeof(err))) != 0) {
		log_warnx("%s", err);
		goto done;
	}
	if (o.ncpus != 0 && wk_pin_cpus(pl, o.cpus, o.ncpus, err, sizeof(err)) != 0) {
		log_warnx("--cpus: %s", err);
		goto done;
	}
	if (o.nifaces != 0) {
		struct live_opts lo = {o.count, o.duration_s, o.stats_interval_s, o.ifaces};

		rctx.o = &o;
		rctx.w = pl;
		rctx.rules = &rules;
		status = 0;
		if (fanout)
			wk_fanout_go(pl, fan_start_us);
		if (live_run(caps, ncaps, pl, &lo, reload_all, &rctx, &kc, err, sizeof(err)) != 0) {
			log_warnx("%s", err);
			status = EXIT_LIVE;
		}
		if (!o.quiet)
			wk_print_summary(pl, summary_fp);
		/* tcpdump's closing lines */
		fprintf(stderr,
			"%llu packets received by filter\n%llu packets dropped by kernel\n"
			"%llu packets dropped by interface\n",
			(unsigned long long)kc.received, (unsigned long long)kc.dropped,
			(unsigned long long)kc.ifdropped);
	} else {
		size_t opened;

		failed = run_files(&o, pl, &opened);
		wk_finish(pl, NULL);
		/* When no input could be read, the error lines say all there is (as with tcpdump and
		 * tshark): a summary of nothing would only bury them. */
		if (!o.quiet && opened != 0)
			wk_print_summary(pl, summary_fp);
		status = failed != 0 ? EXIT_INPUT : 0;
	}
	if (outputs_dropped(outs) != 0)
		log_warnx("%llu events could not be written", outputs_dropped(outs));
done:
	wk_free(pl);
	outputs_free(outs);
	rules_free(rules);
	for (size_t i = 0; i < ncaps; i++)
		capture_close(caps[i]);
	return status;
}
