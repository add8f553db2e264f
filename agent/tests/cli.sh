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

cfg() {	# cfg FILE KEYFILE EXTRA
	cat >"$1" <<JSON
{"xfrm-ha:ha": {"node-id": 1, "interface": "hal1", "local-address": "10.150.0.1",
  "remote-address": "10.150.0.2", "port": 4520, "key-file": "$2",
  "role": "active", "seqnum-sync": {"sync-period-time": 1, "sync-period-packets": 2, "oseq-shift": 65536}$3}}
JSON
}

cfg "$T/good.json" "$T/k1" ""
"$AGENT" --config "$T/good.json" --check >"$T/out" 2>&1
ok $? "--check accepts the example configuration"
grep -q "configuration OK" "$T/out"
ok $? "--check says OK"

cfg "$T/bad.json" "$T/k1" ', "bogus": 1'
"$AGENT" --config "$T/bad.json" --check >"$T/out" 2>&1
[ $? = 1 ] && grep -q 'bogus' "$T/out" && grep -q "$T/bad.json" "$T/out"
ok $? "--check refuses an unknown leaf, exit 1, names the leaf and the file"

sed 's/"node-id": 1/"node-id": 16/' "$T/good.json" >"$T/bad2.json"
"$AGENT" --config "$T/bad2.json" --check >"$T/out" 2>&1
[ $? = 1 ] && grep -q '/xfrm-ha:ha/node-id' "$T/out"
ok $? "--check refuses node-id 16 naming the leaf"

chmod 644 "$T/k1"
"$AGENT" --config "$T/good.json" --check >"$T/out" 2>&1
[ $? = 1 ] && grep -q 'group or others' "$T/out"
ok $? "--check refuses a key file readable by others"
chmod 600 "$T/k1"

# The daemon itself refuses a bad configuration before touching anything.
"$AGENT" --config "$T/bad2.json" >"$T/out" 2>&1
[ $? = 1 ] && grep -q 'node-id' "$T/out"
ok $? "the daemon exits 1 on an invalid configuration"

"$AGENT" >/dev/null 2>&1
[ $? = 1 ]
ok $? "no arguments: usage, exit 1"
"$AGENT" --genkey --config x >/dev/null 2>&1
[ $? = 1 ]
ok $? "--genkey with --config: usage, exit 1"
"$AGENT" --help | grep -q -- "--config FILE"
ok $? "--help"

echo "1..$n"
exit $fail
