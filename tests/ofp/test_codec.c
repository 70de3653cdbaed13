/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow 1.3 codec without a peer (no EAL): every decoder on good input, every documented
 * error code, truncation at every length (each truncated message in a heap block of exactly its
 * size, so AddressSanitizer catches a read past it), hello version negotiation, random matches
 * through encode and decode, and multipart splitting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_log.h>

#include <sdnfv/flow.h>

#include "codec_test.h"

static void
quiet(void)
{
	rte_log_set_global_level(RTE_LOG_CRIT); /* bad input is logged at NOTICE by design */
}

TestSuite(ofp_codec, .init = quiet);

/* ---- helpers -------------------------------------------------------------------------------- */

static struct sdnfv_flow_match
tcp_match(void)
{
	struct sdnfv_flow_match m = { 0 };

	m.fields = SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC |
		   SDNFV_FLOW_M_DPORT;
	m.eth_type = 0x0800;
	m.ip_proto = 6;
	m.src.v6[0] = 10;
	m.src_plen = 8;
	m.dport = 80;
	m.dport_mask = 0xffff;
	return m;
}

/* Decode a match from hand-written OXM bytes (the ofp_match header and padding are added). */
static int
decode_oxm(const uint8_t *oxm, size_t n, struct ofp_match *out, struct ofp_err *err)
{
	uint8_t buf[512] = { 0 };
	size_t consumed, padded = (4 + n + 7) & ~(size_t)7;
	uint8_t *copy;
	int ret;

	cr_assert_leq(padded, sizeof(buf));
	buf[1] = 1; /* OFPMT_OXM */
	buf[2] = (uint8_t)((4 + n) >> 8);
	buf[3] = (uint8_t)(4 + n);
	memcpy(buf + 4, oxm, n);
	copy = malloc(padded);
	memcpy(copy, buf, padded);
	ret = ofp_match_decode(copy, padded, out, &consumed, err);
	if (ret == 0)
		cr_expect_eq(consumed, padded);
	free(copy);
	return ret;
}

static void
match_fails(const uint8_t *oxm, size_t n, uint16_t code, const char *what)
{
	struct ofp_err err = { 0 };
	struct ofp_match om;

	cr_assert_eq(decode_oxm(oxm, n, &om, &err), -EPROTO, "%s: must be refused", what);
	cr_expect_eq(err.type, OFPET_BAD_MATCH, "%s: error type %u", what, err.type);
	cr_expect_eq(err.code, code, "%s: code %u, want %u", what, err.code, code);
}

/* A heap copy of exactly len bytes, so ASan sees reads past it. */
static uint8_t *
exact_copy(const void *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	cr_assert_not_null(c);
	if (len > 0)
		memcpy(c, p, len);
	return c;
}

static void
expect_err(struct ofp_err err, uint16_t type, uint16_t code, const char *what)
{
	cr_expect(err.type == type && err.code == code, "%s: error %u/%u, want %u/%u", what,
		  err.type, err.code, type, code);
}

#define OXM(field, hm, len) 0x80, 0x00, (uint8_t)((field) << 1 | (hm)), (len)

/* ---- matches -------------------------------------------------------------------------------- */

Test(ofp_codec, a_hand_written_oxm_match_decodes_into_the_flow_match)
{
	const uint8_t oxm[] = {
		OXM(0, 0, 4),  0,    0,  0,    7,                /* in_port 7 */
		OXM(5, 0, 2),  0x08, 0,                          /* eth_type IPv4 */
		OXM(10, 0, 1), 6,                                /* ip_proto TCP */
		OXM(11, 1, 8), 10,   0,  0,    0, 0xff, 0, 0, 0, /* ipv4_src 10/8 */
		OXM(14, 0, 2), 0,    80,                         /* tcp_dst 80 */
		OXM(13, 1, 4), 0x10, 0,  0xff, 0,                /* tcp_src 0x1000/0xff00 */
	};
	struct ofp_err err = { 0 };
	struct ofp_match om;

	cr_assert_eq(decode_oxm(oxm, sizeof(oxm), &om, &err), 0);
	cr_expect_eq(om.m.fields, SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE |
					  SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC |
					  SDNFV_FLOW_M_DPORT | SDNFV_FLOW_M_SPORT);
	cr_expect_eq(om.of_in_port, 7);
	cr_expect_eq(om.m.in_port, 0);
	cr_expect_eq(om.m.eth_type, 0x0800);
	cr_expect_eq(om.m.ip_proto, 6);
	cr_expect_eq(om.m.src.v6[0], 10);
	cr_expect_eq(om.m.src_plen, 8);
	cr_expect_eq(om.m.dport, 80);
	cr_expect_eq(om.m.dport_mask, 0xffff);
	cr_expect_eq(om.m.sport, 0x1000);
	cr_expect_eq(om.m.sport_mask, 0xff00);
	cr_expect_eq(sdnfv_flow_match_check(&om.m), 0);
}

Test(ofp_codec, an_ipv6_prefix_and_icmpv6_decode)
{
	const uint8_t oxm[] = {
		OXM(5, 0, 2),
		0x86,
		0xdd,
		OXM(10, 0, 1),
		58,
		OXM(27, 1, 32),
		0x20,
		0x01,
		0x0d,
		0xb8,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0xff,
		0xff,
		0xff,
		0xff,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		OXM(29, 0, 1),
		135,
		OXM(30, 0, 1),
		0,
	};
	struct ofp_err err = { 0 };
	struct ofp_match om;

	cr_assert_eq(decode_oxm(oxm, sizeof(oxm), &om, &err), 0);
	cr_expect_eq(om.m.dst_plen, 32);
	cr_expect_eq(om.m.dst.v6[1], 0x01);
	cr_expect_eq(om.m.icmp_type, 135);
	cr_expect(om.m.fields & SDNFV_FLOW_M_ICMP_CODE);
}

Test(ofp_codec, vlan_values_map_to_present_none_and_any_tag)
{
	const uint8_t none[] = { OXM(6, 0, 2), 0x00, 0x00 };
	const uint8_t vid5[] = { OXM(6, 0, 2), 0x10, 0x05 };
	const uint8_t any[] = { OXM(6, 1, 4), 0x10, 0x00, 0x10, 0x00 };
	struct ofp_err err = { 0 };
	struct ofp_match om;

	cr_assert_eq(decode_oxm(none, sizeof(none), &om, &err), 0);
	cr_expect(om.m.vlan == 0 && om.m.vlan_mask == 0x1fff, "OFPVID_NONE: untagged");
	cr_assert_eq(decode_oxm(vid5, sizeof(vid5), &om, &err), 0);
	cr_expect(om.m.vlan == (SDNFV_FLOW_VLAN_PRESENT | 5) && om.m.vlan_mask == 0x1fff);
	cr_assert_eq(decode_oxm(any, sizeof(any), &om, &err), 0);
	cr_expect(om.m.vlan == 0x1000 && om.m.vlan_mask == 0x1000, "any tag");
}

Test(ofp_codec, each_match_error_has_its_openflow_code)
{
	const uint8_t eth_dst[] = { OXM(3, 0, 6), 0, 1, 2, 3, 4, 5 };
	const uint8_t other_class[] = { 0x00, 0x01, 0x00, 4, 0, 0, 0, 1 };
	const uint8_t bad_len[] = { OXM(5, 0, 3), 0x08, 0, 0 };
	const uint8_t runs_past[] = { OXM(5, 0, 9), 0x08, 0 };
	const uint8_t short_hdr[] = { 0x80, 0x00 };
	const uint8_t masked_eth[] = { OXM(5, 1, 4), 0x08, 0, 0xff, 0xff };
	const uint8_t hole_mask[] = { OXM(5, 0, 2), 0x08, 0, OXM(12, 1, 8), 10, 0, 0, 0, 0xff, 0,
				      0xff,         0 };
	const uint8_t dup[] = { OXM(5, 0, 2), 0x08, 0, OXM(5, 0, 2), 0x08, 0 };
	const uint8_t no_eth[] = { OXM(11, 0, 4), 10, 0, 0, 1 };
	const uint8_t wrong_proto[] = { OXM(5, 0, 2), 0x08,          0, OXM(10, 0, 1),
					17,           OXM(13, 0, 2), 0, 80 };
	const uint8_t tcp_no_proto[] = { OXM(5, 0, 2), 0x08, 0, OXM(14, 0, 2), 0, 80 };
	const uint8_t icmp6_on_v4[] = {
		OXM(5, 0, 2), 0x08, 0, OXM(10, 0, 1), 58, OXM(29, 0, 1), 1
	};
	const uint8_t icmp4_on_v6[] = {
		OXM(5, 0, 2), 0x86, 0xdd, OXM(10, 0, 1), 1, OXM(19, 0, 1), 8
	};
	const uint8_t v6_on_v4[] = {
		OXM(5, 0, 2), 0x08, 0, OXM(26, 0, 16), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
		14,           15,   16
	};
	const uint8_t wild[] = { OXM(5, 0, 2), 0x08, 0, OXM(11, 1, 8), 10, 0, 0, 1, 0xff, 0, 0, 0 };
	const uint8_t port_wild[] = { OXM(5, 0, 2),  0x08, 0,  OXM(10, 0, 1), 6,
				      OXM(14, 1, 4), 0,    81, 0xff,          0xf0 };
	const uint8_t vlan_no_present[] = { OXM(6, 0, 2), 0x00, 0x05 };
	const uint8_t in_port_zero[] = { OXM(0, 0, 4), 0, 0, 0, 0 };
	const uint8_t vlan_wide_mask[] = { OXM(6, 1, 4), 0x10, 0x00, 0xff, 0xff };

	match_fails(eth_dst, sizeof(eth_dst), OFPBMC_BAD_FIELD, "eth_dst");
	match_fails(other_class, sizeof(other_class), OFPBMC_BAD_FIELD, "NXM class");
	match_fails(bad_len, sizeof(bad_len), OFPBMC_BAD_LEN, "eth_type of 3 bytes");
	match_fails(runs_past, sizeof(runs_past), OFPBMC_BAD_LEN, "oxm past the match");
	match_fails(short_hdr, sizeof(short_hdr), OFPBMC_BAD_LEN, "half an oxm header");
	match_fails(masked_eth, sizeof(masked_eth), OFPBMC_BAD_MASK, "masked eth_type");
	match_fails(hole_mask, sizeof(hole_mask), OFPBMC_BAD_NW_ADDR_MASK, "mask 255.0.255.0");
	match_fails(dup, sizeof(dup), OFPBMC_DUP_FIELD, "eth_type twice");
	match_fails(no_eth, sizeof(no_eth), OFPBMC_BAD_PREREQ, "ipv4_src without eth_type");
	match_fails(wrong_proto, sizeof(wrong_proto), OFPBMC_BAD_PREREQ, "tcp_src with udp");
	match_fails(tcp_no_proto, sizeof(tcp_no_proto), OFPBMC_BAD_PREREQ, "tcp_dst without proto");
	match_fails(icmp6_on_v4, sizeof(icmp6_on_v4), OFPBMC_BAD_PREREQ, "icmpv6 over IPv4");
	match_fails(icmp4_on_v6, sizeof(icmp4_on_v6), OFPBMC_BAD_PREREQ, "icmpv4 over IPv6");
	match_fails(v6_on_v4, sizeof(v6_on_v4), OFPBMC_BAD_PREREQ, "ipv6_src with eth_type IPv4");
	match_fails(wild, sizeof(wild), OFPBMC_BAD_WILDCARDS, "10.0.0.1/8");
	match_fails(port_wild, sizeof(port_wild), OFPBMC_BAD_WILDCARDS, "port 81/0xfff0");
	match_fails(vlan_no_present, sizeof(vlan_no_present), OFPBMC_BAD_VALUE, "vid 5 unmasked");
	match_fails(in_port_zero, sizeof(in_port_zero), OFPBMC_BAD_VALUE, "in_port 0");
	match_fails(vlan_wide_mask, sizeof(vlan_wide_mask), OFPBMC_BAD_MASK, "vlan mask 0xffff");
}

Test(ofp_codec, a_match_of_another_type_or_length_is_refused)
{
	uint8_t std[8] = { 0, 0, 0, 4 }; /* OFPMT_STANDARD */
	uint8_t past[8] = { 0, 1, 0, 12 };
	uint8_t tiny[8] = { 0, 1, 0, 3 };
	struct ofp_err err = { 0 };
	struct ofp_match om;
	size_t consumed;

	cr_expect_eq(ofp_match_decode(std, 8, &om, &consumed, &err), -EPROTO);
	expect_err(err, OFPET_BAD_MATCH, OFPBMC_BAD_TYPE, "standard match");
	cr_expect_eq(ofp_match_decode(past, 8, &om, &consumed, &err), -EPROTO);
	expect_err(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "length 12 in 8 bytes");
	cr_expect_eq(ofp_match_decode(tiny, 8, &om, &consumed, &err), -EPROTO);
	expect_err(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "length 3");
	cr_expect_eq(ofp_match_decode(std, 3, &om, &consumed, &err), -EPROTO);
	expect_err(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "3 bytes");
}

/* A random match that passes sdnfv_flow_match_check(), in_port 0 as the decoder leaves it. */
static struct sdnfv_flow_match
random_match(unsigned int *seed)
{
	static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47 };
	struct sdnfv_flow_match m = { 0 };
	unsigned int i;

	if (rand_r(seed) % 2)
		m.fields |= SDNFV_FLOW_M_IN_PORT;
	if (rand_r(seed) % 3) {
		unsigned int k = rand_r(seed) % 4;

		m.fields |= SDNFV_FLOW_M_VLAN;
		if (k == 0) {
			m.vlan = 0;
			m.vlan_mask = 0x1fff;
		} else if (k == 1) {
			m.vlan = (uint16_t)(0x1000 | (rand_r(seed) & 0xfff));
			m.vlan_mask = 0x1fff;
		} else {
			m.vlan_mask = (uint16_t)(rand_r(seed) & 0x1fff);
			m.vlan = (uint16_t)(rand_r(seed) & m.vlan_mask);
		}
	}
	if (rand_r(seed) % 4 == 0) {
		if (rand_r(seed) % 2) {
			m.fields |= SDNFV_FLOW_M_ETH_TYPE;
			m.eth_type = (uint16_t)rand_r(seed);
			if (m.eth_type == 0x0800 || m.eth_type == 0x86dd)
				m.eth_type = 0x0806;
		}
		return m;
	}
	m.fields |= SDNFV_FLOW_M_ETH_TYPE;
	m.eth_type = rand_r(seed) % 2 ? 0x0800 : 0x86dd;
	unsigned int alen = m.eth_type == 0x0800 ? 4 : 16;
	for (i = 0; i < 2; i++) {
		union sdnfv_pkt_addr *a = i == 0 ? &m.src : &m.dst;
		uint8_t *plen = i == 0 ? &m.src_plen : &m.dst_plen;
		unsigned int b;

		if (rand_r(seed) % 2 == 0)
			continue;
		m.fields |= i == 0 ? SDNFV_FLOW_M_SRC : SDNFV_FLOW_M_DST;
		*plen = (uint8_t)(rand_r(seed) % (alen * 8 + 1));
		for (b = 0; b < *plen; b++)
			if (rand_r(seed) % 2)
				a->v6[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	}
	if (rand_r(seed) % 5 == 0)
		return m;
	m.fields |= SDNFV_FLOW_M_IP_PROTO;
	m.ip_proto = protos[rand_r(seed) % sizeof(protos)];
	if (m.ip_proto == 6 || m.ip_proto == 17 || m.ip_proto == 132) {
		if (rand_r(seed) % 2) {
			m.fields |= SDNFV_FLOW_M_SPORT;
			m.sport_mask = rand_r(seed) % 2 ? 0xffff : (uint16_t)rand_r(seed);
			m.sport = (uint16_t)(rand_r(seed) & m.sport_mask);
		}
		if (rand_r(seed) % 2) {
			m.fields |= SDNFV_FLOW_M_DPORT;
			m.dport_mask = rand_r(seed) % 2 ? 0xffff : (uint16_t)rand_r(seed);
			m.dport = (uint16_t)(rand_r(seed) & m.dport_mask);
		}
	} else if ((m.ip_proto == 1 && m.eth_type == 0x0800) ||
		   (m.ip_proto == 58 && m.eth_type == 0x86dd)) {
		if (rand_r(seed) % 2) {
			m.fields |= SDNFV_FLOW_M_ICMP_TYPE;
			m.icmp_type = (uint8_t)rand_r(seed);
		}
		if (rand_r(seed) % 2) {
			m.fields |= SDNFV_FLOW_M_ICMP_CODE;
			m.icmp_code = (uint8_t)rand_r(seed);
		}
	}
	return m;
}

static bool
match_same(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

Test(ofp_codec, random_valid_matches_round_trip_through_encode_and_decode)
{
	unsigned int seed = 6, i;

	for (i = 0; i < 20000; i++) {
		struct sdnfv_flow_match m = random_match(&seed);
		uint32_t port = 1 + (uint32_t)rand_r(&seed) % 0xffffff00u;
		struct ofp_err err = { 0 };
		struct ofp_buf b;
		struct ofp_match back;
		size_t consumed;
		uint8_t *copy;

		cr_assert_eq(sdnfv_flow_match_check(&m), 0, "generator made a bad match (%u)", i);
		ofp_buf_init(&b);
		ofp_match_encode(&b, &m, port);
		cr_assert_eq(b.err, 0);
		cr_assert_eq(b.len % 8, 0, "match not padded to 8");
		copy = exact_copy(b.data, b.len);
		cr_assert_eq(ofp_match_decode(copy, b.len, &back, &consumed, &err), 0,
			     "match %u (fields 0x%x) does not decode: %u/%u", i, m.fields, err.type,
			     err.code);
		cr_assert_eq(consumed, b.len);
		cr_assert(match_same(&m, &back.m), "match %u (fields 0x%x) comes back different", i,
			  m.fields);
		if (m.fields & SDNFV_FLOW_M_IN_PORT)
			cr_assert_eq(back.of_in_port, port);
		free(copy);
		ofp_buf_free(&b);
	}
}

/* ---- hello ---------------------------------------------------------------------------------- */

static int
hello(uint8_t version, const uint32_t *bitmap, size_t words, uint8_t *common, struct ofp_err *err)
{
	struct ofp_buf b;
	uint8_t *copy;
	size_t off, i;
	int ret;

	ofp_buf_init(&b);
	off = ofp_msg_begin(&b, OFPT_HELLO, 1);
	if (bitmap != NULL) {
		t_put16(&b, 1);
		t_put16(&b, (uint16_t)(4 + 4 * words));
		for (i = 0; i < words; i++)
			t_put32(&b, bitmap[i]);
		ofp_buf_put(&b, NULL, ((4 + 4 * words + 7) & ~7u) - (4 + 4 * words));
	}
	ofp_msg_end(&b, off);
	b.data[0] = version;
	copy = exact_copy(b.data, b.len);
	ret = ofp_decode_hello(copy, b.len, common, err);
	free(copy);
	ofp_buf_free(&b);
	return ret;
}

Test(ofp_codec, hello_negotiates_1_3_from_the_bitmap_or_the_version)
{
	const uint32_t with13[] = { (1u << 1) | (1u << 4) | (1u << 5) };
	const uint32_t without13[] = { (1u << 1) | (1u << 5) };
	const uint32_t two_words[] = { 1u << 4, 1u };
	struct ofp_err err = { 0 };
	uint8_t common = 0;

	cr_expect_eq(hello(4, NULL, 0, &common, &err), 0, "plain 1.3 hello");
	cr_expect_eq(common, 4);
	cr_expect_eq(hello(5, NULL, 0, &common, &err), 0, "a newer version-only hello");
	cr_expect_eq(common, 4);
	cr_expect_eq(hello(5, with13, 1, &common, &err), 0, "0x05 with 1.3 in the bitmap");
	cr_expect_eq(common, 4);
	cr_expect_eq(hello(6, two_words, 2, &common, &err), 0, "two bitmap words");
	cr_expect_eq(hello(5, without13, 1, &common, &err), -EPROTONOSUPPORT, "bitmap without 1.3");
	expect_err(err, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, "bitmap without 1.3");
	err = (struct ofp_err){ 0 };
	cr_expect_eq(hello(1, NULL, 0, &common, &err), -EPROTONOSUPPORT, "version-only 1.0");
	expect_err(err, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, "version-only 1.0");
	cr_expect_eq(common, 0);
}

Test(ofp_codec, hello_skips_unknown_elements_and_refuses_bad_element_lengths)
{
	uint8_t unknown[] = { 4, 0, 0, 24, 0, 0, 0, 1, 0, 9, 0, 6,
			      1, 2, 0, 0,  0, 1, 0, 8, 0, 0, 0, 0x10 };
	uint8_t bad[] = { 4, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 2, 0, 0, 0, 0 };
	uint8_t past[] = { 4, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 12, 0, 0, 0, 0x10 };
	struct ofp_err err = { 0 };
	uint8_t common;

	cr_expect_eq(ofp_decode_hello(unknown, sizeof(unknown), &common, &err), 0);
	cr_expect_eq(ofp_decode_hello(bad, sizeof(bad), &common, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "element length 2");
	cr_expect_eq(ofp_decode_hello(past, sizeof(past), &common, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "element past the message");
}

/* ---- flow_mod and instructions ------------------------------------------------------------------ */

static struct ofp_acts
outputs(unsigned int n)
{
	struct ofp_acts a = { .n_out = n };
	unsigned int i;

	for (i = 0; i < n; i++) {
		a.out[i].port = i + 1;
		a.out[i].max_len = 0;
	}
	return a;
}

static int
flow_mod_decode(const struct ofp_buf *b, struct ofp_flow_mod *fm, struct ofp_err *err)
{
	uint8_t *copy = exact_copy(b->data, b->len);
	int ret = ofp_decode_flow_mod(copy, b->len, fm, err);

	free(copy);
	return ret;
}

Test(ofp_codec, a_flow_mod_decodes_with_its_fields_match_and_outputs)
{
	struct sdnfv_flow_match m = tcp_match();
	struct ofp_acts a = outputs(2);
	struct ofp_err err = { 0 };
	struct ofp_flow_mod fm;
	struct ofp_buf b;

	a.out[1].port = OFPP_CONTROLLER;
	a.out[1].max_len = 0xffff;
	m.fields |= SDNFV_FLOW_M_IN_PORT;
	ofp_buf_init(&b);
	t_flow_mod(&b, 9, OFPFC_ADD, 0, OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP, &m, 3, &a);
	cr_assert_eq(flow_mod_decode(&b, &fm, &err), 0);
	cr_expect_eq(fm.cookie, 0x1234);
	cr_expect_eq(fm.command, OFPFC_ADD);
	cr_expect_eq(fm.idle_timeout, 10);
	cr_expect_eq(fm.hard_timeout, 20);
	cr_expect_eq(fm.priority, 300);
	cr_expect_eq(fm.buffer_id, OFP_NO_BUFFER);
	cr_expect_eq(fm.out_port, OFPP_ANY);
	cr_expect_eq(fm.flags, OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP);
	cr_expect(match_same(&fm.match.m, &m));
	cr_expect_eq(fm.match.of_in_port, 3);
	cr_expect_eq(fm.acts.n_out, 2);
	cr_expect_eq(fm.acts.out[0].port, 1);
	cr_expect_eq(fm.acts.out[1].port, OFPP_CONTROLLER);
	cr_expect_eq(fm.acts.out[1].max_len, 0xffff);
	ofp_buf_free(&b);
}

Test(ofp_codec, flow_mod_refuses_bad_commands_flags_and_tables)
{
	struct sdnfv_flow_match m = tcp_match();
	struct ofp_acts a = outputs(1);
	struct ofp_err err = { 0 };
	struct ofp_flow_mod fm;
	struct ofp_buf b;

	ofp_buf_init(&b);
	t_flow_mod(&b, 1, 5, 0, 0, &m, 0, &a);
	cr_expect_eq(flow_mod_decode(&b, &fm, &err), -EPROTO);
	expect_err(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND, "command 5");
	ofp_buf_reset(&b);
	t_flow_mod(&b, 1, OFPFC_ADD, 0, 0x20, &m, 0, &a);
	cr_expect_eq(flow_mod_decode(&b, &fm, &err), -EPROTO);
	expect_err(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS, "flag 0x20");
	ofp_buf_reset(&b);
	t_flow_mod(&b, 1, OFPFC_ADD, 1, 0, &m, 0, &a);
	cr_expect_eq(flow_mod_decode(&b, &fm, &err), -EPROTO);
	expect_err(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID, "table 1");
	ofp_buf_reset(&b);
	t_flow_mod(&b, 1, OFPFC_ADD, OFPTT_ALL, 0, &m, 0, &a);
	cr_expect_eq(flow_mod_decode(&b, &fm, &err), -EPROTO);
	expect_err(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID, "add to all tables");
	ofp_buf_reset(&b);
	t_flow_mod(&b, 1, OFPFC_DELETE, OFPTT_ALL, 0, &m, 0, &a);
	cr_expect_eq(flow_mod_decode(&b, &fm, &err), 0, "delete from all tables is fine");
	ofp_buf_free(&b);
}

/* Decode an instruction list given as bytes. */
static int
insts(const uint8_t *p, size_t n, struct ofp_acts *out, struct ofp_err *err)
{
	uint8_t *copy = exact_copy(p, n);
	int ret = ofp_instructions_decode(copy, n, out, err);

	free(copy);
	return ret;
}

#define OUTPUT(port) 0, 0, 0, 16, 0, 0, 0, (port), 0, 0, 0, 0, 0, 0, 0, 0

Test(ofp_codec, each_instruction_error_has_its_openflow_code)
{
	const uint8_t go[] = { 0, 1, 0, 8, 1, 0, 0, 0 };
	const uint8_t meta[24] = { 0, 2, 0, 24 };
	const uint8_t meter[] = { 0, 6, 0, 8, 0, 0, 0, 1 };
	const uint8_t unknown[] = { 0, 99, 0, 8, 0, 0, 0, 0 };
	const uint8_t exp[] = { 0xff, 0xff, 0, 8, 0, 0, 0, 1 };
	const uint8_t twice[] = { 0, 4, 0, 24, 0, 0, 0, 0, OUTPUT(1), 0, 4, 0, 8, 0, 0, 0, 0 };
	const uint8_t short_len[] = { 0, 4, 0, 4 };
	const uint8_t past[] = { 0, 4, 0, 32, 0, 0, 0, 0, OUTPUT(1) };
	const uint8_t cut[] = { 0, 4 };
	const uint8_t clear_long[] = { 0, 5, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t good[] = { 0, 5, 0, 8,         0, 0, 0, 0,  0, 3, 0, 24, 0,
				 0, 0, 0, OUTPUT(1), 0, 4, 0, 24, 0, 0, 0, 0,  OUTPUT(2) };
	struct ofp_err err = { 0 };
	struct ofp_acts a;

	cr_expect_eq(insts(go, sizeof(go), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID, "goto_table");
	cr_expect_eq(insts(meta, sizeof(meta), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST, "write_metadata");
	cr_expect_eq(insts(meter, sizeof(meter), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST, "meter");
	cr_expect_eq(insts(unknown, sizeof(unknown), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST, "type 99");
	cr_expect_eq(insts(exp, sizeof(exp), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST, "experimenter");
	cr_expect_eq(insts(twice, sizeof(twice), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST, "apply_actions twice");
	cr_expect_eq(insts(short_len, sizeof(short_len), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "length 4");
	cr_expect_eq(insts(past, sizeof(past), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "past the list");
	cr_expect_eq(insts(cut, sizeof(cut), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "half a header");
	cr_expect_eq(insts(clear_long, sizeof(clear_long), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "clear_actions of 16");
	cr_expect_eq(insts(good, sizeof(good), &a, &err), 0, "clear, write and apply");
	cr_expect_eq(a.n_out, 2);
	cr_expect_eq(insts(NULL, 0, &a, &err), 0, "no instruction: drop");
	cr_expect_eq(a.n_out, 0);
}

static int
acts(const uint8_t *p, size_t n, struct ofp_acts *out, struct ofp_err *err)
{
	uint8_t *copy = exact_copy(p, n);
	int ret = ofp_actions_decode(copy, n, out, err);

	free(copy);
	return ret;
}

Test(ofp_codec, each_action_error_has_its_openflow_code)
{
	const uint8_t set_field[] = { 0, 25, 0, 16, 0x80, 0, 0x0a, 1, 6, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t port0[] = { OUTPUT(0) };
	const uint8_t any[] = { 0, 0, 0, 16, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t reserved[] = { 0, 0, 0, 16, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t out8[] = { 0, 0, 0, 8, 0, 0, 0, 1 };
	const uint8_t odd[] = { 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0 };
	const uint8_t past[] = { 0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t flood[] = { 0, 0, 0, 16, 0xff, 0xff, 0xff, 0xfb, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t many[17 * 16];
	struct ofp_err err = { 0 };
	struct ofp_acts a;
	unsigned int i;

	cr_expect_eq(acts(set_field, sizeof(set_field), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE, "set_field");
	cr_expect_eq(acts(port0, sizeof(port0), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, "port 0");
	cr_expect_eq(acts(any, sizeof(any), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, "port ANY");
	cr_expect_eq(acts(reserved, sizeof(reserved), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, "port 0xffffff01");
	cr_expect_eq(acts(out8, sizeof(out8), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN, "output of 8");
	cr_expect_eq(acts(odd, sizeof(odd), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN, "length 12");
	cr_expect_eq(acts(past, sizeof(past), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN, "past the list");
	cr_expect_eq(acts(flood, sizeof(flood), &a, &err), 0, "flood");
	cr_expect_eq(a.out[0].port, OFPP_FLOOD);
	for (i = 0; i < 17; i++) {
		const uint8_t one[] = { OUTPUT(1) };

		memcpy(many + 16 * i, one, 16);
	}
	cr_expect_eq(acts(many, 16 * 16, &a, &err), 0, "16 outputs");
	cr_expect_eq(a.n_out, 16);
	cr_expect_eq(acts(many, sizeof(many), &a, &err), -EPROTO);
	expect_err(err, OFPET_BAD_ACTION, OFPBAC_TOO_MANY, "17 outputs");
}

Test(ofp_codec, instructions_encode_and_decode_to_the_same_outputs)
{
	struct ofp_acts a = outputs(OFP_ACTS_MAX), back;
	struct ofp_err err = { 0 };
	struct ofp_buf b;

	a.out[3].port = OFPP_CONTROLLER;
	a.out[3].max_len = 128;
	ofp_buf_init(&b);
	ofp_instructions_encode(&b, &a);
	cr_assert_eq(insts(b.data, b.len, &back, &err), 0);
	cr_expect_eq(memcmp(&a, &back, sizeof(a)), 0);
	ofp_buf_reset(&b);
	a.n_out = 0;
	ofp_instructions_encode(&b, &a);
	cr_expect_eq(b.len, 0, "no outputs: no instruction");
	ofp_buf_free(&b);
}

/* ---- the other decoders --------------------------------------------------------------------- */

Test(ofp_codec, a_packet_out_decodes_and_its_errors_have_their_codes)
{
	const uint8_t frame[60] = { 1, 2, 3 };
	struct ofp_err err = { 0 };
	struct ofp_packet_out po;
	struct ofp_buf b;
	uint8_t *copy;

	ofp_buf_init(&b);
	t_packet_out(&b, 1, OFP_NO_BUFFER, OFPP_CONTROLLER, 2, frame, sizeof(frame));
	copy = exact_copy(b.data, b.len);
	cr_assert_eq(ofp_decode_packet_out(copy, b.len, &po, &err), 0);
	cr_expect_eq(po.in_port, OFPP_CONTROLLER);
	cr_expect_eq(po.acts.n_out, 1);
	cr_expect_eq(po.acts.out[0].port, 2);
	cr_expect_eq(po.data_len, sizeof(frame));
	cr_expect(po.data == copy + 40);
	copy[17] = 200; /* actions_len past the message */
	cr_expect_eq(ofp_decode_packet_out(copy, b.len, &po, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "actions_len 200");
	free(copy);

	ofp_buf_reset(&b);
	t_packet_out(&b, 1, OFP_NO_BUFFER, 1, 2, NULL, 0);
	copy = exact_copy(b.data, b.len);
	cr_expect_eq(ofp_decode_packet_out(copy, b.len, &po, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET, "no buffer, no data");
	free(copy);

	ofp_buf_reset(&b);
	t_packet_out(&b, 1, 77, 1, 2, NULL, 0);
	cr_expect_eq(ofp_decode_packet_out(b.data, b.len, &po, &err), 0, "buffered");
	cr_expect_eq(po.buffer_id, 77);
	cr_expect_eq(po.data_len, 0);

	ofp_buf_reset(&b);
	t_packet_out(&b, 1, OFP_NO_BUFFER, OFPP_FLOOD, 2, frame, sizeof(frame));
	cr_expect_eq(ofp_decode_packet_out(b.data, b.len, &po, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, "in_port FLOOD");
	ofp_buf_free(&b);
}

Test(ofp_codec, set_config_role_and_async_decode_and_refuse_bad_values)
{
	const uint8_t cfg[] = { 0, 1, 0, 128 };
	const uint8_t bad_cfg[] = { 0, 8, 0, 128 };
	const uint8_t role[] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
	const uint8_t bad_role[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
	uint8_t async[24];
	struct ofp_switch_config sc;
	struct ofp_err err = { 0 };
	struct ofp_async as;
	struct ofp_role r;
	struct ofp_buf b;
	unsigned int i;

	for (i = 0; i < sizeof(async); i++)
		async[i] = (uint8_t)i;
	ofp_buf_init(&b);
	t_raw(&b, OFPT_SET_CONFIG, 1, cfg, sizeof(cfg));
	cr_expect_eq(ofp_decode_set_config(b.data, b.len, &sc, &err), 0);
	cr_expect(sc.flags == 1 && sc.miss_send_len == 128);
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_SET_CONFIG, 1, bad_cfg, sizeof(bad_cfg));
	cr_expect_eq(ofp_decode_set_config(b.data, b.len, &sc, &err), -EPROTO);
	expect_err(err, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS, "flags 8");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_ROLE_REQUEST, 1, role, sizeof(role));
	cr_expect_eq(ofp_decode_role(b.data, b.len, &r, &err), 0);
	cr_expect(r.role == OFPCR_ROLE_MASTER && r.generation_id == 9);
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_ROLE_REQUEST, 1, bad_role, sizeof(bad_role));
	cr_expect_eq(ofp_decode_role(b.data, b.len, &r, &err), -EPROTO);
	expect_err(err, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE, "role 4");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_SET_ASYNC, 1, async, sizeof(async));
	cr_expect_eq(ofp_decode_set_async(b.data, b.len, &as, &err), 0);
	cr_expect_eq(as.packet_in[0], 0x00010203);
	cr_expect_eq(as.port_status[1], 0x0c0d0e0f);
	cr_expect_eq(as.flow_removed[1], 0x14151617);
	ofp_buf_free(&b);
}

Test(ofp_codec, multipart_requests_and_their_bodies_decode)
{
	struct sdnfv_flow_match m = tcp_match();
	const uint8_t port[] = { 0, 0, 0, 3, 0, 0, 0, 0 };
	struct ofp_flow_stats_request fs;
	struct ofp_err err = { 0 };
	struct ofp_mp_request r;
	struct ofp_buf b;
	uint32_t port_no;

	ofp_buf_init(&b);
	t_flow_stats_request(&b, 4, OFPMP_FLOW, OFPTT_ALL, &m);
	cr_assert_eq(ofp_decode_mp_request(b.data, b.len, &r, &err), 0);
	cr_expect_eq(r.type, OFPMP_FLOW);
	cr_assert_eq(ofp_decode_flow_stats_request(&r, &fs, &err), 0);
	cr_expect_eq(fs.table_id, OFPTT_ALL);
	cr_expect_eq(fs.out_port, OFPP_ANY);
	cr_expect(match_same(&fs.match.m, &m));
	b.data[16] = 3; /* table 3 */
	cr_expect_eq(ofp_decode_flow_stats_request(&r, &fs, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID, "flow stats of table 3");

	ofp_buf_reset(&b);
	t_mp_request(&b, 5, OFPMP_PORT_STATS, port, sizeof(port));
	cr_assert_eq(ofp_decode_mp_request(b.data, b.len, &r, &err), 0);
	cr_expect_eq(ofp_decode_port_stats_request(&r, &port_no, &err), 0);
	cr_expect_eq(port_no, 3);
	r.body_len = 4;
	cr_expect_eq(ofp_decode_port_stats_request(&r, &port_no, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "port stats body of 4");

	ofp_buf_reset(&b);
	t_mp_request(&b, 6, 77, NULL, 0);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -ENOTSUP);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, "multipart type 77");
	ofp_buf_reset(&b);
	t_mp_request(&b, 6, OFPMP_DESC, port, 4);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "desc request with a body");
	ofp_buf_free(&b);
}

Test(ofp_codec, an_experimenter_message_decodes_with_its_data)
{
	const uint8_t body[] = { 0x00, 0x53, 0x44, 0x4e, 0, 0, 0, 2, 9, 8, 7 };
	struct ofp_experimenter e;
	struct ofp_err err = { 0 };
	struct ofp_buf b;

	ofp_buf_init(&b);
	t_raw(&b, OFPT_EXPERIMENTER, 1, body, sizeof(body));
	cr_assert_eq(ofp_decode_experimenter(b.data, b.len, &e, &err), 0);
	cr_expect_eq(e.experimenter, 0x00534400 | 0x4e);
	cr_expect_eq(e.exp_type, 2);
	cr_expect_eq(e.data_len, 3);
	cr_expect_eq(e.data[0], 9);
	ofp_buf_free(&b);
}

Test(ofp_codec, the_check_names_versions_types_and_lengths)
{
	struct ofp_err err = { 0 };
	struct ofp_buf b;
	uint8_t *copy;

	ofp_buf_init(&b);
	t_raw(&b, OFPT_BARRIER_REQUEST, 1, NULL, 0);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), 0);
	b.data[0] = 1;
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, "version 1 barrier");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_BARRIER_REQUEST, 1, "abcd", 4);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "barrier with a body");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_GROUP_MOD, 1, "abcdefgh", 8);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -ENOTSUP);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "group_mod");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_FEATURES_REPLY, 1, NULL, 0);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -ENOTSUP);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "features reply");
	ofp_buf_reset(&b);
	t_raw(&b, 200, 1, NULL, 0);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), -ENOTSUP);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "type 200");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_ECHO_REQUEST, 1, "hello", 5);
	cr_expect_eq(ofp_decode_check(b.data, b.len, &err), 0, "echo with data");
	copy = exact_copy(b.data, 3);
	cr_expect_eq(ofp_decode_check(copy, 3, &err), -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "3 bytes");
	free(copy);
	cr_expect_eq(ofp_decode_flow_mod(b.data, b.len, &(struct ofp_flow_mod){ 0 }, &err),
		     -EPROTO);
	expect_err(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
		   "an echo given to the flow_mod decoder");
	ofp_buf_free(&b);
}

/* ---- truncation ----------------------------------------------------------------------------- */

static bool
is_bad_len(struct ofp_err e)
{
	return (e.type == OFPET_BAD_REQUEST && e.code == OFPBRC_BAD_LEN) ||
	       (e.type == OFPET_BAD_MATCH && e.code == OFPBMC_BAD_LEN) ||
	       (e.type == OFPET_BAD_INSTRUCTION && e.code == OFPBIC_BAD_LEN) ||
	       (e.type == OFPET_BAD_ACTION && e.code == OFPBAC_BAD_LEN);
}

/* Every prefix of msg, as framed with the full header (the length disagrees) and with the header
 * length rewritten to the prefix's (the inner lengths then run past): refused with a length
 * error, or (rewritten) accepted when the prefix is a whole message by itself. */
static void
truncate_all(const struct ofp_buf *b, const char *what)
{
	size_t len;

	for (len = 0; len < b->len; len++) {
		struct ofp_err err = { 0 };
		uint8_t *copy = exact_copy(b->data, len);
		int ret = ofp_decode_check(copy, len, &err);

		cr_assert_lt(ret, 0, "%s cut to %zu bytes was accepted", what, len);
		cr_assert(is_bad_len(err), "%s cut to %zu: error %u/%u is no length error", what,
			  len, err.type, err.code);
		if (len >= 4) {
			copy[2] = (uint8_t)(len >> 8);
			copy[3] = (uint8_t)len;
			err = (struct ofp_err){ 0 };
			ret = ofp_decode_check(copy, len, &err);
			cr_assert(ret == 0 || is_bad_len(err) ||
					  (err.type == OFPET_BAD_REQUEST &&
					   err.code == OFPBRC_BAD_PACKET),
				  "%s cut to %zu (length rewritten): error %u/%u", what, len,
				  err.type, err.code);
		}
		free(copy);
	}
}

Test(ofp_codec, every_message_type_cut_at_every_length_fails_with_a_length_error)
{
	struct sdnfv_flow_match m = tcp_match(), v6 = { 0 };
	struct ofp_acts a = outputs(3);
	const uint8_t frame[64] = { 0xff };
	const uint8_t port[8] = { 0xff, 0xff, 0xff, 0xff };
	const uint8_t cfg[4] = { 0, 0, 0xff, 0xff };
	const uint8_t role[16] = { 0, 0, 0, 1 };
	const uint8_t async[24] = { 0 };
	const uint8_t exp[12] = { 0, 0, 0x23, 0x20 };
	const uint32_t bm[] = { 1u << 4 };
	struct ofp_buf b;

	v6.fields = SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_DST | SDNFV_FLOW_M_IP_PROTO |
		    SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_VLAN;
	v6.eth_type = 0x86dd;
	v6.dst.v6[0] = 0x20;
	v6.dst_plen = 16;
	v6.ip_proto = 58;
	v6.icmp_type = 128;
	v6.vlan = 0x1000;
	v6.vlan_mask = 0x1000;
	m.fields |= SDNFV_FLOW_M_IN_PORT;
	ofp_buf_init(&b);

	t_flow_mod(&b, 1, OFPFC_ADD, 0, 0, &m, 5, &a);
	truncate_all(&b, "FLOW_MOD");
	ofp_buf_reset(&b);
	t_flow_mod(&b, 1, OFPFC_DELETE, 0, 0, &v6, 0, NULL);
	truncate_all(&b, "FLOW_MOD (IPv6, no instructions)");
	ofp_buf_reset(&b);
	t_packet_out(&b, 1, OFP_NO_BUFFER, 1, 2, frame, sizeof(frame));
	truncate_all(&b, "PACKET_OUT");
	ofp_buf_reset(&b);
	t_flow_stats_request(&b, 1, OFPMP_FLOW, 0, &m);
	truncate_all(&b, "flow stats request");
	ofp_buf_reset(&b);
	t_flow_stats_request(&b, 1, OFPMP_AGGREGATE, 0, &v6);
	truncate_all(&b, "aggregate request");
	ofp_buf_reset(&b);
	t_mp_request(&b, 1, OFPMP_PORT_STATS, port, sizeof(port));
	truncate_all(&b, "port stats request");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_SET_CONFIG, 1, cfg, sizeof(cfg));
	truncate_all(&b, "SET_CONFIG");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_ROLE_REQUEST, 1, role, sizeof(role));
	truncate_all(&b, "ROLE_REQUEST");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_SET_ASYNC, 1, async, sizeof(async));
	truncate_all(&b, "SET_ASYNC");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_EXPERIMENTER, 1, exp, sizeof(exp));
	truncate_all(&b, "EXPERIMENTER");
	ofp_buf_reset(&b);
	t_raw(&b, OFPT_ECHO_REQUEST, 1, exp, sizeof(exp));
	truncate_all(&b, "ECHO_REQUEST");
	ofp_buf_reset(&b);
	{
		/* The messages checked for their length only, and the empty requests. */
		static const struct {
			uint8_t type;
			uint8_t body;
			const char *name;
		} plain[] = {
			{ OFPT_FEATURES_REQUEST, 0, "FEATURES_REQUEST" },
			{ OFPT_GET_CONFIG_REQUEST, 0, "GET_CONFIG_REQUEST" },
			{ OFPT_BARRIER_REQUEST, 0, "BARRIER_REQUEST" },
			{ OFPT_GET_ASYNC_REQUEST, 0, "GET_ASYNC_REQUEST" },
			{ OFPT_PORT_MOD, 32, "PORT_MOD" },
			{ OFPT_TABLE_MOD, 8, "TABLE_MOD" },
			{ OFPT_QUEUE_GET_CONFIG_REQUEST, 8, "QUEUE_GET_CONFIG_REQUEST" },
			{ OFPT_ERROR, 12, "ERROR" },
		};
		static const uint16_t mps[] = { OFPMP_DESC, OFPMP_TABLE, OFPMP_PORT_DESC,
						OFPMP_TABLE_FEATURES, OFPMP_QUEUE };
		const uint8_t zeros[32] = { 0 };
		unsigned int i;

		for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
			ofp_buf_reset(&b);
			t_raw(&b, plain[i].type, 1, zeros, plain[i].body);
			truncate_all(&b, plain[i].name);
		}
		for (i = 0; i < sizeof(mps) / sizeof(mps[0]); i++) {
			ofp_buf_reset(&b);
			t_mp_request(&b, 1, mps[i], zeros, mps[i] == OFPMP_QUEUE ? 8 : 0);
			truncate_all(&b, "an empty multipart request");
		}
	}
	ofp_buf_reset(&b);
	{
		size_t off = ofp_msg_begin(&b, OFPT_HELLO, 1);

		t_put16(&b, 1);
		t_put16(&b, 8);
		t_put32(&b, bm[0]);
		ofp_msg_end(&b, off);
	}
	truncate_all(&b, "HELLO");
	ofp_buf_free(&b);
}

/* ---- encoders ------------------------------------------------------------------------------- */

Test(ofp_codec, encoders_write_the_spec_lengths_and_fields)
{
	struct ofp_port_desc pd = { .port_no = 1,
				    .hw_addr = { 2, 0, 0, 0, 0, 1 },
				    .curr_speed = 10000000 };
	struct ofp_switch_config sc = { .flags = 0, .miss_send_len = 128 };
	struct ofp_role role = { .role = OFPCR_ROLE_EQUAL, .generation_id = 5 };
	struct ofp_async as = { .packet_in = { 1, 2 } };
	struct ofp_err e = { OFPET_BAD_MATCH, OFPBMC_BAD_FIELD };
	uint8_t big[100] = { 0 };
	struct ofp_buf b;
	struct ofp_hdr h;
	size_t off;

	memset(pd.name, 'e', sizeof(pd.name)); /* 16 characters, no NUL */
	ofp_buf_init(&b);
	ofp_encode_hello(&b, 1);
	cr_expect_eq(b.len, 16);
	cr_expect_eq(t_rd32(b.data + 12), 0x10);
	ofp_buf_reset(&b);
	ofp_encode_error(&b, 2, e, big, sizeof(big));
	ofp_hdr_read(b.data, &h);
	cr_expect(h.version == 4 && h.type == OFPT_ERROR && h.length == 12 + 64 && h.xid == 2);
	cr_expect(t_rd16(b.data + 8) == OFPET_BAD_MATCH && t_rd16(b.data + 10) == OFPBMC_BAD_FIELD);
	ofp_buf_reset(&b);
	ofp_encode_features_reply(&b, 3, 0x1122334455667788ull, 256, 1, OFPC_FLOW_STATS);
	cr_expect_eq(b.len, 32);
	cr_expect_eq(t_rd64(b.data + 8), 0x1122334455667788ull);
	cr_expect_eq(b.data[20], 1);
	ofp_buf_reset(&b);
	ofp_encode_get_config_reply(&b, 4, &sc);
	cr_expect(b.len == 12 && t_rd16(b.data + 10) == 128);
	ofp_buf_reset(&b);
	ofp_encode_role_reply(&b, 5, &role);
	cr_expect(b.len == 24 && t_rd32(b.data + 8) == 1 && t_rd64(b.data + 16) == 5);
	ofp_buf_reset(&b);
	ofp_encode_get_async_reply(&b, 6, &as);
	cr_expect(b.len == 32 && t_rd32(b.data + 12) == 2);
	ofp_buf_reset(&b);
	ofp_encode_port_status(&b, 7, OFPPR_ADD, &pd);
	cr_expect_eq(b.len, 80);
	cr_expect_eq(t_rd32(b.data + 16), 1);
	cr_expect_eq(b.data[32 + 14], 'e', "15 characters of the name");
	cr_expect_eq(b.data[32 + 15], 0, "NUL-terminated");
	ofp_buf_reset(&b);
	ofp_encode_queue_config_reply(&b, 8, 3);
	cr_expect(b.len == 16 && t_rd32(b.data + 8) == 3);
	ofp_buf_reset(&b);
	ofp_encode_barrier_reply(&b, 9);
	cr_expect(b.len == 8 && b.data[1] == OFPT_BARRIER_REPLY);
	ofp_buf_reset(&b);
	off = ofp_msg_begin(&b, OFPT_ECHO_REPLY, 1);
	ofp_buf_put(&b, NULL, 70000);
	ofp_msg_end(&b, off);
	cr_expect_eq(b.err, -EMSGSIZE, "a message over 65535 bytes");
	ofp_buf_reset(&b);
	cr_expect_eq(b.err, 0);
	ofp_buf_free(&b);
}

Test(ofp_codec, a_buffer_appends_a_copy_of_its_own_bytes_across_a_growth)
{
	struct ofp_buf b;
	size_t i;

	ofp_buf_init(&b);
	ofp_buf_put(&b, NULL, 200);
	for (i = 0; i < 200; i++)
		b.data[i] = (uint8_t)i;
	cr_assert_not_null(ofp_buf_put(&b, b.data, 200)); /* grows past 256 */
	cr_assert_eq(b.len, 400);
	cr_expect_eq(memcmp(b.data, b.data + 200, 200), 0);
	ofp_buf_free(&b);
	cr_expect(b.data == NULL && b.len == 0 && b.cap == 0);
}

Test(ofp_codec, packet_in_carries_in_port_in_its_match_then_two_pad_bytes)
{
	const uint8_t frame[] = { 0xaa, 0xbb, 0xcc };
	struct ofp_err err = { 0 };
	struct ofp_match om;
	struct ofp_buf b;
	size_t consumed;

	ofp_buf_init(&b);
	ofp_encode_packet_in(&b, 1, 42, 1500, OFPR_NO_MATCH, 0x99, 7, frame, sizeof(frame));
	cr_assert_eq(ofp_match_decode(b.data + 24, b.len - 24, &om, &consumed, &err), 0);
	cr_expect_eq(om.m.fields, SDNFV_FLOW_M_IN_PORT);
	cr_expect_eq(om.of_in_port, 7);
	cr_expect_eq(b.len, 24 + consumed + 2 + sizeof(frame));
	cr_expect_eq(b.data[24 + consumed + 2], 0xaa);
	cr_expect_eq(t_rd32(b.data + 8), 42);
	cr_expect_eq(t_rd16(b.data + 12), 1500);
	cr_expect_eq(t_rd64(b.data + 16), 0x99);
	ofp_buf_free(&b);
}

Test(ofp_codec, flow_removed_writes_the_rule_with_the_given_in_port)
{
	struct sdnfv_flow_rule r = {
		.sz = sizeof(r), .priority = 7, .idle_timeout = 9, .cookie = 0x12
	};
	struct sdnfv_flow_stats st = { .packets = 5, .bytes = 500, .duration_ns = 2500000000ull };
	struct ofp_err err = { 0 };
	struct ofp_match om;
	struct ofp_buf b;
	size_t consumed;

	r.match = tcp_match();
	r.match.fields |= SDNFV_FLOW_M_IN_PORT;
	r.match.in_port = 77; /* the host's number: never on the wire */
	ofp_buf_init(&b);
	ofp_encode_flow_removed(&b, 1, &r, 3, OFPRR_IDLE_TIMEOUT, &st);
	cr_expect_eq(t_rd64(b.data + 8), 0x12);
	cr_expect_eq(t_rd16(b.data + 16), 7);
	cr_expect_eq(t_rd32(b.data + 20), 2);
	cr_expect_eq(t_rd32(b.data + 24), 500000000);
	cr_expect_eq(t_rd64(b.data + 32), 5);
	cr_assert_eq(ofp_match_decode(b.data + 48, b.len - 48, &om, &consumed, &err), 0);
	cr_expect_eq(om.of_in_port, 3);
	cr_expect_eq(48 + consumed, b.len);
	ofp_buf_free(&b);
}

/* The parts of a multipart reply in b: checks each header, returns the number of parts. */
static unsigned int
mp_parts(const struct ofp_buf *b, uint16_t type, size_t *entries_bytes)
{
	unsigned int n = 0;
	size_t off = 0;

	*entries_bytes = 0;
	while (off < b->len) {
		struct ofp_hdr h;

		cr_assert_leq(off + 16, b->len);
		ofp_hdr_read(b->data + off, &h);
		cr_assert_eq(h.type, OFPT_MULTIPART_REPLY);
		cr_assert_leq(h.length, OFP_MSG_MAX);
		cr_assert_leq(off + h.length, b->len);
		cr_assert_eq(t_rd16(b->data + off + 8), type);
		*entries_bytes += h.length - 16u;
		off += h.length;
		cr_assert_eq(t_rd16(b->data + off - h.length + 10),
			     off < b->len ? OFPMPF_REPLY_MORE : 0,
			     "REPLY_MORE on every part but the last");
		n++;
	}
	return n;
}

Test(ofp_codec, many_flow_stats_split_into_parts_with_reply_more)
{
	struct sdnfv_flow_rule r = { .sz = sizeof(r), .priority = 1 };
	struct ofp_acts a = outputs(4);
	unsigned int i, n, entries = 0;
	struct ofp_buf b;
	struct ofp_mp mp;
	size_t bytes, off = 0;

	r.match = tcp_match();
	ofp_buf_init(&b);
	ofp_mp_begin(&mp, &b, OFPMP_FLOW, 77);
	for (i = 0; i < 3000; i++) {
		r.cookie = i;
		ofp_mp_flow_stats(&mp, &r, 0, NULL, &a);
	}
	ofp_mp_end(&mp);
	cr_assert_eq(b.err, 0);
	n = mp_parts(&b, OFPMP_FLOW, &bytes);
	cr_expect_gt(n, 1, "3000 entries of %zu bytes fit no single message", bytes / 3000);
	/* Walk every entry of every part: lengths chain exactly, cookies in order. */
	while (off < b.len) {
		struct ofp_hdr h;
		size_t e;

		ofp_hdr_read(b.data + off, &h);
		cr_expect_eq(h.xid, 77);
		for (e = off + 16; e < off + h.length;) {
			struct ofp_err err = { 0 };
			struct ofp_match om;
			struct ofp_acts back;
			uint16_t elen = t_rd16(b.data + e);
			size_t consumed;

			cr_assert_eq(t_rd64(b.data + e + 24), entries);
			cr_assert_eq(
				ofp_match_decode(b.data + e + 48, elen - 48, &om, &consumed, &err),
				0);
			cr_assert_eq(ofp_instructions_decode(b.data + e + 48 + consumed,
							     elen - 48 - consumed, &back, &err),
				     0);
			cr_assert_eq(back.n_out, 4);
			entries++;
			e += elen;
		}
		off += h.length;
	}
	cr_expect_eq(entries, 3000);
	ofp_buf_free(&b);
}

Test(ofp_codec, a_short_multipart_reply_is_one_part_without_reply_more)
{
	struct ofp_port_counters c = { .port_no = 1, .rx_packets = 10, .duration_sec = 3 };
	struct ofp_buf b;
	struct ofp_mp mp;
	size_t bytes;

	ofp_buf_init(&b);
	ofp_mp_begin(&mp, &b, OFPMP_PORT_STATS, 1);
	ofp_mp_port_stats(&mp, &c);
	ofp_mp_port_stats(&mp, &c);
	ofp_mp_end(&mp);
	cr_expect_eq(mp_parts(&b, OFPMP_PORT_STATS, &bytes), 1);
	cr_expect_eq(bytes, 2 * 112);
	cr_expect_eq(t_rd64(b.data + 16 + 8), 10);
	cr_expect_eq(t_rd32(b.data + 16 + 104), 3);
	ofp_buf_reset(&b);
	ofp_mp_begin(&mp, &b, OFPMP_PORT_DESC, 1);
	ofp_mp_end(&mp);
	cr_expect_eq(mp_parts(&b, OFPMP_PORT_DESC, &bytes), 1);
	cr_expect_eq(bytes, 0, "an empty reply");
	ofp_buf_free(&b);
}

/* OpenFlow 1.3.5 table 12: the value size of OXM fields 0 to 39. */
static const uint8_t oxm_size[40] = {
	4, 4, 8, 6, 6, 2, 2,  1,  1, 1, 1, 4,  4, 2, 2, 2, 2, 2, 2, 1,
	1, 2, 4, 4, 6, 6, 16, 16, 4, 1, 1, 16, 6, 6, 4, 1, 1, 3, 8, 2
};

/* Does the decoder take field f (with the prerequisites it needs), masked or not? */
static bool
decoder_takes(unsigned int f, bool masked)
{
	uint8_t oxm[64], *o = oxm;
	unsigned int size = oxm_size[f], i;
	bool v6 = (f >= 26 && f <= 33);
	uint8_t proto = 0;
	struct ofp_err err = { 0 };
	struct ofp_match om;

	if (f >= 13 && f <= 14)
		proto = 6;
	else if (f >= 15 && f <= 16)
		proto = 17;
	else if (f >= 17 && f <= 18)
		proto = 132;
	else if (f >= 19 && f <= 20)
		proto = 1;
	else if (f >= 29 && f <= 33)
		proto = 58;
	if (f != 5 && f != 0 && f != 6 && !(f >= 21 && f <= 25)) {
		*o++ = 0x80, *o++ = 0, *o++ = 5 << 1, *o++ = 2;
		*o++ = v6 ? 0x86 : 0x08, *o++ = v6 ? 0xdd : 0x00;
	}
	if (proto != 0 && f != 10) {
		*o++ = 0x80, *o++ = 0, *o++ = 10 << 1, *o++ = 1;
		*o++ = proto;
	}
	*o++ = 0x80, *o++ = 0, *o++ = (uint8_t)(f << 1 | masked),
	*o++ = (uint8_t)(size * (masked ? 2 : 1));
	memset(o, 0, size);
	if (f == 0)
		o[3] = 1;
	if (f == 6)
		o[0] = 0x10;
	o += size;
	for (i = 0; masked && i < size; i++)
		*o++ = f == 6 && i == 0 ? 0x1f : 0xff;
	return decode_oxm(oxm, (size_t)(o - oxm), &om, &err) == 0;
}

Test(ofp_codec, table_features_list_exactly_what_the_decoder_accepts)
{
	bool listed[40] = { false }, listed_mask[40] = { false }, wild[40] = { false };
	bool inst[8] = { false };
	struct ofp_buf b;
	struct ofp_mp mp;
	size_t bytes, off, end;
	unsigned int f, n_props = 0;

	ofp_buf_init(&b);
	ofp_mp_begin(&mp, &b, OFPMP_TABLE_FEATURES, 1);
	ofp_mp_table_features(&mp, 0, "sdnfv", 4096);
	ofp_mp_end(&mp);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(mp_parts(&b, OFPMP_TABLE_FEATURES, &bytes), 1);
	cr_assert_eq(t_rd16(b.data + 16), bytes, "the entry's length is the whole body");
	cr_expect_eq(t_rd32(b.data + 16 + 60), 4096);
	cr_expect_str_eq((const char *)b.data + 16 + 8, "sdnfv");
	end = 16 + bytes;
	for (off = 16 + 64; off < end;) {
		uint16_t type = t_rd16(b.data + off), plen = t_rd16(b.data + off + 2);
		size_t i;

		cr_assert_geq(plen, 4);
		cr_assert_leq(off + plen, end);
		for (i = 4; i + 4 <= plen; i += 4) {
			uint32_t id = t_rd32(b.data + off + i);

			if (type == 0) /* INSTRUCTIONS */
				inst[id >> 16 & 7] = true;
			if (type == 8 || type == 10) {
				cr_assert_eq(id >> 16, 0x8000);
				f = id >> 9 & 0x7f;
				cr_assert_lt(f, 40);
				if (type == 10)
					wild[f] = true;
				else if (id >> 8 & 1)
					listed_mask[f] = listed[f] = true;
				else
					listed[f] = true;
			}
		}
		off += (plen + 7u) & ~7u;
		n_props++;
	}
	cr_expect_eq(off, end);
	cr_expect_eq(n_props, 14, "every property and its _MISS variant");
	for (f = 0; f < 40; f++) {
		cr_expect_eq(decoder_takes(f, false), listed[f], "field %u: listed %d", f,
			     listed[f]);
		cr_expect_eq(decoder_takes(f, true), listed_mask[f], "field %u masked: listed %d",
			     f, listed_mask[f]);
		cr_expect_eq(wild[f], listed[f], "field %u can be wildcarded", f);
	}
	for (f = 1; f <= 6; f++) {
		uint8_t one[24] = { 0, (uint8_t)f, 0, f == 2 ? 24 : 8 };
		struct ofp_err err = { 0 };
		struct ofp_acts a;

		cr_expect_eq(insts(one, f == 2 ? 24 : 8, &a, &err) == 0, inst[f],
			     "instruction %u: listed %d", f, inst[f]);
	}
	ofp_buf_free(&b);
}

Test(ofp_codec, names_read_in_logs)
{
	cr_expect_str_eq(ofp_type_name(OFPT_FLOW_MOD), "FLOW_MOD");
	cr_expect_str_eq(ofp_type_name(42), "type 42");
	cr_expect_str_eq(ofp_error_type_name(OFPET_BAD_MATCH), "BAD_MATCH");
	cr_expect_str_eq(ofp_error_type_name(OFPET_EXPERIMENTER), "EXPERIMENTER");
}
