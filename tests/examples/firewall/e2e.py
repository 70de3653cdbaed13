#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests of the firewall NF with the example manager.

usage: e2e.py FIREWALL_BINARY SCENARIO   (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT,
                                          SDNFV_TEST_PREFIX, SDNFV_SHARED_PCAPS)

Scenarios:
  nft_real     real captures (tcpreplay_test: TCP/UDP/ICMP/IGMP/ARP/MPLS/VLAN/IPv6; fragroute:
               IPv4 fragments; onvm_pktgen_test1: VLAN, UDP, IPv6) through nftables and through
               the manager + firewall NF with the same rules: the same verdict for every packet
               and the same count for every rule, the default policy and the non-IP policy
  nft_crafted  the same comparison on a crafted capture (prefixes at their edges, port ranges,
               protocols, IPv6, priorities, fragments, VLAN tags, ARP) with a rule file
               exercising every keyword
  stateful     --stateful on crafted conversations: replies to allowed traffic pass, unsolicited
               traffic and TCP without a SYN are dropped; counters agree
  bad_rules    a malformed rule line stops the NF with the file, the line number and the reason
  malformed    the demo capture's malformed frames: the NF does not crash, counts each one, and
               drops exactly those
"""
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether,  # noqa: E402
                       ICMPv6EchoRequest, IPv6, Raw, SCTP, conf, rdpcap, wrpcap)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from host import SKIP, SOURCE, check, shared_pcaps, verdict, policy_file, read_frames, sh, Host  # noqa: E402

FIREWALL = sys.argv[1]
PCAPS = os.environ.get("SDNFV_SHARED_PCAPS", os.path.join(SOURCE, "..", "shared", "pcaps"))

POLICY = """
services:
  firewall: {}
chains:
  main:
    hops: [firewall]
    out: in_port
rules:
  - { match: "", priority: 0, chain: main }
"""

# ------------------------------------------------------------------------------------------
# Rules, and their translation to nftables


def parse_rules(text):
    """The rule file as the firewall reads it (the subset of checks the translation needs):
    returns (rules in evaluation order, default, nonip)."""
    rules, default, nonip = [], "deny", "allow"
    for no, line in enumerate(text.split("\n"), 1):
        words = line.split("#")[0].split()
        if not words:
            continue
        if words[0] in ("default", "nonip"):
            if words[0] == "default":
                default = words[1]
            else:
                nonip = words[1]
            continue
        r = {"line": no, "prio": 0}
        if words[0] == "priority":
            r["prio"] = int(words[1])
            words = words[2:]
        r["action"] = words[0]
        for k, v in zip(words[1::2], words[2::2]):
            r[k] = v
        rules.append(r)
    rules.sort(key=lambda r: (-r["prio"], r["line"]))
    return rules, default, nonip


def nft_rule(r):
    """One firewall rule as an nft rule of a netdev ingress chain."""
    fam = 0
    for k in ("from", "to"):
        if k in r and r[k] != "any":
            fam = 6 if ":" in r[k] else 4
    proto = r.get("proto", "any")
    if proto == "icmp":
        fam = 4
    if proto == "icmpv6":
        fam = 6
    m = []
    if fam == 0:
        m.append("meta protocol { ip, ip6 }")
    else:
        m.append("meta protocol %s" % ("ip" if fam == 4 else "ip6"))
    ipk = "ip" if fam == 4 else "ip6"
    if r.get("from", "any") != "any":
        m.append("%s saddr %s" % (ipk, r["from"]))
    if r.get("to", "any") != "any":
        m.append("%s daddr %s" % (ipk, r["to"]))
    if proto != "any":
        m.append("meta l4proto %s" % proto)
    for k in ("sport", "dport"):
        if k in r:
            m.append("%s %s %s" % (proto, k, r[k]))
    verdict = "accept" if r["action"] == "allow" else "drop"
    return "%s counter %s comment \"line%d\"" % (" ".join(m), verdict, r["line"])


class Nft:
    """A network namespace with a veth pair: frames sent into the outer end reach an nft netdev
    ingress chain on the inner end that holds the translated rules."""

    def __init__(self, rules_text):
        tag = "%d" % os.getpid()
        self.ns, self.outer, self.inner = "fwns" + tag, "fwo" + tag, "fwi" + tag
        self.sock = None
        rules, default, nonip = parse_rules(rules_text)
        lines = ["table netdev fw%s {" % tag,
                 "  chain in { type filter hook ingress device %s priority 0; policy accept;"
                 % self.inner,
                 "    meta protocol != { ip, ip6 } counter %s comment \"nonip\""
                 % ("accept" if nonip == "allow" else "drop")]
        lines += ["    " + nft_rule(r) for r in rules]
        lines += ["    counter %s comment \"default\"" % ("accept" if default == "allow" else "drop"),
                  "  }", "}"]
        self.ruleset = "\n".join(lines) + "\n"

    def __enter__(self):
        try:
            return self._setup()
        except BaseException:
            self.__exit__()  # a half-made namespace goes too
            raise

    def _setup(self):
        for cmd in (["ip", "netns", "add", self.ns],
                    ["ip", "link", "add", self.outer, "mtu", "9000", "type", "veth", "peer",
                     "name", self.inner, "mtu", "9000"],
                    ["ip", "link", "set", self.inner, "netns", self.ns],
                    ["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.outer],
                    ["ip", "netns", "exec", self.ns, "sysctl", "-qw",
                     "net.ipv6.conf.%s.disable_ipv6=1" % self.inner],
                    ["ip", "netns", "exec", self.ns, "ip", "link", "set", self.inner, "up"],
                    ["ip", "link", "set", self.outer, "up"]):
            r = sh(*cmd)
            if r.returncode != 0:
                raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr))
        r = subprocess.run(["ip", "netns", "exec", self.ns, "nft", "-f", "-"],
                           input=self.ruleset, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("nft refused the translated rules: %s\n%s" % (r.stderr, self.ruleset))
        self.sock = conf.L2socket(iface=self.outer)
        return self

    def __exit__(self, *exc):
        if self.sock is not None:
            self.sock.close()
        sh("ip", "link", "del", self.outer)
        sh("ip", "netns", "del", self.ns)

    def counters(self):
        out = sh("ip", "netns", "exec", self.ns, "nft", "-j", "list", "ruleset").stdout
        c = {}
        for item in json.loads(out)["nftables"]:
            rule = item.get("rule")
            if not rule:
                continue
            for e in rule["expr"]:
                if "counter" in e:
                    c[rule["comment"]] = e["counter"]["packets"]
        return c

    def verdicts(self, frames):
        """Send each frame alone; which counter moved tells its rule (None: never seen)."""
        before = self.counters()
        seen = []
        for f in frames:
            self.sock.send(f)
            deadline = time.time() + 0.5
            hit = None
            while time.time() < deadline:
                now = self.counters()
                moved = [k for k in now if now[k] != before.get(k, 0)]
                if moved:
                    hit = moved[0] if len(moved) == 1 else "several:" + ",".join(moved)
                    before = now
                    break
                time.sleep(0.002)
            seen.append(hit)
        return seen, before


# ------------------------------------------------------------------------------------------
# The firewall NF behind the manager


def run_nf(tmp, rules_path, frames_path, what, extra=()):
    """The capture through manager + firewall; returns (output frames, counters dict, rule
    counts {line: packets}, NF output)."""
    out = os.path.join(tmp, what + "-out.pcap")
    counters = os.path.join(tmp, what + "-counters.txt")
    policy = policy_file(tmp, POLICY, what + "-policy.yaml")
    h = Host(tmp, policy, ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (frames_path, out)],
             ["--idle-exit", "300", "--min-nfs", "1"])
    try:
        check(h.wait_ready(), "%s: manager ready" % what)
        h.proc(FIREWALL, "--rules", rules_path, "--counters", counters, *extra)
        rc, nf_rcs = h.wait(60)
        nf_out = "".join(h.nf_output())
        print(h.text())
        print(nf_out)
        check(rc == 0 and nf_rcs == [0], "%s: manager and NF exit 0 (%s, %s)" % (what, rc, nf_rcs))
        check(h.stat("pool_in_use") == 0, "%s: pool in use back to 0" % what)
    finally:
        h.cleanup()
    c, rules = {}, {}
    if os.path.exists(counters):
        for line in open(counters):
            w = line.split()
            if w[0] == "rule":
                rules["line" + w[1]] = int(w[3])
            else:
                c[w[0]] = int(w[1])
    check(re.search(r"^firewall: summary rx \d+ passed \d+ dropped \d+ malformed \d+", nf_out,
                    re.M) is not None, "%s: the NF prints its summary line" % what)
    return read_frames(out) if os.path.exists(out) else [], c, rules, nf_out


def compare_with_nft(tmp, rules_text, frames, what):
    rules_path = os.path.join(tmp, what + ".rules")
    with open(rules_path, "w") as f:
        f.write(rules_text)
    src = os.path.join(tmp, what + "-in.pcap")
    wrpcap(src, [Ether(f) for f in frames])
    with Nft(rules_text) as nft:
        seen, nft_counts = nft.verdicts(frames)
    rules, default, nonip = parse_rules(rules_text)
    action = {"line%d" % r["line"]: r["action"] for r in rules}
    action["default"], action["nonip"] = default, nonip
    unseen = [i for i, s in enumerate(seen) if s is None]
    several = [i for i, s in enumerate(seen) if s is not None and s.startswith("several")]
    check(not several, "%s: each frame moved one nft counter (%s)" % (what, several[:5]))
    out, c, counts, nf_out = run_nf(tmp, rules_path, src, what)
    # Frames the kernel never let reach the hook (none expected) are left out of the
    # comparison, and must be ones our parser calls malformed.
    check(len(unseen) <= c.get("malformed", 0),
          "%s: nft saw every frame but at most the %s malformed (%d unseen: %s)"
          % (what, c.get("malformed"), len(unseen), unseen[:5]))
    expected = collections.Counter(f for f, s in zip(frames, seen)
                                   if s is not None and action.get(s) == "allow")
    got = collections.Counter(out)
    check(c.get("rx") == len(frames), "%s: the NF saw all %d frames (%s)" % (what, len(frames), c.get("rx")))
    check(c.get("malformed") == 0, "%s: no malformed frame in this capture (%s)" % (what, c.get("malformed")))
    diff_pass = [frames.index(f) for f in got - expected]
    diff_drop = [frames.index(f) for f in expected - got]
    check(not diff_pass and not diff_drop,
          "%s: the same verdict as nftables for every one of %d frames (%d passed; NF passed "
          "where nft dropped: %s; NF dropped where nft passed: %s)"
          % (what, len(frames), sum(expected.values()), diff_pass[:8], diff_drop[:8]))
    for k in sorted(nft_counts):
        mine = counts.get(k) if k.startswith("line") else c.get(k)
        check(mine == nft_counts[k], "%s: %s counts %s in nft and %s in the NF"
              % (what, k, nft_counts[k], mine))
    hit_rules = sum(1 for k in nft_counts if k.startswith("line") and nft_counts[k] > 0)
    print("%s: %d frames, %d rules of %d hit, default %s, nonip %s" % (
        what, len(frames), hit_rules, len(rules), nft_counts.get("default"), nft_counts.get("nonip")))
    return hit_rules, nft_counts


REAL_RULES = """# Rules for the real captures (tcpreplay_test, tcpreplay_fragroute, onvm_pktgen_test1).
default deny
nonip allow
priority 5 deny from 96.17.211.172          # one web server is blocked, whatever follows
allow proto tcp from 172.16.11.0/24 dport 80-443
allow proto tcp sport 80 to 172.16.11.12 dport 64580-64582
deny  proto tcp from 216.34.181.0/24
allow proto tcp from 2606:4700::/32 sport 80
allow proto tcp to 2606:4700::6812:0/112 dport 80
allow proto udp dport 53
allow proto udp sport 53 to 172.16.11.0/28
allow proto icmp from 192.168.0.0/16
allow proto 2                               # IGMP
allow proto udp to 224.0.0.0/4 dport 1985
allow proto udp from fe80::/10 dport 546-547
deny  proto udp sport 17500
allow proto udp to 10.239.67.255
allow proto 103
allow proto tcp from 74.125.0.0/16 sport 443
"""


def scenario_nft_real(tmp):
    if shared_pcaps() is None:
        sys.exit(SKIP)
    frames = []
    for name in ("tcpreplay_test.pcap", "tcpreplay_fragroute.pcap", "onvm_pktgen_test1.pcap"):
        frames += [bytes(p) for p in rdpcap(os.path.join(PCAPS, name))]
    hit, counts = compare_with_nft(tmp, REAL_RULES, frames, "nft_real")
    check(hit >= 12 and counts.get("default", 0) > 0 and counts.get("nonip", 0) > 0,
          "nft_real: the capture exercises most rules, the default and the non-IP policy")


CRAFTED_RULES = """# Every keyword, IPv4 and IPv6, prefixes of many lengths, port ranges, priorities.
default deny
nonip deny
allow proto tcp from 10.1.0.0/16 to 192.0.2.0/25 dport 1000-1999
deny  proto tcp from 10.1.2.0/24
allow proto tcp sport 5000-5009 dport 22
allow proto udp from 10.2.0.0/15 sport 53
allow proto udp to 198.51.100.7/32 dport 123
priority 9 deny proto udp to 198.51.100.0/30
allow proto sctp dport 3868
allow proto icmp to 192.0.2.128/25
allow proto icmpv6 from 2001:db8:1::/48
allow proto tcp from 2001:db8:1::/48 to 2001:db8:2::/64 dport 443
deny  proto tcp from 2001:db8:1:8000::/49
allow proto tcp to 2001:db8:3::1 sport 1024-65535 dport 80-81
allow proto udp from 2001:db8::/32 dport 0-1023
allow proto 47 from 10.0.0.0/8
allow proto any from 203.0.113.0/24 to 10.9.0.0/16
priority 2 allow from 10.1.2.3 to 192.0.2.1
allow from 2001:db8:4::/62
"""


def crafted_frames(n=600, seed=5):
    rnd = random.Random(seed)
    v4 = ["10.1.%d.%d" % (rnd.choice([0, 1, 2, 255]), rnd.randrange(256)) for _ in range(8)] + \
         ["10.2.0.1", "10.3.255.254", "10.4.0.1", "192.0.2.1", "192.0.2.127", "192.0.2.128",
          "192.0.2.255", "198.51.100.7", "198.51.100.3", "198.51.100.4", "203.0.113.9",
          "10.9.1.1", "10.1.2.3", "172.16.0.1"]
    v6 = ["2001:db8:1::1", "2001:db8:1:7fff::1", "2001:db8:1:8000::1", "2001:db8:2::5",
          "2001:db8:2:1::5", "2001:db8:3::1", "2001:db8:3::2", "2001:db8:4::1", "2001:db8:7:3::1",
          "2001:db8:5::9", "2001:db9::1", "fe80::1"]
    ports = [0, 22, 53, 80, 81, 82, 123, 443, 999, 1000, 1500, 1999, 2000, 3868, 4999, 5000,
             5009, 5010, 1023, 1024, 65535]
    frames = []
    for i in range(n):
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        if rnd.random() < 0.05:
            eth = eth / Dot1Q(vlan=rnd.randrange(1, 4095))
        kind = rnd.random()
        if kind < 0.04:
            frames.append(bytes(eth / ARP(psrc="10.1.0.1", pdst="10.1.0.2")))
            continue
        six = kind < 0.4
        if six:
            l3 = IPv6(src=rnd.choice(v6), dst=rnd.choice(v6))
        else:
            l3 = IP(src=rnd.choice(v4), dst=rnd.choice(v4))
        proto = rnd.choice(["tcp", "tcp", "udp", "udp", "icmp", "sctp", "gre"])
        sp, dp = rnd.choice(ports), rnd.choice(ports)
        if proto == "tcp":
            l4 = TCP(sport=sp, dport=dp, flags="S")
        elif proto == "udp":
            l4 = UDP(sport=sp, dport=dp)
        elif proto == "sctp":
            l4 = SCTP(sport=sp, dport=dp)
        elif proto == "icmp":
            l4 = ICMPv6EchoRequest(id=i) if six else ICMP(id=i)
        else:
            if six:
                l3.nh = 47
            else:
                l3.proto = 47
            l4 = Raw(b"\x00\x00\x08\x00")
        pkt = eth / l3 / l4 / Raw(b"p%04d" % i)
        if not six and proto in ("tcp", "udp") and rnd.random() < 0.08:
            pkt[IP].frag = 100  # a non-first fragment: no ports to match
            pkt = Ether(bytes(pkt))
        frames.append(bytes(pkt))
    return frames


def targeted_frames(rules_text):
    """For each rule, frames at the edges of its match: inside the prefixes and at both ends of
    the port ranges, and just outside (the last prefix bit flipped, one port past the range)."""
    import ipaddress
    rules, _, _ = parse_rules(rules_text)
    frames = []
    for r in rules:
        proto = r.get("proto", "any")
        six = any(":" in r.get(k, "") for k in ("from", "to")) or proto == "icmpv6"
        addrs = {}
        for k in ("from", "to"):
            v = r.get(k, "any")
            if v == "any":
                addrs[k] = [("2001:db8:77::1" if six else "172.31.0.1")]
                continue
            net = ipaddress.ip_network(v)
            inside = net.network_address + (1 if net.num_addresses > 1 else 0)
            flip = int(net.network_address) ^ (1 << (net.max_prefixlen - net.prefixlen))
            addrs[k] = [str(inside), str(ipaddress.ip_address(flip) if six else
                                          ipaddress.IPv4Address(flip))]
        ranges = {}
        for k in ("sport", "dport"):
            lo, _, hi = r.get(k, "1000").partition("-")
            lo, hi = int(lo), int(hi or lo)
            ranges[k] = sorted({lo, hi, min(hi + 1, 65535), max(lo - 1, 0)})
        for src in addrs["from"]:
            for dst in addrs["to"]:
                for sp in ranges["sport"]:
                    for dp in ranges["dport"]:
                        l3 = IPv6(src=src, dst=dst) if six else IP(src=src, dst=dst)
                        if proto in ("tcp", "any"):
                            l4 = TCP(sport=sp, dport=dp, flags="S")
                        elif proto == "udp":
                            l4 = UDP(sport=sp, dport=dp)
                        elif proto == "sctp":
                            l4 = SCTP(sport=sp, dport=dp)
                        elif proto in ("icmp", "icmpv6"):
                            l4 = ICMPv6EchoRequest() if six else ICMP()
                        else:
                            if six:
                                l3.nh = int(proto)
                            else:
                                l3.proto = int(proto)
                            l4 = Raw(b"\x00\x00\x08\x00")
                        frames.append(bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                                            / l3 / l4 / Raw(b"line%d" % r["line"])))
    return frames


def scenario_nft_crafted(tmp):
    frames = targeted_frames(CRAFTED_RULES) + crafted_frames(250)
    hit, counts = compare_with_nft(tmp, CRAFTED_RULES, frames, "nft_crafted")
    check(hit == len(parse_rules(CRAFTED_RULES)[0]),
          "nft_crafted: the capture hits every rule (%d)" % hit)


# ------------------------------------------------------------------------------------------
# Stateful


STATEFUL_RULES = """# Inside (192.0.2.0/24, 2001:db8:c::/48) may open connections; outside may not.
default deny
nonip allow
allow proto tcp from 192.0.2.0/24 dport 80
allow proto tcp from 2001:db8:c::/48 dport 443
allow proto udp from 192.0.2.0/24 dport 53
allow proto icmp from 192.0.2.0/24
"""


def stateful_frames():
    """(frame, should pass, what) in order."""
    E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    cli, srv, ext = "192.0.2.10", "10.0.0.80", "203.0.113.5"
    c6, s6 = "2001:db8:c::10", "2001:db8:99::1"
    seq = []

    def add(pkt, ok, what):
        seq.append((bytes(E / pkt / Raw(b"#%03d" % len(seq))), ok, what))

    def tcp(a, b, sp, dp, flags, six=False):
        return (IPv6(src=a, dst=b) if six else IP(src=a, dst=b)) / TCP(sport=sp, dport=dp, flags=flags)

    add(tcp(srv, cli, 80, 40000, "SA"), False, "unsolicited SYN-ACK")
    add(tcp(cli, srv, 40000, 80, "A"), False, "ACK without state")
    add(tcp(cli, srv, 40000, 80, "S"), True, "client SYN (rule)")
    add(tcp(srv, cli, 80, 40000, "SA"), True, "server SYN-ACK (tracked)")
    add(tcp(cli, srv, 40000, 80, "A"), True, "client ACK")
    add(tcp(cli, srv, 40000, 80, "PA"), True, "client data")
    add(tcp(srv, cli, 80, 40000, "PA"), True, "server data (reply)")
    add(tcp(srv, cli, 80, 40000, "S"), False, "server SYN in ESTABLISHED (invalid)")
    add(tcp(cli, srv, 40000, 80, "FA"), True, "client FIN")
    add(tcp(srv, cli, 80, 40000, "FA"), True, "server FIN")
    add(tcp(cli, srv, 40000, 80, "A"), True, "last ACK")
    add(tcp(ext, cli, 5555, 22, "S"), False, "outside SYN (rules deny)")
    add(tcp(cli, srv, 40001, 22, "S"), False, "client SYN to a port the rules deny")
    add(tcp(srv, cli, 22, 40001, "SA"), False, "its answer")
    add(tcp(c6, s6, 50000, 443, "S", True), True, "IPv6 SYN")
    add(tcp(s6, c6, 443, 50000, "SA", True), True, "IPv6 SYN-ACK")
    add(tcp(s6, c6, 443, 50000, "R", True), True, "IPv6 RST")
    add(IP(src=cli, dst=srv) / UDP(sport=5353, dport=53), True, "UDP query")
    add(IP(src=srv, dst=cli) / UDP(sport=53, dport=5353), True, "UDP answer")
    add(IP(src=srv, dst=cli) / UDP(sport=53, dport=5354), False, "unsolicited UDP")
    add(IP(src=ext, dst=cli) / ICMP(type=8, id=7), False, "outside ping")
    add(IP(src=srv, dst=cli) / ICMP(type=0, id=9), False, "unsolicited echo reply")
    add(IP(src=cli, dst=srv) / ICMP(type=8, id=9), True, "ping")
    add(IP(src=srv, dst=cli) / ICMP(type=0, id=9), True, "its echo reply")
    add(IP(src=srv, dst=cli) / ICMP(type=3, code=3) / IP(src=cli, dst=srv) / UDP(sport=5353, dport=53),
        True, "port unreachable about the UDP query (related)")
    add(IP(src=srv, dst=cli) / ICMP(type=3, code=3) / IP(src=cli, dst=srv) / UDP(sport=6000, dport=53),
        False, "port unreachable about nothing tracked")
    add(ARP(psrc="192.0.2.10", pdst="192.0.2.1"), True, "ARP (nonip allow)")
    return seq


def scenario_stateful(tmp):
    rules = os.path.join(tmp, "stateful.rules")
    with open(rules, "w") as f:
        f.write(STATEFUL_RULES)
    seq = stateful_frames()
    src = os.path.join(tmp, "stateful-in.pcap")
    wrpcap(src, [Ether(f) for f, _, _ in seq])
    out, c, counts, nf_out = run_nf(tmp, rules, src, "stateful", ["--stateful"])
    got = set(out)
    for f, ok, what in seq:
        check((f in got) == ok, "stateful: %s %s" % (what, "passes" if ok else "is dropped"))
    check(len(out) == sum(1 for _, ok, _ in seq if ok), "stateful: nothing else came out")
    check(c.get("invalid") == 5, "stateful: 5 packets dropped as invalid (%s)" % c.get("invalid"))
    check(c.get("conn_new") == 4, "stateful: 4 connections opened (%s)" % c.get("conn_new"))
    check(re.search(r"tracked \d+ invalid \d+ conn_new", nf_out) is not None,
          "stateful: the summary line has the tracking counters")


# ------------------------------------------------------------------------------------------
# Bad input


def scenario_bad_rules(tmp):
    path = os.path.join(tmp, "bad.rules")
    with open(path, "w") as f:
        f.write("default deny\n# fine so far\nallow proto tcp dport 80\nallow proto udp dport 70000\n")
    r = subprocess.run([FIREWALL, "--no-pci", "--", "--rules", path], capture_output=True,
                       text=True, timeout=20)
    print(r.stdout, r.stderr)
    check(r.returncode == 1, "bad_rules: the NF exits 1 (%s)" % r.returncode)
    check("%s:4: bad destination port '70000' (N or N-M, 0 to 65535)" % path in r.stderr,
          "bad_rules: the error names the file, line 4 and the reason")
    with open(path, "w") as f:
        f.write("allow from 10.0.0.0/8\n\n\nallow from 10.0.0.0/8 to 2001:db8::1\n")
    r = subprocess.run([FIREWALL, "--", "--rules", path, "--check"], capture_output=True,
                       text=True, timeout=20)
    check(r.returncode == 1 and "%s:4: source and destination mix IPv4 and IPv6" % path in r.stderr,
          "bad_rules: a family mix on line 4 is refused (%s)" % r.stderr.strip())
    sample = os.path.join(SOURCE, "examples", "firewall", "rules.txt")
    for bad in (["--timeout", "tcp_forever=5"], ["--timeout", "udp=0"], ["--conn-max", "0"]):
        r = subprocess.run([FIREWALL, "--", "--rules", sample, "--check"] + bad,
                           capture_output=True, text=True, timeout=20)
        check(r.returncode == 2 and "bad --" in r.stderr,
              "bad_rules: option %s is refused (%s)" % (" ".join(bad), r.stderr.strip()))
    r = subprocess.run([FIREWALL, "--", "--rules", os.path.join(SOURCE, "examples", "firewall",
                                                                "rules.txt"), "--check"],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 0, "bad_rules: the sample rule file passes --check (%s)" % r.stdout.strip())


def scenario_malformed(tmp):
    demo = os.path.join(SOURCE, "examples", "data", "demo.pcap")
    rules = os.path.join(tmp, "all.rules")
    with open(rules, "w") as f:
        f.write("default allow\nnonip allow\n")
    frames = read_frames(demo)
    out, c, _, nf_out = run_nf(tmp, rules, demo, "malformed")
    check(c.get("malformed", 0) > 0, "malformed: the demo's malformed frames are counted (%s)"
          % c.get("malformed"))
    check(c.get("rx") == len(frames) and len(out) == len(frames) - c.get("malformed", 0),
          "malformed: everything else passes (%d in, %d out, %s malformed)"
          % (len(frames), len(out), c.get("malformed")))
    check(re.search(r"firewall: malformed \d+ \(", nf_out) is not None,
          "malformed: the NF names the reasons")


def main():
    scenario = sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="fw_e2e_")
    globals()["scenario_" + scenario](tmp)
    sys.exit(verdict())


if __name__ == "__main__":
    main()
