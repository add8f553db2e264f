#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench_smoke.sh: the benchmark (make -C bench) in miniature, so that it
# cannot rot unnoticed. Runs bench/guest.sh (throughput variants, memory,
# CPU windows, freshness probes, bulk write) and bench/bulk_sync.sh (bulk
# sync, takeover, wire) with small SA counts and one-second windows, then
# checks that every figure of docs/benchmarks.md's table came out and that
# no variant that should publish records published none. The figures
# themselves are not judged: it measures nothing worth quoting.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

BENCH=$XHA_REPO/bench

ktap_header
ktap_plan 3
xha_require_root
xha_tmp_init

cleanup() {
	xha_cleanup
	ip netns del a 2>/dev/null
	ip netns del b 2>/dev/null
	ip netns del xbulk-a 2>/dev/null
	ip netns del xbulk-b 2>/dev/null
}
trap cleanup EXIT

# The bench programs: bench/'s own if built and current (make -C bench
# build), else compiled here from the same sources (a few seconds).
bin=$BENCH
for f in xhabench udpblast; do
	if [ ! -x "$BENCH/$f" ] || [ "$BENCH/$f.c" -nt "$BENCH/$f" ] ||
		{ [ "$f" = xhabench ] && [ "$XHA_REPO/lib/libxha.a" -nt "$BENCH/$f" ]; }; then
		bin=$XHA_TMP
	fi
done
if [ "$bin" = "$XHA_TMP" ]; then
	say "bench/xhabench or bench/udpblast missing or older than their sources: compiling them here"
	flags="-O1 -std=c11 -D_GNU_SOURCE -I$XHA_REPO/uapi -I$XHA_REPO/lib"
	# shellcheck disable=SC2086
	cc $flags -o "$XHA_TMP/udpblast" "$BENCH/udpblast.c" &&
		cc $flags -o "$XHA_TMP/xhabench" "$BENCH/xhabench.c" "$XHA_REPO/lib/libxha.a" -lmnl ||
		{ ktap_fail "bench programs build"; ktap_finish; exit 1; }
fi

cat >"$XHA_TMP/params" <<'EOF2'
REPS=1 TPUT_SECS=1 TPUT_SAS=20 TPUT_PPS=3000 TPUT_VARIANTS="base xha aev"
SA_STEPS="500" CPU_STEPS="500" CPU_WINDOW=1 ACTIVE_PCT=10 ACTIVE_PPS=2000
FRESH_STEPS="500" FRESH_INTERVALS="10" FRESH_SECS=1 FRESH_PPS=100 BULKW_STEPS="500"
BULK_STEPS="200" TAKEOVER_AT=200 WIRE_SAS=50 WIRE_PPS=500 WIRE_SECS=2
EOF2
export BENCH_PARAMS=$XHA_TMP/params BENCH_BIN=$bin

# have KIND [KEY=VALUE...]: a BENCH line of that kind with those values.
have() {
	local kind=$1 l k ok
	shift
	while read -r l; do
		ok=1
		for k in "$@"; do
			[[ " $l " == *" $k "* ]] || ok=0
		done
		[ "$ok" = 1 ] && return 0
	done < <(grep "^BENCH $kind " "$XHA_TMP/raw")
	say "missing: BENCH $kind $*"
	return 1
}
# nonzero KIND KEY [KEY=VALUE...]: such a line has KEY > 0.
nonzero() {
	local kind=$1 key=$2 v
	shift 2
	v=$(grep "^BENCH $kind " "$XHA_TMP/raw" | while read -r l; do
		ok=1
		for k in "$@"; do [[ " $l " == *" $k "* ]] || ok=0; done
		[ "$ok" = 1 ] && tr ' ' '\n' <<<"$l" | sed -n "s/^$key=//p" | head -n1
	done | head -n1)
	[ "${v:-0}" != 0 ] && [ "${v%%.*}" -gt 0 ] 2>/dev/null && return 0
	say "BENCH $kind $* has $key=${v:-nothing}"
	return 1
}

t0=$SECONDS
"$BENCH/guest.sh" >"$XHA_TMP/guest.out" 2>&1
rc=$?
ktap_diag "$(sed "s/^/  /" "$XHA_TMP/guest.out")"
grep '^BENCH ' "$XHA_TMP/guest.out" >"$XHA_TMP/raw"
ok=0
if [ "$rc" = 0 ] && have 'done'; then
	ok=1
	have tput variant=base || ok=0
	nonzero tput records_a variant=xha || ok=0
	nonzero tput newae_a variant=aev || ok=0
	nonzero mem entry_cache_bytes sas=500 what=module || ok=0
	have cpu sas=500 what=idle-listener || ok=0
	nonzero cpu records sas=500 what=active-listener || ok=0
	nonzero fresh records sas=500 mode=ha interval=10 || ok=0
	nonzero fresh records sas=500 mode=ae || ok=0
	nonzero bulkw ok step=500 || ok=0
fi
ktap_result $((1 - ok)) "bench/guest.sh: every kernel-side figure, records in every syncing variant ($((SECONDS - t0)) s)"

t0=$SECONDS
XHA_TMP='' "$BENCH/bulk_sync.sh" >"$XHA_TMP/agent.out" 2>&1
rc=$?
ktap_diag "$(sed "s/^/  /" "$XHA_TMP/agent.out")"
sed -n 's/^ *\(BENCH .*\)/\1/p' "$XHA_TMP/agent.out" >"$XHA_TMP/raw"
ok=0
if [ "$rc" = 0 ]; then
	ok=1
	have bulk sas=200 || ok=0
	have takeover sas=200 tracked=200 || ok=0
	nonzero showsync lines sas=200 role=backup json=0 || ok=0
	nonzero wire records what=traffic || ok=0
fi
ktap_result $((1 - ok)) "bench/bulk_sync.sh: bulk sync, show sync, takeover and wire figures ($((SECONDS - t0)) s)"

# The summary the bench prints must name every figure.
cat "$XHA_TMP/guest.out" "$XHA_TMP/agent.out" | sed -n 's/^ *\(BENCH [^ ]*\)/\1 clock=wall/p' >"$XHA_TMP/raw"
perl "$BENCH/summarize.pl" "$XHA_TMP/raw" >"$XHA_TMP/summary.md" 2>"$XHA_TMP/summary.err"
rc=$?
ok=1
[ "$rc" = 0 ] && [ ! -s "$XHA_TMP/summary.err" ] || { say "summarize.pl: rc $rc: $(head -n 5 "$XHA_TMP/summary.err")"; ok=0; }
for fig in '(a)' '(b)' '(d)' '(e)' '(f)' '(g)'; do
	row=$(grep -F "| $fig " "$XHA_TMP/summary.md")
	# The wall-clock column (the last) must hold a figure.
	last=$(awk -F'|' '{ print $(NF - 1) }' <<<"$row" | sed 's/^ *//; s/ *$//')
	[ -n "$row" ] && [ "$last" != n/a ] || { say "summary: figure $fig missing: ${row:-no row}"; ok=0; }
done
ktap_result $((1 - ok)) "bench/summarize.pl: the table names every figure"
ktap_finish
