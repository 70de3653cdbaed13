/* SPDX-License-Identifier: BSD-3-Clause */
/* What every parse result must satisfy, whatever the input: shared by the tests and the fuzzer,
 * so it depends on nothing but the library. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "pkt_invariants.h"

const char *
pkt_info_incoherent(const struct sdnfv_pkt_info *in, uint32_t len, int rc)
{
	uint16_t f = in->flags;

	if (rc != 0 && rc != -EBADMSG)
		return "return value neither 0 nor -EBADMSG";
	if ((rc == 0) != (in->err == SDNFV_PKT_OK))
		return "return value and err disagree";
	if (in->err >= SDNFV_PKT_ERR__COUNT)
		return "err out of range";
	if (in->n_vlan > SDNFV_PKT_VLAN_MAX)
		return "too many VLAN tags";
	if (f & ~0xff)
		return "unknown flag";
	if (in->l3 != SDNFV_PKT_L3_NONE && in->l3 != SDNFV_PKT_L3_IPV4 &&
	    in->l3 != SDNFV_PKT_L3_IPV6 && in->l3 != SDNFV_PKT_L3_OTHER)
		return "l3 out of range";
	if (in->l3 == SDNFV_PKT_L3_NONE &&
	    (f || (in->err != SDNFV_PKT_ERR_ETH_SHORT && in->err != SDNFV_PKT_ERR_VLAN_SHORT &&
		   in->err != SDNFV_PKT_ERR_VLAN_DEPTH && in->err != SDNFV_PKT_ERR_SEGMENTED)))
		return "no L3 but flags or an error past L2";
	if (in->l3 == SDNFV_PKT_L3_OTHER && (rc != 0 || f))
		return "another EtherType must parse cleanly without flags";
	if (in->l3 != SDNFV_PKT_L3_NONE && (in->l3_off < 14 || in->l3_off > len))
		return "l3_off outside the frame";
	if (!(f & SDNFV_PKT_F_L3)) {
		if (f & ~SDNFV_PKT_F_IPV4_OPT)
			return "flags beyond IPV4_OPT without L3";
		if (in->l3_end || in->l4_off || in->payload_off || in->l4_proto)
			return "L3/L4 offsets set without L3";
	} else {
		uint32_t min_hl = in->l3 == SDNFV_PKT_L3_IPV4 ? 20 : 40;

		if (in->l3 != SDNFV_PKT_L3_IPV4 && in->l3 != SDNFV_PKT_L3_IPV6)
			return "L3 flag on a non-IP packet";
		if (in->l3_end > len || in->l3_off + min_hl > in->l3_end)
			return "l3_end outside the frame or before the IP header ends";
		if (!!(f & SDNFV_PKT_F_PADDED) != (in->l3_end < len))
			return "PADDED flag disagrees with l3_end";
		if ((in->l4_off || rc == 0) &&
		    (in->l4_off < in->l3_off + min_hl || in->l4_off > in->l3_end))
			return "l4_off outside the datagram";
		if ((f & SDNFV_PKT_F_IPV4_OPT) && in->l3 != SDNFV_PKT_L3_IPV4)
			return "IPv4 options on IPv6";
		if ((f & SDNFV_PKT_F_IPV6_EXT) && in->l3 != SDNFV_PKT_L3_IPV6)
			return "IPv6 extensions on IPv4";
	}
	if (f & SDNFV_PKT_F_L4) {
		if (!(f & SDNFV_PKT_F_L3) || rc != 0)
			return "L4 without L3 or with an error";
		if (in->payload_off <= in->l4_off || in->payload_off > in->l3_end)
			return "payload_off outside the datagram";
	} else {
		if (in->sport || in->dport)
			return "ports without L4";
		if (rc == 0 && (f & SDNFV_PKT_F_L3) && in->payload_off != in->l4_off)
			return "payload_off differs from l4_off without an L4 header";
	}
	if ((f & SDNFV_PKT_F_FRAG_LATER) && (!(f & SDNFV_PKT_F_FRAG) || (f & SDNFV_PKT_F_L4)))
		return "later fragment without FRAG or with L4";
	if (f & SDNFV_PKT_F_MULTISEG)
		return "MULTISEG from a contiguous parse";
	return NULL;
}

const char *
pkt_chain_mismatch(const uint8_t *data, uint32_t len, uint32_t split,
		   const struct sdnfv_pkt_info *whole, struct sdnfv_pkt_info *out,
		   uint8_t **first_seg)
{
	struct rte_mbuf m[2];
	uint8_t *a = malloc(split ? split : 1), *b = malloc(len - split ? len - split : 1);
	const char *why = NULL;
	int rc;

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return "out of memory";
	}
	memcpy(a, data, split);
	memcpy(b, data + split, len - split);
	memset(m, 0, sizeof(m));
	m[0].buf_addr = a;
	m[0].data_len = (uint16_t)split;
	m[0].buf_len = (uint16_t)split;
	m[0].pkt_len = len;
	m[0].nb_segs = 2;
	m[0].next = &m[1];
	m[1].buf_addr = b;
	m[1].data_len = (uint16_t)(len - split);
	m[1].buf_len = (uint16_t)(len - split);
	m[1].pkt_len = len - split;
	m[1].nb_segs = 1;
	rc = sdnfv_pkt_parse_mbuf(&m[0], out);
	if (rc != 0 && out->err == SDNFV_PKT_ERR_SEGMENTED) {
		/* Only when the whole parse needed bytes past the split. */
		if ((whole->flags & SDNFV_PKT_F_L4) && whole->payload_off <= split)
			why = "refused as segmented though the headers end before the split";
	} else {
		struct sdnfv_pkt_info w = *whole;

		if ((w.flags & SDNFV_PKT_F_L3) && w.l3_end > split)
			w.flags |= SDNFV_PKT_F_MULTISEG;
		if (memcmp(&w, out, sizeof(w)) != 0)
			why = "chain parse differs from the contiguous parse";
	}
	free(b);
	if (first_seg != NULL)
		*first_seg = a;
	else
		free(a);
	return why;
}
