/* SPDX-License-Identifier: BSD-3-Clause */
/* Invariants of a parse result, for the tests and the fuzzer. */
#ifndef SDNFV_TEST_PKT_INVARIANTS_H
#define SDNFV_TEST_PKT_INVARIANTS_H

#include <stdint.h>

#include <sdnfv/pkt.h>

/* Returns NULL when `info` (from sdnfv_pkt_parse() of `len` contiguous bytes, returning `rc`) is
 * coherent, else a phrase saying what is wrong. */
const char *pkt_info_incoherent(const struct sdnfv_pkt_info *info, uint32_t len, int rc);

/*
 * Parse `len` bytes as a two-segment mbuf chain split at `split`, each segment in a heap block of
 * exactly its size (so AddressSanitizer sees a read past either), and compare with `whole`, the
 * contiguous parse of the same bytes. A chain parse must equal the contiguous one (plus
 * SDNFV_PKT_F_MULTISEG when the datagram crosses the split), or be refused as segmented exactly
 * when the headers cross the split. Returns NULL when that holds, else a phrase. The chain's parse
 * goes to *out; when `first_seg` is not NULL the first segment's block is handed to the caller
 * (who frees it), else it is freed.
 */
const char *pkt_chain_mismatch(const uint8_t *data, uint32_t len, uint32_t split,
			       const struct sdnfv_pkt_info *whole, struct sdnfv_pkt_info *out,
			       uint8_t **first_seg);

#endif
