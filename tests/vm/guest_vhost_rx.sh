#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry and vhost_net: vhost-net RX, the path patch 7
# of the tun series changes. tests/gen/bin/vhost_rx sends N UDP frames into
# a 2-queue tap from its namespace; vhost's handle_rx() reads each through
# tun_recvmsg() -> tun_do_read(), which frees it: consume_skb() in stock
# tun, napi_consume_skb(skb, 1) under local_bh_disable() with patch 7.
# Queue 0's vhost worker is pinned to CPU 0, queue 1's to CPU 1, the sender
# is not pinned. Why one worker per CPU: a fentry
# program is skipped (recursion_misses) when it is entered again on a CPU
# where it already runs, and two workers sharing a CPU made bpftrace's
# kfunc:tun_recvmsg (preemptible) miss 26 and 207 of 5000 calls on 7.2.
# In one window, against bpftrace:
#   - frames sent == our frames in the used rings == used entries == the
#     tap's tx_packets delta == tun_recvmsg() calls that returned > 0;
#     per queue, used entries == tun_recvmsg() calls on that queue's skbs;
#   - skbtop's napi_consume_skb() counters == bpftrace's: calls, budget 0,
#     non-zero budget in task context (consume_budget_task, per CPU; needs
#     __preempt_count in kallsyms), the tap's napi_consumes and
#     napi_consumes_task per queue;
#   - stock tun (or the running kernel's): no napi_consume_skb() of the
#     tap's skbs; 1-7, 1-9: exactly one in task context per frame read, per
#     queue, on the queue's worker's CPU (needs consume_task). A free the
#     worker defers to the sender's CPU calls napi_consume_skb() once more
#     there, from skb_defer_free_flush() in softirq: napi_consumes counts
#     both (7204 for 5000 frames in one 1-7 run), so only its equality with
#     bpftrace is checked.
# Then one queue with its worker on CPU 0 and the sender (the skbs'
# allocating CPU) on CPU 1, measured, not asserted: skbtop's
# consume_deferred (1-7, 1-9: the worker's napi_consume_skb() defers the
# free to CPU 1), defer kicks and their IPIs per CPU pair (skbtop, and
# bpftrace on csd_queue_cpu(trigger_rx_softirq) and ipi_send_cpu).
#   tests/vm/guest_vhost_rx.sh N [NAME=KO...]   (no KO: the kernel's own tun)
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?frames}
shift
IF=skbvhrx0
WCPU=0 ACPU=1	# the measured run
[ "$(nproc)" -ge 2 ] || { not_ok "needs 2 CPUs"; finish; }
[ $# -gt 0 ] || set -- running=
if grep -qE " [a-zA-Z] __preempt_count\$" /proc/kallsyms; then
	TASK=1 PROBES=consume,consume_task,defer_queue,defer_kick,defer_ipi
else
	echo "# __preempt_count not in kallsyms: consume_task unavailable, its checks not run"
	TASK=0 PROBES=consume,defer_queue,defer_kick,defer_ipi
fi

for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	if [ -n "$ko" ]; then
		for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
		insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	fi
	modprobe tun && modprobe vhost_net || { not_ok "$var: modprobe tun vhost_net"; continue; }
	skbtop_start -C -P $PROBES
	bpftrace -e "
	tracepoint:irq:softirq_entry { @sirq[cpu] = 1; }
	tracepoint:irq:softirq_exit { @sirq[cpu] = 0; }
	kfunc:tun_recvmsg {
		@recv_q[((struct sk_buff *)args->m->msg_control)->queue_mapping] = count();
	}
	kretfunc:tun_recvmsg /retval > 0/ { @read = count(); }
	kfunc:napi_consume_skb /args->skb != 0/ {
		@calls = count();
		if (args->budget == 0) { @budget0 = count(); }
		if (args->skb->dev->name == \"$IF\") { @tapq[args->skb->queue_mapping] = count(); }
		if (args->budget != 0 && @sirq[cpu] == 0) {
			@task = count(); @cpu[cpu] = count();
			if (args->skb->dev->name == \"$IF\") {
				@tap = count(); @q[args->skb->queue_mapping] = count();
				@tapcpu[cpu] = count();
			}
		}
	}
	END { clear(@sirq); }" > "$TMP/$var.bt" 2>&1 &
	BT=$!
	bt_wait "$TMP/$var.bt"
	kill -0 $BT 2>/dev/null || { not_ok "$var: bpftrace: $(tail -3 "$TMP/$var.bt")"; skbtop_stop; continue; }
	# bpftrace prints Attaching before its probes are all attached
	sleep 2
	"$GEN/vhost_rx" --queues 2 --count "$N" --timeout 300 --worker-cpu 0,1 \
		> "$TMP/$var.gen" 2> "$TMP/$var.err"
	rc=$?
	sleep 0.5
	misses=$(bpftool -j prog show | jq -r '[.[] | select(.type == "tracing")
		| "\(.name) \(.recursion_misses // 0)"] | join(", ")')
	echo "# $var: recursion misses of the tracing programs: $misses"
	bt_end $BT
	skbtop_stop
	gen=$(tail -n1 "$TMP/$var.gen")
	echo "# $var: $gen"
	check_eq "$var: vhost_rx exits 0" 0 "$rc"
	[ $rc = 0 ] || sed "s/^/# $var: vhost_rx: /" "$TMP/$var.err"
	grep -q Attaching "$TMP/$var.bt" || { not_ok "$var: bpftrace: $(tail -3 "$TMP/$var.bt")"; continue; }
	grep '^@' "$TMP/$var.bt" | sed "s/^/# $var: /"
	bt() { bt_map "$TMP/$var.bt" "$1"; }
	bt_at() { sed -n "s/^@$1\[$2\]: //p" "$TMP/$var.bt" | grep . || echo 0; }
	g() { echo "$gen" | jq "$1"; }
	used=$(g .used)

	# the workload, reconciled
	check_eq "$var: frames sent" "$N" "$(g .sent)"
	check_eq "$var: our frames in the used rings == sent" "$N" "$(g .delivered)"
	check_eq "$var: two vhost workers pinned" 2 "$(g .workers)"
	check_eq "$var: used entries == the tap's tx_packets delta" "$(g .tx_packets)" "$used"
	check_eq "$var: the tap dropped nothing (tx_dropped delta)" 0 "$(g .tx_dropped)"
	check_eq "$var: used entries == bpftrace tun_recvmsg() > 0" "$(bt read)" "$used"
	for q in 0 1; do
		check_eq "$var: queue $q used entries == bpftrace tun_recvmsg() on its skbs" \
			"$(bt_at recv_q $q)" "$(g ".queues[$q].used")"
	done

	# skbtop == bpftrace
	check_eq "$var: napi_consume_calls == bpftrace" "$(bt calls)" \
		"$(skb_sum '.totals.consume_calls')"
	check_eq "$var: napi_consume_budget0_calls == bpftrace" "$(bt budget0)" \
		"$(skb_sum '.totals.consume_budget0')"
	tapall=$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .napi_consumes")
	for q in 0 1; do
		check_eq "$var: $IF queue $q napi_consumes == bpftrace" "$(bt_at tapq $q)" \
			"$(skb_sum ".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\")
				| .napi_consumes")"
	done
	if [ $TASK = 1 ]; then
		check_eq "$var: consume_budget_task == bpftrace" "$(bt task)" \
			"$(skb_sum '.totals.consume_budget_task')"
		for c in $(seq 0 $(($(nproc) - 1))); do
			check_eq "$var: CPU $c consume_budget_task == bpftrace" "$(bt_at cpu "$c")" \
				"$(skb_sum ".cpus[] | select(.cpu == $c) | .consume_budget_task")"
		done
		tap=$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .napi_consumes_task")
		check_eq "$var: $IF napi_consumes_task == bpftrace" "$(bt tap)" "$tap"
		for q in 0 1; do
			check_eq "$var: $IF queue $q napi_consumes_task == bpftrace" "$(bt_at q $q)" \
				"$(skb_sum ".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\")
					| .napi_consumes_task")"
		done
	fi

	# what tun's read path does
	case $var in
	stock | running)
		check_eq "$var: no napi_consume_skb() of $IF's skbs (consume_skb() on read)" 0 "$tapall" ;;
	*)
		if [ $TASK = 1 ]; then
			check_eq "$var: one napi_consume_skb() in task context per frame read" "$used" "$tap"
			for q in 0 1; do
				check_eq "$var: queue $q: one per frame vhost read from it" \
					"$(g ".queues[$q].used")" \
					"$(skb_sum ".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\")
						| .napi_consumes_task")"
				check_eq "$var: queue $q's on its worker's CPU $q (bpftrace)" \
					"$(g ".queues[$q].used")" "$(bt_at tapcpu $q)"
				check_eq "$var: CPU $q consume_budget_task == queue $q's frames" \
					"$(g ".queues[$q].used")" \
					"$(skb_sum ".cpus[] | select(.cpu == $q) | .consume_budget_task")"
			done
		fi ;;
	esac

	# measured, not asserted: the deferred-free kicks of RX with the
	# worker and the allocating CPU apart
	skbtop_start -C -P consume,defer_queue,defer_kick,defer_ipi
	bpftrace -e "
	tracepoint:csd:csd_queue_cpu /(uint64)args->func == kaddr(\"trigger_rx_softirq\")/ {
		@kick[cpu, args->cpu] = count();
	}
	tracepoint:ipi:ipi_send_cpu { @ipi[cpu, args->cpu] = count(); }" > "$TMP/$var.pin.bt" 2>&1 &
	BT=$!
	bt_wait "$TMP/$var.pin.bt"
	sleep 2
	"$GEN/vhost_rx" --queues 1 --count "$N" --timeout 300 --worker-cpu $WCPU --app-cpu $ACPU \
		> "$TMP/$var.pin.gen" 2> "$TMP/$var.pin.err"
	rc=$?
	sleep 0.5
	bt_end $BT
	skbtop_stop
	gen=$(tail -n1 "$TMP/$var.pin.gen")
	echo "# $var: $gen"
	check_eq "$var: pinned run: vhost_rx exits 0" 0 "$rc"
	check_eq "$var: pinned run: frames read == sent" "$N" "$(g .used)"
	bt_at() { sed -n "s/^@$1\[$2\]: //p" "$TMP/$var.pin.bt" | grep . || echo 0; }
	kick() { skb_sum "[.kicks[]? | select(.from_cpu == $1 and .to_cpu == $2) | .$3 // 0] | add // 0"; }
	echo "# $var: measured: worker CPU $WCPU, sender CPU $ACPU, $N frames:" \
		"napi_consume_calls $(skb_sum '.totals.consume_calls')," \
		"consume_deferred $(skb_sum '.totals.consume_deferred');" \
		"defer kicks $WCPU->$ACPU skbtop $(kick $WCPU $ACPU kicks) bpftrace $(bt_at kick "$WCPU, $ACPU")," \
		"$ACPU->$WCPU skbtop $(kick $ACPU $WCPU kicks) bpftrace $(bt_at kick "$ACPU, $WCPU");" \
		"their IPIs (skbtop) $WCPU->$ACPU $(kick $WCPU $ACPU ipis), $ACPU->$WCPU $(kick $ACPU $WCPU ipis);" \
		"all IPIs (bpftrace ipi_send_cpu) $WCPU->$ACPU $(bt_at ipi "$WCPU, $ACPU")," \
		"$ACPU->$WCPU $(bt_at ipi "$ACPU, $WCPU")"
done
finish
