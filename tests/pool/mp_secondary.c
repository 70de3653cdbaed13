/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secondary half of the multi-process test: attach to the primary's pool and rings by name,
 * check every packet byte for byte, flip its bytes, mark its metadata, and hand it back; also
 * allocate packets of its own from the shared pool and send them. Exits 0 when every check held.
 *
 * usage: mp_secondary <prefix> <lcores> <packets> <own packets>
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include <sdnfv/pool.h>
#include <sdnfv/ring.h>

#include "eal.h"
#include "mp_common.h"

#define BURST 32

static int
check_and_flip(struct rte_mbuf *m)
{
	struct sdnfv_meta *meta = sdnfv_meta_get(m);
	uint32_t i = meta->flow_id, off;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	if (rte_pktmbuf_data_len(m) != mp_len(i) || meta->action != SDNFV_ACT_NEXT) {
		fprintf(stderr, "secondary: packet %u has length %u action %u\n", i,
			rte_pktmbuf_data_len(m), meta->action);
		return -1;
	}
	for (off = 0; off < mp_len(i); off++) {
		if (d[off] != mp_byte(i, off)) {
			fprintf(stderr, "secondary: packet %u byte %u is %u, want %u\n", i, off,
				d[off], mp_byte(i, off));
			return -1;
		}
		d[off] ^= MP_XOR;
	}
	sdnfv_meta_set_action(m, SDNFV_ACT_PORT, (uint16_t)i);
	meta->chain_pos = 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sdnfv_test_eal opt = { .secondary = true };
	struct sdnfv_pool *pool = NULL;
	struct sdnfv_ring *to = NULL, *back = NULL;
	struct rte_mbuf *burst[BURST];
	uint32_t n, own, got = 0, sent_own = 0, errors = 0;
	uint64_t deadline;

	if (argc != 5) {
		fprintf(stderr, "usage: %s <prefix> <lcores> <packets> <own packets>\n", argv[0]);
		return 2;
	}
	opt.prefix = argv[1];
	opt.lcores = argv[2];
	n = (uint32_t)strtoul(argv[3], NULL, 0);
	own = (uint32_t)strtoul(argv[4], NULL, 0);
	if (sdnfv_test_eal_init(&opt) < 0) {
		fprintf(stderr, "secondary: EAL init failed\n");
		return 1;
	}
	if (sdnfv_pool_attach(MP_POOL, &pool) != 0 || sdnfv_ring_lookup(MP_RING_TO, &to) != 0 ||
	    sdnfv_ring_lookup(MP_RING_BACK, &back) != 0) {
		fprintf(stderr, "secondary: cannot attach to the primary's objects\n");
		return 1;
	}

	deadline = rte_get_timer_cycles() + 60 * rte_get_timer_hz();
	while ((got < n || sent_own < own) && rte_get_timer_cycles() < deadline) {
		unsigned int k = sdnfv_ring_sc_dequeue_burst(to, (void **)burst, BURST, NULL), i;

		for (i = 0; i < k; i++)
			if (check_and_flip(burst[i]) != 0)
				errors++;
		got += k;
		for (i = 0; i < k;)
			i += sdnfv_ring_sp_enqueue_burst(back, (void **)burst + i, k - i, NULL);

		/* Packets of our own, from the shared pool: the primary checks and frees them. */
		if (sent_own < own) {
			struct rte_mbuf *m =
				rte_pktmbuf_alloc(sdnfv_pool_mempool(pool, SOCKET_ID_ANY));
			uint32_t id = MP_OWN_FLOW + sent_own;

			if (m != NULL) {
				uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, mp_len(sent_own));
				uint32_t off;

				for (off = 0; off < mp_len(sent_own); off++)
					d[off] = mp_byte(id, off);
				sdnfv_meta_reset(m);
				sdnfv_meta_get(m)->flow_id = id;
				while (sdnfv_ring_sp_enqueue_burst(back, (void **)&m, 1, NULL) == 0)
					;
				sent_own++;
			}
		}
	}
	if (got != n || sent_own != own) {
		fprintf(stderr, "secondary: timed out after %u of %u packets, %u of %u own\n", got,
			n, sent_own, own);
		errors++;
	}
	printf("secondary: checked and returned %u packets, sent %u of its own, %u errors\n", got,
	       sent_own, errors);
	sdnfv_pool_free(pool);
	rte_eal_cleanup();
	return errors == 0 ? 0 : 1;
}
