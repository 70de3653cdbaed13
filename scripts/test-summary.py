#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Count test cases over one or more meson testlog.json files and print `N passed, N failed`.

A Criterion program counts as its individual tests (from its "Synthesis" line); any other test
program counts as one. Exits 1 when anything failed or a log is missing.
usage: test-summary.py <label>=<build dir>/meson-logs/testlog.json ...
"""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")


def count(path):
    passed = failed = skipped = 0
    failures = []
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            m = SYNTH.findall(out)
            result = t.get("result")
            if m:
                tested, ok, bad, crash = map(int, m[-1])
                passed += ok
                failed += tested - ok
                if result not in ("OK", "EXPECTEDFAIL") and tested == ok:
                    failed += 1  # the program failed outside any test (setup, leak, sanitizer)
                if result not in ("OK", "EXPECTEDFAIL"):
                    failures.append(t["name"])
            elif result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append(t["name"])
    return passed, failed, skipped, failures


def main():
    total_p = total_f = total_s = 0
    bad = False
    for arg in sys.argv[1:]:
        label, _, path = arg.partition("=")
        try:
            p, f, s, names = count(path)
        except OSError as e:
            print("%s: no test log (%s)" % (label, e.strerror))
            bad = True
            continue
        print("%-10s %4d passed, %d failed%s%s" % (label + ":", p, f,
              ", %d skipped" % s if s else "", "  (" + ", ".join(names) + ")" if names else ""))
        total_p, total_f, total_s = total_p + p, total_f + f, total_s + s
    print("%d passed, %d failed" % (total_p, total_f))
    sys.exit(1 if total_f or bad else 0)


if __name__ == "__main__":
    main()
