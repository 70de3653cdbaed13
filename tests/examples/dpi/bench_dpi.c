/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpi benchmark: the NF's burst handler (dpi_nf_handle(), no manager) over mbufs, against plain
 * Hyperscan (hs_scan_stream() over the same payloads, the same database, one stream per flow and
 * direction, no platform around it).
 *
 * Rules: 100 or 1,000 contents of 8 random bytes (they practically never match). Traffic: 1,024
 * TCP flows, 8 in-order segments each, visited in turn; frames of 64 bytes (10 payload bytes) or
 * 1,514 bytes (a 1,500-byte IP packet, 1,460 payload bytes), random payload. Before each pass the
 * sequence numbers move on (untimed), so every pass is new in-order data for the NF. Gbit/s =
 * frame bytes x 8 / time; both sides are given the same frames, so the ratio is one of times.
 * A warm-up pass (the NF creates its flows) is not timed. Medians of 5 runs (--quick: one short run, figures meaningless).
 *
 * usage: bench_dpi [--quick]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>

#include <sdnfv/sdnfv.h>

#include "bench.h"
#include "dpi.h"
#include "eal.h"

#define FLOWS    1024
#define PER_FLOW 8
#define NPKTS    (FLOWS * PER_FLOW)
#define BURST    32
#define RUNS     5

static uint64_t rnd = 88172645463325252ull;

static uint64_t
xorshift(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return rnd;
}

static char *
make_rules(unsigned int n)
{
	char *t = malloc((size_t)n * 128), *w = t;
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		w += sprintf(w, "alert tcp any any -> any any (content:\"|");
		for (k = 0; k < 8; k++)
			w += sprintf(w, "%02x", (unsigned int)(xorshift() & 0xff));
		w += sprintf(w, "|\"; sid:%u;)\n", i + 1);
	}
	return t;
}

static void
build(struct rte_mbuf **m, unsigned int frame_len)
{
	unsigned int i, f, j, plen = frame_len - 54;

	for (i = 0; i < NPKTS; i++) {
		uint8_t *b;
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *t;

		f = i % FLOWS;
		j = i / FLOWS;
		rte_pktmbuf_reset(m[i]);
		b = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)frame_len);
		memset(b, 0, 54);
		b[12] = 0x08;
		ip = (struct rte_ipv4_hdr *)(b + 14);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(frame_len - 14));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000000u + (uint32_t)(xorshift() & 0xffffff));
		ip->dst_addr = rte_cpu_to_be_32(0xc0000200u + (f & 0xff));
		t = (struct rte_tcp_hdr *)(b + 34);
		t->src_port = rte_cpu_to_be_16((uint16_t)(1024 + f));
		t->dst_port = rte_cpu_to_be_16(80);
		t->sent_seq = rte_cpu_to_be_32(1 + j * plen);
		t->data_off = 5 << 4;
		t->tcp_flags = RTE_TCP_ACK_FLAG;
		for (j = 54; j < frame_len; j++)
			b[j] = (uint8_t)xorshift();
	}
	/* The same flow has the same addresses in every segment. */
	for (i = FLOWS; i < NPKTS; i++) {
		struct rte_ipv4_hdr *a = rte_pktmbuf_mtod_offset(m[i], struct rte_ipv4_hdr *, 14);
		struct rte_ipv4_hdr *b0 =
			rte_pktmbuf_mtod_offset(m[i % FLOWS], struct rte_ipv4_hdr *, 14);

		a->src_addr = b0->src_addr;
	}
}

static void
advance(struct rte_mbuf **m, unsigned int frame_len)
{
	unsigned int i;
	uint32_t step = PER_FLOW * (frame_len - 54);

	for (i = 0; i < NPKTS; i++) {
		struct rte_tcp_hdr *t = rte_pktmbuf_mtod_offset(m[i], struct rte_tcp_hdr *, 34);

		t->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(t->sent_seq) + step);
	}
}

static int
nop(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *c)
{
	(void)id, (void)from, (void)to, (void)flags;
	(*(uint64_t *)c)++;
	return 0;
}

/* Gbit/s of the NF's handler over `passes` passes. */
static double
run_nf(struct dpi *d, struct rte_mbuf **m, unsigned int frame_len, unsigned int passes)
{
	uint64_t t0, cycles = 0;
	unsigned int p, i;

	/* pass 0 creates the flows: a warm-up, not timed */
	for (p = 0; p <= passes; p++) {
		advance(m, frame_len);
		t0 = rte_rdtsc();
		for (i = 0; i < NPKTS; i += BURST)
			dpi_nf_handle(NULL, m + i, BURST, d);
		if (p > 0)
			cycles += rte_rdtsc() - t0;
	}
	return (double)passes * NPKTS * frame_len * 8 / ((double)cycles / rte_get_tsc_hz()) / 1e9;
}

static double
run_hs(const hs_database_t *db, hs_scratch_t *scratch, hs_stream_t **streams, struct rte_mbuf **m,
       unsigned int frame_len, unsigned int passes, uint64_t *matches)
{
	uint64_t t0, cycles = 0;
	unsigned int p, i;

	(void)db;
	for (p = 0; p <= passes; p++) {
		t0 = rte_rdtsc();
		for (i = 0; i < NPKTS; i++)
			hs_scan_stream(streams[i % FLOWS],
				       rte_pktmbuf_mtod_offset(m[i], const char *, 54),
				       frame_len - 54, 0, scratch, nop, matches);
		if (p > 0)
			cycles += rte_rdtsc() - t0;
	}
	return (double)passes * NPKTS * frame_len * 8 / ((double)cycles / rte_get_tsc_hz()) / 1e9;
}

int
main(int argc, char **argv)
{
	static const unsigned int npat[] = { 100, 1000 }, sizes[] = { 64, 1514 };
	struct sdnfv_test_eal eo = { 0 };
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	unsigned int runs = quick ? 1 : RUNS, a, b, r, i, fails = 0;
	struct rte_mempool *mp;
	struct rte_mbuf **m;

	if (sdnfv_test_eal_init(&eo) < 0 || sdnfv_meta_register() < 0) {
		fprintf(stderr, "bench_dpi: EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bench_dpi", NPKTS + 64, 0, 0, 2048, SOCKET_ID_ANY);
	m = calloc(NPKTS, sizeof(*m));
	if (mp == NULL || m == NULL || rte_pktmbuf_alloc_bulk(mp, m, NPKTS) != 0) {
		fprintf(stderr, "bench_dpi: no mbufs\n");
		return 1;
	}
	for (a = 0; a < RTE_DIM(npat); a++) {
		char *rules = make_rules(npat[a]);

		for (b = 0; b < RTE_DIM(sizes); b++) {
			unsigned int len = sizes[b];
			/* About 0.3 s of NF time per run at 1500 B, fewer passes for --quick. */
			unsigned int passes = quick ? 2 : (len > 100 ? 40 : 300);
			double nf[RUNS], hs[RUNS], nfm, hsm;
			const char *label = len > 100 ? "1500B" : "64B";
			uint64_t matches = 0;
			struct dpi_stats st = { 0 };

			build(m, len);
			for (r = 0; r < runs; r++) {
				struct dpi_opts o = { .sz = sizeof(o),
						      .flows = 16384,
						      .quiet = true };
				struct dpi *d;
				hs_scratch_t *scratch = NULL;
				hs_stream_t *streams[FLOWS];
				char err[256];

				if (dpi_create_from_text(rules, "bench", &o, &d, err, sizeof(err)) <
				    0) {
					fprintf(stderr, "bench_dpi: %s\n", err);
					return 1;
				}
				/* The same database, a scratch and streams of the baseline's own. */
				hs_alloc_scratch(dpi_hs_database(d), &scratch);
				for (i = 0; i < FLOWS; i++)
					hs_open_stream(dpi_hs_database(d), 0, &streams[i]);
				nf[r] = run_nf(d, m, len, passes);
				hs[r] = run_hs(dpi_hs_database(d), scratch, streams, m, len, passes,
					       &matches);
				dpi_stats(d, &st);
				if (st.not_inspected || st.tcp_gaps || st.inspected != st.rx) {
					fprintf(stderr,
						"bench_dpi: not every packet was inspected (rx %" PRIu64
						" inspected %" PRIu64 ")\n",
						st.rx, st.inspected);
					fails++;
				}
				for (i = 0; i < FLOWS; i++)
					hs_close_stream(streams[i], NULL, NULL, NULL);
				hs_free_scratch(scratch);
				dpi_free(d);
			}
			nfm = bench_median(nf, runs);
			hsm = bench_median(hs, runs);
			printf("bench: dpi_%u_%s %.2f Gbit/s\n", npat[a], label, nfm);
			printf("bench: hyperscan_%u_%s %.2f Gbit/s\n", npat[a], label, hsm);
			printf("bench: dpi_%u_%s ratio %.2f vs hyperscan\n", npat[a], label,
			       nfm / hsm);
			printf("(alerts %" PRIu64 ", baseline matches %" PRIu64 ")\n", st.alerts,
			       matches);
			fflush(stdout);
		}
		free(rules);
	}
	rte_pktmbuf_free_bulk(m, NPKTS);
	free(m);
	return fails ? 1 : 0;
}
