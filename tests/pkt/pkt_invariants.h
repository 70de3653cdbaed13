/* SPDX-License-Identifier: BSD-3-Clause */
/* Invariants of a parse result, for the tests and the fuzzer. */
#ifndef SDNFV_TEST_PKT_INVARIANTS_H
#define SDNFV_TEST_PKT_INVARIANTS_H

#include <stdint.h>

#include <sdnfv/pkt.h>

/* Returns NULL when `info` (from sdnfv_pkt_parse() of `len` contiguous bytes, returning `rc`) is
 * coherent, else a phrase saying what is wrong. */
const char *pkt_info_incoherent(const struct sdnfv_pkt_info *info, uint32_t len, int rc);

#endif
