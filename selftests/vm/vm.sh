# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Host-side helpers to boot the selftest VM; sourced by selftests/run.sh and
# selftests/lab.sh. The VM is Debian's own kernel from /boot under QEMU/TCG
# (no KVM needed) with a tiny initramfs (vm/mkinitramfs.sh) that mounts the
# host's / read-only over virtio-9p under a tmpfs overlay and runs
# vm/guest.sh from this repository.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)

: "${XHA_VM_MEM:=1G}"
: "${XHA_VM_SMP:=2}"
# Single-threaded TCG: the vCPUs take turns on one host thread. With
# multi-threaded TCG, 6.12 once died with "Oops: int3" in
# __netif_receive_skb_core while a ping was sending: most likely a vCPU ran
# a stale translation of kernel text another vCPU had just patched (static
# keys flip as pings start and exit, e.g. netstamp_needed_key). Single
# threading also lets two VMs share two host CPUs.
: "${XHA_VM_TCG_THREAD:=single}"
# The emulated CPU: QEMU's "max" without AVX and AVX2. QEMU 7.2 (Debian
# 12's) was the first to emulate those in TCG, and glibc and libsodium pick
# their AVX2 code when they are there. Once in five runs of ha_link_loss,
# 6.12 died of a double fault with bit 17 (VM, virtual-8086 mode) set in
# EFLAGS, which no 64-bit x86 CPU can have: a flags value computed by the
# emulator, most likely in that new code (not proven). AES-NI and PCLMUL,
# which the ESP tests use, stay.
: "${XHA_VM_CPU:=max,avx=off,avx2=off}"
: "${XHA_VM_TIMEOUT:=3600}"	# whole VM, seconds
: "${XHA_TEST_TIMEOUT:=600}"	# each test inside the VM, seconds
: "${XHA_ALLOW_MISSING:=0}"	# development only: missing pieces are SKIPs
: "${XHA_QEMU:=qemu-system-x86_64}"
# A kernel of our own instead of /boot/vmlinuz-KVER, e.g. the debug kernel
# (scripts/debug-kernel.sh): XHA_VM_KERNEL=its bzImage, and KVER its
# kernelrelease (the module is build/KVER/kmod/xfrm_ha.ko). It must have
# built in whatever the initramfs would load from /lib/modules/KVER (virtio,
# 9p, overlay): there is no such directory for it.
: "${XHA_VM_KERNEL:=}"

# Kernels to test: every /usr/src/linux-headers-*-amd64 with a /boot/vmlinuz.
vm_default_kvers() {
	local h k
	for h in /usr/src/linux-headers-*-amd64; do
		[ -d "$h" ] || continue
		k=${h#/usr/src/linux-headers-}
		if [ -f "/boot/vmlinuz-$k" ]; then
			echo "$k"
		else
			echo "warning: not testing $k: /boot/vmlinuz-$k missing (make deps installs it)" >&2
		fi
	done | sort -V
}

# vm_outdir NAME: a fresh directory for this run's logs under
# build/selftests/ (runs may overlap: several people, make check and make
# lab), "latest" pointing to it; only the 10 newest runs are kept.
vm_outdir() {
	local base=$REPO/build/selftests d old
	d=$base/$(date +%Y%m%d-%H%M%S)-$1-$$
	mkdir -p "$d" || return 1
	ln -sfn "${d##*/}" "$base/latest-$1" 2>/dev/null
	# shellcheck disable=SC2012 # names are ours, no odd characters
	for old in $(ls -1d "$base"/2*-"$1"-* 2>/dev/null | sort -r | tail -n +11); do
		rm -rf "$old"
	done
	echo "$d"
}

# vm_preflight KVER: can this kernel be booted? Prints why not.
vm_preflight() {
	local k=$1
	if ! command -v "$XHA_QEMU" >/dev/null; then
		echo "$XHA_QEMU not found: run make deps"
		return 1
	fi
	if [ -n "$XHA_VM_KERNEL" ]; then
		if [ ! -r "$XHA_VM_KERNEL" ]; then
			echo "XHA_VM_KERNEL=$XHA_VM_KERNEL missing or unreadable"
			return 1
		fi
	elif [ ! -r "/boot/vmlinuz-$k" ]; then
		echo "/boot/vmlinuz-$k missing or unreadable: run make deps"
		return 1
	elif [ ! -d "/lib/modules/$k/kernel" ]; then
		echo "/lib/modules/$k missing: run make deps"
		return 1
	fi
	if [ ! -f "$REPO/build/$k/kmod/xfrm_ha.ko" ] && [ "$XHA_ALLOW_MISSING" != 1 ]; then
		echo "build/$k/kmod/xfrm_ha.ko missing, run make"
		return 1
	fi
	case $REPO in
	*[[:space:],]*) echo "the repository path '$REPO' must not contain spaces or commas"; return 1 ;;
	esac
	return 0
}

# vm_run KVER MODE CONSOLE RESULTS [TESTS]
#   MODE: check, lab or demo. CONSOLE: a file, or "-" for stdout. RESULTS: file
#   that receives the guest's ttyS1 (the TAP stream). TESTS: optional
#   comma-separated override of selftests/TESTS.
# Returns qemu's exit status (124 on timeout).
vm_run() {
	local k=$1 mode=$2 console=$3 results=$4 tests=${5:-} initrd cmdline rc
	local kernel=${XHA_VM_KERNEL:-/boot/vmlinuz-$1}
	local -a serial0 mkinitramfs=("$VM_DIR/mkinitramfs.sh")

	initrd=$REPO/build/$k/initramfs.cpio.gz
	[ -n "$XHA_VM_KERNEL" ] && mkinitramfs+=(--builtin)
	"${mkinitramfs[@]}" "$k" "$initrd" || return 1

	cmdline="console=ttyS0 panic_on_warn=1 panic=-1 oops=panic slab_nomerge"
	cmdline+=" mitigations=off tsc=reliable no_timer_check random.trust_cpu=on"
	cmdline+=" xha_repo=$REPO xha_mode=$mode xha_timeout=$XHA_TEST_TIMEOUT"
	[ "$mode" = lab ] || [ "$mode" = demo ] && cmdline+=" quiet"
	[ -n "$tests" ] && cmdline+=" xha_tests=$tests"
	[ "$XHA_ALLOW_MISSING" = 1 ] && cmdline+=" xha_allow_missing=1"
	[ -n "${XHA_VM_AGENT:-}" ] && cmdline+=" xha_agent=$XHA_VM_AGENT"
	# Extra kernel parameters for debugging, e.g. "slub_debug=FZPU".
	[ -n "${XHA_VM_CMDLINE_EXTRA:-}" ] && cmdline+=" $XHA_VM_CMDLINE_EXTRA"

	if [ "$console" = - ]; then
		serial0=(-serial stdio)
	else
		serial0=(-serial "file:$console")
	fi
	: >"$results"
	timeout -k 10 "$XHA_VM_TIMEOUT" "$XHA_QEMU" \
		-accel "tcg,thread=$XHA_VM_TCG_THREAD" -cpu "$XHA_VM_CPU" -smp "$XHA_VM_SMP" -m "$XHA_VM_MEM" \
		-nodefaults -display none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
		-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
		-device virtio-rng-pci \
		"${serial0[@]}" -serial "file:$results" </dev/null
	rc=$?
	return $rc
}

# vm_verdict RESULTS CONSOLE QEMU_RC: one word (PASS, FAIL, PANIC, TIMEOUT,
# NORESULT) from what the VM left behind.
vm_verdict() {
	local results=$1 console=$2 rc=$3 end
	end=$(tr -d '\r' <"$results" 2>/dev/null | grep -a '^XHA-RESULT-END' | tail -n1)
	if [ -n "$end" ]; then
		case $end in
		*" failed=0 "*) echo PASS ;;
		*) echo FAIL ;;
		esac
	elif [ -f "$console" ] && grep -aq 'Kernel panic' "$console"; then
		echo PANIC
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo TIMEOUT
	else
		echo NORESULT
	fi
}

# vm_tap RESULTS: the TAP stream between the markers.
vm_tap() {
	tr -d '\r' <"$1" 2>/dev/null | sed -n '/^XHA-RESULT-BEGIN/,/^XHA-RESULT-END/p' |
		grep -av '^XHA-RESULT-'
}
