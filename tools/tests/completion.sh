#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# completion/ha-ike, the bash completion: what _ha_ike offers for a few
# command lines. No agent and no kernel needed: a fake ha-ike in PATH
# answers show state, a directory stands for /run/netns.
set -u
DIR=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/xha-compl.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/netns"
touch "$T/netns/blue" "$T/netns/red"
cat >"$T/bin/ha-ike" <<'FAKE'
#!/bin/sh
# the agent of the socket given with -s answers
case "$*" in
*"-s /run/other.sock show state"*) echo "ha-group other controller external state backup transitions 0" ;;
*"show state"*) echo "node 1 role active since 5 ms"; echo "ha-group vpn controller external state master transitions 1" ;;
esac
FAKE
chmod +x "$T/bin/ha-ike"
n=0
fail=0

# t "WORDS..." "EXPECTED": complete the last word of WORDS ("" for a new one)
t() {
	local got
	got=$(PATH="$T/bin:$PATH" _HA_IKE_NETNS_DIR="$T/netns" bash -c '
		. "$1"
		read -r -a COMP_WORDS <<<"$2"
		[ "${2: -1}" = " " ] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_ha_ike
		echo "${COMPREPLY[*]}"' _ "$DIR/completion/ha-ike" "$1")
	n=$((n + 1))
	if [ "$got" = "$2" ]; then
		echo "ok $n - '$1' -> '$got'"
	else
		echo "not ok $n - '$1' -> '$got', expected '$2'"
		fail=1
	fi
}

t "ha-ike " "show get set monitor group resync reload help"
t "ha-ike s" "show set"
t "ha-ike --" "--json --netns --socket --help"
t "ha-ike show " "sa stats state sync config"
t "ha-ike -j show s" "sa stats state sync"
t "ha-ike -n " "main blue red"
t "ha-ike --netns r" "red"
t "ha-ike -n blue -j show sy" "sync"
t "ha-ike show config " "nodefault vrf ha"
t "ha-ike show config nodefault " "vrf ha"
t "ha-ike group " "vpn"
t "ha-ike -s /run/other.sock group " "other"
t "ha-ike group vpn " "master backup fault"
t "ha-ike get sa " "dst spi proto mark if-id"
t "ha-ike set sa dst 10.0.0.1 spi 0x100 " "proto mark if-id oseq seq bytes packets"
t "ha-ike set sa dst 10.0.0.1 proto " "esp ah"
t "ha-ike set config sync-period-t" "sync-period-time sync-period-time-ms"
t "ha-ike set config sync-period-time " ""
t "ha-ike monitor " "--count"
echo "1..$n"
exit $fail
