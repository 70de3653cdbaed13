/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the OpenFlow 1.3 codec. Never installed.
 *
 * Wire structures (packed, network byte order, as in the OpenFlow 1.3.5 specification), decoders
 * for what a controller sends a switch, and encoders for what a switch sends a controller. The
 * codec knows nothing of the manager, the flow table's state or sockets: the agent (agent.c) maps
 * decoded messages onto the host, the channel (conn.c) moves bytes.
 *
 * **Decoders trust no length.** Each takes one whole message (header included; `len` is the
 * number of bytes the channel framed, which equals the header's length field) and checks every
 * length and offset inside it against `len` before reading. On a malformed message a decoder
 * returns a negative errno, fills *err with the OpenFlow error type and code the switch must send
 * (OFPET_* / code), and logs one line naming the problem ("flow_mod: match length 12 runs past
 * the message (40 bytes)"). It never reads outside [msg, msg + len) and never allocates.
 *
 * **Encoders** append whole messages to a growing buffer (struct ofp_buf). A failed allocation
 * sets b->err (-ENOMEM) and makes later appends no-ops, so a caller checks once at the end. The
 * buffer may hold several messages back to back (a multipart reply split into parts).
 *
 * Ports: the codec carries OpenFlow port numbers (uint32_t) as they are on the wire; mapping them
 * to DPDK ports and services is the agent's. In a decoded match the flow-table match's in_port
 * is left 0 and the OpenFlow number is in struct ofp_match::of_in_port.
 */
#ifndef SDNFV_LIB_OFP_WIRE_H
#define SDNFV_LIB_OFP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sdnfv/flow.h>
#include <sdnfv/ofp.h> /* the experimenter layouts */

#define OFP_VERSION_13 0x04
#define OFP_HEADER_LEN 8
#define OFP_MSG_MAX    65535u
#define OFP_TCP_PORT   6653

/* ---- message types (ofp_type) ---------------------------------------------------------- */
enum ofp_type {
	OFPT_HELLO = 0,
	OFPT_ERROR = 1,
	OFPT_ECHO_REQUEST = 2,
	OFPT_ECHO_REPLY = 3,
	OFPT_EXPERIMENTER = 4,
	OFPT_FEATURES_REQUEST = 5,
	OFPT_FEATURES_REPLY = 6,
	OFPT_GET_CONFIG_REQUEST = 7,
	OFPT_GET_CONFIG_REPLY = 8,
	OFPT_SET_CONFIG = 9,
	OFPT_PACKET_IN = 10,
	OFPT_FLOW_REMOVED = 11,
	OFPT_PORT_STATUS = 12,
	OFPT_PACKET_OUT = 13,
	OFPT_FLOW_MOD = 14,
	OFPT_GROUP_MOD = 15,
	OFPT_PORT_MOD = 16,
	OFPT_TABLE_MOD = 17,
	OFPT_MULTIPART_REQUEST = 18,
	OFPT_MULTIPART_REPLY = 19,
	OFPT_BARRIER_REQUEST = 20,
	OFPT_BARRIER_REPLY = 21,
	OFPT_QUEUE_GET_CONFIG_REQUEST = 22,
	OFPT_QUEUE_GET_CONFIG_REPLY = 23,
	OFPT_ROLE_REQUEST = 24,
	OFPT_ROLE_REPLY = 25,
	OFPT_GET_ASYNC_REQUEST = 26,
	OFPT_GET_ASYNC_REPLY = 27,
	OFPT_SET_ASYNC = 28,
	OFPT_METER_MOD = 29,
};

/* ---- errors (ofp_error_type and the codes the agent uses) --------------------------------- */
enum ofp_error_type {
	OFPET_HELLO_FAILED = 0,
	OFPET_BAD_REQUEST = 1,
	OFPET_BAD_ACTION = 2,
	OFPET_BAD_INSTRUCTION = 3,
	OFPET_BAD_MATCH = 4,
	OFPET_FLOW_MOD_FAILED = 5,
	OFPET_GROUP_MOD_FAILED = 6,
	OFPET_PORT_MOD_FAILED = 7,
	OFPET_TABLE_MOD_FAILED = 8,
	OFPET_QUEUE_OP_FAILED = 9,
	OFPET_SWITCH_CONFIG_FAILED = 10,
	OFPET_ROLE_REQUEST_FAILED = 11,
	OFPET_METER_MOD_FAILED = 12,
	OFPET_TABLE_FEATURES_FAILED = 13,
	OFPET_EXPERIMENTER = 0xffff,
};

enum { OFPHFC_INCOMPATIBLE = 0, OFPHFC_EPERM = 1 };
enum {
	OFPBRC_BAD_VERSION = 0,
	OFPBRC_BAD_TYPE = 1,
	OFPBRC_BAD_MULTIPART = 2,
	OFPBRC_BAD_EXPERIMENTER = 3,
	OFPBRC_BAD_EXP_TYPE = 4,
	OFPBRC_EPERM = 5,
	OFPBRC_BAD_LEN = 6,
	OFPBRC_BUFFER_EMPTY = 7,
	OFPBRC_BUFFER_UNKNOWN = 8,
	OFPBRC_BAD_TABLE_ID = 9,
	OFPBRC_IS_SLAVE = 10,
	OFPBRC_BAD_PORT = 11,
	OFPBRC_BAD_PACKET = 12,
	OFPBRC_MULTIPART_BUFFER_OVERFLOW = 13,
};
enum {
	OFPBAC_BAD_TYPE = 0,
	OFPBAC_BAD_LEN = 1,
	OFPBAC_BAD_EXPERIMENTER = 2,
	OFPBAC_BAD_EXP_TYPE = 3,
	OFPBAC_BAD_OUT_PORT = 4,
	OFPBAC_BAD_ARGUMENT = 5,
	OFPBAC_EPERM = 6,
	OFPBAC_TOO_MANY = 7,
	OFPBAC_BAD_QUEUE = 8,
	OFPBAC_BAD_OUT_GROUP = 9,
	OFPBAC_MATCH_INCONSISTENT = 10,
	OFPBAC_UNSUPPORTED_ORDER = 11,
	OFPBAC_BAD_TAG = 12,
	OFPBAC_BAD_SET_TYPE = 13,
	OFPBAC_BAD_SET_LEN = 14,
	OFPBAC_BAD_SET_ARGUMENT = 15,
};
enum {
	OFPBIC_UNKNOWN_INST = 0,
	OFPBIC_UNSUP_INST = 1,
	OFPBIC_BAD_TABLE_ID = 2,
	OFPBIC_UNSUP_METADATA = 3,
	OFPBIC_UNSUP_METADATA_MASK = 4,
	OFPBIC_BAD_EXPERIMENTER = 5,
	OFPBIC_BAD_EXP_TYPE = 6,
	OFPBIC_BAD_LEN = 7,
	OFPBIC_EPERM = 8,
};
enum {
	OFPBMC_BAD_TYPE = 0,
	OFPBMC_BAD_LEN = 1,
	OFPBMC_BAD_TAG = 2,
	OFPBMC_BAD_DL_ADDR_MASK = 3,
	OFPBMC_BAD_NW_ADDR_MASK = 4,
	OFPBMC_BAD_WILDCARDS = 5,
	OFPBMC_BAD_FIELD = 6,
	OFPBMC_BAD_VALUE = 7,
	OFPBMC_BAD_MASK = 8,
	OFPBMC_BAD_PREREQ = 9,
	OFPBMC_DUP_FIELD = 10,
	OFPBMC_EPERM = 11,
};
enum {
	OFPFMFC_UNKNOWN = 0,
	OFPFMFC_TABLE_FULL = 1,
	OFPFMFC_BAD_TABLE_ID = 2,
	OFPFMFC_OVERLAP = 3,
	OFPFMFC_EPERM = 4,
	OFPFMFC_BAD_TIMEOUT = 5,
	OFPFMFC_BAD_COMMAND = 6,
	OFPFMFC_BAD_FLAGS = 7,
};
enum { OFPPMFC_BAD_PORT = 0, OFPPMFC_EPERM = 4 };
enum { OFPSCFC_BAD_FLAGS = 0, OFPSCFC_BAD_LEN = 1, OFPSCFC_EPERM = 2 };
enum { OFPRRFC_STALE = 0, OFPRRFC_UNSUP = 1, OFPRRFC_BAD_ROLE = 2 };
enum {
	OFPTFFC_BAD_TABLE = 0,
	OFPTFFC_BAD_METADATA = 1,
	OFPTFFC_BAD_TYPE = 2,
	OFPTFFC_BAD_LEN = 3,
	OFPTFFC_BAD_ARGUMENT = 4,
	OFPTFFC_EPERM = 5
};

/* An error to send: type and code. */
struct ofp_err {
	uint16_t type;
	uint16_t code;
};

/* ---- ports ------------------------------------------------------------------------------- */
#define OFPP_MAX         0xffffff00u
#define OFPP_IN_PORT     0xfffffff8u
#define OFPP_TABLE       0xfffffff9u
#define OFPP_NORMAL      0xfffffffau
#define OFPP_FLOOD       0xfffffffbu
#define OFPP_ALL         0xfffffffcu
#define OFPP_CONTROLLER  0xfffffffdu
#define OFPP_LOCAL       0xfffffffeu
#define OFPP_ANY         0xffffffffu
#define OFPG_ANY         0xffffffffu
#define OFP_NO_BUFFER    0xffffffffu
#define OFPCML_NO_BUFFER 0xffff
#define OFPTT_ALL        0xff

/* ofp_port_config / ofp_port_state / ofp_port_features bits used. */
#define OFPPC_PORT_DOWN 0x1
#define OFPPS_LINK_DOWN 0x1
#define OFPPS_LIVE      0x4
#define OFPPF_10GB_FD   0x40
#define OFPPF_OTHER     0x400 /* 1 << 10; 0x800 is OFPPF_COPPER */

enum ofp_port_reason { OFPPR_ADD = 0, OFPPR_DELETE = 1, OFPPR_MODIFY = 2 };

/* A port as PORT_DESC and PORT_STATUS carry it (struct ofp_port, 64 bytes on the wire). */
struct ofp_port_desc {
	uint32_t port_no;
	uint8_t hw_addr[6];
	char name[16]; /* NUL-padded; at most 15 characters are sent */
	uint32_t config, state, curr, advertised, supported, peer;
	uint32_t curr_speed, max_speed; /* kbps */
};

/* Counters of one port for PORT_STATS (struct ofp_port_stats, 112 bytes on the wire). */
struct ofp_port_counters {
	uint32_t port_no;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped;
	uint64_t rx_errors, tx_errors;
	uint32_t duration_sec, duration_nsec;
};

/* ---- the buffer encoders write to ----------------------------------------------------------- */
struct ofp_buf {
	uint8_t *data; /* malloc'd; free with ofp_buf_free() */
	size_t len;
	size_t cap;
	int err; /* 0, or -ENOMEM after a failed growth (appends then do nothing) */
};

void ofp_buf_init(struct ofp_buf *b);
void ofp_buf_free(struct ofp_buf *b);
void ofp_buf_reset(struct ofp_buf *b); /* len = 0, err = 0; keeps the memory */
/* Append n bytes (zeroed when p is NULL); returns where they are, or NULL (b->err set). */
void *ofp_buf_put(struct ofp_buf *b, const void *p, size_t n);

/* ---- matches ------------------------------------------------------------------------------ */

/* A decoded OXM match. m.fields has SDNFV_FLOW_M_IN_PORT when OXM_OF_IN_PORT was present; m.in_port
 * is then 0 and the OpenFlow port number is of_in_port (the agent maps it). */
struct ofp_match {
	struct sdnfv_flow_match m;
	uint32_t of_in_port;
};

/*
 * Decode a struct ofp_match (type OFPMT_OXM) at p, with `avail` bytes from p to the end of the
 * message. Supported OXM fields (OpenFlow basic class): IN_PORT, ETH_TYPE, VLAN_VID (masked or
 * not; OFPVID_PRESENT/NONE), IP_PROTO, IPV4_SRC/DST and IPV6_SRC/DST (masks that are prefixes),
 * TCP/UDP/SCTP_SRC/DST (masked or not), ICMPV4_TYPE/CODE, ICMPV6_TYPE/CODE. Any other field:
 * OFPBMC_BAD_FIELD; a non-prefix address mask: OFPBMC_BAD_NW_ADDR_MASK; a field twice:
 * OFPBMC_DUP_FIELD; a missing prerequisite: OFPBMC_BAD_PREREQ; value bits outside the mask:
 * OFPBMC_BAD_WILDCARDS; a bad oxm length: OFPBMC_BAD_LEN; ofp_match type not OXM: OFPBMC_BAD_TYPE;
 * a mask on a field that takes none, or a VLAN mask wider than 13 bits: OFPBMC_BAD_MASK; in_port 0
 * or ANY, or an unmasked VLAN_VID other than OFPVID_NONE without OFPVID_PRESENT: OFPBMC_BAD_VALUE.
 * Prerequisites are checked as OpenFlow 1.3 states them, against the whole match (their order is
 * not enforced, as in Open vSwitch), and the result passes sdnfv_flow_match_check() (with
 * m.in_port = 0).
 * *consumed receives the match's length padded to 8 bytes (what follows it starts there).
 */
int ofp_match_decode(const uint8_t *p, size_t avail, struct ofp_match *out, size_t *consumed,
		     struct ofp_err *err);

/* Append a struct ofp_match (OXM, padded to 8) for m; the in_port field, when m has it, is
 * written as of_in_port. Masks are written only where the field is partial (a /32 is exact). */
void ofp_match_encode(struct ofp_buf *b, const struct sdnfv_flow_match *m, uint32_t of_in_port);

/* ---- actions and instructions ----------------------------------------------------------------- */

#define OFP_ACTS_MAX 16

/*
 * What the supported subset of instructions and actions amounts to: a list of outputs (empty:
 * drop). Decoding instructions: APPLY_ACTIONS and WRITE_ACTIONS are both taken as the packet's
 * actions (the host has one table, so both execute at its end); CLEAR_ACTIONS is accepted;
 * GOTO_TABLE gives OFPBIC_BAD_TABLE_ID; WRITE_METADATA and METER give OFPBIC_UNSUP_INST; others
 * OFPBIC_UNKNOWN_INST; an instruction twice OFPBIC_UNSUP_INST... (see codec.c). Actions: OUTPUT
 * (any port number: physical, logical, CONTROLLER, IN_PORT, TABLE, FLOOD, ALL, LOCAL; port 0 or
 * OFPP_ANY give OFPBAC_BAD_OUT_PORT); every other action type gives OFPBAC_BAD_TYPE (the host does
 * not rewrite headers); more than OFP_ACTS_MAX outputs OFPBAC_TOO_MANY.
 */
struct ofp_acts {
	unsigned int n_out;
	struct {
		uint32_t port;
		uint16_t max_len; /* for CONTROLLER */
	} out[OFP_ACTS_MAX];
};

/* Decode an action list of exactly len bytes (a packet-out's). */
int ofp_actions_decode(const uint8_t *p, size_t len, struct ofp_acts *out, struct ofp_err *err);
/* Decode an instruction list of exactly len bytes (a flow-mod's). */
int ofp_instructions_decode(const uint8_t *p, size_t len, struct ofp_acts *out,
			    struct ofp_err *err);
/* Append one APPLY_ACTIONS instruction holding the outputs (nothing for an empty list), as flow
 * stats show a rule's instructions. */
void ofp_instructions_encode(struct ofp_buf *b, const struct ofp_acts *a);

/* ---- header ------------------------------------------------------------------------------- */

struct ofp_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t length; /* host order */
	uint32_t xid;    /* host order */
};

/* Read a header from at least 8 bytes (no checks beyond that). */
void ofp_hdr_read(const void *p, struct ofp_hdr *h);

/* Begin a message: appends an 8-byte header (length filled by ofp_msg_end()); returns the
 * message's offset in b. */
size_t ofp_msg_begin(struct ofp_buf *b, uint8_t type, uint32_t xid);
/* End the message begun at off: writes its length. A message longer than OFP_MSG_MAX sets
 * b->err = -EMSGSIZE. */
void ofp_msg_end(struct ofp_buf *b, size_t off);

/* ---- controller → switch: decoders ------------------------------------------------------------- */

/* HELLO: the highest version both sides support, from the version field and any VERSIONBITMAP
 * element (elements of other types are skipped; a bad element length is -EPROTO with
 * OFPBRC_BAD_LEN). Returns 0 and
 * *common = 4 when both support 1.3; -EPROTONOSUPPORT (err OFPET_HELLO_FAILED/INCOMPATIBLE) when
 * they share none. */
int ofp_decode_hello(const void *msg, size_t len, uint8_t *common, struct ofp_err *err);

struct ofp_flow_mod {
	uint64_t cookie, cookie_mask;
	uint8_t table_id;
	uint8_t command; /* OFPFC_* */
	uint16_t idle_timeout, hard_timeout, priority;
	uint32_t buffer_id, out_port, out_group;
	uint16_t flags; /* OFPFF_* */
	struct ofp_match match;
	struct ofp_acts acts;
};
enum {
	OFPFC_ADD = 0,
	OFPFC_MODIFY = 1,
	OFPFC_MODIFY_STRICT = 2,
	OFPFC_DELETE = 3,
	OFPFC_DELETE_STRICT = 4
};
#define OFPFF_SEND_FLOW_REM 0x1
#define OFPFF_CHECK_OVERLAP 0x2
#define OFPFF_RESET_COUNTS  0x4
#define OFPFF_NO_PKT_COUNTS 0x8
#define OFPFF_NO_BYT_COUNTS 0x10

/* FLOW_MOD: fields, match, instructions. An unknown command gives OFPFMFC_BAD_COMMAND, unknown
 * flag bits OFPFMFC_BAD_FLAGS; table_id other than 0 (or OFPTT_ALL with a delete) gives
 * OFPFMFC_BAD_TABLE_ID. */
int ofp_decode_flow_mod(const void *msg, size_t len, struct ofp_flow_mod *out, struct ofp_err *err);

struct ofp_packet_out {
	uint32_t buffer_id;
	uint32_t in_port;
	struct ofp_acts acts;
	const uint8_t *data; /* points into msg; len 0 when buffered */
	size_t data_len;
};
/* PACKET_OUT: actions_len checked against the message; data is what follows the actions. A
 * message with no buffer and no data gives OFPBRC_BAD_PACKET... (see codec.c). */
int ofp_decode_packet_out(const void *msg, size_t len, struct ofp_packet_out *out,
			  struct ofp_err *err);

struct ofp_switch_config {
	uint16_t flags;
	uint16_t miss_send_len;
};
int ofp_decode_set_config(const void *msg, size_t len, struct ofp_switch_config *out,
			  struct ofp_err *err);

struct ofp_role {
	uint32_t role; /* OFPCR_ROLE_* */
	uint64_t generation_id;
};
enum { OFPCR_ROLE_NOCHANGE = 0, OFPCR_ROLE_EQUAL = 1, OFPCR_ROLE_MASTER = 2, OFPCR_ROLE_SLAVE = 3 };
/* ROLE_REQUEST: an unknown role value gives OFPRRFC_BAD_ROLE. */
int ofp_decode_role(const void *msg, size_t len, struct ofp_role *out, struct ofp_err *err);

/* GET/SET_ASYNC masks: [0] master/equal, [1] slave. */
struct ofp_async {
	uint32_t packet_in[2];
	uint32_t port_status[2];
	uint32_t flow_removed[2];
};
int ofp_decode_set_async(const void *msg, size_t len, struct ofp_async *out, struct ofp_err *err);

/* MULTIPART_REQUEST: its type, flags and body. */
struct ofp_mp_request {
	uint16_t type; /* OFPMP_* */
	uint16_t flags;
	const uint8_t *body;
	size_t body_len;
};
enum {
	OFPMP_DESC = 0,
	OFPMP_FLOW = 1,
	OFPMP_AGGREGATE = 2,
	OFPMP_TABLE = 3,
	OFPMP_PORT_STATS = 4,
	OFPMP_QUEUE = 5,
	OFPMP_GROUP = 6,
	OFPMP_GROUP_DESC = 7,
	OFPMP_GROUP_FEATURES = 8,
	OFPMP_METER = 9,
	OFPMP_METER_CONFIG = 10,
	OFPMP_METER_FEATURES = 11,
	OFPMP_TABLE_FEATURES = 12,
	OFPMP_PORT_DESC = 13,
	OFPMP_EXPERIMENTER = 0xffff
};
#define OFPMPF_REQ_MORE   0x1
#define OFPMPF_REPLY_MORE 0x1
int ofp_decode_mp_request(const void *msg, size_t len, struct ofp_mp_request *out,
			  struct ofp_err *err);

/* The body of a FLOW or AGGREGATE request. */
struct ofp_flow_stats_request {
	uint8_t table_id;
	uint32_t out_port, out_group;
	uint64_t cookie, cookie_mask;
	struct ofp_match match;
};
int ofp_decode_flow_stats_request(const struct ofp_mp_request *r,
				  struct ofp_flow_stats_request *out, struct ofp_err *err);
/* The body of a PORT_STATS request: the port (OFPP_ANY for all). */
int ofp_decode_port_stats_request(const struct ofp_mp_request *r, uint32_t *port_no,
				  struct ofp_err *err);

/* EXPERIMENTER: experimenter id, exp_type, and the data after them. */
struct ofp_experimenter {
	uint32_t experimenter;
	uint32_t exp_type;
	const uint8_t *data;
	size_t data_len;
};
int ofp_decode_experimenter(const void *msg, size_t len, struct ofp_experimenter *out,
			    struct ofp_err *err);

/*
 * Check any message a controller may send, by type, with the decoder above that fits it (the
 * fuzz target's entry and the agent's first gate). Returns 0 for a well-formed message of a
 * known type; -EPROTO with *err for a malformed one; -ENOTSUP with OFPBRC_BAD_TYPE for a type
 * the switch does not take (GROUP_MOD and METER_MOD too: answering them with
 * OFPET_GROUP_MOD_FAILED / METER_MOD_FAILED instead is the agent's choice), and with
 * OFPBRC_BAD_MULTIPART for an unknown multipart type; a HELLO that shares no version gives
 * -EPROTONOSUPPORT as from ofp_decode_hello().
 */
int ofp_decode_check(const void *msg, size_t len, struct ofp_err *err);

/* ---- switch → controller: encoders ------------------------------------------------------------ */

/* HELLO with a VERSIONBITMAP element announcing 1.3 only. */
void ofp_encode_hello(struct ofp_buf *b, uint32_t xid);
/* ERROR with the first min(len, 64) bytes of the offending message as data. */
void ofp_encode_error(struct ofp_buf *b, uint32_t xid, struct ofp_err e, const void *offending,
		      size_t len);
void ofp_encode_echo(struct ofp_buf *b, uint8_t type, uint32_t xid, const void *data,
		     size_t len); /* ECHO_REQUEST or ECHO_REPLY */
void ofp_encode_features_reply(struct ofp_buf *b, uint32_t xid, uint64_t datapath_id,
			       uint32_t n_buffers, uint8_t n_tables, uint32_t capabilities);
#define OFPC_FLOW_STATS  0x1
#define OFPC_TABLE_STATS 0x2
#define OFPC_PORT_STATS  0x4
void ofp_encode_get_config_reply(struct ofp_buf *b, uint32_t xid,
				 const struct ofp_switch_config *c);
void ofp_encode_barrier_reply(struct ofp_buf *b, uint32_t xid);
void ofp_encode_role_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_role *r);
void ofp_encode_get_async_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_async *a);
/* QUEUE_GET_CONFIG_REPLY for a port with no queues. */
void ofp_encode_queue_config_reply(struct ofp_buf *b, uint32_t xid, uint32_t port);

enum { OFPR_NO_MATCH = 0, OFPR_ACTION = 1, OFPR_INVALID_TTL = 2 };
/* PACKET_IN: buffer id, total length of the frame, reason, table 0, cookie, a match holding
 * in_port only (as OVS sends), 2 pad bytes, then data_len bytes of the frame. */
void ofp_encode_packet_in(struct ofp_buf *b, uint32_t xid, uint32_t buffer_id, uint16_t total_len,
			  uint8_t reason, uint64_t cookie, uint32_t of_in_port, const void *data,
			  size_t data_len);

enum { OFPRR_IDLE_TIMEOUT = 0, OFPRR_HARD_TIMEOUT = 1, OFPRR_DELETE = 2, OFPRR_GROUP_DELETE = 3 };
/* FLOW_REMOVED for a rule (its match in_port as of_in_port). */
void ofp_encode_flow_removed(struct ofp_buf *b, uint32_t xid, const struct sdnfv_flow_rule *r,
			     uint32_t of_in_port, uint8_t reason,
			     const struct sdnfv_flow_stats *st);

void ofp_encode_port_status(struct ofp_buf *b, uint32_t xid, uint8_t reason,
			    const struct ofp_port_desc *p);

/* An EXPERIMENTER message: experimenter id, exp_type, data. */
void ofp_encode_experimenter(struct ofp_buf *b, uint32_t xid, uint32_t experimenter,
			     uint32_t exp_type, const void *data, size_t len);

/*
 * Multipart replies, split into messages of at most OFP_MSG_MAX bytes: every part but the last
 * carries OFPMPF_REPLY_MORE. Use: ofp_mp_begin(), then for each entry ofp_mp_entry() (which
 * starts a new part when the entry would not fit) followed by the entry's encoder, then
 * ofp_mp_end().
 */
struct ofp_mp {
	struct ofp_buf *b;
	uint16_t type;
	uint32_t xid;
	size_t off; /* the current part's offset in b */
};
void ofp_mp_begin(struct ofp_mp *mp, struct ofp_buf *b, uint16_t type, uint32_t xid);
void ofp_mp_entry(struct ofp_mp *mp, size_t entry_len);
void ofp_mp_end(struct ofp_mp *mp);

struct ofp_desc {
	const char *mfr, *hw, *sw, *serial, *dp;
};
void ofp_mp_desc(struct ofp_mp *mp, const struct ofp_desc *d);
/* One ofp_flow_stats entry (calls ofp_mp_entry itself). */
void ofp_mp_flow_stats(struct ofp_mp *mp, const struct sdnfv_flow_rule *r, uint32_t of_in_port,
		       const struct sdnfv_flow_stats *st, const struct ofp_acts *acts);
void ofp_mp_aggregate(struct ofp_mp *mp, uint64_t packets, uint64_t bytes, uint32_t flows);
void ofp_mp_table_stats(struct ofp_mp *mp, uint8_t table_id, uint32_t active, uint64_t lookups,
			uint64_t matched);
/* The one table's features: name, max_entries, and the properties INSTRUCTIONS (apply/write/
 * clear actions), NEXT_TABLES (none), WRITE_ACTIONS and APPLY_ACTIONS (output), MATCH and
 * WILDCARDS (the supported OXM fields, with HASMASK where masks are taken), WRITE_SETFIELD and
 * APPLY_SETFIELD (none); also the *_MISS variants. */
void ofp_mp_table_features(struct ofp_mp *mp, uint8_t table_id, const char *name,
			   uint32_t max_entries);
void ofp_mp_port_stats(struct ofp_mp *mp, const struct ofp_port_counters *c);
void ofp_mp_port_desc(struct ofp_mp *mp, const struct ofp_port_desc *p);

/* ---- names for logs -------------------------------------------------------------------------- */
const char *ofp_type_name(uint8_t type);        /* "FLOW_MOD"; "type 42" style for others */
const char *ofp_error_type_name(uint16_t type); /* "BAD_MATCH" */

#endif /* SDNFV_LIB_OFP_WIRE_H */
