# SPDX-License-Identifier: BSD-3-Clause
"""Drive a host from Python tests: the example manager, NF processes, telemetry, checks.

Used by tests/mgr/e2e.py and the example NFs' end-to-end tests. Environment: SDNFV_BUILD_ROOT,
SDNFV_TEST_PREFIX (run-test.sh sets it; the DPDK prefix is derived from it).

    h = Host(tmp, policy_file(tmp, POLICY), ["net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap"],
             ["--idle-exit", "300", "--min-nfs", "1"])
    try:
        check(h.wait_ready(), "manager ready")
        h.proc(os.path.join(BUILD, "examples", "firewall", "firewall"), "--rules", "rules.txt")
        rc, nf_rcs = h.wait(60)
    finally:
        h.cleanup()          # kills whatever still runs
"""
import json
import os
import re
import signal
import socket
import subprocess
import time

from scapy.all import rdpcap

BUILD = os.environ.get("SDNFV_BUILD_ROOT", "build")
SOURCE = os.environ.get("SDNFV_SOURCE_ROOT", ".")
PREFIX = os.environ.get("SDNFV_TEST_PREFIX", "sdnfvt_e2e") + "_e2e"
MANAGER = os.path.join(BUILD, "examples", "manager")
SIMPLE_NF = os.path.join(BUILD, "examples", "simple_nf")
RUNTIME = "/var/run/dpdk/" + PREFIX
EAL_QUIET = "--log-level=lib.eal:warning"

failures = []  # what check() saw fail, for the final verdict


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def shared_pcaps():
    """The directory of the workplace's shared real captures ($SDNFV_SHARED_PCAPS, else
    ../shared/pcaps beside the source tree), or None when it is not there: a test then skips what
    needs it, visibly (exit 77 when nothing else is left), as the packet parser's tests do."""
    d = os.environ.get("SDNFV_SHARED_PCAPS", os.path.join(SOURCE, "..", "shared", "pcaps"))
    if os.path.isdir(d):
        return d
    print("skip: no shared captures at %s" % d)
    return None


SKIP = 77  # meson's exit status for a skipped test


def verdict():
    """Print the checks that failed, if any; the test's exit status."""
    if failures:
        print("%d checks failed:" % len(failures))
        for f in failures:
            print("  " + f)
        return 1
    print("all checks passed")
    return 0


def read_frames(path):
    """The frames of a pcap file, as bytes (none for an empty capture)."""
    return [bytes(p) for p in rdpcap(path)] if os.path.getsize(path) > 24 else []


def sh(*args):
    """Run a command; its result (never raises on failure)."""
    return subprocess.run(list(args), check=False, capture_output=True, text=True)


class Host:
    """A manager process. policy: a policy file, or None (a manager under a controller needs
    none); cpu: the CPU its one lcore runs on; wrap: a command prefix it runs under (such as
    `ip netns exec NS`, which execs it: the process is still the manager's); log: the name of
    its log file in tmp (several hosts share a tmp)."""

    def __init__(self, tmp, policy, vdevs, extra=(), prefix=PREFIX, cpu=0, wrap=(),
                 log="manager.log"):
        self.tmp = tmp
        self.prefix = prefix
        self.nfs = []
        self.log = open(os.path.join(tmp, log), "w+")
        # A fixed base address lets secondaries map the primary's memory even in sanitizer
        # builds, whose shadow memory crowds the address space.
        args = list(wrap) + [MANAGER, "--lcores=0@%d" % cpu, "--file-prefix=" + prefix,
                             "--no-pci", EAL_QUIET, "--base-virtaddr=0x200000000000"]
        args += ["--vdev=" + v for v in vdevs]
        args += ["--"] + (["--policy", policy] if policy is not None else []) + list(extra)
        self.mgr = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.lcore = 10

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if "manager: ready" in self.text():
                return True
            if self.mgr.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def nf(self, *app_args, sleep=True, cpu=1):
        """A simple_nf process with these arguments."""
        return self.proc(SIMPLE_NF, *app_args, sleep=sleep, cpu=cpu)

    def proc(self, binary, *app_args, sleep=True, cpu=1):
        """An NF process of any example, `binary EAL-args -- app_args [--sleep]`, with an lcore id
        of its own on this host; its output goes to tmp/nf<lcore>.log (p.logfile)."""
        self.lcore += 1
        log = open(os.path.join(self.tmp, "nf%d.log" % self.lcore), "w+")
        args = [binary, "--lcores=%d@%d" % (self.lcore, cpu), "--file-prefix=" + self.prefix,
                EAL_QUIET, "--"] + list(app_args)
        if sleep:
            args.append("--sleep")
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        p.logfile = log
        self.nfs.append(p)
        return p

    def nf_output(self):
        """Every NF process's output so far, in start order."""
        out = []
        for p in self.nfs:
            p.logfile.flush()
            with open(p.logfile.name) as f:
                out.append(f.read())
        return out

    def text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def wait_text(self, pattern, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.text())
            if m:
                return m
            time.sleep(0.02)
        return None

    def wait_nfs(self, n, timeout=30):
        """Wait until n NFs registered and traffic flows (slow builds start slowly)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(re.findall(r"registered as id", self.text())) >= n:
                try:
                    st = self.telemetry("/sdnfv/stats")
                    if st and st["nfs_live"] >= n and st["rx"] > 0:
                        return True
                except OSError:
                    pass
            time.sleep(0.05)
        check(False, "%d NFs registered and traffic flows within %d s" % (n, timeout))
        return False

    def wait(self, timeout=60):
        try:
            rc = self.mgr.wait(timeout)
        except subprocess.TimeoutExpired:
            self.mgr.kill()
            rc = self.mgr.wait()
            check(False, "manager finished within %d s" % timeout)
        nf_rcs = []
        for p in self.nfs:
            try:
                nf_rcs.append(p.wait(10))
            except subprocess.TimeoutExpired:
                p.kill()
                nf_rcs.append(p.wait())
        return rc, nf_rcs

    def stop(self, timeout=30):
        if self.mgr.poll() is None:
            self.mgr.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def cleanup(self):
        for p in [self.mgr] + self.nfs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def stat(self, name):
        """A counter from the manager's final summary."""
        m = re.search(r"\b%s (\d+)" % name, self.text())
        return int(m.group(1)) if m else None

    def telemetry(self, cmd):
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        s.connect(path)
        s.recv(16384)  # the greeting
        s.send(cmd.encode())
        reply = json.loads(s.recv(1 << 20).decode())
        s.close()
        value = reply.get(cmd.split(",")[0])
        # Lists of records come as dicts keyed by rank or id (DPDK 22.11 nests dicts in dicts
        # only): give them back as lists, in key order.
        if isinstance(value, dict) and value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        return value


def policy_file(tmp, text, name="policy.yaml"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def accounting_checks(h, what):
    rx, tx = h.stat("rx"), h.stat("tx")
    drops = sum(int(v) for v in re.findall(r"\b(?:verdict|no_rule|chain|no_instance|entry_full|"
                                           r"port_full|bad_dest|nf_gone|nf_died|hold_full) (\d+)",
                                           h.text().split("drops:")[-1].split("\n")[0]))
    check(rx is not None and rx > 0 and rx == tx + drops,
          "%s: every packet is accounted for: rx %s = tx %s + drops %s" % (what, rx, tx, drops))
    return rx, tx, drops
