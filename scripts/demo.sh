#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up the machine, build libsdnfv, and run the ring_pipeline example on the
# bundled demo capture. Writes the forwarded packets to build/demo-out.pcap and prints a summary.
#
# usage: scripts/demo.sh [capture.pcap]     (default examples/data/demo.pcap)
set -eu
cd "$(dirname "$0")/.."
in=$(realpath "${1:-examples/data/demo.pcap}")
scripts/setup.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=$(pwd)/build/demo-out.pcap
prefix="sdnfv_demo_$$"
trap 'rm -rf "/var/run/dpdk/$prefix"' EXIT
lcores=0
[ "$(nproc)" -gt 1 ] && lcores=0,1
build/examples/ring_pipeline --no-pci --in-memory --file-prefix="$prefix" -l "$lcores" \
	--log-level=lib.eal:warning --vdev="net_pcap0,rx_pcap=$in,tx_pcap=$out" -- --top 5
echo "forwarded packets written to $out"
