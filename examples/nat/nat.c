/* SPDX-License-Identifier: BSD-3-Clause */
/* nat: IPv4 NAPT (RFC 4787, 5382, 5508) and static port forwarding; see nat.h and README.md. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <sdnfv/nf.h>
#include <sdnfv/pkt.h>
#include <sdnfv/pool.h>

#include "nat.h"

/* Protocol index of the tables. */
enum { P_TCP = 0, P_UDP, P_ICMP, P__COUNT };

/* Mapping flags. */
#define M_USED    0x01
#define M_STATIC  0x02 /* a forward: never expires, accepts any remote */
#define M_SYN_OUT 0x04
#define M_SYN_IN  0x08
#define M_FIN_OUT 0x10
#define M_FIN_IN  0x20
#define M_EST     0x40 /* TCP: established (both SYNs seen, not both FINs, no RST) */
#define M_MAC     0x80 /* mac holds the internal host's MAC (learned from outbound frames) */

#define NAT_NS_PER_S 1000000000ull

struct nat_map {
	rte_be32_t int_ip;
	rte_be16_t int_port;
	rte_be16_t ext_port;
	uint64_t expire_ns;
	uint8_t pidx;
	uint8_t ext; /* index into cfg.external */
	uint8_t flags;
	uint8_t peer_next; /* APDF: the peer slot to overwrite next */
	uint8_t mac[6];
};

struct nat_peer {
	rte_be32_t ip;
	rte_be16_t port; /* 0 for ICMP: the remote is its address */
	uint16_t used;
};

/* A slot of the internal-endpoint hash; key 0 is empty (real keys carry pidx + 1). */
struct nat_slot {
	uint64_t key;
	uint32_t idx;
	uint32_t pad;
};

struct nat {
	struct nat_config cfg;
	struct nat_stats st;
	struct nat_map *maps;
	uint32_t n_maps; /* array size */
	uint32_t *free_ids;
	uint32_t n_free;
	uint32_t dyn_active; /* dynamic mappings in use */
	struct nat_slot *slots;
	uint64_t slot_mask;
	uint32_t *ext_tab;      /* [ext][pidx][port] = mapping index + 1, 0: free */
	struct nat_peer *peers; /* APDF only: NAT_PEERS per mapping */
	uint32_t expire_cursor;
	uint64_t last_report_ns;
	int8_t ext_slot[256]; /* index into cfg.external, -1: empty (see ext_index()) */
	uint64_t rng;
	uint64_t timeout_ns[P__COUNT][2]; /* [pidx][established] */
	struct nat_options opt;
};

/* ------------------------------------------------------------------------------------------ */
/* Configuration                                                                                */

static int
cfg_error(char *err, size_t errlen, const char *path, unsigned int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, "%s:%u: %s", path, line, msg);
	else
		snprintf(err, errlen, "%s: %s", path, msg);
	return -EINVAL;
}

static bool
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool
parse_ip(const char *s, rte_be32_t *out)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = a.s_addr;
	return true;
}

/* "a.b.c.d:port" */
static bool
parse_endpoint(const char *s, rte_be32_t *ip, rte_be16_t *port)
{
	char buf[32];
	const char *colon;
	uint32_t p;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL || (size_t)(colon - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(colon - s));
	buf[colon - s] = '\0';
	if (!parse_ip(buf, ip) || !parse_u32(colon + 1, 1, 65535, &p))
		return false;
	*port = rte_cpu_to_be_16((uint16_t)p);
	return true;
}

static bool
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6], i;
	char tail;

	if (s == NULL ||
	    sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return false;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return false;
		mac[i] = (uint8_t)b[i];
	}
	return true;
}

static bool
is_external(const struct nat_config *c, rte_be32_t ip)
{
	unsigned int i;

	for (i = 0; i < c->n_external; i++)
		if (c->external[i] == ip)
			return true;
	return false;
}

static int
parse_line(struct nat_config *c, char *line, const char *path, unsigned int ln, char *err,
	   size_t errlen)
{
	char *tok[8], *save = NULL, *t;
	unsigned int n = 0;
	uint32_t v, v2;

	t = strchr(line, '#');
	if (t != NULL)
		*t = '\0';
	for (t = strtok_r(line, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == RTE_DIM(tok))
			return cfg_error(err, errlen, path, ln, "too many words");
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
#define WANT(k)                                                                             \
	do {                                                                                \
		if (n != (k))                                                               \
			return cfg_error(err, errlen, path, ln, "'%s' takes %u argument%s", \
					 tok[0], (k)-1, (k) == 2 ? "" : "s");               \
	} while (0)

	if (strcmp(tok[0], "external") == 0) {
		rte_be32_t ip;

		WANT(2);
		if (!parse_ip(tok[1], &ip))
			return cfg_error(err, errlen, path, ln, "bad IPv4 address '%s'", tok[1]);
		if (is_external(c, ip))
			return cfg_error(err, errlen, path, ln, "external %s given twice", tok[1]);
		if (c->n_external == NAT_MAX_EXTERNAL)
			return cfg_error(err, errlen, path, ln, "more than %d external addresses",
					 NAT_MAX_EXTERNAL);
		c->external[c->n_external++] = ip;
	} else if (strcmp(tok[0], "internal") == 0) {
		char *slash;
		rte_be32_t ip;

		WANT(2);
		slash = strchr(tok[1], '/');
		if (slash == NULL)
			return cfg_error(err, errlen, path, ln,
					 "internal needs a prefix a.b.c.d/len");
		*slash = '\0';
		if (!parse_ip(tok[1], &ip) || !parse_u32(slash + 1, 0, 32, &v))
			return cfg_error(err, errlen, path, ln, "bad prefix '%s/%s'", tok[1],
					 slash + 1);
		if (c->n_internal == NAT_MAX_INTERNAL)
			return cfg_error(err, errlen, path, ln, "more than %d internal prefixes",
					 NAT_MAX_INTERNAL);
		c->internal[c->n_internal].mask = v == 0 ? 0 : ~0u << (32 - v);
		c->internal[c->n_internal].addr =
			rte_be_to_cpu_32(ip) & c->internal[c->n_internal].mask;
		c->n_internal++;
	} else if (strcmp(tok[0], "ports") == 0) {
		char *dash;

		WANT(2);
		dash = strchr(tok[1], '-');
		if (dash == NULL)
			return cfg_error(err, errlen, path, ln, "ports needs a range LO-HI");
		*dash = '\0';
		if (!parse_u32(tok[1], 1, 65535, &v) || !parse_u32(dash + 1, 1, 65535, &v2) ||
		    v > v2)
			return cfg_error(err, errlen, path, ln,
					 "bad port range (1-65535, low <= high)");
		c->port_lo = (uint16_t)v;
		c->port_hi = (uint16_t)v2;
	} else if (strcmp(tok[0], "filtering") == 0) {
		WANT(2);
		if (strcmp(tok[1], "endpoint-independent") == 0)
			c->filtering = NAT_FILTER_EIF;
		else if (strcmp(tok[1], "address-and-port-dependent") == 0)
			c->filtering = NAT_FILTER_APDF;
		else
			return cfg_error(err, errlen, path, ln,
					 "filtering is endpoint-independent or "
					 "address-and-port-dependent, not '%s'",
					 tok[1]);
	} else if (strcmp(tok[0], "timeout") == 0) {
		/* RFC 4787 REQ-5, RFC 5382 REQ-5, RFC 5508 REQ-1: the lower bounds. */
		static const struct {
			const char *name;
			uint32_t min;
			const char *rfc;
		} kinds[] = {
			{ "udp", 120, "RFC 4787 REQ-5" },
			{ "tcp-established", 7440, "RFC 5382 REQ-5" },
			{ "tcp-transitory", 240, "RFC 5382 REQ-5" },
			{ "icmp", 60, "RFC 5508 REQ-1" },
		};
		uint32_t *field[] = { &c->timeout_udp, &c->timeout_tcp_est, &c->timeout_tcp_trans,
				      &c->timeout_icmp };
		unsigned int k;

		WANT(3);
		for (k = 0; k < RTE_DIM(kinds); k++)
			if (strcmp(tok[1], kinds[k].name) == 0)
				break;
		if (k == RTE_DIM(kinds))
			return cfg_error(err, errlen, path, ln,
					 "timeout is udp, tcp-established, tcp-transitory or "
					 "icmp, not '%s'",
					 tok[1]);
		if (!parse_u32(tok[2], 1, 86400 * 7, &v))
			return cfg_error(err, errlen, path, ln, "bad seconds '%s'", tok[2]);
		if (v < kinds[k].min)
			return cfg_error(err, errlen, path, ln,
					 "timeout %s %u is below the %u s that %s requires", tok[1],
					 v, kinds[k].min, kinds[k].rfc);
		*field[k] = v;
	} else if (strcmp(tok[0], "inbound-refresh") == 0) {
		WANT(2);
		if (strcmp(tok[1], "on") == 0)
			c->inbound_refresh = true;
		else if (strcmp(tok[1], "off") == 0)
			c->inbound_refresh = false;
		else
			return cfg_error(err, errlen, path, ln, "inbound-refresh is on or off");
	} else if (strcmp(tok[0], "forward") == 0) {
		struct nat_forward f;
		unsigned int i;

		WANT(4);
		if (strcmp(tok[1], "tcp") == 0)
			f.proto = IPPROTO_TCP;
		else if (strcmp(tok[1], "udp") == 0)
			f.proto = IPPROTO_UDP;
		else
			return cfg_error(err, errlen, path, ln, "forward protocol is tcp or udp");
		if (!parse_endpoint(tok[2], &f.ext_ip, &f.ext_port) ||
		    !parse_endpoint(tok[3], &f.int_ip, &f.int_port))
			return cfg_error(err, errlen, path, ln,
					 "forward needs EXTERNAL-IP:PORT INTERNAL-IP:PORT");
		if (!is_external(c, f.ext_ip))
			return cfg_error(err, errlen, path, ln,
					 "%s is not an external address (declare it with "
					 "'external' first)",
					 tok[2]);
		for (i = 0; i < c->n_forwards; i++) {
			const struct nat_forward *o = &c->forwards[i];

			if (o->proto == f.proto &&
			    ((o->ext_ip == f.ext_ip && o->ext_port == f.ext_port) ||
			     (o->int_ip == f.int_ip && o->int_port == f.int_port)))
				return cfg_error(err, errlen, path, ln,
						 "forward overlaps an earlier one (same "
						 "external or internal endpoint)");
		}
		if (c->n_forwards == NAT_MAX_FORWARDS)
			return cfg_error(err, errlen, path, ln, "more than %d forwards",
					 NAT_MAX_FORWARDS);
		c->forwards[c->n_forwards++] = f;
	} else if (strcmp(tok[0], "max-mappings") == 0) {
		WANT(2);
		if (!parse_u32(tok[1], 1, 1u << 26, &v))
			return cfg_error(err, errlen, path, ln, "max-mappings is 1 to %u",
					 1u << 26);
		c->max_mappings = v;
	} else if (strcmp(tok[0], "inside-port") == 0 || strcmp(tok[0], "outside-port") == 0) {
		WANT(2);
		if (!parse_u32(tok[1], 0, 65534, &v))
			return cfg_error(err, errlen, path, ln, "bad port id '%s'", tok[1]);
		if (tok[0][0] == 'i')
			c->inside_port = (uint16_t)v;
		else
			c->outside_port = (uint16_t)v;
	} else if (strcmp(tok[0], "inside-mac") == 0 || strcmp(tok[0], "outside-mac") == 0 ||
		   strcmp(tok[0], "outside-gw-mac") == 0) {
		uint8_t *dst = tok[0][0] == 'i'   ? c->inside_mac
			       : tok[0][8] == 'g' ? c->outside_gw_mac
						  : c->outside_mac;

		WANT(2);
		if (!parse_mac(tok[1], dst))
			return cfg_error(err, errlen, path, ln, "bad MAC address '%s'", tok[1]);
		c->mac_set |= dst == c->inside_mac ? 1u : dst == c->outside_mac ? 2u : 4u;
	} else {
		return cfg_error(err, errlen, path, ln, "unknown directive '%s'", tok[0]);
	}
#undef WANT
	return 0;
}

static void
cfg_defaults(struct nat_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port_lo = 1024;
	c->port_hi = 65535;
	c->filtering = NAT_FILTER_EIF;
	c->timeout_udp = 300;
	c->timeout_tcp_est = 7440;
	c->timeout_tcp_trans = 240;
	c->timeout_icmp = 60;
	c->max_mappings = 65536;
	c->inside_port = NAT_NO_PORT;
	c->outside_port = NAT_NO_PORT;
}

/* Whether ip lies in one of the internal prefixes. */
static inline bool
cfg_internal(const struct nat_config *c, rte_be32_t ip)
{
	uint32_t h = rte_be_to_cpu_32(ip);
	unsigned int i;

	for (i = 0; i < c->n_internal; i++)
		if ((h & c->internal[i].mask) == c->internal[i].addr)
			return true;
	return false;
}

/* The first forward whose server is outside every internal prefix (its replies would not be
 * translated), or -1. */
static int
cfg_bad_forward(const struct nat_config *c)
{
	unsigned int i;

	for (i = 0; i < c->n_forwards; i++)
		if (!cfg_internal(c, c->forwards[i].int_ip))
			return (int)i;
	return -1;
}

int
nat_config_load(const char *path, struct nat_config *c, char *err, size_t errlen)
{
	char line[512], addr[INET_ADDRSTRLEN];
	unsigned int ln = 0, fwd_line[NAT_MAX_FORWARDS];
	FILE *f;
	int ret = 0, bad;

	cfg_defaults(c);
	memset(fwd_line, 0, sizeof(fwd_line));
	f = fopen(path, "r");
	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		ln++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			ret = cfg_error(err, errlen, path, ln, "line longer than %zu bytes",
					sizeof(line) - 2);
			break;
		}
		ret = parse_line(c, line, path, ln, err, errlen);
		if (ret < 0)
			break;
		if (c->n_forwards > 0 && fwd_line[c->n_forwards - 1] == 0)
			fwd_line[c->n_forwards - 1] = ln;
	}
	fclose(f);
	if (ret < 0)
		return ret;
	if (c->n_external == 0)
		return cfg_error(err, errlen, path, 0, "no 'external' address");
	if (c->n_internal == 0)
		return cfg_error(err, errlen, path, 0, "no 'internal' prefix");
	/* Checked here, not on the forward's line: an 'internal' line may come later. */
	bad = cfg_bad_forward(c);
	if (bad >= 0)
		return cfg_error(err, errlen, path, fwd_line[bad],
				 "forward to %s, which is in no 'internal' prefix (its replies "
				 "would not be translated)",
				 inet_ntop(AF_INET, &c->forwards[bad].int_ip, addr, sizeof(addr)));
	if (c->mac_set != 0 && c->mac_set != 7)
		return cfg_error(err, errlen, path, 0,
				 "inside-mac, outside-mac and outside-gw-mac go together");
	c->router_macs = c->mac_set == 7;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Tables                                                                                       */

static inline uint64_t
int_key(unsigned int pidx, rte_be32_t ip, rte_be16_t port)
{
	return ((uint64_t)(pidx + 1) << 48) | ((uint64_t)ip << 16) | port;
}

static inline uint64_t
slot_of(const struct nat *n, uint64_t key)
{
	return rte_hash_crc_8byte(key, 0x9e3779b9) & n->slot_mask;
}

static inline uint32_t
hash_find(const struct nat *n, uint64_t key)
{
	uint64_t i = slot_of(n, key);

	for (;; i = (i + 1) & n->slot_mask) {
		if (n->slots[i].key == key)
			return n->slots[i].idx;
		if (n->slots[i].key == 0)
			return UINT32_MAX;
	}
}

static void
hash_insert(struct nat *n, uint64_t key, uint32_t idx)
{
	uint64_t i = slot_of(n, key);

	while (n->slots[i].key != 0)
		i = (i + 1) & n->slot_mask;
	n->slots[i].key = key;
	n->slots[i].idx = idx;
}

/* Linear probing without tombstones: shift later members of the run back into the hole. */
static void
hash_delete(struct nat *n, uint64_t key)
{
	uint64_t i = slot_of(n, key), j, home;

	while (n->slots[i].key != key) {
		if (n->slots[i].key == 0)
			return;
		i = (i + 1) & n->slot_mask;
	}
	j = i;
	for (;;) {
		n->slots[i].key = 0;
		for (;;) {
			j = (j + 1) & n->slot_mask;
			if (n->slots[j].key == 0)
				return;
			home = slot_of(n, n->slots[j].key);
			/* Move j to i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		n->slots[i] = n->slots[j];
		i = j;
	}
}

static inline uint32_t *
ext_cell(const struct nat *n, unsigned int ext, unsigned int pidx, uint16_t port)
{
	return &n->ext_tab[((size_t)ext * P__COUNT + pidx) * 65536 + port];
}

static inline uint64_t
rng_next(struct nat *n)
{
	n->rng ^= n->rng << 13;
	n->rng ^= n->rng >> 7;
	n->rng ^= n->rng << 17;
	return n->rng;
}

static void
map_free(struct nat *n, uint32_t idx)
{
	struct nat_map *m = &n->maps[idx];

	hash_delete(n, int_key(m->pidx, m->int_ip, m->int_port));
	*ext_cell(n, m->ext, m->pidx, rte_be_to_cpu_16(m->ext_port)) = 0;
	m->flags = 0;
	n->free_ids[n->n_free++] = idx;
	n->dyn_active--;
	n->st.active--;
}

static inline bool
map_expired(const struct nat_map *m, uint64_t now)
{
	return !(m->flags & M_STATIC) && m->expire_ns <= now;
}

static inline void
map_refresh(const struct nat *n, struct nat_map *m, uint64_t now)
{
	m->expire_ns = now + n->timeout_ns[m->pidx][(m->flags & M_EST) != 0];
}

static uint32_t
map_add(struct nat *n, unsigned int pidx, unsigned int ext, rte_be32_t int_ip, rte_be16_t int_port,
	rte_be16_t ext_port, uint8_t flags)
{
	uint32_t idx = n->free_ids[--n->n_free];
	struct nat_map *m = &n->maps[idx];

	memset(m, 0, sizeof(*m));
	m->int_ip = int_ip;
	m->int_port = int_port;
	m->ext_port = ext_port;
	m->pidx = (uint8_t)pidx;
	m->ext = (uint8_t)ext;
	m->flags = (uint8_t)(M_USED | flags);
	hash_insert(n, int_key(pidx, int_ip, int_port), idx);
	*ext_cell(n, ext, pidx, rte_be_to_cpu_16(ext_port)) = idx + 1;
	if (n->peers != NULL)
		memset(&n->peers[(size_t)idx * NAT_PEERS], 0, sizeof(struct nat_peer) * NAT_PEERS);
	n->st.active++;
	return idx;
}

/* A free external port on address ext: the internal port itself when it is free (port
 * preservation), else the first free one from a random point of the range. A cell held by an
 * expired mapping counts as free (the mapping goes now). */
static int
port_alloc(struct nat *n, unsigned int ext, unsigned int pidx, uint16_t want, uint64_t now)
{
	uint32_t lo = n->cfg.port_lo, range = (uint32_t)n->cfg.port_hi - lo + 1, i, p;

	for (i = 0; i <= range; i++) {
		uint32_t *cell;

		if (i == 0) {
			if (want < lo || want > n->cfg.port_hi)
				continue;
			p = want;
		} else {
			if (i == 1)
				p = lo + (uint32_t)(rng_next(n) % range);
			else
				p = p == n->cfg.port_hi ? lo : p + 1;
		}
		cell = ext_cell(n, ext, pidx, (uint16_t)p);
		if (*cell != 0 && map_expired(&n->maps[*cell - 1], now)) {
			map_free(n, *cell - 1);
			n->st.expired++;
		}
		if (*cell == 0)
			return (int)p;
	}
	return -1;
}

/* RFC 4787 REQ-2: "paired" pooling: an internal address always gets the same external one. */
static inline unsigned int
paired_ext(const struct nat *n, rte_be32_t int_ip)
{
	return n->cfg.n_external == 1 ? 0 : rte_hash_crc_4byte(int_ip, 7) % n->cfg.n_external;
}

/* The mapping of an internal endpoint, created when missing. Returns its index, or
 * UINT32_MAX with *why set. */
static uint32_t
map_outbound(struct nat *n, unsigned int pidx, rte_be32_t int_ip, rte_be16_t int_port, uint64_t now,
	     enum nat_drop *why)
{
	uint32_t idx = hash_find(n, int_key(pidx, int_ip, int_port));
	unsigned int ext;
	int port;

	if (idx != UINT32_MAX) {
		if (!map_expired(&n->maps[idx], now))
			return idx;
		map_free(n, idx);
		n->st.expired++;
	}
	/* Full: reclaim a few expired mappings before refusing (bounded work per packet). */
	if (n->dyn_active >= n->cfg.max_mappings && nat_expire(n, now, 256) == 0) {
		*why = NAT_DROP_TABLE_FULL;
		return UINT32_MAX;
	}
	ext = paired_ext(n, int_ip);
	port = port_alloc(n, ext, pidx, rte_be_to_cpu_16(int_port), now);
	if (port < 0) {
		*why = NAT_DROP_NO_PORT;
		return UINT32_MAX;
	}
	idx = map_add(n, pidx, ext, int_ip, int_port, rte_cpu_to_be_16((uint16_t)port), 0);
	n->dyn_active++;
	n->st.created++;
	map_refresh(n, &n->maps[idx], now);
	return idx;
}

/* The external addresses by hash: 256 slots for at most NAT_MAX_EXTERNAL (64) addresses keep
 * runs short; -1 ends a run. */
static inline unsigned int
ext_hash(rte_be32_t ip)
{
	return (uint32_t)(ip * 0x9e3779b1u) >> 24;
}

static int
ext_index(const struct nat *n, rte_be32_t ip)
{
	unsigned int h = ext_hash(ip);

	for (;; h = (h + 1) & 255) {
		int i = n->ext_slot[h];

		if (i < 0 || n->cfg.external[i] == ip)
			return i;
	}
}

/* The live mapping of an external endpoint, or UINT32_MAX (an expired one goes now). */
static uint32_t
map_inbound(struct nat *n, unsigned int ext, unsigned int pidx, rte_be16_t ext_port, uint64_t now)
{
	uint32_t cell = *ext_cell(n, ext, pidx, rte_be_to_cpu_16(ext_port));

	if (cell == 0)
		return UINT32_MAX;
	if (map_expired(&n->maps[cell - 1], now)) {
		map_free(n, cell - 1);
		n->st.expired++;
		return UINT32_MAX;
	}
	return cell - 1;
}

/* APDF: remember a remote endpoint the mapping sent to (bounded: the oldest goes). */
static void
peer_note(struct nat *n, uint32_t idx, rte_be32_t ip, rte_be16_t port)
{
	struct nat_peer *p = &n->peers[(size_t)idx * NAT_PEERS];
	struct nat_map *m = &n->maps[idx];
	unsigned int i;

	for (i = 0; i < NAT_PEERS; i++)
		if (p[i].used && p[i].ip == ip && p[i].port == port)
			return;
	p[m->peer_next].ip = ip;
	p[m->peer_next].port = port;
	p[m->peer_next].used = 1;
	m->peer_next = (uint8_t)((m->peer_next + 1) % NAT_PEERS);
}

static bool
peer_known(const struct nat *n, uint32_t idx, rte_be32_t ip, rte_be16_t port)
{
	const struct nat_peer *p = &n->peers[(size_t)idx * NAT_PEERS];
	unsigned int i;

	for (i = 0; i < NAT_PEERS; i++)
		if (p[i].used && p[i].ip == ip && p[i].port == port)
			return true;
	return false;
}

/* RFC 5382: track enough of TCP to tell established from transitory. */
static void
tcp_track(struct nat_map *m, uint8_t tcp_flags, bool outbound)
{
	if (tcp_flags & 0x04) { /* RST */
		m->flags &= (uint8_t) ~(M_EST | M_SYN_OUT | M_SYN_IN | M_FIN_OUT | M_FIN_IN);
		return;
	}
	if (tcp_flags & 0x02) { /* SYN: a new connection on the mapping */
		m->flags |= outbound ? M_SYN_OUT : M_SYN_IN;
		m->flags &= (uint8_t) ~(M_FIN_OUT | M_FIN_IN);
		if ((m->flags & (M_SYN_OUT | M_SYN_IN)) == (M_SYN_OUT | M_SYN_IN))
			m->flags |= M_EST;
	}
	if (tcp_flags & 0x01) { /* FIN */
		m->flags |= outbound ? M_FIN_OUT : M_FIN_IN;
		/* Closed both ways: forget the SYNs too, so that the next connection on the
		 * mapping is established only once it has seen SYNs both ways itself. */
		if ((m->flags & (M_FIN_OUT | M_FIN_IN)) == (M_FIN_OUT | M_FIN_IN))
			m->flags &= (uint8_t) ~(M_EST | M_SYN_OUT | M_SYN_IN);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Rewrites (RFC 1624 incremental checksums)                                                    */

static inline uint16_t
ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t
ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline void
st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline void
st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Offset of the L4 checksum in the header of protocol index pidx. */
static const uint8_t l4_ck_off[P__COUNT] = { 16, 6, 2 };

/* Rewrite an IPv4 address at ip + off (12 src, 16 dst) with the header checksum and the L4
 * checksum (TCP/UDP pseudo-header; ICMP has none). l4 NULL: no L4 checksum to fix. */
static void
rewrite_addr(uint8_t *ip, unsigned int off, rte_be32_t to, uint8_t *l4, unsigned int pidx)
{
	rte_be32_t from = ld32(ip + off);

	st16(ip + 10, sdnfv_pkt_cksum_adjust32(ld16(ip + 10), from, to));
	st32(ip + off, to);
	if (l4 != NULL && pidx != P_ICMP) {
		uint8_t *ck = l4 + l4_ck_off[pidx];
		rte_be16_t c = ld16(ck);

		if (pidx == P_UDP && c == 0)
			return; /* no checksum: stays 0 */
		c = sdnfv_pkt_cksum_adjust32(c, from, to);
		st16(ck, pidx == P_UDP && c == 0 ? 0xffff : c);
	}
}

/* Rewrite the port at l4 + off (0 src, 2 dst; 4 the ICMP identifier) and the L4 checksum. */
static void
rewrite_port(uint8_t *l4, unsigned int off, rte_be16_t to, unsigned int pidx)
{
	uint8_t *ck = l4 + l4_ck_off[pidx];
	rte_be16_t from = ld16(l4 + off), c = ld16(ck);

	st16(l4 + off, to);
	if (pidx == P_UDP && c == 0)
		return;
	c = sdnfv_pkt_cksum_adjust16(c, from, to);
	st16(ck, pidx == P_UDP && c == 0 ? 0xffff : c);
}

static void
mac_rewrite(uint8_t *frame, const uint8_t *dst, const uint8_t *src)
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
}

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ------------------------------------------------------------------------------------------ */
/* The packet path                                                                              */

static inline bool
is_internal(const struct nat *n, rte_be32_t ip)
{
	return cfg_internal(&n->cfg, ip);
}

static inline enum nat_verdict
drop(struct nat *n, enum nat_drop why)
{
	n->st.dropped[why]++;
	return NAT_V_DROP;
}

static inline bool
icmp_is_query(uint8_t type)
{
	/* echo, timestamp, information, address mask: requests and replies */
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static inline bool
icmp_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 11 || type == 12;
}

static enum nat_verdict
to_inside(struct nat *n, uint8_t *frame, const struct nat_map *m, uint16_t *out_port,
	  enum nat_verdict dflt)
{
	if (n->cfg.router_macs)
		mac_rewrite(frame, (m->flags & M_MAC) ? m->mac : mac_bcast, n->cfg.inside_mac);
	if (n->cfg.inside_port != NAT_NO_PORT) {
		*out_port = n->cfg.inside_port;
		return NAT_V_PORT;
	}
	return dflt;
}

static enum nat_verdict
to_outside(struct nat *n, uint8_t *frame, uint16_t *out_port)
{
	if (n->cfg.router_macs)
		mac_rewrite(frame, n->cfg.outside_gw_mac, n->cfg.outside_mac);
	if (n->cfg.outside_port != NAT_NO_PORT) {
		*out_port = n->cfg.outside_port;
		return NAT_V_PORT;
	}
	return NAT_V_NEXT;
}

/* The embedded datagram of an ICMP error: its IP header and first 8+ bytes of L4. */
struct emb {
	uint8_t *ip;
	uint8_t *l4;
	uint32_t l4_len; /* quoted L4 bytes (>= 8) */
	unsigned int pidx;
};

static int
emb_parse(uint8_t *icmp, uint32_t icmp_len, struct emb *e)
{
	uint32_t ihl;
	uint8_t proto;

	if (icmp_len < 8 + 20)
		return -1;
	e->ip = icmp + 8;
	ihl = (e->ip[0] & 0x0fu) * 4;
	if ((e->ip[0] >> 4) != 4 || ihl < 20 || icmp_len < 8 + ihl + 8)
		return -1;
	if ((rte_be_to_cpu_16(ld16(e->ip + 6)) & 0x1fff) != 0)
		return -1; /* a non-first fragment quotes no L4 header */
	proto = e->ip[9];
	e->l4 = e->ip + ihl;
	e->l4_len = icmp_len - 8 - ihl;
	if (proto == IPPROTO_TCP)
		e->pidx = P_TCP;
	else if (proto == IPPROTO_UDP)
		e->pidx = P_UDP;
	else if (proto == IPPROTO_ICMP && icmp_is_query(e->l4[0]))
		e->pidx = P_ICMP; /* an error about an error is never sent (RFC 1122) */
	else
		return -1;
	return 0;
}

/*
 * Translate an ICMP error (RFC 5508 REQ-4): the outer address, the embedded IP address and its
 * header checksum, the embedded port or identifier, the embedded L4 checksum when it was quoted,
 * and the outer ICMP checksum, which covers all of the embedded bytes.
 * inbound: outer dst and embedded src become the internal endpoint; outbound: the embedded dst
 * becomes the external endpoint and the outer src, whichever internal address sent the error
 * (the host or a router in front of it), the external address.
 */
static void
emb_rewrite(uint8_t *ip, uint8_t *icmp, const struct emb *e, bool inbound, rte_be32_t to_ip,
	    rte_be16_t to_port)
{
	unsigned int addr_off = inbound ? 12 : 16;
	unsigned int port_off = e->pidx == P_ICMP ? 4 : inbound ? 0 : 2;
	unsigned int ck_off = l4_ck_off[e->pidx];
	rte_be16_t icmp_ck = ld16(icmp + 2);
	rte_be32_t from_ip = ld32(e->ip + addr_off);
	rte_be16_t from_port = ld16(e->l4 + port_off);
	rte_be16_t old_ipck = ld16(e->ip + 10), new_ipck;

	/* Outer header: the address that moves with the embedded one. */
	rewrite_addr(ip, inbound ? 16 : 12, to_ip, NULL, P_ICMP);

	/* Embedded IP address and header checksum. */
	new_ipck = sdnfv_pkt_cksum_adjust32(old_ipck, from_ip, to_ip);
	st32(e->ip + addr_off, to_ip);
	st16(e->ip + 10, new_ipck);
	icmp_ck = sdnfv_pkt_cksum_adjust32(icmp_ck, from_ip, to_ip);
	icmp_ck = sdnfv_pkt_cksum_adjust16(icmp_ck, old_ipck, new_ipck);

	/* Embedded L4 checksum, when the quote holds it (a TCP one needs 18 bytes). The quote is
	 * truncated, so it cannot be verified; it is adjusted so it stays what it was, modulo
	 * the translation (RFC 5508 section 4.2). */
	if (e->l4_len >= ck_off + 2u) {
		rte_be16_t old_l4ck = ld16(e->l4 + ck_off), c = old_l4ck;

		if (!(e->pidx == P_UDP && c == 0)) {
			if (e->pidx != P_ICMP)
				c = sdnfv_pkt_cksum_adjust32(c, from_ip, to_ip);
			c = sdnfv_pkt_cksum_adjust16(c, from_port, to_port);
			if (e->pidx == P_UDP && c == 0)
				c = 0xffff;
			st16(e->l4 + ck_off, c);
			icmp_ck = sdnfv_pkt_cksum_adjust16(icmp_ck, old_l4ck, c);
		}
	}
	/* Embedded port or identifier. */
	st16(e->l4 + port_off, to_port);
	icmp_ck = sdnfv_pkt_cksum_adjust16(icmp_ck, from_port, to_port);
	st16(icmp + 2, icmp_ck);
}

static enum nat_verdict
icmp_error_in(struct nat *n, uint8_t *frame, uint8_t *ip, uint8_t *icmp, uint32_t icmp_len, int ext,
	      uint64_t now, uint16_t *out_port)
{
	struct emb e;
	uint32_t idx;
	struct nat_map *m;

	if (emb_parse(icmp, icmp_len, &e) < 0)
		return drop(n, NAT_DROP_ICMP_EMBEDDED);
	/* It quotes what the NAT sent: its source is the outer destination. */
	if (ld32(e.ip + 12) != ld32(ip + 16))
		return drop(n, NAT_DROP_ICMP_EMBEDDED);
	idx = map_inbound(n, (unsigned int)ext, e.pidx, ld16(e.l4 + (e.pidx == P_ICMP ? 4 : 0)),
			  now);
	if (idx == UINT32_MAX)
		return drop(n, NAT_DROP_NO_MAPPING);
	m = &n->maps[idx];
	emb_rewrite(ip, icmp, &e, true, m->int_ip, m->int_port);
	n->st.in++;
	n->st.icmp_errors++;
	return to_inside(n, frame, m, out_port, NAT_V_NEXT);
}

static enum nat_verdict
icmp_error_out(struct nat *n, uint8_t *frame, uint8_t *ip, uint8_t *icmp, uint32_t icmp_len,
	       uint64_t now, uint16_t *out_port)
{
	struct emb e;
	uint32_t idx;
	struct nat_map *m;

	if (emb_parse(icmp, icmp_len, &e) < 0)
		return drop(n, NAT_DROP_ICMP_EMBEDDED);
	/* It quotes an inbound packet the NAT translated (quoted source: the remote; quoted
	 * destination: the internal endpoint of a mapping) and goes back to that remote. The
	 * sender is whoever found the problem: the host itself or a router on the way to it
	 * (RFC 5508 REQ-4), so the outer source is not compared with the quote. */
	if (ld32(e.ip + 12) != ld32(ip + 16))
		return drop(n, NAT_DROP_ICMP_EMBEDDED);
	idx = hash_find(n,
			int_key(e.pidx, ld32(e.ip + 16), ld16(e.l4 + (e.pidx == P_ICMP ? 4 : 2))));
	if (idx == UINT32_MAX || map_expired(&n->maps[idx], now))
		return drop(n, NAT_DROP_NO_MAPPING);
	m = &n->maps[idx];
	emb_rewrite(ip, icmp, &e, false, n->cfg.external[m->ext], m->ext_port);
	n->st.out++;
	n->st.icmp_errors++;
	return to_outside(n, frame, out_port);
}

/* A packet reaching mapping m from outside (or hairpinned to it): TCP state and refresh (RFC
 * 5382 REQ-5: both ways), UDP and ICMP refresh only with inbound-refresh (RFC 4787 REQ-6). */
static inline void
map_track_inbound(struct nat *n, struct nat_map *m, int pidx, const uint8_t *l4, uint64_t now)
{
	if (pidx == P_TCP) {
		tcp_track(m, l4[13], false);
		if (!(m->flags & M_STATIC))
			map_refresh(n, m, now);
	} else if (n->cfg.inbound_refresh && !(m->flags & M_STATIC)) {
		map_refresh(n, m, now);
	}
}

/* The L4 protocol index and the port/identifier offsets of a packet; -1: not translatable. */
static int
l4_kind(const struct sdnfv_pkt_info *info, const uint8_t *l4, unsigned int *sport_off,
	unsigned int *dport_off)
{
	switch (info->l4_proto) {
	case IPPROTO_TCP:
		*sport_off = 0;
		*dport_off = 2;
		return P_TCP;
	case IPPROTO_UDP:
		*sport_off = 0;
		*dport_off = 2;
		return P_UDP;
	case IPPROTO_ICMP:
		*sport_off = 4;
		*dport_off = 4;
		return icmp_is_query(l4[0]) ? P_ICMP : -1;
	default:
		return -1;
	}
}

enum nat_verdict
nat_process(struct nat *n, uint8_t *frame, uint32_t len, uint64_t now, uint16_t *out_port)
{
	struct sdnfv_pkt_info info;
	unsigned int sp_off, dp_off;
	rte_be32_t src, dst;
	uint8_t *ip, *l4;
	bool src_int;
	int ext, pidx;
	uint32_t idx;
	struct nat_map *m;
	enum nat_drop why = NAT_DROP_TABLE_FULL;

	n->st.rx++;
	if (sdnfv_pkt_parse(frame, len, &info) < 0)
		return drop(n, NAT_DROP_MALFORMED);
	if (info.l3 != SDNFV_PKT_L3_IPV4)
		goto other;
	ip = frame + info.l3_off;
	src = ld32(ip + 12);
	dst = ld32(ip + 16);
	ext = ext_index(n, dst);
	src_int = is_internal(n, src);
	if (ext < 0 && !src_int)
		goto other;
	if (info.flags & SDNFV_PKT_F_FRAG)
		return drop(n, NAT_DROP_FRAGMENT);
	if (!(info.flags & SDNFV_PKT_F_L4))
		return drop(n, NAT_DROP_UNSUPPORTED);
	l4 = frame + info.l4_off;

	if (info.l4_proto == IPPROTO_ICMP && icmp_is_error(l4[0])) {
		uint32_t icmp_len = info.l3_end - info.l4_off;

		if (ext >= 0 && !src_int)
			return icmp_error_in(n, frame, ip, l4, icmp_len, ext, now, out_port);
		if (ext < 0)
			return icmp_error_out(n, frame, ip, l4, icmp_len, now, out_port);
		return drop(n, NAT_DROP_UNSUPPORTED); /* a hairpinned error */
	}
	pidx = l4_kind(&info, l4, &sp_off, &dp_off);
	if (pidx < 0)
		return drop(n, NAT_DROP_UNSUPPORTED);

	if (src_int) {
		/* Outbound, or the first half of a hairpin: the source gets its mapping. */
		rte_be16_t sport = ld16(l4 + sp_off);
		struct nat_map *peer_m = NULL;
		uint32_t peer_idx = UINT32_MAX;

		if (ext >= 0) {
			/* Hairpin (RFC 4787 REQ-9, RFC 5382 REQ-8): the destination must be a
			 * mapping; look it up before creating one for the source. */
			peer_idx = map_inbound(n, (unsigned int)ext, (unsigned int)pidx,
					       ld16(l4 + dp_off), now);
			if (peer_idx == UINT32_MAX)
				return drop(n, NAT_DROP_NO_MAPPING);
		}
		idx = map_outbound(n, (unsigned int)pidx, src, sport, now, &why);
		if (idx == UINT32_MAX)
			return drop(n, why);
		m = &n->maps[idx];
		if (pidx == P_TCP)
			tcp_track(m, l4[13], true);
		if (!(m->flags & M_STATIC))
			map_refresh(n, m, now);
		if (n->cfg.router_macs) {
			memcpy(m->mac, frame + 6, 6);
			m->flags |= M_MAC;
		}
		if (n->peers != NULL)
			peer_note(n, idx, dst, pidx == P_ICMP ? 0 : ld16(l4 + dp_off));
		if (ext < 0) {
			rewrite_addr(ip, 12, n->cfg.external[m->ext], l4, (unsigned int)pidx);
			rewrite_port(l4, sp_off, m->ext_port, (unsigned int)pidx);
			n->st.out++;
			return to_outside(n, frame, out_port);
		}
		/* Hairpin, second half: seen from the destination's mapping, the packet comes
		 * from the source's external endpoint; filtering applies to that. */
		peer_m = &n->maps[peer_idx];
		if (n->peers != NULL && !(peer_m->flags & M_STATIC) &&
		    !peer_known(n, peer_idx, n->cfg.external[m->ext],
				pidx == P_ICMP ? 0 : m->ext_port))
			return drop(n, NAT_DROP_FILTERED);
		if (pidx == P_ICMP)
			return drop(n, NAT_DROP_UNSUPPORTED); /* one identifier field: no hairpin */
		/* For the destination's mapping the packet is inbound: track and refresh it as
		 * such, or a hairpinned TCP connection would never see both SYNs on either
		 * mapping and die after the transitory timeout (RFC 5382 REQ-5). */
		map_track_inbound(n, peer_m, pidx, l4, now);
		rewrite_addr(ip, 12, n->cfg.external[m->ext], l4, (unsigned int)pidx);
		rewrite_port(l4, sp_off, m->ext_port, (unsigned int)pidx);
		rewrite_addr(ip, 16, peer_m->int_ip, l4, (unsigned int)pidx);
		rewrite_port(l4, dp_off, peer_m->int_port, (unsigned int)pidx);
		n->st.hairpin++;
		return to_inside(n, frame, peer_m, out_port, NAT_V_INGRESS);
	}

	/* Inbound. */
	idx = map_inbound(n, (unsigned int)ext, (unsigned int)pidx, ld16(l4 + dp_off), now);
	if (idx == UINT32_MAX)
		return drop(n, NAT_DROP_NO_MAPPING);
	m = &n->maps[idx];
	if (n->peers != NULL && !(m->flags & M_STATIC) &&
	    !peer_known(n, idx, src, pidx == P_ICMP ? 0 : ld16(l4 + sp_off)))
		return drop(n, NAT_DROP_FILTERED);
	map_track_inbound(n, m, pidx, l4, now);
	rewrite_addr(ip, 16, m->int_ip, l4, (unsigned int)pidx);
	rewrite_port(l4, dp_off, m->int_port, (unsigned int)pidx);
	n->st.in++;
	return to_inside(n, frame, m, out_port, NAT_V_NEXT);

other:
	/* Not for the NAT: a chain passes it on; a router has nowhere to send it. */
	if (n->cfg.inside_port != NAT_NO_PORT || n->cfg.outside_port != NAT_NO_PORT)
		return drop(n, NAT_DROP_OTHER);
	n->st.passed++;
	return NAT_V_NEXT;
}

unsigned int
nat_expire(struct nat *n, uint64_t now, unsigned int budget)
{
	unsigned int removed = 0, i;

	for (i = 0; i < budget && i < n->n_maps; i++) {
		uint32_t idx = n->expire_cursor;
		struct nat_map *m = &n->maps[idx];

		n->expire_cursor = idx + 1 == n->n_maps ? 0 : idx + 1;
		if ((m->flags & M_USED) && map_expired(m, now)) {
			map_free(n, idx);
			n->st.expired++;
			removed++;
		}
	}
	return removed;
}

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                      */

int
nat_create_cfg(const struct nat_config *cfg, const struct nat_options *opt, struct nat **out,
	       char *err, size_t errlen)
{
	struct nat *n;
	uint64_t slots = 16;
	uint32_t i;
	int bad = cfg_bad_forward(cfg);

	if (bad >= 0) {
		char addr[INET_ADDRSTRLEN];

		snprintf(err, errlen, "nat: forward to %s, which is in no internal prefix",
			 inet_ntop(AF_INET, &cfg->forwards[bad].int_ip, addr, sizeof(addr)));
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		goto nomem;
	n->cfg = *cfg;
	if (opt != NULL)
		n->opt = *opt;
	memset(n->ext_slot, -1, sizeof(n->ext_slot));
	for (i = 0; i < cfg->n_external; i++) {
		unsigned int h = ext_hash(cfg->external[i]);

		while (n->ext_slot[h] >= 0)
			h = (h + 1) & 255;
		n->ext_slot[h] = (int8_t)i;
	}
	n->n_maps = cfg->max_mappings + cfg->n_forwards;
	while (slots < 2ull * n->n_maps)
		slots <<= 1;
	n->slot_mask = slots - 1;
	n->maps = calloc(n->n_maps, sizeof(*n->maps));
	n->free_ids = malloc(sizeof(*n->free_ids) * n->n_maps);
	n->slots = calloc(slots, sizeof(*n->slots));
	n->ext_tab = calloc((size_t)cfg->n_external * P__COUNT * 65536, sizeof(*n->ext_tab));
	if (cfg->filtering == NAT_FILTER_APDF)
		n->peers = calloc((size_t)n->n_maps * NAT_PEERS, sizeof(*n->peers));
	if (n->maps == NULL || n->free_ids == NULL || n->slots == NULL || n->ext_tab == NULL ||
	    (cfg->filtering == NAT_FILTER_APDF && n->peers == NULL))
		goto nomem;
	/* Hand out low indices first: a young table stays dense for the expiry scan. */
	for (i = 0; i < n->n_maps; i++)
		n->free_ids[i] = n->n_maps - 1 - i;
	n->n_free = n->n_maps;
	n->rng = n->opt.seed != 0 ? n->opt.seed : (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
	if (n->rng == 0)
		n->rng = 1;
	n->timeout_ns[P_UDP][0] = n->timeout_ns[P_UDP][1] = cfg->timeout_udp * NAT_NS_PER_S;
	n->timeout_ns[P_ICMP][0] = n->timeout_ns[P_ICMP][1] = cfg->timeout_icmp * NAT_NS_PER_S;
	n->timeout_ns[P_TCP][0] = cfg->timeout_tcp_trans * NAT_NS_PER_S;
	n->timeout_ns[P_TCP][1] = cfg->timeout_tcp_est * NAT_NS_PER_S;
	for (i = 0; i < cfg->n_forwards; i++) {
		const struct nat_forward *f = &cfg->forwards[i];
		unsigned int pidx = f->proto == IPPROTO_TCP ? P_TCP : P_UDP;
		uint32_t idx = map_add(n, pidx, (unsigned int)ext_index(n, f->ext_ip), f->int_ip,
				       f->int_port, f->ext_port, M_STATIC);

		n->maps[idx].expire_ns = UINT64_MAX;
	}
	*out = n;
	return 0;
nomem:
	snprintf(err, errlen, "nat: out of memory for %u mappings", cfg->max_mappings);
	nat_free(n);
	return -ENOMEM;
}

int
nat_create(const char *path, const struct nat_options *opt, struct nat **out, char *err,
	   size_t errlen)
{
	struct nat_config *cfg = malloc(sizeof(*cfg));
	int ret;

	if (cfg == NULL)
		return -ENOMEM;
	ret = nat_config_load(path, cfg, err, errlen);
	if (ret == 0)
		ret = nat_create_cfg(cfg, opt, out, err, errlen);
	free(cfg);
	return ret;
}

void
nat_free(struct nat *n)
{
	if (n == NULL)
		return;
	free(n->maps);
	free(n->free_ids);
	free(n->slots);
	free(n->ext_tab);
	free(n->peers);
	free(n);
}

const struct nat_stats *
nat_stats(const struct nat *n)
{
	return &n->st;
}

const struct nat_config *
nat_config(const struct nat *n)
{
	return &n->cfg;
}

int
nat_lookup(const struct nat *n, uint8_t proto, rte_be32_t int_ip, rte_be16_t int_port,
	   rte_be32_t *ext_ip, rte_be16_t *ext_port)
{
	unsigned int pidx = proto == IPPROTO_TCP ? P_TCP : proto == IPPROTO_UDP ? P_UDP : P_ICMP;
	uint32_t idx = hash_find(n, int_key(pidx, int_ip, int_port));

	if (idx == UINT32_MAX)
		return -ENOENT;
	*ext_ip = n->cfg.external[n->maps[idx].ext];
	*ext_port = n->maps[idx].ext_port;
	return 0;
}

static const char *const drop_names[NAT_DROP__COUNT] = {
	[NAT_DROP_MALFORMED] = "malformed",     [NAT_DROP_FRAGMENT] = "fragment",
	[NAT_DROP_UNSUPPORTED] = "unsupported", [NAT_DROP_NO_MAPPING] = "no_mapping",
	[NAT_DROP_FILTERED] = "filtered",       [NAT_DROP_TABLE_FULL] = "table_full",
	[NAT_DROP_NO_PORT] = "no_port",         [NAT_DROP_ICMP_EMBEDDED] = "icmp_embedded",
	[NAT_DROP_OTHER] = "not_nat",           [NAT_DROP_MULTISEG] = "multiseg",
};

const char *
nat_drop_name(enum nat_drop d)
{
	return d < NAT_DROP__COUNT ? drop_names[d] : "unknown";
}

void
nat_summary(const struct nat *n, FILE *f)
{
	const struct nat_stats *s = &n->st;
	uint64_t dropped = 0;
	unsigned int i;

	for (i = 0; i < NAT_DROP__COUNT; i++)
		dropped += s->dropped[i];
	fprintf(f,
		"nat: summary rx %" PRIu64 " translated %" PRIu64 " out %" PRIu64 " in %" PRIu64
		" hairpin %" PRIu64 " icmp_errors %" PRIu64 " passed %" PRIu64 " mappings %" PRIu64
		" created %" PRIu64 " expired %" PRIu64 " dropped %" PRIu64 " malformed %" PRIu64
		"\n",
		s->rx, s->out + s->in + s->hairpin, s->out, s->in, s->hairpin, s->icmp_errors,
		s->passed, s->active, s->created, s->expired, dropped,
		s->dropped[NAT_DROP_MALFORMED]);
	fprintf(f, "nat: drops");
	for (i = 0; i < NAT_DROP__COUNT; i++)
		fprintf(f, " %s %" PRIu64, drop_names[i], s->dropped[i]);
	fprintf(f, "\n");
}

/* ------------------------------------------------------------------------------------------ */
/* NF handlers                                                                                  */

static uint64_t
clock_now(const struct nat *n)
{
	struct timespec ts;

	if (n->opt.clock_ns != NULL)
		return n->opt.clock_ns(n->opt.clock_arg);
	/* vDSO, no system call: once per burst. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NAT_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* A hint only: guess where the table lookups of an untagged IPv4 TCP/UDP frame will land and
 * start loading those lines. Stage 0: the hash slot (outbound) or the external-port cell
 * (inbound); stage 1, once those have had time to arrive: the mapping they point to. */
static inline void
prefetch_lookup(const struct nat *n, const uint8_t *f, uint32_t len, int stage)
{
	const uint8_t *ip = f + 14, *l4 = ip + 20;
	unsigned int pidx;
	uint32_t idx;

	if (len < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00 || ip[0] != 0x45)
		return;
	if (ip[9] == IPPROTO_TCP)
		pidx = P_TCP;
	else if (ip[9] == IPPROTO_UDP)
		pidx = P_UDP;
	else
		return;
	if (is_internal(n, ld32(ip + 12))) {
		uint64_t key = int_key(pidx, ld32(ip + 12), ld16(l4));
		const struct nat_slot *slot = &n->slots[slot_of(n, key)];

		if (stage == 0)
			rte_prefetch0(slot);
		else if (slot->key == key)
			rte_prefetch0(&n->maps[slot->idx]);
	} else {
		int ext = ext_index(n, ld32(ip + 16));
		const uint32_t *cell;

		if (ext < 0)
			return;
		cell = ext_cell(n, (unsigned int)ext, pidx, rte_be_to_cpu_16(ld16(l4 + 2)));
		if (stage == 0)
			rte_prefetch0(cell);
		else if ((idx = *cell) != 0)
			rte_prefetch0(&n->maps[idx - 1]);
	}
}

static void
nf_handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int cnt, void *arg)
{
	struct nat *n = arg;
	uint64_t now = clock_now(n);
	unsigned int i;

	(void)nf;
	/* At 1M mappings every table line is a cache miss: start them all before the work.
	 * bench_nat (1M mappings, bursts of 32): outbound 264 -> about 120 cycles per packet. */
	for (i = 0; i < cnt; i++)
		prefetch_lookup(n, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				rte_pktmbuf_data_len(pkts[i]), 0);
	for (i = 0; i < cnt; i++)
		prefetch_lookup(n, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				rte_pktmbuf_data_len(pkts[i]), 1);
	for (i = 0; i < cnt; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t port = 0;
		enum nat_verdict v;

		if (m->nb_segs > 1) {
			/* Rewriting needs the datagram in one piece; segmented frames are rare
			 * enough (jumbo reassembly) to drop and count. */
			n->st.rx++;
			n->st.dropped[NAT_DROP_MULTISEG]++;
			sdnfv_nf_drop(m);
			continue;
		}
		v = nat_process(n, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), now,
				&port);
		switch (v) {
		case NAT_V_NEXT:
			sdnfv_nf_next(m);
			break;
		case NAT_V_DROP:
			sdnfv_nf_drop(m);
			break;
		case NAT_V_PORT:
			sdnfv_nf_to_port(m, port);
			break;
		case NAT_V_INGRESS:
			sdnfv_nf_to_port(m, m->port);
			break;
		}
	}
}

static void
nf_idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg)
{
	struct nat *n = arg;
	uint64_t now = clock_now(n); /* the clock the packets were stamped with */

	(void)now_ns;
	nat_expire(n, now, 4096);
	/* Once a second, a state report the manager shows in telemetry (/sdnfv/nf,<id>): short
	 * printable text, so it shows as a string. */
	if (nf != NULL && now - n->last_report_ns >= NAT_NS_PER_S) {
		const struct nat_stats *s = &n->st;
		uint64_t dropped = 0;
		char line[128];
		int len;
		unsigned int i;

		for (i = 0; i < NAT_DROP__COUNT; i++)
			dropped += s->dropped[i];
		len = snprintf(line, sizeof(line),
			       "nat: rx %" PRIu64 " out %" PRIu64 " in %" PRIu64 " hairpin %" PRIu64
			       " mappings %" PRIu64 " dropped %" PRIu64,
			       s->rx, s->out, s->in, s->hairpin, s->active, dropped);
		if (len > 0 && sdnfv_nf_report(nf, line, (size_t)RTE_MIN(len, 127)) == 0)
			n->last_report_ns = now;
	}
}

const struct sdnfv_nf_ops nat_nf_ops = {
	.sz = sizeof(nat_nf_ops),
	.handle = nf_handle,
	.idle = nf_idle,
};
