#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh [--builtin] KVER OUT: build a tiny busybox initramfs for the
# selftest VM. --builtin: KVER has everything built in and no /lib/modules
# (the debug kernel, scripts/debug-kernel.sh): no modules go in.
#
# The initramfs only knows how to mount the host's root filesystem, shared
# read-only over virtio-9p, under a tmpfs overlay and switch_root into it:
# everything else (bash, iproute2, modprobe, the tests, the module) comes
# from the host. It holds busybox-static, vm/init and the modules needed for
# 9p and overlayfs taken from /lib/modules/KVER with their dependencies,
# decompressed because busybox insmod may not read .ko.xz/.ko.zst.
set -euo pipefail

builtin_all=0
if [[ ${1:-} = --builtin ]]; then
	builtin_all=1
	shift
fi
kver=${1:?usage: mkinitramfs.sh [--builtin] KVER OUT}
out=${2:?usage: mkinitramfs.sh [--builtin] KVER OUT}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
moddir=/lib/modules/$kver
busybox=${BUSYBOX:-/bin/busybox}

[[ $builtin_all = 1 || -f $moddir/modules.dep ]] || { echo "mkinitramfs: $moddir/modules.dep missing" >&2; exit 1; }
[[ -x $busybox ]] || { echo "mkinitramfs: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
if ! LC_ALL=C file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	if ldd "$busybox" >/dev/null 2>&1; then
		echo "mkinitramfs: $busybox is not static (apt-get install busybox-static)" >&2
		exit 1
	fi
fi

# Modules the init needs, in the order they are wanted; dependencies are
# resolved from modules.dep and loaded first. Built-in ones are skipped.
WANT=(virtio_pci virtio_pci_modern_dev 9pnet_virtio 9p overlay)
[[ $builtin_all = 0 ]] || WANT=()

declare -A dep_of=() path_of=() builtin=() seen=()
[[ $builtin_all = 1 ]] || while IFS= read -r line; do
	mod=${line%%:*}
	name=${mod##*/}
	name=${name%%.ko*}
	name=${name//-/_}
	path_of[$name]=$mod
	dep_of[$name]=${line#*:}
done <"$moddir/modules.dep"
if [[ -f $moddir/modules.builtin ]]; then
	while IFS= read -r mod; do
		name=${mod##*/}
		name=${name%%.ko*}
		builtin[${name//-/_}]=1
	done <"$moddir/modules.builtin"
fi

order=()
resolve() {
	local name=${1//-/_} d dn
	[[ -n ${seen[$name]:-} ]] && return 0
	seen[$name]=1
	if [[ -z ${path_of[$name]:-} ]]; then
		[[ -n ${builtin[$name]:-} ]] && return 0
		echo "mkinitramfs: module $name not found for $kver" >&2
		return 1
	fi
	for d in ${dep_of[$name]}; do
		dn=${d##*/}
		dn=${dn%%.ko*}
		resolve "$dn"
	done
	order+=("$name")
}
for m in ${WANT[@]+"${WANT[@]}"}; do
	resolve "$m"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,mnt,newroot,lib/modules}
cp "$busybox" "$tmp/bin/busybox"
for applet in sh mount umount mkdir insmod switch_root cat echo sleep poweroff grep sed; do
	ln -s busybox "$tmp/bin/$applet"
done
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"

: >"$tmp/lib/modules/order"
for name in ${order[@]+"${order[@]}"}; do
	src=$moddir/${path_of[$name]}
	dst=$tmp/lib/modules/$name.ko
	case $src in
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*.ko) cp "$src" "$dst" ;;
	*) echo "mkinitramfs: unknown module format $src" >&2; exit 1 ;;
	esac
	echo "$name" >>"$tmp/lib/modules/order"
done

# Several runs may build the same file at once: write a private temporary
# file and rename it into place (a VM already booting keeps the old inode).
mkdir -p "$(dirname "$out")"
part=$(mktemp "$out.XXXXXX")
(cd "$tmp" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 >"$part"
chmod 644 "$part"
mv -f "$part" "$out"
