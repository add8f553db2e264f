#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# ha_link_attack.sh [--verbose]
#
# An attacker on the HA link (issue 7), run as root with xfrm_ha.ko loaded
# (inside the selftest VM). lib.sh's topology with the HA link on a bridge
# and a third namespace, mallory, on it (xha_halink_bridge). ha1 (active)
# and ha2 (backup) run their agents; ESP flows on pairs 1-3 all along, pair
# 4 stays idle. tcpdump on hal2 records the genuine datagrams (not
# mallory's: replaying a forged copy would count under another reason).
# Once ha2 is synced, mallory sends (selftests/hainject), with the source spoofed to
# the genuine peer's address and port:
#
#   forged (a genuine header, random bytes), replayed SEQNUM, KEEPALIVE and
#   HELLO, truncated, bit-flipped header and ciphertext, sealed with a
#   wrong key, oversized, wrong version, a SEQNUM with a record raising
#   pair 4 sealed with a wrong key; to ha1, replayed KEEPALIVEs and HELLOs
#   of ha2; and
#   from mallory's own address or another port (bad-source).
#
# Checks: each kind counted, exactly, under its reason (show state's
# link-rejected line), no counter of ha2's idle pair 4 changed, the link up
# on both nodes at every sample (every ~0.3 s) throughout. Then the active
# agent is restarted while mallory replays its previous boot's HELLOs at
# 5 Hz for 10 s: the restarted agent must be verified and the link up
# within 5 s, and stay up. Control, last (it takes a seq of the active's
# stream): the same pair-4 record sealed with the genuine key does change
# ha2's SA (the SA check can fail).
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup; xha_halink_down' EXIT
trap 'exit 130' INT TERM

INJ=$XHA_SELFTESTS/hainject
N=40			# datagrams per kind
UP_WITHIN=5		# s: the restarted active verified despite old HELLOs
TRAFFIC=150		# s of ESP, longer than the test
PLAN=21

declare -A AGENT_PID=()
sock() { echo "$XHA_TMP/agent$1.sock"; }
rej() { xha_link_rejected "$(sock "$1")" "$2"; }
# counts NODE: its link-rejected and link-stats lines, for the narration.
counts() { "$XHA_CLI" show state socket "$(sock "$1")" 2>/dev/null | grep -E '^link-(rejected|stats) '; }
link_up() { xha_link_line "$(sock "$1")" | grep -q ' link up '; }
synced() { xha_link_line "$(sock "$1")" | grep -q ' link up synced'; }

start_agent() {	# start_agent NODE
	local ns=$XHA_NS_HA1 st=active cfg
	[ "$1" = 2 ] && ns=$XHA_NS_HA2 st=backup
	if [ "$1" = 1 ]; then
		cfg=$(xha_agent_config 1 $st hal1 "$XHA_HAL1_ADDR" "$XHA_HAL2_ADDR")
	else
		cfg=$(xha_agent_config 2 $st hal2 "$XHA_HAL2_ADDR" "$XHA_HAL1_ADDR")
	fi
	xha_agent_start "$ns" "$cfg" "$XHA_TMP/agent-ha$1.log"
	AGENT_PID[$1]=$XHA_LAST_PID
}

# inject NODE(target) FROM-NODE MODE [ARGS...]: mallory sends, spoofed as
# FROM-NODE's address and port, to NODE. Prints the number sent.
inject() {
	local to=$1 from=$2 mode=$3
	shift 3
	local d=$XHA_HAL2_ADDR s=$XHA_HAL1_ADDR
	[ "$to" = 1 ] && d=$XHA_HAL1_ADDR s=$XHA_HAL2_ADDR
	nsx "$XHA_NS_MALLORY" "$INJ" -s "$s" -p "$XHA_HA_PORT" -d "$d" -P "$XHA_HA_PORT" \
		-N "$from" -k "$(xha_keyfile)" "$@" "$mode" 2>>"$XHA_TMP/hainject.err" | sed -n 's/^sent //p'
}

# monitor: both nodes' link lines, every ~0.3 s, into $XHA_TMP/mon.
monitor() {
	while :; do
		printf '%s 1 %s\n' "$SECONDS" "$(xha_link_line "$(sock 1)")"
		printf '%s 2 %s\n' "$SECONDS" "$(xha_link_line "$(sock 2)")"
		sleep 0.3
	done >>"$XHA_TMP/mon"
}

pair4() { xha_sa_load "$XHA_NS_HA2"; echo "out $(xha_out "$XHA_NS_HA2" 4) in $(xha_in "$XHA_NS_HA2" 4)"; }

ktap_header
ktap_plan "$PLAN"
xha_tmp_init
xha_topo_up || { say "topology failed"; exit 1; }
xha_halink_bridge || { say "HA link bridge failed"; exit 1; }
xha_sas_install || { say "SA install failed"; exit 1; }

MAL_MAC=$(ip -n "$XHA_NS_MALLORY" -br link show hal0 | awk '{ print $3 }')
nsx "$XHA_NS_HA2" tcpdump -q -U -n -i hal2 -w "$XHA_TMP/cap.pcap" \
	"udp port $XHA_HA_PORT and not ether src $MAL_MAC" >/dev/null 2>&1 &
XHA_PIDS+=("$!")
sleep 1
start_agent 2
start_agent 1
for r in 1 2 3; do
	xha_ping_start "$XHA_NS_PEER" "192.168.2.$r" "192.168.1.$r" "$TRAFFIC" "$XHA_TMP/ping$r"
done
xha_wait_until 30 synced 2
ktap_result $? "agents up and ha2 synced, ESP flowing" "$(xha_link_line "$(sock 2)")"
sleep 3		# some SEQNUMs and KEEPALIVEs to capture

"$XHA_CLI" show state socket "$(sock 2)" | grep -q '^link-rejected '
ktap_result $? "show state prints the link-rejected line"

monitor &
MON=$!
XHA_PIDS+=("$MON")
sa_before=$(pair4)

# check_kind NAME TARGET REASON SENT BEFORE: on failure, the target's
# link-rejected and link-stats lines before (COUNTS_BEFORE) and after.
check_kind() {
	local name=$1 to=$2 reason=$3 sent=$4 before=$5 after ok l
	sleep 0.5	# the agent reads its queue
	after=$(rej "$to" "$reason")
	say "$name: sent ${sent:-0}, $reason $before -> $after"
	[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ $((after - before)) = "$sent" ]
	ok=$?
	if [ $ok != 0 ]; then
		while read -r l; do say "  before: $l"; done <<<"$COUNTS_BEFORE"
		counts "$to" | while read -r l; do say "  after:  $l"; done
	fi
	ktap_result $ok "$name: all ${sent:-0} counted as $reason on ha$to" "$reason +$((after - before))"
}

# attack NAME TARGET FROM REASON MODE [ARGS...]
attack() {
	local name=$1 to=$2 from=$3 reason=$4 before sent
	shift 4
	COUNTS_BEFORE=$(counts "$to")
	before=$(rej "$to" "$reason")
	sent=$(inject "$to" "$from" "$@")
	check_kind "$name" "$to" "$reason" "$sent" "$before"
}

CAP=$XHA_TMP/cap.pcap
attack "forged datagrams" 2 1 auth-failed forge -f "$CAP" -n $N
attack "replayed SEQNUM" 2 1 replayed replay -f "$CAP" -T seqnum -n $N
# ha1 sends SEQNUMs every second here: the KEEPALIVEs are ha2's, to ha1.
attack "replayed KEEPALIVE" 1 2 replayed replay -f "$CAP" -T keepalive -n $N
attack "replayed HELLO (current boot)" 2 1 replayed replay -f "$CAP" -T hello -n $N
attack "truncated" 2 1 truncated truncate -f "$CAP" -n $N
attack "bit-flipped header" 2 1 auth-failed flip-hdr -f "$CAP" -n $N
attack "bit-flipped ciphertext" 2 1 auth-failed flip-ct -f "$CAP" -n $N
attack "sealed with a wrong key" 2 1 auth-failed wrongkey -f "$CAP" -T hello,keepalive,seqnum -n $N
attack "oversized" 2 1 oversized oversize -f "$CAP" -n $N
attack "wrong version" 2 1 bad-version version -f "$CAP" -n $N
REC="$(xha_out_spi 4 | sed 's/^0x//'):$XHA_PEER_ADDR:$((0x300000000)):0"
attack "pair 4 raised, wrong key" 2 1 auth-failed record -f "$CAP" -T seqnum -o "$REC"
attack "ha2's HELLOs replayed to ha1" 1 2 replayed replay -f "$CAP" -T hello -n $N
# bad-source: mallory's own address, then the peer's address, another port.
COUNTS_BEFORE=$(counts 2)
before=$(rej 2 bad-source)
s1=$(nsx "$XHA_NS_MALLORY" "$INJ" -s "$XHA_HALM_ADDR" -p "$XHA_HA_PORT" -d "$XHA_HAL2_ADDR" -P "$XHA_HA_PORT" \
	-f "$CAP" -N 1 -n 20 replay | sed -n 's/^sent //p')
s2=$(nsx "$XHA_NS_MALLORY" "$INJ" -s "$XHA_HAL1_ADDR" -p $((XHA_HA_PORT + 1)) -d "$XHA_HAL2_ADDR" -P "$XHA_HA_PORT" \
	-f "$CAP" -N 1 -n 20 replay | sed -n 's/^sent //p')
check_kind "from another address or port" 2 bad-source $((${s1:-0} + ${s2:-0})) "$before"

sleep 1
sa_after=$(pair4)
say "ha2 pair 4 before: $sa_before"
say "ha2 pair 4 after:  $sa_after"
[ "$sa_before" = "$sa_after" ] && [[ $sa_before == out\ [0-9]* ]]
ktap_result $? "no counter of ha2's idle pair 4 changed"

kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null
samples=$(grep -c ' peer node ' "$XHA_TMP/mon")
down=$(grep -vc ' link up ' "$XHA_TMP/mon")
say "link samples during the attacks: $samples, not up: $down"
grep -v ' link up ' "$XHA_TMP/mon" | head -n 5 | while read -r l; do say "  $l"; done
[ "$samples" -ge 10 ] && [ "$down" = 0 ]
ktap_result $? "link up on both nodes at every sample during the attacks ($samples samples)"

# ---- the active restarts; its previous boot's HELLOs are replayed
say "restarting ha1's agent; mallory replays its previous boot's HELLOs at 5 Hz for 10 s"
cp "$CAP" "$XHA_TMP/old.pcap"
nsx "$XHA_NS_MALLORY" "$INJ" -s "$XHA_HAL1_ADDR" -p "$XHA_HA_PORT" -d "$XHA_HAL2_ADDR" -P "$XHA_HA_PORT" \
	-f "$XHA_TMP/old.pcap" -T hello -N 1 -r 5 -t 10 replay >"$XHA_TMP/oldhello.out" 2>&1 &
OLDH=$!
XHA_PIDS+=("$OLDH")
sleep 1
xha_stop "${AGENT_PID[1]}"
t0=$(date +%s%N)
start_agent 1
up_ms=-1
while [ $(($(date +%s%N) - t0)) -lt 12000000000 ]; do
	if link_up 2 && link_up 1; then
		up_ms=$((($(date +%s%N) - t0) / 1000000))
		break
	fi
	sleep 0.1
done
say "link up again ${up_ms} ms after the restart (-1: not within 12 s)"
[ "$up_ms" -ge 0 ] && [ "$up_ms" -le $((UP_WITHIN * 1000)) ]
ktap_result $? "restarted active verified, link up within ${UP_WITHIN} s despite replayed old HELLOs" "${up_ms} ms"

down=0 samples=0
while kill -0 "$OLDH" 2>/dev/null; do
	samples=$((samples + 1))
	link_up 2 || down=$((down + 1))
	sleep 0.3
done
wait "$OLDH"
say "old HELLOs replayed: $(sed -n 's/^sent //p' "$XHA_TMP/oldhello.out"); link samples after up: $samples, down: $down"
[ "$up_ms" -ge 0 ] && [ "$down" = 0 ]
ktap_result $? "link stays up while the old HELLOs keep coming" "$down of $samples samples down"
xha_wait_until 15 synced 2
ktap_result $? "ha2 synced again with the restarted active" "$(xha_link_line "$(sock 2)")"

# ---- control: the genuine key makes the same record apply. Last: it takes
# a seq a little ahead in the active's stream to ha2 (hainject), which the
# active's own message of that seq then duplicates.
COUNTS_BEFORE=$(counts 2)
sa_before=$(pair4)
sent=$(inject 2 1 record -f "$CAP" -T seqnum -o "$REC" -K)
p4_changed() { [ "$(pair4)" != "$sa_before" ]; }
xha_wait_until 5 p4_changed
sleep 0.5
sa_after=$(pair4)
say "control, genuine key (sent ${sent:-0}): pair 4 $sa_before -> $sa_after"
[ "$sa_before" != "$sa_after" ]
ok=$?
if [ $ok != 0 ]; then
	while read -r l; do say "  before: $l"; done <<<"$COUNTS_BEFORE"
	counts 2 | while read -r l; do say "  after:  $l"; done
fi
ktap_result $ok "control: the pair-4 record sealed with the genuine key changes ha2's SA (the SA check can fail)" \
	"the record did not apply"

[ -s "$XHA_TMP/hainject.err" ] && say "hainject: $(sort "$XHA_TMP/hainject.err" | uniq -c | head -n 5)"
ktap_finish
