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
#  - readers (report, diff, --btf) refuse a FIFO at once instead of hanging
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
check_eq "the second SIGTERM landed during the final write, 5 times" 5 $hit
check_eq "no temporary or spool file left" "" "$(ls -A "$FS/sig" | grep -vx c.json)"
# the signal may come just after the rename: then the capture is whole
check_true "no capture, or a complete one" sh -c "[ ! -e '$FS/sig/c.json' ] || $SKBTOP report '$FS/sig/c.json' >/dev/null 2>&1"

# ---- item 5: closed stdio at start ----
timeout 20 "$SKBTOP" record -i 0.1 -o "$FS/cl.json" -- /nonexistent 2>&-
check_eq "record -- /nonexistent with stderr closed returns 127" 127 $?
check_true "the capture is valid (CMD's error did not land in it)" valid "$FS/cl.json"
timeout 20 "$SKBTOP" record -i 0.1 -o "$FS/cl0.json" -- true <&- >&- 2>&-
check_eq "record with fds 0-2 closed returns CMD's 0" 0 $?
check_true "and writes a valid capture" valid "$FS/cl0.json"

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

finish
