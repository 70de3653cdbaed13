/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT on real captures: one host of the capture is put inside the NAT. Its packets go out
 * translated; the packets to it are replayed as the Internet would send them (to the NAT's
 * external endpoint, checksums recomputed by an oracle) and must come back as the capture has
 * them, byte for byte apart from checksums, which must be valid exactly when the captured ones were.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "frames.h"
#include "nat.h"

struct pkt_view {
	unsigned int l3, ihl, l4, end; /* offsets */
	uint8_t proto;
};

static bool
view(const uint8_t *f, unsigned int len, struct pkt_view *v)
{
	unsigned int l3 = 14;
	uint16_t type = get16(f + 12);

	if (len < 14)
		return false;
	if (type == 0x8100 && len >= 18) {
		type = get16(f + 16);
		l3 = 18;
	}
	if (type != 0x0800 || len < l3 + 20 || (f[l3] >> 4) != 4)
		return false;
	v->l3 = l3;
	v->ihl = (f[l3] & 15u) * 4;
	v->l4 = l3 + v->ihl;
	v->end = l3 + get16(f + l3 + 2);
	v->proto = f[l3 + 9];
	return v->end <= len && v->l4 + 8 <= v->end && (get16(f + l3 + 6) & 0x3fff) == 0;
}

static unsigned int
ck_off(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : 2;
}

/* Validity of the IPv4 header checksum and the L4 checksum (oracle sums). */
static bool
cksums_ok(const uint8_t *f, const struct pkt_view *v)
{
	const uint8_t *ip = f + v->l3, *l4 = f + v->l4;
	uint16_t l4_len = (uint16_t)(v->end - v->l4);

	if (oracle_fold(oracle_sum(ip, v->ihl, 0)) != 0xffff)
		return false;
	if (v->proto == 17 && get16(l4 + 6) == 0)
		return true;
	if (v->proto == 1)
		return oracle_fold(oracle_sum(l4, l4_len, 0)) == 0xffff;
	return oracle_fold(oracle_sum(l4, l4_len, oracle_pseudo(ip, v->proto, l4_len))) == 0xffff;
}

static void
set_ck(uint8_t *p, uint32_t sum)
{
	put16(p, (uint16_t)~oracle_fold(sum));
}

/* Full recomputation (the Internet's sender computes its checksums from scratch). */
static void
recompute(uint8_t *f, const struct pkt_view *v)
{
	uint8_t *ip = f + v->l3, *l4 = f + v->l4;
	uint16_t l4_len = (uint16_t)(v->end - v->l4);
	unsigned int o = ck_off(v->proto);

	put16(ip + 10, 0);
	set_ck(ip + 10, oracle_sum(ip, v->ihl, 0));
	if (v->proto == 17 && get16(l4 + 6) == 0)
		return;
	put16(l4 + o, 0);
	set_ck(l4 + o, v->proto == 1 ? oracle_sum(l4, l4_len, 0)
				     : oracle_sum(l4, l4_len, oracle_pseudo(ip, v->proto, l4_len)));
	if (v->proto == 17 && get16(l4 + 6) == 0)
		put16(l4 + 6, 0xffff);
}

static bool
is_icmp_error(const uint8_t *f, const struct pkt_view *v)
{
	uint8_t t = f[v->l4];

	return v->proto == 1 && (t == 3 || t == 4 || t == 11 || t == 12);
}

/* Equal apart from the checksum fields of the packet (and of an embedded header). */
static bool
same_but_cksums(const uint8_t *a, const uint8_t *b, unsigned int len, const struct pkt_view *v)
{
	static uint8_t x[2048], y[2048];
	unsigned int offs[4], n = 0, i;

	if (len > sizeof(x))
		return false;
	memcpy(x, a, len);
	memcpy(y, b, len);
	offs[n++] = v->l3 + 10;
	offs[n++] = v->l4 + ck_off(v->proto);
	if (is_icmp_error(a, v) && v->end >= v->l4 + 8 + 20) {
		unsigned int e = v->l4 + 8, eihl = (a[e] & 15u) * 4;

		offs[n++] = e + 10;
		if (e + eihl + ck_off(a[e + 9]) + 2 <= v->end)
			offs[n++] = e + eihl + ck_off(a[e + 9]);
	}
	for (i = 0; i < n; i++)
		x[offs[i]] = x[offs[i] + 1] = y[offs[i]] = y[offs[i] + 1] = 0;
	return memcmp(x, y, len) == 0;
}

struct counts {
	unsigned int out, in, other, unmapped;
};

static void
replay(const char *file, const char *client, struct counts *c)
{
	const char *dir = getenv("SDNFV_SHARED_PCAPS");
	char path[512], errbuf[PCAP_ERRBUF_SIZE], cfg[256], err[256];
	struct nat_options o = { .seed = 5 };
	struct pcap_pkthdr *h;
	const uint8_t *data;
	struct nat *n;
	pcap_t *p;
	FILE *cf;
	int fd;
	uint32_t cl = ip4(client), ext = ip4("203.0.113.1");

	cr_assert_not_null(dir, "SDNFV_SHARED_PCAPS is set");
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	/* Like the packet parser's tests: skipped, visibly, where the shared captures are not. */
	if (access(path, R_OK) != 0)
		cr_skip_test("no shared capture %s", path);
	snprintf(cfg, sizeof(cfg), "/tmp/nat-pcap-XXXXXX");
	fd = mkstemp(cfg);
	cr_assert_geq(fd, 0);
	cf = fdopen(fd, "w");
	fprintf(cf, "external 203.0.113.1\ninternal %s/32\n", client);
	fclose(cf);
	cr_assert_eq(nat_create(cfg, &o, &n, err, sizeof(err)), 0, "%s", err);
	unlink(cfg);
	p = pcap_open_offline(path, errbuf);
	cr_assert_not_null(p, "%s", errbuf);
	memset(c, 0, sizeof(*c));
	while (pcap_next_ex(p, &h, &data) == 1) {
		static uint8_t f[2048], orig[2048];
		unsigned int len = h->caplen;
		struct pkt_view v;
		uint16_t port;
		bool valid;

		if (len > sizeof(f) || h->caplen != h->len)
			continue;
		memcpy(f, data, len);
		memcpy(orig, data, len);
		if (!view(f, len, &v) ||
		    (get32n(f + v.l3 + 12) != cl && get32n(f + v.l3 + 16) != cl)) {
			c->other++;
			continue;
		}
		valid = cksums_ok(orig, &v);
		if (get32n(f + v.l3 + 12) == cl) {
			enum nat_verdict r = nat_process(n, f, len, 0, &port);

			if (r == NAT_V_DROP && is_icmp_error(orig, &v)) {
				c->unmapped++; /* about a datagram the NAT never saw */
				continue;
			}
			cr_assert_eq(r, NAT_V_NEXT, "%s: outbound frame translated", file);
			cr_assert_eq(get32n(f + v.l3 + 12), ext);
			cr_assert_eq(cksums_ok(f, &v), valid, "%s: checksums valid as before",
				     file);
			c->out++;
			continue;
		}
		/* To the client: as the Internet would send it, to the NAT's endpoint. */
		{
			uint8_t *l4 = f + v.l4;
			bool err_msg = is_icmp_error(f, &v);
			uint8_t proto = err_msg ? l4[8 + 9] : v.proto;
			unsigned int eoff = err_msg ? 8 + (l4[8] & 15u) * 4 : 0;
			uint8_t *pp = err_msg ? l4 + eoff + (proto == 1 ? 4 : 0)
					      : l4 + (proto == 1 ? 4 : 2);
			rte_be32_t eip;
			rte_be16_t eport, iport;

			memcpy(&iport, pp, 2);
			if (nat_lookup(n, proto, cl, iport, &eip, &eport) < 0) {
				c->unmapped++;
				continue;
			}
			memcpy(f + v.l3 + 16, &eip, 4);
			memcpy(pp, &eport, 2);
			if (err_msg) {
				memcpy(l4 + 8 + 12, &eip, 4);
				put16(l4 + 8 + 10, 0);
				set_ck(l4 + 8 + 10, oracle_sum(l4 + 8, (l4[8] & 15u) * 4, 0));
			}
			if (valid)
				recompute(f, &v);
			cr_assert_eq(nat_process(n, f, len, 0, &port), NAT_V_NEXT,
				     "%s: inbound frame translated", file);
			cr_assert(same_but_cksums(f, orig, len, &v), "%s: back as captured", file);
			if (valid)
				cr_assert(cksums_ok(f, &v), "%s: inbound checksums valid", file);
			c->in++;
		}
	}
	pcap_close(p);
	cr_assert_eq(nat_stats(n)->in + nat_stats(n)->out, c->in + c->out);
	nat_free(n);
}

Test(nat_pcap, a_real_capture_of_tcp_udp_and_icmp_goes_out_and_comes_back_intact)
{
	struct counts c;

	replay("tcpreplay_test.pcap", "172.16.11.12", &c);
	cr_log_info("out %u in %u other %u unmapped %u", c.out, c.in, c.other, c.unmapped);
	cr_assert_geq(c.out, 50);
	cr_assert_geq(c.in, 50);
	cr_assert_leq(c.unmapped, 6);
}

Test(nat_pcap, a_real_download_in_64_byte_frames_goes_out_and_comes_back_intact)
{
	struct counts c;

	replay("onvm_64B_download.pcap", "11.0.0.17", &c);
	cr_assert_eq(c.out + c.in, 14328 - c.other - c.unmapped);
	cr_assert_geq(c.out, 2700);
	cr_assert_geq(c.in, 11000);
	cr_assert_eq(c.unmapped, 0);
}
