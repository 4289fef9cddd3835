/* dpi.c: nDPI 4.2 detection per flow, following ndpiReader's packet budget and give-up rules. */
#include "misport/dpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "misport/config.h"

struct dpi_engine {
	struct ndpi_detection_module_struct *ndpi;
	struct dpi_limits lim;
	uint32_t flow_size;
	uint64_t last_ms; /* latest packet time handed to nDPI: its clock never goes backwards */
};

struct dpi_flow {
	struct ndpi_flow_struct *nf;
	ndpi_protocol proto;
};

/* nDPI allocations are accounted with a size header so the hooks can report memory in use. */
static uint64_t dpi_mem_used, dpi_mem_peak;

struct mem_hdr {
	size_t size;
	size_t pad; /* keeps the payload 16-byte aligned */
};

static void *dpi_malloc(size_t size)
{
	struct mem_hdr *h = malloc(sizeof(*h) + size);

	if (h == NULL)
		return NULL;
	h->size = size;
	dpi_mem_used += size;
	if (dpi_mem_used > dpi_mem_peak)
		dpi_mem_peak = dpi_mem_used;
	return h + 1;
}

static void dpi_free(void *p)
{
	struct mem_hdr *h;

	if (p == NULL)
		return;
	h = (struct mem_hdr *)p - 1;
	dpi_mem_used -= h->size;
	free(h);
}

uint64_t dpi_memory_in_use(void)
{
	return dpi_mem_used;
}

uint64_t dpi_memory_peak(void)
{
	return dpi_mem_peak;
}

int dpi_engine_new(const struct dpi_limits *lim, struct dpi_engine **out, char *err, size_t errlen)
{
	struct dpi_engine *e;
	NDPI_PROTOCOL_BITMASK all;

	*out = NULL;
	set_ndpi_malloc(dpi_malloc);
	set_ndpi_free(dpi_free);
	set_ndpi_flow_malloc(dpi_malloc);
	set_ndpi_flow_free(dpi_free);
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "nDPI: out of memory");
		return -1;
	}
	e->lim = *lim;
	if (e->lim.max_tcp_packets == 0)
		e->lim.max_tcp_packets = MP_DPI_MAX_TCP_PACKETS;
	if (e->lim.max_udp_packets == 0)
		e->lim.max_udp_packets = MP_DPI_MAX_UDP_PACKETS;
	e->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
	if (e->ndpi == NULL) {
		snprintf(err, errlen, "nDPI: ndpi_init_detection_module failed");
		free(e);
		return -1;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(e->ndpi, &all);
	ndpi_finalize_initialization(e->ndpi);
	e->flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
	*out = e;
	return 0;
}

void dpi_engine_free(struct dpi_engine *e)
{
	if (e == NULL)
		return;
	ndpi_exit_detection_module(e->ndpi);
	free(e);
}

struct dpi_flow *dpi_flow_new(struct dpi_engine *e)
{
	struct dpi_flow *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->nf = ndpi_flow_malloc(e->flow_size);
	if (f->nf == NULL) {
		free(f);
		return NULL;
	}
	memset(f->nf, 0, e->flow_size);
	return f;
}

void dpi_flow_free(struct dpi_engine *e, struct dpi_flow *f)
{
	(void)e;
	if (f == NULL)
		return;
	ndpi_free_flow(f->nf); /* frees the nDPI flow's contents and the flow itself */
	free(f);
}

static void copy_name(char *dst, size_t size, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fill_result(struct dpi_engine *e, struct dpi_flow *f, bool guessed, struct dpi_result *res)
{
	ndpi_protocol p = f->proto;
	char buf[64];

	memset(res, 0, sizeof(*res));
	res->master_id = p.master_protocol;
	res->app_id = p.app_protocol;
	res->guessed = guessed;
	copy_name(res->name, sizeof(res->name), ndpi_protocol2name(e->ndpi, p, buf, sizeof(buf)));
	if (p.master_protocol != NDPI_PROTOCOL_UNKNOWN && p.master_protocol != p.app_protocol)
		copy_name(res->master, sizeof(res->master), ndpi_get_proto_name(e->ndpi, p.master_protocol));
	copy_name(res->app, sizeof(res->app),
		  ndpi_get_proto_name(e->ndpi, p.app_protocol != NDPI_PROTOCOL_UNKNOWN ? p.app_protocol
											: p.master_protocol));
	copy_name(res->category, sizeof(res->category), ndpi_category_get_name(e->ndpi, p.category));
	res->known_proto_wrong_port =
	    NDPI_ISSET_BIT(f->nf->risk, NDPI_KNOWN_PROTOCOL_ON_NON_STANDARD_PORT) != 0;
}

bool dpi_process(struct dpi_engine *e, struct dpi_flow *f, const uint8_t *l3, uint32_t l3_len, uint64_t ts_us,
		 uint64_t flow_pkts, uint8_t ip_proto, struct dpi_result *res)
{
	uint32_t budget = ip_proto == 6 ? e->lim.max_tcp_packets : e->lim.max_udp_packets;
	uint64_t ms = ts_us / 1000;
	bool enough;

	/* Captures with timestamps out of order would make nDPI's per-flow timers run backwards;
	 * like ndpiReader, nDPI is given the latest time seen instead. */
	if (ms < e->last_ms)
		ms = e->last_ms;
	e->last_ms = ms;
	if (l3_len > MP_DPI_MAX_PACKET_LEN)
		l3_len = MP_DPI_MAX_PACKET_LEN;
	f->proto = ndpi_detection_process_packet(e->ndpi, f->nf, l3, (unsigned short)l3_len, ms);
	enough = flow_pkts > budget;
	if (!enough && f->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		return false;
	if (!enough && ndpi_extra_dissection_possible(e->ndpi, f->nf))
		return false;
	if (f->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
		dpi_giveup(e, f, res);
		return true;
	}
	fill_result(e, f, false, res);
	return true;
}

void dpi_giveup(struct dpi_engine *e, struct dpi_flow *f, struct dpi_result *res)
{
	uint8_t guessed = 0;

	f->proto = ndpi_detection_giveup(e->ndpi, f->nf, e->lim.guess ? 1 : 0, &guessed);
	fill_result(e, f, guessed != 0, res);
}

unsigned dpi_protocol_count(const struct dpi_engine *e)
{
	return ndpi_get_num_supported_protocols(e->ndpi);
}

const char *dpi_protocol_name(const struct dpi_engine *e, unsigned id)
{
	if (id >= ndpi_get_num_supported_protocols(e->ndpi))
		return NULL;
	return ndpi_get_proto_name(e->ndpi, (u_int16_t)id);
}
