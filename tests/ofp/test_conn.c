/* SPDX-License-Identifier: BSD-3-Clause */
/* The OpenFlow channel (lib/ofp/conn.h) over real sockets on the loopback: framing, protocol
 * violations, reconnection with back-off, inactivity probes, the send queue, closes from
 * callbacks, TLS with ovs-pki certificates (against itself and against Open vSwitch's tools), and
 * target syntax. No EAL. The peers are plain sockets, a second channel set, or OVS programs. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "ofp/conn.h"

#define MAX_MSGS 4096

/* ---- what the callbacks saw --------------------------------------------------------------- */

struct rec {
	struct ofp_chans *set;
	int ups, downs, msgs;
	char why[256];
	struct ofp_chan *up_chan, *down_chan;
	char up_names[4][64];  /* names of the first channels up */
	uint8_t data[1 << 20]; /* every message received, back to back */
	size_t data_len;
	size_t lens[MAX_MSGS];
	uint8_t types[MAX_MSGS];
	int close_on_type;            /* on_msg closes its channel on this type (-1: never) */
	struct ofp_chan *close_other; /* ... and also closes this one */
	bool echo_back;               /* on_msg sends every message back */
	bool answer_echo;             /* on_msg answers ECHO_REQUEST */
	int after_close_msgs;         /* messages seen on a channel after on_msg closed it */
	struct ofp_chan *closed_in_msg;
};

static void
on_up(void *arg, struct ofp_chan *c)
{
	struct rec *r = arg;

	if (r->ups < 4)
		snprintf(r->up_names[r->ups], sizeof(r->up_names[0]), "%s", ofp_chan_name(c));
	r->ups++;
	r->up_chan = c;
	cr_assert(ofp_chan_is_up(c));
}

static void
on_msg(void *arg, struct ofp_chan *c, const uint8_t *msg, size_t len)
{
	struct rec *r = arg;

	cr_assert_geq(len, 8);
	cr_assert_eq(len, (size_t)(msg[2] << 8 | msg[3]));
	if (c == r->closed_in_msg)
		r->after_close_msgs++;
	if (r->msgs < MAX_MSGS) {
		r->lens[r->msgs] = len;
		r->types[r->msgs] = msg[1];
	}
	r->msgs++;
	if (r->data_len + len <= sizeof(r->data)) {
		memcpy(r->data + r->data_len, msg, len);
		r->data_len += len;
	}
	if (r->answer_echo && msg[1] == 2) {
		uint8_t reply[8];

		memcpy(reply, msg, 8);
		reply[1] = 3;
		reply[2] = 0;
		reply[3] = 8;
		cr_assert_eq(ofp_chan_send(c, reply, sizeof(reply)), 0);
	}
	if (r->echo_back)
		cr_assert_eq(ofp_chan_send(c, msg, len), 0);
	if (r->close_on_type >= 0 && msg[1] == r->close_on_type) {
		if (r->close_other != NULL)
			ofp_chan_close(r->close_other, "closed by the other's message");
		ofp_chan_close(c, "test close");
		cr_assert_not(ofp_chan_is_up(c));
		cr_assert_eq(ofp_chan_send(c, msg, len), -ENOTCONN);
		ofp_chan_close(c, "closed twice"); /* a no-op: on_down once */
		r->closed_in_msg = c;
	}
}

static void
on_down(void *arg, struct ofp_chan *c, const char *why)
{
	struct rec *r = arg;

	r->downs++;
	r->down_chan = c;
	snprintf(r->why, sizeof(r->why), "%s", why);
	cr_assert_not(ofp_chan_is_up(c));
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Poll set(s) until cond holds or ms pass; the value of cond. */
#define POLL_UNTIL(s, ms, cond)                                   \
	({                                                        \
		uint64_t end_ = now_ms() + (ms);                  \
		while (!(cond) && now_ms() < end_)                \
			cr_assert_geq(ofp_chans_poll((s), 5), 0); \
		(cond);                                           \
	})
#define POLL2_UNTIL(a, b, ms, cond)                               \
	({                                                        \
		uint64_t end_ = now_ms() + (ms);                  \
		while (!(cond) && now_ms() < end_) {              \
			cr_assert_geq(ofp_chans_poll((a), 2), 0); \
			cr_assert_geq(ofp_chans_poll((b), 2), 0); \
		}                                                 \
		(cond);                                           \
	})

static struct rec *
rec_new(void)
{
	struct rec *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	r->close_on_type = -1;
	return r;
}

static struct ofp_chans *
make_set(struct rec *r, struct ofp_chan_params *p)
{
	struct ofp_chans *s;
	char err[256] = "";

	p->on_up = on_up;
	p->on_msg = on_msg;
	p->on_down = on_down;
	p->arg = r;
	cr_assert_eq(ofp_chans_create(p, &s, err, sizeof(err)), 0, "%s", err);
	r->set = s;
	return s;
}

/* A set listening on 127.0.0.1, ephemeral port: its port. */
static int
listen_local(struct ofp_chans *s, const char *scheme)
{
	char target[64], err[256] = "";
	int t;

	snprintf(target, sizeof(target), "%s:0:127.0.0.1", scheme);
	t = ofp_chans_add_target(s, target, err, sizeof(err));
	cr_assert_geq(t, 0, "%s: %s", target, err);
	cr_assert_gt(ofp_chans_bound_port(s, t), 0);
	return ofp_chans_bound_port(s, t);
}

static int
add_target(struct ofp_chans *s, const char *fmt, int port)
{
	char target[64], err[256] = "";
	int t;

	snprintf(target, sizeof(target), fmt, port);
	t = ofp_chans_add_target(s, target, err, sizeof(err));
	cr_assert_geq(t, 0, "%s: %s", target, err);
	return t;
}

/* A plain blocking client socket connected to 127.0.0.1:port. */
static int
peer_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s",
		     strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
peer_send(int fd, const void *buf, size_t len)
{
	cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Read up to n bytes from a peer socket while polling s; stops at EOF or after ms. */
static size_t
peer_read(struct ofp_chans *s, int fd, void *buf, size_t n, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	size_t got = 0;

	while (got < n && now_ms() < end) {
		ssize_t k = recv(fd, (uint8_t *)buf + got, n - got, MSG_DONTWAIT);

		if (k == 0)
			break;
		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s", strerror(errno));
		cr_assert_geq(ofp_chans_poll(s, 2), 0);
	}
	return got;
}

/* The peer sees the connection closed within ms (polling s, unless NULL). */
static bool
peer_sees_close(struct ofp_chans *s, int fd, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	uint8_t b[256];

	while (now_ms() < end) {
		ssize_t k = recv(fd, b, sizeof(b), MSG_DONTWAIT);

		if (k == 0 || (k < 0 && errno == ECONNRESET))
			return true;
		if (k < 0 && s != NULL)
			cr_assert_geq(ofp_chans_poll(s, 2), 0);
		else if (k < 0)
			usleep(2000);
	}
	return false;
}

/* An OpenFlow message: version 4, type, total length len, xid, payload derived from xid. */
static size_t
make_msg(uint8_t *m, uint8_t type, size_t len, uint32_t xid)
{
	m[0] = 4;
	m[1] = type;
	m[2] = (uint8_t)(len >> 8);
	m[3] = (uint8_t)len;
	m[4] = (uint8_t)(xid >> 24);
	m[5] = (uint8_t)(xid >> 16);
	m[6] = (uint8_t)(xid >> 8);
	m[7] = (uint8_t)xid;
	for (size_t i = 8; i < len; i++)
		m[i] = (uint8_t)(xid * 31 + i * 7);
	return len;
}

static uint32_t
msg_xid(const uint8_t *m)
{
	return (uint32_t)m[4] << 24 | (uint32_t)m[5] << 16 | (uint32_t)m[6] << 8 | m[7];
}

/* ---- framing ------------------------------------------------------------------------------ */

Test(ofp_conn, passive_target_frames_messages_split_at_every_byte_boundary)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	uint8_t stream[8 + 21 + 300];
	size_t len = 0;
	int port = listen_local(s, "ptcp"), fd;

	len += make_msg(stream + len, 0, 8, 1);
	len += make_msg(stream + len, 4, 21, 2);
	len += make_msg(stream + len, 14, 300, 3);
	fd = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 2000, r->ups == 1));
	cr_assert_eq(ofp_chans_up(s), 1);
	{
		struct sockaddr_in a;
		socklen_t alen = sizeof(a);
		char name[64];

		cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
		snprintf(name, sizeof(name), "ptcp:%d<-127.0.0.1:%d", port, ntohs(a.sin_port));
		cr_assert_str_eq(ofp_chan_name(r->up_chan), name);
	}
	for (size_t k = 1; k < len; k++) {
		int before = r->msgs;
		size_t whole = k >= 329 ? 3 : k >= 29 ? 2 : k >= 8 ? 1 : 0;

		r->data_len = 0;
		peer_send(fd, stream, k);
		cr_assert(POLL_UNTIL(s, 2000, r->msgs == before + (int)whole));
		ofp_chans_poll(s, 1); /* nothing more may come of the first part */
		cr_assert_eq(r->msgs, before + (int)whole, "split at %zu", k);
		peer_send(fd, stream + k, len - k);
		cr_assert(POLL_UNTIL(s, 2000, r->msgs == before + 3), "split at %zu", k);
		cr_assert_eq(r->data_len, len);
		cr_assert_arr_eq(r->data, stream, len, "split at %zu", k);
		cr_assert_eq(r->lens[before], 8);
		cr_assert_eq(r->lens[before + 1], 21);
		cr_assert_eq(r->lens[before + 2], 300);
	}
	cr_assert_eq(r->downs, 0);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, many_messages_in_one_write_are_delivered_in_order)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	static uint8_t stream[200 * 520];
	size_t len = 0;
	int port = listen_local(s, "ptcp"), fd;

	for (uint32_t i = 0; i < 200; i++)
		len += make_msg(stream + len, (uint8_t)(i % 30), 8 + (i * 37) % 512, i);
	fd = peer_connect(port);
	peer_send(fd, stream, len);
	cr_assert(POLL_UNTIL(s, 3000, r->msgs == 200));
	cr_assert_eq(r->data_len, len);
	cr_assert_arr_eq(r->data, stream, len);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, a_message_longer_than_the_read_buffer_arrives_whole)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	static uint8_t stream[65535 + 5000 + 8];
	size_t len = 0;
	int port = listen_local(s, "ptcp"), fd;

	len += make_msg(stream + len, 19, 65535, 7);
	len += make_msg(stream + len, 19, 5000, 8);
	len += make_msg(stream + len, 2, 8, 9);
	fd = peer_connect(port);
	for (size_t off = 0; off < len; off += 1000)
		peer_send(fd, stream + off, len - off < 1000 ? len - off : 1000);
	cr_assert(POLL_UNTIL(s, 3000, r->msgs == 3));
	cr_assert_eq(r->lens[0], 65535);
	cr_assert_eq(r->lens[1], 5000);
	cr_assert_arr_eq(r->data, stream, len);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, a_header_length_below_8_closes_the_connection)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	uint8_t m[16];
	int port = listen_local(s, "ptcp"), fd;

	make_msg(m, 0, 8, 1);
	make_msg(m + 8, 0, 8, 2);
	m[11] = 4; /* the second message claims 4 bytes */
	fd = peer_connect(port);
	peer_send(fd, m, sizeof(m));
	cr_assert(POLL_UNTIL(s, 2000, r->downs == 1));
	cr_assert_eq(r->msgs, 1, "the message before the bad one is delivered");
	cr_assert(strstr(r->why, "bad message length 4") != NULL, "why: %s", r->why);
	cr_assert(peer_sees_close(s, fd, 2000));
	cr_assert_eq(ofp_chans_up(s), 0);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

/* ---- active targets ----------------------------------------------------------------------- */

/* A TCP socket bound to an ephemeral loopback port but not listening: connections to it are
 * refused until listen() is called on it. */
static int
reserve_port(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

Test(ofp_conn, active_target_retries_with_doubling_back_off_until_the_listener_appears)
{
	struct ofp_chan_params p = { .backoff_min_ms = 100, .backoff_max_ms = 400 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	const uint64_t expect[] = { 100, 200, 400, 400, 400 };
	uint64_t at[6], t_listen;
	int port, lfd = reserve_port(&port), t, afd, n = 0;

	t = add_target(s, "tcp:127.0.0.1:%d", port);
	cr_assert_eq(ofp_chans_bound_port(s, t), -EINVAL);
	/* Attempt times: the first in the first poll, each retry counted by reconnects. */
	cr_assert_geq(ofp_chans_poll(s, 0), 0);
	at[n++] = now_ms();
	while (n < 6) {
		uint64_t before = ofp_chans_reconnects(s);

		cr_assert(POLL_UNTIL(s, 1000, ofp_chans_reconnects(s) > before));
		at[n++] = now_ms();
	}
	for (int i = 0; i < 5; i++) {
		uint64_t gap = at[i + 1] - at[i];

		cr_assert_geq(gap + 5, expect[i], "gap %d: %lu ms, expected %lu", i,
			      (unsigned long)gap, (unsigned long)expect[i]);
		cr_assert_leq(gap, expect[i] + 150, "gap %d: %lu ms, expected %lu", i,
			      (unsigned long)gap, (unsigned long)expect[i]);
	}
	cr_assert_eq(r->ups, 0);
	cr_assert(strstr(ofp_chans_target_status(s, t), "refused") != NULL, "%s",
		  ofp_chans_target_status(s, t));
	cr_assert_eq(listen(lfd, 4), 0);
	t_listen = now_ms();
	cr_assert(POLL_UNTIL(s, 2000, r->ups == 1));
	cr_assert_leq(now_ms() - t_listen, 400 + 150, "up %lu ms after the listener appeared",
		      (unsigned long)(now_ms() - t_listen));
	{
		char name[64];

		snprintf(name, sizeof(name), "tcp:127.0.0.1:%d", port);
		cr_assert_str_eq(ofp_chan_name(r->up_chan), name);
		cr_assert_eq(ofp_chan_target(r->up_chan), t);
	}
	afd = accept(lfd, NULL, NULL);
	cr_assert_geq(afd, 0);
	close(afd);
	close(lfd);
	ofp_chans_free(s);
	free(r);
}

/* Accept on a plain listening socket while polling s. */
static int
peer_accept(struct ofp_chans *s, int lfd, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	while (now_ms() < end) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

		if (fd >= 0)
			return fd;
		cr_assert_geq(ofp_chans_poll(s, 2), 0);
	}
	return -1;
}

Test(ofp_conn, a_long_lived_connection_resets_the_back_off_and_a_short_one_doubles_it)
{
	struct ofp_chan_params p = { .backoff_min_ms = 100, .backoff_max_ms = 400 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port, lfd = reserve_port(&port), afd;
	uint64_t t_down, gap;
	struct ofp_chan *c;

	add_target(s, "tcp:127.0.0.1:%d", port);
	/* Refused 4 times: the delay has reached its maximum, 400 ms. */
	cr_assert(POLL_UNTIL(s, 2000, ofp_chans_reconnects(s) >= 3));
	cr_assert_eq(listen(lfd, 4), 0);
	afd = peer_accept(s, lfd, 2000);
	cr_assert_geq(afd, 0);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	c = r->up_chan;
	ofp_chan_set_user(c, r);
	/* Up for longer than backoff_max_ms, then lost: the next attempt comes after 100 ms. */
	POLL_UNTIL(s, 450, false);
	close(afd);
	cr_assert(POLL_UNTIL(s, 1000, r->downs == 1));
	cr_assert_str_eq(r->why, "closed by peer");
	cr_assert_eq(r->down_chan, c, "an active target keeps its channel");
	t_down = now_ms();
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 2));
	gap = now_ms() - t_down;
	cr_assert(gap >= 95 && gap <= 250, "reconnected %lu ms after a long-lived loss",
		  (unsigned long)gap);
	cr_assert_eq(r->up_chan, c);
	cr_assert_eq(ofp_chan_user(c), r, "the user pointer survives a reconnection");
	afd = peer_accept(s, lfd, 1000);
	cr_assert_geq(afd, 0);
	/* Lost at once: the delay doubles to 200 ms. */
	close(afd);
	cr_assert(POLL_UNTIL(s, 1000, r->downs == 2));
	t_down = now_ms();
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 3));
	gap = now_ms() - t_down;
	cr_assert(gap >= 195 && gap <= 350, "reconnected %lu ms after a short-lived loss",
		  (unsigned long)gap);
	afd = peer_accept(s, lfd, 1000);
	close(afd);
	close(lfd);
	ofp_chans_free(s);
	free(r);
}

/* ---- inactivity probes -------------------------------------------------------------------- */

Test(ofp_conn, a_silent_peer_is_probed_after_probe_ms_and_closed_after_twice_that)
{
	struct ofp_chan_params p = { .probe_ms = 200 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fd;
	uint8_t echo[8];
	uint64_t t0, t_echo, t_down;

	fd = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	t0 = now_ms();
	cr_assert_eq(peer_read(s, fd, echo, sizeof(echo), 1000), sizeof(echo));
	t_echo = now_ms() - t0;
	cr_assert_eq(echo[0], 4);
	cr_assert_eq(echo[1], 2, "an ECHO_REQUEST");
	cr_assert_eq(echo[2] << 8 | echo[3], 8);
	cr_assert_eq(msg_xid(echo), OFP_CHAN_PROBE_XID);
	cr_assert(t_echo >= 190 && t_echo <= 350, "probe after %lu ms", (unsigned long)t_echo);
	cr_assert(POLL_UNTIL(s, 1000, r->downs == 1));
	t_down = now_ms() - t0;
	cr_assert_str_eq(r->why, "inactivity probe");
	cr_assert(t_down >= 390 && t_down <= 600, "closed after %lu ms", (unsigned long)t_down);
	cr_assert(peer_sees_close(s, fd, 1000));
	close(fd);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, a_peer_that_answers_probes_stays_up)
{
	struct ofp_chan_params p = { .probe_ms = 100 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fd, probes = 0;
	uint64_t end;

	fd = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	end = now_ms() + 800;
	while (now_ms() < end) {
		uint8_t m[8];

		if (peer_read(s, fd, m, sizeof(m), 20) == sizeof(m)) {
			cr_assert_eq(m[1], 2);
			probes++;
			m[1] = 3; /* ECHO_REPLY, same xid */
			peer_send(fd, m, sizeof(m));
		}
	}
	cr_assert(POLL_UNTIL(s, 200, r->msgs == probes));
	cr_assert_eq(r->downs, 0, "closed: %s", r->why);
	cr_assert(ofp_chan_is_up(r->up_chan));
	cr_assert(probes >= 4 && probes <= 9, "%d probes in 800 ms", probes);
	cr_assert_eq(r->msgs, probes, "each reply is delivered");
	cr_assert_eq(r->types[0], 3);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, any_message_counts_as_activity)
{
	struct ofp_chan_params p = { .probe_ms = 150 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fd;
	uint8_t m[8], b[8];

	fd = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	for (int i = 0; i < 10; i++) {
		cr_assert_eq(peer_read(s, fd, b, sizeof(b), 60), 0, "probed while active");
		peer_send(fd, m, make_msg(m, 0, 8, (uint32_t)i));
	}
	cr_assert(POLL_UNTIL(s, 200, r->msgs == 10));
	cr_assert_eq(r->downs, 0);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

/* ---- sending ------------------------------------------------------------------------------ */

Test(ofp_conn, a_full_send_queue_refuses_and_the_data_arrives_intact_in_order)
{
	struct ofp_chan_params p = { .out_max = 64 * 1024 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fd, rcvbuf = 4096, rc = 0;
	uint8_t m[1000], got[1000];
	uint32_t sent = 0;
	size_t q;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	/* The peer reads nothing: the kernel's buffers fill, then the queue. */
	while (sent < 200000) {
		rc = ofp_chan_send(r->up_chan, m, make_msg(m, 4, sizeof(m), sent));
		if (rc != 0)
			break;
		sent++;
	}
	cr_assert_eq(rc, -ENOBUFS);
	q = ofp_chan_queued(r->up_chan);
	cr_assert(q <= p.out_max && q > p.out_max - sizeof(m), "%zu queued", q);
	cr_assert_eq(ofp_chan_send(r->up_chan, m, make_msg(m, 4, sizeof(m), sent)), -ENOBUFS);
	cr_assert_eq(ofp_chan_queued(r->up_chan), q, "a refused send queues nothing");
	for (uint32_t i = 0; i < sent; i++) {
		cr_assert_eq(peer_read(s, fd, got, sizeof(got), 3000), sizeof(got), "message %u",
			     i);
		cr_assert_eq(msg_xid(got), i);
		make_msg(m, 4, sizeof(m), i);
		cr_assert_arr_eq(got, m, sizeof(m), "message %u", i);
	}
	cr_assert(POLL_UNTIL(s, 1000, ofp_chan_queued(r->up_chan) == 0));
	cr_assert_eq(recv(fd, got, sizeof(got), MSG_DONTWAIT), -1, "nothing more");
	cr_assert_eq(r->downs, 0);
	close(fd);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, sending_on_a_closed_channel_is_refused)
{
	struct ofp_chan_params p = { .backoff_min_ms = 5000 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fd;
	uint8_t m[8];

	fd = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	ofp_chan_close(r->up_chan, "by the test");
	cr_assert_eq(r->downs, 1, "on_down is called from ofp_chan_close()");
	cr_assert_str_eq(r->why, "by the test");
	cr_assert(peer_sees_close(s, fd, 1000));
	close(fd);
	/* An active target's channel between attempts. */
	{
		int lport, lfd = reserve_port(&lport);

		cr_assert_eq(listen(lfd, 4), 0);
		add_target(s, "tcp:127.0.0.1:%d", lport);
		cr_assert(POLL_UNTIL(s, 1000, r->ups == 2));
		ofp_chan_close(r->up_chan, "by the test");
		cr_assert_eq(r->downs, 2);
		cr_assert_eq(ofp_chan_send(r->up_chan, m, make_msg(m, 0, 8, 1)), -ENOTCONN);
		cr_assert_not(ofp_chan_is_up(r->up_chan));
		close(lfd);
	}
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, on_msg_may_answer_and_close_its_own_channel_and_another)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fa, fb;
	struct ofp_chan *cb;
	uint8_t m[3 * 16], back[32];

	fb = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 1));
	cb = r->up_chan;
	fa = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 2));
	cr_assert_eq(ofp_chans_up(s), 2);
	r->echo_back = true;
	r->close_on_type = 5;
	r->close_other = cb;
	/* Three messages in one segment: the second closes; the third must not be delivered. */
	make_msg(m, 0, 16, 1);
	make_msg(m + 16, 5, 16, 2);
	make_msg(m + 32, 0, 16, 3);
	peer_send(fa, m, sizeof(m));
	cr_assert(POLL_UNTIL(s, 1000, r->downs == 2));
	POLL_UNTIL(s, 100, false);
	cr_assert_eq(r->msgs, 2);
	cr_assert_eq(r->after_close_msgs, 0);
	cr_assert_eq(r->downs, 2, "on_down once per channel");
	cr_assert_eq(ofp_chans_up(s), 0);
	/* What on_msg sent before closing left; then the close. */
	cr_assert_eq(peer_read(s, fa, back, sizeof(back), 1000), 32);
	cr_assert_arr_eq(back, m, 32);
	cr_assert(peer_sees_close(s, fa, 1000));
	cr_assert(peer_sees_close(s, fb, 1000));
	close(fa);
	close(fb);
	ofp_chans_free(s);
	free(r);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

/* Certificates made once per test program by ovs-pki, in a directory removed at the end: a switch
 * (sc), a controller (ctl), and a rogue controller-signed certificate (rogue) that a switch's CA
 * did not sign. Criterion runs each test in a child: the directory reaches it by environment. */
#define PKI_ENV "SDNFV_TEST_OFP_PKI"

static char pki_dir[64];

static int
run_quiet(const char *cmd)
{
	char line[1100];

	snprintf(line, sizeof(line), "( %s ) </dev/null >/dev/null 2>&1", cmd);
	return system(line);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	char cmd[1024];

	(void)set;
	if (run_quiet("command -v ovs-pki") != 0)
		return;
	snprintf(pki_dir, sizeof(pki_dir), "/tmp/sdnfv-ofp-pki-XXXXXX");
	if (mkdtemp(pki_dir) == NULL)
		return;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && ovs-pki --dir=%s/pki init && ovs-pki --dir=%s/pki req+sign sc switch && "
		 "ovs-pki --dir=%s/pki req+sign ctl controller && "
		 "ovs-pki --dir=%s/pki req+sign rogue controller",
		 pki_dir, pki_dir, pki_dir, pki_dir, pki_dir);
	if (run_quiet(cmd) == 0)
		setenv(PKI_ENV, pki_dir, 1);
	else
		fprintf(stderr, "test_conn: ovs-pki failed in %s\n", pki_dir);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	char cmd[256];

	(void)stats;
	if (pki_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", pki_dir);
		run_quiet(cmd);
	}
}

static char key_path[3][256], cert_path[3][256], ca_path[3][256];

/* Fill p (slot: which of the static path buffers) with the key and certificate `name` made and
 * trust the CA `trusted_ca` ("switchca" or "controllerca"); skip the test without ovs-pki. */
static void
identity(struct ofp_chan_params *p, int slot, const char *name, const char *trusted_ca)
{
	const char *dir = getenv(PKI_ENV);

	if (dir == NULL)
		cr_skip_test(
			"ovs-pki is not installed (Debian package openvswitch-pki), or failed");
	snprintf(key_path[slot], sizeof(key_path[slot]), "%s/%s-privkey.pem", dir, name);
	snprintf(cert_path[slot], sizeof(cert_path[slot]), "%s/%s-cert.pem", dir, name);
	snprintf(ca_path[slot], sizeof(ca_path[slot]), "%s/pki/%s/cacert.pem", dir, trusted_ca);
	p->ssl_private_key = key_path[slot];
	p->ssl_certificate = cert_path[slot];
	p->ssl_ca_certificate = ca_path[slot];
}

/* Messages both ways between two sets, a 65535-byte one among them. */
static void
exchange(struct rec *a, struct rec *b)
{
	static uint8_t big[65535];
	uint8_t small[40];
	size_t n_a = a->msgs, n_b = b->msgs;

	make_msg(big, 19, sizeof(big), 42);
	cr_assert_eq(ofp_chan_send(a->up_chan, small, make_msg(small, 0, 40, 1)), 0);
	cr_assert_eq(ofp_chan_send(a->up_chan, big, sizeof(big)), 0);
	cr_assert_eq(ofp_chan_send(b->up_chan, small, make_msg(small, 0, 40, 2)), 0);
	cr_assert(POLL2_UNTIL(a->set, b->set, 3000,
			      (size_t)b->msgs == n_b + 2 && (size_t)a->msgs == n_a + 1));
	cr_assert_eq(b->lens[n_b + 1], sizeof(big));
	cr_assert_arr_eq(b->data + b->data_len - sizeof(big), big, sizeof(big));
	cr_assert_eq(a->lens[n_a], 40);
	cr_assert_eq(msg_xid(a->data + a->data_len - 40), 2);
}

Test(ofp_conn, tls_connects_both_ways_with_ovs_pki_certificates)
{
	struct ofp_chan_params ps = { 0 }, pc = { 0 };
	struct rec *sw = rec_new(), *ctl = rec_new();
	struct ofp_chans *s, *c;
	int port;

	identity(&ps, 0, "sc", "controllerca");
	identity(&pc, 1, "ctl", "switchca");
	s = make_set(sw, &ps);
	c = make_set(ctl, &pc);
	/* The controller listens, the switch connects. */
	port = listen_local(c, "pssl");
	add_target(s, "ssl:127.0.0.1:%d", port);
	cr_assert(POLL2_UNTIL(s, c, 3000, sw->ups == 1 && ctl->ups == 1));
	cr_assert(strncmp(ofp_chan_name(ctl->up_chan), "pssl:", 5) == 0);
	exchange(sw, ctl);
	/* The switch listens, the controller connects. */
	port = listen_local(s, "pssl");
	add_target(c, "ssl:127.0.0.1:%d", port);
	cr_assert(POLL2_UNTIL(s, c, 3000, sw->ups == 2 && ctl->ups == 2));
	exchange(ctl, sw);
	cr_assert_eq(ofp_chans_up(s), 2);
	cr_assert_eq(ofp_chans_up(c), 2);
	cr_assert_eq(sw->downs + ctl->downs, 0);
	/* A close reaches the other end. */
	ofp_chan_close(sw->up_chan, "by the test");
	cr_assert(POLL2_UNTIL(s, c, 2000, ctl->downs == 1));
	cr_assert(strstr(ctl->why, "closed by peer") != NULL, "%s", ctl->why);
	ofp_chans_free(s);
	ofp_chans_free(c);
	free(sw);
	free(ctl);
}

Test(ofp_conn, tls_refuses_a_client_certificate_from_another_ca)
{
	struct ofp_chan_params ps = { 0 }, pc = { 0 };
	struct rec *rogue = rec_new(), *ctl = rec_new();
	struct ofp_chans *s, *c;
	const char *status;
	int port, t;

	/* rogue's certificate is signed by the controllers' CA; the controller trusts only the
	 * switches'. rogue itself trusts the controller. */
	identity(&ps, 0, "rogue", "controllerca");
	identity(&pc, 1, "ctl", "switchca");
	s = make_set(rogue, &ps);
	c = make_set(ctl, &pc);
	port = listen_local(c, "pssl");
	add_target(s, "ssl:127.0.0.1:%d", port);
	cr_assert(POLL2_UNTIL(s, c, 3000, ofp_chans_target_status(c, 0)[0] != '\0'));
	status = ofp_chans_target_status(c, 0);
	cr_assert(strstr(status,
			 "TLS handshake failed: certificate verify failed (peer certificate:") !=
			  NULL,
		  "status: %s", status);
	POLL2_UNTIL(s, c, 300, false);
	cr_assert_eq(ctl->ups, 0, "never up on the side that refused");
	cr_assert_eq(ofp_chans_up(s), 0, "the rogue is not up either");
	/* Under TLS 1.3 the client finishes first and learns of the refusal from an alert. */
	t = 0;
	status = ofp_chans_target_status(s, t);
	cr_assert(strstr(status, "alert") != NULL, "rogue's status: %s", status);
	ofp_chans_free(s);
	ofp_chans_free(c);
	free(rogue);
	free(ctl);
}

Test(ofp_conn, tls_refuses_a_server_certificate_from_another_ca)
{
	struct ofp_chan_params ps = { 0 }, pc = { 0 };
	struct rec *sw = rec_new(), *fake = rec_new();
	struct ofp_chans *s, *c;
	const char *status;
	int port;

	/* The switch trusts the controllers' CA; the fake controller shows a switch certificate. */
	identity(&ps, 0, "sc", "controllerca");
	identity(&pc, 1, "sc", "controllerca");
	s = make_set(sw, &ps);
	c = make_set(fake, &pc);
	port = listen_local(c, "pssl");
	add_target(s, "ssl:127.0.0.1:%d", port);
	cr_assert(POLL2_UNTIL(s, c, 3000, ofp_chans_target_status(s, 0)[0] != '\0'));
	status = ofp_chans_target_status(s, 0);
	cr_assert(strstr(status, "TLS handshake failed: certificate verify failed") != NULL,
		  "status: %s", status);
	cr_assert_eq(sw->ups, 0);
	cr_assert_eq(fake->ups, 0);
	ofp_chans_free(s);
	ofp_chans_free(c);
	free(sw);
	free(fake);
}

Test(ofp_conn, ssl_targets_need_readable_matching_tls_files)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s;
	char err[256] = "";

	s = make_set(r, &p);
	cr_assert_eq(ofp_chans_add_target(s, "ssl:127.0.0.1:6653", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "private key") != NULL, "%s", err);
	cr_assert_eq(ofp_chans_add_target(s, "pssl:0:127.0.0.1", err, sizeof(err)), -EINVAL);
	ofp_chans_free(s);

	p.ssl_private_key = "/nonexistent/sc-privkey.pem";
	p.ssl_certificate = "/nonexistent/sc-cert.pem";
	p.ssl_ca_certificate = "/nonexistent/cacert.pem";
	s = make_set(r, &p);
	cr_assert_eq(ofp_chans_add_target(s, "ssl:127.0.0.1:6653", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "/nonexistent/sc-privkey.pem") != NULL, "%s", err);
	cr_assert(strstr(err, "No such file") != NULL, "%s", err);
	/* A tcp target needs none of them. */
	cr_assert_geq(ofp_chans_add_target(s, "tcp:127.0.0.1:6653", err, sizeof(err)), 0, "%s",
		      err);
	ofp_chans_free(s);

	identity(&p, 0, "sc", "controllerca");
	snprintf(cert_path[0], sizeof(cert_path[0]), "%s/ctl-cert.pem", getenv(PKI_ENV));
	s = make_set(r, &p);
	cr_assert_eq(ofp_chans_add_target(s, "ssl:127.0.0.1:6653", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "mismatch") != NULL || strstr(err, "does not match") != NULL, "%s",
		  err);
	ofp_chans_free(s);
	free(r);
}

/* ---- against Open vSwitch's own programs --------------------------------------------------- */

static pid_t
spawn(char *const argv[])
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
}

Test(ofp_conn, ovs_ofctl_says_hello_over_tls_to_a_pssl_target)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s;
	char key[300], cert[300], ca[300], target[64];
	int port;
	pid_t pid;

	identity(&p, 0, "sc", "controllerca");
	if (run_quiet("command -v ovs-ofctl") != 0)
		cr_skip_test("ovs-ofctl is not installed (Debian package openvswitch-common)");
	s = make_set(r, &p);
	port = listen_local(s, "pssl");
	snprintf(key, sizeof(key), "--private-key=%s/ctl-privkey.pem", getenv(PKI_ENV));
	snprintf(cert, sizeof(cert), "--certificate=%s/ctl-cert.pem", getenv(PKI_ENV));
	snprintf(ca, sizeof(ca), "--ca-cert=%s/pki/switchca/cacert.pem", getenv(PKI_ENV));
	snprintf(target, sizeof(target), "ssl:127.0.0.1:%d", port);
	pid = spawn(
		(char *[]){ "ovs-ofctl", "-O", "OpenFlow13", key, cert, ca, "show", target, NULL });
	cr_assert(POLL_UNTIL(s, 5000, r->msgs >= 1), "no message from ovs-ofctl");
	cr_assert_eq(r->ups, 1);
	cr_assert_eq(r->types[0], 0, "a HELLO");
	cr_assert_geq(r->data[0], 4, "offering OpenFlow 1.3 or later");
	ofp_chan_close(r->up_chan, "test done");
	reap(pid);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, an_ssl_target_reaches_ovs_testcontroller)
{
	struct ofp_chan_params p = { .backoff_min_ms = 100, .backoff_max_ms = 200 };
	struct rec *r = rec_new();
	struct ofp_chans *s;
	char key[300], cert[300], ca[300], target[64], ctl[300];
	int port;
	pid_t pid;

	identity(&p, 0, "sc", "controllerca");
	if (run_quiet("command -v ovs-testcontroller") != 0)
		cr_skip_test("ovs-testcontroller is not installed (openvswitch-testcontroller)");
	/* A free port for it: bound, read, released. */
	close(reserve_port(&port));
	snprintf(ctl, sizeof(ctl), "--unixctl=%s/tc-%d.ctl", getenv(PKI_ENV), (int)getpid());
	snprintf(key, sizeof(key), "--private-key=%s/ctl-privkey.pem", getenv(PKI_ENV));
	snprintf(cert, sizeof(cert), "--certificate=%s/ctl-cert.pem", getenv(PKI_ENV));
	snprintf(ca, sizeof(ca), "--ca-cert=%s/pki/switchca/cacert.pem", getenv(PKI_ENV));
	snprintf(target, sizeof(target), "pssl:%d:127.0.0.1", port);
	pid = spawn((char *[]){ "ovs-testcontroller", ctl, key, cert, ca, target, NULL });
	s = make_set(r, &p);
	add_target(s, "ssl:127.0.0.1:%d", port);
	cr_assert(POLL_UNTIL(s, 5000, r->msgs >= 1), "no message from ovs-testcontroller: %s",
		  ofp_chans_target_status(s, 0));
	cr_assert_eq(r->types[0], 0, "a HELLO");
	reap(pid);
	ofp_chans_free(s);
	free(r);
}

/* ---- targets ------------------------------------------------------------------------------ */

Test(ofp_conn, ipv6_targets_take_their_address_in_brackets)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	char err[256] = "", name[64];
	int t, port, probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) < 0)
		cr_skip_test("no IPv6 loopback here");
	close(probe);
	t = ofp_chans_add_target(s, "ptcp:0:[::1]", err, sizeof(err));
	cr_assert_geq(t, 0, "%s", err);
	port = ofp_chans_bound_port(s, t);
	add_target(s, "tcp:[::1]:%d", port);
	cr_assert(POLL_UNTIL(s, 2000, r->ups == 2));
	cr_assert_eq(ofp_chans_up(s), 2);
	/* One end is the active target, the other the connection its listener accepted. */
	{
		char pre[64];
		int act;

		snprintf(name, sizeof(name), "tcp:[::1]:%d", port);
		act = strcmp(r->up_names[0], name) == 0 ? 0 : 1;
		snprintf(pre, sizeof(pre), "ptcp:%d<-[::1]:", port);
		cr_assert_str_eq(r->up_names[act], name);
		cr_assert(strncmp(r->up_names[1 - act], pre, strlen(pre)) == 0, "%s",
			  r->up_names[1 - act]);
	}
	/* A bare IPv6 address is fine where nothing follows it, and wrong before a port. */
	cr_assert_geq(ofp_chans_add_target(s, "ptcp:0:::1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ofp_chans_add_target(s, "tcp:::1:6653", err, sizeof(err)), -EINVAL);
	cr_assert_eq(ofp_chans_add_target(s, "tcp:[::1", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "']'") != NULL, "%s", err);
	cr_assert_eq(ofp_chans_add_target(s, "tcp:[::1]6653", err, sizeof(err)), -EINVAL);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, bad_target_strings_are_refused_with_a_reason)
{
	static const struct {
		const char *target, *reason;
	} bad[] = {
		{ "tcp:", "no IP address" },
		{ "tcp:1.2.3.4:99999", "bad port" },
		{ "tcp:1.2.3.4:0", "bad port" },
		{ "tcp:1.2.3.4:", "bad port" },
		{ "tcp:1.2.3.4:66a", "bad port" },
		{ "foo:1", "unknown type 'foo'" },
		{ "6653", "no 'type:'" },
		{ "ptcp:abc", "bad port 'abc'" },
		{ "ptcp:70000", "bad port" },
		{ "ptcp:6653:localhost", "not an IP address" },
		{ "tcp:example.org:6653", "not an IP address" },
		{ "tcp:1.2.3:6653", "not an IP address" },
	};
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";

		cr_assert_eq(ofp_chans_add_target(s, bad[i].target, err, sizeof(err)), -EINVAL,
			     "%s accepted", bad[i].target);
		cr_assert(strstr(err, bad[i].reason) != NULL, "%s: '%s' does not say '%s'",
			  bad[i].target, err, bad[i].reason);
	}
	cr_assert_eq(ofp_chans_bound_port(s, 0), -EINVAL, "no target was added");
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, a_port_in_use_is_refused_at_once)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	char err[256] = "", target[64];
	int port = listen_local(s, "ptcp"), t;

	snprintf(target, sizeof(target), "ptcp:%d:127.0.0.1", port);
	cr_assert_eq(ofp_chans_add_target(s, target, err, sizeof(err)), -EADDRINUSE);
	cr_assert(strstr(err, "in use") != NULL, "%s", err);
	/* The default address is every IPv4 one; the port of "ptcp:0" is the kernel's choice. */
	t = ofp_chans_add_target(s, "ptcp:0", err, sizeof(err));
	cr_assert_geq(t, 0, "%s", err);
	cr_assert_gt(ofp_chans_bound_port(s, t), 0);
	ofp_chans_free(s);
	free(r);
}

/* ---- the loop ----------------------------------------------------------------------------- */

Test(ofp_conn, poll_waits_no_longer_than_its_timeout)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	uint64_t t0;

	listen_local(s, "ptcp");
	t0 = now_ms();
	cr_assert_eq(ofp_chans_poll(s, 0), 0);
	cr_assert_leq(now_ms() - t0, 20);
	t0 = now_ms();
	cr_assert_eq(ofp_chans_poll(s, 100), 0);
	cr_assert(now_ms() - t0 >= 95 && now_ms() - t0 <= 250, "waited %lu ms",
		  (unsigned long)(now_ms() - t0));
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, a_tls_peer_that_never_handshakes_blocks_nothing_and_times_out)
{
	struct ofp_chan_params p = { .probe_ms = 300 };
	struct rec *r = rec_new();
	struct ofp_chans *s;
	int port, fd, fd2;
	uint64_t t0, longest = 0;

	identity(&p, 0, "sc", "controllerca");
	s = make_set(r, &p);
	port = listen_local(s, "pssl");
	fd = peer_connect(port);
	peer_send(fd, "\x16\x03\x01", 3); /* the start of a record header, then silence */
	t0 = now_ms();
	while (ofp_chans_target_status(s, 0)[0] == '\0' && now_ms() - t0 < 2000) {
		uint64_t t = now_ms();

		cr_assert_geq(ofp_chans_poll(s, 20), 0);
		if (now_ms() - t > longest)
			longest = now_ms() - t;
	}
	cr_assert_str_eq(ofp_chans_target_status(s, 0), "TLS handshake timed out");
	cr_assert(now_ms() - t0 >= 290, "timed out after %lu ms", (unsigned long)(now_ms() - t0));
	cr_assert_leq(longest, 100, "one poll took %lu ms", (unsigned long)longest);
	cr_assert(peer_sees_close(s, fd, 1000));
	/* A plain TCP peer on a TLS listener is refused by the handshake. */
	fd2 = peer_connect(port);
	peer_send(fd2, "GET / HTTP/1.0\r\n\r\n", 18);
	cr_assert(POLL_UNTIL(
		s, 2000, strstr(ofp_chans_target_status(s, 0), "TLS handshake failed") != NULL));
	cr_assert_eq(r->ups, 0);
	close(fd);
	close(fd2);
	ofp_chans_free(s);
	free(r);
}

Test(ofp_conn, freeing_the_set_closes_everything_without_callbacks)
{
	struct ofp_chan_params p = { 0 };
	struct rec *r = rec_new();
	struct ofp_chans *s = make_set(r, &p);
	int port = listen_local(s, "ptcp"), fa, fb;

	fa = peer_connect(port);
	fb = peer_connect(port);
	cr_assert(POLL_UNTIL(s, 1000, r->ups == 2));
	ofp_chans_free(s);
	ofp_chans_free(NULL);
	cr_assert_eq(r->downs, 0, "no on_down from ofp_chans_free()");
	cr_assert(peer_sees_close(NULL, fa, 1000));
	cr_assert(peer_sees_close(NULL, fb, 1000));
	close(fa);
	close(fb);
	free(r);
}
