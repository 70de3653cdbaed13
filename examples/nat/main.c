/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nat: the NAPT network function as an NF process (the logic is in nat.c).
 *
 * usage: nat <EAL args> -- --config FILE [--name N] [--service S] [--sleep] [--check]
 * --check reads the configuration, reports what is wrong and exits (no manager needed).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include <sdnfv/sdnfv.h>

#include "nat.h"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "service", required_argument, NULL, 's' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdnfv_nf_params p = { .sz = sizeof(p),
				     .ops = &nat_nf_ops,
				     .signals = true,
				     .service = "nat",
				     .idle_us = 10000 };
	const char *config = NULL;
	bool check = false;
	struct sdnfv_nf *nf;
	struct nat *nat;
	char err[512];
	int opt, ret, argc2, eal_argc;
	char **argv2;

	/* Our options follow "--": read them first so a bad config fails without a manager. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = 1;
	while ((opt = getopt_long(argc2, argv2, "c:n:s:zkh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			p.name = optarg;
			break;
		case 's':
			p.service = optarg;
			break;
		case 'z':
			p.mode = SDNFV_NF_MODE_SLEEP;
			break;
		case 'k':
			check = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s <EAL args> -- --config FILE [--name N] [--service S] "
				"[--sleep] [--check]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (config == NULL) {
		fprintf(stderr, "nat: --config FILE is required\n");
		return 2;
	}
	ret = nat_create(config, NULL, &nat, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nat: %s\n", err);
		return 1;
	}
	if (check) {
		printf("nat: %s: configuration ok\n", config);
		nat_free(nat);
		return 0;
	}
	p.arg = nat;
	optind = 1;
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nf);
	if (ret < 0) {
		fprintf(stderr, "nat: cannot attach: %s\n", strerror(-ret));
		nat_free(nat);
		return 1;
	}
	ret = sdnfv_nf_run(nf);
	nat_summary(nat, stdout);
	fflush(stdout);
	sdnfv_nf_free(nf);
	nat_free(nat);
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "nat: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
