#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# End to end: flow_embed, with examples/flow_embed/rules.txt, sends each packet of the demo
# capture where an independent reading of those rules (flow-embed-expect.py, with dpkt) says,
# in order and unchanged; the counts it prints add up.
# usage: check-flow-embed.sh <flow_embed> <capture> <rules>
set -eu
exe=$1 in=$2 rules=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
prefix="${SDNFV_TEST_PREFIX:-sdnfvt}_embed"
trap 'rm -rf "$tmp" "/var/run/dpdk/$prefix"' EXIT
/usr/bin/python3 -c "import struct,sys; open(sys.argv[1],'wb').write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))" "$tmp/empty.pcap"
"$exe" --no-pci --in-memory --file-prefix="$prefix" -l 0 --log-level=lib.eal:warning \
	--vdev="net_pcap0,rx_pcap=$in,tx_pcap=$tmp/out0.pcap" \
	--vdev="net_pcap1,rx_pcap=$tmp/empty.pcap,tx_pcap=$tmp/out1.pcap" \
	-- --rules "$rules" > "$tmp/summary" 2>&1 || { cat "$tmp/summary"; echo "flow_embed failed"; exit 1; }
cat "$tmp/summary"
/usr/bin/python3 "$here/flow-embed-expect.py" "$in" "$tmp/out0.pcap" "$tmp/out1.pcap" "$tmp/summary"
