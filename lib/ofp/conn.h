/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the OpenFlow channel. Never installed.
 *
 * A set of channels (struct ofp_chans) holds targets as Open vSwitch writes them: active ones
 * (`tcp:IP[:PORT]`, `ssl:IP[:PORT]`) connect and reconnect with exponential back-off, passive ones
 * (`ptcp:[PORT][:IP]`, `pssl:[PORT][:IP]`) listen and accept any number of connections. IPv6
 * addresses go in brackets (`tcp:[::1]:6653`, `ptcp:6653:[::1]`); the port defaults to 6653.
 *
 * The channel moves whole OpenFlow messages and knows only their framing: an 8-byte header whose
 * big-endian length at offset 2 covers the header. A length below 8 is a protocol violation after
 * which the stream cannot be resynchronised: the connection is closed. It reads nothing else of a
 * message, except that it sends ECHO_REQUEST (version 4, xid #OFP_CHAN_PROBE_XID) on its own to
 * probe a connection that has been silent for probe_ms, and closes the connection when another
 * probe_ms passes without any message. It does not answer the peer's ECHO_REQUEST and it delivers
 * the ECHO_REPLY to its own probes like any message: both are the agent's, which knows the version
 * the peers agreed on.
 *
 * TLS (OpenSSL 3, TLS 1.2 or later) authenticates both ends: each loads its private key and
 * certificate and verifies the peer's certificate against the CA file, and a peer without a
 * certificate is refused. `ovs-pki` makes the files: a switch uses sc-privkey.pem and sc-cert.pem
 * and trusts controllerca/cacert.pem. Every socket is non-blocking, the TLS handshake included.
 *
 * **Lifetimes.** An active target has one struct ofp_chan for its whole life: on_up each time a
 * connection is made, on_down each time it is lost, the user pointer kept across reconnects. A
 * passive target makes a struct ofp_chan per accepted connection, freed after its on_down
 * returns. on_up and on_down come in pairs: a connection that fails before it is up (refused,
 * TLS handshake failed) is only logged, and its reason kept for ofp_chans_target_status().
 *
 * **Threads.** One thread drives a set: every function here, from that thread only. Callbacks run
 * inside ofp_chans_poll() (and on_down inside ofp_chan_close()); they may call ofp_chan_send() and
 * ofp_chan_close() on any channel, the current one included, but not ofp_chans_poll() or
 * ofp_chans_free(). ofp_chan_send() never calls a callback: a write error it meets closes the
 * channel in the next ofp_chans_poll().
 */
#ifndef SDNFV_LIB_OFP_CONN_H
#define SDNFV_LIB_OFP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** xid of the ECHO_REQUEST the channel sends to probe a silent connection. */
#define OFP_CHAN_PROBE_XID 0x70726f62u /* "prob" */

struct ofp_chans; /* a set of targets, listeners and connections, driven by one thread */
struct ofp_chan;  /* one connection to a controller */

struct ofp_chan_params {
	/* PEM paths; needed only for ssl:/pssl: */
	const char *ssl_private_key, *ssl_certificate, *ssl_ca_certificate;
	/* Nothing received for probe_ms: send ECHO_REQUEST; nothing for another probe_ms: close
	 * ("inactivity probe"). Also the time a connect or a TLS handshake may take. 0: 5000. */
	uint32_t probe_ms;
	uint32_t backoff_min_ms; /* first retry delay of an active target; 0: 1000 */
	/* The delay doubles up to this; 0: 8000. A connection that lived at least this long resets
	 * the delay to backoff_min_ms. */
	uint32_t backoff_max_ms;
	size_t out_max; /* bytes queued per connection before ofp_chan_send() refuses; 0: 8 MiB */
	/* Connected (TCP connect or accept done, and the TLS handshake for ssl/pssl). */
	void (*on_up)(void *arg, struct ofp_chan *c);
	/* One whole message, len == its header's length >= 8; msg valid during the call only. */
	void (*on_msg)(void *arg, struct ofp_chan *c, const uint8_t *msg, size_t len);
	/* Closed (only after on_up); c is freed after the call (passive) or kept to reconnect. */
	void (*on_down)(void *arg, struct ofp_chan *c, const char *why);
	void *arg;
};

/* A set with no target yet. p is copied (the PEM paths too). 0, or -EINVAL / -ENOMEM with err. */
int ofp_chans_create(const struct ofp_chan_params *p, struct ofp_chans **out, char *err,
		     size_t errlen);

/* Close every connection and listener and free the set; no callback is called. NULL is fine. */
void ofp_chans_free(struct ofp_chans *s);

/*
 * Add a target. Listening sockets are bound at once, so their errors show here; an active target
 * makes its first attempt in the next ofp_chans_poll(). The TLS files are loaded with the first
 * ssl/pssl target. Returns the target's index (>= 0), -EINVAL (bad syntax, TLS files missing,
 * unreadable or not matching; err says why), -EADDRINUSE, another -errno of socket(), bind() or
 * listen(), or -ENOMEM.
 */
int ofp_chans_add_target(struct ofp_chans *s, const char *target, char *err, size_t errlen);

/* The TCP port a passive target listens on (what port 0 became); -EINVAL for an active target or
 * an index out of range. */
int ofp_chans_bound_port(const struct ofp_chans *s, int target);

/* How a target last failed or closed ("connection refused", "TLS handshake failed: certificate
 * verify failed (...)", "inactivity probe"), "" if it has not; NULL for an index out of range.
 * Valid until the next call on the set. */
const char *ofp_chans_target_status(const struct ofp_chans *s, int target);

/*
 * One round: wait up to timeout_ms (0: not at all; earlier when a timer is due) for any socket,
 * then accept, connect, advance TLS handshakes, read and frame messages (on_msg for each), write
 * queued data, probe silent connections and retry active targets. Never blocks longer than
 * timeout_ms. Returns the number of events handled (>= 0), or -errno of poll() (not EINTR) or
 * -ENOMEM.
 */
int ofp_chans_poll(struct ofp_chans *s, int timeout_ms);
/* The same with a timeout in microseconds (ppoll()): an agent that batches work sleeps for less
 * than a millisecond between rounds instead of spinning. */
int ofp_chans_poll_us(struct ofp_chans *s, int64_t timeout_us);

/*
 * Queue whole messages (one or several back to back, len bytes) and write what the socket takes
 * now; the rest leaves as the socket drains, in order. 0; -ENOBUFS when the queue would exceed
 * out_max (nothing queued); -ENOTCONN when c is not up; -ENOMEM.
 */
int ofp_chan_send(struct ofp_chan *c, const void *msgs, size_t len);

size_t ofp_chan_queued(const struct ofp_chan *c); /* bytes waiting to be written */

/* Close c: queued data is dropped, on_down is called (if c was up) with why; an active target
 * reconnects after its back-off. A channel already closed is left alone. */
void ofp_chan_close(struct ofp_chan *c, const char *why);

/* "tcp:127.0.0.1:6653" (active) or "ptcp:6653<-127.0.0.1:40312" (accepted). */
const char *ofp_chan_name(const struct ofp_chan *c);
void ofp_chan_set_user(struct ofp_chan *c, void *user);
void *ofp_chan_user(const struct ofp_chan *c);
bool ofp_chan_is_up(const struct ofp_chan *c);
int ofp_chan_target(const struct ofp_chan *c); /* index of the target c belongs to */

unsigned int ofp_chans_up(const struct ofp_chans *s); /* connections up now */
/* Connection attempts of active targets other than each one's first (retries after a refusal or
 * a loss). */
uint64_t ofp_chans_reconnects(const struct ofp_chans *s);

#endif /* SDNFV_LIB_OFP_CONN_H */
