/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: what a host manager shares with its NFs. Never installed.
 *
 * The manager (DPDK primary) reserves one memzone, SDNFV_HOST_MZ, with the host's header, its
 * service table, its chain table and one slot per NF. NFs (secondaries) map it read-mostly: they
 * read chains and services to resolve the next hop inside an NF group, and each NF writes only
 * its own slot's NF-side fields. Registration and the two lifecycle steps that need an answer go
 * over DPDK's multi-process IPC (rte_mp), which also carries the NF's eventfd.
 *
 * Writers: the manager's control side (under its mutex) writes the header, chains, services and
 * the manager-side fields of a slot; the NF writes the NF-side fields of its own slot.
 */
#ifndef SDNFV_LIB_HOST_H
#define SDNFV_LIB_HOST_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include <sdnfv/nf.h>
#include <sdnfv/pool.h>
#include <sdnfv/ring.h>
#include <sdnfv/service.h>

#define SDNFV_HOST_MZ      "sdnfv_host"
#define SDNFV_HOST_MAGIC   0x5344484fu /* "SDHO" */
#define SDNFV_HOST_VERSION 1

/* rte_mp action names. */
#define SDNFV_MP_REGISTER "sdnfv_nf_register"
#define SDNFV_MP_READY    "sdnfv_nf_ready"
#define SDNFV_MP_BYE      "sdnfv_nf_bye"

#define SDNFV_HOST_HOPS_MAX 16

enum sdnfv_host_state {
	SDNFV_HOST_STARTING = 0,
	SDNFV_HOST_READY,
	SDNFV_HOST_STOPPING,
};

enum sdnfv_chain_out {
	SDNFV_CHAIN_OUT_DROP = 0,
	SDNFV_CHAIN_OUT_PORT,
	SDNFV_CHAIN_OUT_IN_PORT,
	SDNFV_CHAIN_OUT_TABLE, /* looked up again, as arriving on port out_port (a service's) */
};

/* A service chain: hops of service ids, then where the packet leaves. Immutable once published
 * (chains are only appended), so readers need no synchronisation past the chain count. */
struct sdnfv_host_chain {
	uint8_t n_hops;
	uint8_t out_kind; /* enum sdnfv_chain_out */
	uint16_t out_port;
	uint16_t hop[SDNFV_HOST_HOPS_MAX];
};

enum sdnfv_nf_state {
	SDNFV_NF_FREE = 0,
	SDNFV_NF_STARTING, /* registered, rings made; not yet an instance of its service */
	SDNFV_NF_RUNNING,  /* an instance: gets packets */
	SDNFV_NF_DRAINING, /* no longer an instance; handles what is in its ring, then stops */
	SDNFV_NF_STOPPED,  /* left gracefully */
	SDNFV_NF_DEAD,     /* its process died */
};

/* Why the manager dropped a packet; counters are indexed by it. */
enum sdnfv_drop_reason {
	SDNFV_DROP_VERDICT = 0, /* an NF said drop */
	SDNFV_DROP_NO_RULE,     /* no rule and no miss chain */
	SDNFV_DROP_CHAIN,       /* the chain ends in drop */
	SDNFV_DROP_NO_INSTANCE, /* a service had no live instance and its fallback is drop */
	SDNFV_DROP_ENTRY_FULL,  /* the chain's first NF ring was full (overload, at entry) */
	SDNFV_DROP_PORT_FULL,   /* a port's transmit queue did not take it */
	SDNFV_DROP_BAD_DEST,    /* a verdict named an unknown port, service or chain */
	SDNFV_DROP_NF_GONE,     /* resolved to an NF that left in the same instant */
	SDNFV_DROP_NF_DIED,     /* in a dead NF's ring or hands */
	SDNFV_DROP_HOLD_FULL,   /* an NF held more than it may */
	SDNFV_DROP_NO_CONTROLLER,
	SDNFV_DROP_PACKET_IN_LIMIT,
	SDNFV_DROP_BUFFER,
	SDNFV_DROP_TO_CONTROLLER,
	SDNFV_DROP__MAX,
};

/* One NF's slot. NF-side fields are written only by the NF's thread; manager-side fields only by
 * the manager. Each side's counters are single-writer. */
struct sdnfv_host_nf {
	/* manager side */
	uint32_t state; /* enum sdnfv_nf_state; atomic */
	int32_t pid;
	uint16_t id;
	uint16_t service;
	uint32_t lcore;
	uint32_t socket;
	uint32_t stop_req; /* atomic: the manager asks the NF to stop (it drains first) */
	uint32_t group;    /* group tag (the registering process's pid): same-thread NFs */
	char name[SDNFV_NF_NAME_MAX + 1];
	struct sdnfv_ring *rx;     /* manager → NF packets */
	struct sdnfv_ring *tx;     /* NF → manager packets */
	struct sdnfv_ring *to_nf;  /* manager → NF messages (struct sdnfv_host_msg *) */
	struct sdnfv_ring *to_mgr; /* NF → manager messages */
	uint64_t wake_tsc;         /* when the manager last signalled the NF */
	uint64_t path_applied;     /* path changes the manager applied */
	uint64_t path_refused;     /* and refused */
	uint32_t mgr_pending;      /* packets the manager still has for the NF (ring was full) */

	/* NF side */
	uint32_t sleeping
		__rte_aligned(RTE_CACHE_LINE_SIZE); /* atomic: the NF sleeps on its eventfd */
	uint32_t max_held;
	uint32_t sleep_mode; /* the NF may sleep: the manager must fence before reading sleeping */
	/* Packets taken from the rx ring whose handling finished (returned, held or passed on in
	 * a group): rx->cons.idx - ring_done are in the NF's hands right now. */
	uint64_t ring_done;
	uint64_t held_now; /* packets held now */
	uint64_t rx_pkts, tx_pkts, dropped, hold_refused, bursts, local_calls;
	uint64_t path_requests, reports, wakeups, wake_cycles, wake_cycles_max;
	uint64_t held_n; /* held[] slots in use (pointers may be NULL where released) */
	/* Packets in the NF's hands, for reclaim when it dies: the burst as dequeued (in[]; a slot
	 * is cleared when the packet moves to held[]) and the burst being returned (out[]: out_n of
	 * them, of which the tx ring took head - tx_mark). */
	uint32_t in_n;
	uint32_t out_n;
	uint32_t tx_mark;
	struct rte_mbuf *in[SDNFV_NF_BURST_MAX * 2];
	struct rte_mbuf *out[SDNFV_NF_BURST_MAX * 2];
	/* held[max_held] follows, allocated with the slot */
	struct rte_mbuf **held;
};

struct sdnfv_host {
	uint32_t magic; /* written last, with release */
	uint32_t version;
	uint32_t state; /* enum sdnfv_host_state; atomic */
	int32_t mgr_pid;
	uint32_t max_nfs;
	uint32_t max_chains;
	uint32_t n_chains; /* atomic; chains below it are published */
	uint32_t max_services;
	uint64_t tsc_hz;
	struct sdnfv_service_table *services;
	uint8_t *fallback; /* per service: 0 drop, 1 bypass */
	struct sdnfv_host_chain *chains;
	struct sdnfv_host_nf **nfs; /* max_nfs slots; NULL where free */
};

/* A message on to_nf / to_mgr: rte_malloc'd by the sender, freed by the receiver. */
enum sdnfv_host_msg_type {
	SDNFV_HOST_MSG_USER = 1,    /* manager → NF application message */
	SDNFV_HOST_MSG_PATH,        /* NF → manager path change */
	SDNFV_HOST_MSG_REPORT,      /* NF → manager state report */
	SDNFV_HOST_MSG_PATH_RESULT, /* manager → NF: a path change was refused (counted) */
};

struct sdnfv_host_path_req {
	uint32_t op; /* enum sdnfv_path_op */
	uint16_t service;
	uint16_t chain;
	uint8_t chain_pos;
	uint8_t pad[3];
	uint32_t flow_id;
	uint16_t in_port;
	uint16_t pad2;
	struct sdnfv_flow_key_bytes {
		uint8_t b[48];
	} key; /* struct sdnfv_flow_key */
};

struct sdnfv_host_msg {
	uint32_t type; /* enum sdnfv_host_msg_type */
	uint32_t user_type;
	uint16_t nf; /* sender or receiver NF id */
	uint16_t pad;
	uint32_t len;
	uint8_t data[];
};

/* Registration over rte_mp. */
struct sdnfv_mp_register_req {
	char name[SDNFV_NF_NAME_MAX + 1];
	char service[SDNFV_SERVICE_NAME_MAX + 1];
	int32_t pid;
	uint32_t lcore;
	int32_t socket;
	uint32_t max_held;
	uint32_t group;
};

struct sdnfv_mp_reply {
	int32_t result; /* 0 or -errno */
	uint16_t id;
	uint16_t service;
};

struct sdnfv_mp_id_req {
	uint16_t id;
};

/* Where a packet goes next. */
enum sdnfv_dest {
	SDNFV_DEST_NF = 0,
	SDNFV_DEST_PORT,
	SDNFV_DEST_DROP,
	SDNFV_DEST_TABLE, /* look the packet up again with in_port *arg (OpenFlow hop by hop) */
};

/*
 * Walk the packet's chain from hop `pos` to the first hop with a live instance (a service with
 * none is bypassed or drops the packet, as its fallback says), or to the chain's exit. For an
 * NF, sets meta->chain_pos to the hop and clears the verdict. *arg receives the NF id, the port,
 * or the drop reason.
 */
static inline enum sdnfv_dest
sdnfv_host_route(const struct sdnfv_host *h, const struct rte_mbuf *m, struct sdnfv_meta *meta,
		 unsigned int pos, uint16_t *arg)
{
	const struct sdnfv_host_chain *c;

	if (unlikely(meta->chain >= __atomic_load_n(&h->n_chains, __ATOMIC_ACQUIRE))) {
		*arg = SDNFV_DROP_BAD_DEST;
		return SDNFV_DEST_DROP;
	}
	c = &h->chains[meta->chain];
	for (; pos < c->n_hops; pos++) {
		uint16_t svc = c->hop[pos];
		uint16_t inst = sdnfv_service_select(h->services, svc, meta->flow_id);

		if (likely(inst != SDNFV_SERVICE_NONE)) {
			/* Stores only when needed: an NF's core reads this line next, and a line
			 * nobody wrote stays shared instead of moving. */
			if (meta->chain_pos != pos)
				meta->chain_pos = (uint8_t)pos;
			if (meta->action != SDNFV_ACT_NONE)
				meta->action = SDNFV_ACT_NONE; /* NFs get packets with no verdict */
			*arg = inst;
			return SDNFV_DEST_NF;
		}
		if (h->fallback[svc] == 0) {
			*arg = SDNFV_DROP_NO_INSTANCE;
			return SDNFV_DEST_DROP;
		}
	}
	switch (c->out_kind) {
	case SDNFV_CHAIN_OUT_PORT:
		*arg = c->out_port;
		return SDNFV_DEST_PORT;
	case SDNFV_CHAIN_OUT_IN_PORT:
		*arg = m->port;
		return SDNFV_DEST_PORT;
	case SDNFV_CHAIN_OUT_TABLE:
		*arg = c->out_port;
		return SDNFV_DEST_TABLE;
	default:
		*arg = SDNFV_DROP_CHAIN;
		return SDNFV_DEST_DROP;
	}
}

/* Where a packet with a verdict goes: the NF id, port or drop reason in *arg. */
static inline enum sdnfv_dest
sdnfv_host_resolve(const struct sdnfv_host *h, const struct rte_mbuf *m, struct sdnfv_meta *meta,
		   uint16_t *arg)
{
	uint16_t inst;

	switch (meta->action) {
	case SDNFV_ACT_NONE:
	case SDNFV_ACT_NEXT:
		return sdnfv_host_route(h, m, meta, meta->chain_pos + 1u, arg);
	case SDNFV_ACT_SERVICE:
		if (unlikely(meta->dest >= h->max_services)) {
			*arg = SDNFV_DROP_BAD_DEST;
			return SDNFV_DEST_DROP;
		}
		inst = sdnfv_service_select(h->services, meta->dest, meta->flow_id);
		if (inst == SDNFV_SERVICE_NONE) {
			if (h->fallback[meta->dest] == 0) {
				*arg = SDNFV_DROP_NO_INSTANCE;
				return SDNFV_DEST_DROP;
			}
			return sdnfv_host_route(h, m, meta, meta->chain_pos + 1u, arg);
		}
		/* A detour: chain_pos stays, so the service's next verdict resumes after us. */
		meta->action = SDNFV_ACT_NONE;
		*arg = inst;
		return SDNFV_DEST_NF;
	case SDNFV_ACT_PORT:
		*arg = meta->dest;
		return SDNFV_DEST_PORT;
	case SDNFV_ACT_DROP:
		*arg = SDNFV_DROP_VERDICT;
		return SDNFV_DEST_DROP;
	default:
		*arg = SDNFV_DROP_BAD_DEST;
		return SDNFV_DEST_DROP;
	}
}

#endif /* SDNFV_LIB_HOST_H */
