/* SPDX-License-Identifier: BSD-3-Clause */
/* What the primary and secondary of the multi-process test agree on. */
#ifndef SDNFV_TEST_MP_COMMON_H
#define SDNFV_TEST_MP_COMMON_H

#include <stdint.h>

#define MP_POOL      "mp"
#define MP_RING_TO   "mp_to_nf"  /* primary produces, secondary consumes */
#define MP_RING_BACK "mp_back"   /* secondary produces, primary consumes */
#define MP_XOR       0xa5        /* the secondary flips every byte with this */
#define MP_OWN_FLOW  0xfeed0000u /* flow ids of packets the secondary allocates itself */

/* Length and content of packet i, derived from i alone so either side can check them. */
static inline uint16_t
mp_len(uint32_t i)
{
	return (uint16_t)(60 + (i * 7919u) % 1455u); /* 60..1514 */
}

static inline uint8_t
mp_byte(uint32_t i, uint32_t off)
{
	return (uint8_t)(i * 31u + off * 7u + (off >> 8));
}

#endif
