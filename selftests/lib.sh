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

# xha_args "$@": a test's command line: -v/--verbose, -h/--help (the
# script's header comment, up to "set -u"), nothing else.
xha_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		-v | --verbose) XHA_VERBOSE=1 ;;
		-h | --help) sed -n '3,/^set -u/{/^#/p}' "$0"; exit 0 ;;
		*) echo "usage: $0 [--verbose]" >&2; exit 2 ;;
		esac
		shift
	done
}

# xha_pkg_install UNIT VERSION: make install PREFIX=/usr (the programs
# already built: the VM's tree is read-only), then systemd-sysusers and
# systemd-tmpfiles as a package's scripts would run them. Prints nothing
# if all is in place, else why not (and make's output as diagnostics).
xha_pkg_install() {
	local unit=$1 version=$2 out rc why="" t0=$SECONDS
	st() { stat -c '%F %a %U:%G' "$1" 2>/dev/null; }

	out=$(make -C "$XHA_REPO" -s --no-print-directory -o programs install PREFIX=/usr 2>&1 &&
		systemd-sysusers xfrm-ha.conf 2>&1 &&
		systemd-tmpfiles --create xfrm-ha.conf 2>&1)
	rc=$?
	[ $rc -eq 0 ] || why="make install / sysusers / tmpfiles failed"
	[ -z "$why" ] && ! id xfrm-ha >/dev/null 2>&1 && why="no user xfrm-ha"
	[ -z "$why" ] && [ "$(st /run/charon.ha)" != "fifo 620 root:xfrm-ha" ] && why="/run/charon.ha: $(st /run/charon.ha)"
	[ -z "$why" ] && [ "$(st /run/xfrm-ha)" != "directory 750 xfrm-ha:xfrm-ha" ] && why="/run/xfrm-ha: $(st /run/xfrm-ha)"
	[ -z "$why" ] && [ ! -f "$unit" ] && why="$unit missing"
	[ -z "$why" ] && [ ! -f "/usr/src/xfrm-ha-$version/dkms.conf" ] && why="/usr/src/xfrm-ha-$version/dkms.conf missing"
	[ -n "$why" ] && say "$out" >&2
	say "installed in $((SECONDS - t0)) s" >&2
	echo "$why"
}

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
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "vpn",
  "node-id": $1, "interface": "$3", "local-address": "$4",
  "remote-address": "$5", "port": $XHA_HA_PORT, "key-file": "$(xha_keyfile)",
  "control-socket": "$XHA_TMP/agent$1.sock",
  "track-file": "$XHA_TMP/track$1"${6:+, $6},
  "seqnum-sync": {"oseq-shift": $XHA_OSEQ_SHIFT, "sync-period-time": 1,
  "sync-period-packets": 2}}}}],
 "xfrm-ha:ha": {"group": [{"name": "vpn", $ctl}]}}
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

# ====================================================================
# ha_link_loss helpers (xll_*): many SAs with traffic, HA link impairment.
# Used by ha_link_loss.sh; nothing above depends on them.
#
# SA pair i (1..N, reqid i), tunnel mode between the service address and
# the peer, rfc4106(gcm(aes)), 128-packet bitmap window (non-ESN):
#   out SA: VIP -> peer, SPI 0x10000 + i, policy 10.100.0.1 -> 10.102.0.0+i
#   in SA:  peer -> VIP, SPI 0x20000 + i, policy 10.100.0.2 -> 10.101.0.0+i
# 10.100.0.1 is on lo of ha1 and ha2, 10.100.0.2 on the peer's;
# 10.101.0.0/16 is local (AnyIP) on ha1 and ha2, 10.102.0.0/16 on the peer.
# udpspray (one process per direction) sends round-robin over the pairs.
# The agents run with adaptive-shift off, so that a converged backup holds
# exactly oseq = active's + oseq-shift and seq = active's on every SA:
# a stale SA can never hide behind an earlier record's shift.

XLL_SPRAY=$XHA_SELFTESTS/udpspray
XLL_OUT_BASE=$((0x10000))
XLL_IN_BASE=$((0x20000))

xll_ms() { echo $(($(date +%s%N) / 1000000)); }
# xll_secs MS: "12.3" from milliseconds.
xll_secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# xll_sas_install N: addresses, routes, N SA pairs and their policies in
# ha1, ha2 (identical) and the peer (mirrored). One ip -batch per netns,
# written by awk (a fork per SA costs minutes under TCG).
xll_sas_install() {
	local n=$1 ns
	for ns in "$XHA_NS_HA1" "$XHA_NS_HA2" "$XHA_NS_PEER"; do
		awk -v n="$n" -v peer="$([ "$ns" = "$XHA_NS_PEER" ] && echo 1 || echo 0)" \
			-v vip="$XHA_VIP" -v pa="$XHA_PEER_ADDR" -v ob="$XLL_OUT_BASE" -v ib="$XLL_IN_BASE" '
			function key(spi) {	# xha_key
				return sprintf("0x%08x%08x%08x%08x%08x", spi, spi * 3, spi * 5, spi * 7, spi * 11)
			}
			function addr(pfx, i) { return sprintf("%s.%d.%d", pfx, int(i / 256) % 256, i % 256) }
			BEGIN {
				if (peer) {
					print "addr add 10.100.0.2/32 dev lo"
					print "route add local 10.102.0.0/16 dev lo"
					print "route add 10.100.0.1/32 via " vip " dev eth0"
					print "route add 10.101.0.0/16 via " vip " dev eth0"
				} else {
					print "addr add 10.100.0.1/32 dev lo"
					print "route add local 10.101.0.0/16 dev lo"
					print "route add 10.100.0.2/32 via " pa " dev eth0"
					print "route add 10.102.0.0/16 via " pa " dev eth0"
				}
				for (i = 1; i <= n; i++) {
					printf "xfrm state add src %s dst %s proto esp spi 0x%08x reqid %d mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 128\n", vip, pa, ob + i, i, key(ob + i)
					printf "xfrm state add src %s dst %s proto esp spi 0x%08x reqid %d mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 128\n", pa, vip, ib + i, i, key(ib + i)
					if (peer)
						printf "xfrm policy add src 10.100.0.2/32 dst %s/32 dir out tmpl src %s dst %s proto esp reqid %d mode tunnel\n", addr("10.101", i), pa, vip, i
					else
						printf "xfrm policy add src 10.100.0.1/32 dst %s/32 dir out tmpl src %s dst %s proto esp reqid %d mode tunnel\n", addr("10.102", i), vip, pa, i
				}
			}' >"$XHA_TMP/xll-$ns.batch"
		ip -n "$ns" -batch "$XHA_TMP/xll-$ns.batch" || return 1
	done
}

# xll_spray_start NS DIR N PPS TAG [FIRST]: udpspray in NS over pairs
# FIRST..FIRST+N-1 (default 1) in direction DIR (out: ha -> peer, from ha1
# or ha2; in: peer -> ha), PPS datagrams/s in all, output in
# $XHA_TMP/spray-TAG. The pid goes to XHA_LAST_PID.
xll_spray_start() {
	local ns=$1 dir=$2 n=$3 pps=$4 tag=$5 first=${6:-1} src dst
	if [ "$dir" = out ]; then src=10.100.0.1 dst=10.102.0.0; else src=10.100.0.2 dst=10.101.0.0; fi
	: >"$XHA_TMP/spray-$tag"
	ip netns exec "$ns" "$XLL_SPRAY" -b "$src" -d "$dst" -n "$n" -f "$first" -r "$pps" \
		>"$XHA_TMP/spray-$tag" 2>&1 </dev/null &
	XHA_LAST_PID=$!
	XHA_PIDS+=("$XHA_LAST_PID")
	xha_wait_until 10 grep -q '^udpspray start' "$XHA_TMP/spray-$tag"
}

# xll_spray_stop PID...: stop senders (SIGTERM) and wait for them.
xll_spray_stop() {
	local p
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for p in "$@"; do wait "$p" 2>/dev/null; done
	return 0
}

# xll_spray_tx TAG: datagrams a finished udpspray sent ("tx err").
xll_spray_tx() {
	sed -n 's/^udpspray final tx=\([0-9]*\) err=\([0-9]*\).*/\1 \2/p' "$XHA_TMP/spray-$1"
}

# xll_dump NS: "SPI OSEQ SEQ" (hex SPI, decimal 64-bit counters) for every
# SA of NS, from one "ip -s xfrm state list".
xll_dump() {
	ip -n "$1" -s xfrm state list 2>/dev/null | awk '
		function hex(s,   i, c, v) {
			s = tolower(s); sub(/^0x/, "", s); v = 0
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", substr(s, i, 1))
				if (c == 0) break
				v = v * 16 + c - 1
			}
			return v
		}
		function flush() {
			if (spi != "") printf "%s %.0f %.0f\n", spi, oh * 4294967296 + o, sh * 4294967296 + s
			spi = ""
		}
		/^src / { flush(); sh = s = oh = o = 0; next }
		/proto [a-z]+ spi / { spi = $4; sub(/\(.*/, "", spi) }
		/seq-hi .*, seq .*, oseq-hi .*, oseq / { gsub(",", ""); sh = hex($2); s = hex($4); oh = hex($6); o = hex($8) }
		/anti-replay context:/ { gsub(",", ""); s = hex($4); o = hex($6) }
		END { flush() }'
}

# xll_compare N SHIFT [SKIP]: compares the N SA pairs of ha1 (active) and
# ha2 (backup), pairs 1..SKIP left out (default none). Prints "fresh F behind B ahead A missing M idle I first SPI..."
# over the 2N SAs: fresh: ha2 oseq == ha1 oseq + SHIFT on an out SA, ha2
# seq == ha1 seq on an in SA (counters non-zero); behind: lower on ha2 (a
# stale SA); ahead: higher (should not happen); missing: not on a node;
# idle: ha1's counter still 0. "first": up to 5 SAs not fresh.
# Returns 0 when all of them are fresh.
xll_compare() {
	local n=$1 shift=$2 skip=${3:-0}
	{ xll_dump "$XHA_NS_HA1" | sed 's/^/1 /'; xll_dump "$XHA_NS_HA2" | sed 's/^/2 /'; } |
		awk -v n="$n" -v shift="$shift" -v skip="$skip" -v ob="$XLL_OUT_BASE" -v ib="$XLL_IN_BASE" '
		function hex(s,   i, c, v) {
			s = tolower(s); sub(/^0x/, "", s); v = 0
			for (i = 1; i <= length(s); i++) {
				c = index("0123456789abcdef", substr(s, i, 1))
				if (c == 0) break
				v = v * 16 + c - 1
			}
			return v
		}
		{ k = hex($2); O[$1, k] = $3; S[$1, k] = $4; seen[$1, k] = 1 }
		END {
			for (i = 1; i <= 2 * n; i++) {
				if (i <= n) { k = ob + i; out = 1; p = i } else { k = ib + i - n; out = 0; p = i - n }
				if (p <= skip) continue
				if (!((1, k) in seen) || !((2, k) in seen)) { st = "missing" }
				else if (out) {
					a = O[1, k] + shift; b = O[2, k]
					st = O[1, k] == 0 ? "idle" : b == a ? "fresh" : b < a ? "behind" : "ahead"
				} else {
					a = S[1, k]; b = S[2, k]
					st = a == 0 ? "idle" : b == a ? "fresh" : b < a ? "behind" : "ahead"
				}
				c[st]++
				if (st != "fresh" && nf < 5) {
					nf++
					first = first sprintf(" 0x%x(%s:%.0f/%.0f)", k, out ? "oseq" : "seq", b, a)
				}
			}
			printf "fresh %d behind %d ahead %d missing %d idle %d first%s\n", c["fresh"], c["behind"], c["ahead"], c["missing"], c["idle"], first == "" ? " -" : first
			exit c["fresh"] == 2 * (n - skip) ? 0 : 1
		}'
}

# xll_agent_config NODE-ID ROLE: a static group (active or backup),
# adaptive-shift off, sync every 1 s or 2 packets; prints the path.
xll_agent_config() {
	local f=$XHA_TMP/xll-agent$1.json la ra st
	if [ "$1" = 1 ]; then la=$XHA_HAL1_ADDR ra=$XHA_HAL2_ADDR; else la=$XHA_HAL2_ADDR ra=$XHA_HAL1_ADDR; fi
	[ "$2" = active ] && st=master || st=$2
	cat >"$f" <<EOF
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "vpn",
  "node-id": $1, "interface": "hal$1", "local-address": "$la",
  "remote-address": "$ra", "port": $XHA_HA_PORT, "key-file": "$(xha_keyfile)",
  "control-socket": "$XHA_TMP/agent$1.sock",
  "seqnum-sync": {"oseq-shift": $XHA_OSEQ_SHIFT, "sync-period-time": 1,
  "sync-period-packets": 2, "adaptive-shift": false}}}}],
 "xfrm-ha:ha": {"group": [{"name": "vpn", "static": "$st"}]}}
EOF
	echo "$f"
}

# xll_state NODE-ID: "ha-ike show state" of that node's agent.
xll_state() {
	local ns=$XHA_NS_HA1
	[ "$1" = 2 ] && ns=$XHA_NS_HA2
	nsx "$ns" "$XHA_CLI" show state socket "$XHA_TMP/agent$1.sock" 2>&1
}

# xll_synced: ha2's agent says link up and synced.
xll_synced() { xll_state 2 | grep -q '^peer node .* link up synced'; }

# xll_link_lines NODE-ID: the link, stream and bulk lines of show state
# (issue 7), on one line; today's "peer" line only if those are absent.
xll_link_lines() {
	xll_state "$1" | grep -E '^(peer node|link-stats|stream|bulk) ' | tr '\n' ';' | sed 's/;$//'
}

# xll_netem DEV NS ARGS...: replace DEV's root qdisc in NS with netem ARGS;
# xll_netem DEV NS clear: back to the default.
xll_netem() {
	local dev=$1 ns=$2
	shift 2
	if [ "$1" = clear ]; then
		tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null
		return 0
	fi
	tc -n "$ns" qdisc replace dev "$dev" root netem "$@"
}
# ==================================================== end of xll_* helpers

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

# xha_link_rejected SOCK REASON: the agent's count of datagrams rejected
# for REASON, from show state's link-rejected line (further arguments are
# ignored). Prints the count (0 if the reason is not listed), returns 1
# without the line (the agent not answering).
xha_link_rejected() {
	local st
	st=$("$XHA_CLI" show state socket "$1" 2>/dev/null)
	[[ $st == *"link-rejected "* ]] || return 1
	awk -v r="$2" '$1 == "link-rejected" { for (i = 2; i < NF; i += 2) if ($i == r) { print $(i + 1); f = 1 } }
		END { if (!f) print 0 }' <<<"$st"
}

# xha_link_line SOCK: the "peer node ..." line of show state.
xha_link_line() { "$XHA_CLI" show state socket "$1" 2>/dev/null | grep '^peer node'; }
