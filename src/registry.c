/* registry.c: the IANA Service Name and Transport Protocol Port Number Registry (RFC 6335) for TCP and UDP:
 * loaders for misport's registry.tsv and IANA's CSV (RFC 4180), port index (CSR arrays per transport) and
 * name index. */
#include "misport/registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "misport/config.h"
#include "misport/textfile.h"

#define NPORTS       65536u
#define FREQ_UNKNOWN UINT32_MAX

/* String storage: strings are appended to 64 KiB chunks and freed all at once. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct registry {
	struct reg_entry *e;
	size_t n, cap;
	struct chunk *strings;
	uint32_t *off[MP_TRANSPORT_COUNT]; /* NPORTS + 1 offsets into slots */
	const struct reg_entry **slots;    /* entries per port, grouped by transport and port */
	const struct reg_entry **by_name;  /* assigned entries sorted by service name, then file order */
	size_t n_by_name;
	uint32_t *freq[MP_TRANSPORT_COUNT]; /* NPORTS millionths, FREQ_UNKNOWN when absent */
	char *path, *source, *date;
};

const char *reg_transport_name(enum mp_transport t)
{
	return t == MP_TRANSPORT_UDP ? "udp" : "tcp";
}

int reg_transport_from_ip_proto(uint8_t ip_proto)
{
	if (ip_proto == 6)
		return MP_TRANSPORT_TCP;
	if (ip_proto == 17)
		return MP_TRANSPORT_UDP;
	return -1;
}

static char *str_add(struct registry *r, const char *s, size_t n)
{
	struct chunk *c = r->strings;
	char *p;

	if (c == NULL || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > 65536 ? n + 1 : 65536;

		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->next = r->strings;
		c->used = 0;
		c->cap = cap;
		r->strings = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static char *str_dup(struct registry *r, const char *s)
{
	return str_add(r, s, strlen(s));
}

static struct registry *reg_new(const char *path)
{
	struct registry *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		r->freq[t] = malloc(NPORTS * sizeof(uint32_t));
		if (r->freq[t] == NULL) {
			reg_free(r);
			return NULL;
		}
		for (size_t p = 0; p < NPORTS; p++)
			r->freq[t][p] = FREQ_UNKNOWN;
	}
	r->path = str_dup(r, path);
	r->source = str_dup(r, "");
	r->date = str_dup(r, "");
	if (r->path == NULL || r->source == NULL || r->date == NULL) {
		reg_free(r);
		return NULL;
	}
	return r;
}

void reg_free(struct registry *r)
{
	struct chunk *c, *next;

	if (r == NULL)
		return;
	for (c = r->strings; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		free(r->off[t]);
		free(r->freq[t]);
	}
	free(r->slots);
	free(r->by_name);
	free(r->e);
	free(r);
}

/* Appends an entry whose strings are already in r's storage. */
static struct reg_entry *entry_add(struct registry *r, const char *path, unsigned line, char *err,
				   size_t errlen)
{
	struct reg_entry *e;

	if (r->n >= MP_REG_MAX_ENTRIES) {
		tf_error(err, errlen, path, line, "more than %u entries", MP_REG_MAX_ENTRIES);
		return NULL;
	}
	if (r->n == r->cap) {
		size_t ncap = r->cap == 0 ? 4096 : r->cap * 2;
		struct reg_entry *ne = realloc(r->e, ncap * sizeof(*ne));

		if (ne == NULL) {
			tf_error(err, errlen, path, line, "out of memory");
			return NULL;
		}
		r->e = ne;
		r->cap = ncap;
	}
	e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	e->line = line;
	return e;
}

static int cmp_name(const void *a, const void *b)
{
	const struct reg_entry *x = *(const struct reg_entry *const *)a;
	const struct reg_entry *y = *(const struct reg_entry *const *)b;
	int c = strcasecmp(x->service, y->service);

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* Builds the port and name indexes once every entry is in (entries no longer move). */
static int reg_index(struct registry *r, char *err, size_t errlen)
{
	size_t total = 0;
	uint32_t *fill[MP_TRANSPORT_COUNT] = {NULL, NULL};
	int rc = -1;

	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		r->off[t] = calloc(NPORTS + 1, sizeof(uint32_t));
		if (r->off[t] == NULL)
			goto oom;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_entry *e = &r->e[i];

		total += (size_t)e->port_hi - e->port_lo + 1;
		if (total > MP_REG_MAX_SLOTS)
			return tf_error(err, errlen, r->path, e->line, "more than %u port slots",
					MP_REG_MAX_SLOTS);
		for (uint32_t p = e->port_lo; p <= e->port_hi; p++)
			r->off[e->transport][p + 1]++;
	}
	r->slots = malloc((total > 0 ? total : 1) * sizeof(*r->slots));
	if (r->slots == NULL)
		goto oom;
	{
		uint32_t base = 0; /* transport 1's slots follow transport 0's */

		for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
			r->off[t][0] = base;
			for (size_t p = 1; p <= NPORTS; p++)
				r->off[t][p] += r->off[t][p - 1];
			base = r->off[t][NPORTS];
		}
	}
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++) {
		fill[t] = malloc(NPORTS * sizeof(uint32_t));
		if (fill[t] == NULL)
			goto oom;
		memcpy(fill[t], r->off[t], NPORTS * sizeof(uint32_t));
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_entry *e = &r->e[i];

		for (uint32_t p = e->port_lo; p <= e->port_hi; p++)
			r->slots[fill[e->transport][p]++] = e;
	}
	r->by_name = malloc((r->n > 0 ? r->n : 1) * sizeof(*r->by_name));
	if (r->by_name == NULL)
		goto oom;
	r->n_by_name = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!(r->e[i].flags & REG_F_RESERVED))
			r->by_name[r->n_by_name++] = &r->e[i];
	qsort(r->by_name, r->n_by_name, sizeof(*r->by_name), cmp_name);
	rc = 0;
	goto out;
oom:
	tf_error(err, errlen, r->path, 0, "out of memory");
out:
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++)
		free(fill[t]);
	return rc;
}

static int parse_transport(const char *s)
{
	if (strcasecmp(s, "tcp") == 0)
		return MP_TRANSPORT_TCP;
	if (strcasecmp(s, "udp") == 0)
		return MP_TRANSPORT_UDP;
	return -1;
}

/* RFC 6335 section 5.1 allows letters, digits and hyphens; IANA's historic aliases also hold '_', '/', '.',
 * '*',
 * '+'. Anything printable without blanks is accepted; the TSV's tab separation needs no more. */
static int valid_service(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

/* nmap's frequency "0.012345" -> millionths. */
static int parse_freq(const char *s, uint32_t *out)
{
	unsigned long whole = 0, frac = 0;
	int digits = 0;

	if (strcmp(s, "-") == 0) {
		*out = FREQ_UNKNOWN;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	whole = (unsigned long)(*s++ - '0');
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (digits < 6) {
				frac = frac * 10 + (unsigned long)(*s - '0');
				digits++;
			}
		}
	}
	if (*s != '\0' || whole > 1 || (whole == 1 && frac > 0))
		return -1;
	while (digits++ < 6)
		frac *= 10;
	*out = (uint32_t)(whole * 1000000ul + frac);
	return 0;
}

static int header_value(struct registry *r, const char *line, const char *key, char **dst)
{
	size_t kl = strlen(key);

	if (strncmp(line, key, kl) != 0)
		return 0;
	line += kl;
	while (*line == ' ' || *line == '\t')
		line++;
	if (**dst == '\0') {
		char *v = str_dup(r, line);

		if (v == NULL)
			return -1;
		*dst = v;
	}
	return 1;
}

int reg_load_tsv(const char *path, struct registry **out, char *err, size_t errlen)
{
	struct tf_file f;
	struct registry *r;
	char *line;
	int rc;

	*out = NULL;
	if (tf_open(&f, path, MP_RULES_MAX_FILE_SIZE, err, errlen) < 0)
		return -1;
	r = reg_new(path);
	if (r == NULL) {
		tf_close(&f);
		return tf_error(err, errlen, path, 0, "out of memory");
	}
	while ((rc = tf_next_line(&f, MP_RULES_MAX_LINE, &line, err, errlen)) > 0) {
		char *fld[6];
		int n, t;
		uint16_t lo, hi;
		uint32_t fr;
		struct reg_entry *e;

		if (line[0] == '#') {
			if (header_value(r, line, "# source:", &r->source) < 0 ||
			    header_value(r, line, "# date:", &r->date) < 0) {
				tf_error(err, errlen, path, f.line, "out of memory");
				goto fail;
			}
			continue;
		}
		if (tf_trim(line, 0)[0] == '\0')
			continue;
		n = tf_split_char(line, '\t', fld, 5);
		if (n != 5) {
			tf_error(err, errlen, path, f.line,
				 "expected 5 tab-separated fields (service, port, transport, nmap frequency, "
				 "description), got %d",
				 n > 5 ? 6 : n);
			goto fail;
		}
		if (!valid_service(fld[0])) {
			tf_error(err, errlen, path, f.line, "bad service name \"%s\"", fld[0]);
			goto fail;
		}
		if (tf_parse_port_range(fld[1], &lo, &hi) < 0) {
			tf_error(err, errlen, path, f.line, "bad port \"%s\" (0-65535 or LO-HI)", fld[1]);
			goto fail;
		}
		t = parse_transport(fld[2]);
		if (t < 0) {
			tf_error(err, errlen, path, f.line, "bad transport \"%s\" (tcp or udp)", fld[2]);
			goto fail;
		}
		if (parse_freq(fld[3], &fr) < 0) {
			tf_error(err, errlen, path, f.line, "bad nmap frequency \"%s\" (0 to 1, or -)",
				 fld[3]);
			goto fail;
		}
		e = entry_add(r, path, f.line, err, errlen);
		if (e == NULL)
			goto fail;
		e->service = str_dup(r, fld[0]);
		e->description = str_dup(r, strcmp(fld[4], "-") == 0 ? "" : fld[4]);
		e->assignee = e->contact = e->registration_date = e->modification_date = e->reference =
		    e->notes = e->unauthorized_use = str_dup(r, "");
		if (e->service == NULL || e->description == NULL || e->assignee == NULL) {
			tf_error(err, errlen, path, f.line, "out of memory");
			goto fail;
		}
		e->port_lo = lo;
		e->port_hi = hi;
		e->transport = (uint8_t)t;
		if (fr != FREQ_UNKNOWN)
			for (uint32_t p = lo; p <= hi; p++)
				r->freq[t][p] = fr;
	}
	if (rc < 0)
		goto fail;
	if (r->source[0] == '\0' || r->date[0] == '\0') {
		tf_error(err, errlen, path, 0, "missing \"# source:\" or \"# date:\" header line");
		goto fail;
	}
	tf_close(&f);
	if (reg_index(r, err, errlen) < 0) {
		reg_free(r);
		return -1;
	}
	*out = r;
	return 0;
fail:
	tf_close(&f);
	reg_free(r);
	return -1;
}

/* --- IANA CSV
 * ---------------------------------------------------------------------------------------------- */

enum csv_col {
	COL_SERVICE,
	COL_PORT,
	COL_TRANSPORT,
	COL_DESCRIPTION,
	COL_ASSIGNEE,
	COL_CONTACT,
	COL_REGDATE,
	COL_MODDATE,
	COL_REFERENCE,
	COL_NOTES,
	COL_UNAUTH,
	COL_COUNT
};

static const char *const csv_headers[COL_COUNT] = {
    "Service Name", "Port Number",      "Transport Protocol",       "Description",
    "Assignee",     "Contact",          "Registration Date",        "Modification Date",
    "Reference",    "Assignment Notes", "Unauthorized Use Reported"};

/* One parsed CSV record: fields point into buf (unquoted, NUL-terminated). */
struct csv_rec {
	char buf[MP_REG_MAX_CSV_RECORD + MP_REG_MAX_CSV_FIELDS];
	char *field[MP_REG_MAX_CSV_FIELDS];
	char empty[1]; /* "" for a column the file lacks */
	int n;
	unsigned line; /* line the record starts on */
};

/* Parses the record at f->pos per RFC 4180 (quotes doubled inside quoted fields, CRLF or LF line ends).
 * Returns 1, 0 at end of input, or -1 with err filled. */
static int csv_next(struct tf_file *f, struct csv_rec *rec, char *err, size_t errlen)
{
	const char *p = f->data + f->pos, *end = f->data + f->len;
	size_t o = 0;

	if (p >= end)
		return 0;
	f->line++;
	rec->line = f->line;
	rec->n = 0;
	for (;;) {
		int quoted = 0;

		if (rec->n == MP_REG_MAX_CSV_FIELDS)
			return tf_error(err, errlen, f->path, rec->line, "more than %d fields",
					MP_REG_MAX_CSV_FIELDS);
		rec->field[rec->n++] = rec->buf + o;
		if (p < end && *p == '"') {
			quoted = 1;
			p++;
		}
		for (;;) {
			char c;

			if (p >= end) {
				if (quoted)
					return tf_error(err, errlen, f->path, rec->line,
							"quoted field not closed before the end of the file");
				break;
			}
			c = *p;
			if (quoted) {
				if (c == '"') {
					if (p + 1 < end && p[1] == '"') {
						p += 2;
					} else {
						p++;
						quoted = 0;
						if (p < end && *p != ',' && *p != '\n' && *p != '\r')
							return tf_error(err, errlen, f->path, f->line,
									"text after a closing quote");
						continue;
					}
				} else {
					if (c == '\n')
						f->line++;
					p++;
				}
			} else {
				if (c == ',' || c == '\n' || c == '\r')
					break;
				if (c == '"')
					return tf_error(err, errlen, f->path, f->line,
							"quote inside an unquoted field");
				p++;
			}
			if (o >= MP_REG_MAX_CSV_RECORD)
				return tf_error(err, errlen, f->path, rec->line,
						"record longer than %u bytes", MP_REG_MAX_CSV_RECORD);
			rec->buf[o++] = c;
		}
		rec->buf[o++] = '\0';
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		break;
	}
	f->pos = (size_t)(p - f->data);
	return 1;
}

/* Keeps the first line of a multi-line description (the rest is IANA's remark, kept whole in notes). */
static char *first_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (nl != NULL)
		*nl = '\0';
	return tf_trim(s, 0);
}

static int is_date(const char *s)
{
	/* YYYY-MM-DD or YYYY-MM */
	size_t n = strlen(s);

	if (n != 10 && n != 7)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return 0;
		} else if (s[i] < '0' || s[i] > '9') {
			return 0;
		}
	}
	return 1;
}

int reg_load_csv(const char *path, struct registry **out, char *err, size_t errlen)
{
	struct tf_file f;
	struct registry *r = NULL;
	struct csv_rec *rec = NULL;
	int col[COL_COUNT], rc;
	char latest[16] = "";

	*out = NULL;
	if (tf_open(&f, path, MP_RULES_MAX_FILE_SIZE, err, errlen) < 0)
		return -1;
	rec = malloc(sizeof(*rec));
	r = reg_new(path);
	if (rec == NULL || r == NULL) {
		tf_error(err, errlen, path, 0, "out of memory");
		goto fail;
	}
	rc = csv_next(&f, rec, err, errlen);
	if (rc <= 0) {
		if (rc == 0)
			tf_error(err, errlen, path, 0, "empty file");
		goto fail;
	}
	for (int c = 0; c < COL_COUNT; c++) {
		col[c] = -1;
		for (int i = 0; i < rec->n; i++)
			if (strcmp(rec->field[i], csv_headers[c]) == 0)
				col[c] = i;
		if (c <= COL_DESCRIPTION && col[c] < 0) {
			tf_error(err, errlen, path, 1, "not IANA's CSV: no \"%s\" column", csv_headers[c]);
			goto fail;
		}
	}
	while ((rc = csv_next(&f, rec, err, errlen)) > 0) {
		char *fld[COL_COUNT];
		uint16_t lo, hi;
		int t0, t1;

		if (rec->n == 1 && rec->field[0][0] == '\0')
			continue; /* blank line */
		rec->empty[0] = '\0';
		for (int c = 0; c < COL_COUNT; c++) {
			if (col[c] >= 0 && col[c] >= rec->n) {
				tf_error(err, errlen, path, rec->line, "expected at least %d fields, got %d",
					 col[c] + 1, rec->n);
				goto fail;
			}
			fld[c] = col[c] >= 0 ? tf_trim(rec->field[col[c]], 0) : rec->empty;
		}
		if (fld[COL_PORT][0] == '\0')
			continue; /* a service name without a port (DNS-SD only) */
		if (tf_parse_port_range(fld[COL_PORT], &lo, &hi) < 0) {
			tf_error(err, errlen, path, rec->line, "bad port \"%s\" (0-65535 or LO-HI)",
				 fld[COL_PORT]);
			goto fail;
		}
		if (fld[COL_TRANSPORT][0] == '\0') {
			t0 = MP_TRANSPORT_TCP; /* IANA's early entries name no transport: both */
			t1 = MP_TRANSPORT_UDP;
		} else {
			t0 = t1 = parse_transport(fld[COL_TRANSPORT]);
			if (t0 < 0) {
				if (strcasecmp(fld[COL_TRANSPORT], "sctp") == 0 ||
				    strcasecmp(fld[COL_TRANSPORT], "dccp") == 0)
					continue;
				tf_error(err, errlen, path, rec->line, "bad transport \"%s\"",
					 fld[COL_TRANSPORT]);
				goto fail;
			}
		}
		if (fld[COL_SERVICE][0] == '\0' && fld[COL_NOTES][0] == '\0' &&
		    strncasecmp(fld[COL_DESCRIPTION], "Unassigned", 10) == 0 &&
		    fld[COL_DESCRIPTION][10] == '\0')
			continue;
		if (fld[COL_SERVICE][0] != '\0' && !valid_service(fld[COL_SERVICE])) {
			tf_error(err, errlen, path, rec->line, "bad service name \"%s\"", fld[COL_SERVICE]);
			goto fail;
		}
		for (int c = COL_REGDATE; c <= COL_MODDATE; c++) {
			if (fld[c][0] != '\0' && !is_date(fld[c])) {
				tf_error(err, errlen, path, rec->line, "bad date \"%s\"", fld[c]);
				goto fail;
			}
			if (strlen(fld[c]) == 10 && strcmp(fld[c], latest) > 0)
				tf_copy(latest, sizeof(latest), fld[c]);
		}
		fld[COL_DESCRIPTION] = first_line(fld[COL_DESCRIPTION]);
		for (int t = t0; t <= t1; t++) {
			struct reg_entry *e = entry_add(r, path, rec->line, err, errlen);

			if (e == NULL)
				goto fail;
			e->service = str_dup(r, fld[COL_SERVICE]);
			e->description = str_dup(r, fld[COL_DESCRIPTION]);
			e->assignee = str_dup(r, fld[COL_ASSIGNEE]);
			e->contact = str_dup(r, fld[COL_CONTACT]);
			e->registration_date = str_dup(r, fld[COL_REGDATE]);
			e->modification_date = str_dup(r, fld[COL_MODDATE]);
			e->reference = str_dup(r, fld[COL_REFERENCE]);
			e->notes = str_dup(r, fld[COL_NOTES]);
			e->unauthorized_use = str_dup(r, fld[COL_UNAUTH]);
			if (e->service == NULL || e->description == NULL || e->assignee == NULL ||
			    e->contact == NULL || e->registration_date == NULL ||
			    e->modification_date == NULL || e->reference == NULL || e->notes == NULL ||
			    e->unauthorized_use == NULL) {
				tf_error(err, errlen, path, rec->line, "out of memory");
				goto fail;
			}
			e->port_lo = lo;
			e->port_hi = hi;
			e->transport = (uint8_t)t;
			e->flags = fld[COL_SERVICE][0] == '\0' ? REG_F_RESERVED : 0;
		}
	}
	if (rc < 0)
		goto fail;
	r->source = str_dup(r, "IANA service-names-port-numbers.csv");
	r->date = str_dup(r, latest[0] != '\0' ? latest : "unknown");
	if (r->source == NULL || r->date == NULL) {
		tf_error(err, errlen, path, 0, "out of memory");
		goto fail;
	}
	tf_close(&f);
	free(rec);
	if (reg_index(r, err, errlen) < 0) {
		reg_free(r);
		return -1;
	}
	*out = r;
	return 0;
fail:
	tf_close(&f);
	free(rec);
	reg_free(r);
	return -1;
}

int reg_load(const char *path, struct registry **out, char *err, size_t errlen)
{
	char head[64] = "";
	FILE *fp = fopen(path, "rb");

	if (fp != NULL) {
		size_t n = fread(head, 1, sizeof(head) - 1, fp);

		head[n] = '\0';
		fclose(fp);
	}
	{
		const char *h = head;

		if (strncmp(h, "\xEF\xBB\xBF", 3) == 0)
			h += 3;
		if (strncmp(h, "Service Name,", 13) == 0)
			return reg_load_csv(path, out, err, errlen);
	}
	return reg_load_tsv(path, out, err, errlen);
}

size_t reg_count(const struct registry *r)
{
	return r->n;
}

const struct reg_entry *reg_entry_at(const struct registry *r, size_t i)
{
	return i < r->n ? &r->e[i] : NULL;
}

size_t reg_lookup_port(const struct registry *r, uint16_t port, enum mp_transport t,
		       const struct reg_entry *const **out)
{
	uint32_t a, b;

	if ((unsigned)t >= MP_TRANSPORT_COUNT)
		return 0;
	a = r->off[t][port];
	b = r->off[t][(size_t)port + 1];
	if (b > a)
		*out = r->slots + a;
	return b - a;
}

const struct reg_entry *reg_primary(const struct registry *r, uint16_t port, enum mp_transport t)
{
	const struct reg_entry *const *v = NULL;
	size_t n = reg_lookup_port(r, port, t, &v);

	for (size_t i = 0; i < n; i++)
		if (!(v[i]->flags & REG_F_RESERVED))
			return v[i];
	return NULL;
}

size_t reg_lookup_name(const struct registry *r, const char *service, const struct reg_entry *const **out)
{
	size_t lo = 0, hi = r->n_by_name, first;

	/* lower bound */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(r->by_name[mid]->service, service) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < r->n_by_name && strcasecmp(r->by_name[lo]->service, service) == 0)
		lo++;
	if (lo > first)
		*out = r->by_name + first;
	return lo - first;
}

int reg_has(const struct registry *r, const char *service, uint16_t port, enum mp_transport t)
{
	const struct reg_entry *const *v = NULL;
	size_t n = reg_lookup_port(r, port, t, &v);

	for (size_t i = 0; i < n; i++)
		if (!(v[i]->flags & REG_F_RESERVED) && strcasecmp(v[i]->service, service) == 0)
			return 1;
	return 0;
}

long reg_nmap_freq(const struct registry *r, uint16_t port, enum mp_transport t)
{
	if ((unsigned)t >= MP_TRANSPORT_COUNT || r->freq[t][port] == FREQ_UNKNOWN)
		return -1;
	return (long)r->freq[t][port];
}

void reg_merge_freq(struct registry *dst, const struct registry *src)
{
	for (int t = 0; t < MP_TRANSPORT_COUNT; t++)
		for (size_t p = 0; p < NPORTS; p++)
			if (dst->freq[t][p] == FREQ_UNKNOWN)
				dst->freq[t][p] = src->freq[t][p];
}

const char *reg_path(const struct registry *r)
{
	return r->path;
}

const char *reg_source(const struct registry *r)
{
	return r->source;
}

const char *reg_date(const struct registry *r)
{
	return r->date;
}
