#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# Usage: vmlinux/gen-vmlinux.sh [BTF_FILE] [ARCH]
#   BTF_FILE defaults to the running kernel's /sys/kernel/btf/vmlinux.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
arch=${2:-x86}
out=$(dirname "$0")/$arch/vmlinux.h
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from $btf"
