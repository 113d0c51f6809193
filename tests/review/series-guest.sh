#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series-guest.sh: runs inside the guest on the kernel tests/vm/build-kernel
# built (7.2.13-skbtop: failslab, patch 8), started by tests/review/series.sh
# through tests/vm/vm-run with --modprobe "vhost veth" (no tun yet). For
# each variant NAME=KO in turn (stock, 1-7, 1-9): rmmod vhost_net tun,
# insmod KO, modprobe vhost_net, check the loaded tun's build id, then
#
#   pin1..pinR  skbtop record -i 0.25 -- vhost_tx --queues 1 --count NPIN
#               --worker-cpu 0 --app-cpu 1 (the deferred-free IPI scenario),
#               with a tracefs instance recording csd_queue_cpu and
#               ipi_send_cpu in the same window (the independent count);
#   short       failslab on skbuff_head_cache (probability 50) during
#               skbtop record -- vhost_tx --count NSHORT, bpftrace counting
#               napi_skb_cache_get_bulk()'s asked and returned heads (only
#               variants with patch 5; stock has no bulk get);
#   consume     skbtop record -- tap_flood --queues 2 --count NCONS (frames
#               read back from the tap with read(2): tun_do_read()), bpftrace
#               counting napi_consume_skb() with a non-zero budget outside
#               softirq (its own softirq_entry/exit flag) in the same window;
#   drops       skbtop record -L over five generators that drive tun's error
#               paths (patches 1 to 4): tap_flood --read-error einval and
#               efault (tun_do_read()), vhost_tx --bad-gso, --runt 10 and
#               --napi --detach (tun_xdp_one()), NDROP frames a queue, 2
#               queues; bpftrace
#               counting skb:kfree_skb per (device, reason) on their devices;
#               reason ids from the kernel's BTF in drops-reasons.txt;
#   tcp         one TCP connection through vhost-net both ways
#               (tests/gen/bin/vhost_tcp, vhost workers on CPU 0, relay,
#               client and server on CPU 1), R times each under skbtop
#               record -i 0.25: --stream NTCP bytes (data through vhost TX,
#               ACKs through RX), the same --reverse (data through RX), and
#               --rr NRR one-byte transactions (the client's latency); then
#               R bare streams and R bare rr runs with nothing attached
#               (throughput and latency under TCG, for the noise verdict);
#   rx          only when tests/gen/bin/vhost_rx exists (vhost-net RX, the
#               read path patch 7 changes): skbtop record -- vhost_rx
#               --queues 1 --count NPIN --worker-cpu 0 --app-cpu 1 (a failure
#               there is written to rx-failed.txt, a failed check, and the
#               run goes on).
#
#   tests/review/series-guest.sh OUTDIR R NPIN NSHORT NCONS NAME=KO...
#
# SERIES_STEPS (default "pin short consume tcp drops rx") runs only those
# steps, in that order (for a look at one scenario; series.sh runs all).
#
# Writes OUTDIR/NAME/{module.txt, pinI.json, pinI-gen.json,
# pinI-trace.txt.gz, short.json, short-gen.json, short.bt, consume.json,
# consume-gen.json, consume.bt, tcp{,rev,rr}I.json, tcp{,rev,rr}I-gen.json,
# tcpbareI-gen.json, tcprrbareI-gen.json, drops.json,
# drops-{einval,efault,gso,runt,detach}.json,
# drops.bt, drops-reasons.txt[, rx.json, rx-gen.json]}. The trace files
# hold one line per event: "CPU FLAGS q TARGET FUNC" (csd_queue_cpu) or
# "CPU FLAGS i TARGET CALLBACK" (ipi_send_cpu), FLAGS being the trace's
# context flags; tests/review/series_check.py reads them.
set -uo pipefail

OUT=$1 R=$2 NPIN=$3 NSHORT=$4 NCONS=$5
shift 5
cd "$(dirname "$0")/../.." || exit 1
SKBTOP=./skbtop GEN=tests/gen/bin
STEPS=${SERIES_STEPS:-pin short consume tcp drops rx}
WCPU=0 ACPU=1
T=/sys/kernel/tracing
FS=/sys/kernel/debug/failslab
FSC=/sys/kernel/slab/skbuff_head_cache/failslab
die() { echo "series guest: $*" >&2; exit 1; }
log() { echo "series guest: $*" >&2; }
unload() { local m; for m in vhost_net tun; do
	if [[ -d /sys/module/$m ]]; then rmmod "$m" || die "rmmod $m failed"; fi
done; }
disarm() { [[ -e $FSC ]] && echo 0 > $FSC; [[ -d $FS ]] && echo 0 > $FS/probability; true; }
trap disarm EXIT
misses() { jq '[.samples[].progs[]? | .misses // 0] | add // 0' "$1"; }

[[ $(nproc) -ge 2 ]] || die "needs 2 CPUs"
[[ -e $FSC && -d $FS ]] || die "no failslab in this kernel (tests/vm/kernel.config)"

# pin VAR DIR I: one pinned vhost-net TX run under skbtop record and tracefs
pin() {
	local var=$1 d=$2 i=$3 inst=$T/instances/skbtop-series.$$ e rc attempt
	for attempt in 1 2 3; do
		mkdir "$inst" || die "tracefs instance"
		echo 16384 > "$inst/buffer_size_kb"
		for e in csd/csd_queue_cpu ipi/ipi_send_cpu; do echo 1 > "$inst/events/$e/enable"; done
		echo 1 > "$inst/tracing_on"
		"$SKBTOP" record -i 0.25 -o "$d/pin$i.json" -- \
			"$GEN/vhost_tx" --queues 1 --count "$NPIN" --worker-cpu $WCPU --app-cpu $ACPU \
			> "$d/pin$i-gen.json"
		rc=$?
		echo 0 > "$inst/tracing_on"
		# a lost event would make the independent count wrong: kept as a line
		grep -c LOST "$inst/trace" | sed 's/^/# lost /' > "$d/pin$i-trace.txt"
		# CPU, the context flags (3rd char: . task, s softirq, h/H hardirq,
		# z/Z NMI), event, target, csd func or IPI callback
		awk '{ for (k = 1; k <= NF; k++) if ($k ~ /^\[[0-9]+\]$/) { c = substr($k, 2) + 0; fl = $(k + 1); break } }
			/ csd_queue_cpu: / { match($0, /cpu=[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
				match($0, /func=[^ ,+]+/); print c, fl, "q", t, substr($0, RSTART + 5, RLENGTH - 5); next }
			/ ipi_send_cpu: / { match($0, /cpu=[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
				match($0, /callback=[^ ,+]+/); print c, fl, "i", t, substr($0, RSTART + 9, RLENGTH - 9) }' \
			"$inst/trace" >> "$d/pin$i-trace.txt"
		for e in csd/csd_queue_cpu ipi/ipi_send_cpu; do echo 0 > "$inst/events/$e/enable"; done
		rmdir "$inst"
		gzip -9nf "$d/pin$i-trace.txt"
		[[ $rc = 0 ]] || die "$var: pin$i: skbtop record or vhost_tx exited $rc"
		log "$var: pin$i: $(tail -n1 "$d/pin$i-gen.json")"
		# a run in which the kernel skipped a BPF program is recorded again
		m=$(misses "$d/pin$i.json")
		echo "pin${i}_attempt_$attempt=recursion misses $m" >> "$d/module.txt"
		[[ $m = 0 ]] && return 0
		log "$var: pin$i: $m BPF runs skipped; recording again"
	done
}

short() {
	local var=$1 d=$2
	echo Y > $FS/cache-filter
	echo 1 > $FS/interval
	echo -1 > $FS/times
	echo 0 > $FS/space
	echo 0 > $FS/verbose
	echo 1 > $FSC
	echo 50 > $FS/probability
	bpftrace -e '
	kretfunc:napi_skb_cache_get_bulk { @calls = count(); @asked = sum(args->n); @got = sum(retval);
		if (retval < args->n) { @short = count(); } }' \
		-c "$SKBTOP record -i 1 -o $d/short.json -- $GEN/vhost_tx --queues 1 --count $NSHORT" \
		> "$d/short.bt" 2>&1
	local rc=$?
	disarm
	grep '^{' "$d/short.bt" | tail -n1 > "$d/short-gen.json"
	[[ $rc = 0 && -s $d/short-gen.json ]] || die "$var: short: bpftrace/skbtop/vhost_tx failed: $(tail -n3 "$d/short.bt")"
	log "$var: short: $(cat "$d/short-gen.json")"
}

consume() {
	local var=$1 d=$2 ifn=skbser0 rc
	bpftrace -e "
	tracepoint:irq:softirq_entry { @sirq[cpu] = 1; }
	tracepoint:irq:softirq_exit { @sirq[cpu] = 0; }
	kfunc:napi_consume_skb /args->budget != 0 && args->skb != 0/ {
		if (@sirq[cpu]) { @napi = count(); }
		else {
			@task = count();
			if (args->skb->dev->name == \"$ifn\") { @tap = count(); }
		}
	}
	END { clear(@sirq); }" \
		-c "$SKBTOP record -i 1 -o $d/consume.json -- $GEN/tap_flood --queues 2 --count $NCONS --ifname $ifn" \
		> "$d/consume.bt" 2>&1
	rc=$?
	grep '^{' "$d/consume.bt" | tail -n1 > "$d/consume-gen.json"
	[[ $rc = 0 && -s $d/consume-gen.json ]] || die "$var: consume: bpftrace/skbtop/tap_flood failed: $(tail -n3 "$d/consume.bt")"
	log "$var: consume: $(cat "$d/consume-gen.json")"
}

# tcp VAR DIR: R times vhost_tcp under skbtop record (stream, reverse, rr),
# then R bare runs of the stream and of rr
NTCP=4000000 NRR=300
tcp() {
	local var=$1 d=$2 name i attempt m
	local -A args=([tcp]="--stream $NTCP" [tcprev]="--stream $NTCP --reverse" [tcprr]="--rr $NRR")
	for i in $(seq 1 "$R"); do
		for name in tcp tcprev tcprr; do
			# a run in which the kernel skipped a BPF program (a raw
			# tracepoint's program entered again on its CPU from an
			# interrupt) is recorded again, as in pin
			for attempt in 1 2 3; do
				# shellcheck disable=SC2086 # the arguments split on purpose
				"$SKBTOP" record -i 0.25 -o "$d/$name$i.json" -- \
					"$GEN/vhost_tcp" ${args[$name]} --worker-cpu $WCPU --app-cpu $ACPU \
					> "$d/$name$i-gen.json" || die "$var: $name$i: skbtop record or vhost_tcp failed"
				m=$(misses "$d/$name$i.json")
				echo "$name${i}_attempt_$attempt=recursion misses $m" >> "$d/module.txt"
				[[ $m = 0 ]] && break
				log "$var: $name$i: $m BPF runs skipped; recording again"
			done
		done
		log "$var: tcp$i: $(jq -s -c 'map({mode, reverse, seconds, to_host, to_guest})' \
			"$d/tcp$i-gen.json" "$d/tcprev$i-gen.json" "$d/tcprr$i-gen.json")"
	done
	for i in $(seq 1 "$R"); do
		"$GEN/vhost_tcp" --stream "$NTCP" --worker-cpu $WCPU --app-cpu $ACPU \
			> "$d/tcpbare$i-gen.json" || die "$var: tcpbare$i: vhost_tcp failed"
		"$GEN/vhost_tcp" --rr "$NRR" --worker-cpu $WCPU --app-cpu $ACPU \
			> "$d/tcprrbare$i-gen.json" || die "$var: tcprrbare$i: vhost_tcp failed"
	done
	log "$var: tcp bare: $(jq -s -c 'map(.seconds)' "$d"/tcpbare*-gen.json)"
}

NDROP=200
drops() {
	local var=$1 d=$2 rc r
	for r in NOT_SPECIFIED DEV_HDR SKB_UCOPY_FAULT DEV_READY; do
		bpftool btf dump file /sys/kernel/btf/vmlinux |
			sed -n "s/^.*'SKB_DROP_REASON_$r' val=\([0-9]*\)\$/$r \1/p"
	done > "$d/drops-reasons.txt"
	# bpftrace -c splits its command at blanks, without a shell: the five
	# generators go in a script. The vhost workers get a CPU each (-s): two
	# sharing one made skbtop's tun_sendmsg fentry skip runs (recursion
	# misses: 4 once, stock, detached queues), a preempted run entered again
	cat > "/tmp/series-drops-$var.sh" <<-EOF
	$GEN/tap_flood -q 2 -n $NDROP -i skbsd0 -e einval > $d/drops-einval.json &&
	$GEN/tap_flood -q 2 -n $NDROP -i skbsd0 -e efault > $d/drops-efault.json &&
	$GEN/vhost_tx -q 2 -n $NDROP -s --bad-gso > $d/drops-gso.json &&
	$GEN/vhost_tx -q 2 -n $NDROP -s --runt 10 > $d/drops-runt.json &&
	$GEN/vhost_tx -q 2 -n $NDROP -s --napi --detach -i skbvdet0 > $d/drops-detach.json
	EOF
	bpftrace -e '
	tracepoint:skb:kfree_skb {
		$dev = ((struct sk_buff *)args->skbaddr)->dev;
		if ($dev != 0) {
			$n = $dev->name;
			if ($n == "skbsd0" || $n == "skbvhost0") { @d[$n, (uint64)args->reason] = count(); }
			if ($n == "skbvdet0") { @det[ksym(args->location), (uint64)args->reason] = count(); }
		}
	}' -c "$SKBTOP record -L -i 1 -o $d/drops.json -- sh /tmp/series-drops-$var.sh" \
		> "$d/drops.bt" 2>&1
	rc=$?
	[[ $rc = 0 && -s $d/drops-detach.json ]] || die "$var: drops: bpftrace/skbtop/generators failed: $(tail -n3 "$d/drops.bt")"
	log "$var: drops: $(grep '^@d' "$d/drops.bt" | tr '\n' ' ')"
}

rx() {
	local var=$1 d=$2
	"$SKBTOP" record -i 1 -o "$d/rx.json" -- \
		"$GEN/vhost_rx" --queues 1 --count "$NPIN" --worker-cpu $WCPU --app-cpu $ACPU \
		> "$d/rx-gen.json" ||
		{ echo "skbtop record or vhost_rx failed" > "$d/rx-failed.txt"; log "$var: rx failed"; return 0; }
	log "$var: rx: $(tail -n1 "$d/rx-gen.json")"
}

for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	d=$OUT/$var
	mkdir -p "$d"
	unload
	insmod "$ko" || die "insmod $ko failed"
	modprobe vhost_net || die "modprobe vhost_net failed"
	want=$(readelf -n "$ko" 2>/dev/null | sed -n 's/.*Build ID: *//p' || true)
	have=$(od -An -tx1 -v /sys/module/tun/notes/.note.gnu.build-id | tr -d ' \n')
	[[ -n $want && $have = *"$want" ]] || die "$var: loaded tun build id is not $want"
	{
		echo "variant=$var"
		echo "module=$ko"
		echo "build_id=$want"
		echo "module_sha256=$(sha256sum "$ko" | cut -d' ' -f1)"
		echo "kernel=$(uname -r) $(uname -v)"
		echo "skb_defer_max=$(cat /proc/sys/net/core/skb_defer_max)"
	} > "$d/module.txt"
	t0=$SECONDS
	for step in $STEPS; do
		case $step in
		pin) for i in $(seq 1 "$R"); do pin "$var" "$d" "$i"; done ;;
		short) [[ $var = stock ]] || short "$var" "$d" ;;
		rx) [[ ! -x $GEN/vhost_rx ]] || rx "$var" "$d" ;;
		consume | tcp | drops) "$step" "$var" "$d" ;;
		*) die "unknown step $step" ;;
		esac
	done
	echo "seconds=$((SECONDS - t0))" >> "$d/module.txt"
done
unload
