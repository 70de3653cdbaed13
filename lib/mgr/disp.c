/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dispatcher: the one thread that moves packets. Ports → flow table → chain → NF rings or
 * local NFs; NF tx rings → verdict → next NF or port.
 *
 * Overload: packets that already passed an NF are never dropped for lack of room downstream.
 * A packet for an NF whose ring is full waits in that NF's pend buffer; when the pend buffer is
 * full too, the packets the source returned wait in the source's stash (in order), and the
 * dispatcher takes nothing more from that source until they are placed. A slow NF therefore
 * stops its upstream NF (whose tx ring fills), and so on back to the chain's entry, where a
 * packet whose first NF has no room is dropped before any work is spent on it. Other sources
 * keep flowing. (A chain that visits one NF twice can stall itself under overload: the NF waits
 * for room in its own ring.)
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "common/clock.h"
#include "common/log.h"
#include "mgr/mgr_internal.h"

/* Touched destinations of the current pass; dispatcher-local. */
struct disp_state {
	struct sdnfv_mgr *mgr;
	uint16_t *touched;
	unsigned int n_touched;
	bool *is_touched;
};

static struct disp_state ds; /* one dispatcher per process (one manager per process) */

/* The symmetric flow id of a key: both directions of a flow give the same id. */
static inline uint32_t
flow_id(const struct sdnfv_flow_key *k)
{
	const uint64_t *s = (const uint64_t *)(const void *)&k->src;
	const uint64_t *d = (const uint64_t *)(const void *)&k->dst;
	uint32_t a, b;

	/* Each endpoint (address, port) hashed alone, then combined with XOR: swapping source and
	 * destination gives the same id. */
	a = rte_hash_crc_8byte(s[1], rte_hash_crc_8byte(s[0], k->sport));
	b = rte_hash_crc_8byte(d[1], rte_hash_crc_8byte(d[0], k->dport));
	return rte_hash_crc_4byte(a ^ b, (uint32_t)k->ip_proto << 16 | k->eth_type);
}

static inline void
drop(struct sdnfv_mgr *mgr, struct rte_mbuf *m, unsigned int reason)
{
	mgr->drops[reason]++;
	rte_pktmbuf_free(m);
}

static void
flush_port(struct sdnfv_mgr *mgr, struct mgr_port *p)
{
	unsigned int sent = 0, tries = 0;

	while (sent < p->n_tx && tries++ < 4)
		sent += rte_eth_tx_burst(p->id, 0, &p->tx[sent], (uint16_t)(p->n_tx - sent));
	p->tx_pkts += sent;
	mgr->tx += sent;
	if (unlikely(sent < p->n_tx)) {
		unsigned int i;

		p->tx_drops += p->n_tx - sent;
		for (i = sent; i < p->n_tx; i++)
			drop(mgr, p->tx[i], SDNFV_MGR_DROP_PORT_FULL);
	}
	p->n_tx = 0;
}

static inline void
to_port(struct sdnfv_mgr *mgr, uint16_t port, struct rte_mbuf *m)
{
	struct mgr_port *p;

	if (unlikely(port >= RTE_MAX_ETHPORTS || !mgr->ports[port].used)) {
		drop(mgr, m, SDNFV_MGR_DROP_BAD_DEST);
		return;
	}
	p = &mgr->ports[port];
	p->tx[p->n_tx++] = m;
	if (p->n_tx == RTE_DIM(p->tx))
		flush_port(mgr, p);
}

static inline void
touch(uint16_t id)
{
	if (!ds.is_touched[id]) {
		ds.is_touched[id] = true;
		ds.touched[ds.n_touched++] = id;
	}
}

/* A packet for NF `id`. At the chain's entry it is dropped (counted) when there is no room:
 * no work was spent on it yet. After an NF it is kept: false means the NF's pend is full and the
 * caller keeps the packet. */
static inline bool
to_nf(struct sdnfv_mgr *mgr, uint16_t id, struct rte_mbuf *m, bool entry)
{
	struct mgr_disp_nf *d;

	if (unlikely(id >= mgr->host->max_nfs)) {
		drop(mgr, m, SDNFV_MGR_DROP_BAD_DEST);
		return true;
	}
	d = &mgr->disp[id];
	if (unlikely(d->slot == NULL)) {
		if (mgr->drops[SDNFV_MGR_DROP_NF_GONE] < 8)
			SDNFV_LOG(mgr, NOTICE,
				  "a packet for NF %u, which is gone (chain %u, hop %u)", id,
				  sdnfv_meta_get(m)->chain, sdnfv_meta_get(m)->chain_pos);
		drop(mgr, m, SDNFV_MGR_DROP_NF_GONE);
		return true;
	}
	/* The NF's state is checked once per burst, in flush(). */
	if (entry && d->local == NULL) {
		if (unlikely(d->n_entry == RTE_DIM(d->entry))) {
			d->entry_drops++;
			drop(mgr, m, SDNFV_MGR_DROP_ENTRY_FULL);
			return true;
		}
		d->entry[d->n_entry++] = m;
	} else {
		if (unlikely(d->n_pend == MGR_PEND_MAX)) {
			if (!entry)
				return false;
			d->entry_drops++;
			drop(mgr, m, SDNFV_MGR_DROP_ENTRY_FULL);
			return true;
		}
		d->pend[d->n_pend++] = m;
	}
	touch(id);
	return true;
}

static bool table_hop(struct sdnfv_mgr *mgr, struct rte_mbuf *m, uint16_t in_port, bool entry);

static inline bool
route(struct sdnfv_mgr *mgr, struct rte_mbuf *m, enum sdnfv_dest dest, uint16_t arg, bool entry)
{
	switch (dest) {
	case SDNFV_DEST_NF:
		return to_nf(mgr, arg, m, entry);
	case SDNFV_DEST_PORT:
		to_port(mgr, arg, m);
		return true;
	case SDNFV_DEST_TABLE:
		return table_hop(mgr, m, arg, entry);
	default:
		drop(mgr, m, arg < SDNFV_MGR_DROP__MAX ? arg : SDNFV_MGR_DROP_BAD_DEST);
		return true;
	}
}

/* Place what a source stashed, in order. True when its stash is empty. */
static bool
place_stash(struct sdnfv_mgr *mgr, struct mgr_disp_nf *src)
{
	while (src->stash_off < src->n_stash) {
		unsigned int i = src->stash_off;

		if (!route(mgr, src->stash[i], (enum sdnfv_dest)src->stash_dest[i],
			   src->stash_arg[i], false))
			return false;
		src->stash_off++;
	}
	src->n_stash = src->stash_off = 0;
	return true;
}

/* Packets source `src` returned (from its tx ring, or a local NF's output). Each is routed once;
 * from the first that finds no room on, they wait in the source's stash, in order. */
static inline void
route_returned(struct sdnfv_mgr *mgr, struct mgr_disp_nf *src, struct rte_mbuf **pkts,
	       unsigned int n)
{
	unsigned int i;

	mgr->from_nf += n;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t arg;
		enum sdnfv_dest dest = sdnfv_host_resolve(mgr->host, m, sdnfv_meta_get(m), &arg);

		if (likely(src->n_stash == 0) && route(mgr, m, dest, arg, false))
			continue;
		if (unlikely(src->n_stash == MGR_STASH_MAX)) {
			/* Only a handler that releases more than it may could get here; counted. */
			drop(mgr, m, SDNFV_MGR_DROP_HOLD_FULL);
			continue;
		}
		src->stash[src->n_stash] = m;
		src->stash_dest[src->n_stash] = (uint8_t)dest;
		src->stash_arg[src->n_stash] = arg;
		src->n_stash++;
	}
}

void
sdnfv_mgr__local_out(void *arg, struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n)
{
	struct sdnfv_mgr *mgr = arg;

	mgr->disp[nf->id].from_nf += n;
	route_returned(mgr, &mgr->disp[nf->id], pkts, n);
}

static inline void
wake(struct sdnfv_mgr *mgr, struct mgr_disp_nf *d, uint16_t id)
{
	if (!__atomic_load_n(&d->slot->sleep_mode, __ATOMIC_RELAXED))
		return;
	/* Pairs with the NF's store of `sleeping` before its last look at the ring: our ring
	 * store must be visible before we read `sleeping`, or both could miss each other. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (unlikely(__atomic_load_n(&d->slot->sleeping, __ATOMIC_RELAXED))) {
		uint64_t one = 1;

		__atomic_store_n(&d->slot->wake_tsc, rte_get_tsc_cycles(), __ATOMIC_RELEASE);
		if (mgr->efd[id] >= 0 && write(mgr->efd[id], &one, sizeof(one)) == sizeof(one))
			d->signals++;
	}
}

static void
free_count(struct sdnfv_mgr *mgr, struct rte_mbuf **pkts, unsigned int n, unsigned int reason)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pkts[i] != NULL)
			drop(mgr, pkts[i], reason);
}

/* The NF stops only once the manager has nothing left for it (sdnfv_nf SDK: finish_stop). */
static inline void
publish_pending(struct mgr_disp_nf *d)
{
	if (d->slot->mgr_pending != d->n_pend)
		__atomic_store_n(&d->slot->mgr_pending, d->n_pend, __ATOMIC_RELEASE);
}

/* Deliver what the last source produced: run local NFs (their output may touch more NFs), fill
 * NF rings, send to ports. NFs whose ring stayed full stay touched for the next pass. */
static void
flush(struct sdnfv_mgr *mgr)
{
	unsigned int i = 0, keep = 0;

	while (i < ds.n_touched) {
		uint16_t id = ds.touched[i++];
		struct mgr_disp_nf *d = &mgr->disp[id];
		uint32_t st;

		if (d->local != NULL) {
			struct rte_mbuf *batch[SDNFV_NF_BURST_MAX];

			/* Run to completion, but not past what it could not place yet. */
			place_stash(mgr, d);
			while (d->n_pend > 0 && d->n_stash == 0) {
				unsigned int k = RTE_MIN(d->n_pend, d->local->p.burst);

				memcpy(batch, d->pend, k * sizeof(batch[0]));
				d->n_pend -= k;
				memmove(d->pend, d->pend + k, d->n_pend * sizeof(d->pend[0]));
				d->to_nf += k;
				mgr->to_nf += k;
				sdnfv_nf__burst(d->local, batch, k);
			}
			if (d->n_pend > 0 || d->n_stash > 0)
				ds.touched[keep++] = id; /* retry next pass */
			else
				ds.is_touched[id] = false;
			continue;
		}
		st = __atomic_load_n(&d->slot->state, __ATOMIC_ACQUIRE);
		if (unlikely(st != SDNFV_NF_RUNNING && st != SDNFV_NF_DRAINING &&
			     st != SDNFV_NF_STARTING)) {
			/* It left at this instant (a reap follows): what was routed to it is
			 * counted, never stranded. */
			unsigned int why = st == SDNFV_NF_DEAD ? SDNFV_MGR_DROP_NF_DIED
							       : SDNFV_MGR_DROP_NF_GONE;

			if (d->n_pend + d->n_entry > 0)
				SDNFV_LOG(mgr, NOTICE,
					  "NF %u left (state %u) with %u packets for it", id, st,
					  d->n_pend + d->n_entry);

			free_count(mgr, d->pend, d->n_pend, why);
			free_count(mgr, d->entry, d->n_entry, why);
			d->n_pend = d->n_entry = 0;
			publish_pending(d);
			ds.is_touched[id] = false;
			continue;
		}
		if (d->n_pend > 0) {
			unsigned int k = sdnfv_ring_sp_enqueue_burst(d->slot->rx, (void **)d->pend,
								     d->n_pend, NULL);

			if (k > 0) {
				d->n_pend -= k;
				memmove(d->pend, d->pend + k, d->n_pend * sizeof(d->pend[0]));
				d->to_nf += k;
				mgr->to_nf += k;
			}
		}
		if (d->n_entry > 0) {
			unsigned int k = 0, j;

			/* Packets already worked on go first; entry packets take what is left. */
			if (d->n_pend == 0)
				k = sdnfv_ring_sp_enqueue_burst(d->slot->rx, (void **)d->entry,
								d->n_entry, NULL);
			d->to_nf += k;
			mgr->to_nf += k;
			for (j = k; j < d->n_entry; j++) {
				d->entry_drops++;
				drop(mgr, d->entry[j], SDNFV_MGR_DROP_ENTRY_FULL);
			}
			d->n_entry = 0;
		}
		wake(mgr, d, id);
		publish_pending(d);
		if (d->n_pend > 0)
			ds.touched[keep++] = id; /* retry next pass */
		else
			ds.is_touched[id] = false;
	}
	ds.n_touched = keep;
	for (i = 0; i < mgr->n_ports; i++) {
		struct mgr_port *p = &mgr->ports[mgr->port_list[i]];

		if (p->n_tx > 0)
			flush_port(mgr, p);
	}
}

static void
sample(struct sdnfv_mgr *mgr, const struct sdnfv_flow_key *key, uint32_t flow_id, unsigned int n,
       uint32_t len)
{
	struct mgr_flow_sample *e = &mgr->samples[flow_id % MGR_SAMPLES];

	if (e->packets == 0 || e->flow_id == flow_id) {
		if (e->flow_id != flow_id || e->packets == 0) {
			e->flow_id = flow_id;
			e->key = *key;
			e->packets = e->bytes = 0;
			e->weight = 0;
		}
		e->packets += n;
		e->bytes += (uint64_t)len * n;
		e->weight++;
	} else if (--e->weight == 0) {
		e->packets = 0; /* the next sample of this bucket takes it */
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Table misses under a controller: PACKET_IN, flow buffers, the rate limit                    */

static inline bool
pin_token(struct mgr_ctl *c)
{
	uint64_t now = rte_get_tsc_cycles();

	c->tok_level += now - c->tok_last;
	c->tok_last = now;
	if (c->tok_level > c->tok_max)
		c->tok_level = c->tok_max;
	if (c->tok_level < c->tok_cost)
		return false;
	c->tok_level -= c->tok_cost;
	return true;
}

static void
buf_unlink(struct mgr_ctl *c, uint32_t slot)
{
	struct mgr_buf *b = &c->bufs[slot];

	if (b->prev != UINT32_MAX)
		c->bufs[b->prev].next = b->next;
	else
		c->used_head = b->next;
	if (b->next != UINT32_MAX)
		c->bufs[b->next].prev = b->prev;
	else
		c->used_tail = b->prev;
	rte_hash_del_key(c->buf_hash, &b->key);
	b->id = UINT32_MAX;
	b->n = 0;
	b->next = c->free_head;
	c->free_head = slot;
}

static int
buf_alloc(struct mgr_ctl *c, const struct sdnfv_flow_key *key, struct rte_mbuf *m)
{
	uint32_t slot = c->free_head;
	struct mgr_buf *b;

	if (slot == UINT32_MAX)
		return -ENOSPC;
	b = &c->bufs[slot];
	if (rte_hash_add_key_data(c->buf_hash, key, (void *)(uintptr_t)slot) < 0)
		return -ENOSPC;
	c->free_head = b->next;
	c->gen[slot] = (uint16_t)((c->gen[slot] + 1) & 0x7fff);
	b->id = (uint32_t)c->gen[slot] << 16 | slot;
	b->key = *key;
	b->n = 1;
	b->pkts[0] = m;
	b->deadline_tsc = rte_get_tsc_cycles() + c->timeout_tsc;
	b->next = UINT32_MAX;
	b->prev = c->used_tail;
	if (c->used_tail != UINT32_MAX)
		c->bufs[c->used_tail].next = slot;
	else
		c->used_head = slot;
	c->used_tail = slot;
	return (int)slot;
}

/* A packet the table sends to the controller (a miss, or a CONTROLLER action with the rule's
 * cookie). The dispatcher never waits: what cannot be sent or buffered is dropped, counted. */
static void
to_controller(struct sdnfv_mgr *mgr, struct rte_mbuf *m, const struct sdnfv_flow_key *key,
	      uint8_t reason, uint64_t cookie)
{
	struct mgr_ctl *c = mgr->ctl;
	struct mgr_pin *pin;
	const void *src;
	void *pos_data;
	uint32_t len;
	int slot;

	if (rte_hash_lookup_data(c->buf_hash, key, &pos_data) >= 0) {
		struct mgr_buf *b = &c->bufs[(uint32_t)(uintptr_t)pos_data];

		/* The flow's first packet went up already: wait for the answer. */
		if (b->n < c->per_flow) {
			b->pkts[b->n++] = m;
			c->buffered++;
		} else {
			c->buffer_drops++;
			drop(mgr, m, SDNFV_MGR_DROP_BUFFER);
		}
		return;
	}
	if (!pin_token(c)) {
		c->limited++;
		drop(mgr, m, SDNFV_MGR_DROP_PACKET_IN_LIMIT);
		return;
	}
	if (rte_ring_sc_dequeue(c->pin_free, (void **)&pin) != 0) {
		/* Every record waits for the agent: it is behind. */
		c->queue_full++;
		drop(mgr, m, SDNFV_MGR_DROP_PACKET_IN_LIMIT);
		return;
	}
	pin->in_port = m->port;
	pin->reason = reason;
	pin->cookie = cookie;
	pin->total_len = (uint16_t)RTE_MIN(m->pkt_len, (uint32_t)UINT16_MAX);
	pin->key = *key;
	/* miss_send_len 0xffff (OFPCML_NO_BUFFER): the controller wants whole frames, unbuffered. */
	slot = __atomic_load_n(&c->miss_send_len, __ATOMIC_RELAXED) == 0xffff
		       ? -ENOSPC
		       : buf_alloc(c, key, m);
	if (slot >= 0) {
		pin->buffer_id = c->bufs[slot].id;
		len = RTE_MIN(m->pkt_len, __atomic_load_n(&c->miss_send_len, __ATOMIC_RELAXED));
		c->buffered++;
	} else {
		/* No buffer id left: the whole frame goes up and the packet is the
		 * controller's. */
		pin->buffer_id = UINT32_MAX;
		len = m->pkt_len;
	}
	len = RTE_MIN(len, (uint32_t)MGR_PIN_DATA_MAX);
	pin->data_len = (uint16_t)len;
	src = rte_pktmbuf_read(m, 0, len, pin->data);
	if (src != pin->data)
		rte_memcpy(pin->data, src, len);
	if (slot < 0)
		drop(mgr, m, SDNFV_MGR_DROP_TO_CONTROLLER);
	c->pin_sent++;
	/* pin_ready holds as many records as exist: it never refuses one. */
	rte_ring_sp_enqueue(c->pin_ready, pin);
}

/* A table miss (or CONTROLLER action): the controller, or the policy's miss chain, or a drop. */
static inline bool
miss(struct sdnfv_mgr *mgr, struct rte_mbuf *m, const struct sdnfv_flow_key *key, uint8_t reason,
     uint64_t cookie, int *chain)
{
	uint32_t mode =
		mgr->ctl ? __atomic_load_n(&mgr->ctl->mode, __ATOMIC_RELAXED) : MGR_CTL_POLICY;

	if (mode == MGR_CTL_CONTROLLER) {
		to_controller(mgr, m, key, reason, cookie);
		return false;
	}
	if (mode == MGR_CTL_DROP) {
		mgr->ctl->no_controller++;
		drop(mgr, m, SDNFV_MGR_DROP_NO_CONTROLLER);
		return false;
	}
	*chain = mgr->miss_chain;
	if (*chain < 0) {
		drop(mgr, m, SDNFV_MGR_DROP_NO_RULE);
		return false;
	}
	return true;
}

/* Act on one packet's lookup result. False only when !entry and the next NF has no room (the
 * caller keeps the packet). */
static inline bool
decide(struct sdnfv_mgr *mgr, struct rte_mbuf *m, const struct sdnfv_flow_key *key,
       const struct sdnfv_flow_result *res, bool entry)
{
	struct sdnfv_meta *meta = sdnfv_meta_get(m);
	const struct sdnfv_flow_action *a = res->action;
	enum sdnfv_dest dest;
	uint16_t arg;
	int chain;

	meta->flow_id = flow_id(key);
	meta->action = SDNFV_ACT_NONE;
	meta->flags = 0;
	if (likely(a != NULL && a->type == SDNFV_FLOW_ACT_USER)) {
		chain = (int)a->user;
	} else if (a == NULL) {
		if (!miss(mgr, m, key, 0, UINT64_MAX, &chain))
			return true;
	} else if (a->type == SDNFV_FLOW_ACT_PORT) {
		to_port(mgr, a->arg, m);
		return true;
	} else if (a->type == SDNFV_FLOW_ACT_CONTROLLER) {
		if (!miss(mgr, m, key, a->reason, a->user, &chain))
			return true;
	} else if (a->type == SDNFV_FLOW_ACT_DROP) {
		drop(mgr, m, SDNFV_MGR_DROP_CHAIN);
		return true;
	} else {
		drop(mgr, m, SDNFV_MGR_DROP_BAD_DEST);
		return true;
	}
	meta->chain = (uint16_t)chain;
	dest = sdnfv_host_route(mgr->host, m, meta, 0, &arg);
	return route(mgr, m, dest, arg, entry);
}

/* Look a burst up (ingress port in m->port) and send each packet on. */
static void
classify(struct sdnfv_mgr *mgr, struct rte_mbuf **pkts, unsigned int n, bool sampled)
{
	struct sdnfv_flow_result res[SDNFV_NF_BURST_MAX];
	struct sdnfv_flow_key keys[SDNFV_NF_BURST_MAX];
	unsigned int i;

	sdnfv_flow_lookup_mbufs(mgr->disp_reader, pkts, n, SDNFV_FLOW_LOOKUP_LEARN, res, keys,
				NULL);
	for (i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(sdnfv_meta_get(pkts[i + 4]));
		if (sampled && i == 0 && res[0].action != NULL)
			sample(mgr, &keys[0], flow_id(&keys[0]), n, pkts[0]->pkt_len);
		decide(mgr, pkts[i], &keys[i], &res[i], true);
	}
}

/* Classify a burst from a port and send each packet to its chain's first hop. */
static void
from_port(struct sdnfv_mgr *mgr, uint16_t port, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i;

	mgr->rx += n;
	/* Not every driver records the ingress port (net_ring does not); rules and in_port
	 * chains need it. */
	for (i = 0; i < n; i++)
		pkts[i]->port = port;
	classify(mgr, pkts, n, true);
}

/* A packet a service returned at the end of its one-hop chain: looked up again as arriving on
 * the service's port (OpenFlow chains are written hop by hop). The flow cache answers after the
 * flow's first packet. A chain of table hops with no NF between them is cut at 16 (a rule loop). */
static bool
table_hop(struct sdnfv_mgr *mgr, struct rte_mbuf *m, uint16_t in_port, bool entry)
{
	static unsigned int depth;
	struct sdnfv_flow_result res;
	struct sdnfv_flow_key key;
	bool ok;

	if (unlikely(depth >= 16)) {
		drop(mgr, m, SDNFV_MGR_DROP_BAD_DEST);
		return true;
	}
	m->port = in_port;
	sdnfv_flow_lookup_mbufs(mgr->disp_reader, &m, 1, SDNFV_FLOW_LOOKUP_LEARN, &res, &key, NULL);
	depth++;
	ok = decide(mgr, m, &key, &res, entry);
	depth--;
	return ok;
}

/* Send a packet where an OpenFlow output said (a PACKET_OUT's actions). */
static void
ctl_output(struct sdnfv_mgr *mgr, struct rte_mbuf *m, const struct mgr_ctl_cmd *cmd, unsigned int k)
{
	uint16_t arg = cmd->out[k].arg;
	unsigned int i;

	switch (cmd->out[k].kind) {
	case MGR_OUT_PORT:
		to_port(mgr, arg, m);
		break;
	case MGR_OUT_IN_PORT:
		to_port(mgr, cmd->in_port, m);
		break;
	case MGR_OUT_CHAIN: {
		struct sdnfv_meta *meta = sdnfv_meta_get(m);
		struct sdnfv_flow_key key;
		struct sdnfv_pkt_info info;
		enum sdnfv_dest dest;
		uint16_t a;

		sdnfv_pkt_parse(rte_pktmbuf_mtod(m, const void *), rte_pktmbuf_data_len(m), &info);
		sdnfv_flow_key_from_pkt(rte_pktmbuf_mtod(m, const void *), &info, m->port, &key);
		meta->flow_id = flow_id(&key);
		meta->action = SDNFV_ACT_NONE;
		meta->flags = 0;
		meta->chain = arg;
		meta->chain_pos = 0;
		dest = sdnfv_host_route(mgr->host, m, meta, 0, &a);
		route(mgr, m, dest, a, true);
		break;
	}
	case MGR_OUT_TABLE:
		table_hop(mgr, m, m->port, true);
		break;
	case MGR_OUT_FLOOD:
		for (i = 0; i < mgr->n_ports; i++) {
			uint16_t p = mgr->port_list[i];
			struct rte_mbuf *c;

			if (p == cmd->in_port)
				continue;
			c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
			if (c == NULL) {
				mgr->drops[SDNFV_MGR_DROP_PORT_FULL]++;
				continue;
			}
			to_port(mgr, p, c);
		}
		rte_pktmbuf_free(m);
		break;
	default:
		drop(mgr, m, SDNFV_MGR_DROP_BAD_DEST);
		break;
	}
}

/* Apply a command's outputs to one packet: copies for all but the last. */
static void
ctl_outputs(struct sdnfv_mgr *mgr, struct rte_mbuf *m, const struct mgr_ctl_cmd *cmd)
{
	unsigned int k;

	if (cmd->n_out == 0) {
		drop(mgr, m, SDNFV_MGR_DROP_CHAIN);
		return;
	}
	for (k = 0; k + 1 < cmd->n_out; k++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);

		if (c != NULL)
			ctl_output(mgr, c, cmd, k);
		else
			mgr->drops[SDNFV_MGR_DROP_PORT_FULL]++;
	}
	ctl_output(mgr, m, cmd, k);
}

static void
ctl_commands(struct sdnfv_mgr *mgr)
{
	struct mgr_ctl *c = mgr->ctl;
	struct mgr_ctl_cmd *cmds[16];
	unsigned int n, i, j;

	n = rte_ring_sc_dequeue_burst(c->cmds, (void **)cmds, RTE_DIM(cmds), NULL);
	for (i = 0; i < n; i++) {
		struct mgr_ctl_cmd *cmd = cmds[i];
		struct rte_mbuf *pkts[SDNFV_NF_BURST_MAX];
		uint32_t slot = cmd->buffer_id & 0xffff, np = 0;

		if (cmd->kind == MGR_CTL_INJECT) {
			if (cmd->m != NULL) {
				cmd->m->port = cmd->in_port;
				ctl_outputs(mgr, cmd->m, cmd);
			}
			c->packet_out++;
			free(cmd);
			continue;
		}
		/* A buffer id names a flow's buffer while its generation matches; a stale or
		 * unknown one was answered by the agent already (it checks ids it sent). */
		if (slot < c->n_bufs && c->bufs[slot].id == cmd->buffer_id) {
			struct mgr_buf *b = &c->bufs[slot];

			np = b->n;
			memcpy(pkts, b->pkts, np * sizeof(pkts[0]));
			buf_unlink(c, slot);
		}
		c->released += np;
		if (cmd->kind == MGR_CTL_RELEASE && np > 0) {
			c->lat[c->n_lat++ % MGR_LAT] = rte_get_tsc_cycles() - cmd->posted_tsc;
			classify(mgr, pkts, np, false);
		} else if (cmd->kind == MGR_CTL_BUFFER_OUT) {
			c->packet_out++;
			for (j = 0; j < np; j++)
				ctl_outputs(mgr, pkts[j], cmd);
		}
		free(cmd);
	}
	flush(mgr);
}

/* Drop, counted, the packets of every buffer whose deadline is before `until`, oldest first. */
static void
ctl_drop_buffers(struct sdnfv_mgr *mgr, uint64_t until)
{
	struct mgr_ctl *c = mgr->ctl;

	while (c != NULL && c->used_head != UINT32_MAX &&
	       c->bufs[c->used_head].deadline_tsc <= until) {
		struct mgr_buf *b = &c->bufs[c->used_head];
		uint32_t j;

		for (j = 0; j < b->n; j++) {
			c->buffer_drops++;
			drop(mgr, b->pkts[j], SDNFV_MGR_DROP_BUFFER);
		}
		buf_unlink(c, c->used_head);
	}
}

/* Buffers whose controller did not answer in time. */
static void
ctl_expire(struct sdnfv_mgr *mgr)
{
	ctl_drop_buffers(mgr, rte_get_tsc_cycles());
}

/* Every buffered packet goes (the dispatcher stops, or the agent leaves). */
void
sdnfv_mgr__ctl_flush_buffers(struct sdnfv_mgr *mgr)
{
	ctl_drop_buffers(mgr, UINT64_MAX);
}

/* ---------------------------------------------------------------------------------------- */
/* NFs joining and leaving the dispatcher's list                                              */

static void
unpoll(struct sdnfv_mgr *mgr, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < mgr->n_poll; i++)
		if (mgr->poll_list[i] == id) {
			mgr->poll_list[i] = mgr->poll_list[--mgr->n_poll];
			break;
		}
	mgr->disp[id].polled = false;
	if (ds.is_touched != NULL && ds.is_touched[id]) {
		for (i = 0; i < ds.n_touched; i++)
			if (ds.touched[i] == id) {
				ds.touched[i] = ds.touched[--ds.n_touched];
				break;
			}
		ds.is_touched[id] = false;
	}
}

/* Everything a dead (or forgotten) NF had goes back to the pool; what it already handled (its tx
 * ring) continues on its way when `forward`. */
static void
reclaim(struct sdnfv_mgr *mgr, uint16_t id, bool forward)
{
	struct mgr_disp_nf *d = &mgr->disp[id];
	struct sdnfv_host_nf *s = d->slot ? d->slot : mgr->host->nfs[id];
	struct rte_mbuf *pkts[SDNFV_NF_BURST_MAX];
	unsigned int n;
	uint32_t out_n, sent;
	uint64_t i, before = mgr->drops[SDNFV_MGR_DROP_NF_DIED];

	if (s == NULL || s->rx == NULL)
		return;
	sdnfv_ring_handover(s->tx, SDNFV_RING_CONSUMER);
	sdnfv_ring_handover(s->rx, SDNFV_RING_CONSUMER);
	/* The burst being returned: the tx ring took head - tx_mark of out_n. Read before
	 * draining the ring, which moves nothing on the producer side. */
	out_n = __atomic_load_n(&s->out_n, __ATOMIC_ACQUIRE);
	sent = __atomic_load_n(&s->tx->prod.idx, __ATOMIC_ACQUIRE) - s->tx_mark;
	while ((n = sdnfv_ring_sc_dequeue_burst(s->tx, (void **)pkts, RTE_DIM(pkts), NULL)) > 0) {
		uint64_t deadline;

		if (!forward) {
			free_count(mgr, pkts, n, SDNFV_MGR_DROP_NF_DIED);
			continue;
		}
		/* Handled packets go on, a burst at a time, waiting (a little) for room
		 * downstream as the main loop does. */
		route_returned(mgr, d, pkts, n);
		flush(mgr);
		deadline = rte_get_tsc_cycles() + rte_get_tsc_hz() / 10;
		while (!place_stash(mgr, d) && rte_get_tsc_cycles() < deadline)
			flush(mgr);
		/* What still finds no room is lost with the NF: counted, and the stash is
		 * empty for the next burst. */
		if (d->n_stash > 0) {
			free_count(mgr, &d->stash[d->stash_off], d->n_stash - d->stash_off,
				   SDNFV_MGR_DROP_NF_DIED);
			d->n_stash = d->stash_off = 0;
		}
	}
	if (out_n > 0 && out_n <= RTE_DIM(s->out) && sent < out_n)
		free_count(mgr, &s->out[sent], out_n - sent, SDNFV_MGR_DROP_NF_DIED);
	n = __atomic_load_n(&s->in_n, __ATOMIC_ACQUIRE);
	if (out_n == 0 && n > 0 && n <= RTE_DIM(s->in))
		free_count(mgr, s->in, n, SDNFV_MGR_DROP_NF_DIED);
	while ((n = sdnfv_ring_sc_dequeue_burst(s->rx, (void **)pkts, RTE_DIM(pkts), NULL)) > 0)
		free_count(mgr, pkts, n, SDNFV_MGR_DROP_NF_DIED);
	for (i = 0; i < s->held_n && i < s->max_held; i++)
		if (s->held[i] != NULL) {
			drop(mgr, s->held[i], SDNFV_MGR_DROP_NF_DIED);
			s->held[i] = NULL;
		}
	free_count(mgr, d->pend, d->n_pend, SDNFV_MGR_DROP_NF_DIED);
	free_count(mgr, d->entry, d->n_entry, SDNFV_MGR_DROP_NF_DIED);
	d->n_pend = d->n_entry = 0;
	s->in_n = s->out_n = 0;
	if (mgr->drops[SDNFV_MGR_DROP_NF_DIED] > before)
		SDNFV_LOG(mgr, WARNING, "NF %s (id %u): %" PRIu64 " packets lost with it", s->name,
			  id, mgr->drops[SDNFV_MGR_DROP_NF_DIED] - before);
}

void
sdnfv_mgr__drain_slot(struct sdnfv_mgr *mgr, uint16_t id)
{
	reclaim(mgr, id, false);
}

static void
commands(struct sdnfv_mgr *mgr)
{
	void *objs[32];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(mgr->cmds, objs, RTE_DIM(objs), NULL);
	for (i = 0; i < n; i++) {
		uintptr_t c = (uintptr_t)objs[i];
		uint16_t id = (uint16_t)(c & 0xffff);
		struct mgr_disp_nf *d = &mgr->disp[id];

		switch ((enum mgr_cmd_type)(c >> 16)) {
		case MGR_CMD_NF_ADD:
			d->slot = mgr->host->nfs[id];
			d->local = NULL;
			if (!d->polled) {
				d->polled = true;
				mgr->poll_list[mgr->n_poll++] = id;
			}
			break;
		case MGR_CMD_NF_REAP:
			unpoll(mgr, id);
			reclaim(mgr, id, true);
			__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
			break;
		case MGR_CMD_NF_REMOVE:
			/* Gracefully stopped: its tx ring holds handled packets; forward them. */
			unpoll(mgr, id);
			reclaim(mgr, id, true);
			__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
			break;
		default:
			break;
		}
	}
}

static void
local_duties(struct sdnfv_mgr *mgr, uint64_t now)
{
	struct sdnfv_host_msg *msg;
	unsigned int i;

	while (rte_ring_sc_dequeue(mgr->local_msgs, (void **)&msg) == 0) {
		struct sdnfv_nf *nf =
			msg->nf < mgr->host->max_nfs ? mgr->disp[msg->nf].local : NULL;

		if (nf != NULL)
			sdnfv_nf__deliver(nf, msg);
		else
			rte_free(msg);
	}
	for (i = 0; i < mgr->n_locals; i++) {
		struct sdnfv_nf *nf = mgr->locals[i];

		if (nf->ops.idle != NULL && now - nf->last_idle >= nf->p.idle_us * 1000ull) {
			nf->last_idle = now;
			nf->ops.idle(nf, now, nf->p.arg);
		}
		if (nf->n_released > 0 && mgr->disp[nf->id].n_stash == 0)
			sdnfv_nf__flush_released(nf);
	}
}

/* Is anything still inside the host? */
static bool
host_empty(struct sdnfv_mgr *mgr)
{
	unsigned int i;

	if (ds.n_touched > 0)
		return false;
	if (mgr->ctl != NULL && mgr->ctl->used_head != UINT32_MAX)
		return false; /* flows wait for their controller (at most its buffer timeout) */
	for (i = 0; i < mgr->n_poll; i++) {
		struct sdnfv_host_nf *s = mgr->disp[mgr->poll_list[i]].slot;
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == SDNFV_NF_DEAD)
			continue;
		/* ring_done first, then the tail: packets the NF took after the first load make
		 * the two differ; packets it takes after the second are still counted in the ring
		 * below. */
		uint32_t done = (uint32_t)__atomic_load_n(&s->ring_done, __ATOMIC_ACQUIRE);
		uint32_t tail = __atomic_load_n(&s->rx->cons.idx, __ATOMIC_ACQUIRE);

		if (tail != done || sdnfv_ring_count(s->rx) > 0 || sdnfv_ring_count(s->tx) > 0 ||
		    __atomic_load_n(&s->held_now, __ATOMIC_ACQUIRE) > 0 ||
		    mgr->disp[mgr->poll_list[i]].n_pend > 0 ||
		    mgr->disp[mgr->poll_list[i]].n_stash > 0)
			return false;
	}
	return true;
}

int
sdnfv_mgr_run(struct sdnfv_mgr *mgr)
{
	struct rte_mbuf *pkts[SDNFV_NF_BURST_MAX];
	uint64_t last_rx = 0, now = sdnfv_clock_ns(), stop_at = 0, loops = 0;
	bool receiving = false; /* the ports are read (min_nfs reached): idle time counts */
	unsigned int rr = 0;
	int ret;

	if (mgr == NULL)
		return -EINVAL;
	if (__atomic_exchange_n(&mgr->running, 1, __ATOMIC_ACQ_REL))
		return -EBUSY;
	ds.mgr = mgr;
	ds.touched = calloc(mgr->host->max_nfs, sizeof(*ds.touched));
	ds.is_touched = calloc(mgr->host->max_nfs, sizeof(*ds.is_touched));
	if (ds.touched == NULL || ds.is_touched == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ds.n_touched = 0;
	ret = sdnfv_flow_reader_register(mgr->flows, &mgr->disp_reader);
	if (ret < 0)
		goto out;

	for (;;) {
		bool stopping = __atomic_load_n(&mgr->stop, __ATOMIC_ACQUIRE);
		uint64_t t_start = rte_rdtsc();
		unsigned int i, n;
		bool moved = false; /* this pass moved packets: its cycles are busy time */

		__atomic_store_n(&mgr->epoch, mgr->epoch + 1, __ATOMIC_RELEASE);
		if (unlikely(rte_ring_count(mgr->cmds) > 0))
			commands(mgr);
		if (mgr->ctl != NULL && rte_ring_count(mgr->ctl->cmds) > 0) {
			ctl_commands(mgr);
			moved = true;
		}

		if (!stopping && mgr->n_running >= mgr->p.min_nfs) {
			/* Idle time starts with the first read of the ports, not with the
			 * dispatcher: NFs that took longer than idle_exit_ms to come must not end
			 * the run before its first packet. */
			if (unlikely(!receiving)) {
				receiving = true;
				now = sdnfv_clock_ns();
				last_rx = now;
			}
			for (i = 0; i < mgr->n_ports; i++) {
				uint16_t port = mgr->port_list[i];

				n = rte_eth_rx_burst(port, 0, pkts, (uint16_t)mgr->p.burst);
				if (n == 0)
					continue;
				mgr->ports[port].rx += n;
				last_rx = now;
				moved = true;
				from_port(mgr, port, pkts, n);
				flush(mgr);
			}
		}
		n = mgr->n_poll;
		for (i = 0; i < n; i++) {
			uint16_t id = mgr->poll_list[(rr + i) % n];
			struct mgr_disp_nf *d = &mgr->disp[id];
			unsigned int k;

			if (unlikely(__atomic_load_n(&d->slot->state, __ATOMIC_RELAXED) ==
				     SDNFV_NF_DEAD))
				continue;
			/* Backpressure: nothing more from an NF whose last packets are still
			 * waiting for room; it stops when its tx ring fills. */
			if (unlikely(d->n_stash > 0) && !place_stash(mgr, d)) {
				flush(mgr);
				continue;
			}
			k = sdnfv_ring_sc_dequeue_burst(d->slot->tx, (void **)pkts, mgr->p.burst,
							NULL);
			if (k == 0)
				continue;
			d->from_nf += k;
			route_returned(mgr, d, pkts, k);
			flush(mgr);
			moved = true;
		}
		rr++;
		if (ds.n_touched > 0)
			flush(mgr);
		sdnfv_flow_reader_quiescent(mgr->disp_reader);
		if (moved)
			mgr->busy_cycles += rte_rdtsc() - t_start;

		if ((++loops & 255) == 0 || stopping) {
			now = sdnfv_clock_ns();
			local_duties(mgr, now);
			if (mgr->ctl != NULL)
				ctl_expire(mgr);
			if (stopping) {
				if (stop_at == 0)
					stop_at = now;
				if (host_empty(mgr) || now - stop_at > 1000000000ull)
					break;
			} else if (mgr->p.idle_exit_ms > 0 && receiving &&
				   now - last_rx > mgr->p.idle_exit_ms * 1000000ull &&
				   mgr->n_running >= mgr->p.min_nfs && host_empty(mgr)) {
				SDNFV_LOG(mgr, INFO,
					  "no packet for %u ms and the host is empty: done",
					  mgr->p.idle_exit_ms);
				__atomic_store_n(&mgr->stop, 1, __ATOMIC_RELEASE);
			}
		}
	}
	ret = 0;
	sdnfv_mgr__ctl_flush_buffers(mgr);
	sdnfv_flow_reader_unregister(mgr->disp_reader);
	mgr->disp_reader = NULL;
out:
	free(ds.touched);
	free(ds.is_touched);
	ds.touched = NULL;
	ds.is_touched = NULL;
	__atomic_store_n(&mgr->running, 0, __ATOMIC_RELEASE);
	return ret;
}
