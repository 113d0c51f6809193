#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh: runs inside the Linux 7.2 guest (tests/review/run.sh starts it
# through tests/vm/vm-run, booted with --modprobe "vhost veth" so that no
# tun, tap or vhost_net is loaded yet). For each variant NAME=KO in turn:
# unload vhost_net and tun, insmod KO, load vhost_net (which pulls tap), and
# record the vhost-net TX generator under skbtop:
#
#   tests/review/guest.sh OUTDIR N Q NAME=KO [NAME=KO...]
#
# writes OUTDIR/NAME.json (capture), OUTDIR/NAME-gen.json (the generator's
# line), OUTDIR/NAME-module.txt (what was loaded).
set -euo pipefail

OUT=$1 N=$2 Q=$3
shift 3
cd "$(dirname "$0")/../.."
die() { echo "review guest: $*" >&2; exit 1; }
unload() { local m; for m in vhost_net tun; do
	if [[ -d /sys/module/$m ]]; then rmmod "$m" || die "rmmod $m failed"; fi
done; }

for v in "$@"; do
	name=${v%%=*} ko=${v#*=}
	unload
	insmod "$ko" || die "insmod $ko failed"
	modprobe vhost_net || die "modprobe vhost_net failed"
	# the loaded tun is this file: same GNU build id
	want=$(readelf -n "$ko" 2>/dev/null | sed -n 's/.*Build ID: *//p' || true)
	have=$(od -An -tx1 -v /sys/module/tun/notes/.note.gnu.build-id | tr -d ' \n')
	[[ -n $want && $have = *"$want" ]] || die "$name: loaded tun build id is not $want"
	[[ -e /sys/kernel/btf/tun ]] || die "$name: no /sys/kernel/btf/tun"
	{
		echo "variant=$name"
		echo "module=$ko"
		echo "build_id=$want"
		echo "module_sha256=$(sha256sum "$ko" | cut -d' ' -f1)"
		echo "tainted=$(cat /proc/sys/kernel/tainted)"
		echo "kernel=$(uname -r) $(uname -v)"
		echo "modules=$(lsmod | awk 'NR > 1 && $1 ~ /^(tun|tap|vhost|vhost_net|vhost_iotlb)$/ { print $1 }' | sort | paste -sd,)"
	} > "$OUT/$name-module.txt"
	# A run in which the kernel skipped a BPF program (recursion miss: a
	# preempted tun_sendmsg entry program on the CPU another vhost thread
	# then ran on) is short of whole batches; skbtop records the misses.
	# Such a run is recorded again, up to 3 times, and every attempt is
	# listed in NAME-module.txt.
	for attempt in 1 2 3; do
		echo "review guest: $name: recording vhost_tx --queues $Q --count $N (attempt $attempt)" >&2
		./skbtop record -i 0.5 -o "$OUT/$name.json" -- \
			tests/gen/bin/vhost_tx --queues "$Q" --count "$N" > "$OUT/$name-gen.json" ||
			die "$name: skbtop record or vhost_tx failed"
		cat "$OUT/$name-gen.json" >&2
		missed=$(jq '[.samples[].progs[]? | .misses // 0] | add // 0' "$OUT/$name.json")
		echo "attempt_$attempt=recursion misses $missed" >> "$OUT/$name-module.txt"
		[[ $missed = 0 ]] && break
		echo "review guest: $name: $missed BPF runs skipped; recording again" >&2
	done
done
unload
