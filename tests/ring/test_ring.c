/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the SP/SC descriptor ring. This file is compiled with SDNFV_RING_DEBUG so the
 * single-producer check is exercised whatever the build type. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_lcore.h>
#include <rte_memzone.h>

#include <sdnfv/ring.h>

#include "eal.h"

SDNFV_TEST_EAL_SUITE(ring, .timeout = 120);

static struct sdnfv_ring *
make_ring(const char *name, unsigned int count)
{
	struct sdnfv_ring *r = NULL;

	cr_assert_eq(sdnfv_ring_create(name, count, SOCKET_ID_ANY, 0, &r), 0);
	cr_assert_not_null(r);
	return r;
}

static void *
token(uintptr_t i)
{
	return (void *)(i + 1); /* never NULL, so a zeroed slot cannot pass for a token */
}

Test(ring, holds_exactly_the_capacity_it_was_created_with)
{
	struct sdnfv_ring *r = make_ring("cap", 1000);
	void *objs[1024];
	unsigned int i, free_space;

	for (i = 0; i < 1024; i++)
		objs[i] = token(i);
	cr_expect_eq(sdnfv_ring_capacity(r), 1000);
	cr_expect_eq(sdnfv_ring_free_count(r), 1000);
	cr_expect_eq(sdnfv_ring_sp_enqueue_burst(r, objs, 1024, &free_space), 1000);
	cr_expect_eq(free_space, 0);
	cr_expect_eq(sdnfv_ring_count(r), 1000);
	cr_expect_eq(sdnfv_ring_sp_enqueue_burst(r, objs, 1, NULL), 0);
	sdnfv_ring_free(r);
}

Test(ring, bulk_enqueue_is_all_or_nothing)
{
	struct sdnfv_ring *r = make_ring("bulk", 10);
	void *objs[16], *out[16];
	unsigned int i, avail;

	for (i = 0; i < 16; i++)
		objs[i] = token(i);
	cr_expect_eq(sdnfv_ring_sp_enqueue_bulk(r, objs, 8, NULL), 8);
	cr_expect_eq(sdnfv_ring_sp_enqueue_bulk(r, objs + 8, 3, NULL), 0, "3 do not fit in 2");
	cr_expect_eq(sdnfv_ring_count(r), 8);
	cr_expect_eq(sdnfv_ring_sc_dequeue_bulk(r, out, 9, NULL), 0, "9 are not there");
	cr_expect_eq(sdnfv_ring_sc_dequeue_bulk(r, out, 8, &avail), 8);
	cr_expect_eq(avail, 0);
	for (i = 0; i < 8; i++)
		cr_expect_eq(out[i], objs[i]);
	sdnfv_ring_free(r);
}

Test(ring, burst_dequeue_returns_what_is_there_oldest_first)
{
	struct sdnfv_ring *r = make_ring("burst", 64);
	void *objs[5] = { token(0), token(1), token(2), token(3), token(4) }, *out[32];
	unsigned int i;

	cr_expect_eq(sdnfv_ring_sc_dequeue_burst(r, out, 32, NULL), 0);
	cr_expect_eq(sdnfv_ring_sp_enqueue_burst(r, objs, 5, NULL), 5);
	cr_expect_eq(sdnfv_ring_sc_dequeue_burst(r, out, 32, NULL), 5);
	for (i = 0; i < 5; i++)
		cr_expect_eq(out[i], objs[i]);
	sdnfv_ring_free(r);
}

/* Random bursts and bulks, compared step by step with an obviously correct array queue.
 * Checks are plain ifs: a Criterion assertion per step would dominate the run time. */
Test(ring, matches_a_plain_queue_over_random_operations)
{
	enum { CAP = 37, STEPS = 500000 };
	struct sdnfv_ring *r = make_ring("model", CAP);
	uintptr_t model[CAP];
	unsigned int m_head = 0, m_len = 0, step;
	uintptr_t next = 0;
	void *buf[80];

	srand(12345);
	for (step = 0; step < STEPS; step++) {
		unsigned int n = (unsigned int)rand() % 80, i, got, expect, side;
		int bulk = rand() % 2;

		if (rand() % 2 == 0) {
			for (i = 0; i < n; i++)
				buf[i] = token(next + i);
			got = bulk ? sdnfv_ring_sp_enqueue_bulk(r, buf, n, &side)
				   : sdnfv_ring_sp_enqueue_burst(r, buf, n, &side);
			expect = CAP - m_len >= n ? n : (bulk ? 0 : CAP - m_len);
			if (got != expect)
				cr_assert_fail("step %u: enqueue %u (bulk %d) gave %u, want %u",
					       step, n, bulk, got, expect);
			for (i = 0; i < got; i++)
				model[(m_head + m_len + i) % CAP] = next + i;
			m_len += got;
			next += got;
			if (side > CAP - m_len)
				cr_assert_fail("step %u: free_space %u above the true %u", step,
					       side, CAP - m_len);
		} else {
			got = bulk ? sdnfv_ring_sc_dequeue_bulk(r, buf, n, &side)
				   : sdnfv_ring_sc_dequeue_burst(r, buf, n, &side);
			expect = m_len >= n ? n : (bulk ? 0 : m_len);
			if (got != expect)
				cr_assert_fail("step %u: dequeue %u (bulk %d) gave %u, want %u",
					       step, n, bulk, got, expect);
			for (i = 0; i < got; i++)
				if (buf[i] != token(model[(m_head + i) % CAP]))
					cr_assert_fail("step %u: object %u out of order", step, i);
			m_head = (m_head + got) % CAP;
			m_len -= got;
			if (side > m_len)
				cr_assert_fail("step %u: available %u above the true %u", step,
					       side, m_len);
		}
		if (sdnfv_ring_count(r) != m_len || sdnfv_ring_free_count(r) != CAP - m_len)
			cr_assert_fail("step %u: count %u free %u, want %u and %u", step,
				       sdnfv_ring_count(r), sdnfv_ring_free_count(r), m_len,
				       CAP - m_len);
	}
	cr_expect_gt(next, (uintptr_t)STEPS, "the walk must actually move objects");
	sdnfv_ring_free(r);
}

/* The EAL pins the main thread to one CPU and new threads inherit that: let a helper thread run
 * on any CPU, so producer and consumer run in parallel where there are two. */
static void
spread_thread(pthread_t t)
{
	cpu_set_t all;
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&all);
	for (i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	pthread_setaffinity_np(t, sizeof(all), &all);
}

struct seq_arg {
	struct sdnfv_ring *r;
	uint64_t n;
	uint64_t errors;
};

static void *
seq_producer(void *p)
{
	struct seq_arg *a = (struct seq_arg *)p;
	uint64_t sent = 0;
	void *buf[32];

	while (sent < a->n) {
		unsigned int want = (unsigned int)RTE_MIN((uint64_t)(1 + sent % 32), a->n - sent);
		unsigned int i;

		for (i = 0; i < want; i++)
			buf[i] = token(sent + i);
		unsigned int done = sdnfv_ring_sp_enqueue_burst(a->r, buf, want, NULL);

		if (done == 0)
			sched_yield(); /* full: let the consumer run if it shares our CPU */
		sent += done;
	}
	return NULL;
}

Test(ring, two_threads_pass_every_object_once_and_in_order)
{
	struct seq_arg a = { .r = make_ring("seq", 256), .n = 2000000 };
	uint64_t expect = 0;
	pthread_t prod;
	void *buf[32];

	cr_assert_eq(pthread_create(&prod, NULL, seq_producer, &a), 0);
	spread_thread(prod);
	while (expect < a.n) {
		unsigned int got = sdnfv_ring_sc_dequeue_burst(a.r, buf, 1 + expect % 32, NULL), i;

		if (got == 0)
			sched_yield();

		for (i = 0; i < got; i++, expect++)
			if (buf[i] != token(expect))
				a.errors++;
	}
	pthread_join(prod, NULL);
	cr_expect_eq(a.errors, 0, "%lu objects out of order or corrupted", (unsigned long)a.errors);
	cr_expect_eq(sdnfv_ring_count(a.r), 0);
	cr_expect_eq(sdnfv_ring_violations(a.r), 0);
	sdnfv_ring_free(a.r);
}

static void *
second_producer(void *p)
{
	struct sdnfv_ring *r = (struct sdnfv_ring *)p;
	void *obj = token(99);

	return (void *)(uintptr_t)sdnfv_ring_sp_enqueue_burst(r, &obj, 1, NULL);
}

Test(ring, a_second_producer_is_refused_and_counted_in_debug_builds)
{
	struct sdnfv_ring *r = make_ring("twoprod", 8);
	void *obj = token(0), *ret;
	pthread_t t;

	cr_assert_eq(sdnfv_ring_sp_enqueue_burst(r, &obj, 1, NULL), 1);
	cr_assert_eq(pthread_create(&t, NULL, second_producer, r), 0);
	pthread_join(t, &ret);
	cr_expect_eq((uintptr_t)ret, 0, "the second producer must enqueue nothing");
	cr_expect_eq(sdnfv_ring_violations(r), 1);
	cr_expect_eq(sdnfv_ring_count(r), 1);

	/* After a handover the other thread may produce, and then this one may not. */
	sdnfv_ring_handover(r, SDNFV_RING_PRODUCER);
	cr_assert_eq(pthread_create(&t, NULL, second_producer, r), 0);
	pthread_join(t, &ret);
	cr_expect_eq((uintptr_t)ret, 1);
	cr_expect_eq(sdnfv_ring_sp_enqueue_burst(r, &obj, 1, NULL), 0);
	cr_expect_eq(sdnfv_ring_violations(r), 2);
	sdnfv_ring_free(r);
}

Test(ring, reset_empties_the_ring_and_forgets_owners)
{
	struct sdnfv_ring *r = make_ring("reset", 8);
	void *objs[4] = { token(0), token(1), token(2), token(3) }, *ret;
	pthread_t t;

	cr_assert_eq(sdnfv_ring_sp_enqueue_burst(r, objs, 4, NULL), 4);
	sdnfv_ring_reset(r);
	cr_expect_eq(sdnfv_ring_count(r), 0);
	cr_expect_eq(sdnfv_ring_free_count(r), 8);
	cr_assert_eq(pthread_create(&t, NULL, second_producer, r), 0);
	pthread_join(t, &ret);
	cr_expect_eq((uintptr_t)ret, 1, "after a reset any thread may become the producer");
	sdnfv_ring_free(r);
}

Test(ring, lookup_finds_the_same_ring_by_name)
{
	struct sdnfv_ring *r = make_ring("sdnfv_x_nf1_rx", 128), *found = NULL;

	cr_expect_eq(sdnfv_ring_lookup("sdnfv_x_nf1_rx", &found), 0);
	cr_expect_eq(found, r);
	cr_expect_str_eq(sdnfv_ring_name(found), "sdnfv_x_nf1_rx");
	cr_expect_eq(sdnfv_ring_lookup("sdnfv_x_nf2_rx", &found), -ENOENT);
	sdnfv_ring_free(r);
	cr_expect_eq(sdnfv_ring_lookup("sdnfv_x_nf1_rx", &found), -ENOENT, "freed for everyone");
}

Test(ring, create_rejects_bad_names_counts_flags_and_duplicates)
{
	struct sdnfv_ring *r = NULL, *dup = NULL;
	char longname[64];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cr_expect_eq(sdnfv_ring_create(longname, 8, SOCKET_ID_ANY, 0, &r), -ENAMETOOLONG);
	cr_expect_eq(sdnfv_ring_create("", 8, SOCKET_ID_ANY, 0, &r), -EINVAL);
	cr_expect_eq(sdnfv_ring_create(NULL, 8, SOCKET_ID_ANY, 0, &r), -EINVAL);
	cr_expect_eq(sdnfv_ring_create("zero", 0, SOCKET_ID_ANY, 0, &r), -EINVAL);
	cr_expect_eq(sdnfv_ring_create("huge", SDNFV_RING_CAPACITY_MAX + 1, SOCKET_ID_ANY, 0, &r),
		     -EINVAL);
	cr_expect_eq(sdnfv_ring_create("flags", 8, SOCKET_ID_ANY, 1, &r), -EINVAL);
	cr_assert_eq(sdnfv_ring_create("dup", 8, SOCKET_ID_ANY, 0, &r), 0);
	cr_expect_eq(sdnfv_ring_create("dup", 8, SOCKET_ID_ANY, 0, &dup), -EEXIST);
	sdnfv_ring_free(r);
	sdnfv_ring_free(NULL);
}

Test(ring, lookup_refuses_a_memzone_that_is_not_a_ring)
{
	struct sdnfv_ring *r = NULL;
	const struct rte_memzone *mz = rte_memzone_reserve("notaring", 4096, SOCKET_ID_ANY, 0);
	const struct rte_memzone *tiny = rte_memzone_reserve("tiny", 8, SOCKET_ID_ANY, 0);

	cr_assert_not_null(mz);
	cr_assert_not_null(tiny);
	memset(mz->addr, 0x5a, 4096);
	cr_expect_eq(sdnfv_ring_lookup("notaring", &r), -EPROTO);
	cr_expect_eq(sdnfv_ring_lookup("tiny", &r), -EPROTO);
	rte_memzone_free(mz);
	rte_memzone_free(tiny);
}

Test(ring, wraps_around_the_end_of_its_slots)
{
	struct sdnfv_ring *r = make_ring("wrap", 16);
	void *in[12], *out[12];
	unsigned int round, i;

	/* 12 at a time through 16 slots: every copy after the first round splits at the end. */
	for (round = 0; round < 100; round++) {
		for (i = 0; i < 12; i++)
			in[i] = token(round * 12 + i);
		cr_assert_eq(sdnfv_ring_sp_enqueue_bulk(r, in, 12, NULL), 12);
		cr_assert_eq(sdnfv_ring_sc_dequeue_bulk(r, out, 12, NULL), 12);
		cr_assert_arr_eq(out, in, sizeof(in), "round %u", round);
	}
	sdnfv_ring_free(r);
}

Test(ring, keeps_its_order_when_the_indices_wrap_past_32_bits)
{
	struct sdnfv_ring *r = make_ring("idxwrap", 8);
	void *in[5], *out[5];
	unsigned int round, i;

	/* Start both indices just below 2^32 (a ring that has carried 4 billion objects). */
	r->prod.idx = r->prod.other = r->cons.idx = r->cons.other = UINT32_MAX - 7;
	for (round = 0; round < 10; round++) {
		for (i = 0; i < 5; i++)
			in[i] = token(round * 5 + i);
		cr_assert_eq(sdnfv_ring_sp_enqueue_burst(r, in, 5, NULL), 5);
		cr_assert_eq(sdnfv_ring_count(r), 5);
		cr_assert_eq(sdnfv_ring_sc_dequeue_burst(r, out, 5, NULL), 5);
		cr_assert_arr_eq(out, in, sizeof(in), "round %u", round);
	}
	sdnfv_ring_free(r);
}
