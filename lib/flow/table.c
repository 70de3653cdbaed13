/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table object: creation, readers (liburcu QSBR), lookups and maintain().
 *
 * This build has no flow cache yet: lookups classify every key against the rules (cls.c), and a
 * table asked for a cache is refused with -ENOTSUP. Rules keep the epoch and version bumps the
 * cache will rely on (flow_internal.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <urcu/urcu-qsbr.h>

#include "common/log.h"
#include "flow_internal.h"

struct flow_reader_slot {
	struct sdnfv_flow_table *t;
	struct flow_rule_count *row; /* this reader's counters, [max_rules] */
	uint32_t idx;
	uint32_t used; /* claimed with a CAS by the registering thread */
} __rte_cache_aligned;

/* liburcu registers threads, not (thread, table) pairs: a thread reading several tables
 * registers once. `urcu_own` is false when the application had registered the thread itself. */
static __thread unsigned int urcu_regs;
static __thread bool urcu_own;

static uint64_t
default_clock(void *arg)
{
	struct timespec ts;

	RTE_SET_USED(arg);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
read_params(const struct sdnfv_flow_table_params *in, struct sdnfv_flow_table_params *p)
{
	size_t known = offsetof(struct sdnfv_flow_table_params, clock_arg) + sizeof(in->clock_arg);

	memset(p, 0, sizeof(*p));
	if (in == NULL || in->sz < known) {
		SDNFV_LOG(flow, ERR, "table params missing or sz %zu too small",
			  in == NULL ? 0 : in->sz);
		return -EINVAL;
	}
	memcpy(p, in, RTE_MIN(in->sz, sizeof(*p)));
	return 0;
}

int
sdnfv_flow_table_create(const struct sdnfv_flow_table_params *params, struct sdnfv_flow_table **out)
{
	struct sdnfv_flow_table_params p;
	struct sdnfv_flow_table *t;
	int ret;

	if (out == NULL || read_params(params, &p) != 0)
		return -EINVAL;
	*out = NULL;
	if (p.max_rules == 0 || p.max_readers == 0 || p.max_rules >= FLOW_RULE_NONE ||
	    p.max_readers > 4096 || (p.socket_id != SOCKET_ID_ANY && p.socket_id < 0)) {
		SDNFV_LOG(flow, ERR, "table %s: bad capacity (rules %u, readers %u) or socket %d",
			  p.name != NULL ? p.name : "?", p.max_rules, p.max_readers, p.socket_id);
		return -EINVAL;
	}
	if ((uint64_t)p.max_rules * p.max_readers >
	    (uint64_t)SIZE_MAX / 2 / sizeof(struct flow_rule_count)) {
		SDNFV_LOG(flow, ERR, "table %s: %u rules x %u readers is too much counter memory",
			  p.name != NULL ? p.name : "?", p.max_rules, p.max_readers);
		return -EINVAL;
	}
	if (p.max_flows != 0) {
		SDNFV_LOG(flow, ERR, "table %s: this build has no flow cache (max_flows must be 0)",
			  p.name != NULL ? p.name : "?");
		return -ENOTSUP;
	}

	t = rte_zmalloc_socket("sdnfv_flow", sizeof(*t), RTE_CACHE_LINE_SIZE, p.socket_id);
	if (t == NULL) {
		SDNFV_LOG(flow, ERR, "table %s: no memory on socket %d",
			  p.name != NULL ? p.name : "?", p.socket_id);
		return -ENOMEM;
	}
	snprintf(t->name, sizeof(t->name), "%s", p.name != NULL ? p.name : "flow");
	t->socket_id = p.socket_id;
	t->max_rules = p.max_rules;
	t->max_readers = p.max_readers;
	t->flow_idle_ms = p.flow_idle_ms != 0 ? p.flow_idle_ms : 10000;
	t->removed = p.removed;
	t->removed_arg = p.removed_arg;
	t->clock = p.clock != NULL ? p.clock : default_clock;
	t->clock_arg = p.clock_arg;
	t->readers = rte_zmalloc_socket("sdnfv_flow", sizeof(*t->readers) * p.max_readers,
					RTE_CACHE_LINE_SIZE, p.socket_id);
	ret = t->readers == NULL ? -ENOMEM : flow_rules_init(t);
	if (ret == 0)
		ret = flow_cls_create(t, &t->cls);
	if (ret != 0) {
		SDNFV_LOG(flow, ERR, "table %s: cannot create: %s", t->name, rte_strerror(-ret));
		sdnfv_flow_table_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void
sdnfv_flow_table_free(struct sdnfv_flow_table *t)
{
	if (t == NULL)
		return;
	flow_cls_free(t->cls);
	flow_rules_fini(t);
	rte_free(t->readers);
	rte_free(t);
}

void
sdnfv_flow_table_info(const struct sdnfv_flow_table *t, struct sdnfv_flow_table_info *info)
{
	if (info == NULL)
		return;
	memset(info, 0, sizeof(*info));
	if (t == NULL)
		return;
	info->rules = t->n_rules;
	info->max_rules = t->max_rules;
	info->readers = __atomic_load_n(&t->n_readers, __ATOMIC_RELAXED);
	info->memory_bytes = sizeof(*t) + sizeof(*t->readers) * t->max_readers +
			     flow_rules_memory(t) + flow_cls_memory(t->cls);
	info->rule_recompiles = flow_cls_recompiles(t->cls);
}

/* ---- writer -------------------------------------------------------------------------------- */

int
sdnfv_flow_insert(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key)
{
	if (t == NULL || key == NULL)
		return -EINVAL;
	return -ENOTSUP;
}

int
sdnfv_flow_remove(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key)
{
	if (t == NULL || key == NULL)
		return -EINVAL;
	return -ENOTSUP;
}

int
sdnfv_flow_maintain(struct sdnfv_flow_table *t, unsigned int budget)
{
	int n;

	RTE_SET_USED(budget); /* for the flow cache */
	if (t == NULL)
		return -EINVAL;
	n = flow_rules_expire(t, t->clock(t->clock_arg));
	flow_cls_maintain(t->cls);
	if (flow_rules_has_limbo(t) || flow_cls_has_limbo(t->cls)) {
		flow_rules_seal(t);
		flow_cls_seal(t->cls);
		/* Every registered reader passes a quiescent state (or is offline); a writer
		 * that is also a reader goes offline for the wait (liburcu does it). */
		urcu_qsbr_synchronize_rcu();
		flow_cls_release(t->cls);
		flow_rules_release(t);
	}
	return n;
}

/* ---- readers ------------------------------------------------------------------------------- */

int
sdnfv_flow_reader_register(struct sdnfv_flow_table *t, struct sdnfv_flow_reader **out)
{
	uint32_t i;

	if (t == NULL || out == NULL)
		return -EINVAL;
	for (i = 0; i < t->max_readers; i++) {
		struct flow_reader_slot *s = &t->readers[i];
		uint32_t free_ = 0;

		if (__atomic_compare_exchange_n(&s->used, &free_, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			s->t = t;
			s->idx = i;
			s->row = &t->counts[(size_t)i * t->max_rules];
			if (urcu_regs++ == 0) {
				/* An application's own online registration stays its own. */
				urcu_own = !urcu_qsbr_read_ongoing();
				if (urcu_own)
					urcu_qsbr_register_thread();
			}
			__atomic_add_fetch(&t->n_readers, 1, __ATOMIC_RELAXED);
			*out = (struct sdnfv_flow_reader *)s;
			return 0;
		}
	}
	SDNFV_LOG(flow, ERR, "table %s: all %u reader slots taken", t->name, t->max_readers);
	return -ENOSPC;
}

void
sdnfv_flow_reader_unregister(struct sdnfv_flow_reader *r)
{
	struct flow_reader_slot *s = (struct flow_reader_slot *)r;

	if (s == NULL)
		return;
	if (urcu_regs > 0 && --urcu_regs == 0 && urcu_own)
		urcu_qsbr_unregister_thread();
	__atomic_sub_fetch(&s->t->n_readers, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->used, 0, __ATOMIC_RELEASE);
}

void
sdnfv_flow_reader_quiescent(struct sdnfv_flow_reader *r)
{
	RTE_SET_USED(r);
	urcu_qsbr_quiescent_state();
}

void
sdnfv_flow_reader_offline(struct sdnfv_flow_reader *r)
{
	RTE_SET_USED(r);
	urcu_qsbr_thread_offline();
}

void
sdnfv_flow_reader_online(struct sdnfv_flow_reader *r)
{
	RTE_SET_USED(r);
	urcu_qsbr_thread_online();
}

unsigned int
sdnfv_flow_lookup_burst(struct sdnfv_flow_reader *r, const struct sdnfv_flow_key *keys,
			const uint32_t *bytes, unsigned int n, unsigned int flags,
			struct sdnfv_flow_result *res, uint64_t *hit_mask)
{
	struct flow_reader_slot *s = (struct flow_reader_slot *)r;
	const struct sdnfv_flow_table *t;
	struct flow_rule_count *row;
	uint32_t ids[SDNFV_FLOW_BURST_MAX];
	unsigned int i, matched = 0;
	uint64_t now, vis;

	RTE_SET_USED(flags); /* LEARN asks for the flow cache, which this build does not have */
	if (hit_mask != NULL)
		*hit_mask = 0;
	if (n > SDNFV_FLOW_BURST_MAX)
		n = SDNFV_FLOW_BURST_MAX;
	if (n == 0)
		return 0;
	t = s->t;
	row = s->row;
	vis = flow_cls_lookup_burst(t->cls, keys, n, ids);
	for (i = 0; i < n; i++)
		if (ids[i] != FLOW_RULE_NONE)
			rte_prefetch0(&row[ids[i]]);
	now = t->clock(t->clock_arg);
	for (i = 0; i < n; i++) {
		uint32_t id = ids[i];
		struct flow_rule_count *c;

		res[i].rule_id = id;
		res[i].pad = 0;
		if (id == FLOW_RULE_NONE) {
			res[i].action = NULL;
			continue;
		}
		res[i].action = flow_rule_action(&t->rules[id], vis);
		/* This reader is the only writer of its row: plain increments, atomic stores so
		 * that the writer's sums never see a torn value. */
		c = &row[id];
		__atomic_store_n(&c->packets, c->packets + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->bytes, c->bytes + (bytes != NULL ? bytes[i] : 0),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&c->last_ns, now, __ATOMIC_RELAXED);
		matched++;
	}
	return matched;
}

unsigned int
sdnfv_flow_lookup_mbufs(struct sdnfv_flow_reader *r, struct rte_mbuf *const *pkts, unsigned int n,
			unsigned int flags, struct sdnfv_flow_result *res,
			struct sdnfv_flow_key *keys, uint64_t *hit_mask)
{
	struct sdnfv_flow_key own[SDNFV_FLOW_BURST_MAX];
	uint32_t bytes[SDNFV_FLOW_BURST_MAX];
	struct sdnfv_flow_key *k = keys != NULL ? keys : own;
	unsigned int i;

	if (n > SDNFV_FLOW_BURST_MAX)
		n = SDNFV_FLOW_BURST_MAX;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		struct sdnfv_pkt_info info;

		/* A packet that stops parsing early is looked up with what parsed. */
		(void)sdnfv_pkt_parse_mbuf(m, &info);
		sdnfv_flow_key_from_pkt(rte_pktmbuf_mtod(m, const void *), &info, m->port, &k[i]);
		bytes[i] = rte_pktmbuf_pkt_len(m);
	}
	return sdnfv_flow_lookup_burst(r, k, bytes, n, flags, res, hit_mask);
}
