#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every test tier this machine can run: unit (no root), live (this kernel),
# VM (Debian kernels under QEMU). Prints one closing line: N passed, N failed.
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0
# one log directory per run: two checkouts testing at once must not share logs
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/skbtop-tiers.XXXXXX") || exit 1
trap 'rm -rf "$LOGS"' EXIT
tier() {
	name=$1; shift
	echo "=== $name"
	t0=$(date +%s)
	"$@" > "$LOGS/$name.log" 2>&1
	rc=$?
	cat "$LOGS/$name.log"
	echo "# tier $name took $(($(date +%s) - t0)) s"
	line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "$LOGS/$name.log" | tail -1)
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; echo "not ok - tier $name printed no summary"; }
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && { f=1; echo "not ok - tier $name exited $rc"; }
	pass=$((pass + p)); fail=$((fail + f))
}
tier unit make --no-print-directory test-unit
tier docs make --no-print-directory test-docs
tier fuzz make --no-print-directory test-fuzz
tier live make --no-print-directory test-live
if [ -x tests/vm/run-tests.sh ]; then
	tier vm make --no-print-directory test-vm
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
