/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table object: creation, readers (liburcu QSBR), lookups, learning and maintain().
 *
 * A lookup takes the flow cache (cache.c) first. A cached entry answers when it is still valid
 * (flow_internal.h: the table's add epoch and the rule slot's version are those it recorded);
 * the keys it does not answer are classified: the exact tier (a hash of exact rules, cache.c
 * again), then the classifier (cls.c), the higher priority winning. With LEARN, a reader
 * hands the keys it had to classify to the writer through its own single-producer queue; the
 * writer caches them in sdnfv_flow_maintain(), so only the writer ever changes the cache.
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
#include "common/params.h"
#include "flow_internal.h"

/* Keys a reader asks the writer to cache: single producer (the reader), single consumer (the
 * writer). When it is full the reader drops the request and counts it: the flow is classified
 * again next time and asked for again. */
#define LEARN_QUEUE 256

struct flow_learn {
	uint32_t head __rte_cache_aligned; /* reader: next to write */
	uint64_t dropped;                  /* reader: requests that did not fit */
	uint32_t tail __rte_cache_aligned; /* writer: next to read */
	struct sdnfv_flow_key keys[LEARN_QUEUE] __rte_cache_aligned;
};

struct flow_reader_slot {
	struct sdnfv_flow_table *t;
	struct flow_rule_count *row; /* this reader's counters, [max_rules] */
	uint32_t idx;
	uint32_t used; /* claimed with a CAS by the registering thread */
	struct flow_learn *learn;
} __rte_cache_aligned;

/* Flows per maintain() call taken from each reader's learn queue. */
#define LEARN_PER_CALL LEARN_QUEUE

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

	if (sdnfv_params_read(in, p, sizeof(*p), known) != 0) {
		SDNFV_LOG(flow, ERR, "table params missing or their sz too small");
		return -EINVAL;
	}
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
	if (ret == 0 && p.max_flows != 0)
		ret = flow_cache_create(t->name, p.max_flows, p.socket_id, &t->cache);
	/* The exact tier can hold every rule (within the hash's limit: rules beyond it, like rules
	 * its buckets have no room for, go to the classifier). */
	if (ret == 0)
		ret = flow_cache_create(t->name, RTE_MIN(p.max_rules, UINT32_C(1) << 28),
					p.socket_id, &t->exact);
	for (uint32_t i = 0; ret == 0 && i < p.max_readers; i++) {
		t->readers[i].learn = rte_zmalloc_socket("sdnfv_flow", sizeof(struct flow_learn),
							 RTE_CACHE_LINE_SIZE, p.socket_id);
		if (t->readers[i].learn == NULL)
			ret = -ENOMEM;
	}
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
	flow_cache_free(t->cache);
	flow_cache_free(t->exact);
	flow_cls_free(t->cls);
	flow_rules_fini(t);
	for (uint32_t i = 0; t->readers != NULL && i < t->max_readers; i++)
		rte_free(t->readers[i].learn);
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
	info->memory_bytes += (uint64_t)sizeof(struct flow_learn) * t->max_readers;
	if (t->cache != NULL) {
		struct flow_cache_info ci;

		flow_cache_info(t->cache, &ci);
		info->flows = ci.flows;
		info->max_flows = ci.capacity;
		info->bytes_per_flow = ci.bytes_per_flow;
		info->flow_evictions = ci.evictions;
		info->flow_expirations = ci.expirations;
		info->memory_bytes += ci.memory_bytes;
	}
	if (t->exact != NULL) {
		struct flow_cache_info ci;

		flow_cache_info(t->exact, &ci);
		info->memory_bytes += ci.memory_bytes;
	}
}

/* ---- writer -------------------------------------------------------------------------------- */

static uint32_t
now_ms(const struct sdnfv_flow_table *t)
{
	return (uint32_t)(t->clock(t->clock_arg) / 1000000);
}

/* Wait for a grace period and free everything removed before it: rule slots, old actions,
 * retired classifier views and bases, cache and exact-tier entries. */
static void
reclaim(struct sdnfv_flow_table *t)
{
	bool cache = t->cache != NULL && flow_cache_has_limbo(t->cache);

	if (!cache && !flow_cache_has_limbo(t->exact) && !flow_rules_has_limbo(t) &&
	    !flow_cls_has_limbo(t->cls))
		return;
	flow_rules_seal(t);
	flow_cls_seal(t->cls);
	flow_cache_seal(t->exact);
	if (t->cache != NULL)
		flow_cache_seal(t->cache);
	/* Every registered reader passes a quiescent state (or is offline); a writer that is also
	 * a reader goes offline for the wait (liburcu does it). */
	urcu_qsbr_synchronize_rcu();
	if (t->cache != NULL)
		flow_cache_release(t->cache);
	flow_cache_release(t->exact);
	flow_cls_release(t->cls);
	flow_rules_release(t);
}

/* The winning rule of each of keys[0, n) (n <= SDNFV_FLOW_BURST_MAX), FLOW_RULE_NONE for none:
 * the higher priority of the exact tier's rule and the classifier's winner, the exact rule on
 * equal priority. Returns the visibility version the answers hold at. Readers and the writer. */
static uint64_t
classify(const struct sdnfv_flow_table *t, const struct sdnfv_flow_key *keys, unsigned int n,
	 uint32_t *ids)
{
	struct flow_entry *ent[SDNFV_FLOW_BURST_MAX];
	uint64_t found = 0, vis;

	/* The exact tier first, the classifier's view after (flow_internal.h): its bucket loads
	 * are followed by an acquire fence, and the view is loaded with acquire. */
	if (__atomic_load_n(&t->n_exact, __ATOMIC_ACQUIRE) != 0) {
		struct sdnfv_flow_key xk[SDNFV_FLOW_BURST_MAX];
		unsigned int i;

		for (i = 0; i < n; i++)
			flow_key_exact(&keys[i], &xk[i]);
		flow_cache_lookup_burst(t->exact, xk, n, ent, &found);
	}
	vis = flow_cls_lookup_burst(t->cls, keys, n, ids);
	while (found != 0) {
		unsigned int i = (unsigned int)__builtin_ctzll(found);
		uint32_t id = ent[i]->rule_id; /* written before the entry was published */
		const struct flow_rule *r = &t->rules[id];

		found &= found - 1;
		/* Visible at the view's version: vis_del first (see cls.c visible()). */
		if (vis >= __atomic_load_n(&r->vis_del, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&r->vis_add, __ATOMIC_RELAXED) > vis)
			continue;
		if (ids[i] == FLOW_RULE_NONE || r->priority >= t->rules[ids[i]].priority)
			ids[i] = id;
	}
	return vis;
}

void
flow_table_forget(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key)
{
	struct flow_entry *e = flow_cache_find(t->cache, key);

	if (e == NULL)
		return;
	/* A reader that validated the entry before this store and reads it again after reading an
	 * action published later (release) finds it dead, and classifies the key instead. */
	__atomic_store_n(&e->epoch, e->epoch - 1, __ATOMIC_RELEASE);
	flow_cache_remove(t->cache, e);
}

/* Cache keys[0, n) with the rule each wins now; a key no rule matches is not cached (and any
 * stale entry of it removed). Returns how many were cached. */
static unsigned int
cache_keys(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *keys, unsigned int n)
{
	uint32_t ids[SDNFV_FLOW_BURST_MAX];
	uint32_t ms = now_ms(t), epoch = t->epoch;
	unsigned int i, done = 0;

	/* The writer reads the classifier view it published itself: nothing it reads can be
	 * freed under it (only this thread frees, in reclaim()). */
	classify(t, keys, n, ids);
	for (i = 0; i < n; i++) {
		struct flow_entry *e;

		/* Not canonical: an exact rule's add could not find it by its key. Classified every
		 * time instead (and no such key was ever cached: nothing to remove). */
		if (!flow_key_canonical(&keys[i]))
			continue;
		if (ids[i] == FLOW_RULE_NONE) {
			e = flow_cache_find(t->cache, &keys[i]);
			if (e != NULL)
				flow_cache_remove(t->cache, e);
			continue;
		}
		e = flow_cache_insert(t->cache, &keys[i], ms, ids[i], t->rules[ids[i]].version,
				      epoch);
		if (e == NULL) { /* every spare entry waits in limbo: free them and retry */
			reclaim(t);
			e = flow_cache_insert(t->cache, &keys[i], ms, ids[i],
					      t->rules[ids[i]].version, epoch);
		}
		done += e != NULL;
	}
	return done;
}

int
sdnfv_flow_insert(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key)
{
	if (t == NULL || key == NULL)
		return -EINVAL;
	if (t->cache == NULL)
		return -ENOTSUP;
	if (!flow_key_canonical(key)) {
		SDNFV_LOG(
			flow, ERR,
			"table %s: insert: key not canonical (a field its EtherType or IP protocol "
			"does not use, or a pad byte, is not 0)",
			t->name);
		return -EINVAL;
	}
	return cache_keys(t, key, 1) == 1 ? 0 : -ENOENT;
}

int
sdnfv_flow_remove(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key)
{
	struct flow_entry *e;

	if (t == NULL || key == NULL)
		return -EINVAL;
	if (t->cache == NULL)
		return -ENOTSUP;
	e = flow_cache_find(t->cache, key);
	if (e == NULL)
		return -ENOENT;
	flow_cache_remove(t->cache, e);
	return 0;
}

/* Cache what the readers asked for, a bounded number per reader. */
static void
learn(struct sdnfv_flow_table *t)
{
	uint32_t r;

	for (r = 0; r < t->max_readers; r++) {
		struct flow_learn *q = t->readers[r].learn;
		uint32_t tail = q->tail, head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
		uint32_t budget = LEARN_PER_CALL;

		while (tail != head && budget > 0) {
			struct sdnfv_flow_key batch[SDNFV_FLOW_BURST_MAX];
			unsigned int k = 0;

			while (tail != head && budget > 0 && k < SDNFV_FLOW_BURST_MAX) {
				batch[k++] = q->keys[tail % LEARN_QUEUE];
				tail++;
				budget--;
			}
			/* The slots are copied out: the reader may reuse them. */
			__atomic_store_n(&q->tail, tail, __ATOMIC_RELEASE);
			cache_keys(t, batch, k);
		}
	}
}

int
sdnfv_flow_maintain(struct sdnfv_flow_table *t, unsigned int budget)
{
	int n;

	if (t == NULL)
		return -EINVAL;
	n = flow_rules_expire(t, t->clock(t->clock_arg));
	if (t->cache != NULL) {
		learn(t);
		flow_cache_expire(t->cache, now_ms(t), t->flow_idle_ms,
				  budget != 0 ? budget : 1024);
	}
	flow_cls_maintain(t->cls);
	reclaim(t);
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

/* Answer keys from the cache where a valid entry holds them: ids[i] set and bit i of the
 * returned mask. An entry stands while the add epoch and its rule's version are those it
 * recorded (flow_internal.h). */
static uint64_t
cache_answers(const struct sdnfv_flow_table *t, const struct sdnfv_flow_key *keys, unsigned int n,
	      uint32_t ms, uint32_t *ids, uint32_t *epoch_out, struct flow_entry **entries)
{
	uint64_t found, valid = 0;
	uint32_t epoch = __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE);

	*epoch_out = epoch;
	flow_cache_lookup_burst(t->cache, keys, n, entries, &found);
	while (found != 0) {
		unsigned int i = (unsigned int)__builtin_ctzll(found);
		struct flow_entry *e = entries[i];
		uint64_t pair;
		uint32_t id, ver;

		found &= found - 1;
		if (__atomic_load_n(&e->epoch, __ATOMIC_ACQUIRE) == epoch) {
			/* rule_id and rule_ver are written together (one 64-bit store). */
			pair = __atomic_load_n((const uint64_t *)(const void *)&e->rule_id,
					       __ATOMIC_RELAXED);
			memcpy(&id, (const uint8_t *)&pair, sizeof(id));
			memcpy(&ver, (const uint8_t *)&pair + sizeof(id), sizeof(ver));
			if (id < t->max_rules &&
			    __atomic_load_n(&t->rules[id].version, __ATOMIC_ACQUIRE) == ver) {
				ids[i] = id;
				valid |= 1ull << i;
			}
		}
		/* Idle expiry reads last_used: store it only when it changed (once per ms). */
		if (__atomic_load_n(&e->last_used, __ATOMIC_RELAXED) != ms)
			__atomic_store_n(&e->last_used, ms, __ATOMIC_RELAXED);
	}
	return valid;
}

/* Ask the writer to cache keys[i] for the bits of `mask`. */
static void
ask_learn(struct flow_reader_slot *s, const struct sdnfv_flow_key *keys, uint64_t mask)
{
	struct flow_learn *q = s->learn;
	uint32_t head = q->head, tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);

	while (mask != 0) {
		unsigned int i = (unsigned int)__builtin_ctzll(mask);

		mask &= mask - 1;
		if (head - tail == LEARN_QUEUE) {
			q->dropped += (uint64_t)__builtin_popcountll(mask) + 1;
			break;
		}
		q->keys[head % LEARN_QUEUE] = keys[i];
		head++;
	}
	__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
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
	uint64_t now, vis = UINT64_MAX, all, hits = 0, learn_mask = 0;

	if (hit_mask != NULL)
		*hit_mask = 0;
	if (n > SDNFV_FLOW_BURST_MAX)
		n = SDNFV_FLOW_BURST_MAX;
	if (n == 0)
		return 0;
	t = s->t;
	row = s->row;
	now = t->clock(t->clock_arg);
	all = n == 64 ? UINT64_MAX : (1ull << n) - 1;
	if (t->cache != NULL) {
		struct flow_entry *entries[SDNFV_FLOW_BURST_MAX];
		uint32_t epoch;
		uint64_t m;

		hits = cache_answers(t, keys, n, (uint32_t)(now / 1000000), ids, &epoch, entries);
		/* A cached answer is the rule's current action, read now; the winner was checked
		 * against the epoch read before. A rule added in between may beat it, and an action
		 * changed in between would pair the old winner with a newer action: a state that
		 * never was. Unless the epoch still holds after the actions are read, the burst is
		 * classified instead (rare: only while rules are being added to the classifier);
		 * unless its entry still holds (an exact rule of its key kills it), the key is. */
		for (m = hits; m != 0; m &= m - 1) {
			i = (unsigned int)__builtin_ctzll(m);
			res[i].action = flow_rule_action(&t->rules[ids[i]], UINT64_MAX);
		}
		if (hits != 0 && __atomic_load_n(&t->epoch, __ATOMIC_ACQUIRE) != epoch)
			hits = 0;
		for (m = hits; m != 0; m &= m - 1) {
			i = (unsigned int)__builtin_ctzll(m);
			if (__atomic_load_n(&entries[i]->epoch, __ATOMIC_ACQUIRE) != epoch)
				hits &= ~(1ull << i);
		}
	}
	if (hits != all) {
		struct sdnfv_flow_key miss_keys[SDNFV_FLOW_BURST_MAX];
		uint32_t miss_ids[SDNFV_FLOW_BURST_MAX];
		unsigned int pos[SDNFV_FLOW_BURST_MAX], k = 0;
		uint64_t m = all & ~hits;

		if (hits == 0) {
			vis = classify(t, keys, n, ids);
		} else {
			while (m != 0) {
				pos[k] = (unsigned int)__builtin_ctzll(m);
				m &= m - 1;
				miss_keys[k] = keys[pos[k]];
				k++;
			}
			vis = classify(t, miss_keys, k, miss_ids);
			for (i = 0; i < k; i++)
				ids[pos[i]] = miss_ids[i];
		}
	}
	for (i = 0; i < n; i++)
		if (ids[i] != FLOW_RULE_NONE)
			rte_prefetch0(&row[ids[i]]);
	for (i = 0; i < n; i++) {
		uint32_t id = ids[i];
		struct flow_rule_count *c;

		res[i].rule_id = id;
		res[i].pad = 0;
		if (id == FLOW_RULE_NONE) {
			res[i].action = NULL;
			continue;
		}
		/* A cached answer's action was read above; a classified one holds at the view's
		 * version. */
		if (!((hits >> i) & 1)) {
			res[i].action = flow_rule_action(&t->rules[id], vis);
			learn_mask |= 1ull << i;
		}
		/* This reader is the only writer of its row: plain increments, atomic stores so
		 * that the writer's sums never see a torn value. */
		c = &row[id];
		__atomic_store_n(&c->packets, c->packets + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->bytes, c->bytes + (bytes != NULL ? bytes[i] : 0),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&c->last_ns, now, __ATOMIC_RELAXED);
		matched++;
	}
	if ((flags & SDNFV_FLOW_LOOKUP_LEARN) && t->cache != NULL && learn_mask != 0)
		ask_learn(s, keys, learn_mask);
	if (hit_mask != NULL)
		*hit_mask = hits;
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
