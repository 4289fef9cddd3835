/* scan.h: scan detector: per-source TRW (Jung et al. 2004) and windowed portscan/portsweep/ping sweep.
 *
 * Input is one record per finished flow (connstate.h labels it); memory is bounded (a source table with
 * counted eviction, capped per-window sets); output is one alert per scanner and window, with a closing
 * update that carries the final figures; policy lists and parameters come from rules/scan.conf. */
#ifndef MISPORT_SCAN_H
#define MISPORT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "misport/alert.h"
#include "misport/config.h"
#include "misport/connstate.h"

/* Signature ids (rules/README-scan.md); the closing update of a scan keeps the id of its first alert. */
#define SCAN_SID_PORTSCAN_TCP  9000100u
#define SCAN_SID_PORTSCAN_UDP  9000101u
#define SCAN_SID_PORTSWEEP_TCP 9000102u
#define SCAN_SID_PORTSWEEP_UDP 9000103u
#define SCAN_SID_PINGSWEEP     9000104u
#define SCAN_SID_TRW           9000105u

/* One network (address/prefix) of a policy list. */
struct scan_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* Detector parameters and policy; plain data (copyable). scan_config_defaults fills every field. */
struct scan_config {
	bool trw_enabled;
	double trw_theta0, trw_theta1, trw_pd, trw_pf;
	uint32_t window_s, grace_s, hold_s, idle_s;
	uint32_t portscan_ports;  /* 0 disables the vertical detector */
	uint32_t portsweep_hosts; /* 0 disables the horizontal detector */
	uint32_t pingsweep_hosts; /* 0 disables the ping sweep detector */
	uint32_t max_sources;
	uint64_t mem_max;
	uint64_t seed; /* hash seed (set it per run) */
	/* TRW over every first contact; default: only contacts to home_net (the paper's setting) */
	bool trw_all_targets;
	/* 0: the built-in local ranges (RFC 1918, RFC 6598, link-local, loopback, ULA) */
	uint32_t n_home_net;
	struct scan_cidr home_net[MP_SCAN_MAX_POLICY];
	uint32_t n_ignore_scanner, n_never_flag, n_ignore_target;
	/* known scanners: no alert, flows are scan-noise */
	struct scan_cidr ignore_scanner[MP_SCAN_MAX_POLICY];
	/* sources never tracked nor flagged */
	struct scan_cidr never_flag[MP_SCAN_MAX_POLICY];
	/* probes to these targets are not counted */
	struct scan_cidr ignore_target[MP_SCAN_MAX_POLICY];
	char source[160]; /* "# source:" header of the rules file, "" when none */
	char date[40];    /* "# date:" header of the rules file */
};

/* Fills c with the compiled defaults (config.h) and empty policy lists. */
void scan_config_defaults(struct scan_config *c);

/* Reads the rules file at path (format in rules/README-scan.md) on top of c. Returns 0, or -1 with err
 * filled as "path:line: message" (or "path: message"); c may then be partly updated. */
int scan_config_load(struct scan_config *c, const char *path, char *err, size_t errlen);

/* Checks c's parameters (0 < theta1 < theta0 < 1, 0 < PF < PD < 1, window > 0, ...). Returns 0, or -1
 * with err filled. */
int scan_config_check(const struct scan_config *c, char *err, size_t errlen);

/* Parses "a.b.c.d[/n]" or "v6addr[/n]" into *out. Returns 0, or -1 with err filled. */
int scan_cidr_parse(const char *text, struct scan_cidr *out, char *err, size_t errlen);

/* Returns true when addr (family 4: first 4 bytes) lies in c. */
bool scan_cidr_match(const struct scan_cidr *c, uint8_t family, const uint8_t addr[16]);

/* TRW arithmetic in the log domain: Lambda = prod P(Y|H1)/P(Y|H0) over first contacts; a source is a
 * scanner when ln Lambda >= ln_eta1 = ln(PD/PF), benign when ln Lambda <= ln_eta0 = ln((1-PD)/(1-PF)). */
struct scan_trw {
	double ln_eta0, ln_eta1;
	double step_success; /* ln(theta1/theta0), negative */
	double step_failure; /* ln((1-theta1)/(1-theta0)), positive */
};

enum scan_trw_decision { SCAN_TRW_PENDING = 0, SCAN_TRW_SCANNER, SCAN_TRW_BENIGN };

/* Derives t from the four parameters. Returns 0, or -1 with err filled when they are out of range. */
int scan_trw_init(struct scan_trw *t, double theta0, double theta1, double pd, double pf, char *err,
		  size_t errlen);

/* Adds one first-contact outcome to *llr and returns the decision it reaches. On SCAN_TRW_BENIGN the
 * walk restarts (*llr = 0), as a benign source may start scanning later. */
enum scan_trw_decision scan_trw_step(const struct scan_trw *t, double *llr, bool success);

/* Failed first contacts in a row (no success) that flag a source: ceil(ln_eta1 / step_failure). */
unsigned scan_trw_failures_to_flag(const struct scan_trw *t);

/* One finished flow (or probe) from client to server, as the scan detector sees it. Plain data; the
 * strings are read during scan_observe only. */
struct scan_probe {
	uint64_t first_us, last_us; /* flow start and last packet, capture time */
	uint64_t flow_id;
	uint8_t family;   /* 4 or 6 */
	uint8_t ip_proto; /* 6, 17, 1, 58 */
	uint16_t vlan;
	uint8_t client[16], server[16];
	uint16_t client_port, server_port; /* 0 for ICMP */
	struct conn_result conn;           /* conn_classify of the flow */
	const char *app_proto;             /* nDPI's name of the flow ("HTTP"), NULL or "" when none */
	const char *mismatch; /* the verdict the flow would get ("port-mismatch"), NULL when none */
};

/* Receives each alert; it is valid only during the call (copy it to keep it). */
typedef void (*scan_alert_cb)(const struct mp_alert *a, void *user);

struct scan_stats {
	uint64_t records;        /* scan_observe calls */
	uint64_t probes;         /* records that were probes (conn.probe != NONE) and counted */
	uint64_t ignored_policy; /* records dropped by never-flag or ignore-target, or from ignore-scanner */
	uint64_t exempt;         /* records of a source the server had contacted first */
	uint64_t sources_created, sources_evicted, sources_evicted_mem, sources_expired;
	uint32_t sources_active, sources_peak;
	uint64_t mem_bytes, mem_peak;
	uint64_t targets_overflow, pairs_overflow, ports_overflow, contacts_overflow, mismatches_overflow;
	uint64_t contact_pairs_replaced;
	uint64_t scanners;                 /* scan alerts that opened a window (first alerts) */
	uint64_t alerts, updates;          /* alerts emitted: first alerts and closing updates */
	uint64_t updates_counted;          /* records folded into an alerted window instead of a new alert */
	uint64_t reports_dropped;          /* scanners not listed in the summary (MP_SCAN_MAX_REPORTS) */
	uint64_t trw_scanners, trw_benign; /* TRW decisions */
};

struct scan_detector;

/* Creates a detector from cfg (copied; checked with scan_config_check). Alerts go to cb(a, user).
 * Returns 0, or -1 with err filled. The caller owns *out (scan_free). */
int scan_new(const struct scan_config *cfg, scan_alert_cb cb, void *user, struct scan_detector **out,
	     char *err, size_t errlen);

/* Frees the detector without emitting anything (call scan_flush first for the final updates). NULL is
 * allowed. */
void scan_free(struct scan_detector *sd);

/* Counts one finished flow. Never fails: memory limits evict state (counted). May call the alert
 * callback (first alert of a window, or the closing update of a window the record's time has passed). */
void scan_observe(struct scan_detector *sd, const struct scan_probe *p);

/* Notes that initiator opened a connection to responder (a session, not a probe): later records from
 * responder to initiator are not first contacts and count for no detector ("sources that local servers
 * contacted first are not scanners"). scan_observe notes this itself for every flow with payload both
 * ways; call this too when a connection becomes established, to cover flows still open. */
void scan_note_contact(struct scan_detector *sd, uint8_t family, const uint8_t initiator[16],
		       const uint8_t responder[16], uint64_t ts_us);

/* Returns true when addr is a scanner at capture time now_us: flagged (and within the hold time after
 * its last record), or in an ignore-scanner network. Flows from it get verdict scan-noise. */
bool scan_is_scanner(const struct scan_detector *sd, uint8_t family, const uint8_t addr[16], uint64_t now_us);

/* Closes windows that ended before now_us - grace (emitting their closing updates) and drops sources idle
 * longer than idle_s and no longer held. Call it with the capture time, e.g. on every flow sweep. */
void scan_expire(struct scan_detector *sd, uint64_t now_us);

/* Closes every open window now (emitting closing updates); call it at the end of input, after the flow
 * table was flushed (so every flow record has been observed). */
void scan_flush(struct scan_detector *sd);

const struct scan_stats *scan_get_stats(const struct scan_detector *sd);

/* Prints the scanners found (address, type, transports, targets, ports, probes, open/closed/filtered,
 * time span, mismatches) and the detector's counters to fp. */
void scan_print_summary(const struct scan_detector *sd, FILE *fp);

#endif
