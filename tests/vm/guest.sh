#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage 2 of the vm-run guest: PID 1 in the host root (9p, read-only under a
# tmpfs overlay), everything mounted by init.sh. vm-run copies it into the
# per-run directory (/run/skbtop-vm) with config and cmd.sh. Loads the
# modules, runs the command with its stdout and stderr on two virtio serial
# ports, prints "SKBTOP-VM-EXIT=<status>" on the console, powers off.
R=/run/skbtop-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "skbtop-vm: [$(cut -d' ' -f1 /proc/uptime)] $*" > /dev/console; }

# shellcheck source=/dev/null
. "$R/config"
if [ -n "$LOAD_MODULES" ]; then
	# shellcheck disable=SC2086 # a list
	modprobe -a $LOAD_MODULES || say "modprobe $LOAD_MODULES failed"
	say "modules loaded"
fi

exec 0</dev/null
out=/dev/vport0p1
err=/dev/vport0p2
[ -c "$out" ] || out=/dev/console
[ -c "$err" ] || err=/dev/console
echo "SKBTOP-VM-START $(cut -d' ' -f1 /proc/uptime)" > /dev/console
# A hang leaves a trace: 20 s before vm-run's limit (counted from boot),
# the user processes with their wait channels and the blocked tasks'
# kernel stacks go to the console, whose tail vm-run prints.
wd=
if [ "${TIMEOUT:-0}" -gt 60 ]; then
	(
		up=$(cut -d. -f1 /proc/uptime)
		sleep $((TIMEOUT - 20 - up))
		say "watchdog: the command still runs; tasks follow"
		ps -eo pid,ppid,stat,wchan:28,etime,args | grep -v ' \[' > /dev/console 2>&1
		echo w > /proc/sysrq-trigger
	) &
	wd=$!
fi
/bin/bash "$R/cmd.sh" > "$out" 2> "$err"
rc=$?
[ -z "$wd" ] || kill "$wd" 2>/dev/null
echo "SKBTOP-VM-EXIT=$rc" > /dev/console
sync
echo o > /proc/sysrq-trigger
sleep 5
echo b > /proc/sysrq-trigger
