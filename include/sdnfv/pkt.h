/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * pkt: packet parsing (L2 to L4), flow keys and checksum helpers.
 *
 * The parser walks Ethernet (with up to two VLAN tags: 802.1Q or 802.1ad), IPv4 (options,
 * fragments), IPv6 (extension-header chain, at most #SDNFV_PKT_IPV6_EXT_MAX headers), and the
 * TCP, UDP, SCTP, ICMP and ICMPv6 headers, and stores what it found in a small struct of
 * offsets (struct sdnfv_pkt_info). It copies nothing and allocates nothing.
 *
 * **Trust.** The parser never reads a byte past the length it was given, whatever a length field
 * in the packet claims. A header that does not fit, or a length field that contradicts the frame
 * (an IPv4 total length longer than the frame, a TCP data offset below 5, a UDP length larger
 * than its datagram), stops the parse with a reason code (enum sdnfv_pkt_err). Whatever was
 * parsed before the stop stays valid in the info (see the SDNFV_PKT_F_* flags), so a caller may
 * still count or log by L3 addresses. Trailing bytes after the IP datagram (Ethernet padding)
 * are not part of the datagram: sdnfv_pkt_info::l3_end marks its end.
 *
 * **What is not an error.** A frame of another EtherType (ARP, MPLS, ...) parses successfully
 * with only L2 filled in; an IP protocol the parser does not know parses successfully with
 * sdnfv_pkt_info::l4_off set and no ports. A non-first IPv4/IPv6 fragment parses successfully
 * with #SDNFV_PKT_F_FRAG_LATER set and no L4 header, since it has none.
 *
 * **Flow keys.** sdnfv_pkt_key_build() turns a parsed packet into a canonical 5-tuple (struct
 * sdnfv_pkt_key): addresses, ports, protocol and family, all padding zeroed so a key can be
 * hashed and compared as plain bytes. sdnfv_pkt_key_symmetric() orders the two endpoints so both
 * directions of a connection share one key.
 *
 * **Checksums.** Full checksums (the Internet checksum of RFC 1071, the IPv4 header checksum, and
 * the TCP/UDP/ICMP/ICMPv6 checksums with their pseudo-headers) and incremental updates (RFC 1624,
 * equation 3) for address and port rewrites, which sdnfv_pkt_set_addr() and sdnfv_pkt_set_port()
 * apply to a parsed packet.
 *
 * **Threads.** Every function here is reentrant and touches only its arguments.
 * None of them needs the DPDK EAL to be initialised.
 */
#ifndef SDNFV_PKT_H
#define SDNFV_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>

#include <sdnfv/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;

/** Most IPv6 extension headers the parser walks before it gives up (#SDNFV_PKT_ERR_IPV6_EXT_DEPTH). */
#define SDNFV_PKT_IPV6_EXT_MAX 8

/** Most VLAN tags the parser accepts in front of the L3 header (#SDNFV_PKT_ERR_VLAN_DEPTH). */
#define SDNFV_PKT_VLAN_MAX 2

/** Why the parser stopped. 0 means it parsed every header it knows. */
enum sdnfv_pkt_err {
	SDNFV_PKT_OK = 0,           /**< parsed every header it knows */
	SDNFV_PKT_ERR_ETH_SHORT,    /**< frame shorter than an Ethernet header */
	SDNFV_PKT_ERR_VLAN_SHORT,   /**< frame ends inside a VLAN tag */
	SDNFV_PKT_ERR_VLAN_DEPTH,   /**< more than #SDNFV_PKT_VLAN_MAX VLAN tags */
	SDNFV_PKT_ERR_IPV4_SHORT,   /**< frame ends inside the IPv4 header (20 bytes or IHL) */
	SDNFV_PKT_ERR_IPV4_VERSION, /**< EtherType IPv4 but version field is not 4 */
	SDNFV_PKT_ERR_IPV4_IHL,     /**< IHL below 5 */
	SDNFV_PKT_ERR_IPV4_TOTLEN,  /**< total length below the header length or beyond the frame */
	SDNFV_PKT_ERR_IPV6_SHORT,   /**< frame ends inside the 40-byte IPv6 header */
	SDNFV_PKT_ERR_IPV6_VERSION, /**< EtherType IPv6 but version field is not 6 */
	SDNFV_PKT_ERR_IPV6_PLEN,    /**< payload length beyond the frame (or 0: jumbogram) */
	SDNFV_PKT_ERR_IPV6_EXT_SHORT, /**< datagram ends inside an extension header */
	SDNFV_PKT_ERR_IPV6_EXT_DEPTH, /**< more than #SDNFV_PKT_IPV6_EXT_MAX extension headers */
	SDNFV_PKT_ERR_TCP_SHORT, /**< datagram ends inside the TCP header (20 bytes or data offset) */
	SDNFV_PKT_ERR_TCP_DOFF,   /**< TCP data offset below 5 */
	SDNFV_PKT_ERR_UDP_SHORT,  /**< datagram shorter than a UDP header */
	SDNFV_PKT_ERR_UDP_LEN,    /**< UDP length below 8 or beyond the datagram */
	SDNFV_PKT_ERR_SCTP_SHORT, /**< datagram shorter than an SCTP common header */
	SDNFV_PKT_ERR_ICMP_SHORT, /**< datagram shorter than an 8-byte ICMP/ICMPv6 header */
	SDNFV_PKT_ERR_SEGMENTED,  /**< headers continue into a second mbuf segment */
	SDNFV_PKT_ERR__COUNT      /**< number of codes, for counter arrays */
};

/** What the L3 header is. */
enum sdnfv_pkt_l3 {
	SDNFV_PKT_L3_NONE = 0,    /**< no L3 parsed (error before it) */
	SDNFV_PKT_L3_IPV4 = 4,    /**< IPv4 */
	SDNFV_PKT_L3_IPV6 = 6,    /**< IPv6 */
	SDNFV_PKT_L3_OTHER = 255, /**< an EtherType the parser does not walk (ARP, MPLS, ...) */
};

/** @name Flags of struct sdnfv_pkt_info
 * @{ */
#define SDNFV_PKT_F_L3       0x0001 /**< l3_off and l3_end are valid (an IPv4/IPv6 header was read) */
#define SDNFV_PKT_F_L4       0x0002 /**< l4_off, payload_off and, for TCP/UDP/SCTP, ports are valid */
#define SDNFV_PKT_F_IPV4_OPT 0x0004 /**< IPv4 header carries options (IHL > 5) */
#define SDNFV_PKT_F_FRAG \
	0x0008 /**< a fragment: MF or offset set (an IPv6 atomic fragment is whole, RFC 6946) */
#define SDNFV_PKT_F_FRAG_LATER 0x0010 /**< a non-first fragment: it carries no L4 header */
#define SDNFV_PKT_F_IPV6_EXT   0x0020 /**< IPv6 extension headers were walked */
#define SDNFV_PKT_F_PADDED     0x0040 /**< bytes follow the IP datagram in the frame (padding) */
#define SDNFV_PKT_F_MULTISEG \
	0x0080 /**< the IP datagram continues past the first mbuf segment (sdnfv_pkt_parse_mbuf()) */
/** @} */

/**
 * Where the headers of a packet are. Offsets count from the start of the frame.
 * Filled by sdnfv_pkt_parse(); 28 bytes.
 *
 * A field the parse did not reach is 0. Once the L2 header is parsed, l3_off is where it ends,
 * whatever the EtherType. Once an IP header is parsed (#SDNFV_PKT_F_L3), l4_off is where the IP
 * headers end (after any IPv6 extension headers) and l4_proto the protocol found there, even when
 * no L4 header follows (a non-first fragment, an unknown protocol, or a stop inside the IPv6
 * extension chain, where l4_proto is the header the walk stopped at).
 */
struct sdnfv_pkt_info {
	uint16_t l3_off;      /**< first byte of the L3 header (after Ethernet and VLAN tags) */
	uint16_t l4_off;      /**< first byte of the L4 header (after IPv6 extension headers) */
	uint16_t payload_off; /**< first byte after the L4 header; l4_off when none was parsed */
	uint16_t ether_type;  /**< innermost EtherType, host byte order */
	/** one past the last byte of the IP datagram (<= frame length); 32 bits because a
	 *  64 KiB datagram behind an Ethernet header ends past offset 65535 */
	uint32_t l3_end;
	uint16_t vlan_tci[SDNFV_PKT_VLAN_MAX]; /**< VLAN TCIs, outer first, host byte order */
	uint16_t flags;                        /**< SDNFV_PKT_F_* */
	rte_be16_t sport; /**< source port as in struct sdnfv_pkt_key; network order */
	rte_be16_t dport; /**< destination port as in struct sdnfv_pkt_key; network order */
	uint8_t n_vlan;   /**< number of VLAN tags (0 to #SDNFV_PKT_VLAN_MAX) */
	uint8_t l3;       /**< enum sdnfv_pkt_l3 */
	uint8_t l4_proto; /**< IP protocol of the L4 header (after extension headers) */
	uint8_t err;      /**< enum sdnfv_pkt_err: why the parse stopped */
};

/**
 * Parse the headers of a contiguous frame.
 *
 * @param data  first byte of the Ethernet header; read only, never past @p len.
 * @param len   bytes available at @p data (the whole frame).
 * @param info  filled in whatever the outcome; sdnfv_pkt_info::err holds the reason on failure.
 * @return 0 when every known header parsed; -EBADMSG when the frame is malformed or truncated
 *         (the reason is in info->err; what parsed before the stop is flagged in info->flags).
 */
SDNFV_API int sdnfv_pkt_parse(const void *data, uint32_t len, struct sdnfv_pkt_info *info);

/**
 * Parse the headers of an mbuf.
 *
 * A single-segment mbuf is parsed as sdnfv_pkt_parse() would. In a chained mbuf the headers must
 * lie in the first segment (length fields are checked against the whole packet length);
 * otherwise the parse stops with #SDNFV_PKT_ERR_SEGMENTED. When the IP datagram itself goes on
 * into later segments, #SDNFV_PKT_F_MULTISEG tells that the bytes up to info->l3_end are not
 * all at rte_pktmbuf_mtod(m), which the checksum functions need.
 *
 * @param m     the packet; not modified.
 * @param info  filled as by sdnfv_pkt_parse(); offsets are from rte_pktmbuf_mtod(m).
 * @return 0, or -EBADMSG with the reason in info->err.
 */
SDNFV_API int sdnfv_pkt_parse_mbuf(const struct rte_mbuf *m, struct sdnfv_pkt_info *info);

/**
 * Describe a parse error.
 *
 * @param err  an enum sdnfv_pkt_err value.
 * @return a short static English phrase; "unknown error" for a value out of range.
 */
SDNFV_API const char *sdnfv_pkt_strerror(int err);

/* ---------------------------------------------------------------------------------------- */
/* Flow keys                                                                                  */

/** An IPv4 or IPv6 address; an IPv4 address sits in the first 4 bytes, the rest zero. */
union sdnfv_pkt_addr {
	rte_be32_t v4;   /**< IPv4 address, network order */
	uint8_t v6[16];  /**< IPv6 address, network order */
	uint64_t u64[2]; /**< for fast copies and comparisons */
};

/**
 * The 5-tuple of a packet, canonical: two packets of the same flow give byte-identical keys.
 *
 * Ports are TCP/UDP/SCTP ports. For ICMP query messages (echo, and for ICMPv4 also timestamp,
 * information and address-mask requests and replies; ICMPv6 echo) both port fields hold the query
 * identifier, so the symmetric key of a query and its reply is the same; for other ICMP messages
 * sport holds the type and dport the code, as Open vSwitch does. Non-first fragments and
 * protocols without ports have both ports 0. All fields are in network byte order.
 */
struct sdnfv_pkt_key {
	union sdnfv_pkt_addr src; /**< source address */
	union sdnfv_pkt_addr dst; /**< destination address */
	rte_be16_t sport;         /**< source port (see above) */
	rte_be16_t dport;         /**< destination port (see above) */
	uint8_t proto;            /**< IP protocol of the L4 header */
	uint8_t family;           /**< #SDNFV_PKT_L3_IPV4 or #SDNFV_PKT_L3_IPV6 */
	uint16_t pad;             /**< always 0 */
};

/**
 * Build the 5-tuple key of a parsed packet.
 *
 * @param data  the frame given to sdnfv_pkt_parse() (or rte_pktmbuf_mtod() of the parsed mbuf).
 * @param info  its parse result; the parse may have failed at L4 (then ports are 0) but must
 *              have read the IP header (#SDNFV_PKT_F_L3).
 * @param key   written completely, padding included.
 * @return 0, or -EINVAL when the packet has no IPv4/IPv6 header (key zeroed).
 */
SDNFV_API int sdnfv_pkt_key_build(const void *data, const struct sdnfv_pkt_info *info,
				  struct sdnfv_pkt_key *key);

/**
 * Order the endpoints of a key so both directions of a connection give the same key.
 *
 * After the call (src, sport) <= (dst, dport), comparing addresses as bytes and then ports.
 *
 * @param key  the key to canonicalise, in place.
 * @return 1 when the endpoints were swapped (the packet travels from the key's dst to its src),
 *         0 when they were already in order.
 */
static inline int
sdnfv_pkt_key_symmetric(struct sdnfv_pkt_key *key)
{
	int c = memcmp(&key->src, &key->dst, sizeof(key->src));

	if (c < 0 || (c == 0 && rte_be_to_cpu_16(key->sport) <= rte_be_to_cpu_16(key->dport)))
		return 0;

	union sdnfv_pkt_addr a = key->src;
	rte_be16_t p = key->sport;

	key->src = key->dst;
	key->dst = a;
	key->sport = key->dport;
	key->dport = p;
	return 1;
}

/**
 * Hash a key (CRC32-C over its 40 bytes, hardware instructions where available).
 *
 * @param key   the key.
 * @param seed  initial value; the same seed gives the same hash in every process.
 * @return the hash.
 */
static inline uint32_t
sdnfv_pkt_key_hash(const struct sdnfv_pkt_key *key, uint32_t seed)
{
	uint64_t w[sizeof(*key) / sizeof(uint64_t)];
	uint32_t h = seed;
	unsigned int i;

	/* rte_hash_crc() would read the struct through uint64_t lvalues, which strict aliasing lets
	 * the compiler reorder before the stores that built the key: hash copied words instead
	 * (the copy compiles away). */
	memcpy(w, key, sizeof(w));
	for (i = 0; i < RTE_DIM(w); i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

/* ---------------------------------------------------------------------------------------- */
/* Checksums                                                                                  */

/**
 * Internet checksum (RFC 1071) of a buffer.
 *
 * @param data  the bytes; any alignment.
 * @param len   their number; an odd last byte is padded with zero.
 * @return the folded, complemented checksum in network byte order, ready to store in a header.
 */
SDNFV_API rte_be16_t sdnfv_pkt_cksum(const void *data, size_t len);

/**
 * Checksum of an IPv4 header, computed as if its checksum field were zero.
 *
 * @param ip_hdr  the header; @p hdr_len bytes are read.
 * @param hdr_len the header length in bytes (IHL * 4), at least 20.
 * @return the checksum to store, network byte order.
 */
SDNFV_API rte_be16_t sdnfv_pkt_ipv4_cksum(const void *ip_hdr, size_t hdr_len);

/**
 * Checksum of the L4 segment of a parsed packet (TCP, UDP, ICMP or ICMPv6), computed as if its
 * checksum field were zero, with the pseudo-header of RFC 793/768/8200 where the protocol has
 * one. The segment runs from info->l4_off to info->l3_end: no length field is trusted (a UDP
 * length is used only once the parser found it within that bound). Over IPv6 with a routing
 * header that has segments left, the pseudo-header holds the final destination (RFC 8200 8.1):
 * the last address of a type 0 header, the home address of type 2, segment 0 of an SRH (type 4).
 *
 * @param data  the frame: the whole datagram must be at @p data, up to info->l3_end.
 * @param info  its parse result; must have #SDNFV_PKT_F_L4 and neither #SDNFV_PKT_F_FRAG nor
 *              #SDNFV_PKT_F_MULTISEG (a chained mbuf: linearise it first).
 * @param[out] cksum  the checksum to store, network byte order. For UDP a computed 0 is
 *              returned as 0xffff, as RFC 768 requires.
 * @return 0; -EINVAL when the packet is not a whole TCP/UDP/ICMP/ICMPv6 segment (a fragment,
 *         another protocol, no L4 header parsed, or a datagram not contiguous at @p data).
 */
SDNFV_API int sdnfv_pkt_l4_cksum(const void *data, const struct sdnfv_pkt_info *info,
				 rte_be16_t *cksum);

/**
 * Verify the IPv4 header checksum and the L4 checksum of a parsed packet.
 *
 * The L4 checksums checked are those sdnfv_pkt_l4_cksum() computes: TCP, UDP, ICMP and ICMPv6
 * (SCTP's CRC32-C is not checked).
 *
 * @param data  the frame.
 * @param info  its parse result.
 * @return 0 when every checksum that can be checked is right (a UDP checksum of 0 over IPv4
 *         means "none" and passes; L4 of fragments, and of datagrams flagged
 *         #SDNFV_PKT_F_MULTISEG, is not checked); -EBADMSG when one is wrong;
 *         -EINVAL when the packet has no IP header.
 */
SDNFV_API int sdnfv_pkt_cksum_verify(const void *data, const struct sdnfv_pkt_info *info);

/**
 * Update a checksum for a 16-bit field changed from @p old_val to @p new_val (RFC 1624, eqn. 3).
 *
 * @param cksum    the checksum as stored in the header (network order).
 * @param old_val  the field's old value, as stored (network order).
 * @param new_val  the field's new value, as stored (network order).
 * @return the new checksum, network order.
 */
static inline rte_be16_t
sdnfv_pkt_cksum_adjust16(rte_be16_t cksum, rte_be16_t old_val, rte_be16_t new_val)
{
	/* HC' = ~(~HC + ~m + m'): one's complement sums are byte-order independent, so the
	 * arithmetic works on the stored (network order) values directly. */
	uint32_t sum = (uint16_t)~cksum + (uint16_t)~old_val + (uint32_t)new_val;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (rte_be16_t)~sum;
}

/**
 * Update a checksum for a 32-bit field (an IPv4 address) changed from @p old_val to @p new_val.
 *
 * @param cksum    the checksum as stored (network order).
 * @param old_val  the old value as stored (network order).
 * @param new_val  the new value as stored (network order).
 * @return the new checksum, network order.
 */
static inline rte_be16_t
sdnfv_pkt_cksum_adjust32(rte_be16_t cksum, rte_be32_t old_val, rte_be32_t new_val)
{
	uint64_t sum = (uint16_t)~cksum;

	sum += (uint32_t)~old_val;
	sum += new_val;
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (rte_be16_t)~sum;
}

/**
 * Update a checksum for a field of any even length (an IPv6 address) changed from @p old_val
 * to @p new_val.
 *
 * @param cksum    the checksum as stored (network order).
 * @param old_val  the old bytes.
 * @param new_val  the new bytes.
 * @param len      their length in bytes; must be even.
 * @return the new checksum, network order.
 */
SDNFV_API rte_be16_t sdnfv_pkt_cksum_adjust(rte_be16_t cksum, const void *old_val,
					    const void *new_val, size_t len);

/** Which endpoint sdnfv_pkt_set_addr() and sdnfv_pkt_set_port() rewrite. */
enum sdnfv_pkt_dir {
	SDNFV_PKT_SRC = 0, /**< the source address or port */
	SDNFV_PKT_DST = 1, /**< the destination address or port */
};

/**
 * Rewrite the source or destination address of a parsed IPv4/IPv6 packet and update, with
 * RFC 1624, every checksum that covers it: the IPv4 header checksum and the TCP, UDP or ICMPv6
 * checksum through its pseudo-header. A UDP checksum of 0 stays 0 (none over IPv4; over IPv6 an
 * RFC 6935 tunnel's, or wrong either way); a UDP checksum that would become 0 is stored as
 * 0xffff. Non-first fragments carry no L4 checksum and get only the IPv4 header checksum
 * updated. The IPv6 destination field is not in the pseudo-header while a routing header has
 * segments left (see sdnfv_pkt_l4_cksum()): rewriting it then leaves the L4 checksum alone.
 * Only headers are written, so a chained mbuf's first segment is enough.
 *
 * @param data  the frame, modified in place.
 * @param info  its parse result (must have #SDNFV_PKT_F_L3).
 * @param dir   which address.
 * @param addr  the new address (for IPv4, addr->v4).
 * @return 0; -EINVAL when the packet has no IP header.
 */
SDNFV_API int sdnfv_pkt_set_addr(void *data, const struct sdnfv_pkt_info *info,
				 enum sdnfv_pkt_dir dir, const union sdnfv_pkt_addr *addr);

/**
 * Rewrite the source or destination port of a parsed TCP/UDP packet, or the identifier of
 * an ICMP/ICMPv6 query message (see struct sdnfv_pkt_key), and update its checksum
 * incrementally (RFC 1624), keeping a UDP checksum of 0 as 0. Also updates info->sport or
 * info->dport.
 *
 * @param data  the frame, modified in place.
 * @param info  its parse result; updated.
 * @param dir   which port; for an ICMP query either value rewrites the identifier (and both
 *              info->sport and info->dport).
 * @param port  the new port, network order.
 * @return 0; -EINVAL when the packet has no port (no L4 header, another protocol, a non-first
 *         fragment, an ICMP message that is not a query); -ENOTSUP for SCTP, whose CRC32-C
 *         checksum cannot be updated incrementally.
 */
SDNFV_API int sdnfv_pkt_set_port(void *data, struct sdnfv_pkt_info *info, enum sdnfv_pkt_dir dir,
				 rte_be16_t port);

#ifdef __cplusplus
}
#endif

#endif /* SDNFV_PKT_H */
