#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Issue 20, "never harm the host or the terminal", as a careless or hostile
# user would try it. Everything happens inside a private tmpfs mounted here
# (device nodes, FIFOs, append-only directories): the real /dev is never used.
#  - outputs (record -o, export --textfile) that exist and are not regular
#    files, a directory, "" and "-" are refused with one line and exit 1
#    before any probe loads or CMD runs; the node is still a node after
#  - a replaced file keeps its owner and mode; export removes only its own file
#  - an append-only directory is refused before the run, not lost after it
#  - a second SIGTERM during the final write leaves no temporary file
#  - closed stdio at start: the capture is not corrupted by CMD's stderr
#  - SIGINT/TERM/HUP while record starts: CMD never starts; after: forwarded;
#    a SIGKILLed record takes CMD with it (PR_SET_PDEATHSIG)
#  - a veth named with an escape sequence by nobody in a user namespace, and a
#    capture with control bytes in its strings, print no control byte
#  - readers (report, diff, --btf) refuse a FIFO at once instead of hanging
#  - /metrics answers within 1 s under 200 slow and 215 half-open clients;
#    connections end after 10 s; libmicrohttpd's lines are prefixed, few
#  - diff of 16384 samples, each with a new reason, in seconds (was minutes)
#  - write errors (ENOSPC on a full device or filesystem, EBADF on a closed
#    stdout) exit 1 naming the errno; a closed pipe exits 0 quietly
#  - too few fds (ulimit -n 8) refused up front; a low soft limit raised
#  - options: -xj names -x; 40 repeated options; --text -n
. "$(dirname "$0")/lib.sh"
need_root
FS=$TMP/fs
mkdir "$FS"
mount -t tmpfs -o size=64m,mode=0755 skbtop-test "$FS" || { not_ok "mount a private tmpfs"; exit 1; }
on_exit "umount -l '$FS'"

# valid FILE: report reads it as a capture
valid() { "$SKBTOP" report "$1" --format json > /dev/null 2>&1; }

# ---- item 1: outputs that are not regular files ----
mknod "$FS/null" c 1 3
mkfifo "$FS/fifo"
mkdir "$FS/dir"
ln -s null "$FS/link"
for what in null fifo dir link; do
	P=$FS/$what
	timeout 20 "$SKBTOP" record -d 0.2 -o "$P" -- touch "$FS/ran" 2> "$TMP/err"
	check_eq "record -o $what exits 1" 1 $?
	check_eq "record -o $what: one line" 1 "$(wc -l < "$TMP/err")"
	check_true "record -o $what: CMD never ran" [ ! -e "$FS/ran" ]
	timeout 20 "$SKBTOP" export -d 0.3 --textfile "$P" 2> "$TMP/err"
	check_eq "export --textfile $what exits 1" 1 $?
	check_eq "export --textfile $what: one line" 1 "$(wc -l < "$TMP/err")"
done
check_eq "the device node is still a character device 1,3" "c 1 3" \
	"$(stat -c '%F %t %T' "$FS/null" | sed 's/character special file/c/')"
check_true "the FIFO is still a FIFO" [ -p "$FS/fifo" ]
check_true "the directory is still a directory" [ -d "$FS/dir" ]
check_true "the symlink is still a symlink to null" [ "$(readlink "$FS/link")" = null ]
for p in "" "-"; do
	timeout 20 "$SKBTOP" record -d 0.2 -o "$p" -- touch "$FS/ran" 2> "$TMP/err"
	check_eq "record -o '$p' exits 1 with one line" "1 1" "$? $(wc -l < "$TMP/err")"
	timeout 20 "$SKBTOP" export -d 0.3 --textfile "$p" 2> "$TMP/err"
	check_eq "export --textfile '$p' exits 1 with one line" "1 1" "$? $(wc -l < "$TMP/err")"
done
check_true "CMD never ran for '' or '-'" [ ! -e "$FS/ran" ]

# ---- owner and mode of a replaced file ----
echo old > "$FS/owned.json"
chown nobody:nogroup "$FS/owned.json"
chmod 0600 "$FS/owned.json"
timeout 20 "$SKBTOP" record -d 0.2 -o "$FS/owned.json" 2> "$TMP/err"
check_eq "record over a nobody-owned 0600 file exits 0" 0 $?
check_eq "it keeps owner and mode" "nobody:nogroup 600" "$(stat -c '%U:%G %a' "$FS/owned.json")"
check_true "and holds the capture" valid "$FS/owned.json"
echo old > "$FS/owned.prom"
chown nobody:nogroup "$FS/owned.prom"
chmod 0640 "$FS/owned.prom"
"$SKBTOP" export -i 5 -d 60 --textfile "$FS/owned.prom" 2> "$TMP/exp.err" &
pid=$!
on_exit "kill $pid 2>/dev/null"
i=0
while ! grep -q '^# HELP' "$FS/owned.prom" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "export --textfile keeps owner and mode" "nobody:nogroup 640" \
	"$(stat -c '%U:%G %a' "$FS/owned.prom")"
# a file put in its place after the last write is not skbtop's: it stays
echo mine > "$FS/other.prom"
mv "$FS/other.prom" "$FS/owned.prom"
kill -TERM $pid
wait $pid
check_eq "export stops with 0 on SIGTERM" 0 $?
check_eq "export leaves a file it did not write" mine "$(cat "$FS/owned.prom" 2>&1)"

# ---- append-only directory: refused up front ----
mkdir "$FS/ao"
if chattr +a "$FS/ao" 2>/dev/null; then
	on_exit "chattr -a '$FS/ao'"
	timeout 20 "$SKBTOP" record -d 0.2 -o "$FS/ao/x.json" -- touch "$FS/ran" 2> "$TMP/err"
	check_eq "record into an append-only directory exits 1 with one line" "1 1" \
		"$? $(wc -l < "$TMP/err")"
	check_true "CMD never ran" [ ! -e "$FS/ran" ]
	check_eq "nothing left in the append-only directory" "" "$(ls -A "$FS/ao")"
	chattr -a "$FS/ao"
else
	not_ok "chattr +a on tmpfs (kernel >= 6.0)"
fi

# ---- a second SIGTERM while the capture is written leaves no temporary ----
# kill_on_create sends it the moment the final write creates its file
mkdir "$FS/sig"
n=0 hit=0
while [ $n -lt 5 ]; do
	n=$((n + 1))
	"$SKBTOP" record -i 0.01 -d 30 -o "$FS/sig/c.json" 2> /dev/null &
	pid=$!
	sleep 1
	rm -f "$TMP/koc"
	"$GEN/kill_on_create" "$FS/sig" $pid 15 > "$TMP/koc" &
	kpid=$!
	i=0
	while [ ! -s "$TMP/koc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -TERM $pid
	wait $kpid && hit=$((hit + 1))
	wait $pid 2>/dev/null
done
# the helper wakes in microseconds, but a loaded machine may let a write this
# small finish first; one hit proves the window, every run proves no leftovers
check_true "the second SIGTERM landed during the final write ($hit of 5 runs)" [ $hit -ge 1 ]
check_eq "no temporary or spool file left" "" "$(ls -A "$FS/sig" | grep -vx -e c.json -e c.json.old)"
# the signal may come just after the rename: then the capture is whole
check_true "no capture, or a complete one" sh -c "[ ! -e '$FS/sig/c.json' ] || $SKBTOP report '$FS/sig/c.json' >/dev/null 2>&1"

# ---- item 5: closed stdio at start ----
timeout 20 "$SKBTOP" record -i 0.1 -o "$FS/cl.json" -- /nonexistent 2>&-
check_eq "record -- /nonexistent with stderr closed returns 127" 127 $?
check_true "the capture is valid (CMD's error did not land in it)" valid "$FS/cl.json"
timeout 20 "$SKBTOP" record -i 0.1 -o "$FS/cl0.json" -- true <&- >&- 2>&-
check_eq "record with fds 0-2 closed returns CMD's 0" 0 $?
check_true "and writes a valid capture" valid "$FS/cl0.json"

# ---- item 2: control characters from the kernel and from captures ----
# ctl FILE: bytes that are C0 controls other than \n and \t, or DEL
ctl() { LC_ALL=C tr -d '\n\t -~\200-\377' < "$1" | wc -c; }
# an unprivileged user names a veth "\033[31mEV\033[0m" in its own user and
# network namespace and makes it drop packets (no address, no forwarding)
cat > "$TMP/hostile.sh" <<'EOS'
H=$(printf '\033[31mEV\033[0m')
ip link add "$H" type veth peer name p0 || exit 1
ip link set "$H" address 02:00:00:00:00:02
ip link set "$H" up && ip link set p0 up
ip addr add 10.9.9.1/24 dev p0
ip neigh add 10.9.9.2 lladdr 02:00:00:00:00:02 dev p0
i=0
while [ $i -lt 20 ]; do bash -c 'echo x > /dev/udp/10.9.9.2/9'; i=$((i + 1)); sleep 0.05; done
EOS
chmod 0755 "$TMP" "$TMP/hostile.sh"
"$SKBTOP" --text -L -i 0.3 -d 3 > "$TMP/hostile.txt" 2>&1 &
pid=$!
sleep 1
timeout 20 setpriv --reuid nobody --regid nogroup --clear-groups unshare -Urn sh "$TMP/hostile.sh"
check_eq "nobody made a veth with an escape sequence in its name" 0 $?
wait $pid
check_true "--text -L shows the hostile device, escaped" grep -q '\\x1b\[31mEV' "$TMP/hostile.txt"
check_eq "--text -L prints no control byte" 0 "$(ctl "$TMP/hostile.txt")"
# a capture of it, then made hostile where a capture can be
timeout 30 "$SKBTOP" record -L -i 0.3 -o "$FS/h.json" -- timeout 20 setpriv --reuid nobody \
	--regid nogroup --clear-groups unshare -Urn sh "$TMP/hostile.sh" 2> /dev/null
check_eq "record -L of the hostile veth exits 0" 0 $?
jq -c '.environment.cpu_model = "\u001b]0;PWNED\u0007\u001b[2J" |
	.environment.hostname = "h\u001b[2J" | .command.argv += ["x\r\nFORGED line"] |
	.names.reasons[0].name = "R\u001b[5m" | .environment.kernel_cmdline = "c\u009b2J"' \
	"$FS/h.json" > "$FS/evil.json"
for fmt in text markdown; do
	"$SKBTOP" report "$FS/evil.json" --format $fmt > "$TMP/evil.$fmt" 2> "$TMP/err"
	check_eq "report --format $fmt of a hostile capture exits 0" 0 $?
	check_eq "report --format $fmt prints no control byte" 0 "$(ctl "$TMP/evil.$fmt")"
	check_eq "report --format $fmt: argv's newline forges no line" 0 \
		"$(grep -c '^FORGED' "$TMP/evil.$fmt")"
	check_eq "report --format $fmt: no UTF-8 C1 control" 0 \
		"$(LC_ALL=C grep -c "$(printf '\302\233')" "$TMP/evil.$fmt")"
	"$SKBTOP" diff "$FS/h.json" "$FS/evil.json" --format $fmt > "$TMP/evild.$fmt" 2> "$TMP/err"
	check_eq "diff --format $fmt of a hostile capture exits 0" 0 $?
	check_eq "diff --format $fmt prints no control byte" 0 "$(ctl "$TMP/evild.$fmt")"
done
check_true "report text names the device, escaped" grep -q '\\x1b\[31mEV' "$TMP/evil.text"
"$SKBTOP" report "$FS/evil.json" --format json > "$TMP/evil.json"
# (compared JSON-encoded: this test prints no control byte either)
check_eq "report --format json keeps the string exact" \
	"$(jq .environment.cpu_model "$FS/evil.json")" "$(jq .environment.cpu_model "$TMP/evil.json")"

# ---- item 7: readers never block on a FIFO ----
cp "$FS/cl.json" "$FS/a.json"
timeout 10 "$SKBTOP" report "$FS/fifo" 2> "$TMP/err"
check_eq "report FIFO exits 1 at once (not 124, a timeout)" 1 $?
check_true "report FIFO says why" grep -q "not a regular file" "$TMP/err"
timeout 10 "$SKBTOP" diff "$FS/a.json" "$FS/fifo" 2> "$TMP/err"
check_eq "diff a FIFO exits 1 at once" 1 $?
timeout 10 "$SKBTOP" --btf "$FS/fifo" probes > /dev/null 2> "$TMP/err"
check_eq "--btf FIFO exits 1 at once" 1 $?
check_true "--btf FIFO says why" grep -q "not a regular file" "$TMP/err"
timeout 10 "$SKBTOP" report "$FS/null" 2> "$TMP/err"
check_eq "report of a device node exits 1" 1 $?

# ---- item 4: a stop signal during start-up; CMD dies with skbtop ----
for sig in INT TERM HUP; do
	rm -f "$FS/started"
	t0=$(date +%s%N)
	"$SKBTOP" record -i 0.1 -o "$FS/e.json" -- sh -c "touch '$FS/started'; exec sleep 5" \
		2> "$TMP/err" &
	pid=$!
	# once its handler is in (SigCgt), while the probes still load
	case $sig in INT) n=2 ;; TERM) n=15 ;; HUP) n=1 ;; esac
	i=0
	while [ $i -lt 200 ]; do
		m=$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/$pid/status 2> /dev/null)
		[ -n "$m" ] && [ $(((0x$m >> (n - 1)) & 1)) = 1 ] && break
		sleep 0.01; i=$((i + 1))
	done
	kill -$sig $pid
	wait $pid
	rc=$? ms=$((($(date +%s%N) - t0) / 1000000))
	check_eq "SIG$sig during start-up: exit 1, CMD not started, no file" "1 no no" \
		"$rc $([ -e "$FS/started" ] && echo yes || echo no) $([ -e "$FS/e.json" ] && echo yes || echo no)"
	check_true "SIG$sig during start-up: stopped in $ms ms (< 3000, CMD sleeps 5 s)" [ $ms -lt 3000 ]
	check_true "SIG$sig during start-up: says so in one line" \
		sh -c "[ \$(wc -l < '$TMP/err') = 1 ] && grep -q 'before sh started; nothing recorded' '$TMP/err'"
done
# once CMD runs, the signal goes to CMD and its status is recorded
rm -f "$FS/started"
"$SKBTOP" record -i 0.1 -o "$FS/e.json" -- sh -c "touch '$FS/started'; exec sleep 5" 2> /dev/null &
pid=$!
i=0
while [ ! -e "$FS/started" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
check_eq "SIGINT after CMD started: CMD's 130 returned and recorded" "130 130" \
	"$? $(jq .command.exit_status "$FS/e.json")"
# PR_SET_PDEATHSIG: a SIGKILLed skbtop takes CMD with it
"$SKBTOP" record -i 0.1 -o "$FS/k.json" -- sleep 30 2> /dev/null &
pid=$!
i=0
while [ -z "$(pgrep -P $pid -x sleep)" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
child=$(pgrep -P $pid -x sleep)
kill -KILL $pid
wait $pid 2> /dev/null
i=0
while [ -n "$child" ] && kill -0 "$child" 2> /dev/null && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done
check_true "SIGKILL to record: CMD ($child) is gone within 2 s" \
	sh -c "[ -n '$child' ] && ! kill -0 '$child' 2> /dev/null"

# ---- item 8: diff in O(samples x metrics): a new reason in every sample ----
# 16384 samples of a real capture's shape, sample i with one drop of reason
# i + 1: the old diff scanned every row of every sample for every reason
# (16384 samples: minutes); now a few seconds
python3 "$ROOT/tests/gen/wide_capture.py" "$FS/cl.json" "$FS/wide.json" 16384
t0=$(date +%s%N)
timeout 60 "$SKBTOP" diff "$FS/wide.json" "$FS/wide.json" --format json > "$TMP/wide.diff" 2> "$TMP/err"
rc=$? ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "diff of 16384 samples with 16384 reasons exits 0" 0 $rc
check_true "... within 20 s ($ms ms)" [ $ms -lt 20000 ]
check_eq "... with a row per reason" 16384 "$(jq '[.metrics[] | select(.kind == "drop")] | length' "$TMP/wide.diff")"

# ---- item 3: /metrics under slow and half-open clients ----
# slow.py HOST PORT NSLOW NHALF SECS EVERY: NSLOW clients send a request
# line and then one header line every EVERY s; NHALF connect and send nothing
cat > "$TMP/slow.py" <<'PY'
import socket, sys, time
host, port, nslow, nhalf, secs, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
	int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
socks, half = [], []
for i in range(nslow + nhalf):
    try:
        s = socket.create_connection((host, port), timeout=2)
        if i < nslow:
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        (socks if i < nslow else half).append(s)
    except OSError:
        pass
print("ready %d %d" % (len(socks), len(half)), flush=True)
end = time.time() + secs
while time.time() < end:
    time.sleep(min(every, max(0, end - time.time())))
    for s in socks:
        try:
            s.send(b"X-Slow: 1\r\n")
        except OSError:
            pass
PY
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
"$SKBTOP" export --listen 127.0.0.1:$port -i 1 -d 60 2> "$TMP/http.err" &
epid=$!
on_exit "kill $epid 2>/dev/null"
i=0
while ! grep -q "serving http" "$TMP/http.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
timeout 30 python3 "$TMP/slow.py" 127.0.0.1 $port 200 215 14 1 > "$TMP/slow.out" &
spid=$!
i=0
while [ ! -s "$TMP/slow.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check_eq "200 slow and 215 half-open clients connected" "ready 200 215" "$(cat "$TMP/slow.out")"
good=0
for i in 1 2 3 4 5; do
	code=$(curl -m 1 -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
	[ "$code" = 200 ] && good=$((good + 1))
	sleep 1
done
check_eq "5 of 5 scrapes answered within 1 s while they hold connections" 5 $good
# they trickle a header every second (never idle): the 10 s total limit ends them
sleep 8
check_eq "no connection older than 10 s is left, though the clients still trickle" 0 \
	"$(ss -Htn state established "( sport = :$port )" | wc -l)"
wait $spid
kill -TERM $epid
wait $epid
check_eq "export stops with 0" 0 $?
check_true "stderr: the serving line and at most 3 prefixed libmicrohttpd lines ($(wc -l < "$TMP/http.err"))" \
	sh -c "[ \$(wc -l < '$TMP/http.err') -le 4 ] && ! grep -qv '^skbtop: ' '$TMP/http.err'"

# ---- items 9, 10: write errors end the run with the real errno ----
mknod "$FS/full" c 1 7	# this tmpfs's own /dev/full
timeout 60 "$SKBTOP" probes > "$FS/full" 2> "$TMP/err"
check_eq "probes >full exits 1" 1 $?
check_true "probes >full names ENOSPC" grep -q "failed to write standard output: No space left on device" "$TMP/err"
timeout 20 "$SKBTOP" --text 0.2 3 > "$FS/full" 2> "$TMP/err"
check_eq "--text 0.2 3 >full exits 1" 1 $?
check_eq "--text >full: one line" 1 "$(wc -l < "$TMP/err")"
timeout 20 "$SKBTOP" --text 0.2 >&- 2> "$TMP/err"
check_eq "--text 0.2 with stdout closed ends with 1 (not 124: running on)" 1 $?
check_true "... naming EBADF" grep -q "Bad file descriptor" "$TMP/err"
( timeout 20 "$SKBTOP" --text 0.2 2> "$TMP/err"; echo $? > "$TMP/rc" ) | head -1 > /dev/null
check_eq "--text | head -1 ends quietly with 0 (not 141, SIGPIPE)" "0 0" \
	"$(cat "$TMP/rc") $(wc -l < "$TMP/err")"
timeout 20 "$SKBTOP" report "$FS/a.json" > "$FS/full" 2> /dev/null
check_eq "report >full exits 1" 1 $?
timeout 20 "$SKBTOP" diff "$FS/a.json" "$FS/a.json" > "$FS/full" 2> /dev/null
check_eq "diff >full exits 1" 1 $?
# a full filesystem: the spool and the file say ENOSPC, not "Input/output error"
mkdir "$FS/small"
mount -t tmpfs -o size=256k skbtop-test-small "$FS/small" && on_exit "umount -l '$FS/small'"
dd if=/dev/zero of="$FS/small/fill" bs=4k 2> /dev/null
timeout 20 "$SKBTOP" record -i 0.1 -d 1 -o "$FS/small/c.json" 2> "$TMP/err"
check_eq "record on a full filesystem exits 1" 1 $?
# (the first line, "recording to ... until Ctrl-C", is not an error)
check_eq "every error message names ENOSPC" "$(grep -vc 'recording to' "$TMP/err")" \
	"$(grep -c 'No space left on device' "$TMP/err")"
check_eq "and leaves nothing but the filler" fill "$(ls -A "$FS/small")"

# ENOMEM under an address-space limit once read as a missing-BTF hint. Raise
# the limit until skbtop gets past reading kallsyms: the first limit where
# it fails later, parsing BTF, must name memory and the limit.
kb=20000
while [ $kb -le 80000 ]; do
	(ulimit -v $kb; "$SKBTOP" probes > /dev/null 2> "$TMP/err"); rc=$?
	[ $rc = 0 ] && break
	grep -q "kallsyms" "$TMP/err" || break
	kb=$((kb + 2000))
done
check_eq "probes under ulimit -v $kb: exit 1" 1 $rc
check_true "... names memory and the limit, not CONFIG_DEBUG_INFO_BTF ($(head -c 160 "$TMP/err"))" \
	sh -c "grep -Eq 'out of memory|Cannot allocate memory' '$TMP/err' &&
		! grep -q CONFIG_DEBUG_INFO_BTF '$TMP/err'"

# EMFILE: 8 fds once listed 6 probes as attached with nothing loaded
prlimit --nofile=8:8 "$SKBTOP" probes -j > "$TMP/p8.json" 2> "$TMP/err"
check_eq "probes with ulimit -n 8: exit 1, nothing on stdout" "1 0" "$? $(wc -c < "$TMP/p8.json")"
check_true "... saying why" grep -q "failed to start: 8 open files allowed (ulimit -n)" "$TMP/err"
"$SKBTOP" probes -j > "$TMP/pall.json" 2> /dev/null
prlimit --nofile=16: "$SKBTOP" probes -j > "$TMP/p16.json" 2> /dev/null
check_eq "a soft limit of 16 is raised: the same probes attach" \
	"$(jq -c '[.[] | .mode]' "$TMP/pall.json")" "$(jq -c '[.[] | .mode]' "$TMP/p16.json")"
check_eq "... and record's CMD still gets the soft limit of 16" 16 \
	"$(prlimit --nofile=16: "$SKBTOP" record -i 0.1 -o "$FS/u.json" -- sh -c 'ulimit -n' 2> /dev/null)"

# ---- item 11: options ----
"$SKBTOP" -xj 2> "$TMP/err"
check_eq "-xj is a usage error" 64 $?
check_true "-xj names -x, not the program" grep -q "unknown option '-x'" "$TMP/err"
set -- probes
i=0
while [ $i -lt 40 ]; do set -- "$@" -j; i=$((i + 1)); done
"$SKBTOP" "$@" -d 1 > /dev/null 2>&1
check_eq "40 repeated options do not hide -d from the per-command check" 64 $?
timeout 20 "$SKBTOP" --text -j -n 2 0.1 > "$TMP/n.jsonl" 2> /dev/null
check_eq "--text -n 2 prints 2 intervals" "0 2" "$? $(wc -l < "$TMP/n.jsonl")"

finish
