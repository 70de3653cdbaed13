#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Summarise a main-job run: the manager's summary and each NF's summary lines, as one table.

usage: demo-report.py MANAGER_LOG NF_LOG...      (prints the report; exit 1 when a log lacks its
                                                  summary line)
"""
import re
import sys


def pairs(line):
    """`word: summary k v k v ...` -> {k: v} (integers where they are)."""
    toks = line.split()
    out = {}
    for k, v in zip(toks[2::2], toks[3::2]):
        out[k] = int(v) if v.isdigit() else v
    return out


def summary_of(text, kind):
    for line in text.splitlines():
        if line.startswith(kind + ": summary "):
            return pairs(line)
    return None


def main():
    mgr_text = open(sys.argv[1], errors="replace").read()
    nf_texts = [open(p, errors="replace").read() for p in sys.argv[2:]]
    ok = True
    m = re.search(r"manager: rx (\d+) tx (\d+) to_nf (\d+) from_nf (\d+) pool_in_use (\d+)", mgr_text)
    drops = re.search(r"^drops: (.*)$", mgr_text, re.M)
    if m is None:
        print("demo: the manager printed no summary")
        return 1
    rx, tx, _, _, pool = (int(x) for x in m.groups())
    print("host:      %d packets in, %d out, pool in use at exit %d" % (rx, tx, pool))
    if drops:
        nonzero = ["%s %s" % (k, v) for k, v in zip(drops.group(1).split()[::2], drops.group(1).split()[1::2])
                   if v != "0"]
        print("           dropped by verdict or policy: %s" % (", ".join(nonzero) or "none"))
    rows = []
    for kind, text in zip(("firewall", "nat", "dpi"), nf_texts):
        s = summary_of(text, kind)
        if s is None:
            print("demo: %s printed no summary line" % kind)
            ok = False
            continue
        rows.append((kind, s, text))
    for kind, s, text in rows:
        if kind == "firewall":
            print("firewall:  %d in, %d passed, %d dropped (%d by the default policy, %d malformed)"
                  % (s.get("rx", 0), s.get("passed", 0), s.get("dropped", 0), s.get("default", 0),
                     s.get("malformed", 0)))
            for line in text.splitlines():
                r = re.match(r"firewall: rule line (\d+) (\w+) packets (\d+)", line)
                if r and r.group(3) != "0":
                    print("           rule line %s (%s): %s packets" % r.groups())
        elif kind == "nat":
            print("nat:       %d in, %d translated, %d dropped, %d mappings made, %d active at "
                  "exit" % (s.get("rx", 0), s.get("translated", 0), s.get("dropped", 0),
                            s.get("created", 0), s.get("mappings", 0)))
        elif kind == "dpi":
            print("dpi:       %d in, %d inspected, %d alerts, %d dropped, %d malformed"
                  % (s.get("rx", 0), s.get("inspected", 0), s.get("alerts", 0),
                     s.get("dropped", 0), s.get("malformed", 0)))
            for line in text.splitlines():
                a = re.match(r'dpi: alert sid (\d+) "([^"]*)" (.*)', line)
                if a:
                    print("           alert sid %s \"%s\" %s" % a.groups())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
