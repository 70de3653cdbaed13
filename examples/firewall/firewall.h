/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * firewall: a 5-tuple packet filter NF, stateless or stateful.
 *
 * Rules come from a text file (README.md gives the format): protocol, IPv4/IPv6 source and
 * destination prefixes, source and destination port ranges, allow or deny; the first matching
 * line wins unless a line carries an explicit `priority N` (higher wins; equal priorities keep
 * line order). Classification is DPDK's rte_acl: one context for IPv4, one for IPv6, built once
 * from the rules. Each rule counts packets and bytes; the default policy, non-IP frames and
 * malformed frames have counters of their own.
 *
 * In stateful mode a connection table (open addressing, bounded) keyed on the symmetric 5-tuple
 * tracks TCP states and UDP/ICMP/other pseudo-connections with timeouts: packets of a tracked
 * connection pass both ways without a rule lookup; a connection is created only when the rules
 * allow its first packet (for TCP, a SYN); unsolicited replies and TCP packets without state
 * are dropped as invalid.
 *
 * Use: firewall_rules_load() (no EAL) → firewall_create() (needs the EAL for rte_acl's memory,
 * unless fw_opts::defer_acl puts the build off to firewall_build() / the NF's setup handler) →
 * firewall_classify() on frames, or the NF handlers (firewall_nf_ops, arg = the firewall) →
 * firewall_summary() / firewall_counters_write() → firewall_free(). One thread per firewall.
 */
#ifndef SDNFV_EXAMPLE_FIREWALL_H
#define SDNFV_EXAMPLE_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>

#include <sdnfv/nf.h>

#define FW_PRIORITY_MAX 65535
#define FW_ERR_MAX      256

enum fw_action { FW_DENY = 0, FW_ALLOW = 1 };

/* One rule line. Addresses in network order; ports in host order, inclusive ranges. */
struct fw_rule {
	unsigned int line;        /* line number in the file */
	unsigned int prio;        /* explicit priority (0 when none) */
	uint8_t family;           /* 0: both, 4, 6 */
	uint8_t action;           /* enum fw_action */
	int16_t proto;            /* -1: any */
	uint8_t src_len, dst_len; /* prefix lengths; 0: any */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	bool has_ports;           /* a port range was given (proto is tcp, udp or sctp) */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
};

/* A parsed rule file. Rules are in evaluation order (priority, then line). */
struct fw_rules {
	struct fw_rule *rule;
	unsigned int n;
	uint8_t default_action; /* IP packets no rule matched; deny unless `default allow` */
	uint8_t nonip_action; /* frames that are neither IPv4 nor IPv6; allow unless `nonip deny` */
};

/* Parse one rule file. On error returns -EINVAL (or -errno for I/O) and writes
 * "file:line: reason" to err. The rules are the caller's (firewall_rules_free()). */
int firewall_rules_load(const char *path, struct fw_rules *out, char *err, size_t errlen);
/* Parse rules from a string (for tests); `name` stands for the file name in errors. */
int firewall_rules_parse(const char *text, const char *name, struct fw_rules *out, char *err,
			 size_t errlen);
void firewall_rules_free(struct fw_rules *r);

/* Connection-tracking timeouts, in seconds (defaults are Linux nf_conntrack's). */
struct fw_timeouts {
	uint32_t tcp_syn_sent, tcp_syn_recv, tcp_established, tcp_fin_wait, tcp_close_wait,
		tcp_last_ack, tcp_time_wait, tcp_close;
	uint32_t udp, udp_stream, icmp, other;
};

struct fw_opts {
	size_t sz;             /* sizeof(struct fw_opts) */
	const char *name;      /* for rte_acl context names and log lines; NULL: "firewall" */
	int socket_id;         /* memory for the ACL contexts; SOCKET_ID_ANY is fine */
	bool stateful;         /* track connections */
	uint32_t conn_max;     /* connection table size (rounded up to a power of 2); 0: 65536 */
	struct fw_timeouts to; /* zero fields take the defaults */
	/* Build the rte_acl contexts later, in firewall_build() or the NF's setup handler: lets a
	 * program create the firewall (and refuse bad rules) before the EAL starts. */
	bool defer_acl;
};

/* Verdict of one frame, with why. */
enum fw_reason {
	FW_R_RULE = 0,   /* a rule matched (rule index in the verdict's rule field) */
	FW_R_DEFAULT,    /* no rule matched: default policy */
	FW_R_NONIP,      /* not IP: non-IP policy */
	FW_R_MALFORMED,  /* the parser refused the frame: dropped */
	FW_R_TRACKED,    /* stateful: a packet of a tracked connection */
	FW_R_INVALID,    /* stateful: TCP without state and not a SYN, unsolicited reply, bad state
			    transition: dropped */
	FW_R_TABLE_FULL, /* stateful: allowed but the table is full: dropped */
};

struct fw_verdict {
	uint8_t allow;  /* 1: pass */
	uint8_t reason; /* enum fw_reason */
	int32_t rule;   /* rule index when reason is FW_R_RULE or a rule created the connection */
};

/* TCP states of a tracked connection. */
enum fw_tcp_state {
	FW_TCP_NONE = 0, /* UDP, ICMP, other */
	FW_TCP_SYN_SENT,
	FW_TCP_SYN_RECV,
	FW_TCP_ESTABLISHED,
	FW_TCP_FIN_WAIT,
	FW_TCP_CLOSE_WAIT,
	FW_TCP_LAST_ACK,
	FW_TCP_TIME_WAIT,
	FW_TCP_CLOSED,
	FW_TCP__COUNT
};

struct fw_counters {
	uint64_t rx, passed, dropped, rx_bytes;
	uint64_t default_pkts, default_bytes, nonip_pkts, nonip_bytes, malformed;
	uint64_t tracked, invalid, conn_new, conn_full, conn_expired, conn_live;
	uint64_t malformed_why[32]; /* by enum sdnfv_pkt_err */
	/* stateful: ICMP errors in a chained mbuf whose quote is cut by the end of the first
	 * segment (judged by the rules, as unrelated) */
	uint64_t icmp_segmented;
};

/*
 * The rte_acl search keys, in network order as rte_acl wants its input. `l4` is 1 (big endian)
 * when the packet carries TCP/UDP/SCTP ports: a rule with a port range asks for it, so a
 * non-first fragment (which has no ports) never matches a port rule, as in nftables.
 */
struct fw_acl_key4 {
	uint8_t proto;
	uint8_t pad[3];
	rte_be32_t l4;
	rte_be32_t src, dst;
	rte_be16_t sport, dport;
};

struct fw_acl_key6 {
	uint8_t proto;
	uint8_t pad[3];
	rte_be32_t l4;
	uint8_t src[16], dst[16];
	rte_be16_t sport, dport;
};

struct firewall;
struct rte_acl_ctx;

/* The ACL context of a family (4 or 6); NULL when no rule is of that family. For benchmarks
 * that run rte_acl_classify() alone on the firewall's own tries (keys: struct fw_acl_key4/6). */
const struct rte_acl_ctx *firewall_acl_ctx(const struct firewall *fw, int family);

/* Build a firewall from parsed rules (copied). Needs the EAL unless opts->defer_acl. Returns 0
 * or -errno (message in err). */
int firewall_create(const struct fw_rules *rules, const struct fw_opts *opts, struct firewall **out,
		    char *err, size_t errlen);
/* Build the rte_acl contexts of a firewall created with defer_acl (needs the EAL); does nothing
 * when they are built. Returns 0 or -errno (message in err). */
int firewall_build(struct firewall *fw, char *err, size_t errlen);
void firewall_free(struct firewall *fw);

/* Classify n (<= 64) contiguous frames at time now_ns (any monotonic clock in ns; the
 * stateful timeouts count on it) and update the counters. */
void firewall_classify(struct firewall *fw, const void *const *frames, const uint32_t *lens,
		       unsigned int n, uint64_t now_ns, struct fw_verdict *out);

/* Expire up to `budget` connection slots (stateful mode); returns how many it expired. */
unsigned int firewall_expire(struct firewall *fw, uint64_t now_ns, unsigned int budget);

/* The state of the connection of a frame (stateful), FW_TCP_NONE for UDP/ICMP/other, -1 when
 * the frame's connection is not tracked. For tests. */
int firewall_conn_state(struct firewall *fw, const void *frame, uint32_t len, uint64_t now_ns);

const char *firewall_tcp_state_name(int state);
const struct fw_counters *firewall_counters(const struct firewall *fw);
const struct fw_rules *firewall_rules(const struct firewall *fw);
/* Per-rule counts, in rule order (struct fw_rules order). */
void firewall_rule_counts(const struct firewall *fw, unsigned int i, uint64_t *pkts,
			  uint64_t *bytes);

/* Detail lines (one per rule) then `firewall: summary rx N passed N dropped N ...`. */
void firewall_summary(const struct firewall *fw, FILE *f);
/* Machine-readable counters: `rule <line> <action> <pkts> <bytes>` per rule, then
 * `<counter> <value>` lines. Returns 0 or -errno. */
int firewall_counters_write(const struct firewall *fw, const char *path);

/* NF handlers: arg is the struct firewall. setup builds the ACL contexts if deferred (and
 * logs why it failed); handle classifies a burst of mbufs and sets verdicts; idle expires
 * connections. firewall_nf_ops has no teardown: print with firewall_summary() after the run, or
 * copy the table and add one. */
extern const struct sdnfv_nf_ops firewall_nf_ops;
int firewall_nf_setup(struct sdnfv_nf *nf, void *arg);
void firewall_nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg);
void firewall_nf_idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg);

/* Classify a burst of mbufs (what firewall_nf_handle does, without verdicts); for benchmarks. */
void firewall_classify_mbufs(struct firewall *fw, struct rte_mbuf **pkts, unsigned int n,
			     uint64_t now_ns, struct fw_verdict *out);

#endif
