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
/bin/bash "$R/cmd.sh" > "$out" 2> "$err"
rc=$?
echo "SKBTOP-VM-EXIT=$rc" > /dev/console
sync
echo o > /proc/sysrq-trigger
sleep 5
echo b > /proc/sysrq-trigger
