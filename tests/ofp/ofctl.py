# SPDX-License-Identifier: BSD-3-Clause
"""A small OpenFlow 1.3 controller for tests: messages packed by hand (struct, OpenFlow 1.3.5
layouts, network byte order) and a connection that frames what the switch sends.

Nothing here is taken from the agent's code: the layouts are the specification's, so a test that
uses them checks the agent against the protocol rather than against itself.

    c = Conn(port)                        # TCP to the agent; takes its HELLO, sends ours
    xid = c.send(features_request())
    m = c.expect(OFPT_FEATURES_REPLY, xid)
    pins = c.collect(OFPT_PACKET_IN, 0.5) # every PACKET_IN that came (queued ones first)
"""
import errno
import select
import socket
import struct
import time

OFP_VERSION = 0x04

# Message types.
OFPT_HELLO, OFPT_ERROR, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY, OFPT_EXPERIMENTER = 0, 1, 2, 3, 4
OFPT_FEATURES_REQUEST, OFPT_FEATURES_REPLY = 5, 6
OFPT_GET_CONFIG_REQUEST, OFPT_GET_CONFIG_REPLY, OFPT_SET_CONFIG = 7, 8, 9
OFPT_PACKET_IN, OFPT_FLOW_REMOVED, OFPT_PORT_STATUS, OFPT_PACKET_OUT = 10, 11, 12, 13
OFPT_FLOW_MOD, OFPT_GROUP_MOD, OFPT_PORT_MOD, OFPT_TABLE_MOD = 14, 15, 16, 17
OFPT_MULTIPART_REQUEST, OFPT_MULTIPART_REPLY = 18, 19
OFPT_BARRIER_REQUEST, OFPT_BARRIER_REPLY = 20, 21
OFPT_ROLE_REQUEST, OFPT_ROLE_REPLY = 24, 25
OFPT_GET_ASYNC_REQUEST, OFPT_GET_ASYNC_REPLY, OFPT_SET_ASYNC = 26, 27, 28
OFPT_METER_MOD = 29

# Error types and the codes the tests look for.
OFPET_HELLO_FAILED, OFPET_BAD_REQUEST, OFPET_BAD_ACTION, OFPET_BAD_INSTRUCTION = 0, 1, 2, 3
OFPET_BAD_MATCH, OFPET_FLOW_MOD_FAILED, OFPET_GROUP_MOD_FAILED = 4, 5, 6
OFPET_SWITCH_CONFIG_FAILED, OFPET_ROLE_REQUEST_FAILED, OFPET_METER_MOD_FAILED = 10, 11, 12
OFPHFC_INCOMPATIBLE = 0
OFPBRC_BAD_VERSION, OFPBRC_BAD_TYPE, OFPBRC_BAD_MULTIPART = 0, 1, 2
OFPBRC_BAD_LEN, OFPBRC_BUFFER_EMPTY, OFPBRC_BUFFER_UNKNOWN = 6, 7, 8
OFPBRC_IS_SLAVE, OFPBRC_BAD_PORT = 10, 11
OFPBAC_BAD_TYPE, OFPBAC_TOO_MANY = 0, 7
OFPBMC_BAD_FIELD, OFPBMC_BAD_PREREQ = 6, 9
OFPFMFC_BAD_TABLE_ID, OFPFMFC_OVERLAP = 2, 3
OFPSCFC_BAD_LEN = 1
OFPRRFC_STALE = 0

# Ports, buffers, flags.
OFPP_CONTROLLER, OFPP_ANY, OFPP_TABLE = 0xfffffffd, 0xffffffff, 0xfffffff9
OFPG_ANY = 0xffffffff
OFP_NO_BUFFER = 0xffffffff
OFPCML_NO_BUFFER = 0xffff
OFPFC_ADD, OFPFC_MODIFY, OFPFC_MODIFY_STRICT, OFPFC_DELETE, OFPFC_DELETE_STRICT = 0, 1, 2, 3, 4
OFPFF_SEND_FLOW_REM, OFPFF_CHECK_OVERLAP = 0x1, 0x2
OFPR_NO_MATCH, OFPR_ACTION = 0, 1
OFPRR_IDLE_TIMEOUT, OFPRR_HARD_TIMEOUT, OFPRR_DELETE = 0, 1, 2
OFPPR_ADD, OFPPR_DELETE, OFPPR_MODIFY = 0, 1, 2
OFPPS_LINK_DOWN, OFPPS_LIVE = 0x1, 0x4
OFPCR_ROLE_NOCHANGE, OFPCR_ROLE_EQUAL, OFPCR_ROLE_MASTER, OFPCR_ROLE_SLAVE = 0, 1, 2, 3
OFPMP_DESC, OFPMP_FLOW, OFPMP_PORT_STATS, OFPMP_PORT_DESC = 0, 1, 4, 13
OFPIT_APPLY_ACTIONS = 4
OFPAT_OUTPUT, OFPAT_SET_FIELD = 0, 25

# OXM fields of the OpenFlow basic class (0x8000).
OXM_IN_PORT, OXM_ETH_DST, OXM_ETH_SRC, OXM_ETH_TYPE = 0, 3, 4, 5
OXM_IP_DSCP, OXM_IP_PROTO, OXM_IPV4_SRC, OXM_IPV4_DST = 8, 10, 11, 12
OXM_TCP_SRC, OXM_TCP_DST, OXM_UDP_SRC, OXM_UDP_DST = 13, 14, 15, 16

# SDNFV's experimenter messages (include/sdnfv/ofp.h; proto.py compares these with what the
# header declares, through tests/ofp/proto_layouts.c).
SDNFV_EXPERIMENTER = 0x53444e46
SDNFV_EXP_PATH_CHANGE, SDNFV_EXP_SET_ALTERNATIVES = 1, 2
SERVICE_PORT_BASE = 0x8000
ALLOW_SKIP, ALLOW_RESTORE, ALLOW_REDIRECT_ANY = 0x1, 0x2, 0x4
PATH_CHANGE_FIELDS = (("nf_id", "I"), ("service_port", "I"), ("target_port", "I"), ("op", "B"),
                      ("applied", "B"), ("pad", "H"), ("cookie", "Q"))
ALTERNATIVES_FIELDS = (("service_port", "I"), ("allow", "H"), ("n_redirect", "H"))


def layout_fmt(fields):
    return "!" + "".join(t for _, t in fields)


def layout_text(name, fields):
    """A layout as proto_layouts prints one: name, size, then field offset:size."""
    out = ["%s %d" % (name, struct.calcsize(layout_fmt(fields)))]
    for i, (f, t) in enumerate(fields):
        out.append("%s %d:%d" % (f, struct.calcsize(layout_fmt(fields[:i])), struct.calcsize(
            "!" + t)))
    return " ".join(out)

_xid = [0x1000]


def next_xid():
    _xid[0] += 1
    return _xid[0]


def msg(type_, body=b"", xid=None, version=OFP_VERSION):
    """A whole message: header (length computed) and body; returns (bytes, xid)."""
    xid = next_xid() if xid is None else xid
    return struct.pack("!BBHI", version, type_, 8 + len(body), xid) + body, xid


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


# ---- matches, actions, instructions --------------------------------------------------------

def oxm(field, value, mask=None):
    """One OXM TLV of the basic class: value (and mask) as bytes."""
    if mask is not None:
        return struct.pack("!HBB", 0x8000, field << 1 | 1, 2 * len(value)) + value + mask
    return struct.pack("!HBB", 0x8000, field << 1, len(value)) + value


def u8(v):
    return struct.pack("!B", v)


def u16(v):
    return struct.pack("!H", v)


def u32(v):
    return struct.pack("!I", v)


def ip4(s):
    return socket.inet_aton(s)


def match(*oxms):
    """struct ofp_match of type OXM, padded to 8."""
    body = b"".join(oxms)
    return pad8(struct.pack("!HH", 1, 4 + len(body)) + body)


def match_udp4(in_port, src, dst, sport, dport):
    """The exact match of a UDP/IPv4 flow arriving on in_port."""
    return match(oxm(OXM_IN_PORT, u32(in_port)), oxm(OXM_ETH_TYPE, u16(0x0800)),
                 oxm(OXM_IP_PROTO, u8(17)), oxm(OXM_IPV4_SRC, ip4(src)),
                 oxm(OXM_IPV4_DST, ip4(dst)), oxm(OXM_UDP_SRC, u16(sport)),
                 oxm(OXM_UDP_DST, u16(dport)))


def parse_match(b, off):
    """The OXM TLVs of the ofp_match at b[off:], as {field: (value, mask)}, and the padded
    length; raises ValueError on a malformed match."""
    mtype, mlen = struct.unpack_from("!HH", b, off)
    if mtype != 1 or mlen < 4 or off + mlen > len(b):
        raise ValueError("match type %d length %d at %d of %d" % (mtype, mlen, off, len(b)))
    fields = {}
    p, end = off + 4, off + mlen
    while p < end:
        if p + 4 > end:
            raise ValueError("an OXM header runs past the match")
        cls, fh, ln = struct.unpack_from("!HBB", b, p)
        if cls != 0x8000 or p + 4 + ln > end:
            raise ValueError("OXM class 0x%x length %d" % (cls, ln))
        val = b[p + 4:p + 4 + ln]
        if fh & 1:
            fields[fh >> 1] = (val[:ln // 2], val[ln // 2:])
        else:
            fields[fh >> 1] = (val, None)
        p += 4 + ln
    return fields, (mlen + 7) // 8 * 8


def output(port, max_len=0):
    return struct.pack("!HHIH6x", OFPAT_OUTPUT, 16, port, max_len)


def set_field(oxm_tlv):
    return pad8(struct.pack("!HH", OFPAT_SET_FIELD, len(pad8(b"\0" * 4 + oxm_tlv))) + oxm_tlv)


def apply_actions(*actions):
    acts = b"".join(actions)
    return struct.pack("!HH4x", OFPIT_APPLY_ACTIONS, 8 + len(acts)) + acts


def parse_outputs(instrs):
    """The output ports of an instruction list (APPLY and WRITE actions), in order."""
    ports, p = [], 0
    while p + 4 <= len(instrs):
        it, ln = struct.unpack_from("!HH", instrs, p)
        if ln < 8:
            break
        if it in (3, 4):  # WRITE_ACTIONS, APPLY_ACTIONS
            q = p + 8
            while q + 4 <= p + ln:
                at, aln = struct.unpack_from("!HH", instrs, q)
                if aln < 8:
                    break
                if at == OFPAT_OUTPUT:
                    ports.append(struct.unpack_from("!I", instrs, q + 4)[0])
                q += aln
        p += ln
    return ports


# ---- controller-to-switch messages ----------------------------------------------------------

def hello(versions=(4,), version=OFP_VERSION, xid=None):
    """HELLO with a VERSIONBITMAP element for these versions (none: a bare HELLO)."""
    body = b""
    if versions:
        bitmap = 0
        for v in versions:
            bitmap |= 1 << v
        body = pad8(struct.pack("!HHI", 1, 8, bitmap))
    return msg(OFPT_HELLO, body, xid, version)


def echo_request(data=b""):
    return msg(OFPT_ECHO_REQUEST, data)


def features_request():
    return msg(OFPT_FEATURES_REQUEST)


def get_config_request():
    return msg(OFPT_GET_CONFIG_REQUEST)


def set_config(flags, miss_send_len):
    return msg(OFPT_SET_CONFIG, struct.pack("!HH", flags, miss_send_len))


def barrier_request():
    return msg(OFPT_BARRIER_REQUEST)


def role_request(role, generation):
    return msg(OFPT_ROLE_REQUEST, struct.pack("!I4xQ", role, generation))


def get_async_request():
    return msg(OFPT_GET_ASYNC_REQUEST)


def set_async(pin=(0x3, 0), port_status=(0x7, 0x7), flow_removed=(0xf, 0)):
    return msg(OFPT_SET_ASYNC, struct.pack("!6I", pin[0], pin[1], port_status[0],
                                           port_status[1], flow_removed[0], flow_removed[1]))


def flow_mod(match_b, instrs=b"", command=OFPFC_ADD, priority=100, cookie=0, cookie_mask=0,
             table_id=0, idle=0, hard=0, buffer_id=OFP_NO_BUFFER, out_port=OFPP_ANY,
             out_group=OFPG_ANY, flags=0):
    body = struct.pack("!QQBBHHHIIIH2x", cookie, cookie_mask, table_id, command, idle, hard,
                       priority, buffer_id, out_port, out_group, flags)
    return msg(OFPT_FLOW_MOD, body + match_b + instrs)


def packet_out(actions, buffer_id=OFP_NO_BUFFER, in_port=OFPP_CONTROLLER, data=b""):
    acts = b"".join(actions)
    return msg(OFPT_PACKET_OUT, struct.pack("!IIH6x", buffer_id, in_port, len(acts)) + acts +
               data)


def multipart_request(mp_type, body=b"", flags=0):
    return msg(OFPT_MULTIPART_REQUEST, struct.pack("!HH4x", mp_type, flags) + body)


def flow_stats_request(table_id=0xff, out_port=OFPP_ANY, cookie=0, cookie_mask=0,
                       match_b=None):
    body = struct.pack("!B3xII4xQQ", table_id, out_port, OFPG_ANY, cookie, cookie_mask)
    return multipart_request(OFPMP_FLOW, body + (match_b if match_b is not None else match()))


def port_stats_request(port=OFPP_ANY):
    return multipart_request(OFPMP_PORT_STATS, struct.pack("!I4x", port))


def set_alternatives(service_port, allow, redirect_ports):
    body = struct.pack(layout_fmt(ALTERNATIVES_FIELDS), service_port, allow,
                       len(redirect_ports))
    body += b"".join(u32(p) for p in redirect_ports)
    return msg(OFPT_EXPERIMENTER, struct.pack("!II", SDNFV_EXPERIMENTER,
                                              SDNFV_EXP_SET_ALTERNATIVES) + body)


# ---- switch-to-controller messages ------------------------------------------------------------

class Msg:
    """One message as it came: version, type, length, xid, and the whole of it in raw."""

    def __init__(self, raw):
        self.version, self.type, self.length, self.xid = struct.unpack_from("!BBHI", raw)
        self.raw = raw
        self.body = raw[8:]

    def __repr__(self):
        return "Msg(v%d type %d len %d xid 0x%x %s)" % (self.version, self.type, self.length,
                                                        self.xid, self.raw[8:40].hex())


def parse_error(m):
    """(type, code, data) of an ERROR."""
    t, c = struct.unpack_from("!HH", m.raw, 8)
    return t, c, m.raw[12:]


def parse_packet_in(m):
    """A PACKET_IN as a dict; raises ValueError/struct.error when malformed."""
    buffer_id, total_len, reason, table_id, cookie = struct.unpack_from("!IHBBQ", m.raw, 8)
    fields, mlen = parse_match(m.raw, 24)
    off = 24 + mlen
    if m.raw[off:off + 2] != b"\0\0":
        raise ValueError("the 2 pad bytes after the match are not zero")
    in_port = fields.get(OXM_IN_PORT, (None,))[0]
    return {"buffer_id": buffer_id, "total_len": total_len, "reason": reason,
            "table_id": table_id, "cookie": cookie, "fields": fields,
            "in_port": struct.unpack("!I", in_port)[0] if in_port and len(in_port) == 4 else None,
            "data": m.raw[off + 2:]}


def parse_flow_removed(m):
    (cookie, priority, reason, table_id, dsec, dnsec, idle, hard, packets,
     nbytes) = struct.unpack_from("!QHBBIIHHQQ", m.raw, 8)
    fields, _ = parse_match(m.raw, 48)
    return {"cookie": cookie, "priority": priority, "reason": reason, "table_id": table_id,
            "duration_sec": dsec, "idle_timeout": idle, "hard_timeout": hard,
            "packet_count": packets, "byte_count": nbytes, "fields": fields}


def parse_port(b, off):
    """struct ofp_port (64 bytes) at b[off:]."""
    (port_no, hw, name, config, state, curr, adv, sup, peer, curr_speed,
     max_speed) = struct.unpack_from("!I4x6s2x16sIIIIIIII", b, off)
    return {"port_no": port_no, "hw_addr": hw, "name": name.split(b"\0")[0].decode(),
            "config": config, "state": state, "curr_speed": curr_speed}


def parse_port_status(m):
    reason = m.raw[8]
    p = parse_port(m.raw, 16)
    p["reason"] = reason
    return p


def parse_flow_stats(body):
    """The entries of a FLOW multipart reply body: dicts with the outputs of their
    instructions."""
    out, p = [], 0
    while p + 48 <= len(body):
        (ln, table_id, dsec, dnsec, priority, idle, hard, flags, cookie, packets,
         nbytes) = struct.unpack_from("!HBxIIHHHH4xQQQ", body, p)
        if ln < 56 or p + ln > len(body):
            raise ValueError("flow stats entry of length %d at %d of %d" % (ln, p, len(body)))
        fields, mlen = parse_match(body, p + 48)
        out.append({"table_id": table_id, "priority": priority, "idle_timeout": idle,
                    "flags": flags, "cookie": cookie, "packet_count": packets,
                    "byte_count": nbytes, "fields": fields,
                    "outputs": parse_outputs(body[p + 48 + mlen:p + ln])})
        p += ln
    return out


def parse_port_stats(body):
    out, p = {}, 0
    while p + 112 <= len(body):
        v = struct.unpack_from("!I4x8Q", body, p)
        out[v[0]] = {"rx_packets": v[1], "tx_packets": v[2], "rx_bytes": v[3], "tx_bytes": v[4]}
        p += 112
    return out


# ---- the connection -----------------------------------------------------------------------------

class Closed(Exception):
    pass


class Conn:
    """A TCP connection to the agent. Messages are read whole (framed by their length field);
    those a wait passes over are kept in order for later (self.queue)."""

    def __init__(self, port, host="127.0.0.1", do_hello=True, timeout=10.0):
        deadline = time.time() + timeout
        while True:
            try:
                self.s = socket.create_connection((host, port), timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.queue = []
        self.answer_probes = True
        self.probes = 0
        self.eof = False
        self.their_hello = None
        if do_hello:
            self.their_hello = self.expect(OFPT_HELLO, None, 5)
            self.send(hello()[0])
            # Answered only once the session is up: asynchronous messages flow from then on.
            self.up = self.echo_ok(5)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, raw):
        """Send bytes (one message, several, or a piece); returns nothing. A connection the
        agent closed raises Closed."""
        try:
            self.s.sendall(raw)
        except OSError as e:
            raise Closed(str(e))

    def request(self, m):
        """Send a (bytes, xid) pair; returns the xid."""
        self.send(m[0])
        return m[1]

    def _read(self, timeout):
        """Read what is there within timeout; False on timeout, raises Closed on EOF."""
        if self.eof:
            raise Closed("eof")
        r, _, _ = select.select([self.s], [], [], max(timeout, 0))
        if not r:
            return False
        try:
            data = self.s.recv(1 << 16)
        except OSError as e:
            if e.errno in (errno.ECONNRESET, errno.EPIPE):
                data = b""
            else:
                raise
        if not data:
            self.eof = True
            raise Closed("eof")
        self.buf += data
        return True

    def _next(self, deadline):
        """The next message off the socket, or None at the deadline."""
        while True:
            if len(self.buf) >= 8:
                ln = struct.unpack_from("!H", self.buf, 2)[0]
                if ln < 8:
                    raise ValueError("the switch sent a message of length %d" % ln)
                if len(self.buf) >= ln:
                    m = Msg(self.buf[:ln])
                    self.buf = self.buf[ln:]
                    if m.type == OFPT_ECHO_REQUEST and self.answer_probes:
                        # The agent's inactivity probe: answered, as a controller does.
                        self.probes += 1
                        self.send(msg(OFPT_ECHO_REPLY, m.body, m.xid)[0])
                        continue
                    return m
            if not self._read(deadline - time.time()):
                return None

    def expect(self, type_, xid, timeout=3.0):
        """The first message of this type (and xid, unless None), from the queue or the
        socket; None at the timeout. Others are queued."""
        for i, m in enumerate(self.queue):
            if m.type == type_ and (xid is None or m.xid == xid):
                return self.queue.pop(i)
        deadline = time.time() + timeout
        while True:
            m = self._next(deadline)
            if m is None:
                return None
            if m.type == type_ and (xid is None or m.xid == xid):
                return m
            self.queue.append(m)

    def reply(self, xid, timeout=3.0):
        """The first message carrying this xid, whatever its type (a reply or an ERROR)."""
        for i, m in enumerate(self.queue):
            if m.xid == xid and m.type not in (OFPT_PACKET_IN, OFPT_PORT_STATUS,
                                               OFPT_FLOW_REMOVED, OFPT_EXPERIMENTER):
                return self.queue.pop(i)
        deadline = time.time() + timeout
        while True:
            m = self._next(deadline)
            if m is None:
                return None
            if m.xid == xid and m.type not in (OFPT_PACKET_IN, OFPT_PORT_STATUS,
                                               OFPT_FLOW_REMOVED):
                return m
            self.queue.append(m)

    def collect(self, type_, timeout):
        """Every message of this type that is queued or comes within timeout."""
        got = [m for m in self.queue if m.type == type_]
        self.queue = [m for m in self.queue if m.type != type_]
        deadline = time.time() + timeout
        while True:
            m = self._next(deadline)
            if m is None:
                return got
            if m.type == type_:
                got.append(m)
            else:
                self.queue.append(m)

    def drain(self, timeout=0.1):
        """Read and queue whatever comes within timeout."""
        deadline = time.time() + timeout
        m = self._next(deadline)
        while m is not None:
            self.queue.append(m)
            m = self._next(deadline)

    def closed_within(self, timeout):
        """True when the agent closes the connection within timeout (what it sends meanwhile
        is queued)."""
        deadline = time.time() + timeout
        try:
            while time.time() < deadline:
                m = self._next(deadline)
                if m is None:
                    return False
                self.queue.append(m)
        except Closed:
            return True
        return False

    def echo_ok(self, timeout=3.0):
        """True when an ECHO_REQUEST is answered by an ECHO_REPLY with the same xid and data."""
        data = b"still there %d" % next_xid()
        try:
            xid = self.request(echo_request(data))
            m = self.expect(OFPT_ECHO_REPLY, xid, timeout)
        except Closed:
            return False
        return m is not None and m.body == data

    def barrier(self, timeout=3.0):
        xid = self.request(barrier_request())
        return self.expect(OFPT_BARRIER_REPLY, xid, timeout) is not None

    def multipart(self, m, timeout=3.0):
        """Send a MULTIPART_REQUEST; the bodies of its replies joined (parts with REPLY_MORE
        followed), or the ERROR message."""
        xid = self.request(m)
        bodies = []
        while True:
            r = self.reply(xid, timeout)
            if r is None or r.type == OFPT_ERROR:
                return r
            bodies.append(r.raw[16:])
            if not struct.unpack_from("!H", r.raw, 10)[0] & 1:
                return b"".join(bodies)
