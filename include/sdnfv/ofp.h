/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ofp: the OpenFlow 1.3 switch agent of a host manager — any OpenFlow 1.3 controller, and the
 * standard tools (`ovs-ofctl -O OpenFlow13`, `ovs-testcontroller`), program the host's flow table.
 *
 * **Ports.** The controller sees two kinds of port. Each DPDK port the manager took is OpenFlow
 * port `DPDK port id + 1`, named after its DPDK device. Each *service* of the host is a logical
 * port, number #SDNFV_OFP_SERVICE_PORT_BASE + service id, named after the service: it is listed in
 * PORT_DESC beside the physical ports, is live while the service has at least one NF instance
 * (PORT_STATUS reports it going up and down, and services appearing), and has packet counters
 * (packets sent to the service and returned by it).
 *
 * **Chains, hop by hop.** A rule whose action is `output:<service>` sends the packet to an
 * instance of the service (picked per flow, as for policy chains). When the NF returns it, the
 * packet is looked up again as if it had arrived on the service's port: `in_port=<service>` rules
 * pick the next hop, so a chain is written one rule per hop:
 *
 *     in_port=1,tcp,tp_dst=80 actions=output:firewall
 *     in_port=firewall,tcp,tp_dst=80 actions=output:nat
 *     in_port=nat,tcp,tp_dst=80 actions=output:2
 *
 * Each hop's lookup is answered from the exact-match flow cache after a flow's first packet, and
 * rule changes reach flows already cached. Because every hop is looked up with the headers the NF
 * returned, a chain through an NF that rewrites headers (a NAT) matches the rewritten packet at
 * the next hop, as in a switch.
 *
 * **Table misses** (and `output:CONTROLLER`) go to the controllers as PACKET_IN. Only the first
 * packet of a new flow (exact 5-tuple and ingress port) goes up: the flow's later packets wait in
 * a bounded per-flow buffer whose id the PACKET_IN carries, and are released by the FLOW_MOD or
 * PACKET_OUT naming that buffer id (a FLOW_MOD looks them up again in the changed table; a
 * PACKET_OUT applies its actions to each), or dropped and counted when the buffer times out.
 * PACKET_INs are rate limited (a token bucket); the dispatcher never waits for the controller.
 *
 * **Smart data plane.** A path change an NF makes (sdnfv_nf_path_change()) is allowed by the
 * alternatives of the hop's service, which a controller sets with the experimenter message
 * #SDNFV_OFP_EXP_SET_ALTERNATIVES (or the policy file gives). Each change is reported to the
 * controllers with the experimenter message #SDNFV_OFP_EXP_PATH_CHANGE, and the exact rule that
 * pins the flow to its new path appears in flow statistics (cookie 0x53445041544800xx, priority
 * 65535; its instructions list the services of the new path in order). Both layouts are below.
 *
 * **Connections.** Targets as Open vSwitch writes them: `tcp:IP[:PORT]` and `ssl:IP[:PORT]`
 * connect (retrying with exponential back-off), `ptcp:[PORT][:IP]` and `pssl:[PORT][:IP]` listen
 * (the port defaults to 6653). Several targets may be given; each connection has its own role
 * (equal, master, slave: ROLE_REQUEST) and asynchronous-message configuration (SET_ASYNC). TLS
 * needs a private key, its certificate and the CA certificate that signed the controller's
 * (mutual authentication; `ovs-pki` makes them). An idle connection is probed with ECHO_REQUEST
 * and dropped when the probe is not answered.
 *
 * **Fail modes.** While no controller is connected, `secure` keeps the installed rules and drops
 * table misses (counted); `standalone` also puts the policy file's rules back in the table, and
 * the policy's miss handling applies, until a controller connects again (its rules then leave).
 *
 * **Threads.** The agent runs a thread of its own (sockets, TLS, encoding, flow-table writes under
 * the manager's lock). sdnfv_ofp_create() and sdnfv_ofp_free() from the thread that created the
 * manager; sdnfv_ofp_stats() from any thread.
 */
#ifndef SDNFV_OFP_H
#define SDNFV_OFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sdnfv/common.h>
#include <sdnfv/mgr.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An OpenFlow agent; opaque. */
struct sdnfv_ofp;

/** OpenFlow port number of service 0; service s is this + s. */
#define SDNFV_OFP_SERVICE_PORT_BASE 0x8000u

/** What happens while no controller is connected. */
enum sdnfv_ofp_fail_mode {
	SDNFV_OFP_FAIL_SECURE = 0, /**< keep the rules, drop table misses */
	SDNFV_OFP_FAIL_STANDALONE, /**< keep the rules and run the policy file's rules too */
};

/** Most targets one agent takes. */
#define SDNFV_OFP_TARGETS_MAX 8

/** Parameters of sdnfv_ofp_create(). Zero-initialise, set sz, then the fields you need. */
struct sdnfv_ofp_params {
	size_t sz;                                  /**< sizeof(struct sdnfv_ofp_params) */
	const char *targets[SDNFV_OFP_TARGETS_MAX]; /**< controller targets; NULL-terminated */
	uint64_t datapath_id;                       /**< 0: from the first port's MAC address */
	enum sdnfv_ofp_fail_mode fail_mode;         /**< while no controller is connected */
	const char *ssl_private_key;                /**< PEM; needed for ssl: and pssl: */
	const char *ssl_certificate;                /**< PEM, the key's certificate */
	const char *ssl_ca_certificate;             /**< PEM, the CA that signs the peers' */
	uint32_t probe_interval_ms; /**< ECHO_REQUEST after this long idle, drop after twice; 0:
				     *   5000 */
	uint32_t max_backoff_ms;    /**< longest wait between two connection attempts; 0: 8000 */
	uint32_t packet_in_rate;    /**< PACKET_INs per second at most; 0: 100000 */
	uint32_t packet_in_burst;   /**< tokens of the bucket; 0: 1000 */
	uint32_t buffer_flows;      /**< flows buffered at once (buffer ids); 0: 4096 */
	uint32_t buffer_packets;    /**< packets buffered per flow, 1 to 64; 0: 16 */
	uint32_t buffer_timeout_ms; /**< a buffer not released for this long is dropped; 0: 1000 */
};

/**
 * Attach an OpenFlow agent to a manager and start it: its thread connects to (or listens for)
 * the targets. Call after sdnfv_mgr_create() and sdnfv_mgr_port_add(), before sdnfv_mgr_run();
 * a policy file, when loaded, gives the services (NFs of other services create theirs when they
 * register) and the standalone rules. One agent per manager.
 *
 * @param mgr       the manager.
 * @param params    the parameters; copied.
 * @param[out] out  the agent (free with sdnfv_ofp_free() before sdnfv_mgr_free()).
 * @param err       if not NULL, receives the reason of a failure (a bad target, an unreadable
 *                  certificate).
 * @param errlen    room in @p err.
 * @return 0; -EINVAL for bad parameters or targets; -EEXIST when the manager has an agent;
 *         -EADDRINUSE when a listening port is taken; -ENOMEM; -errno.
 */
SDNFV_API int sdnfv_ofp_create(struct sdnfv_mgr *mgr, const struct sdnfv_ofp_params *params,
			       struct sdnfv_ofp **out, char *err, size_t errlen);

/**
 * Stop the agent: its connections close, its thread ends, packets in its buffers are dropped
 * (counted). The manager keeps its rules and runs on without a controller.
 *
 * @param agent  the agent, or NULL.
 */
SDNFV_API void sdnfv_ofp_free(struct sdnfv_ofp *agent);

/** Counters of an agent. */
struct sdnfv_ofp_stats {
	uint32_t connections;       /**< controller connections up now (handshake done) */
	uint64_t msgs_rx;           /**< OpenFlow messages received */
	uint64_t msgs_tx;           /**< and sent */
	uint64_t errors_tx;         /**< ERROR messages sent (bad or refused requests) */
	uint64_t flow_mods;         /**< FLOW_MODs applied */
	uint64_t packet_in;         /**< PACKET_INs sent (each counted once, whatever the number of
				   *   controllers) */
	uint64_t packet_in_limited; /**< table misses not sent up: over the PACKET_IN rate limit */
	uint64_t packet_in_queue_full; /**< table misses not sent up: the agent was behind (its
					 *   queue of 4095 PACKET_INs was full), or no connection
					 *   wanted them */
	uint64_t packet_out;           /**< PACKET_OUTs executed */
	uint64_t buffered;             /**< packets that waited in a flow buffer */
	uint64_t buffer_released;      /**< and were released by a FLOW_MOD or PACKET_OUT */
	uint64_t buffer_dropped;       /**< and were dropped: buffer full or timed out */
	uint64_t no_controller;  /**< table misses dropped because no controller was connected */
	uint64_t path_reports;   /**< path-change experimenter messages sent */
	uint64_t reconnects;     /**< connection attempts after a loss */
	uint64_t release_p50_ns; /**< rule install latency, median: from a FLOW_MOD naming a
				     *   buffer read off the socket to its first packet handed on by
				     *   the dispatcher (the last 4096 releases) */
	uint64_t release_p99_ns; /**< and its 99th percentile */
};

/**
 * Read the agent's counters. Any thread.
 *
 * @param agent     the agent.
 * @param[out] out  the counters.
 */
SDNFV_API void sdnfv_ofp_stats(const struct sdnfv_ofp *agent, struct sdnfv_ofp_stats *out);

/* ---------------------------------------------------------------------------------------- */
/* SDNFV's experimenter messages (OFPT_EXPERIMENTER, experimenter id #SDNFV_OFP_EXPERIMENTER)  */

/** Experimenter id of SDNFV's messages: "SDNF". */
#define SDNFV_OFP_EXPERIMENTER 0x53444e46u

/** exp_type of a path-change report, switch to controller. */
#define SDNFV_OFP_EXP_PATH_CHANGE 1
/** exp_type of an alternatives setting, controller to switch. */
#define SDNFV_OFP_EXP_SET_ALTERNATIVES 2

/**
 * Body of #SDNFV_OFP_EXP_PATH_CHANGE (after the 16-byte experimenter header), network byte
 * order, 24 bytes, then the flow's OXM match (struct ofp_match, padded to 8): the exact flow the
 * change applies to, its in_port being the port the flow was looked up on at the hop that changed.
 */
struct sdnfv_ofp_path_change {
	uint32_t nf_id;        /**< the NF that asked */
	uint32_t service_port; /**< the port of the NF's service */
	uint32_t target_port;  /**< for a redirect, the port of the new service; else 0 */
	uint8_t op;            /**< 1 skip, 2 redirect, 3 restore (enum sdnfv_path_op) */
	uint8_t applied;       /**< 1 applied, 0 refused (not allowed, or no room) */
	uint16_t pad;          /**< 0 */
	uint64_t cookie;       /**< the pinning rule's cookie (0 when refused) */
} __attribute__((packed));

/** sdnfv_ofp_alternatives::allow bits. */
#define SDNFV_OFP_ALLOW_SKIP         0x1 /**< an NF of the service may skip its hop */
#define SDNFV_OFP_ALLOW_RESTORE      0x2 /**< it may restore a flow's default path */
#define SDNFV_OFP_ALLOW_REDIRECT_ANY 0x4 /**< it may redirect to any service */

/**
 * Body of #SDNFV_OFP_EXP_SET_ALTERNATIVES, network byte order: 8 bytes, then n_redirect service
 * ports (uint32_t each) the service's NFs may redirect flows to. It replaces the service's
 * alternatives on every hop that sends packets to it from now on. A bad port gives the error
 * OFPET_BAD_REQUEST / OFPBRC_BAD_PORT; a bad length OFPBRC_BAD_LEN. Send a BARRIER_REQUEST after
 * it to know it applied.
 */
struct sdnfv_ofp_alternatives {
	uint32_t service_port; /**< the service whose hops it sets */
	uint16_t allow;        /**< SDNFV_OFP_ALLOW_* */
	uint16_t n_redirect;   /**< ports that follow */
} __attribute__((packed));

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_OFP_H */
