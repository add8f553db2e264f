#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# packaging_systemd.sh [--verbose]
#
# ha-ike-agent@.service under systemd itself, in the selftest VM (issue 9):
# systemd (the host's, 252) as PID 1 of a PID and mount namespace over the
# VM's root (unshare; the VM's init is busybox), booted to an empty target.
# systemctl and the /proc reads run inside that namespace (nsenter):
# systemd refuses a private-socket client whose pid it cannot see. The
# unit file is the installed one (make install); a drop-in in /run changes
# only what the VM lacks (DefaultDependencies=no, the output into a file:
# see the comment there). packaging.sh drives the same unit's ExecStart
# by hand and checks more of the agent; this test checks what only
# systemd itself can show.
#
#  1. systemd_boot: systemd runs and answers systemctl.
#  2. systemd_active: `systemctl start ha-ike-agent@ha1 ha-ike-agent@ha2`
#     returns 0 (Type=notify: READY=1 reached systemd; the backup's after
#     its bulk sync), both ActiveState=active, Type=notify, StatusText
#     "active..." / "backup...", ha2 synced (`ha-ike -s
#     /run/xfrm-ha/ha2.sock show state`: link up synced), MainPID as
#     xfrm-ha with CapEff = CAP_NET_ADMIN only, NoNewPrivs, seccomp, in its
#     netns.
#  3. systemd_reload_stop: systemctl reload keeps both active and synced;
#     systemctl stop leaves them inactive with Result=success.
#  4. systemd_78: ha-ike-agent@blue (a VRF the configuration file does not
#     have: a configuration that cannot work) fails with status 78 and is
#     not restarted after RestartSec (NRestarts=0,
#     RestartPreventExitStatus=64 78).
#  5. systemd_cleanup: systemd's PID namespace killed (SIGKILL to its PID
#     1), no agent or xfrm-ha process left, systemd's cgroups and the
#     cgroup2 mount it needed removed, /etc/xfrm-ha, /run/xfrm-ha and the
#     drop-ins gone: the tests after it in the VM find nothing of it.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
SD_PID=
SD_INNER=
CG_MOUNTED=0
SD_LOG=
cleanup() {
	# SIGKILL to PID 1 of a PID namespace kills every process in it (the
	# agents too); its mount namespace (and /proc, cgroup mounts made in
	# it) goes with the last process. unshare itself then exits.
	[ -n "$SD_INNER" ] && kill -KILL "$SD_INNER" 2>/dev/null
	[ -n "$SD_PID" ] && { kill -KILL "$SD_PID" 2>/dev/null; wait "$SD_PID" 2>/dev/null; }
	ip netns del blue 2>/dev/null
	# The cgroups systemd made (system.slice, ...), empty now; the cgroup2
	# mount if this test made it (the VM's init does not mount it).
	if [ "$CG_MOUNTED" = 1 ]; then
		local n
		for n in 1 2 3 4 5; do	# a cgroup is freed a moment after its last process
			find /sys/fs/cgroup -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
			[ -z "$(find /sys/fs/cgroup -mindepth 1 -type d)" ] && break
			sleep 1
		done
		umount /sys/fs/cgroup 2>/dev/null && CG_MOUNTED=0
	fi
	xha_cleanup
	# What the next tests in this VM must not find (as packaging.sh).
	rm -rf /etc/xfrm-ha /run/xfrm-ha /run/systemd/system/ha-ike-agent@.service.d \
		/run/systemd/system/xha-test.target
	rm -f /run/netns/main /run/charon.ha
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ktap_header
ktap_plan 5
xha_tmp_init
SD_LOG=$XHA_TMP/systemd.log

make -C "$XHA_REPO" -s --no-print-directory -o programs install PREFIX=/usr >/dev/null 2>&1
systemd-sysusers xfrm-ha.conf >/dev/null 2>&1
systemd-tmpfiles --create xfrm-ha.conf >/dev/null 2>&1

xha_topo_up || { ktap_fail "topology" "xha_topo_up failed"; ktap_finish; exit 1; }
xha_sas_install || say "xha_sas_install failed"
ip netns add blue
install -d -m 0755 /etc/xfrm-ha
(umask 077 && "$XHA_AGENT" --genkey >/etc/xfrm-ha/ha.key)
chown xfrm-ha:xfrm-ha /etc/xfrm-ha/ha.key
vrf_conf() {	# NAME NODE LOCAL REMOTE IFACE GROUP
	cat <<EOF
vrf $1
    ike
        ha
            listen-ha-group $6
            node-id $2
            interface $5
            local-address $3
            remote-address $4
            key-file /etc/xfrm-ha/ha.key
            seqnum-sync
                oseq-shift $XHA_OSEQ_SHIFT
                sync-period-time 1s
                ..
            ..
        ..
    ..
EOF
}
{
	vrf_conf "$XHA_NS_HA1" 1 "$XHA_HAL1_ADDR" "$XHA_HAL2_ADDR" hal1 g1
	vrf_conf "$XHA_NS_HA2" 2 "$XHA_HAL2_ADDR" "$XHA_HAL1_ADDR" hal2 g2
	printf 'ha\n    group g1\n        static master\n        ..\n    group g2\n        static backup\n        ..\n    ..\n'
} >/etc/xfrm-ha/xfrm-ha.conf

# What the VM lacks, in /run (above /etc and /usr/lib), and nothing else:
# the [Service] section, its sandbox, Type=notify, the restart policy are
# the installed unit's. DefaultDependencies=no: this systemd boots no
# sysinit.target/basic.target (no udev, journald, local-fs in this VM, the
# root is the VM's 9p+tmpfs overlay), which the default dependencies would
# order the unit after. StandardOutput: no journald here; the agent's log
# goes to a file the test shows on a failure. The unit's own
# Wants/After=network-online.target stay: nothing here pulls a network
# service, so the target is reached at once.
mkdir -p /run/systemd/system/ha-ike-agent@.service.d
cat >/run/systemd/system/ha-ike-agent@.service.d/xha-test.conf <<EOF
[Unit]
DefaultDependencies=no
[Service]
StandardOutput=append:$XHA_TMP/unit-%i.log
StandardError=inherit
EOF
# The target systemd boots to: nothing else (no getty, no network
# services); the test starts the units itself with systemctl start.
cat >/run/systemd/system/xha-test.target <<EOF
[Unit]
Description=xfrm-ha packaging test
DefaultDependencies=no
EOF

mountpoint -q /sys/fs/cgroup || { mount -t cgroup2 cgroup2 /sys/fs/cgroup && CG_MOUNTED=1; }
unshare --pid --fork --mount --mount-proc --propagation unchanged \
	env -i container=xha-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	/lib/systemd/systemd --system --unit=xha-test.target --log-target=console \
	--log-level=info --show-status=no >"$SD_LOG" 2>&1 </dev/null &
SD_PID=$!
# systemctl from outside systemd's PID namespace is refused (its peer pid
# is 0 there: "unprivileged client"): everything that talks to systemd or
# reads its pids runs inside, through systemd's own pid seen from here.
inner() { SD_INNER=$(pgrep -P "$SD_PID" -x systemd); [ -n "$SD_INNER" ]; }
xha_wait_until 30 inner
inns() { nsenter -t "$SD_INNER" -p -m "$@"; }
sc() { inns systemctl --no-pager "$@"; }
prop() { sc show -p "$1" --value "$2"; }	# prop PROPERTY UNIT
running() { [ -n "$(sc show -p Version --value 2>/dev/null)" ]; }
xha_wait_until 120 running
state=$(sc is-system-running 2>&1)
say "systemd: $state"
if [ -n "$state" ] && sc show -p Version --value >/dev/null 2>&1; then
	ktap_pass "systemd_boot: systemd $(sc show -p Version --value) as PID 1 of a PID namespace"
else
	say "$(tail -n 40 "$SD_LOG")"
	ktap_fail "systemd_boot: systemd as PID 1 of a PID namespace" "$state"
	ktap_finish
	exit 1
fi

# Type=notify: systemctl start returns when READY=1 reached systemd (the
# backup's after its first bulk sync), or fails.
t0=$SECONDS
timeout 150 nsenter -t "$SD_INNER" -p -m systemctl start "ha-ike-agent@$XHA_NS_HA1" "ha-ike-agent@$XHA_NS_HA2"
start_rc=$?
say "systemctl start: status $start_rc after $((SECONDS - t0)) s"
both_active() { sc is-active -q "ha-ike-agent@$XHA_NS_HA1" && sc is-active -q "ha-ike-agent@$XHA_NS_HA2"; }
synced() { "$XHA_CLI" -s "/run/xfrm-ha/$XHA_NS_HA2.sock" show state 2>/dev/null | grep -q '^peer node .* link up synced'; }
xha_wait_until 90 both_active
xha_wait_until 30 synced
why=""
[ "$start_rc" = 0 ] || why+="systemctl start: status $start_rc; "
both_active || why+="not active: $(sc is-active "ha-ike-agent@$XHA_NS_HA1" "ha-ike-agent@$XHA_NS_HA2" | tr '\n' ' '); "
synced || why+="ha2 not synced; "
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	p=$(sc show -p MainPID --value "ha-ike-agent@$i")	# in systemd's pid namespace
	st=$(inns cat "/proc/$p/status" 2>/dev/null)
	[ "${p:-0}" != 0 ] && [ -n "$st" ] || { why+="$i: no MainPID; "; continue; }
	u=$(awk '/^Uid:/ { print $2 }' <<<"$st")
	eff=$(awk '/^CapEff:/ { print $2 }' <<<"$st")
	nn=$(awk '/^NoNewPrivs:/ { print $2 }' <<<"$st")
	sec=$(awk '/^Seccomp:/ { print $2 }' <<<"$st")
	ns=$(inns readlink "/proc/$p/ns/net")
	say "$i: MainPID $p uid $u CapEff $eff NoNewPrivs $nn Seccomp $sec netns $ns, $(sc show -p StatusText --value "ha-ike-agent@$i")"
	ty=$(prop Type "ha-ike-agent@$i")
	stx=$(prop StatusText "ha-ike-agent@$i")
	[ "$ty" = notify ] || why+="$i: Type=$ty; "
	want=active
	[ "$i" = "$XHA_NS_HA2" ] && want=backup
	case $stx in "$want"*) ;; *) why+="$i: StatusText '$stx', not $want...; " ;; esac
	[ "$u" = "$(id -u xfrm-ha)" ] || why+="$i: uid $u; "
	[ "$eff" = 0000000000001000 ] || why+="$i: CapEff $eff; "
	[ "$nn" = 1 ] && [ "$sec" = 2 ] || why+="$i: NoNewPrivs $nn Seccomp $sec; "
	[ "$ns" = "$(ip netns exec "$i" readlink /proc/self/ns/net)" ] || why+="$i: wrong netns; "
done
if [ -n "$why" ]; then
	for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
		say "$(sc status "ha-ike-agent@$i" 2>&1 | head -n 15)"
		say "$(tail -n 15 "$XHA_TMP/unit-$i.log" 2>/dev/null)"
	done
	say "$(tail -n 30 "$SD_LOG")"
fi
ktap_result "$([ -z "$why" ]; echo $?)" "systemd_active: both instances active (READY=1), synced, as xfrm-ha with CAP_NET_ADMIN only, sandboxed, in their netns" "$why"

why=""
sc reload "ha-ike-agent@$XHA_NS_HA1" "ha-ike-agent@$XHA_NS_HA2" || why+="reload failed; "
sleep 2
both_active || why+="not active after the reload; "
synced || why+="ha2 not synced after the reload; "
sc stop "ha-ike-agent@$XHA_NS_HA1" "ha-ike-agent@$XHA_NS_HA2" || why+="stop failed; "
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	r="$(prop ActiveState "ha-ike-agent@$i") $(prop Result "ha-ike-agent@$i")"
	[ "$r" = "inactive success" ] || why+="$i after stop: $r; "
done
ktap_result "$([ -z "$why" ]; echo $?)" "systemd_reload_stop: systemctl reload keeps both active and synced, stop is clean" "$why"

sc start ha-ike-agent@blue 2>/dev/null
sleep 15	# RestartSec=10s: a restart would have happened by now
r=""
for k in ActiveState Result ExecMainStatus NRestarts RestartPreventExitStatus; do
	r+="$k=$(prop $k ha-ike-agent@blue) "
done
say "ha-ike-agent@blue: $r"
if [ "$r" = "ActiveState=failed Result=exit-code ExecMainStatus=78 NRestarts=0 RestartPreventExitStatus=64 78 " ]; then
	ktap_pass "systemd_78: a VRF missing from the file fails with 78, not restarted"
else
	ktap_fail "systemd_78: a VRF missing from the file fails with 78, not restarted" "$r"
fi

# 5. Everything gone: PID 1 of the namespace killed takes the rest with
# it; no agent, no process of xfrm-ha left, the cgroups and /run files
# removed (cleanup, run here once and again at exit: idempotent).
cleanup_check() {
	kill -KILL "$SD_INNER" 2>/dev/null
	wait "$SD_PID" 2>/dev/null
	SD_INNER= SD_PID=
	cleanup
}
cleanup_check
why=""
left=$(pgrep -u xfrm-ha -a 2>/dev/null; pgrep -a -x systemd 2>/dev/null)
[ -z "$left" ] || why+="left running: $(tr '\n' ' ' <<<"$left"); "
[ "$CG_MOUNTED" = 0 ] || why+="/sys/fs/cgroup still mounted; "
for f in /run/xfrm-ha /etc/xfrm-ha /run/systemd/system/ha-ike-agent@.service.d; do
	[ -e "$f" ] && why+="$f left; "
done
ktap_result "$([ -z "$why" ]; echo $?)" "systemd_cleanup: systemd's PID namespace gone, no agent left, cgroups and /run files removed" "$why"

ktap_finish
