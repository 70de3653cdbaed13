/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: validation of the names shared objects are found by. Never installed. */
#ifndef SDNFV_LIB_NAME_H
#define SDNFV_LIB_NAME_H

#include <errno.h>
#include <string.h>

#include <rte_log.h>

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

#endif /* SDNFV_LIB_NAME_H */
