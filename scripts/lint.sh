#!/bin/sh
# checkpatch (strict) and sparse on the module, for every given kernel.
# checkpatch comes from Debian's linux-source-6.12 tarball (make deps).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tools="$top/build/checkpatch"
tarball=$(ls /usr/src/linux-source-6.12.tar.xz 2>/dev/null || true)

if [ ! -x "$tools/scripts/checkpatch.pl" ]; then
	[ -n "$tarball" ] || { echo "lint: install linux-source-6.12 (make deps)" >&2; exit 1; }
	mkdir -p "$tools"
	tar -C "$tools" --strip-components=1 -xJf "$tarball" \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
fi

# Without sparse, kbuild's C=2 fails in a way the filter below would not
# show: the lint would pass having checked nothing.
command -v "${CHECK:-sparse}" >/dev/null ||
	{ echo "lint: sparse missing: run make deps" >&2; exit 1; }

rc=0
echo "== checkpatch"
"$tools/scripts/checkpatch.pl" --no-tree --strict --show-types \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
	-f "$top"/kmod/*.c "$top"/kmod/*.h "$top"/uapi/linux/xfrm_ha.h || rc=1

for kver in "$@"; do
	echo "== sparse, W=1: $kver"
	# Only what points into our sources: the kernel headers have their own.
	out=$(make -s -C "/usr/src/linux-headers-$kver" M="$top/build/$kver" \
		W=1 C=2 modules 2>&1 | grep "/kmod/.*: \(warning\|error\)" || true)
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done
exit $rc
