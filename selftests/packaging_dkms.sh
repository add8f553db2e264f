#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # functions called through xha_wait_until
#
# packaging_dkms.sh [--verbose]
#
# DKMS as an operator uses it, inside the selftest VM (the root is a tmpfs
# overlay: installing is harmless), against Debian's headers of the running
# kernel. The build alone takes about 8 minutes under TCG.
#
#  1. install: `make install PREFIX=/usr` (the tree is already built): the
#     module's sources and dkms.conf in /usr/src/xfrm-ha-VERSION.
#  2. dkms_install: dkms add, build and install xfrm-ha/VERSION against
#     the running kernel's headers (/lib/modules/$(uname -r)/build).
#  3. dkms_module: the tree's module unloaded, `modprobe xfrm_ha` loads the
#     DKMS one (updates/dkms) and the genetlink family xfrm_ha appears;
#     unloaded again, asking for the family loads it by its alias.
#  4. dkms_remove: dkms remove, the module gone from /lib/modules; the
#     tree's module is loaded again for the tests that follow.
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_args "$@"

xha_require_root
KVER=$(uname -r)
VERSION=$(cat "$XHA_REPO/VERSION")
TREE_KO=$XHA_REPO/build/$KVER/kmod/xfrm_ha.ko
UNIT=/usr/lib/systemd/system/ha-ike-agent@.service
PLAN=4
DKMS_LOADED=0

cleanup() {
	xha_cleanup
	# Leave the module as guest.sh loaded it: the tree's.
	dkms remove -m xfrm-ha -v "$VERSION" --all >/dev/null 2>&1
	if [ "$DKMS_LOADED" = 1 ] || [ ! -d /sys/module/xfrm_ha ]; then
		for _ in $(seq 50); do
			[ -d /sys/module/xfrm_ha ] || break
			rmmod xfrm_ha 2>/dev/null && break
			sleep 0.2
		done
		insmod "$TREE_KO" 2>/dev/null
	fi
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

# ------------------------------------------------------------ 2. dkms install
t0=$SECONDS
out=$(dkms add -m xfrm-ha -v "$VERSION" 2>&1 &&
	dkms build -m xfrm-ha -v "$VERSION" -k "$KVER" 2>&1 &&
	dkms install -m xfrm-ha -v "$VERSION" -k "$KVER" 2>&1)
rc=$?
dko=$(modinfo -k "$KVER" -n xfrm_ha 2>/dev/null)
say "dkms add/build/install in $((SECONDS - t0)) s: $dko"
say "$(dkms status 2>&1)"
case $rc:$dko in
0:/lib/modules/"$KVER"/updates/dkms/xfrm_ha.ko*)
	ktap_pass "dkms_install: dkms builds and installs xfrm_ha for $KVER" ;;
*)
	say "$(printf '%s\n' "$out" | tail -n 30)"
	say "$(tail -n 30 "/var/lib/dkms/xfrm-ha/$VERSION/build/make.log" 2>/dev/null)"
	ktap_fail "dkms_install: dkms builds and installs xfrm_ha for $KVER" "exit $rc, modinfo: $dko" ;;
esac

# ------------------------------------------------------------ 3. the DKMS module
family() { genl ctrl get name xfrm_ha >/dev/null 2>&1; }
unload() {
	local i
	for i in $(seq 50); do
		[ -d /sys/module/xfrm_ha ] || return 0
		rmmod xfrm_ha 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
# build_id KO: the module file's GNU build id (hex); loaded_id: the loaded
# module's note, in hex (the build id is its tail).
build_id() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*) cat "$1" ;;
	esac >"$XHA_TMP/id.ko" 2>/dev/null
	readelf -n "$XHA_TMP/id.ko" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'
}
loaded_id() { od -An -tx1 /sys/module/xfrm_ha/notes/.note.gnu.build-id 2>/dev/null | tr -d ' \n'; }
is_dkms() { [ -n "$want" ] && case $(loaded_id) in *"$want") true ;; *) false ;; esac; }
want=$(build_id "$dko")
tree=$(build_id "$TREE_KO")
say "build ids: DKMS module $want, tree's $tree, loaded $(loaded_id)"
why=""
unload || why="rmmod of the tree's module failed"
if [ -z "$why" ]; then
	out=$(modprobe -v xfrm_ha 2>&1) || why="modprobe xfrm_ha: $out"
	DKMS_LOADED=1
	say "modprobe -v xfrm_ha: $out"
fi
[ -z "$why" ] && [ "$want" = "$tree" ] && why="the DKMS module and the tree's have the same build id: cannot tell them apart"
[ -z "$why" ] && ! is_dkms && why="the loaded module is not the DKMS one (build id $(loaded_id))"
[ -z "$why" ] && ! family && why="no genetlink family xfrm_ha after modprobe"
[ -z "$why" ] && ! "$XHA_CLI" show stats >/dev/null 2>&1 && why="ha-ike show stats failed"
if [ -z "$why" ]; then
	unload || why="rmmod of the DKMS module failed"
	# The family's alias (MODULE_ALIAS_GENL_FAMILY) in the DKMS module's
	# modules.alias entry: asking for the family loads it.
	[ -z "$why" ] && ! family && why="asking for the family did not load the module"
	[ -z "$why" ] && ! is_dkms && why="the module loaded by alias is not the DKMS one"
fi
ktap_result "$([ -z "$why" ]; echo $?)" "dkms_module: modprobe loads the DKMS module, the family appears (and loads it by alias)" "$why"

# ------------------------------------------------------------ 4. dkms remove
why=""
unload || why="rmmod failed; "
out=$(dkms remove -m xfrm-ha -v "$VERSION" --all 2>&1) || why+="dkms remove: $out; "
ls /lib/modules/"$KVER"/updates/dkms/xfrm_ha.ko* >/dev/null 2>&1 && why+="the module is still installed; "
insmod "$TREE_KO" || why+="insmod of the tree's module failed; "
DKMS_LOADED=0
ktap_result "$([ -z "$why" ]; echo $?)" "dkms_remove: dkms remove uninstalls the module" "$why"

ktap_finish
