/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpi: payload inspection NF (README.md). One process runs one dpi NF attached to a host manager,
 * or, with --pcap, runs the same engine over a capture without DPDK (to try rules offline; the
 * tests compare its alerts with a reference scan).
 *
 * usage: dpi <EAL args> -- --rules FILE [--service NAME] [--name N] [--sleep] [--flows N]
 *                          [--idle-timeout S] [--alerts FILE] [--quiet]
 *        dpi --pcap FILE --rules FILE [--flows N] [--idle-timeout S] [--alerts FILE] [--quiet]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_eal.h>

#include <sdnfv/sdnfv.h>

#include "dpi.h"

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s <EAL args> -- --rules FILE [--service NAME] [--name N] [--sleep]\n"
		"          [--flows N] [--idle-timeout S] [--alerts FILE] [--quiet]\n"
		"       %s --pcap FILE --rules FILE [--flows N] [--idle-timeout S] [--alerts FILE]\n"
		"          [--quiet]\n",
		prog, prog);
}

/* Offline: the engine over a capture, frame numbers from 1, time from the capture. */
static int
run_pcap(struct dpi *d, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t no = 0;
	pcap_t *pc;
	int ret;

	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "dpi: %s\n", errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "dpi: %s: not an Ethernet capture\n", path);
		pcap_close(pc);
		return -EINVAL;
	}
	while ((ret = pcap_next_ex(pc, &hdr, &data)) == 1) {
		struct dpi_out out;
		uint64_t t = (uint64_t)hdr->ts.tv_sec * 1000000000ull +
			     (uint64_t)hdr->ts.tv_usec * 1000ull;

		dpi_inspect(d, data, hdr->caplen, t, ++no, &out);
	}
	if (ret == -1)
		fprintf(stderr, "dpi: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	dpi_flush(d);
	return ret == -1 ? -EIO : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "service", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "flows", required_argument, NULL, 'f' },
		{ "idle-timeout", required_argument, NULL, 't' },
		{ "alerts", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dpi_opts o = { .sz = sizeof(o) };
	struct sdnfv_nf_params p = {
		.sz = sizeof(p), .ops = &dpi_nf_ops, .signals = true, .idle_us = 100000
	};
	const char *rules = NULL, *alerts = NULL, *pcap = NULL, *name = NULL;
	const char *service = "dpi";
	struct sdnfv_nf *nf;
	struct dpi *d;
	char err[512], *end;
	int opt, ret, argc2, eal_argc;
	char **argv2;

	/* Our options come after "--" (or alone with --pcap): read them before the EAL starts. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = argc; /* no "--": options alone (--pcap) */
	while ((opt = getopt_long(argc2, argv2, "r:s:n:zf:t:a:qp:h", opts, NULL)) != -1) {
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
		case 'z':
			p.mode = SDNFV_NF_MODE_SLEEP;
			break;
		case 'f':
			o.flows = (unsigned int)strtoul(optarg, &end, 10);
			if (*end != '\0' || o.flows == 0 || o.flows > (1u << 24)) {
				fprintf(stderr, "dpi: bad --flows '%s' (1 to 16M)\n", optarg);
				return 2;
			}
			break;
		case 't': {
			double s = strtod(optarg, &end);

			if (*end != '\0' || !(s >= 0)) {
				fprintf(stderr, "dpi: bad --idle-timeout '%s'\n", optarg);
				return 2;
			}
			/* 0: never */
			o.idle_ns = s == 0 || s > 1e9 ? UINT64_MAX : (uint64_t)(s * 1e9);
			if (o.idle_ns == 0)
				o.idle_ns = 1;
			break;
		}
		case 'a':
			alerts = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'p':
			pcap = optarg;
			break;
		default:
			usage(argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (rules == NULL) {
		fprintf(stderr, "dpi: --rules is required\n");
		usage(argv[0]);
		return 2;
	}
	if (alerts != NULL) {
		o.alerts = fopen(alerts, "w");
		if (o.alerts == NULL) {
			fprintf(stderr, "dpi: cannot write %s: %s\n", alerts, strerror(errno));
			return 1;
		}
		setvbuf(o.alerts, NULL, _IOLBF, 0);
	}
	o.service = name ? name : service;
	ret = dpi_create(rules, &o, &d, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "dpi: %s\n", err);
		return 1;
	}
	printf("dpi: %u rules loaded from %s\n", dpi_rules(d), rules);
	if (pcap != NULL) {
		ret = run_pcap(d, pcap);
		dpi_summary(d, stdout);
		dpi_free(d);
		if (o.alerts != NULL)
			fclose(o.alerts);
		return ret < 0 ? 1 : 0;
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	p.service = service;
	p.name = name;
	p.arg = d;
	optind = 1;
	ret = sdnfv_nf_init(eal_argc, argv, &p, &nf);
	if (ret < 0) {
		fprintf(stderr, "dpi: cannot attach: %s\n", strerror(-ret));
		dpi_free(d);
		return 1;
	}
	ret = sdnfv_nf_run(nf);
	{
		struct sdnfv_nf_stats ns;
		struct dpi_stats ds;

		sdnfv_nf_stats(nf, &ns);
		dpi_stats(d, &ds);
		printf("dpi: nf rx %" PRIu64 " tx %" PRIu64 " dropped %" PRIu64
		       " path_requests %" PRIu64 " path_refused %" PRIu64 "\n",
		       ns.rx, ns.tx, ns.dropped, ns.path_requests, ns.path_refused);
	}
	dpi_summary(d, stdout);
	fflush(stdout);
	sdnfv_nf_free(nf);
	dpi_free(d);
	if (o.alerts != NULL)
		fclose(o.alerts);
	rte_eal_cleanup();
	if (ret < 0) {
		fprintf(stderr, "dpi: stopped with an error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
