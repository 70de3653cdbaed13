/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring benchmark: enqueue + dequeue cost per object of the sdnfv SP/SC ring against DPDK's
 * rte_ring in SP/SC mode, in the same run, on the same lcores.
 *
 *  1 core:  one thread enqueues a burst and dequeues it again, over and over.
 *  2 cores: a producer lcore enqueues bursts while the main lcore dequeues them; cycles are the
 *           consumer's wall-clock TSC cycles for the whole transfer divided by the objects.
 *
 * Runs alternate sdnfv and rte_ring so both see the same machine noise; each figure is the median
 * of the runs. Prints `bench: ring_burst<B>_<1|2>core <cycles> cycles` for each ring and
 * `bench: ring_burst<B>_<1|2>core ratio <x> vs rte_ring` (x = rte_ring cycles / sdnfv cycles:
 * above 1 means the sdnfv ring is faster).
 *
 * usage: bench_ring [--quick]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <sdnfv/ring.h>

#include "bench.h"
#include "eal.h"

#define RING_SIZE 1024
#define MAX_BURST 64

static const unsigned int bursts[] = { 1, 8, 32, 64 };
static unsigned int runs = 9;
static uint64_t objs_1core = 1u << 24;
static uint64_t objs_2core = 1u << 24;

enum kind { SDNFV, RTE };

struct pair {
	struct sdnfv_ring *s;
	struct rte_ring *r;
};

static inline unsigned int
enq(enum kind k, struct pair *p, void **objs, unsigned int n)
{
	if (k == SDNFV)
		return sdnfv_ring_sp_enqueue_burst(p->s, objs, n, NULL);
	return rte_ring_sp_enqueue_burst(p->r, objs, n, NULL);
}

static inline unsigned int
deq(enum kind k, struct pair *p, void **objs, unsigned int n)
{
	if (k == SDNFV)
		return sdnfv_ring_sc_dequeue_burst(p->s, objs, n, NULL);
	return rte_ring_sc_dequeue_burst(p->r, objs, n, NULL);
}

static volatile uint64_t sink;

/* The kind is a compile-time constant in each instance: no branch in the loop. */
#define ONE_CORE_LOOP(K)                                           \
	static double one_core_##K(struct pair *p, unsigned int b) \
	{                                                          \
		void *in[MAX_BURST], *out[MAX_BURST];              \
		uint64_t iters = objs_1core / b, i, t0, acc = 0;   \
		unsigned int j;                                    \
                                                                   \
		for (j = 0; j < b; j++)                            \
			in[j] = (void *)(uintptr_t)(j + 1);        \
		t0 = rte_rdtsc_precise();                          \
		for (i = 0; i < iters; i++) {                      \
			enq(K, p, in, b);                          \
			acc += deq(K, p, out, b);                  \
			acc += (uintptr_t)out[0];                  \
		}                                                  \
		t0 = rte_rdtsc_precise() - t0;                     \
		sink += acc;                                       \
		return (double)t0 / (double)(iters * b);           \
	}
ONE_CORE_LOOP(SDNFV)
ONE_CORE_LOOP(RTE)

struct two_core {
	struct pair *p;
	enum kind k;
	unsigned int b;
	uint64_t n;
	volatile int go;
	volatile int ready;
};

static int
producer(void *arg)
{
	struct two_core *t = (struct two_core *)arg;
	void *in[MAX_BURST];
	uint64_t sent = 0;
	unsigned int j;

	for (j = 0; j < t->b; j++)
		in[j] = (void *)(uintptr_t)(j + 1);
	t->ready = 1;
	while (!t->go)
		rte_pause();
	while (sent < t->n) {
		unsigned int want = (unsigned int)RTE_MIN((uint64_t)t->b, t->n - sent);

		sent += enq(t->k, t->p, in, want);
	}
	return 0;
}

static double
two_core(struct pair *p, enum kind k, unsigned int b, unsigned int worker)
{
	struct two_core t = { .p = p, .k = k, .b = b, .n = objs_2core / b * b };
	void *out[MAX_BURST];
	uint64_t got = 0, t0, acc = 0;

	rte_eal_remote_launch(producer, &t, worker);
	while (!t.ready)
		rte_pause();
	t0 = rte_rdtsc_precise();
	t.go = 1;
	while (got < t.n) {
		unsigned int k2 = deq(k, p, out, b);

		if (k2 != 0)
			acc += (uintptr_t)out[0];
		got += k2;
	}
	t0 = rte_rdtsc_precise() - t0;
	rte_eal_wait_lcore(worker);
	sink += acc;
	return (double)t0 / (double)t.n;
}

static void
report(const char *name, double ours, double peer)
{
	printf("bench: %s %.2f cycles\n", name, ours);
	printf("bench: %s_rte_ring %.2f cycles\n", name, peer);
	printf("bench: %s ratio %.3f vs rte_ring\n", name, peer / ours);
}

int
main(int argc, char **argv)
{
	struct sdnfv_test_eal opt = { .lcores = "0@0,1@1" };
	struct pair p;
	double ours[32], peer[32];
	unsigned int bi, r, worker;
	char name[64];
	bool two = sysconf(_SC_NPROCESSORS_ONLN) > 1;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		runs = 3;
		objs_1core = objs_2core = 1u << 16;
	}
	if (!two)
		opt.lcores = "0";
	if (sdnfv_test_eal_init(&opt) < 0) {
		fprintf(stderr, "bench_ring: EAL init failed\n");
		return 1;
	}
	if (sdnfv_ring_create("bench_sdnfv", RING_SIZE, rte_socket_id(), 0, &p.s) != 0)
		return 1;
	p.r = rte_ring_create("bench_rte", RING_SIZE, rte_socket_id(),
			      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (p.r == NULL)
		return 1;
	printf("# %u runs per figure, medians; TSC %.2f GHz\n", runs, rte_get_tsc_hz() / 1e9);

	/* Warm up: fault in both rings' pages and the code before the first timed run. */
	one_core_SDNFV(&p, 32);
	one_core_RTE(&p, 32);

	for (bi = 0; bi < RTE_DIM(bursts); bi++) {
		for (r = 0; r < runs; r++) {
			ours[r] = one_core_SDNFV(&p, bursts[bi]);
			peer[r] = one_core_RTE(&p, bursts[bi]);
		}
		snprintf(name, sizeof(name), "ring_burst%u_1core", bursts[bi]);
		report(name, bench_median(ours, runs), bench_median(peer, runs));
	}

	worker = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	if (!two || worker >= RTE_MAX_LCORE) {
		printf("# one CPU only: no 2-core figures\n");
	} else {
		for (bi = 0; bi < RTE_DIM(bursts); bi++) {
			for (r = 0; r < runs; r++) {
				ours[r] = two_core(&p, SDNFV, bursts[bi], worker);
				peer[r] = two_core(&p, RTE, bursts[bi], worker);
			}
			snprintf(name, sizeof(name), "ring_burst%u_2core", bursts[bi]);
			report(name, bench_median(ours, runs), bench_median(peer, runs));
		}
	}
	sdnfv_ring_free(p.s);
	rte_ring_free(p.r);
	sdnfv_test_eal_cleanup();
	return 0;
}
