#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh: the whole tun NAPI-cache series reviewed on the kernel the rig
# builds (make review-series).
#
#   tests/review/series.sh [-r R] [-n NPIN] [-s NSHORT] [-c NCONS] [-o OUTDIR]
#
# 1. the cached kernel (tests/vm/build-kernel --check: 7.2.13-skbtop with
#    failslab and patch 8); when it is absent this exits 1 and says to run
#    `make review-kernel` (about 1 h on 2 cores): it is never built here
# 2. tun.ko three ways (tests/review/build-tun-series.sh: stock, 1-7, 1-9;
#    seconds, cached)
# 3. one boot of that kernel per module (tests/vm/vm-run --kernel --modules;
#    a boot that fails is run once more, and the README says so), in which
#    tests/review/series-guest.sh runs R pinned vhost-net
#    TX runs (worker CPU 0, application CPU 1) with tracefs, a failslab
#    short-bulk run with bpftrace, a tap read-back run with bpftrace, TCP
#    through vhost-net both ways (stream, reverse stream, request/response;
#    under skbtop, then R bare runs each), four tun error paths (and a
#    vhost-net RX run when tests/gen/bin/vhost_rx is built)
# 4. on the host: skbtop diff 1-7 vs 1-9 (and stock vs 1-7) of the first
#    pinned run, 72 columns; tests/review/series_check.py (exact
#    reconciliations, the noise verdict) and README.md
#
# Defaults: R=5, NPIN=50000, NSHORT=10000, NCONS=500, OUTDIR=docs/review-series.
# Exit status 0 only when every check passes. Needs root (chroot, QEMU, 9p).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
R=5 NPIN=50000 NSHORT=10000 NCONS=500
OUT=$TOP/docs/review-series
die() { echo "review-series: $*" >&2; exit 1; }
while getopts "r:n:s:c:o:h" o; do
	case $o in
	r) R=$OPTARG ;;
	n) NPIN=$OPTARG ;;
	s) NSHORT=$OPTARG ;;
	c) NCONS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	h) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 64 ;;
	esac
done
for x in "$R" "$NPIN" "$NSHORT" "$NCONS"; do
	[[ $x =~ ^[1-9][0-9]*$ ]] || die "bad count $x"
done
[[ $R -ge 2 ]] || die "-r must be 2 or more (the noise verdict needs repetitions)"
[[ $(id -u) = 0 ]] || die "needs root (chroot, QEMU)"
"$HERE/series_check.py" --selftest > /dev/null || die "series_check.py --selftest failed"

K=$("$TOP/tests/vm/build-kernel" --check) ||
	die "the rig's kernel is not built: run 'make review-kernel' first (about 1 h on 2 cores, cached under ${SKBTOP_VM_CACHE:-/var/cache/skbtop-vm}/kbuild)"
IMAGE=$(sed -n 1p <<<"$K")
MODS=$(sed -n 2p <<<"$K")

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case $OUT in "$TOP"/*) ;; *) die "OUTDIR must be inside $TOP (the guest sees only the checkout)" ;; esac
cd "$TOP"
[[ -x ./skbtop ]] || make -s
[[ -x tests/gen/bin/vhost_tx && -x tests/gen/bin/vhost_tcp ]] || make -s gen

mapfile -t KO < <("$HERE/build-tun-series.sh")
[[ ${#KO[@]} = 3 ]] || die "build-tun-series.sh did not print three modules"

rm -rf "$OUT"/stock "$OUT"/1-7 "$OUT"/1-9 "$OUT"/diff-*.txt "$OUT"/checks.txt "$OUT"/run.txt
# One boot per module: a fresh kernel for each, and a guest stall costs
# one module's runs. Guests under TCG have been caught on a text patch's
# int3 at a tracepoint's static-key site while BPF programs and tracefs
# events were attached and detached (tests/vm/README.md; vm-run stops
# such a guest and says so). Such a boot is run once more, and run.txt
# and the README say so, as for any other failure of a boot (some have died
# under TCG with no message at all); a second failure stops here.
t0=$SECONDS
boots=() retried=() loads=()
for ko in "${KO[@]}"; do
	var=${ko%%=*}
	for attempt in 1 2; do
		log=$(mktemp)
		rc=0
		la0=$(cut -d' ' -f1 /proc/loadavg)
		tests/vm/vm-run --kernel "$IMAGE" --modules "$MODS" --modprobe "vhost veth" \
			--timeout 1500 -- tests/review/series-guest.sh "$OUT" "$R" "$NPIN" "$NSHORT" \
			"$NCONS" "$ko" 2> >(tee "$log" >&2) || rc=$?
		if [[ $rc = 0 ]]; then
			rm -f "$log"
			boots+=("$var:$attempt")
			# the host's 1-min load at the boot's start and end: under TCG a
			# loaded host slows every step of a guest
			loads+=("$var:$la0-$(cut -d' ' -f1 /proc/loadavg)")
			break
		fi
		sleep 1	# the tee drains
		why=$(grep -m1 -o "stalled on a text patch's int3 (.*)" "$log" ||
			grep -m1 -E '^series guest: .*(failed|exited)' "$log" || echo "no message")
		rm -f "$log"
		[[ $attempt = 1 ]] || die "guest run of $var failed twice (vm-run exited $rc: $why)"
		echo "review-series: $var: the guest run failed (vm-run exited $rc: $why); booting it once more" >&2
		retried+=("$var: vm-run exited $rc, $why")
		rm -rf "${OUT:?}/$var"
	done
done
{
	echo "r=$R"
	echo "npin=$NPIN"
	echo "nshort=$NSHORT"
	echo "ncons=$NCONS"
	echo "guest_seconds=$((SECONDS - t0))"
	echo "boots=${boots[*]}"
	echo "host_load=${loads[*]}"
	echo "retried=$(IFS=';'; echo "${retried[*]}")"
	echo "kernel_image=$IMAGE"
	echo "kernel_build_info=$(tr '\n' ' ' < "$(dirname "$IMAGE")/build-info")"
	echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
	echo "skbtop=$(git describe --always --dirty 2>/dev/null || echo '?')"
} > "$OUT/run.txt"
echo "review-series: guest done in $((SECONDS - t0)) s" >&2

# relative paths: they show in the diff's header
REL=${OUT#"$TOP"/}
./skbtop diff "$REL/1-7/pin1.json" "$REL/1-9/pin1.json" --format text > "$OUT/diff-1-7-vs-1-9.txt"
./skbtop diff "$REL/stock/pin1.json" "$REL/1-7/pin1.json" --format text > "$OUT/diff-stock-vs-1-7.txt"
awk 'length > 72 { bad++ } END { exit bad > 0 }' "$OUT"/diff-*.txt ||
	die "a diff has lines over 72 columns"

rc=0
"$HERE/series_check.py" "$OUT" > "$OUT/checks.txt" || rc=1
cat "$OUT/checks.txt"
"$HERE/series_check.py" --readme "$OUT" > "$OUT/README.md" || die "README generation failed"
exit $rc
