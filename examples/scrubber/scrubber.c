/* SPDX-License-Identifier: BSD-3-Clause */
/* scrubber: drop or clean what a dpi NF redirected (see scrubber.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include <sdnfv/sdnfv.h>

#include "scrubber.h"

struct sflow {
	struct sdnfv_pkt_key key; /* symmetric */
	bool used;
	uint64_t pkts, bytes;
};

struct scrubber {
	enum scrubber_mode mode;
	char name[32];
	unsigned int nslots; /* power of two */
	struct sflow *flows;
	struct scrubber_stats st;
	uint64_t report_ns, report_rx; /* the last state report: when, and rx + 1 then */
};

struct scrubber *
scrubber_create(enum scrubber_mode mode, unsigned int flows, const char *name)
{
	struct scrubber *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->mode = mode;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "scrubber");
	s->nslots = rte_align32pow2(flows ? flows : 4096);
	s->flows = calloc(s->nslots, sizeof(*s->flows));
	if (s->flows == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
scrubber_free(struct scrubber *s)
{
	if (s == NULL)
		return;
	free(s->flows);
	free(s);
}

/* Linear probing, at most 16 probes: a full neighbourhood leaves the packet untracked. */
static void
count_flow(struct scrubber *s, const struct sdnfv_pkt_key *key, uint32_t len)
{
	uint32_t i = sdnfv_pkt_key_hash(key, 0), n;

	for (n = 0; n < 16; n++, i++) {
		struct sflow *f = &s->flows[i & (s->nslots - 1)];

		if (!f->used) {
			f->used = true;
			f->key = *key;
			s->st.flows++;
		} else if (memcmp(&f->key, key, sizeof(*key)) != 0) {
			continue;
		}
		f->pkts++;
		f->bytes += len;
		return;
	}
	s->st.untracked++;
}

/* Cut the L4 payload: the datagram ends after the TCP/UDP header; lengths and checksums follow. */
static int
cut_payload(struct scrubber *s, uint8_t *frame, const struct sdnfv_pkt_info *info)
{
	uint32_t cut = info->l3_end - info->payload_off, new_end = info->payload_off;
	struct sdnfv_pkt_info again;
	rte_be16_t ck;

	if (cut == 0) {
		s->st.passed++;
		return (int)info->l3_end;
	}
	if (info->l3 == SDNFV_PKT_L3_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + info->l3_off);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(new_end - info->l3_off));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = sdnfv_pkt_ipv4_cksum(ip, (ip->version_ihl & 0xf) * 4u);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + info->l3_off);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(new_end - info->l3_off - 40));
	}
	if (info->l4_proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(frame + info->l4_off);

		u->dgram_len = rte_cpu_to_be_16(sizeof(*u));
	}
	/* Reparse the shortened frame (it is its own proof that the lengths agree), then the L4
	 * checksum over what is left. */
	if (sdnfv_pkt_parse(frame, new_end, &again) < 0 ||
	    sdnfv_pkt_l4_cksum(frame, &again, &ck) < 0)
		return -1;
	if (info->l4_proto == IPPROTO_UDP)
		((struct rte_udp_hdr *)(frame + info->l4_off))->dgram_cksum = ck;
	else
		memcpy(frame + info->l4_off + 16, &ck, sizeof(ck)); /* TCP checksum field */
	s->st.cleaned++;
	s->st.cut_bytes += cut;
	return (int)new_end;
}

int
scrubber_packet(struct scrubber *s, uint8_t *frame, uint32_t len)
{
	struct sdnfv_pkt_info info;
	struct sdnfv_pkt_key key;

	s->st.rx++;
	s->st.bytes += len;
	if (sdnfv_pkt_parse(frame, len, &info) < 0 || !(info.flags & SDNFV_PKT_F_L3)) {
		s->st.malformed++;
		if (s->mode == SCRUBBER_CLEAN) {
			s->st.dropped++;
			return -1;
		}
	} else if (sdnfv_pkt_key_build(frame, &info, &key) == 0) {
		sdnfv_pkt_key_symmetric(&key);
		count_flow(s, &key, len);
	}
	if (s->mode == SCRUBBER_DROP) {
		s->st.dropped++;
		return -1;
	}
	if ((info.l4_proto == IPPROTO_TCP || info.l4_proto == IPPROTO_UDP) &&
	    (info.flags & SDNFV_PKT_F_L4) && !(info.flags & SDNFV_PKT_F_FRAG)) {
		int n = cut_payload(s, frame, &info);

		if (n < 0) {
			s->st.malformed++;
			s->st.dropped++;
		}
		return n;
	}
	/* Neither TCP nor UDP (or a fragment): nothing to cut safely, so nothing goes through. */
	s->st.dropped++;
	return -1;
}

void
scrubber_stats(const struct scrubber *s, struct scrubber_stats *out)
{
	*out = s->st;
}

void
scrubber_summary(const struct scrubber *s, FILE *f)
{
	const struct scrubber_stats *t = &s->st;
	unsigned int i;

	fprintf(f,
		"%s: summary mode %s rx %" PRIu64 " bytes %" PRIu64 " dropped %" PRIu64
		" cleaned %" PRIu64 " passed %" PRIu64 " cut_bytes %" PRIu64 " malformed %" PRIu64
		" flows %" PRIu64 " untracked %" PRIu64 " segmented %" PRIu64 "\n",
		s->name, s->mode == SCRUBBER_DROP ? "drop" : "clean", t->rx, t->bytes, t->dropped,
		t->cleaned, t->passed, t->cut_bytes, t->malformed, t->flows, t->untracked,
		t->segmented);
	for (i = 0; i < s->nslots; i++) {
		const struct sflow *fl = &s->flows[i];
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int af = fl->key.family == SDNFV_PKT_L3_IPV4 ? AF_INET : AF_INET6;

		if (!fl->used)
			continue;
		inet_ntop(af, fl->key.src.v6, a, sizeof(a));
		inet_ntop(af, fl->key.dst.v6, b, sizeof(b));
		fprintf(f, "%s: flow proto %u %s %u %s %u packets %" PRIu64 " bytes %" PRIu64 "\n",
			s->name, fl->key.proto, a, rte_be_to_cpu_16(fl->key.sport), b,
			rte_be_to_cpu_16(fl->key.dport), fl->pkts, fl->bytes);
	}
}

/*
 * A chained (multi-segment) mbuf is dropped in either mode, whole: cutting its payload would mean
 * freeing or emptying segments, and an NF never frees any part of a packet (the manager frees what
 * it is told to drop). Counted like any packet (its headers are in the first segment) and in
 * `segmented`.
 */
static void
drop_segmented(struct scrubber *s, struct rte_mbuf *m)
{
	struct sdnfv_pkt_info info;
	struct sdnfv_pkt_key key;

	s->st.rx++;
	s->st.bytes += m->pkt_len;
	s->st.segmented++;
	s->st.dropped++;
	if (sdnfv_pkt_parse_mbuf(m, &info) < 0 || !(info.flags & SDNFV_PKT_F_L3)) {
		s->st.malformed++;
	} else if (sdnfv_pkt_key_build(rte_pktmbuf_mtod(m, const uint8_t *), &info, &key) == 0) {
		sdnfv_pkt_key_symmetric(&key);
		count_flow(s, &key, m->pkt_len);
	}
	sdnfv_nf_drop(m);
}

static void
handle(struct sdnfv_nf *nf, struct rte_mbuf **pkts, unsigned int n, void *arg)
{
	struct scrubber *s = arg;
	unsigned int i;

	(void)nf;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int len;

		if (m->nb_segs > 1) {
			drop_segmented(s, m);
			continue;
		}
		len = scrubber_packet(s, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m));
		if (len < 0) {
			sdnfv_nf_drop(m);
		} else if ((uint32_t)len < rte_pktmbuf_data_len(m)) {
			rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
		}
	}
}

static void
teardown(struct sdnfv_nf *nf, void *arg)
{
	struct scrubber *s = arg;
	char line[128];
	int n;

	n = snprintf(line, sizeof(line), "%s: rx %" PRIu64 " dropped %" PRIu64 " cleaned %" PRIu64,
		     s->name, s->st.rx, s->st.dropped, s->st.cleaned);
	if (n > 0)
		sdnfv_nf_report(nf, line, (size_t)RTE_MIN(n, 127));
}

static void
idle(struct sdnfv_nf *nf, uint64_t now_ns, void *arg)
{
	struct scrubber *s = arg;

	if (now_ns - s->report_ns < 200000000ull || s->report_rx == s->st.rx + 1)
		return;
	s->report_ns = now_ns;
	s->report_rx = s->st.rx + 1;
	teardown(nf, arg);
}

const struct sdnfv_nf_ops scrubber_nf_ops = {
	.sz = sizeof(struct sdnfv_nf_ops),
	.handle = handle,
	.idle = idle,
	.teardown = teardown,
};
