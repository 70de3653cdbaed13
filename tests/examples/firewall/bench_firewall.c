/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall benchmark: TSC cycles per packet of the firewall NF's burst handler (parse, key build,
 * rte_acl classify, counters, verdict: firewall_nf_handle() on bursts of 32 mbufs, no manager)
 * against rte_acl_classify() alone on the same tries with keys extracted beforehand, for 1K and
 * 10K random IPv4 rules (prefixes /8 to /32, port ranges, tcp/udp/icmp/any, allow and deny).
 *
 * Packets: 4096 64-byte Ethernet/IPv4 TCP or UDP frames; half are built to match a random rule
 * (addresses inside its prefixes, ports inside its ranges), half are random 5-tuples. Runs are
 * interleaved (firewall, rte_acl, firewall, ...); each figure is the median over the runs.
 *
 *   bench: firewall_<N> <cycles> cycles           the NF handler, stateless
 *   bench: rte_acl_<N> <cycles> cycles            rte_acl_classify() alone
 *   bench: firewall_<N> ratio <x> vs rte_acl      our throughput / rte_acl's (above 1: faster)
 *   bench: firewall_stateful_<N> <cycles> cycles  --stateful, every allowed flow already tracked
 *
 * usage: bench_firewall [--quick] [--runs N]
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <sdnfv/sdnfv.h>

#include "bench.h"
#include "eal.h"
#include "firewall.h"
#include "rng.h"

#define N_PKTS    4096
#define BURST     32
#define MAX_RUNS  15
#define FRAME_LEN 64

struct gen_rule {
	uint32_t src, dst; /* host order */
	unsigned int slen, dlen;
	int proto; /* 6, 17, 1, -1 */
	unsigned int sp_lo, sp_hi, dp_lo, dp_hi;
	bool sports, dports;
};

static uint32_t
mask_of(unsigned int len)
{
	return len == 0 ? 0 : ~0u << (32 - len);
}

/* Random rules, as text for the firewall's own parser. */
static char *
make_rules(struct rng *r, struct gen_rule *g, unsigned int n)
{
	size_t cap = (size_t)n * 128 + 64, off = 0;
	char *text = malloc(cap);
	unsigned int i;

	off += (size_t)snprintf(text, cap, "default deny\n");
	for (i = 0; i < n; i++) {
		struct gen_rule *x = &g[i];
		static const int protos[] = { 6, 6, 17, 17, 1, -1 };
		struct in_addr a;
		char s[32], d[32];

		memset(x, 0, sizeof(*x));
		x->proto = protos[rng_below(r, 6)];
		x->slen = rng_below(r, 2) ? 8 + rng_below(r, 25) : 0;
		/* Every rule names at least one prefix: no catch-all rule hides the rest. */
		x->dlen = rng_below(r, 10) < 7 || x->slen == 0 ? 8 + rng_below(r, 25) : 0;
		x->src = (uint32_t)rng_next(r) & mask_of(x->slen);
		x->dst = (uint32_t)rng_next(r) & mask_of(x->dlen);
		x->sp_lo = 0;
		x->sp_hi = 65535;
		x->dp_lo = 0;
		x->dp_hi = 65535;
		if (x->proto == 6 || x->proto == 17) {
			x->dports = rng_below(r, 10) < 6;
			x->sports = rng_below(r, 10) < 2;
			if (x->dports) {
				x->dp_lo = rng_below(r, 65536);
				x->dp_hi = RTE_MIN(
					65535u,
					x->dp_lo + (rng_below(r, 2) ? 0 : rng_below(r, 2000)));
			}
			if (x->sports) {
				x->sp_lo = 1024 + rng_below(r, 60000);
				x->sp_hi = RTE_MIN(65535u, x->sp_lo + rng_below(r, 4000));
			}
		}
		a.s_addr = htonl(x->src);
		inet_ntop(AF_INET, &a, s, sizeof(s));
		a.s_addr = htonl(x->dst);
		inet_ntop(AF_INET, &a, d, sizeof(d));
		off += (size_t)snprintf(text + off, cap - off, "%s",
					rng_below(r, 2) ? "allow" : "deny");
		if (x->proto >= 0)
			off += (size_t)snprintf(text + off, cap - off, " proto %d", x->proto);
		if (x->slen)
			off += (size_t)snprintf(text + off, cap - off, " from %s/%u", s, x->slen);
		if (x->sports)
			off += (size_t)snprintf(text + off, cap - off, " sport %u-%u", x->sp_lo,
						x->sp_hi);
		if (x->dlen)
			off += (size_t)snprintf(text + off, cap - off, " to %s/%u", d, x->dlen);
		if (x->dports)
			off += (size_t)snprintf(text + off, cap - off, " dport %u-%u", x->dp_lo,
						x->dp_hi);
		off += (size_t)snprintf(text + off, cap - off, "\n");
	}
	return text;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* 64-byte frames: half inside a random rule, half random. */
static void
make_frame(struct rng *r, const struct gen_rule *g, unsigned int n, uint8_t *f)
{
	uint32_t src = (uint32_t)rng_next(r), dst = (uint32_t)rng_next(r);
	uint16_t sp = (uint16_t)rng_next(r), dp = (uint16_t)rng_next(r);
	uint8_t proto = rng_below(r, 2) ? 6 : 17;
	uint8_t *ip = f + 14, *l4 = ip + 20;

	if (rng_below(r, 2)) {
		const struct gen_rule *x = &g[rng_below(r, n)];

		src = (x->src & mask_of(x->slen)) | (src & ~mask_of(x->slen));
		dst = (x->dst & mask_of(x->dlen)) | (dst & ~mask_of(x->dlen));
		if (x->proto == 6 || x->proto == 17)
			proto = (uint8_t)x->proto;
		sp = (uint16_t)(x->sp_lo + rng_below(r, x->sp_hi - x->sp_lo + 1));
		dp = (uint16_t)(x->dp_lo + rng_below(r, x->dp_hi - x->dp_lo + 1));
	}
	memset(f, 0, FRAME_LEN);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	ip[0] = 0x45;
	put16(ip + 2, FRAME_LEN - 14 - 4); /* the 4 bytes of FCS room are padding */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(l4, sp);
	put16(l4 + 2, dp);
	if (proto == 6) {
		l4[12] = 5 << 4;
		l4[13] = 0x02; /* SYN: in stateful mode the first pass opens the connections */
	} else {
		put16(l4 + 4, FRAME_LEN - 14 - 4 - 20);
	}
}

static struct firewall *
build(const char *text, bool stateful)
{
	struct fw_rules rules;
	struct fw_opts o = { .sz = sizeof(o),
			     .socket_id = (int)rte_socket_id(),
			     .stateful = stateful,
			     .conn_max = 1 << 14 };
	struct firewall *fw;
	char err[FW_ERR_MAX];

	if (firewall_rules_parse(text, "bench", &rules, err, sizeof(err)) < 0 ||
	    firewall_create(&rules, &o, &fw, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_firewall: %s\n", err);
		exit(1);
	}
	firewall_rules_free(&rules);
	return fw;
}

static double
time_firewall(struct firewall *fw, struct rte_mbuf **m, unsigned int reps)
{
	uint64_t t0 = rte_rdtsc_precise();
	unsigned int k, i;

	for (k = 0; k < reps; k++)
		for (i = 0; i < N_PKTS; i += BURST)
			firewall_nf_handle(NULL, m + i, BURST, fw);
	return (double)(rte_rdtsc_precise() - t0) / ((double)reps * N_PKTS);
}

static uint64_t acl_sink;

static double
time_acl(const struct rte_acl_ctx *ctx, const uint8_t **keys, unsigned int reps)
{
	uint32_t res[BURST];
	uint64_t t0 = rte_rdtsc_precise();
	unsigned int k, i, j;

	for (k = 0; k < reps; k++)
		for (i = 0; i < N_PKTS; i += BURST) {
			rte_acl_classify(ctx, keys + i, res, BURST, 1);
			for (j = 0; j < BURST; j++)
				acl_sink += res[j]; /* the result is used, as a verdict would be */
		}
	return (double)(rte_rdtsc_precise() - t0) / ((double)reps * N_PKTS);
}

int
main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1000, 10000 };
	static const char *const labels[] = { "1K", "10K" };
	unsigned int runs = 7, reps = 40, s, i, k;
	bool quick = false;
	struct rte_mempool *mp;
	struct rte_mbuf *m[N_PKTS];
	static struct fw_acl_key4 keys[N_PKTS];
	const uint8_t *kp[N_PKTS];

	for (i = 1; i < (unsigned int)argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
		} else if (strcmp(argv[i], "--runs") == 0 && i + 1 < (unsigned int)argc) {
			runs = (unsigned int)atoi(argv[++i]);
			if (runs < 1 || runs > MAX_RUNS)
				runs = 7;
		} else {
			fprintf(stderr, "usage: %s [--quick] [--runs N (1 to %d)]\n", argv[0],
				MAX_RUNS);
			return 2;
		}
	}
	if (quick) {
		runs = 1;
		reps = 2;
	}
	if (sdnfv_test_eal_init(NULL) < 0 || sdnfv_meta_register() < 0) {
		fprintf(stderr, "bench_firewall: EAL init failed\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("fwbench", N_PKTS * 2, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL || rte_pktmbuf_alloc_bulk(mp, m, N_PKTS) < 0) {
		fprintf(stderr, "bench_firewall: no mbufs\n");
		return 1;
	}
	for (s = 0; s < 2; s++) {
		struct rng r = { .s = 0x5eed + s };
		struct gen_rule *g = calloc(sizes[s], sizeof(*g));
		char *text = make_rules(&r, g, sizes[s]);
		uint64_t t0 = rte_rdtsc();
		struct firewall *fw = build(text, false), *sfw;
		double build_ms = (double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz();
		double fwc[MAX_RUNS], aclc[MAX_RUNS], stc[MAX_RUNS], f, a, st;
		const struct rte_acl_ctx *ctx = firewall_acl_ctx(fw, 4);
		uint64_t matched = 0;

		for (i = 0; i < N_PKTS; i++) {
			uint8_t *d = rte_pktmbuf_mtod(m[i], uint8_t *);
			struct sdnfv_pkt_info info;
			struct sdnfv_pkt_key key;

			make_frame(&r, g, sizes[s], d);
			m[i]->data_len = m[i]->pkt_len = FRAME_LEN;
			/* rte_acl alone gets its keys extracted in advance. */
			sdnfv_pkt_parse(d, FRAME_LEN, &info);
			sdnfv_pkt_key_build(d, &info, &key);
			memset(&keys[i], 0, sizeof(keys[i]));
			keys[i].proto = key.proto;
			keys[i].l4 = RTE_BE32(1);
			keys[i].src = key.src.v4;
			keys[i].dst = key.dst.v4;
			keys[i].sport = key.sport;
			keys[i].dport = key.dport;
			kp[i] = (const uint8_t *)&keys[i];
		}
		sfw = build(text, true);
		time_firewall(sfw, m, 1); /* opens every allowed connection */
		for (k = 0; k < runs; k++) {
			fwc[k] = time_firewall(fw, m, reps);
			aclc[k] = time_acl(ctx, kp, reps);
			stc[k] = time_firewall(sfw, m, reps);
		}
		for (i = 0; i < firewall_rules(fw)->n; i++) {
			uint64_t p, b;

			firewall_rule_counts(fw, i, &p, &b);
			matched += p;
		}
		f = bench_median(fwc, runs);
		a = bench_median(aclc, runs);
		st = bench_median(stc, runs);
		printf("# %s rules: ACL build %.0f ms; %.0f%% of packets matched a rule; %u runs of "
		       "%u x %u packets\n",
		       labels[s], build_ms,
		       100.0 * (double)matched / (double)firewall_counters(fw)->rx, runs, reps,
		       N_PKTS);
		printf("bench: firewall_%s %.1f cycles\n", labels[s], f);
		printf("bench: rte_acl_%s %.1f cycles\n", labels[s], a);
		printf("bench: firewall_%s ratio %.2f vs rte_acl\n", labels[s], a / f);
		printf("bench: firewall_stateful_%s %.1f cycles\n", labels[s], st);
		fflush(stdout);
		firewall_free(fw);
		firewall_free(sfw);
		free(text);
		free(g);
	}
	rte_pktmbuf_free_bulk(m, N_PKTS);
	rte_mempool_free(mp);
	return acl_sink == 0xdeadbeef; /* keeps the sink alive */
}
