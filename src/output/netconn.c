/* netconn.c: UDP/TCP/TLS (OpenSSL, RFC 5425 transport) and Unix socket connections with deadlines,
 * and the sinkq transport over them; see include/misport/netconn.h. */
#include "misport/netconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "misport/config.h"
#include "misport/now.h"

struct netconn {
	struct net_target t;
	enum net_kind kind; /* resolved kind (NET_UNIX_AUTO becomes stream or dgram at connect) */
	int fd;
	SSL_CTX *ctx; /* TLS only; owned */
	SSL *ssl;     /* TLS only, while connected; owned */
	char *chunk;  /* send buffer of MP_OUT_SEND_CHUNK bytes; owned */
};

/* ---- targets ---------------------------------------------------------------------------------- */

static int copy_str(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int parse_port(const char *s, char *out, size_t cap)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	(void)snprintf(out, cap, "%lu", v);
	return 0;
}

int net_parse_target(const char *url, unsigned allowed, struct net_target *t, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum net_kind kind;
	} schemes[] = {
	    {"udp://", NET_UDP},
	    {"tcp://", NET_TCP},
	    {"tls://", NET_TLS},
	    {"unix-stream:", NET_UNIX_STREAM},
	    {"unix-dgram:", NET_UNIX_DGRAM},
	    {"unix:", NET_UNIX_AUTO},
	};
	const char *rest = NULL, *colon;

	memset(t, 0, sizeof(*t));
	t->verify = true;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (strncmp(url, schemes[i].prefix, n) == 0) {
			t->kind = schemes[i].kind;
			rest = url + n;
			break;
		}
	}
	if (rest == NULL || (allowed & (1u << t->kind)) == 0) {
		snprintf(err, errlen, "'%s': expected %s", url,
			 allowed == NET_ALLOW_UNIX ? "unix:PATH, unix-stream:PATH or unix-dgram:PATH"
						   : "udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT");
		return -1;
	}
	if (t->kind >= NET_UNIX_STREAM) {
		if (rest[0] == '\0' || copy_str(t->path, sizeof(t->path), rest, strlen(rest)) != 0) {
			snprintf(err, errlen, "'%s': socket path empty or longer than %zu bytes", url,
				 sizeof(t->path) - 1);
			return -1;
		}
		return 0;
	}
	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (close == NULL || close[1] != ':' ||
		    copy_str(t->host, sizeof(t->host), rest + 1, (size_t)(close - rest - 1)) != 0) {
			snprintf(err, errlen, "'%s': bad [IPv6]:PORT", url);
			return -1;
		}
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (colon == NULL || memchr(rest, ':', (size_t)(colon - rest)) != NULL ||
		    copy_str(t->host, sizeof(t->host), rest, (size_t)(colon - rest)) != 0) {
			snprintf(err, errlen, "'%s': expected HOST:PORT (IPv6 as [ADDR]:PORT)", url);
			return -1;
		}
	}
	if (t->host[0] == '\0' || strchr(t->host, '/') != NULL) {
		snprintf(err, errlen, "'%s': empty or bad host", url);
		return -1;
	}
	if (parse_port(colon + 1, t->port, sizeof(t->port)) != 0) {
		snprintf(err, errlen, "'%s': port must be 1..65535", url);
		return -1;
	}
	(void)snprintf(t->server_name, sizeof(t->server_name), "%s", t->host);
	return 0;
}

int net_tls_option(struct net_target *t, const char *key, const char *value, char *err, size_t errlen)
{
	char *dst = NULL;
	size_t cap = 0;

	if (strcmp(key, "tls-ca") == 0) {
		dst = t->ca_file;
		cap = sizeof(t->ca_file);
	} else if (strcmp(key, "tls-cert") == 0) {
		dst = t->cert_file;
		cap = sizeof(t->cert_file);
	} else if (strcmp(key, "tls-key") == 0) {
		dst = t->key_file;
		cap = sizeof(t->key_file);
	} else if (strcmp(key, "tls-name") == 0) {
		dst = t->server_name;
		cap = sizeof(t->server_name);
	} else if (strcmp(key, "tls-verify") == 0) {
		if (strcmp(value, "yes") == 0 || strcmp(value, "on") == 0 || strcmp(value, "true") == 0) {
			t->verify = true;
		} else if (strcmp(value, "no") == 0 || strcmp(value, "off") == 0 ||
			   strcmp(value, "false") == 0) {
			t->verify = false;
		} else {
			snprintf(err, errlen, "tls-verify: '%s' is not yes or no", value);
			return -1;
		}
		return 1;
	} else {
		return 0;
	}
	if (value[0] == '\0' || copy_str(dst, cap, value, strlen(value)) != 0) {
		snprintf(err, errlen, "%s: empty or too long", key);
		return -1;
	}
	return 1;
}

int net_queue_option(const char *key, const char *value, size_t *out, char *err, size_t errlen)
{
	unsigned long long v = 0;

	if (strcmp(key, "queue") != 0)
		return 0;
	if (value[0] == '\0' || strlen(value) > 9)
		goto bad;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v == 0 || v > (1u << 24))
		goto bad;
	*out = (size_t)v;
	return 1;
bad:
	snprintf(err, errlen, "queue: '%s' is not a number of records in 1..%u", value, 1u << 24);
	return -1;
}

/* ---- connections -------------------------------------------------------------------------------- */

static void ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e == 0) {
		snprintf(err, errlen, "%s failed%s%s", what, errno != 0 ? ": " : "",
			 errno != 0 ? strerror(errno) : "");
		return;
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s", what, buf);
}

int netconn_new(const struct net_target *t, struct netconn **out, char *err, size_t errlen)
{
	struct netconn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->chunk = malloc(MP_OUT_SEND_CHUNK)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->t = *t;
	c->kind = t->kind;
	c->fd = -1;
	if (t->kind == NET_TLS) {
		c->ctx = SSL_CTX_new(TLS_client_method());
		if (c->ctx == NULL) {
			ssl_err(err, errlen, "SSL_CTX_new");
			goto fail;
		}
		(void)SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
		SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		if (t->ca_file[0] != '\0') {
			if (SSL_CTX_load_verify_locations(c->ctx, t->ca_file, NULL) != 1) {
				ssl_err(err, errlen, t->ca_file);
				goto fail;
			}
		} else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
			ssl_err(err, errlen, "system CA store");
			goto fail;
		}
		SSL_CTX_set_verify(c->ctx, t->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
		if (t->cert_file[0] != '\0') {
			if (SSL_CTX_use_certificate_chain_file(c->ctx, t->cert_file) != 1) {
				ssl_err(err, errlen, t->cert_file);
				goto fail;
			}
			if (SSL_CTX_use_PrivateKey_file(c->ctx,
							t->key_file[0] != '\0' ? t->key_file : t->cert_file,
							SSL_FILETYPE_PEM) != 1 ||
			    SSL_CTX_check_private_key(c->ctx) != 1) {
				ssl_err(err, errlen, t->key_file[0] != '\0' ? t->key_file : t->cert_file);
				goto fail;
			}
		} else if (t->key_file[0] != '\0') {
			snprintf(err, errlen, "tls-key given without tls-cert");
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	SSL_CTX_free(c->ctx);
	free(c->chunk);
	free(c);
	return -1;
}

void netconn_close(struct netconn *c)
{
	if (c->ssl != NULL) {
		/* Send close_notify without waiting for the peer's (the connection may be broken). */
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		char sink[4096];

		/* Closing a TCP socket with unread received data (a TLS 1.3 session ticket, say) sends a RST,
		 * and a RST makes the peer discard what it has not read yet: read what is there first. */
		if (c->kind == NET_TCP || c->kind == NET_TLS || c->kind == NET_UNIX_STREAM) {
			(void)shutdown(c->fd, SHUT_WR);
			while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
				;
		}
		close(c->fd);
		c->fd = -1;
	}
	if (c->t.kind == NET_UNIX_AUTO)
		c->kind = NET_UNIX_AUTO;
}

void netconn_free(struct netconn *c)
{
	if (c == NULL)
		return;
	netconn_close(c);
	SSL_CTX_free(c->ctx);
	free(c->chunk);
	free(c);
}

bool netconn_is_stream(const struct netconn *c)
{
	return c->kind == NET_TCP || c->kind == NET_TLS || c->kind == NET_UNIX_STREAM ||
	       (c->kind == NET_UNIX_AUTO && c->t.kind == NET_UNIX_AUTO);
}

/* Polls fd for events until deadline_ms; returns 1 ready, 0 timed out, -1 error (errno). */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events, .revents = 0};
		uint64_t now = now_mono_ms();
		int rc;

		if (now >= deadline_ms)
			return 0;
		rc = poll(&p, 1, (int)(deadline_ms - now > 60000u ? 60000u : deadline_ms - now));
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Connects a non-blocking socket of type to addr within the deadline. Returns the fd or -1 (err). */
static int connect_addr(int family, int type, const struct sockaddr *addr, socklen_t alen,
			uint64_t deadline_ms, char *err, size_t errlen)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), soerr = 0, rc;
	socklen_t sl = sizeof(soerr);

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, addr, alen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	rc = wait_fd(fd, POLLOUT, deadline_ms);
	if (rc <= 0) {
		snprintf(err, errlen, "connect: %s", rc == 0 ? "timed out" : strerror(errno));
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
		snprintf(err, errlen, "connect: %s", strerror(soerr != 0 ? soerr : errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_unix(struct netconn *c, uint64_t deadline_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int type = c->t.kind == NET_UNIX_DGRAM ? SOCK_DGRAM : SOCK_STREAM;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->t.path, strlen(c->t.path) + 1);
	c->fd =
	    connect_addr(AF_UNIX, type, (const struct sockaddr *)&sun, sizeof(sun), deadline_ms, err, errlen);
	if (c->fd < 0 && c->t.kind == NET_UNIX_AUTO) {
		/* unix:PATH follows the receiver: a datagram socket refuses stream connects with
		 * EPROTOTYPE. */
		c->fd = connect_addr(AF_UNIX, SOCK_DGRAM, (const struct sockaddr *)&sun, sizeof(sun),
				     deadline_ms, err, errlen);
		if (c->fd >= 0)
			c->kind = NET_UNIX_DGRAM;
	} else if (c->fd >= 0 && c->t.kind == NET_UNIX_AUTO) {
		c->kind = NET_UNIX_STREAM;
	}
	if (c->fd < 0) {
		size_t n = strlen(err);

		snprintf(err + n, errlen > n ? errlen - n : 0, " (%s)", c->t.path);
		return -1;
	}
	return 0;
}

static int tls_handshake(struct netconn *c, uint64_t deadline_ms, char *err, size_t errlen)
{
	X509_VERIFY_PARAM *vp;
	struct in6_addr a6;
	bool is_ip;

	ERR_clear_error();
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		ssl_err(err, errlen, "SSL_new");
		return -1;
	}
	is_ip =
	    inet_pton(AF_INET6, c->t.server_name, &a6) == 1 || inet_pton(AF_INET, c->t.server_name, &a6) == 1;
	vp = SSL_get0_param(c->ssl);
	if (is_ip) {
		if (c->t.verify && X509_VERIFY_PARAM_set1_ip_asc(vp, c->t.server_name) != 1) {
			ssl_err(err, errlen, "TLS peer address");
			return -1;
		}
	} else {
		(void)SSL_set_tlsext_host_name(c->ssl, c->t.server_name);
		if (c->t.verify && SSL_set1_host(c->ssl, c->t.server_name) != 1) {
			ssl_err(err, errlen, "TLS peer name");
			return -1;
		}
	}
	for (;;) {
		int rc = SSL_connect(c->ssl), e, w;

		if (rc == 1)
			return 0;
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms);
			if (w <= 0) {
				snprintf(err, errlen, "TLS handshake: %s",
					 w == 0 ? "timed out" : strerror(errno));
				return -1;
			}
			continue;
		}
		if (SSL_get_verify_result(c->ssl) != X509_V_OK) {
			snprintf(err, errlen, "TLS handshake: certificate verification failed: %s",
				 X509_verify_cert_error_string(SSL_get_verify_result(c->ssl)));
			ERR_clear_error();
			return -1;
		}
		ssl_err(err, errlen, "TLS handshake");
		return -1;
	}
}

int netconn_connect(struct netconn *c, uint64_t deadline_ms, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc;

	netconn_close(c);
	if (c->t.kind >= NET_UNIX_STREAM)
		return connect_unix(c, deadline_ms, err, errlen);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = c->t.kind == NET_UDP ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(c->t.host, c->t.port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->t.host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "%s: no address", c->t.host);
	for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next)
		c->fd = connect_addr(ai->ai_family, ai->ai_socktype, ai->ai_addr, ai->ai_addrlen, deadline_ms,
				     err, errlen);
	freeaddrinfo(res);
	if (c->fd < 0)
		return -1;
	if (c->t.kind != NET_UDP) {
		int one = 1;

		(void)setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	}
	if (c->t.kind == NET_TLS && tls_handshake(c, deadline_ms, err, errlen) != 0) {
		netconn_close(c);
		return -1;
	}
	return 0;
}

bool netconn_alive(struct netconn *c)
{
	struct pollfd p;

	if (c->fd < 0)
		return false;
	p.fd = c->fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) < 0)
		return true; /* cannot tell; the next write will */
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) == 0;
}

/* One write attempt; returns bytes written, 0 when it would block (*want set to the poll event), -1 on
 * error (err filled). */
static ssize_t write_some(struct netconn *c, const char *buf, size_t len, short *want, char *err,
			  size_t errlen)
{
	ssize_t n;

	*want = POLLOUT;
	if (c->ssl != NULL) {
		int rc, e;

		ERR_clear_error();
		rc = SSL_write(c->ssl, buf, (int)(len > INT_MAX ? INT_MAX : len));
		if (rc > 0)
			return rc;
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			*want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			return 0;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			snprintf(err, errlen, "TLS write: %s",
				 errno != 0 ? strerror(errno) : "connection closed");
		else
			ssl_err(err, errlen, "TLS write");
		return -1;
	}
	n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOBUFS)
		return 0;
	snprintf(err, errlen, "send: %s", strerror(errno));
	return -1;
}

int netconn_write(struct netconn *c, const void *buf, size_t len, uint64_t deadline_ms, size_t *written,
		  char *err, size_t errlen)
{
	const char *p = buf;
	size_t off = 0;

	*written = 0;
	if (c->fd < 0) {
		snprintf(err, errlen, "not connected");
		return -1;
	}
	while (off < len) {
		short want;
		ssize_t n = write_some(c, p + off, len - off, &want, err, errlen);
		int w;

		if (n < 0)
			return -1;
		if (n > 0) {
			off += (size_t)n;
			*written = off;
			if (!netconn_is_stream(c))
				return 0; /* a datagram goes whole or not at all */
			continue;
		}
		w = wait_fd(c->fd, want, deadline_ms);
		if (w <= 0) {
			snprintf(err, errlen, "send: %s",
				 w == 0 ? "timed out (receiver not reading)" : strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* ---- sinkq transport ---------------------------------------------------------------------------- */

static int nq_connect(void *ctx, uint64_t deadline_ms, char *err, size_t errlen)
{
	return netconn_connect(ctx, deadline_ms, err, errlen);
}

static bool nq_alive(void *ctx)
{
	return netconn_alive(ctx);
}

static void nq_disconnect(void *ctx)
{
	netconn_close(ctx);
}

/* Streams: records are copied into chunks of up to MP_OUT_SEND_CHUNK bytes (a larger record is written
 * alone); a record is delivered when its last byte was written. Datagrams: one record each. */
static int nq_send(void *ctx, struct sinkq_rec *const *recs, size_t n, size_t *done, uint64_t deadline_ms,
		   char *err, size_t errlen)
{
	struct netconn *c = ctx;
	size_t i = 0, written;

	*done = 0;
	if (!netconn_is_stream(c)) {
		for (i = 0; i < n; i++) {
			if (netconn_write(c, recs[i]->data, recs[i]->len, deadline_ms, &written, err,
					  errlen) != 0)
				return -1;
			*done = i + 1;
		}
		return 0;
	}
	while (i < n) {
		size_t first = i, fill = 0;
		const char *buf;

		if (recs[i]->len >= MP_OUT_SEND_CHUNK) {
			buf = recs[i]->data;
			fill = recs[i]->len;
			i++;
		} else {
			while (i < n && fill + recs[i]->len <= MP_OUT_SEND_CHUNK) {
				memcpy(c->chunk + fill, recs[i]->data, recs[i]->len);
				fill += recs[i]->len;
				i++;
			}
			buf = c->chunk;
		}
		if (netconn_write(c, buf, fill, deadline_ms, &written, err, errlen) != 0) {
			/* Count the records of this chunk that went out whole. */
			size_t acc = 0;

			for (size_t k = first; k < i; k++) {
				acc += recs[k]->len;
				if (acc > written)
					break;
				*done = k + 1;
			}
			return -1;
		}
		*done = i;
	}
	return 0;
}

const struct sinkq_ops netconn_sinkq_ops = {
    .connect = nq_connect,
    .send = nq_send,
    .alive = nq_alive,
    .disconnect = nq_disconnect,
};
