#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# record / report / diff on this kernel:
#  - record -- udp_rcvbuf: report's SOCKET_RCVBUFF total == the generator's
#    Udp RcvbufErrors delta, exactly; CMD's status is returned
#  - record -- false returns 1 and still writes a valid file; a killed CMD
#    gives 128 + signal
#  - SIGINT during record -d 30 leaves a complete, valid file, no temp file
#    (tests/live/test_safety.sh: output paths, signals during the write)
#  - before/after with net.core.skb_defer_max at its default and at 0 (restored
#    on every exit path): diff flags kicks and IPIs, drops stay within noise
. "$(dirname "$0")/lib.sh"
need_root
SKBTOP=${SKBTOP:-$ROOT/skbtop}

valid() {	# valid FILE: report reads it and it says what it is
	"$SKBTOP" report "$1" --format json > "$1.report" 2> "$1.err" &&
		[ "$(jq -r .capture_version "$1.report")" = "1.6" ]
}

# ---- exact drop count through record + report ----
if [ -x "$GEN/udp_rcvbuf" ]; then
	F=$TMP/udp.json
	"$SKBTOP" record -i 0.5 -o "$F" -- "$GEN/udp_rcvbuf" --count 20000 > "$TMP/gen.json" \
		2> "$TMP/rec.err"
	check_eq "record -- udp_rcvbuf returns its status" 0 $?
	check_true "udp capture is valid" valid "$F"
	want=$(jq .rcvbuf_errors "$TMP/gen.json")
	got=$(jq '[.totals.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count] | add // 0' \
		"$F.report")
	check_eq "report SOCKET_RCVBUFF == generator rcvbuf_errors" "$want" "$got"
	byr=$(jq '[.drops_by_reason[] | select(.reason == "SOCKET_RCVBUFF") | .count] | add // 0' \
		"$F.report")
	check_eq "drops_by_reason agrees" "$want" "$byr"
	samples=$(jq '[.samples[].drops[]? | select(.reason == ('"$(jq '.names.reasons[] | select(.name == "SOCKET_RCVBUFF") | .id' "$F")"')) | .count] | add // 0' "$F")
	check_eq "per-interval samples add up to the total" "$want" "$samples"
	check_eq "command recorded" "$GEN/udp_rcvbuf" "$(jq -r '.command.argv[0]' "$F")"
	check_true "environment recorded (release, sysctls, probes)" sh -c "
		[ \"\$(jq -r .environment.kernel_release $F)\" = \"$(uname -r)\" ] &&
		[ \"\$(jq -r '.environment.sysctls[\"net.core.skb_defer_max\"]' $F)\" = \
			\"$(cat /proc/sys/net/core/skb_defer_max)\" ] &&
		[ \"\$(jq '.probes | length' $F)\" -gt 5 ]"
	"$SKBTOP" report "$F" > "$TMP/report.txt"
	check_eq "report text exits 0" 0 $?
	"$SKBTOP" report "$F" --format markdown > "$TMP/report.md"
	check_eq "report markdown exits 0" 0 $?
	# without -L the capture has no locations; with -L every row names one
	check_eq "default capture: no location names" 0 "$(jq '.names.locations | length' "$F")"
	FL=$TMP/udp-L.json
	"$SKBTOP" record -L -i 0.5 -o "$FL" -- "$GEN/udp_rcvbuf" --count 20000 > "$TMP/genL.json" \
		2> "$TMP/recL.err"
	check_eq "record -L -- udp_rcvbuf returns its status" 0 $?
	check_true "-L capture is valid" valid "$FL"
	check_eq "-L: report SOCKET_RCVBUFF == generator rcvbuf_errors" \
		"$(jq .rcvbuf_errors "$TMP/genL.json")" \
		"$(jq '[.totals.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count] | add // 0' "$FL.report")"
	check_eq "-L: every SOCKET_RCVBUFF row has a udp location" 0 \
		"$(jq '[.totals.drops[] | select(.reason == "SOCKET_RCVBUFF")
			| select((.location // "") | test("^udp") | not)] | length' "$FL.report")"
	# the file (1.2): drops per (reason, CPU), drop_details per location summed over CPUs
	rid=$(jq '.names.reasons[] | select(.name == "SOCKET_RCVBUFF") | .id' "$FL")
	check_eq "-L file: drop_details SOCKET_RCVBUFF == generator rcvbuf_errors" \
		"$(jq .rcvbuf_errors "$TMP/genL.json")" \
		"$(jq "[.totals.drop_details[] | select(.reason == $rid) | .count] | add // 0" "$FL")"
	check_eq "-L file: per-CPU SOCKET_RCVBUFF rows == generator rcvbuf_errors" \
		"$(jq .rcvbuf_errors "$TMP/genL.json")" \
		"$(jq "[.totals.drops[] | select(.reason == $rid) | .count] | add // 0" "$FL")"
	check_eq "-L file: per-CPU rows carry a CPU and no location" 0 \
		"$(jq '[.totals.drops[] | select((.cpu | type) != "number" or .location != "0x0")] | length' "$FL")"
	check_eq "-L: the drops probe says so in the capture" 1 \
		"$(jq '[.probes[] | select(.probe == "drops") | select((.note // "") | test("^-L"))] | length' "$FL")"
else
	not_ok "tests/gen/bin/udp_rcvbuf missing (make gen)"
fi

# ---- CMD status ----
# ---- an existing capture is kept as FILE.old, never lost ----
F=$TMP/again.json
"$SKBTOP" record -i 0.2 -o "$F" -- true 2> /dev/null
first=$(jq -c .start_time_ns "$F")
"$SKBTOP" record -i 0.2 -o "$F" -- true 2> "$TMP/again.err"
check_eq "a second record over FILE exits 0" 0 $?
check_eq "FILE.old is the first capture" "$first" "$(jq -c .start_time_ns "$F.old")"
second=$(jq -c .start_time_ns "$F")
check_true "FILE is the second capture" [ "$second" != "$first" ]
check_true "... and says so" grep -q "the previous $F is kept as $F.old" "$TMP/again.err"
rm "$F.old" && mkdir "$F.old"
"$SKBTOP" record -i 0.2 -o "$F" -- true 2> "$TMP/again.err"
check_eq "FILE.old a directory: exit 1, FILE not replaced" "1 $second" \
	"$? $(jq -c .start_time_ns "$F")"
rmdir "$F.old"
F=$TMP/false.json
"$SKBTOP" record -i 0.2 -o "$F" -- false 2> /dev/null
check_eq "record -- false returns 1" 1 $?
check_true "record -- false still writes a valid file" valid "$F"
check_eq "exit status 1 in the file" 1 "$(jq .command.exit_status "$F")"
F=$TMP/killed.json
"$SKBTOP" record -i 0.2 -o "$F" -- sh -c 'kill -TERM $$' 2> /dev/null
check_eq "record of a CMD killed by SIGTERM returns 143" 143 $?
check_eq "signal 15 in the file" 15 "$(jq .command.signal "$F")"
"$SKBTOP" record -o "$TMP/x.json" -- /nonexistent/cmd 2> /dev/null
check_eq "record of a missing CMD returns 127" 127 $?
"$SKBTOP" record -i 0.2 -- true 2> /dev/null
check_eq "record without -o is a usage error" 64 $?

# ---- SIGINT during record -d 30 ----
F=$TMP/int.json
"$SKBTOP" record -d 30 -i 0.2 -o "$F" 2> "$TMP/int.err" &
pid=$!
on_exit "kill $pid 2>/dev/null"
# recording starts once the probes are up (seconds on a loaded machine)
w=0
while ! grep -q "recording to" "$TMP/int.err" && [ $w -lt 300 ]; do sleep 0.1; w=$((w + 1)); done
check_true "record without CMD says it records until Ctrl-C" \
	grep -q "skbtop: recording to $F every 0.2 s for -d seconds (or until Ctrl-C)" "$TMP/int.err"
sleep 1.5
kill -INT $pid
wait $pid
check_eq "SIGINT during record -d 30 exits 0" 0 $?
check_true "the file is complete and valid" valid "$F"
n=$(jq '.samples | length' "$F")
check_true "it holds the intervals before the signal ($n)" [ "$n" -ge 5 ]
# a temporary is .int.json.XXXXXX (before: int.json.tmp.PID), a spool int.json.spool.*
left=$(ls -A "$TMP" | grep -c '^\.int\.json\.\|^int\.json\.tmp\.\|^int\.json\.spool\.' || true)
check_eq "no temporary file left" 0 "$left"

# ---- before/after: net.core.skb_defer_max default vs 0 ----
if [ -x "$GEN/defer_kick" ] && [ "$(nproc)" -ge 2 ]; then
	orig=$(cat /proc/sys/net/core/skb_defer_max)
	# skb_defer_max=0 leaves a CPU's defer_count at or above the limit with
	# an empty defer list (6.18: skb_attempt_defer_free() counts the skb and
	# then frees it locally; only a flush of a non-empty list resets the
	# count), and nothing kicks that CPU again. Unstick: raise the limit so
	# skbs are queued again, let each CPU receive (its net_rx_action flushes
	# the list and zeroes the count), restore the limit.
	unstick() {
		echo 100000000 > /proc/sys/net/core/skb_defer_max
		"$GEN/defer_kick" --count 2000 --tx-cpu 0 --rx-cpu 1 > /dev/null 2>&1
		"$GEN/defer_kick" --count 2000 --tx-cpu 1 --rx-cpu 0 > /dev/null 2>&1
		echo "$orig" > /proc/sys/net/core/skb_defer_max
	}
	on_exit unstick
	unstick
	# Pick a CPU pair that kicks now, checked independently with the csd
	# tracepoint.
	PAIR=""
	for p in "0 1" "1 0"; do
		set -- $p
		k=$("$GEN/defer_kick" --count-csd --tx-cpu $1 --rx-cpu $2 2> /dev/null |
			jq '.csd_trigger_rx_softirq // 0')
		if [ "${k:-0}" -gt 0 ]; then PAIR="--tx-cpu $1 --rx-cpu $2"; break; fi
	done
	check_true "a CPU pair kicks on this host now (${PAIR:-none})" [ -n "$PAIR" ]
	on_exit "echo $orig > /proc/sys/net/core/skb_defer_max"
	# 6 s of back-to-back cross-CPU drains, about 550 kicks each, and an
	# unrelated metric at a fixed pace: 2000 UDP datagrams a second to a
	# port nobody listens on (NO_SOCKET drops), the same in both runs
	cat > "$TMP/pace.py" <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.monotonic()
end = t + 6
while t < end:
    for _ in range(100):
        s.sendto(b"x", ("127.0.0.1", 9))
    t += 0.05
    time.sleep(max(0, t - time.monotonic()))
EOF
	cat > "$TMP/work.sh" <<EOF
#!/bin/sh
python3 "$TMP/pace.py" &
end=\$((\$(date +%s) + 6))
while [ \$(date +%s) -lt \$end ]; do
	"$GEN/defer_kick" --count 20000 $PAIR > /dev/null || exit 1
done
wait
EOF
	chmod +x "$TMP/work.sh"
	"$SKBTOP" record -i 0.5 -o "$TMP/before.json" -- "$TMP/work.sh" 2> /dev/null
	check_eq "before run exits 0" 0 $?
	echo 0 > /proc/sys/net/core/skb_defer_max
	"$SKBTOP" record -i 0.5 -o "$TMP/after.json" -- "$TMP/work.sh" 2> /dev/null
	check_eq "after run exits 0" 0 $?
	unstick
	check_eq "skb_defer_max restored" "$orig" "$(cat /proc/sys/net/core/skb_defer_max)"
	"$SKBTOP" diff "$TMP/before.json" "$TMP/after.json" > "$TMP/diff.txt"
	check_eq "diff exits 0" 0 $?
	cat "$TMP/diff.txt" | sed 's/^/# /'
	"$SKBTOP" diff "$TMP/before.json" "$TMP/after.json" --format json > "$TMP/diff.json"
	v() { jq -r --arg m "$1" '[.metrics[] | select(.metric == $m) | .verdict][0] // "absent"' \
		"$TMP/diff.json"; }
	check_eq "kicks sent flagged --" "--" "$(v defer_kicks_sent)"
	check_eq "kicks run flagged --" "--" "$(v defer_kicks_recv)"
	check_eq "IPIs flagged --" "--" "$(v defer_ipis_sent)"
	check_eq "unrelated NO_SOCKET drops within noise" "~" "$(v drop:NO_SOCKET)"
	check_eq "drops within noise" "~" "$(v drops)"
	check_true "warns that skb_defer_max differs" \
		grep -q "WARNING: net.core.skb_defer_max differs: $orig -> 0" "$TMP/diff.txt"
	long=$(awk 'length > 72' "$TMP/diff.txt" | wc -l)
	check_eq "diff text fits 72 columns" 0 "$long"
	"$SKBTOP" diff "$TMP/before.json" "$TMP/after.json" --format markdown > "$TMP/diff.md"
	check_true "diff markdown is a table" grep -q '^| metric | before | after' "$TMP/diff.md"
else
	not_ok "tests/gen/bin/defer_kick missing or fewer than 2 CPUs"
fi

# ---- bad files ----
for f in "$ROOT"/tests/data/captures/bad_*.json; do
	"$SKBTOP" report "$f" > /dev/null 2> "$TMP/bad.err"
	rc=$?
	if [ $rc -ne 1 ] || ! [ -s "$TMP/bad.err" ]; then
		not_ok "report $(basename "$f"): rc $rc, message '$(cat "$TMP/bad.err")'"
		BADFAIL=1
	fi
done
[ -z "${BADFAIL:-}" ] && ok "every crafted bad file: exit 1 with a message"
finish
