/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow 1.3 codec (wire.h): decoders for what a controller sends, encoders for what a
 * switch sends, all layouts as in the OpenFlow 1.3.5 specification. Every multi-byte field is
 * read and written a byte at a time (big endian), so no wire struct is ever overlaid on a
 * buffer and nothing depends on alignment.
 *
 * Decoders share one rule: before a field is read, the bytes it occupies are known to lie
 * inside the framed message. A failure goes through bad(), which logs the one line and fills
 * the error the switch sends.
 *
 * Choices the specification leaves open, made as Open vSwitch makes them:
 * - OXM prerequisites are checked against the whole match, not against the fields before each
 *   one (a match whose order is unusual but whose content is consistent is taken).
 * - TCP/UDP/SCTP ports take masks (the specification lists them as unmaskable; OVS sends masked
 *   ports for tp_dst=0x50/0xfff0), and the table features say so.
 * - An ICMPv4 field needs eth_type IPv4 as well as ip_proto 1 (ICMPv4 in IPv6 is no protocol).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_ether.h>

#include <sdnfv/flow.h>

#include "common/log.h"
#include "wire.h"

SDNFV_LOG_REGISTER(ofp);

#define OFPMT_OXM       1
#define OXM_CLASS_BASIC 0x8000
#define OFPVID_PRESENT  0x1000
#define OFPVID_NONE     0x0000
#define VLAN_MASK_FULL  0x1fff

#define OFPAT_OUTPUT         0
#define OFPIT_GOTO_TABLE     1
#define OFPIT_WRITE_META     2
#define OFPIT_WRITE_ACTS     3
#define OFPIT_APPLY_ACTS     4
#define OFPIT_CLEAR_ACTS     5
#define OFPIT_METER          6
#define OFPHET_VERSIONBITMAP 1

#define FLOW_MOD_FIXED   48 /* ofp_flow_mod up to its match */
#define PACKET_OUT_FIXED 24 /* ofp_packet_out up to its actions */
#define MP_HDR_LEN       16 /* ofp_multipart_request/reply up to the body */
#define FLOW_STATS_REQ   32 /* ofp_flow_stats_request up to its match */
#define FLOW_STATS_FIXED 48 /* ofp_flow_stats up to its match */
#define OFP_PORT_LEN     64
#define PORT_STATS_LEN   112
#define TABLE_FEAT_FIXED 64
#define DESC_LEN         1056
#define MATCH_MAX        136 /* the longest match the encoder writes, padded */

/* ---- bytes ---------------------------------------------------------------------------------- */

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static inline void
wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

static inline size_t
pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* One log line, and the error to send; returns -EPROTO. */
static int __attribute__((format(printf, 4, 5)))
bad(struct ofp_err *err, uint16_t type, uint16_t code, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	SDNFV_LOG(ofp, NOTICE, "%s", line);
	if (err != NULL) {
		err->type = type;
		err->code = code;
	}
	return -EPROTO;
}

/* ---- the buffer ----------------------------------------------------------------------------- */

void
ofp_buf_init(struct ofp_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
ofp_buf_free(struct ofp_buf *b)
{
	free(b->data);
	ofp_buf_init(b);
}

void
ofp_buf_reset(struct ofp_buf *b)
{
	b->len = 0;
	b->err = 0;
}

void *
ofp_buf_put(struct ofp_buf *b, const void *p, size_t n)
{
	uint8_t *dst;

	if (b->err != 0)
		return NULL;
	if (n == 0)
		return b->data == NULL ? NULL : b->data + b->len;
	if (n > b->cap - b->len) {
		size_t cap = b->cap != 0 ? b->cap : 256;
		/* p may point into the buffer itself (a part of a message appended again). */
		bool inside = p != NULL && b->data != NULL && (const uint8_t *)p >= b->data &&
			      (const uint8_t *)p < b->data + b->len;
		size_t at = inside ? (size_t)((const uint8_t *)p - b->data) : 0;
		uint8_t *data;

		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->err = -ENOMEM;
				return NULL;
			}
			cap *= 2;
		}
		data = realloc(b->data, cap);
		if (data == NULL) {
			SDNFV_LOG(ofp, ERR, "encoder: cannot grow a buffer to %zu bytes", cap);
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = data;
		b->cap = cap;
		if (inside)
			p = data + at;
	}
	dst = b->data + b->len;
	if (p != NULL)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
	b->len += n;
	return dst;
}

static void
put8(struct ofp_buf *b, uint8_t v)
{
	ofp_buf_put(b, &v, 1);
}

static void
put16(struct ofp_buf *b, uint16_t v)
{
	uint8_t t[2];

	wr16(t, v);
	ofp_buf_put(b, t, sizeof(t));
}

static void
put32(struct ofp_buf *b, uint32_t v)
{
	uint8_t t[4];

	wr32(t, v);
	ofp_buf_put(b, t, sizeof(t));
}

static void
put64(struct ofp_buf *b, uint64_t v)
{
	uint8_t t[8];

	wr64(t, v);
	ofp_buf_put(b, t, sizeof(t));
}

static void
putz(struct ofp_buf *b, size_t n)
{
	ofp_buf_put(b, NULL, n);
}

/* A string in a fixed field of n bytes: at most n - 1 characters, NUL-padded. */
static void
putstr(struct ofp_buf *b, const char *s, size_t n)
{
	uint8_t *dst = ofp_buf_put(b, NULL, n);
	size_t l;

	if (dst == NULL || s == NULL)
		return;
	l = strnlen(s, n - 1);
	memcpy(dst, s, l);
}

/* ---- header --------------------------------------------------------------------------------- */

void
ofp_hdr_read(const void *p, struct ofp_hdr *h)
{
	const uint8_t *q = p;

	h->version = q[0];
	h->type = q[1];
	h->length = rd16(q + 2);
	h->xid = rd32(q + 4);
}

size_t
ofp_msg_begin(struct ofp_buf *b, uint8_t type, uint32_t xid)
{
	size_t off = b->len;
	uint8_t h[OFP_HEADER_LEN] = { OFP_VERSION_13, type, 0, 0 };

	wr32(h + 4, xid);
	ofp_buf_put(b, h, sizeof(h));
	return off;
}

void
ofp_msg_end(struct ofp_buf *b, size_t off)
{
	size_t n;

	if (b->err != 0)
		return;
	n = b->len - off;
	if (n > OFP_MSG_MAX) {
		SDNFV_LOG(ofp, ERR, "encoder: %s of %zu bytes is longer than a message can be",
			  ofp_type_name(b->data[off + 1]), n);
		b->err = -EMSGSIZE;
		return;
	}
	wr16(b->data + off + 2, (uint16_t)n);
}

/*
 * The checks every decoder starts with: the framed length holds a header, agrees with the
 * header's length, the version is 1.3, the type is the expected one, and the message is at least
 * (or, with exact, exactly) min bytes.
 */
static int
hdr_check(const uint8_t *p, size_t len, uint8_t type, size_t min, bool exact, struct ofp_err *err)
{
	const char *name = ofp_type_name(type);

	if (len < OFP_HEADER_LEN)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "%s: %zu bytes cannot hold a header", name, len);
	if (rd16(p + 2) != len)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "%s: header length %u differs from the %zu bytes framed", name,
			   rd16(p + 2), len);
	if (p[0] != OFP_VERSION_13)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION,
			   "%s: version 0x%02x is not OpenFlow 1.3", name, p[0]);
	if (p[1] != type)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "%s: the message is a %s", name,
			   ofp_type_name(p[1]));
	if (len < min || (exact && len != min))
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "%s: %zu bytes, %s %zu expected",
			   name, len, exact ? "exactly" : "at least", min);
	return 0;
}

/* ---- matches -------------------------------------------------------------------------------- */

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
	OXM_SCTP_SRC = 17,
	OXM_SCTP_DST = 18,
	OXM_ICMPV4_TYPE = 19,
	OXM_ICMPV4_CODE = 20,
	OXM_IPV6_SRC = 26,
	OXM_IPV6_DST = 27,
	OXM_ICMPV6_TYPE = 29,
	OXM_ICMPV6_CODE = 30,
};

/* The OXM fields the decoder takes: the table features list exactly these. */
static const struct oxm_info {
	uint8_t field;
	uint8_t size;  /* bytes of the value */
	bool maskable; /* HASMASK taken */
	const char *name;
} oxm_fields[] = {
	{ OXM_IN_PORT, 4, false, "in_port" },         { OXM_ETH_TYPE, 2, false, "eth_type" },
	{ OXM_VLAN_VID, 2, true, "vlan_vid" },        { OXM_IP_PROTO, 1, false, "ip_proto" },
	{ OXM_IPV4_SRC, 4, true, "ipv4_src" },        { OXM_IPV4_DST, 4, true, "ipv4_dst" },
	{ OXM_TCP_SRC, 2, true, "tcp_src" },          { OXM_TCP_DST, 2, true, "tcp_dst" },
	{ OXM_UDP_SRC, 2, true, "udp_src" },          { OXM_UDP_DST, 2, true, "udp_dst" },
	{ OXM_SCTP_SRC, 2, true, "sctp_src" },        { OXM_SCTP_DST, 2, true, "sctp_dst" },
	{ OXM_ICMPV4_TYPE, 1, false, "icmpv4_type" }, { OXM_ICMPV4_CODE, 1, false, "icmpv4_code" },
	{ OXM_IPV6_SRC, 16, true, "ipv6_src" },       { OXM_IPV6_DST, 16, true, "ipv6_dst" },
	{ OXM_ICMPV6_TYPE, 1, false, "icmpv6_type" }, { OXM_ICMPV6_CODE, 1, false, "icmpv6_code" },
};
#define N_OXM_FIELDS (sizeof(oxm_fields) / sizeof(oxm_fields[0]))

static const struct oxm_info *
oxm_lookup(unsigned int field)
{
	size_t i;

	for (i = 0; i < N_OXM_FIELDS; i++)
		if (oxm_fields[i].field == field)
			return &oxm_fields[i];
	return NULL;
}

static inline uint32_t
oxm_header(unsigned int field, bool hasmask, unsigned int len)
{
	return (uint32_t)OXM_CLASS_BASIC << 16 | (uint32_t)field << 9 | (uint32_t)hasmask << 8 |
	       len;
}

/* The prefix length of an address mask of n bytes, or -1 when the mask is not a prefix. */
static int
mask_plen(const uint8_t *mask, unsigned int n)
{
	unsigned int i, plen = 0;

	for (i = 0; i < n && mask[i] == 0xff; i++)
		plen += 8;
	if (i < n) {
		uint8_t m = mask[i];

		while (m & 0x80) {
			plen++;
			m = (uint8_t)(m << 1);
		}
		if (m != 0)
			return -1;
		for (i++; i < n; i++)
			if (mask[i] != 0)
				return -1;
	}
	return (int)plen;
}

/* Are there value bits outside the mask? */
static bool
outside_mask(const uint8_t *v, const uint8_t *mask, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (v[i] & (uint8_t)~mask[i])
			return true;
	return false;
}

#define SEEN(f) (seen & ((uint64_t)1 << (f)))

/* The prerequisites of OpenFlow 1.3.5 section 7.2.3.8, over the whole match. */
static int
match_prereq(const struct sdnfv_flow_match *m, uint64_t seen, struct ofp_err *err)
{
	bool eth = m->fields & SDNFV_FLOW_M_ETH_TYPE, proto = m->fields & SDNFV_FLOW_M_IP_PROTO;
	bool v4 = eth && m->eth_type == RTE_ETHER_TYPE_IPV4,
	     v6 = eth && m->eth_type == RTE_ETHER_TYPE_IPV6;
	const char *why = NULL;

	if (SEEN(OXM_IP_PROTO) && !v4 && !v6)
		why = "ip_proto needs eth_type 0x0800 or 0x86dd";
	else if ((SEEN(OXM_IPV4_SRC) || SEEN(OXM_IPV4_DST)) && !v4)
		why = "an IPv4 address needs eth_type 0x0800";
	else if ((SEEN(OXM_IPV6_SRC) || SEEN(OXM_IPV6_DST)) && !v6)
		why = "an IPv6 address needs eth_type 0x86dd";
	else if ((SEEN(OXM_TCP_SRC) || SEEN(OXM_TCP_DST)) && !(proto && m->ip_proto == IPPROTO_TCP))
		why = "a TCP port needs ip_proto 6";
	else if ((SEEN(OXM_UDP_SRC) || SEEN(OXM_UDP_DST)) && !(proto && m->ip_proto == IPPROTO_UDP))
		why = "a UDP port needs ip_proto 17";
	else if ((SEEN(OXM_SCTP_SRC) || SEEN(OXM_SCTP_DST)) &&
		 !(proto && m->ip_proto == IPPROTO_SCTP))
		why = "an SCTP port needs ip_proto 132";
	else if ((SEEN(OXM_ICMPV4_TYPE) || SEEN(OXM_ICMPV4_CODE)) &&
		 !(v4 && proto && m->ip_proto == IPPROTO_ICMP))
		why = "an ICMPv4 field needs eth_type 0x0800 and ip_proto 1";
	else if ((SEEN(OXM_ICMPV6_TYPE) || SEEN(OXM_ICMPV6_CODE)) &&
		 !(v6 && proto && m->ip_proto == IPPROTO_ICMPV6))
		why = "an ICMPv6 field needs eth_type 0x86dd and ip_proto 58";
	if (why != NULL)
		return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ, "match: %s", why);
	return 0;
}

/* One OXM field's value (and mask, or NULL) into the match. */
static int
oxm_take(const struct oxm_info *fi, const uint8_t *v, const uint8_t *mk, struct ofp_match *out,
	 struct ofp_err *err)
{
	struct sdnfv_flow_match *m = &out->m;
	unsigned int n = fi->size;
	uint16_t val, msk;
	int plen;

	if (mk != NULL && outside_mask(v, mk, n))
		return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS,
			   "match: %s has value bits outside its mask", fi->name);
	switch (fi->field) {
	case OXM_IN_PORT:
		out->of_in_port = rd32(v);
		if (out->of_in_port == 0 || out->of_in_port == OFPP_ANY)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE,
				   "match: in_port 0x%x is no port", out->of_in_port);
		m->fields |= SDNFV_FLOW_M_IN_PORT;
		m->in_port = 0;
		break;
	case OXM_ETH_TYPE:
		m->fields |= SDNFV_FLOW_M_ETH_TYPE;
		m->eth_type = rd16(v);
		break;
	case OXM_VLAN_VID:
		val = rd16(v);
		msk = mk != NULL ? rd16(mk) : VLAN_MASK_FULL;
		if (val & ~VLAN_MASK_FULL)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE,
				   "match: vlan_vid 0x%04x is wider than 13 bits", val);
		if (msk & ~VLAN_MASK_FULL)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK,
				   "match: vlan_vid mask 0x%04x is wider than 13 bits", msk);
		if (mk == NULL && val != OFPVID_NONE && !(val & OFPVID_PRESENT))
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE,
				   "match: vlan_vid 0x%04x lacks OFPVID_PRESENT", val);
		m->fields |= SDNFV_FLOW_M_VLAN;
		m->vlan = val;
		m->vlan_mask = msk;
		break;
	case OXM_IP_PROTO:
		m->fields |= SDNFV_FLOW_M_IP_PROTO;
		m->ip_proto = v[0];
		break;
	case OXM_IPV4_SRC:
	case OXM_IPV4_DST:
	case OXM_IPV6_SRC:
	case OXM_IPV6_DST:
		plen = mk != NULL ? mask_plen(mk, n) : (int)n * 8;
		if (plen < 0)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_NW_ADDR_MASK,
				   "match: %s mask is not a prefix", fi->name);
		if (fi->field == OXM_IPV4_SRC || fi->field == OXM_IPV6_SRC) {
			m->fields |= SDNFV_FLOW_M_SRC;
			memcpy(m->src.v6, v, n);
			m->src_plen = (uint8_t)plen;
		} else {
			m->fields |= SDNFV_FLOW_M_DST;
			memcpy(m->dst.v6, v, n);
			m->dst_plen = (uint8_t)plen;
		}
		break;
	case OXM_TCP_SRC:
	case OXM_UDP_SRC:
	case OXM_SCTP_SRC:
		m->fields |= SDNFV_FLOW_M_SPORT;
		m->sport = rd16(v);
		m->sport_mask = mk != NULL ? rd16(mk) : 0xffff;
		break;
	case OXM_TCP_DST:
	case OXM_UDP_DST:
	case OXM_SCTP_DST:
		m->fields |= SDNFV_FLOW_M_DPORT;
		m->dport = rd16(v);
		m->dport_mask = mk != NULL ? rd16(mk) : 0xffff;
		break;
	case OXM_ICMPV4_TYPE:
	case OXM_ICMPV6_TYPE:
		m->fields |= SDNFV_FLOW_M_ICMP_TYPE;
		m->icmp_type = v[0];
		break;
	default: /* OXM_ICMPV4_CODE, OXM_ICMPV6_CODE */
		m->fields |= SDNFV_FLOW_M_ICMP_CODE;
		m->icmp_code = v[0];
		break;
	}
	return 0;
}

int
ofp_match_decode(const uint8_t *p, size_t avail, struct ofp_match *out, size_t *consumed,
		 struct ofp_err *err)
{
	uint16_t type, mlen;
	uint64_t seen = 0;
	size_t off;
	int ret;

	memset(out, 0, sizeof(*out));
	*consumed = 0;
	if (avail < 4)
		return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
			   "match: %zu bytes left cannot hold a match header", avail);
	type = rd16(p);
	mlen = rd16(p + 2);
	if (type != OFPMT_OXM)
		return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_TYPE, "match: type %u is not OXM (1)",
			   type);
	if (mlen < 4 || pad8(mlen) > avail)
		return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
			   "match: length %u (padded %zu) runs past the message (%zu bytes left)",
			   mlen, pad8(mlen), avail);
	for (off = 4; off < mlen;) {
		const struct oxm_info *fi;
		unsigned int cls, field, hasmask, flen;
		uint32_t h;

		if (mlen - off < 4)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
				   "match: OXM header at offset %zu runs past the match (%u bytes)",
				   off, mlen);
		h = rd32(p + off);
		cls = h >> 16;
		field = (h >> 9) & 0x7f;
		hasmask = (h >> 8) & 1;
		flen = h & 0xff;
		if (flen > mlen - off - 4)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
				   "match: OXM field %u of %u bytes at offset %zu runs past the "
				   "match (%u bytes)",
				   field, flen, off, mlen);
		if (cls != OXM_CLASS_BASIC)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD,
				   "match: OXM class 0x%04x is not supported", cls);
		fi = oxm_lookup(field);
		if (fi == NULL)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD,
				   "match: OXM field %u is not supported", field);
		if (hasmask && !fi->maskable)
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK, "match: %s takes no mask",
				   fi->name);
		if (flen != fi->size * (hasmask ? 2u : 1u))
			return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
				   "match: %s has length %u, %u expected", fi->name, flen,
				   fi->size * (hasmask ? 2u : 1u));
		if (SEEN(field))
			return bad(err, OFPET_BAD_MATCH, OFPBMC_DUP_FIELD,
				   "match: %s appears twice", fi->name);
		seen |= (uint64_t)1 << field;
		ret = oxm_take(fi, p + off + 4, hasmask ? p + off + 4 + fi->size : NULL, out, err);
		if (ret < 0)
			return ret;
		off += 4 + flen;
	}
	ret = match_prereq(&out->m, seen, err);
	if (ret < 0)
		return ret;
	if (sdnfv_flow_match_check(&out->m) != 0) /* cannot happen after the checks above */
		return bad(err, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ,
			   "match: refused by the flow table's check");
	*consumed = pad8(mlen);
	return 0;
}

static size_t
oxm_put(uint8_t *o, unsigned int field, const void *v, const void *mask, unsigned int size)
{
	wr32(o, oxm_header(field, mask != NULL, mask != NULL ? 2 * size : size));
	memcpy(o + 4, v, size);
	if (mask != NULL)
		memcpy(o + 4 + size, mask, size);
	return 4 + (mask != NULL ? 2 * size : size);
}

static size_t
oxm_put16(uint8_t *o, unsigned int field, uint16_t v, uint16_t mask, uint16_t full)
{
	uint8_t a[2], b[2];

	wr16(a, v);
	wr16(b, mask);
	return oxm_put(o, field, a, mask != full ? b : NULL, 2);
}

static size_t
oxm_put_addr(uint8_t *o, unsigned int field, const union sdnfv_pkt_addr *a, unsigned int plen,
	     unsigned int size)
{
	uint8_t mask[16] = { 0 };
	unsigned int i;

	for (i = 0; i < plen; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	return oxm_put(o, field, a->v6, plen < size * 8 ? mask : NULL, size);
}

/* Write match m (in_port as of_in_port) into o, padded; returns the padded length. */
static size_t
match_write(uint8_t o[MATCH_MAX], const struct sdnfv_flow_match *m, uint32_t of_in_port)
{
	uint32_t f = m->fields;
	bool v6 = (f & SDNFV_FLOW_M_ETH_TYPE) && m->eth_type == RTE_ETHER_TYPE_IPV6;
	unsigned int asz = v6 ? 16 : 4, sf = 0, df = 0;
	size_t n = 4, padded;
	uint8_t t[4];

	if (f & SDNFV_FLOW_M_IN_PORT) {
		wr32(t, of_in_port);
		n += oxm_put(o + n, OXM_IN_PORT, t, NULL, 4);
	}
	if (f & SDNFV_FLOW_M_ETH_TYPE)
		n += oxm_put16(o + n, OXM_ETH_TYPE, m->eth_type, 0xffff, 0xffff);
	if (f & SDNFV_FLOW_M_VLAN) {
		/* Unmasked only when the value is one OpenFlow can send unmasked. */
		bool plain = m->vlan_mask == VLAN_MASK_FULL &&
			     (m->vlan == OFPVID_NONE || (m->vlan & OFPVID_PRESENT));

		n += oxm_put16(o + n, OXM_VLAN_VID, m->vlan, m->vlan_mask,
			       plain ? m->vlan_mask : (uint16_t)~m->vlan_mask);
	}
	if (f & SDNFV_FLOW_M_IP_PROTO)
		n += oxm_put(o + n, OXM_IP_PROTO, &m->ip_proto, NULL, 1);
	if (f & SDNFV_FLOW_M_SRC)
		n += oxm_put_addr(o + n, v6 ? OXM_IPV6_SRC : OXM_IPV4_SRC, &m->src, m->src_plen,
				  asz);
	if (f & SDNFV_FLOW_M_DST)
		n += oxm_put_addr(o + n, v6 ? OXM_IPV6_DST : OXM_IPV4_DST, &m->dst, m->dst_plen,
				  asz);
	if (m->ip_proto == IPPROTO_TCP) {
		sf = OXM_TCP_SRC;
		df = OXM_TCP_DST;
	} else if (m->ip_proto == IPPROTO_UDP) {
		sf = OXM_UDP_SRC;
		df = OXM_UDP_DST;
	} else if (m->ip_proto == IPPROTO_SCTP) {
		sf = OXM_SCTP_SRC;
		df = OXM_SCTP_DST;
	}
	if ((f & SDNFV_FLOW_M_SPORT) && sf != 0)
		n += oxm_put16(o + n, sf, m->sport, m->sport_mask, 0xffff);
	if ((f & SDNFV_FLOW_M_DPORT) && df != 0)
		n += oxm_put16(o + n, df, m->dport, m->dport_mask, 0xffff);
	if (f & SDNFV_FLOW_M_ICMP_TYPE)
		n += oxm_put(o + n, v6 ? OXM_ICMPV6_TYPE : OXM_ICMPV4_TYPE, &m->icmp_type, NULL, 1);
	if (f & SDNFV_FLOW_M_ICMP_CODE)
		n += oxm_put(o + n, v6 ? OXM_ICMPV6_CODE : OXM_ICMPV4_CODE, &m->icmp_code, NULL, 1);
	wr16(o, OFPMT_OXM);
	wr16(o + 2, (uint16_t)n);
	padded = pad8(n);
	memset(o + n, 0, padded - n);
	return padded;
}

static size_t
match_len(const struct sdnfv_flow_match *m)
{
	uint8_t o[MATCH_MAX];

	return match_write(o, m, 0);
}

void
ofp_match_encode(struct ofp_buf *b, const struct sdnfv_flow_match *m, uint32_t of_in_port)
{
	uint8_t o[MATCH_MAX];

	ofp_buf_put(b, o, match_write(o, m, of_in_port));
}

/* ---- actions and instructions ------------------------------------------------------------------ */

/* Append the actions of [p, p + len) to out (which may hold some already). */
static int
actions_append(const uint8_t *p, size_t len, struct ofp_acts *out, struct ofp_err *err)
{
	size_t off = 0;

	while (off < len) {
		uint16_t type, alen;
		uint32_t port;

		if (len - off < 4)
			return bad(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN,
				   "actions: action header at offset %zu runs past the list (%zu "
				   "bytes)",
				   off, len);
		type = rd16(p + off);
		alen = rd16(p + off + 2);
		if (alen < 8 || alen % 8 != 0 || alen > len - off)
			return bad(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN,
				   "actions: action type %u has length %u (%zu bytes left)", type,
				   alen, len - off);
		if (type != OFPAT_OUTPUT)
			return bad(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE,
				   "actions: action type %u is not supported (only output)", type);
		if (alen != 16)
			return bad(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN,
				   "actions: output has length %u, 16 expected", alen);
		port = rd32(p + off + 4);
		if (port == 0 || port == OFPP_ANY || (port > OFPP_MAX && port < OFPP_IN_PORT))
			return bad(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT,
				   "actions: output to port 0x%x", port);
		if (out->n_out == OFP_ACTS_MAX)
			return bad(err, OFPET_BAD_ACTION, OFPBAC_TOO_MANY,
				   "actions: more than %u outputs", OFP_ACTS_MAX);
		out->out[out->n_out].port = port;
		out->out[out->n_out].max_len = rd16(p + off + 8);
		out->n_out++;
		off += alen;
	}
	return 0;
}

int
ofp_actions_decode(const uint8_t *p, size_t len, struct ofp_acts *out, struct ofp_err *err)
{
	memset(out, 0, sizeof(*out));
	return actions_append(p, len, out, err);
}

/*
 * Instructions: WRITE_ACTIONS and APPLY_ACTIONS add their outputs, CLEAR_ACTIONS is taken and
 * does nothing (one table: the action set it would clear is empty). An instruction type twice:
 * OFPBIC_UNSUP_INST (1.3 has no DUP_INST). EXPERIMENTER, like any type 1.3 does not define:
 * OFPBIC_UNKNOWN_INST.
 */
int
ofp_instructions_decode(const uint8_t *p, size_t len, struct ofp_acts *out, struct ofp_err *err)
{
	unsigned int seen = 0;
	size_t off = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		uint16_t type, ilen;

		if (len - off < 4)
			return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN,
				   "instructions: header at offset %zu runs past the list (%zu "
				   "bytes)",
				   off, len);
		type = rd16(p + off);
		ilen = rd16(p + off + 2);
		if (ilen < 8 || ilen % 8 != 0 || ilen > len - off)
			return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN,
				   "instructions: type %u has length %u (%zu bytes left)", type,
				   ilen, len - off);
		switch (type) {
		case OFPIT_GOTO_TABLE:
			return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID,
				   "instructions: goto_table, but the switch has one table");
		case OFPIT_WRITE_META:
		case OFPIT_METER:
			return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST,
				   "instructions: %s is not supported",
				   type == OFPIT_METER ? "meter" : "write_metadata");
		case OFPIT_WRITE_ACTS:
		case OFPIT_APPLY_ACTS:
		case OFPIT_CLEAR_ACTS:
			break;
		default:
			return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST,
				   "instructions: unknown type %u", type);
		}
		if (seen & (1u << type))
			return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST,
				   "instructions: type %u appears twice", type);
		seen |= 1u << type;
		if (type == OFPIT_CLEAR_ACTS) {
			if (ilen != 8)
				return bad(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN,
					   "instructions: clear_actions has length %u, 8 expected",
					   ilen);
		} else {
			ret = actions_append(p + off + 8, ilen - 8u, out, err);
			if (ret < 0)
				return ret;
		}
		off += ilen;
	}
	return 0;
}

static size_t
instructions_len(const struct ofp_acts *a)
{
	return a == NULL || a->n_out == 0 ? 0 : 8 + 16 * (size_t)a->n_out;
}

void
ofp_instructions_encode(struct ofp_buf *b, const struct ofp_acts *a)
{
	unsigned int i;

	if (a == NULL || a->n_out == 0)
		return;
	put16(b, OFPIT_APPLY_ACTS);
	put16(b, (uint16_t)instructions_len(a));
	putz(b, 4);
	for (i = 0; i < a->n_out && i < OFP_ACTS_MAX; i++) {
		put16(b, OFPAT_OUTPUT);
		put16(b, 16);
		put32(b, a->out[i].port);
		put16(b, a->out[i].max_len);
		putz(b, 6);
	}
}

/* ---- controller → switch ----------------------------------------------------------------------- */

int
ofp_decode_hello(const void *msg, size_t len, uint8_t *common, struct ofp_err *err)
{
	const uint8_t *p = msg;
	bool bitmap = false, has13 = false;
	size_t off;

	*common = 0;
	if (len < OFP_HEADER_LEN || rd16(p + 2) != len)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "HELLO: %zu bytes framed, header length %u", len,
			   len >= 4 ? rd16(p + 2) : 0);
	for (off = OFP_HEADER_LEN; off < len;) {
		uint16_t type, elen;

		if (len - off < 4)
			return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
				   "HELLO: element header at offset %zu runs past the message",
				   off);
		type = rd16(p + off);
		elen = rd16(p + off + 2);
		if (elen < 4 || elen > len - off)
			return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
				   "HELLO: element type %u has length %u (%zu bytes left)", type,
				   elen, len - off);
		if (type == OFPHET_VERSIONBITMAP) {
			if ((elen - 4) % 4 != 0)
				return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
					   "HELLO: version bitmap of length %u is not whole words",
					   elen);
			bitmap = true;
			/* Version 4 is bit 4 of the first 32-bit bitmap. */
			if (elen >= 8 && (rd32(p + off + 4) & (1u << OFP_VERSION_13)))
				has13 = true;
		}
		/* Elements are padded to 8; the last one's padding may be cut off. */
		off += pad8(elen) < len - off ? pad8(elen) : len - off;
	}
	if (bitmap ? !has13 : p[0] < OFP_VERSION_13) {
		bad(err, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE,
		    "HELLO: the peer (version 0x%02x, %s) does not speak OpenFlow 1.3", p[0],
		    bitmap ? "its version bitmap lacks 1.3" : "no version bitmap");
		return -EPROTONOSUPPORT;
	}
	*common = OFP_VERSION_13;
	return 0;
}

int
ofp_decode_flow_mod(const void *msg, size_t len, struct ofp_flow_mod *out, struct ofp_err *err)
{
	const uint8_t *p = msg;
	size_t consumed;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_FLOW_MOD, FLOW_MOD_FIXED, false, err);
	if (ret < 0)
		return ret;
	out->cookie = rd64(p + 8);
	out->cookie_mask = rd64(p + 16);
	out->table_id = p[24];
	out->command = p[25];
	out->idle_timeout = rd16(p + 26);
	out->hard_timeout = rd16(p + 28);
	out->priority = rd16(p + 30);
	out->buffer_id = rd32(p + 32);
	out->out_port = rd32(p + 36);
	out->out_group = rd32(p + 40);
	out->flags = rd16(p + 44);
	if (out->command > OFPFC_DELETE_STRICT)
		return bad(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND,
			   "FLOW_MOD: unknown command %u", out->command);
	if (out->flags & ~(OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP | OFPFF_RESET_COUNTS |
			   OFPFF_NO_PKT_COUNTS | OFPFF_NO_BYT_COUNTS))
		return bad(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS,
			   "FLOW_MOD: unknown flags 0x%04x", out->flags);
	if (out->table_id != 0 &&
	    !(out->table_id == OFPTT_ALL &&
	      (out->command == OFPFC_DELETE || out->command == OFPFC_DELETE_STRICT)))
		return bad(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID,
			   "FLOW_MOD: table %u (the switch has table 0 only)", out->table_id);
	ret = ofp_match_decode(p + FLOW_MOD_FIXED, len - FLOW_MOD_FIXED, &out->match, &consumed,
			       err);
	if (ret < 0)
		return ret;
	return ofp_instructions_decode(p + FLOW_MOD_FIXED + consumed,
				       len - FLOW_MOD_FIXED - consumed, &out->acts, err);
}

/* A packet's input port: a physical one, LOCAL, CONTROLLER or ANY (none). */
static bool
in_port_ok(uint32_t port)
{
	return (port != 0 && port <= OFPP_MAX) || port == OFPP_LOCAL || port == OFPP_CONTROLLER ||
	       port == OFPP_ANY;
}

/* PACKET_OUT. Without a buffer the frame must be there: no data gives OFPBRC_BAD_PACKET. An
 * in_port that is no port a packet can come from gives OFPBRC_BAD_PORT. A buffered packet's
 * data is ignored (data NULL, data_len 0). */
int
ofp_decode_packet_out(const void *msg, size_t len, struct ofp_packet_out *out, struct ofp_err *err)
{
	const uint8_t *p = msg;
	uint16_t alen;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_PACKET_OUT, PACKET_OUT_FIXED, false, err);
	if (ret < 0)
		return ret;
	out->buffer_id = rd32(p + 8);
	out->in_port = rd32(p + 12);
	alen = rd16(p + 16);
	if (alen > len - PACKET_OUT_FIXED)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "PACKET_OUT: actions length %u runs past the message (%zu bytes)", alen,
			   len);
	if (!in_port_ok(out->in_port))
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT,
			   "PACKET_OUT: in_port 0x%x is no input port", out->in_port);
	ret = ofp_actions_decode(p + PACKET_OUT_FIXED, alen, &out->acts, err);
	if (ret < 0)
		return ret;
	if (out->buffer_id == OFP_NO_BUFFER) {
		out->data_len = len - PACKET_OUT_FIXED - alen;
		if (out->data_len == 0)
			return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET,
				   "PACKET_OUT: no buffer and no packet");
		out->data = p + PACKET_OUT_FIXED + alen;
	}
	return 0;
}

int
ofp_decode_set_config(const void *msg, size_t len, struct ofp_switch_config *out,
		      struct ofp_err *err)
{
	const uint8_t *p = msg;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_SET_CONFIG, 12, true, err);
	if (ret < 0)
		return ret;
	out->flags = rd16(p + 8);
	out->miss_send_len = rd16(p + 10);
	if (out->flags & ~3u) /* OFPC_FRAG_* */
		return bad(err, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS,
			   "SET_CONFIG: unknown flags 0x%04x", out->flags);
	return 0;
}

int
ofp_decode_role(const void *msg, size_t len, struct ofp_role *out, struct ofp_err *err)
{
	const uint8_t *p = msg;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_ROLE_REQUEST, 24, true, err);
	if (ret < 0)
		return ret;
	out->role = rd32(p + 8);
	out->generation_id = rd64(p + 16);
	if (out->role > OFPCR_ROLE_SLAVE)
		return bad(err, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE,
			   "ROLE_REQUEST: unknown role %u", out->role);
	return 0;
}

int
ofp_decode_set_async(const void *msg, size_t len, struct ofp_async *out, struct ofp_err *err)
{
	const uint8_t *p = msg;
	int ret, i;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_SET_ASYNC, 32, true, err);
	if (ret < 0)
		return ret;
	for (i = 0; i < 2; i++) {
		out->packet_in[i] = rd32(p + 8 + 4 * i);
		out->port_status[i] = rd32(p + 16 + 4 * i);
		out->flow_removed[i] = rd32(p + 24 + 4 * i);
	}
	return 0;
}

int
ofp_decode_mp_request(const void *msg, size_t len, struct ofp_mp_request *out, struct ofp_err *err)
{
	const uint8_t *p = msg;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_MULTIPART_REQUEST, MP_HDR_LEN, false, err);
	if (ret < 0)
		return ret;
	out->type = rd16(p + 8);
	out->flags = rd16(p + 10);
	out->body = p + MP_HDR_LEN;
	out->body_len = len - MP_HDR_LEN;
	return 0;
}

int
ofp_decode_flow_stats_request(const struct ofp_mp_request *r, struct ofp_flow_stats_request *out,
			      struct ofp_err *err)
{
	const uint8_t *p = r->body;
	size_t consumed;
	int ret;

	memset(out, 0, sizeof(*out));
	if (r->body_len < FLOW_STATS_REQ)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "flow stats request: body of %zu bytes, at least %u expected",
			   r->body_len, FLOW_STATS_REQ);
	out->table_id = p[0];
	out->out_port = rd32(p + 4);
	out->out_group = rd32(p + 8);
	out->cookie = rd64(p + 16);
	out->cookie_mask = rd64(p + 24);
	if (out->table_id != 0 && out->table_id != OFPTT_ALL)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID,
			   "flow stats request: table %u (the switch has table 0 only)",
			   out->table_id);
	ret = ofp_match_decode(p + FLOW_STATS_REQ, r->body_len - FLOW_STATS_REQ, &out->match,
			       &consumed, err);
	if (ret < 0)
		return ret;
	if (consumed != r->body_len - FLOW_STATS_REQ)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "flow stats request: %zu bytes after the match",
			   r->body_len - FLOW_STATS_REQ - consumed);
	return 0;
}

int
ofp_decode_port_stats_request(const struct ofp_mp_request *r, uint32_t *port_no,
			      struct ofp_err *err)
{
	*port_no = 0;
	if (r->body_len != 8)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "port stats request: body of %zu bytes, 8 expected", r->body_len);
	*port_no = rd32(r->body);
	return 0;
}

int
ofp_decode_experimenter(const void *msg, size_t len, struct ofp_experimenter *out,
			struct ofp_err *err)
{
	const uint8_t *p = msg;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hdr_check(p, len, OFPT_EXPERIMENTER, 16, false, err);
	if (ret < 0)
		return ret;
	out->experimenter = rd32(p + 8);
	out->exp_type = rd32(p + 12);
	out->data_len = len - 16;
	out->data = out->data_len != 0 ? p + 16 : NULL;
	return 0;
}

/* The body of a multipart request by type: what the switch checks before the agent sees it. */
static int
mp_check(const struct ofp_mp_request *r, struct ofp_err *err)
{
	struct ofp_flow_stats_request fs;
	size_t want;
	uint32_t port;

	switch (r->type) {
	case OFPMP_FLOW:
	case OFPMP_AGGREGATE:
		return ofp_decode_flow_stats_request(r, &fs, err);
	case OFPMP_PORT_STATS:
		return ofp_decode_port_stats_request(r, &port, err);
	case OFPMP_DESC:
	case OFPMP_TABLE:
	case OFPMP_GROUP_DESC:
	case OFPMP_GROUP_FEATURES:
	case OFPMP_METER_FEATURES:
	case OFPMP_PORT_DESC:
		want = 0;
		break;
	case OFPMP_QUEUE:
	case OFPMP_GROUP:
	case OFPMP_METER:
	case OFPMP_METER_CONFIG:
		want = 8;
		break;
	case OFPMP_TABLE_FEATURES: /* a body sets features: the agent refuses it */
		return 0;
	case OFPMP_EXPERIMENTER:
		if (r->body_len < 8)
			return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
				   "experimenter multipart request: body of %zu bytes",
				   r->body_len);
		return 0;
	default:
		bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
		    "MULTIPART_REQUEST: unknown type %u", r->type);
		return -ENOTSUP;
	}
	if (r->body_len != want)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "multipart request type %u: body of %zu bytes, %zu expected", r->type,
			   r->body_len, want);
	return 0;
}

/*
 * Any message a controller may send. Besides the decoders above: HELLO's version check is the
 * agent's (a malformed HELLO is -EPROTO here, an incompatible one -EPROTONOSUPPORT as from
 * ofp_decode_hello()); ECHO and ERROR take any body; the requests without a body must have none;
 * PORT_MOD, TABLE_MOD and QUEUE_GET_CONFIG_REQUEST are checked for their length only.
 * An unknown multipart type is -ENOTSUP with OFPBRC_BAD_MULTIPART. GROUP_MOD, METER_MOD and
 * the types only a switch sends are -ENOTSUP with OFPBRC_BAD_TYPE.
 */
int
ofp_decode_check(const void *msg, size_t len, struct ofp_err *err)
{
	const uint8_t *p = msg;
	union {
		struct ofp_flow_mod fm;
		struct ofp_packet_out po;
		struct ofp_switch_config sc;
		struct ofp_role role;
		struct ofp_async as;
		struct ofp_experimenter exp;
	} u;
	struct ofp_mp_request mp;
	uint8_t common;
	int ret;

	if (len < OFP_HEADER_LEN)
		return bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
			   "message of %zu bytes cannot hold a header", len);
	switch (p[1]) {
	case OFPT_HELLO:
		return ofp_decode_hello(p, len, &common, err);
	case OFPT_ECHO_REQUEST:
	case OFPT_ECHO_REPLY:
		return hdr_check(p, len, p[1], OFP_HEADER_LEN, false, err);
	case OFPT_ERROR:
		return hdr_check(p, len, p[1], 12, false, err);
	case OFPT_EXPERIMENTER:
		return ofp_decode_experimenter(p, len, &u.exp, err);
	case OFPT_FEATURES_REQUEST:
	case OFPT_GET_CONFIG_REQUEST:
	case OFPT_BARRIER_REQUEST:
	case OFPT_GET_ASYNC_REQUEST:
		return hdr_check(p, len, p[1], OFP_HEADER_LEN, true, err);
	case OFPT_SET_CONFIG:
		return ofp_decode_set_config(p, len, &u.sc, err);
	case OFPT_PACKET_OUT:
		return ofp_decode_packet_out(p, len, &u.po, err);
	case OFPT_FLOW_MOD:
		return ofp_decode_flow_mod(p, len, &u.fm, err);
	case OFPT_PORT_MOD:
		return hdr_check(p, len, p[1], 40, true, err);
	case OFPT_TABLE_MOD:
	case OFPT_QUEUE_GET_CONFIG_REQUEST:
		return hdr_check(p, len, p[1], 16, true, err);
	case OFPT_MULTIPART_REQUEST:
		ret = ofp_decode_mp_request(p, len, &mp, err);
		return ret < 0 ? ret : mp_check(&mp, err);
	case OFPT_ROLE_REQUEST:
		return ofp_decode_role(p, len, &u.role, err);
	case OFPT_SET_ASYNC:
		return ofp_decode_set_async(p, len, &u.as, err);
	default:
		ret = hdr_check(p, len, p[1], OFP_HEADER_LEN, false, err);
		if (ret < 0)
			return ret;
		bad(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
		    "%s: a switch does not take this message", ofp_type_name(p[1]));
		return -ENOTSUP;
	}
}

/* ---- switch → controller ------------------------------------------------------------------------ */

void
ofp_encode_hello(struct ofp_buf *b, uint32_t xid)
{
	size_t off = ofp_msg_begin(b, OFPT_HELLO, xid);

	put16(b, OFPHET_VERSIONBITMAP);
	put16(b, 8);
	put32(b, 1u << OFP_VERSION_13);
	ofp_msg_end(b, off);
}

void
ofp_encode_error(struct ofp_buf *b, uint32_t xid, struct ofp_err e, const void *offending,
		 size_t len)
{
	size_t off = ofp_msg_begin(b, OFPT_ERROR, xid);

	put16(b, e.type);
	put16(b, e.code);
	if (offending != NULL && len > 0)
		ofp_buf_put(b, offending, len < 64 ? len : 64);
	ofp_msg_end(b, off);
}

void
ofp_encode_echo(struct ofp_buf *b, uint8_t type, uint32_t xid, const void *data, size_t len)
{
	size_t off = ofp_msg_begin(b, type, xid);

	if (data != NULL && len > 0)
		ofp_buf_put(b, data, len);
	ofp_msg_end(b, off);
}

void
ofp_encode_features_reply(struct ofp_buf *b, uint32_t xid, uint64_t datapath_id, uint32_t n_buffers,
			  uint8_t n_tables, uint32_t capabilities)
{
	size_t off = ofp_msg_begin(b, OFPT_FEATURES_REPLY, xid);

	put64(b, datapath_id);
	put32(b, n_buffers);
	put8(b, n_tables);
	put8(b, 0); /* auxiliary_id: the main connection */
	putz(b, 2);
	put32(b, capabilities);
	put32(b, 0); /* reserved */
	ofp_msg_end(b, off);
}

void
ofp_encode_get_config_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_switch_config *c)
{
	size_t off = ofp_msg_begin(b, OFPT_GET_CONFIG_REPLY, xid);

	put16(b, c->flags);
	put16(b, c->miss_send_len);
	ofp_msg_end(b, off);
}

void
ofp_encode_barrier_reply(struct ofp_buf *b, uint32_t xid)
{
	ofp_msg_end(b, ofp_msg_begin(b, OFPT_BARRIER_REPLY, xid));
}

void
ofp_encode_role_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_role *r)
{
	size_t off = ofp_msg_begin(b, OFPT_ROLE_REPLY, xid);

	put32(b, r->role);
	putz(b, 4);
	put64(b, r->generation_id);
	ofp_msg_end(b, off);
}

void
ofp_encode_get_async_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_async *a)
{
	size_t off = ofp_msg_begin(b, OFPT_GET_ASYNC_REPLY, xid);
	int i;

	for (i = 0; i < 2; i++)
		put32(b, a->packet_in[i]);
	for (i = 0; i < 2; i++)
		put32(b, a->port_status[i]);
	for (i = 0; i < 2; i++)
		put32(b, a->flow_removed[i]);
	ofp_msg_end(b, off);
}

void
ofp_encode_queue_config_reply(struct ofp_buf *b, uint32_t xid, uint32_t port)
{
	size_t off = ofp_msg_begin(b, OFPT_QUEUE_GET_CONFIG_REPLY, xid);

	put32(b, port);
	putz(b, 4);
	ofp_msg_end(b, off);
}

void
ofp_encode_packet_in(struct ofp_buf *b, uint32_t xid, uint32_t buffer_id, uint16_t total_len,
		     uint8_t reason, uint64_t cookie, uint32_t of_in_port, const void *data,
		     size_t data_len)
{
	struct sdnfv_flow_match m = { .fields = SDNFV_FLOW_M_IN_PORT };
	size_t off = ofp_msg_begin(b, OFPT_PACKET_IN, xid);

	put32(b, buffer_id);
	put16(b, total_len);
	put8(b, reason);
	put8(b, 0); /* table_id */
	put64(b, cookie);
	ofp_match_encode(b, &m, of_in_port);
	putz(b, 2);
	if (data != NULL && data_len > 0)
		ofp_buf_put(b, data, data_len);
	ofp_msg_end(b, off);
}

void
ofp_encode_flow_removed(struct ofp_buf *b, uint32_t xid, const struct sdnfv_flow_rule *r,
			uint32_t of_in_port, uint8_t reason, const struct sdnfv_flow_stats *st)
{
	static const struct sdnfv_flow_stats none;
	size_t off = ofp_msg_begin(b, OFPT_FLOW_REMOVED, xid);

	if (st == NULL)
		st = &none;
	put64(b, r->cookie);
	put16(b, r->priority);
	put8(b, reason);
	put8(b, 0); /* table_id */
	put32(b, (uint32_t)(st->duration_ns / 1000000000u));
	put32(b, (uint32_t)(st->duration_ns % 1000000000u));
	put16(b, r->idle_timeout);
	put16(b, r->hard_timeout);
	put64(b, st->packets);
	put64(b, st->bytes);
	ofp_match_encode(b, &r->match, of_in_port);
	ofp_msg_end(b, off);
}

static void
port_put(struct ofp_buf *b, const struct ofp_port_desc *p)
{
	put32(b, p->port_no);
	putz(b, 4);
	ofp_buf_put(b, p->hw_addr, 6);
	putz(b, 2);
	putstr(b, p->name, 16);
	put32(b, p->config);
	put32(b, p->state);
	put32(b, p->curr);
	put32(b, p->advertised);
	put32(b, p->supported);
	put32(b, p->peer);
	put32(b, p->curr_speed);
	put32(b, p->max_speed);
}

void
ofp_encode_port_status(struct ofp_buf *b, uint32_t xid, uint8_t reason,
		       const struct ofp_port_desc *p)
{
	size_t off = ofp_msg_begin(b, OFPT_PORT_STATUS, xid);

	put8(b, reason);
	putz(b, 7);
	port_put(b, p);
	ofp_msg_end(b, off);
}

void
ofp_encode_experimenter(struct ofp_buf *b, uint32_t xid, uint32_t experimenter, uint32_t exp_type,
			const void *data, size_t len)
{
	size_t off = ofp_msg_begin(b, OFPT_EXPERIMENTER, xid);

	put32(b, experimenter);
	put32(b, exp_type);
	if (data != NULL && len > 0)
		ofp_buf_put(b, data, len);
	ofp_msg_end(b, off);
}

/* ---- multipart replies ---------------------------------------------------------------------------- */

static size_t
mp_part_begin(struct ofp_mp *mp)
{
	size_t off = ofp_msg_begin(mp->b, OFPT_MULTIPART_REPLY, mp->xid);

	put16(mp->b, mp->type);
	put16(mp->b, 0); /* flags: REPLY_MORE set when a next part begins */
	putz(mp->b, 4);
	return off;
}

void
ofp_mp_begin(struct ofp_mp *mp, struct ofp_buf *b, uint16_t type, uint32_t xid)
{
	mp->b = b;
	mp->type = type;
	mp->xid = xid;
	mp->off = mp_part_begin(mp);
}

void
ofp_mp_entry(struct ofp_mp *mp, size_t entry_len)
{
	struct ofp_buf *b = mp->b;
	size_t part = b->len - mp->off;

	if (b->err != 0)
		return;
	/* A part holding no entry yet takes the entry whatever its size (ofp_msg_end() then
	 * reports a message too long). */
	if (part + entry_len <= OFP_MSG_MAX || part == MP_HDR_LEN)
		return;
	wr16(b->data + mp->off + 10, OFPMPF_REPLY_MORE);
	ofp_msg_end(b, mp->off);
	mp->off = mp_part_begin(mp);
}

void
ofp_mp_end(struct ofp_mp *mp)
{
	ofp_msg_end(mp->b, mp->off);
}

void
ofp_mp_desc(struct ofp_mp *mp, const struct ofp_desc *d)
{
	ofp_mp_entry(mp, DESC_LEN);
	putstr(mp->b, d->mfr, 256);
	putstr(mp->b, d->hw, 256);
	putstr(mp->b, d->sw, 256);
	putstr(mp->b, d->serial, 32);
	putstr(mp->b, d->dp, 256);
}

void
ofp_mp_flow_stats(struct ofp_mp *mp, const struct sdnfv_flow_rule *r, uint32_t of_in_port,
		  const struct sdnfv_flow_stats *st, const struct ofp_acts *acts)
{
	static const struct sdnfv_flow_stats none;
	size_t len = FLOW_STATS_FIXED + match_len(&r->match) + instructions_len(acts);
	struct ofp_buf *b = mp->b;
	uint16_t flags = 0;

	if (st == NULL)
		st = &none;
	if (r->flags & SDNFV_FLOW_F_SEND_REMOVED)
		flags |= OFPFF_SEND_FLOW_REM;
	if (r->flags & SDNFV_FLOW_F_CHECK_OVERLAP)
		flags |= OFPFF_CHECK_OVERLAP;
	if (r->flags & SDNFV_FLOW_F_RESET_COUNTS)
		flags |= OFPFF_RESET_COUNTS;
	ofp_mp_entry(mp, len);
	put16(b, (uint16_t)len);
	put8(b, 0); /* table_id */
	putz(b, 1);
	put32(b, (uint32_t)(st->duration_ns / 1000000000u));
	put32(b, (uint32_t)(st->duration_ns % 1000000000u));
	put16(b, r->priority);
	put16(b, r->idle_timeout);
	put16(b, r->hard_timeout);
	put16(b, flags);
	putz(b, 4);
	put64(b, r->cookie);
	put64(b, st->packets);
	put64(b, st->bytes);
	ofp_match_encode(b, &r->match, of_in_port);
	ofp_instructions_encode(b, acts);
}

void
ofp_mp_aggregate(struct ofp_mp *mp, uint64_t packets, uint64_t bytes, uint32_t flows)
{
	ofp_mp_entry(mp, 24);
	put64(mp->b, packets);
	put64(mp->b, bytes);
	put32(mp->b, flows);
	putz(mp->b, 4);
}

void
ofp_mp_table_stats(struct ofp_mp *mp, uint8_t table_id, uint32_t active, uint64_t lookups,
		   uint64_t matched)
{
	ofp_mp_entry(mp, 24);
	put8(mp->b, table_id);
	putz(mp->b, 3);
	put32(mp->b, active);
	put64(mp->b, lookups);
	put64(mp->b, matched);
}

enum {
	OFPTFPT_INSTRUCTIONS = 0,
	OFPTFPT_NEXT_TABLES = 2,
	OFPTFPT_WRITE_ACTIONS = 4,
	OFPTFPT_APPLY_ACTIONS = 6,
	OFPTFPT_MATCH = 8,
	OFPTFPT_WILDCARDS = 10,
	OFPTFPT_WRITE_SETFIELD = 12,
	OFPTFPT_APPLY_SETFIELD = 14,
};

/* A table feature property of n 32-bit ids (NULL ids: none), padded to 8. */
static void
tf_prop(struct ofp_buf *b, uint16_t type, const uint32_t *ids, size_t n)
{
	size_t len = 4 + 4 * n, i;

	put16(b, type);
	put16(b, (uint16_t)len);
	for (i = 0; i < n; i++)
		put32(b, ids[i]);
	putz(b, pad8(len) - len);
}

void
ofp_mp_table_features(struct ofp_mp *mp, uint8_t table_id, const char *name, uint32_t max_entries)
{
	/* Instruction and action ids are (type, length 4) pairs. */
	static const uint32_t insts[] = { OFPIT_WRITE_ACTS << 16 | 4, OFPIT_APPLY_ACTS << 16 | 4,
					  OFPIT_CLEAR_ACTS << 16 | 4 };
	static const uint32_t acts[] = { OFPAT_OUTPUT << 16 | 4 };
	uint32_t match[N_OXM_FIELDS], wild[N_OXM_FIELDS];
	struct ofp_buf *b = mp->b;
	size_t i, len, start;
	int miss;

	for (i = 0; i < N_OXM_FIELDS; i++) {
		const struct oxm_info *fi = &oxm_fields[i];

		match[i] = oxm_header(fi->field, fi->maskable,
				      fi->maskable ? 2u * fi->size : fi->size);
		wild[i] = oxm_header(fi->field, false, fi->size);
	}
	/* The properties' size, known before they are written, for the part split. */
	len = TABLE_FEAT_FIXED +
	      2 * (pad8(4 + sizeof(insts)) + pad8(4) + 2 * pad8(4 + sizeof(acts)) + 2 * pad8(4)) +
	      2 * pad8(4 + sizeof(match));
	ofp_mp_entry(mp, len);
	start = b->len;
	put16(b, (uint16_t)len);
	put8(b, table_id);
	putz(b, 5);
	putstr(b, name, 32);
	put64(b, 0); /* metadata_match */
	put64(b, 0); /* metadata_write */
	put32(b, 0); /* config */
	put32(b, max_entries);
	for (miss = 0; miss < 2; miss++) {
		tf_prop(b, OFPTFPT_INSTRUCTIONS + miss, insts, 3);
		tf_prop(b, OFPTFPT_NEXT_TABLES + miss, NULL, 0);
		tf_prop(b, OFPTFPT_WRITE_ACTIONS + miss, acts, 1);
		tf_prop(b, OFPTFPT_APPLY_ACTIONS + miss, acts, 1);
	}
	tf_prop(b, OFPTFPT_MATCH, match, N_OXM_FIELDS);
	tf_prop(b, OFPTFPT_WILDCARDS, wild, N_OXM_FIELDS);
	for (miss = 0; miss < 2; miss++) {
		tf_prop(b, OFPTFPT_WRITE_SETFIELD + miss, NULL, 0);
		tf_prop(b, OFPTFPT_APPLY_SETFIELD + miss, NULL, 0);
	}
	if (b->err == 0 && b->len - start != len) {
		SDNFV_LOG(ofp, ERR, "encoder: table features of %zu bytes, %zu announced",
			  b->len - start, len);
		b->err = -EINVAL;
	}
}

void
ofp_mp_port_stats(struct ofp_mp *mp, const struct ofp_port_counters *c)
{
	struct ofp_buf *b = mp->b;

	ofp_mp_entry(mp, PORT_STATS_LEN);
	put32(b, c->port_no);
	putz(b, 4);
	put64(b, c->rx_packets);
	put64(b, c->tx_packets);
	put64(b, c->rx_bytes);
	put64(b, c->tx_bytes);
	put64(b, c->rx_dropped);
	put64(b, c->tx_dropped);
	put64(b, c->rx_errors);
	put64(b, c->tx_errors);
	putz(b, 32); /* rx_frame_err, rx_over_err, rx_crc_err, collisions: not counted */
	put32(b, c->duration_sec);
	put32(b, c->duration_nsec);
}

void
ofp_mp_port_desc(struct ofp_mp *mp, const struct ofp_port_desc *p)
{
	ofp_mp_entry(mp, OFP_PORT_LEN);
	port_put(mp->b, p);
}

/* ---- names ---------------------------------------------------------------------------------------- */

const char *
ofp_type_name(uint8_t type)
{
	static const char *const names[] = {
		"HELLO",
		"ERROR",
		"ECHO_REQUEST",
		"ECHO_REPLY",
		"EXPERIMENTER",
		"FEATURES_REQUEST",
		"FEATURES_REPLY",
		"GET_CONFIG_REQUEST",
		"GET_CONFIG_REPLY",
		"SET_CONFIG",
		"PACKET_IN",
		"FLOW_REMOVED",
		"PORT_STATUS",
		"PACKET_OUT",
		"FLOW_MOD",
		"GROUP_MOD",
		"PORT_MOD",
		"TABLE_MOD",
		"MULTIPART_REQUEST",
		"MULTIPART_REPLY",
		"BARRIER_REQUEST",
		"BARRIER_REPLY",
		"QUEUE_GET_CONFIG_REQUEST",
		"QUEUE_GET_CONFIG_REPLY",
		"ROLE_REQUEST",
		"ROLE_REPLY",
		"GET_ASYNC_REQUEST",
		"GET_ASYNC_REPLY",
		"SET_ASYNC",
		"METER_MOD",
	};
	static __thread char other[16];

	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	snprintf(other, sizeof(other), "type %u", type);
	return other;
}

const char *
ofp_error_type_name(uint16_t type)
{
	static const char *const names[] = {
		"HELLO_FAILED",
		"BAD_REQUEST",
		"BAD_ACTION",
		"BAD_INSTRUCTION",
		"BAD_MATCH",
		"FLOW_MOD_FAILED",
		"GROUP_MOD_FAILED",
		"PORT_MOD_FAILED",
		"TABLE_MOD_FAILED",
		"QUEUE_OP_FAILED",
		"SWITCH_CONFIG_FAILED",
		"ROLE_REQUEST_FAILED",
		"METER_MOD_FAILED",
		"TABLE_FEATURES_FAILED",
	};
	static __thread char other[24];

	if (type < sizeof(names) / sizeof(names[0]))
		return names[type];
	if (type == OFPET_EXPERIMENTER)
		return "EXPERIMENTER";
	snprintf(other, sizeof(other), "error type %u", type);
	return other;
}
