/* SPDX-License-Identifier: BSD-3-Clause */
/* scrubber on crafted frames, no EAL: drop mode, clean mode's rewritten lengths and checksums
 * (checked with scapy-independent code: the library's own verifier), malformed frames. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <sdnfv/sdnfv.h>

#include "eal.h"
#include "scrubber.h"

/* Ethernet/IPv4 (or IPv6)/TCP or UDP with a payload and correct checksums. */
static uint32_t
frame(uint8_t *b, bool v6, uint8_t proto, size_t plen)
{
	size_t l3 = v6 ? 40 : 20, l4 = proto == IPPROTO_TCP ? 20 : 8, i;
	struct sdnfv_pkt_info info;
	rte_be16_t ck;
	uint32_t len = (uint32_t)(14 + l3 + l4 + plen);

	memset(b, 0, len);
	b[12] = v6 ? 0x86 : 0x08;
	b[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(b + 14);

		ip->vtc_flow = htonl(6u << 28);
		ip->payload_len = htons((uint16_t)(l4 + plen));
		ip->proto = proto;
		ip->hop_limits = 64;
		ip->src_addr[15] = 1;
		ip->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);

		ip->version_ihl = 0x45;
		ip->total_length = htons((uint16_t)(l3 + l4 + plen));
		ip->time_to_live = 64;
		ip->next_proto_id = proto;
		ip->src_addr = htonl(0x0a000002);
		ip->dst_addr = htonl(0xc000020a);
		ip->hdr_checksum = sdnfv_pkt_ipv4_cksum(ip, 20);
	}
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(b + 14 + l3);

		t->src_port = htons(40002);
		t->dst_port = htons(80);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_PSH_FLAG | RTE_TCP_ACK_FLAG;
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(b + 14 + l3);

		u->src_port = htons(5353);
		u->dst_port = htons(53);
		u->dgram_len = htons((uint16_t)(8 + plen));
	}
	for (i = 0; i < plen; i++)
		b[14 + l3 + l4 + i] = (uint8_t)('A' + i % 26);
	cr_assert_eq(sdnfv_pkt_parse(b, len, &info), 0);
	cr_assert_eq(sdnfv_pkt_l4_cksum(b, &info, &ck), 0);
	if (proto == IPPROTO_TCP)
		memcpy(b + 14 + l3 + 16, &ck, 2);
	else
		memcpy(b + 14 + l3 + 6, &ck, 2);
	cr_assert_eq(sdnfv_pkt_cksum_verify(b, &info), 0);
	return len;
}

Test(scrubber, drop_mode_drops_everything_and_counts_per_flow)
{
	struct scrubber *s = scrubber_create(SCRUBBER_DROP, 16, NULL);
	struct scrubber_stats st;
	uint8_t b[256];
	uint32_t n = frame(b, false, IPPROTO_TCP, 30);
	int i;

	for (i = 0; i < 5; i++)
		cr_assert_eq(scrubber_packet(s, b, n), -1);
	n = frame(b, false, IPPROTO_UDP, 10);
	cr_assert_eq(scrubber_packet(s, b, n), -1);
	scrubber_stats(s, &st);
	cr_assert_eq(st.rx, 6);
	cr_assert_eq(st.dropped, 6);
	cr_assert_eq(st.flows, 2);
	scrubber_free(s);
}

static void
clean_case(bool v6, uint8_t proto)
{
	struct scrubber *s = scrubber_create(SCRUBBER_CLEAN, 16, NULL);
	struct sdnfv_pkt_info info;
	struct scrubber_stats st;
	uint8_t b[512];
	uint32_t n = frame(b, v6, proto, 100);
	size_t hdrs = 14 + (v6 ? 40u : 20u) + (proto == IPPROTO_TCP ? 20u : 8u);
	int len = scrubber_packet(s, b, n);

	cr_assert_eq(len, (int)hdrs, "payload cut: %d", len);
	cr_assert_eq(sdnfv_pkt_parse(b, (uint32_t)len, &info), 0);
	cr_assert_eq(info.l3_end, (uint32_t)len, "IP length follows");
	cr_assert_eq(sdnfv_pkt_cksum_verify(b, &info), 0, "checksums are right");
	scrubber_stats(s, &st);
	cr_assert_eq(st.cleaned, 1);
	cr_assert_eq(st.cut_bytes, 100);
	/* A packet without payload (a bare ACK) goes through as it is. */
	cr_assert_eq(scrubber_packet(s, b, (uint32_t)len), len);
	scrubber_stats(s, &st);
	cr_assert_eq(st.passed, 1);
	scrubber_free(s);
}

Test(scrubber, clean_mode_cuts_the_payload_and_fixes_lengths_and_checksums)
{
	clean_case(false, IPPROTO_TCP);
	clean_case(false, IPPROTO_UDP);
	clean_case(true, IPPROTO_TCP);
	clean_case(true, IPPROTO_UDP);
}

Test(scrubber, malformed_frames_are_counted_and_never_crash)
{
	struct scrubber *s = scrubber_create(SCRUBBER_CLEAN, 16, NULL);
	struct scrubber_stats st;
	uint8_t b[256], junk[96];
	uint32_t n = frame(b, false, IPPROTO_TCP, 20), len, i;

	for (len = 0; len < 54; len++) {
		uint8_t copy[256];

		memcpy(copy, b, n);
		cr_assert_eq(scrubber_packet(s, copy, len), -1);
	}
	srand(2);
	for (i = 0; i < 10000; i++) {
		for (len = 0; len < sizeof(junk); len++)
			junk[len] = (uint8_t)rand();
		junk[12] = 0x08;
		junk[13] = 0;
		scrubber_packet(s, junk, (uint32_t)(rand() % (int)sizeof(junk)));
	}
	scrubber_stats(s, &st);
	cr_assert_geq(st.malformed, 54);
	cr_assert_eq(st.rx, 54 + 10000);
	scrubber_free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* The NF handler on mbufs (an EAL of its own)                                                */

SDNFV_TEST_EAL_SUITE(scrubber_nf, .timeout = 60);

/* A frame as two chained mbufs: the first `first` bytes, then the rest. */
static struct rte_mbuf *
chain2(struct rte_mempool *mp, const uint8_t *frame, uint32_t len, uint32_t first)
{
	struct rte_mbuf *a = rte_pktmbuf_alloc(mp), *b = rte_pktmbuf_alloc(mp);

	cr_assert(a != NULL && b != NULL);
	memcpy(rte_pktmbuf_append(a, (uint16_t)first), frame, first);
	memcpy(rte_pktmbuf_append(b, (uint16_t)(len - first)), frame + first, len - first);
	cr_assert_eq(rte_pktmbuf_chain(a, b), 0);
	sdnfv_meta_reset(a);
	return a;
}

/* A chained mbuf is dropped whole in either mode: the handler frees no segment (nf.h: the
 * manager frees), leaves the chain as it was, and counts it. */
static void
segmented_case(enum scrubber_mode mode)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create(mode == SCRUBBER_DROP ? "scr_d" : "scr_c",
							 31, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	struct scrubber *s = scrubber_create(mode, 16, NULL);
	struct scrubber_stats st;
	uint8_t b[256];
	uint32_t n = frame(b, false, IPPROTO_TCP, 100);
	struct rte_mbuf *m;
	unsigned int avail;

	cr_assert_not_null(mp);
	cr_assert_geq(sdnfv_meta_register(), 0);
	m = chain2(mp, b, n, 80);
	avail = rte_mempool_avail_count(mp);
	scrubber_nf_ops.handle(NULL, &m, 1, s);
	cr_assert_eq(rte_mempool_avail_count(mp), avail, "a segment went back to the pool");
	cr_assert_eq(m->nb_segs, 2);
	cr_assert_eq(m->pkt_len, n);
	cr_assert_eq(m->data_len, 80);
	cr_assert_eq(sdnfv_meta_get(m)->action, SDNFV_ACT_DROP);
	scrubber_stats(s, &st);
	cr_assert_eq(st.rx, 1);
	cr_assert_eq(st.dropped, 1);
	cr_assert_eq(st.segmented, 1);
	cr_assert_eq(st.cleaned, 0);
	cr_assert_eq(st.flows, 1, "counted by its headers");
	cr_assert_eq(st.bytes, n);
	rte_pktmbuf_free(m);
	cr_assert_eq(rte_mempool_avail_count(mp), 31);
	scrubber_free(s);
	rte_mempool_free(mp);
}

Test(scrubber_nf, a_chained_mbuf_is_dropped_whole_in_drop_mode)
{
	segmented_case(SCRUBBER_DROP);
}

Test(scrubber_nf, a_chained_mbuf_is_dropped_whole_in_clean_mode)
{
	segmented_case(SCRUBBER_CLEAN);
}

/* A single-segment mbuf in clean mode leaves trimmed to its headers. */
Test(scrubber_nf, clean_mode_trims_a_single_segment_mbuf)
{
	struct rte_mempool *mp =
		rte_pktmbuf_pool_create("scr_1", 31, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	struct scrubber *s = scrubber_create(SCRUBBER_CLEAN, 16, NULL);
	uint8_t b[256];
	uint32_t n = frame(b, false, IPPROTO_TCP, 100);
	struct rte_mbuf *m;

	cr_assert_not_null(mp);
	cr_assert_geq(sdnfv_meta_register(), 0);
	m = rte_pktmbuf_alloc(mp);
	cr_assert_not_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)n), b, n);
	sdnfv_meta_reset(m);
	scrubber_nf_ops.handle(NULL, &m, 1, s);
	cr_assert_eq(m->pkt_len, 54);
	cr_assert_eq(sdnfv_meta_get(m)->action, SDNFV_ACT_NONE);
	rte_pktmbuf_free(m);
	scrubber_free(s);
	rte_mempool_free(mp);
}
