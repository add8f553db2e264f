#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/guest.sh: the guest side of the xfrm-ha benchmarks. Runs inside the
# selftest VM (selftests/vm/guest.sh has loaded xfrm_ha.ko and runs this as
# a "test": bench/run.sh passes xha_tests=../bench/guest.sh). Prints raw
# measurements as "BENCH <kind> key=value ..." lines, commentary as "# ...";
# bench/summarize.pl turns them into the tables of docs/benchmarks.md.
#
# Parameters come from $REPO/build/$(uname -r)/bench/params (written by
# bench/run.sh on the host, read here over the read-only 9p share), because
# the kernel command line that selftests/vm/vm.sh builds has no slot for
# them. Defaults below.
#
# Topology: netns a (10.9.0.1) --veth-- netns b (10.9.0.2), transport-mode
# ESP both ways, aead rfc4106(gcm(aes)) 128-bit key, replay-window 128
# (which iproute2 installs as a replay_esn bitmap: XFRM_HA_REPLAY_BMP).
# SA a->b has SPI 0x1001, b->a 0x1002. The idle SAs of the scan and memory
# phases are added to netns a.

set -u
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH/.." && pwd)
KVER=$(uname -r)
UDPBLAST=$BENCH/udpblast
XHAB=$BENCH/xhabench
T=/tmp/bench
mkdir -p "$T"

# ------------------------------------------------------------ parameters
PHASES="tput lat scan tput10k lat10k"	# which phases to run, in order
REPS=5			# repetitions of each throughput measurement
REPS10K=3		# ... with 10k idle SAs in netns a
TPUT_SECS=2		# seconds of blasting per throughput measurement
PKT_SIZE=64		# UDP payload bytes
SA_STEPS="1000 10000 100000"	# cumulative SA counts for scan/memory
MAX_SA_SECS=240		# skip a step whose predicted creation time (guest s) exceeds this
SCAN_REPS=3		# measurement windows per SA count
SCAN_WINDOW=3		# seconds per window (longer for large counts)
IPLIST_REPS=5		# ip xfrm state list repetitions
LAT_INTERVALS="10 100 1000"
LAT_SAMPLES=15
# shellcheck disable=SC1090
[ -f "$REPO/build/$KVER/bench/params" ] && . "$REPO/build/$KVER/bench/params"

say() { echo "# $*"; }
bench() { echo "BENCH $*"; }
die() { echo "# FATAL: $*"; exit 1; }
now() { date +%s.%N; }
elapsed_since() { echo "$(now) $1" | awk '{ printf "%.3f", $1 - $2 }'; }

if [ ! -x "$UDPBLAST" ] || [ ! -x "$XHAB" ]; then
	die "bench/udpblast or bench/xhabench missing: run make -C bench build"
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
	# Resolve the neighbour before measuring.
	ip netns exec a ping -c1 -W2 10.9.0.2 >/dev/null || die "no ESP connectivity between a and b"
	say "topology: a 10.9.0.1 <-veth-> b 10.9.0.2, ESP transport rfc4106(gcm(aes)) replay-window 128"
	ip -n a -s xfrm state list spi $SPI_AB | sed 's/^/#   /' | head -n 12
}

# ------------------------------------------------------------ one throughput run
# tput_run SET VARIANT REP: blast a->b for TPUT_SECS under VARIANT.
# The two hook points a netfilter design would use: POST_ROUTING of the
# inner packet (skb_dst()->xfrm set) on the sender, PRE_ROUTING of the
# decapsulated packet (secpath set) on the receiver.
NFT_RULES_A=$'table inet xhab {\n chain post {\n  type filter hook postrouting priority 0; policy accept;\n  rt ipsec exists counter\n }\n}'
NFT_RULES_B=$'table inet xhab {\n chain pre {\n  type filter hook prerouting priority 0; policy accept;\n  meta secpath exists counter\n }\n}'

variant_on() {
	local ns
	case $1 in
	base) ;;
	xha100 | xha10)
		for ns in a b; do
			ip netns exec $ns "$XHAB" set-interval "${1#xha}" || die "set-interval"
			bg_start "hal_$ns" $ns "$XHAB" ha-listen -r "$T/hal_$ns.ready"
		done
		bg_wait_ready hal_a
		bg_wait_ready hal_b
		# The first pass after a listener appears publishes nothing new;
		# let it happen outside the measurement.
		ip netns exec a "$XHAB" wait-scans 1 -t 10000 >/dev/null
		;;
	aev)
		for ns in a b; do
			bg_start "ael_$ns" $ns "$XHAB" ae-listen -r "$T/ael_$ns.ready"
		done
		bg_wait_ready ael_a
		bg_wait_ready ael_b
		;;
	nft)
		echo "$NFT_RULES_A" | ip netns exec a nft -f - || die "nft a"
		echo "$NFT_RULES_B" | ip netns exec b nft -f - || die "nft b"
		;;
	esac
}

nft_packets() {	# nft_packets NS: sum of the counters of table inet xhab
	ip netns exec "$1" nft list table inet xhab 2>/dev/null |
		awk '/counter packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

variant_off() {	# prints extra key=value pairs
	local out_a out_b
	case $1 in
	xha100 | xha10)
		out_a=$(bg_stop hal_a)
		out_b=$(bg_stop hal_b)
		ip netns exec a "$XHAB" set-interval 100
		ip netns exec b "$XHAB" set-interval 100
		echo "records=$(($(kv records <<<"$out_a") + $(kv records <<<"$out_b")))" \
		     "msgs=$(($(kv msgs <<<"$out_a") + $(kv msgs <<<"$out_b")))" \
		     "enobufs=$(($(kv enobufs <<<"$out_a") + $(kv enobufs <<<"$out_b")))"
		;;
	aev)
		out_a=$(bg_stop ael_a)
		out_b=$(bg_stop ael_b)
		echo "newae_a=$(kv newae <<<"$out_a") newae_b=$(kv newae <<<"$out_b")" \
		     "msgs=$(($(kv msgs <<<"$out_a") + $(kv msgs <<<"$out_b")))" \
		     "enobufs=$(($(kv enobufs <<<"$out_a") + $(kv enobufs <<<"$out_b")))"
		;;
	nft)
		echo "nft_a=$(nft_packets a) nft_b=$(nft_packets b)"
		ip netns exec a nft delete table inet xhab
		ip netns exec b nft delete table inet xhab
		;;
	esac
}

tput_run() {
	local set=$1 v=$2 rep=$3 rx tx extra s0 s1 t0
	variant_on "$v"
	bg_start rx b "$UDPBLAST" recv 5001 -t $((TPUT_SECS + 30)) -i 700
	sleep 0.3
	# Scans of netns a from just before to just after the blast (the
	# window includes starting udpblast: more than tx_secs).
	s0=$(ip netns exec a "$XHAB" stats | kv scans)
	t0=$(now)
	tx=$(ip netns exec a "$UDPBLAST" send 10.9.0.2 5001 -t "$TPUT_SECS" -s "$PKT_SIZE" 2>/dev/null)
	s1=$(ip netns exec a "$XHAB" stats | kv scans)
	t0=$(elapsed_since "$t0")
	wait "${BG_PID[rx]}"
	unset "BG_PID[rx]"
	rx=$(cat "$T/rx.out")
	extra=$(variant_off "$v")
	bench tput "set=$set variant=$v rep=$rep" \
		"rx_pps=$(kv pps <<<"$rx") received=$(kv received <<<"$rx")" \
		"tx_pps=$(kv pps <<<"$tx") sent=$(kv sent <<<"$tx") tx_errors=$(kv errors <<<"$tx")" \
		"tx_secs=$(kv secs <<<"$tx") scans_a=$((s1 - s0)) scans_window_secs=$t0 $extra"
}

phase_tput() {	# phase_tput SET REPS VARIANTS...
	local set=$1 reps=$2 rep v
	shift 2
	say "throughput ($set): variants $*, $reps rounds, ${TPUT_SECS}s each, ${PKT_SIZE}-byte UDP payload"
	for rep in $(seq "$reps"); do
		for v in "$@"; do
			tput_run "$set" "$v" "$rep"
		done
	done
}

# ------------------------------------------------------------ latency
phase_lat() {	# phase_lat SET
	local set=$1 iv out s0 t0 period
	bg_start sink b "$UDPBLAST" recv 5002 -t 100000 -i 100000000
	sleep 0.2
	out=$(ip netns exec a "$XHAB" latency ae 10.9.0.2 5002 $SPI_AB -n "$LAT_SAMPLES" -g 20)
	bench lat "set=$set mode=ae interval=0 $(tail -n1 <<<"$out" | cut -d' ' -f2-)"
	for iv in $LAT_INTERVALS; do
		ip netns exec a "$XHAB" set-interval "$iv" || die "set-interval"
		s0=$(ip netns exec a "$XHAB" stats | kv scans)
		t0=$(now)
		out=$(ip netns exec a "$XHAB" latency ha 10.9.0.2 5002 $SPI_AB -n "$LAT_SAMPLES" -g "$iv")
		# Effective period of the scans while the listener was there.
		period=$(echo "$t0 $(now) $s0 $(ip netns exec a "$XHAB" stats | kv scans)" |
			awk '{ printf "%.1f", ($2 - $1) * 1000 / ($4 - $3 > 0 ? $4 - $3 : 1) }')
		bench lat "set=$set mode=ha interval=$iv $(tail -n1 <<<"$out" | cut -d' ' -f2-) scan_period_ms=$period"
		say "samples (ms): $(grep '^sample=' <<<"$out" | cut -d= -f2 | tr '\n' ' ')"
	done
	ip netns exec a "$XHAB" set-interval 100
	bg_stop sink >/dev/null
}

# ------------------------------------------------------------ SAs, memory, scan
SA_TOTAL=0
# gen_sas N: write the ip -batch file that adds N more idle SAs to netns a.
gen_sas() {
	perl -e '
		my ($from, $n) = @ARGV;
		for my $i ($from .. $from + $n - 1) {
			printf "xfrm state add src 10.8.0.1 dst 10.%d.%d.%d proto esp spi 0x%x reqid 100 " .
			       "mode transport replay-window 128 aead rfc4106(gcm(aes)) 0x%040x 128\n",
			       100 + ($i >> 16), ($i >> 8) & 255, $i & 255, 0x100000 + $i, $i + 1;
		}' "$SA_TOTAL" "$1" >"$T/sas.batch"
}
# add_sas N: apply it, timed.
add_sas() {
	local n=$1 f=$T/sas.batch t0 secs
	t0=$(now)
	ip -n a -batch "$f" || die "ip -batch failed after $(ip -n a xfrm state count 2>/dev/null)"
	secs=$(elapsed_since "$t0")
	SA_TOTAL=$((SA_TOTAL + n))
	bench create "sas=$SA_TOTAL added=$n secs=$secs"
}

# Time spent in xha_track_scan(), from a kprobe/kretprobe pair.
TRACING=/sys/kernel/tracing
probe_setup() {
	[ -w $TRACING/kprobe_events ] || { say "no tracefs: kprobe figures skipped"; return 1; }
	echo 'p:xhab/scan_in xfrm_ha:xha_track_scan xn=%di:x64' >>$TRACING/kprobe_events &&
		echo 'r:xhab/scan_out xfrm_ha:xha_track_scan ret=$retval:u8' >>$TRACING/kprobe_events ||
		{ say "kprobes on xfrm_ha:xha_track_scan failed"; return 1; }
	echo 'p:xhab/work xfrm_ha:xha_scan_work' >>$TRACING/kprobe_events
	echo 4096 >$TRACING/buffer_size_kb
	echo 1 >$TRACING/events/xhab/enable
	echo 0 >$TRACING/tracing_on
	return 0
}
# probe_window SECS: trace for SECS. Prints, for the namespace whose scans
# took the most time (netns a: it holds the SAs), "calls= total_ms= passes="
# (time inside xha_track_scan(), passes = calls that finished a pass), then
# "other_ns= other_passes= other_ms=" for every other namespace that
# scanned and "work=" (xha_scan_work() runs, all namespaces).
probe_window() {
	echo >$TRACING/trace
	echo 1 >$TRACING/tracing_on
	sleep "$1"
	echo 0 >$TRACING/tracing_on
	perl -ne '
		if (/-(\d+)\s+\[\d+\].*?\s([\d.]+):\s+(scan_in|scan_out|work):(.*)/) {
			my ($pid, $ts, $ev, $rest) = ($1, $2, $3, $4);
			if ($ev eq "work") { $work++; next }
			if ($ev eq "scan_in") {
				my ($xn) = $rest =~ /xn=(\S+)/;
				$in{$pid} = [$ts, $xn]; next;
			}
			next unless defined $in{$pid};
			my ($t0, $xn) = @{$in{$pid}};
			delete $in{$pid};
			$total{$xn} += $ts - $t0; $calls{$xn}++;
			$passes{$xn}++ if $rest =~ /ret=0\b/;
		}
		END {
			my @ns = sort { $total{$b} <=> $total{$a} } keys %total;
			my $m = shift @ns;
			printf "calls=%d total_ms=%.3f passes=%d", $calls{$m} // 0, ($total{$m} // 0) * 1000, $passes{$m} // 0;
			my ($op, $om) = (0, 0);
			for (@ns) { $op += $passes{$_} // 0; $om += $total{$_} * 1000 }
			printf " other_ns=%d other_passes=%d other_ms=%.3f work=%d\n", scalar @ns, $op, $om, $work // 0;
		}
	' $TRACING/trace
}

scan_step() {	# scan_step N: measurements at SA_TOTAL = N
	local n=$SA_TOTAL window=$SCAN_WINDOW m0=$T/mem0 m1=$T/mem1 m2=$T/mem2 m3=$T/mem3
	local rep s0 s1 b0 b1 t0 t1 p idle_rate st out
	[ "$n" -ge 50000 ] && window=$((SCAN_WINDOW * 3))

	# Kernel memory of the SAs just added: m0 was taken before add_sas.
	mem_snapshot "$m1"
	bench mem "sas=$n what=kernel added=$ADDED" \
		"sunreclaim_kb=$(mem_delta "$m0" "$m1" SUnreclaim) slab_kb=$(mem_delta "$m0" "$m1" Slab)" \
		"slab_objs_kb=$(($(slab_total "$m1") - $(slab_total "$m0")))" \
		"memfree_kb=$(mem_delta "$m0" "$m1" MemFree) percpu_kb=$(mem_delta "$m0" "$m1" Percpu)" \
		"vmalloc_kb=$(mem_delta "$m0" "$m1" VmallocUsed)"
	say "slab caches that grew (bytes): $(slab_delta_top "$m0" "$m1")"

	# ip xfrm state list, the yardstick; "ip xfrm state count" (no walk)
	# gives the cost of starting ip itself. One warm-up run first.
	[ "$n" -le 1000 ] && ip -n a xfrm state list >/dev/null
	local reps=$IPLIST_REPS
	[ "$n" -ge 50000 ] && [ "$reps" -gt 3 ] && reps=3
	for rep in $(seq "$reps"); do
		out=$({ TIMEFORMAT='%3R %3U %3S'; time ip -n a xfrm state count >/dev/null; } 2>&1)
		bench ipcount "sas=$n rep=$rep wall_ms=$(awk '{ print $1 * 1000 }' <<<"$out")" \
			"user_ms=$(awk '{ print $2 * 1000 }' <<<"$out") sys_ms=$(awk '{ print $3 * 1000 }' <<<"$out")"
		out=$({ TIMEFORMAT='%3R %3U %3S'; time ip -n a xfrm state list >/dev/null; } 2>&1)
		bench iplist "sas=$n rep=$rep wall_ms=$(awk '{ print $1 * 1000 }' <<<"$out")" \
			"user_ms=$(awk '{ print $2 * 1000 }' <<<"$out") sys_ms=$(awk '{ print $3 * 1000 }' <<<"$out")"
	done

	# Idle CPU with no listener (the module scans nothing).
	b0=$(cpu_busy); t0=$(now)
	[ "$PROBES" = 1 ] && p=$(probe_window "$window") || sleep "$window"
	b1=$(cpu_busy); t1=$(now)
	idle_rate=$(echo "$b0 $b1 $t0 $t1" | awk '{ printf "%.3f", ($2 - $1) / ($4 - $3) }')
	bench idle "sas=$n secs=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }') busy_jiffies_per_s=$idle_rate ${p:-}"

	# Listener on, scan interval 10 ms: the first pass creates the entries.
	ip netns exec a "$XHAB" set-interval 10
	bg_start scanl a "$XHAB" ha-listen -r "$T/scanl.ready"
	bg_wait_ready scanl
	ip netns exec a "$XHAB" wait-scans 2 -t 600000 || die "no scan"
	sleep 1	# rhashtable resizes are deferred
	mem_snapshot "$m2"
	bench mem "sas=$n what=module added=$ADDED" \
		"sunreclaim_kb=$(mem_delta "$m1" "$m2" SUnreclaim) slab_kb=$(mem_delta "$m1" "$m2" Slab)" \
		"slab_objs_kb=$(($(slab_total "$m2") - $(slab_total "$m1")))" \
		"memfree_kb=$(mem_delta "$m1" "$m2" MemFree) percpu_kb=$(mem_delta "$m1" "$m2" Percpu)" \
		"vmalloc_kb=$(mem_delta "$m1" "$m2" VmallocUsed)"
	say "slab caches that grew (bytes): $(slab_delta_top "$m1" "$m2")"
	st=$(ip netns exec a "$XHAB" stats)
	say "stats: $st"

	local sb0 si0
	for rep in $(seq "$SCAN_REPS"); do
		sb0=$(ip netns exec b "$XHAB" stats | kv scans)
		si0=$("$XHAB" stats | kv scans)
		s0=$(ip netns exec a "$XHAB" stats | kv scans)
		b0=$(cpu_busy); t0=$(now)
		[ "$PROBES" = 1 ] && p=$(probe_window "$window") || sleep "$window"
		b1=$(cpu_busy); t1=$(now)
		s1=$(ip netns exec a "$XHAB" stats | kv scans)
		# Scans of the namespaces with no listener (b, init): listeners
		# are tracked per netlink protocol, not per namespace.
		bench scan "sas=$n rep=$rep secs=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')" \
			"scans=$((s1 - s0)) busy_jiffies=$((b1 - b0)) idle_jiffies_per_s=$idle_rate ${p:-}" \
			"scans_b=$(($(ip netns exec b "$XHAB" stats | kv scans) - sb0))" \
			"scans_init=$(($("$XHAB" stats | kv scans) - si0))"
	done

	# Listener off again: entries stay (nothing runs without a listener).
	bg_stop scanl >/dev/null
	ip netns exec a "$XHAB" set-interval 100
	sleep 0.5
	mem_snapshot "$m3"
	say "after the listener left: SUnreclaim $(mem_delta "$m1" "$m3" SUnreclaim) kB above the no-listener level"
}

phase_scan() {
	local target prev=0 add rate predicted
	PROBES=0
	probe_setup && PROBES=1
	for target in $SA_STEPS; do
		add=$((target - SA_TOTAL))
		[ "$add" -gt 0 ] || continue
		if [ -n "${rate:-}" ]; then
			predicted=$(awk -v a="$add" -v r="$rate" 'BEGIN { printf "%d", a / r }')
			if [ "$predicted" -gt "$MAX_SA_SECS" ]; then
				say "skipping $target SAs: creating $add more would take ~${predicted}s (> MAX_SA_SECS=$MAX_SA_SECS)"
				bench skip "sas=$target predicted_secs=$predicted"
				continue
			fi
			if [ "$(meminfo_kb MemAvailable)" -lt $((add * PER_SA_KB * 3 / 2)) ]; then
				say "skipping $target SAs: not enough memory ($(meminfo_kb MemAvailable) kB available)"
				bench skip "sas=$target memory"
				continue
			fi
		fi
		gen_sas "$add"
		mem_snapshot "$T/mem0"
		prev=$(now)
		add_sas "$add"
		ADDED=$add
		rate=$(echo "$prev $(now) $add" | awk '{ printf "%.3f", $3 / ($2 - $1) }')
		scan_step
		rm -f "$T/sas.batch"
		PER_SA_KB=$(( ($(mem_delta "$T/mem0" "$T/mem1" MemFree) + add - 1) / add + 1 ))
		if [ "$target" -eq 10000 ]; then
			# The 10k-SA throughput and latency phases run now, before
			# the table grows further.
			for p in $PHASES; do
				case $p in
				tput10k) phase_tput 10k "$REPS10K" base xha100 xha10 ;;
				lat10k) LAT_INTERVALS="10 100" phase_lat 10k ;;
				esac
			done
		fi
	done
	if [ "$PROBES" = 1 ]; then
		echo 0 >$TRACING/events/xhab/enable
		echo >$TRACING/kprobe_events
	fi
}

# ------------------------------------------------------------ misc facts
facts() {
	local pid groups
	bench env "kernel=$KVER cpus=$(nproc) mem_kb=$(meminfo_kb MemTotal)" \
		"rseqth=$(sysctl -n net.core.xfrm_aevent_rseqth) etime=$(sysctl -n net.core.xfrm_aevent_etime)" \
		"hz_probe=$(getconf CLK_TCK)"
	say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	# Which groups does "ip xfrm monitor" join? (/proc/net/netlink: Groups
	# is the first 32 group bits; XFRMNLGRP_AEVENTS is group 5, bit 0x10.)
	ip netns exec a ip xfrm monitor >/dev/null 2>&1 &
	pid=$!
	sleep 0.5
	groups=$(ip netns exec a cat /proc/net/netlink | awk -v p="$pid" '$2 == 6 && $3 == p { print $4 }')
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bench monitor "cmd=ip_xfrm_monitor groups=0x${groups:-unknown}"
}

# ------------------------------------------------------------ main
main() {
	local p t0
	t0=$(now)
	say "xfrm-ha bench on $KVER, phases: $PHASES"
	# AES-NI and PCLMUL as on real hardware (TCG emulates them with -cpu max).
	modprobe -qa nf_tables nft_xfrm aesni_intel ghash_clmulni_intel 2>/dev/null
	setup_topology
	facts
	for p in $PHASES; do
		say "---- phase $p (at $(elapsed_since "$t0")s)"
		case $p in
		tput) phase_tput 2sa "$REPS" base xha100 xha10 aev nft ;;
		lat) phase_lat 2sa ;;
		scan) phase_scan ;;
		tput10k | lat10k) ;;	# run from phase_scan at 10k SAs
		*) say "unknown phase $p" ;;
		esac
	done
	bench 'done' "secs=$(elapsed_since "$t0")"
}

main
exit 0
