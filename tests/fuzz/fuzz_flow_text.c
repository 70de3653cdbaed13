/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the rules text format. Every input is a line: parse it; when it parses,
 * write the rule back and parse that, which must give the same rule. The line lives in a heap
 * block of exactly its size plus the NUL, so AddressSanitizer sees any read past it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sdnfv/flow.h>

#include "flow/flow_internal.h"

#define FAIL(...)                             \
	do {                                  \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr);          \
		__builtin_trap();             \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sdnfv_flow_rule r, back;
	const char *why = NULL;
	unsigned int col = 0;
	char *line, text[1024];
	int ret, n;

	if (len > 4096)
		return 0;
	line = malloc(len + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	ret = sdnfv_flow_rule_parse(line, &r, &why, &col);
	if (ret < 0 && (why == NULL || col == 0 || col > strlen(line) + 1))
		FAIL("refused without a reason or with column %u of %zu", col, strlen(line));
	if (ret == 1) {
		if (sdnfv_flow_match_check(&r.match) != 0)
			FAIL("accepted a match its own check refuses");
		n = sdnfv_flow_rule_format(&r, text, sizeof(text));
		if (n < 0)
			FAIL("cannot write back an accepted rule: %d", n);
		if (sdnfv_flow_rule_parse(text, &back, &why, &col) != 1)
			FAIL("'%s' written back does not parse: %s", text, why);
		if (!flow_match_equal(&r.match, &back.match) || r.priority != back.priority ||
		    r.cookie != back.cookie || r.flags != back.flags ||
		    r.idle_timeout != back.idle_timeout || r.hard_timeout != back.hard_timeout ||
		    r.action.type != back.action.type || r.action.user != back.action.user ||
		    r.action.arg != back.action.arg)
			FAIL("'%s' reads back as another rule", text);
	}
	free(line);
	return 0;
}
