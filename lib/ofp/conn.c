/* SPDX-License-Identifier: BSD-3-Clause */
/* The OpenFlow channel: targets, listeners, TCP and TLS connections, message framing, inactivity
 * probes and reconnection with back-off (conn.h says what it guarantees). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/clock.h"
#include "common/log.h"
#include "ofp/conn.h"

/* The ofp log type is registered in codec.c. */
extern int sdnfv_logtype_ofp;

#define HEADER_LEN    8
#define MSG_MAX       65535u
#define DEFAULT_PORT  6653
#define IN_START      4096u         /* read buffer of a new connection; grows to MSG_MAX + 1 */
#define READ_BUDGET   (256u * 1024) /* bytes read from one connection per round, for fairness */
#define ACCEPT_BUDGET 16            /* connections accepted per listener per round */
#define MS            1000000ull    /* ns per ms */
#define REASON_LEN    160
#define NAME_LEN      96

enum chan_state {
	CHAN_IDLE,       /* active target waiting for its next attempt */
	CHAN_CONNECTING, /* TCP connect in progress */
	CHAN_HANDSHAKE,  /* TLS handshake in progress */
	CHAN_UP,
	CHAN_DEAD, /* accepted connection closed, freed by the next sweep */
};

struct ofp_chan {
	struct ofp_chans *set;
	struct ofp_chan *next;
	int target;
	enum chan_state state;
	int fd;
	SSL *ssl;
	unsigned int gen; /* bumped by each close: poll() results of an older socket are stale */
	bool ever_tried;  /* active: the first attempt was made */
	bool broken;      /* a write failed outside poll: close in the next poll */
	bool tls_more;    /* TLS holds decrypted bytes not read yet (read budget spent) */
	char broken_why[REASON_LEN];
	char name[NAME_LEN];
	uint64_t since_ns;   /* state entered (connect or handshake start, up) */
	uint64_t last_rx_ns; /* last message received */
	bool probe_sent;
	uint64_t next_try_ns; /* active, idle: next attempt */
	uint32_t backoff_ms;  /* active: the last delay, 0 before any */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_head, out_len, out_cap; /* queued bytes are out[out_head, out_head + out_len) */
	void *user;
};

struct target {
	bool active, tls;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char text[NAME_LEN]; /* the target in its canonical form */
	const char *scheme;  /* "tcp", "ssl", "ptcp", "pssl" */
	int listen_fd;
	int port;              /* passive: the bound port */
	struct ofp_chan *chan; /* active: its one channel */
	char status[REASON_LEN];
};

struct ofp_chans {
	struct ofp_chan_params p;
	char *key, *cert, *ca;
	SSL_CTX *tls;
	BIO_METHOD *bio_method;
	struct target *targets;
	int n_targets;
	struct ofp_chan *chans;
	struct pollfd *pfd;
	struct pollref {
		struct ofp_chan *c; /* NULL: a listener */
		int target;
		unsigned int gen;
	} * ref;
	size_t pfd_cap;
	uint64_t reconnects;
};

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t
now_ns(void)
{
	return sdnfv_clock_ns();
}

/* ---- TLS: a socket BIO that writes with MSG_NOSIGNAL ------------------------------------------
 * OpenSSL's socket BIO writes with write(), which raises SIGPIPE on a connection the peer reset;
 * a library must not change the process's signal handling, so its BIO does the I/O itself. */

static int
bio_write(BIO *b, const char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static int
bio_read(BIO *b, char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n = recv(fd, buf, (size_t)len, 0);

	BIO_clear_retry_flags(b);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static int
bio_puts(BIO *b, const char *str)
{
	return bio_write(b, str, (int)strlen(str));
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* The reason of the last TLS failure: OpenSSL's own, with the certificate check's if it failed. */
static void
tls_reason(SSL *ssl, int ret, const char *what, char *buf, size_t len)
{
	int e = SSL_get_error(ssl, ret);
	unsigned long code = ERR_peek_last_error();
	long vr = SSL_get_verify_result(ssl);
	const char *r = code != 0 ? ERR_reason_error_string(code) : NULL;
	char sys[64];

	if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(buf, len, "%s: closed by peer", what);
		return;
	}
	if (r == NULL) {
		if (e == SSL_ERROR_SYSCALL && errno != 0)
			snprintf(sys, sizeof(sys), "%s", strerror(errno));
		else if (e == SSL_ERROR_SYSCALL)
			snprintf(sys, sizeof(sys), "connection closed by peer");
		else
			snprintf(sys, sizeof(sys), "error %d", e);
		r = sys;
	}
	if (vr != X509_V_OK)
		snprintf(buf, len, "%s: %s (peer certificate: %s)", what, r,
			 X509_verify_cert_error_string(vr));
	else
		snprintf(buf, len, "%s: %s", what, r);
}

static int
openssl_reason(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long code = ERR_peek_last_error();
	const char *r = code != 0 ? ERR_reason_error_string(code) : NULL;

	set_err(err, errlen, "%s %s: %s", what, path, r != NULL ? r : "failed");
	ERR_clear_error();
	return -EINVAL;
}

/* Load the key, certificate and CA once, for the first ssl or pssl target. */
static int
tls_setup(struct ofp_chans *s, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int rc;

	if (s->tls != NULL)
		return 0;
	if (s->key == NULL || s->cert == NULL || s->ca == NULL) {
		set_err(err, errlen,
			"TLS needs a private key, a certificate and a CA certificate (%s missing)",
			s->key == NULL    ? "private key"
			: s->cert == NULL ? "certificate"
					  : "CA");
		return -EINVAL;
	}
	if (access(s->key, R_OK) != 0 || access(s->cert, R_OK) != 0 || access(s->ca, R_OK) != 0) {
		const char *bad = access(s->key, R_OK) != 0    ? s->key
				  : access(s->cert, R_OK) != 0 ? s->cert
							       : s->ca;
		set_err(err, errlen, "cannot read %s: %s", bad, strerror(errno));
		return -EINVAL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_method());
	if (ctx == NULL) {
		set_err(err, errlen, "SSL_CTX_new failed");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if (SSL_CTX_use_certificate_chain_file(ctx, s->cert) != 1)
		rc = openssl_reason(err, errlen, "certificate", s->cert);
	else if (SSL_CTX_use_PrivateKey_file(ctx, s->key, SSL_FILETYPE_PEM) != 1)
		rc = openssl_reason(err, errlen, "private key", s->key);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		rc = openssl_reason(err, errlen, "private key does not match certificate", s->key);
	else if (SSL_CTX_load_verify_locations(ctx, s->ca, NULL) != 1)
		rc = openssl_reason(err, errlen, "CA certificate", s->ca);
	else
		rc = 0;
	if (rc == 0) {
		/* Name the CA to clients, so that one with several certificates picks the right. */
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(s->ca);

		if (names != NULL)
			SSL_CTX_set_client_CA_list(ctx, names);
		ERR_clear_error();
	}
	if (rc == 0) {
		s->bio_method =
			BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ofp-sock");
		if (s->bio_method == NULL) {
			set_err(err, errlen, "BIO_meth_new failed");
			rc = -ENOMEM;
		} else {
			BIO_meth_set_write(s->bio_method, bio_write);
			BIO_meth_set_read(s->bio_method, bio_read);
			BIO_meth_set_puts(s->bio_method, bio_puts);
			BIO_meth_set_ctrl(s->bio_method, bio_ctrl);
			BIO_meth_set_create(s->bio_method, bio_create);
		}
	}
	if (rc < 0) {
		SSL_CTX_free(ctx);
		return rc;
	}
	s->tls = ctx;
	return 0;
}

/* ---- targets ------------------------------------------------------------------------------ */

/* A port: decimal, 0 to 65535. */
static int
parse_port(const char *str, size_t len, int *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (str[i] < '0' || str[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(str[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* An IP address, IPv6 in brackets or bare; fills ss (port not set). */
static int
parse_ip(const char *str, size_t len, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (len >= 2 && str[0] == '[' && str[len - 1] == ']') {
		str++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, str, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		*sslen = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		*sslen = sizeof(*in6);
		return 0;
	}
	return -1;
}

static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static int
get_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* "127.0.0.1:6653" or "[::1]:6653" (port < 0: the address alone). */
static void
format_addr(const struct sockaddr_storage *ss, int port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
	if (port < 0)
		snprintf(buf, len, ss->ss_family == AF_INET ? "%s" : "[%s]", ip);
	else
		snprintf(buf, len, ss->ss_family == AF_INET ? "%s:%d" : "[%s]:%d", ip, port);
}

/*
 * Parse "tcp:IP[:PORT]", "ssl:IP[:PORT]", "ptcp:[PORT][:IP]" or "pssl:[PORT][:IP]" into t.
 * 0, or -EINVAL with err.
 */
static int
parse_target(const char *text, struct target *t, char *err, size_t errlen)
{
	const char *colon = strchr(text, ':'), *rest, *end, *sep;
	size_t slen;
	int port = DEFAULT_PORT;

	memset(t, 0, sizeof(*t));
	t->listen_fd = -1;
	if (colon == NULL) {
		set_err(err, errlen, "target '%s': no 'type:' prefix (tcp, ssl, ptcp, pssl)", text);
		return -EINVAL;
	}
	slen = (size_t)(colon - text);
	if (slen == 3 && strncmp(text, "tcp", 3) == 0) {
		t->active = true, t->scheme = "tcp";
	} else if (slen == 3 && strncmp(text, "ssl", 3) == 0) {
		t->active = true, t->tls = true, t->scheme = "ssl";
	} else if (slen == 4 && strncmp(text, "ptcp", 4) == 0) {
		t->scheme = "ptcp";
	} else if (slen == 4 && strncmp(text, "pssl", 4) == 0) {
		t->tls = true, t->scheme = "pssl";
	} else {
		set_err(err, errlen, "target '%s': unknown type '%.*s' (tcp, ssl, ptcp, pssl)",
			text, (int)slen, text);
		return -EINVAL;
	}
	rest = colon + 1;
	end = rest + strlen(rest);
	if (t->active) {
		/* IP[:PORT]; an IPv6 address needs its brackets here, or its colons would be read
		 * as the port's. */
		const char *ip_end;

		if (*rest == '[') {
			const char *close = strchr(rest, ']');

			if (close == NULL) {
				set_err(err, errlen, "target '%s': '[' without ']'", text);
				return -EINVAL;
			}
			ip_end = close + 1;
			if (*ip_end != '\0' && *ip_end != ':') {
				set_err(err, errlen, "target '%s': junk after ']'", text);
				return -EINVAL;
			}
		} else {
			ip_end = strchr(rest, ':');
			if (ip_end == NULL)
				ip_end = end;
		}
		if (ip_end == rest) {
			set_err(err, errlen, "target '%s': no IP address", text);
			return -EINVAL;
		}
		if (parse_ip(rest, (size_t)(ip_end - rest), &t->addr, &t->addrlen) < 0) {
			set_err(err, errlen, "target '%s': '%.*s' is not an IP address", text,
				(int)(ip_end - rest), rest);
			return -EINVAL;
		}
		if (*ip_end == ':' &&
		    (parse_port(ip_end + 1, (size_t)(end - ip_end - 1), &port) < 0 || port == 0)) {
			set_err(err, errlen, "target '%s': bad port '%s' (1 to 65535)", text,
				ip_end + 1);
			return -EINVAL;
		}
	} else {
		/* [PORT][:IP] */
		sep = strchr(rest, ':');
		if (sep == NULL)
			sep = end;
		if (sep > rest && parse_port(rest, (size_t)(sep - rest), &port) < 0) {
			set_err(err, errlen, "target '%s': bad port '%.*s' (0 to 65535)", text,
				(int)(sep - rest), rest);
			return -EINVAL;
		}
		if (*sep == ':' && sep + 1 < end) {
			if (parse_ip(sep + 1, (size_t)(end - sep - 1), &t->addr, &t->addrlen) < 0) {
				set_err(err, errlen, "target '%s': '%s' is not an IP address", text,
					sep + 1);
				return -EINVAL;
			}
		} else {
			struct sockaddr_in *in4 = (struct sockaddr_in *)&t->addr;

			in4->sin_family = AF_INET;
			in4->sin_addr.s_addr = htonl(INADDR_ANY);
			t->addrlen = sizeof(*in4);
		}
	}
	set_port(&t->addr, port);
	return 0;
}

static int
set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
listen_on(struct target *t, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char addr[64];
	int one = 1, fd, rc;

	format_addr(&t->addr, get_port(&t->addr), addr, sizeof(addr));
	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: socket: %s", t->text, strerror(errno));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&t->addr, t->addrlen) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		rc = -errno;
		set_err(err, errlen, "%s: cannot listen on %s: %s", t->text, addr, strerror(errno));
		close(fd);
		return rc;
	}
	t->listen_fd = fd;
	t->port = get_port(&ss);
	return 0;
}

static struct ofp_chan *
chan_new(struct ofp_chans *s, int target)
{
	struct ofp_chan *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->set = s;
	c->target = target;
	c->fd = -1;
	c->next = s->chans;
	s->chans = c;
	return c;
}

int
ofp_chans_create(const struct ofp_chan_params *p, struct ofp_chans **out, char *err, size_t errlen)
{
	struct ofp_chans *s;

	if (p == NULL || out == NULL) {
		set_err(err, errlen, "params or out NULL");
		SDNFV_LOG(ofp, ERR, "channels: params or out NULL");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->p = *p;
	if (s->p.probe_ms == 0)
		s->p.probe_ms = 5000;
	if (s->p.backoff_min_ms == 0)
		s->p.backoff_min_ms = 1000;
	if (s->p.backoff_max_ms == 0)
		s->p.backoff_max_ms = 8000;
	if (s->p.backoff_max_ms < s->p.backoff_min_ms)
		s->p.backoff_max_ms = s->p.backoff_min_ms;
	if (s->p.out_max == 0)
		s->p.out_max = 8u << 20;
	s->key = p->ssl_private_key != NULL ? strdup(p->ssl_private_key) : NULL;
	s->cert = p->ssl_certificate != NULL ? strdup(p->ssl_certificate) : NULL;
	s->ca = p->ssl_ca_certificate != NULL ? strdup(p->ssl_ca_certificate) : NULL;
	if ((p->ssl_private_key != NULL && s->key == NULL) ||
	    (p->ssl_certificate != NULL && s->cert == NULL) ||
	    (p->ssl_ca_certificate != NULL && s->ca == NULL)) {
		ofp_chans_free(s);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->p.ssl_private_key = s->key;
	s->p.ssl_certificate = s->cert;
	s->p.ssl_ca_certificate = s->ca;
	*out = s;
	return 0;
}

static void
chan_drop_socket(struct ofp_chan *c)
{
	if (c->ssl != NULL) {
		/* Best effort close_notify; the socket is non-blocking, so this never waits. */
		if (c->state == CHAN_UP)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
		ERR_clear_error();
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->gen++;
	c->in_len = 0;
	c->out_head = c->out_len = 0;
	c->probe_sent = false;
	c->broken = false;
	c->tls_more = false;
}

static void
chan_free(struct ofp_chan *c)
{
	chan_drop_socket(c);
	free(c->in);
	free(c->out);
	free(c);
}

void
ofp_chans_free(struct ofp_chans *s)
{
	if (s == NULL)
		return;
	while (s->chans != NULL) {
		struct ofp_chan *c = s->chans;

		s->chans = c->next;
		chan_free(c);
	}
	for (int i = 0; i < s->n_targets; i++)
		if (s->targets[i].listen_fd >= 0)
			close(s->targets[i].listen_fd);
	free(s->targets);
	free(s->pfd);
	free(s->ref);
	SSL_CTX_free(s->tls);
	BIO_meth_free(s->bio_method);
	free(s->key);
	free(s->cert);
	free(s->ca);
	free(s);
}

int
ofp_chans_add_target(struct ofp_chans *s, const char *target, char *err, size_t errlen)
{
	struct target t, *grown;
	char addr[64], why[256];
	int rc;

	if (s == NULL || target == NULL) {
		set_err(err, errlen, "set or target NULL");
		SDNFV_LOG(ofp, ERR, "add target: set or target NULL");
		return -EINVAL;
	}
	rc = parse_target(target, &t, why, sizeof(why));
	if (rc == 0 && t.tls)
		rc = tls_setup(s, why, sizeof(why));
	if (rc == 0 && t.active) {
		format_addr(&t.addr, get_port(&t.addr), addr, sizeof(addr));
		snprintf(t.text, sizeof(t.text), "%s:%s", t.scheme, addr);
	} else if (rc == 0) {
		format_addr(&t.addr, -1, addr, sizeof(addr));
		snprintf(t.text, sizeof(t.text), "%s:%d:%s", t.scheme, get_port(&t.addr), addr);
		rc = listen_on(&t, why, sizeof(why));
		snprintf(t.text, sizeof(t.text), "%s:%d:%s", t.scheme, t.port, addr);
	}
	if (rc == 0) {
		grown = realloc(s->targets, sizeof(*grown) * (size_t)(s->n_targets + 1));
		if (grown != NULL)
			s->targets = grown;
		if (grown != NULL && t.active) {
			t.chan = chan_new(s, s->n_targets);
			grown = t.chan != NULL ? grown : NULL;
		}
		if (grown == NULL) {
			snprintf(why, sizeof(why), "target '%s': out of memory", target);
			rc = -ENOMEM;
		}
	}
	if (rc < 0) {
		if (t.listen_fd >= 0)
			close(t.listen_fd);
		SDNFV_LOG(ofp, ERR, "%s", why);
		set_err(err, errlen, "%s", why);
		return rc;
	}
	if (t.active) {
		snprintf(t.chan->name, sizeof(t.chan->name), "%s", t.text);
		t.chan->next_try_ns = now_ns();
	}
	s->targets[s->n_targets] = t;
	SDNFV_LOG(ofp, INFO, "%s: %s", t.text, t.active ? "connecting" : "listening");
	return s->n_targets++;
}

int
ofp_chans_bound_port(const struct ofp_chans *s, int target)
{
	if (s == NULL || target < 0 || target >= s->n_targets || s->targets[target].active)
		return -EINVAL;
	return s->targets[target].port;
}

const char *
ofp_chans_target_status(const struct ofp_chans *s, int target)
{
	if (s == NULL || target < 0 || target >= s->n_targets)
		return NULL;
	return s->targets[target].status;
}

/* ---- connection life --------------------------------------------------------------------- */

/* Schedule an active target's next attempt after a failure or a loss. */
static void
schedule_retry(struct ofp_chan *c, uint64_t now, bool lived_long)
{
	const struct ofp_chan_params *p = &c->set->p;

	if (lived_long || c->backoff_ms == 0)
		c->backoff_ms = p->backoff_min_ms;
	else
		c->backoff_ms = c->backoff_ms >= p->backoff_max_ms / 2 ? p->backoff_max_ms
								       : c->backoff_ms * 2;
	c->next_try_ns = now + c->backoff_ms * MS;
}

/* Close c with why: on_down if it was up, then retry (active) or free later (accepted). One log
 * line: an error for a protocol or TLS failure (error), a notice or info line otherwise. */
static void
chan_close_logged(struct ofp_chan *c, const char *why, bool error)
{
	struct ofp_chans *s = c->set;
	struct target *t = &s->targets[c->target];
	bool was_up = c->state == CHAN_UP;
	uint64_t now = now_ns();
	uint64_t lived = now - c->since_ns;
	char retry[40] = "";

	if (c->state == CHAN_IDLE || c->state == CHAN_DEAD)
		return;
	snprintf(t->status, sizeof(t->status), "%s", why);
	chan_drop_socket(c);
	if (t->active) {
		c->state = CHAN_IDLE;
		schedule_retry(c, now, was_up && lived >= s->p.backoff_max_ms * MS);
	} else {
		c->state = CHAN_DEAD;
	}
	if (t->active)
		snprintf(retry, sizeof(retry), ", retrying in %u ms", c->backoff_ms);
	if (error)
		SDNFV_LOG(ofp, ERR, "%s: connection %s (%s)%s", c->name, was_up ? "down" : "failed",
			  why, retry);
	else if (was_up)
		SDNFV_LOG(ofp, NOTICE, "%s: connection down (%s)%s", c->name, why, retry);
	else
		SDNFV_LOG(ofp, INFO, "%s: connection failed (%s)%s", c->name, why, retry);
	if (was_up && s->p.on_down != NULL)
		s->p.on_down(s->p.arg, c, why);
}

static void
chan_close(struct ofp_chan *c, const char *why)
{
	chan_close_logged(c, why, false);
}

static void
chan_fail(struct ofp_chan *c, const char *why)
{
	chan_close_logged(c, why, true);
}

void
ofp_chan_close(struct ofp_chan *c, const char *why)
{
	if (c == NULL)
		return;
	chan_close(c, why != NULL ? why : "closed");
}

static void
chan_up(struct ofp_chan *c, uint64_t now)
{
	struct ofp_chans *s = c->set;

	c->state = CHAN_UP;
	c->since_ns = now;
	c->last_rx_ns = now;
	c->probe_sent = false;
	s->targets[c->target].status[0] = '\0';
	SDNFV_LOG(ofp, NOTICE, "%s: connection up%s%s", c->name, c->ssl != NULL ? ", " : "",
		  c->ssl != NULL ? SSL_get_version(c->ssl) : "");
	if (s->p.on_up != NULL)
		s->p.on_up(s->p.arg, c);
}

/* Advance the TLS handshake: 0 done, 1 wants more, -1 failed (closed). */
static int
chan_handshake(struct ofp_chan *c, uint64_t now)
{
	char why[REASON_LEN];
	int ret, e;

	ERR_clear_error();
	errno = 0;
	ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		chan_up(c, now);
		return 0;
	}
	e = SSL_get_error(c->ssl, ret);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 1;
	tls_reason(c->ssl, ret, "TLS handshake failed", why, sizeof(why));
	chan_fail(c, why);
	return -1;
}

/* The socket is connected (or accepted): start TLS or come up. */
static void
chan_connected(struct ofp_chan *c, uint64_t now)
{
	struct ofp_chans *s = c->set;
	const struct target *t = &s->targets[c->target];
	BIO *bio;

	set_nodelay(c->fd);
	if (!t->tls) {
		chan_up(c, now);
		return;
	}
	c->ssl = SSL_new(s->tls);
	bio = c->ssl != NULL ? BIO_new(s->bio_method) : NULL;
	if (bio == NULL) {
		chan_close(c, "out of memory for TLS");
		return;
	}
	BIO_set_data(bio, (void *)(intptr_t)c->fd);
	SSL_set_bio(c->ssl, bio, bio);
	if (t->active)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	c->state = CHAN_HANDSHAKE;
	c->since_ns = now;
	chan_handshake(c, now);
}

/* Start an active target's attempt. */
static void
chan_connect(struct ofp_chan *c, uint64_t now)
{
	struct ofp_chans *s = c->set;
	const struct target *t = &s->targets[c->target];
	char why[REASON_LEN];

	if (c->ever_tried)
		s->reconnects++;
	c->ever_tried = true;
	c->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->since_ns = now;
	c->state = CHAN_CONNECTING;
	if (c->fd < 0) {
		snprintf(why, sizeof(why), "socket: %s", strerror(errno));
		chan_close(c, why);
		return;
	}
	if (connect(c->fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0) {
		chan_connected(c, now);
	} else if (errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		chan_close(c, why);
	}
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Write what the socket takes: 0 (all written or would block), or -1 with why filled. */
static int
chan_flush(struct ofp_chan *c, char *why, size_t whylen)
{
	while (c->out_len > 0) {
		const uint8_t *p = c->out + c->out_head;
		ssize_t n;

		if (c->ssl != NULL) {
			int chunk = c->out_len > INT32_MAX ? INT32_MAX : (int)c->out_len;
			int ret, e;

			ERR_clear_error();
			errno = 0;
			ret = SSL_write(c->ssl, p, chunk);
			if (ret <= 0) {
				e = SSL_get_error(c->ssl, ret);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					return 0;
				tls_reason(c->ssl, ret, "TLS write", why, whylen);
				return -1;
			}
			n = ret;
		} else {
			n = send(c->fd, p, c->out_len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return 0;
				snprintf(why, whylen, "write: %s", strerror(errno));
				return -1;
			}
		}
		c->out_head += (size_t)n;
		c->out_len -= (size_t)n;
	}
	c->out_head = 0;
	return 0;
}

/* Append len bytes to the queue: 0 or -ENOMEM. */
static int
queue_append(struct ofp_chan *c, const void *data, size_t len)
{
	if (c->out_head + c->out_len + len > c->out_cap && c->out_head > 0) {
		memmove(c->out, c->out + c->out_head, c->out_len);
		c->out_head = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *grown;

		while (cap < c->out_len + len)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (grown == NULL)
			return -ENOMEM;
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_head + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

int
ofp_chan_send(struct ofp_chan *c, const void *msgs, size_t len)
{
	if (c == NULL || (msgs == NULL && len > 0))
		return -EINVAL;
	if (c->state != CHAN_UP || c->broken)
		return -ENOTCONN;
	if (c->out_len > 0 && chan_flush(c, c->broken_why, sizeof(c->broken_why)) < 0) {
		c->broken = true;
		return -ENOTCONN;
	}
	if (c->out_len + len > c->set->p.out_max)
		return -ENOBUFS;
	if (queue_append(c, msgs, len) < 0)
		return -ENOMEM;
	if (chan_flush(c, c->broken_why, sizeof(c->broken_why)) < 0)
		c->broken = true; /* the data was taken; the next poll closes and says why */
	return 0;
}

size_t
ofp_chan_queued(const struct ofp_chan *c)
{
	return c != NULL ? c->out_len : 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* Deliver every whole message in the read buffer. false if c closed meanwhile. */
static bool
chan_frame(struct ofp_chan *c, unsigned int gen)
{
	struct ofp_chans *s = c->set;
	size_t pos = 0;

	while (c->in_len - pos >= HEADER_LEN) {
		const uint8_t *m = c->in + pos;
		size_t len = (size_t)m[2] << 8 | m[3];

		if (len < HEADER_LEN) {
			char why[REASON_LEN];

			snprintf(
				why, sizeof(why),
				"bad message length %zu (< 8; version %u, type %u): protocol violation",
				len, m[0], m[1]);
			chan_fail(c, why);
			return false;
		}
		if (c->in_len - pos < len)
			break;
		c->last_rx_ns = now_ns();
		c->probe_sent = false;
		if (s->p.on_msg != NULL)
			s->p.on_msg(s->p.arg, c, m, len);
		if (c->gen != gen || c->state != CHAN_UP)
			return false;
		pos += len;
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->in_len - pos);
		c->in_len -= pos;
	}
	return true;
}

/* Make room for the rest of the message at the head of the buffer: 0 or -ENOMEM. */
static int
chan_in_room(struct ofp_chan *c)
{
	size_t need = IN_START;
	uint8_t *grown;

	if (c->in_len >= HEADER_LEN)
		need = (size_t)c->in[2] << 8 | c->in[3];
	if (need < IN_START)
		need = IN_START;
	if (c->in_cap >= need && c->in_len < c->in_cap)
		return 0;
	if (need <= c->in_len)
		need = c->in_len + IN_START; /* cannot happen with framing done; be safe */
	grown = realloc(c->in, need);
	if (grown == NULL)
		return -ENOMEM;
	c->in = grown;
	c->in_cap = need;
	return 0;
}

/* Read what the socket has (up to the round's budget) and deliver messages. */
static void
chan_read(struct ofp_chan *c)
{
	unsigned int gen = c->gen;
	size_t budget = READ_BUDGET;
	char why[REASON_LEN];

	c->tls_more = false;
	while (budget > 0) {
		size_t room;
		ssize_t n;

		if (chan_in_room(c) < 0) {
			chan_close(c, "out of memory for the read buffer");
			return;
		}
		room = c->in_cap - c->in_len;
		if (c->ssl != NULL) {
			int ret, e;

			ERR_clear_error();
			errno = 0;
			ret = SSL_read(c->ssl, c->in + c->in_len,
				       room > INT32_MAX ? INT32_MAX : (int)room);
			if (ret <= 0) {
				e = SSL_get_error(c->ssl, ret);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return;
				tls_reason(c->ssl, ret, "TLS read", why, sizeof(why));
				chan_close_logged(c, why,
						  e != SSL_ERROR_ZERO_RETURN &&
							  e != SSL_ERROR_SYSCALL);
				return;
			}
			n = ret;
		} else {
			n = recv(c->fd, c->in + c->in_len, room, 0);
			if (n == 0) {
				chan_close(c, "closed by peer");
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					return;
				snprintf(why, sizeof(why), "read: %s", strerror(errno));
				chan_close(c, why);
				return;
			}
		}
		c->in_len += (size_t)n;
		budget -= (size_t)n < budget ? (size_t)n : budget;
		if (!chan_frame(c, gen))
			return;
	}
	/* Budget spent: TLS may hold decrypted bytes poll() cannot see (what the kernel holds,
	 * the next poll() sees). */
	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		c->tls_more = true;
}

/* ---- the round ---------------------------------------------------------------------------- */

static void
accept_all(struct ofp_chans *s, int ti, uint64_t now)
{
	for (int i = 0; i < ACCEPT_BUDGET; i++) {
		struct target *t = &s->targets[ti];
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		char addr[64];
		struct ofp_chan *c;
		int fd = accept4(t->listen_fd, (struct sockaddr *)&peer, &plen,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				SDNFV_LOG(ofp, ERR, "%s: accept: %s", t->text, strerror(errno));
			return;
		}
		c = chan_new(s, ti);
		if (c == NULL) {
			SDNFV_LOG(ofp, ERR, "%s: out of memory for a connection", t->text);
			close(fd);
			return;
		}
		c->fd = fd;
		c->state = CHAN_CONNECTING;
		format_addr(&peer, get_port(&peer), addr, sizeof(addr));
		snprintf(c->name, sizeof(c->name), "%s:%d<-%s", t->scheme, t->port, addr);
		chan_connected(c, now);
	}
}

/* An active target's connect finished (POLLOUT or an error). */
static void
connect_done(struct ofp_chan *c, uint64_t now)
{
	int e = 0;
	socklen_t elen = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		e = errno;
	if (e != 0) {
		char why[REASON_LEN];

		snprintf(why, sizeof(why), "%s", strerror(e));
		chan_close(c, why);
		return;
	}
	chan_connected(c, now);
}

static void
chan_event(struct ofp_chan *c, short revents, uint64_t now)
{
	char why[REASON_LEN];

	switch (c->state) {
	case CHAN_CONNECTING:
		connect_done(c, now);
		break;
	case CHAN_HANDSHAKE:
		chan_handshake(c, now);
		break;
	case CHAN_UP:
		if (revents & (POLLIN | POLLHUP | POLLERR))
			chan_read(c);
		if (c->state == CHAN_UP && c->out_len > 0 && chan_flush(c, why, sizeof(why)) < 0)
			chan_close(c, why);
		break;
	default:
		break;
	}
}

/* Timers: attempts due, probes, closes of silent connections, slow connects and handshakes.
 * Returns the events handled and lowers *next_ns to the earliest timer still pending. */
static int
timers(struct ofp_chans *s, uint64_t now, uint64_t *next_ns)
{
	const uint64_t probe = s->p.probe_ms * MS;
	static const uint8_t echo[HEADER_LEN] = { 4,
						  2,
						  0,
						  8,
						  (OFP_CHAN_PROBE_XID >> 24) & 0xff,
						  (OFP_CHAN_PROBE_XID >> 16) & 0xff,
						  (OFP_CHAN_PROBE_XID >> 8) & 0xff,
						  OFP_CHAN_PROBE_XID & 0xff };
	int events = 0;

	for (struct ofp_chan *c = s->chans; c != NULL; c = c->next) {
		uint64_t due;

		switch (c->state) {
		case CHAN_IDLE:
			if (now >= c->next_try_ns) {
				chan_connect(c, now);
				events++;
			}
			if (c->state == CHAN_IDLE) {
				due = c->next_try_ns;
				break;
			}
			/* the attempt is under way: its timeout applies */
			__attribute__((fallthrough));
		case CHAN_CONNECTING:
		case CHAN_HANDSHAKE:
			due = c->since_ns + probe;
			if (now >= due) {
				chan_close(c, c->state == CHAN_CONNECTING
						      ? "connection timed out"
						      : "TLS handshake timed out");
				events++;
				due = c->state == CHAN_IDLE ? c->next_try_ns : UINT64_MAX;
			}
			break;
		case CHAN_UP:
			if (c->broken) {
				char why[REASON_LEN];

				snprintf(why, sizeof(why), "%s", c->broken_why);
				chan_close(c, why);
				events++;
				due = c->state == CHAN_IDLE ? c->next_try_ns : UINT64_MAX;
				break;
			}
			if (now >= c->last_rx_ns + 2 * probe) {
				chan_close(c, "inactivity probe");
				events++;
				due = c->state == CHAN_IDLE ? c->next_try_ns : UINT64_MAX;
				break;
			}
			if (!c->probe_sent && now >= c->last_rx_ns + probe) {
				SDNFV_LOG(ofp, INFO, "%s: idle for %u ms, sending inactivity probe",
					  c->name, s->p.probe_ms);
				c->probe_sent = true;
				/* A full queue delays the probe: the close after 2 probe_ms still
				 * applies. */
				ofp_chan_send(c, echo, sizeof(echo));
				events++;
			}
			due = c->probe_sent ? c->last_rx_ns + 2 * probe : c->last_rx_ns + probe;
			if (c->tls_more)
				due = now;
			break;
		default:
			due = UINT64_MAX;
			break;
		}
		if (due < *next_ns)
			*next_ns = due;
	}
	return events;
}

/* Free the accepted connections closed since the last sweep. */
static void
sweep(struct ofp_chans *s)
{
	struct ofp_chan **pp = &s->chans;

	while (*pp != NULL) {
		struct ofp_chan *c = *pp;

		if (c->state == CHAN_DEAD) {
			*pp = c->next;
			chan_free(c);
		} else {
			pp = &c->next;
		}
	}
}

static short
chan_poll_events(const struct ofp_chan *c)
{
	switch (c->state) {
	case CHAN_CONNECTING:
		return POLLOUT;
	case CHAN_HANDSHAKE:
		/* The handshake reads or writes; POLLOUT only while OpenSSL waits to write. */
		return POLLIN | (SSL_want_write(c->ssl) ? POLLOUT : 0);
	case CHAN_UP:
		/* TLS may need to write to read (a key update answered on a full socket). */
		return POLLIN |
		       (c->out_len > 0 || (c->ssl != NULL && SSL_want_write(c->ssl)) ? POLLOUT : 0);
	default:
		return 0;
	}
}

static int
grow_pollfds(struct ofp_chans *s, size_t n)
{
	struct pollfd *pfd;
	struct pollref *ref;
	size_t cap = s->pfd_cap ? s->pfd_cap : 16;

	if (n <= s->pfd_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	pfd = realloc(s->pfd, cap * sizeof(*pfd));
	if (pfd == NULL)
		return -ENOMEM;
	s->pfd = pfd;
	ref = realloc(s->ref, cap * sizeof(*ref));
	if (ref == NULL)
		return -ENOMEM;
	s->ref = ref;
	s->pfd_cap = cap;
	return 0;
}

int
ofp_chans_poll(struct ofp_chans *s, int timeout_ms)
{
	return ofp_chans_poll_us(s, timeout_ms < 0 ? 0 : (int64_t)timeout_ms * 1000);
}

int
ofp_chans_poll_us(struct ofp_chans *s, int64_t timeout_us)
{
	uint64_t now = now_ns(), next = UINT64_MAX, wait_ns;
	size_t n = 0, cnt;
	int events, ready;
	struct timespec ts;

	if (s == NULL)
		return -EINVAL;
	cnt = (size_t)s->n_targets;
	sweep(s);
	events = timers(s, now, &next);
	for (struct ofp_chan *c = s->chans; c != NULL; c = c->next)
		cnt++;
	if (grow_pollfds(s, cnt) < 0)
		return -ENOMEM;
	for (int i = 0; i < s->n_targets; i++) {
		if (s->targets[i].listen_fd < 0)
			continue;
		s->pfd[n] = (struct pollfd){ .fd = s->targets[i].listen_fd, .events = POLLIN };
		s->ref[n] = (struct pollref){ .c = NULL, .target = i };
		n++;
	}
	for (struct ofp_chan *c = s->chans; c != NULL; c = c->next) {
		short ev = chan_poll_events(c);

		if (ev == 0 || c->fd < 0)
			continue;
		s->pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
		s->ref[n] = (struct pollref){ .c = c, .gen = c->gen };
		n++;
	}
	wait_ns = timeout_us < 0 ? 0 : (uint64_t)timeout_us * 1000;
	if (next != UINT64_MAX) {
		uint64_t left = next > now ? next - now : 0;

		if (left < wait_ns)
			wait_ns = left;
	}
	ts.tv_sec = (time_t)(wait_ns / 1000000000ull);
	ts.tv_nsec = (long)(wait_ns % 1000000000ull);
	ready = ppoll(s->pfd, n, &ts, NULL);
	if (ready < 0) {
		if (errno == EINTR)
			return events;
		SDNFV_LOG(ofp, ERR, "poll: %s", strerror(errno));
		return -errno;
	}
	now = now_ns();
	for (size_t i = 0; i < n && ready > 0; i++) {
		struct ofp_chan *c = s->ref[i].c;

		if (s->pfd[i].revents == 0)
			continue;
		ready--;
		events++;
		if (c == NULL)
			accept_all(s, s->ref[i].target, now);
		else if (c->gen == s->ref[i].gen)
			chan_event(c, s->pfd[i].revents, now);
	}
	/* TLS connections whose read budget ran out with decrypted bytes left in OpenSSL, where
	 * poll() cannot see them; then the timers now due. */
	for (struct ofp_chan *c = s->chans; c != NULL; c = c->next) {
		if (c->state == CHAN_UP && c->tls_more && !c->broken) {
			chan_read(c);
			events++;
		}
	}
	next = UINT64_MAX;
	events += timers(s, now_ns(), &next);
	sweep(s);
	return events;
}

/* ---- accessors ---------------------------------------------------------------------------- */

const char *
ofp_chan_name(const struct ofp_chan *c)
{
	return c != NULL ? c->name : "";
}

void
ofp_chan_set_user(struct ofp_chan *c, void *user)
{
	if (c != NULL)
		c->user = user;
}

void *
ofp_chan_user(const struct ofp_chan *c)
{
	return c != NULL ? c->user : NULL;
}

bool
ofp_chan_is_up(const struct ofp_chan *c)
{
	return c != NULL && c->state == CHAN_UP && !c->broken;
}

int
ofp_chan_target(const struct ofp_chan *c)
{
	return c != NULL ? c->target : -EINVAL;
}

unsigned int
ofp_chans_up(const struct ofp_chans *s)
{
	unsigned int n = 0;

	if (s == NULL)
		return 0;
	for (const struct ofp_chan *c = s->chans; c != NULL; c = c->next)
		n += c->state == CHAN_UP;
	return n;
}

uint64_t
ofp_chans_reconnects(const struct ofp_chans *s)
{
	return s != NULL ? s->reconnects : 0;
}
