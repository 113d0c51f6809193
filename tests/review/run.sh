#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh: the tun NAPI-cache review scenario, end to end.
#
#   tests/review/run.sh [-n FRAMES_PER_QUEUE] [-q QUEUES] [-o OUTDIR]
#
# 1. tests/review/build-tun.sh: stock and patched tun.ko for the 7.2 guest
#    (cached sid chroot, tests/review/tun-napi-cache.patch)
# 2. one boot of the Debian 7.2 guest (tests/vm/vm-run --kernel-pkg
#    unstable), in which tests/review/guest.sh loads each module in turn and
#    runs `./skbtop record -i 0.5 -o OUT -- tests/gen/bin/vhost_tx
#    --queues Q --count N`
# 3. on the host: skbtop diff stock.json patched.json as text (72 columns)
#    and markdown, tests/review/check.py (exact assertions), README.md
#
# Defaults: N=100000, Q=2, OUTDIR=docs/review. Exit status 0 only when every
# check passes. Needs root (chroot, QEMU, 9p).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
N=100000
Q=2
OUT=$TOP/docs/review
MEM=2048
die() { echo "review: $*" >&2; exit 1; }
while getopts "n:q:o:m:h" o; do
	case $o in
	n) N=$OPTARG ;;
	q) Q=$OPTARG ;;
	o) OUT=$OPTARG ;;
	m) MEM=$OPTARG ;;
	h) sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 64 ;;
	esac
done
[[ $N =~ ^[0-9]+$ && $Q =~ ^[0-9]+$ && $Q -ge 1 ]] || die "bad -n or -q"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case $OUT in "$TOP"/*) ;; *) die "OUTDIR must be inside $TOP (the guest sees only the checkout)" ;; esac

cd "$TOP"
[[ -x ./skbtop ]] || make -s
[[ -x tests/gen/bin/vhost_tx ]] || make -s gen

mapfile -t KO < <("$HERE/build-tun.sh")
[[ ${#KO[@]} = 2 ]] || die "build-tun.sh did not print two modules"
BUILD=$(dirname "$(dirname "${KO[0]}")")

rm -f "$OUT"/{stock,patched}{.json,-gen.json,-module.txt} "$OUT"/diff.{txt,md} "$OUT"/checks.txt
t0=$SECONDS
tests/vm/vm-run --kernel-pkg unstable --modprobe "vhost veth" --mem "$MEM" --timeout 900 -- \
	tests/review/guest.sh "$OUT" "$N" "$Q" "stock=${KO[0]}" "patched=${KO[1]}" ||
	die "guest run failed"
echo "review: guest done in $((SECONDS - t0)) s" >&2

# relative paths: they show in the diff's header
REL_OUT=${OUT#"$TOP"/}
./skbtop diff "$REL_OUT/stock.json" "$REL_OUT/patched.json" --format text > "$OUT/diff.txt"
./skbtop diff "$REL_OUT/stock.json" "$REL_OUT/patched.json" --format markdown > "$OUT/diff.md"
awk 'length > 72 { bad++ } END { exit bad > 0 }' "$OUT/diff.txt" ||
	die "diff.txt has lines over 72 columns"

rc=0
"$HERE/check.py" "$OUT" "$N" "$Q" > "$OUT/checks.txt" || rc=1
cat "$OUT/checks.txt"
"$HERE/readme.sh" "$OUT" "$N" "$Q" "$BUILD" "$rc" > "$OUT/README.md"
exit $rc
