#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# agent_ctl.sh [--verbose]
#
# The control socket and ha-ike (issue 9), run as root with xfrm_ha.ko
# loaded (inside the selftest VM). PAIRS SA pairs (lib.sh's xll_* layout,
# 2 x PAIRS SAs), ha1 active and ha2 backup (static groups, adaptive shift
# off: a synced backup's shift is exactly oseq-shift), a few seconds of
# traffic both ways, then:
#  1. show state: the node, role, group, the peer's boot id and liveness,
#     the link, stream and bulk lines; -j parses and says the same;
#  2. show sync on the backup: every SA, its shift (= oseq-shift), its
#     oseq (= the active's), no pending update; a reply far larger than
#     one message (the old protocol's 4 KB); on the active: the SAs
#     published and acknowledged; -j parses, one entry per SA;
#  3. resync: the backup asks and a bulk sync completes; the active's
#     resync makes the backup ask, and it serves one;
#  4. -n NAME (kernel commands in /run/netns/NAME, the socket
#     /run/xfrm-ha/NAME.sock), -s PATH, the old trailing "socket PATH" and
#     "--json";
#  5. exit codes: 3 without an agent, 2 for bad usage, 1 when the agent or
#     the kernel refuses;
#  6. show sa lines fed back to set sa, and a raised line applied;
#  7. show config and reload answer (or say they are not supported).
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup; rm -f /run/xfrm-ha/ha2.sock' EXIT
trap 'exit 130' INT TERM

XHA_PAIRS=()	# lib.sh's four pairs are not used here
XHA_OSEQ_SHIFT=65536
PAIRS=${XHA_CTL_PAIRS:-300}
NSA=$((2 * PAIRS))
PPS=${XHA_CTL_PPS:-600}
PLAN=14
declare -A PID=()

ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }
sock() { echo "$XHA_TMP/agent$1.sock"; }
cli() { "$XHA_CLI" "$@"; }
# the ha-ike of node N: cli_of N ARGS...
cli_of() { local n=$1; shift; "$XHA_CLI" -s "$(sock "$n")" "$@"; }
json_ok() { python3 -m json.tool >/dev/null 2>&1; }
# jget EXPR: a Python expression over the JSON document d on stdin.
jget() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

agent_start() {
	local role=backup
	[ "$1" = 1 ] && role=active
	rm -f "$(sock "$1")"
	xha_agent_start "$(ns_of "$1")" "$(xll_agent_config "$1" "$role")" "$XHA_TMP/agent-ha$1.log"
	PID[$1]=$XHA_LAST_PID
	xha_wait_until 10 test -S "$(sock "$1")"
}
traffic() {	# traffic SECONDS: both ways on every pair
	local a b
	xll_spray_start "$XHA_NS_HA1" out "$PAIRS" "$PPS" "out-$SECONDS" && a=$XHA_LAST_PID
	xll_spray_start "$XHA_NS_PEER" in "$PAIRS" "$PPS" "in-$SECONDS" && b=$XHA_LAST_PID
	sleep "$1"
	xll_spray_stop "${a:-}" "${b:-}"
}
complete() { xll_synced && xll_compare "$PAIRS" "$XHA_OSEQ_SHIFT" >/dev/null; }
# bulk_field NODE FIELD: a number of show state's "bulk" line.
bulk_field() {
	cli_of "$1" show state 2>/dev/null | awk -v f="$2" '$1 == "bulk" { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'
}

ktap_header
ktap_plan $PLAN
xha_tmp_init
say "agent_ctl: $(uname -r), $PAIRS SA pairs ($NSA SAs)"

ok=1
for p in "$XHA_AGENT" "$XHA_CLI" "$XLL_SPRAY"; do
	[ -x "$p" ] || { say "setup: ${p#"$XHA_REPO"/} missing (make)"; ok=0; }
done
[ "$ok" = 1 ] && { xha_topo_up && xll_sas_install "$PAIRS" || ok=0; }
[ "$ok" = 1 ] && { agent_start 2 && agent_start 1 || ok=0; }
if [ "$ok" = 1 ]; then
	traffic 3
	xha_wait_until 40 complete || ok=0
fi
ktap_result $((1 - ok)) "setup: $NSA SAs, agents up, traffic, ha2 synced and complete" \
	"$(xll_state 2 | grep '^peer node'); $(xll_compare "$PAIRS" "$XHA_OSEQ_SHIFT")"
if [ "$ok" = 0 ]; then
	say "$(tail -n 20 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
	say "$(tail -n 20 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
	for _ in $(seq $((PLAN - 1))); do ktap_fail "not run" "setup failed"; done
	ktap_finish
	exit 1
fi

# ------------------------------------------------------- 1. show state

st=$(cli_of 2 show state 2>&1)
vsay "$st"
boot=$(sed -n 's/^peer node 1 boot \([0-9a-f]\{16\}\) link up synced .*/\1/p' <<<"$st")
rc=0
for re in '^node 2 role backup since [0-9]+ ms$' '^ha-group vpn controller static' \
	"^peer node 1 boot [0-9a-f]{16} link up synced peer-role active" \
	'^link-stats rx [0-9]+ ' '^stream tx-seq ' '^bulk requested [0-9]+ completed [1-9]' \
	'^status backup'; do
	grep -Eq "$re" <<<"$st" || { rc=1; say "show state: no line matching $re"; }
done
[ -n "$boot" ] && [ "$boot" != 0000000000000000 ] || rc=1
ktap_result $rc "show state: role, group, the peer's boot id and liveness, link, stream and bulk lines" "$st"

js=$(cli_of 2 -j show state 2>&1)
got=$(jget 'd["role"], d["ha_group"]["name"], d["ha_group"]["controller"], d["peer"]["boot"], d["peer"]["link_up"], d["peer"]["synced"], d["peer"]["role"], d["bulk"]["completed"] > 0, d["peer"]["last_heard_ms"] >= 0' <<<"$js" 2>&1)
want="backup vpn static $boot True True active True True"
[ "$got" = "$want" ]
ktap_result $? "show state -j: valid JSON saying the same (role, group, peer boot id, link up, synced)" "got '$got', want '$want'"

# -------------------------------------------------------- 2. show sync

sync2=$(cli_of 2 show sync 2>&1)
vsay "$(head -n 5 <<<"$sync2")"
out1=$(printf 'dst %s spi 0x%08x proto esp' "$XHA_PEER_ADDR" $((XLL_OUT_BASE + 1)))
line=$(grep "^$out1 " <<<"$sync2")
ha1_oseq=$(xll_dump "$XHA_NS_HA1" | awk -v s="$(printf '0x%08x' $((XLL_OUT_BASE + 1)))" 'tolower($1) == s { print $2 }')
nlines=$(grep -c '^dst ' <<<"$sync2")
nshift=$(grep -c " shift $XHA_OSEQ_SHIFT\$" <<<"$sync2")
rc=0
grep -Eq "^sync role backup link up synced$" <<<"$sync2" || rc=1
grep -Eq "^sas $NSA not-tracked 0 pending-updates 0 worst-lag-ms [0-9]+ worst-sa dst " <<<"$sync2" || rc=1
[ "$nlines" = "$NSA" ] && [ "$nshift" = "$NSA" ] || rc=1
grep -Eq " age-ms [0-9]+ oseq $ha1_oseq seq [0-9]+ shift $XHA_OSEQ_SHIFT\$" <<<"$line" || rc=1
[ "${#sync2}" -gt 16384 ] || rc=1
ktap_result $rc "show sync (backup): $NSA SAs, each shifted by $XHA_OSEQ_SHIFT, the active's oseq, no pending update, a ${#sync2}-byte reply" \
	"lines $nlines, shift $nshift, ha1 oseq $ha1_oseq, line '$line'; $(head -n 3 <<<"$sync2" | tr '\n' ';')"

sync1=$(cli_of 1 show sync 2>&1)
n1=$(grep -c '^dst .* acked yes$' <<<"$sync1")
rc=0
grep -Eq "^sync role active link up$" <<<"$sync1" || rc=1
grep -Eq '^sas [1-9][0-9]* ' <<<"$sync1" || rc=1
[ "$n1" -gt 0 ] || rc=1
ktap_result $rc "show sync (active): the SAs published, $n1 of them acknowledged" "$(head -n 4 <<<"$sync1" | tr '\n' ';')"

got=$(cli_of 2 -j show sync | jget 'd["sas"], len(d["sa"]), sum(1 for s in d["sa"] if s["shift"] == '"$XHA_OSEQ_SHIFT"'), d["pending_updates"], d["role"]' 2>&1)
got1=$(cli_of 1 show sync --json | jget 'd["role"], d["sas"] == len(d["sa"]), all(s["acked"] in ("yes", "no", "not-sent") for s in d["sa"])' 2>&1)
[ "$got" = "$NSA $NSA $NSA 0 backup" ] && [ "$got1" = "active True True" ]
ktap_result $? "show sync -j: valid JSON, one entry per SA (backup and active)" "backup: '$got'; active: '$got1'"

# ----------------------------------------------------------- 3. resync

c0=$(bulk_field 2 completed)
r0=$(bulk_field 2 requested)
out=$(cli_of 2 resync 2>&1)
rc=$?
xha_wait_until 30 sh -c "[ \"\$('$XHA_CLI' -s '$(sock 2)' show state | awk '\$1 == \"bulk\" { print \$5 }')\" -gt $c0 ]"
rc2=$?
c1=$(bulk_field 2 completed)
r1=$(bulk_field 2 requested)
[ $rc = 0 ] && [ $rc2 = 0 ] && [ "$r1" -gt "$r0" ]
ktap_result $? "resync on the backup: exit 0 ($out), a bulk sync requested and completed ($r0 -> $r1 requested, $c0 -> $c1 completed)" "rc $rc"

s0=$(bulk_field 1 served)
c0=$(bulk_field 2 completed)
out=$(cli_of 1 resync 2>&1)
rc=$?
xha_wait_until 30 sh -c "[ \"\$('$XHA_CLI' -s '$(sock 1)' show state | awk '\$1 == \"bulk\" { print \$9 }')\" -gt $s0 ]" &&
	xha_wait_until 30 sh -c "[ \"\$('$XHA_CLI' -s '$(sock 2)' show state | awk '\$1 == \"bulk\" { print \$5 }')\" -gt $c0 ]"
rc2=$?
[ $rc = 0 ] && [ $rc2 = 0 ]
ktap_result $? "resync on the active: exit 0 ($out), the backup asks and a bulk sync is served ($s0 -> $(bulk_field 1 served) served)" "rc $rc"

# -------------------------------------------------- 4. -n, -s, old forms

mkdir -p /run/xfrm-ha && ln -sf "$(sock 2)" /run/xfrm-ha/ha2.sock
a=$(cli -n "$XHA_NS_HA2" show sa 2>&1)
b=$(ip netns exec "$XHA_NS_HA2" "$XHA_CLI" show sa 2>&1)
c=$(cli -n "$XHA_NS_HA2" show state 2>&1 | grep -c '^node 2 role backup')
d=$(cli show state socket "$(sock 2)" 2>&1 | grep -c '^node 2 role backup')
e=$(cli show state socket "$(sock 2)" --json 2>&1 | jget 'd["node"]' 2>&1)
f=$(cli --socket "$(sock 1)" --json show state 2>&1 | jget 'd["node"]' 2>&1)
g=$(ip netns exec "$XHA_NS_HA2" "$XHA_CLI" show sa --json | jget 'len(d)' 2>&1)
h=$(cli -n main show sa 2>&1 | grep -c "^dst $XHA_PEER_ADDR ")
rc=0
[ "$a" = "$b" ] && [ "$(grep -c '^dst ' <<<"$a")" = "$NSA" ] || rc=1
[ "$c" = 1 ] && [ "$d" = 1 ] && [ "$e" = 2 ] && [ "$f" = 1 ] && [ "$g" = "$NSA" ] && [ "$h" = 0 ] || rc=1
ktap_result $rc "-n NAME (kernel commands in its netns, /run/xfrm-ha/NAME.sock), -n main, -s/--socket, -j/--json, the old trailing socket PATH and --json" \
	"a=b: $([ "$a" = "$b" ] && echo yes || echo no), $(grep -c '^dst ' <<<"$a") lines; c=$c d=$d e=$e f=$f g=$g h=$h"

# ------------------------------------------------------ 5. exit codes

codes=""
code() { "$@" >/dev/null 2>&1; codes="$codes $?"; }
code cli -s "$XHA_TMP/none.sock" show state		# 3: no agent
code cli -s "$XHA_TMP/none.sock" resync		# 3
code cli show state socket "$XHA_TMP/none.sock"	# 3
code cli_of 2 show state extra			# 2: usage
code cli_of 2 show sync bogus			# 2
code cli -q show state				# 2
code cli_of 2 group vpn leader			# 2
code cli show config nodefault "two words"	# 2: a path word with a blank
code cli -n							# 2
code cli_of 2 group other master		# 1: the agent refuses
code cli -n nosuch show sa				# 1: no such netns
code cli -n "$XHA_NS_HA2" get sa dst 10.9.9.9 spi 1	# 1: the kernel
want=" 3 3 3 2 2 2 2 2 2 1 1 1"
[ "$codes" = "$want" ]
ktap_result $? "exit codes: 3 no agent, 2 usage, 1 refused by the agent or the kernel" "got '$codes', want '$want'"

# ---------------------------------------------- 6. show sa -> set sa

lines=$(cli -n "$XHA_NS_HA2" show sa | head -n 20)
fails=0
while IFS= read -r l; do
	# shellcheck disable=SC2086 # the line's words
	cli -n "$XHA_NS_HA2" set sa $l >/dev/null 2>&1 || { fails=$((fails + 1)); say "set sa $l: failed"; }
done <<<"$lines"
l=$(grep "^$out1 " <<<"$(cli -n "$XHA_NS_HA2" show sa)")
o=$(sed -n 's/.* oseq \([0-9]*\) .*/\1/p' <<<"$l")
raised=${l/ oseq $o / oseq $((o + 1000)) }
# shellcheck disable=SC2086
cli -n "$XHA_NS_HA2" set sa $raised 2>&1 || fails=$((fails + 1))
# shellcheck disable=SC2086
now=$(cli -n "$XHA_NS_HA2" -j get sa $out1 | jget 'd["oseq"]' 2>&1)
[ "$fails" = 0 ] && [ -n "$o" ] && [ "$now" -ge $((o + 1000)) ] 2>/dev/null
ktap_result $? "show sa lines fed back to set sa (20 of them), one raised by 1000 applied ($o -> $now)" "fails $fails, line '$l'"

# ---------------------------------------- 7. show config and reload

out=$(cli_of 1 show config 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'not supported' <<<"$out"; then
	ktap_skip "show config: $out"
else
	[ $rc = 0 ] && grep -q 'node-id 1' <<<"$out" && cli_of 1 -j show config | json_ok
	ktap_result $? "show config: the running configuration, text and JSON" "rc $rc: $(head -n 5 <<<"$out" | tr '\n' ';')"
fi
out=$(cli_of 2 reload 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q 'not supported' <<<"$out"; then
	ktap_skip "reload: $out"
else
	[ $rc = 0 ] && xll_synced
	ktap_result $? "reload: exit 0, still synced" "rc $rc: $out"
fi

ktap_finish
