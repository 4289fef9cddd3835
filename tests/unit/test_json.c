/* test_json.c: JSON escaping of hostile strings and the EVE records' shape. */
#include <criterion/criterion.h>
#include <string.h>

#include "misport/json.h"
#include "misport/output.h"

static const char *esc(const char *s, size_t n)
{
	static char buf[512];
	struct jbuf j;

	jb_init(&j, buf, sizeof(buf));
	json_escape(&j, s, n);
	cr_assert_not(j.overflow);
	return buf;
}

Test(json, quotes_backslashes_and_controls)
{
	cr_assert_str_eq(esc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(esc("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
	cr_assert_str_eq(esc("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\x7f\"");
	/* An embedded NUL is data, not the end of the string. */
	cr_assert_str_eq(esc("a\0b", 3), "\"a\\u0000b\"");
}

Test(json, valid_utf8_passes_through)
{
	const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"; /* café € 😀 */

	cr_assert_str_eq(esc(s, strlen(s)), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

Test(json, invalid_utf8_becomes_replacement_characters)
{
	cr_assert_str_eq(esc("\xff", 1), "\"\\ufffd\"");
	cr_assert_str_eq(esc("\xc0\xaf", 2), "\"\\ufffd\\ufffd\"", "overlong '/'");
	cr_assert_str_eq(esc("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"", "UTF-16 surrogate");
	cr_assert_str_eq(esc("\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "above U+10FFFF");
	cr_assert_str_eq(esc("ab\xe2\x82", 4), "\"ab\\ufffd\\ufffd\"", "truncated sequence");
	cr_assert_str_eq(esc("\xe0\x80\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte NUL");
}

Test(json, overflow_is_reported_and_buffer_stays_terminated)
{
	char buf[8];
	struct jbuf j;

	jb_init(&j, buf, sizeof(buf));
	jb_obj_open(&j, NULL);
	jb_str(&j, "key", "a long value");
	cr_assert(j.overflow);
	cr_assert_lt(strlen(buf), sizeof(buf));
}

Test(json, builder_nests_with_commas)
{
	char buf[256];
	struct jbuf j;

	jb_init(&j, buf, sizeof(buf));
	jb_obj_open(&j, NULL);
	jb_u64(&j, "a", 1);
	jb_arr_open(&j, "b");
	jb_str(&j, NULL, "x");
	jb_bool(&j, NULL, true);
	jb_arr_close(&j);
	jb_obj_open(&j, "c");
	jb_i64(&j, "d", -2);
	jb_obj_close(&j);
	jb_obj_close(&j);
	cr_assert_str_eq(buf, "{\"a\":1,\"b\":[\"x\",true],\"c\":{\"d\":-2}}");
}

Test(json, eve_alert_escapes_hostile_metadata)
{
	struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};
	char buf[8192];
	int n;

	memset(&a, 0, sizeof(a));
	a.ts_us = 1700000000123456ull;
	a.flow_id = 77;
	a.family = 4;
	a.ip_proto = 6;
	a.src_ip[0] = 10, a.src_ip[3] = 1;
	a.dst_ip[0] = 10, a.dst_ip[3] = 2;
	a.src_port = 40000;
	a.dst_port = 3098;
	memcpy(a.app_proto, "HTTP", 5);
	a.signature_id = 9000001;
	a.severity = 2;
	memcpy(a.signature, "quote\" and \\ and \n", 19);
	memcpy(a.category, "c", 2);
	alert_meta_add(&a, "verdict", "port-mismatch");
	alert_meta_add(&a, "note", "\x01\xff");
	alert_meta_add(&a, "verdict", "second");
	n = eve_format(&ev, buf, sizeof(buf));
	cr_assert_gt(n, 0);
	cr_assert_not_null(strstr(buf, "\"timestamp\":\"2023-11-14T22:13:20.123456+0000\""));
	cr_assert_not_null(strstr(buf, "\"src_ip\":\"10.0.0.1\",\"src_port\":40000"));
	cr_assert_not_null(strstr(buf, "\"signature\":\"quote\\\" and \\\\ and \\n\""));
	cr_assert_not_null(strstr(buf, "\"verdict\":[\"port-mismatch\",\"second\"]"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"note\":[\"\\u0001\\ufffd\"]"));
	cr_assert_eq(eve_format(&ev, buf, 64), -1, "a record that does not fit is refused whole");
}

Test(json, eve_addresses_and_protocol_names)
{
	char buf[64], tmp[8];
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	eve_addr(6, v6, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2001:db8::1");
	cr_assert_str_eq(eve_proto_name(58, tmp, sizeof(tmp)), "IPv6-ICMP");
	cr_assert_str_eq(eve_proto_name(47, tmp, sizeof(tmp)), "GRE");
	cr_assert_str_eq(eve_proto_name(89, tmp, sizeof(tmp)), "089");
}

/* A tunnelled flow's alert carries Suricata's "tunnel" object (ports only for a UDP tunnel); others none. */
Test(json, eve_alert_tunnel_object)
{
	static struct mp_alert a;
	struct mp_event ev = {.type = MP_EV_ALERT, .u.alert = &a};
	char buf[4096];

	a.ts_us = 1700000000000000ull;
	a.family = 4;
	a.ip_proto = 6;
	a.src_ip[0] = 10, a.src_ip[3] = 1;
	a.dst_ip[0] = 10, a.dst_ip[3] = 2;
	a.src_port = 40000;
	a.dst_port = 3098;
	cr_assert_gt(eve_format(&ev, buf, sizeof(buf)), 0);
	cr_assert_null(strstr(buf, "tunnel"), "%s", buf);
	cr_assert_null(strstr(buf, "community_id"), "no Community ID without a flow: %s", buf);
	memcpy(a.community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", CID_STRLEN);
	cr_assert_gt(eve_format(&ev, buf, sizeof(buf)), 0);
	cr_assert_not_null(
	    strstr(buf, "\"proto\":\"TCP\",\"community_id\":\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\","), "%s", buf);
	a.community_id[0] = '\0';
	a.tunnel =
	    (struct mp_tunnel_info){.family = 4, .ip_proto = 17, .depth = 1, .sport = 50000, .dport = 4789};
	a.tunnel.src[0] = 192, a.tunnel.src[2] = 2, a.tunnel.src[3] = 1;
	a.tunnel.dst[0] = 192, a.tunnel.dst[2] = 2, a.tunnel.dst[3] = 2;
	cr_assert_gt(eve_format(&ev, buf, sizeof(buf)), 0);
	cr_assert_not_null(
	    strstr(buf, "\"proto\":\"TCP\",\"tunnel\":{\"src_ip\":\"192.0.2.1\",\"src_port\":50000,"
			"\"dest_ip\":\"192.0.2.2\",\"dest_port\":4789,\"proto\":\"UDP\",\"depth\":1}"),
	    "%s", buf);
	a.tunnel.ip_proto = 47;
	a.tunnel.depth = 2;
	cr_assert_gt(eve_format(&ev, buf, sizeof(buf)), 0);
	cr_assert_not_null(
	    strstr(buf, "\"tunnel\":{\"src_ip\":\"192.0.2.1\",\"dest_ip\":\"192.0.2.2\",\"proto\":\"GRE\","
			"\"depth\":2}"),
	    "%s", buf);
}

/* Counters with no key in Suricata's closed "stats" objects travel in metadata.flowints; the table
 * bounds map onto stats.host (scan sources), stats.ippair (suppression keys) and stats.pcap_log. */
Test(json, eve_stats_carries_verdict_counts_and_bounds)
{
	static struct mp_stats_record st;
	struct mp_event ev = {.type = MP_EV_STATS, .u.stats = &st};
	char buf[8192];

	st.ts_us = 1700000000000000ull;
	st.alerts = 12;
	st.alerts_verdict[MP_VERDICT_PORT_MISMATCH] = 5;
	st.alerts_verdict[MP_VERDICT_UNREGISTERED_PORT] = 4;
	st.alerts_verdict[MP_VERDICT_LEGACY_PORT] = 1;
	st.alerts_scan = 2;
	st.scan_evicted = 7;
	st.scan_memuse = 4096;
	st.scan_overflow = 3;
	st.supp_evicted = 9;
	st.supp_active = 11;
	st.evid_written = 100;
	st.evid_truncated = 6;
	st.tunnel[MP_TUN_VXLAN] = 13;
	st.tunnel[MP_TUN_GTPU] = 14;
	cr_assert_gt(eve_format(&ev, buf, sizeof(buf)), 0);
	/* Tunnel counters: Suricata's keys under stats.decoder, GTP-U (which has none there) in flowints. */
	cr_assert_not_null(strstr(buf, "\"gre\":0,\"erspan\":0,\"vxlan\":13,\"geneve\":0,\"teredo\":0,"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "\"decoder_gtpu\":14}"), "%s", buf);
	cr_assert_not_null(strstr(buf,
				  "\"metadata\":{\"flowints\":{\"alerts_port_mismatch\":5,"
				  "\"alerts_unregistered_port\":4,\"alerts_legacy_port\":1,\"alerts_scan\":2,"
				  "\"scan_list_overflow\":3,\"scan_contacts_replaced\":0,\"suppress_active\":"
				  "11,\"evidence_truncated\":6,"),
			   "%s", buf);
	cr_assert_not_null(strstr(buf, "\"host\":{\"memcap\":7,\"memuse\":4096}"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"ippair\":{\"memcap\":9}"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"pcap_log\":{\"written\":100}"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"detect\":{\"alert\":12,"), "%s", buf);
	/* detect and stats close, then metadata opens at the top level. */
	cr_assert_not_null(strstr(buf, "\"alert_queue_overflow\":0}},\"metadata\":{"), "%s", buf);
}
