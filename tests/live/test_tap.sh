#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A multi-queue tap nobody reads: N datagrams steered into each queue fill
# its ring (tx_queue_len) and the rest are dropped with FULL_RING. skbtop's
# per device+queue drops must equal N - ring capacity per queue, the
# generator's own per-queue count, and the device's tx_dropped in sum.
# Run in the default mode (per-queue cells) and with -L (drop rows carry
# device and queue too).
. "$(dirname "$0")/lib.sh"
need_root
N=3000
Q=3

for mode in default detail; do
IF=skbtap$$${mode%"${mode#?}"}
[ $mode = detail ] && set -- -L || set --
skbtop_start "$@"
"$GEN/tap_flood" --queues $Q --count $N --ifname "$IF" > "$TMP/gen.json"
check_eq "$mode: tap_flood generator exits 0" 0 $?
skbtop_stop

ring=$(jq .txqueuelen "$TMP/gen.json")
txd=$(jq .tx_dropped "$TMP/gen.json")
total=0
q=0
while [ $q -lt $Q ]; do
	gen=$(jq ".queues[] | select(.queue == $q) | .dropped" "$TMP/gen.json")
	seen=$(skb_sum ".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\") | .drops")
	check_eq "$mode: queue $q drops == N - ring" $((N - ring)) "$seen"
	check_eq "$mode: queue $q drops == generator's count" "$gen" "$seen"
	if [ $mode = detail ]; then
		rows=$(skb_sum ".drops[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\"
			and .reason == \"FULL_RING\") | .count")
		check_eq "$mode: queue $q FULL_RING drop rows agree with the queue row" "$seen" "$rows"
	fi
	total=$((total + seen))
	q=$((q + 1))
done
check_eq "$mode: sum over queues == device tx_dropped" "$txd" "$total"
# reading the rings out (the steering probes first, then what the flood
# queued) frees every frame with consume_skb
read_out=$(jq '.queued + .probes' "$TMP/gen.json")
check_eq "$mode: consumes on the tap == frames read from its rings" "$read_out" \
	"$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .consumes")"
if [ $mode = detail ]; then
	other=$(skb_sum ".drops[] | select(.ifname == \"$IF\" and .reason != \"FULL_RING\") | .count")
	check_eq "$mode: no other drops on the tap" 0 "$other"
fi
done

# 130 queues: by queue_slot_index() queues q and q + 128 of one device and
# direction share a per-CPU cell, so on every CPU one of each pair is counted
# in the queue hash instead; each queue's count must still be exact.
# queue_counts ROWS FIELD: "QUEUE SUM" for each tx queue of $IF, FIELD of
# the ROWS of skbtop's output summed over its intervals; one jq run, not one
# per queue (those took minutes under TCG)
queue_counts() {
	jq -s -r --arg ifn "$IF" "[.[] | $1 | select(.ifname == \$ifn and .dir == \"tx\")]
		| group_by(.queue)[] | \"\\(.[0].queue) \\(map($2) | add // 0)\"" "$SKB_OUT"
}
# bad_queues WANT: how many of the generator's queues dropped other than WANT
# or were counted other than WANT (queue_counts on stdin); each is named
bad_queues() {
	jq -r '.queues[] | "\(.queue) \(.dropped)"' "$TMP/gen.json" > "$TMP/gen.q"
	awk -v want="$1" 'FILENAME == "-" { seen[$1] = $2; next }
		{ s = ($1 in seen) ? seen[$1] : 0
		  if ($2 != want || s != want) { bad++; print "# queue " $1 ": gen " $2 " seen " s > "/dev/stderr" } }
		END { print bad + 0 }' - "$TMP/gen.q"
}

IF=skbtapc$$
skbtop_start
"$GEN/tap_flood" --queues 130 --count 20 --txqlen 10 --ifname "$IF" > "$TMP/gen.json"
check_eq "130 queues: tap_flood exits 0" 0 $?
skbtop_stop
bad=$(queue_counts '.queues[]' .drops | bad_queues 10)
check_eq "130 queues: every queue's drops == N - ring (10)" 0 "$bad"
check_eq "130 queues: sum == tx_dropped" "$(jq .tx_dropped "$TMP/gen.json")" \
	"$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .drops")"

# -L with 130 queues: 130 (reason, device, queue, location) tuples for 64
# per-CPU drop cells, so most go to the drop hash. CPU 0 drops 10 per queue
# walking the queues up, CPU 1 drops 20 walking them down: a tuple can own
# its cell on one CPU and sit in the hash on the other. Every queue's rows
# must still sum to its drops, once per interval, and with -L -C the
# per-CPU FULL_RING counts (drops_by_cpu) must be each CPU's share.
if [ "$(nproc)" -ge 2 ]; then
for mode in L LC; do
IF=skbtap$mode$$
[ $mode = LC ] && set -- -L -C || set -- -L
skbtop_start "$@"
"$GEN/tap_flood" --queues 130 --count 40 --txqlen 10 --cpu-split --ifname "$IF" > "$TMP/gen.json"
check_eq "-$mode 130 queues, 2 CPUs: tap_flood exits 0" 0 $?
skbtop_stop
rows() { skb_sum ".drops[] | select(.ifname == \"$IF\" and .reason == \"FULL_RING\" $1) | .count"; }
bad=$(queue_counts '.drops[] | select(.reason == "FULL_RING")' .count | bad_queues 30)
check_eq "-$mode: every queue's FULL_RING rows == its drops (30)" 0 "$bad"
check_eq "-$mode: drop rows sum == tx_dropped" "$(jq .tx_dropped "$TMP/gen.json")" "$(rows "")"
# one row per key in each interval: cell and hash counts merged
dups=$(jq -s "[.[] | [.drops[] | select(.ifname == \"$IF\") | [.queue, .dir, .reason, .location]]
	| group_by(.) | .[] | select(length > 1)] | length" "$SKB_OUT")
check_eq "-$mode: no key has two rows in one interval" 0 "$dups"
if [ $mode = LC ]; then
	# the only FULL_RING drops are this device's (its rows sum to tx_dropped above)
	check_eq "-LC: FULL_RING rows are all $IF's" "$(rows "")" \
		"$(skb_sum '.drops[] | select(.reason == "FULL_RING") | .count')"
	cpu_ring() { skb_sum ".drops_by_cpu[] | select(.reason == \"FULL_RING\") | .cpus[$1]"; }
	check_eq "-LC: FULL_RING on CPU 0 == 10 per queue" 1300 "$(cpu_ring 0)"
	check_eq "-LC: FULL_RING on CPU 1 == 20 per queue" 2600 "$(cpu_ring 1)"
fi
done
fi
finish
