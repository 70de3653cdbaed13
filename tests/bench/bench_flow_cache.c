/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-cache benchmark: burst lookups of cached flows in the sdnfv flow cache (lib/flow/cache.c,
 * the internal API: this program links the static library) against DPDK's rte_hash
 * (rte_hash_create with key_len 48, entries = the flow count, rte_hash_crc, default flags) and
 * rte_hash_lookup_bulk, on the same keys in the same order.
 *
 * For each size (1K, 64K, 1M and 4M flows): random IPv4 5-tuple keys are inserted in both tables;
 * the keys both tables hold (rte_hash at 100% of its nominal capacity refuses a few; the cache
 * evicts a few where two buckets filled) are looked up in one random order, in bursts of 32,
 * pass after pass. A run is at least 16M lookups (a whole number of passes); runs alternate sdnfv and rte_hash so both see
 * the same machine noise, and each figure is the median of the runs. Prints
 * `bench: flow_cache_lookup_<N> <x> Mlookups/s` (and `..._rte_hash`) and
 * `bench: flow_cache_lookup_<N> ratio <x> vs rte_hash` (x = sdnfv rate / rte_hash rate: above 1
 * means the flow cache is faster).
 *
 * Memory: both tables at 4M flows need about 700 MB of hugepages (the cache ~390 MB, rte_hash
 * ~330 MB). When both do not fit, each run builds one table, measures it and frees it, still
 * alternating whole runs (the program says so in its output).
 *
 * usage: bench_flow_cache [--quick]   (--quick: smoke run, 3 runs of few lookups, sizes to 64K)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "bench.h"
#include "eal.h"
#include "flow/flow_internal.h"

#define BURST    32
#define MAX_RUNS 15

struct size {
	const char *name;
	uint32_t flows;
};

static const struct size sizes[] = {
	{ "1K", 1u << 10 },
	{ "64K", 1u << 16 },
	{ "1M", 1u << 20 },
	{ "4M", 1u << 22 },
};

static unsigned int runs = 9;
static uint64_t lookups_per_run = 1u << 24;
static volatile uint64_t sink;

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
random_key(uint64_t *s, struct sdnfv_flow_key *k)
{
	uint64_t r = rnd(s), r2 = rnd(s);

	memset(k, 0, sizeof(*k));
	k->src.v4 = (uint32_t)r;
	k->dst.v4 = (uint32_t)(r >> 32);
	k->sport = (uint16_t)r2;
	k->dport = (uint16_t)(r2 >> 16);
	k->in_port = (uint16_t)(r2 >> 32 & 3);
	k->eth_type = 0x0800;
	k->ip_proto = r2 >> 40 & 1 ? 6 : 17;
}

/* ---- the two tables ----------------------------------------------------------------------- */

struct tables {
	struct flow_cache *cache;
	struct rte_hash *hash;
};

static int
build_cache(const struct sdnfv_flow_key *keys, uint32_t n, struct flow_cache **out)
{
	struct flow_cache *c;
	uint32_t i;

	if (flow_cache_create("bench", n, (int)rte_socket_id(), &c) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (flow_cache_insert(c, &keys[i], 0, i, 0, 0) == NULL)
			break;
	*out = c;
	return 0;
}

static int
build_hash(const struct sdnfv_flow_key *keys, uint32_t n, struct rte_hash **out)
{
	struct rte_hash_parameters p = {
		.name = "bench_rte_hash",
		.entries = n,
		.key_len = sizeof(struct sdnfv_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = (int)rte_socket_id(),
	};
	struct rte_hash *h = rte_hash_create(&p);
	uint32_t i;

	if (h == NULL)
		return -1;
	for (i = 0; i < n; i++)
		rte_hash_add_key(h, &keys[i]); /* a few fail near 100% load: filtered out below */
	*out = h;
	return 0;
}

/* ---- timed runs ----------------------------------------------------------------------------- */

/* Mlookups/s of one run over the lookup sequence (seq: keys, ptrs: the same as pointers). */
static double
run_cache(const struct flow_cache *c, const struct sdnfv_flow_key *seq, uint32_t n_seq)
{
	struct flow_entry *ent[BURST];
	uint64_t done = 0, hits = 0, t0, mask;

	t0 = rte_rdtsc_precise();
	while (done < lookups_per_run) {
		for (uint32_t j = 0; j < n_seq; j += BURST) {
			unsigned int b = RTE_MIN((uint32_t)BURST, n_seq - j);

			flow_cache_lookup_burst(c, &seq[j], b, ent, &mask);
			hits += (uint64_t)__builtin_popcountll(mask);
		}
		done += n_seq;
	}
	t0 = rte_rdtsc_precise() - t0;
	if (hits != done)
		fprintf(stderr, "bench_flow_cache: flow cache missed %lu of %lu\n",
			(unsigned long)(done - hits), (unsigned long)done);
	sink += hits;
	return (double)done / ((double)t0 / (double)rte_get_tsc_hz()) / 1e6;
}

static double
run_hash(const struct rte_hash *h, const void **ptrs, uint32_t n_seq)
{
	int32_t pos[BURST];
	uint64_t done = 0, hits = 0, t0;

	t0 = rte_rdtsc_precise();
	while (done < lookups_per_run) {
		for (uint32_t j = 0; j < n_seq; j += BURST) {
			unsigned int b = RTE_MIN((uint32_t)BURST, n_seq - j);

			rte_hash_lookup_bulk(h, &ptrs[j], b, pos);
			for (unsigned int i = 0; i < b; i++)
				hits += pos[i] >= 0;
		}
		done += n_seq;
	}
	t0 = rte_rdtsc_precise() - t0;
	if (hits != done)
		fprintf(stderr, "bench_flow_cache: rte_hash missed %lu of %lu\n",
			(unsigned long)(done - hits), (unsigned long)done);
	sink += hits;
	return (double)done / ((double)t0 / (double)rte_get_tsc_hz()) / 1e6;
}

/* Mark in `held` the keys a table does not hold (bit 0: the flow cache, bit 1: rte_hash). */
static void
mark_missing(const struct sdnfv_flow_key *keys, uint32_t n, struct flow_cache *c,
	     struct rte_hash *h, uint8_t *missing)
{
	for (uint32_t i = 0; i < n; i++) {
		if (c != NULL && flow_cache_find(c, &keys[i]) == NULL)
			missing[i] |= 1;
		if (h != NULL && rte_hash_lookup(h, &keys[i]) < 0)
			missing[i] |= 2;
	}
}

/* The keys both tables hold, in one random order (the keys, and pointers to them for rte_hash). */
static uint32_t
make_sequence(const struct sdnfv_flow_key *keys, uint32_t n, const uint8_t *missing, uint64_t *seed,
	      struct sdnfv_flow_key **seq_out, const void ***ptrs_out)
{
	uint32_t *held = malloc(sizeof(*held) * n);
	uint32_t n_held = 0, n_seq, i;
	struct sdnfv_flow_key *seq;
	const void **ptrs;

	uint32_t n_evicted = 0, n_refused = 0;

	for (i = 0; i < n; i++) {
		n_evicted += missing[i] & 1;
		n_refused += missing[i] >> 1 & 1;
		if (missing[i] == 0)
			held[n_held++] = i;
	}
	n_seq = n_held;
	seq = malloc(sizeof(*seq) * n_seq);
	ptrs = malloc(sizeof(*ptrs) * n_seq);
	/* Fisher-Yates. */
	for (i = n_held - 1; i > 0; i--) {
		uint32_t k = (uint32_t)(rnd(seed) % (i + 1)), t = held[i];

		held[i] = held[k];
		held[k] = t;
	}
	for (i = 0; i < n_seq; i++) {
		seq[i] = keys[held[i]];
		ptrs[i] = &seq[i];
	}
	printf("# %u flows: both tables hold %u keys (the cache evicted %u where two buckets "
	       "filled, rte_hash refused %u)\n",
	       n, n_held, n_evicted, n_refused);
	free(held);
	*seq_out = seq;
	*ptrs_out = ptrs;
	return n_seq;
}

static void
report(const char *size, double ours, double peer)
{
	printf("bench: flow_cache_lookup_%s %.2f Mlookups/s\n", size, ours);
	printf("bench: flow_cache_lookup_%s_rte_hash %.2f Mlookups/s\n", size, peer);
	printf("bench: flow_cache_lookup_%s ratio %.3f vs rte_hash\n", size, ours / peer);
	fflush(stdout);
}

static int
bench_size(const struct size *sz, uint64_t *seed)
{
	uint32_t n = sz->flows, n_seq, i, r;
	struct sdnfv_flow_key *keys = malloc(sizeof(*keys) * n), *seq;
	const void **ptrs;
	struct flow_cache *c = NULL;
	struct rte_hash *h = NULL;
	struct flow_cache_info info;
	double ours[MAX_RUNS], peer[MAX_RUNS];
	uint8_t *missing;
	bool together;

	if (keys == NULL)
		return -1;
	for (i = 0; i < n; i++)
		random_key(seed, &keys[i]);
	if (build_cache(keys, n, &c) != 0) {
		fprintf(stderr, "bench_flow_cache: cannot create the flow cache for %u flows\n", n);
		return -1;
	}
	flow_cache_info(c, &info);
	missing = calloc(n, 1);
	together = build_hash(keys, n, &h) == 0;
	if (together) {
		mark_missing(keys, n, c, h, missing);
	} else {
		/* Not both at once: learn which keys each holds (the same keys in the same order
		 * give the same tables every time), then each run builds the table it measures. */
		printf("# %u flows: the two tables do not fit in hugepages together; each run "
		       "builds, measures and frees one table\n",
		       n);
		mark_missing(keys, n, c, NULL, missing);
		flow_cache_free(c);
		c = NULL;
		if (build_hash(keys, n, &h) != 0) {
			fprintf(stderr, "bench_flow_cache: cannot create rte_hash for %u flows\n",
				n);
			return -1;
		}
		mark_missing(keys, n, NULL, h, missing);
		rte_hash_free(h);
		h = NULL;
	}
	n_seq = make_sequence(keys, n, missing, seed, &seq, &ptrs);
	free(missing);
	printf("# %u flows: flow cache %u bytes per flow (%u buckets, %u entries), %.1f MB\n", n,
	       info.bytes_per_flow, info.buckets, info.entries, info.memory_bytes / 1e6);

	if (together) {
		run_cache(c, seq, n_seq); /* warm up */
		run_hash(h, ptrs, n_seq);
		for (r = 0; r < runs; r++) {
			ours[r] = run_cache(c, seq, n_seq);
			peer[r] = run_hash(h, ptrs, n_seq);
		}
	} else {
		for (r = 0; r < runs; r++) {
			build_cache(keys, n, &c);
			run_cache(c, seq, n_seq);
			ours[r] = run_cache(c, seq, n_seq);
			flow_cache_free(c);
			build_hash(keys, n, &h);
			run_hash(h, ptrs, n_seq);
			peer[r] = run_hash(h, ptrs, n_seq);
			rte_hash_free(h);
		}
		c = NULL;
		h = NULL;
	}
	report(sz->name, bench_median(ours, runs), bench_median(peer, runs));
	flow_cache_free(c);
	rte_hash_free(h);
	free(seq);
	free(ptrs);
	free(keys);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sdnfv_test_eal opt = { .lcores = "0" };
	unsigned int n_sizes = RTE_DIM(sizes), i;
	uint64_t seed = 0x5d3f1e2a9b4c7d61ull;
	int status = 0;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		runs = 3;
		lookups_per_run = 1u << 20;
		n_sizes = 2;
	}
	if (sdnfv_test_eal_init(&opt) < 0) {
		fprintf(stderr, "bench_flow_cache: EAL init failed\n");
		return 1;
	}
	printf("# %u runs per figure, medians, at least %lu lookups per run, bursts of %u; TSC "
	       "%.2f GHz\n",
	       runs, (unsigned long)lookups_per_run, BURST, rte_get_tsc_hz() / 1e9);
	if (n_sizes < RTE_DIM(sizes))
		printf("# --quick: 1M and 4M flows skipped\n");
	for (i = 0; i < n_sizes; i++)
		if (bench_size(&sizes[i], &seed) != 0)
			status = 1;
	sdnfv_test_eal_cleanup();
	return status;
}
