/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ring: zero-copy descriptor rings with one producer and one consumer, shared between processes.
 *
 * Packets never move in the NetVM data plane; pointers to them do, over rings that each have
 * exactly one writer. A struct sdnfv_ring is a fixed-size array of pointers in shared (hugepage)
 * memory with two free-running 32-bit indices: `head`, written only by the producer, and `tail`,
 * written only by the consumer. No atomic read-modify-write is ever needed.
 *
 * **Layout.** The producer's line holds `head` and the producer's cached copy of `tail`; the
 * consumer's line holds `tail` and its cached copy of `head`. The producer reads the consumer's
 * line only when its cached view shows too little room, and the consumer reads the producer's line
 * only when its cached view shows too few packets. A burst therefore costs one cache-line transfer
 * per side at most, where a ring that rereads the other side's index every call pays it on every
 * call. The lines are 128 bytes apart, so the adjacent-line prefetcher does not couple them.
 *
 * **Memory order.** The producer writes slots, then publishes `head` with a release store; the
 * consumer loads `head` with acquire before it reads those slots (pair 1). The consumer reads
 * slots, then publishes `tail` with a release store; the producer loads `tail` with acquire before
 * it overwrites those slots (pair 2). On x86 these are plain moves.
 *
 * **Names and processes.** A ring is created in a memzone named after it, on a given socket, and
 * any process of the same DPDK instance finds it with sdnfv_ring_lookup(). Hugepage memory is
 * mapped at the same address in every process, so the returned pointer and the pointers it
 * carries are valid everywhere.
 *
 * **The single-producer contract.** Only one thread may enqueue and only one thread may dequeue,
 * for as long as the ring lives (the two may be the same thread). Handing a role to another thread
 * (a restarted NF, a manager draining a dead NF's ring) needs the old holder to be gone and a call
 * to sdnfv_ring_handover(). When a program is compiled with `SDNFV_RING_DEBUG` defined (the
 * library's debug builds do this), every enqueue and dequeue checks the caller's thread id against
 * the role's owner, and a second producer or consumer gets 0 objects, an error log line and a
 * count in sdnfv_ring_violations(). The check costs a function call per burst, so release builds
 * leave it out; the shared layout is the same either way.
 */
#ifndef SDNFV_RING_H
#define SDNFV_RING_H

#include <stddef.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include <sdnfv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest ring name, in characters (DPDK memzone names are at most 31). */
#define SDNFV_RING_NAME_MAX 31

/** Largest capacity of a ring. */
#define SDNFV_RING_CAPACITY_MAX (1u << 30)

/** sdnfv_ring_handover() role: the producer. */
#define SDNFV_RING_PRODUCER 0x1
/** sdnfv_ring_handover() role: the consumer. */
#define SDNFV_RING_CONSUMER 0x2

/** @cond INTERNAL */
/* The layout is shared by every process and every build of a host: change it only with the
 * magic number. Fields are read by the inline fast path below; use the functions. */
#define SDNFV_RING__LINE 128

struct sdnfv_ring__side {
	uint32_t idx;   /* published: head (producer side) or tail (consumer side) */
	uint32_t other; /* this side's cached copy of the other side's idx */
};

struct sdnfv_ring {
	/* Read-only after creation. */
	uint32_t magic;
	uint32_t size;     /* slots, a power of two */
	uint32_t mask;     /* size - 1 */
	uint32_t capacity; /* objects the ring holds when full, <= size */
	const void *mz;    /* the memzone that holds the ring */
	char name[SDNFV_RING_NAME_MAX + 1];

	struct sdnfv_ring__side prod __rte_aligned(SDNFV_RING__LINE);
	struct sdnfv_ring__side cons __rte_aligned(SDNFV_RING__LINE);

	/* Debug owners: thread ids (0: none yet) and counts of refused callers. */
	int32_t prod_owner __rte_aligned(SDNFV_RING__LINE);
	int32_t cons_owner;
	uint64_t violations;

	void *slots[] __rte_aligned(SDNFV_RING__LINE);
};

SDNFV_API int sdnfv_ring__check_owner(struct sdnfv_ring *r, unsigned int role);

static inline void
sdnfv_ring__copy(void **dst, void *const *src, uint32_t n)
{
	uint32_t i;

	/* Blocks of four pointers as fixed-size moves (vector moves), then a switch for the rest:
	 * a loop here gets turned into a memcpy() call by GCC's loop distribution, which costs more
	 * than the copy itself for short bursts (bench_ring, burst 1). */
	for (i = 0; i + 4 <= n; i += 4)
		__builtin_memcpy(&dst[i], &src[i], 4 * sizeof(void *));
	switch (n - i) {
	case 3:
		dst[i + 2] = src[i + 2];
		/* fall through */
	case 2:
		dst[i + 1] = src[i + 1];
		/* fall through */
	case 1:
		dst[i] = src[i];
		/* fall through */
	default:
		break;
	}
}
/** @endcond */

/**
 * Create a ring in shared memory.
 *
 * @param name       1 to #SDNFV_RING_NAME_MAX characters, unique among this DPDK instance's
 *                   memzones; copied.
 * @param count      capacity: the number of objects the ring holds when full, 1 to
 *                   #SDNFV_RING_CAPACITY_MAX. Not rounded: a ring of 1000 holds 1000.
 * @param socket_id  the socket whose memory holds the ring (the consumer's, best); SOCKET_ID_ANY.
 * @param flags      0 (reserved).
 * @param[out] out   the ring; it lives in shared memory and belongs to no process. Free it with
 *                   sdnfv_ring_free() once.
 * @return 0; -EINVAL for a bad name, count or flags; -ENAMETOOLONG; -EEXIST when a memzone of that
 *         name exists; -ENOMEM.
 */
SDNFV_API int sdnfv_ring_create(const char *name, unsigned int count, int socket_id,
				unsigned int flags, struct sdnfv_ring **out);

/**
 * Find a ring created by any process of this DPDK instance.
 *
 * @param name      the ring's name.
 * @param[out] out  the ring (the same address in every process); needs no release.
 * @return 0; -ENOENT when no memzone has that name; -EPROTO when the memzone is not a libsdnfv
 *         ring of this version; -ENAMETOOLONG.
 */
SDNFV_API int sdnfv_ring_lookup(const char *name, struct sdnfv_ring **out);

/**
 * Free a ring for every process. Neither side may use it afterwards; the objects still in it are
 * not freed (drain it first when they are mbufs).
 *
 * @param r  the ring, or NULL.
 */
SDNFV_API void sdnfv_ring_free(struct sdnfv_ring *r);

/**
 * Empty a ring and forget both owners, for reuse after its producer and consumer stopped.
 * Objects still in the ring are dropped from it, not freed.
 *
 * @param r  the ring; neither side may be using it.
 */
SDNFV_API void sdnfv_ring_reset(struct sdnfv_ring *r);

/**
 * Let another thread take a role: the next thread that enqueues (or dequeues) becomes the owner
 * checked in debug builds. The previous holder must no longer use the ring.
 *
 * @param r      the ring.
 * @param roles  #SDNFV_RING_PRODUCER, #SDNFV_RING_CONSUMER, or both OR-ed.
 */
SDNFV_API void sdnfv_ring_handover(struct sdnfv_ring *r, unsigned int roles);

/**
 * How many callers the debug check refused (second producers and second consumers).
 *
 * @param r  the ring.
 * @return the count since creation or the last sdnfv_ring_reset().
 */
SDNFV_API uint64_t sdnfv_ring_violations(const struct sdnfv_ring *r);

/**
 * The ring's name.
 *
 * @param r  the ring.
 * @return the name, stored in the ring.
 */
static inline const char *
sdnfv_ring_name(const struct sdnfv_ring *r)
{
	return r->name;
}

/**
 * The ring's capacity.
 *
 * @param r  the ring.
 * @return the number of objects it holds when full.
 */
static inline unsigned int
sdnfv_ring_capacity(const struct sdnfv_ring *r)
{
	return r->capacity;
}

/**
 * How many objects are in the ring. Exact when neither side runs; otherwise a snapshot that
 * may be stale by the time it returns.
 *
 * @param r  the ring.
 * @return the number of objects.
 */
static inline unsigned int
sdnfv_ring_count(const struct sdnfv_ring *r)
{
	uint32_t tail = __atomic_load_n(&r->cons.idx, __ATOMIC_ACQUIRE);
	uint32_t head = __atomic_load_n(&r->prod.idx, __ATOMIC_ACQUIRE);

	return head - tail;
}

/**
 * How many more objects fit. A snapshot, like sdnfv_ring_count().
 *
 * @param r  the ring.
 * @return capacity minus count.
 */
static inline unsigned int
sdnfv_ring_free_count(const struct sdnfv_ring *r)
{
	return r->capacity - sdnfv_ring_count(r);
}

/** @cond INTERNAL */
static inline unsigned int
sdnfv_ring__enqueue(struct sdnfv_ring *r, void *const *objs, unsigned int n, int bulk,
		    unsigned int *free_space)
{
	uint32_t head, room, idx, first;

#ifdef SDNFV_RING_DEBUG
	if (unlikely(!sdnfv_ring__check_owner(r, SDNFV_RING_PRODUCER))) {
		if (free_space != NULL)
			*free_space = 0;
		return 0;
	}
#endif
	head = __atomic_load_n(&r->prod.idx, __ATOMIC_RELAXED); /* our own field */
	room = r->capacity - (head - r->prod.other);
	if (unlikely(room < n)) {
		/* Pairs with the consumer's release of tail: it has read the slots we reuse. */
		r->prod.other = __atomic_load_n(&r->cons.idx, __ATOMIC_ACQUIRE);
		room = r->capacity - (head - r->prod.other);
		if (room < n) {
			if (bulk)
				n = 0;
			else
				n = room;
		}
	}
	if (n != 0) {
		idx = head & r->mask;
		first = RTE_MIN(n, r->size - idx); /* up to the end of the slots */
		sdnfv_ring__copy(&r->slots[idx], objs, first);
		if (unlikely(first < n))
			sdnfv_ring__copy(&r->slots[0], objs + first, n - first);
		/* Pairs with the consumer's acquire of head: the slots are written. */
		__atomic_store_n(&r->prod.idx, head + n, __ATOMIC_RELEASE);
	}
	if (free_space != NULL)
		*free_space = room - n;
	return n;
}

static inline unsigned int
sdnfv_ring__dequeue(struct sdnfv_ring *r, void **objs, unsigned int n, int bulk,
		    unsigned int *available)
{
	uint32_t tail, avail, idx, first;

#ifdef SDNFV_RING_DEBUG
	if (unlikely(!sdnfv_ring__check_owner(r, SDNFV_RING_CONSUMER))) {
		if (available != NULL)
			*available = 0;
		return 0;
	}
#endif
	tail = __atomic_load_n(&r->cons.idx, __ATOMIC_RELAXED); /* our own field */
	avail = r->cons.other - tail;
	if (avail < n) {
		/* Pairs with the producer's release of head: the slots are written. */
		r->cons.other = __atomic_load_n(&r->prod.idx, __ATOMIC_ACQUIRE);
		avail = r->cons.other - tail;
		if (avail < n) {
			if (bulk)
				n = 0;
			else
				n = avail;
		}
	}
	if (n != 0) {
		idx = tail & r->mask;
		first = RTE_MIN(n, r->size - idx);
		sdnfv_ring__copy(objs, &r->slots[idx], first);
		if (unlikely(first < n))
			sdnfv_ring__copy(objs + first, &r->slots[0], n - first);
		/* Pairs with the producer's acquire of tail: we are done with the slots. */
		__atomic_store_n(&r->cons.idx, tail + n, __ATOMIC_RELEASE);
	}
	if (available != NULL)
		*available = avail - n;
	return n;
}
/** @endcond */

/**
 * Enqueue up to @p n objects. Producer thread only.
 *
 * @param r           the ring.
 * @param objs        the objects (pointers) to enqueue, in order.
 * @param n           how many.
 * @param[out] free_space  if not NULL, set to the room left after the call as this side last saw
 *                    it: a lower bound of the true room.
 * @return the number enqueued, 0 to @p n: the first that many of @p objs; the rest stay the
 *         caller's.
 */
static inline unsigned int
sdnfv_ring_sp_enqueue_burst(struct sdnfv_ring *r, void *const *objs, unsigned int n,
			    unsigned int *free_space)
{
	return sdnfv_ring__enqueue(r, objs, n, 0, free_space);
}

/**
 * Enqueue exactly @p n objects, or none. Producer thread only.
 *
 * @param r           the ring.
 * @param objs        the objects (pointers) to enqueue, in order.
 * @param n           how many.
 * @param[out] free_space  if not NULL, the room left as this side saw it (a lower bound).
 * @return @p n, or 0 when they do not all fit (then none was enqueued).
 */
static inline unsigned int
sdnfv_ring_sp_enqueue_bulk(struct sdnfv_ring *r, void *const *objs, unsigned int n,
			   unsigned int *free_space)
{
	return sdnfv_ring__enqueue(r, objs, n, 1, free_space);
}

/**
 * Dequeue up to @p n objects. Consumer thread only.
 *
 * @param r           the ring.
 * @param[out] objs   receives the objects, oldest first.
 * @param n           room in @p objs.
 * @param[out] available  if not NULL, set to the objects left after the call as this side last
 *                    saw them: a lower bound of the true count.
 * @return the number dequeued, 0 to @p n.
 */
static inline unsigned int
sdnfv_ring_sc_dequeue_burst(struct sdnfv_ring *r, void **objs, unsigned int n,
			    unsigned int *available)
{
	return sdnfv_ring__dequeue(r, objs, n, 0, available);
}

/**
 * Dequeue exactly @p n objects, or none. Consumer thread only.
 *
 * @param r           the ring.
 * @param[out] objs   receives the objects, oldest first.
 * @param n           how many.
 * @param[out] available  if not NULL, the objects left as this side saw them (a lower bound).
 * @return @p n, or 0 when fewer were available (then none was dequeued).
 */
static inline unsigned int
sdnfv_ring_sc_dequeue_bulk(struct sdnfv_ring *r, void **objs, unsigned int n,
			   unsigned int *available)
{
	return sdnfv_ring__dequeue(r, objs, n, 1, available);
}

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_RING_H */
