#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of the host manager and NF processes (examples/manager, examples/simple_nf).

usage: e2e.py SCENARIO      (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT, SDNFV_TEST_PREFIX)

Scenarios:
  chain3        pcap -> manager -> ttl -> dscp -> count (three NF processes) -> pcap; the output is
                what an independent model (scapy) says, flow order kept, pool back to 0
  group         the same chain as one NF group process (one thread): the same output
  mgr_after     the NFs start first and wait; the manager comes a second later; the same output
  kill          an NF of a two-instance service is killed (SIGKILL) under traffic: noticed within
                100 ms, its flows move, its packets are counted and returned to the pool
  join_leave    an instance joins and another leaves (gracefully) under traffic: only the flows of
                the changed instance move, nothing is lost; telemetry answers meanwhile
  redirect      smart data plane: a redirect the policy allows is applied, one it does not allow
                is refused and counted; telemetry shows both
  bad_policy    a broken policy file is refused with its line and reason
  restart       SIGINT stops the manager and its NFs cleanly, removes its runtime files, and a
                manager started right after works
  overload      a slow NF after a fast one under a flood: backpressure reaches the chain's
                entry, the only drops are there (counted), and nothing stalls
  vports        kernel-facing ports: packets sent into a veth pair reach the manager through
                net_af_packet, go through an NF, and leave through a net_tap interface
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import IP, UDP, TCP, ICMP, IPv6, Ether, Dot1Q, Raw, wrpcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from host import (SOURCE, PREFIX, RUNTIME, verdict,  # noqa: E402
                  check, read_frames, sh, Host, policy_file, accounting_checks)

# ------------------------------------------------------------------------------------------
# Traffic and the model of the chain


def make_traffic(path, flows=40, per_flow=12):
    """Well-formed frames of many flows, interleaved: IPv4/IPv6, TCP/UDP/ICMP, some VLAN-tagged,
    some with TTL 1 (the ttl NF drops those)."""
    pkts = []
    for i in range(per_flow):
        for f in range(flows):
            eth = Ether(src="02:00:00:00:00:%02x" % (f % 256), dst="02:00:00:00:01:01")
            if f % 10 == 7:
                eth = eth / Dot1Q(vlan=100 + f)
            ttl = 1 if (f == 3 and i % 3 == 0) else 64 - (f % 7)
            if f % 4 == 1:
                l3 = IPv6(src="2001:db8::%x" % (f + 1), dst="2001:db8:1::1", hlim=ttl)
            else:
                l3 = IP(src="10.0.%d.%d" % (f // 200, f % 200 + 1), dst="192.0.2.1", ttl=ttl,
                        tos=(f % 4))
            if f % 5 == 2:
                l4 = UDP(sport=1000 + f, dport=53)
            elif f % 9 == 4 and not isinstance(l3, IPv6):
                l4 = ICMP(id=f, seq=i)
            else:
                l4 = TCP(sport=2000 + f, dport=80, flags="A", seq=i * 100)
            pkts.append(eth / l3 / l4 / Raw(b"f%03d p%03d" % (f, i) + b"." * (f % 40)))
    wrpcap(path, pkts)
    return pkts


def model_chain(frames, dscp):
    """What ttl -> dscp=N -> count does to each frame (None: dropped)."""
    out = []
    for raw in frames:
        p = Ether(raw)
        ip = p.getlayer(IP)
        ip6 = p.getlayer(IPv6)
        if ip is not None:
            if ip.ttl <= 1:
                out.append(None)
                continue
            ip.ttl -= 1
            ip.tos = (dscp << 2) | (ip.tos & 3)
            del ip.chksum
        elif ip6 is not None:
            if ip6.hlim <= 1:
                out.append(None)
                continue
            ip6.hlim -= 1
            ip6.tc = (dscp << 2) | (ip6.tc & 3)
        out.append(bytes(p.__class__(bytes(p))))
    return out


def flow_of(raw):
    p = Ether(raw)
    ip = p.getlayer(IP) or p.getlayer(IPv6)
    if ip is None:
        return ("other",)
    l4 = ip.payload
    return (ip.src, ip.dst, getattr(l4, "sport", None), getattr(l4, "dport", None), type(l4).__name__)


def by_flow(frames):
    flows = {}
    for raw in frames:
        flows.setdefault(flow_of(raw), []).append(raw)
    return flows


def compare_output(expected, out_path, what):
    got = read_frames(out_path)
    exp = [f for f in expected if f is not None]
    check(len(got) == len(exp), "%s: %d packets out, %d expected" % (what, len(got), len(exp)))
    ef, gf = by_flow(exp), by_flow(got)
    bad = [k for k in ef if ef[k] != gf.get(k)]
    check(not bad and set(ef) == set(gf),
          "%s: every flow's packets equal the model's, in order (%d flows; %d differ)"
          % (what, len(ef), len(bad)))


# ------------------------------------------------------------------------------------------
# Processes


CHAIN3 = """
services:
  ttl: {}
  mark: {}
  count: {}
chains:
  main:
    hops: [ttl, mark, count]
    out: in_port
rules:
  - { match: "", priority: 0, chain: main }
"""


def summary_checks(h, what, nf_rcs, rc):
    check(rc == 0, "%s: manager exit code 0 (got %s)" % (what, rc))
    check(all(r == 0 for r in nf_rcs), "%s: every NF exits 0 (%s)" % (what, nf_rcs))
    check(h.stat("pool_in_use") == 0, "%s: pool in use back to 0 (%s)" % (what, h.stat("pool_in_use")))


def run_chain(tmp, frames_path, nf_specs, what, mgr_delay=0.0, min_nfs=3):
    out = os.path.join(tmp, what + "-out.pcap")
    policy = policy_file(tmp, CHAIN3)
    vdev = "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (frames_path, out)
    h = None
    early = []
    try:
        if mgr_delay > 0:
            # NFs first: they must wait for the manager rather than fail.
            h0 = Host.__new__(Host)
            h0.tmp, h0.prefix, h0.nfs, h0.lcore = tmp, PREFIX, [], 10
            for spec in nf_specs:
                early.append(h0.nf(*spec))
            time.sleep(mgr_delay)
            check(all(p.poll() is None for p in early), "%s: NFs wait for the manager" % what)
        h = Host(tmp, policy, [vdev], ["--idle-exit", "300", "--min-nfs", str(min_nfs)])
        h.lcore = 20
        if mgr_delay > 0:
            h.nfs = early
        check(h.wait_ready(), "%s: manager ready" % what)
        if mgr_delay == 0:
            for spec in nf_specs:
                h.nf(*spec)
        rc, nf_rcs = h.wait(60)
        print(h.text())
        for p in h.nfs:
            p.logfile.seek(0)
            print(p.logfile.read())
        summary_checks(h, what, nf_rcs, rc)
        m = re.findall(r"registration took (\d+) us", "".join(
            open(p.logfile.name).read() for p in h.nfs))
        if m:
            print("registration round trips (us): %s" % ", ".join(m))
        return out, h
    finally:
        if h is not None:
            h.cleanup()
        for p in early:
            if p.poll() is None:
                p.kill()


def scenario_chain3(tmp, group=False, mgr_delay=0.0):
    src = os.path.join(tmp, "in.pcap")
    frames = [bytes(p) for p in make_traffic(src)]
    expected = model_chain(frames, 10)
    if group:
        specs = [("--group", "ttl:ttl,mark:dscp=10,count:count")]
    else:
        specs = [("--service", "ttl", "--action", "ttl"),
                 ("--service", "mark", "--action", "dscp=10"),
                 ("--service", "count", "--action", "count")]
    what = "group" if group else ("mgr_after" if mgr_delay else "chain3")
    out, h = run_chain(tmp, src, specs, what, mgr_delay)
    compare_output(expected, out, what)
    dropped = sum(1 for e in expected if e is None)
    check(h.stat("verdict") == dropped, "%s: %d TTL-expired packets dropped by verdict (%s)"
          % (what, dropped, h.stat("verdict")))
    if group:
        calls = [int(n) for n in re.findall(r"local_calls (\d+)", h.text())]
        check(len(calls) == 3 and calls[0] == 0 and min(calls[1:]) > 0 if len(calls) == 3 else False,
              "%s: the group passed bursts by function call (local calls %s)" % (what, calls))
    # The demo capture (malformed frames included) gives the same output either way; the
    # caller compares the two runs.
    return h


def scenario_group_vs_processes(tmp):
    """The demo capture, with its malformed frames, through the chain as three processes and as
    one group: the outputs are byte for byte the same."""
    demo = os.path.join(SOURCE, "examples", "data", "demo.pcap")
    outs = []
    for group in (False, True):
        sub = tempfile.mkdtemp(dir=tmp)
        specs = ([("--group", "ttl:ttl,mark:dscp=10,count:count")] if group else
                 [("--service", "ttl", "--action", "ttl"),
                  ("--service", "mark", "--action", "dscp=10"),
                  ("--service", "count", "--action", "count")])
        out, h = run_chain(sub, demo, specs, "demo-" + ("group" if group else "procs"))
        outs.append(read_frames(out))
    check(len(outs[0]) > 500 and outs[0] == outs[1],
          "demo capture: group and processes give the same %d packets" % len(outs[0]))


# ------------------------------------------------------------------------------------------
# Under traffic: infinite pcap source, null sink


def flow_traffic(path, flows):
    pkts = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.%d.%d.%d" % (f >> 16 & 255, f >> 8 & 255, f & 255),
                         dst="192.0.2.9") / UDP(sport=1024 + f % 50000, dport=4000) / Raw(b"x" * 18)
            for f in range(flows)]
    wrpcap(path, pkts)


TWO_HOP = """
services:
  a: {}
  b: { fallback: drop }
chains:
  main:
    hops: [a, b]
    out: 1
rules:
  - { match: "", priority: 0, chain: main }
"""


def live_host(tmp, policy_text, flows=1000, extra=()):
    src = os.path.join(tmp, "flows.pcap")
    flow_traffic(src, flows)
    policy = policy_file(tmp, policy_text)
    h = Host(tmp, policy, ["net_pcap0,rx_pcap=%s,infinite_rx=1" % src, "net_null0,no-rx=1"],
             list(extra))
    # net_pcap's infinite_rx keeps the capture in mbufs of the pool while the port is open.
    h.port_mbufs = flows
    return h


def pool_ok(h):
    return h.stat("pool_in_use") == getattr(h, "port_mbufs", 0)


def read_flow_log(path):
    flows = {}
    if not os.path.exists(path):
        return flows
    for line in open(path):
        fid, n, first, last = (int(x) for x in line.split())
        flows[fid] = (n, first, last)
    return flows


def scenario_kill(tmp):
    h = live_host(tmp, TWO_HOP, extra=["--min-nfs", "3"])
    try:
        check(h.wait_ready(), "kill: manager ready")
        h.nf("--service", "a", "--action", "count")
        victim = h.nf("--service", "b", "--action", "count", "--name", "b1")
        h.nf("--service", "b", "--action", "count", "--name", "b2")
        h.wait_nfs(3)
        time.sleep(0.5)
        t_kill = time.monotonic()
        victim.send_signal(signal.SIGKILL)
        m = h.wait_text(r"died; noticed at (\d+\.\d+)", 5)
        check(m is not None, "kill: the manager notices the death")
        if m:
            delay_ms = (float(m.group(1)) - t_kill) * 1000
            print("death noticed after %.1f ms" % delay_ms)
            check(delay_ms < 100, "kill: noticed within 100 ms (%.1f ms)" % delay_ms)
        time.sleep(1.0)
        rc, nf_rcs = h.stop()
        print(h.text())
        check(rc == 0, "kill: manager exits 0")
        check(h.stat("died") == 1, "kill: one NF counted as died")
        check(pool_ok(h), "kill: every mbuf back in the pool (%s in use, %d of them the port's)"
              % (h.stat("pool_in_use"), h.port_mbufs))
        lost = h.stat("nf_died")
        bound = 1024 + 64 + 1024  # its rx ring, a burst in its hands, what it may hold
        check(lost is not None and lost <= bound,
              "kill: packets lost with the NF counted (%s) and within the bound %d" % (lost, bound))
        accounting_checks(h, "kill")
        b2 = re.search(r"nf \d+ b2 .* rx (\d+)", h.text())
        check(b2 is not None and int(b2.group(1)) > 0, "kill: the other instance took the flows")
    finally:
        h.cleanup()


def scenario_join_leave(tmp):
    h = live_host(tmp, TWO_HOP, extra=["--min-nfs", "3"])
    logs = {n: os.path.join(tmp, n + ".flows") for n in ("x", "y", "z")}
    try:
        check(h.wait_ready(), "join_leave: manager ready")
        h.nf("--service", "a", "--action", "count")
        h.nf("--service", "b", "--action", "count", "--name", "x", "--flow-log", logs["x"])
        y = h.nf("--service", "b", "--action", "count", "--name", "y", "--flow-log", logs["y"],
                 "--report")
        h.wait_nfs(3)
        time.sleep(0.5)
        h.nf("--service", "b", "--action", "count", "--name", "z", "--flow-log", logs["z"])
        h.wait_nfs(4)
        time.sleep(0.5)
        services = h.telemetry("/sdnfv/services")
        nfs = h.telemetry("/sdnfv/nfs")
        stats = h.telemetry("/sdnfv/stats")
        nf0 = h.telemetry("/sdnfv/nf,%d" % nfs[0]) if nfs else None
        flows = h.telemetry("/sdnfv/flows")
        print(json.dumps({"services": services, "nfs": nfs, "stats": stats, "nf0": nf0,
                          "flows": flows[:3] if flows else flows}, indent=1))
        check(services is not None and len(services["b"]["instances"]) == 3,
              "join_leave: telemetry shows three instances of b")
        check(stats is not None and stats["rx"] > 0 and "drops" in stats,
              "join_leave: telemetry stats answer")
        check(nf0 is not None and nf0["rx"] > 0 and "wake_ns_avg" in nf0,
              "join_leave: telemetry for one NF answers")
        check(isinstance(flows, list) and len(flows) > 0 and "packets_est" in flows[0],
              "join_leave: telemetry lists the busiest flows")
        y.send_signal(signal.SIGTERM)  # a graceful leave
        try:
            yrc = y.wait(10)
        except subprocess.TimeoutExpired:
            yrc = None
        check(yrc == 0, "join_leave: the leaving NF stops gracefully (rc %s)" % yrc)
        m = h.wait_text(r"NF y reports (\d+) bytes", 5)
        check(m is not None and int(m.group(1)) > 20,
              "join_leave: its state report reached the manager")
        time.sleep(1.0)
        rc, nf_rcs = h.stop()
        print(h.text())
        check(rc == 0, "join_leave: manager exits 0")
        rx, tx, drops = accounting_checks(h, "join_leave")
        lost = sum(h.stat(r) or 0 for r in ("nf_gone", "nf_died", "no_instance", "port_full"))
        check(lost == 0, "join_leave: nothing lost while instances came and went; the only drops "
              "are overload at the chain's entry (%d entry_full)" % h.stat("entry_full"))
        check(pool_ok(h), "join_leave: pool back to the port's own mbufs")
        fx, fy, fz = (read_flow_log(logs[n]) for n in ("x", "y", "z"))
        total = set(fx) | set(fy) | set(fz)
        # Allowed moves: to z when it joined; away from y when it left. Never x -> y, z -> x,
        # z -> y, nor x -> z after the join settled (only the join may move x's flows to z).
        # x's flows may move only to z (when z joins); y's flows move to z (join) or to x or z
        # (when y leaves); z's flows never move.
        bad = []
        x_to_z = moved_off_y = 0
        for fid in total:
            seen = sorted((v[1], v[2], n) for n, f in (("x", fx), ("y", fy), ("z", fz))
                          for k, v in f.items() if k == fid)
            for (f1, l1, a), (f2, l2, b) in zip(seen, seen[1:]):
                if a == "x" and b == "z":
                    x_to_z += 1
                elif a == "y":
                    moved_off_y += 1
                else:
                    bad.append((fid, a, b))
        x_flows = len(set(fx) | set(k for k in fz if k in fx))
        print("flows %d: x had %d, %d of them moved to z when it joined; %d moved off y; "
              "other moves %d" % (len(total), x_flows, x_to_z, moved_off_y, len(bad)))
        moved_join = x_to_z
        check(len(total) == 1000, "join_leave: all 1000 flows seen (%d)" % len(total))
        check(not bad, "join_leave: no flow moved except to the joining or off the leaving instance")
        check(0.2 * x_flows < moved_join < 0.5 * x_flows,
              "join_leave: about a third of x's flows moved to the new instance (%d of %d)"
              % (moved_join, x_flows))
        check(moved_off_y > 0 and all(k in fx or k in fz for k in fy),
              "join_leave: the leaving instance's flows went on elsewhere (%d)" % moved_off_y)
    finally:
        h.cleanup()


REDIRECT = """
services:
  ids: {}
  mark: {}
  scrubber: {}
  skipper: {}
chains:
  main:
    hops: [ids, skipper, mark]
    out: 1
    alternatives:
      ids: { redirect: [scrubber] }
rules:
  - { match: "", priority: 0, chain: main }
"""


def scenario_redirect(tmp):
    h = live_host(tmp, REDIRECT, flows=20, extra=["--min-nfs", "4"])
    try:
        check(h.wait_ready(), "redirect: manager ready")
        h.nf("--service", "ids", "--action", "redirect=scrubber@5")
        h.nf("--service", "skipper", "--action", "skip@5")  # skip is not allowed at its hop
        mark = h.nf("--service", "mark", "--action", "count")
        h.nf("--service", "scrubber", "--action", "count")
        h.wait_nfs(4)
        time.sleep(1.0)
        paths = h.telemetry("/sdnfv/paths,48")
        chains = h.telemetry("/sdnfv/chains")
        print(json.dumps({"paths": paths[:4] if paths else paths, "chains": chains}, indent=1))
        applied = [p for p in (paths or []) if p["result"] == "applied"]
        refused = [p for p in (paths or []) if p["result"] != "applied"]
        check(len(applied) == 20 and all(p["op"] == "redirect" and p["service"] == "scrubber"
                                         for p in applied),
              "redirect: 20 redirects (one per flow) applied, shown in telemetry")
        check(len(refused) == 20 and all(p["op"] == "skip" for p in refused),
              "redirect: 20 skips refused (not allowed at that hop), shown in telemetry")
        check(chains is not None and any(c["hops"] == ["ids", "scrubber", "mark"] for c in chains),
              "redirect: a derived chain ids -> scrubber -> mark exists")
        ids = {h.telemetry("/sdnfv/nf,%d" % i)["name"]: i for i in h.telemetry("/sdnfv/nfs")}
        before = h.telemetry("/sdnfv/nf,%d" % ids["skipper"])["rx"]
        scrub0 = h.telemetry("/sdnfv/nf,%d" % ids["scrubber"])["rx"]
        time.sleep(0.5)
        after = h.telemetry("/sdnfv/nf,%d" % ids["skipper"])["rx"]
        scrub1 = h.telemetry("/sdnfv/nf,%d" % ids["scrubber"])["rx"]
        check(after == before and scrub1 > scrub0,
              "redirect: once redirected, flows reach the scrubber and no longer the default next "
              "hop (skipper %d -> %d, scrubber %d -> %d)" % (before, after, scrub0, scrub1))
        rc, nf_rcs = h.stop()
        print(h.text())
        check(h.stat("applied") == 20 and h.stat("refused") == 20,
              "redirect: manager counts 20 applied, 20 refused")
        scrub = re.search(r"nf \d+ scrubber .* rx (\d+)", h.text())
        skipper = re.search(r"nf \d+ skipper .* rx (\d+)", h.text())
        check(scrub is not None and int(scrub.group(1)) > 1000,
              "redirect: the scrubber gets the redirected flows")
        print("packets through the default next hop before the redirects took effect: %s"
              % (skipper.group(1) if skipper else None))
        accounting_checks(h, "redirect")
        check(pool_ok(h), "redirect: pool back to the port's own mbufs")
        del mark
    finally:
        h.cleanup()


def scenario_bad_policy(tmp):
    policy = policy_file(tmp, CHAIN3.replace("hops: [ttl, mark, count]", "hops: [ttl, nat]"))
    h = Host(tmp, policy, ["net_null0,no-rx=1"])
    rc, _ = h.wait(30)
    print(h.text())
    check(rc == 1, "bad_policy: the manager refuses to start (rc %s)" % rc)
    check(re.search(r"policy\.yaml:8:\d+: .*nat", h.text()) is not None,
          "bad_policy: the error names the file, line 8 and the unknown service")
    check(not os.path.exists("/var/run/dpdk/" + PREFIX + "/config"),
          "bad_policy: no runtime files left")


def scenario_restart(tmp):
    for round_ in (1, 2):
        h = live_host(tmp, TWO_HOP, extra=["--min-nfs", "2"])
        try:
            check(h.wait_ready(), "restart %d: manager ready" % round_)
            h.nf("--service", "a", "--action", "count")
            h.nf("--service", "b", "--action", "count")
            h.wait_nfs(2)
            time.sleep(0.5)
            rc, nf_rcs = h.stop()
            print(h.text())
            check(rc == 0, "restart %d: manager exits 0 on SIGINT" % round_)
            check(all(r == 0 for r in nf_rcs), "restart %d: its NFs stop and exit 0 (%s)"
                  % (round_, nf_rcs))
            check(h.stat("tx") and h.stat("tx") > 0, "restart %d: traffic flowed" % round_)
            accounting_checks(h, "restart %d" % round_)
            check(pool_ok(h), "restart %d: pool back to the port's own mbufs" % round_)
            left = os.listdir(RUNTIME) if os.path.exists(RUNTIME) else []
            huge = [f for d in ("/dev/hugepages",) if os.path.isdir(d)
                    for f in os.listdir(d) if f.startswith(PREFIX + "map_")]
            check(not left and not huge, "restart %d: runtime files removed (%s %s)"
                  % (round_, left, huge[:3]))
        finally:
            h.cleanup()


def scenario_overload(tmp):
    h = live_host(tmp, TWO_HOP, extra=["--min-nfs", "2"])
    try:
        check(h.wait_ready(), "overload: manager ready")
        h.nf("--service", "a", "--action", "count", sleep=False)
        h.nf("--service", "b", "--action", "busy=2000", sleep=False)  # ~1 µs a packet
        h.wait_nfs(2)
        ids = {h.telemetry("/sdnfv/nf,%d" % i)["name"]: i for i in h.telemetry("/sdnfv/nfs")}
        samples = []
        for _ in range(3):
            time.sleep(0.7)
            samples.append(h.telemetry("/sdnfv/nf,%d" % ids["b"])["rx"])
        print("slow NF rx over time: %s" % samples)
        check(samples[0] < samples[1] < samples[2], "overload: the slow NF keeps getting packets")
        rc, nf_rcs = h.stop()
        print(h.text())
        check(rc == 0 and all(x == 0 for x in nf_rcs), "overload: manager and NFs stop cleanly")
        accounting_checks(h, "overload")
        other = sum(h.stat(r) or 0 for r in ("verdict", "no_rule", "chain", "no_instance",
                                             "port_full", "bad_dest", "nf_gone", "nf_died",
                                             "hold_full"))
        check(h.stat("entry_full") > 0 and other == 0,
              "overload: drops only at the chain's entry (%s entry_full, %d others)"
              % (h.stat("entry_full"), other))
        a_line = re.search(r"nf \d+ a .* entry_drops (\d+)", h.text())
        check(a_line is not None and int(a_line.group(1)) == h.stat("entry_full"),
              "overload: every drop happened before the first NF")
        check(pool_ok(h), "overload: pool back to the port's own mbufs")
    finally:
        h.cleanup()


VPORTS = """
services:
  mark: {}
chains:
  out_tap:
    hops: [mark]
    out: 1
rules:
  - { match: "udp,tp_dst=7777", priority: 10, chain: out_tap }
miss: drop
"""


def scenario_vports(tmp):
    from scapy.all import AsyncSniffer, sendp
    tag = "%d" % (os.getpid() % 100000)
    veth_a, veth_b, tap = "sva" + tag, "svb" + tag, "svt" + tag
    r = sh("ip", "link", "add", veth_a, "type", "veth", "peer", "name", veth_b)
    check(r.returncode == 0, "vports: veth pair created (%s)" % r.stderr.strip())
    h = None
    try:
        for i in (veth_a, veth_b):
            sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i)
            sh("ip", "link", "set", i, "up")
        policy = policy_file(tmp, VPORTS)
        h = Host(tmp, policy, ["net_af_packet0,iface=%s" % veth_a, "net_tap0,iface=%s" % tap],
                 ["--min-nfs", "1"])
        check(h.wait_ready(), "vports: manager ready with an af_packet and a tap port")
        sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % tap)
        sh("ip", "link", "set", tap, "up")
        h.nf("--service", "mark", "--action", "dscp=10")
        m = h.wait_text(r"registered as id", 20)
        check(m is not None, "vports: the NF attached")
        time.sleep(0.5)
        # The tap and af_packet drivers keep receive buffers of the pool: what they hold before
        # traffic is the baseline.
        base = h.telemetry("/sdnfv/stats")["pool_in_use"]
        sniffer = AsyncSniffer(iface=tap, filter="udp and port 7777", store=True)
        sniffer.start()
        time.sleep(0.5)
        pkts = [Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") /
                IP(src="198.51.100.1", dst="198.51.100.2", tos=0) /
                UDP(sport=5000 + i % 4, dport=7777) / Raw(b"vport %03d" % i) for i in range(50)]
        sendp(pkts, iface=veth_b, verbose=False)
        deadline = time.time() + 5
        while time.time() < deadline and len(sniffer.results or []) < 50:
            time.sleep(0.1)
        got = sniffer.stop() or []
        payloads = [bytes(p[Raw].load) for p in got if Raw in p]
        check(len(payloads) == 50, "vports: 50 packets left through the tap port (%d)" % len(payloads))
        check(payloads == [b"vport %03d" % i for i in range(50)],
              "vports: in the order they were sent")
        check(all(p[IP].tos == 40 for p in got if IP in p), "vports: each went through the NF "
              "(DSCP 10)")
        rc, nf_rcs = h.stop()
        print(h.text())
        check(rc == 0 and all(x == 0 for x in nf_rcs), "vports: manager and NF stop cleanly")
        check(h.stat("pool_in_use") == base, "vports: pool back to what the drivers hold (%s, "
              "before traffic %s)" % (h.stat("pool_in_use"), base))
    finally:
        if h is not None:
            h.cleanup()
        sh("ip", "link", "del", veth_a)


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "chain3"
    tmp = tempfile.mkdtemp(prefix="sdnfv-e2e-")
    try:
        {
            "chain3": lambda: scenario_chain3(tmp),
            "group": lambda: (scenario_chain3(tmp, group=True), scenario_group_vs_processes(tmp)),
            "mgr_after": lambda: scenario_chain3(tmp, mgr_delay=1.0),
            "kill": lambda: scenario_kill(tmp),
            "join_leave": lambda: scenario_join_leave(tmp),
            "redirect": lambda: scenario_redirect(tmp),
            "bad_policy": lambda: scenario_bad_policy(tmp),
            "restart": lambda: scenario_restart(tmp),
            "vports": lambda: scenario_vports(tmp),
            "overload": lambda: scenario_overload(tmp),
        }[scenario]()
    finally:
        subprocess.run(["rm", "-rf", tmp, RUNTIME])
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
