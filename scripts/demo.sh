#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up the machine, build libsdnfv, and run the reference host manager with the
# chain firewall -> nat -> dpi (three NF processes: examples/firewall, examples/nat, examples/dpi)
# over the bundled capture of a small site (examples/data/site.pcap, made by
# scripts/gen-site-traffic.py; the site's files are in examples/site/). Prints a summary (packets
# per NF, drops, alerts, NAT mappings) and writes the packets that leave the host to
# build/demo-out.pcap, the summary to build/demo-summary.txt and every program's output to
# build/demo-logs/.
#
# usage: scripts/demo.sh [capture.pcap]     (default examples/data/site.pcap)
set -eu
cd "$(dirname "$0")/.."
in=$(realpath "${1:-examples/data/site.pcap}")
scripts/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=$(pwd)/build/demo-out.pcap
summary=$(pwd)/build/demo-summary.txt
logs=$(pwd)/build/demo-logs
site=examples/site
prefix="sdnfv_demo_$$"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "/var/run/dpdk/$prefix"
	awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | while read -r d; do
		rm -f "$d/${prefix}map_"*; done
}
trap cleanup EXIT
rm -rf "$logs" && mkdir -p "$logs"
nf_cpu=0
[ "$(nproc)" -gt 1 ] && nf_cpu=1
quiet="--log-level=lib.eal:warning"

# The manager owns the port and the packet pool; it starts receiving once the three NFs run, and
# stops when the capture is done and every packet has left.
build/examples/manager -l 0 --file-prefix="$prefix" --no-pci $quiet \
	--vdev="net_pcap0,rx_pcap=$in,tx_pcap=$out" -- \
	--policy $site/policy.yaml --min-nfs 3 --idle-exit 300 >"$logs/manager.log" 2>&1 &
mgr=$!
pids="$mgr"
# The NFs are DPDK secondaries of the manager (same --file-prefix), each with its own lcore id;
# they share one core and sleep when idle. They wait for the manager if it is not up yet.
eal() { echo "--lcores=$1@$nf_cpu --file-prefix=$prefix $quiet"; }
build/examples/firewall/firewall $(eal 10) -- --rules $site/firewall.rules --sleep \
	>"$logs/firewall.log" 2>&1 &
pids="$pids $!"
build/examples/nat/nat $(eal 11) -- --config $site/nat.conf --sleep >"$logs/nat.log" 2>&1 &
pids="$pids $!"
build/examples/dpi/dpi $(eal 12) -- --rules $site/dpi.rules --sleep >"$logs/dpi.log" 2>&1 &
pids="$pids $!"
status=0
wait "$mgr" || status=$?
for p in $pids; do wait "$p" 2>/dev/null || status=1; done
pids=""
/usr/bin/python3 scripts/demo-report.py "$logs/manager.log" "$logs/firewall.log" \
	"$logs/nat.log" "$logs/dpi.log" | tee "$summary" || status=1
echo "packets that left the host: $out"
echo "summary: $summary; every program's output: $logs/"
exit $status
