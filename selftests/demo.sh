#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# selftests/demo.sh [KVER] (make demo): the HA IKE lab with the real
# daemons, narrated, in one VM (the newest installed kernel by default).
#
# Runs selftests/ha_ike_lab.sh --verbose in the VM: keepalived (VRRP) and
# strongSwan's charon with its ha plugin on two gateways ha1/ha2, IKEv2 with
# a remote SecGW and a road warrior, a UDP stream both ways between the two
# sites, then a failover (ha1 crashes), a failback (ha1 reboots and
# preempts once synced) and a second failover, first with xfrm-ha
# (ha-ike-agent on both nodes) then without it. Ends with a failover report
# (timeline, loss per direction, SecGW's replay/ICV drops, the counters
# carried per SA) and a verdict line; exits non-zero if a check failed.
#
# Environment: XHA_VM_SMP, XHA_VM_MEM, XHA_VM_TIMEOUT as for run.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=vm/vm.sh
. "$here/vm/vm.sh"

k=${1:-$(vm_default_kvers | tail -n1)}
if [ -z "$k" ]; then
	echo "demo: no kernel with both /usr/src/linux-headers-*-amd64 and /boot/vmlinuz-*: run make deps" >&2
	exit 1
fi
if ! why=$(vm_preflight "$k"); then
	echo "demo: $why" >&2
	echo "DEMO VERDICT: FAIL ($why)"
	exit 1
fi
for f in agent/ha-ike-agent selftests/udpseq selftests/ha_ike_lab.sh; do
	[ -x "$REPO/$f" ] || echo "demo: warning: $f missing, run make" >&2
done
for f in /usr/lib/ipsec/charon /usr/sbin/swanctl /usr/sbin/keepalived /usr/lib/ipsec/plugins/libstrongswan-ha.so; do
	[ -e "$f" ] || echo "demo: warning: $f missing, run make deps" >&2
done

d=$(vm_outdir demo) || exit 1
cat <<EOF
xfrm-ha HA IKE demo on Linux $k (QEMU, TCG; takes a few minutes)

  site A 10.100.0.64/26           outside 10.200.0.0/24           site B 10.250.0.192/26
  host A --+-- ha1 (VRRP 150) --+-- SecGW 10.200.0.1 (charon) -- host B
           +-- ha2 (VRRP 100) --+-- road warrior (virtual IP from the HA pool)
               HA link 10.150.0.0/24: charon's ha plugin + ha-ike-agent

  keepalived: one sync group, VIPs 10.100.0.65 (inside) and 10.200.0.2 (IKE);
  IKEv2 PSK, ESP AES-GCM with ESN, replay window 1024; udpseq both ways.
  ha1 crashes, reboots and preempts, then is stopped again: with xfrm-ha,
  then with strongSwan's ha plugin alone.

EOF
start=$(date +%s)
vm_run "$k" demo - "$d/results.tap" | tr -d '\r'
rc=${PIPESTATUS[0]}
verdict=$(vm_verdict "$d/results.tap" /dev/null "$rc")
line=$(vm_tap "$d/results.tap" | sed -n 's/^ *# VERDICT: //p' | tail -n1)
echo
echo "# demo took $(($(date +%s) - start))s (log: ${d#"$REPO"/}/results.tap)"
case $verdict in
PASS)
	echo "DEMO VERDICT: PASS: ${line#PASS: }"
	exit 0
	;;
FAIL)
	echo "DEMO VERDICT: FAIL: ${line:-see the 'not ok' lines above}"
	;;
*)
	echo "DEMO VERDICT: FAIL: the VM ended with $verdict (qemu exit $rc)"
	;;
esac
exit 1
