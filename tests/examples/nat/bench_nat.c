/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT benchmark, through the NF's burst handler (nat_nf_ops.handle) without a manager.
 *
 *  nat_new_mappings: outbound UDP packets of 1M (2^20) distinct internal endpoints (65536 hosts x
 *    16 ports, behind a pool of 20 external addresses), each creating its mapping: mappings/s.
 *  nat_1M: with those 1M mappings live, 64-byte outbound UDP packets of random existing
 *    mappings, bursts of 32: TSC cycles per packet (the burst's frames are rewritten from
 *    templates between bursts, outside the timed region).
 *  nat_1M_inbound: the same, for the answers (remote -> external endpoint).
 * Each figure is the median of 5 runs (3 with --quick, on 64K mappings: the figures mean nothing).
 *
 * usage: bench_nat [--quick]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <sdnfv/sdnfv.h>

#include "bench.h"
#include "eal.h"
#include "frames.h"
#include "nat.h"

#define BURST     32
#define TEMPLATES 8192
#define N_EXT     20

static unsigned int n_mappings = 1u << 20, runs = 5, bursts = 200000;

static struct nat *
make_nat(void)
{
	struct nat_config *c = calloc(1, sizeof(*c));
	struct nat_options o = { .seed = 1 };
	struct nat *n;
	char err[256];
	unsigned int i;

	c->port_lo = 1024;
	c->port_hi = 65535;
	c->timeout_udp = 300;
	c->timeout_tcp_est = 7440;
	c->timeout_tcp_trans = 240;
	c->timeout_icmp = 60;
	c->max_mappings = n_mappings;
	c->inside_port = c->outside_port = NAT_NO_PORT;
	for (i = 0; i < N_EXT; i++)
		c->external[c->n_external++] =
			rte_cpu_to_be_32(0xcb007100u + 1 + i); /* 203.0.113.x */
	c->internal[0].addr = 0x0a000000;
	c->internal[0].mask = 0xff000000;
	c->n_internal = 1;
	if (nat_create_cfg(c, &o, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_nat: %s\n", err);
		exit(1);
	}
	free(c);
	return n;
}

/* The internal endpoint number i: host 10.(i/16 spread).x.y, port 10000 + i % 16. */
static void
endpoint(unsigned int i, char *ip, size_t len, uint16_t *port)
{
	unsigned int host = i / 16;

	snprintf(ip, len, "10.%u.%u.%u", (host >> 16) & 255, (host >> 8) & 255, host & 255);
	*port = (uint16_t)(10000 + i % 16);
}

static void
load(struct rte_mbuf **m, uint8_t (*tpl)[64], const unsigned int *pick)
{
	unsigned int i;

	for (i = 0; i < BURST; i++) {
		memcpy(rte_pktmbuf_mtod(m[i], uint8_t *), tpl[pick[i]], 64);
		m[i]->data_len = m[i]->pkt_len = 64;
	}
}

int
main(int argc, char **argv)
{
	static uint8_t out_tpl[TEMPLATES][64], in_tpl[TEMPLATES][64];
	double new_rate[5], cpp_out[5], cpp_in[5];
	struct rte_mempool *mp;
	struct rte_mbuf *m[BURST];
	uint64_t hz;
	unsigned int r, i, b;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		n_mappings = 1u << 16;
		runs = 3;
		bursts = 20000;
	} else if (argc > 1) {
		fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
		return 2;
	}
	if (sdnfv_test_eal_init(NULL) < 0 || sdnfv_meta_register() < 0) {
		fprintf(stderr, "bench_nat: EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("nat_bench", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL || rte_pktmbuf_alloc_bulk(mp, m, BURST) < 0) {
		fprintf(stderr, "bench_nat: no mbufs\n");
		return 1;
	}
	hz = rte_get_tsc_hz();
	srand(1);
	for (r = 0; r < runs; r++) {
		struct nat *n = make_nat();
		uint64_t t0, cycles;
		unsigned int pick[BURST];

		/* New mappings: one packet per new endpoint, in bursts. */
		cycles = 0;
		for (i = 0; i < n_mappings; i += BURST) {
			for (b = 0; b < BURST; b++) {
				char ip[32];
				uint16_t port;

				endpoint(i + b, ip, sizeof(ip), &port);
				frame_udp(rte_pktmbuf_mtod(m[b], uint8_t *), ip, port,
					  "198.51.100.1", 3478);
				m[b]->data_len = m[b]->pkt_len = 60;
			}
			t0 = rte_rdtsc();
			nat_nf_ops.handle(NULL, m, BURST, n);
			cycles += rte_rdtsc() - t0;
		}
		if (nat_stats(n)->active != n_mappings) {
			fprintf(stderr, "bench_nat: %" PRIu64 " mappings, not %u\n",
				nat_stats(n)->active, n_mappings);
			return 1;
		}
		new_rate[r] = (double)n_mappings * (double)hz / (double)cycles;

		/* Templates of random existing mappings, both directions. */
		for (i = 0; i < TEMPLATES; i++) {
			unsigned int e = (unsigned int)rand() % n_mappings;
			rte_be32_t ext_ip;
			rte_be16_t ext_port;
			char ip[32], ext[32];
			uint16_t port;

			endpoint(e, ip, sizeof(ip), &port);
			frame_udp(out_tpl[i], ip, port, "198.51.100.1", 3478);
			nat_lookup(n, 17, ip4(ip), rte_cpu_to_be_16(port), &ext_ip, &ext_port);
			inet_ntop(AF_INET, &ext_ip, ext, sizeof(ext));
			frame_udp(in_tpl[i], "198.51.100.1", 3478, ext, rte_be_to_cpu_16(ext_port));
		}
		for (i = 0; i < 2; i++) {
			uint8_t(*tpl)[64] = i == 0 ? out_tpl : in_tpl;
			uint64_t before = nat_stats(n)->out + nat_stats(n)->in;

			cycles = 0;
			for (b = 0; b < bursts; b++) {
				unsigned int k;

				for (k = 0; k < BURST; k++)
					pick[k] = (unsigned int)rand() % TEMPLATES;
				load(m, tpl, pick);
				t0 = rte_rdtsc();
				nat_nf_ops.handle(NULL, m, BURST, n);
				cycles += rte_rdtsc() - t0;
			}
			if (nat_stats(n)->out + nat_stats(n)->in - before !=
			    (uint64_t)bursts * BURST) {
				fprintf(stderr, "bench_nat: packets were not translated\n");
				return 1;
			}
			(i == 0 ? cpp_out : cpp_in)[r] = (double)cycles / ((double)bursts * BURST);
		}
		nat_free(n);
	}
	printf("bench: nat_1M %.1f cycles\n", bench_median(cpp_out, runs));
	printf("bench: nat_1M_inbound %.1f cycles\n", bench_median(cpp_in, runs));
	printf("bench: nat_new_mappings %.0f mappings/s\n", bench_median(new_rate, runs));
	printf("bench: nat_mappings %u (median of %u runs, TSC %.2f GHz)\n", n_mappings, runs,
	       (double)hz / 1e9);
	rte_pktmbuf_free_bulk(m, BURST);
	return 0;
}
