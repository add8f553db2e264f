#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/check-packaging.sh: the host-side packaging checks of make check
# (the VM side is selftests/packaging.sh). TAP on stdout, exit 1 on any
# failure.
#
#   man_pages       every page in man/ renders without a warning:
#                   `man --warnings -E UTF-8 -l` and `groff -ww -z -man`,
#                   both with an empty stderr
#   install_files   make install DESTDIR=tmp PREFIX=/usr installs exactly
#                   the expected files, modes included
#   install_conf    a second make install keeps an edited
#                   /etc/xfrm-ha/xfrm-ha.conf
#   install_prefix  PREFIX=/usr/local: the unit's ExecStart follows
#   unit_verify     systemd-analyze verify ha-ike-agent@main.service, as
#                   installed, prints nothing and succeeds
#   unit_security   systemd-analyze security --offline rates the unit's
#                   exposure at most 2.0 ("OK"; 1.7 today)
#   unit_contract   the unit's settings the design depends on (template in
#                   the netns, the user, CAP_NET_ADMIN only, 78 not retried)
#   sysusers_tmpfiles  systemd-sysusers and systemd-tmpfiles --root on the
#                   installed tree: the user, /run/xfrm-ha, /run/netns/main,
#                   the FIFOs with their owners and modes
#   examples_valid  the configurations the README (ha1 and ha2), the
#                   example file and xfrm-ha.conf(5) (text and JSON) show
#                   pass ha-ike-agent --check; the README's keepalived.conf
#                   (ha1 and ha2) passes keepalived --config-test (in a
#                   network namespace of its own with its interfaces)
#   dkms_build      dkms add + build of the installed /usr/src tree against
#                   the first kernel headers in /usr/src (a private dkms
#                   tree; the VM test installs it for the running kernel)
#
# Environment: XHA_PKG_SKIP_DKMS=1 skips dkms_build (no kernel headers).
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
VERSION=$(cat VERSION)
TMP=$(mktemp -d /tmp/xha-pkg.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n $1${2:+ # $2}"
	[ -n "${3:-}" ] && printf '%s\n' "$3" | head -n 40 | sed 's/^/#   /'
	return 0
}

echo "TAP version 13"
echo "1..10"

# ---- man_pages
pages=(man/ha-ike-agent.8 man/ha-ike.8 man/xfrm_ha.7 man/xfrm-ha.conf.5)
bad=""
for p in "${pages[@]}"; do
	[ -f "$p" ] || { bad+="$p: missing"$'\n'; continue; }
	e=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
	[ -n "$e" ] && bad+="man $p: $e"$'\n'
	e=$(groff -ww -z -man "$p" 2>&1)
	[ -n "$e" ] && bad+="groff $p: $e"$'\n'
done
if [ -z "$bad" ]; then ok "man_pages"; else fail "man_pages" "warnings" "$bad"; fi

# ---- install_files
D=$TMP/root
expected() {
	cat <<EOF
-rw-r--r-- /etc/xfrm-ha/xfrm-ha.conf
-rw-r--r-- /usr/lib/modules-load.d/xfrm_ha.conf
-rw-r--r-- /usr/lib/systemd/system/ha-ike-agent@.service
-rw-r--r-- /usr/lib/sysusers.d/xfrm-ha.conf
-rw-r--r-- /usr/lib/tmpfiles.d/xfrm-ha.conf
-rwxr-xr-x /usr/sbin/ha-ike
-rwxr-xr-x /usr/sbin/ha-ike-agent
-rw-r--r-- /usr/share/bash-completion/completions/ha-ike
-rw-r--r-- /usr/share/doc/xfrm-ha/README.md
-rw-r--r-- /usr/share/doc/xfrm-ha/design.md
-rw-r--r-- /usr/share/doc/xfrm-ha/examples/ha.conf
-rw-r--r-- /usr/share/doc/xfrm-ha/examples/keepalived.conf
-rw-r--r-- /usr/share/doc/xfrm-ha/examples/xfrm-ha.conf
-rw-r--r-- /usr/share/doc/xfrm-ha/protocol.md
-rw-r--r-- /usr/share/man/man5/xfrm-ha.conf.5
-rw-r--r-- /usr/share/man/man7/xfrm_ha.7
-rw-r--r-- /usr/share/man/man8/ha-ike-agent.8
-rw-r--r-- /usr/share/man/man8/ha-ike.8
-rw-r--r-- /usr/share/xfrm-ha/yang/xfrm-ha.yang
-rw-r--r-- /usr/src/xfrm-ha-$VERSION/Kbuild
-rw-r--r-- /usr/src/xfrm-ha-$VERSION/dkms.conf
EOF
	local f
	for f in kmod/*.c kmod/*.h kmod/Kbuild uapi/linux/xfrm_ha.h; do
		echo "-rw-r--r-- /usr/src/xfrm-ha-$VERSION/$f"
	done
}
out=$(make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr 2>&1)
rc=$?
got=$(cd "$D" 2>/dev/null && find . -type f -printf '%M /%P\n' | sort)
want=$(expected | sort)
if [ $rc -ne 0 ]; then
	fail "install_files" "make install failed" "$out"
elif [ "$got" != "$want" ]; then
	fail "install_files" "installed files differ from the expected list (- expected, + installed)" \
		"$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</-/; s/^>/+/')"
elif ! grep -q "^PACKAGE_VERSION=\"$VERSION\"$" "$D/usr/src/xfrm-ha-$VERSION/dkms.conf"; then
	fail "install_files" "dkms.conf's PACKAGE_VERSION is not $VERSION"
else
	ok "install_files"
fi

# ---- install_conf
echo "# edited" >>"$D/etc/xfrm-ha/xfrm-ha.conf"
out=$(make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr 2>&1)
if [ $? -eq 0 ] && tail -n1 "$D/etc/xfrm-ha/xfrm-ha.conf" | grep -q '^# edited$'; then
	ok "install_conf"
else
	fail "install_conf" "a second make install replaced /etc/xfrm-ha/xfrm-ha.conf" "$out"
fi

# ---- install_prefix
L=$TMP/local
out=$(make -s --no-print-directory install DESTDIR="$L" PREFIX=/usr/local 2>&1)
exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$L/usr/local/lib/systemd/system/ha-ike-agent@.service" 2>/dev/null)
if [ "$exe" = /usr/local/sbin/ha-ike-agent ] && [ -x "$L$exe" ]; then
	ok "install_prefix"
else
	fail "install_prefix" "PREFIX=/usr/local: ExecStart is '$exe'" "$out"
fi

# ---- unit_verify: installed with a real PREFIX under $TMP (no DESTDIR), so
# that ExecStart, ExecReload and the Documentation= pages exist on this
# host as systemd-analyze checks them.
V=$TMP/verify
out=$(make -s --no-print-directory install PREFIX="$V/usr" SYSCONFDIR="$V/etc" 2>&1)
if [ $? -ne 0 ]; then
	fail "unit_verify" "make install PREFIX=$V/usr failed" "$out"
elif ! command -v systemd-analyze >/dev/null; then
	fail "unit_verify" "systemd-analyze missing (make deps)"
else
	out=$(cd "$TMP" && MANPATH=$V/usr/share/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify "$V/usr/lib/systemd/system/ha-ike-agent@main.service" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "unit_verify"
	else
		fail "unit_verify" "systemd-analyze verify: exit $rc, $(printf '%s\n' "$out" | grep -c .) line(s) of warnings" "$out"
	fi
fi

# ---- unit_security
u=$V/usr/lib/systemd/system/ha-ike-agent@main.service
out=$(cd "$TMP" && systemd-analyze security --offline=true --threshold=20 "$u" 2>&1)
rc=$?
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ $rc -eq 0 ] && [ -n "$level" ]; then
	ok "unit_security: exposure $level"
else
	fail "unit_security" "exposure ${level:-?} above 2.0 (exit $rc)" "$(printf '%s\n' "$out" | grep '✗')"
fi

# ---- unit_contract
U=systemd/ha-ike-agent@.service
want_lines=(
	"Type=notify"
	"NetworkNamespacePath=/run/netns/%i"
	"ExecStart=/usr/sbin/ha-ike-agent --config /etc/xfrm-ha/xfrm-ha.conf --vrf %i"
	"Restart=on-failure"
	"RestartPreventExitStatus=64 78"
	"User=xfrm-ha"
	"AmbientCapabilities=CAP_NET_ADMIN"
	"CapabilityBoundingSet=CAP_NET_ADMIN"
	"NoNewPrivileges=yes"
)
bad=""
for l in "${want_lines[@]}"; do
	grep -qxF "$l" "$U" || bad+="missing: $l"$'\n'
done
for k in WatchdogSec StartLimitBurst StartLimitIntervalSec ExecReload; do
	grep -q "^$k=" "$U" || bad+="missing: $k="$'\n'
done
if [ -e systemd/ha-ike-agent.service ]; then
	bad+="the old non-template unit is back"$'\n'
fi
if [ -z "$bad" ]; then ok "unit_contract"; else fail "unit_contract" "" "$bad"; fi

# ---- sysusers_tmpfiles, on the DESTDIR tree (its own passwd and group)
R=$D
mkdir -p "$R/etc" "$R/run"
cp /etc/passwd /etc/group "$R/etc/"
grep -q '^xfrm-ha:' "$R/etc/passwd" && sed -i '/^xfrm-ha:/d' "$R/etc/passwd" "$R/etc/group"
out=$(systemd-sysusers --root="$R" xfrm-ha.conf 2>&1 &&
	systemd-tmpfiles --root="$R" --create xfrm-ha.conf 2>&1)
rc=$?
uid=$(awk -F: '$1 == "xfrm-ha" { print $3 }' "$R/etc/passwd")
gid=$(awk -F: '$1 == "xfrm-ha" { print $3 }' "$R/etc/group")
st() { stat -c '%F %a %u:%g' "$1" 2>/dev/null; }
bad=""
[ $rc -eq 0 ] || bad+="sysusers/tmpfiles failed: $out"$'\n'
[ -n "$uid" ] && [ -n "$gid" ] || bad+="no user or group xfrm-ha"$'\n'
[ "$(st "$R/run/xfrm-ha")" = "directory 750 $uid:$gid" ] || bad+="/run/xfrm-ha: $(st "$R/run/xfrm-ha")"$'\n'
[ "$(st "$R/run/charon.ha")" = "fifo 620 0:$gid" ] || bad+="/run/charon.ha: $(st "$R/run/charon.ha")"$'\n'
[ "$(st "$R/run/xfrm-ha/keepalived.fifo")" = "fifo 600 $uid:$gid" ] ||
	bad+="/run/xfrm-ha/keepalived.fifo: $(st "$R/run/xfrm-ha/keepalived.fifo")"$'\n'
[ "$(readlink "$R/run/netns/main")" = /proc/1/ns/net ] || bad+="/run/netns/main: $(readlink "$R/run/netns/main")"$'\n'
if [ -z "$bad" ]; then ok "sysusers_tmpfiles"; else fail "sysusers_tmpfiles" "" "$bad"; fi

# ---- examples_valid
E=$TMP/examples
mkdir -p "$E"
(umask 077 && agent/ha-ike-agent --genkey >"$E/ha.key")
# block AFTER-REGEX END-REGEX FILE: the 4-space indented lines after the
# first line matching AFTER-REGEX, up to one matching END-REGEX.
block() {
	awk -v a="$1" -v e="$2" '$0 ~ a { f = 1; next } f && $0 ~ e { exit }
		f && /^    / { sub(/^    /, ""); print }' "$3"
}
block '^\*\*6\. ' '^ha2 ' README.md >"$E/readme-ha1.conf"
block '^ha2 \(`node-id 2`' '^Check it on each node' README.md >"$E/readme-ha2.conf"
cp contrib/xfrm-ha/xfrm-ha.conf "$E/example.conf"
man -l man/xfrm-ha.conf.5 2>/dev/null | col -b >"$E/man.txt"
awk '/^EXAMPLES/ { f = 1 } f && /^       vrf main/ { p = 1 } p && /^       The same in JSON/ { exit }
	p { sub(/^       /, ""); print }' "$E/man.txt" >"$E/man.conf"
awk '/^       The same in JSON/ { p = 1; next } p && /^       Check a file/ { exit }
	p { sub(/^       /, ""); print }' "$E/man.txt" >"$E/man.json"
bad=""
for f in readme-ha1.conf readme-ha2.conf example.conf man.conf man.json; do
	sed -i "s#/etc/xfrm-ha/ha.key#$E/ha.key#" "$E/$f"
	if [ "$(grep -c . "$E/$f")" -lt 10 ]; then
		bad+="$f: not found where expected"$'\n'
		continue
	fi
	out=$(XFRM_HA_YANG_DIR=$REPO/yang agent/ha-ike-agent --config "$E/$f" --vrf main --check 2>&1) ||
		bad+="$f: $out"$'\n'
done
grep -q 'node 1, 10.150.0.1 -> 10.150.0.2' <(XFRM_HA_YANG_DIR=$REPO/yang agent/ha-ike-agent \
	--config "$E/readme-ha1.conf" --vrf main --check 2>&1) || bad+="readme-ha1.conf: not node 1, 10.150.0.1 -> 10.150.0.2"$'\n'
grep -q 'node 2, 10.150.0.2 -> 10.150.0.1' <(XFRM_HA_YANG_DIR=$REPO/yang agent/ha-ike-agent \
	--config "$E/readme-ha2.conf" --vrf main --check 2>&1) || bad+="readme-ha2.conf: not node 2, 10.150.0.2 -> 10.150.0.1"$'\n'
block '^\*\*7\. keepalived' '^ha2: the same' README.md >"$E/keepalived-ha1.conf"
sed 's/router_id ha1/router_id ha2/; s/priority 150/priority 100/' "$E/keepalived-ha1.conf" >"$E/keepalived-ha2.conf"
ka_skip=""
if ! command -v keepalived >/dev/null; then
	ka_skip="keepalived missing (make deps)"
elif ! unshare -n true 2>/dev/null; then
	ka_skip="unshare -n refused here"
else
	for f in keepalived-ha1.conf keepalived-ha2.conf; do
		[ "$(grep -c . "$E/$f")" -ge 20 ] || { bad+="$f: not found in the README"$'\n'; continue; }
		out=$(unshare -n sh -c 'ip link add eth1 type veth peer name p1 &&
			ip link add eth2 type veth peer name p2 && keepalived --config-test -f "$1"' \
			sh "$E/$f" 2>&1) || bad+="$f: $out"$'\n'
	done
fi
if [ -n "$bad" ]; then
	fail "examples_valid" "" "$bad"
else
	ok "examples_valid${ka_skip:+ (keepalived not checked: $ka_skip)}"
fi

# ---- dkms_build
kver=$(for h in /usr/src/linux-headers-*-amd64; do [ -d "$h" ] && echo "${h#/usr/src/linux-headers-}"; done | sort -V | tail -n1)
if [ "${XHA_PKG_SKIP_DKMS:-0}" = 1 ]; then
	n=$((n + 1)); echo "ok $n dkms_build # SKIP XHA_PKG_SKIP_DKMS=1"
elif ! command -v dkms >/dev/null; then
	fail "dkms_build" "dkms missing (make deps)"
elif [ -z "$kver" ]; then
	fail "dkms_build" "no kernel headers in /usr/src (make deps)"
else
	T=$TMP/dkms
	mkdir -p "$T"
	out=$(dkms --sourcetree "$D/usr/src" --dkmstree "$T" add -m xfrm-ha -v "$VERSION" 2>&1 &&
		dkms --sourcetree "$D/usr/src" --dkmstree "$T" build -m xfrm-ha -v "$VERSION" \
			-k "$kver" --kernelsourcedir "/usr/src/linux-headers-$kver" 2>&1)
	rc=$?
	ko=$(find "$T/xfrm-ha/$VERSION/$kver" -name 'xfrm_ha.ko*' 2>/dev/null | head -n1)
	if [ $rc -eq 0 ] && [ -n "$ko" ]; then
		ok "dkms_build ($kver)"
	else
		fail "dkms_build" "dkms build for $kver failed" \
			"$(printf '%s\n' "$out" | tail -n 20; cat "$T/xfrm-ha/$VERSION/build/make.log" 2>/dev/null | tail -n 20)"
	fi
fi

echo "# $((n - failed))/$n packaging checks passed"
[ "$failed" = 0 ]
