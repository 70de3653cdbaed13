/* SPDX-License-Identifier: BSD-3-Clause */
/* Rules as text: the parser (no EAL) and all-or-nothing file loading (EAL, a table). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_log.h>

#include <sdnfv/flow.h>

#include "eal.h"

static struct sdnfv_flow_rule
parse_ok(const char *line)
{
	struct sdnfv_flow_rule r;
	const char *why = NULL;
	unsigned int col = 0;
	int ret = sdnfv_flow_rule_parse(line, &r, &why, &col);

	cr_assert_eq(ret, 1, "'%s' should parse: %s at column %u", line, why ? why : "-", col);
	return r;
}

static void
parse_bad(const char *line, unsigned int want_col, const char *want_words)
{
	struct sdnfv_flow_rule r;
	const char *why = NULL;
	unsigned int col = 0;

	cr_assert_eq(sdnfv_flow_rule_parse(line, &r, &why, &col), -EINVAL, "'%s' must be refused",
		     line);
	cr_assert_not_null(why);
	cr_expect_eq(col, want_col, "'%s': column %u, want %u (%s)", line, col, want_col, why);
	cr_expect(strstr(why, want_words) != NULL, "'%s': reason '%s' should say '%s'", line, why,
		  want_words);
}

static uint32_t
v4(const char *s)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

Test(flow_text, parses_an_ovs_ofctl_style_tcp_rule)
{
	struct sdnfv_flow_rule r =
		parse_ok("priority=100,in_port=1,tcp,nw_src=10.0.0.0/8,tp_dst=80,idle_timeout=30,"
			 "hard_timeout=300,cookie=0x2a,actions=output:2");
	const struct sdnfv_flow_match *m = &r.match;

	cr_expect_eq(r.sz, sizeof(r));
	cr_expect_eq(r.priority, 100);
	cr_expect_eq(r.cookie, 42);
	cr_expect_eq(r.idle_timeout, 30);
	cr_expect_eq(r.hard_timeout, 300);
	cr_expect_eq(m->fields, SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE |
					SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC |
					SDNFV_FLOW_M_DPORT);
	cr_expect_eq(m->in_port, 1);
	cr_expect_eq(m->eth_type, 0x0800);
	cr_expect_eq(m->ip_proto, 6);
	cr_expect_eq(m->src.v4, v4("10.0.0.0"));
	cr_expect_eq(m->src_plen, 8);
	cr_expect_eq(m->dport, 80);
	cr_expect_eq(m->dport_mask, 0xffff);
	cr_expect_eq(r.action.type, SDNFV_FLOW_ACT_PORT);
	cr_expect_eq(r.action.arg, 2);
}

Test(flow_text, takes_blanks_as_separators_and_ignores_comments_and_empty_lines)
{
	struct sdnfv_flow_rule r = parse_ok("  udp  tp_src=53   actions=drop   # DNS answers");
	const char *why = NULL;

	cr_expect_eq(r.match.ip_proto, 17);
	cr_expect_eq(r.match.sport, 53);
	cr_expect_eq(r.action.type, SDNFV_FLOW_ACT_DROP);
	cr_expect_eq(sdnfv_flow_rule_parse("", &r, &why, NULL), 0);
	cr_expect_eq(sdnfv_flow_rule_parse("   # only a comment", &r, &why, NULL), 0);
	cr_expect_eq(sdnfv_flow_rule_parse("\t", &r, &why, NULL), 0);
}

Test(flow_text, parses_ipv6_prefixes_masks_and_clears_host_bits)
{
	struct sdnfv_flow_rule r = parse_ok("tcp6,ipv6_src=2001:db8::1/32,ipv6_dst=::1,"
					    "tp_src=0x1000/0xf000,actions=controller");
	struct sdnfv_flow_rule r4 = parse_ok("ip,nw_src=10.1.2.3/255.255.0.0,nw_dst=192.0.2.9/24,"
					     "actions=service:7");
	uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	cr_expect_eq(r.match.eth_type, 0x86dd);
	cr_expect_eq(r.match.src_plen, 32);
	cr_expect_arr_eq(r.match.src.v6, want, 16, "host bits past /32 are cleared");
	cr_expect_eq(r.match.dst_plen, 128);
	cr_expect_eq(r.match.dst.v6[15], 1);
	cr_expect_eq(r.match.sport, 0x1000);
	cr_expect_eq(r.match.sport_mask, 0xf000);
	cr_expect_eq(r.action.type, SDNFV_FLOW_ACT_CONTROLLER);
	cr_expect_eq(r4.match.src.v4, v4("10.1.0.0"));
	cr_expect_eq(r4.match.src_plen, 16);
	cr_expect_eq(r4.match.dst.v4, v4("192.0.2.0"));
	cr_expect_eq(r4.action.type, SDNFV_FLOW_ACT_SERVICE);
	cr_expect_eq(r4.action.arg, 7);
}

Test(flow_text, parses_vlan_forms_icmp_and_the_user_value)
{
	struct sdnfv_flow_rule a = parse_ok("dl_vlan=100,actions=output:1,user:99");
	struct sdnfv_flow_rule b = parse_ok("dl_vlan=0xffff,actions=drop");
	struct sdnfv_flow_rule c = parse_ok("vlan_tci=0x1000/0x1000,actions=user:0x77");
	struct sdnfv_flow_rule d = parse_ok("icmp,icmp_type=8,icmp_code=0,actions=drop");
	struct sdnfv_flow_rule e = parse_ok("icmp6,icmpv6_type=135,actions=drop");

	cr_expect_eq(a.match.vlan, 100 | SDNFV_FLOW_VLAN_PRESENT);
	cr_expect_eq(a.match.vlan_mask, 0x1fff);
	cr_expect_eq(a.action.type, SDNFV_FLOW_ACT_PORT);
	cr_expect_eq(a.action.user, 99, "user: attaches the opaque value to another action");
	cr_expect_eq(b.match.vlan, 0, "0xffff means untagged");
	cr_expect_eq(b.match.vlan_mask, 0x1fff);
	cr_expect_eq(c.match.vlan, 0x1000);
	cr_expect_eq(c.match.vlan_mask, 0x1000);
	cr_expect_eq(c.action.type, SDNFV_FLOW_ACT_USER);
	cr_expect_eq(c.action.user, 0x77);
	cr_expect_eq(d.match.icmp_type, 8);
	cr_expect(d.match.fields & SDNFV_FLOW_M_ICMP_CODE);
	cr_expect_eq(e.match.eth_type, 0x86dd);
	cr_expect_eq(e.match.icmp_type, 135);
}

Test(flow_text, parses_flags_and_protocol_named_ports)
{
	struct sdnfv_flow_rule r =
		parse_ok("send_flow_rem check_overlap reset_counts udp_dst=4789 actions=drop");

	cr_expect_eq(r.flags, SDNFV_FLOW_F_SEND_REMOVED | SDNFV_FLOW_F_CHECK_OVERLAP |
				      SDNFV_FLOW_F_RESET_COUNTS);
	cr_expect_eq(r.match.eth_type, 0x0800, "udp_dst implies IPv4 UDP");
	cr_expect_eq(r.match.ip_proto, 17);
	cr_expect_eq(r.match.dport, 4789);
}

Test(flow_text, refuses_bad_lines_naming_the_column_and_the_reason)
{
	parse_bad("priority=1,colour=red,actions=drop", 12, "unknown field");
	parse_bad("in_port=1,in_port=2,actions=drop", 11, "twice");
	parse_bad("tcp,udp,actions=drop", 5, "contradicts");
	parse_bad("ipv6,nw_src=10.0.0.1,actions=drop", 6, "contradicts");
	parse_bad("tcp,tp_dst=80", 14, "no actions=");
	parse_bad("priority=70000,actions=drop", 10, "priority");
	parse_bad("ip,nw_src=10.0.0.0/255.0.255.0,actions=drop", 20, "non-contiguous");
	parse_bad("ip,nw_src=10.0.0/8,actions=drop", 11, "not an IPv4 address");
	parse_bad("dl_vlan=5000,actions=drop", 9, "dl_vlan");
	parse_bad("ip,tp_dst=80,actions=drop", 1, "port needs ip_proto");
	parse_bad("actions=output", 9, "needs a number");
	parse_bad("actions=output:1,drop", 18, "only one action");
	parse_bad("actions=teleport", 9, "unknown action");
	parse_bad("tcp,tp_dst=,actions=drop", 12, "missing value");
	parse_bad("vlan_tci=0x2064/0xffff,actions=drop", 10, "PCP");
}

/* ---- loading files: needs a table, so the EAL ---------------------------------------------- */

static struct sdnfv_flow_table *table;
static int removed_reports;

static void
on_removed(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats,
	   enum sdnfv_flow_removed_reason reason)
{
	(void)arg;
	(void)rule;
	(void)stats;
	(void)reason;
	removed_reports++;
}

static void
load_setup(void)
{
	struct sdnfv_flow_table_params p = { .sz = sizeof(p),
					     .name = "text",
					     .socket_id = -1,
					     .max_rules = 4,
					     .max_readers = 1,
					     .removed = on_removed };

	cr_assert_geq(sdnfv_test_eal_init(NULL), 0);
	cr_assert_eq(sdnfv_flow_table_create(&p, &table), 0);
}

static void
load_teardown(void)
{
	sdnfv_flow_table_free(table);
	sdnfv_test_eal_cleanup();
}

static char *
write_file(const char *text)
{
	static char path[] = "/tmp/sdnfv-rules-XXXXXX";
	int fd;

	strcpy(path, "/tmp/sdnfv-rules-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int
count_rules(void)
{
	struct sdnfv_flow_table_info info;

	sdnfv_flow_table_info(table, &info);
	return (int)info.rules;
}

struct find {
	uint16_t priority;
	struct sdnfv_flow_action action;
	int n;
};

static int
collect(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats)
{
	struct find *f = (struct find *)arg;

	(void)stats;
	f->priority = rule->priority;
	f->action = rule->action;
	f->n++;
	return 0;
}

TestSuite(flow_load, .init = load_setup, .fini = load_teardown, .timeout = 60);

Test(flow_load, loads_every_rule_of_a_good_file)
{
	char *path = write_file("# web\n"
				"priority=10,tcp,tp_dst=80,actions=output:1\n"
				"\n"
				"priority=5,udp,actions=drop  # the rest of UDP\n");

	cr_expect_eq(sdnfv_flow_load_file(table, path), 2);
	cr_expect_eq(count_rules(), 2);
	unlink(path);
}

Test(flow_load, installs_nothing_from_a_file_with_a_bad_line_and_names_it)
{
	char *log_text = NULL;
	size_t log_len = 0;
	FILE *log = open_memstream(&log_text, &log_len);
	char *path = write_file("priority=10,tcp,tp_dst=80,actions=output:1\n"
				"priority=5,udp,tp_dst=99999,actions=drop\n");
	char want[128];

	rte_openlog_stream(log);
	cr_expect_eq(sdnfv_flow_load_file(table, path), -EINVAL);
	rte_openlog_stream(NULL);
	fclose(log);
	cr_expect_eq(count_rules(), 0, "not even the good first line");
	snprintf(want, sizeof(want), "%s:2:23:", path);
	cr_expect(log_text != NULL && strstr(log_text, want) != NULL,
		  "the log names file, line and column: got '%s'", log_text ? log_text : "");
	free(log_text);
	unlink(path);
}

Test(flow_load, leaves_the_table_as_it_was_when_an_add_fails_midway)
{
	struct sdnfv_flow_rule keep = parse_ok("priority=10,tcp,tp_dst=80,actions=output:1");
	char *path;
	struct find f = { 0 };

	keep.flags |= SDNFV_FLOW_F_SEND_REMOVED;
	cr_assert_eq(sdnfv_flow_add(table, &keep), 0);
	/* Replaces the existing rule, adds three: the fifth rule does not fit in 4. */
	path = write_file("priority=10,tcp,tp_dst=80,actions=output:9\n"
			  "priority=1,udp,tp_dst=1,send_flow_rem,actions=drop\n"
			  "priority=1,udp,tp_dst=2,actions=drop\n"
			  "priority=1,udp,tp_dst=3,actions=drop\n"
			  "priority=1,udp,tp_dst=4,actions=drop\n");
	cr_expect_eq(sdnfv_flow_load_file(table, path), -ENOSPC);
	cr_expect_eq(count_rules(), 1);
	sdnfv_flow_foreach(table, NULL, collect, &f);
	cr_expect_eq(f.n, 1);
	cr_expect_eq(f.priority, 10);
	cr_expect_eq(f.action.arg, 1, "the replaced rule is back with its own action");
	cr_expect_eq(removed_reports, 0, "rolled-back rules were never really there");
	unlink(path);
}

Test(flow_load, reports_a_missing_file_with_its_errno)
{
	cr_expect_eq(sdnfv_flow_load_file(table, "/nonexistent/rules"), -ENOENT);
	cr_expect_eq(count_rules(), 0);
}

/* ---- writing rules ------------------------------------------------------------------------- */

#include "flow_test.h"

Test(flow_text, reads_back_every_rule_it_writes)
{
	struct rng g = { 0x7e57 };
	struct gen_opts opt = { .prio_range = 65535, .timeouts = true };
	unsigned int i;

	for (i = 0; i < 20000; i++) {
		struct sdnfv_flow_rule r, back;
		char text[512];
		const char *why = NULL;
		unsigned int col = 0;
		int len;

		gen_rule(&g, &opt, i, &r);
		r.cookie = rng_next(&g) & (rng_pct(&g, 50) ? UINT64_MAX : 0);
		r.flags = (uint32_t)rng_below(&g, 8);
		if (rng_pct(&g, 30))
			r.action.user = rng_next(&g);
		len = sdnfv_flow_rule_format(&r, text, sizeof(text));
		if (len <= 0 || (size_t)len != strlen(text))
			cr_assert_fail("rule %u: format gave %d", i, len);
		if (sdnfv_flow_rule_parse(text, &back, &why, &col) != 1)
			cr_assert_fail("rule %u: '%s' does not parse: %s at %u", i, text, why, col);
		if (!flow_match_equal(&r.match, &back.match) || back.priority != r.priority ||
		    back.cookie != r.cookie || back.idle_timeout != r.idle_timeout ||
		    back.hard_timeout != r.hard_timeout || back.flags != r.flags ||
		    back.action.type != r.action.type || back.action.user != r.action.user ||
		    ((r.action.type == SDNFV_FLOW_ACT_PORT ||
		      r.action.type == SDNFV_FLOW_ACT_SERVICE) &&
		     back.action.arg != r.action.arg))
			cr_assert_fail("rule %u: '%s' reads back as another rule", i, text);
	}
}

Test(flow_text, says_how_much_room_a_rule_needs_when_it_does_not_fit)
{
	struct sdnfv_flow_rule r = parse_ok("priority=7,tcp6,ipv6_src=2001:db8::/32,actions=drop");
	char small[16], big[256];
	int need = sdnfv_flow_rule_format(&r, big, sizeof(big));

	cr_expect_str_eq(big, "priority=7,tcp6,ipv6_src=2001:db8::/32,actions=drop");
	cr_expect_eq(need, (int)strlen(big));
	cr_expect_eq(sdnfv_flow_rule_format(&r, small, sizeof(small)), -ENOSPC);
	cr_expect_eq(strlen(small), sizeof(small) - 1, "cut, but terminated");
	cr_expect_eq(sdnfv_flow_rule_format(NULL, big, sizeof(big)), -EINVAL);
}
