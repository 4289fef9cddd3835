/* policy.c: loader and matcher of rules/policy.conf, the site's allow-lists (CIDR per RFC 4632, IPv6 prefixes
 * per RFC 4291), severity overrides and dynamic-port (RFC 6335 49152-65535) reporting. */
#include "misport/rules.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misport/config.h"
#include "misport/textfile.h"

struct policy {
	struct policy_rule *r;
	size_t n, cap;
};

struct policy *policy_empty(void)
{
	return calloc(1, sizeof(struct policy));
}

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->r);
	free(p);
}

size_t policy_count(const struct policy *p)
{
	return p->n;
}

const struct policy_rule *policy_at(const struct policy *p, size_t i)
{
	return i < p->n ? &p->r[i] : NULL;
}

int policy_parse_cidr(const char *s, struct policy_net *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long prefix;
	unsigned maxp;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		maxp = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		maxp = 128;
	} else {
		return -1;
	}
	if (slash == NULL) {
		prefix = maxp;
	} else if (tf_parse_uint(slash + 1, maxp, &prefix) < 0) {
		return -1;
	}
	out->prefix = (uint8_t)prefix;
	for (unsigned bit = (unsigned)prefix; bit < maxp; bit++)
		out->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return 0;
}

int policy_net_contains(const struct policy_net *n, uint8_t family, const uint8_t *addr)
{
	unsigned full = n->prefix / 8u, rest = n->prefix % 8u;

	if (addr == NULL || family != n->family)
		return 0;
	if (memcmp(n->addr, addr, full) != 0)
		return 0;
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xffu << (8u - rest));

		if ((addr[full] & mask) != n->addr[full])
			return 0;
	}
	return 1;
}

/* Parses "N", "LO-HI", either with "/tcp" or "/udp". */
static int parse_port_sel(char *s, struct policy_rule *r)
{
	char *slash = strchr(s, '/');

	r->transport = -1;
	if (slash != NULL) {
		*slash = '\0';
		if (strcmp(slash + 1, "tcp") == 0)
			r->transport = MP_TRANSPORT_TCP;
		else if (strcmp(slash + 1, "udp") == 0)
			r->transport = MP_TRANSPORT_UDP;
		else
			return -1;
	}
	if (tf_parse_port_range(s, &r->port_lo, &r->port_hi) < 0)
		return -1;
	r->has_port = 1;
	return 0;
}

static int parse_rule(char *rest, const struct protomap *pmap, struct policy_rule *r, const char *path,
		      unsigned line, char *err, size_t errlen)
{
	char *key;
	int selectors = 0;

	while ((key = tf_token(&rest)) != NULL) {
		char *val = tf_token(&rest);

		if (val == NULL)
			return tf_error(err, errlen, path, line, "\"%s\" needs a value", key);
		if (strcmp(key, "client") == 0 || strcmp(key, "server") == 0) {
			int is_client = key[0] == 'c';
			struct policy_net *net = is_client ? &r->client : &r->server;
			int *has = is_client ? &r->has_client : &r->has_server;

			if (*has)
				return tf_error(err, errlen, path, line, "%s given twice", key);
			if (policy_parse_cidr(val, net) < 0)
				return tf_error(err, errlen, path, line,
						"bad network \"%s\" (address or CIDR, v4 or v6)", val);
			*has = 1;
		} else if (strcmp(key, "port") == 0) {
			if (r->has_port)
				return tf_error(err, errlen, path, line, "port given twice");
			if (parse_port_sel(val, r) < 0)
				return tf_error(err, errlen, path, line,
						"bad port \"%s\" (N, LO-HI, optional /tcp or /udp)", val);
		} else if (strcmp(key, "proto") == 0) {
			if (r->proto[0] != '\0')
				return tf_error(err, errlen, path, line, "proto given twice");
			if (pmap != NULL && pmap_find(pmap, val) == NULL)
				return tf_error(
				    err, errlen, path, line,
				    "protocol \"%s\" is not in the protocol map (nDPI names, e.g. HTTP, TLS)",
				    val);
			if (tf_copy(r->proto, sizeof(r->proto), val) < 0)
				return tf_error(err, errlen, path, line, "protocol name too long");
		} else if (strcmp(key, "verdict") == 0) {
			int v = verdict_from_name(val);

			if (r->verdict >= 0)
				return tf_error(err, errlen, path, line, "verdict given twice");
			if (v != MP_VERDICT_PORT_MISMATCH && v != MP_VERDICT_UNREGISTERED_PORT &&
			    v != MP_VERDICT_LEGACY_PORT)
				return tf_error(
				    err, errlen, path, line,
				    "bad verdict \"%s\" (port-mismatch, unregistered-port, legacy-port)",
				    val);
			r->verdict = v;
			continue; /* a verdict alone does not narrow down the flows */
		} else {
			return tf_error(err, errlen, path, line,
					"unknown selector \"%s\" (client, server, port, proto, verdict)",
					key);
		}
		selectors++;
	}
	if (r->action == POLICY_ALLOW && selectors == 0)
		return tf_error(
		    err, errlen, path, line,
		    "allow needs at least one of client, server, port, proto (it would allow every flow)");
	return 0;
}

int policy_load(const char *path, const struct protomap *pmap, struct policy **out, char *err, size_t errlen)
{
	struct tf_file f;
	struct policy *p;
	char *line;
	int rc;

	*out = NULL;
	if (tf_open(&f, path, MP_RULES_MAX_FILE_SIZE, err, errlen) < 0)
		return -1;
	p = policy_empty();
	if (p == NULL) {
		tf_close(&f);
		return tf_error(err, errlen, path, 0, "out of memory");
	}
	while ((rc = tf_next_line(&f, MP_RULES_MAX_LINE, &line, err, errlen)) > 0) {
		char *hash = strchr(line, '#'), *rest, *kw;
		struct policy_rule r;

		memset(&r, 0, sizeof(r));
		r.line = f.line;
		r.transport = -1;
		r.verdict = -1;
		if (hash != NULL)
			(void)tf_copy(r.note, sizeof(r.note), tf_trim(hash + 1, 0));
		rest = tf_trim(line, 1);
		kw = tf_token(&rest);
		if (kw == NULL)
			continue;
		if (strcmp(kw, "allow") == 0) {
			r.action = POLICY_ALLOW;
		} else if (strcmp(kw, "severity") == 0) {
			char *v = tf_token(&rest);
			unsigned long sev;

			r.action = POLICY_SEVERITY;
			if (v == NULL || tf_parse_uint(v, 3, &sev) < 0 || sev < 1) {
				rc = tf_error(err, errlen, path, f.line,
					      "severity needs a level 1 (highest) to 3");
				break;
			}
			r.severity = (int)sev;
		} else if (strcmp(kw, "report-dynamic") == 0) {
			r.action = POLICY_REPORT_DYNAMIC;
		} else {
			rc = tf_error(err, errlen, path, f.line,
				      "unknown rule \"%s\" (allow, severity, report-dynamic)", kw);
			break;
		}
		if (parse_rule(rest, pmap, &r, path, f.line, err, errlen) < 0) {
			rc = -1;
			break;
		}
		if (r.action == POLICY_REPORT_DYNAMIC && r.verdict >= 0) {
			rc = tf_error(err, errlen, path, f.line, "report-dynamic takes no verdict");
			break;
		}
		if (p->n >= MP_POLICY_MAX_RULES) {
			rc = tf_error(err, errlen, path, f.line, "more than %u rules", MP_POLICY_MAX_RULES);
			break;
		}
		if (p->n == p->cap) {
			size_t ncap = p->cap == 0 ? 16 : p->cap * 2;
			struct policy_rule *nr = realloc(p->r, ncap * sizeof(*nr));

			if (nr == NULL) {
				rc = tf_error(err, errlen, path, f.line, "out of memory");
				break;
			}
			p->r = nr;
			p->cap = ncap;
		}
		p->r[p->n++] = r;
	}
	tf_close(&f);
	if (rc < 0) {
		policy_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

static int rule_matches(const struct policy_rule *r, const struct policy_flow *f)
{
	if (r->verdict >= 0 && r->verdict != f->verdict)
		return 0;
	if (r->has_port && (f->port < r->port_lo || f->port > r->port_hi))
		return 0;
	if (r->transport >= 0 && r->transport != f->transport)
		return 0;
	if (r->proto[0] != '\0' && (f->proto == NULL || strcmp(r->proto, f->proto) != 0) &&
	    (f->app == NULL || strcmp(r->proto, f->app) != 0))
		return 0;
	if (r->has_server && !policy_net_contains(&r->server, f->family, f->server))
		return 0;
	if (r->has_client && !policy_net_contains(&r->client, f->family, f->client))
		return 0;
	return 1;
}

const struct policy_rule *policy_match(const struct policy *p, enum policy_action action,
				       const struct policy_flow *f)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].action == action && rule_matches(&p->r[i], f))
			return &p->r[i];
	return NULL;
}
