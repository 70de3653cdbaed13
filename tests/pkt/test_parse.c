/* SPDX-License-Identifier: BSD-3-Clause */
/* The parser on hand-built frames: each header, each flag, each reason to stop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <sdnfv/pkt.h>

#include "pkt_test.h"

#define A4 0xc0000201u /* 192.0.2.1 */
#define B4 0xc6336407u /* 198.51.100.7 */

static struct frame f;
static struct sdnfv_pkt_info in;

/* Parse the first `len` bytes of the frame from a heap copy of exactly that size, so that
 * AddressSanitizer catches any read past it, and check the result is coherent. */
static int
parse_n(uint32_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	const char *why;
	int rc;

	memcpy(b, f.d, len);
	rc = sdnfv_pkt_parse(b, len, &in);
	free(b);
	why = pkt_info_incoherent(&in, len, rc);
	cr_assert(why == NULL, "incoherent parse result: %s (err %s)", why,
		  sdnfv_pkt_strerror(in.err));
	return rc;
}

static int
parse_all(void)
{
	return parse_n(f.len);
}

static void
tcp4(void)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_tcp(&f, 1234, 80);
	frame_payload(&f, 10);
	frame_finish(&f);
}

static void
expect_err(int rc, enum sdnfv_pkt_err err, uint16_t flags)
{
	cr_assert_eq(rc, -EBADMSG);
	cr_assert_eq(in.err, err, "err %s, expected %s", sdnfv_pkt_strerror(in.err),
		     sdnfv_pkt_strerror(err));
	cr_assert_eq(in.flags, flags, "flags 0x%x, expected 0x%x", in.flags, flags);
}

Test(pkt, parses_every_field_of_an_ethernet_ipv4_tcp_frame)
{
	tcp4();
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.err, SDNFV_PKT_OK);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4);
	cr_assert_eq(in.l3, SDNFV_PKT_L3_IPV4);
	cr_assert_eq(in.ether_type, 0x0800);
	cr_assert_eq(in.n_vlan, 0);
	cr_assert_eq(in.l3_off, 14);
	cr_assert_eq(in.l4_off, 34);
	cr_assert_eq(in.payload_off, 54);
	cr_assert_eq(in.l3_end, 64);
	cr_assert_eq(in.l4_proto, 6);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 1234);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 80);
}

Test(pkt, parses_the_ports_of_udp_over_ipv4)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_udp(&f, 53, 40000);
	frame_payload(&f, 30);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4);
	cr_assert_eq(in.l4_proto, 17);
	cr_assert_eq(in.payload_off, 42);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 53);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 40000);
}

Test(pkt, parses_the_ports_of_sctp)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_sctp(&f, 2905, 2906);
	frame_payload(&f, 16);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4);
	cr_assert_eq(in.l4_proto, 132);
	cr_assert_eq(in.payload_off, 34 + 12);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 2905);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 2906);
}

Test(pkt, gives_an_icmp_echo_its_identifier_as_both_ports)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_icmp(&f, 8, 0, 0x4242);
	frame_payload(&f, 56);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4);
	cr_assert_eq(in.l4_proto, 1);
	cr_assert_eq(in.payload_off, 34 + 8);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 0x4242);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 0x4242);
}

Test(pkt, gives_every_icmpv4_query_its_identifier_as_ports)
{
	static const uint8_t queries[] = { 0, 8, 13, 14, 15, 16, 17, 18 };

	for (size_t i = 0; i < sizeof(queries); i++) {
		frame_init(&f);
		frame_ipv4(&f, A4, B4);
		frame_icmp(&f, queries[i], 0, 0x0707);
		frame_finish(&f);
		cr_assert_eq(parse_all(), 0);
		cr_assert_eq(rte_be_to_cpu_16(in.sport), 0x0707, "type %u", queries[i]);
		cr_assert_eq(rte_be_to_cpu_16(in.dport), 0x0707, "type %u", queries[i]);
	}
}

Test(pkt, gives_an_icmp_error_its_type_and_code_as_ports)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_icmp(&f, 3, 3, 0);
	frame_payload(&f, 28);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 3);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 3);
}

Test(pkt, gives_an_icmpv6_echo_its_identifier_and_other_icmpv6_its_type_and_code)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_icmp(&f, 128, 0, 0x1111);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l4_proto, 58);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 0x1111);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 0x1111);

	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_icmp(&f, 135, 0, 0);
	frame_payload(&f, 16);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 135);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 0);
}

Test(pkt, reads_one_vlan_tag_in_front_of_ipv4)
{
	frame_init(&f);
	frame_vlan(&f, 0x8100, 0x2064);
	frame_ipv4(&f, A4, B4);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.n_vlan, 1);
	cr_assert_eq(in.vlan_tci[0], 0x2064);
	cr_assert_eq(in.ether_type, 0x0800);
	cr_assert_eq(in.l3_off, 18);
	cr_assert_eq(in.l4_off, 38);
}

Test(pkt, reads_two_stacked_tags_of_each_kind)
{
	static const uint16_t outer[] = { 0x88a8, 0x9100, 0x8100 };

	for (size_t i = 0; i < 3; i++) {
		frame_init(&f);
		frame_vlan(&f, outer[i], 100);
		frame_vlan(&f, 0x8100, 200);
		frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
		frame_udp(&f, 1, 2);
		frame_finish(&f);
		cr_assert_eq(parse_all(), 0, "outer tag 0x%x", outer[i]);
		cr_assert_eq(in.n_vlan, 2);
		cr_assert_eq(in.vlan_tci[0], 100);
		cr_assert_eq(in.vlan_tci[1], 200);
		cr_assert_eq(in.ether_type, 0x86dd);
		cr_assert_eq(in.l3_off, 22);
	}
}

Test(pkt, stops_at_a_third_vlan_tag_keeping_the_first_two)
{
	frame_init(&f);
	frame_vlan(&f, 0x88a8, 1);
	frame_vlan(&f, 0x8100, 2);
	frame_vlan(&f, 0x8100, 3);
	frame_ipv4(&f, A4, B4);
	frame_finish(&f);
	expect_err(parse_all(), SDNFV_PKT_ERR_VLAN_DEPTH, 0);
	cr_assert_eq(in.n_vlan, 2);
	cr_assert_eq(in.vlan_tci[0], 1);
	cr_assert_eq(in.vlan_tci[1], 2);
	cr_assert_eq(in.ether_type, 0x8100);
	cr_assert_eq(in.l3, SDNFV_PKT_L3_NONE);
}

Test(pkt, stops_at_a_frame_that_ends_inside_a_vlan_tag)
{
	frame_init(&f);
	frame_vlan(&f, 0x8100, 5);
	frame_vlan(&f, 0x8100, 6);
	frame_ipv4(&f, A4, B4);
	frame_finish(&f);
	for (uint32_t len = 14; len < 22; len++) {
		expect_err(parse_n(len), SDNFV_PKT_ERR_VLAN_SHORT, 0);
		cr_assert_eq(in.n_vlan, len < 18 ? 0 : 1);
	}
}

Test(pkt, stops_at_a_frame_shorter_than_an_ethernet_header)
{
	tcp4();
	for (uint32_t len = 0; len < 14; len++) {
		expect_err(parse_n(len), SDNFV_PKT_ERR_ETH_SHORT, 0);
		cr_assert_eq(in.l3, SDNFV_PKT_L3_NONE);
	}
}

Test(pkt, accepts_another_ethertype_with_only_l2_filled_in)
{
	frame_init(&f);
	frame_vlan(&f, 0x8100, 7);
	frame_ethertype(&f, 0x0806);
	frame_payload(&f, 28);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l3, SDNFV_PKT_L3_OTHER);
	cr_assert_eq(in.ether_type, 0x0806);
	cr_assert_eq(in.l3_off, 18);
	cr_assert_eq(in.flags, 0);
	cr_assert_eq(in.n_vlan, 1);
}

Test(pkt, stops_at_a_frame_that_ends_inside_the_ipv4_header)
{
	tcp4();
	for (uint32_t len = 14; len < 34; len++) {
		expect_err(parse_n(len), SDNFV_PKT_ERR_IPV4_SHORT, 0);
		cr_assert_eq(in.l3, SDNFV_PKT_L3_IPV4);
		cr_assert_eq(in.l3_off, 14);
	}
	frame_init(&f);
	frame_ipv4_opts(&f, A4, B4, 8);
	frame_finish(&f);
	expect_err(parse_n(14 + 24), SDNFV_PKT_ERR_IPV4_SHORT, 0);
}

Test(pkt, stops_at_an_ipv4_ethertype_with_another_ip_version)
{
	tcp4();
	f.d[14] = 0x65;
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV4_VERSION, 0);
}

Test(pkt, stops_at_an_ipv4_header_length_below_five_words)
{
	tcp4();
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		f.d[14] = 0x40 | ihl;
		expect_err(parse_all(), SDNFV_PKT_ERR_IPV4_IHL, 0);
	}
}

Test(pkt, stops_at_an_ipv4_total_length_beyond_the_frame)
{
	tcp4();
	f.d[16] = 0x05; /* 1280 + ... bytes, frame has 64 */
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV4_TOTLEN, 0);
	cr_assert_eq(in.l3, SDNFV_PKT_L3_IPV4);
	cr_assert_eq(in.l3_end, 0);
}

Test(pkt, stops_at_an_ipv4_total_length_below_its_header_keeping_the_options_flag)
{
	frame_init(&f);
	frame_ipv4_opts(&f, A4, B4, 4);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	f.d[16] = 0;
	f.d[17] = 20; /* header is 24 */
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV4_TOTLEN, SDNFV_PKT_F_IPV4_OPT);
}

Test(pkt, flags_ipv4_options_and_finds_the_l4_header_after_them)
{
	frame_init(&f);
	frame_ipv4_opts(&f, A4, B4, 40);
	frame_udp(&f, 7, 9);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_IPV4_OPT);
	cr_assert_eq(in.l4_off, 14 + 60);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 7);
}

Test(pkt, marks_bytes_after_the_datagram_as_padding)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_udp(&f, 1, 2);
	frame_finish(&f); /* 42 bytes: Ethernet pads to 60 */
	memset(f.d + f.len, 0, 18);
	f.len = 60;
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l3_end, 42);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_PADDED);
}

Test(pkt, ends_a_datagram_of_64_kib_past_offset_65535)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_tcp(&f, 1, 2);
	frame_payload(&f, 65535 - 40);
	frame_finish(&f);
	cr_assert_eq(f.len, 65549);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l3_end, 65549);
}

Test(pkt, parses_the_l4_header_of_a_first_ipv4_fragment)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_udp(&f, 5000, 5001);
	frame_payload(&f, 100);
	frame_finish(&f);
	f.d[14 + 6] = 0x20;      /* MF, offset 0 */
	f.d[14 + 20 + 4] = 0x10; /* UDP length 4096+: the whole datagram, beyond this fragment */
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_FRAG);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 5000);
}

Test(pkt, gives_a_later_ipv4_fragment_no_l4_header)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_udp(&f, 5000, 5001);
	frame_payload(&f, 100);
	frame_finish(&f);
	f.d[14 + 6] = 0x00;
	f.d[14 + 7] = 0xb9; /* offset 185 * 8, last fragment */
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_FRAG | SDNFV_PKT_F_FRAG_LATER);
	cr_assert_eq(in.l4_proto, 17);
	cr_assert_eq(in.l4_off, 34);
	cr_assert_eq(in.payload_off, 34);
	cr_assert_eq(in.sport, 0);
	cr_assert_eq(in.dport, 0);
}

Test(pkt, parses_ipv6_tcp)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_tcp(&f, 443, 50000);
	frame_payload(&f, 5);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4);
	cr_assert_eq(in.l3, SDNFV_PKT_L3_IPV6);
	cr_assert_eq(in.ether_type, 0x86dd);
	cr_assert_eq(in.l4_off, 54);
	cr_assert_eq(in.payload_off, 74);
	cr_assert_eq(in.l3_end, 79);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 443);
}

Test(pkt, stops_at_a_frame_that_ends_inside_the_ipv6_header)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_tcp(&f, 443, 50000);
	frame_finish(&f);
	for (uint32_t len = 14; len < 54; len++)
		expect_err(parse_n(len), SDNFV_PKT_ERR_IPV6_SHORT, 0);
}

Test(pkt, stops_at_an_ipv6_ethertype_with_another_ip_version)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_tcp(&f, 443, 50000);
	frame_finish(&f);
	f.d[14] = 0x40;
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV6_VERSION, 0);
}

Test(pkt, stops_at_an_ipv6_payload_length_beyond_the_frame_or_zero)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_tcp(&f, 443, 50000);
	frame_finish(&f);
	f.d[14 + 5] = 21;
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV6_PLEN, 0);
	f.d[14 + 5] = 0;
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV6_PLEN, 0);
	cr_assert_eq(in.l3, SDNFV_PKT_L3_IPV6);
}

Test(pkt, walks_hop_by_hop_routing_and_destination_options_to_tcp)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_ext(&f, 0, 8);
	frame_ext(&f, 43, 24);
	frame_ext(&f, 60, 16);
	frame_tcp(&f, 22, 2222);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_IPV6_EXT);
	cr_assert_eq(in.l4_off, 54 + 8 + 24 + 16);
	cr_assert_eq(in.l4_proto, 6);
	cr_assert_eq(rte_be_to_cpu_16(in.dport), 2222);
}

Test(pkt, walks_ah_by_its_own_length_unit)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_ext(&f, 51, 24); /* payload length field 4: (4 + 2) * 4 */
	frame_udp(&f, 500, 500);
	frame_finish(&f);
	cr_assert_eq(f.d[54 + 1], 4);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l4_off, 54 + 24);
	cr_assert_eq(in.l4_proto, 17);
}

Test(pkt, walks_mobility_hip_and_shim6_headers)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_ext(&f, 135, 8);
	frame_ext(&f, 139, 16);
	frame_ext(&f, 140, 8);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l4_off, 54 + 32);
	cr_assert_eq(in.l4_proto, 17);
}

Test(pkt, ends_the_extension_walk_at_esp_and_no_next_header)
{
	static const uint8_t last[] = { 50, 59 };

	for (size_t i = 0; i < 2; i++) {
		frame_init(&f);
		frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
		frame_ext(&f, 60, 8);
		frame_proto(&f, last[i], 16);
		frame_finish(&f);
		cr_assert_eq(parse_all(), 0);
		cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_IPV6_EXT);
		cr_assert_eq(in.l4_proto, last[i]);
		cr_assert_eq(in.l4_off, 62);
		cr_assert_eq(in.payload_off, 62);
	}
}

Test(pkt, walks_eight_extension_headers_and_stops_at_a_ninth)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	for (int i = 0; i < SDNFV_PKT_IPV6_EXT_MAX; i++)
		frame_ext(&f, 60, 8);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.l4_off, 54 + 8 * SDNFV_PKT_IPV6_EXT_MAX);

	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	for (int i = 0; i < SDNFV_PKT_IPV6_EXT_MAX + 1; i++)
		frame_ext(&f, 60, 8);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV6_EXT_DEPTH,
		   SDNFV_PKT_F_L3 | SDNFV_PKT_F_IPV6_EXT);
	cr_assert_eq(in.l4_proto, 60);
	cr_assert_eq(in.l4_off, 54 + 8 * SDNFV_PKT_IPV6_EXT_MAX);
}

Test(pkt, stops_at_a_datagram_that_ends_inside_an_extension_header)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_ext(&f, 0, 8);
	frame_ext(&f, 60, 64);
	frame_finish(&f);
	/* The frame holds it all; the payload length says the datagram ends 8 bytes early. */
	f.d[14 + 5] -= 8;
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV6_EXT_SHORT,
		   SDNFV_PKT_F_L3 | SDNFV_PKT_F_IPV6_EXT | SDNFV_PKT_F_PADDED);
	cr_assert_eq(in.l4_off, 62);
	cr_assert_eq(in.l4_proto, 60);
	/* The same with the length byte itself cut off. */
	f.d[14 + 5] = 9;
	expect_err(parse_all(), SDNFV_PKT_ERR_IPV6_EXT_SHORT,
		   SDNFV_PKT_F_L3 | SDNFV_PKT_F_IPV6_EXT | SDNFV_PKT_F_PADDED);
}

Test(pkt, gives_a_later_ipv6_fragment_no_l4_header)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_ext(&f, 0, 8);
	frame_frag6(&f, 1448, true);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_IPV6_EXT | SDNFV_PKT_F_FRAG |
				       SDNFV_PKT_F_FRAG_LATER);
	cr_assert_eq(in.l4_proto, 17);
	cr_assert_eq(in.l4_off, 54 + 16);
	cr_assert_eq(in.sport, 0);
}

Test(pkt, parses_the_l4_header_of_a_first_ipv6_fragment)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_frag6(&f, 0, true);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	f.d[62 + 4] = 0x40; /* UDP length of the whole datagram */
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags,
		     SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_IPV6_EXT | SDNFV_PKT_F_FRAG);
	cr_assert_eq(rte_be_to_cpu_16(in.sport), 1);
}

Test(pkt, treats_an_atomic_ipv6_fragment_as_a_whole_datagram)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_frag6(&f, 0, false);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_IPV6_EXT);
}

Test(pkt, stops_at_a_datagram_that_ends_inside_the_tcp_header)
{
	tcp4();
	for (uint32_t len = 34; len < 54; len++) {
		/* Cut the frame: the total length is then beyond it. */
		expect_err(parse_n(len), SDNFV_PKT_ERR_IPV4_TOTLEN, 0);
	}
	/* A datagram that says it ends inside the TCP header, in a frame that holds more. */
	f.d[17] = 20 + 12;
	expect_err(parse_all(), SDNFV_PKT_ERR_TCP_SHORT, SDNFV_PKT_F_L3 | SDNFV_PKT_F_PADDED);
	cr_assert_eq(in.l4_off, 34);
	cr_assert_eq(in.l4_proto, 6);
	/* A data offset beyond the datagram. */
	tcp4();
	f.d[34 + 12] = 0xf0;
	expect_err(parse_all(), SDNFV_PKT_ERR_TCP_SHORT, SDNFV_PKT_F_L3);
}

Test(pkt, stops_at_a_tcp_data_offset_below_five)
{
	tcp4();
	for (uint8_t doff = 0; doff < 5; doff++) {
		f.d[34 + 12] = doff << 4;
		expect_err(parse_all(), SDNFV_PKT_ERR_TCP_DOFF, SDNFV_PKT_F_L3);
		cr_assert_eq(in.sport, 0);
	}
}

Test(pkt, stops_at_a_datagram_shorter_than_a_udp_header)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_udp(&f, 1, 2);
	frame_finish(&f);
	f.d[17] = 20 + 7;
	expect_err(parse_all(), SDNFV_PKT_ERR_UDP_SHORT, SDNFV_PKT_F_L3 | SDNFV_PKT_F_PADDED);
}

Test(pkt, stops_at_a_udp_length_below_eight_or_beyond_the_datagram)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_udp(&f, 1, 2);
	frame_payload(&f, 10);
	frame_finish(&f);
	f.d[34 + 5] = 7;
	expect_err(parse_all(), SDNFV_PKT_ERR_UDP_LEN, SDNFV_PKT_F_L3);
	f.d[34 + 5] = 19;
	expect_err(parse_all(), SDNFV_PKT_ERR_UDP_LEN, SDNFV_PKT_F_L3);
	/* Shorter than the datagram is allowed: the rest is outside the UDP datagram. */
	f.d[34 + 5] = 8;
	cr_assert_eq(parse_all(), 0);
}

Test(pkt, stops_at_a_datagram_shorter_than_an_sctp_header)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_sctp(&f, 1, 2);
	frame_finish(&f);
	f.d[14 + 5] = 11;
	expect_err(parse_all(), SDNFV_PKT_ERR_SCTP_SHORT, SDNFV_PKT_F_L3 | SDNFV_PKT_F_PADDED);
}

Test(pkt, stops_at_a_datagram_shorter_than_an_icmp_header)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_icmp(&f, 8, 0, 1);
	frame_finish(&f);
	f.d[17] = 20 + 4;
	expect_err(parse_all(), SDNFV_PKT_ERR_ICMP_SHORT, SDNFV_PKT_F_L3 | SDNFV_PKT_F_PADDED);

	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_ext(&f, 0, 8);
	frame_icmp(&f, 143, 0, 0);
	frame_finish(&f);
	f.d[14 + 5] = 8 + 7;
	expect_err(parse_all(), SDNFV_PKT_ERR_ICMP_SHORT,
		   SDNFV_PKT_F_L3 | SDNFV_PKT_F_IPV6_EXT | SDNFV_PKT_F_PADDED);
}

Test(pkt, accepts_an_unknown_ip_protocol_without_ports)
{
	frame_init(&f);
	frame_ipv4(&f, A4, B4);
	frame_proto(&f, 47, 4); /* GRE */
	frame_payload(&f, 20);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3);
	cr_assert_eq(in.l4_proto, 47);
	cr_assert_eq(in.l4_off, 34);
	cr_assert_eq(in.payload_off, 34);
}

Test(pkt, treats_icmp_in_the_wrong_ip_family_as_unknown)
{
	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::2");
	frame_proto(&f, 1, 8);
	frame_finish(&f);
	cr_assert_eq(parse_all(), 0);
	cr_assert_eq(in.flags, SDNFV_PKT_F_L3);
}

Test(pkt, describes_every_error_and_says_so_for_an_unknown_one)
{
	for (int e = 0; e < SDNFV_PKT_ERR__COUNT; e++) {
		const char *s = sdnfv_pkt_strerror(e);

		cr_assert(s != NULL && s[0] != '\0' && strcmp(s, "unknown error") != 0, "err %d",
			  e);
		for (int g = 0; g < e; g++)
			cr_assert_str_neq(s, sdnfv_pkt_strerror(g));
	}
	cr_assert_str_eq(sdnfv_pkt_strerror(SDNFV_PKT_ERR__COUNT), "unknown error");
	cr_assert_str_eq(sdnfv_pkt_strerror(-1), "unknown error");
}

Test(pkt, never_reads_past_any_prefix_of_hand_built_frames)
{
	/* A variety of frames, every prefix parsed from an exact-size heap copy (ASan). */
	for (int kind = 0; kind < 6; kind++) {
		frame_init(&f);
		switch (kind) {
		case 0:
			frame_vlan(&f, 0x88a8, 1);
			frame_vlan(&f, 0x8100, 2);
			frame_ipv4_opts(&f, A4, B4, 12);
			frame_tcp(&f, 1, 2);
			break;
		case 1:
			frame_ipv6(&f, "::1", "::2");
			frame_ext(&f, 0, 8);
			frame_ext(&f, 51, 12);
			frame_frag6(&f, 0, true);
			frame_ext(&f, 43, 40);
			frame_sctp(&f, 1, 2);
			break;
		case 2:
			frame_ipv6(&f, "::1", "::2");
			frame_icmp(&f, 129, 0, 3);
			break;
		case 3:
			frame_ipv4(&f, A4, B4);
			frame_icmp(&f, 11, 0, 0);
			break;
		case 4:
			frame_vlan(&f, 0x8100, 2);
			frame_ipv4(&f, A4, B4);
			frame_udp(&f, 1, 2);
			break;
		default:
			frame_ipv6(&f, "::1", "::2");
			frame_ext(&f, 60, 8);
			frame_tcp(&f, 1, 2);
			break;
		}
		frame_payload(&f, 9);
		frame_finish(&f);
		cr_assert_eq(parse_all(), 0, "kind %d", kind);
		for (uint32_t len = 0; len < f.len; len++) {
			cr_assert_eq(parse_n(len), -EBADMSG, "kind %d prefix %u", kind, len);
			cr_assert_neq(in.err, SDNFV_PKT_ERR_SEGMENTED);
		}
	}
}
