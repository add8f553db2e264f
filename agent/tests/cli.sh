#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The command line: --genkey, --check on good and bad configurations, usage.
# Needs no kernel module: nothing here gets past configuration loading.
set -u
AGENT=${1:-./ha-ike-agent}
T=$(mktemp -d /tmp/xha-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fail=0

ok() {	# ok NAME: previous command's result decides
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# --genkey: 64 hex characters and a newline, different every time.
"$AGENT" --genkey >"$T/k1" && "$AGENT" --genkey >"$T/k2"
ok $? "--genkey exits 0"
grep -Eqx '[0-9a-f]{64}' "$T/k1" && [ "$(wc -c <"$T/k1")" = 65 ]
ok $? "--genkey prints 64 hex characters and a newline"
! cmp -s "$T/k1" "$T/k2"
ok $? "--genkey keys differ"
chmod 600 "$T/k1"

cfg() {	# cfg FILE KEYFILE EXTRA [HA-GROUP-ENTRIES]
	groups=${4:-'{"name": "g", "static": "master"}'}
	cat >"$1" <<JSON
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "g", "node-id": 1,
  "interface": "hal1", "local-address": "10.150.0.1", "remote-address": "10.150.0.2",
  "port": 4520, "key-file": "$2",
  "seqnum-sync": {"oseq-shift": 65536, "sync-period-time": 1, "sync-period-packets": 2}$3}}}],
 "xfrm-ha:ha": {"group": [$groups]}}
JSON
}

cfg "$T/good.json" "$T/k1" ""
"$AGENT" --config "$T/good.json" --check >"$T/out" 2>&1
ok $? "--check accepts the example configuration"
grep -q "configuration OK" "$T/out" && grep -q "HA group g: static master" "$T/out"
ok $? "--check says OK and names the HA group and its controller"

cfg "$T/ka.json" "$T/k1" "" '{"name": "g", "keepalived": {"notify-fifo": "/run/ka.fifo",
  "sync-group": "VPN", "virtual-address": ["192.0.2.1", "2001:db8::1"]}}'
"$AGENT" --config "$T/ka.json" --check >"$T/out" 2>&1 &&
	grep -q "HA group g: keepalived sync group VPN via /run/ka.fifo, 2 virtual address" "$T/out"
ok $? "--check describes a keepalived group"

# The virtual addresses decide a keepalived group's state: one at least.
cfg "$T/kanovip.json" "$T/k1" "" '{"name": "g", "keepalived": {"notify-fifo": "/run/ka.fifo",
  "instance": "VI_1"}}'
"$AGENT" --config "$T/kanovip.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q 'virtual-address' "$T/out"
ok $? "--check refuses a keepalived group without a virtual-address"

cfg "$T/ext.json" "$T/k1" "" '{"name": "g", "external": [null]}'
"$AGENT" --config "$T/ext.json" --check >"$T/out" 2>&1 &&
	grep -q "HA group g: external" "$T/out"
ok $? "--check describes an external group"

# The static role leaf is gone: a configuration that still has it is
# refused, naming the leaf.
cfg "$T/role.json" "$T/k1" ', "role": "active"'
"$AGENT" --config "$T/role.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q '"role"' "$T/out"
ok $? "--check refuses the removed role leaf"

cfg "$T/nogroup.json" "$T/k1" "" '{"name": "h", "static": "master"}'
"$AGENT" --config "$T/nogroup.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q "/xfrm-ha:vrf\[name='main'\]/ike/ha/listen-ha-group" "$T/out"
ok $? "--check refuses a listen-ha-group without its ha group"

cfg "$T/range.json" "$T/k1" ', "pool": [{"name": "p", "address": "10.0.0.1-10.0.0.9"}]'
"$AGENT" --config "$T/range.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q "HA pools take a subnet only" "$T/out"
ok $? "--check refuses a pool range"

# --render-strongswan: charon's ha plugin settings, with a secret derived
# from (not equal to) the link key, the same on both nodes.
cfg "$T/ss.json" "$T/k1" ', "pool": [{"name": "vpn-pool", "address": "10.99.0.0/24"}]'
"$AGENT" --config "$T/ss.json" --render-strongswan >"$T/ss.conf" 2>"$T/out"
ok $? "--render-strongswan exits 0"
grep -q "^ *local = 10.150.0.1$" "$T/ss.conf" && grep -q "^ *remote = 10.150.0.2$" "$T/ss.conf" &&
	grep -q "^ *segment_count = 1$" "$T/ss.conf" && grep -q "^ *monitor = no$" "$T/ss.conf" &&
	grep -q "^ *autobalance = 0$" "$T/ss.conf" && grep -q "^ *vpn-pool = 10.99.0.0/24$" "$T/ss.conf"
ok $? "--render-strongswan: addresses, one segment, no monitor, pools"
secret=$(sed -n 's/^ *secret = //p' "$T/ss.conf")
echo "$secret" | grep -Eqx '[0-9a-f]{64}' && [ "$secret" != "$(cat "$T/k1")" ]
ok $? "--render-strongswan: a 64-hex secret that is not the link key"
sed 's/"node-id": 1/"node-id": 2/; s/"10.150.0.1"/"10.150.0.X"/; s/"10.150.0.2"/"10.150.0.1"/; s/"10.150.0.X"/"10.150.0.2"/' \
	"$T/ss.json" >"$T/ss2.json"
"$AGENT" --config "$T/ss2.json" --render-strongswan >"$T/ss2.conf" 2>"$T/out" &&
	[ "$(sed -n 's/^ *secret = //p' "$T/ss2.conf")" = "$secret" ] &&
	grep -q "^ *local = 10.150.0.2$" "$T/ss2.conf"
ok $? "--render-strongswan: the other node gets the same secret"
"$AGENT" --config "$T/ss.json" --render-strongswan --check >/dev/null 2>&1
[ $? = 64 ]
ok $? "--render-strongswan with --check: usage, exit 64 (EX_USAGE)"

cfg "$T/bad.json" "$T/k1" ', "bogus": 1'
"$AGENT" --config "$T/bad.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q 'bogus' "$T/out" && grep -q "$T/bad.json" "$T/out"
ok $? "--check refuses an unknown leaf, exit 78, names the leaf and the file"

sed 's/"node-id": 1/"node-id": 16/' "$T/good.json" >"$T/bad2.json"
"$AGENT" --config "$T/bad2.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q "/xfrm-ha:vrf\[name='main'\]/ike/ha/node-id" "$T/out"
ok $? "--check refuses node-id 16 naming the leaf"

# --vrf: one file, several VRFs; each agent runs its own.
sed 's/"xfrm-ha:vrf": \[/"xfrm-ha:vrf": [{"name": "blue", "ike": {"ha": {"listen-ha-group": "g", "node-id": 7, "local-address": "10.7.0.1", "remote-address": "10.7.0.2", "key-file": "KEY"}}}, {"name": "red"}, /; s|KEY|'"$T/k1"'|' \
	"$T/good.json" >"$T/vrfs.json"
"$AGENT" --config "$T/vrfs.json" --check >"$T/out" 2>&1 &&
	grep -q "configuration OK (vrf main, node 1, 10.150.0.1" "$T/out"
ok $? "--check without --vrf takes the VRF main"
"$AGENT" --config "$T/vrfs.json" --vrf blue --check >"$T/out" 2>&1 &&
	grep -q "configuration OK (vrf blue, node 7, 10.7.0.1 -> 10.7.0.2" "$T/out"
ok $? "--vrf blue --check takes the VRF blue"
"$AGENT" --config "$T/vrfs.json" --vrf green --check >"$T/out" 2>&1
[ $? != 0 ] && grep -q "vrf\\[name='green'\\]: no such VRF (configured: blue, red, main)" "$T/out"
ok $? "--vrf green: refused, naming the VRF and the configured ones"
"$AGENT" --config "$T/vrfs.json" --vrf red --check >"$T/out" 2>&1
[ $? != 0 ] && grep -q "vrf\\[name='red'\\]/ike/ha: missing" "$T/out"
ok $? "--vrf red (no ike ha): refused"

# Legal but suspicious settings: --check says OK and prints the warnings.
cfg "$T/warn.json" "$T/k1" ', "seqnum-sync": {"oseq-shift": 0, "sync-period-time": 0, "sync-period-packets": 0}' 
sed -i 's/"seqnum-sync": {"oseq-shift": 65536, "sync-period-time": 1, "sync-period-packets": 2}, //' "$T/warn.json"
"$AGENT" --config "$T/warn.json" --check >"$T/out" 2>"$T/err" &&
	grep -q "configuration OK" "$T/out" &&
	grep -q "warning: .*seqnum-sync: sync-period-time and sync-period-packets are both 0" "$T/out" &&
	grep -q "warning: .*seqnum-sync/oseq-shift: 0" "$T/out" && [ ! -s "$T/err" ]
ok $? "--check prints the warnings with its verdict, on stdout only"
"$AGENT" --config "$T/good.json" --check >"$T/out" 2>&1 && ! grep -q warning "$T/out"
ok $? "--check: no warning for a sound configuration"

chmod 644 "$T/k1"
"$AGENT" --config "$T/good.json" --check >"$T/out" 2>&1
[ $? = 78 ] && grep -q 'group or others' "$T/out"
ok $? "--check refuses a key file readable by others"
chmod 600 "$T/k1"

# The daemon itself refuses a bad configuration before touching anything.
"$AGENT" --config "$T/bad2.json" >"$T/out" 2>&1
[ $? = 78 ] && grep -q 'node-id' "$T/out"
ok $? "the daemon exits 78 (EX_CONFIG) on an invalid configuration"

"$AGENT" >"$T/out" 2>&1
[ $? = 78 ] && grep -q /etc/xfrm-ha/xfrm-ha.conf "$T/out"
ok $? "no arguments: the default file /etc/xfrm-ha/xfrm-ha.conf (here missing: exit 78)"
"$AGENT" --genkey --config x >/dev/null 2>&1
[ $? = 64 ]
ok $? "--genkey with --config: usage, exit 64 (EX_USAGE)"
"$AGENT" --config "$T/ss.json" --no-such-option >/dev/null 2>&1
[ $? = 64 ]
ok $? "an unknown option: usage, exit 64"
"$AGENT" --help | grep -q -- "--config FILE"
ok $? "--help"

echo "1..$n"
exit $fail
