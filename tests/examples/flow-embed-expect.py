#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What examples/flow_embed/rules.txt does to each packet of the demo capture, decided here
independently (dpkt, plain Python), against what flow_embed wrote.
usage: flow-embed-expect.py IN OUT0 OUT1 SUMMARY"""
import re
import socket
import sys

import dpkt


def frames(path):
    with open(path, "rb") as f:
        return [bytes(b) for _, b in dpkt.pcap.Reader(f)]


def decide(buf):
    """0 or 1 (output port), 'drop', or None (no rule): the rules of rules.txt by hand."""
    eth = dpkt.ethernet.Ethernet(buf)
    tags = getattr(eth, "vlan_tags", []) or []
    ip = eth.data
    v4 = isinstance(ip, dpkt.ip.IP) and ip.len <= len(buf) - 14 - 4 * len(tags)
    v6 = isinstance(ip, dpkt.ip6.IP6)
    l4 = ip.data if (v4 or v6) else None
    later = v4 and ip.offset != 0
    tcp = isinstance(l4, dpkt.tcp.TCP) and not later
    udp = isinstance(l4, dpkt.udp.UDP) and not later
    cands = []  # (priority, action)
    if tcp and (l4.sport == 80 or l4.dport == 80):
        cands.append((200, 1))
    if v4 and not later and isinstance(l4, dpkt.tcp.TCP) and \
            socket.inet_aton("192.0.2.80") in (ip.src, ip.dst):
        cands.append((150, 1))
    if v4 and udp and 53 in (l4.sport, l4.dport):
        cands.append((100, 0))
    if v4 and not later and isinstance(l4, dpkt.icmp.ICMP) and l4.type in (0, 8):
        cands.append((90, "drop"))
    if v6 and ip.nxt == 58:
        cands.append((80, "drop"))
    if tags:
        cands.append((70, 1) if tags[0].id == 100 else (60, "drop"))
    # `ip` and `ipv6` are EtherType matches only (dl_type, as in Open vSwitch): a malformed IPv4
    # frame still is an IPv4 frame.
    et = int.from_bytes(buf[12:14], "big")
    off = 14
    while et in (0x8100, 0x88a8, 0x9100) and len(buf) >= off + 4:
        et = int.from_bytes(buf[off + 2:off + 4], "big")
        off += 4
    if et in (0x0800, 0x86dd):
        cands.append((1, 0))
    return max(cands, key=lambda c: c[0])[1] if cands else None


def main():
    src, out0, out1, summary = sys.argv[1:5]
    want = {0: [], 1: []}
    dropped = miss = 0
    for f in frames(src):
        d = decide(f)
        if d == "drop":
            dropped += 1
        elif d is None:
            miss += 1
        else:
            want[d].append(f)
    for port, path in ((0, out0), (1, out1)):
        got = frames(path)
        if got != want[port]:
            sys.exit("port %d: %d packets out, %d expected (or not the same ones in order)"
                     % (port, len(got), len(want[port])))
    text = open(summary).read()
    m = re.search(r"(\d+) packets in, (\d+) out, (\d+) dropped by rule, (\d+) with no rule", text)
    total = sum(len(v) for v in want.values())
    if not m or tuple(map(int, m.groups())) != (total + dropped + miss, total, dropped, miss):
        sys.exit("summary counts differ from the expected %d in, %d out, %d dropped, %d no rule"
                 % (total + dropped + miss, total, dropped, miss))
    per_rule = sum(int(x) for x in re.findall(r"^\s+(\d+) packets", text, re.M))
    if per_rule != total + dropped:
        sys.exit("per-rule packets add up to %d, not %d" % (per_rule, total + dropped))
    print("port 0: %d, port 1: %d, dropped %d, no rule %d: as the rules say"
          % (len(want[0]), len(want[1]), dropped, miss))


if __name__ == "__main__":
    main()
