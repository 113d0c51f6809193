#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry and vhost_net: vhost-net TX batches frames into
# tun_sendmsg(TUN_MSG_PTR). skbtop must attribute to each tun queue exactly
# the generator's N frames: N frames in batches, N skbs built, matching the
# tap's rx_packets. Stock tun builds with build_skb(): no bulk calls.
. "$(dirname "$0")/../live/lib.sh"
need_root
[ -e /dev/vhost-net ] || modprobe vhost_net
N=${N:-4000}
Q=2
skbtop_start -P tun_sendmsg,build,bulk,drops,tun_consume
"$GEN/vhost_tx" --queues $Q --count $N > "$TMP/gen.json"
check_eq "vhost_tx generator exits 0" 0 $?
skbtop_stop
# A preempted fentry program makes the kernel skip a run on that CPU
# (recursion miss, reported in .progs[].misses); a skipped tun_sendmsg entry
# loses one call's attribution: at most 64 frames (vhost-net's batch).
MISS=$(skb_sum '.progs[] | select(.name == "tun_sendmsg_entry") | .misses')
attributed() {	# NAME EXPECTED ACTUAL
	if [ "$MISS" = 0 ]; then
		check_eq "$1" "$2" "$3"
	else
		check_true "$1 less at most 64 per reported miss ($3 of $2, $MISS misses)" \
			[ "$3" -le "$2" -a $(($2 - $3)) -le $((64 * MISS)) ]
	fi
}
IF=$(jq -r .ifname "$TMP/gen.json")
q=0
while [ $q -lt $Q ]; do
	sel=".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"rx\")"
	frames=$(jq ".queues[] | select(.queue == $q) | .completed" "$TMP/gen.json")
	check_eq "queue $q: generator completed N frames" $N "$frames"
	attributed "queue $q: frames in TUN_MSG_PTR batches == N" $N "$(skb_sum "$sel | .sendmsg_frames")"
	attributed "queue $q: skbs built inside tun_sendmsg == N" $N "$(skb_sum "$sel | .builds")"
	batches=$(skb_sum "$sel | .sendmsg_batches")
	check_true "queue $q: batched ($batches batches for $N frames)" [ "$batches" -lt $((N / 4)) ]
	check_eq "queue $q: stock tun makes no bulk calls" 0 "$(skb_sum "$sel | .bulk_calls")"
	q=$((q + 1))
done
check_eq "tap rx_packets == frames sent" $((N * Q)) "$(jq .rx_packets "$TMP/gen.json")"
attributed "builds over all queues == tap rx_packets" "$(jq .rx_packets "$TMP/gen.json")" \
	"$(skb_sum ".queues[] | select(.ifname == \"$IF\") | .builds")"
# events the kernel skipped because the program was busy on that CPU (a
# preempted fentry program): a lost tun_sendmsg entry loses a whole batch
echo "# tun_sendmsg_entry recursion misses: $MISS"
# for the record: every queue row skbtop saw, summed over the run
jq -s -c '[.[] | .queues[]] | group_by([.ifname, .queue, .dir]) | map({dev: .[0].ifname,
	q: .[0].queue, dir: .[0].dir, calls: (map(.sendmsg_calls) | add),
	batches: (map(.sendmsg_batches) | add), frames: (map(.sendmsg_frames) | add),
	builds: (map(.builds) | add), consumes: (map(.consumes) | add)})' "$SKB_OUT" | sed 's/^/# /'
finish
