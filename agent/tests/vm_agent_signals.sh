#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Development helper, run inside the selftest VM with xfrm_ha.ko loaded:
# two agents in one netns come up, SIGUSR1 logs statistics, a third agent on
# the same address fails to bind, SIGTERM stops both cleanly (exit 0).
#   vm_run KVER check /tmp/console.log /tmp/results.tap ../agent/tests/vm_agent_signals.sh
set -u
AGENT=$(cd "$(dirname "$0")/.." && pwd)/ha-ike-agent
T=$(mktemp -d)
NS=xha-sig
n=0 fail=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
cleanup() { kill -KILL $P1 $P2 2>/dev/null; ip netns del $NS 2>/dev/null; }
P1='' P2=''
trap cleanup EXIT

ip netns add $NS
ip -n $NS link set lo up
ip -n $NS link add xha0 type veth peer name xha1
ip -n $NS addr add 10.9.0.1/24 dev xha0
ip -n $NS addr add 10.9.0.2/24 dev xha1
ip -n $NS link set xha0 up
ip -n $NS link set xha1 up
(umask 077; "$AGENT" --genkey >"$T/key")
for i in 1 2; do
	j=$((3 - i)); state=master; [ $i = 2 ] && state=backup
	cat >"$T/c$i.json" <<JSON
{"xfrm-ha:vrf": [{"name": "main", "ike": {"ha": {"listen-ha-group": "g", "node-id": $i,
  "local-address": "10.9.0.$i", "remote-address": "10.9.0.$j",
  "key-file": "$T/key", "control-socket": "$T/a$i.sock"}}}],
 "xfrm-ha:ha": {"group": [{"name": "g", "static": "$state"}]}}
JSON
done
ip netns exec $NS "$AGENT" --config "$T/c1.json" -v 2>"$T/l1" & P1=$!
ip netns exec $NS "$AGENT" --config "$T/c2.json" -v 2>"$T/l2" & P2=$!
for _ in $(seq 50); do
	grep -q "HA link up" "$T/l1" && grep -q "bulk sync #1 received" "$T/l2" && break
	sleep 0.2
done
grep -q "HA link up" "$T/l1" && grep -q "bulk sync #1 received" "$T/l2"
ok $? "two agents: link up, bulk sync"

ip netns exec $NS "$AGENT" --config "$T/c1.json" 2>"$T/l3"
[ $? = 1 ] && grep -q "EADDRINUSE\|Address already in use" "$T/l3"
ok $? "a second agent on the same address fails to bind, exit 1"

kill -USR1 $P1 $P2
sleep 1
grep -q "stats: link up" "$T/l1" && grep -q "stats: records received" "$T/l2"
ok $? "SIGUSR1 logs statistics"

kill -TERM $P1 $P2
wait $P1; r1=$?
wait $P2; r2=$?
P1='' P2=''
[ $r1 = 0 ] && [ $r2 = 0 ] && grep -q "shutting down" "$T/l1" && grep -q "shutting down" "$T/l2"
ok $? "SIGTERM: clean exit 0 ($r1, $r2)"

for f in "$T"/l1 "$T"/l2 "$T"/l3; do echo "# ==== $f"; sed 's/^/# /' "$f"; done
echo "1..$n"
rm -rf "$T"
exit $fail
