/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The codec against Open vSwitch, a real peer (no EAL):
 * - everything the encoders write goes through `ovs-ofctl ofp-parse`, which must decode it
 *   without complaint (and does complain about a deliberately broken message);
 * - `ovs-ofctl -O OpenFlow13 <command> tcp:127.0.0.1:PORT` talks to a minimal switch played here
 *   with the codec's encoders; what it sends must pass ofp_decode_check() and decode to what its
 *   flow text says, and it must exit 0 after the replies.
 * Skipped (visibly) when ovs-ofctl is not installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_log.h>

#include <sdnfv/flow.h>

#include "codec_test.h"

#define TIMEOUT_MS 10000

static void
quiet(void)
{
	rte_log_set_global_level(RTE_LOG_CRIT);
}

TestSuite(ofp_ovs, .init = quiet);

static void
need_ofctl(void)
{
	const char *path = getenv("PATH");
	char dir[4096], file[4200];
	const char *p = path != NULL ? path : "/usr/bin:/bin";

	while (*p != '\0') {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		snprintf(file, sizeof(file), "%s/ovs-ofctl", dir);
		if (access(file, X_OK) == 0)
			return;
		p += n + (p[n] == ':');
	}
	cr_skip_test("ovs-ofctl is not installed: the Open vSwitch oracle tests are skipped");
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for child pid until the deadline; kill it (only it) when it overstays. Returns its exit
 * status, or -1 when it had to be killed or did not exit normally. */
static int
wait_child(pid_t pid, uint64_t deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (r < 0)
			return -1;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(10000);
	}
}

/* Start argv with stdout and stderr into the file out. */
static pid_t
spawn(char *const argv[], const char *out)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The whole of a file, NUL-terminated (caller frees). */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	cr_assert_not_null(s);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

static unsigned int
count(const char *s, const char *needle)
{
	unsigned int n = 0;

	for (s = strstr(s, needle); s != NULL; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* ---- (a) ovs-ofctl ofp-parse reads what the encoders write ------------------------------------ */

/* Run ofp-parse on the messages in b; returns its output (caller frees) and exit status. */
static char *
ofp_parse(const struct ofp_buf *b, int *status)
{
	char in[] = "/tmp/sdnfv-ofp-parse-XXXXXX", out[64];
	char *argv[] = { "ovs-ofctl", "ofp-parse", in, NULL };
	char *text;
	int fd = mkstemp(in);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b->data, b->len), (ssize_t)b->len);
	close(fd);
	snprintf(out, sizeof(out), "%s.out", in);
	*status = wait_child(spawn(argv, out), now_ms() + TIMEOUT_MS);
	text = slurp(out);
	unlink(in);
	unlink(out);
	return text;
}

/* What ofp-parse prints when it cannot decode a message, or warns about one. */
static bool
parse_complains(const char *text)
{
	return strstr(text, "decode error") != NULL || strstr(text, "(***") != NULL ||
	       strstr(text, "|WARN|") != NULL || strstr(text, "|ERR|") != NULL;
}

static struct sdnfv_flow_rule
rule_of(uint32_t fields)
{
	struct sdnfv_flow_rule r = { .sz = sizeof(r),
				     .priority = 100,
				     .idle_timeout = 30,
				     .hard_timeout = 60,
				     .cookie = 0xabc,
				     .flags = SDNFV_FLOW_F_SEND_REMOVED };

	r.match.fields = fields;
	return r;
}

/* Encoded samples of every message a switch sends, several matches among them. */
static unsigned int
encode_everything(struct ofp_buf *b)
{
	struct ofp_port_desc pd = { .port_no = 1,
				    .hw_addr = { 2, 0, 0, 0, 0, 1 },
				    .name = "dpdk0",
				    .state = OFPPS_LIVE,
				    .curr = OFPPF_10GB_FD | OFPPF_OTHER,
				    .curr_speed = 10000000,
				    .max_speed = 10000000 };
	struct ofp_port_counters pc = {
		.port_no = 1, .rx_packets = 5, .tx_bytes = 900, .duration_sec = 3
	};
	struct ofp_desc d = { "sdnfv", "DPDK host", "0.1", "serial-1", "test datapath" };
	struct ofp_switch_config sc = { 0, 128 };
	struct ofp_role role = { OFPCR_ROLE_MASTER, 7 };
	struct ofp_async as = { { 3, 0 }, { 7, 7 }, { 15, 0 } };
	struct ofp_err e = { OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ };
	struct sdnfv_flow_stats st = { .packets = 3, .bytes = 300, .duration_ns = 1500000000 };
	struct ofp_acts a = { .n_out = 2, .out = { { 2, 0 }, { OFPP_CONTROLLER, 0xffff } } };
	struct sdnfv_flow_rule rules[5];
	const uint8_t frame[64] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06
	};
	unsigned int n = 0, i;
	struct ofp_mp mp;
	uint8_t hello[16];

	rules[0] = rule_of(SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SRC |
			   SDNFV_FLOW_M_DPORT | SDNFV_FLOW_M_IN_PORT);
	rules[0].match.eth_type = 0x0800;
	rules[0].match.ip_proto = 6;
	rules[0].match.src.v6[0] = 10;
	rules[0].match.src_plen = 8;
	rules[0].match.dport = 80;
	rules[0].match.dport_mask = 0xfff0;
	rules[1] = rule_of(SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_DST |
			   SDNFV_FLOW_M_ICMP_TYPE | SDNFV_FLOW_M_ICMP_CODE);
	rules[1].match.eth_type = 0x86dd;
	rules[1].match.ip_proto = 58;
	rules[1].match.dst.v6[0] = 0x20;
	rules[1].match.dst.v6[1] = 0x01;
	rules[1].match.dst_plen = 32;
	rules[1].match.icmp_type = 128;
	rules[2] = rule_of(SDNFV_FLOW_M_VLAN | SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO |
			   SDNFV_FLOW_M_SPORT);
	rules[2].match.vlan = 0x1005;
	rules[2].match.vlan_mask = 0x1fff;
	rules[2].match.eth_type = 0x0800;
	rules[2].match.ip_proto = 17;
	rules[2].match.sport = 53;
	rules[2].match.sport_mask = 0xffff;
	rules[3] = rule_of(SDNFV_FLOW_M_VLAN | SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO |
			   SDNFV_FLOW_M_DPORT);
	rules[3].match.vlan = 0x1000;
	rules[3].match.vlan_mask = 0x1000;
	rules[3].match.eth_type = 0x86dd;
	rules[3].match.ip_proto = 132;
	rules[3].match.dport = 9;
	rules[3].match.dport_mask = 0xffff;
	rules[4] = rule_of(0);

	ofp_encode_hello(b, 1), n++;
	memcpy(hello, b->data, sizeof(hello)); /* not b->data itself: the append may move it */
	ofp_encode_error(b, 2, e, hello, sizeof(hello)),
		n += 2; /* ofp-parse shows the offending HELLO too */
	ofp_encode_echo(b, OFPT_ECHO_REPLY, 3, "ping", 4), n++;
	ofp_encode_echo(b, OFPT_ECHO_REQUEST, 4, NULL, 0), n++;
	ofp_encode_features_reply(b, 5, 0x0000020000000001ull, 256, 1,
				  OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS),
		n++;
	ofp_encode_get_config_reply(b, 6, &sc), n++;
	ofp_encode_barrier_reply(b, 7), n++;
	ofp_encode_role_reply(b, 8, &role), n++;
	ofp_encode_get_async_reply(b, 9, &as), n++;
	ofp_encode_queue_config_reply(b, 10, 1), n++;
	ofp_encode_packet_in(b, 11, 42, sizeof(frame), OFPR_NO_MATCH, 0, 1, frame, sizeof(frame)),
		n++;
	ofp_encode_packet_in(b, 12, OFP_NO_BUFFER, sizeof(frame), OFPR_ACTION, 0xabc,
			     SDNFV_OFP_SERVICE_PORT_BASE + 2, frame, sizeof(frame)),
		n++;
	for (i = 0; i < 5; i++)
		ofp_encode_flow_removed(b, 13, &rules[i], 1, OFPRR_IDLE_TIMEOUT, &st), n++;
	ofp_encode_port_status(b, 14, OFPPR_ADD, &pd), n++;
	/* An experimenter OVS knows (it refuses ids it does not: OFPBRC_BAD_VENDOR): ONF's bundle
	 * control, OPEN_REQUEST of bundle 1. */
	ofp_encode_experimenter(b, 15, 0x4f4e4600, 2300, "\0\0\0\1\0\0\0\0", 8), n++;
	ofp_mp_begin(&mp, b, OFPMP_DESC, 16);
	ofp_mp_desc(&mp, &d);
	ofp_mp_end(&mp), n++;
	ofp_mp_begin(&mp, b, OFPMP_FLOW, 17);
	for (i = 0; i < 5; i++)
		ofp_mp_flow_stats(&mp, &rules[i], 3, &st, i == 4 ? NULL : &a);
	ofp_mp_end(&mp), n++;
	ofp_mp_begin(&mp, b, OFPMP_AGGREGATE, 18);
	ofp_mp_aggregate(&mp, 10, 1000, 5);
	ofp_mp_end(&mp), n++;
	ofp_mp_begin(&mp, b, OFPMP_TABLE, 19);
	ofp_mp_table_stats(&mp, 0, 5, 100, 90);
	ofp_mp_end(&mp), n++;
	ofp_mp_begin(&mp, b, OFPMP_TABLE_FEATURES, 20);
	ofp_mp_table_features(&mp, 0, "sdnfv", 4096);
	ofp_mp_end(&mp), n++;
	ofp_mp_begin(&mp, b, OFPMP_PORT_STATS, 21);
	ofp_mp_port_stats(&mp, &pc);
	ofp_mp_port_stats(&mp, &pc);
	ofp_mp_end(&mp), n++;
	ofp_mp_begin(&mp, b, OFPMP_PORT_DESC, 22);
	ofp_mp_port_desc(&mp, &pd);
	pd.port_no = SDNFV_OFP_SERVICE_PORT_BASE;
	snprintf(pd.name, sizeof(pd.name), "firewall");
	ofp_mp_port_desc(&mp, &pd);
	ofp_mp_end(&mp), n++;
	cr_assert_eq(b->err, 0);
	return n;
}

Test(ofp_ovs, ofp_parse_decodes_every_message_the_encoders_write)
{
	struct ofp_buf b;
	unsigned int n;
	char *text;
	int status;

	need_ofctl();
	ofp_buf_init(&b);
	n = encode_everything(&b);
	text = ofp_parse(&b, &status);
	cr_expect_eq(status, 0, "ofp-parse exit status %d:\n%s", status, text);
	cr_expect(!parse_complains(text), "ofp-parse complains:\n%s", text);
	cr_expect_eq(count(text, "(OF1.3)"), n, "%u messages written, ofp-parse shows %u:\n%s", n,
		     count(text, "(OF1.3)"), text);
	/* A few things it must have understood. */
	cr_expect(strstr(text, "nw_src=10.0.0.0/8") != NULL, "%s", text);
	cr_expect(strstr(text, "ipv6_dst=2001::/32") != NULL, "%s", text);
	cr_expect(strstr(text, "dl_vlan=5") != NULL, "%s", text);
	cr_expect(strstr(text, "vlan_tci=0x1000/0x1000") != NULL, "%s", text);
	cr_expect(strstr(text, "firewall") != NULL, "%s", text);
	cr_expect(strstr(text, "bundle_id=0x1 type=OPEN_REQUEST") != NULL, "%s", text);
	free(text);
	ofp_buf_free(&b);
}

Test(ofp_ovs, ofp_parse_flags_a_deliberately_broken_message)
{
	struct sdnfv_flow_rule r = rule_of(SDNFV_FLOW_M_ETH_TYPE);
	struct ofp_buf b;
	char *text;
	int status;

	need_ofctl();
	r.match.eth_type = 0x0800;
	ofp_buf_init(&b);
	ofp_encode_flow_removed(&b, 1, &r, 0, OFPRR_DELETE, NULL);
	b.data[48 + 3] = 40; /* the match's length now runs past the message */
	text = ofp_parse(&b, &status);
	cr_expect(parse_complains(text), "the broken message passed:\n%s", text);
	free(text);
	ofp_buf_free(&b);
}

/* ---- (b) a minimal switch for ovs-ofctl ------------------------------------------------------ */

#define CAP_MAX 16

/* What ovs-ofctl sent, and how the session went. */
struct session {
	struct ofp_buf msgs[CAP_MAX]; /* FLOW_MOD, PACKET_OUT, MULTIPART_REQUEST, one each */
	unsigned int n_msgs;
	unsigned int refused; /* messages ofp_decode_check() refused */
	int status;           /* ovs-ofctl's exit status */
	char *out;            /* its output */
};

static void
send_all(int fd, struct ofp_buf *b)
{
	size_t off = 0;

	cr_assert_eq(b->err, 0);
	while (off < b->len) {
		ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break; /* ovs-ofctl left: its exit status tells */
		off += (size_t)n;
	}
	ofp_buf_reset(b);
}

static void
reply_multipart(struct ofp_buf *out, const struct ofp_mp_request *r, uint32_t xid)
{
	struct ofp_port_desc pd = { .hw_addr = { 2, 0, 0, 0, 0, 1 },
				    .state = OFPPS_LIVE,
				    .curr = OFPPF_10GB_FD,
				    .curr_speed = 10000000,
				    .max_speed = 10000000 };
	struct ofp_port_counters pc = { .port_no = 1,
					.rx_packets = 11,
					.tx_packets = 22,
					.rx_bytes = 1100,
					.tx_bytes = 2200,
					.duration_sec = 4 };
	struct ofp_desc d = { "sdnfv", "DPDK host", "0.1", "none", "test" };
	struct sdnfv_flow_rule rule = { .sz = sizeof(rule), .priority = 7, .cookie = 0x12 };
	struct sdnfv_flow_stats st = { .packets = 3, .bytes = 180 };
	struct ofp_acts a = { .n_out = 1, .out = { { 2, 0 } } };
	struct ofp_err e = { OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART };
	struct ofp_mp mp;
	unsigned int i;

	rule.match.fields = SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_DPORT |
			    SDNFV_FLOW_M_IN_PORT;
	rule.match.in_port = 77; /* the host's number: the wire carries of_in_port */
	rule.match.eth_type = 0x0800;
	rule.match.ip_proto = 6;
	rule.match.dport = 80;
	rule.match.dport_mask = 0xffff;
	ofp_mp_begin(&mp, out, r->type, xid);
	switch (r->type) {
	case OFPMP_PORT_DESC:
		for (i = 1; i <= 3; i++) {
			pd.port_no = i;
			snprintf(pd.name, sizeof(pd.name), "p%u", i);
			ofp_mp_port_desc(&mp, &pd);
		}
		break;
	case OFPMP_DESC:
		ofp_mp_desc(&mp, &d);
		break;
	case OFPMP_FLOW:
		ofp_mp_flow_stats(&mp, &rule, 1, &st, &a);
		break;
	case OFPMP_AGGREGATE:
		ofp_mp_aggregate(&mp, 3, 180, 1);
		break;
	case OFPMP_TABLE:
		ofp_mp_table_stats(&mp, 0, 1, 10, 3);
		break;
	case OFPMP_PORT_STATS:
		ofp_mp_port_stats(&mp, &pc);
		break;
	case OFPMP_TABLE_FEATURES:
		ofp_mp_table_features(&mp, 0, "sdnfv", 4096);
		break;
	default:
		ofp_buf_reset(out);
		ofp_encode_error(out, xid, e, NULL, 0);
		return;
	}
	ofp_mp_end(&mp);
}

/* One message from ovs-ofctl: check it, keep it, answer it. */
static void
handle(struct session *s, const uint8_t *msg, size_t len, struct ofp_buf *out)
{
	struct ofp_switch_config sc = { 0, 128 };
	struct ofp_err err = { 0 };
	struct ofp_mp_request r;
	struct ofp_hdr h;
	uint8_t common;

	ofp_hdr_read(msg, &h);
	if (h.type == OFPT_HELLO) {
		cr_expect_eq(ofp_decode_hello(msg, len, &common, &err), 0, "ovs-ofctl's HELLO");
		return;
	}
	if (ofp_decode_check(msg, len, &err) != 0) {
		s->refused++;
		cr_expect_fail("ovs-ofctl sent a %s the codec refuses: %s/%u",
			       ofp_type_name(h.type), ofp_error_type_name(err.type), err.code);
		ofp_encode_error(out, h.xid, err, msg, len);
		return;
	}
	if ((h.type == OFPT_FLOW_MOD || h.type == OFPT_PACKET_OUT ||
	     h.type == OFPT_MULTIPART_REQUEST) &&
	    s->n_msgs < CAP_MAX) {
		ofp_buf_init(&s->msgs[s->n_msgs]);
		ofp_buf_put(&s->msgs[s->n_msgs++], msg, len);
	}
	switch (h.type) {
	case OFPT_FEATURES_REQUEST:
		ofp_encode_features_reply(out, h.xid, 0x0000020000000001ull, 256, 1,
					  OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS);
		break;
	case OFPT_ECHO_REQUEST:
		ofp_encode_echo(out, OFPT_ECHO_REPLY, h.xid, msg + 8, len - 8);
		break;
	case OFPT_BARRIER_REQUEST:
		ofp_encode_barrier_reply(out, h.xid);
		break;
	case OFPT_GET_CONFIG_REQUEST:
		ofp_encode_get_config_reply(out, h.xid, &sc);
		break;
	case OFPT_MULTIPART_REQUEST:
		cr_assert_eq(ofp_decode_mp_request(msg, len, &r, &err), 0);
		reply_multipart(out, &r, h.xid);
		break;
	default: /* FLOW_MOD, PACKET_OUT: no reply */
		break;
	}
}

/* A connection from ovs-ofctl (it may open several: one to resolve port names, one for the
 * command). */
struct conn {
	int fd;
	size_t have;
	uint8_t rx[1 << 17];
};

/* Read what a connection has, handle its whole messages; false when it closed. */
static bool
conn_read(struct session *s, struct conn *c, struct ofp_buf *out)
{
	ssize_t n = recv(c->fd, c->rx + c->have, sizeof(c->rx) - c->have, 0);

	if (n <= 0)
		return false;
	c->have += (size_t)n;
	while (c->have >= OFP_HEADER_LEN) {
		struct ofp_hdr h;

		ofp_hdr_read(c->rx, &h);
		cr_assert_geq(h.length, OFP_HEADER_LEN);
		if (h.length > c->have)
			break;
		handle(s, c->rx, h.length, out);
		send_all(c->fd, out);
		memmove(c->rx, c->rx + h.length, c->have - h.length);
		c->have -= h.length;
	}
	return true;
}

#define CONN_MAX 4

/* Run `ovs-ofctl -O OpenFlow13 <args...>` with tcp:127.0.0.1:PORT in place of "SW", as the
 * switch, until it exits. */
static void
serve(struct session *s, const char *const *args)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char target[64], outfile[] = "/tmp/sdnfv-ofctl-XXXXXX";
	char *argv[16] = { "ovs-ofctl", "-O", "OpenFlow13" };
	struct conn *conns[CONN_MAX] = { NULL };
	struct ofp_buf out;
	socklen_t slen = sizeof(sa);
	uint64_t deadline = now_ms() + TIMEOUT_MS;
	int lfd, ofd, i, argc = 3, status = -1;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, CONN_MAX), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sa, &slen), 0);
	snprintf(target, sizeof(target), "tcp:127.0.0.1:%u", ntohs(sa.sin_port));
	for (i = 0; args[i] != NULL && argc < 15; i++)
		argv[argc++] = strcmp(args[i], "SW") == 0 ? target : (char *)args[i];
	argv[argc] = NULL;
	ofd = mkstemp(outfile);
	cr_assert_geq(ofd, 0);
	close(ofd);
	pid = spawn(argv, outfile);

	ofp_buf_init(&out);
	while (now_ms() < deadline) {
		struct pollfd pfd[CONN_MAX + 1];
		int n = 0, st;

		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < CONN_MAX; i++)
			if (conns[i] != NULL)
				pfd[n++] = (struct pollfd){ .fd = conns[i]->fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, 20) < 0)
			break;
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			for (i = 0; fd >= 0 && i < CONN_MAX && conns[i] != NULL; i++)
				;
			cr_assert(fd >= 0 && i < CONN_MAX, "accept, or too many connections");
			conns[i] = calloc(1, sizeof(*conns[i]));
			conns[i]->fd = fd;
			ofp_encode_hello(&out, 1);
			send_all(fd, &out);
		}
		for (i = 0; i < CONN_MAX; i++) {
			if (conns[i] == NULL)
				continue;
			struct pollfd p = { .fd = conns[i]->fd, .events = POLLIN };

			if (poll(&p, 1, 0) == 1 && !conn_read(s, conns[i], &out)) {
				close(conns[i]->fd);
				free(conns[i]);
				conns[i] = NULL;
			}
		}
		if (waitpid(pid, &st, WNOHANG) == pid) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
			pid = -1;
			break;
		}
	}
	for (i = 0; i < CONN_MAX; i++) {
		if (conns[i] != NULL) {
			struct pollfd p = { .fd = conns[i]->fd, .events = POLLIN };

			/* What it sent before it exited. */
			while (poll(&p, 1, 0) == 1 && conn_read(s, conns[i], &out))
				;
			close(conns[i]->fd);
			free(conns[i]);
		}
	}
	close(lfd);
	ofp_buf_free(&out);
	s->status = pid > 0 ? wait_child(pid, now_ms() + 1000) : status;
	s->out = slurp(outfile);
	unlink(outfile);
	cr_expect_eq(s->status, 0, "'%s' exit status %d:\n%s", args[0], s->status, s->out);
	cr_expect_eq(s->refused, 0);
}

static void
session_free(struct session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_msgs; i++)
		ofp_buf_free(&s->msgs[i]);
	free(s->out);
}

/* The one FLOW_MOD of a session, decoded. */
static struct ofp_flow_mod
the_flow_mod(const struct session *s)
{
	struct ofp_flow_mod fm;
	struct ofp_err err = { 0 };
	unsigned int i, n = 0;

	for (i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].data[1] != OFPT_FLOW_MOD)
			continue;
		cr_assert_eq(ofp_decode_flow_mod(s->msgs[i].data, s->msgs[i].len, &fm, &err), 0);
		n++;
	}
	cr_assert_eq(n, 1, "%u FLOW_MODs", n);
	return fm;
}

static struct ofp_mp_request
the_mp_request(const struct session *s, uint16_t type)
{
	struct ofp_mp_request r;
	struct ofp_err err = { 0 };
	unsigned int i;

	for (i = 0; i < s->n_msgs; i++) {
		if (s->msgs[i].data[1] != OFPT_MULTIPART_REQUEST)
			continue;
		cr_assert_eq(ofp_decode_mp_request(s->msgs[i].data, s->msgs[i].len, &r, &err), 0);
		if (r.type == type)
			return r;
	}
	cr_assert_fail("no multipart request of type %u", type);
	return r;
}

Test(ofp_ovs, add_flow_tcp_with_a_source_prefix_and_a_port_decodes)
{
	const char *args[] = { "add-flow", "SW", "tcp,nw_src=10.0.0.0/8,tp_dst=80,actions=output:2",
			       NULL };
	struct ofp_flow_mod fm;
	struct session s;

	need_ofctl();
	serve(&s, args);
	fm = the_flow_mod(&s);
	cr_expect_eq(fm.command, OFPFC_ADD);
	cr_expect_eq(fm.priority, 32768, "ovs-ofctl's default priority");
	cr_expect_eq(fm.match.m.fields, SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO |
						SDNFV_FLOW_M_SRC | SDNFV_FLOW_M_DPORT);
	cr_expect_eq(fm.match.m.eth_type, 0x0800);
	cr_expect_eq(fm.match.m.ip_proto, 6);
	cr_expect_eq(fm.match.m.src.v6[0], 10);
	cr_expect_eq(fm.match.m.src_plen, 8);
	cr_expect(fm.match.m.dport == 80 && fm.match.m.dport_mask == 0xffff);
	cr_expect_eq(fm.acts.n_out, 1);
	cr_expect_eq(fm.acts.out[0].port, 2);
	session_free(&s);
}

Test(ofp_ovs, add_flow_ipv6_prefix_drop_with_send_flow_rem_decodes)
{
	const char *args[] = { "add-flow", "SW",
			       "in_port=1,ipv6,ipv6_dst=2001:db8::/32,send_flow_rem,actions=drop",
			       NULL };
	const uint8_t want[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct ofp_flow_mod fm;
	struct session s;

	need_ofctl();
	serve(&s, args);
	fm = the_flow_mod(&s);
	cr_expect_eq(fm.match.m.fields,
		     SDNFV_FLOW_M_IN_PORT | SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_DST);
	cr_expect_eq(fm.match.of_in_port, 1);
	cr_expect_eq(fm.match.m.eth_type, 0x86dd);
	cr_expect_eq(fm.match.m.dst_plen, 32);
	cr_expect_eq(memcmp(fm.match.m.dst.v6, want, 4), 0);
	cr_expect_eq(fm.acts.n_out, 0, "drop: no outputs");
	cr_expect_eq(fm.flags, OFPFF_SEND_FLOW_REM);
	session_free(&s);
}

Test(ofp_ovs, add_flow_udp_on_a_vlan_to_the_controller_with_check_overlap_decodes)
{
	const char *args[] = { "add-flow", "SW",
			       "udp,dl_vlan=5,tp_src=53,check_overlap,actions=controller", NULL };
	struct ofp_flow_mod fm;
	struct session s;

	need_ofctl();
	serve(&s, args);
	fm = the_flow_mod(&s);
	cr_expect_eq(fm.match.m.fields, SDNFV_FLOW_M_VLAN | SDNFV_FLOW_M_ETH_TYPE |
						SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_SPORT);
	cr_expect_eq(fm.match.m.vlan, SDNFV_FLOW_VLAN_PRESENT | 5);
	cr_expect_eq(fm.match.m.vlan_mask, 0x1fff);
	cr_expect_eq(fm.match.m.ip_proto, 17);
	cr_expect(fm.match.m.sport == 53 && fm.match.m.sport_mask == 0xffff);
	cr_expect_eq(fm.acts.n_out, 1);
	cr_expect_eq(fm.acts.out[0].port, OFPP_CONTROLLER);
	cr_expect_eq(fm.flags, OFPFF_CHECK_OVERLAP);
	session_free(&s);
}

Test(ofp_ovs, add_flow_icmp_with_priority_timeout_and_cookie_decodes)
{
	const char *args[] = {
		"add-flow", "SW",
		"icmp,icmp_type=8,priority=7,idle_timeout=9,cookie=0x12,actions=output:3", NULL
	};
	struct ofp_flow_mod fm;
	struct session s;

	need_ofctl();
	serve(&s, args);
	fm = the_flow_mod(&s);
	cr_expect_eq(fm.match.m.fields,
		     SDNFV_FLOW_M_ETH_TYPE | SDNFV_FLOW_M_IP_PROTO | SDNFV_FLOW_M_ICMP_TYPE);
	cr_expect_eq(fm.match.m.ip_proto, 1);
	cr_expect_eq(fm.match.m.icmp_type, 8);
	cr_expect_eq(fm.priority, 7);
	cr_expect_eq(fm.idle_timeout, 9);
	cr_expect_eq(fm.cookie, 0x12);
	cr_expect_eq(fm.acts.out[0].port, 3);
	session_free(&s);
}

Test(ofp_ovs, mod_flows_decodes_as_a_non_strict_modify)
{
	const char *args[] = { "mod-flows", "SW", "tcp,nw_src=10.0.0.0/8,actions=output:3", NULL };
	struct ofp_flow_mod fm;
	struct session s;

	need_ofctl();
	serve(&s, args);
	fm = the_flow_mod(&s);
	cr_expect_eq(fm.command, OFPFC_MODIFY);
	cr_expect_eq(fm.match.m.src_plen, 8);
	cr_expect_eq(fm.acts.out[0].port, 3);
	session_free(&s);
}

Test(ofp_ovs, del_flows_strict_decodes_as_a_strict_delete)
{
	const char *args[] = { "del-flows", "--strict", "SW", "tcp,tp_dst=80,priority=5", NULL };
	struct ofp_flow_mod fm;
	struct session s;

	need_ofctl();
	serve(&s, args);
	fm = the_flow_mod(&s);
	cr_expect_eq(fm.command, OFPFC_DELETE_STRICT);
	cr_expect_eq(fm.priority, 5);
	cr_expect_eq(fm.out_port, OFPP_ANY);
	cr_expect_eq(fm.match.m.dport, 80);
	session_free(&s);
}

Test(ofp_ovs, dump_flows_sends_a_flow_request_and_prints_the_reply)
{
	const char *args[] = { "dump-flows", "SW", "tcp", NULL };
	struct ofp_flow_stats_request fs;
	struct ofp_err err = { 0 };
	struct ofp_mp_request r;
	struct session s;

	need_ofctl();
	serve(&s, args);
	r = the_mp_request(&s, OFPMP_FLOW);
	cr_assert_eq(ofp_decode_flow_stats_request(&r, &fs, &err), 0);
	cr_expect_eq(fs.table_id, OFPTT_ALL);
	cr_expect_eq(fs.match.m.ip_proto, 6);
	cr_expect(strstr(s.out, "cookie=0x12") != NULL, "%s", s.out);
	cr_expect(strstr(s.out, "in_port=1") != NULL, "%s", s.out);
	cr_expect(strstr(s.out, "tp_dst=80") != NULL, "%s", s.out);
	cr_expect(strstr(s.out, "actions=output:2") != NULL, "%s", s.out);
	session_free(&s);
}

Test(ofp_ovs, dump_aggregate_prints_the_reply)
{
	const char *args[] = { "dump-aggregate", "SW", NULL };
	struct session s;

	need_ofctl();
	serve(&s, args);
	the_mp_request(&s, OFPMP_AGGREGATE);
	cr_expect(strstr(s.out, "packet_count=3 byte_count=180 flow_count=1") != NULL, "%s", s.out);
	session_free(&s);
}

Test(ofp_ovs, dump_ports_prints_the_counters)
{
	const char *args[] = { "dump-ports", "SW", NULL };
	uint32_t port = 0;
	struct ofp_err err = { 0 };
	struct ofp_mp_request r;
	struct session s;

	need_ofctl();
	serve(&s, args);
	r = the_mp_request(&s, OFPMP_PORT_STATS);
	cr_assert_eq(ofp_decode_port_stats_request(&r, &port, &err), 0);
	cr_expect_eq(port, OFPP_ANY);
	cr_expect(strstr(s.out, "rx pkts=11, bytes=1100") != NULL, "%s", s.out);
	session_free(&s);
}

Test(ofp_ovs, dump_ports_desc_prints_the_ports)
{
	const char *args[] = { "dump-ports-desc", "SW", NULL };
	struct session s;

	need_ofctl();
	serve(&s, args);
	the_mp_request(&s, OFPMP_PORT_DESC);
	cr_expect(strstr(s.out, "1(p1)") != NULL, "%s", s.out);
	cr_expect(strstr(s.out, "3(p3)") != NULL, "%s", s.out);
	session_free(&s);
}

Test(ofp_ovs, dump_table_features_prints_the_table)
{
	const char *args[] = { "dump-table-features", "SW", NULL };
	struct session s;

	need_ofctl();
	serve(&s, args);
	the_mp_request(&s, OFPMP_TABLE_FEATURES);
	cr_expect(strstr(s.out, "sdnfv") != NULL, "%s", s.out);
	cr_expect(strstr(s.out, "max_entries=4096") != NULL, "%s", s.out);
	session_free(&s);
}

Test(ofp_ovs, packet_out_decodes_with_its_port_actions_and_frame)
{
	const char *args[] = { "packet-out", "SW",
			       "in_port=1 packet=ffffffffffff020000000001080600010800060400010200"
			       "00000001c0a80001000000000000c0a80002 actions=output:2",
			       NULL };
	struct ofp_packet_out po;
	struct ofp_err err = { 0 };
	struct session s;
	unsigned int i, n = 0;

	need_ofctl();
	serve(&s, args);
	for (i = 0; i < s.n_msgs; i++) {
		if (s.msgs[i].data[1] != OFPT_PACKET_OUT)
			continue;
		cr_assert_eq(ofp_decode_packet_out(s.msgs[i].data, s.msgs[i].len, &po, &err), 0);
		n++;
		cr_expect_eq(po.in_port, 1);
		cr_expect_eq(po.buffer_id, OFP_NO_BUFFER);
		cr_expect_eq(po.acts.n_out, 1);
		cr_expect_eq(po.acts.out[0].port, 2);
		cr_expect_eq(po.data_len, 42);
		cr_expect(po.data_len > 13 && po.data[12] == 0x08 && po.data[13] == 0x06);
	}
	cr_expect_eq(n, 1);
	session_free(&s);
}
