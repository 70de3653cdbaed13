#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine for libsdnfv: install every package the build, tests, benchmarks and
# examples need, and prepare hugepages. Idempotent: run it as often as you like.
#
# usage: scripts/setup.sh [--hugepages N]    (N 2 MiB pages, default 512; never lowered)
set -eu

pages=512
while [ $# -gt 0 ]; do
	case $1 in
	--hugepages) pages=$2; shift 2 ;;
	-h|--help) sed -n '2,7p' "$0"; exit 0 ;;
	*) echo "setup: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E "$0" --hugepages "$pages"
	fi
	die "must run as root (installs packages, mounts hugetlbfs); no sudo found"
fi

# --- packages ---------------------------------------------------------------------------------
# build: compiler, meson, DPDK, libnuma, liburcu, libpcap, libyaml (policy files), OpenSSL (the
# OpenFlow channel's TLS); tests: Criterion, tshark (parser oracle), scapy; network namespaces for
# captures; docs: doxygen; fuzzing and sanitizers: clang and its runtimes; real captures shipped by
# Debian packages (python3-dpkt, pcapfix, gopacket); example NFs: Hyperscan (dpi); their tests' real
# peers: nftables (firewall), coturn's STUN client and server (nat); the OpenFlow agent's: Open
# vSwitch's ovs-ofctl, ovs-testcontroller and ovs-pki (certificates for the TLS tests).
packages="build-essential g++ pkg-config meson ninja-build
	libdpdk-dev dpdk-dev dpdk-doc libnuma-dev liburcu-dev libpcap-dev libyaml-dev libssl-dev
	libcriterion-dev doxygen graphviz
	clang clang-format libclang-rt-14-dev
	tshark python3 python3-scapy python3-dpkt pcapfix golang-github-google-gopacket-dev
	iproute2 tcpdump iputils-ping netcat-openbsd ethtool binutils
	libhyperscan-dev nftables coturn
	openvswitch-common openvswitch-testcontroller openvswitch-pki"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# wireshark-common asks whether non-root users may capture; answer for it.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	if ! apt-get install -y --no-install-recommends $missing; then
		apt-get update
		apt-get install -y --no-install-recommends $missing || die "apt-get install failed"
	fi
else
	say "packages: all present"
fi

# --- hugepages --------------------------------------------------------------------------------
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ -e "$nr" ] || die "this kernel has no 2 MiB hugepage support ($nr missing)"
have=$(cat "$nr")
if [ "$have" -lt "$pages" ]; then
	echo "$pages" > "$nr" || die "cannot raise $nr to $pages"
	have=$(cat "$nr")
	[ "$have" -ge "$pages" ] || die "asked for $pages hugepages, the kernel gave $have (memory fragmented or too small?)"
fi
say "hugepages: $have x 2 MiB"

if ! awk '$3 == "hugetlbfs" { found = 1 } END { exit !found }' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages || die "cannot mount hugetlbfs on /dev/hugepages"
	say "mounted hugetlbfs on /dev/hugepages"
else
	say "hugetlbfs: $(awk '$3 == "hugetlbfs" { print $2; exit }' /proc/mounts)"
fi
mkdir -p /var/run/dpdk
say "ready"
