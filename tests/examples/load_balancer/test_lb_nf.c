/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer's NF handlers (lb_nf_ops) on mbufs, in a host: a manager in this process with
 * two ring ports, the load balancer as a local NF (sdnfv_mgr_nf_add_local()), the dispatcher on a
 * worker lcore. Messages from the manager mark backends down and reload the file; malformed
 * packets get the drop verdict.
 */
#include <inttypes.h>
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
#include "load_balancer.h"

static void
eal_setup(void)
{
	struct sdnfv_test_eal opt = { .lcores = "0,1", .multi_process = true };

	cr_assert_geq(sdnfv_test_eal_init(&opt), 0, "EAL init failed");
}

TestSuite(lb_nf, .init = eal_setup, .fini = sdnfv_test_eal_cleanup, .timeout = 60);

static const char *const POLICY = "services:\n"
				  "  load_balancer: {}\n"
				  "chains:\n"
				  "  lb: { hops: [load_balancer], out: 1 }\n"
				  "rules:\n"
				  "  - { match: \"\", priority: 0, chain: lb }\n";

static const char *const CONF = "vip 192.0.2.10 udp 53\n"
				"backend a 10.1.0.1\nbackend b 10.1.0.2\n"
				"backend c 10.1.0.3\nbackend d 10.1.0.4\n";

struct rig {
	struct sdnfv_mgr *mgr;
	struct sdnfv_pool *pool;
	struct rte_mempool *mp;
	struct rte_ring *rx[2], *tx[2];
	char policy[64], conf[64];
	struct lb_ctx *lb;
	int nf_id;
};

static void
write_tmp(char *path, const char *text)
{
	int fd;

	snprintf(path, 64, "/tmp/lb-nf-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
run_lcore(void *arg)
{
	return sdnfv_mgr_run(arg);
}

static void
rig_start(struct rig *r)
{
	struct sdnfv_mgr_params p = { .sz = sizeof(p), .pool_size = 4095, .max_nfs = 4 };
	struct sdnfv_nf_params np = { .sz = sizeof(np), .service = "load_balancer" };
	char err[512] = "";
	int i, ret;

	memset(r, 0, sizeof(*r));
	cr_assert_eq(sdnfv_mgr_create(&p, &r->mgr), 0);
	cr_assert_eq(sdnfv_pool_attach("sdnfv", &r->pool), 0);
	r->mp = sdnfv_pool_mempool(r->pool, (int)rte_socket_id());
	cr_assert_not_null(r->mp);
	write_tmp(r->policy, POLICY);
	ret = sdnfv_mgr_policy_load(r->mgr, r->policy, err, sizeof(err));
	cr_assert_geq(ret, 0, "policy refused: %s", err);
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "lrx%d", i);
		r->rx[i] =
			rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ltx%d", i);
		r->tx[i] =
			rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		cr_assert(r->rx[i] != NULL && r->tx[i] != NULL);
		snprintf(name, sizeof(name), "lport%d", i);
		ret = rte_eth_from_rings(name, &r->rx[i], 1, &r->tx[i], 1, SOCKET_ID_ANY);
		cr_assert_geq(ret, 0);
		cr_assert_eq(sdnfv_mgr_port_add(r->mgr, (uint16_t)ret), 0);
	}
	write_tmp(r->conf, CONF);
	cr_assert_eq(lb_create(r->conf, NULL, &r->lb, err, sizeof(err)), 0, "%s", err);
	np.ops = &lb_nf_ops;
	np.arg = r->lb;
	np.idle_us = 1000;
	r->nf_id = sdnfv_mgr_nf_add_local(r->mgr, &np, NULL);
	cr_assert_geq(r->nf_id, 0);
	cr_assert_eq(rte_eal_remote_launch(run_lcore, r->mgr, 1), 0);
}

static void
rig_free(struct rig *r)
{
	sdnfv_mgr_stop(r->mgr);
	cr_assert_eq(rte_eal_wait_lcore(1), 0);
	sdnfv_mgr_free(r->mgr);
	sdnfv_pool_free(r->pool);
	lb_free(r->lb);
	unlink(r->policy);
	unlink(r->conf);
}

/* A UDP packet of client i to the VIP; `cut` bytes shorter when truncated on purpose. */
static struct rte_mbuf *
client_pkt(struct rig *r, uint32_t i, uint16_t cut)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->mp);
	const uint16_t len = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
			     sizeof(struct rte_udp_hdr) + 8;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;

	cr_assert_not_null(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, len);
	memset(eth, 0, len);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0xc6336400 + (i & 0xff));
	ip->dst_addr = rte_cpu_to_be_32(0xc000020a);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(10000 + i));
	udp->dst_port = rte_cpu_to_be_16(53);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + 8);
	if (cut > 0)
		rte_pktmbuf_trim(m, cut);
	return m;
}

/* Send n packets (clients 0..n-1) and read where each went: the last octet of its new
 * destination (1 = a ... 4 = d), by client. */
static void
round_trip(struct rig *r, unsigned int n, int *where)
{
	struct rte_mbuf *out[512];
	uint64_t deadline = rte_get_timer_cycles() + 3 * rte_get_timer_hz();
	unsigned int i, got = 0;

	cr_assert_leq(n, RTE_DIM(out));
	for (i = 0; i < n; i++)
		while (rte_ring_sp_enqueue(r->rx[0], client_pkt(r, i, 0)) != 0)
			rte_pause();
	while (got < n && rte_get_timer_cycles() < deadline)
		got += rte_ring_sc_dequeue_burst(r->tx[1], (void **)&out[got], n - got, NULL);
	cr_assert_eq(got, n, "%u of %u packets came out", got, n);
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(out[i], struct rte_ipv4_hdr *, 14);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
		uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
		unsigned int c = rte_be_to_cpu_16(udp->src_port) - 10000u;

		cr_assert_eq(dst >> 8, 0x0a0100u, "packet %u not rewritten to a backend", i);
		cr_assert_eq(rte_ipv4_cksum(ip), 0,
			     "IPv4 checksum wrong"); /* over a right one: 0 */
		cr_assert_lt(c, n);
		where[c] = (int)(dst & 0xff);
	}
	rte_pktmbuf_free_bulk(out, n);
}

Test(lb_nf, messages_mark_a_backend_down_and_only_its_connections_move)
{
	struct rig r;
	int before[300], after[300];
	unsigned int i, on_b = 0;
	const char *down = "backend b down", *bad = "backend nosuch down";
	struct lb_stats s;
	struct sdnfv_mgr_stats ms;

	rig_start(&r);
	round_trip(&r, 300, before);
	cr_assert_eq(
		sdnfv_mgr_nf_send(r.mgr, (uint16_t)r.nf_id, LB_MSG_COMMAND, down, strlen(down)), 0);
	cr_assert_eq(sdnfv_mgr_nf_send(r.mgr, (uint16_t)r.nf_id, LB_MSG_COMMAND, bad, strlen(bad)),
		     0);
	{
		uint64_t deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();

		do {
			rte_delay_us_sleep(1000);
			lb_stats_get(r.lb, &s);
		} while ((s.commands < 1 || s.command_errors < 1) &&
			 rte_get_timer_cycles() < deadline);
	}
	cr_assert_eq(s.commands, 1);
	cr_assert_eq(s.command_errors, 1);
	round_trip(&r, 300, after);
	for (i = 0; i < 300; i++) {
		cr_assert_neq(after[i], 2, "connection %u still on the down backend", i);
		if (before[i] == 2)
			on_b++;
		else
			cr_assert_eq(after[i], before[i], "connection %u of backend %d moved", i,
				     before[i]);
	}
	cr_assert_gt(on_b, 30);

	/* A reload by message: the file now removes c; only c's connections move. */
	{
		FILE *f = fopen(r.conf, "w");
		uint64_t deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();

		fputs("vip 192.0.2.10 udp 53\nbackend a 10.1.0.1\nbackend b 10.1.0.2\n"
		      "backend d 10.1.0.4\n",
		      f);
		fclose(f);
		cr_assert_eq(sdnfv_mgr_nf_send(r.mgr, (uint16_t)r.nf_id, LB_MSG_RELOAD, NULL, 0),
			     0);
		do {
			rte_delay_us_sleep(1000);
			lb_stats_get(r.lb, &s);
		} while (s.reloads < 1 && rte_get_timer_cycles() < deadline);
		cr_assert_eq(s.reloads, 1);
	}
	round_trip(&r, 300, before);
	for (i = 0; i < 300; i++) {
		cr_assert(before[i] == 1 || before[i] == 2 || before[i] == 4);
		if (after[i] != 3)
			cr_assert_eq(before[i], after[i], "connection %u moved", i);
	}

	/* Malformed packets: the drop verdict, counted. */
	for (i = 0; i < 10; i++)
		while (rte_ring_sp_enqueue(r.rx[0], client_pkt(&r, i, (uint16_t)(4 + i))) != 0)
			rte_pause();
	{
		uint64_t deadline = rte_get_timer_cycles() + 2 * rte_get_timer_hz();

		do {
			rte_delay_us_sleep(1000);
			sdnfv_mgr_stats(r.mgr, &ms);
		} while (ms.drops[SDNFV_MGR_DROP_VERDICT] < 10 &&
			 rte_get_timer_cycles() < deadline);
	}
	cr_assert_eq(ms.drops[SDNFV_MGR_DROP_VERDICT], 10);
	lb_stats_get(r.lb, &s);
	cr_assert_eq(s.malformed, 10);
	/* Each command and reload sent a state report to the manager. */
	cr_assert_geq(ms.reports, 3);
	rig_free(&r);
}
