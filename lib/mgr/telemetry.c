/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry: /sdnfv/... commands on DPDK's telemetry socket, answered as JSON. The callbacks run
 * in DPDK's telemetry thread and read counters that their owners write (racy reads of 64-bit
 * counters are whole on x86-64); lists of NFs and chains are read under the manager's lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "common/clock.h"
#include "common/log.h"
#include "mgr/mgr_internal.h"

/* Telemetry commands cannot be unregistered: they answer for whichever manager is current. */
static struct sdnfv_mgr *tel_mgr;
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
state_name(uint32_t st)
{
	static const char *const names[] = { "free",     "starting", "running",
					     "draining", "stopped",  "dead" };

	return st < RTE_DIM(names) ? names[st] : "unknown";
}

static void
ip_text(const struct sdnfv_flow_key *k, const union sdnfv_pkt_addr *a, uint16_t port, char *buf,
	size_t len)
{
	char addr[64];

	if (k->eth_type == 0x0800)
		inet_ntop(AF_INET, a, addr, sizeof(addr));
	else if (k->eth_type == 0x86dd)
		inet_ntop(AF_INET6, a, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "-");
	snprintf(buf, len, k->eth_type == 0x86dd ? "[%s]:%u" : "%s:%u", addr, port);
}

static struct sdnfv_mgr *
mgr_get(void)
{
	struct sdnfv_mgr *mgr;

	pthread_mutex_lock(&tel_lock);
	mgr = tel_mgr;
	if (mgr != NULL)
		pthread_mutex_lock(&mgr->lock);
	pthread_mutex_unlock(&tel_lock);
	return mgr;
}

static void
mgr_put(struct sdnfv_mgr *mgr)
{
	pthread_mutex_unlock(&mgr->lock);
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr = mgr_get();
	struct sdnfv_mgr_stats st;
	struct rte_tel_data *drops;
	int i;

	(void)cmd;
	(void)params;
	if (mgr == NULL)
		return -ENODEV;
	mgr_put(mgr);
	sdnfv_mgr_stats(mgr, &st);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx", st.rx);
	rte_tel_data_add_dict_u64(d, "tx", st.tx);
	rte_tel_data_add_dict_u64(d, "to_nf", st.to_nf);
	rte_tel_data_add_dict_u64(d, "from_nf", st.from_nf);
	rte_tel_data_add_dict_u64(d, "nfs_live", st.nfs_live);
	rte_tel_data_add_dict_u64(d, "nfs_admitted", st.nfs_admitted);
	rte_tel_data_add_dict_u64(d, "nfs_died", st.nfs_died);
	rte_tel_data_add_dict_u64(d, "path_applied", st.path_applied);
	rte_tel_data_add_dict_u64(d, "path_refused", st.path_refused);
	rte_tel_data_add_dict_u64(d, "reports", st.reports);
	rte_tel_data_add_dict_u64(d, "pool_in_use", st.pool_in_use);
	rte_tel_data_add_dict_u64(d, "register_us_max", st.register_us_max);
	drops = rte_tel_data_alloc();
	if (drops != NULL) {
		rte_tel_data_start_dict(drops);
		for (i = 0; i < SDNFV_MGR_DROP__MAX; i++)
			rte_tel_data_add_dict_u64(drops, sdnfv_mgr_drop_name((unsigned int)i),
						  st.drops[i]);
		rte_tel_data_add_dict_container(d, "drops", drops, 0);
	}
	return 0;
}

static int
tel_nfs(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr = mgr_get();
	uint32_t id;

	(void)cmd;
	(void)params;
	if (mgr == NULL)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	for (id = 0; id < mgr->host->max_nfs; id++)
		if (mgr->host->nfs[id] != NULL)
			rte_tel_data_add_array_int(d, (int)id);
	mgr_put(mgr);
	return 0;
}

/* The NF's latest state report, when the manager still has it: as text when it is printable and
 * fits a telemetry string (an NF that wants its report seen, like the monitor's rates, sends text),
 * else only its length. */
static void
add_last_report(struct sdnfv_mgr *mgr, struct rte_tel_data *d, uint16_t id)
{
	uint64_t k, n = mgr->n_report_log;

	for (k = 0; k < RTE_MIN(n, (uint64_t)MGR_REPORT_LOG); k++) {
		const struct mgr_report *r = &mgr->report_log[(n - 1 - k) % MGR_REPORT_LOG];
		char text[RTE_TEL_MAX_STRING_LEN];
		bool printable = r->len < sizeof(text);
		unsigned int i;

		if (r->nf != id)
			continue;
		for (i = 0; printable && i < r->len; i++)
			printable = r->data[i] >= 0x20 && r->data[i] < 0x7f;
		/* A trailing NUL is part of many text reports. */
		if (!printable && r->len > 0 && r->len <= sizeof(text) &&
		    r->data[r->len - 1] == 0) {
			printable = true;
			for (i = 0; printable && i + 1 < r->len; i++)
				printable = r->data[i] >= 0x20 && r->data[i] < 0x7f;
		}
		if (printable) {
			memcpy(text, r->data, r->len);
			text[RTE_MIN((size_t)r->len, sizeof(text) - 1)] = '\0';
			rte_tel_data_add_dict_string(d, "report", text);
		}
		rte_tel_data_add_dict_u64(d, "report_bytes", r->len);
		rte_tel_data_add_dict_u64(d, "report_age_ms",
					  (sdnfv_clock_ns() - r->time_ns) / 1000000);
		return;
	}
}

static int
tel_nf(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr;
	struct sdnfv_host_nf *s;
	struct mgr_disp_nf *dn;
	char *end;
	unsigned long id;
	uint64_t hz;

	(void)cmd;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	errno = 0;
	id = strtoul(params, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	mgr = mgr_get();
	if (mgr == NULL)
		return -ENODEV;
	if (id >= mgr->host->max_nfs || mgr->host->nfs[id] == NULL) {
		mgr_put(mgr);
		return -ENOENT;
	}
	s = mgr->host->nfs[id];
	dn = &mgr->disp[id];
	hz = mgr->host->tsc_hz;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "id", (int)id);
	rte_tel_data_add_dict_string(d, "name", s->name);
	rte_tel_data_add_dict_string(d, "service",
				     sdnfv_service_name(mgr->host->services, s->service));
	rte_tel_data_add_dict_string(d, "state", state_name(s->state));
	rte_tel_data_add_dict_string(d, "placement", dn->local ? "manager thread" : "process");
	rte_tel_data_add_dict_int(d, "pid", s->pid);
	rte_tel_data_add_dict_u64(d, "rx", s->rx_pkts);
	rte_tel_data_add_dict_u64(d, "tx", s->tx_pkts);
	rte_tel_data_add_dict_u64(d, "dropped", s->dropped);
	rte_tel_data_add_dict_u64(d, "entry_drops", dn->entry_drops);
	rte_tel_data_add_dict_u64(d, "held", s->held_now);
	rte_tel_data_add_dict_u64(d, "hold_refused", s->hold_refused);
	rte_tel_data_add_dict_u64(d, "bursts", s->bursts);
	rte_tel_data_add_dict_u64(d, "local_calls", s->local_calls);
	rte_tel_data_add_dict_u64(d, "rx_pps", mgr->rate_nf_pps ? mgr->rate_nf_pps[id] : 0);
	rte_tel_data_add_dict_u64(d, "path_requests", s->path_requests);
	rte_tel_data_add_dict_u64(d, "path_applied", s->path_applied);
	rte_tel_data_add_dict_u64(d, "path_refused", s->path_refused);
	rte_tel_data_add_dict_u64(d, "reports", s->reports);
	add_last_report(mgr, d, (uint16_t)id);
	rte_tel_data_add_dict_u64(d, "wakeups", s->wakeups);
	rte_tel_data_add_dict_u64(d, "wake_ns_avg",
				  s->wakeups ? s->wake_cycles * 1000000000ull / hz / s->wakeups
					     : 0);
	rte_tel_data_add_dict_u64(d, "wake_ns_max", s->wake_cycles_max * 1000000000ull / hz);
	rte_tel_data_add_dict_u64(d, "rx_ring_count", s->rx ? sdnfv_ring_count(s->rx) : 0);
	rte_tel_data_add_dict_u64(d, "tx_ring_count", s->tx ? sdnfv_ring_count(s->tx) : 0);
	mgr_put(mgr);
	return 0;
}

static int
tel_services(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr = mgr_get();
	unsigned int i, n;

	(void)cmd;
	(void)params;
	if (mgr == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	n = sdnfv_service_count(mgr->host->services);
	for (i = 0; i < n; i++) {
		struct rte_tel_data *sd = rte_tel_data_alloc();
		struct rte_tel_data *inst = rte_tel_data_alloc();
		uint16_t ids[256];
		uint64_t rx = 0, dropped = 0, entry = 0;
		int k, ni;
		uint32_t id;

		if (sd == NULL || inst == NULL) {
			rte_tel_data_free(sd);
			rte_tel_data_free(inst);
			break;
		}
		for (id = 0; id < mgr->host->max_nfs; id++) {
			struct sdnfv_host_nf *s = mgr->host->nfs[id];

			if (s == NULL || s->service != i)
				continue;
			rx += s->rx_pkts;
			dropped += s->dropped;
			entry += mgr->disp[id].entry_drops;
		}
		rte_tel_data_start_dict(sd);
		rte_tel_data_add_dict_int(sd, "id", (int)i);
		rte_tel_data_add_dict_string(sd, "fallback",
					     mgr->host->fallback[i] ? "bypass" : "drop");
		rte_tel_data_add_dict_u64(sd, "rx", rx);
		rte_tel_data_add_dict_u64(sd, "dropped", dropped);
		rte_tel_data_add_dict_u64(sd, "entry_drops", entry);
		rte_tel_data_add_dict_u64(sd, "rx_pps",
					  mgr->rate_svc_pps ? mgr->rate_svc_pps[i] : 0);
		rte_tel_data_start_array(inst, RTE_TEL_INT_VAL);
		ni = sdnfv_service_instances(mgr->host->services, (uint16_t)i, ids, RTE_DIM(ids));
		for (k = 0; k < ni && k < (int)RTE_DIM(ids); k++)
			rte_tel_data_add_array_int(inst, ids[k]);
		rte_tel_data_add_dict_container(sd, "instances", inst, 0);
		rte_tel_data_add_dict_container(
			d, sdnfv_service_name(mgr->host->services, (uint16_t)i), sd, 0);
	}
	mgr_put(mgr);
	return 0;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr = mgr_get();
	unsigned int i;

	(void)cmd;
	(void)params;
	if (mgr == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (i = 0; i < mgr->n_ports; i++) {
		struct mgr_port *p = &mgr->ports[mgr->port_list[i]];
		struct rte_tel_data *pd = rte_tel_data_alloc();
		struct rte_eth_stats es;
		char name[16];

		if (pd == NULL)
			break;
		rte_tel_data_start_dict(pd);
		rte_tel_data_add_dict_u64(pd, "rx", p->rx);
		rte_tel_data_add_dict_u64(pd, "tx", p->tx_pkts);
		rte_tel_data_add_dict_u64(pd, "tx_drops", p->tx_drops);
		if (rte_eth_stats_get(p->id, &es) == 0) {
			rte_tel_data_add_dict_u64(pd, "imissed", es.imissed);
			rte_tel_data_add_dict_u64(pd, "ierrors", es.ierrors);
		}
		snprintf(name, sizeof(name), "%u", p->id);
		rte_tel_data_add_dict_container(d, name, pd, 0);
	}
	mgr_put(mgr);
	return 0;
}

static int
cmp_sample(const void *a, const void *b)
{
	const struct mgr_flow_sample *x = a, *y = b;

	return x->packets < y->packets ? 1 : x->packets > y->packets ? -1 : 0;
}

static int
tel_flows(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr = mgr_get();
	struct mgr_flow_sample *copy;
	unsigned int i, n = 0;

	(void)cmd;
	(void)params;
	if (mgr == NULL)
		return -ENODEV;
	copy = malloc(sizeof(mgr->samples));
	if (copy == NULL) {
		mgr_put(mgr);
		return -ENOMEM;
	}
	for (i = 0; i < MGR_SAMPLES; i++)
		if (mgr->samples[i].packets > 0)
			copy[n++] = mgr->samples[i];
	mgr_put(mgr);
	qsort(copy, n, sizeof(*copy), cmp_sample);
	/* DPDK 22.11 nests dicts in dicts, not in arrays: entries are keyed by rank. */
	rte_tel_data_start_dict(d);
	for (i = 0; i < n && i < 10; i++) {
		struct rte_tel_data *fd = rte_tel_data_alloc();
		char src[80], dst[80], key[16];

		if (fd == NULL)
			break;
		ip_text(&copy[i].key, &copy[i].key.src, rte_be_to_cpu_16(copy[i].key.sport), src,
			sizeof(src));
		ip_text(&copy[i].key, &copy[i].key.dst, rte_be_to_cpu_16(copy[i].key.dport), dst,
			sizeof(dst));
		rte_tel_data_start_dict(fd);
		rte_tel_data_add_dict_string(fd, "src", src);
		rte_tel_data_add_dict_string(fd, "dst", dst);
		rte_tel_data_add_dict_int(fd, "proto", copy[i].key.ip_proto);
		rte_tel_data_add_dict_int(fd, "in_port", copy[i].key.in_port);
		rte_tel_data_add_dict_u64(fd, "packets_est", copy[i].packets);
		rte_tel_data_add_dict_u64(fd, "bytes_est", copy[i].bytes);
		snprintf(key, sizeof(key), "%u", i);
		rte_tel_data_add_dict_container(d, key, fd, 0);
	}
	free(copy);
	return 0;
}

static int
tel_paths(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const ops[] = { "?", "skip", "redirect", "restore" };
	struct sdnfv_mgr *mgr;
	uint64_t i, first, want = 20;

	(void)cmd;
	/* The last N changes (default 20, at most 48: replies are limited to 16 KiB). */
	if (params != NULL && *params != '\0') {
		char *end;

		errno = 0;
		want = strtoull(params, &end, 10);
		if (errno != 0 || *end != '\0' || want == 0 || want > 48)
			return -EINVAL;
	}
	mgr = mgr_get();
	if (mgr == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d); /* keyed by sequence number */
	first = mgr->n_path_log > want ? mgr->n_path_log - want : 0;
	for (i = first; i < mgr->n_path_log; i++) {
		const struct mgr_path_event *e = &mgr->path_log[i % MGR_PATH_LOG];
		struct rte_tel_data *ed = rte_tel_data_alloc();
		char src[80], dst[80], key[24];
		const char *svc = sdnfv_service_name(mgr->host->services, e->service);

		if (ed == NULL)
			break;
		ip_text(&e->key, &e->key.src, rte_be_to_cpu_16(e->key.sport), src, sizeof(src));
		ip_text(&e->key, &e->key.dst, rte_be_to_cpu_16(e->key.dport), dst, sizeof(dst));
		rte_tel_data_start_dict(ed);
		rte_tel_data_add_dict_u64(ed, "time_ns", e->time_ns);
		rte_tel_data_add_dict_int(ed, "nf", e->nf);
		rte_tel_data_add_dict_string(ed, "op", e->op < RTE_DIM(ops) ? ops[e->op] : "?");
		rte_tel_data_add_dict_string(ed, "service",
					     e->op == SDNFV_PATH_REDIRECT && svc ? svc : "");
		rte_tel_data_add_dict_string(ed, "src", src);
		rte_tel_data_add_dict_string(ed, "dst", dst);
		rte_tel_data_add_dict_int(ed, "proto", e->key.ip_proto);
		rte_tel_data_add_dict_int(ed, "from_chain", e->from_chain);
		rte_tel_data_add_dict_int(ed, "to_chain", e->to_chain);
		rte_tel_data_add_dict_string(ed, "result",
					     e->result == 0 ? "applied" : strerror(-e->result));
		snprintf(key, sizeof(key), "%" PRIu64, i);
		rte_tel_data_add_dict_container(d, key, ed, 0);
	}
	mgr_put(mgr);
	return 0;
}

static int
tel_chains(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct sdnfv_mgr *mgr = mgr_get();
	uint32_t c;

	(void)cmd;
	(void)params;
	if (mgr == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d); /* keyed by chain id */
	for (c = 0; c < mgr->host->n_chains && c < 64; c++) {
		const struct sdnfv_host_chain *ch = &mgr->host->chains[c];
		struct rte_tel_data *cd = rte_tel_data_alloc();
		struct rte_tel_data *hops = rte_tel_data_alloc();
		char key[16];
		unsigned int j;

		if (cd == NULL || hops == NULL) {
			rte_tel_data_free(cd);
			rte_tel_data_free(hops);
			break;
		}
		rte_tel_data_start_dict(cd);
		rte_tel_data_add_dict_int(cd, "id", (int)c);
		rte_tel_data_add_dict_string(cd, "name", mgr->chain_info[c].name);
		rte_tel_data_add_dict_int(cd, "base", (int)mgr->chain_info[c].base);
		rte_tel_data_start_array(hops, RTE_TEL_STRING_VAL);
		for (j = 0; j < ch->n_hops; j++)
			rte_tel_data_add_array_string(
				hops, sdnfv_service_name(mgr->host->services, ch->hop[j]));
		rte_tel_data_add_dict_container(cd, "hops", hops, 0);
		if (ch->out_kind == SDNFV_CHAIN_OUT_PORT)
			rte_tel_data_add_dict_int(cd, "out_port", ch->out_port);
		else
			rte_tel_data_add_dict_string(
				cd, "out",
				ch->out_kind == SDNFV_CHAIN_OUT_DROP ? "drop" : "in_port");
		snprintf(key, sizeof(key), "%u", c);
		rte_tel_data_add_dict_container(d, key, cd, 0);
	}
	mgr_put(mgr);
	return 0;
}

/* Rates per NF and per service, once a second (control thread, under the lock). */
void
sdnfv_mgr__rates_update(struct sdnfv_mgr *mgr, uint64_t elapsed_ns)
{
	uint32_t id, n = mgr->host->max_services;

	if (mgr->rate_nf_pps == NULL || elapsed_ns == 0)
		return;
	memset(mgr->rate_svc_pps, 0, n * sizeof(uint64_t));
	for (id = 0; id < mgr->host->max_nfs; id++) {
		struct sdnfv_host_nf *s = mgr->host->nfs[id];
		uint64_t rx;

		if (s == NULL) {
			mgr->rate_nf_pps[id] = 0;
			mgr->rate_nf_last[id] = 0;
			continue;
		}
		rx = s->rx_pkts;
		mgr->rate_nf_pps[id] =
			rx >= mgr->rate_nf_last[id]
				? (rx - mgr->rate_nf_last[id]) * 1000000000ull / elapsed_ns
				: 0;
		mgr->rate_nf_last[id] = rx;
		if (s->service < n)
			mgr->rate_svc_pps[s->service] += mgr->rate_nf_pps[id];
	}
}

int
sdnfv_mgr__telemetry_register(struct sdnfv_mgr *mgr)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/sdnfv/stats", tel_stats, "Host counters and drops by reason. No parameters." },
		{ "/sdnfv/nfs", tel_nfs, "Ids of the host's NFs. No parameters." },
		{ "/sdnfv/nf", tel_nf, "One NF's state and counters. Parameter: NF id." },
		{ "/sdnfv/services", tel_services,
		  "Services: instances, fallback, rates, drops. No parameters." },
		{ "/sdnfv/ports", tel_ports, "Port counters. No parameters." },
		{ "/sdnfv/flows", tel_flows,
		  "The busiest flows (sampled estimate). No parameters." },
		{ "/sdnfv/paths", tel_paths,
		  "Smart-data-plane changes, applied and refused. No parameters." },
		{ "/sdnfv/chains", tel_chains,
		  "Service chains, policy and derived. No parameters." },
	};
	static bool registered;
	unsigned int i;

	mgr->rate_nf_pps = calloc(mgr->host->max_nfs, sizeof(uint64_t));
	mgr->rate_nf_last = calloc(mgr->host->max_nfs, sizeof(uint64_t));
	mgr->rate_svc_pps = calloc(mgr->host->max_services, sizeof(uint64_t));
	if (mgr->rate_nf_pps == NULL || mgr->rate_nf_last == NULL || mgr->rate_svc_pps == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&tel_lock);
	tel_mgr = mgr;
	pthread_mutex_unlock(&tel_lock);
	if (registered)
		return 0;
	for (i = 0; i < RTE_DIM(cmds); i++) {
		int ret = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);

		if (ret < 0) {
			SDNFV_LOG(mgr, ERR, "cannot register telemetry command %s: %s", cmds[i].cmd,
				  strerror(-ret));
			return ret;
		}
	}
	registered = true;
	return 0;
}

void
sdnfv_mgr__telemetry_unregister(struct sdnfv_mgr *mgr)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_mgr == mgr)
		tel_mgr = NULL;
	pthread_mutex_unlock(&tel_lock);
	free(mgr->rate_nf_pps);
	free(mgr->rate_nf_last);
	free(mgr->rate_svc_pps);
	mgr->rate_nf_pps = mgr->rate_nf_last = mgr->rate_svc_pps = NULL;
}
