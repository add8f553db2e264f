#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--dir]: build the debug kernel (KASAN, lockdep, PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_OBJECTS) from Debian's linux-source-6.12
# with scripts/debug-kernel/config, for make check-debug. Prints the
# directory that holds it:
#   DIR/bzImage        the kernel selftests/vm/vm.sh boots (XHA_VM_KERNEL)
#   DIR/kernelrelease  its uname -r (build/<kernelrelease>/kmod/xfrm_ha.ko)
#   DIR/linux          the built tree, which xfrm_ha.ko is built against
#   DIR/build.log, DIR/build-time
# --dir prints DIR without building.
#
# The build is cached: DIR is XHA_DEBUG_KERNEL_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/xfrm-ha/debug-kernel) plus a hash of the config
# fragment, the source package's version and the compiler, so that a changed
# fragment, a new linux-source-6.12 or a new gcc each build afresh (the
# module must be built by the compiler that built the tree). Old builds are
# left in place: each is a few GB, remove them by hand.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fragment=$top/scripts/debug-kernel/config
tarball=${XHA_DEBUG_KERNEL_SRC:-/usr/src/linux-source-6.12.tar.xz}
cache=${XHA_DEBUG_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xfrm-ha/debug-kernel}
cc=${CC:-gcc}

die() { echo "debug-kernel: $*" >&2; exit 1; }

[ -r "$tarball" ] || die "$tarball missing: run make deps (linux-source-6.12)"
# The package version names the tarball's content; a tarball from elsewhere
# (XHA_DEBUG_KERNEL_SRC) is named by its size and time instead of a hash of
# 150 MB on every call.
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[ -n "$srcver" ] && [ "$tarball" = /usr/src/linux-source-6.12.tar.xz ] ||
	srcver=$(stat -c '%s-%Y' "$tarball")
key=$({
	cat "$fragment"
	echo "source $srcver"
	"$cc" --version | head -n1
} | sha256sum | cut -c1-16)
dir=$cache/$key

if [ "${1:-}" = --dir ]; then
	echo "$dir"
	exit 0
fi
[ $# -eq 0 ] || die "usage: debug-kernel.sh [--dir]"

if [ -f "$dir/done" ]; then
	echo "debug-kernel: cached build $dir" >&2
	echo "$dir"
	exit 0
fi

# Two builds of the same key at once (make check-debug in two trees) would
# share the directory: the second waits for the first, then finds it done.
mkdir -p "$dir"
exec {lock}>"$dir/.lock"
flock "$lock"
if [ -f "$dir/done" ]; then
	echo "$dir"
	exit 0
fi

t0=$(date +%s)
src=$dir/linux
echo "debug-kernel: extracting $tarball ($srcver) into $src" >&2
rm -rf "$src" "$dir/bzImage" "$dir/kernelrelease"
mkdir -p "$src"
tar -C "$src" --strip-components=1 -xJf "$tarball"

# allnoconfig with the fragment: everything not asked for stays off.
make -s -C "$src" CC="$cc" allnoconfig KCONFIG_ALLCONFIG="$fragment" >&2
missing=0
while IFS= read -r line; do
	if ! grep -qxF "$line" "$src/.config"; then
		echo "debug-kernel: $line did not survive (a dependency missing from the fragment?)" >&2
		missing=1
	fi
done < <(grep -E '^CONFIG_[A-Za-z0-9_]+=' "$fragment")
[ "$missing" = 0 ] || die "fix $fragment"

echo "debug-kernel: building, log in $dir/build.log" >&2
# bzImage, and "modules" for Module.symvers, which external modules need.
if ! nice -n 10 make -C "$src" CC="$cc" -j"$(nproc)" bzImage modules >"$dir/build.log" 2>&1; then
	tail -n 40 "$dir/build.log" >&2
	die "build failed, see $dir/build.log"
fi
cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
make -s -C "$src" kernelrelease >"$dir/kernelrelease"
echo $(($(date +%s) - t0)) >"$dir/build-time"
touch "$dir/done"
echo "debug-kernel: $(cat "$dir/kernelrelease") built in $(cat "$dir/build-time")s" >&2
echo "$dir"
