/* SPDX-License-Identifier: BSD-3-Clause */
/* firewall: rte_acl classification, connection tracking, counters, NF handlers. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <rte_acl.h>
#include <rte_atomic.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <sdnfv/sdnfv.h>

#include "firewall.h"

#define BURST_MAX   64
#define CONN_WINDOW 16 /* slots probed from a key's home slot */

enum { F4_PROTO, F4_L4, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_NUM };
enum { F6_PROTO, F6_L4, F6_SRC0, F6_DST0 = F6_SRC0 + 4, F6_SPORT = F6_DST0 + 4, F6_DPORT, F6_NUM };

RTE_ACL_RULE_DEF(acl_rule4, F4_NUM);
RTE_ACL_RULE_DEF(acl_rule6, F6_NUM);

struct fw_conn {
	struct sdnfv_pkt_key key; /* symmetric */
	uint64_t expire_ns;
	int32_t rule;     /* the rule that allowed its first packet */
	uint8_t state;    /* enum fw_tcp_state */
	uint8_t orig_dir; /* sdnfv_pkt_key_symmetric() of the first packet */
	uint8_t fin_dir;  /* TCP: direction of the first FIN (0 orig, 1 reply) */
	uint8_t replied;  /* a packet went the reply way */
};

struct firewall {
	struct fw_rules rules;
	struct fw_opts opts;
	struct rte_acl_ctx *acl4, *acl6;
	bool built; /* acl4/acl6 are built (NULL ones: no rule of that family) */
	uint64_t *rule_pkts, *rule_bytes;
	struct fw_counters c;
	/* connection table */
	uint32_t *sig; /* 0: free; else the key's hash with bit 0 set */
	struct fw_conn *conn;
	uint32_t mask, sweep;
	uint64_t to_ns[FW_TCP__COUNT], udp_ns, udp_stream_ns, icmp_ns, other_ns;
	double ns_per_tsc;
};

/* ---------------------------------------------------------------------------------------- */
/* ACL build                                                                                  */

static void
acl_defs4(struct rte_acl_config *cfg)
{
	static const struct rte_acl_field_def d[F4_NUM] = {
		{ RTE_ACL_FIELD_TYPE_BITMASK, 1, F4_PROTO, 0, offsetof(struct fw_acl_key4, proto) },
		{ RTE_ACL_FIELD_TYPE_BITMASK, 4, F4_L4, 1, offsetof(struct fw_acl_key4, l4) },
		{ RTE_ACL_FIELD_TYPE_MASK, 4, F4_SRC, 2, offsetof(struct fw_acl_key4, src) },
		{ RTE_ACL_FIELD_TYPE_MASK, 4, F4_DST, 3, offsetof(struct fw_acl_key4, dst) },
		{ RTE_ACL_FIELD_TYPE_RANGE, 2, F4_SPORT, 4, offsetof(struct fw_acl_key4, sport) },
		{ RTE_ACL_FIELD_TYPE_RANGE, 2, F4_DPORT, 4, offsetof(struct fw_acl_key4, dport) },
	};

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = 1;
	cfg->num_fields = F4_NUM;
	memcpy(cfg->defs, d, sizeof(d));
}

static void
acl_defs6(struct rte_acl_config *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->num_categories = 1;
	cfg->num_fields = F6_NUM;
	cfg->defs[0] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 1, F6_PROTO, 0,
						   offsetof(struct fw_acl_key6, proto) };
	cfg->defs[1] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_BITMASK, 4, F6_L4, 1,
						   offsetof(struct fw_acl_key6, l4) };
	for (i = 0; i < 4; i++) {
		cfg->defs[F6_SRC0 + i] = (struct rte_acl_field_def){
			RTE_ACL_FIELD_TYPE_MASK, 4, (uint8_t)(F6_SRC0 + i), (uint8_t)(2 + i),
			(uint32_t)(offsetof(struct fw_acl_key6, src) + 4 * i)
		};
		cfg->defs[F6_DST0 + i] = (struct rte_acl_field_def){
			RTE_ACL_FIELD_TYPE_MASK, 4, (uint8_t)(F6_DST0 + i), (uint8_t)(6 + i),
			(uint32_t)(offsetof(struct fw_acl_key6, dst) + 4 * i)
		};
	}
	cfg->defs[F6_SPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F6_SPORT, 10,
							  offsetof(struct fw_acl_key6, sport) };
	cfg->defs[F6_DPORT] = (struct rte_acl_field_def){ RTE_ACL_FIELD_TYPE_RANGE, 2, F6_DPORT, 10,
							  offsetof(struct fw_acl_key6, dport) };
}

static uint32_t
word_of(const uint8_t *a, unsigned int i)
{
	return (uint32_t)a[4 * i] << 24 | (uint32_t)a[4 * i + 1] << 16 |
	       (uint32_t)a[4 * i + 2] << 8 | a[4 * i + 3];
}

static uint32_t
prefix_part(unsigned int len, unsigned int i)
{
	int l = (int)len - 32 * (int)i;

	return l <= 0 ? 0 : l >= 32 ? 32 : (uint32_t)l;
}

/* The common fields of a rule (everything but addresses); field layout from index 0. */
static void
acl_fill_common(struct rte_acl_field *f, const struct fw_rule *r, unsigned int sport_field)
{
	f[0].value.u8 = r->proto < 0 ? 0 : (uint8_t)r->proto;
	f[0].mask_range.u8 = r->proto < 0 ? 0 : 0xff;
	f[1].value.u32 = r->has_ports ? 1 : 0;
	f[1].mask_range.u32 = r->has_ports ? 1 : 0;
	f[sport_field].value.u16 = r->sport_lo;
	f[sport_field].mask_range.u16 = r->sport_hi;
	f[sport_field + 1].value.u16 = r->dport_lo;
	f[sport_field + 1].mask_range.u16 = r->dport_hi;
}

static struct rte_acl_ctx *
acl_build(struct firewall *fw, unsigned int family, char *err, size_t errlen, int *ret)
{
	static uint32_t seq; /* rte_acl_create() returns an existing context of the same name */
	struct rte_acl_param prm = { 0 };
	struct rte_acl_config cfg;
	struct rte_acl_ctx *ctx;
	char name[RTE_ACL_NAMESIZE];
	unsigned int i, n = 0;

	for (i = 0; i < fw->rules.n; i++)
		n += fw->rules.rule[i].family == 0 || fw->rules.rule[i].family == family;
	*ret = 0;
	if (n == 0)
		return NULL; /* no rule of this family: the default policy decides */
	snprintf(name, sizeof(name), "fw%u_%u", family,
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	prm.name = name;
	prm.socket_id = fw->opts.socket_id;
	prm.rule_size = family == 4 ? RTE_ACL_RULE_SZ(F4_NUM) : RTE_ACL_RULE_SZ(F6_NUM);
	prm.max_rule_num = n;
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		*ret = -rte_errno;
		snprintf(err, errlen, "%s: cannot create the IPv%u ACL context: %s", fw->opts.name,
			 family, rte_strerror(rte_errno));
		return NULL;
	}
	for (i = 0; i < fw->rules.n; i++) {
		const struct fw_rule *r = &fw->rules.rule[i];
		unsigned int k;

		if (r->family != 0 && r->family != family)
			continue;
		if (family == 4) {
			struct acl_rule4 a = { 0 };

			acl_fill_common(a.field, r, F4_SPORT);
			a.field[F4_SRC].value.u32 = word_of(r->src, 0);
			a.field[F4_SRC].mask_range.u32 = r->src_len;
			a.field[F4_DST].value.u32 = word_of(r->dst, 0);
			a.field[F4_DST].mask_range.u32 = r->dst_len;
			/* The rules are sorted: the first gets the highest priority. */
			a.data.priority = RTE_ACL_MAX_PRIORITY - i;
			a.data.category_mask = 1;
			a.data.userdata = i + 1;
			*ret = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&a, 1);
		} else {
			struct acl_rule6 a = { 0 };

			acl_fill_common(a.field, r, F6_SPORT);
			for (k = 0; k < 4; k++) {
				a.field[F6_SRC0 + k].value.u32 = word_of(r->src, k);
				a.field[F6_SRC0 + k].mask_range.u32 = prefix_part(r->src_len, k);
				a.field[F6_DST0 + k].value.u32 = word_of(r->dst, k);
				a.field[F6_DST0 + k].mask_range.u32 = prefix_part(r->dst_len, k);
			}
			a.data.priority = RTE_ACL_MAX_PRIORITY - i;
			a.data.category_mask = 1;
			a.data.userdata = i + 1;
			*ret = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&a, 1);
		}
		if (*ret < 0) {
			snprintf(err, errlen, "line %u: rte_acl refused the rule: %s", r->line,
				 strerror(-*ret));
			rte_acl_free(ctx);
			return NULL;
		}
	}
	if (family == 4)
		acl_defs4(&cfg);
	else
		acl_defs6(&cfg);
	*ret = rte_acl_build(ctx, &cfg);
	if (*ret < 0) {
		snprintf(err, errlen, "%s: cannot build the IPv%u ACL (%u rules): %s",
			 fw->opts.name, family, n, strerror(-*ret));
		rte_acl_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ---------------------------------------------------------------------------------------- */
/* Create / free                                                                              */

static uint64_t
secs(uint32_t given, uint32_t dflt)
{
	return (uint64_t)(given ? given : dflt) * 1000000000ull;
}

int
firewall_create(const struct fw_rules *rules, const struct fw_opts *opts, struct firewall **out,
		char *err, size_t errlen)
{
	struct firewall *fw;
	const struct fw_timeouts *t;
	int ret;

	*out = NULL;
	if (opts == NULL || opts->sz < sizeof(*opts)) {
		snprintf(err, errlen, "firewall: bad options");
		return -EINVAL;
	}
	fw = calloc(1, sizeof(*fw));
	if (fw == NULL)
		return -ENOMEM;
	fw->opts = *opts;
	if (fw->opts.name == NULL)
		fw->opts.name = "firewall";
	fw->rules = *rules;
	fw->rules.rule = malloc((rules->n ? rules->n : 1) * sizeof(*rules->rule));
	fw->rule_pkts = calloc(rules->n + 1, sizeof(uint64_t));
	fw->rule_bytes = calloc(rules->n + 1, sizeof(uint64_t));
	if (fw->rules.rule == NULL || fw->rule_pkts == NULL || fw->rule_bytes == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	if (rules->n > 0)
		memcpy(fw->rules.rule, rules->rule, rules->n * sizeof(*rules->rule));
	if (!fw->opts.defer_acl) {
		ret = firewall_build(fw, err, errlen);
		if (ret < 0)
			goto fail;
	}
	if (fw->opts.stateful) {
		uint32_t size = 64;

		while (size < (fw->opts.conn_max ? fw->opts.conn_max : 65536) && size < (1u << 30))
			size <<= 1;
		fw->mask = size - 1;
		fw->sig = calloc(size, sizeof(*fw->sig));
		fw->conn = calloc(size, sizeof(*fw->conn));
		if (fw->sig == NULL || fw->conn == NULL) {
			ret = -ENOMEM;
			snprintf(err, errlen, "%s: no memory for %u connections", fw->opts.name,
				 size);
			goto fail;
		}
	}
	t = &fw->opts.to;
	fw->to_ns[FW_TCP_SYN_SENT] = secs(t->tcp_syn_sent, 120);
	fw->to_ns[FW_TCP_SYN_RECV] = secs(t->tcp_syn_recv, 60);
	fw->to_ns[FW_TCP_ESTABLISHED] = secs(t->tcp_established, 432000);
	fw->to_ns[FW_TCP_FIN_WAIT] = secs(t->tcp_fin_wait, 120);
	fw->to_ns[FW_TCP_CLOSE_WAIT] = secs(t->tcp_close_wait, 60);
	fw->to_ns[FW_TCP_LAST_ACK] = secs(t->tcp_last_ack, 30);
	fw->to_ns[FW_TCP_TIME_WAIT] = secs(t->tcp_time_wait, 120);
	fw->to_ns[FW_TCP_CLOSED] = secs(t->tcp_close, 10);
	fw->udp_ns = secs(t->udp, 30);
	fw->udp_stream_ns = secs(t->udp_stream, 120);
	fw->icmp_ns = secs(t->icmp, 30);
	fw->other_ns = secs(t->other, 600);
	fw->ns_per_tsc = rte_get_tsc_hz() ? 1e9 / (double)rte_get_tsc_hz() : 1.0;
	*out = fw;
	return 0;
fail:
	firewall_free(fw);
	return ret;
}

int
firewall_build(struct firewall *fw, char *err, size_t errlen)
{
	int ret;

	if (fw->built)
		return 0;
	fw->acl4 = acl_build(fw, 4, err, errlen, &ret);
	if (ret < 0)
		return ret;
	fw->acl6 = acl_build(fw, 6, err, errlen, &ret);
	if (ret < 0) {
		rte_acl_free(fw->acl4);
		fw->acl4 = NULL;
		return ret;
	}
	fw->built = true;
	return 0;
}

void
firewall_free(struct firewall *fw)
{
	if (fw == NULL)
		return;
	rte_acl_free(fw->acl4);
	rte_acl_free(fw->acl6);
	free(fw->rules.rule);
	free(fw->rule_pkts);
	free(fw->rule_bytes);
	free(fw->sig);
	free(fw->conn);
	free(fw);
}

/* ---------------------------------------------------------------------------------------- */
/* Connection table                                                                           */

static bool
conn_expired(const struct fw_conn *c, uint64_t now)
{
	return c->expire_ns <= now;
}

static void
conn_remove(struct firewall *fw, uint32_t slot)
{
	fw->sig[slot] = 0;
	fw->c.conn_live--;
}

static struct fw_conn *
conn_lookup(struct firewall *fw, const struct sdnfv_pkt_key *k, uint32_t h, uint64_t now)
{
	uint32_t sig = h | 1, i, s;

	for (i = 0; i < CONN_WINDOW; i++) {
		s = (h + i) & fw->mask;
		if (fw->sig[s] == sig && memcmp(&fw->conn[s].key, k, sizeof(*k)) == 0) {
			if (conn_expired(&fw->conn[s], now)) {
				conn_remove(fw, s);
				fw->c.conn_expired++;
				return NULL;
			}
			return &fw->conn[s];
		}
	}
	return NULL;
}

static struct fw_conn *
conn_insert(struct firewall *fw, const struct sdnfv_pkt_key *k, uint32_t h, uint64_t now)
{
	uint32_t i, s;

	for (i = 0; i < CONN_WINDOW; i++) {
		s = (h + i) & fw->mask;
		if (fw->sig[s] != 0 && conn_expired(&fw->conn[s], now)) {
			conn_remove(fw, s);
			fw->c.conn_expired++;
		}
		if (fw->sig[s] == 0) {
			fw->sig[s] = h | 1;
			memset(&fw->conn[s], 0, sizeof(fw->conn[s]));
			fw->conn[s].key = *k;
			fw->c.conn_live++;
			fw->c.conn_new++;
			return &fw->conn[s];
		}
	}
	fw->c.conn_full++;
	return NULL;
}

unsigned int
firewall_expire(struct firewall *fw, uint64_t now_ns, unsigned int budget)
{
	unsigned int n = 0;

	if (fw->sig == NULL)
		return 0;
	while (budget-- > 0) {
		uint32_t s = fw->sweep++ & fw->mask;

		if (fw->sig[s] != 0 && conn_expired(&fw->conn[s], now_ns)) {
			conn_remove(fw, s);
			fw->c.conn_expired++;
			n++;
		}
	}
	return n;
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

enum { TCP_OK, TCP_INVALID, TCP_REOPEN };

/* Advance a tracked TCP connection by one segment going direction dir (0 orig, 1 reply). */
static int
tcp_step(struct fw_conn *c, unsigned int dir, uint8_t flags)
{
	bool syn = flags & TH_SYN, ack = flags & TH_ACK, fin = flags & TH_FIN;

	if (flags & TH_RST) {
		c->state = FW_TCP_CLOSED;
		return TCP_OK;
	}
	switch (c->state) {
	case FW_TCP_SYN_SENT:
		if (dir == 0 && syn && !ack)
			return TCP_OK; /* retransmitted SYN */
		if (dir == 1 && syn && ack) {
			c->state = FW_TCP_SYN_RECV;
			return TCP_OK;
		}
		return TCP_INVALID;
	case FW_TCP_SYN_RECV:
		if (syn)
			return (dir == 0 && !ack) || (dir == 1 && ack) ? TCP_OK : TCP_INVALID;
		if (dir == 0 && ack) {
			c->state = fin ? FW_TCP_FIN_WAIT : FW_TCP_ESTABLISHED;
			c->fin_dir = 0;
			return TCP_OK;
		}
		return TCP_INVALID;
	case FW_TCP_ESTABLISHED:
		if (syn)
			return TCP_INVALID;
		if (fin) {
			c->state = FW_TCP_FIN_WAIT;
			c->fin_dir = (uint8_t)dir;
		}
		return TCP_OK;
	case FW_TCP_FIN_WAIT:
		if (syn)
			return TCP_INVALID;
		if (dir != c->fin_dir) {
			if (fin)
				c->state = FW_TCP_LAST_ACK;
			else if (ack)
				c->state = FW_TCP_CLOSE_WAIT;
		}
		return TCP_OK;
	case FW_TCP_CLOSE_WAIT:
		if (syn)
			return TCP_INVALID;
		if (dir != c->fin_dir && fin)
			c->state = FW_TCP_LAST_ACK;
		return TCP_OK;
	case FW_TCP_LAST_ACK:
		if (syn)
			return TCP_INVALID;
		if (dir == c->fin_dir && ack && !fin)
			c->state = FW_TCP_TIME_WAIT;
		return TCP_OK;
	case FW_TCP_TIME_WAIT:
	case FW_TCP_CLOSED:
		/* A new SYN from either side starts a new connection, judged by the rules again. */
		if (syn && !ack)
			return TCP_REOPEN;
		return TCP_OK;
	default:
		return TCP_INVALID;
	}
}

static bool
is_tcp_udp_sctp(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP;
}

/* ICMP message classes for tracking. */
enum { ICMP_OTHER, ICMP_REQUEST, ICMP_REPLY, ICMP_ERROR };

static int
icmp_class(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP) {
		if (type == 8 || type == 13 || type == 15 || type == 17)
			return ICMP_REQUEST;
		if (type == 0 || type == 14 || type == 16 || type == 18)
			return ICMP_REPLY;
		if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
			return ICMP_ERROR;
	} else if (proto == IPPROTO_ICMPV6) {
		if (type == 128)
			return ICMP_REQUEST;
		if (type == 129)
			return ICMP_REPLY;
		if (type >= 1 && type <= 4)
			return ICMP_ERROR;
	}
	return ICMP_OTHER;
}

/*
 * The symmetric key of the connection an ICMP error quotes (the embedded IP header and the first
 * 8 bytes of its payload), or -1. Only IPv4 options and no IPv6 extension headers are walked.
 */
static int
icmp_error_key(const uint8_t *p, const uint8_t *end, uint8_t family, struct sdnfv_pkt_key *k)
{
	const uint8_t *l4;

	memset(k, 0, sizeof(*k));
	if (family == SDNFV_PKT_L3_IPV4) {
		if (end - p < 20 || (p[0] >> 4) != 4 || (p[0] & 15) < 5)
			return -1;
		l4 = p + (p[0] & 15) * 4;
		k->proto = p[9];
		memcpy(&k->src.v4, p + 12, 4);
		memcpy(&k->dst.v4, p + 16, 4);
	} else {
		if (end - p < 40 || (p[0] >> 4) != 6)
			return -1;
		l4 = p + 40;
		k->proto = p[6];
		memcpy(k->src.v6, p + 8, 16);
		memcpy(k->dst.v6, p + 24, 16);
	}
	k->family = family;
	if (end - l4 < 8)
		return -1;
	if (is_tcp_udp_sctp(k->proto)) {
		memcpy(&k->sport, l4, 2);
		memcpy(&k->dport, l4 + 2, 2);
	} else if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		if (icmp_class(k->proto, l4[0]) != ICMP_REQUEST)
			return -1;
		memcpy(&k->sport, l4 + 4, 2);
		k->dport = k->sport;
	}
	sdnfv_pkt_key_symmetric(k);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Classification                                                                             */

struct pending {
	const uint8_t *data;
	struct sdnfv_pkt_key key; /* symmetric (stateful) */
	uint32_t hash;
	uint8_t dir, tcp_flags;
	uint32_t len;
	uint32_t seg_len; /* bytes at data (a chained mbuf's first segment; else len) */
};

static void
count_verdict(struct firewall *fw, struct fw_verdict *v, uint32_t len)
{
	if (v->allow)
		fw->c.passed++;
	else
		fw->c.dropped++;
	switch (v->reason) {
	case FW_R_RULE:
		fw->rule_pkts[v->rule]++;
		fw->rule_bytes[v->rule] += len;
		break;
	case FW_R_DEFAULT:
		fw->c.default_pkts++;
		fw->c.default_bytes += len;
		break;
	case FW_R_NONIP:
		fw->c.nonip_pkts++;
		fw->c.nonip_bytes += len;
		break;
	case FW_R_MALFORMED:
		fw->c.malformed++;
		break;
	case FW_R_TRACKED:
		fw->c.tracked++;
		break;
	case FW_R_INVALID:
		fw->c.invalid++;
		break;
	default:
		break;
	}
}

static void
conn_refresh(struct firewall *fw, struct fw_conn *c, uint64_t now)
{
	uint64_t to;

	if (c->key.proto == IPPROTO_TCP)
		to = fw->to_ns[c->state];
	else if (c->key.proto == IPPROTO_UDP)
		to = c->replied ? fw->udp_stream_ns : fw->udp_ns;
	else if (c->key.proto == IPPROTO_ICMP || c->key.proto == IPPROTO_ICMPV6)
		to = fw->icmp_ns;
	else
		to = fw->other_ns;
	c->expire_ns = now + to;
}

enum { PRE_DECIDED, PRE_RULES, PRE_DEFER };

/*
 * Stateful pre-check of one IP packet: PRE_DECIDED when its fate is decided (tracked, invalid),
 * PRE_RULES when the rules must decide (p->key/hash/dir are then set for a later insert, and
 * *track when an allowed verdict may open a connection), PRE_DEFER when an earlier packet of the
 * burst with the same key may open its connection (open_hash[0, n_open)): it must wait for it.
 */
static int
stateful_pre(struct firewall *fw, struct pending *p, const struct sdnfv_pkt_info *info,
	     uint64_t now, struct fw_verdict *v, bool *track, const uint32_t *open_hash,
	     unsigned int n_open)
{
	const uint8_t *l4 = p->data + info->l4_off;
	struct fw_conn *c;
	int cls = ICMP_OTHER;

	*track = false;
	if (info->flags & SDNFV_PKT_F_FRAG_LATER)
		return PRE_RULES; /* no L4 header: the rules judge it, untracked */
	p->dir = (uint8_t)sdnfv_pkt_key_symmetric(&p->key);
	/* ICMP only when the parser read its header: it skips ICMP of the other family (IPv6 next
	 * header 1, IPv4 protocol 58), which is then tracked like any other protocol. */
	if ((p->key.proto == IPPROTO_ICMP || p->key.proto == IPPROTO_ICMPV6) &&
	    (info->flags & SDNFV_PKT_F_L4)) {
		cls = icmp_class(p->key.proto, l4[0]);
		if (cls == ICMP_ERROR) {
			struct sdnfv_pkt_key ek;
			uint32_t eh;

			/* The quote is read where the bytes are: in a chained mbuf, up to the end of
			 * the first segment (the headers before it are there, the parser checked). */
			uint32_t end = info->l3_end;

			if ((info->flags & SDNFV_PKT_F_MULTISEG) && p->seg_len < end)
				end = p->seg_len;
			if (icmp_error_key(l4 + 8, p->data + end, p->key.family, &ek) < 0) {
				if (end < info->l3_end)
					fw->c.icmp_segmented++;
				return PRE_RULES; /* unrelated: the rules judge it, untracked */
			}
			eh = sdnfv_pkt_key_hash(&ek, 0);
			for (unsigned int j = 0; j < n_open; j++)
				if (open_hash[j] == eh)
					return PRE_DEFER;
			if (conn_lookup(fw, &ek, eh, now) != NULL) {
				*v = (struct fw_verdict){ .allow = 1,
							  .reason = FW_R_TRACKED,
							  .rule = -1 };
				return PRE_DECIDED; /* related to a tracked connection */
			}
			return PRE_RULES;
		}
		if (cls == ICMP_OTHER)
			return PRE_RULES;
	}
	p->hash = sdnfv_pkt_key_hash(&p->key, 0);
	for (unsigned int j = 0; j < n_open; j++)
		if (open_hash[j] == p->hash)
			return PRE_DEFER;
	c = conn_lookup(fw, &p->key, p->hash, now);
	if (c != NULL) {
		unsigned int dir = p->dir != c->orig_dir;
		int st = TCP_OK;

		if (c->key.proto == IPPROTO_TCP)
			st = tcp_step(c, dir, p->tcp_flags);
		if (st == TCP_REOPEN) {
			conn_remove(fw, (uint32_t)(c - fw->conn));
		} else {
			if (st == TCP_INVALID) {
				*v = (struct fw_verdict){ .allow = 0,
							  .reason = FW_R_INVALID,
							  .rule = c->rule };
				return PRE_DECIDED;
			}
			if (dir == 1)
				c->replied = 1;
			conn_refresh(fw, c, now);
			*v = (struct fw_verdict){ .allow = 1,
						  .reason = FW_R_TRACKED,
						  .rule = c->rule };
			return PRE_DECIDED;
		}
	}
	/* No state: only what may open a connection goes to the rules. */
	if (p->key.proto == IPPROTO_TCP &&
	    (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) != TH_SYN) {
		*v = (struct fw_verdict){ .allow = 0, .reason = FW_R_INVALID, .rule = -1 };
		return PRE_DECIDED;
	}
	if (cls == ICMP_REPLY) {
		*v = (struct fw_verdict){ .allow = 0, .reason = FW_R_INVALID, .rule = -1 };
		return PRE_DECIDED;
	}
	*track = true;
	return PRE_RULES;
}

static void
stateful_open(struct firewall *fw, struct pending *p, uint64_t now, struct fw_verdict *v)
{
	struct fw_conn *c = conn_insert(fw, &p->key, p->hash, now);

	if (c == NULL) {
		v->allow = 0;
		v->reason = FW_R_TABLE_FULL;
		return;
	}
	c->orig_dir = p->dir;
	c->rule = v->rule;
	c->state = p->key.proto == IPPROTO_TCP ? FW_TCP_SYN_SENT : FW_TCP_NONE;
	conn_refresh(fw, c, now);
}

/* The ACL key straight from the parsed headers (no flow key needed in stateless mode). */
static void
acl_key4(const uint8_t *data, const struct sdnfv_pkt_info *in, struct fw_acl_key4 *k)
{
	bool l4 = (in->flags & SDNFV_PKT_F_L4) && is_tcp_udp_sctp(in->l4_proto);

	k->proto = in->l4_proto;
	memset(k->pad, 0, sizeof(k->pad));
	k->l4 = l4 ? RTE_BE32(1) : 0;
	memcpy(&k->src, data + in->l3_off + 12, 4);
	memcpy(&k->dst, data + in->l3_off + 16, 4);
	k->sport = l4 ? in->sport : 0;
	k->dport = l4 ? in->dport : 0;
}

static void
acl_key6(const uint8_t *data, const struct sdnfv_pkt_info *in, struct fw_acl_key6 *k)
{
	bool l4 = (in->flags & SDNFV_PKT_F_L4) && is_tcp_udp_sctp(in->l4_proto);

	k->proto = in->l4_proto;
	memset(k->pad, 0, sizeof(k->pad));
	k->l4 = l4 ? RTE_BE32(1) : 0;
	memcpy(k->src, data + in->l3_off + 8, 16);
	memcpy(k->dst, data + in->l3_off + 24, 16);
	k->sport = l4 ? in->sport : 0;
	k->dport = l4 ? in->dport : 0;
}

/* One packet through its family's ACL (the stateful path). */
static void
classify_one(struct firewall *fw, const void *key, uint8_t l3, struct fw_verdict *v)
{
	const struct rte_acl_ctx *ctx = l3 == SDNFV_PKT_L3_IPV4 ? fw->acl4 : fw->acl6;
	const uint8_t *d = key;
	uint32_t r = 0;

	if (ctx != NULL)
		rte_acl_classify(ctx, &d, &r, 1, 1);
	if (r != 0) {
		v->rule = (int32_t)r - 1;
		v->allow = fw->rules.rule[r - 1].action;
		v->reason = FW_R_RULE;
	}
}

/* Classify n parsed packets (info[i] from sdnfv_pkt_parse{,_mbuf} with return ret[i]); lens are
 * the packets' lengths, seg_lens the bytes contiguous at data (NULL: lens). */
static void
classify(struct firewall *fw, const uint8_t *const *data, const uint32_t *lens,
	 const uint32_t *seg_lens, const struct sdnfv_pkt_info *info, const int *ret,
	 unsigned int n, uint64_t now, struct fw_verdict *out)
{
	struct fw_acl_key4 k4[BURST_MAX];
	struct fw_acl_key6 k6[BURST_MAX];
	const uint8_t *d4[BURST_MAX], *d6[BURST_MAX];
	uint32_t r4[BURST_MAX], r6[BURST_MAX];
	uint8_t i4[BURST_MAX], i6[BURST_MAX];
	struct pending pend[BURST_MAX];
	bool track[BURST_MAX];
	uint32_t open_hash[BURST_MAX];
	uint8_t deferred[BURST_MAX];
	unsigned int i, n4 = 0, n6 = 0, n_open = 0, n_def = 0;

	for (i = 0; i < n; i++) {
		const struct sdnfv_pkt_info *in = &info[i];
		struct pending *p = &pend[i];

		fw->c.rx++;
		fw->c.rx_bytes += lens[i];
		track[i] = false;
		out[i].rule = -1;
		if (ret[i] < 0) {
			out[i].allow = 0;
			out[i].reason = FW_R_MALFORMED;
			fw->c.malformed_why[in->err & 31]++;
			continue;
		}
		if (in->l3 != SDNFV_PKT_L3_IPV4 && in->l3 != SDNFV_PKT_L3_IPV6) {
			out[i].allow = fw->rules.nonip_action;
			out[i].reason = FW_R_NONIP;
			continue;
		}
		p->data = data[i];
		p->len = lens[i];
		p->seg_len = seg_lens != NULL ? seg_lens[i] : lens[i];
		p->tcp_flags = in->l4_proto == IPPROTO_TCP && (in->flags & SDNFV_PKT_F_L4)
				       ? data[i][in->l4_off + 13]
				       : 0;
		out[i].allow = fw->rules.default_action;
		out[i].reason = FW_R_DEFAULT;
		/* The key goes to slot n4/n6, which the packet keeps if it reaches the ACL. */
		if (in->l3 == SDNFV_PKT_L3_IPV4)
			acl_key4(data[i], in, &k4[n4]);
		else
			acl_key6(data[i], in, &k6[n6]);
		if (fw->sig != NULL) {
			int pre;

			sdnfv_pkt_key_build(data[i], in, &p->key);
			pre = stateful_pre(fw, p, in, now, &out[i], &track[i], open_hash, n_open);

			if (pre == PRE_DECIDED)
				continue;
			if (pre == PRE_DEFER) {
				deferred[n_def++] = (uint8_t)i;
				continue;
			}
			if (track[i])
				open_hash[n_open++] = p->hash;
		}
		if (in->l3 == SDNFV_PKT_L3_IPV4) {
			if (fw->acl4 != NULL) {
				d4[n4] = (const uint8_t *)&k4[n4];
				i4[n4++] = (uint8_t)i;
			}
		} else if (fw->acl6 != NULL) {
			d6[n6] = (const uint8_t *)&k6[n6];
			i6[n6++] = (uint8_t)i;
		}
	}
	if (n4 > 0)
		rte_acl_classify(fw->acl4, d4, r4, n4, 1);
	if (n6 > 0)
		rte_acl_classify(fw->acl6, d6, r6, n6, 1);
	for (i = 0; i < n4; i++)
		if (r4[i] != 0) {
			out[i4[i]].rule = (int32_t)r4[i] - 1;
			out[i4[i]].allow = fw->rules.rule[r4[i] - 1].action;
			out[i4[i]].reason = FW_R_RULE;
		}
	for (i = 0; i < n6; i++)
		if (r6[i] != 0) {
			out[i6[i]].rule = (int32_t)r6[i] - 1;
			out[i6[i]].allow = fw->rules.rule[r6[i] - 1].action;
			out[i6[i]].reason = FW_R_RULE;
		}
	if (fw->sig != NULL) {
		/* Open the connections the rules allowed, in burst order; then the packets that
		 * waited for one of them, one at a time. */
		for (i = 0; i < n; i++)
			if (track[i] && out[i].allow)
				stateful_open(fw, &pend[i], now, &out[i]);
		for (i = 0; i < n_def; i++) {
			unsigned int j = deferred[i];
			struct fw_acl_key4 dk4;
			struct fw_acl_key6 dk6;
			const void *k = info[j].l3 == SDNFV_PKT_L3_IPV4 ? (const void *)&dk4
									: (const void *)&dk6;

			/* The first pass made the key symmetric: rebuild it. */
			sdnfv_pkt_key_build(data[j], &info[j], &pend[j].key);
			if (info[j].l3 == SDNFV_PKT_L3_IPV4)
				acl_key4(data[j], &info[j], &dk4);
			else
				acl_key6(data[j], &info[j], &dk6);
			if (stateful_pre(fw, &pend[j], &info[j], now, &out[j], &track[j], NULL,
					 0) == PRE_RULES)
				classify_one(fw, k, info[j].l3, &out[j]);
			if (track[j] && out[j].allow)
				stateful_open(fw, &pend[j], now, &out[j]);
		}
	}
	for (i = 0; i < n; i++)
		count_verdict(fw, &out[i], lens[i]);
}

void
firewall_classify(struct firewall *fw, const void *const *frames, const uint32_t *lens,
		  unsigned int n, uint64_t now_ns, struct fw_verdict *out)
{
	struct sdnfv_pkt_info info[BURST_MAX];
	int ret[BURST_MAX];
	unsigned int i;

	while (n > BURST_MAX) {
		firewall_classify(fw, frames, lens, BURST_MAX, now_ns, out);
		frames += BURST_MAX;
		lens += BURST_MAX;
		out += BURST_MAX;
		n -= BURST_MAX;
	}
	for (i = 0; i < n; i++)
		ret[i] = sdnfv_pkt_parse(frames[i], lens[i], &info[i]);
	classify(fw, (const uint8_t *const *)frames, lens, NULL, info, ret, n, now_ns, out);
}

void
firewall_classify_mbufs(struct firewall *fw, struct rte_mbuf **pkts, unsigned int n,
			uint64_t now_ns, struct fw_verdict *out)
{
	struct sdnfv_pkt_info info[BURST_MAX];
	const uint8_t *data[BURST_MAX];
	uint32_t lens[BURST_MAX], seg_lens[BURST_MAX];
	int ret[BURST_MAX];
	unsigned int i;

	while (n > BURST_MAX) {
		firewall_classify_mbufs(fw, pkts, BURST_MAX, now_ns, out);
		pkts += BURST_MAX;
		out += BURST_MAX;
		n -= BURST_MAX;
	}
	for (i = 0; i < n; i++) {
		data[i] = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		lens[i] = pkts[i]->pkt_len;
		seg_lens[i] = pkts[i]->data_len;
		ret[i] = sdnfv_pkt_parse_mbuf(pkts[i], &info[i]);
	}
	classify(fw, data, lens, seg_lens, info, ret, n, now_ns, out);
}

int
firewall_conn_state(struct firewall *fw, const void *frame, uint32_t len, uint64_t now_ns)
{
	struct sdnfv_pkt_info info;
	struct sdnfv_pkt_key k;
	struct fw_conn *c;

	if (fw->sig == NULL || sdnfv_pkt_parse(frame, len, &info) < 0 ||
	    sdnfv_pkt_key_build(frame, &info, &k) < 0)
		return -1;
	sdnfv_pkt_key_symmetric(&k);
	c = conn_lookup(fw, &k, sdnfv_pkt_key_hash(&k, 0), now_ns);
	return c == NULL ? -1 : c->state;
}

/* ---------------------------------------------------------------------------------------- */
/* Counters and the NF                                                                        */

const struct fw_counters *
firewall_counters(const struct firewall *fw)
{
	return &fw->c;
}

const struct rte_acl_ctx *
firewall_acl_ctx(const struct firewall *fw, int family)
{
	return family == 4 ? fw->acl4 : fw->acl6;
}

const struct fw_rules *
firewall_rules(const struct firewall *fw)
{
	return &fw->rules;
}

void
firewall_rule_counts(const struct firewall *fw, unsigned int i, uint64_t *pkts, uint64_t *bytes)
{
	*pkts = i < fw->rules.n ? fw->rule_pkts[i] : 0;
	*bytes = i < fw->rules.n ? fw->rule_bytes[i] : 0;
}

static const char *const state_names[] = { "none",        "syn_sent",  "syn_recv",
					   "established", "fin_wait",  "close_wait",
					   "last_ack",    "time_wait", "closed" };

const char *
firewall_tcp_state_name(int s)
{
	return s >= 0 && s < FW_TCP__COUNT ? state_names[s] : "untracked";
}

void
firewall_summary(const struct firewall *fw, FILE *f)
{
	const struct fw_counters *c = &fw->c;
	unsigned int i;

	for (i = 0; i < fw->rules.n; i++)
		fprintf(f, "%s: rule line %u %s packets %" PRIu64 " bytes %" PRIu64 "\n",
			fw->opts.name, fw->rules.rule[i].line,
			fw->rules.rule[i].action ? "allow" : "deny", fw->rule_pkts[i],
			fw->rule_bytes[i]);
	fprintf(f, "%s: default %s packets %" PRIu64 " bytes %" PRIu64 "\n", fw->opts.name,
		fw->rules.default_action ? "allow" : "deny", c->default_pkts, c->default_bytes);
	fprintf(f, "%s: nonip %s packets %" PRIu64 " bytes %" PRIu64 "\n", fw->opts.name,
		fw->rules.nonip_action ? "allow" : "deny", c->nonip_pkts, c->nonip_bytes);
	for (i = 1; i < SDNFV_PKT_ERR__COUNT && i < 32; i++)
		if (c->malformed_why[i] != 0)
			fprintf(f, "%s: malformed %" PRIu64 " (%s)\n", fw->opts.name,
				c->malformed_why[i], sdnfv_pkt_strerror((int)i));
	fprintf(f,
		"%s: summary rx %" PRIu64 " passed %" PRIu64 " dropped %" PRIu64
		" malformed %" PRIu64 " nonip %" PRIu64 " default %" PRIu64 " rules %u",
		fw->opts.name, c->rx, c->passed, c->dropped, c->malformed, c->nonip_pkts,
		c->default_pkts, fw->rules.n);
	if (fw->sig != NULL)
		fprintf(f,
			" tracked %" PRIu64 " invalid %" PRIu64 " conn_new %" PRIu64
			" conn_full %" PRIu64 " conn_expired %" PRIu64 " conn_live %" PRIu64
			" icmp_segmented %" PRIu64,
			c->tracked, c->invalid, c->conn_new, c->conn_full, c->conn_expired,
			c->conn_live, c->icmp_segmented);
	fprintf(f, "\n");
}

int
firewall_counters_write(const struct firewall *fw, const char *path)
{
	const struct fw_counters *c = &fw->c;
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (f == NULL)
		return -errno;
	for (i = 0; i < fw->rules.n; i++)
		fprintf(f, "rule %u %s %" PRIu64 " %" PRIu64 "\n", fw->rules.rule[i].line,
			fw->rules.rule[i].action ? "allow" : "deny", fw->rule_pkts[i],
			fw->rule_bytes[i]);
	fprintf(f,
		"rx %" PRIu64 "\npassed %" PRIu64 "\ndropped %" PRIu64 "\nmalformed %" PRIu64
		"\nnonip %" PRIu64 "\ndefault %" PRIu64 "\ntracked %" PRIu64 "\ninvalid %" PRIu64
		"\nconn_new %" PRIu64 "\nconn_full %" PRIu64 "\nconn_expired %" PRIu64
		"\nconn_live %" PRIu64 "\nicmp_segmented %" PRIu64 "\n",
		c->rx, c->passed, c->dropped, c->malformed, c->nonip_pkts, c->default_pkts,
		c->tracked, c->invalid, c->conn_new, c->conn_full, c->conn_expired, c->conn_live,
		c->icmp_segmented);
	return fclose(f) == 0 ? 0 : -EIO;
}

static uint64_t
now_ns(const struct firewall *fw)
{
	return (uint64_t)((double)rte_rdtsc() * fw->ns_per_tsc);
}

void
firewall_nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct firewall *fw = arg;
	struct fw_verdict v[BURST_MAX];
	unsigned int i, done;

	(void)nf;
	for (done = 0; done < n; done += BURST_MAX) {
		unsigned int m = RTE_MIN(n - done, (unsigned int)BURST_MAX);

		firewall_classify_mbufs(fw, pkts + done, m, now_ns(fw), v);
		for (i = 0; i < m; i++) {
			if (v[i].allow)
				sdnfv_nf_next(pkts[done + i]);
			else
				sdnfv_nf_drop(pkts[done + i]);
		}
	}
}

void
firewall_nf_idle(struct sdnfv_nf *nf, uint64_t now, void *arg)
{
	struct firewall *fw = arg;

	(void)nf;
	(void)now; /* the SDK's clock may differ from ours: expire on our own */
	firewall_expire(fw, now_ns(fw), 4096);
}

int
firewall_nf_setup(struct sdnfv_nf *nf, void *arg)
{
	struct firewall *fw = arg;
	char err[FW_ERR_MAX] = "";
	int ret;

	(void)nf;
	ret = firewall_build(fw, err, sizeof(err));
	if (ret < 0)
		fprintf(stderr, "%s: %s\n", fw->opts.name, err);
	return ret;
}

const struct sdnfv_nf_ops firewall_nf_ops = {
	.sz = sizeof(firewall_nf_ops),
	.setup = firewall_nf_setup,
	.handle = firewall_nf_handle,
	.idle = firewall_nf_idle,
};
