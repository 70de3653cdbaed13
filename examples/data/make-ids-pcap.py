#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write examples/data/ids.pcap: the traffic of the IDS -> scrubber walkthrough (examples/dpi).

Deterministic. Five flows, their packets interleaved:
  A  10.0.0.1:40001  -> 192.0.2.10:80   a plain HTTP exchange (benign)
  B  10.0.0.2:40002  -> 192.0.2.10:80   an HTTP request whose body carries the signature
                                         EVIL_PAYLOAD split across two TCP segments ("EVIL_" | "PAYLOAD"),
                                         then 6 more data segments and the server's replies
  C  10.0.0.3:40003  -> 192.0.2.20:8080 benign TCP, the word "EVIL" alone (no full signature)
  D  10.0.0.4:5353   -> 192.0.2.53:53   DNS queries over UDP
  E  [2001:db8::5]:40005 -> [2001:db8::10]:80  benign HTTP over IPv6
and two malformed frames (an IPv4 total length beyond the frame, a TCP header cut short), which
dpi counts as malformed and passes.
usage: make-ids-pcap.py [OUT]   (default: ids.pcap next to this script)
"""
import os
import sys

from scapy.all import IP, IPv6, TCP, UDP, Ether, Raw, wrpcap

CLI_MAC, SRV_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


class Tcp:
    def __init__(self, l3c, l3s, sport, dport, isn_c, isn_s):
        self.l3c, self.l3s, self.sport, self.dport = l3c, l3s, sport, dport
        self.c, self.s = isn_c, isn_s

    def _pkt(self, to_server, flags, data=b""):
        if to_server:
            eth, l3, sp, dp, seq, ack = Ether(src=CLI_MAC, dst=SRV_MAC), self.l3c(), self.sport, self.dport, self.c, self.s
        else:
            eth, l3, sp, dp, seq, ack = Ether(src=SRV_MAC, dst=CLI_MAC), self.l3s(), self.dport, self.sport, self.s, self.c
        p = eth / l3 / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack if "A" in flags else 0)
        if data:
            p = p / Raw(data)
        n = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
        if to_server:
            self.c += n
        else:
            self.s += n
        return p

    def handshake(self):
        return [self._pkt(True, "S"), self._pkt(False, "SA"), self._pkt(True, "A")]

    def send(self, data):
        return [self._pkt(True, "PA", data)]

    def reply(self, data):
        return [self._pkt(False, "PA", data)]

    def close(self):
        return [self._pkt(True, "FA"), self._pkt(False, "FA"), self._pkt(True, "A")]


def v4(src, dst):
    return lambda: IP(src=src, dst=dst, ttl=64, id=1)


def v6(src, dst):
    return lambda: IPv6(src=src, dst=dst, hlim=64)


def dns_query(name, qid):
    q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\x00"
    return (Ether(src=CLI_MAC, dst=SRV_MAC) / IP(src="10.0.0.4", dst="192.0.2.53", id=1) /
            UDP(sport=5353, dport=53) /
            Raw(qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + q + b"\x00\x01\x00\x01"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "ids.pcap")
    a = Tcp(v4("10.0.0.1", "192.0.2.10"), v4("192.0.2.10", "10.0.0.1"), 40001, 80, 1000, 5000)
    b = Tcp(v4("10.0.0.2", "192.0.2.10"), v4("192.0.2.10", "10.0.0.2"), 40002, 80, 2000, 6000)
    c = Tcp(v4("10.0.0.3", "192.0.2.20"), v4("192.0.2.20", "10.0.0.3"), 40003, 8080, 3000, 7000)
    e = Tcp(v6("2001:db8::5", "2001:db8::10"), v6("2001:db8::10", "2001:db8::5"), 40005, 80, 4000, 8000)
    flows = {
        "A": a.handshake() + a.send(b"GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n") +
             a.reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") + a.close(),
        "B": b.handshake() +
             b.send(b"POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 200\r\n\r\nxxxxEVIL_") +
             b.send(b"PAYLOAD and the rest of the exploit body ....") +
             sum((b.send(b"exploit body part %d " % i + b"." * 40) for i in range(6)), []) +
             b.reply(b"HTTP/1.1 100 Continue\r\n\r\n") + b.reply(b"HTTP/1.1 200 OK\r\n\r\n") +
             b.close(),
        "C": c.handshake() + c.send(b"an EVIL word alone is not the signature") +
             c.reply(b"ok") + c.send(b"still benign") + c.close(),
        "D": [dns_query("example.test", 0x1234), dns_query("www.example.test", 0x1235),
              dns_query("mail.example.test", 0x1236)],
        "E": e.handshake() + e.send(b"GET /v6 HTTP/1.1\r\nHost: example.test\r\n\r\n") +
             e.reply(b"HTTP/1.1 200 OK\r\n\r\n") + e.close(),
    }
    # Interleave: one packet of each flow in turn.
    pkts, order = [], ["A", "B", "C", "D", "E"]
    while any(flows.values()):
        for k in order:
            if flows[k]:
                pkts.append(flows[k].pop(0))
    bad_len = Ether(src=CLI_MAC, dst=SRV_MAC) / IP(src="10.0.0.9", dst="192.0.2.10", len=1400) / \
        TCP(sport=40009, dport=80, flags="PA") / Raw(b"EVIL_PAYLOAD in a lying packet")
    short_tcp = bytes(Ether(src=CLI_MAC, dst=SRV_MAC) / IP(src="10.0.0.9", dst="192.0.2.10", proto=6,
                                                           len=30) / Raw(b"\x9c\x49\x00\x50" + b"\0" * 6))
    pkts.insert(10, bad_len)
    pkts.insert(30, Ether(short_tcp))
    for i, p in enumerate(pkts):
        p.time = 1700000000 + i * 0.001
    wrpcap(out, pkts)
    print("%s: %d packets" % (out, len(pkts)))


if __name__ == "__main__":
    main()
