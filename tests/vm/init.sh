#!/bin/busybox sh
# shellcheck shell=dash disable=SC2093
# SPDX-License-Identifier: GPL-2.0
# /init of the vm-run initramfs (busybox sh). Loads the few modules 9p needs
# (list in /modules.load, dependency order, already decompressed), mounts the
# host root read-only over 9p, mounts the per-run directory at
# /run/skbtop-vm and hands over to guest.sh in the host root.
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "skbtop-vm init: $*" > /dev/console; }
fail() {
	say "$*"
	echo "SKBTOP-VM-FAIL: $*" > /dev/console
	echo o > /proc/sysrq-trigger
	sleep 5
	echo b > /proc/sysrq-trigger
}

mkdir -p /proc /sys /dev /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

if [ -f /modules.load ]; then
	while read -r m; do
		# EEXIST: built in or loaded already; other errors show up at mount
		insmod "/modules/$m" 2>/dev/null
	done < /modules.load
fi

# The host root, read-only, under a tmpfs overlay when overlayfs is there,
# so that the guest can write anywhere (and create /lib/modules/<release>)
# without touching the host.
o=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /hostroot /rw
mount -t 9p -o "$o,ro,cache=loose" hostroot /hostroot || fail "cannot mount 9p host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
if ! mount -t overlay -o lowerdir=/hostroot,upperdir=/rw/upper,workdir=/rw/work \
	overlay /newroot 2>/dev/null; then
	say "no overlayfs: root is read-only"
	mount --move /hostroot /newroot || fail "cannot move host root"
fi
mount -t tmpfs -o mode=0755 tmpfs /newroot/run || fail "cannot mount /run"
mkdir -p /newroot/run/skbtop-vm
mount -t 9p -o "$o,cache=none" skbtoprun /newroot/run/skbtop-vm || fail "cannot mount run dir"
umount /proc /sys /dev 2>/dev/null
exec switch_root /newroot /bin/sh /run/skbtop-vm/guest.sh
fail "switch_root failed"
