/* SPDX-License-Identifier: BSD-3-Clause */
/* The host policy file parser (lib/mgr/policy.h): the example file, every refusal with its line,
 * and every truncation of the example. No EAL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_log.h>

#include <sdnfv/flow.h>

#include "mgr/policy.h"

#define NAME "t.yaml"

static char *
read_example(size_t *len)
{
	FILE *f = fopen(POLICY_EXAMPLE, "r");
	char *text;
	long n;

	cr_assert_not_null(f, "cannot open %s", POLICY_EXAMPLE);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	cr_assert_not_null(text);
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return text;
}

/* The line of the first occurrence of `needle` in `text` (the example's comments may change). */
static unsigned int
line_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *s;
	unsigned int line = 1;

	cr_assert_not_null(at, "'%s' not in the example", needle);
	for (s = text; s < at; s++)
		line += *s == '\n';
	return line;
}

static struct sdnfv_policy *
parse_ok(const char *text)
{
	struct sdnfv_policy *p = NULL;
	char err[512] = "";
	int ret = sdnfv_policy_parse_string(text, strlen(text), NAME, &p, err, sizeof(err));

	cr_assert_eq(ret, 0, "should parse (%d): %s\n%s", ret, err, text);
	cr_assert_not_null(p);
	cr_assert_eq(err[0], '\0');
	return p;
}

/* Refused with -EINVAL at `line` (and `col` unless 0), the reason saying `words`. */
static void
refused(const char *text, unsigned int line, unsigned int col, const char *words)
{
	struct sdnfv_policy *p = (struct sdnfv_policy *)&p; /* must be reset to NULL */
	char err[512] = "", want[64];
	int ret = sdnfv_policy_parse_string(text, strlen(text), NAME, &p, err, sizeof(err));

	cr_assert_eq(ret, -EINVAL, "must be refused (%d):\n%s", ret, text);
	cr_assert_null(p);
	if (col != 0)
		snprintf(want, sizeof(want), NAME ":%u:%u: ", line, col);
	else
		snprintf(want, sizeof(want), NAME ":%u:", line);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "error '%s' should start with '%s'", err,
		  want);
	cr_expect(strstr(err, words) != NULL, "error '%s' should say '%s'", err, words);
}

/* Two services and one chain, lines 1-6, for the tests to build on. */
#define BASE                            \
	"services:\n"                   \
	"  fw: {}\n"                    \
	"  nat: { fallback: bypass }\n" \
	"chains:\n"                     \
	"  c1:\n"                       \
	"    { hops: [fw, nat], out: 2 }\n"

Test(policy, the_example_file_parses_into_the_expected_structure)
{
	struct sdnfv_policy *p = NULL;
	const struct sdnfv_policy_chain *web, *other;
	const struct sdnfv_policy_rule *r;
	char err[512] = "";
	size_t len;
	char *text = read_example(&len);
	unsigned int i;

	cr_assert_eq(sdnfv_policy_parse_file(POLICY_EXAMPLE, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(p);

	cr_assert_eq(p->n_services, 4);
	cr_expect_str_eq(p->services[0].name, "firewall");
	cr_expect_str_eq(p->services[1].name, "nat");
	cr_expect_str_eq(p->services[2].name, "dpi");
	cr_expect_str_eq(p->services[3].name, "scrubber");
	cr_expect_eq(p->services[0].fallback, SDNFV_POLICY_FALLBACK_DROP);
	cr_expect_eq(p->services[1].fallback, SDNFV_POLICY_FALLBACK_BYPASS);
	cr_expect_eq(p->services[2].fallback, SDNFV_POLICY_FALLBACK_DROP);
	cr_expect_eq(p->services[3].fallback, SDNFV_POLICY_FALLBACK_DROP);
	cr_expect_eq(p->services[0].line, line_of(text, "\n  firewall:") + 1);
	cr_expect_eq(p->services[1].line, line_of(text, "\n  nat:") + 1);
	cr_expect_eq(p->services[2].line, line_of(text, "\n  dpi:") + 1);
	cr_expect_eq(p->services[3].line, line_of(text, "\n  scrubber:") + 1);

	cr_assert_eq(p->n_chains, 2);
	web = &p->chains[0];
	cr_expect_str_eq(web->name, "web");
	cr_expect_eq(web->line, line_of(text, "\n  web:") + 1);
	cr_assert_eq(web->n_hops, 3);
	cr_expect_eq(web->hops[0].service, 0); /* firewall: skip */
	cr_expect_eq(web->hops[0].allow, SDNFV_POLICY_ALLOW_SKIP);
	cr_expect_eq(web->hops[0].n_redirect, 0);
	cr_expect_null(web->hops[0].redirect);
	cr_expect_eq(web->hops[1].service, 1); /* nat: nothing */
	cr_expect_eq(web->hops[1].allow, 0);
	cr_expect_eq(web->hops[1].n_redirect, 0);
	cr_expect_null(web->hops[1].redirect);
	cr_expect_eq(web->hops[2].service, 2); /* dpi: everything, redirect to the scrubber */
	cr_expect_eq(web->hops[2].allow, SDNFV_POLICY_ALLOW_SKIP | SDNFV_POLICY_ALLOW_RESTORE);
	cr_assert_eq(web->hops[2].n_redirect, 1);
	cr_assert_not_null(web->hops[2].redirect);
	cr_expect_eq(web->hops[2].redirect[0], 3);
	cr_expect_eq(web->out, SDNFV_POLICY_OUT_PORT);
	cr_expect_eq(web->port, 1);

	other = &p->chains[1];
	cr_expect_str_eq(other->name, "other");
	cr_expect_eq(other->line, line_of(text, "\n  other:") + 1);
	cr_expect_eq(other->n_hops, 0);
	cr_expect_eq(other->out, SDNFV_POLICY_OUT_IN_PORT);
	cr_expect_eq(other->port, 0);

	cr_assert_eq(p->n_rules, 3);
	for (i = 0; i < 3; i++) {
		r = &p->rules[i];
		cr_expect_eq(r->rule.sz, sizeof(r->rule));
		cr_expect_eq(r->rule.hard_timeout, 0);
		cr_expect_eq(r->rule.cookie, 0);
		cr_expect_eq(r->rule.flags, 0);
		cr_expect_eq(r->rule.action.type, 0);
		cr_expect_eq(r->rule.action.arg, 0);
		cr_expect_eq(r->rule.action.user, 0);
	}
	r = &p->rules[0];
	cr_expect_eq(r->line, line_of(text, "tcp,tp_dst=80"));
	cr_expect_eq(r->chain, 0);
	cr_expect_eq(r->rule.priority, 100);
	cr_expect_eq(r->rule.idle_timeout, 0);
	cr_expect_eq(r->rule.match.fields,
		     SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_DPORT);
	cr_expect_eq(r->rule.match.eth_type, 0x0800);
	cr_expect_eq(r->rule.match.ip_proto, 6);
	cr_expect_eq(r->rule.match.dport, 80);
	cr_expect_eq(r->rule.match.dport_mask, 0xffff);
	r = &p->rules[1];
	cr_expect_eq(r->line, line_of(text, "tcp,tp_src=80"));
	cr_expect_eq(r->chain, 0);
	cr_expect_eq(r->rule.priority, 100);
	cr_expect_eq(r->rule.idle_timeout, 30);
	cr_expect_eq(r->rule.match.fields,
		     SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SPORT);
	cr_expect_eq(r->rule.match.sport, 80);
	cr_expect_eq(r->rule.match.sport_mask, 0xffff);
	r = &p->rules[2];
	cr_expect_eq(r->line, line_of(text, "match: \"\""));
	cr_expect_eq(r->chain, 1);
	cr_expect_eq(r->rule.priority, 0);
	cr_expect_eq(r->rule.idle_timeout, 0);
	cr_expect_eq(r->rule.match.fields, 0);

	cr_expect_eq(p->miss_chain, -1);
	sdnfv_policy_free(p);
	free(text);
}

Test(policy, an_empty_mapping_is_an_empty_policy)
{
	struct sdnfv_policy *p = parse_ok("{}\n");

	cr_expect_eq(p->n_services, 0);
	cr_expect_null(p->services);
	cr_expect_eq(p->n_chains, 0);
	cr_expect_null(p->chains);
	cr_expect_eq(p->n_rules, 0);
	cr_expect_null(p->rules);
	cr_expect_eq(p->miss_chain, -1);
	sdnfv_policy_free(p);
}

Test(policy, defaults_options_and_miss_to_a_chain_are_read)
{
	struct sdnfv_policy *p =
		parse_ok(BASE "  c2:\n"
			      "    hops: [nat, fw, nat]\n"
			      "    out: drop\n"
			      "    alternatives:\n"
			      "      nat: { redirect: any, skip: false, restore: true }\n"
			      "      fw: { redirect: [nat, fw] }\n"
			      "rules:\n"
			      "  - match: 'ip, nw_src=10.0.0.0/8'\n"
			      "    chain: c2\n"
			      "    cookie: 0x2A\n"
			      "    hard_timeout: 65535\n"
			      "    priority: '7'\n"
			      "miss: c2\n");
	const struct sdnfv_policy_chain *c2;
	const struct sdnfv_policy_rule *r;
	unsigned int h;

	cr_assert_eq(p->n_chains, 2);
	cr_expect_eq(p->chains[0].out, SDNFV_POLICY_OUT_PORT);
	cr_expect_eq(p->chains[0].port, 2);
	cr_expect_eq(p->chains[0].line, 5);
	c2 = &p->chains[1];
	cr_expect_eq(c2->line, 7);
	cr_expect_eq(c2->out, SDNFV_POLICY_OUT_DROP);
	cr_assert_eq(c2->n_hops, 3);
	/* A service's alternatives apply to each of its hops, each with its own list. */
	for (h = 0; h < 3; h += 2) {
		cr_expect_eq(c2->hops[h].service, 1);
		cr_expect_eq(c2->hops[h].allow,
			     SDNFV_POLICY_ALLOW_REDIRECT_ANY | SDNFV_POLICY_ALLOW_RESTORE);
		cr_expect_eq(c2->hops[h].n_redirect, 0);
		cr_expect_null(c2->hops[h].redirect);
	}
	cr_expect_eq(c2->hops[1].service, 0);
	cr_expect_eq(c2->hops[1].allow, 0);
	cr_assert_eq(c2->hops[1].n_redirect, 2);
	cr_expect_eq(c2->hops[1].redirect[0], 1);
	cr_expect_eq(c2->hops[1].redirect[1], 0);

	cr_assert_eq(p->n_rules, 1);
	r = &p->rules[0];
	cr_expect_eq(r->line, 14);
	cr_expect_eq(r->chain, 1);
	cr_expect_eq(r->rule.cookie, 0x2a);
	cr_expect_eq(r->rule.hard_timeout, 65535);
	cr_expect_eq(r->rule.priority, 7);
	cr_expect_eq(r->rule.match.fields, SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_SRC);
	cr_expect_eq(r->rule.match.src_plen, 8);
	cr_expect_eq(p->miss_chain, 1);
	sdnfv_policy_free(p);
}

Test(policy, a_service_repeated_in_a_chain_gets_its_redirect_list_on_every_hop)
{
	struct sdnfv_policy *p = parse_ok(BASE "  c2:\n"
					       "    hops: [fw, nat, fw]\n"
					       "    out: 0\n"
					       "    alternatives: { fw: { redirect: [nat] } }\n");
	const struct sdnfv_policy_chain *c2 = &p->chains[1];

	cr_assert_eq(c2->hops[0].n_redirect, 1);
	cr_assert_eq(c2->hops[2].n_redirect, 1);
	cr_expect_neq(c2->hops[0].redirect, c2->hops[2].redirect);
	cr_expect_eq(c2->hops[0].redirect[0], 1);
	cr_expect_eq(c2->hops[2].redirect[0], 1);
	cr_expect_eq(c2->hops[1].n_redirect, 0);
	sdnfv_policy_free(p);
}

Test(policy, an_unreadable_file_gives_its_errno_and_the_path)
{
	struct sdnfv_policy *p = NULL;
	char err[512] = "";

	cr_expect_eq(sdnfv_policy_parse_file("/nonexistent/policy.yaml", &p, err, sizeof(err)),
		     -ENOENT);
	cr_expect_null(p);
	cr_expect(strncmp(err, "/nonexistent/policy.yaml: ", 26) == 0, "%s", err);
	cr_expect_eq(sdnfv_policy_parse_file("/", &p, err, sizeof(err)), -EISDIR, "%s", err);
	cr_expect_null(p);
}

Test(policy, a_file_error_names_the_file_and_the_line)
{
	char path[] = "/tmp/sdnfv-policy-XXXXXX", err[512] = "", want[64];
	const char text[] = "services:\n  fw: { fallbak: drop }\n";
	struct sdnfv_policy *p = NULL;
	int fd = mkstemp(path);
	FILE *f;

	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_expect_eq(sdnfv_policy_parse_file(path, &p, err, sizeof(err)), -EINVAL);
	unlink(path);
	snprintf(want, sizeof(want), "%s:2:9: ", path);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "'%s' should start with '%s'", err, want);
	cr_expect_null(p);
}

Test(policy, a_yaml_syntax_error_is_refused_at_its_line)
{
	refused("services:\n  fw: {}\n  nat: [\n", 4, 0, "");
	refused("services:\n  fw: {}\n nat: {}\n", 3, 0, "");
	refused("chains: { a: *nowhere }\n", 1, 14, "alias");
	refused("services:\n\tfw: {}\n", 2, 0, "cannot start any token");
}

Test(policy, bytes_that_are_not_utf8_are_refused_at_their_line)
{
	refused("services:\n  fw: {}\n  n\xff: {}\n", 3, 4, "UTF-8");
}

Test(policy, an_empty_file_or_one_that_is_not_a_mapping_is_refused)
{
	refused("", 1, 1, "empty");
	refused("# nothing but a comment\n\n", 1, 1, "empty");
	refused("---\n", 1, 1, "empty");
	refused("\n\njust text\n", 3, 1, "a policy is a mapping");
	refused("- services\n", 1, 1, "not a sequence");
}

Test(policy, a_second_document_is_refused)
{
	refused("services: {}\n---\nchains: {}\n", 3, 1, "second document");
}

Test(policy, an_unknown_top_level_key_is_refused)
{
	refused(BASE "rule:\n  - { match: '', chain: c1 }\n", 7, 1, "unknown key 'rule'");
}

Test(policy, an_unknown_key_anywhere_is_refused)
{
	refused("services:\n  fw: { fallbak: drop }\n", 2, 9, "unknown key 'fallbak'");
	refused(BASE "  c2: { hops: [], out: 1, alternative: {} }\n", 7, 27,
		"unknown key 'alternative'");
	refused(BASE "  c2: { hops: [fw], out: 1, alternatives: { fw: { skip: true, rstore: "
		     "true } } }\n",
		7, 63, "unknown key 'rstore'");
	refused(BASE "rules:\n  - { match: '', chain: c1, prio: 3 }\n", 8, 29,
		"unknown key 'prio'");
}

Test(policy, a_repeated_key_is_refused)
{
	refused("services:\n  fw: {}\n  fw: { fallback: bypass }\n", 3, 3, "'fw' given twice");
	refused(BASE "  c1: { hops: [], out: 1 }\n", 7, 3, "'c1' given twice (first on line 5)");
	refused(BASE "rules:\n  - { match: '', chain: c1, chain: c1 }\n", 8, 29, "given twice");
	refused("services: {}\nservices: {}\n", 2, 1, "given twice");
	refused(BASE "  c2: { hops: [fw], out: 1, alternatives: { fw: {}, fw: {} } }\n", 7, 53,
		"given twice");
}

Test(policy, a_value_of_the_wrong_kind_is_refused)
{
	refused("services: fw\n", 1, 11, "expected a mapping");
	refused("services:\n  fw: drop\n", 2, 7, "expected a mapping");
	refused("services:\n  fw:\n", 2, 6, "expected a mapping");
	refused("services:\n  [fw]: {}\n", 2, 3, "expected a scalar");
	refused("services:\n  fw: { fallback: [drop] }\n", 2, 19, "expected a scalar");
	refused(BASE "  c2: { hops: fw, out: 1 }\n", 7, 15, "expected a sequence");
	refused(BASE "  c2: { hops: [[fw]], out: 1 }\n", 7, 16, "expected a scalar");
	refused(BASE "  c2: { hops: [], out: [1] }\n", 7, 24, "expected a scalar");
	refused(BASE "  c2: { hops: [fw], out: 1, alternatives: [fw] }\n", 7, 43,
		"expected a mapping");
	refused(BASE "rules: { match: '', chain: c1 }\n", 7, 8, "expected a sequence");
	refused(BASE "rules:\n  - c1\n", 8, 5, "expected a mapping");
	refused(BASE "miss: [c1]\n", 7, 7, "expected a scalar");
}

Test(policy, bad_names_are_refused)
{
	refused("services:\n  fire wall: {}\n", 2, 3, "only letters");
	refused("services:\n  '': {}\n", 2, 3, "1 to 31");
	refused("services:\n  a23456789012345678901234567890123: {}\n", 2, 3, "1 to 31");
	refused("services:\n  \"a\\0b\": {}\n", 2, 3, "NUL");
	refused(BASE "  drop: { hops: [], out: 1 }\n", 7, 3, "reserved");
	refused(BASE "  'c/2': { hops: [], out: 1 }\n", 7, 3, "only letters");
}

Test(policy, a_chain_naming_an_unknown_service_is_refused)
{
	refused(BASE "  c2:\n    hops: [fw, dpi]\n    out: 1\n", 8, 16, "unknown service 'dpi'");
}

Test(policy, more_than_16_hops_are_refused)
{
	refused(BASE
		"  c2:\n    hops: [fw, fw, fw, fw, fw, fw, fw, fw, fw, fw, fw, fw, fw, fw, fw, "
		"fw, nat]\n    out: 1\n",
		8, 76, "more than 16 hops");
}

Test(policy, an_out_that_is_not_a_port_drop_or_in_port_is_refused)
{
	refused(BASE "  c2: { hops: [], out: 65536 }\n", 7, 24, "0 to 65535");
	refused(BASE "  c2: { hops: [], out: 1x }\n", 7, 24, "'1x' is not a number");
	refused(BASE "  c2: { hops: [], out: -1 }\n", 7, 24, "not a port");
	refused(BASE "  c2: { hops: [], out: in-port }\n", 7, 24, "not a port");
	refused(BASE "  c2: { hops: [], out: 0x10 }\n", 7, 24, "not a number");
	refused(BASE "  c2: { hops: [], out: '' }\n", 7, 24, "not a port");
}

Test(policy, missing_required_keys_are_refused)
{
	refused(BASE "  c2: { out: 1 }\n", 7, 3, "no hops");
	refused(BASE "  c2:\n    hops: []\n", 7, 3, "no out");
	refused(BASE "rules:\n  - { chain: c1 }\n", 8, 5, "no match");
	refused(BASE "rules:\n  - match: tcp\n    priority: 1\n", 8, 5, "no chain");
}

Test(policy, alternatives_for_a_service_not_in_the_chain_are_refused)
{
	refused(BASE "  c2:\n    hops: [fw]\n    out: 1\n    alternatives:\n      nat: {}\n", 11, 7,
		"'nat' is not a hop of this chain");
	refused(BASE "  c2:\n    hops: [fw]\n    out: 1\n    alternatives:\n      dpi: {}\n", 11, 7,
		"'dpi' is not a hop of this chain");
}

Test(policy, bad_redirects_are_refused)
{
	refused(BASE "  c2:\n    hops: [fw]\n    out: 1\n    alternatives:\n"
		     "      fw: { redirect: [nat, dpi] }\n",
		11, 29, "redirect to unknown service 'dpi'");
	refused(BASE "  c2:\n    hops: [fw]\n    out: 1\n    alternatives:\n"
		     "      fw: { redirect: all }\n",
		11, 23, "list of services or any");
	refused(BASE "  c2:\n    hops: [fw]\n    out: 1\n    alternatives:\n"
		     "      fw: { redirect: [nat, nat] }\n",
		11, 29, "twice");
	refused(BASE "  c2:\n    hops: [fw]\n    out: 1\n    alternatives:\n"
		     "      fw: { skip: yes }\n",
		11, 19, "not true or false");
}

Test(policy, a_rule_naming_an_unknown_chain_is_refused)
{
	refused(BASE "rules:\n  - { match: '', chain: c1 }\n  - { match: '', chain: c3 }\n", 9, 25,
		"rule 2: unknown chain 'c3'");
}

Test(policy, a_bad_match_string_is_refused_at_its_column)
{
	/* The column of the problem inside the string, in the file. */
	refused(BASE "rules:\n  - { match: \"tcp,tp_dst=99999\", chain: c1 }\n", 8, 26,
		"not a number in range");
	refused(BASE "rules:\n  - { match: 'tcp,frob=1', chain: c1 }\n", 8, 19, "unknown field");
	refused(BASE "rules:\n  - match: tcp,tp_dst=80,bogus\n    chain: c1\n", 8, 26,
		"unknown keyword");
	refused(BASE "rules:\n  - { match: 'tp_dst=80', chain: c1 }\n", 8, 0, "match:");
	/* With escapes the mapping is not exact: the scalar, and the column inside it. */
	refused(BASE "rules:\n  - { match: \"tcp,\\x66rob=1\", chain: c1 }\n", 8, 14,
		"(column 5 of the match)");
	refused(BASE "rules:\n  - { match: 7, chain: c1 }\n", 8, 14, "unknown keyword");
}

Test(policy, actions_and_rule_settings_inside_a_match_string_are_refused)
{
	refused(BASE "rules:\n  - { match: 'tcp,actions=output:1', chain: c1 }\n", 8, 19,
		"actions= is not allowed");
	refused(BASE "rules:\n  - { match: 'actions=drop', chain: c1 }\n", 8, 15,
		"actions= is not allowed");
	refused(BASE "rules:\n  - { match: 'tcp ACTIONS=drop', chain: c1 }\n", 8, 19,
		"actions= is not allowed");
	refused(BASE "rules:\n  - { match: 'priority=5,tcp', chain: c1 }\n", 8, 15,
		"priority belongs in the rule's own key");
	refused(BASE "rules:\n  - { match: 'tcp,idle_timeout=5', chain: c1 }\n", 8, 19,
		"idle_timeout belongs");
	refused(BASE "rules:\n  - { match: 'tcp,cookie=5', chain: c1 }\n", 8, 19, "cookie belongs");
	refused(BASE "rules:\n  - { match: 'tcp,send_flow_rem', chain: c1 }\n", 8, 19,
		"not a policy setting");
	refused(BASE "rules:\n  - { match: 'tcp # web', chain: c1 }\n", 8, 19, "'#'");
}

Test(policy, numbers_out_of_range_or_with_junk_are_refused)
{
	refused(BASE "rules:\n  - { match: '', chain: c1, priority: 70000 }\n", 8, 39,
		"rule 1: priority: '70000' is not a number from 0 to 65535");
	refused(BASE "rules:\n  - { match: '', chain: c1, priority: -1 }\n", 8, 39, "priority");
	refused(BASE "rules:\n  - { match: '', chain: c1, priority: ' 1' }\n", 8, 39, "priority");
	refused(BASE "rules:\n  - { match: '', chain: c1, idle_timeout: 30s }\n", 8, 43,
		"idle_timeout");
	refused(BASE "rules:\n  - { match: '', chain: c1, hard_timeout: 1e3 }\n", 8, 43,
		"hard_timeout");
	refused(BASE "rules:\n  - { match: '', chain: c1, cookie: 0x1ffffffffffffffff }\n", 8, 37,
		"cookie");
	refused(BASE "rules:\n  - { match: '', chain: c1, cookie: 0x }\n", 8, 37, "cookie");
	refused(BASE "rules:\n  - { match: '', chain: c1, cookie: 18446744073709551616 }\n", 8, 37,
		"cookie");
}

Test(policy, a_miss_naming_an_unknown_chain_is_refused)
{
	refused(BASE "miss: c9\n", 7, 7, "miss: unknown chain 'c9'");
	refused(BASE "miss: \n", 7, 6, "miss: unknown chain ''");
}

Test(policy, a_service_fallback_other_than_drop_or_bypass_is_refused)
{
	refused("services:\n  fw: { fallback: skip }\n", 2, 19, "not drop or bypass");
}

Test(policy, every_prefix_of_the_example_parses_or_is_refused_cleanly)
{
	size_t len, n, ok = 0;
	char *text = read_example(&len);

	rte_log_set_level(sdnfv_logtype_mgr, RTE_LOG_CRIT); /* a refusal per prefix: not logged */
	for (n = 0; n <= len; n++) {
		/* Exactly n bytes on the heap, so that AddressSanitizer sees a read past them. */
		char *prefix = malloc(n > 0 ? n : 1), err[512] = "";
		struct sdnfv_policy *p = NULL;
		int ret;

		cr_assert_not_null(prefix);
		memcpy(prefix, text, n);
		ret = sdnfv_policy_parse_string(prefix, n, NAME, &p, err, sizeof(err));
		if (ret == 0) {
			cr_expect_not_null(p);
			sdnfv_policy_free(p);
			ok++;
		} else {
			cr_expect_eq(ret, -EINVAL, "prefix of %zu bytes: %d", n, ret);
			cr_expect_null(p);
			cr_expect(strncmp(err, NAME ":", strlen(NAME ":")) == 0,
				  "prefix of %zu bytes: '%s'", n, err);
		}
		free(prefix);
	}
	cr_expect_gt(ok, 0);
	free(text);
}
