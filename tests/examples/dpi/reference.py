#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""dpi against a plain reference scan (refscan.py) on the same captures and rules.

For each capture (the bundled walkthrough capture, a crafted one with split, retransmitted,
overlapping and out-of-order segments, python3-dpkt's HTTP/DNS captures and the shared real
captures), `dpi --pcap` writes its alerts (--alerts); they must equal the reference's exactly:
frame number, sid, action, flow direction and the stream offset where the rule completed.
usage: reference.py   (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT, SDNFV_SHARED_PCAPS)
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import refscan  # noqa: E402
from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # noqa: E402

BUILD = os.environ.get("SDNFV_BUILD_ROOT", "build")
SOURCE = os.environ.get("SDNFV_SOURCE_ROOT", ".")
SHARED = os.environ.get("SDNFV_SHARED_PCAPS", os.path.join(SOURCE, "..", "shared", "pcaps"))
DPI = os.path.join(BUILD, "examples", "dpi", "dpi")
RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref.rules")
DPKT = "/usr/share/doc/python3-dpkt/examples/data"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def crafted(path):
    """TCP reassembly cases: a signature over three segments, a retransmission, an overlap that
    brings new bytes, a segment that arrives before its predecessor (a gap: the direction
    stops), UDP datagrams whose concatenation holds a signature, and a client port reused for a
    second connection (lower ISNs) before the flow idles out: a new stream from offset 0."""
    e = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")

    def seg(sport, seq, data, flags="PA"):
        return e / IP(src="10.1.0.1", dst="192.0.2.80") / TCP(sport=sport, dport=80, seq=seq,
                                                              flags=flags) / Raw(data)
    p = [e / IP(src="10.1.0.1", dst="192.0.2.80") / TCP(sport=1111, dport=80, seq=99, flags="S")]
    p += [seg(1111, 100, b"GET /EVI"), seg(1111, 108, b"L_PAY"), seg(1111, 108, b"L_PAY"),
          seg(1111, 110, b"PAYLOAD and more Host: a.b\r\n")]  # retransmit, then overlap
    p += [seg(2222, 500, b"GET / HTTP/1.1\r\n"), seg(2222, 540, b"EVIL_PAYLOAD after a gap"),
          seg(2222, 516, b"x" * 24)]  # out of order: the direction stops at the gap
    def srv(dport, seq, data, flags="PA"):
        return e / IP(src="192.0.2.80", dst="10.1.0.1") / TCP(sport=80, dport=dport, seq=seq,
                                                              flags=flags) / Raw(data)
    for isn, sisn, req in ((90000, 70000, b"GET /first HTTP/1.1\r\n"),
                           (3000, 200, b"GET /EVIL_PAYLOAD HTTP/1.1\r\nHost: c.d\r\n")):
        p += [seg(4444, isn, b"", "S"), srv(4444, sisn, b"", "SA"),
              seg(4444, isn + 1, req), srv(4444, sisn + 1, b"HTTP/1.1 200 OK\r\n\r\n"),
              seg(4444, isn + 1 + len(req), b"", "FA"), srv(4444, sisn + 20, b"", "FA")]
    p += [e / IP(src="10.1.0.2", dst="192.0.2.53") / UDP(sport=3333, dport=53) / Raw(b"\x12\x34\x01"),
          e / IP(src="10.1.0.2", dst="192.0.2.53") / UDP(sport=3333, dport=53) / Raw(b"\x00\x00\x01 x\x07EXAMPLE")]
    wrpcap(path, p)


def main():
    with tempfile.TemporaryDirectory(prefix="dpi-ref-") as tmp:
        run(tmp)
    print("%d passed, %d failed" % (len(CAPS) * 2 + 3 - len(failures), len(failures)))
    sys.exit(1 if failures else 0)


CAPS = []


def run(tmp):
    crafted(os.path.join(tmp, "crafted.pcap"))
    caps = [os.path.join(SOURCE, "examples", "data", "ids.pcap"), os.path.join(tmp, "crafted.pcap")]
    caps += [os.path.join(DPKT, f) for f in ("http.pcap", "nb6-http.pcap", "dns_icmp.pcap")]
    if os.path.isdir(SHARED):
        caps += [os.path.join(SHARED, f) for f in ("tcpreplay_test.pcap", "onvm_pktgen_big.pcap",
                                                   "onvm_pktgen_test1.pcap", "onvm_64B_download.pcap",
                                                   "tcpreplay_fragroute.pcap")]
    else:
        print("skip: no shared captures at %s" % SHARED)
    CAPS[:] = caps
    rules = refscan.parse_rules(RULES)
    total, sids = 0, set()
    for cap in caps:
        name = os.path.basename(cap)
        if not os.path.exists(cap):
            check(False, "%s exists" % cap)
            continue
        alerts = os.path.join(tmp, name + ".alerts")
        r = subprocess.run([DPI, "--pcap", cap, "--rules", RULES, "--alerts", alerts,
                            "--idle-timeout", "0", "--quiet"], capture_output=True, text=True)
        print(r.stdout + r.stderr)
        check(r.returncode == 0, "%s: dpi exits 0" % name)
        got = refscan.read_alerts(alerts)
        want = refscan.scan(cap, rules)
        key = lambda a: (a["pkt"], a["sid"])  # noqa: E731
        got.sort(key=key)
        want.sort(key=key)
        if got != want:
            for a in want:
                if a not in got:
                    print("  missing:", a)
            for a in got:
                if a not in want:
                    print("  extra:  ", a)
        check(got == want, "%s: dpi's %d alerts equal the reference's %d" % (name, len(got), len(want)))
        total += len(want)
        sids |= {a["sid"] for a in want}
    # The program refuses a broken rule file with its line, before touching any packet.
    bad = os.path.join(tmp, "bad.rules")
    with open(bad, "w") as f:
        f.write("# ok so far\nalert tcp any any -> any 80 (content:\"a\"; sid:1;)\n"
                "alert tcp any any -> any 80 (content:\"b\"; flowbits:set,x; sid:2;)\n")
    r = subprocess.run([DPI, "--pcap", caps[0], "--rules", bad], capture_output=True, text=True)
    check(r.returncode == 1 and "bad.rules:3: unsupported option 'flowbits'" in r.stderr and
          "summary" not in r.stdout,
          "a rule file with an unsupported option is refused with its line (%d: %s)"
          % (r.returncode, r.stderr.strip()))
    check(total >= 40, "the comparison is not vacuous: %d alerts in all" % total)
    check(len(sids) >= 14, "most rules fire somewhere (%d sids: %s)" % (len(sids), sorted(sids)))


if __name__ == "__main__":
    main()
