/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the service table: names and ids, instances, and the rendezvous-hashed buckets checked
 * against a brute-force oracle. Needs no EAL: tables live in malloc'd memory. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <sdnfv/service.h>

#include "rng.h"
#include "service/service_internal.h"

TestSuite(service, .timeout = 120);

static struct sdnfv_service_params
params(uint32_t services, uint32_t instances, uint32_t buckets)
{
	return (struct sdnfv_service_params){ .sz = sizeof(struct sdnfv_service_params),
					      .max_services = services,
					      .max_instances = instances,
					      .buckets = buckets };
}

/* A table in malloc'd memory; free() it with the returned pointer. */
static struct sdnfv_service_table *
make_table(uint32_t services, uint32_t instances, uint32_t buckets)
{
	struct sdnfv_service_params p = params(services, instances, buckets);
	size_t size = sdnfv_service_table_size(&p);
	void *mem;

	cr_assert_gt(size, 0);
	mem = malloc(size);
	cr_assert_not_null(mem);
	cr_assert_eq(sdnfv_service_table_init(mem, size, &p), mem);
	return mem;
}

/* The owner of every bucket (bucket i is selected by flow hash i). */
static void
owners(const struct sdnfv_service_table *t, uint16_t id, uint32_t buckets, uint16_t *out)
{
	uint32_t i;

	for (i = 0; i < buckets; i++)
		out[i] = sdnfv_service_select(t, id, i);
}

/* The obviously correct owner of a bucket: the live instance with the highest weight, ties to
 * the lowest id; SDNFV_SERVICE_NONE when none is live. */
static uint16_t
oracle(uint32_t bucket, const uint16_t *live, unsigned int n)
{
	uint16_t best = SDNFV_SERVICE_NONE;
	uint64_t best_w = 0, w;
	unsigned int i;

	for (i = 0; i < n; i++) {
		w = sdnfv_service__weight(bucket, live[i]);
		if (best == SDNFV_SERVICE_NONE || w > best_w || (w == best_w && live[i] < best)) {
			best = live[i];
			best_w = w;
		}
	}
	return best;
}

Test(service, ids_are_given_in_order_of_addition_and_map_names_both_ways)
{
	struct sdnfv_service_table *t = make_table(4, 1, 0);

	cr_expect_eq(sdnfv_service_count(t), 0);
	cr_expect_eq(sdnfv_service_add(t, "firewall"), 0);
	cr_expect_eq(sdnfv_service_add(t, "nat"), 1);
	cr_expect_eq(sdnfv_service_add(t, "dpi-v2.1_x"), 2);
	cr_expect_eq(sdnfv_service_count(t), 3);
	cr_expect_eq(sdnfv_service_id(t, "firewall"), 0);
	cr_expect_eq(sdnfv_service_id(t, "nat"), 1);
	cr_expect_eq(sdnfv_service_id(t, "dpi-v2.1_x"), 2);
	cr_expect_str_eq(sdnfv_service_name(t, 0), "firewall");
	cr_expect_str_eq(sdnfv_service_name(t, 1), "nat");
	cr_expect_str_eq(sdnfv_service_name(t, 2), "dpi-v2.1_x");
	free(t);
}

Test(service, adding_an_existing_name_returns_its_id)
{
	struct sdnfv_service_table *t = make_table(2, 1, 0);

	cr_expect_eq(sdnfv_service_add(t, "a"), 0);
	cr_expect_eq(sdnfv_service_add(t, "b"), 1);
	cr_expect_eq(sdnfv_service_add(t, "a"), 0);
	cr_expect_eq(sdnfv_service_add(t, "b"), 1);
	cr_expect_eq(sdnfv_service_count(t), 2);
	free(t);
}

Test(service, bad_names_are_refused)
{
	struct sdnfv_service_table *t = make_table(4, 1, 0);
	char name[SDNFV_SERVICE_NAME_MAX + 2];

	cr_expect_eq(sdnfv_service_add(t, NULL), -EINVAL);
	cr_expect_eq(sdnfv_service_add(t, ""), -EINVAL);
	cr_expect_eq(sdnfv_service_add(t, "fire wall"), -EINVAL);
	cr_expect_eq(sdnfv_service_add(t, "fw/1"), -EINVAL);
	cr_expect_eq(sdnfv_service_add(t, "caf\xc3\xa9"), -EINVAL);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_expect_eq(sdnfv_service_add(t, name), -ENAMETOOLONG);
	cr_expect_eq(sdnfv_service_count(t), 0);
	name[SDNFV_SERVICE_NAME_MAX] = '\0';
	cr_expect_eq(sdnfv_service_add(t, name), 0);
	cr_expect_str_eq(sdnfv_service_name(t, 0), name);
	free(t);
}

Test(service, a_full_table_refuses_new_names_and_still_finds_the_old)
{
	struct sdnfv_service_table *t = make_table(2, 1, 0);

	cr_expect_eq(sdnfv_service_add(t, "a"), 0);
	cr_expect_eq(sdnfv_service_add(t, "b"), 1);
	cr_expect_eq(sdnfv_service_add(t, "c"), -ENOSPC);
	cr_expect_eq(sdnfv_service_add(t, "b"), 1);
	cr_expect_eq(sdnfv_service_id(t, "c"), -ENOENT);
	cr_expect_eq(sdnfv_service_count(t), 2);
	free(t);
}

Test(service, unknown_ids_and_names_give_errors)
{
	struct sdnfv_service_table *t = make_table(4, 2, 0);
	uint16_t out[2];

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	cr_expect_eq(sdnfv_service_id(t, "b"), -ENOENT);
	cr_expect_eq(sdnfv_service_id(t, NULL), -EINVAL);
	cr_expect_null(sdnfv_service_name(t, 1));
	cr_expect_null(sdnfv_service_name(t, SDNFV_SERVICE_NONE));
	cr_expect_eq(sdnfv_service_instances(t, 1, out, 2), -ENOENT);
	cr_expect_eq(sdnfv_service_instance_add(t, 1, 7), -ENOENT);
	cr_expect_eq(sdnfv_service_instance_remove(t, 1, 7), -ENOENT);
	cr_expect_eq(sdnfv_service_instance_remove(t, 0, 7), -ENOENT);
	/* A service id below max_services that was never added selects nothing. */
	cr_expect_eq(sdnfv_service_select(t, 3, 12345), SDNFV_SERVICE_NONE);
	free(t);
}

Test(service, bad_capacities_and_too_small_memory_are_refused)
{
	struct sdnfv_service_params p = params(1, 1, 0), q = params(1, 1, 1024);
	struct sdnfv_service_params bad[] = {
		params(0, 1, 0),     params(65536, 1, 0), params(1, 0, 0),
		params(1, 65536, 0), params(1, 1, 3),     params(1, 1, 131072),
	};
	size_t size;
	unsigned int i;
	void *mem;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(sdnfv_service_table_size(&bad[i]), 0, "params %u", i);
	cr_expect_eq(sdnfv_service_table_size(NULL), 0);
	p.sz = 8;
	cr_expect_eq(sdnfv_service_table_size(&p), 0);
	p.sz = sizeof(p);
	/* 0 buckets means 1024; the largest capacities are allowed. */
	cr_expect_eq(sdnfv_service_table_size(&p), sdnfv_service_table_size(&q));
	q = params(65535, 65535, 65536);
	cr_expect_gt(sdnfv_service_table_size(&q), 0);

	size = sdnfv_service_table_size(&p);
	mem = malloc(size + 8);
	cr_assert_not_null(mem);
	errno = 0;
	cr_expect_null(sdnfv_service_table_init(mem, size - 1, &p));
	cr_expect_eq(errno, EINVAL);
	errno = 0;
	cr_expect_null(sdnfv_service_table_init((char *)mem + 4, size, &p));
	cr_expect_eq(errno, EINVAL);
	errno = 0;
	cr_expect_null(sdnfv_service_table_init(mem, size, &bad[0]));
	cr_expect_eq(errno, EINVAL);
	cr_expect_null(sdnfv_service_table_init(NULL, size, &p));
	cr_expect_not_null(sdnfv_service_table_init(mem, size, &p));
	free(mem);
}

Test(service, select_gives_none_when_the_service_has_no_instance)
{
	struct sdnfv_service_table *t = make_table(2, 4, 64);
	uint32_t h;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	for (h = 0; h < 64; h++)
		if (sdnfv_service_select(t, 0, h * 0x9e3779b9u) != SDNFV_SERVICE_NONE)
			cr_assert_fail("hash 0x%08x selects an instance", h * 0x9e3779b9u);
	free(t);
}

Test(service, one_instance_owns_every_bucket)
{
	struct sdnfv_service_table *t = make_table(2, 4, 256);
	uint16_t own[256];
	uint32_t i;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	cr_assert_eq(sdnfv_service_add(t, "b"), 1);
	cr_assert_eq(sdnfv_service_instance_add(t, 0, 42), 0);
	owners(t, 0, 256, own);
	for (i = 0; i < 256; i++)
		if (own[i] != 42)
			cr_assert_fail("bucket %u is owned by %u", i, own[i]);
	/* The other service is untouched. */
	cr_expect_eq(sdnfv_service_select(t, 1, 0), SDNFV_SERVICE_NONE);
	free(t);
}

Test(service, buckets_spread_evenly_over_instances)
{
	enum { BUCKETS = 4096, N = 8 };
	struct sdnfv_service_table *t = make_table(1, N, BUCKETS);
	struct rng r = { .s = 0x5e41ce };
	unsigned int per[N] = { 0 };
	uint16_t own[BUCKETS];
	uint32_t i, j, h;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	for (j = 0; j < N; j++)
		cr_assert_eq(sdnfv_service_instance_add(t, 0, (uint16_t)(100 + j)), 0);
	owners(t, 0, BUCKETS, own);
	for (i = 0; i < BUCKETS; i++) {
		if (own[i] < 100 || own[i] >= 100 + N)
			cr_assert_fail("bucket %u is owned by %u", i, own[i]);
		per[own[i] - 100]++;
	}
	for (j = 0; j < N; j++)
		cr_expect(per[j] * 10 >= BUCKETS / N * 7 && per[j] * 10 <= BUCKETS / N * 13,
			  "instance %u owns %u of %u buckets", 100 + j, per[j], BUCKETS);
	/* Only the low bits of the hash pick the bucket. */
	for (i = 0; i < 10000; i++) {
		h = (uint32_t)rng_next(&r);
		if (sdnfv_service_select(t, 0, h) != own[h % BUCKETS])
			cr_assert_fail("hash 0x%08x does not select its bucket's owner", h);
	}
	free(t);
}

Test(service, adding_an_instance_moves_about_one_bucket_in_n_plus_one_to_it_and_no_other)
{
	enum { BUCKETS = 4096, N = 8 };
	struct sdnfv_service_table *t = make_table(1, N + 1, BUCKETS);
	uint16_t before[BUCKETS], after[BUCKETS];
	unsigned int moved = 0;
	uint32_t i, j;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	for (j = 0; j < N; j++)
		cr_assert_eq(sdnfv_service_instance_add(t, 0, (uint16_t)(7 * j + 3)), 0);
	owners(t, 0, BUCKETS, before);
	cr_assert_eq(sdnfv_service_instance_add(t, 0, 1000), 0);
	owners(t, 0, BUCKETS, after);
	for (i = 0; i < BUCKETS; i++) {
		if (after[i] == before[i])
			continue;
		if (after[i] != 1000)
			cr_assert_fail("bucket %u moved from %u to %u", i, before[i], after[i]);
		moved++;
	}
	cr_expect(moved * 10 >= BUCKETS / (N + 1) * 7 && moved * 10 <= BUCKETS / (N + 1) * 13,
		  "%u of %u buckets moved", moved, BUCKETS);
	/* Removing it again restores every bucket, and says how many moved. */
	cr_expect_eq(sdnfv_service_instance_remove(t, 0, 1000), (int)moved);
	owners(t, 0, BUCKETS, after);
	cr_expect_arr_eq(after, before, sizeof(before));
	free(t);
}

/*
 * The core property: after any sequence of adds and removes every bucket is owned by the oracle's
 * choice over the live set, an add moves buckets only to the new instance, a remove moves only
 * the removed instance's buckets, and the counts moved are about buckets / (n + 1).
 */
Test(service, random_adds_and_removes_match_the_oracle_and_move_only_what_they_must)
{
	enum { BUCKETS = 1024, MAXI = 12, POOL = 20, STEPS = 3000 };
	struct sdnfv_service_table *t = make_table(3, MAXI, BUCKETS);
	struct rng r = { .s = 0xc0ffee };
	uint16_t pool[POOL], live[MAXI], listed[MAXI], before[BUCKETS], after[BUCKETS];
	unsigned int n = 0, i, j, step, moved, adds = 0, removes = 0;
	double moved_add = 0, expect_add = 0, moved_rm = 0, expect_rm = 0;
	uint16_t inst;
	bool is_live;
	int ret, pos;

	cr_assert_eq(sdnfv_service_add(t, "x"), 0);
	cr_assert_eq(sdnfv_service_add(t, "y"), 1);
	cr_assert_eq(sdnfv_service_add(t, "z"), 2);
	cr_assert_eq(sdnfv_service_instance_add(t, 0, 5), 0); /* neighbours that must not change */
	cr_assert_eq(sdnfv_service_instance_add(t, 2, 6), 0);
	/* Distinct instance ids spread over the whole range, 0 and 65534 included. */
	pool[0] = 0;
	pool[1] = SDNFV_SERVICE_NONE - 1;
	for (i = 2; i < POOL; i++) {
		do {
			pool[i] = (uint16_t)rng_below(&r, SDNFV_SERVICE_NONE);
			for (j = 0; j < i && pool[j] != pool[i]; j++)
				;
		} while (j < i);
	}

	for (step = 0; step < STEPS; step++) {
		inst = pool[rng_below(&r, POOL)];
		for (pos = -1, j = 0; j < n; j++)
			if (live[j] == inst)
				pos = (int)j;
		is_live = pos >= 0;
		/* Lean towards adding while few are live, towards removing while many are. */
		if (!is_live && rng_below(&r, MAXI + 1) < n / 2)
			continue;
		owners(t, 1, BUCKETS, before);
		if (is_live) {
			ret = sdnfv_service_instance_remove(t, 1, inst);
			memmove(&live[pos], &live[pos + 1],
				(n - (unsigned int)pos - 1) * sizeof(live[0]));
			n--;
		} else {
			ret = sdnfv_service_instance_add(t, 1, inst);
			if (n == MAXI) {
				if (ret != -ENOSPC)
					cr_assert_fail("step %u: add to a full service gave %d",
						       step, ret);
				continue;
			}
			if (ret != 0)
				cr_assert_fail("step %u: add %u gave %d", step, inst, ret);
			live[n++] = inst;
		}
		owners(t, 1, BUCKETS, after);
		moved = 0;
		for (i = 0; i < BUCKETS; i++) {
			if (after[i] != oracle(i, live, n))
				cr_assert_fail("step %u: bucket %u owned by %u, oracle says %u",
					       step, i, after[i], oracle(i, live, n));
			if (after[i] == before[i])
				continue;
			moved++;
			if (!is_live && after[i] != inst)
				cr_assert_fail("step %u: adding %u moved bucket %u from %u to %u",
					       step, inst, i, before[i], after[i]);
			if (is_live && before[i] != inst)
				cr_assert_fail("step %u: removing %u moved bucket %u from %u to %u",
					       step, inst, i, before[i], after[i]);
		}
		if (is_live) {
			if (ret != (int)moved)
				cr_assert_fail("step %u: remove said %d moved, %u did", step, ret,
					       moved);
			removes++;
			moved_rm += moved;
			expect_rm += (double)BUCKETS / (n + 1);
		} else {
			adds++;
			moved_add += moved;
			expect_add += (double)BUCKETS / n;
		}
		if (sdnfv_service_instances(t, 1, listed, MAXI) != (int)n ||
		    memcmp(listed, live, n * sizeof(live[0])) != 0)
			cr_assert_fail("step %u: the list of instances differs", step);
	}
	cr_expect_gt(adds, STEPS / 4);
	cr_expect_gt(removes, STEPS / 4);
	cr_expect(moved_add > expect_add * 0.95 && moved_add < expect_add * 1.05,
		  "adds moved %.0f buckets, expected about %.0f", moved_add, expect_add);
	cr_expect(moved_rm > expect_rm * 0.95 && moved_rm < expect_rm * 1.05,
		  "removes moved %.0f buckets, expected about %.0f", moved_rm, expect_rm);
	for (i = 0; i < BUCKETS; i++)
		if (sdnfv_service_select(t, 0, i) != 5 || sdnfv_service_select(t, 2, i) != 6)
			cr_assert_fail("bucket %u of another service changed", i);
	free(t);
}

Test(service, instance_add_refuses_duplicates_a_full_service_unknown_services_and_none)
{
	struct sdnfv_service_table *t = make_table(2, 2, 16);

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, 1), 0);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, 1), -EEXIST);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, 2), 0);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, 3), -ENOSPC);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, 2), -EEXIST);
	cr_expect_eq(sdnfv_service_instance_add(t, 1, 3), -ENOENT);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, SDNFV_SERVICE_NONE), -EINVAL);
	cr_expect_eq(sdnfv_service_instances(t, 0, NULL, 0), 2);
	/* After a removal there is room again. */
	cr_expect_geq(sdnfv_service_instance_remove(t, 0, 1), 0);
	cr_expect_eq(sdnfv_service_instance_add(t, 0, 3), 0);
	free(t);
}

/* How many buckets an instance owns. */
static int
owned_by(const struct sdnfv_service_table *t, uint16_t id, uint32_t buckets, uint16_t instance)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < buckets; i++)
		n += sdnfv_service_select(t, id, i) == instance;
	return n;
}

Test(service, instance_remove_returns_the_buckets_that_moved_and_the_last_leaves_none)
{
	enum { BUCKETS = 512 };
	struct sdnfv_service_table *t = make_table(1, 4, BUCKETS);
	uint32_t i;
	int n;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	for (i = 0; i < 3; i++)
		cr_assert_eq(sdnfv_service_instance_add(t, 0, (uint16_t)(10 + i)), 0);
	n = owned_by(t, 0, BUCKETS, 11);
	cr_expect_gt(n, 0);
	cr_expect_eq(sdnfv_service_instance_remove(t, 0, 11), n);
	cr_expect_eq(owned_by(t, 0, BUCKETS, 11), 0);
	cr_expect_eq(sdnfv_service_instance_remove(t, 0, 11), -ENOENT);
	n = owned_by(t, 0, BUCKETS, 10);
	cr_expect_eq(sdnfv_service_instance_remove(t, 0, 10), n);
	cr_expect_eq(owned_by(t, 0, BUCKETS, 12), BUCKETS);
	cr_expect_eq(sdnfv_service_instance_remove(t, 0, 12), BUCKETS);
	cr_expect_eq(owned_by(t, 0, BUCKETS, SDNFV_SERVICE_NONE), BUCKETS);
	cr_expect_eq(sdnfv_service_instances(t, 0, NULL, 0), 0);
	free(t);
}

Test(service, instances_lists_in_order_of_addition_and_counts_beyond_n)
{
	struct sdnfv_service_table *t = make_table(1, 8, 64);
	uint16_t out[8] = { 0 }, want[] = { 30, 10, 20, 40 };
	uint16_t after[] = { 30, 20, 40, 5 };
	unsigned int i;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	cr_expect_eq(sdnfv_service_instances(t, 0, out, 8), 0);
	for (i = 0; i < 4; i++)
		cr_assert_eq(sdnfv_service_instance_add(t, 0, want[i]), 0);
	cr_expect_eq(sdnfv_service_instances(t, 0, out, 8), 4);
	cr_expect_arr_eq(out, want, sizeof(want));
	/* Room for two: the first two are written, the count is still four. */
	memset(out, 0xab, sizeof(out));
	cr_expect_eq(sdnfv_service_instances(t, 0, out, 2), 4);
	cr_expect_arr_eq(out, want, 2 * sizeof(out[0]));
	cr_expect_eq(out[2], 0xabab);
	/* A removal keeps the others in order; a new one goes last. */
	cr_assert_geq(sdnfv_service_instance_remove(t, 0, 10), 0);
	cr_assert_eq(sdnfv_service_instance_add(t, 0, 5), 0);
	cr_expect_eq(sdnfv_service_instances(t, 0, out, 8), 4);
	cr_expect_arr_eq(out, after, sizeof(after));
	free(t);
}

Test(service, a_table_copied_to_another_address_selects_the_same)
{
	enum { BUCKETS = 1024 };
	struct sdnfv_service_params p = params(3, 4, BUCKETS);
	size_t size = sdnfv_service_table_size(&p);
	struct sdnfv_service_table *t = make_table(3, 4, BUCKETS), *copy;
	static uint16_t want[3][BUCKETS];
	uint16_t out[4];
	uint32_t i, s;

	cr_assert_eq(sdnfv_service_add(t, "a"), 0);
	cr_assert_eq(sdnfv_service_add(t, "b"), 1);
	cr_assert_eq(sdnfv_service_add(t, "c"), 2);
	for (i = 0; i < 4; i++)
		cr_assert_eq(sdnfv_service_instance_add(t, 0, (uint16_t)(i + 1)), 0);
	cr_assert_eq(sdnfv_service_instance_add(t, 1, 9), 0);
	for (s = 0; s < 3; s++)
		owners(t, (uint16_t)s, BUCKETS, want[s]);
	copy = malloc(size);
	cr_assert_not_null(copy);
	memcpy(copy, t, size);
	memset(t, 0, size); /* nothing of the original survives */
	free(t);
	for (s = 0; s < 3; s++)
		for (i = 0; i < BUCKETS; i++)
			if (sdnfv_service_select(copy, (uint16_t)s, i) != want[s][i])
				cr_assert_fail("service %u bucket %u differs in the copy", s, i);
	cr_expect_eq(sdnfv_service_id(copy, "b"), 1);
	cr_expect_str_eq(sdnfv_service_name(copy, 2), "c");
	cr_expect_eq(sdnfv_service_instances(copy, 0, out, 4), 4);
	/* The copy is a table of its own: it can be changed. */
	cr_expect_gt(sdnfv_service_instance_remove(copy, 1, 9), 0);
	cr_expect_eq(sdnfv_service_select(copy, 1, 0), SDNFV_SERVICE_NONE);
	free(copy);
}

/* Instance ids whose bytes, mixed with each other's or with SDNFV_SERVICE_NONE's, make no id of
 * the set: a torn 16-bit load could not pass for a real one. */
static const uint16_t conc_ids[] = { 0x1234, 0x5678, 0x9abc, 0x0ef1, 0x2345, 0x6789 };
#define CONC_N       (sizeof(conc_ids) / sizeof(conc_ids[0]))
#define CONC_BUCKETS 1024u

struct conc {
	struct sdnfv_service_table *t;
	bool done;
	uint64_t reads, bad;
	uint16_t bad_value;
};

static void *
conc_reader(void *arg)
{
	struct conc *c = arg;
	bool allowed[65536] = { false };
	uint32_t h = 0;
	uint16_t v;
	unsigned int i;

	allowed[SDNFV_SERVICE_NONE] = true;
	for (i = 0; i < CONC_N; i++)
		allowed[conc_ids[i]] = true;
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < 256; i++) {
			v = sdnfv_service_select(c->t, 0, h);
			h += 0x9e3779b9u;
			if (!allowed[v]) {
				c->bad++;
				c->bad_value = v;
			}
		}
		c->reads += 256;
	}
	return NULL;
}

Test(service, readers_see_only_whole_instance_ids_while_the_writer_changes_instances)
{
	struct conc c = { .t = make_table(1, CONC_N, CONC_BUCKETS) };
	struct rng r = { .s = 0xfeed };
	bool live[CONC_N] = { false };
	pthread_t reader;
	unsigned int step, k;
	int ret;

	for (k = 0; k < CONC_N; k++)
		for (unsigned int j = 0; j < CONC_N; j++) {
			uint16_t mix = (uint16_t)((conc_ids[k] & 0xff00) | (conc_ids[j] & 0xff));

			cr_assert(k == j || mix == SDNFV_SERVICE_NONE ||
				  (mix != conc_ids[0] && mix != conc_ids[1] && mix != conc_ids[2] &&
				   mix != conc_ids[3] && mix != conc_ids[4] && mix != conc_ids[5]));
		}
	cr_assert_eq(sdnfv_service_add(c.t, "a"), 0);
	cr_assert_eq(pthread_create(&reader, NULL, conc_reader, &c), 0);
	for (step = 0; step < 20000; step++) {
		k = rng_below(&r, CONC_N);
		if (live[k])
			ret = sdnfv_service_instance_remove(c.t, 0, conc_ids[k]);
		else
			ret = sdnfv_service_instance_add(c.t, 0, conc_ids[k]);
		if (ret < 0)
			cr_assert_fail("step %u: %d", step, ret);
		live[k] = !live[k];
	}
	__atomic_store_n(&c.done, true, __ATOMIC_RELEASE);
	cr_assert_eq(pthread_join(reader, NULL), 0);
	cr_expect_eq(c.bad, 0, "%" PRIu64 " bad reads, one of them 0x%04x", c.bad, c.bad_value);
	cr_expect_gt(c.reads, 0);
	free(c.t);
}
