/* rules.h: misport's rule set over the IANA port registry (RFC 6335): the nDPI protocol map, the legacy list
 * and the local policy, loaded together from a rules directory (file formats in rules/README.md). */
#ifndef MISPORT_RULES_H
#define MISPORT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "misport/classify.h"
#include "misport/registry.h"

/* ---- protocol map (src/protomap.c, rules/protomap.conf)
 * ---------------------------------------------------- */

/* Severity classes a protocol can be declared in (the file declares them before use). */
enum pmap_class { PMAP_CLASS_SERVICE, PMAP_CLASS_CARRIER, PMAP_CLASS_APP, PMAP_CLASS_COUNT };

/* "service", "carrier", "app". */
const char *pmap_class_name(enum pmap_class c);

/* An IANA service name that counts as the protocol; carried is set for a ~name (another protocol's
 * registration this one carries or upgrades, not its own port). */
struct pmap_name {
	char *service;
	int carried;
};

/* A port the protocol uses without holding IANA's registration (a "defacto" line). */
struct pmap_defacto {
	uint16_t port_lo, port_hi;
	uint8_t transport; /* enum mp_transport */
	char *source;      /* the line's text: who uses the port and IANA's owner */
	unsigned line;
};

/* One nDPI protocol. Strings and arrays are owned by the map. */
struct pmap_proto {
	char *ndpi; /* nDPI's name, e.g. "TLS" */
	enum pmap_class cls;
	char *reason;     /* declared reason word when the protocol has no IANA counterpart, else NULL */
	int judged_alone; /* 0 when its reason is declared "skip": no verdict unless a master carries it */
	int has_own;      /* it has a registered port of its own (a name without ~) */
	struct pmap_name *names; /* sorted by service name (case-insensitive) */
	size_t n_names;
	struct pmap_defacto *defacto;
	size_t n_defacto;
	unsigned line;
};

struct protomap;

/* Loads a protocol map. Returns 0 and *out (caller owns, pmap_free), or -1 with err ("file:line: reason"). */
int pmap_load(const char *path, struct protomap **out, char *err, size_t errlen);
void pmap_free(struct protomap *m);

/* Protocols in file order. */
size_t pmap_count(const struct protomap *m);
const struct pmap_proto *pmap_at(const struct protomap *m, size_t i);

/* The protocol with this nDPI name (case-sensitive), or NULL. O(log n). */
const struct pmap_proto *pmap_find(const struct protomap *m, const char *ndpi);

/* True when service (case-insensitive) counts as protocol p (own or ~ name). O(log n). */
int pmap_counts_as(const struct pmap_proto *p, const char *service);

/* The defacto line of p covering (port, t), or NULL. */
const struct pmap_defacto *pmap_defacto_for(const struct pmap_proto *p, uint16_t port, enum mp_transport t);

/* True when some protocol of the map names this service (own or ~): a well-known protocol's port. O(log
 * n). */
int pmap_knows_service(const struct protomap *m, const char *service);

/* The declared text of a class or reason word, or NULL. */
const char *pmap_class_text(const struct protomap *m, enum pmap_class c);
const char *pmap_reason_text(const struct protomap *m, const char *reason);

/* ---- legacy list (src/legacy.c, rules/legacy.tsv and rules/legacy-iana.tsv)
 * --------------------------------- */

enum legacy_scope {
	LEGACY_SCOPE_PORT,    /* the product is dead: traffic on the port is legacy-port */
	LEGACY_SCOPE_VACATED, /* IANA withdrew the assignment: same effect */
	LEGACY_SCOPE_NAME     /* only the service name is historic (an alias); no verdict effect */
};

/* "port", "vacated", "name". */
const char *legacy_scope_name(enum legacy_scope s);

struct legacy_entry {
	uint16_t port;
	uint8_t transport; /* enum mp_transport */
	enum legacy_scope scope;
	char *service;    /* IANA service name (former name for vacated ports), "-" when unknown */
	char *source;     /* where the fact comes from */
	char *reason;     /* one line, our words */
	const char *file; /* file the entry came from (owned by the list) */
	unsigned line;
};

struct legacy_list;

/* Loads and merges n legacy files (a duplicate port/transport/service, even across files, is an error).
 * Returns 0 and *out (caller owns, legacy_free), or -1 with err ("file:line: reason"). */
int legacy_load(const char *const *paths, size_t n, struct legacy_list **out, char *err, size_t errlen);
void legacy_free(struct legacy_list *l);

/* Entries sorted by transport, port, file order. */
size_t legacy_count(const struct legacy_list *l);
const struct legacy_entry *legacy_at(const struct legacy_list *l, size_t i);

/* Entries on (port, t); *out points into l. O(log n). */
size_t legacy_lookup(const struct legacy_list *l, uint16_t port, enum mp_transport t,
		     const struct legacy_entry *const **out);

/* ---- policy (src/policy.c, rules/policy.conf)
 * ---------------------------------------------------------------- */

enum policy_action {
	POLICY_ALLOW,    /* allow ...: the matching alert verdicts become "allowed" */
	POLICY_SEVERITY, /* severity N ...: sets the severity of matching alerts */
	/* report-dynamic ...: report unregistered-port in 49152-65535 for matching flows */
	POLICY_REPORT_DYNAMIC
};

/* An IPv4 or IPv6 network; IPv4 uses the first 4 bytes of addr. */
struct policy_net {
	uint8_t family; /* 4 or 6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16];
};

/* One policy line; a selector that is absent matches everything. */
struct policy_rule {
	enum policy_action action;
	int severity; /* POLICY_SEVERITY: 1..3 */
	int has_client, has_server;
	struct policy_net client, server;
	int has_port;
	uint16_t port_lo, port_hi;
	int transport;  /* enum mp_transport, or -1 for both */
	char proto[64]; /* nDPI name (master or app), "" for any */
	int verdict;    /* enum mp_verdict, or -1 for any alert verdict */
	char note[128]; /* the line's comment, if any ("our app server") */
	unsigned line;
};

/* The facts a policy rule is matched against. */
struct policy_flow {
	uint8_t family;
	const uint8_t *client, *server; /* 16 bytes each, or NULL */
	uint16_t port;
	int transport;
	const char *proto; /* judged protocol */
	const char *app;   /* carried application or NULL */
	int verdict;
};

struct policy;

/* Parses "10.0.0.0/8", "10.1.2.3" (a /32), "2001:db8::/32", "::1". Returns 0, or -1 when malformed or the
 * prefix is out of range; host bits beyond the prefix are cleared. */
int policy_parse_cidr(const char *s, struct policy_net *out);

/* True when the address (16 bytes, IPv4 in the first 4) of that family lies in n. */
int policy_net_contains(const struct policy_net *n, uint8_t family, const uint8_t *addr);

/* Loads a policy file. Protocol names are checked against pmap when it is not NULL. Returns 0 and *out
 * (caller owns, policy_free), or -1 with err ("file:line: reason"). */
int policy_load(const char *path, const struct protomap *pmap, struct policy **out, char *err, size_t errlen);

/* An empty policy (no rules), for running without a policy file. NULL when out of memory. */
struct policy *policy_empty(void);
void policy_free(struct policy *p);

size_t policy_count(const struct policy *p);
const struct policy_rule *policy_at(const struct policy *p, size_t i);

/* The first rule of that action matching f, or NULL. O(rules). */
const struct policy_rule *policy_match(const struct policy *p, enum policy_action action,
				       const struct policy_flow *f);

/* ---- the whole rule set (src/rules.c)
 * ------------------------------------------------------------------------ */

struct rules;

/* Loads dir/registry.tsv, dir/protomap.conf, dir/legacy.tsv and dir/legacy-iana.tsv. With registry_csv,
 * IANA's CSV replaces the shipped registry (keeping its nmap frequencies). With policy_path, that policy is
 * loaded (missing is an error); without it dir/policy.conf is loaded when it exists. Returns 0 and *out
 * (caller owns, rules_free), or -1 with err filled ("file:line: reason"). */
int rules_load(const char *dir, const char *registry_csv, const char *policy_path, struct rules **out,
	       char *err, size_t errlen);

/* Frees the rule set and everything it owns. NULL is allowed. */
void rules_free(struct rules *r);

/* The parts, owned by r. */
const struct registry *rules_registry(const struct rules *r);
const struct protomap *rules_protomap(const struct rules *r);
const struct legacy_list *rules_legacy(const struct rules *r);
const struct policy *rules_policy(const struct rules *r);

/* Per-port facts computed at load: */
#define RULES_PORT_ASSIGNED  0x01u /* IANA has assigned (port, t) to at least one service */
#define RULES_PORT_WELLKNOWN 0x02u /* one of those services counts as a protocol of the map */
#define RULES_PORT_LEGACY    0x04u /* the port is legacy (every assignment listed, or vacated) */
unsigned rules_port_flags(const struct rules *r, uint16_t port, enum mp_transport t);

/* The legacy entry that makes (port, t) legacy, or NULL. */
const struct legacy_entry *rules_port_legacy(const struct rules *r, uint16_t port, enum mp_transport t);

#endif
