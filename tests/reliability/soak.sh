#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Soak (not part of make test): two skbtop instances, `--text -j` (the
# per-reason array) and `--text -j -L -C` (the per-location cells and hash,
# with per-CPU counts by reason), run for DURATION seconds (default 600)
# while udp_rcvbuf, tap_flood and defer_kick run in a loop.
# For each, RSS (VmRSS) and open fds are sampled every SAMPLE seconds (default 60,
# DURATION/6 for runs under 10 minutes) and must stay flat after warm-up:
# fds exactly, RSS within max(10%, 1 MiB) of the first sample. At the end
# the counts are still exact over the whole run: SOCKET_RCVBUFF == the sum
# of the generators' rcvbuf_errors, FULL_RING == the sum of tap_flood's
# drops, no map_full. Other drop traffic on the host breaks exactness: run
# it on a quiet machine.
#   DURATION=60 tests/reliability/soak.sh     # a one-minute check
. "$(dirname "$0")/../live/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
DURATION=${DURATION:-600}
if [ -z "${SAMPLE:-}" ]; then
	SAMPLE=60
	[ "$DURATION" -ge 600 ] || SAMPLE=$((DURATION / 6))
	[ "$SAMPLE" -ge 1 ] || SAMPLE=1
fi
OUT=$TMP/soak.jsonl
OUT2=$TMP/soak-L.jsonl
"$SKBTOP" --text -j -i 5 > "$OUT" 2> "$OUT.err" &
SKB=$!
on_exit "kill $SKB 2>/dev/null"
"$SKBTOP" --text -j -L -C -i 5 > "$OUT2" 2> "$OUT2.err" &
SKB2=$!
on_exit "kill $SKB2 2>/dev/null"
wait_file "$OUT" 400 || { not_ok "skbtop did not start: $(cat "$OUT.err")"; exit 1; }
wait_file "$OUT2" 400 || { not_ok "skbtop -L -C did not start: $(cat "$OUT2.err")"; exit 1; }

# the workloads, in a loop until $TMP/stop exists
(
	i=0
	while [ ! -e "$TMP/stop" ]; do
		"$GEN/udp_rcvbuf" --count 20000 > "$TMP/udp.$i.json" || echo "udp_rcvbuf $i failed" >> "$TMP/gen.err"
		"$GEN/tap_flood" --count 3000 --queues 2 > "$TMP/tap.$i.json" || echo "tap_flood $i failed" >> "$TMP/gen.err"
		"$GEN/defer_kick" --count 20000 > "$TMP/defer.$i.json" || echo "defer_kick $i failed" >> "$TMP/gen.err"
		i=$((i + 1))
	done
) &
LOOP=$!
on_exit "touch $TMP/stop; kill $LOOP 2>/dev/null"

sample() {
	for p in $SKB $SKB2; do
		rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$p/status)
		fds=$(ls /proc/$p/fd | wc -l)
		echo "$1 $rss $fds" >> "$TMP/samples.$p"
		echo "# t=$1 s: pid $p VmRSS $rss kB, $fds fds"
	done
}
t=0
while [ $t -lt "$DURATION" ]; do
	step=$SAMPLE
	[ $((t + step)) -le "$DURATION" ] || step=$((DURATION - t))
	sleep $step
	t=$((t + step))
	sample $t
done
touch "$TMP/stop"
wait $LOOP
sleep 6	# one more interval after the last workload
kill -INT $SKB $SKB2
wait $SKB; rc1=$?
wait $SKB2; rc2=$?
check_eq "workloads all succeeded" 0 "$(cat "$TMP/gen.err" 2> /dev/null | wc -l)"
runs=$(ls "$TMP"/udp.*.json | wc -l)
want_rcvbuf=$(cat "$TMP"/udp.*.json "$TMP"/defer.*.json | jq -s 'map(.rcvbuf_errors) | add')
want_ring=$(cat "$TMP"/tap.*.json | jq -s 'map(.dropped) | add')

# check NAME PID RC OUTPUT
check() {
	check_eq "$1: exits 0 after the soak" 0 "$3"
	check_eq "$1: nothing on stderr" 0 "$(wc -c < "$4.err")"
	# flat: the first sample is the warm-up value
	set -- "$1" "$2" "$3" "$4" $(head -1 "$TMP/samples.$2")
	rss0=$6 fds0=$7
	set -- "$1" "$2" "$3" "$4" $(tail -1 "$TMP/samples.$2")
	rss1=$6 fds1=$7
	slack=$((rss0 / 10)); [ $slack -ge 1024 ] || slack=1024
	check_true "$1: VmRSS flat: $rss0 kB after warm-up, $rss1 kB at the end (slack $slack kB)" \
		[ "$rss1" -le $((rss0 + slack)) ]
	check_eq "$1: open fds flat ($fds0 after warm-up)" "$fds0" "$fds1"
	check_eq "$1: every interval present" "$(wc -l < "$4")" \
		"$(jq -s 'map(select(.totals != null)) | length' "$4")"
	got_rcvbuf=$(jq -s '[.[] | .drops[] | select(.reason == "SOCKET_RCVBUFF") | .count] | add // 0' "$4")
	got_ring=$(jq -s '[.[] | .drops[] | select(.reason == "FULL_RING") | .count] | add // 0' "$4")
	check_eq "$1: SOCKET_RCVBUFF over $runs loops == sum of rcvbuf_errors" "$want_rcvbuf" "$got_rcvbuf"
	check_eq "$1: FULL_RING over $runs loops == sum of tap_flood drops" "$want_ring" "$got_ring"
	check_eq "$1: no map_full over the run" 0 "$(jq -s '[.[] | .totals.map_full] | add' "$4")"
}
check default $SKB $rc1 "$OUT"
check "-L -C" $SKB2 $rc2 "$OUT2"
finish
