/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksums (RFC 1071) and their incremental updates (RFC 1624).
 *
 * Sums are kept in native byte order: a one's complement sum of 16-bit words does not depend on
 * the order of the bytes within the words, as long as the folded result is stored back the way
 * the words were loaded. Words of 32 or 64 bits give the same folded sum, because 2^16, 2^32
 * and 2^64 are all 1 modulo 0xffff, so the loops read 8 bytes at a time.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include <sdnfv/pkt.h>

#include "pkt_internal.h"

/* One's complement 64-bit addition: the carry out of bit 63 comes back in at bit 0. a + b
 * wrapped is at most 2^64 - 2, so adding the carry back cannot overflow again. */
static inline uint64_t
add64(uint64_t a, uint64_t b)
{
	uint64_t s;

	if (__builtin_add_overflow(a, b, &s))
		s++;
	return s;
}

static inline uint16_t
fold(uint64_t s)
{
	s = (s >> 32) + (s & 0xffffffff);
	s = (s >> 32) + (s & 0xffffffff);
	s = (s >> 16) + (s & 0xffff);
	s = (s >> 16) + (s & 0xffff);
	s = (s >> 16) + (s & 0xffff);
	return (uint16_t)s;
}

/* Unfolded one's complement sum of `len` bytes, any alignment, added to `s`. */
static uint64_t
sum_bytes(const uint8_t *p, size_t len, uint64_t s)
{
	uint64_t w;

	for (; len >= 32; p += 32, len -= 32) {
		uint64_t a, b, c, d;

		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		s = add64(add64(s, a), b);
		s = add64(add64(s, c), d);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		s = add64(s, w);
	}
	/* The tail starts at an even offset, so its 4-, 2- and 1-byte pieces are whole words
	 * (the last odd byte padded with a zero byte after it, as RFC 1071 says). */
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		s = add64(s, v);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		s = add64(s, v);
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t v = 0;

		memcpy(&v, p, 1);
		s = add64(s, v);
	}
	return s;
}

rte_be16_t
sdnfv_pkt_cksum(const void *data, size_t len)
{
	return (rte_be16_t)~fold(sum_bytes(data, len, 0));
}

rte_be16_t
sdnfv_pkt_ipv4_cksum(const void *ip_hdr, size_t hdr_len)
{
	const uint8_t *ip = ip_hdr;
	uint64_t s = sum_bytes(ip, hdr_len, 0);

	/* Subtracting the stored checksum (adding its complement) is summing with the field 0. */
	if (hdr_len >= PKT_IPV4_CKSUM + 2)
		s = add64(s, (uint16_t)~pkt_rd16_raw(ip + PKT_IPV4_CKSUM));
	return (rte_be16_t)~fold(s);
}

rte_be16_t
sdnfv_pkt_cksum_adjust(rte_be16_t cksum, const void *old_val, const void *new_val, size_t len)
{
	/* RFC 1624 eqn. 3 over many words at once: HC' = ~(~HC + ~sum(m) + sum(m')). */
	uint64_t s = (uint16_t)~cksum;

	s += (uint16_t)~fold(sum_bytes(old_val, len, 0));
	s += fold(sum_bytes(new_val, len, 0));
	return (rte_be16_t)~fold(s);
}

uint32_t
pkt_ipv6_pseudo_dst(const uint8_t *p, const struct sdnfv_pkt_info *info)
{
	uint32_t l3 = info->l3_off, off = l3 + PKT_IPV6_HLEN, end = info->l4_off;
	uint32_t dst = l3 + PKT_IPV6_DST;
	uint8_t nh = p[l3 + PKT_IPV6_NEXT];
	unsigned int n;

	if (!(info->flags & SDNFV_PKT_F_IPV6_EXT))
		return dst;
	/* RFC 8200 8.1: with a routing header that still has segments to visit, the pseudo-header
	 * holds the final destination, the last address of that header. The parser has checked
	 * this chain already; the bounds here only keep a hand-made info from sending us astray. */
	for (n = 0; n <= SDNFV_PKT_IPV6_EXT_MAX && off + 8 <= end; n++) {
		uint32_t hlen;

		switch (nh) {
		case PKT_PROTO_HOPOPTS:
		case PKT_PROTO_ROUTING:
		case PKT_PROTO_DSTOPTS:
		case PKT_PROTO_MH:
		case PKT_PROTO_HIP:
		case PKT_PROTO_SHIM6:
			hlen = ((uint32_t)p[off + 1] + 1) * 8;
			break;
		case PKT_PROTO_AH:
			hlen = ((uint32_t)p[off + 1] + 2) * 4;
			break;
		case PKT_PROTO_FRAGMENT:
			hlen = 8;
			break;
		default:
			return dst;
		}
		if (off + hlen > end)
			return dst;
		if (nh == PKT_PROTO_ROUTING && p[off + 3] > 0 && hlen >= 8 + 16) {
			uint8_t type = p[off + 2];

			if (type == 0) /* addresses in visiting order: the last is final */
				dst = off + 8 + (hlen - 8) / 16 * 16 - 16;
			else if (type == 2 || type == 4) /* home address; SRH lists in reverse */
				dst = off + 8;
		}
		nh = p[off];
		off += hlen;
	}
	return dst;
}

/*
 * The L4 segment of a parsed packet whose checksum we can compute: its length (the datagram's
 * bound, or for UDP its own length once the parser found it within that bound) and where its
 * checksum field is. -EINVAL when there is no whole segment of a protocol we know in `data`.
 */
static int
l4_segment(const uint8_t *p, const struct sdnfv_pkt_info *info, uint32_t *len, uint32_t *cks_off)
{
	uint32_t seg;

	if ((info->flags & (SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_FRAG |
			    SDNFV_PKT_F_MULTISEG)) != (SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4) ||
	    info->l3_end < info->l4_off)
		return -EINVAL;
	seg = info->l3_end - info->l4_off;
	switch (info->l4_proto) {
	case PKT_PROTO_TCP:
		*cks_off = PKT_TCP_CKSUM;
		break;
	case PKT_PROTO_UDP: {
		uint32_t ulen = pkt_rd16(p + info->l4_off + 4);

		if (ulen >= PKT_UDP_HLEN && ulen <= seg)
			seg = ulen;
		*cks_off = PKT_UDP_CKSUM;
		break;
	}
	case PKT_PROTO_ICMP:
		if (info->l3 != SDNFV_PKT_L3_IPV4)
			return -EINVAL;
		*cks_off = PKT_ICMP_CKSUM;
		break;
	case PKT_PROTO_ICMPV6:
		if (info->l3 != SDNFV_PKT_L3_IPV6)
			return -EINVAL;
		*cks_off = PKT_ICMP_CKSUM;
		break;
	default:
		return -EINVAL;
	}
	*len = seg;
	return 0;
}

/* Unfolded sum of the pseudo-header (none for ICMPv4) for an L4 segment of `len` bytes. */
static uint64_t
pseudo_sum(const uint8_t *p, const struct sdnfv_pkt_info *info, uint32_t len)
{
	const uint8_t *ip = p + info->l3_off;
	uint64_t s;

	if (info->l3 == SDNFV_PKT_L3_IPV4) {
		if (info->l4_proto == PKT_PROTO_ICMP)
			return 0;
		/* src, dst, then the word pairs (0, proto) and (length). */
		s = sum_bytes(ip + PKT_IPV4_SRC, 8, 0);
		return add64(s, rte_cpu_to_be_32(((uint32_t)info->l4_proto << 16) | len));
	}
	s = sum_bytes(ip + PKT_IPV6_SRC, 16, 0);
	s = sum_bytes(p + pkt_ipv6_pseudo_dst(p, info), 16, s);
	s = add64(s, rte_cpu_to_be_32(len));
	return add64(s, rte_cpu_to_be_32(info->l4_proto));
}

int
sdnfv_pkt_l4_cksum(const void *data, const struct sdnfv_pkt_info *info, rte_be16_t *cksum)
{
	const uint8_t *p = data;
	uint32_t len, cks_off;
	uint64_t s;
	uint16_t c;
	int rc;

	rc = l4_segment(p, info, &len, &cks_off);
	if (rc < 0)
		return rc;
	s = sum_bytes(p + info->l4_off, len, pseudo_sum(p, info, len));
	s = add64(s, (uint16_t)~pkt_rd16_raw(p + info->l4_off + cks_off));
	c = (uint16_t)~fold(s);
	/* RFC 768: 0 means "no checksum", so a computed 0 is sent as its other form. */
	if (info->l4_proto == PKT_PROTO_UDP && c == 0)
		c = 0xffff;
	*cksum = c;
	return 0;
}

int
sdnfv_pkt_cksum_verify(const void *data, const struct sdnfv_pkt_info *info)
{
	const uint8_t *p = data;
	uint32_t len, cks_off;
	uint64_t s;

	if (!(info->flags & SDNFV_PKT_F_L3))
		return -EINVAL;
	if (info->l3 == SDNFV_PKT_L3_IPV4) {
		uint32_t hl = (uint32_t)(p[info->l3_off] & 0xf) * 4;

		if (fold(sum_bytes(p + info->l3_off, hl, 0)) != 0xffff)
			return -EBADMSG;
	}
	if (l4_segment(p, info, &len, &cks_off) < 0)
		return 0; /* nothing more we can check */
	if (info->l4_proto == PKT_PROTO_UDP && info->l3 == SDNFV_PKT_L3_IPV4 &&
	    pkt_rd16_raw(p + info->l4_off + cks_off) == 0)
		return 0;
	/* A right checksum makes the sum over everything, itself included, all ones. */
	s = sum_bytes(p + info->l4_off, len, pseudo_sum(p, info, len));
	return fold(s) == 0xffff ? 0 : -EBADMSG;
}

/* Offset within the L4 header of a checksum that covers the pseudo-header, or 0 for none.
 * ICMPv4 has no pseudo-header and SCTP's CRC32-C does not cover the addresses. */
static uint32_t
pseudo_cksum_off(const struct sdnfv_pkt_info *info)
{
	if (!(info->flags & SDNFV_PKT_F_L4))
		return 0;
	switch (info->l4_proto) {
	case PKT_PROTO_TCP:
		return PKT_TCP_CKSUM;
	case PKT_PROTO_UDP:
		return PKT_UDP_CKSUM;
	case PKT_PROTO_ICMPV6:
		return info->l3 == SDNFV_PKT_L3_IPV6 ? PKT_ICMP_CKSUM : 0;
	default:
		return 0;
	}
}

/* UDP's two rules on top of RFC 1624: 0 (no checksum) stays 0, and a result of 0 is sent as
 * 0xffff. Both forms are the same one's complement number, so the sum stays right. */
static inline rte_be16_t
udp_fix(rte_be16_t old_cks, rte_be16_t new_cks)
{
	if (old_cks == 0)
		return 0;
	return new_cks == 0 ? (rte_be16_t)0xffff : new_cks;
}

int
sdnfv_pkt_set_addr(void *data, const struct sdnfv_pkt_info *info, enum sdnfv_pkt_dir dir,
		   const union sdnfv_pkt_addr *addr)
{
	uint8_t *p = data, *ip = p + info->l3_off;
	uint32_t cks_off;
	rte_be16_t c, nc;
	uint8_t *cks;

	if (!(info->flags & SDNFV_PKT_F_L3) || (dir != SDNFV_PKT_SRC && dir != SDNFV_PKT_DST))
		return -EINVAL;
	cks_off = pseudo_cksum_off(info);
	cks = p + info->l4_off + cks_off;

	if (info->l3 == SDNFV_PKT_L3_IPV4) {
		uint8_t *at = ip + (dir == SDNFV_PKT_SRC ? PKT_IPV4_SRC : PKT_IPV4_DST);
		rte_be32_t old = pkt_rd32_raw(at);

		memcpy(at, &addr->v4, 4);
		c = sdnfv_pkt_cksum_adjust32(pkt_rd16_raw(ip + PKT_IPV4_CKSUM), old, addr->v4);
		pkt_wr16_raw(ip + PKT_IPV4_CKSUM, c);
		if (cks_off) {
			c = pkt_rd16_raw(cks);
			nc = sdnfv_pkt_cksum_adjust32(c, old, addr->v4);
			if (info->l4_proto == PKT_PROTO_UDP)
				nc = udp_fix(c, nc);
			pkt_wr16_raw(cks, nc);
		}
		return 0;
	}
	if (info->l3 == SDNFV_PKT_L3_IPV6) {
		uint8_t *at = ip + (dir == SDNFV_PKT_SRC ? PKT_IPV6_SRC : PKT_IPV6_DST);
		uint8_t old[16];

		/* With a routing header under way, the pseudo-header holds the final destination,
		 * not this field: rewriting it leaves the L4 checksum as it is. */
		if (dir == SDNFV_PKT_DST && pkt_ipv6_pseudo_dst(p, info) != (uint32_t)(at - p))
			cks_off = 0;
		memcpy(old, at, 16);
		memcpy(at, addr->v6, 16);
		if (cks_off) {
			c = pkt_rd16_raw(cks);
			nc = sdnfv_pkt_cksum_adjust(c, old, addr->v6, 16);
			if (info->l4_proto == PKT_PROTO_UDP)
				nc = udp_fix(c, nc);
			pkt_wr16_raw(cks, nc);
		}
		return 0;
	}
	return -EINVAL;
}

int
sdnfv_pkt_set_port(void *data, struct sdnfv_pkt_info *info, enum sdnfv_pkt_dir dir, rte_be16_t port)
{
	uint8_t *l4 = (uint8_t *)data + info->l4_off;
	uint8_t *at, *cks;
	rte_be16_t old, c, nc;

	if ((info->flags & (SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4)) !=
		    (SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4) ||
	    (dir != SDNFV_PKT_SRC && dir != SDNFV_PKT_DST))
		return -EINVAL;
	switch (info->l4_proto) {
	case PKT_PROTO_TCP:
		cks = l4 + PKT_TCP_CKSUM;
		break;
	case PKT_PROTO_UDP:
		cks = l4 + PKT_UDP_CKSUM;
		break;
	case PKT_PROTO_SCTP:
		return -ENOTSUP;
	case PKT_PROTO_ICMP:
	case PKT_PROTO_ICMPV6:
		/* The parser gave ports to ICMP only in its own family. */
		if (!pkt_icmp_is_query(info->l4_proto, l4[0]))
			return -EINVAL;
		at = l4 + 4;
		old = pkt_rd16_raw(at);
		pkt_wr16_raw(at, port);
		cks = l4 + PKT_ICMP_CKSUM;
		pkt_wr16_raw(cks, sdnfv_pkt_cksum_adjust16(pkt_rd16_raw(cks), old, port));
		info->sport = port;
		info->dport = port;
		return 0;
	default:
		return -EINVAL;
	}
	at = l4 + (dir == SDNFV_PKT_SRC ? 0 : 2);
	old = pkt_rd16_raw(at);
	pkt_wr16_raw(at, port);
	c = pkt_rd16_raw(cks);
	nc = sdnfv_pkt_cksum_adjust16(c, old, port);
	if (info->l4_proto == PKT_PROTO_UDP)
		nc = udp_fix(c, nc);
	pkt_wr16_raw(cks, nc);
	if (dir == SDNFV_PKT_SRC)
		info->sport = port;
	else
		info->dport = port;
	return 0;
}
