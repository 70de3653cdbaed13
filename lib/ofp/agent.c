/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow 1.3 agent: connections (conn.c) and the codec (codec.c) on one side, the host on
 * the other. One thread of its own runs everything: it polls the connections, answers requests,
 * writes the flow table (under the manager's lock, as the manager's control thread does), turns
 * the dispatcher's table misses into PACKET_INs and the controller's answers into commands for
 * the dispatcher (lib/mgr/disp.c), and reports port changes, rule removals and smart-data-plane
 * changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include <sdnfv/ofp.h>
#include <sdnfv/version.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/params.h"
#include "mgr/mgr_internal.h"
#include "ofp/conn.h"
#include "ofp/wire.h"

extern int sdnfv_logtype_ofp;

#define PERIOD_NS 10000000ull /* ports, services and path changes are looked at every 10 ms */
#define CONNS_MAX 64          /* controller connections at once */

/* One controller connection's OpenFlow state. */
struct conn {
	struct sdnfv_ofp *a;
	struct ofp_chan *chan;
	bool hello;    /* the peer's HELLO was taken: version 1.3 agreed */
	uint32_t role; /* OFPCR_ROLE_* */
	struct ofp_async async;
	uint64_t pins;
};

/* A removed rule waiting to be reported. */
struct removed {
	struct sdnfv_flow_rule rule;
	struct sdnfv_flow_stats stats;
	uint8_t reason;
};

struct sdnfv_ofp {
	struct sdnfv_mgr *mgr;
	struct mgr_ctl *ctl;
	struct sdnfv_ofp_params p;
	char *targets[SDNFV_OFP_TARGETS_MAX];
	struct ofp_chans *chans;
	pthread_t thread;
	bool thread_started;
	int stop;         /* atomic */
	struct ofp_buf b; /* the agent thread's scratch */
	uint64_t dpid;
	uint64_t created_ns;
	struct ofp_switch_config config;
	bool have_generation;
	uint64_t generation;
	/* Buffer ids sent in PACKET_INs and not used yet, by slot (a stale, timed-out or repeated
	 * one gets an error: OFPBRC_BUFFER_UNKNOWN, OFPBRC_BUFFER_EMPTY). */
	uint32_t *sent_id;
	bool *id_used;
	uint64_t *sent_tsc; /* when the PACKET_IN was taken: the buffer times out after it */
	/* What the controller saw of the ports: service liveness, link states. */
	uint8_t *svc_state; /* 0 unknown, 1 down, 2 live */
	unsigned int n_svc_seen;
	uint8_t link_up[RTE_MAX_ETHPORTS];
	uint64_t path_seen;
	uint64_t last_period, last_up_ns;
	bool ever_up;
	uint32_t mode; /* what the agent last set in ctl->mode */
	/* Removals reported by the flow table (any writer thread). */
	pthread_mutex_t rm_lock;
	struct removed *rm;
	unsigned int n_rm, cap_rm;
	uint64_t rm_lost;
	/* The connections (the channel layer's), as the agent knows them. */
	struct conn *conns[CONNS_MAX];
	unsigned int n_conns;
	uint32_t n_up; /* of them, with HELLO done; atomic */
	/* Counters (agent thread; read racily by sdnfv_ofp_stats()). */
	uint64_t msgs_rx, msgs_tx, errors_tx, flow_mods, packet_in, pin_unsent, packet_out,
		path_reports;
};

/* ---------------------------------------------------------------------------------------- */
/* Ports: DPDK port p is OpenFlow port p + 1; service s is SDNFV_OFP_SERVICE_PORT_BASE + s     */

static uint32_t
of_port(uint16_t internal)
{
	if (internal == MGR_NO_PORT)
		return OFPP_CONTROLLER;
	if (MGR_IS_SERVICE_PORT(internal))
		return SDNFV_OFP_SERVICE_PORT_BASE + MGR_PORT_SERVICE(internal);
	return (uint32_t)internal + 1;
}

/* An OpenFlow port number to the host's: 0; -ENOENT for a port the host does not have. */
static int
host_port(const struct sdnfv_ofp *a, uint32_t of, uint16_t *out)
{
	const struct sdnfv_mgr *mgr = a->mgr;

	if (of >= 1 && of <= RTE_MAX_ETHPORTS && mgr->ports[of - 1].used) {
		*out = (uint16_t)(of - 1);
		return 0;
	}
	if (of >= SDNFV_OFP_SERVICE_PORT_BASE &&
	    of - SDNFV_OFP_SERVICE_PORT_BASE < sdnfv_service_count(mgr->host->services)) {
		*out = MGR_SERVICE_PORT(of - SDNFV_OFP_SERVICE_PORT_BASE);
		return 0;
	}
	return -ENOENT;
}

static void
port_desc_phys(const struct sdnfv_ofp *a, uint16_t p, struct ofp_port_desc *d)
{
	struct rte_eth_link link;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];

	(void)a;
	memset(d, 0, sizeof(*d));
	d->port_no = of_port(p);
	if (rte_eth_macaddr_get(p, &mac) == 0)
		memcpy(d->hw_addr, mac.addr_bytes, 6);
	if (rte_eth_dev_get_name_by_port(p, name) != 0)
		snprintf(name, sizeof(name), "dpdk%u", p);
	snprintf(d->name, sizeof(d->name), "%.15s", name);
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(p, &link);
	d->state = link.link_status ? OFPPS_LIVE : OFPPS_LINK_DOWN;
	d->curr = d->advertised = d->supported = OFPPF_OTHER;
	if (link.link_speed != RTE_ETH_SPEED_NUM_NONE &&
	    link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		d->curr_speed = d->max_speed = link.link_speed * 1000u;
}

static bool
service_live(const struct sdnfv_ofp *a, uint16_t s)
{
	uint16_t one;

	return sdnfv_service_instances(a->mgr->host->services, s, &one, 1) > 0;
}

static void
port_desc_service(const struct sdnfv_ofp *a, uint16_t s, bool live, struct ofp_port_desc *d)
{
	const char *name = sdnfv_service_name(a->mgr->host->services, s);

	memset(d, 0, sizeof(*d));
	d->port_no = SDNFV_OFP_SERVICE_PORT_BASE + s;
	/* A locally administered address of the datapath and the service. */
	d->hw_addr[0] = 0x02;
	d->hw_addr[1] = (uint8_t)(a->dpid >> 16);
	d->hw_addr[2] = (uint8_t)(a->dpid >> 8);
	d->hw_addr[3] = (uint8_t)a->dpid;
	d->hw_addr[4] = (uint8_t)(s >> 8);
	d->hw_addr[5] = (uint8_t)s;
	snprintf(d->name, sizeof(d->name), "%.15s", name ? name : "service");
	d->state = live ? OFPPS_LIVE : OFPPS_LINK_DOWN;
	d->curr = d->advertised = d->supported = OFPPF_OTHER;
}

/* ---------------------------------------------------------------------------------------- */
/* Sending                                                                                    */

static void
send_buf(struct conn *c, struct ofp_buf *b)
{
	int ret;

	if (b->err != 0 || b->len == 0) {
		if (b->err != 0)
			SDNFV_LOG(ofp, ERR, "%s: a reply could not be encoded: %s",
				  ofp_chan_name(c->chan), strerror(-b->err));
		ofp_buf_reset(b);
		return;
	}
	ret = ofp_chan_send(c->chan, b->data, b->len);
	if (ret == 0) {
		const uint8_t *p = b->data;
		size_t off = 0;

		/* Count messages, not buffers: a multipart reply is several. */
		while (off + OFP_HEADER_LEN <= b->len) {
			size_t l = (size_t)p[off + 2] << 8 | p[off + 3];

			c->a->msgs_tx++;
			if (l < OFP_HEADER_LEN)
				break;
			off += l;
		}
	} else if (ret == -ENOBUFS) {
		SDNFV_LOG(ofp, WARNING, "%s: send queue full, %zu bytes not sent",
			  ofp_chan_name(c->chan), b->len);
	}
	ofp_buf_reset(b);
}

static void
send_error(struct conn *c, uint32_t xid, struct ofp_err e, const void *msg, size_t len)
{
	struct ofp_buf *b = &c->a->b;

	ofp_buf_reset(b);
	ofp_encode_error(b, xid, e, msg, len);
	c->a->errors_tx++;
	send_buf(c, b);
}

static void
error_out(struct conn *c, uint32_t xid, uint16_t type, uint16_t code, const void *msg, size_t len)
{
	struct ofp_err e = { .type = type, .code = code };

	send_error(c, xid, e, msg, len);
}

/* May connection c get this asynchronous message (its role and SET_ASYNC masks)? */
static bool
wants(const struct conn *c, const uint32_t masks[2], unsigned int reason)
{
	unsigned int i = c->role == OFPCR_ROLE_SLAVE ? 1 : 0;

	return c->hello && (masks[i] & (1u << reason)) != 0;
}

/* Send an asynchronous message to every connection that wants it. kind: 0 packet-in (and the
 * path-change reports), 1 port status, 2 flow removed. */
static unsigned int
broadcast(struct sdnfv_ofp *a, int kind, unsigned int reason, const struct ofp_buf *msg)
{
	unsigned int i, sent = 0;

	if (msg->err != 0 || msg->len == 0)
		return 0;
	for (i = 0; i < a->n_conns; i++) {
		struct conn *c = a->conns[i];
		const uint32_t *m = kind == 0   ? c->async.packet_in
				    : kind == 1 ? c->async.port_status
						: c->async.flow_removed;

		if (!wants(c, m, reason))
			continue;
		if (ofp_chan_send(c->chan, msg->data, msg->len) == 0) {
			a->msgs_tx++;
			sent++;
		}
	}
	return sent;
}

/* ---------------------------------------------------------------------------------------- */
/* Actions: OpenFlow outputs ↔ the flow table's action                                       */

/* A rule's action as OpenFlow outputs (flow stats). */
static void
acts_of_action(const struct sdnfv_ofp *a, const struct sdnfv_flow_action *act, struct ofp_acts *out)
{
	const struct sdnfv_mgr *mgr = a->mgr;
	const struct sdnfv_host_chain *ch;
	unsigned int i;

	out->n_out = 0;
	switch (act->type) {
	case SDNFV_FLOW_ACT_PORT:
		out->out[0].port = of_port(act->arg);
		out->n_out = 1;
		return;
	case SDNFV_FLOW_ACT_CONTROLLER:
		out->out[0].port = OFPP_CONTROLLER;
		out->out[0].max_len = act->arg;
		out->n_out = 1;
		return;
	case SDNFV_FLOW_ACT_USER:
		break;
	default:
		return;
	}
	if (act->user >= __atomic_load_n(&mgr->host->n_chains, __ATOMIC_ACQUIRE))
		return;
	/* A chain: its services in order, then where it leaves (a chain that ends at the table
	 * continues with the next hop's rule, so nothing follows its services). */
	ch = &mgr->host->chains[act->user];
	for (i = 0; i < ch->n_hops && out->n_out < OFP_ACTS_MAX; i++)
		out->out[out->n_out++].port = SDNFV_OFP_SERVICE_PORT_BASE + ch->hop[i];
	if (out->n_out >= OFP_ACTS_MAX)
		return;
	if (ch->out_kind == SDNFV_CHAIN_OUT_PORT)
		out->out[out->n_out++].port = of_port(ch->out_port);
	else if (ch->out_kind == SDNFV_CHAIN_OUT_IN_PORT)
		out->out[out->n_out++].port = OFPP_IN_PORT;
}

/* A FLOW_MOD's outputs as the flow table's action. Under the manager's lock (chains). */
static int
action_of_acts(struct sdnfv_ofp *a, const struct ofp_acts *acts, uint64_t cookie, bool table_miss,
	       struct sdnfv_flow_action *out, struct ofp_err *err)
{
	uint32_t port;
	uint16_t hp;
	int ret;

	memset(out, 0, sizeof(*out));
	if (acts->n_out == 0) {
		out->type = SDNFV_FLOW_ACT_DROP;
		return 0;
	}
	if (acts->n_out > 1) {
		/* A packet follows one path through the host: copies would need a second. */
		SDNFV_LOG(ofp, NOTICE, "flow_mod: %u outputs; a rule of this host has one",
			  acts->n_out);
		err->type = OFPET_BAD_ACTION;
		err->code = OFPBAC_TOO_MANY;
		return -ENOTSUP;
	}
	port = acts->out[0].port;
	if (port == OFPP_CONTROLLER) {
		out->type = SDNFV_FLOW_ACT_CONTROLLER;
		out->user = cookie; /* the PACKET_IN names the rule by its cookie */
		out->arg = acts->out[0].max_len;
		/* OpenFlow 1.3: what the table-miss entry (priority 0, every field wildcarded)
		 * sends up is a miss, OFPR_NO_MATCH; other rules' packets are OFPR_ACTION. */
		out->reason = table_miss ? OFPR_NO_MATCH : OFPR_ACTION;
		return 0;
	}
	if (port == OFPP_IN_PORT) {
		ret = sdnfv_mgr__chain_in_port(a->mgr);
		if (ret < 0)
			goto full;
		out->type = SDNFV_FLOW_ACT_USER;
		out->user = (uint64_t)ret;
		return 0;
	}
	if (host_port(a, port, &hp) != 0) {
		SDNFV_LOG(ofp, NOTICE,
			  "flow_mod: output to port %" PRIu32 ", which this host "
			  "does not have (or cannot output to in a rule)",
			  port);
		err->type = OFPET_BAD_ACTION;
		err->code = OFPBAC_BAD_OUT_PORT;
		return -EINVAL;
	}
	if (!MGR_IS_SERVICE_PORT(hp)) {
		out->type = SDNFV_FLOW_ACT_PORT;
		out->arg = hp;
		return 0;
	}
	ret = sdnfv_mgr__chain_service(a->mgr, MGR_PORT_SERVICE(hp));
	if (ret < 0)
		goto full;
	out->type = SDNFV_FLOW_ACT_USER;
	out->user = (uint64_t)ret;
	return 0;
full:
	err->type = OFPET_FLOW_MOD_FAILED;
	err->code = OFPFMFC_TABLE_FULL;
	return ret;
}

/* A decoded match with its in_port mapped to the host's port. */
static int
host_match(struct sdnfv_ofp *a, const struct ofp_match *om, struct sdnfv_flow_match *m,
	   struct ofp_err *err)
{
	*m = om->m;
	if (m->fields & SDNFV_FLOW_M_IN_PORT) {
		if (host_port(a, om->of_in_port, &m->in_port) != 0) {
			SDNFV_LOG(ofp, NOTICE,
				  "match: in_port %" PRIu32 " is not a port of this host",
				  om->of_in_port);
			err->type = OFPET_BAD_MATCH;
			err->code = OFPBMC_BAD_VALUE;
			return -EINVAL;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* FLOW_MOD                                                                                  */

struct collect {
	struct sdnfv_ofp *a;
	uint32_t out_port;
	struct sdnfv_flow_select *sel; /* grows */
	unsigned int n, cap;
};

static bool
action_outputs_to(const struct sdnfv_ofp *a, const struct sdnfv_flow_action *act, uint32_t port)
{
	struct ofp_acts acts;
	unsigned int i;

	acts_of_action(a, act, &acts);
	for (i = 0; i < acts.n_out; i++)
		if (acts.out[i].port == port)
			return true;
	return false;
}

static int
collect_one(void *arg, const struct sdnfv_flow_rule *r, const struct sdnfv_flow_stats *st)
{
	struct collect *c = arg;

	(void)st;
	if (!action_outputs_to(c->a, &r->action, c->out_port))
		return 0;
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 64;
		struct sdnfv_flow_select *n = realloc(c->sel, cap * sizeof(*n));

		if (n == NULL)
			return 1;
		c->sel = n;
		c->cap = cap;
	}
	memset(&c->sel[c->n], 0, sizeof(c->sel[0]));
	c->sel[c->n].sz = sizeof(c->sel[0]);
	c->sel[c->n].match = r->match;
	c->sel[c->n].priority = r->priority;
	c->sel[c->n].strict = true;
	c->sel[c->n].cookie = r->cookie;
	c->sel[c->n].cookie_mask = UINT64_MAX;
	c->n++;
	return 0;
}

/* Modify or delete the selected rules, filtered by an output port when out_port is not ANY
 * (the flow table filters by action; OpenFlow by any output of the instructions). */
static int
select_apply(struct sdnfv_ofp *a, const struct sdnfv_flow_select *sel, uint32_t out_port, bool del,
	     const struct sdnfv_flow_action *act, uint32_t flags)
{
	struct collect c = { .a = a, .out_port = out_port };
	unsigned int i;
	int n = 0, ret;

	if (out_port == OFPP_ANY)
		return del ? sdnfv_flow_delete(a->mgr->flows, sel)
			   : sdnfv_flow_modify(a->mgr->flows, sel, act, flags);
	sdnfv_flow_foreach(a->mgr->flows, sel, collect_one, &c);
	for (i = 0; i < c.n; i++) {
		ret = del ? sdnfv_flow_delete(a->mgr->flows, &c.sel[i])
			  : sdnfv_flow_modify(a->mgr->flows, &c.sel[i], act, flags);
		if (ret > 0)
			n += ret;
	}
	free(c.sel);
	return n;
}

static bool
buffer_check(struct conn *c, uint32_t id, uint32_t xid, const void *msg, size_t len)
{
	struct sdnfv_ofp *a = c->a;
	uint32_t slot = id & 0xffff;

	if (slot >= a->ctl->n_bufs || a->sent_id[slot] != id) {
		SDNFV_LOG(ofp, NOTICE, "%s: buffer id 0x%" PRIx32 " was never sent",
			  ofp_chan_name(c->chan), id);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN, msg, len);
		return false;
	}
	if (a->id_used[slot]) {
		SDNFV_LOG(ofp, NOTICE, "%s: buffer id 0x%" PRIx32 " was used already",
			  ofp_chan_name(c->chan), id);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BUFFER_EMPTY, msg, len);
		return false;
	}
	/* The dispatcher dropped it (its deadline ran from a little earlier than sent_tsc). */
	if (rte_get_tsc_cycles() - a->sent_tsc[slot] > a->ctl->timeout_tsc) {
		SDNFV_LOG(ofp, NOTICE, "%s: buffer id 0x%" PRIx32 " timed out",
			  ofp_chan_name(c->chan), id);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN, msg, len);
		return false;
	}
	a->id_used[slot] = true;
	return true;
}

/* A command for the dispatcher; it frees it. False when its queue is full (logged). */
static bool
post(struct sdnfv_ofp *a, struct mgr_ctl_cmd *cmd)
{
	if (rte_ring_sp_enqueue(a->ctl->cmds, cmd) == 0)
		return true;
	SDNFV_LOG(ofp, WARNING,
		  "the dispatcher's command queue is full: a buffer release or "
		  "packet-out is lost");
	rte_pktmbuf_free(cmd->m);
	free(cmd);
	return false;
}

static void
release_buffer(struct sdnfv_ofp *a, uint32_t id, uint64_t rx_tsc)
{
	struct mgr_ctl_cmd *cmd = calloc(1, sizeof(*cmd));

	if (cmd == NULL)
		return;
	cmd->kind = MGR_CTL_RELEASE;
	cmd->buffer_id = id;
	cmd->posted_tsc = rx_tsc;
	post(a, cmd);
}

static void
on_flow_mod(struct conn *c, const uint8_t *msg, size_t len, uint32_t xid, uint64_t rx_tsc)
{
	struct sdnfv_ofp *a = c->a;
	struct sdnfv_mgr *mgr = a->mgr;
	struct ofp_flow_mod fm;
	struct ofp_err err = { 0, 0 };
	struct sdnfv_flow_select sel = { .sz = sizeof(sel) };
	struct sdnfv_flow_action act;
	int ret;

	if (ofp_decode_flow_mod(msg, len, &fm, &err) < 0) {
		send_error(c, xid, err, msg, len);
		return;
	}
	pthread_mutex_lock(&mgr->lock);
	if (host_match(a, &fm.match, &sel.match, &err) < 0)
		goto refused;
	switch (fm.command) {
	case OFPFC_ADD: {
		struct sdnfv_flow_rule r = { .sz = sizeof(r) };

		if (action_of_acts(a, &fm.acts, fm.cookie,
				   fm.priority == 0 && sel.match.fields == 0, &act, &err) < 0)
			goto refused;
		r.match = sel.match;
		r.priority = fm.priority;
		r.idle_timeout = fm.idle_timeout;
		r.hard_timeout = fm.hard_timeout;
		r.cookie = fm.cookie;
		r.action = act;
		if (fm.flags & OFPFF_SEND_FLOW_REM)
			r.flags |= SDNFV_FLOW_F_SEND_REMOVED;
		if (fm.flags & OFPFF_CHECK_OVERLAP)
			r.flags |= SDNFV_FLOW_F_CHECK_OVERLAP;
		if (fm.flags & OFPFF_RESET_COUNTS)
			r.flags |= SDNFV_FLOW_F_RESET_COUNTS;
		ret = sdnfv_flow_add(mgr->flows, &r);
		if (ret == -EEXIST) {
			err.type = OFPET_FLOW_MOD_FAILED;
			err.code = OFPFMFC_OVERLAP;
			goto refused;
		} else if (ret == -ENOSPC || ret == -ENOMEM) {
			err.type = OFPET_FLOW_MOD_FAILED;
			err.code = OFPFMFC_TABLE_FULL;
			goto refused;
		} else if (ret < 0) {
			err.type = OFPET_FLOW_MOD_FAILED;
			err.code = OFPFMFC_UNKNOWN;
			goto refused;
		}
		break;
	}
	case OFPFC_MODIFY:
	case OFPFC_MODIFY_STRICT:
		if (action_of_acts(a, &fm.acts, fm.cookie,
				   fm.priority == 0 && sel.match.fields == 0, &act, &err) < 0)
			goto refused;
		sel.strict = fm.command == OFPFC_MODIFY_STRICT;
		sel.priority = fm.priority;
		sel.cookie = fm.cookie;
		sel.cookie_mask = fm.cookie_mask;
		ret = select_apply(a, &sel, OFPP_ANY, false, &act,
				   fm.flags & OFPFF_RESET_COUNTS ? SDNFV_FLOW_F_RESET_COUNTS : 0);
		if (ret < 0) {
			err.type = OFPET_FLOW_MOD_FAILED;
			err.code = OFPFMFC_UNKNOWN;
			goto refused;
		}
		break;
	case OFPFC_DELETE:
	case OFPFC_DELETE_STRICT:
		sel.strict = fm.command == OFPFC_DELETE_STRICT;
		sel.priority = fm.priority;
		sel.cookie = fm.cookie;
		sel.cookie_mask = fm.cookie_mask;
		ret = select_apply(a, &sel, fm.out_port, true, NULL, 0);
		if (ret < 0) {
			err.type = OFPET_FLOW_MOD_FAILED;
			err.code = OFPFMFC_UNKNOWN;
			goto refused;
		}
		break;
	default:
		err.type = OFPET_FLOW_MOD_FAILED;
		err.code = OFPFMFC_BAD_COMMAND;
		goto refused;
	}
	pthread_mutex_unlock(&mgr->lock);
	a->flow_mods++;
	/* A FLOW_MOD naming a buffer releases it: the flow's packets are looked up again, in
	 * the changed table. */
	if (fm.buffer_id != OFP_NO_BUFFER && fm.command != OFPFC_DELETE &&
	    fm.command != OFPFC_DELETE_STRICT && buffer_check(c, fm.buffer_id, xid, msg, len))
		release_buffer(a, fm.buffer_id, rx_tsc);
	return;
refused:
	pthread_mutex_unlock(&mgr->lock);
	send_error(c, xid, err, msg, len);
}

/* ---------------------------------------------------------------------------------------- */
/* PACKET_OUT                                                                                */

static void
send_packet_in_data(struct sdnfv_ofp *a, uint32_t of_in_port, const void *data, size_t len)
{
	ofp_buf_reset(&a->b);
	ofp_encode_packet_in(&a->b, 0, OFP_NO_BUFFER, (uint16_t)RTE_MIN(len, (size_t)UINT16_MAX),
			     OFPR_ACTION, UINT64_MAX, of_in_port, data, len);
	if (broadcast(a, 0, OFPR_ACTION, &a->b) > 0)
		a->packet_in++;
	ofp_buf_reset(&a->b);
}

static void
on_packet_out(struct conn *c, const uint8_t *msg, size_t len, uint32_t xid)
{
	struct sdnfv_ofp *a = c->a;
	struct ofp_packet_out po;
	struct ofp_err err = { 0, 0 };
	struct mgr_ctl_cmd *cmd;
	unsigned int i;
	bool to_ctl = false;
	int ret;

	if (ofp_decode_packet_out(msg, len, &po, &err) < 0) {
		send_error(c, xid, err, msg, len);
		return;
	}
	cmd = calloc(1, sizeof(*cmd));
	if (cmd == NULL)
		return;
	cmd->in_port = MGR_NO_PORT;
	if (po.in_port != OFPP_CONTROLLER && po.in_port != OFPP_ANY &&
	    host_port(a, po.in_port, &cmd->in_port) != 0) {
		SDNFV_LOG(ofp, NOTICE, "packet_out: in_port %" PRIu32 " is not a port of this host",
			  po.in_port);
		free(cmd);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, msg, len);
		return;
	}
	pthread_mutex_lock(&a->mgr->lock);
	for (i = 0; i < po.acts.n_out; i++) {
		uint32_t port = po.acts.out[i].port;
		uint16_t hp;

		if (port == OFPP_CONTROLLER) {
			to_ctl = true;
			continue;
		}
		if (port == OFPP_TABLE) {
			cmd->out[cmd->n_out++].kind = MGR_OUT_TABLE;
		} else if (port == OFPP_FLOOD || port == OFPP_ALL) {
			cmd->out[cmd->n_out++].kind = MGR_OUT_FLOOD;
		} else if (port == OFPP_IN_PORT && cmd->in_port != MGR_NO_PORT &&
			   !MGR_IS_SERVICE_PORT(cmd->in_port)) {
			cmd->out[cmd->n_out++].kind = MGR_OUT_IN_PORT;
		} else if (host_port(a, port, &hp) == 0 && !MGR_IS_SERVICE_PORT(hp)) {
			cmd->out[cmd->n_out].kind = MGR_OUT_PORT;
			cmd->out[cmd->n_out++].arg = hp;
		} else if (host_port(a, port, &hp) == 0 &&
			   (ret = sdnfv_mgr__chain_service(a->mgr, MGR_PORT_SERVICE(hp))) >= 0) {
			cmd->out[cmd->n_out].kind = MGR_OUT_CHAIN;
			cmd->out[cmd->n_out++].arg = (uint16_t)ret;
		} else {
			pthread_mutex_unlock(&a->mgr->lock);
			SDNFV_LOG(ofp, NOTICE,
				  "packet_out: output to port 0x%" PRIx32
				  ", which this host cannot output to",
				  port);
			free(cmd);
			error_out(c, xid, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, msg, len);
			return;
		}
	}
	pthread_mutex_unlock(&a->mgr->lock);
	a->packet_out++;
	if (po.buffer_id != OFP_NO_BUFFER) {
		if (!buffer_check(c, po.buffer_id, xid, msg, len)) {
			free(cmd);
			return;
		}
		cmd->kind = MGR_CTL_BUFFER_OUT;
		cmd->buffer_id = po.buffer_id;
		post(a, cmd);
		return;
	}
	if (to_ctl)
		send_packet_in_data(a, po.in_port, po.data, po.data_len);
	if (cmd->n_out == 0) {
		free(cmd);
		return;
	}
	cmd->kind = MGR_CTL_INJECT;
	cmd->m = rte_pktmbuf_alloc(sdnfv_pool_mempool(a->mgr->pool, SOCKET_ID_ANY));
	if (cmd->m == NULL || rte_pktmbuf_append(cmd->m, (uint16_t)po.data_len) == NULL) {
		SDNFV_LOG(ofp, NOTICE, "packet_out: no mbuf for a %zu-byte frame", po.data_len);
		rte_pktmbuf_free(cmd->m);
		free(cmd);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET, msg, len);
		return;
	}
	memcpy(rte_pktmbuf_mtod(cmd->m, void *), po.data, po.data_len);
	post(a, cmd);
}

/* ---------------------------------------------------------------------------------------- */
/* MULTIPART                                                                                 */

struct stats_walk {
	struct sdnfv_ofp *a;
	struct ofp_mp *mp;
	uint32_t out_port;
	uint64_t packets, bytes;
	uint32_t flows;
};

static int
flow_stats_one(void *arg, const struct sdnfv_flow_rule *r, const struct sdnfv_flow_stats *st)
{
	struct stats_walk *w = arg;
	struct ofp_acts acts;

	acts_of_action(w->a, &r->action, &acts);
	if (w->out_port != OFPP_ANY && !action_outputs_to(w->a, &r->action, w->out_port))
		return 0;
	if (w->mp != NULL)
		ofp_mp_flow_stats(w->mp, r, of_port(r->match.in_port), st, &acts);
	w->packets += st->packets;
	w->bytes += st->bytes;
	w->flows++;
	return 0;
}

static void
port_counters_phys(const struct sdnfv_ofp *a, uint16_t p, struct ofp_port_counters *pc)
{
	struct rte_eth_stats es;
	uint64_t d = sdnfv_clock_ns() - a->created_ns;

	memset(pc, 0, sizeof(*pc));
	pc->port_no = of_port(p);
	if (rte_eth_stats_get(p, &es) == 0) {
		pc->rx_packets = es.ipackets;
		pc->tx_packets = es.opackets;
		pc->rx_bytes = es.ibytes;
		pc->tx_bytes = es.obytes;
		pc->rx_dropped = es.imissed;
		pc->rx_errors = es.ierrors;
		pc->tx_errors = es.oerrors;
	}
	pc->tx_dropped = a->mgr->ports[p].tx_drops;
	pc->duration_sec = (uint32_t)(d / 1000000000ull);
	pc->duration_nsec = (uint32_t)(d % 1000000000ull);
}

/* A service's counters: packets the host sent to its NFs (tx) and got back (rx). */
static void
port_counters_service(const struct sdnfv_ofp *a, uint16_t s, struct ofp_port_counters *pc)
{
	const struct sdnfv_mgr *mgr = a->mgr;
	uint64_t d = sdnfv_clock_ns() - a->created_ns;
	uint32_t id;

	memset(pc, 0, sizeof(*pc));
	pc->port_no = SDNFV_OFP_SERVICE_PORT_BASE + s;
	/* Counters a service does not keep are all ones (OpenFlow 1.3.5, port statistics). */
	pc->rx_bytes = pc->tx_bytes = UINT64_MAX;
	pc->rx_errors = pc->tx_errors = UINT64_MAX;
	for (id = 0; id < mgr->host->max_nfs; id++) {
		const struct sdnfv_host_nf *nf = mgr->host->nfs[id];

		if (nf == NULL || nf->service != s)
			continue;
		/* rx: what the service handed on; what its NFs dropped is its rx_dropped. */
		pc->tx_packets += mgr->disp[id].to_nf;
		pc->rx_packets +=
			mgr->disp[id].from_nf - RTE_MIN(nf->dropped, mgr->disp[id].from_nf);
		pc->rx_dropped += nf->dropped;
		pc->tx_dropped += mgr->disp[id].entry_drops;
	}
	pc->duration_sec = (uint32_t)(d / 1000000000ull);
	pc->duration_nsec = (uint32_t)(d % 1000000000ull);
}

static void
on_multipart(struct conn *c, const uint8_t *msg, size_t len, uint32_t xid)
{
	struct sdnfv_ofp *a = c->a;
	struct sdnfv_mgr *mgr = a->mgr;
	struct ofp_mp_request rq;
	struct ofp_err err = { 0, 0 };
	struct ofp_mp mp;
	struct ofp_buf *b = &a->b;
	unsigned int i, n;

	if (ofp_decode_mp_request(msg, len, &rq, &err) < 0) {
		send_error(c, xid, err, msg, len);
		return;
	}
	if (rq.flags & OFPMPF_REQ_MORE) {
		SDNFV_LOG(ofp, NOTICE, "multipart: requests in several parts are not taken");
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_MULTIPART_BUFFER_OVERFLOW, msg, len);
		return;
	}
	ofp_buf_reset(b);
	switch (rq.type) {
	case OFPMP_DESC: {
		char dp[64];
		struct ofp_desc d = { .mfr = "libsdnfv",
				      .hw = "SDNFV host on DPDK",
				      .sw = "libsdnfv " SDNFV_VERSION,
				      .serial = "None",
				      .dp = dp };

		snprintf(dp, sizeof(dp), "sdnfv manager, pid %d", getpid());
		ofp_mp_begin(&mp, b, rq.type, xid);
		ofp_mp_desc(&mp, &d);
		ofp_mp_end(&mp);
		break;
	}
	case OFPMP_FLOW:
	case OFPMP_AGGREGATE: {
		struct ofp_flow_stats_request fr;
		struct sdnfv_flow_select sel = { .sz = sizeof(sel) };
		struct stats_walk w = { .a = a };

		if (ofp_decode_flow_stats_request(&rq, &fr, &err) < 0 ||
		    host_match(a, &fr.match, &sel.match, &err) < 0) {
			send_error(c, xid, err, msg, len);
			return;
		}
		sel.cookie = fr.cookie;
		sel.cookie_mask = fr.cookie_mask;
		w.out_port = fr.out_port;
		ofp_mp_begin(&mp, b, rq.type, xid);
		w.mp = rq.type == OFPMP_FLOW ? &mp : NULL;
		if (fr.table_id == 0 || fr.table_id == OFPTT_ALL) {
			pthread_mutex_lock(&mgr->lock);
			sdnfv_flow_foreach(mgr->flows, &sel, flow_stats_one, &w);
			pthread_mutex_unlock(&mgr->lock);
		}
		if (rq.type == OFPMP_AGGREGATE)
			ofp_mp_aggregate(&mp, w.packets, w.bytes, w.flows);
		ofp_mp_end(&mp);
		break;
	}
	case OFPMP_TABLE: {
		struct sdnfv_flow_table_info ti;
		struct sdnfv_mgr_stats ms;

		sdnfv_flow_table_info(mgr->flows, &ti);
		sdnfv_mgr_stats(mgr, &ms);
		ofp_mp_begin(&mp, b, rq.type, xid);
		ofp_mp_table_stats(&mp, 0, ti.rules, ms.rx,
				   ms.rx - ms.drops[SDNFV_MGR_DROP_NO_RULE] -
					   ms.drops[SDNFV_MGR_DROP_NO_CONTROLLER] -
					   ms.drops[SDNFV_MGR_DROP_PACKET_IN_LIMIT] -
					   a->ctl->pin_sent);
		ofp_mp_end(&mp);
		break;
	}
	case OFPMP_TABLE_FEATURES:
		if (rq.body_len > 0) {
			SDNFV_LOG(ofp, NOTICE, "table_features: the table cannot be reconfigured");
			error_out(c, xid, OFPET_TABLE_FEATURES_FAILED, OFPTFFC_EPERM, msg, len);
			return;
		}
		ofp_mp_begin(&mp, b, rq.type, xid);
		ofp_mp_table_features(&mp, 0, "sdnfv", mgr->p.max_rules);
		ofp_mp_end(&mp);
		break;
	case OFPMP_PORT_STATS: {
		struct ofp_port_counters pc;
		uint32_t want;
		uint16_t hp;

		if (ofp_decode_port_stats_request(&rq, &want, &err) < 0) {
			send_error(c, xid, err, msg, len);
			return;
		}
		if (want != OFPP_ANY && host_port(a, want, &hp) != 0) {
			SDNFV_LOG(ofp, NOTICE, "port_stats: no port %" PRIu32, want);
			error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, msg, len);
			return;
		}
		ofp_mp_begin(&mp, b, rq.type, xid);
		for (i = 0; i < mgr->n_ports; i++) {
			uint16_t p = mgr->port_list[i];

			if (want != OFPP_ANY && want != of_port(p))
				continue;
			port_counters_phys(a, p, &pc);
			ofp_mp_port_stats(&mp, &pc);
		}
		n = sdnfv_service_count(mgr->host->services);
		for (i = 0; i < n; i++) {
			if (want != OFPP_ANY && want != SDNFV_OFP_SERVICE_PORT_BASE + i)
				continue;
			port_counters_service(a, (uint16_t)i, &pc);
			ofp_mp_port_stats(&mp, &pc);
		}
		ofp_mp_end(&mp);
		break;
	}
	case OFPMP_PORT_DESC: {
		struct ofp_port_desc d;

		ofp_mp_begin(&mp, b, rq.type, xid);
		for (i = 0; i < mgr->n_ports; i++) {
			port_desc_phys(a, mgr->port_list[i], &d);
			ofp_mp_port_desc(&mp, &d);
		}
		n = sdnfv_service_count(mgr->host->services);
		for (i = 0; i < n; i++) {
			port_desc_service(a, (uint16_t)i, service_live(a, (uint16_t)i), &d);
			ofp_mp_port_desc(&mp, &d);
		}
		ofp_mp_end(&mp);
		break;
	}
	default:
		SDNFV_LOG(ofp, NOTICE, "multipart: type %u is not supported", rq.type);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, msg, len);
		return;
	}
	send_buf(c, b);
}

/* ---------------------------------------------------------------------------------------- */
/* Roles, experimenter messages, the rest                                                     */

static void
on_role(struct conn *c, const uint8_t *msg, size_t len, uint32_t xid)
{
	struct sdnfv_ofp *a = c->a;
	struct ofp_role r;
	struct ofp_err err = { 0, 0 };
	unsigned int i;

	if (ofp_decode_role(msg, len, &r, &err) < 0) {
		send_error(c, xid, err, msg, len);
		return;
	}
	if (r.role == OFPCR_ROLE_MASTER || r.role == OFPCR_ROLE_SLAVE) {
		if (a->have_generation && (int64_t)(r.generation_id - a->generation) < 0) {
			SDNFV_LOG(ofp, NOTICE,
				  "%s: stale role request (generation %" PRIu64 " < %" PRIu64 ")",
				  ofp_chan_name(c->chan), r.generation_id, a->generation);
			error_out(c, xid, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE, msg, len);
			return;
		}
		a->have_generation = true;
		a->generation = r.generation_id;
	}
	if (r.role != OFPCR_ROLE_NOCHANGE) {
		/* One master: the others become slaves. */
		if (r.role == OFPCR_ROLE_MASTER)
			for (i = 0; i < a->n_conns; i++)
				if (a->conns[i] != c && a->conns[i]->role == OFPCR_ROLE_MASTER)
					a->conns[i]->role = OFPCR_ROLE_SLAVE;
		c->role = r.role;
		SDNFV_LOG(ofp, INFO, "%s: role %s", ofp_chan_name(c->chan),
			  r.role == OFPCR_ROLE_MASTER  ? "master"
			  : r.role == OFPCR_ROLE_SLAVE ? "slave"
						       : "equal");
	}
	r.role = c->role;
	r.generation_id = a->generation;
	ofp_buf_reset(&a->b);
	ofp_encode_role_reply(&a->b, xid, &r);
	send_buf(c, &a->b);
}

/* SDNFV_OFP_EXP_SET_ALTERNATIVES: what the NFs of a service may change, on every hop to it. */
static void
on_set_alternatives(struct conn *c, const struct ofp_experimenter *e, const uint8_t *msg,
		    size_t len, uint32_t xid)
{
	struct sdnfv_ofp *a = c->a;
	struct sdnfv_mgr *mgr = a->mgr;
	struct sdnfv_ofp_alternatives alt;
	struct mgr_chain_info *ci;
	uint16_t hp, svc, n, i, ids[64];
	int chain;

	if (e->data_len < sizeof(alt)) {
		SDNFV_LOG(ofp, NOTICE, "set_alternatives: %zu bytes, at least %zu needed",
			  e->data_len, sizeof(alt));
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
		return;
	}
	memcpy(&alt, e->data, sizeof(alt));
	n = rte_be_to_cpu_16(alt.n_redirect);
	if (e->data_len != sizeof(alt) + (size_t)n * 4 || n > RTE_DIM(ids)) {
		SDNFV_LOG(ofp, NOTICE,
			  "set_alternatives: %u redirect ports (at most %zu) do not fit %zu bytes",
			  n, RTE_DIM(ids), e->data_len);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
		return;
	}
	if (host_port(a, rte_be_to_cpu_32(alt.service_port), &hp) != 0 ||
	    !MGR_IS_SERVICE_PORT(hp)) {
		SDNFV_LOG(ofp, NOTICE, "set_alternatives: port %" PRIu32 " is not a service",
			  rte_be_to_cpu_32(alt.service_port));
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, msg, len);
		return;
	}
	svc = MGR_PORT_SERVICE(hp);
	for (i = 0; i < n; i++) {
		uint32_t p;
		uint16_t t;

		memcpy(&p, e->data + sizeof(alt) + (size_t)i * 4, 4);
		if (host_port(a, rte_be_to_cpu_32(p), &t) != 0 || !MGR_IS_SERVICE_PORT(t)) {
			SDNFV_LOG(ofp, NOTICE,
				  "set_alternatives: redirect port %" PRIu32 " is not a service",
				  rte_be_to_cpu_32(p));
			error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT, msg, len);
			return;
		}
		ids[i] = MGR_PORT_SERVICE(t);
	}
	pthread_mutex_lock(&mgr->lock);
	chain = sdnfv_mgr__chain_service(mgr, svc);
	if (chain < 0) {
		pthread_mutex_unlock(&mgr->lock);
		error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_EPERM, msg, len);
		return;
	}
	ci = &mgr->chain_info[chain];
	/* The list is written in place (chains derived from this one share it): the control
	 * thread reads it under the same lock. */
	if (ci->redirect[0] == NULL)
		ci->redirect[0] = calloc(RTE_DIM(ids), sizeof(uint16_t));
	if (ci->redirect[0] == NULL) {
		pthread_mutex_unlock(&mgr->lock);
		return;
	}
	memcpy(ci->redirect[0], ids, n * sizeof(ids[0]));
	ci->n_redirect[0] = n;
	ci->allow[0] =
		rte_be_to_cpu_16(alt.allow) &
		(SDNFV_OFP_ALLOW_SKIP | SDNFV_OFP_ALLOW_RESTORE | SDNFV_OFP_ALLOW_REDIRECT_ANY);
	pthread_mutex_unlock(&mgr->lock);
	SDNFV_LOG(ofp, INFO, "%s: service %s: alternatives 0x%x, %u redirect targets",
		  ofp_chan_name(c->chan), sdnfv_service_name(mgr->host->services, svc),
		  ci->allow[0], n);
}

static bool
is_slave(struct conn *c, const uint8_t *msg, size_t len, uint32_t xid)
{
	if (c->role != OFPCR_ROLE_SLAVE)
		return false;
	SDNFV_LOG(ofp, NOTICE, "%s: a slave may not change the switch", ofp_chan_name(c->chan));
	error_out(c, xid, OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, msg, len);
	return true;
}

static void
on_hello(struct conn *c, const uint8_t *msg, size_t len, uint32_t xid)
{
	struct ofp_err err = { 0, 0 };
	uint8_t common;

	if (ofp_decode_hello(msg, len, &common, &err) < 0) {
		SDNFV_LOG(ofp, NOTICE, "%s: no common OpenFlow version: closing",
			  ofp_chan_name(c->chan));
		send_error(c, xid, err, msg, len);
		ofp_chan_close(c->chan, "no common OpenFlow version");
		return;
	}
	c->hello = true;
	SDNFV_LOG(ofp, INFO, "%s: OpenFlow 1.3 session up", ofp_chan_name(c->chan));
}

static void
on_msg(void *arg, struct ofp_chan *chan, const uint8_t *msg, size_t len)
{
	struct sdnfv_ofp *a = arg;
	struct conn *c = ofp_chan_user(chan);
	uint64_t rx_tsc = rte_get_tsc_cycles();
	struct ofp_hdr h;
	struct ofp_buf *b = &a->b;

	if (c == NULL)
		return;
	a->msgs_rx++;
	ofp_hdr_read(msg, &h);
	if (!c->hello) {
		if (h.type != OFPT_HELLO) {
			SDNFV_LOG(ofp, NOTICE, "%s: %s before HELLO: closing", ofp_chan_name(chan),
				  ofp_type_name(h.type));
			error_out(c, h.xid, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, msg, len);
			ofp_chan_close(chan, "no HELLO");
			return;
		}
		on_hello(c, msg, len, h.xid);
		return;
	}
	if (h.version != OFP_VERSION_13) {
		SDNFV_LOG(ofp, NOTICE, "%s: a message of version 0x%02x in a 1.3 session",
			  ofp_chan_name(chan), h.version);
		error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, msg, len);
		return;
	}
	ofp_buf_reset(b);
	switch (h.type) {
	case OFPT_HELLO:
	case OFPT_ECHO_REPLY:
		return;
	case OFPT_ERROR:
		if (len >= 12)
			SDNFV_LOG(ofp, NOTICE, "%s: the controller sent an error, type %u code %u",
				  ofp_chan_name(chan), msg[8] << 8 | msg[9],
				  msg[10] << 8 | msg[11]);
		return;
	case OFPT_ECHO_REQUEST:
		ofp_encode_echo(b, OFPT_ECHO_REPLY, h.xid, msg + OFP_HEADER_LEN,
				len - OFP_HEADER_LEN);
		break;
	case OFPT_FEATURES_REQUEST:
		if (len != OFP_HEADER_LEN) {
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
			return;
		}
		ofp_encode_features_reply(b, h.xid, a->dpid, a->ctl->n_bufs, 1,
					  OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS);
		break;
	case OFPT_GET_CONFIG_REQUEST:
		if (len != OFP_HEADER_LEN) {
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
			return;
		}
		ofp_encode_get_config_reply(b, h.xid, &a->config);
		break;
	case OFPT_SET_CONFIG: {
		struct ofp_switch_config sc;
		struct ofp_err err = { 0, 0 };

		if (is_slave(c, msg, len, h.xid))
			return;
		if (ofp_decode_set_config(msg, len, &sc, &err) < 0) {
			send_error(c, h.xid, err, msg, len);
			return;
		}
		if (sc.flags != 0) {
			/* OFPC_FRAG_*: fragments are handled as they come (NORMAL) only. */
			SDNFV_LOG(ofp, NOTICE, "set_config: fragment handling 0x%x not supported",
				  sc.flags);
			error_out(c, h.xid, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS, msg,
				  len);
			return;
		}
		a->config = sc;
		__atomic_store_n(&a->ctl->miss_send_len, sc.miss_send_len, __ATOMIC_RELAXED);
		return;
	}
	case OFPT_PACKET_OUT:
		if (!is_slave(c, msg, len, h.xid))
			on_packet_out(c, msg, len, h.xid);
		return;
	case OFPT_FLOW_MOD:
		if (!is_slave(c, msg, len, h.xid))
			on_flow_mod(c, msg, len, h.xid, rx_tsc);
		return;
	case OFPT_TABLE_MOD:
		if (is_slave(c, msg, len, h.xid))
			return;
		if (len != 16) {
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
			return;
		}
		if (msg[8] != 0 && msg[8] != OFPTT_ALL)
			error_out(c, h.xid, OFPET_TABLE_MOD_FAILED, 0 /* OFPTMFC_BAD_TABLE */, msg,
				  len);
		return; /* 1.3's table config bits are deprecated: nothing to change */
	case OFPT_PORT_MOD:
		if (is_slave(c, msg, len, h.xid))
			return;
		SDNFV_LOG(ofp, NOTICE, "port_mod: port configuration is not changeable here");
		error_out(c, h.xid, OFPET_PORT_MOD_FAILED, OFPPMFC_EPERM, msg, len);
		return;
	case OFPT_MULTIPART_REQUEST:
		on_multipart(c, msg, len, h.xid);
		return;
	case OFPT_BARRIER_REQUEST:
		/* Every earlier message was handled when it arrived. */
		ofp_encode_barrier_reply(b, h.xid);
		break;
	case OFPT_QUEUE_GET_CONFIG_REQUEST: {
		uint32_t port;

		if (len != 16) {
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
			return;
		}
		port = (uint32_t)msg[8] << 24 | (uint32_t)msg[9] << 16 | (uint32_t)msg[10] << 8 |
		       msg[11];
		ofp_encode_queue_config_reply(b, h.xid, port);
		break;
	}
	case OFPT_ROLE_REQUEST:
		on_role(c, msg, len, h.xid);
		return;
	case OFPT_GET_ASYNC_REQUEST:
		if (len != OFP_HEADER_LEN) {
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, msg, len);
			return;
		}
		ofp_encode_get_async_reply(b, h.xid, &c->async);
		break;
	case OFPT_SET_ASYNC: {
		struct ofp_async as;
		struct ofp_err err = { 0, 0 };

		if (ofp_decode_set_async(msg, len, &as, &err) < 0) {
			send_error(c, h.xid, err, msg, len);
			return;
		}
		c->async = as;
		return;
	}
	case OFPT_EXPERIMENTER: {
		struct ofp_experimenter e;
		struct ofp_err err = { 0, 0 };

		if (ofp_decode_experimenter(msg, len, &e, &err) < 0) {
			send_error(c, h.xid, err, msg, len);
			return;
		}
		if (e.experimenter != SDNFV_OFP_EXPERIMENTER) {
			SDNFV_LOG(ofp, NOTICE, "experimenter 0x%08" PRIx32 " is not known here",
				  e.experimenter);
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER, msg, len);
			return;
		}
		if (e.exp_type != SDNFV_OFP_EXP_SET_ALTERNATIVES) {
			SDNFV_LOG(ofp, NOTICE, "SDNFV experimenter type %" PRIu32 " is not taken",
				  e.exp_type);
			error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_EXP_TYPE, msg, len);
			return;
		}
		if (!is_slave(c, msg, len, h.xid))
			on_set_alternatives(c, &e, msg, len, h.xid);
		return;
	}
	default:
		/* GROUP_MOD and METER_MOD included: this switch has no groups and no meters. */
		SDNFV_LOG(ofp, NOTICE, "%s: %s is not taken by this switch", ofp_chan_name(chan),
			  ofp_type_name(h.type));
		error_out(c, h.xid, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, msg, len);
		return;
	}
	send_buf(c, b);
}

static void
on_up(void *arg, struct ofp_chan *chan)
{
	struct sdnfv_ofp *a = arg;
	struct conn *c;

	if (a->n_conns == CONNS_MAX) {
		ofp_chan_close(chan, "too many controller connections");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ofp_chan_close(chan, "out of memory");
		return;
	}
	c->a = a;
	c->chan = chan;
	c->role = OFPCR_ROLE_EQUAL;
	/* OpenFlow 1.3's defaults: a slave gets port status only. */
	c->async.packet_in[0] = 1u << OFPR_NO_MATCH | 1u << OFPR_ACTION;
	c->async.port_status[0] = c->async.port_status[1] =
		1u << OFPPR_ADD | 1u << OFPPR_DELETE | 1u << OFPPR_MODIFY;
	c->async.flow_removed[0] = 1u << OFPRR_IDLE_TIMEOUT | 1u << OFPRR_HARD_TIMEOUT |
				   1u << OFPRR_DELETE | 1u << OFPRR_GROUP_DELETE;
	ofp_chan_set_user(chan, c);
	a->conns[a->n_conns++] = c;
	ofp_buf_reset(&a->b);
	ofp_encode_hello(&a->b, 0);
	send_buf(c, &a->b);
}

static void
on_down(void *arg, struct ofp_chan *chan, const char *why)
{
	struct sdnfv_ofp *a = arg;
	struct conn *c = ofp_chan_user(chan);
	unsigned int i;

	if (c == NULL)
		return;
	SDNFV_LOG(ofp, INFO, "%s: down (%s)", ofp_chan_name(chan), why ? why : "closed");
	for (i = 0; i < a->n_conns; i++)
		if (a->conns[i] == c) {
			a->conns[i] = a->conns[--a->n_conns];
			break;
		}
	ofp_chan_set_user(chan, NULL);
	free(c);
}

/* ---------------------------------------------------------------------------------------- */
/* The agent's thread                                                                          */

/* PACKET_INs the dispatcher prepared. Those of one reason go out in one send() per connection:
 * a busy table-miss stream costs the agent one system call per batch, not per packet. */
static unsigned int
packet_ins(struct sdnfv_ofp *a)
{
	struct mgr_pin *pins[64];
	unsigned int n, i, j;

	n = rte_ring_sc_dequeue_burst(a->ctl->pin_ready, (void **)pins, RTE_DIM(pins), NULL);
	for (i = 0; i < n; i = j) {
		unsigned int k, sent;

		ofp_buf_reset(&a->b);
		for (j = i; j < n && pins[j]->reason == pins[i]->reason; j++) {
			struct mgr_pin *p = pins[j];

			if (p->buffer_id != UINT32_MAX) {
				uint32_t slot = p->buffer_id & 0xffff;

				a->sent_id[slot] = p->buffer_id;
				a->id_used[slot] = false;
				a->sent_tsc[slot] = rte_get_tsc_cycles();
			}
			ofp_encode_packet_in(
				&a->b, 0, p->buffer_id == UINT32_MAX ? OFP_NO_BUFFER : p->buffer_id,
				p->total_len, p->reason, p->cookie, of_port(p->in_port), p->data,
				p->data_len);
		}
		sent = broadcast(a, 0, pins[i]->reason, &a->b);
		if (sent > 0) {
			a->packet_in += j - i;
			a->msgs_tx += (uint64_t)(j - i - 1) * sent; /* broadcast counted one each */
		} else {
			a->pin_unsent += j - i;
		}
		for (k = i; k < j; k++)
			rte_ring_sp_enqueue(a->ctl->pin_free, pins[k]);
	}
	ofp_buf_reset(&a->b);
	return n;
}

/* The flow table's removal reports, queued by whichever thread wrote. */
static void
on_removed(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats,
	   enum sdnfv_flow_removed_reason why)
{
	struct sdnfv_ofp *a = arg;

	pthread_mutex_lock(&a->rm_lock);
	if (a->n_rm == a->cap_rm) {
		unsigned int cap = a->cap_rm ? a->cap_rm * 2 : 64;
		struct removed *n = cap <= 65536 ? realloc(a->rm, cap * sizeof(*n)) : NULL;

		if (n == NULL) {
			a->rm_lost++;
			pthread_mutex_unlock(&a->rm_lock);
			return;
		}
		a->rm = n;
		a->cap_rm = cap;
	}
	a->rm[a->n_rm].rule = *rule;
	a->rm[a->n_rm].stats = *stats;
	a->rm[a->n_rm].reason = why == SDNFV_FLOW_REMOVED_IDLE   ? OFPRR_IDLE_TIMEOUT
				: why == SDNFV_FLOW_REMOVED_HARD ? OFPRR_HARD_TIMEOUT
								 : OFPRR_DELETE;
	a->n_rm++;
	pthread_mutex_unlock(&a->rm_lock);
}

static void
flow_removed(struct sdnfv_ofp *a)
{
	struct removed *rm;
	unsigned int n, i;

	pthread_mutex_lock(&a->rm_lock);
	rm = a->rm;
	n = a->n_rm;
	a->rm = NULL;
	a->n_rm = a->cap_rm = 0;
	pthread_mutex_unlock(&a->rm_lock);
	for (i = 0; i < n; i++) {
		ofp_buf_reset(&a->b);
		ofp_encode_flow_removed(&a->b, 0, &rm[i].rule, of_port(rm[i].rule.match.in_port),
					rm[i].reason, &rm[i].stats);
		broadcast(a, 2, rm[i].reason, &a->b);
	}
	ofp_buf_reset(&a->b);
	free(rm);
}

static void
port_status(struct sdnfv_ofp *a, uint8_t reason, const struct ofp_port_desc *d)
{
	ofp_buf_reset(&a->b);
	ofp_encode_port_status(&a->b, 0, reason, d);
	broadcast(a, 1, reason, &a->b);
	ofp_buf_reset(&a->b);
}

/* Services that appeared, went live or down; links that changed. */
static void
ports_watch(struct sdnfv_ofp *a)
{
	struct sdnfv_mgr *mgr = a->mgr;
	unsigned int n = sdnfv_service_count(mgr->host->services), i;
	struct ofp_port_desc d;

	for (i = 0; i < n && i < mgr->host->max_services; i++) {
		uint8_t st = service_live(a, (uint16_t)i) ? 2 : 1;

		if (a->svc_state[i] == st)
			continue;
		port_desc_service(a, (uint16_t)i, st == 2, &d);
		port_status(a, a->svc_state[i] == 0 ? OFPPR_ADD : OFPPR_MODIFY, &d);
		a->svc_state[i] = st;
	}
	for (i = 0; i < mgr->n_ports; i++) {
		uint16_t p = mgr->port_list[i];
		struct rte_eth_link link;

		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(p, &link);
		if (link.link_status == a->link_up[p])
			continue;
		a->link_up[p] = link.link_status;
		port_desc_phys(a, p, &d);
		port_status(a, OFPPR_MODIFY, &d);
	}
}

/* Smart-data-plane changes the manager applied or refused since the last look. */
static void
paths_watch(struct sdnfv_ofp *a)
{
	struct sdnfv_mgr *mgr = a->mgr;
	uint64_t n;

	pthread_mutex_lock(&mgr->lock);
	n = mgr->n_path_log;
	if (n - a->path_seen > MGR_PATH_LOG)
		a->path_seen = n - MGR_PATH_LOG;
	while (a->path_seen < n) {
		const struct mgr_path_event *e = &mgr->path_log[a->path_seen++ % MGR_PATH_LOG];
		struct sdnfv_ofp_path_change pc;
		struct sdnfv_flow_match m;
		struct ofp_buf body;

		memset(&pc, 0, sizeof(pc));
		pc.nf_id = rte_cpu_to_be_32(e->nf);
		pc.service_port = rte_cpu_to_be_32(SDNFV_OFP_SERVICE_PORT_BASE + e->nf_service);
		pc.target_port = rte_cpu_to_be_32(e->op == SDNFV_PATH_REDIRECT
							  ? SDNFV_OFP_SERVICE_PORT_BASE + e->service
							  : 0);
		pc.op = (uint8_t)e->op;
		pc.applied = e->result == 0;
		pc.cookie = rte_cpu_to_be_64(e->result == 0 && e->op != SDNFV_PATH_RESTORE
						     ? MGR_PATH_COOKIE | e->nf
						     : 0);
		sdnfv_mgr__match_from_key(&m, &e->key);
		ofp_buf_init(&body);
		ofp_buf_put(&body, &pc, sizeof(pc));
		ofp_match_encode(&body, &m, of_port(e->key.in_port));
		ofp_buf_reset(&a->b);
		if (body.err == 0)
			ofp_encode_experimenter(&a->b, 0, SDNFV_OFP_EXPERIMENTER,
						SDNFV_OFP_EXP_PATH_CHANGE, body.data, body.len);
		ofp_buf_free(&body);
		/* Reported as a PACKET_IN of reason ACTION would be: to masters and equals. */
		if (broadcast(a, 0, OFPR_ACTION, &a->b) > 0)
			a->path_reports++;
		ofp_buf_reset(&a->b);
	}
	pthread_mutex_unlock(&mgr->lock);
}

/* Controllers connected or gone: table misses go to them, or the fail mode applies. */
static void
mode_update(struct sdnfv_ofp *a, uint64_t now)
{
	unsigned int i, up = 0;
	uint32_t mode;

	for (i = 0; i < a->n_conns; i++)
		if (a->conns[i]->hello)
			up++;
	__atomic_store_n(&a->n_up, up, __ATOMIC_RELAXED);
	if (up > 0) {
		mode = MGR_CTL_CONTROLLER;
		a->last_up_ns = now;
		a->ever_up = true;
	} else if (a->ever_up && now - a->last_up_ns < a->p.probe_interval_ms * 1000000ull) {
		mode = MGR_CTL_DROP; /* a short loss: the controller may be back at once */
	} else {
		mode = a->p.fail_mode == SDNFV_OFP_FAIL_STANDALONE ? MGR_CTL_POLICY : MGR_CTL_DROP;
	}
	if (mode == a->mode)
		return;
	if (a->p.fail_mode == SDNFV_OFP_FAIL_STANDALONE) {
		pthread_mutex_lock(&a->mgr->lock);
		sdnfv_mgr__policy_rules(a->mgr, mode == MGR_CTL_POLICY);
		pthread_mutex_unlock(&a->mgr->lock);
	}
	SDNFV_LOG(ofp, INFO, "table misses: %s",
		  mode == MGR_CTL_CONTROLLER ? "to the controller"
		  : mode == MGR_CTL_POLICY   ? "the policy (standalone, no controller)"
					     : "dropped (no controller)");
	a->mode = mode;
	__atomic_store_n(&a->ctl->mode, mode, __ATOMIC_RELEASE);
}

static void *
agent_main(void *arg)
{
	struct sdnfv_ofp *a = arg;
	int64_t timeout_us = 1000;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		uint64_t now;
		unsigned int work;

		ofp_chans_poll_us(a->chans, timeout_us);
		work = packet_ins(a);
		flow_removed(a);
		now = sdnfv_clock_ns();
		mode_update(a, now);
		if (now - a->last_period >= PERIOD_NS) {
			a->last_period = now;
			ports_watch(a);
			paths_watch(a);
		}
		/* While table misses come, short naps (the dispatcher never waits for the agent:
		 * its records queue, up to 4095, and PACKET_INs leave in batches); a millisecond in
		 * poll() otherwise. A controller's message wakes the agent at once either way.
		 * Spinning instead would take the CPU the controller itself may need. */
		timeout_us = work > 0 ? 50 : 1000;
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Telemetry: /sdnfv/ofp                                                                       */

/* Commands cannot be unregistered: /sdnfv/ofp answers for whichever agent is current. */
static struct sdnfv_ofp *tel_agent;
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static bool tel_registered;

static int
tel_ofp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_ofp_stats st;
	char dpid[24];

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&tel_lock);
	if (tel_agent == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return -ENODEV;
	}
	sdnfv_ofp_stats(tel_agent, &st);
	snprintf(dpid, sizeof(dpid), "0x%016" PRIx64, tel_agent->dpid);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "datapath_id", dpid);
	rte_tel_data_add_dict_string(
		d, "fail_mode",
		tel_agent->p.fail_mode == SDNFV_OFP_FAIL_STANDALONE ? "standalone" : "secure");
	rte_tel_data_add_dict_string(d, "table_miss",
				     tel_agent->mode == MGR_CTL_CONTROLLER ? "controller"
				     : tel_agent->mode == MGR_CTL_POLICY   ? "policy"
									   : "drop");
	pthread_mutex_unlock(&tel_lock);
	rte_tel_data_add_dict_u64(d, "connections", st.connections);
	rte_tel_data_add_dict_u64(d, "msgs_rx", st.msgs_rx);
	rte_tel_data_add_dict_u64(d, "msgs_tx", st.msgs_tx);
	rte_tel_data_add_dict_u64(d, "errors_tx", st.errors_tx);
	rte_tel_data_add_dict_u64(d, "flow_mods", st.flow_mods);
	rte_tel_data_add_dict_u64(d, "packet_in", st.packet_in);
	rte_tel_data_add_dict_u64(d, "packet_in_limited", st.packet_in_limited);
	rte_tel_data_add_dict_u64(d, "packet_in_queue_full", st.packet_in_queue_full);
	rte_tel_data_add_dict_u64(d, "packet_out", st.packet_out);
	rte_tel_data_add_dict_u64(d, "buffered", st.buffered);
	rte_tel_data_add_dict_u64(d, "buffer_released", st.buffer_released);
	rte_tel_data_add_dict_u64(d, "buffer_dropped", st.buffer_dropped);
	rte_tel_data_add_dict_u64(d, "no_controller", st.no_controller);
	rte_tel_data_add_dict_u64(d, "path_reports", st.path_reports);
	rte_tel_data_add_dict_u64(d, "reconnects", st.reconnects);
	rte_tel_data_add_dict_u64(d, "release_p50_ns", st.release_p50_ns);
	rte_tel_data_add_dict_u64(d, "release_p99_ns", st.release_p99_ns);
	return 0;
}

static void
tel_set(struct sdnfv_ofp *a)
{
	pthread_mutex_lock(&tel_lock);
	tel_agent = a;
	if (a != NULL && !tel_registered &&
	    rte_telemetry_register_cmd("/sdnfv/ofp", tel_ofp,
				       "The OpenFlow agent: connections, table misses, buffers, "
				       "messages. No parameters") == 0)
		tel_registered = true;
	pthread_mutex_unlock(&tel_lock);
}

/* ---------------------------------------------------------------------------------------- */
/* Create, free, stats                                                                         */

static void
agent_free(struct sdnfv_ofp *a)
{
	unsigned int i;

	if (a == NULL)
		return;
	ofp_chans_free(a->chans);
	a->n_conns = 0;
	for (i = 0; i < SDNFV_OFP_TARGETS_MAX; i++)
		free(a->targets[i]);
	ofp_buf_free(&a->b);
	free(a->sent_id);
	free(a->id_used);
	free(a->sent_tsc);
	free(a->svc_state);
	free(a->rm);
	pthread_mutex_destroy(&a->rm_lock);
	free(a);
}

int
sdnfv_ofp_create(struct sdnfv_mgr *mgr, const struct sdnfv_ofp_params *params,
		 struct sdnfv_ofp **out, char *err, size_t errlen)
{
	struct ofp_chan_params cp = { 0 };
	struct sdnfv_ofp *a;
	char msg[256] = "";
	unsigned int i;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (mgr == NULL || out == NULL)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	pthread_mutex_init(&a->rm_lock, NULL);
	ofp_buf_init(&a->b);
	a->mgr = mgr;
	if (sdnfv_params_read(params, &a->p, sizeof(a->p),
			      offsetof(struct sdnfv_ofp_params, targets) +
				      sizeof(params->targets)) != 0) {
		snprintf(msg, sizeof(msg), "parameters missing or sz too small");
		ret = -EINVAL;
		goto fail;
	}
	if (a->p.targets[0] == NULL) {
		snprintf(msg, sizeof(msg), "no controller target");
		ret = -EINVAL;
		goto fail;
	}
	if (mgr->ctl != NULL) {
		snprintf(msg, sizeof(msg), "the manager has an OpenFlow agent already");
		ret = -EEXIST;
		goto fail;
	}
	if (a->p.probe_interval_ms == 0)
		a->p.probe_interval_ms = 5000;
	if (a->p.max_backoff_ms == 0)
		a->p.max_backoff_ms = 8000;
	if (a->p.packet_in_rate == 0)
		a->p.packet_in_rate = 100000;
	if (a->p.packet_in_burst == 0)
		a->p.packet_in_burst = 1000;
	if (a->p.buffer_flows == 0)
		a->p.buffer_flows = 4096;
	if (a->p.buffer_packets == 0)
		a->p.buffer_packets = 16;
	if (a->p.buffer_timeout_ms == 0)
		a->p.buffer_timeout_ms = 1000;
	if (a->p.fail_mode != SDNFV_OFP_FAIL_SECURE &&
	    a->p.fail_mode != SDNFV_OFP_FAIL_STANDALONE) {
		snprintf(msg, sizeof(msg), "unknown fail mode %d", (int)a->p.fail_mode);
		ret = -EINVAL;
		goto fail;
	}
	ret = sdnfv_mgr__ctl_attach(mgr, a->p.buffer_flows, a->p.buffer_packets,
				    a->p.buffer_timeout_ms, a->p.packet_in_rate,
				    a->p.packet_in_burst);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "cannot attach to the manager: %s", strerror(-ret));
		goto fail;
	}
	a->ctl = mgr->ctl;
	a->sent_id = malloc(a->p.buffer_flows * sizeof(*a->sent_id));
	a->id_used = calloc(a->p.buffer_flows, sizeof(*a->id_used));
	a->sent_tsc = calloc(a->p.buffer_flows, sizeof(*a->sent_tsc));
	a->svc_state = calloc(mgr->host->max_services, 1);
	if (a->sent_id == NULL || a->id_used == NULL || a->sent_tsc == NULL ||
	    a->svc_state == NULL) {
		ret = -ENOMEM;
		goto fail_detach;
	}
	memset(a->sent_id, 0xff, a->p.buffer_flows * sizeof(*a->sent_id));
	a->config.miss_send_len = 128;
	a->created_ns = a->last_period = sdnfv_clock_ns();
	a->dpid = a->p.datapath_id;
	if (a->dpid == 0) {
		struct rte_ether_addr mac;

		if (mgr->n_ports > 0 && rte_eth_macaddr_get(mgr->port_list[0], &mac) == 0)
			for (i = 0; i < 6; i++)
				a->dpid = a->dpid << 8 | mac.addr_bytes[i];
		if (a->dpid == 0)
			a->dpid = (uint64_t)getpid();
	}
	for (i = 0; i < mgr->n_ports; i++) {
		struct rte_eth_link link;

		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(mgr->port_list[i], &link);
		a->link_up[mgr->port_list[i]] = link.link_status;
	}
	/* Services known now are what the controller sees in PORT_DESC: no ADD for them. */
	for (i = 0; i < sdnfv_service_count(mgr->host->services); i++)
		a->svc_state[i] = service_live(a, (uint16_t)i) ? 2 : 1;
	pthread_mutex_lock(&mgr->lock);
	a->path_seen = mgr->n_path_log;
	mgr->ctl->removed = on_removed;
	mgr->ctl->removed_arg = a;
	/* Secure mode starts with the controller's table: the policy gives services only. */
	if (a->p.fail_mode == SDNFV_OFP_FAIL_SECURE)
		sdnfv_mgr__policy_rules(mgr, false);
	pthread_mutex_unlock(&mgr->lock);
	a->mode = a->p.fail_mode == SDNFV_OFP_FAIL_STANDALONE ? MGR_CTL_POLICY : MGR_CTL_DROP;
	__atomic_store_n(&a->ctl->mode, a->mode, __ATOMIC_RELEASE);

	cp.ssl_private_key = a->p.ssl_private_key;
	cp.ssl_certificate = a->p.ssl_certificate;
	cp.ssl_ca_certificate = a->p.ssl_ca_certificate;
	cp.probe_ms = a->p.probe_interval_ms;
	cp.backoff_max_ms = a->p.max_backoff_ms;
	/* The cap is the longest wait: a cap below the channel's first delay (1 s) is the first
	 * delay too (the channel would raise the cap to it). */
	if (a->p.max_backoff_ms < 1000)
		cp.backoff_min_ms = a->p.max_backoff_ms;
	cp.on_up = on_up;
	cp.on_msg = on_msg;
	cp.on_down = on_down;
	cp.arg = a;
	ret = ofp_chans_create(&cp, &a->chans, msg, sizeof(msg));
	if (ret < 0)
		goto fail_detach;
	for (i = 0; i < SDNFV_OFP_TARGETS_MAX && a->p.targets[i] != NULL; i++) {
		a->targets[i] = strdup(a->p.targets[i]);
		if (a->targets[i] == NULL) {
			ret = -ENOMEM;
			goto fail_detach;
		}
		a->p.targets[i] = a->targets[i];
		ret = ofp_chans_add_target(a->chans, a->targets[i], msg, sizeof(msg));
		if (ret < 0)
			goto fail_detach;
	}
	ret = rte_ctrl_thread_create(&a->thread, "sdnfv-ofp", NULL, agent_main, a);
	if (ret != 0) {
		snprintf(msg, sizeof(msg), "cannot start the agent's thread: %s", strerror(ret));
		ret = -ret;
		goto fail_detach;
	}
	a->thread_started = true;
	tel_set(a);
	SDNFV_LOG(ofp, INFO, "agent: datapath 0x%016" PRIx64 ", %u targets, fail mode %s", a->dpid,
		  i, a->p.fail_mode == SDNFV_OFP_FAIL_STANDALONE ? "standalone" : "secure");
	*out = a;
	return 0;
fail_detach:
	if (msg[0] == '\0')
		snprintf(msg, sizeof(msg), "%s", strerror(-ret));
	sdnfv_mgr__ctl_detach(mgr);
fail:
	SDNFV_LOG(ofp, ERR, "agent: %s", msg);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	agent_free(a);
	return ret;
}

void
sdnfv_ofp_free(struct sdnfv_ofp *a)
{
	if (a == NULL)
		return;
	tel_set(NULL);
	if (a->thread_started) {
		__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
		pthread_join(a->thread, NULL);
	}
	/* Records the dispatcher prepared and nobody sent go back. */
	if (a->ctl != NULL) {
		void *p;

		while (rte_ring_sc_dequeue(a->ctl->pin_ready, &p) == 0)
			rte_ring_sp_enqueue(a->ctl->pin_free, p);
	}
	sdnfv_mgr__ctl_detach(a->mgr);
	agent_free(a);
}

/* Percentile of the dispatcher's release latencies, in ns. */
static uint64_t
latency_pct(const struct mgr_ctl *c, double pct, uint64_t hz)
{
	uint64_t n = RTE_MIN(c->n_lat, (uint64_t)MGR_LAT), *v, r;
	uint64_t i, j;

	if (n == 0 || hz == 0)
		return 0;
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return 0;
	memcpy(v, c->lat, n * sizeof(*v));
	/* Insertion sort: at most 4096 samples, read rarely. */
	for (i = 1; i < n; i++) {
		uint64_t x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	r = v[(uint64_t)((double)(n - 1) * pct)] * 1000000000ull / hz;
	free(v);
	return r;
}

void
sdnfv_ofp_stats(const struct sdnfv_ofp *a, struct sdnfv_ofp_stats *out)
{
	const struct mgr_ctl *c = a->ctl;

	memset(out, 0, sizeof(*out));
	out->connections = __atomic_load_n(&a->n_up, __ATOMIC_RELAXED);
	out->msgs_rx = a->msgs_rx;
	out->msgs_tx = a->msgs_tx;
	out->errors_tx = a->errors_tx;
	out->flow_mods = a->flow_mods;
	out->packet_in = a->packet_in;
	out->packet_out = a->packet_out;
	out->path_reports = a->path_reports;
	out->reconnects = a->chans ? ofp_chans_reconnects(a->chans) : 0;
	if (c != NULL) {
		out->packet_in_limited = c->limited;
		out->packet_in_queue_full = c->queue_full + a->pin_unsent;
		out->buffered = c->buffered;
		out->buffer_released = c->released;
		out->buffer_dropped = c->buffer_drops;
		out->no_controller = c->no_controller;
		out->release_p50_ns = latency_pct(c, 0.50, rte_get_tsc_hz());
		out->release_p99_ns = latency_pct(c, 0.99, rte_get_tsc_hz());
	}
}
