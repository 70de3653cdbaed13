/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame builders and an independent checksum oracle for the NAT tests (no libsdnfv code). */
#ifndef NAT_TEST_FRAMES_H
#define NAT_TEST_FRAMES_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define F_ETH 14

static inline uint32_t
ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* RFC 1071 sum of 16-bit big-endian words, not folded. */
static inline uint32_t
oracle_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t
oracle_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The L4 pseudo-header sum of an IPv4 header. */
static inline uint32_t
oracle_pseudo(const uint8_t *ip, uint8_t proto, uint16_t l4_len)
{
	uint32_t sum = oracle_sum(ip + 12, 8, 0);

	return sum + proto + l4_len;
}

/* Fill in the IPv4 header checksum and the L4 checksum of a frame built by the helpers below
 * (fixed 20-byte header). udp_zero: leave a UDP checksum of 0. */
static inline void
frame_fix(uint8_t *f, bool udp_zero)
{
	uint8_t *ip = f + F_ETH, *l4 = ip + 20;
	uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]), l4_len = (uint16_t)(tot - 20), c;
	unsigned int off = ip[9] == 6 ? 16 : ip[9] == 17 ? 6 : 2;

	ip[10] = ip[11] = 0;
	c = (uint16_t)~oracle_fold(oracle_sum(ip, 20, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	l4[off] = l4[off + 1] = 0;
	if (ip[9] == 17 && udp_zero)
		return;
	if (ip[9] == 1)
		c = (uint16_t)~oracle_fold(oracle_sum(l4, l4_len, 0));
	else
		c = (uint16_t)~oracle_fold(
			oracle_sum(l4, l4_len, oracle_pseudo(ip, ip[9], l4_len)));
	if (ip[9] == 17 && c == 0)
		c = 0xffff;
	l4[off] = (uint8_t)(c >> 8);
	l4[off + 1] = (uint8_t)c;
}

/* true when the IPv4 header checksum and the L4 checksum of the frame are right. */
static inline bool
frame_cksum_ok(const uint8_t *f)
{
	const uint8_t *ip = f + F_ETH;
	unsigned int ihl = (ip[0] & 15u) * 4;
	uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]), l4_len = (uint16_t)(tot - ihl);
	const uint8_t *l4 = ip + ihl;

	if (oracle_fold(oracle_sum(ip, ihl, 0)) != 0xffff)
		return false;
	if (ip[9] == 17 && l4[6] == 0 && l4[7] == 0)
		return true;
	if (ip[9] == 1)
		return oracle_fold(oracle_sum(l4, l4_len, 0)) == 0xffff;
	return oracle_fold(oracle_sum(l4, l4_len, oracle_pseudo(ip, ip[9], l4_len))) == 0xffff;
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32n(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Ethernet + IPv4 header with l4_len bytes of L4 to follow; returns the frame length. */
static inline unsigned int
frame_ip(uint8_t *f, uint8_t proto, const char *src, const char *dst, unsigned int l4_len)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t *ip = f + F_ETH;
	uint32_t s = ip4(src), d = ip4(dst);

	memset(f, 0, F_ETH + 20 + l4_len);
	memcpy(f, macs, 12);
	f[12] = 0x08;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	return F_ETH + 20 + l4_len;
}

/* A UDP frame with a small payload. */
static inline unsigned int
frame_udp(uint8_t *f, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	unsigned int len = frame_ip(f, 17, src, dst, 8 + 12);
	uint8_t *l4 = f + F_ETH + 20;

	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, 8 + 12);
	memcpy(l4 + 8, "hello, nat!", 12);
	frame_fix(f, false);
	return len;
}

/* A TCP frame (20-byte header, 4 bytes of payload) with the given flags. */
static inline unsigned int
frame_tcp(uint8_t *f, const char *src, uint16_t sport, const char *dst, uint16_t dport,
	  uint8_t flags)
{
	unsigned int len = frame_ip(f, 6, src, dst, 20 + 4);
	uint8_t *l4 = f + F_ETH + 20;

	put16(l4, sport);
	put16(l4 + 2, dport);
	l4[4] = 0x11; /* sequence number */
	l4[12] = 5 << 4;
	l4[13] = flags;
	put16(l4 + 14, 65535);
	memcpy(l4 + 20, "data", 4);
	frame_fix(f, false);
	return len;
}

/* An ICMP echo request (type 8) or reply (type 0). */
static inline unsigned int
frame_echo(uint8_t *f, uint8_t type, const char *src, const char *dst, uint16_t id)
{
	unsigned int len = frame_ip(f, 1, src, dst, 8 + 16);
	uint8_t *l4 = f + F_ETH + 20;

	l4[0] = type;
	put16(l4 + 4, id);
	put16(l4 + 6, 1);
	memcpy(l4 + 8, "0123456789abcdef", 16);
	frame_fix(f, false);
	return len;
}

/* An ICMP error (type/code) from src to dst quoting quote_len bytes of the frame `orig` from
 * its IP header on (RFC 792: the header and at least 8 bytes of L4). */
static inline unsigned int
frame_icmp_error(uint8_t *f, uint8_t type, uint8_t code, const char *src, const char *dst,
		 const uint8_t *orig, unsigned int quote_len)
{
	unsigned int len = frame_ip(f, 1, src, dst, 8 + quote_len);
	uint8_t *l4 = f + F_ETH + 20;

	l4[0] = type;
	l4[1] = code;
	memcpy(l4 + 8, orig + F_ETH, quote_len);
	frame_fix(f, false);
	return len;
}

#endif
