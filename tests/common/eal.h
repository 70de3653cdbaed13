/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helper: start and stop the DPDK EAL with a prefix of the test's own. */
#ifndef SDNFV_TEST_EAL_H
#define SDNFV_TEST_EAL_H

#include <stdbool.h>

/* Options for sdnfv_test_eal_init(). */
struct sdnfv_test_eal {
	const char *lcores; /* --lcores value; NULL for "0" (one lcore, on CPU 0) */
	bool multi_process; /* keep files so secondaries can attach (no --in-memory) */
	bool secondary;     /* attach to the primary of `prefix` instead of starting one */
	const char *prefix; /* for a secondary: the primary's prefix */
	/* More EAL arguments (e.g. "--vdev=net_null0"), NULL-terminated; NULL for none. */
	const char *const *extra_args;
};

/*
 * Start the EAL as a primary with --file-prefix=<SDNFV_TEST_PREFIX env or "sdnfvt">_<pid>, or as a
 * secondary of opt->prefix. Registers sdnfv_test_eal_cleanup() with atexit() in a primary.
 * Returns rte_eal_init()'s result.
 */
int sdnfv_test_eal_init(const struct sdnfv_test_eal *opt);

/* The --file-prefix in use. */
const char *sdnfv_test_eal_prefix(void);

/* rte_eal_cleanup(), then remove /var/run/dpdk/<prefix> and the prefix's hugepage files.
 * Idempotent. */
void sdnfv_test_eal_cleanup(void);

/* Remove the runtime directory and hugepage files of a prefix (no EAL call). */
void sdnfv_test_eal_remove_files(const char *prefix);

/*
 * A Criterion suite whose tests each start the EAL as a primary of their own (Criterion runs every
 * test in a process of its own) and clean it up after: `SDNFV_TEST_EAL_SUITE(ring, .timeout = 60)`.
 * For files that include <criterion/criterion.h>.
 */
#define SDNFV_TEST_EAL_SUITE(name, ...)                                         \
	static void name##_eal_setup(void)                                      \
	{                                                                       \
		cr_assert_geq(sdnfv_test_eal_init(NULL), 0, "EAL init failed"); \
	}                                                                       \
	TestSuite(name, .init = name##_eal_setup, .fini = sdnfv_test_eal_cleanup, __VA_ARGS__)

#endif
