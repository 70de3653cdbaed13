/* SPDX-License-Identifier: BSD-3-Clause */
#include "pkt_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

/* ---- frame builder ---------------------------------------------------------------------- */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

void
frame_init(struct frame *f)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	memset(f->d, 0, 2048);
	memcpy(f->d, macs, sizeof(macs));
	f->et_at = 12;
	f->len = 14;
	f->l3 = 0;
	f->l4 = 0;
	f->ipv = 0;
	f->proto = 0;
	f->nh_at = 0;
}

void
frame_vlan(struct frame *f, uint16_t tpid, uint16_t tci)
{
	put16(f->d + f->et_at, tpid);
	put16(f->d + f->len, tci);
	f->et_at = f->len + 2;
	f->len += 4;
}

void
frame_ethertype(struct frame *f, uint16_t et)
{
	put16(f->d + f->et_at, et);
}

void
frame_ipv4_opts(struct frame *f, uint32_t src, uint32_t dst, unsigned int opt_len)
{
	uint8_t *ip = f->d + f->len;

	put16(f->d + f->et_at, 0x0800);
	memset(ip, 0, 20 + opt_len);
	ip[0] = 0x40 | ((20 + opt_len) / 4);
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	memset(ip + 20, 1, opt_len); /* NOP options */
	f->l3 = f->len;
	f->nh_at = f->len + 9;
	f->ipv = 4;
	f->len += 20 + opt_len;
}

void
frame_ipv4(struct frame *f, uint32_t src, uint32_t dst)
{
	frame_ipv4_opts(f, src, dst, 0);
}

void
frame_ipv6(struct frame *f, const char *src, const char *dst)
{
	uint8_t *ip = f->d + f->len;

	put16(f->d + f->et_at, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	f->l3 = f->len;
	f->nh_at = f->len + 6;
	f->pseudo_dst = f->len + 24;
	f->ipv = 6;
	f->len += 40;
}

void
frame_ext(struct frame *f, uint8_t type, unsigned int len)
{
	uint8_t *h = f->d + f->len;

	f->d[f->nh_at] = type;
	memset(h, 0, len);
	h[1] = type == 51 ? len / 4 - 2 : len / 8 - 1;
	f->nh_at = f->len;
	f->len += len;
}

void
frame_frag6(struct frame *f, uint16_t offset, bool more)
{
	uint8_t *h = f->d + f->len;

	f->d[f->nh_at] = 44;
	memset(h, 0, 8);
	put16(h + 2, (offset & 0xfff8) | (more ? 1 : 0));
	put32(h + 4, 0xabcd1234);
	f->nh_at = f->len;
	f->len += 8;
}

static uint8_t *
frame_l4(struct frame *f, uint8_t proto, unsigned int len)
{
	uint8_t *h = f->d + f->len;

	f->d[f->nh_at] = proto;
	memset(h, 0, len);
	f->proto = proto;
	f->l4 = f->len;
	f->len += len;
	return h;
}

void
frame_tcp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *h = frame_l4(f, 6, 20);

	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, 0x01020304);
	h[12] = 5 << 4;
	h[13] = 0x10;
	put16(h + 14, 8192);
}

void
frame_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *h = frame_l4(f, 17, 8);

	put16(h, sport);
	put16(h + 2, dport);
}

void
frame_sctp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *h = frame_l4(f, 132, 12);

	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, 0xdeadbeef);
}

void
frame_icmp(struct frame *f, uint8_t type, uint8_t code, uint16_t id)
{
	uint8_t *h = frame_l4(f, f->ipv == 6 ? 58 : 1, 8);

	h[0] = type;
	h[1] = code;
	put16(h + 4, id);
	put16(h + 6, 1);
}

void
frame_proto(struct frame *f, uint8_t proto, unsigned int len)
{
	frame_l4(f, proto, len);
}

void
frame_payload(struct frame *f, unsigned int n)
{
	static uint32_t x = 12345;

	for (unsigned int i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		f->d[f->len + i] = x >> 16;
	}
	f->len += n;
}

void
frame_finish(struct frame *f)
{
	uint8_t *ip = f->d + f->l3;

	if (f->ipv == 4) {
		put16(ip + 2, f->len - f->l3);
		put16(ip + 10, 0);
		put16(ip + 10, ref_cksum(ip, (ip[0] & 0xf) * 4));
	} else if (f->ipv == 6) {
		put16(ip + 4, f->len - f->l3 - 40);
	}
	if (f->l4 == 0)
		return;
	if (f->proto == 17)
		put16(f->d + f->l4 + 4, f->len - f->l4);
	if (f->proto == 6 || f->proto == 17 || f->proto == 1 || f->proto == 58) {
		unsigned int at = f->proto == 6 ? 16 : f->proto == 17 ? 6 : 2;
		uint16_t c = ref_l4_cksum(f->d, f->l3, f->ipv, f->pseudo_dst, f->l4, f->len - f->l4,
					  f->proto);

		if (f->proto == 17 && c == 0)
			c = 0xffff;
		put16(f->d + f->l4 + at, c);
	}
}

/* ---- reference checksum ------------------------------------------------------------------ */

uint32_t
ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i < len; i += 2) {
		uint32_t word = (uint32_t)p[i] << 8;

		if (i + 1 < len)
			word |= p[i + 1];
		sum += word;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

uint16_t
ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
ref_cksum(const uint8_t *p, size_t len)
{
	return (uint16_t)~ref_fold(ref_sum(p, len, 0));
}

uint16_t
ref_l4_cksum(const uint8_t *frame, uint32_t l3, int ipv, uint32_t pseudo_dst, uint32_t l4,
	     uint32_t l4_len, uint8_t proto)
{
	uint8_t *seg = malloc(l4_len + 1);
	unsigned int at = proto == 6 ? 16 : proto == 17 ? 6 : 2;
	uint32_t sum = 0;
	uint16_t c;

	memcpy(seg, frame + l4, l4_len);
	seg[at] = 0;
	seg[at + 1] = 0;
	if (ipv == 4 && proto != 1) {
		sum = ref_sum(frame + l3 + 12, 8, sum);
		sum += proto;
		sum += l4_len;
	} else if (ipv == 6) {
		sum = ref_sum(frame + l3 + 8, 16, sum);
		sum = ref_sum(frame + pseudo_dst, 16, sum);
		sum += l4_len >> 16;
		sum += l4_len & 0xffff;
		sum += proto;
	}
	c = (uint16_t)~ref_fold(ref_sum(seg, l4_len, ref_fold(sum)));
	free(seg);
	return c;
}

/* ---- captures ------------------------------------------------------------------------------ */

long
capture_each(const char *path, capture_cb cb, void *arg, char *why, size_t why_len)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	long n = 0;
	int rc;

	pc = pcap_open_offline(path, err);
	if (pc == NULL) {
		snprintf(why, why_len, "%s: %s", path, err);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		snprintf(why, why_len, "%s: link type %s, not Ethernet", path,
			 pcap_datalink_val_to_name(pcap_datalink(pc)));
		pcap_close(pc);
		return -1;
	}
	/* A damaged file (pcapfix's examples) ends with an error: keep what was read before. */
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		n++;
		if (cb != NULL)
			cb(data, h->caplen, (uint32_t)n, arg);
	}
	pcap_close(pc);
	return n;
}

const char *
shared_capture(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("SDNFV_SHARED_PCAPS");

	snprintf(buf, len, "%s/%s", dir != NULL ? dir : "../shared/pcaps", name);
	return buf;
}

const char *
kernel_capture(char *buf, size_t len)
{
	const char *root = getenv("SDNFV_SOURCE_ROOT");

	snprintf(buf, len, "%s/tests/pkt/data/kernel.pcap", root != NULL ? root : ".");
	return buf;
}

static void
set_add(struct capture_set *set, const char *path)
{
	if (set->n < sizeof(set->paths) / sizeof(set->paths[0]))
		snprintf(set->paths[set->n++], sizeof(set->paths[0]), "%s", path);
}

static void
set_missing(struct capture_set *set, const char *what)
{
	size_t l = strlen(set->missing);

	snprintf(set->missing + l, sizeof(set->missing) - l, "%s%s", l ? ", " : "", what);
}

void
capture_set_collect(struct capture_set *set, bool shared, bool kernel, bool debian)
{
	static const char *const shared_names[] = {
		"tcpreplay_test.pcap",  "tcpreplay_fragroute.pcap", "onvm_pktgen_test1.pcap",
		"onvm_pktgen_big.pcap", "onvm_64B_download.pcap",
	};
	static const char *const debian_globs[] = {
		"/usr/share/doc/python3-dpkt/examples/data/*.pcap",
		"/usr/share/doc/pcapfix/examples/*.pcap",
		"/usr/share/gocode/src/github.com/google/gopacket/pcap/test_*.pcap",
	};
	char path[512];

	memset(set, 0, sizeof(*set));
	if (shared) {
		for (size_t i = 0; i < sizeof(shared_names) / sizeof(shared_names[0]); i++) {
			shared_capture(shared_names[i], path, sizeof(path));
			if (access(path, R_OK) == 0)
				set_add(set, path);
			else
				set_missing(set, path);
		}
	}
	if (kernel) {
		kernel_capture(path, sizeof(path));
		if (access(path, R_OK) == 0)
			set_add(set, path);
		else
			set_missing(set, path);
	}
	if (debian) {
		for (size_t i = 0; i < sizeof(debian_globs) / sizeof(debian_globs[0]); i++) {
			glob_t g;

			if (glob(debian_globs[i], 0, NULL, &g) != 0) {
				set_missing(set, debian_globs[i]);
				continue;
			}
			for (size_t j = 0; j < g.gl_pathc; j++)
				set_add(set, g.gl_pathv[j]);
			globfree(&g);
		}
	}
}
