#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The OpenFlow agent against real peers: Open vSwitch's ovs-ofctl and ovs-testcontroller drive
the example manager (examples/manager) and NF processes (examples/simple_nf); every check looks
at traffic (the frames in the output captures, the NFs' counters), not only at exit codes. The
control traffic of each run is captured on loopback and decoded by ovs-ofctl and tshark.

usage: peers.py SCENARIO    (environment: as for tests/common/host.py; SDNFV_KEEP_TMP=1 keeps the
                             captures and logs)

Scenarios:
  ofctl           a listening manager (ptcp) programmed by ovs-ofctl -O OpenFlow13: a hop-by-hop
                  chain through service ports (by name), drop rules, mod-flows, del-flows with
                  and without --strict, dump-flows / dump-aggregate / dump-ports /
                  dump-ports-desc after traffic, packet-out (to a port, to the table), error
                  replies for what the host does not support (OFPBMC_BAD_FIELD) after which the
                  manager keeps serving; the capture decodes cleanly
  testcontroller  ovs-testcontroller both ways (manager connects to it; it connects to the
                  manager): handshake, its learning switch answering PACKET_INs with flooding
                  PACKET_OUTs (the frames leave by the other port), --with-flows rules steering
                  TCP through a service; the capture decodes cleanly
  twohosts        two managers in two network namespaces joined by a veth pair, each programmed
                  by ovs-ofctl: a chain that starts on host A (its service) and ends on host B
                  (its service): B's output capture holds A's input frames
  failmode        standalone: the policy's rules and miss handling forward traffic while no
                  controller is connected; secure: misses are dropped (no_controller); a
                  controller target that refuses keeps being retried (reconnects) and traffic
                  flows meanwhile

Each scenario exits 77 (skipped, visibly) when a peer tool it needs is missing.
"""
import collections
import faulthandler
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from scapy.all import ICMP, IP, TCP, UDP, IPv6, Ether, Raw, rdpcap, wrpcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from host import (PREFIX, SKIP, Host, check, policy_file, read_frames, sh,  # noqa: E402
                  verdict)

OFCTL = "ovs-ofctl"
TESTCONTROLLER = "ovs-testcontroller"
SERVICE_BASE = 0x8000  # SDNFV_OFP_SERVICE_PORT_BASE
T0 = time.time()  # the log says when each ovs-ofctl command ran

# OpenFlow 1.3 message types (ofp_type) the captures are expected to show.
OFPT = {"HELLO": 0, "ERROR": 1, "FEATURES_REPLY": 6, "PACKET_IN": 10, "PACKET_OUT": 13,
        "FLOW_MOD": 14, "MULTIPART_REPLY": 19, "BARRIER_REPLY": 21}


def need(*tools):
    """The tools a scenario needs, or exit 77 (skipped) naming the first missing one."""
    for t in tools:
        if shutil.which(t) is None:
            print("skip: %s is not installed" % t)
            sys.exit(SKIP)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port, ns=None):
    """Is a TCP socket listening on port (in the namespace)?"""
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["cat", "/proc/net/tcp"]
    out = sh(*cmd).stdout
    return any(f[1].endswith(":%04X" % port) and f[3] == "0A"
               for f in (line.split() for line in out.splitlines()[1:]) if len(f) > 3)


def wait_for(cond, timeout, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


# ------------------------------------------------------------------------------------------
# ovs-ofctl and its output


def ofctl(cmd, target, *args, ns=None, names=False):
    """Run `ovs-ofctl -O OpenFlow13 CMD TARGET ARGS...` (in a namespace); its result, echoed."""
    argv = (["ip", "netns", "exec", ns] if ns else []) + [
        OFCTL, "-O", "OpenFlow13", "--timeout=10", "--names" if names else "--no-names",
        cmd, target] + list(args)
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        r = subprocess.CompletedProcess(argv, -1, "", "timed out")
    print("$ %s\n  -> %d (at %.1f s)\n%s%s" % (" ".join(argv[argv.index(OFCTL):]), r.returncode,
                                               time.time() - T0, r.stdout, r.stderr), flush=True)
    return r


def canonical_flow(text):
    """A flow as ovs-ofctl itself prints it (priority, match tokens, actions): parse-flow and
    dump-flows share one formatter, so this is what a dump must show for a rule added as text."""
    r = sh(OFCTL, "-O", "OpenFlow13", "parse-flow", text)
    m = re.search(r"ADD (.*)$", r.stdout, re.M)
    assert m, "ovs-ofctl parse-flow %s: %s" % (text, r.stderr)
    return flow_key(m.group(1))


STAT_KEYS = {"cookie", "duration", "table", "n_packets", "n_bytes", "idle_age", "hard_age",
             "idle_timeout", "hard_timeout", "reset_counts", "send_flow_rem",
             "no_packet_counts", "no_byte_counts", "check_overlap", "importance"}


def flow_key(text):
    """(frozenset of match tokens with the priority, actions) of a flow's text."""
    m = re.match(r"\s*(.*?)\s*actions=(\S*)", text)
    head, actions = m.group(1), m.group(2)
    tokens = [t.strip() for t in head.replace(", ", ",").split(",") if t.strip()]
    return frozenset(t for t in tokens if t.split("=")[0] not in STAT_KEYS), actions


def parse_flows(text):
    """{flow_key: n_packets} of dump-flows output."""
    flows = {}
    for line in text.splitlines():
        if "actions=" not in line:
            continue
        m = re.search(r"n_packets=(\d+)", line)
        flows[flow_key(line)] = int(m.group(1)) if m else None
    return flows


def parse_ports(text):
    """{port: (rx_packets, tx_packets)} of dump-ports output."""
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in re.finditer(
        r'port\s+"?([\w.-]+)"?:\s+rx pkts=(\d+)[^\n]*\n\s+tx pkts=(\d+)', text)}


def parse_port_desc(text):
    """{name: (number, state)} of dump-ports-desc output."""
    ports = {}
    for m in re.finditer(r"^\s*(\d+)\(([^)]+)\): addr:.*?^\s+state:\s+([^\n]*)", text,
                         re.M | re.S):
        ports[m.group(2)] = (int(m.group(1)), m.group(3).strip())
    return ports


def poll_flows(target, done, timeout=3, ns=None):
    """dump-flows until done(flows) (statistics may lag a little); the last flows seen."""
    deadline = time.time() + timeout
    while True:
        flows = parse_flows(ofctl("dump-flows", target, ns=ns).stdout)
        if done(flows) or time.time() > deadline:
            return flows
        time.sleep(0.3)


def port_desc(target, ns=None):
    r = ofctl("dump-ports-desc", target, ns=ns)
    return parse_port_desc(r.stdout) if r.returncode == 0 else {}


# ------------------------------------------------------------------------------------------
# Captures of the control traffic, checked by two decoders


class Capture:
    """tcpdump on loopback (in a namespace) of the given TCP ports, into path."""

    def __init__(self, path, ports, ns=None):
        self.path = path
        self.ports = ports
        self.err = open(path + ".log", "w+")
        self.complete = False  # known at stop(): did tcpdump lose nothing?
        filt = " or ".join("tcp port %d" % p for p in ports)
        argv = (["ip", "netns", "exec", ns] if ns else []) + [
            "tcpdump", "-i", "lo", "-Q", "in", "--immediate-mode", "-B", "16384", "-U", "-n",
            "-s", "0", "-w", path, filt]
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.err)
        ok = wait_for(lambda: "listening on" in open(self.err.name).read(), 10)
        check(ok, "tcpdump captures tcp ports %s" % ports)

    def stop(self):
        if self.p.poll() is None:
            time.sleep(0.5)  # the last segments
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        text = open(self.err.name).read()
        m = re.search(r"(\d+) packets? dropped by kernel", text)
        self.complete = m is not None and m.group(1) == "0"
        if not self.complete:
            # A loaded machine starves tcpdump: its capture has holes, which both decoders
            # would take for broken messages.
            print("skip: the capture checks (tcpdump: %s)"
                  % " / ".join(text.strip().splitlines()[-3:]))


def parse_pcap_ofctl(path, ports):
    """ovs-ofctl ofp-parse-pcap: (number of messages, decode problems it printed). An ERROR
    carries the first 64 bytes of the request it refuses (OpenFlow 1.3.5, 7.4.4: "at least 64
    bytes", as Open vSwitch sends them): ovs-ofctl notes that the request in it is truncated,
    which is no decoding problem."""
    r = sh(OFCTL, "ofp-parse-pcap", path, *[str(p) for p in ports])
    msgs = len(re.findall(r"^\d+\.\d+\.\d+\.\d+\.\d+ > \d+\.\d+\.\d+\.\d+\.\d+:$", r.stdout,
                          re.M))
    bad = [line for line in re.findall(r"^.*\*\*\*.*\*\*\*.*$", r.stdout, re.M)
           if not re.fullmatch(r"\(\*\*\*truncated to 64 bytes from \d+\*\*\*\)", line)]
    if r.returncode != 0:
        bad.append("exit %d: %s" % (r.returncode, r.stderr.strip()))
    return msgs, bad, r.stdout


def tshark(path, ports, *args):
    argv = ["tshark", "-r", path]
    for p in ports:
        argv += ["-d", "tcp.port==%d,openflow" % p]
    return sh(*(argv + list(args)))


def parse_pcap_tshark(path, ports, miss_send_len=None):
    """tshark: (the message types it decoded as openflow_v4, frames it marked malformed). The
    types include, after each ERROR's, the type of the request the ERROR quotes.

    tshark dissects what messages quote as if it were whole, and calls a cut one malformed:
    the 64-byte quote of a longer request in an ERROR, and the first miss_send_len bytes of a
    longer frame in a buffered PACKET_IN (as Open vSwitch sends them too). Frames holding such
    messages are left to ovs-ofctl's reading."""
    r = tshark(path, ports, "-Y", "openflow_v4", "-T", "fields", "-e", "openflow_v4.type")
    types = [int(t) for line in r.stdout.split() for t in line.split(",") if t.isdigit()]
    filt = "openflow_v4 && _ws.malformed && !(openflow_v4.type == 1)"
    if miss_send_len is not None:
        filt += (" && !(openflow_v4.type == 10 && openflow_v4.packet_in.buffer_id != 0xffffffff"
                 " && openflow_v4.packet_in.total_len > %d)" % miss_send_len)
    r = tshark(path, ports, "-Y", filt)
    return types, [line for line in r.stdout.splitlines() if line.strip()]


def corrupt(path, out):
    """A copy of the capture where the first reply a switch sent (features, multipart or
    barrier reply) claims to be a PACKET_IN: a message no decoder can take."""
    pkts = list(rdpcap(path))
    for i, p in enumerate(pkts):
        if TCP in p and Raw in p:
            load = bytes(p[Raw].load)
            if len(load) >= 8 and load[0] == 4 and load[1] in (6, 19, 21):
                raw = bytes(p)
                off = len(raw) - len(load)
                q = Ether(raw[:off + 1] + bytes([10]) + raw[off + 2:])
                q.time = p.time
                pkts[i] = q
                wrpcap(out, pkts)
                return True
    return False


def pcap_checks(cap, ports, expect, what, miss_send_len=None):
    """Both decoders take every OpenFlow message of the capture; they see the same number;
    the expected message types are there; and a corrupted copy IS flagged by both (the check
    can fail). Nothing when tcpdump lost packets (said so)."""
    if not cap.complete:
        return
    path = cap.path
    n, bad, text = parse_pcap_ofctl(path, ports)
    types, malformed = parse_pcap_tshark(path, ports, miss_send_len)
    check(n > 0 and not bad, "%s: ovs-ofctl ofp-parse-pcap decodes all %d messages (%s)"
          % (what, n, "; ".join(bad[:3])))
    check(not malformed, "%s: tshark finds no malformed openflow_v4 message (%s)"
          % (what, "; ".join(malformed[:3])))
    n_tshark = len(types) - types.count(OFPT["ERROR"])  # less the requests ERRORs quote
    check(n_tshark == n, "%s: tshark decodes as many OpenFlow 1.3 messages as ovs-ofctl "
          "(%d, %d)" % (what, n_tshark, n))
    seen = collections.Counter(types)
    missing = [t for t in expect if seen[OFPT[t]] == 0]
    check(not missing, "%s: the capture has %s (missing: %s; types seen %s)"
          % (what, ", ".join(expect), missing, dict(seen)))
    bad_copy = path + ".corrupt.pcap"
    if corrupt(path, bad_copy):
        _, bad2, _ = parse_pcap_ofctl(bad_copy, ports)
        _, malformed2 = parse_pcap_tshark(bad_copy, ports)
        check(bad2 and malformed2, "%s: a corrupted copy of the capture is flagged by "
              "ovs-ofctl (%s) and tshark (%s)" % (what, bad2[:1], malformed2[:1]))
    else:
        check(False, "%s: the capture has a switch reply to corrupt" % what)


# ------------------------------------------------------------------------------------------
# Traffic, NFs and counters


def empty_pcap(path):
    with open(path, "wb") as f:
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    return path


def flow_of(raw):
    p = Ether(raw)
    ip = p.getlayer(IP) or p.getlayer(IPv6)
    if ip is None:
        return ("l2", p.src, p.dst)
    l4 = ip.payload
    if isinstance(l4, ICMP):
        return (ip.src, ip.dst, "icmp", l4.id)
    return (ip.src, ip.dst, type(l4).__name__, getattr(l4, "sport", None),
            getattr(l4, "dport", None))


def compare_frames(got, expected, what):
    """got holds exactly the expected frames (bytes), each flow's in order."""
    extra = collections.Counter(got) - collections.Counter(expected)
    lost = collections.Counter(expected) - collections.Counter(got)
    check(not extra and not lost, "%s: exactly the %d expected frames (%d got, %d missing, %d "
          "unexpected)" % (what, len(expected), len(got), sum(lost.values()),
                           sum(extra.values())))
    ef, gf = {}, {}
    for f in expected:
        ef.setdefault(flow_of(f), []).append(f)
    for f in got:
        gf.setdefault(flow_of(f), []).append(f)
    bad = [k for k in ef if gf.get(k) != ef[k]]
    check(not bad, "%s: each flow's frames in order (%d flows; %d differ)" % (what, len(ef),
                                                                          len(bad)))


def nf_counts(h, service):
    """(packets, dropped) the NFs of a service counted (simple_nf's last line, summed)."""
    pk = dr = 0
    for text in h.nf_output():
        for m in re.finditer(r"service %s: (\d+) packets, \d+ bytes, \d+ changed, (\d+) dropped"
                             % re.escape(service), text):
            pk += int(m.group(1))
            dr += int(m.group(2))
    return pk, dr


def wait_registered(h, n, timeout=60):
    ok = wait_for(lambda: len(re.findall(r"registered as id", h.text())) >= n, timeout)
    check(ok, "%d NFs registered" % n)
    return ok


def mgr_stats(h):
    try:
        return h.telemetry("/sdnfv/stats") or {}
    except (OSError, ValueError):
        return {}


def ofp_stats(h):
    try:
        return h.telemetry("/sdnfv/ofp") or {}
    except (OSError, ValueError):
        return {}


def wait_counter(h, name, n, timeout=15):
    """Wait until the manager's counter (telemetry /sdnfv/stats) reaches n; its value."""
    wait_for(lambda: mgr_stats(h).get(name, 0) >= n, timeout)
    time.sleep(0.3)  # anything unexpected that would follow
    return mgr_stats(h).get(name)


def drops(h):
    """The manager's final drops line, as a dict."""
    m = re.search(r"^drops:(.*)$", h.text(), re.M)
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", m.group(1))} if m else {}


def ofp_line(h):
    """The manager's final `openflow:` line, as a dict."""
    m = re.search(r"^openflow:(.*)$", h.text(), re.M)
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", m.group(1))} if m else {}


def stop_host(h, what):
    t = time.time()
    rc, nf_rcs = h.stop()
    print("---- %s stopped in %.1f s (at %.1f s)" % (what, time.time() - t, time.time() - T0))
    print("---- %s manager log" % what)
    print(h.text())
    for text in h.nf_output():
        print(text)
    check(rc == 0, "%s: manager exits 0 (%s)" % (what, rc))
    check(all(r == 0 for r in nf_rcs), "%s: every NF exits 0 (%s)" % (what, nf_rcs))
    check(h.stat("pool_in_use") == 0, "%s: pool back to 0 (%s)" % (what, h.stat("pool_in_use")))


def ether(i, dst=None):
    return Ether(src="02:00:00:00:0a:%02x" % i, dst=dst or "02:00:00:00:0b:01")


def frames_of(spec):
    """spec: [(name, count, build(flow, i))] for each flow; the frames interleaved round-robin
    over flows (as a link would), and {name: frames}."""
    per = {}
    queues = []
    for name, flows, count, build in spec:
        for f in range(flows):
            q = [bytes(build(f, i)) for i in range(count)]
            per.setdefault(name, []).extend(q)
            queues.append(q)
    out = []
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out, per


# ------------------------------------------------------------------------------------------
# ofctl


def scenario_ofctl(tmp):
    need(OFCTL, "tcpdump", "tshark")
    port = free_port()
    target = "tcp:127.0.0.1:%d" % port
    pay = Raw(b"ofctl-test-" + b"." * 30)
    frames, per = frames_of([
        ("t80", 3, 4, lambda f, i: ether(f) / IP(src="10.0.0.%d" % (f + 1), dst="192.0.2.1") /
         TCP(sport=1000 + f, dport=80, seq=i) / pay),
        ("t443", 2, 3, lambda f, i: ether(f) / IP(src="10.0.1.%d" % (f + 1), dst="192.0.2.1") /
         TCP(sport=2000 + f, dport=443, seq=i) / pay),
        ("t22", 1, 3, lambda f, i: ether(f) / IP(src="10.0.2.1", dst="192.0.2.1") /
         TCP(sport=3000, dport=22, seq=i) / pay),
        ("u53", 2, 3, lambda f, i: ether(f) / IP(src="10.0.3.%d" % (f + 1), dst="192.0.2.1") /
         UDP(sport=4000 + f, dport=53) / pay),
        ("u9999", 1, 3, lambda f, i: ether(f) / IP(src="10.0.9.1", dst="192.0.2.1") /
         UDP(sport=5000, dport=9999) / pay),
        ("icmp", 1, 3, lambda f, i: ether(f) / IP(src="10.0.4.1", dst="192.0.2.1") /
         ICMP(id=7, seq=i) / pay),
        ("miss", 1, 2, lambda f, i: ether(f) / IPv6(src="2001:db8::1", dst="2001:db8::2") /
         UDP(sport=6000, dport=6000) / pay),
    ])
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, [Ether(f) for f in frames])
    out, back = os.path.join(tmp, "out.pcap"), os.path.join(tmp, "back.pcap")
    cap = Capture(os.path.join(tmp, "ofctl.pcap"), [port])
    h = Host(tmp, None, ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, back),
                         "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (empty_pcap(os.path.join(
                             tmp, "empty.pcap")), out)],
             ["--controller", "ptcp:%d:127.0.0.1" % port, "--dpid", "cafe0001",
              "--min-nfs", "3"])
    try:
        check(h.wait_ready(), "manager ready")
        check(wait_for(lambda: listening(port), 10), "the agent listens on 127.0.0.1:%d" % port)
        # The services appear with their NFs; traffic waits for the third NF (--min-nfs 3).
        h.nf("--service", "mon", "--action", "count", "--name", "mon1")
        wait_registered(h, 1)
        fw = h.nf("--service", "fw", "--action", "drop-proto=17")
        wait_registered(h, 2)

        r = ofctl("show", target)
        check(r.returncode == 0 and "dpid:00000000cafe0001" in r.stdout,
              "show: the features reply carries the datapath id given (--dpid)")
        desc = port_desc(target)
        ports = {name: num for name, (num, _) in desc.items()}
        check(ports.get("net_pcap0") == 1 and ports.get("net_pcap1") == 2,
              "dump-ports-desc: DPDK port p is OpenFlow port p+1, named after its device (%s)"
              % ports)
        check(ports.get("mon") == SERVICE_BASE + 0 and ports.get("fw") == SERVICE_BASE + 1,
              "dump-ports-desc: the services are ports 0x8000+id, named after them (%s)"
              % ports)
        check(all(desc.get(n, (0, ""))[1] == "LIVE" for n in ("mon", "fw")),
              "dump-ports-desc: the services with an NF are LIVE (%s)" % desc)
        cur = re.findall(r"^\s+current:\s+(.*)$", ofctl("dump-ports-desc", target).stdout, re.M)
        check(len(cur) == 4 and all(c.strip() == "OTHER" for c in cur),
              "dump-ports-desc: every port's current features are OFPPF_OTHER (%s)" % cur)
        mon, fwp = ports.get("mon", SERVICE_BASE), ports.get("fw", SERVICE_BASE + 1)

        # The rules, service ports by name (ovs-ofctl resolves them from PORT_DESC).
        rules = [
            "priority=100,in_port=1,tcp actions=output:mon",       # chain hop 1
            "priority=100,in_port=mon,tcp actions=output:2",       # chain hop 2
            "priority=200,in_port=1,tcp,tp_dst=22 actions=drop",   # a drop rule
            "priority=90,in_port=1,udp actions=output:fw",         # the NF drops UDP
            "priority=90,in_port=1,icmp actions=output:fw",
            "priority=90,in_port=fw,icmp actions=output:2",
            "priority=150,in_port=1,tcp,tp_dst=80 actions=output:2",   # del-flows --strict
            "priority=150,in_port=1,tcp,tp_dst=443 actions=drop",      # mod-flows
            "priority=95,in_port=1,udp,tp_dst=9999 actions=output:2",  # del-flows, not strict
            "priority=96,in_port=1,udp,nw_src=10.0.9.0/24,tp_dst=9999 actions=output:2",
        ]
        for rule in rules:
            r = ofctl("add-flow", target, rule, names=True)
            check(r.returncode == 0, "add-flow %s: exit 0" % rule)
        r = ofctl("del-flows", target, "--strict", "priority=150,in_port=1,tcp,tp_dst=80")
        check(r.returncode == 0, "del-flows --strict (one rule, by priority and match): exit 0")
        r = ofctl("del-flows", target, "--strict", "priority=99,in_port=1,udp")
        check(r.returncode == 0, "del-flows --strict naming no rule (wrong priority): exit 0")
        r = ofctl("mod-flows", target, "in_port=1,tcp,tp_dst=443 actions=output:2")
        check(r.returncode == 0, "mod-flows (not strict): exit 0")
        r = ofctl("del-flows", target, "in_port=1,udp,tp_dst=9999")
        check(r.returncode == 0, "del-flows (not strict: both 9999 rules): exit 0")

        def canon(rule):
            return canonical_flow(rule.replace("=mon", "=%d" % mon).replace(":mon", ":%d" % mon)
                                  .replace("=fw", "=%d" % fwp).replace(":fw", ":%d" % fwp))
        table = [rules[i] for i in (0, 1, 2, 3, 4, 5)] + [
            "priority=150,in_port=1,tcp,tp_dst=443 actions=output:2"]
        expect_table = {canon(x): x for x in table}
        flows = parse_flows(ofctl("dump-flows", target).stdout)
        check(set(flows) == set(expect_table),
              "dump-flows before traffic: exactly the rules left by add/mod/del (%d rules; "
              "unexpected %s; missing %s)" % (len(flows), [k for k in flows if k not in
                                                          expect_table],
                                              [v for k, v in expect_table.items()
                                               if k not in flows]))
        r = ofctl("dump-flows", target, names=True)
        check("in_port=mon" in r.stdout and "output:mon" in r.stdout and "output:fw" in r.stdout,
              "dump-flows --names shows service ports by name")

        # Traffic: the third NF completes the host.
        h.nf("--service", "mon", "--action", "count", "--name", "mon2")
        n_in = len(frames)
        exp_out = per["t80"] + per["t443"] + per["icmp"]
        tx = wait_counter(h, "tx", len(exp_out))
        st = mgr_stats(h)
        check(st.get("rx") == n_in and tx == len(exp_out),
              "traffic: %d frames in, %d out (%s, %s)" % (n_in, len(exp_out), st.get("rx"), tx))

        # Flow statistics: each rule counted the packets it sent on.
        exp_n = {canon(rules[0]): len(per["t80"]), canon(rules[1]): len(per["t80"]),
                 canon(rules[2]): len(per["t22"]),
                 canon(rules[3]): len(per["u53"]) + len(per["u9999"]),
                 canon(rules[4]): len(per["icmp"]), canon(rules[5]): len(per["icmp"]),
                 canon(table[6]): len(per["t443"])}
        flows = poll_flows(target, lambda f: f == exp_n)
        check(flows == exp_n, "dump-flows after traffic: n_packets of each rule (%s)"
              % sorted((expect_table.get(k, str(k)), v, exp_n.get(k)) for k, v in flows.items()))
        # Table statistics: the rules, and the lookups of packets that came in by a port (33
        # matched, the 2 IPv6 frames missed). Whether the lookup a packet gets when a service
        # returns it counts too (the rules' n_packets count it) is the agent's choice: at
        # least the ports' are there.
        r = ofctl("dump-tables", target)
        m = re.search(r"table 0:\s*active=(\d+), lookup=(\d+), matched=(\d+)", r.stdout)
        got = tuple(int(x) for x in m.groups()) if m else (0, 0, 0)
        n_miss = len(per["miss"])
        check(r.returncode == 0 and got[0] == len(exp_n) and got[1] - got[2] == n_miss and
              got[2] >= n_in - n_miss,
              "dump-tables: table 0 active %d, %d lookups missed, at least %d matched (%s)"
              % (len(exp_n), n_miss, n_in - n_miss, got))
        r = ofctl("dump-desc", target)
        check(r.returncode == 0 and "OFPST_DESC reply" in r.stdout, "dump-desc: exit 0")
        r = ofctl("dump-aggregate", target)
        m = re.search(r"packet_count=(\d+) byte_count=(\d+) flow_count=(\d+)", r.stdout)
        check(r.returncode == 0 and m and int(m.group(1)) == sum(exp_n.values())
              and int(m.group(3)) == len(exp_n),
              "dump-aggregate: packet_count %d flow_count %d" % (sum(exp_n.values()),
                                                                 len(exp_n)))
        r = ofctl("dump-ports", target)
        pc = parse_ports(r.stdout)
        n_fw = len(per["u53"]) + len(per["u9999"]) + len(per["icmp"])
        exp_ports = {"1": (n_in, 0), "2": (0, len(exp_out)),
                     str(mon): (len(per["t80"]), len(per["t80"])),
                     str(fwp): (len(per["icmp"]), n_fw)}
        check(r.returncode == 0 and all(pc.get(k) == v for k, v in exp_ports.items()),
              "dump-ports: rx/tx packets of ports 1, 2 and the service ports (%s; expected %s)"
              % (pc, exp_ports))

        # PACKET_OUT: to a port; through the table (a new flow: the chain; a cached flow whose
        # rule was deleted: the rule under it).
        x = bytes(ether(9) / IP(src="10.0.7.1", dst="192.0.2.7") / UDP(sport=7, dport=7777) /
                  Raw(b"packet-out to port 2" + b"." * 20))
        y = bytes(ether(9) / IP(src="10.0.8.1", dst="192.0.2.1") / TCP(sport=8000, dport=80) /
                  Raw(b"packet-out to the table" + b"." * 20))
        z = per["t443"][0]
        r = ofctl("packet-out", target, "in_port=CONTROLLER packet=%s actions=output:2" % x.hex())
        check(r.returncode == 0, "packet-out to port 2: exit 0")
        r = ofctl("packet-out", target, "in_port=1 packet=%s actions=table" % y.hex())
        check(r.returncode == 0, "packet-out to the table (new TCP flow): exit 0")
        r = ofctl("del-flows", target, "in_port=1,tcp,tp_dst=443")
        check(r.returncode == 0, "del-flows of the 443 rule: exit 0")
        r = ofctl("packet-out", target, "in_port=1 packet=%s actions=table" % z.hex())
        check(r.returncode == 0, "packet-out to the table (a cached 443 flow): exit 0")
        exp_out += [x, y, z]
        tx = wait_counter(h, "tx", len(exp_out))
        check(tx == len(exp_out), "packet-outs: 3 more frames out (%s, expected %d)"
              % (tx, len(exp_out)))

        # What the host cannot do is refused with an OpenFlow error; it keeps serving.
        r = ofctl("add-flow", target, "priority=5,in_port=1,dl_src=00:11:22:33:44:55 "
                  "actions=output:2")
        check(r.returncode != 0 and "OFPBMC_BAD_FIELD" in r.stdout + r.stderr,
              "add-flow matching dl_src: refused, OFPBMC_BAD_FIELD printed (exit %d)"
              % r.returncode)
        r = ofctl("add-flow", target, "priority=5,in_port=1,udp actions=output:7")
        check(r.returncode != 0 and "OFPBAC_BAD_OUT_PORT" in r.stdout + r.stderr,
              "add-flow to a port the host does not have: refused, OFPBAC_BAD_OUT_PORT printed")
        r = ofctl("dump-flows", target)
        left = set(parse_flows(r.stdout))
        check(r.returncode == 0 and left == set(expect_table) - {canon(table[6])},
              "the manager keeps serving: dump-flows shows the 6 rules left (%d)" % len(left))

        # A service whose last NF leaves goes down.
        fw.send_signal(signal.SIGINT)
        fw.wait(10)
        check(wait_for(lambda: "LINK_DOWN" in port_desc(target).get("fw", (0, ""))[1], 3, 0.3),
              "dump-ports-desc: fw is LINK_DOWN once its NF left")
        check(port_desc(target).get("mon", (0, ""))[1] == "LIVE", "dump-ports-desc: mon LIVE")
        stop_host(h, "ofctl")
    finally:
        h.cleanup()
        cap.stop()

    compare_frames(read_frames(out), exp_out, "output capture (port 2)")
    check(read_frames(back) == [], "nothing left by port 1")
    check(nf_counts(h, "mon") == (len(per["t80"]) + 2, 0),
          "mon's NFs saw the TCP port 80 frames and the two packet-outs through the table "
          "(%s, expected %d)" % (nf_counts(h, "mon"), len(per["t80"]) + 2))
    check(nf_counts(h, "fw") == (n_fw, len(per["u53"]) + len(per["u9999"])),
          "fw saw UDP and ICMP and dropped the UDP (%s)" % (nf_counts(h, "fw"),))
    d, o = drops(h), ofp_line(h)
    check(d.get("verdict") == len(per["u53"]) + len(per["u9999"]),
          "drops: the NF's verdicts (%s)" % d.get("verdict"))
    check(d.get("no_controller") == len(per["miss"]) and o.get("no_controller") ==
          len(per["miss"]), "drops: the IPv6 frames no rule matches, with no controller "
          "connected (secure): no_controller %s / %s" % (d.get("no_controller"),
                                                         o.get("no_controller")))
    check(o.get("packet_out", 0) >= 3 and o.get("errors_tx", 0) >= 2 and
          o.get("flow_mods", 0) >= 14, "openflow line: packet_out, errors_tx, flow_mods (%s)" % o)
    pcap_checks(cap, [port], ["HELLO", "FEATURES_REPLY", "MULTIPART_REPLY", "FLOW_MOD",
                                   "PACKET_OUT", "ERROR", "BARRIER_REPLY"], "ofctl capture")


# ------------------------------------------------------------------------------------------
# testcontroller

TC_POLICY = """
services:
  mon: {}
"""


def testcontroller_run(tmp, active):
    """active: the manager connects to a listening ovs-testcontroller; else the reverse."""
    what = "manager connects" if active else "testcontroller connects"
    sub = tempfile.mkdtemp(dir=tmp, prefix="active-" if active else "passive-")
    port, port2 = free_port(), free_port()
    while port2 == port:
        port2 = free_port()
    pay = Raw(b"tc-test " * 40)   # 300-byte UDP frames: PACKET_INs carry 128 bytes of them
    frames, per = frames_of([
        ("tcp", 3, 5, lambda f, i: ether(f) / IP(src="10.1.0.%d" % (f + 1), dst="192.0.2.1") /
         TCP(sport=1000 + f, dport=80, seq=i) / Raw(b"tcp")),
        ("udp", 3, 5, lambda f, i: ether(0x20 + f, "02:00:00:00:ee:%02x" % f) /
         IP(src="10.1.1.%d" % (f + 1), dst="192.0.2.2") / UDP(sport=2000 + f, dport=53) / pay),
    ])
    inp = os.path.join(sub, "in.pcap")
    wrpcap(inp, [Ether(f) for f in frames])
    out, back = os.path.join(sub, "out.pcap"), os.path.join(sub, "back.pcap")
    flows = os.path.join(sub, "flows.txt")
    with open(flows, "w") as f:
        f.write("priority=100,in_port=1,tcp actions=output:%d\n" % SERVICE_BASE)
        f.write("priority=100,in_port=%d,tcp actions=output:2\n" % SERVICE_BASE)
    cap = Capture(os.path.join(sub, "tc.pcap"), [port, port2])
    tc_log = open(os.path.join(sub, "testcontroller.log"), "w+")
    tc = None

    def start_tc(method):
        return subprocess.Popen([TESTCONTROLLER, "-O", "OpenFlow13", "-n", "--with-flows", flows,
                                 "--unixctl=" + os.path.join(sub, "tc.ctl"), "-vconsole:info",
                                 "-vvconn:dbg", method], stdout=tc_log, stderr=subprocess.STDOUT)

    def tc_text():
        tc_log.flush()
        return open(tc_log.name).read()

    extra = ["--min-nfs", "1", "--max-backoff-ms", "500"]
    if active:
        tc = start_tc("ptcp:%d:127.0.0.1" % port)
        check(wait_for(lambda: listening(port), 10), "%s: ovs-testcontroller listens" % what)
        # A second target, listening, for ovs-ofctl to look at the table.
        extra += ["--controller", "tcp:127.0.0.1:%d" % port,
                  "--controller", "ptcp:%d:127.0.0.1" % port2]
        target = "tcp:127.0.0.1:%d" % port2
    else:
        extra += ["--controller", "ptcp:%d:127.0.0.1" % port]
        target = "tcp:127.0.0.1:%d" % port
    h = Host(sub, policy_file(sub, TC_POLICY),
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, back),
              "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (empty_pcap(os.path.join(sub, "e.pcap")),
                                                  out)], extra, prefix=PREFIX + "_" +
             ("a" if active else "p"))
    try:
        check(h.wait_ready(), "%s: manager ready" % what)
        if not active:
            check(wait_for(lambda: listening(port), 10), "%s: the agent listens" % what)
            tc = start_tc("tcp:127.0.0.1:%d" % port)
        check(wait_for(lambda: "received: OFPT_FEATURES_REPLY" in tc_text(), 10),
              "%s: handshake (testcontroller got the FEATURES_REPLY)" % what)
        check(wait_for(lambda: ofp_stats(h).get("connections", 0) >= 1, 5),
              "%s: the agent counts the connection (telemetry /sdnfv/ofp)" % what)
        want = {canonical_flow("priority=0 actions=CONTROLLER:128"),
                canonical_flow(open(flows).readlines()[0].strip()),
                canonical_flow(open(flows).readlines()[1].strip())}
        # The table-miss rule is compared without its max_len (checked on its own below), so
        # that the traffic checks do not hang on it.
        def loose(flows):
            return {(m, re.sub(r"^CONTROLLER:\d+$", "CONTROLLER", act)) for m, act in flows}
        got = poll_flows(target, lambda f: loose(f) == loose(want))
        check(loose(got) == loose(want),
              "%s: the table holds testcontroller's table-miss rule and --with-flows rules"
              % what)
        check(set(got) == want, "%s: flow stats give the table-miss rule's output as it was "
              "installed (CONTROLLER:128): %s" % (what, sorted(a for _, a in got)))
        h.nf("--service", "mon", "--action", "count")
        n_in = len(frames)
        tx = wait_counter(h, "tx", n_in)
        check(tx == n_in, "%s: every frame left (%s of %d)" % (what, tx, n_in))
        pc = parse_ports(ofctl("dump-ports", target).stdout)
        check(pc.get(str(SERVICE_BASE)) == (len(per["tcp"]), len(per["tcp"])),
              "%s: dump-ports: the service port carried the TCP frames (%s)"
              % (what, pc.get(str(SERVICE_BASE))))
        stop_host(h, what)
    finally:
        h.cleanup()
        if tc is not None and tc.poll() is None:
            tc.terminate()
            tc.wait(10)
        cap.stop()
    print("---- testcontroller log (%s)" % what)
    text = tc_text()
    print("\n".join(line for line in text.splitlines() if "hmap|" not in line)[-20000:])
    compare_frames(read_frames(out), frames, "%s: output capture (port 2)" % what)
    check(read_frames(back) == [], "%s: nothing flooded back out of port 1" % what)
    check(nf_counts(h, "mon") == (len(per["tcp"]), 0),
          "%s: mon saw the TCP frames only (%s)" % (what, nf_counts(h, "mon")))
    n_pin = len(re.findall(r"received: OFPT_PACKET_IN", text))
    n_pout = len(re.findall(r"sent \(Success\): OFPT_PACKET_OUT", text))
    check(n_pin >= 3 and n_pout == n_pin, "%s: testcontroller got PACKET_INs (%d, 3 UDP flows at "
          "least) and answered each with a PACKET_OUT (%d)" % (what, n_pin, n_pout))
    check(re.search(r"OFPT_PACKET_OUT.*actions=FLOOD", text) is not None,
          "%s: its PACKET_OUTs flood (unknown destinations)" % what)
    o = ofp_line(h)
    check(o.get("packet_in", 0) == n_pin and o.get("packet_out", 0) == n_pout and
          o.get("no_controller") == 0 and o.get("buffer_dropped") == 0,
          "%s: openflow line: packet_in %d, packet_out %d, none dropped (%s)"
          % (what, n_pin, n_pout, o))
    pcap_checks(cap, [port, port2], ["HELLO", "FEATURES_REPLY", "FLOW_MOD", "PACKET_IN",
                                          "PACKET_OUT", "MULTIPART_REPLY"],
                "%s: capture" % what, miss_send_len=128)


def scenario_testcontroller(tmp):
    need(OFCTL, TESTCONTROLLER, "tcpdump", "tshark")
    testcontroller_run(tmp, True)
    testcontroller_run(tmp, False)


# ------------------------------------------------------------------------------------------
# twohosts

TWO_POLICY = """
services:
  %s: {}
"""


def scenario_twohosts(tmp):
    need(OFCTL, "ip")
    tag = "%d" % (os.getpid() % 100000)
    ns_a, ns_b = "sdnfvA" + tag, "sdnfvB" + tag
    veth_a, veth_b = "ofa" + tag, "ofb" + tag
    frames, per = frames_of([
        ("tcp", 3, 6, lambda f, i: ether(f) / IP(src="10.2.0.%d" % (f + 1), dst="192.0.2.1") /
         TCP(sport=1000 + f, dport=80, seq=i) / Raw(b"two hosts, tcp %d %d " % (f, i) + b"." * 30)),
        ("udp", 2, 6, lambda f, i: ether(f) / IP(src="10.2.1.%d" % (f + 1), dst="192.0.2.1") /
         UDP(sport=2000 + f, dport=53) / Raw(b"two hosts, udp %d %d " % (f, i) + b"." * 30)),
    ])
    inp = os.path.join(tmp, "in.pcap")
    wrpcap(inp, [Ether(f) for f in frames])
    out_b, back_a = os.path.join(tmp, "out_b.pcap"), os.path.join(tmp, "back_a.pcap")
    ha = hb = None
    try:
        for cmd in (["ip", "netns", "add", ns_a], ["ip", "netns", "add", ns_b],
                    ["ip", "link", "add", veth_a, "netns", ns_a, "type", "veth", "peer", "name",
                     veth_b, "netns", ns_b]):
            r = sh(*cmd)
            check(r.returncode == 0, "%s (%s)" % (" ".join(cmd), r.stderr.strip()))
        for ns, dev in ((ns_a, veth_a), (ns_b, veth_b)):
            # No IPv6 on the link: a fresh veth would send router solicitations.
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            sh("ip", "netns", "exec", ns, "sysctl", "-qw",
               "net.ipv6.conf.%s.disable_ipv6=1" % dev)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            r = sh("ip", "-n", ns, "link", "set", dev, "up")
            check(r.returncode == 0, "%s up in %s" % (dev, ns))
        pa, pb = free_port(), free_port()
        ta, tb = "tcp:127.0.0.1:%d" % pa, "tcp:127.0.0.1:%d" % pb
        # Host A: its manager on CPU 0, its NF on CPU 1; host B the other way round.
        ha = Host(tmp, policy_file(tmp, TWO_POLICY % "sa", "a.yaml"),
                  ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, back_a),
                   "net_af_packet0,iface=%s" % veth_a],
                  ["--controller", "ptcp:%d:127.0.0.1" % pa, "--min-nfs", "1"],
                  prefix=PREFIX + "_a", cpu=0, wrap=["ip", "netns", "exec", ns_a],
                  log="manager_a.log")
        hb = Host(tmp, policy_file(tmp, TWO_POLICY % "sb", "b.yaml"),
                  ["net_af_packet0,iface=%s" % veth_b,
                   "net_pcap0,rx_pcap=%s,tx_pcap=%s" % (empty_pcap(os.path.join(tmp, "e.pcap")),
                                                       out_b)],
                  ["--controller", "ptcp:%d:127.0.0.1" % pb, "--min-nfs", "1"],
                  prefix=PREFIX + "_b", cpu=1, wrap=["ip", "netns", "exec", ns_b],
                  log="manager_b.log")
        hb.lcore = 30
        check(ha.wait_ready() and hb.wait_ready(), "both managers ready")
        check(wait_for(lambda: listening(pa, ns_a) and listening(pb, ns_b), 10),
              "both agents listen, each in its namespace")
        pda, pdb = port_desc(ta, ns=ns_a), port_desc(tb, ns=ns_b)
        a_in, a_veth, a_svc = (pda.get(n, (0,))[0] for n in ("net_pcap0", "net_af_packet0",
                                                             "sa"))
        b_veth, b_out, b_svc = (pdb.get(n, (0,))[0] for n in ("net_af_packet0", "net_pcap0",
                                                              "sb"))
        check(a_in == 1 and a_veth == 2 and a_svc == SERVICE_BASE,
              "host A: ports pcap 1, veth 2, service sa %d (%s)" % (SERVICE_BASE, pda))
        check(b_veth == 1 and b_out == 2 and b_svc == SERVICE_BASE,
              "host B: ports veth 1, pcap 2, service sb %d (%s)" % (SERVICE_BASE, pdb))
        # The chain: A's pcap -> sa -> the link; B: the link -> sb -> B's pcap.
        for ns, target, rule in (
                (ns_b, tb, "priority=10,in_port=%d,ip actions=output:sb" % b_veth),
                (ns_b, tb, "priority=10,in_port=sb,ip actions=output:%d" % b_out),
                (ns_a, ta, "priority=10,in_port=%d,ip actions=output:sa" % a_in),
                (ns_a, ta, "priority=10,in_port=sa,ip actions=output:%d" % a_veth)):
            r = ofctl("add-flow", target, rule, ns=ns, names=True)
            check(r.returncode == 0, "%s: add-flow %s" % (ns, rule))
        hb.nf("--service", "sb", "--action", "count", cpu=0)
        wait_registered(hb, 1)
        ha.nf("--service", "sa", "--action", "count", cpu=1)   # A's traffic starts
        n = len(frames)
        tx = wait_counter(hb, "tx", n)
        check(tx == n, "host B sent %d frames out of its pcap port (%s)" % (n, tx))
        pa_c = parse_ports(ofctl("dump-ports", ta, ns=ns_a).stdout)
        pb_c = parse_ports(ofctl("dump-ports", tb, ns=ns_b).stdout)
        check(pa_c.get(str(a_veth), (0, 0))[1] == n and pa_c.get(str(a_svc)) == (n, n),
              "host A dump-ports: the service and the veth port carried them (%s)" % pa_c)
        check(pb_c.get(str(b_veth), (0, 0))[0] == n and pb_c.get(str(b_svc)) == (n, n) and
              pb_c.get(str(b_out), (0, 0))[1] == n,
              "host B dump-ports: the veth port received them, the service and pcap port "
              "carried them (%s)" % pb_c)
        stop_host(ha, "host A")
        stop_host(hb, "host B")
    finally:
        for h in (ha, hb):
            if h is not None:
                h.cleanup()
        sh("ip", "netns", "del", ns_a)
        sh("ip", "netns", "del", ns_b)
    check(ns_a not in sh("ip", "netns", "list").stdout, "namespaces removed")
    compare_frames(read_frames(out_b), frames, "host B's output capture")
    check(read_frames(back_a) == [], "nothing left host A by its pcap port")
    check(nf_counts(ha, "sa") == (n, 0) and nf_counts(hb, "sb") == (n, 0),
          "both hosts' NFs saw every frame (%s, %s)" % (nf_counts(ha, "sa"), nf_counts(hb, "sb")))


# ------------------------------------------------------------------------------------------
# failmode

FAIL_POLICY = """
services:
  mon: {}
chains:
  via_mon:
    hops: [mon]
    out: 1
  direct:
    hops: []
    out: 1
rules:
  - { match: "tcp", priority: 10, chain: via_mon }
miss: direct
"""


def failmode_run(tmp, mode):
    """standalone: the policy's rules and miss handling forward traffic while no controller is
    connected; they leave while one is, and come back after. secure: the policy's rules are not
    in the table, a rule a controller installed stays after it left, misses are dropped. Both:
    a controller target that refuses connections is retried within the back-off cap
    (--max-backoff-ms 100) while traffic flows."""
    sub = tempfile.mkdtemp(dir=tmp, prefix=mode + "-")
    closed = free_port()   # nothing listens there
    port = free_port()
    target = "tcp:127.0.0.1:%d" % port
    frames, per = frames_of([
        ("tcp", 3, 4, lambda f, i: ether(f) / IP(src="10.3.0.%d" % (f + 1), dst="192.0.2.1") /
         TCP(sport=1000 + f, dport=80, seq=i) / Raw(b"failmode tcp" + b"." * 30)),
        ("udp", 2, 4, lambda f, i: ether(f) / IP(src="10.3.1.%d" % (f + 1), dst="192.0.2.1") /
         UDP(sport=2000 + f, dport=53) / Raw(b"failmode udp" + b"." * 30)),
    ])
    inp = os.path.join(sub, "in.pcap")
    wrpcap(inp, [Ether(f) for f in frames])
    out = os.path.join(sub, "out.pcap")
    h = Host(sub, policy_file(sub, FAIL_POLICY),
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (inp, os.path.join(sub, "back.pcap")),
              "net_pcap1,rx_pcap=%s,tx_pcap=%s" % (empty_pcap(os.path.join(sub, "e.pcap")),
                                                  out)],
             ["--controller", "tcp:127.0.0.1:%d" % closed, "--controller",
              "ptcp:%d:127.0.0.1" % port, "--fail-mode", mode, "--max-backoff-ms", "100",
              "--probe-ms", "500", "--min-nfs", "1"],
             prefix=PREFIX + "_" + mode)
    try:
        check(h.wait_ready(), "%s: manager ready" % mode)
        check(wait_for(lambda: listening(port), 10), "%s: the agent listens" % mode)
        if mode == "secure":
            # A controller's rule (TCP straight out, not through mon as the policy says) stays
            # after the controller left.
            r = ofctl("add-flow", target, "priority=10,in_port=1,tcp actions=output:2")
            check(r.returncode == 0, "secure: a controller adds a rule, then leaves")
            exp, mon_n = per["tcp"], 0
        else:
            exp, mon_n = per["tcp"] + per["udp"], len(per["tcp"])
        check(wait_for(lambda: ofp_stats(h).get("connections") == 0, 5),
              "%s: no controller connected" % mode)
        t0 = time.time()
        h.nf("--service", "mon", "--action", "count")
        tx = wait_counter(h, "tx", len(exp), 10)
        took = time.time() - t0
        check(tx == len(exp), "%s: %d frames forwarded within %.1f s while the controller "
              "refuses connections (%s)" % (mode, len(exp), took, tx))
        st = ofp_stats(h)
        check(st.get("table_miss") == ("policy" if mode == "standalone" else "drop"),
              "%s: telemetry /sdnfv/ofp: table misses go to %s (%s)"
              % (mode, "the policy" if mode == "standalone" else "drop", st.get("table_miss")))
        r0 = ofp_stats(h).get("reconnects", 0)
        time.sleep(1.0)
        r1 = ofp_stats(h).get("reconnects", 0)
        check(r1 - r0 >= 5, "%s: the refused target is retried at least every 100 ms "
              "(--max-backoff-ms 100): %d attempts in 1 s" % (mode, r1 - r0))
        if mode == "standalone":
            # Each dump is a controller connecting: the policy's rules leave as its session
            # comes up (a request in the same breath may still see them: ask again).
            flows = poll_flows(target, lambda f: f == {}, timeout=2)
            check(flows == {}, "standalone: the policy's rules left the table while a controller "
                  "is connected (%s)" % list(flows))
            check(wait_for(lambda: ofp_stats(h).get("table_miss") == "policy", 3),
                  "standalone: back to the policy once the controller left (%s)"
                  % ofp_stats(h).get("table_miss"))
        else:
            flows = parse_flows(ofctl("dump-flows", target).stdout)
            check(set(flows) == {canonical_flow("priority=10,in_port=1,tcp actions=output:2")},
                  "secure: the table holds the controller's rule only (%s)" % list(flows))
        stop_host(h, mode)
    finally:
        h.cleanup()
    compare_frames(read_frames(out), exp, "%s: output capture" % mode)
    check(nf_counts(h, "mon") == (mon_n, 0), "%s: mon saw %d frames (%s)"
          % (mode, mon_n, nf_counts(h, "mon")))
    d, o = drops(h), ofp_line(h)
    n_miss = 0 if mode == "standalone" else len(per["udp"])
    check(d.get("no_controller") == n_miss and o.get("no_controller") == n_miss,
          "%s: misses dropped for want of a controller: %d (drops %s, openflow %s)"
          % (mode, n_miss, d.get("no_controller"), o.get("no_controller")))
    check(sum(d.values()) == n_miss, "%s: no other drop (%s)" % (mode, d))


def scenario_failmode(tmp):
    failmode_run(tmp, "standalone")
    failmode_run(tmp, "secure")


def on_term(signum, frame):
    raise SystemExit("terminated (signal %d)" % signum)


def main():
    # A test that timed out (meson sends SIGTERM) says where it was, then leaves through the
    # finally blocks: its processes and network namespaces go.
    signal.signal(signal.SIGTERM, on_term)
    faulthandler.register(signal.SIGTERM, chain=True)
    scenario = sys.argv[1] if len(sys.argv) > 1 else "ofctl"
    tmp = tempfile.mkdtemp(prefix="sdnfv-ofp-peers-")
    try:
        {
            "ofctl": scenario_ofctl,
            "testcontroller": scenario_testcontroller,
            "twohosts": scenario_twohosts,
            "failmode": scenario_failmode,
        }[scenario](tmp)
    finally:
        if os.environ.get("SDNFV_KEEP_TMP"):
            print("kept: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        for d in os.listdir("/var/run/dpdk") if os.path.isdir("/var/run/dpdk") else []:
            if d.startswith(PREFIX):
                shutil.rmtree(os.path.join("/var/run/dpdk", d), ignore_errors=True)
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
