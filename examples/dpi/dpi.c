/* SPDX-License-Identifier: BSD-3-Clause */
/* dpi: rule parser, Hyperscan streaming database, per-flow streams, actions (see dpi.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hs/hs.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>

#include <sdnfv/sdnfv.h>

#include "dpi.h"

#define LIST_MAX     16 /* items in an address or port list */
#define PATS_MAX     32 /* contents + pcres in one rule (a bit each) */
#define PARTIAL_MAX  8  /* multi-content rules partly matched at once, per flow direction */
#define FIRED_MAX    8  /* rules remembered as fired, per flow (one alert per flow and sid) */
#define BUCKET_SLOTS 8  /* flow entries per hash bucket */
#define TARGETS_MAX  16 /* distinct redirect services */
#define FLOWS_MAX    (1u << 31) /* flow table entries */
#define LINE_MAX_LEN 8192

enum action { ACT_ALERT, ACT_PASS, ACT_REDIRECT, ACT_DROP };
static const char *const action_names[] = { "alert", "pass", "redirect", "drop" };

struct addr_item {
	uint8_t family; /* 4 or 6 */
	uint8_t plen;
	uint8_t a[16];
};

struct addr_set {
	bool any, neg;
	unsigned int n;
	struct addr_item item[LIST_MAX];
};

struct port_set {
	bool any, neg;
	unsigned int n;
	uint16_t lo[LIST_MAX], hi[LIST_MAX];
};

struct rule {
	uint32_t sid;
	unsigned int line;
	enum action action;
	int proto; /* -1: ip (any); 1: icmp (and ICMPv6); else the IP protocol */
	bool bidir;
	struct addr_set src, dst;
	struct port_set sport, dport;
	char *msg;
	unsigned int npat;
	uint32_t full; /* every pattern's bit */
	int target;    /* ACT_REDIRECT: index into targets */
	uint64_t hits;
};

struct pat {
	unsigned int rule;
	unsigned int bit;
	char *expr;
	unsigned int flags;
	hs_expr_ext_t ext;
	bool is_content;
	size_t clen;          /* content length */
	unsigned long offset; /* content modifiers */
	unsigned long depth;
	bool has_offset, has_depth;
};

struct partial {
	uint32_t rule;
	uint32_t mask;
};

struct dir {
	uint32_t next_seq;
	uint32_t isn; /* the sequence number of the SYN that started the direction (syn_seen) */
	bool seq_known;
	bool syn_seen;
	bool stopped; /* a TCP gap: no more inspection in this direction */
};

struct partials {
	uint8_t npart;
	struct partial part[PARTIAL_MAX];
};

/* What every packet reads is in the first two cache lines (the burst handler prefetches them);
 * partial matches, rarely touched, come last. */
struct flow {
	struct sdnfv_pkt_key key; /* symmetric (canonical) */
	uint64_t last_ns;
	hs_stream_t *hs[2];
	struct dir dir[2];
	bool used;
	bool dropped;
	bool passed;
	uint8_t nfired;
	int16_t target; /* -1: not redirected */
	uint32_t tag;
	uint32_t fired[FIRED_MAX];
	struct partials part[2];
};

struct dpi {
	struct dpi_opts o;
	char name[64];
	struct rule *rules;
	unsigned int nrules;
	struct pat *pats;
	unsigned int npats;
	char *targets[TARGETS_MAX];
	unsigned int ntargets;
	int target_ids[TARGETS_MAX]; /* service ids, set by dpi_nf_setup() */
	hs_database_t *db;
	hs_scratch_t *scratch;
	struct flow *flows;
	uint32_t *sigs; /* per entry: its key's hash (0: free), so a lookup reads one cache line */
	uint32_t bucket_mask;
	struct dpi_stats st;
	uint64_t last_report_ns;
	uint64_t reported_rx; /* rx + 1 at the last report */
};

/* What a Hyperscan callback needs. */
struct match_ctx {
	struct dpi *d;
	struct flow *f;
	unsigned int dir;
	uint64_t pkt_no;
	enum action worst; /* the strongest action fired on this packet */
	bool fired;
	int target;
};

/* ------------------------------------------------------------------------------------------ */
/* Rule parsing                                                                                 */

struct parser {
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 2, 3))) refuse(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, msg);
	return -EINVAL;
}

static char *
skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The next header token; a '[' list runs to its ']' and may hold spaces. */
static char *
next_token(char **cursor)
{
	char *s = skip_ws(*cursor), *start = s;
	int depth = 0;

	if (*s == '\0' || *s == '(')
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']')
			depth--;
		else if ((*s == ' ' || *s == '\t') && depth <= 0)
			break;
	}
	if (*s != '\0')
		*s++ = '\0';
	*cursor = s;
	return start;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > max)
		return -1;
	return 0;
}

static int
parse_cidr(struct parser *p, char *s, struct addr_item *it)
{
	char *slash = strchr(s, '/');
	unsigned long plen;
	int max;

	if (slash != NULL)
		*slash = '\0';
	memset(it, 0, sizeof(*it));
	if (inet_pton(AF_INET, s, it->a) == 1) {
		it->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, s, it->a) == 1) {
		it->family = 6;
		max = 128;
	} else {
		if (s[0] == '$')
			return refuse(p, "unsupported address variable '%s'", s);
		return refuse(p, "bad address '%s'", s);
	}
	plen = (unsigned long)max;
	if (slash != NULL && parse_uint(slash + 1, (unsigned long)max, &plen) < 0)
		return refuse(p, "bad prefix length '/%s'", slash + 1);
	it->plen = (uint8_t)plen;
	return 0;
}

/* The frame of an address or port list: "any" (1), else an optional '!' (*neg) and an optional
 * "[...]" around the items, which *s is left pointing at (0); -EINVAL for a '[' left open. */
static int
list_open(struct parser *p, char **s, bool *neg, const char *what)
{
	size_t n;

	if (strcmp(*s, "any") == 0)
		return 1;
	if (**s == '!') {
		*neg = true;
		(*s)++;
	}
	if (**s == '[') {
		n = strlen(*s);
		if (n < 2 || (*s)[n - 1] != ']')
			return refuse(p, "bad %s list '%s'", what, *s);
		(*s)[n - 1] = '\0';
		(*s)++;
	}
	return 0;
}

/* "any", "[!]addr[/len]" or "[!][a,b,...]" */
static int
parse_addrs(struct parser *p, char *s, struct addr_set *set)
{
	char *tok, *save = NULL;
	int ret;

	memset(set, 0, sizeof(*set));
	ret = list_open(p, &s, &set->neg, "address");
	if (ret != 0) {
		set->any = ret > 0;
		return ret > 0 ? 0 : ret;
	}
	for (tok = strtok_r(s, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		if (set->n == LIST_MAX)
			return refuse(p, "more than %d addresses in a list", LIST_MAX);
		if (tok[0] == '!' || tok[0] == '[')
			return refuse(p, "unsupported nested or negated list item '%s'", tok);
		if (parse_cidr(p, tok, &set->item[set->n]) < 0)
			return -EINVAL;
		set->n++;
	}
	if (set->n == 0)
		return refuse(p, "empty address list");
	return 0;
}

/* "any", "[!]N", "N:M", "N:", ":M" or "[!][...]" */
static int
parse_ports(struct parser *p, char *s, struct port_set *set)
{
	char *tok, *save = NULL;
	int ret;

	memset(set, 0, sizeof(*set));
	ret = list_open(p, &s, &set->neg, "port");
	if (ret != 0) {
		set->any = ret > 0;
		return ret > 0 ? 0 : ret;
	}
	for (tok = strtok_r(s, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save)) {
		char *colon = strchr(tok, ':');
		unsigned long lo = 0, hi = 65535;

		if (set->n == LIST_MAX)
			return refuse(p, "more than %d ports in a list", LIST_MAX);
		if (colon != NULL) {
			*colon = '\0';
			if ((tok[0] != '\0' && parse_uint(tok, 65535, &lo) < 0) ||
			    (colon[1] != '\0' && parse_uint(colon + 1, 65535, &hi) < 0) ||
			    (tok[0] == '\0' && colon[1] == '\0') || lo > hi)
				return refuse(p, "bad port range '%s:%s'", tok, colon + 1);
		} else {
			if (tok[0] == '$')
				return refuse(p, "unsupported port variable '%s'", tok);
			if (parse_uint(tok, 65535, &lo) < 0)
				return refuse(p, "bad port '%s'", tok);
			hi = lo;
		}
		set->lo[set->n] = (uint16_t)lo;
		set->hi[set->n] = (uint16_t)hi;
		set->n++;
	}
	if (set->n == 0)
		return refuse(p, "empty port list");
	return 0;
}

/* A quoted option value: unquote in place. Backslash escapes '"', ';', '\\' and ':' when
 * `keep_backslash` is false; for pcre only '"' and ';' lose theirs (the rest is regex syntax). */
static int
unquote(struct parser *p, const char *opt, char *v, bool keep_backslash, char **out)
{
	char *r, *w;
	size_t n = strlen(v);

	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return refuse(p, "%s: value must be quoted", opt);
	v[n - 1] = '\0';
	for (r = v + 1, w = v; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0') {
			if (r[1] == '"' || r[1] == ';' ||
			    (!keep_backslash && strchr("\\:|", r[1]))) {
				r++;
			} else if (!keep_backslash) {
				return refuse(p, "%s: unknown escape '\\%c'", opt, r[1]);
			}
		} else if (*r == '"') {
			return refuse(p, "%s: unescaped quote inside the value", opt);
		}
		*w++ = *r;
	}
	*w = '\0';
	*out = v;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A content string (quoted, with |hex| runs) into bytes; the |...| runs are decoded before the
 * escapes, so a backslash inside a hex run is an error. */
static int
parse_content(struct parser *p, char *v, uint8_t *buf, size_t *len)
{
	size_t n = strlen(v), i, o = 0;

	if (n > 0 && v[0] == '!')
		return refuse(p, "unsupported negated content");
	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return refuse(p, "content: value must be quoted");
	for (i = 1; i < n - 1; i++) {
		if (v[i] == '|') {
			for (i++; i < n - 1 && v[i] != '|'; i++) {
				int h, l;

				if (v[i] == ' ')
					continue;
				h = hexval((unsigned char)v[i]);
				l = i + 1 < n - 1 ? hexval((unsigned char)v[i + 1]) : -1;
				if (h < 0 || l < 0)
					return refuse(p, "content: bad hex byte in |...|");
				buf[o++] = (uint8_t)(h << 4 | l);
				i++;
			}
			if (i >= n - 1)
				return refuse(p, "content: unterminated |...|");
		} else if (v[i] == '\\') {
			if (i + 1 >= n - 1 || !strchr("\"\\;:|", v[i + 1]))
				return refuse(p, "content: bad escape");
			buf[o++] = (uint8_t)v[++i];
		} else if (v[i] == '"' || v[i] == ';') {
			return refuse(p, "content: unescaped '%c'", v[i]);
		} else {
			buf[o++] = (uint8_t)v[i];
		}
	}
	if (o == 0)
		return refuse(p, "content: empty");
	*len = o;
	return 0;
}

static int
add_pat(struct dpi *d, struct parser *p, struct rule *r, struct pat *pt)
{
	struct pat *np;

	if (r->npat == PATS_MAX)
		return refuse(p, "more than %d contents and pcres in one rule", PATS_MAX);
	np = realloc(d->pats, (d->npats + 1) * sizeof(*d->pats));
	if (np == NULL)
		return -ENOMEM;
	d->pats = np;
	pt->rule = d->nrules;
	pt->bit = r->npat++;
	d->pats[d->npats++] = *pt;
	return 0;
}

/* Split the option list "a:b; c; d:"x;y";" at unquoted, unescaped ';'. */
static char *
next_option(char **cursor)
{
	char *s = skip_ws(*cursor), *start = s;
	bool quoted = false;

	if (*s == '\0')
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (*s == ';' && !quoted)
			break;
	}
	if (*s == ';')
		*s++ = '\0';
	*cursor = s;
	return start;
}

static char *
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int
target_index(struct dpi *d, struct parser *p, const char *name)
{
	unsigned int i;

	if (name[0] == '\0' || strlen(name) > SDNFV_SERVICE_NAME_MAX)
		return refuse(p, "redirect: bad service name '%s'", name);
	for (i = 0; i < d->ntargets; i++)
		if (strcmp(d->targets[i], name) == 0)
			return (int)i;
	if (d->ntargets == TARGETS_MAX)
		return refuse(p, "more than %d redirect services", TARGETS_MAX);
	d->targets[d->ntargets] = strdup(name);
	if (d->targets[d->ntargets] == NULL)
		return -ENOMEM;
	return (int)d->ntargets++;
}

/* Finish the last content: its offset/depth become Hyperscan's min/max end offsets. */
static int
finish_content(struct parser *p, struct pat *pt)
{
	if (pt == NULL || !pt->is_content)
		return 0;
	if (pt->has_depth && pt->depth < pt->clen)
		return refuse(p, "depth %lu is shorter than the content (%zu bytes)", pt->depth,
			      pt->clen);
	if (pt->has_offset && pt->offset > 0) {
		pt->ext.flags |= HS_EXT_FLAG_MIN_OFFSET;
		pt->ext.min_offset = pt->offset + pt->clen;
	}
	if (pt->has_depth) {
		pt->ext.flags |= HS_EXT_FLAG_MAX_OFFSET;
		pt->ext.max_offset = (pt->has_offset ? pt->offset : 0) + pt->depth;
	}
	return 0;
}

static int
parse_rule(struct dpi *d, struct parser *p, char *line)
{
	char *cur = line, *tok[7], *opts, *opt;
	struct rule r;
	struct pat cur_pat;
	bool have_pat = false, have_msg = false, have_sid = false;
	char *redirect = NULL;
	unsigned int i, first_pat = d->npats;
	int ret;

/* Refuse the rule, freeing what it allocated. */
#define FAIL(...)                             \
	do {                                  \
		ret = refuse(p, __VA_ARGS__); \
		goto fail_ret;                \
	} while (0)
/* The pattern being read is complete: into the rule's list (which then owns its expr). */
#define FLUSH_PAT()                                                                             \
	do {                                                                                    \
		if (have_pat) {                                                                 \
			if (finish_content(p, &cur_pat) < 0 || add_pat(d, p, &r, &cur_pat) < 0) \
				goto fail;                                                      \
			have_pat = false;                                                       \
		}                                                                               \
	} while (0)
	memset(&r, 0, sizeof(r));
	r.line = p->line;
	r.target = -1;
	memset(&cur_pat, 0, sizeof(cur_pat));
	for (i = 0; i < 7; i++) {
		tok[i] = next_token(&cur);
		if (tok[i] == NULL)
			FAIL("rule header needs action proto src sport dir dst dport");
	}
	for (i = 0; i < RTE_DIM(action_names); i++)
		if (strcmp(tok[0], action_names[i]) == 0)
			break;
	if (i == RTE_DIM(action_names))
		FAIL("unsupported action '%s'", tok[0]);
	r.action = (enum action)i;
	if (strcmp(tok[1], "tcp") == 0)
		r.proto = IPPROTO_TCP;
	else if (strcmp(tok[1], "udp") == 0)
		r.proto = IPPROTO_UDP;
	else if (strcmp(tok[1], "icmp") == 0)
		r.proto = IPPROTO_ICMP;
	else if (strcmp(tok[1], "ip") == 0)
		r.proto = -1;
	else
		FAIL("unsupported protocol '%s'", tok[1]);
	if (parse_addrs(p, tok[2], &r.src) < 0 || parse_ports(p, tok[3], &r.sport) < 0 ||
	    parse_addrs(p, tok[5], &r.dst) < 0 || parse_ports(p, tok[6], &r.dport) < 0)
		goto fail;
	if ((r.proto != IPPROTO_TCP && r.proto != IPPROTO_UDP) && (!r.sport.any || !r.dport.any))
		FAIL("ports need protocol tcp or udp");
	if (strcmp(tok[4], "->") == 0)
		r.bidir = false;
	else if (strcmp(tok[4], "<>") == 0)
		r.bidir = true;
	else
		FAIL("bad direction '%s' (-> or <>)", tok[4]);

	cur = skip_ws(cur);
	opts = rtrim(cur);
	if (opts[0] != '(' || opts[strlen(opts) - 1] != ')')
		FAIL("options must be in ( ... ) at the end of the line");
	opts[strlen(opts) - 1] = '\0';
	opts++;

	while ((opt = next_option(&opts)) != NULL) {
		char *colon, *name, *val = NULL;

		opt = rtrim(opt);
		if (opt[0] == '\0')
			continue;
		name = opt;
		colon = strchr(opt, ':');
		if (colon != NULL) {
			*colon = '\0';
			val = skip_ws(colon + 1);
			rtrim(name);
		}
		if (strcmp(name, "msg") == 0 && val != NULL) {
			char *m;

			if (unquote(p, "msg", val, false, &m) < 0)
				goto fail;
			free(r.msg);
			r.msg = strdup(m);
			have_msg = true;
		} else if (strcmp(name, "sid") == 0 && val != NULL) {
			unsigned long v;

			if (parse_uint(val, UINT32_MAX, &v) < 0 || v == 0)
				FAIL("bad sid '%s'", val);
			r.sid = (uint32_t)v;
			have_sid = true;
		} else if (strcmp(name, "rev") == 0 && val != NULL) {
			unsigned long v;

			if (parse_uint(val, UINT32_MAX, &v) < 0)
				FAIL("bad rev '%s'", val);
		} else if ((strcmp(name, "classtype") == 0 || strcmp(name, "metadata") == 0 ||
			    strcmp(name, "reference") == 0) &&
			   val != NULL) {
			/* accepted and ignored (README) */
		} else if (strcmp(name, "redirect") == 0 && val != NULL) {
			redirect = val;
		} else if (strcmp(name, "content") == 0 && val != NULL) {
			uint8_t buf[LINE_MAX_LEN];
			size_t len = 0, k;
			char *expr;

			FLUSH_PAT();
			if (parse_content(p, val, buf, &len) < 0)
				goto fail;
			expr = malloc(len * 4 + 1);
			if (expr == NULL)
				goto nomem;
			for (k = 0; k < len; k++)
				sprintf(expr + k * 4, "\\x%02x", buf[k]);
			memset(&cur_pat, 0, sizeof(cur_pat));
			cur_pat.expr = expr;
			cur_pat.is_content = true;
			cur_pat.clen = len;
			cur_pat.flags = HS_FLAG_SINGLEMATCH;
			have_pat = true;
		} else if (strcmp(name, "nocase") == 0 && val == NULL) {
			if (!have_pat || !cur_pat.is_content)
				FAIL("nocase without a content before it");
			cur_pat.flags |= HS_FLAG_CASELESS;
		} else if ((strcmp(name, "offset") == 0 || strcmp(name, "depth") == 0) &&
			   val != NULL) {
			unsigned long v;

			if (!have_pat || !cur_pat.is_content)
				FAIL("%s without a content before it", name);
			if (parse_uint(val, 1u << 30, &v) < 0)
				FAIL("bad %s '%s'", name, val);
			if (name[0] == 'o') {
				cur_pat.offset = v;
				cur_pat.has_offset = true;
			} else {
				if (v == 0)
					FAIL("depth must be at least 1");
				cur_pat.depth = v;
				cur_pat.has_depth = true;
			}
		} else if (strcmp(name, "pcre") == 0 && val != NULL) {
			char *re, *slash, *f;
			size_t n;

			FLUSH_PAT();
			if (unquote(p, "pcre", val, true, &re) < 0)
				goto fail;
			n = strlen(re);
			slash = strrchr(re, '/');
			if (n < 2 || re[0] != '/' || slash == re)
				FAIL("pcre: expected \"/regex/flags\"");
			*slash = '\0';
			memset(&cur_pat, 0, sizeof(cur_pat));
			cur_pat.flags = HS_FLAG_SINGLEMATCH;
			for (f = slash + 1; *f != '\0'; f++) {
				if (*f == 'i')
					cur_pat.flags |= HS_FLAG_CASELESS;
				else if (*f == 's')
					cur_pat.flags |= HS_FLAG_DOTALL;
				else if (*f == 'm')
					cur_pat.flags |= HS_FLAG_MULTILINE;
				else
					FAIL("unsupported pcre flag '%c'", *f);
			}
			cur_pat.expr = strdup(re + 1);
			if (cur_pat.expr == NULL)
				goto nomem;
			have_pat = true;
		} else {
			ret = refuse(p, "unsupported option '%s'", name);
			goto fail_ret;
		}
	}
	FLUSH_PAT();
	if (!have_sid) {
		ret = refuse(p, "rule has no sid");
		goto fail_ret;
	}
	if (r.npat == 0) {
		ret = refuse(p,
			     "rule has no content or pcre (header-only rules are not supported)");
		goto fail_ret;
	}
	for (i = 0; i < d->nrules; i++)
		if (d->rules[i].sid == r.sid) {
			ret = refuse(p, "sid %u already used on line %u", r.sid, d->rules[i].line);
			goto fail_ret;
		}
	if ((r.action == ACT_REDIRECT) != (redirect != NULL)) {
		ret = refuse(p, r.action == ACT_REDIRECT ? "redirect rule needs redirect:<service>"
							 : "redirect: needs action redirect");
		goto fail_ret;
	}
	if (redirect != NULL) {
		r.target = target_index(d, p, redirect);
		if (r.target < 0) {
			ret = r.target;
			goto fail_ret;
		}
	}
	if (!have_msg)
		r.msg = strdup("");
	if (r.msg == NULL)
		goto nomem;
	r.full = r.npat == 32 ? UINT32_MAX : (1u << r.npat) - 1;
	{
		struct rule *nr = realloc(d->rules, (d->nrules + 1) * sizeof(*d->rules));

		if (nr == NULL)
			goto nomem;
		d->rules = nr;
		d->rules[d->nrules++] = r;
	}
	return 0;

nomem:
	ret = -ENOMEM;
	snprintf(p->err, p->errlen, "%s:%u: out of memory", p->file, p->line);
	goto fail_ret;
fail:
	ret = -EINVAL;
fail_ret:
	if (have_pat)
		free(cur_pat.expr);
	/* Patterns added for this rule go with it. */
	while (d->npats > first_pat)
		free(d->pats[--d->npats].expr);
	free(r.msg);
	return ret;
#undef FAIL
#undef FLUSH_PAT
}

static int
compile(struct dpi *d, struct parser *p)
{
	const char **exprs;
	unsigned int *flags, *ids, i;
	const hs_expr_ext_t **exts;
	hs_compile_error_t *cerr = NULL;
	int ret = 0;

	exprs = calloc(d->npats, sizeof(*exprs));
	flags = calloc(d->npats, sizeof(*flags));
	ids = calloc(d->npats, sizeof(*ids));
	exts = calloc(d->npats, sizeof(*exts));
	if (exprs == NULL || flags == NULL || ids == NULL || exts == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < d->npats; i++) {
		exprs[i] = d->pats[i].expr;
		flags[i] = d->pats[i].flags;
		ids[i] = i;
		exts[i] = d->pats[i].ext.flags ? &d->pats[i].ext : NULL;
	}
	if (hs_compile_ext_multi(exprs, flags, ids, exts, d->npats, HS_MODE_STREAM, NULL, &d->db,
				 &cerr) != HS_SUCCESS) {
		if (cerr->expression >= 0 && (unsigned int)cerr->expression < d->npats) {
			p->line = d->rules[d->pats[cerr->expression].rule].line;
			refuse(p, "Hyperscan refuses %s '%s': %s",
			       d->pats[cerr->expression].is_content ? "content" : "pcre",
			       d->pats[cerr->expression].expr, cerr->message);
		} else {
			snprintf(p->err, p->errlen, "%s: Hyperscan: %s", p->file, cerr->message);
		}
		hs_free_compile_error(cerr);
		ret = -EINVAL;
		goto out;
	}
	if (hs_alloc_scratch(d->db, &d->scratch) != HS_SUCCESS) {
		snprintf(p->err, p->errlen, "%s: Hyperscan cannot allocate scratch", p->file);
		ret = -ENOMEM;
	}
out:
	free(exprs);
	free(flags);
	free(ids);
	free(exts);
	return ret;
}

int
dpi_create_from_text(const char *text, const char *name, const struct dpi_opts *opts,
		     struct dpi **out, char *err, size_t errlen)
{
	struct parser p = { .file = name, .err = err, .errlen = errlen };
	struct dpi *d;
	const char *s = text;
	char *line;
	unsigned int flows;
	int ret = 0;

	if (opts == NULL || opts->sz < sizeof(*opts)) {
		snprintf(err, errlen, "%s: bad options", name);
		return -EINVAL;
	}
	/* Rounded up to a power of two, more than 2^31 would wrap to 0. */
	if (opts->flows > FLOWS_MAX) {
		snprintf(err, errlen, "%s: %u flows: at most %u", name, opts->flows, FLOWS_MAX);
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	line = malloc(LINE_MAX_LEN);
	if (d == NULL || line == NULL) {
		free(d);
		free(line);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	d->o = *opts;
	snprintf(d->name, sizeof(d->name), "%s", opts->service ? opts->service : "dpi");
	if (d->o.idle_ns == 0)
		d->o.idle_ns = 60ull * 1000000000ull;
	while (*s != '\0' && ret == 0) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char *l;

		p.line++;
		if (n >= LINE_MAX_LEN) {
			ret = refuse(&p, "line longer than %d bytes", LINE_MAX_LEN - 1);
			break;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		s += n + (nl ? 1 : 0);
		l = skip_ws(rtrim(line));
		if (l[0] == '\0' || l[0] == '#')
			continue;
		ret = parse_rule(d, &p, l);
	}
	free(line);
	if (ret == 0 && d->nrules == 0) {
		snprintf(err, errlen, "%s: no rules", name);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = compile(d, &p);
	if (ret == 0) {
		flows = opts->flows ? opts->flows : 16384;
		if (flows < BUCKET_SLOTS)
			flows = BUCKET_SLOTS;
		flows = rte_align32pow2(flows);
		d->bucket_mask = flows / BUCKET_SLOTS - 1;
		d->flows = calloc(flows, sizeof(*d->flows));
		d->sigs = aligned_alloc(64, RTE_ALIGN_CEIL(flows * sizeof(*d->sigs), 64));
		if (d->sigs != NULL)
			memset(d->sigs, 0, flows * sizeof(*d->sigs));
		if (d->flows == NULL || d->sigs == NULL) {
			snprintf(err, errlen, "%s: out of memory for %u flows", name, flows);
			ret = -ENOMEM;
		}
	}
	if (ret < 0) {
		dpi_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

int
dpi_create(const char *path, const struct dpi_opts *opts, struct dpi **out, char *err,
	   size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t cap = 0, len = 0, n;
	int ret;

	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	do {
		if (len + 4096 + 1 > cap) {
			char *nt = realloc(text, cap = cap * 2 + 8192);

			if (nt == NULL) {
				free(text);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -ENOMEM;
			}
			text = nt;
		}
		n = fread(text + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	text[len] = '\0';
	if (strlen(text) != len) {
		/* The line of the first NUL byte: one more than the newlines before it. */
		unsigned int line = 1;
		size_t i, nul = strlen(text);

		for (i = 0; i < nul; i++)
			line += text[i] == '\n';
		free(text);
		snprintf(err, errlen, "%s:%u: contains a NUL byte", path, line);
		return -EINVAL;
	}
	ret = dpi_create_from_text(text, path, opts, out, err, errlen);
	free(text);
	return ret;
}

void
dpi_free(struct dpi *d)
{
	unsigned int i;

	if (d == NULL)
		return;
	if (d->flows != NULL) {
		for (i = 0; i <= d->bucket_mask * BUCKET_SLOTS + BUCKET_SLOTS - 1; i++) {
			if (d->flows[i].hs[0] != NULL)
				hs_close_stream(d->flows[i].hs[0], NULL, NULL, NULL);
			if (d->flows[i].hs[1] != NULL)
				hs_close_stream(d->flows[i].hs[1], NULL, NULL, NULL);
		}
		free(d->flows);
	}
	free(d->sigs);
	for (i = 0; i < d->nrules; i++)
		free(d->rules[i].msg);
	for (i = 0; i < d->npats; i++)
		free(d->pats[i].expr);
	for (i = 0; i < d->ntargets; i++)
		free(d->targets[i]);
	free(d->rules);
	free(d->pats);
	hs_free_scratch(d->scratch);
	hs_free_database(d->db);
	free(d);
}

/* ------------------------------------------------------------------------------------------ */
/* Matching                                                                                     */

static bool
addr_in(const struct addr_item *it, uint8_t family, const uint8_t *a)
{
	unsigned int full = it->plen / 8, rest = it->plen % 8;

	if ((it->family == 4) != (family == SDNFV_PKT_L3_IPV4))
		return false;
	if (memcmp(it->a, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((it->a[full] ^ a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool
addrs_match(const struct addr_set *s, uint8_t family, const union sdnfv_pkt_addr *a)
{
	unsigned int i;

	if (s->any)
		return true;
	for (i = 0; i < s->n; i++)
		if (addr_in(&s->item[i], family, a->v6))
			return !s->neg;
	return s->neg;
}

static bool
ports_match(const struct port_set *s, rte_be16_t port)
{
	uint16_t p = rte_be_to_cpu_16(port);
	unsigned int i;

	if (s->any)
		return true;
	for (i = 0; i < s->n; i++)
		if (p >= s->lo[i] && p <= s->hi[i])
			return !s->neg;
	return s->neg;
}

/* The packet's direction as (src, sport) -> (dst, dport). */
static void
directed(const struct flow *f, unsigned int dir, const union sdnfv_pkt_addr **src,
	 rte_be16_t *sport, const union sdnfv_pkt_addr **dst, rte_be16_t *dport)
{
	if (dir == 0) {
		*src = &f->key.src, *dst = &f->key.dst;
		*sport = f->key.sport, *dport = f->key.dport;
	} else {
		*src = &f->key.dst, *dst = &f->key.src;
		*sport = f->key.dport, *dport = f->key.sport;
	}
}

static bool
header_match(const struct rule *r, const struct flow *f, unsigned int dir)
{
	const union sdnfv_pkt_addr *src, *dst;
	rte_be16_t sport, dport;
	uint8_t proto = f->key.proto;

	if (r->proto == IPPROTO_ICMP) {
		if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
			return false;
	} else if (r->proto >= 0 && proto != r->proto) {
		return false;
	}
	directed(f, dir, &src, &sport, &dst, &dport);
	if (addrs_match(&r->src, f->key.family, src) && ports_match(&r->sport, sport) &&
	    addrs_match(&r->dst, f->key.family, dst) && ports_match(&r->dport, dport))
		return true;
	return r->bidir && addrs_match(&r->src, f->key.family, dst) &&
	       ports_match(&r->sport, dport) && addrs_match(&r->dst, f->key.family, src) &&
	       ports_match(&r->dport, sport);
}

static void
format_addr(char *buf, size_t len, uint8_t family, const union sdnfv_pkt_addr *a)
{
	inet_ntop(family == SDNFV_PKT_L3_IPV4 ? AF_INET : AF_INET6, a->v6, buf, (socklen_t)len);
}

static void
fire(struct match_ctx *mc, unsigned int ri, unsigned long long to)
{
	struct dpi *d = mc->d;
	struct rule *r = &d->rules[ri];
	struct flow *f = mc->f;
	const union sdnfv_pkt_addr *src, *dst;
	rte_be16_t sport, dport;
	char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < f->nfired; i++)
		if (f->fired[i] == ri)
			return;
	if (f->nfired < FIRED_MAX)
		f->fired[f->nfired++] = ri;
	r->hits++;
	d->st.alerts++;
	if (!mc->fired || r->action > mc->worst) {
		mc->worst = r->action;
		mc->target = r->target;
	}
	mc->fired = true;
	if (d->o.quiet && d->o.alerts == NULL)
		return;
	directed(f, mc->dir, &src, &sport, &dst, &dport);
	format_addr(s, sizeof(s), f->key.family, src);
	format_addr(t, sizeof(t), f->key.family, dst);
	if (!d->o.quiet && r->action != ACT_PASS)
		fprintf(d->o.log ? d->o.log : stdout,
			"%s: alert sid %u \"%s\" action %s proto %u %s%s%s:%u -> %s%s%s:%u\n",
			d->name, r->sid, r->msg, action_names[r->action], f->key.proto,
			f->key.family == 6 ? "[" : "", s, f->key.family == 6 ? "]" : "",
			rte_be_to_cpu_16(sport), f->key.family == 6 ? "[" : "", t,
			f->key.family == 6 ? "]" : "", rte_be_to_cpu_16(dport));
	if (d->o.alerts != NULL)
		fprintf(d->o.alerts,
			"pkt %" PRIu64 " sid %u action %s proto %u src %s sport %u dst %s dport %u "
			"offset %llu\n",
			mc->pkt_no, r->sid, action_names[r->action], f->key.proto, s,
			rte_be_to_cpu_16(sport), t, rte_be_to_cpu_16(dport), to);
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	 void *ctx)
{
	struct match_ctx *mc = ctx;
	const struct pat *pt = &mc->d->pats[id];
	const struct rule *r = &mc->d->rules[pt->rule];
	struct partials *dr = &mc->f->part[mc->dir];
	unsigned int i;

	(void)from;
	(void)flags;
	if (!header_match(r, mc->f, mc->dir))
		return 0;
	if (r->npat > 1) {
		for (i = 0; i < dr->npart; i++)
			if (dr->part[i].rule == pt->rule)
				break;
		if (i == dr->npart) {
			if (dr->npart == PARTIAL_MAX) {
				mc->d->st.partial_full++;
				return 0;
			}
			dr->part[dr->npart].rule = pt->rule;
			dr->part[dr->npart++].mask = 0;
		}
		dr->part[i].mask |= 1u << pt->bit;
		if (dr->part[i].mask != r->full)
			return 0;
	}
	fire(mc, pt->rule, to);
	return 0;
}

/* End one direction's stream (reporting end-of-data matches as alerts) and forget its TCP
 * state and partial matches: the next byte scanned is at offset 0 of a new stream. */
static void
dir_end(struct dpi *d, struct flow *f, unsigned int dir, uint64_t pkt_no)
{
	struct match_ctx mc = { .d = d, .f = f, .dir = dir, .pkt_no = pkt_no };
	bool live = f->used && !f->dropped && !f->passed && !f->dir[dir].stopped;

	if (f->hs[dir] != NULL && hs_reset_stream(f->hs[dir], 0, live ? d->scratch : NULL,
						  live ? on_match : NULL, &mc) != HS_SUCCESS)
		d->st.hs_errors++;
	memset(&f->dir[dir], 0, sizeof(f->dir[dir]));
	memset(&f->part[dir], 0, sizeof(f->part[dir]));
}

/*
 * A SYN in a direction whose sequence is already known, other than a retransmission of the SYN
 * that started it, starts a new connection on the same 5-tuple (a port reused within the idle
 * timeout): its bytes would otherwise be compared with the old connection's sequence numbers
 * and streamed after the old bytes. A SYN without ACK (the client's) ends both directions and
 * the per-connection state (fired sids, pass); a SYN-ACK ends only its own direction. A flow
 * dropped or redirected stays so.
 */
static void
tcp_new_connection(struct dpi *d, struct flow *f, unsigned int dir, const struct rte_tcp_hdr *th,
		   uint64_t pkt_no)
{
	const struct dir *dr = &f->dir[dir];
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);

	if (!(th->tcp_flags & RTE_TCP_SYN_FLAG) || !dr->seq_known ||
	    (dr->syn_seen && dr->isn == seq))
		return;
	d->st.tcp_restarts++;
	if (th->tcp_flags & RTE_TCP_ACK_FLAG) {
		dir_end(d, f, dir, pkt_no);
		return;
	}
	dir_end(d, f, 0, pkt_no);
	dir_end(d, f, 1, pkt_no);
	f->nfired = 0;
	f->passed = false;
}

/* End a flow's streams (reporting end-of-data matches as alerts) before its entry is reused. */
static void
flow_end(struct dpi *d, struct flow *f, uint64_t pkt_no)
{
	dir_end(d, f, 0, pkt_no);
	dir_end(d, f, 1, pkt_no);
	f->used = false;
	d->sigs[f - d->flows] = 0;
}

static inline bool
key_eq(const struct sdnfv_pkt_key *a, const struct sdnfv_pkt_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* The flow of a key, or NULL; a hit counts as activity (the entry cannot be replaced now). */
static inline struct flow *
flow_find(struct dpi *d, const struct sdnfv_pkt_key *key, uint32_t h, uint64_t now_ns)
{
	uint32_t sig = h ? h : 1, b = h & d->bucket_mask;
	struct flow *slots = &d->flows[(size_t)b * BUCKET_SLOTS];
	const uint32_t *sigs = &d->sigs[(size_t)b * BUCKET_SLOTS];
	unsigned int i;

	for (i = 0; i < BUCKET_SLOTS; i++) {
		if (sigs[i] == sig && key_eq(&slots[i].key, key)) {
			slots[i].last_ns = now_ns;
			return &slots[i];
		}
	}
	return NULL;
}

/* The flow of a key, created when new (NULL when its bucket is full of live flows). */
static struct flow *
flow_get(struct dpi *d, const struct sdnfv_pkt_key *key, uint32_t h, uint64_t now_ns,
	 uint64_t pkt_no)
{
	uint32_t sig = h ? h : 1, b = h & d->bucket_mask;
	struct flow *slots = &d->flows[(size_t)b * BUCKET_SLOTS], *victim = NULL, *f;
	uint32_t *sigs = &d->sigs[(size_t)b * BUCKET_SLOTS];
	unsigned int i;

	f = flow_find(d, key, h, now_ns);
	if (f != NULL)
		return f;
	for (i = 0; i < BUCKET_SLOTS; i++) {
		f = &slots[i];
		if (!f->used) {
			if (victim == NULL || victim->used)
				victim = f;
		} else if (now_ns - f->last_ns >= d->o.idle_ns &&
			   (victim == NULL || (victim->used && f->last_ns < victim->last_ns))) {
			victim = f;
		}
	}
	if (victim == NULL)
		return NULL;
	f = victim;
	if (f->used)
		flow_end(d, f, pkt_no);
	for (i = 0; i < 2; i++)
		if (f->hs[i] == NULL && hs_open_stream(d->db, 0, &f->hs[i]) != HS_SUCCESS) {
			d->st.hs_errors++;
			return NULL;
		}
	f->key = *key;
	f->last_ns = now_ns;
	f->used = true;
	sigs[f - slots] = sig;
	f->dropped = false;
	f->passed = false;
	f->target = -1;
	f->nfired = 0;
	f->tag = 0;
	memset(f->dir, 0, sizeof(f->dir));
	memset(f->part, 0, sizeof(f->part));
	d->st.flows++;
	return f;
}

/* A packet between the burst's phases. */
struct prep {
	struct sdnfv_pkt_info info;
	struct sdnfv_pkt_key key;
	uint32_t hash;
	unsigned int dir;
	struct flow *f;
};

/* Parse, key and hash; false (counted) for a packet that is not inspected. */
static inline bool
prepare(struct dpi *d, const void *frame, uint32_t len, struct prep *p)
{
	d->st.rx++;
	if (sdnfv_pkt_parse(frame, len, &p->info) < 0) {
		d->st.malformed++;
		return false;
	}
	if (!(p->info.flags & SDNFV_PKT_F_L3)) {
		d->st.not_ip++;
		return false;
	}
	if (p->info.flags & SDNFV_PKT_F_FRAG) {
		d->st.fragments++;
		return false;
	}
	if (sdnfv_pkt_key_build(frame, &p->info, &p->key) < 0) {
		d->st.not_ip++;
		return false;
	}
	p->dir = (unsigned int)sdnfv_pkt_key_symmetric(&p->key);
	p->hash = sdnfv_pkt_key_hash(&p->key, 0);
	return true;
}

static inline void
out_init(struct dpi_out *out)
{
	out->first = false;
	out->tag = NULL;
	out->target = 0;
}

/* Stream the payload into the flow's direction and apply what fired. */
static enum dpi_verdict
finish(struct dpi *d, const void *frame, const struct prep *p, struct flow *f, uint64_t pkt_no,
       struct dpi_out *out)
{
	const struct sdnfv_pkt_info info = p->info;
	unsigned int dir = p->dir;
	const uint8_t *payload;
	uint32_t plen;

	if (f == NULL) {
		d->st.not_inspected++;
		return DPI_NEXT;
	}
	out->tag = &f->tag;
	if (f->dropped) {
		d->st.dropped++;
		return DPI_DROP;
	}
	if (info.l4_proto == IPPROTO_TCP && (info.flags & SDNFV_PKT_F_L4))
		tcp_new_connection(
			d, f, dir,
			(const struct rte_tcp_hdr *)((const uint8_t *)frame + info.l4_off), pkt_no);
	if (!f->passed && !f->dir[dir].stopped) {
		struct dir *dr = &f->dir[dir];

		payload = (const uint8_t *)frame + info.payload_off;
		plen = info.l3_end > info.payload_off ? info.l3_end - info.payload_off : 0;
		if (info.l4_proto == IPPROTO_TCP && (info.flags & SDNFV_PKT_F_L4)) {
			const struct rte_tcp_hdr *th =
				(const struct rte_tcp_hdr *)((const uint8_t *)frame + info.l4_off);
			uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
			int32_t diff;

			if (!dr->seq_known && (th->tcp_flags & RTE_TCP_SYN_FLAG)) {
				dr->isn = seq;
				dr->syn_seen = true;
			}
			if (th->tcp_flags & RTE_TCP_SYN_FLAG)
				seq++; /* data of a SYN starts after it */
			if (!dr->seq_known) {
				dr->next_seq = seq;
				dr->seq_known = true;
			}
			diff = (int32_t)(seq - dr->next_seq);
			if (diff > 0) {
				/* Bytes missing: no out-of-order buffering, the direction stops. */
				if (plen > 0) {
					dr->stopped = true;
					d->st.tcp_gaps++;
				}
				plen = 0;
			} else if (diff < 0) {
				/* A retransmission or overlap: only the new bytes go on. */
				uint32_t old = dr->next_seq - seq;

				if (old >= plen) {
					plen = 0;
				} else {
					payload += old;
					plen -= old;
				}
			}
			dr->next_seq += plen;
		}
		if (plen > 0) {
			struct match_ctx mc = { .d = d, .f = f, .dir = dir, .pkt_no = pkt_no };

			d->st.inspected++;
			d->st.bytes += plen;
			if (hs_scan_stream(f->hs[dir], (const char *)payload, plen, 0, d->scratch,
					   on_match, &mc) != HS_SUCCESS)
				d->st.hs_errors++;
			if (mc.fired) {
				switch (mc.worst) {
				case ACT_DROP:
					f->dropped = true;
					break;
				case ACT_PASS:
					f->passed = true;
					break;
				case ACT_REDIRECT:
					if (f->target < 0) {
						f->target = (int16_t)mc.target;
						out->first = true;
					}
					break;
				case ACT_ALERT:
					break;
				}
			}
		}
	}
	if (f->dropped) {
		d->st.dropped++;
		return DPI_DROP;
	}
	if (f->target >= 0) {
		d->st.redirected++;
		out->target = (unsigned int)f->target;
		return DPI_REDIRECT;
	}
	return DPI_NEXT;
}

enum dpi_verdict
dpi_inspect(struct dpi *d, const void *frame, uint32_t len, uint64_t now_ns, uint64_t pkt_no,
	    struct dpi_out *out)
{
	struct prep p;

	out_init(out);
	if (!prepare(d, frame, len, &p))
		return DPI_NEXT;
	return finish(d, frame, &p, flow_get(d, &p.key, p.hash, now_ns, pkt_no), pkt_no, out);
}

void
dpi_inspect_burst(struct dpi *d, const void *const *frames, const uint32_t *lens, unsigned int n,
		  uint64_t now_ns, uint64_t pkt_no, enum dpi_verdict *verdicts,
		  struct dpi_out *outs)
{
	struct prep p[SDNFV_NF_BURST_MAX];
	bool ok[SDNFV_NF_BURST_MAX];
	unsigned int i;

	/* Passes so that the flow table's cache misses overlap (perf on bench_dpi, 64-byte frames:
	 * the loads of the bucket's signatures and of the entry's key were most of the time spent
	 * outside Hyperscan): hash and prefetch the buckets; find the signatures and prefetch the
	 * entries; compare keys; then stream. */
	n = RTE_MIN(n, (unsigned int)SDNFV_NF_BURST_MAX);
	for (i = 0; i < n; i++) {
		out_init(&outs[i]);
		ok[i] = prepare(d, frames[i], lens[i], &p[i]);
		if (ok[i])
			rte_prefetch0(
				&d->sigs[(size_t)(p[i].hash & d->bucket_mask) * BUCKET_SLOTS]);
	}
	for (i = 0; i < n; i++) {
		uint32_t sig = p[i].hash ? p[i].hash : 1, b = p[i].hash & d->bucket_mask;
		const uint32_t *sigs = &d->sigs[(size_t)b * BUCKET_SLOTS];
		unsigned int k;

		p[i].f = NULL;
		if (!ok[i])
			continue;
		for (k = 0; k < BUCKET_SLOTS; k++)
			if (sigs[k] == sig) {
				p[i].f = &d->flows[(size_t)b * BUCKET_SLOTS + k];
				rte_prefetch0(p[i].f);
				rte_prefetch0((const char *)p[i].f + 64);
				break;
			}
	}
	for (i = 0; i < n; i++) {
		/* A signature is a guess; the key decides. */
		if (ok[i] && (p[i].f == NULL || !key_eq(&p[i].f->key, &p[i].key)))
			p[i].f = flow_find(d, &p[i].key, p[i].hash, now_ns);
		else if (ok[i])
			p[i].f->last_ns = now_ns;
	}
	for (i = 0; i < n; i++) {
		struct flow *f;

		if (!ok[i]) {
			verdicts[i] = DPI_NEXT;
			continue;
		}
		/* A flow new in this burst may have been created by an earlier packet. */
		f = p[i].f ? p[i].f : flow_get(d, &p[i].key, p[i].hash, now_ns, pkt_no + i);
		verdicts[i] = finish(d, frames[i], &p[i], f, pkt_no + i, &outs[i]);
	}
}

void
dpi_flush(struct dpi *d)
{
	size_t i, n = ((size_t)d->bucket_mask + 1) * BUCKET_SLOTS;

	for (i = 0; i < n; i++)
		if (d->flows[i].used)
			flow_end(d, &d->flows[i], 0);
}

unsigned int
dpi_targets(const struct dpi *d)
{
	return d->ntargets;
}

const char *
dpi_target_name(const struct dpi *d, unsigned int i)
{
	return i < d->ntargets ? d->targets[i] : NULL;
}

void
dpi_stats(const struct dpi *d, struct dpi_stats *out)
{
	*out = d->st;
}

unsigned int
dpi_rules(const struct dpi *d)
{
	return d->nrules;
}

void
dpi_rule_info(const struct dpi *d, unsigned int i, uint32_t *sid, const char **msg, uint64_t *hits)
{
	*sid = d->rules[i].sid;
	*msg = d->rules[i].msg;
	*hits = d->rules[i].hits;
}

const void *
dpi_hs_database(const struct dpi *d)
{
	return d->db;
}

void
dpi_summary(const struct dpi *d, FILE *f)
{
	const struct dpi_stats *s = &d->st;
	unsigned int i;

	fprintf(f,
		"%s: summary rx %" PRIu64 " inspected %" PRIu64 " bytes %" PRIu64 " alerts %" PRIu64
		" dropped %" PRIu64 " redirected %" PRIu64 " malformed %" PRIu64 " flows %" PRIu64
		" not_inspected %" PRIu64 " not_ip %" PRIu64 " fragments %" PRIu64
		" tcp_gaps %" PRIu64 " partial_full %" PRIu64 " path_requests %" PRIu64
		" path_failed %" PRIu64 " hs_errors %" PRIu64 " tcp_restarts %" PRIu64 "\n",
		d->name, s->rx, s->inspected, s->bytes, s->alerts, s->dropped, s->redirected,
		s->malformed, s->flows, s->not_inspected, s->not_ip, s->fragments, s->tcp_gaps,
		s->partial_full, s->path_requests, s->path_failed, s->hs_errors, s->tcp_restarts);
	for (i = 0; i < d->nrules; i++)
		fprintf(f, "%s: sid %u hits %" PRIu64 " action %s \"%s\"\n", d->name,
			d->rules[i].sid, d->rules[i].hits, action_names[d->rules[i].action],
			d->rules[i].msg);
}

/* ------------------------------------------------------------------------------------------ */
/* NF handlers                                                                                  */

int
dpi_nf_setup(struct sdnfv_nf *nf, void *arg)
{
	struct dpi *d = arg;
	unsigned int i;

	for (i = 0; i < d->ntargets; i++) {
		d->target_ids[i] = sdnfv_nf_service_id(nf, d->targets[i]);
		if (d->target_ids[i] < 0) {
			fprintf(stderr, "%s: the host has no service '%s' (a redirect target)\n",
				d->name, d->targets[i]);
			return d->target_ids[i];
		}
	}
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
dpi_nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct dpi *d = arg;
	const void *frames[SDNFV_NF_BURST_MAX];
	uint32_t lens[SDNFV_NF_BURST_MAX];
	struct rte_mbuf *ms[SDNFV_NF_BURST_MAX];
	enum dpi_verdict v[SDNFV_NF_BURST_MAX];
	struct dpi_out out[SDNFV_NF_BURST_MAX];
	uint64_t now = now_ns();
	unsigned int i, k = 0;

	for (i = 0; i < n && i < SDNFV_NF_BURST_MAX; i++) {
		if (pkts[i]->nb_segs > 1) {
			/* The engine needs the frame contiguous; chained mbufs pass uninspected. */
			d->st.rx++;
			d->st.not_inspected++;
			continue;
		}
		ms[k] = pkts[i];
		frames[k] = rte_pktmbuf_mtod(pkts[i], const void *);
		lens[k++] = rte_pktmbuf_data_len(pkts[i]);
	}
	dpi_inspect_burst(d, frames, lens, k, now, d->st.rx + 1, v, out);
	for (i = 0; i < k; i++) {
		struct rte_mbuf *m = ms[i];
		struct sdnfv_meta *meta;
		uint16_t svc;

		if (v[i] == DPI_NEXT)
			continue;
		if (v[i] == DPI_DROP) {
			sdnfv_nf_drop(m);
			continue;
		}
		meta = sdnfv_meta_get(m);
		svc = (uint16_t)d->target_ids[out[i].target];
		if (out[i].first) {
			/* Ask the manager to move the rest of the flow; remember the chain the flow
			 * is on so that we know when the change has taken effect. */
			*out[i].tag = (uint32_t)meta->chain + 1;
			if (sdnfv_nf_path_change(nf, m, SDNFV_PATH_REDIRECT, svc) == 0)
				d->st.path_requests++;
			else
				d->st.path_failed++;
		}
		/* Until the manager applied the change, the packet still follows the old chain:
		 * send it to the service ourselves, so the rest of the flow goes there from the
		 * packet that fired the rule on. After, the next hop is that service. */
		if (*out[i].tag == (uint32_t)meta->chain + 1)
			sdnfv_nf_to_service(m, svc);
	}
}

static void
report(struct sdnfv_nf *nf, struct dpi *d)
{
	char line[128];
	int n;

	n = snprintf(line, sizeof(line),
		     "%s: rx %" PRIu64 " alerts %" PRIu64 " dropped %" PRIu64 " redirected %" PRIu64
		     " malformed %" PRIu64,
		     d->name, d->st.rx, d->st.alerts, d->st.dropped, d->st.redirected,
		     d->st.malformed);
	if (n > 0 && sdnfv_nf_report(nf, line, (size_t)RTE_MIN(n, 127)) == 0)
		d->reported_rx = d->st.rx + 1;
}

void
dpi_nf_idle(struct sdnfv_nf *nf, uint64_t now, void *arg)
{
	struct dpi *d = arg;

	/* A state report for telemetry at most every 200 ms, and only when something changed. */
	if (now - d->last_report_ns < 200000000ull || d->reported_rx == d->st.rx + 1)
		return;
	d->last_report_ns = now;
	report(nf, d);
}

void
dpi_nf_teardown(struct sdnfv_nf *nf, void *arg)
{
	struct dpi *d = arg;

	dpi_flush(d);
	report(nf, d);
}

const struct sdnfv_nf_ops dpi_nf_ops = {
	.sz = sizeof(struct sdnfv_nf_ops),
	.setup = dpi_nf_setup,
	.handle = dpi_nf_handle,
	.idle = dpi_nf_idle,
	.teardown = dpi_nf_teardown,
};
