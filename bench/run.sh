#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh [KVER]: run the xfrm-ha benchmarks in ONE QEMU VM (newest
# installed kernel by default) and print the tables of docs/benchmarks.md.
#
# Reuses selftests/vm/vm.sh: the VM boots with the host / read-only over 9p,
# selftests/vm/guest.sh loads build/KVER/kmod/xfrm_ha.ko and runs
# bench/guest.sh as its only "test" (through the test-list override,
# xha_tests=../bench/guest.sh), then unloads the module and checks the
# kernel log as usual. vm.sh has no way to pass parameters to a test, so
# they go into build/KVER/bench/params, which the guest reads over 9p.
#
# Output in build/KVER/bench/: console.log, results.tap, raw.txt (the BENCH
# lines), summary.md (the tables); the previous run's in prev/.
#
# Environment (all optional):
#   BENCH_QUICK=1          a ~3-minute smoke run (few reps, 1k SAs only)
#   BENCH_PHASES="..."     subset of: tput lat scan tput10k lat10k
#   BENCH_REPS, BENCH_REPS10K, BENCH_TPUT_SECS, BENCH_PKT_SIZE,
#   BENCH_SA_STEPS, BENCH_MAX_SA_SECS, BENCH_SCAN_REPS, BENCH_SCAN_WINDOW,
#   BENCH_IPLIST_REPS, BENCH_LAT_INTERVALS, BENCH_LAT_SAMPLES
#                          override the guest's defaults (see bench/guest.sh)
#   BENCH_ICOUNT=0         wall-clock TCG (MTTCG) instead of the default
#                          QEMU -icount, where guest time counts guest
#                          instructions (immune to the host's load)
#   XHA_VM_MEM (3G), XHA_VM_SMP (2), XHA_VM_TIMEOUT (2400 s),
#   XHA_TEST_TIMEOUT (2100 s)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
user_smp=${XHA_VM_SMP:-}
: "${BENCH_ICOUNT:=1}"
if [ "$BENCH_ICOUNT" = 1 ]; then
	export XHA_QEMU_REAL=${XHA_QEMU:-qemu-system-x86_64}
	XHA_QEMU=$here/qemu-icount
fi
: "${XHA_VM_MEM:=3G}"
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
# Debian's 6.1 never finishes bringing up a second CPU under -icount (it
# hangs at "x86: Booting SMP configuration"): one vCPU there.
if [ "$BENCH_ICOUNT" = 1 ] && [ -z "$user_smp" ] && [[ $k == 6.1.* || $k == [2-5].* ]]; then
	XHA_VM_SMP=1
	echo "bench: $k hangs bringing up CPU 1 under -icount: 1 vCPU (set XHA_VM_SMP to override)" >&2
fi
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
command -v nft >/dev/null || echo "bench: nft not found (make deps): the nftables variant will fail" >&2

out=$REPO/build/$k/bench
mkdir -p "$out"
# The previous run's results are kept in prev/ (one generation).
if [ -f "$out/raw.txt" ]; then
	rm -rf "$out/prev"
	mkdir -p "$out/prev"
	mv "$out"/*.txt "$out"/*.md "$out"/*.log "$out"/*.tap "$out/prev/" 2>/dev/null
fi
rm -f "$out/console.log" "$out/results.tap" "$out/raw.txt" "$out/summary.md"
{
	echo "# written by bench/run.sh on $(date -u +%FT%TZ)"
	if [ "${BENCH_QUICK:-0}" = 1 ]; then
		echo 'REPS=2 REPS10K=1 TPUT_SECS=2 SA_STEPS="1000" SCAN_REPS=2 SCAN_WINDOW=2'
		echo 'IPLIST_REPS=2 LAT_INTERVALS="10 100" LAT_SAMPLES=4'
	fi
	for v in PHASES REPS REPS10K TPUT_SECS PKT_SIZE SA_STEPS MAX_SA_SECS SCAN_REPS \
		SCAN_WINDOW IPLIST_REPS LAT_INTERVALS LAT_SAMPLES; do
		ev=BENCH_$v
		[ -n "${!ev:-}" ] && printf '%s=%q\n' "$v" "${!ev}"
	done
} >"$out/params"

start=$(date +%s)
load0=$(cut -d' ' -f1 /proc/loadavg)
echo "bench: booting $k (${XHA_VM_SMP} vCPUs, $XHA_VM_MEM, TCG$([ "$BENCH_ICOUNT" = 1 ] && echo ", -icount shift=${XHA_ICOUNT_SHIFT:-2}")); console: ${out#"$REPO"/}/console.log"
echo "bench: params: $(grep -v '^#' "$out/params" | tr '\n' ' ')"
# A VM that dies before the benchmark starts (a TCG boot flake, a colleague
# rebuilding the shared initramfs at the same moment) is booted again.
for try in 1 2 3; do
	vm_run "$k" check "$out/console.log" "$out/results.tap" "../bench/guest.sh"
	rc=$?
	verdict=$(vm_verdict "$out/results.tap" "$out/console.log" "$rc")
	grep -aq 'BENCH env' "$out/results.tap" 2>/dev/null && break
	echo "bench: attempt $try ended with $verdict before the benchmark started" >&2
	tr -d '\r' <"$out/console.log" 2>/dev/null | grep -a -m3 -E 'Oops|panic|BUG' >&2
	[ -f "$out/console.log" ] && cp "$out/console.log" "$out/console.try$try.log"
	sleep 2
done
wall=$(($(date +%s) - start))

vm_tap "$out/results.tap" | sed -n 's/^    \(BENCH .*\)/\1/p' >"$out/raw.txt"
echo "BENCH run wall_secs=$wall date=$(date -u +%F) verdict=$verdict icount=$BENCH_ICOUNT shift=${XHA_ICOUNT_SHIFT:-2} host_load_end=$(cut -d' ' -f1 /proc/loadavg) host_load_start=$load0 host_cpus=$(nproc)" >>"$out/raw.txt"
vm_tap "$out/results.tap" | grep -v '^    BENCH ' >"$out/tap.txt"

if [ "$verdict" != PASS ]; then
	echo "bench: the VM run ended with $verdict (qemu rc $rc); last lines of the console:" >&2
	tr -d '\r' <"$out/console.log" | tail -n 40 >&2
	cat "$out/tap.txt" >&2
fi
if ! grep -q '^BENCH done' "$out/raw.txt"; then
	echo "bench: the guest did not finish; raw results so far in ${out#"$REPO"/}/raw.txt" >&2
	exit 1
fi
perl "$here/summarize.pl" "$out/raw.txt" >"$out/summary.md" || exit 1
cat "$out/summary.md"
echo
echo "bench: $verdict in ${wall}s; tables in ${out#"$REPO"/}/summary.md, raw lines in raw.txt"
[ "$verdict" = PASS ]
