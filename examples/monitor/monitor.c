/* SPDX-License-Identifier: BSD-3-Clause */
/* monitor: per-flow accounting and IPFIX export (see monitor.h for the design). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_mbuf.h>

#include "monitor.h"

#define TCP_FIN       0x01
#define TCP_RST       0x04
#define SWEEP_MS      1000 /* the sweep visits the whole table once per this period */
#define IPFIX_VERSION 10
#define IPFIX_HDR     16
#define SET_HDR       4
#define MAX_FLOWS_MAX (1u << 26)

/* One table entry. Totals are over the flow's life; exp_* is what records already carried. */
struct flow {
	struct sdnfv_pkt_key key;
	uint64_t packets, bytes;
	uint64_t exp_packets, exp_bytes;
	uint64_t first_ms, last_ms, record_ms;
	uint32_t hash;
	uint16_t tcp_flags; /* since the last record */
	uint8_t used;
};

struct msg {
	uint16_t len, records;
	uint8_t data[MONITOR_MSG_MAX];
};

struct monitor {
	struct monitor_cfg cfg;
	struct monitor_counters c;
	struct flow *flows;
	uint32_t *free_ids;
	uint32_t n_free;
	/* Open addressing, linear probing, load <= 1/2: (hash << 32) | (entry id + 1); 0 is empty. */
	uint64_t *slots;
	uint32_t mask;
	uint32_t sweep_pos;
	uint64_t sweep_ms;
	struct msg open[2]; /* the message being filled, per family (0: IPv4, 1: IPv6) */
	struct msg *queue;  /* complete messages, FIFO */
	unsigned int q_head, q_count;
	uint32_t seq; /* data records in messages so far (the IPFIX sequence number) */
	uint64_t template_ms;
	struct monitor_record top_ended[MONITOR_TOP_MAX]; /* largest ended flows, totals */
	unsigned int n_top_ended;
	/* The largest live flow, kept per packet so the report needs no scan: a flow that grows
	 * past big_val takes the place; when it ends, the place is free and top_ended has it. */
	uint32_t big_id;
	uint64_t big_val;
	int sock;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	FILE *records, *csv;
	void (*tap)(void *arg, const uint8_t *msg, size_t len);
	void *tap_arg;
	uint64_t rep_ms, rep_rx, rep_bytes;
	bool finished;
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                               */

void
monitor_cfg_defaults(struct monitor_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->active_timeout_ms = 60000;
	cfg->idle_timeout_ms = 15000;
	cfg->template_refresh_ms = 60000;
	cfg->max_flows = 65536;
	cfg->top = 10;
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "30" and "30s" are seconds, "500ms" milliseconds. */
static int
parse_duration(const char *s, uint64_t *ms)
{
	char num[32];
	size_t n = strspn(s, "0123456789");
	uint64_t v, mult = 1000;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	if (strcmp(s + n, "ms") == 0)
		mult = 1;
	else if (s[n] != '\0' && strcmp(s + n, "s") != 0)
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_u64(num, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*ms = v * mult;
	return 0;
}

/* Split HOST[:PORT] / [V6]:PORT / V6 into host and port. */
static int
split_collector(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h = s, *hend;
	uint64_t p = 4739;

	if (*s == '[') {
		hend = strchr(s, ']');
		if (hend == NULL)
			return -EINVAL;
		h = s + 1;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (hend[1] != '\0' && colon == NULL)
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		hend = colon != NULL ? colon : s + strlen(s);
	}
	if (hend == h || (size_t)(hend - h) >= hostlen)
		return -EINVAL;
	if (colon != NULL && (parse_u64(colon + 1, 65535, &p) < 0 || p == 0))
		return -EINVAL;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int
set_path(char *dst, const char *key, const char *value, char *err, size_t errlen)
{
	if (*value == '\0' || strlen(value) >= MONITOR_PATH_MAX)
		return fail(err, errlen, "%s: a path of 1 to %d characters is needed", key,
			    MONITOR_PATH_MAX - 1);
	strcpy(dst, value);
	return 0;
}

int
monitor_cfg_set(struct monitor_cfg *cfg, const char *key, const char *value, char *err,
		size_t errlen)
{
	uint64_t v;

	if (strcmp(key, "collector") == 0) {
		char host[MONITOR_PATH_MAX];
		uint16_t port;

		if (split_collector(value, host, sizeof(host), &port) < 0)
			return fail(
				err, errlen,
				"collector: '%s' is not HOST[:PORT] or [IPV6]:PORT (port 1-65535)",
				value);
		return set_path(cfg->collector, key, value, err, errlen);
	}
	if (strcmp(key, "records") == 0)
		return set_path(cfg->records, key, value, err, errlen);
	if (strcmp(key, "csv") == 0)
		return set_path(cfg->csv, key, value, err, errlen);
	if (strcmp(key, "active-timeout") == 0 || strcmp(key, "idle-timeout") == 0 ||
	    strcmp(key, "template-refresh") == 0) {
		if (parse_duration(value, &v) < 0 || v == 0)
			return fail(err, errlen,
				    "%s: '%s' is not a duration above 0 (seconds, or Nms)", key,
				    value);
		if (key[0] == 'a')
			cfg->active_timeout_ms = v;
		else if (key[0] == 'i')
			cfg->idle_timeout_ms = v;
		else
			cfg->template_refresh_ms = v;
		return 0;
	}
	if (strcmp(key, "max-flows") == 0) {
		if (parse_u64(value, MAX_FLOWS_MAX, &v) < 0 || v == 0)
			return fail(err, errlen, "max-flows: '%s' is not a number from 1 to %u",
				    value, MAX_FLOWS_MAX);
		cfg->max_flows = (uint32_t)v;
		return 0;
	}
	if (strcmp(key, "top") == 0) {
		if (parse_u64(value, MONITOR_TOP_MAX, &v) < 0)
			return fail(err, errlen, "top: '%s' is not a number from 0 to %d", value,
				    MONITOR_TOP_MAX);
		cfg->top = (unsigned int)v;
		return 0;
	}
	if (strcmp(key, "top-by") == 0) {
		if (strcmp(value, "bytes") != 0 && strcmp(value, "packets") != 0)
			return fail(err, errlen, "top-by: '%s' is not bytes or packets", value);
		cfg->top_by_packets = value[0] == 'p';
		return 0;
	}
	if (strcmp(key, "domain") == 0) {
		if (parse_u64(value, UINT32_MAX, &v) < 0)
			return fail(err, errlen, "domain: '%s' is not a number from 0 to %u", value,
				    UINT32_MAX);
		cfg->domain = (uint32_t)v;
		return 0;
	}
	return fail(err, errlen, "unknown keyword '%s'", key);
}

int
monitor_cfg_load(struct monitor_cfg *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], why[256];
	unsigned int lineno = 0;
	int ret = 0;

	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *key, *value, *end;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			ret = fail(err, errlen, "%s:%u: line longer than %zu characters", path,
				   lineno, sizeof(line) - 2);
			break;
		}
		if ((end = strchr(p, '#')) != NULL)
			*end = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0')
			continue;
		key = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
		while (isspace((unsigned char)*p))
			p++;
		value = p;
		if (*value == '\0') {
			ret = fail(err, errlen, "%s:%u: '%s' needs a value", path, lineno, key);
			break;
		}
		if (monitor_cfg_set(cfg, key, value, why, sizeof(why)) < 0) {
			ret = fail(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
	}
	fclose(f);
	return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* IPFIX encoding                                                                              */

static inline uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

static inline uint8_t *
put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

size_t
monitor_ipfix_header(uint8_t *buf, uint16_t len, uint32_t export_s, uint32_t seq, uint32_t domain)
{
	uint8_t *p = put16(buf, IPFIX_VERSION);

	p = put16(p, len);
	p = put32(p, export_s);
	p = put32(p, seq);
	put32(p, domain);
	return IPFIX_HDR;
}

/* The fields of both templates, in record order: IE id and length; the address IEs differ. */
static const uint16_t fields[][2] = {
	{ 8, 4 },   /* sourceIPv4Address (27, 16 for IPv6) */
	{ 12, 4 },  /* destinationIPv4Address (28, 16 for IPv6) */
	{ 7, 2 },   /* sourceTransportPort */
	{ 11, 2 },  /* destinationTransportPort */
	{ 4, 1 },   /* protocolIdentifier */
	{ 2, 8 },   /* packetDeltaCount */
	{ 1, 8 },   /* octetDeltaCount */
	{ 152, 8 }, /* flowStartMilliseconds */
	{ 153, 8 }, /* flowEndMilliseconds */
	{ 6, 2 },   /* tcpControlBits */
	{ 136, 1 }, /* flowEndReason */
};

size_t
monitor_ipfix_templates(uint8_t *buf)
{
	uint8_t *p = buf + SET_HDR;
	unsigned int t, i;

	for (t = 0; t < 2; t++) {
		p = put16(p, t == 0 ? MONITOR_TID_V4 : MONITOR_TID_V6);
		p = put16(p, RTE_DIM(fields));
		for (i = 0; i < RTE_DIM(fields); i++) {
			uint16_t id = fields[i][0], len = fields[i][1];

			if (t == 1 && i < 2) {
				id = i == 0 ? 27 : 28;
				len = 16;
			}
			p = put16(p, id);
			p = put16(p, len);
		}
	}
	put16(buf, 2); /* the template set id */
	put16(buf + 2, (uint16_t)(p - buf));
	return (size_t)(p - buf);
}

size_t
monitor_ipfix_record(uint8_t *buf, const struct monitor_record *r)
{
	size_t alen = r->key.family == SDNFV_PKT_L3_IPV6 ? 16 : 4;
	uint8_t *p = buf;

	memcpy(p, &r->key.src, alen);
	memcpy(p + alen, &r->key.dst, alen);
	p += 2 * alen;
	memcpy(p, &r->key.sport, 2);
	memcpy(p + 2, &r->key.dport, 2);
	p[4] = r->key.proto;
	p = put64(p + 5, r->packets);
	p = put64(p, r->bytes);
	p = put64(p, r->start_ms);
	p = put64(p, r->end_ms);
	p = put16(p, r->tcp_flags);
	*p++ = r->reason;
	return (size_t)(p - buf);
}

static void
ipfix_parse_record(const uint8_t *p, bool v6, struct monitor_record *r)
{
	size_t alen = v6 ? 16 : 4;

	memset(r, 0, sizeof(*r));
	r->key.family = v6 ? SDNFV_PKT_L3_IPV6 : SDNFV_PKT_L3_IPV4;
	memcpy(&r->key.src, p, alen);
	memcpy(&r->key.dst, p + alen, alen);
	p += 2 * alen;
	memcpy(&r->key.sport, p, 2);
	memcpy(&r->key.dport, p + 2, 2);
	r->key.proto = p[4];
	r->packets = get64(p + 5);
	r->bytes = get64(p + 13);
	r->start_ms = get64(p + 21);
	r->end_ms = get64(p + 29);
	r->tcp_flags = get16(p + 37);
	r->reason = p[39];
}

/* ------------------------------------------------------------------------------------------ */
/* Messages                                                                                    */

static void
msg_reset(struct msg *m, uint16_t tid)
{
	m->len = IPFIX_HDR + SET_HDR;
	m->records = 0;
	put16(m->data + IPFIX_HDR, tid);
}

static void
queue_push(struct monitor *mon, const struct msg *m)
{
	if (mon->q_count == MONITOR_MSGQ) {
		mon->c.records_lost += m->records;
		return;
	}
	memcpy(&mon->queue[(mon->q_head + mon->q_count) % MONITOR_MSGQ], m,
	       offsetof(struct msg, data) + m->len);
	mon->q_count++;
}

/* Close a message: fill its header and set length, number it, queue it. */
static void
msg_close(struct monitor *mon, unsigned int fam, uint64_t now_ms)
{
	struct msg *m = &mon->open[fam];

	if (m->records == 0)
		return;
	put16(m->data + IPFIX_HDR + 2, (uint16_t)(m->len - IPFIX_HDR));
	monitor_ipfix_header(m->data, m->len, (uint32_t)(now_ms / 1000), mon->seq, mon->cfg.domain);
	mon->seq += m->records;
	queue_push(mon, m);
	msg_reset(m, fam == 0 ? MONITOR_TID_V4 : MONITOR_TID_V6);
}

static void
queue_templates(struct monitor *mon, uint64_t now_ms)
{
	struct msg m;

	m.records = 0;
	m.len = (uint16_t)(IPFIX_HDR + monitor_ipfix_templates(m.data + IPFIX_HDR));
	monitor_ipfix_header(m.data, m.len, (uint32_t)(now_ms / 1000), mon->seq, mon->cfg.domain);
	queue_push(mon, &m);
	mon->template_ms = now_ms;
}

static void
emit_record(struct monitor *mon, const struct monitor_record *r, uint64_t now_ms)
{
	unsigned int fam = r->key.family == SDNFV_PKT_L3_IPV6;
	size_t size = fam ? MONITOR_REC_V6 : MONITOR_REC_V4;
	struct msg *m = &mon->open[fam];

	if (m->len + size > MONITOR_MSG_MAX)
		msg_close(mon, fam, now_ms);
	monitor_ipfix_record(m->data + m->len, r);
	m->len = (uint16_t)(m->len + size);
	m->records++;
	mon->c.exported++;
}

static void
csv_rows(struct monitor *mon, const uint8_t *msg, size_t len)
{
	size_t off = IPFIX_HDR;

	while (off + SET_HDR <= len) {
		uint16_t sid = get16(msg + off), slen = get16(msg + off + 2);
		bool v6 = sid == MONITOR_TID_V6;
		size_t size = v6 ? MONITOR_REC_V6 : MONITOR_REC_V4, r;

		if (slen < SET_HDR || off + slen > len)
			break;
		for (r = off + SET_HDR;
		     (sid == MONITOR_TID_V4 || sid == MONITOR_TID_V6) && r + size <= off + slen;
		     r += size) {
			struct monitor_record rec;
			char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
			int af = v6 ? AF_INET6 : AF_INET;

			ipfix_parse_record(msg + r, v6, &rec);
			inet_ntop(af, &rec.key.src, src, sizeof(src));
			inet_ntop(af, &rec.key.dst, dst, sizeof(dst));
			if (fprintf(mon->csv,
				    "%" PRIu64 ",%" PRIu64 ",%s,%s,%u,%u,%u,%" PRIu64 ",%" PRIu64
				    ",%u,%u\n",
				    rec.start_ms, rec.end_ms, src, dst,
				    rte_be_to_cpu_16(rec.key.sport),
				    rte_be_to_cpu_16(rec.key.dport), rec.key.proto, rec.packets,
				    rec.bytes, rec.tcp_flags, rec.reason) < 0)
				mon->c.file_errors++;
		}
		off += slen;
	}
}

/* Send every queued message to every sink. */
static void
drain(struct monitor *mon)
{
	while (mon->q_count > 0) {
		const struct msg *m = &mon->queue[mon->q_head];

		if (mon->tap != NULL)
			mon->tap(mon->tap_arg, m->data, m->len);
		if (mon->sock >= 0 && sendto(mon->sock, m->data, m->len, MSG_DONTWAIT,
					     (const struct sockaddr *)&mon->dst, mon->dst_len) < 0)
			mon->c.send_errors++;
		if (mon->records != NULL && fwrite(m->data, m->len, 1, mon->records) != 1)
			mon->c.file_errors++;
		if (mon->csv != NULL && m->records > 0)
			csv_rows(mon, m->data, m->len);
		mon->c.messages++;
		if (m->records == 0)
			mon->c.templates++;
		mon->q_head = (mon->q_head + 1) % MONITOR_MSGQ;
		mon->q_count--;
	}
	if (mon->records != NULL && fflush(mon->records) != 0)
		mon->c.file_errors++;
	if (mon->csv != NULL && fflush(mon->csv) != 0)
		mon->c.file_errors++;
}

/* ------------------------------------------------------------------------------------------ */
/* The flow table                                                                              */

/* Larger first: bytes (or packets), then the other, then the key, so the order is total. */
static int
rec_cmp(const struct monitor *mon, const struct monitor_record *a, const struct monitor_record *b)
{
	uint64_t a1 = mon->cfg.top_by_packets ? a->packets : a->bytes;
	uint64_t b1 = mon->cfg.top_by_packets ? b->packets : b->bytes;
	uint64_t a2 = mon->cfg.top_by_packets ? a->bytes : a->packets;
	uint64_t b2 = mon->cfg.top_by_packets ? b->bytes : b->packets;

	if (a1 != b1)
		return a1 > b1 ? -1 : 1;
	if (a2 != b2)
		return a2 > b2 ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

/* Insert r into the sorted list top[0, *n) of at most max entries. */
static void
top_insert(const struct monitor *mon, struct monitor_record *top, unsigned int *n, unsigned int max,
	   const struct monitor_record *r)
{
	unsigned int i = *n;

	if (max == 0 || (i == max && rec_cmp(mon, r, &top[max - 1]) >= 0))
		return;
	if (i == max)
		i--;
	else
		(*n)++;
	while (i > 0 && rec_cmp(mon, r, &top[i - 1]) < 0) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = *r;
}

static void
flow_totals(const struct flow *f, struct monitor_record *r)
{
	r->key = f->key;
	r->packets = f->packets;
	r->bytes = f->bytes;
	r->start_ms = f->first_ms;
	r->end_ms = f->last_ms;
	r->tcp_flags = f->tcp_flags;
	r->reason = 0;
}

static void
flow_record(struct monitor *mon, struct flow *f, uint8_t reason, uint64_t now_ms)
{
	struct monitor_record r = {
		.key = f->key,
		.packets = f->packets - f->exp_packets,
		.bytes = f->bytes - f->exp_bytes,
		.start_ms = f->first_ms,
		.end_ms = f->last_ms,
		.tcp_flags = f->tcp_flags,
		.reason = reason,
	};

	emit_record(mon, &r, now_ms);
	f->exp_packets = f->packets;
	f->exp_bytes = f->bytes;
	f->tcp_flags = 0;
	f->record_ms = now_ms;
}

static void
slot_remove(struct monitor *mon, uint32_t id)
{
	uint32_t i = mon->flows[id].hash & mon->mask, j, home;

	while ((uint32_t)mon->slots[i] != id + 1)
		i = (i + 1) & mon->mask;
	/* Backward-shift deletion: move up every entry that the hole would cut off from its home. */
	for (j = i;;) {
		j = (j + 1) & mon->mask;
		if (mon->slots[j] == 0)
			break;
		home = (uint32_t)(mon->slots[j] >> 32) & mon->mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		mon->slots[i] = mon->slots[j];
		i = j;
	}
	mon->slots[i] = 0;
}

static void
flow_end(struct monitor *mon, uint32_t id, uint8_t reason, uint64_t now_ms)
{
	struct flow *f = &mon->flows[id];
	struct monitor_record tot;

	flow_totals(f, &tot);
	top_insert(mon, mon->top_ended, &mon->n_top_ended, mon->cfg.top, &tot);
	if (f->packets > f->exp_packets)
		flow_record(mon, f, reason, now_ms);
	switch (reason) {
	case MONITOR_END_IDLE:
		mon->c.ended_idle++;
		break;
	case MONITOR_END_FLOW:
		mon->c.ended_flow++;
		break;
	default:
		mon->c.ended_forced++;
		break;
	}
	if (id == mon->big_id) {
		mon->big_id = UINT32_MAX;
		mon->big_val = 0;
	}
	slot_remove(mon, id);
	f->used = 0;
	mon->free_ids[mon->n_free++] = id;
}

/* Check one entry's timeouts. Returns true when it ended. */
static bool
flow_expire(struct monitor *mon, uint32_t id, uint64_t now_ms)
{
	struct flow *f = &mon->flows[id];

	if (!f->used)
		return false;
	if (now_ms >= f->last_ms + mon->cfg.idle_timeout_ms) {
		flow_end(mon, id, MONITOR_END_IDLE, now_ms);
		return true;
	}
	if (now_ms >= f->record_ms + mon->cfg.active_timeout_ms) {
		if (f->packets > f->exp_packets) {
			flow_record(mon, f, MONITOR_END_ACTIVE, now_ms);
			mon->c.ended_active++;
		} else {
			f->record_ms = now_ms;
		}
	}
	return false;
}

/* What the table needs of a packet. */
struct pkt_ref {
	struct sdnfv_pkt_key key;
	uint32_t hash;
	uint32_t l3_bytes;
	uint16_t tcp_flags;
};

/* Count a packet; for an IP packet that parsed, fill r and return 0. */
static inline int
classify(struct monitor *mon, const uint8_t *d, const struct sdnfv_pkt_info *info, int ret,
	 uint32_t frame_len, struct pkt_ref *r)
{
	mon->c.rx++;
	mon->c.rx_bytes += frame_len;
	if (ret < 0) {
		mon->c.malformed++;
		return -EBADMSG;
	}
	if (info->l3 != SDNFV_PKT_L3_IPV4 && info->l3 != SDNFV_PKT_L3_IPV6) {
		mon->c.non_ip++;
		return -EPROTONOSUPPORT;
	}
	sdnfv_pkt_key_build(d, info, &r->key);
	r->tcp_flags = 0;
	if (r->key.proto == IPPROTO_TCP && (info->flags & SDNFV_PKT_F_L4))
		r->tcp_flags = (uint16_t)(d[info->l4_off + 13] | (d[info->l4_off + 12] & 1) << 8);
	r->l3_bytes = info->l3_end - info->l3_off;
	r->hash = sdnfv_pkt_key_hash(&r->key, 0);
	return 0;
}

/* Find or create the packet's flow and count the packet in it. */
static inline int
account(struct monitor *mon, const struct pkt_ref *r, uint64_t now_ms)
{
	struct flow *f;
	uint32_t i, id;
	uint64_t s;

	for (i = r->hash & mon->mask; (s = mon->slots[i]) != 0; i = (i + 1) & mon->mask) {
		if ((uint32_t)(s >> 32) == r->hash &&
		    memcmp(&mon->flows[(uint32_t)s - 1].key, &r->key, sizeof(r->key)) == 0)
			break;
	}
	if (s != 0) {
		id = (uint32_t)s - 1;
		f = &mon->flows[id];
	} else {
		if (mon->n_free == 0) {
			mon->c.table_full++;
			return -ENOSPC;
		}
		id = mon->free_ids[--mon->n_free];
		mon->slots[i] = (uint64_t)r->hash << 32 | (id + 1);
		f = &mon->flows[id];
		memset(f, 0, sizeof(*f));
		f->key = r->key;
		f->hash = r->hash;
		f->used = 1;
		f->first_ms = f->record_ms = now_ms;
		mon->c.flows++;
	}
	mon->c.tracked++;
	f->packets++;
	f->bytes += r->l3_bytes;
	if (now_ms > f->last_ms)
		f->last_ms = now_ms;
	f->tcp_flags |= r->tcp_flags;
	if ((mon->cfg.top_by_packets ? f->packets : f->bytes) > mon->big_val) {
		mon->big_val = mon->cfg.top_by_packets ? f->packets : f->bytes;
		mon->big_id = id;
	}
	if (r->tcp_flags & (TCP_FIN | TCP_RST))
		flow_end(mon, id, MONITOR_END_FLOW, now_ms);
	return 0;
}

int
monitor_packet_parsed(struct monitor *mon, const void *data, const struct sdnfv_pkt_info *info,
		      int ret, uint32_t frame_len, uint64_t now_ms)
{
	struct pkt_ref r;

	ret = classify(mon, data, info, ret, frame_len, &r);
	return ret < 0 ? ret : account(mon, &r, now_ms);
}

void
monitor_burst(struct monitor *mon, const uint8_t *const *data, const struct sdnfv_pkt_info *info,
	      const int *ret, const uint32_t *frame_len, unsigned int n, uint64_t now_ms)
{
	struct pkt_ref refs[SDNFV_NF_BURST_MAX];
	bool ok[SDNFV_NF_BURST_MAX];
	unsigned int i;

	/* Two passes: the keys and hashes of the whole burst, then the table. Measured with
	 * bench_monitor (1M flows, where the table misses the caches): per packet in one pass, about
	 * 440 cycles; in two passes, about 150, as the out-of-order core overlaps the table misses of
	 * several packets. Explicit prefetches of the index slots and entries on top measured no
	 * gain, so there are none. */
	for (i = 0; i < n; i++)
		ok[i] = classify(mon, data[i], &info[i], ret[i], frame_len[i], &refs[i]) == 0;
	for (i = 0; i < n; i++)
		if (ok[i])
			account(mon, &refs[i], now_ms);
}

int
monitor_packet(struct monitor *mon, const void *data, uint32_t len, uint64_t now_ms)
{
	struct sdnfv_pkt_info info;
	int ret = sdnfv_pkt_parse(data, len, &info);

	return monitor_packet_parsed(mon, data, &info, ret, len, now_ms);
}

void
monitor_flush(struct monitor *mon, uint64_t now_ms)
{
	uint64_t elapsed = now_ms > mon->sweep_ms ? now_ms - mon->sweep_ms : 0;
	uint64_t n = mon->cfg.max_flows;

	if (elapsed < SWEEP_MS)
		n = (n * elapsed + SWEEP_MS - 1) / SWEEP_MS;
	if (n > 0)
		mon->sweep_ms = now_ms;
	while (n-- > 0) {
		flow_expire(mon, mon->sweep_pos, now_ms);
		if (++mon->sweep_pos == mon->cfg.max_flows)
			mon->sweep_pos = 0;
	}
	if (now_ms >= mon->template_ms + mon->cfg.template_refresh_ms)
		queue_templates(mon, now_ms);
	msg_close(mon, 0, now_ms);
	msg_close(mon, 1, now_ms);
	drain(mon);
}

uint32_t
monitor_flows_live(const struct monitor *mon)
{
	return mon->cfg.max_flows - mon->n_free;
}

unsigned int
monitor_top(const struct monitor *mon, struct monitor_record *out, unsigned int n)
{
	unsigned int k = 0, i;

	for (i = 0; i < mon->n_top_ended; i++)
		top_insert(mon, out, &k, n, &mon->top_ended[i]);
	for (i = 0; i < mon->cfg.max_flows; i++) {
		struct monitor_record r;

		const struct flow *f = &mon->flows[i];

		if (!f->used)
			continue;
		/* Most flows are smaller than the list's last: skip them before copying. */
		if (k == n && n > 0 &&
		    (mon->cfg.top_by_packets ? f->packets : f->bytes) <
			    (mon->cfg.top_by_packets ? out[n - 1].packets : out[n - 1].bytes))
			continue;
		flow_totals(f, &r);
		top_insert(mon, out, &k, n, &r);
	}
	return k;
}

void
monitor_flow_str(const struct sdnfv_pkt_key *key, char *buf, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	bool v6 = key->family == SDNFV_PKT_L3_IPV6;
	int af = v6 ? AF_INET6 : AF_INET;

	inet_ntop(af, &key->src, src, sizeof(src));
	inet_ntop(af, &key->dst, dst, sizeof(dst));
	snprintf(buf, len, v6 ? "[%s]:%u>[%s]:%u/%u" : "%s:%u>%s:%u/%u", src,
		 rte_be_to_cpu_16(key->sport), dst, rte_be_to_cpu_16(key->dport), key->proto);
}

bool
monitor_top1(const struct monitor *mon, struct monitor_record *r)
{
	struct monitor_record big;

	if (mon->cfg.top == 0)
		return false;
	if (mon->big_id == UINT32_MAX) {
		if (mon->n_top_ended > 0)
			*r = mon->top_ended[0];
		return mon->n_top_ended > 0;
	}
	flow_totals(&mon->flows[mon->big_id], &big);
	*r = mon->n_top_ended > 0 && rec_cmp(mon, &mon->top_ended[0], &big) < 0 ? mon->top_ended[0]
										: big;
	return true;
}

int
monitor_report_text(struct monitor *mon, uint64_t now_ms, char *buf, size_t len)
{
	uint64_t ms = now_ms > mon->rep_ms ? now_ms - mon->rep_ms : 0;
	uint64_t pps = 0, bps = 0;
	struct monitor_record top;
	char flow[128];
	int n;

	if (ms > 0) {
		pps = (mon->c.rx - mon->rep_rx) * 1000 / ms;
		bps = (mon->c.rx_bytes - mon->rep_bytes) * 8000 / ms;
	}
	mon->rep_ms = now_ms;
	mon->rep_rx = mon->c.rx;
	mon->rep_bytes = mon->c.rx_bytes;
	if (len > 128)
		len = 128; /* the manager shows reports of at most 127 bytes as text */
	n = snprintf(buf, len, "pps %" PRIu64 " bps %" PRIu64 " flows %u", pps, bps,
		     monitor_flows_live(mon));
	if (monitor_top1(mon, &top) && n > 0 && (size_t)n < len) {
		int m;

		monitor_flow_str(&top.key, flow, sizeof(flow));
		m = snprintf(buf + n, len - (size_t)n, " top %s", flow);
		if (m > 0 && (size_t)(n + m) < len)
			n += m;
		else
			buf[n] = '\0';
	}
	return n;
}

const struct monitor_counters *
monitor_counters(const struct monitor *mon)
{
	return &mon->c;
}

void
monitor_print_top(const struct monitor *mon, FILE *out)
{
	struct monitor_record top[MONITOR_TOP_MAX];
	unsigned int n = monitor_top(mon, top, mon->cfg.top), i;

	for (i = 0; i < n; i++) {
		char flow[128];

		monitor_flow_str(&top[i].key, flow, sizeof(flow));
		fprintf(out,
			"monitor: top %u %s packets %" PRIu64 " bytes %" PRIu64
			" duration_ms %" PRIu64 "\n",
			i + 1, flow, top[i].packets, top[i].bytes, top[i].end_ms - top[i].start_ms);
	}
	fflush(out);
}

void
monitor_print_summary(const struct monitor *mon, FILE *out)
{
	const struct monitor_counters *c = &mon->c;

	fprintf(out,
		"monitor: summary rx %" PRIu64 " flows %" PRIu64 " exported %" PRIu64
		" malformed %" PRIu64 " non_ip %" PRIu64 " table_full %" PRIu64 " tracked %" PRIu64
		" ended_idle %" PRIu64 " ended_active %" PRIu64 " ended_flow %" PRIu64
		" ended_forced %" PRIu64 " messages %" PRIu64 " templates %" PRIu64
		" records_lost %" PRIu64 " send_errors %" PRIu64 " file_errors %" PRIu64 "\n",
		c->rx, c->flows, c->exported, c->malformed, c->non_ip, c->table_full, c->tracked,
		c->ended_idle, c->ended_active, c->ended_flow, c->ended_forced, c->messages,
		c->templates, c->records_lost, c->send_errors, c->file_errors);
	monitor_print_top(mon, out);
}

void
monitor_set_tap(struct monitor *mon, void (*tap)(void *arg, const uint8_t *msg, size_t len),
		void *arg)
{
	mon->tap = tap;
	mon->tap_arg = arg;
}

/* ------------------------------------------------------------------------------------------ */
/* Life cycle                                                                                  */

static int
open_collector(struct monitor *mon, char *err, size_t errlen)
{
	char host[MONITOR_PATH_MAX], port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	uint16_t p;
	int ret;

	if (split_collector(mon->cfg.collector, host, sizeof(host), &p) < 0)
		return fail(err, errlen, "collector: bad address '%s'", mon->cfg.collector);
	snprintf(port, sizeof(port), "%u", p);
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret != 0)
		return fail(err, errlen, "collector %s: %s", host, gai_strerror(ret));
	mon->sock = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (mon->sock < 0) {
		ret = -errno;
		snprintf(err, errlen, "collector socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return ret;
	}
	memcpy(&mon->dst, ai->ai_addr, ai->ai_addrlen);
	mon->dst_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

struct monitor *
monitor_create(const struct monitor_cfg *cfg, uint64_t now_ms, char *err, size_t errlen)
{
	struct monitor *mon = calloc(1, sizeof(*mon));
	uint32_t cap = 1, i;

	if (mon == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	mon->cfg = *cfg;
	mon->sock = -1;
	while (cap < 2 * cfg->max_flows)
		cap <<= 1;
	mon->mask = cap - 1;
	mon->flows = calloc(cfg->max_flows, sizeof(*mon->flows));
	mon->free_ids = malloc(cfg->max_flows * sizeof(*mon->free_ids));
	mon->slots = calloc(cap, sizeof(*mon->slots));
	mon->queue = malloc(MONITOR_MSGQ * sizeof(*mon->queue));
	if (mon->flows == NULL || mon->free_ids == NULL || mon->slots == NULL ||
	    mon->queue == NULL) {
		snprintf(err, errlen, "out of memory for %u flows", cfg->max_flows);
		goto fail;
	}
	/* Ids are handed out from the top of the stack: lowest first. */
	for (i = 0; i < cfg->max_flows; i++)
		mon->free_ids[i] = cfg->max_flows - 1 - i;
	mon->n_free = cfg->max_flows;
	if (cfg->collector[0] != '\0' && open_collector(mon, err, errlen) < 0)
		goto fail;
	if (cfg->records[0] != '\0' && (mon->records = fopen(cfg->records, "wb")) == NULL) {
		snprintf(err, errlen, "records %s: %s", cfg->records, strerror(errno));
		goto fail;
	}
	if (cfg->csv[0] != '\0') {
		mon->csv = fopen(cfg->csv, "w");
		if (mon->csv == NULL) {
			snprintf(err, errlen, "csv %s: %s", cfg->csv, strerror(errno));
			goto fail;
		}
		fprintf(mon->csv, "start_ms,end_ms,src,dst,sport,dport,proto,packets,bytes,"
				  "tcp_flags,end_reason\n");
	}
	msg_reset(&mon->open[0], MONITOR_TID_V4);
	msg_reset(&mon->open[1], MONITOR_TID_V6);
	mon->sweep_ms = mon->rep_ms = now_ms;
	mon->big_id = UINT32_MAX;
	queue_templates(mon, now_ms);
	return mon;
fail:
	mon->finished = true;
	monitor_destroy(mon, now_ms);
	return NULL;
}

void
monitor_finish(struct monitor *mon, uint64_t now_ms)
{
	uint32_t i;

	if (mon->finished)
		return;
	for (i = 0; i < mon->cfg.max_flows; i++)
		if (mon->flows[i].used)
			flow_end(mon, i, MONITOR_END_FORCED, now_ms);
	msg_close(mon, 0, now_ms);
	msg_close(mon, 1, now_ms);
	drain(mon);
	mon->finished = true;
}

void
monitor_destroy(struct monitor *mon, uint64_t now_ms)
{
	if (mon == NULL)
		return;
	if (mon->flows != NULL && mon->queue != NULL)
		monitor_finish(mon, now_ms);
	if (mon->sock >= 0)
		close(mon->sock);
	if (mon->records != NULL)
		fclose(mon->records);
	if (mon->csv != NULL)
		fclose(mon->csv);
	free(mon->flows);
	free(mon->free_ids);
	free(mon->slots);
	free(mon->queue);
	free(mon);
}

/* ------------------------------------------------------------------------------------------ */
/* The NF's handlers                                                                           */

uint64_t
monitor_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct monitor_nf *ctx = arg;
	const uint8_t *data[SDNFV_NF_BURST_MAX];
	struct sdnfv_pkt_info info[SDNFV_NF_BURST_MAX];
	int ret[SDNFV_NF_BURST_MAX];
	uint32_t len[SDNFV_NF_BURST_MAX];
	unsigned int i;

	(void)nf;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		ret[i] = sdnfv_pkt_parse_mbuf(m, &info[i]);
		data[i] = rte_pktmbuf_mtod(m, const uint8_t *);
		len[i] = rte_pktmbuf_pkt_len(m);
		sdnfv_nf_next(m);
	}
	monitor_burst(ctx->mon, data, info, ret, len, n, ctx->clock_ms());
}

static void
nf_idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg)
{
	struct monitor_nf *ctx = arg;
	uint64_t now = ctx->clock_ms();

	(void)now_ns;
	monitor_flush(ctx->mon, now);
	if (now >= ctx->last_report_ms + ctx->report_ms) {
		char text[128];
		int len = monitor_report_text(ctx->mon, now, text, sizeof(text));

		ctx->last_report_ms = now;
		if (nf != NULL && len > 0)
			sdnfv_nf_report(nf, text, (size_t)len);
	}
	if (ctx->dump_top) {
		ctx->dump_top = false;
		printf("monitor: rx %" PRIu64 " flows_live %u\n", monitor_counters(ctx->mon)->rx,
		       monitor_flows_live(ctx->mon));
		monitor_print_top(ctx->mon, stdout);
	}
}

static void
nf_teardown(struct sdnfv_nf *nf, void *arg)
{
	struct monitor_nf *ctx = arg;

	(void)nf;
	monitor_finish(ctx->mon, ctx->clock_ms());
}

const struct sdnfv_nf_ops monitor_nf_ops = {
	.sz = sizeof(monitor_nf_ops),
	.handle = nf_handle,
	.idle = nf_idle,
	.teardown = nf_teardown,
};

int
monitor_nf_init(struct monitor_nf *ctx, const struct monitor_cfg *cfg, char *err, size_t errlen)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->clock_ms = monitor_clock_ms;
	ctx->report_ms = 1000;
	ctx->last_report_ms = ctx->clock_ms();
	ctx->mon = monitor_create(cfg, ctx->last_report_ms, err, errlen);
	return ctx->mon != NULL ? 0 : -EINVAL;
}
