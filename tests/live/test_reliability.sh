#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every reliability test but the soak (tests/reliability/test_*.sh: clean
# detach cycles, error paths, two instances, valgrind, CLI misuse), run in
# the live tier so that make test covers them.
rc=0
for t in "$(dirname "$0")"/../reliability/test_*.sh; do
	echo "# $(basename "$t")"
	sh "$t" || rc=1
done
exit $rc
