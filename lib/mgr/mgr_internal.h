/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the host manager's state, shared by its files (dispatcher, control, telemetry). */
#ifndef SDNFV_LIB_MGR_INTERNAL_H
#define SDNFV_LIB_MGR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

struct rte_hash;

#include <sdnfv/flow.h>
#include <sdnfv/mgr.h>
#include <sdnfv/pool.h>

#include "nf/host.h"
#include "nf/nf_internal.h"

extern int sdnfv_logtype_mgr;

/* Packets kept for one NF by the dispatcher because its ring was full. */
#define MGR_PEND_MAX 256
/* Packets a source returned that found a full pend, per source: a burst from its ring or a
 * local NF's output (a burst, and released packets flushed from inside its handler). */
#define MGR_STASH_MAX (4 * SDNFV_NF_BURST_MAX)

/* What the dispatcher keeps per NF (touched only by the dispatcher). */
struct mgr_disp_nf {
	struct sdnfv_host_nf *slot;
	struct sdnfv_nf *local; /* run by the dispatcher itself; NULL for an NF process */
	bool polled;            /* in the dispatcher's list */
	unsigned int n_entry;
	unsigned int n_pend;
	struct rte_mbuf *entry[SDNFV_NF_BURST_MAX];
	struct rte_mbuf *pend[MGR_PEND_MAX];
	/* What this NF returned that found no room downstream, already routed (dest, arg), in
	 * order; nothing more is taken from the NF until it is placed. */
	unsigned int n_stash, stash_off;
	struct rte_mbuf *stash[MGR_STASH_MAX];
	uint8_t stash_dest[MGR_STASH_MAX];
	uint16_t stash_arg[MGR_STASH_MAX];
	/* Counters of the manager's side. */
	uint64_t to_nf, from_nf, entry_drops, signals;
	bool done; /* a reap or remove finished: the control thread may free the slot */
};

struct mgr_port {
	uint16_t id;
	bool used;
	unsigned int n_tx;
	struct rte_mbuf *tx[SDNFV_NF_BURST_MAX * 2];
	uint64_t rx, tx_pkts, tx_drops;
};

/* The manager's private view of a chain: the alternatives each hop allows. */
struct mgr_chain_info {
	uint32_t base; /* the policy chain it derives from (itself for a policy chain) */
	char name[32];
	uint16_t allow[SDNFV_HOST_HOPS_MAX];
	uint16_t n_redirect[SDNFV_HOST_HOPS_MAX];
	uint16_t *redirect[SDNFV_HOST_HOPS_MAX]; /* service ids; owned by the base chain */
};

/* One smart-data-plane change, kept for telemetry. */
struct mgr_path_event {
	uint64_t time_ns;
	uint16_t nf;
	uint16_t nf_service; /* the asking NF's service */
	uint16_t op;
	uint16_t service; /* a redirect's target */
	uint16_t from_chain;
	uint16_t to_chain;
	int16_t result; /* 0 applied; -errno refused */
	struct sdnfv_flow_key key;
};

#define MGR_PATH_LOG   256
#define MGR_REPORT_LOG 16

struct mgr_report {
	uint64_t time_ns;
	uint16_t nf;
	uint16_t len;
	uint8_t data[256];
};

/* The busiest flows, estimated from a sample of one packet per received burst: a direct-mapped
 * table where a colliding flow wears the holder down before it takes the entry. */
#define MGR_SAMPLES 1024

struct mgr_flow_sample {
	uint32_t flow_id;
	uint32_t weight;  /* for replacement */
	uint64_t packets; /* estimated: sampled packets times the burst size */
	uint64_t bytes;
	struct sdnfv_flow_key key;
};

/* ---- the controller hook: what an OpenFlow agent (lib/ofp) needs from the dispatcher ------- */

/* Internal in_port of service s: packets returned by a service's NF are looked up again as
 * arriving on it (OpenFlow chains, hop by hop). DPDK ports are below it. */
#define MGR_SERVICE_PORT(s)    ((uint16_t)(0x8000u | (s)))
#define MGR_IS_SERVICE_PORT(p) (((p)&0x8000u) != 0)
#define MGR_PORT_SERVICE(p)    ((uint16_t)((p)&0x7fffu))
#define MGR_NO_PORT            0xffffu

/* What the dispatcher does with a table miss (and a CONTROLLER action). Written by the agent. */
enum mgr_ctl_mode {
	MGR_CTL_POLICY =
		0, /* the policy's miss chain (no agent, or standalone without controller) */
	MGR_CTL_CONTROLLER, /* PACKET_IN, the flow's packets buffered */
	MGR_CTL_DROP,       /* no controller, fail mode secure */
};

#define MGR_PIN_DATA_MAX 2048

/* A PACKET_IN to send: dispatcher → agent (records travel on pin_ready and back on pin_free). */
struct mgr_pin {
	uint32_t buffer_id; /* UINT32_MAX: not buffered, data holds the frame (up to the max) */
	uint16_t in_port;   /* internal port (DPDK port, or MGR_SERVICE_PORT) */
	uint8_t reason;     /* 0 no match, 1 action */
	uint8_t pad;
	uint64_t cookie;    /* the rule's, for reason action; UINT64_MAX for a miss */
	uint16_t total_len; /* the frame's length */
	uint16_t data_len;  /* bytes in data */
	uint32_t pad2;
	struct sdnfv_flow_key key;
	uint8_t data[MGR_PIN_DATA_MAX];
};

/* Where a released or injected packet goes (agent → dispatcher). */
enum mgr_out_kind {
	MGR_OUT_PORT = 0, /* arg: DPDK port */
	MGR_OUT_CHAIN,    /* arg: chain id (a service hop) */
	MGR_OUT_TABLE,    /* looked up with in_port (the command's) */
	MGR_OUT_FLOOD,    /* every DPDK port but in_port */
	MGR_OUT_IN_PORT,  /* back out of in_port (a DPDK port) */
};

#define MGR_CTL_OUTS_MAX 16

enum mgr_ctl_cmd_kind {
	MGR_CTL_RELEASE = 1, /* buffer → the table again (a FLOW_MOD named it) */
	MGR_CTL_BUFFER_OUT,  /* buffer → outs (a PACKET_OUT named it) */
	MGR_CTL_INJECT,      /* m → outs (a PACKET_OUT with data) */
};

/* A command: malloc'd by the agent, freed by the dispatcher. */
struct mgr_ctl_cmd {
	uint8_t kind; /* enum mgr_ctl_cmd_kind */
	uint8_t n_out;
	uint16_t in_port; /* internal; MGR_NO_PORT for none */
	uint32_t buffer_id;
	uint64_t posted_tsc; /* when the agent posted it (latency figures) */
	struct rte_mbuf *m;
	struct {
		uint8_t kind; /* enum mgr_out_kind */
		uint16_t arg;
	} out[MGR_CTL_OUTS_MAX];
};

/* One flow's buffer (dispatcher only). Slots in use are listed oldest first. */
struct mgr_buf {
	uint32_t id; /* buffer id: generation << 16 | slot; UINT32_MAX when free */
	uint32_t n;
	uint32_t prev, next; /* the in-use list; UINT32_MAX ends it */
	uint64_t deadline_tsc;
	int32_t hash_pos;
	struct sdnfv_flow_key key;
	struct rte_mbuf **pkts; /* per_flow slots */
};

struct mgr_ctl {
	uint32_t mode;              /* enum mgr_ctl_mode; atomic */
	uint32_t miss_send_len;     /* bytes of a buffered frame in a PACKET_IN; atomic */
	struct rte_ring *pin_ready; /* dispatcher → agent (SP/SC) */
	struct rte_ring *pin_free;  /* agent → dispatcher (SP/SC) */
	struct rte_ring *cmds;      /* agent → dispatcher (SP/SC) */
	struct mgr_pin *pins;
	unsigned int n_pins;
	/* The rate limit: a token bucket in TSC cycles (dispatcher only). */
	uint64_t tok_cost, tok_max, tok_level, tok_last;
	/* Flow buffers (dispatcher only). */
	struct rte_hash *buf_hash;
	struct mgr_buf *bufs;
	uint32_t n_bufs, per_flow, free_head, used_head, used_tail;
	uint16_t *gen;
	uint64_t timeout_tsc;
	/* Counters (dispatcher writes). */
	uint64_t pin_sent, buffered, released, buffer_drops, no_controller, limited, queue_full;
	uint64_t packet_out;
	/* Latency of FLOW_MOD releases: posted → first packet handed on, in TSC (dispatcher). */
	uint64_t *lat; /* ring of the last MGR_LAT samples */
	uint64_t n_lat;
	/* Rule removals (flow table callback, any writer thread) → the agent. */
	void (*removed)(void *arg, const struct sdnfv_flow_rule *rule,
			const struct sdnfv_flow_stats *stats, enum sdnfv_flow_removed_reason why);
	void *removed_arg;
	bool dynamic_services; /* NFs of unknown services create them */
};

#define MGR_LAT 4096

/* What the agent asks of the manager (mgr.c); under no lock unless said. */
int sdnfv_mgr__ctl_attach(struct sdnfv_mgr *mgr, uint32_t buffer_flows, uint32_t per_flow,
			  uint32_t timeout_ms, uint32_t pin_rate, uint32_t pin_burst);
void sdnfv_mgr__ctl_detach(struct sdnfv_mgr *mgr);
void sdnfv_mgr__ctl_free(struct sdnfv_mgr *mgr); /* sdnfv_mgr_free(), the dispatcher gone */
/* The chain of one service hop (exit: look up again on the service's port), made on first use.
 * Under the lock. Returns the chain id or -errno. */
int sdnfv_mgr__chain_service(struct sdnfv_mgr *mgr, uint16_t service);
/* The chain that sends packets back out of their in_port. Under the lock. */
int sdnfv_mgr__chain_in_port(struct sdnfv_mgr *mgr);
/* Drop every buffered packet (dispatcher thread, or once it stopped). */
void sdnfv_mgr__ctl_flush_buffers(struct sdnfv_mgr *mgr);
/* Policy rules in or out of the table (standalone fail mode). Under the lock. */
int sdnfv_mgr__policy_rules(struct sdnfv_mgr *mgr, bool on);

enum mgr_cmd_type {
	MGR_CMD_NF_ADD = 1, /* start polling the NF */
	MGR_CMD_NF_REAP,    /* the NF died: reclaim everything it had */
	MGR_CMD_NF_REMOVE,  /* the NF stopped: forget it once its tx ring is empty */
};

struct sdnfv_mgr {
	struct sdnfv_mgr_params p;
	const struct rte_memzone *mz;
	struct sdnfv_host *host;
	struct sdnfv_pool *pool;
	struct sdnfv_flow_table *flows;
	struct sdnfv_flow_reader *disp_reader;
	struct rte_ring *cmds; /* control → dispatcher, multi-producer */
	pthread_mutex_t lock;  /* control side: slots, services, chains, flow-table writes */
	pthread_t ctl_thread;
	bool ctl_started;
	volatile int ctl_stop;
	volatile int stop;
	int running;
	uint64_t epoch; /* the dispatcher's loop count; atomic */

	/* ports */
	struct mgr_port *ports; /* RTE_MAX_ETHPORTS */
	uint16_t port_list[RTE_MAX_ETHPORTS];
	unsigned int n_ports;

	/* NFs */
	struct mgr_disp_nf *disp; /* max_nfs */
	uint16_t *poll_list;      /* ids the dispatcher polls */
	unsigned int n_poll;
	int *pidfd;                  /* max_nfs, control side */
	int *efd;                    /* max_nfs: eventfds that wake sleeping NFs */
	bool *remove_posted;         /* max_nfs: a reap or remove was posted */
	struct rte_ring *local_msgs; /* messages to local NFs: control → dispatcher */
	struct rte_ring *local_up;   /* messages from local NFs: dispatcher → control */
	struct sdnfv_nf **locals;    /* NFs the dispatcher runs itself */
	unsigned int n_locals;
	unsigned int n_live;
	unsigned int n_running;

	/* chains */
	struct mgr_chain_info *chain_info; /* max_chains */
	int miss_chain;                    /* -1: drop */
	int in_port_chain;                 /* -1 until made */
	int32_t *service_chain;            /* max_services: chain of one service hop, or -1 */
	struct sdnfv_flow_rule *pol_rules; /* the policy's rules, chain ids resolved */
	unsigned int n_pol_rules;
	bool pol_rules_on;

	/* the controller hook; NULL without an agent */
	struct mgr_ctl *ctl;

	/* counters */
	uint64_t rx, tx, to_nf, from_nf;
	uint64_t busy_cycles; /* dispatcher passes that moved packets, in TSC cycles */
	uint64_t drops[SDNFV_MGR_DROP__MAX];
	uint64_t nfs_admitted, nfs_died, path_applied, path_refused, reports;
	uint64_t register_us_max;

	/* telemetry */
	struct mgr_flow_sample samples[MGR_SAMPLES]; /* written by the dispatcher */
	uint64_t *rate_nf_pps, *rate_nf_last, *rate_svc_pps;

	/* logs for telemetry (control side, under lock) */
	struct mgr_path_event path_log[MGR_PATH_LOG];
	uint64_t n_path_log;
	struct mgr_report report_log[MGR_REPORT_LOG];
	uint64_t n_report_log;
};

/* chains.c */
int sdnfv_mgr__policy_apply(struct sdnfv_mgr *mgr, const char *path, char *err, size_t errlen);
void sdnfv_mgr__message(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s, struct sdnfv_host_msg *msg);
void sdnfv_mgr__chains_free(struct sdnfv_mgr *mgr);
/* The exact match of one flow key (the smart data plane's pinning rules). */
void sdnfv_mgr__match_from_key(struct sdnfv_flow_match *m, const struct sdnfv_flow_key *k);
#define MGR_PATH_PRIORITY UINT16_MAX
#define MGR_PATH_COOKIE   0x5344504154480000ull /* "SDPATH" | NF id */

/* disp.c / mgr.c */
void sdnfv_mgr__local_messages(struct sdnfv_mgr *mgr);
void sdnfv_mgr__reap_done(struct sdnfv_mgr *mgr);
void sdnfv_mgr__drain_slot(struct sdnfv_mgr *mgr, uint16_t id);
void sdnfv_mgr__local_out(void *arg, struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n);
int sdnfv_mgr__local_msg(void *arg, struct sdnfv_nf *nf, struct sdnfv_host_msg *msg);

/* telemetry.c */
int sdnfv_mgr__telemetry_register(struct sdnfv_mgr *mgr);
void sdnfv_mgr__telemetry_unregister(struct sdnfv_mgr *mgr);
void sdnfv_mgr__rates_update(struct sdnfv_mgr *mgr, uint64_t elapsed_ns);

#endif /* SDNFV_LIB_MGR_INTERNAL_H */
