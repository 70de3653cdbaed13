/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the host manager's policy file. Never installed.
 *
 * A policy file is YAML (one document; read with libyaml) holding one mapping with four keys,
 * each optional:
 *
 *     services:                       # the services this host offers, in file order
 *       <name>: { fallback: drop }    # what a flow does when the service has no live instance:
 *                                     #   drop (the default) or bypass (skip the hop); {} for none
 *     chains:                         # the service chains, in file order
 *       <name>:
 *         hops: [<service>, ...]      # required; 0 to 16 services, in order (a service may repeat)
 *         out: <port>|drop|in_port    # required; where the packet leaves after the last hop:
 *                                     #   a port id 0-65535, dropped, or back out of its in port
 *         alternatives:               # optional; per service of this chain's hops (every hop of
 *           <service>:                #   that service), what its NFs may change:
 *             redirect: [<service>, ...] | any   # may send packets to these services instead
 *             skip: true|false                   # may make packets skip hops of the chain
 *             restore: true|false                # may put packets back on their default path
 *     rules:                          # classify packets into chains, in file order
 *       - match: "<match>"            # required; the flow text syntax of sdnfv_flow_rule_parse()
 *                                     #   without actions= and without the keys below ("" matches
 *                                     #   everything)
 *         chain: <chain>              # required
 *         priority: 0-65535           # optional, default 0; higher wins
 *         idle_timeout: 0-65535       # optional, seconds, default 0 (never)
 *         hard_timeout: 0-65535       # optional, seconds, default 0 (never)
 *         cookie: <u64>               # optional, decimal or 0x hex, default 0
 *     miss: <chain>|drop              # what a packet no rule matches does; default drop
 *
 * Service and chain names are 1 to 31 characters of [A-Za-z0-9_.-]; a chain may not be called
 * `drop` (it would be ambiguous in `miss`). Numbers are decimal (cookie also 0x hex), without a
 * sign or anything after them. Booleans are `true` or `false`. Quoted and plain scalars mean the
 * same; anchors and aliases are accepted (an error inside an aliased node is reported where it was
 * anchored).
 *
 * Everything else is refused, with the first problem found as "<name>:<line>:<col>: <reason>":
 * YAML syntax, unknown or repeated keys (at every level: a typo is never ignored), a value of the
 * wrong kind, a name that is not defined (or defined twice), out-of-range numbers, more than 16
 * hops, alternatives for a service not in the chain, a match string that does not parse or holds
 * actions=, priority=, idle_timeout=, hard_timeout=, cookie=, send_flow_rem, check_overlap or
 * reset_counts (each has one place to be said: the first four are keys of the rule, the flags and
 * the action are the manager's business), an empty file or one that is not a mapping, and a
 * second document. Lines and columns count from 1. Problems are checked services first, then
 * chains, rules and miss, whatever the order of the keys in the file.
 *
 * The mgr layer's log type is registered in policy.c (SDNFV_LOG_REGISTER(mgr)); other mgr files
 * use it through the extern declaration below and never register it again.
 */
#ifndef SDNFV_LIB_MGR_POLICY_H
#define SDNFV_LIB_MGR_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <sdnfv/flow.h>
#include <sdnfv/service.h>

extern int sdnfv_logtype_mgr; /* registered in policy.c */

/* Most hops of one chain. */
#define SDNFV_POLICY_HOPS_MAX 16

/* Longest chain name, in characters. */
#define SDNFV_POLICY_CHAIN_NAME_MAX 31

/* What a flow does at a hop whose service has no live instance. */
enum sdnfv_policy_fallback {
	SDNFV_POLICY_FALLBACK_DROP = 0, /* drop the packet */
	SDNFV_POLICY_FALLBACK_BYPASS,   /* skip the hop */
};

/* Where a packet leaves after its chain's last hop. */
enum sdnfv_policy_out {
	SDNFV_POLICY_OUT_PORT = 0, /* out of sdnfv_policy_chain::port */
	SDNFV_POLICY_OUT_DROP,     /* dropped */
	SDNFV_POLICY_OUT_IN_PORT,  /* back out of the port it came in by */
};

struct sdnfv_policy_service {
	char name[SDNFV_SERVICE_NAME_MAX + 1];
	enum sdnfv_policy_fallback fallback;
	unsigned int line; /* of its name in the file */
};

/* sdnfv_policy_hop::allow: what the NFs at a hop may change. */
#define SDNFV_POLICY_ALLOW_SKIP         0x1 /* make packets skip hops of the chain */
#define SDNFV_POLICY_ALLOW_RESTORE      0x2 /* put packets back on their default path */
#define SDNFV_POLICY_ALLOW_REDIRECT_ANY 0x4 /* redirect to any service (redirect is then empty) */

struct sdnfv_policy_hop {
	uint16_t service;    /* index into sdnfv_policy::services */
	uint16_t allow;      /* SDNFV_POLICY_ALLOW_* */
	uint16_t n_redirect; /* services it may redirect to */
	uint16_t *redirect;  /* their indexes into sdnfv_policy::services; NULL when none */
};

struct sdnfv_policy_chain {
	char name[SDNFV_POLICY_CHAIN_NAME_MAX + 1];
	unsigned int n_hops;
	struct sdnfv_policy_hop hops[SDNFV_POLICY_HOPS_MAX];
	enum sdnfv_policy_out out;
	uint16_t port;     /* with SDNFV_POLICY_OUT_PORT */
	unsigned int line; /* of its name in the file */
};

struct sdnfv_policy_rule {
	struct sdnfv_flow_rule rule; /* sz, match, priority, timeouts, cookie; flags and action 0 */
	uint32_t chain;              /* index into sdnfv_policy::chains */
	unsigned int line;           /* of the rule's first key */
};

/* A parsed policy: one heap block per array, freed by sdnfv_policy_free(). Arrays of 0 entries
 * are NULL. */
struct sdnfv_policy {
	struct sdnfv_policy_service *services;
	unsigned int n_services;
	struct sdnfv_policy_chain *chains;
	unsigned int n_chains;
	struct sdnfv_policy_rule *rules;
	unsigned int n_rules;
	int miss_chain; /* index into chains; -1: drop */
};

/*
 * Parse a policy file.
 *
 * path: the file. out: the policy, owned by the caller. err/errlen: if err is not NULL and errlen
 * > 0, receives the reason on failure, NUL-terminated: "<path>:<line>:<col>: <reason>" for a bad
 * file, "<path>: <strerror>" for an unreadable one. The same text is logged once (ERR).
 * Returns 0; -EINVAL for a bad file; -errno when it cannot be read; -ENOMEM.
 */
int sdnfv_policy_parse_file(const char *path, struct sdnfv_policy **out, char *err, size_t errlen);

/* The same from text in memory (len bytes, no NUL needed); name stands for the file in errors. */
int sdnfv_policy_parse_string(const char *text, size_t len, const char *name,
			      struct sdnfv_policy **out, char *err, size_t errlen);

/* Free a policy and everything it holds. NULL is fine. */
void sdnfv_policy_free(struct sdnfv_policy *p);

#endif /* SDNFV_LIB_MGR_POLICY_H */
