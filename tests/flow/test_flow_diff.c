/* SPDX-License-Identifier: BSD-3-Clause */
/* Differential tests: the table against a linear scan over the same rules (the oracle), on
 * random rule sets, keys and update sequences, with classifier rebuilds in the middle. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "flow_test.h"

#define SEC   1000000000ull
#define BURST 32

struct diff {
	struct rng g;
	struct oracle o;
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_reader *rd;
	struct removals rm;
	struct test_clock clk;
	struct gen_opts opt;
	uint64_t tag;
	unsigned long checked;
	bool credit; /* count packets in the oracle (tie-free runs) */
	/* With a flow cache: keys recur from this pool so they hit the cache, lookups ask to
	 * learn, and the writer learns between bursts. */
	bool cache;
	struct sdnfv_flow_key pool[256];
	unsigned int pool_n;
	uint64_t cache_hits;
	uint64_t exact_seen; /* answers given by a rule of the exact tier */
	bool noise;          /* scribble on the key bytes no match looks at (gen_key_noise()) */
};

static void
fmt_key(const struct sdnfv_flow_key *k, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)k;
	size_t o = 0;
	unsigned int i;

	for (i = 0; i < sizeof(*k) && o + 3 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%02x", b[i]);
}

/* A random live rule of the oracle, or -1. */
static int
pick_live(struct diff *d)
{
	uint32_t tries;

	for (tries = 0; tries < 64 && d->o.n > 0; tries++) {
		uint32_t i = rng_below(&d->g, d->o.n);

		if (d->o.r[i].live)
			return (int)i;
	}
	return -1;
}

/* Look up a burst of keys near random live rules and hold every answer to the oracle. */
static void
check_burst(struct diff *d)
{
	struct sdnfv_flow_key keys[BURST];
	struct sdnfv_flow_result res[BURST];
	uint32_t bytes[BURST];
	unsigned int i, n_hit = 0, got;

	uint64_t hits = 0;

	for (i = 0; i < BURST; i++) {
		int near = rng_pct(&d->g, 75) ? pick_live(d) : -1;

		if (d->cache && d->pool_n > 0 && rng_pct(&d->g, 60)) {
			keys[i] = d->pool[rng_below(&d->g, d->pool_n)];
		} else {
			gen_key(&d->g, near >= 0 ? &d->o.r[near].rule.match : NULL, &keys[i]);
			if (d->noise && rng_pct(&d->g, 20))
				gen_key_noise(&d->g, &keys[i]);
			if (d->cache)
				d->pool[d->pool_n < RTE_DIM(d->pool)
						? d->pool_n++
						: rng_below(&d->g, d->pool_n)] = keys[i];
		}
		bytes[i] = 60 + rng_below(&d->g, 1400);
	}
	got = sdnfv_flow_lookup_burst(d->rd, keys, bytes, BURST,
				      d->cache ? SDNFV_FLOW_LOOKUP_LEARN : 0, res, &hits);
	d->cache_hits += (uint64_t)__builtin_popcountll(hits);
	if (!d->cache && hits != 0)
		cr_assert_fail("a table without a cache reports cache hits");
	for (i = 0; i < BURST; i++) {
		int which;

		if (!oracle_check(&d->o, &keys[i], &res[i], &which)) {
			char kb[128];

			fmt_key(&keys[i], kb, sizeof(kb));
			cr_assert_fail("key %s: table says %s (user %" PRIu64
				       ", rule %u), oracle's "
				       "best priority is %d (after %lu checks)",
				       kb, res[i].action ? "a rule" : "no rule",
				       res[i].action ? res[i].action->user : 0, res[i].rule_id,
				       oracle_best_prio(&d->o, &keys[i]), d->checked);
		}
		if (res[i].action != NULL) {
			n_hit++;
			d->exact_seen += res[i].rule_id < d->t->max_rules &&
					 d->t->rules[res[i].rule_id].exact;
			if (d->credit) {
				struct orule *r;

				if (which < 0)
					cr_assert_fail("a tie in a tie-free run");
				r = &d->o.r[which];
				r->packets++;
				r->bytes += bytes[i];
				r->last_ns = d->clk.now;
			}
		}
		d->checked++;
	}
	if (got != n_hit)
		cr_assert_fail("lookup returned %u, %u keys had a rule", got, n_hit);
	sdnfv_flow_reader_quiescent(d->rd);
	/* The writer learns what was asked; the clock stands still, so nothing expires here. */
	if (d->cache && rng_pct(&d->g, 50) && sdnfv_flow_maintain(d->t, 0) != 0)
		cr_assert_fail("maintain expired rules while the clock stood still");
}

static void
diff_init(struct diff *d, uint64_t seed, uint32_t max_rules, uint32_t oracle_cap, bool fast)
{
	memset(d, 0, sizeof(*d));
	d->g.s = seed;
	d->clk.now = 1000 * SEC;
	oracle_init(&d->o, oracle_cap);
	d->t = test_table(max_rules, 1, &d->clk, &d->rm);
	if (fast)
		test_fast_rebuilds(d->t);
	cr_assert_eq(sdnfv_flow_reader_register(d->t, &d->rd), 0);
}

static void
diff_fini(struct diff *d)
{
	sdnfv_flow_reader_unregister(d->rd);
	sdnfv_flow_table_free(d->t);
	oracle_fini(&d->o);
	removals_fini(&d->rm);
}

static int
cmp_removal(const void *a, const void *b)
{
	const struct removal *x = a, *y = b;

	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

struct expect {
	uint64_t cookie;
	enum sdnfv_flow_removed_reason reason;
	uint64_t packets, bytes, duration_ns, idle_ns;
};

static int
cmp_expect(const void *a, const void *b)
{
	const struct expect *x = a, *y = b;

	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

/* The removal reports since `from` must be exactly `exp[0, n)`; counters too when `counts`. */
static void
check_reports(struct diff *d, uint32_t from, struct expect *exp, uint32_t n, bool counts)
{
	uint32_t got = d->rm.n - from, i;

	if (got != n)
		cr_assert_fail("%u removal reports, expected %u", got, n);
	if (n == 0)
		return;
	qsort(d->rm.r + from, got, sizeof(d->rm.r[0]), cmp_removal);
	qsort(exp, n, sizeof(*exp), cmp_expect);
	for (i = 0; i < n; i++) {
		const struct removal *r = &d->rm.r[from + i];

		if (r->cookie != exp[i].cookie || r->reason != exp[i].reason)
			cr_assert_fail("report %u: cookie %" PRIx64 " reason %d, expected %" PRIx64
				       " reason %d",
				       i, r->cookie, r->reason, exp[i].cookie, exp[i].reason);
		if (counts &&
		    (r->stats.packets != exp[i].packets || r->stats.bytes != exp[i].bytes ||
		     r->stats.duration_ns != exp[i].duration_ns ||
		     r->stats.idle_ns != exp[i].idle_ns))
			cr_assert_fail("report of %" PRIx64 ": %" PRIu64 " packets %" PRIu64
				       " bytes %" PRIu64 " ns %" PRIu64 " idle, expected %" PRIu64
				       " %" PRIu64 " %" PRIu64 " %" PRIu64,
				       r->cookie, r->stats.packets, r->stats.bytes,
				       r->stats.duration_ns, r->stats.idle_ns, exp[i].packets,
				       exp[i].bytes, exp[i].duration_ns, exp[i].idle_ns);
	}
}

static struct expect
expect_of(const struct diff *d, const struct orule *r, enum sdnfv_flow_removed_reason why)
{
	struct expect e;
	uint64_t last = r->last_ns > r->added_ns ? r->last_ns : r->added_ns;

	e.cookie = r->rule.cookie;
	e.reason = why;
	e.packets = r->packets;
	e.bytes = r->bytes;
	e.duration_ns = d->clk.now - r->added_ns;
	e.idle_ns = d->clk.now - last;
	return e;
}

/* ---- one random step ------------------------------------------------------------------------ */

static void
step_add(struct diff *d, bool tie_free)
{
	struct sdnfv_flow_rule r;
	int want, ret;

	gen_rule(&d->g, &d->opt, ++d->tag, &r);
	if (tie_free || rng_pct(&d->g, 10))
		r.flags |= SDNFV_FLOW_F_CHECK_OVERLAP;
	if ((r.flags & SDNFV_FLOW_F_CHECK_OVERLAP) && oracle_overlaps(&d->o, &r.match, r.priority))
		want = -EEXIST;
	else
		want = 0;
	ret = sdnfv_flow_add(d->t, &r);
	if (ret != want)
		cr_assert_fail("add returned %d, expected %d", ret, want);
	if (ret == 0)
		oracle_add(&d->o, &r, d->clk.now);
}

static void
step_replace(struct diff *d)
{
	int i = pick_live(d);
	struct sdnfv_flow_rule r;

	if (i < 0)
		return;
	r = d->o.r[i].rule;
	r.action.user = ++d->tag;
	r.action.type = SDNFV_FLOW_ACT_USER;
	r.action.arg = 0;
	r.cookie = (d->tag << 8) | rng_below(&d->g, 8);
	r.flags &= ~(uint32_t)SDNFV_FLOW_F_CHECK_OVERLAP;
	if (rng_pct(&d->g, 30))
		r.flags |= SDNFV_FLOW_F_RESET_COUNTS;
	if (d->opt.timeouts) {
		r.idle_timeout = rng_pct(&d->g, 50) ? (uint16_t)(1 + rng_below(&d->g, 4)) : 0;
		r.hard_timeout = rng_pct(&d->g, 30) ? (uint16_t)(1 + rng_below(&d->g, 6)) : 0;
	}
	cr_assert_eq(sdnfv_flow_add(d->t, &r), 0, "replace failed");
	oracle_add(&d->o, &r, d->clk.now);
	d->o.r[i].rule.flags = r.flags;
}

static void
random_select(struct diff *d, struct sdnfv_flow_select *s)
{
	int i = pick_live(d);

	memset(s, 0, sizeof(*s));
	s->sz = sizeof(*s);
	if (i >= 0 && rng_pct(&d->g, 40)) {
		s->strict = true;
		s->match = d->o.r[i].rule.match;
		s->priority = rng_pct(&d->g, 90) ? d->o.r[i].rule.priority : 77;
	} else if (i >= 0 && rng_pct(&d->g, 80)) {
		gen_coarser(&d->g, &d->o.r[i].rule.match, &s->match);
	} else {
		gen_match(&d->g, &s->match, false);
	}
	if (rng_pct(&d->g, 30)) {
		s->cookie = rng_below(&d->g, 8);
		s->cookie_mask = rng_pct(&d->g, 50) ? 0x7 : 0x1;
	}
	if (rng_pct(&d->g, 10)) {
		s->out_filter = true;
		s->out.type = (uint8_t)rng_below(&d->g, SDNFV_FLOW_ACT_USER + 1);
		s->out.arg = (uint16_t)rng_below(&d->g, 4);
	}
}

static void
step_modify(struct diff *d)
{
	struct sdnfv_flow_select s;
	struct sdnfv_flow_action a;
	uint32_t flags = rng_pct(&d->g, 30) ? SDNFV_FLOW_F_RESET_COUNTS : 0, i, want = 0;
	int ret;

	random_select(d, &s);
	memset(&a, 0, sizeof(a));
	a.type = SDNFV_FLOW_ACT_SERVICE;
	a.arg = (uint16_t)rng_below(&d->g, 4);
	a.user = ++d->tag;
	for (i = 0; i < d->o.n; i++)
		if (oracle_selected(&d->o, i, &s))
			want++;
	ret = sdnfv_flow_modify(d->t, &s, &a, flags);
	if (ret != (int)want)
		cr_assert_fail("modify changed %d rules, expected %u", ret, want);
	for (i = 0; i < d->o.n; i++) {
		if (!oracle_selected(&d->o, i, &s))
			continue;
		d->o.r[i].rule.action = a;
		if (flags) {
			d->o.r[i].packets = d->o.r[i].bytes = 0;
			d->o.r[i].counts_known = true;
		}
	}
}

static void
step_delete(struct diff *d, bool counts)
{
	struct sdnfv_flow_select s;
	struct expect *exp = calloc(d->o.n + 1, sizeof(*exp));
	uint32_t i, want = 0, n_exp = 0, from = d->rm.n;
	int ret;

	cr_assert_not_null(exp);
	random_select(d, &s);
	for (i = 0; i < d->o.n; i++) {
		if (!oracle_selected(&d->o, i, &s))
			continue;
		want++;
		if (d->o.r[i].rule.flags & SDNFV_FLOW_F_SEND_REMOVED)
			exp[n_exp++] = expect_of(d, &d->o.r[i], SDNFV_FLOW_REMOVED_DELETE);
	}
	ret = sdnfv_flow_delete(d->t, &s);
	if (ret != (int)want)
		cr_assert_fail("delete removed %d rules, expected %u", ret, want);
	for (i = 0; i < d->o.n; i++)
		if (oracle_selected(&d->o, i, &s))
			d->o.r[i].live = false;
	check_reports(d, from, exp, n_exp, counts);
	free(exp);
}

/* Advance the clock and maintain; the oracle expires what the table must. */
static void
step_time(struct diff *d)
{
	struct expect *exp = calloc(d->o.n + 1, sizeof(*exp));
	uint32_t i, n_exp = 0, n_gone = 0, from = d->rm.n;
	int ret;

	cr_assert_not_null(exp);
	d->clk.now += rng_below(&d->g, 900) * 1000000ull;
	for (i = 0; i < d->o.n; i++) {
		struct orule *r = &d->o.r[i];
		uint64_t last = r->last_ns > r->added_ns ? r->last_ns : r->added_ns;
		uint64_t hard = r->rule.hard_timeout ? r->added_ns + r->rule.hard_timeout * SEC
						     : UINT64_MAX;
		uint64_t idle =
			r->rule.idle_timeout ? last + r->rule.idle_timeout * SEC : UINT64_MAX;

		if (!r->live || (hard > d->clk.now && idle > d->clk.now))
			continue;
		n_gone++;
		if (r->rule.flags & SDNFV_FLOW_F_SEND_REMOVED)
			exp[n_exp++] = expect_of(d, r,
						 hard <= idle ? SDNFV_FLOW_REMOVED_HARD
							      : SDNFV_FLOW_REMOVED_IDLE);
		r->live = false;
	}
	ret = sdnfv_flow_maintain(d->t, 0);
	if (ret != (int)n_gone)
		cr_assert_fail("maintain expired %d rules, expected %u", ret, n_gone);
	check_reports(d, from, exp, n_exp, true);
	free(exp);
}

struct by_cookie {
	struct diff *d;
	uint32_t seen;
};

static int
check_counts_fn(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *st)
{
	struct by_cookie *bc = arg;
	struct diff *d = bc->d;
	uint32_t i;

	for (i = 0; i < d->o.n; i++) {
		const struct orule *r = &d->o.r[i];

		if (!r->live || r->rule.cookie != rule->cookie)
			continue;
		if (r->rule.priority != rule->priority || r->rule.action.user != rule->action.user)
			cr_assert_fail("foreach: rule %" PRIx64 " differs", rule->cookie);
		if (r->counts_known && (st->packets != r->packets || st->bytes != r->bytes))
			cr_assert_fail("rule %" PRIx64 ": %" PRIu64 " packets %" PRIu64
				       " bytes, expected %" PRIu64 " %" PRIu64,
				       rule->cookie, st->packets, st->bytes, r->packets, r->bytes);
		bc->seen++;
		return 0;
	}
	cr_assert_fail("foreach visits a rule the oracle does not have: %" PRIx64, rule->cookie);
	return 1;
}

static void
check_all_counts(struct diff *d)
{
	struct by_cookie bc = { d, 0 };
	uint32_t live = 0, i;
	int n = sdnfv_flow_foreach(d->t, NULL, check_counts_fn, &bc);

	for (i = 0; i < d->o.n; i++)
		live += d->o.r[i].live;
	if (n != (int)live || bc.seen != live)
		cr_assert_fail("foreach visited %d rules, the oracle has %u live", n, live);
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* exact_pct: percent of the rules added that are exact (one flow, the exact tier). */
static void
random_ops(bool cache, unsigned int exact_pct)
{
	uint64_t seed, hits = 0;

	for (seed = 1; seed <= 4; seed++) {
		struct diff d;
		unsigned int step;

		test_table_flows = cache ? 4096 : 0;
		diff_init(&d, 0x9e3779b97f4a7c15ull * seed, 4096, 4096, true);
		d.cache = cache;
		d.opt.prio_range = 24; /* plenty of ties: any tied rule is a right answer */
		d.opt.exact_pct = exact_pct;
		d.noise = exact_pct != 0;
		for (step = 0; step < 1500; step++) {
			unsigned int op = rng_below(&d.g, 100);

			if (op < 55)
				step_add(&d, false);
			else if (op < 62)
				step_replace(&d);
			else if (op < 70)
				step_modify(&d);
			else if (op < 85)
				step_delete(&d, false);
			else if (op < 95)
				cr_assert_geq(sdnfv_flow_maintain(d.t, 0), 0);
			else
				cr_assert_eq(flow_cls_sync(d.t->cls), 0);
			check_burst(&d);
		}
		cr_expect_gt(flow_cls_recompiles(d.t->cls), 10, "rebuilds happened in the middle");
		if (exact_pct != 0)
			cr_expect_gt(d.exact_seen, 50, "exact-tier rules answered");
		hits += d.cache_hits;
		diff_fini(&d);
	}
	if (cache)
		cr_expect_gt(hits, 10000, "the cache answered (%" PRIu64 " hits)", hits);
}

Test(flow, answers_like_a_linear_scan_under_random_adds_replaces_modifies_and_deletes)
{
	random_ops(false, 0);
}

Test(flow, cached_answers_stay_right_through_random_adds_replaces_modifies_and_deletes)
{
	random_ops(true, 0);
}

Test(flow, answers_like_a_linear_scan_with_exact_rules_mixed_in_under_random_updates)
{
	random_ops(false, 40);
}

Test(flow, cached_answers_stay_right_with_exact_rules_mixed_in_under_random_updates)
{
	random_ops(true, 40);
}

Test(flow, answers_like_a_linear_scan_on_thousands_of_rules_with_dead_winners_and_a_delta)
{
	struct diff d;
	unsigned int i;

	diff_init(&d, 0xfeedface, 8192, 8192, false);
	d.opt.prio_range = 4000;
	flow_cls_tune(d.t->cls, 100000, 100000, 3600 * 1000); /* no rebuild unless asked */
	for (i = 0; i < 3000; i++)
		step_add(&d, false);
	cr_assert_eq(flow_cls_sync(d.t->cls), 0);
	for (i = 0; i < 300; i++)
		check_burst(&d);
	/* Dead winners in the compiled base, fresh rules in the delta. */
	for (i = 0; i < 400; i++) {
		struct sdnfv_flow_select s;
		int j = pick_live(&d);

		if (j < 0)
			break;
		memset(&s, 0, sizeof(s));
		s.sz = sizeof(s);
		s.strict = true;
		s.match = d.o.r[j].rule.match;
		s.priority = d.o.r[j].rule.priority;
		cr_assert_geq(sdnfv_flow_delete(d.t, &s), 1);
		d.o.r[j].live = false;
		if (i % 4 == 0)
			step_add(&d, false);
	}
	for (i = 0; i < 300; i++)
		check_burst(&d);
	cr_assert_eq(flow_cls_sync(d.t->cls), 0);
	for (i = 0; i < 300; i++)
		check_burst(&d);
	diff_fini(&d);
}

static void
timed_ops(bool cache, unsigned int exact_pct)
{
	uint64_t seed;

	for (seed = 1; seed <= 3; seed++) {
		struct diff d;
		unsigned int step;

		test_table_flows = cache ? 4096 : 0;
		diff_init(&d, 0x51ed2701ull * seed + 7, 4096, 4096, true);
		d.cache = cache;
		d.opt.prio_range = 200;
		d.opt.timeouts = true;
		d.opt.exact_pct = exact_pct;
		d.noise = exact_pct != 0;
		d.credit = true;
		for (step = 0; step < 2000; step++) {
			unsigned int op = rng_below(&d.g, 100);

			if (op < 45)
				step_add(&d, true);
			else if (op < 50)
				step_replace(&d);
			else if (op < 55)
				step_modify(&d);
			else if (op < 65)
				step_delete(&d, true);
			else if (op < 98)
				step_time(&d);
			else
				cr_assert_eq(flow_cls_sync(d.t->cls), 0);
			check_burst(&d);
			if (step % 100 == 0)
				check_all_counts(&d);
		}
		check_all_counts(&d);
		diff_fini(&d);
	}
}

Test(flow, expires_counts_and_reports_like_the_oracle_under_an_injected_clock)
{
	timed_ops(false, 0);
}

Test(flow, counts_packets_answered_by_the_cache_like_the_oracle_and_expires_on_time)
{
	timed_ops(true, 0);
}

Test(flow, expires_counts_and_reports_exact_rules_like_the_oracle_under_an_injected_clock)
{
	timed_ops(false, 40);
}

Test(flow, counts_and_expires_cached_exact_rules_like_the_oracle)
{
	timed_ops(true, 40);
}
