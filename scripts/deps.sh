#!/bin/sh
# Install every Debian package the build, the lab and the tests need.
# Idempotent: apt-get only installs what is missing. clang and
# libclang-rt-14-dev build the libFuzzer targets that make check runs
# (fuzz/), llvm gives their crash reports symbols (llvm-symbolizer).
# linux-source-6.12 has checkpatch for make lint and the source of the debug
# kernel (make check-debug, scripts/debug-kernel.sh), which also needs bc,
# bison, flex and libelf-dev (objtool); libssl-dev for the host tools that
# certs/ builds.
# dkms, man-db, groff-base and systemd (systemd-analyze, -sysusers,
# -tmpfiles) for the packaging checks (scripts/check-packaging.sh,
# selftests/packaging.sh).
set -eu

PKGS="
build-essential pkg-config make
linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64
qemu-system-x86 busybox-static kmod cpio xz-utils gzip coreutils
libmnl-dev libyang2-dev libsodium-dev libsystemd-dev libpcap-dev libjson-c-dev
iproute2 iputils-ping procps util-linux nftables
keepalived
strongswan-charon strongswan-swanctl libcharon-extra-plugins charon-systemd tcpdump
sparse clang libclang-rt-14-dev llvm
python3-yaml python3-jsonschema jq
dkms man-db groff-base systemd
linux-source-6.12 bc bison flex libelf-dev libssl-dev
"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if [ -z "$missing" ]; then
	echo "deps: all packages present"
else
	echo "deps: installing$missing"
	$SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

# The selftests boot /boot/vmlinuz-KVER for each /usr/src/linux-headers-KVER
# (make check builds the module for every set of headers). The header
# metapackages can pull headers newer than a kernel image that was already
# installed: install the matching images.
images=""
for h in /usr/src/linux-headers-*-amd64; do
	[ -d "$h" ] || continue
	k=${h#/usr/src/linux-headers-}
	[ -e "/boot/vmlinuz-$k" ] || images="$images linux-image-$k"
done
if [ -n "$images" ]; then
	echo "deps: installing the kernel images matching the headers:$images"
	[ -n "$missing" ] || $SUDO apt-get update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $images ||
		echo "deps: warning: could not install$images: those kernels will not be tested" >&2
fi
