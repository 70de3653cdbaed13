#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The nat program refuses a bad configuration with file:line: reason and a non-zero exit, before
it needs a manager; a good one passes --check.

usage: config_cli.py NAT_BINARY
"""
import os
import subprocess
import sys
import tempfile

BAD = """# a NAT
external 203.0.113.1
internal 10.0.0.0/8
ports 9000-80
"""


def main():
    nat = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write(BAD)
        r = subprocess.run([nat, "--", "--config", bad], capture_output=True, text=True,
                           timeout=20)
        want = "%s:4: bad port range" % bad
        if r.returncode == 0 or want not in r.stderr:
            failures.append("bad config: rc %d, stderr %r (want %r)" % (r.returncode, r.stderr,
                                                                       want))
        good = os.path.join(os.environ.get("SDNFV_SOURCE_ROOT", "."), "examples", "nat",
                            "nat.conf")
        r = subprocess.run([nat, "--", "--config", good, "--check"], capture_output=True,
                           text=True, timeout=20)
        if r.returncode != 0 or "configuration ok" not in r.stdout:
            failures.append("good config: rc %d, %r %r" % (r.returncode, r.stdout, r.stderr))
    for f in failures:
        print("FAIL " + f)
    print("all checks passed" if not failures else "%d checks failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
