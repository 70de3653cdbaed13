/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-socket packet pools shared by name, and the per-packet metadata field. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include <sdnfv/pool.h>

#include "common/log.h"
#include "common/name.h"
#include "common/params.h"

SDNFV_LOG_REGISTER(pool);

/* "SDNP" + layout version 1 of the shared descriptor. */
#define POOL_MAGIC 0x53444e50u

/* The descriptor in the memzone named after the pool: which sockets have a mempool. Socket ids
 * are below RTE_MAX_NUMA_NODES, a limit DPDK itself imposes. */
struct pool_shared {
	uint32_t magic;
	uint32_t n_sockets;
	int32_t sockets[RTE_MAX_NUMA_NODES];
};

/* The process-local handle. */
struct sdnfv_pool {
	char name[SDNFV_POOL_NAME_MAX + 1];
	bool owner;
	const struct rte_memzone *mz;
	unsigned int n_sockets;
	int sockets[RTE_MAX_NUMA_NODES];
	struct rte_mempool *by_socket[RTE_MAX_NUMA_NODES];
};

int sdnfv_meta_offset = -1;

int
sdnfv_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "sdnfv_meta",
		.size = sizeof(struct sdnfv_meta),
		.align = __alignof__(struct sdnfv_meta),
	};
	int off = rte_mbuf_dynfield_register(&desc);

	if (off < 0) {
		int err = rte_errno;

		SDNFV_LOG(pool, ERR, "cannot register mbuf field sdnfv_meta: %s",
			  rte_strerror(err));
		return -err;
	}
	sdnfv_meta_offset = off;
	return off;
}

static int
check_name(const char *name)
{
	return sdnfv_name_check(sdnfv_logtype_pool, "pool", name, SDNFV_POOL_NAME_MAX);
}

static void
mempool_name(char *buf, size_t len, const char *pool, int socket)
{
	snprintf(buf, len, "%s_p%d", pool, socket);
}

/* Copy the caller's params into a full-size zeroed struct: a caller built against an older,
 * shorter struct leaves the newer fields zero. */
static int
read_params(const struct sdnfv_pool_params *in, struct sdnfv_pool_params *p)
{
	size_t known = offsetof(struct sdnfv_pool_params, sockets) + sizeof(in->sockets);

	if (sdnfv_params_read(in, p, sizeof(*p), known) != 0) {
		SDNFV_LOG(pool, ERR, "pool params missing or their sz too small");
		return -EINVAL;
	}
	return 0;
}

static int
pick_sockets(const struct sdnfv_pool_params *p, int *sockets, unsigned int *n)
{
	unsigned int i, j;

	if (p->n_sockets == 0) {
		*n = rte_socket_count();
		for (i = 0; i < *n; i++)
			sockets[i] = rte_socket_id_by_idx(i);
	} else {
		if (p->sockets == NULL || p->n_sockets > RTE_MAX_NUMA_NODES) {
			SDNFV_LOG(pool, ERR, "pool %s: bad socket list", p->name);
			return -EINVAL;
		}
		*n = p->n_sockets;
		for (i = 0; i < *n; i++)
			sockets[i] = p->sockets[i];
	}
	for (i = 0; i < *n; i++) {
		if (sockets[i] < 0 || sockets[i] >= RTE_MAX_NUMA_NODES) {
			SDNFV_LOG(pool, ERR, "pool %s: socket %d out of range", p->name,
				  sockets[i]);
			return -EINVAL;
		}
		/* Insertion sort: the list is short and kept in increasing order. */
		for (j = i; j > 0 && sockets[j - 1] > sockets[j]; j--) {
			int t = sockets[j];

			sockets[j] = sockets[j - 1];
			sockets[j - 1] = t;
		}
		if (j > 0 && sockets[j - 1] == sockets[j]) {
			SDNFV_LOG(pool, ERR, "pool %s: socket %d listed twice", p->name,
				  sockets[j]);
			return -EINVAL;
		}
	}
	return *n == 0 ? -EINVAL : 0;
}

static void
release_mempools(struct sdnfv_pool *pool)
{
	unsigned int s;

	for (s = 0; s < RTE_DIM(pool->by_socket); s++) {
		rte_mempool_free(pool->by_socket[s]); /* accepts NULL */
		pool->by_socket[s] = NULL;
	}
}

int
sdnfv_pool_create(const struct sdnfv_pool_params *params, struct sdnfv_pool **out)
{
	struct sdnfv_pool_params p;
	struct sdnfv_pool *pool;
	struct pool_shared *sh;
	char mp_name[RTE_MEMPOOL_NAMESIZE];
	unsigned int i;
	int ret;

	ret = read_params(params, &p);
	if (ret < 0)
		return ret;
	ret = check_name(p.name);
	if (ret < 0)
		return ret;
	if (out == NULL || p.n_mbufs == 0 || p.cache_size > RTE_MEMPOOL_CACHE_MAX_SIZE ||
	    p.priv_size % RTE_MBUF_PRIV_ALIGN != 0) {
		SDNFV_LOG(pool, ERR, "pool %s: bad parameters (%u mbufs, cache %u, priv %u)",
			  p.name, p.n_mbufs, p.cache_size, p.priv_size);
		return -EINVAL;
	}
	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		SDNFV_LOG(pool, ERR, "pool %s: only a primary process creates pools", p.name);
		return -E_RTE_SECONDARY;
	}
	if (p.data_room == 0)
		p.data_room = RTE_MBUF_DEFAULT_BUF_SIZE;

	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return -ENOMEM;
	strcpy(pool->name, p.name);
	pool->owner = true;
	ret = pick_sockets(&p, pool->sockets, &pool->n_sockets);
	if (ret < 0)
		goto fail;
	ret = sdnfv_meta_register();
	if (ret < 0)
		goto fail;

	pool->mz = rte_memzone_reserve(p.name, sizeof(*sh), SOCKET_ID_ANY, 0);
	if (pool->mz == NULL) {
		ret = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
		SDNFV_LOG(pool, ERR, "pool %s: cannot reserve its descriptor: %s", p.name,
			  rte_strerror(rte_errno));
		goto fail;
	}
	sh = (struct pool_shared *)pool->mz->addr;
	memset(sh, 0, sizeof(*sh));

	for (i = 0; i < pool->n_sockets; i++) {
		int s = pool->sockets[i];

		mempool_name(mp_name, sizeof(mp_name), p.name, s);
		pool->by_socket[s] = rte_pktmbuf_pool_create(mp_name, p.n_mbufs, p.cache_size,
							     p.priv_size, p.data_room, s);
		if (pool->by_socket[s] == NULL) {
			ret = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
			SDNFV_LOG(pool, ERR, "pool %s: cannot create %u mbufs on socket %d: %s",
				  p.name, p.n_mbufs, s, rte_strerror(rte_errno));
			goto fail;
		}
		sh->sockets[i] = s;
	}
	sh->n_sockets = pool->n_sockets;
	/* Last: an attaching process sees a complete descriptor or none. */
	__atomic_store_n(&sh->magic, POOL_MAGIC, __ATOMIC_RELEASE);
	*out = pool;
	return 0;

fail:
	release_mempools(pool);
	if (pool->mz != NULL)
		rte_memzone_free(pool->mz);
	free(pool);
	return ret;
}

int
sdnfv_pool_attach(const char *name, struct sdnfv_pool **out)
{
	const struct pool_shared *sh;
	struct sdnfv_pool *pool;
	char mp_name[RTE_MEMPOOL_NAMESIZE];
	void *addr;
	unsigned int i;
	int ret;

	if (out == NULL)
		return -EINVAL;
	ret = sdnfv_shared_find(sdnfv_logtype_pool, "pool", name, SDNFV_POOL_NAME_MAX, sizeof(*sh),
				POOL_MAGIC, &addr);
	if (ret < 0)
		return ret;
	sh = (const struct pool_shared *)addr;
	if (sh->n_sockets == 0 || sh->n_sockets > RTE_MAX_NUMA_NODES) {
		SDNFV_LOG(pool, ERR, "pool %s: descriptor lists %u sockets", name, sh->n_sockets);
		return -EPROTO;
	}
	ret = sdnfv_meta_register();
	if (ret < 0)
		return ret;

	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return -ENOMEM;
	strcpy(pool->name, name);
	pool->n_sockets = sh->n_sockets;
	for (i = 0; i < pool->n_sockets; i++) {
		int s = sh->sockets[i];

		if (s < 0 || s >= RTE_MAX_NUMA_NODES) {
			SDNFV_LOG(pool, ERR, "pool %s: descriptor names socket %d", name, s);
			free(pool);
			return -EPROTO;
		}
		pool->sockets[i] = s;
		mempool_name(mp_name, sizeof(mp_name), name, s);
		pool->by_socket[s] = rte_mempool_lookup(mp_name);
		if (pool->by_socket[s] == NULL) {
			SDNFV_LOG(pool, ERR, "pool %s: mempool %s is gone", name, mp_name);
			free(pool);
			return -ENOENT;
		}
	}
	*out = pool;
	return 0;
}

void
sdnfv_pool_free(struct sdnfv_pool *pool)
{
	if (pool == NULL)
		return;
	if (pool->owner) {
		struct pool_shared *sh = (struct pool_shared *)pool->mz->addr;

		__atomic_store_n(&sh->magic, 0, __ATOMIC_RELEASE);
		release_mempools(pool);
		rte_memzone_free(pool->mz);
	}
	free(pool);
}

struct rte_mempool *
sdnfv_pool_mempool(const struct sdnfv_pool *pool, int socket_id)
{
	if (socket_id == SOCKET_ID_ANY) {
		int s = (int)rte_socket_id();

		if (s >= 0 && s < RTE_MAX_NUMA_NODES && pool->by_socket[s] != NULL)
			return pool->by_socket[s];
		return pool->by_socket[pool->sockets[0]];
	}
	if (socket_id < 0 || socket_id >= RTE_MAX_NUMA_NODES)
		return NULL;
	return pool->by_socket[socket_id];
}

int
sdnfv_pool_sockets(const struct sdnfv_pool *pool, int *ids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < pool->n_sockets; i++)
		ids[i] = pool->sockets[i];
	return (int)pool->n_sockets;
}

int
sdnfv_pool_in_use(const struct sdnfv_pool *pool, int socket_id)
{
	unsigned int i, sum = 0;

	if (socket_id != -1) {
		const struct rte_mempool *mp = sdnfv_pool_mempool(pool, socket_id);

		return mp == NULL ? -ENOENT : (int)rte_mempool_in_use_count(mp);
	}
	for (i = 0; i < pool->n_sockets; i++)
		sum += rte_mempool_in_use_count(pool->by_socket[pool->sockets[i]]);
	return (int)sum;
}
