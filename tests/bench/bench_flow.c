/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table benchmark, through the public API, against DPDK's rte_hash in the same run.
 *
 *  flow_lookup_<N>: cached-flow lookups. N flows are inserted in the table's cache (16 rules cover
 *    them); keys are then looked up in bursts of 32, in a random order, with
 *    sdnfv_flow_lookup_burst() — which also checks each cached decision is still valid, fetches
 *    the rule's action and counts the packet. The peer is rte_hash_lookup_bulk() over the same
 *    keys in the same order, on an rte_hash of N entries with 48-byte keys (default flags,
 *    rte_hash_crc). A key rte_hash refuses when full (it does, at its nominal size) is left out of
 *    both tables' lookups; a flow the cache evicted is looked up all the same (a miss, classified),
 *    and both counts are printed. Ratio = our lookups per second / rte_hash's.
 *  flow_setup: new flows per second on one core: for fresh keys, a lookup (a miss, classified
 *    against 1K rules), then sdnfv_flow_insert() of each.
 *  flow_exact_churn: the reactive controller's workload. A reader looks up a cached working set
 *    of 64K flows (16 wildcard rules cover them) in bursts of 32 with LOOKUP_LEARN, while a writer
 *    thread on the second lcore adds exact rules (every field of one key pinned, priority above
 *    the wildcard rules) for other keys at 100K adds/s, in batches of 100 every millisecond, and
 *    deletes the oldest (strict) to keep 20K of them; it calls sdnfv_flow_maintain() after each
 *    batch. The same run without adds (the writer still maintains every millisecond) is the
 *    peer: `flow_exact_churn_idle` and `flow_exact_churn_100k` in Mlookups/s, ratio = with adds /
 *    without (1 means the adds cost the readers nothing).
 *
 * Runs alternate ours and the peer; each figure is the median. Prints `bench:` lines.
 * usage: bench_flow [--quick] [--exact]   (--exact: only flow_exact_churn)
 */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <sdnfv/flow.h>

#include "bench.h"
#include "eal.h"

#define BURST 32

static unsigned int runs = 7;
static uint64_t lookups_per_run = 1u << 24;
static volatile uint64_t sink;

static uint64_t
rnd(uint64_t *s)
{
	/* xorshift64*: enough for benchmark keys */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* Flow i: a TCP/IPv4 5-tuple from 10.0.0.0/8 to 192.168.0.0/16, unique per i (the source's low
 * 24 bits are i times an odd constant: a bijection), the other fields drawn from `salt`. Keys that
 * differ in a few bits only would crowd CRC32's buckets (it is linear): real traffic does not. */
static void
make_key(struct sdnfv_flow_key *k, uint32_t i, uint64_t salt)
{
	memset(k, 0, sizeof(*k));
	k->eth_type = 0x0800;
	k->ip_proto = 6;
	k->in_port = (uint16_t)(i & 15);
	k->src.v4 = rte_cpu_to_be_32(0x0a000000u | ((i * 2654435761u) & 0xffffff));
	k->dst.v4 = rte_cpu_to_be_32(0xc0a80000u | (uint32_t)(salt & 0xffff));
	k->sport = rte_cpu_to_be_16((uint16_t)(salt >> 16));
	k->dport = rte_cpu_to_be_16((uint16_t)(salt >> 32));
}

static struct sdnfv_flow_table *
make_table(uint32_t max_flows, uint32_t rules)
{
	struct sdnfv_flow_table_params p = { .sz = sizeof(p),
					     .name = "bench",
					     .socket_id = (int)rte_socket_id(),
					     .max_rules = rules + 16,
					     .max_flows = max_flows,
					     .max_readers = 1,
					     .flow_idle_ms = 3600 * 1000 };
	struct sdnfv_flow_table *t = NULL;
	uint32_t i;

	if (sdnfv_flow_table_create(&p, &t) != 0)
		return NULL;
	/* `rules` rules on in_port x source prefix that together cover every key of make_key():
	 * 16 rules of 10.0.0.0/8, or 16 ports x 64 prefixes of /14 for 1024. */
	for (i = 0; i < rules; i++) {
		struct sdnfv_flow_rule r = { .sz = sizeof(r), .priority = (uint16_t)(1 + i % 100) };

		r.match.fields = SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE |
				 SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC;
		r.match.in_port = (uint16_t)(i & 15);
		r.match.eth_type = 0x0800;
		r.match.ip_proto = 6;
		r.match.src.v4 = rte_cpu_to_be_32(0x0a000000u | ((i >> 4) << 18));
		r.match.src_plen = rules > 16 ? 14 : 8;
		if (rules <= 16)
			r.match.src.v4 = rte_cpu_to_be_32(0x0a000000u);
		r.action.type = SDNFV_FLOW_ACT_PORT;
		r.action.arg = (uint16_t)(i & 3);
		if (sdnfv_flow_add(t, &r) != 0) {
			sdnfv_flow_table_free(t);
			return NULL;
		}
	}
	sdnfv_flow_maintain(t, 0);
	return t;
}

/* `stream` holds the keys in lookup order, so neither side copies keys in the timed loop: ours
 * reads contiguous bursts from it, rte_hash gets pointers into it. */
static double
ours_lookup(struct sdnfv_flow_reader *r, const struct sdnfv_flow_key *stream, uint32_t n)
{
	struct sdnfv_flow_result res[BURST];
	uint64_t t0, done = 0, hits, acc = 0;
	uint32_t pos = 0;

	t0 = rte_rdtsc_precise();
	while (done < lookups_per_run) {
		acc += sdnfv_flow_lookup_burst(r, &stream[pos], NULL, BURST, 0, res, &hits);
		acc += hits;
		sdnfv_flow_reader_quiescent(r);
		pos = pos + 2 * BURST <= n ? pos + BURST : 0;
		done += BURST;
	}
	t0 = rte_rdtsc_precise() - t0;
	sink += acc;
	return (double)done * (double)rte_get_tsc_hz() / (double)t0 / 1e6;
}

static double
peer_lookup(const struct rte_hash *h, const struct sdnfv_flow_key *stream, uint32_t n)
{
	const void *kp[BURST];
	int32_t pos_out[BURST];
	uint64_t t0, done = 0, acc = 0;
	uint32_t pos = 0, j;

	t0 = rte_rdtsc_precise();
	while (done < lookups_per_run) {
		for (j = 0; j < BURST; j++)
			kp[j] = &stream[pos + j];
		rte_hash_lookup_bulk(h, kp, BURST, pos_out);
		acc += (uint32_t)pos_out[0] + (uint32_t)pos_out[BURST - 1];
		pos = pos + 2 * BURST <= n ? pos + BURST : 0;
		done += BURST;
	}
	t0 = rte_rdtsc_precise() - t0;
	sink += acc;
	return (double)done * (double)rte_get_tsc_hz() / (double)t0 / 1e6;
}

static int
bench_lookup(uint32_t n, const char *label)
{
	struct rte_hash_parameters hp = { .name = "bench_peer",
					  .entries = n,
					  .key_len = sizeof(struct sdnfv_flow_key),
					  .hash_func = rte_hash_crc,
					  .socket_id = (int)rte_socket_id() };
	struct sdnfv_flow_key *keys = calloc(n, sizeof(*keys));
	uint32_t *order = calloc(n, sizeof(*order));
	struct sdnfv_flow_key *stream = calloc(n, sizeof(*stream));
	struct sdnfv_flow_table *t = make_table(n, 16);
	struct sdnfv_flow_reader *r = NULL;
	struct rte_hash *h = rte_hash_create(&hp);
	double ours[16], peer[16];
	uint64_t s = 0x9e3779b97f4a7c15ull;
	uint32_t i, cached, held = 0, refused = 0;
	unsigned int k;
	struct sdnfv_flow_table_info info;

	if (keys == NULL || order == NULL || stream == NULL || t == NULL || h == NULL ||
	    sdnfv_flow_reader_register(t, &r) != 0) {
		fprintf(stderr, "bench_flow: cannot set up %s flows (hugepages?)\n", label);
		return -1;
	}
	for (i = 0; i < n; i++) {
		make_key(&keys[i], i, rnd(&s));
		if (sdnfv_flow_insert(t, &keys[i]) != 0) {
			fprintf(stderr, "bench_flow: insert %u of %s failed\n", i, label);
			return -1;
		}
		if (rte_hash_add_key(h, &keys[i]) < 0)
			refused++;
		else
			order[held++] = i;
	}
	for (i = held - 1; i > 0; i--) { /* random lookup order */
		uint32_t j = (uint32_t)(rnd(&s) % (i + 1)), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < held; i++) /* the lookup stream, in that order */
		stream[i] = keys[order[i]];
	sdnfv_flow_table_info(t, &info);
	cached = info.flows;
	ours_lookup(r, stream, held); /* warm up both */
	peer_lookup(h, stream, held);
	for (k = 0; k < runs; k++) {
		ours[k] = ours_lookup(r, stream, held);
		peer[k] = peer_lookup(h, stream, held);
	}
	printf("bench: flow_lookup_%s %.2f Mlookups/s\n", label, bench_median(ours, runs));
	printf("bench: flow_lookup_%s_rte_hash %.2f Mlookups/s\n", label, bench_median(peer, runs));
	printf("bench: flow_lookup_%s ratio %.3f vs rte_hash\n", label,
	       bench_median(ours, runs) / bench_median(peer, runs));
	printf("# %s: %u of %u flows cached (evictions %lu), %u bytes per flow; rte_hash refused %u\n",
	       label, cached, n, (unsigned long)info.flow_evictions, info.bytes_per_flow, refused);
	sdnfv_flow_reader_unregister(r);
	sdnfv_flow_table_free(t);
	rte_hash_free(h);
	free(keys);
	free(order);
	free(stream);
	return 0;
}

/* New flows per second: miss -> classify (1K rules) -> insert, one core. */
static int
bench_setup(void)
{
	const uint32_t n = runs == 3 ? (1u << 14) : (1u << 20);
	struct sdnfv_flow_table *t = make_table(n, 1024);
	struct sdnfv_flow_reader *r = NULL;
	struct sdnfv_flow_key *keys = calloc(n, sizeof(*keys));
	struct sdnfv_flow_result res[BURST];
	double rate[16];
	uint64_t s = 12345;
	unsigned int k;

	if (t == NULL || keys == NULL || sdnfv_flow_reader_register(t, &r) != 0) {
		fprintf(stderr, "bench_flow: cannot set up the flow setup run\n");
		return -1;
	}
	for (k = 0; k < runs; k++) {
		uint64_t t0, misses = 0;
		uint32_t i, j;

		for (i = 0; i < n; i++)
			make_key(&keys[i], i, rnd(&s));
		t0 = rte_rdtsc_precise();
		for (i = 0; i < n; i += BURST) {
			uint64_t hits = 0;

			sdnfv_flow_lookup_burst(r, &keys[i], NULL, BURST, 0, res, &hits);
			for (j = 0; j < BURST; j++)
				if (!(hits & (1ull << j)) && res[j].action != NULL) {
					sdnfv_flow_insert(t, &keys[i + j]);
					misses++;
				}
			sdnfv_flow_reader_quiescent(r);
		}
		t0 = rte_rdtsc_precise() - t0;
		rate[k] = (double)misses * (double)rte_get_tsc_hz() / (double)t0 / 1e6;
		for (i = 0; i < n; i++) /* empty the cache for the next run */
			sdnfv_flow_remove(t, &keys[i]);
		sdnfv_flow_maintain(t, 0);
	}
	printf("bench: flow_setup %.2f Mflows/s\n", bench_median(rate, runs));
	sdnfv_flow_reader_unregister(r);
	sdnfv_flow_table_free(t);
	free(keys);
	return 0;
}

/* ---- exact rules added while readers look up cached flows -------------------------------- */

#define CHURN_FLOWS  (1u << 16)
#define CHURN_LIVE   20000u /* exact rules kept; the oldest is deleted beyond */
#define CHURN_BATCH  100u   /* adds per millisecond: 100K/s */
#define CHURN_PRIO   1000
#define CHURN_COOKIE 0xc4u

struct churn {
	struct sdnfv_flow_table *t;
	bool adds;          /* add exact rules, or only maintain */
	volatile bool stop; /* set by the reader when its run is over */
	uint64_t seq;       /* exact rules added so far (keys are derived from it) */
	uint64_t added, failed;
};

/* The exact rule of new flow `i`: every field of a TCP/IPv4 key pinned. Its keys come from
 * 172.16.0.0/12, which the working set (10.0.0.0/8) never uses. */
static void
churn_rule(uint64_t i, struct sdnfv_flow_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	r->priority = CHURN_PRIO;
	r->match.fields = SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_VLAN |
			  SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DST |
			  SDNFV_FLOW_M_SPORT | SDNFV_FLOW_M_DPORT;
	r->match.in_port = (uint16_t)(i & 15);
	r->match.eth_type = 0x0800;
	r->match.vlan_mask = 0x1fff; /* untagged */
	r->match.ip_proto = 6;
	r->match.src.v4 = rte_cpu_to_be_32(0xac100000u | (uint32_t)((i * 2654435761u) & 0xfffff));
	r->match.src_plen = 32;
	r->match.dst.v4 = rte_cpu_to_be_32(0xc0a80001u);
	r->match.dst_plen = 32;
	r->match.sport = (uint16_t)(1024 + (i >> 20));
	r->match.sport_mask = 0xffff;
	r->match.dport = 80;
	r->match.dport_mask = 0xffff;
	r->cookie = CHURN_COOKIE;
	r->action.type = SDNFV_FLOW_ACT_PORT;
	r->action.arg = (uint16_t)(i & 3);
}

static void
churn_delete(struct sdnfv_flow_table *t, uint64_t i)
{
	struct sdnfv_flow_rule r;
	struct sdnfv_flow_select sel = { .sz = sizeof(sel), .strict = true };

	churn_rule(i, &r);
	sel.match = r.match;
	sel.priority = r.priority;
	sdnfv_flow_delete(t, &sel);
}

static void
sleep_until(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The writer: a batch of adds (and deletes) every millisecond, then maintain. */
static int
churn_writer(void *arg)
{
	struct churn *c = arg;
	uint64_t next = mono_ns();

	while (!c->stop) {
		for (unsigned int j = 0; c->adds && j < CHURN_BATCH; j++) {
			struct sdnfv_flow_rule r;

			if (c->seq >= CHURN_LIVE)
				churn_delete(c->t, c->seq - CHURN_LIVE);
			churn_rule(c->seq++, &r);
			if (sdnfv_flow_add(c->t, &r) == 0)
				c->added++;
			else
				c->failed++;
		}
		sdnfv_flow_maintain(c->t, 0);
		next += 1000000;
		sleep_until(next);
	}
	return 0;
}

/* Between runs (the writer lcore done): delete every exact rule, let the classifier settle and
 * cache the working set again, so that each run starts from the same state. */
static int
churn_reset(struct churn *c, const struct sdnfv_flow_key *keys, uint32_t n)
{
	struct sdnfv_flow_select sel = { .sz = sizeof(sel),
					 .cookie = CHURN_COOKIE,
					 .cookie_mask = UINT64_MAX };
	uint64_t until;
	uint32_t i;

	if (sdnfv_flow_delete(c->t, &sel) < 0)
		return -1;
	c->seq = 0;
	until = mono_ns() + 50 * 1000000ull;
	while (mono_ns() < until) {
		sdnfv_flow_maintain(c->t, 0);
		sleep_until(mono_ns() + 1000000);
	}
	for (i = 0; i < n; i++)
		if (sdnfv_flow_insert(c->t, &keys[i]) != 0)
			return -1;
	return 0;
}

/* Mlookups/s of the reader over `ms` milliseconds, the writer running. */
static double
churn_run(struct churn *c, struct sdnfv_flow_reader *r, const struct sdnfv_flow_key *stream,
	  uint32_t n, uint64_t ms, uint64_t *hit_out)
{
	struct sdnfv_flow_result res[BURST];
	uint64_t t0, end, done = 0, hits, hit_sum = 0, acc = 0;
	uint32_t pos = 0;

	c->stop = false;
	c->added = c->failed = 0;
	if (rte_eal_remote_launch(churn_writer, c, rte_get_next_lcore(-1, 1, 0)) != 0)
		return 0;
	t0 = rte_rdtsc_precise();
	end = t0 + ms * rte_get_tsc_hz() / 1000;
	while (rte_rdtsc() < end) {
		for (unsigned int k = 0; k < 64; k++) {
			acc += sdnfv_flow_lookup_burst(r, &stream[pos], NULL, BURST,
						       SDNFV_FLOW_LOOKUP_LEARN, res, &hits);
			hit_sum += (uint64_t)__builtin_popcountll(hits);
			sdnfv_flow_reader_quiescent(r);
			pos = pos + 2 * BURST <= n ? pos + BURST : 0;
			done += BURST;
		}
	}
	t0 = rte_rdtsc_precise() - t0;
	c->stop = true;
	sdnfv_flow_reader_offline(r); /* the writer's last maintain may wait for readers */
	rte_eal_wait_lcore(rte_get_next_lcore(-1, 1, 0));
	sdnfv_flow_reader_online(r);
	sink += acc;
	*hit_out = done != 0 ? hit_sum * 1000 / done : 0;
	return (double)done * (double)rte_get_tsc_hz() / (double)t0 / 1e6;
}

static int
bench_exact_churn(void)
{
	const uint32_t n = CHURN_FLOWS;
	const uint64_t ms = runs == 3 ? 50 : 500;
	struct sdnfv_flow_table_params p = { .sz = sizeof(p),
					     .name = "bench_churn",
					     .socket_id = (int)rte_socket_id(),
					     .max_rules = 16 + CHURN_LIVE + 2 * CHURN_BATCH,
					     .max_flows = 2 * n,
					     .max_readers = 1,
					     .flow_idle_ms = 3600 * 1000 };
	struct sdnfv_flow_key *stream = calloc(n, sizeof(*stream));
	struct sdnfv_flow_table *t = NULL;
	struct sdnfv_flow_reader *r = NULL;
	struct sdnfv_flow_table_info info;
	struct churn c = { 0 };
	double idle[16], busy[16];
	uint64_t s = 0x6a09e667f3bcc909ull, hit_idle = 0, hit_busy = 0, added = 0, failed = 0;
	uint32_t i;
	unsigned int k;

	if (rte_lcore_count() < 2) {
		fprintf(stderr, "bench_flow: flow_exact_churn needs two lcores\n");
		return -1;
	}
	if (stream == NULL || sdnfv_flow_table_create(&p, &t) != 0 ||
	    sdnfv_flow_reader_register(t, &r) != 0) {
		fprintf(stderr, "bench_flow: cannot set up the exact churn run\n");
		return -1;
	}
	for (i = 0; i < 16; i++) { /* the wildcard rules of make_table(): in_port x 10.0.0.0/8 */
		struct sdnfv_flow_rule w = { .sz = sizeof(w), .priority = 1 };

		w.match.fields = SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE |
				 SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC;
		w.match.in_port = (uint16_t)i;
		w.match.eth_type = 0x0800;
		w.match.ip_proto = 6;
		w.match.src.v4 = rte_cpu_to_be_32(0x0a000000u);
		w.match.src_plen = 8;
		w.action.type = SDNFV_FLOW_ACT_PORT;
		w.action.arg = (uint16_t)(i & 3);
		if (sdnfv_flow_add(t, &w) != 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		make_key(&stream[i], i, rnd(&s));
		if (sdnfv_flow_insert(t, &stream[i]) != 0)
			return -1;
	}
	c.t = t;
	c.adds = false;
	churn_run(&c, r, stream, n, ms, &hit_idle); /* warm up */
	hit_idle = 0;
	for (k = 0; k < runs; k++) {
		uint64_t h;

		if (churn_reset(&c, stream, n) != 0)
			return -1;
		c.adds = false;
		idle[k] = churn_run(&c, r, stream, n, ms, &h);
		hit_idle += h;
		c.adds = true;
		busy[k] = churn_run(&c, r, stream, n, ms, &h);
		hit_busy += h;
		added += c.added;
		failed += c.failed;
	}
	sdnfv_flow_table_info(t, &info);
	printf("bench: flow_exact_churn_idle %.2f Mlookups/s\n", bench_median(idle, runs));
	printf("bench: flow_exact_churn_100k %.2f Mlookups/s\n", bench_median(busy, runs));
	printf("bench: flow_exact_churn ratio %.3f vs idle\n",
	       bench_median(busy, runs) / bench_median(idle, runs));
	printf("# exact churn: %lu exact rules added in %u runs of %lu ms (%lu refused), %.1f%% / "
	       "%.1f%% cache hits idle / with adds; %lu classifier rebuilds\n",
	       (unsigned long)added, runs, (unsigned long)ms, (unsigned long)failed,
	       hit_idle / 10.0 / runs, hit_busy / 10.0 / runs, (unsigned long)info.rule_recompiles);
	sdnfv_flow_reader_unregister(r);
	sdnfv_flow_table_free(t);
	free(stream);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		uint32_t n;
		const char *label;
	} sizes[] = {
		{ 1u << 10, "1K" }, { 1u << 16, "64K" }, { 1u << 20, "1M" }, { 1u << 22, "4M" }
	};
	struct sdnfv_test_eal opt = { .lcores = "0,1" };
	bool quick = false, exact_only = false;
	unsigned int i;
	int ret = 0;

	for (i = 1; i < (unsigned int)argc; i++) {
		quick |= strcmp(argv[i], "--quick") == 0;
		exact_only |= strcmp(argv[i], "--exact") == 0;
	}
	if (quick) {
		runs = 3;
		lookups_per_run = 1u << 16;
	}
	if (sdnfv_test_eal_init(&opt) < 0) {
		fprintf(stderr, "bench_flow: EAL init failed\n");
		return 1;
	}
	printf("# %u runs per figure, medians; TSC %.2f GHz\n", runs, rte_get_tsc_hz() / 1e9);
	for (i = 0; i < RTE_DIM(sizes) && ret == 0 && !exact_only; i++)
		if (!quick || sizes[i].n <= (1u << 16))
			ret = bench_lookup(sizes[i].n, sizes[i].label);
	if (ret == 0 && !exact_only)
		ret = bench_setup();
	if (ret == 0)
		ret = bench_exact_churn();
	sdnfv_test_eal_cleanup();
	return ret == 0 ? 0 : 1;
}
