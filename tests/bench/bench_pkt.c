/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser benchmark: cycles (TSC ticks) per packet for sdnfv_pkt_parse() + sdnfv_pkt_key_build()
 * on frames hot in L1, medians of several runs, and the same loop with DPDK's own software
 * parser rte_net_get_ptype() as a peer. No EAL: the mbuf for the peer is built by hand.
 *
 * usage: bench_pkt [--quick]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_net.h>

#include <sdnfv/pkt.h>

#define RUNS       9
#define MAX_FRAMES 4096

static unsigned int iters = 2000000;
static volatile uint64_t sink;

struct frames {
	uint8_t *data[MAX_FRAMES];
	uint32_t len[MAX_FRAMES];
	unsigned int n;
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Ethernet + IPv4 or IPv6 + TCP or UDP, 64 bytes of payload. Checksums do not matter here. */
static uint32_t
build(uint8_t *d, int ipv, int proto)
{
	uint32_t l3 = 14, l4, len;

	memset(d, 0, 256);
	memset(d, 0x02, 12);
	if (ipv == 4) {
		put16(d + 12, 0x0800);
		d[l3] = 0x45;
		d[l3 + 8] = 64;
		d[l3 + 9] = proto;
		put16(d + l3 + 12, 0xc000);
		put16(d + l3 + 14, 0x0201);
		put16(d + l3 + 16, 0xc633);
		put16(d + l3 + 18, 0x6407);
		l4 = l3 + 20;
	} else {
		put16(d + 12, 0x86dd);
		d[l3] = 0x60;
		d[l3 + 6] = proto;
		d[l3 + 7] = 64;
		put16(d + l3 + 8, 0x2001);
		put16(d + l3 + 10, 0x0db8);
		d[l3 + 23] = 1;
		put16(d + l3 + 24, 0x2001);
		put16(d + l3 + 26, 0x0db8);
		d[l3 + 39] = 2;
		l4 = l3 + 40;
	}
	put16(d + l4, 43210);
	put16(d + l4 + 2, 80);
	if (proto == 6) {
		d[l4 + 12] = 5 << 4;
		len = l4 + 20 + 64;
	} else {
		len = l4 + 8 + 64;
		put16(d + l4 + 4, len - l4);
	}
	if (ipv == 4)
		put16(d + l3 + 2, len - l3);
	else
		put16(d + l3 + 4, len - l3 - 40);
	return len;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2];
}

/* TSC ticks per packet of parse (+ key build) over `fr`, cycled through `iters` times. */
static double
run_ours(const struct frames *fr, bool with_key)
{
	uint64_t runs[RUNS];

	for (unsigned int r = 0; r < RUNS; r++) {
		struct sdnfv_pkt_info info;
		struct sdnfv_pkt_key key;
		uint64_t acc = 0, t0, t1;
		unsigned int j = 0;

		t0 = rte_rdtsc_precise();
		for (unsigned int i = 0; i < iters; i++) {
			sdnfv_pkt_parse(fr->data[j], fr->len[j], &info);
			if (with_key) {
				sdnfv_pkt_key_build(fr->data[j], &info, &key);
				acc += key.sport + key.src.u64[0] + key.proto;
			} else {
				acc += info.sport + info.l4_off + info.flags;
			}
			if (++j == fr->n)
				j = 0;
		}
		t1 = rte_rdtsc_precise();
		sink += acc;
		runs[r] = (t1 - t0) * 1000 / iters; /* milli-ticks: keeps a decimal */
	}
	return median(runs, RUNS) / 1000;
}

static double
run_peer(const struct frames *fr)
{
	static struct rte_mbuf mb[MAX_FRAMES];
	uint64_t runs[RUNS];

	for (unsigned int k = 0; k < fr->n; k++) {
		memset(&mb[k], 0, sizeof(mb[k]));
		mb[k].buf_addr = fr->data[k];
		mb[k].data_off = 0;
		mb[k].data_len = fr->len[k];
		mb[k].pkt_len = fr->len[k];
		mb[k].buf_len = fr->len[k];
		mb[k].nb_segs = 1;
	}
	for (unsigned int r = 0; r < RUNS; r++) {
		struct rte_net_hdr_lens hl;
		uint64_t acc = 0, t0, t1;
		unsigned int j = 0;

		t0 = rte_rdtsc_precise();
		for (unsigned int i = 0; i < iters; i++) {
			acc += rte_net_get_ptype(&mb[j], &hl, RTE_PTYPE_ALL_MASK) + hl.l3_len;
			if (++j == fr->n)
				j = 0;
		}
		t1 = rte_rdtsc_precise();
		sink += acc;
		runs[r] = (t1 - t0) * 1000 / iters;
	}
	return median(runs, RUNS) / 1000;
}

static void
one_frame(struct frames *fr, int ipv, int proto)
{
	static uint8_t buf[4][256];
	static unsigned int next;
	uint8_t *d = buf[next++ % 4];

	fr->n = 1;
	fr->data[0] = d;
	fr->len[0] = build(d, ipv, proto);
}

static int
load_capture(struct frames *fr, const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, err);

	fr->n = 0;
	if (pc == NULL)
		return -1;
	while (fr->n < MAX_FRAMES && pcap_next_ex(pc, &h, &data) == 1) {
		fr->data[fr->n] = malloc(h->caplen ? h->caplen : 1);
		memcpy(fr->data[fr->n], data, h->caplen);
		fr->len[fr->n] = h->caplen;
		fr->n++;
	}
	pcap_close(pc);
	return fr->n > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static struct frames fr;
	char path[1024];
	const char *dir = getenv("SDNFV_SHARED_PCAPS");
	const char *root = getenv("SDNFV_SOURCE_ROOT");
	double ours, peer;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0)
		iters = 20000;

	one_frame(&fr, 4, 6);
	ours = run_ours(&fr, true);
	peer = run_peer(&fr);
	printf("bench: pkt_parse_tcp4 %.1f cycles\n", ours);
	printf("bench: pkt_parse_tcp4 ratio %.2f vs rte_net_get_ptype\n", peer / ours);
	printf("bench: rte_net_get_ptype_tcp4 %.1f cycles\n", peer);
	/* The parse alone, closer to what the peer does (it builds no key). */
	ours = run_ours(&fr, false);
	printf("bench: pkt_parse_only_tcp4 %.1f cycles\n", ours);
	printf("bench: pkt_parse_only_tcp4 ratio %.2f vs rte_net_get_ptype\n", peer / ours);

	one_frame(&fr, 4, 17);
	printf("bench: pkt_parse_udp4 %.1f cycles\n", run_ours(&fr, true));
	one_frame(&fr, 6, 6);
	ours = run_ours(&fr, true);
	peer = run_peer(&fr);
	printf("bench: pkt_parse_tcp6 %.1f cycles\n", ours);
	printf("bench: pkt_parse_tcp6 ratio %.2f vs rte_net_get_ptype\n", peer / ours);

	snprintf(path, sizeof(path), "%s/tcpreplay_test.pcap", dir ? dir : "../shared/pcaps");
	if (load_capture(&fr, path) < 0) {
		snprintf(path, sizeof(path), "%s/tests/pkt/data/kernel.pcap", root ? root : ".");
		if (load_capture(&fr, path) < 0) {
			fprintf(stderr, "bench_pkt: no capture for the mix\n");
			return 1;
		}
	}
	ours = run_ours(&fr, true);
	peer = run_peer(&fr);
	printf("bench: pkt_parse_mix %.1f cycles\n", ours);
	printf("bench: pkt_parse_mix ratio %.2f vs rte_net_get_ptype\n", peer / ours);
	fprintf(stderr,
		"mix: %u frames of %s; cycles are TSC ticks per packet, medians of %d runs "
		"of %u packets\n",
		fr.n, path, RUNS, iters);
	return 0;
}
