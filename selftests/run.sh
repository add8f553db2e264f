#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# selftests/run.sh [KVER...]: boot each kernel in QEMU (TCG, no KVM needed),
# load build/KVER/kmod/xfrm_ha.ko and run the tests listed in selftests/TESTS,
# then unload the module and check the kernel log. Kernels run in parallel.
#
# Default kernels: every /usr/src/linux-headers-*-amd64 with a
# /boot/vmlinuz-*. Prints each kernel's TAP and a summary line per kernel;
# exits non-zero if any kernel had a failure, a timeout, a panic or no result.
#
# Environment:
#   XHA_TESTS=a,b          run these tests instead of selftests/TESTS
#   XHA_JOBS=N             VMs at once (default: number of CPUs)
#   XHA_VM_SMP, XHA_VM_MEM vCPUs (2) and memory (1G) per VM
#   XHA_VM_TCG_THREAD      single (default) or multi: TCG threading
#   XHA_VM_TIMEOUT=SEC     per VM (3600); XHA_TEST_TIMEOUT=SEC per test (600;
#                          a TESTS line ending in @SEC gives that test more)
#   XHA_VM_KERNEL=BZIMAGE  boot this kernel instead of /boot/vmlinuz-KVER,
#                          for the one KVER given (its uname -r; all built
#                          in): make check-debug, the debug kernel
#   XHA_VM_AGENT=PATH      use this ha-ike-agent binary in the guest
#                          (mutation checks: show that a test can fail)
#   XHA_ALLOW_MISSING=1    development only: a missing module or test
#                          program is a SKIP instead of a failure
#   V=1                    print the whole console of every VM
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm/vm.sh
. "$here/vm/vm.sh"

: "${XHA_TESTS:=}"
: "${XHA_JOBS:=$(nproc 2>/dev/null || echo 2)}"
: "${V:=0}"

if [ $# -gt 0 ]; then
	kvers=("$@")
else
	mapfile -t kvers < <(vm_default_kvers)
fi
if [ ${#kvers[@]} -eq 0 ]; then
	echo "run.sh: no kernel with both /usr/src/linux-headers-*-amd64 and /boot/vmlinuz-*: run make deps" >&2
	exit 1
fi
if [ -n "${XHA_VM_KERNEL:-}" ] && [ ${#kvers[@]} -ne 1 ]; then
	echo "run.sh: XHA_VM_KERNEL needs exactly one KVER, its release" >&2
	exit 1
fi
if [ -z "${XHA_VM_KERNEL:-}" ] && [ "$(id -u)" != 0 ] && [ ! -r "/boot/vmlinuz-${kvers[0]}" ]; then
	echo "run.sh: /boot/vmlinuz-* is not readable: run as root" >&2
	exit 1
fi

start=$(date +%s)
out=$(vm_outdir check) || exit 1
declare -A dir_of=() pre_of=()

# One VM per kernel, at most XHA_JOBS at a time.
for k in "${kvers[@]}"; do
	d=$out/$k
	mkdir -p "$d"
	dir_of[$k]=$d
	if ! why=$(vm_preflight "$k"); then
		pre_of[$k]=$why
		continue
	fi
	while [ "$(jobs -rp | wc -l)" -ge "$XHA_JOBS" ]; do
		wait -n
	done
	echo "run.sh: booting $k (log: ${d#"$REPO"/}/console.log)"
	(
		t0=$(date +%s)
		vm_run "$k" check "$d/console.log" "$d/results.tap" "$XHA_TESTS"
		echo $? >"$d/qemu.rc"
		echo $(($(date +%s) - t0)) >"$d/wall"
	) &
done
wait

status=0
summary=()
for k in "${kvers[@]}"; do
	d=${dir_of[$k]}
	echo
	echo "======== $k ========"
	if [ -n "${pre_of[$k]:-}" ]; then
		echo "not ok 1 $k # ${pre_of[$k]}"
		summary+=("# $k: FAIL (${pre_of[$k]})")
		status=1
		continue
	fi
	rc=$(cat "$d/qemu.rc" 2>/dev/null || echo 1)
	wall=$(cat "$d/wall" 2>/dev/null || echo '?')
	verdict=$(vm_verdict "$d/results.tap" "$d/console.log" "$rc")
	vm_tap "$d/results.tap"
	if [ "$V" = 1 ]; then
		echo "---- console of $k ----"
		tr -d '\r' <"$d/console.log"
		echo "---- end of console ----"
	elif [ "$verdict" != PASS ] && { [ "$verdict" != FAIL ] || [ "${CI:-}" = true ]; }; then
		# The VM died (or CI, where the log files are gone afterwards):
		# the end of its console says why.
		echo "---- console of $k, last 150 lines ----"
		tr -d '\r' <"$d/console.log" | tail -n 150
		echo "---- end of console ----"
	fi
	[ "$verdict" = PASS ] || echo "# $k: console log in ${d#"$REPO"/}/console.log"
	counts=$(vm_tap "$d/results.tap" | awk '
		/^ok [0-9]/ { if ($0 ~ /# SKIP/) s++; else p++ }
		/^not ok [0-9]/ { f++ }
		END { printf "%d passed, %d failed, %d skipped", p, f, s }')
	boot=$(vm_tap "$d/results.tap" | sed -n 's/^# boot: \([0-9.]*\)s.*/\1/p' | head -n1)
	summary+=("# $k: $verdict ($counts) in ${wall}s${boot:+, userspace after ${boot}s}")
	[ "$verdict" = PASS ] || status=1
done

echo
for s in "${summary[@]}"; do
	echo "$s"
done
echo "# wall time $(($(date +%s) - start))s"
if [ "$status" = 0 ]; then
	echo "# all kernels passed"
else
	echo "# FAILED"
fi
exit "$status"
