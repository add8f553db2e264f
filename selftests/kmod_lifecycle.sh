#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle of xfrm_ha.ko's per-netns state, run in the VM as root with the
# module loaded:
#   1. SA add and flush kick the scan (km notify, FLUSH with x == NULL):
#      the tracked count follows within about a second (the gap between
#      passes that events bring forward) although the scan interval is a
#      minute.
#   2. Deleting a namespace while its scan, a listener, dumps and ESP
#      traffic are busy leaks no xfrm_state reference.
#   3. rmmod while the same is going on succeeds, and a reload works.
#   4. A listener in one namespace does not make another one scan: group
#      membership is per protocol, the module narrows it per namespace.
# References are checked through the xfrm_state slab cache (the VM boots
# with slab_nomerge so that cache is not shared).

set -u
XHA_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$XHA_SELFTESTS/lib.sh"

KO="$XHA_REPO/build/$(uname -r)/kmod/xfrm_ha.ko"
KEY=0x0123456789abcdef0123456789abcdef01234567
NSA=lc-a
NSB=lc-b
BG=()

cleanup() {
	local p
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
trap cleanup EXIT

# SLUB counts every object of a per-CPU slab as active: flush those first
# so that the count is exact.
slab_xfrm_state() {
	echo 1 >/sys/kernel/slab/xfrm_state/shrink
	awk '$1 == "xfrm_state" { print $2 }' /proc/slabinfo
}

# Wait until the xfrm_state cache is back to $1 objects (the xfrm GC frees
# states from a work item after an RCU grace period).
slab_settles_to() {
	local want=$1 i n
	for i in $(seq 1 100); do
		n=$(slab_xfrm_state)
		[ "$n" -le "$want" ] && return 0
		sleep 0.1
	done
	echo "# xfrm_state objects: $n, expected $want"
	return 1
}

# stat NS KEY: one number of `ha-ike show stats --json` (a statistics read
# does not arm the namespace's scan).
stat() {
	ip netns exec "$1" "$XHA_CLI" show stats --json |
		sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"
}

stat_sas() { stat "$1" sas; }

# Poll until `stat_sas NS` equals $2, for at most $3 tenths of a second.
sas_become() {
	local ns=$1 want=$2 tries=$3 i n
	for i in $(seq 1 "$tries"); do
		n=$(stat_sas "$ns")
		[ "$n" = "$want" ] && return 0
		sleep 0.1
	done
	echo "# $ns tracks $n SAs, expected $want"
	return 1
}

# Two namespaces over veth with one ESP SA pair carrying pings, plus $1
# idle SAs in $NSA.
setup_pair() {
	local idle=$1 ns i
	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	ip link add va netns "$NSA" type veth peer name vb netns "$NSB"
	ip -n "$NSA" addr add 10.9.0.1/24 dev va
	ip -n "$NSB" addr add 10.9.0.2/24 dev vb
	ip -n "$NSA" link set va up
	ip -n "$NSB" link set vb up
	for ns in "$NSA" "$NSB"; do
		ip -n "$ns" xfrm state add src 10.9.0.1 dst 10.9.0.2 proto esp \
			spi 0x100 mode transport aead 'rfc4106(gcm(aes))' $KEY 128 \
			replay-window 128 flag esn || return 1
		ip -n "$ns" xfrm state add src 10.9.0.2 dst 10.9.0.1 proto esp \
			spi 0x200 mode transport aead 'rfc4106(gcm(aes))' $KEY 128 \
			replay-window 32 || return 1
	done
	ip -n "$NSA" xfrm policy add src 10.9.0.1 dst 10.9.0.2 dir out tmpl proto esp mode transport
	ip -n "$NSA" xfrm policy add src 10.9.0.2 dst 10.9.0.1 dir in tmpl proto esp mode transport
	ip -n "$NSB" xfrm policy add src 10.9.0.1 dst 10.9.0.2 dir in tmpl proto esp mode transport
	ip -n "$NSB" xfrm policy add src 10.9.0.2 dst 10.9.0.1 dir out tmpl proto esp mode transport
	for i in $(seq 1 "$idle"); do
		printf 'xfrm state add src 10.8.0.1 dst 10.8.%d.%d proto esp spi 0x%x mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 64\n' \
			$((i / 250)) $((i % 250 + 1)) $((0x10000 + i)) $KEY
	done | ip -n "$NSA" -batch - || return 1
}

# A listener, dumps in a loop and pings in $NSA, in the background.
make_busy() {
	ip netns exec "$NSA" "$XHA_CLI" set config scan-interval-ms 10 \
		sync-period-packets 1 || return 1
	ip netns exec "$NSA" "$XHA_CLI" monitor >/dev/null 2>&1 &
	BG+=($!)
	(while :; do ip netns exec "$NSA" "$XHA_CLI" show sa >/dev/null 2>&1; done) &
	BG+=($!)
	ip netns exec "$NSA" ping -q -i 0.01 10.9.0.2 >/dev/null 2>&1 &
	BG+=($!)
	sleep 2
}

stop_busy() {
	local p
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	BG=()
}

test_kick() {
	local base n=50
	base=$(slab_xfrm_state)
	ip netns add "$NSA" || return 1
	# A listener makes the namespace scan; a minute between scans means
	# only the km hook can make the counts below move in time.
	ip netns exec "$NSA" "$XHA_CLI" set config scan-interval-ms 60000 || return 1
	ip netns exec "$NSA" "$XHA_CLI" monitor >/dev/null 2>&1 &
	BG+=($!)
	sleep 1
	for i in $(seq 1 $n); do
		printf 'xfrm state add src 10.8.0.1 dst 10.8.0.%d proto esp spi 0x%x mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 64\n' \
			"$i" $((0x20000 + i)) $KEY
	done | ip -n "$NSA" -batch - || return 1
	sas_become "$NSA" $n 30 || return 1
	ip -n "$NSA" xfrm state flush || return 1
	sas_become "$NSA" 0 30 || return 1
	stop_busy
	ip netns del "$NSA"
	slab_settles_to "$base"
}

test_netns_teardown() {
	local base
	base=$(slab_xfrm_state)
	setup_pair 300 || return 1
	make_busy || return 1
	[ "$(stat_sas "$NSA")" -ge 300 ] || { echo "# scan did not pick the SAs up"; return 1; }
	ip netns del "$NSA"
	ip netns del "$NSB"
	stop_busy
	slab_settles_to "$base"
}

test_rmmod_busy() {
	local base i ok=0
	base=$(slab_xfrm_state)
	setup_pair 300 || return 1
	make_busy || return 1
	# A dump in flight holds the module: rmmod may see EBUSY for a moment.
	for i in $(seq 1 50); do
		if rmmod xfrm_ha 2>/dev/null; then
			ok=1
			break
		fi
		sleep 0.1
	done
	stop_busy
	[ $ok = 1 ] || { echo "# rmmod xfrm_ha kept failing"; return 1; }
	insmod "$KO" || { echo "# reload failed"; return 1; }
	# The reloaded module tracks the namespace that outlived it.
	ip netns exec "$NSA" "$XHA_CLI" monitor >/dev/null 2>&1 &
	BG+=($!)
	sas_become "$NSA" 302 50 || return 1
	stop_busy
	ip netns del "$NSA"
	ip netns del "$NSB"
	slab_settles_to "$base"
}

[ -w /sys/kernel/slab/xfrm_state/shrink ] ||
	{ echo "# no unmerged xfrm_state slab cache (boot with slab_nomerge)"; exit 1; }
test_scan_isolation() {
	local a1 a2 b1 b2
	setup_pair 0 || return 1
	make_busy || return 1	# listener, dumps and pings in $NSA only
	# $NSB carries the same ESP traffic but never makes a request; an SA
	# event wakes its scan work while $NSA's listener is in the group.
	ip -n "$NSB" xfrm state add src 10.9.0.2 dst 10.9.0.9 proto esp \
		spi 0x999 mode transport aead 'rfc4106(gcm(aes))' $KEY 128 \
		replay-window 32 || return 1
	sleep 0.5
	a1=$(stat "$NSA" scans)
	b1=$(stat "$NSB" scans)
	sleep 2
	a2=$(stat "$NSA" scans)
	b2=$(stat "$NSB" scans)
	echo "# scans in 2 s: $NSA $((a2 - a1)), $NSB $((b2 - b1))"
	[ "$a2" -gt "$a1" ] && [ "$b2" = "$b1" ]
}

ktap_header
ktap_plan 4
for t in test_kick test_netns_teardown test_rmmod_busy test_scan_isolation; do
	$t
	ktap_result $? "${t#test_}"
	stop_busy
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
done
ktap_finish
