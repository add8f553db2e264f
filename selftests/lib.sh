# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shell helpers for the xfrm-ha selftests and the lab (sourced, bash):
#   - KTAP/TAP output (ktap_*)
#   - narration (say, vsay, vrun)
#   - the HA topology: netns ha1, ha2, peer and a switch, the service
#     address that moves at failover, the HA link (xha_topo_*)
#   - identical ESP SAs on ha1 and ha2 and the matching SAs on the peer
#     (xha_sas_install), counter readers (xha_sa_load, xha_xfrm_stats)
#   - traffic (xha_ping_*), agents (xha_agent_*), cleanup (xha_cleanup)
#
# Topology
#
#     ha1 [eth0 10.0.0.11 + VIP 10.0.0.1]--+
#      |  lo 192.168.1.N                   |
#     hal1 10.150.0.1                      +-- br0 (netns xha-sw)
#      |  (HA link, agents)                |
#     hal2 10.150.0.2                      |
#     ha2 [eth0 10.0.0.12 (+ VIP after)]---+
#         lo 192.168.1.N                   |
#     peer [eth0 10.0.0.2]-----------------+
#          lo 192.168.2.N
#
# SA pair N (reqid N) protects 192.168.1.N <-> 192.168.2.N in tunnel mode
# between the VIP and the peer; ha1 and ha2 hold the same SAs (same SPIs and
# keys), as the IKE daemon's HA sync would install them.

XHA_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XHA_REPO=$(cd "$XHA_SELFTESTS/.." && pwd)
XHA_AGENT=${XHA_AGENT:-$XHA_REPO/agent/ha-ike-agent}
XHA_CLI=${XHA_CLI:-$XHA_REPO/tools/ha-ike}

XHA_NS_HA1=ha1
XHA_NS_HA2=ha2
XHA_NS_PEER=peer
XHA_NS_SW=xha-sw
XHA_VIP=10.0.0.1
XHA_PEER_ADDR=10.0.0.2
XHA_HA1_ADDR=10.0.0.11
XHA_HA2_ADDR=10.0.0.12
XHA_HAL1_ADDR=10.150.0.1
XHA_HAL2_ADDR=10.150.0.2
XHA_HA_PORT=4520
XHA_OSEQ_SHIFT=${XHA_OSEQ_SHIFT:-65536}

# SA pairs: "reqid out-mode in-mode", out = ha -> peer, in = peer -> ha.
# Modes: legacy (32-bit counters, 32-packet window), bmp (32-bit counters,
# 128-packet bitmap), esn (64-bit ESN, 128-packet window), esnwrap (ESN
# starting 128 packets before the low 32 bits wrap, at 0x1_ffffff80).
XHA_PAIRS=(
	"1 esn bmp"
	"2 bmp esnwrap"
	"3 legacy legacy"
	"4 esnwrap esn"
)
XHA_ESNWRAP_HI=1
XHA_ESNWRAP_LO=0xffffff80

XHA_VERBOSE=${XHA_VERBOSE:-0}
XHA_PIDS=()
XHA_TMP=

# ---------------------------------------------------------------- KTAP

ktap_n=0
ktap_failed=0
ktap_skipped=0

ktap_header() { echo "TAP version 13"; }
ktap_plan() { echo "1..$1"; }
ktap_diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }
ktap_pass() { ktap_n=$((ktap_n + 1)); echo "ok $ktap_n $1"; }
ktap_fail() {
	ktap_n=$((ktap_n + 1))
	ktap_failed=$((ktap_failed + 1))
	echo "not ok $ktap_n $1${2:+ # $2}"
}
ktap_skip() {
	ktap_n=$((ktap_n + 1))
	ktap_skipped=$((ktap_skipped + 1))
	echo "ok $ktap_n $1 # SKIP ${2:-}"
}
ktap_result() {	# ktap_result RC NAME [WHY]
	if [ "$1" = 0 ]; then ktap_pass "$2"; else ktap_fail "$2" "${3:-}"; fi
}
# Prints the totals and returns the exit code: 0 all passed, 1 otherwise.
ktap_finish() {
	echo "# totals: pass $((ktap_n - ktap_failed - ktap_skipped)) fail $ktap_failed skip $ktap_skipped"
	[ "$ktap_failed" = 0 ]
}

# ----------------------------------------------------------- narration

# say: always printed, as a TAP diagnostic. vsay/vrun: verbose (lab) only.
say() { ktap_diag "$*"; }
vsay() { [ "$XHA_VERBOSE" = 1 ] && ktap_diag "$*"; return 0; }
vrun() {
	[ "$XHA_VERBOSE" = 1 ] || return 0
	echo "# \$ $*"
	"$@" 2>&1 | sed 's/^/#   /'
}
vbanner() { [ "$XHA_VERBOSE" = 1 ] && printf '#\n# ==== %s ====\n#\n' "$*"; return 0; }

# ----------------------------------------------------------------- misc

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

xha_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "# needs root (runs inside the selftest VM)"
		exit 4
	fi
}

# xha_wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
xha_wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# ------------------------------------------------------------- topology

# Call xha_tmp_init in the main shell before anything uses $XHA_TMP.
xha_tmp_init() {
	[ -n "$XHA_TMP" ] || XHA_TMP=$(mktemp -d /tmp/xha-e2e.XXXXXX)
}

xha_topo_down() {
	local ns
	for ns in "$XHA_NS_HA1" "$XHA_NS_HA2" "$XHA_NS_PEER" "$XHA_NS_SW"; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

xha_topo_up() {
	local ns pair reqid
	for ns in "$XHA_NS_HA1" "$XHA_NS_HA2" "$XHA_NS_PEER" "$XHA_NS_SW"; do
		if [ -e "/run/netns/$ns" ]; then
			echo "# netns $ns already exists: not touching it" >&2
			return 1
		fi
	done
	# One "ip -batch" per namespace: every exec is slow under TCG.
	ip -batch - <<-EOF || return 1
		netns add $XHA_NS_HA1
		netns add $XHA_NS_HA2
		netns add $XHA_NS_PEER
		netns add $XHA_NS_SW
	EOF
	ip -n "$XHA_NS_SW" -batch - <<-EOF || return 1
		link set lo up
		link add br0 type bridge
		link set br0 up
		link add $XHA_NS_HA1 type veth peer name eth0 netns $XHA_NS_HA1
		link add $XHA_NS_HA2 type veth peer name eth0 netns $XHA_NS_HA2
		link add $XHA_NS_PEER type veth peer name eth0 netns $XHA_NS_PEER
		link set $XHA_NS_HA1 master br0 up
		link set $XHA_NS_HA2 master br0 up
		link set $XHA_NS_PEER master br0 up
	EOF
	# The service address starts on ha1; hal1/hal2 is the HA link.
	# Protected subnets: 192.168.1.0/24 behind the HA pair, 192.168.2.0/24
	# behind the peer, one /32 per SA pair on lo.
	{
		echo "link set lo up"
		echo "link set eth0 up"
		echo "addr add $XHA_HA1_ADDR/24 dev eth0"
		echo "addr add $XHA_VIP/24 dev eth0"
		echo "link add hal1 type veth peer name hal2 netns $XHA_NS_HA2"
		echo "addr add $XHA_HAL1_ADDR/24 dev hal1"
		echo "link set hal1 up"
		for pair in "${XHA_PAIRS[@]}"; do
			read -r reqid _ <<<"$pair"
			echo "addr add 192.168.1.$reqid/32 dev lo"
		done
		echo "route add 192.168.2.0/24 via $XHA_PEER_ADDR dev eth0"
	} | ip -n "$XHA_NS_HA1" -batch - || return 1
	{
		echo "link set lo up"
		echo "link set eth0 up"
		echo "addr add $XHA_HA2_ADDR/24 dev eth0"
		echo "addr add $XHA_HAL2_ADDR/24 dev hal2"
		echo "link set hal2 up"
		for pair in "${XHA_PAIRS[@]}"; do
			read -r reqid _ <<<"$pair"
			echo "addr add 192.168.1.$reqid/32 dev lo"
		done
		echo "route add 192.168.2.0/24 via $XHA_PEER_ADDR dev eth0"
	} | ip -n "$XHA_NS_HA2" -batch - || return 1
	{
		echo "link set lo up"
		echo "link set eth0 up"
		echo "addr add $XHA_PEER_ADDR/24 dev eth0"
		for pair in "${XHA_PAIRS[@]}"; do
			read -r reqid _ <<<"$pair"
			echo "addr add 192.168.2.$reqid/32 dev lo"
		done
		echo "route add 192.168.1.0/24 via $XHA_VIP dev eth0"
	} | ip -n "$XHA_NS_PEER" -batch - || return 1
	# Wait for the bridge ports to forward (no STP, but carrier takes a moment).
	xha_wait_until 10 nsx "$XHA_NS_PEER" ping -q -c 1 -W 1 "$XHA_VIP" >/dev/null
}

# A fixed test key per SPI: 160 bits for rfc4106(gcm(aes)) (128 + salt).
xha_key() { printf '0x%08x%08x%08x%08x%08x' "$1" "$(($1 * 3))" "$(($1 * 5))" "$(($1 * 7))" "$(($1 * 11))"; }

# xha_state_cmd SRC DST SPI REQID MODE ROLE: the "xfrm state add" command
# for ip -batch. ROLE is "send" or "recv", which only matters for esnwrap
# (which counter starts near the wrap).
xha_state_cmd() {
	local src=$1 dst=$2 spi=$3 reqid=$4 mode=$5 role=$6 extra
	case $mode in
	legacy) extra="replay-window 32" ;;
	bmp) extra="replay-window 128" ;;
	esn) extra="replay-window 128 flag esn" ;;
	esnwrap)
		extra="replay-window 128 flag esn"
		if [ "$role" = send ]; then
			extra+=" replay-oseq-hi $XHA_ESNWRAP_HI replay-oseq $XHA_ESNWRAP_LO"
		else
			extra+=" replay-seq-hi $XHA_ESNWRAP_HI replay-seq $XHA_ESNWRAP_LO"
		fi
		;;
	*) echo "xha_state_cmd: bad mode $mode" >&2; return 1 ;;
	esac
	echo "xfrm state add src $src dst $dst proto esp spi $spi reqid $reqid mode tunnel" \
		"aead rfc4106(gcm(aes)) $(xha_key "$spi") 128 $extra"
}

# Initial counter of an SA of MODE (the oseq of a sender, the seq of a
# receiver): 0, or 0x1_ffffff80 for esnwrap.
xha_mode_init() {
	if [ "$1" = esnwrap ]; then
		echo $(((XHA_ESNWRAP_HI << 32) | XHA_ESNWRAP_LO))
	else
		echo 0
	fi
}

xha_out_spi() { printf '0x%08x' $((0x1000 + $1)); }	# ha -> peer
xha_in_spi() { printf '0x%08x' $((0x2000 + $1)); }	# peer -> ha

# Identical SAs and policies on ha1 and ha2, the mirror image on the peer.
xha_sas_install() {
	local pair reqid om im ns ospi ispi hin pin
	for ns in "$XHA_NS_HA1" "$XHA_NS_HA2" "$XHA_NS_PEER"; do
		for pair in "${XHA_PAIRS[@]}"; do
			read -r reqid om im <<<"$pair"
			ospi=$(xha_out_spi "$reqid")
			ispi=$(xha_in_spi "$reqid")
			hin=192.168.1.$reqid/32
			pin=192.168.2.$reqid/32
			if [ "$ns" = "$XHA_NS_PEER" ]; then
				xha_state_cmd "$XHA_VIP" "$XHA_PEER_ADDR" "$ospi" "$reqid" "$om" recv || return 1
				xha_state_cmd "$XHA_PEER_ADDR" "$XHA_VIP" "$ispi" "$reqid" "$im" send || return 1
				echo "xfrm policy add src $pin dst $hin dir out" \
					"tmpl src $XHA_PEER_ADDR dst $XHA_VIP proto esp reqid $reqid mode tunnel"
				echo "xfrm policy add src $hin dst $pin dir in" \
					"tmpl src $XHA_VIP dst $XHA_PEER_ADDR proto esp reqid $reqid mode tunnel"
			else
				xha_state_cmd "$XHA_VIP" "$XHA_PEER_ADDR" "$ospi" "$reqid" "$om" send || return 1
				xha_state_cmd "$XHA_PEER_ADDR" "$XHA_VIP" "$ispi" "$reqid" "$im" recv || return 1
				echo "xfrm policy add src $hin dst $pin dir out" \
					"tmpl src $XHA_VIP dst $XHA_PEER_ADDR proto esp reqid $reqid mode tunnel"
				echo "xfrm policy add src $pin dst $hin dir in" \
					"tmpl src $XHA_PEER_ADDR dst $XHA_VIP proto esp reqid $reqid mode tunnel"
			fi
		done >"$XHA_TMP/sas-$ns.batch" || return 1
		ip -n "$ns" -batch "$XHA_TMP/sas-$ns.batch" || return 1
	done
}

# The active node dies (link down) and the service address moves to ha2,
# which announces it; the peer forgets the old MAC.
xha_failover() {
	ip -n "$XHA_NS_HA1" link set eth0 down
	ip -n "$XHA_NS_HA1" addr del "$XHA_VIP/24" dev eth0 2>/dev/null
	ip -n "$XHA_NS_HA2" addr add "$XHA_VIP/24" dev eth0 || return 1
	if command -v busybox >/dev/null; then
		nsx "$XHA_NS_HA2" timeout 5 busybox arping -U -c 1 -I eth0 "$XHA_VIP" >/dev/null 2>&1
	fi
	ip -n "$XHA_NS_PEER" neigh flush dev eth0
	xha_wait_until 10 nsx "$XHA_NS_PEER" ping -q -c 1 -W 1 "$XHA_VIP" >/dev/null
}

# ------------------------------------------------------------- counters

# xha_sa_load NS...: read every SA of each NS with one "ip -s xfrm state"
# into XHA_SA["NS SPI"] = "oseq seq drops packets": the 64-bit counters (ESN
# high bits included), the SA's failure counters (replay-window + replay +
# integrity failed) and its packet count. SPI in decimal.
declare -gA XHA_SA=()
xha_sa_load() {
	local ns k out src dst spi sh s oh o d p
	for ns in "$@"; do
		for k in "${!XHA_SA[@]}"; do
			[ "${k%% *}" = "$ns" ] && unset "XHA_SA[$k]"
		done
		out=$(ip -n "$ns" -s xfrm state list 2>/dev/null | awk '
			function flush() {
				if (spi != "") print src, dst, spi, sh, s, oh, o, d, p
				spi = ""
			}
			/^src / { flush(); src = $2; dst = $4; sh = s = oh = o = "0x0"; d = p = 0; next }
			/proto [a-z]+ spi / { spi = $4; sub(/\(.*/, "", spi) }
			/seq-hi .*, seq .*, oseq-hi .*, oseq / { gsub(",", ""); sh = $2; s = $4; oh = $6; o = $8 }
			/anti-replay context:/ { gsub(",", ""); s = $4; o = $6 }
			/[0-9]+\(bytes\), [0-9]+\(packets\)/ { x = $2; sub(/\(packets\)/, "", x); p = x }
			/replay-window [0-9]+ replay [0-9]+ failed [0-9]+/ { d = $2 + $4 + $6 }
			END { flush() }')
		while read -r src dst spi sh s oh o d p; do
			[ -n "$spi" ] || continue
			XHA_SA["$ns $((spi))"]="$(((oh << 32) | o)) $(((sh << 32) | s)) $d $p"
		done <<<"$out"
	done
}

# xha_sa NS SPI: "oseq seq drops packets" from the last xha_sa_load.
xha_sa() {
	local v=${XHA_SA["$1 $(($2))"]:-}
	[ -n "$v" ] || return 1
	echo "$v"
}

# Shorthands: pair REQID's outbound (ha -> peer) or inbound SA in NS.
xha_out() { xha_sa "$1" "$(xha_out_spi "$2")"; }
xha_in() { xha_sa "$1" "$(xha_in_spi "$2")"; }

# xha_xfrm_stats NS: "name=value ..." for all of /proc/net/xfrm_stat in NS.
xha_xfrm_stats() {
	nsx "$1" cat /proc/net/xfrm_stat 2>/dev/null | awk '{ printf "%s=%s ", $1, $2 }'
}
# xha_stat_get SNAPSHOT NAME: one value of an xha_xfrm_stats snapshot.
xha_stat_get() {
	local kv
	for kv in $1; do
		[ "${kv%%=*}" = "$2" ] && { echo "${kv#*=}"; return; }
	done
	echo 0
}

# Human-readable 64-bit counter: decimal, plus hi:lo when above 32 bits.
xha_fmt() {
	if [ "$1" -gt 4294967295 ]; then
		printf '%d [%d:%08x]' "$1" $(($1 >> 32)) $(($1 & 0xffffffff))
	else
		printf '%d' "$1"
	fi
}

# -------------------------------------------------------------- traffic

# xha_ping_start NS SRC DST SECONDS OUT: ~100 pings/s in the background;
# the pid goes to XHA_LAST_PID.
xha_ping_start() {
	nsx "$1" timeout -k 5 $(($4 + 10)) ping -q -n -i 0.01 -W 1 -w "$4" -I "$2" "$3" >"$5" 2>&1 &
	XHA_LAST_PID=$!
	XHA_PIDS+=("$XHA_LAST_PID")
}

# xha_ping_count_start NS SRC DST COUNT OUT: COUNT pings, ~100/s, in the
# background; the pid goes to XHA_LAST_PID.
xha_ping_count_start() {
	nsx "$1" timeout -k 5 $(($4 / 20 + 20)) ping -q -n -i 0.01 -W 1 -c "$4" -I "$2" "$3" >"$5" 2>&1 &
	XHA_LAST_PID=$!
	XHA_PIDS+=("$XHA_LAST_PID")
}

# xha_ping_result OUT: "transmitted received" from a finished ping.
xha_ping_result() {
	local re='([0-9]+) packets transmitted, ([0-9]+) (packets )?received'
	if [[ $(cat "$1" 2>/dev/null) =~ $re ]]; then
		echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
	else
		echo "0 0"
	fi
}

# xha_wait PID...: wait for these background jobs.
xha_wait() {
	local p
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
}

# --------------------------------------------------------------- agents

xha_keyfile() {
	local f=$XHA_TMP/ha.key
	if [ ! -f "$f" ]; then
		(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f" && echo >>"$f")
		chmod 0600 "$f"
	fi
	echo "$f"
}

# xha_agent_config NODE-ID STATE IFACE LOCAL REMOTE [EXTRA-HA-JSON]: prints
# the config path. STATE is the HA group's controller: active/master,
# backup or fault (static), or external (set with "ha-ike group vpn STATE").
# The control socket is $XHA_TMP/agentNODE-ID.sock, the keepalived track
# file $XHA_TMP/trackNODE-ID.
xha_agent_config() {
	local f=$XHA_TMP/agent$1.json ctl
	case $2 in
	active | master) ctl='"static": "master"' ;;
	backup | fault) ctl="\"static\": \"$2\"" ;;
	external) ctl='"external": [null]' ;;
	*) echo "xha_agent_config: bad state $2" >&2; return 1 ;;
	esac
	cat >"$f" <<EOF
{"xfrm-ha:ha": {"node-id": $1, "interface": "$3", "local-address": "$4",
  "remote-address": "$5", "port": $XHA_HA_PORT, "key-file": "$(xha_keyfile)",
  "listen-ha-group": "vpn", "control-socket": "$XHA_TMP/agent$1.sock",
  "track-file": "$XHA_TMP/track$1"${6:+, $6},
  "seqnum-sync": {"sync-period-time": 1, "sync-period-packets": 2,
  "oseq-shift": $XHA_OSEQ_SHIFT}},
 "xfrm-ha:ha-group": [{"name": "vpn", $ctl}]}
EOF
	echo "$f"
}

# xha_agent_start NS CONFIG LOG: the agent's pid goes to XHA_LAST_PID.
xha_agent_start() {
	# Not through nsx: a backgrounded function is a subshell, and its pid
	# is not the agent's (killing it would leave the agent running).
	# ip netns exec execs the agent, so $! is the agent itself.
	ip netns exec "$1" "$XHA_AGENT" --config "$2" >"$3" 2>&1 </dev/null &
	XHA_LAST_PID=$!
	XHA_PIDS+=("$XHA_LAST_PID")
}

# xha_stop PID...: TERM, then KILL after 3 s.
xha_stop() {
	local p
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null
	done
	for _ in $(seq 15); do
		local alive=0
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.2
	done
	for p in "$@"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}

xha_cleanup() {
	local p
	for p in "${XHA_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	XHA_PIDS=()
	xha_topo_down
	[ -n "$XHA_TMP" ] && [ "${XHA_KEEP_TMP:-0}" != 1 ] && rm -rf "$XHA_TMP"
	XHA_TMP=
	return 0
}

# ------------------------------------- the HA link on a bridge (issue 7)
#
# xha_halink_bridge, after xha_topo_up: the HA link (hal1 - hal2, a veth
# pair) becomes a bridge, br1 in the switch's namespace, with a third
# namespace, mallory (hal0), that can reach it as an attacker on the link
# would. Same addresses as before, plus IPv6: global fd50::/64 and the
# link-local fe80::1, fe80::2, fe80::66 (no DAD: usable at once).
#
#     ha1 hal1 --+                  10.150.0.1   fd50::1   fe80::1
#     ha2 hal2 --+-- br1 (xha-sw)   10.150.0.2   fd50::2   fe80::2
# mallory hal0 --+                  10.150.0.66  fd50::66  fe80::66

XHA_NS_MALLORY=mallory
XHA_HALM_ADDR=10.150.0.66
XHA_HAL1_ADDR6=fd50::1
XHA_HAL2_ADDR6=fd50::2
XHA_HALM_ADDR6=fd50::66
XHA_HAL1_LL6=fe80::1
XHA_HAL2_LL6=fe80::2
XHA_HALM_LL6=fe80::66

xha_halink_bridge() {
	local n ns ifn a4 a6 ll
	[ -e "/run/netns/$XHA_NS_MALLORY" ] && { echo "# netns $XHA_NS_MALLORY already exists" >&2; return 1; }
	ip netns add "$XHA_NS_MALLORY" || return 1
	ip -n "$XHA_NS_HA1" link del hal1 2>/dev/null
	ip -n "$XHA_NS_SW" -batch - <<-EOB || return 1
		link add br1 type bridge
		link set br1 up
		link add l-ha1 type veth peer name hal1 netns $XHA_NS_HA1
		link add l-ha2 type veth peer name hal2 netns $XHA_NS_HA2
		link add l-mal type veth peer name hal0 netns $XHA_NS_MALLORY
		link set l-ha1 master br1 up
		link set l-ha2 master br1 up
		link set l-mal master br1 up
	EOB
	for n in 1 2 m; do
		case $n in
		1) ns=$XHA_NS_HA1 ifn=hal1 a4=$XHA_HAL1_ADDR a6=$XHA_HAL1_ADDR6 ll=$XHA_HAL1_LL6 ;;
		2) ns=$XHA_NS_HA2 ifn=hal2 a4=$XHA_HAL2_ADDR a6=$XHA_HAL2_ADDR6 ll=$XHA_HAL2_LL6 ;;
		m) ns=$XHA_NS_MALLORY ifn=hal0 a4=$XHA_HALM_ADDR a6=$XHA_HALM_ADDR6 ll=$XHA_HALM_LL6 ;;
		esac
		ip -n "$ns" -batch - <<-EOB || return 1
			link set lo up
			addr add $a4/24 dev $ifn
			addr add $a6/64 dev $ifn nodad
			addr add $ll/64 dev $ifn nodad
			link set $ifn up
		EOB
		# Spoofed sources must reach the agents: no reverse path filter.
		nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$ifn.rp_filter=0" \
			net.ipv4.conf.default.rp_filter=0
	done
	xha_wait_until 10 nsx "$XHA_NS_HA1" ping -q -c 1 -W 1 "$XHA_HAL2_ADDR" >/dev/null
}

xha_halink_down() { ip netns del "$XHA_NS_MALLORY" 2>/dev/null; return 0; }

# xha_link_rejected SOCK REASON [PID LOG]: the agent's count of datagrams
# rejected for REASON: from show state's link-rejected line; without that
# line (an agent before issue 7), from the statistics the agent logs on
# SIGUSR1 (PID, LOG). Prints the count (0 if none), returns 1 if neither.
xha_link_rejected() {
	local st v
	st=$("$XHA_CLI" show state socket "$1" 2>/dev/null)
	if [[ $st == *"link-rejected "* ]]; then
		awk -v r="$2" '$1 == "link-rejected" { for (i = 2; i < NF; i += 2) if ($i == r) { print $(i + 1); f = 1 } }
			END { if (!f) print 0 }' <<<"$st"
		return 0
	fi
	[ -n "${3:-}" ] || return 1
	local before
	before=$(grep -c 'rejected:' "$4")
	kill -USR1 "$3" 2>/dev/null || return 1
	xha_wait_until 3 sh -c "[ \$(grep -c 'rejected:' '$4') -gt $before ]" || return 1
	v=$(grep 'rejected:' "$4" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=\([0-9]*\).*/\1/p")
	echo "${v:-0}"
}

# xha_link_line SOCK: the "peer node ..." line of show state.
xha_link_line() { "$XHA_CLI" show state socket "$1" 2>/dev/null | grep '^peer node'; }
