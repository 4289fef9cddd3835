/* summary.c: per-protocol tallies and the human summary tables printed at the end of a run. */
#include "misport/summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"

struct proto_row {
	char name[48];
	uint64_t flows, guessed, pkts, bytes; /* guessed: flows nDPI named at give-up, not from payload */
};

struct port_proto {
	char name[40];
	uint64_t flows;
};

/* One row of the port table: the worst verdict and highest severity seen on the port win. */
struct port_row {
	uint16_t port;
	uint8_t ip_proto;
	int8_t severity; /* 1 highest .. 3, 0 none */
	char service[40];
	char verdict[24];
	uint64_t flows, other_flows;
	struct port_proto protos[MP_SUMMARY_PORT_PROTOS];
};

struct summary {
	struct proto_row rows[MP_SUMMARY_MAX_PROTOCOLS + 1]; /* the last row is "(other)" */
	size_t n;
	struct port_row *ports; /* MP_SUMMARY_MAX_PORTS rows, allocated at the first judged flow */
	size_t nports;
	uint64_t other_port_flows;
};

struct summary *summary_new(void)
{
	struct summary *s = calloc(1, sizeof(*s));

	if (s != NULL)
		memcpy(s->rows[MP_SUMMARY_MAX_PROTOCOLS].name, "(other)", 8);
	return s;
}

void summary_free(struct summary *s)
{
	if (s == NULL)
		return;
	free(s->ports);
	free(s);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Ranks verdicts for "worst wins" and for sorting: higher is more serious. */
static int verdict_rank(const char *v)
{
	static const char *const order[] = {"match",         "allowed",    "unregistered-port",
					    "port-mismatch", "scan-noise", "legacy-port"};

	for (int i = (int)(sizeof(order) / sizeof(order[0])) - 1; i >= 0; i--)
		if (strcmp(v, order[i]) == 0)
			return i + 1;
	return 0;
}

static void port_add(struct summary *s, uint16_t port, uint8_t ip_proto, const char *service,
		     const char *observed, const char *verdict, int severity, uint64_t flows)
{
	struct port_row *r = NULL;
	size_t i;

	if (s->ports == NULL && (s->ports = calloc(MP_SUMMARY_MAX_PORTS, sizeof(*s->ports))) == NULL) {
		s->other_port_flows += flows;
		return;
	}
	for (i = 0; i < s->nports; i++)
		if (s->ports[i].port == port && s->ports[i].ip_proto == ip_proto) {
			r = &s->ports[i];
			break;
		}
	if (r == NULL) {
		if (s->nports >= MP_SUMMARY_MAX_PORTS) {
			s->other_port_flows += flows;
			return;
		}
		r = &s->ports[s->nports++];
		r->port = port;
		r->ip_proto = ip_proto;
		copy_str(r->service, sizeof(r->service), service);
	}
	r->flows += flows;
	if (verdict_rank(verdict) > verdict_rank(r->verdict))
		copy_str(r->verdict, sizeof(r->verdict), verdict);
	if (severity > 0 && (r->severity == 0 || severity < r->severity))
		r->severity = (int8_t)severity;
	for (i = 0; i < MP_SUMMARY_PORT_PROTOS; i++) {
		if (r->protos[i].flows != 0 && strcmp(r->protos[i].name, observed) == 0)
			break;
		if (r->protos[i].flows == 0) {
			copy_str(r->protos[i].name, sizeof(r->protos[i].name), observed);
			break;
		}
	}
	if (i < MP_SUMMARY_PORT_PROTOS)
		r->protos[i].flows += flows;
	else
		r->other_flows += flows;
}

void summary_add_port(struct summary *s, uint16_t port, uint8_t ip_proto, const char *service,
		      const char *observed, const char *verdict, int severity)
{
	port_add(s, port, ip_proto, service, observed, verdict, severity, 1);
}

/* Returns the index of name's row, or s->n when it has none. */
static size_t find_row(const struct summary *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].name, name) == 0)
			break;
	return i;
}

void summary_add_flow(struct summary *s, const char *name, bool guessed, uint64_t pkts, uint64_t bytes)
{
	size_t i = find_row(s, name);
	struct proto_row *r = i < s->n ? &s->rows[i] : NULL;

	if (r == NULL) {
		if (s->n < MP_SUMMARY_MAX_PROTOCOLS) {
			size_t len = strlen(name);

			r = &s->rows[s->n++];
			if (len >= sizeof(r->name))
				len = sizeof(r->name) - 1;
			memcpy(r->name, name, len);
			r->name[len] = '\0';
		} else {
			r = &s->rows[MP_SUMMARY_MAX_PROTOCOLS];
		}
	}
	r->flows++;
	r->guessed += guessed;
	r->pkts += pkts;
	r->bytes += bytes;
}

void summary_merge(struct summary *dst, const struct summary *src)
{
	for (size_t i = 0; i < src->nports; i++) {
		const struct port_row *r = &src->ports[i];

		for (size_t k = 0; k < MP_SUMMARY_PORT_PROTOS && r->protos[k].flows != 0; k++)
			port_add(dst, r->port, r->ip_proto, r->service, r->protos[k].name, r->verdict,
				 r->severity, r->protos[k].flows);
		if (r->other_flows != 0)
			port_add(dst, r->port, r->ip_proto, r->service, "(other)", r->verdict, r->severity,
				 r->other_flows);
	}
	dst->other_port_flows += src->other_port_flows;
	for (size_t i = 0; i <= MP_SUMMARY_MAX_PROTOCOLS; i++) {
		const struct proto_row *r = &src->rows[i];
		struct proto_row *d;
		size_t k;

		if (i < MP_SUMMARY_MAX_PROTOCOLS && i >= src->n)
			continue;
		if (r->flows == 0)
			continue;
		k = find_row(dst, r->name);
		if (k < dst->n) {
			d = &dst->rows[k];
		} else if (dst->n < MP_SUMMARY_MAX_PROTOCOLS && i < MP_SUMMARY_MAX_PROTOCOLS) {
			d = &dst->rows[dst->n++];
			memcpy(d->name, r->name, sizeof(d->name));
		} else {
			d = &dst->rows[MP_SUMMARY_MAX_PROTOCOLS];
		}
		d->flows += r->flows;
		d->guessed += r->guessed;
		d->pkts += r->pkts;
		d->bytes += r->bytes;
	}
}

uint64_t summary_flows(const struct summary *s, const char *name)
{
	size_t i = find_row(s, name);

	if (i < s->n)
		return s->rows[i].flows;
	if (strcmp(name, s->rows[MP_SUMMARY_MAX_PROTOCOLS].name) == 0)
		return s->rows[MP_SUMMARY_MAX_PROTOCOLS].flows;
	return 0;
}

static int row_cmp(const void *x, const void *y)
{
	const struct proto_row *a = x, *b = y;

	if (a->flows != b->flows)
		return a->flows < b->flows ? 1 : -1;
	return strcmp(a->name, b->name);
}

static int port_cmp(const void *x, const void *y)
{
	const struct port_row *a = x, *b = y;
	int sa = a->severity ? a->severity : 9, sb = b->severity ? b->severity : 9;

	if (sa != sb)
		return sa - sb;
	if (verdict_rank(a->verdict) != verdict_rank(b->verdict))
		return verdict_rank(b->verdict) - verdict_rank(a->verdict);
	if (a->flows != b->flows)
		return a->flows < b->flows ? 1 : -1;
	return (int)a->port - (int)b->port;
}

/* Prints one line of the packets analysed from inside tunnels, per kind of layer unwrapped; nothing when
 * there were none. */
static void print_tunnels(const struct mp_stats_record *st, FILE *fp)
{
	bool any = false;

	for (int t = 0; t < MP_TUN_COUNT; t++) {
		if (st->tunnel[t] == 0)
			continue;
		fprintf(fp, "%s  %s %" PRIu64,
			any ? "" : "  tunnelled packets:", decode_tunnel_name((enum mp_tunnel)t),
			st->tunnel[t]);
		any = true;
	}
	if (any)
		fprintf(fp, "\n");
}

/* Prints the Wireshark-style port table: registered service against what was observed. */
static void print_ports(const struct summary *s, FILE *fp)
{
	struct port_row *rows;

	if (s->nports == 0)
		return;
	rows = malloc(s->nports * sizeof(*rows));
	if (rows == NULL)
		return;
	memcpy(rows, s->ports, s->nports * sizeof(*rows));
	qsort(rows, s->nports, sizeof(*rows), port_cmp);
	fprintf(fp, "\n  %-11s %-22s %-40s %-18s %s\n", "server port", "registered service",
		"observed protocols (flows)", "verdict", "severity");
	fprintf(fp, "  %-11s %-22s %-40s %-18s %s\n", "-----------", "----------------------",
		"----------------------------------------", "------------------", "--------");
	for (size_t i = 0; i < s->nports; i++) {
		const struct port_row *r = &rows[i];
		char port[16], obs[256], sev[8];
		size_t used = 0;

		(void)snprintf(port, sizeof(port), "%u/%s", r->port, r->ip_proto == 6 ? "tcp" : "udp");
		obs[0] = '\0';
		for (size_t k = 0; k < MP_SUMMARY_PORT_PROTOS && r->protos[k].flows != 0; k++) {
			int n = snprintf(obs + used, sizeof(obs) - used, "%s%s (%" PRIu64 ")", k ? ", " : "",
					 r->protos[k].name, r->protos[k].flows);
			if (n < 0 || (size_t)n >= sizeof(obs) - used)
				break;
			used += (size_t)n;
		}
		if (r->other_flows != 0 && used < sizeof(obs))
			(void)snprintf(obs + used, sizeof(obs) - used, ", other (%" PRIu64 ")",
				       r->other_flows);
		if (r->severity != 0)
			(void)snprintf(sev, sizeof(sev), "%d", r->severity);
		else
			memcpy(sev, "-", 2);
		fprintf(fp, "  %-11s %-22s %-40s %-18s %s\n", port,
			r->service[0] ? r->service : "(unassigned)", obs, r->verdict[0] ? r->verdict : "-",
			sev);
	}
	if (s->other_port_flows != 0)
		fprintf(fp, "  (%" PRIu64 " more flows on ports beyond the table's %u rows)\n",
			s->other_port_flows, MP_SUMMARY_MAX_PORTS);
	free(rows);
}

void summary_print(const struct summary *s, const struct mp_stats_record *st, FILE *fp)
{
	struct proto_row *rows;
	size_t n = s->n;
	uint64_t guessed = 0;

	fprintf(fp, "\n== misport summary ==\n");
	fprintf(fp,
		"  packets %" PRIu64 "  bytes %" PRIu64 "  flows %" PRIu64 "  alerts %" PRIu64 " (+%" PRIu64
		" suppressed repeats)\n",
		st->pkts, st->bytes, st->flows_total, st->alerts, st->alerts_suppressed);
	fprintf(fp,
		"  ipv4 %" PRIu64 "  ipv6 %" PRIu64 "  tcp %" PRIu64 "  udp %" PRIu64 "  icmp %" PRIu64
		"  non-ip %" PRIu64 "  fragments %" PRIu64 "\n",
		st->ipv4, st->ipv6, st->tcp, st->udp, st->icmpv4 + st->icmpv6,
		st->decoded[MP_DEC_SKIP_NON_IP], st->decoded[MP_DEC_SKIP_FRAGMENT]);
	print_tunnels(st, fp);
	/* Flow alerts per verdict, from the same counters as the stats record's metadata.flowints. */
	if (st->alerts > st->alerts_scan) {
		fprintf(fp, "  alerts by verdict:");
		for (int v = 0; v < MP_VERDICT_COUNT; v++)
			if (st->alerts_verdict[v] != 0)
				fprintf(fp, "  %s %" PRIu64, verdict_name((enum mp_verdict)v),
					st->alerts_verdict[v]);
		fputc('\n', fp);
	}
	if (st->flows_evicted != 0)
		fprintf(fp, "  flows evicted at the table cap: %" PRIu64 "\n", st->flows_evicted);
	if (st->flows_emerg_entered != 0)
		fprintf(fp, "  flow table emergency mode (shortened timeouts) entered %" PRIu64 " times\n",
			st->flows_emerg_entered);

	rows = malloc((n + 1) * sizeof(*rows));
	if (rows != NULL) {
		memcpy(rows, s->rows, n * sizeof(*rows));
		if (s->rows[MP_SUMMARY_MAX_PROTOCOLS].flows != 0)
			rows[n++] = s->rows[MP_SUMMARY_MAX_PROTOCOLS];
		qsort(rows, n, sizeof(*rows), row_cmp);
		fprintf(fp, "\n  %-32s %10s %10s %12s %14s\n", "protocol", "flows", "guessed", "packets",
			"bytes");
		fprintf(fp, "  %-32s %10s %10s %12s %14s\n", "--------------------------------", "----------",
			"----------", "------------", "--------------");
		for (size_t i = 0; i < n; i++) {
			fprintf(fp, "  %-32s %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %14" PRIu64 "\n",
				rows[i].name, rows[i].flows, rows[i].guessed, rows[i].pkts, rows[i].bytes);
			guessed += rows[i].guessed;
		}
		if (guessed != 0)
			fprintf(
			    fp,
			    "  guessed: named by nDPI from the port or address when it gave up, not from the "
			    "payload (no verdict)\n");
		free(rows);
	}

	print_ports(s, fp);

	fprintf(fp, "\n  malformed packets: %" PRIu64 "\n", st->invalid);
	for (int r = 0; r < MP_DEC_RESULT_COUNT; r++)
		if (decode_result_malformed((enum mp_decode_result)r) && st->decoded[r] != 0)
			fprintf(fp, "    %-30s %10" PRIu64 "\n", decode_result_name((enum mp_decode_result)r),
				st->decoded[r]);
}
