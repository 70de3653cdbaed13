/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classifier of cache misses: for a key, the highest-priority rule that matches it among the
 * rules visible to the reader.
 *
 * Every match is a ternary over the 48 bytes of struct sdnfv_flow_key (prefixes, port masks and
 * VLAN masks are bit masks; exact fields are full masks), so one representation serves rte_acl,
 * the linear scans and the checks below (struct flow_tern).
 *
 * A reader loads one view per burst: {compiled base, delta, number of delta entries, visibility
 * version}.
 *  - The base is compiled off-line by a builder thread of the classifier from a snapshot of the
 *    rules: per key family (IPv4, IPv6, other EtherTypes), the rules sorted by priority, and for
 *    IPv4 and IPv6 an rte_acl context whose input is the key itself (non-IP keys are few and
 *    their rules fewer: a scan of the sorted list). A rule without eth_type is in every family;
 *    a rule of another EtherType only in the non-IP one. Each build keeps only the 4-byte groups
 *    of the key that some rule of the family constrains, so a 5-tuple rule set walks the same
 *    bytes as an rte_acl built for 5-tuples.
 *  - The delta holds the rules added since the snapshot. It is an append-only array: a view owns
 *    its first n entries, the writer appends behind every published view, and a full array is
 *    copied into one twice its size. Every lookup scans it (skipping, on a dense array, entries
 *    that cannot beat the best so far), so its cost grows with it: rebuilds keep it short while
 *    rte_acl compiles faster than rules arrive (here about 20K rules/s for ClassBench-like sets).
 *  - Visibility: an entry names (slot, vis_add); it is visible to a view of version v while the
 *    slot still holds that incarnation and v < its vis_del. Removing rules costs the base nothing;
 *    a reader whose base winner is no longer visible falls back to a scan of the base's sorted
 *    family list from the winner's priority group down (rte_acl's answer proves nothing above it
 *    matches), which stays correct until the next build drops the dead rule.
 *
 * Rebuilds start (thresholds in flow_cls_tune()) when the delta holds enough rules, when enough
 * base rules are dead, or when a change has waited long enough; the writer takes the snapshot
 * (a copy of the visible entries) and goes on accepting updates while the builder compiles.
 * The writer installs a finished base from commit() or maintain(): the new delta keeps the
 * entries appended after the snapshot, and old views, deltas and bases go to limbo until a grace
 * period has passed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "common/clock.h"
#include "common/log.h"
#include "flow_internal.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd

enum { FAM_V4, FAM_V6, FAM_OTHER, FAM_N };
#define FAMB(f)  (1u << (f))
#define FAM_ALL  (FAMB(FAM_V4) | FAMB(FAM_V6) | FAMB(FAM_OTHER))
#define KEY_SIZE ((unsigned int)sizeof(struct sdnfv_flow_key))

#define VIS_NEVER UINT64_MAX

/* Defaults of the rebuild thresholds (see flow_cls_tune()). */
#define DEF_DELTA_MAX  32
#define DEF_DEAD_MIN   32
#define DEF_SETTLE_MS  20
#define BUILD_RETRY_NS (100ull * 1000 * 1000)

#define DELTA_MIN_CAP 64
#define VIEW_CHUNK    64

/* A rule as the classifier sees it (snapshots and the delta). */
struct cls_ent {
	struct flow_tern t;
	uint64_t add; /* vis_add of the incarnation */
	uint32_t id;
	uint16_t prio;
	uint8_t fams; /* FAMB() of the key families it can match */
	uint8_t pad;
};

/* What a lookup reads of a compiled rule besides its ternary. */
struct cls_hdr {
	uint64_t add;
	uint32_t id;
	uint16_t prio;
	uint8_t fams;
	uint8_t pad;
};

/* One key family of a compiled base: rules sorted by priority, highest first. */
struct cls_fam {
	struct rte_acl_ctx *acl; /* IPv4/IPv6 with rules; userdata = index + 1 */
	uint32_t n;
	struct cls_hdr *hdr;    /* [n] */
	uint32_t *grp;          /* [n] first index of the entry's priority */
	struct flow_tern *tern; /* [n] */
};

struct cls_base {
	struct cls_fam fam[FAM_N];
	uint32_t n_rules;      /* distinct rules */
	uint32_t snap_delta_n; /* delta entries [0, snap_delta_n) were in the snapshot */
	uint64_t snap_vis;     /* the snapshot holds the rules visible at this version */
	struct cls_ent *snap;  /* the snapshot, until the builder has used it */
	uint64_t build_ns;
	uint64_t mem;
	int err;
	struct cls_base *next; /* limbo */
};

struct cls_delta {
	uint32_t cap;
	uint32_t pad;
	struct cls_delta *next; /* limbo */
	/* [cap] (priority << 8) | families of each entry, dense: a scan skips the entries that
	 * cannot beat the best so far without reading their 112 bytes. */
	uint32_t *pf;
	struct cls_ent e[];
};

struct cls_view {
	const struct cls_base *base;
	const struct cls_delta *delta;
	uint32_t n; /* delta entries of this view */
	uint64_t vis;
	struct cls_view *next; /* pool or limbo */
};

struct cls_view_chunk {
	struct cls_view_chunk *next;
	struct cls_view v[VIEW_CHUNK];
};

enum { B_IDLE, B_WORK, B_DONE };

struct flow_cls {
	/* Readers. */
	struct cls_view *view;
	const struct flow_rule *rules;

	/* Writer. */
	struct sdnfv_flow_table *t __rte_cache_aligned;
	int socket;
	unsigned int uid;
	uint64_t vis; /* version of the published view */
	bool dirty;   /* adds or removals since the last commit */
	struct cls_base *base;
	struct cls_delta *delta;     /* the array appended to */
	uint32_t n_delta;            /* entries in it, committed or not */
	struct cls_delta *delta_old; /* replaced arrays still named by the published view */
	uint32_t dead_base;          /* compiled rules of the current base no longer visible */
	uint32_t dead_next;          /* the same for the base being built */
	struct cls_view *spare;
	struct cls_view *view_free;
	struct cls_view_chunk *chunks;
	struct cls_view *lim_v, *seal_v;
	struct cls_delta *lim_d, *seal_d;
	struct cls_base *lim_b, *seal_b;
	uint64_t recompiles;
	uint64_t pending_since;
	uint64_t last_build_ns;
	uint64_t retry_after;
	uint32_t delta_max, dead_min, settle_ms;
	uint64_t mem; /* views, deltas; bases count their own */

	/* Builder thread. */
	pthread_t tid;
	bool thread_up;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* B_*: written under lock, read by the writer without it */
	bool stop;
	struct cls_base *job;
	unsigned int acl_seq; /* builder only */
};

static unsigned int cls_uid;

/* ---- ternaries ----------------------------------------------------------------------------- */

static void
prefix_mask(uint8_t *mask, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int bits = plen > i * 8 ? RTE_MIN(plen - i * 8, 8u) : 0;

		mask[i] = bits == 0 ? 0 : (uint8_t)(0xff00 >> bits);
	}
}

void
flow_tern_from_match(const struct sdnfv_flow_match *m, struct flow_tern *t)
{
	struct sdnfv_flow_key v, k;
	uint32_t f = m->fields;
	unsigned int i;

	memset(&v, 0, sizeof(v));
	memset(&k, 0, sizeof(k));
	if (f & SDNFV_FLOW_M_IN_PORT) {
		v.in_port = m->in_port;
		k.in_port = 0xffff;
	}
	if (f & SDNFV_FLOW_M_ETH_TYPE) {
		v.eth_type = m->eth_type;
		k.eth_type = 0xffff;
	}
	if (f & SDNFV_FLOW_M_VLAN) {
		v.vlan = m->vlan & m->vlan_mask;
		k.vlan = m->vlan_mask;
	}
	if (f & SDNFV_FLOW_M_IP_PROTO) {
		v.ip_proto = m->ip_proto;
		k.ip_proto = 0xff;
	}
	if (f & SDNFV_FLOW_M_SRC) {
		prefix_mask(k.src.v6, m->src_plen);
		for (i = 0; i < 16; i++)
			v.src.v6[i] = m->src.v6[i] & k.src.v6[i];
	}
	if (f & SDNFV_FLOW_M_DST) {
		prefix_mask(k.dst.v6, m->dst_plen);
		for (i = 0; i < 16; i++)
			v.dst.v6[i] = m->dst.v6[i] & k.dst.v6[i];
	}
	if (f & SDNFV_FLOW_M_SPORT) {
		v.sport = rte_cpu_to_be_16(m->sport & m->sport_mask);
		k.sport = rte_cpu_to_be_16(m->sport_mask);
	}
	if (f & SDNFV_FLOW_M_DPORT) {
		v.dport = rte_cpu_to_be_16(m->dport & m->dport_mask);
		k.dport = rte_cpu_to_be_16(m->dport_mask);
	}
	if (f & SDNFV_FLOW_M_ICMP_TYPE) {
		v.icmp_type = m->icmp_type;
		k.icmp_type = 0xff;
	}
	if (f & SDNFV_FLOW_M_ICMP_CODE) {
		v.icmp_code = m->icmp_code;
		k.icmp_code = 0xff;
	}
	RTE_BUILD_BUG_ON(sizeof(struct sdnfv_flow_key) != sizeof(t->val));
	memcpy(t->val, &v, sizeof(t->val));
	memcpy(t->msk, &k, sizeof(t->msk));
}

static uint8_t
match_fams(const struct sdnfv_flow_match *m)
{
	if (!(m->fields & SDNFV_FLOW_M_ETH_TYPE))
		return FAM_ALL;
	if (m->eth_type == ETH_IPV4)
		return FAMB(FAM_V4);
	if (m->eth_type == ETH_IPV6)
		return FAMB(FAM_V6);
	return FAMB(FAM_OTHER);
}

static inline unsigned int
key_fam(uint16_t eth_type)
{
	return eth_type == ETH_IPV4 ? FAM_V4 : eth_type == ETH_IPV6 ? FAM_V6 : FAM_OTHER;
}

/* ---- memory -------------------------------------------------------------------------------- */

static void *
cls_alloc(struct flow_cls *c, size_t sz)
{
	return rte_zmalloc_socket("sdnfv_flow_cls", sz, RTE_CACHE_LINE_SIZE, c->socket);
}

static struct cls_delta *
delta_new(struct flow_cls *c, uint32_t cap)
{
	struct cls_delta *d;

	d = cls_alloc(c, sizeof(*d) + (size_t)cap * (sizeof(d->e[0]) + sizeof(d->pf[0])));
	if (d == NULL)
		return NULL;
	d->cap = cap;
	d->pf = (uint32_t *)&d->e[cap];
	c->mem += sizeof(*d) + (size_t)cap * (sizeof(d->e[0]) + sizeof(d->pf[0]));
	return d;
}

static void
delta_free(struct flow_cls *c, struct cls_delta *d)
{
	c->mem -= sizeof(*d) + (size_t)d->cap * (sizeof(d->e[0]) + sizeof(d->pf[0]));
	rte_free(d);
}

static void
base_free(struct cls_base *b)
{
	unsigned int f;

	if (b == NULL)
		return;
	for (f = 0; f < FAM_N; f++) {
		rte_acl_free(b->fam[f].acl);
		rte_free(b->fam[f].hdr);
		rte_free(b->fam[f].grp);
		rte_free(b->fam[f].tern);
	}
	rte_free(b->snap);
	rte_free(b);
}

static struct cls_view *
view_get(struct flow_cls *c)
{
	struct cls_view *v = c->view_free;

	if (v == NULL) {
		struct cls_view_chunk *ch = cls_alloc(c, sizeof(*ch));
		unsigned int i;

		if (ch == NULL)
			return NULL;
		c->mem += sizeof(*ch);
		ch->next = c->chunks;
		c->chunks = ch;
		for (i = 0; i < VIEW_CHUNK; i++) {
			ch->v[i].next = c->view_free;
			c->view_free = &ch->v[i];
		}
		v = c->view_free;
	}
	c->view_free = v->next;
	v->next = NULL;
	return v;
}

/* Publish `nv` and retire the view it replaces (and the delta arrays it alone named). */
static void
publish(struct flow_cls *c, struct cls_view *nv)
{
	struct cls_view *old = c->view;

	__atomic_store_n(&c->view, nv, __ATOMIC_RELEASE);
	old->next = c->lim_v;
	c->lim_v = old;
	while (c->delta_old != NULL) {
		struct cls_delta *d = c->delta_old;

		c->delta_old = d->next;
		d->next = c->lim_d;
		c->lim_d = d;
	}
}

/* ---- building a base (builder thread) ------------------------------------------------------ */

/* Input groups of the key rte_acl may read, besides the first byte (ip_proto). */
static const uint8_t acl_windows[] = { 0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44 };
#define ACL_MAX_FIELDS (1 + (int)RTE_DIM(acl_windows))
#define PROTO_OFF      ((unsigned int)offsetof(struct sdnfv_flow_key, ip_proto))
#define ETYPE_OFF      ((unsigned int)offsetof(struct sdnfv_flow_key, eth_type))

RTE_ACL_RULE_DEF(cls_acl_rule, ACL_MAX_FIELDS);

static uint32_t
be32_at(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Compile an rte_acl context for one IP family. Input: the key itself; field 0 is ip_proto, then
 * every 4-byte group some rule constrains (the EtherType is implied by the family, ip_proto is
 * field 0's). */
static int
acl_build(struct flow_cls *c, struct cls_fam *fam, unsigned int f)
{
	uint8_t keep[KEY_SIZE], used[KEY_SIZE];
	uint8_t win[RTE_DIM(acl_windows)];
	unsigned int nw = 0, i, w, b;
	struct rte_acl_config cfg;
	struct rte_acl_param prm;
	struct cls_acl_rule *rules;
	char name[RTE_ACL_NAMESIZE];
	int ret;

	memset(keep, 0xff, sizeof(keep));
	keep[ETYPE_OFF] = keep[ETYPE_OFF + 1] = 0;
	keep[PROTO_OFF] = 0;
	memset(used, 0, sizeof(used));
	for (i = 0; i < fam->n; i++) {
		const uint8_t *m = (const uint8_t *)fam->tern[i].msk;

		for (b = 0; b < KEY_SIZE; b++)
			used[b] |= m[b] & keep[b];
	}
	for (w = 0; w < RTE_DIM(acl_windows); w++) {
		unsigned int o = acl_windows[w];

		if (used[o] | used[o + 1] | used[o + 2] | used[o + 3])
			win[nw++] = (uint8_t)o;
	}
	if (nw == 0) /* rte_acl wants at least one group after the first byte */
		win[nw++] = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.num_categories = 1;
	cfg.num_fields = 1 + nw;
	cfg.defs[0].type = RTE_ACL_FIELD_TYPE_BITMASK;
	cfg.defs[0].size = 1;
	cfg.defs[0].field_index = 0;
	cfg.defs[0].input_index = 0;
	cfg.defs[0].offset = PROTO_OFF;
	for (w = 0; w < nw; w++) {
		cfg.defs[1 + w].type = RTE_ACL_FIELD_TYPE_BITMASK;
		cfg.defs[1 + w].size = 4;
		cfg.defs[1 + w].field_index = (uint8_t)(1 + w);
		cfg.defs[1 + w].input_index = (uint8_t)(1 + w);
		cfg.defs[1 + w].offset = win[w];
	}

	rules = calloc(fam->n, sizeof(*rules));
	if (rules == NULL)
		return -ENOMEM;
	for (i = 0; i < fam->n; i++) {
		const uint8_t *v = (const uint8_t *)fam->tern[i].val;
		const uint8_t *m = (const uint8_t *)fam->tern[i].msk;
		struct cls_acl_rule *r = &rules[i];

		r->data.category_mask = 1;
		r->data.priority = (int32_t)fam->hdr[i].prio + 1;
		r->data.userdata = i + 1;
		r->field[0].value.u8 = v[PROTO_OFF] & m[PROTO_OFF];
		r->field[0].mask_range.u8 = m[PROTO_OFF];
		for (w = 0; w < nw; w++) {
			uint8_t mk[4];

			for (b = 0; b < 4; b++)
				mk[b] = m[win[w] + b] & keep[win[w] + b];
			r->field[1 + w].mask_range.u32 = be32_at(mk);
			r->field[1 + w].value.u32 = be32_at(v + win[w]) & be32_at(mk);
		}
	}

	snprintf(name, sizeof(name), "sdnfv%u_%c%u", c->uid, f == FAM_V4 ? 'a' : 'b', c->acl_seq++);
	memset(&prm, 0, sizeof(prm));
	prm.name = name;
	prm.socket_id = c->socket;
	prm.rule_size = sizeof(struct cls_acl_rule);
	prm.max_rule_num = fam->n;
	fam->acl = rte_acl_create(&prm);
	if (fam->acl == NULL) {
		free(rules);
		return -ENOMEM;
	}
	ret = rte_acl_add_rules(fam->acl, (const struct rte_acl_rule *)rules, fam->n);
	free(rules);
	if (ret == 0)
		ret = rte_acl_build(fam->acl, &cfg);
	return ret;
}

struct sort_ent {
	uint32_t idx;
	uint32_t id;
	uint16_t prio;
};

static int
cmp_prio(const void *a, const void *b)
{
	const struct sort_ent *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int
base_build(struct flow_cls *c, struct cls_base *nb)
{
	struct sort_ent *s;
	unsigned int f, i;
	int ret = 0;

	s = malloc(sizeof(*s) * RTE_MAX(nb->n_rules, 1u));
	if (s == NULL)
		return -ENOMEM;
	for (f = 0; f < FAM_N && ret == 0; f++) {
		struct cls_fam *fam = &nb->fam[f];
		uint32_t n = 0;

		for (i = 0; i < nb->n_rules; i++) {
			const struct cls_ent *e = &nb->snap[i];

			if (e->fams & FAMB(f)) {
				s[n].idx = i;
				s[n].id = e->id;
				s[n].prio = e->prio;
				n++;
			}
		}
		if (n == 0)
			continue;
		qsort(s, n, sizeof(*s), cmp_prio);
		fam->hdr = cls_alloc(c, sizeof(*fam->hdr) * n);
		fam->grp = cls_alloc(c, sizeof(*fam->grp) * n);
		fam->tern = cls_alloc(c, sizeof(*fam->tern) * n);
		if (fam->hdr == NULL || fam->grp == NULL || fam->tern == NULL) {
			ret = -ENOMEM;
			break;
		}
		nb->mem += (sizeof(*fam->hdr) + sizeof(*fam->grp) + sizeof(*fam->tern)) * n;
		fam->n = n;
		for (i = 0; i < n; i++) {
			const struct cls_ent *e = &nb->snap[s[i].idx];

			fam->hdr[i].add = e->add;
			fam->hdr[i].id = e->id;
			fam->hdr[i].prio = e->prio;
			fam->hdr[i].fams = e->fams;
			fam->grp[i] =
				(i > 0 && e->prio == fam->hdr[i - 1].prio) ? fam->grp[i - 1] : i;
			fam->tern[i] = e->t;
		}
		if (f != FAM_OTHER)
			ret = acl_build(c, fam, f);
	}
	free(s);
	return ret;
}

static void *
builder_main(void *arg)
{
	struct flow_cls *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct cls_base *nb;
		uint64_t t0;

		while (c->state != B_WORK && !c->stop)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stop)
			break;
		nb = c->job;
		pthread_mutex_unlock(&c->lock);

		t0 = sdnfv_clock_ns();
		nb->err = base_build(c, nb);
		nb->build_ns = sdnfv_clock_ns() - t0;
		rte_free(nb->snap); /* the families hold what lookups need */
		nb->snap = NULL;

		pthread_mutex_lock(&c->lock);
		__atomic_store_n(&c->state, B_DONE, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- writer: snapshots, installs, triggers ------------------------------------------------- */

static inline bool
live_now(const struct flow_cls *c, uint32_t id, uint64_t add)
{
	const struct flow_rule *r = &c->rules[id];

	return r->vis_add == add && r->vis_del == VIS_NEVER;
}

/* Take a snapshot of every visible rule and hand it to the builder. */
static int
kick(struct flow_cls *c)
{
	const struct cls_base *b = c->base;
	struct cls_base *nb;
	uint32_t n = 0, cap = b->n_rules + c->n_delta, i;
	unsigned int f;

	nb = cls_alloc(c, sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	nb->snap = rte_malloc_socket("sdnfv_flow_cls", sizeof(*nb->snap) * RTE_MAX(cap, 1u),
				     RTE_CACHE_LINE_SIZE, c->socket);
	if (nb->snap == NULL) {
		rte_free(nb);
		return -ENOMEM;
	}
	/* Each rule of the base once: from the first family it belongs to. */
	for (f = 0; f < FAM_N; f++) {
		const struct cls_fam *fam = &b->fam[f];

		for (i = 0; i < fam->n; i++) {
			const struct cls_hdr *h = &fam->hdr[i];
			struct cls_ent *e;

			if ((unsigned int)__builtin_ctz(h->fams) != f ||
			    !live_now(c, h->id, h->add))
				continue;
			e = &nb->snap[n++];
			e->t = fam->tern[i];
			e->add = h->add;
			e->id = h->id;
			e->prio = h->prio;
			e->fams = h->fams;
			e->pad = 0;
		}
	}
	for (i = 0; i < c->n_delta; i++) {
		const struct cls_ent *e = &c->delta->e[i];

		if (live_now(c, e->id, e->add))
			nb->snap[n++] = *e;
	}
	nb->n_rules = n;
	nb->snap_vis = c->vis;
	nb->snap_delta_n = c->n_delta;
	c->dead_next = 0;

	pthread_mutex_lock(&c->lock);
	c->job = nb;
	__atomic_store_n(&c->state, B_WORK, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Make `nb` the base: a new view with the same visible rules, whose delta keeps what was appended
 * after the snapshot and is still live. */
static int
install(struct flow_cls *c, struct cls_base *nb)
{
	uint32_t keep, i, cap = DELTA_MIN_CAP;
	struct cls_delta *nd;
	struct cls_view *nv;

	while (cap < c->n_delta - nb->snap_delta_n)
		cap *= 2;
	nv = view_get(c);
	if (nv == NULL)
		return -ENOMEM;
	nd = delta_new(c, cap);
	if (nd == NULL) {
		nv->next = c->view_free;
		c->view_free = nv;
		return -ENOMEM;
	}
	keep = 0;
	for (i = nb->snap_delta_n; i < c->n_delta; i++) {
		const struct cls_ent *e = &c->delta->e[i];

		if (live_now(c, e->id, e->add)) {
			nd->pf[keep] = c->delta->pf[i];
			nd->e[keep++] = *e;
		}
	}
	nv->base = nb;
	nv->delta = nd;
	nv->n = keep;
	nv->vis = c->vis;
	/* The published view names the current array: it retires with that view. */
	c->delta->next = c->delta_old;
	c->delta_old = c->delta;
	publish(c, nv);

	c->base->next = c->lim_b;
	c->lim_b = c->base;
	c->base = nb;
	c->delta = nd;
	c->n_delta = keep;
	c->dead_base = c->dead_next;
	c->dead_next = 0;
	c->recompiles++;
	c->last_build_ns = nb->build_ns;
	return 0;
}

/* A finished build: install it, or drop it and retry later. */
static int
collect(struct flow_cls *c)
{
	struct cls_base *nb;
	int ret;

	pthread_mutex_lock(&c->lock);
	nb = c->job;
	c->job = NULL;
	__atomic_store_n(&c->state, B_IDLE, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->lock);

	ret = nb->err;
	if (ret == 0)
		ret = install(c, nb);
	if (ret != 0) {
		SDNFV_LOG(flow, ERR, "table %s: rule classifier rebuild failed: %s", c->t->name,
			  rte_strerror(-ret));
		base_free(nb);
		c->retry_after = sdnfv_clock_ns() + BUILD_RETRY_NS;
	}
	c->pending_since = 0;
	return ret;
}

/* Install a finished build; start a new one when one is due. Never between add/del and commit. */
static void
poll_builder(struct flow_cls *c)
{
	uint64_t now, settle;
	uint32_t dead_lim;

	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == B_DONE)
		collect(c);
	if (__atomic_load_n(&c->state, __ATOMIC_RELAXED) != B_IDLE)
		return;
	if (c->n_delta == 0 && c->dead_base == 0) {
		c->pending_since = 0;
		return;
	}
	now = sdnfv_clock_ns();
	if (now < c->retry_after)
		return;
	if (c->pending_since == 0)
		c->pending_since = now;
	dead_lim = RTE_MAX(c->dead_min, c->base->n_rules / 32);
	settle = RTE_MAX((uint64_t)c->settle_ms * 1000000ull, 4 * c->last_build_ns);
	if (c->n_delta >= c->delta_max || c->dead_base >= dead_lim ||
	    now - c->pending_since >= settle) {
		if (kick(c) == 0)
			c->pending_since = 0;
		else
			c->retry_after = now + BUILD_RETRY_NS;
	}
}

/* ---- writer API ---------------------------------------------------------------------------- */

int
flow_cls_create(struct sdnfv_flow_table *t, struct flow_cls **out)
{
	struct flow_cls *c;
	struct cls_base *b;
	int ret;

	c = rte_zmalloc_socket("sdnfv_flow_cls", sizeof(*c), RTE_CACHE_LINE_SIZE, t->socket_id);
	if (c == NULL)
		return -ENOMEM;
	c->t = t;
	c->rules = t->rules;
	c->socket = t->socket_id;
	c->uid = __atomic_fetch_add(&cls_uid, 1, __ATOMIC_RELAXED);
	c->delta_max = DEF_DELTA_MAX;
	c->dead_min = DEF_DEAD_MIN;
	c->settle_ms = DEF_SETTLE_MS;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);

	b = cls_alloc(c, sizeof(*b));
	c->delta = delta_new(c, DELTA_MIN_CAP);
	c->view = view_get(c);
	if (b == NULL || c->delta == NULL || c->view == NULL) {
		rte_free(b);
		flow_cls_free(c);
		return -ENOMEM;
	}
	c->base = b;
	c->view->base = b;
	c->view->delta = c->delta;

	ret = rte_ctrl_thread_create(&c->tid, "sdnfv-cls", NULL, builder_main, c);
	if (ret != 0) {
		SDNFV_LOG(flow, ERR, "table %s: cannot start the classifier builder: %s", t->name,
			  strerror(ret));
		flow_cls_free(c);
		return -ret;
	}
	c->thread_up = true;
	*out = c;
	return 0;
}

void
flow_cls_free(struct flow_cls *c)
{
	struct cls_view_chunk *ch;

	if (c == NULL)
		return;
	if (c->thread_up) {
		pthread_mutex_lock(&c->lock);
		while (c->state == B_WORK)
			pthread_cond_wait(&c->cond, &c->lock);
		c->stop = true;
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->tid, NULL);
	}
	base_free(c->job);
	flow_cls_seal(c);
	flow_cls_release(c);
	base_free(c->base);
	while (c->delta_old != NULL) {
		struct cls_delta *d = c->delta_old;

		c->delta_old = d->next;
		rte_free(d);
	}
	rte_free(c->delta);
	while ((ch = c->chunks) != NULL) {
		c->chunks = ch->next;
		rte_free(ch);
	}
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	rte_free(c);
}

int
flow_cls_reserve(struct flow_cls *c)
{
	if (c->spare == NULL)
		c->spare = view_get(c);
	return c->spare == NULL ? -ENOMEM : 0;
}

int
flow_cls_add(struct flow_cls *c, uint32_t id)
{
	struct flow_rule *r = &c->t->rules[id];
	uint64_t next = c->vis + 1;
	struct cls_ent *e;

	if (c->n_delta == c->delta->cap) {
		struct cls_delta *nd = delta_new(c, c->delta->cap * 2);

		if (nd == NULL)
			return -ENOMEM;
		memcpy(nd->e, c->delta->e, sizeof(nd->e[0]) * c->n_delta);
		memcpy(nd->pf, c->delta->pf, sizeof(nd->pf[0]) * c->n_delta);
		c->delta->next = c->delta_old;
		c->delta_old = c->delta;
		c->delta = nd;
	}
	e = &c->delta->e[c->n_delta++];
	flow_tern_from_match(&r->rule.match, &e->t);
	e->add = next;
	e->id = id;
	e->prio = r->priority;
	e->fams = match_fams(&r->rule.match);
	e->pad = 0;
	c->delta->pf[c->n_delta - 1] = ((uint32_t)e->prio << 8) | e->fams;
	/* A reader checks vis_del first, then vis_add: the new incarnation's vis_add is visible by
	 * the time vis_del stops saying "removed". */
	__atomic_store_n(&r->vis_add, next, __ATOMIC_RELAXED);
	__atomic_store_n(&r->vis_del, VIS_NEVER, __ATOMIC_RELEASE);
	c->dirty = true;
	return 0;
}

void
flow_cls_add_exact(struct flow_cls *c, uint32_t id)
{
	struct flow_rule *r = &c->t->rules[id];

	/* As in flow_cls_add(). */
	__atomic_store_n(&r->vis_add, c->vis + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&r->vis_del, VIS_NEVER, __ATOMIC_RELEASE);
	c->dirty = true;
}

void
flow_cls_del(struct flow_cls *c, uint32_t id)
{
	struct flow_rule *r = &c->t->rules[id];

	/* An exact-tier rule was never compiled: it makes no base dead. */
	if (!r->exact && r->vis_add <= c->base->snap_vis)
		c->dead_base++;
	if (!r->exact && __atomic_load_n(&c->state, __ATOMIC_RELAXED) != B_IDLE && c->job != NULL &&
	    r->vis_add <= c->job->snap_vis)
		c->dead_next++;
	/* Readers of older views (version < vis + 1) still see the rule. */
	__atomic_store_n(&r->vis_del, c->vis + 1, __ATOMIC_RELEASE);
	c->dirty = true;
}

uint64_t
flow_cls_next(const struct flow_cls *c)
{
	return c->vis + 1;
}

void
flow_cls_touch(struct flow_cls *c)
{
	c->dirty = true;
}

void
flow_cls_commit(struct flow_cls *c)
{
	struct cls_view *nv = c->spare;

	if (!c->dirty)
		return;
	c->spare = NULL;
	nv->base = c->base;
	nv->delta = c->delta;
	nv->n = c->n_delta;
	nv->vis = c->vis + 1;
	c->vis++;
	publish(c, nv);
	c->dirty = false;
	poll_builder(c);
}

int
flow_cls_maintain(struct flow_cls *c)
{
	poll_builder(c);
	return 0;
}

int
flow_cls_sync(struct flow_cls *c)
{
	for (;;) {
		int ret;

		pthread_mutex_lock(&c->lock);
		while (c->state == B_WORK)
			pthread_cond_wait(&c->cond, &c->lock);
		pthread_mutex_unlock(&c->lock);
		if (c->state == B_DONE) {
			ret = collect(c);
			if (ret != 0)
				return ret;
		}
		if (c->n_delta == 0 && c->dead_base == 0)
			return 0;
		ret = kick(c);
		if (ret != 0)
			return ret;
	}
}

void
flow_cls_tune(struct flow_cls *c, uint32_t delta_max, uint32_t dead_min, uint32_t settle_ms)
{
	if (delta_max != 0)
		c->delta_max = delta_max;
	if (dead_min != 0)
		c->dead_min = dead_min;
	if (settle_ms != 0)
		c->settle_ms = settle_ms;
}

bool
flow_cls_has_limbo(const struct flow_cls *c)
{
	return c->lim_v != NULL || c->lim_d != NULL || c->lim_b != NULL;
}

void
flow_cls_seal(struct flow_cls *c)
{
	while (c->lim_v != NULL) {
		struct cls_view *v = c->lim_v;

		c->lim_v = v->next;
		v->next = c->seal_v;
		c->seal_v = v;
	}
	while (c->lim_d != NULL) {
		struct cls_delta *d = c->lim_d;

		c->lim_d = d->next;
		d->next = c->seal_d;
		c->seal_d = d;
	}
	while (c->lim_b != NULL) {
		struct cls_base *b = c->lim_b;

		c->lim_b = b->next;
		b->next = c->seal_b;
		c->seal_b = b;
	}
}

void
flow_cls_release(struct flow_cls *c)
{
	while (c->seal_v != NULL) {
		struct cls_view *v = c->seal_v;

		c->seal_v = v->next;
		v->next = c->view_free;
		c->view_free = v;
	}
	while (c->seal_d != NULL) {
		struct cls_delta *d = c->seal_d;

		c->seal_d = d->next;
		delta_free(c, d);
	}
	while (c->seal_b != NULL) {
		struct cls_base *b = c->seal_b;

		c->seal_b = b->next;
		base_free(b);
	}
}

uint64_t
flow_cls_recompiles(const struct flow_cls *c)
{
	return c->recompiles;
}

uint64_t
flow_cls_memory(const struct flow_cls *c)
{
	return sizeof(*c) + c->mem + c->base->mem;
}

/* ---- readers ------------------------------------------------------------------------------- */

/* Is the incarnation (id, add) visible at version v? vis_del is loaded first (acquire): when it
 * no longer holds a removal, vis_add is the current incarnation's (see flow_cls_add()). */
static inline bool
visible(const struct flow_rule *rules, uint32_t id, uint64_t add, uint64_t v)
{
	const struct flow_rule *r = &rules[id];

	return v < __atomic_load_n(&r->vis_del, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&r->vis_add, __ATOMIC_RELAXED) == add;
}

/* First visible match in a family list from index `from` (priorities only go down). */
static inline void
scan_base(const struct flow_rule *rules, const struct cls_fam *fam, uint32_t from,
	  const uint64_t *kw, uint64_t v, uint32_t *best, int32_t *bprio)
{
	uint32_t i;

	for (i = from; i < fam->n; i++) {
		const struct cls_hdr *h = &fam->hdr[i];

		if (flow_tern_match(&fam->tern[i], kw) && visible(rules, h->id, h->add, v)) {
			*best = h->id;
			*bprio = h->prio;
			return;
		}
	}
}

/* Delta entries that beat the best so far. Visibility is fixed by the view's version, so the
 * order of the checks does not matter. */
static inline void
scan_delta(const struct flow_rule *rules, const struct cls_view *v, unsigned int fb,
	   const uint64_t *kw, uint32_t *best, int32_t *bprio)
{
	const uint32_t *pf = v->delta->pf;
	uint32_t j;

	for (j = 0; j < v->n; j++) {
		const struct cls_ent *e;

		if ((int32_t)(pf[j] >> 8) <= *bprio || !(pf[j] & fb))
			continue;
		e = &v->delta->e[j];
		if (!flow_tern_match(&e->t, kw))
			continue;
		if (visible(rules, e->id, e->add, v->vis)) {
			*best = e->id;
			*bprio = e->prio;
		}
	}
}

uint64_t
flow_cls_lookup_burst(const struct flow_cls *c, const struct sdnfv_flow_key *keys, unsigned int n,
		      uint32_t *rule_ids)
{
	const struct cls_view *v = __atomic_load_n(&c->view, __ATOMIC_ACQUIRE);
	const struct cls_base *b = v->base;
	const struct flow_rule *rules = c->rules;
	const uint8_t *data[FAM_N][SDNFV_FLOW_BURST_MAX];
	uint8_t at[FAM_N][SDNFV_FLOW_BURST_MAX];
	uint32_t res[SDNFV_FLOW_BURST_MAX];
	unsigned int nf[FAM_N] = { 0, 0, 0 };
	unsigned int i, k, f;

	for (i = 0; i < n; i++) {
		f = key_fam(keys[i].eth_type);
		data[f][nf[f]] = (const uint8_t *)&keys[i];
		at[f][nf[f]++] = (uint8_t)i;
	}
	for (f = 0; f < FAM_N; f++) {
		const struct cls_fam *fam = &b->fam[f];
		unsigned int fb = FAMB(f);

		if (nf[f] == 0)
			continue;
		if (fam->acl != NULL) {
			rte_acl_classify(fam->acl, data[f], res, nf[f], 1);
			/* The winners' headers, then their rule slots: misses overlap across keys. */
			for (k = 0; k < nf[f]; k++)
				if (res[k] != 0)
					rte_prefetch0(&fam->hdr[res[k] - 1]);
			for (k = 0; k < nf[f]; k++)
				if (res[k] != 0)
					rte_prefetch0(&rules[fam->hdr[res[k] - 1].id]);
		}
		for (k = 0; k < nf[f]; k++) {
			uint32_t best = FLOW_RULE_NONE;
			int32_t bprio = -1;
			uint64_t kw[6];

			memcpy(kw, data[f][k], sizeof(kw));
			if (f == FAM_OTHER) {
				scan_base(rules, fam, 0, kw, v->vis, &best, &bprio);
			} else if (fam->acl != NULL && res[k] != 0) {
				const struct cls_hdr *h = &fam->hdr[res[k] - 1];

				if (visible(rules, h->id, h->add, v->vis)) {
					best = h->id;
					bprio = h->prio;
				} else {
					scan_base(rules, fam, fam->grp[res[k] - 1], kw, v->vis,
						  &best, &bprio);
				}
			}
			if (v->n != 0)
				scan_delta(rules, v, fb, kw, &best, &bprio);
			rule_ids[at[f][k]] = best;
		}
	}
	return v->vis;
}
