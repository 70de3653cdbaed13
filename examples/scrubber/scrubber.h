/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scrubber: the NF a dpi NF redirects suspicious flows to (service "scrubber").
 *
 * Mode drop drops every packet it gets; mode clean cuts the L4 payload off every TCP/UDP packet
 * (headers kept, so the connection's control packets still pass; IP length and checksums
 * rewritten) and forwards it. Both count packets and bytes per flow (5-tuple, both directions
 * together) in a bounded table. The logic works on contiguous frames (scrubber_packet()); the NF
 * handlers wrap it for mbufs, and drop chained mbufs whole (never freeing a segment).
 */
#ifndef SDNFV_EXAMPLE_SCRUBBER_H
#define SDNFV_EXAMPLE_SCRUBBER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sdnfv/nf.h>

enum scrubber_mode { SCRUBBER_DROP, SCRUBBER_CLEAN };

struct scrubber;

/* A scrubber counting up to `flows` flows (0: 4096). NULL when out of memory. */
struct scrubber *scrubber_create(enum scrubber_mode mode, unsigned int flows, const char *name);
void scrubber_free(struct scrubber *s);

/*
 * One frame: returns its new length (clean mode: shorter when payload was cut; the frame is
 * rewritten in place), or -1 for drop. Malformed frames are counted and, in clean mode, dropped
 * (a scrubber cannot vouch for what it cannot parse).
 */
int scrubber_packet(struct scrubber *s, uint8_t *frame, uint32_t len);

struct scrubber_stats {
	uint64_t rx, bytes, dropped, cleaned, passed, cut_bytes, malformed, flows, untracked;
	uint64_t segmented; /* chained mbufs, dropped uncut in either mode (the NF handler) */
};
void scrubber_stats(const struct scrubber *s, struct scrubber_stats *out);

/* `scrubber: summary rx N ...` and one `scrubber: flow ...` line per flow. */
void scrubber_summary(const struct scrubber *s, FILE *f);

/* The NF handlers; arg is a struct scrubber. */
extern const struct sdnfv_nf_ops scrubber_nf_ops;

#endif
