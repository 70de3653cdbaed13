#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of the monitor NF with the example manager.

usage: e2e.py SCENARIO MANAGER MONITOR   (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT,
                                          SDNFV_TEST_PREFIX, SDNFV_SHARED_PCAPS)

Scenarios:
  records     crafted traffic (IPv4/IPv6, TCP/UDP/ICMP, VLAN, FIN and RST, malformed and non-IP
              frames) and the real captures of SDNFV_SHARED_PCAPS go through manager -> monitor;
              a UDP collector in this test receives the IPFIX messages, tshark decodes them (no
              malformed or unknown-template message, sequence numbers right) and the records'
              packet and byte totals per 5-tuple equal a model computed from the pcaps with
              scapy; the IPFIX file and the CSV say the same; the summary's counters equal the
              model's (rx, malformed, non-IP); every packet leaves the host unchanged
  rate        a looping pcap: the NF's state report in telemetry (/sdnfv/nf,<id> "report") shows
              pps near the manager's own rx_pps for the NF, the number of flows and the top flow;
              SIGUSR1 prints the top list while it runs
  bad_config  a config file with a broken line: the NF refuses it with FILE:LINE: reason and exit
              status 1, before attaching; a bad option gives status 2; the sample config loads
"""
import os
import datetime
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

from scapy.all import (IP, UDP, TCP, ICMP, IPv6, ICMPv6EchoRequest, Ether, Dot1Q, ARP, Raw,
                       wrpcap)

sys.path.insert(0, os.path.join(os.environ.get("SDNFV_SOURCE_ROOT", "."), "tests", "common"))
from host import (verdict, check, shared_pcaps, read_frames, Host, policy_file,  # noqa: E402
                  accounting_checks)

PCAPS = os.environ.get("SDNFV_SHARED_PCAPS", os.path.join(os.environ.get("SDNFV_SOURCE_ROOT", "."), "..", "shared", "pcaps"))
REAL = ["tcpreplay_test.pcap", "tcpreplay_fragroute.pcap", "onvm_pktgen_test1.pcap",
        "onvm_pktgen_big.pcap", "onvm_64B_download.pcap"]

POLICY = """
services:
  monitor: {}
chains:
  watch:
    hops: [monitor]
    out: in_port
rules:
  - { match: "", priority: 0, chain: watch }
"""

# ------------------------------------------------------------------------------------------
# Traffic


def crafted():
    """Frames of many kinds, interleaved, and malformed ones (as raw bytes)."""
    frames = []
    for i in range(10):
        for f in range(24):
            eth = Ether(src="02:00:00:00:00:%02x" % f, dst="02:00:00:00:01:01")
            if f % 8 == 5:
                eth = eth / Dot1Q(vlan=100 + f)
            if f % 4 == 1:
                l3 = IPv6(src="2001:db8::%x" % (f + 1), dst="2001:db8:1::1")
            else:
                l3 = IP(src="10.0.%d.%d" % (f // 8, f + 1), dst="192.0.2.1")
            if f % 6 == 2:
                l4 = UDP(sport=1000 + f, dport=53)
            elif f % 6 == 4 and not isinstance(l3, IPv6):
                l4 = ICMP(id=f, seq=i)
            elif f % 6 == 4:
                l4 = ICMPv6EchoRequest(id=f, seq=i)
            else:
                # TCP: flows 0 and 3 end by FIN at packet 6 and start again; 9 by RST at 8
                flags = "A"
                if i == 6 and f in (0, 3):
                    flags = "FA"
                if i == 8 and f == 9:
                    flags = "R"
                l4 = TCP(sport=2000 + f, dport=80, flags=flags, seq=i * 100)
            frames.append(bytes(eth / l3 / l4 / Raw(b"x" * (f * 7 + i))))
    # Malformed: TCP cut short, a TCP data offset of 0, an IPv4 total length beyond the frame,
    # IHL 3, an IPv6 payload length beyond the frame; then a non-IP frame.
    ip = IP(src="10.9.0.1", dst="10.9.0.2")
    frames.append(bytes(Ether() / IP(src="10.9.0.1", dst="10.9.0.2", proto=6, len=30) /
                        Raw(b"\0" * 10)) + b"\0" * 16)
    frames.append(bytes(Ether() / ip / TCP(sport=1, dport=2, dataofs=0)) + b"\0" * 6)
    bad = bytearray(bytes(Ether() / ip / UDP() / Raw(b"y" * 30)))
    bad[16:18] = struct.pack("!H", 1400)
    frames.append(bytes(bad))
    bad = bytearray(bytes(Ether() / ip / UDP() / Raw(b"y" * 30)))
    bad[14] = 0x43
    frames.append(bytes(bad))
    bad = bytearray(bytes(Ether() / IPv6(src="::1", dst="::2") / UDP() / Raw(b"z" * 20)))
    bad[18:20] = struct.pack("!H", 900)
    frames.append(bytes(bad))
    frames.append(bytes(Ether() / ARP(pdst="10.0.0.1")))
    return frames


# ------------------------------------------------------------------------------------------
# The model: what the monitor must count, from the frames alone (scapy)

ICMP_QUERY = {0, 8, 13, 14, 15, 16, 17, 18}


def model_packet(raw):
    """('flow', key, l3 bytes) / ('malformed',) / ('non_ip',) for one frame, following the
    monitor's rules (README): L3 bytes; ports of TCP/UDP/SCTP; ICMP query id in both ports, or
    type and code; fragments after the first have no ports; a header that does not fit is
    malformed."""
    if len(raw) < 14:
        return ("malformed",)
    et, off, tags = struct.unpack("!H", raw[12:14])[0], 14, 0
    while et in (0x8100, 0x88a8):
        tags += 1
        if len(raw) < off + 4 or tags > 2:
            return ("malformed",)
        et, off = struct.unpack("!H", raw[off + 2:off + 4])[0], off + 4
    body = raw[off:]
    if et == 0x0800:
        if len(body) < 20 or body[0] >> 4 != 4 or body[0] & 15 < 5:
            return ("malformed",)
        ihl = (body[0] & 15) * 4
        tot = struct.unpack("!H", body[2:4])[0]
        if len(body) < ihl or tot < ihl or tot > len(body):
            return ("malformed",)
        proto = body[9]
        src, dst = socket.inet_ntop(socket.AF_INET, body[12:16]), socket.inet_ntop(
            socket.AF_INET, body[16:20])
        frag = struct.unpack("!H", body[6:8])[0]
        l4 = body[ihl:tot]
        later = (frag & 0x1fff) != 0
        is_frag = (frag & 0x3fff) != 0
    elif et == 0x86dd:
        if len(body) < 40 or body[0] >> 4 != 6:
            return ("malformed",)
        plen = struct.unpack("!H", body[4:6])[0]
        if plen == 0 or 40 + plen > len(body):
            return ("malformed",)
        tot = 40 + plen
        nh, off, later, is_frag = body[6], 40, False, False
        while nh in (0, 43, 44, 60):  # extension headers the captures use
            if off + 8 > tot:
                return ("malformed",)
            if nh == 44:
                fo = struct.unpack("!H", body[off + 2:off + 4])[0]
                later, is_frag = (fo & 0xfff8) != 0, (fo & 0xfff9) != 0
                nh, off = body[off], off + 8
            else:
                nh, off = body[off], off + (body[off + 1] + 1) * 8
        proto, l4 = nh, body[off:tot]
        src, dst = socket.inet_ntop(socket.AF_INET6, body[8:24]), socket.inet_ntop(
            socket.AF_INET6, body[24:40])
    else:
        return ("non_ip",)
    sport = dport = 0
    if not later:
        if proto == 6:
            if len(l4) < 20 or l4[12] >> 4 < 5 or len(l4) < (l4[12] >> 4) * 4:
                return ("malformed",)
            sport, dport = struct.unpack("!HH", l4[:4])
        elif proto == 17:
            if len(l4) < 8:
                return ("malformed",)
            ulen = struct.unpack("!H", l4[4:6])[0]
            if ulen < 8 or (ulen > len(l4) and not is_frag):
                return ("malformed",)
            sport, dport = struct.unpack("!HH", l4[:4])
        elif proto == 132:
            if len(l4) < 12:
                return ("malformed",)
            sport, dport = struct.unpack("!HH", l4[:4])
        elif proto in (1, 58):
            if len(l4) < 8:
                return ("malformed",)
            t, c = l4[0], l4[1]
            query = (t in ICMP_QUERY) if proto == 1 else t in (128, 129)
            if query:
                sport = dport = struct.unpack("!H", l4[4:6])[0]
            else:
                sport, dport = t, c
    return ("flow", (src, dst, sport, dport, proto), tot)


def model(frames):
    flows, counts = {}, {"rx": 0, "malformed": 0, "non_ip": 0}
    for raw in frames:
        counts["rx"] += 1
        m = model_packet(raw)
        if m[0] != "flow":
            counts[m[0]] += 1
            continue
        pk, by = flows.get(m[1], (0, 0))
        flows[m[1]] = (pk + 1, by + m[2])
    return flows, counts


# ------------------------------------------------------------------------------------------
# The collector and the decoding


class Collector:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # Room for every message of a run (well under 16 MiB): this thread may wait for a core
        # while the manager and the NF busy-poll both, and a full receive buffer loses
        # datagrams silently. SO_RCVBUFFORCE passes rmem_max (the tests run as root).
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.msgs = []
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                self.msgs.append(self.sock.recv(65535))
            except socket.timeout:
                pass

    def stop(self):
        time.sleep(0.3)
        self.running = False
        self.thread.join()
        self.sock.close()


def write_udp_pcap(msgs, port, path):
    """The collector's datagrams as a capture tshark can decode."""
    wrpcap(path, [Ether() / IP(src="127.0.0.1", dst="127.0.0.1") / UDP(sport=40000, dport=port) /
                  Raw(m) for m in msgs])


def wall(text):
    """tshark's absolute time ("Nov 26, 2026 13:24:39.930000000 UTC") in seconds."""
    m = re.fullmatch(r"(\w+ +\d+, \d+ [\d:]+)\.(\d+) UTC", text.strip())
    base = datetime.datetime.strptime(m.group(1), "%b %d, %Y %H:%M:%S")
    return base.replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + m.group(2))


def tshark_records(path, port):
    """Decode with tshark: the records (key, packets, octets, reason) and any problem."""
    fields = ["frame.number", "cflow.sequence", "cflow.od_id", "cflow.srcaddr", "cflow.dstaddr",
              "cflow.srcaddrv6", "cflow.dstaddrv6", "cflow.srcport", "cflow.dstport",
              "cflow.protocol", "cflow.packets", "cflow.octets", "cflow.flow_end_reason",
              "cflow.abstimestart", "cflow.abstimeend",
              "_ws.malformed", "_ws.expert.message"]
    args = ["tshark", "-r", path, "-d", "udp.port==%d,cflow" % port, "-T", "fields",
            "-E", "occurrence=a", "-E", "aggregator=|"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    recs, problems = [], []
    if out.returncode != 0:
        problems.append("tshark failed: " + out.stderr[-300:])
    for line in out.stdout.splitlines():
        col = dict(zip(fields, line.split("\t")))
        if col.get("_ws.malformed") or col.get("_ws.expert.message"):
            problems.append("frame %s: %s %s" % (col["frame.number"], col.get("_ws.malformed"),
                                                 col.get("_ws.expert.message")))
        lists = {f: (col.get(f) or "").split("|") if col.get(f) else [] for f in fields}
        src = lists["cflow.srcaddr"] or lists["cflow.srcaddrv6"]
        dst = lists["cflow.dstaddr"] or lists["cflow.dstaddrv6"]
        for i in range(len(src)):
            key = (src[i], dst[i], int(lists["cflow.srcport"][i]),
                   int(lists["cflow.dstport"][i]), int(lists["cflow.protocol"][i]))
            recs.append((key, int(lists["cflow.packets"][i]), int(lists["cflow.octets"][i]),
                         int(lists["cflow.flow_end_reason"][i]),
                         int(col["cflow.sequence"]), wall(lists["cflow.abstimestart"][i]),
                         wall(lists["cflow.abstimeend"][i])))
    return recs, problems


def decode_ipfix(data):
    """Our own walk of IPFIX messages back to back (the records file): (messages, records)."""
    msgs, recs, off = 0, [], 0
    while off + 16 <= len(data):
        ver, length = struct.unpack("!HH", data[off:off + 4])
        if ver != 10 or length < 16 or off + length > len(data):
            return msgs, None
        so = off + 16
        while so + 4 <= off + length:
            sid, slen = struct.unpack("!HH", data[so:so + 4])
            size = {256: 48, 257: 72}.get(sid)
            for r in range(so + 4, so + slen, size or slen):
                if size is None:
                    break
                b = data[r:r + size]
                al = 4 if sid == 256 else 16
                af = socket.AF_INET if sid == 256 else socket.AF_INET6
                sp, dp, pr, pk, by = struct.unpack("!HHBQQ", b[2 * al:2 * al + 21])
                recs.append(((socket.inet_ntop(af, b[:al]), socket.inet_ntop(af, b[al:2 * al]),
                              sp, dp, pr), pk, by))
            so += slen
        msgs += 1
        off += length
    return msgs, recs if off == len(data) else None


def totals(recs):
    t = {}
    for r in recs:
        pk, by = t.get(r[0], (0, 0))
        t[r[0]] = (pk + r[1], by + r[2])
    return t


def compare(got, want, what):
    bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
    check(not bad, "%s: packets and bytes of all %d flows equal the model's (%d differ%s)"
          % (what, len(want), len(bad),
             "".join("\n     %s got %s model %s" % (k, got.get(k), want.get(k))
                     for k in sorted(bad, key=str)[:8])))


def summary(text):
    m = re.search(r"monitor: summary (.*)", text)
    if not m:
        return {}
    v = m.group(1).split()
    return {v[i]: int(v[i + 1]) for i in range(0, len(v) - 1, 2)}


# ------------------------------------------------------------------------------------------
# Scenarios


def scenario_records(tmp, manager, monitor):
    frames = crafted()
    for name in REAL if shared_pcaps() else ():
        frames += read_frames(os.path.join(PCAPS, name))
    src = os.path.join(tmp, "in.pcap")
    out = os.path.join(tmp, "out.pcap")
    wrpcap(src, [Ether(f) for f in frames])
    frames = read_frames(src)  # as the manager will read them
    col = Collector()
    records = os.path.join(tmp, "records.ipfix")
    csv = os.path.join(tmp, "records.csv")
    t_start = time.time()
    h = Host(tmp, policy_file(tmp, POLICY), ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, out)],
             ["--idle-exit", "500", "--min-nfs", "1"])
    try:
        check(h.wait_ready(), "manager ready")
        h.proc(monitor, "--collector", "127.0.0.1:%d" % col.port, "--records", records,
               "--csv", csv, "--domain", "7", "--idle-timeout", "60", "--top", "3")
        rc, nf_rcs = h.wait(120)
        t_end = time.time()
    finally:
        h.cleanup()
        col.stop()
    nf_out = h.nf_output()[0]
    print(h.text())
    print(nf_out)
    check(rc == 0 and nf_rcs == [0], "manager and monitor exit 0 (%s, %s)" % (rc, nf_rcs))
    # The pcap port reads faster than an NF on a shared core drains its ring: the manager drops
    # some packets at the chain's entry (counted). The monitor passes every packet unchanged, so
    # the output capture is exactly what it saw: the model is computed from it.
    seen = read_frames(out)
    rx, tx, drops = accounting_checks(h, "records")
    check(tx == len(seen) and rx == len(frames),
          "the manager read %s of %d frames and sent %s (%d in the output capture)"
          % (rx, len(frames), tx, len(seen)))
    check(not (Counter(seen) - Counter(frames)),
          "every packet leaves unchanged (%d dropped at the entry)" % drops)
    want, counts = model(seen)
    print("model: %d frames, %d flows, %s" % (len(seen), len(want), counts))
    s = summary(nf_out)
    for k in ("rx", "malformed", "non_ip"):
        check(s.get(k) == counts[k], "summary %s %s = the model's %s" % (k, s.get(k), counts[k]))
    check(s.get("exported") is not None and s.get("exported") >= len(want),
          "summary: %s records for %d flows" % (s.get("exported"), len(want)))
    check(s.get("table_full") == 0 and s.get("send_errors") == 0 and s.get("records_lost") == 0,
          "no table_full, send error or lost record")
    check(s.get("ended_flow", 0) >= 3, "FIN and RST ended flows (%s)" % s.get("ended_flow"))
    check(re.search(r"monitor: top 1 \S+ packets \d+ bytes \d+", nf_out) is not None,
          "the top flows are printed at exit")
    # Top 1 is one flow (a 5-tuple may hold several flows, one after a FIN): at most the largest
    # 5-tuple's bytes, at least the second largest's.
    sizes = sorted((v[1] for v in want.values()), reverse=True)
    m = re.search(r"monitor: top 1 (\S+) packets (\d+) bytes (\d+)", nf_out)
    check(m is not None and sizes[1] <= int(m.group(3)) <= sizes[0],
          "top 1 is the largest flow (%s bytes; the model's largest 5-tuples: %s)"
          % (m and m.group(3), sizes[:2]))

    udp = os.path.join(tmp, "collector.pcap")
    write_udp_pcap(col.msgs, col.port, udp)
    recs, problems = tshark_records(udp, col.port)
    check(not problems, "tshark decodes every message without a problem (%s)" % problems[:3])
    check(len(recs) == s.get("exported"),
          "tshark sees %d records, the monitor exported %s" % (len(recs), s.get("exported")))
    compare(totals([(r[0], r[1], r[2]) for r in recs]), want, "collector (tshark)")
    check(all(r[3] in (1, 2, 3, 4) for r in recs), "every flowEndReason is 1 to 4")
    check(all(t_start - 1 <= r[5] <= r[6] <= t_end + 1 for r in recs),
          "every record starts and ends within the run (wall clock, ms)")
    # Sequence numbers: each message carries the number of data records sent before it.
    seq_ok, n, whole = True, 0, True
    for msg in col.msgs:
        if struct.unpack("!I", msg[8:12])[0] != n or struct.unpack("!I", msg[12:16])[0] != 7:
            seq_ok = False
        recs_in = decode_ipfix(msg)[1]
        whole = whole and recs_in is not None
        n += len(recs_in or [])
    check(whole, "every message's sets add up to its length")
    check(seq_ok, "sequence numbers count the records before each message; domain 7")
    check(all(len(m) <= 1400 for m in col.msgs), "every message fits 1400 bytes")
    with open(records, "rb") as f:
        data = f.read()
    nm, frecs = decode_ipfix(data)
    check(frecs is not None and data == b"".join(col.msgs),
          "the records file is the messages back to back (%d messages)" % nm)
    with open(csv) as f:
        rows = f.read().splitlines()
    crecs = []
    for row in rows[1:]:
        v = row.split(",")
        crecs.append(((v[2], v[3], int(v[4]), int(v[5]), int(v[6])), int(v[7]), int(v[8])))
    compare(totals(crecs), want, "CSV")


def nf_report(h):
    for i in h.telemetry("/sdnfv/nfs") or []:
        nf = h.telemetry("/sdnfv/nf,%d" % i)
        if nf and nf.get("service") == "monitor":
            return nf
    return None


def scenario_rate(tmp, manager, monitor):
    src = os.path.join(tmp, "loop.pcap")
    pkts = []
    for i in range(64):
        for f in range(4):
            pkts.append(Ether() / IP(src="10.1.0.%d" % (f + 1), dst="10.2.0.1") /
                        UDP(sport=5000 + f, dport=9) / Raw(b"r" * (10 + 200 * (f == 2))))
    wrpcap(src, pkts)
    h = Host(tmp, policy_file(tmp, POLICY),
             ["net_pcap0,rx_pcap=%s,infinite_rx=1" % src, "net_null0,no-rx=1"],
             ["--min-nfs", "1"])
    try:
        check(h.wait_ready(), "manager ready")
        h.proc(monitor)
        h.wait_nfs(1)
        time.sleep(2.5)
        nf = nf_report(h)
        print(nf)
        rep = (nf or {}).get("report", "")
        m = re.fullmatch(r"pps (\d+) bps (\d+) flows (\d+) top (\S+)", rep or "")
        check(m is not None, "telemetry shows the report as text: %r" % rep)
        if m:
            pps, bps = int(m.group(1)), int(m.group(2))
            mgr_pps = nf.get("rx_pps", 0)
            check(pps > 0 and 0.5 * mgr_pps <= pps <= 2 * mgr_pps,
                  "report pps %d is near the manager's rx_pps %d for the NF" % (pps, mgr_pps))
            avg = (3 * 60 + 260) / 4 * 8  # frame bits per packet of the pcap's mix
            check(abs(bps - pps * avg) <= 0.2 * pps * avg, "bps %d = pps x %.0f bits" % (bps, avg))
            check(int(m.group(3)) == 4, "4 flows live (%s)" % m.group(3))
            check(m.group(4) == "10.1.0.3:5002>10.2.0.1:9/17", "top flow %s" % m.group(4))
        check(nf is not None and nf.get("report_age_ms", 9999) <= 1500,
              "the report is at most 1.5 s old (%s)" % (nf or {}).get("report_age_ms"))
        h.nfs[0].send_signal(signal.SIGUSR1)
        deadline = time.time() + 5
        while time.time() < deadline and "monitor: top 1 " not in h.nf_output()[0]:
            time.sleep(0.05)
        out = h.nf_output()[0]
        check(re.search(r"monitor: rx \d+ flows_live 4\nmonitor: top 1 10\.1\.0\.3:5002>"
                        r"10\.2\.0\.1:9/17 packets \d+ bytes \d+", out) is not None
              and "summary" not in out, "SIGUSR1 prints the top list while running")
        rc, nf_rcs = h.stop()
        check(rc == 0 and nf_rcs == [0], "manager and monitor exit 0 (%s, %s)" % (rc, nf_rcs))
        out = h.nf_output()[0]
        s = summary(out)
        check(s.get("rx", 0) > 0 and s.get("flows") == 4 and s.get("malformed") == 0,
              "summary: rx %s flows %s" % (s.get("rx"), s.get("flows")))
    finally:
        h.cleanup()


def scenario_bad_config(tmp, manager, monitor):
    conf = os.path.join(tmp, "monitor.conf")
    with open(conf, "w") as f:
        f.write("# monitor\ncollector 127.0.0.1:4739\n\nidle-timeout 30\nmax-flows lots\ntop 5\n")
    r = subprocess.run([monitor, "--", "--config", conf], capture_output=True, text=True,
                       timeout=30)
    print(r.stdout + r.stderr)
    check(r.returncode == 1, "exit status 1 (%d)" % r.returncode)
    check("%s:5: max-flows: 'lots' is not a number" % conf in r.stderr,
          "the error names the file and line 5")
    sample = os.path.join(os.environ.get("SDNFV_SOURCE_ROOT", "."), "examples", "monitor",
                          "monitor.conf")
    r = subprocess.run([monitor, "--", "--config", sample, "--help"], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0, "the sample monitor.conf loads (%s)" % r.stderr.strip()[:200])
    r = subprocess.run([monitor, "--", "--top", "-3"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 2 and "top: '-3'" in r.stderr, "a bad option: status 2 and its reason")


def main():
    scenario, manager, monitor = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory(prefix="monitor-e2e-") as tmp:
        {"records": scenario_records, "rate": scenario_rate,
         "bad_config": scenario_bad_config}[scenario](tmp, manager, monitor)
    sys.exit(verdict())


if __name__ == "__main__":
    main()
