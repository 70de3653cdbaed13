/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * numa: sockets, cores, and placement of NFs, queues and pools.
 *
 * A packet stored on socket N should only be touched by cores on socket N. This layer knows which
 * cores belong to which socket, which socket a port is attached to, and hands out cores so that
 * a new NF or queue lands on the socket of the port it serves.
 *
 * A topology (struct sdnfv_numa) is either discovered from the running system
 * (sdnfv_numa_discover(): libnuma for the socket of each CPU, restricted to the CPUs this process
 * may run on) or described by a string (sdnfv_numa_parse()), which lets tests and simulations run
 * a two-socket placement on a one-socket machine. A "socket" here is a NUMA node id, the same
 * number DPDK uses as `socket_id`.
 *
 * The topology also tracks which cores are taken: sdnfv_numa_core_reserve() marks a core the
 * caller already uses (say the manager's own lcores), sdnfv_numa_core_acquire() picks a free core
 * on a socket and marks it, sdnfv_numa_core_release() gives it back. There is no limit on the
 * number of sockets or cores beyond memory.
 *
 * **Threads.** A topology is not synchronised: use it from one control thread, or lock around it.
 * sdnfv_numa_pin_thread() may be called from any thread.
 *
 * **Errors.** Besides the codes listed with each function, every function returns -EINVAL (and
 * logs it) when a topology, output or array pointer it needs is NULL.
 */
#ifndef SDNFV_NUMA_H
#define SDNFV_NUMA_H

#include <pthread.h>
#include <stdint.h>

#include <sdnfv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A topology: sockets, their cores, and which cores are taken. Opaque. */
struct sdnfv_numa;

/**
 * Discover the topology of this machine.
 *
 * Lists the CPUs this process may run on (its affinity mask) with the NUMA node of each. Without
 * NUMA support in the kernel every CPU is placed on socket 0.
 *
 * The mask read is the calling thread's, which is the process's unless that thread was pinned:
 * call this before rte_eal_init(), which pins the calling thread to the main lcore, or from a
 * thread that was never pinned.
 *
 * @param[out] out  the new topology, owned by the caller (free with sdnfv_numa_free()).
 * @return 0; -ENOMEM; -ENOENT when the process may run on no CPU at all.
 */
SDNFV_API int sdnfv_numa_discover(struct sdnfv_numa **out);

/**
 * Build a topology from a description.
 *
 * The description lists sockets separated by `;`, each as `<socket>:<cpu list>`, where the CPU
 * list uses the kernel's syntax (`0-3,8,10-11`). Example: `"0:0-3;1:4-7"` is two sockets of four
 * cores. Spaces are not allowed. A CPU may appear only once, and so may a socket. Ids are decimal
 * and at most INT_MAX, since the API returns them as int.
 *
 * @param spec      the description.
 * @param[out] out  the new topology, owned by the caller (free with sdnfv_numa_free()).
 * @return 0; -EINVAL for a malformed description (logged with the offending position and
 *         reason); -ENOMEM.
 */
SDNFV_API int sdnfv_numa_parse(const char *spec, struct sdnfv_numa **out);

/**
 * Free a topology.
 *
 * @param numa  the topology, or NULL.
 */
SDNFV_API void sdnfv_numa_free(struct sdnfv_numa *numa);

/**
 * List the sockets that have at least one core.
 *
 * @param numa      the topology.
 * @param[out] ids  filled with up to @p n socket ids in increasing order; may be NULL when @p n is 0.
 * @param n         room in @p ids.
 * @return the number of sockets (which may exceed @p n: call again with more room).
 */
SDNFV_API int sdnfv_numa_sockets(const struct sdnfv_numa *numa, int *ids, unsigned int n);

/**
 * List the cores of a socket.
 *
 * @param numa        the topology.
 * @param socket      the socket id.
 * @param[out] cores  filled with up to @p n core (CPU) ids in increasing order; may be NULL when
 *                    @p n is 0.
 * @param n           room in @p cores.
 * @return the number of cores on the socket (which may exceed @p n); -ENOENT for an unknown socket.
 */
SDNFV_API int sdnfv_numa_cores(const struct sdnfv_numa *numa, int socket, unsigned int *cores,
			       unsigned int n);

/**
 * The socket of a core.
 *
 * @param numa  the topology.
 * @param core  the core (CPU) id.
 * @return the socket id (>= 0); -ENOENT when the core is not in the topology.
 */
SDNFV_API int sdnfv_numa_core_socket(const struct sdnfv_numa *numa, unsigned int core);

/**
 * The socket of an ethdev port: the socket NFs and pools serving the port should use.
 *
 * This is the socket the port's driver reports to DPDK. A port whose driver reports none
 * (SOCKET_ID_ANY, e.g. a ring port made with that socket) is placed on the lowest socket of the
 * topology. Most virtual drivers (null, pcap, ring, tap...) do report one: the socket of the lcore
 * that probed them, usually the main lcore. The socket returned may have no core in the topology
 * when the process may only run on other sockets' CPUs.
 *
 * @param numa     the topology.
 * @param port_id  a DPDK port id; needs the EAL initialised.
 * @return the socket id (>= 0); -ENODEV when the port does not exist.
 */
SDNFV_API int sdnfv_numa_port_socket(const struct sdnfv_numa *numa, uint16_t port_id);

/**
 * Mark a core as taken without choosing it (a core the caller already uses).
 *
 * @param numa  the topology.
 * @param core  the core id.
 * @return 0; -ENOENT when the core is not in the topology; -EBUSY when it is already taken.
 */
SDNFV_API int sdnfv_numa_core_reserve(struct sdnfv_numa *numa, unsigned int core);

/** sdnfv_numa_core_acquire() flag: fail rather than fall back to another socket. */
#define SDNFV_NUMA_STRICT 0x1

/**
 * Choose a free core on a socket and mark it taken.
 *
 * Picks the lowest free core of @p socket. When the socket has none, and @p flags does not hold
 * #SDNFV_NUMA_STRICT, picks the lowest free core of the nearest other socket (by the kernel's
 * NUMA distance when the topology was discovered, otherwise the next socket id, wrapping).
 *
 * @param numa    the topology.
 * @param socket  the wanted socket; -1 (SOCKET_ID_ANY) for any: then the lowest free core of the
 *                lowest socket that has one.
 * @param flags   0 or #SDNFV_NUMA_STRICT.
 * @return the core id (>= 0); -ENOENT for an unknown socket; -ENOSPC when no core is free
 *         (on the socket, or anywhere when falling back is allowed); -EINVAL for unknown flags.
 */
SDNFV_API int sdnfv_numa_core_acquire(struct sdnfv_numa *numa, int socket, unsigned int flags);

/**
 * Give a core back.
 *
 * @param numa  the topology.
 * @param core  a core taken with sdnfv_numa_core_acquire() or sdnfv_numa_core_reserve().
 * @return 0; -ENOENT when the core is not in the topology; -EINVAL when it was not taken.
 */
SDNFV_API int sdnfv_numa_core_release(struct sdnfv_numa *numa, unsigned int core);

/**
 * Number of free cores on a socket.
 *
 * @param numa    the topology.
 * @param socket  the socket id, or -1 for all sockets.
 * @return the count; -ENOENT for an unknown socket.
 */
SDNFV_API int sdnfv_numa_free_cores(const struct sdnfv_numa *numa, int socket);

/**
 * Pin a thread to one core.
 *
 * The process's allowed CPUs are those the kernel lets it use: present, online and in its cpuset
 * (cgroup). A thread's current affinity mask is no limit (any thread may widen its own), so a
 * thread pinned to one core can still be pinned to another; to stay within the mask the process
 * was started with, pin only to cores of a topology from sdnfv_numa_discover().
 *
 * @param thread  the thread (pthread_self() for the caller).
 * @param core    the core (CPU) id.
 * @return 0; -EINVAL when the core does not exist or is outside the process's allowed CPUs;
 *         another negative errno from pthread_setaffinity_np().
 */
SDNFV_API int sdnfv_numa_pin_thread(pthread_t thread, unsigned int core);

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_NUMA_H */
