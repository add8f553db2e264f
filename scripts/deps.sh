#!/bin/sh
# Install every Debian package the build, the lab and the tests need.
# Idempotent: apt-get only installs what is missing.
set -eu

PKGS="
build-essential pkg-config make
linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64
qemu-system-x86 busybox-static kmod cpio
libmnl-dev libyang2-dev libsodium-dev libsystemd-dev
iproute2 iputils-ping procps util-linux nftables
keepalived
sparse clang libclang-rt-14-dev
"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "deps: installing$missing"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
