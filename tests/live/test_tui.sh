#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The live screen, driven under tmux at 120x40: the drops panel's
# SOCKET_RCVBUFF count equals the namespace's Udp RcvbufErrors delta over
# the same window (z before the workload, p after it); panel switches, sort
# and filter change what is shown; resize to 60x15 and back leaves no
# garbage; q and SIGTERM exit 0, restore the terminal and leave no BPF
# links or programs behind; -n N exits by itself. The main run uses -L
# (drop locations) for the drill-down.
# SAVE_SCREENS=DIR copies the panel captures there (docs/screens/).
. "$(dirname "$0")/lib.sh"
need_root
command -v tmux > /dev/null || { not_ok "tmux not installed"; exit 1; }

N=10000
NS=skbtop-tui-$$
SOCK=skbtop-tui-$$
S=tui
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
on_exit "tmux -L $SOCK kill-server 2>/dev/null; ip netns del $NS 2>/dev/null"

cat > "$TMP/run.sh" <<EOF
#!/bin/sh
# \$1: tag for the status files; the rest: skbtop arguments
tag=\$1; shift
"$SKBTOP" "\$@" 2> "$TMP/stderr.\$tag"
echo \$? > "$TMP/rc.\$tag"
sleep 600
EOF

# start_tui TAG ARGS...: a new session running skbtop
start_tui() {
	tag=$1; shift
	tm kill-session -t $S 2>/dev/null
	rm -f "$TMP/rc.$tag"
	tm new-session -d -s $S -x 120 -y 40 "sh $TMP/run.sh $tag $*"
	tm set-option -t $S window-size manual > /dev/null 2>&1
}

cap() { tm capture-pane -p -t $S; }

# wait_for STRING [tenths]: until the screen shows STRING
wait_for() {
	i=0
	while [ $i -lt "${2:-50}" ]; do
		cap | grep -qF -- "$1" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# wait_gone STRING [tenths]
wait_gone() {
	i=0
	while [ $i -lt "${2:-50}" ]; do
		cap | grep -qF -- "$1" || return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

wait_rc() {
	i=0
	while [ ! -s "$TMP/rc.$1" ] && [ $i -lt "${2:-50}" ]; do
		sleep 0.1; i=$((i + 1))
	done
	cat "$TMP/rc.$1" 2> /dev/null || echo none
}

keys() { tm send-keys -t $S "$@"; }
type_line() { tm send-keys -t $S -l "$1"; tm send-keys -t $S Enter; }
save() { cap > "$TMP/screen.$1.txt"; }

# the body of the screen: everything but the header lines (clock, overhead)
body() { sed -n '4,$p' "$1"; }

nbpf() { bpftool "$1" list 2> /dev/null | grep -c '^[0-9]*:'; }
links_before=$(nbpf link)
progs_before=$(nbpf prog)

ip netns add $NS && ip -n $NS link set lo up || { not_ok "create netns"; exit 1; }

# ---- drops: exact count over a z..p window ----
start_tui main -L -i 0.5 -n 100000
check_true "screen comes up" wait_for "1 CPUs" 100
sleep 1.2	# a few ticks: the header's overhead figures need one
keys 3
check_true "drops panel shows" wait_for "Drops by reason"
keys z
check_true "z zeroes" wait_for "zeroed: counts from now"
h0=$(cap | grep '^history')
# pinned to CPU 0: the row graph below is of a CPU this flood left alone
taskset -c 0 "$GEN/udp_rcvbuf" --count $N -N $NS > "$TMP/gen.json"
check_eq "udp_rcvbuf exits 0" 0 $?
# the history strip: the drops sparkline has moved (its peak drawn as '#')
sleep 1.2
h1=$(cap | grep '^history')
check_true "history strip drawn ($h1)" [ -n "$h1" ]
check_true "drops sparkline moved under the workload" [ "$h0" != "$h1" ]
check_true "drops sparkline peaks at '#'" sh -c "echo '$h1' | sed 's/ kicks.*//' | grep -q '#'"
# a second reason, few drops: UDP to a port nobody bound
ip netns exec $NS python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3): s.sendto(b"x", ("127.0.0.1", 9))'
keys p
check_true "p pauses" wait_for "[PAUSED]"
save drops
snmp=$(jq .rcvbuf_errors "$TMP/gen.json")
sent=$(jq .sent "$TMP/gen.json")
received=$(jq .received "$TMP/gen.json")
seen=$(awk '$1 == "SOCKET_RCVBUFF" { print $2 }' "$TMP/screen.drops.txt")
check_eq "drops panel SOCKET_RCVBUFF == Udp RcvbufErrors delta" "$snmp" "$seen"
check_eq "drops panel SOCKET_RCVBUFF == sent - received" $((sent - received)) "$seen"
check_eq "NO_SOCKET shows its 3 drops" 3 \
	"$(awk '$1 == "NO_SOCKET" { print $2 }' "$TMP/screen.drops.txt")"
check_true "top location is in udp" grep -Eq '^SOCKET_RCVBUFF .* udp' "$TMP/screen.drops.txt"

# sort: by count (default) SOCKET_RCVBUFF leads; by reason NO_SOCKET leads
first_reason() { sed -n '/^REASON/,$p' "$1" | sed -n 2p | awk '{ print $1 }'; }
check_eq "sorted by count: biggest first" SOCKET_RCVBUFF "$(first_reason "$TMP/screen.drops.txt")"
keys s s s s
wait_for "REASON*" 20
save sorted
check_true "s marks the sort column" grep -q '^REASON\*' "$TMP/screen.sorted.txt"
r1=$(first_reason "$TMP/screen.sorted.txt")
r2=$(sed -n '/^REASON/,$p' "$TMP/screen.sorted.txt" | sed -n 3p | awk '{ print $1 }')
check_true "sorted by reason: alphabetical ($r1 < $r2)" test "$(printf '%s\n%s\n' "$r1" "$r2" | sort | head -1)" = "$r1" -a "$r1" != "$r2"
keys s
wait_for "count*" 20

# drill-down: Enter on the first row (SOCKET_RCVBUFF), Esc back
keys g Enter
check_true "Enter drills into a reason" wait_for "SOCKET_RCVBUFF: by location and by CPU"
save drops-drill
check_true "drill lists the udp location" grep -q '^udp_' "$TMP/screen.drops-drill.txt"
check_eq "drill CPU rows add up to the reason count" "$seen" \
	"$(sed -n '/^CPU/,$p' "$TMP/screen.drops-drill.txt" | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }')"
keys Escape
check_true "Esc returns to the reason table" wait_for "Drops by reason"

# a cpu: filter (still paused): the reason counts come from the per-CPU
# counts by reason, so SOCKET_RCVBUFF is exactly its busiest CPU's drill
# row; the drill's locations are over all CPUs and say so
top=$(sed -n '/^CPU/,$p' "$TMP/screen.drops-drill.txt" |
	awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1, $2 }' | sort -k2,2nr | head -1)
keys f; type_line "cpu:${top% *}"
check_true "a cpu: filter titles the panel" wait_for "Drops by reason on the filtered CPUs" 30
save drops-cpu
check_eq "cpu:${top% *}: SOCKET_RCVBUFF == that CPU's drill row" "${top#* }" \
	"$(awk '$1 == "SOCKET_RCVBUFF" { print $2 }' "$TMP/screen.drops-cpu.txt")"
keys g Enter
check_true "the drill under a cpu: filter says its locations are over all CPUs" \
	wait_for "SOCKET_RCVBUFF: by location (all CPUs) and by CPU" 30
keys Escape
wait_for "Drops by reason" 20
other=$(( ${top% *} == 0 ? 1 : 0 ))
if [ "$(nproc)" -ge 2 ]; then
	keys f; type_line "cpu:$other"
	wait_for "filter: cpu:$other" 30
	sleep 0.3
	save drops-other
	check_eq "cpu:$other: SOCKET_RCVBUFF == that CPU's drill row (or none)" \
		"$(sed -n '/^CPU/,$p' "$TMP/screen.drops-drill.txt" |
			awk -v c=$other 'NR > 1 && $1 == c { n = $2 } END { print n + 0 }')" \
		"$(awk '$1 == "SOCKET_RCVBUFF" { n = $2 } END { print n + 0 }' "$TMP/screen.drops-other.txt")"
fi
keys f; type_line ""
wait_for "filter cleared" 20

# filter: a reason substring, no match, a bad CPU list, then clear
keys f; type_line "reason:RCVBUF"
wait_for "filter: reason:RCVBUF" 20
save filtered
check_true "filter keeps the matching reason" grep -q '^SOCKET_RCVBUFF' "$TMP/screen.filtered.txt"
check_true "filter hides the others" sh -c "! grep -q '^NO_SOCKET' $TMP/screen.filtered.txt"
keys f; type_line "nomatch"
check_true "a filter matching nothing says so" wait_for "nothing yet for this filter"
keys f; type_line "cpu:7-2"
check_true "a bad CPU list shows an error line" wait_for "bad filter: bad CPU range"
keys f; type_line "cpu:0-"
check_true "a malformed CPU list shows an error line" wait_for "bad filter: bad CPU list"
keys f; type_line ""
check_true "an empty filter clears it" wait_for "filter cleared"
check_true "still alive after bad input" wait_for "SOCKET_RCVBUFF"
keys /; type_line "no_sock"
check_true "/ searches (status line)" wait_for "search: no_sock (n: next)"
keys Escape
check_true "Esc clears the search" wait_gone "search: no_sock"

# ---- panels ----
keys 1
check_true "1: per-CPU panel" wait_for "kick>"
keys t
wait_for "[TOTALS]" 20
save cpus
keys t
cpu_drops=$(awk '$1 == "all" { print $NF }' "$TMP/screen.cpus.txt")
check_true "CPU panel totals: drops on all CPUs ($cpu_drops) >= both reasons" \
	test "${cpu_drops:-0}" -ge $((seen + 3))
# unmeasured columns (fentry probes under lockdown) are hidden until `a`
check_true "unmeasured columns hidden by default (no hit%, refil)" \
	sh -c "! grep -Eq 'hit%|refil' '$TMP/screen.cpus.txt'"
keys a
check_true "a: every column, the unmeasured ones too" wait_for "hit%" 30
save cpusall
check_true "a: unavailable fentry metrics show '-'" grep -Eq '^all +- +- ' "$TMP/screen.cpusall.txt"
keys a
check_true "a again: hidden again" wait_gone "hit%" 30
# 80x24: the drops column (the one with data on this host) is on screen
tm resize-window -t $S -x 80 -y 24
sleep 1.5
save cpus80
check_true "80x24: the drops column is shown" grep -Eq ' drops\*?$| drops ' "$TMP/screen.cpus80.txt"
check_true "80x24: no line wider than 80" sh -c "! awk 'length > 80' '$TMP/screen.cpus80.txt' | grep -q ."
tm resize-window -t $S -x 120 -y 40
# Enter on a CPU row: that CPU's time graph. The screen is still paused
# (no interval read, nothing drawn): sampling resumes for the graph and
# pauses again after it. The graph is of the last CPU, which the pinned
# flood above left alone (CPU 0 on a 1-CPU machine), filtered to one row.
gcpu=$(($(nproc) - 1))
keys 1; keys f; type_line "cpu:$gcpu"
wait_for "filter: cpu:$gcpu" 30
# p before Enter: the graph takes no keys but Esc and the scroll keys; z:
# the first interval read starts now, not at the pause
keys p z
check_true "p resumes" wait_gone "[PAUSED]" 30
keys g Enter
check_true "Enter on a CPU row opens its graph" wait_for ": per second (hit%: percent)" 30
save graph
check_eq "the graph is of CPU $gcpu" "$gcpu" \
	"$(sed -n 's/^CPU \([0-9]*\): per second.*/\1/p' "$TMP/screen.graph.txt" | head -1)"
# the drops series' peak, per second, over the window ("drops  last X  max
# Y", Y as the screen prints rates: 996, 1.2k), as a whole number
gmax() {
	awk '$1 == "drops" && $4 == "max" { v = $5; m = 1
		if (v ~ /k$/) { m = 1000; sub(/k$/, "", v) } else if (v ~ /M$/) { m = 1e6; sub(/M$/, "", v) }
		printf "%d\n", v * m }' "$1"
}
max0=$(gmax "$TMP/screen.graph.txt")
sleep 1.2	# two intervals read
taskset -c $gcpu "$GEN/udp_rcvbuf" --count 500 > "$TMP/graph-gen.json"
check_eq "udp_rcvbuf pinned to CPU $gcpu exits 0" 0 $?
gdrops=$(jq .rcvbuf_errors "$TMP/graph-gen.json")
check_eq "its datagrams not received were dropped" \
	"$(jq '.sent - .received' "$TMP/graph-gen.json")" "$gdrops"
# its drops fall in one or two intervals of 0.5 s (up to 1 s when the
# screen falls behind): one of them holds half or more, a peak of at least
# gdrops / 2 a second; the next refreshes draw it (up to 10 s on a loaded
# machine)
want=$((gdrops / 2))
drew=no i=0
while [ $i -lt 20 ]; do
	sleep 0.5
	save graph2
	sed -n '/^drops /,/^[a-z]/p' "$TMP/screen.graph2.txt" | grep -q '#' &&
		[ "$(gmax "$TMP/screen.graph2.txt")" -ge $want ] && { drew=yes; break; }
	i=$((i + 1))
done
if [ $drew = no ]; then
	sed 's/^/# screen: /' "$TMP/screen.graph2.txt" | head -12
	echo "# udp_rcvbuf: $(cat "$TMP/graph-gen.json")"
fi
check_true "before: CPU $gcpu's drops peak ($max0/s) is below $want/s" [ "${max0:-$want}" -lt $want ]
check_eq "the drops graph draws a peak of >= $want/s after $gdrops drops on CPU $gcpu" yes $drew
keys Escape
check_true "Esc closes the graph" wait_for "kick>" 30
keys p
check_true "p pauses again" wait_for "[PAUSED]" 30
keys f; type_line ""
wait_for "filter cleared" 20
sleep 0.5
keys f; type_line "cpu:0"
wait_for "filter: cpu:0" 20
save cpus-filtered
check_eq "CPU filter leaves CPU 0 only" "0" \
	"$(sed -n '/^CPU/,$p' "$TMP/screen.cpus-filtered.txt" | awk 'NR > 1 && $1 ~ /^[0-9]+$/' | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
keys f; type_line ""
keys Tab
check_true "Tab: queue panel" wait_for "TOP DROP REASON"
keys 4
check_true "4: IPI matrix" wait_for 'from\to'
keys m
check_true "m: IPI metric" wait_for "IPIs, sender (row)"
keys m m
keys 5
check_true "5: histograms" wait_for "log2 histograms"
save hist
keys h
check_true "h: help" wait_for "switch panel: CPUs, Queues"
save help
keys Escape
keys P
check_true "P: probe list with reasons" wait_for "WHY / NOTE"
save probes
check_true "probe list names the drops probe's mode" grep -Eq '^drops +tp_btf|^drops +raw_tp' "$TMP/screen.probes.txt"
keys Escape

# ---- queues and IPIs with live workloads (resumed) ----
keys p z
wait_gone "[PAUSED]" 20
sleep 1.2
"$GEN/tap_flood" -n 1500 > "$TMP/tap.json"
"$GEN/defer_kick" > "$TMP/defer.json"
keys t p 2
wait_for "[PAUSED]" 20
wait_for "TOP DROP REASON" 20
save queues
ifname=$(jq -r .ifname "$TMP/tap.json")
for q in $(jq -r '.queues[].queue' "$TMP/tap.json"); do
	want=$(jq ".queues[] | select(.queue == $q) | .dropped" "$TMP/tap.json")
	got=$(awk -v d="$ifname" -v q="tx$q" '$1 == d && $2 == q { print $(NF - 2) }' "$TMP/screen.queues.txt")
	check_eq "queue panel $ifname tx$q drops == tap_flood dropped" "$want" "$got"
done
check_true "queue panel names FULL_RING as top reason" grep -q 'FULL_RING' "$TMP/screen.queues.txt"
keys 4
wait_for 'from\to' 20
save ipi
keys 3
wait_for "Drops by reason" 20
save drops-all
keys 1
wait_for "kick>" 20
save cpus-defer
keys t

# ---- resize: 60x15, too small, back to 120x40 ----
keys 3
wait_for "Drops by reason" 20
sleep 0.3
save before-resize
tm resize-window -t $S -x 60 -y 15
sleep 0.5
save small
check_true "60x15 still draws the screen" grep -q '^skbtop' "$TMP/screen.small.txt"
tm resize-window -t $S -x 50 -y 10
check_true "50x10 says the terminal is too small" wait_for "terminal too small" 20
save too-small
tm resize-window -t $S -x 120 -y 40
wait_for "Drops by reason" 20
sleep 0.5
save after-resize
body "$TMP/screen.before-resize.txt" > "$TMP/b1"
body "$TMP/screen.after-resize.txt" > "$TMP/b2"
check_true "no leftover characters after resizing back" cmp -s "$TMP/b1" "$TMP/b2"
check_eq "60x15 capture has 15 lines" 15 "$(wc -l < "$TMP/screen.small.txt")"

# ---- q ----
keys q
check_eq "q exits 0" 0 "$(wait_rc main)"
check_eq "q leaves the alternate screen" 0 "$(tm display -p -t $S '#{alternate_on}')"
check_eq "q leaves the cursor visible" 1 "$(tm display -p -t $S '#{cursor_flag}')"
check_eq "nothing written to stderr under curses" "" "$(cat "$TMP/stderr.main")"

# ---- -n and --no-color ----
start_tui count --no-color -n 6 -i 0.2
wait_for "1 CPUs" 50
tm capture-pane -e -p -t $S > "$TMP/screen.nocolor.ansi"
# 39/49 are tmux's own "default colour" resets
check_true "--no-color: no colour escapes" sh -c "! grep -Eq '\[(3|4)[0-8](;|m)' $TMP/screen.nocolor.ansi"
check_eq "-n 6 exits 0 by itself" 0 "$(wait_rc count 60)"
check_eq "-n leaves the alternate screen" 0 "$(tm display -p -t $S '#{alternate_on}')"

# ---- without -L: the drill-down says locations need -L; CPU rows exact ----
start_tui term -i 0.5
wait_for "1 CPUs" 100
keys 3
wait_for "Drops by reason" 50
keys z
wait_for "zeroed: counts from now" 50
ip netns exec $NS python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): s.sendto(b"x", ("127.0.0.1", 9))'
keys f; type_line "reason:NO_SOCKET"
wait_for "NO_SOCKET" 50
sleep 1.2	# a refresh after the datagrams
keys p
wait_for "[PAUSED]" 20
keys g Enter
check_true "without -L the drill says locations need -L" \
	wait_for "NO_SOCKET: by CPU; by location with -L" 30
save drops-nolocation
check_eq "without -L: drill CPU rows add up to the 5 datagrams" 5 \
	"$(sed -n '/^CPU/,$p' "$TMP/screen.drops-nolocation.txt" | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { s += $2 } END { print s + 0 }')"
keys Escape
keys p
# a device filter has no device to match in drop rows without -L: the panel says so
keys f; type_line "dev:lo"
check_true "without -L a dev: filter on the drops panel says drops carry no device" \
	wait_for "Drops carry no device without -L" 30
keys f; type_line ""
check_true "clearing the filter restores the panel title" wait_for "Drops by reason" 30

# ---- SIGTERM ----
links_running=$(nbpf link)
pane=$(tm display -p -t $S '#{pane_pid}')
pid=$(pgrep -P "$pane" | head -1)
check_true "skbtop attached links while running ($links_running)" test "$links_running" -gt "$links_before"
kill -TERM "$pid"
check_eq "SIGTERM exits 0" 0 "$(wait_rc term)"
check_eq "SIGTERM leaves the alternate screen" 0 "$(tm display -p -t $S '#{alternate_on}')"
check_eq "SIGTERM leaves the cursor visible" 1 "$(tm display -p -t $S '#{cursor_flag}')"
check_eq "bpftool link list count unchanged" "$links_before" "$(nbpf link)"
check_eq "bpftool prog list count unchanged" "$progs_before" "$(nbpf prog)"

if [ -n "${SAVE_SCREENS:-}" ]; then
	mkdir -p "$SAVE_SCREENS"
	for f in cpus cpus-defer queues drops drops-drill drops-all ipi hist help probes \
		 small too-small; do
		cp "$TMP/screen.$f.txt" "$SAVE_SCREENS/$f.txt"
	done
fi
finish
