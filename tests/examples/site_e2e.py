#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The README's main job, checked: the manager with firewall -> nat -> dpi as three NF processes
over examples/data/site.pcap, with the site's files (examples/site/), as scripts/demo.sh runs it.

Checks, from the capture and the site's files rather than from the NFs' own counters:
  - every packet is accounted for and the pool is back to 0;
  - nothing the firewall refuses leaves (telnet, SMB, the scans, the UDP flood, malformed frames);
  - every IPv4 packet that leaves towards the outside carries the public address, every one that
    comes back carries the inside client's address and port it was sent from, and every checksum
    is right (the NAT's incremental updates);
  - the DPI raises exactly the four alerts the rules ask for, and the flow carrying the dropped
    signature stops at the packet that carries it;
  - scripts/demo-report.py summarises the run.

usage: site_e2e.py [processes|group]    (group: the three NFs as one examples/nf_group process;
                                         environment as for tests/common/host.py)
"""
import os
import subprocess
import sys
import tempfile

from scapy.all import ICMP, IP, TCP, UDP, IPv6, Ether, Raw, rdpcap

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from host import BUILD, SOURCE, RUNTIME, Host, check, verdict, read_frames  # noqa: E402

SITE = os.path.join(SOURCE, "examples", "site")
PCAP = os.path.join(SOURCE, "examples", "data", "site.pcap")
PUBLIC = "203.0.113.1"


def checksums_ok(raw):
    """Recompute every checksum with scapy and compare."""
    p = Ether(raw)
    fresh = p.copy()
    for layer in (IP, TCP, UDP, ICMP):
        if layer in fresh:
            del fresh[layer].chksum
    fresh = Ether(bytes(fresh))
    return all(layer not in p or p[layer].chksum == fresh[layer].chksum
               for layer in (IP, TCP, UDP, ICMP))


def main():
    group = len(sys.argv) > 1 and sys.argv[1] == "group"
    tmp = tempfile.mkdtemp(prefix="sdnfv-site-")
    out = os.path.join(tmp, "out.pcap")
    h = Host(tmp, os.path.join(SITE, "policy.yaml"),
             ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (PCAP, out)],
             ["--idle-exit", "300", "--min-nfs", "3"])
    try:
        check(h.wait_ready(), "manager ready")
        if group:
            # A bad member file is refused with its line, before the EAL starts.
            bad = os.path.join(tmp, "bad.rules")
            with open(bad, "w") as f:
                f.write("default deny\nallow proto tcp dport 99999\n")
            r = subprocess.run([os.path.join(BUILD, "examples", "nf_group"), "--",
                                "--nf", "monitor=defaults", "--nf", "firewall=" + bad],
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 1 and bad + ":2:" in r.stderr,
                  "nf_group refuses a bad rule file with its line (%d: %s)" % (r.returncode, r.stderr.strip()))
            r = subprocess.run([os.path.join(BUILD, "examples", "nf_group"), "--", "--nf", "router=x"],
                               capture_output=True, text=True, timeout=30)
            check(r.returncode == 1 and "unknown NF kind 'router'" in r.stderr,
                  "nf_group refuses an unknown kind (%d: %s)" % (r.returncode, r.stderr.strip()))
            h.proc(os.path.join(BUILD, "examples", "nf_group"),
                   "--nf", "firewall=" + os.path.join(SITE, "firewall.rules"),
                   "--nf", "nat=" + os.path.join(SITE, "nat.conf"),
                   "--nf", "dpi=" + os.path.join(SITE, "dpi.rules"))
        else:
            h.proc(os.path.join(BUILD, "examples", "firewall", "firewall"),
                   "--rules", os.path.join(SITE, "firewall.rules"))
            h.proc(os.path.join(BUILD, "examples", "nat", "nat"),
                   "--config", os.path.join(SITE, "nat.conf"))
            h.proc(os.path.join(BUILD, "examples", "dpi", "dpi"),
                   "--rules", os.path.join(SITE, "dpi.rules"))
        rc, nf_rcs = h.wait(90)
        print(h.text())
        texts = h.nf_output()
        for t in texts:
            print(t)
        check(rc == 0 and all(r == 0 for r in nf_rcs), "manager and NFs exit 0 (%s, %s)" % (rc, nf_rcs))
        if group:
            texts = texts * 3  # one process printed all three summaries
        check(h.stat("pool_in_use") == 0, "pool back to 0")
        rx, tx = h.stat("rx"), h.stat("tx")
        check(rx == len(rdpcap(PCAP)), "the manager read the whole capture (%s)" % rx)

        frames = [Ether(f) for f in read_frames(out)]
        check(len(frames) == tx, "%d frames left, as the manager counted (%s)" % (len(frames), tx))
        bad = [f.summary() for f in frames if TCP in f and (f[TCP].dport in (23, 445) or f[TCP].sport in (23, 445))]
        check(not bad, "no telnet or SMB leaves (%s)" % bad[:3])
        bad = [f.summary() for f in frames if IP in f and f[IP].src in ("192.0.2.66", "192.0.2.99", "192.0.2.77")]
        check(not bad, "no scan, SSH probe or flood from outside gets in (%s)" % bad[:3])
        bad = [f.summary() for f in frames if IP in f and f[IP].src == "10.0.0.66"]
        check(not bad, "no malformed frame leaves (%s)" % bad[:3])

        # The NAT: outside-bound IPv4 carries the public address; inside-bound the client's.
        ins = [Ether(bytes(p)) for p in rdpcap(PCAP)]
        client_ports = {(p[IP].proto, p.sport): p[IP].src for p in ins
                        if IP in p and p[IP].src.startswith("10.0.0.") and (TCP in p or UDP in p)}
        leaks = [f.summary() for f in frames if IP in f and f[IP].src.startswith("10.0.0.")]
        check(not leaks, "no inside address leaves untranslated (%s)" % leaks[:3])
        wrong = [f.summary() for f in frames if IP in f and f[IP].dst.startswith("10.0.0.")
                 and (TCP in f or UDP in f)
                 and client_ports.get((f[IP].proto, f.dport)) != f[IP].dst]
        check(not wrong, "replies reach the inside client and port that opened them (%s)" % wrong[:3])
        back_in = sum(1 for f in frames if IP in f and f[IP].dst.startswith("10.0.0."))
        check(back_in > 100, "replies come back in (%d)" % back_in)
        bad = [f.summary() for f in frames if IP in f and not checksums_ok(bytes(f))]
        check(not bad, "every IPv4/TCP/UDP/ICMP checksum is right after translation (%s)" % bad[:3])
        v6 = sum(1 for f in frames if IPv6 in f)
        check(v6 == sum(1 for p in ins if IPv6 in p), "the IPv6 web flow passes whole (%d)" % v6)

        # The DPI: the four alerts, and the dropped flow stops at its signature.
        dpi_text = texts[2]
        sids = sorted(int(line.split()[3]) for line in dpi_text.splitlines()
                      if line.startswith("dpi: alert sid "))
        check(sids == [2000001, 2000002, 2000003, 2000004], "the four alerts, once each (%s)" % sids)
        evil = [f for f in frames if Raw in f and b"EVIL-PAYLOAD" in bytes(f[Raw])]
        check(not evil, "the packet with the dropped signature does not leave")
        evil_in = [p for p in ins if Raw in p and b"EVIL-PAYLOAD" in bytes(p[Raw])]
        sport = evil_in[0][TCP].sport
        after = [f.summary() for f in frames if IP in f and TCP in f and f[IP].src == PUBLIC and f[TCP].sport == sport
                 and f[TCP].seq > evil_in[0][TCP].seq]
        check(not after, "nothing of that flow leaves after it (%s)" % after[:3])

        logs = []
        for name, text in zip(("manager", "firewall", "nat", "dpi"), [h.text()] + texts):
            path = os.path.join(tmp, name + ".txt")
            with open(path, "w") as f:
                f.write(text)
            logs.append(path)
        r = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "scripts", "demo-report.py")] + logs,
                           capture_output=True, text=True)
        print(r.stdout + r.stderr)
        check(r.returncode == 0 and "alert sid 2000001" in r.stdout and "mappings made" in r.stdout,
              "demo-report.py summarises the run")
    finally:
        h.cleanup()
        subprocess.run(["rm", "-rf", tmp, RUNTIME])
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
