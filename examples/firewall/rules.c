/* SPDX-License-Identifier: BSD-3-Clause */
/* firewall: the rule file parser (no EAL). The format is in README.md. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "firewall.h"

#define MAX_TOKENS 32

struct parse_ctx {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) refuse(struct parse_ctx *p, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, why);
	return -EINVAL;
}

/* A decimal number in [0, max], the whole token. */
static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > max)
		return -1;
	return 0;
}

static int
parse_action(const char *s)
{
	if (strcmp(s, "allow") == 0)
		return FW_ALLOW;
	if (strcmp(s, "deny") == 0)
		return FW_DENY;
	return -1;
}

static int
parse_proto(const char *s)
{
	static const struct {
		const char *name;
		int num;
	} names[] = { { "any", -1 }, { "tcp", 6 },     { "udp", 17 },
		      { "icmp", 1 }, { "icmpv6", 58 }, { "sctp", 132 } };
	unsigned long v;
	unsigned int i;

	for (i = 0; i < RTE_DIM(names); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].num;
	if (parse_uint(s, 255, &v) == 0)
		return (int)v;
	return -2;
}

/* "any", an address, or address/len. Sets *family to 4 or 6 (0 for any). */
static int
parse_prefix(struct parse_ctx *p, const char *what, const char *s, uint8_t *addr, uint8_t *len,
	     uint8_t *family)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	unsigned long l;
	unsigned int max, i;

	memset(addr, 0, 16);
	*len = 0;
	*family = 0;
	if (strcmp(s, "any") == 0)
		return 0;
	if (strlen(s) >= sizeof(buf))
		return refuse(p, "bad %s address '%s'", what, s);
	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return refuse(p, "bad %s address '%s'", what, s);
		*family = 6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, buf, addr) != 1)
			return refuse(p, "bad %s address '%s'", what, s);
		*family = 4;
		max = 32;
	}
	l = max;
	if (slash != NULL && parse_uint(slash + 1, max, &l) < 0)
		return refuse(p, "bad %s prefix length in '%s' (0 to %u)", what, s, max);
	/* Host bits beyond the prefix are a typo more often than an intent: refuse them. */
	for (i = (unsigned int)l; i < max; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return refuse(p, "%s prefix '%s' has host bits set beyond /%lu", what, s,
				      l);
	*len = (uint8_t)l;
	return 0;
}

static int
parse_range(struct parse_ctx *p, const char *what, const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	unsigned long a, b;

	if (strlen(s) >= sizeof(buf))
		return refuse(p, "bad %s '%s' (N or N-M, 0 to 65535)", what, s);
	snprintf(buf, sizeof(buf), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
	if (parse_uint(buf, 65535, &a) < 0)
		return refuse(p, "bad %s '%s' (N or N-M, 0 to 65535)", what, s);
	b = a;
	if (dash != NULL && parse_uint(dash + 1, 65535, &b) < 0)
		return refuse(p, "bad %s '%s' (N or N-M, 0 to 65535)", what, s);
	if (b < a)
		return refuse(p, "empty %s range '%s'", what, s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int
parse_rule(struct parse_ctx *p, char **tok, unsigned int nt, struct fw_rule *r)
{
	unsigned int i = 0;
	unsigned long v;
	bool seen_proto = false, seen_from = false, seen_to = false, seen_sp = false,
	     seen_dp = false;
	uint8_t fam_src = 0, fam_dst = 0;
	int a;

	memset(r, 0, sizeof(*r));
	r->line = p->line;
	r->proto = -1;
	r->sport_hi = r->dport_hi = 65535;
	if (strcmp(tok[0], "priority") == 0) {
		if (nt < 2 || parse_uint(tok[1], FW_PRIORITY_MAX, &v) < 0)
			return refuse(p, "bad priority '%s' (0 to %d)", nt < 2 ? "" : tok[1],
				      FW_PRIORITY_MAX);
		r->prio = (unsigned int)v;
		i = 2;
	}
	if (i >= nt || (a = parse_action(tok[i])) < 0)
		return refuse(p, "expected allow or deny, got '%s'",
			      i < nt ? tok[i] : "end of line");
	r->action = (uint8_t)a;
	for (i++; i < nt; i += 2) {
		const char *k = tok[i], *val = i + 1 < nt ? tok[i + 1] : NULL;
		int ret;

		if (strcmp(k, "proto") != 0 && strcmp(k, "from") != 0 && strcmp(k, "to") != 0 &&
		    strcmp(k, "sport") != 0 && strcmp(k, "dport") != 0)
			return refuse(p, "unknown word '%s'", k);
		if (val == NULL)
			return refuse(p, "'%s' needs a value", k);
		if (strcmp(k, "proto") == 0) {
			if (seen_proto)
				return refuse(p, "proto given twice");
			seen_proto = true;
			ret = parse_proto(val);
			if (ret < -1)
				return refuse(p, "unknown protocol '%s'", val);
			r->proto = (int16_t)ret;
		} else if (strcmp(k, "from") == 0) {
			if (seen_from)
				return refuse(p, "from given twice");
			seen_from = true;
			ret = parse_prefix(p, "source", val, r->src, &r->src_len, &fam_src);
			if (ret < 0)
				return ret;
		} else if (strcmp(k, "to") == 0) {
			if (seen_to)
				return refuse(p, "to given twice");
			seen_to = true;
			ret = parse_prefix(p, "destination", val, r->dst, &r->dst_len, &fam_dst);
			if (ret < 0)
				return ret;
		} else if (strcmp(k, "sport") == 0) {
			if (seen_sp)
				return refuse(p, "sport given twice");
			seen_sp = true;
			ret = parse_range(p, "source port", val, &r->sport_lo, &r->sport_hi);
			if (ret < 0)
				return ret;
		} else {
			if (seen_dp)
				return refuse(p, "dport given twice");
			seen_dp = true;
			ret = parse_range(p, "destination port", val, &r->dport_lo, &r->dport_hi);
			if (ret < 0)
				return ret;
		}
	}
	if ((seen_sp || seen_dp) && r->proto != 6 && r->proto != 17 && r->proto != 132)
		return refuse(p, "ports need proto tcp, udp or sctp");
	r->has_ports = seen_sp || seen_dp;
	if (fam_src != 0 && fam_dst != 0 && fam_src != fam_dst)
		return refuse(p, "source and destination mix IPv4 and IPv6");
	r->family = fam_src != 0 ? fam_src : fam_dst;
	if (r->proto == 1) {
		if (r->family == 6)
			return refuse(p, "proto icmp with an IPv6 address (use icmpv6)");
		r->family = 4;
	} else if (r->proto == 58) {
		if (r->family == 4)
			return refuse(p, "proto icmpv6 with an IPv4 address (use icmp)");
		r->family = 6;
	}
	return 0;
}

static int
rule_cmp(const void *a, const void *b)
{
	const struct fw_rule *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

int
firewall_rules_parse(const char *text, const char *name, struct fw_rules *out, char *err,
		     size_t errlen)
{
	struct parse_ctx p = { .name = name, .err = err, .errlen = errlen };
	bool seen_default = false, seen_nonip = false;
	char *copy, *line, *save = NULL;
	unsigned int cap = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->default_action = FW_DENY;
	out->nonip_action = FW_ALLOW;
	copy = strdup(text);
	if (copy == NULL)
		return -ENOMEM;
	/* strtok_r would skip empty lines and shift the numbers: walk the lines by hand. */
	for (line = copy; line != NULL; line = save) {
		char *tok[MAX_TOKENS], *hash, *s, *nl, *sp = NULL;
		unsigned int nt = 0;
		int a;

		p.line++;
		nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (s = strtok_r(line, " \t\r", &sp); s != NULL;
		     s = strtok_r(NULL, " \t\r", &sp)) {
			if (nt == MAX_TOKENS) {
				ret = refuse(&p, "too many words (at most %d)", MAX_TOKENS);
				goto fail;
			}
			tok[nt++] = s;
		}
		if (nt == 0)
			continue;
		if (strcmp(tok[0], "default") == 0 || strcmp(tok[0], "nonip") == 0) {
			bool is_default = tok[0][0] == 'd';

			if (nt != 2 || (a = parse_action(tok[1])) < 0) {
				ret = refuse(&p, "expected '%s allow' or '%s deny'", tok[0],
					     tok[0]);
				goto fail;
			}
			if (is_default ? seen_default : seen_nonip) {
				ret = refuse(&p, "%s policy given twice", tok[0]);
				goto fail;
			}
			if (is_default) {
				seen_default = true;
				out->default_action = (uint8_t)a;
			} else {
				seen_nonip = true;
				out->nonip_action = (uint8_t)a;
			}
			continue;
		}
		if (out->n == cap) {
			unsigned int ncap = cap ? cap * 2 : 64;
			struct fw_rule *nr = realloc(out->rule, ncap * sizeof(*nr));

			if (nr == NULL) {
				ret = -ENOMEM;
				goto fail;
			}
			out->rule = nr;
			cap = ncap;
		}
		ret = parse_rule(&p, tok, nt, &out->rule[out->n]);
		if (ret < 0)
			goto fail;
		out->n++;
	}
	free(copy);
	if (out->n > 1)
		qsort(out->rule, out->n, sizeof(*out->rule), rule_cmp);
	return 0;
fail:
	free(copy);
	firewall_rules_free(out);
	return ret;
}

int
firewall_rules_load(const char *path, struct fw_rules *out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, len = 0, got;
	int ret;

	memset(out, 0, sizeof(*out));
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	do {
		if (cap - len < 4096) {
			char *nt = realloc(text, cap + 65536);

			if (nt == NULL) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
			text = nt;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(text);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len) {
		/* The line of the first NUL byte: one more than the newlines before it. */
		unsigned int line = 1;
		size_t i, nul = strlen(text);

		for (i = 0; i < nul; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "%s:%u: contains a NUL byte", path, line);
		free(text);
		return -EINVAL;
	}
	ret = firewall_rules_parse(text, path, out, err, errlen);
	free(text);
	return ret;
}

void
firewall_rules_free(struct fw_rules *r)
{
	if (r == NULL)
		return;
	free(r->rule);
	r->rule = NULL;
	r->n = 0;
}
