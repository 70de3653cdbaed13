/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the per-socket pools and the per-packet metadata, in one process. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include <sdnfv/pool.h>

#include "eal.h"

SDNFV_TEST_EAL_SUITE(pool, .timeout = 60);

static struct sdnfv_pool_params
params(const char *name, uint32_t n)
{
	struct sdnfv_pool_params p = {
		.sz = sizeof(p), .name = name, .n_mbufs = n, .cache_size = 32
	};

	return p;
}

Test(pool, creates_one_mempool_per_socket_named_after_the_pool)
{
	struct sdnfv_pool_params p = params("host1", 1023);
	struct sdnfv_pool *pool = NULL;
	int ids[RTE_MAX_NUMA_NODES];
	int n, i;

	cr_assert_eq(sdnfv_pool_create(&p, &pool), 0);
	n = sdnfv_pool_sockets(pool, ids, RTE_MAX_NUMA_NODES);
	cr_expect_eq((unsigned int)n, rte_socket_count());
	for (i = 0; i < n; i++) {
		char name[RTE_MEMPOOL_NAMESIZE];
		struct rte_mempool *mp = sdnfv_pool_mempool(pool, ids[i]);

		snprintf(name, sizeof(name), "host1_p%d", ids[i]);
		cr_assert_not_null(mp);
		cr_expect_eq(rte_mempool_lookup(name), mp, "mempool of socket %d is %s", ids[i],
			     name);
		cr_expect_eq(mp->size, 1023);
		cr_expect_eq(mp->socket_id, ids[i]);
		if (i > 0)
			cr_expect_lt(ids[i - 1], ids[i], "sockets listed in increasing order");
	}
	cr_expect_eq(sdnfv_pool_mempool(pool, SOCKET_ID_ANY), sdnfv_pool_mempool(pool, ids[0]));
	cr_expect_null(sdnfv_pool_mempool(pool, RTE_MAX_NUMA_NODES - 1));
	cr_expect_null(sdnfv_pool_mempool(pool, 1000));
	sdnfv_pool_free(pool);
}

Test(pool, counts_mbufs_in_use_and_returns_to_zero_when_all_are_freed)
{
	struct sdnfv_pool_params p = params("count", 511);
	struct sdnfv_pool *pool = NULL;
	struct rte_mbuf *m[300];
	struct rte_mempool *mp;

	cr_assert_eq(sdnfv_pool_create(&p, &pool), 0);
	mp = sdnfv_pool_mempool(pool, SOCKET_ID_ANY);
	cr_expect_eq(sdnfv_pool_in_use(pool, -1), 0);
	cr_assert_eq(rte_pktmbuf_alloc_bulk(mp, m, 300), 0);
	cr_expect_eq(sdnfv_pool_in_use(pool, -1), 300);
	cr_expect_eq(sdnfv_pool_in_use(pool, mp->socket_id), 300);
	rte_pktmbuf_free_bulk(m, 150);
	cr_expect_eq(sdnfv_pool_in_use(pool, -1), 150, "mbufs in the lcore cache count as free");
	rte_pktmbuf_free_bulk(m + 150, 150);
	cr_expect_eq(sdnfv_pool_in_use(pool, -1), 0);
	cr_expect_eq(sdnfv_pool_in_use(pool, 1000), -ENOENT);
	sdnfv_pool_free(pool);
}

Test(pool, attach_finds_the_same_mempools_and_its_free_keeps_them)
{
	struct sdnfv_pool_params p = params("shared", 255);
	struct sdnfv_pool *owner = NULL, *other = NULL;

	cr_assert_eq(sdnfv_pool_create(&p, &owner), 0);
	cr_assert_eq(sdnfv_pool_attach("shared", &other), 0);
	cr_expect_eq(sdnfv_pool_mempool(other, SOCKET_ID_ANY),
		     sdnfv_pool_mempool(owner, SOCKET_ID_ANY));
	sdnfv_pool_free(other);
	cr_expect_not_null(rte_mempool_lookup("shared_p0"), "an attached handle frees nothing");
	sdnfv_pool_free(owner);
	cr_expect_null(rte_mempool_lookup("shared_p0"), "the owner's free destroys the mempools");
	cr_expect_eq(sdnfv_pool_attach("shared", &other), -ENOENT);
	sdnfv_pool_free(NULL);
}

Test(pool, create_rejects_bad_parameters_with_a_reason)
{
	struct sdnfv_pool *pool = NULL;
	struct sdnfv_pool_params p = params("ok", 255);
	int dup_sockets[2] = { 0, 0 }, far_socket = RTE_MAX_NUMA_NODES;

	p.name = "a_name_longer_than_twenty";
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -ENAMETOOLONG);
	p.name = "";
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL);
	p = params("zero", 0);
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL);
	p = params("small", 255);
	p.sz = sizeof(size_t);
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL, "sz too small for the known fields");
	cr_expect_eq(sdnfv_pool_create(NULL, &pool), -EINVAL);
	p = params("priv", 255);
	p.priv_size = 3;
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL);
	p = params("cache", 255);
	p.cache_size = RTE_MEMPOOL_CACHE_MAX_SIZE + 1;
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL);
	p = params("twice", 255);
	p.sockets = dup_sockets;
	p.n_sockets = 2;
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL);
	p.sockets = &far_socket;
	p.n_sockets = 1;
	cr_expect_eq(sdnfv_pool_create(&p, &pool), -EINVAL);
	cr_expect_null(rte_memzone_lookup("twice"), "a failed create leaves nothing behind");
}

Test(pool, create_refuses_a_name_in_use_and_leaves_the_first_intact)
{
	struct sdnfv_pool_params p = params("dup", 255);
	struct sdnfv_pool *a = NULL, *b = NULL;

	cr_assert_eq(sdnfv_pool_create(&p, &a), 0);
	cr_expect_eq(sdnfv_pool_create(&p, &b), -EEXIST);
	cr_expect_not_null(rte_mempool_lookup("dup_p0"));
	cr_expect_eq(sdnfv_pool_attach("dup", &b), 0);
	sdnfv_pool_free(b);
	sdnfv_pool_free(a);
}

Test(pool, create_fails_cleanly_when_hugepage_memory_runs_out)
{
	struct sdnfv_pool_params p = params("toobig", 100000000);
	struct sdnfv_pool *pool = NULL;

	cr_expect_eq(sdnfv_pool_create(&p, &pool), -ENOMEM);
	cr_expect_null(rte_memzone_lookup("toobig"));
	cr_expect_null(rte_mempool_lookup("toobig_p0"));
}

Test(pool, attach_refuses_a_memzone_that_is_not_a_pool)
{
	struct sdnfv_pool *pool = NULL;
	const struct rte_memzone *mz = rte_memzone_reserve("bogus", 4096, SOCKET_ID_ANY, 0);

	cr_assert_not_null(mz);
	memset(mz->addr, 0xff, 4096);
	cr_expect_eq(sdnfv_pool_attach("bogus", &pool), -EPROTO);
	cr_expect_eq(sdnfv_pool_attach("nothing_here", &pool), -ENOENT);
	cr_expect_eq(sdnfv_pool_attach("a_name_longer_than_twenty", &pool), -ENAMETOOLONG);
}

Test(pool, metadata_lives_in_a_registered_dynamic_field)
{
	struct sdnfv_pool_params p = params("meta", 255);
	struct sdnfv_pool *pool = NULL;
	struct rte_mbuf *m;
	struct sdnfv_meta *meta;
	int off;

	cr_expect_eq(sdnfv_meta_offset, -1, "unset before registration");
	cr_assert_eq(sdnfv_pool_create(&p, &pool), 0);
	off = rte_mbuf_dynfield_lookup("sdnfv_meta", NULL);
	cr_assert_geq(off, 0);
	cr_expect_eq(sdnfv_meta_offset, off);
	cr_expect_eq(sdnfv_meta_register(), off, "registering again is idempotent");

	m = rte_pktmbuf_alloc(sdnfv_pool_mempool(pool, SOCKET_ID_ANY));
	cr_assert_not_null(m);
	sdnfv_meta_reset(m);
	meta = sdnfv_meta_get(m);
	cr_expect_eq((char *)meta, (char *)m + off);
	cr_expect_eq(meta->flow_id, SDNFV_META_FLOW_NONE);
	cr_expect_eq(meta->action, SDNFV_ACT_NONE);
	sdnfv_meta_set_action(m, SDNFV_ACT_SERVICE, 7);
	meta->chain_pos = 2;
	meta->flags = 0x0100;
	cr_expect_eq(meta->action, SDNFV_ACT_SERVICE);
	cr_expect_eq(meta->dest, 7);
	/* The field is outside the mbuf fields DPDK itself writes: data changes leave it alone. */
	cr_assert_not_null(rte_pktmbuf_append(m, 100));
	cr_assert_not_null(rte_pktmbuf_prepend(m, 14));
	cr_expect_eq(meta->dest, 7);
	cr_expect_eq(meta->chain_pos, 2);
	cr_expect_eq(meta->flags, 0x0100);
	rte_pktmbuf_free(m);
	sdnfv_pool_free(pool);
}

static void *
mempool_from_plain_thread(void *pool)
{
	return sdnfv_pool_mempool((const struct sdnfv_pool *)pool, SOCKET_ID_ANY);
}

Test(pool, mempool_any_falls_back_to_the_first_socket_for_a_thread_without_one)
{
	int socket = 0;
	struct sdnfv_pool_params p = params("onesock", 255);
	struct sdnfv_pool *pool = NULL;
	pthread_t t;
	void *mp;

	p.sockets = &socket;
	p.n_sockets = 1;
	cr_assert_eq(sdnfv_pool_create(&p, &pool), 0);
	cr_expect_eq(sdnfv_pool_sockets(pool, NULL, 0), 1);
	/* A plain pthread is no EAL lcore: rte_socket_id() gives it SOCKET_ID_ANY. */
	cr_assert_eq(pthread_create(&t, NULL, mempool_from_plain_thread, pool), 0);
	pthread_join(t, &mp);
	cr_expect_not_null(mp);
	cr_expect_eq(mp, sdnfv_pool_mempool(pool, 0));
	sdnfv_pool_free(pool);
}
