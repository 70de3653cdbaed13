/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpi: payload inspection with Hyperscan, as an NF of libsdnfv.
 *
 * A rule file in a subset of the Suricata/Snort language (README.md) is compiled into one
 * Hyperscan streaming database. Each flow (5-tuple, both directions in one entry) has one
 * Hyperscan stream per direction; TCP payload is fed in sequence order only, so a pattern split
 * across segments matches. A rule fires once per flow; its action is alert, drop (this and every
 * later packet of the flow), pass (stop inspecting the flow) or redirect (ask the manager to send
 * the rest of the flow to another service: the smart data plane).
 *
 * The engine works on contiguous frames (dpi_inspect()), so it is tested without DPDK's EAL; the
 * NF handlers (dpi_nf_ops, with a struct dpi as arg) wrap it for mbufs. One struct dpi belongs to
 * one thread: its Hyperscan scratch, flow table and counters are not shared.
 */
#ifndef SDNFV_EXAMPLE_DPI_H
#define SDNFV_EXAMPLE_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sdnfv/nf.h>

/* Options of dpi_create(). Zero-initialise, set sz. */
struct dpi_opts {
	size_t sz;           /* sizeof(struct dpi_opts) */
	unsigned int flows;  /* flow table size (rounded up to a power of two, at most 2^31:
			      * more is refused); 0: 16384 */
	uint64_t idle_ns;    /* a flow idle this long may be replaced; 0: 60 s; UINT64_MAX: never */
	FILE *log;           /* alert lines (`dpi: alert sid ...`); NULL: stdout */
	FILE *alerts;        /* machine-readable alerts (README); NULL: none */
	bool quiet;          /* no alert lines (counters only) */
	const char *service; /* this NF's service name, for the log; NULL: "dpi" */
};

/* What the NF does with the packet dpi_inspect() looked at. */
enum dpi_verdict {
	DPI_NEXT = 0, /* default next hop */
	DPI_DROP,     /* drop */
	DPI_REDIRECT, /* send to the flow's redirect service (dpi_inspect()'s *target) */
};

struct dpi;

/*
 * Read and compile a rule file. On error returns a negative errno and writes a message naming the
 * file and line (`rules.txt:12: unsupported option 'within'`) into err.
 */
int dpi_create(const char *rules_path, const struct dpi_opts *opts, struct dpi **out, char *err,
	       size_t errlen);

/* The same from rules in memory; `name` stands for the file name in messages. */
int dpi_create_from_text(const char *text, const char *name, const struct dpi_opts *opts,
			 struct dpi **out, char *err, size_t errlen);

/* Free (closes every stream without reporting). NULL is fine. */
void dpi_free(struct dpi *d);

/* What dpi_inspect() says beyond the verdict. */
struct dpi_out {
	unsigned int target; /* DPI_REDIRECT: index of the service (dpi_target_name()) */
	bool first;          /* DPI_REDIRECT: the flow's first redirected packet */
	uint32_t *tag;       /* a word of the packet's flow entry for the caller (0 when the flow
				is created), valid until the next call; NULL when no flow entry */
};

/*
 * Inspect one frame (Ethernet first). `pkt_no` is copied into the alerts file; `now_ns` is any
 * monotonic clock (flow ageing). Returns the verdict and fills *out.
 */
enum dpi_verdict dpi_inspect(struct dpi *d, const void *frame, uint32_t len, uint64_t now_ns,
			     uint64_t pkt_no, struct dpi_out *out);

/*
 * The same for a burst of up to SDNFV_NF_BURST_MAX frames (the NF's handler uses it: its flow
 * lookups overlap their cache misses). Frame i gets packet number pkt_no + i.
 */
void dpi_inspect_burst(struct dpi *d, const void *const *frames, const uint32_t *lens,
		       unsigned int n, uint64_t now_ns, uint64_t pkt_no, enum dpi_verdict *verdicts,
		       struct dpi_out *outs);

/* End every flow's streams, reporting matches at end of data (`$` in a pcre) as alerts. */
void dpi_flush(struct dpi *d);

/* Redirect services named by the rules. */
unsigned int dpi_targets(const struct dpi *d);
const char *dpi_target_name(const struct dpi *d, unsigned int i);

/* Counters. */
struct dpi_stats {
	uint64_t rx;            /* frames seen */
	uint64_t inspected;     /* frames whose payload was fed to a stream */
	uint64_t bytes;         /* payload bytes fed */
	uint64_t alerts;        /* rule firings (every action) */
	uint64_t dropped;       /* frames given DPI_DROP */
	uint64_t redirected;    /* frames given DPI_REDIRECT */
	uint64_t flows;         /* flows created */
	uint64_t not_inspected; /* frames of flows the full table could not take */
	uint64_t malformed;     /* frames the parser refused (passed uninspected) */
	uint64_t not_ip;        /* frames without IPv4/IPv6 (passed) */
	uint64_t fragments;     /* IP fragments (passed uninspected: no reassembly) */
	uint64_t tcp_gaps;      /* TCP directions that stopped at a sequence gap */
	uint64_t partial_full;  /* multi-content partial matches that found no room */
	uint64_t path_requests; /* redirect requests sent to the manager */
	uint64_t path_failed;   /* redirect requests that could not be sent */
	uint64_t hs_errors;     /* Hyperscan scan errors */
	uint64_t tcp_restarts;  /* SYNs that started a new connection on a flow's 5-tuple */
};
void dpi_stats(const struct dpi *d, struct dpi_stats *out);

/* Rules and how often each fired. */
unsigned int dpi_rules(const struct dpi *d);
void dpi_rule_info(const struct dpi *d, unsigned int i, uint32_t *sid, const char **msg,
		   uint64_t *hits);

/* The summary line `dpi: summary rx N inspected N alerts N ...` and one `dpi: sid` line per rule. */
void dpi_summary(const struct dpi *d, FILE *f);

/* The Hyperscan database (an hs_database_t), for benchmarks that compare with plain Hyperscan. */
const void *dpi_hs_database(const struct dpi *d);

/*
 * The NF handlers; arg is a struct dpi. setup resolves redirect services (fails when the host has
 * none of that name), handle inspects each packet, idle sends a state report now and then (shown
 * in telemetry), teardown flushes the streams and sends a last report. The program prints
 * dpi_summary() itself.
 */
extern const struct sdnfv_nf_ops dpi_nf_ops;
int dpi_nf_setup(struct sdnfv_nf *nf, void *arg);
void dpi_nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg);
void dpi_nf_idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg);
void dpi_nf_teardown(struct sdnfv_nf *nf, void *arg);

#endif
