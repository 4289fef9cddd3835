/* outconf.c: output options and the output configuration file -> open sinks. The file format (an
 * INI-like list of [module] sections with key = value lines) is documented in docs/outputs.md. */
#include "misport/outconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"

static unsigned eve_mask(const struct outconf_cli *cli)
{
	return MP_EVMASK_ALERT | MP_EVMASK_STATS | (cli->flows ? MP_EVMASK_FLOW : 0);
}

int outconf_parse_events(const char *s, unsigned *mask)
{
	static const struct {
		const char *name;
		unsigned mask;
	} names[] = {
	    {"alert", MP_EVMASK_ALERT}, {"alerts", MP_EVMASK_ALERT}, {"flow", MP_EVMASK_FLOW},
	    {"flows", MP_EVMASK_FLOW},  {"stats", MP_EVMASK_STATS},  {"all", MP_EVMASK_ALL},
	};
	unsigned m = 0;
	const char *p = s;

	while (*p != '\0') {
		size_t n;
		bool found = false;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0) {
				m |= names[i].mask;
				found = true;
			}
		}
		if (!found)
			return -1;
		p += n;
	}
	if (m == 0)
		return -1;
	*mask = m;
	return 0;
}

/* ---- the configuration file ------------------------------------------------------------------- */

/* One [section]: a sink. Strings are owned (freed by conf_free). */
struct conf_sink {
	char *module; /* registry name, after mapping (eve + unix:... -> eve-socket) */
	char *target;
	unsigned mask;
	bool have_events;
	int line; /* of the section header */
	size_t nopts;
	struct output_opt opts[MP_OUTCONF_MAX_OPTS];
	int opt_line[MP_OUTCONF_MAX_OPTS];
};

struct conf {
	struct conf_sink sinks[MP_OUTPUT_MAX_SINKS];
	size_t n;
};

static void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct conf_sink *s = &c->sinks[i];

		free(s->module);
		free(s->target);
		for (size_t k = 0; k < s->nopts; k++) {
			free((void *)(uintptr_t)s->opts[k].key);
			free((void *)(uintptr_t)s->opts[k].value);
		}
	}
	c->n = 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Rewrites the quoted string at s ('"' ... '"', with \" \\ \n \r \t escapes) in place to its value.
 * Returns 0, or -1 when it is not one well-formed quoted string. */
static int unquote(char *s)
{
	const char *r = s + 1;
	char *w = s;

	for (;;) {
		if (*r == '\0')
			return -1;
		if (*r == '"')
			break;
		if (*r == '\\') {
			switch (r[1]) {
			case '"':
			case '\\':
				*w++ = r[1];
				break;
			case 'n':
				*w++ = '\n';
				break;
			case 'r':
				*w++ = '\r';
				break;
			case 't':
				*w++ = '\t';
				break;
			default:
				return -1;
			}
			r += 2;
			continue;
		}
		*w++ = *r++;
	}
	if (r[1] != '\0')
		return -1; /* text after the closing quote */
	*w = '\0';
	return 0;
}

/* The option value of key in s, or NULL. */
static const char *sink_opt(const struct conf_sink *s, const char *key)
{
	for (size_t i = 0; i < s->nopts; i++)
		if (strcmp(s->opts[i].key, key) == 0)
			return s->opts[i].value;
	return NULL;
}

/* Which events a module can carry, and its default when the section has no "events". */
static unsigned module_events(const struct conf_sink *s, unsigned *def)
{
	const char *fmt = sink_opt(s, "format");

	if (strcmp(s->module, "fast") == 0 || strcmp(s->module, "cef") == 0 ||
	    (strcmp(s->module, "syslog") == 0 && fmt != NULL && strcmp(fmt, "cef") == 0)) {
		*def = MP_EVMASK_ALERT;
		return strcmp(s->module, "fast") == 0 ? MP_EVMASK_ALERT : MP_EVMASK_ALERT | MP_EVMASK_FLOW;
	}
	*def = MP_EVMASK_ALERT | MP_EVMASK_STATS;
	return MP_EVMASK_ALL;
}

/* Finishes a section: target present, events valid for the module, module options valid. */
static int sink_finish(const char *path, struct conf_sink *s, char *err, size_t errlen)
{
	unsigned can, def;
	char e[512];

	if (s->target == NULL) {
		snprintf(err, errlen, "%s:%d: [%s] has no target", path, s->line, s->module);
		return -1;
	}
	if (strcmp(s->module, "eve") == 0 && strncmp(s->target, "unix", 4) == 0) {
		char *m = strdup("eve-socket");

		if (m == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(s->module);
		s->module = m;
	}
	can = module_events(s, &def);
	if (!s->have_events)
		s->mask = def;
	if ((s->mask & ~can) != 0) {
		snprintf(err, errlen, "%s:%d: [%s] cannot carry %s records", path, s->line, s->module,
			 (s->mask & ~can & MP_EVMASK_STATS) != 0 ? "stats" : "flow");
		return -1;
	}
	if (output_check(s->module, s->target, s->opts, s->nopts, e, sizeof(e)) != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, s->line, e);
		return -1;
	}
	return 0;
}

static int conf_parse(const char *path, struct conf *c, char *err, size_t errlen)
{
	static const char *const sections[] = {"eve", "eve-socket", "fast", "cef", "syslog", "redis"};
	FILE *fp = fopen(path, "r");
	char *line = malloc(MP_OUTCONF_LINE_MAX + 2);
	struct conf_sink *cur = NULL;
	int lineno = 0, rc = -1;

	memset(c, 0, sizeof(*c));
	if (fp == NULL || line == NULL) {
		snprintf(err, errlen, "%s: %s", path, fp == NULL ? strerror(errno) : "out of memory");
		goto out;
	}
	while (fgets(line, MP_OUTCONF_LINE_MAX + 2, fp) != NULL) {
		char *s, *eq, *key, *val;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errlen, "%s:%d: line longer than %u bytes", path, lineno,
				 MP_OUTCONF_LINE_MAX);
			goto out;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			bool known = false;

			if (close == NULL || trim(close + 1)[0] != '\0') {
				snprintf(err, errlen, "%s:%d: bad section header (expected [MODULE])", path,
					 lineno);
				goto out;
			}
			*close = '\0';
			s = trim(s + 1);
			for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
				if (strcmp(s, sections[i]) == 0)
					known = true;
			if (!known) {
				snprintf(err, errlen,
					 "%s:%d: unknown output [%s] (known: eve fast cef syslog redis)",
					 path, lineno, s);
				goto out;
			}
			if (cur != NULL && sink_finish(path, cur, err, errlen) != 0)
				goto out;
			if (c->n >= MP_OUTPUT_MAX_SINKS) {
				snprintf(err, errlen, "%s:%d: too many outputs (at most %d)", path, lineno,
					 MP_OUTPUT_MAX_SINKS);
				goto out;
			}
			cur = &c->sinks[c->n++];
			cur->line = lineno;
			cur->module = strdup(s);
			if (cur->module == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			continue;
		}
		eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected KEY = VALUE or [MODULE]", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		/* A value may be quoted to keep blanks at its ends or to write \" \\ \n \r \t escapes. */
		if (val[0] == '"' && unquote(val) != 0) {
			snprintf(err, errlen,
				 "%s:%d: bad quoted value (unterminated, or an escape other than "
				 "\\\" \\\\ \\n \\r \\t)",
				 path, lineno);
			goto out;
		}
		if (cur == NULL) {
			snprintf(err, errlen, "%s:%d: '%s' outside of a [MODULE] section", path, lineno, key);
			goto out;
		}
		if (*key == '\0') {
			snprintf(err, errlen, "%s:%d: empty key", path, lineno);
			goto out;
		}
		if (strcmp(key, "target") == 0) {
			if (cur->target != NULL) {
				snprintf(err, errlen, "%s:%d: second target in one section", path, lineno);
				goto out;
			}
			cur->target = strdup(val);
			if (cur->target == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
		} else if (strcmp(key, "events") == 0) {
			if (outconf_parse_events(val, &cur->mask) != 0) {
				snprintf(err, errlen,
					 "%s:%d: events: '%s' (expected alert, flow, stats or all)", path,
					 lineno, val);
				goto out;
			}
			cur->have_events = true;
		} else {
			if (cur->nopts >= MP_OUTCONF_MAX_OPTS) {
				snprintf(err, errlen, "%s:%d: too many options (at most %u)", path, lineno,
					 MP_OUTCONF_MAX_OPTS);
				goto out;
			}
			for (size_t i = 0; i < cur->nopts; i++) {
				if (strcmp(cur->opts[i].key, key) == 0) {
					snprintf(err, errlen, "%s:%d: '%s' given twice", path, lineno, key);
					goto out;
				}
			}
			cur->opts[cur->nopts].key = strdup(key);
			cur->opts[cur->nopts].value = strdup(val);
			cur->opt_line[cur->nopts] = lineno;
			if (cur->opts[cur->nopts].key == NULL || cur->opts[cur->nopts].value == NULL) {
				free((void *)(uintptr_t)cur->opts[cur->nopts].key);
				free((void *)(uintptr_t)cur->opts[cur->nopts].value);
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			cur->nopts++;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (cur == NULL) {
		snprintf(err, errlen, "%s: no output section", path);
		goto out;
	}
	if (sink_finish(path, cur, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(line);
	if (rc != 0)
		conf_free(c);
	return rc;
}

static void mask_text(unsigned mask, char *buf, size_t cap)
{
	(void)snprintf(buf, cap, "%s%s%s%s%s", (mask & MP_EVMASK_ALERT) ? "alert" : "",
		       (mask & MP_EVMASK_ALERT) && (mask & (MP_EVMASK_FLOW | MP_EVMASK_STATS)) ? "," : "",
		       (mask & MP_EVMASK_FLOW) ? "flow" : "",
		       (mask & MP_EVMASK_FLOW) && (mask & MP_EVMASK_STATS) ? "," : "",
		       (mask & MP_EVMASK_STATS) ? "stats" : "");
}

int outconf_check_file(const char *path, FILE *report, char *err, size_t errlen)
{
	struct conf *c = malloc(sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (conf_parse(path, c, err, errlen) != 0) {
		free(c);
		return -1;
	}
	if (report != NULL) {
		fprintf(report, "%s: %zu output%s, configuration OK\n", path, c->n, c->n == 1 ? "" : "s");
		for (size_t i = 0; i < c->n; i++) {
			char ev[32];

			mask_text(c->sinks[i].mask, ev, sizeof(ev));
			fprintf(report, "  %-10s %s events=%s", c->sinks[i].module, c->sinks[i].target, ev);
			for (size_t k = 0; k < c->sinks[i].nopts; k++) {
				const char *v = c->sinks[i].opts[k].value;

				fprintf(report, " %s=", c->sinks[i].opts[k].key);
				if (strcmp(c->sinks[i].opts[k].key, "password") == 0)
					v = "***";
				/* Control characters (from quoted escapes) are shown escaped, one sink per
				 * line. */
				for (; *v != '\0'; v++) {
					if ((unsigned char)*v < 0x20)
						fprintf(report, "\\x%02x", (unsigned char)*v);
					else
						fputc(*v, report);
				}
			}
			fputc('\n', report);
		}
	}
	conf_free(c);
	free(c);
	return 0;
}

/* ---- command line + file -> sinks ----------------------------------------------------------------- */

/* Adds the sinks of the command-line options. */
static int apply_cli(const struct outconf_cli *cli, struct outputs *o, char *err, size_t errlen)
{
	if (cli->eve != NULL) {
		const char *mod =
		    strncmp(cli->eve, "unix", 4) == 0 && strchr(cli->eve, ':') != NULL ? "eve-socket" : "eve";

		if (outputs_add(o, mod, cli->eve, eve_mask(cli), err, errlen) != 0)
			return -1;
	}
	if (cli->fast != NULL && outputs_add(o, "fast", cli->fast, MP_EVMASK_ALERT, err, errlen) != 0)
		return -1;
	if (cli->cef != NULL && outputs_add(o, "cef", cli->cef, MP_EVMASK_ALERT, err, errlen) != 0)
		return -1;
	if (cli->syslog != NULL) {
		struct output_opt opts[2];
		size_t n = 0;
		bool cef = false;

		if (cli->syslog_format != NULL) {
			if (strcmp(cli->syslog_format, "eve") != 0 &&
			    strcmp(cli->syslog_format, "cef") != 0) {
				snprintf(err, errlen, "--syslog-format: '%s' is not eve or cef",
					 cli->syslog_format);
				return -1;
			}
			cef = strcmp(cli->syslog_format, "cef") == 0;
			opts[n].key = "format";
			opts[n++].value = cli->syslog_format;
		}
		if (cli->syslog_facility != NULL) {
			opts[n].key = "facility";
			opts[n++].value = cli->syslog_facility;
		}
		if (outputs_add_opts(o, "syslog", cli->syslog, opts, n, cef ? MP_EVMASK_ALERT : eve_mask(cli),
				     err, errlen) != 0)
			return -1;
	} else if (cli->syslog_format != NULL || cli->syslog_facility != NULL) {
		snprintf(err, errlen, "--syslog-format and --syslog-facility need --syslog URL");
		return -1;
	}
	if (cli->redis != NULL && outputs_add(o, "redis", cli->redis, eve_mask(cli), err, errlen) != 0)
		return -1;
	return 0;
}

int outconf_apply(const struct outconf_cli *cli, struct outputs *o, char *err, size_t errlen)
{
	if (apply_cli(cli, o, err, errlen) != 0)
		return -1;
	if (cli->config != NULL) {
		struct conf *c = malloc(sizeof(*c));
		int rc = 0;

		if (c == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (conf_parse(cli->config, c, err, errlen) != 0) {
			free(c);
			return -1;
		}
		for (size_t i = 0; i < c->n && rc == 0; i++) {
			struct conf_sink *s = &c->sinks[i];
			char e[512];

			rc = outputs_add_opts(o, s->module, s->target, s->opts, s->nopts, s->mask, e,
					      sizeof(e));
			if (rc != 0)
				snprintf(err, errlen, "%s:%d: %s", cli->config, s->line, e);
		}
		conf_free(c);
		free(c);
		if (rc != 0)
			return -1;
	}
	if (outputs_count(o) == 0 && outputs_add(o, "fast", "-", MP_EVMASK_ALERT, err, errlen) != 0)
		return -1;
	return 0;
}

bool outconf_uses_stdout(const struct outconf_cli *cli)
{
	bool uses = (cli->eve != NULL && strcmp(cli->eve, "-") == 0) ||
		    (cli->fast != NULL && strcmp(cli->fast, "-") == 0) ||
		    (cli->cef != NULL && strcmp(cli->cef, "-") == 0);

	if (!uses && cli->config != NULL) {
		struct conf *c = malloc(sizeof(*c));
		char err[512];

		if (c != NULL && conf_parse(cli->config, c, err, sizeof(err)) == 0) {
			for (size_t i = 0; i < c->n; i++)
				if (strcmp(c->sinks[i].target, "-") == 0)
					uses = true;
			conf_free(c);
		}
		free(c);
	}
	return uses;
}
