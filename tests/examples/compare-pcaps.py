#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that OUT holds exactly the packets of IN, in order (timestamps differ: net_pcap writes
wall-clock time), and that the summary's packet and flow counts match an independent count made
here with dpkt. usage: compare-pcaps.py IN OUT SUMMARY"""
import re
import sys

import dpkt


def frames(path):
    with open(path, "rb") as f:
        return [bytes(buf) for _, buf in dpkt.pcap.Reader(f)]


def five_tuple(buf):
    """dpkt's view of a frame's flow: (src, dst, proto, sport, dport), or None when the frame has
    no IP header a strict parser would accept."""
    try:
        eth = dpkt.ethernet.Ethernet(buf)
    except (dpkt.UnpackError, dpkt.NeedData):
        return None
    ip = eth.data
    if isinstance(ip, dpkt.ip.IP):
        # dpkt cuts a datagram to what the frame holds; a total length beyond it is a lie.
        if ip.len > len(ip.pack_hdr()) + len(ip.opts) + len(bytes(ip.data)):
            return None
        later = ip.offset != 0
    elif isinstance(ip, dpkt.ip6.IP6):
        later = 44 in getattr(ip, "extension_hdrs", {}) and \
            ip.extension_hdrs[44] is not None and ip.extension_hdrs[44].frag_off != 0
    else:
        return None
    l4, sport, dport = ip.data, 0, 0
    if later:
        pass
    elif isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
        sport, dport = l4.sport, l4.dport
    elif isinstance(l4, (dpkt.icmp.ICMP, dpkt.icmp6.ICMP6)):
        query = l4.type in ((0, 8, 13, 14, 15, 16, 17, 18) if isinstance(l4, dpkt.icmp.ICMP) else (128, 129))
        if query:
            sport = dport = int.from_bytes(bytes(l4.data)[:2], "big")
        else:
            sport, dport = l4.type, l4.code
    return (bytes(ip.src), bytes(ip.dst), ip.p, sport, dport)


def main():
    src, out, summary = sys.argv[1:4]
    a, b = frames(src), frames(out)
    if len(a) != len(b):
        sys.exit("%d packets in, %d out" % (len(a), len(b)))
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            sys.exit("packet %d differs" % (i + 1))
    text = open(summary).read()
    m = re.search(r"(\d+) packets \(\d+ bytes\) in .*?, (\d+) out", text)
    if not m or int(m.group(1)) != len(a) or int(m.group(2)) != len(a):
        sys.exit("summary does not report %d packets in and out" % len(a))
    flows = {t for t in map(five_tuple, a) if t is not None}
    m = re.search(r"flows (\d+), connections \(both directions as one\) (\d+)", text)
    if not m:
        sys.exit("summary has no flow count")
    if int(m.group(1)) != len(flows):
        sys.exit("summary reports %s flows, dpkt counts %d" % (m.group(1), len(flows)))
    print("%d packets forwarded unchanged and in order; %d flows, as dpkt counts" % (len(a), len(flows)))


if __name__ == "__main__":
    main()
