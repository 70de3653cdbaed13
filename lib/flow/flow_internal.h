/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: how the flow table is put together. Never installed.
 *
 *   table.c   the table object, readers (liburcu QSBR), lookups, learning, maintain()
 *   rules.c   the rule store: slots, OpenFlow add/modify/delete semantics, timeouts, counters
 *   cls.c     the classifier of cache misses over the live rules (rte_acl + a delta)
 *   cache.c   the exact-match flow cache: concurrent hash of struct sdnfv_flow_key
 *   match.c   the pure match functions of the public header (key from packet, match, cover)
 *   text.c    rules as text, and all-or-nothing file loading
 *
 * Validity of a cached decision. A cache entry records the rule that won for its key, the rule
 * slot's version and the table's add epoch at the time. It stands while both still hold:
 *   - the slot's version changes when its rule leaves (deleted, expired): the flows that used it
 *     must fall to another rule;
 *   - the add epoch changes when a rule is added (a new rule may beat the cached winner of any
 *     flow it matches).
 * Replacing a rule (same match and priority) and modifying its action change neither: the winner
 * is the same rule, and readers read its action through an RCU pointer.
 * A reader loads the epoch once per burst, so no stale decision survives a change by more than
 * the burst in flight. Order on the writer's side: make the classifier reflect the change, then
 * bump the version or the epoch (release). A reader that sees the new version or epoch sees the
 * classifier that reflects it.
 *
 * Memory reclamation. Removed rule slots, replaced actions and removed cache slots go to limbo;
 * sdnfv_flow_maintain() seals limbo, waits for a grace period (urcu-qsbr synchronize_rcu()), then
 * releases what it sealed. A rule slot is also kept out of reuse while a compiled classifier base
 * still names it (cls.c says when it no longer does).
 */
#ifndef SDNFV_LIB_FLOW_INTERNAL_H
#define SDNFV_LIB_FLOW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include <sdnfv/flow.h>

#define FLOW_RULE_NONE UINT32_MAX

/* The log type of the layer, registered in match.c. */
extern int sdnfv_logtype_flow;

/* ---- match.c ------------------------------------------------------------------------------ */

/* Same fields, same constraints (what "identical match" means for add and strict selection). */
bool flow_match_equal(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b);
/* What is wrong with a match (a short static phrase), or NULL when it is well formed. */
const char *flow_match_problem(const struct sdnfv_flow_match *m);
/* Could one key match both? (OpenFlow's overlap, for SDNFV_FLOW_F_CHECK_OVERLAP.) */
bool flow_match_overlap(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b);

/* ---- rule store (rules.c) ------------------------------------------------------------------ */

/* One slot of the rule store. The first line is what readers touch. */
struct flow_rule {
	uint32_t version;  /* readers: atomic load; bumped when the rule leaves */
	uint16_t priority; /* readers (classifier) */
	uint8_t alive;     /* readers: atomic load */
	uint8_t pad0;
	const struct sdnfv_flow_action *action; /* readers: atomic load (RCU) */
	/* Writer only from here. */
	struct sdnfv_flow_rule rule;       /* as added (match, cookie, timeouts, flags) */
	uint64_t added_ns;                 /* for duration and hard timeout */
	uint64_t base_packets, base_bytes; /* counter sums at add/reset, subtracted on read */
	uint32_t next_free;                /* free list link */
	uint32_t heap_idx;                 /* position in the timeout heap, or UINT32_MAX */
} __rte_cache_aligned;

/* A reader's counters for one rule. Written by that reader only. */
struct flow_rule_count {
	uint64_t packets;
	uint64_t bytes;
	uint64_t last_ns; /* time of its last packet, from the table clock */
};

/* ---- exact-match cache (cache.c) ----------------------------------------------------------- */

/* One cached flow: a cache line. The cache owns key and placement; the rest is the table's. */
struct flow_entry {
	struct sdnfv_flow_key key; /* 48 bytes */
	uint32_t rule_id;          /* written with rule_ver as one 64-bit store */
	uint32_t rule_ver;
	uint32_t epoch;     /* written after rule_id/rule_ver (release) */
	uint32_t last_used; /* coarse ms; readers store it when it changed */
} __rte_cache_aligned;

struct flow_cache;

/* Create a cache for `max_flows` flows on `socket`. */
int flow_cache_create(const char *name, uint32_t max_flows, int socket, struct flow_cache **out);
void flow_cache_free(struct flow_cache *c);

/* Hash of a key, as the cache uses it. */
uint32_t flow_cache_hash(const struct sdnfv_flow_key *key);

/* Readers, lock-free: for each key, the entry holding it or NULL (bit i of *hit_mask set when
 * found). Entries stay valid until the reader's next quiescent state. */
void flow_cache_lookup_burst(const struct flow_cache *c, const struct sdnfv_flow_key *keys,
			     unsigned int n, struct flow_entry **entries, uint64_t *hit_mask);

/* Writer: the entry holding `key`, or NULL. */
struct flow_entry *flow_cache_find(struct flow_cache *c, const struct sdnfv_flow_key *key);

/* Writer: insert `key` (absent) and return its entry, whose table fields the caller then fills
 * (rule_id/rule_ver first, epoch last with release). When the key's buckets are full, the least
 * recently used entry among them is evicted to make room (counted). NULL only on a broken cache. */
struct flow_entry *flow_cache_insert(struct flow_cache *c, const struct sdnfv_flow_key *key,
				     uint32_t now_ms);

/* Writer: remove an entry (readers may still see it until a grace period passes). */
void flow_cache_remove(struct flow_cache *c, struct flow_entry *e);

/* Writer: examine up to `budget` entries from where the last call stopped; remove those whose
 * last_used is more than `idle_ms` before `now_ms`. Returns how many were removed. */
unsigned int flow_cache_expire(struct flow_cache *c, uint32_t now_ms, uint32_t idle_ms,
			       unsigned int budget);

/* Writer: reclamation, around a grace period: seal what was removed so far, then (after every
 * reader was quiescent) release the sealed slots for reuse. has_limbo: anything to seal? */
bool flow_cache_has_limbo(const struct flow_cache *c);
void flow_cache_seal(struct flow_cache *c);
void flow_cache_release(struct flow_cache *c);

struct flow_cache_info {
	uint32_t flows;
	uint32_t capacity;
	uint32_t bytes_per_flow;
	uint64_t memory_bytes;
	uint64_t evictions;
	uint64_t expirations;
};
void flow_cache_info(const struct flow_cache *c, struct flow_cache_info *info);

/* ---- the table (table.c) ------------------------------------------------------------------- */

struct flow_cls;
struct flow_reader_slot;

struct sdnfv_flow_table {
	char name[32];
	int socket_id;
	uint32_t max_rules;
	uint32_t max_readers;
	uint32_t flow_idle_ms;
	sdnfv_flow_removed_cb removed;
	void *removed_arg;
	sdnfv_flow_clock_fn clock;
	void *clock_arg;

	/* Read by readers every burst. */
	uint32_t epoch __rte_cache_aligned; /* add epoch, see above */
	struct flow_rule *rules;            /* [max_rules] */
	struct flow_cls *cls;               /* classifier of misses */
	struct flow_cache *cache;           /* NULL when max_flows is 0 */
	struct flow_rule_count *counts;     /* [max_readers * max_rules], reader-major */

	/* Writer state. */
	uint32_t n_rules __rte_cache_aligned;
	uint32_t free_head;               /* free rule slots */
	uint32_t limbo_head, sealed_head; /* rule slots waiting for a grace period */
	struct flow_reader_slot *readers; /* [max_readers] */
	uint32_t n_readers;
	void *rules_priv; /* rules.c's private state (timeout heap, index) */
};

/* ---- rules.c, for table.c ---------------------------------------------------------------- */

int flow_rules_init(struct sdnfv_flow_table *t);
void flow_rules_fini(struct sdnfv_flow_table *t);
/* Expire rules whose hard or idle timeout passed at `now_ns`; report them. */
int flow_rules_expire(struct sdnfv_flow_table *t, uint64_t now_ns);
/* Grace-period plumbing for rule slots and old actions (seal before, release after). */
bool flow_rules_has_limbo(const struct sdnfv_flow_table *t);
void flow_rules_seal(struct sdnfv_flow_table *t);
void flow_rules_release(struct sdnfv_flow_table *t);
/* Last packet time of a rule, over all readers (ns); 0 when none. */
uint64_t flow_rules_last_used(const struct sdnfv_flow_table *t, uint32_t rule_id);

/* ---- cls.c ------------------------------------------------------------------------------- */

int flow_cls_create(struct sdnfv_flow_table *t, struct flow_cls **out);
void flow_cls_free(struct flow_cls *c);
/* Writer: rule `id` became alive (its slot filled), or left (alive cleared). */
int flow_cls_add(struct flow_cls *c, uint32_t id);
void flow_cls_del(struct flow_cls *c, uint32_t id);
/* Writer, from maintain(): rebuild the compiled base when worth it. */
int flow_cls_maintain(struct flow_cls *c);
/* Writer: may slot `id` (dead) be reused? False while a compiled base still names it. */
bool flow_cls_slot_free(const struct flow_cls *c, uint32_t id);
/* Readers: the best live rule for each key, FLOW_RULE_NONE when none matches. */
void flow_cls_lookup_burst(const struct flow_cls *c, const struct sdnfv_flow_key *keys,
			   unsigned int n, uint32_t *rule_ids);
uint64_t flow_cls_recompiles(const struct flow_cls *c);

#endif /* SDNFV_LIB_FLOW_INTERNAL_H */
