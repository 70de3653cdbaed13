#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# End to end: ring_pipeline forwards every packet of a capture unchanged and in order, leaks no
# mbuf, and reports as many flows as an independent count of the capture's 5-tuples.
# usage: check-ring-pipeline.sh <ring_pipeline> <capture> <lcores>
set -eu
exe=$1 in=$2 lcores=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
prefix="${SDNFV_TEST_PREFIX:-sdnfvt}_pipe"
trap 'rm -rf "$tmp" "/var/run/dpdk/$prefix"' EXIT
"$exe" --no-pci --in-memory --file-prefix="$prefix" -l "$lcores" --log-level=lib.eal:warning \
	--vdev="net_pcap0,rx_pcap=$in,tx_pcap=$tmp/out.pcap" -- --burst 16 > "$tmp/summary" 2>&1 || {
	cat "$tmp/summary"; echo "ring_pipeline failed"; exit 1; }
cat "$tmp/summary"
grep -q "^  pool: 0 mbufs in use at exit" "$tmp/summary" || { echo "mbufs leaked"; exit 1; }
/usr/bin/python3 "$here/compare-pcaps.py" "$in" "$tmp/out.pcap" "$tmp/summary"
