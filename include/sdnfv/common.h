/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Definitions shared by every libsdnfv layer.
 *
 * Conventions that hold across the whole library:
 *
 * - **Errors.** A function returns 0, a count, or a negative errno value; a function that
 *   returns a pointer returns it through an out parameter and the error as above. The library
 *   never calls exit(), rte_exit() or abort(). Every failure of a control-path call also writes
 *   one log line naming the problem (DPDK log types `lib.sdnfv.<layer>`, e.g.
 *   `--log-level=lib.sdnfv.*:debug`). Fast-path calls never log per packet: they report through
 *   their return value or counters.
 * - **Ownership.** Each function says who owns the memory it takes or returns. Every destroy or
 *   free function accepts NULL.
 * - **Threads.** Each header states which calls may run concurrently and from which threads.
 * - **Parameter structs** start with `size_t sz`, set by the caller to `sizeof` the struct it was
 *   compiled with, so that later versions can add fields without breaking old callers.
 */
#ifndef SDNFV_COMMON_H
#define SDNFV_COMMON_H

#include <sdnfv/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Marks a symbol exported from the shared library; everything else is hidden. */
#define SDNFV_API __attribute__((visibility("default")))

/**
 * Version of the library the program runs with.
 *
 * @return the library's version string, "MAJOR.MINOR.PATCH"; static storage, never NULL.
 */
SDNFV_API const char *sdnfv_version(void);

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_COMMON_H */
