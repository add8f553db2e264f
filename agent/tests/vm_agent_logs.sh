#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Development helper, run inside the selftest VM: the end-to-end failover
# (selftests/e2e_failover.sh) with the agents, then both agents' logs.
#   . selftests/vm/vm.sh
#   vm_run KVER check /tmp/console.log /tmp/results.tap ../agent/tests/vm_agent_logs.sh
cd "$(dirname "$0")/../../selftests" || exit 1
XHA_KEEP_TMP=1 ./e2e_failover.sh "$@"
rc=$?
for f in /tmp/xha-e2e.*/agent-ha*.log; do
	[ -f "$f" ] || continue
	echo "# ==== $f"
	sed 's/^/# /' "$f"
done
exit $rc
