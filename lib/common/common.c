/* SPDX-License-Identifier: BSD-3-Clause */
#include <sdnfv/common.h>

const char *
sdnfv_version(void)
{
	return SDNFV_VERSION;
}
