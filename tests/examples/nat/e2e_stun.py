#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The NAT as a router between two network namespaces, judged by a STUN client (RFC 5780).

usage: e2e_stun.py eif|apdf      (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT, SDNFV_TEST_PREFIX)

    namespace in<tag>                 manager + nat NF                  namespace out<tag>
    10.10.0.2 (natdiscovery) -- veth -- port 0 | nat | port 1 -- veth -- 198.51.100.2, .3 (turnserver)

The NAT masquerades 10.10.0.0/24 behind 198.51.100.1 (examples/nat/router.conf with the filtering
mode of the scenario). turnutils_natdiscovery (coturn) runs from the inside against turnserver with
two listening addresses (RFC 5780 behaviour discovery) and must report endpoint-independent
mapping, the configured filtering, and, with endpoint-independent filtering, hairpinning. (With
address-and-port-dependent filtering the hairpinned request is filtered, as RFC 4787 REQ-9 wants
filtering applied to hairpinned packets: the NAT must count it as filtered.)
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from host import BUILD, SOURCE, RUNTIME, verdict, check, sh, Host, policy_file  # noqa: E402

NAT = os.path.join(BUILD, "examples", "nat", "nat")

POLICY = """
services:
  nat: {}
chains:
  natc:
    hops: [nat]
    out: drop
rules:
  - { match: "", priority: 0, chain: natc }
miss: drop
"""

INSIDE_MAC = "02:00:00:00:aa:01"
OUTSIDE_MAC = "02:00:00:00:bb:01"
GW_MAC = "02:00:00:00:bb:02"


def ns(name, *args):
    return sh("ip", "netns", "exec", name, *args)


def run(mode):
    tag = "%d" % (os.getpid() % 100000)
    ns_in, ns_out = "natin" + tag, "natout" + tag
    h_in, n_in, h_out, n_out = "nih" + tag, "nin" + tag, "noh" + tag, "non" + tag
    tmp = tempfile.mkdtemp(prefix="sdnfv-nat-")
    h = None
    turn = None
    try:
        for name in (ns_in, ns_out):
            r = sh("ip", "netns", "add", name)
            check(r.returncode == 0, "namespace %s created (%s)" % (name, r.stderr.strip()))
        for host_end, ns_end, name in ((h_in, n_in, ns_in), (h_out, n_out, ns_out)):
            r = sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            check(r.returncode == 0, "veth %s created (%s)" % (host_end, r.stderr.strip()))
            sh("ip", "link", "set", ns_end, "netns", name)
            sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % host_end)
            sh("ip", "link", "set", host_end, "up")
            ns(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            ns(name, "ip", "link", "set", "lo", "up")
            # A veth hands over partial checksums (offload); a wire carries whole ones, which
            # is what the NAT updates.
            ns(name, "ethtool", "-K", ns_end, "tx", "off")
        # Inside: the client, default route through the NAT (a static neighbour: no ARP).
        ns(ns_in, "ip", "addr", "add", "10.10.0.2/24", "dev", n_in)
        ns(ns_in, "ip", "link", "set", n_in, "up")
        ns(ns_in, "ip", "route", "add", "default", "via", "10.10.0.1")
        ns(ns_in, "ip", "neigh", "replace", "10.10.0.1", "lladdr", INSIDE_MAC, "dev", n_in)
        # Outside: the STUN server on two addresses; the NAT's address is a neighbour.
        ns(ns_out, "ip", "link", "set", n_out, "address", GW_MAC)
        ns(ns_out, "ip", "addr", "add", "198.51.100.2/24", "dev", n_out)
        ns(ns_out, "ip", "addr", "add", "198.51.100.3/24", "dev", n_out)
        ns(ns_out, "ip", "link", "set", n_out, "up")
        ns(ns_out, "ip", "neigh", "replace", "198.51.100.1", "lladdr", OUTSIDE_MAC, "dev", n_out)

        filtering = {"eif": "endpoint-independent", "apdf": "address-and-port-dependent"}[mode]
        with open(os.path.join(SOURCE, "examples", "nat", "router.conf")) as f:
            conf = re.sub(r"(?m)^filtering .*$", "filtering " + filtering, f.read())
        conf_path = os.path.join(tmp, "nat.conf")
        with open(conf_path, "w") as f:
            f.write(conf)

        # -n: no /etc/turnserver.conf (Debian's disables RFC 5780).
        turn_log = open(os.path.join(tmp, "turnserver.log"), "w")
        turn = subprocess.Popen(["ip", "netns", "exec", ns_out, "turnserver", "-n",
                                 "-L", "198.51.100.2", "-L", "198.51.100.3", "--no-tls",
                                 "--no-dtls", "--no-tcp", "-z", "--no-cli", "--log-file", "stdout",
                                 "--pidfile", os.path.join(tmp, "turnserver.pid"),
                                 "--userdb", os.path.join(tmp, "turndb")],
                                stdout=turn_log, stderr=subprocess.STDOUT)

        h = Host(tmp, policy_file(tmp, POLICY), ["net_af_packet0,iface=%s,qdisc_bypass=0" % h_in,
                                                 "net_af_packet1,iface=%s,qdisc_bypass=0" % h_out],
                 ["--min-nfs", "1"])
        check(h.wait_ready(), "manager ready with two af_packet ports")
        nat = h.proc(NAT, "--config", conf_path)
        check(h.wait_text(r"registered as id", 20) is not None, "the NAT attached")
        deadline = time.time() + 10
        while time.time() < deadline and "Total General servers" not in open(turn_log.name).read():
            time.sleep(0.1)
        time.sleep(0.5)

        r = ns(ns_in, "timeout", "60", "turnutils_natdiscovery", "-m", "-f", "-H", "198.51.100.2")
        out = r.stdout
        print(out)
        check("RFC 5780 response" in out, "the STUN server answered through the NAT (RFC 5780)")
        reflexive = set(re.findall(r"UDP reflexive addr: (\S+)", out))
        check(reflexive and all(a.startswith("198.51.100.1:") for a in reflexive),
              "every reflexive address is the NAT's external address (%s)" % sorted(reflexive))
        check("NAT with Endpoint Independent Mapping!" in out,
              "natdiscovery: endpoint-independent mapping")
        want = {"eif": "NAT with Endpoint Independent Filtering!",
                "apdf": "NAT with Address and Port Dependent Filtering!"}[mode]
        check(want in out, "natdiscovery: %s" % want)
        hairpin = "Received a request (maybe a successful hairpinning)" in out
        if mode == "eif":
            check(hairpin, "natdiscovery: hairpinning works")
        else:
            check(not hairpin, "natdiscovery: the hairpinned request was filtered (APDF)")

        time.sleep(1.2)  # the NAT reports once a second when idle
        rep = h.telemetry("/sdnfv/nf,0") or {}
        check(re.match(r"nat: rx \d+ out [1-9]\d* in [1-9]", str(rep.get("report", ""))),
              "telemetry shows the NAT's report (%s)" % rep.get("report"))
        rc, nf_rcs = h.stop()
        text = h.nf_output()[0]
        print(text)
        check(rc == 0 and nf_rcs == [0], "manager and NAT stop cleanly")
        m = re.search(r"nat: summary rx (\d+) translated (\d+) out (\d+) in (\d+) hairpin (\d+)",
                      text)
        check(m is not None, "the NAT printed its summary")
        if m:
            check(int(m.group(3)) > 0 and int(m.group(4)) > 0, "packets translated both ways")
            if mode == "eif":
                check(int(m.group(5)) >= 1, "the NAT counted the hairpinned packet")
        f = re.search(r"nat: drops.* filtered (\d+)", text)
        if mode == "apdf":
            check(f is not None and int(f.group(1)) >= 2,
                  "the NAT counted the filtered packets (change-request answers, hairpin)")
    finally:
        if h is not None:
            h.cleanup()
        if turn is not None:
            # turnserver runs as a child of `ip netns exec` (which execs it): same PID.
            if turn.poll() is None:
                turn.send_signal(signal.SIGTERM)
                try:
                    turn.wait(5)
                except subprocess.TimeoutExpired:
                    turn.kill()
                    turn.wait()
        for host_end in (h_in, h_out):
            sh("ip", "link", "del", host_end)
        for name in (ns_in, ns_out):
            sh("ip", "netns", "del", name)
        subprocess.run(["rm", "-rf", tmp, RUNTIME])
    return verdict()


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else "eif"))
