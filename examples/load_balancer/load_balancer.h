/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * load_balancer: an L4 virtual IP (VIP) spread over backends with Maglev consistent hashing, in
 * NAT mode.
 *
 * A client → VIP packet of a new connection picks its backend from the VIP's Maglev lookup table
 * (Eisenbud et al., NSDI 2016) and the connection is remembered: its later packets keep that
 * backend while the backend is up, whatever the table becomes. Packets are rewritten in place
 * (destination address and port to the backend's; replies backend → client get the VIP's source
 * back) with incremental checksum updates.
 *
 * Threads: everything here runs in one thread, the NF's. The packet handler is the only reader of
 * the Maglev tables and the connection table, and run-time changes (a message from the manager, a
 * SIGHUP reload) are applied from the NF's message and idle handlers, i.e. between bursts, so a
 * new table is published by a plain pointer swap and the old one freed at once. Only
 * lb_request_reload() may be called from elsewhere (a signal handler).
 *
 * The logic works on contiguous frames (lb_packet()), so tests and benchmarks need no EAL; the
 * struct sdnfv_nf_ops handlers (lb_nf_ops) wrap it for mbufs.
 */
#ifndef LOAD_BALANCER_H
#define LOAD_BALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sdnfv/nf.h>
#include <sdnfv/pkt.h>

/* Maglev lookup table size when the config names none (a prime, as the paper's). */
#define LB_TABLE_SIZE_DEFAULT 65537
/* Largest table size accepted. */
#define LB_TABLE_SIZE_MAX 16777213
/* Connection table capacity and idle timeout when the config names none. */
#define LB_CONN_MAX_DEFAULT     65536
#define LB_CONN_MAX_MAX         (1u << 24)
#define LB_CONN_TIMEOUT_DEFAULT 300 /* seconds */
/* Longest backend or VIP name. */
#define LB_NAME_MAX 31
/* Message type (struct sdnfv_nf_msg::type) of a text command ("backend NAME up|down"). */
#define LB_MSG_COMMAND 1
/* Message type asking for a reload of the config file (like SIGHUP). */
#define LB_MSG_RELOAD 2

/* What to do with a packet. */
enum lb_verdict {
	LB_PASS = 0, /* to the next hop, unchanged */
	LB_FORWARD,  /* rewritten towards a backend; to the next hop */
	LB_REPLY,    /* a backend's reply, rewritten to come from the VIP; to the next hop */
	LB_DROP,     /* drop (malformed, fragment to a VIP, no backend up, table full, policy) */
};

/* Counters of the whole load balancer. rx = to_backend + replies + passed + dropped, and
 * dropped = malformed + frag + no_backend + conn_full + conn_clash + unserved_dropped. */
struct lb_stats {
	uint64_t rx;
	uint64_t to_backend;       /* client → VIP packets sent to a backend */
	uint64_t replies;          /* backend → client packets given the VIP's source */
	uint64_t passed;           /* not for a VIP service, passed unchanged */
	uint64_t dropped;          /* every drop, broken down below */
	uint64_t malformed;        /* frames the parser refused (truncated, lying lengths, ...) */
	uint64_t frag;             /* IP fragments to a VIP address (cannot be balanced by port) */
	uint64_t no_backend;       /* to a VIP service with no backend up */
	uint64_t conn_full;        /* new connections refused: the connection table was full */
	uint64_t conn_clash;       /* new connections refused: their reply tuple is another's */
	uint64_t unserved;         /* to a VIP address on a protocol/port it does not serve */
	uint64_t unserved_dropped; /* of those, dropped (config `unserved drop`) */
	uint64_t conns_new;        /* connections created */
	uint64_t conns_moved;      /* connections re-placed: their backend went down or away */
	uint64_t conns_expired;    /* connections removed after their idle timeout */
	uint64_t conns_active;     /* connections in the table now */
	uint64_t reloads;          /* config reloads applied */
	uint64_t reload_errors;    /* config reloads refused (the old config stayed) */
	uint64_t commands;         /* run-time commands applied */
	uint64_t command_errors;   /* run-time commands refused */
};

/* One backend as the summary sees it. */
struct lb_backend_info {
	const char *name;
	const char *vip; /* the VIP service's name */
	char addr[64];   /* "ip:port" or "[ipv6]:port" */
	uint32_t weight;
	bool up;
	uint64_t conns;       /* connections on it now */
	uint64_t conns_total; /* connections ever placed on it */
	uint64_t pkts_to;     /* packets forwarded to it */
	uint64_t pkts_from;   /* replies from it */
	uint32_t table_share; /* entries of its VIP's Maglev table that point to it */
};

struct lb_ctx;

/* Options of lb_create(). Zero-initialise and set sz. */
struct lb_opts {
	size_t sz;
	FILE *log; /* where run-time changes and refusals are logged; NULL: stderr */
};

/*
 * Read a config file and build a load balancer. On error returns a negative errno and writes
 * "file:line: reason" (or "file: reason") to err. The context remembers @p path for reloads.
 */
int lb_create(const char *path, const struct lb_opts *opts, struct lb_ctx **out, char *err,
	      size_t errlen);
void lb_free(struct lb_ctx *c); /* NULL is fine */

/*
 * Re-read the config file. A file that does not load is refused (negative errno, err says
 * "file:line: reason", counted in reload_errors) and the running config stays. Connections
 * whose backend (same VIP service, same name, address and port) is still there and up keep it.
 */
int lb_reload(struct lb_ctx *c, char *err, size_t errlen);

/* Ask for a reload at the next idle call; async-signal-safe (a SIGHUP handler calls it). */
void lb_request_reload(struct lb_ctx *c);

/* Mark a backend up or down; its VIP's Maglev table is rebuilt. 0; -ENOENT for no such name. */
int lb_backend_set(struct lb_ctx *c, const char *name, bool up);

/*
 * Apply a text command: "backend NAME up", "backend NAME down" or "reload". 0 or a negative
 * errno with the reason in err. @p len bytes of @p text (no terminator needed).
 */
int lb_command(struct lb_ctx *c, const char *text, size_t len, char *err, size_t errlen);

/* Handle one frame in place. @p now_ns: any monotonic clock in ns (for idle timeouts). */
enum lb_verdict lb_packet(struct lb_ctx *c, void *data, uint32_t len, uint64_t now_ns);

/* The same for a frame already parsed (sdnfv_pkt_parse() or sdnfv_pkt_parse_mbuf()); @p ret is
 * the parser's return. info may be updated. */
enum lb_verdict lb_packet_parsed(struct lb_ctx *c, void *data, struct sdnfv_pkt_info *info, int ret,
				 uint64_t now_ns);

/* Remove connections idle longer than the timeout, looking at most at @p budget entries (the
 * sweep resumes where it stopped). Returns how many it removed. */
unsigned int lb_expire(struct lb_ctx *c, uint64_t now_ns, unsigned int budget);

void lb_stats_get(const struct lb_ctx *c, struct lb_stats *out);
unsigned int lb_backend_count(const struct lb_ctx *c);
/* Backend i (0 .. lb_backend_count() - 1) in config order; 0 or -ENOENT. */
int lb_backend_get(const struct lb_ctx *c, unsigned int i, struct lb_backend_info *out);
/* The Maglev table size of the running config. */
uint32_t lb_table_size(const struct lb_ctx *c);

/* Print the summary line and one line per backend. */
void lb_summary(const struct lb_ctx *c, FILE *f);

/*
 * Build a Maglev lookup table of size @p m (a prime) for @p n backends named @p names with
 * weights @p weights (NULL: all 1; a weight of 0 leaves the backend out). table[j] becomes the
 * backend index of entry j, or UINT16_MAX when no backend takes part. Pure; for tests too.
 * 0; -EINVAL for m < 2, n > 65535; -ENOMEM.
 */
int lb_maglev_build(const char *const *names, const uint32_t *weights, unsigned int n, uint32_t m,
		    uint16_t *table);

/* The NF's handlers; each takes the struct lb_ctx as arg. */
extern const struct sdnfv_nf_ops lb_nf_ops;

#endif /* LOAD_BALANCER_H */
