# SPDX-License-Identifier: BSD-3-Clause
"""What the project's traffic generators (gen-traffic.py, gen-site-traffic.py) share: malformed
frames, interleaving flows as a link would, and a reproducible pcap writer."""
import sys

from scapy.all import IP, TCP, Ether, PcapWriter, Raw


def malformed(src, dst, mac_src, mac_dst):
    """Three frames a parser must report, not crash on: a truncated IPv4 header, a TCP header cut
    short, an IPv4 total length far beyond the frame."""
    good = Ether(src=mac_src, dst=mac_dst) / IP(src=src, dst=dst) / TCP(sport=6666, dport=80) / Raw(b"x" * 20)
    raw = bytes(good)
    lying = bytearray(raw)
    lying[16:18] = (1500).to_bytes(2, "big")
    return [Ether(raw[:14 + 12]), Ether(raw[:14 + 20 + 10]), Ether(bytes(lying))]


def interleave(rnd, flows):
    """Each next packet from a random live flow; each flow keeps its own order."""
    out, live = [], [list(f) for f in flows]
    while live:
        f = rnd.choice(live)
        out.append(f.pop(0))
        if not f:
            live.remove(f)
    return out


def write(path, frames):
    """Write frames with fixed timestamps, so that the file is byte-for-byte reproducible."""
    w = PcapWriter(path, linktype=1, sync=True)
    t = 1_700_000_000.0
    for i, f in enumerate(frames):
        f.time = t + i * 0.0005
        w.write(f)
    w.close()
    print("%s: %d frames" % (path, len(frames)), file=sys.stderr)
