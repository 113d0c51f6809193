#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry and vhost_net: tun_sendmsg_calls per CPU, and
# the report headline's mark of the vhost worker's CPU. vhost_tx runs under
# taskset -c 1; the vhost worker (a task forked from its owner) inherits
# that affinity, so every tun_sendmsg() runs on CPU 1. Checked against
# bpftrace counting kfunc:tun_sendmsg per CPU in the same window:
#   - live (-j -C): tun_sendmsg_calls of each CPU == bpftrace's;
#   - record + report: the headline names CPU 1 with bpftrace's count, and
#     no other CPU.
. "$(dirname "$0")/../live/lib.sh"
need_root
# tun first: kfunc:tun_sendmsg and the tun_sendmsg probe need its BTF loaded
modprobe tun; [ -e /dev/vhost-net ] || modprobe vhost_net
N=${N:-3000}
CPUS=$(nproc)
[ "$CPUS" -ge 2 ] || { echo "# one CPU: nothing to tell apart"; finish; }

# bpftrace -c CMD: its window holds CMD's run (attached before, counted after)
bt_run() {	# OUT CMD...
	out=$1; shift
	bpftrace -e 'kfunc:tun_sendmsg { @cpu[cpu] = count(); @n = count(); }' -c "$*" > "$out" 2>&1
	grep '^@' "$out" | sed 's/^/# /'
	grep -q '^@n:' "$out" || tail -5 "$out" | sed 's/^/# bpftrace: /'
}
bt_cpu() { sed -n "s/^@cpu\[$2\]: //p" "$1" | grep . || echo 0; }

# live
skbtop_start -C -P tun_sendmsg
bt_run "$TMP/live.bt" "$(command -v taskset)" -c 1 "$GEN/vhost_tx" --queues 1 --count "$N"
skbtop_stop
check_eq "vhost_tx completed N frames" "$N" "$(grep '^{' "$TMP/live.bt" | jq '.queues[0].completed')"
check_true "tun_sendmsg called ($(bt_map "$TMP/live.bt" n))" [ "$(bt_map "$TMP/live.bt" n)" -gt 0 ]
check_eq "all on CPU 1 (the worker inherits taskset's affinity)" \
	"$(bt_map "$TMP/live.bt" n)" "$(bt_cpu "$TMP/live.bt" 1)"
for c in $(seq 0 $((CPUS - 1))); do
	check_eq "CPU $c: tun_sendmsg_calls == bpftrace" "$(bt_cpu "$TMP/live.bt" "$c")" \
		"$(skb_sum ".cpus[] | select(.cpu == $c) | .tun_sendmsg_calls")"
done

# record + report: the headline marks CPU 1
bt_run "$TMP/rec.bt" "$SKBTOP" record -i 0.5 -P tun_sendmsg,defer_queue,defer_kick,defer_ipi \
	-o "$TMP/cap.json" -- taskset -c 1 "$GEN/vhost_tx" --queues 1 --count "$N"
check_true "record wrote a capture" test -s "$TMP/cap.json"
"$SKBTOP" report "$TMP/cap.json" > "$TMP/report.txt"
sed -n '/^DEFER KICKS/,/^vhost worker/p' "$TMP/report.txt" | sed 's/^/# /'
check_eq "report headline: the vhost worker's CPU and its calls" \
	"vhost worker CPU (tun_sendmsg() calls): 1 ($(bt_map "$TMP/rec.bt" n))" \
	"$(grep '^vhost worker CPU' "$TMP/report.txt")"
check_true "the headline comes before the probe table" \
	[ "$(grep -n '^DEFER KICKS' "$TMP/report.txt" | cut -d: -f1)" -lt \
	  "$(grep -n '^PROBE ' "$TMP/report.txt" | cut -d: -f1)" ]
finish
