#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-tun.sh: build two tun.ko for the VM's Linux 7.2 guest kernel, stock
# and with tests/review/tun-napi-cache.patch, as external modules with BTF.
#
#   tests/review/build-tun.sh [-v] [--force]
#
# Prints the two module paths (stock first). Idempotent and cached in
# $SKBTOP_REVIEW_CACHE (default /var/cache/skbtop-review):
#   chroot/        sid, debootstrap minbase + gcc-16 (the guest kernel's
#                  compiler), make, libc6-dev, xz-utils, pahole,
#                  linux-headers-<rel> (+ linux-kbuild), made once (~1 min)
#   src/           drivers/net/tun.c and tun_vnet.h from linux-source-7.2
#   out/<sha>/{stock,patched}/tun.ko
#                  keyed on the sha256 of source, patch, this script and
#                  headers version; rebuilt only when one of them changes
# Needs root (debootstrap, chroot), network for the first run only.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${SKBTOP_REVIEW_CACHE:-/var/cache/skbtop-review}
VMCACHE=${SKBTOP_VM_CACHE:-/var/cache/skbtop-vm}
SRCCACHE=${SKBTOP_SRC_CACHE:-/var/cache/skbtop-src}
MIRROR=${SKBTOP_VM_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
REL=${SKBTOP_REVIEW_RELEASE:-7.2.13+deb14-amd64}
SRCVER=7.2.13-1
PATCH=$HERE/tun-napi-cache.patch
VERBOSE=0
FORCE=0

die() { echo "build-tun: $*" >&2; exit 1; }
log() { [[ $VERBOSE = 0 ]] || echo "build-tun: $*" >&2; }
for a in "$@"; do
	case $a in
	-v) VERBOSE=1 ;;
	--force) FORCE=1 ;;
	-h | --help) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $a" ;;
	esac
done
[[ $(id -u) = 0 ]] || die "needs root (debootstrap, chroot)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

CH=$CACHE/chroot
# ------------------------------------------------------------ chroot
make_chroot() {
	[[ -f $CH/.complete ]] && return 0
	local tmp=$CACHE/chroot.tmp t0=$SECONDS
	rm -rf "$tmp"
	log "debootstrap sid into $tmp"
	debootstrap --variant=minbase --keyring="$KEYRING" \
		--include=gcc-16,make,libc6-dev,xz-utils,pahole,ca-certificates \
		sid "$tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
		{ tail -n5 "$CACHE/debootstrap.log" >&2; die "debootstrap failed; see $CACHE/debootstrap.log"; }
	log "apt-get install linux-headers-$REL in the chroot"
	cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
	echo 'Acquire::Check-Valid-Until "false";' > "$tmp/etc/apt/apt.conf.d/90skbtop"
	if ! chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		sh -c "apt-get -q update && apt-get -q -y --no-install-recommends install linux-headers-$REL" \
		>"$CACHE/headers.log" 2>&1; then
		tail -n5 "$CACHE/headers.log" >&2
		die "installing linux-headers-$REL failed; see $CACHE/headers.log"
	fi
	chroot "$tmp" apt-get clean
	touch "$tmp/.complete"
	rm -rf "$CH" && mv "$tmp" "$CH"
	log "chroot ready in $((SECONDS - t0)) s"
}

# ------------------------------------------------------------ sources
# drivers/net/tun.c and tun_vnet.h from the linux-source-7.2 package
get_sources() {
	local deb tarball t0=$SECONDS
	SRC=$CACHE/src-$SRCVER
	[[ -f $SRC/.complete ]] && return 0
	deb=$SRCCACHE/linux-source-7.2_${SRCVER}_all.deb
	if [[ ! -f $deb ]]; then
		log "downloading linux-source-7.2 $SRCVER"
		mkdir -p "$SRCCACHE"
		local A=(-q -o "Dir::Etc::sourcelist=$VMCACHE/apt/sources.list"
			-o Dir::Etc::sourceparts=- -o "Dir::State=$VMCACHE/apt/state"
			-o "Dir::Cache=$VMCACHE/apt/cache" -o Acquire::Check-Valid-Until=false)
		(cd "$SRCCACHE" && apt-get "${A[@]}" download "linux-source-7.2=$SRCVER") >&2 ||
			die "cannot download linux-source-7.2=$SRCVER (run tests/vm/vm-run --update once?)"
	fi
	tarball=$SRCCACHE/x/usr/src/linux-source-7.2.tar.xz
	if [[ ! -f $tarball ]]; then
		mkdir -p "$SRCCACHE/x"
		dpkg-deb -x "$deb" "$SRCCACHE/x"
	fi
	rm -rf "$SRC.tmp" && mkdir -p "$SRC.tmp"
	log "extracting tun.c, tun_vnet.h from $tarball"
	tar -xJf "$tarball" -C "$SRC.tmp" --strip-components=3 \
		linux-source-7.2/drivers/net/tun.c linux-source-7.2/drivers/net/tun_vnet.h
	touch "$SRC.tmp/.complete"
	rm -rf "$SRC" && mv "$SRC.tmp" "$SRC"
	log "sources in $((SECONDS - t0)) s"
}

# ------------------------------------------------------------ modules
build_one() { # name, with-patch(0/1)
	local name=$1 dir=$CH/build/$1 hdr=/usr/src/linux-headers-$REL
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$SRC/tun.c" "$SRC/tun_vnet.h" "$dir/"
	if [[ $2 = 1 ]]; then
		# drivers/net/tun.c in the patch: strip a/drivers/net/
		patch -s -p3 -d "$dir" --no-backup-if-mismatch < "$PATCH" ||
			die "$PATCH does not apply to tun.c $SRCVER"
	fi
	printf 'obj-m := tun.o\n' > "$dir/Kbuild"
	# Debian's headers ship a BTF-only vmlinux: kbuild's BTF base for the
	# module's split BTF (without module BTF skbtop cannot attach fentry
	# to tun_sendmsg)
	[[ -f $CH$hdr/vmlinux ]] || die "$hdr/vmlinux missing: tun.ko would get no BTF"
	# objtool reads /proc: mount one in a private mount namespace
	unshare --mount --propagation private sh -c \
		'mount -t proc proc "$1/proc" && exec chroot "$1" /usr/bin/env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root make -C "$2" M="$3" modules' \
		sh "$CH" "$hdr" "/build/$name" \
		>"$CACHE/build-$name.log" 2>&1 ||
		{ tail -n 20 "$CACHE/build-$name.log" >&2; die "$name tun.ko build failed; see $CACHE/build-$name.log"; }
	grep -q 'Skipping BTF' "$CACHE/build-$name.log" && die "$name: kbuild skipped module BTF"
	readelf -S "$dir/tun.ko" | grep -q ' \.BTF ' || die "$name tun.ko has no .BTF"
	mkdir -p "$OUTDIR/$name"
	cp "$dir/tun.ko" "$OUTDIR/$name/tun.ko"
	sha256sum "$dir/tun.c" | cut -d' ' -f1 > "$OUTDIR/$name/tun.c.sha256"
}

make_chroot
get_sources
KEY=$( { cat "$SRC/tun.c" "$SRC/tun_vnet.h" "$PATCH" "$0"; echo "$REL";
	chroot "$CH" dpkg-query -W "linux-headers-$REL" gcc-16 pahole; } | sha256sum | cut -c1-16)
OUTDIR=$CACHE/out/$KEY
if [[ $FORCE = 1 || ! -f $OUTDIR/.complete ]]; then
	t0=$SECONDS
	rm -rf "$OUTDIR"
	build_one stock 0
	build_one patched 1
	{
		echo "release=$REL"
		echo "linux_source=$SRCVER"
		chroot "$CH" dpkg-query -W -f='${Package}=${Version}\n' "linux-headers-$REL" \
			"linux-kbuild-${REL%-amd64}" gcc-16 pahole
		echo "patch_sha256=$(sha256sum "$PATCH" | cut -d' ' -f1)"
	} > "$OUTDIR/build-info"
	touch "$OUTDIR/.complete"
	log "both modules built in $((SECONDS - t0)) s"
fi
ln -sfn "$OUTDIR" "$CACHE/out/current"
echo "$OUTDIR/stock/tun.ko"
echo "$OUTDIR/patched/tun.ko"
