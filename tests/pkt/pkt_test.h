/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers of the pkt tests: a frame builder, a reference checksum, capture reading. */
#ifndef SDNFV_TEST_PKT_H
#define SDNFV_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include <sdnfv/pkt.h>

#include "pkt_invariants.h"

/* Criterion with --full-stats sends every assertion, passed ones too, to its runner process:
 * checks inside loops over thousands of packets test first and assert only on a failure. */
#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		if (!(cond))                                                     \
			cr_assert_fail("check failed: " #cond ": " __VA_ARGS__); \
	} while (0)

/* ---- frame builder ------------------------------------------------------------------------
 * Headers are appended in wire order; frame_finish() fills in the lengths (IPv4 total length,
 * IPv6 payload length, UDP length) and, with the reference implementation below, the IPv4
 * header checksum and the L4 checksum. */
struct frame {
	uint8_t d[70000];
	uint32_t len;
	uint32_t et_at;      /* where the EtherType to fill in by the next header is */
	uint32_t l3, l4;     /* offsets of the IP and L4 headers; 0 when none */
	uint32_t nh_at;      /* where the next-header/protocol byte to fill in is */
	int ipv;             /* 4 or 6 */
	uint8_t proto;       /* L4 protocol */
	uint32_t pseudo_dst; /* for IPv6: the address the pseudo-header uses (final destination) */
};

void frame_init(struct frame *f); /* Ethernet header, EtherType to fill */
void frame_vlan(struct frame *f, uint16_t tpid, uint16_t tci);
void frame_ethertype(struct frame *f, uint16_t et);           /* a non-IP EtherType, ends L2 */
void frame_ipv4(struct frame *f, uint32_t src, uint32_t dst); /* host order addresses */
void frame_ipv4_opts(struct frame *f, uint32_t src, uint32_t dst, unsigned int opt_len);
void frame_ipv6(struct frame *f, const char *src, const char *dst);
/* An IPv6 extension header of type `type` and `len` bytes (multiple of 8, or of 4 for AH). */
void frame_ext(struct frame *f, uint8_t type, unsigned int len);
void frame_frag6(struct frame *f, uint16_t offset, bool more);
void frame_tcp(struct frame *f, uint16_t sport, uint16_t dport);
void frame_udp(struct frame *f, uint16_t sport, uint16_t dport);
void frame_sctp(struct frame *f, uint16_t sport, uint16_t dport);
void frame_icmp(struct frame *f, uint8_t type, uint8_t code, uint16_t id); /* ICMP or ICMPv6 */
void frame_proto(struct frame *f, uint8_t proto, unsigned int len);        /* any other protocol */
void frame_payload(struct frame *f, unsigned int n); /* n pseudo-random bytes */
void frame_finish(struct frame *f);

/* ---- reference checksum: RFC 1071 byte by byte, big-endian words, host order result ------- */
uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t ref_fold(uint32_t sum);
uint16_t ref_cksum(const uint8_t *p, size_t len);
/* Reference L4 checksum of a built frame (pseudo-header per its IP version), field as zero. */
uint16_t ref_l4_cksum(const uint8_t *frame, uint32_t l3, int ipv, uint32_t pseudo_dst, uint32_t l4,
		      uint32_t l4_len, uint8_t proto);

/* ---- captures ------------------------------------------------------------------------------ */
typedef void (*capture_cb)(const uint8_t *data, uint32_t len, uint32_t frame_no, void *arg);

/* Calls `cb` for each packet (its captured bytes). Returns the number of packets, or -1 with a
 * reason in `why` when the file cannot be read or is not Ethernet. */
long capture_each(const char *path, capture_cb cb, void *arg, char *why, size_t why_len);

/* Path of a capture in the shared directory ($SDNFV_SHARED_PCAPS). */
const char *shared_capture(const char *name, char *buf, size_t len);
/* Path of tests/pkt/data/kernel.pcap. */
const char *kernel_capture(char *buf, size_t len);

/* Every capture the tests use: shared ones, the kernel one, the Debian-packaged ones. */
struct capture_set {
	char paths[64][512];
	unsigned int n;
	char missing[2048]; /* what was not found, for the skip message */
};
void capture_set_collect(struct capture_set *set, bool shared, bool kernel, bool debian);

#endif
