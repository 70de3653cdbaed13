/* SPDX-License-Identifier: BSD-3-Clause */
/* sdnfv_pkt_parse_mbuf() on mbufs built by hand (no EAL, no mempool): one segment and chains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>

#include <sdnfv/pkt.h>

#include "pkt_test.h"

static struct frame f;

/* A chain of two segments holding the frame, split after `split` bytes; each segment's data in
 * a heap block of exactly its size (ASan). A split of f.len gives one segment. */
struct chain {
	struct rte_mbuf m[2];
	uint8_t *buf[2];
};

static void
chain_build(struct chain *c, uint32_t len, uint32_t split, uint16_t headroom)
{
	uint32_t seg_len[2] = { split, len - split };

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 2; i++) {
		c->buf[i] = malloc(headroom + seg_len[i] + (seg_len[i] == 0));
		memcpy(c->buf[i] + headroom, f.d + (i ? split : 0), seg_len[i]);
		c->m[i].buf_addr = c->buf[i];
		c->m[i].buf_len = headroom + seg_len[i];
		c->m[i].data_off = headroom;
		c->m[i].data_len = seg_len[i];
		c->m[i].nb_segs = 1;
	}
	c->m[0].pkt_len = len;
	if (split < len) {
		c->m[0].nb_segs = 2;
		c->m[0].next = &c->m[1];
		c->m[1].pkt_len = len - split;
	}
}

static void
chain_free(struct chain *c)
{
	free(c->buf[0]);
	free(c->buf[1]);
}

static void
tcp4(unsigned int payload)
{
	frame_init(&f);
	frame_ipv4(&f, 0xc0000201, 0xc6336407);
	frame_tcp(&f, 1234, 80);
	frame_payload(&f, payload);
	frame_finish(&f);
}

Test(pkt, parses_a_single_segment_mbuf_like_the_same_contiguous_frame)
{
	struct sdnfv_pkt_info a, b;
	struct chain c;

	for (int kind = 0; kind < 3; kind++) {
		frame_init(&f);
		if (kind == 0) {
			frame_vlan(&f, 0x8100, 3);
			frame_ipv4(&f, 1, 2);
			frame_udp(&f, 1, 2);
		} else if (kind == 1) {
			frame_ipv6(&f, "::1", "::2");
			frame_ext(&f, 0, 8);
			frame_tcp(&f, 1, 2);
		} else {
			frame_ipv4(&f, 1, 2);
			frame_icmp(&f, 8, 0, 9);
		}
		frame_payload(&f, 20);
		frame_finish(&f);
		chain_build(&c, f.len, f.len, 128);
		cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &a), 0);
		cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &b), 0);
		cr_assert_arr_eq(&a, &b, sizeof(a), "kind %d", kind);
		chain_free(&c);
	}
}

Test(pkt, parses_a_two_segment_chain_whose_headers_lie_in_the_first)
{
	struct sdnfv_pkt_info in;
	struct chain c;
	rte_be16_t ck;

	tcp4(200);
	chain_build(&c, f.len, 54 + 10, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_MULTISEG);
	cr_assert_eq(in.l3_end, f.len);
	cr_assert_eq(in.payload_off, 54);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 1234);
	/* The datagram is not contiguous: no L4 checksum from the first segment alone... */
	cr_assert_eq(sdnfv_pkt_l4_cksum(c.buf[0], &in, &ck), -EINVAL);
	cr_assert_eq(sdnfv_pkt_cksum_verify(c.buf[0], &in), 0);
	/* ...but header rewrites work there. */
	cr_assert_eq(sdnfv_pkt_set_port(c.buf[0], &in, SDNFV_PKT_DST, rte_cpu_to_be_16(8080)), 0);
	cr_assert_eq(c.buf[0][34 + 2], 8080 >> 8);
	chain_free(&c);
}

Test(pkt, reports_a_header_crossing_into_the_second_segment_as_segmented)
{
	struct sdnfv_pkt_info in;
	struct chain c;

	tcp4(50);
	for (uint32_t split = 1; split < 54; split++) {
		chain_build(&c, f.len, split, 0);
		cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
		cr_assert_eq(in.err, SDNFV_PKT_ERR_SEGMENTED, "split %u: %s", split,
			     sdnfv_pkt_strerror(in.err));
		/* What parsed before the split stays. */
		cr_assert_eq(in.flags, split < 34 ? 0 : SDNFV_PKT_F_L3 | SDNFV_PKT_F_MULTISEG,
			     "split %u", split);
		chain_free(&c);
	}

	frame_init(&f);
	frame_ipv6(&f, "::1", "::2");
	frame_ext(&f, 0, 8);
	frame_ext(&f, 43, 24);
	frame_udp(&f, 1, 2);
	frame_payload(&f, 50);
	frame_finish(&f);
	for (uint32_t split = 54; split < 54 + 32 + 8; split++) {
		chain_build(&c, f.len, split, 0);
		cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
		cr_assert_eq(in.err, SDNFV_PKT_ERR_SEGMENTED, "split %u", split);
		cr_assert(in.flags & SDNFV_PKT_F_IPV6_EXT);
		chain_free(&c);
	}
}

Test(pkt, reports_a_short_chained_packet_as_truncated_not_segmented)
{
	struct sdnfv_pkt_info in;
	struct chain c;

	tcp4(0);
	chain_build(&c, 30, 20, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
	cr_assert_eq(in.err, SDNFV_PKT_ERR_IPV4_SHORT);
	chain_free(&c);

	chain_build(&c, 10, 6, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
	cr_assert_eq(in.err, SDNFV_PKT_ERR_ETH_SHORT);
	chain_free(&c);
}

Test(pkt, checks_length_fields_of_a_chain_against_the_whole_packet_length)
{
	struct sdnfv_pkt_info in;
	struct chain c;

	tcp4(100);
	/* Total length one byte more than the packet: beyond it, though far beyond segment 1. */
	f.d[17]++;
	chain_build(&c, f.len, 60, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
	cr_assert_eq(in.err, SDNFV_PKT_ERR_IPV4_TOTLEN);
	chain_free(&c);

	/* A UDP length checked against the datagram, not the first segment. */
	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_udp(&f, 1, 2);
	frame_payload(&f, 100);
	frame_finish(&f);
	chain_build(&c, f.len, 50, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), 0);
	cr_assert(in.flags & SDNFV_PKT_F_MULTISEG);
	chain_free(&c);
	f.d[34 + 5]++;
	chain_build(&c, f.len, 50, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
	cr_assert_eq(in.err, SDNFV_PKT_ERR_UDP_LEN);
	chain_free(&c);
}

Test(pkt, treats_padding_in_the_second_segment_as_padding)
{
	struct sdnfv_pkt_info in;
	struct chain c;
	rte_be16_t ck;

	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_udp(&f, 1, 2);
	frame_payload(&f, 4);
	frame_finish(&f);
	memset(f.d + f.len, 0, 60 - f.len);
	f.len = 60;
	chain_build(&c, 60, 50, 0);
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_PADDED);
	cr_assert_eq(in.l3_end, 46);
	cr_assert_eq(sdnfv_pkt_l4_cksum(c.buf[0], &in, &ck), 0);
	cr_assert_eq(sdnfv_pkt_cksum_verify(c.buf[0], &in), 0);
	chain_free(&c);
}

Test(pkt, trusts_the_packet_length_over_a_longer_first_segment)
{
	struct sdnfv_pkt_info in;
	struct chain c;

	tcp4(10);
	chain_build(&c, f.len, f.len, 0);
	c.m[0].pkt_len = 40; /* corrupt: data_len 64 > pkt_len */
	cr_assert_eq(sdnfv_pkt_parse_mbuf(&c.m[0], &in), -EBADMSG);
	cr_assert_eq(in.err, SDNFV_PKT_ERR_IPV4_TOTLEN);
	chain_free(&c);
}
