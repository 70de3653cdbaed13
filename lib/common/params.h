/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: reading the size-prefixed parameter structs of the public API. Never installed. */
#ifndef SDNFV_LIB_PARAMS_H
#define SDNFV_LIB_PARAMS_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_common.h>

/*
 * Copy a caller's struct, whose first member is `size_t sz`, into a zeroed `out` of this build's
 * size: the fields past a shorter (older) caller's sz stay 0, a longer (newer) caller's extra
 * fields are ignored. `known` is the size the library needs at least (up to its last required
 * field). Returns 0, or -EINVAL when `in` is NULL or its sz is below `known` (the caller logs).
 */
static inline int
sdnfv_params_read(const void *in, void *out, size_t out_size, size_t known)
{
	size_t sz;

	memset(out, 0, out_size);
	if (in == NULL)
		return -EINVAL;
	memcpy(&sz, in, sizeof(sz));
	if (sz < known)
		return -EINVAL;
	memcpy(out, in, RTE_MIN(sz, out_size));
	return 0;
}

#endif /* SDNFV_LIB_PARAMS_H */
