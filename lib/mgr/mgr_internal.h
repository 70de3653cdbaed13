/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the host manager's state, shared by its files (dispatcher, control, telemetry). */
#ifndef SDNFV_LIB_MGR_INTERNAL_H
#define SDNFV_LIB_MGR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

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
	uint16_t op;
	uint16_t service;
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

	/* counters */
	uint64_t rx, tx, to_nf, from_nf;
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
