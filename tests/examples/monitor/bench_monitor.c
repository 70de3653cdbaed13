/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the monitor NF's burst handler (monitor_nf_ops.handle, the code the NF runs per
 * burst): TSC cycles per packet on bursts of 32 64-byte Ethernet/IPv4/UDP packets, with 1K and
 * 1M flows visited in a scattered order (each flow's entry is created during a warm-up pass, so
 * the figure is the steady state: lookup and update of a live flow). Beside it, the cost of the
 * header parse alone (sdnfv_pkt_parse_mbuf() on the same bursts), which every NF pays: the
 * difference is the flow accounting.
 *
 * Only the handler call is timed; between calls the next burst's 32 mbufs get the addresses and
 * ports of their flows. Each figure is the median of `rounds` runs (5 by default); rounds
 * interleave the cases.
 *
 * usage: bench_monitor [--quick] [--rounds N]
 *   --quick  one short round per figure (CI; the figures mean nothing)
 * Prints `bench: monitor_1K <cycles> cycles`, `bench: monitor_1M <cycles> cycles`,
 * `bench: parse_only <cycles> cycles`, and `bench: monitor_top_1M <ms> ms`: the time a scan for the top list
 * takes in a table of 1M flows (on SIGUSR1 and at exit; the report's top flow needs no scan).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <sdnfv/sdnfv.h>

#include "bench.h"
#include "eal.h"
#include "monitor.h"
#include "rng.h"

#define BURST   32
#define BURSTS  64 /* mbufs in rotation: 64 bursts of 32 */
#define MAX_RUN 9

static struct rte_mbuf *mbufs[BURSTS][BURST];
static uint32_t *flow_src;  /* per flow: source address; the port is derived from it */
static uint64_t parse_sink; /* keeps the parse-only loop from being optimised away */

static void
build_frames(struct rte_mempool *mp)
{
	unsigned int b, i;

	for (b = 0; b < BURSTS; b++) {
		for (i = 0; i < BURST; i++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
			uint8_t *d;
			struct rte_ipv4_hdr *ip;
			struct rte_udp_hdr *udp;

			if (m == NULL) {
				fprintf(stderr, "bench_monitor: mbuf pool empty\n");
				exit(1);
			}
			d = (uint8_t *)rte_pktmbuf_append(m, 64);
			memset(d, 0, 64);
			d[12] = 0x08;
			ip = (struct rte_ipv4_hdr *)(d + 14);
			ip->version_ihl = 0x45;
			ip->total_length = rte_cpu_to_be_16(46);
			ip->time_to_live = 64;
			ip->next_proto_id = IPPROTO_UDP;
			ip->dst_addr = rte_cpu_to_be_32(0xc0000201);
			udp = (struct rte_udp_hdr *)(ip + 1);
			udp->dst_port = rte_cpu_to_be_16(53);
			udp->dgram_len = rte_cpu_to_be_16(26);
			sdnfv_meta_reset(m);
			mbufs[b][i] = m;
		}
	}
}

/* Give burst b the flows of packets [first, first + BURST) of the visiting order. */
static inline void
set_flows(unsigned int b, uint64_t first, uint32_t n_flows)
{
	unsigned int i;

	for (i = 0; i < BURST; i++) {
		uint32_t src = flow_src[(first + i) % n_flows];
		uint8_t *d = rte_pktmbuf_mtod(mbufs[b][i], uint8_t *);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

		ip->src_addr = rte_cpu_to_be_32(src);
		udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (src * 2654435761u >> 20)));
	}
}

static void
parse_only(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	uint64_t *sink = arg;
	unsigned int i;

	(void)nf;
	for (i = 0; i < n; i++) {
		struct sdnfv_pkt_info info;

		*sink += (uint64_t)sdnfv_pkt_parse_mbuf(pkts[i], &info) + info.sport;
		sdnfv_nf_next(pkts[i]);
	}
}

/* Cycles per packet of one run: warm every flow, then time `packets` packets. */
static double
run(uint32_t n_flows, uint64_t packets, bool parse, double *top_ms)
{
	struct monitor_cfg cfg;
	struct monitor_nf ctx;
	char err[256];
	uint64_t p, cycles = 0, warm = ((uint64_t)n_flows + BURST - 1) / BURST * BURST;
	unsigned int b = 0;

	monitor_cfg_defaults(&cfg);
	cfg.max_flows = n_flows;
	cfg.idle_timeout_ms = cfg.active_timeout_ms = 3600 * 1000; /* no expiry while measuring */
	if (monitor_nf_init(&ctx, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_monitor: %s\n", err);
		exit(1);
	}
	for (p = 0; p < warm + packets; p += BURST, b = (b + 1) % BURSTS) {
		uint64_t t0;

		set_flows(b, p, n_flows);
		t0 = rte_rdtsc_precise();
		if (parse)
			parse_only(NULL, mbufs[b], BURST, &parse_sink);
		else
			monitor_nf_ops.handle(NULL, mbufs[b], BURST, &ctx);
		if (p >= warm)
			cycles += rte_rdtsc_precise() - t0;
	}
	if (!parse && n_flows == 1u << 20 && top_ms != NULL) {
		struct monitor_record top;
		uint64_t t0 = rte_rdtsc_precise();

		monitor_top(ctx.mon, &top, 1);
		*top_ms = (double)(rte_rdtsc_precise() - t0) * 1000.0 / (double)rte_get_tsc_hz();
	}
	if (!parse && monitor_flows_live(ctx.mon) != n_flows) {
		fprintf(stderr, "bench_monitor: %u flows live, %u expected\n",
			monitor_flows_live(ctx.mon), n_flows);
		exit(1);
	}
	monitor_destroy(ctx.mon, ctx.clock_ms());
	return (double)cycles / (double)packets;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		uint32_t flows;
		bool parse;
	} cases[] = {
		{ "parse_only", 1024, true },
		{ "monitor_1K", 1024, false },
		{ "monitor_1M", 1u << 20, false },
	};
	unsigned int rounds = 5, r, c, i;
	bool quick = false;
	struct rte_mempool *mp;
	uint64_t packets = 4u << 20;
	struct rng rng = { .s = 42 };
	double v[3][MAX_RUN], top[MAX_RUN];

	for (i = 1; i < (unsigned int)argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < (unsigned int)argc)
			rounds = (unsigned int)atoi(argv[++i]);
	}
	if (quick) {
		rounds = 1;
		packets = 1u << 16;
	}
	if (rounds < 1 || rounds > MAX_RUN)
		rounds = 5;
	if (sdnfv_test_eal_init(NULL) < 0 || sdnfv_meta_register() < 0) {
		fprintf(stderr, "bench_monitor: EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bench_monitor", BURSTS * BURST * 2, 0, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL) {
		fprintf(stderr, "bench_monitor: no mbuf pool\n");
		return 1;
	}
	build_frames(mp);
	/* Distinct scattered source addresses, in a random visiting order. */
	flow_src = malloc((1u << 20) * sizeof(*flow_src));
	if (flow_src == NULL)
		return 1;
	for (i = 0; i < (1u << 20); i++)
		flow_src[i] = 0x0a000000u + i;
	for (i = (1u << 20) - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng_next(&rng) % (i + 1)), t = flow_src[i];

		flow_src[i] = flow_src[j];
		flow_src[j] = t;
	}
	/* Rounds interleave the cases, so that noise from the host hits them alike. */
	for (r = 0; r < rounds; r++)
		for (c = 0; c < RTE_DIM(cases); c++)
			v[c][r] = run(cases[c].flows, packets, cases[c].parse, &top[r]);
	for (c = 0; c < RTE_DIM(cases); c++)
		printf("bench: %s %.1f cycles\n", cases[c].name, bench_median(v[c], rounds));
	printf("bench: monitor_top_1M %.2f ms\n", bench_median(top, rounds));
	printf("bench: tsc_hz %" PRIu64 "\n", rte_get_tsc_hz());
	fflush(stdout);
	free(flow_src);
	return 0;
}
