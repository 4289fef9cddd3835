/* evidence.c: per-flow packet buffers and pcap writers for the flows that raised alerts. */
#include "misport/evidence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "misport/config.h"

/* One buffered frame; the bytes follow the header. */
struct evid_frame {
	struct evid_frame *next;
	int dlt;
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	uint8_t data[];
};

/* Evidence state of one flow. */
struct evid_flow {
	struct evid_frame *head, *tail;
	size_t bytes;
	int state;                  /* EVS_BUFFER, EVS_ALERTED, EVS_IGNORE */
	struct capture_writer *own; /* the per-alert file, while open */
};

enum { EVS_BUFFER = 0, EVS_ALERTED, EVS_IGNORE };

struct evidence {
	char *path, *dir;
	struct capture_writer *all; /* -w, opened at the first alerted flow */
	unsigned open_files;
	struct evid_stats st;
};

int evid_new(const char *path, const char *dir, struct evidence **out, char *err, size_t errlen)
{
	struct evidence *e = calloc(1, sizeof(*e));

	*out = NULL;
	if (dir != NULL) { /* refused now rather than at every alert */
		struct stat st;
		const char *why = NULL;

		if (stat(dir, &st) != 0)
			why = strerror(errno);
		else if (!S_ISDIR(st.st_mode))
			why = "not a directory";
		else if (access(dir, W_OK | X_OK) != 0)
			why = strerror(errno);
		if (why != NULL) {
			snprintf(err, errlen, "--evidence-dir %s: %s", dir, why);
			free(e);
			return -1;
		}
	}
	if (e == NULL || (path != NULL && (e->path = strdup(path)) == NULL) ||
	    (dir != NULL && (e->dir = strdup(dir)) == NULL)) {
		snprintf(err, errlen, "evidence: out of memory");
		evid_free(e);
		return -1;
	}
	*out = e;
	return 0;
}

static void free_frames(struct evidence *e, struct evid_flow *ef)
{
	struct evid_frame *fr = ef->head, *next;

	for (; fr != NULL; fr = next) {
		next = fr->next;
		free(fr);
	}
	e->st.buffered_bytes -= ef->bytes;
	ef->head = ef->tail = NULL;
	ef->bytes = 0;
}

static void write_frame(struct evidence *e, struct evid_flow *ef, int dlt, const struct capture_pkt *pkt)
{
	bool written = false;

	if (e->all != NULL) {
		if (capture_writer_dlt(e->all) != dlt)
			e->st.packets_other_link++;
		else if (capture_writer_write(e->all, pkt) != 0)
			e->st.write_errors++;
		else
			written = true;
	}
	if (ef->own != NULL) {
		if (capture_writer_write(ef->own, pkt) != 0)
			e->st.write_errors++;
		else
			written = true;
	}
	if (written)
		e->st.packets_written++;
}

void evid_packet(struct evidence *e, struct mp_flow *f, int dlt, const struct capture_pkt *pkt)
{
	struct evid_flow *ef = f->evid;
	struct evid_frame *fr;
	size_t need = sizeof(*fr) + pkt->caplen;

	if (ef == NULL) {
		ef = calloc(1, sizeof(*ef));
		if (ef == NULL) {
			e->st.packets_truncated++;
			return;
		}
		f->evid = ef;
	}
	if (ef->state == EVS_IGNORE)
		return;
	if (ef->state == EVS_ALERTED) {
		write_frame(e, ef, dlt, pkt);
		return;
	}
	if (ef->bytes + need > MP_EVIDENCE_FLOW_MAX_BYTES ||
	    e->st.buffered_bytes + need > MP_EVIDENCE_TOTAL_MAX_BYTES || (fr = malloc(need)) == NULL) {
		e->st.packets_truncated++;
		return;
	}
	fr->next = NULL;
	fr->dlt = dlt;
	fr->ts_us = pkt->ts_us;
	fr->caplen = pkt->caplen;
	fr->wirelen = pkt->wirelen;
	memcpy(fr->data, pkt->data, pkt->caplen);
	if (ef->tail != NULL)
		ef->tail->next = fr;
	else
		ef->head = fr;
	ef->tail = fr;
	ef->bytes += need;
	e->st.buffered_bytes += need;
}

int evid_alert(struct evidence *e, struct mp_flow *f, char *path_out, size_t cap)
{
	struct evid_flow *ef = f->evid;
	char err[256];
	int rc = 0;

	if (cap > 0)
		path_out[0] = '\0';
	if (ef == NULL || ef->state != EVS_BUFFER)
		return 0;
	ef->state = EVS_ALERTED;
	if (ef->head == NULL)
		return 0;
	if (e->path != NULL && e->all == NULL &&
	    capture_writer_open(e->path, ef->head->dlt, 0, &e->all, err, sizeof(err)) != 0) {
		fprintf(stderr, "misport: -w: %s\n", err);
		free(e->path);
		e->path = NULL; /* report once */
		e->st.write_errors++;
		rc = -1;
	}
	if (e->dir != NULL && e->open_files < MP_EVIDENCE_MAX_OPEN) {
		char p[4096];
		int n = snprintf(p, sizeof(p), "%s/%llu.pcap", e->dir, (unsigned long long)f->flow_id);

		if (n < 0 || (size_t)n >= sizeof(p) ||
		    capture_writer_open(p, ef->head->dlt, 0, &ef->own, err, sizeof(err)) != 0) {
			e->st.write_errors++;
			rc = -1;
		} else {
			e->open_files++;
			if ((size_t)n < cap)
				memcpy(path_out, p, (size_t)n + 1);
		}
	} else if (e->dir != NULL) {
		e->st.files_refused++;
	}
	for (struct evid_frame *fr = ef->head; fr != NULL; fr = fr->next) {
		struct capture_pkt pkt = {fr->ts_us, fr->caplen, fr->wirelen, fr->data};
		write_frame(e, ef, fr->dlt, &pkt);
	}
	free_frames(e, ef);
	e->st.flows_written++;
	return rc;
}

void evid_release(struct evidence *e, struct mp_flow *f)
{
	struct evid_flow *ef = f->evid;

	if (ef == NULL || ef->state != EVS_BUFFER)
		return;
	free_frames(e, ef);
	ef->state = EVS_IGNORE;
}

void evid_flow_end(struct evidence *e, struct mp_flow *f)
{
	struct evid_flow *ef = f->evid;

	if (ef == NULL)
		return;
	free_frames(e, ef);
	if (ef->own != NULL) {
		if (capture_writer_close(ef->own) != 0)
			e->st.write_errors++;
		e->open_files--;
	}
	free(ef);
	f->evid = NULL;
}

const struct evid_stats *evid_get_stats(const struct evidence *e)
{
	return &e->st;
}

void evid_free(struct evidence *e)
{
	if (e == NULL)
		return;
	if (e->all != NULL && capture_writer_close(e->all) != 0)
		fprintf(stderr, "misport: -w %s: write error\n", e->path != NULL ? e->path : "");
	free(e->path);
	free(e->dir);
	free(e);
}
