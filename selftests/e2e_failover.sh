#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# e2e_failover.sh [--verbose] [--phase1 SEC]
#
# End-to-end failover of an HA gateway pair (see lib.sh for the topology),
# run as root with xfrm_ha.ko loaded (inside the selftest VM):
#
#  1. "agents": ha-ike-agent runs on ha1 (active) and ha2 (backup) over the
#     HA link. ESP flows both ways between the peer and the service address
#     on ha1 for PHASE1 seconds; ha2's SAs must follow (oseq = ha1's oseq +
#     oseq-shift, seq = ha1's seq). ha1 then dies, the service address moves
#     to ha2 and each pinger sends half as many packets through ha2 as it
#     sent through ha1 (so that without sync ha2 can never climb past the
#     peer's replay window by itself): the pings must get through and the
#     peer must not drop a single packet as a replay or an ICV failure.
#  2. "no-agents": the same without the agents. ha2 starts from its initial
#     counters, so the peer must drop its ESP: proves that the test can fail.
#
# Four SA pairs cover the replay modes: legacy (32-bit window), bmp
# (128-packet bitmap), esn, and esn starting just before the low 32 bits
# wrap. --verbose (the lab) narrates: SAs, counters, xfrm_stat, verdict.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

PHASE1=${XHA_PHASE1:-6}
while [ $# -gt 0 ]; do
	case $1 in
	-v | --verbose) XHA_VERBOSE=1 ;;
	--phase1) PHASE1=$2; shift ;;
	-h | --help) sed -n '3,/^set -u/{/^#/p}' "$0"; exit 0 ;;
	*) echo "usage: $0 [--verbose] [--phase1 SEC]" >&2; exit 2 ;;
	esac
	shift
done

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
	xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
	say "$(printf '%-5s %-13s %-28s %-28s %s' pair "out SA" "ha1 oseq" "ha2 oseq" "ha2 - ha1")"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r o1 _ <<<"$(xha_out "$XHA_NS_HA1" "$reqid")"
		read -r o2 _ <<<"$(xha_out "$XHA_NS_HA2" "$reqid")"
		say "$(printf '%-5s %-13s %-28s %-28s %+d' "$reqid" "$(mode_label "$om")" "$(xha_fmt "${o1:-0}")" "$(xha_fmt "${o2:-0}")" $((${o2:-0} - ${o1:-0})))"
	done
	say "$(printf '%-5s %-13s %-28s %-28s %s' pair "in SA" "ha1 seq" "ha2 seq" "ha2 - ha1")"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r _ s1 _ <<<"$(xha_in "$XHA_NS_HA1" "$reqid")"
		read -r _ s2 _ <<<"$(xha_in "$XHA_NS_HA2" "$reqid")"
		say "$(printf '%-5s %-13s %-28s %-28s %+d' "$reqid" "$(mode_label "$im")" "$(xha_fmt "${s1:-0}")" "$(xha_fmt "${s2:-0}")" $((${s2:-0} - ${s1:-0})))"
	done
}

# base_set init|ha1: the baseline ha2_beyond compares with: the SAs'
# initial counters, or ha1's counters now.
declare -A BASE_OUT=() BASE_IN=()
base_set() {
	local reqid om im o s
	[ "$1" = ha1 ] && xha_sa_load "$XHA_NS_HA1"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		if [ "$1" = ha1 ]; then
			read -r o _ <<<"$(xha_out "$XHA_NS_HA1" "$reqid")"
			read -r _ s _ <<<"$(xha_in "$XHA_NS_HA1" "$reqid")"
		else
			o=$(xha_mode_init "$om")
			s=$(xha_mode_init "$im")
		fi
		BASE_OUT[$reqid]=${o:-0} BASE_IN[$reqid]=${s:-0}
	done
}

# ha2_beyond: on every pair, ha2's oseq > baseline + oseq-shift and ha2's
# seq > baseline: the agents carried counters newer than the baseline.
ha2_beyond() {
	local reqid om im o s v
	xha_sa_load "$XHA_NS_HA2"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out "$XHA_NS_HA2" "$reqid") || return 1; read -r o _ <<<"$v"
		v=$(xha_in "$XHA_NS_HA2" "$reqid") || return 1; read -r _ s _ <<<"$v"
		[ "${o:-0}" -gt $((BASE_OUT[$reqid] + XHA_OSEQ_SHIFT)) ] || return 1
		[ "${s:-0}" -gt "${BASE_IN[$reqid]}" ] || return 1
	done
}

# warmup: a few packets both ways on every pair, so that the SAs are in
# use (non-zero counters) when the agents start, as in real life.
warmup() {
	local reqid om im ok=0
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		nsx "$XHA_NS_PEER" ping -q -n -c 3 -i 0.05 -W 2 -I "192.168.2.$reqid" "192.168.1.$reqid" >/dev/null || ok=1
	done
	return $ok
}

# ha2_synced: oseq >= ha1's + shift and seq == ha1's, on every pair.
ha2_synced() {
	local reqid om im o1 o2 s1 s2 v
	xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out "$XHA_NS_HA1" "$reqid") || return 1; read -r o1 _ <<<"$v"
		v=$(xha_out "$XHA_NS_HA2" "$reqid") || return 1; read -r o2 _ <<<"$v"
		v=$(xha_in "$XHA_NS_HA1" "$reqid") || return 1; read -r _ s1 _ <<<"$v"
		v=$(xha_in "$XHA_NS_HA2" "$reqid") || return 1; read -r _ s2 _ <<<"$v"
		[ "$o2" -ge $((o1 + XHA_OSEQ_SHIFT)) ] || return 1
		[ "$s2" -eq "$s1" ] || return 1
	done
}

# ha2_untouched: ha2's SAs still hold their initial counters.
ha2_untouched() {
	local reqid om im o s v
	xha_sa_load "$XHA_NS_HA2"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out "$XHA_NS_HA2" "$reqid") || return 1; read -r o _ <<<"$v"
		v=$(xha_in "$XHA_NS_HA2" "$reqid") || return 1; read -r _ s _ <<<"$v"
		[ "$o" -eq "$(xha_mode_init "$om")" ] || return 1
		[ "$s" -eq "$(xha_mode_init "$im")" ] || return 1
	done
}

# peer_snapshot ARRAY: ARRAY[reqid]="drops packets" of the peer's SA
# ha -> peer of every pair; fails if an SA cannot be read.
# shellcheck disable=SC2034 # snap is a nameref to the caller's array
peer_snapshot() {
	local -n snap=$1
	local reqid om im v d p
	snap=()
	xha_sa_load "$XHA_NS_PEER"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		v=$(xha_out "$XHA_NS_PEER" "$reqid") || return 1
		read -r _ _ d p <<<"$v"
		# shellcheck disable=SC2004 # associative: the key needs the $
		snap[$reqid]="$d $p"
	done
}

STATS=(XfrmInStateSeqError XfrmInStateProtoError XfrmInNoStates XfrmInError XfrmInStateInvalid)

# traffic_start WHAT NODE-NS TAG: peer -> ha and NODE -> peer pings on
# every pair, results in $XHA_TMP/ping-TAG-{peer,node}-REQID. WHAT is a
# number of seconds, or the TAG of an earlier phase: then each pinger sends
# half as many packets as it did then (at least 20).
traffic_start() {
	local what=$1 node=$2 tag=$3 reqid om im n who src dst ns
	TRAFFIC_PIDS=()
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		for who in peer node; do
			if [ "$who" = peer ]; then
				src=192.168.2.$reqid dst=192.168.1.$reqid ns=$XHA_NS_PEER
			else
				src=192.168.1.$reqid dst=192.168.2.$reqid ns=$node
			fi
			if [[ $what =~ ^[0-9]+$ ]]; then
				xha_ping_start "$ns" "$src" "$dst" "$what" "$XHA_TMP/ping-$tag-$who-$reqid"
			else
				read -r n _ <<<"$(xha_ping_result "$XHA_TMP/ping-$what-$who-$reqid")"
				n=$((n / 2))
				[ "$n" -ge 20 ] || n=20
				xha_ping_count_start "$ns" "$src" "$dst" "$n" "$XHA_TMP/ping-$tag-$who-$reqid"
			fi
			TRAFFIC_PIDS+=("$XHA_LAST_PID")
		done
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
	[ "$XHA_VERBOSE" = 1 ] || return 0
	local reqid om im
	say "SAs, identical on ha1 and ha2 and mirrored on the peer (tunnel mode, rfc4106(gcm(aes)), 128-bit ICV):"
	say "$(printf '  %-10s  %-22s  %-13s  %s' SPI "outer src -> dst" replay "protects (policy, reqid)")"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		say "$(printf '  %-10s  %-22s  %-13s  %s' "$(xha_out_spi "$reqid")" "$XHA_VIP -> $XHA_PEER_ADDR" "$(mode_label "$om")" "192.168.1.$reqid -> 192.168.2.$reqid ($reqid)")"
		say "$(printf '  %-10s  %-22s  %-13s  %s' "$(xha_in_spi "$reqid")" "$XHA_PEER_ADDR -> $XHA_VIP" "$(mode_label "$im")" "192.168.2.$reqid -> 192.168.1.$reqid ($reqid)")"
	done
	vrun ip -n "$XHA_NS_HA1" xfrm state get src "$XHA_VIP" dst "$XHA_PEER_ADDR" proto esp spi "$(xha_out_spi 4)"
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
		b=$(xha_stat_get "$2" "$n")
		a=$(xha_stat_get "$3" "$n")
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
	if ! warmup; then
		say "$tag: warning: the warm-up pings through ha1 did not all get through"
	fi

	if [ "$agents" = 1 ]; then
		if [ ! -x "$XHA_AGENT" ]; then
			ktap_fail "$tag: ha-ike-agent on ha1 (active) and ha2 (backup) running, ha2 synced" \
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
		# Ready when ha2 holds ha1's warm-up counters (the initial bulk sync).
		base_set init
		local t0=$SECONDS ready=1
		xha_wait_until 30 ha2_beyond || ready=0
		if [ "$ready" = 1 ] && kill -0 "$pid1" 2>/dev/null && kill -0 "$pid2" 2>/dev/null; then
			ktap_pass "$tag: ha-ike-agent on ha1 (active) and ha2 (backup) running, ha2 synced in $((SECONDS - t0))s"
		else
			ktap_fail "$tag: ha-ike-agent on ha1 (active) and ha2 (backup) running, ha2 synced" \
				"$(kill -0 "$pid1" 2>/dev/null || echo "ha1's agent exited; ")$(kill -0 "$pid2" 2>/dev/null || echo "ha2's agent exited; ")ha2 synced: $ready"
			say "agent on ha1:"; say "$(tail -n 20 "$XHA_TMP/agent-ha1.log")"
			say "agent on ha2:"; say "$(tail -n 20 "$XHA_TMP/agent-ha2.log")"
		fi
	fi

	# Phase 1: traffic through ha1.
	vsay "phase 1: ${PHASE1}s of ESP both ways through ha1 (peer pings 192.168.1.N, ha1 pings 192.168.2.N)"
	traffic_start "$PHASE1" "$XHA_NS_HA1" "p1-$tag"
	local live=1
	if [ "$agents" = 1 ]; then
		base_set ha1
		xha_wait_until "$PHASE1" ha2_beyond || live=0
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
			ktap_fail "$tag: ha2's counters follow ha1 while traffic runs" "ha2 did not move past ha1's counters of the start of phase 1"
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
	local stat_before stat_after ha2_stat_before ha2_stat_after readerr=''
	local -A pb=() pa=()
	stat_before=$(xha_xfrm_stats "$XHA_NS_PEER")
	ha2_stat_before=$(xha_xfrm_stats "$XHA_NS_HA2")
	peer_snapshot pb || readerr=1
	vsay "FAILOVER: ha1 dies (agent killed, eth0 down), $XHA_VIP moves to ha2 (gratuitous ARP)"
	if [ -n "$pid1" ]; then
		kill -KILL "$pid1" 2>/dev/null
		wait "$pid1" 2>/dev/null
	fi
	if ! xha_failover; then
		say "warning: the peer cannot reach $XHA_VIP on ha2"
	fi

	# Phase 2: traffic through ha2.
	vsay "phase 2: ESP both ways through ha2, each pinger sending half as many packets as in phase 1"
	traffic_start "p1-$tag" "$XHA_NS_HA2" "p2-$tag"
	xha_wait "${TRAFFIC_PIDS[@]}"
	sleep 0.5
	stat_after=$(xha_xfrm_stats "$XHA_NS_PEER")
	ha2_stat_after=$(xha_xfrm_stats "$XHA_NS_HA2")
	peer_snapshot pa || readerr=1
	case "$stat_before $stat_after" in
	*XfrmInStateSeqError=*XfrmInStateSeqError=*) ;;
	*) readerr=1 ;;
	esac
	[ -n "$readerr" ] && say "$tag: error: cannot read the peer's SAs or /proc/net/xfrm_stat"

	say "$tag: phase 2 (through ha2):"
	traffic_report "p2-$tag" ha2
	show_stat "$tag: peer /proc/net/xfrm_stat across the failover:" "$stat_before" "$stat_after"
	[ "$XHA_VERBOSE" = 1 ] && show_stat "$tag: ha2 /proc/net/xfrm_stat across the failover:" "$ha2_stat_before" "$ha2_stat_after"

	# Per SA ha -> peer at the peer: packets dropped (replay-window + replay
	# + ICV failed) and packets accepted during phase 2.
	local reqid om im db pkb da pka dd dp ddrops=0 hit='' clean='' unused=''
	say "$tag: the peer's SAs ha -> peer during phase 2:"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid om im <<<"$_pair"
		read -r db pkb <<<"${pb[$reqid]:-0 0}"
		read -r da pka <<<"${pa[$reqid]:-0 0}"
		dd=$((da - db)) dp=$((pka - pkb))
		ddrops=$((ddrops + dd))
		say "$(printf '  pair %s %-13s accepted %+6d  dropped %+6d' "$reqid" "$(mode_label "$om")" "$dp" "$dd")"
		if [ "$dd" -gt 0 ]; then hit+=" $reqid"; else clean+=" $reqid"; fi
		[ "$dp" -gt 0 ] || unused+=" $reqid"
	done
	[ "$XHA_VERBOSE" = 1 ] && say "$tag: counters after failover:" && counters_table

	local seqerr protoerr nostates
	seqerr=$(($(xha_stat_get "$stat_after" XfrmInStateSeqError) - $(xha_stat_get "$stat_before" XfrmInStateSeqError)))
	protoerr=$(($(xha_stat_get "$stat_after" XfrmInStateProtoError) - $(xha_stat_get "$stat_before" XfrmInStateProtoError)))
	nostates=$(($(xha_stat_get "$stat_after" XfrmInNoStates) - $(xha_stat_get "$stat_before" XfrmInNoStates)))

	if [ "$agents" = 1 ]; then
		R[a_pct]=$TRAFFIC_MIN_PCT R[a_rx]=$TRAFFIC_RX R[a_tx]=$TRAFFIC_TX
		R[a_drops]=$((ddrops + seqerr + protoerr))
		if [ "$TRAFFIC_MIN_PCT" -ge "$MIN_OK_PCT" ]; then
			ktap_pass "$tag: traffic continues through ha2 after failover"
		else
			ktap_fail "$tag: traffic continues through ha2 after failover" "only $TRAFFIC_MIN_PCT% answered on the worst path"
		fi
		if [ -z "$readerr" ] && [ -z "$hit" ] && [ -z "$unused" ] &&
			[ "$seqerr" -eq 0 ] && [ "$protoerr" -eq 0 ] && [ "$nostates" -eq 0 ]; then
			ktap_pass "$tag: the peer accepted ha2's ESP on every SA and dropped nothing (no replay, ICV or no-state errors)"
		else
			ktap_fail "$tag: the peer accepted ha2's ESP on every SA and dropped nothing (no replay, ICV or no-state errors)" \
				"${readerr:+counters unreadable, }drops on pair(s)${hit:- none}, nothing accepted on pair(s)${unused:- none}, SeqError +$seqerr, ProtoError +$protoerr, NoStates +$nostates"
		fi
		xha_stop "$pid2"
		if [ "$XHA_VERBOSE" = 1 ] || [ "$ktap_failed" -gt 0 ]; then
			say "agent on ha1 (log tail):"; say "$(tail -n 15 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
			say "agent on ha2 (log tail):"; say "$(tail -n 15 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
		fi
	else
		R[n_pct]=$TRAFFIC_MAX_PCT R[n_drops]=$ddrops
		# Every SA ha -> peer must have been hit.
		if [ -z "$readerr" ] && [ -z "$clean" ] && [ $((seqerr + protoerr)) -gt 0 ]; then
			ktap_pass "$tag: the peer drops ha2's ESP as replays/ICV failures on every SA"
		else
			ktap_fail "$tag: the peer drops ha2's ESP as replays/ICV failures on every SA" \
				"${readerr:+counters unreadable, }no drops on pair(s)${clean:- none}, SeqError +$seqerr, ProtoError +$protoerr"
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
say "e2e_failover: $(uname -r), phase 1 ${PHASE1}s, oseq-shift $XHA_OSEQ_SHIFT"
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
