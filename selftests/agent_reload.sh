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
#  4. Exit code 78 (EX_CONFIG) for a bad configuration, at start and with
#     --check; 1 for a runtime failure (the address taken).
#  5. A backup alone (ha1 stopped): READY=1 after PEER_DEAD_MS without a
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
PLAN=17
declare -A PID=()

sock() { echo "$XHA_TMP/agent$1.sock"; }
ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }
log_of() { echo "$XHA_TMP/agent-ha$1.log"; }
ntf_of() { echo "$XHA_TMP/notify$1.log"; }

# cfg_write N SHIFT PACKETS [NODE-ID]: agent N's configuration file (the
# model's JSON encoding).
cfg_write() {
	local la ra st node=${4:-$1}
	if [ "$1" = 1 ]; then la=$XHA_HAL1_ADDR ra=$XHA_HAL2_ADDR st=master; else la=$XHA_HAL2_ADDR ra=$XHA_HAL1_ADDR st=backup; fi
	cat >"$XHA_TMP/agent$1.json.tmp" <<EOF
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "vpn",
  "node-id": $node, "interface": "hal$1", "local-address": "$la",
  "remote-address": "$ra", "port": $XHA_HA_PORT, "key-file": "$(xha_keyfile)",
  "control-socket": "$(sock "$1")", "track-file": "$XHA_TMP/track$1",
  "seqnum-sync": {"oseq-shift": $2, "sync-period-time": 1,
  "sync-period-packets": $3, "adaptive-shift": false}}}}],
 "xfrm-ha:ha": {"group": [{"name": "vpn", "static": "$st"}]}}
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

# ---- 4. exit codes
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

# ---- 5. a backup alone
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
