/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the pkt layer. Every input is a frame: parse it contiguously and as a
 * two-segment mbuf chain split at an input-chosen point, build its key, verify and compute its
 * checksums, and rewrite a port and an address on a copy. Each segment lives in a heap block of
 * exactly its size, so AddressSanitizer sees any read past what the parser was given. A broken
 * invariant traps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <sdnfv/pkt.h>

#include "pkt_invariants.h"

#define FAIL(...)                             \
	do {                                  \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr);          \
		__builtin_trap();             \
	} while (0)

static void
chain_parse(const uint8_t *data, uint32_t len, uint32_t split, const struct sdnfv_pkt_info *whole)
{
	struct sdnfv_pkt_info in;
	uint8_t *a;
	rte_be16_t c;
	const char *why = pkt_chain_mismatch(data, len, split, whole, &in, &a);

	if (why != NULL)
		FAIL("chain split at %u: %s", split, why);
	/* Checksums given only the first segment must stay inside it. */
	if (in.flags & SDNFV_PKT_F_L3) {
		sdnfv_pkt_cksum_verify(a, &in);
		sdnfv_pkt_l4_cksum(a, &in, &c);
	}
	free(a);
}

/* A UDP datagram whose checksum field is 0. */
static int
udp_zero(const uint8_t *data, const struct sdnfv_pkt_info *in)
{
	return (in->flags & SDNFV_PKT_F_L4) && in->l4_proto == 17 && data[in->l4_off + 6] == 0 &&
	       data[in->l4_off + 7] == 0;
}

static void
rewrite(const uint8_t *data, uint32_t len, struct sdnfv_pkt_info in, int verified)
{
	union sdnfv_pkt_addr addr = { .u64 = { 0x0102030405060708ull, 0x1112131415161718ull } };
	uint8_t *copy = malloc(len ? len : 1);
	rte_be16_t c, stored;
	int rc;

	memcpy(copy, data, len);
	if (in.l3 == SDNFV_PKT_L3_IPV4)
		addr = (union sdnfv_pkt_addr){ .v4 = 0x0403020a };
	rc = sdnfv_pkt_set_port(copy, &in, SDNFV_PKT_SRC, 0x3412);
	if (rc != 0 && rc != -EINVAL && rc != -ENOTSUP)
		FAIL("set_port returned %d", rc);
	rc = sdnfv_pkt_set_addr(copy, &in, SDNFV_PKT_DST, &addr);
	if (rc != ((in.flags & SDNFV_PKT_F_L3) ? 0 : -EINVAL))
		FAIL("set_addr returned %d", rc);
	/* Incremental updates keep right checksums right, except a UDP checksum of 0, which stays
	 * 0 by design (sdnfv_pkt_set_addr()): over IPv6 an RFC 6935 tunnel's "none" that the sum
	 * may happen to accept as a value before the rewrite and not after. */
	if (verified && !udp_zero(data, &in) && sdnfv_pkt_cksum_verify(copy, &in) != 0)
		FAIL("checksums wrong after rewrites");
	if (verified && sdnfv_pkt_l4_cksum(copy, &in, &c) == 0) {
		memcpy(&stored,
		       copy + in.l4_off +
			       (in.l4_proto == 6    ? 16
				: in.l4_proto == 17 ? 6
						    : 2),
		       2);
		/* One's complement has two zeros: a packet may carry 0xffff where a recomputation
		 * gives 0 (verify accepts both), and RFC 1624 updates keep that form. A stored 0 is
		 * UDP's "no checksum". */
		if (stored != 0 && stored != c && !(stored == 0xffff && c == 0))
			FAIL("incremental 0x%04x, recomputed 0x%04x", stored, c);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdnfv_pkt_info in;
	struct sdnfv_pkt_key key;
	const char *why;
	rte_be16_t c;
	uint32_t len = (uint32_t)size, split;
	int rc, verified;

	if (size > 70000)
		return 0;
	rc = sdnfv_pkt_parse(data, len, &in);
	why = pkt_info_incoherent(&in, len, rc);
	if (why != NULL)
		FAIL("incoherent parse: %s", why);
	if (sdnfv_pkt_key_build(data, &in, &key) != ((in.flags & SDNFV_PKT_F_L3) ? 0 : -EINVAL))
		FAIL("key_build disagrees with the L3 flag");
	if (key.pad != 0)
		FAIL("key pad not zero");
	verified = (in.flags & SDNFV_PKT_F_L3) && sdnfv_pkt_cksum_verify(data, &in) == 0;
	sdnfv_pkt_l4_cksum(data, &in, &c);
	/* The split point comes from the last byte, which is usually payload or padding. */
	split = len ? (uint32_t)((uint64_t)data[len - 1] * (len + 1) / 256) : 0;
	if (split > len)
		split = len;
	chain_parse(data, len, split, &in);
	rewrite(data, len, in, verified);
	return 0;
}
