/* test_workers.c: one pipeline or N sharded worker threads (workers.c). Whatever N, the events are the
 * same: the alerts, the flow records and the final counters of one worker. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/capture.h"
#include "misport/config.h"
#include "misport/output.h"
#include "misport/rules.h"
#include "misport/scan.h"
#include "misport/workers.h"

/* What one run emitted: alert and flow lines (each reduced to a hash, summed so order does not count),
 * and the final stats record's packet and flow counts. */
struct result {
	unsigned alerts, flows;
	uint64_t alert_sum, flow_sum;
	unsigned long long pkts, flows_total;
};

static uint64_t line_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s != '\0' && *s != '\n'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

/* Copies line without its "timestamp" member into out (an event's time is the same for any number of
 * workers, but an empty run's stats record takes the wall clock). */
static void strip(const char *line, char *out, size_t cap)
{
	size_t n = 0;

	while (*line != '\0' && n + 1 < cap) {
		if (strncmp(line, "\"timestamp\":", 12) == 0) {
			while (*line != '\0' && *line != ',' && *line != '}')
				line++;
			continue;
		}
		out[n++] = *line++;
	}
	out[n] = '\0';
}

static unsigned long long number_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	cr_assert_not_null(p, "%s not in %s", key, line);
	return strtoull(p + strlen(key), NULL, 10);
}

/* Reads the captures of pcaps/ named in caps (NULL-terminated) into w. */
static void feed(struct workers *w, const char *const *caps)
{
	char err[256], path[512];

	for (; *caps != NULL; caps++) {
		struct capture *c;

		snprintf(path, sizeof(path), "%s/pcaps/%s", SOURCE_DIR, *caps);
		cr_assert_eq(capture_open_file(path, NULL, &c, err, sizeof(err)), 0, "%s", err);
		cr_assert_geq(capture_run(c, wk_capture_cb, w, 0, err, sizeof(err)), 0, "%s", err);
		capture_close(c);
	}
}

/* n workers with the repository's rules, scan detection and every record to an EVE file. */
struct rig {
	char eve[40]; /* the EVE file, created empty; the caller removes it */
	struct scan_config sc;
	struct outputs *outs;
	struct rules *rules;
	struct workers *w;
};

static void rig_new(struct rig *r, unsigned n)
{
	struct pipeline_config pc;
	char err[256];
	int fd;

	snprintf(r->eve, sizeof(r->eve), "/tmp/misport-test-workers-XXXXXX");
	fd = mkstemp(r->eve);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, &r->rules, err, sizeof(err)), 0, "%s", err);
	r->outs = outputs_new();
	cr_assert_not_null(r->outs);
	cr_assert_eq(outputs_add(r->outs, "eve", r->eve, ~0u, err, sizeof(err)), 0, "%s", err);
	scan_config_defaults(&r->sc);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = r->outs;
	pc.rules = r->rules;
	pc.emit_flows = true;
	pc.seed = 7;
	pc.suppress_interval_s = 60;
	pc.scan_config = &r->sc;
	cr_assert_eq(wk_new(&pc, n, &r->w, err, sizeof(err)), 0, "%s", err);
}

/* Ends the run (wk_finish) and frees everything but the EVE file. */
static void rig_end(struct rig *r)
{
	wk_finish(r->w, NULL);
	wk_free(r->w);
	outputs_free(r->outs);
	rules_free(r->rules);
}

static void run(unsigned n, const char *const *caps, struct result *res)
{
	static char line[1 << 20], bare[1 << 20];
	struct rig r;
	FILE *fp;

	memset(res, 0, sizeof(*res));
	rig_new(&r, n);
	feed(r.w, caps);
	rig_end(&r);
	fp = fopen(r.eve, "r");
	cr_assert_not_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		strip(line, bare, sizeof(bare));
		if (strstr(line, "\"event_type\":\"alert\"") != NULL) {
			res->alerts++;
			res->alert_sum += line_hash(bare);
		} else if (strstr(line, "\"event_type\":\"flow\"") != NULL) {
			res->flows++;
			res->flow_sum += line_hash(bare);
		} else if (strstr(line, "\"event_type\":\"stats\"") != NULL) {
			res->pkts = number_after(line, "\"decoder\":{\"pkts\":");
			res->flows_total = number_after(line, "\"flow\":{\"total\":");
		}
	}
	fclose(fp);
	unlink(r.eve);
}

static void same_as_one(const char *const *caps)
{
	struct result one, many;

	run(1, caps, &one);
	cr_assert_geq(one.alerts, 2u, "too few alerts for the case to mean anything (%u)", one.alerts);
	cr_assert_gt(one.flows, 10u);
	cr_assert_gt(one.pkts, 0u);
	for (unsigned n = 2; n <= 3; n++) {
		run(n, caps, &many);
		cr_assert_eq(many.alerts, one.alerts, "--workers %u: %u alerts, one worker %u", n,
			     many.alerts, one.alerts);
		cr_assert_eq(many.alert_sum, one.alert_sum, "--workers %u: alerts differ", n);
		cr_assert_eq(many.flows, one.flows, "--workers %u: %u flows, one worker %u", n, many.flows,
			     one.flows);
		cr_assert_eq(many.flow_sum, one.flow_sum, "--workers %u: flow records differ", n);
		cr_assert_eq(many.pkts, one.pkts);
		cr_assert_eq(many.flows_total, one.flows_total);
	}
}

/* Alerts of three kinds (a mismatch, legacy ports, scans) and many host pairs in one run. */
Test(workers, any_number_of_workers_emits_what_one_emits)
{
	static const char *const caps[] = {"mixed.pcap",  "http-3098.pcap", "ssh-598.pcap",
					   "dns-80.pcap", "scan-syn.pcap",  NULL};

	same_as_one(caps);
}

/* Each worker's part adds up to the run's totals, the reader's CPU time is counted, and the summary
 * prints the table; before wk_finish, and for a worker that does not exist, there is nothing to read. */
Test(workers, each_workers_part_adds_up_to_the_totals)
{
	static const char *const caps[] = {"mixed.pcap",  "http-3098.pcap", "ssh-598.pcap",
					   "dns-80.pcap", "scan-syn.pcap",  NULL};
	struct wk_worker_stats ws;
	struct pipeline_config pc;
	struct outputs *outs;
	struct rules *rules;
	struct workers *w;
	char err[256], *text = NULL;
	uint64_t pkts = 0, flows = 0;
	size_t len = 0;
	FILE *fp;

	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, &rules, err, sizeof(err)), 0, "%s", err);
	outs = outputs_new();
	cr_assert_not_null(outs);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = outs;
	pc.rules = rules;
	pc.seed = 7;
	cr_assert_eq(wk_new(&pc, 2, &w, err, sizeof(err)), 0, "%s", err);
	feed(w, caps);
	cr_assert_eq(wk_worker_stats(w, 0, &ws), -1, "read before wk_finish");
	wk_finish(w, NULL);
	cr_assert_eq(wk_worker_stats(w, 2, &ws), -1, "worker 2 of 2");
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(wk_worker_stats(w, i, &ws), 0);
		cr_assert_gt(ws.pkts, 0u, "worker %u got no packet (seed 7 gives both some)", i);
		pkts += ws.pkts;
		flows += ws.flows;
		if (i == 0)
			cr_assert_gt(ws.cpu_ns, 0u, "the reader's CPU time is not counted");
	}
	fp = open_memstream(&text, &len);
	cr_assert_not_null(fp);
	wk_print_summary(w, fp);
	fclose(fp);
	cr_assert_not_null(strstr(text, "workers: 2"), "%s", text);
	cr_assert_not_null(strstr(text, "== misport summary =="));
	free(text);
	wk_free(w);
	outputs_free(outs);
	rules_free(rules);

	/* the same input through one pipeline: the totals the parts must add up to */
	outs = outputs_new();
	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, &rules, err, sizeof(err)), 0, "%s", err);
	pc.outputs = outs;
	pc.rules = rules;
	cr_assert_eq(wk_new(&pc, 1, &w, err, sizeof(err)), 0, "%s", err);
	feed(w, caps);
	wk_finish(w, NULL);
	cr_assert_eq(wk_worker_stats(w, 0, &ws), 0);
	cr_assert_eq(ws.pkts, pkts, "one worker %llu packets, the parts of two %llu",
		     (unsigned long long)ws.pkts, (unsigned long long)pkts);
	cr_assert_eq(ws.flows, flows);
	cr_assert_eq(wk_worker_stats(w, 1, &ws), -1);
	wk_free(w);
	outputs_free(outs);
	rules_free(rules);
}

/* A ping sweep and a quick port scan from one source: their flows fall into different workers, and
 * the scan alerts depend on the order in which the shared detector gets them (capture order, merged
 * by src/scanfeed.c; in arrival order two workers gave other alerts). */
Test(workers, the_scan_detector_sees_capture_order)
{
	static const char *const caps[] = {"scan-pingsweep.pcap", "scan-quick.pcap", NULL};

	same_as_one(caps);
}

/* The worker count is checked, with a message. */
Test(workers, refuses_zero_and_too_many)
{
	struct pipeline_config pc;
	struct workers *w = (struct workers *)1;
	char err[256];

	memset(&pc, 0, sizeof(pc));
	cr_assert_eq(wk_new(&pc, 0, &w, err, sizeof(err)), -1);
	cr_assert_null(w);
	cr_assert_not_null(strstr(err, "--workers"), "%s", err);
	cr_assert_eq(wk_new(&pc, MP_MAX_WORKERS + 1, &w, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "--workers"), "%s", err);
}

/* CPU lists in taskset -c's form: numbers and ascending ranges, in the order given, repeats kept;
 * entries past the room are checked but not stored. */
Test(workers, parses_cpu_lists)
{
	unsigned cpus[4];
	char err[256];

	cr_assert_eq(wk_parse_cpus("3", cpus, 4, err, sizeof(err)), 1);
	cr_assert_eq(cpus[0], 3u);
	cr_assert_eq(wk_parse_cpus("1,0", cpus, 4, err, sizeof(err)), 2);
	cr_assert(cpus[0] == 1 && cpus[1] == 0);
	cr_assert_eq(wk_parse_cpus("0,2-3,2", cpus, 4, err, sizeof(err)), 4);
	cr_assert(cpus[0] == 0 && cpus[1] == 2 && cpus[2] == 3 && cpus[3] == 2);
	cr_assert_eq(wk_parse_cpus("0-1023", cpus, 4, err, sizeof(err)), 4, "%s", err);
	cr_assert(cpus[0] == 0 && cpus[3] == 3);
	static const char *const bad[] = {"",    "x",    "1,",     ",1",  "1-", "-1",
					  "3-1", "1024", "0-1024", "1;2", "1 ", "99999999999999999999",
					  NULL};
	for (const char *const *b = bad; *b != NULL; b++) {
		err[0] = '\0';
		cr_assert_eq(wk_parse_cpus(*b, cpus, 4, err, sizeof(err)), -1, "'%s' accepted", *b);
		cr_assert_neq(err[0], '\0', "no message for '%s'", *b);
	}
}

/* Workers for the affinity tests: n pipelines with the shipped rules and no output. */
static struct workers *bare_workers(unsigned n, struct outputs **outs, struct rules **rules)
{
	struct pipeline_config pc;
	struct workers *w;
	char err[256];

	cr_assert_eq(rules_load(SOURCE_DIR "/rules", NULL, NULL, rules, err, sizeof(err)), 0, "%s", err);
	*outs = outputs_new();
	cr_assert_not_null(*outs);
	memset(&pc, 0, sizeof(pc));
	pc.outputs = *outs;
	pc.rules = *rules;
	pc.seed = 7;
	cr_assert_eq(wk_new(&pc, n, &w, err, sizeof(err)), 0, "%s", err);
	return w;
}

/* The single CPU thread tid (of this process) may run on, or -1 when it may run on several. */
static int only_cpu(pid_t tid)
{
	cpu_set_t set;

	cr_assert_eq(sched_getaffinity(tid, sizeof(set), &set), 0);
	if (CPU_COUNT(&set) != 1)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

/* The thread id of the thread named name in this process, or 0. */
static pid_t thread_named(const char *name)
{
	char path[300], comm[64];
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t tid = 0;

	cr_assert_not_null(d);
	while (tid == 0 && (e = readdir(d)) != NULL) {
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		if (fgets(comm, sizeof(comm), fp) != NULL) {
			comm[strcspn(comm, "\n")] = '\0';
			if (strcmp(comm, name) == 0)
				tid = (pid_t)strtol(e->d_name, NULL, 10);
		}
		fclose(fp);
	}
	closedir(d);
	return tid;
}

/* The caller (reader and worker 0) takes the list's first CPU, worker i entry i, the list repeating. */
Test(workers, pins_the_reader_and_each_worker)
{
	struct outputs *outs;
	struct rules *rules;
	struct workers *w = bare_workers(3, &outs, &rules);
	cpu_set_t allowed;
	unsigned cpus[2];
	size_t ncpus = 0;
	char err[256];

	cr_assert_eq(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	/* the last two CPUs this process may use, in reverse order, or the one it has twice */
	for (int c = CPU_SETSIZE - 1; c >= 0 && ncpus < 2; c--)
		if (CPU_ISSET(c, &allowed))
			cpus[ncpus++] = (unsigned)c;
	cr_assert_geq(ncpus, 1u);
	if (ncpus == 1)
		cpus[ncpus++] = cpus[0];
	cr_assert_eq(wk_cpus_usable(cpus, ncpus, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(wk_pin_cpus(w, cpus, ncpus, err, sizeof(err)), 0, "%s", err);
	pid_t w1 = thread_named("misport-w1"), w2 = thread_named("misport-w2");
	cr_assert(w1 != 0 && w2 != 0, "worker threads not found by name");
	cr_assert_eq(only_cpu(0), (int)cpus[0]);
	cr_assert_eq(only_cpu(w1), (int)cpus[1]);
	cr_assert_eq(only_cpu(w2), (int)cpus[0], "the list repeats for worker 2");
	wk_finish(w, NULL);
	wk_free(w);
	outputs_free(outs);
	rules_free(rules);
}

/* A CPU outside the process's set is refused by the check, and by the kernel with a message naming it. */
Test(workers, refuses_a_cpu_it_may_not_use)
{
	struct outputs *outs;
	struct rules *rules;
	struct workers *w = bare_workers(2, &outs, &rules);
	cpu_set_t allowed;
	unsigned cpus[1] = {CPU_SETSIZE - 1};
	char err[256];

	cr_assert_eq(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	cr_assert(!CPU_ISSET(CPU_SETSIZE - 1, &allowed), "this machine may use CPU %d", CPU_SETSIZE - 1);
	cr_assert_eq(wk_cpus_usable(cpus, 1, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "CPU 1023"), "%s", err);
	cr_assert_eq(wk_pin_cpus(w, cpus, 1, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "CPU 1023"), "%s", err);
	cr_assert_eq(sched_getaffinity(0, sizeof(cpu_set_t), &allowed), 0);
	cr_assert(!CPU_ISSET(CPU_SETSIZE - 1, &allowed));
	wk_finish(w, NULL);
	wk_free(w);
	outputs_free(outs);
	rules_free(rules);
}

/* Lines of path that contain needle; every line must be whole (end in a newline). */
static unsigned lines_with(const char *path, const char *needle)
{
	static char line[1 << 20];
	unsigned n = 0;
	FILE *fp = fopen(path, "r");

	cr_assert_not_null(fp, "%s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		cr_assert(strchr(line, '\n') != NULL, "%s: a line cut short: %.60s", path, line);
		n += strstr(line, needle) != NULL;
	}
	fclose(fp);
	return n;
}

/* Log rotation (SIGHUP) while the workers emit: the EVE file is renamed, then reopened between two
 * captures; the stats record emitted before it is in the old file, the final one in the new, and the two
 * together hold every alert and flow record of a run without rotation, each line whole. */
Test(workers, reopened_outputs_lose_nothing)
{
	static const char *const first[] = {"mixed.pcap", NULL}, *const second[] = {"scan-syn.pcap", NULL},
				 *const both[] = {"mixed.pcap", "scan-syn.pcap", NULL};

	for (unsigned n = 1; n <= 2; n++) {
		char old[64], err[256];
		struct result whole;
		struct rig r;

		rig_new(&r, n);
		snprintf(old, sizeof(old), "%s.1", r.eve);
		feed(r.w, first);
		wk_emit_stats(r.w, NULL); /* a record that must land in the old file */
		cr_assert_eq(rename(r.eve, old), 0);
		cr_assert_eq(wk_reopen_outputs(r.w, err, sizeof(err)), 0, "%s", err);
		feed(r.w, second);
		rig_end(&r);

		run(n, both, &whole);
		cr_assert_eq(lines_with(old, "\"event_type\":\"stats\""), 1u, "--workers %u", n);
		cr_assert_eq(lines_with(r.eve, "\"event_type\":\"stats\""), 1u, "--workers %u", n);
		cr_assert_eq(lines_with(old, "\"event_type\":\"alert\"") +
				 lines_with(r.eve, "\"event_type\":\"alert\""),
			     whole.alerts, "--workers %u", n);
		cr_assert_eq(lines_with(old, "\"event_type\":\"flow\"") +
				 lines_with(r.eve, "\"event_type\":\"flow\""),
			     whole.flows, "--workers %u", n);
		unlink(old);
		unlink(r.eve);
	}
}
