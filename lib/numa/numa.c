/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A topology keeps its cores sorted by id (binary search answers "which socket is core c on") and,
 * for each socket, a run of indices into them in id order (a scan of the run finds the lowest free
 * core of the socket). Nothing is indexed by CPU or socket id: ids may be sparse and large, and a
 * lone CPU 4095 costs one entry, not 4096.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>
#include <rte_ethdev.h>

#include <sdnfv/numa.h>

#include "common/log.h"
#include "numa/numa_internal.h"

SDNFV_LOG_REGISTER(numa);

struct numa_core {
	unsigned int id;
	int socket;
	bool taken;
};

struct numa_socket {
	int id;
	unsigned int first; /* its first core in sdnfv_numa.by_socket */
	unsigned int ncores;
	unsigned int nfree;
};

struct sdnfv_numa {
	struct numa_core *cores; /* increasing id */
	unsigned int ncores;
	unsigned int *by_socket; /* indices into cores: socket after socket, increasing id within */
	struct numa_socket *sockets; /* increasing id */
	unsigned int nsockets;
	int *distance; /* [from * nsockets + to], by socket index; NULL: fall back in id order */
};

static int
null_arg(const char *func, const char *name)
{
	SDNFV_LOG(numa, ERR, "%s: %s is NULL", func, name);
	return -EINVAL;
}

void
sdnfv_numa_free(struct sdnfv_numa *numa)
{
	if (numa == NULL)
		return;
	free(numa->cores);
	free(numa->by_socket);
	free(numa->sockets);
	free(numa->distance);
	free(numa);
}

static int
core_cmp_id(const void *a, const void *b)
{
	const struct numa_core *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Sorting these by socket, then index, groups the cores by socket and keeps the id order within
 * each socket, since the cores are already in id order. */
struct socket_of {
	int socket;
	unsigned int index;
};

static int
socket_of_cmp(const void *a, const void *b)
{
	const struct socket_of *x = a, *y = b;

	if (x->socket != y->socket)
		return x->socket < y->socket ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* A topology of n >= 1 cores with distinct ids, in any order. Takes ownership of cores (malloc()ed)
 * whatever the outcome. */
static int
numa_build(struct numa_core *cores, unsigned int n, struct sdnfv_numa **out)
{
	struct sdnfv_numa *numa = calloc(1, sizeof(*numa));
	struct socket_of *order = calloc(n, sizeof(*order));
	unsigned int i, nsockets = 0;
	struct numa_socket *s = NULL;

	if (numa == NULL || order == NULL) {
		free(cores);
		goto nomem;
	}
	numa->cores = cores;
	numa->ncores = n;
	qsort(cores, n, sizeof(*cores), core_cmp_id);
	for (i = 0; i < n; i++) {
		cores[i].taken = false;
		order[i] = (struct socket_of){ .socket = cores[i].socket, .index = i };
	}
	qsort(order, n, sizeof(*order), socket_of_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || order[i].socket != order[i - 1].socket)
			nsockets++;

	numa->by_socket = malloc(n * sizeof(*numa->by_socket));
	numa->sockets = calloc(nsockets, sizeof(*numa->sockets));
	if (numa->by_socket == NULL || numa->sockets == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (i == 0 || order[i].socket != order[i - 1].socket) {
			s = &numa->sockets[numa->nsockets++];
			s->id = order[i].socket;
			s->first = i;
		}
		s->ncores++;
		s->nfree++;
		numa->by_socket[i] = order[i].index;
	}
	free(order);
	*out = numa;
	return 0;

nomem:
	SDNFV_LOG(numa, ERR, "no memory for a topology of %u CPUs", n);
	free(order);
	sdnfv_numa_free(numa);
	return -ENOMEM;
}

static struct numa_core *
core_find(const struct sdnfv_numa *numa, unsigned int id)
{
	const struct numa_core key = { .id = id };

	return bsearch(&key, numa->cores, numa->ncores, sizeof(key), core_cmp_id);
}

/* Index of a socket in numa->sockets, or -1. */
static int
socket_index(const struct sdnfv_numa *numa, int socket)
{
	unsigned int lo = 0, hi = numa->nsockets;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (numa->sockets[mid].id == socket)
			return (int)mid;
		if (numa->sockets[mid].id < socket)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Parsing. The whole description is checked for syntax first, collecting CPU ranges (not CPUs,
 * so "0-100000" costs one entry until the end); duplicates are then found by sorting the ranges,
 * and only a valid description is expanded into cores.
 */

struct parse_range {
	unsigned int lo, hi;
	int socket;
	size_t pos; /* of the range in the description */
};

struct parse_socket {
	int id;
	size_t pos;
};

struct parser {
	const char *spec;
	size_t pos;
	struct parse_range *ranges;
	size_t nranges, ranges_cap;
	struct parse_socket *sockets;
	size_t nsockets, sockets_cap;
};

static int parse_fail(const struct parser *p, size_t pos, const char *fmt, ...)
	__rte_format_printf(3, 4);

/* Logs the error, naming the position and the reason; returns -EINVAL. The description is echoed
 * with non-printable bytes as '?' and cut short, to keep the log to one readable line. */
static int
parse_fail(const struct parser *p, size_t pos, const char *fmt, ...)
{
	char why[128], echo[72];
	size_t i;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (i = 0; i < sizeof(echo) - 4 && p->spec[i] != '\0'; i++)
		echo[i] = isprint((unsigned char)p->spec[i]) ? p->spec[i] : '?';
	strcpy(&echo[i], p->spec[i] != '\0' ? "..." : "");
	SDNFV_LOG(numa, ERR, "parse \"%s\": position %zu: %s", echo, pos, why);
	return -EINVAL;
}

/* "expected <what>, found <the character at the current position>" */
static int
parse_expected(const struct parser *p, const char *what)
{
	unsigned char c = (unsigned char)p->spec[p->pos];

	if (c == '\0')
		return parse_fail(p, p->pos, "expected %s, found the end", what);
	if (isprint(c))
		return parse_fail(p, p->pos, "expected %s, found '%c'", what, c);
	return parse_fail(p, p->pos, "expected %s, found byte %#x", what, c);
}

/* Make room in *array (of elem-sized items, *cap of them) for item number n. */
static int
grow(void **array, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap == 0 ? 8 : *cap * 2;
	void *a;

	if (n < *cap)
		return 0;
	a = realloc(*array, ncap * elem);
	if (a == NULL) {
		SDNFV_LOG(numa, ERR, "parse: no memory");
		return -ENOMEM;
	}
	*array = a;
	*cap = ncap;
	return 0;
}

/* Decimal digits only: no sign, no space. At most INT_MAX, since the API returns ids as int. */
static int
parse_id(struct parser *p, const char *what, unsigned int *val)
{
	size_t start = p->pos;
	unsigned long long v = 0;

	if (!isdigit((unsigned char)p->spec[start]))
		return parse_expected(p, what);
	while (isdigit((unsigned char)p->spec[p->pos])) {
		v = v * 10 + (unsigned int)(p->spec[p->pos] - '0');
		if (v > INT_MAX)
			return parse_fail(p, start, "number too large for %s (at most %d)", what,
					  INT_MAX);
		p->pos++;
	}
	*val = (unsigned int)v;
	return 0;
}

/* <cpu>[-<cpu>] ( ',' <cpu>[-<cpu>] )* */
static int
parse_cpulist(struct parser *p, int socket)
{
	for (;;) {
		struct parse_range r = { .socket = socket, .pos = p->pos };
		int ret = parse_id(p, "a CPU id", &r.lo);

		if (ret < 0)
			return ret;
		r.hi = r.lo;
		if (p->spec[p->pos] == '-') {
			p->pos++;
			ret = parse_id(p, "the last CPU of the range", &r.hi);
			if (ret < 0)
				return ret;
			if (r.hi < r.lo)
				return parse_fail(p, r.pos, "range %u-%u ends before it starts",
						  r.lo, r.hi);
		}
		ret = grow((void **)&p->ranges, &p->ranges_cap, p->nranges, sizeof(r));
		if (ret < 0)
			return ret;
		p->ranges[p->nranges++] = r;
		if (p->spec[p->pos] != ',')
			return 0;
		p->pos++;
	}
}

/* <socket> ':' <cpulist> ( ';' <socket> ':' <cpulist> )* */
static int
parse_syntax(struct parser *p)
{
	for (;;) {
		struct parse_socket s = { .pos = p->pos };
		unsigned int id;
		int ret = parse_id(p, "a socket id", &id);

		if (ret < 0)
			return ret;
		s.id = (int)id;
		ret = grow((void **)&p->sockets, &p->sockets_cap, p->nsockets, sizeof(s));
		if (ret < 0)
			return ret;
		p->sockets[p->nsockets++] = s;
		if (p->spec[p->pos] != ':')
			return parse_expected(p, "':' after the socket id");
		p->pos++;
		ret = parse_cpulist(p, s.id);
		if (ret < 0)
			return ret;
		if (p->spec[p->pos] == '\0')
			return 0;
		if (p->spec[p->pos] != ';')
			return parse_expected(p, "',', ';' or the end");
		p->pos++;
	}
}

static int
parse_socket_cmp(const void *a, const void *b)
{
	const struct parse_socket *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int
parse_range_cmp(const void *a, const void *b)
{
	const struct parse_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorts sockets and ranges. A duplicate is reported where it is listed the second time. */
static int
parse_check_duplicates(struct parser *p)
{
	const struct parse_range *reach; /* the range reaching highest so far */
	size_t i;

	qsort(p->sockets, p->nsockets, sizeof(*p->sockets), parse_socket_cmp);
	for (i = 1; i < p->nsockets; i++)
		if (p->sockets[i].id == p->sockets[i - 1].id)
			return parse_fail(p, p->sockets[i].pos, "socket %d listed twice",
					  p->sockets[i].id);

	qsort(p->ranges, p->nranges, sizeof(*p->ranges), parse_range_cmp);
	reach = &p->ranges[0];
	for (i = 1; i < p->nranges; i++) {
		const struct parse_range *r = &p->ranges[i];

		if (r->lo <= reach->hi)
			return parse_fail(p, r->pos > reach->pos ? r->pos : reach->pos,
					  "CPU %u listed twice", r->lo);
		if (r->hi > reach->hi)
			reach = r;
	}
	return 0;
}

static int
parse_expand(struct parser *p, struct sdnfv_numa **out)
{
	struct numa_core *cores;
	size_t count = 0, i, n = 0;

	/* Ranges are disjoint and within [0, INT_MAX]: the sum cannot overflow a size_t. */
	for (i = 0; i < p->nranges; i++)
		count += (size_t)p->ranges[i].hi - p->ranges[i].lo + 1;
	/* Counts are returned as int. */
	if (count > INT_MAX)
		return parse_fail(p, 0, "%zu CPUs, more than %d", count, INT_MAX);
	cores = calloc(count, sizeof(*cores));
	if (cores == NULL) {
		SDNFV_LOG(numa, ERR, "parse: no memory for %zu CPUs", count);
		return -ENOMEM;
	}
	/* hi <= INT_MAX, so cpu cannot wrap around. */
	for (i = 0; i < p->nranges; i++)
		for (unsigned int cpu = p->ranges[i].lo; cpu <= p->ranges[i].hi; cpu++)
			cores[n++] = (struct numa_core){ .id = cpu, .socket = p->ranges[i].socket };
	return numa_build(cores, (unsigned int)count, out);
}

int
sdnfv_numa_parse(const char *spec, struct sdnfv_numa **out)
{
	struct parser p = { .spec = spec };
	int ret;

	if (spec == NULL)
		return null_arg(__func__, "spec");
	if (out == NULL)
		return null_arg(__func__, "out");
	ret = parse_syntax(&p);
	if (ret == 0)
		ret = parse_check_duplicates(&p);
	if (ret == 0)
		ret = parse_expand(&p, out);
	free(p.ranges);
	free(p.sockets);
	return ret;
}

/*
 * Discovery.
 */

/* The calling thread's affinity, in a set as large as the kernel's CPU mask: sched_getaffinity()
 * fails with EINVAL while the set is smaller, so grow it until it fits. */
static int
affinity_get(cpu_set_t **out, size_t *size)
{
	unsigned int ncpus = 1024;

	for (;;) {
		cpu_set_t *set = CPU_ALLOC(ncpus);
		size_t sz = CPU_ALLOC_SIZE(ncpus);
		int err;

		if (set == NULL)
			return -ENOMEM;
		if (sched_getaffinity(0, sz, set) == 0) {
			*out = set;
			*size = sz;
			return 0;
		}
		err = errno;
		CPU_FREE(set);
		if (err != EINVAL || ncpus > INT_MAX / 2)
			return -err;
		ncpus *= 2;
	}
}

static int
sys_allowed_cpus(unsigned int **out, unsigned int *n)
{
	cpu_set_t *set;
	size_t size, cpu;
	unsigned int count, i = 0;
	unsigned int *cpus;
	int ret = affinity_get(&set, &size);

	if (ret < 0) {
		SDNFV_LOG(numa, ERR, "sched_getaffinity: %s", strerror(-ret));
		return ret;
	}
	count = (unsigned int)CPU_COUNT_S(size, set);
	cpus = malloc((count > 0 ? count : 1) * sizeof(*cpus));
	if (cpus == NULL) {
		CPU_FREE(set);
		SDNFV_LOG(numa, ERR, "no memory for %u CPUs", count);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < size * CHAR_BIT && i < count; cpu++)
		if (CPU_ISSET_S(cpu, size, set))
			cpus[i++] = (unsigned int)cpu;
	CPU_FREE(set);
	*out = cpus;
	*n = i;
	return 0;
}

static int
sys_node_of_cpu(unsigned int cpu)
{
	return numa_node_of_cpu((int)cpu);
}

static int
sys_distance(int from, int to)
{
	return numa_distance(from, to);
}

/* Without a complete table (a distance of 0 is libnuma's "unknown"), fall back in id order. */
static int
distances_load(struct sdnfv_numa *numa, int (*distance)(int, int))
{
	unsigned int n = numa->nsockets, i, j;
	int *d;

	if (n < 2 || distance == NULL)
		return 0;
	d = malloc((size_t)n * n * sizeof(*d));
	if (d == NULL) {
		SDNFV_LOG(numa, ERR, "no memory for the distances of %u sockets", n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			d[i * n + j] = distance(numa->sockets[i].id, numa->sockets[j].id);
			if (i != j && d[i * n + j] <= 0) {
				SDNFV_LOG(
					numa, NOTICE,
					"no NUMA distance from socket %d to %d: falling back in id order",
					numa->sockets[i].id, numa->sockets[j].id);
				free(d);
				return 0;
			}
		}
	}
	numa->distance = d;
	return 0;
}

int
sdnfv_numa_discover_sys(const struct sdnfv_numa_sys *sys, struct sdnfv_numa **out)
{
	struct sdnfv_numa *numa;
	struct numa_core *cores;
	unsigned int *cpus, n, i, kept = 0;
	int ret;

	if (out == NULL)
		return null_arg("sdnfv_numa_discover", "out");
	ret = sys->allowed_cpus(&cpus, &n);
	if (ret < 0)
		return ret;
	cores = malloc((n > 0 ? n : 1) * sizeof(*cores));
	if (cores == NULL) {
		free(cpus);
		SDNFV_LOG(numa, ERR, "no memory for %u CPUs", n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		int socket;

		/* The API returns core ids as int; no kernel numbers CPUs that high. */
		if (cpus[i] > INT_MAX)
			continue;
		socket = sys->node_of_cpu != NULL ? sys->node_of_cpu(cpus[i]) : 0;
		if (socket < 0) {
			SDNFV_LOG(numa, WARNING, "CPU %u: NUMA node unknown, placed on socket 0",
				  cpus[i]);
			socket = 0;
		}
		cores[kept++] = (struct numa_core){ .id = cpus[i], .socket = socket };
	}
	free(cpus);
	if (kept == 0) {
		free(cores);
		SDNFV_LOG(numa, ERR, "discover: this thread may run on no CPU");
		return -ENOENT;
	}
	ret = numa_build(cores, kept, &numa);
	if (ret < 0)
		return ret;
	if (sys->node_of_cpu != NULL) {
		ret = distances_load(numa, sys->distance);
		if (ret < 0) {
			sdnfv_numa_free(numa);
			return ret;
		}
	}
	SDNFV_LOG(numa, DEBUG, "discovered %u CPUs on %u sockets%s", numa->ncores, numa->nsockets,
		  sys->node_of_cpu == NULL ? " (no NUMA support: all on socket 0)" : "");
	*out = numa;
	return 0;
}

int
sdnfv_numa_discover(struct sdnfv_numa **out)
{
	const struct sdnfv_numa_sys sys = {
		.allowed_cpus = sys_allowed_cpus,
		.node_of_cpu = numa_available() < 0 ? NULL : sys_node_of_cpu,
		.distance = sys_distance,
	};

	return sdnfv_numa_discover_sys(&sys, out);
}

/*
 * Queries.
 */

int
sdnfv_numa_sockets(const struct sdnfv_numa *numa, int *ids, unsigned int n)
{
	unsigned int i;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	if (ids == NULL && n > 0)
		return null_arg(__func__, "ids");
	for (i = 0; i < n && i < numa->nsockets; i++)
		ids[i] = numa->sockets[i].id;
	return (int)numa->nsockets;
}

int
sdnfv_numa_cores(const struct sdnfv_numa *numa, int socket, unsigned int *cores, unsigned int n)
{
	const struct numa_socket *s;
	unsigned int i;
	int si;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	if (cores == NULL && n > 0)
		return null_arg(__func__, "cores");
	si = socket_index(numa, socket);
	if (si < 0) {
		SDNFV_LOG(numa, ERR, "cores: socket %d is not in the topology", socket);
		return -ENOENT;
	}
	s = &numa->sockets[si];
	for (i = 0; i < n && i < s->ncores; i++)
		cores[i] = numa->cores[numa->by_socket[s->first + i]].id;
	return (int)s->ncores;
}

int
sdnfv_numa_core_socket(const struct sdnfv_numa *numa, unsigned int core)
{
	const struct numa_core *c;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	c = core_find(numa, core);
	if (c == NULL) {
		SDNFV_LOG(numa, ERR, "core %u is not in the topology", core);
		return -ENOENT;
	}
	return c->socket;
}

int
sdnfv_numa_port_socket(const struct sdnfv_numa *numa, uint16_t port_id)
{
	int socket;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	if (!rte_eth_dev_is_valid_port(port_id)) {
		SDNFV_LOG(numa, ERR, "port %u does not exist", port_id);
		return -ENODEV;
	}
	socket = rte_eth_dev_socket_id(port_id);
	/* Virtual ports report SOCKET_ID_ANY: any socket serves them equally well. */
	return socket >= 0 ? socket : numa->sockets[0].id;
}

int
sdnfv_numa_free_cores(const struct sdnfv_numa *numa, int socket)
{
	unsigned int i, total = 0;
	int si;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	if (socket == SOCKET_ID_ANY) {
		for (i = 0; i < numa->nsockets; i++)
			total += numa->sockets[i].nfree;
		return (int)total;
	}
	si = socket_index(numa, socket);
	if (si < 0) {
		SDNFV_LOG(numa, ERR, "free cores: socket %d is not in the topology", socket);
		return -ENOENT;
	}
	return (int)numa->sockets[si].nfree;
}

/*
 * Taking and giving back cores.
 */

/* The one place that keeps a socket's nfree in step with its cores' taken flags. */
static void
core_set_taken(struct sdnfv_numa *numa, struct numa_core *c, bool taken)
{
	struct numa_socket *s = &numa->sockets[socket_index(numa, c->socket)];

	c->taken = taken;
	if (taken)
		s->nfree--;
	else
		s->nfree++;
}

int
sdnfv_numa_core_reserve(struct sdnfv_numa *numa, unsigned int core)
{
	struct numa_core *c;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	c = core_find(numa, core);
	if (c == NULL) {
		SDNFV_LOG(numa, ERR, "reserve: core %u is not in the topology", core);
		return -ENOENT;
	}
	if (c->taken) {
		SDNFV_LOG(numa, ERR, "reserve: core %u is already taken", core);
		return -EBUSY;
	}
	core_set_taken(numa, c, true);
	return 0;
}

int
sdnfv_numa_core_release(struct sdnfv_numa *numa, unsigned int core)
{
	struct numa_core *c;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	c = core_find(numa, core);
	if (c == NULL) {
		SDNFV_LOG(numa, ERR, "release: core %u is not in the topology", core);
		return -ENOENT;
	}
	if (!c->taken) {
		SDNFV_LOG(numa, ERR, "release: core %u was not taken", core);
		return -EINVAL;
	}
	core_set_taken(numa, c, false);
	return 0;
}

/* The lowest free core of a socket that has one. */
static int
socket_take(struct sdnfv_numa *numa, unsigned int si)
{
	struct numa_socket *s = &numa->sockets[si];
	unsigned int i;

	for (i = 0; i < s->ncores; i++) {
		struct numa_core *c = &numa->cores[numa->by_socket[s->first + i]];

		if (!c->taken) {
			core_set_taken(numa, c, true);
			return (int)c->id;
		}
	}
	return -ENOSPC; /* not reached while nfree counts right */
}

/* Where to go when socket index `from` is full: of the sockets with a free core, the nearest by
 * NUMA distance; ties, and topologies without distances, go to the next id, wrapping. Returns a
 * socket index, or -1 when every core is taken. */
static int
fallback_socket(const struct sdnfv_numa *numa, unsigned int from)
{
	unsigned int n = numa->nsockets, step;
	int best = -1, best_dist = 0;

	for (step = 1; step < n; step++) {
		unsigned int to = (from + step) % n;
		int dist = numa->distance != NULL ? numa->distance[from * n + to] : 0;

		if (numa->sockets[to].nfree > 0 && (best < 0 || dist < best_dist)) {
			best = (int)to;
			best_dist = dist;
		}
	}
	return best;
}

int
sdnfv_numa_core_acquire(struct sdnfv_numa *numa, int socket, unsigned int flags)
{
	unsigned int i;
	int from, to, core;

	if (numa == NULL)
		return null_arg(__func__, "numa");
	if ((flags & ~(unsigned int)SDNFV_NUMA_STRICT) != 0) {
		SDNFV_LOG(numa, ERR, "acquire: unknown flags 0x%x", flags);
		return -EINVAL;
	}
	if (socket == SOCKET_ID_ANY) {
		for (i = 0; i < numa->nsockets; i++)
			if (numa->sockets[i].nfree > 0)
				return socket_take(numa, i);
		SDNFV_LOG(numa, ERR, "acquire: every core is taken");
		return -ENOSPC;
	}
	from = socket_index(numa, socket);
	if (from < 0) {
		SDNFV_LOG(numa, ERR, "acquire: socket %d is not in the topology", socket);
		return -ENOENT;
	}
	if (numa->sockets[from].nfree > 0)
		return socket_take(numa, (unsigned int)from);
	if (flags & SDNFV_NUMA_STRICT) {
		SDNFV_LOG(numa, ERR, "acquire: every core of socket %d is taken", socket);
		return -ENOSPC;
	}
	to = fallback_socket(numa, (unsigned int)from);
	if (to < 0) {
		SDNFV_LOG(numa, ERR, "acquire: every core is taken (wanted socket %d)", socket);
		return -ENOSPC;
	}
	core = socket_take(numa, (unsigned int)to);
	/* Not an error, but the packets will cross sockets: worth a line. */
	SDNFV_LOG(numa, INFO, "acquire: socket %d is full, gave core %d of socket %d", socket, core,
		  numa->sockets[to].id);
	return core;
}

/*
 * Pinning.
 */

int
sdnfv_numa_pin_thread(pthread_t thread, unsigned int core)
{
	cpu_set_t *set;
	size_t size;
	int ret = affinity_get(&set, &size);

	if (ret < 0) {
		SDNFV_LOG(numa, ERR, "pin to CPU %u: sched_getaffinity: %s", core, strerror(-ret));
		return ret;
	}
	/* The set is as large as the kernel's CPU mask: a core beyond it cannot exist. */
	if (core >= size * CHAR_BIT) {
		ret = EINVAL;
	} else {
		CPU_ZERO_S(size, set);
		CPU_SET_S(core, size, set);
		/* The kernel refuses (EINVAL) a CPU that is absent, offline or outside the
		 * process's cpuset. */
		ret = pthread_setaffinity_np(thread, size, set);
	}
	CPU_FREE(set);
	if (ret == EINVAL)
		SDNFV_LOG(numa, ERR,
			  "pin to CPU %u: no such CPU, offline, or not allowed to this process",
			  core);
	else if (ret != 0)
		SDNFV_LOG(numa, ERR, "pin to CPU %u: %s", core, strerror(ret));
	return -ret;
}
