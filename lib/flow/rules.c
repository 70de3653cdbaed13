/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rule store: rule slots (id = slot index), OpenFlow 1.3 add/modify/delete semantics, timeouts
 * and counters. Writer thread only, except where a comment says a reader reads it.
 *
 *  - Index: a chained hash of (canonical match, priority) finds the rule an add replaces and the
 *    rule a strict selection names; a second chain per priority hash lists the rules of one
 *    priority for the overlap check. A dense list of live ids serves non-strict selection and
 *    foreach. Nothing here scans all slots.
 *  - Actions are blocks published by pointer (RCU): replace and modify install a new block stamped
 *    with the visibility version of their commit (struct flow_act) and put the old one in limbo;
 *    readers take the pointer with an acquire load and step back to their view's version.
 *  - Counters: per reader and rule, written only by that reader; read as sums. A reset (or a
 *    slot's reuse) records the current sums as the rule's base.
 *  - Timeouts: one min-heap keyed by the earliest time a rule could expire: its hard deadline, or
 *    its last known use plus its idle timeout. Popping a rule looks at its real last use: it
 *    expires, or goes back with a later key. Work per maintain() is proportional to the rules
 *    that are due, not to the table.
 */
#include <errno.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "common/params.h"
#include "flow_internal.h"

#define SEC_NS 1000000000ull
#define NO_POS UINT32_MAX

#define F_ALL (SDNFV_FLOW_F_CHECK_OVERLAP | SDNFV_FLOW_F_RESET_COUNTS | SDNFV_FLOW_F_SEND_REMOVED)

#define ACT_CHUNK 256

struct act_chunk {
	struct act_chunk *next;
	struct flow_act n[ACT_CHUNK];
};

struct heap_ent {
	uint64_t key;
	uint32_t id;
	uint32_t pad;
};

struct rules_priv {
	uint32_t nb_mask;
	uint32_t *mhead; /* [nb] (match, priority) chains */
	uint32_t *mnext; /* [max_rules] */
	uint32_t *mhash; /* [max_rules] */
	uint32_t *phead; /* [nb] priority chains, doubly linked */
	uint32_t *pnext, *pprev;
	uint32_t *live, *live_pos; /* dense list of live ids */
	struct heap_ent *heap;     /* [max_rules] */
	uint32_t heap_n;
	uint32_t *scratch;       /* [max_rules] ids selected by one call */
	uint8_t *scratch_reason; /* [max_rules] */
	struct flow_act *act_free, *act_limbo, *act_sealed;
	struct act_chunk *act_chunks;
	uint64_t mem;
};

static inline struct rules_priv *
priv(const struct sdnfv_flow_table *t)
{
	return (struct rules_priv *)t->rules_priv;
}

static inline uint64_t
now_ns(const struct sdnfv_flow_table *t)
{
	return t->clock(t->clock_arg);
}

/* ---- memory -------------------------------------------------------------------------------- */

static void *
zalloc(const struct sdnfv_flow_table *t, struct rules_priv *p, size_t sz)
{
	void *m = rte_zmalloc_socket("sdnfv_flow_rules", sz, RTE_CACHE_LINE_SIZE, t->socket_id);

	if (m != NULL && p != NULL)
		p->mem += sz;
	return m;
}

static struct flow_act *
act_get(struct sdnfv_flow_table *t)
{
	struct rules_priv *p = priv(t);
	struct flow_act *a = p->act_free;

	if (a == NULL) {
		struct act_chunk *ch = zalloc(t, p, sizeof(*ch));
		unsigned int i;

		if (ch == NULL)
			return NULL;
		ch->next = p->act_chunks;
		p->act_chunks = ch;
		for (i = 0; i < ACT_CHUNK; i++) {
			ch->n[i].next = p->act_free;
			p->act_free = &ch->n[i];
		}
		a = p->act_free;
	}
	p->act_free = a->next;
	a->next = NULL;
	return a;
}

/* Back to the free list: never published. */
static void
act_unget(struct sdnfv_flow_table *t, struct flow_act *a)
{
	a->next = priv(t)->act_free;
	priv(t)->act_free = a;
}

/* To limbo: readers may hold it, or reach it through `prev`, until a grace period passes. */
static void
act_retire(struct sdnfv_flow_table *t, const struct sdnfv_flow_action *pub)
{
	struct flow_act *a = (struct flow_act *)(uintptr_t)pub;

	a->next = priv(t)->act_limbo;
	priv(t)->act_limbo = a;
}

/* Make `a` rule r's action from the next commit on. `first`: a new incarnation, whose readers
 * never need an older block. */
static void
act_publish(struct sdnfv_flow_table *t, struct flow_rule *r, struct flow_act *a,
	    const struct sdnfv_flow_action *action, bool first)
{
	a->a = *action;
	a->vis = flow_cls_next(t->cls);
	a->prev = first ? NULL : (const struct flow_act *)r->action;
	__atomic_store_n(&r->action, &a->a, __ATOMIC_RELEASE);
}

int
flow_rules_init(struct sdnfv_flow_table *t)
{
	struct rules_priv *p;
	uint32_t n = t->max_rules, nb = 64, i;
	size_t counts = (size_t)t->max_readers * n * sizeof(struct flow_rule_count);

	while (nb < n && nb < (1u << 31))
		nb <<= 1;
	p = zalloc(t, NULL, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	t->rules_priv = p;
	p->mem = sizeof(*p);
	p->nb_mask = nb - 1;
	t->rules = zalloc(t, p, sizeof(*t->rules) * n);
	t->counts = zalloc(t, p, counts);
	p->mhead = zalloc(t, p, sizeof(uint32_t) * nb);
	p->phead = zalloc(t, p, sizeof(uint32_t) * nb);
	p->mnext = zalloc(t, p, sizeof(uint32_t) * n);
	p->mhash = zalloc(t, p, sizeof(uint32_t) * n);
	p->pnext = zalloc(t, p, sizeof(uint32_t) * n);
	p->pprev = zalloc(t, p, sizeof(uint32_t) * n);
	p->live = zalloc(t, p, sizeof(uint32_t) * n);
	p->live_pos = zalloc(t, p, sizeof(uint32_t) * n);
	p->heap = zalloc(t, p, sizeof(struct heap_ent) * n);
	p->scratch = zalloc(t, p, sizeof(uint32_t) * n);
	p->scratch_reason = zalloc(t, p, n);
	if (t->rules == NULL || t->counts == NULL || p->mhead == NULL || p->phead == NULL ||
	    p->mnext == NULL || p->mhash == NULL || p->pnext == NULL || p->pprev == NULL ||
	    p->live == NULL || p->live_pos == NULL || p->heap == NULL || p->scratch == NULL ||
	    p->scratch_reason == NULL) {
		flow_rules_fini(t);
		return -ENOMEM;
	}
	for (i = 0; i < nb; i++)
		p->mhead[i] = p->phead[i] = FLOW_RULE_NONE;
	/* Slots 0, 1, 2, ... are handed out first. vis_del = 0: no incarnation is visible. */
	for (i = 0; i < n; i++) {
		t->rules[i].next_free = i + 1 < n ? i + 1 : FLOW_RULE_NONE;
		t->rules[i].heap_idx = NO_POS;
		t->rules[i].vis_del = 0;
	}
	t->free_head = 0;
	t->limbo_head = t->sealed_head = FLOW_RULE_NONE;
	return 0;
}

void
flow_rules_fini(struct sdnfv_flow_table *t)
{
	struct rules_priv *p = priv(t);

	if (p == NULL)
		return;
	while (p->act_chunks != NULL) {
		struct act_chunk *ch = p->act_chunks;

		p->act_chunks = ch->next;
		rte_free(ch);
	}
	rte_free(p->mhead);
	rte_free(p->phead);
	rte_free(p->mnext);
	rte_free(p->mhash);
	rte_free(p->pnext);
	rte_free(p->pprev);
	rte_free(p->live);
	rte_free(p->live_pos);
	rte_free(p->heap);
	rte_free(p->scratch);
	rte_free(p->scratch_reason);
	rte_free(t->rules);
	rte_free(t->counts);
	t->rules = NULL;
	t->counts = NULL;
	rte_free(p);
	t->rules_priv = NULL;
}

uint64_t
flow_rules_memory(const struct sdnfv_flow_table *t)
{
	return priv(t)->mem;
}

/* ---- counters ------------------------------------------------------------------------------ */

static void
count_sums(const struct sdnfv_flow_table *t, uint32_t id, uint64_t *packets, uint64_t *bytes,
	   uint64_t *last)
{
	uint64_t pk = 0, by = 0, la = 0;
	uint32_t r;

	for (r = 0; r < t->max_readers; r++) {
		const struct flow_rule_count *c = &t->counts[(size_t)r * t->max_rules + id];
		uint64_t l = __atomic_load_n(&c->last_ns, __ATOMIC_RELAXED);

		pk += __atomic_load_n(&c->packets, __ATOMIC_RELAXED);
		by += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
		la = RTE_MAX(la, l);
	}
	*packets = pk;
	*bytes = by;
	if (last != NULL)
		*last = la;
}

uint64_t
flow_rules_last_used(const struct sdnfv_flow_table *t, uint32_t rule_id)
{
	uint64_t pk, by, last;

	count_sums(t, rule_id, &pk, &by, &last);
	return last;
}

static void
reset_counts(const struct sdnfv_flow_table *t, struct flow_rule *r, uint32_t id)
{
	count_sums(t, id, &r->base_packets, &r->base_bytes, NULL);
}

/* Last use that counts for the rule's current incarnation: packets before it was (re)added are
 * an older rule's, or older than its restart. */
static uint64_t
last_use(const struct sdnfv_flow_table *t, const struct flow_rule *r, uint32_t id)
{
	return RTE_MAX(r->added_ns, flow_rules_last_used(t, id));
}

static void
rule_stats(const struct sdnfv_flow_table *t, const struct flow_rule *r, uint32_t id, uint64_t now,
	   struct sdnfv_flow_stats *st)
{
	uint64_t pk, by, last;

	count_sums(t, id, &pk, &by, &last);
	last = RTE_MAX(r->added_ns, last);
	st->packets = pk - r->base_packets;
	st->bytes = by - r->base_bytes;
	st->duration_ns = now > r->added_ns ? now - r->added_ns : 0;
	st->idle_ns = now > last ? now - last : 0;
}

/* ---- index --------------------------------------------------------------------------------- */

/* A hash of the fields the match names (values and masks) and the priority. */
static uint32_t
match_hash(const struct sdnfv_flow_match *m, uint16_t prio)
{
	struct {
		uint32_t fields;
		uint16_t prio, in_port, eth_type, vlan, vlan_mask, sport, sport_mask, dport,
			dport_mask;
		uint8_t ip_proto, src_plen, dst_plen, icmp_type, icmp_code, pad[3];
		uint8_t src[16], dst[16];
	} c;
	uint64_t w[(sizeof(c) + 7) / 8];
	uint32_t f = m->fields;

	memset(&c, 0, sizeof(c));
	c.fields = f;
	c.prio = prio;
	if (f & SDNFV_FLOW_M_IN_PORT)
		c.in_port = m->in_port;
	if (f & SDNFV_FLOW_M_ETH_TYPE)
		c.eth_type = m->eth_type;
	if (f & SDNFV_FLOW_M_VLAN) {
		c.vlan = m->vlan;
		c.vlan_mask = m->vlan_mask;
	}
	if (f & SDNFV_FLOW_M_IP_PROTO)
		c.ip_proto = m->ip_proto;
	if (f & SDNFV_FLOW_M_SRC) {
		c.src_plen = m->src_plen;
		memcpy(c.src, m->src.v6, 16);
	}
	if (f & SDNFV_FLOW_M_DST) {
		c.dst_plen = m->dst_plen;
		memcpy(c.dst, m->dst.v6, 16);
	}
	if (f & SDNFV_FLOW_M_SPORT) {
		c.sport = m->sport;
		c.sport_mask = m->sport_mask;
	}
	if (f & SDNFV_FLOW_M_DPORT) {
		c.dport = m->dport;
		c.dport_mask = m->dport_mask;
	}
	if (f & SDNFV_FLOW_M_ICMP_TYPE)
		c.icmp_type = m->icmp_type;
	if (f & SDNFV_FLOW_M_ICMP_CODE)
		c.icmp_code = m->icmp_code;
	/* rte_hash_crc() reads 8 bytes at a time through uint64_t: give it uint64_t objects, not
	 * the struct (strict aliasing would let the compiler drop the field stores). */
	memset(w, 0, sizeof(w));
	memcpy(w, &c, sizeof(c));
	return rte_hash_crc(w, sizeof(w), 0x5d4e3f21);
}

static inline uint32_t
prio_bucket(const struct rules_priv *p, uint16_t prio)
{
	return rte_hash_crc_4byte(prio, 0x2f1e0d3c) & p->nb_mask;
}

static uint32_t
find(const struct sdnfv_flow_table *t, const struct sdnfv_flow_match *m, uint16_t prio, uint32_t h)
{
	const struct rules_priv *p = priv(t);
	uint32_t id;

	for (id = p->mhead[h & p->nb_mask]; id != FLOW_RULE_NONE; id = p->mnext[id]) {
		const struct flow_rule *r = &t->rules[id];

		if (p->mhash[id] == h && r->priority == prio && flow_match_equal(&r->rule.match, m))
			return id;
	}
	return FLOW_RULE_NONE;
}

static bool
overlaps(const struct sdnfv_flow_table *t, const struct sdnfv_flow_match *m, uint16_t prio)
{
	const struct rules_priv *p = priv(t);
	uint32_t id;

	for (id = p->phead[prio_bucket(p, prio)]; id != FLOW_RULE_NONE; id = p->pnext[id]) {
		const struct flow_rule *r = &t->rules[id];

		if (r->priority == prio && flow_match_overlap(&r->rule.match, m))
			return true;
	}
	return false;
}

static void
index_add(struct sdnfv_flow_table *t, uint32_t id, uint32_t h)
{
	struct rules_priv *p = priv(t);
	uint32_t mb = h & p->nb_mask, pb = prio_bucket(p, t->rules[id].priority);

	p->mhash[id] = h;
	p->mnext[id] = p->mhead[mb];
	p->mhead[mb] = id;
	p->pprev[id] = FLOW_RULE_NONE;
	p->pnext[id] = p->phead[pb];
	if (p->phead[pb] != FLOW_RULE_NONE)
		p->pprev[p->phead[pb]] = id;
	p->phead[pb] = id;
	p->live_pos[id] = t->n_rules;
	p->live[t->n_rules++] = id;
}

static void
index_del(struct sdnfv_flow_table *t, uint32_t id)
{
	struct rules_priv *p = priv(t);
	uint32_t *link = &p->mhead[p->mhash[id] & p->nb_mask];
	uint32_t pb = prio_bucket(p, t->rules[id].priority), pos, last;

	while (*link != id)
		link = &p->mnext[*link];
	*link = p->mnext[id];
	if (p->pprev[id] != FLOW_RULE_NONE)
		p->pnext[p->pprev[id]] = p->pnext[id];
	else
		p->phead[pb] = p->pnext[id];
	if (p->pnext[id] != FLOW_RULE_NONE)
		p->pprev[p->pnext[id]] = p->pprev[id];
	pos = p->live_pos[id];
	last = p->live[--t->n_rules];
	p->live[pos] = last;
	p->live_pos[last] = pos;
}

/* ---- timeout heap -------------------------------------------------------------------------- */

static void
heap_set(struct sdnfv_flow_table *t, uint32_t i, struct heap_ent e)
{
	priv(t)->heap[i] = e;
	t->rules[e.id].heap_idx = i;
}

static void
heap_fix(struct sdnfv_flow_table *t, uint32_t i)
{
	struct rules_priv *p = priv(t);
	struct heap_ent e = p->heap[i];

	while (i > 0 && p->heap[(i - 1) / 2].key > e.key) {
		heap_set(t, i, p->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= p->heap_n)
			break;
		if (c + 1 < p->heap_n && p->heap[c + 1].key < p->heap[c].key)
			c++;
		if (p->heap[c].key >= e.key)
			break;
		heap_set(t, i, p->heap[c]);
		i = c;
	}
	heap_set(t, i, e);
}

static void
heap_del(struct sdnfv_flow_table *t, uint32_t id)
{
	struct rules_priv *p = priv(t);
	uint32_t i = t->rules[id].heap_idx;

	if (i == NO_POS)
		return;
	t->rules[id].heap_idx = NO_POS;
	if (i == --p->heap_n)
		return;
	heap_set(t, i, p->heap[p->heap_n]);
	heap_fix(t, i);
}

/* The earliest time rule `id` could expire, or UINT64_MAX. */
static uint64_t
next_expiry(const struct sdnfv_flow_table *t, const struct flow_rule *r, uint32_t id,
	    uint64_t *hard_dl, uint64_t *idle_dl)
{
	uint64_t h = UINT64_MAX, i = UINT64_MAX;

	if (r->rule.hard_timeout != 0)
		h = r->added_ns + r->rule.hard_timeout * SEC_NS;
	if (r->rule.idle_timeout != 0)
		i = last_use(t, r, id) + r->rule.idle_timeout * SEC_NS;
	if (hard_dl != NULL) {
		*hard_dl = h;
		*idle_dl = i;
	}
	return RTE_MIN(h, i);
}

/* (Re)place rule `id` in the heap after its timeouts or start changed. */
static void
heap_update(struct sdnfv_flow_table *t, uint32_t id)
{
	struct rules_priv *p = priv(t);
	struct flow_rule *r = &t->rules[id];
	uint64_t key = next_expiry(t, r, id, NULL, NULL);

	if (key == UINT64_MAX) {
		heap_del(t, id);
		return;
	}
	if (r->heap_idx == NO_POS) {
		r->heap_idx = p->heap_n++;
		p->heap[r->heap_idx].id = id;
	}
	p->heap[r->heap_idx].key = key;
	heap_fix(t, r->heap_idx);
}

/* ---- checks and selection ------------------------------------------------------------------ */

static int
check_action(const struct sdnfv_flow_action *a)
{
	if (a->type > SDNFV_FLOW_ACT_USER || a->pad2 != 0 ||
	    (a->reason != 0 && a->type != SDNFV_FLOW_ACT_CONTROLLER)) {
		SDNFV_LOG(flow, ERR, "bad action: type %u (reason %u, pad %u)", a->type, a->reason,
			  a->pad2);
		return -EINVAL;
	}
	return 0;
}

static int
read_select(const struct sdnfv_flow_select *in, struct sdnfv_flow_select *sel)
{
	size_t known = offsetof(struct sdnfv_flow_select, out) + sizeof(in->out);

	if (sdnfv_params_read(in, sel, sizeof(*sel), known) != 0) {
		SDNFV_LOG(flow, ERR, "selector missing or its sz too small");
		return -EINVAL;
	}
	return sdnfv_flow_match_check(&sel->match);
}

static bool
selected(const struct flow_rule *r, const struct sdnfv_flow_select *sel)
{
	const struct sdnfv_flow_rule *ru = &r->rule;

	if ((ru->cookie & sel->cookie_mask) != (sel->cookie & sel->cookie_mask))
		return false;
	if (sel->out_filter) {
		const struct sdnfv_flow_action *a = &ru->action;

		if (a->type != sel->out.type)
			return false;
		if ((a->type == SDNFV_FLOW_ACT_PORT || a->type == SDNFV_FLOW_ACT_SERVICE) &&
		    a->arg != sel->out.arg)
			return false;
	}
	if (sel->strict)
		return r->priority == sel->priority && flow_match_equal(&ru->match, &sel->match);
	return sdnfv_flow_match_covered(&ru->match, &sel->match);
}

/* The ids of the selected rules, into scratch. */
static uint32_t
select_rules(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *sel)
{
	struct rules_priv *p = priv(t);
	uint32_t n = 0, i;

	if (sel->strict) {
		uint32_t id =
			find(t, &sel->match, sel->priority, match_hash(&sel->match, sel->priority));

		if (id != FLOW_RULE_NONE && selected(&t->rules[id], sel))
			p->scratch[n++] = id;
		return n;
	}
	for (i = 0; i < t->n_rules; i++) {
		uint32_t id = p->live[i];

		if (selected(&t->rules[id], sel))
			p->scratch[n++] = id;
	}
	return n;
}

/* ---- add ----------------------------------------------------------------------------------- */

/* Does the table have an exact tier and is `m` exact? Its key into *key. */
static bool
exact_key(const struct sdnfv_flow_table *t, const struct sdnfv_flow_match *m,
	  struct sdnfv_flow_key *key)
{
	return t->exact != NULL && flow_match_exact(m, key);
}

static int
replace(struct sdnfv_flow_table *t, uint32_t id, const struct sdnfv_flow_rule *in, uint64_t now)
{
	struct flow_rule *r = &t->rules[id];
	const struct sdnfv_flow_action *old = r->action;
	struct flow_act *a;
	int ret;

	ret = flow_cls_reserve(t->cls);
	if (ret != 0)
		return ret;
	a = act_get(t);
	if (a == NULL)
		return -ENOMEM;
	act_publish(t, r, a, &in->action, false);
	act_retire(t, old);
	flow_cls_touch(t->cls);
	flow_cls_commit(t->cls);
	r->rule.cookie = in->cookie;
	r->rule.idle_timeout = in->idle_timeout;
	r->rule.hard_timeout = in->hard_timeout;
	r->rule.flags = in->flags;
	r->rule.action = in->action;
	r->added_ns = now;
	if (in->flags & SDNFV_FLOW_F_RESET_COUNTS)
		reset_counts(t, r, id);
	heap_update(t, id);
	return 0;
}

int
sdnfv_flow_add(struct sdnfv_flow_table *t, const struct sdnfv_flow_rule *rule)
{
	size_t known = offsetof(struct sdnfv_flow_rule, action) + sizeof(rule->action);
	struct sdnfv_flow_rule in;
	struct sdnfv_flow_key xk;
	struct flow_rule *r;
	struct flow_act *a;
	uint32_t h, id;
	uint64_t now;
	bool exact;
	int ret;

	if (t == NULL || sdnfv_params_read(rule, &in, sizeof(in), known) != 0) {
		SDNFV_LOG(flow, ERR, "add: table or rule missing, or rule sz too small");
		return -EINVAL;
	}
	in.sz = sizeof(in);
	if (sdnfv_flow_match_check(&in.match) != 0 || check_action(&in.action) != 0)
		return -EINVAL;
	if (in.flags & ~(uint32_t)F_ALL) {
		SDNFV_LOG(flow, ERR, "add: unknown flags 0x%x", in.flags);
		return -EINVAL;
	}
	if ((in.flags & SDNFV_FLOW_F_CHECK_OVERLAP) && overlaps(t, &in.match, in.priority))
		return -EEXIST;
	now = now_ns(t);
	h = match_hash(&in.match, in.priority);
	id = find(t, &in.match, in.priority, h);
	if (id != FLOW_RULE_NONE)
		return replace(t, id, &in, now);

	if (t->free_head == FLOW_RULE_NONE) {
		SDNFV_LOG(flow, ERR,
			  "table %s: full (%u rules; removed rules come back at maintain)", t->name,
			  t->max_rules);
		return -ENOSPC;
	}
	ret = flow_cls_reserve(t->cls);
	if (ret != 0)
		return ret;
	a = act_get(t);
	if (a == NULL)
		return -ENOMEM;
	id = t->free_head;
	r = &t->rules[id];
	r->rule = in;
	r->priority = in.priority;
	r->added_ns = now;
	reset_counts(t, r, id);
	/* An exact rule goes to the exact tier when its key has no rule there yet and the hash has
	 * room; else, like any rule, to the classifier. The entry is published before the slot's
	 * visibility is set: a reader that finds it early finds the rule not visible. */
	exact = exact_key(t, &in.match, &xk);
	r->exact = exact && flow_cache_find(t->exact, &xk) == NULL &&
		   flow_cache_add(t->exact, &xk, 0, id, 0, 0) != NULL;
	if (r->exact) {
		flow_cls_add_exact(t->cls, id);
	} else {
		ret = flow_cls_add(t->cls, id);
		if (ret != 0) {
			act_unget(t, a);
			return ret;
		}
	}
	t->free_head = r->next_free;
	act_publish(t, r, a, &in.action, true);
	index_add(t, id, h);
	__atomic_store_n(&r->alive, 1, __ATOMIC_RELEASE);
	if (r->exact)
		__atomic_store_n(&t->n_exact, t->n_exact + 1, __ATOMIC_RELEASE);
	flow_cls_commit(t->cls);
	if (exact) {
		/* The rule can beat the cached winner of its one key only, whichever tier holds it:
		 * forget that one. */
		if (t->cache != NULL)
			flow_table_forget(t, &xk);
	} else {
		/* After the classifier shows the rule: a reader that sees the new epoch sees the
		 * rule. */
		__atomic_store_n(&t->epoch, t->epoch + 1, __ATOMIC_RELEASE);
	}
	heap_update(t, id);
	return 0;
}

/* ---- removal ------------------------------------------------------------------------------- */

/* Remove the rules in scratch[0, n) as one update, then report them. */
static void
remove_rules(struct sdnfv_flow_table *t, uint32_t n, const uint8_t *reasons, uint64_t now)
{
	struct rules_priv *p = priv(t);
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint32_t id = p->scratch[i];

		__atomic_store_n(&t->rules[id].alive, 0, __ATOMIC_RELEASE);
		flow_cls_del(t->cls, id);
	}
	flow_cls_commit(t->cls);
	/* Exact-tier entries leave after the view without their rules is published: a reader that
	 * no longer finds one loads that view or a later one (flow_internal.h). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (i = 0; i < n; i++) {
		struct flow_rule *r = &t->rules[p->scratch[i]];
		struct sdnfv_flow_key xk;
		struct flow_entry *e;

		if (!r->exact)
			continue;
		exact_key(t, &r->rule.match, &xk);
		e = flow_cache_find(t->exact, &xk);
		if (e != NULL)
			flow_cache_remove(t->exact, e);
		r->exact = 0;
		__atomic_store_n(&t->n_exact, t->n_exact - 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < n; i++) {
		uint32_t id = p->scratch[i];
		struct flow_rule *r = &t->rules[id];

		/* After the classifier stopped showing it: flows cached on it fall through. */
		__atomic_store_n(&r->version, r->version + 1, __ATOMIC_RELEASE);
		heap_del(t, id);
		index_del(t, id);
		act_retire(t, r->action);
		r->next_free = t->limbo_head;
		t->limbo_head = id;
		if (t->removed != NULL && (r->rule.flags & SDNFV_FLOW_F_SEND_REMOVED)) {
			struct sdnfv_flow_stats st;

			rule_stats(t, r, id, now, &st);
			t->removed(t->removed_arg, &r->rule, &st,
				   reasons != NULL ? (enum sdnfv_flow_removed_reason)reasons[i]
						   : SDNFV_FLOW_REMOVED_DELETE);
		}
	}
}

int
sdnfv_flow_delete(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *in)
{
	struct sdnfv_flow_select sel;
	uint32_t n;
	int ret;

	if (t == NULL) {
		SDNFV_LOG(flow, ERR, "delete: no table");
		return -EINVAL;
	}
	if (read_select(in, &sel) != 0)
		return -EINVAL;
	ret = flow_cls_reserve(t->cls);
	if (ret != 0)
		return ret;
	n = select_rules(t, &sel);
	if (n > 0)
		remove_rules(t, n, NULL, now_ns(t));
	return (int)n;
}

int
flow_rules_expire(struct sdnfv_flow_table *t, uint64_t now)
{
	struct rules_priv *p = priv(t);
	uint32_t n = 0;

	if (p->heap_n == 0 || p->heap[0].key > now)
		return 0;
	if (flow_cls_reserve(t->cls) != 0)
		return -ENOMEM;
	while (p->heap_n > 0 && p->heap[0].key <= now) {
		uint32_t id = p->heap[0].id;
		const struct flow_rule *r = &t->rules[id];
		uint64_t hard_dl, idle_dl, due = next_expiry(t, r, id, &hard_dl, &idle_dl);

		if (due > now) { /* used since it was queued: back, with its real expiry */
			p->heap[0].key = due;
			heap_fix(t, 0);
			continue;
		}
		heap_del(t, id);
		p->scratch[n] = id;
		p->scratch_reason[n] =
			hard_dl <= idle_dl ? SDNFV_FLOW_REMOVED_HARD : SDNFV_FLOW_REMOVED_IDLE;
		n++;
	}
	if (n > 0)
		remove_rules(t, n, p->scratch_reason, now);
	return (int)n;
}

bool
flow_rules_has_limbo(const struct sdnfv_flow_table *t)
{
	return t->limbo_head != FLOW_RULE_NONE || priv(t)->act_limbo != NULL;
}

void
flow_rules_seal(struct sdnfv_flow_table *t)
{
	struct rules_priv *p = priv(t);

	while (t->limbo_head != FLOW_RULE_NONE) {
		uint32_t id = t->limbo_head;

		t->limbo_head = t->rules[id].next_free;
		t->rules[id].next_free = t->sealed_head;
		t->sealed_head = id;
	}
	while (p->act_limbo != NULL) {
		struct flow_act *a = p->act_limbo;

		p->act_limbo = a->next;
		a->next = p->act_sealed;
		p->act_sealed = a;
	}
}

void
flow_rules_release(struct sdnfv_flow_table *t)
{
	struct rules_priv *p = priv(t);

	while (t->sealed_head != FLOW_RULE_NONE) {
		uint32_t id = t->sealed_head;

		t->sealed_head = t->rules[id].next_free;
		t->rules[id].next_free = t->free_head;
		t->free_head = id;
	}
	while (p->act_sealed != NULL) {
		struct flow_act *a = p->act_sealed;

		p->act_sealed = a->next;
		a->next = p->act_free;
		p->act_free = a;
	}
}

/* ---- modify, foreach ----------------------------------------------------------------------- */

int
sdnfv_flow_modify(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *in,
		  const struct sdnfv_flow_action *action, uint32_t flags)
{
	struct rules_priv *p;
	struct sdnfv_flow_select sel;
	struct flow_act *got = NULL;
	uint32_t n, i;
	int ret;

	if (t == NULL || action == NULL) {
		SDNFV_LOG(flow, ERR, "modify: table or action missing");
		return -EINVAL;
	}
	if (read_select(in, &sel) != 0 || check_action(action) != 0)
		return -EINVAL;
	if (flags & ~(uint32_t)SDNFV_FLOW_F_RESET_COUNTS) {
		SDNFV_LOG(flow, ERR, "modify: flags 0x%x (only RESET_COUNTS applies)", flags);
		return -EINVAL;
	}
	ret = flow_cls_reserve(t->cls);
	if (ret != 0)
		return ret;
	p = priv(t);
	n = select_rules(t, &sel);
	/* Every block first, so that a failure changes nothing. */
	for (i = 0; i < n; i++) {
		struct flow_act *a = act_get(t);

		if (a == NULL) {
			while (got != NULL) {
				a = got;
				got = a->next;
				act_unget(t, a);
			}
			return -ENOMEM;
		}
		a->next = got;
		got = a;
	}
	/* All the rules' new actions take effect at one version: readers see all or none. */
	for (i = 0; i < n; i++) {
		uint32_t id = p->scratch[i];
		struct flow_rule *r = &t->rules[id];
		const struct sdnfv_flow_action *old = r->action;
		struct flow_act *a = got;

		got = a->next;
		a->next = NULL;
		act_publish(t, r, a, action, false);
		act_retire(t, old);
		r->rule.action = *action;
		if (flags & SDNFV_FLOW_F_RESET_COUNTS)
			reset_counts(t, r, id);
	}
	if (n > 0) {
		flow_cls_touch(t->cls);
		flow_cls_commit(t->cls);
	}
	return (int)n;
}

int
sdnfv_flow_foreach(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *in,
		   int (*fn)(void *arg, const struct sdnfv_flow_rule *rule,
			     const struct sdnfv_flow_stats *stats),
		   void *arg)
{
	struct sdnfv_flow_select sel;
	struct rules_priv *p;
	uint32_t n, i;
	uint64_t now;
	int visited = 0;

	if (t == NULL || fn == NULL) {
		SDNFV_LOG(flow, ERR, "foreach: table or function missing");
		return -EINVAL;
	}
	p = priv(t);
	if (in != NULL) {
		if (read_select(in, &sel) != 0)
			return -EINVAL;
		n = select_rules(t, &sel);
	} else {
		n = t->n_rules;
		memcpy(p->scratch, p->live, sizeof(uint32_t) * n);
	}
	now = now_ns(t);
	for (i = 0; i < n; i++) {
		uint32_t id = p->scratch[i];
		struct sdnfv_flow_stats st;

		rule_stats(t, &t->rules[id], id, now, &st);
		visited++;
		if (fn(arg, &t->rules[id].rule, &st) != 0)
			break;
	}
	return visited;
}
