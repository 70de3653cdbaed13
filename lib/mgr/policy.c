/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host manager's policy file (the format is described in policy.h), read with libyaml's
 * document API: the whole file becomes a tree of nodes that know their position, then one walk
 * per section checks it and builds the policy. libyaml checks the syntax only; everything else
 * (unknown and repeated keys, kinds of values, names, ranges) is checked here, and every refusal
 * names the line and column of the node at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "common/log.h"
#include "policy.h"

SDNFV_LOG_REGISTER(mgr);

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

struct ctx {
	const char *name; /* the file, for messages */
	const char *text;
	size_t len;
	yaml_document_t *doc;
	struct sdnfv_policy *p;
	char *err;
	size_t errlen;
};

/* Write "<name>:<line>:<col>: <reason>" to the caller's buffer and the log; return -EINVAL. */
static int __rte_format_printf(4, 5)
	fail_at(struct ctx *c, size_t line, size_t col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	n = snprintf(msg, sizeof(msg), "%s:%zu:%zu: ", c->name, line, col);
	if (n > 0 && (size_t)n < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
		va_end(ap);
	}
	SDNFV_LOG(mgr, ERR, "%s", msg);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s", msg);
	return -EINVAL;
}

/* The same at the start of a node (libyaml's marks count from 0). */
#define fail(c, node, ...) \
	fail_at((c), (node)->start_mark.line + 1, (node)->start_mark.column + 1, __VA_ARGS__)

static int
out_of_memory(struct ctx *c)
{
	SDNFV_LOG(mgr, ERR, "%s: out of memory", c->name);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	return -ENOMEM;
}

/* Text from the file as it may appear in a message: at most 40 characters, no control ones. */
static const char *
shown(const char *s, char *buf)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 40; i++)
		buf[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (s[i] != '\0' && i >= 3)
		memcpy(buf + i - 3, "...", 3);
	buf[i] = '\0';
	return buf;
}
#define SHOW(s) shown((s), (char[48]){ 0 })

static yaml_node_t *
node(struct ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *
kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "scalar";
	case YAML_SEQUENCE_NODE:
		return "sequence";
	case YAML_MAPPING_NODE:
		return "mapping";
	default:
		return "nothing";
	}
}

/* A scalar's text. libyaml keeps a NUL after it, but a "\0" escape could put one inside, which
 * would make the C string say less than the file: refused. */
static int
get_scalar(struct ctx *c, const yaml_node_t *n, const char *what, const char **s)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, "%s: expected a scalar, not a %s", what, kind(n));
	*s = (const char *)n->data.scalar.value;
	if (strlen(*s) != n->data.scalar.length)
		return fail(c, n, "%s: contains a NUL character", what);
	return 0;
}

static const char *
key_of(struct ctx *c, const yaml_node_pair_t *pr)
{
	return (const char *)node(c, pr->key)->data.scalar.value;
}

/* A mapping whose keys are scalars, each given once, each one of `allowed` (NULL-terminated; NULL
 * for names the caller checks). libyaml accepts repeated keys, so they are caught here. */
static int
check_mapping(struct ctx *c, const yaml_node_t *n, const char *what, const char *const *allowed)
{
	const yaml_node_pair_t *pr, *q;
	const char *s;
	int ret;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping ({} for none), not a %s", what, kind(n));
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = node(c, pr->key);

		ret = get_scalar(c, k, what, &s);
		if (ret != 0)
			return ret;
		if (allowed != NULL) {
			char known[128] = "";
			unsigned int i;

			for (i = 0; allowed[i] != NULL && strcmp(allowed[i], s) != 0; i++) {
				strncat(known, i > 0 ? ", " : "",
					sizeof(known) - strlen(known) - 1);
				strncat(known, allowed[i], sizeof(known) - strlen(known) - 1);
			}
			if (allowed[i] == NULL)
				return fail(c, k, "%s: unknown key '%s' (known: %s)", what, SHOW(s),
					    known);
		}
		for (q = n->data.mapping.pairs.start; q < pr; q++)
			if (strcmp(key_of(c, q), s) == 0)
				return fail(c, k, "%s: '%s' given twice (first on line %zu)", what,
					    SHOW(s), node(c, q->key)->start_mark.line + 1);
	}
	return 0;
}

/* The value of `key` in a mapping check_mapping() accepted; NULL when absent. */
static yaml_node_t *
get_value(struct ctx *c, const yaml_node_t *n, const char *key)
{
	const yaml_node_pair_t *pr;

	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++)
		if (strcmp(key_of(c, pr), key) == 0)
			return node(c, pr->value);
	return NULL;
}

/* Decimal (or, with `hex`, 0x hexadecimal), nothing before or after, at most `max`. */
static int
get_number(struct ctx *c, const yaml_node_t *n, const char *what, uint64_t max, bool hex,
	   uint64_t *out)
{
	unsigned long long v;
	const char *s, *digits;
	char *end;
	int base = 10, ret;

	ret = get_scalar(c, n, what, &s);
	if (ret != 0)
		return ret;
	digits = s;
	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	}
	/* strtoull would take a sign or leading blanks: only digits may start the number. */
	if (!(base == 16 ? isxdigit((unsigned char)digits[0]) : isdigit((unsigned char)digits[0])))
		goto bad;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return fail(c, n, "%s: '%s' is not a number from 0 to %" PRIu64 "%s", what, SHOW(s), max,
		    hex ? " (decimal or 0x hex)" : "");
}

static int
get_bool(struct ctx *c, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s;
	int ret = get_scalar(c, n, what, &s);

	if (ret != 0)
		return ret;
	if (strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0)
		*out = false;
	else
		return fail(c, n, "%s: '%s' is not true or false", what, SHOW(s));
	return 0;
}

static int
check_name(struct ctx *c, const yaml_node_t *n, const char *kind_, const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SDNFV_SERVICE_NAME_MAX)
		return fail(c, n, "%s name '%s' must have 1 to %d characters", kind_, SHOW(s),
			    SDNFV_SERVICE_NAME_MAX);
	if (strspn(s, NAME_CHARS) != len)
		return fail(c, n, "%s name '%s' may hold only letters, digits, '_', '.' and '-'",
			    kind_, SHOW(s));
	return 0;
}

static int
find_service(const struct sdnfv_policy *p, const char *s)
{
	unsigned int i;

	for (i = 0; i < p->n_services; i++)
		if (strcmp(p->services[i].name, s) == 0)
			return (int)i;
	return -1;
}

static int
find_chain(const struct sdnfv_policy *p, const char *s)
{
	unsigned int i;

	for (i = 0; i < p->n_chains; i++)
		if (strcmp(p->chains[i].name, s) == 0)
			return (int)i;
	return -1;
}

/* ---- services --------------------------------------------------------------------------- */

static int
parse_services(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "fallback", NULL };
	struct sdnfv_policy *p = c->p;
	const yaml_node_pair_t *pr;
	size_t count;
	int ret;

	ret = check_mapping(c, n, "services", NULL);
	if (ret != 0)
		return ret;
	count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	/* Services are named by 16-bit indexes, and SDNFV_SERVICE_NONE names none. */
	if (count > SDNFV_SERVICE_NONE)
		return fail(c, n, "services: more than %u", SDNFV_SERVICE_NONE);
	if (count == 0)
		return 0;
	p->services = calloc(count, sizeof(*p->services));
	if (p->services == NULL)
		return out_of_memory(c);
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value), *fb;
		struct sdnfv_policy_service *s = &p->services[p->n_services];
		const char *name = key_of(c, pr), *f;
		char what[64];

		ret = check_name(c, k, "service", name);
		if (ret != 0)
			return ret;
		snprintf(what, sizeof(what), "service %s", name);
		ret = check_mapping(c, v, what, keys);
		if (ret != 0)
			return ret;
		strcpy(s->name, name);
		s->line = k->start_mark.line + 1;
		s->fallback = SDNFV_POLICY_FALLBACK_DROP;
		fb = get_value(c, v, "fallback");
		if (fb != NULL) {
			ret = get_scalar(c, fb, what, &f);
			if (ret != 0)
				return ret;
			if (strcmp(f, "drop") == 0)
				s->fallback = SDNFV_POLICY_FALLBACK_DROP;
			else if (strcmp(f, "bypass") == 0)
				s->fallback = SDNFV_POLICY_FALLBACK_BYPASS;
			else
				return fail(c, fb, "%s: fallback '%s' is not drop or bypass", what,
					    SHOW(f));
		}
		p->n_services++;
	}
	return 0;
}

/* ---- chains ------------------------------------------------------------------------------ */

/* redirect: a list of services, or `any`. The list goes to *list (NULL when empty). */
static int
parse_redirect(struct ctx *c, const yaml_node_t *n, const char *what, uint16_t *allow,
	       uint16_t **list, uint16_t *count)
{
	const yaml_node_item_t *it;
	const char *s;
	size_t len, i;
	uint16_t *l;
	int ret;

	if (n->type == YAML_SCALAR_NODE) {
		ret = get_scalar(c, n, what, &s);
		if (ret != 0)
			return ret;
		if (strcmp(s, "any") != 0)
			return fail(c, n, "%s: redirect is a list of services or any, not '%s'",
				    what, SHOW(s));
		*allow |= SDNFV_POLICY_ALLOW_REDIRECT_ANY;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: redirect is a list of services or any, not a %s", what,
			    kind(n));
	len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len == 0)
		return 0;
	/* Each service at most once (below), so the list fits n_redirect. */
	l = calloc(len, sizeof(*l));
	if (l == NULL)
		return out_of_memory(c);
	for (it = n->data.sequence.items.start, i = 0; it < n->data.sequence.items.top; it++, i++) {
		const yaml_node_t *e = node(c, *it);
		size_t j;
		int idx;

		ret = get_scalar(c, e, what, &s);
		if (ret != 0)
			goto out;
		idx = find_service(c->p, s);
		if (idx < 0) {
			ret = fail(c, e, "%s: redirect to unknown service '%s'", what, SHOW(s));
			goto out;
		}
		for (j = 0; j < i && l[j] != idx; j++)
			;
		if (j < i) {
			ret = fail(c, e, "%s: redirect names '%s' twice", what, SHOW(s));
			goto out;
		}
		l[i] = (uint16_t)idx;
	}
	*list = l;
	*count = (uint16_t)len;
	return 0;
out:
	free(l);
	return ret;
}

static int
parse_alternatives(struct ctx *c, struct sdnfv_policy_chain *ch, const yaml_node_t *n,
		   const char *chain_what)
{
	static const char *const keys[] = { "redirect", "skip", "restore", NULL };
	const yaml_node_pair_t *pr;
	char alts[96], what[128];
	int ret;

	snprintf(alts, sizeof(alts), "%s: alternatives", chain_what);
	ret = check_mapping(c, n, alts, NULL);
	if (ret != 0)
		return ret;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value), *e;
		const char *name = key_of(c, pr);
		uint16_t allow = 0, n_redirect = 0, *redirect = NULL;
		unsigned int h, first = SDNFV_POLICY_HOPS_MAX;
		bool b = false;
		int idx = find_service(c->p, name);

		for (h = 0; idx >= 0 && h < ch->n_hops && first == SDNFV_POLICY_HOPS_MAX; h++)
			if (ch->hops[h].service == idx)
				first = h;
		if (first == SDNFV_POLICY_HOPS_MAX)
			return fail(c, k, "%s: '%s' is not a hop of this chain", alts, SHOW(name));
		snprintf(what, sizeof(what), "%s for %s", alts, name);
		ret = check_mapping(c, v, what, keys);
		if (ret != 0)
			return ret;
		e = get_value(c, v, "skip");
		if (e != NULL && (ret = get_bool(c, e, what, &b)) != 0)
			return ret;
		if (e != NULL && b)
			allow |= SDNFV_POLICY_ALLOW_SKIP;
		e = get_value(c, v, "restore");
		if (e != NULL && (ret = get_bool(c, e, what, &b)) != 0)
			return ret;
		if (e != NULL && b)
			allow |= SDNFV_POLICY_ALLOW_RESTORE;
		e = get_value(c, v, "redirect");
		if (e != NULL && (ret = parse_redirect(c, e, what, &allow, &redirect, &n_redirect)))
			return ret;
		/* Every hop of this service gets the same alternatives, each its own copy of the
		 * list, so that freeing is one loop over the hops. */
		for (h = first; h < ch->n_hops; h++) {
			struct sdnfv_policy_hop *hop = &ch->hops[h];

			if (hop->service != idx)
				continue;
			hop->allow = allow;
			hop->n_redirect = n_redirect;
			if (h != first && n_redirect > 0) {
				hop->redirect = malloc(n_redirect * sizeof(*redirect));
				if (hop->redirect == NULL)
					return out_of_memory(c);
				memcpy(hop->redirect, redirect, n_redirect * sizeof(*redirect));
			} else {
				hop->redirect = redirect;
			}
		}
	}
	return 0;
}

static int
parse_chain(struct ctx *c, struct sdnfv_policy_chain *ch, const yaml_node_t *k,
	    const yaml_node_t *v)
{
	static const char *const keys[] = { "hops", "out", "alternatives", NULL };
	const yaml_node_item_t *it;
	const yaml_node_t *e;
	const char *s;
	char what[64];
	uint64_t port;
	int ret;

	snprintf(what, sizeof(what), "chain %s", ch->name);
	ret = check_mapping(c, v, what, keys);
	if (ret != 0)
		return ret;

	e = get_value(c, v, "hops");
	if (e == NULL)
		return fail(c, k, "%s: no hops (required; [] for none)", what);
	if (e->type != YAML_SEQUENCE_NODE)
		return fail(c, e, "%s: hops: expected a sequence of services, not a %s", what,
			    kind(e));
	for (it = e->data.sequence.items.start; it < e->data.sequence.items.top; it++) {
		const yaml_node_t *h = node(c, *it);
		int idx;

		if (ch->n_hops == SDNFV_POLICY_HOPS_MAX)
			return fail(c, h, "%s: more than %d hops", what, SDNFV_POLICY_HOPS_MAX);
		ret = get_scalar(c, h, what, &s);
		if (ret != 0)
			return ret;
		idx = find_service(c->p, s);
		if (idx < 0)
			return fail(c, h, "%s: unknown service '%s'", what, SHOW(s));
		ch->hops[ch->n_hops++].service = (uint16_t)idx;
	}

	e = get_value(c, v, "out");
	if (e == NULL)
		return fail(c, k, "%s: no out (required: a port 0-65535, drop or in_port)", what);
	ret = get_scalar(c, e, what, &s);
	if (ret != 0)
		return ret;
	if (strcmp(s, "drop") == 0) {
		ch->out = SDNFV_POLICY_OUT_DROP;
	} else if (strcmp(s, "in_port") == 0) {
		ch->out = SDNFV_POLICY_OUT_IN_PORT;
	} else {
		if (!isdigit((unsigned char)s[0]))
			return fail(c, e, "%s: out '%s' is not a port 0-65535, drop or in_port",
				    what, SHOW(s));
		snprintf(what + strlen(what), sizeof(what) - strlen(what), ": out");
		ret = get_number(c, e, what, UINT16_MAX, false, &port);
		if (ret != 0)
			return ret;
		ch->out = SDNFV_POLICY_OUT_PORT;
		ch->port = (uint16_t)port;
	}
	snprintf(what, sizeof(what), "chain %s", ch->name);

	e = get_value(c, v, "alternatives");
	return e != NULL ? parse_alternatives(c, ch, e, what) : 0;
}

static int
parse_chains(struct ctx *c, const yaml_node_t *n)
{
	struct sdnfv_policy *p = c->p;
	const yaml_node_pair_t *pr;
	size_t count;
	int ret;

	ret = check_mapping(c, n, "chains", NULL);
	if (ret != 0)
		return ret;
	count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (count == 0)
		return 0;
	p->chains = calloc(count, sizeof(*p->chains));
	if (p->chains == NULL)
		return out_of_memory(c);
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = node(c, pr->key);
		/* Counted at once: a chain given up half-way is freed with the others. */
		struct sdnfv_policy_chain *ch = &p->chains[p->n_chains++];
		const char *name = key_of(c, pr);

		ret = check_name(c, k, "chain", name);
		if (ret != 0)
			return ret;
		if (strcmp(name, "drop") == 0)
			return fail(c, k,
				    "chain name 'drop' is reserved (miss: drop means no chain)");
		strcpy(ch->name, name);
		ch->line = k->start_mark.line + 1;
		ret = parse_chain(c, ch, k, node(c, pr->value));
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* ---- rules ------------------------------------------------------------------------------- */

/* A refusal inside a match string: at its exact column when the scalar is written on one line
 * without escapes (its span in the file is its text, plus quotes); else at the scalar, naming the
 * column inside it. */
static int
fail_match(struct ctx *c, const yaml_node_t *n, const char *what, unsigned int col, const char *why)
{
	yaml_mark_t a = n->start_mark, b = n->end_mark;
	size_t q = n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
				   n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
			   ? 1
			   : 0;

	if (a.line == b.line && b.column - a.column == n->data.scalar.length + 2 * q)
		return fail_at(c, a.line + 1, a.column + q + col, "%s: match: %s", what, why);
	return fail_at(c, a.line + 1, a.column + 1, "%s: match: %s (column %u of the match)", what,
		       why, col);
}

/* The flow text parser, for the match alone: parse "<match>,actions=drop", refusing first the
 * parts of a rule that are not a match (each has one place to be said). */
static int
parse_match(struct ctx *c, const yaml_node_t *n, const char *what, struct sdnfv_flow_rule *rule)
{
	static const struct {
		const char *name;
		const char *why;
	} refused[] = {
		{ "actions", "actions= is not allowed: the rule's chain is its action" },
		{ "priority", "priority belongs in the rule's own key (priority: N)" },
		{ "idle_timeout", "idle_timeout belongs in the rule's own key (idle_timeout: N)" },
		{ "hard_timeout", "hard_timeout belongs in the rule's own key (hard_timeout: N)" },
		{ "cookie", "cookie belongs in the rule's own key (cookie: N)" },
		{ "send_flow_rem", "send_flow_rem is not a policy setting" },
		{ "check_overlap", "check_overlap is not a policy setting" },
		{ "reset_counts", "reset_counts is not a policy setting" },
	};
	static const char action[] = ",actions=drop";
	const char *s, *t, *why = NULL;
	unsigned int col = 0;
	size_t len, i;
	char *line;
	int ret;

	ret = get_scalar(c, n, what, &s);
	if (ret != 0)
		return ret;
	len = strlen(s);
	t = strchr(s, '#');
	if (t != NULL)
		return fail_match(c, n, what, (unsigned int)(t - s) + 1,
				  "'#' is not allowed (it would start a comment)");
	/* Tokens as the flow parser cuts them: separated by commas and blanks. */
	for (t = s; *t != '\0';) {
		size_t tl, kl;

		if (*t == ',' || isspace((unsigned char)*t)) {
			t++;
			continue;
		}
		for (tl = 0; t[tl] != '\0' && t[tl] != ',' && !isspace((unsigned char)t[tl]); tl++)
			;
		for (kl = 0; kl < tl && t[kl] != '='; kl++)
			;
		for (i = 0; i < RTE_DIM(refused); i++)
			if (strlen(refused[i].name) == kl &&
			    strncasecmp(t, refused[i].name, kl) == 0)
				return fail_match(c, n, what, (unsigned int)(t - s) + 1,
						  refused[i].why);
		t += tl;
	}

	line = malloc(len + sizeof(action));
	if (line == NULL)
		return out_of_memory(c);
	memcpy(line, s, len);
	memcpy(line + len, action, sizeof(action));
	ret = sdnfv_flow_rule_parse(line, rule, &why, &col);
	free(line);
	if (ret < 0) {
		/* A problem found at the end of the match is reported just after it. */
		if (col == 0 || col > len + 1)
			col = (unsigned int)len + 1;
		return fail_match(c, n, what, col, why != NULL ? why : "does not parse");
	}
	/* Only the match is kept; the action added above is the manager's to set. */
	memset(&rule->action, 0, sizeof(rule->action));
	rule->flags = 0;
	return 0;
}

static int
parse_rules(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "match",        "chain",  "priority", "idle_timeout",
					    "hard_timeout", "cookie", NULL };
	static const char *const numbers[] = { "priority", "idle_timeout", "hard_timeout",
					       "cookie" };
	struct sdnfv_policy *p = c->p;
	const yaml_node_item_t *it;
	size_t count;
	int ret;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "rules: expected a sequence of rules ([] for none), not a %s",
			    kind(n));
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return 0;
	p->rules = calloc(count, sizeof(*p->rules));
	if (p->rules == NULL)
		return out_of_memory(c);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *r = node(c, *it), *m, *ch, *e;
		struct sdnfv_policy_rule *pr = &p->rules[p->n_rules];
		const char *s;
		char what[32], key[64];
		uint64_t v;
		size_t i;
		int idx;

		snprintf(what, sizeof(what), "rule %u", p->n_rules + 1);
		ret = check_mapping(c, r, what, keys);
		if (ret != 0)
			return ret;
		m = get_value(c, r, "match");
		if (m == NULL)
			return fail(c, r, "%s: no match (required; \"\" matches everything)", what);
		ch = get_value(c, r, "chain");
		if (ch == NULL)
			return fail(c, r, "%s: no chain (required)", what);
		ret = parse_match(c, m, what, &pr->rule);
		if (ret != 0)
			return ret;
		ret = get_scalar(c, ch, what, &s);
		if (ret != 0)
			return ret;
		idx = find_chain(p, s);
		if (idx < 0)
			return fail(c, ch, "%s: unknown chain '%s'", what, SHOW(s));
		pr->chain = (uint32_t)idx;
		pr->line = r->start_mark.line + 1;

		/* cookie last: the only 64-bit one, also in hex. */
		for (i = 0; i < RTE_DIM(numbers); i++) {
			e = get_value(c, r, numbers[i]);
			if (e == NULL)
				continue;
			snprintf(key, sizeof(key), "%s: %s", what, numbers[i]);
			ret = get_number(c, e, key, i == 3 ? UINT64_MAX : UINT16_MAX, i == 3, &v);
			if (ret != 0)
				return ret;
			if (i == 0)
				pr->rule.priority = (uint16_t)v;
			else if (i == 1)
				pr->rule.idle_timeout = (uint16_t)v;
			else if (i == 2)
				pr->rule.hard_timeout = (uint16_t)v;
			else
				pr->rule.cookie = v;
		}
		p->n_rules++;
	}
	return 0;
}

/* ---- the file ---------------------------------------------------------------------------- */

static int
parse_policy(struct ctx *c, const yaml_node_t *root)
{
	static const char *const keys[] = { "services", "chains", "rules", "miss", NULL };
	struct sdnfv_policy *p = c->p;
	const yaml_node_t *e;
	const char *s;
	int ret;

	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root,
			    "a policy is a mapping (services, chains, rules, miss), not a %s",
			    kind(root));
	ret = check_mapping(c, root, "policy", keys);
	if (ret != 0)
		return ret;
	/* Each section names only what the ones before define. */
	if ((e = get_value(c, root, "services")) != NULL && (ret = parse_services(c, e)) != 0)
		return ret;
	if ((e = get_value(c, root, "chains")) != NULL && (ret = parse_chains(c, e)) != 0)
		return ret;
	if ((e = get_value(c, root, "rules")) != NULL && (ret = parse_rules(c, e)) != 0)
		return ret;
	p->miss_chain = -1;
	if ((e = get_value(c, root, "miss")) != NULL) {
		ret = get_scalar(c, e, "miss", &s);
		if (ret != 0)
			return ret;
		if (strcmp(s, "drop") != 0) {
			p->miss_chain = find_chain(p, s);
			if (p->miss_chain < 0)
				return fail(c, e, "miss: unknown chain '%s' (a chain or drop)",
					    SHOW(s));
		}
	}
	return 0;
}

/* libyaml's refusal, at its mark. A reader error (bad encoding) has a byte offset only: its line
 * and column are counted here. */
static int
yaml_failure(struct ctx *c, const yaml_parser_t *y)
{
	const char *problem = y->problem != NULL ? y->problem : "invalid YAML";
	size_t line = 1, col = 1, i;

	switch (y->error) {
	case YAML_MEMORY_ERROR:
		return out_of_memory(c);
	case YAML_READER_ERROR:
		for (i = 0; i < y->problem_offset && i < c->len; i++) {
			col++;
			if (c->text[i] == '\n') {
				line++;
				col = 1;
			}
		}
		if (y->problem_value != -1)
			return fail_at(c, line, col, "%s (byte 0x%02x)", problem, y->problem_value);
		return fail_at(c, line, col, "%s", problem);
	default:
		if (y->context != NULL)
			return fail_at(c, y->problem_mark.line + 1, y->problem_mark.column + 1,
				       "%s %s (line %zu)", y->context, problem,
				       y->context_mark.line + 1);
		return fail_at(c, y->problem_mark.line + 1, y->problem_mark.column + 1, "%s",
			       problem);
	}
}

int
sdnfv_policy_parse_string(const char *text, size_t len, const char *name, struct sdnfv_policy **out,
			  char *err, size_t errlen)
{
	struct ctx c = { .name = name != NULL ? name : "<policy>",
			 .text = text,
			 .len = len,
			 .err = err,
			 .errlen = errlen };
	yaml_document_t doc, next;
	yaml_parser_t y;
	yaml_node_t *root;
	int ret = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (text == NULL && len > 0))
		return -EINVAL;
	*out = NULL;
	c.p = calloc(1, sizeof(*c.p));
	if (c.p == NULL)
		return out_of_memory(&c);
	c.p->miss_chain = -1;
	if (!yaml_parser_initialize(&y)) {
		free(c.p);
		return out_of_memory(&c);
	}
	yaml_parser_set_input_string(&y, (const unsigned char *)(text != NULL ? text : ""), len);
	if (!yaml_parser_load(&y, &doc)) { /* it frees the document itself */
		ret = yaml_failure(&c, &y);
		goto out_parser;
	}
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* A lone "---" gives an empty plain scalar: empty as well. */
	if (root == NULL || (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0 &&
			     root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)) {
		ret = fail_at(&c, 1, 1,
			      "empty: a policy is a mapping (services, chains, rules, miss)");
		goto out_doc;
	}
	/* The whole file must be valid YAML and one document. */
	if (!yaml_parser_load(&y, &next)) {
		ret = yaml_failure(&c, &y);
		goto out_doc;
	}
	if (yaml_document_get_root_node(&next) != NULL)
		ret = fail(&c, yaml_document_get_root_node(&next),
			   "a second document (a policy is one)");
	yaml_document_delete(&next);
	if (ret == 0)
		ret = parse_policy(&c, root);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&y);
	if (ret != 0) {
		sdnfv_policy_free(c.p);
		return ret;
	}
	*out = c.p;
	return 0;
}

int
sdnfv_policy_parse_file(const char *path, struct sdnfv_policy **out, char *err, size_t errlen)
{
	struct ctx c = { .name = path, .err = err, .errlen = errlen };
	char *text = NULL, *grown;
	size_t len = 0, room = 0, n;
	FILE *f;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || out == NULL)
		return -EINVAL;
	*out = NULL;
	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		goto unreadable;
	}
	/* Read it whole: errors count lines in the text, and libyaml wants it in one piece. */
	for (;;) {
		if (len == room) {
			room = room != 0 ? room * 2 : 4096;
			grown = realloc(text, room);
			if (grown == NULL) {
				free(text);
				fclose(f);
				return out_of_memory(&c);
			}
			text = grown;
		}
		n = fread(text + len, 1, room - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		ret = errno != 0 ? -errno : -EIO;
		free(text);
		fclose(f);
		goto unreadable;
	}
	fclose(f);
	ret = sdnfv_policy_parse_string(text, len, path, out, err, errlen);
	free(text);
	return ret;
unreadable:
	SDNFV_LOG(mgr, ERR, "%s: %s", path, strerror(-ret));
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

void
sdnfv_policy_free(struct sdnfv_policy *p)
{
	unsigned int i, h;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_chains; i++)
		for (h = 0; h < SDNFV_POLICY_HOPS_MAX; h++)
			free(p->chains[i].hops[h].redirect);
	free(p->chains);
	free(p->services);
	free(p->rules);
	free(p);
}
