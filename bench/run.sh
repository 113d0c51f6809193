#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# skbtop overhead benchmarks (`make bench`; never part of `make test`).
#
#   1 rate   packet-rate overhead: UDP into a never-read socket and a flood
#            into a never-read multi-queue tap, every packet dropped; arms:
#            nothing attached, skbtop, the floor (a per-CPU counter on
#            tp_btf/kfree_skb), bpftrace's one-liner. Interleaved: every
#            repetition runs every arm once, in a rotated order, so drift
#            and other load hit all arms alike. Medians and ratios.
#   2 probes ns per event of each attached program (kernel BPF run-time
#            statistics, kernel.bpf_stats_enabled on for the run, restored)
#   3 user   one refresh over synthetic maps (256 CPUs x 4096 drop keys),
#            record's peak memory over 60 and 600 synthetic 256-CPU
#            intervals, report and diff over 16384 and 65536 intervals
#            (time and peak RSS), and the time to load and attach everything
#   4 vm     sections 1 and 2 in the VM rig (Linux 7.2 under TCG, fentry
#            probes), ratios and per-probe ns only; only with BENCH_VM=1 (slow)
#
# Environment:
#   SKBTOP=PATH          skbtop binary (default ./skbtop)
#   SKBTOP_BEFORE=PATH   section 3 runs report and diff with this binary too
#   BENCH_SECTIONS=LIST  sections to run (default "rate probes user", plus vm
#                        with BENCH_VM=1)
#   BENCH_REPS=N         repetitions of section 1 (default 5)
#   BENCH_SECS=S         measured seconds per flood (default 2)
#   BENCH_ARMS=LIST      arms of section 1 (default "base floor skbtop skbtop_L
#                        bpftrace"; also: empty (an empty program), skbtop_drops
#                        (skbtop -P drops), skbtop_stats (skbtop --prog-stats),
#                        proto_NAME (the skbtop binary in
#                        $BENCH_PROTO_NAME: for measuring a change side by side),
#                        bpftrace_all (bench/bpftrace_all.bt: bpftrace counting
#                        what skbtop counts with every fentry probe on 7.x))
#   BENCH_PROBE_ARMS=LIST arms of section 2 (default "empty floor skbtop skbtop_L
#                        bpftrace")
#   BENCH_WORKLOADS=LIST default "udp tap"; also napi (frames into an
#                        IFF_NAPI_FRAGS tap: the NAPI cache probes run)
#   BENCH_CPU=N          CPU the flood runs on (default 0)
#   BENCH_OUT=DIR        raw results (default /tmp/skbtop-bench.<pid>)
#   BENCH_VM_KERNEL=PKG  vm-run --kernel-pkg (default unstable)
#   BENCH_VM_REPS, BENCH_VM_SECS, BENCH_VM_ARMS, BENCH_VM_PROBE_ARMS: the VM's
#                        reps (3), flood seconds (3), arms of sections 1 and 2
#                        (default "base floor skbtop bpftrace bpftrace_all" and
#                        "empty skbtop bpftrace bpftrace_all")
#   BENCH_VM_SECTIONS=L  sections the guest runs (default "rate probes")
#   BENCH_VM_ICOUNT=N    boot the guest with vm-run --icount N: its clocks
#                        count instructions (2^N ns each), so section 1's
#                        per-CPU-second rates no longer move with the host's
#                        load (one TCG thread: about 5x slower in wall time)
#   BENCH_VM_TIMEOUT=S   the guest's time limit (default 3600; TCG is slow:
#                        skbtop and bpftrace take tens of seconds to attach)
#
# Needs root, bpftool, bpftrace, jq, python3. Exit 0 when it ran (targets
# are reported, not enforced), 1 on a setup failure.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
SKBTOP=${SKBTOP:-./skbtop}
REPS=${BENCH_REPS:-5}
SECS=${BENCH_SECS:-2}
ARMS=${BENCH_ARMS:-base floor skbtop skbtop_L bpftrace}
WORKLOADS=${BENCH_WORKLOADS:-udp tap}
CPU=${BENCH_CPU:-0}
OUT=${BENCH_OUT:-/tmp/skbtop-bench.$$}
SECTIONS=${BENCH_SECTIONS:-rate probes user}
[ "${BENCH_VM:-0}" = 1 ] && case " $SECTIONS " in *" vm "*) ;; *) SECTIONS="$SECTIONS vm" ;; esac
BPFTRACE_PROG='tracepoint:skb:kfree_skb { @[args->reason, cpu] = count(); }'
BPFTRACE_ALL=$TOP/bench/bpftrace_all.bt	# prints "ready" from BEGIN, after every attach
B=$TOP/bench/bin

die() { echo "bench: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root"
for t in bpftool jq python3; do command -v $t >/dev/null || die "needs $t"; done
[ -x "$SKBTOP" ] || die "no skbtop binary at $SKBTOP (make first, or set SKBTOP)"
make -s -C bench >/dev/null || die "failed to build bench/ helpers"
mkdir -p "$OUT" || die "cannot create $OUT"
RAW=$OUT/samples.jsonl
: > "$RAW"

ARM_PID=
PART_MARKS=
STATS_SAVED=
cleanup() {
	stop_arm
	[ -n "$STATS_SAVED" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_SAVED"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load1() { cut -d' ' -f1 /proc/loadavg; }

# Programs attached by other processes to the tracepoints the arms use:
# another engineer's skbtop would add its cost to every arm.
foreign_attached() {
	bpftool perf -j 2>/dev/null | jq --argjson p "[$(echo ${ARM_PID:-0} | tr ' ' ,)]" \
		'[.[] | select((.pid as $q | $p | index($q)) == null and ((.tracepoint // "") |
		  test("^(kfree_skb|consume_skb|csd_|ipi_)")))] | length' 2>/dev/null || echo 0
}

# Wait until process $1 has a program on kfree_skb (tracepoint or raw
# tracepoint: `bpftool perf` lists both with the owning pid).
wait_attached() {
	local pid=$1 i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		bpftool perf -j 2>/dev/null | jq -e --argjson p "$pid" \
			'any(.[]; .pid == $p and .tracepoint == "kfree_skb")' >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	return 1
}

wait_line() {	# file pattern [tenths of a second, default 300]
	local i
	for ((i = 0; i < ${3:-300}; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_arm NAME TAG: attach the arm's observer; ARM_PID is its process.
# NAME A+B starts A, then B, both attached at once (ARM_PID: both pids);
# PART_MARKS is then "A:id B:id", the highest program id before each part,
# so that section 2 can tell whose programs are whose.
start_arm() {
	local arm=$1 tag=$2 a pids=()
	ARM_PID=
	PART_MARKS=
	if [ "${arm#*+}" != "$arm" ]; then
		local marks=()
		for a in ${arm//+/ }; do
			marks+=("$a:$(prog_mark)")
			start_arm "$a" "$tag-$a" || { ARM_PID="${pids[*]}"; stop_arm; return 1; }
			pids+=($ARM_PID)
		done
		ARM_PID="${pids[*]}"
		PART_MARKS="${marks[*]}"
		return 0
	fi
	case $arm in
	base) return 0 ;;
	floor | empty)
		local which=count
		[ "$arm" = empty ] && which=empty
		"$B/floor" "$which" > "$OUT/$tag.log" 2>&1 &
		ARM_PID=$!
		wait_line "$OUT/$tag.log" '^ready' || { log "floor did not attach"; stop_arm; return 1; }
		;;
	skbtop | skbtop_* | proto_*)
		local bin=$SKBTOP extra=() var
		case $arm in
		skbtop_drops) extra=(-P drops) ;;
		skbtop_L) extra=(-L) ;;
		skbtop_stats) extra=(--prog-stats) ;;
		esac
		if [ "${arm#proto_}" != "$arm" ]; then
			var=BENCH_PROTO_${arm#proto_}
			bin=${!var:-}
			[ -x "$bin" ] || die "arm $arm needs $var=<skbtop binary>"
		fi
		"$bin" --text -j "${extra[@]}" 1 > "$OUT/$tag.jsonl" 2> "$OUT/$tag.err" &
		ARM_PID=$!
		wait_attached $ARM_PID || { log "$arm did not attach: $(tail -1 "$OUT/$tag.err")"; stop_arm; return 1; }
		# kfree_skb may come first: the first interval's line means every
		# probe is attached (fentry ones take seconds each under TCG)
		wait_line "$OUT/$tag.jsonl" '^{' 3000 || { log "$arm printed no interval"; stop_arm; return 1; }
		;;
	bpftrace)
		bpftrace -e "$BPFTRACE_PROG" > "$OUT/$tag.log" 2>&1 &
		ARM_PID=$!
		wait_attached $ARM_PID || { log "bpftrace did not attach: $(tail -1 "$OUT/$tag.log")"; stop_arm; return 1; }
		;;
	bpftrace_all)
		bpftrace "$BPFTRACE_ALL" > "$OUT/$tag.log" 2>&1 &
		ARM_PID=$!
		# 22 probes: over 30 s to attach under TCG
		wait_line "$OUT/$tag.log" '^ready' 3000 ||
			{ log "bpftrace_all did not attach: $(grep -v '^$' "$OUT/$tag.log" | tail -1)"; stop_arm; return 1; }
		;;
	*) die "unknown arm $arm" ;;
	esac
	sleep 0.2
}

stop_arm() {
	[ -n "$ARM_PID" ] || return 0
	local p
	for p in $ARM_PID; do kill -INT "$p" 2>/dev/null; done
	# bpftrace 0.17 in a TCG guest once never exited after SIGINT (the run
	# hung for 90 min): 30 s, then SIGKILL
	for p in $ARM_PID; do
		( sleep 30; kill -KILL "$p" 2>/dev/null ) &
		wait "$p" 2>/dev/null
		kill "$!" 2>/dev/null
	done
	ARM_PID=
}

# flood_sample SECTION ARM REP WORKLOAD: one measured flood, one JSON line in $RAW
flood_sample() {
	local section=$1 arm=$2 rep=$3 w=$4 foreign load res
	foreign=$(foreign_attached)
	load=$(load1)
	res=$("$B/flood" "$w" -d "$SECS" -c "$CPU") || { log "flood $w failed"; return 1; }
	jq -c --arg s "$section" --arg a "$arm" --argjson r "$rep" --argjson f "$foreign" \
		--argjson l "$load" '. + {section: $s, arm: $a, rep: $r, foreign: $f, load1: $l}' \
		<<< "$res" >> "$RAW"
}

section_rate() {
	local arms=($ARMS) n=${#arms[@]} rep i arm w
	log "1 rate: $REPS reps x arms (${arms[*]}) x workloads ($WORKLOADS), ${SECS}s each"
	for ((rep = 0; rep < REPS; rep++)); do
		for ((i = 0; i < n; i++)); do
			arm=${arms[$(((i + rep) % n))]}	# rotate the order every rep
			start_arm "$arm" "rate-$arm-$rep" || continue
			for w in $WORKLOADS; do
				flood_sample rate "$arm" "$rep" "$w"
			done
			stop_arm
		done
		log "  rep $((rep + 1))/$REPS done (load $(load1))"
	done
}

# The highest BPF program id loaded now: programs an arm loads get higher ids.
prog_mark() {
	bpftool prog show -j 2>/dev/null | jq '[.[].id] | max // 0'
}

# Run-time stats of every program loaded after mark $1 (the arm's: tracepoint,
# raw_tp and fentry alike; `bpftool perf` would miss fentry programs).
prog_stats() {
	bpftool prog show -j 2>/dev/null | jq -c --argjson m "$1" \
		'[.[] | select(.id > $m) |
		  {id, name, run_time_ns: (.run_time_ns // 0), run_cnt: (.run_cnt // 0)}]'
}

section_probes() {
	local arm w before after mark
	log "2 probes: ns per event, kernel.bpf_stats_enabled=1 for the run"
	STATS_SAVED=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
	for arm in ${BENCH_PROBE_ARMS:-empty floor skbtop skbtop_L bpftrace}; do
		for w in $WORKLOADS; do
			mark=$(prog_mark)
			start_arm "$arm" "probes-$arm-$w" || continue
			before=$(prog_stats "$mark")
			flood_sample probes "$arm" 0 "$w"
			after=$(prog_stats "$mark")
			# part: for A+B arms, whose program (by the id marks of start_arm)
			jq -c -n --arg a "$arm" --arg w "$w" --argjson b "$before" --argjson e "$after" \
				--argjson pm "$(for m in $PART_MARKS; do echo "[\"${m%:*}\",${m##*:}]"; done | jq -s -c .)" \
				'{section: "progstats", arm: $a, mode: $w, progs: [$e[] as $x |
				  ($b[] | select(.id == $x.id)) as $y |
				  {name: $x.name, run_ns: ($x.run_time_ns - $y.run_time_ns),
				   run_cnt: ($x.run_cnt - $y.run_cnt)} +
				  ([$pm[] | select(.[1] < $x.id)] | if length > 0 then {part: .[-1][0]} else {} end)]}' >> "$RAW"
			stop_arm
		done
	done
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_SAVED"
	STATS_SAVED=
}

section_user() {
	local i t0 t1
	log "3 user: synthetic refreshes and start-up"
	# the target shape, worst case (every key on every CPU) and sparse
	# Each case twice: -t (text table: time and peak RSS) and with -j.
	# Drop rows are one per key summed over CPUs; -C adds each reason's
	# per-CPU counts.
	#   default  the 512 reason slots on every CPU (--text)
	#   L        4096 (reason, device, queue, location) keys on every CPU (-L)
	#   C        reason slots and their per-CPU counts (-C, record)
	#   L_C      4096 keys x 256 CPUs and per-CPU counts by reason (-L -C)
	# and the live screen's refresh (-S: its snapshots, panels, a drill-down):
	#   screen, screen_L  reason slots; 4096 -L keys
	refresh_case() {	# refresh_case NAME REPS ARGS...
		local name=$1 reps=$2; shift 2
		"$B/refresh" -c 256 -q 1024 -f 1 -n "$reps" -t "$@" |
			jq -c ". + {section: \"refresh\", case: \"$name\"}" >> "$RAW"
		"$B/refresh" -c 256 -q 1024 -f 1 -n "$reps" "$@" |
			jq -c ". + {section: \"refresh\", case: \"$name\"}" >> "$RAW"
	}
	reader_case() {		# reader_case ARM SHAPE N SKBTOP CMD FILE...: time, CPU, peak RSS
		local arm=$1 shape=$2 n=$3; shift 3
		"$B/peak" "$@" | jq -c --arg a "$arm" --arg s "$shape" --argjson n "$n" \
			--argjson b "$(stat -c %s "$3")" --arg c "$2" '{section: "reader", arm: $a,
			cmd: $c, shape: $s, samples: $n, file_bytes: $b} + .' >> "$RAW" ||
			log "$2 failed ($arm, $shape $n)"
	}
	refresh_case default 5 -k 512 -R -s
	refresh_case L 5 -k 4096 -s
	refresh_case C 3 -k 512 -R
	refresh_case L_C 3 -k 4096
	for args in "screen -k 512 -R" "screen_L -k 4096"; do
		set -- $args
		name=$1; shift
		"$B/refresh" -c 256 -q 1024 -f 1 -n 5 -S "$@" |
			jq -c ". + {section: \"refresh\", case: \"$name\"}" >> "$RAW"
	done
	# record's writer over a long run: memory must not grow with its length
	# and report's over the file it wrote: the samples are read one at a time
	for i in 60 600; do
		"$B/record" -n $i -o "$OUT/record.json" |
			jq -c '. + {section: "record"}' >> "$RAW"
		"$B/peak" "$SKBTOP" report "$OUT/record.json" | jq -c --argjson i $i \
			'{section: "report", intervals: $i} + .' >> "$RAW" || log "report failed"
		rm -f "$OUT/record.json"
	done
	# report and diff over long captures (issue 20), by this skbtop and, with
	# SKBTOP_BEFORE, by another side by side: N intervals that each name a
	# drop reason of their own (wide: as many drop metrics as intervals; diff
	# took 207 s at 16384 when each metric scanned every sample), or all the
	# same one (long: few rows, so memory must not follow the length)
	"$B/record" -c 4 -n 2 -o "$OUT/base.json" > /dev/null
	for shape in wide long; do
		for i in 16384 65536; do
			python3 "$TOP/tests/gen/wide_capture.py" "$OUT/base.json" "$OUT/cap.json" $i $shape
			for arm in skbtop ${SKBTOP_BEFORE:+before}; do
				bin=$SKBTOP
				[ $arm = before ] && bin=$SKBTOP_BEFORE
				reader_case $arm $shape $i "$bin" report "$OUT/cap.json"
				reader_case $arm $shape $i "$bin" diff "$OUT/cap.json" "$OUT/cap.json"
			done
			rm -f "$OUT/cap.json"
		done
	done
	rm -f "$OUT/base.json"
	for ((i = 0; i < 5; i++)); do
		t0=$(date +%s.%N)
		"$SKBTOP" --text 0.01 1 > /dev/null 2>&1
		t1=$(date +%s.%N)
		jq -c -n --argjson t "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a - 0.01 }')" \
			'{section: "startup", secs: $t}' >> "$RAW"
	done
	# skbtop's own CPU per 1 s refresh on this host's real maps, from the
	# rate section's skbtop runs
	cat "$OUT"/rate-skbtop-*.jsonl 2>/dev/null | jq -c 'select(.interval_ns > 0) |
		{section: "selfcpu", user_cpu_ns, interval_ns, drop_rows: (.drops | length)}' >> "$RAW"
}

section_vm() {
	local kpkg=${BENCH_VM_KERNEL:-unstable} sk=$SKBTOP
	log "4 vm: sections 1 and 2 in the VM rig (--kernel-pkg $kpkg), ratios and ns per event"
	# the guest sees this checkout, not the host's /tmp
	case $(realpath "$sk") in
	"$TOP"/*) ;;
	*) cp "$sk" "$B/skbtop-vm" && sk=bench/bin/skbtop-vm ;;
	esac
	# proto_NAME arms: their binaries go where the guest sees them too
	local protos=() v
	for v in $(compgen -v BENCH_PROTO_); do
		cp "${!v}" "$B/proto-${v#BENCH_PROTO_}" && protos+=("$v=bench/bin/proto-${v#BENCH_PROTO_}")
	done
	"$TOP/tests/vm/vm-run" --kernel-pkg "$kpkg" ${BENCH_VM_ICOUNT:+--icount "$BENCH_VM_ICOUNT"} \
		--timeout "${BENCH_VM_TIMEOUT:-3600}" -- env \
		${protos[@]+"${protos[@]}"} SKBTOP="$sk" BENCH_OUT=/tmp/bench-guest BENCH_SECTIONS="${BENCH_VM_SECTIONS:-rate probes}" BENCH_GUEST=1 \
		BENCH_PROBE_ARMS="${BENCH_VM_PROBE_ARMS:-empty skbtop bpftrace bpftrace_all}" \
		BENCH_REPS="${BENCH_VM_REPS:-3}" BENCH_SECS="${BENCH_VM_SECS:-3}" \
		BENCH_ARMS="${BENCH_VM_ARMS:-base floor skbtop bpftrace bpftrace_all}" BENCH_WORKLOADS="$WORKLOADS" BENCH_CPU="$CPU" \
		bench/run.sh --samples > "$OUT/vm.jsonl" 2> "$OUT/vm.err" ||
		{ log "VM run failed: $(tail -3 "$OUT/vm.err")"; return 0; }
	jq -c '. + {section: ("vm_" + .section)}' "$OUT/vm.jsonl" >> "$RAW"
}

{
	echo "{\"section\":\"machine\",\"kernel\":\"$(uname -r)\",\"cpus\":$(nproc),"
	echo "\"cpu_model\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\","
	echo "\"load_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"date\":\"$(date -u +%FT%TZ)\","
	echo "\"skbtop\":\"$SKBTOP\",\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null)\","
	echo "\"bpftrace\":\"$(bpftrace --version 2>/dev/null)\",\"reps\":$REPS,\"secs\":$SECS,"
	echo "\"foreign_start\":$(foreign_attached),\"arms\":\"$ARMS\",\"flood_cpu\":$CPU}"
} | jq -c . >> "$RAW"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); raw results in $RAW"

for s in $SECTIONS; do
	case $s in
	rate) section_rate ;;
	probes) section_probes ;;
	user) section_user ;;
	vm) section_vm ;;
	*) die "unknown section $s" ;;
	esac
done
echo "{\"section\":\"machine_end\",\"load_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$RAW"

if [ "${1:-}" = --samples ]; then	# the VM guest hands its samples back
	cat "$RAW"
	exit 0
fi
python3 "$TOP/bench/summary.py" "$RAW"
