#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A multi-queue tap nobody reads: N datagrams steered into each queue fill
# its ring (tx_queue_len) and the rest are dropped with FULL_RING. skbtop's
# per device+queue drops must equal N - ring capacity per queue, the
# generator's own per-queue count, and the device's tx_dropped in sum.
. "$(dirname "$0")/lib.sh"
need_root
N=3000
Q=3
IF=skbtap$$

skbtop_start
"$GEN/tap_flood" --queues $Q --count $N --ifname "$IF" > "$TMP/gen.json"
check_eq "tap_flood generator exits 0" 0 $?
skbtop_stop

ring=$(jq .txqueuelen "$TMP/gen.json")
txd=$(jq .tx_dropped "$TMP/gen.json")
total=0
q=0
while [ $q -lt $Q ]; do
	gen=$(jq ".queues[] | select(.queue == $q) | .dropped" "$TMP/gen.json")
	seen=$(skb_sum ".drops[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\"
		and .reason == \"FULL_RING\") | .count")
	qrow=$(skb_sum ".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"tx\") | .drops")
	check_eq "queue $q FULL_RING drops == N - ring" $((N - ring)) "$seen"
	check_eq "queue $q drops == generator's count" "$gen" "$seen"
	check_eq "queue $q row agrees with drop rows" "$seen" "$qrow"
	total=$((total + seen))
	q=$((q + 1))
done
check_eq "sum over queues == device tx_dropped" "$txd" "$total"
# reading the rings out (the steering probes first, then what the flood
# queued) frees every frame with consume_skb
read_out=$(jq '.queued + .probes' "$TMP/gen.json")
check_eq "consumes on the tap == frames read from its rings" "$read_out" \
	"$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .consumes")"
other=$(skb_sum ".drops[] | select(.ifname == \"$IF\" and .reason != \"FULL_RING\") | .count")
check_eq "no other drops on the tap" 0 "$other"
finish
