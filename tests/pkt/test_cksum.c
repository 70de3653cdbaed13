/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksums against a byte-by-byte RFC 1071 reference, and rewrites against recomputation. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <sdnfv/pkt.h>

#include "pkt_test.h"
#include "rng.h"

static struct frame f;
static struct sdnfv_pkt_info in;

/* A small deterministic generator: failures reproduce. */
static struct rng rng = { 0x9e3779b97f4a7c15ull };

static uint32_t
rnd(void)
{
	return (uint32_t)(rng_next(&rng) >> 16);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Checksum field of the built frame's L4 header, host order. */
static uint16_t
l4_field(void)
{
	unsigned int at = f.proto == 6 ? 16 : f.proto == 17 ? 6 : 2;

	return rd16(f.d + f.l4 + at);
}

Test(pkt, sums_random_data_of_any_length_and_alignment_like_the_reference)
{
	static uint8_t buf[70000 + 8];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd();
	for (int i = 0; i < 20000; i++) {
		size_t off = rnd() % 8;
		size_t len = i % 100 == 0 ? rnd() % 70000 : rnd() % 2049;

		cr_assert_eq(ntohs(sdnfv_pkt_cksum(buf + off, len)), ref_cksum(buf + off, len),
			     "offset %zu length %zu", off, len);
	}
	/* All ones makes every addition carry. */
	memset(buf, 0xff, sizeof(buf));
	for (size_t len = 0; len < 300; len++)
		cr_assert_eq(ntohs(sdnfv_pkt_cksum(buf + len % 8, len)), ref_cksum(buf, len));
	cr_assert_eq(ntohs(sdnfv_pkt_cksum(buf, sizeof(buf) - 8)), ref_cksum(buf, sizeof(buf) - 8));
}

Test(pkt, sums_the_rfc_1071_example_and_zeros)
{
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t zeros[64];

	/* RFC 1071 section 3: the sum is 0xddf2, so the checksum is its complement. */
	cr_assert_eq(ntohs(sdnfv_pkt_cksum(ex, sizeof(ex))), 0x220d);
	cr_assert_eq(ntohs(sdnfv_pkt_cksum(zeros, sizeof(zeros))), 0xffff);
	cr_assert_eq(ntohs(sdnfv_pkt_cksum(zeros, 0)), 0xffff);
	cr_assert_eq(ntohs(sdnfv_pkt_cksum(ex, 1)), (uint16_t)~0x0000);
}

Test(pkt, computes_an_ipv4_header_checksum_as_if_its_field_were_zero)
{
	uint8_t h[60];

	for (int i = 0; i < 2000; i++) {
		size_t hl = 20 + 4 * (rnd() % 11);

		for (size_t k = 0; k < hl; k++)
			h[k] = rnd();
		uint16_t stored = rd16(h + 10);

		h[10] = h[11] = 0;
		uint16_t want = ref_cksum(h, hl);

		h[10] = stored >> 8;
		h[11] = stored & 0xff;
		cr_assert_eq(ntohs(sdnfv_pkt_ipv4_cksum(h, hl)), want);
	}
}

Test(pkt, updates_a_checksum_incrementally_like_a_recomputation)
{
	uint8_t buf[256];

	for (int i = 0; i < 20000; i++) {
		size_t len = 40 + 2 * (rnd() % 100);
		size_t at = 2 * (rnd() % ((len - 16) / 2));
		size_t flen = 2 + 2 * (rnd() % 8);
		uint8_t old[16], neu[16];
		rte_be16_t c;

		for (size_t k = 0; k < len; k++)
			buf[k] = rnd();
		c = htons(ref_cksum(buf, len));
		memcpy(old, buf + at, flen);
		for (size_t k = 0; k < flen; k++)
			neu[k] = rnd() % 4 == 0 ? old[k] : rnd();
		memcpy(buf + at, neu, flen);
		uint16_t want = ref_cksum(buf, len);

		cr_assert_eq(ntohs(sdnfv_pkt_cksum_adjust(c, old, neu, flen)), want);
		if (flen == 2) {
			rte_be16_t o, n;

			memcpy(&o, old, 2);
			memcpy(&n, neu, 2);
			cr_assert_eq(ntohs(sdnfv_pkt_cksum_adjust16(c, o, n)), want);
		}
		if (flen == 4) {
			rte_be32_t o, n;

			memcpy(&o, old, 4);
			memcpy(&n, neu, 4);
			cr_assert_eq(ntohs(sdnfv_pkt_cksum_adjust32(c, o, n)), want);
		}
	}
}

/* A frame of IP version `ipv` carrying `proto` with a random payload, parsed. */
static void
build(int ipv, uint8_t proto, unsigned int payload)
{
	frame_init(&f);
	if (ipv == 4)
		frame_ipv4(&f, rnd(), rnd());
	else
		frame_ipv6(&f, "2001:db8::1", "2001:db8:1:2:3:4:5:6");
	if (ipv == 6 && rnd() % 2) {
		frame_ext(&f, 0, 8);
		frame_ext(&f, 60, 16);
	}
	if (ipv == 4 && rnd() % 3 == 0)
		f.d[14] = 0x45; /* keep it simple: options are covered elsewhere */
	switch (proto) {
	case 6:
		frame_tcp(&f, rnd(), rnd());
		break;
	case 17:
		frame_udp(&f, rnd(), rnd());
		break;
	default:
		frame_icmp(&f, ipv == 4 ? 8 : 128, 0, rnd());
		break;
	}
	frame_payload(&f, payload);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
}

Test(pkt, computes_l4_checksums_with_their_pseudo_headers_like_the_reference)
{
	static const uint8_t protos[] = { 6, 17, 1 };

	for (int i = 0; i < 3000; i++) {
		int ipv = i % 2 ? 4 : 6;
		uint8_t proto = protos[rnd() % 3];
		rte_be16_t c;

		build(ipv, proto, rnd() % 1500);
		cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), 0);
		cr_assert_eq(ntohs(c), l4_field(), "IPv%d proto %u", ipv, in.l4_proto);
		cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
		/* Any one changed byte in the segment is caught. */
		uint32_t at = f.l4 + rnd() % (f.len - f.l4);

		f.d[at] ^= 1 + rnd() % 255;
		cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), -EBADMSG, "byte %u", at);
	}
}

Test(pkt, catches_a_wrong_ipv4_header_checksum)
{
	build(4, 6, 10);
	f.d[14 + 8]--; /* TTL */
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), -EBADMSG);
}

Test(pkt, returns_a_udp_checksum_that_computes_to_zero_as_all_ones)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		uint8_t *w;
		rte_be16_t c;

		build(ipv, 17, 10);
		/* Choose the last two payload bytes so the whole sum is all ones. */
		w = f.d + f.len - 2;
		w[0] = w[1] = 0;
		frame_finish(&f);
		uint16_t c0 = ref_l4_cksum(f.d, f.l3, f.ipv, f.pseudo_dst, f.l4, f.len - f.l4, 17);
		w[0] = c0 >> 8;
		w[1] = c0 & 0xff;
		frame_finish(&f);
		cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
		cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), 0);
		cr_assert_eq(c, 0xffff);
		cr_assert_eq(l4_field(), 0xffff);
		cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	}
}

Test(pkt, sums_only_the_datagram_and_the_udp_length_not_the_padding)
{
	rte_be16_t c;

	build(4, 17, 11);
	/* Six bytes inside the IP datagram after the UDP datagram, then Ethernet padding. */
	memset(f.d + f.len, 0xee, 6 + 20);
	f.d[17] += 6;
	f.d[24] = f.d[25] = 0;
	uint16_t ipc = ref_cksum(f.d + 14, 20);

	f.d[24] = ipc >> 8;
	f.d[25] = ipc & 0xff;
	f.len += 6 + 20;
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert(in.flags & SDNFV_PKT_F_PADDED);
	cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), 0);
	cr_assert_eq(ntohs(c), l4_field());
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);

	build(6, 6, 11);
	memset(f.d + f.len, 0xee, 20);
	f.len += 20;
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
}

Test(pkt, passes_a_zero_udp_checksum_over_ipv4_but_not_over_ipv6)
{
	build(4, 17, 20);
	f.d[f.l4 + 6] = f.d[f.l4 + 7] = 0;
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	build(6, 17, 20);
	f.d[f.l4 + 6] = f.d[f.l4 + 7] = 0;
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), -EBADMSG);
}

Test(pkt, refuses_l4_checksums_of_fragments_unknown_protocols_and_sctp)
{
	rte_be16_t c;

	build(4, 6, 20);
	f.d[14 + 6] = 0x20; /* MF: first fragment */
	f.d[24] = f.d[25] = 0;
	uint16_t ipc = ref_cksum(f.d + 14, 20);

	f.d[24] = ipc >> 8;
	f.d[25] = ipc & 0xff;
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), -EINVAL);
	f.d[f.l4 + 16] ^= 0xff; /* not checked: the segment is not whole */
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);

	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_sctp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), -EINVAL);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);

	frame_init(&f);
	frame_ipv6(&f, "::1", "::2");
	frame_proto(&f, 47, 8);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), -EINVAL);

	frame_init(&f);
	frame_ethertype(&f, 0x0806);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), -EINVAL);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), -EINVAL);
}

/* IPv6 + routing header of `type` with one segment left, then TCP; the final destination is
 * where RFC 8200 puts it for that type. */
static void
build_routed(uint8_t type)
{
	uint8_t *rh;

	frame_init(&f);
	frame_ipv6(&f, "2001:db8::1", "2001:db8::99");
	frame_ext(&f, 43, 8 + 2 * 16);
	rh = f.d + f.nh_at;
	rh[2] = type;
	rh[3] = 1;
	inet_pton(AF_INET6, "2001:db8:aaaa::1", rh + 8);
	inet_pton(AF_INET6, "2001:db8:bbbb::2", rh + 24);
	f.pseudo_dst = f.nh_at + (type == 0 ? 24 : 8);
	frame_tcp(&f, 1000, 2000);
	frame_payload(&f, 33);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
}

Test(pkt, puts_the_final_destination_of_a_routing_header_in_the_pseudo_header)
{
	static const uint8_t types[] = { 0, 2, 4 };

	for (size_t i = 0; i < 3; i++) {
		rte_be16_t c;

		build_routed(types[i]);
		cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), 0);
		cr_assert_eq(ntohs(c), l4_field(), "routing type %u", types[i]);
		cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	}
	/* With no segment left, the destination field is the final destination. */
	build_routed(4);
	f.d[f.l3 + 40 + 3] = 0;
	f.pseudo_dst = f.l3 + 24;
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
}

Test(pkt, leaves_the_l4_checksum_when_rewriting_a_destination_that_is_not_final)
{
	union sdnfv_pkt_addr a;

	build_routed(4);
	uint16_t before = l4_field();

	inet_pton(AF_INET6, "2001:db8:cccc::3", a.v6);
	cr_assert_eq(sdnfv_pkt_set_addr(f.d, &in, SDNFV_PKT_DST, &a), 0);
	cr_assert_eq(l4_field(), before);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	cr_assert_eq(sdnfv_pkt_set_addr(f.d, &in, SDNFV_PKT_SRC, &a), 0);
	cr_assert_neq(l4_field(), before);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
}

/* After rewrites, every checksum must equal a full recomputation (ours and the reference). */
static void
assert_checksums_recomputed(const char *what)
{
	rte_be16_t c;

	if (f.ipv == 4) {
		cr_assert_eq(ntohs(sdnfv_pkt_ipv4_cksum(f.d + f.l3, 20)), rd16(f.d + f.l3 + 10),
			     "%s", what);
		uint8_t h[20];

		memcpy(h, f.d + f.l3, 20);
		h[10] = h[11] = 0;
		cr_assert_eq(ref_cksum(h, 20), rd16(f.d + f.l3 + 10), "%s", what);
	}
	cr_assert_eq(sdnfv_pkt_l4_cksum(f.d, &in, &c), 0);
	cr_assert_eq(ntohs(c), l4_field(), "%s: incremental 0x%04x, recomputed 0x%04x", what,
		     l4_field(), ntohs(c));
	uint16_t ref = ref_l4_cksum(f.d, f.l3, f.ipv, f.pseudo_dst, f.l4, f.len - f.l4, f.proto);

	if (f.proto == 17 && ref == 0)
		ref = 0xffff;
	cr_assert_eq(ref, l4_field(), "%s", what);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0, "%s", what);
}

Test(pkt, rewrites_addresses_and_ports_with_checksums_equal_to_a_recomputation)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	char what[96];

	for (int i = 0; i < 4000; i++) {
		int ipv = i % 2 ? 4 : 6;
		uint8_t proto = protos[(i / 2) % 3];

		build(ipv, proto, rnd() % 200);
		for (int step = 0; step < 4; step++) {
			enum sdnfv_pkt_dir dir = rnd() % 2 ? SDNFV_PKT_SRC : SDNFV_PKT_DST;

			if (rnd() % 2) {
				union sdnfv_pkt_addr a;

				for (int k = 0; k < 16; k++)
					a.v6[k] = rnd();
				if (ipv == 4)
					memset(a.v6 + 4, 0, 12);
				cr_assert_eq(sdnfv_pkt_set_addr(f.d, &in, dir, &a), 0);
				snprintf(what, sizeof(what), "IPv%d proto %u set_addr %d", ipv,
					 proto, dir);
			} else {
				rte_be16_t port = (rte_be16_t)rnd();

				cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, dir, port), 0);
				if (proto == 1) {
					cr_assert_eq(in.sport, port);
					cr_assert_eq(in.dport, port);
				} else {
					cr_assert_eq(dir == SDNFV_PKT_SRC ? in.sport : in.dport,
						     port);
				}
				snprintf(what, sizeof(what), "IPv%d proto %u set_port %d", ipv,
					 proto, dir);
			}
			assert_checksums_recomputed(what);
		}
	}
}

Test(pkt, keeps_a_zero_udp_checksum_zero_through_rewrites)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		union sdnfv_pkt_addr a = { .u64 = { 0x1122334455667788ull, 0x99 } };

		build(ipv, 17, 30);
		f.d[f.l4 + 6] = f.d[f.l4 + 7] = 0;
		if (ipv == 4)
			memset(a.v6 + 4, 0, 12);
		cr_assert_eq(sdnfv_pkt_set_addr(f.d, &in, SDNFV_PKT_SRC, &a), 0);
		cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_DST, htons(9999)), 0);
		cr_assert_eq(l4_field(), 0);
		if (ipv == 4)
			cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	}
}

Test(pkt, stores_a_udp_checksum_that_becomes_zero_as_all_ones)
{
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		rte_be16_t old_port, c, new_port;
		uint32_t s;

		build(ipv, 17, 30);
		memcpy(&old_port, f.d + f.l4, 2);
		memcpy(&c, f.d + f.l4 + 6, 2);
		/* The new checksum ~(~C + ~old + new) is 0 when new = C + old, one's complement. */
		s = (uint32_t)ntohs(c) + ntohs(old_port);
		s = (s & 0xffff) + (s >> 16);
		new_port = htons((uint16_t)s);
		cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_SRC, new_port), 0);
		cr_assert_eq(l4_field(), 0xffff, "IPv%d", ipv);
		assert_checksums_recomputed("UDP checksum to zero");
	}
}

Test(pkt, rewrites_an_icmp_query_identifier_but_no_icmp_error)
{
	build(4, 1, 20);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_DST, htons(4321)), 0);
	cr_assert_eq(rd16(f.d + f.l4 + 4), 4321);
	cr_assert_eq(in.sport, htons(4321));
	cr_assert_eq(in.dport, htons(4321));
	assert_checksums_recomputed("ICMP id");

	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_icmp(&f, 3, 1, 0);
	frame_payload(&f, 28);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_SRC, 1), -EINVAL);
}

Test(pkt, refuses_port_rewrites_without_ports_and_for_sctp)
{
	frame_init(&f);
	frame_ipv4(&f, 1, 2);
	frame_sctp(&f, 1, 2);
	frame_finish(&f);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_SRC, 5), -ENOTSUP);

	build(4, 17, 10);
	f.d[14 + 7] = 20; /* later fragment */
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_SRC, 5), -EINVAL);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, (enum sdnfv_pkt_dir)7, 5), -EINVAL);

	frame_init(&f);
	frame_ethertype(&f, 0x0806);
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_SRC, 5), -EINVAL);
	cr_assert_eq(sdnfv_pkt_set_addr(f.d, &in, SDNFV_PKT_SRC, &(union sdnfv_pkt_addr){ 0 }),
		     -EINVAL);
}

Test(pkt, updates_only_the_ip_header_checksum_of_a_later_fragment)
{
	union sdnfv_pkt_addr a = { .v4 = htonl(0x0a0a0a0a) };
	uint8_t l4_before[64];

	build(4, 17, 30);
	f.d[14 + 7] = 20;
	f.d[24] = f.d[25] = 0;
	uint16_t ipc = ref_cksum(f.d + 14, 20);

	f.d[24] = ipc >> 8;
	f.d[25] = ipc & 0xff;
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	memcpy(l4_before, f.d + f.l4, 38);
	cr_assert_eq(sdnfv_pkt_set_addr(f.d, &in, SDNFV_PKT_DST, &a), 0);
	cr_assert_arr_eq(f.d + f.l4, l4_before, 38);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	cr_assert_eq(rd16(f.d + 14 + 16), 0x0a0a);
}

/* Found by fuzz_pkt: a checksum stored as 0xffff where a recomputation gives 0 is the same one's
 * complement number; verify accepts it and rewrites keep it valid. */
Test(pkt, accepts_a_checksum_stored_as_the_other_form_of_zero)
{
	uint16_t c0;
	uint8_t *w;

	build(4, 1, 10);
	w = f.d + f.len - 2;
	w[0] = w[1] = 0;
	frame_finish(&f);
	c0 = ref_l4_cksum(f.d, f.l3, f.ipv, f.pseudo_dst, f.l4, f.len - f.l4, 1);
	w[0] = c0 >> 8; /* now the sum is all ones: the checksum computes to 0 */
	w[1] = c0 & 0xff;
	frame_finish(&f);
	cr_assert_eq(l4_field(), 0);
	f.d[f.l4 + 2] = f.d[f.l4 + 3] = 0xff;
	cr_assert_eq(sdnfv_pkt_parse(f.d, f.len, &in), 0);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	cr_assert_eq(
		sdnfv_pkt_set_addr(f.d, &in, SDNFV_PKT_SRC, &(union sdnfv_pkt_addr){ .v4 = 7 }), 0);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
	cr_assert_eq(sdnfv_pkt_set_port(f.d, &in, SDNFV_PKT_SRC, htons(0x1234)), 0);
	cr_assert_eq(sdnfv_pkt_cksum_verify(f.d, &in), 0);
}
