/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: logging for the library's layers. Never installed. */
#ifndef SDNFV_LIB_LOG_H
#define SDNFV_LIB_LOG_H

#include <rte_log.h>

/* One DPDK log type per layer, "lib.sdnfv.<layer>", registered by the layer's own file with
 * SDNFV_LOG_REGISTER(layer). */
#define SDNFV_LOG_REGISTER(layer) RTE_LOG_REGISTER(sdnfv_logtype_##layer, lib.sdnfv.layer, INFO)

/* SDNFV_LOG(ring, ERR, "ring %s: ...", name): one line, newline added. */
#define SDNFV_LOG(layer, level, fmt, ...)                                              \
	rte_log(RTE_LOG_##level, sdnfv_logtype_##layer, "sdnfv." #layer ": " fmt "\n", \
		##__VA_ARGS__)

#endif /* SDNFV_LIB_LOG_H */
