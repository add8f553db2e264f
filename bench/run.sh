#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh [KVER]: the figures of issue 8's table (docs/benchmarks.md),
# newest installed kernel by default, in two QEMU VMs one after the other:
#
#   icount  QEMU -icount shift=2,sleep=off: guest time counts guest
#           instructions (4 ns each), immune to the host's load; every
#           figure (CPU, memory, 1M SAs if they fit)
#   wall    plain TCG (vm.sh's single-threaded TCG, 2 vCPUs), guest time =
#           host wall-clock time:
#           the figures that need real time (throughput, freshness, bulk
#           write, bulk sync, takeover, wire), at up to 100k SAs
#
# Each VM reuses selftests/vm/vm.sh: the host's / over 9p, selftests/vm/
# guest.sh loads build/KVER/kmod/xfrm_ha.ko and runs bench/guest.sh (the
# kernel-side figures) then bench/bulk_sync.sh (the agent-level ones) as
# its test list, then unloads the module and checks the kernel log.
# vm.sh has no way to pass parameters to a test, so they go into
# build/KVER/bench/params, which the guest reads over 9p.
#
# Output in build/KVER/bench/: MODE/{console.log,results.tap,raw.txt,tap.txt}
# per mode, raw.txt (both modes' BENCH lines, tagged clock=icount|wall) and
# summary.md (the tables); the previous run's in prev/.
#
# Environment (all optional):
#   BENCH_QUICK=1        the smoke run (seconds per phase, small SA counts)
#   BENCH_MODES          "icount wall" (default), or one of them
#   BENCH_<PARAM>        a guest parameter for both modes (see the top of
#                        bench/guest.sh: PHASES REPS TPUT_SECS TPUT_SAS TPUT_PPS
#                        TPUT_VARIANTS SA_STEPS MAX_SA_SECS CPU_WINDOW
#                        ACTIVE_PCT ACTIVE_MAX ACTIVE_PPS CPU_STEPS
#                        FRESH_STEPS FRESH_INTERVALS FRESH_PPS FRESH_SECS
#                        FRESH_AE BULKW_STEPS; of bench/bulk_sync.sh:
#                        BULK_STEPS TAKEOVER_AT WIRE_SAS WIRE_PPS WIRE_SECS
#                        WIRE_IDLE_SECS;
#                        AGENT=0 skips bench/bulk_sync.sh)
#   XHA_VM_MEM           guest memory of the icount VM (default 6G: 1M SAs
#                        take ~2.5 GB of kernel memory); the wall VM: 3G
#   XHA_VM_SMP (2), XHA_VM_TIMEOUT (2400 s), XHA_TEST_TIMEOUT (2100 s)
#   XHA_ICOUNT_SHIFT (2)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
user_smp=${XHA_VM_SMP:-}
user_mem=${XHA_VM_MEM:-}
real_qemu=${XHA_QEMU:-qemu-system-x86_64}
: "${BENCH_MODES:=icount wall}"
: "${XHA_VM_TIMEOUT:=2400}"
: "${XHA_TEST_TIMEOUT:=2100}"
# shellcheck source=selftests/vm/vm.sh
. "$here/../selftests/vm/vm.sh"

if [ $# -gt 0 ]; then
	k=$1
else
	k=$(vm_default_kvers | tail -n1)
fi
[ -n "$k" ] || { echo "bench: no kernel found: run make deps" >&2; exit 1; }
if ! why=$(vm_preflight "$k"); then
	echo "bench: $why" >&2
	exit 1
fi
for f in udpblast xhabench; do
	if [ ! -x "$here/$f" ] || [ "$here/$f.c" -nt "$here/$f" ]; then
		make -s -C "$here" build || exit 1
		break
	fi
done
for f in selftests/udpspray selftests/xha_sactl agent/ha-ike-agent tools/ha-ike; do
	[ -x "$REPO/$f" ] || { echo "bench: $f missing: run make first" >&2; exit 1; }
done

out=$REPO/build/$k/bench
mkdir -p "$out"
# The previous run's results are kept in prev/ (one generation).
if [ -f "$out/raw.txt" ]; then
	rm -rf "$out/prev"
	mkdir -p "$out/prev"
	mv "$out"/*.txt "$out"/*.md "$out/icount" "$out/wall" "$out/prev/" 2>/dev/null
fi
rm -f "$out/raw.txt" "$out/summary.md"

# write_params MODE: the guest's parameters for that mode.
write_params() {
	local v ev
	echo "# written by bench/run.sh on $(date -u +%FT%TZ), mode $1"
	if [ "${BENCH_QUICK:-0}" = 1 ]; then
		echo 'REPS=1 TPUT_SECS=2 TPUT_SAS=100 SA_STEPS="1000 10000" CPU_STEPS="10000"'
		echo 'CPU_WINDOW=2 FRESH_STEPS="1000" FRESH_SECS=2 BULKW_STEPS="10000"'
		echo 'BULK_STEPS="1000" WIRE_SAS=100 WIRE_SECS=3'
	elif [ "$1" = wall ]; then
		# Real time: no CPU windows (the host's load is in them), no 1M.
		echo 'SA_STEPS="1000 10000 100000" CPU_STEPS=""'
	fi
	for v in PHASES REPS TPUT_SECS TPUT_SAS TPUT_PPS TPUT_VARIANTS SA_STEPS MAX_SA_SECS CPU_WINDOW \
		ACTIVE_PCT ACTIVE_MAX ACTIVE_PPS CPU_STEPS FRESH_STEPS FRESH_INTERVALS FRESH_PPS FRESH_WARM_MS \
		FRESH_SECS FRESH_AE BULKW_STEPS BULK_STEPS TAKEOVER_AT WIRE_SAS WIRE_PPS WIRE_SECS WIRE_IDLE_SECS; do
		ev=BENCH_$v
		[ -n "${!ev+x}" ] && printf '%s=%q\n' "$v" "${!ev}"
	done
}

# run_mode MODE: one VM; its BENCH lines appended to raw.txt.
run_mode() {
	local mode=$1 d=$out/$1 start load0 wall rc verdict try tests
	mkdir -p "$d"
	rm -f "$d"/*
	if [ "$mode" = icount ]; then
		export XHA_QEMU_REAL=$real_qemu
		XHA_QEMU=$here/qemu-icount
		XHA_VM_MEM=${user_mem:-6G}
		XHA_VM_SMP=${user_smp:-2}
		# Debian's 6.1 never finishes bringing up a second CPU under
		# -icount (it hangs at "x86: Booting SMP configuration").
		if [ -z "$user_smp" ] && [[ $k == 6.1.* || $k == [2-5].* ]]; then
			XHA_VM_SMP=1
			echo "bench: $k hangs bringing up CPU 1 under -icount: 1 vCPU (set XHA_VM_SMP to override)" >&2
		fi
	else
		XHA_QEMU=$real_qemu
		XHA_VM_MEM=${user_mem:-3G}
		XHA_VM_SMP=${user_smp:-2}
	fi
	write_params "$mode" >"$out/params"
	tests=../bench/guest.sh
	[ "${BENCH_AGENT:-1}" = 1 ] && tests+=,../bench/bulk_sync.sh
	start=$(date +%s)
	load0=$(cut -d' ' -f1 /proc/loadavg)
	echo "bench: $mode: booting $k ($XHA_VM_SMP vCPUs, $XHA_VM_MEM, TCG$([ "$mode" = icount ] && echo ", -icount shift=${XHA_ICOUNT_SHIFT:-2}")); console: ${d#"$REPO"/}/console.log"
	echo "bench: $mode: params: $(grep -v '^#' "$out/params" | tr '\n' ' ')"
	# A VM that dies before the benchmark starts (a TCG boot flake, a
	# colleague rebuilding the shared initramfs at the same moment) is
	# booted again.
	for try in 1 2 3; do
		vm_run "$k" check "$d/console.log" "$d/results.tap" "$tests"
		rc=$?
		verdict=$(vm_verdict "$d/results.tap" "$d/console.log" "$rc")
		# The guest's test output reaches results.tap when the test
		# ends, the console as it goes: a VM that died during the
		# benchmark is not booted again (it would die again).
		grep -aq 'BENCH env' "$d/results.tap" "$d/console.log" 2>/dev/null && break
		echo "bench: $mode: attempt $try ended with $verdict before the benchmark started" >&2
		tr -d '\r' <"$d/console.log" 2>/dev/null | grep -a -m3 -E 'Oops|panic|BUG' >&2
		[ -f "$d/console.log" ] && cp "$d/console.log" "$d/console.try$try.log"
		sleep 2
	done
	wall=$(($(date +%s) - start))
	vm_tap "$d/results.tap" | sed -n 's/^ *\(BENCH .*\)/\1/p' >"$d/raw.txt"
	# A VM that died mid-test left that test's lines on the console only.
	if [ "$(tr -d '\r' <"$d/console.log" 2>/dev/null | grep -ac '^BENCH ')" -gt "$(wc -l <"$d/raw.txt")" ]; then
		tr -d '\r' <"$d/console.log" | grep -a '^BENCH ' >"$d/raw.txt"
	fi
	echo "BENCH run wall_secs=$wall date=$(date -u +%F) verdict=$verdict icount=$([ "$mode" = icount ] && echo 1 || echo 0) shift=${XHA_ICOUNT_SHIFT:-2} vcpus=$XHA_VM_SMP host_load_end=$(cut -d' ' -f1 /proc/loadavg) host_load_start=$load0 host_cpus=$(nproc)" >>"$d/raw.txt"
	vm_tap "$d/results.tap" | grep -v '^ *BENCH ' >"$d/tap.txt"
	sed "s/^BENCH \([^ ]*\)/BENCH \1 clock=$mode/" "$d/raw.txt" >>"$out/raw.txt"
	if [ "$verdict" != PASS ]; then
		echo "bench: $mode: the VM run ended with $verdict (qemu rc $rc); last lines of the console and the test output:" >&2
		tr -d '\r' <"$d/console.log" | tail -n 20 >&2
		grep -E '^(not ok|ok|#)' "$d/tap.txt" | tail -n 30 >&2
	fi
	grep -q '^BENCH done' "$d/raw.txt" || { echo "bench: $mode: the guest did not finish; raw results so far in ${d#"$REPO"/}/raw.txt" >&2; return 1; }
	[ "$verdict" = PASS ]
}

t0=$(date +%s)
rc=0
for m in $BENCH_MODES; do
	case $m in
	icount | wall) run_mode "$m" || rc=1 ;;
	*) echo "bench: unknown mode $m (icount, wall)" >&2; exit 2 ;;
	esac
done
total=$(($(date +%s) - t0))
echo "BENCH total wall_secs=$total modes=${BENCH_MODES// /,}" >>"$out/raw.txt"
perl "$here/summarize.pl" "$out/raw.txt" >"$out/summary.md" || rc=1
cat "$out/summary.md"
echo
echo "bench: $([ $rc = 0 ] && echo PASS || echo FAIL) in ${total}s; tables in ${out#"$REPO"/}/summary.md, raw lines in raw.txt"
exit $rc
