/* SPDX-License-Identifier: BSD-3-Clause */
/* Service names, live instances and their rendezvous-hashed buckets; select is inline in
 * <sdnfv/service.h>. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sdnfv/service.h>

#include "common/log.h"
#include "common/name.h"
#include "common/params.h"
#include "service/service_internal.h"

SDNFV_LOG_REGISTER(service);

#define DEFAULT_BUCKETS 1024u
#define MAX_BUCKETS     65536u
#define ALIGN8(x)       (((x) + 7) & ~(uint64_t)7)

/* The layout for these parameters (read from the caller's struct): 0, or -EINVAL (logged). */
static int
layout(const struct sdnfv_service_params *in, struct sdnfv_service_params *p, uint64_t *rec_size,
       uint64_t *buckets_off, uint64_t *total)
{
	if (sdnfv_params_read(in, p, sizeof(*p), offsetof(struct sdnfv_service_params, buckets)) <
	    0) {
		SDNFV_LOG(service, ERR, "params NULL or its sz too small");
		return -EINVAL;
	}
	if (p->buckets == 0)
		p->buckets = DEFAULT_BUCKETS;
	if (p->max_services < 1 || p->max_services > UINT16_MAX || p->max_instances < 1 ||
	    p->max_instances > UINT16_MAX || p->buckets > MAX_BUCKETS ||
	    (p->buckets & (p->buckets - 1)) != 0) {
		SDNFV_LOG(service, ERR,
			  "bad capacities: max_services %u, max_instances %u (1 to 65535 each), "
			  "buckets %u (a power of two up to 65536)",
			  p->max_services, p->max_instances, p->buckets);
		return -EINVAL;
	}
	*buckets_off = ALIGN8(sizeof(struct service_rec) + (uint64_t)p->max_instances * 2);
	*rec_size = ALIGN8(*buckets_off + (uint64_t)p->buckets * 2);
	*total = ALIGN8(sizeof(struct sdnfv_service_table)) + *rec_size * p->max_services;
	if (*total > SIZE_MAX) {
		SDNFV_LOG(service, ERR, "a table of %" PRIu64 " bytes does not fit in memory",
			  *total);
		return -EINVAL;
	}
	return 0;
}

size_t
sdnfv_service_table_size(const struct sdnfv_service_params *params)
{
	struct sdnfv_service_params p;
	uint64_t rec_size, buckets_off, total;

	if (layout(params, &p, &rec_size, &buckets_off, &total) < 0)
		return 0;
	return (size_t)total;
}

struct sdnfv_service_table *
sdnfv_service_table_init(void *mem, size_t size, const struct sdnfv_service_params *params)
{
	struct sdnfv_service_params p;
	struct sdnfv_service_table *t = mem;
	uint64_t rec_size, buckets_off, total;
	uint32_t i;

	if (layout(params, &p, &rec_size, &buckets_off, &total) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (mem == NULL || ((uintptr_t)mem & 7) != 0 || size < total) {
		SDNFV_LOG(service, ERR, "memory %p of %zu bytes: need %" PRIu64 ", 8-byte aligned",
			  mem, size, total);
		errno = EINVAL;
		return NULL;
	}
	__atomic_store_n(&t->hdr.magic, 0, __ATOMIC_RELAXED);
	t->hdr.max_services = p.max_services;
	t->hdr.max_instances = p.max_instances;
	t->hdr.bucket_mask = p.buckets - 1;
	t->hdr.service_off = ALIGN8(sizeof(*t));
	t->hdr.service_size = rec_size;
	t->hdr.buckets_off = buckets_off;
	t->count = 0;
	t->buckets = p.buckets;
	/* Every instance id and bucket owner is SDNFV_SERVICE_NONE (all ones); names and counts 0. */
	memset((char *)t + t->hdr.service_off, 0xff, rec_size * p.max_services);
	for (i = 0; i < p.max_services; i++)
		memset((char *)t + t->hdr.service_off + i * rec_size, 0,
		       sizeof(struct service_rec));
	/* The magic goes last: a process that checks it sees a complete table. */
	__atomic_store_n(&t->hdr.magic, SERVICE_MAGIC, __ATOMIC_RELEASE);
	return t;
}

static bool
valid(const struct sdnfv_service_table *t)
{
	if (t == NULL || __atomic_load_n(&t->hdr.magic, __ATOMIC_ACQUIRE) != SERVICE_MAGIC) {
		SDNFV_LOG(service, ERR, "table %p is NULL or not initialised", (const void *)t);
		return false;
	}
	return true;
}

static unsigned int
count(const struct sdnfv_service_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_ACQUIRE);
}

static struct service_rec *
rec(const struct sdnfv_service_table *t, uint16_t id)
{
	return (struct service_rec *)((char *)t + t->hdr.service_off + id * t->hdr.service_size);
}

static uint16_t *
buckets(const struct sdnfv_service_table *t, uint16_t id)
{
	return (uint16_t *)((char *)rec(t, id) + t->hdr.buckets_off);
}

/* The record of a named service, or NULL (logged) when the id names none. */
static struct service_rec *
known(const struct sdnfv_service_table *t, uint16_t id)
{
	if (!valid(t))
		return NULL;
	if (id >= count(t)) {
		SDNFV_LOG(service, ERR, "no service with id %u", id);
		return NULL;
	}
	return rec(t, id);
}

static int
check_name(const char *name)
{
	int ret = sdnfv_name_check(sdnfv_logtype_service, "service", name, SDNFV_SERVICE_NAME_MAX);
	const char *c;

	if (ret < 0)
		return ret;
	for (c = name; *c != '\0'; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-')) {
			SDNFV_LOG(
				service, ERR,
				"service name '%s': character 0x%02x is not one of [A-Za-z0-9_.-]",
				name, (unsigned char)*c);
			return -EINVAL;
		}
	}
	return 0;
}

static int
find(const struct sdnfv_service_table *t, const char *name)
{
	unsigned int i, n = count(t);

	for (i = 0; i < n; i++)
		if (strncmp(rec(t, i)->name, name, SDNFV_SERVICE_NAME_MAX + 1) == 0)
			return (int)i;
	return -ENOENT;
}

int
sdnfv_service_add(struct sdnfv_service_table *t, const char *name)
{
	unsigned int id;
	int ret;

	if (!valid(t))
		return -EINVAL;
	ret = check_name(name);
	if (ret < 0)
		return ret;
	ret = find(t, name);
	if (ret >= 0)
		return ret;
	id = t->count;
	if (id >= t->hdr.max_services) {
		SDNFV_LOG(service, ERR, "service %s: the table is full (%u services)", name, id);
		return -ENOSPC;
	}
	strcpy(rec(t, id)->name, name);
	/* Readers that see the new count see the name. */
	__atomic_store_n(&t->count, id + 1, __ATOMIC_RELEASE);
	return (int)id;
}

int
sdnfv_service_id(const struct sdnfv_service_table *t, const char *name)
{
	if (!valid(t))
		return -EINVAL;
	if (name == NULL) {
		SDNFV_LOG(service, ERR, "service name is NULL");
		return -EINVAL;
	}
	return find(t, name);
}

const char *
sdnfv_service_name(const struct sdnfv_service_table *t, uint16_t id)
{
	const struct service_rec *r = known(t, id);

	return r == NULL ? NULL : r->name;
}

unsigned int
sdnfv_service_count(const struct sdnfv_service_table *t)
{
	return valid(t) ? count(t) : 0;
}

/* Where `instance` is in the list of live instances, or -1. */
static int
position(const struct service_rec *r, uint16_t instance)
{
	uint32_t i;

	for (i = 0; i < r->live; i++)
		if (r->inst[i] == instance)
			return (int)i;
	return -1;
}

int
sdnfv_service_instance_add(struct sdnfv_service_table *t, uint16_t id, uint16_t instance)
{
	struct service_rec *r;
	uint16_t *b, owner;
	uint32_t i;

	if (instance == SDNFV_SERVICE_NONE) {
		SDNFV_LOG(service, ERR, "service %u: instance id %u is SDNFV_SERVICE_NONE", id,
			  instance);
		return -EINVAL;
	}
	r = known(t, id);
	if (r == NULL)
		return t == NULL ? -EINVAL : -ENOENT;
	if (position(r, instance) >= 0) {
		SDNFV_LOG(service, ERR, "service %s: instance %u is live already", r->name,
			  instance);
		return -EEXIST;
	}
	if (r->live >= t->hdr.max_instances) {
		SDNFV_LOG(service, ERR, "service %s: instance %u: %u instances live, the most",
			  r->name, instance, r->live);
		return -ENOSPC;
	}
	/* The new instance takes exactly the buckets where it beats the owner: rendezvous weights
	 * of the others do not change, so no other bucket can move. */
	b = buckets(t, id);
	for (i = 0; i < t->buckets; i++) {
		owner = b[i];
		if (owner == SDNFV_SERVICE_NONE ||
		    sdnfv_service__beats(sdnfv_service__weight(i, instance), instance,
					 sdnfv_service__weight(i, owner), owner))
			__atomic_store_n(&b[i], instance, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&r->inst[r->live], instance, __ATOMIC_RELAXED);
	/* Readers of the list that see the new count see the new id. */
	__atomic_store_n(&r->live, r->live + 1, __ATOMIC_RELEASE);
	return 0;
}

int
sdnfv_service_instance_remove(struct sdnfv_service_table *t, uint16_t id, uint16_t instance)
{
	struct service_rec *r = known(t, id);
	uint16_t *b, best;
	uint64_t w, best_w;
	uint32_t i, j, live;
	int pos, moved = 0;

	if (r == NULL)
		return t == NULL ? -EINVAL : -ENOENT;
	pos = position(r, instance);
	if (pos < 0) {
		SDNFV_LOG(service, ERR, "service %s: instance %u is not live", r->name, instance);
		return -ENOENT;
	}
	/* Take it off the list first (keeping the others in order), so that the list is the set
	 * of the remaining instances when its buckets are handed out. */
	live = r->live - 1;
	for (j = (uint32_t)pos; j < live; j++)
		__atomic_store_n(&r->inst[j], r->inst[j + 1], __ATOMIC_RELAXED);
	__atomic_store_n(&r->inst[live], SDNFV_SERVICE_NONE, __ATOMIC_RELAXED);
	__atomic_store_n(&r->live, live, __ATOMIC_RELEASE);

	b = buckets(t, id);
	for (i = 0; i < t->buckets; i++) {
		if (b[i] != instance)
			continue;
		best = SDNFV_SERVICE_NONE;
		best_w = 0;
		for (j = 0; j < live; j++) {
			w = sdnfv_service__weight(i, r->inst[j]);
			if (sdnfv_service__beats(w, r->inst[j], best_w, best)) {
				best = r->inst[j];
				best_w = w;
			}
		}
		__atomic_store_n(&b[i], best, __ATOMIC_RELAXED);
		moved++;
	}
	/* Orders every bucket store before whatever the writer publishes next. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return moved;
}

int
sdnfv_service_instances(const struct sdnfv_service_table *t, uint16_t id, uint16_t *out,
			unsigned int n)
{
	const struct service_rec *r = known(t, id);
	uint32_t i, live;

	if (r == NULL)
		return t == NULL ? -EINVAL : -ENOENT;
	live = __atomic_load_n(&r->live, __ATOMIC_ACQUIRE);
	if (out == NULL)
		n = 0;
	for (i = 0; i < live && i < n; i++)
		out[i] = __atomic_load_n(&r->inst[i], __ATOMIC_RELAXED);
	return (int)live;
}
