/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall: the NF program. The logic is in firewall.c (rte_acl rules, connection tracking);
 * this file reads options, loads the rules (a bad line stops it before the EAL starts) and runs
 * the NF. README.md documents the rule format and the options.
 *
 * usage: firewall <EAL args> -- --rules FILE [--service NAME] [--name N] [--stateful]
 *                                [--conn-max N] [--timeout KEY=SECONDS]... [--counters FILE]
 *                                [--sleep] [--check]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include <sdnfv/sdnfv.h>

#include "firewall.h"

static const char *counters_path;

static void
teardown(struct sdnfv_nf *nf, void *arg)
{
	struct firewall *fw = arg;
	int ret;

	(void)nf;
	firewall_summary(fw, stdout);
	fflush(stdout);
	if (counters_path != NULL && (ret = firewall_counters_write(fw, counters_path)) < 0)
		fprintf(stderr, "firewall: cannot write %s: %s\n", counters_path, strerror(-ret));
}

static const struct sdnfv_nf_ops ops = {
	.sz = sizeof(ops),
	.setup = firewall_nf_setup, /* builds the rte_acl contexts, now that the EAL runs */
	.handle = firewall_nf_handle,
	.idle = firewall_nf_idle,
	.teardown = teardown,
};

/* --timeout KEY=SECONDS */
static int
parse_timeout(struct fw_timeouts *t, const char *s)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "tcp_syn_sent", offsetof(struct fw_timeouts, tcp_syn_sent) },
		{ "tcp_syn_recv", offsetof(struct fw_timeouts, tcp_syn_recv) },
		{ "tcp_established", offsetof(struct fw_timeouts, tcp_established) },
		{ "tcp_fin_wait", offsetof(struct fw_timeouts, tcp_fin_wait) },
		{ "tcp_close_wait", offsetof(struct fw_timeouts, tcp_close_wait) },
		{ "tcp_last_ack", offsetof(struct fw_timeouts, tcp_last_ack) },
		{ "tcp_time_wait", offsetof(struct fw_timeouts, tcp_time_wait) },
		{ "tcp_close", offsetof(struct fw_timeouts, tcp_close) },
		{ "udp", offsetof(struct fw_timeouts, udp) },
		{ "udp_stream", offsetof(struct fw_timeouts, udp_stream) },
		{ "icmp", offsetof(struct fw_timeouts, icmp) },
		{ "other", offsetof(struct fw_timeouts, other) },
	};
	const char *eq = strchr(s, '=');
	unsigned long v;
	unsigned int i;
	char *end;

	if (eq == NULL)
		return -EINVAL;
	errno = 0;
	v = strtoul(eq + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == eq + 1 || v == 0 || v > 100000000)
		return -EINVAL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == (size_t)(eq - s) &&
		    strncmp(keys[i].key, s, (size_t)(eq - s)) == 0) {
			*(uint32_t *)((char *)t + keys[i].off) = (uint32_t)v;
			return 0;
		}
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "service", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "stateful", no_argument, NULL, 'S' },
		{ "conn-max", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "counters", required_argument, NULL, 'C' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fw_opts fo = { .sz = sizeof(fo), .socket_id = SOCKET_ID_ANY, .defer_acl = true };
	struct sdnfv_nf_params p = {
		.sz = sizeof(p), .ops = &ops, .signals = true, .idle_us = 10000
	};
	struct fw_rules rules_set;
	struct firewall *fw;
	const char *rules = NULL, *service = "firewall", *name = NULL;
	char err[FW_ERR_MAX] = "";
	bool check = false;
	struct sdnfv_nf *nf;
	int opt, ret, argc2, eal_argc;
	char **argv2;
	unsigned long v;
	char *end;

	/* The application's options come after "--"; read them (and the rules) before the EAL
	 * starts, so a bad option or rule line fails fast, without waiting for a manager. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = 1;
	while ((opt = getopt_long(argc2, argv2, "r:s:n:Sc:t:C:zkh", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rules = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'S':
			fo.stateful = true;
			break;
		case 'c':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0 || v > (1u << 30)) {
				fprintf(stderr, "firewall: bad --conn-max '%s' (1 to 2^30)\n",
					optarg);
				return 2;
			}
			fo.conn_max = (uint32_t)v;
			break;
		case 't':
			if (parse_timeout(&fo.to, optarg) < 0) {
				fprintf(stderr,
					"firewall: bad --timeout '%s' (KEY=SECONDS; README)\n",
					optarg);
				return 2;
			}
			break;
		case 'C':
			counters_path = optarg;
			break;
		case 'z':
			p.mode = SDNFV_NF_MODE_SLEEP;
			break;
		case 'k':
			check = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s <EAL args> -- --rules FILE [--service NAME] [--name N] "
				"[--stateful] [--conn-max N] [--timeout KEY=SECONDS] "
				"[--counters FILE] [--sleep] [--check]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (rules == NULL) {
		fprintf(stderr, "firewall: --rules FILE is required\n");
		return 2;
	}
	ret = firewall_rules_load(rules, &rules_set, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "firewall: %s\n", err);
		return 1;
	}
	if (check) {
		printf("firewall: %s: %u rules, default %s, nonip %s\n", rules, rules_set.n,
		       rules_set.default_action ? "allow" : "deny",
		       rules_set.nonip_action ? "allow" : "deny");
		firewall_rules_free(&rules_set);
		return 0;
	}
	fo.name = name ? name : service;
	ret = firewall_create(&rules_set, &fo, &fw, err, sizeof(err));
	firewall_rules_free(&rules_set);
	if (ret < 0) {
		fprintf(stderr, "firewall: %s\n", err);
		return 1;
	}

	optind = 1;
	p.service = service;
	p.name = name;
	p.arg = fw;
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nf);
	if (ret < 0) {
		fprintf(stderr, "firewall: cannot attach: %s\n", strerror(-ret));
		firewall_free(fw);
		return 1;
	}
	ret = sdnfv_nf_run(nf);
	sdnfv_nf_free(nf);
	firewall_free(fw);
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "firewall: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
