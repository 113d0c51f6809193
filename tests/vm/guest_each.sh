#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In a guest: run test commands in turn, one per argument
# ("tests/vm/guest_vhostpin.sh 20000"); a name without a directory is in
# tests/vm. Prints "# COMMAND" before each and how long it took after, so a
# VM tier log shows where a boot's time went. Exits with the last non-zero
# status of any command (0 when all exited 0).
rc=0
for c in "$@"; do
	case ${c%% *} in
	*/*) cmd=$c ;;
	*) cmd=tests/vm/$c ;;
	esac
	echo "# $cmd"
	t0=$(date +%s)
	# shellcheck disable=SC2086 # a script and its arguments, no blanks inside
	sh $cmd || rc=$?
	echo "# $cmd took $(($(date +%s) - t0)) s"
done
exit $rc
