/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nat: IPv4 NAPT (masquerade) for TCP, UDP and ICMP queries, as RFC 4787 (UDP), RFC 5382 (TCP)
 * and RFC 5508 (ICMP) require, plus static port forwarding (DNAT).
 *
 * The translation logic works on contiguous Ethernet frames (nat_process()), so tests need no
 * EAL; nat_nf_ops wraps it as NF handlers. One context serves one thread: nothing here locks.
 *
 * Tables. A mapping binds (protocol, internal address, internal port or ICMP identifier) to
 * (external address, external port). Mappings live in one array; an open-addressing hash on the
 * internal endpoint finds them for outbound packets (endpoint-independent mapping: the remote
 * endpoint is not part of the key), and a direct array per external address and protocol,
 * indexed by external port, finds them for inbound packets. The direct array holds at most one
 * mapping per external port, so two internal endpoints never share one (no port overloading).
 */
#ifndef NAT_H
#define NAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>

#include <sdnfv/nf.h>

#define NAT_MAX_EXTERNAL 64 /* external addresses (the pool) */
#define NAT_MAX_INTERNAL 64 /* internal prefixes */
#define NAT_MAX_FORWARDS 1024
#define NAT_PEERS        8 /* remote endpoints remembered per mapping for APDF */
#define NAT_NO_PORT      0xffff

enum nat_filtering {
	NAT_FILTER_EIF = 0, /* endpoint-independent */
	NAT_FILTER_APDF,    /* address-and-port-dependent */
};

struct nat_prefix {
	uint32_t addr; /* host order */
	uint32_t mask; /* host order */
};

struct nat_forward {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	rte_be32_t ext_ip, int_ip;
	rte_be16_t ext_port, int_port;
};

/* The parsed configuration file (see README.md for every directive). */
struct nat_config {
	rte_be32_t external[NAT_MAX_EXTERNAL];
	unsigned int n_external;
	struct nat_prefix internal[NAT_MAX_INTERNAL];
	unsigned int n_internal;
	uint16_t port_lo, port_hi;
	enum nat_filtering filtering;
	uint32_t timeout_udp, timeout_tcp_est, timeout_tcp_trans, timeout_icmp; /* seconds */
	bool inbound_refresh;
	struct nat_forward forwards[NAT_MAX_FORWARDS];
	unsigned int n_forwards;
	uint32_t max_mappings;
	uint16_t inside_port, outside_port; /* NAT_NO_PORT: not set */
	bool router_macs;                   /* inside-mac, outside-mac and outside-gw-mac all set */
	uint8_t inside_mac[6], outside_mac[6], outside_gw_mac[6];
	unsigned int mac_set; /* bit 0 inside-mac, 1 outside-mac, 2 outside-gw-mac */
};

/*
 * Read a configuration file. Returns 0, or -EINVAL (-errno when the file cannot be read) with
 * "file:line: reason" in err.
 */
int nat_config_load(const char *path, struct nat_config *cfg, char *err, size_t errlen);

/* Why a packet was dropped. */
enum nat_drop {
	NAT_DROP_MALFORMED,     /* the parser refused it, or a lying length */
	NAT_DROP_FRAGMENT,      /* IPv4 fragments are not translated */
	NAT_DROP_UNSUPPORTED,   /* another IP protocol, or an ICMP type NAT does not handle */
	NAT_DROP_NO_MAPPING,    /* inbound, for no mapping */
	NAT_DROP_FILTERED,      /* inbound, refused by address-and-port-dependent filtering */
	NAT_DROP_TABLE_FULL,    /* max-mappings reached */
	NAT_DROP_NO_PORT,       /* every port of the external address is taken */
	NAT_DROP_ICMP_EMBEDDED, /* an ICMP error whose embedded header is short or malformed */
	NAT_DROP_OTHER,         /* router mode: not IPv4, or neither inbound nor outbound */
	NAT_DROP_MULTISEG,      /* headers or datagram span several mbuf segments */
	NAT_DROP__COUNT
};

struct nat_stats {
	uint64_t rx;
	uint64_t out, in, hairpin; /* translated, by direction */
	uint64_t icmp_errors;      /* ICMP errors translated (part of out/in) */
	uint64_t passed;           /* chain mode: not for the NAT, passed unchanged */
	uint64_t created, expired; /* dynamic mappings */
	uint64_t active;           /* mappings now, static ones included */
	uint64_t dropped[NAT_DROP__COUNT];
};

/* What to do with a frame after nat_process(). */
enum nat_verdict {
	NAT_V_NEXT = 0, /* the chain's next hop */
	NAT_V_DROP,
	NAT_V_PORT,    /* out of port *out_port */
	NAT_V_INGRESS, /* back out of the port it came in by (hairpin without inside-port) */
};

struct nat;

struct nat_options {
	uint64_t seed; /* port allocation randomness; 0: from the clock */
	/* The clock the NF handlers use, in ns; NULL: the TSC. Tests call nat_process() with a
	 * time of their own instead. */
	uint64_t (*clock_ns)(void *arg);
	void *clock_arg;
};

/* Create a NAT from a configuration file. Returns 0 or a negative errno, with a reason in err. */
int nat_create(const char *config_path, const struct nat_options *opt, struct nat **out, char *err,
	       size_t errlen);
/* Create a NAT from a configuration in memory (copied). A forward whose internal address is in
 * no internal prefix is refused (-EINVAL), as nat_config_load() refuses it. */
int nat_create_cfg(const struct nat_config *cfg, const struct nat_options *opt, struct nat **out,
		   char *err, size_t errlen);
void nat_free(struct nat *n);

/*
 * Translate one frame in place. now_ns is the time (any epoch, monotonic). Returns the verdict;
 * for NAT_V_PORT the port is in *out_port.
 */
enum nat_verdict nat_process(struct nat *n, uint8_t *frame, uint32_t len, uint64_t now_ns,
			     uint16_t *out_port);

/* Remove up to budget expired mappings, scanning on from where the last call stopped. Returns
 * how many it removed. */
unsigned int nat_expire(struct nat *n, uint64_t now_ns, unsigned int budget);

const struct nat_stats *nat_stats(const struct nat *n);
const struct nat_config *nat_config(const struct nat *n);
const char *nat_drop_name(enum nat_drop d);

/* The mapping of an internal endpoint, for tests and tools: 0 and the external endpoint, or
 * -ENOENT. proto is IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP (port = identifier). */
int nat_lookup(const struct nat *n, uint8_t proto, rte_be32_t int_ip, rte_be16_t int_port,
	       rte_be32_t *ext_ip, rte_be16_t *ext_port);

/* The summary line ("nat: summary rx N ...") and a line of drops by reason. */
void nat_summary(const struct nat *n, FILE *f);

/* NF handlers; the handler argument is the struct nat. */
extern const struct sdnfv_nf_ops nat_nf_ops;

#endif
