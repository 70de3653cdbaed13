# SPDX-License-Identifier: BSD-3-Clause
"""A plain reference scan with the dpi NF's semantics (examples/dpi/README.md), for comparison.

No Hyperscan: contents are found with bytes.find (nocase: both sides lower-cased), pcres with
Python's re on the stream prefix (the earliest end of a match: a binary search on the prefix
length). Flows come from dpkt; TCP payload is reassembled in sequence order as the NF does (a
retransmitted overlap trimmed, a gap ends the direction's inspection; a SYN with a new ISN on a
known direction starts a new connection: without ACK both directions and the fired sids start
afresh, a SYN-ACK restarts its own direction). Understands the subset of
the rule language the tests use: actions, tcp/udp/icmp/ip, any or CIDR addresses and lists,
ports, -> and <>, msg, sid, rev, content (|hex|, nocase, offset, depth), pcre (i, s, m).
"""
import ipaddress
import re
import socket
import struct

import dpkt


def _split_opts(s):
    out, cur, q, i = [], "", False, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur += s[i:i + 2]
            i += 2
            continue
        if c == '"':
            q = not q
        if c == ";" and not q:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


def _content(v):
    v = v[1:-1]
    out, i = bytearray(), 0
    while i < len(v):
        if v[i] == "|":
            j = v.index("|", i + 1)
            out += bytes.fromhex(v[i + 1:j].replace(" ", ""))
            i = j + 1
        elif v[i] == "\\":
            out.append(ord(v[i + 1]))
            i += 2
        else:
            out.append(ord(v[i]))
            i += 1
    return bytes(out)


def _addrs(s):
    if s == "any":
        return None
    neg = s.startswith("!")
    s = s.lstrip("!").strip("[]")
    return neg, [ipaddress.ip_network(x, strict=False) for x in re.split(r"[ ,]+", s) if x]


def _ports(s):
    if s == "any":
        return None
    neg = s.startswith("!")
    s = s.lstrip("!").strip("[]")
    rng = []
    for x in re.split(r"[ ,]+", s):
        if ":" in x:
            a, b = x.split(":")
            rng.append((int(a or 0), int(b or 65535)))
        elif x:
            rng.append((int(x), int(x)))
    return neg, rng


def parse_rules(path):
    rules = []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, opts = line.split("(", 1)
        act, proto, src, sp, d, dst, dp = re.findall(r"\[[^\]]*\]|\S+", head)
        r = {"action": act, "proto": proto, "src": _addrs(src), "sport": _ports(sp),
             "dst": _addrs(dst), "dport": _ports(dp), "bidir": d == "<>", "pats": []}
        for o in _split_opts(opts.rstrip().rstrip(")")):
            name, _, val = o.partition(":")
            name, val = name.strip(), val.strip()
            if name == "sid":
                r["sid"] = int(val)
            elif name == "content":
                r["pats"].append({"content": _content(val), "nocase": False, "offset": 0,
                                  "depth": None})
            elif name == "nocase":
                r["pats"][-1]["nocase"] = True
            elif name == "offset":
                r["pats"][-1]["offset"] = int(val)
            elif name == "depth":
                r["pats"][-1]["depth"] = int(val)
            elif name == "pcre":
                body = val[1:-1].replace('\\"', '"').replace("\\;", ";")
                last = body.rindex("/")
                flags = 0
                for f in body[last + 1:]:
                    flags |= {"i": re.I, "s": re.S, "m": re.M}[f]
                r["pats"].append({"pcre": re.compile(body[1:last].encode(), flags)})
        rules.append(r)
    return rules


def _addr_ok(spec, a):
    if spec is None:
        return True
    neg, nets = spec
    ip = ipaddress.ip_address(a)
    hit = any(ip.version == n.version and ip in n for n in nets)
    return hit != neg


def _port_ok(spec, p):
    if spec is None:
        return True
    neg, rng = spec
    return any(lo <= p <= hi for lo, hi in rng) != neg


def header_ok(r, proto, s, sp, d, dp):
    if r["proto"] == "tcp" and proto != 6 or r["proto"] == "udp" and proto != 17:
        return False
    if r["proto"] == "icmp" and proto not in (1, 58):
        return False
    fwd = (_addr_ok(r["src"], s) and _port_ok(r["sport"], sp) and _addr_ok(r["dst"], d) and
           _port_ok(r["dport"], dp))
    rev = (r["bidir"] and _addr_ok(r["src"], d) and _port_ok(r["sport"], dp) and
           _addr_ok(r["dst"], s) and _port_ok(r["dport"], sp))
    return fwd or rev


def pat_end(p, data):
    """The earliest end offset of a pattern in a stream, or None."""
    if "content" in p:
        c = p["content"]
        hay = data.lower() if p["nocase"] else data
        needle = c.lower() if p["nocase"] else c
        i = hay.find(needle, p["offset"])
        if i < 0:
            return None
        end = i + len(c)
        if p["depth"] is not None and end > p["offset"] + p["depth"]:
            return None
        return end
    rx = p["pcre"]
    if rx.search(data) is None:
        return None
    lo, hi = 1, len(data)
    while lo < hi:
        mid = (lo + hi) // 2
        if rx.search(data[:mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _key_addr(a):
    return a + b"\0" * (16 - len(a))


def packets(path):
    """(frame number, proto, src, sport, dst, dport, payload, tcp) per inspectable packet."""
    with open(path, "rb") as f:
        for no, (_, buf) in enumerate(dpkt.pcap.Reader(f), 1):
            try:
                eth = dpkt.ethernet.Ethernet(buf)
            except (dpkt.UnpackError, dpkt.NeedData):
                continue
            ip = eth.data
            if getattr(eth, "mpls_labels", None):
                continue  # the NF's parser does not walk MPLS: such frames are not inspected
            if isinstance(ip, dpkt.ip.IP):
                if ip.mf or ip.offset:
                    continue
                fam = socket.AF_INET
            elif isinstance(ip, dpkt.ip6.IP6):
                fam = socket.AF_INET6
            else:
                continue
            if (fam == socket.AF_INET and len(ip) < ip.len) or \
                    (fam == socket.AF_INET6 and len(ip) < 40 + ip.plen):
                continue  # a length beyond the frame: malformed, the NF passes it uninspected
            l4 = ip.data
            proto = ip.p if fam == socket.AF_INET else ip.nxt
            if proto in (6, 17) and not isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                continue  # a TCP/UDP header cut short: malformed
            if isinstance(l4, dpkt.tcp.TCP):
                sp, dp, payload = l4.sport, l4.dport, bytes(l4.data)
                proto = 6
            elif isinstance(l4, dpkt.udp.UDP):
                sp, dp, payload = l4.sport, l4.dport, bytes(l4.data)
                proto = 17
            elif isinstance(l4, (dpkt.icmp.ICMP, dpkt.icmp6.ICMP6)):
                sp = dp = None
                payload = bytes(l4)[8:]
            else:
                sp = dp = None
                payload = bytes(l4) if not isinstance(l4, bytes) else l4
            yield (no, proto, socket.inet_ntop(fam, ip.src), sp, socket.inet_ntop(fam, ip.dst),
                   dp, payload, l4 if proto == 6 else None, ip.src, ip.dst)


def scan(pcap, rules):
    """The alerts the NF must give: dicts with pkt, sid, action, proto, src, sport, dst, dport,
    offset (ports None for protocols without ports)."""
    flows = {}
    order = 0
    for no, proto, s, sp, d, dp, payload, tcp, sraw, draw in packets(pcap):
        a = (_key_addr(sraw), sp or 0)
        b = (_key_addr(draw), dp or 0)
        swap = a > b
        key = (proto,) + ((b, a) if swap else (a, b))
        fl = flows.setdefault(key, {"order": order, "dirs": {}, "gen": 0, "old": []})
        order += 1
        syn = tcp is not None and tcp.flags & dpkt.tcp.TH_SYN
        old = fl["dirs"].get(int(swap))
        if syn and old is not None and old["next"] is not None and old["isn"] != tcp.seq:
            # A new connection on the 5-tuple (not modelled: a flow dropped stays dropped).
            if tcp.flags & dpkt.tcp.TH_ACK:
                fl["old"].append((fl["gen"], old))
                del fl["dirs"][int(swap)]
            else:
                fl["old"] += [(fl["gen"], v) for v in fl["dirs"].values()]
                fl["dirs"] = {}
                fl["gen"] += 1
        dr = fl["dirs"].setdefault(int(swap), {"data": b"", "ends": [], "next": None,
                                               "isn": None, "stopped": False,
                                               "tuple": (s, sp, d, dp)})
        if dr["stopped"]:
            continue
        if tcp is not None:
            seq = tcp.seq + (1 if syn else 0)
            if dr["next"] is None:
                dr["next"] = seq
                dr["isn"] = tcp.seq if syn else None
            diff = ((seq - dr["next"] + 2**31) % 2**32) - 2**31
            if diff > 0:
                if payload:
                    dr["stopped"] = True
                payload = b""
            elif diff < 0:
                payload = payload[-diff:]
            dr["next"] = (dr["next"] + len(payload)) % 2**32
        if payload:
            dr["data"] += payload
            dr["ends"].append((len(dr["data"]), no))
    cands = []
    for fkey, fl in flows.items():
        for gen, dr in fl["old"] + [(fl["gen"], v) for v in fl["dirs"].values()]:
            key = fkey + (gen,)
            s, sp, d, dp = dr["tuple"]
            for r in rules:
                if not header_ok(r, key[0], s, sp, d, dp):
                    continue
                ends = [pat_end(p, dr["data"]) for p in r["pats"]]
                if None in ends:
                    continue
                off = max(ends)
                pkt = next(n for e, n in dr["ends"] if e >= off)
                cands.append((pkt, key, r, s, sp, d, dp, off))
    cands.sort(key=lambda c: c[0])
    fired, stopped, out = set(), {}, []
    for pkt, key, r, s, sp, d, dp, off in cands:
        if key in stopped and pkt > stopped[key]:
            continue
        if (key, r["sid"]) in fired:
            continue
        fired.add((key, r["sid"]))
        if r["action"] in ("drop", "pass") and key not in stopped:
            stopped[key] = pkt
        out.append({"pkt": pkt, "sid": r["sid"], "action": r["action"], "proto": key[0],
                    "src": s, "sport": sp, "dst": d, "dport": dp, "offset": off})
    return out


def read_alerts(path):
    """The NF's --alerts file, as scan() gives them."""
    out = []
    for line in open(path):
        f = line.split()
        kv = dict(zip(f[0::2], f[1::2]))
        proto = int(kv["proto"])
        ports = proto in (6, 17)
        out.append({"pkt": int(kv["pkt"]), "sid": int(kv["sid"]), "action": kv["action"],
                    "proto": proto, "src": kv["src"], "sport": int(kv["sport"]) if ports else None,
                    "dst": kv["dst"], "dport": int(kv["dport"]) if ports else None,
                    "offset": int(kv["offset"])})
    return out
