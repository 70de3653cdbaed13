/* SPDX-License-Identifier: BSD-3-Clause */
/* dpi engine on crafted frames, no EAL: rule refusals with their line, streaming across segments,
 * actions, malformed packets. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <sdnfv/sdnfv.h>

#include "dpi.h"

static struct dpi *
make(const char *rules, char *err, size_t errlen, int *ret)
{
	struct dpi_opts o = { .sz = sizeof(o), .quiet = true, .flows = 64 };
	struct dpi *d = NULL;

	*ret = dpi_create_from_text(rules, "r.rules", &o, &d, err, errlen);
	return d;
}

static void
refused(const char *rules, const char *msg)
{
	char err[512] = "";
	int ret;
	struct dpi *d = make(rules, err, sizeof(err), &ret);

	cr_assert_eq(ret, -EINVAL, "accepted: %s", rules);
	cr_assert_null(d);
	cr_assert(strstr(err, msg) != NULL, "message '%s' lacks '%s'", err, msg);
}

/* An Ethernet/IPv4/TCP (proto 6) or UDP (17) frame with this payload. */
static uint32_t
frame(uint8_t *buf, uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
      uint32_t seq, uint8_t flags, const char *payload)
{
	size_t plen = strlen(payload), l4 = proto == IPPROTO_TCP ? 20 : 8;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(buf + 14);

	memset(buf, 0, 14 + 20 + l4);
	buf[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(20 + l4 + plen));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = htonl(src);
	ip->dst_addr = htonl(dst);
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(buf + 34);

		t->src_port = htons(sport);
		t->dst_port = htons(dport);
		t->sent_seq = htonl(seq);
		t->data_off = 5 << 4;
		t->tcp_flags = flags;
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(buf + 34);

		u->src_port = htons(sport);
		u->dst_port = htons(dport);
		u->dgram_len = htons((uint16_t)(8 + plen));
	}
	memcpy(buf + 34 + l4, payload, plen);
	return (uint32_t)(34 + l4 + plen);
}

#define CLI 0x0a000001u
#define SRV 0xc0000201u

static enum dpi_verdict
tcp(struct dpi *d, uint16_t sport, uint32_t seq, const char *payload)
{
	uint8_t buf[2048];
	struct dpi_out out;
	uint32_t n = frame(buf, IPPROTO_TCP, CLI, sport, SRV, 80, seq, RTE_TCP_PSH_FLAG, payload);

	return dpi_inspect(d, buf, n, 0, 0, &out);
}

static uint64_t
hits(struct dpi *d, unsigned int rule)
{
	uint32_t sid;
	const char *msg;
	uint64_t h;

	dpi_rule_info(d, rule, &sid, &msg, &h);
	return h;
}

Test(dpi, an_unsupported_option_is_refused_with_its_line)
{
	refused("# comment\n\nalert tcp any any -> any 80 (msg:\"x\"; content:\"a\"; within:5; "
		"sid:1;)\n",
		"r.rules:3: unsupported option 'within'");
}

Test(dpi, malformed_rule_lines_are_refused_with_their_line_number)
{
	refused("alert tcp any any -> any 80 (content:\"abc\"; sid:1;)\n"
		"alert tcp any any any 80 (content:\"abc\"; sid:2;)\n",
		"r.rules:2:");
	refused("reject tcp any any -> any 80 (content:\"a\"; sid:1;)",
		"r.rules:1: unsupported action");
	refused("alert http any any -> any 80 (content:\"a\"; sid:1;)",
		"unsupported protocol 'http'");
	refused("alert tcp 10.0.0.300 any -> any 80 (content:\"a\"; sid:1;)", "bad address");
	refused("alert tcp $HOME_NET any -> any 80 (content:\"a\"; sid:1;)",
		"unsupported address variable");
	refused("alert tcp any 70000 -> any 80 (content:\"a\"; sid:1;)", "bad port '70000'");
	refused("alert tcp [10.0.0.1,10.0.0.2]x any -> any 80 (content:\"a\"; sid:1;)",
		"r.rules:1: bad address list '[10.0.0.1,10.0.0.2]x'");
	refused("alert tcp any [80,443]x -> any 80 (content:\"a\"; sid:1;)",
		"r.rules:1: bad port list '[80,443]x'");
	refused("alert tcp any ![] -> any 80 (content:\"a\"; sid:1;)", "empty port list");
	refused("alert icmp any any -> any 80 (content:\"a\"; sid:1;)",
		"ports need protocol tcp or udp");
	refused("alert tcp any any -> any 80 (content:\"a\";)", "rule has no sid");
	refused("alert tcp any any -> any 80 (msg:\"no pattern\"; sid:1;)", "no content or pcre");
	refused("alert tcp any any -> any 80 (content:\"a\"; sid:1;)\n"
		"alert tcp any any -> any 80 (content:\"b\"; sid:1;)",
		"r.rules:2: sid 1 already used on line 1");
	refused("alert tcp any any -> any 80 (content:\"|4g|\"; sid:1;)", "bad hex byte");
	refused("alert tcp any any -> any 80 (content:!\"a\"; sid:1;)",
		"unsupported negated content");
	refused("alert tcp any any -> any 80 (nocase; content:\"a\"; sid:1;)",
		"nocase without a content");
	refused("alert tcp any any -> any 80 (content:\"abcd\"; depth:2; sid:1;)",
		"depth 2 is shorter");
	refused("alert tcp any any -> any 80 (pcre:\"/a/R\"; sid:1;)", "unsupported pcre flag 'R'");
	refused("redirect tcp any any -> any 80 (content:\"a\"; sid:1;)",
		"needs redirect:<service>");
	refused("alert tcp any any -> any 80 (content:\"a\"; redirect:scrubber; sid:1;)",
		"needs action redirect");
	refused("alert tcp any any -> any 80 (content:\"a\"; sid:1;", "options must be in ( ... )");
	refused("", "no rules");
}

Test(dpi, a_pcre_hyperscan_rejects_is_refused_with_its_line_and_hyperscan_message)
{
	/* Back-references are outside Hyperscan's regex support. */
	refused("alert tcp any any -> any 80 (content:\"x\"; sid:1;)\n"
		"alert tcp any any -> any 80 (pcre:\"/(a)\\1/\"; sid:2;)\n",
		"r.rules:2: Hyperscan refuses pcre '(a)\\1'");
}

Test(dpi, a_signature_split_across_tcp_segments_matches_once)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any any -> any 80 (msg:\"s\"; content:\"EVIL_PAYLOAD\"; "
			     "sid:7;)",
			     err, sizeof(err), &ret);
	struct dpi_stats st;

	cr_assert_eq(ret, 0, "%s", err);
	tcp(d, 1000, 1, "xxEVIL_");
	cr_assert_eq(hits(d, 0), 0);
	tcp(d, 1000, 8, "PAYLOADyy");
	cr_assert_eq(hits(d, 0), 1);
	tcp(d, 1000, 17, "EVIL_PAYLOAD again");
	cr_assert_eq(hits(d, 0), 1, "one alert per flow and sid");
	dpi_stats(d, &st);
	cr_assert_eq(st.alerts, 1);
	cr_assert_eq(st.inspected, 3);
	dpi_free(d);
}

Test(dpi, retransmitted_bytes_are_not_scanned_twice_and_a_gap_stops_the_direction)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any any -> any 80 (content:\"ABAB\"; sid:1;)\n"
			     "alert tcp any any -> any 80 (content:\"ZZZ\"; sid:2;)",
			     err, sizeof(err), &ret);
	struct dpi_stats st;

	cr_assert_eq(ret, 0, "%s", err);
	/* "AB" then a retransmitted "AB": the stream is "AB", not "ABAB". */
	tcp(d, 2000, 100, "AB");
	tcp(d, 2000, 100, "AB");
	cr_assert_eq(hits(d, 0), 0);
	/* An overlap that brings new bytes: "ABxy" from seq 100 adds "xy". */
	tcp(d, 2000, 100, "ABxy");
	/* A gap: bytes from seq 110 while 104 is expected. */
	tcp(d, 2000, 110, "ZZZ");
	tcp(d, 2000, 104, "ZZZ");
	cr_assert_eq(hits(d, 1), 0, "nothing is inspected after the gap");
	dpi_stats(d, &st);
	cr_assert_eq(st.tcp_gaps, 1);
	cr_assert_eq(st.bytes, 4);
	dpi_free(d);
}

Test(dpi, offset_and_depth_count_from_the_start_of_the_stream)
{
	char err[512];
	int ret;
	struct dpi *d =
		make("alert tcp any any -> any 80 (content:\"GET\"; depth:3; sid:1;)\n"
		     "alert tcp any any -> any 80 (content:\"abc\"; nocase; offset:4; sid:2;)",
		     err, sizeof(err), &ret);

	cr_assert_eq(ret, 0, "%s", err);
	tcp(d, 3000, 1, "xGET ABC"); /* GET at 1: beyond depth; ABC at 5 >= offset 4 */
	cr_assert_eq(hits(d, 0), 0);
	cr_assert_eq(hits(d, 1), 1);
	tcp(d, 3001, 1, "GET");
	tcp(d, 3001, 4, "abc"); /* second segment: stream offset 3 < 4 */
	cr_assert_eq(hits(d, 0), 1);
	cr_assert_eq(hits(d, 1), 1);
	dpi_free(d);
}

Test(dpi, every_content_of_a_rule_must_match_in_the_same_direction)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any any -> any 80 (content:\"one\"; pcre:\"/tw+o/i\"; "
			     "sid:1;)",
			     err, sizeof(err), &ret);

	cr_assert_eq(ret, 0, "%s", err);
	tcp(d, 4000, 1, "one");
	cr_assert_eq(hits(d, 0), 0);
	tcp(d, 4000, 4, " TWWO");
	cr_assert_eq(hits(d, 0), 1);
	dpi_free(d);
}

Test(dpi, header_fields_select_the_rule)
{
	char err[512];
	int ret;
	uint8_t buf[256];
	struct dpi_out out;
	uint32_t n;
	struct dpi *d = make("alert udp 10.0.0.0/8 any -> any [53,5353] (content:\"q\"; sid:1;)\n"
			     "alert tcp any any -> any !80 (content:\"q\"; sid:2;)\n"
			     "alert tcp any 80 <> any any (content:\"q\"; sid:3;)",
			     err, sizeof(err), &ret);

	cr_assert_eq(ret, 0, "%s", err);
	n = frame(buf, IPPROTO_UDP, CLI, 999, SRV, 5353, 0, 0, "q");
	dpi_inspect(d, buf, n, 0, 0, &out);
	n = frame(buf, IPPROTO_UDP, SRV, 999, CLI, 53, 0, 0, "q"); /* from 192.0.2.1: no */
	dpi_inspect(d, buf, n, 0, 0, &out);
	cr_assert_eq(hits(d, 0), 1);
	tcp(d, 5000, 1, "q"); /* to port 80: not sid 2; sid 3 matches either way (<>) */
	cr_assert_eq(hits(d, 1), 0);
	cr_assert_eq(hits(d, 2), 1);
	dpi_free(d);
}

Test(dpi, drop_drops_the_packet_and_the_rest_of_the_flow)
{
	char err[512];
	int ret;
	struct dpi *d = make("drop tcp any any -> any 80 (content:\"bad\"; sid:1;)", err,
			     sizeof(err), &ret);

	cr_assert_eq(ret, 0, "%s", err);
	cr_assert_eq(tcp(d, 6000, 1, "fine"), DPI_NEXT);
	cr_assert_eq(tcp(d, 6000, 5, "so bad"), DPI_DROP);
	cr_assert_eq(tcp(d, 6000, 11, "fine again"), DPI_DROP);
	cr_assert_eq(tcp(d, 6001, 1, "other flow"), DPI_NEXT);
	dpi_free(d);
}

Test(dpi, redirect_marks_the_first_packet_and_every_later_one)
{
	char err[512];
	int ret;
	struct dpi_out out;
	uint8_t buf[256];
	uint32_t n;
	struct dpi *d = make("redirect tcp any any -> any 80 (content:\"bad\"; redirect:scrubber; "
			     "sid:1;)",
			     err, sizeof(err), &ret);

	cr_assert_eq(ret, 0, "%s", err);
	cr_assert_eq(dpi_targets(d), 1);
	cr_assert_str_eq(dpi_target_name(d, 0), "scrubber");
	n = frame(buf, IPPROTO_TCP, CLI, 7000, SRV, 80, 1, 0, "bad");
	cr_assert_eq(dpi_inspect(d, buf, n, 0, 0, &out), DPI_REDIRECT);
	cr_assert(out.first);
	cr_assert_eq(out.target, 0);
	/* The reply direction of the same flow goes too. */
	n = frame(buf, IPPROTO_TCP, SRV, 80, CLI, 7000, 1, 0, "reply");
	cr_assert_eq(dpi_inspect(d, buf, n, 0, 0, &out), DPI_REDIRECT);
	cr_assert(!out.first);
	dpi_free(d);
}

Test(dpi, malformed_packets_are_counted_and_passed)
{
	char err[512];
	int ret;
	uint8_t buf[256], junk[64];
	struct dpi_out out;
	struct dpi_stats st;
	uint32_t n, i, len;
	struct dpi *d =
		make("alert tcp any any -> any 80 (content:\"q\"; sid:1;)", err, sizeof(err), &ret);

	cr_assert_eq(ret, 0, "%s", err);
	n = frame(buf, IPPROTO_TCP, CLI, 8000, SRV, 80, 1, 0, "qqqq");
	/* Every truncation of a good frame, and a lying IP length. */
	for (len = 0; len < 34 + 20; len++)
		cr_assert_eq(dpi_inspect(d, buf, len, 0, 0, &out), DPI_NEXT);
	buf[16] = 0xff;
	cr_assert_eq(dpi_inspect(d, buf, n, 0, 0, &out), DPI_NEXT);
	srand(1);
	for (i = 0; i < 10000; i++) {
		for (len = 0; len < sizeof(junk); len++)
			junk[len] = (uint8_t)rand();
		junk[12] = 0x08;
		junk[13] = 0;
		dpi_inspect(d, junk, (uint32_t)(rand() % (int)sizeof(junk)), 0, 0, &out);
	}
	dpi_stats(d, &st);
	cr_assert_geq(st.malformed, 34 + 20 - 14 + 1);
	cr_assert_eq(st.rx, 34 + 20 + 1 + 10000);
	dpi_free(d);
}

Test(dpi, a_full_flow_table_counts_flows_not_inspected)
{
	struct dpi_opts o = { .sz = sizeof(o), .quiet = true, .flows = 8, .idle_ns = UINT64_MAX };
	struct dpi *d;
	struct dpi_stats st;
	char err[256];
	uint16_t p;

	cr_assert_eq(dpi_create_from_text("alert tcp any any -> any 80 (content:\"q\"; sid:1;)",
					  "r", &o, &d, err, sizeof(err)),
		     0);
	for (p = 1; p <= 20; p++)
		tcp(d, p, 1, "x");
	dpi_stats(d, &st);
	cr_assert_eq(st.flows, 8);
	cr_assert_eq(st.not_inspected, 12);
	dpi_free(d);
}

/* The burst path (the NF's) gives what packet-by-packet inspection gives: verdicts, counters,
 * alerts, on many flows with patterns across segments and flow-table pressure. */
Test(dpi, a_burst_gives_the_same_results_as_one_packet_at_a_time)
{
	static const char *const words[] = { "EVIL", "_PAY", "LOAD", "abc", "drop", "zz" };
	const char *rules =
		"alert tcp any any -> any 80 (content:\"EVIL_PAYLOAD\"; sid:1;)\n"
		"drop tcp any any -> any 80 (content:\"dropdrop\"; sid:2;)\n"
		"alert tcp any any <> any any (content:\"abc\"; nocase; content:\"zz\"; "
		"sid:3;)\n"
		"redirect tcp any any -> any 80 (content:\"LOADabc\"; redirect:s; sid:4;)\n";
	struct dpi_opts o = { .sz = sizeof(o), .quiet = true, .flows = 32, .idle_ns = 1000 };
	struct dpi *a, *b;
	char err[256], *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	static uint8_t buf[3000][128];
	const void *frames[SDNFV_NF_BURST_MAX];
	uint32_t lens[3000], seq[64] = { 0 };
	enum dpi_verdict va[3000], vb[SDNFV_NF_BURST_MAX];
	struct dpi_out out, outs[SDNFV_NF_BURST_MAX];
	struct dpi_stats sa, sb;
	unsigned int i, j, n;

	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);

	o.alerts = fa;
	cr_assert_eq(dpi_create_from_text(rules, "r", &o, &a, err, sizeof(err)), 0, "%s", err);
	o.alerts = fb;
	cr_assert_eq(dpi_create_from_text(rules, "r", &o, &b, err, sizeof(err)), 0, "%s", err);
	srand(3);
	for (i = 0; i < 3000; i++) {
		unsigned int f = (unsigned int)rand() % 64;
		char payload[40] = "";

		for (j = 0; j < 3; j++)
			strcat(payload, words[rand() % 6]);
		lens[i] = frame(buf[i], IPPROTO_TCP, CLI + f % 7, (uint16_t)(1000 + f), SRV, 80,
				seq[f], 0, payload);
		seq[f] += (uint32_t)strlen(payload);
	}
	for (i = 0; i < 3000; i++)
		va[i] = dpi_inspect(a, buf[i], lens[i], i / 50 * 100, i + 1, &out);
	for (i = 0; i < 3000; i += n) {
		/* A burst has one clock reading: keep bursts within one tick of the clock. */
		n = RTE_MIN(1u + (unsigned int)rand() % SDNFV_NF_BURST_MAX, 50 - i % 50);
		for (j = 0; j < n; j++)
			frames[j] = buf[i + j];
		dpi_inspect_burst(b, frames, lens + i, n, i / 50 * 100, i + 1, vb, outs);
		for (j = 0; j < n; j++)
			cr_assert_eq(vb[j], va[i + j], "packet %u", i + j);
	}
	dpi_stats(a, &sa);
	dpi_stats(b, &sb);
	cr_assert_gt(sa.alerts, 50);
	cr_assert_gt(sa.not_inspected, 0);
	cr_assert_eq(memcmp(&sa, &sb, sizeof(sa)), 0);
	for (i = 0; i < dpi_rules(a); i++)
		cr_assert_eq(hits(a, i), hits(b, i));
	dpi_free(a);
	dpi_free(b);
	fclose(fa);
	fclose(fb);
	cr_assert_gt(la, 0);
	cr_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
}

/* Mutated rule lines are accepted or refused with a line number, never crash (the sanitizer build
 * runs this too). */
Test(dpi, mutated_rule_lines_never_crash_the_parser)
{
	static const char base[] = "alert tcp ![10.0.0.0/8,192.0.2.1] 1024: <> any ![80,8080] "
				   "(msg:\"m\\;x\"; content:\"|41 42|c\\\"d\"; nocase; offset:3; "
				   "depth:9; pcre:\"/a[bc]+d/si\"; sid:5; rev:1;)";
	static const char alphabet[] = " ;:\"|\\()[]!,/-<>0123456789abcxyz";
	char line[sizeof(base)], err[512];
	struct dpi_opts o = { .sz = sizeof(o), .quiet = true, .flows = 8 };
	unsigned int i, k, refused = 0;
	struct dpi *d;

	cr_assert_eq(dpi_create_from_text(base, "r", &o, &d, err, sizeof(err)), 0, "%s", err);
	dpi_free(d);
	srand(4);
	for (i = 0; i < 3000; i++) {
		memcpy(line, base, sizeof(base));
		for (k = 0; k < 1 + (unsigned int)rand() % 4; k++)
			line[rand() % (int)(sizeof(base) - 1)] =
				alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		err[0] = '\0';
		d = NULL;
		if (dpi_create_from_text(line, "r", &o, &d, err, sizeof(err)) < 0) {
			refused++;
			cr_assert(strncmp(err, "r:1: ", 5) == 0 || strncmp(err, "r: ", 3) == 0,
				  "'%s' for '%s'", err, line);
			cr_assert_null(d);
		} else {
			dpi_free(d);
		}
	}
	cr_assert_gt(refused, 1000);
}

/* A TCP segment of the connection CLI:sport <-> SRV:80, from the client or from the server. */
static enum dpi_verdict
seg(struct dpi *d, bool from_client, uint16_t sport, uint32_t seq, uint8_t flags,
    const char *payload)
{
	uint8_t buf[2048];
	struct dpi_out out;
	uint32_t n = from_client
			     ? frame(buf, IPPROTO_TCP, CLI, sport, SRV, 80, seq, flags, payload)
			     : frame(buf, IPPROTO_TCP, SRV, 80, CLI, sport, seq, flags, payload);

	return dpi_inspect(d, buf, n, 1000, 0, &out);
}

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define PSH (RTE_TCP_PSH_FLAG | RTE_TCP_ACK_FLAG)
#define FIN (RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG)

/* A connection that ends, then a new one from the same port within the idle timeout (one flow
 * entry): the new connection's bytes are a stream of their own, from offset 0. */
Test(dpi, a_new_connection_on_a_reused_five_tuple_is_inspected_from_its_start)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any any -> any 80 (content:\"EVIL\"; depth:4; sid:1;)\n"
			     "alert tcp any 80 -> any any (content:\"BAD\"; depth:3; sid:2;)\n"
			     "alert tcp any any -> any 80 (content:\"once\"; sid:3;)",
			     err, sizeof(err), &ret);
	struct dpi_stats st;

	cr_assert_eq(ret, 0, "%s", err);
	/* The first connection: ISNs 100000 and 700000. */
	seg(d, true, 40000, 100000, SYN, "");
	seg(d, false, 40000, 700000, SYN | ACK, "");
	seg(d, true, 40000, 100001, PSH, "GET / HTTP/1.0 once\r\n\r\n");
	seg(d, false, 40000, 700001, PSH, "HTTP/1.0 200 OK\r\n\r\n");
	seg(d, true, 40000, 100024, FIN, "");
	seg(d, false, 40000, 700020, FIN, "");
	cr_assert_eq(hits(d, 2), 1);
	/* The second: lower ISNs; a retransmitted SYN is not a third connection. */
	seg(d, true, 40000, 5000, SYN, "");
	seg(d, true, 40000, 5000, SYN, "");
	seg(d, false, 40000, 300, SYN | ACK, "");
	seg(d, true, 40000, 5001, PSH, "EVIL once");
	seg(d, false, 40000, 301, PSH, "BAD");
	cr_assert_eq(hits(d, 0), 1, "the new connection's stream starts with EVIL");
	cr_assert_eq(hits(d, 1), 1, "the server's new stream starts with BAD");
	cr_assert_eq(hits(d, 2), 2, "one alert per connection and sid");
	dpi_stats(d, &st);
	cr_assert_eq(st.tcp_gaps, 0);
	cr_assert_eq(st.flows, 1);
	cr_assert_eq(st.tcp_restarts, 1, "the client's SYN restarts both directions");
	cr_assert_eq(st.alerts, 4);
	dpi_free(d);
}

/* A retransmitted SYN of a connection (the same ISN) keeps its stream, even after data. */
Test(dpi, a_retransmitted_syn_does_not_restart_the_stream)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any any -> any 80 (content:\"EVIL_PAYLOAD\"; sid:1;)", err,
			     sizeof(err), &ret);
	struct dpi_stats st;

	cr_assert_eq(ret, 0, "%s", err);
	seg(d, true, 40001, 1000, SYN, "");
	seg(d, true, 40001, 1001, PSH, "xxEVIL_");
	seg(d, true, 40001, 1000, SYN, "");
	seg(d, true, 40001, 1008, PSH, "PAYLOAD");
	cr_assert_eq(hits(d, 0), 1);
	dpi_stats(d, &st);
	cr_assert_eq(st.tcp_restarts, 0);
	dpi_free(d);
}

/* Only the server's side seen (asymmetric routing): its SYN-ACK restarts its direction. */
Test(dpi, a_syn_ack_with_a_new_isn_restarts_its_direction)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any 80 -> any any (content:\"BAD\"; depth:3; sid:2;)", err,
			     sizeof(err), &ret);
	struct dpi_stats st;

	cr_assert_eq(ret, 0, "%s", err);
	seg(d, false, 40002, 700000, SYN | ACK, "");
	seg(d, false, 40002, 700001, PSH, "HTTP/1.0 200 OK\r\n\r\n");
	seg(d, false, 40002, 700020, FIN, "");
	seg(d, false, 40002, 300, SYN | ACK, "");
	seg(d, false, 40002, 301, PSH, "BAD");
	cr_assert_eq(hits(d, 0), 1);
	dpi_stats(d, &st);
	cr_assert_eq(st.tcp_restarts, 1);
	cr_assert_eq(st.tcp_gaps, 0);
	dpi_free(d);
}

/* Sequence numbers 2^31 apart: the distance is computed without signed overflow (the sanitizer
 * build traps on it). */
Test(dpi, a_segment_two_to_the_31_behind_is_an_old_one)
{
	char err[512];
	int ret;
	struct dpi *d = make("alert tcp any any -> any 80 (content:\"ZZ\"; sid:1;)", err,
			     sizeof(err), &ret);
	struct dpi_stats st;

	cr_assert_eq(ret, 0, "%s", err);
	tcp(d, 3000, 0x80000000u, "AB");
	/* 0x80000002 expected; 2 is 2^31 before it: all old, nothing new. */
	tcp(d, 3000, 2, "ZZ");
	cr_assert_eq(hits(d, 0), 0);
	dpi_stats(d, &st);
	cr_assert_eq(st.bytes, 2);
	cr_assert_eq(st.tcp_gaps, 0);
	dpi_free(d);
}

Test(dpi, a_flow_table_beyond_two_to_the_31_is_refused)
{
	struct dpi_opts o = { .sz = sizeof(o), .quiet = true, .flows = 0x80000001u };
	struct dpi *d = NULL;
	char err[512] = "";

	cr_assert_eq(dpi_create_from_text("alert tcp any any -> any 80 (content:\"a\"; sid:1;)",
					  "r", &o, &d, err, sizeof(err)),
		     -EINVAL);
	cr_assert_null(d);
	cr_assert(strstr(err, "flows") != NULL, "%s", err);
	o.flows = UINT_MAX;
	cr_assert_eq(dpi_create_from_text("alert tcp any any -> any 80 (content:\"a\"; sid:1;)",
					  "r", &o, &d, err, sizeof(err)),
		     -EINVAL);
}

/* A rule file with a NUL byte is refused with the line it is on. */
Test(dpi, a_nul_byte_in_the_rule_file_is_refused_with_its_line)
{
	static const char text[] = "alert tcp any any -> any 80 (content:\"a\"; sid:1;)\n"
				   "# comment\n"
				   "alert tcp any any -> any 80 (content:\"b\0c\"; sid:2;)\n";
	struct dpi_opts o = { .sz = sizeof(o), .quiet = true, .flows = 64 };
	char path[] = "/tmp/dpi-nul-XXXXXX", err[512] = "", want[600];
	struct dpi *d = NULL;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	cr_assert_eq(dpi_create(path, &o, &d, err, sizeof(err)), -EINVAL);
	cr_assert_null(d);
	snprintf(want, sizeof(want), "%s:3: contains a NUL byte", path);
	cr_assert_str_eq(err, want);
	unlink(path);
}

Test(dpi, negated_and_bracketed_address_and_port_lists_are_accepted)
{
	char err[512] = "";
	int ret;
	struct dpi *d = make("alert tcp ![10.0.0.0/8,192.168.0.0/16] any -> any [80,443,8000:8080] "
			     "(content:\"a\"; sid:1;)\n"
			     "alert udp any !53 -> [2001:db8::/32] any (content:\"b\"; sid:2;)",
			     err, sizeof(err), &ret);

	cr_assert_eq(ret, 0, "refused: %s", err);
	cr_assert_eq(dpi_rules(d), 2);
	dpi_free(d);
}
