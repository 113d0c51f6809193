#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest: where NET_RX/NET_TX softirqs ran (softirq_where), per
# vector, location and CPU, against bpftrace's own classification in the
# same window: the caller of handle_softirqs()/__do_softirq() its kernel
# stack names at irq:softirq_entry (irq_exit_rcu/irq_exit: irq exit;
# run_ksoftirqd: ksoftirqd; do_softirq: a task, the idle task when pid 0).
# skbtop's mode is the kernel's best (fentry: depth counters on
# irq_exit_rcu, irq_exit and run_ksoftirqd; no unknown), so the two
# methods are independent. The guest has no network: nothing but the
# workloads runs these softirqs, and the windows (bpftrace's run around
# skbtop's) hold the same events; the namespace the netem workloads use
# is deleted after both.
# Workloads, each with a known location:
#   udp_rcvbuf pinned to CPU 1: NET_RX at the local_bh_enable() that ends
#     __dev_queue_xmit(), in the sender's task: its task row == its sends;
#   defer_kick: trigger_rx_softirq csds (IPIs) raise NET_RX on the
#     allocating CPU: irq exit (or the idle task's flush when it polls);
#   netem (1 ms delay) on the loopback of a namespace: its watchdog
#     hrtimer reschedules the qdisc, NET_TX on irq exit;
#   the same with the backlog's weight and netdev_budget at 1: NET_RX
#     takes one packet a pass, and after 10 passes handle_softirqs() hands
#     the rest of a burst to ksoftirqd.
#   tests/vm/guest_softirq_where.sh N
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?datagrams}
NS=skbsirq$$
mode=$("$SKBTOP" probes -j -P softirq_where |
	jq -r '.[] | select(.probe == "softirq_where") | .mode')
echo "# softirq_where: $mode"
[ "$mode" != unavailable ] || { not_ok "softirq_where unavailable"; finish; }

# net_quiet: wait (30 s at most) until a second passes with no NET_RX or
# NET_TX softirq on any CPU (/proc/softirqs): one window encloses the
# other, so a run in between (an earlier script's namespace or vhost
# teardown in this boot, a netem queue still draining) is counted by one
# tool alone (when skbtop's enclosed bpftrace's, skbtop counted 2 NET_RX at
# irq, and once 1 NET_TX at task, more than bpftrace on 7.3, each time
# after guest_vhost_rx.sh in the same boot)
net_quiet() {
	i=0 prev=$(grep -E '^ *NET_(RX|TX):' /proc/softirqs)
	while [ $i -lt 30 ]; do
		sleep 1
		now=$(grep -E '^ *NET_(RX|TX):' /proc/softirqs)
		[ "$now" = "$prev" ] && return 0
		prev=$now i=$((i + 1))
	done
	echo "# NET_RX/NET_TX still ran after 30 s"
}
# netns_barrier: namespaces deleted earlier (by an earlier script in this
# boot) are torn down later, in cleanup_net() on a workqueue, in order. A
# veth pair with one end in a fresh namespace: its peer here goes when
# that namespace's teardown reaches its devices, so every namespace
# deleted before it has been torn down by then (60 s at most)
netns_barrier() {
	ip netns add skbsirqbar$$ &&
		ip link add skbsirqb$$ type veth peer name eth0 netns skbsirqbar$$ &&
		ip netns del skbsirqbar$$ || { not_ok "netns barrier: setup failed"; return; }
	i=0
	while ip link show skbsirqb$$ > /dev/null 2>&1 && [ $i -lt 600 ]; do
		sleep 0.1; i=$((i + 1))
	done
	ip link show skbsirqb$$ > /dev/null 2>&1 && echo "# netns teardown still running after 60 s"
}
# bpftrace's window encloses skbtop's, whose start and stop are the short
# ones (bpftrace takes tens of seconds to attach under TCG, and seconds to
# print its stacks): the gaps where a run would be counted by one alone
netns_barrier
bpftrace -e 'tracepoint:irq:softirq_entry /args->vec == 2 || args->vec == 3/ {
	@s[kstack(8), args->vec, cpu, pid] = count(); }' > "$TMP/bt.raw" 2>&1 &
BT=$!
on_exit "kill $BT 2>/dev/null"
bt_wait "$TMP/bt.raw"
kill -0 $BT 2>/dev/null || { not_ok "bpftrace: $(tail -3 "$TMP/bt.raw")"; finish; }
sleep 1
net_quiet
skbtop_start -C -P softirq_where

"$GEN/udp_rcvbuf" --count "$N" --cpu 1 > "$TMP/gen.json" &
GEN_PID=$!
wait $GEN_PID
check_eq "udp_rcvbuf exits 0" 0 $?
"$GEN/defer_kick" --count 5000 > /dev/null
check_eq "defer_kick exits 0" 0 $?
ip netns add $NS
on_exit "ip netns del $NS 2>/dev/null"
ip -n $NS link set lo up
if modprobe sch_netem 2>/dev/null && tc -n $NS qdisc add dev lo root netem delay 5ms; then
	"$GEN/udp_rcvbuf" --count 300 --netns $NS > /dev/null
	check_eq "udp_rcvbuf through netem exits 0" 0 $?
	# ksoftirqd: NET_RX one packet a pass (the backlog's weight and the
	# budget at 1), so a burst netem releases in one NET_TX run takes more
	# than the 10 passes handle_softirqs() makes before it wakes ksoftirqd
	w=$(sysctl -n net.core.dev_weight) b=$(sysctl -n net.core.netdev_budget)
	on_exit "sysctl -qw net.core.dev_weight=$w net.core.netdev_budget=$b"
	sysctl -qw net.core.dev_weight=1 net.core.netdev_budget=1
	"$GEN/udp_rcvbuf" --count "$N" --netns $NS > /dev/null
	check_eq "udp_rcvbuf through netem, one packet a pass, exits 0" 0 $?
	sysctl -qw net.core.dev_weight=$w net.core.netdev_budget=$b
else
	not_ok "no netem here: no NET_TX or ksoftirqd workload"
fi
# the namespace goes after both windows close: its teardown (cleanup_net,
# a workqueue, seconds under TCG) may run softirqs in one window alone
net_quiet
skbtop_stop
bt_end $BT
check_eq "skbtop exits 0" 0 "$SKB_RC"
ip netns del $NS

awk '
	/^@s\[/ { loc = ""; next }
	/^    / {
		f = $1; sub(/\+.*/, "", f); sub(/\..*/, "", f)
		if (loc == "" && (f == "irq_exit_rcu" || f == "__irq_exit_rcu" || f == "irq_exit"))
			loc = "irq"
		else if (loc == "" && f == "run_ksoftirqd")
			loc = "ksoftirqd"
		else if (loc == "" && f == "do_softirq")
			loc = "task"
		next
	}
	/^, [0-9]+, [0-9]+, [0-9]+\]: [0-9]+$/ {
		gsub(/[],:]/, " ")
		if (loc == "") loc = "unknown"
		if (loc == "task" && $3 == 0) loc = "idle"
		print ($1 == 3 ? "rx" : "tx"), $2, $3, loc, $4
	}' "$TMP/bt.raw" > "$TMP/bt.loc"
awk '{ n[$1 " " $4] += $5 } END { for (k in n) print "# bpftrace " k ": " n[k] }' \
	"$TMP/bt.loc" | sort
bt() {	# vec loc [cpu]
	awk -v v="$1" -v l="$2" -v c="${3:-}" '$1 == v && $4 == l && (c == "" || $2 == c) {
		n += $5 } END { print n + 0 }' "$TMP/bt.loc"
}
for v in rx tx; do
	for l in task irq ksoftirqd idle; do
		check_eq "NET_${v} at $l == bpftrace" "$(bt $v $l)" "$(skb_sum ".totals.sirq_${v}_$l")"
		for c in $(seq 0 $(($(nproc) - 1))); do
			check_eq "NET_${v} at $l, CPU $c == bpftrace" "$(bt $v $l $c)" \
				"$(skb_sum ".cpus[] | select(.cpu == $c) | .sirq_${v}_$l")"
		done
	done
	check_eq "bpftrace found a caller for every NET_${v} run" 0 "$(bt $v unknown)"
done
if [ "$mode" = fentry ]; then
	check_eq "unknown is null in fentry mode (nothing unmeasured is 0)" null \
		"$(jq -s '[.[].totals.sirq_rx_unknown] | unique | .[0]' "$SKB_OUT")"
fi
sent=$(jq .sent "$TMP/gen.json")
# one NET_RX run a datagram, in the sender's do_softirq(): the workload's
# shape (1999 of 2000 once, on a host busy building a kernel: bpftrace and
# skbtop agreed on 1999); skbtop's row is checked against bpftrace's count
bt_sender=$(awk -v p=$GEN_PID '$1 == "rx" && $2 == 1 && $3 == p && $4 == "task" { n += $5 }
	END { print n + 0 }' "$TMP/bt.loc")
check_eq "the pinned sender's NET_RX at do_softirq (bpftrace) == its datagrams" "$sent" "$bt_sender"
check_eq "skbtop's task row for it (CPU 1) == bpftrace's count for it" "$bt_sender" \
	"$(skb_sum "(.sirq_tasks // [])[] | select(.pid == $GEN_PID and .cpu == 1) | .net_rx")"
check_eq "no interval had more task rows than it shows" 0 "$(skb_sum '.sirq_tasks_more // 0')"
check_eq "the task rows add up to the task location" \
	"$(skb_sum '.totals.sirq_rx_task + .totals.sirq_tx_task')" \
	"$(skb_sum '(.sirq_tasks // [])[] | .net_rx + .net_tx')"
for l in irq ksoftirqd; do
	n=$(($(bt rx $l) + $(bt tx $l)))
	check_true "the workloads ran NET_RX/NET_TX at $l ($n runs)" [ "$n" -gt 0 ]
done
finish
