/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall unit tests: the rule parser (no EAL), classification against a linear-scan oracle,
 * malformed frames, and the stateful mode on crafted frames with an injected clock (rte_acl
 * needs the EAL's memory: those suites start one).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include <sdnfv/pkt.h>

#include "eal.h"
#include "firewall.h"

#define SEC 1000000000ull

/* ---------------------------------------------------------------------------------------- */
/* Frames                                                                                     */

struct pkt_spec {
	int family; /* 4 or 6 */
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport; /* TCP/UDP ports, or ICMP echo id in sport */
	uint8_t tcp_flags;
	uint8_t icmp_type;
	bool frag_later;      /* IPv4 non-first fragment */
	const uint8_t *inner; /* ICMP error: quoted bytes */
	unsigned int inner_len;
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An Ethernet frame for a spec; returns its length. Checksums are left 0 (not checked). */
static uint32_t
frame(uint8_t *buf, const struct pkt_spec *s)
{
	uint8_t *ip = buf + 14, *l4;
	unsigned int l4len;

	memset(buf, 0, 256);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (s->family == 4) {
		put16(buf + 12, 0x0800);
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		if (s->frag_later)
			put16(ip + 6, 100); /* offset 800 bytes */
		l4 = ip + 20;
	} else {
		put16(buf + 12, 0x86dd);
		ip[0] = 0x60;
		ip[6] = s->proto;
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		l4 = ip + 40;
	}
	if (s->proto == IPPROTO_TCP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		l4len = 20;
	} else if (s->proto == IPPROTO_UDP) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, 12);
		l4len = 12;
	} else if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		l4[0] = s->icmp_type;
		put16(l4 + 4, s->sport);
		l4len = 8;
		if (s->inner != NULL) {
			memcpy(l4 + 8, s->inner, s->inner_len);
			l4len += s->inner_len;
		}
	} else {
		l4len = 8;
	}
	if (s->frag_later)
		l4len = 16; /* no L4 header: just payload */
	if (s->family == 4)
		put16(ip + 2, (uint16_t)(20 + l4len));
	else
		put16(ip + 4, (uint16_t)l4len);
	return (uint32_t)(l4 - buf) + l4len;
}

/* ---------------------------------------------------------------------------------------- */
/* The parser (no EAL)                                                                        */

static void
expect_refused(const char *text, const char *message)
{
	struct fw_rules r;
	char err[FW_ERR_MAX] = "";

	cr_assert_eq(firewall_rules_parse(text, "t.rules", &r, err, sizeof(err)), -EINVAL,
		     "accepted: %s", text);
	cr_assert_str_eq(err, message, "for %s", text);
}

Test(firewall_rules, a_malformed_line_is_refused_with_its_line_number_and_reason)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "allow\nfrobnicate\n", "t.rules:2: expected allow or deny, got 'frobnicate'" },
		{ "# c\n\nallow proto tcp colour red\n", "t.rules:3: unknown word 'colour'" },
		{ "allow from 10.0.0.300\n", "t.rules:1: bad source address '10.0.0.300'" },
		{ "allow to 10.0.0.0/33\n",
		  "t.rules:1: bad destination prefix length in '10.0.0.0/33' (0 to 32)" },
		{ "allow to 10.0.0.1/8\n",
		  "t.rules:1: destination prefix '10.0.0.1/8' has host bits set beyond /8" },
		{ "allow from 2001:db8::/129\n",
		  "t.rules:1: bad source prefix length in '2001:db8::/129' (0 to 128)" },
		{ "allow proto tcp dport 90-80\n",
		  "t.rules:1: empty destination port range '90-80'" },
		{ "allow proto tcp sport 70000\n",
		  "t.rules:1: bad source port '70000' (N or N-M, 0 to 65535)" },
		{ "allow proto tcp dport 1-\n",
		  "t.rules:1: bad destination port '1-' (N or N-M, 0 to 65535)" },
		{ "allow proto icmp dport 7\n", "t.rules:1: ports need proto tcp, udp or sctp" },
		{ "allow dport 7\n", "t.rules:1: ports need proto tcp, udp or sctp" },
		{ "allow proto gre\n", "t.rules:1: unknown protocol 'gre'" },
		{ "allow proto 256\n", "t.rules:1: unknown protocol '256'" },
		{ "allow from 10.0.0.0/8 to 2001:db8::/32\n",
		  "t.rules:1: source and destination mix IPv4 and IPv6" },
		{ "allow proto icmp from 2001:db8::1\n",
		  "t.rules:1: proto icmp with an IPv6 address (use icmpv6)" },
		{ "allow proto icmpv6 to 10.0.0.1\n",
		  "t.rules:1: proto icmpv6 with an IPv4 address (use icmp)" },
		{ "allow proto tcp proto udp\n", "t.rules:1: proto given twice" },
		{ "allow from\n", "t.rules:1: 'from' needs a value" },
		{ "priority x allow\n", "t.rules:1: bad priority 'x' (0 to 65535)" },
		{ "priority 70000 allow\n", "t.rules:1: bad priority '70000' (0 to 65535)" },
		{ "priority 5\n", "t.rules:1: expected allow or deny, got 'end of line'" },
		{ "default maybe\n", "t.rules:1: expected 'default allow' or 'default deny'" },
		{ "nonip deny\nnonip allow\n", "t.rules:2: nonip policy given twice" },
		{ "allow proto tcp dport -5\n",
		  "t.rules:1: bad destination port '-5' (N or N-M, 0 to 65535)" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i].text, cases[i].msg);
}

Test(firewall_rules, a_good_file_parses_every_keyword_and_sorts_by_priority_then_line)
{
	struct fw_rules r;
	char err[FW_ERR_MAX] = "";
	const char *text = "default allow # comment\n"
			   "nonip deny\n"
			   "deny proto tcp from 10.0.0.0/8 sport 1-1023 to 192.0.2.1 dport 80\n"
			   "allow proto udp to 2001:db8::/32 dport 53\n"
			   "priority 7 allow proto icmp\n"
			   "allow\n";

	cr_assert_eq(firewall_rules_parse(text, "g", &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.default_action, FW_ALLOW);
	cr_assert_eq(r.nonip_action, FW_DENY);
	cr_assert_eq(r.n, 4);
	cr_assert_eq(r.rule[0].line, 5); /* priority 7 first */
	cr_assert_eq(r.rule[0].family, 4);
	cr_assert_eq(r.rule[1].line, 3);
	cr_assert_eq(r.rule[1].action, FW_DENY);
	cr_assert_eq(r.rule[1].proto, 6);
	cr_assert_eq(r.rule[1].src_len, 8);
	cr_assert_eq(r.rule[1].dst_len, 32);
	cr_assert_eq(r.rule[1].sport_lo, 1);
	cr_assert_eq(r.rule[1].sport_hi, 1023);
	cr_assert_eq(r.rule[1].dport_lo, 80);
	cr_assert_eq(r.rule[1].dport_hi, 80);
	cr_assert(r.rule[1].has_ports);
	cr_assert_eq(r.rule[2].family, 6);
	cr_assert_eq(r.rule[2].dst_len, 32);
	cr_assert_eq(r.rule[3].family, 0);
	cr_assert_eq(r.rule[3].proto, -1);
	cr_assert(!r.rule[3].has_ports);
	firewall_rules_free(&r);
}

Test(firewall_rules, the_sample_file_parses)
{
	struct fw_rules r;
	char err[FW_ERR_MAX] = "";

	cr_assert_eq(firewall_rules_load(SAMPLE_RULES, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(r.n, 5);
	firewall_rules_free(&r);
}

/* ---------------------------------------------------------------------------------------- */
/* Classification (EAL)                                                                       */

SDNFV_TEST_EAL_SUITE(firewall, .timeout = 120);

static struct firewall *
make(const char *text, bool stateful)
{
	struct fw_rules r;
	struct fw_opts o = {
		.sz = sizeof(o), .socket_id = SOCKET_ID_ANY, .stateful = stateful, .conn_max = 1024
	};
	struct firewall *fw;
	char err[FW_ERR_MAX] = "";

	cr_assert_eq(firewall_rules_parse(text, "t", &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(firewall_create(&r, &o, &fw, err, sizeof(err)), 0, "%s", err);
	firewall_rules_free(&r);
	return fw;
}

static struct fw_verdict
one(struct firewall *fw, const struct pkt_spec *s, uint64_t now)
{
	uint8_t buf[256];
	const void *f = buf;
	uint32_t len = frame(buf, s);
	struct fw_verdict v;

	firewall_classify(fw, &f, &len, 1, now, &v);
	return v;
}

static int
state_of(struct firewall *fw, const struct pkt_spec *s, uint64_t now)
{
	uint8_t buf[256];
	uint32_t len = frame(buf, s);

	return firewall_conn_state(fw, buf, len, now);
}

Test(firewall, the_first_matching_line_wins_unless_a_priority_says_otherwise)
{
	struct firewall *fw = make("allow proto tcp dport 80\n"
				   "deny proto tcp to 10.0.0.0/8\n"
				   "priority 1 deny from 192.0.2.66\n",
				   false);
	struct pkt_spec s = { 4, IPPROTO_TCP, "192.0.2.1", "10.1.1.1", 1234, 80, TH_SYN, 0 };
	struct fw_verdict v = one(fw, &s, 0);

	cr_assert_eq(v.allow, 1);
	cr_assert_eq(v.reason, FW_R_RULE);
	cr_assert_eq(firewall_rules(fw)->rule[v.rule].line, 1);
	s.dport = 81;
	v = one(fw, &s, 0);
	cr_assert_eq(v.allow, 0);
	cr_assert_eq(firewall_rules(fw)->rule[v.rule].line, 2);
	s.src = "192.0.2.66";
	s.dport = 80;
	v = one(fw, &s, 0);
	cr_assert_eq(v.allow, 0);
	cr_assert_eq(firewall_rules(fw)->rule[v.rule].line, 3);
	s.proto = IPPROTO_UDP;
	s.src = "192.0.2.1";
	v = one(fw, &s, 0);
	cr_assert_eq(v.reason, FW_R_DEFAULT);
	cr_assert_eq(v.allow, 0);
	firewall_free(fw);
}

Test(firewall, a_port_rule_never_matches_a_fragment_without_ports)
{
	struct firewall *fw = make("allow proto udp dport 0-65535\nallow proto udp\n", false);
	struct pkt_spec s = { 4, IPPROTO_UDP, "192.0.2.1", "10.1.1.1", 5, 7, 0, 0 };
	struct fw_verdict v = one(fw, &s, 0);

	cr_assert_eq(firewall_rules(fw)->rule[v.rule].line, 1);
	s.frag_later = true;
	v = one(fw, &s, 0);
	cr_assert_eq(v.reason, FW_R_RULE);
	cr_assert_eq(firewall_rules(fw)->rule[v.rule].line, 2);
	firewall_free(fw);
}

Test(firewall, non_ip_frames_follow_the_nonip_policy_and_are_counted)
{
	struct firewall *fw = make("nonip deny\ndefault allow\n", false);
	uint8_t arp[60] = { 0 };
	const void *f = arp;
	uint32_t len = sizeof(arp);
	struct fw_verdict v;

	arp[12] = 0x08;
	arp[13] = 0x06;
	firewall_classify(fw, &f, &len, 1, 0, &v);
	cr_assert_eq(v.reason, FW_R_NONIP);
	cr_assert_eq(v.allow, 0);
	cr_assert_eq(firewall_counters(fw)->nonip_pkts, 1);
	cr_assert_eq(firewall_counters(fw)->nonip_bytes, 60);
	firewall_free(fw);
}

Test(firewall, malformed_frames_are_dropped_and_counted_never_crash)
{
	struct firewall *fw = make("default allow\nallow proto tcp\n", true);
	uint8_t buf[256], junk[64][96];
	const void *f[64];
	uint32_t len[64];
	struct fw_verdict v[64];
	struct pkt_spec s = { 4, IPPROTO_TCP, "192.0.2.1", "10.1.1.1", 1, 2, TH_SYN, 0 };
	uint32_t good = frame(buf, &s);
	unsigned int i, round;
	uint64_t malformed = 0;

	srand(7);
	for (round = 0; round < 200; round++) {
		for (i = 0; i < 64; i++) {
			unsigned int k;

			/* A good frame, truncated and with random bytes flipped. */
			memcpy(junk[i], buf, sizeof(junk[i]));
			for (k = 0; k < 3; k++)
				junk[i][rand() % good] = (uint8_t)rand();
			f[i] = junk[i];
			len[i] = (uint32_t)(rand() % (good + 1));
		}
		firewall_classify(fw, f, len, 64, round * SEC, v);
		for (i = 0; i < 64; i++) {
			struct sdnfv_pkt_info info;

			if (sdnfv_pkt_parse(f[i], len[i], &info) < 0) {
				malformed++;
				cr_assert_eq(v[i].reason, FW_R_MALFORMED);
				cr_assert_eq(v[i].allow, 0);
			}
		}
	}
	cr_assert_gt(malformed, 1000);
	cr_assert_eq(firewall_counters(fw)->malformed, malformed);
	cr_assert_eq(firewall_counters(fw)->rx, 200 * 64);
	cr_assert_eq(firewall_counters(fw)->passed + firewall_counters(fw)->dropped, 200 * 64);
	firewall_free(fw);
}

/* A linear-scan oracle: the first rule in evaluation order that matches. */
static bool
prefix_match(const uint8_t *rule, unsigned int len, const uint8_t *a)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if ((rule[i / 8] ^ a[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int
oracle(const struct fw_rules *r, const struct pkt_spec *s)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	bool ports = !s->frag_later && (s->proto == 6 || s->proto == 17);
	unsigned int i;

	inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->src, src);
	inet_pton(s->family == 4 ? AF_INET : AF_INET6, s->dst, dst);
	for (i = 0; i < r->n; i++) {
		const struct fw_rule *x = &r->rule[i];

		if (x->family != 0 && x->family != s->family)
			continue;
		if (x->proto >= 0 && x->proto != s->proto)
			continue;
		if (!prefix_match(x->src, x->src_len, src) ||
		    !prefix_match(x->dst, x->dst_len, dst))
			continue;
		if (x->has_ports && (!ports || s->sport < x->sport_lo || s->sport > x->sport_hi ||
				     s->dport < x->dport_lo || s->dport > x->dport_hi))
			continue;
		return (int)i;
	}
	return -1;
}

static const char *
rand_addr(char *buf, int family, bool near)
{
	if (family == 4)
		sprintf(buf, "10.%d.%d.%d", near ? rand() % 2 : rand() % 4, rand() % 4,
			rand() % 256);
	else
		sprintf(buf, "2001:db8:%x::%x:%x", near ? rand() % 2 : rand() % 4, rand() % 4,
			rand() % 256);
	return buf;
}

Test(firewall, classification_agrees_with_a_linear_scan_oracle_on_random_rules)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 47 };
	unsigned int round;

	srand(11);
	for (round = 0; round < 20; round++) {
		char text[65536], a[64];
		size_t off = 0;
		unsigned int i, n = 10 + (unsigned int)rand() % 150;
		struct fw_rules r;
		struct firewall *fw;
		char err[FW_ERR_MAX];
		struct fw_opts o = { .sz = sizeof(o), .socket_id = SOCKET_ID_ANY };

		for (i = 0; i < n; i++) {
			int fam = rand() % 3 ? (rand() % 2 ? 4 : 6) : 0;
			int proto =
				rand() % 4
					? (fam == 6 && rand() % 3 == 0 ? 58 : 6 + 11 * (rand() % 2))
					: -1;

			if (fam == 0 && proto == 58)
				proto = 17;
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s %s",
						rand() % 8 == 0 ? "priority 3 " : "",
						rand() % 2 ? "allow" : "deny",
						proto < 0     ? ""
						: proto == 6  ? "proto tcp"
						: proto == 17 ? "proto udp"
							      : "proto icmpv6");
			if (fam != 0 && rand() % 2) {
				unsigned int l = fam == 4 ? 8 + (unsigned int)rand() % 25
							  : 32 + (unsigned int)rand() % 97;
				uint8_t b[16];
				char s[64];

				inet_pton(fam == 4 ? AF_INET : AF_INET6, rand_addr(a, fam, true),
					  b);
				for (unsigned int k = l; k < (fam == 4 ? 32u : 128u); k++)
					b[k / 8] &= (uint8_t) ~(0x80 >> (k % 8));
				inet_ntop(fam == 4 ? AF_INET : AF_INET6, b, s, sizeof(s));
				off += (size_t)snprintf(text + off, sizeof(text) - off, " %s %s/%u",
							rand() % 2 ? "from" : "to", s, l);
			}
			if ((proto == 6 || proto == 17) && rand() % 2) {
				unsigned int lo = (unsigned int)rand() % 1000,
					     hi = lo + (unsigned int)rand() % 500;

				off += (size_t)snprintf(text + off, sizeof(text) - off, " %s %u-%u",
							rand() % 2 ? "sport" : "dport", lo, hi);
			}
			off += (size_t)snprintf(text + off, sizeof(text) - off, "\n");
		}
		cr_assert_eq(firewall_rules_parse(text, "rand", &r, err, sizeof(err)), 0, "%s",
			     err);
		cr_assert_eq(firewall_create(&r, &o, &fw, err, sizeof(err)), 0, "%s", err);
		for (i = 0; i < 400; i++) {
			char sa[64], da[64];
			struct pkt_spec s = { 0 };
			struct fw_verdict v;
			int want;

			s.family = rand() % 2 ? 4 : 6;
			s.proto = protos[rand() % 5];
			if (s.family == 4 && s.proto == 58)
				s.proto = 1;
			if (s.family == 6 && s.proto == 1)
				s.proto = 58;
			s.src = rand_addr(sa, s.family, false);
			s.dst = rand_addr(da, s.family, false);
			s.sport = (uint16_t)(rand() % 1600);
			s.dport = (uint16_t)(rand() % 1600);
			s.tcp_flags = TH_ACK;
			s.icmp_type = s.family == 4 ? 8 : 128;
			s.frag_later = s.family == 4 && rand() % 10 == 0;
			want = oracle(&r, &s);
			v = one(fw, &s, 0);
			if (want < 0) {
				cr_assert_eq(v.reason, FW_R_DEFAULT, "round %u packet %u", round,
					     i);
			} else {
				cr_assert_eq(v.reason, FW_R_RULE,
					     "round %u packet %u: want line %u", round, i,
					     r.rule[want].line);
				cr_assert_eq(v.rule, want, "round %u packet %u: line %u, want %u",
					     round, i, r.rule[v.rule].line, r.rule[want].line);
			}
		}
		firewall_free(fw);
		firewall_rules_free(&r);
	}
}

Test(firewall, per_rule_counters_count_packets_and_bytes_and_are_written_to_a_file)
{
	struct firewall *fw = make("deny proto udp\nallow proto tcp\n", false);
	struct pkt_spec s = { 4, IPPROTO_TCP, "192.0.2.1", "10.1.1.1", 1, 2, TH_SYN, 0 };
	uint64_t p, b;
	char path[] = "/tmp/fwcountersXXXXXX", line[128];
	FILE *f;
	int fd;

	one(fw, &s, 0);
	one(fw, &s, 0);
	s.proto = IPPROTO_UDP;
	one(fw, &s, 0);
	firewall_rule_counts(fw, 1, &p, &b);
	cr_assert_eq(p, 2);
	cr_assert_eq(b, 2 * 54);
	firewall_rule_counts(fw, 0, &p, &b);
	cr_assert_eq(p, 1);
	cr_assert_eq(b, 46);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(firewall_counters_write(fw, path), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "rule 1 deny 1 46\n");
	cr_assert_not_null(fgets(line, sizeof(line), f));
	cr_assert_str_eq(line, "rule 2 allow 2 108\n");
	fclose(f);
	unlink(path);
	firewall_free(fw);
}

/* ---------------------------------------------------------------------------------------- */
/* Stateful                                                                                   */

#define CLIENT "192.0.2.10"
#define SERVER "10.0.0.80"

static struct pkt_spec
tcp(bool from_client, uint8_t flags)
{
	struct pkt_spec s = { 4, IPPROTO_TCP, CLIENT, SERVER, 40000, 80, flags, 0 };

	if (!from_client) {
		s.src = SERVER;
		s.dst = CLIENT;
		s.sport = 80;
		s.dport = 40000;
	}
	return s;
}

static const char *const OUTBOUND = "allow proto tcp from 192.0.2.0/24 dport 80\n"
				    "allow proto udp from 192.0.2.0/24\n"
				    "allow proto icmp from 192.0.2.0/24\n"
				    "allow proto icmpv6 from 2001:db8:c::/48\n"
				    "default deny\n";

Test(firewall, a_tcp_connection_walks_through_its_states_and_replies_pass)
{
	struct firewall *fw = make(OUTBOUND, true);
	static const struct {
		bool client;
		uint8_t flags;
		int state;
	} steps[] = {
		{ true, TH_SYN, FW_TCP_SYN_SENT },    { false, TH_SYN | TH_ACK, FW_TCP_SYN_RECV },
		{ true, TH_ACK, FW_TCP_ESTABLISHED }, { false, TH_ACK, FW_TCP_ESTABLISHED },
		{ true, TH_ACK, FW_TCP_ESTABLISHED }, { true, TH_FIN | TH_ACK, FW_TCP_FIN_WAIT },
		{ false, TH_ACK, FW_TCP_CLOSE_WAIT }, { false, TH_FIN | TH_ACK, FW_TCP_LAST_ACK },
		{ true, TH_ACK, FW_TCP_TIME_WAIT },
	};
	unsigned int i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct pkt_spec s = tcp(steps[i].client, steps[i].flags);
		struct fw_verdict v = one(fw, &s, i * SEC);

		cr_assert_eq(v.allow, 1, "step %u", i);
		cr_assert_eq(v.reason, i == 0 ? FW_R_RULE : FW_R_TRACKED, "step %u", i);
		cr_assert_eq(state_of(fw, &s, i * SEC), steps[i].state, "step %u: %s", i,
			     firewall_tcp_state_name(state_of(fw, &s, i * SEC)));
	}
	cr_assert_eq(firewall_counters(fw)->tracked, 8);
	cr_assert_eq(firewall_counters(fw)->conn_new, 1);
	/* TIME_WAIT lasts 120 s by default. */
	{
		struct pkt_spec s = tcp(true, TH_ACK);

		cr_assert_eq(state_of(fw, &s, 8 * SEC + 119 * SEC), FW_TCP_TIME_WAIT);
		cr_assert_eq(state_of(fw, &s, 8 * SEC + 121 * SEC), -1);
	}
	firewall_free(fw);
}

Test(firewall, unsolicited_tcp_is_dropped_as_invalid_and_only_a_syn_opens)
{
	struct firewall *fw = make(OUTBOUND, true);
	struct pkt_spec s = tcp(false, TH_SYN | TH_ACK);
	struct fw_verdict v = one(fw, &s, 0);

	cr_assert_eq(v.allow, 0);
	cr_assert_eq(v.reason, FW_R_INVALID);
	s = tcp(true, TH_ACK); /* allowed by the rules, but not a SYN */
	v = one(fw, &s, 0);
	cr_assert_eq(v.allow, 0);
	cr_assert_eq(v.reason, FW_R_INVALID);
	s = tcp(false, TH_SYN); /* the server opening towards the client: the rules say no */
	v = one(fw, &s, 0);
	cr_assert_eq(v.allow, 0);
	cr_assert_eq(v.reason, FW_R_DEFAULT);
	cr_assert_eq(firewall_counters(fw)->invalid, 2);
	cr_assert_eq(firewall_counters(fw)->conn_live, 0);
	/* In SYN_SENT, a data segment from the server is invalid, and does not change the state. */
	s = tcp(true, TH_SYN);
	cr_assert_eq(one(fw, &s, 0).allow, 1);
	s = tcp(false, TH_ACK);
	cr_assert_eq(one(fw, &s, 0).reason, FW_R_INVALID);
	cr_assert_eq(state_of(fw, &s, 0), FW_TCP_SYN_SENT);
	firewall_free(fw);
}

Test(firewall, a_reset_closes_and_a_new_syn_is_judged_by_the_rules_again)
{
	struct firewall *fw = make(OUTBOUND, true);
	struct pkt_spec s = tcp(true, TH_SYN);

	cr_assert_eq(one(fw, &s, 0).allow, 1);
	s = tcp(false, TH_SYN | TH_ACK);
	cr_assert_eq(one(fw, &s, 0).allow, 1);
	s = tcp(false, TH_RST);
	cr_assert_eq(one(fw, &s, 0).allow, 1);
	cr_assert_eq(state_of(fw, &s, 0), FW_TCP_CLOSED);
	s = tcp(true, TH_SYN);
	cr_assert_eq(one(fw, &s, SEC).reason, FW_R_RULE);
	cr_assert_eq(state_of(fw, &s, SEC), FW_TCP_SYN_SENT);
	/* CLOSED lasts 10 s. */
	s = tcp(true, TH_RST);
	one(fw, &s, 2 * SEC);
	cr_assert_eq(state_of(fw, &s, 11 * SEC), FW_TCP_CLOSED);
	cr_assert_eq(state_of(fw, &s, 13 * SEC), -1);
	firewall_free(fw);
}

Test(firewall, udp_replies_pass_until_the_pseudo_connection_times_out)
{
	struct firewall *fw = make(OUTBOUND, true);
	struct pkt_spec out = { 4, IPPROTO_UDP, CLIENT, SERVER, 5000, 53, 0, 0 };
	struct pkt_spec back = { 4, IPPROTO_UDP, SERVER, CLIENT, 53, 5000, 0, 0 };
	struct pkt_spec other = { 4, IPPROTO_UDP, SERVER, CLIENT, 53, 5001, 0, 0 };

	cr_assert_eq(one(fw, &back, 0).allow, 0); /* unsolicited */
	cr_assert_eq(one(fw, &out, 0).allow, 1);
	cr_assert_eq(one(fw, &back, 29 * SEC).reason, FW_R_TRACKED);
	cr_assert_eq(one(fw, &other, 29 * SEC).allow, 0);
	/* Replied: the stream timeout (120 s) applies from the last packet. */
	cr_assert_eq(one(fw, &back, 148 * SEC).reason, FW_R_TRACKED);
	cr_assert_eq(one(fw, &back, 269 * SEC).allow, 0);
	cr_assert_eq(firewall_counters(fw)->conn_expired, 1);
	/* An unreplied one lasts 30 s; the idle sweep removes it. */
	cr_assert_eq(one(fw, &out, 300 * SEC).allow, 1);
	cr_assert_eq(firewall_expire(fw, 329 * SEC, 1024), 0);
	cr_assert_eq(firewall_expire(fw, 331 * SEC, 1024), 1);
	cr_assert_eq(firewall_counters(fw)->conn_live, 0);
	firewall_free(fw);
}

Test(firewall, icmp_echo_replies_pass_only_when_solicited_and_related_errors_pass)
{
	struct firewall *fw = make(OUTBOUND, true);
	struct pkt_spec req = { 4, IPPROTO_ICMP, CLIENT, SERVER, 77, 0, 0, 8 };
	struct pkt_spec rep = { 4, IPPROTO_ICMP, SERVER, CLIENT, 77, 0, 0, 0 };
	struct pkt_spec rep6 = {
		6, IPPROTO_ICMPV6, "2001:db8:5::1", "2001:db8:c::1", 9, 0, 0, 129
	};
	struct pkt_spec req6 = {
		6, IPPROTO_ICMPV6, "2001:db8:c::1", "2001:db8:5::1", 9, 0, 0, 128
	};
	struct pkt_spec udp = { 4, IPPROTO_UDP, CLIENT, SERVER, 5000, 53, 0, 0 };
	uint8_t quoted[64], ubuf[256];
	struct pkt_spec err;

	cr_assert_eq(one(fw, &rep, 0).reason, FW_R_INVALID);
	cr_assert_eq(one(fw, &req, 0).allow, 1);
	cr_assert_eq(one(fw, &rep, SEC).reason, FW_R_TRACKED);
	cr_assert_eq(one(fw, &rep, 40 * SEC).reason, FW_R_INVALID); /* 30 s timeout */
	cr_assert_eq(one(fw, &rep6, 0).reason, FW_R_INVALID);
	cr_assert_eq(one(fw, &req6, 0).allow, 1);
	cr_assert_eq(one(fw, &rep6, 0).reason, FW_R_TRACKED);
	/* A port unreachable from the server quoting the client's UDP datagram: related. */
	cr_assert_eq(one(fw, &udp, 50 * SEC).allow, 1);
	frame(ubuf, &udp);
	memcpy(quoted, ubuf + 14, 28);
	err = (struct pkt_spec){ 4, IPPROTO_ICMP, SERVER, CLIENT, 0, 0, 0, 3 };
	err.inner = quoted;
	err.inner_len = 28;
	cr_assert_eq(one(fw, &err, 51 * SEC).reason, FW_R_TRACKED);
	/* The same error quoting another datagram: not related, the rules (default deny) judge. */
	quoted[20 + 1] ^= 1;
	cr_assert_eq(one(fw, &err, 51 * SEC).reason, FW_R_DEFAULT);
	firewall_free(fw);
}

Test(firewall, a_full_connection_table_drops_and_counts_new_connections)
{
	struct firewall *fw = make(OUTBOUND, true);
	unsigned int i, full = 0, ok = 0;

	for (i = 0; i < 4096; i++) {
		struct pkt_spec s = {
			4, IPPROTO_UDP, CLIENT, SERVER, (uint16_t)(1000 + i), 53, 0, 0
		};
		struct fw_verdict v = one(fw, &s, 0);

		if (v.reason == FW_R_TABLE_FULL) {
			cr_assert_eq(v.allow, 0);
			full++;
		} else {
			cr_assert_eq(v.allow, 1);
			ok++;
		}
	}
	cr_assert_leq(ok, 1024);
	cr_assert_gt(ok, 512); /* the probe window fills most of the table first */
	cr_assert_eq(full, firewall_counters(fw)->conn_full);
	cr_assert_eq(firewall_counters(fw)->conn_live, ok);
	firewall_free(fw);
}

Test(firewall, a_syn_and_its_answer_in_one_burst_see_each_other)
{
	struct firewall *fw = make(OUTBOUND, true);
	uint8_t b[3][256];
	const void *f[3] = { b[0], b[1], b[2] };
	uint32_t len[3];
	struct fw_verdict v[3];
	struct pkt_spec s0 = tcp(true, TH_SYN), s1 = tcp(false, TH_SYN | TH_ACK),
			s2 = tcp(true, TH_ACK);

	len[0] = frame(b[0], &s0);
	len[1] = frame(b[1], &s1);
	len[2] = frame(b[2], &s2);
	firewall_classify(fw, f, len, 3, 0, v);
	cr_assert(v[0].allow && v[1].allow && v[2].allow);
	cr_assert_eq(state_of(fw, &s2, 0), FW_TCP_ESTABLISHED);
	firewall_free(fw);
}

Test(firewall, an_icmp_error_in_the_burst_of_the_datagram_it_quotes_is_related)
{
	struct firewall *fw = make(OUTBOUND, true);
	struct pkt_spec udp = { 4, IPPROTO_UDP, CLIENT, SERVER, 5000, 53, 0, 0 };
	struct pkt_spec err = { 4, IPPROTO_ICMP, SERVER, CLIENT, 0, 0, 0, 3 };
	uint8_t b[2][256];
	const void *f[2] = { b[0], b[1] };
	uint32_t len[2];
	struct fw_verdict v[2];

	len[0] = frame(b[0], &udp);
	err.inner = b[0] + 14;
	err.inner_len = 28;
	len[1] = frame(b[1], &err);
	firewall_classify(fw, f, len, 2, 0, v);
	cr_assert_eq(v[0].reason, FW_R_RULE);
	cr_assert_eq(v[1].reason, FW_R_TRACKED);
	cr_assert_eq(v[1].allow, 1);
	firewall_free(fw);
}

/* IPv6, an 8-byte hop-by-hop header whose next header is 1 (ICMPv4, which the parser does not read
 * over IPv6), and nothing after it: 62 bytes. */
static uint32_t
v6_hbh_icmp4(uint8_t *b, const char *src, const char *dst)
{
	memset(b, 0, 62);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put16(b + 12, 0x86dd);
	b[14] = 0x60;
	put16(b + 14 + 4, 8);
	b[14 + 6] = 0; /* hop-by-hop */
	b[14 + 7] = 64;
	inet_pton(AF_INET6, src, b + 14 + 8);
	inet_pton(AF_INET6, dst, b + 14 + 24);
	b[54] = 1;     /* next header: ICMP (v4) */
	b[54 + 1] = 0; /* 8 bytes */
	b[54 + 2] = 1; /* PadN, 4 bytes */
	b[54 + 3] = 4;
	return 62;
}

/* The ICMP type is read only when the parser read an ICMP header: an IPv6 packet with next
 * header 1 is not ICMP to it (nothing past the frame is read; the sanitizer build checks), so the
 * rules judge it rather than a byte beyond the frame (0: an echo reply nobody asked for). */
Test(firewall, icmp_of_the_other_family_is_not_read_as_icmp)
{
	/* (A proto 1 rule is an IPv4 rule: the default policy judges the packet.) */
	struct firewall *fw = make("deny proto tcp dport 23\ndefault allow\n", true);
	uint8_t buf[256];
	uint8_t *exact = malloc(62);
	uint32_t len;
	const void *f;
	struct fw_verdict v;

	/* A frame that ends exactly there (the sanitizer build catches a read past it). */
	cr_assert_not_null(exact);
	len = v6_hbh_icmp4(exact, "2001:db8:c::2", "2001:db8:5::1");
	f = exact;
	firewall_classify(fw, &f, &len, 1, 0, &v);
	cr_assert_eq(v.reason, FW_R_DEFAULT, "reason %d", v.reason);
	free(exact);
	/* Followed by a 0 byte, which would be an ICMP echo reply. */
	len = v6_hbh_icmp4(buf, "2001:db8:c::1", "2001:db8:5::1");
	f = buf;
	cr_assert_eq(buf[len], 0);
	firewall_classify(fw, &f, &len, 1, 0, &v);
	cr_assert_eq(v.reason, FW_R_DEFAULT, "reason %d", v.reason);
	cr_assert_eq(v.allow, 1);
	/* Its answer belongs to the connection it opened. */
	len = v6_hbh_icmp4(buf, "2001:db8:5::1", "2001:db8:c::1");
	firewall_classify(fw, &f, &len, 1, SEC, &v);
	cr_assert_eq(v.reason, FW_R_TRACKED, "reason %d", v.reason);
	firewall_free(fw);
}

/* A frame as a chain of two mbufs: the first `first` bytes, then the rest. Behind the first
 * segment's data lies the rest of the frame too, as stale bytes of the buffer: reading past the
 * segment would find them. */
static struct rte_mbuf *
chain2(struct rte_mempool *mp, const uint8_t *frame, uint32_t len, uint32_t first)
{
	struct rte_mbuf *a = rte_pktmbuf_alloc(mp), *b = rte_pktmbuf_alloc(mp);

	cr_assert(a != NULL && b != NULL);
	memcpy(rte_pktmbuf_mtod(a, uint8_t *), frame, len);
	a->data_len = (uint16_t)first;
	memcpy(rte_pktmbuf_mtod(b, uint8_t *), frame + first, len - first);
	b->data_len = (uint16_t)(len - first);
	a->next = b;
	a->nb_segs = 2;
	a->pkt_len = len;
	return a;
}

/* An ICMP error whose datagram goes on into a second segment: its quote is read only as far as
 * the first segment goes. */
Test(firewall, an_icmp_error_in_a_chained_mbuf_reads_its_quote_in_the_first_segment_only)
{
	struct firewall *fw = make(OUTBOUND, true);
	struct rte_mempool *mp =
		rte_pktmbuf_pool_create("fw_chain", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	struct pkt_spec udp = { 4, IPPROTO_UDP, CLIENT, SERVER, 5000, 53, 0, 0 };
	struct pkt_spec err = { 4, IPPROTO_ICMP, SERVER, CLIENT, 0, 0, 0, 3 };
	uint8_t ubuf[256], ebuf[256], quote[128];
	struct rte_mbuf *m;
	struct fw_verdict v;
	uint32_t len;

	cr_assert_not_null(mp);
	cr_assert_eq(one(fw, &udp, 0).allow, 1);
	frame(ubuf, &udp);
	/* The quote: the datagram's IP and UDP headers (28 bytes), then 64 bytes more. */
	memset(quote, 0xab, sizeof(quote));
	memcpy(quote, ubuf + 14, 28);
	err.inner = quote;
	err.inner_len = 92;
	len = frame(ebuf, &err); /* 14 + 20 + 8 + 92 */
	cr_assert_eq(len, 134);

	/* The quoted headers in the first segment (14 + 20 + 8 + 28 bytes + 2): related. */
	m = chain2(mp, ebuf, len, 72);
	firewall_classify_mbufs(fw, &m, 1, SEC, &v);
	cr_assert_eq(v.reason, FW_R_TRACKED, "reason %d", v.reason);
	rte_pktmbuf_free(m);
	cr_assert_eq(firewall_counters(fw)->icmp_segmented, 0);

	/* The first segment ends inside the quoted IP header: not read past it, so not related
	 * (the rules judge, default deny) and counted. */
	m = chain2(mp, ebuf, len, 52);
	firewall_classify_mbufs(fw, &m, 1, SEC, &v);
	cr_assert_eq(v.reason, FW_R_DEFAULT, "reason %d", v.reason);
	cr_assert_eq(v.allow, 0);
	rte_pktmbuf_free(m);
	cr_assert_eq(firewall_counters(fw)->icmp_segmented, 1);
	rte_mempool_free(mp);
	firewall_free(fw);
}

/* A rule file with a NUL byte is refused with the line it is on. */
Test(firewall_rules, a_nul_byte_in_the_rule_file_is_refused_with_its_line)
{
	static const char text[] = "# rules\n"
				   "allow proto tcp dport 80\n"
				   "deny proto udp\0 dport 53\n";
	char path[] = "/tmp/fw-nul-XXXXXX", err[FW_ERR_MAX] = "", want[600];
	struct fw_rules r;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	cr_assert_eq(firewall_rules_load(path, &r, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: contains a NUL byte", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}
