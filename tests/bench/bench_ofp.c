/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow benchmark (issue 6): a host manager forwarding 64-byte UDP packets while an OpenFlow
 * 1.3 controller installs one exact rule per new flow, with 0 %, 1 % and 10 % of the packets
 * starting a new flow; and the rule install latency.
 *
 * The host: one manager, no NF, two net_ring ports (in, out); its dispatcher runs on lcore 1
 * (CPU 1). Its OpenFlow agent (sdnfv_ofp_create(), fail mode secure) connects over TCP to the
 * controller of this program on 127.0.0.1. The controller is a thread of its own with its own
 * OpenFlow 1.3.5 encoding and decoding (packed structs, not lib/ofp's codec, so that the agent is
 * checked by an independent implementation): HELLO, FEATURES_REQUEST, SET_CONFIG (miss_send_len
 * 128), a BARRIER; on each PACKET_IN it parses the frame (Ethernet, IPv4, UDP or TCP) and answers
 * with a FLOW_MOD ADD of an exact match (in_port, eth_type, vlan_vid=NONE, ip_proto, IPv4
 * addresses, L4 ports), priority 100, idle timeout 2 s, the PACKET_IN's buffer id, and
 * apply-actions output to the out port. The FLOW_MODs of the PACKET_INs read in one pass go out
 * in one send().
 *
 * Traffic: a closed loop of mbufs on the main lcore (CPU 0, with the agent's thread, the
 * manager's control thread and the controller: the control threads): the feeder keeps the in
 * port's receive ring `depth` packets deep and takes what the manager sent out of the out port's
 * transmit ring (counting it), restamping each packet as it feeds it again. A working set of 1000
 * established flows (their rules installed by the controller before traffic starts, no idle
 * timeout) carries the traffic; p % of the packets (every 100/p-th) are instead the first and
 * only packet of a flow never seen before. When its ring is deep enough and little came out, the
 * feeder naps ~20 us, which leaves CPU 0 to the control threads.
 *
 *  newflow<p>: packets per second out of the out port during `secs` s after `warm` s of
 *    warm-up (the table of new-flow rules then holds about 2 s of them, its steady state).
 *  newflow10_pinlimit100k: newflow10 with the agent's default PACKET_IN rate limit (100000/s);
 *    the others set it to 10^8/s so that it does not cut (the limit's effect is reported apart).
 *  rule_install_p50/p99: sdnfv_ofp_stats' release latency under newflow10 (FLOW_MOD read off the
 *    socket by the agent → its buffered packet handed on by the dispatcher; last 4096 releases).
 *  flowmod_to_tx_p50/p99: from the controller's send() of a FLOW_MOD to its buffered packet
 *    taken out of the transmit ring by the feeder (who naps ~20 us at a time: an upper bound).
 *  flow_setup_p50/p99: from a new flow's packet fed into the receive ring to its exit; includes
 *    the wait in the receive ring (at most depth / packet rate) and the whole PACKET_IN path.
 *  _setup: new flows whose packet came out, per second; _packet_in, _limited, _buffer_drops:
 *    the agent's counters per second over the window (_limited: table misses not sent up, by
 *    the rate limit or because the dispatcher's PACKET_IN records were all waiting for the
 *    agent; their packets are dropped and do not count in the Mpps).
 * Each measurement also prints (#) the threads' CPU shares, the load average, and how often the
 * feeder found the receive ring empty: CPU 0 holds the feeder and every control thread, and
 * when it is full the feeder can starve the dispatcher (a limit of this 2-core rig, not of the
 * host). A warning says when the dispatcher did not have its CPU to itself.
 * Figures are medians over rounds (each round measures every configuration, interleaved); every
 * measurement creates the manager, its ports, the agent and the controller afresh.
 *
 * usage: bench_ofp [--quick] [--only NAME] [--rounds N] [--secs S] [--warm S]
 *   --quick       one short round; the figures mean nothing (CI)
 *   --only NAME   measure one configuration (newflow10 ...): to profile it (perf record) with a
 *                 long --secs
 *   --dump FILE   write the bytes the controller sends to FILE (check them with
 *                 `ovs-ofctl ofp-parse FILE`)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <sdnfv/sdnfv.h>
#include <sdnfv/ofp.h>

#include "bench.h"
#include "eal.h"

#define FRAME_LEN  64
#define MAX_ROUNDS 9
#define DISP_LCORE 1
#define WSET       1000  /* established flows */
#define POOL_SIZE  16383 /* mbufs of the loop, buffered ones included */
#define RING_SIZE  16384 /* > POOL_SIZE: the out ring never refuses a packet */
#define RX_DEPTH   8192  /* packets kept in the in port's receive ring */
#define NEW_IDLE_S 2     /* idle timeout of the new flows' rules */
#define PRIORITY   100
#define MAX_RULES  (1u << 19)
#define LAT_SLOTS  65536u /* FLOW_MOD send times, by new-flow index (power of 2) */
#define LAT_MAX    (1u << 20)

static unsigned int rounds = 3;
static double secs = 2.0, warm = 2.0;
static unsigned int seq;
static FILE *dump; /* --dump FILE: every byte the controller sends */

/* ---------------------------------------------------------------------------------------- */
/* Frames                                                                                     */

/* After the UDP header (offset 42): what the feeder and the controller read back. */
struct tag {
	uint32_t magic;
	uint32_t idx;     /* working-set flow, or new-flow number (from 1) */
	uint64_t fed_tsc; /* when fed into the receive ring */
} __attribute__((packed));

#define TAG_OFF    42
#define MAGIC_WSET 0x57534554u
#define MAGIC_NEWF 0x4e455746u

static uint8_t ws_frames[WSET][FRAME_LEN];

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* A 64-byte Ethernet/IPv4/UDP frame. Working-set flow i comes from 10.x.y.z, new flow i from
 * 11.x.y.z: i times an odd constant keeps the 2^24 addresses of each distinct and scattered. */
static void
build_frame(uint8_t *d, bool new_flow, uint32_t i)
{
	uint32_t h = i * 2654435761u;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
	struct tag t = { .magic = new_flow ? MAGIC_NEWF : MAGIC_WSET, .idx = i };

	memset(d, 0, FRAME_LEN);
	memcpy(d, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(d + 12, 0x0800);
	d[14] = 0x45;
	put16(d + 16, FRAME_LEN - 14);
	d[22] = 64;
	d[23] = 17;
	put32(d + 26, (new_flow ? 0x0b000000u : 0x0a000000u) | (h & 0xffffffu));
	put32(d + 30, 0xc0a80000u | (h >> 16));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	put16(d + 34, (uint16_t)(1024 + h % 60000));
	put16(d + 36, (uint16_t)(1 + (h >> 8) % 65535));
	put16(d + 38, FRAME_LEN - 34);
	memcpy(d + TAG_OFF, &t, sizeof(t));
}

/* ---------------------------------------------------------------------------------------- */
/* The controller: OpenFlow 1.3.5 messages, written here                                      */

#define OFP13 0x04
enum {
	T_HELLO = 0,
	T_ERROR = 1,
	T_ECHO_REQUEST = 2,
	T_ECHO_REPLY = 3,
	T_FEATURES_REQUEST = 5,
	T_FEATURES_REPLY = 6,
	T_SET_CONFIG = 9,
	T_PACKET_IN = 10,
	T_FLOW_MOD = 14,
	T_BARRIER_REQUEST = 20,
	T_BARRIER_REPLY = 21,
};
#define NO_BUFFER 0xffffffffu
#define OXM_BASIC 0x8000u
enum {
	OXM_IN_PORT = 0,
	OXM_ETH_TYPE = 5,
	OXM_VLAN_VID = 6,
	OXM_IP_PROTO = 10,
	OXM_IPV4_SRC = 11,
	OXM_IPV4_DST = 12,
	OXM_TCP_SRC = 13,
	OXM_TCP_DST = 14,
	OXM_UDP_SRC = 15,
	OXM_UDP_DST = 16,
};
#define OFPVID_PRESENT 0x1000u
#define OFPIT_APPLY    4
#define OFPAT_OUTPUT   0
#define BARRIER_XID    0xba77
#define FEATURES_XID   0xfea7

struct of_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t length;
	uint32_t xid;
} __attribute__((packed));

struct of_switch_config {
	struct of_hdr h;
	uint16_t flags;
	uint16_t miss_send_len;
} __attribute__((packed));

struct of_features_reply {
	struct of_hdr h;
	uint64_t datapath_id;
	uint32_t n_buffers;
	uint8_t n_tables;
	uint8_t auxiliary_id;
	uint8_t pad[2];
	uint32_t capabilities;
	uint32_t reserved;
} __attribute__((packed));

struct of_error {
	struct of_hdr h;
	uint16_t type;
	uint16_t code;
} __attribute__((packed));

struct of_packet_in {
	struct of_hdr h;
	uint32_t buffer_id;
	uint16_t total_len;
	uint8_t reason;
	uint8_t table_id;
	uint64_t cookie;
	/* struct ofp_match, padded to 8; 2 bytes of pad; the frame */
} __attribute__((packed));

struct of_match_hdr {
	uint16_t type;   /* 1: OFPMT_OXM */
	uint16_t length; /* without the padding */
} __attribute__((packed));

struct of_flow_mod {
	struct of_hdr h;
	uint64_t cookie;
	uint64_t cookie_mask;
	uint8_t table_id;
	uint8_t command;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint16_t priority;
	uint32_t buffer_id;
	uint32_t out_port;
	uint32_t out_group;
	uint16_t flags;
	uint8_t pad[2];
	/* struct ofp_match, padded to 8; instructions */
} __attribute__((packed));

struct of_instruction_actions {
	uint16_t type;
	uint16_t len;
	uint8_t pad[4];
} __attribute__((packed));

struct of_action_output {
	uint16_t type;
	uint16_t len;
	uint32_t port;
	uint16_t max_len;
	uint8_t pad[6];
} __attribute__((packed));

_Static_assert(sizeof(struct of_hdr) == 8, "ofp_header");
_Static_assert(sizeof(struct of_switch_config) == 12, "ofp_switch_config");
_Static_assert(sizeof(struct of_features_reply) == 32, "ofp_switch_features");
_Static_assert(sizeof(struct of_packet_in) == 24, "ofp_packet_in before its match");
_Static_assert(sizeof(struct of_flow_mod) == 48, "ofp_flow_mod before its match");
_Static_assert(sizeof(struct of_instruction_actions) == 8, "ofp_instruction_actions");
_Static_assert(sizeof(struct of_action_output) == 16, "ofp_action_output");

/* The fields of a frame the controller matches on. */
struct fields {
	uint16_t eth_type;
	uint16_t vlan_vid; /* OXM value: 0 untagged, OFPVID_PRESENT | vid tagged */
	bool ipv4;
	uint8_t proto;
	uint32_t src, dst;
	bool l4;
	uint16_t sport, dport;
	uint32_t magic, idx;
};

/* Parse a frame (Ethernet, one optional VLAN tag, IPv4, UDP or TCP). */
static bool
parse_frame(const uint8_t *d, size_t len, struct fields *f)
{
	size_t off = 12, ihl;

	memset(f, 0, sizeof(*f));
	if (len < 14)
		return false;
	f->eth_type = get16(d + 12);
	if (f->eth_type == 0x8100) {
		if (len < 18)
			return false;
		f->vlan_vid = (uint16_t)(OFPVID_PRESENT | (get16(d + 14) & 0xfff));
		off += 4;
		f->eth_type = get16(d + 16);
	}
	off += 2;
	if (f->eth_type != 0x0800 || len < off + 20)
		return true;
	ihl = (size_t)(d[off] & 0xf) * 4;
	if ((d[off] >> 4) != 4 || ihl < 20 || len < off + ihl)
		return true;
	f->ipv4 = true;
	f->proto = d[off + 9];
	f->src = get32(d + off + 12);
	f->dst = get32(d + off + 16);
	/* Only a first fragment has the L4 header. */
	if ((get16(d + off + 6) & 0x1fff) != 0 || (f->proto != 6 && f->proto != 17))
		return true;
	off += ihl;
	if (len < off + 4)
		return true;
	f->l4 = true;
	f->sport = get16(d + off);
	f->dport = get16(d + off + 2);
	if (f->proto == 17 && len >= off + 8 + sizeof(struct tag)) {
		struct tag t;

		memcpy(&t, d + off + 8, sizeof(t));
		f->magic = t.magic;
		f->idx = t.idx;
	}
	return true;
}

struct stamp {
	uint64_t tsc;
	uint32_t idx; /* written last (release): a slot is valid for this new-flow index */
};

struct ctl {
	int lfd, fd;
	uint16_t tcp_port;
	uint32_t in_port, out_port; /* OpenFlow port numbers */
	pthread_t thread;
	bool started;
	int stop;  /* atomic */
	int ready; /* atomic: 1 the working set is installed; -1 failed */
	/* Counters: the controller writes, the main thread reads (atomic loads). */
	uint64_t packet_in, pin_unbuffered, pin_other, flow_mods, sends, errors, echoes;
	uint8_t *ib, *ob;
	size_t ilen, icap, olen, ocap;
	uint32_t *pending; /* new-flow indexes of the FLOW_MODs queued in this pass */
	size_t n_pending, cap_pending;
	struct stamp *stamps; /* LAT_SLOTS */
	uint32_t xid;
	bool hello, features, failed;
};

static void
ctl_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static uint64_t
ctl_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* Room for n more bytes at the end of the output, zeroed. */
static uint8_t *
out_put(struct ctl *c, size_t n)
{
	uint8_t *p;

	if (c->olen + n > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 65536;

		while (cap < c->olen + n)
			cap *= 2;
		p = realloc(c->ob, cap);
		if (p == NULL) {
			c->failed = true;
			return NULL;
		}
		c->ob = p;
		c->ocap = cap;
	}
	p = c->ob + c->olen;
	memset(p, 0, n);
	c->olen += n;
	return p;
}

/* Begin a message; returns its offset (its length is set by msg_end()). */
static size_t
msg_begin(struct ctl *c, uint8_t type, uint32_t xid, size_t fixed)
{
	size_t off = c->olen;
	struct of_hdr *h = (struct of_hdr *)out_put(c, fixed);

	if (h != NULL) {
		h->version = OFP13;
		h->type = type;
		h->xid = htonl(xid);
	}
	return off;
}

static void
msg_end(struct ctl *c, size_t off)
{
	if (!c->failed)
		((struct of_hdr *)(c->ob + off))->length = htons((uint16_t)(c->olen - off));
}

static void
oxm(struct ctl *c, unsigned int field, const void *value, unsigned int len)
{
	uint8_t *p = out_put(c, 4 + len);

	if (p == NULL)
		return;
	put32(p, OXM_BASIC << 16 | field << 9 | len);
	memcpy(p + 4, value, len);
}

static void
oxm16(struct ctl *c, unsigned int field, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	oxm(c, field, b, 2);
}

static void
oxm32(struct ctl *c, unsigned int field, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	oxm(c, field, b, 4);
}

/* Queue a FLOW_MOD ADD of the frame's exact match, output to the out port. */
static void
flow_mod(struct ctl *c, uint32_t in_port, const struct fields *f, uint32_t buffer_id, uint16_t idle,
	 uint64_t cookie)
{
	size_t off = msg_begin(c, T_FLOW_MOD, ++c->xid, sizeof(struct of_flow_mod)), moff;
	struct of_instruction_actions *ia;
	struct of_action_output *ao;
	struct of_flow_mod *fm;
	struct of_match_hdr *mh;

	if (c->failed)
		return;
	fm = (struct of_flow_mod *)(c->ob + off);
	fm->cookie = htobe64(cookie);
	fm->command = 0; /* OFPFC_ADD */
	fm->idle_timeout = htons(idle);
	fm->priority = htons(PRIORITY);
	fm->buffer_id = htonl(buffer_id);
	fm->out_port = htonl(0xffffffffu); /* OFPP_ANY */
	fm->out_group = htonl(0xffffffffu);
	moff = c->olen;
	out_put(c, sizeof(*mh));
	oxm32(c, OXM_IN_PORT, in_port);
	oxm16(c, OXM_ETH_TYPE, f->eth_type);
	oxm16(c, OXM_VLAN_VID, f->vlan_vid);
	if (f->ipv4) {
		oxm(c, OXM_IP_PROTO, &f->proto, 1);
		oxm32(c, OXM_IPV4_SRC, f->src);
		oxm32(c, OXM_IPV4_DST, f->dst);
		if (f->l4) {
			oxm16(c, f->proto == 6 ? OXM_TCP_SRC : OXM_UDP_SRC, f->sport);
			oxm16(c, f->proto == 6 ? OXM_TCP_DST : OXM_UDP_DST, f->dport);
		}
	}
	if (c->failed)
		return;
	mh = (struct of_match_hdr *)(c->ob + moff);
	mh->type = htons(1);
	mh->length = htons((uint16_t)(c->olen - moff));
	out_put(c, (8 - (c->olen - moff) % 8) % 8);
	ia = (struct of_instruction_actions *)out_put(c, sizeof(*ia) + sizeof(*ao));
	if (ia == NULL)
		return;
	ia->type = htons(OFPIT_APPLY);
	ia->len = htons(sizeof(*ia) + sizeof(*ao));
	ao = (struct of_action_output *)(ia + 1);
	ao->type = htons(OFPAT_OUTPUT);
	ao->len = htons(sizeof(*ao));
	ao->port = htonl(c->out_port);
	ao->max_len = htons(0);
	msg_end(c, off);
	c->flow_mods++;
}

/* The in_port OXM of a PACKET_IN's match. */
static bool
match_in_port(const uint8_t *p, size_t len, uint32_t *in_port)
{
	size_t off = 4;

	while (off + 4 <= len) {
		uint32_t h = get32(p + off);
		unsigned int l = h & 0xff;

		if (off + 4 + l > len)
			return false;
		if (h >> 16 == OXM_BASIC && (h >> 9 & 0x7f) == OXM_IN_PORT && l == 4) {
			*in_port = get32(p + off + 4);
			return true;
		}
		off += 4 + l;
	}
	return false;
}

static void
on_packet_in(struct ctl *c, const uint8_t *msg, size_t len)
{
	const struct of_packet_in *pi = (const struct of_packet_in *)msg;
	const uint8_t *m = msg + sizeof(*pi);
	uint32_t buffer_id, in_port = 0;
	size_t mlen, data_off;
	struct fields f;

	if (len < sizeof(*pi) + 4) {
		c->pin_other++;
		return;
	}
	mlen = get16(m + 2);
	data_off = sizeof(*pi) + ((mlen + 7) & ~(size_t)7) + 2;
	if (get16(m) != 1 || mlen < 4 || data_off > len || !match_in_port(m, mlen, &in_port) ||
	    !parse_frame(msg + data_off, len - data_off, &f)) {
		c->pin_other++;
		return;
	}
	buffer_id = ntohl(pi->buffer_id);
	ctl_count(&c->packet_in, 1);
	if (buffer_id == NO_BUFFER)
		ctl_count(&c->pin_unbuffered, 1);
	flow_mod(c, in_port, &f, buffer_id, NEW_IDLE_S, f.idx);
	if (f.magic == MAGIC_NEWF && !c->failed) {
		if (c->n_pending == c->cap_pending) {
			size_t cap = c->cap_pending ? 2 * c->cap_pending : 1024;
			uint32_t *p = realloc(c->pending, cap * sizeof(*p));

			if (p == NULL) {
				c->failed = true;
				return;
			}
			c->pending = p;
			c->cap_pending = cap;
		}
		c->pending[c->n_pending++] = f.idx;
	}
}

static void
on_msg(struct ctl *c, const uint8_t *msg, size_t len)
{
	const struct of_hdr *h = (const struct of_hdr *)msg;
	size_t off;

	switch (h->type) {
	case T_PACKET_IN:
		on_packet_in(c, msg, len);
		break;
	case T_HELLO:
		if (h->version < OFP13) {
			fprintf(stderr, "bench_ofp: the agent's HELLO is version %u\n", h->version);
			c->failed = true;
		}
		c->hello = true;
		break;
	case T_ECHO_REQUEST:
		off = msg_begin(c, T_ECHO_REPLY, ntohl(h->xid), len);
		if (!c->failed)
			memcpy(c->ob + off + 8, msg + 8, len - 8);
		msg_end(c, off);
		ctl_count(&c->echoes, 1);
		break;
	case T_FEATURES_REPLY:
		if (len < sizeof(struct of_features_reply) || ntohl(h->xid) != FEATURES_XID) {
			fprintf(stderr, "bench_ofp: bad FEATURES_REPLY (%zu bytes)\n", len);
			c->failed = true;
		}
		c->features = true;
		break;
	case T_BARRIER_REPLY:
		if (ntohl(h->xid) == BARRIER_XID) {
			if (!c->hello || !c->features) {
				fprintf(stderr, "bench_ofp: BARRIER_REPLY before HELLO/FEATURES\n");
				c->failed = true;
			} else {
				__atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
			}
		}
		break;
	case T_ERROR:
		if (ctl_read(&c->errors) < 5 && len >= sizeof(struct of_error)) {
			const struct of_error *e = (const struct of_error *)msg;

			fprintf(stderr,
				"bench_ofp: the agent sent ERROR type %u code %u (xid %u)\n",
				ntohs(e->type), ntohs(e->code), ntohl(h->xid));
		}
		ctl_count(&c->errors, 1);
		break;
	default: /* PORT_STATUS and the like */
		break;
	}
}

/* Send what is queued, as far as the socket takes it. */
static int
ctl_flush(struct ctl *c)
{
	size_t sent = 0;

	if (c->n_pending > 0) {
		/* Stamped before send(): the packet can come out as soon as the bytes leave. */
		uint64_t now = rte_get_tsc_cycles();
		size_t i;

		for (i = 0; i < c->n_pending; i++) {
			struct stamp *s = &c->stamps[c->pending[i] & (LAT_SLOTS - 1)];

			s->tsc = now;
			__atomic_store_n(&s->idx, c->pending[i], __ATOMIC_RELEASE);
		}
		c->n_pending = 0;
	}
	while (sent < c->olen) {
		ssize_t k = send(c->fd, c->ob + sent, c->olen - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0) {
			fprintf(stderr, "bench_ofp: controller send: %s\n", strerror(errno));
			return -EIO;
		}
		if (dump != NULL)
			fwrite(c->ob + sent, 1, (size_t)k, dump);
		sent += (size_t)k;
		ctl_count(&c->sends, 1);
	}
	memmove(c->ob, c->ob + sent, c->olen - sent);
	c->olen -= sent;
	return 0;
}

/* Read what the socket has and handle every whole message. */
static int
ctl_read_msgs(struct ctl *c)
{
	size_t pos = 0;
	ssize_t k;

	if (c->icap - c->ilen < 65536) {
		uint8_t *p = realloc(c->ib, c->icap + 262144);

		if (p == NULL)
			return -ENOMEM;
		c->ib = p;
		c->icap += 262144;
	}
	k = recv(c->fd, c->ib + c->ilen, c->icap - c->ilen, MSG_DONTWAIT);
	if (k == 0) {
		if (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
			fprintf(stderr, "bench_ofp: the agent closed the connection\n");
		return -ECONNRESET;
	}
	if (k < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	c->ilen += (size_t)k;
	while (c->ilen - pos >= sizeof(struct of_hdr)) {
		const struct of_hdr *h = (const struct of_hdr *)(c->ib + pos);
		size_t len = ntohs(h->length);

		if (len < sizeof(*h)) {
			fprintf(stderr, "bench_ofp: a message of length %zu from the agent\n", len);
			return -EPROTO;
		}
		if (c->ilen - pos < len)
			break;
		on_msg(c, c->ib + pos, len);
		pos += len;
	}
	memmove(c->ib, c->ib + pos, c->ilen - pos);
	c->ilen -= pos;
	return c->failed ? -ENOMEM : 0;
}

static void *
ctl_main(void *arg)
{
	struct ctl *c = arg;
	struct pollfd pfd = { .fd = c->lfd, .events = POLLIN };
	struct of_switch_config *sc;
	size_t off;
	int one = 1, ret = 0, i;

	/* The agent connects within its first back-off. */
	for (i = 0; i < 10000 && !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE); i++)
		if (poll(&pfd, 1, 1) > 0)
			break;
	c->fd = (pfd.revents & POLLIN) ? accept(c->lfd, NULL, NULL) : -1;
	if (c->fd < 0) {
		fprintf(stderr, "bench_ofp: the agent did not connect\n");
		__atomic_store_n(&c->ready, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);

	off = msg_begin(c, T_HELLO, ++c->xid, sizeof(struct of_hdr));
	msg_end(c, off);
	off = msg_begin(c, T_FEATURES_REQUEST, FEATURES_XID, sizeof(struct of_hdr));
	msg_end(c, off);
	off = msg_begin(c, T_SET_CONFIG, ++c->xid, sizeof(*sc));
	if (!c->failed) {
		sc = (struct of_switch_config *)(c->ob + off);
		sc->flags = htons(0);
		sc->miss_send_len = htons(128);
	}
	msg_end(c, off);
	/* The established flows: permanent rules. */
	for (i = 0; i < WSET; i++) {
		struct fields f;

		parse_frame(ws_frames[i], FRAME_LEN, &f);
		flow_mod(c, c->in_port, &f, NO_BUFFER, 0, (uint64_t)i);
	}
	off = msg_begin(c, T_BARRIER_REQUEST, BARRIER_XID, sizeof(struct of_hdr));
	msg_end(c, off);

	pfd.fd = c->fd;
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		pfd.events = POLLIN | (c->olen > 0 ? POLLOUT : 0);
		if (poll(&pfd, 1, 1) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			ret = ctl_read_msgs(c);
			if (ret < 0)
				break;
		}
		if (c->olen > 0 && (ret = ctl_flush(c)) < 0)
			break;
	}
	if (ret < 0 && __atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) == 0)
		__atomic_store_n(&c->ready, -1, __ATOMIC_RELEASE);
	if (ret < 0 && !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
		fprintf(stderr, "bench_ofp: the controller stopped: %s\n", strerror(-ret));
	return NULL;
}

/* Listen on an ephemeral port of 127.0.0.1 (the agent connects: tcp:127.0.0.1:PORT). */
static int
ctl_start(struct ctl *c, uint32_t in_port, uint32_t out_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->in_port = in_port;
	c->out_port = out_port;
	c->stamps = calloc(LAT_SLOTS, sizeof(*c->stamps));
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->stamps == NULL || c->lfd < 0)
		return -ENOMEM;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(c->lfd, 4) < 0 ||
	    getsockname(c->lfd, (struct sockaddr *)&sa, &sl) < 0) {
		ret = -errno;
		fprintf(stderr, "bench_ofp: controller socket: %s\n", strerror(errno));
		return ret;
	}
	c->tcp_port = ntohs(sa.sin_port);
	ret = pthread_create(&c->thread, NULL, ctl_main, c);
	if (ret != 0)
		return -ret;
	pthread_setname_np(c->thread, "bench-ctl");
	c->started = true;
	return 0;
}

static void
ctl_stop(struct ctl *c)
{
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = false;
	if (c->fd >= 0)
		close(c->fd);
	if (c->lfd >= 0)
		close(c->lfd);
	c->fd = c->lfd = -1;
	free(c->ib);
	free(c->ob);
	free(c->pending);
	free(c->stamps);
	c->ib = c->ob = NULL;
	c->pending = NULL;
	c->stamps = NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* The feeder: the in port's receive ring, the out port's transmit ring                       */

struct feeder {
	struct rte_ring *rx, *tx; /* the in port's receive ring; the out port's transmit ring */
	struct rte_mempool *pool;
	const struct ctl *ctl;
	unsigned int pct; /* new flows per 100 packets */
	unsigned int acc;
	uint32_t next_ws, next_new;
	struct rte_mbuf **spare; /* packets back from the transmit ring, to feed again */
	unsigned int n_spare;
	/* Counters. */
	uint64_t fed, fed_new, out, out_new, starved, sleeps;
	/* Latency samples (TSC) while recording. */
	bool record;
	uint64_t *setup, *e2e;
	unsigned int n_setup, n_e2e;
};

static void
restamp(struct feeder *f, struct rte_mbuf *m, uint64_t now)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	f->acc += f->pct;
	if (f->acc >= 100) {
		f->acc -= 100;
		build_frame(d, true, ++f->next_new);
		memcpy(d + TAG_OFF + offsetof(struct tag, fed_tsc), &now, sizeof(now));
		f->fed_new++;
	} else {
		memcpy(d, ws_frames[f->next_ws], FRAME_LEN);
		if (++f->next_ws == WSET)
			f->next_ws = 0;
	}
}

/* What came out: counted, and new flows' packets timed. */
static void
take_out(struct feeder *f, struct rte_mbuf **pkts, unsigned int n, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const uint8_t *d;
		struct tag t;

		if (i + 8 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 8], const uint8_t *) + TAG_OFF);
		d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		memcpy(&t, d + TAG_OFF, sizeof(t));
		if (t.magic == MAGIC_NEWF) {
			f->out_new++;
			if (f->record && f->n_setup < LAT_MAX)
				f->setup[f->n_setup++] = now - t.fed_tsc;
			if (f->record && f->n_e2e < LAT_MAX) {
				const struct stamp *s = &f->ctl->stamps[t.idx & (LAT_SLOTS - 1)];

				if (__atomic_load_n(&s->idx, __ATOMIC_ACQUIRE) == t.idx &&
				    s->tsc <= now)
					f->e2e[f->n_e2e++] = now - s->tsc;
			}
		}
		f->spare[f->n_spare++] = pkts[i];
	}
	f->out += n;
}

static void
sleep_ns(long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Feed and drain until the TSC reaches `until`. */
static void
feed_until(struct feeder *f, uint64_t until)
{
	struct rte_mbuf *pkts[256];

	for (;;) {
		uint64_t now = rte_get_tsc_cycles();
		unsigned int n, got = 0, depth, i;

		if (now >= until)
			break;
		do {
			n = rte_ring_sc_dequeue_burst(f->tx, (void **)pkts, RTE_DIM(pkts), NULL);
			/* Read after the dequeue: the controller shares this CPU, and may stamp a
			 * FLOW_MOD between an earlier read and the dequeue of its packet. */
			take_out(f, pkts, n, rte_get_tsc_cycles());
			got += n;
		} while (n == RTE_DIM(pkts));
		depth = rte_ring_count(f->rx);
		if (depth == 0 && f->record)
			f->starved++;
		while (depth < RX_DEPTH) {
			n = RTE_MIN(RX_DEPTH - depth, (unsigned int)RTE_DIM(pkts));
			if (f->n_spare < n) {
				/* Packets the manager dropped or holds: take new ones. */
				unsigned int k = n - f->n_spare;

				if (rte_pktmbuf_alloc_bulk(f->pool, f->spare + f->n_spare, k) ==
				    0) {
					for (i = 0; i < k; i++) {
						struct rte_mbuf *m = f->spare[f->n_spare + i];

						m->data_len = FRAME_LEN;
						m->pkt_len = FRAME_LEN;
					}
					f->n_spare += k;
				}
				n = RTE_MIN(n, f->n_spare);
				if (n == 0)
					break;
			}
			for (i = 0; i < n; i++) {
				pkts[i] = f->spare[--f->n_spare];
				restamp(f, pkts[i], now);
			}
			/* The ring holds more than the pool: it takes them all. */
			rte_ring_sp_enqueue_bulk(f->rx, (void **)pkts, n, NULL);
			f->fed += n;
			depth += n;
		}
		/* Half the ring is 400 us of work at 10 Mpps: a nap leaves CPU 0 to the control
		 * threads without starving the dispatcher. */
		if (got < RTE_DIM(pkts) / 2 && rte_ring_count(f->rx) > RX_DEPTH / 2) {
			f->sleeps++;
			sleep_ns(20000);
		}
	}
}

/* ---------------------------------------------------------------------------------------- */
/* CPU time of this process's threads, by name                                                */

#define MAX_THREADS 64

struct cpu_snap {
	unsigned int n;
	struct {
		int tid;
		char name[20];
		uint64_t ticks;
	} t[MAX_THREADS];
};

static void
cpu_snap(struct cpu_snap *s)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;

	s->n = 0;
	while (dir != NULL && (e = readdir(dir)) != NULL && s->n < MAX_THREADS) {
		char path[300], buf[512], *p, *q;
		unsigned long ut, st;
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		fp = fopen(path, "r");
		if (fp == NULL)
			continue;
		p = fgets(buf, sizeof(buf), fp);
		fclose(fp);
		if (p == NULL || (p = strchr(buf, '(')) == NULL || (q = strrchr(buf, ')')) == NULL)
			continue;
		/* After the name: state, then 10 fields, then utime and stime. */
		if (sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
			   &st) != 2)
			continue;
		s->t[s->n].tid = atoi(e->d_name);
		snprintf(s->t[s->n].name, sizeof(s->t[s->n].name), "%.*s", (int)(q - p - 1), p + 1);
		s->t[s->n].ticks = ut + st;
		s->n++;
	}
	if (dir != NULL)
		closedir(dir);
}

/* "name pct%, ..." of the threads that used CPU between a and b; returns the CPU share of
 * thread `tid` in %. */
static double
cpu_report(const struct cpu_snap *a, const struct cpu_snap *b, double s, int tid, char *out,
	   size_t len)
{
	double of_tid = 0;
	double hz = (double)sysconf(_SC_CLK_TCK);
	size_t used = 0;
	unsigned int i, j;

	out[0] = '\0';
	for (i = 0; i < b->n; i++) {
		uint64_t t0 = 0;
		double pct;

		for (j = 0; j < a->n; j++)
			if (a->t[j].tid == b->t[i].tid)
				t0 = a->t[j].ticks;
		pct = 100.0 * (double)(b->t[i].ticks - t0) / hz / s;
		if (b->t[i].tid == tid)
			of_tid = pct;
		if (pct < 1 || used >= len)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%s %.0f%%", used ? ", " : "",
					 b->t[i].name, pct);
	}
	return of_tid;
}

/* The 1-minute load average: other programs on the 2 CPUs bias every figure. */
static double
loadavg(void)
{
	double l = -1;
	FILE *fp = fopen("/proc/loadavg", "r");

	if (fp != NULL) {
		if (fscanf(fp, "%lf", &l) != 1)
			l = -1;
		fclose(fp);
	}
	return l;
}

/* ---------------------------------------------------------------------------------------- */
/* One measurement                                                                            */

struct config {
	char name[32];
	unsigned int pct;
	uint32_t pin_rate;
	/* per round */
	double mpps[MAX_ROUNDS], setup[MAX_ROUNDS], pin[MAX_ROUNDS], limited[MAX_ROUNDS];
	double bufdrop[MAX_ROUNDS], rel50[MAX_ROUNDS], rel99[MAX_ROUNDS];
	double e2e50[MAX_ROUNDS], e2e99[MAX_ROUNDS], set50[MAX_ROUNDS], set99[MAX_ROUNDS];
	double cap[MAX_ROUNDS];
};

struct result {
	double pps, cap_pps, setup_ps, pin_ps, limited_ps, bufdrop_ps;
	double rel50_us, rel99_us, e2e50_us, e2e99_us, set50_us, set99_us;
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Percentile of n TSC samples, in us (sorts them); 0 for none. */
static double
pct_us(uint64_t *v, unsigned int n, double pct)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[(unsigned int)((double)(n - 1) * pct)] * 1e6 / (double)rte_get_tsc_hz();
}

static int disp_tid; /* atomic */

static int
run_dispatcher(void *arg)
{
	__atomic_store_n(&disp_tid, (int)gettid(), __ATOMIC_RELAXED);
	return sdnfv_mgr_run(arg);
}

static uint64_t
drops_sum(const struct sdnfv_mgr_stats *st)
{
	uint64_t d = 0;
	unsigned int i;

	for (i = 0; i < SDNFV_MGR_DROP__MAX; i++)
		d += st->drops[i];
	return d;
}

struct rig {
	struct rte_ring *rx_in, *tx_in, *rx_out, *tx_out;
	struct rte_mempool *pool;
	int in, out;
};

static struct rte_ring *
ring_new(const char *what, unsigned int size)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "bofp%u_%s", seq, what);
	return rte_ring_create(name, size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

static int
rig_create(struct rig *g)
{
	char name[64];

	memset(g, 0, sizeof(*g));
	g->in = g->out = -1;
	seq++;
	g->rx_in = ring_new("rxi", RING_SIZE);
	g->tx_in = ring_new("txi", 1024);
	g->rx_out = ring_new("rxo", 1024);
	g->tx_out = ring_new("txo", RING_SIZE);
	snprintf(name, sizeof(name), "bofp%u_pool", seq);
	g->pool = rte_pktmbuf_pool_create(name, POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	if (g->rx_in == NULL || g->tx_in == NULL || g->rx_out == NULL || g->tx_out == NULL ||
	    g->pool == NULL) {
		fprintf(stderr, "bench_ofp: rings or pool: %s\n", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "bofp%u_in", seq);
	g->in = rte_eth_from_rings(name, &g->rx_in, 1, &g->tx_in, 1, (unsigned int)rte_socket_id());
	snprintf(name, sizeof(name), "bofp%u_out", seq);
	g->out = rte_eth_from_rings(name, &g->rx_out, 1, &g->tx_out, 1,
				    (unsigned int)rte_socket_id());
	if (g->in < 0 || g->out < 0) {
		fprintf(stderr, "bench_ofp: rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
		return -ENODEV;
	}
	return 0;
}

/* After the manager is gone (it closed the ports). */
static void
rig_free(struct rig *g)
{
	struct rte_ring *rings[4] = { g->rx_in, g->tx_in, g->rx_out, g->tx_out };
	void *m;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		while (rings[i] != NULL && rte_ring_dequeue(rings[i], &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rings[i]);
	}
	rte_mempool_free(g->pool);
	memset(g, 0, sizeof(*g));
}

static int
measure(const struct config *cfg, unsigned int round, struct result *res)
{
	struct sdnfv_mgr_params mp = { .sz = sizeof(mp) };
	struct sdnfv_ofp_params op = { .sz = sizeof(op) };
	struct sdnfv_ofp_stats o0, o1;
	struct sdnfv_mgr_stats s0, s1;
	struct cpu_snap c0, c1;
	struct sdnfv_mgr *mgr = NULL;
	struct sdnfv_ofp *agent = NULL;
	struct feeder f = { 0 };
	struct ctl ctl = { .lfd = -1, .fd = -1 };
	struct rig g;
	char target[64], err[256], cpu[512];
	uint64_t hz = rte_get_tsc_hz(), t0, t1, deadline, fed_new0, out_new0, out0, fed0;
	uint64_t pin0, unbuf0, errs0;
	bool launched = false;
	double s, disp_cpu;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = rig_create(&g);
	if (ret < 0)
		goto out;
	mp.pool_size = 4095; /* the ring ports take no mbufs from it */
	mp.max_nfs = 4;
	mp.max_services = 4;
	mp.max_chains = 16;
	mp.max_rules = MAX_RULES;
	ret = sdnfv_mgr_create(&mp, &mgr);
	if (ret < 0) {
		fprintf(stderr, "bench_ofp: sdnfv_mgr_create: %s\n", strerror(-ret));
		goto out;
	}
	if ((ret = sdnfv_mgr_port_add(mgr, (uint16_t)g.in)) < 0 ||
	    (ret = sdnfv_mgr_port_add(mgr, (uint16_t)g.out)) < 0) {
		fprintf(stderr, "bench_ofp: sdnfv_mgr_port_add: %s\n", strerror(-ret));
		goto out;
	}
	/* OpenFlow port = DPDK port + 1 (ofp.h). */
	ret = ctl_start(&ctl, (uint32_t)g.in + 1, (uint32_t)g.out + 1);
	if (ret < 0)
		goto out;
	snprintf(target, sizeof(target), "tcp:127.0.0.1:%u", ctl.tcp_port);
	op.targets[0] = target;
	op.fail_mode = SDNFV_OFP_FAIL_SECURE;
	op.packet_in_rate = cfg->pin_rate;
	ret = sdnfv_ofp_create(mgr, &op, &agent, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "bench_ofp: sdnfv_ofp_create: %s\n", err);
		goto out;
	}
	ret = rte_eal_remote_launch(run_dispatcher, mgr, DISP_LCORE);
	if (ret < 0) {
		fprintf(stderr, "bench_ofp: cannot launch the dispatcher: %s\n", strerror(-ret));
		goto out;
	}
	launched = true;
	/* The controller installed the working set (its BARRIER came back) and the agent sends
	 * table misses to it. */
	deadline = rte_get_tsc_cycles() + 20 * hz;
	do {
		sleep_ns(1000000);
		ret = __atomic_load_n(&ctl.ready, __ATOMIC_ACQUIRE);
		sdnfv_ofp_stats(agent, &o0);
	} while ((ret == 0 || o0.connections == 0) && rte_get_tsc_cycles() < deadline);
	if (ret != 1 || o0.connections == 0) {
		fprintf(stderr,
			"bench_ofp: the controller did not get ready (%d, %u connections)\n", ret,
			o0.connections);
		ret = -ETIMEDOUT;
		goto out;
	}

	f.rx = g.rx_in;
	f.tx = g.tx_out;
	f.pool = g.pool;
	f.ctl = &ctl;
	f.pct = cfg->pct;
	f.spare = calloc(POOL_SIZE + 256, sizeof(*f.spare));
	f.setup = malloc(LAT_MAX * sizeof(*f.setup));
	f.e2e = malloc(LAT_MAX * sizeof(*f.e2e));
	if (f.spare == NULL || f.setup == NULL || f.e2e == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	feed_until(&f, rte_get_tsc_cycles() + (uint64_t)(warm * (double)hz));

	fed0 = f.fed;
	fed_new0 = f.fed_new;
	out0 = f.out;
	out_new0 = f.out_new;
	pin0 = ctl_read(&ctl.packet_in);
	unbuf0 = ctl_read(&ctl.pin_unbuffered);
	errs0 = ctl_read(&ctl.errors);
	sdnfv_mgr_stats(mgr, &s0);
	sdnfv_ofp_stats(agent, &o0);
	cpu_snap(&c0);
	f.record = true;
	t0 = rte_get_tsc_cycles();
	feed_until(&f, t0 + (uint64_t)(secs * (double)hz));
	t1 = rte_get_tsc_cycles();
	f.record = false;
	cpu_snap(&c1);
	sdnfv_mgr_stats(mgr, &s1);
	sdnfv_ofp_stats(agent, &o1);

	s = (double)(t1 - t0) / (double)hz;
	res->pps = (double)(f.out - out0) / s;
	/* The dispatcher's capacity: packets it took in over the time it spent moving packets.
	 * Throughput is also bounded by the feeder, which shares CPU 0 with the agent and the
	 * controller (a two-core machine); capacity is not. */
	res->cap_pps = s1.busy_cycles > s0.busy_cycles
			       ? (double)(s1.rx - s0.rx) * (double)hz /
					 (double)(s1.busy_cycles - s0.busy_cycles)
			       : 0;
	res->setup_ps = (double)(f.out_new - out_new0) / s;
	res->pin_ps = (double)(o1.packet_in - o0.packet_in) / s;
	res->limited_ps = (double)(o1.packet_in_limited - o0.packet_in_limited) / s;
	res->bufdrop_ps = (double)(o1.buffer_dropped - o0.buffer_dropped) / s;
	res->rel50_us = (double)o1.release_p50_ns / 1e3;
	res->rel99_us = (double)o1.release_p99_ns / 1e3;
	res->e2e50_us = pct_us(f.e2e, f.n_e2e, 0.50);
	res->e2e99_us = pct_us(f.e2e, f.n_e2e, 0.99);
	res->set50_us = pct_us(f.setup, f.n_setup, 0.50);
	res->set99_us = pct_us(f.setup, f.n_setup, 0.99);
	disp_cpu = cpu_report(&c0, &c1, s, __atomic_load_n(&disp_tid, __ATOMIC_RELAXED), cpu,
			      sizeof(cpu));
	printf("# round %u %s: %.3f Mpps out (fed %.3f Mpps; dispatcher capacity %.3f Mpps); new "
	       "flows fed %.0f/s, out %.0f/s; manager rx %" PRIu64 " tx %" PRIu64
	       " dropped %" PRIu64 "\n",
	       round, cfg->name, res->pps / 1e6, (double)(f.fed - fed0) / s / 1e6,
	       res->cap_pps / 1e6, (double)(f.fed_new - fed_new0) / s, res->setup_ps, s1.rx - s0.rx,
	       s1.tx - s0.tx, drops_sum(&s1) - drops_sum(&s0));
	printf("#   agent: packet_in %" PRIu64 " limited %" PRIu64 " flow_mods %" PRIu64
	       " buffered %" PRIu64 " released %" PRIu64 " buffer_dropped %" PRIu64
	       " errors_tx %" PRIu64 "; controller: packet_in %" PRIu64 " unbuffered %" PRIu64
	       " errors %" PRIu64 "\n",
	       o1.packet_in - o0.packet_in, o1.packet_in_limited - o0.packet_in_limited,
	       o1.flow_mods - o0.flow_mods, o1.buffered - o0.buffered,
	       o1.buffer_released - o0.buffer_released, o1.buffer_dropped - o0.buffer_dropped,
	       o1.errors_tx - o0.errors_tx, ctl_read(&ctl.packet_in) - pin0,
	       ctl_read(&ctl.pin_unbuffered) - unbuf0, ctl_read(&ctl.errors) - errs0);
	if (cfg->pct > 0)
		printf("#   latency us p50/p99: release (agent) %.1f/%.1f, flowmod_to_tx %.1f/%.1f, "
		       "flow_setup %.1f/%.1f (%u samples)\n",
		       res->rel50_us, res->rel99_us, res->e2e50_us, res->e2e99_us, res->set50_us,
		       res->set99_us, f.n_setup);
	{
		unsigned int i;

		printf("#   drops:");
		for (i = 0; i < SDNFV_MGR_DROP__MAX; i++)
			if (s1.drops[i] != s0.drops[i])
				printf(" %s %" PRIu64, sdnfv_mgr_drop_name(i),
				       s1.drops[i] - s0.drops[i]);
		printf("; feeder: rx ring empty %" PRIu64 " times, %" PRIu64 " sleeps\n", f.starved,
		       f.sleeps);
	}
	printf("#   cpu: %s; load average %.2f\n", cpu, loadavg());
	if (disp_cpu < 90)
		printf("#   WARNING: the dispatcher ran only %.0f%% of the window (it polls: 100%% "
		       "when alone on CPU 1): other programs took its CPU, figures are low\n",
		       disp_cpu);
	fflush(stdout);
	ret = 0;
out:
	if (launched) {
		sdnfv_mgr_stop(mgr);
		/* The dispatcher carries what is inside the host to its end: keep draining. */
		while (rte_eal_get_lcore_state(DISP_LCORE) == RUNNING) {
			struct rte_mbuf *pkts[256];
			unsigned int n = rte_ring_sc_dequeue_burst(g.tx_out, (void **)pkts,
								   RTE_DIM(pkts), NULL);

			rte_pktmbuf_free_bulk(pkts, n);
			sleep_ns(100000);
		}
		rte_eal_wait_lcore(DISP_LCORE);
	}
	/* The agent closing the connection is no news to a controller told to stop. */
	__atomic_store_n(&ctl.stop, 1, __ATOMIC_RELEASE);
	sdnfv_ofp_free(agent);
	ctl_stop(&ctl);
	sdnfv_mgr_free(mgr);
	while (f.n_spare > 0)
		rte_pktmbuf_free(f.spare[--f.n_spare]);
	free(f.spare);
	free(f.setup);
	free(f.e2e);
	rig_free(&g);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */

static double
med(double *v)
{
	return bench_median(v, rounds);
}

int
main(int argc, char **argv)
{
	static const char *const extra[] = { "--log-level=lib.sdnfv.*:warning", NULL };
	/* The main lcore (feeder, and the control threads: the agent, the manager's, the
	 * controller) on CPU 0; the dispatcher alone on CPU 1. */
	struct sdnfv_test_eal eo = { .lcores = "0@0,1@1",
				     .multi_process = true,
				     .extra_args = extra };
	struct config cfg[] = {
		{ .name = "newflow0", .pct = 0, .pin_rate = 100000000 },
		{ .name = "newflow1", .pct = 1, .pin_rate = 100000000 },
		{ .name = "newflow10", .pct = 10, .pin_rate = 100000000 },
		{ .name = "newflow10_pinlimit100k", .pct = 10, .pin_rate = 0 },
	};
	const unsigned int n_cfg = RTE_DIM(cfg);
	const char *only = NULL;
	unsigned int r, i;
	int ret = 0, a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			rounds = 1;
			secs = 0.3;
			warm = 0.3;
		} else if (strcmp(argv[a], "--only") == 0 && a + 1 < argc) {
			only = argv[++a];
		} else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc) {
			rounds = (unsigned int)atoi(argv[++a]);
		} else if (strcmp(argv[a], "--secs") == 0 && a + 1 < argc) {
			secs = atof(argv[++a]);
		} else if (strcmp(argv[a], "--warm") == 0 && a + 1 < argc) {
			warm = atof(argv[++a]);
		} else if (strcmp(argv[a], "--dump") == 0 && a + 1 < argc) {
			dump = fopen(argv[++a], "w");
			if (dump == NULL) {
				perror("bench_ofp: --dump");
				return 2;
			}
		} else {
			fprintf(stderr,
				"usage: %s [--quick] [--only NAME] [--rounds N] [--secs S] "
				"[--warm S] [--dump FILE]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || !(secs > 0) || !(warm >= 0)) {
		fprintf(stderr, "bench_ofp: 1 to %d rounds, secs > 0, warm >= 0\n", MAX_ROUNDS);
		return 2;
	}
	for (i = 0; i < WSET; i++)
		build_frame(ws_frames[i], false, i);
	/* The feeder's naps of 20 us should last about that. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	if (sdnfv_test_eal_init(&eo) < 0) {
		fprintf(stderr, "bench_ofp: EAL init failed\n");
		return 1;
	}
	printf("# %u rounds of %.1f s after %.1f s of warm-up, medians; %d-byte UDP frames; "
	       "%d established flows; new-flow rules idle %d s; TSC %.2f GHz\n",
	       rounds, secs, warm, FRAME_LEN, WSET, NEW_IDLE_S, (double)rte_get_tsc_hz() / 1e9);
	fflush(stdout);
	for (r = 0; r < rounds && ret == 0; r++)
		for (i = 0; i < n_cfg && ret == 0; i++) {
			struct result res;

			if (only != NULL && strcmp(only, cfg[i].name) != 0)
				continue;
			ret = measure(&cfg[i], r + 1, &res);
			if (ret < 0) {
				fprintf(stderr, "bench_ofp: %s failed: %s\n", cfg[i].name,
					strerror(-ret));
				break;
			}
			cfg[i].mpps[r] = res.pps / 1e6;
			cfg[i].cap[r] = res.cap_pps / 1e6;
			cfg[i].setup[r] = res.setup_ps;
			cfg[i].pin[r] = res.pin_ps;
			cfg[i].limited[r] = res.limited_ps;
			cfg[i].bufdrop[r] = res.bufdrop_ps;
			cfg[i].rel50[r] = res.rel50_us;
			cfg[i].rel99[r] = res.rel99_us;
			cfg[i].e2e50[r] = res.e2e50_us;
			cfg[i].e2e99[r] = res.e2e99_us;
			cfg[i].set50[r] = res.set50_us;
			cfg[i].set99[r] = res.set99_us;
		}
	if (ret == 0 && only == NULL) {
		double m0;

		for (i = 0; i < n_cfg; i++) {
			struct config *c = &cfg[i];

			printf("bench: %s %.3f Mpps\n", c->name, med(c->mpps));
			printf("bench: %s_capacity %.3f Mpps\n", c->name, med(c->cap));
			if (c->pct == 0)
				continue;
			printf("bench: %s_setup %.0f flows/s\n", c->name, med(c->setup));
			printf("bench: %s_packet_in %.0f /s\n", c->name, med(c->pin));
			printf("bench: %s_packet_in_limited %.0f /s\n", c->name, med(c->limited));
			printf("bench: %s_buffer_drops %.0f /s\n", c->name, med(c->bufdrop));
		}
		m0 = med(cfg[0].mpps);
		printf("bench: newflow1 ratio %.3f vs newflow0\n", med(cfg[1].mpps) / m0);
		printf("bench: newflow10 ratio %.3f vs newflow0\n", med(cfg[2].mpps) / m0);
		printf("bench: newflow1_capacity ratio %.3f vs newflow0_capacity\n",
		       med(cfg[1].cap) / med(cfg[0].cap));
		printf("bench: newflow10_capacity ratio %.3f vs newflow0_capacity\n",
		       med(cfg[2].cap) / med(cfg[0].cap));
		printf("bench: rule_install_p50 %.1f us\n", med(cfg[2].rel50));
		printf("bench: rule_install_p99 %.1f us\n", med(cfg[2].rel99));
		printf("bench: rule_install_newflow1_p50 %.1f us\n", med(cfg[1].rel50));
		printf("bench: rule_install_newflow1_p99 %.1f us\n", med(cfg[1].rel99));
		printf("bench: flowmod_to_tx_p50 %.1f us\n", med(cfg[2].e2e50));
		printf("bench: flowmod_to_tx_p99 %.1f us\n", med(cfg[2].e2e99));
		printf("bench: flow_setup_p50 %.1f us\n", med(cfg[2].set50));
		printf("bench: flow_setup_p99 %.1f us\n", med(cfg[2].set99));
		printf("# targets (issue 6): newflow10 ratio >= %.3f (newflow10 >= newflow0 / 1.5); "
		       "rule_install_p99 <= 100 us\n",
		       1 / 1.5);
	}
	sdnfv_test_eal_cleanup();
	if (dump != NULL)
		fclose(dump);
	return ret == 0 ? 0 : 1;
}
