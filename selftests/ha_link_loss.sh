#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# ha_link_loss.sh [--verbose]
#
# The HA link under loss, one-way outages, a bulk sync with a hole and
# kill -9 of either agent (issue 7), run as root with xfrm_ha.ko loaded
# (inside the selftest VM). The topology of lib.sh with PAIRS (500) SA
# pairs, 1000 SAs (see the xll_* helpers in lib.sh): real ESP, udpspray
# sending ha1 -> peer on every out SA and peer -> ha1 on every in SA,
# round-robin, PPS datagrams/s each way. Static roles, ha1 active, ha2
# backup; adaptive-shift off, so that "complete" is exact: on every SA
# ha2 holds oseq = ha1's + oseq-shift and seq = ha1's (an SA whose last
# record was lost stays behind, whatever the shift), and ha2's agent says
# "link up synced". Each case starts from a complete ha2 (if the previous
# case left it stale, ha2's agent is restarted on a clean link first) and
# measures the time to complete again, bounded:
#
#  1. loss: netem "loss 20% delay 5ms 5ms reorder 25%" on hal1 and hal2;
#     traffic on all 1000 SAs for LOSS_TRAFFIC s, then none: ha2 complete
#     within LIMIT_LOSS s of the end of the traffic (loss still on).
#  2. one-way: traffic on, hal1's egress drops everything for 5 s (ha1 ->
#     ha2); the traffic stops 2 s before the end of the outage, so that
#     every SA's last records are lost and the SAs stay idle after it:
#     ha2 complete within LIMIT_ONEWAY s of the end. Then the same with
#     hal2's egress (ha2 -> ha1). Then a short one, 2 s ha1 -> ha2
#     (well below the 3.5 s in which an agent declares the link down:
#     neither end sees an outage, only the lost records tell; 2.8 s
#     measured was too close under TCG), the traffic stopping 0.3 s into it.
#  3. bulk: ha2's agent stopped while traffic runs (ha2 falls behind on
#     every SA); then traffic only on pairs 1..4 (live updates during the
#     bulk), an nft rule in ha2 drops the BULK_DROP-th UDP 4520 datagram
#     above 1000 bytes (a full bulk message; live ones are smaller), and
#     ha2's agent starts: the bulk has a hole in its middle. ha2 complete
#     on the idle SAs (and synced) within LIMIT_BULK s of the start; then
#     on all of them once the live traffic stops.
#  4. kill -9 on a lossy link (netem loss KILL_LOSS both ways: a restart
#     whose bulk loses datagrams): traffic on, ha1's agent killed,
#     restarted 2 s later, traffic stops 2 s after that: ha2 complete
#     within LIMIT_KILL s of the restart. The same with ha2's agent. Then,
#     with the link clean, a failover under traffic: ha1 dies, the service
#     address moves to ha2, which sends on every out SA: the peer accepts
#     and drops nothing (no replay, ICV or no-state error).
#
# The figures (convergence time under loss, time to complete after each
# outage, bulk repair time, kill -9 recovery times) are printed as
# diagnostics and summed up in the VERDICT line.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup' EXIT
trap 'exit 130' INT TERM

XHA_PAIRS=()	# lib.sh's four pairs are not used here
XHA_OSEQ_SHIFT=65536
PAIRS=${XHA_XLL_PAIRS:-500}
PPS=${XHA_XLL_PPS:-1000}		# each way, over all pairs
LOSS_TRAFFIC=${XHA_XLL_LOSS_TRAFFIC:-10}
LIMIT_SETUP=40 LIMIT_LOSS=30 LIMIT_ONEWAY=20 LIMIT_BULK=20 LIMIT_KILL=30
NETEM_LOSS=(loss 20% delay 5ms 5ms reorder 25%)
KILL_LOSS=(loss 10% delay 2ms 2ms)
LIVE=4		# pairs with traffic during the bulk (case 3)
BULK_DROP=5	# the n-th large datagram to ha2 dropped (case 3)
PLAN=9
declare -A PID=() R=()
TRAFFIC=()

ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }

# agent_start N: ha1 active, ha2 backup; waits for the control socket.
agent_start() {
	local role=backup
	[ "$1" = 1 ] && role=active
	rm -f "$XHA_TMP/agent$1.sock"
	xha_agent_start "$(ns_of "$1")" "$(xll_agent_config "$1" "$role")" "$XHA_TMP/agent-ha$1.log.$SECONDS"
	PID[$1]=$XHA_LAST_PID
	ln -sf "agent-ha$1.log.$SECONDS" "$XHA_TMP/agent-ha$1.log"
	xha_wait_until 10 test -S "$XHA_TMP/agent$1.sock"
}
agent_kill9() {
	kill -KILL "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]}" 2>/dev/null
}

# traffic_start: both ways on every pair, the out SAs from ha1.
traffic_start() {
	TRAFFIC=()
	xll_spray_start "$XHA_NS_HA1" out "$PAIRS" "$PPS" "out-$SECONDS" && TRAFFIC+=("$XHA_LAST_PID")
	xll_spray_start "$XHA_NS_PEER" in "$PAIRS" "$PPS" "in-$SECONDS" && TRAFFIC+=("$XHA_LAST_PID")
}
traffic_stop() { xll_spray_stop "${TRAFFIC[@]}"; TRAFFIC=(); }

complete() { xll_synced && CMP=$(xll_compare "$PAIRS" "$XHA_OSEQ_SHIFT" "${SKIP:-0}"); }

# wait_complete LIMIT T0-MS: polls until ha2 is complete, at most LIMIT s
# after T0; sets WAITED (ms from T0 to complete, or to giving up) and CMP
# (the last comparison). SKIP: pairs 1..SKIP left out.
wait_complete() {
	local limit=$1 t0=$2 deadline
	deadline=$((t0 + limit * 1000))
	CMP=''
	while :; do
		if complete; then
			WAITED=$(($(xll_ms) - t0))
			return 0
		fi
		[ -n "$CMP" ] || CMP=$(xll_compare "$PAIRS" "$XHA_OSEQ_SHIFT" "${SKIP:-0}")
		[ "$(xll_ms)" -ge "$deadline" ] && break
		sleep 0.5
		CMP=''
	done
	[ -n "$CMP" ] || CMP=$(xll_compare "$PAIRS" "$XHA_OSEQ_SHIFT" "${SKIP:-0}")
	WAITED=$(($(xll_ms) - t0))
	return 1
}

# why: what is not complete, for a failure message.
why() {
	local s
	xll_synced && s=synced || s="not synced ($(xll_state 2 | grep '^peer node' | head -n1))"
	echo "after $(xll_secs "$WAITED")s: ha2 $s; SAs: $CMP"
}

links() {	# links TAG: the agents' link, stream and bulk lines
	say "$1: ha1: $(xll_link_lines 1)"
	say "$1: ha2: $(xll_link_lines 2)"
}

# ensure_complete TAG: the precondition of a case. A stale ha2 left by the
# previous case is resynced by restarting ha2's agent on a clean link.
ensure_complete() {
	wait_complete 5 "$(xll_ms)" && return 0
	say "$1: ha2 not complete before the case ($CMP): restarting ha2's agent on a clean link"
	agent_kill9 2
	agent_start 2
	wait_complete "$LIMIT_SETUP" "$(xll_ms)" ||
		say "$1: warning: ha2 still not complete: $(why)"
}

fail_rest() {	# fail_rest COUNT REASON
	local i
	for ((i = 0; i < $1; i++)); do ktap_fail "not run" "$2"; done
}

ktap_header
ktap_plan "$PLAN"
say "ha_link_loss: $(uname -r), $PAIRS SA pairs ($((2 * PAIRS)) SAs), $PPS datagrams/s each way, oseq-shift $XHA_OSEQ_SHIFT (adaptive off)"
grep -q '^xfrm_ha ' /proc/modules || say "warning: xfrm_ha is not loaded"
T_START=$SECONDS
xha_tmp_init

# ------------------------------------------------------------- setup

t0=$(xll_ms)
ok=1
for p in "$XHA_AGENT" "$XHA_CLI" "$XLL_SPRAY"; do
	[ -x "$p" ] || { say "setup: ${p#"$XHA_REPO"/} missing (make)"; ok=0; }
done
[ "$ok" = 1 ] && { xha_topo_up && xll_sas_install "$PAIRS" || ok=0; }
t1=$(xll_ms)
if [ "$ok" = 1 ]; then
	say "setup: topology and $((2 * PAIRS)) SAs on 3 nodes in $(xll_secs $((t1 - t0)))s"
	agent_start 2 && agent_start 1 || ok=0
fi
if [ "$ok" = 1 ]; then
	traffic_start
	sleep 4
	traffic_stop
	ts=$(xll_ms)
	wait_complete "$LIMIT_SETUP" "$ts" || ok=0
	say "setup: warm-up traffic: $(cat "$XHA_TMP"/spray-* | grep final | tr '\n' ' ')"
	say "setup: ha2 complete $(xll_secs "$WAITED")s after the traffic: $CMP"
fi
ktap_result $((1 - ok)) "setup: $((2 * PAIRS)) SAs with traffic, agents up, ha2 complete (oseq = ha1's + $XHA_OSEQ_SHIFT, seq = ha1's on every SA)" \
	"$( [ -n "${CMP:-}" ] && why)"
if [ "$ok" = 0 ]; then
	say "agent on ha1:"; say "$(tail -n 20 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
	say "agent on ha2:"; say "$(tail -n 20 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
	fail_rest $((PLAN - 1)) "setup failed"
	ktap_finish
	exit 1
fi
links setup

# ------------------------------------------------------ 1. 20% loss

if ! xll_netem hal1 "$XHA_NS_HA1" "${NETEM_LOSS[@]}" || ! xll_netem hal2 "$XHA_NS_HA2" "${NETEM_LOSS[@]}"; then
	say "loss: warning: netem failed"
fi
traffic_start
sleep "$LOSS_TRAFFIC"
traffic_stop
ts=$(xll_ms)
if wait_complete "$LIMIT_LOSS" "$ts"; then rc=0; else rc=1; fi
R[loss]=$(xll_secs "$WAITED")s
[ "$rc" = 0 ] || R[loss]="not within ${LIMIT_LOSS}s"
say "loss: $(tc -n "$XHA_NS_HA1" -s qdisc show dev hal1 | grep -Eo 'Sent [0-9]+ bytes [0-9]+ pkt \(dropped [0-9]+' | head -n1) (hal1)"
say "loss: ${NETEM_LOSS[*]} both ways, ${LOSS_TRAFFIC}s of traffic on $((2 * PAIRS)) SAs: ha2 complete: ${R[loss]} after the traffic; $CMP"
links loss
ktap_result "$rc" "loss: 20% loss + reordering on the HA link, traffic on $((2 * PAIRS)) SAs: ha2 complete within ${LIMIT_LOSS}s of the end of the traffic (${R[loss]})" "$(why)"
xll_netem hal1 "$XHA_NS_HA1" clear
xll_netem hal2 "$XHA_NS_HA2" clear

# --------------------------------------------------- 2. one-way loss

# oneway NODE SECONDS TRAFFIC-SECONDS [TAG]: NODE's HA link egress drops
# everything for SECONDS, the traffic stopping TRAFFIC-SECONDS into it.
oneway() {
	local n=$1 len=$2 tlen=$3 tag=${4:-} dir t0 ta
	if [ "$n" = 1 ]; then dir="ha1 -> ha2"; else dir="ha2 -> ha1"; fi
	[ -n "$tag" ] || tag=oneway$n$((3 - n))
	ensure_complete "$tag"
	traffic_start
	sleep 1
	# From before tc starts to after it ends: an upper bound of the
	# outage (a tc exec takes a few hundred ms under TCG).
	ta=$(xll_ms)
	xll_netem "hal$n" "$(ns_of "$n")" loss 100% || say "$tag: warning: netem failed"
	sleep "$tlen"
	traffic_stop
	sleep "$(awk -v a="$len" -v t="$(($(xll_ms) - ta))" 'BEGIN { d = a - t / 1000; print (d > 0 ? d : 0) }')"
	xll_netem "hal$n" "$(ns_of "$n")" clear
	t0=$(xll_ms)
	if wait_complete "$LIMIT_ONEWAY" "$t0"; then rc=0; else rc=1; fi
	R[$tag]=$(xll_secs "$WAITED")s
	[ "$rc" = 0 ] || R[$tag]="not within ${LIMIT_ONEWAY}s"
	say "$tag: $(xll_secs $((t0 - ta)))s of 100% loss $dir (traffic stopped ${tlen}s into it): ha2 complete ${R[$tag]} after it; $CMP"
	links "$tag"
	ktap_result "$rc" "$tag: ${len}s one-way outage $dir under traffic: ha2 complete and synced within ${LIMIT_ONEWAY}s of its end (${R[$tag]})" "$(why)"
}
oneway 1 5 3
oneway 2 5 3
oneway 1 2 0.3 oneway12short

# ------------------------------------------------ 3. bulk with a hole

ensure_complete bulk
xha_stop "${PID[2]}"
traffic_start
sleep 3
traffic_stop
sleep 1.5
behind=$(xll_compare "$PAIRS" "$XHA_OSEQ_SHIFT")
say "bulk: ha2's agent stopped during 3 s of traffic: $behind"
xll_spray_start "$XHA_NS_HA1" out "$LIVE" 20 "live-out" && TRAFFIC+=("$XHA_LAST_PID")
xll_spray_start "$XHA_NS_PEER" in "$LIVE" 20 "live-in" && TRAFFIC+=("$XHA_LAST_PID")
nsx "$XHA_NS_HA2" nft -f - <<EOF || say "bulk: warning: nft in ha2 failed"
table inet xll {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport $XHA_HA_PORT ip length > 1000 counter numgen inc mod 1000000 $((BULK_DROP - 1)) counter drop
	}
}
EOF
t0=$(xll_ms)
agent_start 2
SKIP=$LIVE
if wait_complete "$LIMIT_BULK" "$t0"; then rc=0; else rc=1; fi
SKIP=0
R[bulk]=$(xll_secs "$WAITED")s
[ "$rc" = 0 ] || R[bulk]="not within ${LIMIT_BULK}s"
cnt=$(nsx "$XHA_NS_HA2" nft list table inet xll 2>/dev/null | grep -o 'packets [0-9]*' | awk '{ printf "%s%s", s, $2; s = "/" }')
say "bulk: large datagrams to ha2 / dropped: ${cnt:-?}; idle SAs complete ${R[bulk]} after ha2's agent started; $CMP"
links bulk
[ "${cnt#*/}" = 1 ] || { rc=1; say "bulk: error: the nft rule did not drop exactly one datagram"; }
ktap_result "$rc" "bulk: a bulk sync with its $BULK_DROP-th large datagram dropped, live traffic on $LIVE pairs: ha2 complete on the other SAs and synced within ${LIMIT_BULK}s (${R[bulk]})" \
	"$(why); large/dropped ${cnt:-?}"
traffic_stop
nsx "$XHA_NS_HA2" nft delete table inet xll 2>/dev/null
if ! wait_complete 10 "$(xll_ms)"; then
	say "bulk: after the live traffic stopped: not complete: $(why)"
fi

# -------------------------------------------------- 4. kill -9, restart

# killrestart N: kill -9 agent N under traffic, restart it 2 s later.
killrestart() {
	local n=$1 tag=kill$1 t0 tk
	ensure_complete "$tag"
	if ! xll_netem hal1 "$XHA_NS_HA1" "${KILL_LOSS[@]}" || ! xll_netem hal2 "$XHA_NS_HA2" "${KILL_LOSS[@]}"; then
		say "$tag: warning: netem failed"
	fi
	traffic_start
	sleep 2
	agent_kill9 "$n"
	tk=$(xll_ms)
	sleep 2
	agent_start "$n"
	t0=$(xll_ms)
	sleep 2
	traffic_stop
	if wait_complete "$LIMIT_KILL" "$t0"; then rc=0; else rc=1; fi
	R[$tag]=$(xll_secs "$WAITED")s
	[ "$rc" = 0 ] || R[$tag]="not within ${LIMIT_KILL}s"
	say "$tag: ha$n's agent killed (-9) under traffic, started again 2 s later (its control socket up $(xll_secs $((t0 - tk)))s after the kill), traffic stopped 2 s after that, ${KILL_LOSS[*]} on the link: ha2 complete ${R[$tag]} after the restart; $CMP"
	links "$tag"
	ktap_result "$rc" "$tag: kill -9 of ha$n's agent under traffic, restart: ha2 complete and synced within ${LIMIT_KILL}s of the restart (${R[$tag]})" "$(why)"
	xll_netem hal1 "$XHA_NS_HA1" clear
	xll_netem hal2 "$XHA_NS_HA2" clear
}
killrestart 1
killrestart 2

# Failover under traffic: the peer must accept ha2's ESP on every out SA.
ensure_complete failover
peer_out() {	# "packets drops" summed over the peer's out SAs (VIP -> peer)
	xha_sa_load "$XHA_NS_PEER"
	local i p=0 d=0 v dd pp
	for ((i = 1; i <= PAIRS; i++)); do
		v=$(xha_sa "$XHA_NS_PEER" $((XLL_OUT_BASE + i))) || { echo "? ?"; return; }
		read -r _ _ dd pp <<<"$v"
		p=$((p + pp)) d=$((d + dd))
	done
	echo "$p $d"
}
traffic_start
sleep 3
agent_kill9 1
xll_spray_stop "${TRAFFIC[0]}"
xha_failover || say "failover: warning: the peer cannot reach $XHA_VIP on ha2"
# After ha1 is gone (the peer's SAs count ha1's packets until then).
read -r pk0 dr0 <<<"$(peer_out)"
s0=$(xha_xfrm_stats "$XHA_NS_PEER")
h0=$(xha_xfrm_stats "$XHA_NS_HA2")
xll_spray_start "$XHA_NS_HA2" out "$PAIRS" "$PPS" "out-ha2" && TRAFFIC[0]=$XHA_LAST_PID
sleep 4
traffic_stop
sleep 0.5
read -r pk1 dr1 <<<"$(peer_out)"
s1=$(xha_xfrm_stats "$XHA_NS_PEER")
h1=$(xha_xfrm_stats "$XHA_NS_HA2")
se=$(($(xha_stat_get "$s1" XfrmInStateSeqError) - $(xha_stat_get "$s0" XfrmInStateSeqError)))
pe=$(($(xha_stat_get "$s1" XfrmInStateProtoError) - $(xha_stat_get "$s0" XfrmInStateProtoError)))
nst=$(($(xha_stat_get "$s1" XfrmInNoStates) - $(xha_stat_get "$s0" XfrmInNoStates)))
hse=$(($(xha_stat_get "$h1" XfrmInStateSeqError) - $(xha_stat_get "$h0" XfrmInStateSeqError)))
read -r tx2 _ <<<"$(xll_spray_tx out-ha2)"
say "failover: ha2 sent ${tx2:-?} on the out SAs; the peer accepted $((pk1 - pk0)), dropped $((dr1 - dr0)) on them; peer XfrmInStateSeqError +$se ProtoError +$pe NoStates +$nst; ha2 XfrmInStateSeqError +$hse"
[ $((pk1 - pk0)) -gt 0 ] && [ "$dr1" = "$dr0" ] && [ "$se" = 0 ] && [ "$pe" = 0 ] && [ "$nst" = 0 ] && [ "$hse" = 0 ]
ktap_result $? "failover: after the kills, a failover under traffic: the peer accepts ha2's ESP on the out SAs and drops nothing" \
	"accepted $((pk1 - pk0)), dropped $((dr1 - dr0)), SeqError +$se, ProtoError +$pe, NoStates +$nst, ha2 SeqError +$hse"

if [ "$ktap_failed" -gt 0 ] || [ "$XHA_VERBOSE" = 1 ]; then
	say "agent on ha1 (log tail):"; say "$(tail -n 12 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
	say "agent on ha2 (log tail):"; say "$(tail -n 12 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
fi
xha_stop "${PID[2]}"
say "ha_link_loss: $((SECONDS - T_START))s"
FIG="convergence under 20% loss ${R[loss]:-?}; one-way outage ha1->ha2 ${R[oneway12]:-?}, ha2->ha1 ${R[oneway21]:-?}, 2 s ha1->ha2 ${R[oneway12short]:-?}; bulk repair ${R[bulk]:-?}; kill -9 recovery ha1 ${R[kill1]:-?}, ha2 ${R[kill2]:-?}"
if ktap_finish; then
	say "VERDICT: PASS: $FIG"
	exit 0
fi
say "VERDICT: FAIL: $ktap_failed of $ktap_n checks failed; $FIG"
exit 1
