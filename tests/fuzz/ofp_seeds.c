/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seeds of fuzz_ofp: well-formed controller messages of every type the codec decodes (flow-mods
 * with the matches ovs-ofctl sends for typical flows, every instruction and multipart request),
 * one file each, plus one file holding them all back to back.
 * usage: ofp_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sdnfv/flow.h>
#include <sdnfv/ofp.h>

#include "codec_test.h"

static const char *dir;
static unsigned int n_seeds;
static struct ofp_buf all;

/* Write the message(s) in b as one seed, add them to the stream, empty b. */
static void
seed(struct ofp_buf *b)
{
	char path[4096];
	FILE *f;

	if (b->err != 0) {
		fprintf(stderr, "ofp_seeds: encoding failed (%d)\n", b->err);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/seed-%03u", dir, n_seeds++);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	ofp_buf_put(&all, b->data, b->len);
	ofp_buf_reset(b);
}

static struct sdnfv_flow_match
ip(uint16_t eth, uint8_t proto)
{
	struct sdnfv_flow_match m = { .fields = SDNFV_FLOW_M_ETH_TYPE, .eth_type = eth };

	if (proto != 0) {
		m.fields |= SDNFV_FLOW_M_IP_PROTO;
		m.ip_proto = proto;
	}
	return m;
}

int
main(int argc, char **argv)
{
	const uint8_t frame[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8, 6 };
	const uint8_t cfg[] = { 0, 0, 0, 128 }, role[16] = { 0, 0, 0, 2 },
		      async[24] = { 0, 0, 0, 3 };
	const uint8_t port[8] = { 0xff, 0xff, 0xff, 0xff };
	const uint8_t exp[] = { 0x53, 0x44, 0x4e, 0x46, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t port_mod[32] = { 0, 0, 0, 1 }, table_mod[8] = { 0 };
	const uint8_t write_clear[] = { 0, 5, 0, 8,  0, 0, 0, 0, 0, 3, 0, 24, 0, 0, 0, 0,
					0, 0, 0, 16, 0, 0, 0, 2, 0, 0, 0, 0,  0, 0, 0, 0 };
	struct ofp_acts out2 = { 1, { { 2, 0 } } }, ctl = { 1, { { OFPP_CONTROLLER, 0xffff } } };
	struct ofp_acts many = { 3, { { 1, 0 }, { OFPP_FLOOD, 0 }, { OFPP_IN_PORT, 0 } } };
	struct sdnfv_flow_match m;
	struct ofp_buf b;
	uint16_t mp;
	size_t off;

	if (argc != 2) {
		fprintf(stderr, "usage: ofp_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	ofp_buf_init(&b);
	ofp_buf_init(&all);

	ofp_encode_hello(&b, 1);
	seed(&b);
	off = ofp_msg_begin(&b, OFPT_HELLO, 2); /* a newer peer: version 6, bitmap 1.0 to 1.5 */
	t_put16(&b, 1);
	t_put16(&b, 8);
	t_put32(&b, 0x7e);
	ofp_msg_end(&b, off);
	b.data[0] = 6;
	seed(&b);
	t_raw(&b, OFPT_FEATURES_REQUEST, 3, NULL, 0);
	seed(&b);
	t_raw(&b, OFPT_BARRIER_REQUEST, 4, NULL, 0);
	seed(&b);
	t_raw(&b, OFPT_ECHO_REQUEST, 5, "ping", 4);
	seed(&b);
	t_raw(&b, OFPT_GET_CONFIG_REQUEST, 6, NULL, 0);
	seed(&b);
	t_raw(&b, OFPT_SET_CONFIG, 7, cfg, sizeof(cfg));
	seed(&b);
	t_raw(&b, OFPT_ROLE_REQUEST, 8, role, sizeof(role));
	seed(&b);
	t_raw(&b, OFPT_SET_ASYNC, 9, async, sizeof(async));
	seed(&b);
	t_raw(&b, OFPT_GET_ASYNC_REQUEST, 10, NULL, 0);
	seed(&b);
	t_raw(&b, OFPT_EXPERIMENTER, 11, exp, sizeof(exp));
	seed(&b);
	t_raw(&b, OFPT_PORT_MOD, 12, port_mod, sizeof(port_mod));
	seed(&b);
	t_raw(&b, OFPT_TABLE_MOD, 13, table_mod, sizeof(table_mod));
	seed(&b);
	t_raw(&b, OFPT_QUEUE_GET_CONFIG_REQUEST, 14, port, sizeof(port));
	seed(&b);

	/* tcp,nw_src=10.0.0.0/8,tp_dst=80,actions=output:2 */
	m = ip(0x0800, 6);
	m.fields |= SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DPORT;
	m.src.v6[0] = 10;
	m.src_plen = 8;
	m.dport = 80;
	m.dport_mask = 0xffff;
	t_flow_mod(&b, 20, OFPFC_ADD, 0, 0, &m, 0, &out2);
	seed(&b);
	/* in_port=1,ipv6,ipv6_dst=2001:db8::/32,actions=drop */
	m = ip(0x86dd, 0);
	m.fields |= SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_DST;
	m.dst.v6[0] = 0x20, m.dst.v6[1] = 0x01, m.dst.v6[2] = 0x0d, m.dst.v6[3] = 0xb8;
	m.dst_plen = 32;
	t_flow_mod(&b, 21, OFPFC_ADD, 0, OFPFF_SEND_FLOW_REM, &m, 1, NULL);
	seed(&b);
	/* udp,dl_vlan=5,tp_src=53,actions=controller */
	m = ip(0x0800, 17);
	m.fields |= SDNFV_FLOW_M_VLAN | SDNFV_FLOW_M_SPORT;
	m.vlan = 0x1005;
	m.vlan_mask = 0x1fff;
	m.sport = 53;
	m.sport_mask = 0xffff;
	t_flow_mod(&b, 22, OFPFC_ADD, 0, OFPFF_CHECK_OVERLAP, &m, 0, &ctl);
	seed(&b);
	/* icmp,icmp_type=8,actions=output:3 */
	m = ip(0x0800, 1);
	m.fields |= SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE;
	m.icmp_type = 8;
	t_flow_mod(&b, 23, OFPFC_MODIFY, 0, 0, &m, 0, &many);
	seed(&b);
	/* icmp6 on any tag, sctp6 with a masked port: delete, strict */
	m = ip(0x86dd, 58);
	m.fields |= SDNFV_FLOW_M_VLAN | SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_SRC;
	m.vlan = m.vlan_mask = 0x1000;
	m.icmp_type = 135;
	m.src.v6[0] = 0xfe, m.src.v6[1] = 0x80;
	m.src_plen = 10;
	t_flow_mod(&b, 24, OFPFC_DELETE_STRICT, 0, 0, &m, 0, NULL);
	seed(&b);
	m = ip(0x86dd, 132);
	m.fields |= SDNFV_FLOW_M_DPORT;
	m.dport = 0x1000;
	m.dport_mask = 0xf000;
	t_flow_mod(&b, 25, OFPFC_DELETE, OFPTT_ALL, 0, &m, 0, NULL);
	seed(&b);
	/* the same tcp match with write_actions and clear_actions */
	m = ip(0x0800, 6);
	off = ofp_msg_begin(&b, OFPT_FLOW_MOD, 26);
	ofp_buf_put(&b, NULL, 40);
	ofp_match_encode(&b, &m, 0);
	ofp_buf_put(&b, write_clear, sizeof(write_clear));
	ofp_msg_end(&b, off);
	b.data[30] = 0x80;                                        /* priority */
	b.data[32] = b.data[33] = b.data[34] = b.data[35] = 0xff; /* no buffer */
	seed(&b);

	t_packet_out(&b, 30, OFP_NO_BUFFER, 1, 2, frame, sizeof(frame));
	seed(&b);
	t_packet_out(&b, 31, 7, OFPP_CONTROLLER, OFPP_TABLE, NULL, 0);
	seed(&b);

	m = ip(0x0800, 6);
	t_flow_stats_request(&b, 40, OFPMP_FLOW, OFPTT_ALL, &m);
	seed(&b);
	m = (struct sdnfv_flow_match){ 0 };
	t_flow_stats_request(&b, 41, OFPMP_AGGREGATE, 0, &m);
	seed(&b);
	t_mp_request(&b, 42, OFPMP_PORT_STATS, port, sizeof(port));
	seed(&b);
	for (mp = OFPMP_DESC; mp <= OFPMP_PORT_DESC; mp++) {
		if (mp == OFPMP_FLOW || mp == OFPMP_AGGREGATE || mp == OFPMP_PORT_STATS)
			continue;
		t_mp_request(&b, 43 + mp, mp, port,
			     mp == OFPMP_QUEUE || mp == OFPMP_GROUP || mp == OFPMP_METER ||
					     mp == OFPMP_METER_CONFIG
				     ? sizeof(port)
				     : 0);
		seed(&b);
	}

	ofp_buf_put(&b, all.data, all.len); /* everything, back to back */
	seed(&b);
	printf("ofp_seeds: %u seeds in %s\n", n_seeds, dir);
	ofp_buf_free(&b);
	ofp_buf_free(&all);
	return 0;
}
