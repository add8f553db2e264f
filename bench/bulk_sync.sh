#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/bulk_sync.sh: the HA link's bulk sync at scale, in the VM:
#
#   XHA_VM_MEM=3G XHA_JOBS=1 XHA_TESTS=../bench/bulk_sync.sh \
#       ./selftests/run.sh KVER          (or: make -C bench bulk)
#
# Two namespaces joined by a veth hold the same N ESP SAs (N in
# BULK_STEPS, default "10000 100000"), every SA with non-zero counters on
# the active side. The active's agent runs; the backup's agent starts and
# the bulk sync is timed from its start to the verified end (the backup's
# `show state` "bulk ... last-ms"), then checked: the backup's counters
# equal the active's plus the shift on a sample of SAs. A measurement, not
# a pass/fail test: results go to the KTAP diagnostics as BENCH lines.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../selftests/lib.sh
. "$here/../selftests/lib.sh"

STEPS=${BULK_STEPS:-10000 100000}
KEY=0x0102030405060708090a0b0c0d0e0f1011121314
A=xbulk-a B=xbulk-b
CTL=$XHA_REPO/selftests/xha_sactl

ktap_header
ktap_plan "$(echo "$STEPS" | wc -w)"
xha_require_root
xha_tmp_init

cleanup() {
	xha_cleanup
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }

# SA i: 10.90.0.1 -> dst_of i, spi 0x10000 + i
dst_of() { echo "10.$((91 + $1 / 62500)).$(($1 % 62500 / 250)).$(($1 % 250 + 1))"; }
sas() {
	awk -v n="$1" -v key="$KEY" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "xfrm state add src 10.90.0.1 dst 10.%d.%d.%d proto esp spi 0x%x reqid 1 mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 32\n", 91 + int(i / 62500), int(i % 62500 / 250), i % 250 + 1, 65536 + i, key
	}'
}

bulk_stat() {	# bulk_stat KEY: from the backup's "bulk" line
	nsx "$B" "$XHA_CLI" show state socket "$XHA_TMP/agent2.sock" 2>/dev/null |
		awk -v k="$1" '$1 == "bulk" { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }'
}

step() {
	local n=$1 t0 t1 made done_ms cfg1 cfg2 p1 p2 last rss1 rss2 ok=1 i spi
	ip netns add "$A" && ip netns add "$B" || { say "netns add failed"; return 1; }
	ip -n "$A" link add a0 type veth peer name b0 netns "$B" || return 1
	ip -n "$A" -batch - <<-EOF || return 1
		link set lo up
		link set a0 up
		addr add 10.150.9.1/24 dev a0
	EOF
	ip -n "$B" -batch - <<-EOF || return 1
		link set lo up
		link set b0 up
		addr add 10.150.9.2/24 dev b0
	EOF
	t0=$(ms)
	sas "$n" | ip -n "$A" -batch - || { say "installing $n SAs failed"; return 1; }
	sas "$n" | ip -n "$B" -batch - || { say "installing $n SAs failed"; return 1; }
	made=$(($(ms) - t0))
	# Counters on the active: every 97th SA gets oseq/seq set, so the
	# check below has something to compare (the rest carry zeros).
	for ((i = 0; i < n; i += 97)); do
		printf 'set %s 0x%x oseq %d seq %d\n' "$(dst_of $i)" $((65536 + i)) $((1000 + i)) $((500 + i))
	done | nsx "$A" sh -c "while read -r c a s rest; do '$CTL' set \$a \$s \$rest >/dev/null || exit 1; done" || return 1

	cfg1=$(xha_agent_config 1 active a0 10.150.9.1 10.150.9.2) || return 1
	cfg2=$(xha_agent_config 2 backup b0 10.150.9.2 10.150.9.1) || return 1
	xha_agent_start "$A" "$cfg1" "$XHA_TMP/a1.log"; p1=$XHA_LAST_PID
	sleep 2
	t0=$(ms)
	xha_agent_start "$B" "$cfg2" "$XHA_TMP/a2.log"; p2=$XHA_LAST_PID
	xha_wait_until 600 sh -c "'$XHA_CLI' show state socket '$XHA_TMP/agent2.sock' 2>/dev/null | grep -q ' synced '" ||
		{ say "not synced after 600 s"; ok=0; }
	t1=$(ms)
	done_ms=$(bulk_stat last-ms)
	rss1=$(awk '/VmHWM/ { print $2 }' "/proc/$p1/status")
	rss2=$(awk '/VmHWM/ { print $2 }' "/proc/$p2/status")
	last=$(grep -h "bulk sync #" "$XHA_TMP/a1.log" | tail -n 2 | tr '\n' ' ')
	say "$n SAs: installing took ${made} ms per node; active: $last"
	# The sample: the backup's oseq is the active's + the shift.
	for ((i = 0; i < n; i += 97 * 50)); do
		spi=$(printf '0x%x' $((65536 + i)))
		o=$(nsx "$B" "$CTL" get "$(dst_of $i)" "$spi" 2>/dev/null | tr ' ' '\n' | sed -n 's/^oseq=//p')
		[ "$o" = $((1000 + i + XHA_OSEQ_SHIFT)) ] || { say "SA $spi: backup oseq ${o:-?}, want $((1000 + i + XHA_OSEQ_SHIFT))"; ok=0; }
	done
	echo "BENCH bulk sas=$n start_to_synced_ms=$((t1 - t0)) bulk_ms=${done_ms:-?} active_hwm_kb=$rss1 backup_hwm_kb=$rss2"
	say "$n SAs: backup agent start to synced $((t1 - t0)) ms (poll 100 ms), bulk request to verified end ${done_ms:-?} ms; peak RSS active $rss1 kB, backup $rss2 kB"
	xha_stop "$p1" "$p2"
	ip netns del "$A"; ip netns del "$B"
	[ "$ok" = 1 ]
}

for n in $STEPS; do
	step "$n"
	ktap_result $? "bulk sync of $n SAs completes, verified, and the sampled SAs are fresh"
done
ktap_finish
