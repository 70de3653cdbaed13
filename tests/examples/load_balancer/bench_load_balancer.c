/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the load balancer's packet path (lb_packet(), what the NF's burst handler runs per
 * packet), on bursts of 32 64-byte TCP frames, no EAL:
 *   lb_established  packets of connections already in the table (spread over many connections,
 *                   visited in a shuffled order so the table is not walked sequentially)
 *   lb_new          first packets of new connections (Maglev lookup + two index inserts), into
 *                   a warm table emptied by expiry before each run
 *   maglev_build    building one VIP's table (M = 65537, 100 backends), in microseconds
 * Each figure is the median of several runs. --quick: fewer packets and runs (CI smoke mode).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "bench.h"
#include "load_balancer.h"
#include "rng.h"

#define BURST   32
#define FRAME   60 /* 64 bytes on the wire with the FCS */
#define RUNS    5
#define BACKEND 8

static struct lb_ctx *
make_ctx(unsigned int conn_max)
{
	char path[] = "/tmp/lb-bench-XXXXXX", err[512];
	struct lb_ctx *c;
	int fd = mkstemp(path);
	FILE *f;
	unsigned int i;

	if (fd < 0)
		exit(1);
	f = fdopen(fd, "w");
	fprintf(f, "conn-max %u\nvip 192.0.2.10 tcp 80\n", conn_max);
	for (i = 0; i < BACKEND; i++)
		fprintf(f, "backend b%u 10.1.0.%u:8080\n", i, i + 1);
	fclose(f);
	if (lb_create(path, NULL, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	unlink(path);
	return c;
}

/* A 60-byte Ethernet/IPv4/TCP frame from client i to the VIP, checksums right. */
static void
make_frame(uint8_t *f, uint32_t i)
{
	static const uint8_t tmpl[FRAME] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
		/* IPv4: 40 bytes, TTL 64, TCP, 198.18.x.x → 192.0.2.10 */
		0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 198, 18, 0, 0, 192, 0, 2, 10,
		/* TCP: sport, dport 80, ACK */
		0, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0x20, 0, 0, 0, 0, 0
		/* 6 bytes of padding */
	};
	struct sdnfv_pkt_info info;
	rte_be16_t ck;

	memcpy(f, tmpl, FRAME);
	/* Unique per i below 2^22: the port from the low bits, the address from the high ones. */
	f[28] = (uint8_t)(i >> 14);
	f[29] = (uint8_t)(i >> 22);
	f[34] = (uint8_t)((1024 + (i & 0x3fff)) >> 8);
	f[35] = (uint8_t)(1024 + (i & 0x3fff));
	sdnfv_pkt_parse(f, FRAME, &info);
	ck = sdnfv_pkt_ipv4_cksum(f + 14, 20);
	memcpy(f + 24, &ck, 2);
	sdnfv_pkt_l4_cksum(f, &info, &ck);
	memcpy(f + 50, &ck, 2);
}

static double
run_established(struct lb_ctx *c, const uint8_t *frames, const uint32_t *order, unsigned int n,
		unsigned int packets)
{
	static uint8_t burst[BURST][FRAME];
	uint64_t cycles = 0;
	unsigned int done, j, pos = 0;

	for (done = 0; done < packets; done += BURST) {
		uint64_t t0;

		for (j = 0; j < BURST; j++, pos = pos + 1 == n ? 0 : pos + 1)
			memcpy(burst[j], frames + (size_t)order[pos] * FRAME, FRAME);
		t0 = rte_rdtsc_precise();
		for (j = 0; j < BURST; j++)
			if (lb_packet(c, burst[j], FRAME, 1) != LB_FORWARD)
				abort();
		cycles += rte_rdtsc_precise() - t0;
	}
	return (double)cycles / done;
}

/* First packets of n new connections (clients base .. base + n - 1) into a table that earlier
 * runs filled and that is emptied first (by expiry), so its memory is warm as in a running NF. */
static double
run_new(struct lb_ctx *c, uint32_t base, unsigned int n, uint64_t now)
{
	static uint8_t burst[BURST][FRAME];
	uint64_t cycles = 0;
	unsigned int done, j;

	lb_expire(c, now, n);
	for (done = 0; done < n; done += BURST) {
		uint64_t t0;

		for (j = 0; j < BURST; j++)
			make_frame(burst[j], base + done + j);
		t0 = rte_rdtsc_precise();
		for (j = 0; j < BURST; j++)
			if (lb_packet(c, burst[j], FRAME, now) != LB_FORWARD)
				abort();
		cycles += rte_rdtsc_precise() - t0;
	}
	return (double)cycles / done;
}

int
main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	unsigned int conns = quick ? 16384 : LB_CONN_MAX_DEFAULT,
		     packets = quick ? 1u << 20 : 1u << 22;
	unsigned int n_new = LB_CONN_MAX_DEFAULT, runs = quick ? 3 : RUNS, r, i;
	double est[RUNS], nw[RUNS], mg[RUNS];
	uint8_t *frames = malloc((size_t)conns * FRAME);
	uint32_t *order = malloc(sizeof(*order) * conns);
	struct rng g = { .s = 12345 };
	struct lb_ctx *c = make_ctx(conns), *cn = make_ctx(n_new);
	const uint64_t hour = 3600ull * 1000000000ull; /* past the default idle timeout */

	if (frames == NULL || order == NULL)
		return 1;
	for (i = 0; i < conns; i++) {
		make_frame(frames + (size_t)i * FRAME, i);
		order[i] = i;
	}
	for (i = conns - 1; i > 0; i--) {
		uint32_t j = rng_below(&g, i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Establish every connection once; fill and empty the new-connection table once. */
	run_established(c, frames, order, conns, conns);
	run_new(cn, 0, n_new, hour);
	for (r = 0; r < runs; r++) {
		est[r] = run_established(c, frames, order, conns, packets);
		nw[r] = run_new(cn, (r + 1) * n_new, n_new, (r + 2) * hour);
		{
			static uint16_t table[65537];
			char names[100][8];
			const char *pn[100];
			struct timespec t0, t1;

			for (i = 0; i < 100; i++) {
				snprintf(names[i], sizeof(names[i]), "s%u", i);
				pn[i] = names[i];
			}
			clock_gettime(CLOCK_MONOTONIC, &t0);
			lb_maglev_build(pn, NULL, 100, 65537, table);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			mg[r] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
				(double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
		}
		printf("run %u: established %.1f cycles/packet, new %.1f cycles/packet, maglev "
		       "build %.0f us\n",
		       r, est[r], nw[r], mg[r]);
	}
	printf("bench: lb_established %.1f cycles (%u connections, bursts of %d %d-byte frames, "
	       "median of %u)\n",
	       bench_median(est, runs), conns, BURST, FRAME + 4, runs);
	printf("bench: lb_new %.1f cycles (%u new connections per run, median of %u)\n",
	       bench_median(nw, runs), n_new, runs);
	printf("bench: lb_maglev_build %.0f us (M 65537, 100 backends, median of %u)\n",
	       bench_median(mg, runs), runs);
	lb_free(c);
	lb_free(cn);
	free(frames);
	free(order);
	return 0;
}
