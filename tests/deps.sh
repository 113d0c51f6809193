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
TEST="llvm libcmocka-dev iproute2 procps tmux jq bpftrace busybox-static
xz-utils kmod cpio prometheus curl valgrind cppcheck python3 linux-perf debootstrap
build-essential debhelper lintian man-db strace systemd git pandoc"
case ${1:-} in
build) PKGS=$BUILD ;;
test) PKGS="$BUILD $TEST" ;;
*) echo "usage: tests/deps.sh build|test" >&2; exit 64 ;;
esac
# QEMU for the VM tier: on Debian 12 the one from bookworm-backports (10.0).
# Under bookworm's own QEMU 7.2 about one TCG guest boot in five stalled on
# the int3 of a kernel text patch (tests/vm/README.md); with 10.0, none in
# the 2026-12-03 runs.
qemu_for_tests() {
	[ "$1" = test ] || return 0
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	if [ "$codename" != bookworm ]; then
		PKGS="$PKGS qemu-system-x86"
		return 0
	fi
	v=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
	if [ -n "$v" ] && dpkg --compare-versions "$v" ge 1:10; then
		return 0
	fi
	list=/etc/apt/sources.list.d/skbtop-bookworm-backports.list
	grep -qs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/* ||
		echo "deb http://deb.debian.org/debian bookworm-backports main" > "$list"
	echo "installing: qemu-system-x86 from bookworm-backports"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86
}
qemu_for_tests "$1"
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
