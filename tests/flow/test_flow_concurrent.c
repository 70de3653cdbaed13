/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers classify while a writer adds, replaces, modifies and deletes rules (single and
 * multi-rule updates) and the classifier rebuilds underneath. The writer numbers its updates;
 * a reader notes how many were complete before a lookup and how many had started after it. Every
 * answer must be the oracle's answer for the rule set after some number of updates in that
 * interval: never a state that did not exist, such as half of a multi-rule delete.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "flow_test.h"

#define N_UPDATES   3000
#define N_KEYS      256
#define N_READERS   2
#define MAX_RECORDS (1u << 20)
#define BURST       32

enum { U_ADD, U_DEL, U_MOD };

struct upd {
	int op;
	struct sdnfv_flow_rule rule;  /* U_ADD (a replace when match and priority exist) */
	struct sdnfv_flow_select sel; /* U_DEL, U_MOD */
	struct sdnfv_flow_action act; /* U_MOD */
	int want;                     /* what the call must return */
};

struct record {
	uint64_t user; /* action user of the answer; 0: no rule */
	uint32_t before, after;
	uint16_t key;
};

struct run;

struct reader_ctx {
	pthread_t tid;
	struct record *rec;
	uint32_t n;
	int error;
	struct run *run;
	unsigned int seed;
};

struct run {
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_key keys[N_KEYS];
	struct upd *upd;
	uint32_t started, completed; /* atomics */
	int stop;                    /* atomic */
	int writer_error;
	bool cache;             /* lookups learn; the writer maintains often */
	unsigned int exact_pct; /* percent of the adds that are exact rules (the exact tier) */
	uint32_t exact_adds;    /* adds that went to the exact tier */
	uint64_t hits;          /* atomic: answers that came from the flow cache */
	struct reader_ctx rd[N_READERS];
};

/* ---- planning: a fixed update sequence, made with an oracle of its own ----------------------- */

static int
pick_live(struct rng *g, const struct oracle *o)
{
	uint32_t tries;

	for (tries = 0; tries < 64 && o->n > 0; tries++) {
		uint32_t i = rng_below(g, o->n);

		if (o->r[i].live)
			return (int)i;
	}
	return -1;
}

static void
apply(struct oracle *o, const struct upd *u)
{
	uint32_t i;

	if (u->op == U_ADD) {
		oracle_add(o, &u->rule, 0);
		return;
	}
	for (i = 0; i < o->n; i++) {
		if (!oracle_selected(o, i, &u->sel))
			continue;
		if (u->op == U_DEL)
			o->r[i].live = false;
		else
			o->r[i].rule.action = u->act;
	}
}

static int
count_selected(const struct oracle *o, const struct sdnfv_flow_select *s)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < o->n; i++)
		n += oracle_selected(o, i, s);
	return n;
}

static void
plan(struct run *run, struct rng *g)
{
	struct gen_opts opt = { .prio_range = 1, .exact_pct = run->exact_pct };
	struct oracle o;
	uint64_t tag = 0;
	uint32_t i;

	oracle_init(&o, N_UPDATES + 1);
	run->upd = calloc(N_UPDATES + 1, sizeof(*run->upd));
	cr_assert_not_null(run->upd);
	for (i = 1; i <= N_UPDATES; i++) {
		struct upd *u = &run->upd[i];
		unsigned int op = i <= 150 ? 0 : rng_below(g, 100);
		int j = pick_live(g, &o);

		memset(&u->sel, 0, sizeof(u->sel));
		u->sel.sz = sizeof(u->sel);
		if (op < 45 || j < 0) {
			u->op = U_ADD;
			gen_rule(g, &opt, ++tag, &u->rule);
			u->rule.priority = (uint16_t)tag; /* unique: every answer is one rule */
			u->rule.flags = 0;
		} else if (op < 50) {
			u->op = U_ADD; /* replace */
			u->rule = o.r[j].rule;
			u->rule.action.user = ++tag;
		} else if (op < 70) {
			u->op = U_DEL;
			u->sel.strict = true;
			u->sel.match = o.r[j].rule.match;
			u->sel.priority = o.r[j].rule.priority;
		} else if (op < 84) {
			u->op = U_DEL; /* non-strict: often several rules at once */
			gen_coarser(g, &o.r[j].rule.match, &u->sel.match);
		} else if (op < 88) {
			/* Bulk: every rule of one cookie class, about an eighth of the table. */
			u->op = rng_pct(g, 50) ? U_DEL : U_MOD;
			u->sel.cookie = rng_below(g, 8);
			u->sel.cookie_mask = 0x7;
			u->act.type = SDNFV_FLOW_ACT_USER;
			u->act.user = ++tag;
		} else {
			u->op = U_MOD;
			gen_coarser(g, &o.r[j].rule.match, &u->sel.match);
			u->act.type = SDNFV_FLOW_ACT_USER;
			u->act.user = ++tag;
		}
		u->want = u->op == U_ADD ? 0 : count_selected(&o, &u->sel);
		apply(&o, u);
	}
	/* Keys near the rules the run adds. */
	for (i = 0; i < N_KEYS; i++) {
		const struct upd *u = &run->upd[1 + rng_below(g, N_UPDATES)];

		gen_key(g, u->op == U_ADD && rng_pct(g, 85) ? &u->rule.match : NULL, &run->keys[i]);
		if (run->exact_pct != 0 && rng_pct(g, 10))
			gen_key_noise(g, &run->keys[i]);
	}
	oracle_fini(&o);
}

/* ---- the run ---------------------------------------------------------------------------------- */

static void *
reader_main(void *arg)
{
	struct reader_ctx *me = arg;
	struct run *run = me->run;
	struct sdnfv_flow_reader *r;
	struct rng g = { 0x1234567ull + me->seed };
	uint32_t last_kept = UINT32_MAX;

	if (sdnfv_flow_reader_register(run->t, &r) != 0) {
		me->error = 1;
		return NULL;
	}
	while (!__atomic_load_n(&run->stop, __ATOMIC_ACQUIRE) && me->n + BURST <= MAX_RECORDS) {
		bool keep;
		struct sdnfv_flow_key keys[BURST];
		struct sdnfv_flow_result res[BURST];
		uint16_t idx[BURST];
		uint32_t before, after;
		unsigned int i;

		for (i = 0; i < BURST; i++) {
			idx[i] = (uint16_t)rng_below(&g, N_KEYS);
			keys[i] = run->keys[idx[i]];
		}
		before = __atomic_load_n(&run->completed, __ATOMIC_ACQUIRE);
		/* Keep the first burst after each update and a sample of the others, so that the
		 * records cover the whole run however fast the readers go. */
		keep = before != last_kept || rng_pct(&g, run->cache ? 1 : 10);
		if (keep)
			last_kept = before;
		uint64_t hits = 0;

		sdnfv_flow_lookup_burst(r, keys, NULL, BURST,
					run->cache ? SDNFV_FLOW_LOOKUP_LEARN : 0, res, &hits);
		if (hits != 0)
			__atomic_add_fetch(&run->hits, (uint64_t)__builtin_popcountll(hits),
					   __ATOMIC_RELAXED);
		/* The answers are read before `after`: read them into the record now. */
		for (i = 0; i < BURST; i++) {
			struct record *rec = &me->rec[me->n + i];

			rec->user = res[i].action != NULL ? res[i].action->user : 0;
			rec->key = idx[i];
		}
		after = __atomic_load_n(&run->started, __ATOMIC_ACQUIRE);
		for (i = 0; i < BURST; i++) {
			me->rec[me->n + i].before = before;
			me->rec[me->n + i].after = after;
		}
		if (keep)
			me->n += BURST;
		sdnfv_flow_reader_quiescent(r);
	}
	sdnfv_flow_reader_unregister(r);
	return NULL;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
write_all(struct run *run)
{
	struct rng g = { 0xabcdef };
	uint32_t i, exact_before = 0;

	for (i = 1; i <= N_UPDATES; i++) {
		const struct upd *u = &run->upd[i];
		int ret;

		__atomic_store_n(&run->started, i, __ATOMIC_RELEASE);
		if (u->op == U_ADD)
			ret = sdnfv_flow_add(run->t, &u->rule);
		else if (u->op == U_DEL)
			ret = sdnfv_flow_delete(run->t, &u->sel);
		else
			ret = sdnfv_flow_modify(run->t, &u->sel, &u->act, 0);
		__atomic_store_n(&run->completed, i, __ATOMIC_RELEASE);
		run->exact_adds += u->op == U_ADD && run->t->n_exact > exact_before;
		exact_before = run->t->n_exact;
		if (ret != u->want && run->writer_error == 0)
			run->writer_error = (int)i;
		if (i % (run->cache ? 2 : 16) == 0)
			sdnfv_flow_maintain(run->t, 0);
		/* Pace the updates so that readers run many bursts across each of them. */
		{
			uint64_t until = mono_us() + rng_below(&g, 60);

			while (mono_us() < until)
				;
		}
	}
}

/* ---- replay ----------------------------------------------------------------------------------- */

struct replay {
	struct oracle o;
	int best[N_KEYS]; /* index of each key's winner in the oracle, -1 for none */
};

static int
best_of(const struct oracle *o, const struct sdnfv_flow_key *k)
{
	int best = -1;
	uint32_t i;

	for (i = 0; i < o->n; i++)
		if (o->r[i].live &&
		    (best < 0 || o->r[i].rule.priority > o->r[best].rule.priority) &&
		    sdnfv_flow_match_key(&o->r[i].rule.match, k))
			best = (int)i;
	return best;
}

/* Move the replay to state k (apply update k), keeping each key's winner current. */
static void
replay_step(struct replay *rp, const struct run *run, uint32_t k)
{
	const struct upd *u = &run->upd[k];
	uint32_t before_n = rp->o.n, i;

	apply(&rp->o, u);
	for (i = 0; i < N_KEYS; i++) {
		const struct sdnfv_flow_key *key = &run->keys[i];
		int b = rp->best[i];

		if (u->op == U_ADD && rp->o.n > before_n) {
			const struct orule *r = &rp->o.r[rp->o.n - 1];

			if (sdnfv_flow_match_key(&r->rule.match, key) &&
			    (b < 0 || r->rule.priority > rp->o.r[b].rule.priority))
				rp->best[i] = (int)rp->o.n - 1;
		} else if (u->op == U_DEL && b >= 0 && !rp->o.r[b].live) {
			rp->best[i] = best_of(&rp->o, key);
		}
	}
}

static uint64_t
answer(const struct replay *rp, uint16_t key)
{
	int b = rp->best[key];

	return b < 0 ? 0 : rp->o.r[b].rule.action.user;
}

static const char *
op_name(int op)
{
	return op == U_ADD ? "add" : op == U_DEL ? "delete" : "modify";
}

/* For a failure report: the states nearest to [before, after] at which `key` answers `user`. */
static void
states_giving(const struct run *run, uint16_t key, uint64_t user, uint32_t before, uint32_t after,
	      int64_t *last_before, int64_t *first_after)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	uint32_t k, i;

	*last_before = *first_after = -1;
	if (rp == NULL)
		return;
	oracle_init(&rp->o, N_UPDATES + 1);
	for (i = 0; i < N_KEYS; i++)
		rp->best[i] = -1;
	for (k = 0; k <= N_UPDATES; k++) {
		if (k > 0)
			replay_step(rp, run, k);
		if (answer(rp, key) != user)
			continue;
		if (k < before)
			*last_before = k;
		else if (k > after && *first_after < 0)
			*first_after = k;
	}
	oracle_fini(&rp->o);
	free(rp);
}

static int
cmp_before(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return (x->before > y->before) - (x->before < y->before);
}

static void
run_concurrent(bool cache, unsigned int exact_pct)
{
	struct run *run = calloc(1, sizeof(*run));
	struct rng g = { 0xc0ffee };
	struct replay *rp = calloc(1, sizeof(*rp));
	struct record *all, **active;
	uint32_t n_all = 0, n_active = 0, i, k, next = 0;
	int r;

	cr_assert_not_null(run);
	cr_assert_not_null(rp);
	run->exact_pct = exact_pct;
	plan(run, &g);
	run->cache = cache;
	test_table_flows = cache ? N_KEYS * 2 : 0;
	run->t = test_table(N_UPDATES + 64, N_READERS + 1, NULL, NULL);
	test_fast_rebuilds(run->t);
	for (r = 0; r < N_READERS; r++) {
		run->rd[r].run = run;
		run->rd[r].seed = (unsigned int)r;
		run->rd[r].rec = malloc(sizeof(struct record) * MAX_RECORDS);
		cr_assert_not_null(run->rd[r].rec);
		cr_assert_eq(pthread_create(&run->rd[r].tid, NULL, reader_main, &run->rd[r]), 0);
	}
	write_all(run);
	__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
	for (r = 0; r < N_READERS; r++) {
		pthread_join(run->rd[r].tid, NULL);
		cr_assert_eq(run->rd[r].error, 0, "reader %d could not register", r);
		n_all += run->rd[r].n;
	}
	cr_assert_eq(run->writer_error, 0, "update %d returned an unexpected value",
		     run->writer_error);
	cr_expect_gt(flow_cls_recompiles(run->t->cls), 0, "rebuilds happened during the run");
	if (exact_pct != 0)
		cr_expect_gt(run->exact_adds, 300, "adds went to the exact tier (%u)",
			     run->exact_adds);
	cr_log_info("%u answers checked, %" PRIu64 " rebuilds, %" PRIu64 " cache hits", n_all,
		    flow_cls_recompiles(run->t->cls), run->hits);
	if (cache)
		cr_expect_gt(run->hits, 10000, "the cache answered during the run");

	all = malloc(sizeof(*all) * (n_all + 1));
	active = malloc(sizeof(*active) * (n_all + 1));
	cr_assert_not_null(all);
	cr_assert_not_null(active);
	n_all = 0;
	for (r = 0; r < N_READERS; r++) {
		memcpy(all + n_all, run->rd[r].rec, sizeof(*all) * run->rd[r].n);
		n_all += run->rd[r].n;
		free(run->rd[r].rec);
	}
	qsort(all, n_all, sizeof(*all), cmp_before);
	cr_log_info("records from update %u to %u of %u", n_all ? all[0].before : 0,
		    n_all ? all[n_all - 1].before : 0, N_UPDATES);
	cr_expect(n_all > 0 && all[n_all - 1].before > N_UPDATES / 2, "readers ran during the run");

	/* Walk the states in order; a record is settled by any state in [before, after]. */
	oracle_init(&rp->o, N_UPDATES + 1);
	for (i = 0; i < N_KEYS; i++)
		rp->best[i] = -1;
	for (k = 0; k <= N_UPDATES; k++) {
		uint32_t keep = 0;

		if (k > 0)
			replay_step(rp, run, k);
		while (next < n_all && all[next].before <= k)
			active[n_active++] = &all[next++];
		for (i = 0; i < n_active; i++) {
			struct record *rec = active[i];

			if (answer(rp, rec->key) == rec->user)
				continue; /* settled */
			if (rec->after <= k) {
				int64_t lb, fa;
				uint32_t q;

				/* Say which states do give that answer, and what the updates
				 * around the interval were: enough to tell a stale winner from a
				 * torn update. */
				states_giving(run, rec->key, rec->user, rec->before, rec->after,
					      &lb, &fa);
				for (q = rec->before > 1 ? rec->before - 1 : 1;
				     q <= rec->after && q <= N_UPDATES; q++)
					cr_log_error("update %u: op %s, action %" PRIu64, q,
						     op_name(run->upd[q].op),
						     run->upd[q].op == U_ADD
							     ? run->upd[q].rule.action.user
							     : run->upd[q].act.user);
				cr_assert_fail("key %u answered %" PRIu64
					       " between updates %u and %u; no state in between "
					       "gives that (the last state before does: %" PRId64
					       ", the first after: %" PRId64 "; -1: none)",
					       rec->key, rec->user, rec->before, rec->after, lb,
					       fa);
			}
			active[keep++] = rec;
		}
		n_active = keep;
	}
	cr_assert_eq(n_active, 0);
	oracle_fini(&rp->o);
	free(all);
	free(active);
	free(rp);
	free(run->upd);
	sdnfv_flow_table_free(run->t);
	free(run);
}

Test(flow, every_concurrent_answer_is_the_oracles_for_the_rule_set_before_or_after_an_update,
     .timeout = 600)
{
	run_concurrent(false, 0);
}

Test(flow, every_concurrent_cached_answer_is_the_oracles_before_or_after_an_update, .timeout = 600)
{
	run_concurrent(true, 0);
}

Test(flow, every_concurrent_answer_with_exact_rules_is_the_oracles_before_or_after_an_update,
     .timeout = 600)
{
	run_concurrent(false, 50);
}

Test(flow, every_concurrent_cached_answer_with_exact_rules_is_the_oracles_before_or_after_one,
     .timeout = 600)
{
	run_concurrent(true, 50);
}
