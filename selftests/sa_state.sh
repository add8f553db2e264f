#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# sa_state.sh: what a write through xfrm_ha does to an SA beyond its replay
# counters, and what the module costs, on hand-made SAs (no agents). Run as
# root with xfrm_ha.ko loaded (inside the selftest VM). Each part fails
# without its feature in the module.
#
#  1. wrap: with an oseq wrap margin of 1000, writing oseq = 2^32-1-10 on a
#     non-ESN SA (with an OSEQ_MIN below the limit: the slack the writer
#     can give up) is clamped to 2^32-1-1000, the seq of the same request
#     is applied, the SA gets one soft expire ("ip xfrm monitor expire"
#     sees hard 0) and the traffic sent on it afterwards never fails with
#     -EOVERFLOW (XfrmOutStateSeqError); later writes are never clamped
#     below their OSEQ_MIN (or below their OSEQ when they give none: a
#     sequence number possibly used is never used again) and send no
#     second soft expire. An SA with extra-flag
#     oseq-may-wrap is not clamped. An ESN SA carried across 2^32 by
#     traffic reads back its exact 64-bit counters (high half 1), on the
#     sender and the receiver, and a write above 2^32 reads back exactly.
#  2. lifetimes: an SA with "limit packet-soft 100" sends its soft expire
#     at packet 101 on the "active" node; the "backup" (the same SA in
#     another netns) gets the active's bytes and packets after 60 packets
#     through SA_SET, as the agent writes them, and must send its soft
#     expire at its 41st packet: the same count.
#  3. memory: 10k SAs rekeyed 5 times in a netns where nobody listens to the
#     group, every new SA written once through SA_SET (as a backup's agent
#     does), every old SA deleted: the module tracks nothing there (no
#     entry, no reference held) however many SAs it wrote. Reports the
#     memory per entry.
#  4. churn: with a listener, a burst of 10k rekeys (10k adds and 10k
#     deletes) with a 1 s scan interval costs at most elapsed/1s + 2
#     complete passes, and the entries follow the live SAs afterwards.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_require_root

CTL=$XHA_SELFTESTS/xha_sactl
KEY=0x0123456789abcdef0123456789abcdef01234567
NA=sst-a NB=sst-b NLA=sst-la NLB=sst-lb NM=sst-mem NC=sst-churn
NSES=("$NA" "$NB" "$NLA" "$NLB" "$NM" "$NC")
N_SAS=${XHA_SST_SAS:-10000}
REKEYS=${XHA_SST_REKEYS:-5}
MARGIN=1000
TOP32=4294967295
BG=()
PLAN=17

cleanup() {
	local p ns
	for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$XHA_TMP" ] && rm -rf "$XHA_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stat NS KEY: one field of "xha_sactl stats" in NS (empty if unreadable).
stat() { nsx "$1" "$CTL" stats 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# sa_get NS DST SPI FIELD: oseq, seq, bytes or packets through the module.
sa_get() { nsx "$1" "$CTL" get "$2" "$3" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$4=//p"; }
# udp_send NS DST N: N single UDP datagrams (each one ESP packet) to DST.
udp_send() {
	nsx "$1" bash -c "for ((i = 0; i < $3; i++)); do echo x >/dev/udp/$2/9; done" 2>/dev/null
}
# monitor_start NS: "ip xfrm monitor expire" in NS into $XHA_TMP/expire-NS.
monitor_start() {
	: >"$XHA_TMP/expire-$1"
	ip -n "$1" xfrm monitor expire >"$XHA_TMP/expire-$1" 2>&1 &
	BG+=("$!")
}
# expires NS SPI HARD: how many expire messages with that hard flag NS's
# monitor saw for SPI (0x%08x).
expires() {
	awk -v spi="$2" -v hard="$3" '
		/^Expired/ { s = "" }
		/proto esp spi / { for (i = 1; i < NF; i++) if ($i == "spi") s = $(i + 1) }
		/^[ \t]*hard [0-9]+/ { if (s == spi && $2 == hard) n++; s = "" }
		END { print n + 0 }' "$XHA_TMP/expire-$1"
}
has_expire() { [ "$(expires "$1" "$2" 0)" -gt 0 ]; }
ms() { echo $(($(date +%s%N) / 1000000)); }

ktap_header
ktap_plan "$PLAN"
say "sa_state: $(uname -r), $N_SAS SAs rekeyed $REKEYS times"
grep -q '^xfrm_ha ' /proc/modules || say "warning: xfrm_ha is not loaded"
xha_tmp_init
T_START=$SECONDS

# ------------------------------------------------------------ setup

# sst-a --veth-- sst-b, three transport-mode SAs a -> b, one per address
# pair: 1 non-ESN (legacy window), 2 non-ESN with oseq-may-wrap, 3 ESN.
# sst-la and sst-lb: the same volume-limited SA, on a dummy device (the
# packets need not arrive: a soft limit counts on output).
setup() {
	local k ns sas
	for ns in "${NSES[@]}"; do
		[ -e "/run/netns/$ns" ] && { say "netns $ns exists"; return 1; }
	done
	printf 'netns add %s\n' "${NSES[@]}" | ip -batch - || return 1
	# The same three SAs on both sides.
	sas="xfrm state add src 10.77.1.1 dst 10.77.1.2 proto esp spi 0x100 reqid 1 mode transport aead rfc4106(gcm(aes)) $KEY 128 replay-window 32
xfrm state add src 10.77.2.1 dst 10.77.2.2 proto esp spi 0x200 reqid 2 mode transport aead rfc4106(gcm(aes)) $KEY 128 replay-window 32 extra-flag oseq-may-wrap
xfrm state add src 10.77.3.1 dst 10.77.3.2 proto esp spi 0x300 reqid 3 mode transport aead rfc4106(gcm(aes)) $KEY 128 replay-window 128 flag esn"
	{
		echo "link set lo up"
		echo "link add a0 type veth peer name b0 netns $NB"
		echo "link set a0 up"
		for k in 1 2 3; do echo "addr add 10.77.$k.1/24 dev a0"; done
		echo "$sas"
		for k in 1 2 3; do
			echo "xfrm policy add src 10.77.$k.1/32 dst 10.77.$k.2/32 dir out tmpl src 10.77.$k.1 dst 10.77.$k.2 proto esp reqid $k mode transport"
		done
	} | ip -n "$NA" -batch - || return 1
	{
		echo "link set lo up"
		echo "link set b0 up"
		for k in 1 2 3; do echo "addr add 10.77.$k.2/24 dev b0"; done
		echo "$sas"
		for k in 1 2 3; do
			echo "xfrm policy add src 10.77.$k.1/32 dst 10.77.$k.2/32 dir in tmpl src 10.77.$k.1 dst 10.77.$k.2 proto esp reqid $k mode transport"
		done
	} | ip -n "$NB" -batch - || return 1
	for ns in "$NLA" "$NLB"; do
		ip -n "$ns" -batch - <<-EOF || return 1
			link set lo up
			link add d0 type dummy
			link set d0 up
			addr add 10.78.0.1/24 dev d0
			xfrm state add src 10.78.0.1 dst 10.78.0.2 proto esp spi 0x400 reqid 4 mode transport aead rfc4106(gcm(aes)) $KEY 128 replay-window 32 limit packet-soft 100 limit packet-hard 1000
			xfrm policy add src 10.78.0.1/32 dst 10.78.0.2/32 dir out tmpl src 10.78.0.1 dst 10.78.0.2 proto esp reqid 4 mode transport
		EOF
	done
	ip -n "$NM" link set lo up && ip -n "$NC" link set lo up || return 1
	[ -x "$CTL" ] || { say "$CTL missing: make -C selftests build"; return 1; }
	# Resolve b's addresses now, so that no packet waits for ARP later.
	for k in 1 2 3; do nsx "$NA" ping -q -c 1 -W 2 "10.77.$k.2" >/dev/null 2>&1; done
	return 0
}

if setup; then
	ktap_pass "setup: netns, SAs and policies"
else
	ktap_fail "setup: netns, SAs and policies" "see the diagnostics"
	for _ in $(seq $((PLAN - 1))); do ktap_fail "not run" "setup failed"; done
	ktap_finish
	exit 1
fi
monitor_start "$NA"
monitor_start "$NLA"
monitor_start "$NLB"
sleep 1	# the monitors subscribe

# ------------------------------------------------------------- 1. wrap

out=$(nsx "$NA" "$CTL" config oseq_wrap_margin "$MARGIN" 2>&1) &&
	[ "$(stat "$NA" oseq_wrap_margin)" = "$MARGIN" ]
ktap_result $? "wrap: oseq wrap margin set to $MARGIN" "$out"

CLAMP=$((TOP32 - MARGIN))
c0=$(stat "$NA" oseq_clamped) e0=$(stat "$NA" soft_expires)
out=$(nsx "$NA" "$CTL" set 10.77.1.2 0x100 oseq $((TOP32 - 10)) oseq-min $((TOP32 - 2000)) seq 12345 2>&1)
rc=$?
o=$(sa_get "$NA" 10.77.1.2 0x100 oseq) s=$(sa_get "$NA" 10.77.1.2 0x100 seq)
say "wrap: write oseq 2^32-1-10 seq 12345 on the non-ESN SA: rc $rc${out:+ ($out)}, reads back oseq $o seq $s"
[ "$rc" = 0 ] && [ "$o" = "$CLAMP" ] && [ "$s" = 12345 ]
ktap_result $? "wrap: a non-ESN oseq within the margin is clamped to 2^32-1-$MARGIN, the request succeeds and its seq is applied" \
	"rc $rc, oseq $o (want $CLAMP), seq $s (want 12345)"

xha_wait_until 3 has_expire "$NA" 0x00000100
c1=$(stat "$NA" oseq_clamped) e1=$(stat "$NA" soft_expires)
n=$(expires "$NA" 0x00000100 0) h=$(expires "$NA" 0x00000100 1)
say "wrap: soft expires seen for spi 0x100: $n (hard: $h); stats oseq_clamped ${c0:-?} -> ${c1:-?}, soft_expires ${e0:-?} -> ${e1:-?}"
[ "$n" = 1 ] && [ "$h" = 0 ] && [ "${c1:-0}" = $((${c0:-0} + 1)) ] && [ "${e1:-0}" = $((${e0:-0} + 1)) ]
ktap_result $? "wrap: the clamped SA gets one soft expire (hard 0), counted in oseq_clamped and soft_expires" \
	"$n soft, $h hard expires; oseq_clamped +$((${c1:-0} - ${c0:-0})), soft_expires +$((${e1:-0} - ${e0:-0}))"

sa0=$(xha_xfrm_stats "$NA")
xha_sa_load "$NB"
read -r _ _ d0 p0 <<<"$(xha_sa "$NB" 0x100)"
udp_send "$NA" 10.77.1.2 50
sleep 0.5
sa1=$(xha_xfrm_stats "$NA")
xha_sa_load "$NB"
read -r _ rs d1 p1 <<<"$(xha_sa "$NB" 0x100)"
seqerr=$(($(xha_stat_get "$sa1" XfrmOutStateSeqError) - $(xha_stat_get "$sa0" XfrmOutStateSeqError)))
o=$(sa_get "$NA" 10.77.1.2 0x100 oseq)
say "wrap: 50 packets after the write: sender XfrmOutStateSeqError +$seqerr, oseq $o; receiver accepted $((p1 - p0)), dropped $((d1 - d0)), seq $rs"
[ "$seqerr" = 0 ] && [ $((p1 - p0)) = 50 ] && [ "$d1" = "$d0" ]
ktap_result $? "wrap: 50 packets after the write all leave (no -EOVERFLOW) and arrive" \
	"XfrmOutStateSeqError +$seqerr, receiver accepted $((p1 - p0))/50, dropped $((d1 - d0))"

before=$o
out=$(nsx "$NA" "$CTL" set 10.77.1.2 0x100 oseq $((TOP32 - 5)) oseq-min $((TOP32 - 8)) 2>&1)
rc=$?
o=$(sa_get "$NA" 10.77.1.2 0x100 oseq)
out2=$(nsx "$NA" "$CTL" set 10.77.1.2 0x100 oseq $((TOP32 - 2)) 2>&1)
rc2=$?
sleep 0.5
o2=$(sa_get "$NA" 10.77.1.2 0x100 oseq)
n=$(expires "$NA" 0x00000100 0)
say "wrap: oseq 2^32-1-5 with oseq-min 2^32-1-8: rc $rc${out:+ ($out)}, oseq $before -> $o; oseq 2^32-1-2 without oseq-min: rc $rc2${out2:+ ($out2)}, -> $o2; soft expires now $n"
[ "$rc" = 0 ] && [ "$o" = $((TOP32 - 8)) ] && [ "$rc2" = 0 ] && [ "$o2" = $((TOP32 - 2)) ] && [ "$n" = 1 ]
ktap_result $? "wrap: later writes are never clamped below their oseq-min (nor below oseq without one), no second soft expire" \
	"rc $rc/$rc2, oseq $before -> $o (want $((TOP32 - 8))) -> $o2 (want $((TOP32 - 2))), soft expires $n"

c0=$(stat "$NA" oseq_clamped)
out=$(nsx "$NA" "$CTL" set 10.77.2.2 0x200 oseq $((TOP32 - 10)) 2>&1)
rc=$?
sleep 0.5
o=$(sa_get "$NA" 10.77.2.2 0x200 oseq)
c1=$(stat "$NA" oseq_clamped)
n=$(expires "$NA" 0x00000200 0)
say "wrap: oseq-may-wrap SA: write 2^32-1-10: rc $rc, reads back $o, oseq_clamped ${c0:-?} -> ${c1:-?}, soft expires $n"
[ "$rc" = 0 ] && [ "$o" = $((TOP32 - 10)) ] && [ "$c1" = "$c0" ] && [ "$n" = 0 ]
ktap_result $? "wrap: an SA with oseq-may-wrap is not clamped and gets no soft expire" \
	"rc $rc, oseq $o (want $((TOP32 - 10))), oseq_clamped ${c0:-?} -> ${c1:-?}, $n soft expires"

# ESN: the sender at 0xfffffff0, the receiver at 0xffffffe0 (both high
# half 0), 64 packets carry both across 2^32: 0x1_00000030 on both.
esn_ok=1 why=''
nsx "$NA" "$CTL" set 10.77.3.2 0x300 oseq 0xfffffff0 >/dev/null || { esn_ok=0; why+="sender write failed; "; }
nsx "$NB" "$CTL" set 10.77.3.2 0x300 seq 0xffffffe0 >/dev/null || { esn_ok=0; why+="receiver write failed; "; }
xha_sa_load "$NB"
read -r _ _ _ pe0 <<<"$(xha_sa "$NB" 0x300)"
udp_send "$NA" 10.77.3.2 64
sleep 0.5
o=$(sa_get "$NA" 10.77.3.2 0x300 oseq) s=$(sa_get "$NB" 10.77.3.2 0x300 seq)
xha_sa_load "$NA" "$NB"
read -r io _ <<<"$(xha_sa "$NA" 0x300)"
read -r _ is d p <<<"$(xha_sa "$NB" 0x300)"
say "wrap: ESN across 2^32, 64 packets: module: sender oseq $(xha_fmt "${o:-0}"), receiver seq $(xha_fmt "${s:-0}"); ip xfrm: $(xha_fmt "${io:-0}") / $(xha_fmt "${is:-0}"), receiver accepted $((p - pe0)), dropped $d"
want=$((0x100000030))
if ! { [ "$o" = "$want" ] && [ "$s" = "$want" ] && [ "$io" = "$want" ] && [ "$is" = "$want" ] &&
	[ $((p - pe0)) = 64 ] && [ "$d" = 0 ]; }; then
	esn_ok=0 why+="after traffic: oseq $o seq $s (want $want), accepted $((p - pe0)) dropped $d; "
fi
nsx "$NA" "$CTL" set 10.77.3.2 0x300 oseq 0x100000100 >/dev/null || { esn_ok=0; why+="write 0x100000100 failed; "; }
nsx "$NB" "$CTL" set 10.77.3.2 0x300 seq 0x100000080 >/dev/null || { esn_ok=0; why+="write seq 0x100000080 failed; "; }
udp_send "$NA" 10.77.3.2 16
sleep 0.5
o=$(sa_get "$NA" 10.77.3.2 0x300 oseq) s=$(sa_get "$NB" 10.77.3.2 0x300 seq)
xha_sa_load "$NA" "$NB"
read -r io _ <<<"$(xha_sa "$NA" 0x300)"
read -r _ is d p <<<"$(xha_sa "$NB" 0x300)"
say "wrap: ESN, written oseq 0x1_00000100 / seq 0x1_00000080 and 16 more packets: sender $(xha_fmt "${o:-0}"), receiver $(xha_fmt "${s:-0}"), accepted $((p - pe0)) in all, dropped $d"
want=$((0x100000110))
if ! { [ "$o" = "$want" ] && [ "$s" = "$want" ] && [ "$io" = "$want" ] && [ "$is" = "$want" ] &&
	[ $((p - pe0)) = 80 ] && [ "$d" = 0 ]; }; then
	esn_ok=0 why+="after the write: oseq $o seq $s (want $want), accepted $((p - pe0)) dropped $d"
fi
[ "$esn_ok" = 1 ]
ktap_result $? "wrap: an ESN SA across 2^32 keeps its high half (exact 64-bit values through the module and ip xfrm, sender and receiver)" "$why"

# -------------------------------------------------------- 2. lifetimes

# soft_point NS EXPECT ALREADY: the packet (counted from the first one sent
# here) at which NS's SA sends its soft expire, tried at EXPECT, then at
# 101 - ALREADY (where an SA that had ALREADY packets would send it): send
# up to one packet before, check that nothing came, send one, check that it
# came. Prints that packet, "between N and M" or "none after N".
soft_point() {
	local ns=$1 sent=0 t
	for t in "$2" $((101 - $3)); do
		[ "$t" -gt "$sent" ] || continue
		udp_send "$ns" 10.78.0.2 $((t - 1 - sent))
		sleep 0.5
		if has_expire "$ns" 0x00000400; then
			echo "between $((sent + 1)) and $((t - 1))"
			return
		fi
		udp_send "$ns" 10.78.0.2 1
		sent=$t
		if xha_wait_until 1 has_expire "$ns" 0x00000400; then
			echo "$t"
			return
		fi
	done
	echo "none after $sent"
}

# The active node: 60 packets, its counters (as the agent relays them),
# then the rest until the soft expire.
udp_send "$NLA" 10.78.0.2 60
sleep 0.3
ab=$(sa_get "$NLA" 10.78.0.2 0x400 bytes) ap=$(sa_get "$NLA" 10.78.0.2 0x400 packets)
act=$(soft_point "$NLA" 41 60)
act_total=$act
[[ $act =~ ^[0-9]+$ ]] && act_total=$((60 + act))
say "lifetimes: active: counters after 60 packets: ${ap:-?} packets ${ab:-?} bytes; soft expire (limit packet-soft 100) at packet $act_total"
[ "$act_total" = 101 ] && [ "$ap" = 60 ]
ktap_result $? "lifetimes: on the active node the soft expire comes at packet 101 (control)" "at packet $act_total, packets after 60: ${ap:-?}"

out=$(nsx "$NLB" "$CTL" set 10.78.0.2 0x400 oseq $((60 + 64)) bytes "${ab:-0}" packets "${ap:-0}" 2>&1)
rc=$?
bb=$(sa_get "$NLB" 10.78.0.2 0x400 bytes) bp=$(sa_get "$NLB" 10.78.0.2 0x400 packets)
say "lifetimes: backup: write oseq 124 bytes ${ab:-?} packets ${ap:-?}: rc $rc${out:+ ($out)}; reads back ${bp:-?} packets ${bb:-?} bytes"
[ "$rc" = 0 ] && [ -n "$ap" ] && [ "$bp" = "$ap" ] && [ "$bb" = "$ab" ]
ktap_result $? "lifetimes: the backup takes the active's bytes and packets through SA_SET" "rc $rc${out:+: $out}, packets ${bp:-?} bytes ${bb:-?}"

bk=$(soft_point "$NLB" 41 "${bp:-0}")
bk_total=$bk
[[ $bk =~ ^[0-9]+$ ]] && bk_total=$((${bp:-0} + bk))
say "lifetimes: backup: soft expire at its packet $bk (counting the synced ${bp:-?}: packet $bk_total)"
[ "$bk" = 41 ] && [ "$bk_total" = "$act_total" ]
ktap_result $? "lifetimes: the backup's soft expire comes after 100 - 60 packets, at the active's count" \
	"backup: $bk of its own packets (want 41), active at $act_total"

# ---------------------------------------------------------- 3. memory

# gen_batch G OP: the ip -batch lines adding (add) or deleting (del)
# generation G's N_SAS SAs: dst 10.79.G.1, SPIs 0x10000 up. No traffic
# here, so cipher_null (half the cost of an AEAD under TCG), and one reqid
# per SA: SAs sharing (src, dst, reqid) share a hash chain that every add
# walks, which makes 10k adds quadratic.
gen_batch() {
	awk -v g="$1" -v op="$2" -v n="$N_SAS" 'BEGIN {
		for (i = 0; i < n; i++)
			if (op == "add")
				printf "xfrm state add src 10.79.255.1 dst 10.79.%d.1 proto esp spi 0x%x reqid %d mode tunnel enc cipher_null \"\" replay-window 32\n", g, 65536 + i, i + 1
			else
				printf "xfrm state delete src 10.79.255.1 dst 10.79.%d.1 proto esp spi 0x%x\n", g, 65536 + i
	}'
}
sa_count() { ip -n "$1" xfrm state count 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "count") print $(i + 1) }'; }

t0=$(ms)
mem_ok=1 why='' t_add=0 t_set=0 t_del=0
for ((g = 0; g <= REKEYS; g++)); do
	gen_batch "$g" add >"$XHA_TMP/add-$g"
	[ "$g" -gt 0 ] && gen_batch $((g - 1)) del >"$XHA_TMP/del-$g"
	ta=$(ms)
	ip -n "$NM" -batch "$XHA_TMP/add-$g" || { mem_ok=0; why+="adding generation $g failed; "; break; }
	tb=$(ms)
	out=$(nsx "$NM" "$CTL" setrange "10.79.$g.1" 0x10000 "$N_SAS" oseq $((1000 + g)) seq $((500 + g)) 2>&1) ||
		{ mem_ok=0; why+="writes of generation $g: $out; "; break; }
	tc=$(ms)
	if [ "$g" -gt 0 ]; then
		ip -n "$NM" -batch "$XHA_TMP/del-$g" || { mem_ok=0; why+="deleting generation $((g - 1)) failed; "; break; }
	fi
	td=$(ms)
	t_add=$((t_add + tb - ta)) t_set=$((t_set + tc - tb)) t_del=$((t_del + td - tc))
	rm -f "$XHA_TMP/add-$g" "$XHA_TMP/del-$g"
done
t1=$(ms)
live=$(sa_count "$NM")
say "memory: $((REKEYS + 1)) generations of $N_SAS SAs added, written and deleted in $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100))s (adds ${t_add} ms, writes ${t_set} ms, deletes ${t_del} ms): $live live SAs, $(stat "$NM" writes) writes"
[ "$mem_ok" = 1 ] && [ "$live" = "$N_SAS" ]
ktap_result $? "memory: $N_SAS SAs rekeyed $REKEYS times, every new SA written once, nobody listening" "$why live $live"

entries_none() { [ "$(stat "$NM" sas)" = 0 ]; }
xha_wait_until 5 entries_none
entries=$(stat "$NM" sas) eb=$(stat "$NM" entry_bytes) swept=$(stat "$NM" swept) scans=$(stat "$NM" scans)
live=$(sa_count "$NM")
say "memory: tracking entries ${entries:-?} for $live live SAs (swept ${swept:-?}, passes ${scans:-?}); entry_bytes ${eb:-?}: $((${entries:-0} * ${eb:-0} / 1024)) KiB tracked"
[ -n "$entries" ] && [ "$entries" = 0 ]
ktap_result $? "memory: no tracking entry for the $live live SAs after the rekeys, nobody listening" "${entries:-?} entries"
[ "${eb:-0}" -gt 0 ]
ktap_result $? "memory: the stats report the memory per tracked SA (entry_bytes ${eb:-?})" "entry_bytes ${eb:-missing}"
ip -n "$NM" xfrm state flush
ip netns del "$NM"

# ----------------------------------------------------------- 4. churn

GAP_MS=1000
out=$(nsx "$NC" "$CTL" config scan_interval_ms $GAP_MS 2>&1) || say "churn: config: $out"
gen_batch 0 add | sed 's/dst 10\.79\./dst 10.80./' >"$XHA_TMP/churn-0"
ip -n "$NC" -batch "$XHA_TMP/churn-0"
# Not through nsx: the pid of a backgrounded function is a subshell's.
ip netns exec "$NC" "$CTL" listen >"$XHA_TMP/listen" 2>&1 &
lpid=$!
BG+=("$lpid")
listening() { grep -q '^listening' "$XHA_TMP/listen"; }
churn_tracked() { [ "$(stat "$NC" sas)" = "$N_SAS" ]; }
xha_wait_until 10 listening && xha_wait_until 10 churn_tracked
ktap_result $? "churn: $N_SAS SAs tracked with a listener subscribed, scan interval ${GAP_MS} ms" \
	"listener: $(head -c 200 "$XHA_TMP/listen"), tracked $(stat "$NC" sas)"

# The burst: each rekey adds the new SA and deletes the old one.
awk -v n="$N_SAS" 'BEGIN {
	for (i = 0; i < n; i++) {
		printf "xfrm state add src 10.79.255.1 dst 10.80.1.1 proto esp spi 0x%x reqid %d mode tunnel enc cipher_null \"\" replay-window 32\n", 65536 + i, i + 1
		printf "xfrm state delete src 10.79.255.1 dst 10.80.0.1 proto esp spi 0x%x\n", 65536 + i
	}
}' >"$XHA_TMP/churn-1"
s0=$(stat "$NC" scans) ev0=$(stat "$NC" events)
t0=$(ms)
ip -n "$NC" -batch "$XHA_TMP/churn-1"
t1=$(ms)
s1=$(stat "$NC" scans) ev1=$(stat "$NC" events)
el=$((t1 - t0))
passes=$((${s1:-0} - ${s0:-0}))
bound=$((el / GAP_MS + 2))
say "churn: $N_SAS rekeys ($((${ev1:-0} - ${ev0:-0})) SA events) in $((el / 1000)).$((el % 1000 / 100))s: $passes complete passes (bound $((el / GAP_MS)) + 2 = $bound)"
[ -n "$s0" ] && [ "$passes" -le "$bound" ]
ktap_result $? "churn: a burst of $N_SAS rekeys costs at most elapsed/scan-interval + 2 passes" "$passes passes in ${el} ms, bound $bound"

churn_follows() { [ "$(stat "$NC" sas)" = "$(sa_count "$NC")" ]; }
xha_wait_until 5 churn_follows
tracked=$(stat "$NC" sas) live=$(sa_count "$NC")
kill -TERM "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
say "churn: after the burst $tracked tracked, $live live; listener: $(tr '\n' ' ' <"$XHA_TMP/listen")"
[ "$tracked" = "$live" ] && [ "$live" = "$N_SAS" ]
ktap_result $? "churn: the tracking entries follow the live SAs after the burst" "$tracked tracked, $live live"
ip -n "$NC" xfrm state flush

say "sa_state: $((SECONDS - T_START))s"
ktap_finish
