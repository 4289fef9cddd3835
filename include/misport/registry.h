/* registry.h: the IANA Service Name and Transport Protocol Port Number Registry (RFC 6335) for TCP and UDP,
 * loaded from misport's rules/registry.tsv or from IANA's own CSV, with O(1) lookup by port and O(log n)
 * lookup by name. */
#ifndef MISPORT_REGISTRY_H
#define MISPORT_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

/* The two transports the registry is kept for. */
enum mp_transport { MP_TRANSPORT_TCP = 0, MP_TRANSPORT_UDP = 1, MP_TRANSPORT_COUNT = 2 };

/* "tcp" or "udp". */
const char *reg_transport_name(enum mp_transport t);

/* Maps an IP protocol number (6, 17) to a transport; returns -1 for any other protocol. */
int reg_transport_from_ip_proto(uint8_t ip_proto);

/* Entry flags. */
#define REG_F_RESERVED                                                                                       \
	0x01u /* IANA row without a service name (Reserved, De-registered ...) kept for its notes;           \
	       * not an assignment */

/* One registration: a service name on one port or range, for one transport. Strings are never NULL ("" when
 * the source has no such field) and are owned by the registry. Fields only IANA's CSV has (assignee, contact,
 * dates, reference, notes, unauthorized use) are "" when loaded from registry.tsv. */
struct reg_entry {
	char *service;     /* IANA service name; "" for a REG_F_RESERVED row */
	char *description; /* IANA's description (first line of it in the CSV) */
	char *assignee;    /* e.g. "[Phil_Braham]" */
	char *contact;
	char *registration_date; /* "YYYY-MM-DD" or "YYYY-MM" as IANA writes it */
	char *modification_date;
	char *reference;        /* e.g. "[RFC8314]" */
	char *notes;            /* Assignment Notes, newlines kept */
	char *unauthorized_use; /* Unauthorized Use Reported */
	uint16_t port_lo, port_hi;
	uint8_t transport; /* enum mp_transport */
	uint8_t flags;     /* REG_F_* */
	uint32_t line;     /* line of the record in its file */
};

struct registry;

/* Loads misport's registry.tsv (format in rules/README.md). Returns 0 and a new registry in *out (owned by
 * the caller, release with reg_free), or -1 with err filled ("file:line: reason"); nothing is returned on
 * error. */
int reg_load_tsv(const char *path, struct registry **out, char *err, size_t errlen);

/* Loads IANA's service-names-port-numbers.csv (RFC 4180 quoting, fields with commas and newlines, port
 * ranges, empty transport meaning TCP and UDP). SCTP and DCCP rows, rows without a port, and unnamed rows
 * that say only "Unassigned" are skipped; other unnamed rows are kept as REG_F_RESERVED entries. Ownership as
 * reg_load_tsv. */
int reg_load_csv(const char *path, struct registry **out, char *err, size_t errlen);

/* Loads either format, chosen by the file's first line (IANA's CSV header or not). */
int reg_load(const char *path, struct registry **out, char *err, size_t errlen);

/* Frees r and every entry and string it owns. NULL is allowed. */
void reg_free(struct registry *r);

/* Number of entries, and entry i (0 <= i < count). The pointer stays valid until reg_free. */
size_t reg_count(const struct registry *r);
const struct reg_entry *reg_entry_at(const struct registry *r, size_t i);

/* All entries covering (port, t), reserved rows included, in file order. Returns their number and points *out
 * at an array owned by r (valid until reg_free); *out is untouched when the count is 0. O(1). */
size_t reg_lookup_port(const struct registry *r, uint16_t port, enum mp_transport t,
		       const struct reg_entry *const **out);

/* The first assigned (non-reserved) entry on (port, t), or NULL when IANA has assigned nothing there.
 * O(1). */
const struct reg_entry *reg_primary(const struct registry *r, uint16_t port, enum mp_transport t);

/* All entries with this service name (case-insensitive, as RFC 6335 says), in file order. Returns their
 * number; *out points into r. O(log n). */
size_t reg_lookup_name(const struct registry *r, const char *service, const struct reg_entry *const **out);

/* True when (service, port, t) is registered (case-insensitive name). */
int reg_has(const struct registry *r, const char *service, uint16_t port, enum mp_transport t);

/* nmap's open frequency of (port, t) in millionths (0 .. 1000000), or -1 when unknown. */
long reg_nmap_freq(const struct registry *r, uint16_t port, enum mp_transport t);

/* Copies nmap frequencies from src into dst for every port dst has none for (used when an IANA CSV replaces
 * the shipped TSV, which carries them). */
void reg_merge_freq(struct registry *dst, const struct registry *src);

/* The file's provenance: the path it was loaded from, and the "# source:" / "# date:" header of a TSV (for a
 * CSV, "IANA CSV" and its latest registration or modification date). Owned by r. */
const char *reg_path(const struct registry *r);
const char *reg_source(const struct registry *r);
const char *reg_date(const struct registry *r);

#endif
