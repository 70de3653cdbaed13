/* SPDX-License-Identifier: BSD-3-Clause */
/* The exact tier: rules that pin one flow live in a hash beside the classifier. What a match
 * must pin to be exact, and the behaviours around it: adds that leave other cached flows cached,
 * priorities against wildcard rules (exact on a tie), deletes falling back, timeouts, counters,
 * overlap and capacity, all through the public API. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>

#include "flow_test.h"

#define SEC 1000000000ull

/* A TCP/IPv4 flow from 10.0.i.1 on port 1, untagged. */
static struct sdnfv_flow_key
flow_key(uint32_t i)
{
	struct sdnfv_flow_key k;

	memset(&k, 0, sizeof(k));
	k.in_port = 1;
	k.eth_type = 0x0800;
	k.ip_proto = 6;
	k.src.v4 = rte_cpu_to_be_32(0x0a000001u | (i << 8));
	k.dst.v4 = rte_cpu_to_be_32(0xc0a80001u);
	k.sport = rte_cpu_to_be_16((uint16_t)(1000 + i));
	k.dport = rte_cpu_to_be_16(80);
	return k;
}

static struct sdnfv_flow_rule
exact_rule(const struct sdnfv_flow_key *k, uint16_t prio, uint64_t user)
{
	struct sdnfv_flow_rule r;

	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	exact_match_of_key(k, &r.match);
	r.priority = prio;
	r.cookie = user;
	r.action.type = SDNFV_FLOW_ACT_USER;
	r.action.user = user;
	return r;
}

/* TCP/IPv4 from 10.0.0.0/8: covers every flow_key(). */
static struct sdnfv_flow_rule
wild_rule(uint16_t prio, uint64_t user)
{
	struct sdnfv_flow_rule r;

	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.match.fields = SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC;
	r.match.eth_type = 0x0800;
	r.match.ip_proto = 6;
	r.match.src.v4 = rte_cpu_to_be_32(0x0a000000u);
	r.match.src_plen = 8;
	r.priority = prio;
	r.cookie = user;
	r.action.type = SDNFV_FLOW_ACT_USER;
	r.action.user = user;
	return r;
}

static struct sdnfv_flow_select
strict_sel(const struct sdnfv_flow_rule *r)
{
	struct sdnfv_flow_select s;

	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	s.strict = true;
	s.match = r->match;
	s.priority = r->priority;
	return s;
}

/* The user value of the rule key k hits (0: none); *cached: whether the cache answered. */
static uint64_t
look(struct sdnfv_flow_reader *rd, const struct sdnfv_flow_key *k, bool *cached)
{
	struct sdnfv_flow_result res;
	uint64_t hits = 0;
	uint32_t bytes = 100;

	sdnfv_flow_lookup_burst(rd, k, &bytes, 1, 0, &res, &hits);
	if (cached != NULL)
		*cached = hits & 1;
	return res.action != NULL ? res.action->user : 0;
}

/* ---- the predicate (pure functions: this suite starts no EAL) ------------------------------ */

Test(flow_exact_match, a_match_is_exact_when_it_pins_every_field_its_protocols_allow)
{
	struct sdnfv_flow_key k = flow_key(3), got, want;
	struct sdnfv_flow_match m, x;

	exact_match_of_key(&k, &m);
	cr_assert(flow_match_exact(&m, &got), "a TCP 5-tuple with port and untagged VLAN");
	flow_key_exact(&k, &want);
	cr_assert_eq(memcmp(&got, &want, sizeof(got)), 0, "its key is the flow's");

	x = m;
	x.fields &= ~(uint32_t)SDNFV_FLOW_M_DPORT;
	cr_expect_not(flow_match_exact(&x, NULL), "destination port wild");
	x = m;
	x.sport_mask = 0xfff0;
	x.sport &= 0xfff0;
	cr_expect_not(flow_match_exact(&x, NULL), "source port masked");
	x = m;
	x.src_plen = 31;
	cr_expect_not(flow_match_exact(&x, NULL), "a /31 source");
	x = m;
	x.vlan_mask = 0x1000;
	cr_expect_not(flow_match_exact(&x, NULL), "any tag or none");
	x = m;
	x.fields &= ~(uint32_t)SDNFV_FLOW_M_VLAN;
	cr_expect_not(flow_match_exact(&x, NULL), "VLAN wild");
	x = m;
	x.fields &= ~(uint32_t)SDNFV_FLOW_M_IN_PORT;
	cr_expect_not(flow_match_exact(&x, NULL), "ingress port wild");

	/* ICMP: type and code instead of ports; both needed. */
	k.ip_proto = 1;
	k.sport = k.dport = 0;
	k.icmp_type = 8;
	exact_match_of_key(&k, &m);
	cr_expect(flow_match_exact(&m, NULL), "ICMP echo with type and code");
	m.fields &= ~(uint32_t)SDNFV_FLOW_M_ICMP_CODE;
	cr_expect_not(flow_match_exact(&m, NULL), "ICMP code wild");
	/* ICMPv6 over IPv4: a packet key carries type and code, a match cannot name them. */
	k.ip_proto = 58;
	exact_match_of_key(&k, &m);
	cr_expect_not(flow_match_exact(&m, NULL), "ICMPv6 over IPv4 is never exact");
	/* An IP protocol without ports: addresses and protocol. */
	k.ip_proto = 47;
	k.icmp_type = 0;
	exact_match_of_key(&k, &m);
	cr_expect(flow_match_exact(&m, NULL), "GRE");
	/* IPv6 needs the whole 128 bits. */
	memset(&k, 0, sizeof(k));
	k.eth_type = 0x86dd;
	k.ip_proto = 17;
	k.src.v6[0] = 0x20;
	k.dst.v6[15] = 1;
	k.vlan = SDNFV_FLOW_VLAN_PRESENT | 7;
	exact_match_of_key(&k, &m);
	cr_expect(flow_match_exact(&m, NULL), "UDP/IPv6, tagged");
	m.src_plen = 64;
	cr_expect_not(flow_match_exact(&m, NULL), "a /64 source");
	/* Not IP: port, EtherType and VLAN are all there is. */
	memset(&k, 0, sizeof(k));
	k.eth_type = 0x0806;
	exact_match_of_key(&k, &m);
	cr_expect(flow_match_exact(&m, NULL), "ARP");
	m.fields &= ~(uint32_t)SDNFV_FLOW_M_ETH_TYPE;
	cr_expect_not(flow_match_exact(&m, NULL), "no EtherType");
}

Test(flow_exact_match, an_exact_match_matches_exactly_the_keys_of_its_exact_key_even_with_noise)
{
	struct rng g = { 0xe4ac7 };
	unsigned int i, j, bad = 0, exact = 0, noisy = 0;

	for (i = 0; i < 20000; i++) {
		struct sdnfv_flow_key k, xk;
		struct sdnfv_flow_match m;

		/* Half the matches come from keys (exact), half from the generator (some are). */
		if (i % 2 == 0) {
			bool crossed;

			gen_key(&g, NULL, &k);
			cr_assert(flow_key_canonical(&k), "generated keys are canonical");
			crossed = (k.eth_type == 0x0800 && k.ip_proto == 58) ||
				  (k.eth_type == 0x86dd && k.ip_proto == 1);
			exact_match_of_key(&k, &m);
			if (crossed) {
				cr_assert_not(flow_match_exact(&m, NULL));
				continue;
			}
			cr_assert(flow_match_exact(&m, &xk), "the exact match of a key is exact");
			cr_assert_eq(memcmp(&xk, &k, sizeof(k)), 0, "and its key is the key");
		} else {
			gen_match(&g, &m, false);
			if (!flow_match_exact(&m, &xk))
				continue;
		}
		exact++;
		for (j = 0; j < 20; j++) {
			struct sdnfv_flow_key q, cq;

			gen_key(&g, rng_pct(&g, 70) ? &m : NULL, &q);
			if (rng_pct(&g, 50)) {
				gen_key_noise(&g, &q);
				if (!flow_key_canonical(&q))
					noisy++;
			}
			flow_key_exact(&q, &cq);
			if (sdnfv_flow_match_key(&m, &q) != (memcmp(&cq, &xk, sizeof(cq)) == 0))
				bad++;
		}
	}
	cr_assert_eq(bad, 0, "%u disagreements over %u exact matches", bad, exact);
	cr_expect_gt(noisy, 10000, "noise made keys that are not canonical");
}

/* ---- the cache ------------------------------------------------------------------------------ */

Test(flow, an_exact_add_leaves_the_other_cached_flows_cached)
{
	struct sdnfv_flow_key keys[64], k7;
	struct sdnfv_flow_result res[64];
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_rule r;
	uint64_t hits;
	uint32_t epoch, i;

	test_table_flows = 1024;
	t = test_table(256, 1, NULL, NULL);
	test_table_flows = 0;
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	r = wild_rule(10, 1);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	for (i = 0; i < 64; i++) {
		keys[i] = flow_key(i);
		cr_assert_eq(sdnfv_flow_insert(t, &keys[i]), 0);
	}
	cr_assert_eq(sdnfv_flow_lookup_burst(rd, keys, NULL, 64, 0, res, &hits), 64);
	cr_assert_eq(hits, UINT64_MAX, "all cached");

	/* Exact rules for 100 other flows, and one for cached flow 5 that beats its winner. */
	epoch = t->epoch;
	for (i = 0; i < 100; i++) {
		struct sdnfv_flow_key other = flow_key(1000 + i);

		r = exact_rule(&other, 20, 100 + i);
		cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	}
	r = exact_rule(&keys[5], 20, 55);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	cr_expect_eq(t->epoch, epoch, "exact adds leave the add epoch alone");
	sdnfv_flow_reader_quiescent(rd);
	cr_assert_eq(sdnfv_flow_lookup_burst(rd, keys, NULL, 64, 0, res, &hits), 64);
	cr_expect_eq(hits, UINT64_MAX & ~(1ull << 5), "only flow 5 left the cache (0x%" PRIx64 ")",
		     hits);
	cr_expect_eq(res[5].action->user, 55, "flow 5 takes its exact rule");
	cr_expect_eq(res[6].action->user, 1);
	k7 = flow_key(1007);
	cr_expect_eq(look(rd, &k7, NULL), 107);

	/* A wildcard add, in contrast, may beat any cached decision. */
	r = wild_rule(5, 2);
	r.match.src_plen = 16;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	sdnfv_flow_reader_quiescent(rd);
	sdnfv_flow_lookup_burst(rd, keys, NULL, 64, 0, res, &hits);
	cr_expect_eq(hits, 0, "a wildcard add invalidates every cached decision");
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, an_exact_rule_beating_a_cached_wildcard_decision_answers_the_next_lookup)
{
	struct sdnfv_flow_key k = flow_key(9);
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_rule r;
	bool cached;

	test_table_flows = 64;
	t = test_table(16, 1, NULL, NULL);
	test_table_flows = 0;
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	r = wild_rule(10, 1);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	cr_assert_eq(sdnfv_flow_insert(t, &k), 0);
	cr_assert_eq(look(rd, &k, &cached), 1);
	cr_assert(cached);
	r = exact_rule(&k, 11, 2);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	cr_expect_eq(look(rd, &k, &cached), 2, "the lookup right after the add");
	cr_expect_not(cached, "classified: the stale decision is gone");
	cr_assert_eq(sdnfv_flow_insert(t, &k), 0);
	cr_expect_eq(look(rd, &k, &cached), 2);
	cr_expect(cached, "cached again, on the exact rule");
	/* An exact rule below the cached winner changes nothing. */
	r = exact_rule(&k, 3, 3);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	cr_expect_eq(look(rd, &k, NULL), 2);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, caches_only_canonical_keys_and_answers_the_others_all_the_same)
{
	struct sdnfv_flow_key k = flow_key(3), noisy;
	struct sdnfv_flow_rule w = wild_rule(10, 1), e;
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_result res;
	uint64_t hits;
	bool cached;

	test_table_flows = 64;
	t = test_table(16, 1, NULL, NULL);
	test_table_flows = 0;
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	cr_assert_eq(sdnfv_flow_add(t, &w), 0);
	noisy = k;
	noisy.icmp_type = 3; /* a TCP key has no ICMP type */
	cr_expect_eq(sdnfv_flow_insert(t, &noisy), -EINVAL);
	cr_expect_eq(look(rd, &noisy, &cached), 1);
	cr_expect_not(cached);
	/* Learning skips it too, silently. */
	sdnfv_flow_lookup_burst(rd, &noisy, NULL, 1, SDNFV_FLOW_LOOKUP_LEARN, &res, &hits);
	sdnfv_flow_maintain(t, 0);
	cr_expect_eq(look(rd, &noisy, &cached), 1);
	cr_expect_not(cached, "not learnt");
	/* The exact rule of its flow answers it, the cached clean key included. */
	cr_assert_eq(sdnfv_flow_insert(t, &k), 0);
	e = exact_rule(&k, 20, 2);
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	cr_expect_eq(look(rd, &noisy, NULL), 2);
	cr_expect_eq(look(rd, &k, NULL), 2);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

/* ---- priorities and deletes ----------------------------------------------------------------- */

Test(flow, on_equal_priority_the_exact_rule_wins_over_a_wildcard_rule)
{
	for (int order = 0; order < 2; order++) {
		for (int cache = 0; cache < 2; cache++) {
			struct sdnfv_flow_key k = flow_key(4);
			struct sdnfv_flow_rule w = wild_rule(10, 1), e = exact_rule(&k, 10, 2);
			struct sdnfv_flow_reader *rd;
			struct sdnfv_flow_table *t;

			test_table_flows = cache ? 64 : 0;
			t = test_table(16, 1, NULL, NULL);
			test_table_flows = 0;
			cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
			cr_assert_eq(sdnfv_flow_add(t, order ? &e : &w), 0);
			if (cache)
				sdnfv_flow_insert(t, &k);
			cr_assert_eq(sdnfv_flow_add(t, order ? &w : &e), 0);
			cr_expect_eq(look(rd, &k, NULL), 2, "exact first (order %d, cache %d)",
				     order, cache);
			if (cache)
				cr_assert_eq(sdnfv_flow_insert(t, &k), 0);
			cr_expect_eq(look(rd, &k, NULL), 2, "also cached (order %d)", order);
			sdnfv_flow_reader_unregister(rd);
			sdnfv_flow_table_free(t);
		}
	}
}

Test(flow, deleting_an_exact_rule_falls_back_to_the_wildcard_winner)
{
	struct sdnfv_flow_key k = flow_key(2), k2 = flow_key(3);
	struct sdnfv_flow_rule w = wild_rule(10, 1), e = exact_rule(&k, 20, 2), s;
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table *t;
	struct sdnfv_flow_select sel;
	struct sdnfv_flow_table_info info;
	bool cached;

	test_table_flows = 64;
	t = test_table(16, 1, NULL, NULL);
	test_table_flows = 0;
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	cr_assert_eq(sdnfv_flow_add(t, &w), 0);
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	cr_assert_eq(sdnfv_flow_insert(t, &k), 0);
	cr_assert_eq(look(rd, &k, &cached), 2);
	cr_assert(cached);
	sel = strict_sel(&e);
	cr_assert_eq(sdnfv_flow_delete(t, &sel), 1);
	cr_expect_eq(look(rd, &k, &cached), 1, "strict delete: the wildcard rule again");
	cr_expect_not(cached);

	/* A non-strict delete whose selector is the exact match takes only the exact rule. */
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	cr_expect_eq(look(rd, &k, NULL), 2);
	sel.strict = false;
	cr_assert_eq(sdnfv_flow_delete(t, &sel), 1);
	cr_expect_eq(look(rd, &k, NULL), 1);

	/* Delete-all finds both tiers. */
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	s = exact_rule(&k2, 30, 3);
	cr_assert_eq(sdnfv_flow_add(t, &s), 0);
	memset(&sel, 0, sizeof(sel));
	sel.sz = sizeof(sel);
	cr_expect_eq(sdnfv_flow_delete(t, &sel), 3);
	cr_expect_eq(look(rd, &k, NULL), 0);
	cr_expect_eq(look(rd, &k2, NULL), 0);
	sdnfv_flow_table_info(t, &info);
	cr_expect_eq(info.rules, 0);
	/* After a grace period the slots and the exact entries come back. */
	sdnfv_flow_reader_quiescent(rd);
	sdnfv_flow_maintain(t, 0);
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	cr_expect_eq(look(rd, &k, NULL), 2);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, a_second_exact_rule_of_one_key_at_another_priority_takes_its_turn)
{
	struct sdnfv_flow_key k = flow_key(7);
	struct sdnfv_flow_rule w = wild_rule(10, 1), e1 = exact_rule(&k, 15, 2),
			       e2 = exact_rule(&k, 25, 3), e3 = exact_rule(&k, 5, 4);
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);
	struct sdnfv_flow_select sel;
	uint32_t epoch;

	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	cr_assert_eq(sdnfv_flow_add(t, &w), 0);
	cr_assert_eq(sdnfv_flow_add(t, &e1), 0);
	epoch = t->epoch;
	cr_assert_eq(sdnfv_flow_add(t, &e2), 0);
	cr_expect_eq(t->epoch, epoch, "e2 lives in the classifier but can beat its flow only");
	cr_expect_eq(look(rd, &k, NULL), 3);
	sel = strict_sel(&e2);
	cr_assert_eq(sdnfv_flow_delete(t, &sel), 1);
	cr_expect_eq(look(rd, &k, NULL), 2);
	/* Replacing (same match and priority) changes the action in place. */
	e1.action.user = 22;
	cr_assert_eq(sdnfv_flow_add(t, &e1), 0);
	cr_expect_eq(look(rd, &k, NULL), 22);
	sel = strict_sel(&e1);
	cr_assert_eq(sdnfv_flow_delete(t, &sel), 1);
	cr_expect_eq(look(rd, &k, NULL), 1);
	cr_assert_eq(sdnfv_flow_add(t, &e3), 0);
	cr_expect_eq(look(rd, &k, NULL), 1, "an exact rule below the wildcard winner");
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

/* ---- timeouts, counters, overlap, capacity ------------------------------------------------ */

Test(flow, exact_rules_expire_on_idle_and_hard_timeouts_and_are_reported)
{
	struct test_clock clk = { 5 * SEC };
	struct removals rm = { 0 };
	struct sdnfv_flow_key k1 = flow_key(1), k2 = flow_key(2), k3 = flow_key(3);
	struct sdnfv_flow_rule r;
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table *t;
	int i;

	test_table_flows = 64;
	t = test_table(16, 1, &clk, &rm);
	test_table_flows = 0;
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	r = wild_rule(1, 9);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = exact_rule(&k1, 10, 1);
	r.idle_timeout = 2;
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = exact_rule(&k2, 10, 2);
	r.idle_timeout = 2;
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = exact_rule(&k3, 10, 3);
	r.hard_timeout = 5;
	r.idle_timeout = 4;
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	/* k1 and k3 cached: cache hits must keep their rules alive too. */
	cr_assert_eq(sdnfv_flow_insert(t, &k1), 0);
	cr_assert_eq(sdnfv_flow_insert(t, &k3), 0);

	for (i = 0; i < 6; i++) {
		cr_expect_eq(look(rd, &k1, NULL), 1, "second %d", i);
		if (i < 5)
			cr_expect_eq(look(rd, &k3, NULL), 3, "second %d", i);
		sdnfv_flow_reader_quiescent(rd);
		clk.now += SEC;
		sdnfv_flow_maintain(t, 0);
	}
	cr_expect_eq(look(rd, &k2, NULL), 9, "idle exact rule expired: the wildcard rule");
	cr_expect_eq(look(rd, &k3, NULL), 9, "hard exact rule expired though in use");
	cr_expect_eq(look(rd, &k1, NULL), 1, "used exact rule stays");
	cr_assert_eq(rm.n, 2);
	cr_expect_eq(rm.r[0].cookie, 2);
	cr_expect_eq(rm.r[0].reason, SDNFV_FLOW_REMOVED_IDLE);
	cr_expect_eq(rm.r[0].stats.packets, 0);
	cr_expect_eq(rm.r[1].cookie, 3);
	cr_expect_eq(rm.r[1].reason, SDNFV_FLOW_REMOVED_HARD);
	cr_expect_eq(rm.r[1].stats.packets, 5);
	cr_expect_eq(rm.r[1].stats.bytes, 500);
	clk.now += 2 * SEC;
	cr_expect_eq(sdnfv_flow_maintain(t, 0), 1);
	cr_assert_eq(rm.n, 3);
	cr_expect_eq(rm.r[2].reason, SDNFV_FLOW_REMOVED_IDLE);
	cr_expect_eq(rm.r[2].stats.packets, 7);
	cr_expect_eq(look(rd, &k1, NULL), 9);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
	removals_fini(&rm);
}

static int
grab(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *st)
{
	struct sdnfv_flow_stats *out = arg;

	(void)rule;
	*out = *st;
	return 0;
}

Test(flow, counts_exact_rule_packets_and_bytes_over_readers_and_resets_them)
{
	struct sdnfv_flow_key k = flow_key(1);
	struct sdnfv_flow_rule e = exact_rule(&k, 10, 1);
	struct sdnfv_flow_select sel = strict_sel(&e);
	struct sdnfv_flow_reader *r1, *r2;
	struct sdnfv_flow_stats st;
	struct sdnfv_flow_table *t;
	int i;

	test_table_flows = 64;
	t = test_table(16, 2, NULL, NULL);
	test_table_flows = 0;
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	cr_assert_eq(sdnfv_flow_reader_register(t, &r1), 0);
	cr_assert_eq(sdnfv_flow_reader_register(t, &r2), 0);
	for (i = 0; i < 3; i++)
		look(r1, &k, NULL); /* classified */
	cr_assert_eq(sdnfv_flow_insert(t, &k), 0);
	for (i = 0; i < 4; i++)
		look(r2, &k, NULL); /* cached */
	cr_assert_eq(sdnfv_flow_foreach(t, &sel, grab, &st), 1);
	cr_expect_eq(st.packets, 7);
	cr_expect_eq(st.bytes, 700);
	e.action.user = 5;
	cr_assert_eq(sdnfv_flow_modify(t, &sel, &e.action, SDNFV_FLOW_F_RESET_COUNTS), 1);
	cr_expect_eq(look(r2, &k, NULL), 5, "the cached flow takes the new action");
	cr_assert_eq(sdnfv_flow_foreach(t, &sel, grab, &st), 1);
	cr_expect_eq(st.packets, 1);
	e.flags = SDNFV_FLOW_F_RESET_COUNTS; /* replace, resetting */
	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	cr_assert_eq(sdnfv_flow_foreach(t, &sel, grab, &st), 1);
	cr_expect_eq(st.packets, 0);
	sdnfv_flow_reader_unregister(r2);
	sdnfv_flow_reader_unregister(r1);
	sdnfv_flow_table_free(t);
}

Test(flow, check_overlap_sees_exact_and_wildcard_rules_of_equal_priority)
{
	struct sdnfv_flow_key k = flow_key(1), other = flow_key(2);
	struct sdnfv_flow_rule e = exact_rule(&k, 10, 1), w = wild_rule(10, 2), r;
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);

	cr_assert_eq(sdnfv_flow_add(t, &e), 0);
	w.flags = SDNFV_FLOW_F_CHECK_OVERLAP;
	cr_expect_eq(sdnfv_flow_add(t, &w), -EEXIST, "a wildcard rule covering the exact key");
	r = e;
	r.flags = SDNFV_FLOW_F_CHECK_OVERLAP;
	cr_expect_eq(sdnfv_flow_add(t, &r), -EEXIST, "an identical rule overlaps");
	r = exact_rule(&other, 10, 3);
	r.flags = SDNFV_FLOW_F_CHECK_OVERLAP;
	cr_expect_eq(sdnfv_flow_add(t, &r), 0, "another flow does not overlap");
	w.priority = 11;
	cr_expect_eq(sdnfv_flow_add(t, &w), 0, "another priority does not overlap");
	other = flow_key(5);
	r = exact_rule(&other, 11, 4);
	r.flags = SDNFV_FLOW_F_CHECK_OVERLAP;
	cr_expect_eq(sdnfv_flow_add(t, &r), -EEXIST, "an exact rule inside a wildcard rule");
	sdnfv_flow_table_free(t);
}

Test(flow, max_rules_counts_exact_and_wildcard_rules_alike)
{
	struct sdnfv_flow_table *t = test_table(8, 1, NULL, NULL);
	struct sdnfv_flow_table_info info;
	struct sdnfv_flow_key k = flow_key(100);
	struct sdnfv_flow_rule r;
	uint32_t i;

	for (i = 0; i < 4; i++) {
		r = wild_rule((uint16_t)i, i);
		cr_assert_eq(sdnfv_flow_add(t, &r), 0);
		k = flow_key(i);
		r = exact_rule(&k, 1, 10 + i);
		cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	}
	k = flow_key(100);
	r = exact_rule(&k, 1, 99);
	cr_expect_eq(sdnfv_flow_add(t, &r), -ENOSPC);
	r = wild_rule(50, 99);
	cr_expect_eq(sdnfv_flow_add(t, &r), -ENOSPC);
	sdnfv_flow_table_info(t, &info);
	cr_expect_eq(info.rules, 8);
	cr_expect_eq(info.max_rules, 8);
	sdnfv_flow_table_free(t);
}
