#!/bin/busybox sh
# shellcheck shell=dash disable=SC2093
# SPDX-License-Identifier: GPL-2.0
# /init of the vm-run initramfs (busybox sh). Loads the modules 9p needs
# (/modules.load: dependency order, already decompressed), mounts the host
# root read-only over 9p under a tmpfs overlay, mounts everything the guest
# needs below it (busybox here is much faster than the host's mount over 9p
# under TCG), then hands over to guest.sh in the per-run directory.
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "skbtop-vm init: [$(cut -d' ' -f1 /proc/uptime)] $*" > /dev/console; }
fail() {
	say "$*"
	echo "SKBTOP-VM-FAIL: $*" > /dev/console
	echo o > /proc/sysrq-trigger
	sleep 5
	echo b > /proc/sysrq-trigger
}

mkdir -p /proc /sys /dev /newroot /hostroot /rw
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say "start"
if [ -f /modules.load ]; then
	while read -r m; do
		# EEXIST: built in or loaded already; other errors show up at mount
		insmod "/modules/$m" 2>/dev/null
	done < /modules.load
fi

# With overlayfs the guest can write anywhere (and create
# /lib/modules/<release>) without touching the host.
o=trans=virtio,version=9p2000.L,msize=512000
n=/newroot
mount -t 9p -o "$o,ro,cache=loose" hostroot /hostroot || fail "cannot mount 9p host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
if ! mount -t overlay -o lowerdir=/hostroot,upperdir=/rw/upper,workdir=/rw/work \
	overlay $n 2>/dev/null; then
	say "no overlayfs: root is read-only"
	mount --move /hostroot $n || fail "cannot move host root"
fi
mount -t tmpfs -o mode=0755 tmpfs $n/run || fail "cannot mount /run"
mkdir -p $n/run/skbtop-vm
mount -t 9p -o "$o,cache=none" skbtoprun $n/run/skbtop-vm || fail "cannot mount run dir"
# SHARE, MODULES, LOAD_MODULES
# shellcheck source=/dev/null
. $n/run/skbtop-vm/config

mount -t proc proc $n/proc
mount -t sysfs sysfs $n/sys
mount -t devtmpfs devtmpfs $n/dev
mkdir -p $n/dev/pts $n/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $n/dev/pts
mount -t tmpfs tmpfs $n/dev/shm
mount -t tracefs tracefs $n/sys/kernel/tracing
mount -t debugfs debugfs $n/sys/kernel/debug
mount -t bpf bpf $n/sys/fs/bpf
mount -t cgroup2 cgroup2 $n/sys/fs/cgroup
for d in tmp var/tmp var/log; do
	mount -t tmpfs -o mode=1777 tmpfs $n/$d
done
if [ -n "$SHARE" ]; then
	mkdir -p "$n$SHARE" 2>/dev/null
	mount -t 9p -o "$o,cache=none" share "$n$SHARE" || say "cannot mount $SHARE"
fi
# The host root has no /lib/modules/<guest release>. Debian's /lib is a
# relative symlink; resolve an absolute one inside $n.
if [ "$MODULES" = 1 ]; then
	lib=$n/lib
	case $(readlink $n/lib) in /*) lib=$n$(readlink $n/lib) ;; esac
	m=$lib/modules/$(uname -r)
	mkdir -p "$m" 2>/dev/null || {
		mount -t tmpfs -o mode=0755 tmpfs "$lib/modules"
		mkdir -p "$m"
	}
	mount -t 9p -o "$o,ro,cache=loose" modules "$m" || say "cannot mount modules"
fi
hostname skbtop-vm
ip link set lo up
echo 1 > /proc/sys/kernel/sysrq
say "root mounted"
umount /proc /sys /dev 2>/dev/null
exec switch_root $n /bin/sh /run/skbtop-vm/guest.sh
fail "switch_root failed"
