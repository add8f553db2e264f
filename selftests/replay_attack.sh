#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# replay_attack.sh [--verbose] [--seconds SEC]
#
# Replay attack across a failover (issue 6), run as root with xfrm_ha.ko
# loaded (inside the selftest VM), on the topology of lib.sh:
#
#  1. "agents": ha-ike-agent runs on ha1 (active) and ha2 (backup). The
#     peer sends a sequence-numbered UDP stream (udpseq) to a receiver
#     behind the HA pair on each SA, for SEC seconds; tcpdump on the peer
#     captures the ESP. While the traffic flows, ha1 dies (its agent is
#     SIGKILLed, its links go down at once). ha2's inbound counter S of each
#     SA is read; the traffic stops and the service address moves to ha2.
#     The attacker then replays at ha2 (espinject, from the peer's side of
#     the switch) the captured frames with S - window < seq <= S, oldest
#     first: ha1 had accepted all of them before the last update reached
#     ha2. Every one must be dropped and counted in ha2's
#     XfrmInStateSeqError (exactly), and none of their payloads may reach
#     ha2's receiver. Then the frames ha1 accepted after that update and
#     before its agent died (S < seq, sent before the kill), the exposure,
#     are replayed: ha2 cannot know them and must accept them (which also
#     shows that the injection reaches ha2's replay check); their number
#     and age (the freshness of ha2's window) are the figures for the note.
#  2. "no-agents": the same without the agents. ha2's SAs hold their
#     initial counters, so the same replay (of the frames with ha1's last
#     accepted - window < seq <= ha1's last accepted) must succeed: every
#     frame accepted, every payload delivered. Proves that the test can
#     fail.
#
# Inbound SAs (peer -> ha) cover the replay modes: legacy (32), bitmap
# (1024, 4096 and 1000, not a power of two) and ESN (2048) starting 256
# packets below 2^32, so that the replayed frames straddle the wrap.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

SECS=${XHA_RA_SECONDS:-6}
while [ $# -gt 0 ]; do
	case $1 in
	-v | --verbose) XHA_VERBOSE=1 ;;
	--seconds) SECS=$2; shift ;;
	-h | --help) sed -n '3,/^set -u/{/^#/p}' "$0"; exit 0 ;;
	*) echo "usage: $0 [--verbose] [--seconds SEC]" >&2; exit 2 ;;
	esac
	shift
done

xha_require_root
trap 'xha_cleanup' EXIT
trap 'exit 130' INT TERM

UDPSEQ=$XHA_SELFTESTS/udpseq
ESPINJECT=$XHA_SELFTESTS/espinject
PORT=5001

# Inbound SAs: "reqid label window packets/s esn-start". The peer's sender
# and the HA pair's receiver; the outbound SAs (ha -> peer) are plain
# legacy ones, for the agents to relay as well.
RA_SAS=(
	"1 legacy/32 32 100 -"
	"2 bmp/1024 1024 300 -"
	"3 bmp/1000 1000 300 -"
	"4 bmp/4096 4096 800 -"
	"5 esn/2048@2^32 2048 300 0xffffff00"
)
# lib.sh's topology only needs the reqids (one address pair per reqid).
XHA_PAIRS=()
for _sa in "${RA_SAS[@]}"; do
	read -r _reqid _ <<<"$_sa"
	XHA_PAIRS+=("$_reqid legacy legacy")
done

PER_SCENARIO_agents=9
PER_SCENARIO_none=8
PLAN=$((PER_SCENARIO_agents + PER_SCENARIO_none))

declare -A R=()		# figures for the summary
declare -A RX_PID=() RX_OUT=() TX_PID=() TX_OUT=()

# ------------------------------------------------------------- SAs

# in_state_cmd SRC DST REQID WINDOW ESN-START ROLE: the inbound SA (peer ->
# ha) of REQID for ip -batch; ROLE send (the peer) or recv (ha1, ha2).
in_state_cmd() {
	local src=$1 dst=$2 reqid=$3 win=$4 esn=$5 role=$6 spi extra
	spi=$(xha_in_spi "$reqid")
	extra="replay-window $win"
	if [ "$esn" != - ]; then
		extra+=" flag esn"
		if [ "$role" = send ]; then
			extra+=" replay-oseq-hi 0 replay-oseq $esn"
		else
			extra+=" replay-seq-hi 0 replay-seq $esn"
		fi
	fi
	echo "xfrm state add src $src dst $dst proto esp spi $spi reqid $reqid mode tunnel" \
		"aead rfc4106(gcm(aes)) $(xha_key "$spi") 128 $extra"
}

sas_install() {
	local ns reqid label win rate esn ospi hin pin role
	for ns in "$XHA_NS_HA1" "$XHA_NS_HA2" "$XHA_NS_PEER"; do
		for _sa in "${RA_SAS[@]}"; do
			read -r reqid label win rate esn <<<"$_sa"
			ospi=$(xha_out_spi "$reqid")
			hin=192.168.1.$reqid/32
			pin=192.168.2.$reqid/32
			echo "xfrm state add src $XHA_VIP dst $XHA_PEER_ADDR proto esp spi $ospi reqid $reqid" \
				"mode tunnel aead rfc4106(gcm(aes)) $(xha_key "$ospi") 128 replay-window 32"
			if [ "$ns" = "$XHA_NS_PEER" ]; then role=send; else role=recv; fi
			in_state_cmd "$XHA_PEER_ADDR" "$XHA_VIP" "$reqid" "$win" "$esn" "$role"
			if [ "$ns" = "$XHA_NS_PEER" ]; then
				echo "xfrm policy add src $pin dst $hin dir out" \
					"tmpl src $XHA_PEER_ADDR dst $XHA_VIP proto esp reqid $reqid mode tunnel"
				echo "xfrm policy add src $hin dst $pin dir in" \
					"tmpl src $XHA_VIP dst $XHA_PEER_ADDR proto esp reqid $reqid mode tunnel"
			else
				echo "xfrm policy add src $hin dst $pin dir out" \
					"tmpl src $XHA_VIP dst $XHA_PEER_ADDR proto esp reqid $reqid mode tunnel"
				echo "xfrm policy add src $pin dst $hin dir in" \
					"tmpl src $XHA_PEER_ADDR dst $XHA_VIP proto esp reqid $reqid mode tunnel"
			fi
		done >"$XHA_TMP/sas-$ns.batch"
		ip -n "$ns" -batch "$XHA_TMP/sas-$ns.batch" || return 1
	done
}

# sa_in NS REQID: "seq drops packets" of the inbound SA (from xha_sa_load).
sa_in() {
	local v o s d p
	v=$(xha_in "$1" "$2") || { echo "0 0 0"; return 1; }
	read -r o s d p <<<"$v"
	echo "$s $d $p"
}

# ha2_synced: ha2's inbound counters equal ha1's and are past the initial
# ones (the warm-up went through ha1) on every SA.
ha2_synced() {
	local reqid label win rate esn s1 s2 init
	xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid label win rate esn <<<"$_sa"
		read -r s1 _ <<<"$(sa_in "$XHA_NS_HA1" "$reqid")"
		read -r s2 _ <<<"$(sa_in "$XHA_NS_HA2" "$reqid")"
		init=0
		[ "$esn" != - ] && init=$((esn))
		[ "$s1" -gt "$init" ] && [ "$s2" -eq "$s1" ] || return 1
	done
}

# ------------------------------------------------------------- traffic

# rx_start NS TAG: a receive-only udpseq on every SA's inner address.
rx_start() {
	local ns=$1 tag=$2 reqid
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid _ <<<"$_sa"
		RX_OUT[$tag-$reqid]=$XHA_TMP/rx-$tag-$reqid.out
		ip netns exec "$ns" "$UDPSEQ" -b "192.168.1.$reqid:$PORT" -p "192.168.2.$reqid:$PORT" \
			-r 0 -n "$tag-$reqid" -o "${RX_OUT[$tag-$reqid]}" </dev/null >/dev/null 2>&1 &
		RX_PID[$tag-$reqid]=$!
		XHA_PIDS+=("$!")
	done
}

gone() { ! kill -0 "$1" 2>/dev/null; }
started() { grep -q '^udpseq start' "$1" 2>/dev/null; }
nsnaps() { grep -c '^udpseq snap ' "$1" 2>/dev/null; }
more_snaps() { [ "$(nsnaps "$1")" -gt "$2" ]; }

# rx_count TAG-REQID: the number of datagrams the receiver got so far (a
# fresh "snap"), or -1.
rx_count() {
	local pid=${RX_PID[$1]} out=${RX_OUT[$1]} n
	n=$(nsnaps "$out")
	kill -USR1 "$pid" 2>/dev/null || { echo -1; return; }
	if ! xha_wait_until 10 more_snaps "$out" "$n"; then
		echo -1
		return
	fi
	grep '^udpseq snap ' "$out" | tail -n1 | tr ' ' '\n' | sed -n 's/^rx=//p'
}

# tx_start: the peer's stream on every SA, at the SA's rate.
tx_start() {
	local reqid label win rate esn
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid label win rate esn <<<"$_sa"
		TX_OUT[$reqid]=$XHA_TMP/tx-$reqid.out
		ip netns exec "$XHA_NS_PEER" "$UDPSEQ" -b "192.168.2.$reqid:$PORT" -p "192.168.1.$reqid:$PORT" \
			-r "$rate" -n "peer-$reqid" -o "${TX_OUT[$reqid]}" </dev/null >/dev/null 2>&1 &
		TX_PID[$reqid]=$!
		XHA_PIDS+=("$!")
	done
}

tx_stop() {
	local reqid p=()
	for reqid in "${!TX_PID[@]}"; do
		p+=("${TX_PID[$reqid]}")
	done
	xha_stop "${p[@]}"
}

# tx_sent REQID: datagrams the peer's sender sent.
tx_sent() {
	grep '^udpseq final' "${TX_OUT[$1]}" 2>/dev/null | tail -n1 | tr ' ' '\n' | sed -n 's/^tx=//p'
}

# ------------------------------------------------------------- the attack

# inject REQID FIRST LAST: replays the captured frames of REQID's inbound
# SA with FIRST <= seq <= LAST at ha2 and waits until ha2 has either
# accepted or dropped each one. Sets INJ_SENT, INJ_FIRST, INJ_LAST,
# INJ_SEQERR (XfrmInStateSeqError), INJ_ACC (the SA's packets), INJ_SADROP
# (the SA's replay + replay-window + ICV failures) and INJ_RX (payloads at
# ha2's receiver): deltas over the injection. Returns 1 if espinject
# failed or the frames did not all reach ha2's xfrm input.
inject() {
	local reqid=$1 first=$2 last=$3 spi out st0 st1 d0 p0 d1 p1 rx0 rx1 pe0 pe1
	spi=$(xha_in_spi "$reqid")
	INJ_SENT=0 INJ_FIRST=0 INJ_LAST=0 INJ_SEQERR=0 INJ_ACC=0 INJ_SADROP=0 INJ_RX=0
	[ "$first" -le "$last" ] || return 0
	st0=$(xha_xfrm_stats "$XHA_NS_HA2")
	xha_sa_load "$XHA_NS_HA2"
	read -r _ d0 p0 <<<"$(sa_in "$XHA_NS_HA2" "$reqid")"
	rx0=$(rx_count "ha2-$reqid")
	out=$(ip netns exec "$XHA_NS_PEER" "$ESPINJECT" -q -r "$XHA_TMP/esp.pcap" -s "$spi" -H 0 \
		-f "$first" -l "$last" -i eth0 -d "$HA2_MAC" 2>&1)
	local rc=$?
	vsay "$out"
	INJ_SENT=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<"$out")
	INJ_FIRST=$(sed -n 's/.* first=\([0-9]*\).*/\1/p' <<<"$out")
	INJ_LAST=$(sed -n 's/.* last=\([0-9]*\).*/\1/p' <<<"$out")
	: "${INJ_SENT:=0}" "${INJ_FIRST:=0}" "${INJ_LAST:=0}"
	if [ "$rc" != 0 ]; then
		say "espinject failed: $out"
		return 1
	fi
	# Every frame ends up accepted (packets) or dropped (SeqError, or
	# the SA's ICV failures: ProtoError).
	settled() {
		st1=$(xha_xfrm_stats "$XHA_NS_HA2")
		xha_sa_load "$XHA_NS_HA2"
		read -r _ d1 p1 <<<"$(sa_in "$XHA_NS_HA2" "$reqid")"
		INJ_SEQERR=$(($(xha_stat_get "$st1" XfrmInStateSeqError) - $(xha_stat_get "$st0" XfrmInStateSeqError)))
		pe1=$(xha_stat_get "$st1" XfrmInStateProtoError)
		pe0=$(xha_stat_get "$st0" XfrmInStateProtoError)
		INJ_ACC=$((p1 - p0)) INJ_SADROP=$((d1 - d0))
		[ $((INJ_SEQERR + INJ_ACC + pe1 - pe0)) -ge "$INJ_SENT" ]
	}
	local ok=0
	xha_wait_until 15 settled || ok=1
	[ "$((pe1 - pe0))" -eq 0 ] || say "ha2: XfrmInStateProtoError +$((pe1 - pe0)) on SPI $spi"
	# Payloads: the receiver may lag behind the SA's counter a little.
	rx_settled() {
		rx1=$(rx_count "ha2-$reqid")
		[ "$rx1" -ge 0 ] && [ $((rx1 - rx0)) -ge "$INJ_ACC" ]
	}
	xha_wait_until 3 rx_settled
	INJ_RX=$((rx1 - rx0))
	if [ "$rx0" -lt 0 ] || [ "$rx1" -lt 0 ]; then
		say "cannot read ha2's receiver of pair $reqid"
		ok=1
	fi
	return $ok
}

# --------------------------------------------------------- scenario

fail_rest() {	# fail_rest COUNT TAG REASON
	local i
	for ((i = 0; i < $1; i++)); do
		ktap_fail "$2: not run" "$3"
	done
}

# scenario 1|0: with or without the agents.
scenario() {
	local agents=$1 tag rest pid1='' pid2='' cfg1 cfg2 reqid label win rate esn
	if [ "$agents" = 1 ]; then
		tag=agents rest=$PER_SCENARIO_agents
	else
		tag=no-agents rest=$PER_SCENARIO_none
	fi
	vbanner "replay attack $([ "$agents" = 1 ] && echo WITH || echo WITHOUT) xfrm-ha"

	xha_tmp_init
	if ! xha_topo_up || ! sas_install; then
		ktap_fail "$tag: topology, SAs, receivers$([ "$agents" = 1 ] && echo ", agents synced")" "setup failed"
		fail_rest $((rest - 1)) "$tag" "setup failed"
		xha_cleanup
		return
	fi
	rx_start "$XHA_NS_HA1" ha1
	rx_start "$XHA_NS_HA2" ha2
	HA2_MAC=$(ip -n "$XHA_NS_HA2" link show eth0 | awk '/link\/ether/ { print $2 }')

	# Warm-up: the SAs are in use when the agents start.
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid _ <<<"$_sa"
		nsx "$XHA_NS_PEER" ping -q -n -c 2 -i 0.05 -W 2 -I "192.168.2.$reqid" "192.168.1.$reqid" >/dev/null ||
			say "$tag: warning: the warm-up ping on pair $reqid failed"
	done

	local why='' t0=$SECONDS
	for reqid in "${!RX_OUT[@]}"; do
		xha_wait_until 10 started "${RX_OUT[$reqid]}" || why+="receiver $reqid did not start; "
	done
	if [ "$agents" = 1 ]; then
		if [ ! -x "$XHA_AGENT" ]; then
			why+="${XHA_AGENT#"$XHA_REPO"/} missing, run make; "
		else
			cfg1=$(xha_agent_config 1 active hal1 "$XHA_HAL1_ADDR" "$XHA_HAL2_ADDR")
			cfg2=$(xha_agent_config 2 backup hal2 "$XHA_HAL2_ADDR" "$XHA_HAL1_ADDR")
			xha_agent_start "$XHA_NS_HA2" "$cfg2" "$XHA_TMP/agent-ha2.log"
			pid2=$XHA_LAST_PID
			xha_agent_start "$XHA_NS_HA1" "$cfg1" "$XHA_TMP/agent-ha1.log"
			pid1=$XHA_LAST_PID
			disown "$pid1"	# no "Killed" job notice when it dies
			xha_wait_until 30 ha2_synced || why+="ha2 not synced within 30s; "
			kill -0 "$pid1" 2>/dev/null || why+="ha1's agent exited; "
			kill -0 "$pid2" 2>/dev/null || why+="ha2's agent exited; "
		fi
	fi
	if [ -n "$why" ]; then
		ktap_fail "$tag: topology, SAs, receivers$([ "$agents" = 1 ] && echo ", agents synced")" "${why%; }"
		fail_rest $((rest - 1)) "$tag" "setup failed"
		[ -f "$XHA_TMP/agent-ha1.log" ] && say "agent on ha1:" && say "$(tail -n 20 "$XHA_TMP/agent-ha1.log")"
		[ -f "$XHA_TMP/agent-ha2.log" ] && say "agent on ha2:" && say "$(tail -n 20 "$XHA_TMP/agent-ha2.log")"
		xha_cleanup
		return
	fi
	ktap_pass "$tag: topology, SAs, receivers$([ "$agents" = 1 ] && echo ", agents synced in $((SECONDS - t0))s")"

	# Traffic through ha1, captured on the peer.
	local pcap=$XHA_TMP/esp.pcap tdpid
	ip netns exec "$XHA_NS_PEER" tcpdump -i eth0 -n -s 0 -B 32768 -U -Z root -w "$pcap" \
		"esp and src host $XHA_PEER_ADDR" </dev/null >/dev/null 2>"$XHA_TMP/tcpdump.err" &
	tdpid=$!
	XHA_PIDS+=("$tdpid")
	xha_wait_until 10 grep -q 'listening on' "$XHA_TMP/tcpdump.err" ||
		say "$tag: warning: tcpdump did not say it listens: $(cat "$XHA_TMP/tcpdump.err")"
	vsay "traffic: the peer sends UDP to 192.168.1.N on every SA for ${SECS}s; ha1 dies while it flows"
	tx_start
	# ha1's links are cut by an "ip -batch" that is already running
	# (an exec takes up to a second under TCG while the traffic flows).
	# Opened after every long-lived child started: none may inherit the
	# FIFO's write end, or ip would never see its end.
	local cutfd cutpid
	mkfifo "$XHA_TMP/cut"
	ip -n "$XHA_NS_HA1" -force -batch - <"$XHA_TMP/cut" >/dev/null 2>&1 &
	cutpid=$!
	XHA_PIDS+=("$cutpid")
	exec {cutfd}>"$XHA_TMP/cut"
	sleep "$SECS"

	# ha1 dies while the traffic flows: agent killed, links cut at once.
	# The links go down a little later than the agent dies: ha1 may accept
	# a few more frames that no agent could have synced; the exposure
	# counts only what the peer sent before the kill.
	declare -A S0=() S=() A=() AK=()
	local tkill
	tkill=${EPOCHREALTIME/./}
	[ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null
	printf 'link set eth0 down\nlink set hal1 down\n' >&"$cutfd"
	exec {cutfd}>&-
	xha_wait_until 10 gone "$cutpid"
	ip -n "$XHA_NS_HA1" link show eth0 | grep -q 'state DOWN' ||
		ip -n "$XHA_NS_HA1" link set eth0 down
	xha_sa_load "$XHA_NS_HA2"
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid _ <<<"$_sa"
		read -r "S0[$reqid]" _ <<<"$(sa_in "$XHA_NS_HA2" "$reqid")"
	done
	# ha1 is dead: stopping the traffic lets nothing catch up any more.
	tx_stop
	sleep 0.5
	kill -INT "$tdpid" 2>/dev/null
	wait "$tdpid" 2>/dev/null
	xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
	local bad='' total=0 d1 seen lag late_ms=-1 ua
	say "$tag: through ha1 for ${SECS}s; per SA: sent, ha1's last accepted, ha2's counter at ha1's death (and now):"
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid label win rate esn <<<"$_sa"
		read -r "A[$reqid]" d1 _ <<<"$(sa_in "$XHA_NS_HA1" "$reqid")"
		read -r "S[$reqid]" _ <<<"$(sa_in "$XHA_NS_HA2" "$reqid")"
		seen=$(ip netns exec "$XHA_NS_PEER" "$ESPINJECT" -q -r "$pcap" -s "$(xha_in_spi "$reqid")" -H 0 \
			-l "${A[$reqid]}" 2>/dev/null | sed -n 's/.* matched=\([0-9]*\).*/\1/p')
		say "$(printf '  %-15s sent %5s  captured<=last %5s  ha1 last %-24s ha2 %-24s%s  ha1 drops %s' \
			"$label" "$(tx_sent "$reqid")" "${seen:-?}" "$(xha_fmt "${A[$reqid]}")" \
			"$(xha_fmt "${S0[$reqid]}")" \
			"$([ "${S[$reqid]}" = "${S0[$reqid]}" ] || echo " (now $(xha_fmt "${S[$reqid]}"))")" "$d1")"
		[ "${seen:-0}" -gt 0 ] && [ "$d1" = 0 ] || bad+=" $label"
		ua=$(ip netns exec "$XHA_NS_PEER" "$ESPINJECT" -q -r "$pcap" -s "$(xha_in_spi "$reqid")" -H 0 \
			-f "${A[$reqid]}" -l "${A[$reqid]}" 2>/dev/null | sed -n 's/.* first_us=\([0-9]*\).*/\1/p')
		[ -n "$ua" ] && [ "$ua" -gt 0 ] && [ $(((ua - tkill) / 1000)) -gt "$late_ms" ] &&
			late_ms=$(((ua - tkill) / 1000))
		if [ "$agents" = 1 ]; then
			# AK: the last frame the peer sent before the agent was
			# killed; lag (freshness): how much earlier it had sent
			# frame S, the last one ha2 knew of.
			lag=$(ip netns exec "$XHA_NS_PEER" "$ESPINJECT" -r "$pcap" -s "$(xha_in_spi "$reqid")" -H 0 \
				-f "${S[$reqid]}" -l "${A[$reqid]}" 2>/dev/null | awk -v s="${S[$reqid]}" -v t="$tkill" '
				/^espinject frame / {
					for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
					if (f["seq"] == s) us_s = f["us"]
					if (f["us"] + 0 <= t + 0) { ak = f["seq"]; us_ak = f["us"] }
				}
				END { if (ak == "" || us_s == "") print s, -1; else print ak, int((us_ak - us_s) / 1000) }')
			read -r "AK[$reqid]" "R[lag.$label]" <<<"${lag:-${S[$reqid]} -1}"
			R[late.$label]=$((A[$reqid] - AK[$reqid]))
		fi
		total=$((total + ${seen:-0}))
	done
	say "$tag: tcpdump: $(grep -E 'captured|dropped' "$XHA_TMP/tcpdump.err" | tr '\n' ' ')"
	say "$tag: ha1 accepted frames the peer sent up to $late_ms ms after its agent was killed (then its links were down)"
	if [ -z "$bad" ]; then
		ktap_pass "$tag: ESP through ha1 on every SA, captured ($total frames), accepted without drops by ha1"
	else
		ktap_fail "$tag: ESP through ha1 on every SA, captured ($total frames), accepted without drops by ha1" \
			"nothing captured or drops at ha1 on:$bad"
	fi

	# The service address moves to ha2.
	if xha_failover; then
		ktap_pass "$tag: failover, the peer reaches $XHA_VIP on ha2"
	else
		ktap_fail "$tag: failover, the peer reaches $XHA_VIP on ha2" "no answer from ha2"
	fi

	# The attack: frames ha1 had accepted, within ha2's window.
	local top lo ok why2 first
	for _sa in "${RA_SAS[@]}"; do
		read -r reqid label win rate esn <<<"$_sa"
		# With the agents, ha2 knows ha1 up to S; without them, ha1's
		# last accepted frame is the top of what is replayed.
		if [ "$agents" = 1 ]; then top=${S[$reqid]}; else top=${A[$reqid]}; fi
		lo=$((top - win + 1))
		[ "$lo" -ge 1 ] || lo=1
		ok=0
		inject "$reqid" "$lo" "$top" || ok=1
		R[$tag.$label]="$INJ_SENT $INJ_ACC $INJ_SEQERR $INJ_RX $INJ_SADROP $top"
		why2=''
		# At least half a window replayed (the traffic filled it enough),
		# so that a hole anywhere in the window shows.
		local need=$((win / 2))
		[ "$INJ_SENT" -ge "$need" ] || why2+="only $INJ_SENT frames in the window (need $need); "
		if [ "$esn" != - ] && { [ "$INJ_FIRST" -ge $((1 << 32)) ] || [ "$INJ_LAST" -lt $((1 << 32)) ]; }; then
			why2+="the replayed frames do not straddle 2^32 ($INJ_FIRST..$INJ_LAST); "
		fi
		[ "$ok" = 0 ] || why2+="not every frame reached ha2's replay check; "
		first=$([ "$INJ_SENT" -gt 0 ] && echo "seq $(xha_fmt "$INJ_FIRST")..$(xha_fmt "$INJ_LAST")" || echo "no frames")
		if [ "$agents" = 1 ]; then
			[ "$INJ_SEQERR" -eq "$INJ_SENT" ] || why2+="XfrmInStateSeqError +$INJ_SEQERR; "
			[ "$INJ_ACC" -eq 0 ] || why2+="$INJ_ACC accepted by ha2; "
			[ "$INJ_RX" -eq 0 ] || why2+="$INJ_RX payloads delivered; "
			ktap_result "$([ -z "$why2" ] && echo 0 || echo 1)" \
				"$tag: $label: $INJ_SENT replayed frames at or below S ($first) all dropped, XfrmInStateSeqError +$INJ_SEQERR, 0 payloads" \
				"${why2%; }"
		else
			[ "$INJ_ACC" -eq "$INJ_SENT" ] || why2+="only $INJ_ACC accepted; "
			[ "$INJ_RX" -eq "$INJ_SENT" ] || why2+="$INJ_RX payloads delivered; "
			[ "$INJ_SEQERR" -eq 0 ] || why2+="XfrmInStateSeqError +$INJ_SEQERR; "
			ktap_result "$([ -z "$why2" ] && echo 0 || echo 1)" \
				"$tag: $label: the replay succeeds without xfrm-ha: $INJ_ACC of $INJ_SENT frames ($first) accepted, $INJ_RX payloads delivered" \
				"${why2%; }"
		fi
	done

	if [ "$agents" = 1 ]; then
		# The exposure: what ha1 accepted after the last update
		# reached ha2 and before its agent died.
		local exp_sent=0 exp_acc=0 exp_rx=0 bad2='' line=''
		for _sa in "${RA_SAS[@]}"; do
			read -r reqid label win rate esn <<<"$_sa"
			inject "$reqid" $((S[$reqid] + 1)) "${AK[$reqid]}" || bad2+=" $label (unsettled)"
			R[exp.$label]="$INJ_SENT $INJ_ACC $INJ_RX"
			exp_sent=$((exp_sent + INJ_SENT)) exp_acc=$((exp_acc + INJ_ACC)) exp_rx=$((exp_rx + INJ_RX))
			[ "$INJ_ACC" -eq "$INJ_SENT" ] && [ "$INJ_RX" -eq "$INJ_SENT" ] || bad2+=" $label"
			line+=" $label $INJ_ACC/$INJ_SENT,"
		done
		say "$tag: exposure (accepted by ha1 after the last update reached ha2, sent before its agent died), accepted/replayed at ha2:${line%,}"
		ktap_result "$([ -z "$bad2" ] && echo 0 || echo 1)" \
			"$tag: the exposure, $exp_sent frames above S that ha1 accepted while its agent lived, is accepted once by ha2 ($exp_acc accepted, $exp_rx payloads)" \
			"not all accepted on:$bad2"
		xha_stop "$pid2"
		if [ "$XHA_VERBOSE" = 1 ] || [ "$ktap_failed" -gt 0 ]; then
			say "agent on ha1 (log tail):"; say "$(tail -n 10 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
			say "agent on ha2 (log tail):"; say "$(tail -n 10 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
		fi
	fi
	# The receivers end on SIGTERM (no job notice for a killed one).
	local rxp=()
	for reqid in "${!RX_PID[@]}"; do
		rxp+=("${RX_PID[$reqid]}")
	done
	RX_PID=()
	xha_stop "${rxp[@]}"
	xha_cleanup
}

ktap_header
ktap_plan "$PLAN"
say "replay_attack: $(uname -r), ${SECS}s of traffic before ha1 dies"
if ! grep -q '^xfrm_ha ' /proc/modules; then
	say "warning: xfrm_ha is not loaded"
fi
for _p in "$UDPSEQ" "$ESPINJECT"; do
	[ -x "$_p" ] || say "error: ${_p#"$XHA_REPO"/} missing: run make -C selftests build"
done
command -v tcpdump >/dev/null || say "error: tcpdump missing: run make deps"
T_START=$SECONDS
scenario 1
scenario 0

say "figures (replayed = frames S - window < seq <= S; S = ha2's counter with the agents, ha1's last accepted without;"
say "  exposure = frames S < seq <= the last one sent before ha1's agent was killed; lag = their capture time"
say "  minus that of frame S: how stale ha2 was when ha1's agent died; late = frames ha1 accepted between"
say "  the kill and its link going down, which no agent could sync, not replayed):"
say "$(printf '  %-15s %-35s %-40s %s' mode "with xfrm-ha: replayed/dropped/SeqErr/payloads" "exposure: above S / accepted / lag ms / late" "without: replayed/accepted/payloads")"
for _sa in "${RA_SAS[@]}"; do
	read -r _reqid _label _ <<<"$_sa"
	read -r a_n a_acc a_se a_rx _ <<<"${R[agents.$_label]:-0 0 0 0 0}"
	read -r e_n e_acc _ <<<"${R[exp.$_label]:-0 0 0}"
	read -r n_n n_acc _ n_rx _ <<<"${R[no-agents.$_label]:-0 0 0 0 0}"
	say "$(printf '  %-15s %-35s %-40s %s' "$_label" "$a_n / $((a_n - a_acc)) / $a_se / $a_rx" "$e_n / $e_acc / ${R[lag.$_label]:-?} / ${R[late.$_label]:-?}" "$n_n / $n_acc / $n_rx")"
done
say "runtime $((SECONDS - T_START))s"

if ktap_finish; then
	say "VERDICT: PASS: with xfrm-ha ha2 dropped every replayed frame it had been told about; without it the replay got through"
	exit 0
fi
say "VERDICT: FAIL: $ktap_failed of $ktap_n checks failed (see 'not ok' above)"
exit 1
