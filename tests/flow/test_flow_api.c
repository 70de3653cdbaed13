/* SPDX-License-Identifier: BSD-3-Clause */
/* The flow table's control path: parameters, errors, OpenFlow add/modify/delete semantics,
 * counters, timeouts and removal reports, on small hand-made rule sets. */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "flow_test.h"

#define SEC 1000000000ull

static struct sdnfv_flow_rule
rule_v4(uint16_t prio, uint32_t dst, uint8_t plen, uint64_t user)
{
	struct sdnfv_flow_rule r;

	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.priority = prio;
	r.match.fields = SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_DST;
	r.match.eth_type = 0x0800;
	r.match.dst_plen = plen;
	r.match.dst.v4 = rte_cpu_to_be_32(plen == 0 ? 0 : dst & (uint32_t)(~0ull << (32 - plen)));
	r.action.type = SDNFV_FLOW_ACT_USER;
	r.action.user = user;
	r.cookie = user;
	return r;
}

static struct sdnfv_flow_key
key_v4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct sdnfv_flow_key k;

	memset(&k, 0, sizeof(k));
	k.eth_type = 0x0800;
	k.src.v4 = rte_cpu_to_be_32(src);
	k.dst.v4 = rte_cpu_to_be_32(dst);
	k.ip_proto = proto;
	k.sport = rte_cpu_to_be_16(sport);
	k.dport = rte_cpu_to_be_16(dport);
	return k;
}

static struct sdnfv_flow_select
sel_all(void)
{
	struct sdnfv_flow_select s;

	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	return s;
}

/* The user value of the rule a single key hits, or 0 for a miss. */
static uint64_t
hit(struct sdnfv_flow_reader *r, const struct sdnfv_flow_key *k, uint32_t bytes)
{
	struct sdnfv_flow_result res;

	if (sdnfv_flow_lookup_burst(r, k, &bytes, 1, 0, &res, NULL) == 0) {
		cr_assert_null(res.action);
		cr_assert_eq(res.rule_id, FLOW_RULE_NONE);
		return 0;
	}
	return res.action->user;
}

/* What sdnfv_flow_foreach() said about the (last) rule it visited. */
struct seen {
	uint64_t packets, bytes, duration, idle_ns, cookie;
	uint16_t idle;
	int n;
};

static int
grab_stats(void *arg, const struct sdnfv_flow_rule *ru, const struct sdnfv_flow_stats *st)
{
	struct seen *got = arg;

	got->packets = st->packets;
	got->bytes = st->bytes;
	got->duration = st->duration_ns;
	got->idle_ns = st->idle_ns;
	got->cookie = ru->cookie;
	got->idle = ru->idle_timeout;
	got->n++;
	return 0;
}

Test(flow, ternary_form_of_a_match_agrees_with_match_key_on_random_matches_and_keys)
{
	struct rng g = { 0x1234567 };
	unsigned int i, j, bad = 0;

	for (i = 0; i < 20000; i++) {
		struct sdnfv_flow_match m;
		struct flow_tern t;

		gen_match(&g, &m, false);
		flow_tern_from_match(&m, &t);
		for (j = 0; j < 20; j++) {
			struct sdnfv_flow_key k;
			uint64_t kw[6];

			gen_key(&g, rng_pct(&g, 70) ? &m : NULL, &k);
			memcpy(kw, &k, sizeof(kw));
			if (flow_tern_match(&t, kw) != sdnfv_flow_match_key(&m, &k))
				bad++;
		}
	}
	cr_assert_eq(bad, 0, "%u disagreements", bad);
	cr_assert_eq(sizeof(struct sdnfv_flow_key), 48);
}

Test(flow, refuses_bad_table_parameters_and_frees_null)
{
	struct sdnfv_flow_table_params p;
	struct sdnfv_flow_table *t = (struct sdnfv_flow_table *)1;

	memset(&p, 0, sizeof(p));
	p.sz = sizeof(p);
	p.socket_id = SOCKET_ID_ANY;
	p.max_rules = 16;
	p.max_readers = 1;
	cr_expect_eq(sdnfv_flow_table_create(NULL, &t), -EINVAL);
	cr_expect_eq(sdnfv_flow_table_create(&p, NULL), -EINVAL);
	p.sz = 8;
	cr_expect_eq(sdnfv_flow_table_create(&p, &t), -EINVAL);
	p.sz = sizeof(p);
	p.max_rules = 0;
	cr_expect_eq(sdnfv_flow_table_create(&p, &t), -EINVAL);
	p.max_rules = 16;
	p.max_readers = 0;
	cr_expect_eq(sdnfv_flow_table_create(&p, &t), -EINVAL);
	p.max_readers = 1;
	p.max_flows = 1u << 29;
	cr_expect_eq(sdnfv_flow_table_create(&p, &t), -EINVAL, "a cache beyond 2^28 flows");
	p.max_flows = 0;
	p.name = "a-name-much-longer-than-the-thirty-one-characters-kept";
	cr_assert_eq(sdnfv_flow_table_create(&p, &t), 0);
	sdnfv_flow_table_free(t);
	sdnfv_flow_table_free(NULL);
}

Test(flow, refuses_bad_matches_actions_flags_and_sizes_with_einval)
{
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);
	struct sdnfv_flow_rule r = rule_v4(1, 0x0a000000, 8, 1), b;
	struct sdnfv_flow_select s = sel_all();
	struct sdnfv_flow_action a = { .type = SDNFV_FLOW_ACT_DROP };

	b = r;
	b.match.eth_type = 0x0806; /* dst needs IPv4/IPv6 */
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.match.dst_plen = 4; /* value bits past the prefix */
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.match.dst_plen = 33;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.match.fields |= SDNFV_FLOW_M_DPORT; /* no ip_proto */
	b.match.dport = 80;
	b.match.dport_mask = 0xffff;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.match.fields |= SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_ICMP_TYPE; /* icmpv6 on IPv4 */
	b.match.ip_proto = 58;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.match.fields |= 0x8000;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.action.type = 9;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.action.pad2 = 1;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.flags = 0x100;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	b = r;
	b.sz = 16;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EINVAL);
	cr_expect_eq(sdnfv_flow_add(t, NULL), -EINVAL);
	cr_expect_eq(sdnfv_flow_add(NULL, &r), -EINVAL);

	s.match.fields = SDNFV_FLOW_M_SRC; /* no eth_type */
	cr_expect_eq(sdnfv_flow_delete(t, &s), -EINVAL);
	cr_expect_eq(sdnfv_flow_modify(t, &s, &a, 0), -EINVAL);
	s = sel_all();
	s.sz = 4;
	cr_expect_eq(sdnfv_flow_delete(t, &s), -EINVAL);
	cr_expect_eq(sdnfv_flow_delete(t, NULL), -EINVAL);
	s = sel_all();
	a.type = 77;
	cr_expect_eq(sdnfv_flow_modify(t, &s, &a, 0), -EINVAL);
	a.type = SDNFV_FLOW_ACT_DROP;
	cr_expect_eq(sdnfv_flow_modify(t, &s, &a, SDNFV_FLOW_F_SEND_REMOVED), -EINVAL);
	cr_expect_eq(sdnfv_flow_modify(t, &s, NULL, 0), -EINVAL);

	cr_expect_eq(sdnfv_flow_add(t, &r), 0, "the good rule still goes in");
	{
		struct sdnfv_flow_table_info info;

		sdnfv_flow_table_info(t, &info);
		cr_expect_eq(info.rules, 1, "no refused rule was half added");
	}
	sdnfv_flow_table_free(t);
}

Test(flow, refuses_a_rule_overlapping_one_of_equal_priority_only_when_asked)
{
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);
	struct sdnfv_flow_rule a = rule_v4(5, 0x0a000000, 8, 1);
	struct sdnfv_flow_rule b = rule_v4(5, 0x0a010000, 16, 2); /* inside a's prefix */
	struct sdnfv_flow_rule c = rule_v4(5, 0x0b000000, 8, 3);  /* disjoint */
	struct sdnfv_flow_rule d = rule_v4(6, 0x0a010000, 16, 4); /* other priority */

	cr_assert_eq(sdnfv_flow_add(t, &a), 0);
	b.flags = c.flags = d.flags = SDNFV_FLOW_F_CHECK_OVERLAP;
	cr_expect_eq(sdnfv_flow_add(t, &b), -EEXIST);
	cr_expect_eq(sdnfv_flow_add(t, &c), 0);
	cr_expect_eq(sdnfv_flow_add(t, &d), 0);
	a.flags = SDNFV_FLOW_F_CHECK_OVERLAP; /* an identical rule overlaps itself */
	cr_expect_eq(sdnfv_flow_add(t, &a), -EEXIST);
	b.flags = 0;
	cr_expect_eq(sdnfv_flow_add(t, &b), 0, "without the flag, overlap is allowed");
	sdnfv_flow_table_free(t);
}

Test(flow, fills_to_capacity_then_refuses_until_a_deleted_slot_comes_back_at_maintain)
{
	struct sdnfv_flow_table *t = test_table(8, 1, NULL, NULL);
	struct sdnfv_flow_select s = sel_all();
	struct sdnfv_flow_rule r;
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_key k = key_v4(1, 0x0a000007, 6, 1, 2);
	uint32_t i;

	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	for (i = 0; i < 8; i++) {
		r = rule_v4((uint16_t)i, 0x0a000000 + i, 32, i + 1);
		cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	}
	r = rule_v4(100, 0x0a0000ff, 32, 100);
	cr_expect_eq(sdnfv_flow_add(t, &r), -ENOSPC);
	r = rule_v4(7, 0x0a000007, 32, 77); /* a replace needs no slot */
	cr_expect_eq(sdnfv_flow_add(t, &r), 0);
	cr_expect_eq(hit(rd, &k, 60), 77);

	s.strict = true;
	s.priority = 7;
	s.match = r.match;
	cr_assert_eq(sdnfv_flow_delete(t, &s), 1);
	cr_expect_eq(hit(rd, &k, 60), 0);
	r = rule_v4(100, 0x0a0000ff, 32, 100);
	cr_expect_eq(sdnfv_flow_add(t, &r), -ENOSPC, "the slot waits for a grace period");
	sdnfv_flow_reader_quiescent(rd);
	sdnfv_flow_maintain(t, 0);
	cr_expect_eq(sdnfv_flow_add(t, &r), 0);
	/* The reused slot must not answer for the rule that had it. */
	cr_expect_eq(hit(rd, &k, 60), 0);
	k.dst.v4 = rte_cpu_to_be_32(0x0a0000ff);
	cr_expect_eq(hit(rd, &k, 60), 100);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, registers_readers_up_to_the_limit_and_reuses_a_freed_slot)
{
	struct sdnfv_flow_table *t = test_table(8, 2, NULL, NULL);
	struct sdnfv_flow_reader *a, *b, *c;
	struct sdnfv_flow_table_info info;

	cr_assert_eq(sdnfv_flow_reader_register(t, &a), 0);
	cr_assert_eq(sdnfv_flow_reader_register(t, &b), 0);
	cr_expect_eq(sdnfv_flow_reader_register(t, &c), -ENOSPC);
	sdnfv_flow_table_info(t, &info);
	cr_expect_eq(info.readers, 2);
	sdnfv_flow_reader_unregister(b);
	cr_expect_eq(sdnfv_flow_reader_register(t, &c), 0);
	sdnfv_flow_reader_offline(c);
	sdnfv_flow_maintain(t, 0); /* must not wait for an offline reader */
	sdnfv_flow_reader_online(c);
	sdnfv_flow_reader_unregister(c);
	sdnfv_flow_reader_unregister(a);
	sdnfv_flow_reader_unregister(NULL);
	sdnfv_flow_table_info(t, &info);
	cr_expect_eq(info.readers, 0);
	sdnfv_flow_table_free(t);
}

Test(flow, answers_with_the_highest_priority_rule_across_families_ports_vlans_and_ports_of_entry)
{
	struct sdnfv_flow_table *t = test_table(64, 1, NULL, NULL);
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_rule r;
	struct sdnfv_flow_key k;

	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	/* 1: everything from port 3 (any EtherType), low priority */
	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.priority = 1;
	r.match.fields = SDNFV_FLOW_M_IN_PORT;
	r.match.in_port = 3;
	r.action.type = SDNFV_FLOW_ACT_USER;
	r.action.user = 1;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	/* 2: IPv4 10/8 */
	r = rule_v4(10, 0x0a000000, 8, 2);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	/* 3: IPv4 10.1/16 tcp dport 80/0xfff0 */
	r = rule_v4(20, 0x0a010000, 16, 3);
	r.match.fields |= SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_DPORT;
	r.match.ip_proto = 6;
	r.match.dport = 80 & 0xfff0;
	r.match.dport_mask = 0xfff0;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	/* 4: IPv6 2001:db8::/32 icmpv6 echo request, VLAN 100 */
	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.priority = 30;
	r.match.fields = SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_IP_PROTO |
			 SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_VLAN;
	r.match.eth_type = 0x86dd;
	r.match.src.v6[0] = 0x20;
	r.match.src.v6[1] = 0x01;
	r.match.src.v6[2] = 0x0d;
	r.match.src.v6[3] = 0xb8;
	r.match.src_plen = 32;
	r.match.ip_proto = 58;
	r.match.icmp_type = 128;
	r.match.vlan = SDNFV_FLOW_VLAN_PRESENT | 100;
	r.match.vlan_mask = 0x1fff;
	r.action.type = SDNFV_FLOW_ACT_USER;
	r.action.user = 4;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	/* 5: ARP, high priority */
	memset(&r, 0, sizeof(r));
	r.sz = sizeof(r);
	r.priority = 50;
	r.match.fields = SDNFV_FLOW_M_ETH_TYPE;
	r.match.eth_type = 0x0806;
	r.action.type = SDNFV_FLOW_ACT_CONTROLLER;
	r.action.user = 5;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);

	for (int pass = 0; pass < 2; pass++) { /* from the delta, then from a compiled base */
		k = key_v4(0x01020304, 0x0a010203, 6, 1234, 85);
		cr_expect_eq(hit(rd, &k, 64), 3, "pass %d", pass);
		k.dport = rte_cpu_to_be_16(96);
		cr_expect_eq(hit(rd, &k, 64), 2, "pass %d", pass);
		k.in_port = 3;
		cr_expect_eq(hit(rd, &k, 64), 2, "pass %d", pass);
		k = key_v4(1, 0x0b000001, 17, 1, 2);
		cr_expect_eq(hit(rd, &k, 64), 0, "pass %d", pass);
		k.in_port = 3;
		cr_expect_eq(hit(rd, &k, 64), 1, "pass %d", pass);
		memset(&k, 0, sizeof(k));
		k.eth_type = 0x86dd;
		memcpy(k.src.v6, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09",
		       16);
		k.ip_proto = 58;
		k.icmp_type = 128;
		k.vlan = SDNFV_FLOW_VLAN_PRESENT | 100;
		cr_expect_eq(hit(rd, &k, 64), 4, "pass %d", pass);
		k.vlan = SDNFV_FLOW_VLAN_PRESENT | 101;
		cr_expect_eq(hit(rd, &k, 64), 0, "pass %d", pass);
		k.in_port = 3;
		cr_expect_eq(hit(rd, &k, 64), 1, "pass %d", pass);
		memset(&k, 0, sizeof(k));
		k.eth_type = 0x0806;
		k.in_port = 3;
		cr_expect_eq(hit(rd, &k, 64), 5, "pass %d", pass);
		k.eth_type = 0x88cc;
		cr_expect_eq(hit(rd, &k, 64), 1, "pass %d", pass);
		cr_assert_eq(flow_cls_sync(t->cls), 0);
	}
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, replaces_a_rule_of_identical_match_and_priority_keeping_counters_unless_reset)
{
	struct test_clock clk = { 1000 * SEC };
	struct sdnfv_flow_table *t = test_table(16, 1, &clk, NULL);
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_rule r = rule_v4(5, 0x0a000000, 8, 1);
	struct sdnfv_flow_key k = key_v4(1, 0x0a000001, 6, 1, 2);
	struct sdnfv_flow_select s = sel_all();
	struct sdnfv_flow_table_info info;

	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	cr_expect_eq(hit(rd, &k, 100), 1);
	cr_expect_eq(hit(rd, &k, 50), 1);
	clk.now += 3 * SEC;
	r.action.user = 2;
	r.cookie = 0x77;
	r.idle_timeout = 9;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	sdnfv_flow_table_info(t, &info);
	cr_expect_eq(info.rules, 1, "replaced, not added (%u)", info.rules);
	cr_expect_eq(hit(rd, &k, 10), 2, "the new action is in force");
	clk.now += 1 * SEC;
	{
		struct seen got = { 0 };

		cr_expect_eq(sdnfv_flow_foreach(t, &s, grab_stats, &got), 1);
		cr_expect_eq(got.packets, 3, "counters kept across the replace");
		cr_expect_eq(got.bytes, 160);
		cr_expect_eq(got.duration, 1 * SEC, "duration restarted at the replace");
		cr_expect_eq(got.cookie, 0x77);
		cr_expect_eq(got.idle, 9);

		r.flags = SDNFV_FLOW_F_RESET_COUNTS;
		cr_assert_eq(sdnfv_flow_add(t, &r), 0);
		cr_expect_eq(hit(rd, &k, 10), 2);
		cr_expect_eq(sdnfv_flow_foreach(t, NULL, grab_stats, &got), 1);
		cr_expect_eq(got.packets, 1, "counters reset");
		cr_expect_eq(got.bytes, 10);
	}
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, modifies_and_deletes_strictly_and_non_strictly_under_cookie_and_out_filters)
{
	struct removals rm = { 0 };
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, &rm);
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_select s;
	struct sdnfv_flow_action a = { .type = SDNFV_FLOW_ACT_PORT, .arg = 9, .user = 99 };
	struct sdnfv_flow_rule r;
	struct sdnfv_flow_key k8 = key_v4(1, 0x0a000001, 6, 1, 2);
	struct sdnfv_flow_key k16 = key_v4(1, 0x0a010001, 6, 1, 2);
	struct sdnfv_flow_key k24 = key_v4(1, 0x0a010101, 6, 1, 2);

	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	r = rule_v4(8, 0x0a000000, 8, 0x100); /* cookie 0x100 */
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = rule_v4(16, 0x0a010000, 16, 0x201);
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = rule_v4(24, 0x0a010100, 24, 0x202);
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);

	/* non-strict modify of everything inside 10.1/16 with cookie 0x2xx */
	s = sel_all();
	s.match = rule_v4(0, 0x0a010000, 16, 0).match;
	s.cookie = 0x200;
	s.cookie_mask = 0xf00;
	cr_expect_eq(sdnfv_flow_modify(t, &s, &a, 0), 2);
	cr_expect_eq(hit(rd, &k16, 1), 99);
	cr_expect_eq(hit(rd, &k24, 1), 99);
	cr_expect_eq(hit(rd, &k8, 1), 0x100);
	/* strict selection needs the priority too */
	s = sel_all();
	s.strict = true;
	s.match = rule_v4(0, 0x0a000000, 8, 0).match;
	s.priority = 9;
	cr_expect_eq(sdnfv_flow_modify(t, &s, &a, 0), 0);
	s.priority = 8;
	s.out_filter = true;
	s.out.type = SDNFV_FLOW_ACT_PORT;
	s.out.arg = 9;
	cr_expect_eq(sdnfv_flow_delete(t, &s), 0, "the /8 rule does not output to port 9");
	s.out_filter = false;
	a.user = 98;
	cr_expect_eq(sdnfv_flow_modify(t, &s, &a, 0), 1);
	cr_expect_eq(hit(rd, &k8, 1), 98);
	/* non-strict delete of 10.1/16 with out port 9, cookie 0x202 exactly */
	s = sel_all();
	s.match = rule_v4(0, 0x0a010000, 16, 0).match;
	s.out_filter = true;
	s.out.type = SDNFV_FLOW_ACT_PORT;
	s.out.arg = 9;
	s.cookie = 0x202;
	s.cookie_mask = ~0ull;
	cr_expect_eq(sdnfv_flow_delete(t, &s), 1);
	cr_expect_eq(hit(rd, &k24, 1), 99, "the /16 rule now");
	cr_assert_eq(rm.n, 1);
	cr_expect_eq(rm.r[0].cookie, 0x202);
	cr_expect_eq(rm.r[0].reason, SDNFV_FLOW_REMOVED_DELETE);
	cr_expect_eq(rm.r[0].stats.packets, 1);
	/* an empty non-strict selector covers everything */
	s = sel_all();
	cr_expect_eq(sdnfv_flow_delete(t, &s), 2);
	cr_expect_eq(hit(rd, &k8, 1), 0);
	cr_expect_eq(rm.n, 2, "only the SEND_REMOVED rule is reported");
	cr_expect_eq(rm.r[1].cookie, 0x201);
	cr_expect_eq(rm.r[1].stats.packets, 2);
	cr_expect_eq(sdnfv_flow_delete(t, &s), 0);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
	removals_fini(&rm);
}

Test(flow, expires_rules_on_hard_and_idle_timeouts_and_keeps_used_rules_alive)
{
	struct test_clock clk = { 5 * SEC };
	struct removals rm = { 0 };
	struct sdnfv_flow_table *t = test_table(16, 1, &clk, &rm);
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_rule r;
	struct sdnfv_flow_key k1 = key_v4(1, 0x0a000001, 6, 1, 2);
	struct sdnfv_flow_key k2 = key_v4(1, 0x0b000001, 6, 1, 2);
	struct sdnfv_flow_key k3 = key_v4(1, 0x0c000001, 6, 1, 2);
	int i;

	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	r = rule_v4(1, 0x0a000000, 8, 1);
	r.idle_timeout = 2;
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = rule_v4(1, 0x0b000000, 8, 2);
	r.idle_timeout = 2;
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	r = rule_v4(1, 0x0c000000, 8, 3);
	r.hard_timeout = 5;
	r.idle_timeout = 4;
	r.flags = SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);

	/* k1's rule gets a packet every second; k2's never; k3's every second (hard wins). */
	for (i = 0; i < 6; i++) {
		cr_expect_eq(hit(rd, &k1, 10), 1, "second %d", i);
		if (i < 5)
			cr_expect_eq(hit(rd, &k3, 10), 3, "second %d", i);
		sdnfv_flow_reader_quiescent(rd);
		clk.now += SEC;
		sdnfv_flow_maintain(t, 0);
	}
	cr_expect_eq(hit(rd, &k2, 10), 0, "idle rule expired");
	cr_expect_eq(hit(rd, &k3, 10), 0, "hard rule expired though in use");
	cr_expect_eq(hit(rd, &k1, 10), 1, "used rule stays");
	cr_assert_eq(rm.n, 2);
	cr_expect_eq(rm.r[0].cookie, 2);
	cr_expect_eq(rm.r[0].reason, SDNFV_FLOW_REMOVED_IDLE);
	cr_expect_eq(rm.r[0].stats.packets, 0);
	cr_expect_eq(rm.r[0].stats.duration_ns, 2 * SEC);
	cr_expect_eq(rm.r[1].cookie, 3);
	cr_expect_eq(rm.r[1].reason, SDNFV_FLOW_REMOVED_HARD);
	cr_expect_eq(rm.r[1].stats.packets, 5);
	cr_expect_eq(rm.r[1].stats.bytes, 50);
	clk.now += 2 * SEC;
	cr_expect_eq(sdnfv_flow_maintain(t, 0), 1);
	cr_expect_eq(rm.n, 3);
	cr_expect_eq(rm.r[2].reason, SDNFV_FLOW_REMOVED_IDLE);
	cr_expect_eq(rm.r[2].stats.packets, 7);
	cr_expect_eq(rm.r[2].stats.idle_ns, 2 * SEC);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
	removals_fini(&rm);
}

static int
count_fn(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats)
{
	int *n = arg;

	(void)rule;
	(void)stats;
	return ++*n >= 3;
}

Test(flow, visits_the_selected_rules_and_stops_when_the_visitor_asks)
{
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);
	struct sdnfv_flow_select s = sel_all();
	struct sdnfv_flow_rule r;
	int n = 0, i;

	for (i = 0; i < 5; i++) {
		r = rule_v4((uint16_t)i, 0x0a000000 + ((uint32_t)i << 8), 24, (uint64_t)i + 1);
		cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	}
	cr_expect_eq(sdnfv_flow_foreach(t, NULL, count_fn, &n), 3);
	n = -10;
	cr_expect_eq(sdnfv_flow_foreach(t, NULL, count_fn, &n), 5);
	n = -10;
	s.match = rule_v4(0, 0x0a000000, 23, 0).match; /* covers the first two */
	cr_expect_eq(sdnfv_flow_foreach(t, &s, count_fn, &n), 2);
	cr_expect_eq(sdnfv_flow_foreach(t, &s, NULL, NULL), -EINVAL);
	cr_expect_eq(sdnfv_flow_foreach(NULL, &s, count_fn, &n), -EINVAL);
	sdnfv_flow_table_free(t);
}

Test(flow, has_no_flow_cache_in_this_build_and_says_so)
{
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);
	struct sdnfv_flow_key k = key_v4(1, 2, 6, 3, 4);
	struct sdnfv_flow_result res[2];
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_table_info info;
	uint64_t mask = 5;

	cr_expect_eq(sdnfv_flow_insert(t, &k), -ENOTSUP);
	cr_expect_eq(sdnfv_flow_remove(t, &k), -ENOTSUP);
	cr_expect_eq(sdnfv_flow_insert(NULL, &k), -EINVAL);
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	cr_expect_eq(sdnfv_flow_lookup_burst(rd, &k, NULL, 1, SDNFV_FLOW_LOOKUP_LEARN, res, &mask),
		     0);
	cr_expect_eq(mask, 0);
	cr_expect_eq(sdnfv_flow_lookup_burst(rd, &k, NULL, 0, 0, res, NULL), 0);
	sdnfv_flow_table_info(t, &info);
	cr_expect_eq(info.flows, 0);
	cr_expect_eq(info.max_flows, 0);
	cr_expect_eq(info.max_rules, 16);
	cr_expect_gt(info.memory_bytes, 0);
	cr_expect_eq(sdnfv_flow_maintain(NULL, 0), -EINVAL);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}

Test(flow, classifies_mbufs_by_parsing_them_and_counts_their_bytes_on_their_ingress_port)
{
	struct sdnfv_flow_table *t = test_table(16, 1, NULL, NULL);
	struct rte_mempool *mp = rte_pktmbuf_pool_create("flowt", 63, 0, 0, 2048, SOCKET_ID_ANY);
	struct sdnfv_flow_select s = sel_all();
	struct sdnfv_flow_reader *rd;
	struct sdnfv_flow_result res[2];
	struct sdnfv_flow_key keys[2];
	struct rte_mbuf *m[2];
	struct sdnfv_flow_rule r;
	uint64_t packets = 0, bytes = 0;
	int i;

	cr_assert_not_null(mp);
	r = rule_v4(5, 0x0a000000, 8, 7);
	r.match.fields |= SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_DPORT;
	r.match.in_port = 2;
	r.match.ip_proto = 17;
	r.match.dport = 53;
	r.match.dport_mask = 0xffff;
	cr_assert_eq(sdnfv_flow_add(t, &r), 0);
	cr_assert_eq(sdnfv_flow_reader_register(t, &rd), 0);
	for (i = 0; i < 2; i++) {
		static const uint8_t frame[42] = {
			2,    0,    0, 0,  0, 1, 2, 0, 0,  0,  0, 2, 0x08, 0x00,       /* eth */
			0x45, 0,    0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192,  168,  0, 1, /* ip */
			10,   1,    2, 3,                                              /* dst */
			0x30, 0x39, 0, 53, 0, 8, 0, 0,                                 /* udp */
		};

		m[i] = rte_pktmbuf_alloc(mp);
		cr_assert_not_null(m[i]);
		memcpy(rte_pktmbuf_append(m[i], sizeof(frame)), frame, sizeof(frame));
		m[i]->port = (uint16_t)(2 + i); /* the second one arrives elsewhere */
	}
	cr_expect_eq(sdnfv_flow_lookup_mbufs(rd, m, 2, 0, res, keys, NULL), 1);
	cr_assert_not_null(res[0].action);
	cr_expect_eq(res[0].action->user, 7);
	cr_expect_null(res[1].action);
	cr_expect_eq(keys[0].in_port, 2);
	cr_expect_eq(keys[0].dport, rte_cpu_to_be_16(53));
	cr_expect_eq(keys[1].in_port, 3);
	{
		struct seen got = { 0 };

		cr_expect_eq(sdnfv_flow_foreach(t, &s, grab_stats, &got), 1);
		packets = got.packets;
		bytes = got.bytes;
	}
	cr_expect_eq(packets, 1);
	cr_expect_eq(bytes, 42);
	rte_pktmbuf_free(m[0]);
	rte_pktmbuf_free(m[1]);
	rte_mempool_free(mp);
	sdnfv_flow_reader_unregister(rd);
	sdnfv_flow_table_free(t);
}
