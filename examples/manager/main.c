/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * manager: the reference SDNFV host manager, built only on the public headers.
 *
 * It is the DPDK primary process of a host: it takes every port given to the EAL (--vdev or
 * PCI), loads a policy file (services, chains, rules), and dispatches packets through the NFs
 * that attach to it (each NF is a process of its own, started with the same --file-prefix; see
 * examples/simple_nf). Telemetry: `dpdk-telemetry.py -f <prefix>`, commands under /sdnfv/.
 *
 * usage: manager <EAL args> -- --policy FILE [--stats MS] [--idle-exit MS] [--min-nfs N]
 *                [--summary FILE] [--controller TARGET]... [OpenFlow options]
 *   --policy FILE    the host policy (YAML; see policy.yaml next to this file); optional with
 *                    a controller: it then gives the services (others appear with their NFs),
 *                    their alternatives, and the rules of fail mode standalone
 *   --stats MS       print counters every MS milliseconds
 *   --idle-exit MS   stop when no packet came for MS ms and the host is empty (pcap runs)
 *   --min-nfs N      start receiving only once N NFs run (the chain is complete)
 *   --summary FILE   write the final counters there too
 * OpenFlow (see sdnfv/ofp.h):
 *   --controller T   a controller target: tcp:IP[:PORT], ssl:IP[:PORT] (connect), ptcp:[PORT][:IP],
 *                    pssl:[PORT][:IP] (listen); repeat for several
 *   --fail-mode M    secure (default) or standalone
 *   --dpid HEX       the datapath id (default: from the first port's MAC address)
 *   --ssl-key F --ssl-cert F --ssl-ca-cert F   PEM files for ssl: and pssl:
 *   --probe-ms N     inactivity probe interval      --max-backoff-ms N  reconnect back-off cap
 *   --packet-in-rate N[/BURST]   PACKET_INs per second (and bucket)
 *   --buffer-flows N --buffer-packets N --buffer-ms N   flow buffers while a controller decides
 * It stops on SIGINT/SIGTERM, asks its NFs to stop, and frees everything.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>

#include <sdnfv/sdnfv.h>

static struct sdnfv_mgr *the_mgr;

/* DPDK leaves its runtime directory and hugepage files behind; a manager that stopped cleanly
 * removes them, so that nothing of this instance remains and a restart starts fresh. */
static void
remove_runtime_files(const char *runtime_dir)
{
	const char *prefix = strrchr(runtime_dir, '/');
	char path[PATH_MAX], mnt[PATH_MAX], type[64];
	struct dirent *e;
	FILE *mounts;
	DIR *d;

	prefix = prefix ? prefix + 1 : runtime_dir;
	d = opendir(runtime_dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%.3800s/%.255s", runtime_dir, e->d_name) >
			    0)
				unlink(path);
		}
		closedir(d);
		rmdir(runtime_dir);
	}
	mounts = fopen("/proc/mounts", "r");
	if (mounts == NULL)
		return;
	while (fscanf(mounts, "%*s %4095s %63s %*[^\n]", mnt, type) == 2) {
		if (strcmp(type, "hugetlbfs") != 0)
			continue;
		d = opendir(mnt);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			size_t n = strlen(prefix);

			if (strncmp(e->d_name, prefix, n) == 0 &&
			    strncmp(e->d_name + n, "map_", 4) == 0) {
				if (snprintf(path, sizeof(path), "%.3800s/%.255s", mnt, e->d_name) >
				    0)
					unlink(path);
			}
		}
		closedir(d);
	}
	fclose(mounts);
}

static void
on_signal(int sig)
{
	(void)sig;
	sdnfv_mgr_stop(the_mgr);
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s <EAL args> -- --policy FILE [--stats MS] [--idle-exit MS] "
		"[--min-nfs N] [--summary FILE]\n"
		"       [--controller TARGET]... [--fail-mode secure|standalone] [--dpid HEX]\n"
		"       [--ssl-key F --ssl-cert F --ssl-ca-cert F] [--probe-ms N] "
		"[--max-backoff-ms N]\n"
		"       [--packet-in-rate N[/BURST]] [--buffer-flows N] [--buffer-packets N] "
		"[--buffer-ms N]\n",
		prog);
}

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "stats", required_argument, NULL, 's' },
		{ "idle-exit", required_argument, NULL, 'i' },
		{ "min-nfs", required_argument, NULL, 'n' },
		{ "summary", required_argument, NULL, 'o' },
		{ "controller", required_argument, NULL, 'c' },
		{ "fail-mode", required_argument, NULL, 'F' },
		{ "dpid", required_argument, NULL, 'D' },
		{ "ssl-key", required_argument, NULL, 'K' },
		{ "ssl-cert", required_argument, NULL, 'C' },
		{ "ssl-ca-cert", required_argument, NULL, 'A' },
		{ "probe-ms", required_argument, NULL, 'P' },
		{ "max-backoff-ms", required_argument, NULL, 'B' },
		{ "packet-in-rate", required_argument, NULL, 'R' },
		{ "buffer-flows", required_argument, NULL, 'f' },
		{ "buffer-packets", required_argument, NULL, 'k' },
		{ "buffer-ms", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdnfv_mgr_params p = { .sz = sizeof(p) };
	struct sdnfv_ofp_params op = { .sz = sizeof(op) };
	struct sdnfv_ofp *agent = NULL;
	unsigned int n_targets = 0;
	struct sdnfv_mgr_stats st;
	const char *policy = NULL, *summary = NULL;
	char err[512], runtime_dir[PATH_MAX];
	uint16_t port;
	int ret, opt, rc = 0;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "manager: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	while ((opt = getopt_long(argc, argv, "p:s:i:n:o:h", opts, NULL)) != -1) {
		const char *what = NULL;
		char *end;

		ret = 0;
		switch (opt) {
		case 'p':
			policy = optarg;
			break;
		case 's':
			ret = parse_u32(optarg, &p.stats_period_ms);
			what = "--stats";
			break;
		case 'i':
			ret = parse_u32(optarg, &p.idle_exit_ms);
			what = "--idle-exit";
			break;
		case 'n':
			ret = parse_u32(optarg, &p.min_nfs);
			what = "--min-nfs";
			break;
		case 'o':
			summary = optarg;
			break;
		case 'c':
			if (n_targets == SDNFV_OFP_TARGETS_MAX - 1) {
				fprintf(stderr, "manager: at most %d controller targets\n",
					SDNFV_OFP_TARGETS_MAX - 1);
				ret = -EINVAL;
			} else {
				op.targets[n_targets++] = optarg;
			}
			break;
		case 'F':
			if (strcmp(optarg, "secure") == 0)
				op.fail_mode = SDNFV_OFP_FAIL_SECURE;
			else if (strcmp(optarg, "standalone") == 0)
				op.fail_mode = SDNFV_OFP_FAIL_STANDALONE;
			else
				ret = -EINVAL;
			what = "--fail-mode (secure or standalone)";
			break;
		case 'D':
			errno = 0;
			op.datapath_id = strtoull(optarg, &end, 16);
			if (errno != 0 || *end != '\0' || end == optarg)
				ret = -EINVAL;
			what = "--dpid (hex)";
			break;
		case 'K':
			op.ssl_private_key = optarg;
			break;
		case 'C':
			op.ssl_certificate = optarg;
			break;
		case 'A':
			op.ssl_ca_certificate = optarg;
			break;
		case 'P':
			ret = parse_u32(optarg, &op.probe_interval_ms);
			what = "--probe-ms";
			break;
		case 'B':
			ret = parse_u32(optarg, &op.max_backoff_ms);
			what = "--max-backoff-ms";
			break;
		case 'R': {
			char *slash = strchr(optarg, '/');

			if (slash != NULL) {
				*slash = '\0';
				ret = parse_u32(slash + 1, &op.packet_in_burst);
			}
			if (ret == 0)
				ret = parse_u32(optarg, &op.packet_in_rate);
			what = "--packet-in-rate";
			break;
		}
		case 'f':
			ret = parse_u32(optarg, &op.buffer_flows);
			what = "--buffer-flows";
			break;
		case 'k':
			ret = parse_u32(optarg, &op.buffer_packets);
			what = "--buffer-packets";
			break;
		case 'm':
			ret = parse_u32(optarg, &op.buffer_timeout_ms);
			what = "--buffer-ms";
			break;
		default:
			usage(argv[0]);
			rte_eal_cleanup();
			return opt == 'h' ? 0 : 2;
		}
		if (ret < 0) {
			fprintf(stderr, "manager: bad value '%s' for %s\n", optarg,
				what ? what : "--controller");
			rte_eal_cleanup();
			return 2;
		}
	}
	if (policy == NULL && n_targets == 0) {
		usage(argv[0]);
		rte_eal_cleanup();
		return 2;
	}

	ret = sdnfv_mgr_create(&p, &the_mgr);
	if (ret < 0) {
		fprintf(stderr, "manager: cannot start: %s\n", strerror(-ret));
		rte_eal_cleanup();
		return 1;
	}
	/* Under a controller the policy is optional: services then appear with their NFs. */
	if (policy != NULL) {
		ret = sdnfv_mgr_policy_load(the_mgr, policy, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "manager: policy refused: %s\n", err);
			rc = 1;
			goto out;
		}
		printf("manager: policy %s: %d rules\n", policy, ret);
	}
	RTE_ETH_FOREACH_DEV(port)
	{
		ret = sdnfv_mgr_port_add(the_mgr, port);
		if (ret < 0) {
			fprintf(stderr, "manager: port %u: %s\n", port, strerror(-ret));
			rc = 1;
			goto out;
		}
	}
	if (n_targets > 0) {
		ret = sdnfv_ofp_create(the_mgr, &op, &agent, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "manager: OpenFlow agent: %s\n", err);
			rc = 1;
			goto out;
		}
		printf("manager: OpenFlow agent: %u target(s), fail mode %s\n", n_targets,
		       op.fail_mode == SDNFV_OFP_FAIL_STANDALONE ? "standalone" : "secure");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("manager: ready (pid %d)\n", getpid());
	fflush(stdout);
	ret = sdnfv_mgr_run(the_mgr);
	if (ret < 0) {
		fprintf(stderr, "manager: dispatcher: %s\n", strerror(-ret));
		rc = 1;
	}
	if (agent != NULL) {
		struct sdnfv_ofp_stats os;

		sdnfv_ofp_stats(agent, &os);
		printf("openflow: connections %u msgs_rx %" PRIu64 " msgs_tx %" PRIu64
		       " errors_tx %" PRIu64 " flow_mods %" PRIu64 " packet_in %" PRIu64
		       " packet_in_limited %" PRIu64 " packet_in_queue_full %" PRIu64
		       " packet_out %" PRIu64 " buffered %" PRIu64 " buffer_released %" PRIu64
		       " buffer_dropped %" PRIu64 " no_controller %" PRIu64 " path_reports %" PRIu64
		       " reconnects %" PRIu64 "\n",
		       os.connections, os.msgs_rx, os.msgs_tx, os.errors_tx, os.flow_mods,
		       os.packet_in, os.packet_in_limited, os.packet_in_queue_full, os.packet_out,
		       os.buffered, os.buffer_released, os.buffer_dropped, os.no_controller,
		       os.path_reports, os.reconnects);
	}
	sdnfv_mgr_dump(the_mgr, stdout);
	fflush(stdout);
	sdnfv_mgr_stats(the_mgr, &st);
	if (summary != NULL) {
		FILE *f = fopen(summary, "w");

		if (f == NULL) {
			fprintf(stderr, "manager: cannot write %s: %s\n", summary, strerror(errno));
			rc = 1;
		} else {
			sdnfv_mgr_dump(the_mgr, f);
			fclose(f);
		}
	}
out:
	sdnfv_ofp_free(agent);
	sdnfv_mgr_free(the_mgr);
	the_mgr = NULL;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_runtime_files(runtime_dir);
	return rc;
}
