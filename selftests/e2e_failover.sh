#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# e2e_failover.sh [--verbose] [--phase1 SEC] [--phase2 SEC]
#
# End-to-end failover of an HA gateway pair (see lib.sh for the topology),
# run as root with xfrm_ha.ko loaded (inside the selftest VM):
#
#  1. "agents": ha-ike-agent runs on ha1 (active) and ha2 (backup) over the
#     HA link. ESP flows both ways between the peer and the service address
#     on ha1 for PHASE1 seconds; ha2's SAs must follow (oseq = ha1's oseq +
#     oseq-shift, seq = ha1's seq). ha1 then dies, the service address moves
#     to ha2 and traffic runs through ha2 for PHASE2 seconds: the pings must
#     get through and the peer must not drop a single packet as a replay or
#     an ICV failure.
#  2. "no-agents": the same without the agents. ha2 starts from its initial
#     counters, so the peer must drop its ESP: proves that the test can fail.
#
# Four SA pairs cover the replay modes: legacy (32-bit window), bmp
# (128-packet bitmap), esn, and esn starting just before the low 32 bits
# wrap. --verbose (the lab) narrates: SAs, counters, xfrm_stat, verdict.
set -u
# shellcheck disable=SC2317 # functions called through xha_wait_until

. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PHASE1=${XHA_PHASE1:-6}
PHASE2=${XHA_PHASE2:-3}
while [ $# -gt 0 ]; do
	case $1 in
	-v | --verbose) XHA_VERBOSE=1 ;;
	--phase1) PHASE1=$2; shift ;;
	--phase2) PHASE2=$2; shift ;;
	-h | --help) sed -n '3,22p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--verbose] [--phase1 SEC] [--phase2 SEC]" >&2; exit 2 ;;
	esac
	shift
done
# Without the agents, ha2 must send fewer packets after the failover than
# ha1 sent before, or it would climb past the peer's window on its own.
if [ $((PHASE2 * 2)) -gt "$PHASE1" ]; then
	echo "# --phase2 must be at most half of --phase1" >&2
	exit 2
fi

xha_require_root
trap 'xha_cleanup' EXIT
trap 'exit 130' INT TERM

PLAN=12
MIN_OK_PCT=80	# traffic that must get through when it should
MAX_LOST_PCT=50	# traffic that may get through when it should not

declare -A R=()	# results for the verdict

# ----------------------------------------------------------- helpers

mode_label() {
	case $1 in
	legacy) echo "legacy/32" ;;
	bmp) echo "bmp/128" ;;
	esn) echo "esn/128" ;;
	esnwrap) echo "esn/128@2^32" ;;
	esac
}

# counters_table: ha1 and ha2 side by side, plus what ha2 should hold.
counters_table() {
	local reqid om im o1 o2 s1 s2
	say "$(printf '%-5s %-13s %-28s %-28s %s' pair "out SA" "ha1 oseq" "ha2 oseq" "ha2 - ha1")"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r o1 _ <<<"$(xha_out_read "$XHA_NS_HA1" "$reqid")"
		read -r o2 _ <<<"$(xha_out_read "$XHA_NS_HA2" "$reqid")"
		say "$(printf '%-5s %-13s %-28s %-28s %+d' "$reqid" "$(mode_label "$om")" "$(xha_fmt "${o1:-0}")" "$(xha_fmt "${o2:-0}")" $((${o2:-0} - ${o1:-0})))"
	done
	say "$(printf '%-5s %-13s %-28s %-28s %s' pair "in SA" "ha1 seq" "ha2 seq" "ha2 - ha1")"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r _ s1 _ <<<"$(xha_in_read "$XHA_NS_HA1" "$reqid")"
		read -r _ s2 _ <<<"$(xha_in_read "$XHA_NS_HA2" "$reqid")"
		say "$(printf '%-5s %-13s %-28s %-28s %+d' "$reqid" "$(mode_label "$im")" "$(xha_fmt "${s1:-0}")" "$(xha_fmt "${s2:-0}")" $((${s2:-0} - ${s1:-0})))"
	done
}

# ha2_live: every ha2 SA moved beyond its initial value (agent wrote it).
ha2_live() {
	local reqid om im o s v
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out_read "$XHA_NS_HA2" "$reqid") || return 1; read -r o _ <<<"$v"
		v=$(xha_in_read "$XHA_NS_HA2" "$reqid") || return 1; read -r _ s _ <<<"$v"
		[ "${o:-0}" -gt $(($(xha_mode_init "$om") + XHA_OSEQ_SHIFT)) ] || return 1
		[ "${s:-0}" -gt "$(xha_mode_init "$im")" ] || return 1
	done
}

# ha2_synced: oseq >= ha1's + shift and seq == ha1's, on every pair.
ha2_synced() {
	local reqid om im o1 o2 s1 s2 v
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out_read "$XHA_NS_HA1" "$reqid") || return 1; read -r o1 _ <<<"$v"
		v=$(xha_out_read "$XHA_NS_HA2" "$reqid") || return 1; read -r o2 _ <<<"$v"
		v=$(xha_in_read "$XHA_NS_HA1" "$reqid") || return 1; read -r _ s1 _ <<<"$v"
		v=$(xha_in_read "$XHA_NS_HA2" "$reqid") || return 1; read -r _ s2 _ <<<"$v"
		[ "$o2" -ge $((o1 + XHA_OSEQ_SHIFT)) ] || return 1
		[ "$s2" -eq "$s1" ] || return 1
	done
}

# ha2_untouched: ha2's SAs still hold their initial counters.
ha2_untouched() {
	local reqid om im o s v
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out_read "$XHA_NS_HA2" "$reqid") || return 1; read -r o _ <<<"$v"
		v=$(xha_in_read "$XHA_NS_HA2" "$reqid") || return 1; read -r _ s _ <<<"$v"
		[ "$o" -eq "$(xha_mode_init "$om")" ] || return 1
		[ "$s" -eq "$(xha_mode_init "$im")" ] || return 1
	done
}

# Sum of the peer's drop counters on the SAs ha -> peer.
peer_drops() {
	local reqid om im d total=0
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r _ _ d _ <<<"$(xha_out_read "$XHA_NS_PEER" "$reqid")"
		total=$((total + ${d:-0}))
	done
	echo "$total"
}

STATS=(XfrmInStateSeqError XfrmInStateProtoError XfrmInNoStates XfrmInError XfrmInStateInvalid)
stat_snapshot() {	# stat_snapshot NS -> "name=value ..."
	local n out=
	for n in "${STATS[@]}"; do
		out+="$n=$(xha_xfrm_stat "$1" "$n") "
	done
	echo "$out"
}
stat_get() {	# stat_get SNAPSHOT NAME
	local kv
	for kv in $1; do
		[ "${kv%%=*}" = "$2" ] && { echo "${kv#*=}"; return; }
	done
	echo 0
}

# traffic PHASE-SECONDS NODE-NS TAG: peer -> ha and NODE -> peer pings on
# every pair; results in $XHA_TMP/ping-TAG-{peer,node}-REQID.
traffic_start() {
	local secs=$1 node=$2 tag=$3 reqid om im
	TRAFFIC_PIDS=()
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		xha_ping_start "$XHA_NS_PEER" "192.168.2.$reqid" "192.168.1.$reqid" "$secs" "$XHA_TMP/ping-$tag-peer-$reqid"
		TRAFFIC_PIDS+=("$XHA_LAST_PID")
		xha_ping_start "$node" "192.168.1.$reqid" "192.168.2.$reqid" "$secs" "$XHA_TMP/ping-$tag-node-$reqid"
		TRAFFIC_PIDS+=("$XHA_LAST_PID")
	done
}

# traffic_report TAG NODE: prints per-pair results; sets TRAFFIC_MIN_PCT and
# TRAFFIC_MAX_PCT (over both directions of every pair), TRAFFIC_RX/TX.
traffic_report() {
	local tag=$1 node=$2 reqid om im tx rx tx2 rx2 p1 p2
	TRAFFIC_MIN_PCT=100 TRAFFIC_MAX_PCT=0 TRAFFIC_TX=0 TRAFFIC_RX=0
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r tx rx <<<"$(xha_ping_result "$XHA_TMP/ping-$tag-peer-$reqid")"
		read -r tx2 rx2 <<<"$(xha_ping_result "$XHA_TMP/ping-$tag-node-$reqid")"
		p1=$((tx ? rx * 100 / tx : 0))
		p2=$((tx2 ? rx2 * 100 / tx2 : 0))
		say "  pair $reqid: peer -> $node $rx/$tx answered ($p1%), $node -> peer $rx2/$tx2 ($p2%)"
		for p in $p1 $p2; do
			[ "$p" -lt "$TRAFFIC_MIN_PCT" ] && TRAFFIC_MIN_PCT=$p
			[ "$p" -gt "$TRAFFIC_MAX_PCT" ] && TRAFFIC_MAX_PCT=$p
		done
		TRAFFIC_TX=$((TRAFFIC_TX + tx + tx2))
		TRAFFIC_RX=$((TRAFFIC_RX + rx + rx2))
	done
}

show_sas() {
	vrun ip -n "$XHA_NS_HA1" xfrm state list nokeys
	vrun ip -n "$XHA_NS_HA1" xfrm policy list
}

show_cli() {	# the CLI's view of one node, when the CLI is built
	[ "$XHA_VERBOSE" = 1 ] && [ -x "$XHA_CLI" ] || return 0
	vrun nsx "$1" "$XHA_CLI" show sa
	vrun nsx "$1" "$XHA_CLI" show stats
}

show_stat() {	# show_stat LABEL BEFORE AFTER
	local n b a
	say "$1"
	for n in "${STATS[@]}"; do
		b=$(stat_get "$2" "$n")
		a=$(stat_get "$3" "$n")
		say "$(printf '  %-24s %8d -> %-8d (%+d)' "$n" "$b" "$a" $((a - b)))"
	done
}

fail_rest() {	# fail_rest COUNT TAG REASON
	local i
	for ((i = 0; i < $1; i++)); do
		ktap_fail "$2: not run" "$3"
	done
}

# --------------------------------------------------------- scenarios

# scenario 1|0: with or without the agents. Emits 7 resp. 5 results.
scenario() {
	local agents=$1 tag pid1='' pid2='' cfg1 cfg2 rest
	if [ "$agents" = 1 ]; then tag=agents; rest=6; else tag=no-agents; rest=4; fi

	xha_tmp_init
	if [ "$agents" = 1 ]; then
		vbanner "Scenario 1: failover WITH xfrm-ha (ha-ike-agent on both nodes)"
	else
		vbanner "Scenario 2: the same failover WITHOUT the agents (must fail)"
	fi

	if ! xha_topo_up || ! xha_sas_install; then
		ktap_fail "$tag: topology and SAs installed" "setup failed"
		fail_rest "$rest" "$tag" "setup failed"
		xha_cleanup
		return
	fi
	ktap_pass "$tag: topology and SAs installed"
	vsay "netns ha1, ha2, peer on bridge br0; service address $XHA_VIP on ha1; HA link $XHA_HAL1_ADDR <-> $XHA_HAL2_ADDR"
	show_sas

	if [ "$agents" = 1 ]; then
		if [ ! -x "$XHA_AGENT" ]; then
			ktap_fail "$tag: ha-ike-agent running on ha1 (active) and ha2 (backup)" \
				"${XHA_AGENT#"$XHA_REPO"/} missing, run make"
			fail_rest 5 "$tag" "no agent"
			R[agents]=missing
			xha_cleanup
			return
		fi
		cfg1=$(xha_agent_config 1 active hal1 "$XHA_HAL1_ADDR" "$XHA_HAL2_ADDR")
		cfg2=$(xha_agent_config 2 backup hal2 "$XHA_HAL2_ADDR" "$XHA_HAL1_ADDR")
		vrun cat "$cfg1"
		xha_agent_start "$XHA_NS_HA2" "$cfg2" "$XHA_TMP/agent-ha2.log"
		pid2=$XHA_LAST_PID
		xha_agent_start "$XHA_NS_HA1" "$cfg1" "$XHA_TMP/agent-ha1.log"
		pid1=$XHA_LAST_PID
		sleep 2
		if kill -0 "$pid1" 2>/dev/null && kill -0 "$pid2" 2>/dev/null; then
			ktap_pass "$tag: ha-ike-agent running on ha1 (active) and ha2 (backup)"
		else
			ktap_fail "$tag: ha-ike-agent running on ha1 (active) and ha2 (backup)" "an agent exited"
			say "agent on ha1:"; say "$(tail -n 20 "$XHA_TMP/agent-ha1.log")"
			say "agent on ha2:"; say "$(tail -n 20 "$XHA_TMP/agent-ha2.log")"
		fi
	fi

	# Phase 1: traffic through ha1.
	vsay "phase 1: ${PHASE1}s of ESP both ways through ha1 (peer pings 192.168.1.N, ha1 pings 192.168.2.N)"
	traffic_start "$PHASE1" "$XHA_NS_HA1" "p1-$tag"
	local live=1
	if [ "$agents" = 1 ]; then
		xha_wait_until "$PHASE1" ha2_live || live=0
	fi
	xha_wait "${TRAFFIC_PIDS[@]}"
	say "$tag: phase 1 (${PHASE1}s through ha1):"
	traffic_report "p1-$tag" ha1
	if [ "$TRAFFIC_MIN_PCT" -ge "$MIN_OK_PCT" ]; then
		ktap_pass "$tag: ESP traffic through ha1, both ways, every SA"
	else
		ktap_fail "$tag: ESP traffic through ha1, both ways, every SA" "only $TRAFFIC_MIN_PCT% answered on the worst path"
	fi

	if [ "$agents" = 1 ]; then
		if [ "$live" = 1 ]; then
			ktap_pass "$tag: ha2's counters follow ha1 while traffic runs"
		else
			ktap_fail "$tag: ha2's counters follow ha1 while traffic runs" "ha2 still had its initial counters at the end of phase 1"
		fi
		# After the traffic stops, the time trigger flushes the rest.
		if xha_wait_until 10 ha2_synced; then
			ktap_pass "$tag: before failover, ha2 oseq >= ha1 oseq + $XHA_OSEQ_SHIFT and ha2 seq == ha1 seq"
			R[synced]=1
		else
			ktap_fail "$tag: before failover, ha2 oseq >= ha1 oseq + $XHA_OSEQ_SHIFT and ha2 seq == ha1 seq" "not reached within 10s"
			R[synced]=0
		fi
	else
		if ha2_untouched; then
			ktap_pass "$tag: before failover, ha2 still holds its initial counters"
		else
			ktap_fail "$tag: before failover, ha2 still holds its initial counters" "something wrote ha2's SAs"
		fi
	fi
	say "$tag: counters before failover:"
	counters_table
	show_cli "$XHA_NS_HA2"

	# Failover.
	local stat_before stat_after drops_before drops_after ha2_stat_before ha2_stat_after
	stat_before=$(stat_snapshot "$XHA_NS_PEER")
	ha2_stat_before=$(stat_snapshot "$XHA_NS_HA2")
	drops_before=$(peer_drops)
	vsay "FAILOVER: ha1 dies (agent killed, eth0 down), $XHA_VIP moves to ha2 (gratuitous ARP)"
	[ -n "$pid1" ] && xha_stop "$pid1"
	if ! xha_failover; then
		say "warning: the peer cannot reach $XHA_VIP on ha2"
	fi

	# Phase 2: traffic through ha2.
	vsay "phase 2: ${PHASE2}s of ESP both ways through ha2"
	traffic_start "$PHASE2" "$XHA_NS_HA2" "p2-$tag"
	xha_wait "${TRAFFIC_PIDS[@]}"
	sleep 0.5
	stat_after=$(stat_snapshot "$XHA_NS_PEER")
	ha2_stat_after=$(stat_snapshot "$XHA_NS_HA2")
	drops_after=$(peer_drops)
	say "$tag: phase 2 (${PHASE2}s through ha2):"
	traffic_report "p2-$tag" ha2
	show_stat "$tag: peer /proc/net/xfrm_stat across the failover:" "$stat_before" "$stat_after"
	vrun show_stat "$tag: ha2 /proc/net/xfrm_stat across the failover:" "$ha2_stat_before" "$ha2_stat_after"
	say "$tag: peer's SA drop counters (replay-window + replay + failed) on ha->peer SAs: $drops_before -> $drops_after"
	[ "$XHA_VERBOSE" = 1 ] && say "$tag: counters after failover:" && counters_table

	local seqerr protoerr nostates ddrops
	seqerr=$(($(stat_get "$stat_after" XfrmInStateSeqError) - $(stat_get "$stat_before" XfrmInStateSeqError)))
	protoerr=$(($(stat_get "$stat_after" XfrmInStateProtoError) - $(stat_get "$stat_before" XfrmInStateProtoError)))
	nostates=$(($(stat_get "$stat_after" XfrmInNoStates) - $(stat_get "$stat_before" XfrmInNoStates)))
	ddrops=$((drops_after - drops_before))

	if [ "$agents" = 1 ]; then
		R[a_pct]=$TRAFFIC_MIN_PCT R[a_rx]=$TRAFFIC_RX R[a_tx]=$TRAFFIC_TX
		R[a_drops]=$((ddrops + seqerr + protoerr))
		if [ "$TRAFFIC_MIN_PCT" -ge "$MIN_OK_PCT" ]; then
			ktap_pass "$tag: traffic continues through ha2 after failover"
		else
			ktap_fail "$tag: traffic continues through ha2 after failover" "only $TRAFFIC_MIN_PCT% answered on the worst path"
		fi
		if [ "$ddrops" -eq 0 ] && [ "$seqerr" -eq 0 ] && [ "$protoerr" -eq 0 ] && [ "$nostates" -eq 0 ]; then
			ktap_pass "$tag: the peer dropped nothing after failover (no replay, ICV or no-state errors)"
		else
			ktap_fail "$tag: the peer dropped nothing after failover (no replay, ICV or no-state errors)" \
				"SA drops +$ddrops, SeqError +$seqerr, ProtoError +$protoerr, NoStates +$nostates"
		fi
		xha_stop "$pid2"
		if [ "$XHA_VERBOSE" = 1 ] || [ "$ktap_failed" -gt 0 ]; then
			say "agent on ha1 (log tail):"; say "$(tail -n 15 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
			say "agent on ha2 (log tail):"; say "$(tail -n 15 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
		fi
	else
		R[n_pct]=$TRAFFIC_MAX_PCT R[n_drops]=$((ddrops))
		# Every SA ha -> peer must have been hit.
		local reqid om im d0 missing=
		for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
			read -r _ _ d0 _ <<<"$(xha_out_read "$XHA_NS_PEER" "$reqid")"
			[ "${d0:-0}" -gt 0 ] || missing+=" $reqid"
		done
		if [ "$ddrops" -gt 0 ] && [ -z "$missing" ] && [ $((seqerr + protoerr)) -gt 0 ]; then
			ktap_pass "$tag: the peer drops ha2's ESP as replays/ICV failures on every SA"
		else
			ktap_fail "$tag: the peer drops ha2's ESP as replays/ICV failures on every SA" \
				"SA drops +$ddrops (none on pair(s)${missing:- -}), SeqError +$seqerr, ProtoError +$protoerr"
		fi
		# Pings from the peer need ha2's reply, which the peer drops.
		local worst=0 tx rx p
		for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
			read -r tx rx <<<"$(xha_ping_result "$XHA_TMP/ping-p2-$tag-peer-$reqid")"
			p=$((tx ? rx * 100 / tx : 100))
			[ "$p" -gt "$worst" ] && worst=$p
		done
		if [ "$worst" -le "$MAX_LOST_PCT" ]; then
			ktap_pass "$tag: traffic through ha2 is lost after failover"
		else
			ktap_fail "$tag: traffic through ha2 is lost after failover" "up to $worst% of the peer's pings answered"
		fi
	fi
	xha_cleanup
}

ktap_header
ktap_plan "$PLAN"
say "e2e_failover: $(uname -r), phase 1 ${PHASE1}s, phase 2 ${PHASE2}s, oseq-shift $XHA_OSEQ_SHIFT"
if ! grep -q '^xfrm_ha ' /proc/modules; then
	say "warning: xfrm_ha is not loaded"
fi
scenario 1
scenario 0

if ktap_finish; then
	say "VERDICT: PASS: with xfrm-ha the peer dropped ${R[a_drops]:-?} packets and ${R[a_pct]:-?}% (worst path) of the pings got through ha2 after failover; without it the peer dropped ${R[n_drops]:-?} packets"
	exit 0
fi
if [ "${R[agents]:-}" = missing ]; then
	say "VERDICT: FAIL: ${XHA_AGENT#"$XHA_REPO"/} is missing (run make); without agents the peer dropped ${R[n_drops]:-?} packets after failover"
else
	say "VERDICT: FAIL: $ktap_failed of $ktap_n checks failed (see 'not ok' above)"
fi
exit 1
