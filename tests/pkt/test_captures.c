/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parser on real captures: every prefix of every packet (ASan watches for overreads), a
 * differential test against tshark, checksums as tshark judges them, symmetric keys of real
 * connections, and what the kernel capture (tests/pkt/data/make-kernel-capture.sh) must show.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <rte_mbuf.h>

#include <sdnfv/pkt.h>

#include "pkt_test.h"
#include "rng.h"

/* ---- capture sets ------------------------------------------------------------------------ */

/* Collects a set, skipping the test (never passing silently) when a needed part is missing. */
static void
need_set(struct capture_set *set, bool shared, bool kernel, bool debian)
{
	capture_set_collect(set, shared, kernel, debian);
	if (set->missing[0] != '\0')
		cr_skip_test("missing captures: %s", set->missing);
	cr_assert(set->n > 0);
}

/* ---- every prefix -------------------------------------------------------------------------- */

struct prefix_stats {
	long packets, prefixes, splits;
	long err_count[SDNFV_PKT_ERR__COUNT];
	const char *file;
};

static void
check_mbuf_split(const uint8_t *data, uint32_t len, uint32_t split,
		 const struct sdnfv_pkt_info *whole, uint32_t frame_no, struct prefix_stats *st)
{
	struct sdnfv_pkt_info in;
	const char *why = pkt_chain_mismatch(data, len, split, whole, &in, NULL);

	st->splits++;
	CHECK(why == NULL, "%s #%u split %u: %s (%s)", st->file, frame_no, split, why,
	      sdnfv_pkt_strerror(in.err));
}

static void
prefix_cb(const uint8_t *data, uint32_t len, uint32_t frame_no, void *arg)
{
	struct prefix_stats *st = arg;
	struct sdnfv_pkt_info whole, in;
	const char *why;
	int rc;

	rc = sdnfv_pkt_parse(data, len, &whole);
	why = pkt_info_incoherent(&whole, len, rc);
	CHECK(why == NULL, "%s #%u: %s", st->file, frame_no, why);
	st->packets++;
	st->err_count[whole.err]++;
	for (uint32_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, data, n);
		rc = sdnfv_pkt_parse(copy, n, &in);
		free(copy);
		st->prefixes++;
		why = pkt_info_incoherent(&in, n, rc);
		CHECK(why == NULL, "%s #%u prefix %u: %s", st->file, frame_no, n, why);
		CHECK(rc == 0 || in.err != SDNFV_PKT_ERR_SEGMENTED, "%s #%u prefix %u", st->file,
		      frame_no, n);
		/* Cutting only padding changes nothing but the padding flag. */
		if ((whole.flags & SDNFV_PKT_F_L3) && n >= whole.l3_end) {
			struct sdnfv_pkt_info w = whole;

			if (n == whole.l3_end)
				w.flags &= ~SDNFV_PKT_F_PADDED;
			CHECK(memcmp(&in, &w, sizeof(in)) == 0, "%s #%u prefix %u", st->file,
			      frame_no, n);
		}
	}
	/* Chains: every split of small frames, a spread of splits in large ones. */
	for (uint32_t s = 0; s <= len; s += len <= 128 ? 1 : 1 + len / 24)
		check_mbuf_split(data, len, s, &whole, frame_no, st);
}

static void
run_prefix_test(const struct capture_set *set)
{
	long total = 0;

	for (unsigned int i = 0; i < set->n; i++) {
		struct prefix_stats st = { .file = set->paths[i] };
		char why[1024], errs[1024] = "";
		long n = capture_each(set->paths[i], prefix_cb, &st, why, sizeof(why));

		if (n < 0) {
			cr_log_info("skipped %s", why);
			continue;
		}
		for (int e = 1; e < SDNFV_PKT_ERR__COUNT; e++)
			if (st.err_count[e])
				snprintf(errs + strlen(errs), sizeof(errs) - strlen(errs),
					 ", %ld %s", st.err_count[e], sdnfv_pkt_strerror(e));
		cr_log_info("%s: %ld packets (%ld parsed whole%s), %ld prefixes, %ld chains",
			    set->paths[i], st.packets, st.err_count[0], errs, st.prefixes,
			    st.splits);
		total += st.packets;
	}
	cr_assert(total > 0, "no packet read");
}

Test(pkt, parses_every_prefix_and_chain_split_of_every_shared_capture_packet_within_bounds,
     .timeout = 300)
{
	struct capture_set set;

	need_set(&set, true, false, false);
	run_prefix_test(&set);
}

Test(pkt, parses_every_prefix_and_chain_split_of_every_kernel_capture_packet_within_bounds)
{
	struct capture_set set;

	need_set(&set, false, true, false);
	run_prefix_test(&set);
}

Test(pkt, parses_every_prefix_and_chain_split_of_every_debian_capture_packet_within_bounds)
{
	struct capture_set set;

	need_set(&set, false, false, true);
	run_prefix_test(&set);
}

/* ---- tshark as the oracle ------------------------------------------------------------------ */

enum {
	T_NUM,
	T_IPSRC,
	T_IPDST,
	T_IP6SRC,
	T_IP6DST,
	T_IPPROTO,
	T_IP6NXT,
	T_TCPSP,
	T_TCPDP,
	T_UDPSP,
	T_UDPDP,
	T_VLAN,
	T_HOPNXT,
	T_RTNXT,
	T_FRAGNXT,
	T_DSTNXT,
	T_IPCK,
	T_TCPCK,
	T_UDPCK,
	T_ICMPCK,
	T_ICMP6CK,
	T_NFIELDS
};

static const char *const tshark_fields[T_NFIELDS] = {
	"frame.number",
	"ip.src",
	"ip.dst",
	"ipv6.src",
	"ipv6.dst",
	"ip.proto",
	"ipv6.nxt",
	"tcp.srcport",
	"tcp.dstport",
	"udp.srcport",
	"udp.dstport",
	"vlan.id",
	"ipv6.hopopts.nxt",
	"ipv6.routing.nxt",
	"ipv6.fraghdr.nxt",
	"ipv6.dstopts.nxt",
	"ip.checksum.status",
	"tcp.checksum.status",
	"udp.checksum.status",
	"icmp.checksum.status",
	"icmpv6.checksum.status",
};

struct ts_row {
	char f[T_NFIELDS][48];
};

struct ts_table {
	struct ts_row *rows; /* index: frame number */
	uint32_t n;
};

static bool
have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void
tshark_read(const char *path, struct ts_table *t)
{
	char cmd[4096], line[4096];
	size_t l;
	FILE *p;

	l = snprintf(cmd, sizeof(cmd),
		     "tshark -n -r '%s' -o ip.defragment:FALSE -o ipv6.defragment:FALSE "
		     "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
		     "-o udp.check_checksum:TRUE -T fields -E occurrence=f -E separator=/t",
		     path);
	for (int i = 0; i < T_NFIELDS; i++)
		l += snprintf(cmd + l, sizeof(cmd) - l, " -e %s", tshark_fields[i]);
	snprintf(cmd + l, sizeof(cmd) - l, " 2>/dev/null");
	t->n = 0;
	t->rows = NULL;
	p = popen(cmd, "r");
	cr_assert(p != NULL, "cannot run tshark");
	while (fgets(line, sizeof(line), p) != NULL) {
		struct ts_row row;
		char *s = line, *tok;
		unsigned long num;

		line[strcspn(line, "\n")] = '\0';
		memset(&row, 0, sizeof(row));
		for (int i = 0; i < T_NFIELDS && (tok = strsep(&s, "\t")) != NULL; i++)
			snprintf(row.f[i], sizeof(row.f[i]), "%s", tok);
		num = strtoul(row.f[T_NUM], NULL, 10);
		if (num == 0)
			continue;
		if (num >= t->n) {
			/* Geometric growth: a realloc per row copies quadratically under ASan. */
			uint32_t n = num + 1 > 2 * t->n ? num + 1 : 2 * t->n;

			t->rows = realloc(t->rows, n * sizeof(*t->rows));
			memset(t->rows + t->n, 0, (n - t->n) * sizeof(*t->rows));
			t->n = n;
		}
		t->rows[num] = row;
	}
	pclose(p);
}

struct diff_stats {
	const char *file;
	const struct ts_table *t;
	long frames, ip_agree, ports_agree, vlan_agree, non_ip_agree, other_et, our_error,
		not_in_tshark, disagree;
	char first_disagreements[2048];
	/* checksums: tshark good/bad vs ours */
	long ck_agree, ck_disagree, ck_unverified;
};

static void
disagree(struct diff_stats *st, uint32_t frame_no, const char *what, const char *theirs,
	 const char *ours)
{
	size_t l = strlen(st->first_disagreements);

	st->disagree++;
	if (st->disagree <= 10)
		snprintf(st->first_disagreements + l, sizeof(st->first_disagreements) - l,
			 "\n  %s frame %u %s: tshark '%s', ours '%s'", st->file, frame_no, what,
			 theirs, ours);
}

static bool
same_addr(int af, const char *text, const void *ours)
{
	uint8_t a[16];

	return inet_pton(af, text, a) == 1 && memcmp(a, ours, af == AF_INET ? 4 : 16) == 0;
}

static void
compare_checksums(const uint8_t *data, const struct sdnfv_pkt_info *in, const struct ts_row *r,
		  uint32_t frame_no, struct diff_stats *st)
{
	const char *status = NULL;
	int rc = sdnfv_pkt_cksum_verify(data, in);
	char ours[16];

	if (in->l3 == SDNFV_PKT_L3_IPV4 && r->f[T_IPCK][0] != '\0' && r->f[T_IPCK][0] != '2') {
		/* tshark's IP status alone: only judge ours when tshark checked L4 too or the
		 * header is bad (then ours must fail whatever L4 is). */
		if (r->f[T_IPCK][0] == '0' && rc != -EBADMSG) {
			snprintf(ours, sizeof(ours), "%d", rc);
			disagree(st, frame_no, "IPv4 header checksum bad", "0", ours);
			return;
		}
	}
	if (!(in->flags & SDNFV_PKT_F_L4) || (in->flags & SDNFV_PKT_F_FRAG)) {
		st->ck_unverified++;
		return;
	}
	switch (in->l4_proto) {
	case 6:
		status = r->f[T_TCPCK];
		break;
	case 17:
		status = r->f[T_UDPCK];
		break;
	case 1:
		status = r->f[T_ICMPCK];
		break;
	case 58:
		status = r->f[T_ICMP6CK];
		break;
	}
	if (status == NULL || (status[0] != '0' && status[0] != '1') ||
	    (in->l3 == SDNFV_PKT_L3_IPV4 && r->f[T_IPCK][0] == '0')) {
		st->ck_unverified++;
		return;
	}
	if ((status[0] == '1') == (rc == 0)) {
		st->ck_agree++;
		if (rc == 0 && in->l4_proto != 17) {
			rte_be16_t c, stored;
			unsigned int at = in->l4_proto == 6 ? 16 : 2;

			CHECK(sdnfv_pkt_l4_cksum(data, in, &c) == 0, "%s frame %u", st->file,
			      frame_no);
			memcpy(&stored, data + in->l4_off + at, 2);
			CHECK(c == stored, "%s frame %u: computed 0x%04x, stored 0x%04x", st->file,
			      frame_no, ntohs(c), ntohs(stored));
		}
	} else {
		st->ck_disagree++;
		snprintf(ours, sizeof(ours), "%d", rc);
		disagree(st, frame_no, "L4 checksum status", status, ours);
	}
}

static void
diff_cb(const uint8_t *data, uint32_t len, uint32_t frame_no, void *arg)
{
	struct diff_stats *st = arg;
	const struct ts_row *r;
	struct sdnfv_pkt_info in;
	const uint8_t *ip;
	char ours[64];
	bool t_ip;

	st->frames++;
	if (frame_no >= st->t->n || st->t->rows[frame_no].f[T_NUM][0] == '\0') {
		st->not_in_tshark++;
		return;
	}
	r = &st->t->rows[frame_no];
	sdnfv_pkt_parse(data, len, &in);
	t_ip = r->f[T_IPSRC][0] != '\0' || r->f[T_IP6SRC][0] != '\0';

	if (in.n_vlan > 0 && (in.flags & SDNFV_PKT_F_L3 || in.l3 == SDNFV_PKT_L3_OTHER)) {
		snprintf(ours, sizeof(ours), "%u", in.vlan_tci[0] & 0xfff);
		if (strcmp(r->f[T_VLAN], ours) != 0)
			disagree(st, frame_no, "vlan.id", r->f[T_VLAN], ours);
		else
			st->vlan_agree++;
	} else if (in.n_vlan == 0 && r->f[T_VLAN][0] != '\0' && (in.flags & SDNFV_PKT_F_L3) &&
		   (in.l4_proto == 6 || in.l4_proto == 1 || in.l4_proto == 58)) {
		/* A tag tshark found in a tunnel (MPLS pseudowire, GRE, VXLAN) is not ours to
		 * see; behind TCP or ICMP there is no tunnel. */
		disagree(st, frame_no, "vlan.id", r->f[T_VLAN], "no tag");
	}

	if (!(in.flags & SDNFV_PKT_F_L3)) {
		if (in.l3 == SDNFV_PKT_L3_OTHER) {
			if (t_ip)
				st->other_et++; /* MPLS, PPPoE...: IP we do not walk to */
			else
				st->non_ip_agree++;
		} else {
			st->our_error++; /* truncated or malformed: tshark decodes what it can */
		}
		return;
	}
	if (!t_ip) {
		disagree(st, frame_no, "IP header", "none", in.l3 == 4 ? "IPv4" : "IPv6");
		return;
	}
	ip = data + in.l3_off;
	if (in.l3 == SDNFV_PKT_L3_IPV4) {
		bool ok = same_addr(AF_INET, r->f[T_IPSRC], ip + 12) &&
			  same_addr(AF_INET, r->f[T_IPDST], ip + 16);

		inet_ntop(AF_INET, ip + 12, ours, sizeof(ours));
		if (!ok) {
			disagree(st, frame_no, "ip.src/dst", r->f[T_IPSRC], ours);
			return;
		}
		snprintf(ours, sizeof(ours), "%u", in.l4_proto);
		if (strcmp(r->f[T_IPPROTO], ours) != 0) {
			disagree(st, frame_no, "ip.proto", r->f[T_IPPROTO], ours);
			return;
		}
	} else {
		bool ok = same_addr(AF_INET6, r->f[T_IP6SRC], ip + 8) &&
			  same_addr(AF_INET6, r->f[T_IP6DST], ip + 24);

		inet_ntop(AF_INET6, ip + 8, ours, sizeof(ours));
		if (!ok) {
			disagree(st, frame_no, "ipv6.src/dst", r->f[T_IP6SRC], ours);
			return;
		}
		snprintf(ours, sizeof(ours), "%u", in.l4_proto);
		if (!(in.flags & SDNFV_PKT_F_IPV6_EXT)) {
			if (strcmp(r->f[T_IP6NXT], ours) != 0) {
				disagree(st, frame_no, "ipv6.nxt", r->f[T_IP6NXT], ours);
				return;
			}
		} else if (strcmp(r->f[T_HOPNXT], ours) != 0 && strcmp(r->f[T_RTNXT], ours) != 0 &&
			   strcmp(r->f[T_FRAGNXT], ours) != 0 &&
			   strcmp(r->f[T_DSTNXT], ours) != 0) {
			/* The separate fields lose the chain's order: ours must be one of them. */
			disagree(st, frame_no, "extension header nxt", r->f[T_HOPNXT], ours);
			return;
		}
	}
	st->ip_agree++;
	if ((in.flags & SDNFV_PKT_F_L4) && (in.l4_proto == 6 || in.l4_proto == 17)) {
		const char *tsp = r->f[in.l4_proto == 6 ? T_TCPSP : T_UDPSP];
		const char *tdp = r->f[in.l4_proto == 6 ? T_TCPDP : T_UDPDP];
		char theirs[64];

		snprintf(ours, sizeof(ours), "%u/%u", ntohs(in.sport), ntohs(in.dport));
		snprintf(theirs, sizeof(theirs), "%s/%s", tsp, tdp);
		if (strcmp(ours, theirs) != 0)
			disagree(st, frame_no, in.l4_proto == 6 ? "tcp ports" : "udp ports", theirs,
				 ours);
		else
			st->ports_agree++;
	}
	compare_checksums(data, &in, r, frame_no, st);
}

static void
run_tshark_diff(const struct capture_set *set)
{
	long frames = 0, agree = 0, disagreements = 0, ck_agree = 0;
	char all[8192] = "";

	if (!have_tshark())
		cr_skip_test("tshark is not installed (Debian package tshark)");
	for (unsigned int i = 0; i < set->n; i++) {
		struct ts_table t;
		struct diff_stats st = { .file = set->paths[i], .t = &t };
		char why[1024];
		long n;

		tshark_read(set->paths[i], &t);
		n = capture_each(set->paths[i], diff_cb, &st, why, sizeof(why));
		free(t.rows);
		if (n < 0) {
			cr_log_info("skipped %s", why);
			continue;
		}
		cr_log_info("%s: %ld frames; agree on IP %ld, ports %ld, VLAN %ld, non-IP %ld; "
			    "checksums agree %ld (unverified %ld); not compared: %ld another "
			    "EtherType, %ld our parse error, %ld not decoded by tshark; "
			    "disagreements %ld",
			    set->paths[i], st.frames, st.ip_agree, st.ports_agree, st.vlan_agree,
			    st.non_ip_agree, st.ck_agree, st.ck_unverified, st.other_et,
			    st.our_error, st.not_in_tshark, st.disagree);
		frames += st.frames;
		agree += st.ip_agree + st.non_ip_agree;
		ck_agree += st.ck_agree;
		disagreements += st.disagree;
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s",
			 st.first_disagreements);
	}
	cr_log_info("tshark differential: %ld frames, %ld agreements, %ld checksum agreements, "
		    "%ld disagreements",
		    frames, agree, ck_agree, disagreements);
	cr_assert_eq(disagreements, 0, "disagreements with tshark:%s", all);
	cr_assert(agree > 0);
}

Test(pkt, agrees_with_tshark_on_every_shared_capture, .timeout = 300)
{
	struct capture_set set;

	need_set(&set, true, false, false);
	run_tshark_diff(&set);
}

Test(pkt, agrees_with_tshark_on_the_kernel_capture)
{
	struct capture_set set;

	need_set(&set, false, true, false);
	run_tshark_diff(&set);
}

Test(pkt, agrees_with_tshark_on_every_debian_capture)
{
	struct capture_set set;

	need_set(&set, false, false, true);
	run_tshark_diff(&set);
}

/* ---- keys of real traffic ------------------------------------------------------------------ */

struct key_stats {
	struct sdnfv_pkt_key *keys;
	long n, cap;
	long ipv4_keys;
};

static void
key_cb(const uint8_t *data, uint32_t len, uint32_t frame_no, void *arg)
{
	static const uint8_t zero12[12];
	struct key_stats *st = arg;
	struct sdnfv_pkt_info in;
	struct sdnfv_pkt_key k;

	sdnfv_pkt_parse(data, len, &in);
	if (sdnfv_pkt_key_build(data, &in, &k) != 0)
		return;
	CHECK(k.pad == 0, "frame %u", frame_no);
	if (k.family == SDNFV_PKT_L3_IPV4) {
		CHECK(memcmp(k.src.v6 + 4, zero12, 12) == 0, "frame %u", frame_no);
		CHECK(memcmp(k.dst.v6 + 4, zero12, 12) == 0, "frame %u", frame_no);
		st->ipv4_keys++;
	}
	if (!(in.flags & SDNFV_PKT_F_L4) || (k.proto != 6 && k.proto != 17))
		return;
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 1024;
		st->keys = realloc(st->keys, st->cap * sizeof(*st->keys));
	}
	st->keys[st->n++] = k;
}

static int
key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sdnfv_pkt_key));
}

Test(pkt, gives_both_directions_of_every_captured_connection_one_symmetric_key)
{
	struct capture_set set;
	long both_ways = 0, ipv4_keys = 0;

	need_set(&set, true, true, true);
	for (unsigned int i = 0; i < set.n; i++) {
		struct key_stats st = { 0 };
		char why[1024];
		long u = 0;

		if (capture_each(set.paths[i], key_cb, &st, why, sizeof(why)) < 0)
			continue;
		ipv4_keys += st.ipv4_keys;
		if (st.n == 0)
			continue;
		qsort(st.keys, st.n, sizeof(*st.keys), key_cmp);
		for (long j = 0; j < st.n; j++) /* unique */
			if (u == 0 || key_cmp(&st.keys[u - 1], &st.keys[j]) != 0)
				st.keys[u++] = st.keys[j];
		for (long j = 0; j < u; j++) {
			struct sdnfv_pkt_key k = st.keys[j], r = k, *found;
			int sk, sr;

			r.src = k.dst;
			r.dst = k.src;
			r.sport = k.dport;
			r.dport = k.sport;
			found = bsearch(&r, st.keys, u, sizeof(r), key_cmp);
			if (found == NULL || found == &st.keys[j])
				continue;
			r = *found; /* the other direction's own key, as captured */
			sk = sdnfv_pkt_key_symmetric(&k);
			sr = sdnfv_pkt_key_symmetric(&r);
			CHECK(memcmp(&k, &r, sizeof(k)) == 0, "%s", set.paths[i]);
			CHECK(sk + sr == 1, "exactly one direction is swapped");
			both_ways++;
		}
		free(st.keys);
	}
	cr_log_info("%ld connection directions seen both ways, %ld IPv4 keys checked for zeros",
		    both_ways, ipv4_keys);
	cr_assert(both_ways > 0);
	cr_assert(ipv4_keys > 0);
}

/* ---- rewrites of real packets -------------------------------------------------------------- */

static struct rng rw_rng = { 88172645463325252ull };

static uint32_t
rw_rnd(void)
{
	return (uint32_t)(rng_next(&rw_rng) >> 11);
}

struct rewrite_stats {
	long rewritten;
};

static void
rewrite_cb(const uint8_t *data, uint32_t len, uint32_t frame_no, void *arg)
{
	struct rewrite_stats *st = arg;
	struct sdnfv_pkt_info in;
	rte_be16_t c, stored;
	uint8_t *copy;

	if (sdnfv_pkt_parse(data, len, &in) != 0 || sdnfv_pkt_cksum_verify(data, &in) != 0 ||
	    sdnfv_pkt_l4_cksum(data, &in, &c) != 0)
		return;
	copy = malloc(len);
	memcpy(copy, data, len);
	for (int step = 0; step < 4; step++) {
		union sdnfv_pkt_addr a;
		enum sdnfv_pkt_dir dir = rw_rnd() % 2 ? SDNFV_PKT_SRC : SDNFV_PKT_DST;

		for (int k = 0; k < 4; k++)
			a.v6[k] = rw_rnd();
		if (in.l3 == SDNFV_PKT_L3_IPV4)
			memset(a.v6 + 4, 0, 12);
		else
			for (int k = 4; k < 16; k++)
				a.v6[k] = rw_rnd();
		if (step % 2)
			CHECK(sdnfv_pkt_set_addr(copy, &in, dir, &a) == 0, "frame %u", frame_no);
		else if (sdnfv_pkt_set_port(copy, &in, dir, (rte_be16_t)rw_rnd()) != 0)
			continue; /* an ICMP error: no identifier */
		CHECK(sdnfv_pkt_cksum_verify(copy, &in) == 0, "frame %u step %d", frame_no, step);
		CHECK(sdnfv_pkt_l4_cksum(copy, &in, &c) == 0, "frame %u", frame_no);
		memcpy(&stored,
		       copy + in.l4_off +
			       (in.l4_proto == 6    ? 16
				: in.l4_proto == 17 ? 6
						    : 2),
		       2);
		if (stored != 0) /* UDP without checksum stays without */
			CHECK(c == stored, "frame %u step %d: incremental 0x%04x, full 0x%04x",
			      frame_no, step, ntohs(stored), ntohs(c));
	}
	st->rewritten++;
	free(copy);
}

Test(pkt, rewrites_captured_packets_with_checksums_equal_to_a_recomputation)
{
	struct capture_set set;
	struct rewrite_stats st = { 0 };

	need_set(&set, true, true, true);
	for (unsigned int i = 0; i < set.n; i++) {
		char why[1024];

		capture_each(set.paths[i], rewrite_cb, &st, why, sizeof(why));
	}
	cr_log_info("%ld captured packets rewritten", st.rewritten);
	cr_assert(st.rewritten > 100);
}

/* ---- what the kernel capture must show ----------------------------------------------------- */

struct kernel_stats {
	long mld, frag6_first, frag6_later, srh, dstopts, rr, frag4_first, frag4_later, verified,
		ip;
};

static void
kernel_cb(const uint8_t *d, uint32_t len, uint32_t frame_no, void *arg)
{
	struct kernel_stats *st = arg;
	struct sdnfv_pkt_info in;
	int rc = sdnfv_pkt_parse(d, len, &in);

	if (in.l3 == SDNFV_PKT_L3_IPV4 || in.l3 == SDNFV_PKT_L3_IPV6) {
		/* Offloads were off during the capture: every checksum is real. */
		cr_assert_eq(rc, 0, "frame %u: %s", frame_no, sdnfv_pkt_strerror(in.err));
		cr_assert_eq(sdnfv_pkt_cksum_verify(d, &in), 0, "frame %u", frame_no);
		st->ip++;
		st->verified++;
	}
	if (in.l3 == SDNFV_PKT_L3_IPV6) {
		uint8_t nh = d[in.l3_off + 6];

		if (nh == 0) { /* MLDv2 report behind hop-by-hop with router alert */
			cr_assert_eq(in.flags,
				     SDNFV_PKT_F_L3 | SDNFV_PKT_F_L4 | SDNFV_PKT_F_IPV6_EXT,
				     "frame %u", frame_no);
			cr_assert_eq(in.l4_proto, 58);
			cr_assert_eq(ntohs(in.sport), 143, "frame %u: MLDv2 report type", frame_no);
			cr_assert_eq(in.l4_off, in.l3_off + 48);
			st->mld++;
		} else if (nh == 44) {
			uint16_t fo = (uint16_t)(d[in.l3_off + 42] << 8 | d[in.l3_off + 43]);

			cr_assert(in.flags & SDNFV_PKT_F_FRAG, "frame %u", frame_no);
			cr_assert_eq(in.l4_proto, 58);
			if (fo & 0xfff8) {
				cr_assert(in.flags & SDNFV_PKT_F_FRAG_LATER);
				cr_assert_not(in.flags & SDNFV_PKT_F_L4);
				st->frag6_later++;
			} else {
				cr_assert(in.flags & SDNFV_PKT_F_L4);
				st->frag6_first++;
			}
		} else if (nh == 43) {
			cr_assert_eq(d[in.l3_off + 40 + 2], 4, "frame %u: SRH", frame_no);
			cr_assert(in.flags & SDNFV_PKT_F_L4);
			cr_assert(in.l4_proto == 6 || in.l4_proto == 17 || in.l4_proto == 58);
			st->srh++;
		} else if (nh == 60) {
			cr_assert_eq(in.l4_proto, 17);
			cr_assert(in.flags & SDNFV_PKT_F_L4);
			st->dstopts++;
		}
	} else if (in.l3 == SDNFV_PKT_L3_IPV4) {
		uint16_t fo = (uint16_t)(d[in.l3_off + 6] << 8 | d[in.l3_off + 7]);

		if ((d[in.l3_off] & 0xf) > 5) {
			cr_assert(in.flags & SDNFV_PKT_F_IPV4_OPT);
			cr_assert_eq(in.l4_proto, 1);
			cr_assert_eq(in.sport, in.dport, "frame %u: echo identifier", frame_no);
			st->rr++;
		}
		if (fo & 0x1fff) {
			cr_assert_eq(in.flags & (SDNFV_PKT_F_FRAG | SDNFV_PKT_F_FRAG_LATER |
						 SDNFV_PKT_F_L4),
				     SDNFV_PKT_F_FRAG | SDNFV_PKT_F_FRAG_LATER);
			st->frag4_later++;
		} else if (fo & 0x2000) {
			cr_assert(in.flags & SDNFV_PKT_F_L4);
			st->frag4_first++;
		}
	}
}

Test(pkt, finds_in_the_kernel_capture_every_header_it_was_made_for)
{
	struct capture_set set;
	struct kernel_stats st = { 0 };
	char why[1024];

	need_set(&set, false, true, false);
	cr_assert(capture_each(set.paths[0], kernel_cb, &st, why, sizeof(why)) > 0, "%s", why);
	cr_log_info("kernel capture: %ld IP packets (all checksums verified), %ld MLDv2 reports, "
		    "IPv6 fragments %ld first %ld later, %ld SRv6, %ld destination options, "
		    "%ld IPv4 record route, IPv4 fragments %ld first %ld later",
		    st.ip, st.mld, st.frag6_first, st.frag6_later, st.srh, st.dstopts, st.rr,
		    st.frag4_first, st.frag4_later);
	cr_assert(st.mld > 0, "no MLDv2 report (hop-by-hop header)");
	cr_assert(st.frag6_first > 0 && st.frag6_later > 0, "no IPv6 fragments");
	cr_assert(st.srh > 0, "no SRv6 routing header");
	cr_assert(st.dstopts > 0, "no destination options header");
	cr_assert(st.rr > 0, "no IPv4 options");
	cr_assert(st.frag4_first > 0 && st.frag4_later > 0, "no IPv4 fragments");
}
