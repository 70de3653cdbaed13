/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the monitor NF's logic: crafted frames, a fake clock, no EAL. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "monitor.h"

#define T0 1700000000000ull /* a wall-clock time in ms */

/* ---------------------------------------------------------------------------------------- */
/* Frames                                                                                     */

struct frame {
	uint8_t b[256];
	uint32_t len;
};

/* Ethernet + IPv4 + TCP/UDP with `payload` bytes; `pad` extra bytes after the datagram. */
static struct frame
v4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t tcp_flags,
   unsigned int payload, unsigned int pad)
{
	struct frame f;
	uint8_t *ip = f.b + 14, *l4 = ip + 20;
	unsigned int l4len = proto == 6 ? 20 : 8, tot = 20 + l4len + payload;

	memset(&f, 0, sizeof(f));
	f.b[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = proto;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	if (proto == 6) {
		l4[12] = 0x50;
		l4[13] = tcp_flags;
	} else {
		l4[4] = (uint8_t)((8 + payload) >> 8);
		l4[5] = (uint8_t)(8 + payload);
	}
	f.len = 14 + tot + pad;
	return f;
}

static struct frame
v6(uint8_t src_last, uint8_t dst_last, uint16_t sport, uint16_t dport, unsigned int payload)
{
	struct frame f;
	uint8_t *ip = f.b + 14, *l4 = ip + 40;
	unsigned int plen = 8 + payload;

	memset(&f, 0, sizeof(f));
	f.b[12] = 0x86;
	f.b[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = 17;
	ip[7] = 64;
	ip[8] = 0x20;
	ip[9] = 0x01;
	ip[10] = 0x0d;
	ip[11] = 0xb8;
	ip[23] = src_last;
	memcpy(ip + 24, ip + 8, 15);
	ip[39] = dst_last;
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	l4[4] = (uint8_t)(plen >> 8);
	l4[5] = (uint8_t)plen;
	f.len = 14 + 40 + plen;
	return f;
}

/* ---------------------------------------------------------------------------------------- */
/* A collector: the test's own IPFIX decoder, independent of the monitor's                      */

#define MAX_RECS 20000

struct sink {
	struct monitor_record recs[MAX_RECS];
	unsigned int n_recs, n_msgs, n_templates;
	uint32_t next_seq; /* what the next message's sequence number must be */
	bool seq_ok, len_ok;
};

static uint64_t
rd(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static void
tap(void *arg, const uint8_t *msg, size_t len)
{
	struct sink *s = arg;
	size_t off = 16;
	unsigned int recs = 0;

	if (s->n_msgs == 0)
		s->seq_ok = s->len_ok = true;
	s->n_msgs++;
	if (len > MONITOR_MSG_MAX || rd(msg, 2) != 10 || rd(msg + 2, 2) != len)
		s->len_ok = false;
	if (rd(msg + 8, 4) != s->next_seq)
		s->seq_ok = false;
	while (off + 4 <= len) {
		unsigned int sid = (unsigned int)rd(msg + off, 2),
			     slen = (unsigned int)rd(msg + off + 2, 2);
		unsigned int alen = sid == 257 ? 16 : 4, size = 2 * alen + 40, r;

		cr_assert(slen >= 4 && off + slen <= len, "set length %u at %zu of %zu", slen, off,
			  len);
		if (sid == 2)
			s->n_templates++;
		for (r = 4; (sid == 256 || sid == 257) && r + size <= slen; r += size) {
			const uint8_t *p = msg + off + r;
			struct monitor_record *x = &s->recs[s->n_recs++];

			cr_assert(s->n_recs < MAX_RECS);
			memset(x, 0, sizeof(*x));
			x->key.family = sid == 257 ? 6 : 4;
			memcpy(&x->key.src, p, alen);
			memcpy(&x->key.dst, p + alen, alen);
			p += 2 * alen;
			memcpy(&x->key.sport, p, 2);
			memcpy(&x->key.dport, p + 2, 2);
			x->key.proto = p[4];
			x->packets = rd(p + 5, 8);
			x->bytes = rd(p + 13, 8);
			x->start_ms = rd(p + 21, 8);
			x->end_ms = rd(p + 29, 8);
			x->tcp_flags = (uint16_t)rd(p + 37, 2);
			x->reason = p[39];
			recs++;
		}
		if (sid == 256 || sid == 257)
			cr_assert_eq((slen - 4) % size, 0, "no padding: set of whole records");
		off += slen;
	}
	cr_assert_eq(off, len, "sets fill the message");
	s->next_seq += recs;
}

static struct monitor *
make(struct monitor_cfg *cfg, struct sink *s)
{
	char err[256];
	struct monitor *mon = monitor_create(cfg, T0, err, sizeof(err));

	cr_assert_not_null(mon, "%s", err);
	memset(s, 0, sizeof(*s));
	monitor_set_tap(mon, tap, s);
	return mon;
}

static struct monitor_cfg
cfg_default(void)
{
	struct monitor_cfg c;

	monitor_cfg_defaults(&c);
	return c;
}

static void
feed(struct monitor *mon, struct frame f, uint64_t t)
{
	cr_assert_eq(monitor_packet(mon, f.b, f.len, t), 0);
}

/* The records of a key (both from the sink). */
static unsigned int
find(const struct sink *s, uint32_t src, uint16_t sport, const struct monitor_record **out,
     unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < s->n_recs; i++)
		if (s->recs[i].key.src.v4 == htonl(src) && ntohs(s->recs[i].key.sport) == sport &&
		    n < max)
			out[n++] = &s->recs[i];
	return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Accounting                                                                                 */

Test(monitor, counts_packets_and_l3_bytes_per_flow_not_frame_padding)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon = make(&cfg, &s);
	const struct monitor_record *r[4];

	/* 20 + 8 + 2 = 30 L3 bytes in a 60-byte frame: the 16 bytes of padding do not count. */
	feed(mon, v4(0x0a000001, 0x0a000002, 17, 1000, 53, 0, 2, 16), T0 + 5);
	feed(mon, v4(0x0a000001, 0x0a000002, 17, 1000, 53, 0, 100, 0), T0 + 17);
	feed(mon, v4(0x0a000001, 0x0a000002, 17, 1000, 53, 0, 0, 0), T0 + 30);
	feed(mon, v4(0x0a000003, 0x0a000002, 6, 2000, 80, 0x02, 10, 0), T0 + 40);
	cr_assert_eq(monitor_flows_live(mon), 2);
	monitor_finish(mon, T0 + 100);
	cr_assert_eq(s.n_recs, 2);
	cr_assert_eq(find(&s, 0x0a000001, 1000, r, 4), 1);
	cr_assert_eq(r[0]->packets, 3);
	cr_assert_eq(r[0]->bytes, 30 + 128 + 28);
	cr_assert_eq(r[0]->start_ms, T0 + 5);
	cr_assert_eq(r[0]->end_ms, T0 + 30);
	cr_assert_eq(r[0]->reason, MONITOR_END_FORCED);
	cr_assert_eq(r[0]->key.proto, 17);
	cr_assert_eq(ntohs(r[0]->key.dport), 53);
	cr_assert_eq(find(&s, 0x0a000003, 2000, r, 4), 1);
	cr_assert_eq(r[0]->bytes, 50);
	cr_assert_eq(r[0]->tcp_flags, 0x02);
	cr_assert_eq(monitor_counters(mon)->rx, 4);
	cr_assert_eq(monitor_counters(mon)->rx_bytes, 60 + 142 + 42 + 64);
	cr_assert_eq(monitor_counters(mon)->tracked, 4);
	monitor_destroy(mon, T0 + 100);
}

Test(monitor, counts_the_two_directions_as_two_flows)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon = make(&cfg, &s);

	feed(mon, v4(0x0a000001, 0x0a000002, 17, 1000, 53, 0, 0, 0), T0);
	feed(mon, v4(0x0a000002, 0x0a000001, 17, 53, 1000, 0, 0, 0), T0);
	cr_assert_eq(monitor_flows_live(mon), 2);
	cr_assert_eq(monitor_counters(mon)->flows, 2);
	monitor_destroy(mon, T0);
	cr_assert_eq(s.n_recs, 2);
}

Test(monitor, tracks_ipv6_flows_with_their_own_template)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon = make(&cfg, &s);
	struct frame f = v6(1, 2, 5000, 53, 12);

	feed(mon, f, T0);
	feed(mon, f, T0 + 3);
	monitor_finish(mon, T0 + 10);
	cr_assert_eq(s.n_recs, 1);
	cr_assert_eq(s.recs[0].key.family, 6);
	cr_assert_eq(s.recs[0].packets, 2);
	cr_assert_eq(s.recs[0].bytes, 2 * (40 + 8 + 12));
	cr_assert_eq(s.recs[0].key.src.v6[15], 1);
	cr_assert_eq(s.recs[0].key.dst.v6[15], 2);
	cr_assert_eq(s.recs[0].key.src.v6[0], 0x20);
	monitor_destroy(mon, T0);
}

/* ---------------------------------------------------------------------------------------- */
/* Timeouts and flow ends                                                                     */

Test(monitor, ends_a_flow_after_its_idle_timeout_not_before)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon;

	cfg.idle_timeout_ms = 5000;
	mon = make(&cfg, &s);
	feed(mon, v4(1, 2, 17, 1, 2, 0, 0, 0), T0 + 100);
	feed(mon, v4(1, 2, 17, 1, 2, 0, 0, 0), T0 + 2000);
	monitor_flush(mon, T0 + 6999); /* idle 4999 ms */
	cr_assert_eq(s.n_recs, 0);
	cr_assert_eq(monitor_flows_live(mon), 1);
	monitor_flush(mon, T0 + 7000);
	cr_assert_eq(s.n_recs, 1);
	cr_assert_eq(s.recs[0].reason, MONITOR_END_IDLE);
	cr_assert_eq(s.recs[0].packets, 2);
	cr_assert_eq(s.recs[0].start_ms, T0 + 100);
	cr_assert_eq(s.recs[0].end_ms, T0 + 2000);
	cr_assert_eq(monitor_flows_live(mon), 0);
	cr_assert_eq(monitor_counters(mon)->ended_idle, 1);
	/* The same 5-tuple again is a new flow. */
	feed(mon, v4(1, 2, 17, 1, 2, 0, 0, 0), T0 + 8000);
	cr_assert_eq(monitor_counters(mon)->flows, 2);
	monitor_destroy(mon, T0 + 8000);
}

Test(monitor, exports_a_long_flow_at_each_active_timeout_with_the_deltas)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon;
	uint64_t t;

	cfg.active_timeout_ms = 10000;
	cfg.idle_timeout_ms = 3000;
	mon = make(&cfg, &s);
	/* One packet every 500 ms for 25 s: never idle, two active records, then the rest. The
	 * idle handler runs every second: each call then sweeps the whole table. */
	for (t = 0; t < 25000; t += 500) {
		feed(mon, v4(1, 2, 6, 1, 2, t == 0 ? 0x02 : 0x10, 0, 0), T0 + t);
		if (t % 1000 == 0)
			monitor_flush(mon, T0 + t);
	}
	cr_assert_eq(s.n_recs, 2);
	cr_assert_eq(s.recs[0].reason, MONITOR_END_ACTIVE);
	cr_assert_eq(s.recs[0].packets, 21, "packets at 0..10000 ms: %lu", s.recs[0].packets);
	cr_assert_eq(s.recs[0].tcp_flags, 0x12);
	cr_assert_eq(s.recs[1].packets, 20);
	cr_assert_eq(s.recs[1].tcp_flags, 0x10, "flags are per record");
	cr_assert_eq(s.recs[1].start_ms, T0, "the flow's start stays");
	cr_assert_eq(s.recs[1].end_ms, T0 + 20000);
	cr_assert_eq(monitor_flows_live(mon), 1);
	monitor_finish(mon, T0 + 25000);
	cr_assert_eq(s.n_recs, 3);
	cr_assert_eq(s.recs[2].packets, 50 - 41);
	cr_assert_eq(s.recs[2].reason, MONITOR_END_FORCED);
	cr_assert_eq(monitor_counters(mon)->ended_active, 2);
	monitor_destroy(mon, T0);
}

Test(monitor, ends_a_tcp_flow_on_fin_and_on_rst)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon = make(&cfg, &s);
	const struct monitor_record *r[4];

	feed(mon, v4(1, 2, 6, 10, 80, 0x02, 0, 0), T0);
	feed(mon, v4(1, 2, 6, 10, 80, 0x18, 5, 0), T0 + 1);
	feed(mon, v4(1, 2, 6, 10, 80, 0x11, 0, 0), T0 + 2);
	feed(mon, v4(3, 2, 6, 11, 80, 0x02, 0, 0), T0 + 3);
	feed(mon, v4(3, 2, 6, 11, 80, 0x04, 0, 0), T0 + 4);
	cr_assert_eq(monitor_flows_live(mon), 0);
	monitor_flush(mon, T0 + 5);
	cr_assert_eq(s.n_recs, 2);
	cr_assert_eq(find(&s, 1, 10, r, 4), 1);
	cr_assert_eq(r[0]->reason, MONITOR_END_FLOW);
	cr_assert_eq(r[0]->packets, 3);
	cr_assert_eq(r[0]->tcp_flags, 0x02 | 0x18 | 0x11);
	cr_assert_eq(find(&s, 3, 11, r, 4), 1);
	cr_assert_eq(r[0]->reason, MONITOR_END_FLOW);
	cr_assert_eq(r[0]->tcp_flags, 0x06);
	cr_assert_eq(monitor_counters(mon)->ended_flow, 2);
	monitor_destroy(mon, T0);
}

Test(monitor, counts_and_passes_new_flows_when_the_table_is_full)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon;
	struct frame f = v4(9, 2, 17, 9, 2, 0, 0, 0);
	uint32_t i;

	cfg.max_flows = 4;
	mon = make(&cfg, &s);
	for (i = 0; i < 4; i++)
		feed(mon, v4(i, 2, 17, 1, 2, 0, 0, 0), T0);
	cr_assert_eq(monitor_packet(mon, f.b, f.len, T0), -ENOSPC);
	cr_assert_eq(monitor_packet(mon, f.b, f.len, T0), -ENOSPC);
	feed(mon, v4(0, 2, 17, 1, 2, 0, 0, 0), T0); /* a known flow still counts */
	cr_assert_eq(monitor_counters(mon)->table_full, 2);
	cr_assert_eq(monitor_counters(mon)->rx, 7);
	f = v4(7, 2, 6, 1, 2, 0x04, 0, 0);
	cr_assert_eq(monitor_packet(mon, f.b, f.len, T0), -ENOSPC);
	cr_assert_eq(monitor_counters(mon)->table_full, 3);
	/* Flows that end free their places. */
	f = v4(9, 2, 17, 9, 2, 0, 0, 0);
	monitor_flush(mon, T0 + cfg.idle_timeout_ms);
	cr_assert_eq(monitor_flows_live(mon), 0);
	feed(mon, f, T0 + cfg.idle_timeout_ms);
	cr_assert_eq(monitor_flows_live(mon), 1);
	monitor_destroy(mon, T0);
}

Test(monitor, counts_malformed_and_non_ip_frames_without_tracking_them)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon = make(&cfg, &s);
	struct frame f;
	uint8_t arp[60] = { [12] = 0x08, [13] = 0x06 };

	f = v4(1, 2, 6, 1, 2, 0, 0, 0);
	cr_assert_eq(monitor_packet(mon, f.b, 14 + 20 + 10, T0), -EBADMSG); /* TCP cut short */
	f = v4(1, 2, 17, 1, 2, 0, 0, 0);
	f.b[16] = 0x05; /* total length 1280+: longer than the frame */
	cr_assert_eq(monitor_packet(mon, f.b, f.len, T0), -EBADMSG);
	f = v4(1, 2, 17, 1, 2, 0, 0, 0);
	f.b[14] = 0x43; /* IHL 3 */
	cr_assert_eq(monitor_packet(mon, f.b, f.len, T0), -EBADMSG);
	f = v6(1, 2, 1, 2, 0);
	cr_assert_eq(monitor_packet(mon, f.b, 30, T0), -EBADMSG); /* IPv6 header cut short */
	cr_assert_eq(monitor_packet(mon, f.b, 5, T0), -EBADMSG);  /* not even Ethernet */
	cr_assert_eq(monitor_packet(mon, arp, sizeof(arp), T0), -EPROTONOSUPPORT);
	cr_assert_eq(monitor_counters(mon)->malformed, 5);
	cr_assert_eq(monitor_counters(mon)->non_ip, 1);
	cr_assert_eq(monitor_counters(mon)->rx, 6);
	cr_assert_eq(monitor_counters(mon)->tracked, 0);
	cr_assert_eq(monitor_flows_live(mon), 0);
	monitor_destroy(mon, T0);
	cr_assert_eq(s.n_recs, 0);
}

/* Random frames, flows ending at random by RST or by timeout: the records of each 5-tuple add up
 * to the packets and bytes an obviously correct model (a linear list) counted for it. This
 * exercises the table's insertions and backward-shift deletions. */
Test(monitor, records_add_up_to_a_simple_models_totals_under_random_traffic)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	static struct {
		uint32_t src;
		uint16_t port;
		uint64_t packets, bytes;
	} model[64];
	struct monitor *mon;
	unsigned int n_model = 0, i, j, k, top1_checks = 0;
	uint64_t t = T0;

	cfg.max_flows = 40; /* 64 keys into 40 places: the table fills, flows end and come back */
	cfg.idle_timeout_ms = 300;
	mon = make(&cfg, &s);
	srand(7);
	for (i = 0; i < 20000; i++) {
		uint32_t src = (uint32_t)rand() % 8;
		uint16_t port = (uint16_t)(rand() % 8);
		unsigned int payload = (unsigned int)rand() % 50;
		uint8_t flags = rand() % 50 == 0 ? 0x04 : 0x10;
		struct frame f = v4(src, 99, 6, port, 80, flags, payload, 0);

		t += (uint64_t)(rand() % 5);
		if (monitor_packet(mon, f.b, f.len, t) == 0) {
			for (j = 0; j < n_model; j++)
				if (model[j].src == src && model[j].port == port)
					break;
			if (j == n_model) {
				model[n_model].src = src;
				model[n_model].port = port;
				n_model++;
			}
			model[j].packets++;
			model[j].bytes += 40 + payload;
		}
		if (i % 97 == 0)
			monitor_flush(mon, t);
		if (i % 13 == 0) {
			/* The report's top flow, kept without a scan, is as large as a scan finds. */
			struct monitor_record a, b;

			cr_assert_eq(monitor_top1(mon, &a), monitor_top(mon, &b, 1) == 1);
			if (monitor_top(mon, &b, 1) == 1) {
				cr_assert_eq(a.bytes, b.bytes, "packet %u: top %lu bytes, scan %lu",
					     i, a.bytes, b.bytes);
				top1_checks++;
			}
		}
	}
	monitor_finish(mon, t);
	cr_assert_gt(monitor_counters(mon)->table_full, 0);
	cr_assert_gt(monitor_counters(mon)->ended_idle, 0);
	cr_assert_gt(monitor_counters(mon)->ended_flow, 0);
	for (j = 0; j < n_model; j++) {
		uint64_t p = 0, b = 0;

		for (k = 0; k < s.n_recs; k++)
			if (s.recs[k].key.src.v4 == htonl(model[j].src) &&
			    ntohs(s.recs[k].key.sport) == model[j].port) {
				p += s.recs[k].packets;
				b += s.recs[k].bytes;
			}
		cr_assert_eq(p, model[j].packets, "flow %u: %lu packets, model %lu", j, p,
			     model[j].packets);
		cr_assert_eq(b, model[j].bytes);
	}
	cr_assert(s.seq_ok, "sequence numbers count the data records before each message");
	cr_assert(top1_checks > 100);
	cr_assert(s.len_ok, "every message has version 10, its length, and fits %d bytes",
		  MONITOR_MSG_MAX);
	monitor_destroy(mon, t);
}

/* ---------------------------------------------------------------------------------------- */
/* Top flows                                                                                  */

static int
cmp_bytes(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] != y[0] ? (x[0] > y[0] ? -1 : 1) : (x[1] > y[1]) - (x[1] < y[1]);
}

Test(monitor, top_flows_are_the_largest_by_bytes_live_or_ended_in_order)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor_record top[10];
	uint64_t sizes[30][2]; /* bytes, src */
	struct monitor *mon;
	unsigned int i, j, n;

	cfg.top = 5;
	mon = make(&cfg, &s);
	srand(3);
	for (i = 0; i < 30; i++) {
		unsigned int pkts = 1 + (unsigned int)rand() % 5,
			     payload = (unsigned int)rand() % 200;

		sizes[i][0] = 0;
		sizes[i][1] = i;
		for (j = 0; j < pkts; j++) {
			/* Every third flow ends by RST: the top list keeps ended flows too. */
			uint8_t flags = (i % 3 == 0 && j == pkts - 1) ? 0x04 : 0x10;

			feed(mon, v4(i, 99, 6, 1, 80, flags, payload + j, 0), T0 + j);
			sizes[i][0] += 40 + payload + j;
		}
	}
	qsort(sizes, 30, sizeof(sizes[0]), cmp_bytes);
	n = monitor_top(mon, top, 5);
	cr_assert_eq(n, 5);
	for (i = 0; i < 5; i++) {
		cr_assert_eq(top[i].bytes, sizes[i][0], "rank %u: %lu bytes, expected %lu", i,
			     top[i].bytes, sizes[i][0]);
		if (i > 0 && top[i].bytes == top[i - 1].bytes)
			cr_assert_geq(top[i - 1].packets, top[i].packets);
	}
	monitor_destroy(mon, T0);
}

Test(monitor, top_flows_by_packets_when_asked)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor_record top[3];
	struct monitor *mon;
	unsigned int i;

	cfg.top_by_packets = true;
	mon = make(&cfg, &s);
	feed(mon, v4(1, 9, 17, 1, 2, 0, 1000, 0), T0); /* 1 big packet */
	for (i = 0; i < 3; i++)
		feed(mon, v4(2, 9, 17, 1, 2, 0, 0, 0), T0); /* 3 small */
	for (i = 0; i < 2; i++)
		feed(mon, v4(3, 9, 17, 1, 2, 0, 0, 0), T0);
	cr_assert_eq(monitor_top(mon, top, 3), 3);
	cr_assert_eq(top[0].key.src.v4, htonl(2));
	cr_assert_eq(top[1].key.src.v4, htonl(3));
	cr_assert_eq(top[2].key.src.v4, htonl(1));
	monitor_destroy(mon, T0);
}

/* ---------------------------------------------------------------------------------------- */
/* IPFIX encoding, byte by byte                                                               */

Test(monitor, encodes_an_ipv4_record_as_computed_by_hand)
{
	struct monitor_record r = {
		.key = { .sport = htons(1234), .dport = htons(80), .proto = 6, .family = 4 },
		.packets = 3,
		.bytes = 0x0102030405ull,
		.start_ms = 0x18bcfe56800ull, /* 1700000000000 */
		.end_ms = 0x18bcfe56bb8ull,   /* +952 */
		.tcp_flags = 0x1b,
		.reason = 3,
	};
	static const uint8_t want[MONITOR_REC_V4] = {
		10,   0,    0,    1,                            /* sourceIPv4Address */
		192,  168,  1,    2,                            /* destinationIPv4Address */
		0x04, 0xd2,                                     /* sourceTransportPort 1234 */
		0x00, 0x50,                                     /* destinationTransportPort 80 */
		6,                                              /* protocolIdentifier */
		0,    0,    0,    0,    0,    0,    0,    3,    /* packetDeltaCount */
		0,    0,    0,    0x01, 0x02, 0x03, 0x04, 0x05, /* octetDeltaCount */
		0,    0,    0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, /* flowStartMilliseconds */
		0,    0,    0x01, 0x8b, 0xcf, 0xe5, 0x6b, 0xb8, /* flowEndMilliseconds */
		0x00, 0x1b,                                     /* tcpControlBits */
		3,                                              /* flowEndReason: end of flow */
	};
	uint8_t buf[128];

	inet_pton(AF_INET, "10.0.0.1", &r.key.src.v4);
	inet_pton(AF_INET, "192.168.1.2", &r.key.dst.v4);
	cr_assert_eq(monitor_ipfix_record(buf, &r), MONITOR_REC_V4);
	cr_assert_arr_eq(buf, want, sizeof(want));
}

Test(monitor, encodes_an_ipv6_record_as_computed_by_hand)
{
	struct monitor_record r = {
		.key = { .sport = htons(53), .dport = htons(40000), .proto = 17, .family = 6 },
		.packets = 1,
		.bytes = 100,
		.start_ms = 1,
		.end_ms = 2,
		.reason = 1,
	};
	uint8_t want[MONITOR_REC_V6] = { 0 }, buf[128];

	inet_pton(AF_INET6, "2001:db8::1", &r.key.src);
	inet_pton(AF_INET6, "fe80::2", &r.key.dst);
	want[0] = 0x20, want[1] = 0x01, want[2] = 0x0d, want[3] = 0xb8, want[15] = 1;
	want[16] = 0xfe, want[17] = 0x80, want[31] = 2;
	want[32] = 0, want[33] = 53, want[34] = 0x9c, want[35] = 0x40; /* 40000 */
	want[36] = 17;
	want[44] = 1;               /* packets */
	want[52] = 100;             /* octets */
	want[60] = 1, want[68] = 2; /* start, end */
	want[69] = 0, want[70] = 0; /* flags */
	want[71] = 1;               /* idle timeout */
	cr_assert_eq(monitor_ipfix_record(buf, &r), MONITOR_REC_V6);
	cr_assert_arr_eq(buf, want, sizeof(want));
}

Test(monitor, encodes_the_template_set_and_message_header_as_computed_by_hand)
{
	static const uint16_t v4[] = { 2, 100, 256, 11, 8, 4,   12, 4,   7, 2, 11, 2,   4,
				       1, 2,   8,   1,  8, 152, 8,  153, 8, 6, 2,  136, 1 };
	static const uint16_t v6[] = { 257, 11, 27, 16, 28,  16, 7,   2, 11, 2, 4,   1,
				       2,   8,  1,  8,  152, 8,  153, 8, 6,  2, 136, 1 };
	static const uint8_t hdr[16] = { 0, 10, 0x05, 0xdc, 0x65, 0x53, 0xf1, 0x00,
					 0, 0,  0x01, 0x00, 0xde, 0xad, 0xbe, 0xef };
	uint8_t buf[256], want[100];
	unsigned int i;

	for (i = 0; i < RTE_DIM(v4); i++) {
		want[2 * i] = (uint8_t)(v4[i] >> 8);
		want[2 * i + 1] = (uint8_t)v4[i];
	}
	for (i = 0; i < RTE_DIM(v6); i++) {
		want[52 + 2 * i] = (uint8_t)(v6[i] >> 8);
		want[52 + 2 * i + 1] = (uint8_t)v6[i];
	}
	cr_assert_eq(monitor_ipfix_templates(buf), 100);
	cr_assert_arr_eq(buf, want, 100);
	/* length 1500, export time 1700000000 s, sequence 256, domain 0xdeadbeef */
	cr_assert_eq(monitor_ipfix_header(buf, 1500, 1700000000u, 256, 0xdeadbeef), 16);
	cr_assert_arr_eq(buf, hdr, 16);
}

Test(monitor, sends_templates_first_and_again_after_the_refresh_period)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon;

	cfg.template_refresh_ms = 2000;
	mon = make(&cfg, &s);
	monitor_flush(mon, T0);
	cr_assert_eq(s.n_msgs, 1);
	cr_assert_eq(s.n_templates, 1);
	feed(mon, v4(1, 2, 17, 1, 2, 0, 0, 0), T0 + 1);
	monitor_flush(mon, T0 + 1999);
	cr_assert_eq(s.n_templates, 1);
	monitor_flush(mon, T0 + 2000);
	cr_assert_eq(s.n_templates, 2);
	monitor_destroy(mon, T0 + 2000);
	cr_assert_eq(s.n_recs, 1);
	cr_assert(s.seq_ok);
}

/* ---------------------------------------------------------------------------------------- */
/* Files and reports                                                                          */

static unsigned int
count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned int n = 0;
	int c;

	cr_assert_not_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

Test(monitor, writes_the_ipfix_file_as_the_messages_back_to_back_and_a_csv_row_per_record)
{
	struct monitor_cfg cfg = cfg_default();
	char dir[] = "/tmp/monitor-test-XXXXXX", err[256];
	static struct sink s;
	struct monitor *mon;
	FILE *f;
	long size;
	unsigned int i;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(cfg.records, sizeof(cfg.records), "%s/r.ipfix", dir);
	snprintf(cfg.csv, sizeof(cfg.csv), "%s/r.csv", dir);
	mon = monitor_create(&cfg, T0, err, sizeof(err));
	cr_assert_not_null(mon, "%s", err);
	memset(&s, 0, sizeof(s));
	monitor_set_tap(mon, tap, &s);
	for (i = 0; i < 100; i++)
		feed(mon, v4(i, 2, 17, 1, 2, 0, i, 0), T0);
	for (i = 0; i < 7; i++)
		feed(mon, v6((uint8_t)i, 2, 1, 2, 0), T0);
	monitor_destroy(mon, T0 + 1);
	cr_assert_eq(s.n_recs, 107);
	cr_assert_gt(s.n_msgs, 3, "100 IPv4 records need more than one message");
	f = fopen(cfg.records, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	/* 116 = header + template set; each data message: header + set header + records. */
	cr_assert_eq(size, 116 + (s.n_msgs - 1) * 20 + 100 * MONITOR_REC_V4 + 7 * MONITOR_REC_V6);
	cr_assert_eq(count_lines(cfg.csv), 1 + 107);
	unlink(cfg.records);
	unlink(cfg.csv);
	rmdir(dir);
}

Test(monitor, reports_rates_and_the_top_flow_in_at_most_127_bytes)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink s;
	struct monitor *mon = make(&cfg, &s);
	char text[200];
	struct frame f = v6(0xff, 0xee, 65535, 65535, 0);
	int n, i;

	memset(f.b + 14 + 8, 0xfe, 15); /* the longest IPv6 addresses */
	memset(f.b + 14 + 24, 0xfd, 15);
	n = monitor_report_text(mon, T0, text, sizeof(text));
	cr_assert_str_eq(text, "pps 0 bps 0 flows 0");
	for (i = 0; i < 100; i++)
		feed(mon, v4(0x0a000001, 0x0a000002, 17, 1234, 80, 0, 0, 0), T0 + 10);
	n = monitor_report_text(mon, T0 + 500, text, sizeof(text));
	cr_assert_eq(n, (int)strlen(text));
	/* 100 packets of 42 bytes in 500 ms */
	cr_assert_str_eq(text, "pps 200 bps 67200 flows 1 top 10.0.0.1:1234>10.0.0.2:80/17");
	for (i = 0; i < 2000; i++)
		feed(mon, f, T0 + 600);
	n = monitor_report_text(mon, T0 + 1500, text, sizeof(text));
	cr_assert_leq(n, 127);
	cr_assert_str_eq(text, "pps 2000 bps 992000 flows 2",
			 "an IPv6 top flow too long is left out");
	monitor_destroy(mon, T0);
}

/* ---------------------------------------------------------------------------------------- */
/* Configuration                                                                              */

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(monitor, loads_every_keyword_of_a_config_file)
{
	struct monitor_cfg cfg = cfg_default();
	char path[] = "/tmp/monitor-cfg-XXXXXX", err[256];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	write_file(path, "# a comment\n\n  collector [::1]:9995   # trailing comment\n"
			 "records /tmp/x.ipfix\ncsv /tmp/x.csv\nactive-timeout 120\n"
			 "idle-timeout 500ms\ntemplate-refresh 30s\nmax-flows 1000\ntop 3\n"
			 "top-by packets\ndomain 42\n");
	cr_assert_eq(monitor_cfg_load(&cfg, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.collector, "[::1]:9995");
	cr_assert_str_eq(cfg.records, "/tmp/x.ipfix");
	cr_assert_str_eq(cfg.csv, "/tmp/x.csv");
	cr_assert_eq(cfg.active_timeout_ms, 120000);
	cr_assert_eq(cfg.idle_timeout_ms, 500);
	cr_assert_eq(cfg.template_refresh_ms, 30000);
	cr_assert_eq(cfg.max_flows, 1000);
	cr_assert_eq(cfg.top, 3);
	cr_assert(cfg.top_by_packets);
	cr_assert_eq(cfg.domain, 42);
	unlink(path);
}

Test(monitor, refuses_a_malformed_config_line_with_its_line_number)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "top 5\nidle-timeout soon\n", ":2: idle-timeout: 'soon' is not a duration" },
		{ "\n\n# x\nmax-flows 0\n", ":4: max-flows: '0' is not a number" },
		{ "collector host:99999\n", ":1: collector: 'host:99999' is not HOST[:PORT]" },
		{ "top 5\ntop-n 3\n", ":2: unknown keyword 'top-n'" },
		{ "domain\n", ":1: 'domain' needs a value" },
		{ "top 101\n", ":1: top: '101' is not a number from 0 to 100" },
		{ "active-timeout 5 s\n", ":1: active-timeout: '5 s' is not a duration" },
		{ "domain -1\n", ":1: domain: '-1' is not a number" },
		{ "top-by flows\n", ":1: top-by: 'flows' is not bytes or packets" },
	};
	char path[] = "/tmp/monitor-cfg-XXXXXX", err[512], want[512];
	int fd = mkstemp(path);
	unsigned int i;

	cr_assert_geq(fd, 0);
	close(fd);
	for (i = 0; i < RTE_DIM(cases); i++) {
		struct monitor_cfg cfg = cfg_default();

		write_file(path, cases[i].text);
		cr_assert_eq(monitor_cfg_load(&cfg, path, err, sizeof(err)), -EINVAL, "case %u", i);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].want);
		cr_assert_eq(strncmp(err, want, strlen(want)), 0, "got '%s', want '%s...'", err,
			     want);
	}
	unlink(path);
	cr_assert_lt(monitor_cfg_load(&(struct monitor_cfg){ 0 }, "/nonexistent/m.conf", err,
				      sizeof(err)),
		     0);
}

Test(monitor, refuses_a_collector_it_cannot_resolve)
{
	struct monitor_cfg cfg = cfg_default();
	char err[256];

	strcpy(cfg.collector, "no-such-host.invalid:4739");
	cr_assert_null(monitor_create(&cfg, T0, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "no-such-host.invalid"), "%s", err);
}

/* The burst path (two passes) counts exactly as packet by packet does. */
Test(monitor, counts_a_burst_exactly_as_packet_by_packet)
{
	struct monitor_cfg cfg = cfg_default();
	static struct sink a, b;
	static struct frame frames[32];
	struct monitor *one, *burst;
	unsigned int round, i;
	uint64_t t = T0;

	cfg.max_flows = 30; /* 48 keys: the table fills */
	one = make(&cfg, &a);
	burst = make(&cfg, &b);
	srand(11);
	for (round = 0; round < 300; round++) {
		const uint8_t *data[32];
		struct sdnfv_pkt_info info[32];
		int ret[32];
		uint32_t len[32];
		unsigned int n = 1 + (unsigned int)rand() % 32;

		t += 3;
		for (i = 0; i < n; i++) {
			uint8_t flags = rand() % 20 == 0 ? 0x01 : 0x10;

			frames[i] = rand() % 4 == 0
					    ? v6((uint8_t)(rand() % 8), 1, 1, 2, 3)
					    : v4((uint32_t)rand() % 40, 1, 6, 7, 8, flags, 1, 0);
			if (rand() % 30 == 0)
				frames[i].len = 20; /* malformed */
			data[i] = frames[i].b;
			len[i] = frames[i].len;
			ret[i] = sdnfv_pkt_parse(data[i], len[i], &info[i]);
			monitor_packet(one, frames[i].b, frames[i].len, t);
		}
		monitor_burst(burst, data, info, ret, len, n, t);
		if (round % 50 == 0) {
			monitor_flush(one, t);
			monitor_flush(burst, t);
		}
	}
	monitor_finish(one, t);
	monitor_finish(burst, t);
	cr_assert_gt(a.n_recs, 100);
	cr_assert_eq(a.n_recs, b.n_recs);
	for (i = 0; i < a.n_recs; i++)
		cr_assert_eq(memcmp(&a.recs[i], &b.recs[i], sizeof(a.recs[i])), 0, "record %u", i);
	cr_assert_eq(memcmp(monitor_counters(one), monitor_counters(burst),
			    sizeof(struct monitor_counters)),
		     0);
	cr_assert_gt(monitor_counters(one)->table_full, 0);
	cr_assert_gt(monitor_counters(one)->malformed, 0);
	monitor_destroy(one, t);
	monitor_destroy(burst, t);
}
