#!/bin/bash
cd "$(dirname "$0")/.." || exit 1
PS4='+ ${EPOCHREALTIME} ${FUNCNAME[0]:-main} ' bash -x ./e2e_failover.sh 2>/tmp/trace.txt
rc=$?
grep -E '^\++ [0-9]+\.[0-9]+ ' /tmp/trace.txt | awk '{ if (prev) { d=$2-pt; if (d>0.3) printf "%.2f %s\n", d, prev } prev=$0; pt=$2 }' | sort -rn | head -40
grep -c . /tmp/trace.txt
exit $rc
