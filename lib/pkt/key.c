/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow keys: the 5-tuple of a parsed packet, every byte defined so keys hash and compare as
 * plain memory. */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include <sdnfv/pkt.h>

#include "pkt_internal.h"

int
sdnfv_pkt_key_build(const void *data, const struct sdnfv_pkt_info *info, struct sdnfv_pkt_key *key)
{
	const uint8_t *ip = (const uint8_t *)data + info->l3_off;

	if (likely((info->flags & SDNFV_PKT_F_L3) && info->l3 == SDNFV_PKT_L3_IPV4)) {
		/* Whole-union stores: the 12 bytes after an IPv4 address are zeroed by the same
		 * writes that place it. */
		key->src = (union sdnfv_pkt_addr){.v4 = pkt_rd32_raw(ip + PKT_IPV4_SRC)};
		key->dst = (union sdnfv_pkt_addr){.v4 = pkt_rd32_raw(ip + PKT_IPV4_DST)};
	} else if ((info->flags & SDNFV_PKT_F_L3) && info->l3 == SDNFV_PKT_L3_IPV6) {
		memcpy(&key->src, ip + PKT_IPV6_SRC, sizeof(key->src));
		memcpy(&key->dst, ip + PKT_IPV6_DST, sizeof(key->dst));
	} else {
		memset(key, 0, sizeof(*key));
		return -EINVAL;
	}
	/* The parser leaves both ports 0 when the packet has none. */
	key->sport = info->sport;
	key->dport = info->dport;
	key->proto = info->l4_proto;
	key->family = info->l3;
	key->pad = 0;
	return 0;
}
