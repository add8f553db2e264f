#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ha-ike against an agent that is stuck (its event loop wedged): a control
# socket that listens but never accepts, its backlog full. ha-ike must give
# up with exit status 3 within its 10 s timeout, not wait for ever in
# connect(). No agent and no kernel needed.
set -u
DIR=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/xha-stuck.XXXXXX)
trap 'kill "$LPID" 2>/dev/null; rm -rf "$T"' EXIT
LPID=

python3 - "$T/agent.sock" "$T/ready" <<'PY' &
import os, socket, sys, time
path, ready = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path)
srv.listen(0)
held = []
while True:  # fill the backlog: the next connect() would block
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.setblocking(False)
    try:
        c.connect(path)
    except BlockingIOError:
        break
    held.append(c)
open(ready, "w").close()
time.sleep(120)
PY
LPID=$!
for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done

echo "1..1"
t0=$SECONDS
out=$(timeout 40 "$DIR/tools/ha-ike" -s "$T/agent.sock" show state 2>&1)
rc=$?
took=$((SECONDS - t0))
if [ $rc -eq 3 ] && [ $took -le 15 ]; then
	echo "ok 1 stuck agent: exit 3 after ${took} s ($out)"
	exit 0
fi
echo "not ok 1 stuck agent: exit $rc after ${took} s (want 3 within 15 s; 124: still waiting at 40 s): $out"
exit 1
