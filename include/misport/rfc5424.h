/* rfc5424.h: syslog message formatting per RFC 5424 (header, STRUCTURED-DATA) and octet-counting
 * framing per RFC 6587 section 3.4.1 (also RFC 5425 for TLS); used by the syslog sink. */
#ifndef MISPORT_RFC5424_H
#define MISPORT_RFC5424_H

#include <stddef.h>
#include <stdint.h>

#include "misport/event.h"
#include "misport/textesc.h"

/* Facility 0..23 from a name (kern user mail daemon auth syslog lpr news uucp cron authpriv ftp ntp
 * security console solaris-cron local0..local7) or a number. Returns 0 or -1. */
int syslog_facility_parse(const char *s, int *out);

/* Severity 0..7 from a name (emerg alert crit err warning notice info debug; also error, warn,
 * critical, emergency, informational) or a number. Returns 0 or -1. */
int syslog_severity_parse(const char *s, int *out);

/* Default mapping of alert severity 1 (highest), 2, 3 to syslog severities: err, warning, notice.
 * Flow and stats records default to info. */
#define SYSLOG_ALERT_SEV_1 3
#define SYSLOG_ALERT_SEV_2 4
#define SYSLOG_ALERT_SEV_3 5
#define SYSLOG_OTHER_SEV   6

/* The header fields of one message; strings are borrowed. NULL or "" becomes the NILVALUE "-". */
struct rfc5424_hdr {
	int facility;         /* 0..23 */
	int severity;         /* 0..7 */
	uint64_t time_us;     /* TIMESTAMP, microseconds since the epoch (UTC, written with Z) */
	const char *hostname; /* at most 255 PRINTUSASCII */
	const char *app_name; /* at most 48 */
	const char *procid;   /* at most 128 */
	const char *msgid;    /* at most 32 */
};

/* Appends "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID " (the header up to STRUCTURED-DATA) to b;
 * characters a field may not hold become '_'. */
void rfc5424_header(struct sbuf *b, const struct rfc5424_hdr *h);

/* Appends one SD-ELEMENT "[SD-ID name="value" ...]" with the n (name, value) pairs (names and values
 * arrays), values escaped per RFC 5424 6.3.3; pairs whose value is NULL are left out. */
void rfc5424_sd_element(struct sbuf *b, const char *sd_id, const char *const *names,
			const char *const *values, size_t n);

/* Writes the octet-counting frame prefix "MSG-LEN SP" for a message of msglen octets into buf. Returns
 * its length, or -1 when cap is too small. */
int rfc6587_prefix(size_t msglen, char *buf, size_t cap);

/* The syslog severity for ev: alerts through alert_map[severity - 1] (severities outside 1..3 clamp),
 * other records other. */
int syslog_event_severity(const struct mp_event *ev, const int alert_map[3], int other);

#endif
