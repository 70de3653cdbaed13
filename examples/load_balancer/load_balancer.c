/* SPDX-License-Identifier: BSD-3-Clause */
/* load_balancer: config, Maglev tables, connection table, NAT rewrite, NF handlers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "load_balancer.h"

#define NONE16 UINT16_MAX
/* The Maglev entry of a connection is its 5-tuple's hash with this fixed seed, so every instance
 * and every restart places a connection alike. The connection index uses a seed drawn per process
 * instead, so nobody can craft tuples that pile up in one probe run. */
#define PLACE_SEED     0x6c62u
#define LINE_MAX_CHARS 1022 /* characters of a config line, its newline not counted */

enum { DIR_FWD = 0, DIR_REV = 1 };

struct lb_backend {
	char name[LB_NAME_MAX + 1];
	uint16_t vip;
	uint8_t family;
	union sdnfv_pkt_addr addr;
	rte_be16_t port;
	uint32_t weight;
	bool up;
	bool has_mac;
	uint8_t mac[6]; /* Ethernet destination of packets to it (config `mac`) */
	uint64_t conns, conns_total, pkts_to, pkts_from;
};

struct lb_vip {
	char name[LB_NAME_MAX + 1];
	uint8_t family, proto;
	union sdnfv_pkt_addr addr;
	rte_be16_t port;
	uint32_t first, n; /* its backends: config->backends[first, first + n) */
	uint16_t *table;   /* Maglev: global backend index per entry, NONE16 when none is up */
	unsigned int line;
};

struct lb_config {
	struct lb_vip *vips;
	uint32_t n_vips;
	struct lb_backend *backends;
	uint32_t n_backends;
	uint32_t table_size;
	uint32_t conn_max;
	unsigned int conn_max_line;
	uint64_t timeout_ns;
	bool unserved_drop;
};

/* A connection: the client → VIP tuple as it arrives and the backend → client tuple of its
 * replies. Both are exact (directional) keys: NAT makes the two directions different tuples, so
 * the symmetric key of pkt.h would not join them anyway. */
struct lb_conn {
	struct sdnfv_pkt_key fwd;
	struct sdnfv_pkt_key rev;
	uint64_t last_ns;
	uint32_t fwd_hash, rev_hash;
	uint16_t vip, backend; /* backend NONE16: re-place at the next client packet */
	uint32_t next_free;
	bool used;
};

/* Open addressing, linear probing, backward-shift deletion; at most half full. */
struct lb_slot {
	uint32_t hash;
	uint32_t ref; /* ((conn << 1) | dir) + 1; 0: empty */
};

struct lb_ctx {
	char *path;
	FILE *log;
	struct lb_config *cfg;
	struct lb_conn *conns;
	uint32_t conn_max;
	uint32_t free_head; /* UINT32_MAX: none free */
	struct lb_slot *slots;
	uint32_t mask;
	uint32_t sweep;
	volatile sig_atomic_t reload_requested;
	uint32_t seed; /* of the connection index's hash */
	double ns_per_tsc;
	struct lb_stats st;
};

/* ---------------------------------------------------------------------------------------- */
/* Maglev                                                                                     */

static bool
is_prime(uint32_t m)
{
	uint32_t d;

	if (m < 2)
		return false;
	for (d = 2; (uint64_t)d * d <= m; d++)
		if (m % d == 0)
			return false;
	return true;
}

/* FNV-1a, then the splitmix64 finalizer, so two seeds give independent-looking hashes. */
static uint64_t
name_hash(const char *s, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

int
lb_maglev_build(const char *const *names, const uint32_t *weights, unsigned int n, uint32_t m,
		uint16_t *table)
{
	uint32_t *pos, *skip, filled = 0, j;
	unsigned int i, k, active = 0;

	if (m < 2 || n >= NONE16 || !is_prime(m))
		return -EINVAL;
	for (j = 0; j < m; j++)
		table[j] = NONE16;
	for (i = 0; i < n; i++)
		active += weights == NULL || weights[i] > 0;
	if (active == 0)
		return 0;
	pos = malloc(sizeof(*pos) * n);
	skip = malloc(sizeof(*skip) * n);
	if (pos == NULL || skip == NULL) {
		free(pos);
		free(skip);
		return -ENOMEM;
	}
	/* Backend i's preference list is offset, offset + skip, offset + 2 skip, ... mod m: a
	 * permutation of [0, m) because m is prime and 0 < skip < m. */
	for (i = 0; i < n; i++) {
		pos[i] = (uint32_t)(name_hash(names[i], 0x9e3779b97f4a7c15ull) % m);
		skip[i] = (uint32_t)(name_hash(names[i], 0x2545f4914f6cdd1dull) % (m - 1)) + 1;
	}
	/* Round robin; a backend of weight w takes w entries per round, so its share is
	 * w / sum(w) (to one round's rounding). */
	for (;;) {
		for (i = 0; i < n; i++) {
			uint32_t w = weights == NULL ? 1 : weights[i];

			for (k = 0; k < w; k++) {
				while (table[pos[i]] != NONE16)
					pos[i] = (uint32_t)(((uint64_t)pos[i] + skip[i]) % m);
				table[pos[i]] = (uint16_t)i;
				if (++filled == m)
					goto done;
			}
		}
	}
done:
	free(pos);
	free(skip);
	return 0;
}

/* (Re)build a VIP's table from its backends that are up; swaps it in. */
static int
vip_table_build(struct lb_config *cfg, struct lb_vip *v)
{
	const char **names;
	uint32_t *weights, i;
	uint16_t *t;
	int ret;

	t = malloc(sizeof(*t) * cfg->table_size);
	names = malloc(sizeof(*names) * (v->n ? v->n : 1));
	weights = malloc(sizeof(*weights) * (v->n ? v->n : 1));
	if (t == NULL || names == NULL || weights == NULL) {
		free(t);
		free(names);
		free(weights);
		return -ENOMEM;
	}
	for (i = 0; i < v->n; i++) {
		const struct lb_backend *b = &cfg->backends[v->first + i];

		names[i] = b->name;
		weights[i] = b->up ? b->weight : 0;
	}
	ret = lb_maglev_build(names, weights, v->n, cfg->table_size, t);
	free(names);
	free(weights);
	if (ret < 0) {
		free(t);
		return ret;
	}
	for (i = 0; i < cfg->table_size; i++)
		if (t[i] != NONE16)
			t[i] = (uint16_t)(t[i] + v->first);
	/* The handler thread is the only reader and we run in it between bursts: a plain swap. */
	free(v->table);
	v->table = t;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Config file                                                                                */

static void
config_free(struct lb_config *cfg)
{
	uint32_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_vips; i++)
		free(cfg->vips[i].table);
	free(cfg->vips);
	free(cfg->backends);
	free(cfg);
}

static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port". port 0 when none. */
static int
parse_addr_port(const char *s, uint8_t *family, union sdnfv_pkt_addr *addr, uint32_t *port)
{
	char buf[64];
	const char *host = s, *colon = NULL;
	size_t hl;

	*port = 0;
	memset(addr, 0, sizeof(*addr));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			return -EINVAL;
		host = s + 1;
		hl = (size_t)(close - host);
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1] != '\0')
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* a bare IPv6 address */
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, hl);
	buf[hl] = '\0';
	if (colon != NULL && parse_u32(colon + 1, 1, 65535, port) < 0)
		return -ERANGE;
	if (inet_pton(AF_INET, buf, &addr->v4) == 1)
		*family = SDNFV_PKT_L3_IPV4;
	else if (inet_pton(AF_INET6, buf, addr->v6) == 1 && (s[0] == '[' || colon == NULL))
		*family = SDNFV_PKT_L3_IPV6;
	else
		return -EINVAL;
	return 0;
}

/* Exactly "xx:xx:xx:xx:xx:xx" in hex digits. */
static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *x = s + 3 * i;

		if (!isxdigit((unsigned char)x[0]) || !isxdigit((unsigned char)x[1]) ||
		    (i < 5 && x[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)strtoul((char[]){ x[0], x[1], '\0' }, NULL, 16);
	}
	return 0;
}

struct parser {
	const char *path;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int
refuse(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%u: ", p->path, p->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool
same_addr(uint8_t fa, const union sdnfv_pkt_addr *a, uint8_t fb, const union sdnfv_pkt_addr *b)
{
	return fa == fb && memcmp(a, b, sizeof(*a)) == 0;
}

static void
addr_str(uint8_t family, const union sdnfv_pkt_addr *a, rte_be16_t port, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (family == SDNFV_PKT_L3_IPV4) {
		inet_ntop(AF_INET, &a->v4, ip, sizeof(ip));
		snprintf(out, len, "%s:%u", ip, rte_be_to_cpu_16(port));
	} else {
		inet_ntop(AF_INET6, a->v6, ip, sizeof(ip));
		snprintf(out, len, "[%s]:%u", ip, rte_be_to_cpu_16(port));
	}
}

static int
grow(void **arr, uint32_t n, uint32_t *cap, size_t elem)
{
	void *a;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 8;
	a = realloc(*arr, *cap * elem);
	if (a == NULL)
		return -ENOMEM;
	*arr = a;
	return 0;
}

/* One line, split into at most 16 words. */
static int
parse_line(struct parser *p, struct lb_config *cfg, char **w, unsigned int nw, uint32_t *cap_v,
	   uint32_t *cap_b, bool *seen)
{
	uint32_t v, i;

	if (strcmp(w[0], "table-size") == 0 || strcmp(w[0], "conn-max") == 0 ||
	    strcmp(w[0], "conn-timeout") == 0 || strcmp(w[0], "unserved") == 0) {
		/* seen[]: table-size, conn-max, conn-timeout, unserved */
		unsigned int k = w[0][0] == 't' ? 0 : w[0][0] == 'u' ? 3 : w[0][5] == 'm' ? 1 : 2;

		if (nw != 2)
			return refuse(p, "%s takes one value", w[0]);
		if (seen[k])
			return refuse(p, "%s given twice", w[0]);
		seen[k] = true;
		switch (k) {
		case 0:
			if (parse_u32(w[1], 3, LB_TABLE_SIZE_MAX, &v) < 0 || !is_prime(v))
				return refuse(p, "table-size '%s' is not a prime from 3 to %u",
					      w[1], LB_TABLE_SIZE_MAX);
			cfg->table_size = v;
			break;
		case 1:
			if (parse_u32(w[1], 1, LB_CONN_MAX_MAX, &v) < 0)
				return refuse(p, "conn-max '%s' is not a number from 1 to %u", w[1],
					      LB_CONN_MAX_MAX);
			cfg->conn_max = v;
			cfg->conn_max_line = p->line;
			break;
		case 2:
			if (parse_u32(w[1], 1, 86400 * 7, &v) < 0)
				return refuse(p,
					      "conn-timeout '%s' is not seconds from 1 to 604800",
					      w[1]);
			cfg->timeout_ns = (uint64_t)v * 1000000000ull;
			break;
		default:
			if (strcmp(w[1], "pass") != 0 && strcmp(w[1], "drop") != 0)
				return refuse(p, "unserved must be pass or drop, not '%s'", w[1]);
			cfg->unserved_drop = strcmp(w[1], "drop") == 0;
		}
		return 0;
	}
	if (strcmp(w[0], "vip") == 0) {
		struct lb_vip nv;
		uint32_t port;

		memset(&nv, 0, sizeof(nv));
		if (nw != 4 && !(nw == 6 && strcmp(w[4], "name") == 0))
			return refuse(p, "expected: vip ADDRESS tcp|udp PORT [name NAME]");
		if (parse_addr_port(w[1], &nv.family, &nv.addr, &port) < 0 || port != 0)
			return refuse(p, "bad VIP address '%s' (an IPv4 or IPv6 address, no port)",
				      w[1]);
		if (strcmp(w[2], "tcp") == 0)
			nv.proto = IPPROTO_TCP;
		else if (strcmp(w[2], "udp") == 0)
			nv.proto = IPPROTO_UDP;
		else
			return refuse(p, "bad protocol '%s' (tcp or udp)", w[2]);
		if (parse_u32(w[3], 1, 65535, &port) < 0)
			return refuse(p, "bad port '%s' (1 to 65535)", w[3]);
		nv.port = rte_cpu_to_be_16((uint16_t)port);
		if (nw == 6) {
			if (strlen(w[5]) > LB_NAME_MAX)
				return refuse(p, "name '%s' longer than %d characters", w[5],
					      LB_NAME_MAX);
			snprintf(nv.name, sizeof(nv.name), "%s", w[5]);
		} else {
			snprintf(nv.name, sizeof(nv.name), "%s/%s/%u", w[1], w[2], port);
		}
		for (i = 0; i < cfg->n_vips; i++) {
			const struct lb_vip *o = &cfg->vips[i];

			if (same_addr(o->family, &o->addr, nv.family, &nv.addr) &&
			    o->proto == nv.proto && o->port == nv.port)
				return refuse(p, "VIP %s %s %s already defined on line %u", w[1],
					      w[2], w[3], o->line);
			if (strcmp(o->name, nv.name) == 0)
				return refuse(p, "VIP name '%s' already used on line %u", nv.name,
					      o->line);
		}
		if (cfg->n_vips > 0 && cfg->vips[cfg->n_vips - 1].n == 0)
			return refuse(p, "the previous VIP (line %u) has no backend",
				      cfg->vips[cfg->n_vips - 1].line);
		if (cfg->n_vips >= NONE16)
			return refuse(p, "too many VIPs");
		if (grow((void **)&cfg->vips, cfg->n_vips, cap_v, sizeof(nv)) < 0)
			return -ENOMEM;
		nv.first = cfg->n_backends;
		nv.line = p->line;
		cfg->vips[cfg->n_vips++] = nv;
		return 0;
	}
	if (strcmp(w[0], "backend") == 0) {
		struct lb_backend nb;
		struct lb_vip *vp;
		uint32_t port;
		unsigned int k;
		bool weight_seen = false, down_seen = false;

		memset(&nb, 0, sizeof(nb));
		if (cfg->n_vips == 0)
			return refuse(p, "backend before any vip line");
		vp = &cfg->vips[cfg->n_vips - 1];
		if (nw < 3)
			return refuse(p,
				      "expected: backend NAME ADDRESS[:PORT] [weight N] [mac MAC] "
				      "[down]");
		if (strlen(w[1]) > LB_NAME_MAX)
			return refuse(p, "backend name '%s' longer than %d characters", w[1],
				      LB_NAME_MAX);
		for (k = 0; w[1][k] != '\0'; k++)
			if (!isgraph((unsigned char)w[1][k]))
				return refuse(p, "backend name '%s' has a non-printable character",
					      w[1]);
		snprintf(nb.name, sizeof(nb.name), "%s", w[1]);
		if (parse_addr_port(w[2], &nb.family, &nb.addr, &port) < 0)
			return refuse(p, "bad backend address '%s'", w[2]);
		if (nb.family != vp->family)
			return refuse(p, "backend %s is IPv%u but its VIP (line %u) is IPv%u",
				      nb.name, nb.family, vp->line, vp->family);
		nb.port = port ? rte_cpu_to_be_16((uint16_t)port) : vp->port;
		nb.weight = 1;
		nb.up = true;
		for (k = 3; k < nw; k++) {
			if (strcmp(w[k], "weight") == 0 && k + 1 < nw && !weight_seen) {
				if (parse_u32(w[k + 1], 1, 1000, &nb.weight) < 0)
					return refuse(p, "weight '%s' is not from 1 to 1000",
						      w[k + 1]);
				weight_seen = true;
				k++;
			} else if (strcmp(w[k], "mac") == 0 && k + 1 < nw && !nb.has_mac) {
				if (parse_mac(w[k + 1], nb.mac) < 0)
					return refuse(p, "mac '%s' is not xx:xx:xx:xx:xx:xx",
						      w[k + 1]);
				nb.has_mac = true;
				k++;
			} else if (strcmp(w[k], "down") == 0 && !down_seen) {
				nb.up = false;
				down_seen = true;
			} else {
				return refuse(p, "unexpected '%s' (weight N, mac MAC, down)", w[k]);
			}
		}
		for (i = 0; i < cfg->n_backends; i++) {
			const struct lb_backend *o = &cfg->backends[i];

			if (strcmp(o->name, nb.name) == 0)
				return refuse(p, "backend name '%s' already used", nb.name);
			if (o->vip == cfg->n_vips - 1 &&
			    same_addr(o->family, &o->addr, nb.family, &nb.addr) &&
			    o->port == nb.port)
				return refuse(p, "backend %s has the address of backend %s",
					      nb.name, o->name);
		}
		if (cfg->n_backends >= NONE16 - 1)
			return refuse(p, "too many backends");
		if (grow((void **)&cfg->backends, cfg->n_backends, cap_b, sizeof(nb)) < 0)
			return -ENOMEM;
		nb.vip = (uint16_t)(cfg->n_vips - 1);
		cfg->backends[cfg->n_backends++] = nb;
		vp->n++;
		return 0;
	}
	return refuse(p, "unknown keyword '%s'", w[0]);
}

static int
config_load(const char *path, struct lb_config **out, char *err, size_t errlen)
{
	struct parser p = { .path = path, .err = err, .errlen = errlen };
	struct lb_config *cfg;
	uint32_t cap_v = 0, cap_b = 0, i;
	bool seen[4] = { false, false, false, false };
	char *line = NULL;
	size_t line_cap = 0;
	ssize_t got;
	FILE *f;
	int ret = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	cfg->table_size = LB_TABLE_SIZE_DEFAULT;
	cfg->conn_max = LB_CONN_MAX_DEFAULT;
	cfg->timeout_ns = LB_CONN_TIMEOUT_DEFAULT * 1000000000ull;
	/* getline(), not fgets(): it tells how many bytes it read, so a NUL byte inside a line is
	 * seen (and refused) rather than silently ending the line. */
	while ((got = getline(&line, &line_cap, f)) > 0) {
		char *w[16], *save = NULL, *tok, *hash;
		unsigned int nw = 0;
		size_t l = (size_t)got - (line[got - 1] == '\n');

		p.line++;
		if (memchr(line, '\0', (size_t)got) != NULL) {
			ret = refuse(&p, "contains a NUL byte");
			break;
		}
		if (l > LINE_MAX_CHARS) {
			ret = refuse(&p, "line longer than %d characters", LINE_MAX_CHARS);
			break;
		}
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (nw == RTE_DIM(w)) {
				ret = refuse(&p, "too many words");
				break;
			}
			w[nw++] = tok;
		}
		if (ret < 0)
			break;
		if (nw == 0)
			continue;
		ret = parse_line(&p, cfg, w, nw, &cap_v, &cap_b, seen);
		if (ret < 0)
			break;
	}
	if (ret == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		ret = -EIO;
	} else if (ret == 0 && !feof(f)) {
		snprintf(err, errlen, "%s: out of memory", path);
		ret = -ENOMEM;
	}
	free(line);
	fclose(f);
	if (ret == 0 && cfg->n_vips == 0) {
		snprintf(err, errlen, "%s: no vip line", path);
		ret = -EINVAL;
	}
	if (ret == 0 && cfg->vips[cfg->n_vips - 1].n == 0) {
		p.line = cfg->vips[cfg->n_vips - 1].line;
		ret = refuse(&p, "this VIP has no backend");
	}
	for (i = 0; ret == 0 && i < cfg->n_vips; i++) {
		ret = vip_table_build(cfg, &cfg->vips[i]);
		if (ret < 0)
			snprintf(err, errlen, "%s: cannot build the Maglev table: %s", path,
				 strerror(-ret));
	}
	if (ret < 0) {
		if (ret == -ENOMEM && err[0] == '\0')
			snprintf(err, errlen, "%s: out of memory", path);
		config_free(cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Connection table                                                                           */

static inline const struct sdnfv_pkt_key *
ref_key(const struct lb_ctx *c, uint32_t ref)
{
	const struct lb_conn *k = &c->conns[(ref - 1) >> 1];

	return ((ref - 1) & 1) ? &k->rev : &k->fwd;
}

static inline uint32_t
slot_find(const struct lb_ctx *c, const struct sdnfv_pkt_key *key, uint32_t hash)
{
	uint32_t i = hash & c->mask;

	for (; c->slots[i].ref != 0; i = (i + 1) & c->mask)
		if (c->slots[i].hash == hash &&
		    memcmp(ref_key(c, c->slots[i].ref), key, sizeof(*key)) == 0)
			return c->slots[i].ref;
	return 0;
}

static void
slot_insert(struct lb_ctx *c, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & c->mask;

	while (c->slots[i].ref != 0)
		i = (i + 1) & c->mask;
	c->slots[i].hash = hash;
	c->slots[i].ref = ref;
}

static void
slot_remove(struct lb_ctx *c, uint32_t hash, uint32_t ref)
{
	uint32_t i = hash & c->mask, j;

	while (c->slots[i].ref != ref) {
		if (c->slots[i].ref == 0)
			return;
		i = (i + 1) & c->mask;
	}
	/* Backward shift: pull later entries of the probe run into the hole when the hole lies
	 * between their home slot and where they sit. */
	for (j = i;;) {
		uint32_t home;

		j = (j + 1) & c->mask;
		if (c->slots[j].ref == 0)
			break;
		home = c->slots[j].hash & c->mask;
		if (((j - home) & c->mask) >= ((j - i) & c->mask)) {
			c->slots[i] = c->slots[j];
			i = j;
		}
	}
	c->slots[i].ref = 0;
	c->slots[i].hash = 0;
}

static void
conn_remove(struct lb_ctx *c, uint32_t idx)
{
	struct lb_conn *k = &c->conns[idx];

	slot_remove(c, k->fwd_hash, (idx << 1 | DIR_FWD) + 1);
	if (k->backend != NONE16) {
		slot_remove(c, k->rev_hash, (idx << 1 | DIR_REV) + 1);
		c->cfg->backends[k->backend].conns--;
	}
	k->used = false;
	k->next_free = c->free_head;
	c->free_head = idx;
	c->st.conns_active--;
}

/* The reply tuple of a connection placed on backend b. */
static void
rev_key(const struct sdnfv_pkt_key *fwd, const struct lb_backend *b, struct sdnfv_pkt_key *rev)
{
	memset(rev, 0, sizeof(*rev));
	rev->src = b->addr;
	rev->dst = fwd->src;
	rev->sport = b->port;
	rev->dport = fwd->sport;
	rev->proto = fwd->proto;
	rev->family = fwd->family;
}

/* Put a connection on backend b (its reply key must be free); 0 or -EEXIST. */
static int
conn_place(struct lb_ctx *c, uint32_t idx, uint16_t b)
{
	struct lb_conn *k = &c->conns[idx];
	struct lb_backend *be = &c->cfg->backends[b];
	struct sdnfv_pkt_key rev;
	uint32_t h;

	rev_key(&k->fwd, be, &rev);
	h = sdnfv_pkt_key_hash(&rev, c->seed);
	if (slot_find(c, &rev, h) != 0)
		return -EEXIST;
	if (k->backend != NONE16) {
		slot_remove(c, k->rev_hash, (idx << 1 | DIR_REV) + 1);
		c->cfg->backends[k->backend].conns--;
	}
	k->rev = rev;
	k->rev_hash = h;
	k->backend = b;
	slot_insert(c, h, (idx << 1 | DIR_REV) + 1);
	be->conns++;
	be->conns_total++;
	return 0;
}

static int
conns_alloc(struct lb_ctx *c, uint32_t n)
{
	uint32_t slots = 1, i;

	while (slots < 4 * n)
		slots <<= 1;
	c->conns = calloc(n, sizeof(*c->conns));
	c->slots = calloc(slots, sizeof(*c->slots));
	if (c->conns == NULL || c->slots == NULL)
		return -ENOMEM;
	c->conn_max = n;
	c->mask = slots - 1;
	for (i = 0; i < n; i++)
		c->conns[i].next_free = i + 1 < n ? i + 1 : UINT32_MAX;
	c->free_head = 0;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Context                                                                                    */

static void
logf_(struct lb_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(c->log, "load_balancer: ");
	vfprintf(c->log, fmt, ap);
	fprintf(c->log, "\n");
	fflush(c->log);
	va_end(ap);
}

int
lb_create(const char *path, const struct lb_opts *opts, struct lb_ctx **out, char *err,
	  size_t errlen)
{
	struct lb_ctx *c;
	int ret;

	if (errlen > 0)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->log = opts != NULL && opts->log != NULL ? opts->log : stderr;
	c->path = strdup(path);
	c->ns_per_tsc = 1.0;
	if (getrandom(&c->seed, sizeof(c->seed), 0) != sizeof(c->seed))
		c->seed = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	if (c->path == NULL) {
		free(c);
		return -ENOMEM;
	}
	ret = config_load(path, &c->cfg, err, errlen);
	if (ret == 0) {
		ret = conns_alloc(c, c->cfg->conn_max);
		if (ret < 0)
			snprintf(err, errlen, "%s: no memory for %u connections", path,
				 c->cfg->conn_max);
	}
	if (ret < 0) {
		lb_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void
lb_free(struct lb_ctx *c)
{
	if (c == NULL)
		return;
	config_free(c->cfg);
	free(c->conns);
	free(c->slots);
	free(c->path);
	free(c);
}

static bool
same_vip(const struct lb_vip *a, const struct lb_vip *b)
{
	return same_addr(a->family, &a->addr, b->family, &b->addr) && a->proto == b->proto &&
	       a->port == b->port;
}

int
lb_reload(struct lb_ctx *c, char *err, size_t errlen)
{
	struct lb_config *nc, *oc = c->cfg;
	uint16_t *vmap, *bmap;
	uint32_t i, j;
	int ret;

	if (errlen > 0)
		err[0] = '\0';
	ret = config_load(c->path, &nc, err, errlen);
	if (ret == 0 && nc->conn_max != c->conn_max) {
		snprintf(err, errlen, "%s:%u: conn-max cannot change at run time (%u now; restart)",
			 c->path, nc->conn_max_line, c->conn_max);
		config_free(nc);
		ret = -EINVAL;
	}
	if (ret < 0) {
		c->st.reload_errors++;
		return ret;
	}
	vmap = malloc(sizeof(*vmap) * oc->n_vips);
	bmap = malloc(sizeof(*bmap) * oc->n_backends);
	if (vmap == NULL || bmap == NULL) {
		free(vmap);
		free(bmap);
		config_free(nc);
		c->st.reload_errors++;
		snprintf(err, errlen, "%s: out of memory", c->path);
		return -ENOMEM;
	}
	/* Old VIP → new VIP by (address, protocol, port); old backend → new backend by VIP, name,
	 * address and port. A backend that changed address is a new backend. */
	for (i = 0; i < oc->n_vips; i++) {
		vmap[i] = NONE16;
		for (j = 0; j < nc->n_vips; j++)
			if (same_vip(&oc->vips[i], &nc->vips[j]))
				vmap[i] = (uint16_t)j;
	}
	for (i = 0; i < oc->n_backends; i++) {
		const struct lb_backend *ob = &oc->backends[i];

		bmap[i] = NONE16;
		if (vmap[ob->vip] == NONE16)
			continue;
		for (j = 0; j < nc->n_backends; j++) {
			struct lb_backend *nb = &nc->backends[j];

			if (nb->vip == vmap[ob->vip] && strcmp(nb->name, ob->name) == 0 &&
			    same_addr(nb->family, &nb->addr, ob->family, &ob->addr) &&
			    nb->port == ob->port) {
				bmap[i] = (uint16_t)j;
				nb->conns_total = ob->conns_total;
				nb->pkts_to = ob->pkts_to;
				nb->pkts_from = ob->pkts_from;
			}
		}
	}
	/* Walk the connections (bounded by conn-max; we are between bursts): a connection of a
	 * kept backend stays on it even if it is now down (the next client packet re-places it,
	 * as after a "down" command); one of a removed backend is re-placed at its next client
	 * packet; one of a removed VIP goes. */
	c->cfg = nc;
	for (i = 0; i < c->conn_max; i++) {
		struct lb_conn *k = &c->conns[i];

		if (!k->used)
			continue;
		if (vmap[k->vip] == NONE16) {
			c->cfg = oc;
			conn_remove(c, i);
			c->cfg = nc;
			continue;
		}
		k->vip = vmap[k->vip];
		if (k->backend != NONE16 && bmap[k->backend] != NONE16) {
			k->backend = bmap[k->backend];
			nc->backends[k->backend].conns++;
		} else if (k->backend != NONE16) {
			/* Its backend is gone: the next client packet re-places it; replies from
			 * the old address are no longer translated. */
			slot_remove(c, k->rev_hash, (i << 1 | DIR_REV) + 1);
			k->backend = NONE16;
		}
	}
	free(vmap);
	free(bmap);
	config_free(oc);
	c->st.reloads++;
	return 0;
}

void
lb_request_reload(struct lb_ctx *c)
{
	c->reload_requested = 1;
}

int
lb_backend_set(struct lb_ctx *c, const char *name, bool up)
{
	struct lb_config *cfg = c->cfg;
	uint32_t i;

	for (i = 0; i < cfg->n_backends; i++) {
		struct lb_backend *b = &cfg->backends[i];

		if (strcmp(b->name, name) != 0)
			continue;
		if (b->up == up)
			return 0;
		b->up = up;
		return vip_table_build(cfg, &cfg->vips[b->vip]);
	}
	return -ENOENT;
}

int
lb_command(struct lb_ctx *c, const char *text, size_t len, char *err, size_t errlen)
{
	char buf[128], *w[4], *save = NULL, *tok;
	unsigned int nw = 0;
	int ret;

	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		len = 0; /* a message without payload */
	if (len >= sizeof(buf) || (len > 0 && memchr(text, '\0', len) != NULL)) {
		snprintf(err, errlen, "command too long or not text");
		c->st.command_errors++;
		return -EINVAL;
	}
	if (len > 0)
		memcpy(buf, text, len);
	buf[len] = '\0';
	for (tok = strtok_r(buf, " \t\r\n", &save); tok != NULL && nw < RTE_DIM(w);
	     tok = strtok_r(NULL, " \t\r\n", &save))
		w[nw++] = tok;
	if (nw == 1 && strcmp(w[0], "reload") == 0) {
		ret = lb_reload(c, err, errlen);
		return ret;
	}
	if (nw != 3 || tok != NULL || strcmp(w[0], "backend") != 0 ||
	    (strcmp(w[2], "up") != 0 && strcmp(w[2], "down") != 0)) {
		snprintf(err, errlen, "expected 'backend NAME up|down' or 'reload'");
		c->st.command_errors++;
		return -EINVAL;
	}
	ret = lb_backend_set(c, w[1], strcmp(w[2], "up") == 0);
	if (ret < 0) {
		snprintf(err, errlen, "backend %s: %s", w[1],
			 ret == -ENOENT ? "no such backend" : strerror(-ret));
		c->st.command_errors++;
		return ret;
	}
	c->st.commands++;
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Packets                                                                                    */

static bool
is_vip_addr(const struct lb_config *cfg, const struct sdnfv_pkt_key *key)
{
	uint32_t i;

	for (i = 0; i < cfg->n_vips; i++)
		if (same_addr(cfg->vips[i].family, &cfg->vips[i].addr, key->family, &key->dst))
			return true;
	return false;
}

static inline enum lb_verdict
drop(uint64_t *why, struct lb_stats *st)
{
	(*why)++;
	st->dropped++;
	return LB_DROP;
}

static inline enum lb_verdict
forward(struct lb_ctx *c, void *data, struct sdnfv_pkt_info *info, struct lb_conn *k,
	uint64_t now_ns)
{
	struct lb_backend *b = &c->cfg->backends[k->backend];

	sdnfv_pkt_set_addr(data, info, SDNFV_PKT_DST, &b->addr);
	if (b->port != info->dport)
		sdnfv_pkt_set_port(data, info, SDNFV_PKT_DST, b->port);
	if (b->has_mac)
		memcpy(data, b->mac, sizeof(b->mac));
	k->last_ns = now_ns;
	b->pkts_to++;
	c->st.to_backend++;
	return LB_FORWARD;
}

enum lb_verdict
lb_packet_parsed(struct lb_ctx *c, void *data, struct sdnfv_pkt_info *info, int ret,
		 uint64_t now_ns)
{
	struct lb_config *cfg = c->cfg;
	struct lb_stats *st = &c->st;
	struct sdnfv_pkt_key key;
	struct lb_conn *k;
	const struct lb_vip *v = NULL;
	uint32_t hash, ref, idx, i;
	uint16_t b;

	st->rx++;
	if (ret < 0)
		return drop(&st->malformed, st);
	if (info->l3 != SDNFV_PKT_L3_IPV4 && info->l3 != SDNFV_PKT_L3_IPV6) {
		st->passed++;
		return LB_PASS;
	}
	sdnfv_pkt_key_build(data, info, &key);
	if (info->flags & SDNFV_PKT_F_FRAG) {
		if (is_vip_addr(cfg, &key))
			return drop(&st->frag, st);
		st->passed++;
		return LB_PASS;
	}
	if (info->l4_proto != IPPROTO_TCP && info->l4_proto != IPPROTO_UDP)
		goto not_a_connection;
	hash = sdnfv_pkt_key_hash(&key, c->seed);
	ref = slot_find(c, &key, hash);
	if (ref != 0) {
		idx = (ref - 1) >> 1;
		k = &c->conns[idx];
		if (now_ns - k->last_ns > cfg->timeout_ns) {
			/* Idle too long: a new connection (the sweep had not come by yet). */
			c->st.conns_expired++;
			conn_remove(c, idx);
			if ((ref - 1) & 1)
				goto not_a_connection;
			goto new_conn;
		}
		if ((ref - 1) & 1) {
			v = &cfg->vips[k->vip];
			sdnfv_pkt_set_addr(data, info, SDNFV_PKT_SRC, &v->addr);
			if (v->port != info->sport)
				sdnfv_pkt_set_port(data, info, SDNFV_PKT_SRC, v->port);
			k->last_ns = now_ns;
			if (k->backend != NONE16)
				cfg->backends[k->backend].pkts_from++;
			st->replies++;
			return LB_REPLY;
		}
		if (k->backend != NONE16 && cfg->backends[k->backend].up)
			return forward(c, data, info, k, now_ns);
		/* Its backend went down or away: re-place it by the table. */
		v = &cfg->vips[k->vip];
		b = v->table[sdnfv_pkt_key_hash(&key, PLACE_SEED) % cfg->table_size];
		if (b == NONE16 || conn_place(c, idx, b) < 0) {
			uint64_t *why = b == NONE16 ? &st->no_backend : &st->conn_clash;

			conn_remove(c, idx);
			return drop(why, st);
		}
		st->conns_moved++;
		return forward(c, data, info, k, now_ns);
	}
new_conn:
	for (i = 0; i < cfg->n_vips; i++) {
		const struct lb_vip *x = &cfg->vips[i];

		if (x->port == key.dport && x->proto == key.proto &&
		    same_addr(x->family, &x->addr, key.family, &key.dst)) {
			v = x;
			break;
		}
	}
	if (v == NULL)
		goto not_a_connection;
	b = v->table[sdnfv_pkt_key_hash(&key, PLACE_SEED) % cfg->table_size];
	if (b == NONE16)
		return drop(&st->no_backend, st);
	if (c->free_head == UINT32_MAX)
		return drop(&st->conn_full, st);
	idx = c->free_head;
	k = &c->conns[idx];
	k->fwd = key;
	k->fwd_hash = hash;
	k->vip = (uint16_t)i;
	k->backend = NONE16;
	if (conn_place(c, idx, b) < 0)
		return drop(&st->conn_clash, st);
	c->free_head = k->next_free;
	k->used = true;
	slot_insert(c, hash, (idx << 1 | DIR_FWD) + 1);
	st->conns_new++;
	st->conns_active++;
	return forward(c, data, info, k, now_ns);

not_a_connection:
	if (is_vip_addr(cfg, &key)) {
		st->unserved++;
		if (cfg->unserved_drop)
			return drop(&st->unserved_dropped, st);
	}
	st->passed++;
	return LB_PASS;
}

enum lb_verdict
lb_packet(struct lb_ctx *c, void *data, uint32_t len, uint64_t now_ns)
{
	struct sdnfv_pkt_info info;
	int ret = sdnfv_pkt_parse(data, len, &info);

	return lb_packet_parsed(c, data, &info, ret, now_ns);
}

unsigned int
lb_expire(struct lb_ctx *c, uint64_t now_ns, unsigned int budget)
{
	unsigned int removed = 0;

	for (; budget > 0; budget--) {
		struct lb_conn *k = &c->conns[c->sweep];

		if (k->used && now_ns - k->last_ns > c->cfg->timeout_ns) {
			conn_remove(c, c->sweep);
			c->st.conns_expired++;
			removed++;
		}
		if (++c->sweep == c->conn_max)
			c->sweep = 0;
	}
	return removed;
}

/* ---------------------------------------------------------------------------------------- */
/* Reading                                                                                    */

void
lb_stats_get(const struct lb_ctx *c, struct lb_stats *out)
{
	*out = c->st;
}

unsigned int
lb_backend_count(const struct lb_ctx *c)
{
	return c->cfg->n_backends;
}

uint32_t
lb_table_size(const struct lb_ctx *c)
{
	return c->cfg->table_size;
}

int
lb_backend_get(const struct lb_ctx *c, unsigned int i, struct lb_backend_info *out)
{
	const struct lb_config *cfg = c->cfg;
	const struct lb_backend *b;
	const struct lb_vip *v;
	uint32_t j;

	if (i >= cfg->n_backends)
		return -ENOENT;
	b = &cfg->backends[i];
	v = &cfg->vips[b->vip];
	memset(out, 0, sizeof(*out));
	out->name = b->name;
	out->vip = v->name;
	addr_str(b->family, &b->addr, b->port, out->addr, sizeof(out->addr));
	out->weight = b->weight;
	out->up = b->up;
	out->conns = b->conns;
	out->conns_total = b->conns_total;
	out->pkts_to = b->pkts_to;
	out->pkts_from = b->pkts_from;
	for (j = 0; j < cfg->table_size; j++)
		out->table_share += v->table[j] == i;
	return 0;
}

void
lb_summary(const struct lb_ctx *c, FILE *f)
{
	const struct lb_stats *s = &c->st;
	unsigned int i;

	fprintf(f,
		"load_balancer: summary rx %" PRIu64 " to_backend %" PRIu64 " replies %" PRIu64
		" passed %" PRIu64 " dropped %" PRIu64 " malformed %" PRIu64 " frag %" PRIu64
		" no_backend %" PRIu64 " conn_full %" PRIu64 " conn_clash %" PRIu64
		" unserved %" PRIu64 " conns_new %" PRIu64 " conns_moved %" PRIu64
		" conns_expired %" PRIu64 " conns_active %" PRIu64 " reloads %" PRIu64
		" reload_errors %" PRIu64 " commands %" PRIu64 " command_errors %" PRIu64 "\n",
		s->rx, s->to_backend, s->replies, s->passed, s->dropped, s->malformed, s->frag,
		s->no_backend, s->conn_full, s->conn_clash, s->unserved, s->conns_new,
		s->conns_moved, s->conns_expired, s->conns_active, s->reloads, s->reload_errors,
		s->commands, s->command_errors);
	for (i = 0; i < lb_backend_count(c); i++) {
		struct lb_backend_info b;

		lb_backend_get(c, i, &b);
		fprintf(f,
			"load_balancer: backend %s vip %s addr %s weight %u state %s conns %" PRIu64
			" conns_total %" PRIu64 " pkts_to %" PRIu64 " pkts_from %" PRIu64
			" table_share %u\n",
			b.name, b.vip, b.addr, b.weight, b.up ? "up" : "down", b.conns,
			b.conns_total, b.pkts_to, b.pkts_from, b.table_share);
	}
	fflush(f);
}

/* ---------------------------------------------------------------------------------------- */
/* NF handlers                                                                                */

static inline uint64_t
now_ns(const struct lb_ctx *c)
{
	return (uint64_t)((double)rte_rdtsc() * c->ns_per_tsc);
}

static int
nf_setup(struct sdnfv_nf *nf, void *arg)
{
	struct lb_ctx *c = arg;

	(void)nf;
	c->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	return 0;
}

static void
nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct lb_ctx *c = arg;
	uint64_t now = now_ns(c);
	unsigned int i;

	(void)nf;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct sdnfv_pkt_info info;
		int ret = sdnfv_pkt_parse_mbuf(m, &info);

		/* Only headers are written, and they lie in the first segment. */
		if (lb_packet_parsed(c, rte_pktmbuf_mtod(m, void *), &info, ret, now) == LB_DROP)
			sdnfv_nf_drop(m);
		else
			sdnfv_nf_next(m);
	}
}

static void
report(struct sdnfv_nf *nf, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		sdnfv_nf_report(nf, line, strlen(line));
}

static void
do_reload(struct sdnfv_nf *nf, struct lb_ctx *c)
{
	char err[512];

	if (lb_reload(c, err, sizeof(err)) < 0) {
		logf_(c, "reload refused, the running config stays: %s", err);
		report(nf, "load_balancer: reload refused");
	} else {
		logf_(c, "reloaded %s (%u backends)", c->path, c->cfg->n_backends);
		report(nf, "load_balancer: reloaded (%u backends)", c->cfg->n_backends);
	}
}

static void
nf_idle(struct sdnfv_nf *nf, uint64_t ns, void *arg)
{
	struct lb_ctx *c = arg;

	(void)ns;
	if (c->reload_requested) {
		c->reload_requested = 0;
		do_reload(nf, c);
	}
	lb_expire(c, now_ns(c), 4096);
}

static void
nf_message(struct sdnfv_nf *nf, const struct sdnfv_nf_msg *msg, void *arg)
{
	struct lb_ctx *c = arg;
	char err[512];

	if (msg->type == LB_MSG_RELOAD) {
		do_reload(nf, c);
		return;
	}
	if (msg->type != LB_MSG_COMMAND) {
		logf_(c, "message of unknown type %u ignored", msg->type);
		c->st.command_errors++;
		return;
	}
	if (lb_command(c, msg->data, msg->len, err, sizeof(err)) < 0) {
		logf_(c, "command refused: %s", err);
		report(nf, "load_balancer: command refused");
	} else {
		const char *end = msg->len ? memchr(msg->data, '\n', msg->len) : NULL;

		logf_(c, "command applied: %.*s",
		      (int)(end ? (size_t)(end - (const char *)msg->data) : msg->len),
		      (const char *)msg->data);
		report(nf, "load_balancer: command applied");
	}
}

static void
nf_teardown(struct sdnfv_nf *nf, void *arg)
{
	(void)nf;
	lb_summary(arg, stdout);
}

const struct sdnfv_nf_ops lb_nf_ops = {
	.sz = sizeof(lb_nf_ops),
	.setup = nf_setup,
	.handle = nf_handle,
	.idle = nf_idle,
	.message = nf_message,
	.teardown = nf_teardown,
};
