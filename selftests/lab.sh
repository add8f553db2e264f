#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# selftests/lab.sh [KVER] (make lab): the failover lab, narrated.
#
# Boots one VM (the newest installed kernel by default) in QEMU, loads
# xfrm_ha.ko and runs selftests/e2e_failover.sh --verbose there: two HA
# gateways ha1/ha2 sharing IPsec SAs with a remote peer, ha-ike-agent
# syncing ESP sequence numbers over the HA link, a failover from ha1 to ha2,
# then the same failover without the agents. Prints the SAs, the counters
# on both nodes, the peer's /proc/net/xfrm_stat before and after, and a
# final verdict line. Exit status 0 if the lab passed.
#
# Environment: XHA_VM_SMP, XHA_VM_MEM, XHA_VM_TIMEOUT as for run.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm/vm.sh
. "$here/vm/vm.sh"

k=${1:-$(vm_default_kvers | tail -n1)}
if [ -z "$k" ]; then
	echo "lab: no kernel with both /usr/src/linux-headers-*-amd64 and /boot/vmlinuz-*: run make deps" >&2
	exit 1
fi
if ! why=$(vm_preflight "$k"); then
	echo "lab: $why" >&2
	echo "LAB VERDICT: FAIL ($why)"
	exit 1
fi
for f in agent/ha-ike-agent selftests/e2e_failover.sh; do
	[ -x "$REPO/$f" ] || echo "lab: warning: $f missing, run make" >&2
done

d=$(vm_outdir lab) || exit 1
cat <<EOF
xfrm-ha lab on Linux $k (QEMU, TCG; takes a minute or two)

  ha1 (active) --+                    HA link 10.150.0.0/24: ha-ike-agent on
  ha2 (backup) --+-- bridge -- peer   ha1 publishes ESP sequence numbers,
                                      ha2's agent writes them to its SAs
  service address 10.0.0.1 on ha1; 4 SA pairs (legacy, bmp, esn, esn near
  2^32) between 10.0.0.1 and the peer 10.0.0.2, identical on ha1 and ha2.
  Then ha1 dies and 10.0.0.1 moves to ha2: does the peer accept ha2's ESP?

EOF
start=$(date +%s)
vm_run "$k" lab - "$d/results.tap" | tr -d '\r'
rc=${PIPESTATUS[0]}
verdict=$(vm_verdict "$d/results.tap" /dev/null "$rc")
line=$(vm_tap "$d/results.tap" | sed -n 's/^ *# VERDICT: //p' | tail -n1)
echo
echo "# lab took $(($(date +%s) - start))s"
case $verdict in
PASS)
	echo "LAB VERDICT: PASS: ${line#PASS: }"
	exit 0
	;;
FAIL)
	echo "LAB VERDICT: FAIL: ${line:-see the 'not ok' lines above}"
	;;
*)
	echo "LAB VERDICT: FAIL: the VM ended with $verdict (qemu exit $rc)"
	;;
esac
exit 1
