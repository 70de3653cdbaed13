#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The NAT as an NF process in a service chain: pcap -> manager -> nat -> pcap.

usage: e2e_chain.py      (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT, SDNFV_TEST_PREFIX)

Crafted traffic (scapy) through examples/nat/nat.conf: outbound UDP, TCP and ICMP echo, their
answers, an ICMP error about the UDP flow, a forwarded connection, and bad input (an unsolicited
datagram, a lying IPv4 length, a fragment) plus an IPv6 packet that is not the NAT's business.
Ports in the range are preserved, so the translations are known in advance. Every packet that
comes out must be translated as expected and carry checksums that scapy, recomputing them from
scratch, agrees with (the embedded header's too); the summary line counts the drops by reason.
"""
import os
import re
import sys
import tempfile
import subprocess

from scapy.all import (IP, UDP, TCP, ICMP, IPv6, Ether, Raw, IPerror, UDPerror,  # noqa: E402
                       wrpcap)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from host import (BUILD, SOURCE, RUNTIME, verdict, check, read_frames, Host,  # noqa: E402
                  policy_file)

NAT = os.path.join(BUILD, "examples", "nat", "nat")
EXT = "203.0.113.1"

POLICY = """
services:
  nat: {}
chains:
  masq:
    hops: [nat]
    out: 0
rules:
  - { match: "", priority: 0, chain: masq }
miss: drop
"""


def eth():
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def traffic():
    out_udp = IP(src=EXT, dst="198.51.100.1") / UDP(sport=5000, dport=53) / Raw(b"q" * 12)
    frames = [
        eth() / IP(src="10.0.0.2", dst="198.51.100.1") / UDP(sport=5000, dport=53) / Raw(b"q" * 12),
        eth() / IP(src="10.0.0.2", dst="198.51.100.9") / UDP(sport=5000, dport=123) / Raw(b"n"),
        eth() / IP(src="10.0.0.3", dst="198.51.100.2") / TCP(sport=40000, dport=80, flags="S"),
        eth() / IP(src="10.0.0.4", dst="198.51.100.3") / ICMP(type=8, id=7777, seq=1) / Raw(b"p" * 8),
        eth() / IP(src="198.51.100.1", dst=EXT) / UDP(sport=53, dport=5000) / Raw(b"a" * 20),
        eth() / IP(src="198.51.100.2", dst=EXT) / TCP(sport=80, dport=40000, flags="SA"),
        eth() / IP(src="198.51.100.3", dst=EXT) / ICMP(type=0, id=7777, seq=1) / Raw(b"p" * 8),
        eth() / IP(src="198.51.100.1", dst=EXT) / ICMP(type=3, code=3) / bytes(out_udp),
        eth() / IP(src="198.51.100.7", dst=EXT) / TCP(sport=33000, dport=8080, flags="S"),
        # Bad input: unsolicited, a lying total length, a fragment; IPv6 passes.
        eth() / IP(src="198.51.100.1", dst=EXT) / UDP(sport=53, dport=6000),
        eth() / IP(src="10.0.0.2", dst="198.51.100.1", len=1000) / UDP(sport=5000, dport=53),
        eth() / IP(src="10.0.0.2", dst="198.51.100.1", flags="MF") / UDP(sport=5001, dport=53) /
        Raw(b"f" * 32),
        eth() / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=2),
    ]
    return [Ether(bytes(f)) for f in frames]


def cksums_ok(p):
    """scapy recomputes every checksum of the packet from scratch: do they agree?"""
    q = Ether(bytes(p))
    for layer in (IP, UDP, TCP, ICMP, IPerror, UDPerror):
        if layer in q and hasattr(q[layer], "chksum"):
            if layer is UDP and q[UDP].chksum == 0:
                continue
            del q[layer].chksum
    return bytes(Ether(bytes(q))) == bytes(p)


def main():
    tmp = tempfile.mkdtemp(prefix="sdnfv-natc-")
    h = None
    try:
        src, out = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
        wrpcap(src, traffic())
        h = Host(tmp, policy_file(tmp, POLICY),
                 ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, out)],
                 ["--idle-exit", "300", "--min-nfs", "1"])
        check(h.wait_ready(), "manager ready")
        h.proc(NAT, "--config", os.path.join(SOURCE, "examples", "nat", "nat.conf"))
        rc, nf_rcs = h.wait(60)
        text = h.nf_output()[0]
        print(text)
        check(rc == 0 and nf_rcs == [0], "manager and NAT finish cleanly")
        got = [Ether(f) for f in read_frames(out)]
        check(len(got) == 10, "10 of 13 packets come out (%d)" % len(got))
        check(all(cksums_ok(p) for p in got if IP in p),
              "every checksum out is what scapy computes from scratch")
        bad = Ether(bytes(traffic()[0]))
        bad[UDP].chksum ^= 1
        check(not cksums_ok(Ether(bytes(bad))), "(the checksum check sees a wrong one)")

        def find(pred):
            return [p for p in got if IP in p and pred(p)]

        check(len(find(lambda p: UDP in p and p[IP].src == EXT and p[UDP].sport == 5000)) == 2,
              "outbound UDP: one mapping, the port preserved, for two destinations (EIM)")
        check(find(lambda p: TCP in p and p[IP].src == EXT and p[TCP].sport == 40000),
              "outbound TCP translated")
        check(find(lambda p: ICMP in p and p[ICMP].type == 8 and p[IP].src == EXT and
                   p[ICMP].id == 7777), "outbound echo translated")
        check(find(lambda p: UDP in p and IPerror not in p and p[IP].dst == "10.0.0.2" and
                   p[UDP].dport == 5000), "inbound UDP answer reaches 10.0.0.2:5000")
        check(find(lambda p: TCP in p and p[IP].dst == "10.0.0.3" and p[TCP].dport == 40000),
              "inbound SYN-ACK reaches 10.0.0.3:40000")
        check(find(lambda p: ICMP in p and p[ICMP].type == 0 and p[IP].dst == "10.0.0.4" and
                   p[ICMP].id == 7777), "echo reply reaches 10.0.0.4")
        check(find(lambda p: IPerror in p and p[IP].dst == "10.0.0.2" and
                   p[IPerror].src == "10.0.0.2" and p[UDPerror].sport == 5000),
              "ICMP error: outer and embedded headers translated")
        check(find(lambda p: TCP in p and p[IP].dst == "10.0.0.5" and p[TCP].dport == 80),
              "forward: 203.0.113.1:8080 reaches 10.0.0.5:80")
        check(any(IPv6 in p for p in got), "IPv6 passes unchanged")
        m = re.search(r"nat: summary rx (\d+) translated (\d+) .* icmp_errors (\d+) passed (\d+) "
                      r".* dropped (\d+) malformed (\d+)", text)
        check(m is not None and [int(x) for x in m.groups()] == [13, 9, 1, 1, 3, 1],
              "summary: rx 13 translated 9 icmp_errors 1 passed 1 dropped 3 malformed 1 (%s)"
              % (m.groups() if m else None,))
        d = re.search(r"fragment (\d+) .* no_mapping (\d+)", text)
        check(d is not None and d.groups() == ("1", "1"), "drops: fragment 1, no_mapping 1")
    finally:
        if h is not None:
            h.cleanup()
        subprocess.run(["rm", "-rf", tmp, RUNTIME])
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
