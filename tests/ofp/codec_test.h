/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the codec tests: messages a controller sends, built byte by byte. */
#ifndef SDNFV_TEST_OFP_CODEC_TEST_H
#define SDNFV_TEST_OFP_CODEC_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ofp/wire.h"

static inline void
t_put16(struct ofp_buf *b, uint16_t v)
{
	uint8_t t[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	ofp_buf_put(b, t, 2);
}

static inline void
t_put32(struct ofp_buf *b, uint32_t v)
{
	t_put16(b, (uint16_t)(v >> 16));
	t_put16(b, (uint16_t)v);
}

static inline void
t_put64(struct ofp_buf *b, uint64_t v)
{
	t_put32(b, (uint32_t)(v >> 32));
	t_put32(b, (uint32_t)v);
}

static inline uint16_t
t_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
t_rd32(const uint8_t *p)
{
	return (uint32_t)t_rd16(p) << 16 | t_rd16(p + 2);
}

static inline uint64_t
t_rd64(const uint8_t *p)
{
	return (uint64_t)t_rd32(p) << 32 | t_rd32(p + 4);
}

/* A FLOW_MOD (ofp_flow_mod, OpenFlow 1.3.5 section 7.3.4.1) with match m and the outputs as one
 * APPLY_ACTIONS. */
static inline void
t_flow_mod(struct ofp_buf *b, uint32_t xid, uint8_t command, uint8_t table, uint16_t flags,
	   const struct sdnfv_flow_match *m, uint32_t of_in_port, const struct ofp_acts *a)
{
	size_t off = ofp_msg_begin(b, OFPT_FLOW_MOD, xid);

	t_put64(b, 0x1234); /* cookie */
	t_put64(b, 0);      /* cookie_mask */
	ofp_buf_put(b, &table, 1);
	ofp_buf_put(b, &command, 1);
	t_put16(b, 10);  /* idle */
	t_put16(b, 20);  /* hard */
	t_put16(b, 300); /* priority */
	t_put32(b, OFP_NO_BUFFER);
	t_put32(b, OFPP_ANY);
	t_put32(b, OFPG_ANY);
	t_put16(b, flags);
	ofp_buf_put(b, NULL, 2);
	ofp_match_encode(b, m, of_in_port);
	ofp_instructions_encode(b, a);
	ofp_msg_end(b, off);
}

/* A PACKET_OUT (section 7.3.7) with one output and data_len bytes of data. */
static inline void
t_packet_out(struct ofp_buf *b, uint32_t xid, uint32_t buffer_id, uint32_t in_port,
	     uint32_t out_port, const void *data, size_t data_len)
{
	size_t off = ofp_msg_begin(b, OFPT_PACKET_OUT, xid);

	t_put32(b, buffer_id);
	t_put32(b, in_port);
	t_put16(b, 16);
	ofp_buf_put(b, NULL, 6);
	t_put16(b, 0); /* OFPAT_OUTPUT */
	t_put16(b, 16);
	t_put32(b, out_port);
	t_put16(b, 0);
	ofp_buf_put(b, NULL, 6);
	ofp_buf_put(b, data, data_len);
	ofp_msg_end(b, off);
}

/* A MULTIPART_REQUEST with a body. */
static inline void
t_mp_request(struct ofp_buf *b, uint32_t xid, uint16_t type, const void *body, size_t n)
{
	size_t off = ofp_msg_begin(b, OFPT_MULTIPART_REQUEST, xid);

	t_put16(b, type);
	t_put16(b, 0);
	ofp_buf_put(b, NULL, 4);
	ofp_buf_put(b, body, n);
	ofp_msg_end(b, off);
}

/* A flow or aggregate stats request body for match m. */
static inline void
t_flow_stats_request(struct ofp_buf *b, uint32_t xid, uint16_t type, uint8_t table,
		     const struct sdnfv_flow_match *m)
{
	size_t off = ofp_msg_begin(b, OFPT_MULTIPART_REQUEST, xid);

	t_put16(b, type);
	t_put16(b, 0);
	ofp_buf_put(b, NULL, 4);
	ofp_buf_put(b, &table, 1);
	ofp_buf_put(b, NULL, 3);
	t_put32(b, OFPP_ANY);
	t_put32(b, OFPG_ANY);
	ofp_buf_put(b, NULL, 4);
	t_put64(b, 0);
	t_put64(b, 0);
	ofp_match_encode(b, m, 0);
	ofp_msg_end(b, off);
}

/* A message of a type with a raw body. */
static inline void
t_raw(struct ofp_buf *b, uint8_t type, uint32_t xid, const void *body, size_t n)
{
	size_t off = ofp_msg_begin(b, type, xid);

	ofp_buf_put(b, body, n);
	ofp_msg_end(b, off);
}

#endif /* SDNFV_TEST_OFP_CODEC_TEST_H */
