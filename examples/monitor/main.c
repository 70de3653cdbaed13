/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * monitor: the flow monitor NF. Counts packets and bytes per flow, exports flow records as IPFIX
 * to a collector and/or a file (and CSV), reports its rates to the manager every second, and
 * prints the top flows on SIGUSR1 and at exit. Every packet goes on to the next hop.
 *
 * usage: monitor <EAL args> -- [--config FILE] [--collector HOST[:PORT]] [--records FILE]
 *                [--csv FILE] [--active-timeout D] [--idle-timeout D] [--template-refresh D]
 *                [--max-flows N] [--top N] [--top-by bytes|packets] [--domain N]
 *                [--service NAME] [--name NAME] [--sleep]
 * Options given on the command line override the config file's. See README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include <sdnfv/sdnfv.h>

#include "monitor.h"

static struct monitor_nf ctx;

static void
on_usr1(int sig)
{
	(void)sig;
	ctx.dump_top = true;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s <EAL args> -- [--config FILE] [--collector HOST[:PORT]] "
		"[--records FILE] [--csv FILE]\n"
		"       [--active-timeout D] [--idle-timeout D] [--template-refresh D] "
		"[--max-flows N] [--top N]\n"
		"       [--top-by bytes|packets] [--domain N] [--service NAME] [--name NAME] "
		"[--sleep]\n",
		prog);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "collector", required_argument, NULL, 'k' },
		{ "records", required_argument, NULL, 'k' },
		{ "csv", required_argument, NULL, 'k' },
		{ "active-timeout", required_argument, NULL, 'k' },
		{ "idle-timeout", required_argument, NULL, 'k' },
		{ "template-refresh", required_argument, NULL, 'k' },
		{ "max-flows", required_argument, NULL, 'k' },
		{ "top", required_argument, NULL, 'k' },
		{ "top-by", required_argument, NULL, 'k' },
		{ "domain", required_argument, NULL, 'k' },
		{ "service", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdnfv_nf_params p = { .sz = sizeof(p),
				     .ops = &monitor_nf_ops,
				     .arg = &ctx,
				     .signals = true,
				     .idle_us = 20000,
				     .service = "monitor" };
	struct monitor_cfg cfg;
	struct sdnfv_nf *nf;
	char err[512];
	int opt, idx, ret, argc2, eal_argc, pass;
	char **argv2;

	/* The application's options come after "--": read them before the EAL starts, so a bad
	 * option or config line fails fast, without waiting for a manager. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = 1;
	monitor_cfg_defaults(&cfg);
	/* Pass 0 loads the config file, pass 1 applies the other options over it. */
	for (pass = 0; pass < 2; pass++) {
		optind = 1;
		while ((opt = getopt_long(argc2, argv2, "h", opts, &idx)) != -1) {
			switch (opt) {
			case 'c':
				if (pass == 0 &&
				    monitor_cfg_load(&cfg, optarg, err, sizeof(err)) < 0) {
					fprintf(stderr, "monitor: config refused: %s\n", err);
					return 1;
				}
				break;
			case 'k':
				if (pass == 1 && monitor_cfg_set(&cfg, opts[idx].name, optarg, err,
								 sizeof(err)) < 0) {
					fprintf(stderr, "monitor: --%s\n", err);
					return 2;
				}
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
	}
	if (monitor_nf_init(&ctx, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "monitor: %s\n", err);
		return 1;
	}
	signal(SIGUSR1, on_usr1);

	optind = 1;
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nf);
	if (ret < 0) {
		fprintf(stderr, "monitor: cannot attach: %s\n", strerror(-ret));
		monitor_destroy(ctx.mon, ctx.clock_ms());
		return 1;
	}
	ret = sdnfv_nf_run(nf);
	monitor_finish(ctx.mon, ctx.clock_ms());
	monitor_print_summary(ctx.mon, stdout);
	monitor_destroy(ctx.mon, ctx.clock_ms());
	sdnfv_nf_free(nf);
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "monitor: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
