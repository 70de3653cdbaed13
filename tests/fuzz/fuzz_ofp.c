/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the OpenFlow 1.3 codec. The input is a stream of messages, split by the
 * length in each header (a length that is too small or runs past the input makes the rest one
 * message, as a channel that trusted it would frame it; at most 64 messages). Each message lives
 * in a heap block of exactly its size, so AddressSanitizer sees any read past it, and goes
 * through ofp_decode_check() and every decoder. Then:
 * - the check and the decoder of the message's type agree;
 * - a refusal fills the error to send;
 * - what decodes is re-encoded and decoded again: matches, instructions and actions come back
 *   equal, and a decoded match passes sdnfv_flow_match_check();
 * - a flow-mod's rule goes through the flow-removed and flow-stats encoders, whose match decodes
 *   back to the rule's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include <sdnfv/flow.h>

#include "ofp/wire.h"

#define FAIL(...)                             \
	do {                                  \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr);          \
		__builtin_trap();             \
	} while (0)

#define MSGS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static const struct ofp_err unset = { 0xeeee, 0xeeee };

static void
refused(int ret, struct ofp_err err, const char *what)
{
	if (ret < 0 && err.type == unset.type && err.code == unset.code)
		FAIL("%s refused (%d) without an error to send", what, ret);
	if (ret > 0)
		FAIL("%s returned %d", what, ret);
}

static void
same_match(const struct ofp_match *a, const struct ofp_match *b, const char *what)
{
	if (memcmp(&a->m, &b->m, sizeof(a->m)) != 0)
		FAIL("%s: the match comes back different (fields 0x%x / 0x%x)", what, a->m.fields,
		     b->m.fields);
	if ((a->m.fields & SDNFV_FLOW_M_IN_PORT) && a->of_in_port != b->of_in_port)
		FAIL("%s: in_port 0x%x comes back 0x%x", what, a->of_in_port, b->of_in_port);
}

/* A decoded match: it passes the flow table's check, and encodes to itself. */
static void
match_round_trip(const struct ofp_match *om, const char *what)
{
	struct ofp_err err = unset;
	struct ofp_match back;
	struct ofp_buf b;
	size_t consumed;
	uint8_t *copy;

	if (sdnfv_flow_match_check(&om->m) != 0)
		FAIL("%s: a decoded match fails the flow table's check", what);
	ofp_buf_init(&b);
	ofp_match_encode(&b, &om->m, om->of_in_port);
	if (b.err != 0)
		FAIL("%s: encoding failed: %d", what, b.err);
	copy = malloc(b.len);
	if (copy == NULL)
		return;
	memcpy(copy, b.data, b.len);
	if (ofp_match_decode(copy, b.len, &back, &consumed, &err) != 0)
		FAIL("%s: an encoded match does not decode: %u/%u", what, err.type, err.code);
	if (consumed != b.len)
		FAIL("%s: consumed %zu of %zu", what, consumed, b.len);
	same_match(om, &back, what);
	free(copy);
	ofp_buf_free(&b);
}

/* Decoded outputs: as an APPLY_ACTIONS instruction they decode to themselves. */
static void
acts_round_trip(const struct ofp_acts *a, const char *what)
{
	struct ofp_err err = unset;
	struct ofp_acts back;
	struct ofp_buf b;
	unsigned int i;

	if (a->n_out > OFP_ACTS_MAX)
		FAIL("%s: %u outputs", what, a->n_out);
	ofp_buf_init(&b);
	ofp_instructions_encode(&b, a);
	if (b.err != 0)
		FAIL("%s: encoding failed", what);
	if (ofp_instructions_decode(b.data, b.len, &back, &err) != 0)
		FAIL("%s: encoded instructions do not decode: %u/%u", what, err.type, err.code);
	if (back.n_out != a->n_out)
		FAIL("%s: %u outputs come back as %u", what, a->n_out, back.n_out);
	for (i = 0; i < a->n_out; i++)
		if (back.out[i].port != a->out[i].port || back.out[i].max_len != a->out[i].max_len)
			FAIL("%s: output %u comes back different", what, i);
	ofp_buf_free(&b);
}

/* A flow-mod's rule through FLOW_REMOVED and a flow stats entry. */
static void
rule_encoders(const struct ofp_flow_mod *fm)
{
	struct sdnfv_flow_rule r = { .sz = sizeof(r) };
	struct sdnfv_flow_stats st = { 1, 2, 3, 4 };
	struct ofp_err err = unset;
	struct ofp_match back;
	struct ofp_buf b;
	struct ofp_mp mp;
	size_t consumed;

	r.match = fm->match.m;
	r.priority = fm->priority;
	r.cookie = fm->cookie;
	ofp_buf_init(&b);
	ofp_encode_flow_removed(&b, 1, &r, fm->match.of_in_port, OFPRR_DELETE, &st);
	if (b.err != 0 || b.len < 56)
		FAIL("flow_removed: %d, %zu bytes", b.err, b.len);
	if (ofp_match_decode(b.data + 48, b.len - 48, &back, &consumed, &err) != 0 ||
	    48 + consumed != b.len)
		FAIL("flow_removed: its match does not decode to its end");
	same_match(&fm->match, &back, "flow_removed");
	ofp_buf_reset(&b);
	ofp_mp_begin(&mp, &b, OFPMP_FLOW, 2);
	ofp_mp_flow_stats(&mp, &r, fm->match.of_in_port, &st, &fm->acts);
	ofp_mp_end(&mp);
	if (b.err != 0 || b.len < 16 + 56)
		FAIL("flow stats: %d, %zu bytes", b.err, b.len);
	if ((size_t)(b.data[16] << 8 | b.data[17]) != b.len - 16)
		FAIL("flow stats: entry length %u in a body of %zu", b.data[16] << 8 | b.data[17],
		     b.len - 16);
	if (ofp_match_decode(b.data + 64, b.len - 64, &back, &consumed, &err) != 0)
		FAIL("flow stats: its match does not decode");
	same_match(&fm->match, &back, "flow stats");
	ofp_buf_free(&b);
}

/* The decoder of the message's type; 1 when the type has none here. */
static int
decode_by_type(const uint8_t *m, size_t len, uint8_t type, struct ofp_err *err)
{
	union {
		struct ofp_flow_mod fm;
		struct ofp_packet_out po;
		struct ofp_switch_config sc;
		struct ofp_role role;
		struct ofp_async as;
		struct ofp_experimenter exp;
		struct ofp_mp_request mp;
	} u;
	int ret;

	switch (type) {
	case OFPT_FLOW_MOD:
		ret = ofp_decode_flow_mod(m, len, &u.fm, err);
		refused(ret, *err, "flow_mod");
		if (ret == 0) {
			match_round_trip(&u.fm.match, "flow_mod");
			acts_round_trip(&u.fm.acts, "flow_mod");
			rule_encoders(&u.fm);
		}
		return ret;
	case OFPT_PACKET_OUT:
		ret = ofp_decode_packet_out(m, len, &u.po, err);
		refused(ret, *err, "packet_out");
		if (ret == 0) {
			if (u.po.data_len > 0 &&
			    (u.po.data < m || u.po.data + u.po.data_len != m + len))
				FAIL("packet_out: data outside the message");
			acts_round_trip(&u.po.acts, "packet_out");
		}
		return ret;
	case OFPT_SET_CONFIG:
		ret = ofp_decode_set_config(m, len, &u.sc, err);
		break;
	case OFPT_ROLE_REQUEST:
		ret = ofp_decode_role(m, len, &u.role, err);
		break;
	case OFPT_SET_ASYNC:
		ret = ofp_decode_set_async(m, len, &u.as, err);
		break;
	case OFPT_EXPERIMENTER:
		ret = ofp_decode_experimenter(m, len, &u.exp, err);
		if (ret == 0 && u.exp.data_len > 0 && u.exp.data + u.exp.data_len != m + len)
			FAIL("experimenter: data outside the message");
		break;
	default:
		return 1;
	}
	refused(ret, *err, ofp_type_name(type));
	return ret;
}

static void
one_message(const uint8_t *data, size_t len)
{
	struct ofp_flow_stats_request fs;
	struct ofp_err err = unset, err2 = unset;
	struct ofp_mp_request mp;
	struct ofp_match om;
	struct ofp_acts acts;
	uint8_t common, *m;
	size_t consumed;
	uint32_t port;
	int ret, ret2;

	m = malloc(len ? len : 1);
	if (m == NULL)
		return;
	memcpy(m, data, len);

	ret = ofp_decode_check(m, len, &err);
	if (ret != 0 && ret != -EPROTO && ret != -ENOTSUP && ret != -EPROTONOSUPPORT)
		FAIL("check returned %d", ret);
	refused(ret, err, "check");
	if (len >= OFP_HEADER_LEN) {
		ret2 = decode_by_type(m, len, m[1], &err2);
		if (ret2 != 1 && (ret2 == 0) != (ret == 0))
			FAIL("%s: the check says %d, the decoder %d", ofp_type_name(m[1]), ret,
			     ret2);
	}

	/* Every decoder on every message, whatever its type. */
	err = unset;
	refused(ofp_decode_hello(m, len, &common, &err), err, "hello");
	if (len >= OFP_HEADER_LEN) {
		static const uint8_t types[] = { OFPT_FLOW_MOD,   OFPT_PACKET_OUT,
						 OFPT_SET_CONFIG, OFPT_ROLE_REQUEST,
						 OFPT_SET_ASYNC,  OFPT_EXPERIMENTER };
		unsigned int i;

		for (i = 0; i < sizeof(types); i++) {
			err = unset;
			if (types[i] != m[1])
				decode_by_type(m, len, types[i], &err);
		}
	}
	err = unset;
	if (ofp_decode_mp_request(m, len, &mp, &err) == 0) {
		err = unset;
		ret = ofp_decode_flow_stats_request(&mp, &fs, &err);
		refused(ret, err, "flow stats request");
		if (ret == 0)
			match_round_trip(&fs.match, "flow stats request");
		err = unset;
		refused(ofp_decode_port_stats_request(&mp, &port, &err), err, "port stats request");
	}

	/* The raw parsers on the bytes after the header, as if they were a match, instructions
	 * or actions. */
	if (len > OFP_HEADER_LEN) {
		err = unset;
		ret = ofp_match_decode(m + OFP_HEADER_LEN, len - OFP_HEADER_LEN, &om, &consumed,
				       &err);
		refused(ret, err, "match");
		if (ret == 0) {
			if (consumed > len - OFP_HEADER_LEN || consumed % 8 != 0)
				FAIL("match consumed %zu of %zu", consumed, len - OFP_HEADER_LEN);
			match_round_trip(&om, "match");
		}
		err = unset;
		ret = ofp_instructions_decode(m + OFP_HEADER_LEN, len - OFP_HEADER_LEN, &acts,
					      &err);
		refused(ret, err, "instructions");
		if (ret == 0)
			acts_round_trip(&acts, "instructions");
		err = unset;
		ret = ofp_actions_decode(m + OFP_HEADER_LEN, len - OFP_HEADER_LEN, &acts, &err);
		refused(ret, err, "actions");
		if (ret == 0)
			acts_round_trip(&acts, "actions");
	}
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int quiet;
	size_t off = 0;
	unsigned int n;

	if (!quiet) {
		rte_log_set_global_level(RTE_LOG_CRIT); /* a refusal logs a line per input */
		quiet = 1;
	}
	for (n = 0; off < len && n < MSGS_MAX; n++) {
		size_t left = len - off, mlen = left;

		if (left >= 4) {
			mlen = (size_t)(data[off + 2] << 8 | data[off + 3]);
			if (mlen < OFP_HEADER_LEN || mlen > left)
				mlen = left;
		}
		one_message(data + off, mlen);
		off += mlen;
	}
	return 0;
}
