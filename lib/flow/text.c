/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules as text, in the flow syntax of ovs-ofctl where it fits, and all-or-nothing loading of a
 * rules file.
 *
 * A line is a list of fields separated by commas or blanks: `name=value` or a bare keyword
 * (`tcp`, `send_flow_rem`); `actions=` takes the rest of the line. The parser keeps the column of
 * each token so that an error names where it starts, and never accepts a field twice or a
 * shorthand that contradicts an explicit field.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sdnfv/flow.h>

#include "common/log.h"
#include "flow_internal.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_ARP  0x0806

struct parser {
	const char *line;
	struct sdnfv_flow_rule *rule;
	uint32_t seen;  /* SDNFV_FLOW_M_* given explicitly or by a shorthand */
	uint32_t other; /* OTHER_* for the non-match fields */
	bool has_action;
	const char *err;
	unsigned int col;
};

#define OTHER_PRIORITY 0x1
#define OTHER_COOKIE   0x2
#define OTHER_IDLE     0x4
#define OTHER_HARD     0x8

static int
fail(struct parser *p, const char *at, const char *why)
{
	p->err = why;
	p->col = (unsigned int)(at - p->line) + 1;
	return -EINVAL;
}

/* An unsigned number in decimal or 0x hex, all of [s, e), at most `max`. */
static int
number(const char *s, const char *e, uint64_t max, uint64_t *out)
{
	char buf[32], *end;
	size_t n = (size_t)(e - s);
	unsigned long long v;

	if (n == 0 || n >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Set eth_type (and ip_proto) from a shorthand or field, refusing a contradiction. */
static int
set_eth_type(struct parser *p, const char *at, uint16_t et)
{
	struct sdnfv_flow_match *m = &p->rule->match;

	if ((p->seen & SDNFV_FLOW_M_ETH_TYPE) && m->eth_type != et)
		return fail(p, at, "contradicts the EtherType given earlier");
	m->fields |= SDNFV_FLOW_M_ETH_TYPE;
	m->eth_type = et;
	p->seen |= SDNFV_FLOW_M_ETH_TYPE;
	return 0;
}

static int
set_proto(struct parser *p, const char *at, uint8_t proto)
{
	struct sdnfv_flow_match *m = &p->rule->match;

	if ((p->seen & SDNFV_FLOW_M_IP_PROTO) && m->ip_proto != proto)
		return fail(p, at, "contradicts the IP protocol given earlier");
	m->fields |= SDNFV_FLOW_M_IP_PROTO;
	m->ip_proto = proto;
	p->seen |= SDNFV_FLOW_M_IP_PROTO;
	return 0;
}

static const struct {
	const char *name;
	uint16_t eth_type;
	int proto; /* -1: none */
} shorthands[] = {
	{ "ip", ETH_IPV4, -1 },     { "ipv6", ETH_IPV6, -1 },  { "arp", ETH_ARP, -1 },
	{ "tcp", ETH_IPV4, 6 },     { "udp", ETH_IPV4, 17 },   { "sctp", ETH_IPV4, 132 },
	{ "icmp", ETH_IPV4, 1 },    { "tcp6", ETH_IPV6, 6 },   { "udp6", ETH_IPV6, 17 },
	{ "sctp6", ETH_IPV6, 132 }, { "icmp6", ETH_IPV6, 58 },
};

static int
keyword(struct parser *p, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);
	unsigned int i;

	for (i = 0; i < RTE_DIM(shorthands); i++) {
		if (strlen(shorthands[i].name) != n || strncasecmp(s, shorthands[i].name, n) != 0)
			continue;
		if (set_eth_type(p, s, shorthands[i].eth_type) != 0)
			return -EINVAL;
		return shorthands[i].proto < 0 ? 0 : set_proto(p, s, (uint8_t)shorthands[i].proto);
	}
	if (n == 13 && strncasecmp(s, "send_flow_rem", n) == 0)
		p->rule->flags |= SDNFV_FLOW_F_SEND_REMOVED;
	else if (n == 13 && strncasecmp(s, "check_overlap", n) == 0)
		p->rule->flags |= SDNFV_FLOW_F_CHECK_OVERLAP;
	else if (n == 12 && strncasecmp(s, "reset_counts", n) == 0)
		p->rule->flags |= SDNFV_FLOW_F_RESET_COUNTS;
	else
		return fail(p, s, "unknown keyword");
	return 0;
}

/* An address with an optional /prefix-length or /dotted-mask (contiguous), into `a`/`plen`. The
 * bits past the prefix are cleared, as ovs-ofctl does. */
static int
address(struct parser *p, const char *s, const char *e, int family, union sdnfv_pkt_addr *a,
	uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', (size_t)(e - s));
	const char *ae = slash != NULL ? slash : e;
	unsigned int bits = family == AF_INET ? 32 : 128, len = bits, i;

	if ((size_t)(ae - s) >= sizeof(buf))
		return fail(p, s, "address too long");
	memcpy(buf, s, (size_t)(ae - s));
	buf[ae - s] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, buf, a->v6) != 1)
		return fail(p, s,
			    family == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
	if (slash != NULL) {
		uint64_t v;
		union sdnfv_pkt_addr mask;

		if (number(slash + 1, e, bits, &v) == 0) {
			len = (unsigned int)v;
		} else {
			size_t mn = (size_t)(e - slash - 1);

			if (family != AF_INET || mn >= sizeof(buf))
				return fail(p, slash + 1, "not a prefix length");
			memcpy(buf, slash + 1, mn);
			buf[mn] = '\0';
			memset(&mask, 0, sizeof(mask));
			if (inet_pton(AF_INET, buf, mask.v6) != 1)
				return fail(p, slash + 1, "not a prefix length or mask");
			v = rte_be_to_cpu_32(mask.v4);
			len = (unsigned int)__builtin_popcountll(v);
			if (v !=
			    (len == 0 ? 0 : (uint64_t)(0xffffffffu << (32 - len)) & 0xffffffffu))
				return fail(p, slash + 1, "non-contiguous masks are not supported");
		}
	}
	for (i = 0; i < 16; i++) {
		unsigned int bit0 = i * 8;

		if (bit0 >= len)
			a->v6[i] = 0;
		else if (bit0 + 8 > len)
			a->v6[i] &= (uint8_t)(0xff00 >> (len - bit0));
	}
	*plen = (uint8_t)len;
	return 0;
}

/* A 16-bit value with an optional /mask: into v and m (m = 0xffff without one). */
static int
masked16(struct parser *p, const char *s, const char *e, uint16_t full, uint16_t *v, uint16_t *m)
{
	const char *slash = memchr(s, '/', (size_t)(e - s));
	uint64_t val, mask = full;

	if (number(s, slash != NULL ? slash : e, full, &val) != 0)
		return fail(p, s, "not a number in range");
	if (slash != NULL && number(slash + 1, e, full, &mask) != 0)
		return fail(p, slash + 1, "not a mask in range");
	*v = (uint16_t)(val & mask);
	*m = (uint16_t)mask;
	return 0;
}

static int
action(struct parser *p, const char *s, const char *e)
{
	struct sdnfv_flow_action *a = &p->rule->action;
	bool have = false;

	memset(a, 0, sizeof(*a));
	while (s < e) {
		const char *te = s, *colon;
		uint64_t v;
		size_t n;

		while (te < e && *te != ',')
			te++;
		colon = memchr(s, ':', (size_t)(te - s));
		n = (size_t)((colon != NULL ? colon : te) - s);
		if (n == 4 && strncasecmp(s, "user", 4) == 0) {
			if (colon == NULL || number(colon + 1, te, UINT64_MAX, &v) != 0)
				return fail(p, s, "user needs a number: user:<u64>");
			a->user = v;
			if (!have)
				a->type = SDNFV_FLOW_ACT_USER;
		} else {
			if (have)
				return fail(p, s, "only one action is supported (plus user:<u64>)");
			have = true;
			if (n == 4 && strncasecmp(s, "drop", 4) == 0 && colon == NULL) {
				a->type = SDNFV_FLOW_ACT_DROP;
			} else if (n == 10 && strncasecmp(s, "controller", 10) == 0) {
				/* controller[:<bytes wanted>[:<reason>]] */
				a->type = SDNFV_FLOW_ACT_CONTROLLER;
				if (colon != NULL) {
					const char *c2 =
						memchr(colon + 1, ':', (size_t)(te - colon - 1));

					if (number(colon + 1, c2 != NULL ? c2 : te, UINT16_MAX,
						   &v) != 0)
						return fail(
							p, colon + 1,
							"controller:<0-65535>[:<reason 0-255>]");
					a->arg = (uint16_t)v;
					if (c2 != NULL) {
						if (number(c2 + 1, te, UINT8_MAX, &v) != 0)
							return fail(
								p, c2 + 1,
								"needs a reason 0-255 after ':'");
						a->reason = (uint8_t)v;
					}
				}
			} else if ((n == 6 && strncasecmp(s, "output", 6) == 0) ||
				   (n == 7 && strncasecmp(s, "service", 7) == 0)) {
				if (colon == NULL || number(colon + 1, te, UINT16_MAX, &v) != 0)
					return fail(p, colon != NULL ? colon + 1 : s,
						    "needs a number 0-65535 after ':'");
				a->type = n == 6 ? SDNFV_FLOW_ACT_PORT : SDNFV_FLOW_ACT_SERVICE;
				a->arg = (uint16_t)v;
			} else {
				return fail(p, s, "unknown action");
			}
		}
		s = te < e ? te + 1 : te;
	}
	if (!have && a->type != SDNFV_FLOW_ACT_USER)
		return fail(p, e, "actions= names no action");
	p->has_action = true;
	return 0;
}

/* Mark a match field given once; refuse it twice. */
static int
once(struct parser *p, const char *at, uint32_t field)
{
	if (p->seen & field & ~(SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO))
		return fail(p, at, "field given twice");
	p->seen |= field;
	p->rule->match.fields |= field;
	return 0;
}

static int
other_once(struct parser *p, const char *at, uint32_t bit)
{
	if (p->other & bit)
		return fail(p, at, "field given twice");
	p->other |= bit;
	return 0;
}

static bool
is_name(const char *s, size_t n, const char *a, const char *b)
{
	return (strlen(a) == n && strncasecmp(s, a, n) == 0) ||
	       (b != NULL && strlen(b) == n && strncasecmp(s, b, n) == 0);
}

static int
field(struct parser *p, const char *s, const char *eq, const char *e)
{
	struct sdnfv_flow_rule *r = p->rule;
	struct sdnfv_flow_match *m = &r->match;
	const char *v = eq + 1;
	size_t n = (size_t)(eq - s);
	uint64_t x;

	if (v == e)
		return fail(p, v, "missing value after '='");
	if (is_name(s, n, "priority", NULL)) {
		if (other_once(p, s, OTHER_PRIORITY) || number(v, e, UINT16_MAX, &x))
			return p->err ? -EINVAL : fail(p, v, "priority is 0-65535");
		r->priority = (uint16_t)x;
	} else if (is_name(s, n, "cookie", NULL)) {
		if (other_once(p, s, OTHER_COOKIE) || number(v, e, UINT64_MAX, &x))
			return p->err ? -EINVAL : fail(p, v, "cookie is a 64-bit number");
		r->cookie = x;
	} else if (is_name(s, n, "idle_timeout", NULL) || is_name(s, n, "hard_timeout", NULL)) {
		bool idle = s[0] == 'i' || s[0] == 'I';

		if (other_once(p, s, idle ? OTHER_IDLE : OTHER_HARD) ||
		    number(v, e, UINT16_MAX, &x))
			return p->err ? -EINVAL : fail(p, v, "a timeout is 0-65535 seconds");
		if (idle)
			r->idle_timeout = (uint16_t)x;
		else
			r->hard_timeout = (uint16_t)x;
	} else if (is_name(s, n, "in_port", NULL)) {
		if (once(p, s, SDNFV_FLOW_M_IN_PORT) || number(v, e, UINT16_MAX, &x))
			return p->err ? -EINVAL : fail(p, v, "in_port is 0-65535");
		m->in_port = (uint16_t)x;
	} else if (is_name(s, n, "dl_type", "eth_type")) {
		if (number(v, e, UINT16_MAX, &x))
			return fail(p, v, "an EtherType is 0-0xffff");
		return set_eth_type(p, s, (uint16_t)x);
	} else if (is_name(s, n, "nw_proto", "ip_proto")) {
		if (number(v, e, UINT8_MAX, &x))
			return fail(p, v, "an IP protocol is 0-255");
		return set_proto(p, s, (uint8_t)x);
	} else if (is_name(s, n, "dl_vlan", NULL)) {
		if (once(p, s, SDNFV_FLOW_M_VLAN) || number(v, e, UINT16_MAX, &x) ||
		    (x > 4095 && x != 0xffff))
			return p->err ? -EINVAL
				      : fail(p, v, "dl_vlan is 0-4095, or 0xffff for none");
		m->vlan = x == 0xffff ? 0 : (uint16_t)(x | SDNFV_FLOW_VLAN_PRESENT);
		m->vlan_mask = 0x1fff;
	} else if (is_name(s, n, "vlan_tci", "vlan_vid")) {
		uint16_t val, mask;

		if (once(p, s, SDNFV_FLOW_M_VLAN) || masked16(p, v, e, 0xffff, &val, &mask))
			return -EINVAL;
		if (s[5] == 't' || s[5] == 'T') { /* vlan_tci: priority bits are not matched */
			if (mask & 0xe000)
				return fail(p, v,
					    "matching VLAN priority (PCP) bits is not supported");
		} else if (val > 0x1fff || (mask & 0xe000 && mask != 0xffff)) {
			return fail(p, v, "vlan_vid is 13 bits: VID | 0x1000 (present)");
		}
		m->vlan = val & 0x1fff;
		m->vlan_mask = mask & 0x1fff;
	} else if (is_name(s, n, "nw_src", "nw_dst") || is_name(s, n, "ipv6_src", "ipv6_dst")) {
		bool v6 = s[0] == 'i' || s[0] == 'I';
		bool src = n >= 3 && (s[n - 3] == 's' || s[n - 3] == 'S');
		uint32_t f = src ? SDNFV_FLOW_M_SRC : SDNFV_FLOW_M_DST;

		if (set_eth_type(p, s, v6 ? ETH_IPV6 : ETH_IPV4) || once(p, s, f))
			return -EINVAL;
		return address(p, v, e, v6 ? AF_INET6 : AF_INET, src ? &m->src : &m->dst,
			       src ? &m->src_plen : &m->dst_plen);
	} else if (is_name(s, n, "tp_src", "tp_dst") || is_name(s, n, "tcp_src", "tcp_dst") ||
		   is_name(s, n, "udp_src", "udp_dst") || is_name(s, n, "sctp_src", "sctp_dst")) {
		bool src = s[n - 3] == 's' || s[n - 3] == 'S';

		if (s[0] != 't' || s[1] != 'p') { /* tcp_, udp_, sctp_ imply their protocol */
			uint8_t proto = s[0] == 'u' ? 17 : s[0] == 's' ? 132 : 6;

			if (!(p->seen & SDNFV_FLOW_M_ETH_TYPE) && set_eth_type(p, s, ETH_IPV4))
				return -EINVAL;
			if (set_proto(p, s, proto))
				return -EINVAL;
		}
		if (once(p, s, src ? SDNFV_FLOW_M_SPORT : SDNFV_FLOW_M_DPORT))
			return -EINVAL;
		return masked16(p, v, e, 0xffff, src ? &m->sport : &m->dport,
				src ? &m->sport_mask : &m->dport_mask);
	} else if (is_name(s, n, "icmp_type", "icmpv6_type") ||
		   is_name(s, n, "icmp_code", "icmpv6_code")) {
		bool type = s[n - 4] == 't' || s[n - 4] == 'T';

		if (once(p, s, type ? SDNFV_FLOW_M_ICMP_TYPE : SDNFV_FLOW_M_ICMP_CODE) ||
		    number(v, e, UINT8_MAX, &x))
			return p->err ? -EINVAL : fail(p, v, "an ICMP type or code is 0-255");
		if (type)
			m->icmp_type = (uint8_t)x;
		else
			m->icmp_code = (uint8_t)x;
	} else {
		return fail(p, s, "unknown field");
	}
	return 0;
}

int
sdnfv_flow_rule_parse(const char *line, struct sdnfv_flow_rule *rule, const char **err,
		      unsigned int *col)
{
	struct parser p = { .line = line, .rule = rule };
	const char *s = line, *end;
	const char *why;
	int ret = 0;

	memset(rule, 0, sizeof(*rule));
	rule->sz = sizeof(*rule);
	end = strchr(line, '#');
	if (end == NULL)
		end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		end--;

	for (;;) {
		const char *te, *eq;

		while (s < end && (*s == ',' || isspace((unsigned char)*s)))
			s++;
		if (s >= end)
			break;
		if (end - s > 8 && strncasecmp(s, "actions=", 8) == 0) {
			ret = action(&p, s + 8, end);
			break;
		}
		te = s;
		while (te < end && *te != ',' && !isspace((unsigned char)*te))
			te++;
		eq = memchr(s, '=', (size_t)(te - s));
		ret = eq != NULL ? field(&p, s, eq, te) : keyword(&p, s, te);
		if (ret != 0)
			break;
		s = te;
	}
	if (ret == 0 && !p.has_action && (p.seen || p.other || rule->flags))
		ret = fail(&p, end, "no actions= (every rule needs one, e.g. actions=drop)");
	if (ret == 0 && p.has_action && (why = flow_match_problem(&rule->match)) != NULL)
		ret = fail(&p, line, why);
	if (ret != 0) {
		if (err != NULL)
			*err = p.err;
		if (col != NULL)
			*col = p.col;
		return -EINVAL;
	}
	return p.has_action ? 1 : 0;
}

/* ---- loading a file ------------------------------------------------------------------------ */

struct loaded {
	struct sdnfv_flow_rule rule;
	bool replaced; /* it replaced a rule, kept in `old` */
	struct sdnfv_flow_rule old;
};

struct find_arg {
	struct sdnfv_flow_rule *out;
	bool found;
};

static int
copy_rule(void *arg, const struct sdnfv_flow_rule *rule, const struct sdnfv_flow_stats *stats)
{
	struct find_arg *f = (struct find_arg *)arg;

	(void)stats;
	*f->out = *rule;
	f->found = true;
	return 1;
}

static struct sdnfv_flow_select
strict_select(const struct sdnfv_flow_rule *r)
{
	struct sdnfv_flow_select sel;

	memset(&sel, 0, sizeof(sel));
	sel.sz = sizeof(sel);
	sel.match = r->match;
	sel.priority = r->priority;
	sel.strict = true;
	return sel;
}

/* Undo the first `n` adds of `rules`, newest first: re-add what they replaced, delete the rest
 * without reporting them (they were never really there). */
static void
roll_back(struct sdnfv_flow_table *t, struct loaded *rules, size_t n)
{
	while (n-- > 0) {
		struct loaded *l = &rules[n];
		struct sdnfv_flow_select sel = strict_select(&l->rule);

		if (l->replaced) {
			if (sdnfv_flow_add(t, &l->old) != 0)
				SDNFV_LOG(flow, ERR, "roll back: cannot restore a replaced rule");
			continue;
		}
		l->rule.flags &=
			~(uint32_t)(SDNFV_FLOW_F_SEND_REMOVED | SDNFV_FLOW_F_CHECK_OVERLAP);
		if (sdnfv_flow_add(t, &l->rule) != 0 || sdnfv_flow_delete(t, &sel) != 1)
			SDNFV_LOG(flow, ERR, "roll back: cannot remove an added rule");
	}
}

int
sdnfv_flow_load_file(struct sdnfv_flow_table *t, const char *path)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, n = 0, room = 0, i;
	unsigned int lineno = 0;
	struct loaded *rules = NULL;
	int ret = 0;

	if (t == NULL || path == NULL)
		return -EINVAL;
	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		SDNFV_LOG(flow, ERR, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	/* Parse the whole file before touching the table. */
	while (getline(&line, &cap, f) >= 0) {
		struct sdnfv_flow_rule r;
		const char *why = NULL;
		unsigned int col = 0;
		int pr;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		pr = sdnfv_flow_rule_parse(line, &r, &why, &col);
		if (pr < 0) {
			SDNFV_LOG(flow, ERR, "%s:%u:%u: %s", path, lineno, col, why);
			ret = -EINVAL;
			break;
		}
		if (pr == 0)
			continue;
		if (n == room) {
			struct loaded *grown;

			room = room ? room * 2 : 64;
			grown = realloc(rules, room * sizeof(*rules));
			if (grown == NULL) {
				ret = -ENOMEM;
				break;
			}
			rules = grown;
		}
		memset(&rules[n], 0, sizeof(rules[n]));
		rules[n++].rule = r;
	}
	if (ret == 0 && ferror(f)) {
		ret = -EIO;
		SDNFV_LOG(flow, ERR, "%s: read error after line %u", path, lineno);
	}
	free(line);
	fclose(f);

	/* Then add them, remembering what each replaced, and undo everything on a failure. */
	for (i = 0; ret == 0 && i < n; i++) {
		struct sdnfv_flow_select sel = strict_select(&rules[i].rule);
		struct find_arg fa = { .out = &rules[i].old };

		sdnfv_flow_foreach(t, &sel, copy_rule, &fa);
		rules[i].replaced = fa.found;
		ret = sdnfv_flow_add(t, &rules[i].rule);
		if (ret != 0) {
			SDNFV_LOG(flow, ERR, "%s: rule %zu of %zu refused (%s); nothing loaded",
				  path, i + 1, n, strerror(-ret));
			roll_back(t, rules, i);
		}
	}
	free(rules);
	return ret == 0 ? (int)n : ret;
}

/* ---- writing a rule ------------------------------------------------------------------------ */

struct out {
	char *buf;
	size_t len, pos; /* pos may pass len: the length the whole text needs */
};

static void __rte_format_printf(2, 3) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->pos < o->len ? o->buf + o->pos : NULL,
		      o->pos < o->len ? o->len - o->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void
put_addr(struct out *o, const char *name, const union sdnfv_pkt_addr *a, uint8_t plen, bool v6)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(v6 ? AF_INET6 : AF_INET, a->v6, text, sizeof(text));
	put(o, ",%s=%s", name, text);
	if (plen != (v6 ? 128 : 32))
		put(o, "/%u", plen);
}

static void
put_port(struct out *o, const char *name, uint16_t v, uint16_t mask)
{
	put(o, ",%s=%u", name, v);
	if (mask != 0xffff)
		put(o, "/0x%04x", mask);
}

int
sdnfv_flow_rule_format(const struct sdnfv_flow_rule *rule, char *buf, size_t len)
{
	const struct sdnfv_flow_match *m;
	const struct sdnfv_flow_action *a;
	struct out o = { buf, len, 0 };
	bool v6, named = false;
	unsigned int i;

	if (rule == NULL || (buf == NULL && len != 0))
		return -EINVAL;
	m = &rule->match;
	a = &rule->action;
	v6 = (m->fields & SDNFV_FLOW_M_ETH_TYPE) && m->eth_type == ETH_IPV6;
	if (len > 0)
		buf[0] = '\0';
	put(&o, "priority=%u", rule->priority);
	if (rule->cookie != 0)
		put(&o, ",cookie=0x%" PRIx64, rule->cookie);
	if (rule->idle_timeout != 0)
		put(&o, ",idle_timeout=%u", rule->idle_timeout);
	if (rule->hard_timeout != 0)
		put(&o, ",hard_timeout=%u", rule->hard_timeout);
	if (rule->flags & SDNFV_FLOW_F_SEND_REMOVED)
		put(&o, ",send_flow_rem");
	if (rule->flags & SDNFV_FLOW_F_CHECK_OVERLAP)
		put(&o, ",check_overlap");
	if (rule->flags & SDNFV_FLOW_F_RESET_COUNTS)
		put(&o, ",reset_counts");
	if (m->fields & SDNFV_FLOW_M_IN_PORT)
		put(&o, ",in_port=%u", m->in_port);
	/* EtherType and protocol as a shorthand when one says both (or the EtherType alone). */
	for (i = 0; i < RTE_DIM(shorthands) && (m->fields & SDNFV_FLOW_M_ETH_TYPE); i++) {
		bool proto = shorthands[i].proto >= 0;

		if (shorthands[i].eth_type != m->eth_type ||
		    proto != ((m->fields & SDNFV_FLOW_M_IP_PROTO) != 0) ||
		    (proto && shorthands[i].proto != m->ip_proto))
			continue;
		put(&o, ",%s", shorthands[i].name);
		named = true;
		break;
	}
	if (!named && (m->fields & SDNFV_FLOW_M_ETH_TYPE))
		put(&o, ",dl_type=0x%04x", m->eth_type);
	if (!named && (m->fields & SDNFV_FLOW_M_IP_PROTO))
		put(&o, ",nw_proto=%u", m->ip_proto);
	if (m->fields & SDNFV_FLOW_M_VLAN) {
		if (m->vlan_mask == 0x1fff && m->vlan == 0)
			put(&o, ",dl_vlan=0xffff");
		else if (m->vlan_mask == 0x1fff && (m->vlan & SDNFV_FLOW_VLAN_PRESENT))
			put(&o, ",dl_vlan=%u", m->vlan & 0x0fff);
		else
			put(&o, ",vlan_tci=0x%04x/0x%04x", m->vlan, m->vlan_mask);
	}
	if (m->fields & SDNFV_FLOW_M_SRC)
		put_addr(&o, v6 ? "ipv6_src" : "nw_src", &m->src, m->src_plen, v6);
	if (m->fields & SDNFV_FLOW_M_DST)
		put_addr(&o, v6 ? "ipv6_dst" : "nw_dst", &m->dst, m->dst_plen, v6);
	if (m->fields & SDNFV_FLOW_M_SPORT)
		put_port(&o, "tp_src", m->sport, m->sport_mask);
	if (m->fields & SDNFV_FLOW_M_DPORT)
		put_port(&o, "tp_dst", m->dport, m->dport_mask);
	if (m->fields & SDNFV_FLOW_M_ICMP_TYPE)
		put(&o, ",%s=%u", v6 ? "icmpv6_type" : "icmp_type", m->icmp_type);
	if (m->fields & SDNFV_FLOW_M_ICMP_CODE)
		put(&o, ",%s=%u", v6 ? "icmpv6_code" : "icmp_code", m->icmp_code);
	switch (a->type) {
	case SDNFV_FLOW_ACT_DROP:
		put(&o, ",actions=drop");
		break;
	case SDNFV_FLOW_ACT_PORT:
		put(&o, ",actions=output:%u", a->arg);
		break;
	case SDNFV_FLOW_ACT_SERVICE:
		put(&o, ",actions=service:%u", a->arg);
		break;
	case SDNFV_FLOW_ACT_CONTROLLER:
		if (a->reason != 0)
			put(&o, ",actions=controller:%u:%u", a->arg, a->reason);
		else if (a->arg != 0)
			put(&o, ",actions=controller:%u", a->arg);
		else
			put(&o, ",actions=controller");
		break;
	case SDNFV_FLOW_ACT_USER:
		put(&o, ",actions=user:%" PRIu64, a->user);
		break;
	default:
		return -EINVAL;
	}
	if (a->type != SDNFV_FLOW_ACT_USER && a->user != 0)
		put(&o, ",user:%" PRIu64, a->user);
	return o.pos < len ? (int)o.pos : -ENOSPC;
}
