/* SPDX-License-Identifier: BSD-3-Clause */
/* The NAT's behaviour, one test per requirement of RFC 4787, 5382 and 5508, on crafted frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "nat.h"

#define S (1000000000ull)

static const char *base_cfg = "external 203.0.113.1\n"
			      "internal 10.0.0.0/8\n";

static char cfg_path[64];

static const char *
write_cfg(const char *text)
{
	FILE *f;
	int fd;

	snprintf(cfg_path, sizeof(cfg_path), "/tmp/nat-test-XXXXXX");
	fd = mkstemp(cfg_path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return cfg_path;
}

static struct nat *
mk(const char *text)
{
	struct nat_options o = { .seed = 42 };
	struct nat *n = NULL;
	char err[256] = "";
	int ret = nat_create(write_cfg(text), &o, &n, err, sizeof(err));

	unlink(cfg_path);
	cr_assert_eq(ret, 0, "config refused: %s", err);
	return n;
}

static int
cfg_err(const char *text, char *err, size_t errlen)
{
	struct nat_config *c = malloc(sizeof(*c));
	int ret = nat_config_load(write_cfg(text), c, err, errlen);

	unlink(cfg_path);
	free(c);
	return ret;
}

static enum nat_verdict
run(struct nat *n, uint8_t *f, unsigned int len, uint64_t now)
{
	uint16_t port = 0;
	enum nat_verdict v = nat_process(n, f, len, now, &port);

	if (v != NAT_V_DROP)
		cr_assert(frame_cksum_ok(f), "checksums valid after translation");
	return v;
}

#define L4(f)       ((f) + F_ETH + 20)
#define SRC(f)      get32n((f) + F_ETH + 12)
#define DST(f)      get32n((f) + F_ETH + 16)
#define SPORT(f)    get16(L4(f))
#define DPORT(f)    get16(L4(f) + 2)
#define DROPS(n, r) (nat_stats(n)->dropped[r])
#define EXT         ip4("203.0.113.1")

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                                */

Test(nat, a_malformed_config_line_is_refused_with_its_line_number)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "external 203.0.113.1\ninternal 10.0.0.0/8\nports 9000-80\n",
		  ":3: bad port range" },
		{ "external 203.0.113.300\n", ":1: bad IPv4 address" },
		{ "external 203.0.113.1\n\n# c\ninternal 10.0.0.0/33\n", ":4: bad prefix" },
		{ "external 203.0.113.1\ninternal 10.0.0.0/8\nfiltering maybe\n", ":3: filtering" },
		{ "external 203.0.113.1\ntimeout udp 60\n", ":2: timeout udp 60 is below the 120" },
		{ "external 203.0.113.1\ntimeout tcp-established 3600\n", ":2: timeout tcp-est" },
		{ "external 203.0.113.1\ntimeout icmp 59\n", ":2: timeout icmp 59 is below" },
		{ "external 203.0.113.1\nforward tcp 198.51.100.1:80 10.0.0.5:80\n",
		  ":2: 198.51.100.1:80 is not an external address" },
		{ "external 203.0.113.1\nforward sctp 203.0.113.1:80 10.0.0.5:80\n",
		  ":2: forward" },
		{ "external 203.0.113.1\nforward tcp 203.0.113.1:80 10.0.0.5\n",
		  ":2: forward needs" },
		{ "external 203.0.113.1\ninternal 10.0.0.0/8\nforward tcp 203.0.113.1:80 "
		  "192.168.1.5:80\n",
		  ":3: forward to 192.168.1.5, which is in no 'internal' prefix" },
		/* Checked at the end, against every prefix, reporting the forward's own line. */
		{ "external 203.0.113.1\nforward udp 203.0.113.1:53 10.0.0.6:53\n"
		  "forward tcp 203.0.113.1:80 192.168.1.5:80\ninternal 10.0.0.0/8\n"
		  "internal 172.16.0.0/12\n",
		  ":3: forward to 192.168.1.5, which is in no 'internal' prefix" },
		{ "external 203.0.113.1\nbogus 1\n", ":2: unknown directive 'bogus'" },
		{ "external 203.0.113.1 203.0.113.2\n", ":1: 'external' takes 1 argument" },
		{ "external 203.0.113.1\nmax-mappings 0\n", ":2: max-mappings" },
		{ "external 203.0.113.1\ninside-mac 02:00:00:00:00\n", ":2: bad MAC" },
		{ "internal 10.0.0.0/8\n", "no 'external'" },
		{ "external 203.0.113.1\ninternal 10.0.0.0/8\ninside-mac 02:00:00:00:00:01\n",
		  "go together" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";

		cr_assert_eq(cfg_err(cases[i].text, err, sizeof(err)), -EINVAL, "case %u", i);
		cr_assert(strstr(err, cases[i].want) != NULL, "case %u: '%s' lacks '%s'", i, err,
			  cases[i].want);
	}
}

Test(nat, a_forward_may_come_before_the_internal_prefix_that_holds_its_server)
{
	struct nat_config *c = malloc(sizeof(*c));
	char err[256] = "";

	cr_assert_eq(nat_config_load(write_cfg("external 203.0.113.1\n"
					       "forward tcp 203.0.113.1:80 192.168.1.5:80\n"
					       "internal 10.0.0.0/8\n"
					       "internal 192.168.0.0/16\n"),
				     c, err, sizeof(err)),
		     0, "%s", err);
	unlink(cfg_path);
	cr_assert_eq(c->n_forwards, 1);
	free(c);
}

Test(nat, a_configuration_in_memory_with_a_forward_outside_the_internal_prefixes_is_refused)
{
	struct nat_config *c = malloc(sizeof(*c));
	struct nat *n = NULL;
	char err[256] = "";

	cr_assert_eq(nat_config_load(write_cfg("external 203.0.113.1\ninternal 10.0.0.0/8\n"
					       "forward tcp 203.0.113.1:80 10.0.0.5:80\n"),
				     c, err, sizeof(err)),
		     0, "%s", err);
	unlink(cfg_path);
	c->forwards[0].int_ip = ip4("192.168.1.5");
	cr_assert_eq(nat_create_cfg(c, NULL, &n, err, sizeof(err)), -EINVAL);
	cr_assert_null(n);
	cr_assert(strstr(err, "192.168.1.5") != NULL, "%s", err);
	free(c);
}

Test(nat, the_sample_configurations_load)
{
	const char *root = getenv("SDNFV_SOURCE_ROOT");
	const char *names[] = { "nat.conf", "router.conf" };
	unsigned int i;

	cr_assert_not_null(root);
	for (i = 0; i < 2; i++) {
		char path[512], err[256] = "";
		struct nat_config *c = malloc(sizeof(*c));

		snprintf(path, sizeof(path), "%s/examples/nat/%s", root, names[i]);
		cr_assert_eq(nat_config_load(path, c, err, sizeof(err)), 0, "%s", err);
		free(c);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Mapping (RFC 4787 REQ-1, REQ-3, REQ-4; RFC 5382 REQ-1)                                       */

Test(nat, an_internal_endpoint_keeps_one_mapping_whatever_the_destination)
{
	struct nat *n = mk(base_cfg);
	uint8_t a[128], b[128], c[128];
	unsigned int la = frame_udp(a, "10.0.0.2", 5000, "198.51.100.1", 3478);
	unsigned int lb = frame_udp(b, "10.0.0.2", 5000, "198.51.100.2", 9999);
	unsigned int lc = frame_tcp(c, "10.0.0.2", 6000, "198.51.100.1", 80, 0x02);

	cr_assert_eq(run(n, a, la, 0), NAT_V_NEXT);
	cr_assert_eq(run(n, b, lb, S), NAT_V_NEXT);
	cr_assert_eq(SRC(a), EXT);
	cr_assert_eq(SRC(b), EXT);
	cr_assert_eq(SPORT(a), SPORT(b), "endpoint-independent mapping");
	cr_assert_eq(nat_stats(n)->created, 1);
	run(n, c, lc, S);
	frame_tcp(b, "10.0.0.2", 6000, "198.51.100.9", 443, 0x02);
	run(n, b, lc, S);
	cr_assert_eq(SPORT(c), SPORT(b), "TCP too (RFC 5382 REQ-1)");
	nat_free(n);
}

Test(nat, the_internal_port_is_preserved_when_free)
{
	struct nat *n = mk(base_cfg);
	uint8_t a[128];
	unsigned int la = frame_udp(a, "10.0.0.2", 40000, "198.51.100.1", 53);

	run(n, a, la, 0);
	cr_assert_eq(SPORT(a), 40000);
	/* 80 is outside the default range 1024-65535: it gets another port, in the range. */
	la = frame_udp(a, "10.0.0.3", 80, "198.51.100.1", 53);
	run(n, a, la, 0);
	cr_assert(SPORT(a) >= 1024);
	nat_free(n);
}

Test(nat, two_internal_endpoints_never_share_an_external_port)
{
	struct nat *n = mk("external 203.0.113.1\ninternal 10.0.0.0/8\nports 2000-2999\n");
	static uint8_t seen[65536];
	uint8_t f[128];
	unsigned int i;

	/* 1000 hosts, all on port 5000 (outside the range), then the range is full. */
	for (i = 0; i < 1000; i++) {
		char src[32];
		unsigned int len;

		snprintf(src, sizeof(src), "10.1.%u.%u", i / 250, i % 250 + 1);
		len = frame_udp(f, src, 5000, "198.51.100.1", 3478);
		cr_assert_eq(run(n, f, len, 0), NAT_V_NEXT);
		cr_assert(SPORT(f) >= 2000 && SPORT(f) <= 2999);
		cr_assert_eq(seen[SPORT(f)], 0, "port %u given twice", SPORT(f));
		seen[SPORT(f)] = 1;
	}
	i = frame_udp(f, "10.2.0.1", 5000, "198.51.100.1", 3478);
	cr_assert_eq(run(n, f, i, 0), NAT_V_DROP, "no port overloading: the 1001st is refused");
	cr_assert_eq(DROPS(n, NAT_DROP_NO_PORT), 1);
	nat_free(n);
}

Test(nat, mappings_agree_with_a_simple_oracle_under_random_traffic)
{
	/* Oracle: a list of (internal endpoint -> external port); the NAT must agree on every
	 * packet, and the external ports stay distinct. */
	struct nat *n = mk("external 203.0.113.1\ninternal 10.0.0.0/8\nports 1024-1535\n");
	static struct {
		uint32_t ip;
		uint16_t port, ext;
	} o[512];
	unsigned int no = 0, i, j;
	uint8_t f[128];

	srand(7);
	for (i = 0; i < 5000; i++) {
		char src[32];
		unsigned int host = (unsigned int)rand() % 40,
			     port = 1000 + (unsigned int)rand() % 12;
		unsigned int len;

		snprintf(src, sizeof(src), "10.9.0.%u", host + 1);
		len = frame_udp(f, src, (uint16_t)port, "198.51.100.7",
				(uint16_t)(rand() % 60000 + 1));
		cr_assert_eq(run(n, f, len, 0), NAT_V_NEXT);
		for (j = 0; j < no; j++)
			if (o[j].ip == ip4(src) && o[j].port == port)
				break;
		if (j == no) {
			unsigned int k;

			for (k = 0; k < no; k++)
				cr_assert_neq(o[k].ext, SPORT(f), "port shared");
			o[no].ip = ip4(src);
			o[no].port = (uint16_t)port;
			o[no++].ext = SPORT(f);
		}
		cr_assert_eq(o[j].ext, SPORT(f), "the mapping changed");
	}
	cr_assert_eq(nat_stats(n)->created, no);
	nat_free(n);
}

Test(nat, an_address_pool_pairs_each_internal_address_with_one_external_address)
{
	struct nat *n = mk("external 203.0.113.1\nexternal 203.0.113.2\nexternal 203.0.113.3\n"
			   "internal 10.0.0.0/8\n");
	uint8_t f[128];
	unsigned int h, p, used = 0;

	for (h = 1; h < 60; h++) {
		uint32_t first = 0;
		char src[32];

		snprintf(src, sizeof(src), "10.0.0.%u", h);
		for (p = 0; p < 5; p++) {
			unsigned int len =
				frame_udp(f, src, (uint16_t)(3000 + p), "198.51.100.1", 53);

			run(n, f, len, 0);
			if (p == 0)
				first = SRC(f);
			cr_assert_eq(SRC(f), first, "RFC 4787 REQ-2: paired pooling");
		}
		used |= 1u << (((const uint8_t *)&first)[3] - 1);
	}
	cr_assert_eq(used, 7, "every address of the pool is used");
	nat_free(n);
}

/* ------------------------------------------------------------------------------------------ */
/* Filtering (RFC 4787 REQ-8, RFC 5382 REQ-3)                                                   */

static void
filtering_case(const char *mode, bool third_party_passes)
{
	char cfg[256];
	struct nat *n;
	uint8_t f[128];
	unsigned int len;
	uint16_t ext;

	snprintf(cfg, sizeof(cfg), "%sfiltering %s\n", base_cfg, mode);
	n = mk(cfg);
	len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	run(n, f, len, 0);
	ext = SPORT(f);
	/* The remote it sent to answers. */
	len = frame_udp(f, "198.51.100.1", 3478, "203.0.113.1", ext);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT);
	cr_assert_eq(DST(f), ip4("10.0.0.2"));
	cr_assert_eq(DPORT(f), 5000);
	/* Same address, other port; and another address. */
	len = frame_udp(f, "198.51.100.1", 3479, "203.0.113.1", ext);
	cr_assert_eq(run(n, f, len, S) == NAT_V_NEXT, third_party_passes);
	len = frame_udp(f, "198.51.100.99", 3478, "203.0.113.1", ext);
	cr_assert_eq(run(n, f, len, S) == NAT_V_NEXT, third_party_passes);
	cr_assert_eq(DROPS(n, NAT_DROP_FILTERED), third_party_passes ? 0 : 2);
	/* TCP: an inbound SYN from a stranger to a TCP mapping (RFC 5382 REQ-3). */
	len = frame_tcp(f, "10.0.0.2", 7000, "198.51.100.1", 80, 0x02);
	run(n, f, len, S);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.50", 1234, "203.0.113.1", ext, 0x02);
	cr_assert_eq(run(n, f, len, S) == NAT_V_NEXT, third_party_passes);
	nat_free(n);
}

Test(nat, endpoint_independent_filtering_lets_any_remote_reach_a_mapping)
{
	filtering_case("endpoint-independent", true);
}

Test(nat, address_and_port_dependent_filtering_admits_only_remotes_the_mapping_sent_to)
{
	filtering_case("address-and-port-dependent", false);
}

Test(nat, inbound_traffic_for_no_mapping_is_dropped_and_counted)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len = frame_udp(f, "198.51.100.1", 3478, "203.0.113.1", 4444);

	cr_assert_eq(run(n, f, len, 0), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_NO_MAPPING), 1);
	nat_free(n);
}

/* ------------------------------------------------------------------------------------------ */
/* Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8)                                                 */

Test(nat, hairpinned_packets_are_translated_both_ways_and_sent_back_inside)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len;
	uint16_t ext_a, ext_b;

	len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	run(n, f, len, 0);
	ext_a = SPORT(f);
	len = frame_udp(f, "10.0.0.3", 6000, "198.51.100.1", 3478);
	run(n, f, len, 0);
	ext_b = SPORT(f);
	/* B sends to A's external endpoint. */
	len = frame_udp(f, "10.0.0.3", 6000, "203.0.113.1", ext_a);
	cr_assert_eq(run(n, f, len, S), NAT_V_INGRESS);
	cr_assert_eq(SRC(f), EXT, "the source is B's external address (REQ-9)");
	cr_assert_eq(SPORT(f), ext_b, "and B's external port");
	cr_assert_eq(DST(f), ip4("10.0.0.2"));
	cr_assert_eq(DPORT(f), 5000);
	cr_assert_eq(nat_stats(n)->hairpin, 1);
	/* TCP as well; a host hairpinning to itself too. */
	len = frame_tcp(f, "10.0.0.4", 7000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext_a = SPORT(f);
	len = frame_tcp(f, "10.0.0.4", 7001, "203.0.113.1", ext_a, 0x02);
	cr_assert_eq(run(n, f, len, S), NAT_V_INGRESS);
	cr_assert_eq(DST(f), ip4("10.0.0.4"));
	cr_assert_eq(DPORT(f), 7000);
	nat_free(n);
}

Test(nat, a_hairpinned_tcp_connection_becomes_established_on_both_mappings)
{
	/* RFC 5382 REQ-5: once both SYNs are seen the connection gets the established timeout,
	 * hairpinned or not. The destination's mapping sees the hairpinned packets as inbound. */
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len;
	uint16_t ext_a, ext_b;
	uint64_t t;

	/* B talks out once: a TCP mapping for 10.0.0.2:6000. */
	len = frame_tcp(f, "10.0.0.2", 6000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext_b = SPORT(f);
	/* A opens a connection to B's external endpoint: SYN, SYN-ACK, ACK, data. */
	len = frame_tcp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b, 0x02);
	cr_assert_eq(run(n, f, len, S), NAT_V_INGRESS);
	ext_a = SPORT(f);
	len = frame_tcp(f, "10.0.0.2", 6000, "203.0.113.1", ext_a, 0x12);
	cr_assert_eq(run(n, f, len, S), NAT_V_INGRESS);
	cr_assert_eq(DST(f), ip4("10.0.0.3"));
	cr_assert_eq(DPORT(f), 5000);
	len = frame_tcp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b, 0x10);
	cr_assert_eq(run(n, f, len, 2 * S), NAT_V_INGRESS);
	len = frame_tcp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b, 0x18);
	cr_assert_eq(run(n, f, len, 2 * S), NAT_V_INGRESS);
	cr_assert_eq(nat_stats(n)->created, 2);

	/* 300 s of silence: beyond the 240 s transitory timeout, well within the 7440 s. */
	t = 2 * S + 300 * S;
	len = frame_tcp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b, 0x18);
	cr_assert_eq(run(n, f, len, t), NAT_V_INGRESS, "A's packet after 300 s idle");
	cr_assert_eq(SRC(f), EXT);
	cr_assert_eq(SPORT(f), ext_a, "A kept its mapping");
	cr_assert_eq(DST(f), ip4("10.0.0.2"));
	cr_assert_eq(DPORT(f), 6000);
	len = frame_tcp(f, "10.0.0.2", 6000, "203.0.113.1", ext_a, 0x18);
	cr_assert_eq(run(n, f, len, t), NAT_V_INGRESS, "B's answer");
	cr_assert_eq(SPORT(f), ext_b);
	cr_assert_eq(DST(f), ip4("10.0.0.3"));
	cr_assert_eq(nat_stats(n)->created, 2, "no mapping was re-created");
	cr_assert_eq(nat_stats(n)->expired, 0);
	/* Two hours later still, both ways. */
	t += 7400 * S;
	len = frame_tcp(f, "10.0.0.2", 6000, "203.0.113.1", ext_a, 0x18);
	cr_assert_eq(run(n, f, len, t), NAT_V_INGRESS);
	len = frame_tcp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b, 0x18);
	cr_assert_eq(run(n, f, len, t), NAT_V_INGRESS);
	cr_assert_eq(nat_stats(n)->created, 2);
	nat_free(n);
}

Test(nat, a_hairpinned_udp_datagram_refreshes_the_destination_only_with_inbound_refresh)
{
	/* The destination's mapping sees a hairpinned datagram as inbound: it refreshes it only
	 * with inbound-refresh on, as a datagram from outside would. */
	unsigned int on;

	for (on = 0; on < 2; on++) {
		char cfg[256];
		struct nat *n;
		uint8_t f[128];
		unsigned int len;
		uint16_t ext_b;

		snprintf(cfg, sizeof(cfg), "%stimeout udp 120\ninbound-refresh %s\n", base_cfg,
			 on ? "on" : "off");
		n = mk(cfg);
		len = frame_udp(f, "10.0.0.2", 6000, "198.51.100.1", 3478);
		run(n, f, len, 0);
		ext_b = SPORT(f);
		len = frame_udp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b);
		cr_assert_eq(run(n, f, len, 100 * S), NAT_V_INGRESS);
		len = frame_udp(f, "10.0.0.3", 5000, "203.0.113.1", ext_b);
		cr_assert_eq(run(n, f, len, 200 * S) == NAT_V_INGRESS, on == 1,
			     "inbound-refresh %s", on ? "on" : "off");
		nat_free(n);
	}
}

Test(nat, a_router_nat_sends_hairpinned_packets_out_of_the_inside_port_with_new_macs)
{
	struct nat *n = mk("external 203.0.113.1\ninternal 10.0.0.0/8\ninside-port 0\n"
			   "outside-port 1\ninside-mac 02:aa:00:00:00:01\n"
			   "outside-mac 02:bb:00:00:00:01\noutside-gw-mac 02:cc:00:00:00:01\n");
	static const uint8_t in_mac[6] = { 2, 0xaa, 0, 0, 0, 1 },
			     out_mac[6] = { 2, 0xbb, 0, 0, 0, 1 },
			     gw_mac[6] = { 2, 0xcc, 0, 0, 0, 1 },
			     host_mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t f[128];
	uint16_t port = 99;
	unsigned int len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	uint16_t ext;

	cr_assert_eq(nat_process(n, f, len, 0, &port), NAT_V_PORT);
	cr_assert_eq(port, 1);
	cr_assert_arr_eq(f, gw_mac, 6);
	cr_assert_arr_eq(f + 6, out_mac, 6);
	ext = SPORT(f);
	len = frame_udp(f, "198.51.100.1", 3478, "203.0.113.1", ext);
	cr_assert_eq(nat_process(n, f, len, 0, &port), NAT_V_PORT);
	cr_assert_eq(port, 0);
	cr_assert_arr_eq(f, host_mac, 6, "the MAC learnt from the host's outbound frame");
	cr_assert_arr_eq(f + 6, in_mac, 6);
	len = frame_udp(f, "10.0.0.2", 5001, "203.0.113.1", ext);
	cr_assert_eq(nat_process(n, f, len, 0, &port), NAT_V_PORT);
	cr_assert_eq(port, 0);
	/* IPv6 and ARP have nowhere to go in a router NAT. */
	len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	f[12] = 0x08;
	f[13] = 0x06;
	cr_assert_eq(nat_process(n, f, len, 0, &port), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_OTHER), 1);
	nat_free(n);
}

/* ------------------------------------------------------------------------------------------ */
/* Timers (RFC 4787 REQ-5, REQ-6; RFC 5382 REQ-5; RFC 5508 REQ-1)                               */

/* Send from the inside at t0, then probe from the remote at t; true when it got in. */
static bool
alive_after(struct nat *n, uint16_t *ext, uint64_t t)
{
	uint8_t f[128];
	unsigned int len = frame_udp(f, "198.51.100.1", 3478, "203.0.113.1", *ext);

	return run(n, f, len, t) == NAT_V_NEXT;
}

Test(nat, a_udp_mapping_lives_five_minutes_refreshed_by_outbound_packets_only)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	uint16_t ext;

	run(n, f, len, 0);
	ext = SPORT(f);
	cr_assert(alive_after(n, &ext, 299 * S));
	/* The inbound packet at 299 s did not refresh it (default inbound-refresh off). */
	cr_assert(!alive_after(n, &ext, 301 * S));
	cr_assert_eq(nat_stats(n)->expired, 1);
	/* Outbound refreshes. */
	len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	run(n, f, len, 400 * S);
	ext = SPORT(f);
	len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	run(n, f, len, 600 * S);
	cr_assert(alive_after(n, &ext, 899 * S));
	cr_assert(!alive_after(n, &ext, 901 * S));
	nat_free(n);
}

Test(nat, inbound_refresh_on_keeps_a_udp_mapping_alive_from_outside)
{
	char cfg[256];
	struct nat *n;
	uint8_t f[128];
	unsigned int len;
	uint16_t ext;

	snprintf(cfg, sizeof(cfg), "%stimeout udp 120\ninbound-refresh on\n", base_cfg);
	n = mk(cfg);
	len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);
	run(n, f, len, 0);
	ext = SPORT(f);
	cr_assert(alive_after(n, &ext, 100 * S));
	cr_assert(alive_after(n, &ext, 200 * S));
	cr_assert(!alive_after(n, &ext, 321 * S));
	nat_free(n);
}

Test(nat, tcp_mappings_time_out_after_4_minutes_transitory_and_2_hours_4_minutes_established)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len;
	uint16_t ext;

	/* A SYN that nobody answers: transitory, 240 s. */
	len = frame_tcp(f, "10.0.0.2", 5000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 239 * S), NAT_V_NEXT);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 239 * S + 240 * S + 1), NAT_V_DROP);

	/* SYN, SYN-ACK: established; an hour of silence keeps it. */
	len = frame_tcp(f, "10.0.0.3", 5000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 1000 * S);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x12);
	cr_assert_eq(run(n, f, len, 1000 * S), NAT_V_NEXT);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 1000 * S + 7439 * S), NAT_V_NEXT);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 1000 * S + 7439 * S + 7440 * S + 1), NAT_V_DROP);

	/* FIN both ways: transitory again. */
	len = frame_tcp(f, "10.0.0.4", 5000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x12);
	run(n, f, len, 0);
	len = frame_tcp(f, "10.0.0.4", 5000, "198.51.100.1", 80, 0x11);
	run(n, f, len, 10 * S);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x11);
	run(n, f, len, 10 * S);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 10 * S + 241 * S), NAT_V_DROP);

	/* RST: transitory. */
	len = frame_tcp(f, "10.0.0.5", 5000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x12);
	run(n, f, len, 0);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x04);
	run(n, f, len, 5 * S);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 5 * S + 241 * S), NAT_V_DROP);
	nat_free(n);
}

Test(nat, a_new_connection_after_a_close_needs_both_syns_again_to_be_established)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len;
	uint16_t ext;

	/* A whole connection: SYN, SYN-ACK, FIN both ways, last ACK. */
	len = frame_tcp(f, "10.0.0.2", 5000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x12);
	cr_assert_eq(run(n, f, len, 0), NAT_V_NEXT);
	len = frame_tcp(f, "10.0.0.2", 5000, "198.51.100.1", 80, 0x11);
	run(n, f, len, 10 * S);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x11);
	cr_assert_eq(run(n, f, len, 10 * S), NAT_V_NEXT);
	len = frame_tcp(f, "10.0.0.2", 5000, "198.51.100.1", 80, 0x10);
	run(n, f, len, 10 * S);

	/* A new SYN on the same mapping that nobody answers: transitory, not established. */
	len = frame_tcp(f, "10.0.0.2", 5000, "198.51.100.2", 443, 0x02);
	run(n, f, len, 20 * S);
	cr_assert_eq(SPORT(f), ext, "the same mapping");
	len = frame_tcp(f, "198.51.100.2", 443, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 20 * S + 241 * S), NAT_V_DROP,
		     "a lone SYN after a close gets the transitory timeout");

	/* Again on a fresh mapping, this time answered: established (7440 s). */
	len = frame_tcp(f, "10.0.0.3", 5000, "198.51.100.1", 80, 0x02);
	run(n, f, len, 1000 * S);
	ext = SPORT(f);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x12);
	run(n, f, len, 1000 * S);
	len = frame_tcp(f, "10.0.0.3", 5000, "198.51.100.1", 80, 0x11);
	run(n, f, len, 1010 * S);
	len = frame_tcp(f, "198.51.100.1", 80, "203.0.113.1", ext, 0x11);
	run(n, f, len, 1010 * S);
	len = frame_tcp(f, "10.0.0.3", 5000, "198.51.100.2", 443, 0x02);
	run(n, f, len, 1020 * S);
	len = frame_tcp(f, "198.51.100.2", 443, "203.0.113.1", ext, 0x12);
	cr_assert_eq(run(n, f, len, 1020 * S), NAT_V_NEXT);
	len = frame_tcp(f, "198.51.100.2", 443, "203.0.113.1", ext, 0x10);
	cr_assert_eq(run(n, f, len, 1020 * S + 7000 * S), NAT_V_NEXT,
		     "SYN both ways: established again");
	nat_free(n);
}

Test(nat, an_icmp_query_mapping_lives_60_seconds)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len = frame_echo(f, 8, "10.0.0.2", "198.51.100.1", 77);
	uint16_t id;

	run(n, f, len, 0);
	id = get16(L4(f) + 4);
	len = frame_echo(f, 0, "198.51.100.1", "203.0.113.1", id);
	cr_assert_eq(run(n, f, len, 59 * S), NAT_V_NEXT);
	cr_assert_eq(DST(f), ip4("10.0.0.2"));
	cr_assert_eq(get16(L4(f) + 4), 77, "the identifier is mapped back");
	len = frame_echo(f, 0, "198.51.100.1", "203.0.113.1", id);
	cr_assert_eq(run(n, f, len, 61 * S), NAT_V_DROP);
	nat_free(n);
}

Test(nat, the_idle_scan_removes_expired_mappings)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int i, len;

	for (i = 0; i < 100; i++) {
		len = frame_udp(f, "10.0.0.2", (uint16_t)(5000 + i), "198.51.100.1", 3478);
		run(n, f, len, i < 50 ? 0 : 200 * S);
	}
	cr_assert_eq(nat_stats(n)->active, 100);
	cr_assert_eq(nat_expire(n, 301 * S, 1000), 50);
	cr_assert_eq(nat_stats(n)->active, 50);
	cr_assert_eq(nat_stats(n)->expired, 50);
	nat_free(n);
}

Test(nat, max_mappings_bounds_the_table)
{
	char cfg[256];
	struct nat *n;
	uint8_t f[128];
	unsigned int i, len;

	snprintf(cfg, sizeof(cfg), "%smax-mappings 10\n", base_cfg);
	n = mk(cfg);
	for (i = 0; i < 11; i++) {
		len = frame_udp(f, "10.0.0.2", (uint16_t)(5000 + i), "198.51.100.1", 3478);
		cr_assert_eq(run(n, f, len, 0) == NAT_V_DROP, i == 10);
	}
	cr_assert_eq(DROPS(n, NAT_DROP_TABLE_FULL), 1);
	/* Once they expire, room again. */
	cr_assert_eq(run(n, f, len, 301 * S), NAT_V_NEXT);
	nat_free(n);
}

/* ------------------------------------------------------------------------------------------ */
/* ICMP errors (RFC 5508 REQ-3, REQ-4)                                                          */

Test(nat, an_icmp_error_from_outside_is_translated_with_its_embedded_header)
{
	struct nat *n = mk(base_cfg);
	uint8_t orig[128], out[128], f[256], copy[128];
	unsigned int lo = frame_udp(orig, "10.0.0.2", 5000, "198.51.100.1", 3478), len;
	uint8_t *emb;
	uint16_t ext;

	memcpy(out, orig, lo);
	run(n, out, lo, 0);
	ext = SPORT(out);
	/* The remote's port is unreachable; it quotes the whole translated datagram. */
	len = frame_icmp_error(f, 3, 3, "198.51.100.1", "203.0.113.1", out, lo - F_ETH);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT);
	cr_assert_eq(DST(f), ip4("10.0.0.2"), "outer destination");
	cr_assert_eq(SRC(f), ip4("198.51.100.1"), "outer source untouched");
	emb = L4(f) + 8;
	cr_assert_eq(get32n(emb + 12), ip4("10.0.0.2"), "embedded source address");
	cr_assert_eq(get32n(emb + 16), ip4("198.51.100.1"), "embedded destination untouched");
	cr_assert_eq(get16(emb + 20), 5000, "embedded source port");
	cr_assert_eq(get16(emb + 22), 3478, "embedded destination port untouched");
	cr_assert_eq(oracle_fold(oracle_sum(emb, 20, 0)), 0xffff, "embedded IP checksum");
	/* The whole datagram was quoted: it is now byte for byte what the host sent. */
	memcpy(copy, orig, lo);
	cr_assert_arr_eq(emb, copy + F_ETH, lo - F_ETH, "the embedded datagram is the original");
	(void)ext;
	nat_free(n);
}

Test(nat, an_icmp_error_quoting_only_8_bytes_of_tcp_is_translated)
{
	struct nat *n = mk(base_cfg);
	uint8_t out[128], f[256];
	unsigned int lo = frame_tcp(out, "10.0.0.2", 5000, "198.51.100.1", 80, 0x02), len;
	uint8_t *emb;

	run(n, out, lo, 0);
	/* Time exceeded from a router on the way, quoting IP + 8 bytes of TCP. */
	len = frame_icmp_error(f, 11, 0, "192.0.2.254", "203.0.113.1", out, 28);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT);
	emb = L4(f) + 8;
	cr_assert_eq(DST(f), ip4("10.0.0.2"));
	cr_assert_eq(get32n(emb + 12), ip4("10.0.0.2"));
	cr_assert_eq(get16(emb + 20), 5000);
	cr_assert_eq(get32n(emb + 24), get32n(out + F_ETH + 24), "sequence number untouched");
	cr_assert_eq(oracle_fold(oracle_sum(emb, 20, 0)), 0xffff);
	cr_assert_eq(nat_stats(n)->icmp_errors, 1);
	nat_free(n);
}

Test(nat, an_icmp_error_about_an_echo_request_maps_the_identifier_back)
{
	struct nat *n = mk(base_cfg);
	uint8_t out[128], f[256];
	unsigned int lo = frame_echo(out, 8, "10.0.0.2", "198.51.100.1", 0x4242), len;
	uint8_t *emb;

	run(n, out, lo, 0);
	len = frame_icmp_error(f, 3, 1, "192.0.2.254", "203.0.113.1", out, lo - F_ETH);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT);
	emb = L4(f) + 8;
	cr_assert_eq(get16(emb + 24), 0x4242);
	cr_assert_eq(oracle_fold(oracle_sum(emb + 20, lo - F_ETH - 20, 0)), 0xffff,
		     "the embedded ICMP checksum is right");
	nat_free(n);
}

Test(nat, an_icmp_error_sent_by_an_internal_host_is_translated_going_out)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[256], in[128];
	unsigned int len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478), li;
	uint16_t ext;
	uint8_t *emb;

	run(n, f, len, 0);
	ext = SPORT(f);
	li = frame_udp(in, "198.51.100.1", 3478, "203.0.113.1", ext);
	run(n, in, li, 0);
	/* The host answers the inbound datagram with port unreachable. */
	len = frame_icmp_error(f, 3, 3, "10.0.0.2", "198.51.100.1", in, li - F_ETH);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT);
	emb = L4(f) + 8;
	cr_assert_eq(SRC(f), EXT, "outer source");
	cr_assert_eq(get32n(emb + 16), EXT, "embedded destination");
	cr_assert_eq(get16(emb + 22), ext, "embedded destination port");
	cr_assert_eq(oracle_fold(oracle_sum(emb, 20, 0)), 0xffff);
	/* The quote is whole: its UDP checksum checks against its own pseudo-header. */
	cr_assert_eq(oracle_fold(oracle_sum(emb + 20, li - F_ETH - 20,
					    oracle_pseudo(emb, 17, (uint16_t)(li - F_ETH - 20)))),
		     0xffff);
	nat_free(n);
}

Test(nat, an_icmp_error_from_an_internal_router_about_an_inbound_packet_is_translated_going_out)
{
	/* RFC 5508 REQ-4: a router in the private realm (not the addressed host) reports a
	 * problem with an inbound packet; the quote is restored to what the remote sent and the
	 * router's address becomes the NAT's. */
	struct nat *n = mk(base_cfg);
	uint8_t f[256], in[128], sent[128];
	unsigned int len = frame_udp(f, "10.0.0.5", 7000, "198.51.100.1", 3478), li;
	uint16_t ext;
	uint8_t *emb;

	run(n, f, len, 0);
	ext = SPORT(f);
	li = frame_udp(in, "198.51.100.1", 3478, "203.0.113.1", ext);
	memcpy(sent, in, li);
	cr_assert_eq(run(n, in, li, 0), NAT_V_NEXT);
	cr_assert_eq(DST(in), ip4("10.0.0.5"));
	/* Time exceeded from 10.0.0.254 on the way to 10.0.0.5, quoting the whole datagram. */
	len = frame_icmp_error(f, 11, 0, "10.0.0.254", "198.51.100.1", in, li - F_ETH);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT, "translated, not dropped");
	emb = L4(f) + 8;
	cr_assert_eq(SRC(f), EXT, "outer source: the router becomes the external address");
	cr_assert_eq(DST(f), ip4("198.51.100.1"), "outer destination untouched");
	cr_assert_eq(L4(f)[0], 11, "type untouched");
	cr_assert_eq(L4(f)[1], 0, "code untouched");
	cr_assert_eq(get32n(emb + 12), ip4("198.51.100.1"), "embedded source untouched");
	cr_assert_eq(get32n(emb + 16), EXT, "embedded destination");
	cr_assert_eq(get16(emb + 20), 3478, "embedded source port untouched");
	cr_assert_eq(get16(emb + 22), ext, "embedded destination port");
	/* Independent full computations: outer IP header and ICMP (run() did both), embedded IP
	 * header, and the embedded UDP checksum against the embedded pseudo-header. */
	cr_assert_eq(oracle_fold(oracle_sum(f + F_ETH, 20, 0)), 0xffff, "outer IP checksum");
	cr_assert_eq(oracle_fold(oracle_sum(L4(f), len - F_ETH - 20, 0)), 0xffff, "ICMP checksum");
	cr_assert_eq(oracle_fold(oracle_sum(emb, 20, 0)), 0xffff, "embedded IP checksum");
	cr_assert_eq(oracle_fold(oracle_sum(emb + 20, li - F_ETH - 20,
					    oracle_pseudo(emb, 17, (uint16_t)(li - F_ETH - 20)))),
		     0xffff, "embedded UDP checksum");
	cr_assert_arr_eq(emb, sent + F_ETH, li - F_ETH, "the quote is what the remote sent");
	cr_assert_eq(nat_stats(n)->icmp_errors, 1);

	/* TCP, quoting only 8 bytes of it (no checksum in the quote). */
	len = frame_tcp(f, "10.0.0.5", 7001, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	ext = SPORT(f);
	li = frame_tcp(in, "198.51.100.1", 80, "203.0.113.1", ext, 0x12);
	cr_assert_eq(run(n, in, li, 0), NAT_V_NEXT);
	len = frame_icmp_error(f, 3, 4, "10.0.0.254", "198.51.100.1", in, 28);
	cr_assert_eq(run(n, f, len, S), NAT_V_NEXT);
	emb = L4(f) + 8;
	cr_assert_eq(SRC(f), EXT);
	cr_assert_eq(get32n(emb + 16), EXT);
	cr_assert_eq(get16(emb + 22), ext);
	cr_assert_eq(oracle_fold(oracle_sum(emb, 20, 0)), 0xffff);
	cr_assert_eq(nat_stats(n)->icmp_errors, 2);
	nat_free(n);
}

Test(nat, an_outgoing_icmp_error_that_is_not_about_an_inbound_packet_is_dropped)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[256], in[128];
	unsigned int len = frame_udp(f, "10.0.0.5", 7000, "198.51.100.1", 3478), li;
	uint16_t ext;

	run(n, f, len, 0);
	ext = SPORT(f);
	li = frame_udp(in, "198.51.100.1", 3478, "203.0.113.1", ext);
	run(n, in, li, 0);
	/* Sent to another address than the quoted packet's source. */
	len = frame_icmp_error(f, 11, 0, "10.0.0.254", "198.51.100.9", in, li - F_ETH);
	cr_assert_eq(run(n, f, len, S), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_ICMP_EMBEDDED), 1);
	/* Quoting a packet to an internal endpoint that has no mapping. */
	li = frame_udp(in, "198.51.100.1", 3478, "10.0.0.6", 7000);
	len = frame_icmp_error(f, 11, 0, "10.0.0.254", "198.51.100.1", in, li - F_ETH);
	cr_assert_eq(run(n, f, len, S), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_NO_MAPPING), 1);
	nat_free(n);
}

Test(nat, icmp_errors_with_a_short_or_lying_embedded_header_are_dropped_and_counted)
{
	struct nat *n = mk(base_cfg);
	uint8_t out[128], f[256];
	unsigned int lo = frame_udp(out, "10.0.0.2", 5000, "198.51.100.1", 3478), len, q;

	run(n, out, lo, 0);
	for (q = 0; q < 28; q++) {
		len = frame_icmp_error(f, 3, 3, "198.51.100.1", "203.0.113.1", out, q);
		cr_assert_eq(run(n, f, len, S), NAT_V_DROP, "quote of %u bytes", q);
	}
	/* A quote claiming IHL 15 that the quote does not hold. */
	len = frame_icmp_error(f, 3, 3, "198.51.100.1", "203.0.113.1", out, lo - F_ETH);
	L4(f)[8] = 0x4f;
	frame_fix(f, false);
	cr_assert_eq(run(n, f, len, S), NAT_V_DROP);
	/* A quote that is not of what the NAT sent (its source is not the outer destination). */
	len = frame_icmp_error(f, 3, 3, "198.51.100.1", "203.0.113.1", out, lo - F_ETH);
	L4(f)[8 + 12] = 9;
	frame_fix(f, false);
	cr_assert_eq(run(n, f, len, S), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_ICMP_EMBEDDED), 30);
	nat_free(n);
}

/* ------------------------------------------------------------------------------------------ */
/* Checksums, forwarding, bad input                                                             */

Test(nat, a_udp_checksum_of_zero_stays_zero)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);

	frame_fix(f, true);
	run(n, f, len, 0);
	cr_assert_eq(get16(L4(f) + 6), 0);
	cr_assert_eq(oracle_fold(oracle_sum(f + F_ETH, 20, 0)), 0xffff);
	nat_free(n);
}

Test(nat, every_translated_checksum_matches_a_full_recomputation)
{
	/* Random addresses, ports and payload bytes: the incremental updates must agree with the
	 * oracle's full sums (run() checks every output). */
	struct nat *n = mk("external 203.0.113.77\ninternal 10.0.0.0/8\n");
	uint8_t f[128];
	unsigned int i;

	srand(3);
	for (i = 0; i < 20000; i++) {
		char src[32], dst[32];
		unsigned int len, k;

		snprintf(src, sizeof(src), "10.%u.%u.%u", rand() % 256, rand() % 256, rand() % 256);
		snprintf(dst, sizeof(dst), "%u.%u.%u.%u", 1 + rand() % 200, rand() % 256,
			 rand() % 256, rand() % 256);
		if (i % 3 == 0)
			len = frame_udp(f, src, (uint16_t)rand(), dst, (uint16_t)rand());
		else if (i % 3 == 1)
			len = frame_tcp(f, src, (uint16_t)rand(), dst, (uint16_t)rand(), 0x10);
		else
			len = frame_echo(f, 8, src, dst, (uint16_t)rand());
		for (k = F_ETH + 20 + 8; k < len; k++)
			if (f[F_ETH + 9] != 6 || k >= F_ETH + 20 + 20)
				f[k] = (uint8_t)rand();
		frame_fix(f, false);
		cr_assert_neq(run(n, f, len, 0), NAT_V_DROP);
	}
	nat_free(n);
}

Test(nat, a_forward_sends_inbound_connections_to_the_internal_server_and_back)
{
	char cfg[256];
	struct nat *n;
	uint8_t f[128];
	unsigned int len;

	snprintf(cfg, sizeof(cfg),
		 "%sfiltering address-and-port-dependent\nforward tcp 203.0.113.1:8080 "
		 "10.0.0.5:80\n",
		 base_cfg);
	n = mk(cfg);
	len = frame_tcp(f, "198.51.100.1", 40000, "203.0.113.1", 8080, 0x02);
	cr_assert_eq(run(n, f, len, 0), NAT_V_NEXT, "forwards accept any remote");
	cr_assert_eq(DST(f), ip4("10.0.0.5"));
	cr_assert_eq(DPORT(f), 80);
	len = frame_tcp(f, "10.0.0.5", 80, "198.51.100.1", 40000, 0x12);
	cr_assert_eq(run(n, f, len, 0), NAT_V_NEXT);
	cr_assert_eq(SRC(f), EXT);
	cr_assert_eq(SPORT(f), 8080);
	/* A forward never expires, and its port is never handed out dynamically. */
	len = frame_tcp(f, "198.51.100.2", 40001, "203.0.113.1", 8080, 0x02);
	cr_assert_eq(run(n, f, len, 100000 * S), NAT_V_NEXT);
	len = frame_tcp(f, "10.0.0.9", 8080, "198.51.100.1", 80, 0x02);
	run(n, f, len, 0);
	cr_assert_neq(SPORT(f), 8080);
	cr_assert_eq(nat_stats(n)->active, 2);
	nat_free(n);
}

Test(nat, traffic_that_is_neither_inbound_nor_outbound_passes_unchanged_in_a_chain)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128], copy[128];
	unsigned int len = frame_udp(f, "198.51.100.1", 1, "198.51.100.2", 2);

	memcpy(copy, f, len);
	cr_assert_eq(run(n, f, len, 0), NAT_V_NEXT);
	cr_assert_arr_eq(f, copy, len);
	cr_assert_eq(nat_stats(n)->passed, 1);
	nat_free(n);
}

Test(nat, fragments_and_other_protocols_are_dropped_and_counted)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[128];
	unsigned int len = frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478);

	f[F_ETH + 6] = 0x20; /* more fragments */
	frame_fix(f, false);
	cr_assert_eq(run(n, f, len, 0), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_FRAGMENT), 1);
	len = frame_ip(f, 47, "10.0.0.2", "198.51.100.1", 8); /* GRE */
	cr_assert_eq(run(n, f, len, 0), NAT_V_DROP);
	cr_assert_eq(DROPS(n, NAT_DROP_UNSUPPORTED), 1);
	nat_free(n);
}

Test(nat, truncated_and_corrupted_frames_never_crash_and_are_counted)
{
	struct nat *n = mk(base_cfg);
	uint8_t f[256], g[256];
	unsigned int len, cut, i, malformed_before;
	uint64_t calls = 0;

	/* Every truncation of every kind of frame: the IPv4 total length then claims more than the
	 * frame holds, and the parser's refusal is counted as malformed. */
	for (i = 0; i < 4; i++) {
		len = i == 0   ? frame_udp(f, "10.0.0.2", 5000, "198.51.100.1", 3478)
		      : i == 1 ? frame_tcp(f, "10.0.0.2", 5000, "198.51.100.1", 80, 2)
		      : i == 2 ? frame_echo(f, 8, "10.0.0.2", "198.51.100.1", 9)
			       : frame_icmp_error(f, 3, 3, "198.51.100.1", "203.0.113.1", g, 28);
		for (cut = 0; cut < len; cut++) {
			uint16_t port;

			memcpy(g, f, len);
			malformed_before = (unsigned int)DROPS(n, NAT_DROP_MALFORMED);
			cr_assert_eq(nat_process(n, g, cut, 0, &port), NAT_V_DROP);
			cr_assert_eq(DROPS(n, NAT_DROP_MALFORMED), malformed_before + 1);
			calls++;
		}
	}
	/* Random bytes after a valid Ethernet + IPv4 start: no crash, every frame counted. */
	srand(11);
	for (i = 0; i < 100000; i++) {
		uint16_t port;

		len = frame_udp(f, "10.0.0.2", 5000, "203.0.113.1", 3478);
		for (cut = 0; cut < 6; cut++)
			f[F_ETH + (unsigned int)rand() % (len - F_ETH)] = (uint8_t)rand();
		nat_process(n, f, len - (unsigned int)rand() % 8, 0, &port);
		calls++;
	}
	cr_assert_eq(nat_stats(n)->rx, calls);
	cr_assert_gt(DROPS(n, NAT_DROP_MALFORMED), 0);
	nat_free(n);
}

Test(nat, mappings_survive_churn_of_creation_and_expiry_as_an_oracle_says)
{
	/* Endpoints come and go (lazy expiry, idle scans): every live mapping keeps its port, an
	 * expired one is replaced, live ports stay distinct, and the count of live mappings after a
	 * full scan is the oracle's. Exercises deletion from the internal-endpoint hash. */
	struct nat *n = mk("external 203.0.113.1\ninternal 10.0.0.0/8\ntimeout udp 120\n"
			   "max-mappings 256\n");
	static struct {
		uint16_t ext;
		uint64_t expire;
	} o[300];
	uint64_t now = 1;
	unsigned int step, i, live;
	uint8_t f[128];

	memset(o, 0, sizeof(o));
	srand(17);
	for (step = 0; step < 30000; step++) {
		unsigned int e = (unsigned int)rand() % 300, len;
		char src[32];

		now += (uint64_t)(rand() % 2000) * 1000000ull; /* up to 2 s */
		snprintf(src, sizeof(src), "10.3.%u.%u", e / 100, e % 100 + 1);
		len = frame_udp(f, src, (uint16_t)(4000 + e % 7), "198.51.100.1", 3478);
		live = 0;
		for (i = 0; i < 300; i++)
			live += o[i].expire > now && i != e;
		if (o[e].expire <= now && live >= 256) {
			cr_assert_eq(run(n, f, len, now), NAT_V_DROP);
			continue;
		}
		cr_assert_eq(run(n, f, len, now), NAT_V_NEXT, "step %u", step);
		if (o[e].expire > now)
			cr_assert_eq(SPORT(f), o[e].ext, "step %u: a live mapping kept its port",
				     step);
		else
			for (i = 0; i < 300; i++)
				cr_assert(!(o[i].expire > now && i != e && o[i].ext == SPORT(f)),
					  "step %u: port of a live mapping given again", step);
		o[e].ext = SPORT(f);
		o[e].expire = now + 120 * S;
		if (step % 1000 == 999) {
			nat_expire(n, now, 1u << 20);
			live = 0;
			for (i = 0; i < 300; i++)
				live += o[i].expire > now;
			cr_assert_eq(nat_stats(n)->active, live, "step %u", step);
		}
	}
	nat_free(n);
}
