#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fuzz with libFuzzer for a while: the packet parser (pkt), starting from every packet of the
# captures the tests use (one corpus file per packet), the rules text format (flow_text), the
# host policy file (policy), or the OpenFlow 1.3 codec (ofp).
# usage: scripts/fuzz.sh [seconds] [target]   (default 600 s; target pkt (default) or flow_text:
#        the rules text format, seeded with the lines of examples/flow_embed/rules.txt; or policy:
#        the policy file, seeded with examples/manager/policy.yaml; or ofp: OpenFlow messages as a
#        controller sends them, seeded by tests/fuzz/ofp_seeds.c (built with the target: one
#        well-formed message of each type per file, flow-mods with the matches ovs-ofctl sends,
#        and one file of them all back to back))
# Run it under `nice` on a shared machine.
# Prints one line: "fuzz: <target> <seconds> s, <executions> executions, cov: N ft: N, crashes: N".
set -eu

secs=${1:-600}
target=${2:-pkt}
case $target in
pkt|flow_text|policy|ofp) ;;
*) echo "fuzz.sh: unknown target '$target' (pkt, flow_text, policy, ofp)" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
corpus=$build/fuzz-corpus/$target
artifacts=$build/fuzz-artifacts/$(date +%Y%m%d-%H%M%S)/ # this run's crashes only
log=$build/fuzz-$target.log

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$root" -Dfuzzing=true -Ddocs=disabled >/dev/null
fi
ninja -C "$build" "tests/fuzz/fuzz_$target" >/dev/null
[ "$target" = ofp ] && ninja -C "$build" tests/fuzz/ofp_seeds >/dev/null

# Seed: the shared captures, the kernel capture, the Debian-packaged ones. A few lines of
# Python read the pcap format (either byte order, micro- or nanosecond) and stop quietly at a
# damaged record.
mkdir -p "$corpus" "$artifacts"
if [ "$target" = flow_text ]; then
	i=0
	grep -v '^[[:space:]]*$' "$root/examples/flow_embed/rules.txt" | while IFS= read -r line; do
		i=$((i + 1))
		printf '%s' "$line" > "$corpus/seed-$i"
	done
fi
[ "$target" = policy ] && cp "$root/examples/manager/policy.yaml" "$corpus/seed-example"
[ "$target" = ofp ] && "$build/tests/fuzz/ofp_seeds" "$corpus" >&2
shared=${SDNFV_SHARED_PCAPS:-$root/../shared/pcaps}
[ "$target" = pkt ] && python3 - "$corpus" "$shared"/*.pcap "$root"/tests/pkt/data/*.pcap \
	/usr/share/doc/python3-dpkt/examples/data/*.pcap \
	/usr/share/doc/pcapfix/examples/*.pcap \
	/usr/share/gocode/src/github.com/google/gopacket/pcap/test_*.pcap <<'PY'
import hashlib, os, struct, sys

out, files, n = sys.argv[1], sys.argv[2:], 0
for path in files:
    try:
        data = open(path, "rb").read()
    except OSError:
        continue
    if len(data) < 24:
        continue
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        continue
    if struct.unpack(end + "I", data[20:24])[0] != 1:  # Ethernet only
        continue
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if caplen > 262144 or off + 16 + caplen > len(data):
            break
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        name = hashlib.sha1(pkt).hexdigest()
        with open(os.path.join(out, name), "wb") as f:
            f.write(pkt)
        n += 1
print(f"seeded {n} packets", file=sys.stderr)
PY

rc=0
"$build/tests/fuzz/fuzz_$target" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
	-artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1 || rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1)
crashes=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
	-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
echo "fuzz: $target ${secs} s, ${execs:-?} executions, ${cov:-cov: ?} ${ft:-ft: ?}, crashes: $crashes (log $log)"
exit $rc
