/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * load_balancer: an L4 VIP load balancer NF (Maglev consistent hashing, NAT mode). See README.md.
 *
 * usage: load_balancer <EAL args> -- --config FILE [--service NAME] [--name NAME] [--sleep]
 *        load_balancer --check FILE      (load the config, print the summary, exit)
 *
 * SIGHUP re-reads the config file; manager messages of type 1 carry text commands
 * ("backend NAME up|down", "reload"), type 2 asks for a reload.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include <sdnfv/sdnfv.h>

#include "load_balancer.h"

static struct lb_ctx *the_ctx;

static void
on_sighup(int sig)
{
	(void)sig;
	if (the_ctx != NULL)
		lb_request_reload(the_ctx);
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s <EAL args> -- --config FILE [--service NAME] [--name NAME] [--sleep]\n"
		"       %s --check FILE\n",
		prog, prog);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", required_argument, NULL, 'k' },
		{ "service", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdnfv_nf_params p = {
		.sz = sizeof(p),
		.ops = &lb_nf_ops,
		.signals = true,
		.idle_us = 10000,
		.service = "load_balancer",
	};
	const char *config = NULL, *check = NULL;
	struct sigaction sa;
	struct sdnfv_nf *nf;
	struct lb_ctx *ctx;
	char err[512];
	int opt, ret, argc2, eal_argc;
	char **argv2;

	/* Our options come after "--" (or alone, for --check): read them before the EAL starts,
	 * so a bad config fails fast without waiting for a manager. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = argc > 1 && strncmp(argv[1], "--check", 7) == 0 ? argc : 1;
	while ((opt = getopt_long(argc2, argv2, "c:k:s:n:zh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			check = optarg;
			break;
		case 's':
			p.service = optarg;
			break;
		case 'n':
			p.name = optarg;
			break;
		case 'z':
			p.mode = SDNFV_NF_MODE_SLEEP;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind < argc2) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv2[optind]);
		usage(argv[0]);
		return 2;
	}
	if (check != NULL) {
		ret = lb_create(check, NULL, &ctx, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "load_balancer: config refused: %s\n", err);
			return 1;
		}
		lb_summary(ctx, stdout);
		lb_free(ctx);
		return 0;
	}
	if (config == NULL) {
		fprintf(stderr, "%s: --config FILE is required\n", argv[0]);
		usage(argv[0]);
		return 2;
	}
	ret = lb_create(config, NULL, &ctx, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "load_balancer: config refused: %s\n", err);
		return 1;
	}
	the_ctx = ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);

	optind = 1;
	p.arg = ctx;
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nf);
	if (ret < 0) {
		fprintf(stderr, "load_balancer: cannot attach: %s\n", strerror(-ret));
		lb_free(ctx);
		return 1;
	}
	printf("load_balancer: running (config %s)\n", config);
	fflush(stdout);
	ret = sdnfv_nf_run(nf);
	sdnfv_nf_free(nf);
	the_ctx = NULL;
	lb_free(ctx);
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "load_balancer: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
