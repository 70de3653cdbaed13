/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * nf: the network-function SDK — attach to a host manager, declare a service, handle bursts.
 *
 * An NF is a program (a DPDK secondary process) or a set of handlers that a host runs. It
 * declares the *service* it provides ("firewall"); the manager sends it the packets of the flows
 * whose service chain names that service, and the NF answers each packet with a **verdict**:
 * the next hop of the flow's chain (sdnfv_nf_next()), a named service (sdnfv_nf_to_service()), a
 * port (sdnfv_nf_to_port()), drop (sdnfv_nf_drop()) or hold (sdnfv_nf_hold(): the NF keeps the
 * packet and gives it back later with sdnfv_nf_release()). Packets never move: the manager and the
 * NF pass mbuf pointers over two single-producer rings per NF (rx: manager → NF, tx: NF →
 * manager), and the verdict travels in the packet's struct sdnfv_meta.
 *
 * **Lifecycle.** One call, sdnfv_nf_init(), starts the EAL as a secondary of the manager's DPDK
 * instance (waiting for the manager when the NF starts first), registers the NF and returns a
 * handle. sdnfv_nf_run() calls the handler table until the NF is stopped — by a signal
 * (SIGINT/SIGTERM, when the NF asks for the SDK's handlers), by sdnfv_nf_stop(), or by the
 * manager. A graceful stop loses no packet: the manager stops sending to the NF, the NF handles
 * what is already in its ring, returns what it holds (sdnfv_nf_ops::teardown must release or drop
 * its held packets) and only then leaves.
 *
 * **Handlers** (struct sdnfv_nf_ops) run in the NF's thread: `setup` once, `handle` per burst,
 * `idle` when no packet came for a while (and at least every sdnfv_nf_params::idle_us), `message`
 * for each message from the manager, `teardown` once. The burst handler must set a verdict on
 * every packet (a packet left without one goes to the next hop) and must not free or keep
 * a packet except by the hold verdict: the SDK returns dropped packets to the manager, which
 * frees them, so the pool's accounting stays exact even when an NF dies.
 *
 * **Run modes.** #SDNFV_NF_MODE_POLL busy-polls its ring on a dedicated core. #SDNFV_NF_MODE_SLEEP
 * shares a core: after sdnfv_nf_params::spin_us without packets the NF sleeps on an eventfd that
 * the manager signals when it enqueues to the NF; the wake latency (signal → NF running) is
 * measured and reported in struct sdnfv_nf_stats. An **NF group** (sdnfv_nf_group_run()) runs
 * several NFs in one thread, run to completion: when the next hop of a packet is another NF of
 * the group, the group calls that NF's handler directly instead of going through the manager. A
 * manager can also run NFs in its own thread (sdnfv_mgr_nf_add_local() in mgr.h), which is the
 * fastest placement on a host with few cores.
 *
 * **Smart data plane.** An NF may ask the manager to change the path of a flow from now on
 * (sdnfv_nf_path_change()): skip this NF, send the flow to another service instead of the default
 * next hop, or restore the default path (undo an earlier change). The manager applies a change
 * only if the policy (or controller) rule that placed the flow allows that alternative at this
 * hop, counts refusals, and reports every change. sdnfv_nf_report() sends a state report (opaque
 * bytes) to the manager.
 *
 * **Threads.** Everything here is called from the NF's own thread, except sdnfv_nf_stop(), which
 * any thread or signal handler may call. Each NF process needs a DPDK lcore id that no other
 * process of the host uses (`--lcores=<id>@<cpu>`): mempool caches are per lcore id.
 */
#ifndef SDNFV_NF_H
#define SDNFV_NF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sdnfv/common.h>
#include <sdnfv/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;
struct sdnfv_flow_key;

/** A network function attached to a host; opaque. */
struct sdnfv_nf;

/** Longest NF name, in characters. */
#define SDNFV_NF_NAME_MAX 31

/** Largest burst an NF handler is given. */
#define SDNFV_NF_BURST_MAX 64

/** How an NF waits for packets. */
enum sdnfv_nf_mode {
	SDNFV_NF_MODE_POLL = 0, /**< busy-poll on a dedicated core */
	SDNFV_NF_MODE_SLEEP,    /**< share a core: sleep when idle, woken by the manager */
};

/** A message from the manager to an NF (sdnfv_mgr_nf_send()). */
struct sdnfv_nf_msg {
	uint32_t type;    /**< the sender's meaning; 0 to 0xffff are free for applications */
	uint32_t len;     /**< bytes in @ref data */
	const void *data; /**< the payload; valid during the message handler */
};

/**
 * The handler table. Zero-initialise, set sz and at least @ref handle. Every handler gets the
 * NF and sdnfv_nf_params::arg.
 */
struct sdnfv_nf_ops {
	size_t sz; /**< sizeof(struct sdnfv_nf_ops) */
	/** Once, before the first burst. A negative return stops the NF (sdnfv_nf_run() returns it). */
	int (*setup)(struct sdnfv_nf *nf, void *arg);
	/** Per burst: set a verdict on each of the @p n packets (see the file's description). */
	void (*handle)(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg);
	/** On every loop pass that found no packet, and at least every sdnfv_nf_params::idle_us
	 *  while packets keep coming; may release held packets. */
	void (*idle)(struct sdnfv_nf *nf, uint64_t now_ns, void *arg);
	/** For each message from the manager. */
	void (*message)(struct sdnfv_nf *nf, const struct sdnfv_nf_msg *msg, void *arg);
	/** Once, at stop; must release or drop the packets it still holds. */
	void (*teardown)(struct sdnfv_nf *nf, void *arg);
};

/** Parameters of an NF. Zero-initialise, set sz, then the fields you need. */
struct sdnfv_nf_params {
	size_t sz;           /**< sizeof(struct sdnfv_nf_params) */
	const char *name;    /**< instance name for logs and telemetry; NULL: the service */
	const char *service; /**< the service it provides (required) */
	const struct sdnfv_nf_ops *ops; /**< the handlers (required); must outlive the NF */
	void *arg;                      /**< passed to every handler */
	enum sdnfv_nf_mode mode;        /**< how it waits for packets */
	unsigned int burst;             /**< packets per burst, 1 to #SDNFV_NF_BURST_MAX; 0: 32 */
	uint32_t idle_us;               /**< longest time between idle calls, in µs; 0: 100000 */
	uint32_t spin_us;      /**< #SDNFV_NF_MODE_SLEEP: poll this long before sleeping; 0: 50 */
	uint32_t wait_ms;      /**< sdnfv_nf_init(): wait this long for the manager; 0: 30000 */
	unsigned int max_held; /**< packets it may hold at once; 0: 1024 */
	bool signals;          /**< let the SDK handle SIGINT and SIGTERM (graceful stop) */
};

/**
 * Start the EAL as a secondary process of the manager's DPDK instance and register an NF.
 *
 * The EAL arguments are @p argc / @p argv as for rte_eal_init(); `--proc-type=secondary` is
 * added, and `--file-prefix` must name the manager's prefix. When no manager runs yet, waits up to
 * sdnfv_nf_params::wait_ms for one (a secondary started first would fail), then registers: the
 * manager assigns the NF an id, creates its rings on the NF's socket and replies; the round trip
 * is a few milliseconds.
 *
 * @param argc      argument count.
 * @param argv      arguments; the EAL reorders them like rte_eal_init().
 * @param params    the NF's parameters; copied.
 * @param[out] out  the NF (free with sdnfv_nf_free()).
 * @return the number of arguments the EAL consumed (as rte_eal_init()); -ETIMEDOUT when no
 *         manager came; -EINVAL for bad parameters; -ENAMETOOLONG for a name or service too
 *         long; -ENOENT when the manager does not answer or has no such service; -ENOSPC when
 *         the host is full; -EEXIST when another live NF process uses this lcore id;
 *         -ESHUTDOWN when the manager is stopping; -EPROTO for a manager of another layout
 *         version; -errno of rte_eal_init().
 */
SDNFV_API int sdnfv_nf_init(int argc, char **argv, const struct sdnfv_nf_params *params,
			    struct sdnfv_nf **out);

/**
 * Split an NF program's arguments at the first "--": the EAL's before it, the program's own after
 * it. A program reads its own options (and its files) first, so that a bad one is refused at once,
 * before sdnfv_nf_init() starts the EAL and waits for a manager:
 *
 *     int eal_argc, app_argc = sdnfv_nf_args(argc, argv, &eal_argc, &app_argv);
 *     ... getopt_long(app_argc ? app_argc : 1, app_argv, ...) ...
 *     ret = sdnfv_nf_init(eal_argc, argv, &params, &nf);
 *
 * @param argc           main()'s argc.
 * @param argv           main()'s argv; not modified.
 * @param[out] eal_argc  how many of @p argv are the program name and the EAL's arguments (for
 *                       sdnfv_nf_init()).
 * @param[out] app_argv  the program's own arguments as getopt() expects them: app_argv[0] is the
 *                       "--" (it stands for the program name), then the options; @p argv itself
 *                       when there is no "--".
 * @return the number of entries of @p app_argv (at least 1) when there is a "--"; 0 when there is
 *         none (then @p eal_argc is @p argc: every argument is the EAL's, or the program decides
 *         otherwise).
 */
SDNFV_API int sdnfv_nf_args(int argc, char **argv, int *eal_argc, char ***app_argv);

/**
 * Register one more NF from a process whose EAL already runs (an NF group process registers each
 * of its NFs so).
 *
 * @param params    the NF's parameters; copied.
 * @param[out] out  the NF.
 * @return 0 or a negative errno as for sdnfv_nf_init().
 */
SDNFV_API int sdnfv_nf_attach(const struct sdnfv_nf_params *params, struct sdnfv_nf **out);

/**
 * Run the NF until it is stopped: setup, bursts, idle calls, messages, teardown.
 *
 * @param nf  the NF.
 * @return 0 after a graceful stop; the setup handler's negative return; -EPIPE when the manager
 *         went away (the NF stops; its held packets are lost with the manager).
 */
SDNFV_API int sdnfv_nf_run(struct sdnfv_nf *nf);

/**
 * Run several NFs of this process in the calling thread, run to completion: a packet whose next
 * hop is another NF of the group goes to that NF's handler by function call.
 *
 * @param nfs  the NFs (attached from this process).
 * @param n    how many.
 * @return as sdnfv_nf_run(): 0 when all stopped gracefully.
 */
SDNFV_API int sdnfv_nf_group_run(struct sdnfv_nf *const *nfs, unsigned int n);

/**
 * Ask an NF to stop gracefully. Any thread; async-signal-safe.
 *
 * @param nf  the NF.
 */
SDNFV_API void sdnfv_nf_stop(struct sdnfv_nf *nf);

/**
 * Free an NF's handle. Call after sdnfv_nf_run() returned: the NF left the host then (a graceful
 * stop told the manager; a manager that went away needs nothing).
 *
 * @param nf  the NF, or NULL.
 */
SDNFV_API void sdnfv_nf_free(struct sdnfv_nf *nf);

/**
 * The NF's id on the host (unique among live NFs).
 *
 * @param nf  the NF.
 * @return the id.
 */
SDNFV_API uint16_t sdnfv_nf_id(const struct sdnfv_nf *nf);

/**
 * The id of a service of the host, for sdnfv_nf_to_service() and sdnfv_nf_path_change().
 *
 * @param nf    any NF of the host.
 * @param name  the service's name.
 * @return the id; -ENOENT when the host has no such service.
 */
SDNFV_API int sdnfv_nf_service_id(const struct sdnfv_nf *nf, const char *name);

/* ---------------------------------------------------------------------------------------- */
/* Verdicts                                                                                   */

/**
 * Verdict: the next hop of the packet's service chain. Every packet reaches an NF with no verdict
 * (#SDNFV_ACT_NONE), which also means the next hop, so this call writes nothing unless an earlier
 * verdict of this handler is to be undone: the packet's metadata line then stays shared between
 * the NF's core and the manager's, instead of moving between them for every packet.
 *
 * @param m  the packet.
 */
static inline void
sdnfv_nf_next(struct rte_mbuf *m)
{
	struct sdnfv_meta *meta = sdnfv_meta_get(m);

	if (meta->action != SDNFV_ACT_NONE)
		meta->action = SDNFV_ACT_NONE;
}

/**
 * Verdict: to a service (one of its instances, chosen by flow), as a detour: when that service's
 * NF answers sdnfv_nf_next(), the packet resumes the chain after the NF that sent it there.
 *
 * @param m        the packet.
 * @param service  the service id (sdnfv_nf_service_id()).
 */
static inline void
sdnfv_nf_to_service(struct rte_mbuf *m, uint16_t service)
{
	sdnfv_meta_set_action(m, SDNFV_ACT_SERVICE, service);
}

/**
 * Verdict: out of a port of the host.
 *
 * @param m     the packet.
 * @param port  the DPDK port id.
 */
static inline void
sdnfv_nf_to_port(struct rte_mbuf *m, uint16_t port)
{
	sdnfv_meta_set_action(m, SDNFV_ACT_PORT, port);
}

/**
 * Verdict: drop (the manager frees the packet and counts it against this NF).
 *
 * @param m  the packet.
 */
static inline void
sdnfv_nf_drop(struct rte_mbuf *m)
{
	sdnfv_meta_set_action(m, SDNFV_ACT_DROP, 0);
}

/**
 * Verdict: hold. The NF keeps the packet (at most sdnfv_nf_params::max_held at once; beyond that
 * it is dropped and counted) and gives it back with sdnfv_nf_release().
 *
 * @param m  the packet.
 */
static inline void
sdnfv_nf_hold(struct rte_mbuf *m)
{
	sdnfv_meta_set_action(m, SDNFV_ACT_HOLD, 0);
}

/**
 * Give back a held packet with its new verdict (set it first with the verdict calls; hold again
 * is refused; sdnfv_nf_next() is the next hop). It leaves with the NF's next burst, or at once when the NF is idle.
 *
 * @param nf  the NF holding it.
 * @param m   the packet.
 * @return 0; -ENOENT when @p nf does not hold @p m; -EINVAL when its verdict is still hold.
 */
SDNFV_API int sdnfv_nf_release(struct sdnfv_nf *nf, struct rte_mbuf *m);

/* ---------------------------------------------------------------------------------------- */
/* Smart data plane and messages                                                              */

/** What sdnfv_nf_path_change() asks for. */
enum sdnfv_path_op {
	SDNFV_PATH_SKIP = 1, /**< the flow no longer visits this NF's service at this hop */
	SDNFV_PATH_REDIRECT, /**< the flow's next hop after this one becomes the given service */
	SDNFV_PATH_RESTORE,  /**< the flow takes its default path again (undoes earlier changes) */
};

/**
 * Ask the manager to change the path of the flow of a packet, from its next packet on. The
 * request is asynchronous: the manager checks it against the alternatives the rule that placed the
 * flow allows at the packet's hop, applies it or refuses it (counted in struct sdnfv_nf_stats and
 * reported by the manager), and the packet in hand still takes its verdict.
 *
 * @param nf       the NF.
 * @param m        a packet of the flow, as the NF received it (its chain and hop identify where
 *                 the flow is; its headers identify the flow).
 * @param op       the change.
 * @param service  for #SDNFV_PATH_REDIRECT, the service id; else ignored.
 * @return 0 when the request was sent; -EINVAL for a bad op or service, or a packet that does not
 *         parse as IP; -ENOBUFS when the request queue to the manager is full (try later).
 */
SDNFV_API int sdnfv_nf_path_change(struct sdnfv_nf *nf, const struct rte_mbuf *m,
				   enum sdnfv_path_op op, uint16_t service);

/**
 * Send a state report to the manager (opaque to the library; the manager shows the latest ones in
 * telemetry and hands them to its report callback).
 *
 * @param nf    the NF.
 * @param data  the report.
 * @param len   its length, at most 1024 bytes.
 * @return 0; -EINVAL for a bad length; -ENOBUFS when the queue to the manager is full;
 *         -ENOMEM.
 */
SDNFV_API int sdnfv_nf_report(struct sdnfv_nf *nf, const void *data, size_t len);

/** Counters of one NF, as it sees them. */
struct sdnfv_nf_stats {
	uint64_t rx;            /**< packets received */
	uint64_t tx;            /**< packets returned to the manager (every verdict but hold) */
	uint64_t dropped;       /**< packets given the drop verdict */
	uint64_t held;          /**< packets held now */
	uint64_t hold_refused;  /**< hold verdicts beyond max_held (those packets were dropped) */
	uint64_t bursts;        /**< non-empty bursts handled */
	uint64_t local_calls;   /**< bursts passed to it by function call in a group */
	uint64_t path_requests; /**< path changes asked */
	uint64_t path_refused;  /**< path changes the manager refused */
	uint64_t reports;       /**< state reports sent */
	uint64_t wakeups;       /**< #SDNFV_NF_MODE_SLEEP: times woken by the manager */
	uint64_t wake_ns_avg;   /**< mean wake latency (manager's signal → NF running), ns */
	uint64_t wake_ns_max;   /**< largest wake latency, ns */
};

/**
 * Read an NF's counters. The NF's own thread, or any thread for a rough view.
 *
 * @param nf        the NF.
 * @param[out] out  the counters.
 */
SDNFV_API void sdnfv_nf_stats(const struct sdnfv_nf *nf, struct sdnfv_nf_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_NF_H */
