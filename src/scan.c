/* scan.c: scan detector: TRW and windowed portscan/portsweep/ping-sweep thresholds, bounded, alerting. */
#include "misport/scan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "misport/chain.h"
#include "misport/dlist.h"
#include "misport/output.h"

enum { TR_TCP = 0, TR_UDP = 1, TR_N = 2 };

/* Detector bits of a window. */
enum { DET_TRW = 1, DET_PORTSCAN = 2, DET_PORTSWEEP = 4, DET_PINGSWEEP = 8 };

/* Inline capacities: the sets of a source that probed once or twice need no allocation of their own. */
#define INL_TARGETS 2
#define INL_SLOTS   4

/* Length of one stored mismatch text ("probed 65535/tcp with HTTP.Google (port-mismatch)"). */
#define MM_LEN 96

/* One target of a window; kept in an append-only vector so its index is stable. */
struct tgt {
	uint8_t addr[16];
	uint32_t pairs;         /* distinct (transport, port) probed */
	uint32_t counted[TR_N]; /* distinct ports with a counted probe (failed or stealth), per transport */
	uint32_t records;
	uint8_t ans;    /* bits (1 << enum conn_answer) this target answered with */
	uint8_t pinged; /* an ICMP echo/timestamp request went to it */
};

/* A (transport, port) of a window. key is (transport << 16 | port) + 1; 0 marks a free slot. */
struct portent {
	uint32_t key;
	uint16_t targets; /* distinct targets probed on it (saturates) */
	uint16_t counted; /* distinct targets with a counted probe on it (saturates) */
};

/* A pair entry: bits 0-15 port, 16 transport, 17-31 target index + 1 (never 0), 32-39 answers seen,
 * bit 40 counted. */
#define PAIR_KEY_MASK  0xffffffffull
#define PAIR_ANS_SHIFT 32
#define PAIR_COUNTED   (1ull << 40)

/* Aggregation window of one source. */
struct win {
	uint64_t start_us, first_us, last_us;
	uint64_t records, probes, sessions, records_at_alert;
	uint64_t counted;        /* records that were counted probes (see counted_probe) */
	uint64_t halfopen;       /* SYN probes answered SYN-ACK and reset by the client (nmap -sS) */
	uint64_t connect_nodata; /* handshakes the client completed, then closed without data (nmap -sT) */
	uint64_t kinds[CONN_PROBE_COUNT];
	uint64_t proto_records[3]; /* TCP, UDP, ICMP */
	uint32_t over_targets, over_pairs, over_ports, over_mm;
	uint32_t vert[TR_N], vert_tidx[TR_N];
	uint32_t horiz[TR_N];
	uint16_t horiz_port[TR_N];
	uint32_t pinged;
	struct tgt *tv;
	uint32_t tn, tcap;
	uint32_t *tix; /* open-addressing index into tv: index + 1, 0 free */
	uint32_t tixcap;
	uint64_t *pairs;
	uint32_t pn, pcap;
	struct portent *ports;
	uint32_t portn, portcap;
	char (*mm)[MM_LEN];
	uint32_t nmm;
	uint8_t open, alerted, detectors, primary, primary_tr;
	uint32_t sid;
	uint8_t lo[16], hi[16];
	struct tgt tv_inl[INL_TARGETS];
	uint32_t tix_inl[INL_SLOTS];
	uint64_t pairs_inl[INL_SLOTS];
	struct portent ports_inl[INL_SLOTS];
};

/* One source (potential scanner). */
struct src {
	uint8_t addr[16];
	uint8_t family;
	uint8_t tier;    /* 0 probation (one record), 1 protected */
	uint8_t flagged; /* a detector flagged it (held until held_until_us) */
	uint8_t trw_flagged;
	uint8_t last_primary;
	uint32_t hash;
	uint64_t records;
	uint64_t seen_us, held_until_us;
	double llr;
	uint32_t trw_ok, trw_fail;
	uint32_t *contacts; /* open-addressing set of target fingerprints (never 0) for TRW */
	uint32_t ncontacts, ccap;
	uint32_t contacts_inl[INL_SLOTS];
	struct src *hnext, *lprev, *lnext, *wprev, *wnext;
	struct win w;
};

/* A scanner as the summary lists it. */
struct report {
	uint8_t addr[16];
	uint8_t family;
	char type[40];
	char transports[24];
	uint64_t first_us, last_us;
	uint64_t targets, ports, probes, open, closed, filtered;
	uint32_t windows, mismatches;
	char signature[256];
};

struct cpair {
	uint64_t fp, ts;
};

struct srclist {
	struct src *head, *tail;
};

struct scan_detector {
	struct scan_config cfg;
	struct scan_trw trw;
	scan_alert_cb cb;
	void *user;
	struct src **buckets;
	uint32_t mask;
	uint32_t max_buckets;      /* the bucket count max_sources needs; the array doubles up to it */
	struct srclist lru[2];     /* probation, protected; least recently active first */
	struct src *whead, *wtail; /* sources with an open window, oldest window first */
	struct cpair *cpairs;      /* MP_SCAN_CONTACT_PAIRS entries in sets of 4 */
	uint32_t cset_mask;
	struct report *reports;
	uint32_t nreports;
	/* freed sources kept for reuse (at most MP_SCAN_SPARE_SOURCES), chained by hnext */
	struct src *spare;
	uint32_t nspare;
	uint64_t now_us;
	struct scan_stats st;
};

/* ---------- small helpers ---------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t addr_hash(uint64_t seed, uint8_t family, const uint8_t a[16])
{
	uint64_t w0, w1;

	memcpy(&w0, a, 8);
	memcpy(&w1, a + 8, 8);
	return mix64(mix64(seed ^ family ^ w0) ^ w1);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *addr_str(uint8_t family, const uint8_t a[16], char *buf, size_t cap)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)cap) == NULL)
		copy_str(buf, cap, "?");
	return buf;
}

static int addr_cmp(const uint8_t *x, const uint8_t *y)
{
	return memcmp(x, y, 16);
}

/* A bounded string builder: text that does not fit is dropped and trunc is set. */
struct sbuf {
	char *p;
	size_t cap, len;
	bool trunc;
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->trunc = false;
	p[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static bool sb_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->trunc)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->p[b->len] = '\0';
		b->trunc = true;
		return false;
	}
	b->len += (size_t)n;
	return true;
}

/* ---------- configuration ---------- */

void scan_config_defaults(struct scan_config *c)
{
	memset(c, 0, sizeof(*c));
	c->trw_enabled = true;
	c->trw_theta0 = MP_SCAN_TRW_THETA0;
	c->trw_theta1 = MP_SCAN_TRW_THETA1;
	c->trw_pd = MP_SCAN_TRW_PD;
	c->trw_pf = MP_SCAN_TRW_PF;
	c->window_s = MP_SCAN_WINDOW_S;
	c->grace_s = MP_SCAN_GRACE_S;
	c->hold_s = MP_SCAN_HOLD_S;
	c->idle_s = MP_SCAN_IDLE_S;
	c->portscan_ports = MP_SCAN_PORTSCAN_PORTS;
	c->portsweep_hosts = MP_SCAN_PORTSWEEP_HOSTS;
	c->pingsweep_hosts = MP_SCAN_PINGSWEEP_HOSTS;
	c->max_sources = MP_SCAN_MAX_SOURCES_DEFAULT;
	c->mem_max = MP_SCAN_MEM_MAX_DEFAULT;
}

int scan_trw_init(struct scan_trw *t, double theta0, double theta1, double pd, double pf, char *err,
		  size_t errlen)
{
	if (!(theta1 > 0.0 && theta1 < theta0 && theta0 < 1.0)) {
		snprintf(err, errlen, "TRW needs 0 < theta1 < theta0 < 1 (theta0 %g, theta1 %g)", theta0,
			 theta1);
		return -1;
	}
	if (!(pf > 0.0 && pf < pd && pd < 1.0)) {
		snprintf(err, errlen, "TRW needs 0 < PF < PD < 1 (PD %g, PF %g)", pd, pf);
		return -1;
	}
	t->ln_eta1 = log(pd / pf);
	t->ln_eta0 = log((1.0 - pd) / (1.0 - pf));
	t->step_success = log(theta1 / theta0);
	t->step_failure = log((1.0 - theta1) / (1.0 - theta0));
	return 0;
}

enum scan_trw_decision scan_trw_step(const struct scan_trw *t, double *llr, bool success)
{
	*llr += success ? t->step_success : t->step_failure;
	if (*llr >= t->ln_eta1)
		return SCAN_TRW_SCANNER;
	if (*llr <= t->ln_eta0) {
		*llr = 0.0;
		return SCAN_TRW_BENIGN;
	}
	return SCAN_TRW_PENDING;
}

unsigned scan_trw_failures_to_flag(const struct scan_trw *t)
{
	double q = t->ln_eta1 / t->step_failure;
	unsigned n;

	if (!(q < 1e9))
		return 1000000000u;
	n = q <= 1.0 ? 1u : (unsigned)ceil(q);
	/* Settle rounding the way scan_trw_step adds: n failures reach the threshold, n - 1 do not. */
	while (n > 1 && (double)(n - 1) * t->step_failure >= t->ln_eta1)
		n--;
	while ((double)n * t->step_failure < t->ln_eta1)
		n++;
	return n;
}

int scan_config_check(const struct scan_config *c, char *err, size_t errlen)
{
	struct scan_trw t;

	if (scan_trw_init(&t, c->trw_theta0, c->trw_theta1, c->trw_pd, c->trw_pf, err, errlen) != 0)
		return -1;
	if (c->window_s == 0) {
		snprintf(err, errlen, "window must be at least 1 s");
		return -1;
	}
	if (c->max_sources < 16 || c->max_sources > (1u << 26)) {
		snprintf(err, errlen, "max-sources must be between 16 and %u", 1u << 26);
		return -1;
	}
	if (c->mem_max < 65536) {
		snprintf(err, errlen, "memory must be at least 64k");
		return -1;
	}
	if (c->n_ignore_scanner > MP_SCAN_MAX_POLICY || c->n_never_flag > MP_SCAN_MAX_POLICY ||
	    c->n_ignore_target > MP_SCAN_MAX_POLICY) {
		snprintf(err, errlen, "too many policy entries");
		return -1;
	}
	return 0;
}

int scan_cidr_parse(const char *text, struct scan_cidr *out, char *err, size_t errlen)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t n = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf)) {
		snprintf(err, errlen, "bad address '%s'", text);
		return -1;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		max = 128;
	} else {
		snprintf(err, errlen, "bad address '%s'", buf);
		return -1;
	}
	out->prefix = (uint8_t)max;
	if (slash != NULL) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || v > max) {
			snprintf(err, errlen, "bad prefix length in '%s'", text);
			return -1;
		}
		out->prefix = (uint8_t)v;
	}
	/* Clear the host bits so that matching compares networks. */
	for (unsigned i = out->prefix; i < max; i++)
		out->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	return 0;
}

bool scan_cidr_match(const struct scan_cidr *c, uint8_t family, const uint8_t addr[16])
{
	unsigned full = c->prefix / 8u, rest = c->prefix % 8u;

	if (c->family != family)
		return false;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((addr[full] ^ c->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool in_list(const struct scan_cidr *list, uint32_t n, uint8_t family, const uint8_t addr[16])
{
	for (uint32_t i = 0; i < n; i++)
		if (scan_cidr_match(&list[i], family, addr))
			return true;
	return false;
}

static int parse_u32(const char *v, uint32_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x > 0xffffffffull)
		return -1;
	*out = (uint32_t)x;
	return 0;
}

static int parse_bytes(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;
	uint64_t mul = 1;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		mul = 1024u, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024u * 1024u, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024u * 1024u * 1024u, end++;
	if (*end != '\0' || x > UINT64_MAX / mul)
		return -1;
	*out = x * mul;
	return 0;
}

static int parse_prob(const char *v, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(x > 0.0 && x < 1.0))
		return -1;
	*out = x;
	return 0;
}

/* Applies one "key value" line; returns 0, or -1 with msg filled (without the file:line prefix). */
static int apply_line(struct scan_config *c, const char *key, const char *val, char *msg, size_t msglen)
{
	struct {
		const char *name;
		uint32_t *field;
	} u32s[] = {
	    {"window", &c->window_s},
	    {"grace", &c->grace_s},
	    {"hold", &c->hold_s},
	    {"idle", &c->idle_s},
	    {"portscan-ports", &c->portscan_ports},
	    {"portsweep-hosts", &c->portsweep_hosts},
	    {"pingsweep-hosts", &c->pingsweep_hosts},
	    {"max-sources", &c->max_sources},
	};
	struct {
		const char *name;
		double *field;
	} probs[] = {
	    {"trw-theta0", &c->trw_theta0},
	    {"trw-theta1", &c->trw_theta1},
	    {"trw-pd", &c->trw_pd},
	    {"trw-pf", &c->trw_pf},
	};
	struct {
		const char *name;
		struct scan_cidr *list;
		uint32_t *n;
	} lists[] = {
	    {"ignore-scanner", c->ignore_scanner, &c->n_ignore_scanner},
	    {"never-flag", c->never_flag, &c->n_never_flag},
	    {"ignore-target", c->ignore_target, &c->n_ignore_target},
	    {"home-net", c->home_net, &c->n_home_net},
	};

	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
		if (strcmp(key, u32s[i].name) != 0)
			continue;
		if (parse_u32(val, u32s[i].field) != 0) {
			snprintf(msg, msglen, "%s: '%s' is not a whole number", key, val);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++) {
		if (strcmp(key, probs[i].name) != 0)
			continue;
		if (parse_prob(val, probs[i].field) != 0) {
			snprintf(msg, msglen, "%s: '%s' is not a probability strictly between 0 and 1", key,
				 val);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char cerr[96];

		if (strcmp(key, lists[i].name) != 0)
			continue;
		if (*lists[i].n >= MP_SCAN_MAX_POLICY) {
			snprintf(msg, msglen, "%s: more than %u entries", key, MP_SCAN_MAX_POLICY);
			return -1;
		}
		if (scan_cidr_parse(val, &lists[i].list[*lists[i].n], cerr, sizeof(cerr)) != 0) {
			snprintf(msg, msglen, "%s: %s", key, cerr);
			return -1;
		}
		(*lists[i].n)++;
		return 0;
	}
	if (strcmp(key, "trw") == 0) {
		if (strcmp(val, "on") == 0)
			c->trw_enabled = true;
		else if (strcmp(val, "off") == 0)
			c->trw_enabled = false;
		else {
			snprintf(msg, msglen, "trw: expected on or off, got '%s'", val);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "trw-targets") == 0) {
		if (strcmp(val, "home-net") == 0)
			c->trw_all_targets = false;
		else if (strcmp(val, "all") == 0)
			c->trw_all_targets = true;
		else {
			snprintf(msg, msglen, "trw-targets: expected home-net or all, got '%s'", val);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "memory") == 0) {
		if (parse_bytes(val, &c->mem_max) != 0) {
			snprintf(msg, msglen, "memory: '%s' is not a size (bytes, or with k, m, g)", val);
			return -1;
		}
		return 0;
	}
	snprintf(msg, msglen, "unknown key '%s'", key);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Keeps the text after "# source:" / "# date:" in the header comments. */
static void header_comment(struct scan_config *c, const char *line)
{
	const char *p = line + 1;

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "source:", 7) == 0 && c->source[0] == '\0') {
		char tmp[sizeof(c->source)];

		copy_str(tmp, sizeof(tmp), p + 7);
		copy_str(c->source, sizeof(c->source), trim(tmp));
	} else if (strncmp(p, "date:", 5) == 0 && c->date[0] == '\0') {
		char tmp[sizeof(c->date)];

		copy_str(tmp, sizeof(tmp), p + 5);
		copy_str(c->date, sizeof(c->date), trim(tmp));
	}
}

int scan_config_load(struct scan_config *c, const char *path, char *err, size_t errlen)
{
	char line[MP_SCAN_CONF_LINE_MAX];
	unsigned lineno = 0;
	FILE *fp = fopen(path, "r");
	int rc = -1;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char msg[256], *s, *key, *val, *hash;
		size_t n = strlen(line);

		lineno++;
		if (n == sizeof(line) - 1 && line[n - 1] != '\n' && !feof(fp)) {
			snprintf(err, errlen, "%s:%u: line longer than %u bytes", path, lineno,
				 MP_SCAN_CONF_LINE_MAX - 2);
			goto out;
		}
		s = trim(line);
		if (*s == '#') {
			header_comment(c, s);
			continue;
		}
		if ((hash = strchr(s, '#')) != NULL)
			*hash = '\0';
		s = trim(s);
		if (*s == '\0')
			continue;
		key = s;
		val = key + strcspn(key, " \t");
		if (*val == '\0') {
			snprintf(err, errlen, "%s:%u: '%s' needs a value", path, lineno, key);
			goto out;
		}
		*val++ = '\0';
		val = trim(val);
		if (strcspn(val, " \t") != strlen(val)) {
			snprintf(err, errlen, "%s:%u: %s takes one value, got '%s'", path, lineno, key, val);
			goto out;
		}
		if (apply_line(c, key, val, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (scan_config_check(c, line, sizeof(line)) != 0) {
		snprintf(err, errlen, "%s: %s", path, line);
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

/* ---------- memory accounting ---------- */

static void mem_add(struct scan_detector *sd, size_t bytes)
{
	sd->st.mem_bytes += bytes;
	if (sd->st.mem_bytes > sd->st.mem_peak)
		sd->st.mem_peak = sd->st.mem_bytes;
}

static void mem_sub(struct scan_detector *sd, size_t bytes)
{
	sd->st.mem_bytes -= bytes <= sd->st.mem_bytes ? bytes : sd->st.mem_bytes;
}

static void evict_source(struct scan_detector *sd, struct src *s, bool mem);

/* Makes room for `bytes` more under mem_max by evicting other sources (least recently active,
 * probation first). Returns false when it cannot (the caller then stops growing). */
static bool reserve(struct scan_detector *sd, size_t bytes, const struct src *self)
{
	while (sd->st.mem_bytes + bytes > sd->cfg.mem_max && sd->spare != NULL) {
		struct src *sp = sd->spare;

		sd->spare = sp->hnext;
		sd->nspare--;
		free(sp);
		mem_sub(sd, sizeof(*sp));
	}
	while (sd->st.mem_bytes + bytes > sd->cfg.mem_max) {
		struct src *victim = NULL;

		for (int t = 0; t < 2 && victim == NULL; t++)
			for (struct src *s = sd->lru[t].head; s != NULL; s = s->lnext)
				if (s != self) {
					victim = s;
					break;
				}
		if (victim == NULL)
			return false;
		evict_source(sd, victim, true);
	}
	return true;
}

/* Allocates a zero-filled heap array of n elements for a set of self, within the memory cap. Returns NULL
 * when refused. */
static void *set_alloc(struct scan_detector *sd, const struct src *self, uint32_t n, size_t size)
{
	void *p;

	if (!reserve(sd, (size_t)n * size, self) || (p = calloc(n, size)) == NULL)
		return NULL;
	mem_add(sd, (size_t)n * size);
	return p;
}

/* Releases a set's array unless it is the inline one. */
static void set_free(struct scan_detector *sd, void *p, const void *inl, uint32_t cap, size_t size)
{
	if (p == NULL || p == inl)
		return;
	free(p);
	mem_sub(sd, (size_t)cap * size);
}

/* ---------- per-window sets ---------- */

static void win_free(struct scan_detector *sd, struct win *w)
{
	set_free(sd, w->tv, w->tv_inl, w->tcap, sizeof(*w->tv));
	set_free(sd, w->tix, w->tix_inl, w->tixcap, sizeof(*w->tix));
	set_free(sd, w->pairs, w->pairs_inl, w->pcap, sizeof(*w->pairs));
	set_free(sd, w->ports, w->ports_inl, w->portcap, sizeof(*w->ports));
	set_free(sd, w->mm, NULL, MP_SCAN_MAX_MISMATCHES, MM_LEN);
	memset(w, 0, sizeof(*w));
}

static uint32_t tgt_hash(const uint8_t a[16])
{
	return (uint32_t)addr_hash(0x9e3779b97f4a7c15ull, 0, a);
}

/* Rebuilds the target index at capacity newcap. */
static bool tix_rebuild(struct scan_detector *sd, struct src *s, uint32_t newcap)
{
	struct win *w = &s->w;
	uint32_t *ix;

	if (newcap <= INL_SLOTS && w->tix == NULL)
		ix = memset(w->tix_inl, 0, sizeof(w->tix_inl)), newcap = INL_SLOTS;
	else if ((ix = set_alloc(sd, s, newcap, sizeof(*ix))) == NULL)
		return false;
	for (uint32_t i = 0; i < w->tn; i++) {
		uint32_t h = tgt_hash(w->tv[i].addr) & (newcap - 1);

		while (ix[h] != 0)
			h = (h + 1) & (newcap - 1);
		ix[h] = i + 1;
	}
	set_free(sd, w->tix, w->tix_inl, w->tixcap, sizeof(*ix));
	w->tix = ix;
	w->tixcap = newcap;
	return true;
}

/* Finds or adds target a; returns its index, or -1 when the per-window cap or memory refuses it. */
static int64_t tgt_get(struct scan_detector *sd, struct src *s, const uint8_t a[16], bool *added)
{
	struct win *w = &s->w;
	uint32_t h;

	*added = false;
	if (w->tixcap != 0) {
		for (h = tgt_hash(a) & (w->tixcap - 1); w->tix[h] != 0; h = (h + 1) & (w->tixcap - 1))
			if (addr_cmp(w->tv[w->tix[h] - 1].addr, a) == 0)
				return w->tix[h] - 1;
	}
	if (w->tn >= MP_SCAN_MAX_TARGETS)
		return -1;
	if (w->tcap == 0) {
		w->tv = w->tv_inl;
		w->tcap = INL_TARGETS;
	} else if (w->tn == w->tcap) {
		uint32_t nc = w->tcap * 2;
		struct tgt *tv = set_alloc(sd, s, nc, sizeof(*tv));

		if (tv == NULL)
			return -1;
		memcpy(tv, w->tv, (size_t)w->tn * sizeof(*tv));
		set_free(sd, w->tv, w->tv_inl, w->tcap, sizeof(*tv));
		w->tv = tv;
		w->tcap = nc;
	}
	if ((w->tn + 1) * 2 > w->tixcap && !tix_rebuild(sd, s, w->tixcap == 0 ? 4 : w->tixcap * 2))
		return -1;
	memcpy(w->tv[w->tn].addr, a, 16);
	for (h = tgt_hash(a) & (w->tixcap - 1); w->tix[h] != 0; h = (h + 1) & (w->tixcap - 1))
		;
	w->tix[h] = w->tn + 1;
	if (w->tn == 0 || addr_cmp(a, w->lo) < 0)
		memcpy(w->lo, a, 16);
	if (w->tn == 0 || addr_cmp(a, w->hi) > 0)
		memcpy(w->hi, a, 16);
	*added = true;
	return w->tn++;
}

static uint32_t u64_slot(uint64_t key, uint32_t cap)
{
	return (uint32_t)(mix64(key) & (cap - 1));
}

/* Finds or adds a pair; returns a pointer to its entry, or NULL when refused. */
static uint64_t *pair_get(struct scan_detector *sd, struct src *s, uint64_t key, bool *added)
{
	struct win *w = &s->w;
	uint32_t h;

	*added = false;
	if (w->pcap != 0) {
		for (h = u64_slot(key, w->pcap); w->pairs[h] != 0; h = (h + 1) & (w->pcap - 1))
			if ((w->pairs[h] & PAIR_KEY_MASK) == key)
				return &w->pairs[h];
	}
	if (w->pn >= MP_SCAN_MAX_PAIRS)
		return NULL;
	if (w->pcap == 0) {
		w->pairs = w->pairs_inl;
		w->pcap = INL_SLOTS;
	} else if ((w->pn + 1) * 2 > w->pcap) {
		uint32_t nc = w->pcap * 2;
		uint64_t *np = set_alloc(sd, s, nc, sizeof(*np));

		if (np == NULL)
			return NULL;
		for (uint32_t i = 0; i < w->pcap; i++) {
			if (w->pairs[i] == 0)
				continue;
			for (h = u64_slot(w->pairs[i] & PAIR_KEY_MASK, nc); np[h] != 0;
			     h = (h + 1) & (nc - 1))
				;
			np[h] = w->pairs[i];
		}
		set_free(sd, w->pairs, w->pairs_inl, w->pcap, sizeof(*np));
		w->pairs = np;
		w->pcap = nc;
	}
	for (h = u64_slot(key, w->pcap); w->pairs[h] != 0; h = (h + 1) & (w->pcap - 1))
		;
	w->pairs[h] = key;
	w->pn++;
	*added = true;
	return &w->pairs[h];
}

/* Finds or adds a (transport, port) entry; NULL when refused. */
static struct portent *port_get(struct scan_detector *sd, struct src *s, uint32_t key)
{
	struct win *w = &s->w;
	uint32_t h;

	if (w->portcap != 0) {
		for (h = u64_slot(key, w->portcap); w->ports[h].key != 0; h = (h + 1) & (w->portcap - 1))
			if (w->ports[h].key == key)
				return &w->ports[h];
	}
	if (w->portn >= MP_SCAN_MAX_PORTS)
		return NULL;
	if (w->portcap == 0) {
		w->ports = w->ports_inl;
		w->portcap = INL_SLOTS;
	} else if ((w->portn + 1) * 2 > w->portcap) {
		uint32_t nc = w->portcap * 2;
		struct portent *np = set_alloc(sd, s, nc, sizeof(*np));

		if (np == NULL)
			return NULL;
		for (uint32_t i = 0; i < w->portcap; i++) {
			if (w->ports[i].key == 0)
				continue;
			for (h = u64_slot(w->ports[i].key, nc); np[h].key != 0; h = (h + 1) & (nc - 1))
				;
			np[h] = w->ports[i];
		}
		set_free(sd, w->ports, w->ports_inl, w->portcap, sizeof(*np));
		w->ports = np;
		w->portcap = nc;
	}
	for (h = u64_slot(key, w->portcap); w->ports[h].key != 0; h = (h + 1) & (w->portcap - 1))
		;
	w->ports[h].key = key;
	w->portn++;
	return &w->ports[h];
}

/* Adds target fingerprint fp to the source's TRW contact set. Returns 1 when new, 0 when known, -1 when
 * the set is full (counted). */
static int contact_add(struct scan_detector *sd, struct src *s, uint32_t fp)
{
	uint32_t h;

	fp |= 1u;
	if (s->ccap != 0) {
		for (h = fp & (s->ccap - 1); s->contacts[h] != 0; h = (h + 1) & (s->ccap - 1))
			if (s->contacts[h] == fp)
				return 0;
	}
	if (s->ncontacts >= MP_SCAN_MAX_CONTACTS) {
		sd->st.contacts_overflow++;
		return -1;
	}
	if (s->ccap == 0) {
		s->contacts = s->contacts_inl;
		s->ccap = INL_SLOTS;
	} else if ((s->ncontacts + 1) * 2 > s->ccap) {
		uint32_t nc = s->ccap * 2;
		uint32_t *np = set_alloc(sd, s, nc, sizeof(*np));

		if (np == NULL) {
			sd->st.contacts_overflow++;
			return -1;
		}
		for (uint32_t i = 0; i < s->ccap; i++) {
			if (s->contacts[i] == 0)
				continue;
			for (h = s->contacts[i] & (nc - 1); np[h] != 0; h = (h + 1) & (nc - 1))
				;
			np[h] = s->contacts[i];
		}
		set_free(sd, s->contacts, s->contacts_inl, s->ccap, sizeof(*np));
		s->contacts = np;
		s->ccap = nc;
	}
	for (h = fp & (s->ccap - 1); s->contacts[h] != 0; h = (h + 1) & (s->ccap - 1))
		;
	s->contacts[h] = fp;
	s->ncontacts++;
	return 1;
}

/* ---------- source table ---------- */

static void list_remove(struct srclist *l, struct src *s)
{
	MP_DLIST_REMOVE(&l->head, &l->tail, s, lprev, lnext);
}

static void list_append(struct srclist *l, struct src *s)
{
	MP_DLIST_APPEND(&l->head, &l->tail, s, lprev, lnext);
}

static void wlist_remove(struct scan_detector *sd, struct src *s)
{
	MP_DLIST_REMOVE(&sd->whead, &sd->wtail, s, wprev, wnext);
}

static void wlist_append(struct scan_detector *sd, struct src *s)
{
	MP_DLIST_APPEND(&sd->whead, &sd->wtail, s, wprev, wnext);
}

static struct src *src_find(const struct scan_detector *sd, uint8_t family, const uint8_t addr[16],
			    uint32_t h)
{
	for (struct src *s = sd->buckets[h & sd->mask]; s != NULL; s = s->hnext)
		if (s->hash == h && s->family == family && memcmp(s->addr, addr, 16) == 0)
			return s;
	return NULL;
}

static void close_window(struct scan_detector *sd, struct src *s);

/* Unlinks and frees s; an alerted window is closed first (its update emitted). */
static void src_destroy(struct scan_detector *sd, struct src *s)
{
	struct src **pp = &sd->buckets[s->hash & sd->mask];

	if (s->w.open)
		close_window(sd, s);
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	list_remove(&sd->lru[s->tier], s);
	set_free(sd, s->contacts, s->contacts_inl, s->ccap, sizeof(*s->contacts));
	sd->st.sources_active--;
	if (sd->nspare < MP_SCAN_SPARE_SOURCES) {
		s->hnext = sd->spare; /* still counted in mem_bytes: it stays allocated */
		sd->spare = s;
		sd->nspare++;
		return;
	}
	free(s);
	mem_sub(sd, sizeof(*s));
}

static void evict_source(struct scan_detector *sd, struct src *s, bool mem)
{
	if (mem)
		sd->st.sources_evicted_mem++;
	else
		sd->st.sources_evicted++;
	src_destroy(sd, s);
}

/* Doubles the bucket array once the live sources outnumber the buckets, up to max_buckets. A failed
 * allocation keeps the old array (longer chains); only bucket chains change, never results. */
static void src_maybe_grow(struct scan_detector *sd)
{
	uint32_t nb = (sd->mask + 1) * 2;
	struct src **nbk;

	if (sd->st.sources_active <= sd->mask + 1 || nb > sd->max_buckets)
		return;
	if ((nbk = calloc(nb, sizeof(*nbk))) == NULL)
		return;
	MP_CHAIN_REHASH(struct src, sd->buckets, sd->mask + 1, nbk, nb, hash, hnext);
	free(sd->buckets);
	sd->buckets = nbk;
	sd->mask = nb - 1;
}

/* Finds or creates the source; NULL only when memory is exhausted. */
static struct src *src_get(struct scan_detector *sd, uint8_t family, const uint8_t addr[16])
{
	uint32_t h = (uint32_t)addr_hash(sd->cfg.seed, family, addr);
	struct src *s = src_find(sd, family, addr, h);

	if (s != NULL) {
		list_remove(&sd->lru[s->tier], s);
		s->tier = 1; /* a second record: protected from the eviction of one-record sources */
		list_append(&sd->lru[1], s);
		s->seen_us = sd->now_us;
		return s;
	}
	if (sd->st.sources_active >= sd->cfg.max_sources) {
		struct src *victim = sd->lru[0].head != NULL ? sd->lru[0].head : sd->lru[1].head;

		if (victim != NULL)
			evict_source(sd, victim, false);
	}
	if ((s = sd->spare) != NULL) {
		sd->spare = s->hnext;
		sd->nspare--;
		memset(s, 0, sizeof(*s));
	} else {
		if (!reserve(sd, sizeof(*s), NULL) || (s = calloc(1, sizeof(*s))) == NULL)
			return NULL;
		mem_add(sd, sizeof(*s));
	}
	memcpy(s->addr, addr, 16);
	s->family = family;
	s->hash = h;
	s->seen_us = sd->now_us;
	s->hnext = sd->buckets[h & sd->mask];
	sd->buckets[h & sd->mask] = s;
	list_append(&sd->lru[0], s);
	sd->st.sources_created++;
	if (++sd->st.sources_active > sd->st.sources_peak)
		sd->st.sources_peak = sd->st.sources_active;
	src_maybe_grow(sd);
	return s;
}

/* ---------- contact pairs ("X initiated a connection to Y") ---------- */

static uint64_t cpair_fp(const struct scan_detector *sd, uint8_t family, const uint8_t *init,
			 const uint8_t *resp)
{
	return mix64(addr_hash(sd->cfg.seed, family, init) ^ mix64(addr_hash(~sd->cfg.seed, family, resp))) |
	       1u;
}

void scan_note_contact(struct scan_detector *sd, uint8_t family, const uint8_t initiator[16],
		       const uint8_t responder[16], uint64_t ts_us)
{
	uint64_t fp = cpair_fp(sd, family, initiator, responder);
	struct cpair *set = &sd->cpairs[(fp >> 1 & sd->cset_mask) * 4];
	struct cpair *slot = NULL;

	for (int i = 0; i < 4; i++) {
		if (set[i].fp == fp) {
			if (ts_us > set[i].ts)
				set[i].ts = ts_us;
			return;
		}
		if (slot == NULL && set[i].fp == 0)
			slot = &set[i];
	}
	if (slot == NULL) {
		slot = &set[0];
		for (int i = 1; i < 4; i++)
			if (set[i].ts < slot->ts)
				slot = &set[i];
	}
	if (slot->fp != 0)
		sd->st.contact_pairs_replaced++;
	slot->fp = fp;
	slot->ts = ts_us;
}

static bool contacted_first(const struct scan_detector *sd, uint8_t family, const uint8_t *init,
			    const uint8_t *resp, uint64_t now_us)
{
	uint64_t fp = cpair_fp(sd, family, init, resp);
	const struct cpair *set = &sd->cpairs[(fp >> 1 & sd->cset_mask) * 4];
	uint64_t ttl = (uint64_t)sd->cfg.idle_s * 1000000u;

	for (int i = 0; i < 4; i++)
		if (set[i].fp == fp)
			return now_us <= set[i].ts || now_us - set[i].ts <= ttl;
	return false;
}

/* ---------- alerts ---------- */

static int tr_of(uint8_t ip_proto)
{
	return ip_proto == 17 ? TR_UDP : TR_TCP;
}

static const char *tr_name(int tr)
{
	return tr == TR_UDP ? "udp" : "tcp";
}

static const char *det_name(uint8_t det)
{
	switch (det) {
	case DET_PORTSCAN:
		return "portscan";
	case DET_PORTSWEEP:
		return "portsweep";
	case DET_PINGSWEEP:
		return "pingsweep";
	default:
		return "trw";
	}
}

/* Figures of a window, computed when an alert is written. */
struct figures {
	uint32_t targets, ports[TR_N], answering, silent;
	uint32_t open, closed, filtered, unfiltered;
	char open_list[MP_ALERT_META_VALUE];
	char open_services[MP_ALERT_META_VALUE];
	char ranges[MP_ALERT_META_VALUE];
};

/* Appends "1-1000,3098,8080" (each token followed by "/" suffix when suffix is not NULL) for the ports set in
 * bitmap bm to b, keeping reserve_tail bytes free; returns how many ranges did not fit. */
static uint32_t ranges_of(const uint8_t *bm, struct sbuf *b, const char *suffix, size_t reserve_tail)
{
	uint32_t left = 0;
	bool first = b->len == 0 || b->p[b->len - 1] == ',';

	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t e;
		char item[24];
		int n;

		if (!(bm[p >> 3] & (1u << (p & 7))))
			continue;
		for (e = p; e + 1 < 65536 && (bm[(e + 1) >> 3] & (1u << ((e + 1) & 7))); e++)
			;
		if (e == p)
			n = snprintf(item, sizeof(item), "%s%u%s%s", first ? "" : ",", p, suffix ? "/" : "",
				     suffix ? suffix : "");
		else
			n = snprintf(item, sizeof(item), "%s%u-%u%s%s", first ? "" : ",", p, e,
				     suffix ? "/" : "", suffix ? suffix : "");
		if (left > 0 || n < 0 || b->len + (size_t)n + reserve_tail >= b->cap)
			left++;
		else {
			sb_addf(b, "%s", item);
			first = false;
		}
		p = e;
	}
	return left;
}

/* Orders pair keys of window w by target address, transport and port (for qsort_r). */
/* Orders pair keys of window w by transport, port and target address (for qsort_r). */
static int open_cmp(const void *x, const void *y, void *ctx)
{
	const struct win *w = ctx;
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	if ((a & 0x1ffff) != (b & 0x1ffff))
		return (a & 0x1ffff) < (b & 0x1ffff) ? -1 : 1;
	return addr_cmp(w->tv[((a >> 17) & 0x7fff) - 1].addr, w->tv[((b >> 17) & 0x7fff) - 1].addr);
}

/* "10.98.0.10:22/tcp,10.98.0.11:22/tcp": the open (target, port) pairs of a window with several targets,
 * in port order; a transient sorted copy is made. */
static void open_services(const struct win *w, uint8_t family, uint32_t nopen, char *buf, size_t cap)
{
	uint64_t *v = malloc((size_t)nopen * sizeof(*v));
	uint32_t n = 0, unlisted = 0;
	struct sbuf b;

	sb_init(&b, buf, cap);
	for (uint32_t i = 0; v != NULL && i < w->pcap; i++)
		if (w->pairs[i] != 0 && ((w->pairs[i] >> PAIR_ANS_SHIFT) & (1u << CONN_ANS_OPEN)))
			v[n++] = w->pairs[i] & PAIR_KEY_MASK;
	if (v != NULL)
		qsort_r(v, n, sizeof(*v), open_cmp, (void *)(uintptr_t)w);
	for (uint32_t i = 0; i < n; i++) {
		char item[80], ab[64];
		int len = snprintf(item, sizeof(item), "%s%s:%u/%s", b.len ? "," : "",
				   addr_str(family, w->tv[((v[i] >> 17) & 0x7fff) - 1].addr, ab, sizeof(ab)),
				   (unsigned)(v[i] & 0xffff), tr_name((int)(v[i] >> 16 & 1)));

		/* Keep room for the " (+N more)" tail. */
		if (i >= MP_SCAN_MAX_OPEN_LISTED || len < 0 || b.len + (size_t)len + 20 >= b.cap)
			unlisted++;
		else
			sb_addf(&b, "%s", item);
	}
	unlisted += nopen - n; /* none listed when the copy could not be made */
	free(v);
	if (unlisted > 0)
		sb_addf(&b, " (+%u more)", unlisted);
}

static void window_figures(const struct win *w, uint8_t family, struct figures *f)
{
	uint8_t bm[TR_N][8192], open[TR_N][8192];
	struct sbuf ob, rb;
	uint32_t more = 0;
	bool both;

	memset(f, 0, sizeof(*f));
	memset(bm, 0, sizeof(bm));
	memset(open, 0, sizeof(open));
	f->targets = w->tn + w->over_targets;
	for (uint32_t i = 0; i < w->tn; i++) {
		uint8_t a = w->tv[i].ans;

		if (a & ((1u << CONN_ANS_OPEN) | (1u << CONN_ANS_CLOSED) | (1u << CONN_ANS_UNFILTERED)))
			f->answering++;
		else
			f->silent++;
	}
	for (uint32_t i = 0; i < w->portcap; i++) {
		uint32_t k = w->ports[i].key;

		if (k == 0)
			continue;
		k--;
		f->ports[k >> 16]++;
		bm[k >> 16][(k & 0xffff) >> 3] |= (uint8_t)(1u << (k & 7));
	}
	for (uint32_t i = 0; i < w->pcap; i++) {
		uint64_t e = w->pairs[i];
		uint8_t a;

		if (e == 0)
			continue;
		a = (uint8_t)(e >> PAIR_ANS_SHIFT);
		if (a & (1u << CONN_ANS_OPEN)) {
			f->open++;
			open[e >> 16 & 1][(e & 0xffff) >> 3] |= (uint8_t)(1u << (e & 7));
		} else if (a & (1u << CONN_ANS_CLOSED))
			f->closed++;
		else if (a & (1u << CONN_ANS_UNFILTERED))
			f->unfiltered++;
		else
			f->filtered++;
	}
	/* Distinct open ports, in port order: "22/tcp,53/tcp,53/udp". */
	sb_init(&ob, f->open_list, sizeof(f->open_list));
	for (int tr = 0; tr < TR_N && f->open > 0; tr++) {
		uint32_t unlisted = 0;

		for (uint32_t p = 0; p < 65536; p++) {
			if (!(open[tr][p >> 3] & (1u << (p & 7))))
				continue;
			if (ob.len + 32 >= ob.cap)
				unlisted++;
			else
				sb_addf(&ob, "%s%u/%s", ob.len ? "," : "", p, tr_name(tr));
		}
		if (unlisted > 0)
			sb_addf(&ob, " (+%u more %s)", unlisted, tr_name(tr));
	}
	if (w->tn > 1 && f->open > 0)
		open_services(w, family, f->open, f->open_services, sizeof(f->open_services));
	/* Probed port ranges; with both transports every token says its transport. */
	sb_init(&rb, f->ranges, sizeof(f->ranges));
	both = f->ports[TR_TCP] > 0 && f->ports[TR_UDP] > 0;
	for (int tr = 0; tr < TR_N; tr++) {
		if (f->ports[tr] == 0)
			continue;
		if (rb.len > 0 && more == 0)
			sb_addf(&rb, ",");
		more += ranges_of(bm[tr], &rb, both ? tr_name(tr) : NULL, 24);
	}
	if (more > 0)
		sb_addf(&rb, " (+%u more ranges)", more);
}

static void duration_text(uint64_t first_us, uint64_t last_us, char *buf, size_t cap)
{
	uint64_t d = last_us > first_us ? last_us - first_us : 0;

	if (d < 10000000u)
		snprintf(buf, cap, "%.1f s", (double)d / 1e6);
	else
		snprintf(buf, cap, "%llu s", (unsigned long long)((d + 500000u) / 1000000u));
}

/* "SYN scan", "NULL/FIN/Xmas scan": the kinds of a transport with at least a tenth of its probes. A probe
 * of a closed port looks the same in a SYN and a connect scan (SYN, RST); what the scanner did with the
 * open ports tells them apart: reset the SYN-ACK (SYN scan) or complete the handshake (connect scan). */
static void kinds_text(const struct win *w, int which, char *buf, size_t cap)
{
	static const enum conn_probe tcp_kinds[] = {CONN_PROBE_SYN,  CONN_PROBE_NULL, CONN_PROBE_FIN,
						    CONN_PROBE_XMAS, CONN_PROBE_ACK,  CONN_PROBE_MAIMON};
	static const enum conn_probe udp_kinds[] = {CONN_PROBE_UDP};
	static const enum conn_probe icmp_kinds[] = {CONN_PROBE_ICMP_ECHO, CONN_PROBE_ICMP_TS};
	const enum conn_probe *k = which == 0 ? tcp_kinds : which == 1 ? udp_kinds : icmp_kinds;
	size_t n = which == 0 ? 6 : which == 1 ? 1 : 2;
	uint64_t counts[6], total = 0, scans = 0;
	struct sbuf b;

	sb_init(&b, buf, cap);
	for (size_t i = 0; i < n; i++) {
		counts[i] = w->kinds[k[i]];
		/* the SYN family: SYN and connect probes, less the version probes */
		if (k[i] == CONN_PROBE_SYN)
			counts[i] += w->kinds[CONN_PROBE_CONNECT] - w->sessions;
		total += counts[i];
	}
	for (size_t i = 0; i < n; i++) {
		const char *t = conn_probe_title(k[i]);
		size_t len = strlen(t);

		if (counts[i] == 0 || counts[i] * 10 < total)
			continue;
		if (k[i] == CONN_PROBE_SYN && w->connect_nodata > w->halfopen)
			t = conn_probe_title(CONN_PROBE_CONNECT), len = strlen(t);
		if (which == 0 && len > 5 && strcmp(t + len - 5, " scan") == 0)
			sb_addf(&b, "%s%.*s", scans++ ? "/" : "", (int)(len - 5), t);
		else
			sb_addf(&b, "%s%s", scans++ ? "/" : "", t);
	}
	if (which == 0 && scans > 0)
		sb_addf(&b, " scan");
	if (which == 0 && w->sessions > 0)
		sb_addf(&b, "%s%llu version probe%s", scans ? ", " : "", (unsigned long long)w->sessions,
			w->sessions == 1 ? "" : "s");
	if (b.len == 0)
		sb_addf(&b, "probes");
}

static void report_update(struct scan_detector *sd, const struct src *s, const struct mp_alert *a,
			  const struct figures *f, bool first)
{
	struct report *r = NULL;
	const struct win *w = &s->w;
	const char *v;

	for (uint32_t i = 0; i < sd->nreports; i++)
		if (sd->reports[i].family == s->family && memcmp(sd->reports[i].addr, s->addr, 16) == 0) {
			r = &sd->reports[i];
			break;
		}
	if (r == NULL) {
		if (sd->nreports >= MP_SCAN_MAX_REPORTS) {
			if (first)
				sd->st.reports_dropped++;
			return;
		}
		r = &sd->reports[sd->nreports++];
		memset(r, 0, sizeof(*r));
		memcpy(r->addr, s->addr, 16);
		r->family = s->family;
		r->first_us = w->first_us;
	}
	if (first)
		r->windows++;
	copy_str(r->type, sizeof(r->type), (v = alert_meta_get(a, "scan_type")) != NULL ? v : "");
	copy_str(r->transports, sizeof(r->transports), (v = alert_meta_get(a, "transport")) != NULL ? v : "");
	if (w->first_us < r->first_us)
		r->first_us = w->first_us;
	if (w->last_us > r->last_us)
		r->last_us = w->last_us;
	/* Figures are those of the latest window (the summary shows the latest alert's sentence). */
	r->targets = f->targets;
	r->ports = f->ports[0] + f->ports[1];
	r->probes = w->records;
	r->open = f->open;
	r->closed = f->closed;
	r->filtered = f->filtered;
	r->mismatches = w->nmm + w->over_mm;
	copy_str(r->signature, sizeof(r->signature), a->signature);
}

/* Writes and emits the alert of s's window: the first alert (update false) or the closing update. */
static void emit(struct scan_detector *sd, struct src *s, bool update)
{
	struct win *w = &s->w;
	struct mp_alert a;
	struct figures f;
	char sb[64], tb[64], lo[64], hi[64], dur[32], kinds[128], ts[40];
	struct sbuf b;
	int ptr = w->primary_tr;
	uint8_t det = w->primary;
	bool tcp = w->proto_records[0] > 0, udp = w->proto_records[1] > 0, icmp = w->proto_records[2] > 0;

	window_figures(w, s->family, &f);
	memset(&a, 0, sizeof(a));
	a.ts_us = w->last_us;
	a.family = s->family;
	memcpy(a.src_ip, s->addr, 16);
	addr_str(s->family, s->addr, sb, sizeof(sb));
	addr_str(s->family, w->lo, lo, sizeof(lo));
	addr_str(s->family, w->hi, hi, sizeof(hi));
	duration_text(w->first_us, w->last_us, dur, sizeof(dur));
	a.severity = 2;
	copy_str(a.category, sizeof(a.category), "Attempted Information Leak");
	sb_init(&b, a.signature, sizeof(a.signature));
	switch (det) {
	case DET_PORTSCAN: {
		const struct tgt *t = &w->tv[w->vert_tidx[ptr]];

		kinds_text(w, ptr == TR_UDP ? 1 : 0, kinds, sizeof(kinds));
		a.ip_proto = ptr == TR_UDP ? 17 : 6;
		/* Several targets: the lowest one, so the record does not depend on which worker's probe
		 * reached the shared detector first. */
		memcpy(a.dst_ip, f.targets <= 1 ? t->addr : w->lo, 16);
		a.signature_id = ptr == TR_UDP ? SCAN_SID_PORTSCAN_UDP : SCAN_SID_PORTSCAN_TCP;
		if (f.targets <= 1)
			sb_addf(&b, "%s scanned %u %s ports of %s in %s (%s)", sb, f.ports[ptr],
				ptr ? "UDP" : "TCP", addr_str(s->family, t->addr, tb, sizeof(tb)), dur,
				kinds);
		else
			sb_addf(&b, "%s scanned %u %s ports on %u hosts (%s-%s) in %s (%s)", sb, f.ports[ptr],
				ptr ? "UDP" : "TCP", f.targets, lo, hi, dur, kinds);
		break;
	}
	case DET_PORTSWEEP:
		kinds_text(w, ptr == TR_UDP ? 1 : 0, kinds, sizeof(kinds));
		a.ip_proto = ptr == TR_UDP ? 17 : 6;
		memcpy(a.dst_ip, w->lo, 16);
		a.dst_port = w->horiz_port[ptr];
		a.signature_id = ptr == TR_UDP ? SCAN_SID_PORTSWEEP_UDP : SCAN_SID_PORTSWEEP_TCP;
		sb_addf(&b, "%s swept %u hosts (%s-%s) on %u/%s", sb, f.targets, lo, hi, w->horiz_port[ptr],
			tr_name(ptr));
		if (f.ports[ptr] > 1)
			sb_addf(&b, " and %u other %s ports", f.ports[ptr] - 1, ptr ? "UDP" : "TCP");
		sb_addf(&b, " in %s (%s)", dur, kinds);
		break;
	case DET_PINGSWEEP: {
		uint32_t up = 0;

		for (uint32_t i = 0; i < w->tn; i++)
			up += (w->tv[i].ans & (1u << CONN_ANS_OPEN)) != 0;
		kinds_text(w, 2, kinds, sizeof(kinds));
		a.ip_proto = s->family == 6 ? 58 : 1;
		memcpy(a.dst_ip, w->lo, 16);
		a.signature_id = SCAN_SID_PINGSWEEP;
		sb_addf(&b, "%s swept %u hosts (%s-%s) in %s (ping sweep: %s; %u answered)", sb, w->pinged,
			lo, hi, dur, kinds, up);
		break;
	}
	default:
		kinds_text(w, tcp ? 0 : udp ? 1 : 2, kinds, sizeof(kinds));
		a.ip_proto = tcp ? 6 : udp ? 17 : (s->family == 6 ? 58 : 1);
		memcpy(a.dst_ip, w->lo, 16);
		a.signature_id = SCAN_SID_TRW;
		sb_addf(&b, "%s failed %u of %u first contacts, %u hosts probed in %s (%s; TRW)", sb,
			s->trw_fail, s->trw_fail + s->trw_ok, f.targets, dur, kinds);
		break;
	}
	if (update) {
		size_t keep = b.len;

		if (!sb_addf(&b, " [final, %llu more records]",
			     (unsigned long long)(w->records - w->records_at_alert))) {
			b.len = keep;
			b.p[keep] = '\0';
		}
		a.signature_id = w->sid;
	} else {
		w->sid = a.signature_id;
	}

	alert_meta_add(&a, "verdict", "scan");
	alert_meta_add(&a, "record", update ? "scan-update" : "scan-alert");
	alert_meta_add(&a, "scan_type", det_name(det));
	{
		char dets[64];
		struct sbuf db;

		sb_init(&db, dets, sizeof(dets));
		for (uint8_t d = DET_TRW; d <= DET_PINGSWEEP; d = (uint8_t)(d << 1))
			if (w->detectors & d)
				sb_addf(&db, "%s%s", db.len ? "," : "", det_name(d));
		alert_meta_add(&a, "detected_by", dets);
	}
	alert_meta_addf(&a, "transport", "%s%s%s%s%s", tcp ? "tcp" : "", tcp && (udp || icmp) ? "," : "",
			udp ? "udp" : "", udp && icmp ? "," : "",
			icmp ? (s->family == 6 ? "icmpv6" : "icmp") : "");
	{
		char pk[160];
		struct sbuf pb;

		sb_init(&pb, pk, sizeof(pk));
		for (int k = 1; k < CONN_PROBE_COUNT; k++)
			if (w->kinds[k] > 0)
				sb_addf(&pb, "%s%s", pb.len ? "," : "", conn_probe_name((enum conn_probe)k));
		alert_meta_add(&a, "probe_kind", pk);
	}
	alert_meta_addf(&a, "targets", "%u", f.targets);
	if (f.targets > 1)
		alert_meta_addf(&a, "target_range", "%s-%s", lo, hi);
	else
		alert_meta_add(&a, "target_range", lo);
	alert_meta_addf(&a, "ports", "%u", f.ports[0] + f.ports[1]);
	alert_meta_add(&a, "port_ranges", f.ranges);
	alert_meta_addf(&a, "probes", "%llu", (unsigned long long)w->records);
	if (f.open_list[0] != '\0')
		alert_meta_add(&a, "open_ports", f.open_list);
	if (f.open_services[0] != '\0')
		alert_meta_add(&a, "open_services", f.open_services);
	alert_meta_addf(&a, "open_count", "%u", f.open);
	alert_meta_addf(&a, "closed_ports", "%u", f.closed);
	alert_meta_addf(&a, "filtered_ports", "%u", f.filtered);
	if (f.unfiltered > 0)
		alert_meta_addf(&a, "unfiltered_ports", "%u", f.unfiltered);
	alert_meta_addf(&a, "targets_answering", "%u", f.answering);
	alert_meta_addf(&a, "targets_silent", "%u", f.silent);
	eve_timestamp(w->first_us, ts, sizeof(ts));
	alert_meta_add(&a, "first_seen", ts);
	eve_timestamp(w->last_us, ts, sizeof(ts));
	alert_meta_add(&a, "last_seen", ts);
	alert_meta_addf(&a, "trw", "failed=%u ok=%u llr=%.2f", s->trw_fail, s->trw_ok, s->llr);
	if (w->nmm > 0) {
		char mm[MP_ALERT_META_VALUE];
		struct sbuf mb;

		sb_init(&mb, mm, sizeof(mm));
		for (uint32_t i = 0; i < w->nmm; i++)
			sb_addf(&mb, "%s%s", i ? "; " : "", w->mm[i]);
		if (w->over_mm > 0)
			sb_addf(&mb, " (+%u more)", w->over_mm);
		alert_meta_add(&a, "mismatches", mm);
	}
	alert_meta_addf(&a, "updates", "%llu", (unsigned long long)(w->records - w->records_at_alert));
	if (update)
		sd->st.updates++;
	else
		sd->st.scanners++;
	sd->st.alerts++;
	report_update(sd, s, &a, &f, !update);
	if (sd->cb != NULL)
		sd->cb(&a, sd->user);
}

/* Closes s's window: the closing update of an alerted window when it changed since the alert, or the
 * one alert of a window of a still-flagged source that crossed no threshold this time. */
static void close_window(struct scan_detector *sd, struct src *s)
{
	struct win *w = &s->w;

	if (!w->open)
		return;
	if (w->alerted) {
		if (w->records > w->records_at_alert)
			emit(sd, s, true);
	} else if (s->flagged && w->counted > 0 && w->start_us <= s->held_until_us) {
		w->primary = s->last_primary != 0 ? s->last_primary : DET_TRW;
		w->detectors |= w->primary;
		w->primary_tr = w->proto_records[1] > w->proto_records[0] ? TR_UDP : TR_TCP;
		if (w->primary == DET_PORTSCAN)
			w->primary_tr = w->vert[TR_UDP] > w->vert[TR_TCP] ? TR_UDP : TR_TCP;
		else if (w->primary == DET_PORTSWEEP)
			w->primary_tr = w->horiz[TR_UDP] > w->horiz[TR_TCP] ? TR_UDP : TR_TCP;
		if ((w->primary == DET_PINGSWEEP && w->pinged == 0) || w->tn == 0)
			w->primary = DET_TRW;
		w->records_at_alert = w->records;
		emit(sd, s, false);
	}
	wlist_remove(sd, s);
	win_free(sd, w);
}

/* ---------- detection ---------- */

/* Probes that count for the thresholds: failures (Zeek counts failed attempts only), every stealth and
 * ACK probe, and half-open SYN probes of open ports (SYN, SYN-ACK, RST: nmap -sS). */
static bool counted_probe(const struct conn_result *c)
{
	if (c->probe == CONN_PROBE_ICMP_ECHO || c->probe == CONN_PROBE_ICMP_TS || c->probe == CONN_PROBE_NONE)
		return false;
	if (c->outcome == CONN_OUT_FAILURE || c->probe == CONN_PROBE_ACK)
		return true;
	return c->probe == CONN_PROBE_SYN && c->answer == CONN_ANS_OPEN && !c->client_data;
}

static void add_mismatch(struct scan_detector *sd, struct src *s, const struct scan_probe *p)
{
	struct win *w = &s->w;
	char text[MM_LEN];
	const char *proto =
	    p->app_proto != NULL && p->app_proto[0] != '\0' ? p->app_proto : "an unknown protocol";

	snprintf(text, sizeof(text), "probed %u/%s with %s (%s)", p->server_port,
		 p->ip_proto == 17 ? "udp" : "tcp", proto, p->mismatch);
	for (uint32_t i = 0; i < w->nmm; i++)
		if (strcmp(w->mm[i], text) == 0)
			return;
	if (w->nmm >= MP_SCAN_MAX_MISMATCHES) {
		w->over_mm++;
		sd->st.mismatches_overflow++;
		return;
	}
	if (w->mm == NULL) {
		size_t sz = (size_t)MP_SCAN_MAX_MISMATCHES * MM_LEN;

		if (!reserve(sd, sz, s) || (w->mm = calloc(MP_SCAN_MAX_MISMATCHES, MM_LEN)) == NULL) {
			w->over_mm++;
			sd->st.mismatches_overflow++;
			return;
		}
		mem_add(sd, sz);
	}
	copy_str(w->mm[w->nmm++], MM_LEN, text);
}

/* Records the probe in the window's target, pair and port sets and updates the threshold figures. */
static void window_add(struct scan_detector *sd, struct src *s, const struct scan_probe *p)
{
	struct win *w = &s->w;
	const struct conn_result *c = &p->conn;
	bool added, counted = counted_probe(c);
	int64_t ti = tgt_get(sd, s, p->server, &added);
	struct tgt *t;
	int tr;

	if (ti < 0) {
		w->over_targets++; /* an upper bound: refused targets cannot be told apart */
		sd->st.targets_overflow++;
		return;
	}
	t = &w->tv[ti];
	t->records++;
	if (c->answer != CONN_ANS_UNKNOWN)
		t->ans |= (uint8_t)(1u << c->answer);
	if (c->probe == CONN_PROBE_ICMP_ECHO || c->probe == CONN_PROBE_ICMP_TS) {
		if (!t->pinged) {
			t->pinged = 1;
			w->pinged++;
		}
		return;
	}
	if (p->ip_proto != 6 && p->ip_proto != 17)
		return;
	tr = tr_of(p->ip_proto);
	{
		uint64_t key = ((uint64_t)(ti + 1) << 17) | ((uint64_t)tr << 16) | p->server_port;
		uint64_t *e = pair_get(sd, s, key, &added);
		struct portent *pe;

		if (e == NULL) {
			w->over_pairs++;
			sd->st.pairs_overflow++;
			return;
		}
		if (c->answer != CONN_ANS_UNKNOWN)
			*e |= (uint64_t)(1u << c->answer) << PAIR_ANS_SHIFT;
		pe = port_get(sd, s, ((uint32_t)tr << 16 | p->server_port) + 1);
		if (pe == NULL) {
			w->over_ports++;
			sd->st.ports_overflow++;
		}
		if (added) {
			t->pairs++;
			if (pe != NULL && pe->targets < UINT16_MAX)
				pe->targets++;
		}
		if (counted && !(*e & PAIR_COUNTED)) {
			*e |= PAIR_COUNTED;
			if (++t->counted[tr] > w->vert[tr]) {
				w->vert[tr] = t->counted[tr];
				w->vert_tidx[tr] = (uint32_t)ti;
			}
			if (pe != NULL && pe->counted < UINT16_MAX && ++pe->counted > w->horiz[tr]) {
				w->horiz[tr] = pe->counted;
				w->horiz_port[tr] = p->server_port;
			}
		}
	}
}

/* The local ranges TRW watches when scan.conf names no home-net: RFC 1918, RFC 6598 (shared CGN),
 * link-local, loopback, and IPv6 ULA, link-local and loopback. */
static bool default_home(uint8_t family, const uint8_t *a)
{
	static const uint8_t v6_loop[16] = {[15] = 1};

	if (family == 4)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) || a[0] == 127;
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       memcmp(a, v6_loop, 16) == 0;
}

/* True when TRW counts a first contact to this target: Jung et al. test remote sources against the
 * monitored network, so by default only contacts into home-net count (a client failing to reach
 * Internet servers is not scanning us). */
static bool trw_target(const struct scan_detector *sd, uint8_t family, const uint8_t *server)
{
	if (sd->cfg.trw_all_targets)
		return true;
	if (sd->cfg.n_home_net == 0)
		return default_home(family, server);
	for (uint32_t i = 0; i < sd->cfg.n_home_net; i++)
		if (scan_cidr_match(&sd->cfg.home_net[i], family, server))
			return true;
	return false;
}

/* Runs TRW on a first contact. */
static void trw_update(struct scan_detector *sd, struct src *s, const struct scan_probe *p)
{
	enum scan_trw_decision d;

	if (!sd->cfg.trw_enabled || s->trw_flagged || p->conn.outcome == CONN_OUT_UNKNOWN)
		return;
	if (!trw_target(sd, p->family, p->server))
		return;
	/* Silence to a UDP datagram says nothing (most UDP services never answer a stray one); only a
	 * port unreachable counts as a failed UDP contact. */
	if (p->ip_proto == 17 && p->conn.outcome == CONN_OUT_FAILURE && p->conn.answer != CONN_ANS_CLOSED)
		return;
	if (contact_add(sd, s, (uint32_t)addr_hash(sd->cfg.seed ^ 0x5ca9, p->family, p->server)) != 1)
		return;
	if (p->conn.outcome == CONN_OUT_SUCCESS)
		s->trw_ok++;
	else
		s->trw_fail++;
	d = scan_trw_step(&sd->trw, &s->llr, p->conn.outcome == CONN_OUT_SUCCESS);
	if (d == SCAN_TRW_SCANNER) {
		s->trw_flagged = 1;
		s->w.detectors |= DET_TRW; /* fires in this window only; later windows rely on the hold */
		sd->st.trw_scanners++;
	} else if (d == SCAN_TRW_BENIGN) {
		sd->st.trw_benign++;
	}
}

static void window_open(struct scan_detector *sd, struct src *s, uint64_t t_us)
{
	memset(&s->w, 0, sizeof(s->w));
	s->w.open = 1;
	s->w.start_us = t_us;
	s->w.first_us = UINT64_MAX;
	wlist_append(sd, s);
}

/* Checks the detectors after a record and emits the window's first alert when one fires. */
static void check_detectors(struct scan_detector *sd, struct src *s)
{
	struct win *w = &s->w;
	uint8_t fired = 0;
	int fired_tr = TR_TCP;

	for (int tr = 0; tr < TR_N; tr++) {
		if (sd->cfg.portscan_ports && w->vert[tr] >= sd->cfg.portscan_ports &&
		    !(w->detectors & DET_PORTSCAN)) {
			w->detectors |= DET_PORTSCAN;
			if (!fired)
				fired = DET_PORTSCAN, fired_tr = tr;
		}
		if (sd->cfg.portsweep_hosts && w->horiz[tr] >= sd->cfg.portsweep_hosts &&
		    !(w->detectors & DET_PORTSWEEP)) {
			w->detectors |= DET_PORTSWEEP;
			if (!fired)
				fired = DET_PORTSWEEP, fired_tr = tr;
		}
	}
	if (sd->cfg.pingsweep_hosts && w->pinged >= sd->cfg.pingsweep_hosts &&
	    !(w->detectors & DET_PINGSWEEP)) {
		w->detectors |= DET_PINGSWEEP;
		if (!fired)
			fired = DET_PINGSWEEP;
	}
	if (!fired && (w->detectors & DET_TRW)) {
		fired = DET_TRW;
		fired_tr = w->proto_records[1] > w->proto_records[0] ? TR_UDP : TR_TCP;
	}
	if (w->alerted) {
		sd->st.updates_counted++;
		return;
	}
	if (!fired)
		return;
	w->primary = fired;
	w->primary_tr = (uint8_t)fired_tr;
	w->alerted = 1;
	w->records_at_alert = w->records;
	s->flagged = 1;
	s->last_primary = fired;
	emit(sd, s, false);
}

void scan_observe(struct scan_detector *sd, const struct scan_probe *p)
{
	const struct conn_result *c = &p->conn;
	struct src *s;
	struct win *w;
	uint64_t t = p->first_us;
	bool counted;

	sd->st.records++;
	if (p->last_us > sd->now_us)
		sd->now_us = p->last_us;
	if (p->family != 4 && p->family != 6)
		return;
	/* A real exchange: the client initiated a session with the server. */
	if (c->client_data && c->server_data &&
	    (c->probe == CONN_PROBE_CONNECT || c->probe == CONN_PROBE_UDP))
		scan_note_contact(sd, p->family, p->client, p->server, p->first_us);
	if (c->probe == CONN_PROBE_NONE)
		return;
	if (in_list(sd->cfg.never_flag, sd->cfg.n_never_flag, p->family, p->client) ||
	    in_list(sd->cfg.ignore_scanner, sd->cfg.n_ignore_scanner, p->family, p->client) ||
	    in_list(sd->cfg.ignore_target, sd->cfg.n_ignore_target, p->family, p->server)) {
		sd->st.ignored_policy++;
		return;
	}
	if (contacted_first(sd, p->family, p->server, p->client, p->first_us)) {
		sd->st.exempt++;
		return;
	}
	s = src_get(sd, p->family, p->client);
	if (s == NULL)
		return;
	sd->st.probes++;
	s->records++;
	w = &s->w;
	if (w->open && t >= w->start_us + (uint64_t)sd->cfg.window_s * 1000000u)
		close_window(sd, s);
	if (!w->open)
		window_open(sd, s, t);
	if (p->first_us < w->first_us)
		w->first_us = p->first_us;
	if (p->last_us > w->last_us)
		w->last_us = p->last_us;
	w->records++;
	w->kinds[c->probe]++;
	w->proto_records[p->ip_proto == 6 ? 0 : p->ip_proto == 17 ? 1 : 2]++;
	if (p->ip_proto == 6 && c->probe == CONN_PROBE_CONNECT && c->client_data)
		w->sessions++;
	else
		w->probes++;
	if (c->probe == CONN_PROBE_SYN && c->answer == CONN_ANS_OPEN)
		w->halfopen++;
	else if (c->probe == CONN_PROBE_CONNECT && !c->client_data)
		w->connect_nodata++;
	counted = counted_probe(c);
	w->counted += counted;
	trw_update(sd, s, p);
	window_add(sd, s, p);
	if (p->mismatch != NULL && p->mismatch[0] != '\0')
		add_mismatch(sd, s, p);
	check_detectors(sd, s);
	/* The hold runs from the last probe of an alerted window, or of a held source still probing. */
	if (w->alerted || (s->flagged && counted && t <= s->held_until_us)) {
		uint64_t until = p->last_us + (uint64_t)sd->cfg.hold_s * 1000000u;

		if (until > s->held_until_us)
			s->held_until_us = until;
	}
}

bool scan_is_scanner(const struct scan_detector *sd, uint8_t family, const uint8_t addr[16], uint64_t now_us)
{
	const struct src *s;

	if (in_list(sd->cfg.ignore_scanner, sd->cfg.n_ignore_scanner, family, addr))
		return true;
	if (in_list(sd->cfg.never_flag, sd->cfg.n_never_flag, family, addr))
		return false;
	s = src_find(sd, family, addr, (uint32_t)addr_hash(sd->cfg.seed, family, addr));
	if (s == NULL || !s->flagged)
		return false;
	return now_us == 0 || now_us <= s->held_until_us;
}

void scan_expire(struct scan_detector *sd, uint64_t now_us)
{
	uint64_t span = ((uint64_t)sd->cfg.window_s + sd->cfg.grace_s) * 1000000u;
	uint64_t idle = (uint64_t)sd->cfg.idle_s * 1000000u;

	if (now_us > sd->now_us)
		sd->now_us = now_us;
	while (sd->whead != NULL && now_us >= sd->whead->w.start_us + span)
		close_window(sd, sd->whead);
	for (int t = 0; t < 2; t++) {
		struct src *s;

		while ((s = sd->lru[t].head) != NULL && now_us >= s->seen_us + idle &&
		       now_us > s->held_until_us && !s->w.open) {
			sd->st.sources_expired++;
			src_destroy(sd, s);
		}
	}
}

void scan_flush(struct scan_detector *sd)
{
	while (sd->whead != NULL)
		close_window(sd, sd->whead);
}

const struct scan_stats *scan_get_stats(const struct scan_detector *sd)
{
	return &sd->st;
}

int scan_new(const struct scan_config *cfg, scan_alert_cb cb, void *user, struct scan_detector **out,
	     char *err, size_t errlen)
{
	struct scan_detector *sd;
	uint32_t nb = 1024, nsets = MP_SCAN_CONTACT_PAIRS / 4;

	*out = NULL;
	if (scan_config_check(cfg, err, errlen) != 0)
		return -1;
	sd = calloc(1, sizeof(*sd));
	if (sd == NULL)
		goto oom;
	sd->cfg = *cfg;
	(void)scan_trw_init(&sd->trw, cfg->trw_theta0, cfg->trw_theta1, cfg->trw_pd, cfg->trw_pf, err,
			    errlen);
	sd->cb = cb;
	sd->user = user;
	sd->max_buckets = nb;
	while (sd->max_buckets < cfg->max_sources && sd->max_buckets < (1u << 30))
		sd->max_buckets <<= 1;
	sd->buckets = calloc(nb, sizeof(*sd->buckets));
	sd->cpairs = calloc((size_t)nsets * 4, sizeof(*sd->cpairs));
	sd->reports = calloc(MP_SCAN_MAX_REPORTS, sizeof(*sd->reports));
	if (sd->buckets == NULL || sd->cpairs == NULL || sd->reports == NULL)
		goto oom;
	sd->mask = nb - 1;
	sd->cset_mask = nsets - 1;
	*out = sd;
	return 0;
oom:
	snprintf(err, errlen, "scan detector: out of memory");
	scan_free(sd);
	return -1;
}

void scan_free(struct scan_detector *sd)
{
	if (sd == NULL)
		return;
	if (sd->buckets != NULL) {
		sd->cb = NULL; /* nothing is emitted while freeing */
		for (int t = 0; t < 2; t++)
			while (sd->lru[t].head != NULL)
				src_destroy(sd, sd->lru[t].head);
	}
	while (sd->spare != NULL) {
		struct src *sp = sd->spare;

		sd->spare = sp->hnext;
		free(sp);
	}
	free(sd->buckets);
	free(sd->cpairs);
	free(sd->reports);
	free(sd);
}

void scan_print_summary(const struct scan_detector *sd, FILE *fp)
{
	const struct scan_stats *st = &sd->st;

	fprintf(fp, "Scanners: %u", sd->nreports);
	if (st->reports_dropped > 0)
		fprintf(fp, " (+%llu not listed)", (unsigned long long)st->reports_dropped);
	fputc('\n', fp);
	for (uint32_t i = 0; i < sd->nreports; i++) {
		const struct report *r = &sd->reports[i];
		char ab[64], t0[40], dur[32];

		eve_timestamp(r->first_us, t0, sizeof(t0));
		duration_text(r->first_us, r->last_us, dur, sizeof(dur));
		fprintf(
		    fp,
		    "  %-39s %-9s %-12s targets %-5llu ports %-5llu probes %-6llu open %-4llu closed %-5llu "
		    "filtered %-5llu windows %u mismatches %u  from %.19s for %s\n",
		    addr_str(r->family, r->addr, ab, sizeof(ab)), r->type, r->transports,
		    (unsigned long long)r->targets, (unsigned long long)r->ports,
		    (unsigned long long)r->probes, (unsigned long long)r->open, (unsigned long long)r->closed,
		    (unsigned long long)r->filtered, r->windows, r->mismatches, t0, dur);
		fprintf(fp, "    %s\n", r->signature);
	}
	fprintf(fp,
		"Scan detector: %llu records, %llu probes, %llu ignored by policy, %llu exempt; sources %u "
		"active, %u "
		"peak, %llu evicted (cap), %llu evicted (memory), %llu expired; memory peak %llu bytes; "
		"alerts %llu "
		"(%llu updates, %llu records counted into open alerts)\n",
		(unsigned long long)st->records, (unsigned long long)st->probes,
		(unsigned long long)st->ignored_policy, (unsigned long long)st->exempt, st->sources_active,
		st->sources_peak, (unsigned long long)st->sources_evicted,
		(unsigned long long)st->sources_evicted_mem, (unsigned long long)st->sources_expired,
		(unsigned long long)st->mem_peak, (unsigned long long)st->alerts,
		(unsigned long long)st->updates, (unsigned long long)st->updates_counted);
}
