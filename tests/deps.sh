#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages skbtop needs for one purpose:
#   tests/deps.sh build   build skbtop and the workload generators, run `make demo`
#   tests/deps.sh test    build + what the test tiers, the .deb check and the
#                         benchmarks use
# Idempotent: installs only what is missing.
set -eu
BUILD="make gcc libc6-dev clang bpftool libbpf-dev libelf-dev zlib1g-dev libjansson-dev
libncurses-dev libmicrohttpd-dev"
# llvm: llvm-symbolizer for ASan reports; build-essential (dpkg-buildpackage
# checks it), debhelper, lintian, man-db, strace, systemd (systemd-analyze),
# git: tests/live/test_install.sh; pandoc: the docs tier regenerates the man page
TEST="llvm libcmocka-dev iproute2 procps tmux jq bpftrace qemu-system-x86 busybox-static
xz-utils kmod cpio prometheus curl valgrind cppcheck python3 linux-perf debootstrap
build-essential debhelper lintian man-db strace systemd git pandoc"
case ${1:-} in
build) PKGS=$BUILD ;;
test) PKGS="$BUILD $TEST" ;;
*) echo "usage: tests/deps.sh build|test" >&2; exit 64 ;;
esac
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
