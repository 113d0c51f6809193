#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Two instances at once: each loads its own maps, so both count every
# SOCKET_RCVBUFF drop of a known UDP workload exactly (== Udp RcvbufErrors
# delta), and stopping one does not disturb the other: A runs over the first
# workload only, B over both, with A's exit in between.
. "$(dirname "$0")/../live/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
N=20000
sum_rcvbuf() {
	jq -s '[.[] | .drops[] | select(.reason == "SOCKET_RCVBUFF") | .count] | add // 0' "$1"
}

# start NAME ARGS: skbtop --text -j in the background, until its first
# interval is out (lib.sh's skbtop_start names its file with $RANDOM, which
# dash lacks, so two instances would share one file)
start() {
	out=$TMP/$1.jsonl; shift
	"$SKBTOP" --text -j -i 0.2 "$@" > "$out" 2> "$out.err" &
	PID=$!
	on_exit "kill $PID 2>/dev/null"
	wait_file "$out" 200 || { not_ok "skbtop did not start: $(cat "$out.err")"; exit 1; }
}
start a
A_PID=$PID A_OUT=$TMP/a.jsonl
start b -P drops
B_PID=$PID B_OUT=$TMP/b.jsonl
grep -h '^map_id' /proc/$A_PID/fdinfo/* | sort -u > "$TMP/a.maps"
grep -h '^map_id' /proc/$B_PID/fdinfo/* | sort -u > "$TMP/b.maps"
check_eq "A ($(wc -l < "$TMP/a.maps") maps) and B ($(wc -l < "$TMP/b.maps")) share no map" \
	0 "$(comm -12 "$TMP/a.maps" "$TMP/b.maps" | wc -l)"

"$GEN/udp_rcvbuf" --count $N > "$TMP/gen1.json"
check_eq "workload 1 exits 0" 0 $?
sleep 0.5
kill -INT $A_PID; wait $A_PID
check_eq "A exits 0" 0 $?
"$GEN/udp_rcvbuf" --count $N > "$TMP/gen2.json"
check_eq "workload 2 exits 0" 0 $?
sleep 0.5
kill -INT $B_PID; wait $B_PID
check_eq "B exits 0" 0 $?

e1=$(jq .rcvbuf_errors "$TMP/gen1.json")
e2=$(jq .rcvbuf_errors "$TMP/gen2.json")
check_eq "A: SOCKET_RCVBUFF == rcvbuf_errors of workload 1" "$e1" "$(sum_rcvbuf "$A_OUT")"
check_eq "B: SOCKET_RCVBUFF == rcvbuf_errors of workloads 1+2" $((e1 + e2)) "$(sum_rcvbuf "$B_OUT")"
check_eq "A and B: no map_full" 0 \
	"$(jq -s '[.[] | .totals.map_full] | add' "$A_OUT" "$B_OUT")"
check_eq "A and B: nothing on stderr" 0 "$(cat "$A_OUT.err" "$B_OUT.err" | wc -c)"
finish
