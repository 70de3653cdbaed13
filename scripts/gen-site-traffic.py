#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the main job's traffic: a small site behind the chain firewall -> nat -> dpi.

The site is 10.0.0.0/24 behind a NAT whose public address is 203.0.113.1. The capture holds what
crosses the host in both directions, as it would arrive at one port:
  - web: clients open HTTP connections to servers in 198.51.100.0/24 (handshake, request, a
    multi-segment response, teardown). Replies come back to the public address and the client's
    own port (the NAT keeps a client's port when it is free, so the capture can name it). One
    request asks for /etc/passwd, split across two TCP segments (a DPI signature no single
    packet holds); one response carries a "cmd.exe" download; one request carries the string
    EVIL-PAYLOAD, which the DPI rules drop.
  - DNS queries from clients to 192.0.2.53 and their answers; one asks for malware.example.
  - ICMP echo requests to servers and their replies (identifiers inside the NAT's port range, so
    it keeps them too).
  - what the firewall refuses: telnet and SMB from clients, SSH and a port scan from outside to
    the public address, a UDP flood source.
  - IPv6 traffic (the NAT translates IPv4 only; the firewall passes the allowed IPv6 web flow).
  - ARP, and malformed frames (a truncated IPv4 header, a TCP header cut short, an IPv4 total
    length larger than the frame) that every NF must count, never crash on.

usage: gen-site-traffic.py OUT.pcap [--seed N] [--clients N]
"""
import argparse
import os
import random
import sys

from scapy.all import ARP, DNS, DNSQR, DNSRR, ICMP, IP, TCP, UDP, Ether, IPv6, Raw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import traffic  # noqa: E402

MAC_IN = "02:00:00:00:00:0a"   # the site's router port
MAC_OUT = "02:00:00:00:00:0b"  # the upstream router
PUBLIC = "203.0.113.1"
DNS_SRV = "192.0.2.53"


def tcp_connection(rnd, cli, srv, sport, dport, request, resp_len, resp_extra=b"",
                   split_at=None, ip=IP, public=PUBLIC):
    """A TCP connection seen at the host: client -> server from the inside, server -> public
    address from the outside (for IPv6, no NAT: the reply goes to the client itself)."""
    seq_c, seq_s = rnd.randrange(1 << 32), rnd.randrange(1 << 32)
    back = cli if ip is IPv6 else public
    c2s = lambda **kw: Ether(src=MAC_IN, dst=MAC_OUT) / ip(src=cli, dst=srv) / TCP(sport=sport, dport=dport, **kw)
    s2c = lambda **kw: Ether(src=MAC_OUT, dst=MAC_IN) / ip(src=srv, dst=back) / TCP(sport=dport, dport=sport, **kw)
    frames = [
        c2s(flags="S", seq=seq_c, options=[("MSS", 1460)]),
        s2c(flags="SA", seq=seq_s, ack=seq_c + 1, options=[("MSS", 1460)]),
        c2s(flags="A", seq=seq_c + 1, ack=seq_s + 1),
    ]
    cuts = [0, split_at, len(request)] if split_at else [0, len(request)]
    for a, b in zip(cuts, cuts[1:]):
        frames.append(c2s(flags="PA", seq=seq_c + 1 + a, ack=seq_s + 1) / Raw(request[a:b]))
    body = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (resp_len + len(resp_extra))
    body += bytes(rnd.randrange(32, 127) for _ in range(resp_len)) + resp_extra
    sent, mss = 0, 1400
    while sent < len(body):
        n = min(mss, len(body) - sent)
        frames.append(s2c(flags="PA", seq=seq_s + 1 + sent, ack=seq_c + 1 + len(request)) / Raw(body[sent:sent + n]))
        sent += n
    fin_c, fin_s = seq_c + 1 + len(request), seq_s + 1 + sent
    frames += [
        c2s(flags="A", seq=fin_c, ack=fin_s),
        c2s(flags="FA", seq=fin_c, ack=fin_s),
        s2c(flags="FA", seq=fin_s, ack=fin_c + 1),
        c2s(flags="A", seq=fin_c + 1, ack=fin_s + 1),
    ]
    return frames


def dns_exchange(rnd, cli, name):
    qid, sport = rnd.randrange(1 << 16), rnd.randrange(20000, 60000)
    q = Ether(src=MAC_IN, dst=MAC_OUT) / IP(src=cli, dst=DNS_SRV) / UDP(sport=sport, dport=53) / \
        DNS(id=qid, rd=1, qd=DNSQR(qname=name))
    a = Ether(src=MAC_OUT, dst=MAC_IN) / IP(src=DNS_SRV, dst=PUBLIC) / UDP(sport=53, dport=sport) / \
        DNS(id=qid, qr=1, ra=1, qd=DNSQR(qname=name),
            an=DNSRR(rrname=name, ttl=300, rdata="198.51.100.%d" % rnd.randrange(10, 14)))
    return [q, a]


def request(path, host, extra=b""):
    return b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sdnfv-demo\r\n%s\r\n" % (path, host, extra)


def build(seed, n_clients):
    rnd = random.Random(seed)
    flows = []
    ports = rnd.sample(range(32768, 61000), 4 * n_clients)
    for i in range(n_clients):
        cli, srv = "10.0.0.%d" % (10 + i), "198.51.100.%d" % (10 + i % 4)
        for j in range(2):
            sport = ports[2 * i + j]
            if i == 3 and j == 0:   # the signature split across two segments
                req = request(b"/cgi-bin/view?file=../../../../etc/passwd", b"intranet.example")
                flows.append(tcp_connection(rnd, cli, srv, sport, 80, req, 1800,
                                            split_at=req.index(b"/etc/") + 3))
            elif i == 5 and j == 1:  # a download that carries a known-bad file name
                flows.append(tcp_connection(rnd, cli, srv, sport, 80, request(b"/tools", b"files.example"),
                                            2500, resp_extra=b"\r\nsaved as C:\\Windows\\cmd.exe\r\n"))
            elif i == 7 and j == 0:  # dropped by the DPI
                flows.append(tcp_connection(rnd, cli, srv, sport, 80,
                                            request(b"/upload", b"drop.example", b"X-Data: EVIL-PAYLOAD\r\n"),
                                            600))
            else:
                flows.append(tcp_connection(rnd, cli, srv, sport, rnd.choice([80, 443]),
                                            request(b"/index-%d.html" % j, b"www.example"),
                                            rnd.randrange(1500, 9000)))
        flows.append(dns_exchange(rnd, cli, "host%d.example" % i if i != 9 else "malware.example"))
    for i in range(4):
        flows.append([
            Ether(src=MAC_IN, dst=MAC_OUT) / IP(src="10.0.0.%d" % (10 + i), dst="198.51.100.%d" % (10 + i)) / ICMP(id=0x1100 + i, seq=1) / Raw(b"ping" * 8),
            Ether(src=MAC_OUT, dst=MAC_IN) / IP(src="198.51.100.%d" % (10 + i), dst=PUBLIC) / ICMP(type=0, id=0x1100 + i, seq=1) / Raw(b"ping" * 8),
        ])
    # What the firewall refuses.
    flows.append([Ether(src=MAC_IN, dst=MAC_OUT) / IP(src="10.0.0.12", dst="198.51.100.10") / TCP(sport=40000 + i, dport=23, flags="S") for i in range(3)])
    flows.append([Ether(src=MAC_IN, dst=MAC_OUT) / IP(src="10.0.0.13", dst="198.51.100.11") / TCP(sport=41000 + i, dport=445, flags="S") for i in range(3)])
    flows.append([Ether(src=MAC_OUT, dst=MAC_IN) / IP(src="192.0.2.66", dst=PUBLIC) / TCP(sport=50000 + i, dport=22, flags="S") for i in range(4)])
    flows.append([Ether(src=MAC_OUT, dst=MAC_IN) / IP(src="192.0.2.99", dst=PUBLIC) / TCP(sport=61000, dport=p, flags="S") for p in (21, 25, 110, 139, 3306, 3389, 5900, 8080)])
    flows.append([Ether(src=MAC_OUT, dst=MAC_IN) / IP(src="192.0.2.77", dst=PUBLIC) / UDP(sport=4444, dport=1900) / Raw(b"M-SEARCH * HTTP/1.1\r\n") for _ in range(6)])
    # IPv6: a web connection the firewall allows (no NAT for IPv6).
    flows.append(tcp_connection(rnd, "2001:db8:10::10", "2001:db8:20::80", 45000, 80,
                                request(b"/v6.html", b"www6.example"), 2000, ip=IPv6))
    flows.append([Ether(src=MAC_IN, dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.0.0.10", pdst="10.0.0.1"),
                  Ether(src=MAC_OUT, dst=MAC_IN) / ARP(op=2, psrc="10.0.0.1", pdst="10.0.0.10", hwsrc=MAC_OUT)])
    # Malformed on purpose.
    flows.append(traffic.malformed("10.0.0.66", "198.51.100.10", MAC_IN, MAC_OUT))

    return traffic.interleave(rnd, flows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=2015)
    ap.add_argument("--clients", type=int, default=12)
    args = ap.parse_args()
    frames = build(args.seed, args.clients)
    traffic.write(args.out, frames)


if __name__ == "__main__":
    main()
