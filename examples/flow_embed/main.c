/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow_embed: the libsdnfv flow table inside a plain DPDK application — no manager, no NFs.
 *
 * Every packet received on any port is looked up in the flow table (parse, key, exact-match
 * cache, rules on a miss) and then forwarded out of the port its rule names, or dropped. Rules
 * come from a file in ovs-ofctl syntax. At the end the program prints each rule's counters, the
 * table misses, and the cache's hit rate.
 *
 * usage: flow_embed <EAL args> -- --rules FILE [--max-flows N] [--burst N]
 *   e.g. flow_embed --no-pci --in-memory -l 0 \
 *          --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out0.pcap \
 *          --vdev=net_pcap1,rx_pcap=empty.pcap,tx_pcap=out1.pcap -- --rules rules.txt
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
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <sdnfv/flow.h>

#define MAX_BURST SDNFV_FLOW_BURST_MAX
#define IDLE_MS   300 /* pcap ports that delivered nothing for this long are done */

struct port_out {
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned int n;
};

struct app {
	const char *rules;
	uint32_t max_flows;
	unsigned int burst;
	uint16_t n_ports;
	struct port_out *out; /* [RTE_MAX_ETHPORTS] */
	uint64_t rx, tx, dropped_by_rule, table_miss, not_forwarded, tx_failed, cache_hits;
};

static volatile bool quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static int
parse_args(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "max-flows", required_argument, NULL, 'f' },
		{ "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->max_flows = 65536;
	a->burst = 32;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		unsigned long v = optarg != NULL ? strtoul(optarg, &end, 10) : 0;

		if (c == 'r') {
			a->rules = optarg;
		} else if (c == 'f' && *end == '\0') {
			a->max_flows = (uint32_t)v;
		} else if (c == 'b' && *end == '\0' && v > 0 && v <= MAX_BURST) {
			a->burst = (unsigned int)v;
		} else {
			c = '?';
		}
		if (c == '?')
			break;
	}
	if (c == '?' || a->rules == NULL) {
		fprintf(stderr,
			"usage: flow_embed <EAL args> -- --rules FILE [--max-flows N] "
			"[--burst 1..%d]\n",
			MAX_BURST);
		return -1;
	}
	return 0;
}

static int
ports_init(struct app *a, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t port;

	memset(&conf, 0, sizeof(conf));
	RTE_ETH_FOREACH_DEV(port)
	{
		int ret = rte_eth_dev_configure(port, 1, 1, &conf);

		if (ret == 0)
			ret = rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port),
						     NULL, mp);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port),
						     NULL);
		if (ret == 0)
			ret = rte_eth_dev_start(port);
		if (ret != 0) {
			fprintf(stderr, "flow_embed: port %u: %s\n", port, strerror(-ret));
			return ret;
		}
		a->n_ports++;
	}
	return a->n_ports > 0 ? 0 : -ENODEV;
}

static void
flush(struct app *a, uint16_t port)
{
	struct port_out *o = &a->out[port];
	unsigned int sent;

	if (o->n == 0)
		return;
	sent = rte_eth_tx_burst(port, 0, o->pkts, (uint16_t)o->n);
	if (sent < o->n) {
		rte_pktmbuf_free_bulk(o->pkts + sent, o->n - sent);
		a->tx_failed += o->n - sent;
	}
	a->tx += sent;
	o->n = 0;
}

/* One burst from one port: look up, then forward or drop each packet. */
static unsigned int
process(struct app *a, struct sdnfv_flow_reader *r, uint16_t port)
{
	struct rte_mbuf *pkts[MAX_BURST];
	struct sdnfv_flow_result res[MAX_BURST];
	uint64_t hits = 0;
	unsigned int n, i;

	n = rte_eth_rx_burst(port, 0, pkts, (uint16_t)a->burst);
	if (n == 0)
		return 0;
	a->rx += n;
	sdnfv_flow_lookup_mbufs(r, pkts, n, SDNFV_FLOW_LOOKUP_LEARN, res, NULL, &hits);
	a->cache_hits += (uint64_t)__builtin_popcountll(hits);
	for (i = 0; i < n; i++) {
		const struct sdnfv_flow_action *act = res[i].action;

		if (act == NULL) {
			a->table_miss++; /* no rule and no controller here: drop */
		} else if (act->type == SDNFV_FLOW_ACT_PORT &&
			   rte_eth_dev_is_valid_port(act->arg)) {
			struct port_out *o = &a->out[act->arg];

			o->pkts[o->n++] = pkts[i];
			if (o->n == MAX_BURST)
				flush(a, act->arg);
			continue;
		} else if (act->type == SDNFV_FLOW_ACT_DROP) {
			a->dropped_by_rule++;
		} else {
			a->not_forwarded++; /* service, controller, user, or a port that is not there */
		}
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

static int
print_rule(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *st)
{
	char text[512];

	(void)arg;
	sdnfv_flow_rule_format(rule, text, sizeof(text));
	printf("  %10" PRIu64 " packets %12" PRIu64 " bytes  %s\n", st->packets, st->bytes, text);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct port_out out[RTE_MAX_ETHPORTS];
	struct app a = { .out = out };
	struct sdnfv_flow_table_params tp = { .sz = sizeof(tp),
					      .name = "embed",
					      .socket_id = SOCKET_ID_ANY,
					      .max_rules = 65536,
					      .max_readers = 1 };
	struct sdnfv_flow_table *table = NULL;
	struct sdnfv_flow_reader *reader = NULL;
	struct sdnfv_flow_table_info info;
	struct rte_mempool *mp = NULL;
	uint64_t hz, last_rx, last_maintain;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "flow_embed: EAL init failed\n");
		return 1;
	}
	if (parse_args(&a, argc - ret, argv + ret) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	ret = 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tp.max_flows = a.max_flows;
	/* The application's own packet pool: the flow table needs nothing from libsdnfv's others. */
	mp = rte_pktmbuf_pool_create("flow_embed", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL || ports_init(&a, mp) != 0 || sdnfv_flow_table_create(&tp, &table) != 0 ||
	    sdnfv_flow_reader_register(table, &reader) != 0)
		goto out;
	ret = sdnfv_flow_load_file(table, a.rules);
	if (ret < 0) {
		fprintf(stderr, "flow_embed: %s: not loaded (see the log line above)\n", a.rules);
		ret = 1;
		goto out;
	}
	printf("flow_embed: %d rules from %s, %u ports, flow cache of %u\n", ret, a.rules,
	       a.n_ports, a.max_flows);

	/* One thread is reader and writer: it looks up, and every millisecond it maintains the
	 * table (learns the flows it asked for, expires idle ones and timed-out rules). */
	hz = rte_get_timer_hz();
	last_rx = last_maintain = rte_get_timer_cycles();
	while (!quit) {
		uint64_t now = rte_get_timer_cycles();
		unsigned int got = 0;
		uint16_t port;

		RTE_ETH_FOREACH_DEV(port)
		got += process(&a, reader, port);
		RTE_ETH_FOREACH_DEV(port)
		flush(&a, port);
		sdnfv_flow_reader_quiescent(reader);
		if (got > 0)
			last_rx = now;
		else if (now - last_rx > hz * IDLE_MS / 1000)
			break; /* pcap inputs are exhausted */
		if (now - last_maintain > hz / 1000) {
			sdnfv_flow_maintain(table, 0);
			last_maintain = now;
		}
	}

	printf("flow_embed: %" PRIu64 " packets in, %" PRIu64 " out, %" PRIu64
	       " dropped by rule, %" PRIu64 " with no rule, %" PRIu64 " not forwarded, %" PRIu64
	       " refused by the port\n",
	       a.rx, a.tx, a.dropped_by_rule, a.table_miss, a.not_forwarded, a.tx_failed);
	sdnfv_flow_table_info(table, &info);
	printf("flow cache: %.1f%% hits, %u flows cached, %u bytes per flow\n",
	       a.rx ? 100.0 * (double)a.cache_hits / (double)a.rx : 0.0, info.flows,
	       info.bytes_per_flow);
	printf("rules:\n");
	sdnfv_flow_foreach(table, NULL, print_rule, NULL);
	ret = 0;
out:
	if (a.n_ports > 0) {
		uint16_t port;

		RTE_ETH_FOREACH_DEV(port)
		{
			rte_eth_dev_stop(port); /* flushes a pcap port's output file */
			rte_eth_dev_close(port);
		}
	}
	sdnfv_flow_reader_unregister(reader);
	sdnfv_flow_table_free(table);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return ret;
}
