/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow_test.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_memory.h>

#include "eal.h"

SDNFV_TEST_EAL_SUITE(flow, .timeout = 300);

/* ---- oracle ------------------------------------------------------------------------------------ */

void
oracle_init(struct oracle *o, uint32_t cap)
{
	o->r = calloc(cap, sizeof(*o->r));
	cr_assert_not_null(o->r);
	o->n = 0;
	o->cap = cap;
}

void
oracle_fini(struct oracle *o)
{
	free(o->r);
	o->r = NULL;
}

void
oracle_copy(struct oracle *dst, const struct oracle *src)
{
	oracle_init(dst, src->cap);
	memcpy(dst->r, src->r, sizeof(*src->r) * src->n);
	dst->n = src->n;
}

int
oracle_best_prio(const struct oracle *o, const struct sdnfv_flow_key *key)
{
	int best = -1;
	uint32_t i;

	for (i = 0; i < o->n; i++) {
		const struct orule *r = &o->r[i];

		if (r->live && (int)r->rule.priority > best &&
		    sdnfv_flow_match_key(&r->rule.match, key))
			best = r->rule.priority;
	}
	return best;
}

static bool
action_eq(const struct sdnfv_flow_action *a, const struct sdnfv_flow_action *b)
{
	return a->type == b->type && a->arg == b->arg && a->user == b->user;
}

bool
oracle_check(const struct oracle *o, const struct sdnfv_flow_key *key,
	     const struct sdnfv_flow_result *res, int *which)
{
	int best = oracle_best_prio(o, key), idx = -1;
	uint32_t i, n = 0;

	if (which != NULL)
		*which = -1;
	if (best < 0)
		return res->action == NULL && res->rule_id == FLOW_RULE_NONE;
	if (res->action == NULL)
		return false;
	for (i = 0; i < o->n; i++) {
		const struct orule *r = &o->r[i];

		if (r->live && r->rule.priority == best &&
		    action_eq(&r->rule.action, res->action) &&
		    sdnfv_flow_match_key(&r->rule.match, key)) {
			n++;
			idx = (int)i;
		}
	}
	if (which != NULL && n == 1)
		*which = idx;
	return n >= 1;
}

static bool
match_eq(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b)
{
	return a->fields == b->fields && sdnfv_flow_match_covered(a, b) &&
	       sdnfv_flow_match_covered(b, a);
}

int
oracle_find(const struct oracle *o, const struct sdnfv_flow_match *m, uint16_t prio)
{
	uint32_t i;

	for (i = 0; i < o->n; i++)
		if (o->r[i].live && o->r[i].rule.priority == prio &&
		    match_eq(&o->r[i].rule.match, m))
			return (int)i;
	return -1;
}

bool
oracle_overlaps(const struct oracle *o, const struct sdnfv_flow_match *m, uint16_t prio)
{
	struct flow_tern a, b;
	uint32_t i, w;

	flow_tern_from_match(m, &a);
	for (i = 0; i < o->n; i++) {
		uint64_t diff = 0;

		if (!o->r[i].live || o->r[i].rule.priority != prio)
			continue;
		flow_tern_from_match(&o->r[i].rule.match, &b);
		/* Some key matches both unless a bit both constrain differs. */
		for (w = 0; w < 6; w++)
			diff |= (a.val[w] ^ b.val[w]) & a.msk[w] & b.msk[w];
		if (diff == 0)
			return true;
	}
	return false;
}

int
oracle_add(struct oracle *o, const struct sdnfv_flow_rule *rule, uint64_t now)
{
	int i = oracle_find(o, &rule->match, rule->priority);
	struct orule *r;

	if (i >= 0) {
		r = &o->r[i];
		r->rule.cookie = rule->cookie;
		r->rule.idle_timeout = rule->idle_timeout;
		r->rule.hard_timeout = rule->hard_timeout;
		r->rule.flags = rule->flags;
		r->rule.action = rule->action;
		r->added_ns = now;
		if (rule->flags & SDNFV_FLOW_F_RESET_COUNTS) {
			r->packets = r->bytes = 0;
			r->counts_known = true;
		}
		return i;
	}
	cr_assert_lt(o->n, o->cap, "oracle full");
	r = &o->r[o->n];
	memset(r, 0, sizeof(*r));
	r->rule = *rule;
	r->live = true;
	r->added_ns = now;
	r->counts_known = true;
	return (int)o->n++;
}

bool
oracle_selected(const struct oracle *o, uint32_t i, const struct sdnfv_flow_select *sel)
{
	const struct orule *r = &o->r[i];

	if (!r->live)
		return false;
	if ((r->rule.cookie & sel->cookie_mask) != (sel->cookie & sel->cookie_mask))
		return false;
	if (sel->out_filter) {
		if (r->rule.action.type != sel->out.type)
			return false;
		if ((r->rule.action.type == SDNFV_FLOW_ACT_PORT ||
		     r->rule.action.type == SDNFV_FLOW_ACT_SERVICE) &&
		    r->rule.action.arg != sel->out.arg)
			return false;
	}
	if (sel->strict)
		return r->rule.priority == sel->priority && match_eq(&r->rule.match, &sel->match);
	return sdnfv_flow_match_covered(&r->rule.match, &sel->match);
}

/* ---- generators -------------------------------------------------------------------------------- */

enum { K_V4, K_V6, K_OTHER, K_NOETH };

static const uint8_t l4_protos[] = { 6, 17, 132 };
static const uint16_t ports[] = { 80, 443, 53, 22, 1024, 1025, 1026, 1027, 8080, 0 };
static const uint16_t port_masks[] = { 0xff00, 0xfff0, 0xfc00, 0xfffe };
static const uint16_t vids[] = { 1, 2, 3, 100, 0x105 };

static void
apply_prefix(uint8_t *a, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bits = plen > i * 8 ? (plen - i * 8 > 8 ? 8 : plen - i * 8) : 0;

		a[i] &= bits == 0 ? 0 : (uint8_t)(0xff00 >> bits);
	}
}

/* An address of the small universe the tests draw from, so that rules and keys meet. */
static void
gen_addr(struct rng *g, bool v6, union sdnfv_pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!v6) {
		a->v6[0] = 10;
		a->v6[1] = (uint8_t)rng_below(g, 2);
		a->v6[2] = (uint8_t)rng_below(g, 4);
		a->v6[3] = (uint8_t)rng_below(g, 8);
	} else {
		a->v6[0] = 0x20;
		a->v6[1] = 0x01;
		a->v6[2] = 0x0d;
		a->v6[3] = 0xb8;
		a->v6[5] = (uint8_t)rng_below(g, 4);
		a->v6[8] = (uint8_t)rng_below(g, 2);
		a->v6[15] = (uint8_t)rng_below(g, 8);
	}
}

static uint8_t
gen_plen(struct rng *g, bool v6)
{
	static const uint8_t p4[] = { 0, 8, 16, 23, 24, 29, 32, 32 };
	static const uint8_t p6[] = { 0, 32, 44, 64, 65, 120, 128, 128 };

	return v6 ? p6[rng_below(g, 8)] : p4[rng_below(g, 8)];
}

static void
gen_port(struct rng *g, uint16_t *v, uint16_t *m)
{
	if (rng_pct(g, 60)) {
		*v = ports[rng_below(g, RTE_DIM(ports))];
		*m = 0xffff;
	} else {
		*m = port_masks[rng_below(g, RTE_DIM(port_masks))];
		*v = ports[rng_below(g, RTE_DIM(ports))] & *m;
	}
}

void
gen_match(struct rng *g, struct sdnfv_flow_match *m, bool ip_only)
{
	unsigned int kind, pick = rng_below(g, 100);
	bool v6;

	memset(m, 0, sizeof(*m));
	if (ip_only)
		kind = pick < 60 ? K_V4 : K_V6;
	else
		kind = pick < 40 ? K_V4 : pick < 65 ? K_V6 : pick < 80 ? K_OTHER : K_NOETH;
	v6 = kind == K_V6;
	if (rng_pct(g, 25)) {
		m->fields |= SDNFV_FLOW_M_IN_PORT;
		m->in_port = (uint16_t)rng_below(g, 4);
	}
	if (rng_pct(g, 15)) {
		unsigned int how = rng_below(g, 4);
		uint16_t vid = vids[rng_below(g, RTE_DIM(vids))];

		m->fields |= SDNFV_FLOW_M_VLAN;
		if (how == 0) {
			m->vlan = SDNFV_FLOW_VLAN_PRESENT | vid;
			m->vlan_mask = 0x1fff;
		} else if (how == 1) {
			m->vlan = SDNFV_FLOW_VLAN_PRESENT;
			m->vlan_mask = SDNFV_FLOW_VLAN_PRESENT;
		} else if (how == 2) {
			m->vlan = 0;
			m->vlan_mask = 0x1fff;
		} else {
			m->vlan_mask = 0x1ff0;
			m->vlan = (SDNFV_FLOW_VLAN_PRESENT | vid) & m->vlan_mask;
		}
	}
	if (kind == K_OTHER) {
		m->fields |= SDNFV_FLOW_M_ETH_TYPE;
		m->eth_type = rng_pct(g, 50) ? 0x0806 : 0x88cc;
	}
	if (kind != K_V4 && kind != K_V6)
		goto done;
	m->fields |= SDNFV_FLOW_M_ETH_TYPE;
	m->eth_type = v6 ? 0x86dd : 0x0800;
	if (rng_pct(g, 50)) {
		m->fields |= SDNFV_FLOW_M_SRC;
		m->src_plen = gen_plen(g, v6);
		gen_addr(g, v6, &m->src);
		apply_prefix(m->src.v6, m->src_plen);
	}
	if (rng_pct(g, 50)) {
		m->fields |= SDNFV_FLOW_M_DST;
		m->dst_plen = gen_plen(g, v6);
		gen_addr(g, v6, &m->dst);
		apply_prefix(m->dst.v6, m->dst_plen);
	}
	if (rng_pct(g, 70)) {
		unsigned int p = rng_below(g, 10);

		m->fields |= SDNFV_FLOW_M_IP_PROTO;
		if (p < 6) {
			m->ip_proto = l4_protos[p % 3];
			if (rng_pct(g, 40)) {
				m->fields |= SDNFV_FLOW_M_SPORT;
				gen_port(g, &m->sport, &m->sport_mask);
			}
			if (rng_pct(g, 50)) {
				m->fields |= SDNFV_FLOW_M_DPORT;
				gen_port(g, &m->dport, &m->dport_mask);
			}
		} else if (p < 9) {
			static const uint8_t t4[] = { 0, 3, 8 }, t6[] = { 128, 129, 1 };

			m->ip_proto = v6 ? 58 : 1;
			if (rng_pct(g, 50)) {
				m->fields |= SDNFV_FLOW_M_ICMP_TYPE;
				m->icmp_type = v6 ? t6[rng_below(g, 3)] : t4[rng_below(g, 3)];
			}
			if (rng_pct(g, 30)) {
				m->fields |= SDNFV_FLOW_M_ICMP_CODE;
				m->icmp_code = (uint8_t)rng_below(g, 2);
			}
		} else {
			m->ip_proto = 47;
		}
	}
done:
	cr_assert_eq(sdnfv_flow_match_check(m), 0, "generator made a bad match");
}

void
exact_match_of_key(const struct sdnfv_flow_key *k, struct sdnfv_flow_match *m)
{
	bool v4 = k->eth_type == 0x0800, v6 = k->eth_type == 0x86dd;

	memset(m, 0, sizeof(*m));
	m->fields = SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_VLAN;
	m->in_port = k->in_port;
	m->eth_type = k->eth_type;
	m->vlan = k->vlan & 0x1fff;
	m->vlan_mask = 0x1fff;
	if (!v4 && !v6)
		return;
	m->fields |= SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DST;
	m->ip_proto = k->ip_proto;
	m->src_plen = m->dst_plen = v6 ? 128 : 32;
	memcpy(m->src.v6, k->src.v6, v6 ? 16 : 4);
	memcpy(m->dst.v6, k->dst.v6, v6 ? 16 : 4);
	if (k->ip_proto == 6 || k->ip_proto == 17 || k->ip_proto == 132) {
		m->fields |= SDNFV_FLOW_M_SPORT | SDNFV_FLOW_M_DPORT;
		m->sport = rte_be_to_cpu_16(k->sport);
		m->dport = rte_be_to_cpu_16(k->dport);
		m->sport_mask = m->dport_mask = 0xffff;
	} else if ((v4 && k->ip_proto == 1) || (v6 && k->ip_proto == 58)) {
		m->fields |= SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE;
		m->icmp_type = k->icmp_type;
		m->icmp_code = k->icmp_code;
	}
}

void
gen_key_noise(struct rng *g, struct sdnfv_flow_key *k)
{
	bool v4 = k->eth_type == 0x0800, v6 = k->eth_type == 0x86dd;
	bool l4 = (v4 || v6) && (k->ip_proto == 6 || k->ip_proto == 17 || k->ip_proto == 132);
	bool icmp = (v4 && k->ip_proto == 1) || (v6 && k->ip_proto == 58);
	unsigned int i;

	if (rng_pct(g, 50))
		k->vlan |= (uint16_t)(rng_below(g, 8) << 13);
	if (!v4 && !v6) {
		k->ip_proto = (uint8_t)rng_next(g);
		for (i = 0; i < 16; i++) {
			k->src.v6[i] = (uint8_t)rng_next(g);
			k->dst.v6[i] = (uint8_t)rng_next(g);
		}
	} else if (v4) {
		for (i = 4; i < 16; i++) {
			k->src.v6[i] = (uint8_t)rng_next(g);
			k->dst.v6[i] = (uint8_t)rng_next(g);
		}
	}
	if (!l4) {
		k->sport = (uint16_t)rng_next(g);
		k->dport = (uint16_t)rng_next(g);
	}
	if (!icmp) {
		k->icmp_type = (uint8_t)rng_next(g);
		k->icmp_code = (uint8_t)rng_next(g);
	}
}

void
gen_rule(struct rng *g, const struct gen_opts *opt, uint64_t tag, struct sdnfv_flow_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	if (opt->exact_pct != 0 && rng_pct(g, opt->exact_pct)) {
		struct sdnfv_flow_key k;

		gen_key(g, NULL, &k);
		exact_match_of_key(&k, &r->match);
		cr_assert_eq(sdnfv_flow_match_check(&r->match), 0, "generator made a bad match");
	} else {
		gen_match(g, &r->match, opt->ip_only);
	}
	r->priority = (uint16_t)rng_below(g, opt->prio_range);
	r->cookie = (tag << 8) | rng_below(g, 8);
	r->action.type = (uint8_t)rng_below(g, SDNFV_FLOW_ACT_USER + 1);
	if (r->action.type == SDNFV_FLOW_ACT_PORT || r->action.type == SDNFV_FLOW_ACT_SERVICE)
		r->action.arg = (uint16_t)rng_below(g, 4);
	r->action.user = tag;
	if (opt->timeouts) {
		if (rng_pct(g, 30))
			r->idle_timeout = (uint16_t)(1 + rng_below(g, 5));
		if (rng_pct(g, 20))
			r->hard_timeout = (uint16_t)(1 + rng_below(g, 8));
	}
	if (rng_pct(g, 60))
		r->flags |= SDNFV_FLOW_F_SEND_REMOVED;
}

/* v within (value, mask): the constrained bits of `want`, the others random. */
static uint16_t
fill16(struct rng *g, uint16_t want, uint16_t mask)
{
	return (uint16_t)((want & mask) | (rng_next(g) & ~mask));
}

void
gen_key(struct rng *g, const struct sdnfv_flow_match *near, struct sdnfv_flow_key *k)
{
	static const uint16_t eths[] = { 0x0800, 0x0800, 0x0800, 0x86dd, 0x86dd, 0x0806, 0x88cc };
	static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47, 6, 17 };
	uint32_t f = near != NULL && rng_pct(g, 85) ? near->fields : 0;
	bool v6;
	unsigned int i;

	memset(k, 0, sizeof(*k));
	k->eth_type =
		(f & SDNFV_FLOW_M_ETH_TYPE) ? near->eth_type : eths[rng_below(g, RTE_DIM(eths))];
	k->in_port = (f & SDNFV_FLOW_M_IN_PORT) ? near->in_port : (uint16_t)rng_below(g, 4);
	if (f & SDNFV_FLOW_M_VLAN) {
		k->vlan = fill16(g, near->vlan, near->vlan_mask) & 0x1fff;
		if (!(k->vlan & SDNFV_FLOW_VLAN_PRESENT))
			k->vlan = 0; /* untagged keys carry no VID */
	} else if (rng_pct(g, 30)) {
		k->vlan = SDNFV_FLOW_VLAN_PRESENT | vids[rng_below(g, RTE_DIM(vids))];
	}
	if (k->eth_type != 0x0800 && k->eth_type != 0x86dd)
		return;
	v6 = k->eth_type == 0x86dd;
	k->ip_proto = (f & SDNFV_FLOW_M_IP_PROTO) ? near->ip_proto : protos[rng_below(g, 8)];
	gen_addr(g, v6, &k->src);
	gen_addr(g, v6, &k->dst);
	if (f & SDNFV_FLOW_M_SRC) {
		union sdnfv_pkt_addr mask;

		memset(&mask, 0xff, sizeof(mask));
		apply_prefix(mask.v6, near->src_plen);
		for (i = 0; i < 16; i++)
			k->src.v6[i] =
				(near->src.v6[i] & mask.v6[i]) | (k->src.v6[i] & ~mask.v6[i]);
	}
	if (f & SDNFV_FLOW_M_DST) {
		union sdnfv_pkt_addr mask;

		memset(&mask, 0xff, sizeof(mask));
		apply_prefix(mask.v6, near->dst_plen);
		for (i = 0; i < 16; i++)
			k->dst.v6[i] =
				(near->dst.v6[i] & mask.v6[i]) | (k->dst.v6[i] & ~mask.v6[i]);
	}
	if (!v6) { /* an IPv4 key keeps 12 zero bytes after each address */
		memset(k->src.v6 + 4, 0, 12);
		memset(k->dst.v6 + 4, 0, 12);
	}
	if (k->ip_proto == 6 || k->ip_proto == 17 || k->ip_proto == 132) {
		uint16_t sp = ports[rng_below(g, RTE_DIM(ports))];
		uint16_t dp = rng_pct(g, 20) ? (uint16_t)rng_next(g)
					     : ports[rng_below(g, RTE_DIM(ports))];

		if (f & SDNFV_FLOW_M_SPORT)
			sp = fill16(g, near->sport, near->sport_mask);
		if (f & SDNFV_FLOW_M_DPORT)
			dp = fill16(g, near->dport, near->dport_mask);
		k->sport = rte_cpu_to_be_16(sp);
		k->dport = rte_cpu_to_be_16(dp);
	} else if (k->ip_proto == 1 || k->ip_proto == 58) {
		static const uint8_t types[] = { 0, 3, 8, 128, 129, 1 };

		k->icmp_type = (f & SDNFV_FLOW_M_ICMP_TYPE) ? near->icmp_type
							    : types[rng_below(g, RTE_DIM(types))];
		k->icmp_code =
			(f & SDNFV_FLOW_M_ICMP_CODE) ? near->icmp_code : (uint8_t)rng_below(g, 3);
	}
}

void
gen_coarser(struct rng *g, const struct sdnfv_flow_match *m, struct sdnfv_flow_match *out)
{
	*out = *m;
	if (rng_pct(g, 40))
		out->fields &= ~(uint32_t)(SDNFV_FLOW_M_SPORT | SDNFV_FLOW_M_DPORT);
	if (rng_pct(g, 40))
		out->fields &= ~(uint32_t)(SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE);
	if ((out->fields & SDNFV_FLOW_M_SRC) && rng_pct(g, 50)) {
		out->src_plen = (uint8_t)rng_below(g, out->src_plen + 1u);
		apply_prefix(out->src.v6, out->src_plen);
	}
	if ((out->fields & SDNFV_FLOW_M_DST) && rng_pct(g, 30))
		out->fields &= ~(uint32_t)SDNFV_FLOW_M_DST;
	if (rng_pct(g, 30))
		out->fields &= ~(uint32_t)(SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_VLAN);
	if (!(out->fields & (SDNFV_FLOW_M_SPORT | SDNFV_FLOW_M_DPORT | SDNFV_FLOW_M_ICMP_TYPE |
			     SDNFV_FLOW_M_ICMP_CODE)) &&
	    rng_pct(g, 30))
		out->fields &= ~(uint32_t)SDNFV_FLOW_M_IP_PROTO;
	if (!(out->fields &
	      (SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DST | SDNFV_FLOW_M_SPORT |
	       SDNFV_FLOW_M_DPORT | SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE)) &&
	    rng_pct(g, 30))
		out->fields &= ~(uint32_t)SDNFV_FLOW_M_ETH_TYPE;
	cr_assert_eq(sdnfv_flow_match_check(out), 0, "coarsening made a bad match");
	cr_assert(sdnfv_flow_match_covered(m, out), "coarsening does not cover its source");
}

/* ---- clock, removals, tables ----------------------------------------------------------------- */

uint64_t
test_clock_fn(void *arg)
{
	struct test_clock *c = arg;

	return __atomic_load_n(&c->now, __ATOMIC_RELAXED);
}

void
removals_cb(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats,
	    enum sdnfv_flow_removed_reason reason)
{
	struct removals *rm = arg;

	if (rm->n == rm->cap) {
		rm->cap = rm->cap ? rm->cap * 2 : 64;
		rm->r = realloc(rm->r, sizeof(*rm->r) * rm->cap);
		cr_assert_not_null(rm->r);
	}
	rm->r[rm->n].cookie = rule->cookie;
	rm->r[rm->n].priority = rule->priority;
	rm->r[rm->n].reason = reason;
	rm->r[rm->n].stats = *stats;
	rm->n++;
}

void
removals_fini(struct removals *rm)
{
	free(rm->r);
	memset(rm, 0, sizeof(*rm));
}

uint32_t test_table_flows;

struct sdnfv_flow_table *
test_table(uint32_t max_rules, uint32_t readers, struct test_clock *clk, struct removals *rm)
{
	struct sdnfv_flow_table_params p;
	struct sdnfv_flow_table *t = NULL;

	memset(&p, 0, sizeof(p));
	p.sz = sizeof(p);
	p.name = "test";
	p.socket_id = SOCKET_ID_ANY;
	p.max_rules = max_rules;
	p.max_readers = readers;
	p.max_flows = test_table_flows;
	if (rm != NULL) {
		p.removed = removals_cb;
		p.removed_arg = rm;
	}
	if (clk != NULL) {
		p.clock = test_clock_fn;
		p.clock_arg = clk;
	}
	cr_assert_eq(sdnfv_flow_table_create(&p, &t), 0, "table create failed");
	cr_assert_not_null(t);
	return t;
}

void
test_fast_rebuilds(struct sdnfv_flow_table *t)
{
	flow_cls_tune(t->cls, 4, 2, 1);
}
