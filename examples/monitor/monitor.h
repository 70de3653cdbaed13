/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * monitor: per-flow accounting and IPFIX export, the logic of the monitor NF.
 *
 * A flow is a unidirectional 5-tuple (struct sdnfv_pkt_key, IPv4 or IPv6): the two directions of
 * a connection are two flows, as in RFC 7011's default Flow definition. The table is bounded
 * (max_flows entries, allocated at create); a packet of a new flow that does not fit is passed
 * and counted (table_full). Each flow holds packets, L3 bytes (the IP datagram: IPv4 total
 * length, or 40 + IPv6 payload length, as octetDeltaCount counts them), first and last packet
 * times in ms, and the union of its TCP flags.
 *
 * Flows end by idle timeout (no packet for idle_timeout), by TCP FIN or RST (on the packet that
 * carries it), or at shutdown (forced end); a flow older than active_timeout since its last
 * record is exported (the packets and bytes since then) and kept. Timeouts are found by a sweep
 * of the table that visits every entry once a second, so a record leaves at most a second after
 * its timeout.
 *
 * Records are encoded into IPFIX messages (RFC 7011) at once, one open message per family; a
 * full message goes to a queue, and monitor_flush() (the idle handler) closes the open messages
 * and sends the queue: to a UDP collector (non-blocking socket; a failed send is counted, never
 * retried), to an IPFIX file (RFC 5655: the messages back to back) and as CSV rows. The packet
 * path makes no system call. Templates (ids 256 for IPv4, 257 for IPv6) go first and again
 * every template_refresh.
 *
 * Time is injected: every call that needs it takes now_ms (milliseconds since the epoch, as
 * IPFIX dateTimeMilliseconds), so tests drive a fake clock. One thread per monitor.
 */
#ifndef MONITOR_H
#define MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sdnfv/nf.h>
#include <sdnfv/pkt.h>

#define MONITOR_PATH_MAX 256
#define MONITOR_TOP_MAX  100
#define MONITOR_MSG_MAX  1400 /* IPFIX message size: fits a 1500-byte MTU over IPv4 or IPv6 */
#define MONITOR_MSGQ     256  /* complete messages waiting for the idle handler */
#define MONITOR_TID_V4   256
#define MONITOR_TID_V6   257
#define MONITOR_REC_V4   48 /* data record sizes (see monitor_ipfix_record()) */
#define MONITOR_REC_V6   72

/* flowEndReason (IANA IE 136). */
enum monitor_end {
	MONITOR_END_IDLE = 1,
	MONITOR_END_ACTIVE = 2,
	MONITOR_END_FLOW = 3, /* FIN or RST */
	MONITOR_END_FORCED = 4,
};

struct monitor_cfg {
	char collector[MONITOR_PATH_MAX]; /* HOST[:PORT], [V6ADDR][:PORT]; "" for none */
	char records[MONITOR_PATH_MAX];   /* IPFIX file; "" for none */
	char csv[MONITOR_PATH_MAX];       /* CSV file; "" for none */
	uint64_t active_timeout_ms;
	uint64_t idle_timeout_ms;
	uint64_t template_refresh_ms;
	uint32_t max_flows;
	unsigned int top;
	bool top_by_packets;
	uint32_t domain;
};

/* One flow record, as exported. */
struct monitor_record {
	struct sdnfv_pkt_key key;
	uint64_t packets, bytes; /* since the previous record of the flow */
	uint64_t start_ms, end_ms;
	uint16_t tcp_flags;
	uint8_t reason; /* enum monitor_end */
};

struct monitor_counters {
	uint64_t rx, rx_bytes; /* every packet, frame bytes */
	uint64_t tracked;      /* packets counted in a flow */
	uint64_t malformed;    /* did not parse (truncated or lying headers): passed, not tracked */
	uint64_t non_ip;       /* neither IPv4 nor IPv6: passed, not tracked */
	uint64_t table_full;   /* packets of a new flow that found the table full */
	uint64_t flows;        /* flows created */
	uint64_t ended_idle, ended_active, ended_flow, ended_forced;
	uint64_t exported;     /* records put into messages */
	uint64_t records_lost; /* records in a message that found the queue full */
	uint64_t messages;     /* messages sent or written */
	uint64_t templates;    /* template messages among them */
	uint64_t send_errors;  /* collector sends that failed */
	uint64_t file_errors;  /* record or CSV writes that failed */
};

struct monitor;

/* Defaults: no sink, active 60 s, idle 15 s, template refresh 60 s, 65536 flows, top 10 by
 * bytes, domain 0. */
void monitor_cfg_defaults(struct monitor_cfg *cfg);

/* Set one key (the config file's keywords, the long options' names) from its text value.
 * Returns 0, or -EINVAL with the reason in err. */
int monitor_cfg_set(struct monitor_cfg *cfg, const char *key, const char *value, char *err,
		    size_t errlen);

/* Load a config file: `key value` lines, `#` comments. Returns 0, or -EINVAL / -errno with
 * "FILE:LINE: reason" (or "FILE: reason") in err. */
int monitor_cfg_load(struct monitor_cfg *cfg, const char *path, char *err, size_t errlen);

/* Create a monitor: allocates the table, opens the sinks (resolves the collector, creates the
 * files) and queues the first template message. Returns NULL with the reason in err. */
struct monitor *monitor_create(const struct monitor_cfg *cfg, uint64_t now_ms, char *err,
			       size_t errlen);

/* End every live flow (forced end), close the open messages and send them. Once. */
void monitor_finish(struct monitor *mon, uint64_t now_ms);

/* Finish (unless done), close the sinks, free. NULL is fine. */
void monitor_destroy(struct monitor *mon, uint64_t now_ms);

/* Account one contiguous frame. Returns 0 when tracked, or the counter's reason as -EBADMSG
 * (malformed), -EPROTONOSUPPORT (not IP), -ENOSPC (table full). */
int monitor_packet(struct monitor *mon, const void *data, uint32_t len, uint64_t now_ms);

/* The same for a frame already parsed (ret: sdnfv_pkt_parse*()'s return). l3 bytes come from
 * info; frame_len is counted in rx_bytes. */
int monitor_packet_parsed(struct monitor *mon, const void *data, const struct sdnfv_pkt_info *info,
			  int ret, uint32_t frame_len, uint64_t now_ms);

/* Account a burst of at most SDNFV_NF_BURST_MAX parsed frames (as monitor_packet_parsed() for
 * each, in order), in two passes so that the table's cache misses overlap. The burst handler's
 * core. */
void monitor_burst(struct monitor *mon, const uint8_t *const *data,
		   const struct sdnfv_pkt_info *info, const int *ret, const uint32_t *frame_len,
		   unsigned int n, uint64_t now_ms);

/* Sweep for timeouts (the part of the table due since the previous call; all of it when a
 * second or more passed), refresh templates when due, close the open messages and send the
 * queue. The idle handler. */
void monitor_flush(struct monitor *mon, uint64_t now_ms);

/* Flows in the table now. */
uint32_t monitor_flows_live(const struct monitor *mon);

/* Up to n of the largest flows seen since start (by bytes, or packets with top_by_packets): the
 * live ones and those that ended, totals over the flow's life. Returns how many. */
unsigned int monitor_top(const struct monitor *mon, struct monitor_record *out, unsigned int n);

/* The largest flow since start, as monitor_top(mon, r, 1) finds it (but for ties), without a
 * scan: the report's. Returns false when there is none (or top is 0). */
bool monitor_top1(const struct monitor *mon, struct monitor_record *r);

/* "10.0.0.1:1234>10.0.0.2:80/6" ([v6]:port for IPv6). */
void monitor_flow_str(const struct sdnfv_pkt_key *key, char *buf, size_t len);

/* The state report: "pps N bps N flows N top FLOW" (the top part left out when it would not
 * fit), at most 127 bytes. Rates are since the previous call. Returns its length. */
int monitor_report_text(struct monitor *mon, uint64_t now_ms, char *buf, size_t len);

const struct monitor_counters *monitor_counters(const struct monitor *mon);

/* The top flows, one line each: "monitor: top RANK FLOW packets N bytes N duration_ms N". */
void monitor_print_top(const struct monitor *mon, FILE *out);

/* The summary line "monitor: summary rx N ...", then the top flows. */
void monitor_print_summary(const struct monitor *mon, FILE *out);

/* Test hook: called with every message as it is sent (before the sinks). */
void monitor_set_tap(struct monitor *mon, void (*tap)(void *arg, const uint8_t *msg, size_t len),
		     void *arg);

/* IPFIX encoding, exposed for tests. */
size_t monitor_ipfix_header(uint8_t *buf, uint16_t len, uint32_t export_s, uint32_t seq,
			    uint32_t domain);
size_t monitor_ipfix_templates(uint8_t *buf); /* the template set of both templates */
size_t monitor_ipfix_record(uint8_t *buf, const struct monitor_record *r);

/* The NF: a context created from options, its handlers (arg: the context). */
struct monitor_nf {
	struct monitor *mon;
	uint64_t (*clock_ms)(void); /* wall clock, ms since the epoch */
	uint64_t last_report_ms;
	uint64_t report_ms;     /* state report period */
	volatile bool dump_top; /* SIGUSR1: print the top flows at the next idle call */
};

extern const struct sdnfv_nf_ops monitor_nf_ops;

/* Create the NF's context (and its monitor) from a configuration. Returns 0, or -EINVAL with the
 * reason in err. Free with monitor_destroy(ctx->mon, ...). */
int monitor_nf_init(struct monitor_nf *ctx, const struct monitor_cfg *cfg, char *err,
		    size_t errlen);

/* Wall-clock time in ms (CLOCK_REALTIME, vDSO: no system call). */
uint64_t monitor_clock_ms(void);

#endif /* MONITOR_H */
