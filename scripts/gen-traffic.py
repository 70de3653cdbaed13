#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the project's demo traffic: a deterministic pcap of mixed, realistic traffic.

What is in it (a small host's worth of traffic, interleaved in time):
  - TCP/IPv4 and TCP/IPv6 connections: handshake, request, a multi-segment response, teardown
  - UDP/IPv4 DNS queries and answers, UDP/IPv6
  - ICMP echo requests and replies (v4 and v6)
  - VLAN-tagged (802.1Q) and double-tagged (802.1ad + 802.1Q) IPv4
  - IPv4 fragments of one large UDP datagram; an IPv6 datagram behind extension headers
  - ARP, and a few malformed frames (truncated IPv4 header, TCP header cut short, IPv4 total
    length larger than the frame) that a parser must report, not crash on

usage: gen-traffic.py OUT.pcap [--seed N] [--connections N]
"""
import argparse
import os
import random
import sys

from scapy.all import (ARP, DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether,
                       ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrHopByHop, Raw, fragment)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"


def tcp_conversation(rnd, ip, cli, srv, sport, dport, resp_len):
    """One TCP connection, both directions, as (frame, ...) in order."""
    seq_c, seq_s = rnd.randrange(1 << 32), rnd.randrange(1 << 32)
    c2s = lambda **kw: Ether(src=MAC_A, dst=MAC_B) / ip(src=cli, dst=srv) / TCP(sport=sport, dport=dport, **kw)
    s2c = lambda **kw: Ether(src=MAC_B, dst=MAC_A) / ip(src=srv, dst=cli) / TCP(sport=dport, dport=sport, **kw)
    req = b"GET /index.html HTTP/1.1\r\nHost: demo.example\r\n\r\n"
    frames = [
        c2s(flags="S", seq=seq_c),
        s2c(flags="SA", seq=seq_s, ack=seq_c + 1),
        c2s(flags="A", seq=seq_c + 1, ack=seq_s + 1),
        c2s(flags="PA", seq=seq_c + 1, ack=seq_s + 1) / Raw(req),
    ]
    sent, mss = 0, 1400
    while sent < resp_len:
        n = min(mss, resp_len - sent)
        body = bytes(rnd.randrange(256) for _ in range(n))
        frames.append(s2c(flags="A", seq=seq_s + 1 + sent, ack=seq_c + 1 + len(req)) / Raw(body))
        sent += n
    fin_c, fin_s = seq_c + 1 + len(req), seq_s + 1 + sent
    frames += [
        c2s(flags="A", seq=fin_c, ack=fin_s),
        c2s(flags="FA", seq=fin_c, ack=fin_s),
        s2c(flags="FA", seq=fin_s, ack=fin_c + 1),
        c2s(flags="A", seq=fin_c + 1, ack=fin_s + 1),
    ]
    return frames


def dns_exchange(rnd, cli, srv, name):
    qid, sport = rnd.randrange(1 << 16), rnd.randrange(1024, 65536)
    q = Ether(src=MAC_A, dst=MAC_B) / IP(src=cli, dst=srv) / UDP(sport=sport, dport=53) / \
        DNS(id=qid, rd=1, qd=DNSQR(qname=name))
    a = Ether(src=MAC_B, dst=MAC_A) / IP(src=srv, dst=cli) / UDP(sport=53, dport=sport) / \
        DNS(id=qid, qr=1, ra=1, qd=DNSQR(qname=name),
            an=DNSRR(rrname=name, ttl=300, rdata="192.0.2.%d" % rnd.randrange(1, 255)))
    return [q, a]


def build(seed, n_conn):
    rnd = random.Random(seed)
    flows = []
    for i in range(n_conn):
        if i % 3 == 2:
            flows.append(tcp_conversation(rnd, IPv6, "2001:db8::%x" % (i + 1), "2001:db8:1::80",
                                          rnd.randrange(32768, 61000), 80, rnd.randrange(2000, 30000)))
        else:
            flows.append(tcp_conversation(rnd, IP, "10.0.0.%d" % (i + 10), "192.0.2.80",
                                          rnd.randrange(32768, 61000), rnd.choice([80, 443, 8080]),
                                          rnd.randrange(2000, 30000)))
    for i in range(n_conn):
        flows.append(dns_exchange(rnd, "10.0.0.%d" % (i + 10), "10.0.0.1", "host%d.demo.example" % i))
    for i in range(4):
        flows.append([
            Ether(src=MAC_A, dst=MAC_B) / IP(src="10.0.0.10", dst="198.51.100.%d" % (i + 1)) / ICMP(id=0x100 + i, seq=1) / Raw(b"ping" * 8),
            Ether(src=MAC_B, dst=MAC_A) / IP(src="198.51.100.%d" % (i + 1), dst="10.0.0.10") / ICMP(type=0, id=0x100 + i, seq=1) / Raw(b"ping" * 8),
            Ether(src=MAC_A, dst=MAC_B) / IPv6(src="2001:db8::1", dst="2001:db8:2::%d" % (i + 1)) / ICMPv6EchoRequest(id=0x200 + i, seq=1),
            Ether(src=MAC_B, dst=MAC_A) / IPv6(src="2001:db8:2::%d" % (i + 1), dst="2001:db8::1") / ICMPv6EchoReply(id=0x200 + i, seq=1),
        ])
    flows.append([
        Ether(src=MAC_A, dst=MAC_B) / IPv6(src="2001:db8::5", dst="2001:db8:3::1") / UDP(sport=5000 + i, dport=7777) / Raw(b"v6 datagram %d" % i)
        for i in range(6)])
    flows.append([
        Ether(src=MAC_A, dst=MAC_B) / Dot1Q(vlan=100 + i % 3) / IP(src="172.16.%d.1" % i, dst="172.16.0.254") / UDP(sport=6000 + i, dport=9000) / Raw(b"tagged %d" % i)
        for i in range(8)])
    flows.append([
        Ether(src=MAC_A, dst=MAC_B, type=0x88a8) / Dot1AD(vlan=10) / Dot1Q(vlan=200) / IP(src="172.17.0.%d" % (i + 1), dst="172.17.0.254") / TCP(sport=7000 + i, dport=22, flags="S")
        for i in range(4)])
    big = IP(src="10.0.0.20", dst="192.0.2.53", id=4242) / UDP(sport=5353, dport=5353) / Raw(bytes(range(256)) * 12)
    flows.append([Ether(src=MAC_A, dst=MAC_B) / f for f in fragment(big, fragsize=1000)])
    flows.append([Ether(src=MAC_A, dst=MAC_B) / IPv6(src="2001:db8::7", dst="2001:db8:1::80") / IPv6ExtHdrHopByHop() /
                  IPv6ExtHdrDestOpt() / TCP(sport=40000, dport=80, flags="S")])
    flows.append([Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.0.0.10", pdst="10.0.0.1"),
                  Ether(src=MAC_B, dst=MAC_A) / ARP(op=2, psrc="10.0.0.1", pdst="10.0.0.10", hwsrc=MAC_B)])
    # Malformed on purpose: built, then cut or given lying length fields.
    flows.append(traffic.malformed("10.0.0.66", "10.0.0.1", MAC_A, MAC_B))

    return traffic.interleave(rnd, flows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2015)
    ap.add_argument("--connections", type=int, default=24)
    args = ap.parse_args()
    frames = build(args.seed, args.connections)
    traffic.write(args.out, frames)


if __name__ == "__main__":
    main()
