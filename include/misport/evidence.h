/* evidence.h: packets of alerted flows written to pcap files (-w FILE for all of them, and/or one
 * file per alert in --evidence-dir named by flow_id), whole flows from their first packet. */
#ifndef MISPORT_EVIDENCE_H
#define MISPORT_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "misport/capture.h"
#include "misport/flow.h"

struct evidence;

struct evid_stats {
	uint64_t flows_written; /* alerted flows whose packets were written */
	uint64_t packets_written;
	uint64_t packets_truncated;  /* packets not kept because a buffer bound was hit */
	uint64_t packets_other_link; /* -w: frames of another link type than the file's, not written */
	uint64_t write_errors;
	/* --evidence-dir: alerted flows that got no file (MP_EVIDENCE_MAX_OPEN open) */
	uint64_t files_refused;
	uint64_t buffered_bytes; /* currently buffered */
};

/* Creates the evidence writer. path (-w, may be NULL) is created at the first alerted flow with that
 * flow's link type; dir (--evidence-dir, may be NULL) must exist. Returns 0, or -1 with err filled.
 * The caller owns *out (evid_free). */
int evid_new(const char *path, const char *dir, struct evidence **out, char *err, size_t errlen);

/* Records one frame of flow f: written at once when f has alerted, otherwise buffered (bounded)
 * until evid_alert or evid_release. The frame is copied. */
void evid_packet(struct evidence *e, struct mp_flow *f, int dlt, const struct capture_pkt *pkt);

/* Flow f raised an alert: its buffered frames are written (to -w and to a new per-alert file) and
 * its later frames follow. When dir is set, the per-alert file's path is copied into path_out
 * (cap bytes; "" when none). Returns 0, or -1 when a file could not be written (counted). */
int evid_alert(struct evidence *e, struct mp_flow *f, char *path_out, size_t cap);

/* The flow will not alert (verdict known, no alert): its buffer is freed and later frames are
 * ignored. */
void evid_release(struct evidence *e, struct mp_flow *f);

/* The flow ended: frees everything it holds and closes its per-alert file. */
void evid_flow_end(struct evidence *e, struct mp_flow *f);

const struct evid_stats *evid_get_stats(const struct evidence *e);

/* Closes every file and frees the writer. NULL is allowed. */
void evid_free(struct evidence *e);

#endif
