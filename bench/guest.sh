#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/guest.sh: the kernel-side figures of issue 8's table, inside the
# selftest VM (selftests/vm/guest.sh has loaded xfrm_ha.ko and runs this as
# a "test": bench/run.sh passes xha_tests=../bench/guest.sh,...). Prints
# raw measurements as "BENCH <kind> key=value ..." lines, commentary as
# "# ..."; bench/summarize.pl turns them into the tables of
# docs/benchmarks.md.
#
# It talks to the module only through its uapi: libxha (bench/xhabench),
# /proc/slabinfo, /proc/stat and the kworkers' CPU times; no kprobe, no
# symbol of the module, so that the module can be rewritten underneath.
#
# Parameters come from $REPO/build/$(uname -r)/bench/params (written by
# bench/run.sh on the host, read here over the read-only 9p share), because
# the kernel command line that selftests/vm/vm.sh builds has no slot for
# them. Defaults below.
#
# Topology: netns a (10.9.0.1) --veth-- netns b (10.9.0.2).
#  - Probe SA: transport-mode ESP a->b, SPI 0x1001 (and 0x1002 back),
#    rfc4106(gcm(aes)), replay-window 128 (a replay_esn bitmap).
#  - Throughput: TPUT_SAS tunnel-mode SA pairs a->b (SPI 0x20000+i, reqid
#    1000+i), one policy each: 10.100.0.1 (a's lo) -> 10.102.x.y (b's
#    local /16); udpspray sends round-robin over them, udpblast counts in b.
#  - Scale: N idle transport SAs in a (src 10.8.0.1, dst 10.100.0.0 + i,
#    SPI 0x100000 + i, reqid 100); "active" ones get a policy and traffic
#    (udpspray from 10.8.0.1, round-robin) that ends in a dummy device.
#
# Phases (PHASES): tput scale (scale runs the cpu/mem/fresh/bulkw steps at
# every SA count of SA_STEPS).

set -u
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
KVER=$(uname -r)
# BENCH_BIN: where udpblast and xhabench are (selftests/bench_smoke.sh
# may build them elsewhere); BENCH_PARAMS: the parameter file.
UDPBLAST=${BENCH_BIN:-$BENCH}/udpblast
XHAB=${BENCH_BIN:-$BENCH}/xhabench
SPRAY=$REPO/selftests/udpspray
T=/tmp/bench
mkdir -p "$T"

# ------------------------------------------------------------ parameters
PHASES="tput scale"	# which phases to run, in order
REPS=3			# rounds of the throughput variants
TPUT_SECS=3		# seconds of sending per throughput measurement
TPUT_SAS=1000		# SA pairs the throughput traffic is spread over
TPUT_PPS=1000000	# udpspray's target rate (as fast as it can)
TPUT_VARIANTS="base xha xha10 aev"
SA_STEPS="1000 10000 100000 1000000"	# cumulative idle SA counts in netns a
MAX_SA_SECS=600		# skip a step whose predicted creation time (guest s) exceeds this
CPU_WINDOW=3		# seconds per CPU window (x2 at >= 100k SAs)
ACTIVE_PCT=10		# share of the SAs that carry traffic in the "active" windows
ACTIVE_MAX=10000	# ... at most this many (a policy each; the rate limits anyway)
ACTIVE_PPS=20000	# the spray's target rate (it sends what the CPU allows)
CPU_STEPS="10000 100000 1000000"	# SA counts with CPU windows
FRESH_STEPS="1000 10000 100000"	# SA counts with freshness probes
FRESH_INTERVALS="100 10"	# scan-interval-ms values probed (100: the default)
FRESH_PPS=200		# the probe SA's steady rate
FRESH_SECS=3
FRESH_WARM_MS=1500	# steady traffic before the measurement (an idle SA may be looked at seldom)
FRESH_AE=1		# also the kernel's aevents at the first FRESH_STEPS count
BULKW_STEPS="10000 100000"	# SA counts with a bulk write of every SA
BENCH_PARAMS=${BENCH_PARAMS:-$REPO/build/$KVER/bench/params}
# shellcheck disable=SC1090
[ -f "$BENCH_PARAMS" ] && . "$BENCH_PARAMS"

say() { echo "# $*"; }
bench() { echo "BENCH $*"; }
die() { echo "# FATAL: $*"; exit 1; }
now() { date +%s.%N; }
elapsed_since() { echo "$(now) $1" | awk '{ printf "%.3f", $1 - $2 }'; }

if [ ! -x "$UDPBLAST" ] || [ ! -x "$XHAB" ] || [ ! -x "$SPRAY" ]; then
	die "bench/udpblast, bench/xhabench or selftests/udpspray missing: run make and make -C bench build"
fi

# ------------------------------------------------------------ background jobs
declare -A BG_PID=()
bg_start() {	# bg_start NAME NS CMD...: run CMD in netns NS, output to $T/NAME.out
	local name=$1 ns=$2
	shift 2
	rm -f "$T/$name.ready"
	ip netns exec "$ns" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	BG_PID[$name]=$!
}
bg_wait_ready() {	# bg_wait_ready NAME: wait for $T/NAME.ready (listeners)
	for _ in $(seq 100); do
		[ -f "$T/$1.ready" ] && return 0
		sleep 0.05
	done
	die "$1 did not become ready: $(cat "$T/$1.err")"
}
bg_stop() {	# bg_stop NAME: SIGTERM, wait, print its output
	local pid=${BG_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "BG_PID[$1]"
	cat "$T/$1.out"
}
kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -n1; }	# kv KEY < "a=1 b=2"

# ------------------------------------------------------------ system readings
# Busy jiffies (USER_HZ) of all CPUs: user nice system irq softirq steal.
cpu_busy() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
# Bytes of allocated objects per slab cache (active_objs * objsize), one
# "name bytes" a line: unlike SUnreclaim, not blurred by objects landing in
# slabs that already had free room.
slab_bytes() { awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo | sort; }
slab_total() { awk '{ s += $2 } END { printf "%d", s / 1024 }' "$1.slab"; }	# kB
# slab_cache_delta OLD NEW CACHE: bytes of CACHE's objects, NEW - OLD. The
# module's entries have a cache of their own (Debian kernels do not merge
# slab caches), so this figure is not blurred by other caches shrinking as
# processes exit, which can outweigh a few hundred entries in slab_total.
slab_cache_delta() {
	awk -v c="$3" -v old="$1.slab" '$1 == c { if (FILENAME == old) o = $2; else n = $2 }
		END { printf "%d", n - o }' "$1.slab" "$2.slab"
}
# No drop_caches: it would also drop the page cache of the binaries, which
# then come back over 9p, and I/O waits distort time under -icount.
# SUnreclaim (the figure used) holds no cache anyway.
mem_snapshot() {	# mem_snapshot FILE
	sleep 1
	{
		echo "SUnreclaim $(meminfo_kb SUnreclaim)"
		echo "Slab $(meminfo_kb Slab)"
		echo "MemFree $(meminfo_kb MemFree)"
		echo "Percpu $(meminfo_kb Percpu)"
		echo "VmallocUsed $(meminfo_kb VmallocUsed)"
	} >"$1"
	slab_bytes >"$1.slab"
}
mem_delta() {	# mem_delta OLD NEW KEY: NEW - OLD in kB (MemFree: OLD - NEW)
	local o n
	o=$(awk -v k="$3" '$1 == k { print $2 }' "$1")
	n=$(awk -v k="$3" '$1 == k { print $2 }' "$2")
	if [ "$3" = MemFree ]; then echo $((o - n)); else echo $((n - o)); fi
}
slab_delta_top() {	# slab_delta_top OLD NEW: total byte delta and the top caches
	join -a1 -a2 -e0 -o 0,1.2,2.2 "$1.slab" "$2.slab" |
		awk '{ d = $3 - $2; t += d; if (d > 4096 || d < -4096) print d, $1 }
		     END { print t, "TOTAL" }' | sort -rn | head -n 6 | tr '\n' ' '
}
# CPU time of the kworker threads (USER_HZ ticks, user + system): the
# module's passes run in a workqueue, whatever the design. A kworker that
# exits within a window takes its time with it (unbound pools do shrink),
# so /proc/stat's busy jiffies are taken as well.
kw_ticks() { cat /proc/[0-9]*/stat 2>/dev/null | awk '$2 ~ /^\(kworker/ { s += $14 + $15 } END { printf "%d", s }'; }
stat_kv() { ip netns exec "$1" "$XHAB" stats | kv "$2"; }

# ------------------------------------------------------------ topology
KEY_AB=0x0102030405060708090a0b0c0d0e0f1011121314
KEY_BA=0x1112131415161718191a1b1c1d1e1f2021222324
SPI_AB=0x1001
SPI_BA=0x1002

setup_topology() {
	local ns
	if ! ip netns add a || ! ip netns add b; then
		die "netns"
	fi
	ip link add va netns a type veth peer name vb netns b || die "veth"
	ip -n a addr add 10.9.0.1/24 dev va
	ip -n b addr add 10.9.0.2/24 dev vb
	for ns in a b; do
		ip -n $ns link set lo up
	done
	ip -n a link set va up
	ip -n b link set vb up
	for ns in a b; do
		ip -n $ns xfrm state add src 10.9.0.1 dst 10.9.0.2 proto esp spi $SPI_AB reqid 1 \
			mode transport replay-window 128 aead 'rfc4106(gcm(aes))' $KEY_AB 128 || die "SA"
		ip -n $ns xfrm state add src 10.9.0.2 dst 10.9.0.1 proto esp spi $SPI_BA reqid 2 \
			mode transport replay-window 128 aead 'rfc4106(gcm(aes))' $KEY_BA 128 || die "SA"
	done
	ip -n a xfrm policy add src 10.9.0.1/32 dst 10.9.0.2/32 dir out \
		tmpl src 10.9.0.1 dst 10.9.0.2 proto esp reqid 1 mode transport
	ip -n a xfrm policy add src 10.9.0.2/32 dst 10.9.0.1/32 dir in \
		tmpl src 10.9.0.2 dst 10.9.0.1 proto esp reqid 2 mode transport
	ip -n b xfrm policy add src 10.9.0.2/32 dst 10.9.0.1/32 dir out \
		tmpl src 10.9.0.2 dst 10.9.0.1 proto esp reqid 2 mode transport
	ip -n b xfrm policy add src 10.9.0.1/32 dst 10.9.0.2/32 dir in \
		tmpl src 10.9.0.1 dst 10.9.0.2 proto esp reqid 1 mode transport
	# The scale phase's traffic: from 10.8.0.1 into a dummy device.
	ip -n a link add dum0 type dummy && ip -n a link set dum0 up || die "dummy"
	ip -n a addr add 10.8.0.1/32 dev lo
	ip -n a route add 10.96.0.0/11 dev dum0
	# Resolve the neighbour before measuring.
	ip netns exec a ping -c1 -W2 10.9.0.2 >/dev/null || die "no ESP connectivity between a and b"
	say "topology: a 10.9.0.1 <-veth-> b 10.9.0.2, ESP transport rfc4106(gcm(aes)) replay-window 128"
}

# The throughput SAs: TPUT_SAS tunnel-mode pairs, inner 10.200.0.1 ->
# 10.202.0.0 + i (i = 1..TPUT_SAS), one policy per SA on both sides.
setup_tput_sas() {
	local ns t0
	t0=$(now)
	ip -n a addr add 10.200.0.1/32 dev lo
	ip -n a route add 10.202.0.0/16 via 10.9.0.2
	ip -n b route add local 10.202.0.0/16 dev lo
	ip -n b route add 10.200.0.1/32 via 10.9.0.1
	for ns in a b; do
		awk -v n="$TPUT_SAS" -v ns=$ns 'BEGIN {
			for (i = 1; i <= n; i++) {
				d = sprintf("10.202.%d.%d", int(i / 256), i % 256)
				printf "xfrm state add src 10.9.0.1 dst 10.9.0.2 proto esp spi 0x%x reqid %d mode tunnel replay-window 128 aead rfc4106(gcm(aes)) 0x%040x 128\n", 131072 + i, 1000 + i, i
				printf "xfrm policy add src 10.200.0.1/32 dst %s/32 dir %s tmpl src 10.9.0.1 dst 10.9.0.2 proto esp reqid %d mode tunnel\n", d, ns == "a" ? "out" : "in", 1000 + i
			}
		}' >"$T/tput-$ns.batch"
		ip -n $ns -batch "$T/tput-$ns.batch" || die "tput SAs in $ns"
	done
	say "throughput: $TPUT_SAS tunnel-mode SA pairs a->b installed in $(elapsed_since "$t0") s"
}

# ------------------------------------------------------------ listeners
DEF_IV=''	# the module's default scan-interval-ms (read by facts())
xha_on() {	# xha_on NS [INTERVAL]: sync-packets 2, the interval (else the module's default), a listener that arms NS
	ip netns exec "$1" "$XHAB" config -p 2 -i "${2:-$DEF_IV}" || die "config in $1"
	bg_start "hal_$1" "$1" "$XHAB" ha-listen -r "$T/hal_$1.ready"
	bg_wait_ready "hal_$1"
}
xha_off() {	# xha_off NS: stop the listener, print its counts
	bg_stop "hal_$1"
}
# wait_tracked N SECS: until the module tracks at least N SAs in netns a
# (the first passes, or the reconcile walk, after the namespace was armed).
wait_tracked() {
	local deadline=$((SECONDS + $2))
	while [ "$(stat_kv a sas)" -lt "$1" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.5
	done
}

# ------------------------------------------------------------ (a) throughput
variant_on() {
	local ns
	case $1 in
	base) ;;
	xha | xha10)
		for ns in a b; do
			xha_on $ns "$([ "$1" = xha10 ] && echo 10 || echo 100)"
		done
		# The first pass after a listener appears publishes what is due;
		# let it happen outside the measurement.
		ip netns exec a "$XHAB" wait-scans 1 -t 20000 >/dev/null ||
			die "xha: netns a was not scanned after its listener armed it (a listener joined the seqnum group and made a config set)"
		;;
	aev)
		for ns in a b; do
			bg_start "ael_$ns" $ns "$XHAB" ae-listen -r "$T/ael_$ns.ready"
		done
		bg_wait_ready ael_a
		bg_wait_ready ael_b
		;;
	esac
}

variant_off() {	# prints extra key=value pairs
	local out_a out_b
	case $1 in
	xha | xha10)
		out_a=$(xha_off a)
		out_b=$(xha_off b)
		echo "records_a=$(kv records <<<"$out_a") records_b=$(kv records <<<"$out_b")" \
		     "msgs=$(($(kv msgs <<<"$out_a") + $(kv msgs <<<"$out_b")))" \
		     "enobufs=$(($(kv enobufs <<<"$out_a") + $(kv enobufs <<<"$out_b")))"
		;;
	aev)
		out_a=$(bg_stop ael_a)
		out_b=$(bg_stop ael_b)
		echo "newae_a=$(kv newae <<<"$out_a") newae_b=$(kv newae <<<"$out_b")" \
		     "msgs=$(($(kv msgs <<<"$out_a") + $(kv msgs <<<"$out_b")))" \
		     "bytes=$(($(kv bytes <<<"$out_a") + $(kv bytes <<<"$out_b")))" \
		     "enobufs=$(($(kv enobufs <<<"$out_a") + $(kv enobufs <<<"$out_b")))"
		;;
	esac
}

tput_run() {
	local v=$1 rep=$2 rx tx extra
	variant_on "$v"
	bg_start rx b "$UDPBLAST" recv 5001 -t $((TPUT_SECS + 30)) -i 700
	sleep 0.3
	tx=$(ip netns exec a "$SPRAY" -b 10.200.0.1 -d 10.202.0.0 -n "$TPUT_SAS" -r "$TPUT_PPS" \
		-t "$TPUT_SECS" -p 5001 | sed -n 's/^udpspray final //p')
	wait "${BG_PID[rx]}"
	unset "BG_PID[rx]"
	rx=$(cat "$T/rx.out")
	extra=$(variant_off "$v")
	bench tput "sas=$TPUT_SAS variant=$v rep=$rep" \
		"rx_pps=$(kv pps <<<"$rx") received=$(kv received <<<"$rx") rx_secs=$(kv secs <<<"$rx")" \
		"tx=$(kv tx <<<"$tx") tx_errors=$(kv err <<<"$tx") tx_pps=$(($(kv tx <<<"$tx") / TPUT_SECS)) $extra"
	# A variant that syncs but published nothing measured nothing.
	case $v in
	xha*)
		[ "$(kv records_a <<<"$extra")" -gt 0 ] && [ "$(kv records_b <<<"$extra")" -gt 0 ] ||
			die "tput $v: the listeners got no record ($extra) while $TPUT_SAS SAs carried traffic: the module did not scan or publish; the figure would be meaningless"
		# Every SA moved by far more than sync-packets: fewer than two
		# records per SA means publishing stalled (flagged, not fatal).
		[ "$(kv records_a <<<"$extra")" -ge $((2 * TPUT_SAS)) ] ||
			say "WARNING: tput $v round $rep: only $(kv records_a <<<"$extra") records in a for $TPUT_SAS SAs that all carried traffic: publishing stalled, this round's ratio measures a module that stopped syncing"
		;;
	aev)
		[ "$(kv newae_a <<<"$extra")" -gt 0 ] || die "tput aev: no XFRM_MSG_NEWAE received ($extra)"
		;;
	esac
}

phase_tput() {
	local rep v
	setup_tput_sas
	say "throughput: variants $TPUT_VARIANTS, $REPS rounds, ${TPUT_SECS}s each, spread over $TPUT_SAS SAs"
	for rep in $(seq "$REPS"); do
		for v in $TPUT_VARIANTS; do
			tput_run "$v" "$rep"
		done
	done
}

# ------------------------------------------------------------ scale steps
SA_TOTAL=0
ACT_POL=0	# SAs 0 .. ACT_POL-1 have an outbound policy
# add_sas N: N more idle SAs in netns a, 100k per ip -batch (the batch file
# lives in the guest's memory), timed.
add_sas() {
	local n=$1 left=$1 chunk t0
	t0=$(now)
	while [ "$left" -gt 0 ]; do
		chunk=$((left > 100000 ? 100000 : left))
		awk -v from="$SA_TOTAL" -v n="$chunk" 'BEGIN {
			for (i = from; i < from + n; i++)
				printf "xfrm state add src 10.8.0.1 dst 10.%d.%d.%d proto esp spi 0x%x reqid 100 mode transport replay-window 128 aead rfc4106(gcm(aes)) 0x%040x 128\n", 100 + int(i / 65536), int(i / 256) % 256, i % 256, 1048576 + i, i + 1
		}' >"$T/sas.batch"
		ip -n a -batch "$T/sas.batch" || die "ip -batch failed at $SA_TOTAL SAs"
		rm -f "$T/sas.batch"
		SA_TOTAL=$((SA_TOTAL + chunk))
		left=$((left - chunk))
	done
	bench create "sas=$SA_TOTAL added=$n secs=$(elapsed_since "$t0")"
}
# act_policies K: outbound policies for idle SAs 0 .. K-1.
act_policies() {
	[ "$1" -gt "$ACT_POL" ] || return 0
	awk -v from="$ACT_POL" -v to="$1" 'BEGIN {
		for (i = from; i < to; i++) {
			d = sprintf("10.%d.%d.%d", 100 + int(i / 65536), int(i / 256) % 256, i % 256)
			printf "xfrm policy add src 10.8.0.1/32 dst %s/32 dir out tmpl src 10.8.0.1 dst %s proto esp reqid 100 mode transport\n", d, d
		}
	}' >"$T/pol.batch"
	ip -n a -batch "$T/pol.batch" || die "policies"
	ACT_POL=$1
}
spray_on() {	# spray_on K: traffic round-robin over idle SAs 0 .. K-1
	act_policies "$1"
	bg_start spray a "$SPRAY" -b 10.8.0.1 -d 10.100.0.0 -f 0 -n "$1" -r "$ACTIVE_PPS"
	sleep 0.3
}
spray_off() { bg_stop spray | sed -n 's/^udpspray final //p'; }

in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# cpu_window WHAT: one window of CPU_WINDOW s (x2 from 100k SAs) in the
# current state; a BENCH cpu line.
cpu_window() {
	local what=$1 w=$CPU_WINDOW b0 b1 k0 k1 s0 s1 r0 r1 t0 t1
	[ "$SA_TOTAL" -ge 100000 ] && w=$((CPU_WINDOW * 2))
	s0=$(stat_kv a scans); r0=$(stat_kv a records)
	b0=$(cpu_busy); k0=$(kw_ticks); t0=$(now)
	sleep "$w"
	b1=$(cpu_busy); k1=$(kw_ticks); t1=$(now)
	s1=$(stat_kv a scans); r1=$(stat_kv a records)
	bench cpu "sas=$SA_TOTAL what=$what secs=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')" \
		"busy_jiffies=$((b1 - b0)) kworker_ticks=$((k1 - k0)) scans=$((s1 - s0)) records=$((r1 - r0))"
	LAST_RECORDS=$((r1 - r0))
}

scale_step() {
	local n=$SA_TOTAL act out st iv tracked0
	act=$((n * ACTIVE_PCT / 100))
	[ "$act" -gt "$ACTIVE_MAX" ] && act=$ACTIVE_MAX
	[ "$act" -lt 1 ] && act=1

	# (d) memory: the kernel's SAs (m0 before add_sas, m1 now).
	mem_snapshot "$T/m1"
	bench mem "sas=$n what=kernel added=$ADDED" \
		"sunreclaim_kb=$(mem_delta "$T/m0" "$T/m1" SUnreclaim)" \
		"slab_objs_kb=$(($(slab_total "$T/m1") - $(slab_total "$T/m0")))" \
		"vmalloc_kb=$(mem_delta "$T/m0" "$T/m1" VmallocUsed) percpu_kb=$(mem_delta "$T/m0" "$T/m1" Percpu)"

	in_list "$n" "$CPU_STEPS" && cpu_window idle-nolistener

	# A listener arms netns a (the module's default intervals); the first
	# passes track the new SAs. Entries that already exist (a module that
	# keeps them while nobody listens) are not counted twice.
	tracked0=$(stat_kv a sas)
	xha_on a
	ip netns exec a "$XHAB" wait-scans 2 -t 1200000 >/dev/null ||
		die "xha: no pass over $n SAs within 1200 s of a listener arming netns a"
	wait_tracked "$n" 1200 || die "xha: $(stat_kv a sas) of $n SAs tracked 1200 s after a listener armed netns a"
	sleep 1
	mem_snapshot "$T/m2"
	st=$(ip netns exec a "$XHAB" stats)
	bench mem "sas=$n what=module added=$ADDED tracked0=$tracked0 tracked=$(kv sas <<<"$st") entry_bytes=$(kv entry_bytes <<<"$st")" \
		"scan_interval_ms=$(kv scan_interval_ms <<<"$st") idle_interval_ms=$(kv idle_interval_ms <<<"$st")" \
		"sunreclaim_kb=$(mem_delta "$T/m1" "$T/m2" SUnreclaim)" \
		"slab_objs_kb=$(($(slab_total "$T/m2") - $(slab_total "$T/m1")))" \
		"entry_cache_bytes=$(slab_cache_delta "$T/m1" "$T/m2" xha_entry)" \
		"vmalloc_kb=$(mem_delta "$T/m1" "$T/m2" VmallocUsed) percpu_kb=$(mem_delta "$T/m1" "$T/m2" Percpu)"
	say "slab caches that grew with the module's first pass (bytes): $(slab_delta_top "$T/m1" "$T/m2")"

	if in_list "$n" "$CPU_STEPS"; then
		cpu_window idle-listener
		spray_on "$act"
		cpu_window "active-listener active=$act"
		[ "$LAST_RECORDS" -gt 0 ] ||
			die "xha: no record published while $act of $n SAs carried traffic with a listener in netns a"
		out=$(xha_off a)
		sleep 0.5
		cpu_window "active-nolistener active=$act"
		bench spray "sas=$n active=$act $(spray_off)"
	else
		xha_off a >/dev/null
	fi

	# (b) freshness of the probe SA under steady traffic on the others.
	if in_list "$n" "$FRESH_STEPS"; then
		spray_on "$act"
		bg_start sink b "$UDPBLAST" recv 5002 -t 100000 -i 100000000
		# A listener stays for the whole probe (steady state: the
		# namespace watched, its SAs tracked, the others' records
		# flowing); the probe listens beside it.
		xha_on a
		wait_tracked "$n" 1200 || die "xha: $(stat_kv a sas) of $n SAs tracked before the freshness probe"
		sleep 0.2
		for iv in $FRESH_INTERVALS; do
			ip netns exec a "$XHAB" config -p 2 -i "$iv" || die "config"
			out=$(ip netns exec a "$XHAB" fresh ha 10.9.0.2 5002 $SPI_AB -r "$FRESH_PPS" -d "$FRESH_SECS" -W "$FRESH_WARM_MS" 2>&1) ||
				die "fresh ha at $n SAs, interval $iv: $out"
			bench fresh "sas=$n interval=$iv active=$act $(tail -n1 <<<"$out" | cut -d' ' -f2-)"
		done
		if [ "$FRESH_AE" = 1 ]; then
			FRESH_AE=0
			out=$(ip netns exec a "$XHAB" fresh ae 10.9.0.2 5002 $SPI_AB -r "$FRESH_PPS" -d "$FRESH_SECS" -W "$FRESH_WARM_MS" 2>&1) ||
				die "fresh ae at $n SAs: $out"
			bench fresh "sas=$n interval=0 active=$act $(tail -n1 <<<"$out" | cut -d' ' -f2-)"
		fi
		out=$(xha_off a)
		bg_stop sink >/dev/null
		bench spray "sas=$n active=$act what=fresh $(spray_off) listener_records=$(kv records <<<"$out")"
	fi

	# (e) a bulk write of every SA's counters into the kernel.
	if in_list "$n" "$BULKW_STEPS"; then
		out=$(ip netns exec a "$XHAB" bulk-write -a 1000 2>&1) || die "bulk write at $n SAs: $out"
		bench bulkw "step=$n $(tail -n1 <<<"$out" | cut -d' ' -f2-)"
	fi
}

phase_scale() {
	local target add rate predicted per_sa_kb=3 t0
	for target in $SA_STEPS; do
		add=$((target - SA_TOTAL))
		[ "$add" -gt 0 ] || continue
		if [ -n "${rate:-}" ]; then
			predicted=$(awk -v a="$add" -v r="$rate" 'BEGIN { printf "%d", a / r }')
			if [ "$predicted" -gt "$MAX_SA_SECS" ]; then
				say "skipping $target SAs: creating $add more would take ~${predicted}s (> MAX_SA_SECS=$MAX_SA_SECS)"
				bench skip "sas=$target why=time predicted_secs=$predicted"
				continue
			fi
		fi
		if [ "$(meminfo_kb MemAvailable)" -lt $((add * per_sa_kb * 5 / 4 + 262144)) ]; then
			say "skipping $target SAs: $(meminfo_kb MemAvailable) kB available, ~$((add * per_sa_kb)) kB needed (XHA_VM_MEM)"
			bench skip "sas=$target why=memory avail_kb=$(meminfo_kb MemAvailable) need_kb=$((add * per_sa_kb * 5 / 4 + 262144))"
			continue
		fi
		mem_snapshot "$T/m0"
		t0=$(now)
		add_sas "$add"
		ADDED=$add
		rate=$(echo "$t0 $(now) $add" | awk '{ printf "%.3f", $3 / ($2 - $1) }')
		scale_step
		# Unreclaimable kernel memory per SA (MemFree also moves with
		# the page cache and the batch files).
		per_sa_kb=$(( ($(mem_delta "$T/m0" "$T/m1" SUnreclaim) + add - 1) / add + 1 ))
	done
}

# ------------------------------------------------------------ misc facts
facts() {
	bench env "kernel=$KVER cpus=$(nproc) mem_kb=$(meminfo_kb MemTotal)" \
		"rseqth=$(sysctl -n net.core.xfrm_aevent_rseqth) etime=$(sysctl -n net.core.xfrm_aevent_etime)" \
		"user_hz=$(getconf CLK_TCK)"
	say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	say "module stats in a: $(ip netns exec a "$XHAB" stats)"
	DEF_IV=$(stat_kv a scan_interval_ms)
}

# ------------------------------------------------------------ main
main() {
	local p t0
	t0=$(now)
	say "xfrm-ha bench on $KVER, phases: $PHASES"
	# AES-NI and PCLMUL as on real hardware (TCG emulates them with -cpu max).
	modprobe -qa dummy aesni_intel ghash_clmulni_intel 2>/dev/null
	setup_topology
	facts
	for p in $PHASES; do
		say "---- phase $p (at $(elapsed_since "$t0")s)"
		case $p in
		tput) phase_tput ;;
		scale) phase_scale ;;
		*) say "unknown phase $p" ;;
		esac
	done
	# Free the guest's memory for what runs next in this VM.
	ip netns del a
	ip netns del b
	bench 'done' "secs=$(elapsed_since "$t0")"
}

main
exit 0
