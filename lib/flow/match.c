/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The definition of what a rule matches: flow keys from parsed packets, and the match, cover,
 * overlap and equality relations between matches and keys. Pure functions: every other part of
 * the flow table (and the tests' linear-scan oracle) agrees with these.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include <sdnfv/flow.h>

#include "common/log.h"
#include "flow_internal.h"

SDNFV_LOG_REGISTER(flow);

#define ETH_IPV4     0x0800
#define ETH_IPV6     0x86dd
#define PROTO_ICMP   1
#define PROTO_TCP    6
#define PROTO_UDP    17
#define PROTO_ICMPV6 58
#define PROTO_SCTP   132

#define M_ALL                                                                               \
	(SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_VLAN |                 \
	 SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DST | SDNFV_FLOW_M_SPORT | \
	 SDNFV_FLOW_M_DPORT | SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE)

void
sdnfv_flow_key_from_pkt(const void *data, const struct sdnfv_pkt_info *info, uint16_t in_port,
			struct sdnfv_flow_key *key)
{
	const uint8_t *p = (const uint8_t *)data;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	key->eth_type = info->ether_type;
	if (info->n_vlan > 0)
		key->vlan = (uint16_t)((info->vlan_tci[0] & 0x0fff) | SDNFV_FLOW_VLAN_PRESENT);
	if (!(info->flags & SDNFV_PKT_F_L3))
		return;
	if (info->l3 == SDNFV_PKT_L3_IPV4) {
		memcpy(&key->src.v4, p + info->l3_off + 12, 4);
		memcpy(&key->dst.v4, p + info->l3_off + 16, 4);
	} else {
		memcpy(key->src.v6, p + info->l3_off + 8, 16);
		memcpy(key->dst.v6, p + info->l3_off + 24, 16);
	}
	key->ip_proto = info->l4_proto;
	if (!(info->flags & SDNFV_PKT_F_L4))
		return;
	switch (info->l4_proto) {
	case PROTO_TCP:
	case PROTO_UDP:
	case PROTO_SCTP:
		key->sport = info->sport;
		key->dport = info->dport;
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		/* F_L4 for ICMP means its 8-byte header was within the datagram. */
		key->icmp_type = p[info->l4_off];
		key->icmp_code = p[info->l4_off + 1];
		break;
	default:
		break;
	}
}

/* Do the first `plen` bits of two addresses agree? */
static inline bool
prefix_eq(const union sdnfv_pkt_addr *a, const union sdnfv_pkt_addr *b, unsigned int plen)
{
	unsigned int full = plen / 8, rest = plen % 8;

	if (memcmp(a->v6, b->v6, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a->v6[full] ^ b->v6[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

bool
sdnfv_flow_match_key(const struct sdnfv_flow_match *m, const struct sdnfv_flow_key *key)
{
	uint32_t f = m->fields;

	if ((f & SDNFV_FLOW_M_IN_PORT) && key->in_port != m->in_port)
		return false;
	if ((f & SDNFV_FLOW_M_ETH_TYPE) && key->eth_type != m->eth_type)
		return false;
	if ((f & SDNFV_FLOW_M_VLAN) && (key->vlan & m->vlan_mask) != m->vlan)
		return false;
	if ((f & SDNFV_FLOW_M_IP_PROTO) && key->ip_proto != m->ip_proto)
		return false;
	if ((f & SDNFV_FLOW_M_SRC) && !prefix_eq(&key->src, &m->src, m->src_plen))
		return false;
	if ((f & SDNFV_FLOW_M_DST) && !prefix_eq(&key->dst, &m->dst, m->dst_plen))
		return false;
	if ((f & SDNFV_FLOW_M_SPORT) && (rte_be_to_cpu_16(key->sport) & m->sport_mask) != m->sport)
		return false;
	if ((f & SDNFV_FLOW_M_DPORT) && (rte_be_to_cpu_16(key->dport) & m->dport_mask) != m->dport)
		return false;
	if ((f & SDNFV_FLOW_M_ICMP_TYPE) && key->icmp_type != m->icmp_type)
		return false;
	if ((f & SDNFV_FLOW_M_ICMP_CODE) && key->icmp_code != m->icmp_code)
		return false;
	return true;
}

/* Is a masked constraint (av under am) at least as specific as (bv under bm)? */
static inline bool
mask_covered(uint32_t av, uint32_t am, uint32_t bv, uint32_t bm)
{
	return (am & bm) == bm && (av & bm) == bv;
}

bool
sdnfv_flow_match_covered(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b)
{
	uint32_t fa = a->fields, fb = b->fields;

	/* Every field b constrains, a must constrain at least as tightly. */
	if ((fa & fb) != fb)
		return false;
	if ((fb & SDNFV_FLOW_M_IN_PORT) && a->in_port != b->in_port)
		return false;
	if ((fb & SDNFV_FLOW_M_ETH_TYPE) && a->eth_type != b->eth_type)
		return false;
	if ((fb & SDNFV_FLOW_M_VLAN) && !mask_covered(a->vlan, a->vlan_mask, b->vlan, b->vlan_mask))
		return false;
	if ((fb & SDNFV_FLOW_M_IP_PROTO) && a->ip_proto != b->ip_proto)
		return false;
	if ((fb & SDNFV_FLOW_M_SRC) &&
	    (a->src_plen < b->src_plen || !prefix_eq(&a->src, &b->src, b->src_plen)))
		return false;
	if ((fb & SDNFV_FLOW_M_DST) &&
	    (a->dst_plen < b->dst_plen || !prefix_eq(&a->dst, &b->dst, b->dst_plen)))
		return false;
	if ((fb & SDNFV_FLOW_M_SPORT) &&
	    !mask_covered(a->sport, a->sport_mask, b->sport, b->sport_mask))
		return false;
	if ((fb & SDNFV_FLOW_M_DPORT) &&
	    !mask_covered(a->dport, a->dport_mask, b->dport, b->dport_mask))
		return false;
	if ((fb & SDNFV_FLOW_M_ICMP_TYPE) && a->icmp_type != b->icmp_type)
		return false;
	if ((fb & SDNFV_FLOW_M_ICMP_CODE) && a->icmp_code != b->icmp_code)
		return false;
	return true;
}

bool
flow_match_equal(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b)
{
	return a->fields == b->fields && sdnfv_flow_match_covered(a, b) &&
	       sdnfv_flow_match_covered(b, a);
}

bool
flow_match_overlap(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b)
{
	uint32_t both = a->fields & b->fields;
	unsigned int plen;

	/* Some key matches both unless a field both constrain cannot take a common value. */
	if ((both & SDNFV_FLOW_M_IN_PORT) && a->in_port != b->in_port)
		return false;
	if ((both & SDNFV_FLOW_M_ETH_TYPE) && a->eth_type != b->eth_type)
		return false;
	if ((both & SDNFV_FLOW_M_VLAN) && ((a->vlan ^ b->vlan) & a->vlan_mask & b->vlan_mask) != 0)
		return false;
	if ((both & SDNFV_FLOW_M_IP_PROTO) && a->ip_proto != b->ip_proto)
		return false;
	plen = RTE_MIN(a->src_plen, b->src_plen);
	if ((both & SDNFV_FLOW_M_SRC) && !prefix_eq(&a->src, &b->src, plen))
		return false;
	plen = RTE_MIN(a->dst_plen, b->dst_plen);
	if ((both & SDNFV_FLOW_M_DST) && !prefix_eq(&a->dst, &b->dst, plen))
		return false;
	if ((both & SDNFV_FLOW_M_SPORT) &&
	    ((a->sport ^ b->sport) & a->sport_mask & b->sport_mask) != 0)
		return false;
	if ((both & SDNFV_FLOW_M_DPORT) &&
	    ((a->dport ^ b->dport) & a->dport_mask & b->dport_mask) != 0)
		return false;
	if ((both & SDNFV_FLOW_M_ICMP_TYPE) && a->icmp_type != b->icmp_type)
		return false;
	if ((both & SDNFV_FLOW_M_ICMP_CODE) && a->icmp_code != b->icmp_code)
		return false;
	return true;
}

/* Are the bits of an address past `plen` (and, for IPv4, past the first 4 bytes) all 0? */
static bool
prefix_clean(const union sdnfv_pkt_addr *a, unsigned int plen, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bit0 = i * 8;
		uint8_t keep;

		if (i >= bytes || bit0 >= plen)
			keep = 0;
		else if (bit0 + 8 <= plen)
			keep = 0xff;
		else
			keep = (uint8_t)(0xff00 >> (plen - bit0));
		if (a->v6[i] & (uint8_t)~keep)
			return false;
	}
	return true;
}

const char *
flow_match_problem(const struct sdnfv_flow_match *m)
{
	uint32_t f = m->fields;
	bool ip =
		(f & SDNFV_FLOW_M_ETH_TYPE) && (m->eth_type == ETH_IPV4 || m->eth_type == ETH_IPV6);
	unsigned int alen = m->eth_type == ETH_IPV6 ? 16 : 4;
	bool l4 =
		(f & SDNFV_FLOW_M_IP_PROTO) &&
		(m->ip_proto == PROTO_TCP || m->ip_proto == PROTO_UDP || m->ip_proto == PROTO_SCTP);
	bool icmp = (f & SDNFV_FLOW_M_IP_PROTO) &&
		    ((m->eth_type == ETH_IPV4 && m->ip_proto == PROTO_ICMP) ||
		     (m->eth_type == ETH_IPV6 && m->ip_proto == PROTO_ICMPV6));

	if (f & ~(uint32_t)M_ALL)
		return "unknown field bits";
	if ((f & (SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DST)) && !ip)
		return "an IP field needs eth_type 0x0800 or 0x86dd";
	if ((f & (SDNFV_FLOW_M_SPORT | SDNFV_FLOW_M_DPORT)) && !l4)
		return "a port needs ip_proto tcp, udp or sctp";
	if ((f & (SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE)) && !icmp)
		return "icmp type/code need ip_proto icmp (IPv4) or icmpv6 (IPv6)";
	if ((f & SDNFV_FLOW_M_VLAN) && ((m->vlan & ~m->vlan_mask) || (m->vlan_mask & ~0x1fffu)))
		return "vlan bits outside vlan_mask, or mask beyond 13 bits";
	if ((f & SDNFV_FLOW_M_SRC) &&
	    (m->src_plen > alen * 8 || !prefix_clean(&m->src, m->src_plen, alen)))
		return "source prefix too long, or address bits past the prefix";
	if ((f & SDNFV_FLOW_M_DST) &&
	    (m->dst_plen > alen * 8 || !prefix_clean(&m->dst, m->dst_plen, alen)))
		return "destination prefix too long, or address bits past the prefix";
	if ((f & SDNFV_FLOW_M_SPORT) && (m->sport & ~m->sport_mask))
		return "source port bits outside its mask";
	if ((f & SDNFV_FLOW_M_DPORT) && (m->dport & ~m->dport_mask))
		return "destination port bits outside its mask";
	return NULL;
}

int
sdnfv_flow_match_check(const struct sdnfv_flow_match *m)
{
	const char *why = flow_match_problem(m);

	if (why == NULL)
		return 0;
	SDNFV_LOG(flow, ERR, "bad match: %s", why);
	return -EINVAL;
}

/* ---- exact matches ------------------------------------------------------------------------ */

/* The bits of a key of this EtherType and IP protocol that sdnfv_flow_key_from_pkt() can set:
 * every other bit of such a key is 0. Also what an exact match pins: every field the
 * prerequisites allow, at full length (IPv4 addresses: their first 4 bytes) — except that a
 * packet key carries ICMP type and code for ICMP and ICMPv6 in either IP version, while a match
 * can name them only for ICMP over IPv4 and ICMPv6 over IPv6: a match of the crossed pairs is
 * never exact. */
static void
exact_mask(uint16_t eth_type, uint8_t ip_proto, struct sdnfv_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 0xffff;
	k->eth_type = 0xffff;
	k->vlan = 0x1fff;
	if (eth_type != ETH_IPV4 && eth_type != ETH_IPV6)
		return;
	k->ip_proto = 0xff;
	memset(k->src.v6, 0xff, eth_type == ETH_IPV6 ? 16 : 4);
	memset(k->dst.v6, 0xff, eth_type == ETH_IPV6 ? 16 : 4);
	if (ip_proto == PROTO_TCP || ip_proto == PROTO_UDP || ip_proto == PROTO_SCTP) {
		k->sport = 0xffff;
		k->dport = 0xffff;
	} else if (ip_proto == PROTO_ICMP || ip_proto == PROTO_ICMPV6) {
		k->icmp_type = 0xff;
		k->icmp_code = 0xff;
	}
}

bool
flow_match_exact(const struct sdnfv_flow_match *m, struct sdnfv_flow_key *key)
{
	struct sdnfv_flow_key msk;
	struct flow_tern t;

	if (!(m->fields & SDNFV_FLOW_M_ETH_TYPE))
		return false;
	flow_tern_from_match(m, &t);
	exact_mask(m->eth_type, (m->fields & SDNFV_FLOW_M_IP_PROTO) ? m->ip_proto : 0, &msk);
	if (memcmp(&msk, t.msk, sizeof(msk)) != 0)
		return false;
	if (key != NULL)
		memcpy(key, t.val, sizeof(*key));
	return true;
}

void
flow_key_exact(const struct sdnfv_flow_key *key, struct sdnfv_flow_key *out)
{
	struct sdnfv_flow_key msk;
	uint64_t w[6], mw[6];
	unsigned int i;

	exact_mask(key->eth_type, key->ip_proto, &msk);
	memcpy(w, key, sizeof(w));
	memcpy(mw, &msk, sizeof(mw));
	for (i = 0; i < 6; i++)
		w[i] &= mw[i];
	memcpy(out, w, sizeof(w));
}

bool
flow_key_canonical(const struct sdnfv_flow_key *key)
{
	struct sdnfv_flow_key c;

	flow_key_exact(key, &c);
	return memcmp(&c, key, sizeof(c)) == 0;
}
