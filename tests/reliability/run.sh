#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every reliability test but the soak (tests/reliability/soak.sh); one
# summary line. make test-live runs test_cycles.sh through
# tests/live/test_reliability.sh.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
for t in "$dir"/test_*.sh; do
	echo "# $(basename "$t")"
	out=$(timeout 600 sh "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "not ok - $(basename "$t") exited $rc"
	fi
	pass=$((pass + p)); fail=$((fail + f))
done
echo "reliability: $pass passed, $fail failed"
[ $fail -eq 0 ]
