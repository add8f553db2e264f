#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/bulk_sync.sh: the agent-level figures of issue 8's table, in the VM
# (run by bench/run.sh after bench/guest.sh; alone:
#   XHA_VM_MEM=3G XHA_JOBS=1 XHA_TESTS=../bench/bulk_sync.sh ./selftests/run.sh KVER)
#
# (e) bulk sync: two namespaces joined by a veth hold the same N ESP SAs (N
#     in BULK_STEPS, default "10000 100000"), every 97th SA with non-zero
#     counters on the active side. The active's agent runs; the backup's
#     agent starts and the bulk sync is timed from its start to the
#     verified end (the backup's `show state` "bulk ... last-ms"), then
#     checked on a sample of SAs.
# (f) takeover, at TAKEOVER_AT SAs (default: the largest step): the synced
#     backup's HA group (external) is set to master with `ha-ike group`;
#     timed from that command, and inside the agent from its "HA group vpn:
#     backup -> master" log line, to its "takeover: final oseq advance
#     written for K of N SAs" line (every SA holds its final counters: the
#     K whose final OSEQ is above what the backup already wrote are
#     written, in batches).
#     Then `ha-ike show sync` (text and -j) on the backup and on the
#     active: its time from the command to the last byte, and its size
#     (the agent builds the reply in its event loop: this is how long a
#     show sync holds the loop at N SAs).
# (g) wire: WIRE_SAS SAs (default 1000) on the active carry traffic
#     (udpspray, round-robin, WIRE_PPS) into a dummy device for WIRE_SECS;
#     the HA link's bytes and datagrams (the active's veth, which carries
#     nothing else) against the SA updates the module published and the
#     XFRM_MSG_NEWAE messages a listener of the kernel's aevents got for
#     the same traffic (one netlink message per update).
# Everything goes through the agent, ha-ike, libxha (bench/xhabench) and
# the interfaces' counters. A measurement, not a pass/fail test: results
# go to the KTAP diagnostics as BENCH lines; a step fails when what it
# measures did not happen (no sync, no takeover, no record).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../selftests/lib.sh
. "$here/../selftests/lib.sh"

# bench/run.sh passes BULK_STEPS, TAKEOVER_AT, WIRE_* in the params file
# that bench/guest.sh reads too (over 9p); BENCH_PARAMS and BENCH_BIN as
# in bench/guest.sh.
BENCH_PARAMS=${BENCH_PARAMS:-$XHA_REPO/build/$(uname -r)/bench/params}
# shellcheck disable=SC1090
[ -f "$BENCH_PARAMS" ] && . "$BENCH_PARAMS"
STEPS=${BULK_STEPS:-10000 100000}
TAKEOVER_AT=${TAKEOVER_AT:-${STEPS##* }}
WIRE_SAS=${WIRE_SAS:-1000}
WIRE_PPS=${WIRE_PPS:-2000}
WIRE_SECS=${WIRE_SECS:-10}
WIRE_IDLE_SECS=${WIRE_IDLE_SECS:-3}	# the idle link (keepalives), subtracted
KEY=0x0102030405060708090a0b0c0d0e0f1011121314
A=xbulk-a B=xbulk-b
CTL=$XHA_REPO/selftests/xha_sactl
SPRAY=$XHA_REPO/selftests/udpspray
XHAB=${BENCH_BIN:-$here}/xhabench

ktap_header
nsteps=$(echo "$STEPS" | wc -w)
[ "$WIRE_SAS" -gt 0 ] && nsteps=$((nsteps + 1))
ktap_plan "$nsteps"
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

# log_ms FILE PATTERN: the agent's timestamp (HH:MM:SS.mmm) of the first
# line matching PATTERN, in ms since midnight.
log_ms() {
	grep -m1 -e "$2" "$1" | awk '{ split($1, t, /[:.]/); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'
}

netns_pair() {
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
}

group_of() {	# group_of NODE STATE: the external HA group of agent NODE
	nsx "$([ "$1" = 1 ] && echo "$A" || echo "$B")" "$XHA_CLI" group vpn "$2" socket "$XHA_TMP/agent$1.sock" >/dev/null
}

showsync() {	# showsync N: ha-ike show sync on both agents, timed
	local node ns role j t0 t1 bytes lines
	for node in 2 1; do
		ns=$([ "$node" = 1 ] && echo "$A" || echo "$B")
		role=$([ "$node" = 1 ] && echo active || echo backup)
		for j in "" -j; do
			t0=$(ms)
			# shellcheck disable=SC2086 # $j: the option or nothing
			nsx "$ns" "$XHA_CLI" $j -s "$XHA_TMP/agent$node.sock" show sync >"$XHA_TMP/sync.out" 2>&1 ||
				{ say "show sync on agent $node failed: $(head -c 300 "$XHA_TMP/sync.out")"; return 1; }
			t1=$(ms)
			bytes=$(wc -c <"$XHA_TMP/sync.out")
			lines=$(wc -l <"$XHA_TMP/sync.out")
			echo "BENCH showsync sas=$1 role=$role json=$([ -n "$j" ] && echo 1 || echo 0) ms=$((t1 - t0)) bytes=$bytes lines=$lines"
		done
	done
}

takeover() {	# takeover N: the synced backup (agent 2) becomes active
	local t0 t1 tin tfin line written tracked
	t0=$(ms)
	group_of 2 master || { say "ha-ike group vpn master refused"; return 1; }
	xha_wait_until 300 grep -q 'takeover: final oseq advance written' "$XHA_TMP/a2.log" ||
		{ say "no takeover line in the backup's log after 300 s"; return 1; }
	t1=$(ms)
	line=$(grep -m1 'takeover: final oseq advance written' "$XHA_TMP/a2.log")
	tin=$(log_ms "$XHA_TMP/a2.log" 'HA group vpn: backup -> master')
	tfin=$(log_ms "$XHA_TMP/a2.log" 'takeover: final oseq advance written')
	written=$(sed -n 's/.*written for \([0-9]*\) of \([0-9]*\) SAs.*/\1/p' <<<"$line")
	tracked=$(sed -n 's/.*written for \([0-9]*\) of \([0-9]*\) SAs.*/\2/p' <<<"$line")
	echo "BENCH takeover sas=$1 cmd_to_final_ms=$((t1 - t0)) agent_ms=$(( ${tfin:-0} - ${tin:-0} )) written=${written:-?} tracked=${tracked:-?}"
	say "takeover at $1 SAs: ${line#*ha-ike-agent: }"
	# Only SAs whose final counters are above what the backup already
	# wrote are written at takeover (none, for idle SAs): the worst case,
	# every SA, is the bulk write of bench/guest.sh.
	[ "${tracked:-0}" -ge "$1" ] || { say "takeover: the backup tracked ${tracked:-?} of $1 SAs"; return 1; }
}

step() {
	local n=$1 t0 t1 made done_ms cfg1 cfg2 p1 p2 last rss1 rss2 ok=1 i spi
	netns_pair || return 1
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
	cfg2=$(xha_agent_config 2 external b0 10.150.9.2 10.150.9.1) || return 1
	xha_agent_start "$A" "$cfg1" "$XHA_TMP/a1.log"; p1=$XHA_LAST_PID
	sleep 2
	t0=$(ms)
	xha_agent_start "$B" "$cfg2" "$XHA_TMP/a2.log"; p2=$XHA_LAST_PID
	xha_wait_until 20 group_of 2 backup || { say "ha-ike group vpn backup refused"; ok=0; }
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
	say "$n SAs: backup agent start to synced $((t1 - t0)) ms (poll 200 ms), bulk request to verified end ${done_ms:-?} ms; peak RSS active $rss1 kB, backup $rss2 kB"
	# a figure only: a failure is said, the step goes on
	[ "$ok" = 1 ] && showsync "$n"
	if [ "$ok" = 1 ] && [ "$n" = "$TAKEOVER_AT" ]; then
		takeover "$n" || ok=0
	fi
	xha_stop "$p1" "$p2"
	ip netns del "$A"; ip netns del "$B"
	[ "$ok" = 1 ]
}

wire() {
	local n=$1 cfg1 cfg2 p1 p2 ok=1 t0 b0 b1 k0 k1 r0 r1 out secs ns
	netns_pair || return 1
	# n SAs, contiguous destinations 10.91.0.0 + i (i = 1..n), one policy
	# each from 10.89.0.1 (A's lo); their packets end in a dummy device.
	ip -n "$A" link add dum0 type dummy && ip -n "$A" link set dum0 up || return 1
	ip -n "$A" addr add 10.89.0.1/32 dev lo
	ip -n "$A" addr add 10.90.0.1/32 dev lo	# the SAs' outer source
	ip -n "$A" route add 10.91.0.0/16 dev dum0
	for ns in "$A" "$B"; do
		awk -v n="$n" -v key="$KEY" -v pol="$([ "$ns" = "$A" ] && echo 1 || echo 0)" 'BEGIN {
			for (i = 1; i <= n; i++) {
				d = sprintf("10.91.%d.%d", int(i / 256), i % 256)
				printf "xfrm state add src 10.90.0.1 dst %s proto esp spi 0x%x reqid 1 mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 32\n", d, 65536 + i, key
				if (pol)
					printf "xfrm policy add src 10.89.0.1/32 dst %s/32 dir out tmpl src 10.90.0.1 dst %s proto esp reqid 1 mode tunnel\n", d, d
			}
		}' | ip -n "$ns" -batch - || { say "installing $n SAs failed"; return 1; }
	done
	cfg1=$(xha_agent_config 1 active a0 10.150.9.1 10.150.9.2) || return 1
	cfg2=$(xha_agent_config 2 backup b0 10.150.9.2 10.150.9.1) || return 1
	xha_agent_start "$A" "$cfg1" "$XHA_TMP/w1.log"; p1=$XHA_LAST_PID
	xha_agent_start "$B" "$cfg2" "$XHA_TMP/w2.log"; p2=$XHA_LAST_PID
	xha_wait_until 120 sh -c "'$XHA_CLI' show state socket '$XHA_TMP/agent2.sock' 2>/dev/null | grep -q ' synced '" ||
		{ say "wire: the backup did not sync $n SAs in 120 s"; ok=0; }
	sleep 1
	# The idle link (keepalives) over a few seconds, then the traffic.
	b0=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_bytes); k0=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_packets); t0=$(ms)
	sleep "$WIRE_IDLE_SECS"
	b1=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_bytes); k1=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_packets)
	secs=$(($(ms) - t0))
	echo "BENCH wire what=idle sas=$n ms=$secs link_bytes=$((b1 - b0)) link_pkts=$((k1 - k0))"
	ip netns exec "$A" "$XHAB" ae-listen -r "$XHA_TMP/ael.ready" >"$XHA_TMP/ael.out" 2>&1 &
	local ael=$!
	xha_wait_until 10 test -f "$XHA_TMP/ael.ready"
	r0=$(nsx "$A" "$XHAB" stats | tr ' ' '\n' | sed -n 's/^records=//p')
	b0=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_bytes); k0=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_packets); t0=$(ms)
	nsx "$A" "$SPRAY" -b 10.89.0.1 -d 10.91.0.0 -n "$n" -r "$WIRE_PPS" -t "$WIRE_SECS" >"$XHA_TMP/wspray.out" 2>&1
	sleep 1.5	# the last pass, the agent's batch
	b1=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_bytes); k1=$(nsx "$A" cat /sys/class/net/a0/statistics/tx_packets)
	r1=$(nsx "$A" "$XHAB" stats | tr ' ' '\n' | sed -n 's/^records=//p')
	secs=$(($(ms) - t0))
	kill -TERM "$ael"; wait "$ael" 2>/dev/null
	out=$(sed -n 's/^udpspray final //p' "$XHA_TMP/wspray.out")
	echo "BENCH wire what=traffic sas=$n ms=$secs spray_secs=$WIRE_SECS $out link_bytes=$((b1 - b0)) link_pkts=$((k1 - k0)) records=$((r1 - r0)) $(sed 's/^/ae_/; s/ / ae_/g' "$XHA_TMP/ael.out")"
	[ $((r1 - r0)) -gt 0 ] || { say "wire: the module published no record while $n SAs carried traffic"; ok=0; }
	nsx "$B" "$XHA_CLI" show state socket "$XHA_TMP/agent2.sock" 2>/dev/null | grep -E '^(link-stats|stream)' | sed 's/^/# backup: /'
	xha_stop "$p1" "$p2"
	ip netns del "$A"; ip netns del "$B"
	[ "$ok" = 1 ]
}

for n in $STEPS; do
	step "$n"
	ktap_result $? "bulk sync of $n SAs completes, verified, and the sampled SAs are fresh$([ "$n" = "$TAKEOVER_AT" ] && echo "; takeover timed")"
done
if [ "$WIRE_SAS" -gt 0 ]; then
	wire "$WIRE_SAS"
	ktap_result $? "wire: $WIRE_SAS SAs with traffic, HA link bytes and datagrams against aevents"
fi
ktap_finish
