/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the exact-match flow cache (lib/flow/cache.c, internal API of flow_internal.h).
 * Linked against the static library: the cache's functions are hidden in libsdnfv.so.
 *
 * Keys that share their whole hash (same buckets, same signature) are built from the hash being
 * CRC32-C, which is affine over GF(2): flipping a set of key bits whose CRC contributions cancel
 * keeps the hash. make_same_hash_keys() finds such sets and checks every key it returns.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_lcore.h>
#include <rte_memory.h>
#include <urcu-qsbr.h>

#include "eal.h"
#include "flow/flow_internal.h"

SDNFV_TEST_EAL_SUITE(flow_cache, .timeout = 300);

/* ---- helpers -------------------------------------------------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void
random_key(uint64_t *s, struct sdnfv_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src.u64[0] = rnd(s);
	k->src.u64[1] = rnd(s);
	k->dst.u64[0] = rnd(s);
	k->dst.u64[1] = rnd(s);
	k->sport = (uint16_t)rnd(s);
	k->dport = (uint16_t)rnd(s);
	k->in_port = (uint16_t)(rnd(s) % 8);
	k->eth_type = 0x86dd;
	k->ip_proto = 6;
}

/* The table's fields a test writes for a key: a function of the key, so a reader can tell an
 * entry whose fields belong to another key. */
static uint32_t
fid(const struct sdnfv_flow_key *k)
{
	return flow_cache_hash(k) * 2654435761u + 1;
}

static uint32_t
fver(const struct sdnfv_flow_key *k)
{
	return ~fid(k);
}

static uint32_t
fepoch(const struct sdnfv_flow_key *k)
{
	return fid(k) ^ 0x5a5a5a5au;
}

static bool
entry_is(const struct flow_entry *e, const struct sdnfv_flow_key *k)
{
	return memcmp(&e->key, k, sizeof(*k)) == 0;
}

static bool
entry_fields_are_for(const struct flow_entry *e, const struct sdnfv_flow_key *k)
{
	return e->rule_id == fid(k) && e->rule_ver == fver(k) && e->epoch == fepoch(k);
}

static struct flow_cache *
make_cache(uint32_t max_flows)
{
	struct flow_cache *c = NULL;

	cr_assert_eq(flow_cache_create("test", max_flows, SOCKET_ID_ANY, &c), 0);
	cr_assert_not_null(c);
	return c;
}

static struct flow_entry *
insert(struct flow_cache *c, const struct sdnfv_flow_key *k, uint32_t now)
{
	return flow_cache_insert(c, k, now, fid(k), fver(k), fepoch(k));
}

static struct flow_cache_info
info_of(const struct flow_cache *c)
{
	struct flow_cache_info i;

	flow_cache_info(c, &i);
	return i;
}

/* No reader runs: a grace period is immediate. */
static void
reclaim(struct flow_cache *c)
{
	flow_cache_seal(c);
	flow_cache_release(c);
}

/*
 * Fill out[0..n) with distinct keys of the same hash as *base (base itself first). Varies the
 * last 8 bytes of the source address: over those 64 bits the hash's linear part has a kernel of
 * 32 dimensions at least; every combination of kernel vectors gives a key of the same hash.
 */
static void
make_same_hash_keys(const struct sdnfv_flow_key *base, struct sdnfv_flow_key *out, unsigned int n,
		    uint64_t *seed)
{
	uint32_t h0 = flow_cache_hash(base);
	uint32_t piv_val[32];
	uint64_t piv_combo[32], kernel[64];
	unsigned int n_kernel = 0, i, j;

	memset(piv_val, 0, sizeof(piv_val));
	for (j = 0; j < 64; j++) {
		struct sdnfv_flow_key k = *base;
		uint32_t v;
		uint64_t combo = UINT64_C(1) << j;

		k.src.u64[1] ^= UINT64_C(1) << j;
		v = flow_cache_hash(&k) ^ h0;
		for (int b = 31; b >= 0 && v != 0; b--) {
			if (!(v >> b & 1))
				continue;
			if (piv_val[b] == 0) {
				piv_val[b] = v;
				piv_combo[b] = combo;
				v = 0;
				combo = 0;
				break;
			}
			v ^= piv_val[b];
			combo ^= piv_combo[b];
		}
		if (combo != 0)
			kernel[n_kernel++] = combo;
	}
	cr_assert_geq(n_kernel, 32, "the key hash is not affine: cannot build same-hash keys");
	out[0] = *base;
	for (i = 1; i < n; i++) {
		uint64_t d;
		bool dup;

		do {
			uint64_t pick = rnd(seed);

			d = 0;
			for (j = 0; j < n_kernel; j++)
				if (pick >> j & 1)
					d ^= kernel[j];
			out[i] = *base;
			out[i].src.u64[1] ^= d;
			dup = d == 0;
			for (j = 0; j < i && !dup; j++)
				dup = memcmp(&out[j], &out[i], sizeof(out[i])) == 0;
		} while (dup);
		cr_assert_eq(flow_cache_hash(&out[i]), h0, "built key %u has another hash", i);
	}
}

/* ---- basic behaviour ---------------------------------------------------------------------------- */

Test(flow_cache, rejects_bad_arguments)
{
	struct flow_cache *c = NULL;

	cr_expect_eq(flow_cache_create("x", 0, SOCKET_ID_ANY, &c), -EINVAL);
	cr_expect_eq(flow_cache_create(NULL, 10, SOCKET_ID_ANY, &c), -EINVAL);
	cr_expect_eq(flow_cache_create("x", 10, SOCKET_ID_ANY, NULL), -EINVAL);
	cr_expect_eq(flow_cache_create("x", (1u << 28) + 1, SOCKET_ID_ANY, &c), -EINVAL);
	cr_expect_null(c);
	flow_cache_free(NULL);
}

Test(flow_cache, finds_an_inserted_key_until_it_is_removed)
{
	struct flow_cache *c = make_cache(100);
	struct sdnfv_flow_key k, other;
	struct flow_entry *e;
	uint64_t s = 1;

	random_key(&s, &k);
	random_key(&s, &other);
	cr_expect_null(flow_cache_find(c, &k));
	e = insert(c, &k, 42);
	cr_assert_not_null(e);
	cr_expect(entry_is(e, &k));
	cr_expect(entry_fields_are_for(e, &k));
	cr_expect_eq(e->last_used, 42);
	cr_expect_eq(flow_cache_find(c, &k), e);
	cr_expect_null(flow_cache_find(c, &other));
	cr_expect_eq(info_of(c).flows, 1);

	flow_cache_remove(c, e);
	cr_expect_null(flow_cache_find(c, &k));
	cr_expect_eq(info_of(c).flows, 0);
	cr_expect(flow_cache_has_limbo(c));
	flow_cache_remove(c, e); /* a second remove of the same entry is ignored */
	cr_expect_eq(info_of(c).flows, 0);
	cr_expect_eq(info_of(c).limbo, 1);
	flow_cache_free(c);
}

Test(flow_cache, insert_of_a_cached_key_updates_its_fields_in_place)
{
	struct flow_cache *c = make_cache(100);
	struct sdnfv_flow_key k;
	struct flow_entry *e, *e2;
	uint64_t s = 2;

	random_key(&s, &k);
	e = flow_cache_insert(c, &k, 1, 10, 11, 12);
	cr_assert_not_null(e);
	e2 = flow_cache_insert(c, &k, 5, 20, 21, 22);
	cr_expect_eq(e2, e);
	cr_expect_eq(e->rule_id, 20);
	cr_expect_eq(e->rule_ver, 21);
	cr_expect_eq(e->epoch, 22);
	cr_expect_eq(e->last_used, 5);
	cr_expect_eq(info_of(c).flows, 1);
	flow_cache_free(c);
}

Test(flow_cache, burst_lookup_finds_exactly_the_cached_keys)
{
	enum { N = 2000 };
	struct flow_cache *c = make_cache(2 * N); /* no pair of buckets fills: nothing is evicted */
	static struct sdnfv_flow_key keys[2 * N];
	struct flow_entry *ent[SDNFV_FLOW_BURST_MAX];
	uint64_t s = 3, hits;
	unsigned int i, j, bad = 0;

	for (i = 0; i < 2 * N; i++)
		random_key(&s, &keys[i]);
	for (i = 0; i < N; i++)
		cr_assert_not_null(insert(c, &keys[i], 0));
	/* Bursts of every length, half cached keys (the even ones) and half never inserted. */
	for (unsigned int n = 1; n <= SDNFV_FLOW_BURST_MAX; n++) {
		for (unsigned int round = 0; round < 20; round++) {
			struct sdnfv_flow_key burst[SDNFV_FLOW_BURST_MAX];
			bool cached[SDNFV_FLOW_BURST_MAX];

			for (j = 0; j < n; j++) {
				unsigned int pick = (unsigned int)(rnd(&s) % N);

				cached[j] = (j % 2) == 0;
				burst[j] = keys[cached[j] ? pick : N + pick];
			}
			flow_cache_lookup_burst(c, burst, n, ent, &hits);
			for (j = 0; j < n; j++) {
				bool hit = hits >> j & 1;

				if (hit != cached[j] || (hit && !entry_is(ent[j], &burst[j])) ||
				    (!hit && ent[j] != NULL))
					bad++;
			}
			if (n < 64 && (hits >> n) != 0)
				bad++;
		}
	}
	cr_expect_eq(bad, 0, "%u wrong lookup results", bad);
	flow_cache_free(c);
}

Test(flow_cache, keys_with_the_same_hash_are_told_apart_by_the_full_key)
{
	struct flow_cache *c = make_cache(1000);
	struct sdnfv_flow_key base, keys[20];
	struct flow_entry *ent[20];
	uint64_t s = 4, hits;
	unsigned int i;

	random_key(&s, &base);
	make_same_hash_keys(&base, keys, 20, &s);
	for (i = 0; i < 20; i += 2)
		cr_assert_not_null(insert(c, &keys[i], 0));
	flow_cache_lookup_burst(c, keys, 20, ent, &hits);
	for (i = 0; i < 20; i++) {
		if (i % 2 == 0) {
			cr_expect(hits >> i & 1, "cached key %u not found", i);
			cr_expect(ent[i] != NULL && entry_is(ent[i], &keys[i]));
			cr_expect_eq(flow_cache_find(c, &keys[i]), ent[i]);
		} else {
			cr_expect_not(hits >> i & 1, "key %u found, never inserted", i);
			cr_expect_null(flow_cache_find(c, &keys[i]));
		}
	}
	flow_cache_free(c);
}

Test(flow_cache, keys_differing_in_one_byte_are_distinct_flows)
{
	struct flow_cache *c = make_cache(1000);
	struct sdnfv_flow_key base, k;
	uint64_t s = 5;
	unsigned int i;

	random_key(&s, &base);
	cr_assert_not_null(insert(c, &base, 0));
	for (i = 0; i < sizeof(k); i++) {
		k = base;
		((uint8_t *)&k)[i] ^= 0x01;
		cr_expect_null(flow_cache_find(c, &k), "key with byte %u changed is found", i);
	}
	for (i = 0; i < sizeof(k); i++) {
		k = base;
		((uint8_t *)&k)[i] ^= 0x80;
		cr_assert_not_null(insert(c, &k, 0));
	}
	cr_expect_eq(info_of(c).flows, 1 + sizeof(k));
	for (i = 0; i < sizeof(k); i++) {
		struct flow_entry *e;

		k = base;
		((uint8_t *)&k)[i] ^= 0x80;
		e = flow_cache_find(c, &k);
		cr_expect(e != NULL && entry_is(e, &k) && entry_fields_are_for(e, &k));
	}
	flow_cache_free(c);
}

Test(flow_cache, reports_memory_per_flow_with_its_share_of_buckets)
{
	struct flow_cache *c = make_cache(1u << 16);
	struct flow_cache_info i = info_of(c);

	cr_expect_eq(i.capacity, 1u << 16);
	cr_expect_eq(i.flows, 0);
	cr_expect_geq(i.buckets * 8, i.capacity, "fewer slots than flows");
	cr_expect_geq(i.entries, i.capacity);
	cr_expect_geq(i.memory_bytes, (uint64_t)i.buckets * 64 + (uint64_t)i.entries * 64);
	cr_expect_geq(i.bytes_per_flow, 64 + 64 / 8);
	cr_expect_leq(i.bytes_per_flow, 160, "%u bytes per flow", i.bytes_per_flow);
	cr_log_info("flow cache, 64K flows: %u bytes per flow, %u buckets, %u entries",
		    i.bytes_per_flow, i.buckets, i.entries);
	flow_cache_free(c);
}

/* ---- eviction ------------------------------------------------------------------------------------ */

Test(flow_cache, filling_far_beyond_capacity_evicts_and_counts_never_fails)
{
	enum { CAP = 1000, N = 20 * CAP };
	struct flow_cache *c = make_cache(CAP);
	static struct sdnfv_flow_key keys[N];
	struct flow_cache_info inf;
	uint64_t s = 6;
	unsigned int i, found = 0, failed = 0;

	for (i = 0; i < N; i++) {
		random_key(&s, &keys[i]);
		if (insert(c, &keys[i], i) == NULL)
			failed++;
		if (info_of(c).flows > CAP)
			cr_assert_fail("%u flows cached, capacity %u", info_of(c).flows, CAP);
		if (i % 500 == 499)
			reclaim(c);
	}
	cr_expect_eq(failed, 0, "%u inserts failed", failed);
	inf = info_of(c);
	cr_expect_eq(inf.flows, CAP);
	cr_expect_eq(inf.evictions, N - CAP, "every insert beyond capacity evicts exactly one");
	cr_expect_eq(inf.expirations, 0);
	for (i = 0; i < N; i++) {
		struct flow_entry *e = flow_cache_find(c, &keys[i]);

		if (e != NULL) {
			found++;
			if (!entry_is(e, &keys[i]) || !entry_fields_are_for(e, &keys[i]))
				cr_assert_fail("key %u: entry of another key", i);
		}
	}
	cr_expect_eq(found, CAP, "the cache holds as many keys as it counts");
	cr_expect_not_null(flow_cache_find(c, &keys[N - 1]), "the last key inserted is cached");
	flow_cache_free(c);
}

Test(flow_cache, a_key_whose_buckets_are_full_evicts_the_least_recently_used_of_them)
{
	enum { N = 40 };
	struct flow_cache *c = make_cache(10000);
	struct sdnfv_flow_key base, keys[N];
	uint64_t s = 7;
	unsigned int i, present = 0;

	random_key(&s, &base);
	make_same_hash_keys(&base, keys, N, &s);
	/* Keys of one hash share their two buckets: 16 slots. */
	for (i = 0; i < 16; i++)
		cr_assert_not_null(insert(c, &keys[i], 100 + i));
	cr_expect_eq(info_of(c).evictions, 0);
	for (i = 0; i < 16; i++)
		cr_expect_not_null(flow_cache_find(c, &keys[i]));

	/* Key 0 is used again: key 1 is now the oldest and goes. */
	flow_cache_find(c, &keys[0])->last_used = 200;
	cr_assert_not_null(insert(c, &keys[16], 201));
	cr_expect_eq(info_of(c).evictions, 1);
	cr_expect_null(flow_cache_find(c, &keys[1]));
	cr_expect_not_null(flow_cache_find(c, &keys[0]));

	/* Then keys 2..15 in age order, one per insert. */
	for (i = 17; i < 31; i++) {
		cr_assert_not_null(insert(c, &keys[i], 300 + i));
		cr_expect_null(flow_cache_find(c, &keys[i - 15]), "key %u should have gone",
			       i - 15);
	}
	cr_expect_not_null(flow_cache_find(c, &keys[0]));
	for (i = 0; i < N; i++)
		present += flow_cache_find(c, &keys[i]) != NULL;
	cr_expect_eq(present, 16);
	cr_expect_eq(info_of(c).flows, 16);
	cr_expect_eq(info_of(c).evictions, 15);
	flow_cache_free(c);
}

Test(flow_cache, a_full_cache_evicts_a_least_recently_used_flow_for_a_new_one)
{
	/* 8 flows: the cache's two buckets hold every key, so all cached flows compete. */
	struct flow_cache *c = make_cache(8);
	struct sdnfv_flow_key keys[12];
	uint64_t s = 8;
	unsigned int i;

	cr_assert_eq(info_of(c).buckets, 2);
	for (i = 0; i < 12; i++)
		random_key(&s, &keys[i]);
	for (i = 0; i < 8; i++)
		cr_assert_not_null(insert(c, &keys[i], 1000 + 10 * i));
	flow_cache_find(c, &keys[0])->last_used = 5000;
	flow_cache_find(c, &keys[3])->last_used = 5000;
	/* Oldest now: 1, 2, 4, 5. */
	for (i = 8; i < 12; i++)
		cr_assert_not_null(insert(c, &keys[i], 6000 + i));
	cr_expect_eq(info_of(c).flows, 8);
	cr_expect_eq(info_of(c).evictions, 4);
	for (i = 0; i < 12; i++) {
		bool gone = i == 1 || i == 2 || i == 4 || i == 5;

		cr_expect_eq(flow_cache_find(c, &keys[i]) == NULL, gone, "key %u", i);
	}
	flow_cache_free(c);
}

/* ---- expiry -------------------------------------------------------------------------------------- */

Test(flow_cache, expiry_removes_exactly_the_idle_flows)
{
	enum { N = 1000 };
	struct flow_cache *c = make_cache(2 * N);
	static struct sdnfv_flow_key keys[N];
	static uint32_t used[N];
	const uint32_t now = 50, idle = 1000;
	struct flow_cache_info inf;
	unsigned int i, idle_keys = 0, removed;
	uint64_t s = 9;

	for (i = 0; i < N; i++) {
		random_key(&s, &keys[i]);
		/* Clock values around a wrap of the 32-bit millisecond clock. */
		switch (i % 5) {
		case 0:
			used[i] = now;
			break; /* fresh */
		case 1:
			used[i] = now - idle;
			break; /* exactly idle_ms: kept */
		case 2:
			used[i] = now - idle - 1;
			break; /* just over: removed */
		case 3:
			used[i] = UINT32_MAX - 2 * idle;
			break; /* long ago, before the wrap */
		default:
			used[i] = now + 100;
			break; /* a reader's clock ahead: kept */
		}
		cr_assert_not_null(insert(c, &keys[i], used[i]));
		if (i % 5 == 2 || i % 5 == 3)
			idle_keys++;
	}
	inf = info_of(c);
	removed = flow_cache_expire(c, now, idle, inf.entries);
	cr_expect_eq(removed, idle_keys);
	cr_expect_eq(info_of(c).expirations, idle_keys);
	cr_expect_eq(info_of(c).flows, N - idle_keys);
	cr_expect_eq(info_of(c).evictions, 0);
	for (i = 0; i < N; i++) {
		bool expect_gone = i % 5 == 2 || i % 5 == 3;

		if ((flow_cache_find(c, &keys[i]) == NULL) != expect_gone)
			cr_assert_fail("key %u (last used %u, now %u): %s", i, used[i], now,
				       expect_gone ? "kept" : "removed");
	}
	/* Nothing idle is left. */
	cr_expect_eq(flow_cache_expire(c, now, idle, inf.entries), 0);
	flow_cache_free(c);
}

Test(flow_cache, the_expiry_clock_hand_covers_the_whole_table_over_successive_calls)
{
	enum { N = 500 };
	struct flow_cache *c = make_cache(2 * N);
	static struct sdnfv_flow_key keys[N];
	struct flow_cache_info inf;
	unsigned int i, calls = 0, total = 0;
	uint64_t s = 10;

	for (i = 0; i < N; i++) {
		random_key(&s, &keys[i]);
		cr_assert_not_null(insert(c, &keys[i], 0));
	}
	/* Free some entries in the middle and reuse them, so the cached ones are not only a prefix. */
	for (i = 0; i < N; i += 7)
		flow_cache_remove(c, flow_cache_find(c, &keys[i]));
	reclaim(c);
	for (i = 0; i < N; i += 7)
		cr_assert_not_null(insert(c, &keys[i], 0));
	inf = info_of(c);

	/* A budget of 13 per call: every cached entry is examined within one lap of the entries. */
	while (total < N) {
		unsigned int r = flow_cache_expire(c, 100, 10, 13);

		if (r > 13)
			cr_assert_fail("call %u removed %u with a budget of 13", calls, r);
		total += r;
		if (++calls > inf.entries / 13 + 1)
			break;
	}
	cr_expect_eq(total, N, "after %u calls (%u entries), %u of %u removed", calls, inf.entries,
		     total, N);
	cr_expect_eq(info_of(c).flows, 0);

	/* The hand keeps going round: flows cached later are found on the next lap. */
	reclaim(c);
	for (i = 0; i < 50; i++)
		cr_assert_not_null(insert(c, &keys[i], 200));
	total = 0;
	for (calls = 0; calls <= inf.entries / 13 + 1 && total < 50; calls++)
		total += flow_cache_expire(c, 300, 10, 13);
	cr_expect_eq(total, 50);
	cr_expect_eq(info_of(c).expirations, N + 50);
	flow_cache_free(c);
}

/* ---- reclamation --------------------------------------------------------------------------------- */

Test(flow_cache, removed_entries_are_not_reused_before_release)
{
	enum { N = 300, M = 200 };
	struct flow_cache *c = make_cache(2000); /* roomy: only our removals free entries */
	static struct sdnfv_flow_key keys[N + 3 * M];
	struct flow_entry *removed[M];
	uint64_t s = 11;
	unsigned int i, j, reused = 0;

	for (i = 0; i < N + 3 * M; i++)
		random_key(&s, &keys[i]);
	for (i = 0; i < N; i++)
		cr_assert_not_null(insert(c, &keys[i], 0));
	for (i = 0; i < M; i++) {
		removed[i] = flow_cache_find(c, &keys[i]);
		cr_assert_not_null(removed[i]);
		flow_cache_remove(c, removed[i]);
	}
	cr_expect(flow_cache_has_limbo(c));
	cr_expect_eq(info_of(c).limbo, M);
	/* In limbo, then sealed: neither may be handed out. */
	for (unsigned int phase = 0; phase < 2; phase++) {
		if (phase == 1) {
			flow_cache_seal(c);
			cr_expect_not(flow_cache_has_limbo(c), "sealed: nothing left to seal");
			cr_expect_eq(info_of(c).limbo, M, "sealed entries still wait");
		}
		for (i = 0; i < M; i++) {
			struct flow_entry *e = insert(c, &keys[N + phase * M + i], 1);

			cr_assert_not_null(e);
			for (j = 0; j < M; j++)
				if (e == removed[j])
					cr_assert_fail("entry %u reused before release", j);
		}
	}
	/* Released: they come back. */
	flow_cache_release(c);
	cr_expect_eq(info_of(c).limbo, 0);
	for (i = 0; i < M; i++) {
		struct flow_entry *e = insert(c, &keys[N + 2 * M + i], 2);

		cr_assert_not_null(e);
		for (j = 0; j < M; j++)
			reused += e == removed[j];
	}
	cr_expect_gt(reused, 0, "released entries are reused");
	flow_cache_free(c);
}

Test(flow_cache, insert_returns_null_only_when_every_spare_entry_waits_in_limbo)
{
	struct flow_cache *c = make_cache(8);
	struct sdnfv_flow_key k;
	struct flow_cache_info before, after;
	uint64_t s = 12;
	unsigned int i, ok = 0;
	struct flow_entry *e = NULL;

	for (i = 0; i < 8; i++) {
		random_key(&s, &k);
		cr_assert_not_null(insert(c, &k, i));
	}
	/* Full: every new key evicts one flow into limbo, until no spare entry is left. */
	for (i = 0; i < 100000; i++) {
		random_key(&s, &k);
		e = insert(c, &k, 100 + i);
		if (e == NULL)
			break;
		ok++;
	}
	cr_assert_null(e, "insert never ran out of entries");
	before = info_of(c);
	cr_expect_geq(ok, 1024, "at least max(max_flows / 8, 1024) spares");
	cr_expect_eq(before.limbo, ok);
	cr_expect_eq(before.flows, 8);
	cr_expect_eq(before.evictions, ok);
	cr_expect_eq(before.entries, 8 + ok);
	/* The failed call evicted nothing. */
	cr_expect_null(insert(c, &k, 1));
	after = info_of(c);
	cr_expect_eq(after.evictions, before.evictions);
	cr_expect_eq(after.flows, 8);
	/* A grace period later, inserts work again. */
	reclaim(c);
	cr_expect_eq(info_of(c).limbo, 0);
	cr_expect_not_null(insert(c, &k, 1));
	flow_cache_free(c);
}

/* ---- a model: random operations against a reference map ----------------------------------------- */

enum model_state { ABSENT, MAYBE };

struct model_key {
	struct sdnfv_flow_key key;
	enum model_state state; /* MAYBE: inserted and not removed by us; may have been evicted */
	uint32_t id, ver, epoch;
};

/* Check one observation of a key against the model; a MAYBE key seen missing stays missing. */
static bool
model_observe(struct model_key *m, const struct flow_entry *e)
{
	if (e == NULL) {
		m->state = ABSENT;
		return true;
	}
	if (m->state == ABSENT)
		return false; /* never inserted, or removed, or seen gone before */
	return entry_is(e, &m->key) && e->rule_id == m->id && e->rule_ver == m->ver &&
	       e->epoch == m->epoch;
}

Test(flow_cache, agrees_with_a_reference_map_over_random_operations)
{
	enum { CAP = 1024, RANDOM_KEYS = 3000, SAME_HASH = 48, OPS = 300000 };
	enum { NK = RANDOM_KEYS + 2 * SAME_HASH };
	struct flow_cache *c = make_cache(CAP);
	static struct model_key mk[NK];
	struct sdnfv_flow_key base, same[SAME_HASH];
	uint64_t s = 13, new_inserts = 0, our_removes = 0;
	uint32_t now = 0;
	unsigned int i, op;

	for (i = 0; i < RANDOM_KEYS; i++)
		random_key(&s, &mk[i].key);
	/* Two groups of keys sharing one hash: their buckets overflow and evict all the time. */
	for (unsigned int g = 0; g < 2; g++) {
		random_key(&s, &base);
		make_same_hash_keys(&base, same, SAME_HASH, &s);
		for (i = 0; i < SAME_HASH; i++)
			mk[RANDOM_KEYS + g * SAME_HASH + i].key = same[i];
	}

	for (op = 0; op < OPS; op++) {
		unsigned int r = (unsigned int)(rnd(&s) % 100);
		struct model_key *m = &mk[rnd(&s) % NK];
		struct flow_entry *e;

		now += (uint32_t)(rnd(&s) % 3);
		if (r < 40) { /* insert (or update) */
			struct flow_entry *had = flow_cache_find(c, &m->key);

			if (!model_observe(m, had))
				cr_assert_fail("op %u: find before insert disagrees with the model",
					       op);
			m->id = (uint32_t)rnd(&s);
			m->ver = (uint32_t)rnd(&s);
			m->epoch = (uint32_t)rnd(&s);
			e = flow_cache_insert(c, &m->key, now, m->id, m->ver, m->epoch);
			if (e == NULL) {
				reclaim(c);
				e = flow_cache_insert(c, &m->key, now, m->id, m->ver, m->epoch);
			}
			if (e == NULL)
				cr_assert_fail("op %u: insert failed after reclaim", op);
			if (had != NULL && e != had)
				cr_assert_fail("op %u: insert of a cached key moved it", op);
			m->state = MAYBE;
			if (!model_observe(m, e) || e->last_used != now ||
			    flow_cache_find(c, &m->key) != e)
				cr_assert_fail("op %u: inserted entry wrong", op);
			new_inserts += had == NULL;
		} else if (r < 55) { /* remove */
			e = flow_cache_find(c, &m->key);
			if (!model_observe(m, e))
				cr_assert_fail("op %u: find before remove disagrees with the model",
					       op);
			if (e != NULL) {
				flow_cache_remove(c, e);
				our_removes++;
			}
			m->state = ABSENT;
			if (flow_cache_find(c, &m->key) != NULL)
				cr_assert_fail("op %u: removed key still found", op);
		} else if (r < 85) { /* reader lookups, and a reader's use of the flows found */
			struct sdnfv_flow_key keys[SDNFV_FLOW_BURST_MAX];
			struct model_key *ms[SDNFV_FLOW_BURST_MAX];
			struct flow_entry *ent[SDNFV_FLOW_BURST_MAX];
			unsigned int n = 1 + (unsigned int)(rnd(&s) % SDNFV_FLOW_BURST_MAX);
			uint64_t hits;

			for (i = 0; i < n; i++) {
				ms[i] = &mk[rnd(&s) % NK];
				keys[i] = ms[i]->key;
			}
			flow_cache_lookup_burst(c, keys, n, ent, &hits);
			for (i = 0; i < n; i++) {
				if ((ent[i] != NULL) != (bool)(hits >> i & 1))
					cr_assert_fail("op %u: hit mask and entries disagree", op);
				/* A key twice in a burst: both lookups see the same state. */
				if (ent[i] != NULL && !model_observe(ms[i], ent[i]))
					cr_assert_fail("op %u: lookup %u disagrees with the model",
						       op, i);
				if (ent[i] == NULL && ms[i]->state == MAYBE &&
				    flow_cache_find(c, &ms[i]->key) != NULL)
					cr_assert_fail("op %u: lookup missed a cached key", op);
				if (ent[i] == NULL)
					ms[i]->state = ABSENT;
				else if (rnd(&s) % 2)
					ent[i]->last_used = now;
			}
		} else if (r < 90) { /* expire a slice */
			flow_cache_expire(c, now, 2000, 1 + (unsigned int)(rnd(&s) % 512));
		} else if (r < 95) {
			reclaim(c);
		} else { /* find */
			if (!model_observe(m, flow_cache_find(c, &m->key)))
				cr_assert_fail("op %u: find disagrees with the model", op);
		}

		if (op % 5000 == 4999) {
			struct flow_cache_info inf = info_of(c);
			unsigned int present = 0;

			for (i = 0; i < NK; i++) {
				e = flow_cache_find(c, &mk[i].key);
				if (!model_observe(&mk[i], e))
					cr_assert_fail("op %u: key %u disagrees with the model", op,
						       i);
				present += e != NULL;
			}
			if (present != inf.flows || inf.flows > CAP)
				cr_assert_fail("op %u: %u keys found, %u counted", op, present,
					       inf.flows);
			if (new_inserts - our_removes - inf.evictions - inf.expirations !=
			    inf.flows)
				cr_assert_fail("op %u: inserted %lu, removed %lu, evicted %lu, "
					       "expired %lu, but %u cached",
					       op, (unsigned long)new_inserts,
					       (unsigned long)our_removes,
					       (unsigned long)inf.evictions,
					       (unsigned long)inf.expirations, inf.flows);
		}
	}
	cr_log_info("model: %lu inserts, %lu removes, %lu evictions, %lu expirations",
		    (unsigned long)new_inserts, (unsigned long)our_removes,
		    (unsigned long)info_of(c).evictions, (unsigned long)info_of(c).expirations);
	cr_expect_gt(info_of(c).evictions, 0);
	cr_expect_gt(info_of(c).expirations, 0);
	flow_cache_free(c);
}

/* ---- concurrency ---------------------------------------------------------------------------------- */

#define STABLE       64
#define CHURN_RANDOM 1500
#define CHURN_SAME   40
#define NEVER        512
#define READERS      2

struct conc {
	struct flow_cache *c;
	struct sdnfv_flow_key stable[STABLE];
	struct sdnfv_flow_key churn[CHURN_RANDOM + 3 * CHURN_SAME];
	struct sdnfv_flow_key never[NEVER];
	volatile int stop;
	/* Written by each reader for itself. */
	struct {
		uint64_t lookups, hits, wrong_key, wrong_fields, stable_missed, never_found,
			changed_under_reader;
	} r[READERS];
};

struct reader_arg {
	struct conc *t;
	unsigned int id;
};

static void *
reader(void *arg)
{
	struct reader_arg *a = (struct reader_arg *)arg;
	struct conc *t = a->t;
	uint64_t s = 1000 + a->id;
	enum { N_CHURN = CHURN_RANDOM + 3 * CHURN_SAME };

	rcu_register_thread();
	while (!__atomic_load_n(&t->stop, __ATOMIC_RELAXED)) {
		struct sdnfv_flow_key keys[32];
		struct flow_entry *ent[32];
		uint8_t kind[32];
		uint64_t hits;
		unsigned int i;

		for (i = 0; i < 32; i++) {
			unsigned int r = (unsigned int)(rnd(&s) % 4);

			kind[i] = (uint8_t)r;
			if (r == 0)
				keys[i] = t->stable[rnd(&s) % STABLE];
			else if (r == 3)
				keys[i] = t->never[rnd(&s) % NEVER];
			else
				keys[i] = t->churn[rnd(&s) % N_CHURN];
		}
		flow_cache_lookup_burst(t->c, keys, 32, ent, &hits);
		t->r[a->id].lookups += 32;
		for (i = 0; i < 32; i++) {
			if (!(hits >> i & 1)) {
				t->r[a->id].stable_missed += kind[i] == 0;
				continue;
			}
			t->r[a->id].hits++;
			if (!entry_is(ent[i], &keys[i]))
				t->r[a->id].wrong_key++;
			else if (!entry_fields_are_for(ent[i], &keys[i]))
				t->r[a->id].wrong_fields++;
			t->r[a->id].never_found += kind[i] == 3;
		}
		/* Give the writer time to reuse an entry too early, then look again. */
		for (volatile int spin = 0; spin < 200; spin++)
			;
		for (i = 0; i < 32; i++)
			if ((hits >> i & 1) && !entry_is(ent[i], &keys[i]))
				t->r[a->id].changed_under_reader++;
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

Test(flow_cache, readers_never_get_a_wrong_entry_while_the_writer_churns)
{
	enum { N_CHURN = CHURN_RANDOM + 3 * CHURN_SAME };
	static struct conc t;
	struct reader_arg args[READERS];
	pthread_t th[READERS];
	pthread_attr_t attr;
	cpu_set_t all;
	struct flow_entry *stable_e[STABLE];
	struct sdnfv_flow_key base;
	struct timespec t0, t1;
	uint64_t s = 14, ops = 0, grace_periods = 0, lookups = 0, hits = 0;
	uint32_t now = 1;
	unsigned int i;

	memset(&t, 0, sizeof(t));
	t.c = make_cache(4096);
	for (i = 0; i < STABLE; i++)
		random_key(&s, &t.stable[i]);
	for (i = 0; i < CHURN_RANDOM; i++)
		random_key(&s, &t.churn[i]);
	/* Groups of one hash: their two buckets are always full, so inserts there evict. */
	for (unsigned int g = 0; g < 3; g++) {
		random_key(&s, &base);
		make_same_hash_keys(&base, &t.churn[CHURN_RANDOM + g * CHURN_SAME], CHURN_SAME, &s);
	}
	for (i = 0; i < NEVER; i++)
		random_key(&s, &t.never[i]);
	for (i = 0; i < STABLE; i++) {
		stable_e[i] = insert(t.c, &t.stable[i], now);
		cr_assert_not_null(stable_e[i]);
	}

	/* EAL pinned this thread to CPU 0; the readers may run on any CPU, beside the writer. */
	CPU_ZERO(&all);
	for (i = 0; i < CPU_SETSIZE && (long)i < sysconf(_SC_NPROCESSORS_ONLN); i++)
		CPU_SET(i, &all);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
	for (i = 0; i < READERS; i++) {
		args[i].t = &t;
		args[i].id = i;
		cr_assert_eq(pthread_create(&th[i], &attr, reader, &args[i]), 0);
	}
	pthread_attr_destroy(&attr);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		unsigned int r = (unsigned int)(rnd(&s) % 100);
		const struct sdnfv_flow_key *k = &t.churn[rnd(&s) % N_CHURN];
		struct flow_entry *e;

		/* One writer tick per operation. The stable flows see packets all the time (as a
		 * table reader would store): they are never the least recently used, nor idle. */
		now++;
		for (i = 0; i < STABLE; i++)
			__atomic_store_n(&stable_e[i]->last_used, now, __ATOMIC_RELAXED);
		if (r < 55) {
			e = insert(t.c, k, now);
			if (e == NULL) {
				flow_cache_seal(t.c);
				synchronize_rcu();
				flow_cache_release(t.c);
				grace_periods++;
				e = insert(t.c, k, now);
			}
			if (e == NULL)
				cr_assert_fail("insert failed after a grace period");
		} else if (r < 80) {
			e = flow_cache_find(t.c, k);
			if (e != NULL)
				flow_cache_remove(t.c, e);
		} else if (r < 85) {
			flow_cache_expire(t.c, now, 300, 64);
		}
		if (++ops % 64 == 0) {
			flow_cache_seal(t.c);
			synchronize_rcu();
			flow_cache_release(t.c);
			grace_periods++;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
	} while ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) < 2000000000L);

	__atomic_store_n(&t.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);

	for (i = 0; i < READERS; i++) {
		cr_expect_eq(t.r[i].wrong_key, 0, "reader %u got %lu entries of another key", i,
			     (unsigned long)t.r[i].wrong_key);
		cr_expect_eq(t.r[i].wrong_fields, 0, "reader %u got %lu entries with stale fields",
			     i, (unsigned long)t.r[i].wrong_fields);
		cr_expect_eq(t.r[i].changed_under_reader, 0,
			     "reader %u: %lu entries reused before its quiescent state", i,
			     (unsigned long)t.r[i].changed_under_reader);
		cr_expect_eq(t.r[i].stable_missed, 0, "reader %u missed a stable key %lu times", i,
			     (unsigned long)t.r[i].stable_missed);
		cr_expect_eq(t.r[i].never_found, 0, "reader %u found a never-inserted key", i);
		lookups += t.r[i].lookups;
		hits += t.r[i].hits;
	}
	cr_log_info("concurrent: %lu writer ops, %lu grace periods, %lu evictions, %lu "
		    "expirations; readers: %lu lookups, %lu hits",
		    (unsigned long)ops, (unsigned long)grace_periods,
		    (unsigned long)info_of(t.c).evictions, (unsigned long)info_of(t.c).expirations,
		    (unsigned long)lookups, (unsigned long)hits);
	cr_expect_gt(lookups, 0);
	cr_expect_gt(info_of(t.c).evictions, 0, "the run evicted");
	cr_expect_gt(info_of(t.c).expirations, 0, "the run expired flows");
	for (i = 0; i < STABLE; i++)
		cr_expect_eq(flow_cache_find(t.c, &t.stable[i]), stable_e[i]);
	flow_cache_free(t.c);
}
