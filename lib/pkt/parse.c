/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The header parser.
 *
 * One inline walk serves both entry points: sdnfv_pkt_parse() (a contiguous frame, where the first
 * "segment" is the whole frame) and sdnfv_pkt_parse_mbuf() (headers must lie in the first
 * segment, length fields are checked against the whole packet). Every header is checked against
 * the smaller of the first segment and its logical end (frame or datagram) with one compare; only
 * when that fails do we work out whether the packet is truncated or merely segmented.
 *
 * The common case, Ethernet -> IPv4 without options -> TCP/UDP, is one straight line; VLAN tags,
 * IPv4 options, IPv6 and the rarer L4 protocols branch off it as unlikely paths.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include <sdnfv/pkt.h>

#include "common/log.h"
#include "pkt_internal.h"

/* Nothing in this layer is control path (every call is per packet, and those never log), but
 * the layer keeps its log type so that `--log-level=lib.sdnfv.*` names it like the others. */
SDNFV_LOG_REGISTER(pkt);

static inline int
stop(struct sdnfv_pkt_info *info, uint16_t flags, enum sdnfv_pkt_err err)
{
	info->flags = flags;
	info->err = err;
	return -EBADMSG;
}

/* A header ending at `need` did not fit below the limit (the first segment or `bound`, whichever
 * is lower): it is truncated when it also passes `bound`, the frame's or the datagram's end;
 * otherwise it only continues in the next mbuf segment. */
static inline int
stop_short(struct sdnfv_pkt_info *info, uint16_t flags, uint32_t need, uint32_t bound,
	   enum sdnfv_pkt_err err)
{
	return stop(info, flags, need > bound ? err : SDNFV_PKT_ERR_SEGMENTED);
}

/* The rarer L4 protocols and the unknown ones, off the TCP/UDP line. */
static __rte_noinline int
parse_l4_other(const uint8_t *p, uint32_t l4, uint32_t end, uint32_t lim, uint8_t proto,
	       uint16_t flags, uint8_t l3, struct sdnfv_pkt_info *info)
{
	uint32_t hlen;

	if (proto == PKT_PROTO_SCTP) {
		hlen = PKT_SCTP_HLEN;
		if (unlikely(l4 + hlen > lim))
			return stop_short(info, flags, l4 + hlen, end, SDNFV_PKT_ERR_SCTP_SHORT);
		memcpy(&info->sport, p + l4, 2 * sizeof(rte_be16_t));
	} else if ((proto == PKT_PROTO_ICMP && l3 == SDNFV_PKT_L3_IPV4) ||
		   (proto == PKT_PROTO_ICMPV6 && l3 == SDNFV_PKT_L3_IPV6)) {
		uint8_t type;

		hlen = PKT_ICMP_HLEN;
		if (unlikely(l4 + hlen > lim))
			return stop_short(info, flags, l4 + hlen, end, SDNFV_PKT_ERR_ICMP_SHORT);
		type = p[l4];
		if (pkt_icmp_is_query(proto, type)) {
			info->sport = pkt_rd16_raw(p + l4 + 4);
			info->dport = info->sport;
		} else {
			info->sport = rte_cpu_to_be_16(type);
			info->dport = rte_cpu_to_be_16(p[l4 + 1]);
		}
	} else {
		/* Unknown, ESP, no-next-header, ICMP in the other family: no header we read. */
		info->payload_off = l4;
		info->flags = flags;
		return 0;
	}
	info->payload_off = l4 + hlen;
	info->flags = flags | SDNFV_PKT_F_L4;
	return 0;
}

/*
 * The L4 header at `l4`, inside a datagram ending at `end`; `lim` is min(end, first segment).
 * A first fragment carries the L4 header but its UDP length counts the whole reassembled datagram,
 * so that one check is skipped for fragments.
 */
static __rte_always_inline int
parse_l4(const uint8_t *p, uint32_t l4, uint32_t end, uint32_t lim, uint8_t proto, uint16_t flags,
	 uint8_t l3, struct sdnfv_pkt_info *info)
{
	info->l4_off = l4;
	info->l4_proto = proto;
	if (likely(proto == PKT_PROTO_TCP)) {
		uint32_t doff;

		if (unlikely(l4 + PKT_TCP_HLEN > lim))
			return stop_short(info, flags, l4 + PKT_TCP_HLEN, end,
					  SDNFV_PKT_ERR_TCP_SHORT);
		doff = (uint32_t)(p[l4 + 12] >> 4) * 4;
		if (unlikely(doff < PKT_TCP_HLEN))
			return stop(info, flags, SDNFV_PKT_ERR_TCP_DOFF);
		if (unlikely(l4 + doff > lim))
			return stop_short(info, flags, l4 + doff, end, SDNFV_PKT_ERR_TCP_SHORT);
		memcpy(&info->sport, p + l4, 2 * sizeof(rte_be16_t));
		info->payload_off = l4 + doff;
	} else if (likely(proto == PKT_PROTO_UDP)) {
		uint32_t ulen;

		if (unlikely(l4 + PKT_UDP_HLEN > lim))
			return stop_short(info, flags, l4 + PKT_UDP_HLEN, end,
					  SDNFV_PKT_ERR_UDP_SHORT);
		ulen = pkt_rd16(p + l4 + 4);
		if (unlikely(ulen < PKT_UDP_HLEN ||
			     (ulen > end - l4 && !(flags & SDNFV_PKT_F_FRAG))))
			return stop(info, flags, SDNFV_PKT_ERR_UDP_LEN);
		memcpy(&info->sport, p + l4, 2 * sizeof(rte_be16_t));
		info->payload_off = l4 + PKT_UDP_HLEN;
	} else {
		return parse_l4_other(p, l4, end, lim, proto, flags, l3, info);
	}
	info->flags = flags | SDNFV_PKT_F_L4;
	return 0;
}

/* Flags that follow from where the datagram ends within the frame and the first segment. */
static inline uint16_t
end_flags(uint32_t end, uint32_t seg, uint32_t pkt)
{
	uint16_t flags = SDNFV_PKT_F_L3;

	if (end < pkt)
		flags |= SDNFV_PKT_F_PADDED;
	if (unlikely(end > seg))
		flags |= SDNFV_PKT_F_MULTISEG;
	return flags;
}

static __rte_always_inline int
parse_ipv4(const uint8_t *p, uint32_t seg, uint32_t pkt, uint32_t off, struct sdnfv_pkt_info *info)
{
	const uint8_t *ip = p + off;
	uint32_t hl = PKT_IPV4_HLEN, tot, end;
	uint16_t flags = 0, frag;

	info->l3 = SDNFV_PKT_L3_IPV4;
	if (unlikely(off + PKT_IPV4_HLEN > seg))
		return stop_short(info, 0, off + PKT_IPV4_HLEN, pkt, SDNFV_PKT_ERR_IPV4_SHORT);
	if (unlikely(ip[0] != 0x45)) {
		if ((ip[0] >> 4) != 4)
			return stop(info, 0, SDNFV_PKT_ERR_IPV4_VERSION);
		hl = (uint32_t)(ip[0] & 0xf) * 4;
		if (hl < PKT_IPV4_HLEN)
			return stop(info, 0, SDNFV_PKT_ERR_IPV4_IHL);
		if (off + hl > seg)
			return stop_short(info, 0, off + hl, pkt, SDNFV_PKT_ERR_IPV4_SHORT);
		flags = SDNFV_PKT_F_IPV4_OPT;
	}
	tot = pkt_rd16(ip + PKT_IPV4_TOTLEN);
	end = off + tot;
	if (unlikely(tot < hl || end > pkt))
		return stop(info, flags, SDNFV_PKT_ERR_IPV4_TOTLEN);
	info->l3_end = end;
	flags |= end_flags(end, seg, pkt);

	frag = pkt_rd16(ip + PKT_IPV4_FRAG);
	if (unlikely(frag & (PKT_IPV4_MF | PKT_IPV4_OFFSET_MASK))) {
		flags |= SDNFV_PKT_F_FRAG;
		if (frag & PKT_IPV4_OFFSET_MASK) {
			/* No L4 header in here: only the datagram's first fragment has one. */
			info->l4_off = off + hl;
			info->payload_off = off + hl;
			info->l4_proto = ip[PKT_IPV4_PROTO];
			info->flags = flags | SDNFV_PKT_F_FRAG_LATER;
			return 0;
		}
	}
	return parse_l4(p, off + hl, end, RTE_MIN(end, seg), ip[PKT_IPV4_PROTO], flags,
			SDNFV_PKT_L3_IPV4, info);
}

static int
parse_ipv6(const uint8_t *p, uint32_t seg, uint32_t pkt, uint32_t off, struct sdnfv_pkt_info *info)
{
	const uint8_t *ip = p + off;
	uint32_t plen, end, lim, l4, n;
	uint16_t flags;
	uint8_t nh;

	info->l3 = SDNFV_PKT_L3_IPV6;
	if (unlikely(off + PKT_IPV6_HLEN > seg))
		return stop_short(info, 0, off + PKT_IPV6_HLEN, pkt, SDNFV_PKT_ERR_IPV6_SHORT);
	if (unlikely((ip[0] >> 4) != 6))
		return stop(info, 0, SDNFV_PKT_ERR_IPV6_VERSION);
	plen = pkt_rd16(ip + PKT_IPV6_PLEN);
	end = off + PKT_IPV6_HLEN + plen;
	/* A payload length of 0 announces a jumbogram (RFC 2675), which needs more than 64 KiB. */
	if (unlikely(plen == 0 || end > pkt))
		return stop(info, 0, SDNFV_PKT_ERR_IPV6_PLEN);
	info->l3_end = end;
	flags = end_flags(end, seg, pkt);
	lim = RTE_MIN(end, seg);
	nh = ip[PKT_IPV6_NEXT];
	l4 = off + PKT_IPV6_HLEN;

	/* The extension chain, bounded in count (each header is at least 8 bytes, so the datagram
	 * bounds it too, but a bound in count keeps the worst case of a forged packet short). */
	for (n = 0;; n++) {
		uint32_t hlen;

		switch (nh) {
		case PKT_PROTO_HOPOPTS:
		case PKT_PROTO_ROUTING:
		case PKT_PROTO_FRAGMENT:
		case PKT_PROTO_AH:
		case PKT_PROTO_DSTOPTS:
		case PKT_PROTO_MH:
		case PKT_PROTO_HIP:
		case PKT_PROTO_SHIM6:
			break;
		default:
			/* ESP, no-next-header and every upper-layer protocol end the chain. */
			return parse_l4(p, l4, end, lim, nh, flags, SDNFV_PKT_L3_IPV6, info);
		}
		flags |= SDNFV_PKT_F_IPV6_EXT;
		info->l4_off = l4;
		info->l4_proto = nh;
		if (n == SDNFV_PKT_IPV6_EXT_MAX)
			return stop(info, flags, SDNFV_PKT_ERR_IPV6_EXT_DEPTH);
		if (nh == PKT_PROTO_FRAGMENT) {
			uint16_t fo;

			hlen = 8;
			if (l4 + hlen > lim)
				return stop_short(info, flags, l4 + hlen, end,
						  SDNFV_PKT_ERR_IPV6_EXT_SHORT);
			fo = pkt_rd16(p + l4 + 2);
			if (fo & (PKT_IPV6_FRAG_OFFSET_MASK | PKT_IPV6_FRAG_MORE))
				flags |= SDNFV_PKT_F_FRAG;
			if (fo & PKT_IPV6_FRAG_OFFSET_MASK) {
				info->l4_off = l4 + hlen;
				info->payload_off = l4 + hlen;
				info->l4_proto = p[l4];
				info->flags = flags | SDNFV_PKT_F_FRAG_LATER;
				return 0;
			}
		} else {
			if (l4 + 2 > lim)
				return stop_short(info, flags, l4 + 2, end,
						  SDNFV_PKT_ERR_IPV6_EXT_SHORT);
			/* AH counts 4-byte words less 2 (RFC 4302), others 8-byte words less 1. */
			if (nh == PKT_PROTO_AH)
				hlen = ((uint32_t)p[l4 + 1] + 2) * 4;
			else
				hlen = ((uint32_t)p[l4 + 1] + 1) * 8;
			if (l4 + hlen > lim)
				return stop_short(info, flags, l4 + hlen, end,
						  SDNFV_PKT_ERR_IPV6_EXT_SHORT);
		}
		nh = p[l4];
		l4 += hlen;
	}
}

/* Up to SDNFV_PKT_VLAN_MAX tags, then the L3 dispatch: everything but untagged IPv4. */
static __rte_noinline int
parse_l2_other(const uint8_t *p, uint32_t seg, uint32_t pkt, uint16_t et,
	       struct sdnfv_pkt_info *info)
{
	uint32_t off = PKT_ETH_HLEN;
	unsigned int n = 0;

	while (et == PKT_ET_VLAN || et == PKT_ET_QINQ || et == PKT_ET_QINQ_OLD) {
		if (n == SDNFV_PKT_VLAN_MAX) {
			info->ether_type = et;
			return stop(info, 0, SDNFV_PKT_ERR_VLAN_DEPTH);
		}
		if (off + PKT_VLAN_HLEN > seg) {
			info->ether_type = et;
			return stop_short(info, 0, off + PKT_VLAN_HLEN, pkt,
					  SDNFV_PKT_ERR_VLAN_SHORT);
		}
		info->vlan_tci[n] = pkt_rd16(p + off);
		info->n_vlan = ++n;
		et = pkt_rd16(p + off + 2);
		off += PKT_VLAN_HLEN;
	}
	info->ether_type = et;
	info->l3_off = off;
	if (et == PKT_ET_IPV4)
		return parse_ipv4(p, seg, pkt, off, info);
	if (et == PKT_ET_IPV6)
		return parse_ipv6(p, seg, pkt, off, info);
	info->l3 = SDNFV_PKT_L3_OTHER;
	return 0;
}

static __rte_always_inline int
parse_frame(const uint8_t *p, uint32_t seg, uint32_t pkt, struct sdnfv_pkt_info *info)
{
	uint16_t et;

	/* 28 bytes: two stores, cheaper than tracking which fields each exit must clear. */
	*info = (struct sdnfv_pkt_info){ 0 };
	if (unlikely(seg < PKT_ETH_HLEN))
		return stop_short(info, 0, PKT_ETH_HLEN, pkt, SDNFV_PKT_ERR_ETH_SHORT);
	et = pkt_rd16(p + 12);
	if (unlikely(et != PKT_ET_IPV4))
		return parse_l2_other(p, seg, pkt, et, info);
	info->ether_type = et;
	info->l3_off = PKT_ETH_HLEN;
	return parse_ipv4(p, seg, pkt, PKT_ETH_HLEN, info);
}

int
sdnfv_pkt_parse(const void *data, uint32_t len, struct sdnfv_pkt_info *info)
{
	return parse_frame(data, len, len, info);
}

int
sdnfv_pkt_parse_mbuf(const struct rte_mbuf *m, struct sdnfv_pkt_info *info)
{
	uint32_t seg = rte_pktmbuf_data_len(m);
	uint32_t pkt = rte_pktmbuf_pkt_len(m);

	/* A corrupt mbuf whose first segment claims more than the packet: trust the smaller. */
	if (unlikely(seg > pkt))
		seg = pkt;
	return parse_frame(rte_pktmbuf_mtod(m, const uint8_t *), seg, pkt, info);
}

static const char *const pkt_err_str[SDNFV_PKT_ERR__COUNT] = {
	[SDNFV_PKT_OK] = "no error",
	[SDNFV_PKT_ERR_ETH_SHORT] = "frame shorter than an Ethernet header",
	[SDNFV_PKT_ERR_VLAN_SHORT] = "frame ends inside a VLAN tag",
	[SDNFV_PKT_ERR_VLAN_DEPTH] = "too many VLAN tags",
	[SDNFV_PKT_ERR_IPV4_SHORT] = "frame ends inside the IPv4 header",
	[SDNFV_PKT_ERR_IPV4_VERSION] = "IPv4 EtherType but IP version is not 4",
	[SDNFV_PKT_ERR_IPV4_IHL] = "IPv4 header length below 20 bytes",
	[SDNFV_PKT_ERR_IPV4_TOTLEN] = "IPv4 total length below the header or beyond the frame",
	[SDNFV_PKT_ERR_IPV6_SHORT] = "frame ends inside the IPv6 header",
	[SDNFV_PKT_ERR_IPV6_VERSION] = "IPv6 EtherType but IP version is not 6",
	[SDNFV_PKT_ERR_IPV6_PLEN] = "IPv6 payload length beyond the frame or zero",
	[SDNFV_PKT_ERR_IPV6_EXT_SHORT] = "datagram ends inside an IPv6 extension header",
	[SDNFV_PKT_ERR_IPV6_EXT_DEPTH] = "too many IPv6 extension headers",
	[SDNFV_PKT_ERR_TCP_SHORT] = "datagram ends inside the TCP header",
	[SDNFV_PKT_ERR_TCP_DOFF] = "TCP data offset below 5",
	[SDNFV_PKT_ERR_UDP_SHORT] = "datagram shorter than a UDP header",
	[SDNFV_PKT_ERR_UDP_LEN] = "UDP length below 8 or beyond the datagram",
	[SDNFV_PKT_ERR_SCTP_SHORT] = "datagram shorter than an SCTP header",
	[SDNFV_PKT_ERR_ICMP_SHORT] = "datagram shorter than an ICMP header",
	[SDNFV_PKT_ERR_SEGMENTED] = "headers continue into another mbuf segment",
};

const char *
sdnfv_pkt_strerror(int err)
{
	if (err < 0 || err >= SDNFV_PKT_ERR__COUNT)
		return "unknown error";
	return pkt_err_str[err];
}
