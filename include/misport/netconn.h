/* netconn.h: the connections of network sinks: UDP, TCP, TLS (OpenSSL; RFC 5425 transport) and Unix
 * sockets (stream and datagram), with deadlines, plus the sinkq transport that writes queued records
 * over them. */
#ifndef MISPORT_NETCONN_H
#define MISPORT_NETCONN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "misport/output.h"
#include "misport/sinkq.h"

enum net_kind { NET_UDP, NET_TCP, NET_TLS, NET_UNIX_STREAM, NET_UNIX_DGRAM, NET_UNIX_AUTO };

/* Which kinds a caller accepts, for net_parse_target. */
#define NET_ALLOW_INET ((1u << NET_UDP) | (1u << NET_TCP) | (1u << NET_TLS))
#define NET_ALLOW_UNIX ((1u << NET_UNIX_STREAM) | (1u << NET_UNIX_DGRAM) | (1u << NET_UNIX_AUTO))

/* A parsed target with its TLS settings. Plain data. */
struct net_target {
	enum net_kind kind;
	char host[256]; /* udp/tcp/tls: name or address (IPv6 without brackets) */
	char port[8];   /* decimal 1..65535 */
	char path[108]; /* unix: socket path */
	/* TLS (kind NET_TLS); empty strings mean "not set". */
	char ca_file[PATH_MAX];   /* trusted CAs (PEM); default: the system store */
	char cert_file[PATH_MAX]; /* client certificate chain (PEM), for mutual authentication */
	char key_file[PATH_MAX];  /* its private key (PEM) */
	char server_name[256];    /* name to verify and send as SNI; default: host */
	bool verify;              /* verify the server's certificate and name (default true) */
};

/* Parses "udp://HOST:PORT", "tcp://HOST:PORT", "tls://HOST:PORT" (HOST may be "[v6addr]"),
 * "unix:PATH" (stream, or datagram when the socket is one), "unix-stream:PATH", "unix-dgram:PATH"
 * into t (TLS: verify on, no files). allowed is a mask of 1u << kind. Returns 0 or -1 (err). */
int net_parse_target(const char *url, unsigned allowed, struct net_target *t, char *err, size_t errlen);

/* Applies one TLS option to t: tls-ca, tls-cert, tls-key, tls-name, tls-verify (yes|no). Returns 1 when
 * applied, 0 when key is not a TLS option, -1 when the value is bad (err filled). */
int net_tls_option(struct net_target *t, const char *key, const char *value, char *err, size_t errlen);

struct netconn;

/* Creates an unconnected connection for t (TLS: loads the CA, certificate and key now, so that a bad
 * file is reported at start-up). The caller owns *out (netconn_free). Returns 0 or -1 (err). */
int netconn_new(const struct net_target *t, struct netconn **out, char *err, size_t errlen);

/* Connects (closing any previous connection), within deadline_ms (CLOCK_MONOTONIC ms). 0 or -1 (err). */
int netconn_connect(struct netconn *c, uint64_t deadline_ms, char *err, size_t errlen);

/* Writes len bytes: all of them on a stream (returns -1 if the connection broke, *written then tells
 * how many went out), or one datagram. Returns 0 or -1 (err). */
int netconn_write(struct netconn *c, const void *buf, size_t len, uint64_t deadline_ms, size_t *written,
		  char *err, size_t errlen);

/* Returns false when the connection is known to be gone: not connected, the peer closed or reset it, or
 * (connected UDP) an ICMP error is pending. Never blocks. */
bool netconn_alive(struct netconn *c);

/* Returns true for stream transports (TCP, TLS, Unix stream), false for datagram ones. */
bool netconn_is_stream(const struct netconn *c);

/* Closes the connection (idempotent); the netconn can connect again. */
void netconn_close(struct netconn *c);

/* Closes and frees. NULL allowed. */
void netconn_free(struct netconn *c);

/* sinkq transport over a netconn (ctx is the struct netconn *): each queued record is written as is,
 * batched into writes of at most MP_OUT_SEND_CHUNK bytes on streams, one datagram each otherwise. A
 * record counts as delivered once all its bytes were accepted by the kernel (or the TLS layer). */
extern const struct sinkq_ops netconn_sinkq_ops;

/* Parses the sink option "queue" (records, 1..16777216) into *out. Returns 1 when applied, 0 when key
 * is not "queue", -1 when the value is bad (err filled). Shared by the network sinks. */
int net_queue_option(const char *key, const char *value, size_t *out, char *err, size_t errlen);

#endif
