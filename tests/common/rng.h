/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helper: a small deterministic random source (xorshift64), seeded per test so that a
 * failure replays. */
#ifndef SDNFV_TEST_RNG_H
#define SDNFV_TEST_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s; /* the seed, then the state; never 0 */
};

static inline uint64_t
rng_next(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->s = x;
	return x;
}

static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

static inline bool
rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

#endif
