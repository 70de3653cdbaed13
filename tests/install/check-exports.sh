#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The shared library exports sdnfv_* symbols only, each under the version node.
# usage: check-exports.sh <libsdnfv.so>
set -eu
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{ print $3 }')
[ -n "$syms" ] || { echo "no exported symbols"; exit 1; }
bad=$(echo "$syms" | grep -v -E '^sdnfv_' | grep -v -E '^SDNFV_[0-9_]+$' || true)
if [ -n "$bad" ]; then
	echo "symbols exported without the sdnfv_ prefix:"; echo "$bad"; exit 1
fi
unversioned=$(objdump -T "$lib" | awk '$NF ~ /^sdnfv_/ && $(NF-1) !~ /SDNFV_/ { print $NF }')
if [ -n "$unversioned" ]; then
	echo "symbols without a version node:"; echo "$unversioned"; exit 1
fi
internal=$(echo "$syms" | grep -E '^sdnfv_logtype_' || true)
if [ -n "$internal" ]; then
	echo "internal symbols leak:"; echo "$internal"; exit 1
fi
echo "$(echo "$syms" | grep -c '^sdnfv_') sdnfv_ symbols exported, all versioned"
