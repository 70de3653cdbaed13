/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller hook: what an OpenFlow agent (lib/ofp) attaches to a manager. The dispatcher's
 * side (table misses, flow buffers, the rate limit, released and injected packets) is in disp.c;
 * here are its setup, the chains OpenFlow rules name, and the policy rules of standalone mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "common/log.h"
#include "mgr/mgr_internal.h"

static void
ctl_free(struct mgr_ctl *c)
{
	if (c == NULL)
		return;
	rte_ring_free(c->pin_ready);
	rte_ring_free(c->pin_free);
	rte_ring_free(c->cmds);
	rte_hash_free(c->buf_hash);
	if (c->bufs != NULL)
		rte_free(c->bufs[0].pkts);
	rte_free(c->bufs);
	rte_free(c->pins);
	free(c->gen);
	free(c->lat);
	free(c);
}

int
sdnfv_mgr__ctl_attach(struct sdnfv_mgr *mgr, uint32_t buffer_flows, uint32_t per_flow,
		      uint32_t timeout_ms, uint32_t pin_rate, uint32_t pin_burst)
{
	struct rte_hash_parameters hp = { 0 };
	struct rte_mbuf **pkts;
	struct mgr_ctl *c;
	uint64_t hz = rte_get_tsc_hz();
	uint32_t i;

	if (mgr->ctl != NULL)
		return -EEXIST;
	if (__atomic_load_n(&mgr->running, __ATOMIC_ACQUIRE)) {
		SDNFV_LOG(mgr, ERR, "a controller attaches before the dispatcher runs");
		return -EBUSY;
	}
	if (buffer_flows == 0 || buffer_flows > 0xffff || per_flow == 0 ||
	    per_flow > SDNFV_NF_BURST_MAX || pin_rate == 0 || pin_burst == 0) {
		SDNFV_LOG(mgr, ERR,
			  "controller hook: bad parameters (buffers 1-65535, per flow 1-%u, "
			  "rate and burst > 0)",
			  SDNFV_NF_BURST_MAX);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->n_pins = 4096;
	c->pin_ready = rte_ring_create("sdnfv_ctl_pin", c->n_pins, SOCKET_ID_ANY,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	c->pin_free = rte_ring_create("sdnfv_ctl_pfree", c->n_pins, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	c->cmds = rte_ring_create("sdnfv_ctl_cmds", 4096, SOCKET_ID_ANY,
				  RING_F_SP_ENQ | RING_F_SC_DEQ);
	c->pins = rte_zmalloc("sdnfv_ctl_pins", sizeof(*c->pins) * c->n_pins, 64);
	c->bufs = rte_zmalloc("sdnfv_ctl_bufs", sizeof(*c->bufs) * buffer_flows, 64);
	pkts = rte_zmalloc("sdnfv_ctl_bpkts", sizeof(*pkts) * buffer_flows * per_flow, 64);
	c->gen = calloc(buffer_flows, sizeof(*c->gen));
	c->lat = calloc(MGR_LAT, sizeof(*c->lat));
	hp.name = "sdnfv_ctl_bufs";
	hp.entries = RTE_MAX(buffer_flows * 2, 64u); /* room: rte_hash buckets fill unevenly */
	hp.key_len = sizeof(struct sdnfv_flow_key);
	hp.hash_func = rte_jhash;
	hp.socket_id = SOCKET_ID_ANY;
	c->buf_hash = rte_hash_create(&hp);
	if (c->pin_ready == NULL || c->pin_free == NULL || c->cmds == NULL || c->pins == NULL ||
	    c->bufs == NULL || pkts == NULL || c->gen == NULL || c->lat == NULL ||
	    c->buf_hash == NULL) {
		SDNFV_LOG(mgr, ERR, "controller hook: out of memory (or its rings exist already)");
		rte_free(pkts);
		if (c->bufs != NULL)
			c->bufs[0].pkts = NULL;
		ctl_free(c);
		return -ENOMEM;
	}
	/* n_pins - 1 records: an rte_ring of size n holds n - 1. */
	for (i = 0; i + 1 < c->n_pins; i++)
		rte_ring_sp_enqueue(c->pin_free, &c->pins[i]);
	c->n_bufs = buffer_flows;
	c->per_flow = per_flow;
	for (i = 0; i < buffer_flows; i++) {
		c->bufs[i].id = UINT32_MAX;
		c->bufs[i].pkts = pkts + (size_t)i * per_flow;
		c->bufs[i].next = i + 1 < buffer_flows ? i + 1 : UINT32_MAX;
		c->bufs[i].prev = UINT32_MAX;
	}
	c->free_head = 0;
	c->used_head = c->used_tail = UINT32_MAX;
	c->timeout_tsc = hz * timeout_ms / 1000;
	c->tok_cost = hz / pin_rate;
	if (c->tok_cost == 0)
		c->tok_cost = 1;
	c->tok_max = c->tok_cost * pin_burst;
	c->tok_level = c->tok_max;
	c->tok_last = rte_get_tsc_cycles();
	c->miss_send_len = 128;
	c->mode = MGR_CTL_DROP;
	c->dynamic_services = true;
	pthread_mutex_lock(&mgr->lock);
	mgr->ctl = c;
	pthread_mutex_unlock(&mgr->lock);
	return 0;
}

void
sdnfv_mgr__ctl_detach(struct sdnfv_mgr *mgr)
{
	struct mgr_ctl *c = mgr->ctl;

	if (c == NULL)
		return;
	/* The dispatcher may still run: it goes back to the policy's miss handling first, and
	 * the hook leaves only once it stopped (sdnfv_mgr_free() frees it then). */
	__atomic_store_n(&c->mode, MGR_CTL_POLICY, __ATOMIC_RELEASE);
	pthread_mutex_lock(&mgr->lock);
	c->removed = NULL;
	c->removed_arg = NULL;
	pthread_mutex_unlock(&mgr->lock);
	if (__atomic_load_n(&mgr->running, __ATOMIC_ACQUIRE))
		return;
	sdnfv_mgr__ctl_free(mgr);
}

/* Called by sdnfv_mgr_free() once the dispatcher is gone. */
void
sdnfv_mgr__ctl_free(struct sdnfv_mgr *mgr)
{
	struct mgr_ctl *c = mgr->ctl;
	void *cmd;

	if (c == NULL)
		return;
	sdnfv_mgr__ctl_flush_buffers(mgr);
	while (rte_ring_sc_dequeue(c->cmds, &cmd) == 0) {
		struct mgr_ctl_cmd *k = cmd;

		rte_pktmbuf_free(k->m);
		free(k);
	}
	mgr->ctl = NULL;
	ctl_free(c);
}

/* A chain of its own for OpenFlow rules: appended once, found again by its content. */
static int
chain_get(struct sdnfv_mgr *mgr, const struct sdnfv_host_chain *c, const char *name)
{
	struct mgr_chain_info ci;
	uint32_t n = mgr->host->n_chains;

	if (n >= mgr->host->max_chains) {
		SDNFV_LOG(mgr, ERR, "no room for another chain (max_chains %u)",
			  mgr->host->max_chains);
		return -ENOSPC;
	}
	memset(&ci, 0, sizeof(ci));
	ci.base = n;
	snprintf(ci.name, sizeof(ci.name), "%s", name);
	mgr->host->chains[n] = *c;
	mgr->chain_info[n] = ci;
	__atomic_store_n(&mgr->host->n_chains, n + 1, __ATOMIC_RELEASE);
	return (int)n;
}

int
sdnfv_mgr__chain_service(struct sdnfv_mgr *mgr, uint16_t service)
{
	struct sdnfv_host_chain c;
	char name[32];
	int ret;

	if (service >= mgr->host->max_services)
		return -EINVAL;
	if (mgr->service_chain[service] >= 0)
		return mgr->service_chain[service];
	memset(&c, 0, sizeof(c));
	c.n_hops = 1;
	c.hop[0] = service;
	c.out_kind = SDNFV_CHAIN_OUT_TABLE;
	c.out_port = MGR_SERVICE_PORT(service);
	snprintf(name, sizeof(name), "of:%.28s", sdnfv_service_name(mgr->host->services, service));
	ret = chain_get(mgr, &c, name);
	if (ret >= 0)
		mgr->service_chain[service] = ret;
	return ret;
}

int
sdnfv_mgr__chain_in_port(struct sdnfv_mgr *mgr)
{
	struct sdnfv_host_chain c;
	int ret;

	if (mgr->in_port_chain >= 0)
		return mgr->in_port_chain;
	memset(&c, 0, sizeof(c));
	c.out_kind = SDNFV_CHAIN_OUT_IN_PORT;
	ret = chain_get(mgr, &c, "of:in_port");
	if (ret >= 0)
		mgr->in_port_chain = ret;
	return ret;
}

int
sdnfv_mgr__policy_rules(struct sdnfv_mgr *mgr, bool on)
{
	unsigned int i;
	int ret, n = 0;

	if (on == mgr->pol_rules_on)
		return 0;
	for (i = 0; i < mgr->n_pol_rules; i++) {
		const struct sdnfv_flow_rule *r = &mgr->pol_rules[i];

		if (on) {
			ret = sdnfv_flow_add(mgr->flows, r);
			if (ret < 0)
				SDNFV_LOG(mgr, ERR, "standalone: policy rule %u not restored: %s",
					  i, strerror(-ret));
			else
				n++;
		} else {
			struct sdnfv_flow_select sel = { .sz = sizeof(sel), .strict = true };

			sel.match = r->match;
			sel.priority = r->priority;
			sel.cookie = r->cookie;
			sel.cookie_mask = UINT64_MAX;
			sel.out_filter = true;
			sel.out = r->action;
			ret = sdnfv_flow_delete(mgr->flows, &sel);
			if (ret > 0)
				n += ret;
		}
	}
	mgr->pol_rules_on = on;
	SDNFV_LOG(mgr, INFO, "policy rules: %d %s", n,
		  on ? "in the table (no controller: fail mode standalone)"
		     : "out of the table (a controller owns it)");
	return n;
}
