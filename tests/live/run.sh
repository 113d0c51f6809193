#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every live test on this kernel; print one summary line.
#   tests/live/run.sh [DIR LABEL]   the test_*.sh of DIR instead, summed as LABEL
set -u
dir=${1:-$(cd "$(dirname "$0")" && pwd)}
label=${2:-live}
pass=0 fail=0
for t in "$dir"/test_*.sh; do
	echo "# $(basename "$t")"
	t0=$(date +%s)
	out=$(timeout 600 sh "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	echo "# $(basename "$t") took $(($(date +%s) - t0)) s"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "not ok - $(basename "$t") exited $rc"
	fi
	pass=$((pass + p)); fail=$((fail + f))
done
echo "$label: $pass passed, $fail failed"
[ $fail -eq 0 ]
