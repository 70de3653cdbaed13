/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule classification benchmark: cycles (TSC) per packet to classify flow-cache misses through
 * the public flow table (sdnfv_flow_lookup_burst() on a table with no cache, bursts of 64 keys),
 * against rte_acl built directly on the same rules (the conventional 5-tuple input layout of
 * DPDK's ACL guide, bursts of 64), and against a linear scan (rules sorted by priority, first
 * sdnfv_flow_match_key() match). Medians of several runs, alternating the three.
 *
 * Rule sets are ClassBench-style IPv4 5-tuple ACLs (after the "acl" seeds of Taylor and Turner's
 * ClassBench), generated here:
 *  - addresses come from 64 random /16 "networks", each with 8 /24 "subnets", so rules nest and
 *    overlap as in real ACLs;
 *  - source prefix length 0 (25%), 8 (5%), 16 (10%), 24 (25%), 28 (5%), 32 (30%); destination
 *    prefix length 0 (5%), 16 (10%), 24 (30%), 28 (5%), 32 (50%);
 *  - protocol TCP (60%), UDP (30%), any (10%, no ports);
 *  - source port wildcard (80%), exact ephemeral value (10%), masked block (10%); destination
 *    port wildcard (25%), well-known exact (45%: 80, 443, 22, 25, 53, 123, 161, 389, 3306,
 *    8080), random exact (15%), masked block (15%: 1024/0xfc00, 6000/0xfff0, 8000/0xff00, ...).
 *    ClassBench's arbitrary ranges would expand into several masked rules; one block is kept;
 *  - unique priorities in list order, as an ACL's first match.
 * Keys: 90% drawn inside a random rule (its prefixes and masked bits kept, the rest random), 10%
 * uniformly random, so most keys match one rule or several.
 *
 * Then rule updates per second: on a 10K-rule table, the main lcore deletes a random rule and
 * adds a new one, over and over (each counts as one update; sdnfv_flow_maintain() every 64
 * updates), while a reader on the other lcore classifies without pause. The reader's keys/s is
 * printed for that run, for a writer paced at 10K updates/s, and for a quiet table, since a
 * writer faster than rte_acl compiles leaves more rules in the delta that every lookup scans.
 *
 * Prints `bench: flow_classify_<1K|10K> <cycles> cycles`, the same with `_rte_acl` and `_linear`,
 * `bench: flow_classify_<n> ratio <x> vs rte_acl|linear` (x = the peer's cycles / ours: above 1
 * means the table is faster), `bench: flow_rule_updates <n> updates/s` and the reader's
 * `bench: flow_reader_during_max_updates|flow_reader_during_10K_updates|flow_reader_quiet <x>
 * Mkeys/s`.
 *
 * usage: bench_flow_classify [--quick]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include <sdnfv/flow.h>

#include "bench.h"
#include "eal.h"
#include "flow/flow_internal.h"
#include "rng.h"

#define BURST  SDNFV_FLOW_BURST_MAX
#define N_KEYS (1u << 16)

static unsigned int runs = 9;
static uint64_t lookups = 1u << 21; /* per run, for the table and rte_acl */
static double update_seconds = 1.0; /* per run of the update benchmark */
static volatile uint64_t sink;

/* ---- a small deterministic random source ------------------------------------------------------ */

static struct rng rng = { 0x2545f4914f6cdd1dull };

static uint64_t
rnd(void)
{
	return rng_next(&rng);
}

static uint32_t
below(uint32_t n)
{
	return rng_below(&rng, n);
}

/* Pick from a distribution given as cumulative percentages. */
static unsigned int
pick(const unsigned int *cum, unsigned int n)
{
	unsigned int r = below(100), i;

	for (i = 0; i < n - 1; i++)
		if (r < cum[i])
			return i;
	return n - 1;
}

/* ---- ClassBench-style rules ------------------------------------------------------------------- */

static uint32_t networks[64];

static uint32_t
gen_addr(void)
{
	return networks[below(64)] | (below(8) << 8) | below(256);
}

static uint32_t
plen_mask(unsigned int plen)
{
	return plen == 0 ? 0 : (uint32_t)(~0ull << (32 - plen));
}

static void
gen_port(bool src, uint16_t *v, uint16_t *m)
{
	static const uint16_t wk[] = { 80, 443, 22, 25, 53, 123, 161, 389, 3306, 8080 };
	static const uint16_t bv[] = { 1024, 6000, 8000, 0x8000, 5060, 0x4000 };
	static const uint16_t bm[] = { 0xfc00, 0xfff0, 0xff00, 0x8000, 0xfffc, 0xc000 };
	unsigned int r = below(100), b;

	if (src) {
		if (r < 80) {
			*v = *m = 0;
		} else if (r < 90) {
			*v = (uint16_t)(32768 + below(28000));
			*m = 0xffff;
		} else {
			b = below(RTE_DIM(bv));
			*v = bv[b] & bm[b];
			*m = bm[b];
		}
		return;
	}
	if (r < 25) {
		*v = *m = 0;
	} else if (r < 70) {
		*v = wk[below(RTE_DIM(wk))];
		*m = 0xffff;
	} else if (r < 85) {
		*v = (uint16_t)below(65536);
		*m = 0xffff;
	} else {
		b = below(RTE_DIM(bv));
		*v = bv[b] & bm[b];
		*m = bm[b];
	}
}

static void
gen_rule(struct sdnfv_flow_rule *r, uint16_t prio, uint64_t user)
{
	static const unsigned int src_cum[] = { 25, 30, 40, 65, 70, 100 };
	static const uint8_t src_len[] = { 0, 8, 16, 24, 28, 32 };
	static const unsigned int dst_cum[] = { 5, 15, 45, 50, 100 };
	static const uint8_t dst_len[] = { 0, 16, 24, 28, 32 };
	struct sdnfv_flow_match *m = &r->match;
	unsigned int p = below(100);
	uint16_t v, k;

	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	r->priority = prio;
	r->action.type = SDNFV_FLOW_ACT_USER;
	r->action.user = user;
	m->fields = SDNFV_FLOW_M_ETH_TYPE;
	m->eth_type = 0x0800;
	m->src_plen = src_len[pick(src_cum, RTE_DIM(src_cum))];
	m->dst_plen = dst_len[pick(dst_cum, RTE_DIM(dst_cum))];
	if (m->src_plen > 0) {
		m->fields |= SDNFV_FLOW_M_SRC;
		m->src.v4 = rte_cpu_to_be_32(gen_addr() & plen_mask(m->src_plen));
	}
	if (m->dst_plen > 0) {
		m->fields |= SDNFV_FLOW_M_DST;
		m->dst.v4 = rte_cpu_to_be_32(gen_addr() & plen_mask(m->dst_plen));
	}
	if (p >= 90)
		return; /* any protocol */
	m->fields |= SDNFV_FLOW_M_IP_PROTO;
	m->ip_proto = p < 60 ? 6 : 17;
	gen_port(true, &v, &k);
	if (k != 0) {
		m->fields |= SDNFV_FLOW_M_SPORT;
		m->sport = v;
		m->sport_mask = k;
	}
	gen_port(false, &v, &k);
	if (k != 0) {
		m->fields |= SDNFV_FLOW_M_DPORT;
		m->dport = v;
		m->dport_mask = k;
	}
}

static void
gen_key(const struct sdnfv_flow_rule *near, struct sdnfv_flow_key *k)
{
	const struct sdnfv_flow_match *m = &near->match;
	uint32_t src = gen_addr(), dst = gen_addr(), sm, dm;
	uint16_t sp = (uint16_t)rnd(), dp = (uint16_t)rnd();

	memset(k, 0, sizeof(*k));
	k->eth_type = 0x0800;
	k->ip_proto = below(10) < 7 ? 6 : 17;
	if (below(100) < 90) {
		sm = (m->fields & SDNFV_FLOW_M_SRC) ? plen_mask(m->src_plen) : 0;
		dm = (m->fields & SDNFV_FLOW_M_DST) ? plen_mask(m->dst_plen) : 0;
		src = (rte_be_to_cpu_32(m->src.v4) & sm) | (src & ~sm);
		dst = (rte_be_to_cpu_32(m->dst.v4) & dm) | (dst & ~dm);
		if (m->fields & SDNFV_FLOW_M_IP_PROTO)
			k->ip_proto = m->ip_proto;
		if (m->fields & SDNFV_FLOW_M_SPORT)
			sp = (uint16_t)((m->sport & m->sport_mask) | (sp & ~m->sport_mask));
		if (m->fields & SDNFV_FLOW_M_DPORT)
			dp = (uint16_t)((m->dport & m->dport_mask) | (dp & ~m->dport_mask));
	}
	k->src.v4 = rte_cpu_to_be_32(src);
	k->dst.v4 = rte_cpu_to_be_32(dst);
	k->sport = rte_cpu_to_be_16(sp);
	k->dport = rte_cpu_to_be_16(dp);
}

/* ---- rte_acl, built directly on the rules ----------------------------------------------------- */

struct ref_key {
	uint8_t proto;
	uint32_t src; /* network order, as rte_acl wants its input */
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
};

enum { RF_PROTO, RF_SRC, RF_DST, RF_SPORT, RF_DPORT, RF_N };
RTE_ACL_RULE_DEF(ref_rule, RF_N);

static struct rte_acl_ctx *
ref_build(const struct sdnfv_flow_rule *rules, uint32_t n, double *build_ms)
{
	static unsigned int seq;
	struct rte_acl_config cfg;
	struct rte_acl_param prm;
	struct ref_rule *rr = calloc(n, sizeof(*rr));
	struct rte_acl_ctx *ctx;
	char name[RTE_ACL_NAMESIZE];
	uint64_t t0;
	uint32_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.num_categories = 1;
	cfg.num_fields = RF_N;
	cfg.defs[RF_PROTO] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 1, RF_PROTO, 0,
							 offsetof(struct ref_key, proto) };
	cfg.defs[RF_SRC] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_MASK, 4, RF_SRC, 1,
						       offsetof(struct ref_key, src) };
	cfg.defs[RF_DST] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_MASK, 4, RF_DST, 2,
						       offsetof(struct ref_key, dst) };
	cfg.defs[RF_SPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 2, RF_SPORT, 3,
							 offsetof(struct ref_key, sport) };
	cfg.defs[RF_DPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 2, RF_DPORT, 3,
							 offsetof(struct ref_key, dport) };
	for (i = 0; i < n; i++) {
		const struct sdnfv_flow_match *m = &rules[i].match;

		rr[i].data.category_mask = 1;
		rr[i].data.priority = rules[i].priority + 1;
		rr[i].data.userdata = i + 1;
		if (m->fields & SDNFV_FLOW_M_IP_PROTO) {
			rr[i].field[RF_PROTO].value.u8 = m->ip_proto;
			rr[i].field[RF_PROTO].mask_range.u8 = 0xff;
		}
		if (m->fields & SDNFV_FLOW_M_SRC) {
			rr[i].field[RF_SRC].value.u32 = rte_be_to_cpu_32(m->src.v4);
			rr[i].field[RF_SRC].mask_range.u32 = m->src_plen;
		}
		if (m->fields & SDNFV_FLOW_M_DST) {
			rr[i].field[RF_DST].value.u32 = rte_be_to_cpu_32(m->dst.v4);
			rr[i].field[RF_DST].mask_range.u32 = m->dst_plen;
		}
		if (m->fields & SDNFV_FLOW_M_SPORT) {
			rr[i].field[RF_SPORT].value.u16 = m->sport;
			rr[i].field[RF_SPORT].mask_range.u16 = m->sport_mask;
		}
		if (m->fields & SDNFV_FLOW_M_DPORT) {
			rr[i].field[RF_DPORT].value.u16 = m->dport;
			rr[i].field[RF_DPORT].mask_range.u16 = m->dport_mask;
		}
	}
	snprintf(name, sizeof(name), "bench_ref%u", seq++);
	memset(&prm, 0, sizeof(prm));
	prm.name = name;
	prm.socket_id = SOCKET_ID_ANY;
	prm.rule_size = RTE_ACL_RULE_SZ(RF_N);
	prm.max_rule_num = n;
	ctx = rte_acl_create(&prm);
	t0 = rte_rdtsc();
	if (ctx == NULL || rte_acl_add_rules(ctx, (const struct rte_acl_rule *)rr, n) != 0 ||
	    rte_acl_build(ctx, &cfg) != 0) {
		fprintf(stderr, "bench_flow_classify: rte_acl build failed\n");
		exit(1);
	}
	*build_ms = (double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz();
	free(rr);
	return ctx;
}

/* ---- the three classifiers -------------------------------------------------------------------- */

static double
run_table(struct sdnfv_flow_reader *r, const struct sdnfv_flow_key *keys)
{
	struct sdnfv_flow_result res[BURST];
	uint64_t done, t0, acc = 0;

	t0 = rte_rdtsc_precise();
	for (done = 0; done < lookups; done += BURST) {
		acc += sdnfv_flow_lookup_burst(r, keys + (done % N_KEYS), NULL, BURST, 0, res,
					       NULL);
		acc += res[0].rule_id;
	}
	t0 = rte_rdtsc_precise() - t0;
	sdnfv_flow_reader_quiescent(r);
	sink += acc;
	return (double)t0 / (double)lookups;
}

static double
run_acl(const struct rte_acl_ctx *ctx, const uint8_t *const *data)
{
	uint32_t res[BURST];
	uint64_t done, t0, acc = 0;

	t0 = rte_rdtsc_precise();
	for (done = 0; done < lookups; done += BURST) {
		rte_acl_classify(ctx, (const uint8_t **)(uintptr_t)(data + (done % N_KEYS)), res,
				 BURST, 1);
		acc += res[0];
	}
	t0 = rte_rdtsc_precise() - t0;
	sink += acc;
	return (double)t0 / (double)lookups;
}

static double
run_linear(const struct sdnfv_flow_rule *sorted, uint32_t n, const struct sdnfv_flow_key *keys,
	   uint32_t n_keys)
{
	uint64_t t0, acc = 0;
	uint32_t i, j;

	t0 = rte_rdtsc_precise();
	for (i = 0; i < n_keys; i++) {
		for (j = 0; j < n; j++)
			if (sdnfv_flow_match_key(&sorted[j].match, &keys[i]))
				break;
		acc += j;
	}
	t0 = rte_rdtsc_precise() - t0;
	sink += acc;
	return (double)t0 / (double)n_keys;
}

static struct sdnfv_flow_table *
make_table(uint32_t max_rules, uint32_t readers)
{
	struct sdnfv_flow_table_params p;
	struct sdnfv_flow_table *t;

	memset(&p, 0, sizeof(p));
	p.sz = sizeof(p);
	p.name = "bench";
	p.socket_id = (int)rte_socket_id();
	p.max_rules = max_rules;
	p.max_readers = readers;
	if (sdnfv_flow_table_create(&p, &t) != 0) {
		fprintf(stderr, "bench_flow_classify: table create failed\n");
		exit(1);
	}
	return t;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One rule-set size: build all three, check they agree, time them. */
static void
bench_size(uint32_t n, const char *label)
{
	struct sdnfv_flow_rule *rules = malloc(sizeof(*rules) * n);
	struct sdnfv_flow_key *keys = malloc(sizeof(*keys) * N_KEYS);
	struct ref_key *rk = malloc(sizeof(*rk) * N_KEYS);
	const uint8_t **data = malloc(sizeof(*data) * N_KEYS);
	uint32_t n_linear = n >= 10000 ? 1024 : 4096, i, disagree = 0, matched = 0;
	double ours[32], acl[32], lin[32], acl_ms, sync_s;
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_reader *r;
	struct rte_acl_ctx *ctx;
	char name[64];

	for (i = 0; i < n; i++)
		gen_rule(&rules[i], (uint16_t)(n - i), i + 1); /* the list's first rule wins */
	for (i = 0; i < N_KEYS; i++) {
		gen_key(&rules[below(n)], &keys[i]);
		memset(&rk[i], 0, sizeof(rk[i]));
		rk[i].proto = keys[i].ip_proto;
		rk[i].src = keys[i].src.v4;
		rk[i].dst = keys[i].dst.v4;
		rk[i].sport = keys[i].sport;
		rk[i].dport = keys[i].dport;
		data[i] = (const uint8_t *)&rk[i];
	}

	ctx = ref_build(rules, n, &acl_ms);
	t = make_table(n + 1024, 2);
	for (i = 0; i < n; i++)
		if (sdnfv_flow_add(t, &rules[i]) != 0) {
			fprintf(stderr, "bench_flow_classify: add failed\n");
			exit(1);
		}
	sync_s = now_s();
	flow_cls_sync(t->cls);
	sync_s = now_s() - sync_s;
	if (sdnfv_flow_reader_register(t, &r) != 0)
		exit(1);

	/* Same answers from both (priorities are unique, so the winner is one rule). */
	for (i = 0; i < N_KEYS; i += BURST) {
		struct sdnfv_flow_result res[BURST];
		uint32_t ref[BURST], j;

		sdnfv_flow_lookup_burst(r, keys + i, NULL, BURST, 0, res, NULL);
		rte_acl_classify(ctx, data + i, ref, BURST, 1);
		for (j = 0; j < BURST; j++) {
			uint64_t a = res[j].action != NULL ? res[j].action->user : 0;

			disagree += a != ref[j];
			matched += a != 0;
		}
	}
	printf("# %s rules: rte_acl build %.1f ms, table compile %.1f ms; %.1f%% of keys match; "
	       "%u answers differ from rte_acl\n",
	       label, acl_ms, sync_s * 1e3, 100.0 * matched / N_KEYS, disagree);

	run_table(r, keys); /* warm up */
	run_acl(ctx, data);
	for (i = 0; i < runs; i++) {
		ours[i] = run_table(r, keys);
		acl[i] = run_acl(ctx, data);
		lin[i] = run_linear(rules, n, keys, n_linear);
	}
	snprintf(name, sizeof(name), "flow_classify_%s", label);
	{
		double o = bench_median(ours, runs), a = bench_median(acl, runs),
		       l = bench_median(lin, runs);

		printf("bench: %s %.1f cycles\n", name, o);
		printf("bench: %s_rte_acl %.1f cycles\n", name, a);
		printf("bench: %s_linear %.1f cycles\n", name, l);
		printf("bench: %s ratio %.3f vs rte_acl\n", name, a / o);
		printf("bench: %s ratio %.3f vs linear\n", name, l / o);
	}
	sdnfv_flow_reader_unregister(r);
	sdnfv_flow_table_free(t);
	rte_acl_free(ctx);
	free(rules);
	free(keys);
	free(rk);
	free(data);
}

/* ---- updates with a reader running ------------------------------------------------------------ */

struct upd_reader {
	struct sdnfv_flow_table *t;
	const struct sdnfv_flow_key *keys;
	volatile int stop;
	volatile int ready;
	uint64_t lookups;
	int error;
};

static int
reader_lcore(void *arg)
{
	struct upd_reader *u = arg;
	struct sdnfv_flow_reader *r;
	struct sdnfv_flow_result res[BURST];
	uint64_t i = 0, acc = 0;

	if (sdnfv_flow_reader_register(u->t, &r) != 0) {
		u->error = 1;
		u->ready = 1;
		return 0;
	}
	u->ready = 1;
	while (!u->stop) {
		acc += sdnfv_flow_lookup_burst(r, u->keys + (i % N_KEYS), NULL, BURST, 0, res,
					       NULL);
		i += BURST;
		sdnfv_flow_reader_quiescent(r);
	}
	u->lookups = i;
	sink += acc;
	sdnfv_flow_reader_unregister(r);
	return 0;
}

/* One run: a 10K-rule table, delete + add pairs for `seconds`, at most `pace` updates/s (0: as
 * fast as the writer goes; negative: no updates), maintain every 64 updates. Returns updates/s; the reader's keys/s and
 * the rebuilds installed go to *rd and *rebuilds. */
static double
update_run(unsigned int worker, double pace, double seconds, struct sdnfv_flow_rule *rules,
	   struct sdnfv_flow_key *keys, double *rd, double *rebuilds)
{
	const uint32_t n = 10000;
	struct sdnfv_flow_table *t = make_table(n + 4096, 2);
	struct upd_reader u = { .t = t, .keys = keys };
	uint64_t updates = 0, tag = n + 1, rc0;
	double t0, el;
	uint32_t i;

	for (i = 0; i < n; i++)
		gen_rule(&rules[i], (uint16_t)below(65536), i + 1);
	for (i = 0; i < N_KEYS; i++)
		gen_key(&rules[below(n)], &keys[i]);
	for (i = 0; i < n; i++)
		if (sdnfv_flow_add(t, &rules[i]) != 0)
			exit(1);
	flow_cls_sync(t->cls);
	rc0 = flow_cls_recompiles(t->cls);
	if (worker < RTE_MAX_LCORE) {
		rte_eal_remote_launch(reader_lcore, &u, worker);
		while (!u.ready)
			rte_pause();
	}
	t0 = now_s();
	do {
		unsigned int k;

		if (pace < 0) { /* a quiet table: the reader alone */
			usleep(10000);
			el = now_s() - t0;
			continue;
		}
		for (k = 0; k < 64; k += 2) {
			struct sdnfv_flow_select s;
			uint32_t j = below(n);

			memset(&s, 0, sizeof(s));
			s.sz = sizeof(s);
			s.strict = true;
			s.match = rules[j].match;
			s.priority = rules[j].priority;
			sdnfv_flow_delete(t, &s);
			gen_rule(&rules[j], (uint16_t)below(65536), tag++);
			sdnfv_flow_add(t, &rules[j]);
			updates += 2;
		}
		sdnfv_flow_maintain(t, 0);
		el = now_s() - t0;
		if (pace > 0) { /* sleep off what the writer is ahead of its pace */
			double ahead = (double)updates / pace - el;

			if (ahead > 0)
				usleep((useconds_t)(ahead * 1e6));
			el = now_s() - t0;
		}
	} while (el < seconds);
	u.stop = 1;
	if (worker < RTE_MAX_LCORE)
		rte_eal_wait_lcore(worker);
	*rd = (double)u.lookups / el;
	*rebuilds = (double)(flow_cls_recompiles(t->cls) - rc0);
	sdnfv_flow_table_free(t);
	return (double)updates / el;
}

static void
bench_updates(unsigned int worker)
{
	struct sdnfv_flow_rule *rules = malloc(sizeof(*rules) * 10000);
	struct sdnfv_flow_key *keys = malloc(sizeof(*keys) * N_KEYS);
	double rate[32], rd[32], rb[32], quiet_rd[32], quiet_rb[32], paced_rd[32], paced_rb[32];
	unsigned int run;

	for (run = 0; run < runs; run++) {
		rate[run] = update_run(worker, 0, update_seconds, rules, keys, &rd[run], &rb[run]);
		update_run(worker, -1, update_seconds, rules, keys, &quiet_rd[run], &quiet_rb[run]);
		update_run(worker, 10000, update_seconds, rules, keys, &paced_rd[run],
			   &paced_rb[run]);
	}
	printf("# updates on a 10K-rule table: delete + add pairs, maintain every 64 updates, a "
	       "reader classifying on the other lcore; %.0f rebuilds per %.1f s run at full speed, "
	       "%.0f at 10K updates/s\n",
	       bench_median(rb, runs), update_seconds, bench_median(paced_rb, runs));
	printf("bench: flow_rule_updates %.0f updates/s\n", bench_median(rate, runs));
	printf("bench: flow_reader_during_max_updates %.2f Mkeys/s\n",
	       bench_median(rd, runs) / 1e6);
	printf("bench: flow_reader_during_10K_updates %.2f Mkeys/s\n",
	       bench_median(paced_rd, runs) / 1e6);
	printf("bench: flow_reader_quiet %.2f Mkeys/s\n", bench_median(quiet_rd, runs) / 1e6);
	free(rules);
	free(keys);
}

int
main(int argc, char **argv)
{
	struct sdnfv_test_eal opt = { .lcores = "0@0,1@1" };
	bool two = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	unsigned int worker, i;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		runs = 3;
		lookups = 1u << 16;
		update_seconds = 0.1;
	}
	if (!two)
		opt.lcores = "0";
	if (sdnfv_test_eal_init(&opt) < 0) {
		fprintf(stderr, "bench_flow_classify: EAL init failed\n");
		return 1;
	}
	for (i = 0; i < 64; i++)
		networks[i] = (uint32_t)rnd() & 0xffff0000u;
	printf("# %u runs per figure, medians; TSC %.2f GHz; keys in bursts of %u\n", runs,
	       rte_get_tsc_hz() / 1e9, BURST);
	bench_size(1000, "1K");
	bench_size(10000, "10K");
	worker = rte_get_next_lcore(rte_lcore_id(), 1, 0);
	if (!two)
		printf("# one CPU only: the update reader shares it\n");
	bench_updates(two ? worker : RTE_MAX_LCORE);
	sdnfv_test_eal_cleanup();
	return 0;
}
