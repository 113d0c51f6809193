#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry and vhost_net: TCP through vhost-net both ways
# (tests/gen/bin/vhost_tcp: a relay between a plain tap in a "guest" netns
# and a tap whose vhost-net TX and RX virtqueues it feeds; vhost workers on
# CPU 0, relay, client and server on CPU 1), the workload of the series
# review's tcp step. For each tun (the running kernel's, or NAME=KO), a
# stream of N bytes each way and R one-byte request/response transactions,
# each under skbtop and bpftrace in the same window:
#   - the relay's frames == the tap's counter deltas, both ways, no drops,
#     the bytes arrive intact (generator);
#   - skbtop's tun_sendmsg() TUN_MSG_PTR calls and frames on the tap ==
#     bpftrace's (kfunc:tun_sendmsg, ctl->num from the msghdr's control
#     block); its skb builds there == the tap's rx_packets;
#   - napi_consume_skb() with a non-zero budget in task context on the tap's
#     skbs: skbtop == bpftrace (softirq_entry/exit flag); none with stock
#     tun, one per frame vhost read with 1-7 and 1-9;
#   - defer kicks per CPU pair == bpftrace's csd_queue_cpu(trigger_rx_softirq).
#   tests/vm/guest_vhost_tcp.sh N R [NAME=KO...]   (no KO: the kernel's own tun)
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?bytes} R=${2:?transactions}
shift 2
IF=skbvtcp0
[ "$(nproc)" -ge 2 ] || { not_ok "needs 2 CPUs"; finish; }
[ $# -gt 0 ] || set -- running=
if grep -qE " [a-zA-Z] __preempt_count\$" /proc/kallsyms; then TASK=1; else
	echo "# __preempt_count not in kallsyms: consume_task unavailable, its checks not run"
	TASK=0
fi
PROBES=tun_sendmsg,build,consume,defer_kick
[ $TASK = 0 ] || PROBES=$PROBES,consume_task

echo "# kernel $(uname -r)"
for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	if [ -n "$ko" ]; then
		for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
		insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	fi
	modprobe tun && modprobe vhost_net || { not_ok "$var: modprobe tun vhost_net"; continue; }
	for run in stream reverse rr; do
		case $run in
		stream) args="--stream $N" ;;
		reverse) args="--stream $N --reverse" ;;
		rr) args="--rr $R" ;;
		esac
		t="$var $run"
		skbtop_start -C -P $PROBES
		bpftrace -e "
		tracepoint:irq:softirq_entry { @sirq[cpu] = 1; }
		tracepoint:irq:softirq_exit { @sirq[cpu] = 0; }
		kfunc:tun_sendmsg {
			\$c = (uint64)args->m->msg_control;
			if (\$c != 0 && args->m->msg_controllen == 16 && *(uint16 *)\$c == 2) {
				@ptr_calls = count(); @ptr_frames = sum(*(uint16 *)(\$c + 2));
			}
		}
		kfunc:napi_consume_skb /args->budget != 0 && args->skb != 0 && @sirq[cpu] == 0/ {
			if (args->skb->dev->name == \"$IF\") { @tap_task = count(); }
		}
		tracepoint:csd:csd_queue_cpu /(uint64)args->func == kaddr(\"trigger_rx_softirq\")/ {
			@kick[cpu, args->cpu] = count();
		}
		END { clear(@sirq); }" > "$TMP/$var.$run.bt" 2>&1 &
		BT=$!
		bt_wait "$TMP/$var.$run.bt"
		kill -0 $BT 2>/dev/null || { not_ok "$t: bpftrace: $(tail -3 "$TMP/$var.$run.bt")"; skbtop_stop; continue; }
		sleep 2	# bpftrace prints Attaching before its probes are all attached
		# shellcheck disable=SC2086 # args split on purpose
		"$GEN/vhost_tcp" $args --worker-cpu 0 --app-cpu 1 > "$TMP/$var.$run.gen" 2> "$TMP/$var.$run.err"
		rc=$?
		sleep 0.5
		misses=$(bpftool -j prog show | jq '[.[] | select(.type == "tracing") | .recursion_misses // 0] | add // 0')
		bt_end $BT
		skbtop_stop
		gen=$(tail -n1 "$TMP/$var.$run.gen")
		echo "# $t: $gen"
		grep '^@' "$TMP/$var.$run.bt" | sed "s/^/# $t: /"
		check_eq "$t: vhost_tcp exits 0 (bytes intact) $(tail -1 "$TMP/$var.$run.err")" 0 "$rc"
		check_eq "$t: tracing programs skipped no run (recursion misses)" 0 "$misses"
		g() { echo "$gen" | jq "$1"; }
		bt() { bt_map "$TMP/$var.$run.bt" "$1"; }
		bt_at() { sed -n "s/^@$1\[$2\]: //p" "$TMP/$var.$run.bt" | grep . || echo 0; }
		check_eq "$t: two vhost workers pinned" 2 "$(g .workers)"
		check_eq "$t: frames into the TX virtqueue == completed == $IF rx_packets" \
			"$(g .to_host) $(g .to_host)" "$(g .to_host_done) $(g .rx_packets)"
		check_eq "$t: frames vhost read into the RX virtqueue == $IF tx_packets" \
			"$(g .to_guest)" "$(g .tx_packets)"
		check_eq "$t: no drops either way, no offload headers" "0 0 0" \
			"$(g .rx_dropped) $(g .tx_dropped) $(g .offload)"
		sel=".queues[] | select(.ifname == \"$IF\" and .dir == \"rx\")"
		check_eq "$t: tun_sendmsg TUN_MSG_PTR calls on $IF == bpftrace" "$(bt ptr_calls)" \
			"$(skb_sum "$sel | .sendmsg_batches")"
		check_eq "$t: frames in those calls == bpftrace's ctl->num sum" "$(bt ptr_frames)" \
			"$(skb_sum "$sel | .sendmsg_frames")"
		check_eq "$t: frames in those calls == $IF rx_packets" "$(g .rx_packets)" \
			"$(skb_sum "$sel | .sendmsg_frames")"
		check_eq "$t: skb builds in tun_sendmsg on $IF == rx_packets" "$(g .rx_packets)" \
			"$(skb_sum "$sel | .builds")"
		if [ $TASK = 1 ]; then
			tap=$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .napi_consumes_task")
			check_eq "$t: task-context napi_consume_skb on $IF == bpftrace" "$(bt tap_task)" "$tap"
			case $var in
			stock | running) check_eq "$t: none from stock tun's read path" 0 "$tap" ;;
			*) check_eq "$t: one per frame vhost read (patch 7)" "$(g .to_guest)" "$tap" ;;
			esac
		fi
		for pair in "0 1" "1 0"; do
			set -- $pair
			check_eq "$t: defer kicks CPU $1 -> $2 == bpftrace csd_queue_cpu" \
				"$(bt_at kick "$1, $2")" \
				"$(skb_sum "[.kicks[]? | select(.from_cpu == $1 and .to_cpu == $2) | .kicks // 0] | add // 0")"
		done
	done
done
finish
