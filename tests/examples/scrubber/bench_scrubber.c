/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scrubber benchmark: scrubber_packet() (the NF's per-packet work, without the rings) in drop and
 * clean mode over 4,096 TCP flows, frames of 64 and 1,514 bytes, Mpps. In clean mode each pass
 * cuts every frame's payload and rewrites its lengths and checksums; the frames are rebuilt
 * between passes (untimed). No peer: nothing else does this job. Medians of 5 runs (--quick: one
 * short run, figures meaningless).
 *
 * usage: bench_scrubber [--quick]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include <sdnfv/sdnfv.h>

#include "bench.h"
#include "scrubber.h"

#define NPKTS 4096
#define RUNS  5

static uint8_t frames[NPKTS][1536];

static void
build(unsigned int len)
{
	unsigned int i;

	for (i = 0; i < NPKTS; i++) {
		uint8_t *b = frames[i];
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(b + 34);

		memset(b, 0, 54);
		b[12] = 0x08;
		ip->version_ihl = 0x45;
		ip->total_length = htons((uint16_t)(len - 14));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = htonl(0x0a000000u + i);
		ip->dst_addr = htonl(0xc0000201u);
		t->src_port = htons((uint16_t)(1024 + i));
		t->dst_port = htons(80);
		t->data_off = 5 << 4;
		memset(b + 54, 'x', len - 54);
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 64, 1514 };
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	unsigned int runs = quick ? 1 : RUNS, passes = quick ? 2 : 200, m, s, r, p, i;

	for (m = 0; m < 2; m++) {
		for (s = 0; s < 2; s++) {
			double v[RUNS];

			for (r = 0; r < runs; r++) {
				struct scrubber *sc = scrubber_create(
					m ? SCRUBBER_CLEAN : SCRUBBER_DROP, 8192, NULL);
				double t = 0;

				if (sc == NULL)
					return 1;
				build(sizes[s]);
				for (p = 0; p < passes; p++) {
					double t0;

					if (m)
						build(sizes[s]);
					t0 = now_s();
					for (i = 0; i < NPKTS; i++)
						scrubber_packet(sc, frames[i], sizes[s]);
					t += now_s() - t0;
				}
				v[r] = (double)passes * NPKTS / t / 1e6;
				scrubber_free(sc);
			}
			printf("bench: scrubber_%s_%s %.1f Mpps\n", m ? "clean" : "drop",
			       sizes[s] > 100 ? "1500B" : "64B", bench_median(v, runs));
		}
	}
	return 0;
}
