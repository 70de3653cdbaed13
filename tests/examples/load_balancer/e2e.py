#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of the load_balancer NF with the example manager.

usage: e2e.py SCENARIO LOAD_BALANCER_BINARY
       (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT, SDNFV_TEST_PREFIX)

Scenarios:
  spread  a crafted pcap of 250 client connections to a VIP (3 packets each, interleaved), other
          traffic and malformed frames -> manager (net_pcap) -> load_balancer -> pcap: every
          connection's packets went to one backend, rewritten with right checksums; the four
          backends got an even share; other traffic left unchanged; malformed frames were
          dropped and counted; the summary adds up. A broken config is refused with its line.
  capture a real capture (tcpreplay's test.pcap) with VIPs on its servers: every frame goes
          through; client -> server frames reach one backend per connection; the rest (server
          frames, ARP, ICMP, VLAN, IPv6) leaves byte for byte
  down    live traffic through kernel-facing ports (veth -> net_af_packet in, net_tap out):
          connections are placed, backends' replies leave with the VIP as their source; then
          one backend is marked down in the file and SIGHUP makes the NF re-read it: only that
          backend's connections move (spread over the others), every other connection keeps its
          backend; a broken file on a second SIGHUP is refused and changes nothing.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "common"))
from host import (RUNTIME, verdict, check, read_frames, sh, Host,  # noqa: E402
                  policy_file, SKIP, shared_pcaps)

VIP = "192.0.2.10"
BACKENDS = {"a": "10.1.0.1", "b": "10.1.0.2", "c": "10.1.0.3", "d": "10.1.0.4"}
BPORT = 8080


def config(down=(), broken=False):
    lines = ["# load_balancer e2e", "conn-timeout 600", "vip %s tcp 80 name web" % VIP]
    for name, ip in BACKENDS.items():
        lines.append("backend %s %s:%d%s" % (name, ip, BPORT, " down" if name in down else ""))
    if broken:
        lines.append("backend e 10.1.0.5:8080 weight heavy")
    return "\n".join(lines) + "\n"


def summary(text):
    m = re.search(r"load_balancer: summary (.*)", text)
    if not m:
        return {}
    w = m.group(1).split()
    return {w[i]: int(w[i + 1]) for i in range(0, len(w) - 1, 2)}


def backend_of(p):
    for name, ip in BACKENDS.items():
        if p[IP].dst == ip and p[TCP].dport == BPORT:
            return name
    return None


def checksums_right(p):
    """Recompute every checksum with scapy and compare (independent of the NF's arithmetic)."""
    q = p.copy()
    del q[IP].chksum
    if TCP in q:
        del q[TCP].chksum
    if UDP in q:
        del q[UDP].chksum
    return bytes(Ether(bytes(q))) == bytes(p)


def client(i):
    return "198.51.%d.%d" % (100 + i // 200, i % 200 + 1), 20000 + i


def bad_config_check(tmp, lb):
    path = os.path.join(tmp, "bad.conf")
    with open(path, "w") as f:
        f.write(config(broken=True))
    r = sh(lb, "--check", path)
    line = config(broken=True).count("\n")
    check(r.returncode == 1 and ("%s:%d: weight 'heavy'" % (path, line)) in r.stderr,
          "a broken config is refused with its line (rc %d: %s)" % (r.returncode,
                                                                     r.stderr.strip()))


SPREAD_POLICY = """
services:
  load_balancer: {}
chains:
  lb:
    hops: [load_balancer]
    out: in_port
rules:
  - { match: "", priority: 0, chain: lb }
"""


def scenario_spread(tmp, lb):
    bad_config_check(tmp, lb)
    conf = os.path.join(tmp, "lb.conf")
    with open(conf, "w") as f:
        f.write(config())
    src, out = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "out.pcap")
    # Under the NF's ring size (1024) in all: the pcap port is read at full speed, and a slow
    # (sanitizer) build of the NF must not make the manager drop at the chain's entry.
    n_conns, per_conn = 250, 3
    pkts, others, malformed = [], [], 0
    for k in range(per_conn):
        for i in range(n_conns):
            cip, cport = client(i)
            pkts.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                        IP(src=cip, dst=VIP) /
                        TCP(sport=cport, dport=80, flags="S" if k == 0 else "A", seq=k) /
                        Raw(b"conn %d pkt %d" % (i, k)))
        # Not for the VIP (another address; the VIP on another port): unchanged.
        o = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
             IP(src="203.0.113.9", dst="192.0.2.99") / UDP(sport=999, dport=53) / Raw(b"x" * k))
        o2 = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
              IP(src="203.0.113.9", dst=VIP) / TCP(sport=999, dport=443) / Raw(b"y" * k))
        pkts += [o, o2]
        others += [bytes(o), bytes(o2)]
        # Malformed: a truncated TCP header; an IPv4 total length that lies.
        good = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="203.0.113.7", dst=VIP) / TCP(sport=5000 + k, dport=80))
        pkts.append(Ether(good[:14 + 20 + 10]))
        lie = bytearray(good)
        lie[16:18] = (1400).to_bytes(2, "big")
        pkts.append(Ether(bytes(lie)))
        malformed += 2
    wrpcap(src, pkts)
    policy = policy_file(tmp, SPREAD_POLICY)
    h = Host(tmp, policy, ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, out)],
             ["--idle-exit", "300", "--min-nfs", "1"])
    try:
        check(h.wait_ready(), "spread: manager ready")
        h.proc(lb, "--config", conf)
        rc, nf_rcs = h.wait(90)
        nf_text = h.nf_output()[0]
        print(h.text())
        print(nf_text)
        check(rc == 0 and nf_rcs == [0], "spread: manager and NF exit 0 (%s, %s)" % (rc, nf_rcs))
        check(h.stat("pool_in_use") == 0, "spread: pool back to 0")
        got = [Ether(f) for f in read_frames(out)]
        placed, bad_ck, to_none = {}, 0, 0
        unchanged = [bytes(p) for p in got if not (IP in p and TCP in p and p[TCP].dport == BPORT)]
        for p in got:
            if not (IP in p and TCP in p and p[TCP].dport == BPORT):
                continue
            b = backend_of(p)
            if b is None:
                to_none += 1
                continue
            placed.setdefault((p[IP].src, p[TCP].sport), []).append(b)
            bad_ck += not checksums_right(p)
        check(len(got) == n_conns * per_conn + len(others),
              "spread: %d frames out (%d connection packets + %d others; malformed dropped)"
              % (len(got), n_conns * per_conn, len(others)))
        check(len(placed) == n_conns and all(len(v) == per_conn for v in placed.values()),
              "spread: every connection's %d packets came out (%d connections)"
              % (per_conn, len(placed)))
        split = [k for k, v in placed.items() if len(set(v)) != 1]
        check(not split and to_none == 0,
              "spread: every connection's packets went to one backend (%d split)" % len(split))
        check(bad_ck == 0, "spread: checksums right after the rewrite (%d wrong)" % bad_ck)
        share = {n: sum(1 for v in placed.values() if v[0] == n) for n in BACKENDS}
        print("spread: connections per backend %s" % share)
        check(all(0.7 * n_conns / 4 < s < 1.3 * n_conns / 4 for s in share.values()),
              "spread: even spread over the 4 backends (%s)" % share)
        check(sorted(unchanged) == sorted(others), "spread: other traffic left unchanged")
        s = summary(nf_text)
        check(s.get("rx") == len(pkts) and s.get("malformed") == malformed and
              s.get("to_backend") == n_conns * per_conn and s.get("conns_new") == n_conns and
              s.get("passed") == len(others) and s.get("unserved") == per_conn,
              "spread: the NF's summary adds up (%s)" % s)
        per_b = dict(re.findall(r"backend (\w) vip web .* conns (\d+)", nf_text))
        check({k: int(v) for k, v in per_b.items()} == share,
              "spread: per-backend connection counts match the output (%s)" % per_b)
    finally:
        h.cleanup()


CAPTURE_CONF = """
vip 216.34.181.45 tcp 80 name slashdot
backend sd-a 10.9.1.1:8080
backend sd-b 10.9.1.2:8080
vip 96.17.211.172 tcp 80 name akamai
backend ak-a 10.9.2.1:8080
backend ak-b 10.9.2.2:8080
vip 172.16.11.1 udp 53 name dns
backend dns-a 10.9.4.1
backend dns-b 10.9.4.2
"""
CAPTURE_VIPS = {("216.34.181.45", 6, 80), ("96.17.211.172", 6, 80), ("172.16.11.1", 17, 53)}
CAPTURE_BACKENDS = {"10.9.1.1", "10.9.1.2", "10.9.2.1", "10.9.2.2", "10.9.4.1", "10.9.4.2"}


def l4_of(p):
    return p[TCP] if TCP in p else (p[UDP] if UDP in p else None)


def scenario_capture(tmp, lb):
    """A real capture (tcpreplay's test.pcap: TCP, UDP, ICMP, ARP, VLAN, IPv6) with VIPs on its
    servers: client -> server frames go to one backend per connection, the rest is unchanged."""
    if shared_pcaps() is None:
        sys.exit(SKIP)
    src = os.path.join(shared_pcaps(), "tcpreplay_test.pcap")
    out = os.path.join(tmp, "out.pcap")
    conf = os.path.join(tmp, "lb.conf")
    with open(conf, "w") as f:
        f.write(CAPTURE_CONF)
    frames = read_frames(src)
    to_vip, others = [], []
    for raw in frames:
        p = Ether(raw)
        l4 = l4_of(p) if IP in p and not p[IP].flags.MF and p[IP].frag == 0 else None
        if l4 is not None and (p[IP].dst, p[IP].proto, l4.dport) in CAPTURE_VIPS:
            to_vip.append(raw)
        else:
            others.append(raw)
    policy = policy_file(tmp, SPREAD_POLICY)
    h = Host(tmp, policy, ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (src, out)],
             ["--idle-exit", "300", "--min-nfs", "1"])
    try:
        check(h.wait_ready(), "capture: manager ready")
        h.proc(lb, "--config", conf)
        rc, nf_rcs = h.wait(90)
        nf_text = h.nf_output()[0]
        print(nf_text)
        check(rc == 0 and nf_rcs == [0], "capture: manager and NF exit 0 (%s, %s)" % (rc, nf_rcs))
        got = read_frames(out)
        s = summary(nf_text)
        check(s.get("rx") == len(frames) and s.get("to_backend") == len(to_vip) and
              s.get("dropped") == 0 and len(got) == len(frames),
              "capture: all %d frames through, %d of them to backends (%s)"
              % (len(frames), len(to_vip), s))
        placed, bad = {}, 0
        rewritten = []
        for raw in got:
            p = Ether(raw)
            if IP in p and p[IP].dst in CAPTURE_BACKENDS:
                l4 = l4_of(p)
                key = (p[IP].src, l4.sport, p[IP].proto)
                bad += placed.setdefault(key, p[IP].dst) != p[IP].dst
                rewritten.append(p)
        check(len(rewritten) == len(to_vip) and bad == 0 and len(placed) > 5,
              "capture: %d connections, each client's frames to one backend (%d split)"
              % (len(placed), bad))
        unchanged = sorted(r for r in got if Ether(r).getlayer(IP) is None or
                           Ether(r)[IP].dst not in CAPTURE_BACKENDS)
        check(unchanged == sorted(others), "capture: the %d other frames left byte for byte"
              % len(others))
    finally:
        h.cleanup()


DOWN_POLICY = """
services:
  load_balancer: {}
chains:
  lb:
    hops: [load_balancer]
    out: 1
rules:
  - { match: "ip,nw_dst=%s", priority: 10, chain: lb }
  - { match: "ip,nw_src=10.1.0.0/24", priority: 10, chain: lb }
miss: drop
""" % VIP


def scenario_down(tmp, lb):
    from scapy.all import AsyncSniffer, sendp
    tag = "%d" % (os.getpid() % 100000)
    veth_a, veth_b, tap = "lba" + tag, "lbb" + tag, "lbt" + tag
    r = sh("ip", "link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
    check(r.returncode == 0, "down: veth pair created (%s)" % r.stderr.strip())
    conf = os.path.join(tmp, "lb.conf")
    with open(conf, "w") as f:
        f.write(config())
    h = None
    n_conns = 200
    eth = Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b")

    def exchange(pkts, expect, what):
        seen = []  # AsyncSniffer.results is filled only at stop(): count as packets come
        sniffer = AsyncSniffer(iface=tap, filter="tcp", store=True, prn=seen.append)
        sniffer.start()
        time.sleep(0.5)
        t0 = time.time()
        sendp(pkts, iface=veth_b, verbose=False)
        deadline = time.time() + 10
        while time.time() < deadline and len(seen) < expect:
            time.sleep(0.05)
        time.sleep(0.2)  # anything more than expected would show now
        got = sniffer.stop() or []
        print("down: %s took %.2f s" % (what, time.time() - t0))
        check(len(got) == expect, "down: %s: %d packets out of the tap port (%d expected)"
              % (what, len(got), expect))
        return got

    def conn_pkts(tag_):
        out = []
        for i in range(n_conns):
            cip, cport = client(i)
            out.append(eth / IP(src=cip, dst=VIP) / TCP(sport=cport, dport=80, flags="A") /
                       Raw(b"%s %d" % (tag_.encode(), i)))
        return out

    def placement(got, what):
        placed, bad = {}, 0
        for p in got:
            b = backend_of(p)
            key = (p[IP].src, p[TCP].sport)
            if b is None or (key in placed and placed[key] != b):
                bad += 1
            placed[key] = b
            bad += not checksums_right(p)
        check(bad == 0 and len(placed) == n_conns,
              "down: %s: %d connections, each to one backend, checksums right (%d bad)"
              % (what, len(placed), bad))
        return placed

    try:
        for i in (veth_a, veth_b):
            sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i)
            sh("ip", "link", "set", i, "up")
        policy = policy_file(tmp, DOWN_POLICY)
        h = Host(tmp, policy, ["net_af_packet0,iface=%s" % veth_a, "net_tap0,iface=%s" % tap],
                 ["--min-nfs", "1"])
        check(h.wait_ready(), "down: manager ready with an af_packet and a tap port")
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % tap)
        sh("ip", "link", "set", tap, "up")
        nf = h.proc(lb, "--config", conf)
        check(h.wait_text(r"registered as id", 20) is not None, "down: the NF attached")
        time.sleep(0.5)

        # 1. Place the connections (two packets each).
        got = exchange(conn_pkts("one") + conn_pkts("two"), 2 * n_conns, "placement")
        before = placement(got, "before")
        share = {n: sum(1 for b in before.values() if b == n) for n in BACKENDS}
        print("down: connections per backend before: %s" % share)
        check(all(s > 0.5 * n_conns / 4 for s in share.values()),
              "down: every backend got connections (%s)" % share)

        # 2. The backends answer: the client sees the VIP.
        replies = [eth / IP(src=BACKENDS[b], dst=cip) / TCP(sport=BPORT, dport=cport, flags="A") /
                   Raw(b"reply") for (cip, cport), b in before.items()]
        got = exchange(replies, n_conns, "replies")
        ok = [p for p in got if p[IP].src == VIP and p[TCP].sport == 80 and checksums_right(p)]
        check(len(ok) == n_conns, "down: every reply left with the VIP as its source (%d of %d)"
              % (len(ok), n_conns))

        # 3. Mark b down in the file, SIGHUP: only b's connections move.
        with open(conf, "w") as f:
            f.write(config(down=("b",)))
        nf.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and "reloaded" not in h.nf_output()[0]:
            time.sleep(0.05)
        check("reloaded" in h.nf_output()[0], "down: the NF re-read its config on SIGHUP")
        got = exchange(conn_pkts("three"), n_conns, "after down")
        after = placement(got, "after")
        moved_other = [k for k in before if before[k] != "b" and after.get(k) != before[k]]
        b_conns = [k for k in before if before[k] == "b"]
        b_now = {n: sum(1 for k in b_conns if after.get(k) == n) for n in BACKENDS}
        print("down: b's %d connections went to %s" % (len(b_conns), b_now))
        check(not moved_other, "down: no connection of another backend moved (%d did)"
              % len(moved_other))
        check(b_now["b"] == 0 and sum(1 for n in "acd" if b_now[n] > 0) >= 2,
              "down: b's connections moved to the others, spread (%s)" % b_now)

        # 4. A broken file: refused, nothing changes.
        with open(conf, "w") as f:
            f.write(config(broken=True))
        nf.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and "reload refused" not in h.nf_output()[0]:
            time.sleep(0.05)
        out = h.nf_output()[0]
        check(re.search(r"reload refused, the running config stays: .*lb.conf:\d+: weight", out)
              is not None, "down: a broken file on SIGHUP is refused with its line")
        got = exchange(conn_pkts("four"), n_conns, "after a refused reload")
        again = placement(got, "after a refused reload")
        check(again == after, "down: every connection kept its backend")

        rc, nf_rcs = h.stop()
        print(h.text())
        nf_text = h.nf_output()[0]
        print(nf_text)
        check(rc == 0 and nf_rcs == [0], "down: manager and NF stop cleanly (%s, %s)"
              % (rc, nf_rcs))
        s = summary(nf_text)
        check(s.get("reloads") == 1 and s.get("reload_errors") == 1 and
              s.get("conns_moved") == len(b_conns) and s.get("replies") == n_conns,
              "down: the summary counts one reload, one refusal, %d moved connections, %d "
              "replies (%s)" % (len(b_conns), n_conns, s))
    finally:
        if h is not None:
            h.cleanup()
        sh("ip", "link", "del", veth_a)


def main():
    scenario, lb = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="sdnfv-lb-e2e-")
    try:
        {"spread": scenario_spread, "capture": scenario_capture,
         "down": scenario_down}[scenario](tmp, lb)
    finally:
        subprocess.run(["rm", "-rf", tmp, RUNTIME])
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
