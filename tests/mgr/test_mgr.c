/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host manager in one process: ports made of rings (the test feeds one and drains the
 * other), NFs run in the manager's own thread (sdnfv_mgr_nf_add_local()), the dispatcher on a
 * worker lcore. Every verdict, the chain walk, fallbacks, the smart data plane, messages and the
 * pool accounting are checked packet by packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <sdnfv/mgr.h>
#include <sdnfv/pool.h>

#include "eal.h"

static void
mgr_eal_setup(void)
{
	struct sdnfv_test_eal opt = { .lcores = "0,1", .multi_process = true };

	cr_assert_geq(sdnfv_test_eal_init(&opt), 0, "EAL init failed");
}

TestSuite(mgr, .init = mgr_eal_setup, .fini = sdnfv_test_eal_cleanup, .timeout = 60);

/* ---------------------------------------------------------------------------------------- */
/* The rig: a manager, two ring ports, a policy                                               */

struct rig {
	struct sdnfv_mgr *mgr;
	struct sdnfv_pool *pool;
	struct rte_mempool *mp;
	struct rte_ring *rx[2], *tx[2];
	uint16_t port[2];
	char policy[64];
	bool running;
};

static void
rig_start(struct rig *r, const char *policy_text)
{
	struct sdnfv_mgr_params p = { .sz = sizeof(p), .pool_size = 4095, .max_nfs = 16 };
	char err[256] = "";
	int fd, i, ret;

	memset(r, 0, sizeof(*r));
	cr_assert_eq(sdnfv_mgr_create(&p, &r->mgr), 0);
	cr_assert_eq(sdnfv_pool_attach("sdnfv", &r->pool), 0);
	r->mp = sdnfv_pool_mempool(r->pool, (int)rte_socket_id());
	cr_assert_not_null(r->mp);
	snprintf(r->policy, sizeof(r->policy), "/tmp/sdnfv-test-mgr-XXXXXX");
	fd = mkstemp(r->policy);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, policy_text, strlen(policy_text)), (ssize_t)strlen(policy_text));
	close(fd);
	ret = sdnfv_mgr_policy_load(r->mgr, r->policy, err, sizeof(err));
	cr_assert_geq(ret, 0, "policy refused: %s", err);
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "trx%d", i);
		r->rx[i] =
			rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ttx%d", i);
		r->tx[i] =
			rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		cr_assert(r->rx[i] != NULL && r->tx[i] != NULL);
		snprintf(name, sizeof(name), "tport%d", i);
		ret = rte_eth_from_rings(name, &r->rx[i], 1, &r->tx[i], 1, SOCKET_ID_ANY);
		cr_assert_geq(ret, 0);
		r->port[i] = (uint16_t)ret;
		cr_assert_eq(sdnfv_mgr_port_add(r->mgr, r->port[i]), 0);
	}
}

static int
run_lcore(void *arg)
{
	return sdnfv_mgr_run(arg);
}

static void
rig_run(struct rig *r)
{
	cr_assert_eq(rte_eal_remote_launch(run_lcore, r->mgr, 1), 0);
	r->running = true;
}

static void
rig_stop(struct rig *r)
{
	if (r->running) {
		sdnfv_mgr_stop(r->mgr);
		cr_assert_eq(rte_eal_wait_lcore(1), 0);
		r->running = false;
	}
}

static void
rig_free(struct rig *r)
{
	rig_stop(r);
	sdnfv_mgr_free(r->mgr);
	sdnfv_pool_free(r->pool);
	unlink(r->policy);
}

/* A UDP/IPv4 packet of flow (src, sport) -> (dst, dport) carrying a sequence number. */
static struct rte_mbuf *
udp_pkt(struct rig *r, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->mp);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *payload;
	const uint16_t len = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + 8;

	cr_assert_not_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	memset(eth, 0, len);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(dport);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + 8);
	payload = (uint8_t *)(udp + 1);
	memcpy(payload, &seq, sizeof(seq));
	return m;
}

static uint32_t
pkt_seq(struct rte_mbuf *m)
{
	uint32_t seq;

	memcpy(&seq,
	       rte_pktmbuf_mtod_offset(m, uint8_t *,
				       sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
					       sizeof(struct rte_udp_hdr)),
	       sizeof(seq));
	return seq;
}

static void
inject(struct rig *r, unsigned int port, struct rte_mbuf *m)
{
	while (rte_ring_sp_enqueue(r->rx[port], m) != 0)
		rte_pause();
}

/* Collect what left port `port` until `want` packets came or 2 s passed. */
static unsigned int
collect(struct rig *r, unsigned int port, struct rte_mbuf **out, unsigned int want)
{
	uint64_t deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	unsigned int n = 0;

	while (n < want && rte_get_timer_cycles() < deadline)
		n += rte_ring_sc_dequeue_burst(r->tx[port], (void **)&out[n], want - n, NULL);
	return n;
}

/* Wait until the manager's counters say every injected packet has been handled. */
static void
settle(struct rig *r, uint64_t rx)
{
	uint64_t deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	struct sdnfv_mgr_stats st;

	do {
		uint64_t drops = 0;
		int i;

		rte_delay_us_sleep(2000);
		sdnfv_mgr_stats(r->mgr, &st);
		for (i = 0; i < SDNFV_MGR_DROP__MAX; i++)
			drops += st.drops[i];
		if (st.rx == rx && st.tx + drops == rx)
			return;
	} while (rte_get_timer_cycles() < deadline);
	cr_assert_fail("the host did not settle: rx %" PRIu64 " of %" PRIu64 ", tx %" PRIu64, st.rx,
		       rx, st.tx);
}

static void
free_all(struct rte_mbuf **pkts, unsigned int n)
{
	rte_pktmbuf_free_bulk(pkts, n);
}

/* The packets that came out carry sequence numbers 0, step, 2 * step ... in order; then they are
 * freed. */
static void
expect_seqs(struct rte_mbuf **pkts, unsigned int n, unsigned int step)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pkt_seq(pkts[i]) != i * step)
			cr_assert_fail("packet %u left as %u, expected %u: order lost", i,
				       pkt_seq(pkts[i]), i * step);
	free_all(pkts, n);
}

/* ---------------------------------------------------------------------------------------- */
/* Local NFs                                                                                  */

enum nf_mode {
	NF_PASS,
	NF_DROP_ODD,
	NF_TO_PORT0,
	NF_DETOUR,
	NF_HOLD,
	NF_REDIRECT,
	NF_SKIP,
	NF_RESTORE
};

struct nf_ctx {
	enum nf_mode mode;
	uint16_t arg;
	unsigned int seen;
	uint32_t flow_ids[256];
	unsigned int msgs;
	uint32_t last_msg_type;
	struct rte_mbuf *held[256];
	unsigned int n_held;
	int requests;
	int report; /* send a state report at the next idle call */
	int report_ret, report_bad_ret;
};

static void
nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct nf_ctx *c = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t seq = pkt_seq(pkts[i]);

		if (c->seen < RTE_DIM(c->flow_ids))
			c->flow_ids[c->seen] = sdnfv_meta_get(pkts[i])->flow_id;
		c->seen++;
		switch (c->mode) {
		case NF_PASS:
			sdnfv_nf_next(pkts[i]);
			break;
		case NF_DROP_ODD:
			if (seq & 1)
				sdnfv_nf_drop(pkts[i]);
			else
				sdnfv_nf_next(pkts[i]);
			break;
		case NF_TO_PORT0:
			sdnfv_nf_to_port(pkts[i], 0);
			break;
		case NF_DETOUR:
			sdnfv_nf_to_service(pkts[i], c->arg);
			break;
		case NF_HOLD:
			sdnfv_nf_hold(pkts[i]);
			c->held[c->n_held++] = pkts[i];
			break;
		case NF_RESTORE:
			/* Redirect on the flow's first packet, undo it on the second. */
			sdnfv_nf_next(pkts[i]);
			if (c->seen <= 2)
				c->requests |= sdnfv_nf_path_change(
					nf, pkts[i],
					c->seen == 1 ? SDNFV_PATH_REDIRECT : SDNFV_PATH_RESTORE,
					c->arg);
			break;
		case NF_REDIRECT:
		case NF_SKIP:
			sdnfv_nf_next(pkts[i]);
			if (c->seen == 1)
				c->requests = sdnfv_nf_path_change(
					nf, pkts[i],
					c->mode == NF_SKIP ? SDNFV_PATH_SKIP : SDNFV_PATH_REDIRECT,
					c->arg);
			break;
		}
	}
}

static void
nf_idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg)
{
	struct nf_ctx *c = arg;
	unsigned int i;

	(void)now_ns;
	if (__atomic_load_n(&c->report, __ATOMIC_ACQUIRE)) {
		c->report_ret = sdnfv_nf_report(nf, "state", 5);
		c->report_bad_ret = sdnfv_nf_report(nf, "x", 2000);
		__atomic_store_n(&c->report, 0, __ATOMIC_RELEASE);
	}
	for (i = 0; i < c->n_held; i++) {
		sdnfv_nf_next(c->held[i]);
		if (sdnfv_nf_release(nf, c->held[i]) != 0)
			abort();
	}
	c->n_held = 0;
}

static void
nf_message(struct sdnfv_nf *nf, const struct sdnfv_nf_msg *msg, void *arg)
{
	struct nf_ctx *c = arg;

	(void)nf;
	c->msgs++;
	c->last_msg_type = msg->type;
}

static const struct sdnfv_nf_ops nf_ops = {
	.sz = sizeof(nf_ops),
	.handle = nf_handle,
	.idle = nf_idle,
	.message = nf_message,
};

static int
add_nf(struct rig *r, const char *service, struct nf_ctx *c)
{
	struct sdnfv_nf_params p = {
		.sz = sizeof(p), .service = service, .ops = &nf_ops, .arg = c, .idle_us = 1000
	};

	return sdnfv_mgr_nf_add_local(r->mgr, &p, NULL);
}

static const char *const TWO_HOPS =
	"services:\n"
	"  a: {}\n"
	"  b: {}\n"
	"  c: {}\n"
	"  gone: { fallback: bypass }\n"
	"  dead: { fallback: drop }\n"
	"chains:\n"
	"  ab: { hops: [a, b], out: 1 }\n"
	"  bypass: { hops: [gone, a], out: 1 }\n"
	"  blackhole: { hops: [dead, a], out: 1 }\n"
	"  back: { hops: [a], out: in_port }\n"
	"rules:\n"
	"  - { match: \"udp,tp_dst=1\", priority: 10, chain: ab }\n"
	"  - { match: \"udp,tp_dst=2\", priority: 10, chain: bypass }\n"
	"  - { match: \"udp,tp_dst=3\", priority: 10, chain: blackhole }\n"
	"  - { match: \"udp,tp_dst=4\", priority: 10, chain: back }\n"
	"miss: drop\n";

/* The two-hop rig most tests use: NFs a and b in the manager's thread, the dispatcher running. */
static void
rig_ab(struct rig *r, struct nf_ctx *a, struct nf_ctx *b)
{
	rig_start(r, TWO_HOPS);
	cr_assert_geq(add_nf(r, "a", a), 0);
	cr_assert_geq(add_nf(r, "b", b), 0);
	rig_run(r);
}

/* ---------------------------------------------------------------------------------------- */

Test(mgr, a_chain_of_local_nfs_carries_every_packet_in_order_and_returns_every_mbuf)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_PASS }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[512];
	struct sdnfv_mgr_stats st;
	unsigned int i, n;

	rig_ab(&r, &a, &b);
	for (i = 0; i < 300; i++)
		inject(&r, 0, udp_pkt(&r, 0x0a000001 + i % 7, 0x0a000101, 1000 + i % 7, 1, i));
	n = collect(&r, 1, out, 300);
	cr_assert_eq(n, 300, "%u of 300 packets left port 1", n);
	expect_seqs(out, n, 1);
	settle(&r, 300);
	cr_expect_eq(a.seen, 300);
	cr_expect_eq(b.seen, 300);
	sdnfv_mgr_stats(r.mgr, &st);
	cr_expect_eq(st.to_nf, 600);
	cr_expect_eq(st.from_nf, 600);
	cr_expect_eq(st.pool_in_use, 0, "%" PRIu64 " mbufs still in use", st.pool_in_use);
	rig_free(&r);
}

Test(mgr, both_directions_of_a_flow_get_the_same_flow_id)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_PASS }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[4];

	rig_ab(&r, &a, &b);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000002, 1, 1, 0));
	inject(&r, 0, udp_pkt(&r, 0x0a000002, 0x0a000001, 1, 1, 1));
	inject(&r, 0, udp_pkt(&r, 0x0a000003, 0x0a000002, 1, 1, 2));
	cr_assert_eq(collect(&r, 1, out, 3), 3);
	free_all(out, 3);
	cr_expect_eq(a.flow_ids[0], a.flow_ids[1], "reply's flow id differs");
	cr_expect_neq(a.flow_ids[0], a.flow_ids[2], "another flow has the same id");
	rig_free(&r);
}

Test(mgr, drop_verdicts_are_freed_and_counted_against_the_nf)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_DROP_ODD }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[128];
	struct sdnfv_mgr_stats st;
	unsigned int i, n;

	rig_ab(&r, &a, &b);
	for (i = 0; i < 100; i++)
		inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 1, i));
	n = collect(&r, 1, out, 50);
	cr_assert_eq(n, 50);
	expect_seqs(out, n, 2);
	settle(&r, 100);
	sdnfv_mgr_stats(r.mgr, &st);
	cr_expect_eq(st.drops[SDNFV_MGR_DROP_VERDICT], 50);
	cr_expect_eq(b.seen, 50, "dropped packets must not reach the next hop");
	cr_expect_eq(st.pool_in_use, 0);
	rig_free(&r);
}

Test(mgr, a_port_verdict_sends_the_packet_out_of_that_port_skipping_the_rest_of_the_chain)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_TO_PORT0 }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[64];

	rig_ab(&r, &a, &b);
	inject(&r, 1, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 1, 7));
	cr_assert_eq(collect(&r, 0, out, 1), 1);
	cr_expect_eq(pkt_seq(out[0]), 7);
	free_all(out, 1);
	cr_expect_eq(b.seen, 0);
	rig_free(&r);
}

Test(mgr, a_service_verdict_is_a_detour_and_the_chain_resumes_after_the_sender)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_DETOUR }, b = { .mode = NF_PASS }, c = { .mode = NF_PASS };
	struct rte_mbuf *out[64];
	int svc_c;

	rig_start(&r, TWO_HOPS);
	cr_assert_geq(add_nf(&r, "a", &a), 0);
	cr_assert_geq(add_nf(&r, "b", &b), 0);
	cr_assert_geq(add_nf(&r, "c", &c), 0);
	svc_c = 2; /* services get ids in the policy's order: a 0, b 1, c 2 */
	a.arg = (uint16_t)svc_c;
	rig_run(&r);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 1, 1));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	cr_expect_eq(c.seen, 1, "the detour service did not get the packet");
	cr_expect_eq(b.seen, 1, "the chain did not resume after the detour");
	rig_free(&r);
}

Test(mgr, held_packets_leave_when_released_and_none_is_lost)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_HOLD }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[64];
	struct sdnfv_mgr_stats st;
	unsigned int i, n;

	rig_ab(&r, &a, &b);
	for (i = 0; i < 40; i++)
		inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 1, i));
	n = collect(&r, 1, out, 40);
	cr_assert_eq(n, 40, "%u of 40 held packets came out after release", n);
	expect_seqs(out, n, 1);
	settle(&r, 40);
	sdnfv_mgr_stats(r.mgr, &st);
	cr_expect_eq(st.pool_in_use, 0);
	rig_free(&r);
}

Test(mgr, a_service_without_instance_is_bypassed_or_drops_as_its_fallback_says)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_PASS }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[8];
	struct sdnfv_mgr_stats st;

	rig_ab(&r, &a, &b);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 2, 1)); /* bypass chain */
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	cr_expect_eq(a.seen, 1, "bypassing 'gone' must still reach 'a'");
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 3, 2)); /* drop chain */
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 9, 3)); /* no rule: miss drop */
	settle(&r, 3);
	sdnfv_mgr_stats(r.mgr, &st);
	cr_expect_eq(st.drops[SDNFV_MGR_DROP_NO_INSTANCE], 1);
	cr_expect_eq(st.drops[SDNFV_MGR_DROP_NO_RULE], 1);
	cr_expect_eq(a.seen, 1);
	cr_expect_eq(st.pool_in_use, 0);
	rig_free(&r);
}

Test(mgr, a_chain_ending_in_in_port_sends_packets_back_where_they_came_from)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_PASS }, b = { .mode = NF_PASS };
	struct rte_mbuf *out[8];

	rig_ab(&r, &a, &b);
	inject(&r, 1, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 4, 5));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	cr_expect_eq(pkt_seq(out[0]), 5);
	free_all(out, 1);
	rig_free(&r);
}

static const char *const SMART = "services:\n"
				 "  ids: {}\n"
				 "  next: {}\n"
				 "  scrubber: {}\n"
				 "chains:\n"
				 "  main:\n"
				 "    hops: [ids, next]\n"
				 "    out: 1\n"
				 "    alternatives:\n"
				 "      ids: { redirect: [scrubber], restore: true }\n"
				 "rules:\n"
				 "  - { match: \"\", priority: 0, chain: main }\n";

static void
wait_paths(struct rig *r, uint64_t applied, uint64_t refused)
{
	uint64_t deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	struct sdnfv_mgr_stats st;

	do {
		rte_delay_us_sleep(2000);
		sdnfv_mgr_stats(r->mgr, &st);
	} while ((st.path_applied != applied || st.path_refused != refused) &&
		 rte_get_timer_cycles() < deadline);
	cr_assert_eq(st.path_applied, applied, "%" PRIu64 " path changes applied", st.path_applied);
	cr_assert_eq(st.path_refused, refused, "%" PRIu64 " refused", st.path_refused);
}

Test(mgr, an_allowed_redirect_moves_the_rest_of_the_flow_and_other_flows_stay)
{
	struct rig r;
	struct nf_ctx ids = { .mode = NF_REDIRECT, .arg = 2 }, next = { .mode = NF_PASS },
		      scrub = { .mode = NF_PASS };
	struct rte_mbuf *out[64];
	unsigned int n;

	rig_start(&r, SMART);
	cr_assert_geq(add_nf(&r, "ids", &ids), 0);
	cr_assert_geq(add_nf(&r, "next", &next), 0);
	cr_assert_geq(add_nf(&r, "scrubber", &scrub), 0);
	rig_run(&r);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 0));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	cr_expect_eq(ids.requests, 0, "the request could not be sent");
	wait_paths(&r, 1, 0);
	cr_expect_eq(next.seen, 1);
	/* The same flow now goes ids -> scrubber; another flow still ids -> next. */
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 1));
	inject(&r, 0, udp_pkt(&r, 0x0a000009, 0x0a000101, 1000, 80, 2));
	n = collect(&r, 1, out, 2);
	cr_assert_eq(n, 2);
	free_all(out, n);
	cr_expect_eq(scrub.seen, 1, "the redirected flow did not reach the scrubber");
	cr_expect_eq(next.seen, 2, "the other flow left its path");
	rig_free(&r);
}

Test(mgr, a_change_the_policy_does_not_allow_is_refused_and_counted)
{
	struct rig r;
	struct nf_ctx ids = { .mode = NF_SKIP }, next = { .mode = NF_PASS },
		      scrub = { .mode = NF_PASS };
	struct rte_mbuf *out[8];

	rig_start(&r, SMART);
	cr_assert_geq(add_nf(&r, "ids", &ids), 0);
	cr_assert_geq(add_nf(&r, "next", &next), 0);
	cr_assert_geq(add_nf(&r, "scrubber", &scrub), 0);
	rig_run(&r);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 0));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	wait_paths(&r, 0, 1);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 1));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	cr_expect_eq(ids.seen, 2, "a refused skip must leave the NF on the path");
	rig_free(&r);
}

Test(mgr, messages_reach_a_local_nf_and_its_reports_reach_the_manager)
{
	struct rig r;
	struct nf_ctx a = { .mode = NF_PASS }, b = { .mode = NF_PASS };
	struct sdnfv_nf_params p = {
		.sz = sizeof(p), .service = "a", .ops = &nf_ops, .arg = &a, .idle_us = 1000
	};
	struct sdnfv_mgr_stats st;
	struct sdnfv_nf *nf_a = NULL;
	uint64_t deadline;
	int id;

	rig_start(&r, TWO_HOPS);
	id = sdnfv_mgr_nf_add_local(r.mgr, &p, &nf_a);
	cr_assert_geq(id, 0);
	cr_assert_geq(add_nf(&r, "b", &b), 0);
	rig_run(&r);
	cr_assert_eq(sdnfv_mgr_nf_send(r.mgr, (uint16_t)id, 42, "hi", 2), 0);
	deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	while (__atomic_load_n(&a.msgs, __ATOMIC_ACQUIRE) == 0 && rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(1000);
	cr_expect_eq(a.msgs, 1);
	cr_expect_eq(a.last_msg_type, 42);
	/* And the other way: a state report the NF sends (from its idle call, in the dispatcher's
	 * thread, as the NF API requires) reaches the manager. */
	__atomic_store_n(&a.report, 1, __ATOMIC_RELEASE);
	deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();
	do {
		rte_delay_us_sleep(1000);
		sdnfv_mgr_stats(r.mgr, &st);
	} while (st.reports == 0 && rte_get_timer_cycles() < deadline);
	cr_expect_eq(st.reports, 1);
	cr_expect_eq(a.report_ret, 0);
	cr_expect_eq(a.report_bad_ret, -EINVAL);
	cr_expect_not_null(nf_a);
	cr_expect_eq(sdnfv_mgr_nf_send(r.mgr, 999, 1, NULL, 0), -EINVAL);
	rig_free(&r);
}

Test(mgr, bad_calls_get_clear_errors)
{
	struct rig r;
	struct sdnfv_mgr *second = NULL;
	struct sdnfv_mgr_params p = { .sz = sizeof(p) };
	struct sdnfv_nf_params np = { .sz = sizeof(np), .service = "nosuch", .ops = &nf_ops };
	char err[256] = "";

	rig_start(&r, TWO_HOPS);
	cr_expect_eq(sdnfv_mgr_create(&p, &second), -EEXIST, "a second manager in one process");
	cr_expect_eq(sdnfv_mgr_policy_load(r.mgr, r.policy, err, sizeof(err)), -EEXIST);
	cr_expect_eq(sdnfv_mgr_policy_load(r.mgr, "/nonexistent.yaml", err, sizeof(err)), -ENOENT);
	cr_expect_eq(sdnfv_mgr_nf_add_local(r.mgr, &np, NULL), -ENOENT);
	np.service = NULL;
	cr_expect_eq(sdnfv_mgr_nf_add_local(r.mgr, &np, NULL), -EINVAL);
	cr_expect_eq(sdnfv_mgr_port_add(r.mgr, 77), -ENODEV);
	cr_expect_eq(sdnfv_mgr_port_add(r.mgr, r.port[0]), -EEXIST);
	cr_expect_eq(sdnfv_mgr_nf_stop(r.mgr, 999), -ENOENT);
	cr_expect_eq(sdnfv_mgr_create(NULL, &second), -EINVAL);
	cr_expect_str_eq(sdnfv_mgr_drop_name(SDNFV_MGR_DROP_ENTRY_FULL), "entry_full");
	cr_expect_str_eq(sdnfv_mgr_drop_name(1000), "unknown");
	rig_free(&r);
}

Test(mgr, a_restore_puts_a_redirected_flow_back_on_its_default_path)
{
	struct rig r;
	struct nf_ctx ids = { .mode = NF_RESTORE, .arg = 2 }, next = { .mode = NF_PASS },
		      scrub = { .mode = NF_PASS };
	struct rte_mbuf *out[8];

	rig_start(&r, SMART);
	cr_assert_geq(add_nf(&r, "ids", &ids), 0);
	cr_assert_geq(add_nf(&r, "next", &next), 0);
	cr_assert_geq(add_nf(&r, "scrubber", &scrub), 0);
	rig_run(&r);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 0));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	wait_paths(&r, 1, 0);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 1)); /* redirected; restores */
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	cr_expect_eq(scrub.seen, 1);
	wait_paths(&r, 2, 0);
	inject(&r, 0, udp_pkt(&r, 0x0a000001, 0x0a000101, 1000, 80, 2));
	cr_assert_eq(collect(&r, 1, out, 1), 1);
	free_all(out, 1);
	cr_expect_eq(ids.requests, 0);
	cr_expect_eq(scrub.seen, 1, "a restored flow went to the scrubber again");
	cr_expect_eq(next.seen, 2, "a restored flow must take its default path");
	rig_free(&r);
}

Test(mgr, nf_args_splits_the_eal_arguments_from_the_programs_own_at_the_first_double_dash)
{
	char *with[] = { "nf", "-l", "1", "--", "--rules", "x", "--", "y", NULL };
	char *without[] = { "nf", "-l", "1", NULL };
	char **app;
	int eal;

	cr_assert_eq(sdnfv_nf_args(8, with, &eal, &app), 5);
	cr_assert_eq(eal, 3);
	cr_assert_eq(app, with + 3);
	cr_assert_str_eq(app[1], "--rules");
	cr_assert_eq(sdnfv_nf_args(3, without, &eal, &app), 0);
	cr_assert_eq(eal, 3);
	cr_assert_eq(app, without);
	cr_assert_eq(sdnfv_nf_args(1, without, &eal, &app), 0);
	cr_assert_eq(eal, 1);
}
