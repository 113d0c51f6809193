#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-tun-series.sh: tun.ko three ways for the kernel tests/vm/build-kernel
# built (linux-source-7.2 with patch 8): stock, with tests/review/patches
# 0001-0007, and with 0001-0009 (8 is in the kernel; 9 calls what it
# exports). External modules built in build-kernel's chroot against its
# object tree, with module BTF.
#
#   tests/review/build-tun-series.sh [-v]
#
# Prints three lines NAME=PATH (stock, 1-7, 1-9). Cached under
# $SKBTOP_VM_CACHE/kbuild/tun/<kernel key>-<sha of the patches>/. Fails
# when the kernel is not built (make review-kernel). Needs root (chroot).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
KB=${SKBTOP_VM_CACHE:-/var/cache/skbtop-vm}/kbuild
CH=$KB/chroot
VERBOSE=0

die() { echo "build-tun-series: $*" >&2; exit 1; }
log() { [[ $VERBOSE = 0 ]] || echo "build-tun-series: $*" >&2; }
for a in "$@"; do
	case $a in
	-v) VERBOSE=1 ;;
	-h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-tun-series: unknown argument $a" >&2; exit 64 ;;
	esac
done
[[ $(id -u) = 0 ]] || die "needs root (chroot)"
K=$("$TOP/tests/vm/build-kernel" --check) || die "no built kernel in the cache: make review-kernel"
KOUT=$(dirname "$(head -n1 <<<"$K")")
TREE=$(cat "$KOUT/tree")
[[ -f $CH/build/$TREE/obj/Module.symvers ]] || die "no object tree $CH/build/$TREE/obj (make review-kernel)"
PATCHES=("$HERE"/patches/000[1-79]-*.patch)
OUT=$KB/tun/$(basename "$KOUT")-$(cat "${PATCHES[@]}" | sha256sum | cut -c1-12)

# build_one NAME LAST: tun.c with patches 0001..LAST applied (0: none)
build_one() {
	local name=$1 last=$2 dir=/build/$TREE/tun-$1 p n
	rm -rf "$CH$dir" && mkdir -p "$CH$dir"
	cp "$CH/build/$TREE/src/drivers/net/tun.c" "$CH/build/$TREE/src/drivers/net/tun_vnet.h" "$CH$dir/"
	for p in "${PATCHES[@]}"; do
		n=${p##*/}
		n=$((10#${n%%-*}))
		[[ $n -le $last ]] || continue
		patch -s -p3 -d "$CH$dir" --no-backup-if-mismatch < "$p" || die "$name: ${p##*/} does not apply"
	done
	printf 'obj-m := tun.o\n' > "$CH$dir/Kbuild"
	log "building $name tun.ko"
	unshare --mount --propagation private sh -c \
		'mount -t proc proc "$0/proc" && exec chroot "$0" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root make -C "$1" M="$2" modules' \
		"$CH" "/build/$TREE/obj" "$dir" > "$OUT.tmp/build-$name.log" 2>&1 ||
		{ tail -n 20 "$OUT.tmp/build-$name.log" >&2; die "$name tun.ko build failed"; }
	grep -q 'Skipping BTF' "$OUT.tmp/build-$name.log" && die "$name: kbuild skipped module BTF"
	readelf -S "$CH$dir/tun.ko" | grep -q ' \.BTF ' || die "$name tun.ko has no .BTF"
	mkdir -p "$OUT.tmp/$name"
	cp "$CH$dir/tun.ko" "$CH$dir/tun.c" "$OUT.tmp/$name/"
}

exec 9>"$KB/.lock"
flock 9
if [[ ! -f $OUT/.complete ]]; then
	rm -rf "$OUT.tmp" && mkdir -p "$OUT.tmp"
	build_one stock 0
	build_one 1-7 7
	build_one 1-9 9
	rm -rf "$OUT" && mv "$OUT.tmp" "$OUT" && touch "$OUT/.complete"
fi
for n in stock 1-7 1-9; do echo "$n=$OUT/$n/tun.ko"; done
