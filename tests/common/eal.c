/* SPDX-License-Identifier: BSD-3-Clause */
#include "eal.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SDNFV_TEST_ASAN 1
#endif
#endif

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>

static char prefix[64];
static bool started;
static bool primary;

const char *
sdnfv_test_eal_prefix(void)
{
	return prefix;
}

static void
remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char sub[PATH_MAX + 256];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		remove_tree(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Hugepage files are <mount>/<prefix>map_<n> on every hugetlbfs mount. */
static void
remove_hugepage_files(const char *pfx)
{
	FILE *mounts = fopen("/proc/mounts", "r");
	char dev[256], dir[PATH_MAX], type[64], rest[512];
	size_t plen = strlen(pfx);

	if (mounts == NULL)
		return;
	while (fscanf(mounts, "%255s %4095s %63s %511[^\n]", dev, dir, type, rest) == 4) {
		DIR *d;
		struct dirent *e;

		if (strcmp(type, "hugetlbfs") != 0 || (d = opendir(dir)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			char f[PATH_MAX + 256];

			if (strncmp(e->d_name, pfx, plen) != 0 ||
			    strncmp(e->d_name + plen, "map_", 4) != 0)
				continue;
			snprintf(f, sizeof(f), "%s/%s", dir, e->d_name);
			unlink(f);
		}
		closedir(d);
	}
	fclose(mounts);
}

void
sdnfv_test_eal_remove_files(const char *pfx)
{
	char run[PATH_MAX];

	if (pfx == NULL || pfx[0] == '\0')
		return;
	snprintf(run, sizeof(run), "/var/run/dpdk/%s", pfx);
	remove_tree(run);
	remove_hugepage_files(pfx);
}

void
sdnfv_test_eal_cleanup(void)
{
	if (!started)
		return;
	started = false;
	rte_eal_cleanup();
	if (primary)
		sdnfv_test_eal_remove_files(prefix);
}

int
sdnfv_test_eal_init(const struct sdnfv_test_eal *opt)
{
	static const struct sdnfv_test_eal defaults;
	/* Room for the (at most 9) fixed arguments below, the extra ones and the final NULL. */
	enum { FIXED_ARGS = 9 };
	char **argv;
	char a_prefix[96], a_lcores[96];
	int argc = 0, ret, nextra = 0;
	const char *base = getenv("SDNFV_TEST_PREFIX");

	if (opt == NULL)
		opt = &defaults;
	while (opt->extra_args != NULL && opt->extra_args[nextra] != NULL)
		nextra++;
	argv = calloc(FIXED_ARGS + nextra + 1, sizeof(*argv));
	if (argv == NULL)
		return -1;
	if (opt->secondary)
		snprintf(prefix, sizeof(prefix), "%s", opt->prefix);
	else
		snprintf(prefix, sizeof(prefix), "%s_%d", base != NULL ? base : "sdnfvt",
			 (int)getpid());

	snprintf(a_prefix, sizeof(a_prefix), "--file-prefix=%s", prefix);
	snprintf(a_lcores, sizeof(a_lcores), "--lcores=%s",
		 opt->lcores != NULL ? opt->lcores : "0");
	argv[argc++] = (char *)"sdnfv-test";
	argv[argc++] = a_prefix;
	argv[argc++] = a_lcores;
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = (char *)"--log-level=lib.eal:warning";
	argv[argc++] = (char *)"--log-level=lib.sdnfv.*:debug";
	if (opt->secondary) {
		argv[argc++] = (char *)"--proc-type=secondary";
	} else {
		argv[argc++] = (char *)"--proc-type=primary";
		if (!opt->multi_process)
			argv[argc++] = (char *)"--in-memory";
#if defined(__SANITIZE_ADDRESS__) || defined(SDNFV_TEST_ASAN)
		/* ASan reserves the default base address range; secondaries must map at the same one. */
		argv[argc++] = (char *)"--base-virtaddr=0x200000000000";
#endif
	}
	for (int i = 0; i < nextra; i++)
		argv[argc++] = (char *)opt->extra_args[i];
	argv[argc] = NULL;

	/* EAL copies what it keeps of the arguments: the array can go once it returns. */
	ret = rte_eal_init(argc, argv);
	free(argv);
	if (ret < 0)
		return ret;
	started = true;
	primary = !opt->secondary;
	if (primary)
		atexit(sdnfv_test_eal_cleanup);
	return ret;
}
