/* SPDX-License-Identifier: BSD-3-Clause */
/* The host manager: creation, NF admission and liveness, the control thread, stop. The packet
 * path is in disp.c, policy and path changes in chains.c, telemetry in telemetry.c. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/params.h"
#include "mgr/mgr_internal.h"

/* The mgr log type is registered in policy.c. */

/* The one manager of this process: rte_mp handlers have no argument. */
static struct sdnfv_mgr *the_mgr;

const char *
sdnfv_mgr_drop_name(unsigned int reason)
{
	static const char *const names[SDNFV_MGR_DROP__MAX] = {
		[SDNFV_MGR_DROP_VERDICT] = "verdict",
		[SDNFV_MGR_DROP_NO_RULE] = "no_rule",
		[SDNFV_MGR_DROP_CHAIN] = "chain",
		[SDNFV_MGR_DROP_NO_INSTANCE] = "no_instance",
		[SDNFV_MGR_DROP_ENTRY_FULL] = "entry_full",
		[SDNFV_MGR_DROP_PORT_FULL] = "port_full",
		[SDNFV_MGR_DROP_BAD_DEST] = "bad_dest",
		[SDNFV_MGR_DROP_NF_GONE] = "nf_gone",
		[SDNFV_MGR_DROP_NF_DIED] = "nf_died",
		[SDNFV_MGR_DROP_HOLD_FULL] = "hold_full",
		[SDNFV_MGR_DROP_NO_CONTROLLER] = "no_controller",
		[SDNFV_MGR_DROP_PACKET_IN_LIMIT] = "packet_in_limit",
		[SDNFV_MGR_DROP_BUFFER] = "buffer",
		[SDNFV_MGR_DROP_TO_CONTROLLER] = "to_controller",
	};

	RTE_BUILD_BUG_ON((int)SDNFV_MGR_DROP__MAX != (int)SDNFV_DROP__MAX);
	return reason < SDNFV_MGR_DROP__MAX ? names[reason] : "unknown";
}

/* ---------------------------------------------------------------------------------------- */
/* NF slots                                                                                   */

static void
ring_name(char *buf, size_t len, const char *kind, uint16_t id)
{
	snprintf(buf, len, "sdnfv_nf%u_%s", id, kind);
}

static void
slot_free(struct sdnfv_mgr *mgr, uint16_t id)
{
	struct sdnfv_host_nf *s = mgr->host->nfs[id];
	struct sdnfv_host_msg *msg;

	if (s == NULL)
		return;
	if (s->to_nf != NULL)
		while (sdnfv_ring_sc_dequeue_burst(s->to_nf, (void **)&msg, 1, NULL) == 1)
			rte_free(msg);
	if (s->to_mgr != NULL)
		while (sdnfv_ring_sc_dequeue_burst(s->to_mgr, (void **)&msg, 1, NULL) == 1)
			rte_free(msg);
	sdnfv_ring_free(s->rx);
	sdnfv_ring_free(s->tx);
	sdnfv_ring_free(s->to_nf);
	sdnfv_ring_free(s->to_mgr);
	__atomic_store_n(&mgr->host->nfs[id], NULL, __ATOMIC_RELEASE);
	rte_free(s);
	if (mgr->pidfd[id] >= 0)
		close(mgr->pidfd[id]);
	mgr->pidfd[id] = -1;
}

/* A slot and (for an NF process) its four rings, on the NF's socket. Under the lock. */
static int
slot_alloc(struct sdnfv_mgr *mgr, const char *name, const char *service, int socket,
	   uint32_t max_held, bool rings, uint16_t *out)
{
	struct sdnfv_host *h = mgr->host;
	struct sdnfv_host_nf *s;
	char rn[SDNFV_RING_NAME_MAX + 1];
	int svc, ret;
	uint32_t id;

	svc = sdnfv_service_id(h->services, service);
	if (svc < 0 && mgr->ctl != NULL && mgr->ctl->dynamic_services) {
		/* Under a controller, a service appears with its first NF (a new port). */
		svc = sdnfv_service_add(h->services, service);
		if (svc >= 0)
			SDNFV_LOG(mgr, INFO, "NF %s: new service %s (id %d)", name, service, svc);
	}
	if (svc < 0) {
		SDNFV_LOG(mgr, ERR, "NF %s: service %s is not in the host's policy", name, service);
		return -ENOENT;
	}
	for (id = 0; id < h->max_nfs; id++)
		if (h->nfs[id] == NULL)
			break;
	if (id == h->max_nfs) {
		SDNFV_LOG(mgr, ERR, "NF %s: the host has %u NFs, its capacity", name, h->max_nfs);
		return -ENOSPC;
	}
	s = rte_zmalloc_socket("sdnfv_nf", sizeof(*s) + max_held * sizeof(struct rte_mbuf *),
			       RTE_CACHE_LINE_SIZE, socket);
	if (s == NULL)
		s = rte_zmalloc("sdnfv_nf", sizeof(*s) + max_held * sizeof(struct rte_mbuf *),
				RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return -ENOMEM;
	s->id = (uint16_t)id;
	s->service = (uint16_t)svc;
	s->socket = (uint32_t)socket;
	s->max_held = max_held;
	s->held = (struct rte_mbuf **)(s + 1);
	snprintf(s->name, sizeof(s->name), "%s", name);
	__atomic_store_n(&h->nfs[id], s, __ATOMIC_RELEASE);
	if (rings) {
		struct {
			const char *kind;
			struct sdnfv_ring **r;
			unsigned int count;
		} want[] = {
			{ "rx", &s->rx, mgr->p.nf_ring_size },
			{ "tx", &s->tx, mgr->p.nf_ring_size },
			{ "in", &s->to_nf, 64 },
			{ "out", &s->to_mgr, 256 },
		};
		unsigned int i;

		for (i = 0; i < RTE_DIM(want); i++) {
			ring_name(rn, sizeof(rn), want[i].kind, (uint16_t)id);
			ret = sdnfv_ring_create(rn, want[i].count, socket, 0, want[i].r);
			if (ret < 0) {
				SDNFV_LOG(mgr, ERR, "NF %s: cannot create ring %s: %s", name, rn,
					  strerror(-ret));
				slot_free(mgr, (uint16_t)id);
				return ret;
			}
		}
	}
	*out = (uint16_t)id;
	return 0;
}

static int
post_cmd(struct sdnfv_mgr *mgr, enum mgr_cmd_type type, uint16_t id)
{
	uintptr_t cmd = ((uintptr_t)type << 16) | id;

	while (rte_ring_mp_enqueue(mgr->cmds, (void *)cmd) != 0)
		rte_delay_us_sleep(100);
	return 0;
}

/* Wait until the dispatcher has finished every loop iteration that began before this call (or
 * is not running): after it, no packet is routed with what was changed before. */
static void
wait_dispatcher(struct sdnfv_mgr *mgr)
{
	uint64_t e0, deadline;

	/* The changes before this call (bucket stores) must be visible before the epoch is read:
	 * a store may otherwise pass the load. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	e0 = __atomic_load_n(&mgr->epoch, __ATOMIC_ACQUIRE);
	deadline = sdnfv_clock_ns() + 2000000000ull;
	while (__atomic_load_n(&mgr->running, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&mgr->epoch, __ATOMIC_ACQUIRE) < e0 + 2 &&
	       sdnfv_clock_ns() < deadline)
		rte_delay_us_sleep(20);
}

/* Make an NF an instance of its service, or take it out. Under the lock. */
static void
instance_set(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s, bool live)
{
	int ret;

	if (live) {
		ret = sdnfv_service_instance_add(mgr->host->services, s->service, s->id);
		if (ret == 0)
			mgr->n_running++;
	} else {
		ret = sdnfv_service_instance_remove(mgr->host->services, s->service, s->id);
		if (ret >= 0)
			mgr->n_running--;
	}
	if (ret < 0 && ret != -EEXIST && ret != -ENOENT)
		SDNFV_LOG(mgr, ERR, "NF %s: service %u instance change failed: %s", s->name,
			  s->service, strerror(-ret));
}

/* ---------------------------------------------------------------------------------------- */
/* Registration over rte_mp (runs in the EAL's IPC thread)                                    */

static int
mp_reply(const struct rte_mp_msg *req, const void *peer, int result, uint16_t id, uint16_t service,
	 int fd)
{
	struct rte_mp_msg msg;
	struct sdnfv_mp_reply r = { .result = result, .id = id, .service = service };

	memset(&msg, 0, sizeof(msg));
	snprintf(msg.name, sizeof(msg.name), "%s", req->name);
	memcpy(msg.param, &r, sizeof(r));
	msg.len_param = sizeof(r);
	if (fd >= 0) {
		msg.num_fds = 1;
		msg.fds[0] = fd;
	}
	return rte_mp_reply(&msg, peer);
}

static int
on_register(const struct rte_mp_msg *msg, const void *peer)
{
	struct sdnfv_mgr *mgr = the_mgr;
	struct sdnfv_mp_register_req req;
	struct sdnfv_host_nf *s;
	uint64_t t0 = sdnfv_clock_ns(), us;
	uint16_t id = 0;
	int ret, efd = -1, pfd;
	uint32_t i;

	if (mgr == NULL || msg->len_param != (int)sizeof(req)) {
		SDNFV_LOG(mgr, ERR, "NF registration: malformed request (%d bytes)",
			  msg->len_param);
		return mp_reply(msg, peer, -EINVAL, 0, 0, -1);
	}
	memcpy(&req, msg->param, sizeof(req));
	req.name[sizeof(req.name) - 1] = '\0';
	req.service[sizeof(req.service) - 1] = '\0';
	if (req.max_held == 0 || req.max_held > (1u << 20)) {
		SDNFV_LOG(mgr, ERR, "NF %s: bad max_held %u", req.name, req.max_held);
		return mp_reply(msg, peer, -EINVAL, 0, 0, -1);
	}
	pthread_mutex_lock(&mgr->lock);
	if (__atomic_load_n(&mgr->host->state, __ATOMIC_ACQUIRE) != SDNFV_HOST_READY) {
		ret = -ESHUTDOWN;
		goto out;
	}
	/* mempool caches are per lcore id: two live processes must not share one. */
	for (i = 0; i < mgr->host->max_nfs; i++) {
		s = mgr->host->nfs[i];
		if (s != NULL && s->pid != req.pid && s->lcore == req.lcore &&
		    req.lcore != LCORE_ID_ANY && s->state != SDNFV_NF_DEAD &&
		    s->state != SDNFV_NF_STOPPED) {
			SDNFV_LOG(
				mgr, ERR,
				"NF %s: lcore id %u is used by NF %s (pid %d); give each NF process "
				"its own --lcores=<id>@<cpu>",
				req.name, req.lcore, s->name, s->pid);
			ret = -EEXIST;
			goto out;
		}
	}
	pfd = (int)syscall(SYS_pidfd_open, req.pid, 0);
	if (pfd < 0) {
		ret = -errno;
		SDNFV_LOG(mgr, ERR, "NF %s: cannot watch pid %d: %s", req.name, req.pid,
			  strerror(errno));
		goto out;
	}
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		ret = -errno;
		close(pfd);
		goto out;
	}
	ret = slot_alloc(mgr, req.name, req.service,
			 req.socket >= 0 ? req.socket : (int)SOCKET_ID_ANY, req.max_held, true,
			 &id);
	if (ret < 0) {
		close(pfd);
		close(efd);
		efd = -1;
		goto out;
	}
	s = mgr->host->nfs[id];
	s->pid = req.pid;
	s->lcore = req.lcore;
	s->group = req.group;
	mgr->pidfd[id] = pfd;
	mgr->efd[id] = efd; /* the dispatcher wakes the NF through it */
	__atomic_store_n(&s->state, SDNFV_NF_STARTING, __ATOMIC_RELEASE);
	mgr->n_live++;
	mgr->nfs_admitted++;
	post_cmd(mgr, MGR_CMD_NF_ADD, id);
	ret = 0;
	SDNFV_LOG(mgr, INFO, "NF %s (pid %d, lcore %u) registered as id %u, service %s", req.name,
		  req.pid, req.lcore, id, req.service);
out:
	us = (sdnfv_clock_ns() - t0) / 1000;
	if (us > mgr->register_us_max)
		mgr->register_us_max = us;
	pthread_mutex_unlock(&mgr->lock);
	return mp_reply(msg, peer, ret, id, ret == 0 ? s->service : 0, ret == 0 ? efd : -1);
}

static struct sdnfv_host_nf *
mp_slot(struct sdnfv_mgr *mgr, const struct rte_mp_msg *msg, uint16_t *id)
{
	struct sdnfv_mp_id_req req;

	if (msg->len_param != (int)sizeof(req))
		return NULL;
	memcpy(&req, msg->param, sizeof(req));
	if (req.id >= mgr->host->max_nfs)
		return NULL;
	*id = req.id;
	return mgr->host->nfs[req.id];
}

/* One lifecycle step of an NF asked over rte_mp (ready, bye): `step` runs under the lock on the
 * NF's slot and returns 0 or -errno, which the NF gets back. */
static int
mp_nf_step(const struct rte_mp_msg *msg, const void *peer,
	   int (*step)(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s))
{
	struct sdnfv_mgr *mgr = the_mgr;
	struct sdnfv_host_nf *s;
	uint16_t id = 0;
	int ret = -ENOENT;

	if (mgr == NULL)
		return mp_reply(msg, peer, -ENOENT, 0, 0, -1);
	pthread_mutex_lock(&mgr->lock);
	s = mp_slot(mgr, msg, &id);
	if (s != NULL)
		ret = step(mgr, s);
	pthread_mutex_unlock(&mgr->lock);
	return mp_reply(msg, peer, ret, id, 0, -1);
}

/* The NF set up and runs: it becomes an instance of its service. */
static int
step_ready(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s)
{
	if (s->state != SDNFV_NF_STARTING)
		return -ENOENT;
	/* Running first: the dispatcher may send to it the moment it owns a bucket. */
	__atomic_store_n(&s->state, SDNFV_NF_RUNNING, __ATOMIC_RELEASE);
	instance_set(mgr, s, true);
	return 0;
}

static int
on_ready(const struct rte_mp_msg *msg, const void *peer)
{
	return mp_nf_step(msg, peer, step_ready);
}

/* Stop sending to an NF: out of its service, then every dispatcher iteration that might still
 * have chosen it has ended. Under the lock. */
static void
nf_drain_begin(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s)
{
	if (s->state == SDNFV_NF_RUNNING)
		instance_set(mgr, s, false);
	__atomic_store_n(&s->state, SDNFV_NF_DRAINING, __ATOMIC_RELEASE);
	wait_dispatcher(mgr);
}

/* The NF wants to leave: after the reply, nothing more is sent to it. */
static int
step_bye(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s)
{
	if (s->state == SDNFV_NF_RUNNING || s->state == SDNFV_NF_STARTING)
		nf_drain_begin(mgr, s);
	else if (s->state != SDNFV_NF_DRAINING)
		return -ENOENT;
	return 0;
}

static int
on_bye(const struct rte_mp_msg *msg, const void *peer)
{
	return mp_nf_step(msg, peer, step_bye);
}

int
sdnfv_mgr_nf_stop(struct sdnfv_mgr *mgr, uint16_t id)
{
	struct sdnfv_host_nf *s;
	int ret = -ENOENT;

	if (mgr == NULL || id >= mgr->host->max_nfs)
		return -ENOENT;
	pthread_mutex_lock(&mgr->lock);
	s = mgr->host->nfs[id];
	if (s != NULL && (s->state == SDNFV_NF_RUNNING || s->state == SDNFV_NF_STARTING ||
			  s->state == SDNFV_NF_DRAINING)) {
		nf_drain_begin(mgr, s);
		__atomic_store_n(&s->stop_req, 1, __ATOMIC_RELEASE);
		if (mgr->efd[id] >= 0) {
			uint64_t one = 1;

			__atomic_store_n(&s->wake_tsc, rte_get_tsc_cycles(), __ATOMIC_RELEASE);
			(void)!write(mgr->efd[id], &one, sizeof(one));
		}
		ret = 0;
	}
	pthread_mutex_unlock(&mgr->lock);
	return ret;
}

int
sdnfv_mgr_nf_send(struct sdnfv_mgr *mgr, uint16_t id, uint32_t type, const void *data, size_t len)
{
	struct sdnfv_host_msg *msg;
	struct sdnfv_host_nf *s;
	int ret = 0;

	if (mgr == NULL || id >= mgr->host->max_nfs || (data == NULL && len > 0) ||
	    len > UINT32_MAX)
		return -EINVAL;
	pthread_mutex_lock(&mgr->lock);
	s = mgr->host->nfs[id];
	if (s == NULL || s->state == SDNFV_NF_DEAD || s->state == SDNFV_NF_STOPPED) {
		ret = -ENOENT;
		goto out;
	}
	msg = rte_malloc(NULL, sizeof(*msg) + len, 0);
	if (msg == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	msg->type = SDNFV_HOST_MSG_USER;
	msg->user_type = type;
	msg->nf = id;
	msg->len = (uint32_t)len;
	if (len > 0)
		memcpy(msg->data, data, len);
	if (mgr->disp[id].local != NULL) {
		/* A local NF runs in the dispatcher: queue it there. */
		ret = rte_ring_mp_enqueue(mgr->local_msgs, msg) == 0 ? 0 : -ENOBUFS;
	} else if (sdnfv_ring_sp_enqueue_burst(s->to_nf, (void **)&msg, 1, NULL) != 1) {
		ret = -ENOBUFS;
	}
	if (ret < 0)
		rte_free(msg);
	else if (mgr->efd[id] >= 0) {
		uint64_t one = 1;

		__atomic_store_n(&s->wake_tsc, rte_get_tsc_cycles(), __ATOMIC_RELEASE);
		(void)!write(mgr->efd[id], &one, sizeof(one));
	}
out:
	pthread_mutex_unlock(&mgr->lock);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* The control thread                                                                         */

/* Let the dispatcher forget a gracefully stopped NF, once. Under the lock. */
static void
post_remove(struct sdnfv_mgr *mgr, uint16_t id)
{
	if (!mgr->remove_posted[id]) {
		mgr->remove_posted[id] = true;
		post_cmd(mgr, MGR_CMD_NF_REMOVE, id);
	}
}

/* An NF process exited: take it out of its service and let the dispatcher reclaim its packets.
 * Under the lock. */
static void
nf_died(struct sdnfv_mgr *mgr, uint16_t id)
{
	struct sdnfv_host_nf *s = mgr->host->nfs[id];
	uint64_t t = sdnfv_clock_ns();

	if (s->state == SDNFV_NF_STOPPED) {
		/* It left gracefully and then exited. */
		post_remove(mgr, id);
		close(mgr->pidfd[id]);
		mgr->pidfd[id] = -1;
		return;
	}
	/* The time is CLOCK_MONOTONIC, so a test can compare it with when it killed the NF. */
	SDNFV_LOG(mgr, WARNING,
		  "NF %s (id %u, pid %d) died; noticed at %" PRIu64 ".%06" PRIu64
		  "; its flows move",
		  s->name, id, s->pid, t / UINT64_C(1000000000), t % UINT64_C(1000000000) / 1000);
	if (s->state == SDNFV_NF_RUNNING)
		instance_set(mgr, s, false);
	__atomic_store_n(&s->state, SDNFV_NF_DEAD, __ATOMIC_RELEASE);
	wait_dispatcher(mgr);
	mgr->nfs_died++;
	post_cmd(mgr, MGR_CMD_NF_REAP, id);
	close(mgr->pidfd[id]);
	mgr->pidfd[id] = -1;
}

static void
handle_nf_messages(struct sdnfv_mgr *mgr, struct sdnfv_host_nf *s)
{
	struct sdnfv_host_msg *msgs[16];
	unsigned int i, n;

	if (s->to_mgr == NULL)
		return;
	n = sdnfv_ring_sc_dequeue_burst(s->to_mgr, (void **)msgs, RTE_DIM(msgs), NULL);
	for (i = 0; i < n; i++) {
		sdnfv_mgr__message(mgr, s, msgs[i]);
		rte_free(msgs[i]);
	}
}

/* The flow table's removal reports (in whichever thread wrote, under the lock): to the
 * controller hook, when an agent listens. */
static void
rule_removed(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats,
	     enum sdnfv_flow_removed_reason reason)
{
	struct sdnfv_mgr *mgr = arg;

	if (mgr->ctl != NULL && mgr->ctl->removed != NULL)
		mgr->ctl->removed(mgr->ctl->removed_arg, rule, stats, reason);
}

static void *
control_main(void *arg)
{
	struct sdnfv_mgr *mgr = arg;
	struct pollfd *pfd = calloc(mgr->host->max_nfs, sizeof(*pfd));
	uint16_t *ids = calloc(mgr->host->max_nfs, sizeof(*ids));
	uint64_t last_stats = sdnfv_clock_ns(), last_rates = last_stats;

	if (pfd == NULL || ids == NULL) {
		SDNFV_LOG(mgr, ERR, "control thread: out of memory");
		free(pfd);
		free(ids);
		return NULL;
	}
	while (!__atomic_load_n(&mgr->ctl_stop, __ATOMIC_ACQUIRE)) {
		unsigned int n = 0, i;
		uint32_t id;

		pthread_mutex_lock(&mgr->lock);
		for (id = 0; id < mgr->host->max_nfs; id++) {
			if (mgr->pidfd[id] < 0)
				continue;
			pfd[n].fd = mgr->pidfd[id];
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			ids[n++] = (uint16_t)id;
		}
		pthread_mutex_unlock(&mgr->lock);
		/* A pidfd turns readable when its process exits. The loop also serves NF messages
		 * (path changes), so it wakes at least every millisecond. */
		if (n > 0)
			poll(pfd, n, (int)RTE_MIN(mgr->p.liveness_ms, 1u));
		else
			rte_delay_us_sleep(1000);

		pthread_mutex_lock(&mgr->lock);
		for (i = 0; i < n; i++) {
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    mgr->pidfd[ids[i]] == pfd[i].fd)
				nf_died(mgr, ids[i]);
		}
		for (id = 0; id < mgr->host->max_nfs; id++) {
			struct sdnfv_host_nf *s = mgr->host->nfs[id];

			if (s != NULL && mgr->disp[id].local == NULL)
				handle_nf_messages(mgr, s);
			/* A gracefully stopped NF whose process lives on (a group or a host
			 * program that keeps running) is forgotten too. */
			if (s != NULL && s->state == SDNFV_NF_STOPPED)
				post_remove(mgr, (uint16_t)id);
		}
		sdnfv_mgr__local_messages(mgr);
		sdnfv_flow_maintain(mgr->flows, 4096);
		sdnfv_mgr__reap_done(mgr);
		if (sdnfv_clock_ns() - last_rates >= 1000000000ull) {
			sdnfv_mgr__rates_update(mgr, sdnfv_clock_ns() - last_rates);
			last_rates = sdnfv_clock_ns();
		}
		pthread_mutex_unlock(&mgr->lock);

		if (mgr->p.stats_period_ms > 0 &&
		    sdnfv_clock_ns() - last_stats >= mgr->p.stats_period_ms * 1000000ull) {
			last_stats = sdnfv_clock_ns();
			sdnfv_mgr_dump(mgr, stdout);
			fflush(stdout);
		}
	}
	free(pfd);
	free(ids);
	return NULL;
}

/* Messages from NFs the dispatcher runs: they reach the control thread through local_up. */
int
sdnfv_mgr__local_msg(void *arg, struct sdnfv_nf *nf, struct sdnfv_host_msg *msg)
{
	struct sdnfv_mgr *mgr = arg;

	(void)nf;
	return rte_ring_sp_enqueue(mgr->local_up, msg) == 0 ? 0 : -ENOBUFS;
}

void
sdnfv_mgr__local_messages(struct sdnfv_mgr *mgr)
{
	struct sdnfv_host_msg *msg;

	while (rte_ring_sc_dequeue(mgr->local_up, (void **)&msg) == 0) {
		if (msg->nf < mgr->host->max_nfs && mgr->host->nfs[msg->nf] != NULL)
			sdnfv_mgr__message(mgr, mgr->host->nfs[msg->nf], msg);
		rte_free(msg);
	}
}

/* Free the slots the dispatcher has finished with. Under the lock. */
void
sdnfv_mgr__reap_done(struct sdnfv_mgr *mgr)
{
	uint32_t id;

	for (id = 0; id < mgr->host->max_nfs; id++) {
		struct mgr_disp_nf *d = &mgr->disp[id];

		if (!__atomic_load_n(&d->done, __ATOMIC_ACQUIRE))
			continue;
		if (mgr->efd[id] >= 0)
			close(mgr->efd[id]);
		mgr->efd[id] = -1;
		slot_free(mgr, (uint16_t)id);
		memset(d, 0, sizeof(*d));
		mgr->remove_posted[id] = false;
		mgr->n_live--;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Create, ports, local NFs                                                                   */

static int
read_mgr_params(const struct sdnfv_mgr_params *in, struct sdnfv_mgr_params *p)
{
	if (sdnfv_params_read(in, p, sizeof(*p), offsetof(struct sdnfv_mgr_params, pool_size)) <
	    0) {
		SDNFV_LOG(mgr, ERR, "NULL or too short manager parameters");
		return -EINVAL;
	}
	if (p->pool_name == NULL)
		p->pool_name = "sdnfv";
	if (p->pool_size == 0)
		p->pool_size = 16383;
	if (p->max_nfs == 0)
		p->max_nfs = 1024;
	if (p->max_services == 0)
		p->max_services = 1024;
	if (p->max_instances == 0)
		p->max_instances = 64;
	if (p->max_chains == 0)
		p->max_chains = 4096;
	if (p->max_rules == 0)
		p->max_rules = 65536;
	if (p->max_flows == 0)
		p->max_flows = 262144;
	if (p->nf_ring_size == 0)
		p->nf_ring_size = 1024;
	if (p->burst == 0)
		p->burst = 32;
	if (p->liveness_ms == 0)
		p->liveness_ms = 10;
	if (p->burst > SDNFV_NF_BURST_MAX || p->max_nfs > SDNFV_SERVICE_NONE ||
	    p->max_services >= SDNFV_SERVICE_NONE || p->max_chains > UINT16_MAX ||
	    p->max_instances >= SDNFV_SERVICE_NONE || p->nf_ring_size < 2 * SDNFV_NF_BURST_MAX) {
		SDNFV_LOG(mgr, ERR,
			  "bad manager parameters (burst <= %u, max_nfs/services/instances < %u, "
			  "max_chains <= 65535, nf_ring_size >= %u)",
			  SDNFV_NF_BURST_MAX, SDNFV_SERVICE_NONE, 2 * SDNFV_NF_BURST_MAX);
		return -EINVAL;
	}
	return 0;
}

static int
host_create(struct sdnfv_mgr *mgr)
{
	struct sdnfv_service_params sp = {
		.sz = sizeof(sp),
		.max_services = mgr->p.max_services,
		.max_instances = mgr->p.max_instances,
		.buckets = 1024,
	};
	size_t svc_size = sdnfv_service_table_size(&sp);
	size_t off_svc = RTE_ALIGN_CEIL(sizeof(struct sdnfv_host), 64);
	size_t off_fb = RTE_ALIGN_CEIL(off_svc + svc_size, 64);
	size_t off_chains = RTE_ALIGN_CEIL(off_fb + mgr->p.max_services, 64);
	size_t off_nfs = RTE_ALIGN_CEIL(
		off_chains + (size_t)mgr->p.max_chains * sizeof(struct sdnfv_host_chain), 64);
	size_t total = off_nfs + (size_t)mgr->p.max_nfs * sizeof(struct sdnfv_host_nf *);
	struct sdnfv_host *h;
	char *base;

	if (svc_size == 0)
		return -EINVAL;
	mgr->mz = rte_memzone_reserve(SDNFV_HOST_MZ, total, SOCKET_ID_ANY, 0);
	if (mgr->mz == NULL) {
		int err = rte_errno;

		SDNFV_LOG(mgr, ERR, "cannot reserve the host memory (%zu bytes): %s", total,
			  rte_strerror(err));
		return err == EEXIST ? -EEXIST : -ENOMEM;
	}
	base = mgr->mz->addr;
	memset(base, 0, total);
	h = (struct sdnfv_host *)base;
	h->version = SDNFV_HOST_VERSION;
	h->state = SDNFV_HOST_STARTING;
	h->mgr_pid = getpid();
	h->max_nfs = mgr->p.max_nfs;
	h->max_chains = mgr->p.max_chains;
	h->max_services = mgr->p.max_services;
	h->tsc_hz = rte_get_tsc_hz();
	h->services = sdnfv_service_table_init(base + off_svc, svc_size, &sp);
	h->fallback = (uint8_t *)(base + off_fb);
	h->chains = (struct sdnfv_host_chain *)(base + off_chains);
	h->nfs = (struct sdnfv_host_nf **)(base + off_nfs);
	if (h->services == NULL)
		return -EINVAL;
	__atomic_store_n(&h->magic, SDNFV_HOST_MAGIC, __ATOMIC_RELEASE);
	mgr->host = h;
	return 0;
}

int
sdnfv_mgr_create(const struct sdnfv_mgr_params *params, struct sdnfv_mgr **out)
{
	struct sdnfv_mgr *mgr;
	struct sdnfv_pool_params pp = { .sz = sizeof(pp) };
	struct sdnfv_flow_table_params fp = { .sz = sizeof(fp) };
	uint32_t i;
	int ret;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		SDNFV_LOG(mgr, ERR, "a manager must be the DPDK primary process");
		return -EINVAL;
	}
	mgr = calloc(1, sizeof(*mgr));
	if (mgr == NULL)
		return -ENOMEM;
	ret = read_mgr_params(params, &mgr->p);
	if (ret < 0)
		goto fail_early;
	if (the_mgr != NULL) {
		SDNFV_LOG(mgr, ERR, "this process runs a manager already");
		ret = -EEXIST;
		goto fail_early;
	}
	pthread_mutex_init(&mgr->lock, NULL);
	mgr->miss_chain = -1;
	mgr->ports = calloc(RTE_MAX_ETHPORTS, sizeof(*mgr->ports));
	mgr->disp = calloc(mgr->p.max_nfs, sizeof(*mgr->disp));
	mgr->poll_list = calloc(mgr->p.max_nfs, sizeof(*mgr->poll_list));
	mgr->pidfd = calloc(mgr->p.max_nfs, sizeof(int));
	mgr->efd = calloc(mgr->p.max_nfs, sizeof(int));
	mgr->remove_posted = calloc(mgr->p.max_nfs, sizeof(bool));
	mgr->locals = calloc(mgr->p.max_nfs, sizeof(*mgr->locals));
	mgr->chain_info = calloc(mgr->p.max_chains, sizeof(*mgr->chain_info));
	mgr->service_chain = malloc(mgr->p.max_services * sizeof(*mgr->service_chain));
	mgr->in_port_chain = -1;
	if (mgr->ports == NULL || mgr->disp == NULL || mgr->poll_list == NULL ||
	    mgr->pidfd == NULL || mgr->efd == NULL || mgr->remove_posted == NULL ||
	    mgr->locals == NULL || mgr->chain_info == NULL || mgr->service_chain == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < mgr->p.max_services; i++)
		mgr->service_chain[i] = -1;
	for (i = 0; i < mgr->p.max_nfs; i++)
		mgr->pidfd[i] = mgr->efd[i] = -1;

	pp.name = mgr->p.pool_name;
	pp.n_mbufs = mgr->p.pool_size;
	pp.cache_size = 256;
	ret = sdnfv_pool_create(&pp, &mgr->pool);
	if (ret < 0)
		goto fail;
	ret = host_create(mgr);
	if (ret < 0)
		goto fail;

	fp.name = "sdnfv_mgr";
	fp.socket_id = SOCKET_ID_ANY;
	fp.max_rules = mgr->p.max_rules;
	fp.max_flows = mgr->p.max_flows;
	fp.max_readers = 4;
	fp.removed = rule_removed;
	fp.removed_arg = mgr;
	ret = sdnfv_flow_table_create(&fp, &mgr->flows);
	if (ret < 0)
		goto fail;

	mgr->cmds = rte_ring_create("sdnfv_mgr_cmds", 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
	mgr->local_msgs = rte_ring_create("sdnfv_mgr_lmsg", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	mgr->local_up = rte_ring_create("sdnfv_mgr_lup", 4096, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mgr->cmds == NULL || mgr->local_msgs == NULL || mgr->local_up == NULL) {
		ret = -ENOMEM;
		goto fail;
	}

	the_mgr = mgr;
	if (rte_mp_action_register(SDNFV_MP_REGISTER, on_register) < 0 ||
	    rte_mp_action_register(SDNFV_MP_READY, on_ready) < 0 ||
	    rte_mp_action_register(SDNFV_MP_BYE, on_bye) < 0) {
		ret = -rte_errno;
		SDNFV_LOG(mgr, ERR, "cannot register the NF channel: %s", rte_strerror(rte_errno));
		goto fail;
	}
	ret = sdnfv_mgr__telemetry_register(mgr);
	if (ret < 0)
		goto fail;
	ret = rte_ctrl_thread_create(&mgr->ctl_thread, "sdnfv-mgr-ctl", NULL, control_main, mgr);
	if (ret != 0) {
		ret = -ret;
		goto fail;
	}
	mgr->ctl_started = true;
	__atomic_store_n(&mgr->host->state, SDNFV_HOST_READY, __ATOMIC_RELEASE);
	*out = mgr;
	return 0;
fail:
	sdnfv_mgr_free(mgr);
	return ret;
fail_early:
	free(mgr);
	return ret;
}

int
sdnfv_mgr_port_add(struct sdnfv_mgr *mgr, uint16_t port_id)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_mempool *mp;
	int ret, socket;

	if (mgr == NULL)
		return -EINVAL;
	if (!rte_eth_dev_is_valid_port(port_id)) {
		SDNFV_LOG(mgr, ERR, "port %u does not exist", port_id);
		return -ENODEV;
	}
	if (mgr->ports[port_id].used)
		return -EEXIST;
	socket = rte_eth_dev_socket_id(port_id);
	mp = sdnfv_pool_mempool(mgr->pool, socket < 0 ? 0 : socket);
	if (mp == NULL)
		mp = sdnfv_pool_mempool(mgr->pool, (int)rte_socket_id());
	if (mp == NULL) {
		int s;

		if (sdnfv_pool_sockets(mgr->pool, &s, 1) < 1)
			return -ENOMEM;
		mp = sdnfv_pool_mempool(mgr->pool, s);
	}
	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(port_id, 1, 1, &conf);
	if (ret < 0)
		goto err;
	ret = rte_eth_rx_queue_setup(port_id, 0, 1024, socket < 0 ? SOCKET_ID_ANY : socket, NULL,
				     mp);
	if (ret < 0)
		goto err;
	ret = rte_eth_tx_queue_setup(port_id, 0, 1024, socket < 0 ? SOCKET_ID_ANY : socket, NULL);
	if (ret < 0)
		goto err;
	ret = rte_eth_dev_start(port_id);
	if (ret < 0)
		goto err;
	rte_eth_promiscuous_enable(port_id);
	mgr->ports[port_id].id = port_id;
	mgr->ports[port_id].used = true;
	mgr->port_list[mgr->n_ports++] = port_id;
	SDNFV_LOG(mgr, INFO, "port %u (%s) up", port_id, info.driver_name);
	return 0;
err:
	SDNFV_LOG(mgr, ERR, "port %u: cannot set up: %s", port_id, strerror(-ret));
	return ret;
}

int
sdnfv_mgr_policy_load(struct sdnfv_mgr *mgr, const char *path, char *err, size_t errlen)
{
	int ret;

	if (mgr == NULL || path == NULL)
		return -EINVAL;
	pthread_mutex_lock(&mgr->lock);
	ret = sdnfv_mgr__policy_apply(mgr, path, err, errlen);
	pthread_mutex_unlock(&mgr->lock);
	return ret;
}

int
sdnfv_mgr_nf_add_local(struct sdnfv_mgr *mgr, const struct sdnfv_nf_params *params,
		       struct sdnfv_nf **out)
{
	struct sdnfv_nf *nf;
	struct sdnfv_host_nf *s;
	uint16_t id;
	int ret;

	if (mgr == NULL || params == NULL)
		return -EINVAL;
	if (__atomic_load_n(&mgr->running, __ATOMIC_ACQUIRE)) {
		SDNFV_LOG(mgr, ERR, "local NFs are added before the dispatcher runs");
		return -EBUSY;
	}
	nf = calloc(1, sizeof(*nf));
	if (nf == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&mgr->lock);
	if (params->sz < offsetof(struct sdnfv_nf_params, mode) || params->service == NULL) {
		ret = -EINVAL;
		goto fail;
	}
	ret = slot_alloc(mgr, params->name ? params->name : params->service, params->service,
			 (int)rte_socket_id(), params->max_held ? params->max_held : 1024, false,
			 &id);
	if (ret < 0)
		goto fail;
	s = mgr->host->nfs[id];
	s->pid = getpid();
	s->lcore = LCORE_ID_ANY;
	ret = sdnfv_nf__local_init(nf, params, mgr->host, s);
	if (ret < 0) {
		slot_free(mgr, id);
		goto fail;
	}
	nf->local_out = sdnfv_mgr__local_out;
	nf->local_msg = sdnfv_mgr__local_msg;
	nf->local_arg = mgr;
	mgr->disp[id].slot = s;
	mgr->disp[id].local = nf;
	mgr->locals[mgr->n_locals++] = nf;
	if (nf->ops.setup != NULL) {
		ret = nf->ops.setup(nf, nf->p.arg);
		if (ret < 0) {
			SDNFV_LOG(mgr, ERR, "local NF %s: setup failed: %d", nf->name, ret);
			mgr->n_locals--;
			memset(&mgr->disp[id], 0, sizeof(mgr->disp[id]));
			slot_free(mgr, id);
			goto fail;
		}
	}
	__atomic_store_n(&s->state, SDNFV_NF_RUNNING, __ATOMIC_RELEASE);
	instance_set(mgr, s, true);
	mgr->n_live++;
	mgr->nfs_admitted++;
	pthread_mutex_unlock(&mgr->lock);
	if (out != NULL)
		*out = nf;
	return id;
fail:
	pthread_mutex_unlock(&mgr->lock);
	free(nf);
	return ret;
}

void
sdnfv_mgr_stop(struct sdnfv_mgr *mgr)
{
	if (mgr != NULL)
		__atomic_store_n(&mgr->stop, 1, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------------------------------- */
/* Stats and free                                                                             */

void
sdnfv_mgr_stats(struct sdnfv_mgr *mgr, struct sdnfv_mgr_stats *out)
{
	int sockets[8];
	int i, n;

	memset(out, 0, sizeof(*out));
	out->rx = mgr->rx;
	out->tx = mgr->tx;
	out->to_nf = mgr->to_nf;
	out->from_nf = mgr->from_nf;
	for (i = 0; i < SDNFV_MGR_DROP__MAX; i++)
		out->drops[i] = mgr->drops[i];
	out->nfs_admitted = mgr->nfs_admitted;
	out->nfs_died = mgr->nfs_died;
	out->nfs_live = mgr->n_live;
	out->path_applied = mgr->path_applied;
	out->path_refused = mgr->path_refused;
	out->reports = mgr->reports;
	out->register_us_max = mgr->register_us_max;
	out->busy_cycles = mgr->busy_cycles;
	n = mgr->pool ? sdnfv_pool_sockets(mgr->pool, sockets, RTE_DIM(sockets)) : 0;
	for (i = 0; i < n && i < (int)RTE_DIM(sockets); i++) {
		int u = sdnfv_pool_in_use(mgr->pool, sockets[i]);

		if (u > 0)
			out->pool_in_use += (uint64_t)u;
	}
}

void
sdnfv_mgr_dump(struct sdnfv_mgr *mgr, FILE *f)
{
	struct sdnfv_mgr_stats st;
	uint32_t id;
	int i;

	sdnfv_mgr_stats(mgr, &st);
	fprintf(f,
		"manager: rx %" PRIu64 " tx %" PRIu64 " to_nf %" PRIu64 " from_nf %" PRIu64
		" pool_in_use %" PRIu64 "\n",
		st.rx, st.tx, st.to_nf, st.from_nf, st.pool_in_use);
	fprintf(f, "drops:");
	for (i = 0; i < SDNFV_MGR_DROP__MAX; i++)
		fprintf(f, " %s %" PRIu64, sdnfv_mgr_drop_name((unsigned int)i), st.drops[i]);
	fprintf(f,
		"\nnfs: live %" PRIu64 " admitted %" PRIu64 " died %" PRIu64
		"; paths applied %" PRIu64 " refused %" PRIu64 "; reports %" PRIu64 "\n",
		st.nfs_live, st.nfs_admitted, st.nfs_died, st.path_applied, st.path_refused,
		st.reports);
	for (id = 0; id < mgr->host->max_nfs; id++) {
		struct sdnfv_host_nf *s = mgr->host->nfs[id];

		if (s == NULL)
			continue;
		fprintf(f,
			"  nf %u %-16s service %-12s %s rx %" PRIu64 " tx %" PRIu64
			" dropped %" PRIu64 " entry_drops %" PRIu64 " local_calls %" PRIu64
			" wakeups %" PRIu64 " wake_us_avg %.1f wake_us_max %.1f\n",
			id, s->name, sdnfv_service_name(mgr->host->services, s->service),
			mgr->disp[id].local ? "local" : "process", s->rx_pkts, s->tx_pkts,
			s->dropped, mgr->disp[id].entry_drops, s->local_calls, s->wakeups,
			s->wakeups ? (double)s->wake_cycles / s->wakeups * 1e6 / mgr->host->tsc_hz
				   : 0.0,
			(double)s->wake_cycles_max * 1e6 / mgr->host->tsc_hz);
	}
}

void
sdnfv_mgr_free(struct sdnfv_mgr *mgr)
{
	uint32_t id;
	uint64_t deadline;

	if (mgr == NULL)
		return;
	if (mgr->host != NULL) {
		__atomic_store_n(&mgr->host->state, SDNFV_HOST_STOPPING, __ATOMIC_RELEASE);
		/* Ask every NF process to stop, then wait for them (they drain first). */
		for (id = 0; id < mgr->host->max_nfs; id++)
			if (mgr->host->nfs[id] != NULL && mgr->disp[id].local == NULL)
				sdnfv_mgr_nf_stop(mgr, (uint16_t)id);
		deadline = sdnfv_clock_ns() + 3000000000ull;
		for (;;) {
			bool left = false;

			pthread_mutex_lock(&mgr->lock);
			for (id = 0; id < mgr->host->max_nfs; id++) {
				struct sdnfv_host_nf *s = mgr->host->nfs[id];

				if (s != NULL && mgr->disp[id].local == NULL &&
				    s->state != SDNFV_NF_STOPPED && s->state != SDNFV_NF_DEAD)
					left = true;
			}
			pthread_mutex_unlock(&mgr->lock);
			if (!left)
				break;
			if (sdnfv_clock_ns() > deadline) {
				SDNFV_LOG(mgr, WARNING, "NFs did not stop within 3 s");
				break;
			}
			rte_delay_us_sleep(1000);
		}
		/* Let stopped NF processes exit before memory is freed: freeing hugepage memory
		 * syncs every secondary, and one that is exiting cannot answer. */
		deadline = sdnfv_clock_ns() + 1000000000ull;
		pthread_mutex_lock(&mgr->lock);
		for (id = 0; id < mgr->host->max_nfs; id++) {
			struct pollfd pfd = { .fd = mgr->pidfd[id], .events = POLLIN };
			uint64_t now = sdnfv_clock_ns();

			if (pfd.fd < 0 || now >= deadline)
				continue;
			poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
		}
		pthread_mutex_unlock(&mgr->lock);
	}
	if (mgr->ctl_started) {
		__atomic_store_n(&mgr->ctl_stop, 1, __ATOMIC_RELEASE);
		pthread_join(mgr->ctl_thread, NULL);
	}
	if (the_mgr == mgr) {
		rte_mp_action_unregister(SDNFV_MP_REGISTER);
		rte_mp_action_unregister(SDNFV_MP_READY);
		rte_mp_action_unregister(SDNFV_MP_BYE);
		sdnfv_mgr__telemetry_unregister(mgr);
		the_mgr = NULL;
	}
	for (id = 0; mgr->locals != NULL && id < mgr->n_locals; id++) {
		struct sdnfv_nf *nf = mgr->locals[id];

		if (nf->ops.teardown != NULL)
			nf->ops.teardown(nf, nf->p.arg);
		sdnfv_nf__flush_released(nf);
		free(nf);
	}
	if (mgr->host != NULL) {
		for (id = 0; id < mgr->host->max_nfs; id++) {
			struct sdnfv_host_nf *s = mgr->host->nfs[id];

			if (s == NULL)
				continue;
			sdnfv_mgr__drain_slot(mgr, (uint16_t)id);
			if (mgr->efd[id] >= 0)
				close(mgr->efd[id]);
			slot_free(mgr, (uint16_t)id);
		}
	}
	for (id = 0; id < mgr->n_ports; id++) {
		rte_eth_dev_stop(mgr->port_list[id]);
		rte_eth_dev_close(mgr->port_list[id]);
	}
	sdnfv_mgr__ctl_free(mgr);
	sdnfv_mgr__chains_free(mgr);
	if (mgr->disp_reader != NULL)
		sdnfv_flow_reader_unregister(mgr->disp_reader);
	sdnfv_flow_table_free(mgr->flows);
	rte_ring_free(mgr->cmds);
	rte_ring_free(mgr->local_msgs);
	rte_ring_free(mgr->local_up);
	rte_memzone_free(mgr->mz);
	sdnfv_pool_free(mgr->pool);
	free(mgr->ports);
	free(mgr->disp);
	free(mgr->poll_list);
	free(mgr->pidfd);
	free(mgr->efd);
	free(mgr->remove_posted);
	free(mgr->locals);
	free(mgr->chain_info);
	free(mgr->service_chain);
	free(mgr->pol_rules);
	pthread_mutex_destroy(&mgr->lock);
	free(mgr);
}
