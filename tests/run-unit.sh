#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run cmocka unit binaries (built with ASan+UBSan); print one summary line.
set -u
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^\[ *(OK|FAILED|PASSED|  ERROR) *\]|^\[  FAILED' || true
	n_ok=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	n_bad=$(printf '%s\n' "$out" | grep -c '^\[  FAILED  \] [a-z_]')
	pass=$((pass + n_ok))
	if [ $rc -ne 0 ] && [ "$n_bad" -eq 0 ]; then
		n_bad=1
		printf '%s\n' "$out" | tail -20
		echo "not ok - $t exited $rc"
	fi
	fail=$((fail + n_bad))
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
