/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: discovery over a replaceable view of the system, so that tests can describe a
 * two-socket machine (with NUMA distances) on a one-socket one. Never installed. */
#ifndef SDNFV_LIB_NUMA_INTERNAL_H
#define SDNFV_LIB_NUMA_INTERNAL_H

#include <sdnfv/numa.h>

/* What discovery asks of the system. sdnfv_numa_discover() passes the real one. */
struct sdnfv_numa_sys {
	/* The CPUs the calling thread may run on, in increasing order, in a malloc()ed array the
	 * caller frees. Returns 0 or -errno. */
	int (*allowed_cpus)(unsigned int **cpus, unsigned int *n);
	/* NUMA node of a CPU, or -1 when unknown. NULL when the kernel has no NUMA support. */
	int (*node_of_cpu)(unsigned int cpu);
	/* NUMA distance between two nodes (10 = local), 0 when unknown. May be NULL. */
	int (*distance)(int from, int to);
};

/* sdnfv_numa_discover() on the system described by sys. */
int sdnfv_numa_discover_sys(const struct sdnfv_numa_sys *sys, struct sdnfv_numa **out);

#endif
