#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# adaptive_shift.sh [--verbose]
#
# Failover under load with no pause, run as root with xfrm_ha.ko loaded
# (inside the selftest VM). The topology of lib.sh with one SA pair (bitmap
# windows of 128); both agents follow an externally driven HA group "vpn"
# ("ha-ike group", as keepalived's notify script would), with
# sync-period-packets 0, sync-period-time 1 s and oseq-shift 64:
#
#  ha1 (active) sends UDP to the peer at RATE packets/s (udpseq; the peer
#  only receives), far more than oseq-shift per second. Right after ha1's
#  module has published a record (seen by polling its statistics), ha1's
#  agent hangs (SIGSTOP: it relays nothing more) while ha1 sends for
#  another FAIL_AFTER_MS (300) plus the polling delay (well over
#  oseq-shift packets that the backup does not know about), then ha1 dies:
#  agent SIGKILL, its sender killed, link down. The service address moves
#  to ha2, ha2 starts sending at once and becomes master.
#
#  1. adaptive-shift true (margin 500 ms): the peer accepts ha2's ESP and
#     drops nothing (no XfrmInStateSeqError, the SA's replay-window, replay
#     and ICV counters unchanged); ha2's agent counts the SA beyond
#     oseq-shift.
#  2. control, adaptive-shift false: the same run must make the peer drop
#     ha2's first packets as replays: proves that the test can fail.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup' EXIT
trap 'exit 130' INT TERM

XHA_PAIRS=("1 bmp bmp")
XHA_OSEQ_SHIFT=64
RATE=${XHA_ADAPTIVE_RATE:-500}		# ha -> peer, packets/s
FAIL_AFTER_MS=${XHA_ADAPTIVE_FAIL_AFTER_MS:-300}
UDPSEQ=$XHA_SELFTESTS/udpseq
CTL=$XHA_SELFTESTS/xha_sactl
PLAN=9
declare -A PID=() R=()

sock() { echo "$XHA_TMP/agent$1.sock"; }
ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }

# agent_config N ADAPTIVE: an external group, the sync settings above.
agent_config() {
	local f=$XHA_TMP/agent$1.json la ra
	if [ "$1" = 1 ]; then la=$XHA_HAL1_ADDR ra=$XHA_HAL2_ADDR; else la=$XHA_HAL2_ADDR ra=$XHA_HAL1_ADDR; fi
	cat >"$f" <<EOF
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "vpn",
  "node-id": $1, "interface": "hal$1", "local-address": "$la",
  "remote-address": "$ra", "port": $XHA_HA_PORT, "key-file": "$(xha_keyfile)",
  "control-socket": "$(sock "$1")", "track-file": "$XHA_TMP/track$1",
  "seqnum-sync": {"oseq-shift": $XHA_OSEQ_SHIFT, "sync-period-time": 1,
  "sync-period-packets": 0, "adaptive-shift": $2,
  "adaptive-shift-margin": 500}}}}],
 "xfrm-ha:ha": {"group": [{"name": "vpn", "external": [null]}]}}
EOF
	echo "$f"
}
agent_start() {	# agent_start N ADAPTIVE
	xha_agent_start "$(ns_of "$1")" "$(agent_config "$1" "$2")" "$XHA_TMP/agent-ha$1.log"
	PID[$1]=$XHA_LAST_PID
	xha_wait_until 10 test -S "$(sock "$1")"
}
group() { nsx "$(ns_of "$1")" "$XHA_CLI" group vpn "$2" socket "$(sock "$1")" >/dev/null; }
state_of() { nsx "$(ns_of "$1")" "$XHA_CLI" show state socket "$(sock "$1")" 2>&1; }
role_is() { state_of "$1" | grep -q "role $2 "; }

OSPI=$(xha_out_spi 1)

# ha2_ahead: ha2's oseq >= ha1's + shift on the SA ha -> peer.
ha2_ahead() {
	local o1 o2 v
	xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
	v=$(xha_out "$XHA_NS_HA1" 1) || return 1; read -r o1 _ <<<"$v"
	v=$(xha_out "$XHA_NS_HA2" 1) || return 1; read -r o2 _ <<<"$v"
	[ "$o1" -gt 0 ] && [ "$o2" -ge $((o1 + XHA_OSEQ_SHIFT)) ]
}
records() { nsx "$XHA_NS_HA1" "$CTL" stats 2>/dev/null | tr ' ' '\n' | sed -n 's/^records=//p'; }
record_after() { [ "$(records)" -gt "$1" ]; }
peer_sa() {	# "oseq seq drops packets" of the peer's SA ha -> peer
	xha_sa_load "$XHA_NS_PEER"
	xha_sa "$XHA_NS_PEER" "$OSPI"
}
ms() { echo $(($(date +%s%N) / 1000000)); }

udpseq_start() {	# udpseq_start NS SRC DST RATE TAG
	: >"$XHA_TMP/udp-$5.out"
	ip netns exec "$1" "$UDPSEQ" -b "$2:5001" -p "$3:5001" -r "$4" -g 100 -n "$5" \
		-o "$XHA_TMP/udp-$5.out" </dev/null >/dev/null 2>&1 &
	XHA_LAST_PID=$!
	XHA_PIDS+=("$XHA_LAST_PID")
	xha_wait_until 10 grep -q '^udpseq start' "$XHA_TMP/udp-$5.out"
}

fail_rest() {	# fail_rest COUNT TAG REASON
	local i
	for ((i = 0; i < $1; i++)); do ktap_fail "$2: not run" "$3"; done
}

# scenario true|false: emits 5 resp. 4 results.
scenario() {
	local adaptive=$1 tag rest n0 t0 tk peer_top ha2_o
	local d0 p0 d1 p1 s0 s1 se0 se1 tx1 tx2 pa pb pc
	if [ "$adaptive" = true ]; then tag=adaptive; rest=4; else tag=constant; rest=3; fi
	xha_tmp_init
	if ! xha_topo_up || ! xha_sas_install || [ ! -x "$XHA_AGENT" ] || [ ! -x "$XHA_CLI" ] ||
		[ ! -x "$UDPSEQ" ] || [ ! -x "$CTL" ]; then
		ktap_fail "$tag: setup, agents (external group, adaptive-shift $adaptive), ha2 ahead of ha1" "setup failed or not built (make)"
		fail_rest "$rest" "$tag" "setup failed"
		xha_cleanup
		return
	fi
	nsx "$XHA_NS_PEER" ping -q -n -c 3 -i 0.05 -W 2 -I 192.168.2.1 192.168.1.1 >/dev/null
	agent_start 2 "$adaptive"
	agent_start 1 "$adaptive"
	group 1 master && group 2 backup
	xha_wait_until 5 role_is 1 active && xha_wait_until 5 role_is 2 backup && xha_wait_until 15 ha2_ahead
	ktap_result $? "$tag: setup, agents (external group, adaptive-shift $adaptive), ha2 ahead of ha1" \
		"ha1: $(state_of 1 | head -n1); ha2: $(state_of 2 | head -n1)"

	# Traffic through ha1; the rate estimate needs a few records.
	# The peer only receives: ha1's module then publishes records of the SA
	# ha -> peer alone, and a new record is a new record of that SA.
	udpseq_start "$XHA_NS_PEER" 192.168.2.1 192.168.1.1 0 peer
	PID[peer_udp]=$XHA_LAST_PID
	udpseq_start "$XHA_NS_HA1" 192.168.1.1 192.168.2.1 "$RATE" ha1
	PID[ha1_udp]=$XHA_LAST_PID
	read -r _ _ _ pa <<<"$(peer_sa)"
	sleep 4
	# Fail over FAIL_AFTER_MS after ha1's module published a record.
	# Records come about once a second: poll tighter than xha_wait_until.
	n0=$(records)
	for _ in $(seq 60); do
		record_after "${n0:-0}" && break
		sleep 0.05
	done
	# ha1's agent relays nothing more from here (SIGSTOP: it hangs
	# first), while ha1 itself goes on sending: under a loaded TCG host
	# the sleep below can stretch past the next record, which must not
	# reach ha2 and shrink what it does not know to a few packets.
	kill -STOP "${PID[1]}" 2>/dev/null
	t0=$(ms)
	sleep "$(awk -v m="$FAIL_AFTER_MS" 'BEGIN { print m / 1000 }')"
	kill -KILL "${PID[1]}" "${PID[ha1_udp]}" 2>/dev/null
	tk=$(ms)
	wait "${PID[1]}" "${PID[ha1_udp]}" 2>/dev/null
	sleep 0.2	# what ha1 sent last arrives
	read -r _ peer_top d0 p0 <<<"$(peer_sa)"
	s0=$(xha_xfrm_stats "$XHA_NS_PEER")
	xha_sa_load "$XHA_NS_HA1"
	read -r tx1 _ <<<"$(xha_out "$XHA_NS_HA1" 1)"
	[ $((p0 - pa)) -gt 0 ]
	ktap_result $? "$tag: ESP from ha1 at ${RATE}/s reaches the peer before the failover" "peer accepted $((p0 - pa))"

	# ha1 dies; the address moves; ha2 sends at once and becomes master.
	xha_failover || say "$tag: warning: the peer cannot reach $XHA_VIP on ha2"
	xha_sa_load "$XHA_NS_HA2"
	read -r ha2_o _ <<<"$(xha_out "$XHA_NS_HA2" 1)"
	udpseq_start "$XHA_NS_HA2" 192.168.1.1 192.168.2.1 "$RATE" ha2
	PID[ha2_udp]=$XHA_LAST_PID
	group 2 master
	xha_wait_until 5 role_is 2 active
	sleep 3
	kill -TERM "${PID[ha2_udp]}" "${PID[peer_udp]}" 2>/dev/null
	wait "${PID[ha2_udp]}" "${PID[peer_udp]}" 2>/dev/null
	sleep 0.5
	read -r _ _ d1 p1 <<<"$(peer_sa)"
	s1=$(xha_xfrm_stats "$XHA_NS_PEER")
	xha_sa_load "$XHA_NS_HA2"
	read -r tx2 _ <<<"$(xha_out "$XHA_NS_HA2" 1)"
	se0=$(xha_stat_get "$s0" XfrmInStateSeqError) se1=$(xha_stat_get "$s1" XfrmInStateSeqError)
	pb=$((p1 - p0)) pc=$((d1 - d0))
	say "$tag: ha1 killed $((tk - t0)) ms after its module's record was seen; it had sent up to oseq $tx1, the peer's top $peer_top;" \
		"ha2's oseq when the address arrived: $ha2_o ($((ha2_o - peer_top)) ahead of the peer's top, oseq-shift $XHA_OSEQ_SHIFT)"
	say "$tag: after the failover the peer accepted $pb packets from ha2 (ha2 oseq $ha2_o -> $tx2), dropped $pc on the SA, XfrmInStateSeqError +$((se1 - se0))"
	R[$tag.drops]=$pc R[$tag.seqerr]=$((se1 - se0)) R[$tag.accepted]=$pb R[$tag.ahead]=$((${ha2_o:-0} - ${peer_top:-0}))

	[ "$pb" -gt 0 ]
	ktap_result $? "$tag: after the failover the peer accepts ESP from ha2" "$pb accepted, $pc dropped"
	if [ "$adaptive" = true ]; then
		[ "$pc" = 0 ] && [ "$se1" = "$se0" ]
		ktap_result $? "$tag: the peer drops nothing from ha2 (replay-window, replay, ICV, XfrmInStateSeqError)" \
			"dropped $pc, XfrmInStateSeqError +$((se1 - se0))"
		grep -E 'takeover: final oseq advance|beyond oseq-shift' "$XHA_TMP/agent-ha2.log" | tail -n 3 | sed 's/^/  /' | while IFS= read -r l; do say "$tag: ha2 agent: $l"; done
		state_of 2 | grep -Eq '[1-9][0-9]* SAs beyond oseq-shift'
		ktap_result $? "$tag: ha2's agent counts the SA beyond oseq-shift" "$(state_of 2 | head -n 3 | tr '\n' ' ')"
	else
		[ "$pc" -gt 0 ] && [ "$se1" -gt "$se0" ]
		ktap_result $? "$tag: control: with a constant oseq-shift the peer drops ha2's first packets as replays" \
			"dropped $pc, XfrmInStateSeqError +$((se1 - se0))"
	fi
	if [ "$ktap_failed" -gt 0 ] || [ "$XHA_VERBOSE" = 1 ]; then
		say "agent on ha2 (log tail):"; say "$(tail -n 15 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
	fi
	xha_stop "${PID[2]}"
	xha_cleanup
}

ktap_header
ktap_plan "$PLAN"
say "adaptive_shift: $(uname -r), ha1 -> peer ${RATE}/s, oseq-shift $XHA_OSEQ_SHIFT, sync every 1 s (no packet trigger), failover ${FAIL_AFTER_MS} ms after a record"
grep -q '^xfrm_ha ' /proc/modules || say "warning: xfrm_ha is not loaded"
T_START=$SECONDS
scenario true
scenario false
say "adaptive_shift: $((SECONDS - T_START))s"
if ktap_finish; then
	say "VERDICT: PASS: adaptive shift: the peer dropped ${R[adaptive.drops]:-?} of ha2's packets (accepted ${R[adaptive.accepted]:-?}, ha2 ${R[adaptive.ahead]:-?} ahead of its top); constant oseq-shift $XHA_OSEQ_SHIFT: it dropped ${R[constant.drops]:-?} (ha2 ${R[constant.ahead]:-?} ahead)"
	exit 0
fi
say "VERDICT: FAIL: $ktap_failed of $ktap_n checks failed"
exit 1
