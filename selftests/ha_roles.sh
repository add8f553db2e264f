#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# ha_roles.sh [--verbose]
#
# Roles that change at run time, in both directions, while ESP flows. The
# topology of lib.sh (ha1, ha2, peer, four SA pairs); both agents listen
# to an externally driven HA group "vpn" that the test sets with
# "ha-ike group vpn STATE", as a keepalived notify script would. A fake
# charon reads each node's ha plugin control FIFO and logs what the agent
# writes there.
#
#  1. roles: ha1 master, ha2 backup; the agents follow, charon is told
#     +1 / -1, ha2 ends synced and releases its keepalived hold-off.
#  2. failover while traffic flows: ha1 dies (agent killed, links down),
#     the service address moves to ha2, which becomes master: the peer
#     drops nothing and traffic resumes.
#  3. failback: ha1 comes back with a fresh agent. It holds off (track
#     file 1) until its bulk sync from ha2 completes, and it holds ha2's
#     counters plus the shift: counters are carried back. Then, while
#     traffic flows, ha2 steps down and ha1 takes over: the peer drops
#     nothing.
#  4. a second failover, ha1 -> ha2, while traffic flows: nothing left over.
#     Then ha2's agent is restarted: it comes back active.
#  5. split brain: both masters. Both agents report it, and no counter on
#     either node goes down.
#  control, between 2 and 3: ha1 back with its stale counters and no agent
#     takes the address: the peer must drop its ESP, which proves that
#     the failback checks can fail.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'roles_cleanup' EXIT
trap 'exit 130' INT TERM

PLAN=16
TRAFFIC_S=${XHA_ROLES_TRAFFIC_S:-8}	# each traffic run
SWITCH_AT=3				# seconds into it
MIN_OK_PCT=70				# pings answered across a switch
STATS=(XfrmInStateSeqError XfrmInStateProtoError)
declare -A PID=() CFG=()

roles_cleanup() {
	local n
	for n in 1 2; do
		# Unblock a fake charon waiting in open().
		[ -p "$XHA_TMP/charon$n.ha" ] && timeout 1 sh -c "echo > '$XHA_TMP/charon$n.ha'" 2>/dev/null
	done
	xha_cleanup
}

ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }
other() { echo $((3 - $1)); }
sock() { echo "$XHA_TMP/agent$1.sock"; }

# fake_charon N: reads node N's control FIFO the way charon does (one read
# per open) and logs every command to charonN.log.
fake_charon() {
	local f=$XHA_TMP/charon$1.ha log=$XHA_TMP/charon$1.log
	rm -f "$f"
	mkfifo -m 0600 "$f"
	: >"$log"
	(
		while [ -p "$f" ]; do
			v=$(cat "$f")
			[ -n "$v" ] && echo "$v" >>"$log"
		done
	) &
	XHA_PIDS+=("$!")
}
charon_last() { tail -n 1 "$XHA_TMP/charon$1.log" 2>/dev/null; }

agent_start() {	# agent_start N
	xha_agent_start "$(ns_of "$1")" "${CFG[$1]}" "$XHA_TMP/agent-ha$1.log"
	PID[$1]=$XHA_LAST_PID
	xha_wait_until 10 test -S "$(sock "$1")"
}
agent_kill() {	# agent_kill N
	[ -n "${PID[$1]:-}" ] && kill -KILL "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]:-}" 2>/dev/null
	PID[$1]=
}
group() {	# group N STATE
	nsx "$(ns_of "$1")" "$XHA_CLI" group vpn "$2" socket "$(sock "$1")" >/dev/null
}
state_of() { nsx "$(ns_of "$1")" "$XHA_CLI" show state socket "$(sock "$1")" 2>&1; }
role_is() { state_of "$1" | grep -q "role $2 "; }
track_is() { [ "$(cat "$XHA_TMP/track$1" 2>/dev/null)" = "$2" ]; }

# synced FROM TO: on every pair TO's oseq >= FROM's + shift and TO's seq
# >= FROM's (higher where TO itself received packets FROM never saw).
synced() {
	local a b reqid o1 o2 s1 s2 v
	a=$(ns_of "$1") b=$(ns_of "$2")
	xha_sa_load "$a" "$b"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid _ <<<"$_pair"
		v=$(xha_out "$a" "$reqid") || return 1; read -r o1 _ <<<"$v"
		v=$(xha_out "$b" "$reqid") || return 1; read -r o2 _ <<<"$v"
		v=$(xha_in "$a" "$reqid") || return 1; read -r _ s1 _ <<<"$v"
		v=$(xha_in "$b" "$reqid") || return 1; read -r _ s2 _ <<<"$v"
		[ "$o2" -ge $((o1 + XHA_OSEQ_SHIFT)) ] && [ "$s2" -ge "$s1" ] || return 1
	done
}

# snapshot ARRAY: every counter of both nodes, "NS SPI" -> "oseq seq".
snapshot() {
	local -n snap=$1
	local k o s
	snap=()
	xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
	for k in "${!XHA_SA[@]}"; do
		read -r o s _ <<<"${XHA_SA[$k]}"
		snap[$k]="$o $s"
	done
}
# never_lower A B: no counter of snapshot B is below snapshot A.
never_lower() {
	local -n x=$1 y=$2
	local k o1 s1 o2 s2
	for k in "${!x[@]}"; do
		read -r o1 s1 <<<"${x[$k]}"
		read -r o2 s2 <<<"${y[$k]:-0 0}"
		if [ "$o2" -lt "$o1" ] || [ "$s2" -lt "$s1" ]; then
			say "lowered: $k ${x[$k]} -> ${y[$k]:-none}"
			return 1
		fi
	done
}

move_vip() {	# move_vip FROM TO
	ip -n "$(ns_of "$1")" addr del "$XHA_VIP/24" dev eth0 2>/dev/null
	ip -n "$(ns_of "$2")" addr add "$XHA_VIP/24" dev eth0 2>/dev/null
	command -v busybox >/dev/null &&
		nsx "$(ns_of "$2")" timeout 5 busybox arping -U -c 1 -I eth0 "$XHA_VIP" >/dev/null 2>&1
	ip -n "$XHA_NS_PEER" neigh flush dev eth0
}

# run_switch LABEL ACTION...: pings from the peer on every pair for
# TRAFFIC_S seconds; ACTION runs SWITCH_AT seconds in. Sets SW_DROPS (the
# peer's replay/ICV drops and failed SAs) and SW_PCT (worst pair's answers).
run_switch() {
	local label=$1 reqid before after pids=() tx rx p d0 d1
	shift
	local -A pb=()
	before=$(xha_xfrm_stats "$XHA_NS_PEER")
	xha_sa_load "$XHA_NS_PEER"
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid _ <<<"$_pair"
		read -r _ _ d0 _ <<<"$(xha_out "$XHA_NS_PEER" "$reqid")"
		pb[$reqid]=${d0:-0}
		xha_ping_start "$XHA_NS_PEER" "192.168.2.$reqid" "192.168.1.$reqid" "$TRAFFIC_S" "$XHA_TMP/ping-$label-$reqid"
		pids+=("$XHA_LAST_PID")
	done
	sleep "$SWITCH_AT"
	"$@"
	xha_wait "${pids[@]}"
	after=$(xha_xfrm_stats "$XHA_NS_PEER")
	SW_DROPS=0
	for n in "${STATS[@]}"; do
		SW_DROPS=$((SW_DROPS + $(xha_stat_get "$after" "$n") - $(xha_stat_get "$before" "$n")))
	done
	xha_sa_load "$XHA_NS_PEER"
	SW_PCT=100
	for _pair in "${XHA_PAIRS[@]}"; do
		read -r reqid _ <<<"$_pair"
		read -r _ _ d1 _ <<<"$(xha_out "$XHA_NS_PEER" "$reqid")"
		SW_DROPS=$((SW_DROPS + ${d1:-0} - pb[$reqid]))
		read -r tx rx <<<"$(xha_ping_result "$XHA_TMP/ping-$label-$reqid")"
		p=$((tx ? rx * 100 / tx : 0))
		[ "$p" -lt "$SW_PCT" ] && SW_PCT=$p
	done
	say "$label: peer drops $SW_DROPS, worst pair answered $SW_PCT%"
}

die_ha() {	# die_ha N: the node dies: agent killed, every link down
	agent_kill "$1"
	rm -f "$(sock "$1").state"	# its /run does not survive the reboot
	ip -n "$(ns_of "$1")" link set eth0 down
	ip -n "$(ns_of "$1")" link set "hal$1" down
}

revive_ha1() {	# eth0 back up, with the route that went with it
	ip -n "$XHA_NS_HA1" link set eth0 up
	ip -n "$XHA_NS_HA1" route replace 192.168.2.0/24 via "$XHA_PEER_ADDR" dev eth0
}

takeover() {	# takeover FROM TO: the VRRP master moves, as keepalived does it
	move_vip "$1" "$2"
	group "$2" master
}
failover_dead() {	# ha1 dies, ha2 takes over
	die_ha 1
	takeover 1 2
}
switchover() {	# switchover FROM TO: planned, both alive
	group "$1" backup
	takeover "$1" "$2"
}

result() {	# result RC NAME [WHY]
	if [ "$1" = 0 ]; then ktap_pass "$2"; else ktap_fail "$2" "${3:-}"; fi
}

logs_on_failure() {
	[ "$ktap_failed" -gt 0 ] || [ "$XHA_VERBOSE" = 1 ] || return 0
	local n
	for n in 1 2; do
		say "agent on ha$n (log tail):"; say "$(tail -n 25 "$XHA_TMP/agent-ha$n.log" 2>/dev/null)"
		say "charon$n FIFO: $(tr '\n' ' ' <"$XHA_TMP/charon$n.log" 2>/dev/null)"
	done
}

# ---------------------------------------------------------------- main

ktap_header
ktap_plan "$PLAN"
say "ha_roles: $(uname -r), oseq-shift $XHA_OSEQ_SHIFT, ${TRAFFIC_S}s traffic per switch"

xha_tmp_init
if ! xha_topo_up || ! xha_sas_install || [ ! -x "$XHA_AGENT" ] || [ ! -x "$XHA_CLI" ]; then
	ktap_fail "setup: topology, SAs, agent and CLI" "setup failed or not built (run make)"
	for ((i = 1; i < PLAN; i++)); do ktap_fail "not run" "setup failed"; done
	ktap_finish
	exit 1
fi
ktap_pass "setup: topology, SAs, agent and CLI"
for _pair in "${XHA_PAIRS[@]}"; do
	read -r reqid _ <<<"$_pair"
	nsx "$XHA_NS_PEER" ping -q -n -c 3 -i 0.05 -W 2 -I "192.168.2.$reqid" "192.168.1.$reqid" >/dev/null
done

for n in 1 2; do
	fake_charon "$n"
	CFG[$n]=$(xha_agent_config "$n" external "hal$n" \
		"$([ "$n" = 1 ] && echo "$XHA_HAL1_ADDR" || echo "$XHA_HAL2_ADDR")" \
		"$([ "$n" = 1 ] && echo "$XHA_HAL2_ADDR" || echo "$XHA_HAL1_ADDR")" \
		"\"strongswan\": {\"control-fifo\": \"$XHA_TMP/charon$n.ha\"}")
	agent_start "$n"
done
vrun cat "${CFG[1]}"

# 1. Roles follow the group; charon is told; ha2 syncs and stops holding off.
group 1 master && group 2 backup
xha_wait_until 5 role_is 1 active && xha_wait_until 5 role_is 2 backup &&
	xha_wait_until 5 test "$(charon_last 1)" = +1 && xha_wait_until 5 test "$(charon_last 2)" = -1
result $? "roles follow the HA group: ha1 active (charon +1), ha2 backup (charon -1)" \
	"ha1: $(state_of 1 | head -n 1), charon1 '$(charon_last 1)'; ha2: $(state_of 2 | head -n 1), charon2 '$(charon_last 2)'"
xha_wait_until 15 synced 1 2 && xha_wait_until 5 track_is 2 0 && track_is 1 0
result $? "ha2 synced from ha1 (oseq >= ha1 + shift, seq >= ha1's) and its hold-off released (track file 0)" \
	"track1 $(cat "$XHA_TMP/track1" 2>/dev/null), track2 $(cat "$XHA_TMP/track2" 2>/dev/null)"
nsx "$XHA_NS_HA1" "$XHA_CLI" group other master socket "$(sock 1)" >/dev/null 2>&1
rc1=$?
out=$(nsx "$XHA_NS_HA1" "$XHA_CLI" group vpn leader socket "$(sock 1)" 2>&1)
rc2=$?
[ "$rc1" = 1 ] && [ "$rc2" = 2 ] && role_is 1 active
result $? "ha-ike group refuses an unknown group (exit 1) and an unknown state (exit 2), changing nothing" "exit $rc1/$rc2: $out"

# 2. Failover while traffic flows.
vsay "failover: ha1 dies while the peer pings through it; ha2 takes over"
run_switch failover failover_dead
[ "$SW_DROPS" = 0 ] && [ "$SW_PCT" -ge "$MIN_OK_PCT" ]
result $? "failover while traffic flows: the peer dropped nothing, traffic resumed through ha2" \
	"drops $SW_DROPS, worst $SW_PCT%"
role_is 2 active && test "$(charon_last 2)" = +1
result $? "ha2 is active and charon on ha2 got +1" "$(state_of 2 | head -n 2 | tr '\n' ' ')"

# Control: ha1 comes back without its agent, with the counters it had
# when it died, and takes over: the peer must drop its ESP. This is what
# every failback looked like before run-time roles.
vsay "control: ha1 back with stale counters and no agent takes the address"
revive_ha1
run_switch control move_vip 2 1
CONTROL_DROPS=$SW_DROPS
[ "$SW_DROPS" -gt 0 ]
result $? "control: a failback to a node with stale counters makes the peer drop its ESP" "drops $SW_DROPS"
move_vip 1 2

# 3. Failback: ha1 rejoins, holds off until synced, takes ha2's counters.
vsay "failback: ha1 comes back with a fresh agent, as a backup"
fake_charon 1
agent_start 1
group 1 backup
sleep 2
track_is 1 1 && ! synced 2 1
result $? "a rejoining node without the HA link holds off keepalived (track file 1) and is not synced" \
	"track1 $(cat "$XHA_TMP/track1" 2>/dev/null)"
ip -n "$XHA_NS_HA1" link set hal1 up
xha_wait_until 15 synced 2 1 && xha_wait_until 5 track_is 1 0
result $? "with the HA link back, ha1 syncs from ha2 (counters carried back, plus the shift) and releases its hold-off" \
	"track1 $(cat "$XHA_TMP/track1" 2>/dev/null)"
run_switch failback switchover 2 1
[ "$SW_DROPS" = 0 ] && [ "$SW_PCT" -ge "$MIN_OK_PCT" ]
result $? "failback while traffic flows: the peer dropped nothing, traffic resumed through ha1" \
	"drops $SW_DROPS, worst $SW_PCT%"
role_is 1 active && role_is 2 backup && test "$(charon_last 1)" = +1 && test "$(charon_last 2)" = -1
result $? "after failback ha1 is active (charon +1), ha2 backup (charon -1)" \
	"charon1 '$(charon_last 1)' charon2 '$(charon_last 2)'"
xha_wait_until 15 synced 1 2 && track_is 2 0
result $? "ha2, now backup, asked for a bulk sync and holds ha1's counters" "track2 $(cat "$XHA_TMP/track2" 2>/dev/null)"

# 4. A second failover: nothing left over from the first.
run_switch second switchover 1 2
[ "$SW_DROPS" = 0 ] && [ "$SW_PCT" -ge "$MIN_OK_PCT" ] && role_is 2 active
result $? "second failover (ha1 -> ha2) while traffic flows: the peer dropped nothing" \
	"drops $SW_DROPS, worst $SW_PCT%"

# An agent restarted on the active node (external group) stays active: it
# takes back the state it was last given, and charon is not told -1.
agent_kill 2
agent_start 2
xha_wait_until 5 role_is 2 active && test "$(charon_last 2)" = +1 &&
	xha_wait_until 10 synced 2 1
result $? "ha2's agent restarted while active comes back active (charon not deactivated) and ha1 syncs from it" \
	"$(state_of 2 | head -n 2 | tr '\n' ' ') charon2 '$(charon_last 2)'"

# 5. Split brain: both masters.
declare -A SB0=() SB1=()	# filled through namerefs
snapshot SB0
group 1 master
xha_wait_until 5 sh -c "'$XHA_CLI' show state socket '$(sock 1)' | grep -q 'split-brain YES'" &&
	xha_wait_until 5 sh -c "'$XHA_CLI' show state socket '$(sock 2)' | grep -q 'split-brain YES'" &&
	grep -q "SPLIT BRAIN" "$XHA_TMP/agent-ha1.log" && grep -q "SPLIT BRAIN" "$XHA_TMP/agent-ha2.log"
result $? "split brain (both master) is reported by both agents (show state, log)" "$(state_of 1 | grep peer)"
for _pair in "${XHA_PAIRS[@]}"; do	# both send while split
	read -r reqid _ <<<"$_pair"
	nsx "$XHA_NS_HA1" ping -q -n -c 5 -i 0.02 -W 1 -I "192.168.1.$reqid" "192.168.2.$reqid" >/dev/null
	nsx "$XHA_NS_PEER" ping -q -n -c 5 -i 0.02 -W 1 -I "192.168.2.$reqid" "192.168.1.$reqid" >/dev/null
done
group 1 backup
xha_wait_until 5 sh -c "'$XHA_CLI' show state socket '$(sock 1)' | grep -q 'split-brain no'"
snapshot SB1
never_lower SB0 SB1 && xha_wait_until 15 synced 2 1
result $? "after the split brain no counter went down on either node, and the new backup took the active's counters"

logs_on_failure
xha_stop "${PID[1]:-}" "${PID[2]:-}"
if ktap_finish; then
	say "VERDICT: PASS: roles changed both ways under traffic with 0 drops at the peer; the stale-counter control made it drop ${CONTROL_DROPS:-?}"
	exit 0
fi
say "VERDICT: FAIL: $ktap_failed of $ktap_n checks failed"
exit 1
