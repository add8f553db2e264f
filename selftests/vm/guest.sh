#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the selftest VM after switch_root (the host's root filesystem
# under a tmpfs overlay). Loads xfrm_ha.ko from build/$(uname -r)/kmod/, runs
# the tests, then unloads the module and checks the kernel log.
#
# Everything goes to the console (ttyS0). The TAP stream alone also goes to
# ttyS1, which the host maps to a file: it starts with XHA-RESULT-BEGIN and
# ends with XHA-RESULT-END; a missing end marker means the VM died.
#
# Kernel command line parameters read here:
#   xha_mode=check|lab|demo  check: the tests in selftests/TESTS; lab: the
#                       e2e failover with narration; demo: the HA IKE lab
#                       (strongSwan, keepalived) with narration and report
#   xha_tests=a,b       override the test list (check mode)
#   xha_timeout=SEC     per-test timeout (default 600)
#   xha_allow_missing=1 a missing test program is a SKIP, not a failure
#                       (for development only)
#   xha_agent=PATH      run this ha-ike-agent binary (mutation checks)

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$SELFTESTS/.." && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LC_ALL=C

mode=check tests='' timeout=600 allow_missing=0
parse_cmdline() {
	local p
	for p in $(cat /proc/cmdline); do
		case $p in
		xha_mode=*) mode=${p#*=} ;;
		xha_tests=*) tests=${p#*=} ;;
		xha_timeout=*) timeout=${p#*=} ;;
		xha_allow_missing=*) allow_missing=${p#*=} ;;
		xha_agent=*) export XHA_AGENT=${p#*=} ;;
		esac
	done
}

setup_system() {
	echo "xha-guest: start" >/dev/kmsg 2>/dev/null
	mount -t proc proc /proc 2>/dev/null
	mount -t sysfs sysfs /sys 2>/dev/null
	mount -t devtmpfs devtmpfs /dev 2>/dev/null
	mkdir -p /dev/pts /dev/shm
	ln -sfn /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mount -t devpts devpts /dev/pts 2>/dev/null
	mount -t tmpfs tmpfs /dev/shm 2>/dev/null
	# The overlay root is writable already; a fresh /tmp or /run would hide
	# a checkout that lives there (CI may clone anywhere).
	local d
	for d in /tmp /run; do
		case $REPO/ in
		"$d"/*) ;;
		*) mount -t tmpfs tmpfs "$d" 2>/dev/null ;;
		esac
	done
	mkdir -p /run/netns /var/run
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	hostname xha-vm
	ip link set lo up
	local t0
	t0=$(cut -d' ' -f1 /proc/uptime)
	modprobe -qa virtio_rng xfrm_user esp4 esp6 veth bridge gcm 2>/dev/null
	echo "guest: modules loaded in $(awk -v t0="$t0" '{print $1 - t0}' /proc/uptime)s"
	sysctl -qw kernel.panic_on_warn=1 kernel.panic=-1 kernel.panic_on_oops=1 2>/dev/null
}

# Results channel: ttyS1, raw, opened once.
open_results() {
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	if ! exec 3>/dev/ttyS1; then
		echo "guest: cannot open /dev/ttyS1, results go to the console only"
		exec 3>/dev/null
	fi
}

# res LINE...: a line of the TAP stream, to the console and the results port.
res() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >&3
}

n=0 failed=0
result() {	# result ok|fail|skip NAME [REASON]
	local what=$1 name=$2 why=${3:-}
	n=$((n + 1))
	case $what in
	ok) res "ok $n $name" ;;
	skip) res "ok $n $name # SKIP $why" ;;
	*) failed=$((failed + 1)); res "not ok $n $name${why:+ # $why}" ;;
	esac
}

# run_one NAME CMD...: run a test in its own session with a timeout, its
# output indented under the result line (KTAP subtest layout).
run_one() {
	local name=$1 rc pid tpid out=/tmp/xha-test-$n.out
	shift
	echo "# ---- $name" >/dev/console
	(cd "$SELFTESTS" && exec setsid timeout -k 10 "${t_timeout:-$timeout}" "$@") \
		>"$out" 2>&1 </dev/null &
	pid=$!
	tail -n +1 -s 0.2 -f --pid="$pid" "$out" >/dev/console 2>/dev/null &
	tpid=$!
	wait "$pid"
	rc=$?
	# Kill whatever the test left behind (daemons, pings) and its netns.
	pkill -KILL -s "$pid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	ip -all netns delete 2>/dev/null
	sleep 0.2
	sed 's/^/    /' "$out" >&3
	case $rc in
	0) result ok "$name" ;;
	4) result skip "$name" "test skipped itself" ;;
	124 | 137) result fail "$name" "TIMEOUT after ${t_timeout:-$timeout}s" ;;
	*) result fail "$name" "exit code $rc" ;;
	esac
}

# The debug kernel's checks (scripts/debug-kernel.sh); Debian's kernels
# have neither kmemleak nor lockdep, and these are no-ops there.
KMEMLEAK=/sys/kernel/debug/kmemleak

# kmemleak_baseline: before the module and the first test, scan and mark
# every suspect so far grey ("clear"): what boot left unreferenced (the
# firmware, early init; the kernel's business, not ours) is never reported,
# and the scan's "N new suspected memory leaks" line lands before the
# marker that check_kernel_log reads from.
kmemleak_baseline() {
	[ -w "$KMEMLEAK" ] || return 0
	local t0
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
	echo "guest: kmemleak baseline in $(awk -v t0="$t0" '{print $1 - t0}' /proc/uptime)s"
}

# kmemleak_report: after the last test and rmmod, everything leaked since
# the baseline. kmemleak reports an object only when it has been
# unreferenced through a whole scan and is older than 5 s, and a pointer
# left in a stack or register can hide it once: two scans with a pause.
kmemleak_report() {
	[ -w "$KMEMLEAK" ] || return 0
	sleep 6
	echo scan >"$KMEMLEAK"
	sleep 6
	echo scan >"$KMEMLEAK"
	cat "$KMEMLEAK"
}

check_kernel_log() {
	local log bad taint mask leaks locks
	leaks=$(kmemleak_report)
	log=$(dmesg 2>/dev/null | sed -n '/xfrm-ha-selftests: start/,$p')
	[ -n "$log" ] || log=$(dmesg 2>/dev/null)
	# WARNING: and BUG: cover KASAN, lockdep's reports (circular or
	# recursive locking, inconsistent lock state, suspicious RCU usage, bad
	# unlock balance), sleeping in atomic context and DEBUG_OBJECTS; INFO:
	# lockdep's "trying to register non-static key" and hung tasks.
	bad=$(printf '%s\n' "$log" |
		grep -E 'WARNING:|BUG:|BUG |INFO:|Oops|general protection|ODEBUG|kmemleak|[Ll]eak|UBSAN|KFENCE|KASAN|refcount_t|list_(add|del) corruption|hung_task|soft lockup|rcu.*stall|Call Trace')
	# Lockdep switches itself off after its first report, or when a table
	# is full (then it says "BUG: MAX_LOCKDEP_...", caught above): what
	# followed went unchecked.
	locks=$(awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats 2>/dev/null)
	# Taint flags other than O (out-of-tree, 4096) and E (unsigned, 8192).
	taint=$(cat /proc/sys/kernel/tainted 2>/dev/null || echo 0)
	mask=$((taint & ~(4096 | 8192)))
	if [ -n "$bad" ] || [ -n "$leaks" ] || [ "${locks:-1}" != 1 ] || [ "$mask" -ne 0 ]; then
		[ -n "$bad" ] && printf '%s\n' "$bad" | sed 's/^/    # /' | tee /dev/console >&3
		[ -n "$leaks" ] && printf 'kmemleak:\n%s\n' "$leaks" | head -n 300 |
			sed 's/^/    # /' | tee /dev/console >&3
		[ "${locks:-1}" != 1 ] && res "    # lockdep turned itself off (debug_locks=$locks)"
		[ "$mask" -ne 0 ] && res "    # kernel tainted: $taint"
		result fail "kernel_log_clean" "reports, leaks or taint in the kernel log"
	else
		result ok "kernel_log_clean"
	fi
}

main() {
	local ko list=() line name prog

	setup_system
	parse_cmdline
	open_results
	kmemleak_baseline
	echo "xfrm-ha-selftests: start" >/dev/kmsg

	case $mode in
	lab) list=("e2e_failover.sh --verbose") ;;
	demo) list=("ha_ike_lab.sh --verbose") ;;
	*)
		if [ -n "$tests" ]; then
			IFS=, read -r -a list <<<"$tests"
		else
			while IFS= read -r line; do
				line=${line%%#*}
				line=$(echo "$line" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')
				[ -n "$line" ] && list+=("$line")
			done <"$SELFTESTS/TESTS"
		fi
		;;
	esac

	res "XHA-RESULT-BEGIN"
	res "TAP version 13"
	res "1..$((${#list[@]} + 3))"
	res "# kernel $(uname -r), $(nproc) CPUs, repo $REPO, mode $mode"
	res "# boot: $(cut -d' ' -f1 /proc/uptime)s to the test runner"

	ko=$REPO/build/$(uname -r)/kmod/xfrm_ha.ko
	local loaded=0
	if [ ! -f "$ko" ] && [ "$allow_missing" = 1 ]; then
		loaded=2
		result skip "insmod_xfrm_ha" "build/$(uname -r)/kmod/xfrm_ha.ko missing (xha_allow_missing=1)"
	elif [ ! -f "$ko" ]; then
		result fail "insmod_xfrm_ha" "build/$(uname -r)/kmod/xfrm_ha.ko missing, run make"
	elif out=$(insmod "$ko" 2>&1); then
		loaded=1
		result ok "insmod_xfrm_ha"
	else
		res "    # $out"
		result fail "insmod_xfrm_ha" "insmod failed"
	fi

	for line in "${list[@]}"; do
		read -r -a argv <<<"$line"
		# "@SEC" last on a line: that test's own timeout, if longer.
		t_timeout=$timeout
		if [ "${#argv[@]}" -gt 1 ] && [[ ${argv[-1]} =~ ^@[0-9]+$ ]]; then
			[ "${argv[-1]#@}" -gt "$timeout" ] && t_timeout=${argv[-1]#@}
			unset 'argv[-1]'
		fi
		prog=${argv[0]}
		name=${prog##*/}
		name=${name%.sh}
		if [ "$loaded" = 0 ]; then
			result fail "$name" "xfrm_ha not loaded"
		elif [ ! -x "$SELFTESTS/$prog" ]; then
			if [ "$allow_missing" = 1 ]; then
				result skip "$name" "selftests/$prog missing (xha_allow_missing=1)"
			else
				result fail "$name" "selftests/$prog missing or not executable, run make"
			fi
		else
			run_one "$name" "./$prog" "${argv[@]:1}"
		fi
	done

	if [ "$loaded" = 2 ]; then
		result skip "rmmod_xfrm_ha" "xfrm_ha was not loaded"
	elif [ "$loaded" != 1 ]; then
		result fail "rmmod_xfrm_ha" "xfrm_ha not loaded"
	elif out=$(timeout 60 rmmod xfrm_ha 2>&1); then
		result ok "rmmod_xfrm_ha"
	else
		res "    # $out"
		result fail "rmmod_xfrm_ha" "rmmod failed"
	fi

	check_kernel_log

	res "# $((n - failed))/$n passed on $(uname -r)"
	res "XHA-RESULT-END failed=$failed total=$n"
	sync
}

main
exit 0
