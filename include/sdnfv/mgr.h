/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * mgr: building blocks of a host manager — ports, the dispatch loop, NF admission and liveness,
 * service chains, the smart data plane, telemetry.
 *
 * A manager is the DPDK primary process of a host. It owns the ports, the packet pool (one
 * mempool per socket) and the flow table, and it runs the packet path:
 *
 *     port RX → flow table (rule → chain) → first hop's NF rx ring
 *     NF tx ring → the verdict (next hop, service, port, drop) → NF rx ring or port TX
 *
 * One thread, the *dispatcher* (the thread that calls sdnfv_mgr_run()), moves every packet; it
 * is the single producer of every NF rx ring and of every port's transmit queue, and the single
 * consumer of every NF tx ring and port receive queue — the NetVM rule that each ring has one
 * writer holds without a lock. A control thread of the manager admits NFs, watches them, applies
 * smart-data-plane requests and maintains the flow table; it never touches packets.
 *
 * **Chains and the policy.** Services, chains per traffic class, rules that pick a chain and the
 * alternatives each hop allows come from a policy file (YAML, see examples/manager/policy.yaml):
 * the host runs standalone, with no controller. The flow of a packet is its 5-tuple; its *flow
 * id* is a symmetric hash of it (both directions give the same id), which picks the instance of
 * each service (see service.h: an instance keeps its flows while it lives, and when instances
 * come or go only the flows of the changed instance move).
 *
 * **Admission and liveness.** NFs register over DPDK's multi-process channel (sdnfv_nf_init() in
 * nf.h); there is no fixed limit on NFs or services beyond the capacities given at creation. The
 * control thread watches every NF process (a pidfd, which turns readable when the process
 * exits; the thread looks at least every millisecond): an NF that dies is noticed within a few
 * milliseconds, taken out of its service (its flows move to another instance, or to the
 * service's fallback: bypass or drop), and its rings and the packets it held are given back to
 * the pool. What it had already handled (its tx ring) goes on its way. Packets lost to a death
 * are counted (#SDNFV_MGR_DROP_NF_DIED) and returned to the pool: those in its rx ring (at most
 * sdnfv_mgr_params::nf_ring_size), those the dispatcher had kept for it (at most 256 + one
 * burst), the burst in its hands and the packets it held. Only packets in the NF's hands during a
 * few instructions (between taking a burst and recording it, between two records of the same
 * burst) or released by it but not yet returned (at most 64) are lost to the pool as well.
 *
 * **Overload.** The dispatcher never drops a packet that an NF already worked on because the
 * next NF is slow: it keeps such packets and stops taking more from the upstream NF, whose tx
 * ring then fills and stops it, and so on back to the chain's entry. There, a packet whose first
 * NF's ring is full is dropped before any work is spent on it (#SDNFV_MGR_DROP_ENTRY_FULL). Every
 * drop is counted by reason.
 *
 * **Telemetry.** DPDK's telemetry socket answers `/sdnfv/nfs`, `/sdnfv/nf,<id>`,
 * `/sdnfv/services`, `/sdnfv/ports`, `/sdnfv/stats`, `/sdnfv/flows` (the busiest flows),
 * `/sdnfv/chains` and `/sdnfv/paths[,N]` (smart-data-plane changes); read them with
 * `dpdk-telemetry.py -f <prefix>`. Lists of records come as dicts keyed by rank or id (DPDK 22.11
 * nests dicts only in dicts).
 *
 * **Smart data plane.** A path change an NF asks for (sdnfv_nf_path_change()) is checked against
 * the alternatives of the hop the packet was at, in the chain that placed the flow; when allowed,
 * the manager derives a new chain (kept with the others: chains are never removed) and pins the
 * flow to it with an exact-match rule of priority 65535 (cookie 0x5344504154480000 | NF id).
 * The rule matches the packet's own direction only: the reverse direction keeps its path.
 *
 * **Threads.** sdnfv_mgr_create() and sdnfv_mgr_free() from the main thread; sdnfv_mgr_run()
 * from one lcore; sdnfv_mgr_stop() from anywhere, signal handlers included; the rest from the
 * thread that created the manager, before sdnfv_mgr_run() or while it runs.
 */
#ifndef SDNFV_MGR_H
#define SDNFV_MGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sdnfv/common.h>
#include <sdnfv/nf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A host manager; opaque. */
struct sdnfv_mgr;

/** Why the manager dropped packets (index of sdnfv_mgr_stats::drops). */
enum sdnfv_mgr_drop {
	SDNFV_MGR_DROP_VERDICT = 0,   /**< an NF's drop verdict */
	SDNFV_MGR_DROP_NO_RULE,       /**< no rule matched and the policy's miss is drop */
	SDNFV_MGR_DROP_CHAIN,         /**< the chain ends in drop */
	SDNFV_MGR_DROP_NO_INSTANCE,   /**< a service had no live instance; its fallback is drop */
	SDNFV_MGR_DROP_ENTRY_FULL,    /**< overload: the chain's first NF ring was full */
	SDNFV_MGR_DROP_PORT_FULL,     /**< a port's transmit queue was full */
	SDNFV_MGR_DROP_BAD_DEST,      /**< a verdict named an unknown port or service */
	SDNFV_MGR_DROP_NF_GONE,       /**< sent to an NF that left at that instant */
	SDNFV_MGR_DROP_NF_DIED,       /**< in a dead NF's ring or hands */
	SDNFV_MGR_DROP_HOLD_FULL,     /**< an NF held more than it may */
	SDNFV_MGR_DROP_NO_CONTROLLER, /**< a table miss while no controller is connected (ofp.h) */
	SDNFV_MGR_DROP_PACKET_IN_LIMIT, /**< a table miss over the PACKET_IN rate limit, or while the
					  *   agent is behind (ofp.h: packet_in_queue_full) */
	SDNFV_MGR_DROP_BUFFER, /**< a flow buffer was full, or timed out before its release */
	SDNFV_MGR_DROP_TO_CONTROLLER, /**< sent whole to the controller (no buffer id left) */
	SDNFV_MGR_DROP__MAX,          /**< number of reasons */
};

/**
 * A state report from an NF (sdnfv_nf_report()). Called in the manager's control thread.
 *
 * @param arg   sdnfv_mgr_params::report_arg.
 * @param nf    the NF's id.
 * @param data  the report; valid during the call.
 * @param len   its length.
 */
typedef void (*sdnfv_mgr_report_cb)(void *arg, uint16_t nf, const void *data, size_t len);

/** Parameters of sdnfv_mgr_create(). Zero-initialise, set sz, then the fields you need. */
struct sdnfv_mgr_params {
	size_t sz;              /**< sizeof(struct sdnfv_mgr_params) */
	const char *pool_name;  /**< the packet pool's name; NULL: "sdnfv" */
	uint32_t pool_size;     /**< mbufs per socket; 0: 16383 */
	uint32_t max_nfs;       /**< NFs alive at once; 0: 1024 */
	uint32_t max_services;  /**< services; 0: 1024 */
	uint32_t max_instances; /**< live instances per service; 0: 64 */
	uint32_t
		max_chains; /**< chains, including those smart-data-plane changes derive; 0: 4096 */
	uint32_t max_rules; /**< flow-table rules; 0: 65536 */
	uint32_t max_flows; /**< flow-cache entries; 0: 262144 */
	uint32_t nf_ring_size; /**< slots of each NF ring; 0: 1024 */
	unsigned int burst;    /**< packets per receive burst, 1 to 64; 0: 32 */
	uint32_t liveness_ms;  /**< longest wait between two looks at the NF processes; the control
			       *   thread looks every millisecond anyway (it also serves NF
			       *   messages), so only values below 1 would matter; 0: 10 */
	uint32_t stats_period_ms; /**< print console stats this often; 0: never */
	uint32_t idle_exit_ms;    /**< stop sdnfv_mgr_run() when no packet arrived for this long
				  *   and every ring is empty (runs over a pcap end), counted from
				  *   the first read of the ports (see @ref min_nfs); 0: never */
	uint32_t min_nfs;         /**< receive from ports only once this many NFs run (so a chain is
				  *   complete before traffic starts); 0: at once */
	sdnfv_mgr_report_cb report; /**< state reports; NULL: logged */
	void *report_arg;           /**< passed to @ref report */
};

/**
 * Create a manager: the pool, the host's shared memory, the flow table, the control thread and
 * the telemetry commands. The EAL must run as the primary process.
 *
 * @param params    the parameters; copied.
 * @param[out] out  the manager (free with sdnfv_mgr_free()).
 * @return 0; -EINVAL for bad parameters; -EEXIST when a manager already runs in this DPDK
 *         instance; -ENOMEM; -errno from the EAL.
 */
SDNFV_API int sdnfv_mgr_create(const struct sdnfv_mgr_params *params, struct sdnfv_mgr **out);

/**
 * Stop everything and free the manager: NFs are asked to stop (and waited for, up to three
 * seconds in all), their rings and the host's memory are freed, the pool too. The ports it took
 * are stopped and closed (a closed DPDK port is released: a later manager needs a new port).
 *
 * @param mgr  the manager, or NULL.
 */
SDNFV_API void sdnfv_mgr_free(struct sdnfv_mgr *mgr);

/**
 * Take a DPDK port: configure one receive and one transmit queue from the manager's pool and
 * start it. Before sdnfv_mgr_run().
 *
 * @param mgr      the manager.
 * @param port_id  a DPDK port (any driver: a NIC, net_pcap, net_ring, net_null, net_af_packet,
 *                 net_tap ...).
 * @return 0; -ENODEV for an unknown port; -EEXIST when taken already; -errno from ethdev.
 */
SDNFV_API int sdnfv_mgr_port_add(struct sdnfv_mgr *mgr, uint16_t port_id);

/**
 * Load a policy file (services, chains, rules, allowed alternatives). A bad file is refused with
 * its line and the reason, logged and in @p err, and nothing of it is applied. One policy per
 * manager.
 *
 * @param mgr     the manager; before sdnfv_mgr_run().
 * @param path    the file.
 * @param err     if not NULL, receives `path:line:col: reason` on failure.
 * @param errlen  room in @p err.
 * @return the number of rules loaded; -EINVAL for a bad file; -ENOSPC when capacities are too
 *         small; -EEXIST when a policy is loaded already; -errno when the file cannot be read.
 */
SDNFV_API int sdnfv_mgr_policy_load(struct sdnfv_mgr *mgr, const char *path, char *err,
				    size_t errlen);

/**
 * Run an NF in the manager's own thread: its handler is called by the dispatcher, packets
 * reach it by function call (no ring). The fastest placement on a host with few cores; the NF
 * code is the same as in a process of its own.
 *
 * @param mgr       the manager; before sdnfv_mgr_run().
 * @param params    the NF's parameters (sdnfv_nf_params::mode is ignored).
 * @param[out] out  if not NULL, the NF (owned by the manager).
 * @return the NF's id (>= 0); -EINVAL; -ENOSPC when the host is full.
 */
SDNFV_API int sdnfv_mgr_nf_add_local(struct sdnfv_mgr *mgr, const struct sdnfv_nf_params *params,
				     struct sdnfv_nf **out);

/**
 * Run the dispatcher on the calling lcore until sdnfv_mgr_stop() (or sdnfv_mgr_params::
 * idle_exit_ms). On stop, ports stop receiving first; the packets already inside the host are
 * carried to their end before the call returns (up to a second).
 *
 * @param mgr  the manager.
 * @return 0; -EBUSY when it runs already.
 */
SDNFV_API int sdnfv_mgr_run(struct sdnfv_mgr *mgr);

/**
 * Ask sdnfv_mgr_run() to return. Any thread; async-signal-safe.
 *
 * @param mgr  the manager.
 */
SDNFV_API void sdnfv_mgr_stop(struct sdnfv_mgr *mgr);

/**
 * Ask an NF to stop gracefully: it is taken out of its service, finishes what it has and leaves.
 *
 * @param mgr  the manager.
 * @param id   the NF.
 * @return 0; -ENOENT for no such live NF.
 */
SDNFV_API int sdnfv_mgr_nf_stop(struct sdnfv_mgr *mgr, uint16_t id);

/**
 * Send a message to an NF's message handler.
 *
 * @param mgr   the manager.
 * @param id    the NF.
 * @param type  the message type (the application's).
 * @param data  the payload; copied.
 * @param len   its length.
 * @return 0; -ENOENT for no such live NF; -EINVAL for an id above the capacity or a NULL
 *         payload with a length; -ENOBUFS when its message queue is full; -ENOMEM.
 */
SDNFV_API int sdnfv_mgr_nf_send(struct sdnfv_mgr *mgr, uint16_t id, uint32_t type, const void *data,
				size_t len);

/** Counters of the manager, summed. */
struct sdnfv_mgr_stats {
	uint64_t rx;                         /**< packets received from ports */
	uint64_t tx;                         /**< packets sent out of ports */
	uint64_t to_nf;                      /**< packets handed to NFs (rings or calls) */
	uint64_t from_nf;                    /**< packets NFs returned */
	uint64_t drops[SDNFV_MGR_DROP__MAX]; /**< drops by reason */
	uint64_t nfs_admitted;               /**< NFs registered since start */
	uint64_t nfs_died;                   /**< NFs whose process died */
	uint64_t nfs_live;                   /**< NFs alive now */
	uint64_t path_applied;               /**< smart-data-plane changes applied */
	uint64_t path_refused;               /**< and refused */
	uint64_t reports;                    /**< state reports received */
	uint64_t pool_in_use;                /**< mbufs of the pool in use now */
	uint64_t register_us_max;            /**< slowest registration handled, µs */
	uint64_t busy_cycles; /**< TSC cycles of the dispatcher's passes that moved packets: its
			       *   capacity is packets moved over this time, whether or not its
			       *   input kept it busy (the rest of its time it polls empty queues) */
};

/**
 * Read the manager's counters. Any thread.
 *
 * @param mgr       the manager.
 * @param[out] out  the counters.
 */
SDNFV_API void sdnfv_mgr_stats(struct sdnfv_mgr *mgr, struct sdnfv_mgr_stats *out);

/**
 * Print a human summary (counters, NFs, services, drops) to a stream.
 *
 * @param mgr  the manager.
 * @param f    the stream.
 */
SDNFV_API void sdnfv_mgr_dump(struct sdnfv_mgr *mgr, FILE *f);

/**
 * A drop reason's name ("entry_full").
 *
 * @param reason  an enum sdnfv_mgr_drop value.
 * @return a static string; "unknown" for others.
 */
SDNFV_API const char *sdnfv_mgr_drop_name(unsigned int reason);

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_MGR_H */
