/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * service: service names and ids, the live instances of each service, and the choice of one
 * instance per flow.
 *
 * A flow names *services* ("firewall", "nat"), never NF instances. A host runs any number of
 * instances of a service and spreads flows over them; a flow must stay on its instance for as
 * long as that instance lives (an NF keeps per-flow state), and when instances come and go only
 * the flows of the instance that changed may move.
 *
 * **Choosing an instance.** Each service divides the 32-bit flow hash space into a power-of-two
 * number of buckets (the low bits of the hash pick one). Every bucket is owned by the instance
 * with the highest rendezvous weight `hash(bucket, instance)` among the live instances
 * (rendezvous, or highest-random-weight, hashing). Adding an instance moves to it only the buckets
 * it now wins (about 1/(n+1) of them) and nothing else; removing one moves only its own buckets,
 * each to the instance that was second for it. A flow sees its instance change only when its
 * bucket changed owner. Selection is then one load from the bucket array:
 * sdnfv_service_select() is inline and costs a few cycles per packet.
 *
 * **Memory.** A table is one contiguous block with no pointers inside, so it can live in shared
 * (hugepage) memory and be read by other processes: size it with sdnfv_service_table_size(), put
 * it where you like and initialise it with sdnfv_service_table_init(). Capacities (services,
 * instances per service, buckets) are chosen at init; nothing is limited at compile time.
 *
 * **Threads.** One writer at a time (adding services, adding and removing instances: every call
 * that takes a non-`const` table); any number of readers, in any process, concurrently and
 * without locks. A bucket's owner is written with one 16-bit store, so a reader sees the old
 * owner or the new one. A reader may therefore be given an instance that was removed a moment
 * ago: the caller that removes an instance must make sure (for example by a quiescent period of
 * its readers) that nobody still sends to it before it frees what the instance used.
 *
 * Needs no EAL.
 */
#ifndef SDNFV_SERVICE_H
#define SDNFV_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <sdnfv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest service name, in characters. */
#define SDNFV_SERVICE_NAME_MAX 31

/** A service id, or an instance id, that names nothing. */
#define SDNFV_SERVICE_NONE UINT16_MAX

/** A table of services; opaque, one contiguous block (see the file's description). */
struct sdnfv_service_table;

/** Capacities of a table. Zero-initialise, set sz, then the fields. */
struct sdnfv_service_params {
	size_t sz;              /**< sizeof(struct sdnfv_service_params) */
	uint32_t max_services;  /**< services the table can name; 1 to 65535 */
	uint32_t max_instances; /**< live instances one service can have; 1 to 65535 */
	uint32_t buckets;       /**< buckets per service: a power of two, 1 to 65536; 0: 1024 */
};

/**
 * Bytes a table with these capacities needs.
 *
 * @param params  the capacities.
 * @return the size; 0 for bad parameters.
 */
SDNFV_API size_t sdnfv_service_table_size(const struct sdnfv_service_params *params);

/**
 * Initialise a table in memory the caller provides.
 *
 * @param mem     at least sdnfv_service_table_size() bytes, 8-byte aligned; owned by the caller,
 *                who frees it when the table is no longer used (there is no destroy call).
 * @param size    bytes at @p mem.
 * @param params  the capacities.
 * @return the table (at @p mem); NULL for bad parameters or too small a block (errno is EINVAL).
 */
SDNFV_API struct sdnfv_service_table *
sdnfv_service_table_init(void *mem, size_t size, const struct sdnfv_service_params *params);

/**
 * Add a service, or find it when it exists.
 *
 * @param t     the table (writer).
 * @param name  1 to #SDNFV_SERVICE_NAME_MAX characters of `[A-Za-z0-9_.-]`.
 * @return the service id (0 to max_services - 1, given in order of addition); -EINVAL for a bad
 *         name; -ENAMETOOLONG; -ENOSPC when the table is full.
 */
SDNFV_API int sdnfv_service_add(struct sdnfv_service_table *t, const char *name);

/**
 * The id of a service.
 *
 * @param t     the table.
 * @param name  its name.
 * @return the id; -ENOENT when no service has that name; -EINVAL for NULL.
 */
SDNFV_API int sdnfv_service_id(const struct sdnfv_service_table *t, const char *name);

/**
 * The name of a service.
 *
 * @param t   the table.
 * @param id  its id.
 * @return the name (inside the table, valid as long as it is); NULL for an unknown id.
 */
SDNFV_API const char *sdnfv_service_name(const struct sdnfv_service_table *t, uint16_t id);

/**
 * How many services the table names.
 *
 * @param t  the table.
 * @return the count; ids are 0 to count - 1.
 */
SDNFV_API unsigned int sdnfv_service_count(const struct sdnfv_service_table *t);

/**
 * Make an instance live for a service. Buckets move to it only where it wins them.
 *
 * @param t         the table (writer).
 * @param id        the service.
 * @param instance  the instance's id (any value but #SDNFV_SERVICE_NONE, unique to the caller's
 *                  liking; a host uses its NF ids).
 * @return 0; -ENOENT for an unknown service; -EEXIST when the instance is live for it already;
 *         -ENOSPC when the service has max_instances live; -EINVAL for #SDNFV_SERVICE_NONE.
 */
SDNFV_API int sdnfv_service_instance_add(struct sdnfv_service_table *t, uint16_t id,
					 uint16_t instance);

/**
 * Remove an instance from a service. Only the buckets it owned move, each to its next-best live
 * instance; when it was the last, the buckets name #SDNFV_SERVICE_NONE.
 *
 * @param t         the table (writer).
 * @param id        the service.
 * @param instance  the instance.
 * @return the number of buckets that moved; -ENOENT when the service is unknown or the instance
 *         is not live for it.
 */
SDNFV_API int sdnfv_service_instance_remove(struct sdnfv_service_table *t, uint16_t id,
					    uint16_t instance);

/**
 * The live instances of a service.
 *
 * @param t         the table.
 * @param id        the service.
 * @param[out] out  up to @p n instance ids, in the order they were added.
 * @param n         room in @p out.
 * @return the number of live instances (which may exceed @p n); -ENOENT for an unknown service.
 *
 * Concurrent with a removal from the same service, the list read may be neither the old one nor
 * the new one (an instance twice, or one left out); callers that need an exact list read it from
 * the writer's side.
 */
SDNFV_API int sdnfv_service_instances(const struct sdnfv_service_table *t, uint16_t id,
				      uint16_t *out, unsigned int n);

/** @cond INTERNAL */
/* The layout sdnfv_service_select() reads; not part of the API. */
struct sdnfv_service__hdr {
	uint32_t magic;
	uint32_t max_services;
	uint32_t max_instances;
	uint32_t bucket_mask;
	uint64_t service_off;  /* offset of service 0's record */
	uint64_t service_size; /* bytes per service record */
	uint64_t buckets_off;  /* offset of the bucket array inside a record */
};
/** @endcond */

/**
 * The instance of a service that a flow goes to. Any thread, any process, lock-free.
 *
 * @param t          the table.
 * @param id         the service (must be below max_services; unchecked). An id not yet given by
 *                   sdnfv_service_add() selects #SDNFV_SERVICE_NONE.
 * @param flow_hash  the flow's 32-bit hash; the same flow must always give the same hash.
 * @return the instance id; #SDNFV_SERVICE_NONE when the service has no live instance.
 */
static inline uint16_t
sdnfv_service_select(const struct sdnfv_service_table *t, uint16_t id, uint32_t flow_hash)
{
	const struct sdnfv_service__hdr *h = (const struct sdnfv_service__hdr *)t;
	const uint16_t *b = (const uint16_t *)((const char *)t + h->service_off +
					       (uint64_t)id * h->service_size + h->buckets_off);

	return __atomic_load_n(&b[flow_hash & h->bucket_mask], __ATOMIC_RELAXED);
}

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_SERVICE_H */
