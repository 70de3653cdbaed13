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
 *   - the add epoch changes when a rule that is not exact is added (it may beat the cached
 *     winner of any flow it matches);
 *   - the entry itself is not killed: an exact rule (flow_match_exact()) can only beat the
 *     winner of its one key, whichever tier holds it (below), so instead of bumping the epoch
 *     the writer kills that key's entry (stores epoch - 1 into it) and removes it from the
 *     cache. Only canonical keys are cached (flow_key_canonical()), so that entry is the only
 *     one the rule can beat.
 * Replacing a rule (same match and priority) and modifying its action change none of them: the
 * winner is the same rule, and readers read its action through an RCU pointer.
 * A reader loads the epoch once per burst, so no stale decision survives a change by more than
 * the burst in flight; after reading the cached answers' actions (the current ones) it loads the
 * epoch and each answering entry's epoch again, classifying the burst instead when the table's
 * moved and the key instead when its entry was killed, so that an answer never pairs a winner
 * from before an add with an action changed after it. Order on the writer's side: make the
 * classifier reflect the change, then bump the version or the epoch, or kill the entry (release).
 * A reader that sees the new version or epoch, or the killed entry, sees the classifier that
 * reflects it.
 *
 * The exact tier. A rule whose match is exact (flow_match_exact(): it matches the keys of one
 * flow_key_exact() value, i.e. one flow) is kept out of the classifier, in a second concurrent
 * hash of the same kind as the flow cache (struct flow_cache, flow_cache_add(): never evicts),
 * keyed by that value, whose entry names the rule slot. Only one exact rule per key lives there;
 * another exact rule of the same key (another priority) goes to the classifier, like a rule the
 * hash has no room for. Readers classify a key by the higher priority of the exact-tier hit and
 * the classifier's winner, the exact rule on equal priority. The tier's rules take part in
 * visibility versions like the others (vis_add/vis_del, set by flow_cls_add_exact() and
 * flow_cls_del()), and a reader that found an entry checks its rule is visible at the version of
 * the classifier view it loads afterwards: a non-strict delete that removes wildcard and exact
 * rules is seen whole or not at all. For that, a reader looks the exact tier up BEFORE it loads
 * the view (an acquire fence orders the bucket loads before it), and the writer unlinks a removed
 * rule's entry only AFTER it committed the view without the rule (a release fence before the
 * unlink): a reader that no longer finds the entry loads a view in which the rule is removed. An
 * entry is released for reuse after a grace period, together with its rule slot, so a reader
 * that found one reads the incarnation it names.
 *
 * Visibility of rules to the classifier (cls.c). Every writer call that adds or removes rules
 * publishes one classifier view stamped with a table-wide visibility version; a rule slot records
 * the version that added its current incarnation (vis_add) and the one that removed it (vis_del).
 * A reader takes one view per burst and sees exactly the rules visible at its version, so a call
 * that removes several rules (a non-strict delete, an expiry pass) is seen whole or not at all.
 * Classifier entries name a rule by (slot, vis_add): an entry whose slot was reused since is
 * simply not visible, so a slot can be reused after one grace period, whatever still names it.
 *
 * Memory reclamation. Removed rule slots, replaced actions, retired classifier views and bases,
 * and removed cache slots go to limbo; sdnfv_flow_maintain() seals limbo, waits for a grace period
 * (urcu-qsbr synchronize_rcu()), then releases what it sealed.
 */
#ifndef SDNFV_LIB_FLOW_INTERNAL_H
#define SDNFV_LIB_FLOW_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include <sdnfv/flow.h>

#define FLOW_RULE_NONE UINT32_MAX

/* The layer's log type (registered in match.c). */
extern int sdnfv_logtype_flow;

/* ---- match.c ------------------------------------------------------------------------------ */

/* Same fields, same constraints (what "identical match" means for add and strict selection). */
bool flow_match_equal(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b);
/* What is wrong with a match (a short static phrase), or NULL when it is well formed. */
const char *flow_match_problem(const struct sdnfv_flow_match *m);
/* Could one key match both? (OpenFlow's overlap, for SDNFV_FLOW_F_CHECK_OVERLAP.) */
bool flow_match_overlap(const struct sdnfv_flow_match *a, const struct sdnfv_flow_match *b);
/* Is `m` exact: does it pin every bit that a packet key of its EtherType and IP protocol can
 * carry (in_port, eth_type, vlan under 0x1fff, and for IPv4/IPv6 ip_proto and full-length
 * addresses, plus both ports for TCP/UDP/SCTP or ICMP type and code for ICMP over IPv4 and
 * ICMPv6 over IPv6)? Then it matches exactly the keys whose flow_key_exact() is *key (written
 * when not NULL): one flow. */
bool flow_match_exact(const struct sdnfv_flow_match *m, struct sdnfv_flow_key *key);
/* The key as an exact match sees it: the bits a packet key of its EtherType and IP protocol can
 * carry, the others 0 (pad included). */
void flow_key_exact(const struct sdnfv_flow_key *key, struct sdnfv_flow_key *out);
/* Is the key canonical: flow_key_exact() gives it back (as every sdnfv_flow_key_from_pkt() key
 * does)? Only canonical keys are cached: an exact rule's add finds the one cached entry it can
 * beat by its key. */
bool flow_key_canonical(const struct sdnfv_flow_key *key);

/* ---- rule store (rules.c) ------------------------------------------------------------------ */

/* One slot of the rule store. The first line is what readers touch. */
struct flow_rule {
	uint32_t version;  /* readers: atomic load; bumped when the rule leaves */
	uint16_t priority; /* readers (classifier) */
	uint8_t alive;     /* readers: atomic load */
	uint8_t exact;     /* writer: the rule lives in the exact tier, not in the classifier */
	const struct sdnfv_flow_action *action; /* readers: atomic load (RCU); a struct flow_act */
	uint64_t vis_add; /* readers (cls.c): visibility version that added this incarnation */
	uint64_t vis_del; /* readers (cls.c): version that removed it; UINT64_MAX while it lives */
	/* Writer only from here. */
	struct sdnfv_flow_rule rule;       /* as added (match, cookie, timeouts, flags) */
	uint64_t added_ns;                 /* for duration and hard timeout */
	uint64_t base_packets, base_bytes; /* counter sums at add/reset, subtracted on read */
	uint32_t next_free;                /* free list link */
	uint32_t heap_idx;                 /* position in the timeout heap, or UINT32_MAX */
} __rte_cache_aligned;

/* An action block. flow_rule::action points at its first member. Replace and modify install a
 * new block stamped with the visibility version of their commit; a reader of an older view walks
 * `prev` back to the block of its version, so it never mixes a later action with an older rule
 * set. A block replaced goes to limbo; after a grace period no reader follows a link to it. */
struct flow_act {
	struct sdnfv_flow_action a;  /* first */
	uint64_t vis;                /* applies from this visibility version on */
	const struct flow_act *prev; /* the block before it; NULL for a rule's first */
	struct flow_act *next;       /* writer: free list, limbo */
};

/* Readers: the action of rule `r` as of visibility version `v` (the rule is visible at v). */
static inline const struct sdnfv_flow_action *
flow_rule_action(const struct flow_rule *r, uint64_t v)
{
	const struct flow_act *a =
		(const struct flow_act *)__atomic_load_n(&r->action, __ATOMIC_ACQUIRE);

	while (a->vis > v && a->prev != NULL)
		a = a->prev;
	return &a->a;
}

/* A reader's counters for one rule. Written by that reader only. */
struct flow_rule_count {
	uint64_t packets;
	uint64_t bytes;
	uint64_t last_ns; /* time of its last packet, from the table clock */
};

/* ---- exact-match cache (cache.c) ----------------------------------------------------------- */

/*
 * A hash of flow keys, lock-free for readers, with one writer. Buckets of 8 slots (a 16-bit
 * signature and a 32-bit entry index each: one cache line per bucket); each key has a primary and
 * an alternative bucket (CRC32-C of the key: primary from the low bits, alternative from the
 * signature); no cuckoo moves. An insert takes a free slot of the primary bucket, else of the
 * alternative; when both are full it evicts the least recently used entry of the 16. A bucket
 * counts the keys of its own that overflowed to their alternative, so a lookup reads the
 * alternative bucket only when that count is not 0 (rarely, at the load the cache is sized for).
 *
 * Entries are never moved or rewritten while readers may hold them: a removed entry (removed,
 * evicted, expired) waits in limbo until the writer has sealed it, waited for a grace period and
 * released it (flow_cache_seal(), synchronize_rcu(), flow_cache_release()). A reader that found
 * an entry may use it until its next quiescent state. Readers may store to `last_used` only.
 */

/* One cached flow: a cache line. The cache owns key and placement; the rest is the table's. */
struct flow_entry {
	struct sdnfv_flow_key key; /* 48 bytes */
	uint32_t rule_id;          /* written with rule_ver as one 64-bit store */
	uint32_t rule_ver;
	uint32_t epoch;     /* written after rule_id/rule_ver (release) */
	uint32_t last_used; /* coarse ms; readers store it (relaxed) when it changed */
} __rte_cache_aligned;

struct flow_cache;

/* Create a cache for `max_flows` flows on `socket` (rte_zmalloc_socket). -EINVAL for a NULL name
 * or out, max_flows 0 or above 2^28; -ENOMEM. */
int flow_cache_create(const char *name, uint32_t max_flows, int socket, struct flow_cache **out);
/* Free a cache (NULL accepted). No reader may use it any more. */
void flow_cache_free(struct flow_cache *c);

/* Hash of a key, as the cache uses it (CRC32-C). */
uint32_t flow_cache_hash(const struct sdnfv_flow_key *key);

/* Readers, lock-free: for each of n (at most SDNFV_FLOW_BURST_MAX) keys, the entry holding it or
 * NULL (bit i of *hit_mask set when found). An entry returned holds exactly the key looked up.
 * Entries stay valid until the reader's next quiescent state. */
void flow_cache_lookup_burst(const struct flow_cache *c, const struct sdnfv_flow_key *keys,
			     unsigned int n, struct flow_entry **entries, uint64_t *hit_mask);

/* Writer: the entry holding `key`, or NULL. */
struct flow_entry *flow_cache_find(struct flow_cache *c, const struct sdnfv_flow_key *key);

/* Writer: cache `key` with the table's fields and return its entry. The entry is written
 * completely (key, rule_id, rule_ver, epoch, last_used = now_ms) before readers can see it. When
 * the key is cached already, its fields are updated in place (rule_id/rule_ver as one store, then
 * epoch with release, then last_used) and its entry returned. When the key's buckets are full, or
 * max_flows flows are cached, a least recently used flow is evicted to make room (counted).
 * NULL when no entry is free: the entries spared for limbo all wait for a grace period (more
 * than max(max_flows / 8, 1024) removals since the last release); seal, wait and release, then
 * retry. Nothing is evicted by a call that returns NULL. */
struct flow_entry *flow_cache_insert(struct flow_cache *c, const struct sdnfv_flow_key *key,
				     uint32_t now_ms, uint32_t rule_id, uint32_t rule_ver,
				     uint32_t epoch);

/* Writer: as flow_cache_insert(), but never evicts: NULL (nothing changed) when the key's two
 * buckets are full, max_flows flows are cached, or no entry is free. It places a new key in the
 * emptier of its two buckets (insert fills the primary first), so that at the cache's sizing
 * both buckets of a key are practically never full. */
struct flow_entry *flow_cache_add(struct flow_cache *c, const struct sdnfv_flow_key *key,
				  uint32_t now_ms, uint32_t rule_id, uint32_t rule_ver,
				  uint32_t epoch);

/* Writer: remove an entry found by flow_cache_find() or insert (readers may still see it until
 * a grace period passes); an entry not cached (already removed) is ignored. */
void flow_cache_remove(struct flow_cache *c, struct flow_entry *e);

/* Writer: examine up to `budget` entries from where the last call stopped (a clock hand over the
 * entry array, wrapping); remove those whose last_used is more than `idle_ms` before `now_ms`
 * (wrapping 32-bit arithmetic; a last_used after now_ms is not idle). Returns how many were
 * removed (counted as expirations). */
unsigned int flow_cache_expire(struct flow_cache *c, uint32_t now_ms, uint32_t idle_ms,
			       unsigned int budget);

/* Writer: reclamation, around a grace period: seal what was removed so far, then (after every
 * reader was quiescent) release the sealed entries for reuse. has_limbo: anything to seal?
 * Release frees everything sealed so far: never seal between the grace period and the release. */
bool flow_cache_has_limbo(const struct flow_cache *c);
void flow_cache_seal(struct flow_cache *c);
void flow_cache_release(struct flow_cache *c);

struct flow_cache_info {
	uint32_t flows;          /* cached now */
	uint32_t capacity;       /* max_flows */
	uint32_t bytes_per_flow; /* memory_bytes / capacity, rounded up */
	uint32_t limbo;          /* entries waiting for a grace period (limbo and sealed) */
	uint32_t buckets;        /* hash buckets (8 slots each) */
	uint32_t entries;        /* entries: capacity plus the spares for limbo */
	uint64_t memory_bytes;   /* buckets, entries (with the limbo spares) and writer state */
	uint64_t evictions;
	uint64_t expirations;
};
/* Any thread; the counters are the writer's, read without synchronisation. */
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
	struct flow_cache *exact;           /* exact tier: key -> rule slot (entry rule_id) */
	/* Rules in the exact tier: readers skip it when 0. A line of its own: the writer stores it
	 * at every exact add and delete, readers load it only to classify. */
	uint32_t n_exact __rte_cache_aligned;
	struct flow_rule_count *counts; /* [max_readers * max_rules], reader-major */

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
/* Bytes of hugepage memory the rule store holds (slots, counters, index, heap, actions). */
uint64_t flow_rules_memory(const struct sdnfv_flow_table *t);

/* ---- table.c, for rules.c ---------------------------------------------------------------- */

/* Writer: kill and remove the cached entry of `key`, if any (an exact rule of that key came). */
void flow_table_forget(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key);

/* ---- cls.c ------------------------------------------------------------------------------- */

int flow_cls_create(struct sdnfv_flow_table *t, struct flow_cls **out);
void flow_cls_free(struct flow_cls *c);
/* Writer, before a call that adds or removes rules: make sure the next commit cannot fail.
 * 0 or -ENOMEM. */
int flow_cls_reserve(struct flow_cls *c);
/* Writer: rule `id` (slot filled: match, priority, action) joins at the next commit. Sets the
 * slot's vis_add/vis_del. 0 or -ENOMEM (nothing changed). */
int flow_cls_add(struct flow_cls *c, uint32_t id);
/* Writer: rule `id` (slot filled), which lives in the exact tier, joins at the next commit:
 * sets its vis_add/vis_del, adds nothing to the classifier. */
void flow_cls_add_exact(struct flow_cls *c, uint32_t id);
/* Writer: rule `id` leaves at the next commit (sets its vis_del). */
void flow_cls_del(struct flow_cls *c, uint32_t id);
/* Writer: the visibility version the next commit publishes (for action blocks). */
uint64_t flow_cls_next(const struct flow_cls *c);
/* Writer: the next commit publishes a new version even with no add or removal (an action
 * changed). */
void flow_cls_touch(struct flow_cls *c);
/* Writer: publish the changes since the last commit as one view (release). Readers that load
 * the view from now on see them; afterwards the caller bumps epoch or versions. */
void flow_cls_commit(struct flow_cls *c);
/* Writer, from maintain(): install a finished rebuild, start one when worth it. */
int flow_cls_maintain(struct flow_cls *c);
/* Writer: reclamation of retired views, deltas and bases, around a grace period. */
bool flow_cls_has_limbo(const struct flow_cls *c);
void flow_cls_seal(struct flow_cls *c);
void flow_cls_release(struct flow_cls *c);
/* Readers: the best visible rule for each key (n <= SDNFV_FLOW_BURST_MAX), FLOW_RULE_NONE when
 * none matches. Returns the visibility version the answers hold at (for flow_rule_action()). */
uint64_t flow_cls_lookup_burst(const struct flow_cls *c, const struct sdnfv_flow_key *keys,
			       unsigned int n, uint32_t *rule_ids);
uint64_t flow_cls_recompiles(const struct flow_cls *c);
uint64_t flow_cls_memory(const struct flow_cls *c);

/* Tuning, for tests and benchmarks (writer thread). A rebuild starts when the delta holds
 * `delta_max` rules, when `dead_min` (or 1/32 of the base, if more) compiled rules are dead, or
 * when a change has waited `settle_ms` (at least 4 build times). 0 keeps a value. */
void flow_cls_tune(struct flow_cls *c, uint32_t delta_max, uint32_t dead_min, uint32_t settle_ms);
/* Writer: wait for the rebuild in flight, install it, and rebuild until the compiled base holds
 * every rule (empty delta, nothing dead). For tests and benchmarks. 0 or the build's -errno. */
int flow_cls_sync(struct flow_cls *c);

/* The match as a ternary over the 48 bytes of a key: key matches iff ((key ^ val) & msk) == 0
 * word by word. Agrees with sdnfv_flow_match_key() for every checked match (tested). */
struct flow_tern {
	uint64_t val[6];
	uint64_t msk[6];
};
void flow_tern_from_match(const struct sdnfv_flow_match *m, struct flow_tern *t);
static inline bool
flow_tern_match(const struct flow_tern *t, const uint64_t *kw)
{
	return (((kw[0] ^ t->val[0]) & t->msk[0]) | ((kw[1] ^ t->val[1]) & t->msk[1]) |
		((kw[2] ^ t->val[2]) & t->msk[2]) | ((kw[3] ^ t->val[3]) & t->msk[3]) |
		((kw[4] ^ t->val[4]) & t->msk[4]) | ((kw[5] ^ t->val[5]) & t->msk[5])) == 0;
}

#endif /* SDNFV_LIB_FLOW_INTERNAL_H */
