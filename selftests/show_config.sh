#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# show_config.sh [--verbose]
#
# `ha-ike show config` round trip through running agents (issue 9), as
# root with xfrm_ha.ko loaded (inside the selftest VM). lib.sh's topology
# without SAs; ha1 (active) starts from a file in the router's text
# format, ha2 (backup) from a JSON file (lib.sh's xll_agent_config).
#  1. setup: both agents up, ha2 synced;
#  2. show config prints the router's indented format: the ha block's
#     leaves in the router's order (enabled, listen-ha-group, node-id,
#     interface, local-address, remote-address), seqnum-sync with the
#     unit (sync-period-time 1s), 4-space indentation, `..`; nodefault
#     leaves out what is at its default (port, enabled) and keeps what is
#     not; -j prints the YANG JSON, with and without defaults;
#  3. show config [nodefault] PATH: one node, as blocks are opened (the
#     router's `show config nodefault ha`): `vrf main ike ha` is the ha
#     block of the whole output at indentation 0, a leaf's path its line,
#     -j that node with its parents; a path to nothing is an error (exit
#     1) that says what is configured;
#  4. what show config prints (text, text nodefault, JSON) passes
#     ha-ike-agent --check, and says the same configuration;
#  5. ha1's file replaced by its own show config output, then by its
#     nodefault output, and reloaded: accepted, and show config prints
#     the same text again; ha2's JSON file replaced by its text output
#     and reloaded: -j show config the same JSON again;
#  6. a text file with a bad unit is refused by reload with its line, data
#     path and reason; show config is unchanged and ha2 still synced.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
trap 'xha_cleanup' EXIT
trap 'exit 130' INT TERM

XHA_PAIRS=()
XHA_OSEQ_SHIFT=65536
PLAN=6
declare -A PID=() CONF=()

ns_of() { [ "$1" = 1 ] && echo "$XHA_NS_HA1" || echo "$XHA_NS_HA2"; }
sock() { echo "$XHA_TMP/agent$1.sock"; }
cli_of() { local n=$1; shift; "$XHA_CLI" -s "$(sock "$n")" "$@"; }
check() { "$XHA_AGENT" --check --config "$1" 2>&1; }

# ha1's configuration in the router's format, as an operator writes it
text_config() {
	local f=$XHA_TMP/ha1.conf
	cat >"$f" <<EOF
# ha1: written by hand (indentation is free, comments are allowed)
vrf main
  ike
    ha
      node-id 1
      interface hal1
      local-address $XHA_HAL1_ADDR
      remote-address $XHA_HAL2_ADDR
      listen-ha-group vpn
      key-file $(xha_keyfile)
      control-socket $(sock 1)
      seqnum-sync
        sync-period-time 1s     # the router's unit
        sync-period-packets 2
        adaptive-shift false
        ..
      ..
    ..
  ..
ha
  group vpn
    static master
    ..
  ..
EOF
	echo "$f"
}

agent_start() {
	rm -f "$(sock "$1")"
	xha_agent_start "$(ns_of "$1")" "${CONF[$1]}" "$XHA_TMP/agent-ha$1.log"
	PID[$1]=$XHA_LAST_PID
	xha_wait_until 10 test -S "$(sock "$1")"
}

ktap_header
ktap_plan $PLAN
xha_tmp_init
say "show_config: $(uname -r)"

ok=1
for p in "$XHA_AGENT" "$XHA_CLI"; do
	[ -x "$p" ] || { say "setup: ${p#"$XHA_REPO"/} missing (make)"; ok=0; }
done
[ "$ok" = 1 ] && { xha_topo_up || ok=0; }
if [ "$ok" = 1 ]; then
	CONF[1]=$(text_config)
	CONF[2]=$XHA_TMP/ha2.conf
	cp "$(xll_agent_config 2 backup)" "${CONF[2]}"
	agent_start 2 && agent_start 1 || ok=0
fi
[ "$ok" = 1 ] && { xha_wait_until 30 xll_synced || ok=0; }
ktap_result $((1 - ok)) "setup: ha1 from a text file, ha2 from JSON, ha2 synced" \
	"$(xll_state 2 | grep '^peer node')"
if [ "$ok" = 0 ]; then
	say "$(tail -n 20 "$XHA_TMP/agent-ha1.log" 2>/dev/null)"
	say "$(tail -n 20 "$XHA_TMP/agent-ha2.log" 2>/dev/null)"
	for _ in $(seq $((PLAN - 1))); do ktap_fail "not run" "setup failed"; done
	ktap_finish
	exit 1
fi

# ------------------------------------------------ 2. the router's format

shown=$XHA_TMP/shown1.conf nd=$XHA_TMP/nd1.conf js=$XHA_TMP/shown1.json
jsnd=$XHA_TMP/nd1.json
rc=0
cli_of 1 show config >"$shown" || rc=1
cli_of 1 show config nodefault >"$nd" || rc=1
cli_of 1 -j show config >"$js" || rc=1
cli_of 1 -j show config nodefault >"$jsnd" || rc=1
vsay "$(cat "$shown")"
# the ha block: the router's first six leaves, in its order, 4 spaces deep
want="            enabled true
            listen-ha-group vpn
            node-id 1
            interface hal1
            local-address $XHA_HAL1_ADDR
            remote-address $XHA_HAL2_ADDR"
[ "$(grep -A5 '^            enabled true$' "$shown")" = "$want" ] ||
	{ rc=1; say "show config: the ha block's first leaves are not in the router's order"; }
for re in '^vrf main$' '^    ike$' '^        ha$' '^            seqnum-sync$' \
	'^                sync-period-time 1s$' '^                adaptive-shift false$' \
	'^            port 4520$' '^ha$' '^    group vpn$' '^        static master$' '^    \.\.$'; do
	grep -Eq "$re" "$shown" || { rc=1; say "show config: no line matching $re"; }
done
grep -Eq '^ *(port|enabled) ' "$nd" && { rc=1; say "show config nodefault: default leaves printed"; }
for re in '^                sync-period-time 1s$' '^            node-id 1$' '^            seqnum-sync$'; do
	grep -Eq "$re" "$nd" || { rc=1; say "show config nodefault: no line matching $re"; }
done
python3 -c 'import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
ha = a["xfrm-ha:vrf"][0]["ike"]["ha"]; hb = b["xfrm-ha:vrf"][0]["ike"]["ha"]
assert ha["port"] == 4520 and "port" not in hb and hb["seqnum-sync"]["sync-period-time"] == 1
' "$js" "$jsnd" || { rc=1; say "-j show config [nodefault]: not the YANG JSON expected"; }
ktap_result $rc "show config: the router's indented format, nodefault, -j" "$(head -n 12 "$shown" | tr '\n' ';')"

# ------------------------------------------------ 3. one node, by its path

rc=0
# the ha block of the whole nodefault output, 8 spaces less deep
want=$(sed -n '/^        ha$/,/^            \.\.$/p' "$nd" | sed 's/^        //')
got=$(cli_of 1 show config nodefault vrf main ike ha) || rc=1
vsay "show config nodefault vrf main ike ha:
$got"
if [ -z "$want" ] || [ "$got" != "$want" ]; then
	rc=1
	say "show config nodefault vrf main ike ha: not the ha block: $(tr '\n' ';' <<<"$got")"
fi
got=$(cli_of 1 show config vrf main ike ha seqnum-sync sync-period-time) || rc=1
[ "$got" = "sync-period-time 1s" ] || { rc=1; say "a leaf's path: \"$got\""; }
cli_of 1 -j show config ha group vpn >"$XHA_TMP/group.json" || rc=1
python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
assert list(a) == ["xfrm-ha:ha"] and a["xfrm-ha:ha"]["group"] == [{"name": "vpn", "static": "master"}], a
' "$XHA_TMP/group.json" || { rc=1; say "-j show config ha group vpn: $(cat "$XHA_TMP/group.json")"; }
out=$(cli_of 1 show config vrf blue 2>&1)
r=$?
if [ "$r" != 1 ] || [[ "$out" != *"no vrf blue configured (configured: main)"* ]]; then
	rc=1
	say "show config vrf blue: exit $r: $out"
fi
ktap_result $rc "show config PATH: the ha block alone, a leaf, -j with parents, a path to nothing refused" "$out"

# --------------------------------------------------- 4. loads back as is

rc=0
ref=$(check "${CONF[1]}")
for f in "$shown" "$nd" "$js" "$jsnd"; do
	out=$(check "$f") || { rc=1; say "--check ${f##*/}: $out"; }
	[ "${out#*: }" = "${ref#*: }" ] || { rc=1; say "--check ${f##*/}: '$out', the file's: '$ref'"; }
done
ktap_result $rc "what show config prints passes --check as the same configuration" "${ref#*: }"

# ------------------------------------ 5. round trips through the agents

rc=0
for f in "$shown" "$nd"; do
	cp "$f" "${CONF[1]}"
	out=$(cli_of 1 reload 2>&1) || { rc=1; say "reload of ${f##*/}: $out"; }
	diff -u "$shown" <(cli_of 1 show config) >"$XHA_TMP/diff" ||
		{ rc=1; say "show config after reloading ${f##*/}: $(head -n 20 "$XHA_TMP/diff")"; }
	diff -u "$nd" <(cli_of 1 show config nodefault) >"$XHA_TMP/diff" ||
		{ rc=1; say "show config nodefault after reloading ${f##*/}: $(head -n 20 "$XHA_TMP/diff")"; }
done
js2=$XHA_TMP/shown2.json
cli_of 2 -j show config >"$js2" && cli_of 2 show config >"$XHA_TMP/shown2.conf" || rc=1
cp "$XHA_TMP/shown2.conf" "${CONF[2]}"
out=$(cli_of 2 reload 2>&1) || { rc=1; say "ha2: reload of its text output: $out"; }
diff -u "$js2" <(cli_of 2 -j show config) >"$XHA_TMP/diff" ||
	{ rc=1; say "ha2: -j show config after the text reload: $(head -n 20 "$XHA_TMP/diff")"; }
ktap_result $rc "show config's output reloaded (text, nodefault, JSON -> text): the same config again"

# ------------------------------------------- 6. a bad file is refused

rc=0
sed 's/sync-period-time 1s$/sync-period-time 1x/' "$shown" >"${CONF[1]}"
grep -q 'sync-period-time 1x' "${CONF[1]}" || rc=1
line=$(grep -n 'sync-period-time 1x' "${CONF[1]}" | cut -d: -f1)
out=$(cli_of 1 reload 2>&1) && { rc=1; say "reload of a bad unit accepted"; }
vsay "$out"
for s in "line $line:" "/xfrm-ha:vrf[name='main']/ike/ha/seqnum-sync/sync-period-time" 'bad unit "x"'; do
	grep -qF -- "$s" <<<"$out" || { rc=1; say "reload's refusal lacks '$s': $out"; }
done
diff -u "$shown" <(cli_of 1 show config) >"$XHA_TMP/diff" ||
	{ rc=1; say "show config changed by a refused reload: $(head -n 20 "$XHA_TMP/diff")"; }
xll_synced || { rc=1; say "ha2 no longer synced"; }
ktap_result $rc "a bad unit: reload refused with line, path and reason; the config unchanged" "$out"

xha_stop "${PID[@]}"
ktap_finish
