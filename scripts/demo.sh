#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up the machine, build libsdnfv, and run the reference host manager with a
# chain of three NF processes (ttl -> mark -> count, examples/simple_nf) over the bundled demo
# capture. Writes the packets that leave the host to build/demo-out.pcap and the manager's
# summary to build/demo-summary.txt.
#
# usage: scripts/demo.sh [capture.pcap]     (default examples/data/demo.pcap)
set -eu
cd "$(dirname "$0")/.."
in=$(realpath "${1:-examples/data/demo.pcap}")
scripts/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=$(pwd)/build/demo-out.pcap
summary=$(pwd)/build/demo-summary.txt
prefix="sdnfv_demo_$$"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "/var/run/dpdk/$prefix"
	awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | while read -r d; do
		rm -f "$d/${prefix}map_"*; done
}
trap cleanup EXIT
nf_cpu=0
[ "$(nproc)" -gt 1 ] && nf_cpu=1
quiet="--log-level=lib.eal:warning"

# The manager owns the port and the packet pool; it starts receiving once the three NFs run, and
# stops when the capture is done and every packet has left.
build/examples/manager -l 0 --file-prefix="$prefix" --no-pci $quiet \
	--vdev="net_pcap0,rx_pcap=$in,tx_pcap=$out" -- \
	--policy examples/manager/demo.yaml --min-nfs 3 --idle-exit 300 --summary "$summary" &
mgr=$!
pids="$mgr"
# The NFs are DPDK secondaries of the manager (same --file-prefix), each with its own lcore id;
# they share one core and sleep when idle. They wait for the manager if it is not up yet.
lcore=10
for nf in ttl:ttl mark:dscp=46 count:count; do
	build/examples/simple_nf --lcores="$lcore@$nf_cpu" --file-prefix="$prefix" $quiet -- \
		--service "${nf%%:*}" --action "${nf#*:}" --sleep &
	pids="$pids $!"
	lcore=$((lcore + 1))
done
status=0
wait "$mgr" || status=$?
for p in $pids; do wait "$p" 2>/dev/null || true; done
pids=""
echo "packets that left the host: $out"
echo "summary: $summary"
exit $status
