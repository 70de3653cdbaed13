#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Set up the machine, build libsdnfv with -Werror, and run every test: the unit and multi-process
# tests, build checks (install, exports, headers, docs), a smoke run of each benchmark, the unit
# tests again built with AddressSanitizer and UndefinedBehaviorSanitizer, and short fuzz runs of
# the packet parser, the rules text format, the policy file and the OpenFlow codec.
# Ends with one line: `N passed, N failed`. Build directories: build-test, build-asan (recreated).
#
# usage: scripts/test.sh [--fuzz-seconds N]     (each target; default 60; 0 skips fuzzing)
set -u
cd "$(dirname "$0")/.."
fuzz_seconds=60
[ "${1:-}" = "--fuzz-seconds" ] && fuzz_seconds=$2

scripts/setup.sh || exit 1

step() { printf '\n=== %s\n' "$*"; }
logs=""
status=0

step "build with -Werror"
rm -rf build-test
meson setup build-test -Dwerror=true -Dtests=enabled -Ddocs=enabled >/dev/null &&
	ninja -C build-test || status=1

step "tests"
meson test -C build-test --num-processes 1 --print-errorlogs || status=1
logs="$logs tests=build-test/meson-logs/testlog.json"

step "benchmarks, smoke run (figures not judged)"
meson test -C build-test --benchmark --num-processes 1 --test-args=--quick \
	--logbase bench --print-errorlogs || status=1
grep -h '^bench:' build-test/meson-logs/bench.txt | sed 's/^/  (smoke) /'
logs="$logs benchmarks=build-test/meson-logs/bench.json"

step "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
rm -rf build-asan
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dtests=enabled \
	-Dc_args=-fno-sanitize-recover=undefined \
	-Ddocs=disabled -Dexamples=true >/dev/null &&
	ninja -C build-asan || status=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=0 \
	meson test -C build-asan --num-processes 1 --suite unit --print-errorlogs || status=1
logs="$logs asan=build-asan/meson-logs/testlog.json"

if [ "$fuzz_seconds" -gt 0 ] && [ -x scripts/fuzz.sh ]; then
	for target in pkt flow_text policy ofp; do
		step "fuzzing $target for $fuzz_seconds s"
		result=OK
		scripts/fuzz.sh "$fuzz_seconds" "$target" || result=FAIL
		echo "{\"name\": \"fuzz-$target\", \"result\": \"$result\"}"
	done > build-test/meson-logs/fuzz.json.tmp
	grep '^{' build-test/meson-logs/fuzz.json.tmp > build-test/meson-logs/fuzz.json
	grep -v '^{' build-test/meson-logs/fuzz.json.tmp
	logs="$logs fuzz=build-test/meson-logs/fuzz.json"
fi

step "summary"
/usr/bin/python3 scripts/test-summary.py $logs || status=1
exit $status
