#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Capture real Linux kernel traffic that exercises the parser's rarer paths: IPv6 hop-by-hop
# (MLDv2 reports with a router-alert option), fragment and routing (SRv6) headers, destination
# options, IPv4 options (record route) and fragments, plus plain TCP and UDP over both families.
#
# Two network namespaces joined by a veth pair; the capture runs on the receiving side. Only
# documentation addresses (192.0.2.0/24, 2001:db8::/32) inside our own namespaces are used.
# Transmit checksum offload is turned off so the capture carries real L4 checksums.
#
# Needs root and: iproute2 tcpdump iputils-ping netcat-openbsd ethtool python3.
# usage: make-kernel-capture.sh [out.pcap]   (default: kernel.pcap beside this script)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/kernel.pcap}
tag=$$
ns1=sdnfv_kc1_$tag
ns2=sdnfv_kc2_$tag
va=kca$tag
vb=kcb$tag
tmp=$(mktemp -d)
dump_pid=

cleanup() {
	[ -n "$dump_pid" ] && kill "$dump_pid" 2>/dev/null
	ip netns pids "$ns2" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$ns1" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$ns1" 2>/dev/null
	ip netns del "$ns2" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in1() { ip netns exec "$ns1" "$@"; }
in2() { ip netns exec "$ns2" "$@"; }

ip netns add "$ns1"
ip netns add "$ns2"
ip link add "$va" netns "$ns1" type veth peer name "$vb" netns "$ns2"
in1 ethtool -K "$va" tx off >/dev/null
in2 ethtool -K "$vb" tx off >/dev/null
in2 ip addr add 192.0.2.2/24 dev "$vb"
in2 ip -6 addr add 2001:db8::2/64 dev "$vb" nodad
in2 ip link set lo up
in2 ip link set "$vb" up

# Capture on ns2's end before ns1's end comes up, so ns1's first MLDv2 reports are in it.
in2 tcpdump -q -n -U -s 0 -i "$vb" -w "$tmp/k.pcap" 2>"$tmp/tcpdump.log" &
dump_pid=$!
sleep 1

in1 ip addr add 192.0.2.1/24 dev "$va"
in1 ip -6 addr add 2001:db8::1/64 dev "$va" nodad
in1 ip link set lo up
in1 ip link set "$va" up
sleep 2 # MLD reports, DAD of the link-local address

# IPv6: echo, fragmented echo (fragment header), TCP.
in1 ping -6 -n -q -c 1 -W 1 2001:db8::2 >/dev/null
in1 ping -6 -n -q -c 1 -W 1 -s 3000 2001:db8::2 >/dev/null
in2 nc -6 -l 5001 >/dev/null &
sleep 0.3
echo hello6 | in1 nc -6 -N -w 1 2001:db8::2 5001 || true

# IPv6 UDP with a destination-options header (a PadN option), set from a socket option.
in1 python3 - <<'EOF' || echo "no destination-options packet" >&2
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
# next header and length are filled in by the kernel; then PadN with 4 bytes
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.sendto(b"dstopts", ("2001:db8::2", 5003))
EOF

# SRv6 (routing header type 4) if the kernel has it: traffic to 2001:db8:2::/64 gets an SRH
# inserted inline, the IPv6 destination becomes the segment 2001:db8::2.
if in1 ip -6 route add 2001:db8:2::/64 encap seg6 mode inline segs 2001:db8::2 dev "$va" 2>/dev/null; then
	in1 ping -6 -n -q -c 1 -W 1 2001:db8:2::5 >/dev/null || true
	echo srv6 | in1 nc -6 -u -w 1 2001:db8:2::5 5004 || true
	in1 nc -6 -z -w 1 2001:db8:2::5 5005 || true
else
	echo "kernel without seg6: no routing header in the capture" >&2
fi

# IPv4: record-route option, fragmented echo, UDP, TCP.
in1 ping -n -q -c 1 -W 1 -R 192.0.2.2 >/dev/null || true
in1 ping -n -q -c 1 -W 1 -s 3000 192.0.2.2 >/dev/null
echo udp4 | in1 nc -u -w 1 192.0.2.2 5002 || true
in2 nc -l 5001 >/dev/null &
sleep 0.3
echo hello4 | in1 nc -N -w 1 192.0.2.2 5001 || true

sleep 1
kill "$dump_pid"
wait "$dump_pid" 2>/dev/null || true
dump_pid=
cp "$tmp/k.pcap" "$out"
echo "wrote $out: $(tcpdump -n -r "$out" 2>/dev/null | wc -l) packets"
