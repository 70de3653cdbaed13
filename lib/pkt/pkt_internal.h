/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to the pkt layer: wire constants and unaligned loads. Never installed. */
#ifndef SDNFV_LIB_PKT_INTERNAL_H
#define SDNFV_LIB_PKT_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include <sdnfv/pkt.h>

/* Our own names for the wire constants: glibc lacks some (HIP, shim6), and these read better
 * next to the RFC numbers than the mixed DPDK/glibc spellings. */
#define PKT_ETH_HLEN  14
#define PKT_VLAN_HLEN 4
#define PKT_IPV4_HLEN 20
#define PKT_IPV6_HLEN 40
#define PKT_TCP_HLEN  20
#define PKT_UDP_HLEN  8
#define PKT_SCTP_HLEN 12
#define PKT_ICMP_HLEN 8

#define PKT_ET_IPV4     0x0800
#define PKT_ET_IPV6     0x86dd
#define PKT_ET_VLAN     0x8100
#define PKT_ET_QINQ     0x88a8
#define PKT_ET_QINQ_OLD 0x9100 /* pre-802.1ad stacked tags, still seen on the wire */

#define PKT_PROTO_HOPOPTS  0
#define PKT_PROTO_ICMP     1
#define PKT_PROTO_TCP      6
#define PKT_PROTO_UDP      17
#define PKT_PROTO_ROUTING  43
#define PKT_PROTO_FRAGMENT 44
#define PKT_PROTO_ESP      50
#define PKT_PROTO_AH       51
#define PKT_PROTO_ICMPV6   58
#define PKT_PROTO_NONE     59
#define PKT_PROTO_DSTOPTS  60
#define PKT_PROTO_SCTP     132
#define PKT_PROTO_MH       135
#define PKT_PROTO_HIP      139
#define PKT_PROTO_SHIM6    140

/* IPv4 header fields, as offsets from the start of the header. */
#define PKT_IPV4_TOTLEN      2
#define PKT_IPV4_FRAG        6
#define PKT_IPV4_PROTO       9
#define PKT_IPV4_CKSUM       10
#define PKT_IPV4_SRC         12
#define PKT_IPV4_DST         16
#define PKT_IPV4_MF          0x2000
#define PKT_IPV4_OFFSET_MASK 0x1fff

/* IPv6 header fields. */
#define PKT_IPV6_PLEN             4
#define PKT_IPV6_NEXT             6
#define PKT_IPV6_SRC              8
#define PKT_IPV6_DST              24
#define PKT_IPV6_FRAG_OFFSET_MASK 0xfff8
#define PKT_IPV6_FRAG_MORE        0x0001

/* Where each L4 checksum sits in its header. */
#define PKT_TCP_CKSUM  16
#define PKT_UDP_CKSUM  6
#define PKT_ICMP_CKSUM 2

/* Packet bytes are never aligned for us: every multi-byte field goes through memcpy, which
 * compilers turn into one plain load on x86 and ARMv8. */
static inline uint16_t
pkt_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline rte_be16_t
pkt_rd16_raw(const uint8_t *p)
{
	rte_be16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline rte_be32_t
pkt_rd32_raw(const uint8_t *p)
{
	rte_be32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void
pkt_wr16_raw(uint8_t *p, rte_be16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* True for the ICMP query messages whose identifier serves as the port (see struct
 * sdnfv_pkt_key): echo, timestamp, information and address mask for ICMPv4, echo for ICMPv6. */
static inline int
pkt_icmp_is_query(uint8_t proto, uint8_t type)
{
	if (proto == PKT_PROTO_ICMP)
		return type == 0 || type == 8 || (type >= 13 && type <= 18);
	return type == 128 || type == 129;
}

/* Offset of the destination address that the IPv6 pseudo-header uses (cksum.c). */
uint32_t pkt_ipv6_pseudo_dst(const uint8_t *p, const struct sdnfv_pkt_info *info);

#endif /* SDNFV_LIB_PKT_INTERNAL_H */
