/* eve.c: Suricata EVE JSON serialization of misport events, and the EVE file/stdout sink. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misport/config.h"
#include "misport/json.h"
#include "misport/output.h"
#include "modules.h"

void eve_timestamp(uint64_t ts_us, char *buf, size_t cap)
{
	time_t t = (time_t)(ts_us / 1000000u);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || cap < 32) {
		(void)snprintf(buf, cap, "1970-01-01T00:00:00.000000+0000");
		return;
	}
	(void)snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900, tm.tm_mon + 1,
		       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts_us % 1000000u));
}

const char *eve_proto_name(uint8_t ip_proto, char *tmp, size_t cap)
{
	switch (ip_proto) {
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 1:
		return "ICMP";
	case 58:
		return "IPv6-ICMP";
	case 47: /* the outer protocols of tunnels, named as /etc/protocols names them (Suricata's source) */
		return "GRE";
	case 4:
		return "IP-ENCAP";
	case 41:
		return "IPv6";
	default:
		(void)snprintf(tmp, cap, "%03u", ip_proto);
		return tmp;
	}
}

void eve_addr(uint8_t family, const uint8_t *addr, char *buf, size_t cap)
{
	if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)cap) == NULL && cap > 0)
		buf[0] = '\0';
}

/* The sensor's name, written as "host" in every record when set (eve_set_sensor_name). */
static const char *sensor_name;

void eve_set_sensor_name(const char *name)
{
	sensor_name = name != NULL && name[0] != '\0' ? name : NULL;
}

/* Writes the members every record about a conversation carries (Suricata's common header). */
static void eve_header(struct jbuf *j, uint64_t ts_us, uint64_t flow_id, const char *type, uint8_t family,
		       uint8_t ip_proto, uint16_t vlan, const uint8_t *src, uint16_t sport,
		       const uint8_t *dst, uint16_t dport, const char *community_id,
		       const char *pcap_filename, const char *in_iface)
{
	char ts[40], a[64], p[8];

	eve_timestamp(ts_us, ts, sizeof(ts));
	jb_str(j, "timestamp", ts);
	if (flow_id != 0)
		jb_u64(j, "flow_id", flow_id);
	if (in_iface != NULL)
		jb_str(j, "in_iface", in_iface);
	jb_str(j, "event_type", type);
	if (vlan != 0) {
		jb_arr_open(j, "vlan");
		jb_u64(j, NULL, vlan);
		jb_arr_close(j);
	}
	eve_addr(family, src, a, sizeof(a));
	jb_str(j, "src_ip", a);
	if (ip_proto == 6 || ip_proto == 17)
		jb_u64(j, "src_port", sport);
	eve_addr(family, dst, a, sizeof(a));
	jb_str(j, "dest_ip", a);
	if (ip_proto == 6 || ip_proto == 17)
		jb_u64(j, "dest_port", dport);
	jb_u64(j, "ip_v", family);
	jb_str(j, "proto", eve_proto_name(ip_proto, p, sizeof(p)));
	if (community_id[0] != '\0')
		jb_str(j, "community_id", community_id);
	if (pcap_filename != NULL)
		jb_str(j, "pcap_filename", pcap_filename);
	if (sensor_name != NULL)
		jb_str(j, "host", sensor_name);
}

/* Suricata's "tunnel" object: the outer end of a tunnelled flow's first packet. */
static void eve_tunnel(struct jbuf *j, const struct mp_tunnel_info *t)
{
	char a[64], p[8];

	if (t->family == 0)
		return;
	jb_obj_open(j, "tunnel");
	eve_addr(t->family, t->src, a, sizeof(a));
	jb_str(j, "src_ip", a);
	if (t->ip_proto == 17)
		jb_u64(j, "src_port", t->sport);
	eve_addr(t->family, t->dst, a, sizeof(a));
	jb_str(j, "dest_ip", a);
	if (t->ip_proto == 17)
		jb_u64(j, "dest_port", t->dport);
	jb_str(j, "proto", eve_proto_name(t->ip_proto, p, sizeof(p)));
	jb_u64(j, "depth", t->depth);
	jb_obj_close(j);
}

static void eve_alert(struct jbuf *j, const struct mp_alert *a)
{
	eve_header(j, a->ts_us, a->flow_id, "alert", a->family, a->ip_proto, a->vlan, a->src_ip, a->src_port,
		   a->dst_ip, a->dst_port, a->community_id, a->pcap_filename, a->in_iface);
	eve_tunnel(j, &a->tunnel);
	if (a->app_proto[0] != '\0')
		jb_str(j, "app_proto", a->app_proto);
	jb_obj_open(j, "alert");
	jb_str(j, "action", "allowed");
	jb_u64(j, "gid", 1);
	jb_u64(j, "signature_id", a->signature_id);
	jb_u64(j, "rev", 1);
	jb_str(j, "signature", a->signature);
	jb_str(j, "category", a->category);
	jb_i64(j, "severity", a->severity);
	if (a->n_meta > 0) {
		bool done[MP_ALERT_MAX_META] = {false};

		jb_obj_open(j, "metadata");
		/* Entries sharing a key are gathered into one array, in order of first appearance. */
		for (size_t i = 0; i < a->n_meta; i++) {
			if (done[i])
				continue;
			jb_arr_open(j, a->meta[i].key);
			for (size_t k = i; k < a->n_meta; k++) {
				if (!done[k] && strcmp(a->meta[k].key, a->meta[i].key) == 0) {
					jb_str(j, NULL, a->meta[k].value);
					done[k] = true;
				}
			}
			jb_arr_close(j);
		}
		jb_obj_close(j);
	}
	jb_obj_close(j);
}

static void tcp_flags_hex(uint8_t f, char *buf, size_t cap)
{
	(void)snprintf(buf, cap, "%02x", f);
}

static void eve_flow(struct jbuf *j, const struct mp_flow_record *f)
{
	char ts[40], hx[4];

	eve_header(j, f->last_us, f->flow_id, "flow", f->family, f->ip_proto, f->vlan, f->src_ip, f->src_port,
		   f->dst_ip, f->dst_port, f->community_id, f->pcap_filename, f->in_iface);
	eve_tunnel(j, &f->tunnel);
	jb_str(j, "app_proto", f->app_proto[0] != '\0' ? f->app_proto : "Unknown");
	jb_obj_open(j, "flow");
	jb_u64(j, "pkts_toserver", f->pkts_toserver);
	jb_u64(j, "pkts_toclient", f->pkts_toclient);
	jb_u64(j, "bytes_toserver", f->bytes_toserver);
	jb_u64(j, "bytes_toclient", f->bytes_toclient);
	eve_timestamp(f->first_us, ts, sizeof(ts));
	jb_str(j, "start", ts);
	eve_timestamp(f->last_us, ts, sizeof(ts));
	jb_str(j, "end", ts);
	jb_u64(j, "age", (f->last_us - f->first_us) / 1000000u);
	if (f->state != NULL)
		jb_str(j, "state", f->state);
	if (f->reason != NULL)
		jb_str(j, "reason", f->reason);
	jb_bool(j, "alerted", f->alerted);
	jb_obj_close(j);
	if (f->ip_proto == 6) {
		uint8_t all = f->tcp_flags_ts | f->tcp_flags_tc;

		jb_obj_open(j, "tcp");
		tcp_flags_hex(all, hx, sizeof(hx));
		jb_str(j, "tcp_flags", hx);
		tcp_flags_hex(f->tcp_flags_ts, hx, sizeof(hx));
		jb_str(j, "tcp_flags_ts", hx);
		tcp_flags_hex(f->tcp_flags_tc, hx, sizeof(hx));
		jb_str(j, "tcp_flags_tc", hx);
		if (all & MP_TH_SYN)
			jb_bool(j, "syn", true);
		if (all & MP_TH_FIN)
			jb_bool(j, "fin", true);
		if (all & MP_TH_RST)
			jb_bool(j, "rst", true);
		if (all & MP_TH_PSH)
			jb_bool(j, "psh", true);
		if (all & MP_TH_ACK)
			jb_bool(j, "ack", true);
		if (all & MP_TH_URG)
			jb_bool(j, "urg", true);
		if (all & MP_TH_ECE)
			jb_bool(j, "ecn", true);
		if (all & MP_TH_CWR)
			jb_bool(j, "cwr", true);
		jb_obj_close(j);
	}
	/* nDPI's own view; the schema leaves the "ndpi" object open to the library's fields. */
	jb_obj_open(j, "ndpi");
	jb_str(j, "protocol", f->app_proto[0] != '\0' ? f->app_proto : "Unknown");
	if (f->category[0] != '\0')
		jb_str(j, "category", f->category);
	jb_bool(j, "guessed", f->guessed);
	if (f->ndpi_wrong_port)
		jb_bool(j, "known_protocol_on_non_standard_port", true);
	jb_obj_close(j);
}

/* Writes the malformed-packet counters as stats.decoder.event.<group>.<name> objects. */
static void eve_decoder_events(struct jbuf *j, const struct mp_stats_record *s)
{
	char group[32] = "";

	jb_obj_open(j, "event");
	for (int r = 0; r < MP_DEC_RESULT_COUNT; r++) {
		const char *name, *dot;
		size_t glen;

		if (!decode_result_malformed((enum mp_decode_result)r))
			continue;
		name = decode_result_name((enum mp_decode_result)r);
		dot = strchr(name, '.');
		if (dot == NULL)
			continue;
		glen = (size_t)(dot - name);
		if (glen >= sizeof(group))
			continue;
		if (strncmp(group, name, glen) != 0 || group[glen] != '\0') {
			if (group[0] != '\0')
				jb_obj_close(j);
			memcpy(group, name, glen);
			group[glen] = '\0';
			jb_obj_open(j, group);
		}
		jb_u64(j, dot + 1, s->decoded[r]);
	}
	if (group[0] != '\0')
		jb_obj_close(j);
	jb_obj_close(j);
}

/* Writes the counters Suricata's stats vocabulary has no key for. The schema closes every object under
 * "stats", so they go in the same record's metadata.flowints (named integers, open in the schema):
 * alerts per verdict and per scan, and the bounds of the scan detector and the evidence writer.
 * docs/outputs.md lists the names; they are stable. */
static void eve_stats_extra(struct jbuf *j, const struct mp_stats_record *s)
{
	static const struct {
		const char *key;
		enum mp_verdict v;
	} verdicts[] = {{"alerts_port_mismatch", MP_VERDICT_PORT_MISMATCH},
			{"alerts_unregistered_port", MP_VERDICT_UNREGISTERED_PORT},
			{"alerts_legacy_port", MP_VERDICT_LEGACY_PORT}};

	jb_obj_open(j, "metadata");
	jb_obj_open(j, "flowints");
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		jb_u64(j, verdicts[i].key, s->alerts_verdict[verdicts[i].v]);
	jb_u64(j, "alerts_scan", s->alerts_scan);
	jb_u64(j, "scan_list_overflow", s->scan_overflow);
	jb_u64(j, "scan_contacts_replaced", s->scan_contacts_replaced);
	jb_u64(j, "suppress_active", s->supp_active);
	jb_u64(j, "evidence_truncated", s->evid_truncated);
	jb_u64(j, "evidence_other_link", s->evid_other_link);
	jb_u64(j, "evidence_write_errors", s->evid_write_errors);
	jb_u64(j, "evidence_files_refused", s->evid_files_refused);
	jb_u64(j, "dpi_packets", s->dpi_packets);
	jb_u64(j, "dpi_clamped", s->dpi_clamped);
	jb_u64(j, "dpi_cache_refused", s->dpi_cache_refused);
	jb_u64(j, "decoder_gtpu", s->tunnel[MP_TUN_GTPU]);
	jb_obj_close(j);
	jb_obj_close(j);
}

static void eve_stats(struct jbuf *j, const struct mp_stats_record *s)
{
	char ts[40];

	eve_timestamp(s->ts_us, ts, sizeof(ts));
	jb_str(j, "timestamp", ts);
	jb_str(j, "event_type", "stats");
	if (sensor_name != NULL)
		jb_str(j, "host", sensor_name);
	jb_obj_open(j, "stats");
	jb_u64(j, "uptime", s->uptime_s);
	if (s->have_capture) {
		jb_obj_open(j, "capture");
		jb_u64(j, "kernel_packets", s->kernel_packets);
		jb_u64(j, "kernel_drops", s->kernel_drops);
		jb_u64(j, "kernel_ifdrops", s->kernel_ifdrops);
		jb_obj_close(j);
	}
	jb_obj_open(j, "decoder");
	jb_u64(j, "pkts", s->pkts);
	jb_u64(j, "bytes", s->bytes);
	jb_u64(j, "invalid", s->invalid);
	jb_u64(j, "ipv4", s->ipv4);
	jb_u64(j, "ipv6", s->ipv6);
	jb_u64(j, "ethernet", s->link_ethernet);
	jb_u64(j, "sll", s->link_sll);
	jb_u64(j, "sll2", s->link_sll2);
	jb_u64(j, "null", s->link_null);
	jb_u64(j, "raw", s->link_raw);
	jb_u64(j, "vlan", s->vlan);
	jb_u64(j, "tcp", s->tcp);
	jb_u64(j, "udp", s->udp);
	jb_u64(j, "icmpv4", s->icmpv4);
	jb_u64(j, "icmpv6", s->icmpv6);
	jb_u64(j, "unknown_ethertype", s->decoded[MP_DEC_SKIP_NON_IP]);
	/* Suricata's per-tunnel counters; GTP-U has none there (metadata.flowints.decoder_gtpu) */
	for (int t = 0; t < MP_TUN_COUNT; t++)
		if (t != MP_TUN_GTPU)
			jb_u64(j, decode_tunnel_name((enum mp_tunnel)t), s->tunnel[t]);
	eve_decoder_events(j, s);
	jb_obj_close(j);
	jb_obj_open(j, "flow");
	jb_u64(j, "total", s->flows_total);
	jb_u64(j, "tcp", s->flows_tcp);
	jb_u64(j, "udp", s->flows_udp);
	jb_u64(j, "icmpv4", s->flows_icmpv4);
	jb_u64(j, "icmpv6", s->flows_icmpv6);
	jb_u64(j, "active", s->flows_active);
	jb_u64(j, "emerg_mode_entered", s->flows_emerg_entered);
	jb_u64(j, "emerg_mode_over", s->flows_emerg_over);
	jb_u64(j, "memcap", s->dpi_memcap_refused); /* flows that got no nDPI state (docs/hostile-input.md) */
	jb_u64(j, "memuse", s->dpi_memuse);         /* nDPI bytes in use */
	jb_obj_open(j, "mgr");
	jb_u64(j, "flows_timeout", s->flows_timeout);
	jb_u64(j, "flows_evicted", s->flows_evicted);
	jb_obj_close(j);
	jb_obj_close(j);
	if (s->dpi_memcap != 0) {
		jb_obj_open(j, "memcap"); /* nDPI bytes in use and peak, percent of the cap */
		jb_u64(j, "pressure", s->dpi_memuse * 100u / s->dpi_memcap);
		jb_u64(j, "pressure_max", s->dpi_memuse_peak * 100u / s->dpi_memcap);
		jb_obj_close(j);
	}
	jb_obj_open(j, "host"); /* the scan detector's per-source table */
	jb_u64(j, "memcap", s->scan_evicted);
	jb_u64(j, "memuse", s->scan_memuse);
	jb_obj_close(j);
	jb_obj_open(j, "ippair"); /* the suppression table, keyed by source, destination and port */
	jb_u64(j, "memcap", s->supp_evicted);
	jb_obj_close(j);
	jb_obj_open(j, "pcap_log"); /* evidence pcaps */
	jb_u64(j, "written", s->evid_written);
	jb_obj_close(j);
	jb_obj_open(j, "detect");
	jb_u64(j, "alert", s->alerts);
	jb_u64(j, "alerts_suppressed", s->alerts_suppressed);
	jb_u64(j, "alert_queue_overflow", s->output_dropped);
	jb_obj_close(j);
	jb_obj_close(j);
	eve_stats_extra(j, s);
}

int eve_format(const struct mp_event *ev, char *buf, size_t cap)
{
	struct jbuf j;

	jb_init(&j, buf, cap);
	jb_obj_open(&j, NULL);
	switch (ev->type) {
	case MP_EV_ALERT:
		eve_alert(&j, ev->u.alert);
		break;
	case MP_EV_FLOW:
		eve_flow(&j, ev->u.flow);
		break;
	case MP_EV_STATS:
		eve_stats(&j, ev->u.stats);
		break;
	default:
		return -1;
	}
	jb_obj_close(&j);
	if (j.overflow)
		return -1;
	return (int)j.len;
}

/* The EVE sink: one JSON object per line to a regular file (appending) or to stdout ("-"). Lines
 * collect in the stream's buffer and reach the file whole: the buffer is flushed before a line that
 * would not fit, after a stats record (it closes a batch), when the oldest unflushed line is
 * MP_EVE_FLUSH_MS old at the next write, and at every outputs_idle. A reader of the file (tail -f,
 * Filebeat) sees each line complete, in live capture within about MP_LIVE_POLL_MS. On stdout (a pipe
 * to jq, a terminal) every line is flushed at once. */
struct eve_file {
	FILE *fp;
	char *path;        /* NULL for stdout */
	char *iobuf;       /* MP_EVE_FILE_BUFFER bytes for the stream; NULL for stdout */
	size_t cap;        /* the stream's buffer size: lines flushed before they would exceed it */
	size_t pending;    /* bytes written to the stream since its last flush */
	uint64_t dirty_ms; /* CLOCK_MONOTONIC_COARSE time of the oldest unflushed line; 0: none */
};

static uint64_t coarse_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		return 1; /* no clock: every line is flushed at the next write */
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + 1u;
}

static void eve_file_flush(struct eve_file *e)
{
	(void)fflush(e->fp);
	e->pending = 0;
	e->dirty_ms = 0;
}

/* Opens target for appending; the caller owns *state (eve_file_close). */
static int eve_file_open(const char *target, void **state, char *err, size_t errlen)
{
	struct eve_file *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		snprintf(err, errlen, "eve: out of memory");
		return -1;
	}
	if (strcmp(target, "-") == 0) {
		e->fp = stdout;
	} else {
		e->path = strdup(target);
		e->iobuf = malloc(MP_EVE_FILE_BUFFER);
		e->fp = fopen(target, "a");
		if (e->path == NULL || e->iobuf == NULL || e->fp == NULL) {
			snprintf(err, errlen, "eve: %s: %s", target,
				 e->fp == NULL ? strerror(errno) : "out of memory");
			if (e->fp != NULL)
				fclose(e->fp);
			free(e->iobuf);
			free(e->path);
			free(e);
			return -1;
		}
		e->cap = setvbuf(e->fp, e->iobuf, _IOFBF, MP_EVE_FILE_BUFFER) == 0 ? MP_EVE_FILE_BUFFER : 0;
	}
	*state = e;
	return 0;
}

static int eve_file_write_eve(void *state, const struct mp_event *ev, const char *line, size_t len)
{
	struct eve_file *e = state;
	uint64_t now = coarse_ms();

	if (e->pending != 0 && e->pending + len > e->cap)
		eve_file_flush(e); /* the buffer holds whole lines only */
	if (fwrite(line, 1, len, e->fp) != len)
		return -1;
	e->pending += len;
	if (e->dirty_ms == 0)
		e->dirty_ms = now;
	if (e->cap == 0 || ev->type == MP_EV_STATS || now - e->dirty_ms >= MP_EVE_FLUSH_MS)
		eve_file_flush(e);
	return 0;
}

static void eve_file_idle(void *state)
{
	struct eve_file *e = state;

	if (e->dirty_ms != 0)
		eve_file_flush(e);
}

static int eve_file_reopen(void *state, char *err, size_t errlen)
{
	struct eve_file *e = state;
	FILE *fp;

	if (e->path == NULL)
		return 0;
	fp = fopen(e->path, "a");
	if (fp == NULL) {
		snprintf(err, errlen, "eve: reopen %s: %s", e->path, strerror(errno));
		return -1;
	}
	fclose(e->fp); /* what it buffered goes to the old (rotated) file */
	e->fp = fp;
	e->pending = 0;
	e->dirty_ms = 0;
	e->cap = setvbuf(e->fp, e->iobuf, _IOFBF, MP_EVE_FILE_BUFFER) == 0 ? MP_EVE_FILE_BUFFER : 0;
	return 0;
}

static void eve_file_close(void *state)
{
	struct eve_file *e = state;

	if (e == NULL)
		return;
	if (e->fp != stdout)
		fclose(e->fp);
	else
		(void)fflush(stdout);
	free(e->iobuf); /* after fclose: the stream used it */
	free(e->path);
	free(e);
}

const struct output_module output_eve = {
    .name = "eve",
    .help = "Suricata EVE JSON lines to a file (appended) or '-' for stdout",
    .open = eve_file_open,
    .reopen = eve_file_reopen,
    .close = eve_file_close,
    .write_eve = eve_file_write_eve,
    .idle = eve_file_idle,
};
