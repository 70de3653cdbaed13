/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow keys: the 5-tuple of a parsed packet, every byte defined so keys hash and compare as
 * plain memory.
 *
 * The key is written in whole 64-bit words. Narrower stores (an IPv4 address over a zeroed
 * union, byte-sized protocol and family) would be read back right away by a hash or a compare
 * in 8-byte loads, and a load that spans several pending stores cannot be forwarded from the
 * store buffer: bench_pkt measured ~10 cycles per key lost to that stall.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include <sdnfv/pkt.h>

#include "pkt_internal.h"

/* The 64-bit word whose bytes in memory are the IPv4 address followed by zeros. */
static inline uint64_t
v4_word(const uint8_t *p)
{
	uint64_t a = pkt_rd32_raw(p);

#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return a;
#else
	return a << 32;
#endif
}

int
sdnfv_pkt_key_build(const void *data, const struct sdnfv_pkt_info *info, struct sdnfv_pkt_key *key)
{
	const uint8_t *ip = (const uint8_t *)data + info->l3_off;
	uint32_t ports;
	uint64_t tail;

	if (likely((info->flags & SDNFV_PKT_F_L3) && info->l3 == SDNFV_PKT_L3_IPV4)) {
		key->src.u64[0] = v4_word(ip + PKT_IPV4_SRC);
		key->src.u64[1] = 0;
		key->dst.u64[0] = v4_word(ip + PKT_IPV4_DST);
		key->dst.u64[1] = 0;
	} else if ((info->flags & SDNFV_PKT_F_L3) && info->l3 == SDNFV_PKT_L3_IPV6) {
		memcpy(&key->src, ip + PKT_IPV6_SRC, sizeof(key->src));
		memcpy(&key->dst, ip + PKT_IPV6_DST, sizeof(key->dst));
	} else {
		memset(key, 0, sizeof(*key));
		return -EINVAL;
	}
	/* sport, dport, proto, family, pad as one word; the parser leaves ports 0 when the packet
	 * has none. */
	memcpy(&ports, &info->sport, sizeof(ports));
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	tail = ports | (uint64_t)info->l4_proto << 32 | (uint64_t)info->l3 << 40;
#else
	tail = (uint64_t)ports << 32 | (uint64_t)info->l4_proto << 24 | (uint64_t)info->l3 << 16;
#endif
	memcpy(&key->sport, &tail, sizeof(tail));
	return 0;
}
