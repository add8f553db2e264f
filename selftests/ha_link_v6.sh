#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# ha_link_v6.sh [--verbose]
#
# The HA link over IPv6 and the `interface` binding (issue 7), run as root
# with xfrm_ha.ko loaded (inside the selftest VM), on lib.sh's topology with
# the HA link on a bridge (xha_halink_bridge: fd50::/64 and fe80::N on
# hal1/hal2). The service segment also gets fd51::/64, and the peer a route
# to fd50::/64 through ha2's eth0: a datagram for ha2's HA address that
# arrives on eth0, from the peer's side, with the source spoofed to ha1's
# HA address and port (selftests/hainject: forged, sealed with a wrong key).
#
#  1. link-local: fe80::1 <-> fe80::2 with `interface`: ha2 synced.
#  2. no CAP_NET_RAW: ha2's agent under capsh --drop=cap_net_raw, global
#     addresses, `interface` hal2: it binds to hal2 without a warning
#     (SO_BINDTODEVICE before bind needs no capability since Linux 5.7),
#     syncs, and the datagram through eth0 never reaches it (no reject
#     counter moves).
#  3. SO_BINDTODEVICE refused (selftests/nobindtodev, a seccomp filter, as
#     on a kernel before 5.7): the agent falls back to IPV6_UNICAST_IF and
#     IPV6_RECVPKTINFO, syncs, and counts the datagram through eth0 as
#     wrong-interface (the agent before issue 7 warned, relied on the
#     addresses and took it: auth-failed).
#  4. global fd50::1 <-> fd50::2: ha2 synced while ESP flows on every
#     pair; the traffic stops, ha2's counters match ha1's, the service
#     address moves to ha2 and the traffic through ha2 gets through.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup; xha_halink_down' EXIT
trap 'exit 130' INT TERM

INJ=$XHA_SELFTESTS/hainject
NOBIND=$XHA_SELFTESTS/nobindtodev
PLAN=10
declare -A AGENT_PID=()
sock() { echo "$XHA_TMP/agent$1.sock"; }
synced() { xha_link_line "$(sock 2)" | grep -q ' link up synced'; }
rej() { xha_link_rejected "$(sock 2)" "$1" "${AGENT_PID[2]}" "$XHA_TMP/agent-ha2.log"; }

# agents L1 L2 [WRAP...]: (re)start both agents on addresses L1 (ha1) and
# L2 (ha2), interfaces hal1/hal2; ha2's agent through WRAP (a command
# prefix) if given.
agents() {
	local a1=$1 a2=$2 cfg1 cfg2
	shift 2
	[ -n "${AGENT_PID[1]:-}" ] && xha_stop "${AGENT_PID[1]}" "${AGENT_PID[2]}"
	cfg1=$(xha_agent_config 1 active hal1 "$a1" "$a2")
	cfg2=$(xha_agent_config 2 backup hal2 "$a2" "$a1")
	: >"$XHA_TMP/agent-ha2.log"
	ip netns exec "$XHA_NS_HA2" "$@" "$XHA_AGENT" --config "$cfg2" >"$XHA_TMP/agent-ha2.log" 2>&1 </dev/null &
	AGENT_PID[2]=$!
	XHA_PIDS+=("$!")
	xha_agent_start "$XHA_NS_HA1" "$cfg1" "$XHA_TMP/agent-ha1.log"
	AGENT_PID[1]=$XHA_LAST_PID
}

# offlink: forged and wrong-key datagrams for ha2's fd50::2 from the peer,
# through ha2's eth0, spoofed as ha1's fd50::1 port 4520. Prints "sent N".
offlink() {
	local a b
	a=$(nsx "$XHA_NS_PEER" "$INJ" -s "$XHA_HAL1_ADDR6" -p "$XHA_HA_PORT" -d "$XHA_HAL2_ADDR6" \
		-P "$XHA_HA_PORT" -f "$XHA_TMP/cap.pcap" -N 1 -n 10 forge | sed -n 's/^sent //p')
	b=$(nsx "$XHA_NS_PEER" "$INJ" -s "$XHA_HAL1_ADDR6" -p "$XHA_HA_PORT" -d "$XHA_HAL2_ADDR6" \
		-P "$XHA_HA_PORT" -f "$XHA_TMP/cap.pcap" -N 1 -k "$(xha_keyfile)" -n 10 -T hello,keepalive wrongkey |
		sed -n 's/^sent //p')
	echo $((${a:-0} + ${b:-0}))
}

# rejects: "auth-failed A wrong-interface W bad-source B" of ha2.
rejects() {
	local r v out=
	for r in auth-failed wrong-interface bad-source; do
		v=$(rej "$r")
		out+="$r ${v:-0} "
	done
	echo "${out% }"
}

ktap_header
ktap_plan "$PLAN"
xha_tmp_init
xha_topo_up || { say "topology failed"; exit 1; }
xha_halink_bridge || { say "HA link bridge failed"; exit 1; }
xha_sas_install || { say "SA install failed"; exit 1; }
ip -n "$XHA_NS_HA2" addr add fd51::12/64 dev eth0 nodad
ip -n "$XHA_NS_PEER" addr add fd51::2/64 dev eth0 nodad
ip -n "$XHA_NS_PEER" route add fd50::/64 via fd51::12
nsx "$XHA_NS_HA2" sysctl -qw net.ipv6.conf.all.forwarding=0

nsx "$XHA_NS_HA2" tcpdump -q -U -n -i hal2 -w "$XHA_TMP/cap.pcap" "udp port $XHA_HA_PORT" >/dev/null 2>&1 &
XHA_PIDS+=("$!")
sleep 1

# ---- 1. link-local
agents "$XHA_HAL1_LL6" "$XHA_HAL2_LL6"
xha_wait_until 30 synced
ktap_result $? "link-local fe80::1 <-> fe80::2 (interface hal1/hal2): ha2 synced" "$(xha_link_line "$(sock 2)")"

# ---- 2. without CAP_NET_RAW
agents "$XHA_HAL1_ADDR6" "$XHA_HAL2_ADDR6" capsh --drop=cap_net_raw -- -c 'exec "$0" "$@"'
xha_wait_until 30 synced
rc=$?
caps=$(awk '/^CapEff/ { print $2 }' "/proc/${AGENT_PID[2]}/status" 2>/dev/null)
say "ha2's agent CapEff ${caps:-?} (cap_net_raw is bit 13)"
[ "$rc" = 0 ] && [ -n "$caps" ] && [ $((0x$caps >> 13 & 1)) = 0 ]
ktap_result $? "global, ha2 without CAP_NET_RAW: synced" "$(xha_link_line "$(sock 2)")"
warn=$(grep -iE "SO_BINDTODEVICE|not tied|cannot bind" "$XHA_TMP/agent-ha2.log")
[ -z "$warn" ]
ktap_result $? "without CAP_NET_RAW: bound to hal2 (SO_BINDTODEVICE), no warning" "$warn"
before=$(rejects)
sent=$(offlink)
sleep 1
after=$(rejects)
say "datagrams through eth0: $sent; ha2: $before -> $after"
[ "$sent" -gt 0 ] && [ "$before" = "$after" ] && synced
ktap_result $? "without CAP_NET_RAW: datagrams for ha2's HA address through eth0 never reach the agent"

# ---- 3. SO_BINDTODEVICE refused
agents "$XHA_HAL1_ADDR6" "$XHA_HAL2_ADDR6" "$NOBIND"
xha_wait_until 30 synced
ktap_result $? "SO_BINDTODEVICE refused: ha2 synced (sends through IPV6_UNICAST_IF)" "$(xha_link_line "$(sock 2)")"
grep -q "IPV6_UNICAST_IF" "$XHA_TMP/agent-ha2.log"
ktap_result $? "SO_BINDTODEVICE refused: the fallback is logged" "$(grep -i bindtodevice "$XHA_TMP/agent-ha2.log" | head -n 1)"
before=$(rejects)
sent=$(offlink)
sleep 1
after=$(rejects)
say "datagrams through eth0: $sent; ha2: $before -> $after"
read -r _ a0 _ w0 _ <<<"$before"
read -r _ a1 _ w1 _ <<<"$after"
[ "$sent" -gt 0 ] && [ $((w1 - w0)) = "$sent" ] && [ "$a1" = "$a0" ]
ktap_result $? "SO_BINDTODEVICE refused: datagrams through eth0 counted as wrong-interface, not opened" \
	"wrong-interface +$((w1 - w0)) auth-failed +$((a1 - a0)) of $sent"

# ---- 4. global addresses, failover under traffic
agents "$XHA_HAL1_ADDR6" "$XHA_HAL2_ADDR6"
PIDS=()
for pair in "${XHA_PAIRS[@]}"; do
	read -r reqid _ <<<"$pair"
	xha_ping_start "$XHA_NS_PEER" "192.168.2.$reqid" "192.168.1.$reqid" 8 "$XHA_TMP/ping$reqid"
	PIDS+=("$XHA_LAST_PID")
done
xha_wait_until 30 synced
ktap_result $? "global fd50::1 <-> fd50::2: ha2 synced under traffic" "$(xha_link_line "$(sock 2)")"
xha_wait "${PIDS[@]}"
sleep 2.5	# the last records (sync-period-time 1 s)
xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
bad=""
for pair in "${XHA_PAIRS[@]}"; do
	read -r reqid _ <<<"$pair"
	read -r o1 _ <<<"$(xha_out "$XHA_NS_HA1" "$reqid")"
	read -r o2 _ <<<"$(xha_out "$XHA_NS_HA2" "$reqid")"
	read -r _ s1 _ <<<"$(xha_in "$XHA_NS_HA1" "$reqid")"
	read -r _ s2 _ <<<"$(xha_in "$XHA_NS_HA2" "$reqid")"
	say "pair $reqid: oseq ha1 $o1 ha2 $o2, seq ha1 $s1 ha2 $s2"
	{ [ "$o2" -ge $((o1 + XHA_OSEQ_SHIFT)) ] && [ "$s2" = "$s1" ]; } || bad+=" $reqid"
done
[ -z "$bad" ]
ktap_result $? "ha2's counters follow ha1's over the IPv6 link" "pairs$bad"
xha_stop "${AGENT_PID[1]}"
xha_failover
PIDS=()
for pair in "${XHA_PAIRS[@]}"; do
	read -r reqid _ <<<"$pair"
	xha_ping_count_start "$XHA_NS_PEER" "192.168.2.$reqid" "192.168.1.$reqid" 100 "$XHA_TMP/after$reqid"
	PIDS+=("$XHA_LAST_PID")
done
xha_wait "${PIDS[@]}"
bad=""
for pair in "${XHA_PAIRS[@]}"; do
	read -r reqid _ <<<"$pair"
	read -r tx rx <<<"$(xha_ping_result "$XHA_TMP/after$reqid")"
	say "pair $reqid through ha2: $rx of $tx"
	[ "$tx" -gt 0 ] && [ $((rx * 100 / tx)) -ge 80 ] || bad+=" $reqid"
done
[ -z "$bad" ]
ktap_result $? "after the failover, ESP through ha2 gets through (>= 80 %)" "pairs$bad"
ktap_finish
