#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Clean detach: 100 start/stop cycles over every way skbtop stops (SIGINT,
# SIGTERM, SIGHUP, end of count, -d, q in the TUI, CMD exit in record,
# SIGTERM to export). Each exits with its defined status, prints no libbpf
# noise, and leaves none of the BPF programs, links, maps or BTF objects it
# created (ids read from /proc/PID/fdinfo while it ran, looked up after).
# The BPF stats sysctl is unchanged (skbtop enables run-time stats through a
# BPF_ENABLE_STATS fd, which the kernel drops on close), the terminal is
# restored after the TUI, and a second signal kills at once.
# CYCLES_SCALE=N divides the per-mode counts (quick runs while developing).
. "$(dirname "$0")/../live/lib.sh"
. "$(dirname "$0")/lib.sh"
need_root
command -v bpftool > /dev/null || { not_ok "bpftool not installed"; exit 1; }
SCALE=${CYCLES_SCALE:-1}
STATS=/proc/sys/kernel/bpf_stats_enabled
stats_before=$(cat $STATS)
T0=$(date +%s)
TOTAL=0

# run_cycle MODE: one start/stop; sets RC, IDS (file), ERR (file)
run_cycle() {
	mode=$1
	n=$((n + 1))
	OUT=$TMP/out.$mode.$n; ERR=$TMP/err.$mode.$n; IDS=$TMP/ids.$mode.$n
	: > "$IDS"
	# the wrapper execs skbtop (same pid) once the poller has looked
	set -- sh -c 'while [ ! -e "$0" ]; do sleep 0.01; done; exec "$@"' "$IDS.ready" "$SKBTOP"
	case $mode in
	int|term|hup)
		"$@" --text -j -i 0.05 > "$OUT" 2> "$ERR" & ;;
	count)
		"$@" --text 0.05 2 > "$OUT" 2> "$ERR" & ;;
	duration)
		"$@" --text -i 0.05 -d 0.15 > "$OUT" 2> "$ERR" & ;;
	record)
		"$@" record -i 0.05 -o "$TMP/rec.$n.json" -- sleep 0.3 > "$OUT" 2> "$ERR" & ;;
	export)
		"$@" export --textfile "$TMP/metrics.$n.prom" -i 0.05 > "$OUT" 2> "$ERR" & ;;
	esac
	pid=$!
	ids_poll $pid "$IDS" &
	poller=$!
	case $mode in
	int|term|hup)
		wait_file "$OUT" 400
		wait_ids $pid "$IDS"
		kill -"$(echo $mode | tr a-z A-Z)" $pid ;;
	export)
		wait_file "$TMP/metrics.$n.prom" 400
		wait_ids $pid "$IDS"
		kill -TERM $pid ;;
	esac
	wait $pid
	RC=$?
	wait $poller
}

# cycles MODE COUNT EXPECTED_RC DESCRIPTION
# Object ids are never reused at once (the kernel allocates them
# cyclically), so the ids of a whole group are looked up once at its end.
cycles() {
	mode=$1 count=$(($2 / SCALE)) want=$3 desc=$4
	[ "$count" -ge 1 ] || count=1
	badrc=0 noisy=0 unseen=0 c=0
	ALL=$TMP/ids.$mode.all; : > "$ALL"
	while [ $c -lt "$count" ]; do
		run_cycle "$mode"
		[ "$RC" = "$want" ] || { badrc=$((badrc + 1)); echo "# $mode cycle $n: exit $RC: $(head -c 300 "$ERR")"; }
		[ "$(noise "$ERR")" = 0 ] || noisy=$((noisy + 1))
		[ "$(ids_count "$IDS" prog)" -gt 0 ] && [ "$(ids_count "$IDS" link)" -gt 0 ] &&
			[ "$(ids_count "$IDS" map)" -gt 0 ] ||
			{ unseen=$((unseen + 1)); echo "# $mode cycle $n: saw $(tr '\n' ' ' < "$IDS")"; }
		cat "$IDS" >> "$ALL"
		c=$((c + 1))
	done
	sort -u -o "$ALL" "$ALL"
	left=$(ids_left "$ALL")
	[ "$left" = 0 ] || echo "# $mode left: $(comm -12 "$ALL" "$ALL.now" | tr '\n' ' ')"
	TOTAL=$((TOTAL + count))
	check_eq "$desc: $count cycles exit $want" 0 $badrc
	check_eq "$desc: none of $(ids_count "$ALL" prog) progs, $(ids_count "$ALL" link) links, $(ids_count "$ALL" map) maps, $(ids_count "$ALL" btf) BTF left" 0 "$left"
	check_eq "$desc: no libbpf noise on stderr" 0 $noisy
	check_eq "$desc: progs, links and maps seen in every cycle" 0 $unseen
}

n=0
cycles int 20 0 "SIGINT"
cycles term 20 0 "SIGTERM"
cycles hup 15 0 "SIGHUP"
cycles count 15 0 "end of count (--text 0.05 2)"
cycles duration 10 0 "-d 0.15"
if "$SKBTOP" record -h > /dev/null 2>&1; then
	cycles record 8 0 "record -- sleep 0.3 (CMD exit)"
else
	ok "# SKIP record: no record subcommand"
fi
cycles export 8 0 "export --textfile, SIGTERM"

# ---- q in the TUI under tmux; the terminal modes are restored ----
if command -v tmux > /dev/null; then
	# a fresh tmux server per cycle: reusing one socket right after
	# kill-server races with the old server's exit
	tm() { tmux -L "skbtop-rel-$$-$t" -f /dev/null "$@"; }
	cat > "$TMP/tui.sh" <<EOF
#!/bin/sh
tag=\$1
stty -g > "$TMP/stty.before.\$tag"
sh -c 'echo \$\$ > "$TMP/pid.'\$tag'"; exec "$SKBTOP" -i 0.1' 2> "$TMP/err.tui.\$tag"
echo \$? > "$TMP/rc.\$tag"
stty -g > "$TMP/stty.after.\$tag"
sleep 600
EOF
	tcount=$((4 / SCALE)); [ $tcount -ge 1 ] || tcount=1
	badrc=0 left=0 tty=0 noisy=0 np=0 t=0
	while [ $t -lt $tcount ]; do
		rm -f "$TMP/pid.$t" "$TMP/rc.$t"
		on_exit "tmux -L skbtop-rel-$$-$t kill-server 2>/dev/null"
		tm new-session -d -s rel -x 120 -y 40 "sh $TMP/tui.sh $t"
		wait_file "$TMP/pid.$t" 100
		pid=$(cat "$TMP/pid.$t")
		IDS=$TMP/ids.tui.$t; : > "$IDS"
		ids_poll "$pid" "$IDS" &
		poller=$!
		# wait until the links are in place and a screen is drawn
		wait_ids "$pid" "$IDS"
		sleep 0.3
		tm send-keys -t rel q
		wait_file "$TMP/rc.$t" 100
		wait $poller
		[ "$(cat "$TMP/rc.$t" 2> /dev/null)" = 0 ] || badrc=$((badrc + 1))
		cmp -s "$TMP/stty.before.$t" "$TMP/stty.after.$t" || tty=$((tty + 1))
		[ "$(noise "$TMP/err.tui.$t")" = 0 ] || noisy=$((noisy + 1))
		left=$((left + $(ids_left "$IDS")))
		np=$((np + $(ids_count "$IDS" prog)))
		tm kill-server 2> /dev/null
		t=$((t + 1))
	done
	TOTAL=$((TOTAL + tcount))
	check_eq "TUI q: $tcount cycles exit 0" 0 $badrc
	check_eq "TUI q: none of $np progs (and their links, maps) left" 0 $left
	check_eq "TUI q: stty settings restored" 0 $tty
	check_eq "TUI q: no libbpf noise" 0 $noisy
else
	ok "# SKIP TUI cycles: tmux not installed"
fi
[ "$SCALE" != 1 ] || check_eq "start/stop cycles in all" 100 $TOTAL

# ---- BPF stats: off by default; --prog-stats enables them through an fd,
# the sysctl is never touched ----
stats_fds() {	# stats_fds ARGS...: "FDS SYSCTL" of a running skbtop
	OUT=$TMP/stats.out
	rm -f "$OUT"
	"$SKBTOP" --text -j -i 0.05 "$@" > "$OUT" 2> /dev/null &
	pid=$!
	wait_file "$OUT" 400
	wait_ids $pid
	echo "$(ls -l /proc/$pid/fd 2> /dev/null | grep -c 'anon_inode:bpf-stats') $(cat $STATS)"
	kill -INT $pid; wait $pid
}
set -- $(stats_fds)
check_eq "default run holds no BPF_ENABLE_STATS fd" 0 "$1"
set -- $(stats_fds --prog-stats)
check_eq "--prog-stats run holds one BPF_ENABLE_STATS fd" 1 "$1"
during=$2
check_eq "bpf_stats_enabled unchanged while running" "$stats_before" "$during"
check_eq "bpf_stats_enabled restored after all cycles" "$stats_before" "$(cat $STATS)"
# with the sysctl on beforehand, it stays on
echo 1 > $STATS
on_exit "echo $stats_before > $STATS"
run_cycle int
check_eq "bpf_stats_enabled=1 kept across a run" 1 "$(cat $STATS)"
echo "$stats_before" > $STATS

# ---- a second signal kills at once ----
# Stopped, then SIGINT and SIGTERM queued: on SIGCONT the kernel sets up
# both handler frames before any cleanup code runs, so whichever handler
# runs second takes the default action: killed by SIGINT (130) or SIGTERM
# (143), never a clean 0.
IDS=$TMP/ids.twice; : > "$IDS"
"$SKBTOP" --text -j -i 0.05 > "$TMP/twice.out" 2> "$TMP/twice.err" &
pid=$!
ids_poll $pid "$IDS" &
poller=$!
wait_file "$TMP/twice.out"
kill -STOP $pid; kill -INT $pid; kill -TERM $pid; kill -CONT $pid
wait $pid; rc=$?
wait $poller
check_true "SIGINT+SIGTERM at once: killed by the second signal (exit $rc)" \
	[ $rc = 130 -o $rc = 143 ]
check_eq "killed run leaves none of its objects" 0 "$(ids_left "$IDS")"
# two quick SIGINTs: ends promptly, cleanly (0) or by the second (130)
"$SKBTOP" --text -j -i 0.05 > "$TMP/twice2.out" 2> /dev/null &
pid=$!
wait_file "$TMP/twice2.out"
t0=$(date +%s%N)
kill -INT $pid; kill -INT $pid
wait $pid; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check_true "two SIGINTs: exit 0 or 130 (got $rc)" [ $rc = 0 -o $rc = 130 ]
check_true "two SIGINTs: gone within 1000 ms ($ms ms)" [ $ms -lt 1000 ]

echo "# cycles took $(($(date +%s) - T0)) s"
finish
