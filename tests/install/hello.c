/* SPDX-License-Identifier: BSD-3-Clause */
/* Built out of tree against the installed library, as a user would: parses one frame. */
#include <stdio.h>
#include <string.h>

#include <sdnfv/sdnfv.h>

int
main(void)
{
	/* Ethernet + IPv4 + UDP 10.0.0.1:1234 -> 10.0.0.2:53, 8 bytes of UDP payload. */
	static const unsigned char frame[] = {
		0,    1,    2, 3,  4, 5,  6,  7, 8,   9,   10,  11,  0x08, 0x00, 0x45, 0,   0,
		36,   0,    0, 0,  0, 64, 17, 0, 0,   10,  0,   0,   1,    10,   0,    0,   2,
		0x04, 0xd2, 0, 53, 0, 16, 0,  0, 'p', 'a', 'y', 'l', 'o',  'a',  'd',  '!',
	};
	struct sdnfv_pkt_info info;
	struct sdnfv_pkt_key key;

	if (strcmp(sdnfv_version(), SDNFV_VERSION) != 0) {
		fprintf(stderr, "headers %s, library %s\n", SDNFV_VERSION, sdnfv_version());
		return 1;
	}
	if (sdnfv_pkt_parse(frame, sizeof(frame), &info) != 0 ||
	    sdnfv_pkt_key_build(frame, &info, &key) != 0) {
		fprintf(stderr, "parse failed: %s\n", sdnfv_pkt_strerror(info.err));
		return 1;
	}
	if (key.proto != 17 || key.sport != rte_cpu_to_be_16(1234) ||
	    key.dport != rte_cpu_to_be_16(53) || info.payload_off != 42) {
		fprintf(stderr, "wrong parse\n");
		return 1;
	}
	printf("libsdnfv %s: udp %u -> %u ok\n", sdnfv_version(), rte_be_to_cpu_16(key.sport),
	       rte_be_to_cpu_16(key.dport));
	return 0;
}
