#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# ynl_spec.sh: Documentation/netlink/specs/xfrm_ha.yaml describes the family
# the loaded module registers. Run as root with xfrm_ha.ko loaded (inside the
# selftest VM).
#
#  1. schema: the spec is valid against the kernel's genetlink-legacy schema
#     (from /usr/src/linux-source-6.12.tar.xz, with python3-jsonschema).
#  2. policies: ynl_spec.py dumps the family's policies through nlctrl
#     (CTRL_CMD_GETPOLICY, for the family and for each op) and its ops
#     (CTRL_CMD_GETFAMILY) and compares every op's flags, do/dump, and every
#     attribute's type, range or lengths, nesting and refusal (read-only)
#     with the spec. XFRM_HA_A_BATCH is parsed by hand in the kernel (no
#     nested policy to dump): parts 4 and 5 check its content.
#  3. mutations: the same check on scratch copies of the spec, each with one
#     disagreement (a range, a read-only attribute made writable, a flag, a
#     length), must fail and name the attribute: the check can fail.
#  4. YNL CLI: the kernel's tools/net/ynl/cli.py (6.12 tarball, extracted
#     into the guest's /tmp) drives the family with the spec: config-get,
#     config-set (and an out-of-range value refused), sa-get dump and do,
#     a batch sa-set with a result per record.
#  5. read-only through the CLI: a request with replay-window in its sa
#     nest, in the batch or alone, is refused.
#
# XHA_YNL_SPEC=FILE checks FILE instead of the repository's spec (e.g. a
# scratch copy with a range changed: part 2 must then fail).
set -u

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

xha_require_root

SPEC=${XHA_YNL_SPEC:-$XHA_REPO/Documentation/netlink/specs/xfrm_ha.yaml}
CHECK=$XHA_SELFTESTS/ynl_spec.py
TARBALL=${XHA_LINUX_SOURCE:-/usr/src/linux-source-6.12.tar.xz}
TOP=linux-source-6.12
NS="ynl-spec"
PLAN=11

cleanup() {
	ip netns del "$NS" 2>/dev/null
	[ -n "$XHA_TMP" ] && rm -rf "$XHA_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

xha_tmp_init
ktap_header
ktap_plan $PLAN

if ! grep -qw xfrm_ha /proc/modules; then
	for ((i = 0; i < PLAN; i++)); do ktap_skip "ynl_spec" "xfrm_ha not loaded"; done
	ktap_finish
	exit $?
fi

# The schema and the YNL CLI from the kernel source tarball, into /tmp:
# ynl_spec.py extract decompresses only the xz blocks that hold them (a
# plain xz | tar takes minutes under TCG), xz | tar if that fails.
schema=$XHA_TMP/src/$TOP/Documentation/netlink/genetlink-legacy.yaml
ynl=$XHA_TMP/src/$TOP/tools/net/ynl
members=("$TOP/Documentation/netlink/genetlink-legacy.yaml" "$TOP/tools/net/ynl/cli.py"
	"$TOP/tools/net/ynl/lib/")
if [ -r "$TARBALL" ]; then
	t0=$(date +%s%N)
	mkdir -p "$XHA_TMP/src"
	if ! out=$(python3 "$CHECK" extract "$TARBALL" "$XHA_TMP/src" "${members[@]}" 2>&1); then
		out+=$'\n'"falling back to xz | tar"
		xz -dc "$TARBALL" 2>/dev/null | tar -x -C "$XHA_TMP/src" --wildcards \
			"${members[@]/%\//\/*}" 2>/dev/null
	fi
	ktap_diag "$out"
	ktap_diag "from $TARBALL in $((($(date +%s%N) - t0) / 1000000)) ms"
fi

# --- 1. schema
if [ ! -r "$schema" ]; then
	ktap_skip "schema: the spec is valid genetlink-legacy" "no $TARBALL or no schema in it"
elif ! python3 -c 'import jsonschema' 2>/dev/null; then
	ktap_skip "schema: the spec is valid genetlink-legacy" "python3-jsonschema missing"
else
	out=$(python3 "$CHECK" schema "$SPEC" "$schema" 2>&1)
	rc=$?
	ktap_diag "$(tail -5 <<<"$out")"
	ktap_result $rc "schema: the spec is valid genetlink-legacy"
fi

# --- 2. policies
t0=$(date +%s%N)
out=$(python3 "$CHECK" check "$SPEC" --hand-parsed sa-set:batch 2>&1)
rc=$?
ktap_diag "$out"
ktap_diag "policy check: $((($(date +%s%N) - t0) / 1000000)) ms"
ktap_result $rc "policies: every op and attribute of the kernel matches the spec"

# --- 3. mutations
# mutate NAME PYTHON-EXPR PATTERN: the check on a copy of the spec with the
# change (applied to the parsed YAML y) must fail naming PATTERN.
mutate() {
	local name=$1 expr=$2 pat=$3 mut=$XHA_TMP/mut-$1.yaml out rc
	python3 -c "
import sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
sets = {s['name']: s for s in y['attribute-sets']}
ops = {o['name']: o for o in y['operations']['list']}
def attr(s, n): return [a for a in sets[s]['attributes'] if a['name'] == n][0]
$expr
yaml.safe_dump(y, open(sys.argv[2], 'w'), sort_keys=False)
" "$SPEC" "$mut" || { ktap_fail "mutation $name" "could not write the copy"; return; }
	out=$(python3 "$CHECK" check "$mut" --hand-parsed sa-set:batch 2>&1)
	rc=$?
	ktap_diag "$(grep MISMATCH <<<"$out" | head -3)"
	[ $rc = 1 ] && grep -q "MISMATCH.*$pat" <<<"$out"
	ktap_result $? "mutation $name: the check fails on $pat"
}
mutate range "attr('cfg', 'scan-interval-ms')['checks']['max'] = 60001" \
	"scan-interval-ms"
mutate read-only "sets['sa-request']['attributes'].append({'name': 'saddr'})" \
	"sa.saddr"
mutate flag "ops['config-set']['flags'] = ['admin-perm']" "config-set: flags"
mutate length "attr('sa', 'bitmap')['checks']['max-len'] = 1024" "sa.bitmap"

# --- 4. the YNL CLI
ynl_ok=0
if [ -r "$ynl/cli.py" ] && [ -r "$ynl/lib/ynl.py" ]; then
	ynl_ok=1
else
	why="no $TARBALL or no tools/net/ynl in it"
fi

# cli ARGS...: the YNL CLI in $NS, JSON on stdout.
cli() {
	local s=(--no-schema)
	[ -r "$schema" ] && s=(--schema "$schema")
	nsx "$NS" python3 "$ynl/cli.py" --spec "$SPEC" "${s[@]}" --output-json "$@"
}
# sa SPI [EXTRA-JSON]: the JSON of an sa nest naming the ESP SA to
# 10.77.0.2 with SPI (decimal), plus EXTRA ("oseq": 5, ...).
sa() { echo "{\"family\": 2, \"daddr\": \"0a4d0002\", \"spi\": $1, \"proto\": 50${2:+, $2}}"; }

SPI=4660	# 0x1234, as the CLI prints it (display-hint hex)
if [ $ynl_ok = 1 ]; then
	ip netns add "$NS"
	ip -n "$NS" xfrm state add src 10.77.0.1 dst 10.77.0.2 proto esp spi $SPI reqid 1 \
		mode tunnel aead 'rfc4106(gcm(aes))' "$(xha_key 1)" 128 replay-window 32

	out=$(cli --do config-get 2>&1)
	vsay "$out"
	jq -e '.config["scan-interval-ms"] > 0 and .stats["entry-bytes"] > 0' \
		<<<"$out" >/dev/null
	ktap_result $? "cli: --do config-get decodes config and stats"

	cli --do config-set --json '{"config": {"sync-time-ms": 4321}}' >/dev/null 2>&1
	rc=$?
	out=$(cli --do config-get 2>&1)
	jq -e '.config["sync-time-ms"] == 4321' <<<"$out" >/dev/null || rc=1
	out=$(cli --do config-set --json '{"config": {"scan-interval-ms": 60001}}' 2>&1)
	ktap_diag "out of range: $(head -c 300 <<<"$out")"
	grep -q "Numerical result out of range\|error.*34" <<<"$out" || rc=1
	ktap_result $rc "cli: --do config-set writes, refuses scan-interval-ms 60001 (ERANGE)"

	out=$(cli --dump sa-get 2>&1)
	vsay "$out"
	jq -e "[.[].sa[]] | map(select(.spi == \"0x1234\" and .proto == 50 and
		.daddr == \"0a4d0002\" and .saddr == \"0a4d0001\" and
		.[\"replay-window\"] == 32)) | length == 1" <<<"$out" >/dev/null
	ktap_result $? "cli: --dump sa-get lists the SA (spi, addresses, replay-window)"

	out=$(cli --do sa-set --json "{\"batch\": {\"sa\": [$(sa $SPI '"oseq": 100, "seq": 7'),
		$(sa $((SPI + 1)) '"oseq": 1')]}}" 2>&1)
	ktap_diag "batch reply: $(head -c 300 <<<"$out")"
	jq -e '.result | length == 2 and .[0].index == 0 and .[0].error == 0 and
		.[1].index == 1 and .[1].error == 2 and (.[1].msg | test("no such SA"))' \
		<<<"$out" >/dev/null
	rc=$?
	out=$(cli --do sa-get --json "{\"sa\": $(sa $SPI)}" 2>&1)
	vsay "$out"
	jq -e '.sa[0].oseq == 100 and .sa[0].seq == 7 and .sa[0]["replay-mode"] == "legacy"' \
		<<<"$out" >/dev/null || rc=1
	ktap_result $rc "cli: a batch sa-set, a result per record; --do sa-get reads it back"

	# --- 5. read-only attributes through the CLI
	out=$(cli --do sa-get --json "{\"sa\": $(sa $SPI '"replay-window": 64')}" 2>&1)
	ktap_diag "read-only: $(head -c 300 <<<"$out")"
	grep -q "Invalid argument\|error.*22" <<<"$out"
	rc=$?
	out=$(cli --do sa-set --json "{\"batch\": {\"sa\": [$(sa $SPI '"oseq": 200, "saddr": "0a4d0001"')]}}" 2>&1)
	ktap_diag "read-only in a batch: $(head -c 300 <<<"$out")"
	jq -e '.result[0].error == 22' <<<"$out" >/dev/null || rc=1
	ktap_result $rc "cli: replay-window and saddr are read-only (EINVAL), in a batch too"
else
	for t in "config-get" "config-set" "dump sa-get" "batch sa-set" "read-only"; do
		ktap_skip "cli: $t" "$why"
	done
fi

ktap_finish
