/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the host policy file parser. Every input is a file: it parses into a policy
 * whose indexes all point inside its arrays, or it is refused with "name:line:col: reason". The
 * text lives in a heap block of exactly its size, so AddressSanitizer sees any read past it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "mgr/policy.h"

#define FAIL(...)                             \
	do {                                  \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr);          \
		__builtin_trap();             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
check(const struct sdnfv_policy *p)
{
	unsigned int i, h, r;

	for (i = 0; i < p->n_chains; i++) {
		const struct sdnfv_policy_chain *c = &p->chains[i];

		if (c->n_hops > SDNFV_POLICY_HOPS_MAX || c->name[0] == '\0')
			FAIL("chain %u: %u hops, name '%s'", i, c->n_hops, c->name);
		for (h = 0; h < c->n_hops; h++) {
			if (c->hops[h].service >= p->n_services)
				FAIL("chain %s hop %u: service %u of %u", c->name, h,
				     c->hops[h].service, p->n_services);
			for (r = 0; r < c->hops[h].n_redirect; r++)
				if (c->hops[h].redirect[r] >= p->n_services)
					FAIL("chain %s hop %u: redirect to %u", c->name, h,
					     c->hops[h].redirect[r]);
		}
	}
	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].chain >= p->n_chains || p->rules[i].rule.action.type != 0)
			FAIL("rule %u: chain %u of %u", i, p->rules[i].chain, p->n_chains);
	if (p->miss_chain < -1 || p->miss_chain >= (int)p->n_chains)
		FAIL("miss chain %d of %u", p->miss_chain, p->n_chains);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int quiet;
	struct sdnfv_policy *p = NULL;
	char err[512] = "", *text;
	int ret;

	if (!quiet) {
		rte_log_set_level(sdnfv_logtype_mgr, RTE_LOG_CRIT); /* a refusal per input */
		quiet = 1;
	}
	if (len > 65536)
		return 0;
	text = malloc(len > 0 ? len : 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	ret = sdnfv_policy_parse_string(text, len, "f", &p, err, sizeof(err));
	if (ret == 0) {
		if (p == NULL)
			FAIL("accepted without a policy");
		check(p);
		sdnfv_policy_free(p);
	} else if (ret == -EINVAL) {
		if (p != NULL || strncmp(err, "f:", 2) != 0)
			FAIL("refused without a position: '%s'", err);
	} else if (ret != -ENOMEM) {
		FAIL("unexpected %d: '%s'", ret, err);
	}
	free(text);
	return 0;
}
