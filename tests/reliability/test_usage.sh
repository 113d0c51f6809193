#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every CLI misuse exits 64 with one "skbtop: ..." line (plus, for most, the
# "Try 'skbtop --help'." hint) on stderr, nothing on stdout, and no BPF
# loaded. Runs as any user: usage is checked before privileges.
. "$(dirname "$0")/../live/lib.sh"
set -f	# arguments below are split on blanks, never globbed

# each line: ARGS | first line of stderr (exact)
while IFS='|' read -r args msg; do
	[ -n "$args" ] || continue
	args=$(echo "$args" | sed 's/ *$//') msg=$(echo "$msg" | sed 's/^ *//')
	# shellcheck disable=SC2086
	timeout 10 "$SKBTOP" $args > "$TMP/out" 2> "$TMP/err" < /dev/null
	rc=$?
	got=$(head -1 "$TMP/err")
	if [ $rc = 64 ] && [ "$got" = "$msg" ] && [ ! -s "$TMP/out" ]; then
		ok "skbtop $args: 64"
	else
		not_ok "skbtop $args: exit $rc, stderr '$got' (want 64, '$msg')"
	fi
done <<'EOF2'
--bogus                 | skbtop: unknown option '--bogus'
-x                      | skbtop: unknown option '-x'
--json=1                | skbtop: unknown option '--json=1'
-i                      | skbtop: option '-i' needs an argument
-d                      | skbtop: option '-d' needs an argument
-n                      | skbtop: option '-n' needs an argument
-P                      | skbtop: option '-P' needs an argument
--btf                   | skbtop: option '--btf' needs an argument
--format                | skbtop: option '--format' needs an argument
record -o               | skbtop: option '-o' needs an argument
export --listen         | skbtop: option '--listen' needs an argument
-i abc                  | skbtop: invalid interval 'abc' (0.01 to 3600 seconds)
-i nan                  | skbtop: invalid interval 'nan' (0.01 to 3600 seconds)
-i inf                  | skbtop: invalid interval 'inf' (0.01 to 3600 seconds)
-i -1                   | skbtop: invalid interval '-1' (0.01 to 3600 seconds)
-i 0                    | skbtop: invalid interval '0' (0.01 to 3600 seconds)
-i 0.001                | skbtop: invalid interval '0.001' (0.01 to 3600 seconds)
-i 1e9                  | skbtop: invalid interval '1e9' (0.01 to 3600 seconds)
-i 1x                   | skbtop: invalid interval '1x' (0.01 to 3600 seconds)
-d nan                  | skbtop: invalid duration 'nan'
-d 0                    | skbtop: invalid duration '0'
-d -5                   | skbtop: invalid duration '-5'
-d 1e9                  | skbtop: invalid duration '1e9'
-n 0                    | skbtop: invalid iteration count '0'
-n -1                   | skbtop: invalid iteration count '-1'
-n abc                  | skbtop: invalid iteration count 'abc'
--text nan              | skbtop: invalid interval 'nan' (0.01 to 3600 seconds, or a command: probes, record, report, diff, export)
--text inf              | skbtop: invalid interval 'inf' (0.01 to 3600 seconds, or a command: probes, record, report, diff, export)
--text 0                | skbtop: invalid interval '0' (0.01 to 3600 seconds, or a command: probes, record, report, diff, export)
--text 1e9              | skbtop: invalid interval '1e9' (0.01 to 3600 seconds, or a command: probes, record, report, diff, export)
--text -- -1            | skbtop: invalid interval '-1' (0.01 to 3600 seconds, or a command: probes, record, report, diff, export)
bogus                   | skbtop: invalid interval 'bogus' (0.01 to 3600 seconds, or a command: probes, record, report, diff, export)
--text 1 0              | skbtop: invalid count '0' (a positive integer)
--text -- 1 -1          | skbtop: invalid count '-1' (a positive integer)
--text 1 abc            | skbtop: invalid count 'abc' (a positive integer)
--text 1 1e3            | skbtop: invalid count '1e3' (a positive integer)
--text 1 99999999999999999999 | skbtop: invalid count '99999999999999999999' (a positive integer)
--text 1 1 1            | skbtop: too many arguments ('1' ...)
re                      | skbtop: ambiguous command 're'
probes extra            | skbtop: probes takes no arguments
--max-mode bogus        | skbtop: invalid --max-mode 'bogus' (kprobe or tracepoint)
--format xml            | skbtop: invalid --format 'xml' (text, json or markdown)
-P bogus                | skbtop: unknown probe 'bogus' in --probes (valid: drops tun_consume defer_queue defer_kick defer_ipi defer_recv defer_flush cache_get cache_put cache_refill cache_flush cache_level bulk build tun_sendmsg consume consume_task softirq_where)
-P drops,bogus          | skbtop: unknown probe 'bogus' in --probes (valid: drops tun_consume defer_queue defer_kick defer_ipi defer_recv defer_flush cache_get cache_put cache_refill cache_flush cache_level bulk build tun_sendmsg consume consume_task softirq_where)
-P drops,               | skbtop: empty name in --probes 'drops,' (valid: drops tun_consume defer_queue defer_kick defer_ipi defer_recv defer_flush cache_get cache_put cache_refill cache_flush cache_level bulk build tun_sendmsg consume consume_task softirq_where)
probes -P consume,,bulk | skbtop: empty name in --probes 'consume,,bulk' (valid: drops tun_consume defer_queue defer_kick defer_ipi defer_recv defer_flush cache_get cache_put cache_refill cache_flush cache_level bulk build tun_sendmsg consume consume_task softirq_where)
-P -bogus               | skbtop: unknown probe 'bogus' in --probes (valid: drops tun_consume defer_queue defer_kick defer_ipi defer_recv defer_flush cache_get cache_put cache_refill cache_flush cache_level bulk build tun_sendmsg consume consume_task softirq_where)
-P drops,-bulk          | skbtop: --probes 'drops,-bulk': either names or -names (all but those), not both
-P -drops,bulk          | skbtop: --probes '-drops,bulk': either names or -names (all but those), not both
record                  | skbtop: record needs -o FILE
record -o x.json -i 0 -- true | skbtop: invalid interval '0' (0.01 to 3600 seconds)
report                  | skbtop: report needs one capture file
report a b              | skbtop: too many arguments
diff                    | skbtop: diff needs two capture files: BEFORE AFTER
diff a                  | skbtop: diff needs two capture files: BEFORE AFTER
export                  | skbtop: export needs --listen ADDR:PORT or --textfile PATH
export --listen foo     | skbtop: invalid --listen 'foo' (PORT, ADDR:PORT or [ADDR6]:PORT)
export --listen 1.2.3.4:99999 | skbtop: invalid --listen '1.2.3.4:99999' (PORT, ADDR:PORT or [ADDR6]:PORT)
export --queues=0 --listen 9999 | skbtop: invalid series limit '0' (1 to 1000)
export --locations=1001 --listen 9999 | skbtop: invalid series limit '1001' (1 to 1000)
--listen 9999           | skbtop: option '--listen' does not apply to the live screen
-o x.json --text        | skbtop: option '--output' does not apply to the live screen
probes -L               | skbtop: option '--drop-detail' does not apply to probes
probes -i 1             | skbtop: option '--interval' does not apply to probes
record -C -o x.json     | skbtop: option '--per-cpu' does not apply to record
record -j -o x.json     | skbtop: option '--json' does not apply to record
export -j --listen 9999 | skbtop: option '--json' does not apply to export
record --top-cpus 2 -o x.json | skbtop: option '--top-cpus' does not apply to record
export --text --listen 9999 | skbtop: option '--text' does not apply to export
fields extra            | skbtop: fields takes no arguments
fields -C               | skbtop: option '--per-cpu' does not apply to fields
EOF2
# the empty string as a command
"$SKBTOP" "" > /dev/null 2> "$TMP/err"
check_eq "skbtop '': 64" 64 $?

# SUB --help: that subcommand's usage and only the options it takes
for sub in probes record report diff export fields; do
	"$SKBTOP" $sub --help > "$TMP/help" 2> "$TMP/err"
	check_eq "$sub --help exits 0, nothing on stderr" "0 0" "$? $(wc -c < "$TMP/err")"
	check_eq "$sub --help: its synopsis first" "USAGE: skbtop $sub" \
		"$(head -1 "$TMP/help" | cut -d' ' -f1-3)"
done
"$SKBTOP" record --help > "$TMP/help"
check_true "record --help lists --output" grep -q -- "--output FILE" "$TMP/help"
check_true "record --help does not list --listen" sh -c "! grep -q -- '--listen' '$TMP/help'"
"$SKBTOP" export -h > "$TMP/help"
check_true "export -h lists --listen" grep -q -- "--listen" "$TMP/help"
check_true "export -h does not list --output" sh -c "! grep -q -- '--output' '$TMP/help'"
"$SKBTOP" --help > "$TMP/help"
check_true "--help is the global usage" grep -q "^EXAMPLES:" "$TMP/help"
finish
