#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every public header must compile on its own, as C and as C++, warning-free.
# usage: check-headers.sh <cc> <c++> <source include dir> <build include dir> <header>...
set -u
cc=$1 cxx=$2 src_inc=$3 build_inc=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="$(pkg-config --cflags libdpdk) -I$src_inc -I$build_inc -Wall -Wextra -Werror -fsyntax-only"
fail=0
for h in "$@"; do
	name=$(basename "$h")
	printf '#include <sdnfv/%s>\n#include <sdnfv/%s>\n' "$name" "$name" > "$tmp/t.c"
	cp "$tmp/t.c" "$tmp/t.cpp"
	if $cc -std=gnu11 $flags "$tmp/t.c" 2> "$tmp/err"; then
		echo "ok C   $name"
	else
		echo "FAIL C   $name"; cat "$tmp/err"; fail=1
	fi
	if $cxx -std=gnu++17 $flags "$tmp/t.cpp" 2> "$tmp/err"; then
		echo "ok C++ $name"
	else
		echo "FAIL C++ $name"; cat "$tmp/err"; fail=1
	fi
done
exit $fail
