#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one test program with a DPDK prefix base of its own, then remove whatever DPDK files that
# prefix left behind (runtime directory, hugepage files), even when the test crashed.
# usage: run-test.sh <tag> <program> [args...]
tag=$1; shift
base="sdnfvt_${tag}_$$"
SDNFV_TEST_PREFIX=$base "$@"
rc=$?
rm -rf /var/run/dpdk/"$base"_* 2>/dev/null
awk '$3 == "hugetlbfs" { print $2 }' /proc/mounts | while read -r dir; do
	rm -f "$dir"/"$base"_*map_* 2>/dev/null
done
exit $rc
