/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Chains: the policy file turned into services, chains and flow-table rules; and the smart data
 * plane, which derives a new chain for one flow and pins the flow to it with an exact rule.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>

#include "common/clock.h"
#include "common/log.h"
#include "mgr/mgr_internal.h"
#include "mgr/policy.h"

/* Exact rules that pin one flow to a derived chain: above every policy rule. */
#define PATH_PRIORITY MGR_PATH_PRIORITY
#define PATH_COOKIE   MGR_PATH_COOKIE

void
sdnfv_mgr__chains_free(struct sdnfv_mgr *mgr)
{
	uint32_t c, i;

	if (mgr->host == NULL || mgr->chain_info == NULL)
		return;
	for (c = 0; c < mgr->host->n_chains; c++) {
		struct mgr_chain_info *ci = &mgr->chain_info[c];

		if (ci->base != c)
			continue; /* derived chains share their base's lists */
		for (i = 0; i < SDNFV_HOST_HOPS_MAX; i++)
			free(ci->redirect[i]);
	}
}

/* Publish a chain (append only: readers see chains below n_chains). Under the lock. */
static int
chain_append(struct sdnfv_mgr *mgr, const struct sdnfv_host_chain *c,
	     const struct mgr_chain_info *ci)
{
	uint32_t n = mgr->host->n_chains;

	if (n >= mgr->host->max_chains) {
		SDNFV_LOG(mgr, ERR, "no room for another chain (max_chains %u)",
			  mgr->host->max_chains);
		return -ENOSPC;
	}
	mgr->host->chains[n] = *c;
	mgr->chain_info[n] = *ci;
	__atomic_store_n(&mgr->host->n_chains, n + 1, __ATOMIC_RELEASE);
	return (int)n;
}

/* A refused policy: the reason into the caller's buffer (when there is one) and the log, once. */
static void __rte_format_printf(3, 4) refuse(char *err, size_t errlen, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", buf);
	SDNFV_LOG(mgr, ERR, "%s", buf);
}

int
sdnfv_mgr__policy_apply(struct sdnfv_mgr *mgr, const char *path, char *err, size_t errlen)
{
	struct sdnfv_policy *pol = NULL;
	uint16_t *svc_id = NULL;
	uint32_t first_chain = mgr->host->n_chains;
	unsigned int i, j, added = 0;
	int ret;

	ret = sdnfv_policy_parse_file(path, &pol, err, errlen);
	if (ret < 0)
		return ret;
	if (mgr->host->n_chains > 0) {
		refuse(err, errlen, "%s: a policy is loaded already", path);
		ret = -EEXIST;
		goto out;
	}
	if (pol->n_services > mgr->host->max_services || pol->n_chains > mgr->host->max_chains ||
	    pol->n_rules > mgr->p.max_rules) {
		refuse(err, errlen,
		       "%s: %u services, %u chains and %u rules exceed the manager's capacity",
		       path, pol->n_services, pol->n_chains, pol->n_rules);
		ret = -ENOSPC;
		goto out;
	}
	svc_id = calloc(pol->n_services + 1, sizeof(*svc_id));
	if (svc_id == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pol->n_services; i++) {
		ret = sdnfv_service_add(mgr->host->services, pol->services[i].name);
		if (ret < 0)
			goto out;
		svc_id[i] = (uint16_t)ret;
		mgr->host->fallback[ret] =
			pol->services[i].fallback == SDNFV_POLICY_FALLBACK_BYPASS ? 1 : 0;
	}
	for (i = 0; i < pol->n_chains; i++) {
		const struct sdnfv_policy_chain *pc = &pol->chains[i];
		struct sdnfv_host_chain c;
		struct mgr_chain_info ci;

		memset(&c, 0, sizeof(c));
		memset(&ci, 0, sizeof(ci));
		c.n_hops = (uint8_t)pc->n_hops;
		c.out_kind = pc->out == SDNFV_POLICY_OUT_PORT      ? SDNFV_CHAIN_OUT_PORT
			     : pc->out == SDNFV_POLICY_OUT_IN_PORT ? SDNFV_CHAIN_OUT_IN_PORT
								   : SDNFV_CHAIN_OUT_DROP;
		c.out_port = pc->port;
		ci.base = first_chain + i;
		snprintf(ci.name, sizeof(ci.name), "%s", pc->name);
		for (j = 0; j < pc->n_hops; j++) {
			const struct sdnfv_policy_hop *ph = &pc->hops[j];
			unsigned int k;

			c.hop[j] = svc_id[ph->service];
			ci.allow[j] = ph->allow;
			ci.n_redirect[j] = ph->n_redirect;
			if (ph->n_redirect > 0) {
				ci.redirect[j] = calloc(ph->n_redirect, sizeof(uint16_t));
				if (ci.redirect[j] == NULL) {
					ret = -ENOMEM;
					goto out;
				}
				for (k = 0; k < ph->n_redirect; k++)
					ci.redirect[j][k] = svc_id[ph->redirect[k]];
			}
		}
		ret = chain_append(mgr, &c, &ci);
		if (ret < 0)
			goto out;
	}
	mgr->miss_chain = pol->miss_chain < 0 ? -1 : (int)(first_chain + (uint32_t)pol->miss_chain);
	for (i = 0; i < pol->n_rules; i++) {
		struct sdnfv_flow_rule r = pol->rules[i].rule;

		r.sz = sizeof(r);
		r.action.type = SDNFV_FLOW_ACT_USER;
		r.action.user = first_chain + pol->rules[i].chain;
		ret = sdnfv_flow_add(mgr->flows, &r);
		if (ret < 0) {
			refuse(err, errlen, "%s:%u: the flow table refused the rule: %s", path,
			       pol->rules[i].line, strerror(-ret));
			/* Nothing of a refused file stays: its rules and chains go again (the
			 * dispatcher does not run yet; service names stay, unused). */
			while (i-- > 0) {
				struct sdnfv_flow_select sel = { .sz = sizeof(sel),
								 .strict = true };

				sel.match = pol->rules[i].rule.match;
				sel.priority = pol->rules[i].rule.priority;
				sdnfv_flow_delete(mgr->flows, &sel);
			}
			sdnfv_mgr__chains_free(mgr);
			memset(mgr->chain_info, 0, mgr->host->n_chains * sizeof(*mgr->chain_info));
			__atomic_store_n(&mgr->host->n_chains, first_chain, __ATOMIC_RELEASE);
			mgr->miss_chain = -1;
			goto out;
		}
		added++;
	}
	/* Kept for the standalone fail mode of an OpenFlow agent, which takes them out of the table
	 * while a controller is connected and puts them back when it is gone. */
	mgr->pol_rules = calloc(RTE_MAX(pol->n_rules, 1u), sizeof(*mgr->pol_rules));
	if (mgr->pol_rules != NULL) {
		for (i = 0; i < pol->n_rules; i++) {
			mgr->pol_rules[i] = pol->rules[i].rule;
			mgr->pol_rules[i].sz = sizeof(mgr->pol_rules[i]);
			mgr->pol_rules[i].action.type = SDNFV_FLOW_ACT_USER;
			mgr->pol_rules[i].action.user = first_chain + pol->rules[i].chain;
		}
		mgr->n_pol_rules = pol->n_rules;
	}
	mgr->pol_rules_on = true;
	sdnfv_flow_maintain(mgr->flows, 0);
	SDNFV_LOG(mgr, INFO, "policy %s: %u services, %u chains, %u rules", path, pol->n_services,
		  pol->n_chains, added);
	ret = (int)added;
out:
	free(svc_id);
	sdnfv_policy_free(pol);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* The smart data plane                                                                       */

void
sdnfv_mgr__match_from_key(struct sdnfv_flow_match *m, const struct sdnfv_flow_key *k)
{
	memset(m, 0, sizeof(*m));
	m->fields = SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE;
	m->in_port = k->in_port;
	m->eth_type = k->eth_type;
	if (k->vlan != 0) {
		m->fields |= SDNFV_FLOW_M_VLAN;
		m->vlan = k->vlan;
		m->vlan_mask = 0x1fff;
	}
	if (k->eth_type != 0x0800 && k->eth_type != 0x86dd)
		return;
	m->fields |= SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DST;
	m->ip_proto = k->ip_proto;
	m->src = k->src;
	m->dst = k->dst;
	m->src_plen = m->dst_plen = k->eth_type == 0x0800 ? 32 : 128;
	if (k->ip_proto == 6 || k->ip_proto == 17 || k->ip_proto == 132) {
		m->fields |= SDNFV_FLOW_M_SPORT | SDNFV_FLOW_M_DPORT;
		m->sport = rte_be_to_cpu_16(k->sport);
		m->dport = rte_be_to_cpu_16(k->dport);
		m->sport_mask = m->dport_mask = 0xffff;
	}
}

/* An existing chain equal to c (same hops and exit, same base), or a new one. */
static int
chain_derive(struct sdnfv_mgr *mgr, const struct sdnfv_host_chain *c,
	     const struct mgr_chain_info *ci)
{
	uint32_t i;

	for (i = 0; i < mgr->host->n_chains; i++)
		if (mgr->chain_info[i].base == ci->base &&
		    memcmp(&mgr->host->chains[i], c, sizeof(*c)) == 0)
			return (int)i;
	return chain_append(mgr, c, ci);
}

static void
log_path(struct sdnfv_mgr *mgr, const struct sdnfv_host_nf *s,
	 const struct sdnfv_host_path_req *req, int to, int result)
{
	struct mgr_path_event *e = &mgr->path_log[mgr->n_path_log++ % MGR_PATH_LOG];

	e->time_ns = sdnfv_clock_ns();
	e->nf = s->id;
	e->nf_service = s->service;
	e->op = (uint16_t)req->op;
	e->service = req->service;
	e->from_chain = req->chain;
	e->to_chain = (uint16_t)(to < 0 ? req->chain : to);
	e->result = (int16_t)result;
	memcpy(&e->key, &req->key, sizeof(e->key));
}

/* Apply or refuse one path change. Under the lock (control thread). */
static int
path_change(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s, const struct sdnfv_host_path_req *req,
	    int *to_chain)
{
	const struct sdnfv_host_chain *cur;
	const struct mgr_chain_info *cur_i;
	struct sdnfv_host_chain c;
	struct mgr_chain_info ci;
	struct sdnfv_flow_rule rule;
	struct sdnfv_flow_key key;
	unsigned int pos = req->chain_pos, j, k;
	uint16_t allow;
	int ret;

	*to_chain = -1;
	if (req->chain >= mgr->host->n_chains)
		return -EINVAL;
	cur = &mgr->host->chains[req->chain];
	cur_i = &mgr->chain_info[req->chain];
	if (pos >= cur->n_hops || cur->hop[pos] != s->service) {
		SDNFV_LOG(mgr, NOTICE, "NF %s: path change refused: not at hop %u of chain %s",
			  s->name, pos, cur_i->name);
		return -EPERM;
	}
	allow = cur_i->allow[pos];
	memcpy(&key, &req->key, sizeof(key));
	memset(&rule, 0, sizeof(rule));
	rule.sz = sizeof(rule);
	sdnfv_mgr__match_from_key(&rule.match, &key);
	rule.priority = PATH_PRIORITY;
	rule.cookie = PATH_COOKIE | s->id;

	if (req->op == SDNFV_PATH_RESTORE) {
		struct sdnfv_flow_select sel = { .sz = sizeof(sel) };

		if (!(allow & SDNFV_POLICY_ALLOW_RESTORE))
			return -EPERM;
		sel.match = rule.match;
		sel.priority = PATH_PRIORITY;
		sel.strict = true;
		ret = sdnfv_flow_delete(mgr->flows, &sel);
		if (ret < 0)
			return ret;
		*to_chain = (int)cur_i->base;
		return 0;
	}

	memset(&c, 0, sizeof(c));
	ci = *cur_i;
	c.out_kind = cur->out_kind;
	c.out_port = cur->out_port;
	if (req->op == SDNFV_PATH_SKIP) {
		if (!(allow & SDNFV_POLICY_ALLOW_SKIP))
			return -EPERM;
		for (j = 0, k = 0; j < cur->n_hops; j++) {
			if (j == pos)
				continue;
			c.hop[k] = cur->hop[j];
			ci.allow[k] = cur_i->allow[j];
			ci.n_redirect[k] = cur_i->n_redirect[j];
			ci.redirect[k] = cur_i->redirect[j];
			k++;
		}
		c.n_hops = (uint8_t)k;
	} else if (req->op == SDNFV_PATH_REDIRECT) {
		bool ok = (allow & SDNFV_POLICY_ALLOW_REDIRECT_ANY) != 0;

		for (j = 0; j < cur_i->n_redirect[pos] && !ok; j++)
			ok = cur_i->redirect[pos][j] == req->service;
		if (!ok || req->service >= sdnfv_service_count(mgr->host->services))
			return -EPERM;
		/* The hop after this one becomes the service (appended when this is the last). */
		for (j = 0; j <= pos; j++) {
			c.hop[j] = cur->hop[j];
			ci.allow[j] = cur_i->allow[j];
			ci.n_redirect[j] = cur_i->n_redirect[j];
			ci.redirect[j] = cur_i->redirect[j];
		}
		c.hop[pos + 1] = req->service;
		ci.allow[pos + 1] = 0;
		ci.n_redirect[pos + 1] = 0;
		ci.redirect[pos + 1] = NULL;
		k = pos + 2;
		for (j = pos + 2; j < cur->n_hops; j++, k++) {
			c.hop[k] = cur->hop[j];
			ci.allow[k] = cur_i->allow[j];
			ci.n_redirect[k] = cur_i->n_redirect[j];
			ci.redirect[k] = cur_i->redirect[j];
		}
		if (k > SDNFV_HOST_HOPS_MAX)
			return -E2BIG;
		c.n_hops = (uint8_t)k;
	} else {
		return -EINVAL;
	}
	for (j = c.n_hops; j < SDNFV_HOST_HOPS_MAX; j++) {
		ci.allow[j] = 0;
		ci.n_redirect[j] = 0;
		ci.redirect[j] = NULL;
	}
	ret = chain_derive(mgr, &c, &ci);
	if (ret < 0)
		return ret;
	rule.action.type = SDNFV_FLOW_ACT_USER;
	rule.action.user = (uint64_t)ret;
	*to_chain = ret;
	return sdnfv_flow_add(mgr->flows, &rule);
}

static void
report(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s, const struct sdnfv_host_msg *msg)
{
	struct mgr_report *r = &mgr->report_log[mgr->n_report_log++ % MGR_REPORT_LOG];

	mgr->reports++;
	r->time_ns = sdnfv_clock_ns();
	r->nf = s->id;
	r->len = (uint16_t)RTE_MIN(msg->len, sizeof(r->data));
	memcpy(r->data, msg->data, r->len);
	if (mgr->p.report != NULL)
		mgr->p.report(mgr->p.report_arg, s->id, msg->data, msg->len);
	else
		SDNFV_LOG(mgr, INFO, "NF %s reports %u bytes", s->name, msg->len);
}

void
sdnfv_mgr__message(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s, struct sdnfv_host_msg *msg)
{
	struct sdnfv_host_path_req req;
	int ret, to;

	switch (msg->type) {
	case SDNFV_HOST_MSG_PATH:
		if (msg->len != sizeof(req)) {
			SDNFV_LOG(mgr, ERR, "NF %s: malformed path change (%u bytes)", s->name,
				  msg->len);
			mgr->path_refused++;
			s->path_refused++;
			return;
		}
		memcpy(&req, msg->data, sizeof(req));
		ret = path_change(mgr, s, &req, &to);
		log_path(mgr, s, &req, to, ret < 0 ? ret : 0);
		if (ret < 0) {
			mgr->path_refused++;
			__atomic_fetch_add(&s->path_refused, 1, __ATOMIC_RELAXED);
			SDNFV_LOG(mgr, NOTICE, "NF %s: path change %u refused: %s", s->name, req.op,
				  strerror(-ret));
		} else {
			mgr->path_applied++;
			s->path_applied++;
			SDNFV_LOG(mgr, INFO, "NF %s: path change %u applied: chain %u -> %d",
				  s->name, req.op, req.chain, to);
		}
		break;
	case SDNFV_HOST_MSG_REPORT:
		report(mgr, s, msg);
		break;
	default:
		SDNFV_LOG(mgr, ERR, "NF %s: unknown message type %u", s->name, msg->type);
		break;
	}
}
