#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Install into a scratch destdir, then build a program out of tree against it, as a user would:
# once through pkg-config (shared library), once against libsdnfv.a.
# usage: check-install.sh <build dir> <cc>
set -eu
build=$1 cc=$2
here=$(cd "$(dirname "$0")" && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet
pc=$(find "$dest" -name libsdnfv.pc | head -n 1)
[ -n "$pc" ] || { echo "libsdnfv.pc not installed"; exit 1; }
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
[ -f "$dest"/*/*/include/sdnfv/sdnfv.h ] || [ -n "$(find "$dest" -path '*/include/sdnfv/sdnfv.h')" ] || { echo "headers not installed"; exit 1; }
[ -f "$libdir/libsdnfv.a" ] || { echo "libsdnfv.a not installed"; exit 1; }

export PKG_CONFIG_PATH="$pcdir"
flags=$(pkg-config --cflags --libs libsdnfv)
echo "pkg-config: $flags"
$cc -o "$dest/hello" "$here/hello.c" $flags
LD_LIBRARY_PATH="$libdir" "$dest/hello"

# Static archive: our objects statically, DPDK (which links only shared here) dynamically.
cflags=$(pkg-config --cflags libsdnfv)
$cc -o "$dest/hello-static" "$here/hello.c" $cflags "$libdir/libsdnfv.a" \
	$(pkg-config --libs libdpdk numa) -lpthread
"$dest/hello-static"
if ldd "$dest/hello-static" | grep -q libsdnfv; then
	echo "hello-static links libsdnfv.so instead of the archive"; exit 1
fi
echo "install ok"
