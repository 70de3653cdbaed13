/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * flow: the flow table — OpenFlow-grade rules behind an exact-match flow cache, lock-free for
 * readers, embeddable in any DPDK application.
 *
 * **Rules.** A rule is a prioritized wildcard match over the fields of struct sdnfv_flow_key
 * (ingress port, EtherType, VLAN id, IP protocol, IPv4/IPv6 source and destination prefixes,
 * TCP/UDP/SCTP ports exact or masked, ICMP type and code) with an action, a cookie, idle and hard
 * timeouts and packet/byte counters. The highest priority matching rule wins; among rules of equal
 * priority that overlap, which one wins is unspecified (as in OpenFlow: use the overlap check to
 * refuse them), with one exception the table adds: an exact rule (below) wins over the wildcard
 * rules of its priority. OpenFlow leaves equal-priority overlap unspecified, so this is one of
 * the answers it allows; it holds for the exact rules of the exact tier, which is every exact rule
 * but a second one of the same flow at another priority and those the tier had no room for
 * (rare: the key's two hash buckets full). Adding a rule with the same match and priority as an
 * existing one replaces it.
 * Modify and delete select rules strictly (same match and priority) or non-strictly (every rule
 * at least as specific as the given match), filtered by cookie and mask — the semantics an
 * OpenFlow 1.3 agent needs, so that the agent is a codec on top of this header.
 *
 * **Exact rules.** A rule whose match pins every field a packet of its protocols carries — in_port,
 * eth_type, the VLAN under mask 0x1fff (untagged included), and for IPv4/IPv6 ip_proto and both
 * addresses at full length, plus both ports under 0xffff for TCP/UDP/SCTP or ICMP type and code
 * for ICMP over IPv4 and ICMPv6 over IPv6 — matches one flow: it is exact. A reactive controller
 * installs one per new flow, at tens of thousands per second. Exact rules are kept apart from the
 * wildcard rules, in a hash of their flows (the exact tier), so that adding, replacing,
 * modifying or deleting one costs a hash update, touches only the cached decision of its own
 * flow, and leaves the classifier of the wildcard rules alone; a classification costs one hash
 * lookup more while the tier holds rules. They are rules like any other for everything else:
 * selection, counters, timeouts, removal reports, overlap, cookies and max_rules.
 *
 * **Actions** are generic: drop, out of a port, to a service, to the controller, or an opaque
 * 64-bit value whose meaning belongs to the application. Every action also carries the opaque
 * value, so a host manager can name a whole service chain there.
 *
 * **The flow cache.** Every packet's key is first looked up in an exact-match cache of the flows
 * seen recently; a hit costs one hash lookup. A miss is classified against the rules, and the
 * result can be cached (sdnfv_flow_insert(), or #SDNFV_FLOW_LOOKUP_LEARN); only canonical keys
 * are (struct sdnfv_flow_key), the others are classified every time. Rule changes reach cached
 * flows: deleting a rule invalidates the flows that used it; modifying or replacing a rule
 * changes its action for its flows at once; adding an exact rule invalidates the cached decision
 * of its one flow, and no other; adding any other rule invalidates every cached decision (any
 * could be beaten by the new rule), so flows are classified again until the writer caches them
 * anew — under a steady stream of wildcard adds the cache helps little, and lookups cost
 * classifications.
 * A reader sees a rule change no later than its next burst. Cached flows idle for longer than the
 * table's flow idle time are removed by sdnfv_flow_maintain(), a bounded slice at a time, never
 * by a scan per packet. When the cache is full, an insert evicts the least recently used flow of
 * the key's buckets: a cache never refuses a flow, it forgets one.
 *
 * **Threads.** One writer thread at a time calls the writer functions (everything that changes
 * rules or the cache, and sdnfv_flow_maintain()); serialise them if several threads need to
 * write. Any number of reader threads look up concurrently, without locks. Each reader thread
 * registers once (sdnfv_flow_reader_register()) and then must pass through a quiescent state
 * regularly: call sdnfv_flow_reader_quiescent() between bursts, and never hold a pointer returned
 * by a lookup across that call. A reader about to block (sleep, wait on I/O) calls
 * sdnfv_flow_reader_offline() first and sdnfv_flow_reader_online() after. This is liburcu's QSBR
 * flavour: the lookup itself costs nothing for the read side. The writer frees a removed rule or
 * flow only after every registered reader has been quiescent since its removal (inside
 * sdnfv_flow_maintain(), which may wait for that). The writer thread may also be a reader.
 * Each writer call takes effect for readers at one instant: a lookup sees the rules as they were
 * before the call or after it, never half of a non-strict delete or modify. Each table runs one
 * control thread of its own (rte_ctrl_thread_create()) that compiles the rules off the writer's
 * path; sdnfv_flow_maintain() installs what it compiled.
 *
 * **Counters** are kept per reader and summed when read, so no two threads write one counter.
 *
 * **Memory.** Capacities (rules, cached flows, readers) are fixed at creation; nothing is limited
 * at compile time. sdnfv_flow_table_info() reports the memory a cached flow costs.
 *
 * Needs the DPDK EAL initialised (the table lives in hugepage memory on a chosen socket, and
 * rules are compiled with rte_acl). No host manager is needed.
 */
#ifndef SDNFV_FLOW_H
#define SDNFV_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sdnfv/common.h>
#include <sdnfv/pkt.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;

/** A flow table. Opaque. */
struct sdnfv_flow_table;

/** A registered reader thread of a flow table. Opaque. */
struct sdnfv_flow_reader;

/* ---------------------------------------------------------------------------------------- */
/* Keys and matches                                                                           */

/** sdnfv_flow_key::vlan bit: the packet has a VLAN tag (OpenFlow's OFPVID_PRESENT). */
#define SDNFV_FLOW_VLAN_PRESENT 0x1000

/**
 * What a rule matches against: the fields of one packet, canonical so that two packets of the
 * same flow give byte-identical keys: every field the key's EtherType and IP protocol give no
 * meaning to is 0, as is every pad byte, the bytes of an IPv4 address after its first 4 and the
 * VLAN bits above 0x1fff. 48 bytes. Build it with sdnfv_flow_key_from_pkt(); an application may
 * also fill one itself. A key that is not canonical is looked up like any other (rules see only
 * the fields they may name) but never cached.
 */
struct sdnfv_flow_key {
	union sdnfv_pkt_addr src; /**< IPv4/IPv6 source; 0 for other EtherTypes */
	union sdnfv_pkt_addr dst; /**< IPv4/IPv6 destination; 0 for other EtherTypes */
	rte_be16_t sport;         /**< TCP/UDP/SCTP source port, network order; 0 otherwise */
	rte_be16_t dport;         /**< TCP/UDP/SCTP destination port, network order; 0 otherwise */
	uint16_t in_port;         /**< ingress port (an application-defined number) */
	uint16_t eth_type;        /**< innermost EtherType, host order */
	uint16_t vlan;            /**< outer VLAN id | #SDNFV_FLOW_VLAN_PRESENT; 0 when untagged */
	uint8_t ip_proto;         /**< IP protocol (after IPv6 extension headers); 0 when not IP */
	uint8_t icmp_type;        /**< ICMP/ICMPv6 type; 0 otherwise */
	uint8_t icmp_code;        /**< ICMP/ICMPv6 code; 0 otherwise */
	uint8_t pad[3];           /**< always 0 */
};

/**
 * Fill a flow key from a parsed packet.
 *
 * A packet whose parse stopped early still gets a key of what was parsed (its L4 fields 0), so
 * that rules on ports or addresses do not match it by accident.
 *
 * @param data     the frame that was parsed.
 * @param info     its parse result (sdnfv_pkt_parse()).
 * @param in_port  the ingress port number to record.
 * @param[out] key written completely, pad included.
 */
SDNFV_API void sdnfv_flow_key_from_pkt(const void *data, const struct sdnfv_pkt_info *info,
				       uint16_t in_port, struct sdnfv_flow_key *key);

/** @name Fields of struct sdnfv_flow_match (sdnfv_flow_match::fields)
 * @{ */
#define SDNFV_FLOW_M_IN_PORT   0x0001 /**< in_port */
#define SDNFV_FLOW_M_ETH_TYPE  0x0002 /**< eth_type */
#define SDNFV_FLOW_M_VLAN      0x0004 /**< vlan under vlan_mask */
#define SDNFV_FLOW_M_IP_PROTO  0x0008 /**< ip_proto; needs eth_type IPv4 or IPv6 */
#define SDNFV_FLOW_M_SRC       0x0010 /**< src/src_plen; needs eth_type IPv4 or IPv6 */
#define SDNFV_FLOW_M_DST       0x0020 /**< dst/dst_plen; needs eth_type IPv4 or IPv6 */
#define SDNFV_FLOW_M_SPORT     0x0040 /**< sport under sport_mask; needs ip_proto TCP, UDP or SCTP */
#define SDNFV_FLOW_M_DPORT     0x0080 /**< dport under dport_mask; needs ip_proto TCP, UDP or SCTP */
#define SDNFV_FLOW_M_ICMP_TYPE 0x0100 /**< icmp_type; needs ip_proto ICMP (IPv4) or ICMPv6 (IPv6) */
#define SDNFV_FLOW_M_ICMP_CODE 0x0200 /**< icmp_code; same prerequisite */
/** @} */

/**
 * A wildcard match: the fields named in @ref fields must equal the packet's (under their mask or
 * prefix), the others are wildcards. Prerequisites are OpenFlow's: a field of a protocol needs the
 * match to pin that protocol (see the SDNFV_FLOW_M_* flags); a match that breaks them is refused.
 * Bits of a value outside its mask or prefix must be 0.
 */
struct sdnfv_flow_match {
	uint32_t fields;   /**< SDNFV_FLOW_M_* of the fields that are matched */
	uint16_t in_port;  /**< ingress port */
	uint16_t eth_type; /**< EtherType, host order */
	uint16_t vlan;     /**< VLAN id | #SDNFV_FLOW_VLAN_PRESENT (0: untagged), under vlan_mask */
	uint16_t vlan_mask;       /**< mask of vlan (0x1fff: exact; 0x1000: any tag) */
	uint8_t ip_proto;         /**< IP protocol */
	uint8_t src_plen;         /**< source prefix length (0 to 32 or 128) */
	uint8_t dst_plen;         /**< destination prefix length */
	uint8_t icmp_type;        /**< ICMP/ICMPv6 type */
	uint8_t icmp_code;        /**< ICMP/ICMPv6 code */
	uint16_t sport;           /**< source port, host order, under sport_mask */
	uint16_t sport_mask;      /**< mask of sport (0xffff: exact) */
	uint16_t dport;           /**< destination port, host order, under dport_mask */
	uint16_t dport_mask;      /**< mask of dport */
	union sdnfv_pkt_addr src; /**< source prefix (bits past src_plen are 0) */
	union sdnfv_pkt_addr dst; /**< destination prefix */
};

/**
 * Whether a key matches a match (the definition every lookup obeys; a linear scan over rules with
 * this function is the reference the tests hold the table to).
 *
 * @param m    the match.
 * @param key  the key.
 * @return true when every field of @p m matches @p key.
 */
SDNFV_API bool sdnfv_flow_match_key(const struct sdnfv_flow_match *m,
				    const struct sdnfv_flow_key *key);

/**
 * Whether match @p a is at least as specific as match @p b: every key @p a matches, @p b matches
 * too (the non-strict selection of OpenFlow's modify and delete).
 *
 * @param a  the candidate.
 * @param b  the selector.
 * @return true when @p a is covered by @p b.
 */
SDNFV_API bool sdnfv_flow_match_covered(const struct sdnfv_flow_match *a,
					const struct sdnfv_flow_match *b);

/**
 * Check a match: prerequisites, prefix lengths, and value bits outside masks.
 *
 * @param m  the match.
 * @return 0; -EINVAL with a log line naming the broken rule of form.
 */
SDNFV_API int sdnfv_flow_match_check(const struct sdnfv_flow_match *m);

/* ---------------------------------------------------------------------------------------- */
/* Actions and rules                                                                          */

/** What a rule does with a packet (sdnfv_flow_action::type). */
enum sdnfv_flow_act {
	SDNFV_FLOW_ACT_DROP = 0,   /**< drop it */
	SDNFV_FLOW_ACT_PORT,       /**< send it out of port @ref sdnfv_flow_action::arg */
	SDNFV_FLOW_ACT_SERVICE,    /**< send it to service @ref sdnfv_flow_action::arg */
	SDNFV_FLOW_ACT_CONTROLLER, /**< send it to the controller */
	SDNFV_FLOW_ACT_USER, /**< the application's own meaning, in @ref sdnfv_flow_action::user */
};

/** A rule's action. 16 bytes. */
struct sdnfv_flow_action {
	uint8_t type;   /**< enum sdnfv_flow_act */
	uint8_t reason; /**< for #SDNFV_FLOW_ACT_CONTROLLER, why the packet goes up (the
			  *   application's; an OpenFlow agent keeps OFPR_* there); 0 for the others */
	uint16_t arg;   /**< port or service id, for #SDNFV_FLOW_ACT_PORT and
			  *   #SDNFV_FLOW_ACT_SERVICE; for #SDNFV_FLOW_ACT_CONTROLLER, how much of the
			  *   packet the controller wants (the application's) */
	uint32_t pad2;  /**< 0 */
	uint64_t user;  /**< opaque to the table, carried with every action */
};

/** @name Flags of struct sdnfv_flow_rule and sdnfv_flow_modify()
 * @{ */
#define SDNFV_FLOW_F_CHECK_OVERLAP \
	0x1 /**< add: refuse (-EEXIST) a rule overlapping one of equal priority */
#define SDNFV_FLOW_F_RESET_COUNTS 0x2 /**< add that replaces, or modify: zero the counters */
#define SDNFV_FLOW_F_SEND_REMOVED 0x4 /**< report this rule's removal to the removed callback */
/** @} */

/** A rule to add. Zero-initialise, set sz, then the fields you need. */
struct sdnfv_flow_rule {
	size_t sz;                     /**< sizeof(struct sdnfv_flow_rule) */
	struct sdnfv_flow_match match; /**< what it matches */
	uint16_t priority;             /**< higher wins */
	uint16_t idle_timeout;         /**< seconds without a packet before it expires; 0: never */
	uint16_t hard_timeout; /**< seconds after its addition before it expires; 0: never */
	uint32_t flags;        /**< SDNFV_FLOW_F_* */
	uint64_t cookie;       /**< opaque, for selection and reports */
	struct sdnfv_flow_action action; /**< what it does */
};

/** Counters of a rule, summed over readers. */
struct sdnfv_flow_stats {
	uint64_t packets;     /**< packets matched */
	uint64_t bytes;       /**< their bytes (as passed to the lookup) */
	uint64_t duration_ns; /**< time since the rule was added */
	uint64_t idle_ns;     /**< time since its last packet (or since it was added) */
};

/** Why a rule left the table. */
enum sdnfv_flow_removed_reason {
	SDNFV_FLOW_REMOVED_IDLE = 0, /**< idle timeout */
	SDNFV_FLOW_REMOVED_HARD,     /**< hard timeout */
	SDNFV_FLOW_REMOVED_DELETE,   /**< deleted by sdnfv_flow_delete() */
};

/**
 * Called (in the writer thread, from the writer call that removed it) for each removed rule that
 * has #SDNFV_FLOW_F_SEND_REMOVED. It must not call the table's writer functions.
 *
 * @param arg     the removed_arg of the table parameters.
 * @param rule    the rule as it was; valid during the call.
 * @param stats   its final counters.
 * @param reason  why it left.
 */
typedef void (*sdnfv_flow_removed_cb)(void *arg, const struct sdnfv_flow_rule *rule,
				      const struct sdnfv_flow_stats *stats,
				      enum sdnfv_flow_removed_reason reason);

/**
 * A clock in nanoseconds, monotonic. The table uses it for timeouts and idle times; tests inject
 * their own.
 *
 * @param arg  the clock_arg of the table parameters.
 * @return the current time in ns.
 */
typedef uint64_t (*sdnfv_flow_clock_fn)(void *arg);

/* ---------------------------------------------------------------------------------------- */
/* The table                                                                                  */

/** Parameters of sdnfv_flow_table_create(). Zero-initialise, set sz, then the fields you need. */
struct sdnfv_flow_table_params {
	size_t sz;                     /**< sizeof(struct sdnfv_flow_table_params) */
	const char *name;              /**< for logs and memory names; copied */
	int socket_id;                 /**< socket of the table's memory; SOCKET_ID_ANY */
	uint32_t max_rules;            /**< rule capacity, exact and wildcard rules (required) */
	uint32_t max_flows;            /**< flow-cache capacity; 0: no cache (rules only) */
	uint32_t max_readers;          /**< reader threads that may register (required) */
	uint32_t flow_idle_ms;         /**< cached flows idle this long are removed; 0: 10000 */
	sdnfv_flow_removed_cb removed; /**< rule removal reports; NULL for none */
	void *removed_arg;             /**< passed to @ref removed */
	sdnfv_flow_clock_fn clock;     /**< NULL: CLOCK_MONOTONIC */
	void *clock_arg;               /**< passed to @ref clock */
};

/**
 * Create a flow table.
 *
 * @param params    the parameters.
 * @param[out] out  the table, owned by the caller (free with sdnfv_flow_table_free()).
 * @return 0; -EINVAL for bad parameters; -ENOMEM.
 */
SDNFV_API int sdnfv_flow_table_create(const struct sdnfv_flow_table_params *params,
				      struct sdnfv_flow_table **out);

/**
 * Free a table. No reader may use it any more (unregister them first); removed callbacks are not
 * called for the rules still in it.
 *
 * @param t  the table, or NULL.
 */
SDNFV_API void sdnfv_flow_table_free(struct sdnfv_flow_table *t);

/** What sdnfv_flow_table_info() reports. */
struct sdnfv_flow_table_info {
	uint32_t rules;          /**< rules in the table */
	uint32_t flows;          /**< flows in the cache */
	uint32_t max_rules;      /**< rule capacity */
	uint32_t max_flows;      /**< flow capacity */
	uint32_t readers;        /**< registered readers */
	uint32_t bytes_per_flow; /**< memory a cached flow costs, its share of buckets included */
	uint64_t memory_bytes;   /**< memory the table holds (rte_acl tries aside), the exact tier's
				* hash included (about 100 bytes per rule of max_rules, 75 KB at least) */
	uint64_t flow_evictions; /**< flows forgotten to make room */
	uint64_t flow_expirations; /**< flows removed for idleness */
	uint64_t rule_recompiles;  /**< times the rule classifier was rebuilt */
};

/**
 * Describe a table.
 *
 * @param t         the table.
 * @param[out] info filled.
 */
SDNFV_API void sdnfv_flow_table_info(const struct sdnfv_flow_table *t,
				     struct sdnfv_flow_table_info *info);

/* ---------------------------------------------------------------------------------------- */
/* Writer functions: one thread at a time                                                     */

/**
 * Add a rule, or replace the rule of identical match and priority (its counters are kept unless
 * #SDNFV_FLOW_F_RESET_COUNTS; its duration restarts). A new exact rule (see the file's
 * description) goes to the exact tier and invalidates the cached decision of its flow only; a
 * new wildcard rule invalidates every cached decision.
 *
 * @param t     the table.
 * @param rule  the rule; copied.
 * @return 0; -EINVAL for a bad match or action (logged); -EEXIST when #SDNFV_FLOW_F_CHECK_OVERLAP
 *         finds an overlapping rule of equal priority (an identical rule overlaps); -ENOSPC when
 *         the table is full (the slots of removed rules come back at the next
 *         sdnfv_flow_maintain()); -ENOMEM.
 */
SDNFV_API int sdnfv_flow_add(struct sdnfv_flow_table *t, const struct sdnfv_flow_rule *rule);

/** Which rules sdnfv_flow_modify() and sdnfv_flow_delete() act on. */
struct sdnfv_flow_select {
	size_t sz;                     /**< sizeof(struct sdnfv_flow_select) */
	struct sdnfv_flow_match match; /**< the selector */
	uint16_t priority;             /**< with strict set: the priority to match */
	bool strict;          /**< same match and priority; else every rule covered by match */
	uint64_t cookie;      /**< rules whose cookie & cookie_mask equals cookie & cookie_mask */
	uint64_t cookie_mask; /**< 0: any cookie */
	bool out_filter;      /**< also require the action to equal @ref out */
	struct sdnfv_flow_action out; /**< with out_filter: type and arg compared */
};

/**
 * Change the action of the selected rules. Their flows use the new action from their next lookup.
 *
 * @param t       the table.
 * @param sel     which rules.
 * @param action  the new action; copied.
 * @param flags   0 or #SDNFV_FLOW_F_RESET_COUNTS.
 * @return the number of rules changed; -EINVAL for a bad selector or action.
 */
SDNFV_API int sdnfv_flow_modify(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *sel,
				const struct sdnfv_flow_action *action, uint32_t flags);

/**
 * Delete the selected rules, reporting those with #SDNFV_FLOW_F_SEND_REMOVED as deleted.
 *
 * @param t    the table.
 * @param sel  which rules.
 * @return the number of rules deleted; -EINVAL for a bad selector.
 */
SDNFV_API int sdnfv_flow_delete(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *sel);

/**
 * Visit the selected rules (for statistics: OpenFlow FLOW and AGGREGATE requests). Writer thread.
 *
 * @param t    the table.
 * @param sel  which rules; NULL for all.
 * @param fn   called for each, with the rule, its counters and @p arg; return non-zero to stop.
 *             It must not call the table's writer functions.
 * @param arg  passed to @p fn.
 * @return the number of rules visited.
 */
SDNFV_API int sdnfv_flow_foreach(struct sdnfv_flow_table *t, const struct sdnfv_flow_select *sel,
				 int (*fn)(void *arg, const struct sdnfv_flow_rule *rule,
					   const struct sdnfv_flow_stats *stats),
				 void *arg);

/**
 * Cache a flow: the key's packets skip classification until the flow idles out, is evicted, or a
 * rule change invalidates it. Usually called with the keys a lookup missed.
 *
 * @param t    the table.
 * @param key  the flow's key; copied.
 * @return 0 (also when the flow was cached already); -ENOENT when no rule matches the key (a
 *         table miss is not cached); -ENOTSUP when the table has no cache; -EINVAL for a key
 *         that is not canonical (see struct sdnfv_flow_key).
 */
SDNFV_API int sdnfv_flow_insert(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key);

/**
 * Forget a cached flow.
 *
 * @param t    the table.
 * @param key  the flow's key.
 * @return 0; -ENOENT when it was not cached.
 */
SDNFV_API int sdnfv_flow_remove(struct sdnfv_flow_table *t, const struct sdnfv_flow_key *key);

/**
 * Housekeeping, to call regularly from the writer thread (every few milliseconds): expire rules
 * whose idle or hard timeout passed (reporting them), remove a bounded slice of idle cached flows,
 * insert flows readers asked to learn, rebuild the rule classifier when enough rules changed, and
 * free memory whose readers have all been quiescent (which may wait for them).
 *
 * @param t       the table.
 * @param budget  most cached flows to examine for idleness in this call (0: a default of 1024).
 * @return the number of rules that expired (flows removed are counted in
 *         sdnfv_flow_table_info()).
 */
SDNFV_API int sdnfv_flow_maintain(struct sdnfv_flow_table *t, unsigned int budget);

/* ---------------------------------------------------------------------------------------- */
/* Readers                                                                                    */

/**
 * Register the calling thread as a reader (it also becomes a liburcu QSBR reader, online).
 *
 * @param t         the table.
 * @param[out] out  the reader handle, owned by this thread.
 * @return 0; -ENOSPC when max_readers are registered.
 */
SDNFV_API int sdnfv_flow_reader_register(struct sdnfv_flow_table *t,
					 struct sdnfv_flow_reader **out);

/**
 * Unregister a reader; its counters stay counted. Call from its own thread.
 *
 * @param r  the reader, or NULL.
 */
SDNFV_API void sdnfv_flow_reader_unregister(struct sdnfv_flow_reader *r);

/**
 * Declare a quiescent state: the reader holds no pointer it got from a lookup. Call between
 * bursts.
 *
 * @param r  the reader.
 */
SDNFV_API void sdnfv_flow_reader_quiescent(struct sdnfv_flow_reader *r);

/**
 * The reader is about to block: the writer need not wait for it.
 *
 * @param r  the reader.
 */
SDNFV_API void sdnfv_flow_reader_offline(struct sdnfv_flow_reader *r);

/**
 * The reader is back from blocking.
 *
 * @param r  the reader.
 */
SDNFV_API void sdnfv_flow_reader_online(struct sdnfv_flow_reader *r);

/** Most keys one lookup call takes. */
#define SDNFV_FLOW_BURST_MAX 64

/** sdnfv_flow_lookup_burst() flag: ask the writer to cache the flows the cache did not answer. The
 * keys go through a queue of this reader's (256 keys; a request that does not fit is dropped and
 * asked again by the flow's next packet) and are cached at the writer's next
 * sdnfv_flow_maintain(), also when the reader is the writer thread. Keys that are not canonical
 * are not cached. Without a cache, ignored. */
#define SDNFV_FLOW_LOOKUP_LEARN 0x1

/** What a lookup found for one key. */
struct sdnfv_flow_result {
	const struct sdnfv_flow_action
		*action;  /**< the winning rule's action; NULL: no rule matches.
						 *   Valid until the reader's next quiescent state. */
	uint32_t rule_id; /**< the rule's id (stable while it lives) */
	uint32_t pad;     /**< 0 */
};

/**
 * Look up a burst of keys: the flow cache first, the rules for the keys it does not hold.
 *
 * @param r         the calling thread's reader.
 * @param keys      the keys.
 * @param bytes     for the counters: the bytes of each key's packet; NULL counts 0 bytes.
 * @param n         number of keys, at most #SDNFV_FLOW_BURST_MAX.
 * @param flags     0 or #SDNFV_FLOW_LOOKUP_LEARN.
 * @param[out] res  one result per key.
 * @param[out] hit_mask  if not NULL: bit i set when key i was found in the flow cache.
 * @return the number of keys a rule matched (the others had no rule: a table miss).
 */
SDNFV_API unsigned int sdnfv_flow_lookup_burst(struct sdnfv_flow_reader *r,
					       const struct sdnfv_flow_key *keys,
					       const uint32_t *bytes, unsigned int n,
					       unsigned int flags, struct sdnfv_flow_result *res,
					       uint64_t *hit_mask);

/**
 * Parse a burst of packets, build their keys (ingress port from mbuf->port) and look them up.
 *
 * @param r         the calling thread's reader.
 * @param pkts      the packets; not modified.
 * @param n         number of packets, at most #SDNFV_FLOW_BURST_MAX.
 * @param flags     as for sdnfv_flow_lookup_burst().
 * @param[out] res  one result per packet; a packet that does not parse is looked up with what
 *                  parsed (see sdnfv_flow_key_from_pkt()).
 * @param[out] keys if not NULL, receives each packet's key (to insert or report it).
 * @param[out] hit_mask  as for sdnfv_flow_lookup_burst().
 * @return the number of packets a rule matched.
 */
SDNFV_API unsigned int sdnfv_flow_lookup_mbufs(struct sdnfv_flow_reader *r,
					       struct rte_mbuf *const *pkts, unsigned int n,
					       unsigned int flags, struct sdnfv_flow_result *res,
					       struct sdnfv_flow_key *keys, uint64_t *hit_mask);

/* ---------------------------------------------------------------------------------------- */
/* Rules as text                                                                              */

/**
 * Parse one rule in text form, in the flow syntax of `ovs-ofctl` where it fits:
 *
 *     priority=100,in_port=1,tcp,nw_src=10.0.0.0/8,tp_dst=80,idle_timeout=30,actions=output:2
 *
 * Fields: `in_port`, `dl_type`/`eth_type`, `dl_vlan` (or `vlan_tci=` with mask), `nw_proto`/
 * `ip_proto`, `nw_src`/`ipv6_src`, `nw_dst`/`ipv6_dst` (address or address/prefix), `tp_src`,
 * `tp_dst` (port or port/mask), `icmp_type`, `icmp_code` (`icmpv6_type`, `icmpv6_code`); shorthands
 * `ip`, `ipv6`, `tcp`, `udp`, `sctp`, `icmp`, `tcp6`, `udp6`, `sctp6`, `icmp6`, `arp`; `priority`,
 * `cookie`, `idle_timeout`, `hard_timeout`, `send_flow_rem`, `check_overlap`. Actions (exactly
 * one): `drop`, `output:<port>`, `service:<id>`, `controller[:<arg>[:<reason>]]`, `user:<u64>`,
 * optionally followed by
 * `,user:<u64>` to attach the opaque value to another action.
 *
 * @param line  the text (no newline needed); `#` starts a comment.
 * @param[out] rule  filled (sz set) when the line holds a rule.
 * @param[out] err   if not NULL, receives a short static reason on failure.
 * @param[out] col   if not NULL, receives the 1-based column where the problem starts.
 * @return 1 when a rule was parsed; 0 for an empty or comment line; -EINVAL for a bad line.
 */
SDNFV_API int sdnfv_flow_rule_parse(const char *line, struct sdnfv_flow_rule *rule,
				    const char **err, unsigned int *col);

/**
 * Write a rule as text, in the syntax sdnfv_flow_rule_parse() reads: parsing the text gives the
 * rule back (the same match, priority, cookie, timeouts, flags and action).
 *
 * @param rule  the rule.
 * @param buf   where to write; NUL-terminated whenever @p len > 0.
 * @param len   room in @p buf.
 * @return the length of the text (without the NUL); -ENOSPC when it did not fit (the text is
 *         cut); -EINVAL for a NULL rule or an unknown action type.
 */
SDNFV_API int sdnfv_flow_rule_format(const struct sdnfv_flow_rule *rule, char *buf, size_t len);

/**
 * Load a rules file into a table, all or nothing: every line is parsed and checked first; then the
 * rules are added; if any add fails (capacity, overlap), the ones added by this call are removed
 * and the table is as it was.
 *
 * @param t     the table (writer thread).
 * @param path  the file.
 * @return the number of rules added; -EINVAL for a bad line (logged as `path:line:col: reason`);
 *         -errno when the file cannot be read; the add's error when an add failed.
 */
SDNFV_API int sdnfv_flow_load_file(struct sdnfv_flow_table *t, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_FLOW_H */
