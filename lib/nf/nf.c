/* SPDX-License-Identifier: BSD-3-Clause */
/* The NF SDK: attach to a host manager, run handlers over bursts, return verdicts. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include <sdnfv/flow.h>
#include <sdnfv/nf.h>
#include <sdnfv/pkt.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/params.h"
#include "nf/host.h"
#include "nf/nf_internal.h"

SDNFV_LOG_REGISTER(nf);

/* SIGINT/SIGTERM stop every NF of the process that asked for the SDK's handlers. */
static volatile sig_atomic_t nf_signalled;

static void
nf_on_signal(int sig)
{
	(void)sig;
	nf_signalled = 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Finding the manager                                                                        */

static void
runtime_config_path(int argc, char **argv, char *buf, size_t len)
{
	const char *prefix = "rte";
	const char *base = "/var/run";
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--file-prefix=", 14) == 0)
			prefix = argv[i] + 14;
		else if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < argc)
			prefix = argv[i + 1];
	}
	/* As EAL computes it: root uses /var/run, others $XDG_RUNTIME_DIR or /tmp. */
	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	snprintf(buf, len, "%s/dpdk/%s/config", base, prefix);
}

static int
host_find(struct sdnfv_host **out, uint32_t wait_ms)
{
	uint64_t deadline = sdnfv_clock_ns() + (uint64_t)wait_ms * 1000000ull;

	for (;;) {
		const struct rte_memzone *mz = rte_memzone_lookup(SDNFV_HOST_MZ);

		if (mz != NULL && mz->len >= sizeof(struct sdnfv_host)) {
			struct sdnfv_host *h = mz->addr;

			if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == SDNFV_HOST_MAGIC) {
				if (h->version != SDNFV_HOST_VERSION) {
					SDNFV_LOG(nf, ERR, "host layout version %u, expected %u",
						  h->version, SDNFV_HOST_VERSION);
					return -EPROTO;
				}
				if (__atomic_load_n(&h->state, __ATOMIC_ACQUIRE) ==
				    SDNFV_HOST_READY) {
					*out = h;
					return 0;
				}
			}
		}
		if (sdnfv_clock_ns() > deadline) {
			SDNFV_LOG(nf, ERR, "no host manager is ready (memzone %s)", SDNFV_HOST_MZ);
			return -ETIMEDOUT;
		}
		rte_delay_us_sleep(5000);
	}
}

static int
read_params(const struct sdnfv_nf_params *in, struct sdnfv_nf_params *p, struct sdnfv_nf_ops *ops)
{
	if (sdnfv_params_read(in, p, sizeof(*p), offsetof(struct sdnfv_nf_params, mode)) < 0) {
		SDNFV_LOG(nf, ERR, "NULL or too short parameters");
		return -EINVAL;
	}
	if (p->service == NULL || p->ops == NULL) {
		SDNFV_LOG(nf, ERR, "parameters need a service and a handler table");
		return -EINVAL;
	}
	if (sdnfv_params_read(p->ops, ops, sizeof(*ops), offsetof(struct sdnfv_nf_ops, idle)) < 0 ||
	    ops->handle == NULL) {
		SDNFV_LOG(nf, ERR, "the handler table needs sz and a burst handler");
		return -EINVAL;
	}
	if (p->burst == 0)
		p->burst = 32;
	if (p->burst > SDNFV_NF_BURST_MAX) {
		SDNFV_LOG(nf, ERR, "burst %u above %u", p->burst, SDNFV_NF_BURST_MAX);
		return -EINVAL;
	}
	if (p->mode != SDNFV_NF_MODE_POLL && p->mode != SDNFV_NF_MODE_SLEEP) {
		SDNFV_LOG(nf, ERR, "unknown run mode %d", (int)p->mode);
		return -EINVAL;
	}
	if (p->idle_us == 0)
		p->idle_us = 100000;
	if (p->spin_us == 0)
		p->spin_us = 50;
	if (p->wait_ms == 0)
		p->wait_ms = 30000;
	if (p->max_held == 0)
		p->max_held = 1024;
	if (p->name == NULL)
		p->name = p->service;
	if (strlen(p->name) > SDNFV_NF_NAME_MAX || strlen(p->service) > SDNFV_SERVICE_NAME_MAX) {
		SDNFV_LOG(nf, ERR, "NF name or service name too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

static int
mp_request(const char *action, const void *param, size_t len, struct sdnfv_mp_reply *reply, int *fd)
{
	struct rte_mp_msg msg;
	struct rte_mp_reply rep;
	struct timespec ts = { .tv_sec = 5 };
	int ret;

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", action);
	memcpy(msg.param, param, len);
	msg.len_param = (int)len;
	memset(&rep, 0, sizeof(rep));
	ret = rte_mp_request_sync(&msg, &rep, &ts);
	if (ret < 0 || rep.nb_received != 1) {
		SDNFV_LOG(nf, ERR, "%s: the manager did not answer (%s)", action,
			  rte_strerror(rte_errno));
		free(rep.msgs);
		return -ENOENT;
	}
	if (rep.msgs[0].len_param < (int)sizeof(*reply)) {
		SDNFV_LOG(nf, ERR, "%s: short answer from the manager", action);
		free(rep.msgs);
		return -EPROTO;
	}
	memcpy(reply, rep.msgs[0].param, sizeof(*reply));
	if (fd != NULL)
		*fd = rep.msgs[0].num_fds > 0 ? rep.msgs[0].fds[0] : -1;
	else
		for (ret = 0; ret < rep.msgs[0].num_fds; ret++)
			close(rep.msgs[0].fds[ret]);
	free(rep.msgs);
	return reply->result;
}

/* ---------------------------------------------------------------------------------------- */
/* Init and attach                                                                            */

int
sdnfv_nf_args(int argc, char **argv, int *eal_argc, char ***app_argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	*app_argv = i < argc ? argv + i : argv;
	*eal_argc = i < argc ? i : argc;
	return i < argc ? argc - i : 0;
}

int
sdnfv_nf_init(int argc, char **argv, const struct sdnfv_nf_params *params, struct sdnfv_nf **out)
{
	struct sdnfv_nf_params p;
	struct sdnfv_nf_ops ops;
	char config[512];
	char **args;
	uint64_t deadline;
	int ret, i, n_extra;

	if (out == NULL || argc < 1 || argv == NULL)
		return -EINVAL;
	ret = read_params(params, &p, &ops);
	if (ret < 0)
		return ret;

	/* A secondary started before its primary fails and cannot retry rte_eal_init(): wait. */
	runtime_config_path(argc, argv, config, sizeof(config));
	deadline = sdnfv_clock_ns() + (uint64_t)p.wait_ms * 1000000ull;
	if (!rte_eal_primary_proc_alive(config)) {
		SDNFV_LOG(nf, INFO, "waiting up to %u ms for the host manager (%s)", p.wait_ms,
			  config);
		while (!rte_eal_primary_proc_alive(config)) {
			if (sdnfv_clock_ns() > deadline) {
				SDNFV_LOG(nf, ERR, "no host manager came within %u ms", p.wait_ms);
				return -ETIMEDOUT;
			}
			rte_delay_us_sleep(10000);
		}
	}

	/* An NF never drives a device (the manager owns the ports): unless the caller chose
	 * devices, skip the PCI scan, which only warns about devices of the primary. */
	{
		bool devices = false;

		for (i = 1; i < argc; i++)
			if (strncmp(argv[i], "-a", 2) == 0 || strncmp(argv[i], "-b", 2) == 0 ||
			    strncmp(argv[i], "--allow", 7) == 0 ||
			    strncmp(argv[i], "--block", 7) == 0 || strcmp(argv[i], "--no-pci") == 0)
				devices = true;
		args = calloc((size_t)argc + 3, sizeof(*args));
		if (args == NULL)
			return -ENOMEM;
		args[0] = argv[0];
		args[1] = (char *)(uintptr_t) "--proc-type=secondary";
		n_extra = 1;
		if (!devices)
			args[++n_extra] = (char *)(uintptr_t) "--no-pci";
	}
	for (i = 1; i < argc; i++)
		args[i + n_extra] = argv[i];
	ret = rte_eal_init(argc + n_extra, args);
	if (ret < 0) {
		ret = -rte_errno;
		SDNFV_LOG(nf, ERR, "EAL init as a secondary failed: %s", rte_strerror(-ret));
		free(args);
		return ret;
	}
	/* Give the caller its argv as if rte_eal_init() had run on it: program name, then the
	 * application's arguments. */
	for (i = 0; i < argc + n_extra - ret; i++)
		argv[ret - n_extra + i] = args[ret + i];
	free(args);
	ret -= n_extra;

	{
		uint64_t left = sdnfv_clock_ns() < deadline
					? (deadline - sdnfv_clock_ns()) / 1000000ull
					: 0;
		struct sdnfv_host *h;
		int err = host_find(&h, (uint32_t)RTE_MAX(left, 1000ull));

		if (err < 0)
			return err;
	}
	{
		int err = sdnfv_nf_attach(params, out);

		if (err < 0)
			return err;
	}
	return ret;
}

int
sdnfv_nf_attach(const struct sdnfv_nf_params *params, struct sdnfv_nf **out)
{
	struct sdnfv_mp_register_req req;
	struct sdnfv_mp_reply reply;
	struct sdnfv_nf *nf;
	struct sdnfv_host *h;
	uint64_t t0;
	int ret, fd = -1;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	nf = calloc(1, sizeof(*nf));
	if (nf == NULL)
		return -ENOMEM;
	ret = read_params(params, &nf->p, &nf->ops);
	if (ret < 0)
		goto fail;
	ret = host_find(&h, 1000);
	if (ret < 0)
		goto fail;
	ret = sdnfv_meta_register();
	if (ret < 0)
		goto fail;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", nf->p.name);
	snprintf(req.service, sizeof(req.service), "%s", nf->p.service);
	req.pid = getpid();
	req.lcore = rte_lcore_id();
	req.socket = rte_socket_id();
	req.max_held = nf->p.max_held;
	req.group = (uint32_t)getpid();
	t0 = sdnfv_clock_ns();
	ret = mp_request(SDNFV_MP_REGISTER, &req, sizeof(req), &reply, &fd);
	t0 = sdnfv_clock_ns() - t0;
	if (ret < 0) {
		SDNFV_LOG(nf, ERR, "NF %s (service %s): the manager refused it: %s", req.name,
			  req.service, strerror(-ret));
		goto fail;
	}
	nf->host = h;
	nf->id = reply.id;
	nf->service = reply.service;
	nf->slot = h->nfs[reply.id];
	nf->efd = fd;
	__atomic_store_n(&nf->slot->sleep_mode, nf->p.mode == SDNFV_NF_MODE_SLEEP,
			 __ATOMIC_RELEASE);
	snprintf(nf->name, sizeof(nf->name), "%s", nf->p.name);
	nf->p.name = nf->name;
	nf->p.service = h->services ? sdnfv_service_name(h->services, nf->service) : NULL;
	SDNFV_LOG(nf, INFO, "NF %s attached as id %u, service %s; registration took %" PRIu64 " us",
		  nf->name, nf->id, nf->p.service, t0 / 1000);
	*out = nf;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(nf);
	return ret;
}

/* An NF that the manager runs in its own thread: a slot, no rings. */
int
sdnfv_nf__local_init(struct sdnfv_nf *nf, const struct sdnfv_nf_params *params,
		     struct sdnfv_host *h, struct sdnfv_host_nf *slot)
{
	int ret = read_params(params, &nf->p, &nf->ops);

	if (ret < 0)
		return ret;
	nf->host = h;
	nf->slot = slot;
	nf->id = slot->id;
	nf->service = slot->service;
	nf->efd = -1;
	nf->local = true;
	snprintf(nf->name, sizeof(nf->name), "%s", nf->p.name);
	nf->p.name = nf->name;
	nf->p.service = sdnfv_service_name(h->services, nf->service);
	return 0;
}

uint16_t
sdnfv_nf_id(const struct sdnfv_nf *nf)
{
	return nf->id;
}

int
sdnfv_nf_service_id(const struct sdnfv_nf *nf, const char *name)
{
	if (nf == NULL || name == NULL)
		return -EINVAL;
	return sdnfv_service_id(nf->host->services, name);
}

void
sdnfv_nf_stop(struct sdnfv_nf *nf)
{
	if (nf != NULL)
		__atomic_store_n(&nf->stop, 1, __ATOMIC_RELEASE);
}

void
sdnfv_nf_free(struct sdnfv_nf *nf)
{
	if (nf == NULL)
		return;
	if (nf->efd >= 0)
		close(nf->efd);
	free(nf);
}

/* ---------------------------------------------------------------------------------------- */
/* Bursts and verdicts                                                                        */

static int
held_put(struct sdnfv_nf *nf, struct rte_mbuf *m)
{
	struct sdnfv_host_nf *s = nf->slot;
	uint64_t i;

	if (nf->held_count >= s->max_held)
		return -ENOSPC;
	/* Reuse the lowest free slot; held_n only grows to the high-water mark. */
	for (i = 0; i < s->held_n; i++)
		if (s->held[i] == NULL)
			break;
	__atomic_store_n(&s->held[i], m, __ATOMIC_RELEASE);
	if (i == s->held_n)
		__atomic_store_n(&s->held_n, i + 1, __ATOMIC_RELEASE);
	nf->held_count++;
	__atomic_store_n(&s->held_now, nf->held_count, __ATOMIC_RELEASE);
	return 0;
}

int
sdnfv_nf_release(struct sdnfv_nf *nf, struct rte_mbuf *m)
{
	struct sdnfv_host_nf *s;
	uint8_t a;
	uint64_t i;

	if (nf == NULL || m == NULL)
		return -EINVAL;
	s = nf->slot;
	a = sdnfv_meta_get(m)->action;
	if (a == SDNFV_ACT_HOLD)
		return -EINVAL;
	for (i = 0; i < s->held_n; i++)
		if (s->held[i] == m)
			break;
	if (i == s->held_n)
		return -ENOENT;
	if (nf->n_released == RTE_DIM(nf->released))
		sdnfv_nf__flush_released(nf);
	/* Into released[] first: dying between the two stores leaks the packet, never frees it
	 * twice. */
	nf->released[nf->n_released++] = m;
	__atomic_store_n(&s->held[i], NULL, __ATOMIC_RELEASE);
	nf->held_count--;
	__atomic_store_n(&s->held_now, nf->held_count, __ATOMIC_RELEASE);
	return 0;
}

/* Return out[0..n) (in the slot) to the manager through the tx ring. The ring's producer
 * index at the start is recorded so a manager reclaiming a dead NF knows how many it took. */
static int
send_out(struct sdnfv_nf *nf, unsigned int n)
{
	struct sdnfv_host_nf *s = nf->slot;
	unsigned int sent = 0;
	uint64_t spins = 0;

	if (n == 0)
		return 0;
	__atomic_store_n(&s->tx_mark, __atomic_load_n(&s->tx->prod.idx, __ATOMIC_RELAXED),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->out_n, n, __ATOMIC_RELEASE);
	while (sent < n) {
		unsigned int k =
			sdnfv_ring_sp_enqueue_burst(s->tx, (void **)&s->out[sent], n - sent, NULL);

		sent += k;
		if (k == 0) {
			/* The manager is behind: wait, never drop (backpressure reaches the
			 * chain's entry, where the manager drops before work is spent). */
			rte_pause();
			if ((++spins & 0xfffff) == 0 && !rte_eal_primary_proc_alive(NULL)) {
				SDNFV_LOG(nf, ERR, "NF %s: the manager is gone", nf->name);
				return -EPIPE;
			}
		}
	}
	__atomic_store_n(&s->out_n, 0, __ATOMIC_RELEASE);
	s->tx_pkts += n;
	return 0;
}

void
sdnfv_nf__flush_released(struct sdnfv_nf *nf)
{
	struct sdnfv_host_nf *s = nf->slot;
	unsigned int i;

	if (nf->n_released == 0)
		return;
	if (nf->local) {
		nf->local_out(nf->local_arg, nf, nf->released, nf->n_released);
		nf->n_released = 0;
		return;
	}
	for (i = 0; i < nf->n_released; i++) {
		if (sdnfv_meta_get(nf->released[i])->action == SDNFV_ACT_DROP)
			s->dropped++;
		s->out[i] = nf->released[i];
	}
	send_out(nf, nf->n_released);
	nf->n_released = 0;
}

/* The member of the group that serves instance `id`, when it is free to take a burst. */
static struct sdnfv_nf *
nf_group_member(struct sdnfv_nf *nf, uint16_t id)
{
	struct sdnfv_nf *g;

	for (g = nf->group_head; g != NULL; g = g->group_next)
		if (g->id == id)
			return g->busy || g->stopping ? NULL : g;
	return NULL;
}

/*
 * Run the handler over pkts[0..n) and apply the verdicts: held packets move to held[]; in a
 * group, packets whose next hop is another member go to it by function call; the rest go back
 * to the manager (or, for an NF the manager runs itself, to its callback). pkts is the slot's
 * in[] array, or (locally) the caller's.
 */
void
sdnfv_nf__burst(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n)
{
	struct sdnfv_host_nf *s = nf->slot;
	struct rte_mbuf **out = nf->local ? nf->local_buf : s->out;
	struct rte_mbuf *next[SDNFV_NF_BURST_MAX];
	struct sdnfv_nf *next_nf = NULL;
	unsigned int i, k = 0, nn = 0;

	/* Packets arrive with no verdict (the manager, or sdnfv_host_resolve() in a group, sees
	 * to it), so nothing is written here. */
	nf->busy = true;
	nf->ops.handle(nf, pkts, n, nf->p.arg);
	s->rx_pkts += n;
	s->bursts++;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sdnfv_meta *meta = sdnfv_meta_get(m);

		switch (meta->action) {
		case SDNFV_ACT_HOLD:
			if (!nf->local)
				__atomic_store_n(&pkts[i], NULL, __ATOMIC_RELEASE);
			if (held_put(nf, m) == 0)
				continue;
			s->hold_refused++;
			meta->action = SDNFV_ACT_DROP;
			break;
		case SDNFV_ACT_DROP:
			s->dropped++;
			break;
		case SDNFV_ACT_NONE:
		case SDNFV_ACT_NEXT:
		case SDNFV_ACT_SERVICE:
			if (nf->group_head != NULL) {
				uint16_t arg;
				struct sdnfv_meta save = *meta;

				if (sdnfv_host_resolve(nf->host, m, meta, &arg) == SDNFV_DEST_NF) {
					struct sdnfv_nf *g = nf_group_member(nf, arg);

					/* One member per pass keeps this simple; packets for
					 * another member go through the manager. */
					if (g != NULL && (next_nf == NULL || next_nf == g)) {
						next_nf = g;
						next[nn++] = m;
						continue;
					}
				}
				*meta = save;
			}
			break;
		default:
			break;
		}
		out[k++] = m;
	}
	nf->busy = false;
	if (nf->local) {
		if (k > 0)
			nf->local_out(nf->local_arg, nf, out, k);
	} else {
		__atomic_store_n(&s->in_n, 0, __ATOMIC_RELEASE);
		send_out(nf, k);
	}
	if (nn > 0) {
		struct sdnfv_host_nf *gs = next_nf->slot;

		next_nf->slot->local_calls++;
		if (!next_nf->local) {
			/* Keep the packets reclaimable in the callee's slot while it runs. */
			memcpy(gs->in, next, nn * sizeof(next[0]));
			__atomic_store_n(&gs->in_n, nn, __ATOMIC_RELEASE);
			sdnfv_nf__burst(next_nf, gs->in, nn);
		} else {
			sdnfv_nf__burst(next_nf, next, nn);
		}
	}
}

static void
handle_messages(struct sdnfv_nf *nf)
{
	struct sdnfv_host_msg *msgs[8];
	unsigned int i, n;

	n = sdnfv_ring_sc_dequeue_burst(nf->slot->to_nf, (void **)msgs, RTE_DIM(msgs), NULL);
	for (i = 0; i < n; i++)
		sdnfv_nf__deliver(nf, msgs[i]);
}

/* Hand a message from the manager to the NF's message handler, then free it. */
void
sdnfv_nf__deliver(struct sdnfv_nf *nf, struct sdnfv_host_msg *msg)
{
	if (msg->type == SDNFV_HOST_MSG_USER && nf->ops.message != NULL) {
		struct sdnfv_nf_msg m = { .type = msg->user_type,
					  .len = msg->len,
					  .data = msg->data };

		nf->ops.message(nf, &m, nf->p.arg);
	}
	rte_free(msg);
}

static int
send_msg(struct sdnfv_nf *nf, uint32_t type, const void *data, size_t len)
{
	struct sdnfv_host_msg *msg = rte_malloc(NULL, sizeof(*msg) + len, 0);

	if (msg == NULL)
		return -ENOMEM;
	msg->type = type;
	msg->user_type = 0;
	msg->nf = nf->id;
	msg->len = (uint32_t)len;
	memcpy(msg->data, data, len);
	if (nf->local) {
		int ret = nf->local_msg(nf->local_arg, nf, msg);

		if (ret < 0)
			rte_free(msg);
		return ret;
	}
	if (sdnfv_ring_sp_enqueue_burst(nf->slot->to_mgr, (void **)&msg, 1, NULL) != 1) {
		rte_free(msg);
		return -ENOBUFS;
	}
	return 0;
}

int
sdnfv_nf_path_change(struct sdnfv_nf *nf, const struct rte_mbuf *m, enum sdnfv_path_op op,
		     uint16_t service)
{
	struct sdnfv_host_path_req req;
	struct sdnfv_pkt_info info;
	struct sdnfv_flow_key key;
	const struct sdnfv_meta *meta;
	int ret;

	if (nf == NULL || m == NULL)
		return -EINVAL;
	if (op != SDNFV_PATH_SKIP && op != SDNFV_PATH_REDIRECT && op != SDNFV_PATH_RESTORE) {
		SDNFV_LOG(nf, ERR, "NF %s: unknown path change %d", nf->name, (int)op);
		return -EINVAL;
	}
	if (op == SDNFV_PATH_REDIRECT && sdnfv_service_name(nf->host->services, service) == NULL) {
		SDNFV_LOG(nf, ERR, "NF %s: redirect to unknown service %u", nf->name, service);
		return -EINVAL;
	}
	ret = sdnfv_pkt_parse_mbuf(m, &info);
	if (ret < 0 && info.l3 == SDNFV_PKT_L3_NONE) {
		SDNFV_LOG(nf, ERR, "NF %s: path change for a packet that does not parse: %s",
			  nf->name, sdnfv_pkt_strerror(ret));
		return -EINVAL;
	}
	sdnfv_flow_key_from_pkt(rte_pktmbuf_mtod(m, const void *), &info, m->port, &key);
	meta = sdnfv_meta_get((struct rte_mbuf *)(uintptr_t)m);
	memset(&req, 0, sizeof(req));
	req.op = op;
	req.service = service;
	req.chain = meta->chain;
	req.chain_pos = meta->chain_pos;
	req.flow_id = meta->flow_id;
	req.in_port = m->port;
	RTE_BUILD_BUG_ON(sizeof(key) != sizeof(req.key));
	memcpy(&req.key, &key, sizeof(key));
	nf->slot->path_requests++;
	return send_msg(nf, SDNFV_HOST_MSG_PATH, &req, sizeof(req));
}

int
sdnfv_nf_report(struct sdnfv_nf *nf, const void *data, size_t len)
{
	int ret;

	if (nf == NULL || (data == NULL && len > 0) || len > 1024)
		return -EINVAL;
	ret = send_msg(nf, SDNFV_HOST_MSG_REPORT, data, len);
	if (ret == 0)
		nf->slot->reports++;
	return ret;
}

void
sdnfv_nf_stats(const struct sdnfv_nf *nf, struct sdnfv_nf_stats *out)
{
	const struct sdnfv_host_nf *s = nf->slot;
	uint64_t hz = nf->host->tsc_hz ? nf->host->tsc_hz : rte_get_tsc_hz();

	memset(out, 0, sizeof(*out));
	out->rx = s->rx_pkts;
	out->tx = s->tx_pkts;
	out->dropped = s->dropped;
	out->held = nf->held_count;
	out->hold_refused = s->hold_refused;
	out->bursts = s->bursts;
	out->local_calls = s->local_calls;
	out->path_requests = s->path_requests;
	out->path_refused = __atomic_load_n(&s->path_refused, __ATOMIC_RELAXED);
	out->reports = s->reports;
	out->wakeups = s->wakeups;
	if (s->wakeups > 0)
		out->wake_ns_avg = s->wake_cycles * 1000000000ull / hz / s->wakeups;
	out->wake_ns_max = s->wake_cycles_max * 1000000000ull / hz;
}

/* ---------------------------------------------------------------------------------------- */
/* The run loop                                                                               */

/* Leave gracefully: the manager takes the NF out of its service and stops sending to it; the
 * NF then handles what is in its ring, teardown returns what it holds, and only then it
 * reports STOPPED. */
static int
begin_stop(struct sdnfv_nf *nf)
{
	struct sdnfv_mp_id_req req = { .id = nf->id };
	struct sdnfv_mp_reply reply;

	nf->stopping = true;
	if (__atomic_load_n(&nf->slot->stop_req, __ATOMIC_ACQUIRE))
		return 0; /* the manager asked, and already stopped sending */
	return mp_request(SDNFV_MP_BYE, &req, sizeof(req), &reply, NULL);
}

static bool
finish_stop(struct sdnfv_nf *nf)
{
	struct sdnfv_host_nf *s = nf->slot;

	if (sdnfv_ring_count(s->rx) > 0 || __atomic_load_n(&s->mgr_pending, __ATOMIC_ACQUIRE) > 0)
		return false;
	if (nf->ops.teardown != NULL)
		nf->ops.teardown(nf, nf->p.arg);
	sdnfv_nf__flush_released(nf);
	if (nf->held_count > 0) {
		/* What teardown kept is dropped, counted: the packets go back to the pool. */
		uint64_t i;
		unsigned int k = 0;

		for (i = 0; i < s->held_n; i++) {
			struct rte_mbuf *m = s->held[i];

			if (m == NULL)
				continue;
			sdnfv_meta_get(m)->action = SDNFV_ACT_DROP;
			s->out[k++] = m;
			s->dropped++;
			__atomic_store_n(&s->held[i], NULL, __ATOMIC_RELEASE);
			if (k == RTE_DIM(s->out)) {
				send_out(nf, k);
				k = 0;
			}
		}
		send_out(nf, k);
		SDNFV_LOG(nf, WARNING, "NF %s: teardown left %" PRIu64 " held packets; dropped",
			  nf->name, nf->held_count);
		nf->held_count = 0;
		__atomic_store_n(&s->held_now, 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->state, SDNFV_NF_STOPPED, __ATOMIC_RELEASE);
	nf->finished = true;
	SDNFV_LOG(nf, INFO, "NF %s stopped: %" PRIu64 " packets in, %" PRIu64 " out", nf->name,
		  s->rx_pkts, s->tx_pkts);
	return true;
}

static void
sleep_on_manager(struct sdnfv_nf *const *nfs, unsigned int n, uint32_t timeout_us)
{
	struct pollfd pfd[64];
	unsigned int i, np = 0;
	bool any = false;

	for (i = 0; i < n && np < RTE_DIM(pfd); i++) {
		if (nfs[i]->finished || nfs[i]->efd < 0)
			continue;
		__atomic_store_n(&nfs[i]->slot->sleeping, 1, __ATOMIC_SEQ_CST);
		pfd[np].fd = nfs[i]->efd;
		pfd[np].events = POLLIN;
		np++;
	}
	/* Pairs with the manager's enqueue-then-check-sleeping: re-check after announcing sleep. */
	for (i = 0; i < n; i++)
		if (!nfs[i]->finished && (sdnfv_ring_count(nfs[i]->slot->rx) > 0 ||
					  sdnfv_ring_count(nfs[i]->slot->to_nf) > 0))
			any = true;
	if (!any && np > 0 && !nf_signalled)
		poll(pfd, np, (int)RTE_MAX(timeout_us / 1000, 1u));
	for (i = 0; i < n; i++) {
		struct sdnfv_host_nf *s = nfs[i]->slot;
		uint64_t v;

		if (nfs[i]->finished || nfs[i]->efd < 0)
			continue;
		__atomic_store_n(&s->sleeping, 0, __ATOMIC_SEQ_CST);
		if (read(nfs[i]->efd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
			uint64_t lat = rte_get_tsc_cycles() -
				       __atomic_load_n(&s->wake_tsc, __ATOMIC_ACQUIRE);

			s->wakeups++;
			s->wake_cycles += lat;
			if (lat > s->wake_cycles_max)
				s->wake_cycles_max = lat;
		}
	}
}

int
sdnfv_nf_group_run(struct sdnfv_nf *const *nfs, unsigned int n)
{
	struct sigaction sa;
	uint64_t last_idle = sdnfv_clock_ns(), last_busy = last_idle, last_alive = last_idle;
	unsigned int i, left = n, busy_loops = 0;
	bool want_signals = false, all_sleep = true;
	int ret = 0;

	if (nfs == NULL || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (nfs[i] == NULL || nfs[i]->local)
			return -EINVAL;
		nfs[i]->group_head = n > 1 ? nfs[0] : NULL;
		nfs[i]->group_next = i + 1 < n ? nfs[i + 1] : NULL;
		want_signals |= nfs[i]->p.signals;
		all_sleep &= nfs[i]->p.mode == SDNFV_NF_MODE_SLEEP;
	}
	if (want_signals) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = nf_on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (i = 0; i < n; i++) {
		struct sdnfv_mp_id_req req = { .id = nfs[i]->id };
		struct sdnfv_mp_reply reply;

		if (nfs[i]->ops.setup != NULL) {
			ret = nfs[i]->ops.setup(nfs[i], nfs[i]->p.arg);
			if (ret < 0) {
				SDNFV_LOG(nf, ERR, "NF %s: setup failed: %d", nfs[i]->name, ret);
				return ret;
			}
		}
		ret = mp_request(SDNFV_MP_READY, &req, sizeof(req), &reply, NULL);
		if (ret < 0)
			return ret;
	}

	while (left > 0) {
		bool busy = false;
		uint64_t now;

		for (i = 0; i < n; i++) {
			struct sdnfv_nf *nf = nfs[i];
			struct sdnfv_host_nf *s = nf->slot;
			unsigned int k;

			if (nf->finished)
				continue;
			if (!nf->stopping &&
			    (nf_signalled || __atomic_load_n(&nf->stop, __ATOMIC_ACQUIRE) ||
			     __atomic_load_n(&s->stop_req, __ATOMIC_ACQUIRE))) {
				ret = begin_stop(nf);
				if (ret < 0) {
					SDNFV_LOG(nf, ERR, "NF %s: graceful stop refused: %d",
						  nf->name, ret);
					return ret;
				}
			}
			k = sdnfv_ring_sc_dequeue_burst(s->rx, (void **)s->in, nf->p.burst, NULL);
			if (k > 0) {
				__atomic_store_n(&s->in_n, k, __ATOMIC_RELEASE);
				sdnfv_nf__burst(nf, s->in, k);
				/* Only now are the packets out of our hands (see ring_done). */
				__atomic_store_n(&s->ring_done, s->ring_done + k, __ATOMIC_RELEASE);
				busy = true;
			}
			if (nf->n_released > 0)
				sdnfv_nf__flush_released(nf);
			if (sdnfv_ring_count(s->to_nf) > 0)
				handle_messages(nf);
			if (nf->stopping && k == 0 && finish_stop(nf))
				left--;
		}
		/* Reading the clock costs more than a busy iteration's work: while bursts keep
		 * coming, look at it only every 64 iterations. */
		if (busy && (++busy_loops & 63) != 0)
			continue;
		now = sdnfv_clock_ns();
		if (busy) {
			last_busy = now;
			if (now - last_idle < 1000000ull)
				continue;
		}
		/* Idle callbacks: when idle, and at least every idle_us. */
		for (i = 0; i < n; i++) {
			struct sdnfv_nf *nf = nfs[i];

			if (nf->finished || nf->ops.idle == NULL)
				continue;
			if (!busy || now - nf->last_idle >= nf->p.idle_us * 1000ull) {
				nf->last_idle = now;
				nf->ops.idle(nf, now, nf->p.arg);
			}
		}
		last_idle = now;
		if (now - last_alive > 100000000ull) {
			last_alive = now;
			if (!rte_eal_primary_proc_alive(NULL)) {
				SDNFV_LOG(nf, ERR, "the host manager is gone; stopping");
				return -EPIPE;
			}
		}
		if (!busy && all_sleep && now - last_busy > nfs[0]->p.spin_us * 1000ull)
			sleep_on_manager(nfs, n, RTE_MIN(nfs[0]->p.idle_us, 100000u));
	}
	return 0;
}

int
sdnfv_nf_run(struct sdnfv_nf *nf)
{
	return sdnfv_nf_group_run(&nf, 1);
}
