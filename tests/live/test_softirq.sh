#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Where NET_RX/NET_TX softirqs ran (softirq_where), in this kernel's mode
# (tracepoints and a stack walk where fentry is refused). A UDP sender
# pinned to one CPU in a namespace of its own raises NET_RX with every
# datagram and runs it at the local_bh_enable() that ends __dev_queue_xmit(),
# in its own task. Over the same window: tracefs counts softirq_entry
# (vec 2, 3) events by task, and bpftrace classifies each by its kernel
# stack (the caller of handle_softirqs: irq exit, run_ksoftirqd, do_softirq).
# Only the generator's events are compared (other traffic on the host may
# run in one window and not in another): skbtop's task row for its pid ==
# bpftrace's do_softirq count for it == the datagrams sent, and tracefs's
# count for the pid == bpftrace's count for it over every location. A
# second sender, whose pid shares the first's cell in skbtop's task array,
# is counted exactly too (in the task hash). Once
# in the best mode this kernel gives, once moved to raw_tp by a forced
# attach failure of the tp_btf program.
. "$(dirname "$0")/lib.sh"
need_root
mount_tracefs
command -v bpftrace > /dev/null || { not_ok "needs bpftrace"; exit 1; }
N=4000
N2=1000
CPU=$(($(nproc) - 1))
INST=/sys/kernel/tracing/instances/skbtop-sirq-$$

# bpftrace's location of each softirq_entry: the first caller of
# handle_softirqs()/__do_softirq() its stack names, as skbtop defines them
classify='
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
		vec = $1; cpu = $2; pid = $3; n = $4
		if (loc == "") loc = "unknown"
		if (loc == "task" && pid == 0) loc = "idle"
		print vec, cpu, pid, loc, n
	}'

run() {	# $1: label
	skbtop_start
	bpftrace -e 'tracepoint:irq:softirq_entry /args->vec == 2 || args->vec == 3/ {
		@s[kstack(8), args->vec, cpu, pid] = count(); }' > "$TMP/bt.raw" 2>&1 &
	BT_PID=$!
	on_exit "kill $BT_PID 2>/dev/null"
	bt_wait "$TMP/bt.raw"
	sleep 1
	mkdir "$INST"
	on_exit "rmdir $INST 2>/dev/null"
	echo 4096 > "$INST/buffer_size_kb"
	echo 'vec == 2 || vec == 3' > "$INST/events/irq/softirq_entry/filter"
	echo 1 > "$INST/events/irq/softirq_entry/enable"
	echo 1 > "$INST/tracing_on"
	"$GEN/udp_rcvbuf" --count $N --cpu $CPU > "$TMP/gen.json" &
	GEN_PID=$!
	wait $GEN_PID
	check_eq "$1: generator exits 0" 0 $?
	sent=$(jq .sent "$TMP/gen.json")
	# a second sender whose pid is the first's + 256: the same cell of
	# skbtop's per-CPU task array, which the first owns on this CPU, so its
	# runs are counted in the task hash (ns_last_pid picks the next pid; a
	# fork elsewhere in between takes it: then again, 20 tries at most)
	rm -f "$TMP/go"
	mkfifo "$TMP/go"
	tries=0
	while :; do
		echo $((GEN_PID + 255)) > /proc/sys/kernel/ns_last_pid
		sh -c 'read _ < "$1"; exec "$2" --count "$3" --cpu "$4"' sh "$TMP/go" \
			"$GEN/udp_rcvbuf" $N2 $CPU > "$TMP/gen2.json" &
		GEN2_PID=$!
		tries=$((tries + 1))
		[ $GEN2_PID -ne $((GEN_PID + 256)) ] && [ $tries -lt 20 ] || break
		kill $GEN2_PID 2>/dev/null; wait $GEN2_PID 2>/dev/null
	done
	echo > "$TMP/go"
	wait $GEN2_PID
	check_eq "$1: second generator exits 0" 0 $?
	check_eq "$1: second generator's pid: the first's + 256 (ns_last_pid, $tries tries)" \
		$((GEN_PID + 256)) $GEN2_PID
	sent2=$(jq .sent "$TMP/gen2.json")
	echo 0 > "$INST/tracing_on"
	bt_end $BT_PID
	skbtop_stop
	check_eq "$1: skbtop exits 0" 0 "$SKB_RC"
	cat "$INST/trace" > "$TMP/trace"
	echo 0 > "$INST/events/irq/softirq_entry/enable"
	rmdir "$INST"

	check_eq "$1: tracefs lost no events" 0 "$(grep -c LOST "$TMP/trace")"
	awk "$classify" "$TMP/bt.raw" > "$TMP/bt.loc"
	trace_gen=$(grep -cE "^ *[^ ].*-$GEN_PID +\[" "$TMP/trace")
	bt_gen=$(awk -v p=$GEN_PID '$3 == p { n += $5 } END { print n + 0 }' "$TMP/bt.loc")
	bt_task=$(awk -v p=$GEN_PID -v c=$CPU '$1 == 3 && $2 == c && $3 == p && $4 == "task" {
		n += $5 } END { print n + 0 }' "$TMP/bt.loc")
	skb_task=$(skb_sum "(.sirq_tasks // [])[] | select(.pid == $GEN_PID and .cpu == $CPU) | .net_rx")
	skb_other=$(skb_sum "(.sirq_tasks // [])[] | select(.pid == $GEN_PID and .cpu != $CPU) | .net_rx + .net_tx")
	check_eq "$1: sent == datagrams asked" "$N" "$sent"
	check_eq "$1: tracefs softirq_entry NET_RX/TX in the generator == bpftrace's" \
		"$trace_gen" "$bt_gen"
	check_eq "$1: bpftrace NET_RX at do_softirq in the generator, CPU $CPU == datagrams sent" \
		"$sent" "$bt_task"
	check_eq "$1: skbtop's task row (generator, CPU $CPU) NET_RX == bpftrace's" \
		"$bt_task" "$skb_task"
	check_eq "$1: skbtop's generator rows on other CPUs" 0 "$skb_other"
	bt_task2=$(awk -v p=$GEN2_PID -v c=$CPU '$1 == 3 && $2 == c && $3 == p && $4 == "task" {
		n += $5 } END { print n + 0 }' "$TMP/bt.loc")
	check_eq "$1: bpftrace NET_RX at do_softirq in the second generator == its datagrams" \
		"$sent2" "$bt_task2"
	check_eq "$1: skbtop's row for the second generator (the task hash) == bpftrace's" \
		"$bt_task2" \
		"$(skb_sum "(.sirq_tasks // [])[] | select(.pid == $GEN2_PID and .cpu == $CPU) | .net_rx")"
	check_eq "$1: ... under its own name" udp_rcvbuf \
		"$(jq -r "(.sirq_tasks // [])[] | select(.pid == $GEN2_PID) | .comm" "$SKB_OUT" | sort -u)"
	check_eq "$1: bpftrace located every run of the generator" 0 \
		"$(awk -v p=$GEN_PID '$3 == p && $4 == "unknown" { n += $5 } END { print n + 0 }' \
		"$TMP/bt.loc")"
	check_eq "$1: skbtop's task table had room" 0 "$(skb_sum '.totals.sirq_task_untracked')"
}

SKB_PROBES=softirq_where
mode=$("$SKBTOP" probes -j | jq -r '.[] | select(.probe == "softirq_where") | .mode')
echo "# softirq_where mode here: $mode"
run "$mode"
# the stack mode's other variant: raw_tp, when tp_btf fails to attach
if [ "$mode" = tp_btf ]; then
	SKBTOP_FAIL_ATTACH=sirq_entry_stack_btf
	export SKBTOP_FAIL_ATTACH
	moved=$("$SKBTOP" probes -j -P softirq_where |
		jq -r '.[] | select(.probe == "softirq_where") | .mode')
	check_eq "a failed tp_btf attach moves softirq_where to raw_tp" raw_tp "$moved"
	run raw_tp
fi
finish
