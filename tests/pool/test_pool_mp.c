/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multi-process test: this process (the DPDK primary) creates the pool and two rings, a second
 * process (a DPDK secondary, mp_secondary) attaches by name, checks and modifies every packet and
 * hands it back, and sends packets it allocated itself. The primary checks every byte and every
 * metadata field, frees everything, and checks the pool's in-use count is back to zero.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <sdnfv/pool.h>
#include <sdnfv/ring.h>

#include "eal.h"
#include "mp_common.h"

extern char **environ;

#define N_PKTS 20000u
#define N_OWN  500u
#define BURST  32

static void
setup(void)
{
	struct sdnfv_test_eal opt = { .lcores = "0", .multi_process = true };

	cr_assert_geq(sdnfv_test_eal_init(&opt), 0, "EAL init failed");
}

static void
teardown(void)
{
	sdnfv_test_eal_cleanup();
}

TestSuite(pool_mp, .init = setup, .fini = teardown, .timeout = 120);

static pid_t
spawn_secondary(void)
{
	const char *path = getenv("SDNFV_MP_SECONDARY");
	char n[16], own[16], prefix[64], lcores[32];
	char *argv[] = { (char *)path, prefix, lcores, n, own, NULL };
	pid_t pid;

	cr_assert_not_null(path, "SDNFV_MP_SECONDARY must name the secondary program");
	snprintf(prefix, sizeof(prefix), "%s", sdnfv_test_eal_prefix());
	/* lcore ids must differ between the processes (mempool caches are per lcore id); put the
	 * secondary's lcore 1 on the second CPU when there is one. */
	snprintf(lcores, sizeof(lcores), "1@%d", sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
	snprintf(n, sizeof(n), "%u", N_PKTS);
	snprintf(own, sizeof(own), "%u", N_OWN);
	cr_assert_eq(posix_spawn(&pid, path, NULL, NULL, argv, environ), 0, "cannot start %s",
		     path);
	return pid;
}

static void
fill(struct rte_mbuf *m, uint32_t i)
{
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, mp_len(i));
	uint32_t off;

	cr_assert_not_null(d);
	for (off = 0; off < mp_len(i); off++)
		d[off] = mp_byte(i, off);
	sdnfv_meta_reset(m);
	sdnfv_meta_get(m)->flow_id = i;
	sdnfv_meta_set_action(m, SDNFV_ACT_NEXT, 0);
}

/* Returns the number of wrong bytes or fields in a packet handed back. */
static unsigned int
check_returned(struct rte_mbuf *m, uint32_t expect_id)
{
	const struct sdnfv_meta *meta = sdnfv_meta_get(m);
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off, bad = 0;

	if (meta->flow_id != expect_id || rte_pktmbuf_data_len(m) != mp_len(expect_id) ||
	    meta->action != SDNFV_ACT_PORT || meta->dest != (uint16_t)expect_id ||
	    meta->chain_pos != 1)
		return 1;
	for (off = 0; off < mp_len(expect_id); off++)
		bad += d[off] != (uint8_t)(mp_byte(expect_id, off) ^ MP_XOR);
	return bad;
}

static unsigned int
check_own(struct rte_mbuf *m, uint32_t k)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t id = MP_OWN_FLOW + k, off, bad = 0;

	if (sdnfv_meta_get(m)->flow_id != id || rte_pktmbuf_data_len(m) != mp_len(k))
		return 1;
	for (off = 0; off < mp_len(k); off++)
		bad += d[off] != mp_byte(id, off);
	return bad;
}

Test(pool_mp, a_secondary_modifies_every_packet_zero_copy_and_nothing_leaks)
{
	struct sdnfv_pool_params p = {
		.sz = sizeof(p), .name = MP_POOL, .n_mbufs = 4095, .cache_size = 64
	};
	struct sdnfv_pool *pool = NULL;
	struct sdnfv_ring *to = NULL, *back = NULL;
	struct rte_mempool *mp;
	struct rte_mbuf *burst[BURST];
	uint32_t sent = 0, got = 0, own = 0, bad = 0, wrong_ptr = 0;
	uint64_t deadline;
	int status = -1;
	pid_t pid, done = 0;
	/* Where each packet went, to prove the same buffer came back (zero copy). */
	static struct rte_mbuf *given[N_PKTS];

	cr_assert_eq(sdnfv_pool_create(&p, &pool), 0);
	cr_assert_eq(sdnfv_ring_create(MP_RING_TO, 512, SOCKET_ID_ANY, 0, &to), 0);
	cr_assert_eq(sdnfv_ring_create(MP_RING_BACK, 512, SOCKET_ID_ANY, 0, &back), 0);
	mp = sdnfv_pool_mempool(pool, SOCKET_ID_ANY);
	pid = spawn_secondary();

	deadline = rte_get_timer_cycles() + 90 * rte_get_timer_hz();
	while ((got < N_PKTS || own < N_OWN) && rte_get_timer_cycles() < deadline) {
		unsigned int k, i;

		/* Send a burst: fresh packets in the pool's memory, never copied again. Only when
		 * it fits: this loop must never wait on the secondary, which may be waiting on us. */
		k = RTE_MIN((uint32_t)BURST, N_PKTS - sent);
		if (k > 0 && sdnfv_ring_free_count(to) >= k &&
		    rte_pktmbuf_alloc_bulk(mp, burst, k) == 0) {
			for (i = 0; i < k; i++) {
				fill(burst[i], sent + i);
				given[sent + i] = burst[i];
			}
			for (i = 0; i < k;)
				i += sdnfv_ring_sp_enqueue_burst(to, (void **)burst + i, k - i,
								 NULL);
			sent += k;
		}
		/* Take back what the secondary returned: its packets in order, its own ones mixed in. */
		k = sdnfv_ring_sc_dequeue_burst(back, (void **)burst, BURST, NULL);
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m = burst[i];

			if (sdnfv_meta_get(m)->flow_id >= MP_OWN_FLOW) {
				bad += check_own(m, own++);
			} else {
				wrong_ptr += m != given[got];
				bad += check_returned(m, got++);
			}
			rte_pktmbuf_free(m);
		}
		if (done == 0 && waitpid(pid, &status, WNOHANG) == pid)
			done = pid;
		if (done != 0 && k == 0 && sdnfv_ring_count(back) == 0)
			break; /* the secondary is gone and nothing more will come */
	}
	if (done == 0) {
		if (got < N_PKTS || own < N_OWN)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the secondary reported errors (status 0x%x)", status);
	cr_expect_eq(got, N_PKTS, "%u of %u packets came back", got, N_PKTS);
	cr_expect_eq(own, N_OWN, "%u of %u of the secondary's own packets came", own, N_OWN);
	cr_expect_eq(bad, 0, "%u wrong bytes or metadata fields", bad);
	cr_expect_eq(wrong_ptr, 0, "%u packets came back in another buffer", wrong_ptr);
	cr_expect_eq(sdnfv_ring_count(to), 0);
	cr_expect_eq(sdnfv_ring_count(back), 0);
	cr_expect_eq(sdnfv_pool_in_use(pool, -1), 0, "%d mbufs leaked",
		     sdnfv_pool_in_use(pool, -1));
	sdnfv_ring_free(to);
	sdnfv_ring_free(back);
	sdnfv_pool_free(pool);
}
