/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nf_group: several of the example NFs in one process and one thread, as an NF group
 * (sdnfv_nf_group_run()). When a packet's next hop is another member of the group, the group calls
 * that member's handler directly instead of sending the packet back through the manager, so a
 * chain such as firewall → nat → dpi costs one ring round trip instead of three. This is the
 * placement for a host with few cores: the manager on one core, the whole chain on another.
 *
 * Each member is `--nf KIND[@SERVICE]=ARG`, in the order of the chain:
 *
 *   firewall=RULES        examples/firewall (stateless; add ":stateful" after the path to track
 *                         connections)
 *   nat=CONFIG            examples/nat
 *   dpi=RULES             examples/dpi
 *   load_balancer=CONFIG  examples/load_balancer
 *   monitor=CONFIG        examples/monitor ("defaults" for no file)
 *   scrubber=drop|clean   examples/scrubber
 *
 * SERVICE is the service the member provides (default: KIND). Every member is built from its file
 * before the EAL starts, so a bad rule or config line is refused at once with its line number.
 *
 * usage: nf_group <EAL args> -- --nf KIND[@SERVICE]=ARG [--nf ...] [--sleep]
 * The EAL args need the manager's --file-prefix and an lcore id of this process's own. Stop with
 * SIGINT/SIGTERM; at exit each member prints its summary lines.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_memory.h>

#include <sdnfv/sdnfv.h>

#include "dpi.h"
#include "firewall.h"
#include "load_balancer.h"
#include "monitor.h"
#include "nat.h"
#include "scrubber.h"

#define MAX_MEMBERS 8

struct member {
	const char *kind;
	char service[SDNFV_SERVICE_NAME_MAX + 1];
	const struct sdnfv_nf_ops *ops;
	void *ctx;
};

static int
make_firewall(struct member *m, const char *arg, char *err, size_t errlen)
{
	struct fw_opts o = { .sz = sizeof(o), .socket_id = SOCKET_ID_ANY, .defer_acl = true };
	char path[4096];
	const char *colon = strrchr(arg, ':');
	struct fw_rules rules;
	struct firewall *fw;
	int ret;

	snprintf(path, sizeof(path), "%s", arg);
	if (colon != NULL && strcmp(colon, ":stateful") == 0) {
		o.stateful = true;
		path[colon - arg] = '\0';
	}
	o.name = m->service;
	ret = firewall_rules_load(path, &rules, err, errlen);
	if (ret < 0)
		return ret;
	ret = firewall_create(&rules, &o, &fw, err, errlen);
	firewall_rules_free(&rules);
	if (ret < 0)
		return ret;
	m->ops = &firewall_nf_ops;
	m->ctx = fw;
	return 0;
}

static int
make_nat(struct member *m, const char *arg, char *err, size_t errlen)
{
	struct nat *n;
	int ret = nat_create(arg, NULL, &n, err, errlen);

	if (ret < 0)
		return ret;
	m->ops = &nat_nf_ops;
	m->ctx = n;
	return 0;
}

static int
make_dpi(struct member *m, const char *arg, char *err, size_t errlen)
{
	struct dpi_opts o = { .sz = sizeof(o), .service = m->service };
	struct dpi *d;
	int ret = dpi_create(arg, &o, &d, err, errlen);

	if (ret < 0)
		return ret;
	m->ops = &dpi_nf_ops;
	m->ctx = d;
	return 0;
}

static int
make_lb(struct member *m, const char *arg, char *err, size_t errlen)
{
	struct lb_ctx *c;
	int ret = lb_create(arg, NULL, &c, err, errlen);

	if (ret < 0)
		return ret;
	m->ops = &lb_nf_ops;
	m->ctx = c;
	return 0;
}

static int
make_monitor(struct member *m, const char *arg, char *err, size_t errlen)
{
	struct monitor_nf *ctx = calloc(1, sizeof(*ctx));
	struct monitor_cfg cfg;
	int ret;

	if (ctx == NULL) {
		snprintf(err, errlen, "monitor: out of memory");
		return -ENOMEM;
	}
	monitor_cfg_defaults(&cfg);
	ret = strcmp(arg, "defaults") == 0 ? 0 : monitor_cfg_load(&cfg, arg, err, errlen);
	if (ret == 0)
		ret = monitor_nf_init(ctx, &cfg, err, errlen);
	if (ret < 0) {
		free(ctx);
		return ret;
	}
	m->ops = &monitor_nf_ops;
	m->ctx = ctx;
	return 0;
}

static int
make_scrubber(struct member *m, const char *arg, char *err, size_t errlen)
{
	enum scrubber_mode mode;
	struct scrubber *s;

	if (strcmp(arg, "drop") == 0) {
		mode = SCRUBBER_DROP;
	} else if (strcmp(arg, "clean") == 0) {
		mode = SCRUBBER_CLEAN;
	} else {
		snprintf(err, errlen, "scrubber: mode '%s' is neither drop nor clean", arg);
		return -EINVAL;
	}
	s = scrubber_create(mode, 0, m->service);
	if (s == NULL) {
		snprintf(err, errlen, "scrubber: out of memory");
		return -ENOMEM;
	}
	m->ops = &scrubber_nf_ops;
	m->ctx = s;
	return 0;
}

static const struct kind {
	const char *name;
	int (*make)(struct member *m, const char *arg, char *err, size_t errlen);
} kinds[] = {
	{ "firewall", make_firewall }, { "nat", make_nat },         { "dpi", make_dpi },
	{ "load_balancer", make_lb },  { "monitor", make_monitor }, { "scrubber", make_scrubber },
};

/* KIND[@SERVICE]=ARG → a member built from its file. */
static int
member_parse(struct member *m, char *spec, char *err, size_t errlen)
{
	char *eq = strchr(spec, '='), *at;
	unsigned int i;

	if (eq == NULL || eq[1] == '\0') {
		snprintf(err, errlen, "bad member '%s' (KIND[@SERVICE]=ARG)", spec);
		return -EINVAL;
	}
	*eq = '\0';
	at = strchr(spec, '@');
	if (at != NULL)
		*at = '\0';
	for (i = 0; i < RTE_DIM(kinds); i++)
		if (strcmp(spec, kinds[i].name) == 0)
			break;
	if (i == RTE_DIM(kinds)) {
		snprintf(err, errlen, "unknown NF kind '%s'", spec);
		return -EINVAL;
	}
	m->kind = kinds[i].name;
	if (strlen(at != NULL ? at + 1 : spec) > SDNFV_SERVICE_NAME_MAX) {
		snprintf(err, errlen, "service name '%s' too long", at != NULL ? at + 1 : spec);
		return -ENAMETOOLONG;
	}
	snprintf(m->service, sizeof(m->service), "%s", at != NULL ? at + 1 : spec);
	return kinds[i].make(m, eq + 1, err, errlen);
}

static void
member_finish(struct member *m)
{
	if (m->ctx == NULL)
		return;
	if (strcmp(m->kind, "firewall") == 0) {
		firewall_summary(m->ctx, stdout);
		firewall_free(m->ctx);
	} else if (strcmp(m->kind, "nat") == 0) {
		nat_summary(m->ctx, stdout);
		nat_free(m->ctx);
	} else if (strcmp(m->kind, "dpi") == 0) {
		dpi_summary(m->ctx, stdout);
		dpi_free(m->ctx);
	} else if (strcmp(m->kind, "load_balancer") == 0) {
		lb_summary(m->ctx, stdout);
		lb_free(m->ctx);
	} else if (strcmp(m->kind, "monitor") == 0) {
		struct monitor_nf *mn = m->ctx;

		monitor_print_summary(mn->mon, stdout);
		monitor_destroy(mn->mon, mn->clock_ms());
		free(mn);
	} else {
		scrubber_summary(m->ctx, stdout);
		scrubber_free(m->ctx);
	}
	m->ctx = NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nf", required_argument, NULL, 'n' },
		{ "sleep", no_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct member members[MAX_MEMBERS];
	struct sdnfv_nf *nfs[MAX_MEMBERS];
	enum sdnfv_nf_mode mode = SDNFV_NF_MODE_POLL;
	char err[512];
	unsigned int n = 0, i;
	int opt, ret, argc2, eal_argc, status = 0;
	char **argv2;

	memset(members, 0, sizeof(members));
	memset(nfs, 0, sizeof(nfs));
	/* The application's options come after "--": read them (and every member's file) before
	 * the EAL starts, so a bad line fails at once, without waiting for a manager. */
	argc2 = sdnfv_nf_args(argc, argv, &eal_argc, &argv2);
	if (argc2 == 0)
		argc2 = 1;
	while ((opt = getopt_long(argc2, argv2, "n:zh", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (n == MAX_MEMBERS) {
				fprintf(stderr, "nf_group: at most %d members\n", MAX_MEMBERS);
				status = 2;
				goto out;
			}
			if (member_parse(&members[n], optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "nf_group: %s\n", err);
				status = 1;
				goto out;
			}
			n++;
			break;
		case 'z':
			mode = SDNFV_NF_MODE_SLEEP;
			break;
		default:
			fprintf(stderr,
				"usage: %s <EAL args> -- --nf KIND[@SERVICE]=ARG [--nf ...] [--sleep]\n"
				"kinds: firewall=RULES[:stateful] nat=CONFIG dpi=RULES "
				"load_balancer=CONFIG monitor=CONFIG|defaults scrubber=drop|clean\n",
				argv[0]);
			status = opt == 'h' ? 0 : 2;
			goto out;
		}
	}
	if (n == 0) {
		fprintf(stderr, "nf_group: no member (--nf KIND=ARG)\n");
		status = 2;
		goto out;
	}

	for (i = 0; i < n; i++) {
		struct sdnfv_nf_params p = {
			.sz = sizeof(p),
			.name = members[i].service,
			.service = members[i].service,
			.ops = members[i].ops,
			.arg = members[i].ctx,
			.mode = mode,
			.signals = true,
		};

		/* The first member starts the EAL (and waits for the manager); the others attach. */
		ret = i == 0 ? sdnfv_nf_init(eal_argc, argv, &p, &nfs[0])
			     : sdnfv_nf_attach(&p, &nfs[i]);
		if (ret < 0) {
			fprintf(stderr, "nf_group: %s (service %s) cannot attach: %s\n",
				members[i].kind, members[i].service, strerror(-ret));
			status = 1;
			goto out;
		}
	}
	ret = sdnfv_nf_group_run(nfs, n);
	if (ret < 0) {
		fprintf(stderr, "nf_group: %s\n", strerror(-ret));
		status = 1;
	}
out:
	for (i = 0; i < MAX_MEMBERS; i++) {
		sdnfv_nf_free(nfs[i]);
		member_finish(&members[i]);
	}
	return status;
}
