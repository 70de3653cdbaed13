/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow keys, symmetric keys and the key hash on hand-built frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include <sdnfv/pkt.h>

#include "pkt_test.h"

static struct frame f;
static struct sdnfv_pkt_info in;

static const uint8_t zero12[12];

Test(pkt, builds_an_ipv4_key_with_zeros_after_each_address_and_a_zero_pad)
{
	struct sdnfv_pkt_key key;

	frame_init(&f);
	frame_ipv4(&f, 0xc0000201, 0xc6336407);
	frame_tcp(&f, 1234, 80);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	memset(&key, 0xa5, sizeof(key));
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key), 0);
	cr_assert_eq(key.src.v4, htonl(0xc0000201));
	cr_assert_eq(key.dst.v4, htonl(0xc6336407));
	cr_assert_arr_eq(key.src.v6 + 4, zero12, 12);
	cr_assert_arr_eq(key.dst.v6 + 4, zero12, 12);
	cr_assert_eq(key.sport, htons(1234));
	cr_assert_eq(key.dport, htons(80));
	cr_assert_eq(key.proto, 6);
	cr_assert_eq(key.family, SDNFV_PKT_L3_IPV4);
	cr_assert_eq(key.pad, 0);
}

Test(pkt, builds_an_ipv6_key_from_both_addresses)
{
	struct sdnfv_pkt_key key;
	uint8_t a[16], b[16];

	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8:ffff::2");
	frame_ext(&f, 60, 8);
	frame_udp(&f, 53, 5353);
	frame_finish(&f);
	inet_pton(AF_INET6, "2001:db8::1", a);
	inet_pton(AF_INET6, "2001:db8:ffff::2", b);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	memset(&key, 0xa5, sizeof(key));
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key), 0);
	cr_assert_arr_eq(key.src.v6, a, 16);
	cr_assert_arr_eq(key.dst.v6, b, 16);
	cr_assert_eq(key.sport, htons(53));
	cr_assert_eq(key.dport, htons(5353));
	cr_assert_eq(key.proto, 17);
	cr_assert_eq(key.family, SDNFV_PKT_L3_IPV6);
	cr_assert_eq(key.pad, 0);
}

Test(pkt, refuses_a_key_for_a_packet_without_an_ip_header_and_zeroes_it)
{
	static const struct sdnfv_pkt_key zero;
	struct sdnfv_pkt_key key;

	frame_init(&f);
	frame_ethertype(&f, 0x0806);
	frame_payload(&f, 28);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	memset(&key, 0xa5, sizeof(key));
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key), -EINVAL);
	cr_assert_arr_eq(&key, &zero, sizeof(key));

	/* An IPv4 header that did not parse (total length beyond the frame) is no IP header. */
	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_tcp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len - 1, &in), -EBADMSG);
	memset(&key, 0xa5, sizeof(key));
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key), -EINVAL);
	cr_assert_arr_eq(&key, &zero, sizeof(key));
}

Test(pkt, builds_a_key_without_ports_when_the_l4_header_is_malformed)
{
	struct sdnfv_pkt_key key;

	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_tcp(&f, 1000, 2000);
	frame_finish(&f);
	f.d[34 + 12] = 0x20; /* data offset 2 */
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), -EBADMSG);
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key), 0);
	cr_assert_eq(key.sport, 0);
	cr_assert_eq(key.dport, 0);
	cr_assert_eq(key.proto, 6);
}

Test(pkt, builds_a_key_without_ports_for_a_later_fragment)
{
	struct sdnfv_pkt_key key;

	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_udp(&f, 1000, 2000);
	frame_finish(&f);
	f.d[14 + 7] = 10;
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key), 0);
	cr_assert_eq(key.sport, 0);
	cr_assert_eq(key.dport, 0);
	cr_assert_eq(key.proto, 17);
}

static void
key_of(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, struct sdnfv_pkt_key *key)
{
	frame_init(&f);
	frame_ipv4(&f, src, dst);
	frame_tcp(&f, sport, dport);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &key[0]), 0);
}

Test(pkt, gives_both_directions_of_a_connection_one_symmetric_key)
{
	struct sdnfv_pkt_key a, b;

	key_of(0x0a000001, 0x0a000002, 40000, 80, &a);
	key_of(0x0a000002, 0x0a000001, 80, 40000, &b);
	cr_assert_eq(sdnfv_pkt_key_symmetric(&a), 0);
	cr_assert_eq(sdnfv_pkt_key_symmetric(&b), 1);
	cr_assert_arr_eq(&a, &b, sizeof(a));
	cr_assert_eq(sdnfv_pkt_key_hash(&a, 7), sdnfv_pkt_key_hash(&b, 7));
	/* Same addresses: the ports decide, compared as numbers. */
	key_of(0x0a000001, 0x0a000001, 0x0100, 0x00ff, &a);
	key_of(0x0a000001, 0x0a000001, 0x00ff, 0x0100, &b);
	cr_assert_eq(sdnfv_pkt_key_symmetric(&a), 1);
	cr_assert_eq(sdnfv_pkt_key_symmetric(&b), 0);
	cr_assert_arr_eq(&a, &b, sizeof(a));
	cr_assert_eq(a.sport, htons(0x00ff));
}

Test(pkt, gives_an_icmp_echo_and_its_reply_one_symmetric_key)
{
	struct sdnfv_pkt_key a, b;

	frame_init(&f);
	frame_ipv4(&f, 0x0a000001, 0x0a000002);
	frame_icmp(&f, 8, 0, 77);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &a), 0);
	frame_init(&f);
	frame_ipv4(&f, 0x0a000002, 0x0a000001);
	frame_icmp(&f, 0, 0, 77);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_key_build(f.d, &in, &b), 0);
	sdnfv_pkt_key_symmetric(&a);
	sdnfv_pkt_key_symmetric(&b);
	cr_assert_arr_eq(&a, &b, sizeof(a));
}

Test(pkt, hashes_keys_by_seed_and_content)
{
	struct sdnfv_pkt_key a, b;

	key_of(1, 2, 3, 4, &a);
	key_of(1, 2, 3, 5, &b);
	cr_assert_eq(sdnfv_pkt_key_hash(&a, 1), sdnfv_pkt_key_hash(&a, 1));
	cr_assert_neq(sdnfv_pkt_key_hash(&a, 1), sdnfv_pkt_key_hash(&b, 1));
	cr_assert_neq(sdnfv_pkt_key_hash(&a, 1), sdnfv_pkt_key_hash(&a, 2));
}
