/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the monotonic clock of the control paths (timeouts, logs, telemetry). Never installed. */
#ifndef SDNFV_LIB_CLOCK_H
#define SDNFV_LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds: comparable across the host's processes, and with the times a
 * test takes outside (Python's time.monotonic()). Not for the packet path: it costs a vDSO
 * call. */
static inline uint64_t
sdnfv_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* SDNFV_LIB_CLOCK_H */
