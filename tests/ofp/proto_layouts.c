/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Print the layouts of SDNFV's experimenter messages as include/sdnfv/ofp.h declares them, so
 * that proto.py checks the bytes it reads and writes against the header, field by field.
 */
#include <stddef.h>
#include <stdio.h>

#include <sdnfv/ofp.h>

#define FIELD(s, f) printf(" %s %zu:%zu", #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))

int
main(void)
{
	printf("path_change %zu", sizeof(struct sdnfv_ofp_path_change));
	FIELD(sdnfv_ofp_path_change, nf_id);
	FIELD(sdnfv_ofp_path_change, service_port);
	FIELD(sdnfv_ofp_path_change, target_port);
	FIELD(sdnfv_ofp_path_change, op);
	FIELD(sdnfv_ofp_path_change, applied);
	FIELD(sdnfv_ofp_path_change, pad);
	FIELD(sdnfv_ofp_path_change, cookie);
	printf("\nalternatives %zu", sizeof(struct sdnfv_ofp_alternatives));
	FIELD(sdnfv_ofp_alternatives, service_port);
	FIELD(sdnfv_ofp_alternatives, allow);
	FIELD(sdnfv_ofp_alternatives, n_redirect);
	printf("\nconstants experimenter %u path_change %u set_alternatives %u service_port_base %u "
	       "allow_skip %u allow_restore %u allow_redirect_any %u\n",
	       SDNFV_OFP_EXPERIMENTER, SDNFV_OFP_EXP_PATH_CHANGE, SDNFV_OFP_EXP_SET_ALTERNATIVES,
	       SDNFV_OFP_SERVICE_PORT_BASE, SDNFV_OFP_ALLOW_SKIP, SDNFV_OFP_ALLOW_RESTORE,
	       SDNFV_OFP_ALLOW_REDIRECT_ANY);
	return 0;
}
