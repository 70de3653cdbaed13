/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the NF handle, shared by the SDK and a manager that runs NFs in its own thread. */
#ifndef SDNFV_LIB_NF_INTERNAL_H
#define SDNFV_LIB_NF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sdnfv/nf.h>

#include "nf/host.h"

/* An NF run by the manager: returned packets and messages go to these callbacks. */
typedef void (*sdnfv_nf_local_out_fn)(void *arg, struct sdnfv_nf *nf, struct rte_mbuf **pkts,
				      unsigned int n);
typedef int (*sdnfv_nf_local_msg_fn)(void *arg, struct sdnfv_nf *nf, struct sdnfv_host_msg *msg);

struct sdnfv_nf {
	struct sdnfv_nf_params p;
	struct sdnfv_nf_ops ops;
	char name[SDNFV_NF_NAME_MAX + 1];
	struct sdnfv_host *host;
	struct sdnfv_host_nf *slot;
	uint16_t id;
	uint16_t service;
	int efd; /* eventfd the manager signals in sleep mode; -1 */
	uint32_t stop;
	bool stopping;
	bool finished;
	bool busy; /* inside its handler: a group must not call it again */
	bool local;
	uint64_t held_count;
	uint64_t last_idle;
	/* Group members, in order; NULL when the NF runs alone. */
	struct sdnfv_nf *group_head;
	struct sdnfv_nf *group_next;
	/* Released held packets waiting to leave. */
	unsigned int n_released;
	struct rte_mbuf *released[SDNFV_NF_BURST_MAX];
	/* Local NFs. */
	sdnfv_nf_local_out_fn local_out;
	sdnfv_nf_local_msg_fn local_msg;
	void *local_arg;
	struct rte_mbuf *local_buf[SDNFV_NF_BURST_MAX];
};

int sdnfv_nf__local_init(struct sdnfv_nf *nf, const struct sdnfv_nf_params *params,
			 struct sdnfv_host *h, struct sdnfv_host_nf *slot);
void sdnfv_nf__burst(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n);
void sdnfv_nf__flush_released(struct sdnfv_nf *nf);
void sdnfv_nf__deliver(struct sdnfv_nf *nf, struct sdnfv_host_msg *msg);

#endif /* SDNFV_LIB_NF_INTERNAL_H */
