#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stage 2 of the vm-run guest, PID 1 in the host root (read-only 9p, under
# a tmpfs overlay when the kernel has overlayfs).
# vm-run copies it into the per-run directory, mounted at /run/skbtop-vm
# with config (shell variables) and cmd.sh (the command). Prints
# "SKBTOP-VM-EXIT=<status>" on the serial console, then powers off.
R=/run/skbtop-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "skbtop-vm: $*" > /dev/console; }
off() {
	sync
	echo o > /proc/sysrq-trigger
	sleep 5
	echo b > /proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
for d in /tmp /var/tmp /var/log; do
	mount -t tmpfs -o mode=0755 tmpfs "$d"
done
chmod 1777 /tmp /var/tmp

# shellcheck source=/dev/null
. "$R/config"

o=trans=virtio,version=9p2000.L,msize=512000
if [ -n "$SHARE" ]; then
	mkdir -p "$SHARE" 2>/dev/null
	mount -t 9p -o "$o,cache=none" share "$SHARE" || say "cannot mount $SHARE"
fi
# The guest's modules: the host root has no /lib/modules/<guest release>.
# With the overlay root mkdir works; without it, a tmpfs over /lib/modules.
if [ "$MODULES" = 1 ]; then
	mkdir -p "/lib/modules/$(uname -r)" 2>/dev/null || {
		mount -t tmpfs -o mode=0755 tmpfs /lib/modules
		mkdir -p "/lib/modules/$(uname -r)"
	}
	mount -t 9p -o "$o,ro,cache=loose" modules "/lib/modules/$(uname -r)" ||
		say "cannot mount modules"
fi

hostname skbtop-vm 2>/dev/null
ip link set lo up 2>/dev/null
echo 1 > /proc/sys/kernel/sysrq
for m in $LOAD_MODULES; do
	modprobe "$m" 2>/dev/null || say "modprobe $m failed"
done

exec 0</dev/null
# Command output goes to two virtio serial ports, away from kernel messages.
out=/dev/vport0p1
err=/dev/vport0p2
[ -c "$out" ] || out=/dev/console
[ -c "$err" ] || err=/dev/console
echo "SKBTOP-VM-START" > /dev/console
/bin/bash "$R/cmd.sh" > "$out" 2> "$err"
rc=$?
echo "SKBTOP-VM-EXIT=$rc" > /dev/console
off
