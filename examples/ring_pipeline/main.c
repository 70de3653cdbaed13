/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_pipeline: packets from a port through the pool and ring layers and back out, zero copy.
 *
 *   port RX (lcore A) -> ring "pipe_rx" -> parse + classify (lcore B) -> ring "pipe_tx" -> port TX (lcore A)
 *
 * Every packet lands once in the socket-local pool of the port and is never copied: the stages
 * pass mbuf pointers over single-producer/single-consumer rings. The classify stage parses each
 * packet (pkt layer), builds its 5-tuple and connection key, counts flows, and records its decision
 * in the packet's metadata. At the end the program prints what it saw and proves that every mbuf
 * went back to the pool. With one lcore, the stages run in turn on that lcore.
 *
 * usage: ring_pipeline <EAL args> [-- --burst N --top N]
 *   e.g. ring_pipeline --no-pci --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap -l 0,1
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <sdnfv/sdnfv.h>

#define MAX_BURST       64
#define RING_SIZE       1024
#define FLOW_TABLE_SIZE 65536
#define PREFETCH_AHEAD  4
#define IDLE_MS         300 /* a pcap port that delivered nothing for this long is done */

struct flow_stat {
	struct sdnfv_pkt_key key;
	uint64_t pkts, bytes;
};

/* What the classify stage saw; written by that lcore only, read after it stopped. */
struct classify_stats {
	uint64_t pkts, bytes, vlan, frag, frag_later, v6ext, padded;
	uint64_t l3[3];   /* ipv4, ipv6, other */
	uint64_t l4[256]; /* by IP protocol, packets with an L4 header */
	uint64_t err[SDNFV_PKT_ERR__COUNT];
	uint64_t parse_cycles, account_cycles;
};

struct app {
	uint16_t port;
	char port_name[RTE_ETH_NAME_MAX_LEN];
	unsigned int burst, top;
	struct sdnfv_pool *pool;
	struct sdnfv_ring *rx_ring, *tx_ring;
	struct rte_hash *flows, *conns;
	struct flow_stat *flow_stats;
	struct classify_stats cls;
	/* Progress counters, each written by one lcore, read by the other. */
	volatile uint64_t rx_pkts, rx_bytes, tx_pkts, drop_ring_full, drop_tx, classified;
	volatile bool rx_done, stop;
};

static volatile bool quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

/* Pass 1 over a burst: parse, count protocols, build the key. Returns 1 when a key was built. */
static int
parse_one(struct classify_stats *s, struct rte_mbuf *m, struct sdnfv_pkt_key *key)
{
	struct sdnfv_pkt_info info;

	s->pkts++;
	s->bytes += rte_pktmbuf_pkt_len(m);
	if (sdnfv_pkt_parse_mbuf(m, &info) != 0)
		s->err[info.err]++;
	s->vlan += info.n_vlan > 0;
	s->padded += (info.flags & SDNFV_PKT_F_PADDED) != 0;
	if (info.l3 == SDNFV_PKT_L3_OTHER) {
		s->l3[2]++;
	} else if (info.flags & SDNFV_PKT_F_L3) {
		s->l3[info.l3 == SDNFV_PKT_L3_IPV4 ? 0 : 1]++;
		s->frag += (info.flags & SDNFV_PKT_F_FRAG) != 0;
		s->frag_later += (info.flags & SDNFV_PKT_F_FRAG_LATER) != 0;
		s->v6ext += (info.flags & SDNFV_PKT_F_IPV6_EXT) != 0;
		if (info.flags & SDNFV_PKT_F_L4)
			s->l4[info.l4_proto]++;
	}
	return sdnfv_pkt_key_build(rte_pktmbuf_mtod(m, const void *), &info, key) == 0;
}

/* Pass 2: count the flow (every packet with an IP header) and its connection (both directions as
 * one), and record the decision in the packet's metadata. */
static void
account_one(struct app *a, struct rte_mbuf *m, struct sdnfv_pkt_key *key, int has_key)
{
	int32_t slot;

	sdnfv_meta_reset(m);
	sdnfv_meta_set_action(m, SDNFV_ACT_PORT, a->port);
	if (!has_key)
		return;
	slot = rte_hash_lookup(a->flows, key);
	if (slot < 0) {
		slot = rte_hash_add_key(a->flows, key);
		if (slot >= 0)
			a->flow_stats[slot].key = *key;
	}
	if (slot >= 0) {
		a->flow_stats[slot].pkts++;
		a->flow_stats[slot].bytes += rte_pktmbuf_pkt_len(m);
		sdnfv_meta_get(m)->flow_id = (uint32_t)slot;
	}
	sdnfv_pkt_key_symmetric(key);
	if (rte_hash_lookup(a->conns, key) < 0)
		rte_hash_add_key(a->conns, key);
}

/* Classify stage: pipe_rx -> parse, count, mark -> pipe_tx, a burst at a time in two passes. */
static void
classify_burst(struct app *a)
{
	struct rte_mbuf *pkts[MAX_BURST];
	struct sdnfv_pkt_key keys[MAX_BURST];
	int has_key[MAX_BURST];
	unsigned int n, i, done;
	uint64_t t0, t1;

	/* Take no more than pipe_tx can take: we are its only producer, so its room only grows,
	 * and this stage never has to wait (it may share its lcore with the TX stage). */
	n = RTE_MIN(a->burst, sdnfv_ring_free_count(a->tx_ring));
	n = sdnfv_ring_sc_dequeue_burst(a->rx_ring, (void **)pkts, n, NULL);
	if (n == 0)
		return;
	t0 = rte_rdtsc();
	/* The packets were written by the RX lcore: fetch their headers a few packets ahead. */
	for (i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		has_key[i] = parse_one(&a->cls, pkts[i], &keys[i]);
	}
	t1 = rte_rdtsc();
	for (i = 0; i < n; i++)
		account_one(a, pkts[i], &keys[i], has_key[i]);
	a->cls.parse_cycles += t1 - t0;
	a->cls.account_cycles += rte_rdtsc() - t1;
	done = sdnfv_ring_sp_enqueue_burst(a->tx_ring, (void **)pkts, n, NULL);
	RTE_VERIFY(done == n); /* room was checked above */
	a->classified += n;
}

static int
classify_lcore(void *arg)
{
	struct app *a = (struct app *)arg;

	while (!a->stop)
		classify_burst(a);
	return 0;
}

/* RX and TX stages, on the main lcore. Returns the number of packets received. */
static unsigned int
io_burst(struct app *a)
{
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned int n, q, sent;

	n = rte_eth_rx_burst(a->port, 0, pkts, a->burst);
	if (n > 0) {
		for (q = 0; q < n; q++)
			a->rx_bytes += rte_pktmbuf_pkt_len(pkts[q]);
		a->rx_pkts += n;
		q = sdnfv_ring_sp_enqueue_burst(a->rx_ring, (void **)pkts, n, NULL);
		if (q <
		    n) { /* the classify stage is behind: drop here, before any work, and count */
			rte_pktmbuf_free_bulk(pkts + q, n - q);
			a->drop_ring_full += n - q;
		}
	}
	q = sdnfv_ring_sc_dequeue_burst(a->tx_ring, (void **)pkts, a->burst, NULL);
	if (q > 0) {
		sent = rte_eth_tx_burst(a->port, 0, pkts, q);
		if (sent < q) {
			rte_pktmbuf_free_bulk(pkts + sent, q - sent);
			a->drop_tx += q - sent;
		}
		a->tx_pkts += sent;
	}
	return n;
}

static int
port_init(struct app *a, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(a->port, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(a->port, 0, 512, rte_eth_dev_socket_id(a->port), NULL,
					     mp);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(a->port, 0, 512, rte_eth_dev_socket_id(a->port), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(a->port);
	if (ret != 0)
		fprintf(stderr, "ring_pipeline: port %u setup failed: %s\n", a->port,
			strerror(-ret));
	return ret;
}

static int
cmp_flow(const void *x, const void *y)
{
	const struct flow_stat *a = *(const struct flow_stat *const *)x;
	const struct flow_stat *b = *(const struct flow_stat *const *)y;

	return (a->pkts < b->pkts) - (a->pkts > b->pkts);
}

static void
print_key(const struct sdnfv_pkt_key *k)
{
	char s[64], d[64];
	int v4 = k->family == SDNFV_PKT_L3_IPV4;

	inet_ntop(v4 ? AF_INET : AF_INET6, &k->src, s, sizeof(s));
	inet_ntop(v4 ? AF_INET : AF_INET6, &k->dst, d, sizeof(d));
	printf("%s %s%s%s:%u -> %s%s%s:%u",
	       k->proto == 6    ? "tcp"
	       : k->proto == 17 ? "udp"
	       : k->proto == 1  ? "icmp"
	       : k->proto == 58 ? "icmp6"
				: "ip",
	       v4 ? "" : "[", s, v4 ? "" : "]", rte_be_to_cpu_16(k->sport), v4 ? "" : "[", d,
	       v4 ? "" : "]", rte_be_to_cpu_16(k->dport));
}

static void
print_summary(struct app *a, unsigned int n_lcores, int socket)
{
	const struct classify_stats *s = &a->cls;
	static const struct {
		uint8_t proto;
		const char *name;
	} l4[] = { { 6, "tcp" }, { 17, "udp" }, { 1, "icmp" }, { 58, "icmpv6" }, { 132, "sctp" } };
	uint64_t errs = 0, other_l4 = 0, shown = 0;
	const struct flow_stat **order;
	unsigned int i, n_flows = 0;
	const void *k;
	void *d;
	uint32_t it = 0;
	int32_t pos;

	printf("ring_pipeline: %" PRIu64 " packets (%" PRIu64 " bytes) in from port %u (%s), "
	       "%" PRIu64 " out\n",
	       a->rx_pkts, a->rx_bytes, a->port, a->port_name, a->tx_pkts);
	printf("  path: rx (lcore %u) -> ring %s -> classify (lcore %u) -> ring %s -> tx (lcore %u); "
	       "pool and rings on socket %d\n",
	       rte_get_main_lcore(), sdnfv_ring_name(a->rx_ring),
	       n_lcores > 1 ? rte_get_next_lcore(rte_get_main_lcore(), 1, 0) : rte_get_main_lcore(),
	       sdnfv_ring_name(a->tx_ring), rte_get_main_lcore(), socket);
	printf("  l3: ipv4 %" PRIu64 ", ipv6 %" PRIu64 ", other ethertypes %" PRIu64 "\n", s->l3[0],
	       s->l3[1], s->l3[2]);
	printf("  l4:");
	for (i = 0; i < RTE_DIM(l4); i++)
		printf(" %s %" PRIu64 ",", l4[i].name, s->l4[l4[i].proto]);
	for (i = 0; i < 256; i++)
		other_l4 += s->l4[i];
	for (i = 0; i < RTE_DIM(l4); i++)
		other_l4 -= s->l4[l4[i].proto];
	printf(" other %" PRIu64 "\n", other_l4);
	printf("  vlan-tagged %" PRIu64 ", fragments %" PRIu64 " (non-first %" PRIu64 "), "
	       "ipv6 extension headers %" PRIu64 ", padded %" PRIu64 "\n",
	       s->vlan, s->frag, s->frag_later, s->v6ext, s->padded);
	for (i = 0; i < SDNFV_PKT_ERR__COUNT; i++)
		errs += s->err[i];
	printf("  malformed %" PRIu64, errs);
	for (i = 1; i < SDNFV_PKT_ERR__COUNT; i++)
		if (s->err[i] != 0)
			printf("%s%s: %" PRIu64, shown++ ? ", " : " (", sdnfv_pkt_strerror((int)i),
			       s->err[i]);
	printf("%s\n", shown ? ")" : "");

	order = calloc(FLOW_TABLE_SIZE, sizeof(*order));
	while (order != NULL && (pos = rte_hash_iterate(a->flows, &k, &d, &it)) >= 0)
		order[n_flows++] = &a->flow_stats[pos];
	printf("  flows %u, connections (both directions as one) %d\n", n_flows,
	       rte_hash_count(a->conns));
	if (order != NULL) {
		qsort(order, n_flows, sizeof(*order), cmp_flow);
		for (i = 0; i < n_flows && i < a->top; i++) {
			printf("    %6" PRIu64 " pkts %8" PRIu64 " bytes  ", order[i]->pkts,
			       order[i]->bytes);
			print_key(&order[i]->key);
			printf("\n");
		}
		free(order);
	}
	printf("  classify cycles/packet: parse + key %.1f, flow accounting (rte_hash) %.1f\n",
	       s->pkts ? (double)s->parse_cycles / (double)s->pkts : 0.0,
	       s->pkts ? (double)s->account_cycles / (double)s->pkts : 0.0);
	printf("  drops: ring full %" PRIu64 ", tx %" PRIu64 "\n", a->drop_ring_full, a->drop_tx);
	printf("  pool: %d mbufs in use at exit\n", sdnfv_pool_in_use(a->pool, -1));
}

static int
parse_args(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "burst", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->burst = 32;
	a->top = 5;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long v = strtoul(optarg != NULL ? optarg : "", &end, 10);

		if (c == '?' || *end != '\0' || (c == 'b' && (v == 0 || v > MAX_BURST))) {
			fprintf(stderr,
				"usage: ring_pipeline <EAL args> -- [--burst 1..%d] [--top N]\n",
				MAX_BURST);
			return -1;
		}
		if (c == 'b')
			a->burst = (unsigned int)v;
		else
			a->top = (unsigned int)v;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct sdnfv_numa *numa = NULL;
	struct sdnfv_pool_params pp = {
		.sz = sizeof(pp), .name = "pipeline", .n_mbufs = 8191, .cache_size = 256
	};
	struct rte_hash_parameters hp = { .entries = FLOW_TABLE_SIZE,
					  .key_len = sizeof(struct sdnfv_pkt_key) };
	unsigned int worker = RTE_MAX_LCORE, n_lcores;
	uint64_t idle_since = 0, hz;
	int ret, socket;

	/* The topology first: rte_eal_init() pins this thread, and discovery reads its CPU mask. */
	if (sdnfv_numa_discover(&numa) != 0) {
		fprintf(stderr, "ring_pipeline: cannot discover the CPU topology\n");
		return 1;
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "ring_pipeline: EAL init failed\n");
		return 1;
	}
	if (parse_args(&a, argc - ret, argv + ret) != 0)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = 1;
	if (rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "ring_pipeline: no port; give one, e.g. "
				"--vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap\n");
		goto out;
	}
	RTE_ETH_FOREACH_DEV(a.port)
	break;
	rte_eth_dev_get_name_by_port(a.port, a.port_name);

	/* Pool and rings on the port's socket, so the packets stay local to it. */
	socket = sdnfv_numa_port_socket(numa, a.port);
	pp.sockets = &socket;
	pp.n_sockets = 1;
	if (sdnfv_pool_create(&pp, &a.pool) != 0 ||
	    sdnfv_ring_create("pipe_rx", RING_SIZE, socket, 0, &a.rx_ring) != 0 ||
	    sdnfv_ring_create("pipe_tx", RING_SIZE, socket, 0, &a.tx_ring) != 0)
		goto out;
	hp.name = "pipe_flows";
	hp.socket_id = socket;
	a.flows = rte_hash_create(&hp);
	hp.name = "pipe_conns";
	a.conns = rte_hash_create(&hp);
	a.flow_stats = calloc(FLOW_TABLE_SIZE, sizeof(*a.flow_stats));
	if (a.flows == NULL || a.conns == NULL || a.flow_stats == NULL)
		goto out;
	if (port_init(&a, sdnfv_pool_mempool(a.pool, socket)) != 0)
		goto out;

	n_lcores = rte_lcore_count();
	if (n_lcores > 1) {
		worker = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
		rte_eal_remote_launch(classify_lcore, &a, worker);
	}

	hz = rte_get_timer_hz();
	while (!quit) {
		unsigned int n = io_burst(&a);

		if (worker == RTE_MAX_LCORE)
			classify_burst(&a);
		if (n > 0) {
			idle_since = 0;
		} else if (idle_since == 0) {
			idle_since = rte_get_timer_cycles();
		} else if (rte_get_timer_cycles() - idle_since > hz * IDLE_MS / 1000 &&
			   a.classified == a.rx_pkts - a.drop_ring_full &&
			   a.tx_pkts + a.drop_tx == a.classified) {
			break; /* the input ran dry and every packet went through */
		}
	}
	a.stop = true;
	if (worker != RTE_MAX_LCORE)
		rte_eal_wait_lcore(worker);
	/* A stop by signal may leave packets in the rings: they go back to the pool. */
	{
		struct rte_mbuf *m[MAX_BURST];
		unsigned int n;

		while ((n = sdnfv_ring_sc_dequeue_burst(a.rx_ring, (void **)m, MAX_BURST, NULL)) >
		       0)
			rte_pktmbuf_free_bulk(m, n);
		while ((n = sdnfv_ring_sc_dequeue_burst(a.tx_ring, (void **)m, MAX_BURST, NULL)) >
		       0)
			rte_pktmbuf_free_bulk(m, n);
	}
	rte_eth_dev_stop(a.port); /* flushes a pcap port's output file */
	rte_eth_dev_close(a.port);
	print_summary(&a, n_lcores, socket);
	ret = sdnfv_pool_in_use(a.pool, -1) == 0 && a.drop_tx == 0 ? 0 : 1;
out:
	rte_hash_free(a.flows);
	rte_hash_free(a.conns);
	free(a.flow_stats);
	sdnfv_ring_free(a.rx_ring);
	sdnfv_ring_free(a.tx_ring);
	sdnfv_pool_free(a.pool);
	sdnfv_numa_free(numa);
	rte_eal_cleanup();
	return ret;
}
