/* test_outconf.c: the output configuration file (docs/outputs.md): accepted forms, errors named by
 * FILE:LINE, event lists, and the targets of the Redis and Unix-socket sinks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "misport/netconn.h"
#include "misport/outconf.h"
#include "misport/redis_sink.h"

static char path[64];

static const char *write_conf(const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/misport-outconf-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static int check(const char *text, char *err, size_t errlen)
{
	int rc = outconf_check_file(write_conf(text), NULL, err, errlen);

	unlink(path);
	return rc;
}

Test(outconf, documented_example_is_valid)
{
	char err[512];
	int rc;

	rc = check("# misport outputs\n"
		   "[eve]\n"
		   "target = /tmp/misport-test-eve.json\n"
		   "events = alert, flow, stats\n"
		   "\n"
		   "[eve]\n"
		   "target = unix:/run/misport/eve.sock\n"
		   "queue = 5000\n"
		   "[syslog]\n"
		   "target = tcp://siem.example:514\n"
		   "format = cef\n"
		   "facility = local4\n"
		   "alert-severity = crit, err, warning\n"
		   "[syslog]\n"
		   "  target   =   tls://[2001:db8::1]:6514   \n"
		   "tls-ca = /etc/ssl/certs/ca-certificates.crt\n"
		   "tls-name = siem.example\n"
		   "sd-id = misport@32473\n"
		   "events = all\n"
		   "[redis]\n"
		   "target = redis://127.0.0.1:6379/stream/misport\n"
		   "maxlen = 5000\n"
		   "events = alert flow\n"
		   "[cef]\n"
		   "target = -\n"
		   "dvchost = \" sensor 1 \"\n",
		   err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
}

Test(outconf, errors_name_file_and_line)
{
	char err[512];

	cr_assert_eq(check("[syslog]\ntarget = tcp://h:514\nformat = xml\n", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":1:"), "%s", err);
	cr_assert_not_null(strstr(err, "format"), "%s", err);
	cr_assert_eq(check("[eve]\ntarget = a\n[bogus]\n", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":3: unknown output [bogus]"), "%s", err);
	cr_assert_eq(check("target = x\n", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":1:"), "%s", err);
	cr_assert_eq(check("[redis]\nevents = alert\n", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "no target"), "%s", err);
	cr_assert_eq(check("[fast]\ntarget = -\nevents = flow\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[cef]\ntarget = -\nevents = stats\n", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "stats"), "%s", err);
	cr_assert_eq(check("[eve]\ntarget = a\ntarget = b\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[eve]\ntarget = a\nnonsense\n", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, ":3:"), "%s", err);
	cr_assert_eq(check("[eve]\ntarget = a\nevents = alerts, bogus\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[eve]\ntarget = a\nqueue = 5\n", err, sizeof(err)), -1, "files take no options");
	cr_assert_eq(check("[syslog]\ntarget = tcp://h:1\nqueue = 5\nqueue = 6\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[redis]\ntarget = redis://h/stream/k\nmode = lpush\n", err, sizeof(err)), -1);
	cr_assert_eq(check("", err, sizeof(err)), -1);
	cr_assert_eq(check("[eve]\ntarget = \"unterminated\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[cef]\ntarget = -\ndvchost = \"bad \\q escape\"\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[cef]\ntarget = -\ndvchost = \"a\" trailing\n", err, sizeof(err)), -1);
	cr_assert_eq(check("[cef]\ntarget = -\ndvchost = \"l1\\nl2=\\\\|\\\"\"\n", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(outconf_check_file("/nonexistent/misport.conf", NULL, err, sizeof(err)), -1);
}

Test(outconf, event_lists)
{
	unsigned m;

	cr_assert_eq(outconf_parse_events("alert", &m), 0);
	cr_assert_eq(m, MP_EVMASK_ALERT);
	cr_assert_eq(outconf_parse_events(" alerts,flows  stats ", &m), 0);
	cr_assert_eq(m, MP_EVMASK_ALL);
	cr_assert_eq(outconf_parse_events("all", &m), 0);
	cr_assert_eq(m, MP_EVMASK_ALL);
	cr_assert_eq(outconf_parse_events("", &m), -1);
	cr_assert_eq(outconf_parse_events("alertx", &m), -1);
}

Test(outconf, redis_urls)
{
	struct redis_target t;
	char err[256];

	cr_assert_eq(redis_parse_url("redis://127.0.0.1:6380/list/misport", &t, err, sizeof(err)), 0);
	cr_assert_str_eq(t.host, "127.0.0.1");
	cr_assert_eq(t.port, 6380);
	cr_assert_eq(t.mode, REDIS_RPUSH);
	cr_assert_str_eq(t.key, "misport");
	cr_assert_eq(redis_parse_url("redis://cache/stream/a/b", &t, err, sizeof(err)), 0);
	cr_assert_eq(t.port, 6379);
	cr_assert_eq(t.mode, REDIS_XADD);
	cr_assert_str_eq(t.key, "a/b");
	cr_assert_eq(redis_parse_url("redis://[::1]:7000/list/k", &t, err, sizeof(err)), 0);
	cr_assert_str_eq(t.host, "::1");
	cr_assert_eq(t.port, 7000);
	cr_assert_eq(redis_parse_url("redis://h:0/list/k", &t, err, sizeof(err)), -1);
	cr_assert_eq(redis_parse_url("redis://h/set/k", &t, err, sizeof(err)), -1);
	cr_assert_eq(redis_parse_url("redis://h/list/", &t, err, sizeof(err)), -1);
	cr_assert_eq(redis_parse_url("http://h/list/k", &t, err, sizeof(err)), -1);
	cr_assert_eq(redis_parse_url("redis:///list/k", &t, err, sizeof(err)), -1);
}

Test(outconf, net_targets)
{
	struct net_target t;
	char err[256];

	cr_assert_eq(net_parse_target("unix:/run/x.sock", NET_ALLOW_UNIX, &t, err, sizeof(err)), 0);
	cr_assert_eq(t.kind, NET_UNIX_AUTO);
	cr_assert_str_eq(t.path, "/run/x.sock");
	cr_assert_eq(net_parse_target("unix-dgram:/x", NET_ALLOW_UNIX, &t, err, sizeof(err)), 0);
	cr_assert_eq(t.kind, NET_UNIX_DGRAM);
	cr_assert_eq(net_parse_target("unix:", NET_ALLOW_UNIX, &t, err, sizeof(err)), -1);
	cr_assert_eq(net_parse_target("tcp://h:1", NET_ALLOW_UNIX, &t, err, sizeof(err)), -1);
	cr_assert_eq(net_parse_target("tls://siem.example:6514", NET_ALLOW_INET, &t, err, sizeof(err)), 0);
	cr_assert_eq(t.kind, NET_TLS);
	cr_assert_str_eq(t.server_name, "siem.example");
	cr_assert(t.verify);
	cr_assert_eq(net_parse_target("udp://[fe80::1]:514", NET_ALLOW_INET, &t, err, sizeof(err)), 0);
	cr_assert_str_eq(t.host, "fe80::1");
	cr_assert_str_eq(t.port, "514");
	cr_assert_eq(net_parse_target("udp://fe80::1:514", NET_ALLOW_INET, &t, err, sizeof(err)), -1,
		     "bare IPv6 is ambiguous");
	cr_assert_eq(net_parse_target("tcp://:514", NET_ALLOW_INET, &t, err, sizeof(err)), -1);
	cr_assert_eq(net_parse_target("tcp://h:12a", NET_ALLOW_INET, &t, err, sizeof(err)), -1);
}

Test(outconf, cli_options_open_sinks)
{
	struct outconf_cli cli;
	struct outputs *o = outputs_new();
	char err[256];
	struct output_sink_stats st;

	memset(&cli, 0, sizeof(cli));
	cli.syslog = "udp://127.0.0.1:9";
	cli.syslog_format = "cef";
	cli.syslog_facility = "local1";
	cli.cef = "/dev/null";
	cr_assert_eq(outconf_apply(&cli, o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(outputs_count(o), 2);
	cr_assert_eq(outputs_sink_stats(o, 0, &st), 0);
	cr_assert_str_eq(st.module, "cef");
	cr_assert_eq(outputs_sink_stats(o, 1, &st), 0);
	cr_assert_str_eq(st.module, "syslog");
	cr_assert(st.queued);
	outputs_free(o);
	o = outputs_new();
	cli.syslog_format = "xml";
	cr_assert_eq(outconf_apply(&cli, o, err, sizeof(err)), -1);
	outputs_free(o);
	o = outputs_new();
	memset(&cli, 0, sizeof(cli));
	cli.syslog_format = "eve";
	cr_assert_eq(outconf_apply(&cli, o, err, sizeof(err)), -1, "--syslog-format without --syslog");
	outputs_free(o);
}
