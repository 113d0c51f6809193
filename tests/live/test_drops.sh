#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# SOCKET_RCVBUFF drops: skbtop's count over the run equals the namespace's
# Udp RcvbufErrors delta and equals datagrams sent minus datagrams received,
# in the default mode (per-reason array, one row per reason) and with -L -C
# (per-location cells and hash: rows per location summed over CPUs, and
# drops_by_cpu, each reason's count on every CPU).
. "$(dirname "$0")/lib.sh"
need_root
N=20000

for mode in default detail; do
	[ $mode = detail ] && set -- -L -C || set --
	skbtop_start "$@"
	"$GEN/udp_rcvbuf" --count $N > "$TMP/gen.json"
	check_eq "$mode: udp_rcvbuf generator exits 0" 0 $?
	skbtop_stop
	check_eq "$mode: skbtop exits 0 on SIGINT" 0 "$SKB_RC"

	sent=$(jq .sent "$TMP/gen.json")
	received=$(jq .received "$TMP/gen.json")
	snmp=$(jq .rcvbuf_errors "$TMP/gen.json")
	seen=$(skb_sum '.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count')
	check_eq "$mode: generator sent N" $N "$sent"
	check_eq "$mode: SOCKET_RCVBUFF == Udp RcvbufErrors delta" "$snmp" "$seen"
	check_eq "$mode: SOCKET_RCVBUFF == sent - received" $((sent - received)) "$seen"
	rows=$(jq -s '[.[] | .drops[] | select(.reason == "SOCKET_RCVBUFF")] | length' "$SKB_OUT")
	if [ $mode = detail ]; then
		# every row carries a udp location and no cpu (rows are summed over CPUs)
		bad=$(jq -s '[.[] | .drops[] | select(.reason == "SOCKET_RCVBUFF")
			| select(has("cpu") or ((.location // "") | test("^udp")) == false)]
			| length' "$SKB_OUT")
		check_eq "$mode: rows carry a udp location, no cpu ($rows rows)" 0 "$bad"
		dup=$(jq '[.drops[] | [.reason_id, .location_addr, .ifindex, .queue, .dir]]
			| (length - (unique | length))' "$SKB_OUT" | awk '{ s += $1 } END { print s + 0 }')
		check_eq "$mode: at most one row per key an interval" 0 "$dup"
		bycpu=$(skb_sum '.drops_by_cpu[] | select(.reason == "SOCKET_RCVBUFF") | .count')
		check_eq "$mode: drops_by_cpu SOCKET_RCVBUFF == Udp RcvbufErrors delta" "$snmp" "$bycpu"
	else
		# one row per reason and interval: no CPU, device or location
		bad=$(jq -s '[.[] | .drops[] | select(has("cpu") or has("location")
			or has("ifname"))] | length' "$SKB_OUT")
		check_eq "$mode: rows are per reason only ($rows rows)" 0 "$bad"
		dup=$(jq '[.drops[] | .reason_id] | (length - (unique | length))' "$SKB_OUT" |
			awk '{ s += $1 } END { print s + 0 }')
		check_eq "$mode: at most one row per reason an interval" 0 "$dup"
	fi
	# totals agree with the rows, per CPU too
	tot=$(skb_sum '.totals.drops')
	allrows=$(skb_sum '.drops[] | .count')
	check_eq "$mode: totals.drops == sum of drop rows" "$allrows" "$tot"
	# each CPU's drops add up to the totals; with -C they equal that CPU's
	# entries in drops_by_cpu
	cpusum=$(skb_sum '[.cpus[].drops] | add')
	check_eq "$mode: sum of per-CPU drops == totals.drops" "$tot" "$cpusum"
	if [ $mode = detail ]; then
		percpu=$(jq -s '[.[] | . as $s | .cpus[] | .cpu as $c
			| select(.drops != ([$s.drops_by_cpu[] | .cpus[$c]] | add // 0))]
			| length' "$SKB_OUT")
		check_eq "$mode: each CPU's drops == its drops_by_cpu entries" 0 "$percpu"
		bad=$(jq -s '[.[] | .ncpus as $n | .drops_by_cpu[]
			| select((.cpus | length) != $n or (.cpus | add) != .count)] | length' "$SKB_OUT")
		check_eq "$mode: drops_by_cpu rows: ncpus entries adding up to count" 0 "$bad"
	fi
done
finish
