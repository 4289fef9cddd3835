/* redis_sink.h: target syntax of the Redis sink (Suricata's redis output: RPUSH/LPUSH to a list, XADD
 * to a stream with MAXLEN), parsed apart from the connection so that it can be checked and tested. */
#ifndef MISPORT_REDIS_SINK_H
#define MISPORT_REDIS_SINK_H

#include <stddef.h>

enum redis_mode { REDIS_RPUSH, REDIS_LPUSH, REDIS_XADD };

/* A parsed target. Plain data. */
struct redis_target {
	char host[256];       /* name or address (IPv6 without brackets) */
	int port;             /* default 6379 */
	enum redis_mode mode; /* list: RPUSH (default) or LPUSH; stream: XADD */
	char key[512];        /* list or stream key */
};

/* Parses "redis://HOST[:PORT]/list/KEY" or "redis://HOST[:PORT]/stream/KEY" (HOST may be "[v6addr]";
 * KEY is the rest of the string, '/' allowed). Returns 0 or -1 with err filled. */
int redis_parse_url(const char *url, struct redis_target *t, char *err, size_t errlen);

#endif
