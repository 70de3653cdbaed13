/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: validation of the names shared objects are found by. Never installed. */
#ifndef SDNFV_LIB_NAME_H
#define SDNFV_LIB_NAME_H

#include <errno.h>
#include <string.h>

#include <rte_log.h>
#include <rte_memzone.h>

/* 0 when `name` has 1 to `max` characters; else -EINVAL (NULL or empty) or -ENAMETOOLONG, with a
 * log line of `logtype` naming the kind of object ("ring", "pool"). */
static inline int
sdnfv_name_check(int logtype, const char *kind, const char *name, size_t max)
{
	if (name == NULL || name[0] == '\0') {
		rte_log(RTE_LOG_ERR, logtype, "sdnfv.%s: %s name is empty\n", kind, kind);
		return -EINVAL;
	}
	if (strnlen(name, max + 1) > max) {
		rte_log(RTE_LOG_ERR, logtype,
			"sdnfv.%s: %s name '%.*s...' longer than %zu characters\n", kind, kind,
			(int)max, name, max);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * Find a shared object by name: a memzone of at least `size` bytes whose first 32 bits are
 * `magic` (written last by its creator, with release). Returns 0 with *addr set; -EINVAL, or
 * -ENAMETOOLONG, for a bad name; -ENOENT when there is no such memzone (yet); -EPROTO when the
 * memzone is something else, or of another layout version (logged).
 */
static inline int
sdnfv_shared_find(int logtype, const char *kind, const char *name, size_t max, size_t size,
		  uint32_t magic, void **addr)
{
	const struct rte_memzone *mz;
	int ret = sdnfv_name_check(logtype, kind, name, max);

	if (ret < 0)
		return ret;
	mz = rte_memzone_lookup(name);
	if (mz == NULL) {
		rte_log(RTE_LOG_DEBUG, logtype, "sdnfv.%s: %s %s: not found\n", kind, kind, name);
		return -ENOENT;
	}
	if (mz->len < size ||
	    __atomic_load_n((const uint32_t *)mz->addr, __ATOMIC_ACQUIRE) != magic) {
		rte_log(RTE_LOG_ERR, logtype,
			"sdnfv.%s: memzone %s is not a libsdnfv %s of this version\n", kind, name,
			kind);
		return -EPROTO;
	}
	*addr = mz->addr;
	return 0;
}

#endif /* SDNFV_LIB_NAME_H */
