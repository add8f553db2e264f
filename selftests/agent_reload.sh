#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# agent_reload.sh [--verbose]
#
# The daemon under an operator (issue 9): reload, readiness, exit codes.
# The topology of lib.sh with two SA pairs (bitmap windows of 128); ha1
# active and ha2 backup (static groups), oseq-shift 64, adaptive-shift
# off (a fresh backup holds exactly the active's last record + the
# shift), sync-period-time 1 s, sync-period-packets 2. ha1 sends UDP to
# the peer through pair 1 (udpseq, RATE packets/s). Each agent runs with
# NOTIFY_SOCKET pointing at a datagram socket this test reads (python3),
# as systemd's would.
#
#  1. READY=1: ha1 (active) sends it at once; ha2 (backup, started once
#     ha1 runs) only after its first bulk sync completed (its log line is
#     earlier than READY's arrival), with STATUS= saying what it waited
#     for before. ha1 runs with WATCHDOG_USEC: sd-event pings WATCHDOG=1.
#  2. A valid reload under traffic, ha2 by SIGHUP, ha1 by "ha-ike reload":
#     oseq-shift 64 -> 1024 and sync-period-packets 2 -> 5. The sync state
#     stays: no new bulk sync on either side, no new peer boot, the link
#     never down, the stream's sequence numbers go on. The new settings
#     are in effect: ha1's module reports sync-period-packets 5 (ha-ike
#     show stats) and ha2's counters are ahead of ha1's by more than the
#     old shift could give (plus SLACK, what ha1 sends between a packet and
#     its record's write under TCG), at most the new one plus SLACK.
#  3. An invalid file (node-id 99, out of the model's range) is refused,
#     by SIGHUP and by ha-ike reload (exit status non-zero), with libyang's
#     message naming the leaf; a live-immutable change (node-id 3) is
#     refused with the reason; the old configuration keeps running: ha2
#     still answers and still tracks ha1 with the shift of step 2.
#  4. Reloads that change what the running state hangs on, under traffic:
#     a. RELOADING=1 (with MONOTONIC_USEC) before each reload, READY=1
#        after it;
#     b. the link key: ha2 alone on a new key refuses ha1's datagrams
#        (auth-failed grows) and the link stays down past the peer-dead
#        time (the control: the new key is in use); ha1 on the same key
#        too, and ha2 is synced again in a new session (peer-boots grows:
#        the handshake restarts, the tables stay), tracking ha1 with the
#        shift;
#     c. the addresses: ha2 moves to a second address on hal2 and ha1 to
#        that remote: ha2's socket is bound there and not on the old one,
#        and ha2 is synced again;
#     d. the HA group: ha2's static group "vpn" replaced by a keepalived
#        group "vpn2": its FIFO is opened and read (a BACKUP line for its
#        instance counted and applied); then by an external group "vpn3":
#        "ha-ike group vpn3 backup" is taken, "ha-ike group vpn2 ..."
#        refused as unknown; ha2 a synced backup throughout;
#     e. the track file: a new path gets this node's value (0: fresh);
#     f. strongSwan's FIFO: configured by reload, a reader standing in for
#        charon gets "-1" (the backup's state) on the new FIFO.
#  5. Exit code 78 (EX_CONFIG) for a bad configuration, at start and with
#     --check; 1 for a runtime failure (the address taken).
#  6. A backup alone (ha1 stopped): READY=1 after PEER_DEAD_MS without a
#     peer, its STATUS saying so.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup' EXIT
trap 'exit 130' INT TERM

XHA_PAIRS=("1 bmp bmp" "2 bmp bmp")
XHA_OSEQ_SHIFT=64
NEW_SHIFT=1024
RATE=${XHA_AR_RATE:-100}
SLACK=150		# packets: record lag and reading skew under TCG
UDPSEQ=$XHA_SELFTESTS/udpseq
PLAN=25
declare -A PID=()
# cfg_write's settings per agent, where they differ from the first ones
declare -A KEYF=() LADDR=() RADDR=() GROUP=() TRACK=() EXTRA=()

sock() { echo "$XHA_TMP/agent$1.sock"; }
ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }
log_of() { echo "$XHA_TMP/agent-ha$1.log"; }
ntf_of() { echo "$XHA_TMP/notify$1.log"; }

# cfg_write N SHIFT PACKETS [NODE-ID]: agent N's configuration file (the
# model's JSON encoding).
# The arrays above (KEYF, LADDR, RADDR, GROUP "NAME JSON-MEMBER", TRACK,
# EXTRA: more members of ha) change one agent's file from the first one.
cfg_write() {
	local la ra st node=${4:-$1} g
	if [ "$1" = 1 ]; then la=$XHA_HAL1_ADDR ra=$XHA_HAL2_ADDR st=master; else la=$XHA_HAL2_ADDR ra=$XHA_HAL1_ADDR st=backup; fi
	g=${GROUP[$1]:-vpn \"static\": \"$st\"}
	cat >"$XHA_TMP/agent$1.json.tmp" <<EOF
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "${g%% *}",
  "node-id": $node, "interface": "hal$1", "local-address": "${LADDR[$1]:-$la}",
  "remote-address": "${RADDR[$1]:-$ra}", "port": $XHA_HA_PORT,
  "key-file": "${KEYF[$1]:-$(xha_keyfile)}", "control-socket": "$(sock "$1")",
  "track-file": "${TRACK[$1]:-$XHA_TMP/track$1}", ${EXTRA[$1]:-}
  "seqnum-sync": {"oseq-shift": $2, "sync-period-time": 1,
  "sync-period-packets": $3, "adaptive-shift": false}}}}],
 "xfrm-ha:ha": {"group": [{"name": "${g%% *}", ${g#* }}]}}
EOF
	mv "$XHA_TMP/agent$1.json.tmp" "$XHA_TMP/agent$1.json"
}

# notify_start N: a datagram socket standing in for systemd's, logging
# what arrives with the time of day (as the agent's log lines).
notify_start() {
	local s=$XHA_TMP/notify$1.sock
	rm -f "$s"
	cat >"$XHA_TMP/notify.py" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        m = s.recv(65536).decode(errors="replace")
        t = time.time()
        f.write("%s.%03d %s\n" % (time.strftime("%H:%M:%S", time.localtime(t)),
                                  int(t * 1000) % 1000, m.replace("\n", "|")))
EOF
	: >"$(ntf_of "$1")"
	python3 -u "$XHA_TMP/notify.py" "$s" "$(ntf_of "$1")" </dev/null >/dev/null 2>&1 &
	PID[ntf$1]=$!
	XHA_PIDS+=("$!")
	xha_wait_until 10 test -S "$s"
}

# agent_start N [ENV...]: debug logging, NOTIFY_SOCKET set.
agent_start() {
	local n=$1
	shift
	env NOTIFY_SOCKET="$XHA_TMP/notify$n.sock" "$@" \
		ip netns exec "$(ns_of "$n")" "$XHA_AGENT" -v --config "$XHA_TMP/agent$n.json" \
		>>"$(log_of "$n")" 2>&1 </dev/null &
	PID[$n]=$!
	XHA_PIDS+=("$!")
	xha_wait_until 10 test -S "$(sock "$n")"
}

state_of() { nsx "$(ns_of "$1")" "$XHA_CLI" show state socket "$(sock "$1")" 2>&1; }
# reload N: ha-ike reload for agent N, its output and exit status.
reload() { nsx "$(ns_of "$1")" "$XHA_CLI" -s "$(sock "$1")" reload 2>&1; }
# field N LINE KEY: the number after KEY on the show state line LINE.
field() {
	state_of "$1" | awk -v l="$2" -v k="$3" '$1 == l { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }'
}
synced() { state_of 2 | grep -q '^peer node .* link up synced'; }

oseq_of() {	# oseq_of NS REQID
	local v
	xha_sa_load "$1"
	v=$(xha_out "$1" "$2") || { echo 0; return; }
	echo "${v%% *}"
}
# ahead MIN MAX: ha2's outbound oseq on pair 1 minus ha1's (read first)
# lies in (MIN, MAX]; LAST_LEAD is the difference.
lead() { echo $(($(oseq_of "$XHA_NS_HA2" 1) - $(oseq_of "$XHA_NS_HA1" 1))); }
ahead() {
	local d
	d=$(lead)
	LAST_LEAD=$d
	[ "$d" -gt "$1" ] && [ "$d" -le "$2" ]
}

# ms of the day of "HH:MM:SS.mmm".
tod_ms() { awk -F'[:.]' '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }' <<<"$1"; }
first_tod() {	# first_tod FILE PATTERN: the time of day of the first match
	grep -m1 -- "$2" "$1" | cut -d' ' -f1
}

udpseq_start() {	# udpseq_start NS SRC DST RATE TAG
	: >"$XHA_TMP/udp-$5.out"
	ip netns exec "$1" "$UDPSEQ" -b "$2:5001" -p "$3:5001" -r "$4" -g 100 -n "$5" \
		-o "$XHA_TMP/udp-$5.out" </dev/null >/dev/null 2>&1 &
	PID[udp-$5]=$!
	XHA_PIDS+=("$!")
	xha_wait_until 10 grep -q '^udpseq start' "$XHA_TMP/udp-$5.out"
}

dump_logs() {
	local n
	for n in 1 2; do
		vsay "==== agent ha$n"
		[ -f "$(log_of "$n")" ] && tail -n 40 "$(log_of "$n")" | while IFS= read -r l; do vsay "  $l"; done
		vsay "==== notify ha$n"
		[ -f "$(ntf_of "$n")" ] && head -n 20 "$(ntf_of "$n")" | while IFS= read -r l; do vsay "  $l"; done
	done
	return 0
}

ktap_header
ktap_plan $PLAN
xha_tmp_init
if ! command -v python3 >/dev/null || ! xha_topo_up || ! xha_sas_install ||
	[ ! -x "$XHA_AGENT" ] || [ ! -x "$XHA_CLI" ] || [ ! -x "$UDPSEQ" ]; then
	ktap_fail "setup" "setup failed or not built (make), or no python3"
	for _ in $(seq $((PLAN - 1))); do ktap_fail "not run" "setup failed"; done
	ktap_finish
	exit
fi
nsx "$XHA_NS_PEER" ping -q -n -c 2 -i 0.05 -W 2 -I 192.168.2.1 192.168.1.1 >/dev/null
cfg_write 1 "$XHA_OSEQ_SHIFT" 2
cfg_write 2 "$XHA_OSEQ_SHIFT" 2
notify_start 1
notify_start 2
udpseq_start "$XHA_NS_PEER" 192.168.2.1 192.168.1.1 0 peer
udpseq_start "$XHA_NS_HA1" 192.168.1.1 192.168.2.1 "$RATE" ha1

# ---- 1. readiness
t_start=$(date +%H:%M:%S.%3N)
agent_start 1 WATCHDOG_USEC=1000000
xha_wait_until 10 grep -q 'READY=1' "$(ntf_of 1)"
rc=$?
t_ready=$(first_tod "$(ntf_of 1)" 'READY=1')
d=$(($(tod_ms "${t_ready:-00:00:00.000}") - $(tod_ms "$t_start")))
[ $rc = 0 ] && [ "$d" -lt 5000 ] && grep -q 'READY=1.*STATUS=active' "$(ntf_of 1)"
ktap_result $? "the active sends READY=1 at once (${d} ms after its start), STATUS active" \
	"$(head -n 3 "$(ntf_of 1)" | tr '\n' ';')"
sleep 2
w=$(grep -c 'WATCHDOG=1' "$(ntf_of 1)")
[ "$w" -ge 2 ]
ktap_result $? "WatchdogSec: sd-event pings WATCHDOG=1 ($w in ~2 s at WATCHDOG_USEC 1 s)" "expected 2 or more"

agent_start 2
xha_wait_until 15 grep -q 'READY=1' "$(ntf_of 2)"
rc=$?
t_ready=$(first_tod "$(ntf_of 2)" 'READY=1')
t_bulk=$(first_tod "$(log_of 2)" 'bulk sync #[0-9]* complete')
say "ha2: first bulk sync complete at ${t_bulk:-never}, READY=1 received at ${t_ready:-never}"
[ $rc = 0 ] && [ -n "$t_bulk" ] && [ "$(tod_ms "$t_ready")" -ge "$(tod_ms "$t_bulk")" ] &&
	grep -q 'READY=1.*STATUS=backup' "$(ntf_of 2)"
ktap_result $? "the backup sends READY=1 only after its first bulk sync completed" \
	"bulk ${t_bulk:-never}, READY ${t_ready:-never}: $(head -n 3 "$(ntf_of 2)" | tr '\n' ';')"
grep -B100 -m1 'READY=1' "$(ntf_of 2)" | grep -q 'STATUS=starting: backup, waiting'
ktap_result $? "before READY=1, STATUS= says what the backup waits for" \
	"$(head -n 3 "$(ntf_of 2)" | tr '\n' ';')"

xha_wait_until 15 synced && xha_wait_until 10 ahead $((-SLACK)) $((XHA_OSEQ_SHIFT + SLACK)) &&
	[ "$(oseq_of "$XHA_NS_HA2" 1)" -gt "$XHA_OSEQ_SHIFT" ]
ktap_result $? "setup: ha2 synced, tracking ha1 with oseq-shift $XHA_OSEQ_SHIFT (lead ${LAST_LEAD:-?})" \
	"ha2: $(state_of 2 | grep '^peer')"

# ---- 2. a valid reload under traffic
boots1=$(field 1 link-stats peer-boots) boots2=$(field 2 link-stats peer-boots)
bulks2=$(field 2 bulk completed) served1=$(field 1 bulk served)
outages1=$(field 1 link-stats outages) outages2=$(field 2 link-stats outages)
cum2=$(field 2 stream rx-cum)
lines1=$(wc -l <"$(log_of 1)") lines2=$(wc -l <"$(log_of 2)")
cfg_write 1 "$NEW_SHIFT" 5
cfg_write 2 "$NEW_SHIFT" 5
kill -HUP "${PID[2]}"
reply1=$(reload 1)
rc1=$?
vsay "ha-ike reload for ha1: $reply1"
xha_wait_until 5 grep -q "reload of .*oseq-shift 64 -> $NEW_SHIFT" <(tail -n +"$((lines2 + 1))" "$(log_of 2)")
r2=$?
tail -n +"$((lines1 + 1))" "$(log_of 1)" | grep -q 'reload of .*sync-period-packets 2 -> 5'
r1=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && [ $rc1 = 0 ]
ktap_result $? "SIGHUP (ha2) and ha-ike reload (ha1) apply the new file" \
	"ha1 reply: $reply1; ha1 log: $(tail -n +"$((lines1 + 1))" "$(log_of 1)" | grep -m1 reload); ha2: $(tail -n +"$((lines2 + 1))" "$(log_of 2)" | grep -m1 reload)"
nsx "$XHA_NS_HA1" "$XHA_CLI" show stats 2>&1 | grep -Eq 'sync-period-packets:? +5\b'
ktap_result $? "the new sync-period-packets is in ha1's module (ha-ike show stats)" \
	"$(nsx "$XHA_NS_HA1" "$XHA_CLI" show stats 2>&1 | grep sync-period-packets)"
sleep 4
xha_wait_until 10 ahead $((XHA_OSEQ_SHIFT + SLACK)) $((NEW_SHIFT + SLACK))
ktap_result $? "the new oseq-shift is in effect: ha2 ahead of ha1 by ${LAST_LEAD:-?} (> $XHA_OSEQ_SHIFT + $SLACK, <= $NEW_SHIFT + $SLACK)" \
	"ha2: $(state_of 2 | grep '^peer')"
nb2=$(field 2 bulk completed) ns1=$(field 1 bulk served)
nboots1=$(field 1 link-stats peer-boots) nboots2=$(field 2 link-stats peer-boots)
nout1=$(field 1 link-stats outages) nout2=$(field 2 link-stats outages)
ncum2=$(field 2 stream rx-cum)
say "across the reload: ha2 bulks completed $bulks2 -> $nb2, ha1 served $served1 -> $ns1, peer-boots $boots1/$boots2 -> $nboots1/$nboots2, outages $outages1/$outages2 -> $nout1/$nout2, ha2 stream rx-cum $cum2 -> $ncum2"
[ "$nb2" = "$bulks2" ] && [ "$ns1" = "$served1" ] && [ "$nboots1" = "$boots1" ] &&
	[ "$nboots2" = "$boots2" ] && [ "$nout1" = "$outages1" ] && [ "$nout2" = "$outages2" ] &&
	[ "${ncum2:-0}" -gt "${cum2:-0}" ] && synced &&
	! tail -n +"$((lines2 + 1))" "$(log_of 2)" | grep -q 'HA link down\|requesting bulk'
ktap_result $? "the sync state survives the reload: no bulk sync, no new session, the stream goes on" \
	"see the counts above"

# ---- 3. invalid and live-immutable configurations
lines2=$(wc -l <"$(log_of 2)")
cp "$XHA_TMP/agent2.json" "$XHA_TMP/agent2.good"
cfg_write 2 "$NEW_SHIFT" 5 99
kill -HUP "${PID[2]}"
xha_wait_until 5 grep -q 'reload refused' <(tail -n +"$((lines2 + 1))" "$(log_of 2)")
msg=$(tail -n +"$((lines2 + 1))" "$(log_of 2)" | grep -m1 'reload refused')
vsay "$msg"
[[ $msg == *node-id* ]] && kill -0 "${PID[2]}"
ktap_result $? "SIGHUP with an invalid file: refused with libyang's message naming the leaf" "${msg:-no refusal logged}"
reply=$(reload 2)
rc=$?
vsay "ha-ike reload: $reply"
[ $rc != 0 ] && [[ $reply == *node-id* ]]
ktap_result $? "ha-ike reload with an invalid file fails (exit $rc) with the error" "$reply"
cfg_write 2 "$NEW_SHIFT" 5 3
reply=$(reload 2)
rc=$?
vsay "ha-ike reload: $reply"
[ $rc != 0 ] && [[ $reply == *"cannot change while the agent runs"* ]]
ktap_result $? "a node-id change is refused with the reason" "$reply"
sleep 2
synced && xha_wait_until 10 ahead $((XHA_OSEQ_SHIFT + SLACK)) $((NEW_SHIFT + SLACK)) &&
	[ "$(field 2 bulk completed)" = "$nb2" ]
ktap_result $? "the old configuration keeps running: ha2 synced, ahead by ${LAST_LEAD:-?}, no bulk sync" \
	"ha2: $(state_of 2 | grep -E '^peer|^bulk')"
cp "$XHA_TMP/agent2.good" "$XHA_TMP/agent2.json"

# ---- 4. reloads that change what the running state hangs on
# rewrite N: agent N's file with the arrays' settings, then ha-ike reload:
# its reply in $reply, its exit status in $rc
rewrite() {
	cfg_write "$1" "$NEW_SHIFT" 5
	reply=$(reload "$1")
	rc=$?
}
# a. RELOADING=1, then READY=1 (step 2's reload of ha1)
awk '/RELOADING=1/ && /MONOTONIC_USEC=[0-9]+/ { r = 1 } r && /READY=1/ { ok = 1 } END { exit !ok }' "$(ntf_of 1)"
ktap_result $? "a reload sends RELOADING=1 with MONOTONIC_USEC, then READY=1" \
	"$(grep -m2 -E 'RELOADING|READY' "$(ntf_of 1)" | tr '\n' ';')"

# b. the link key
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$XHA_TMP/k2" && echo >>"$XHA_TMP/k2")
boots2=$(field 2 link-stats peer-boots)
auth2=$(field 2 link-rejected auth-failed)
KEYF[2]=$XHA_TMP/k2
rewrite 2
sleep 4		# > PEER_DEAD_MS: a link that could come back would have
nauth2=$(field 2 link-rejected auth-failed)
say "ha2 on a new key: reload exit $rc: $reply; auth-failed $auth2 -> $nauth2; $(state_of 2 | grep '^peer')"
[ $rc = 0 ] && grep -q 'reload of .*the link key' "$(log_of 2)" && [ "${nauth2:-0}" -gt "${auth2:-0}" ] &&
	! state_of 2 | grep -q '^peer node .* link up'
ktap_result $? "a new key on ha2 alone: ha1's datagrams refused (auth-failed $auth2 -> $nauth2), the link down (the control)" \
	"reload exit $rc: $reply; ha2: $(state_of 2 | grep '^peer')"
KEYF[1]=$XHA_TMP/k2
rewrite 1
xha_wait_until 20 synced && xha_wait_until 10 ahead $((XHA_OSEQ_SHIFT + SLACK)) $((NEW_SHIFT + SLACK)) &&
	[ "$(field 2 link-stats peer-boots)" -gt "$boots2" ] && [ $rc = 0 ]
ktap_result $? "ha1 on the new key too: ha2 synced again in a new session, ahead by ${LAST_LEAD:-?}" \
	"reload exit $rc: $reply; peer-boots $boots2 -> $(field 2 link-stats peer-boots); ha2: $(state_of 2 | grep '^peer')"

# c. the addresses
HAL2_NEW=10.150.0.12
ip -n "$XHA_NS_HA2" addr add "$HAL2_NEW/24" dev hal2
LADDR[2]=$HAL2_NEW
RADDR[1]=$HAL2_NEW
cfg_write 2 "$NEW_SHIFT" 5
cfg_write 1 "$NEW_SHIFT" 5
r1=
r2=$(reload 2) && r1=$(reload 1)
rc=$?
# ss prints ADDR%DEV:PORT for a socket bound to a device too
bound=$(nsx "$XHA_NS_HA2" ss -Hnlu "sport = :$XHA_HA_PORT" | awk '{ print $4 }' | sed 's/%[^:]*:/:/' | tr '\n' ' ')
vsay "ha2's HA link socket: $bound"
xha_wait_until 20 synced && [ $rc = 0 ] && [ "$bound" = "$HAL2_NEW:$XHA_HA_PORT " ]
ktap_result $? "new addresses (ha2 local, ha1 remote): ha2 bound to $HAL2_NEW only, synced again" \
	"reloads: $r2 / ${r1:-}; ha2 bound: $bound; ha2: $(state_of 2 | grep '^peer')"

# d. the HA group: static "vpn" -> keepalived "vpn2" -> external "vpn3"
GROUP[2]="vpn2 \"keepalived\": {\"notify-fifo\": \"$XHA_TMP/ka2.fifo\", \"instance\": \"VI_2\", \"virtual-address\": [\"10.99.99.99\"]}"
rewrite 2
# keepalived's notify line; the agent holds its FIFO open
timeout 5 dd of="$XHA_TMP/ka2.fifo" status=none <<<'INSTANCE "VI_2" BACKUP 100' 2>/dev/null
ka_read() { [ "$(field 2 keepalived lines)" -ge 1 ] 2>/dev/null; }
xha_wait_until 5 ka_read
g=$(state_of 2 | grep '^ha-group')
say "ha2 group: reload $rc ($reply); $g; $(state_of 2 | grep '^keepalived')"
[ $rc = 0 ] && [[ $g == "ha-group vpn2 controller keepalived state backup transitions "* ]] &&
	[ "$(field 2 keepalived lines)" = 1 ] && [ "$(state_of 2 | awk '$1 == "node" { print $4 }')" = backup ] && synced
ktap_result $? "a static group replaced by a keepalived one: its FIFO read, its BACKUP line applied, still a synced backup" \
	"reload $rc: $reply; $g; $(state_of 2 | grep '^keepalived')"
GROUP[2]='vpn3 "external": [null]'
rewrite 2
t1=$(nsx "$XHA_NS_HA2" "$XHA_CLI" -s "$(sock 2)" group vpn3 backup 2>&1)
c1=$?
t2=$(nsx "$XHA_NS_HA2" "$XHA_CLI" -s "$(sock 2)" group vpn2 master 2>&1)
c2=$?
g=$(state_of 2 | grep '^ha-group')
say "ha2 group: reload $rc ($reply); group vpn3 backup: $c1 ($t1); group vpn2 master: $c2 ($t2); $g"
[ $rc = 0 ] && [ $c1 = 0 ] && [ $c2 = 1 ] && [[ $g == "ha-group vpn3 controller external state backup"* ]] &&
	[ "$(state_of 2 | awk '$1 == "node" { print $4 }')" = backup ] && synced
ktap_result $? "then an external one: in use, the old name refused, still a synced backup" \
	"reload $rc: $reply; vpn3: $c1 $t1; vpn2: $c2 $t2; $g"

# e. the track file
TRACK[2]=$XHA_TMP/track2b
rewrite 2
xha_wait_until 5 test -s "$XHA_TMP/track2b"
[ $rc = 0 ] && [ "$(cat "$XHA_TMP/track2b" 2>/dev/null)" = 0 ] &&
	state_of 2 | grep -q "^track-file $XHA_TMP/track2b 0"
ktap_result $? "a new track-file gets the node's value (0, fresh)" \
	"reload $rc: $reply; file: $(cat "$XHA_TMP/track2b" 2>&1); $(state_of 2 | grep '^track-file')"

# f. strongSwan's FIFO, configured by a reload: a reader as charon reads
: >"$XHA_TMP/charon2.out"
if mkfifo -m 0600 "$XHA_TMP/charon2.ha"; then
	(while :; do head -c 7 <"$XHA_TMP/charon2.ha" >>"$XHA_TMP/charon2.out"; echo >>"$XHA_TMP/charon2.out"; done) \
		</dev/null >/dev/null 2>&1 &
	reader=$!
	XHA_PIDS+=("$reader")
fi
EXTRA[2]="\"strongswan\": {\"control-fifo\": \"$XHA_TMP/charon2.ha\"},"
rewrite 2
xha_wait_until 5 grep -q -- '^-1$' "$XHA_TMP/charon2.out"
r=$?
[ $rc = 0 ] && [ $r = 0 ] && ! grep -q -- '+1' "$XHA_TMP/charon2.out"
ktap_result $? "strongSwan's FIFO set by a reload gets the backup's -1" \
	"reload $rc: $reply; the FIFO got: $(tr '\n' ' ' <"$XHA_TMP/charon2.out"); $(state_of 2 | grep '^strongswan')"
# the reader gone, and its head (blocked opening the FIFO) let go
kill "${reader:-}" 2>/dev/null
wait "${reader:-}" 2>/dev/null
timeout 2 dd if=/dev/null of="$XHA_TMP/charon2.ha" status=none 2>/dev/null

# ---- 5. exit codes
cfg_write 3 "$NEW_SHIFT" 5 99 2>/dev/null
mv "$XHA_TMP/agent3.json" "$XHA_TMP/bad.json"
"$XHA_AGENT" --config "$XHA_TMP/bad.json" --check >/dev/null 2>&1
c1=$?
nsx "$XHA_NS_HA2" "$XHA_AGENT" --config "$XHA_TMP/bad.json" >/dev/null 2>&1
c2=$?
[ $c1 = 78 ] && [ $c2 = 78 ]
ktap_result $? "a bad configuration exits 78 (EX_CONFIG): --check $c1, start $c2" "expected 78 and 78"
# The same valid file as the running agent: the address is taken.
sed "s|$(sock 2)|$XHA_TMP/agent2b.sock|" "$XHA_TMP/agent2.json" >"$XHA_TMP/dup.json"
nsx "$XHA_NS_HA2" timeout 10 "$XHA_AGENT" --config "$XHA_TMP/dup.json" >"$XHA_TMP/dup.log" 2>&1
c3=$?
[ $c3 = 1 ]
ktap_result $? "a runtime failure (the HA address taken) exits 1 ($c3)" "$(tail -n 2 "$XHA_TMP/dup.log")"

# ---- 6. a backup alone
xha_stop "${PID[1]}" "${PID[2]}"
: >"$(ntf_of 2)"
t_start=$(date +%H:%M:%S.%3N)
agent_start 2
xha_wait_until 15 grep -q 'READY=1' "$(ntf_of 2)"
rc=$?
t_ready=$(first_tod "$(ntf_of 2)" 'READY=1')
d=$(($(tod_ms "${t_ready:-00:00:00.000}") - $(tod_ms "$t_start")))
[ $rc = 0 ] && [ "$d" -ge 3000 ] && grep -q 'ready: backup ALONE' "$(log_of 2)"
ktap_result $? "a backup alone sends READY=1 after the peer is declared dead (${d} ms), saying so" \
	"$(head -n 3 "$(ntf_of 2)" | tr '\n' ';')"
grep -m1 'READY=1' "$(ntf_of 2)" | grep -q 'STATUS=backup, link down'
ktap_result $? "its STATUS says the link is down" "$(grep -m1 'READY=1' "$(ntf_of 2)")"
xha_stop "${PID[2]}"
dump_logs
ktap_finish
