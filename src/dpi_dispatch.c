/* dpi_dispatch.c: nDPI 4.2's dissector dispatch (ndpi_main.c ndpi_check_flow_func), reimplemented without
 * its per-dissector copies of two 512-bit masks; libndpi binds to this definition. Part of the dpi module,
 * and the one file that sees nDPI's internal structures (NDPI_LIB_COMPILATION). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NDPI_LIB_COMPILATION /* struct ndpi_detection_module_struct */
#include <ndpi/ndpi_api.h>

#include "misport/dpi.h"

typedef u_int32_t (*check_flow_fn)(struct ndpi_detection_module_struct *, struct ndpi_flow_struct *,
				   NDPI_SELECTION_BITMASK_PROTOCOL_SIZE *);

/* libndpi's own ndpi_check_flow_func, found at the first dpi_dispatch_check; whether every check so far
 * passed; and whether misport's runs (only if they did, unless libndpi's own could not be found). */
static check_flow_fn ndpi_own;
static _Atomic bool layout_good = true;
static _Atomic bool use_own = true;

/* nDPI 4.2's dissector dispatch (ndpi_main.c: ndpi_check_flow_func and check_ndpi_detection_func),
 * shadowed like NDPI_BITMASK_COMPARE: libndpi's ndpi_detection_process_packet calls it through its PLT.
 * For every packet nDPI inspects it walks the dissectors of the packet's transport (about 200 for TCP with
 * payload) and, for each one whose selection bits match, calls NDPI_BITMASK_COMPARE twice, each time
 * copying two 64-byte masks onto the stack: a fifth of misport's instructions per packet. This version
 * takes the same decisions in the same order with the same calls and count:
 * - "the flow's excluded set and the dissector's share no bit" is true for every dissector while the
 *   flow's set is empty (most of a flow's first packets); otherwise the two masks are ANDed in place. The
 *   set is read again after every dissector call, as nDPI does (a dissector may exclude itself).
 * - "the dissector's detection mask meets the mask of the flow's detected protocol" tests the one bit
 *   nDPI's NDPI_SAVE_AS_BITMASK sets (the protocol id modulo 512), taken once before any dissector runs.
 * dpi_dispatch_check decides at start whether the structure layout this file was compiled against is
 * the library's; if not, every call goes to libndpi's own. tests/unit/test_dpi.c runs captures through
 * both and compares the verdict after every packet and the results. */
static bool bm_empty(const NDPI_PROTOCOL_BITMASK *m)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < sizeof(*m); i += 8) {
		uint64_t x;

		memcpy(&x, (const unsigned char *)m + i, 8);
		acc |= x;
	}
	return acc == 0;
}

static bool bm_meet(const NDPI_PROTOCOL_BITMASK *a, const NDPI_PROTOCOL_BITMASK *b)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < sizeof(*a); i += 8) {
		uint64_t x, y;

		memcpy(&x, (const unsigned char *)a + i, 8);
		memcpy(&y, (const unsigned char *)b + i, 8);
		acc |= x & y;
	}
	return acc != 0;
}

/* Whether nDPI would call dissector c: its selection bits are all in sel, it is not excluded for the flow
 * (excl_empty: the flow's excluded set is empty), and it runs while the flow's protocol is det. */
static inline bool cb_eligible(const struct ndpi_call_function_struct *c,
			       NDPI_SELECTION_BITMASK_PROTOCOL_SIZE sel, const NDPI_PROTOCOL_BITMASK *excl,
			       bool excl_empty, unsigned det)
{
	return (c->ndpi_selection_bitmask & sel) == c->ndpi_selection_bitmask &&
	       (excl_empty || !bm_meet(excl, &c->excluded_protocol_bitmask)) &&
	       NDPI_ISSET(&c->detection_bitmask, det);
}

static u_int32_t check_dissectors(struct ndpi_detection_module_struct *s, struct ndpi_flow_struct *flow,
				  NDPI_SELECTION_BITMASK_PROTOCOL_SIZE sel,
				  const struct ndpi_call_function_struct *cb, u_int32_t ncb)
{
	const NDPI_PROTOCOL_BITMASK *excl = &flow->excluded_protocol_bitmask;
	const bool no_payload = cb == s->callback_buffer_tcp_no_payload;
	const u_int16_t gid = flow->guessed_protocol_id;
	const u_int16_t proto_index = s->proto_defaults[gid].protoIdx;
	const u_int16_t proto_id = s->proto_defaults[gid].protoId;
	const unsigned det = flow->detected_protocol_stack[0] & NDPI_NUM_BITS_MASK;
	u_int32_t num_calls = no_payload ? 1 : 0;
	bool excl_empty = bm_empty(excl);
	void (*func)(struct ndpi_detection_module_struct *, struct ndpi_flow_struct *) = NULL;

	if (proto_id != NDPI_PROTOCOL_UNKNOWN &&
	    cb_eligible(&s->callback_buffer[proto_index], sel, excl, excl_empty, det) &&
	    gid != NDPI_PROTOCOL_UNKNOWN && s->proto_defaults[gid].func != NULL &&
	    (!no_payload || (s->callback_buffer[gid].ndpi_selection_bitmask &
			     NDPI_SELECTION_BITMASK_PROTOCOL_HAS_PAYLOAD) == 0)) {
		s->proto_defaults[gid].func(s, flow);
		func = s->proto_defaults[gid].func;
		num_calls++;
		excl_empty = bm_empty(excl);
	}
	if (flow->detected_protocol_stack[0] == NDPI_PROTOCOL_UNKNOWN) {
		for (u_int32_t a = 0; a < ncb; a++) {
			const struct ndpi_call_function_struct *c = &cb[a];

			if (c->func == func || !cb_eligible(c, sel, excl, excl_empty, det))
				continue;
			c->func(s, flow);
			num_calls++;
			excl_empty = bm_empty(excl);
			if (flow->detected_protocol_stack[0] != NDPI_PROTOCOL_UNKNOWN)
				break; /* the first protocol found ends the walk */
		}
	}
	for (u_int32_t a = 0; a < s->proto_defaults[flow->detected_protocol_stack[0]].subprotocol_count;
	     a++) {
		u_int16_t sub = s->proto_defaults[flow->detected_protocol_stack[0]].subprotocols[a];
		const struct ndpi_call_function_struct *c;

		if (sub == (u_int16_t)NDPI_PROTOCOL_MATCHED_BY_CONTENT)
			continue;
		c = &s->callback_buffer[s->proto_defaults[sub].protoIdx];
		if (s->proto_defaults[sub].func != func && cb_eligible(c, sel, excl, excl_empty, det)) {
			c->func(s, flow);
			num_calls++;
			excl_empty = bm_empty(excl);
		}
		if (flow->detected_protocol_stack[1] != NDPI_PROTOCOL_UNKNOWN)
			break; /* the first subprotocol found ends the walk */
	}
	return num_calls;
}

u_int32_t ndpi_check_flow_func(struct ndpi_detection_module_struct *s, struct ndpi_flow_struct *flow,
			       NDPI_SELECTION_BITMASK_PROTOCOL_SIZE *sel)
{
	if (!atomic_load_explicit(&use_own, memory_order_relaxed) && ndpi_own != NULL)
		return ndpi_own(s, flow, sel);
	if (flow == NULL)
		return 0;
	if (s->packet.tcp != NULL) {
		if (s->packet.payload_packet_len != 0)
			return check_dissectors(s, flow, *sel, s->callback_buffer_tcp_payload,
						s->callback_buffer_size_tcp_payload);
		return check_dissectors(s, flow, *sel, s->callback_buffer_tcp_no_payload,
					s->callback_buffer_size_tcp_no_payload);
	}
	if (s->packet.udp != NULL)
		return check_dissectors(s, flow, *sel, s->callback_buffer_udp, s->callback_buffer_size_udp);
	return check_dissectors(s, flow, *sel, s->callback_buffer_non_tcp_udp,
				s->callback_buffer_size_non_tcp_udp);
}

/* The executable segments of the shared object that holds ndpi_detection_process_packet. */
struct text_range {
	uintptr_t base, lo[4], hi[4];
	unsigned n;
};

static int find_text(struct dl_phdr_info *info, size_t size, void *data)
{
	struct text_range *t = data;

	(void)size;
	if ((uintptr_t)info->dlpi_addr != t->base)
		return 0;
	for (unsigned i = 0; i < info->dlpi_phnum && t->n < 4; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) != 0) {
			t->lo[t->n] = t->base + ph->p_vaddr;
			t->hi[t->n] = t->base + ph->p_vaddr + ph->p_memsz;
			t->n++;
		}
	}
	return 1;
}

static bool in_text(const struct text_range *t, const void *fn)
{
	for (unsigned i = 0; i < t->n; i++)
		if ((uintptr_t)fn >= t->lo[i] && (uintptr_t)fn < t->hi[i])
			return true;
	return false;
}

static bool table_ok(const struct text_range *t, const struct ndpi_call_function_struct *cb, u_int32_t n,
		     bool may_be_empty)
{
	if ((n == 0 && !may_be_empty) || n > NDPI_MAX_SUPPORTED_PROTOCOLS + 1)
		return false;
	for (u_int32_t i = 0; i < n; i++)
		if (!in_text(t, (const void *)cb[i].func))
			return false;
	return true;
}

int dpi_dispatch_check(struct ndpi_detection_module_struct *s)
{
	static const u_int16_t known[] = {NDPI_PROTOCOL_HTTP, NDPI_PROTOCOL_DNS, NDPI_PROTOCOL_TLS,
					  NDPI_PROTOCOL_SSH};
	struct text_range t = {0};
	Dl_info info;
	bool ok;

	if (ndpi_own == NULL)
		ndpi_own = (check_flow_fn)dlsym(RTLD_NEXT, "ndpi_check_flow_func");
	ok = dladdr((const void *)ndpi_detection_process_packet, &info) != 0;
	if (ok) {
		t.base = (uintptr_t)info.dli_fbase;
		dl_iterate_phdr(find_text, &t);
	}
	ok = ok && ndpi_own != NULL && in_text(&t, (const void *)ndpi_own);
	ok = ok && table_ok(&t, s->callback_buffer_tcp_payload, s->callback_buffer_size_tcp_payload, false) &&
	     table_ok(&t, s->callback_buffer_tcp_no_payload, s->callback_buffer_size_tcp_no_payload, true) &&
	     table_ok(&t, s->callback_buffer_udp, s->callback_buffer_size_udp, false) &&
	     table_ok(&t, s->callback_buffer_non_tcp_udp, s->callback_buffer_size_non_tcp_udp, true);
	for (size_t i = 0; ok && i < sizeof(known) / sizeof(known[0]); i++) {
		const ndpi_proto_defaults_t *d = &s->proto_defaults[known[i]];

		/* pointers compared, not read: with another layout they could point anywhere */
		ok = d->protoId == known[i] && d->protoName != NULL &&
		     d->protoName == ndpi_get_proto_name(s, known[i]) && in_text(&t, (const void *)d->func);
	}
	if (!ok) {
		atomic_store_explicit(&layout_good, false, memory_order_relaxed);
		atomic_store_explicit(&use_own, false, memory_order_relaxed);
	}
	return ok ? 0 : -1;
}

bool dpi_dispatch_is_misport(void)
{
	return atomic_load_explicit(&use_own, memory_order_relaxed) || ndpi_own == NULL;
}

void dpi_dispatch_use_ndpi(bool on)
{
	atomic_store_explicit(&use_own, !on && atomic_load_explicit(&layout_good, memory_order_relaxed),
			      memory_order_relaxed);
}
