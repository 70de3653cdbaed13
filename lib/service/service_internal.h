/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: the layout of a service table and its rendezvous weight. Never installed. */
#ifndef SDNFV_LIB_SERVICE_INTERNAL_H
#define SDNFV_LIB_SERVICE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sdnfv/service.h>

/* "SDS" + layout version 1: a process built against another layout sees another magic. */
#define SERVICE_MAGIC 0x53445301u

/*
 * The block: this header, then max_services records of hdr.service_size bytes each. A record is
 * struct service_rec, then max_instances instance ids (uint16_t, in order of addition), then, at
 * hdr.buckets_off, the bucket array (uint16_t owners, #SDNFV_SERVICE_NONE when none).
 */
struct sdnfv_service_table {
	struct sdnfv_service__hdr hdr; /* first: sdnfv_service_select() reads it */
	uint32_t count;                /* services named; published with release */
	uint32_t buckets;              /* bucket_mask + 1 */
};

struct service_rec {
	char name[SDNFV_SERVICE_NAME_MAX + 1];
	uint32_t live;     /* live instances; published with release */
	uint32_t reserved; /* keeps inst[] 8-byte aligned */
	uint16_t inst[];   /* max_instances ids */
};

/* The rendezvous weight of an instance for a bucket: one splitmix64 step over both. */
static inline uint64_t
sdnfv_service__weight(uint32_t bucket, uint16_t instance)
{
	uint64_t x = ((uint64_t)instance << 32 | bucket) + 0x9e3779b97f4a7c15ull;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* Whether instance a (weight wa) beats instance b (weight wb): the higher weight, then the lower
 * id. Any instance beats SDNFV_SERVICE_NONE. */
static inline bool
sdnfv_service__beats(uint64_t wa, uint16_t a, uint64_t wb, uint16_t b)
{
	if (b == SDNFV_SERVICE_NONE)
		return true;
	return wa > wb || (wa == wb && a < b);
}

#endif /* SDNFV_LIB_SERVICE_INTERNAL_H */
