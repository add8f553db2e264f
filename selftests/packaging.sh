#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# packaging.sh [--verbose]
#
# The packaging as an operator uses it, inside the selftest VM (the root is
# a tmpfs overlay: installing is harmless). systemd is not PID 1 here (the
# VM runs guest.sh), so the template unit is driven as systemd would run it:
# its own ExecStart line, in its own network namespace, as its user with
# only its capabilities, read from the installed unit file. DKMS has its
# own test, packaging_dkms.sh (its build alone takes most of a test's
# time under TCG).
#
#  1. install: `make install PREFIX=/usr` (the tree is already built), then
#     systemd-sysusers and systemd-tmpfiles --create as a package's
#     postinst would: the user xfrm-ha, /run/xfrm-ha, the FIFOs.
#  2. netns_main: /run/netns/main (tmpfiles.d) is the root namespace for
#     ip netns exec and for setns (nsenter --net), as NetworkNamespacePath
#     uses it.
#  3-7. the unit: ha-ike-agent@ha1 (active) and ha-ike-agent@ha2 (backup)
#     from one /etc/xfrm-ha/xfrm-ha.conf (vrf ha1, vrf ha2), both run from
#     the installed unit's ExecStart with %i = the instance, in
#     /run/netns/%i (nsenter --net, as NetworkNamespacePath), as User=
#     with the unit's AmbientCapabilities and CapabilityBoundingSet
#     (setpriv), NoNewPrivileges, UMask, NOTIFY_SOCKET and WATCHDOG_USEC
#     to a socket this test reads:
#       3. unit_ready: READY=1 from both (the backup after its bulk sync),
#          and WATCHDOG=1;
#       4. unit_privileges: uid xfrm-ha, CapEff = CapBnd = CAP_NET_ADMIN;
#       5. unit_works: the HA link bound to its interface (no fallback
#          warning), ha2 synced, ha2's SAs written by its agent (the
#          module: oseq = ha1's + oseq-shift), `ha-ike -n ha2 show state`
#          through the default socket /run/xfrm-ha/ha2.sock, and charon's
#          FIFO got the active node's "+1" (group xfrm-ha, mode 0620);
#       6. unit_reload: ExecReload (kill -HUP $MAINPID) keeps both running
#          and synced; SIGTERM stops them with status 0;
#       7. unit_bad_config: the instance of a VRF the file does not have
#          exits 78 (RestartPreventExitStatus: systemd does not retry).
#  8. unit_needs_net_admin: the control, the same ExecStart without
#     CAP_NET_ADMIN fails.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
KVER=$(uname -r)
VERSION=$(cat "$XHA_REPO/VERSION")
TREE_KO=$XHA_REPO/build/$KVER/kmod/xfrm_ha.ko
UNIT=/usr/lib/systemd/system/ha-ike-agent@.service
NOTIFY_DIR=/run/xha-notify
PLAN=8
declare -A MAINPID=()

cleanup() {
	local p
	for p in "${MAINPID[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	[ -n "${NOTIFY_PID:-}" ] && kill "$NOTIFY_PID" 2>/dev/null
	[ -n "${CHARON_PID:-}" ] && kill "$CHARON_PID" 2>/dev/null
	ip netns del blue 2>/dev/null
	xha_cleanup
	# What the next tests in this VM must not find: the configuration, the
	# runtime files, the root namespace's name (the installed programs and
	# the user stay).
	rm -rf /etc/xfrm-ha /run/xfrm-ha /run/xha-notify
	rm -f /run/netns/main /run/charon.ha
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ktap_header
ktap_plan $PLAN
xha_tmp_init

# ------------------------------------------------------------ 1. install
why=$(xha_pkg_install "$UNIT" "$VERSION")
ktap_result "$([ -z "$why" ]; echo $?)" "install: make install, sysusers, tmpfiles" "$why"

# ------------------------------------------------------------ 2. netns main
root_ns=$(readlink /proc/self/ns/net)
a=$(ip netns exec main readlink /proc/self/ns/net 2>&1)
b=$(nsenter --net=/run/netns/main readlink /proc/self/ns/net 2>&1)
if [ "$a" = "$root_ns" ] && [ "$b" = "$root_ns" ]; then
	ktap_pass "netns_main: /run/netns/main is the root namespace (ip netns exec, setns)"
else
	ktap_fail "netns_main: /run/netns/main is the root namespace (ip netns exec, setns)" \
		"root $root_ns, ip netns exec: $a, nsenter: $b"
fi

# ------------------------------------------------------------ 3-7. the unit
# The unit's settings, as systemd would apply them.
unit_get() { sed -n "s/^$1=//p" "$UNIT" | tail -n1; }
U_EXEC=$(unit_get ExecStart)
U_USER=$(unit_get User)
U_GROUP=$(unit_get Group)
U_NETNS=$(unit_get NetworkNamespacePath)
U_AMB=$(unit_get AmbientCapabilities)
U_BND=$(unit_get CapabilityBoundingSet)
U_NNP=$(unit_get NoNewPrivileges)
U_UMASK=$(unit_get UMask)
U_WD=$(unit_get WatchdogSec)
U_RELOAD=$(unit_get ExecReload)
U_NOTRY=$(unit_get RestartPreventExitStatus)
say "unit: ExecStart=$U_EXEC User=$U_USER NetworkNamespacePath=$U_NETNS Ambient=$U_AMB Bounding=$U_BND"
# CAP_NET_ADMIN CAP_FOO -> -all,+net_admin,+foo (setpriv's syntax)
capset() {
	local c s=-all
	for c in $1; do
		c=${c#CAP_}
		s+=",+${c,,}"
	done
	echo "$s"
}
secs() { local v=${1%s}; case $1 in *min) v=$((${1%min} * 60)) ;; esac; echo "$v"; }

# A notify socket per instance; each datagram becomes a line in a file.
mkdir -p "$NOTIFY_DIR"
chmod 0755 "$NOTIFY_DIR"
python3 - "$NOTIFY_DIR" <<'EOF' &
import os, socket, sys, time
d = sys.argv[1]
socks = {}
for inst in ("ha1", "ha2", "blue"):
    p = os.path.join(d, inst + ".sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(p)
    os.chmod(p, 0o666)
    socks[s.fileno()] = (s, open(os.path.join(d, inst + ".log"), "a", buffering=1))
import select
while True:
    r, _, _ = select.select(list(socks), [], [])
    for fd in r:
        s, f = socks[fd]
        m = s.recv(4096).decode(errors="replace")
        for line in m.splitlines():
            f.write("%.3f %s\n" % (time.time(), line))
EOF
NOTIFY_PID=$!
xha_wait_until 10 test -S "$NOTIFY_DIR/blue.sock" || say "notify sockets missing"

# unit_start INSTANCE: ExecStart with %i = INSTANCE, as systemd runs it.
# MAINPID[INSTANCE] is the agent's pid (the shell execs down to it).
unit_start() {
	local i=$1 cmd ns
	cmd=${U_EXEC//%i/$i}
	ns=${U_NETNS//%i/$i}
	local -a priv=(setpriv --reuid="$U_USER" --regid="${U_GROUP:-$U_USER}" --init-groups
		--inh-caps="$(capset "$U_AMB")" --ambient-caps="$(capset "$U_AMB")"
		--bounding-set="$(capset "$U_BND")")
	[ "$U_NNP" = yes ] && priv+=(--no-new-privs)
	: >"$NOTIFY_DIR/$i.log"
	# shellcheck disable=SC2086 # the command line, split as systemd does
	(
		umask "${U_UMASK:-0022}"
		cd /
		exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 NOTIFY_SOCKET="$NOTIFY_DIR/$i.sock" \
			WATCHDOG_USEC=$(($(secs "$U_WD") * 1000000)) RUNTIME_DIRECTORY=/run/xfrm-ha \
			bash -c 'export WATCHDOG_PID=$$; exec "$@"' unit \
			nsenter --net="$ns" "${priv[@]}" $cmd
	) >"$XHA_TMP/unit-$i.log" 2>&1 </dev/null &
	MAINPID[$i]=$!
}
notified() { grep -q " $2\$" "$NOTIFY_DIR/$1.log" 2>/dev/null; }

xha_topo_up || { ktap_fail "topology" "xha_topo_up failed"; ktap_finish; exit 1; }
xha_sas_install || say "xha_sas_install failed"

# The configuration an operator would write: both VRFs of this VM in one
# file, the key owned by the agent's user.
install -d -m 0755 /etc/xfrm-ha
(umask 077 && "$XHA_AGENT" --genkey >/etc/xfrm-ha/ha.key)
chown "$U_USER:${U_GROUP:-$U_USER}" /etc/xfrm-ha/ha.key
vrf_conf() {	# NAME NODE LOCAL REMOTE IFACE GROUP [strongswan]
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
EOF
	[ -n "${7:-}" ] && cat <<EOF
            strongswan
                control-fifo /run/charon.ha
                ..
EOF
	cat <<EOF
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
	vrf_conf "$XHA_NS_HA1" 1 "$XHA_HAL1_ADDR" "$XHA_HAL2_ADDR" hal1 g1 strongswan
	vrf_conf "$XHA_NS_HA2" 2 "$XHA_HAL2_ADDR" "$XHA_HAL1_ADDR" hal2 g2
	printf 'ha\n    group g1\n        static master\n        ..\n    group g2\n        static backup\n        ..\n    ..\n'
} >/etc/xfrm-ha/xfrm-ha.conf
vrun cat /etc/xfrm-ha/xfrm-ha.conf

# charon: a reader on its FIFO (root, as charon is), opened read-write so
# that a writer closing it is no end of file.
(exec 7<>/run/charon.ha && exec timeout 120 cat <&7) >"$XHA_TMP/charon.out" 2>&1 &
CHARON_PID=$!

unit_start "$XHA_NS_HA1"
unit_start "$XHA_NS_HA2"
ready_both() { notified "$XHA_NS_HA1" READY=1 && notified "$XHA_NS_HA2" READY=1; }
xha_wait_until 60 ready_both
wd_both() { notified "$XHA_NS_HA1" WATCHDOG=1 && notified "$XHA_NS_HA2" WATCHDOG=1; }
xha_wait_until 30 wd_both
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	say "notify $i: $(grep -c . "$NOTIFY_DIR/$i.log") lines, $(grep -m1 STATUS= "$NOTIFY_DIR/$i.log")"
done
why=""
ready_both || why="READY=1 missing"
[ -z "$why" ] && ! wd_both && why="WATCHDOG=1 missing"
if [ -n "$why" ]; then
	for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
		say "---- $i agent log"; say "$(tail -n 20 "$XHA_TMP/unit-$i.log")"
		say "---- $i notify"; say "$(tail -n 5 "$NOTIFY_DIR/$i.log")"
	done
fi
ktap_result "$([ -z "$why" ]; echo $?)" "unit_ready: READY=1 and WATCHDOG=1 from the units' ExecStart (active, backup)" "$why"

# 4. privileges
uid=$(id -u "$U_USER")
want_caps=0
for c in $U_AMB; do
	case $c in CAP_NET_ADMIN) want_caps=$((want_caps | (1 << 12))) ;; *) want_caps=-1 ;; esac
done
why=""
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	p=${MAINPID[$i]}
	s=/proc/$p/status
	[ -r "$s" ] || { why+="$i: not running; "; continue; }
	comm=$(cat "/proc/$p/comm")
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$s")
	eff=$((16#$(awk '/^CapEff:/ { print $2 }' "$s")))
	bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' "$s")))
	nn=$(awk '/^NoNewPrivs:/ { print $2 }' "$s")
	netns=$(readlink "/proc/$p/ns/net")
	say "$i: pid $p $comm uid $u CapEff $(printf '%#x' $eff) CapBnd $(printf '%#x' $bnd) NoNewPrivs $nn netns $netns"
	[ "$comm" = ha-ike-agent ] || why+="$i: pid $p is $comm; "
	[ "$u" = "$uid $uid $uid $uid" ] || why+="$i: uid $u; "
	[ "$eff" = "$want_caps" ] && [ "$bnd" = "$want_caps" ] || why+="$i: caps $eff/$bnd; "
	[ "$netns" = "$(ip netns exec "$i" readlink /proc/self/ns/net)" ] || why+="$i: wrong netns; "
done
ktap_result "$([ -z "$why" ]; echo $?)" "unit_privileges: user $U_USER, CAP_NET_ADMIN only, in /run/netns/%i" "$why"

# 5. it works with those privileges
synced() { "$XHA_CLI" -n "$XHA_NS_HA2" show state 2>/dev/null | grep -q '^peer node .* link up synced'; }
xha_wait_until 30 synced
why=""
synced || why+="ha2 not synced (ha-ike -n ha2 show state); "
st1=$("$XHA_CLI" -n "$XHA_NS_HA1" show state 2>&1)
vsay "$st1"
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	grep -q 'SO_BINDTODEVICE\|not tied' "$XHA_TMP/unit-$i.log" && why+="$i: the HA socket is not bound to its interface; "
done
b=$(ip netns exec "$XHA_NS_HA1" ss -Huan "sport = :$XHA_HA_PORT" 2>/dev/null | awk '{ print $4 }')
say "ha1's HA socket: $b"
case $b in *%hal1:$XHA_HA_PORT) ;; *) why+="ha1's socket $b not bound to hal1; " ;; esac
xha_sa_load "$XHA_NS_HA1" "$XHA_NS_HA2"
bad_sa=0
for pair in "${XHA_PAIRS[@]}"; do
	read -r reqid _ _ <<<"$pair"
	read -r o1 _ <<<"$(xha_out "$XHA_NS_HA1" "$reqid")"
	read -r o2 _ <<<"$(xha_out "$XHA_NS_HA2" "$reqid")"
	[ "${o2:-0}" -ge $((${o1:-0} + XHA_OSEQ_SHIFT)) ] || bad_sa=$((bad_sa + 1))
	vsay "pair $reqid: ha1 oseq $o1, ha2 oseq $o2"
done
[ $bad_sa = 0 ] || why+="$bad_sa SA(s) on ha2 not raised to ha1's oseq + shift; "
xha_wait_until 10 grep -q '^+1' "$XHA_TMP/charon.out"
grep -q '^+1' "$XHA_TMP/charon.out" || why+="charon's FIFO did not get +1 ($(cat "$XHA_TMP/charon.out")); "
[ -n "$why" ] && say "$(tail -n 20 "$XHA_TMP/unit-$XHA_NS_HA1.log")" && say "$(tail -n 20 "$XHA_TMP/unit-$XHA_NS_HA2.log")"
ktap_result "$([ -z "$why" ]; echo $?)" "unit_works: HA link bound to its interface, ha2 synced and its SAs written, control socket, charon's FIFO" "$why"

# 6. reload and stop
why=""
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	r=${U_RELOAD//\$MAINPID/${MAINPID[$i]}}
	$r || why+="$i: '$r' failed; "
done
sleep 2
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	kill -0 "${MAINPID[$i]}" 2>/dev/null || why+="$i died on reload; "
done
synced || why+="ha2 not synced after the reload; "
grep -qi 'reload' "$XHA_TMP/unit-$XHA_NS_HA2.log" || why+="ha2 did not log a reload; "
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	kill -TERM "${MAINPID[$i]}"
done
for i in "$XHA_NS_HA1" "$XHA_NS_HA2"; do
	wait "${MAINPID[$i]}"
	rc=$?
	[ $rc = 0 ] || why+="$i exited $rc on SIGTERM; "
	unset "MAINPID[$i]"
done
ktap_result "$([ -z "$why" ]; echo $?)" "unit_reload: ExecReload keeps both running and synced, SIGTERM exits 0" "$why"

# 7. a VRF the file does not have: 78, which the unit does not retry
ip netns add blue
unit_start blue
wait "${MAINPID[blue]}"
rc=$?
unset "MAINPID[blue]"
say "blue: exit $rc: $(tail -n 2 "$XHA_TMP/unit-blue.log")"
if [ "$rc" = 78 ] && [ "$U_NOTRY" = "64 78" ]; then
	ktap_pass "unit_bad_config: a VRF missing from the file exits 78, RestartPreventExitStatus=64 78"
else
	ktap_fail "unit_bad_config: a VRF missing from the file exits 78, RestartPreventExitStatus=64 78" \
		"exit $rc, RestartPreventExitStatus=$U_NOTRY"
fi

# 8. the control: without CAP_NET_ADMIN in its ambient set the same
# ExecStart cannot work (never READY, exits non-zero).
U_AMB_SAVED=$U_AMB
U_AMB=""
unit_start "$XHA_NS_HA2"
U_AMB=$U_AMB_SAVED
p=${MAINPID[$XHA_NS_HA2]}
xha_wait_until 20 sh -c "! kill -0 $p 2>/dev/null"
if kill -0 "$p" 2>/dev/null; then
	kill -TERM "$p"
	rc=running
else
	wait "$p"
	rc=$?
fi
unset "MAINPID[$XHA_NS_HA2]"
say "ha2 without CAP_NET_ADMIN: exit $rc: $(tail -n 2 "$XHA_TMP/unit-$XHA_NS_HA2.log")"
if [ "$rc" != running ] && [ "$rc" != 0 ] && ! notified "$XHA_NS_HA2" READY=1; then
	ktap_pass "unit_needs_net_admin: without CAP_NET_ADMIN the agent fails (the control)"
else
	ktap_fail "unit_needs_net_admin: without CAP_NET_ADMIN the agent fails (the control)" "exit $rc"
fi

ktap_finish
