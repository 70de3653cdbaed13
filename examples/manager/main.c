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
 *                [--summary FILE]
 *   --policy FILE    the host policy (YAML; see policy.yaml next to this file)
 *   --stats MS       print counters every MS milliseconds
 *   --idle-exit MS   stop when no packet came for MS ms and the host is empty (pcap runs)
 *   --min-nfs N      start receiving only once N NFs run (the chain is complete)
 *   --summary FILE   write the final counters there too
 * It stops on SIGINT/SIGTERM, asks its NFs to stop, and frees everything.
 */
#include <dirent.h>
#include <errno.h>
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
		"[--min-nfs N] [--summary FILE]\n",
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdnfv_mgr_params p = { .sz = sizeof(p) };
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
		switch (opt) {
		case 'p':
			policy = optarg;
			break;
		case 's':
			ret = parse_u32(optarg, &p.stats_period_ms);
			break;
		case 'i':
			ret = parse_u32(optarg, &p.idle_exit_ms);
			break;
		case 'n':
			ret = parse_u32(optarg, &p.min_nfs);
			break;
		case 'o':
			summary = optarg;
			break;
		default:
			usage(argv[0]);
			rte_eal_cleanup();
			return opt == 'h' ? 0 : 2;
		}
		if (ret < 0) {
			fprintf(stderr, "manager: bad number '%s' for --%s\n", optarg,
				opts[opt == 's'   ? 1
				     : opt == 'i' ? 2
						  : 3]
					.name);
			rte_eal_cleanup();
			return 2;
		}
	}
	if (policy == NULL) {
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
	ret = sdnfv_mgr_policy_load(the_mgr, policy, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "manager: policy refused: %s\n", err);
		rc = 1;
		goto out;
	}
	printf("manager: policy %s: %d rules\n", policy, ret);
	RTE_ETH_FOREACH_DEV(port)
	{
		ret = sdnfv_mgr_port_add(the_mgr, port);
		if (ret < 0) {
			fprintf(stderr, "manager: port %u: %s\n", port, strerror(-ret));
			rc = 1;
			goto out;
		}
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
	sdnfv_mgr_free(the_mgr);
	the_mgr = NULL;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_runtime_files(runtime_dir);
	return rc;
}
