#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM tier: boot stock Debian kernels under QEMU (tests/vm/vm-run) and run
# the guest tests there. A missing QEMU or a failed download is a failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0 stalls=0
# the whole tier's time budget: CI stops `make test` at 90 min, so a boot that
# hangs must fail here, named, not take the run with it. Each boot gets at
# most 1500 s and never more than what is left; a boot with under 60 s left
# is not started and counts as a failure.
VM_BUDGET=${VM_BUDGET:-2700}
tier_t0=$(date +%s)
# boot VM-RUN-ARGS...: one vm-run within what is left of the budget
boot() {
	left=$((VM_BUDGET - ($(date +%s) - tier_t0)))
	if [ $left -lt 60 ]; then
		echo "vm-run: not started: the tier's budget of $VM_BUDGET s is spent"
		return 125
	fi
	[ $left -le 1500 ] || left=1500
	b0=$(date +%s)
	tests/vm/vm-run --timeout $left "$@" 2>&1
	rc=$?
	echo "# boot took $(($(date +%s) - b0)) s"
	return $rc
}
run() {
	kernel=$1; shift
	echo "# $kernel: $*"
	case $kernel in
	built) kopt="--kernel $BUILT_IMAGE --modules $BUILT_MODULES" ;;
	*) kopt="--kernel-pkg $kernel" ;;
	esac
	# shellcheck disable=SC2086 # options; cache paths have no blanks
	out=$(boot $kopt -- "$@"); rc=$?
	# a guest caught on a text patch's int3 under TCG (tests/vm/README.md):
	# that boot's results are shown as comments and it runs again, twice at
	# most (in this session's tier runs about one boot in five stalled)
	tries=1
	while [ $tries -le 2 ] &&
		stall=$(printf '%s\n' "$out" | grep -m1 "stalled on a text patch's int3"); do
		printf '%s\n' "$out" | sed "s/^/# boot $tries: /"
		echo "# $kernel: ${stall#vm-run: }: booting it again"
		stalls=$((stalls + 1)) tries=$((tries + 1))
		# shellcheck disable=SC2086
		out=$(boot $kopt -- "$@"); rc=$?
	done
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1; echo "not ok - $kernel: $* exited $rc"
	fi
	pass=$((pass + p)); fail=$((fail + f))
}
# the rig's own check: a guest whose kernel reports an int3 oops (written to
# /dev/kmsg here) is stopped at once and named, which is what makes run()
# boot it again (tests/vm/README.md)
t0=$(date +%s)
out=$(tests/vm/vm-run --kernel-pkg unstable --timeout 300 -- sh -c \
	'echo "<0>Oops: int3: 0000 [#1] SMP NOPTI" > /dev/kmsg
	echo "<0>RIP: 0010:handle_softirqs+0xc4/0x280" > /dev/kmsg; sleep 250' 2>&1); rc=$?
t=$(($(date +%s) - t0))
if [ $rc = 1 ] && [ $t -lt 120 ] && printf '%s\n' "$out" |
	grep -q "stalled on a text patch's int3 (Oops: int3: 0000 \[#1\] SMP NOPTI,RIP: 0010:handle_softirqs+0xc4)"; then
	echo "ok - vm-run stops a guest reporting Oops: int3 and names it (${t} s)"; pass=$((pass + 1))
else
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "not ok - vm-run on a guest reporting Oops: int3: exit $rc after ${t} s"; fail=$((fail + 1))
fi
kept=$(printf '%s\n' "$out" | sed -n 's/^vm-run: the console is kept in //p')
[ -z "$kept" ] || rm -f "$kept"
# a boot runs its scripts in turn (tests/vm/guest_each.sh: a name without a
# directory is in tests/vm; each says how long it took); 7.2 has two boots:
# with every fentry probe attached (the __alloc_skb fentry+fexit among them)
# its scripts took over 900 s under TCG in one
E=tests/vm/guest_each.sh
run unstable sh $E guest_probes.sh guest_cpumap.sh guest_vhost.sh guest_vhost_cpu.sh \
	guest_consume.sh guest_napicache.sh guest_napicache_paths.sh guest_napicache_level.sh \
	tests/live/test_drops.sh tests/live/test_defer.sh "guest_vhostpin.sh 5000" \
	"guest_consume_task.sh 500" "guest_tundrops.sh 200" "guest_sendmsg_hist.sh 2000"
# the host's tap test, with the probes it asserts on (here and on 6.1): the
# cache probes' per-packet cost under TCG made it alone take over 10 min
# (those probes have their own scripts)
run unstable env SKB_PROBES=drops,tun_consume sh $E tests/live/test_tap.sh
run bookworm sh $E guest_probes.sh guest_napicache.sh guest_napicache_paths.sh \
	guest_napicache_level.sh tests/live/test_drops.sh
run bookworm env SKB_PROBES=drops,tun_consume sh $E tests/live/test_tap.sh
# experimental (7.3 today): the newest kernel; napi_skb_cache_get inline as on 7.2
run experimental sh $E guest_probes.sh guest_napicache.sh guest_napicache_paths.sh \
	guest_napicache_level.sh guest_cpumap.sh tests/live/test_drops.sh \
	"guest_consume_task.sh 500" "guest_tundrops.sh 200" "guest_sendmsg_hist.sh 2000"
# trixie (6.12): the NAPI cache gets are a traceable function there, as on 6.1
run trixie sh $E guest_probes.sh guest_napicache.sh guest_napicache_paths.sh \
	guest_napicache_level.sh tests/live/test_drops.sh
# vhost-net RX (tests/gen/bin/vhost_rx), the read path the tun series' patch
# 7 changes (about 80 s under TCG), and where NET_RX/NET_TX softirqs ran
# (softirq_where, fentry there) vs bpftrace's kernel stacks in the same
# window, on 7.2, 7.3 and 6.1 (__do_softirq fires the events there, no
# handle_softirqs; vhost_rx pins workers as threads of their owner: 6.4+)
# TCP through vhost-net both ways (tests/gen/bin/vhost_tcp, the series
# review's tcp workload) on the same two
for k in unstable experimental; do
	run $k sh $E "guest_vhost_rx.sh 5000" "guest_softirq_where.sh 2000" \
		"guest_vhost_tcp.sh 1000000 100"
done
run bookworm sh $E "guest_softirq_where.sh 2000"
# the kernel tests/vm/build-kernel builds from linux-source-7.2 with
# tests/vm/kernel.config and the tun review's patch 8 (make review-kernel):
# booted only when it is in the cache, since building it takes about
# an hour on 2 shared cores (58 min measured). CI machines start with an empty cache: there
# this skips, and says so. The three tun.ko of tests/review/patches are
# built against it here (seconds) and checked last, as they swap tun.
if built=$(tests/vm/build-kernel --check); then
	BUILT_IMAGE=$(printf '%s\n' "$built" | sed -n 1p)
	BUILT_MODULES=$(printf '%s\n' "$built" | sed -n 2p)
	series=$(tests/review/build-tun-series.sh) ||
		{ echo "not ok - tests/review/build-tun-series.sh failed"; fail=$((fail + 1)); series=; }
	# $1: the release build-kernel recorded, which guest_kernel.sh expects;
	# then NAME=KO for each tun.ko
	# shellcheck disable=SC2086 # series: NAME=PATH words
	run built sh -c 'k=$1; shift; sh tests/vm/guest_each.sh "guest_kernel.sh $k" guest_probes.sh \
		guest_napicache.sh
		[ $# = 0 ] || sh tests/vm/guest_each.sh "guest_tunseries.sh 10000 $*" \
			"guest_shortbulk.sh 10000 $*" "guest_vhostpin.sh 5000 $*" \
			"guest_consume_task.sh 500 $*" "guest_tundrops.sh 200 $*" \
			"guest_sendmsg_hist.sh 2000 $*"' \
		sh "$(basename "$BUILT_MODULES")" $series
	# vhost-net RX and TCP through vhost-net under stock, 1-7 and 1-9 (no
	# series: the kernel's own tun)
	# shellcheck disable=SC2086 # series: NAME=PATH words
	run built sh $E "guest_vhost_rx.sh 5000 $series" "guest_vhost_tcp.sh 1000000 100 $series"
else
	echo "# SKIP source-built kernel: not in the cache (make review-kernel builds it);" \
		"tests/vm/guest_kernel.sh, guest_tunseries.sh, guest_shortbulk.sh, guest_vhostpin.sh" \
		"guest_consume_task.sh, guest_tundrops.sh, guest_sendmsg_hist.sh, guest_vhost_rx.sh and guest_vhost_tcp.sh on it not run"
fi
[ $stalls = 0 ] || echo "# $stalls boot(s) run again after an int3 stall under TCG"
echo "# the tier took $(($(date +%s) - tier_t0)) s of its $VM_BUDGET s budget"
echo "vm: $pass passed, $fail failed"
[ $fail -eq 0 ]
