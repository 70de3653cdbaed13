/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the flow tests: the EAL suite, a linear-scan oracle, random rules and keys, an
 * injected clock, a recorder of removal reports. */
#ifndef SDNFV_TEST_FLOW_H
#define SDNFV_TEST_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <sdnfv/flow.h>

/* The internal view of the table (tests reach the classifier's tuning knobs). */
#include "flow/flow_internal.h"

#include "rng.h" /* struct rng: random numbers seeded per test, so failures replay */

/* ---- the oracle: rules in a plain array ------------------------------------------------------- */

struct orule {
	struct sdnfv_flow_rule rule;
	bool live;
	uint64_t added_ns; /* for timeouts */
	uint64_t last_ns;  /* last packet credited, 0 if none */
	uint64_t packets;  /* since add or reset */
	uint64_t bytes;
	bool counts_known; /* false once a tie hid which rule got a packet */
};

struct oracle {
	struct orule *r;
	uint32_t n, cap;
};

void oracle_init(struct oracle *o, uint32_t cap);
void oracle_fini(struct oracle *o);
/* A copy of the oracle's live set (for replays). */
void oracle_copy(struct oracle *dst, const struct oracle *src);

/* The highest priority among live rules matching `key`; -1 when none. */
int oracle_best_prio(const struct oracle *o, const struct sdnfv_flow_key *key);
/* Is `res` a right answer for `key`: a live matching rule of the best priority whose action is
 * res->action (any of tied rules), or no action when nothing matches? Sets *which to the index of
 * the only rule it can be, or -1 when several tied rules share that action. */
bool oracle_check(const struct oracle *o, const struct sdnfv_flow_key *key,
		  const struct sdnfv_flow_result *res, int *which);
/* Index of the live rule of identical match and priority, or -1. */
int oracle_find(const struct oracle *o, const struct sdnfv_flow_match *m, uint16_t prio);
/* Would `m` at `prio` overlap a live rule of the same priority? (ternaries, independently) */
bool oracle_overlaps(const struct oracle *o, const struct sdnfv_flow_match *m, uint16_t prio);
/* Apply add semantics (replace or append). Returns the index. */
int oracle_add(struct oracle *o, const struct sdnfv_flow_rule *rule, uint64_t now);
/* Does rule i pass selector `sel`? */
bool oracle_selected(const struct oracle *o, uint32_t i, const struct sdnfv_flow_select *sel);

/* ---- random rules and keys -------------------------------------------------------------------- */

struct gen_opts {
	uint16_t prio_range;    /* priorities drawn from [0, prio_range) */
	bool timeouts;          /* draw idle/hard timeouts of a few seconds */
	bool ip_only;           /* only IPv4/IPv6 rules */
	unsigned int exact_pct; /* percent of rules whose match is exact: one flow's every field */
};

void gen_match(struct rng *g, struct sdnfv_flow_match *m, bool ip_only);
void gen_rule(struct rng *g, const struct gen_opts *opt, uint64_t tag, struct sdnfv_flow_rule *r);
/* The exact match of a key: every field its EtherType and IP protocol give meaning to, pinned
 * (written here from the OpenFlow prerequisites, independently of the library). */
void exact_match_of_key(const struct sdnfv_flow_key *k, struct sdnfv_flow_match *m);
/* A key: mostly built to fall inside `near` (when not NULL), otherwise random. */
void gen_key(struct rng *g, const struct sdnfv_flow_match *near, struct sdnfv_flow_key *k);
/* A selector that covers `m` (some fields dropped, prefixes shortened). */
void gen_coarser(struct rng *g, const struct sdnfv_flow_match *m, struct sdnfv_flow_match *out);
/* Scribble on the bytes of a key that no match can look at for its EtherType and IP protocol
 * (past an IPv4 address, ports of a non-L4 protocol, ICMP fields of a non-ICMP one, the VLAN
 * bits above 0x1fff): every match must answer as for the clean key. */
void gen_key_noise(struct rng *g, struct sdnfv_flow_key *k);

/* ---- injected clock and removal recorder ------------------------------------------------------ */

struct test_clock {
	uint64_t now; /* ns; read atomically */
};
uint64_t test_clock_fn(void *arg);

struct removal {
	uint64_t cookie;
	uint16_t priority;
	enum sdnfv_flow_removed_reason reason;
	struct sdnfv_flow_stats stats;
};
struct removals {
	struct removal *r;
	uint32_t n, cap;
};
void removals_cb(void *arg, const struct sdnfv_flow_rule *rule,
		 const struct sdnfv_flow_stats *stats, enum sdnfv_flow_removed_reason reason);
void removals_fini(struct removals *rm);

/* Flow-cache capacity of the tables test_table() makes (0: none, the default). */
extern uint32_t test_table_flows;

/* A table for tests: `max_rules`, `readers`, optional clock and recorder. */
struct sdnfv_flow_table *test_table(uint32_t max_rules, uint32_t readers, struct test_clock *clk,
				    struct removals *rm);

/* Quick rebuilds, so that tests cross compiled-base boundaries often. */
void test_fast_rebuilds(struct sdnfv_flow_table *t);

#endif
