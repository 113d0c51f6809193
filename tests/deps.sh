#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package skbtop builds, tests and benchmarks with.
# Idempotent: installs only what is missing.
set -eu
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libjansson-dev
libncurses-dev libmicrohttpd-dev libcmocka-dev iproute2 procps tmux jq bpftrace
qemu-system-x86 busybox-static xz-utils kmod cpio prometheus curl valgrind
cppcheck python3 linux-perf debootstrap pandoc"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
# tracefs for the csd/ipi tracepoint checks
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
exit 0
