#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle of xfrm_ha.ko's per-netns state, run in the VM as root with the
# module loaded:
#   1. kick: added SAs are tracked within the scan interval (their events
#      are drained by the next run), and a flush (km notify with x == NULL)
#      kicks a prune: the tracked count drops to 0 within seconds although
#      the scan interval is a minute.
#   2. netns_teardown: two namespaces die for real while their SAs, a
#      subscribed monitor, SA dumps, bulk writes and ESP traffic are live:
#      every process in a namespace is killed (kill -9) together with
#      `ip netns del`, the first namespace while the second one still sends
#      ESP to it. Each namespace must then be destroyed (no process left in
#      it, and its nsid gone from the initial namespace: cleanup_net() ran,
#      so the net's last reference was dropped), no xfrm_state may be left
#      and rmmod must succeed.
#   3. rmmod_busy: rmmod while the same is going on succeeds, and a reload
#      works.
#   4. scan_isolation: a listener in one namespace does not make another
#      one scan: group membership is per protocol, the module narrows it
#      per namespace.
#   5. churn: 10k SAs added, rekeyed (new SPI added, then the old one
#      deleted, as IKE does) and deleted, round after round, while ESP flows
#      on rekeyed SA pairs both ways, dumps and bulk writes run and a
#      monitor listens. The tracked count must equal the live one, flushing
#      must give back every xfrm_state, rmmod must succeed.
#
# Leaks are checked through the slab cache: the VM boots with slab_nomerge,
# so xfrm_state has a cache of its own. (net_namespace has one too, but the
# kernel frees a dead net only in the next cleanup round: no exact count.)
# The baseline is taken once the count has stopped moving (the previous
# tests' namespaces and SAs are freed asynchronously); a check waits for the
# count to settle and then requires exactly the baseline. Each case also
# requires a kernel log without warnings since it began (the VM runs
# panic_on_warn=1, so a warning usually ends the run before).
#
# The churn case takes about 1 min unloaded per kernel under TCG (all vCPUs
# on one host thread: load beside the batches slows them down); CHURN_N and
# CHURN_ROUNDS in the environment change its size.

set -u
XHA_SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$XHA_SELFTESTS/lib.sh"

KO="$XHA_REPO/build/$(uname -r)/kmod/xfrm_ha.ko"
SACTL=$XHA_SELFTESTS/xha_sactl
SPRAY=$XHA_SELFTESTS/udpspray
KEY=0x0123456789abcdef0123456789abcdef01234567
NSA=lc-a
NSB=lc-b
BG=()
T=$(mktemp -d /tmp/xha-lc.XXXXXX)

cleanup() {
	local p
	for p in "${BG[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ------------------------------------------------------------ slab counts

# slab_objs CACHE: objects in use. SLUB counts every object of a per-CPU
# slab as active: flush those first so that the count is exact.
slab_objs() {
	echo 1 >"/sys/kernel/slab/$1/shrink"
	awk -v c="$1" '$1 == c { print $2 }' /proc/slabinfo
}

# slab_baseline: wait until the xfrm_state count has not moved for 2 s (the
# namespaces and SAs of what ran before are freed from work items after RCU
# grace periods), then BASE_XS holds it.
slab_baseline() {
	local i x px=- same=0
	for i in $(seq 1 120); do
		x=$(slab_objs xfrm_state)
		if [ "$x" = "$px" ]; then
			same=$((same + 1))
		else
			same=0
		fi
		px=$x
		if [ "$same" -ge 4 ]; then
			BASE_XS=$x
			echo "# baseline: $x xfrm_state objects"
			return 0
		fi
		sleep 0.5
	done
	echo "# the xfrm_state count never settled: $x"
	return 1
}

# slab_back CACHE WANT: wait for CACHE to settle, then require exactly WANT
# objects. Settled: equal to WANT and still equal half a second later, or
# unchanged for 5 s, or 45 s gone by.
slab_back() {
	local c=$1 want=$2 n p=- since=$SECONDS start=$SECONDS
	while :; do
		n=$(slab_objs "$c")
		if [ "$n" = "$want" ]; then
			sleep 0.5
			n=$(slab_objs "$c")
			[ "$n" = "$want" ] && return 0
		fi
		if [ "$n" != "$p" ]; then
			p=$n
			since=$SECONDS
		fi
		if [ $((SECONDS - since)) -ge 5 ] || [ $((SECONDS - start)) -ge 45 ]; then
			if [ "$n" -lt "$want" ]; then
				echo "# $c objects: $n, below the baseline $want (taken too early)"
			else
				echo "# $c objects: $n, baseline $want: $((n - want)) not freed"
			fi
			return 1
		fi
		sleep 0.2
	done
}

# xfrm_state_back: the xfrm_state count back to the baseline, exactly.
xfrm_state_back() { slab_back xfrm_state "$BASE_XS"; }

# ------------------------------------------------------------- kernel log

# kmsg_mark NAME: a line in the kernel log that kmsg_clean looks from.
kmsg_mark() {
	KMSG_MARK="xha-kmod-lifecycle: $1 $$ $SECONDS"
	echo "$KMSG_MARK" >/dev/kmsg
}

kmsg_clean() {
	local bad
	bad=$(dmesg | sed -n "/$KMSG_MARK/,\$p" |
		grep -E 'WARNING:|BUG:|BUG |Oops|general protection|refcount_t|list_(add|del) corruption|Call Trace|UBSAN|KASAN')
	[ -z "$bad" ] && return 0
	echo "# kernel log:"
	printf '%s\n' "$bad" | head -n 20 | sed 's/^/#   /'
	return 1
}

# rmmod_clean: rmmod succeeds (a dump's callback may hold the module for a
# moment after its socket is gone), the kernel log stays clean, and the
# module loads again for the cases that follow.
rmmod_clean() {
	local i
	for i in $(seq 1 50); do
		rmmod xfrm_ha 2>/dev/null && break
		sleep 0.1
	done
	if [ -d /sys/module/xfrm_ha ]; then
		echo "# rmmod xfrm_ha kept failing (refcnt $(cat /sys/module/xfrm_ha/refcnt 2>/dev/null))"
		return 1
	fi
	kmsg_clean || return 1
	insmod "$KO" || { echo "# reload failed"; return 1; }
}

# --------------------------------------------------------------- helpers

# xstat NS KEY: one number of `ha-ike show stats --json` (a statistics read
# does not arm the namespace's scan).
xstat() {
	ip netns exec "$1" "$XHA_CLI" show stats --json |
		sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"
}

stat_sas() { xstat "$1" sas; }

# sa_packets NS SRC DST SPI: packets an ESP SA carried (lifetime counter).
sa_packets() {
	ip -n "$1" -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		sed -n 's/^[[:space:]]*[0-9]*(bytes), \([0-9]*\)(packets).*/\1/p' | head -n 1
}

# sad_count NS: the SAs the kernel holds in NS (larval ones included).
sad_count() {
	ip -n "$1" xfrm state count | sed -n 's/.*SAD count \([0-9]*\).*/\1/p'
}

# now_ms: milliseconds of the real-time clock.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# Poll until `stat_sas NS` equals $2, for at most $3 tenths of a second
# (time, not tries: a busy host makes each try slow).
sas_become() {
	local ns=$1 want=$2 end n t0
	t0=$(now_ms)
	end=$((t0 + $3 * 100))
	while :; do
		n=$(stat_sas "$ns")
		[ "$n" = "$want" ] && return 0
		[ "$(now_ms)" -ge "$end" ] && break
		sleep 0.1
	done
	echo "# $ns tracks $n SAs, expected $want (after $((($(now_ms) - t0) / 100)) tenths of a second)"
	return 1
}

# idle_sas NS N: N idle tunnel-mode SAs in NS, all to 10.8.0.2, SPIs
# 0x10000 + 0..N-1 (one SA_SET range), a source address each (so that
# they do not share one bydst hash chain).
idle_sas() {
	awk -v n="$2" -v key=$KEY 'BEGIN {
		for (i = 0; i < n; i++)
			printf "xfrm state add src 10.7.%d.%d dst 10.8.0.2 proto esp spi 0x%x mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 64\n",
				int(i / 256), i % 256, 0x10000 + i, key
	}' | ip -n "$1" -batch -
}

# Two namespaces over veth with one ESP SA pair carrying pings, plus $1
# idle SAs in $NSA and $2 (default 0) in $NSB.
setup_pair() {
	local ns
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
	idle_sas "$NSA" "$1" || return 1
	[ "${2:-0}" = 0 ] || idle_sas "$NSB" "$2"
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

# in_ns NS SCRIPT ARGS...: bash running SCRIPT inside NS in the background
# (so that the loop itself, not only what it starts, belongs to NS).
in_ns() {
	local ns=$1 script=$2
	shift 2
	ip netns exec "$ns" bash -c "$script" lc-loop "$@" >/dev/null 2>&1 </dev/null &
	BG+=($!)
}

# SA dumps, one line in $2 for each that completed, $3 s apart.
DUMP_LOOP='while :; do "$1" show sa >/dev/null 2>&1 && echo >>"$2"; sleep "$3"; done'
# Bulk writes to $3: 100 SAs from a random one of SPIs $4..$4+$5-1,
# counters rising each time; one "ok=N failed=N" line per run in $2.
WRITE_LOOP='i=0; while :; do i=$((i + 1000));
	"$1" setrange "$3" $(($4 + RANDOM % ($5 - 100))) 100 oseq $i seq $i >>"$2" 2>&1; done'

# writes_sum FILE...: "applied/refused" over the write loops' runs, and
# the last error.
writes_sum() {
	sed -n 's/^ok=\([0-9]*\) failed=\([0-9]*\).*/\1 \2/p' "$@" |
		awk '{ o += $1; f += $2 } END { printf "%d/%d", o, f }'
	grep -h '^xha_sactl' "$@" | tail -n 1 | sed 's/^/, last error: /'
}

# ns_inode NS: the namespace's inode (what /proc/PID/ns/net links to).
ns_inode() { command stat -L -c %i "/run/netns/$1"; }

# ns_nsid NS: the namespace's id in the initial namespace, assigned if
# needed. The id stays listed until the namespace is destroyed for real
# (cleanup_net() unhashes it once the last reference is gone).
ns_nsid() {
	ip netns set "$1" auto 2>/dev/null
	ip netns list | sed -n "s/^$1 (id: \([0-9]*\))$/\1/p"
}

# ns_procs INODE: pids of the processes in that namespace.
ns_procs() {
	find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' \
		-lname "net:?$1?" 2>/dev/null | cut -d/ -f3
}

# ns_kill_del NS: kill -9 every process in NS together with deleting it;
# prints how many processes were in it.
ns_kill_del() {
	local pids
	pids=$(ip netns pids "$1")
	kill -9 $pids 2>/dev/null &
	ip netns del "$1"
	wait $!
	echo $pids | wc -w
}

# ns_gone INODE NSID: wait until no process is left in the namespace (a
# dump the loop forked after `ip netns pids` ends by itself) and the
# namespace is destroyed: its nsid no longer listed in the initial
# namespace (cleanup_net() unhashes it once the last reference is gone).
ns_gone() {
	local ino=$1 id=$2 start=$SECONDS left
	while :; do
		left=$(ns_procs "$ino")
		if [ -z "$left" ] && ! ip netns list-id | awk -v id="$id" '$1 == "nsid" && $2 == id { f = 1 } END { exit !f }'; then
			return 0
		fi
		if [ $((SECONDS - start)) -ge 30 ]; then
			echo "# netns inode $ino (nsid $id) still alive after 30 s; processes in it: $(echo ${left:-none})"
			return 1
		fi
		sleep 0.2
	done
}

# ------------------------------------------------------------------ cases

test_kick() {
	local n=50
	ip netns add "$NSA" || return 1
	# A listener makes the namespace scan: the adds within a second.
	ip netns exec "$NSA" "$XHA_CLI" set config scan-interval-ms 1000 || return 1
	ip netns exec "$NSA" "$XHA_CLI" monitor >/dev/null 2>&1 &
	BG+=($!)
	sleep 1
	for i in $(seq 1 $n); do
		printf 'xfrm state add src 10.8.0.1 dst 10.8.0.%d proto esp spi 0x%x mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 64\n' \
			"$i" $((0x20000 + i)) $KEY
	done | ip -n "$NSA" -batch - || return 1
	sas_become "$NSA" $n 50 || return 1
	# A minute between scans: only the km hook can make the count drop in
	# time (10 s: the host may be busy; the prune is due within 100 ms).
	ip netns exec "$NSA" "$XHA_CLI" set config scan-interval-ms 60000 || return 1
	sleep 1
	ip -n "$NSA" xfrm state flush || return 1
	sas_become "$NSA" 0 100 || return 1
	stop_busy
	ip netns del "$NSA"
	xfrm_state_back
}

# Everything that can be live in a namespace: a subscribed monitor, SA
# dumps and bulk writes in loops, pings both ways (ESP), the scan every
# 10 ms with a record per packet.
teardown_busy() {
	local ns=$1 peer=$2 n=$3
	ip netns exec "$ns" "$XHA_CLI" set config scan-interval-ms 10 \
		sync-period-packets 1 || return 1
	ip netns exec "$ns" "$XHA_CLI" monitor >/dev/null 2>&1 </dev/null &
	BG+=($!)
	in_ns "$ns" "$DUMP_LOOP" "$XHA_CLI" "$T/dumps-$ns" 0
	in_ns "$ns" "$WRITE_LOOP" "$SACTL" "$T/writes-$ns" 10.8.0.2 0x10000 "$n"
	ip netns exec "$ns" ping -q -i 0.01 "$peer" >/dev/null 2>&1 </dev/null &
	BG+=($!)
}

test_netns_teardown() {
	local ino_a ino_b id_a id_b n esp rc=0
	setup_pair 2000 500 || return 1
	ino_a=$(ns_inode "$NSA") ino_b=$(ns_inode "$NSB")
	id_a=$(ns_nsid "$NSA") id_b=$(ns_nsid "$NSB")
	[ -n "$id_a" ] && [ -n "$id_b" ] || { echo "# no nsid for $NSA or $NSB"; return 1; }
	: >"$T/dumps-$NSA" && : >"$T/dumps-$NSB"
	teardown_busy "$NSA" 10.9.0.2 2000 || return 1
	teardown_busy "$NSB" 10.9.0.1 500 || return 1
	sleep 3
	# All of it is live: SAs tracked, dumps done, writes applied, ESP.
	n=$(stat_sas "$NSA")
	esp=$(sa_packets "$NSB" 10.9.0.1 10.9.0.2 0x100)
	echo "# before teardown: $NSA tracks ${n:-?} SAs, $NSB $(stat_sas "$NSB"); dumps $(wc -l <"$T/dumps-$NSA")+$(wc -l <"$T/dumps-$NSB");" \
		"bulk writes $(writes_sum "$T"/writes-*); ESP received ${esp:-?}"
	[ "${n:-0}" -ge 2000 ] || { echo "# the scan did not pick $NSA's SAs up"; return 1; }
	[ "${esp:-0}" -gt 0 ] || { echo "# no ESP"; return 1; }

	# $NSA dies first, while $NSB still sends ESP into it, dumps and
	# listens; then $NSB. Nothing may hold either namespace afterwards.
	# (stderr aside: bash reports each job killed by a signal)
	{
		n=$(ns_kill_del "$NSA")
		echo "# killed $n processes in $NSA with ip netns del"
		ns_gone "$ino_a" "$id_a" || rc=1
		n=$(ns_kill_del "$NSB")
		echo "# killed $n processes in $NSB with ip netns del"
		ns_gone "$ino_b" "$id_b" || rc=1
		wait
	} 2>/dev/null
	BG=()
	xfrm_state_back || rc=1
	rmmod_clean || rc=1
	return $rc
}

test_rmmod_busy() {
	local i ok=0
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
	xfrm_state_back
}

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
	a1=$(xstat "$NSA" scans)
	b1=$(xstat "$NSB" scans)
	sleep 2
	a2=$(xstat "$NSA" scans)
	b2=$(xstat "$NSB" scans)
	echo "# scans in 2 s: $NSA $((a2 - a1)), $NSB $((b2 - b1))"
	[ "$a2" -gt "$a1" ] && [ "$b2" = "$b1" ] || return 1
	stop_busy
	ip netns del "$NSA"
	ip netns del "$NSB"
	xfrm_state_back
}

# ------------------------------------------------------------------ churn
#
# $NSA holds CHURN_N idle SAs of generation G: SA i (0..N-1) from
# 10.7.(i/256).(i%256) to 10.8.0.2, SPI ((G + 1) << 20) + i; a rekey adds
# generation G + 1 and deletes G, SA by SA. CHURN_K SA pairs carry UDP
# both ways (udpspray), tunnel mode between va 10.9.0.1 and vb 10.9.0.2,
# reqid 1..K; generation G's SPIs are 0x30000 + G * 0x100 + i ($NSA to
# $NSB) and 0x40000 + G * 0x100 + i (back). $NSA sends from 10.100.0.1 to
# 10.102.0.i, $NSB from 10.100.0.2 to 10.101.0.i.
CHURN_N=${CHURN_N:-10000}
CHURN_K=8
CHURN_ROUNDS=${CHURN_ROUNDS:-3}

# churn_batch add|rekey|del G: ip -batch lines for the idle SAs.
churn_batch() {
	awk -v op="$1" -v g="$2" -v n=$CHURN_N 'BEGIN {
		for (i = 0; i < n; i++) {
			s = sprintf("src 10.7.%d.%d dst 10.8.0.2 proto esp spi 0x%x", int(i / 256), i % 256, (g + 1) * 1048576 + i)
			s1 = sprintf("src 10.7.%d.%d dst 10.8.0.2 proto esp spi 0x%x", int(i / 256), i % 256, (g + 2) * 1048576 + i)
			m = i % 3 ? "replay-window 32" : "replay-window 128 flag esn"
			if (op == "add")
				printf "xfrm state add %s mode tunnel enc cipher_null \"\" auth digest_null \"\" %s\n", s, m
			else if (op == "rekey") {
				printf "xfrm state add %s mode tunnel enc cipher_null \"\" auth digest_null \"\" %s\n", s1, m
				printf "xfrm state delete %s\n", s
			} else
				printf "xfrm state delete %s\n", s
		}
	}'
}

# traffic_batch add|del G: the CHURN_K SA pairs of generation G.
traffic_batch() {
	awk -v op="$1" -v g="$2" -v k=$CHURN_K -v key=$KEY 'BEGIN {
		for (i = 1; i <= k; i++) {
			o = sprintf("src 10.9.0.1 dst 10.9.0.2 proto esp spi 0x%x", 196608 + g * 256 + i)
			b = sprintf("src 10.9.0.2 dst 10.9.0.1 proto esp spi 0x%x", 262144 + g * 256 + i)
			if (op == "add") {
				printf "xfrm state add %s reqid %d mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 128 flag esn\n", o, i, key
				printf "xfrm state add %s reqid %d mode tunnel aead rfc4106(gcm(aes)) %s 128 replay-window 64\n", b, i, key
			} else {
				printf "xfrm state delete %s\n", o
				printf "xfrm state delete %s\n", b
			}
		}
	}'
}

churn_setup() {
	local i
	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	ip link add va netns "$NSA" type veth peer name vb netns "$NSB" || return 1
	{
		echo "link set lo up"
		echo "link set va up"
		echo "addr add 10.9.0.1/24 dev va"
		echo "addr add 10.100.0.1/32 dev lo"
		echo "route add local 10.101.0.0/16 dev lo"
		echo "route add 10.102.0.0/16 via 10.9.0.2"
		for i in $(seq 1 $CHURN_K); do
			echo "xfrm policy add src 10.100.0.1/32 dst 10.102.0.$i/32 dir out tmpl src 10.9.0.1 dst 10.9.0.2 proto esp reqid $i mode tunnel"
		done
	} | ip -n "$NSA" -batch - || return 1
	{
		echo "link set lo up"
		echo "link set vb up"
		echo "addr add 10.9.0.2/24 dev vb"
		echo "addr add 10.100.0.2/32 dev lo"
		echo "route add local 10.102.0.0/16 dev lo"
		echo "route add 10.101.0.0/16 via 10.9.0.1"
		for i in $(seq 1 $CHURN_K); do
			echo "xfrm policy add src 10.100.0.2/32 dst 10.101.0.$i/32 dir out tmpl src 10.9.0.2 dst 10.9.0.1 proto esp reqid $i mode tunnel"
		done
	} | ip -n "$NSB" -batch - || return 1
	traffic_batch add 0 | ip -n "$NSA" -batch - &&
		traffic_batch add 0 | ip -n "$NSB" -batch -
}

# traffic_rekey G: generation G + 1 of the traffic pairs on both sides,
# then G deleted on both sides (make before break).
traffic_rekey() {
	traffic_batch add $(($1 + 1)) | ip -n "$NSB" -batch - &&
		traffic_batch add $(($1 + 1)) | ip -n "$NSA" -batch - &&
		traffic_batch del "$1" | ip -n "$NSA" -batch - &&
		traffic_batch del "$1" | ip -n "$NSB" -batch -
}

# traffic_flows: every SA in $NSB (the traffic pairs of one generation
# alone) carried packets: received on the way there, sent on the way back.
traffic_flows() {
	ip -n "$NSB" -s xfrm state list | awk -v k=$CHURN_K '
		/proto esp spi/ { spi = $4 }
		/^[ \t]*[0-9]+\(bytes\), [0-9]+\(packets\)/ { p = $2; sub(/\(.*/, "", p); n++; if (p + 0 > 0) moved++ }
		END { exit !(n == 2 * k && moved == n) }'
}

# Bulk writes over 500 SAs of the current generation ($3 holds it) from a
# random index, counters rising each time, $5 s apart; "ok=N failed=N"
# lines in $2. (Under TCG all vCPUs share one host thread: what runs
# beside the batches slows them down.)
CHURN_WRITE_LOOP='i=0; while :; do i=$((i + 1000)); g=$(cat "$3");
	"$1" setrange 10.8.0.2 $(( ((g + 1) << 20) + RANDOM % ($4 - 500) )) 500 oseq $i seq $i >>"$2" 2>&1; sleep "$5"; done'

# tracked_is_live WANT: the kernel holds WANT SAs in $NSA (no larval one
# either) and the module tracks exactly as many (within 15 s).
tracked_is_live() {
	local sad
	sad=$(sad_count "$NSA")
	[ "$sad" = "$1" ] || { echo "# $NSA holds $sad SAs, expected $1"; return 1; }
	sas_become "$NSA" "$1" 150
}

test_churn() {
	local g=0 tg=0 r t0 tr ta tk rc=0 w sp1 sp2 tx
	t0=$SECONDS
	churn_setup || return 1
	: >"$T/dumps" && : >"$T/writes" && echo 0 >"$T/gen"
	ip netns exec "$NSA" "$XHA_CLI" set config scan-interval-ms 200 \
		sync-period-packets 4 || return 1
	ip netns exec "$NSA" "$XHA_CLI" monitor >/dev/null 2>&1 </dev/null &
	BG+=($!)
	in_ns "$NSA" "$DUMP_LOOP" "$XHA_CLI" "$T/dumps" 2
	in_ns "$NSA" "$CHURN_WRITE_LOOP" "$SACTL" "$T/writes" "$T/gen" $CHURN_N 1
	ip netns exec "$NSA" "$SPRAY" -b 10.100.0.1 -d 10.102.0.0 -n $CHURN_K -r 200 \
		>"$T/spray-a" 2>&1 </dev/null &
	sp1=$!
	ip netns exec "$NSB" "$SPRAY" -b 10.100.0.2 -d 10.101.0.0 -n $CHURN_K -r 200 \
		>"$T/spray-b" 2>&1 </dev/null &
	sp2=$!
	BG+=("$sp1" "$sp2")

	for r in $(seq 1 $CHURN_ROUNDS); do
		tr=$SECONDS
		churn_batch add $g | ip -n "$NSA" -batch - || { echo "# round $r: add failed"; return 1; }
		ta=$SECONDS
		echo $g >"$T/gen"
		traffic_rekey $tg || { echo "# round $r: traffic rekey failed"; return 1; }
		tg=$((tg + 1))
		churn_batch rekey $g | ip -n "$NSA" -batch - || { echo "# round $r: rekey failed"; return 1; }
		g=$((g + 1))
		echo $g >"$T/gen"
		tk=$SECONDS
		traffic_rekey $tg || { echo "# round $r: traffic rekey failed"; return 1; }
		tg=$((tg + 1))
		tracked_is_live $((CHURN_N + 2 * CHURN_K)) || { echo "# round $r: tracked != live"; rc=1; break; }
		echo "# round $r: $CHURN_N SAs added in $((ta - tr)) s, rekeyed in $((tk - ta)) s, tracked as live $((SECONDS - tk)) s later"
		[ "$r" = "$CHURN_ROUNDS" ] && break
		churn_batch del $g | ip -n "$NSA" -batch - || { echo "# round $r: delete failed"; return 1; }
		g=$((g + 1))
		echo $g >"$T/gen"
		tracked_is_live $((2 * CHURN_K)) || { echo "# round $r: tracked != live after delete"; rc=1; break; }
	done
	[ $rc = 0 ] || return 1

	# What ran meanwhile did run: ESP on the last traffic generation,
	# dumps, applied writes, records to the listener.
	xha_wait_until 10 traffic_flows $tg || { echo "# no ESP on traffic generation $tg"; rc=1; }
	w=$(writes_sum "$T/writes")
	kill -TERM "$sp1" "$sp2" 2>/dev/null
	wait "$sp1" "$sp2" 2>/dev/null
	tx=$(cat "$T/spray-a" "$T/spray-b" | sed -n 's/^udpspray final tx=\([0-9]*\).*/\1/p' | tr '\n' ' ')
	echo "# $((SECONDS - t0)) s: dumps $(wc -l <"$T/dumps"), writes applied/refused $w, udp sent ${tx% }," \
		"module records $(xstat "$NSA" records), events $(xstat "$NSA" events)"
	[ "$(wc -l <"$T/dumps")" -gt 0 ] || { echo "# no dump finished"; rc=1; }
	[ "${w%%/*}" -gt 0 ] || { echo "# no write applied"; rc=1; }

	# Flushed, with the listener still there: nothing tracked, and every
	# xfrm_state freed (the namespaces still alive).
	ip -n "$NSA" xfrm state flush && ip -n "$NSB" xfrm state flush || rc=1
	sas_become "$NSA" 0 100 || rc=1
	slab_back xfrm_state "$BASE_XS" || rc=1
	stop_busy
	ip netns del "$NSA"
	ip netns del "$NSB"
	xfrm_state_back || rc=1
	rmmod_clean || rc=1
	echo "# churn took $((SECONDS - t0)) s"
	return $rc
}

# ------------------------------------------------------------------- main

[ -w /sys/kernel/slab/xfrm_state/shrink ] ||
	{ echo "# no unmerged xfrm_state slab cache (boot with slab_nomerge)"; exit 1; }

ktap_header
ktap_plan 5
for t in test_kick test_netns_teardown test_rmmod_busy test_scan_isolation test_churn; do
	kmsg_mark "$t"
	t1=$SECONDS
	if slab_baseline; then
		$t
		rc=$?
		kmsg_clean || rc=1
	else
		rc=1
	fi
	echo "# ${t#test_}: $((SECONDS - t1)) s"
	ktap_result $rc "${t#test_}"
	stop_busy
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	[ -d /sys/module/xfrm_ha ] || insmod "$KO" 2>/dev/null
done
ktap_finish
