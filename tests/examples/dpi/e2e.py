#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The IDS -> scrubber walkthrough of examples/dpi/README.md, end to end, checked.

usage: e2e.py ids|ids_clean|ids_refused   (environment: SDNFV_BUILD_ROOT, SDNFV_SOURCE_ROOT, SDNFV_TEST_PREFIX)

The manager reads examples/data/ids.pcap with examples/dpi/ids-policy.yaml (chain [dpi] -> back
out, the dpi hop may redirect to the scrubber); dpi runs examples/dpi/ids.rules, the scrubber
drops. Checks: the alert for the split signature; /sdnfv/paths shows one applied redirect for that
flow to the scrubber; /sdnfv/chains a derived chain dpi -> scrubber; the scrubber received exactly
the packets of that flow from the one completing the signature on (both directions), no other
flow; the output capture holds every other packet, unchanged, and none of those; counters agree.
ids_clean: the same with the scrubber in clean mode: those packets leave too, without their TCP
payload, with lengths and checksums that scapy recomputes to the same values.
ids_refused: a policy that does not allow the redirect at the dpi hop: the manager refuses the
path change (shown in /sdnfv/paths, counted), no chain is derived, and dpi still sends the rest of
the flow to the scrubber packet by packet: the same frames reach it.
"""
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from host import (BUILD, SOURCE, check, failures, read_frames, Host,  # noqa: E402
                  accounting_checks)
import refscan  # noqa: E402

DPI = os.path.join(BUILD, "examples", "dpi", "dpi")
SCRUBBER = os.path.join(BUILD, "examples", "scrubber", "scrubber")
PCAP = os.path.join(SOURCE, "examples", "data", "ids.pcap")
POLICY = os.path.join(SOURCE, "examples", "dpi", "ids-policy.yaml")
RULES = os.path.join(SOURCE, "examples", "dpi", "ids.rules")


def flow_key(p):
    a, b = (p[2], p[3]), (p[4], p[5])
    return (p[1],) + tuple(sorted([a, b]))


def scenario_ids(tmp, mode, refused=False):
    # What must happen, from the reference scan: the redirect fires at frame `trig` of flow B,
    # and from there every frame of B (both directions) belongs to the scrubber.
    alerts = [a for a in refscan.scan(PCAP, refscan.parse_rules(RULES)) if a["action"] == "redirect"]
    check(len(alerts) == 1, "reference: one redirect in the capture")
    trig = alerts[0]["pkt"]
    pk = {p[0]: p for p in refscan.packets(PCAP)}
    bkey = flow_key(pk[trig])
    scrubbed = sorted(n for n, p in pk.items() if flow_key(p) == bkey and n >= trig)
    frames = read_frames(PCAP)
    print("signature completes in frame %d; frames to the scrubber: %s" % (trig, scrubbed))

    out = os.path.join(tmp, "out.pcap")
    alerts_file = os.path.join(tmp, "alerts.txt")
    policy = POLICY
    if refused:
        text = open(POLICY).read().replace("dpi: { redirect: [scrubber] }", "dpi: { skip: true }")
        check("skip: true" in text, "a policy without the redirect")
        policy = os.path.join(tmp, "refused.yaml")
        with open(policy, "w") as f:
            f.write(text)
    h = Host(tmp, policy, ["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (PCAP, out)], ["--min-nfs", "2"])
    try:
        check(h.wait_ready(), "manager ready")
        dpi = h.proc(DPI, "--rules", RULES, "--alerts", alerts_file)
        scr = h.proc(SCRUBBER, "--mode", mode)
        # Traffic starts once both NFs run; wait until every frame came in and left.
        deadline = time.time() + 30
        st = None
        while time.time() < deadline:
            try:
                st = h.telemetry("/sdnfv/stats")
            except OSError:
                st = None
            if st and st.get("rx") == len(frames) and st.get("to_nf") == len(frames) + len(scrubbed):
                break
            time.sleep(0.1)
        print("/sdnfv/stats " + json.dumps(st))
        time.sleep(1.0)
        paths = h.telemetry("/sdnfv/paths") or []
        chains = h.telemetry("/sdnfv/chains") or []
        nfs = {h.telemetry("/sdnfv/nf,%d" % i)["name"]: i for i in h.telemetry("/sdnfv/nfs")}
        nf_dpi = h.telemetry("/sdnfv/nf,%d" % nfs["dpi"])
        nf_scr = h.telemetry("/sdnfv/nf,%d" % nfs["scrubber"])
        print("/sdnfv/paths " + json.dumps(paths, indent=1))
        print("/sdnfv/chains " + json.dumps(chains, indent=1))
        print("/sdnfv/nf dpi " + json.dumps(nf_dpi))
        print("/sdnfv/nf scrubber " + json.dumps(nf_scr))
        rc, nf_rcs = h.stop()
        text = h.text()
        dout, sout = h.nf_output()
        print(text + dout + sout)
    finally:
        h.cleanup()

    check(rc == 0 and nf_rcs == [0, 0], "manager and NFs exit 0 (%s %s)" % (rc, nf_rcs))
    check(re.search(r'dpi: alert sid 1000001 "exploit signature" action redirect proto 6 '
                    r'10\.0\.0\.2:40002 -> 192\.0\.2\.10:80', dout) is not None,
          "dpi logs the alert for the split signature")
    got = refscan.read_alerts(alerts_file)
    check([(a["pkt"], a["sid"]) for a in got if a["sid"] == 1000001] == [(trig, 1000001)],
          "the alert is for frame %d, where the signature completes" % trig)
    want_result = "Operation not permitted" if refused else "applied"
    ours = [p for p in paths if p["op"] == "redirect" and p["service"] == "scrubber" and
            "10.0.0.2:40002" in (p["src"], p["dst"])]
    check(len(ours) == 1 and ours[0]["result"] == want_result,
          "/sdnfv/paths: one redirect of flow 10.0.0.2:40002 to the scrubber, %s" % want_result)
    check(len(paths) == 1, "/sdnfv/paths: no other path change (%d)" % len(paths))
    if refused:
        check([c["hops"] for c in chains] == [["dpi"]], "/sdnfv/chains: no derived chain")
        check(re.search(r"path_requests 1 path_refused 1", dout) is not None,
              "dpi: its request was refused (nf counters)")
    else:
        check(any(c["hops"] == ["dpi", "scrubber"] for c in chains) and
              any(c["hops"] == ["dpi"] for c in chains),
              "/sdnfv/chains: the policy chain [dpi] and a derived chain [dpi, scrubber]")
    check(nf_scr["rx"] == len(scrubbed),
          "telemetry: the scrubber received %d packets (expected %d)" % (nf_scr["rx"], len(scrubbed)))
    m = re.search(r"scrubber: summary mode %s rx (\d+) .* flows (\d+)" % mode, sout)
    check(m is not None and int(m.group(1)) == len(scrubbed) and int(m.group(2)) == 1,
          "scrubber summary: %d packets scrubbed (%s), one flow" % (len(scrubbed), mode))
    fl = re.findall(r"scrubber: flow proto 6 (\S+) (\d+) (\S+) (\d+) packets (\d+)", sout)
    check(len(fl) == 1 and {fl[0][0], fl[0][2]} == {"10.0.0.2", "192.0.2.10"} and
          int(fl[0][4]) == len(scrubbed), "scrubber: its only flow is 10.0.0.2:40002 <-> :80")
    m = re.search(r"dpi: summary rx (\d+) .* redirected (\d+) malformed (\d+)", dout)
    check(m is not None and int(m.group(1)) == len(frames) and int(m.group(2)) == len(scrubbed) and
          int(m.group(3)) == 2,
          "dpi summary: every frame seen, %d redirected, the 2 malformed ones counted" % len(scrubbed))
    outf = read_frames(out)
    want = [frames[n - 1] for n in range(1, len(frames) + 1) if n not in scrubbed]
    if mode == "drop":
        check(sorted(outf) == sorted(want),
              "the output holds the %d other frames unchanged and none of the scrubbed ones (%d out)"
              % (len(want), len(outf)))
    else:
        cleaned = [clean_model(frames[n - 1]) for n in scrubbed]
        check(sorted(outf) == sorted(want + cleaned),
              "the output holds the %d other frames unchanged and the %d scrubbed ones without "
              "payload, lengths and checksums as scapy computes them (%d out)"
              % (len(want), len(cleaned), len(outf)))
    accounting_checks(h, "ids")


def clean_model(raw):
    """What clean mode makes of a frame, by scapy: no TCP payload, lengths and checksums anew."""
    from scapy.all import Ether, IP, TCP  # noqa: E402
    p = Ether(raw)
    p[TCP].remove_payload()
    del p[IP].len, p[IP].chksum, p[TCP].chksum
    return bytes(p)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("ids", "ids_clean", "ids_refused"):
        print(__doc__)
        sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="dpi-e2e-") as tmp:
        scenario_ids(tmp, "clean" if sys.argv[1] == "ids_clean" else "drop",
                     refused=sys.argv[1] == "ids_refused")
    print("%d failed" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
