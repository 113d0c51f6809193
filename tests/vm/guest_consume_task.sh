#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry and __preempt_count in kallsyms: the
# consume_task probe counts napi_consume_skb() calls with a non-zero budget
# made in task context (no softirq being served: outside a NAPI poll), per
# CPU and per tun queue, exactly as bpftrace counts them in the same window
# with its own test of the context: a per-CPU flag held between
# irq:softirq_entry and irq:softirq_exit.
# Workload: tap_flood (a 2-queue tap, N datagrams a queue, every frame read
# back from the tap with read(2), tun_do_read()), the cross-CPU defer
# workload (napi_consume_skb() from NAPI polls, in softirq) and UDP drops.
# With no NAME=KO argument, the running kernel's tun; with them, each tun.ko
# in turn (tests/review/build-tun-series.sh):
#   stock: 0 from tun (it frees what read(2) delivered with consume_skb());
#   1-7, 1-9: patch 7 frees it with napi_consume_skb(skb, 1) under
#     local_bh_disable() in tun_do_read(): one such call per frame read,
#     so the tap's count == the frames tap_flood read (probes, strays and
#     queued frames), per queue too.
#   tests/vm/guest_consume_task.sh N [NAME=KO...]
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?datagrams per queue}
shift
IF=skbct0
if [ $# = 0 ]; then modprobe tun; set -- running=; fi
if ! grep -qE " [a-zA-Z] __preempt_count\$" /proc/kallsyms; then
	echo "# __preempt_count not in kallsyms: consume_task unavailable here"
	finish
fi

for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	if [ "$var" != running ]; then
		for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
		insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	fi
	skbtop_start -C -P consume,consume_task
	bpftrace -e "
	tracepoint:irq:softirq_entry { @sirq[cpu] = 1; }
	tracepoint:irq:softirq_exit { @sirq[cpu] = 0; }
	kfunc:napi_consume_skb /args->budget != 0 && args->skb != 0/ {
		if (@sirq[cpu]) { @napi = count(); }
		else {
			@task = count(); @cpu[cpu] = count();
			if (args->skb->dev->name == \"$IF\") {
				@tap = count(); @q[args->skb->queue_mapping] = count();
			}
		}
	}
	END { clear(@sirq); }" > "$TMP/$var.bt" 2>&1 &
	BT=$!
	bt_wait "$TMP/$var.bt"
	kill -0 $BT 2>/dev/null || { not_ok "$var: bpftrace: $(tail -3 "$TMP/$var.bt")"; skbtop_stop; continue; }
	sleep 1
	"$GEN/tap_flood" --queues 2 --count "$N" --ifname "$IF" > "$TMP/$var.gen"
	check_eq "$var: tap_flood exits 0" 0 $?
	"$GEN/defer_kick" --count 5000 > /dev/null
	"$GEN/udp_rcvbuf" --count 2000 > /dev/null
	bt_end $BT
	skbtop_stop
	grep -q Attaching "$TMP/$var.bt" || { not_ok "$var: bpftrace: $(tail -3 "$TMP/$var.bt")"; continue; }
	grep '^@' "$TMP/$var.bt" | sed "s/^/# $var: /"
	echo "# $var: $(cat "$TMP/$var.gen")"
	bt() { bt_map "$TMP/$var.bt" "$1"; }
	task=$(skb_sum '.totals.consume_budget_task')
	check_eq "$var: non-zero budget in task context == bpftrace" "$(bt task)" "$task"
	# every other call: budget 0, or a non-zero budget in softirq (or hardirq)
	check_eq "$var: calls - budget 0 - task context == bpftrace non-zero budget in softirq" \
		"$(bt napi)" "$(skb_sum '.totals.consume_calls - .totals.consume_budget0
			- .totals.consume_budget_task')"
	check_true "$var: the workload made NAPI-context calls ($(bt napi))" [ "$(bt napi)" -ge 100 ]
	for c in $(seq 0 $(($(nproc) - 1))); do
		check_eq "$var: CPU $c == bpftrace" \
			"$(sed -n "s/^@cpu\[$c\]: //p" "$TMP/$var.bt" | grep . || echo 0)" \
			"$(skb_sum ".cpus[] | select(.cpu == $c) | .consume_budget_task")"
	done
	tap=$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .napi_consumes_task")
	check_eq "$var: $IF's queues == bpftrace" "$(bt tap)" "$tap"
	for q in 0 1; do
		check_eq "$var: $IF queue $q == bpftrace" \
			"$(sed -n "s/^@q\[$q\]: //p" "$TMP/$var.bt" | grep . || echo 0)" \
			"$(skb_sum ".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\")
				| .napi_consumes_task")"
	done
	read_frames=$(jq '.probes + .stray + .queued' "$TMP/$var.gen")
	case $var in
	stock | running)
		check_eq "$var: no such call from tun" 0 "$tap" ;;
	*)
		check_eq "$var: one per frame read from the tap ($read_frames)" "$read_frames" "$tap"
		check_eq "$var: all in task context" "$tap" "$task" ;;
	esac
done
finish
