/* SPDX-License-Identifier: BSD-3-Clause */
/* Control path of the SP/SC descriptor ring; the fast path is inline in <sdnfv/ring.h>. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include <sdnfv/ring.h>

#include "common/log.h"
#include "common/name.h"

SDNFV_LOG_REGISTER(ring);

/* "SDNR" + layout version 1: a process built against another layout refuses the ring. */
#define RING_MAGIC 0x53444e01u

static int
check_name(const char *name)
{
	return sdnfv_name_check(sdnfv_logtype_ring, "ring", name, SDNFV_RING_NAME_MAX);
}

int
sdnfv_ring_create(const char *name, unsigned int count, int socket_id, unsigned int flags,
		  struct sdnfv_ring **out)
{
	const struct rte_memzone *mz;
	struct sdnfv_ring *r;
	uint32_t size;
	size_t bytes;
	int ret;

	ret = check_name(name);
	if (ret < 0)
		return ret;
	if (out == NULL || count == 0 || count > SDNFV_RING_CAPACITY_MAX || flags != 0) {
		SDNFV_LOG(ring, ERR, "ring %s: bad arguments (count %u, flags 0x%x)", name, count,
			  flags);
		return -EINVAL;
	}
	size = rte_align32pow2(count);
	bytes = sizeof(*r) + (size_t)size * sizeof(r->slots[0]);

	mz = rte_memzone_reserve_aligned(name, bytes, socket_id, 0, SDNFV_RING__LINE);
	if (mz == NULL) {
		ret = -rte_errno;
		SDNFV_LOG(ring, ERR, "ring %s: cannot reserve %zu bytes on socket %d: %s", name,
			  bytes, socket_id, rte_strerror(rte_errno));
		return ret == 0 ? -ENOMEM : ret;
	}
	r = (struct sdnfv_ring *)mz->addr;
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->mask = size - 1;
	r->capacity = count;
	r->mz = mz;
	strcpy(r->name, name);
	/* The magic goes last: a process that looks the ring up sees a complete header or none. */
	__atomic_store_n(&r->magic, RING_MAGIC, __ATOMIC_RELEASE);
	*out = r;
	return 0;
}

int
sdnfv_ring_lookup(const char *name, struct sdnfv_ring **out)
{
	void *addr;
	int ret;

	if (out == NULL)
		return -EINVAL;
	ret = sdnfv_shared_find(sdnfv_logtype_ring, "ring", name, SDNFV_RING_NAME_MAX,
				sizeof(struct sdnfv_ring), RING_MAGIC, &addr);
	if (ret == 0)
		*out = (struct sdnfv_ring *)addr;
	return ret;
}

void
sdnfv_ring_free(struct sdnfv_ring *r)
{
	const struct rte_memzone *mz;

	if (r == NULL)
		return;
	mz = (const struct rte_memzone *)r->mz;
	r->magic = 0;
	if (rte_memzone_free(mz) != 0)
		SDNFV_LOG(ring, ERR, "ring %s: memzone free failed", r->name);
}

void
sdnfv_ring_reset(struct sdnfv_ring *r)
{
	r->prod.idx = 0;
	r->prod.other = 0;
	r->cons.idx = 0;
	r->cons.other = 0;
	r->violations = 0;
	__atomic_store_n(&r->prod_owner, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&r->cons_owner, 0, __ATOMIC_RELEASE);
}

void
sdnfv_ring_handover(struct sdnfv_ring *r, unsigned int roles)
{
	/* Only the owner changes: a side's cached view of the other side is always a safe,
	 * conservative bound, whoever holds the role next. */
	if (roles & SDNFV_RING_PRODUCER)
		__atomic_store_n(&r->prod_owner, 0, __ATOMIC_RELEASE);
	if (roles & SDNFV_RING_CONSUMER)
		__atomic_store_n(&r->cons_owner, 0, __ATOMIC_RELEASE);
}

uint64_t
sdnfv_ring_violations(const struct sdnfv_ring *r)
{
	return __atomic_load_n(&r->violations, __ATOMIC_RELAXED);
}

int
sdnfv_ring__check_owner(struct sdnfv_ring *r, unsigned int role)
{
	int32_t *owner = role == SDNFV_RING_PRODUCER ? &r->prod_owner : &r->cons_owner;
	int32_t me = rte_gettid();
	int32_t cur = __atomic_load_n(owner, __ATOMIC_ACQUIRE);

	if (likely(cur == me))
		return 1;
	if (cur == 0 &&
	    __atomic_compare_exchange_n(owner, &cur, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 1;
	__atomic_fetch_add(&r->violations, 1, __ATOMIC_RELAXED);
	SDNFV_LOG(ring, ERR, "ring %s: thread %d used the %s side owned by thread %d; refused",
		  r->name, (int)me, role == SDNFV_RING_PRODUCER ? "producer" : "consumer",
		  (int)cur);
	return 0;
}
