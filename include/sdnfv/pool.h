/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pool: per-socket packet memory shared by every process of a host, and per-packet metadata.
 *
 * In the NetVM data plane a packet is written once, into hugepage memory, and never copied:
 * processes hand each other mbuf pointers. A struct sdnfv_pool is the set of DPDK mbuf pools of
 * one host, one per NUMA socket, so a port's packets land in memory local to the cores that
 * process them. The owner (the host manager, a DPDK primary) creates it under a name; any other
 * process of the same DPDK instance (a secondary: an NF) attaches to it by that name and gets the
 * same pools at the same addresses.
 *
 * Shared objects take their names from the pool's name: the descriptor memzone is `<name>`, the
 * mempool of socket `s` is `<name>_p<s>`. DPDK limits mempool names, so a pool name has at most
 * #SDNFV_POOL_NAME_MAX characters.
 *
 * **Metadata.** Each mbuf carries a struct sdnfv_meta (the packet's action, destination, position
 * in its service chain, flow id and flags) in a registered mbuf dynamic field named
 * `"sdnfv_meta"`, not in the legacy `udata64`. Creating or attaching a pool registers the field;
 * a program that only wants the metadata (a flow-table embedder) calls sdnfv_meta_register().
 * sdnfv_meta_get() is then a single add.
 *
 * **Accounting.** sdnfv_pool_in_use() counts the mbufs taken from a pool and not yet returned,
 * across all processes (per-lcore caches count as free), so a test can prove nothing leaked.
 * It is exact only when no other thread allocates or frees at the same time.
 *
 * **Threads and processes.** Create, attach and free are control-path calls, not thread-safe
 * against each other for the same pool. The mempools themselves are DPDK mempools: any lcore may
 * allocate and free, but lcore ids must be unique across all processes of one DPDK instance,
 * since the per-lcore caches live in shared memory indexed by lcore id.
 */
#ifndef SDNFV_POOL_H
#define SDNFV_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include <sdnfv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest pool name, in characters (DPDK mempool names are short). */
#define SDNFV_POOL_NAME_MAX 20

/** A host's packet pools, one per socket. Opaque. */
struct sdnfv_pool;

/** Parameters of sdnfv_pool_create(). Zero-initialise, set sz, then the fields you need. */
struct sdnfv_pool_params {
	size_t sz;        /**< sizeof(struct sdnfv_pool_params) */
	const char *name; /**< pool name, 1 to #SDNFV_POOL_NAME_MAX characters; copied */
	uint32_t n_mbufs; /**< mbufs per socket (best a power of two minus one); required */
	uint32_t
		cache_size; /**< per-lcore cache size; 0 for none; at most RTE_MEMPOOL_CACHE_MAX_SIZE */
	uint16_t
		data_room; /**< data room per mbuf including headroom; 0 for RTE_MBUF_DEFAULT_BUF_SIZE */
	uint16_t
		priv_size; /**< application private area per mbuf, multiple of RTE_MBUF_PRIV_ALIGN */
	uint32_t n_sockets; /**< entries in @ref sockets; 0 for every socket that has CPUs */
	const int *sockets; /**< sockets to create a pool on; read during the call only */
};

/**
 * Create the pools of a host, one per socket, and register the metadata field.
 *
 * Needs the EAL initialised as a primary process.
 *
 * @param params    the parameters.
 * @param[out] out  the pool, owned by the caller; sdnfv_pool_free() destroys the mempools.
 * @return 0; -EINVAL for bad parameters; -ENAMETOOLONG when the name is too long; -EEXIST when
 *         a pool of that name exists; -ENOMEM when hugepage memory runs out; -E_RTE_SECONDARY
 *         in a secondary process.
 */
SDNFV_API int sdnfv_pool_create(const struct sdnfv_pool_params *params, struct sdnfv_pool **out);

/**
 * Attach to pools created by another process (or this one), by name.
 *
 * @param name      the name given to sdnfv_pool_create().
 * @param[out] out  a handle, owned by the caller; sdnfv_pool_free() releases only the handle.
 * @return 0; -ENOENT when no pool of that name exists (yet: a secondary started before its
 *         primary may retry); -ENAMETOOLONG; -ENOMEM; -EPROTO when the shared descriptor is not a
 *         libsdnfv pool of this version.
 */
SDNFV_API int sdnfv_pool_attach(const char *name, struct sdnfv_pool **out);

/**
 * Release a pool handle. The creator's handle also frees the mempools and their memory: every
 * mbuf must be back by then, and no other process may use the pool afterwards.
 *
 * @param pool  the pool, or NULL.
 */
SDNFV_API void sdnfv_pool_free(struct sdnfv_pool *pool);

/**
 * The mempool of a socket, to allocate from on the fast path (look it up once, keep it).
 *
 * @param pool       the pool.
 * @param socket_id  a socket id; SOCKET_ID_ANY (-1) for the socket of the calling lcore.
 * @return the mempool; with SOCKET_ID_ANY, the first socket's mempool when the calling thread's
 *         socket has none; NULL when the pool has no mempool on @p socket_id.
 */
SDNFV_API struct rte_mempool *sdnfv_pool_mempool(const struct sdnfv_pool *pool, int socket_id);

/**
 * The sockets that have a mempool in this pool.
 *
 * @param pool      the pool.
 * @param[out] ids  filled with up to @p n socket ids, increasing; may be NULL when @p n is 0.
 * @param n         room in @p ids.
 * @return the number of sockets (may exceed @p n).
 */
SDNFV_API int sdnfv_pool_sockets(const struct sdnfv_pool *pool, int *ids, unsigned int n);

/**
 * Count the mbufs in use: taken from the pool and not yet freed, by any process.
 *
 * @param pool       the pool.
 * @param socket_id  one socket, or -1 for the sum over all sockets.
 * @return the count; -ENOENT when the pool has no mempool on @p socket_id.
 */
SDNFV_API int sdnfv_pool_in_use(const struct sdnfv_pool *pool, int socket_id);

/* ---------------------------------------------------------------------------------------- */
/* Per-packet metadata                                                                        */

/** What should happen to a packet next (sdnfv_meta::action). */
enum sdnfv_action {
	SDNFV_ACT_NONE = 0, /**< nothing decided yet */
	SDNFV_ACT_NEXT,     /**< the next hop of the flow's service chain */
	SDNFV_ACT_SERVICE,  /**< the service whose id is in sdnfv_meta::dest */
	SDNFV_ACT_PORT,     /**< out of the port whose id is in sdnfv_meta::dest */
	SDNFV_ACT_DROP,     /**< free the packet */
	SDNFV_ACT_HOLD,     /**< an NF keeps the packet and gives it back later (see nf.h) */
};

/** sdnfv_meta::flow_id of a packet whose flow is not known. */
#define SDNFV_META_FLOW_NONE UINT32_MAX

/** Bits of sdnfv_meta::flags reserved to applications; the library never reads or sets them. */
#define SDNFV_META_F_USER_MASK 0xff00

/** Per-packet metadata, in an mbuf dynamic field; 12 bytes. */
struct sdnfv_meta {
	uint32_t flow_id;  /**< the flow's id: a host manager sets the symmetric hash of its key
			     *   (both directions give the same id), or #SDNFV_META_FLOW_NONE */
	uint16_t dest;     /**< service id (#SDNFV_ACT_SERVICE) or port id (#SDNFV_ACT_PORT) */
	uint8_t action;    /**< enum sdnfv_action */
	uint8_t chain_pos; /**< index of the hop of the flow's service chain the packet is at */
	uint16_t flags;    /**< bits 0-7 belong to the library (none defined yet); see
			     *   #SDNFV_META_F_USER_MASK */
	uint16_t chain;    /**< the service chain the packet follows (a host manager's chain id) */
};

/**
 * Offset of struct sdnfv_meta in every mbuf; -1 until sdnfv_meta_register() (or a pool create or
 * attach) has run in this process. Read it, never write it.
 */
SDNFV_API extern int sdnfv_meta_offset;

/**
 * Register the metadata dynamic field (or find it, when another process registered it first) and
 * set #sdnfv_meta_offset. Idempotent.
 *
 * Needs the EAL initialised.
 *
 * @return the field's offset (>= 0); -ENOMEM when the mbuf has no room left; -EEXIST when a field
 *         named "sdnfv_meta" exists with another size or alignment (an incompatible libsdnfv).
 */
SDNFV_API int sdnfv_meta_register(void);

/**
 * The metadata of a packet. #sdnfv_meta_offset must be set.
 *
 * @param m  the packet.
 * @return a pointer into @p m, valid as long as the mbuf is.
 */
static inline struct sdnfv_meta *
sdnfv_meta_get(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, sdnfv_meta_offset, struct sdnfv_meta *);
}

/**
 * Reset a packet's metadata: no action, no flow, position 0, no flags.
 *
 * @param m  the packet.
 */
static inline void
sdnfv_meta_reset(struct rte_mbuf *m)
{
	struct sdnfv_meta *meta = sdnfv_meta_get(m);

	meta->flow_id = SDNFV_META_FLOW_NONE;
	meta->dest = 0;
	meta->action = SDNFV_ACT_NONE;
	meta->chain_pos = 0;
	meta->flags = 0;
	meta->chain = 0;
}

/**
 * Set what should happen to a packet next.
 *
 * @param m       the packet.
 * @param action  an enum sdnfv_action value.
 * @param dest    the service or port id for #SDNFV_ACT_SERVICE and #SDNFV_ACT_PORT; else ignored.
 */
static inline void
sdnfv_meta_set_action(struct rte_mbuf *m, enum sdnfv_action action, uint16_t dest)
{
	struct sdnfv_meta *meta = sdnfv_meta_get(m);

	meta->action = (uint8_t)action;
	meta->dest = dest;
}

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_POOL_H */
