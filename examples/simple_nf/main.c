/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * simple_nf: a small configurable network function, the NF SDK's example. One process runs one
 * NF, or a group of NFs in one thread (--group). Each NF does one action:
 *
 *   count            count packets and bytes; every packet goes to the next hop
 *   ttl              decrement the IPv4 TTL / IPv6 hop limit (checksum updated); drop at 0
 *   dscp=N           set the DSCP of IPv4/IPv6 packets to N (checksum updated)
 *   drop-proto=N     drop packets of IP protocol N, pass the rest
 *   hold             hold every packet and give it back on the next idle call (the hold verdict)
 *   redirect=S@N     after N packets of a flow, ask the manager to send the rest of the flow to
 *                    service S instead of the next hop (smart data plane)
 *   skip@N           after N packets of a flow, ask the manager to skip this NF for the flow
 *   busy=N           spend N TSC cycles per packet (a slow NF, for overload tests)
 *
 * usage: simple_nf <EAL args> -- --service NAME [--action A] [--name N] [--sleep] [--report]
 *                                 [--flow-log FILE]
 *        simple_nf <EAL args> -- --group SERVICE:ACTION[,SERVICE:ACTION...] [--sleep]
 * The EAL args need the manager's --file-prefix and an lcore id of this process's own
 * (--lcores=<id>@<cpu>). Stop with SIGINT/SIGTERM (graceful: nothing is lost) or let the
 * manager stop it.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <sdnfv/sdnfv.h>

#define MAX_GROUP  8
#define FLOW_SLOTS 65536 /* per-flow packet counts for redirect/skip, open addressing */

enum action { A_COUNT, A_TTL, A_DSCP, A_DROP_PROTO, A_HOLD, A_REDIRECT, A_SKIP, A_BUSY };

struct flow_count {
	uint32_t flow_id;
	uint32_t packets; /* 0: free */
	uint64_t first_tsc, last_tsc;
};

struct nf_ctx {
	char service[SDNFV_SERVICE_NAME_MAX + 1];
	char name[SDNFV_NF_NAME_MAX + 1];
	char target[SDNFV_SERVICE_NAME_MAX + 1];
	enum action action;
	unsigned int arg;
	int target_id;
	bool report;
	FILE *flow_log;
	uint64_t pkts, bytes, dropped, changed, requests;
	struct flow_count *flows;
	struct rte_mbuf *held[1024];
	unsigned int n_held;
};

static int
parse_action(struct nf_ctx *c, const char *a)
{
	char *end;
	const char *at;

	if (strcmp(a, "count") == 0) {
		c->action = A_COUNT;
	} else if (strcmp(a, "ttl") == 0) {
		c->action = A_TTL;
	} else if (strcmp(a, "hold") == 0) {
		c->action = A_HOLD;
	} else if (strncmp(a, "dscp=", 5) == 0) {
		c->action = A_DSCP;
		c->arg = (unsigned int)strtoul(a + 5, &end, 10);
		if (*end != '\0' || end == a + 5 || c->arg > 63)
			return -EINVAL;
	} else if (strncmp(a, "drop-proto=", 11) == 0) {
		c->action = A_DROP_PROTO;
		c->arg = (unsigned int)strtoul(a + 11, &end, 10);
		if (*end != '\0' || end == a + 11 || c->arg > 255)
			return -EINVAL;
	} else if (strncmp(a, "redirect=", 9) == 0 && (at = strchr(a, '@')) != NULL) {
		c->action = A_REDIRECT;
		if (at - (a + 9) < 1 || at - (a + 9) > SDNFV_SERVICE_NAME_MAX)
			return -EINVAL;
		memcpy(c->target, a + 9, (size_t)(at - (a + 9)));
		c->arg = (unsigned int)strtoul(at + 1, &end, 10);
		if (*end != '\0' || end == at + 1)
			return -EINVAL;
	} else if (strncmp(a, "busy=", 5) == 0) {
		c->action = A_BUSY;
		c->arg = (unsigned int)strtoul(a + 5, &end, 10);
		if (*end != '\0' || end == a + 5)
			return -EINVAL;
	} else if (strncmp(a, "skip@", 5) == 0) {
		c->action = A_SKIP;
		c->arg = (unsigned int)strtoul(a + 5, &end, 10);
		if (*end != '\0' || end == a + 5)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* The packet count of a flow, after this packet. */
static uint32_t
flow_bump(struct nf_ctx *c, uint32_t flow_id, uint64_t tsc)
{
	uint32_t i = flow_id % FLOW_SLOTS, n;

	for (n = 0; n < FLOW_SLOTS; n++, i = (i + 1) % FLOW_SLOTS) {
		if (c->flows[i].packets == 0) {
			c->flows[i].flow_id = flow_id;
			c->flows[i].first_tsc = tsc;
		}
		if (c->flows[i].flow_id == flow_id) {
			c->flows[i].last_tsc = tsc;
			return ++c->flows[i].packets;
		}
	}
	return 0; /* table full: no more path changes */
}

static struct rte_ipv4_hdr *
ipv4_of(struct rte_mbuf *m, struct sdnfv_pkt_info *info)
{
	if (sdnfv_pkt_parse_mbuf(m, info) < 0 && info->l3 == SDNFV_PKT_L3_NONE)
		return NULL;
	if (info->l3 != SDNFV_PKT_L3_IPV4 || rte_pktmbuf_data_len(m) < info->l3_off + 20u)
		return NULL;
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, info->l3_off);
}

static struct rte_ipv6_hdr *
ipv6_of(struct rte_mbuf *m, const struct sdnfv_pkt_info *info)
{
	if (info->l3 != SDNFV_PKT_L3_IPV6 || rte_pktmbuf_data_len(m) < info->l3_off + 40u)
		return NULL;
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, info->l3_off);
}

static void
handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct nf_ctx *c = arg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sdnfv_pkt_info info;
		struct rte_ipv4_hdr *ip4;
		struct rte_ipv6_hdr *ip6;

		c->pkts++;
		c->bytes += m->pkt_len;
		sdnfv_nf_next(m);
		if (c->flow_log != NULL && c->action != A_REDIRECT && c->action != A_SKIP)
			flow_bump(c, sdnfv_meta_get(m)->flow_id, rte_rdtsc());
		switch (c->action) {
		case A_COUNT:
			break;
		case A_BUSY: {
			/* A slow NF: spend `arg` TSC cycles on the packet. */
			uint64_t until = rte_rdtsc() + c->arg;

			while (rte_rdtsc() < until)
				rte_pause();
			break;
		}
		case A_TTL:
			ip4 = ipv4_of(m, &info);
			ip6 = ipv6_of(m, &info);
			if (ip4 != NULL) {
				if (ip4->time_to_live <= 1) {
					sdnfv_nf_drop(m);
					c->dropped++;
					break;
				}
				ip4->time_to_live--;
				ip4->hdr_checksum = 0;
				ip4->hdr_checksum = rte_ipv4_cksum(ip4);
				c->changed++;
			} else if (ip6 != NULL) {
				if (ip6->hop_limits <= 1) {
					sdnfv_nf_drop(m);
					c->dropped++;
					break;
				}
				ip6->hop_limits--;
				c->changed++;
			}
			break;
		case A_DSCP:
			ip4 = ipv4_of(m, &info);
			ip6 = ipv6_of(m, &info);
			if (ip4 != NULL) {
				ip4->type_of_service =
					(uint8_t)((c->arg << 2) | (ip4->type_of_service & 3));
				ip4->hdr_checksum = 0;
				ip4->hdr_checksum = rte_ipv4_cksum(ip4);
				c->changed++;
			} else if (ip6 != NULL) {
				uint32_t f = rte_be_to_cpu_32(ip6->vtc_flow);

				f = (f & ~(0x3fu << 22)) | (c->arg << 22);
				ip6->vtc_flow = rte_cpu_to_be_32(f);
				c->changed++;
			}
			break;
		case A_DROP_PROTO:
			if (sdnfv_pkt_parse_mbuf(m, &info) == 0 && info.l4_proto == c->arg) {
				sdnfv_nf_drop(m);
				c->dropped++;
			}
			break;
		case A_HOLD:
			/* Hold what fits; the rest passes (until the next idle call releases). */
			if (c->n_held < RTE_DIM(c->held)) {
				sdnfv_nf_hold(m);
				c->held[c->n_held++] = m;
			}
			break;
		case A_REDIRECT:
		case A_SKIP:
			if (flow_bump(c, sdnfv_meta_get(m)->flow_id, rte_rdtsc()) == c->arg) {
				int ret = c->action == A_SKIP
						  ? sdnfv_nf_path_change(nf, m, SDNFV_PATH_SKIP, 0)
						  : sdnfv_nf_path_change(nf, m, SDNFV_PATH_REDIRECT,
									 (uint16_t)c->target_id);
				if (ret == 0)
					c->requests++;
			}
			break;
		}
	}
}

static void
release_held(struct sdnfv_nf *nf, struct nf_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->n_held; i++) {
		sdnfv_nf_next(c->held[i]);
		if (sdnfv_nf_release(nf, c->held[i]) < 0)
			fprintf(stderr, "%s: release failed\n", c->name);
	}
	c->n_held = 0;
}

static void
idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg)
{
	(void)now_ns;
	release_held(nf, arg);
}

static int
setup(struct sdnfv_nf *nf, void *arg)
{
	struct nf_ctx *c = arg;

	if (c->action == A_REDIRECT) {
		c->target_id = sdnfv_nf_service_id(nf, c->target);
		if (c->target_id < 0) {
			fprintf(stderr, "%s: the host has no service %s\n", c->name, c->target);
			return c->target_id;
		}
	}
	return 0;
}

static void
teardown(struct sdnfv_nf *nf, void *arg)
{
	struct nf_ctx *c = arg;
	char line[256];

	release_held(nf, c);
	snprintf(line, sizeof(line),
		 "%s: service %s: %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
		 " changed, %" PRIu64 " dropped, %" PRIu64 " path requests",
		 c->name, c->service, c->pkts, c->bytes, c->changed, c->dropped, c->requests);
	printf("%s\n", line);
	if (c->flow_log != NULL) {
		unsigned int i;

		/* One line per flow: id, packets, first and last TSC (shared by every process of
		 * the host, so logs of several NFs can be ordered against each other). */
		for (i = 0; i < FLOW_SLOTS; i++)
			if (c->flows[i].packets > 0)
				fprintf(c->flow_log, "%u %u %" PRIu64 " %" PRIu64 "\n",
					c->flows[i].flow_id, c->flows[i].packets,
					c->flows[i].first_tsc, c->flows[i].last_tsc);
		fclose(c->flow_log);
		c->flow_log = NULL;
	}
	if (c->report)
		sdnfv_nf_report(nf, line, strlen(line));
	fflush(stdout);
}

static const struct sdnfv_nf_ops ops = {
	.sz = sizeof(ops),
	.setup = setup,
	.handle = handle,
	.idle = idle,
	.teardown = teardown,
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "action", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "group", required_argument, NULL, 'g' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "report", no_argument, NULL, 'r' },
		{ "flow-log", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nf_ctx ctx[MAX_GROUP];
	struct sdnfv_nf *nfs[MAX_GROUP];
	struct sdnfv_nf_params p = {
		.sz = sizeof(p), .ops = &ops, .signals = true, .idle_us = 2000
	};
	char *group = NULL, *tok, *save = NULL;
	const char *service = NULL, *action = "count", *name = NULL;
	unsigned int n = 0, i;
	bool report = false;
	const char *flow_log = NULL;
	int opt, ret, argc2, eal_argc;
	char **argv2;

	/* The application's options come after "--": read them before the EAL starts, so a bad
	 * option fails fast, without waiting for a manager. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = 1;
	while ((opt = getopt_long(argc2, argv2, "s:a:n:g:zrf:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			flow_log = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 'a':
			action = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'z':
			p.mode = SDNFV_NF_MODE_SLEEP;
			break;
		case 'r':
			report = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s <EAL args> -- --service NAME [--action A] [--name N] "
				"[--sleep] [--report]\n"
				"       %s <EAL args> -- --group SERVICE:ACTION[,...] [--sleep]\n",
				argv[0], argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	memset(ctx, 0, sizeof(ctx));
	if (group == NULL) {
		if (service == NULL) {
			fprintf(stderr, "%s: --service or --group is required\n", argv[0]);
			return 2;
		}
		snprintf(ctx[0].service, sizeof(ctx[0].service), "%s", service);
		snprintf(ctx[0].name, sizeof(ctx[0].name), "%s", name ? name : service);
		if (parse_action(&ctx[0], action) < 0) {
			fprintf(stderr, "%s: bad action '%s'\n", argv[0], action);
			return 2;
		}
		n = 1;
	} else {
		for (tok = strtok_r(group, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			char *colon = strchr(tok, ':');

			if (n == MAX_GROUP || colon == NULL) {
				fprintf(stderr,
					"%s: bad group member '%s' (SERVICE:ACTION, at most %d)\n",
					argv[0], tok, MAX_GROUP);
				return 2;
			}
			*colon = '\0';
			snprintf(ctx[n].service, sizeof(ctx[n].service), "%s", tok);
			snprintf(ctx[n].name, sizeof(ctx[n].name), "%s", tok);
			if (parse_action(&ctx[n], colon + 1) < 0) {
				fprintf(stderr, "%s: bad action '%s'\n", argv[0], colon + 1);
				return 2;
			}
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		ctx[i].report = report;
		if (flow_log != NULL && i == 0) {
			ctx[i].flow_log = fopen(flow_log, "w");
			if (ctx[i].flow_log == NULL) {
				fprintf(stderr, "%s: cannot write %s\n", argv[0], flow_log);
				return 1;
			}
		}
		if (ctx[i].action == A_REDIRECT || ctx[i].action == A_SKIP ||
		    ctx[i].flow_log != NULL) {
			ctx[i].flows = calloc(FLOW_SLOTS, sizeof(*ctx[i].flows));
			if (ctx[i].flows == NULL)
				return 1;
		}
	}

	/* The EAL sees its own arguments only. */
	optind = 1;
	p.service = ctx[0].service;
	p.name = ctx[0].name;
	p.arg = &ctx[0];
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nfs[0]);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot attach: %s\n", ctx[0].name, strerror(-ret));
		return 1;
	}
	for (i = 1; i < n; i++) {
		p.service = ctx[i].service;
		p.name = ctx[i].name;
		p.arg = &ctx[i];
		ret = sdnfv_nf_attach(&p, &nfs[i]);
		if (ret < 0) {
			fprintf(stderr, "%s: cannot attach: %s\n", ctx[i].name, strerror(-ret));
			return 1;
		}
	}
	ret = sdnfv_nf_group_run(nfs, n);
	for (i = 0; i < n; i++) {
		sdnfv_nf_free(nfs[i]);
		free(ctx[i].flows);
	}
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "simple_nf: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
