/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the numa layer. This machine has one socket, so the placement logic runs on topologies
 * described by strings (sdnfv_numa_parse()) and on fake systems handed to the internal discovery
 * (sdnfv_numa_discover_sys()), which is how NUMA distances get tested. Discovery and pinning are
 * also checked against the real machine. Only port_socket_* starts the EAL.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_ring.h>

#include <sdnfv/numa.h>

#include "eal.h"
#include "numa/numa_internal.h"

/* Helpers */

static struct sdnfv_numa *
parse_ok(const char *spec)
{
	struct sdnfv_numa *numa = NULL;
	int ret = sdnfv_numa_parse(spec, &numa);

	cr_assert_eq(ret, 0, "parse \"%s\" returned %d", spec, ret);
	cr_assert_not_null(numa);
	return numa;
}

static void
expect_rejected(const char *spec)
{
	struct sdnfv_numa *numa = NULL;
	int ret = sdnfv_numa_parse(spec, &numa);

	cr_expect_eq(ret, -EINVAL, "parse \"%s\" returned %d, not -EINVAL", spec, ret);
	if (ret == 0)
		sdnfv_numa_free(numa);
}

static void
expect_sockets(const struct sdnfv_numa *numa, const int *want, unsigned int n)
{
	int got[64];

	cr_assert_eq(sdnfv_numa_sockets(numa, got, 64), (int)n);
	for (unsigned int i = 0; i < n; i++)
		cr_expect_eq(got[i], want[i], "socket #%u is %d, not %d", i, got[i], want[i]);
}

static void
expect_cores(const struct sdnfv_numa *numa, int socket, const unsigned int *want, unsigned int n)
{
	unsigned int got[64];

	cr_assert_eq(sdnfv_numa_cores(numa, socket, got, 64), (int)n, "socket %d", socket);
	for (unsigned int i = 0; i < n; i++)
		cr_expect_eq(got[i], want[i], "socket %d: core #%u is %u, not %u", socket, i,
			     got[i], want[i]);
}

/* Everything the logs print while fn runs. The caller frees the result. */
static char *
capture_log(void (*fn)(void))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(rte_openlog_stream(f), 0);
	fn();
	rte_openlog_stream(NULL);
	fclose(f);
	return buf;
}

/* A test's own reading of the kernel's cpulist format ("0-3,8"), as the oracle. */
static void
cpulist_to_set(const char *list, cpu_set_t *set)
{
	const char *p = list;

	CPU_ZERO(set);
	while (*p != '\0' && *p != '\n') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		cr_assert_neq(end, p, "bad cpulist \"%s\"", list);
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi; c++)
			CPU_SET(c, set);
		p = *end == ',' ? end + 1 : end;
	}
}

static void
read_cpulist(const char *path, cpu_set_t *set)
{
	char line[4096] = "";
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_not_null(fgets(line, sizeof(line), f), "%s is empty", path);
	fclose(f);
	cpulist_to_set(line, set);
}

static void
self_affinity(cpu_set_t *set)
{
	cr_assert_eq(sched_getaffinity(0, sizeof(*set), set), 0);
}

static unsigned int
highest_cpu(const cpu_set_t *set)
{
	for (int c = CPU_SETSIZE - 1; c >= 0; c--)
		if (CPU_ISSET(c, set))
			return (unsigned int)c;
	cr_assert_fail("empty CPU set");
	return 0;
}

/* Fake systems for the internal discovery */

static const unsigned int *fake_cpus;
static unsigned int fake_ncpus;

static int
fake_allowed_cpus(unsigned int **cpus, unsigned int *n)
{
	*cpus = malloc((fake_ncpus + 1) * sizeof(**cpus));
	cr_assert_not_null(*cpus);
	if (fake_ncpus > 0)
		memcpy(*cpus, fake_cpus, fake_ncpus * sizeof(**cpus));
	*n = fake_ncpus;
	return 0;
}

/* CPUs 0-3 on node 0, 64-67 on node 2: sparse nodes and CPU ids. */
static int
fake_node_sparse(unsigned int cpu)
{
	return cpu < 64 ? 0 : 2;
}

/* Three nodes of two CPUs each: 0-1, 2-3, 4-5. */
static int
fake_node_three(unsigned int cpu)
{
	return (int)cpu / 2;
}

/* Node 2 sits between 0 and 1, which are far apart. */
static int
fake_distance_three(int from, int to)
{
	static const int d[3][3] = { { 10, 30, 20 }, { 30, 10, 20 }, { 20, 20, 10 } };

	return d[from][to];
}

static int
fake_distance_unknown(int from, int to)
{
	return from == to ? 10 : 0;
}

static struct sdnfv_numa *
discover_fake(const unsigned int *cpus, unsigned int n, int (*node)(unsigned int),
	      int (*distance)(int, int))
{
	const struct sdnfv_numa_sys sys = {
		.allowed_cpus = fake_allowed_cpus,
		.node_of_cpu = node,
		.distance = distance,
	};
	struct sdnfv_numa *numa = NULL;

	fake_cpus = cpus;
	fake_ncpus = n;
	cr_assert_eq(sdnfv_numa_discover_sys(&sys, &numa), 0);
	cr_assert_not_null(numa);
	return numa;
}

/* Parsing */

Test(numa, parse_builds_the_sockets_and_cores_described)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3;1:4-7");

	expect_sockets(numa, (const int[]){ 0, 1 }, 2);
	expect_cores(numa, 0, (const unsigned int[]){ 0, 1, 2, 3 }, 4);
	expect_cores(numa, 1, (const unsigned int[]){ 4, 5, 6, 7 }, 4);
	for (unsigned int c = 0; c < 8; c++)
		cr_expect_eq(sdnfv_numa_core_socket(numa, c), c < 4 ? 0 : 1, "core %u", c);
	sdnfv_numa_free(numa);
}

Test(numa, parse_accepts_sparse_sockets_and_cpu_ids)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3;2:64-67");

	expect_sockets(numa, (const int[]){ 0, 2 }, 2);
	expect_cores(numa, 2, (const unsigned int[]){ 64, 65, 66, 67 }, 4);
	cr_expect_eq(sdnfv_numa_core_socket(numa, 66), 2);
	cr_expect_eq(sdnfv_numa_cores(numa, 1, NULL, 0), -ENOENT);
	sdnfv_numa_free(numa);
}

Test(numa, parse_accepts_sockets_and_cpus_in_any_order)
{
	struct sdnfv_numa *numa = parse_ok("3:9,1-2,5;1:0,4");

	expect_sockets(numa, (const int[]){ 1, 3 }, 2);
	expect_cores(numa, 1, (const unsigned int[]){ 0, 4 }, 2);
	expect_cores(numa, 3, (const unsigned int[]){ 1, 2, 5, 9 }, 4);
	sdnfv_numa_free(numa);
}

Test(numa, parse_accepts_ids_up_to_int_max)
{
	struct sdnfv_numa *numa = parse_ok("2147483647:2147483645-2147483647");

	expect_sockets(numa, (const int[]){ INT_MAX }, 1);
	expect_cores(numa, INT_MAX, (const unsigned int[]){ INT_MAX - 2, INT_MAX - 1, INT_MAX }, 3);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, INT_MAX, 0), INT_MAX - 2);
	sdnfv_numa_free(numa);
}

Test(numa, parse_rejects_an_empty_description)
{
	expect_rejected("");
}

Test(numa, parse_rejects_an_empty_socket_part)
{
	expect_rejected(";0:0");
	expect_rejected("0:0;;1:1");
	expect_rejected("0:0;");
}

Test(numa, parse_rejects_a_socket_without_cpus)
{
	expect_rejected("0:");
	expect_rejected("0:;1:1");
}

Test(numa, parse_rejects_a_missing_socket_or_colon)
{
	expect_rejected("0");
	expect_rejected(":0-3");
	expect_rejected("0-1:2");
	expect_rejected("0:0;1");
}

Test(numa, parse_rejects_an_empty_cpu_in_a_list)
{
	expect_rejected("0:1,,2");
	expect_rejected("0:1,");
	expect_rejected("0:,1");
	expect_rejected("0:1-");
}

Test(numa, parse_rejects_a_reversed_range)
{
	expect_rejected("0:3-1");
}

Test(numa, parse_rejects_a_cpu_listed_twice)
{
	expect_rejected("0:1,1");
	expect_rejected("0:0-3;1:3");
	expect_rejected("0:0-9,2-3");
	expect_rejected("0:5-9;1:0-5");
}

Test(numa, parse_rejects_a_socket_listed_twice)
{
	expect_rejected("0:0;0:1");
}

Test(numa, parse_rejects_trailing_junk)
{
	expect_rejected("0:0-3x");
	expect_rejected("0:0-3-5");
	expect_rejected("0:0-3:1");
	expect_rejected("0:0\n");
}

Test(numa, parse_rejects_spaces_and_signs)
{
	expect_rejected(" 0:0");
	expect_rejected("0: 0");
	expect_rejected("0:0 ");
	expect_rejected("-1:0");
	expect_rejected("0:+1");
	expect_rejected("0:0-+1");
}

Test(numa, parse_rejects_ids_that_overflow)
{
	expect_rejected("2147483648:0");
	expect_rejected("0:2147483648");
	expect_rejected("0:0-2147483648");
	expect_rejected("0:4294967296");
	expect_rejected("0:99999999999999999999999");
}

Test(numa, parse_rejects_null_arguments)
{
	struct sdnfv_numa *numa = NULL;

	cr_expect_eq(sdnfv_numa_parse(NULL, &numa), -EINVAL);
	cr_expect_eq(sdnfv_numa_parse("0:0", NULL), -EINVAL);
}

static void
parse_reversed_range(void)
{
	struct sdnfv_numa *numa = NULL;

	cr_expect_eq(sdnfv_numa_parse("0:0-3;1:5-4", &numa), -EINVAL);
}

Test(numa, parse_logs_the_position_and_reason_of_an_error)
{
	char *log = capture_log(parse_reversed_range);

	cr_assert_not_null(log);
	cr_expect_not_null(strstr(log, "position 8"), "log: %s", log);
	cr_expect_not_null(strstr(log, "ends before it starts"), "log: %s", log);
	free(log);
}

static void
parse_duplicate_cpu(void)
{
	struct sdnfv_numa *numa = NULL;

	cr_expect_eq(sdnfv_numa_parse("0:5-9;1:0-6", &numa), -EINVAL);
}

Test(numa, parse_logs_a_duplicate_where_it_is_listed_again)
{
	char *log = capture_log(parse_duplicate_cpu);

	cr_assert_not_null(log);
	cr_expect_not_null(strstr(log, "position 8"), "log: %s", log);
	cr_expect_not_null(strstr(log, "CPU 5 listed twice"), "log: %s", log);
	free(log);
}

/* Queries */

Test(numa, sockets_returns_the_count_even_without_room)
{
	struct sdnfv_numa *numa = parse_ok("0:0;4:1;7:2");
	int ids[2] = { -1, -1 };

	cr_expect_eq(sdnfv_numa_sockets(numa, NULL, 0), 3);
	cr_expect_eq(sdnfv_numa_sockets(numa, ids, 1), 3);
	cr_expect_eq(ids[0], 0);
	cr_expect_eq(ids[1], -1, "wrote past the room given");
	cr_expect_eq(sdnfv_numa_cores(numa, 4, NULL, 0), 1);
	sdnfv_numa_free(numa);
}

Test(numa, queries_of_an_unknown_socket_or_core_are_enoent)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3;2:64-67");

	cr_expect_eq(sdnfv_numa_cores(numa, 1, NULL, 0), -ENOENT);
	cr_expect_eq(sdnfv_numa_cores(numa, -1, NULL, 0), -ENOENT);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 3), -ENOENT);
	cr_expect_eq(sdnfv_numa_core_socket(numa, 4), -ENOENT);
	cr_expect_eq(sdnfv_numa_core_socket(numa, UINT_MAX), -ENOENT);
	sdnfv_numa_free(numa);
}

Test(numa, functions_given_null_return_einval)
{
	struct sdnfv_numa *numa = parse_ok("0:0");

	cr_expect_eq(sdnfv_numa_discover(NULL), -EINVAL);
	cr_expect_eq(sdnfv_numa_sockets(NULL, NULL, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_sockets(numa, NULL, 1), -EINVAL);
	cr_expect_eq(sdnfv_numa_cores(NULL, 0, NULL, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_cores(numa, 0, NULL, 1), -EINVAL);
	cr_expect_eq(sdnfv_numa_core_socket(NULL, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_port_socket(NULL, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_core_reserve(NULL, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_core_acquire(NULL, 0, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_core_release(NULL, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_free_cores(NULL, 0), -EINVAL);
	sdnfv_numa_free(numa);
}

Test(numa, free_accepts_null)
{
	sdnfv_numa_free(NULL);
}

/* Taking and giving back cores */

Test(numa, acquire_prefers_the_requested_socket)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3;1:4-7");

	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), 4);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), 5);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, SDNFV_NUMA_STRICT), 6);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_takes_the_lowest_free_core)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3");

	cr_assert_eq(sdnfv_numa_core_reserve(numa, 0), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 1);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 2);
	cr_assert_eq(sdnfv_numa_core_release(numa, 1), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 1);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 3);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_falls_back_to_another_socket_unless_strict)
{
	struct sdnfv_numa *numa = parse_ok("0:0-1;1:2-3");

	cr_assert_eq(sdnfv_numa_core_acquire(numa, 1, 0), 2);
	cr_assert_eq(sdnfv_numa_core_acquire(numa, 1, 0), 3);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, SDNFV_NUMA_STRICT), -ENOSPC);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 0), 2, "a failed strict acquire took a core");
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), 0);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_falls_back_to_the_next_socket_id_wrapping_around)
{
	struct sdnfv_numa *numa = parse_ok("0:0;1:1;2:2");

	cr_assert_eq(sdnfv_numa_core_reserve(numa, 1), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), 2, "socket 1 full: next is socket 2");
	cr_assert_eq(sdnfv_numa_core_release(numa, 1), 0);
	/* Socket 2 is full now: after 2 comes 0, then 1. */
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 2, 0), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 2, 0), 1);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_handles_sparse_socket_and_cpu_ids)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3;2:64-67");

	for (unsigned int c = 64; c < 68; c++)
		cr_expect_eq(sdnfv_numa_core_acquire(numa, 2, 0), (int)c);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 2, SDNFV_NUMA_STRICT), -ENOSPC);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 2, 0), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), -ENOENT);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_any_socket_takes_the_lowest_free_core_of_the_lowest_socket)
{
	struct sdnfv_numa *numa = parse_ok("1:8-9;3:0-1");

	cr_expect_eq(sdnfv_numa_core_acquire(numa, -1, 0), 8);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, -1, SDNFV_NUMA_STRICT), 9);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, -1, 0), 0);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_fails_with_enospc_when_every_core_is_taken)
{
	struct sdnfv_numa *numa = parse_ok("0:0;1:1");

	cr_assert_eq(sdnfv_numa_core_acquire(numa, 0, 0), 0);
	cr_assert_eq(sdnfv_numa_core_acquire(numa, 0, 0), 1);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), -ENOSPC);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), -ENOSPC);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, -1, 0), -ENOSPC);
	sdnfv_numa_free(numa);
}

Test(numa, acquire_of_an_unknown_socket_or_with_unknown_flags_fails)
{
	struct sdnfv_numa *numa = parse_ok("0:0-1");

	cr_expect_eq(sdnfv_numa_core_acquire(numa, 1, 0), -ENOENT);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, -2, 0), -ENOENT);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0x2), -EINVAL);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 0), 2);
	sdnfv_numa_free(numa);
}

Test(numa, reserve_marks_a_core_taken_once)
{
	struct sdnfv_numa *numa = parse_ok("0:0-1");

	cr_expect_eq(sdnfv_numa_core_reserve(numa, 0), 0);
	cr_expect_eq(sdnfv_numa_core_reserve(numa, 0), -EBUSY);
	cr_expect_eq(sdnfv_numa_core_reserve(numa, 2), -ENOENT);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 1);
	cr_expect_eq(sdnfv_numa_core_reserve(numa, 1), -EBUSY);
	sdnfv_numa_free(numa);
}

Test(numa, release_of_a_core_not_taken_fails)
{
	struct sdnfv_numa *numa = parse_ok("0:0-1");

	cr_expect_eq(sdnfv_numa_core_release(numa, 0), -EINVAL);
	cr_expect_eq(sdnfv_numa_core_release(numa, 5), -ENOENT);
	cr_assert_eq(sdnfv_numa_core_acquire(numa, 0, 0), 0);
	cr_expect_eq(sdnfv_numa_core_release(numa, 0), 0);
	cr_expect_eq(sdnfv_numa_core_release(numa, 0), -EINVAL, "released twice");
	cr_expect_eq(sdnfv_numa_free_cores(numa, 0), 2);
	sdnfv_numa_free(numa);
}

Test(numa, free_cores_counts_per_socket_and_in_total)
{
	struct sdnfv_numa *numa = parse_ok("0:0-3;1:4-7");

	cr_expect_eq(sdnfv_numa_free_cores(numa, -1), 8);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 0), 4);
	cr_assert_eq(sdnfv_numa_core_acquire(numa, 0, 0), 0);
	cr_assert_eq(sdnfv_numa_core_reserve(numa, 5), 0);
	cr_assert_eq(sdnfv_numa_core_reserve(numa, 6), 0);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 0), 3);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 1), 2);
	cr_expect_eq(sdnfv_numa_free_cores(numa, -1), 5);
	cr_assert_eq(sdnfv_numa_core_release(numa, 5), 0);
	cr_expect_eq(sdnfv_numa_free_cores(numa, 1), 3);
	cr_expect_eq(sdnfv_numa_free_cores(numa, -1), 6);
	sdnfv_numa_free(numa);
}

/* Discovery on fake systems */

Test(numa, discover_places_each_cpu_on_the_node_libnuma_reports)
{
	static const unsigned int cpus[] = { 0, 1, 2, 3, 64, 65, 66, 67 };
	struct sdnfv_numa *numa = discover_fake(cpus, 8, fake_node_sparse, NULL);

	expect_sockets(numa, (const int[]){ 0, 2 }, 2);
	expect_cores(numa, 0, (const unsigned int[]){ 0, 1, 2, 3 }, 4);
	expect_cores(numa, 2, (const unsigned int[]){ 64, 65, 66, 67 }, 4);
	sdnfv_numa_free(numa);
}

Test(numa, discover_puts_every_cpu_on_socket_0_without_numa)
{
	static const unsigned int cpus[] = { 0, 1, 2, 3, 64, 65, 66, 67 };
	struct sdnfv_numa *numa = discover_fake(cpus, 8, NULL, fake_distance_three);

	expect_sockets(numa, (const int[]){ 0 }, 1);
	expect_cores(numa, 0, cpus, 8);
	sdnfv_numa_free(numa);
}

Test(numa, discover_falls_back_to_the_nearest_socket_by_numa_distance)
{
	static const unsigned int cpus[] = { 0, 1, 2, 3, 4, 5 };
	struct sdnfv_numa *numa = discover_fake(cpus, 6, fake_node_three, fake_distance_three);

	cr_assert_eq(sdnfv_numa_core_reserve(numa, 0), 0);
	cr_assert_eq(sdnfv_numa_core_reserve(numa, 1), 0);
	/* Socket 0 is full: socket 2 (distance 20) is nearer than the next id, 1 (30). */
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 4);
	sdnfv_numa_free(numa);
}

Test(numa, discover_breaks_distance_ties_by_the_next_socket_id)
{
	static const unsigned int cpus[] = { 0, 1, 2, 3, 4, 5 };
	struct sdnfv_numa *numa = discover_fake(cpus, 6, fake_node_three, fake_distance_three);

	cr_assert_eq(sdnfv_numa_core_reserve(numa, 4), 0);
	cr_assert_eq(sdnfv_numa_core_reserve(numa, 5), 0);
	/* Sockets 0 and 1 are both at 20 from socket 2: after 2 comes 0, wrapping. */
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 2, 0), 0);
	sdnfv_numa_free(numa);
}

Test(numa, discover_falls_back_in_id_order_when_distances_are_unknown)
{
	static const unsigned int cpus[] = { 0, 1, 2, 3, 4, 5 };
	struct sdnfv_numa *numa = discover_fake(cpus, 6, fake_node_three, fake_distance_unknown);

	cr_assert_eq(sdnfv_numa_core_reserve(numa, 0), 0);
	cr_assert_eq(sdnfv_numa_core_reserve(numa, 1), 0);
	cr_expect_eq(sdnfv_numa_core_acquire(numa, 0, 0), 2);
	sdnfv_numa_free(numa);
}

static int
fake_node_unknown_above_1(unsigned int cpu)
{
	return cpu <= 1 ? 1 : -1;
}

Test(numa, discover_puts_a_cpu_of_unknown_node_on_socket_0)
{
	static const unsigned int cpus[] = { 0, 1, 2 };
	struct sdnfv_numa *numa = discover_fake(cpus, 3, fake_node_unknown_above_1, NULL);

	expect_sockets(numa, (const int[]){ 0, 1 }, 2);
	expect_cores(numa, 0, (const unsigned int[]){ 2 }, 1);
	sdnfv_numa_free(numa);
}

Test(numa, discover_fails_with_enoent_when_no_cpu_is_allowed)
{
	const struct sdnfv_numa_sys sys = {
		.allowed_cpus = fake_allowed_cpus,
		.node_of_cpu = fake_node_sparse,
	};
	struct sdnfv_numa *numa = NULL;

	fake_cpus = NULL;
	fake_ncpus = 0;
	cr_expect_eq(sdnfv_numa_discover_sys(&sys, &numa), -ENOENT);
	cr_expect_null(numa);
}

/* Discovery on this machine */

Test(numa, discover_agrees_with_sys_devices_system_node)
{
	struct sdnfv_numa *numa = NULL;
	cpu_set_t mask, seen;
	glob_t nodes;
	int ids[256], n;

	self_affinity(&mask);
	cr_assert_eq(sdnfv_numa_discover(&numa), 0);
	n = sdnfv_numa_sockets(numa, ids, 256);
	cr_assert_gt(n, 0);
	cr_assert_leq(n, 256);

	CPU_ZERO(&seen);
	for (int i = 0; i < n; i++) {
		unsigned int cores[CPU_SETSIZE];
		int nc = sdnfv_numa_cores(numa, ids[i], cores, CPU_SETSIZE);
		char path[128];
		cpu_set_t node;

		cr_assert_gt(nc, 0);
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", ids[i]);
		if (access(path, R_OK) == 0)
			read_cpulist(path, &node);
		else
			cr_assert_eq(ids[i], 0, "no %s, and not socket 0 (no NUMA)", path);
		for (int c = 0; c < nc; c++) {
			cr_expect(access(path, R_OK) != 0 || CPU_ISSET(cores[c], &node),
				  "CPU %u is not in %s", cores[c], path);
			CPU_SET(cores[c], &seen);
		}
	}
	cr_expect(CPU_EQUAL(&seen, &mask), "discovered %d CPUs, affinity mask has %d",
		  CPU_COUNT(&seen), CPU_COUNT(&mask));

	/* And every node with a CPU of the mask is listed. */
	if (glob("/sys/devices/system/node/node[0-9]*", 0, NULL, &nodes) == 0) {
		for (size_t i = 0; i < nodes.gl_pathc; i++) {
			int id = atoi(strrchr(nodes.gl_pathv[i], 'e') + 1);
			char path[256];
			cpu_set_t node, both;

			snprintf(path, sizeof(path), "%s/cpulist", nodes.gl_pathv[i]);
			read_cpulist(path, &node);
			CPU_AND(&both, &node, &mask);
			if (CPU_COUNT(&both) > 0)
				cr_expect_eq(sdnfv_numa_cores(numa, id, NULL, 0), CPU_COUNT(&both),
					     "node %d", id);
		}
		globfree(&nodes);
	}
	sdnfv_numa_free(numa);
}

Test(numa, discover_lists_only_the_cpus_of_the_affinity_mask)
{
	struct sdnfv_numa *numa = NULL;
	cpu_set_t mask, one;
	unsigned int cpu, cores[2];
	int socket;

	self_affinity(&mask);
	cpu = highest_cpu(&mask);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);

	cr_assert_eq(sdnfv_numa_discover(&numa), 0);
	cr_expect_eq(sdnfv_numa_sockets(numa, NULL, 0), 1);
	cr_expect_eq(sdnfv_numa_free_cores(numa, -1), 1);
	socket = sdnfv_numa_core_socket(numa, cpu);
	cr_assert_geq(socket, 0, "CPU %u missing", cpu);
	cr_expect_eq(sdnfv_numa_cores(numa, socket, cores, 2), 1);
	cr_expect_eq(cores[0], cpu);
	sdnfv_numa_free(numa);
}

/* Pinning */

static void
expect_pinned(const cpu_set_t *affinity, int running_on, unsigned int core)
{
	cr_expect_eq(CPU_COUNT(affinity), 1, "affinity has %d CPUs", CPU_COUNT(affinity));
	cr_expect(CPU_ISSET(core, affinity), "CPU %u not in the affinity", core);
	cr_expect_eq(running_on, (int)core, "running on CPU %d, not %u", running_on, core);
}

Test(numa, pin_thread_moves_the_calling_thread_to_the_core)
{
	cpu_set_t mask;

	self_affinity(&mask);
	for (unsigned int c = 0; c < CPU_SETSIZE; c++) {
		cpu_set_t now;

		if (!CPU_ISSET(c, &mask))
			continue;
		cr_assert_eq(sdnfv_numa_pin_thread(pthread_self(), c), 0, "CPU %u", c);
		cr_assert_eq(pthread_getaffinity_np(pthread_self(), sizeof(now), &now), 0);
		/* The kernel migrates the caller before sched_setaffinity() returns. */
		expect_pinned(&now, sched_getcpu(), c);
	}
}

struct pinned_thread {
	pthread_barrier_t pinned;
	cpu_set_t affinity;
	int running_on;
};

static void *
pinned_thread_main(void *arg)
{
	struct pinned_thread *t = arg;

	pthread_barrier_wait(&t->pinned);
	t->running_on = sched_getcpu();
	pthread_getaffinity_np(pthread_self(), sizeof(t->affinity), &t->affinity);
	return NULL;
}

Test(numa, pin_thread_moves_another_thread_to_the_core)
{
	struct pinned_thread t = { .running_on = -1 };
	cpu_set_t mask;
	pthread_t thread;
	unsigned int cpu;

	self_affinity(&mask);
	cpu = highest_cpu(&mask);
	cr_assert_eq(pthread_barrier_init(&t.pinned, NULL, 2), 0);
	cr_assert_eq(pthread_create(&thread, NULL, pinned_thread_main, &t), 0);
	cr_expect_eq(sdnfv_numa_pin_thread(thread, cpu), 0);
	pthread_barrier_wait(&t.pinned);
	cr_assert_eq(pthread_join(thread, NULL), 0);
	pthread_barrier_destroy(&t.pinned);
	expect_pinned(&t.affinity, t.running_on, cpu);
}

Test(numa, pin_thread_rejects_a_core_the_process_may_not_use)
{
	cpu_set_t possible, before, after;
	unsigned int absent;

	read_cpulist("/sys/devices/system/cpu/possible", &possible);
	absent = highest_cpu(&possible) + 1;
	self_affinity(&before);

	cr_expect_eq(sdnfv_numa_pin_thread(pthread_self(), absent), -EINVAL, "CPU %u", absent);
	cr_expect_eq(sdnfv_numa_pin_thread(pthread_self(), 1u << 20), -EINVAL);
	cr_expect_eq(sdnfv_numa_pin_thread(pthread_self(), UINT_MAX), -EINVAL);

	self_affinity(&after);
	cr_expect(CPU_EQUAL(&before, &after), "a failed pin changed the affinity");
}

Test(numa, pin_thread_rejects_an_offline_cpu)
{
	cpu_set_t possible, online;

	read_cpulist("/sys/devices/system/cpu/possible", &possible);
	read_cpulist("/sys/devices/system/cpu/online", &online);
	for (unsigned int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &possible) && !CPU_ISSET(c, &online)) {
			cr_expect_eq(sdnfv_numa_pin_thread(pthread_self(), c), -EINVAL, "CPU %u",
				     c);
			return;
		}
	}
	cr_skip_test("every possible CPU is online");
}

/* Ports */

Test(numa, port_socket_of_a_port_that_does_not_exist_is_enodev)
{
	struct sdnfv_numa *numa = parse_ok("0:0");

	cr_expect_eq(sdnfv_numa_port_socket(numa, 0), -ENODEV);
	cr_expect_eq(sdnfv_numa_port_socket(numa, UINT16_MAX), -ENODEV);
	sdnfv_numa_free(numa);
}

/* One EAL start for both cases. net_null, like most virtual drivers, reports the socket of the
 * lcore that probed it; a ring port made with SOCKET_ID_ANY reports none. */
Test(numa, port_socket_is_the_drivers_or_else_the_lowest_socket)
{
	static const char *const vdev[] = { "--vdev=net_null0", NULL };
	const struct sdnfv_test_eal eal = { .extra_args = vdev };
	struct sdnfv_numa *numa = parse_ok("2:0;5:1");
	struct rte_ring *ring;
	uint16_t null_port;
	int ring_port;

	cr_assert_geq(sdnfv_test_eal_init(&eal), 0, "EAL init failed");
	cr_assert_eq(rte_eth_dev_get_port_by_name("net_null0", &null_port), 0);
	cr_assert_geq(rte_eth_dev_socket_id(null_port), 0);
	cr_expect_eq(sdnfv_numa_port_socket(numa, null_port), rte_eth_dev_socket_id(null_port));

	ring = rte_ring_create("numa_test", 16, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	cr_assert_not_null(ring);
	ring_port =
		rte_eth_from_rings("numa_test", &ring, 1, &ring, 1, (unsigned int)SOCKET_ID_ANY);
	cr_assert_geq(ring_port, 0, "rte_eth_from_rings: %s", rte_strerror(rte_errno));
	cr_assert_eq(rte_eth_dev_socket_id((uint16_t)ring_port), SOCKET_ID_ANY);
	cr_expect_eq(sdnfv_numa_port_socket(numa, (uint16_t)ring_port), 2);

	cr_expect_eq(sdnfv_numa_port_socket(numa, RTE_MAX_ETHPORTS - 1), -ENODEV);
	sdnfv_numa_free(numa);
}
