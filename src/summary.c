/* summary.c: per-protocol tallies and the human summary tables printed at the end of a run. */
#include "misport/summary.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"

struct proto_row {
	char name[48];
	uint64_t flows, pkts, bytes;
};

struct summary {
	struct proto_row rows[MP_SUMMARY_MAX_PROTOCOLS + 1]; /* the last row is "(other)" */
	size_t n;
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
	free(s);
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

void summary_add_flow(struct summary *s, const char *name, uint64_t pkts, uint64_t bytes)
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
	r->pkts += pkts;
	r->bytes += bytes;
}

void summary_merge(struct summary *dst, const struct summary *src)
{
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
		d->pkts += r->pkts;
		d->bytes += r->bytes;
	}
}

uint64_t summary_flows(const struct summary *s, const char *name)
{
	size_t i = find_row(s, name);

	return i < s->n ? s->rows[i].flows : 0;
}

static int row_cmp(const void *x, const void *y)
{
	const struct proto_row *a = x, *b = y;

	if (a->flows != b->flows)
		return a->flows < b->flows ? 1 : -1;
	return strcmp(a->name, b->name);
}

void summary_print(const struct summary *s, const struct mp_stats_record *st, FILE *fp)
{
	struct proto_row *rows;
	size_t n = s->n;

	fprintf(fp, "\n== misport summary ==\n");
	fprintf(fp, "  packets %" PRIu64 "  bytes %" PRIu64 "  flows %" PRIu64 "  alerts %" PRIu64 "\n", st->pkts,
		st->bytes, st->flows_total, st->alerts);
	fprintf(fp, "  ipv4 %" PRIu64 "  ipv6 %" PRIu64 "  tcp %" PRIu64 "  udp %" PRIu64 "  icmp %" PRIu64
		    "  non-ip %" PRIu64 "  fragments %" PRIu64 "\n",
		st->ipv4, st->ipv6, st->tcp, st->udp, st->icmpv4 + st->icmpv6, st->decoded[MP_DEC_SKIP_NON_IP],
		st->decoded[MP_DEC_SKIP_FRAGMENT]);
	if (st->flows_evicted != 0)
		fprintf(fp, "  flows evicted at the table cap: %" PRIu64 "\n", st->flows_evicted);

	rows = malloc((n + 1) * sizeof(*rows));
	if (rows != NULL) {
		memcpy(rows, s->rows, n * sizeof(*rows));
		if (s->rows[MP_SUMMARY_MAX_PROTOCOLS].flows != 0)
			rows[n++] = s->rows[MP_SUMMARY_MAX_PROTOCOLS];
		qsort(rows, n, sizeof(*rows), row_cmp);
		fprintf(fp, "\n  %-32s %10s %12s %14s\n", "protocol", "flows", "packets", "bytes");
		fprintf(fp, "  %-32s %10s %12s %14s\n", "--------------------------------", "----------",
			"------------", "--------------");
		for (size_t i = 0; i < n; i++)
			fprintf(fp, "  %-32s %10" PRIu64 " %12" PRIu64 " %14" PRIu64 "\n", rows[i].name, rows[i].flows,
				rows[i].pkts, rows[i].bytes);
		free(rows);
	}

	fprintf(fp, "\n  malformed packets: %" PRIu64 "\n", st->invalid);
	for (int r = 0; r < MP_DEC_RESULT_COUNT; r++)
		if (decode_result_malformed((enum mp_decode_result)r) && st->decoded[r] != 0)
			fprintf(fp, "    %-30s %10" PRIu64 "\n", decode_result_name((enum mp_decode_result)r),
				st->decoded[r]);
}
