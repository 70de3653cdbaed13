/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scrubber: drop or clean the flows a dpi NF redirects here (README.md in examples/dpi).
 *
 * usage: scrubber <EAL args> -- [--mode drop|clean] [--service NAME] [--name N] [--flows N]
 *                               [--sleep]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>

#include <sdnfv/sdnfv.h>

#include "scrubber.h"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "service", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "flows", required_argument, NULL, 'f' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdnfv_nf_params p = {
		.sz = sizeof(p), .ops = &scrubber_nf_ops, .signals = true, .idle_us = 100000
	};
	enum scrubber_mode mode = SCRUBBER_DROP;
	const char *service = "scrubber", *name = NULL;
	unsigned long flows = 0;
	struct scrubber *s;
	struct sdnfv_nf *nf;
	int opt, ret, argc2, eal_argc;
	char **argv2, *end;

	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = 1;
	while ((opt = getopt_long(argc2, argv2, "m:s:n:f:zh", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "drop") == 0) {
				mode = SCRUBBER_DROP;
			} else if (strcmp(optarg, "clean") == 0) {
				mode = SCRUBBER_CLEAN;
			} else {
				fprintf(stderr, "scrubber: bad --mode '%s' (drop or clean)\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			service = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'f':
			flows = strtoul(optarg, &end, 10);
			if (*end != '\0' || flows == 0 || flows > (1ul << 24)) {
				fprintf(stderr, "scrubber: bad --flows '%s'\n", optarg);
				return 2;
			}
			break;
		case 'z':
			p.mode = SDNFV_NF_MODE_SLEEP;
			break;
		default:
			fprintf(stderr,
				"usage: %s <EAL args> -- [--mode drop|clean] [--service NAME] "
				"[--name N] [--flows N] [--sleep]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	s = scrubber_create(mode, (unsigned int)flows, name ? name : service);
	if (s == NULL) {
		fprintf(stderr, "scrubber: out of memory\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	p.service = service;
	p.name = name;
	p.arg = s;
	optind = 1;
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nf);
	if (ret < 0) {
		fprintf(stderr, "scrubber: cannot attach: %s\n", strerror(-ret));
		scrubber_free(s);
		return 1;
	}
	ret = sdnfv_nf_run(nf);
	scrubber_summary(s, stdout);
	fflush(stdout);
	sdnfv_nf_free(nf);
	scrubber_free(s);
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "scrubber: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
