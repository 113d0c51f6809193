#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `skbtop export`: /metrics passes promtool; a real Prometheus (Debian's
# package, loopback only) scrapes it and sees exactly the SOCKET_RCVBUFF
# drops of a known workload (Udp RcvbufErrors delta); the textfile is never
# seen half-written; SIGTERM releases the port and the BPF links; a second
# instance on a busy port exits 1 with a clear message.
. "$(dirname "$0")/lib.sh"
need_root
mount_tracefs
N=${N:-5000}

for t in promtool prometheus curl jq bpftool; do
	command -v $t >/dev/null || { not_ok "needs $t (apt-get install prometheus curl jq bpftool)"; exit 1; }
done

free_port() {
	i=0
	while [ $i -lt 50 ]; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000))
		[ -z "$(ss -Hltn "sport = :$p")" ] && { echo $p; return; }
		i=$((i + 1))
	done
	echo 0
}

# Start `skbtop export ARGS` in the background, wait for "serving http://A/metrics".
# Sets EXP_PID, EXP_ADDR (ADDR:PORT), EXP_ERR.
export_start() {
	EXP_N=$((${EXP_N:-0} + 1))
	EXP_ERR=$TMP/export.$EXP_N.err
	: > "$EXP_ERR"
	# -d bounds its life; no wrapper, so $! is skbtop itself
	"$SKBTOP" export -d 300 "$@" 2> "$EXP_ERR" &
	EXP_PID=$!
	on_exit "kill $EXP_PID 2>/dev/null"
	i=0
	while ! grep -q 'serving http://' "$EXP_ERR" && [ $i -lt 100 ] && kill -0 $EXP_PID 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	EXP_ADDR=$(sed -n 's|.*serving http://\(.*\)/metrics|\1|p' "$EXP_ERR")
	[ -n "$EXP_ADDR" ] || { not_ok "skbtop export did not start: $(cat "$EXP_ERR")"; exit 1; }
}

# BPF link ids held by a process, from its fds.
link_ids() {
	for f in /proc/$1/fdinfo/*; do
		sed -n 's/^link_id:[[:space:]]*//p' "$f" 2>/dev/null
	done | sort -n
}

# ---- usage errors ----
"$SKBTOP" export 2>/dev/null
check_eq "export without --listen/--textfile exits 64" 64 $?
"$SKBTOP" export --listen 1.2.3.4:99999 2>/dev/null
check_eq "invalid --listen exits 64" 64 $?

# ---- HTTP endpoint; a port alone binds loopback ----
others_before=$(pgrep -x skbtop)
links_before=$(bpftool link list -j | jq length)
PORT=$(free_port)
export_start --listen "$PORT" -i 0.2
check_eq "port alone binds 127.0.0.1" "127.0.0.1:$PORT" "$EXP_ADDR"
check_eq "listening on loopback only" "127.0.0.1:$PORT" \
	"$(ss -Hltn "sport = :$PORT" | awk '{print $4}')"
curl -sf -D "$TMP/hdr" "http://$EXP_ADDR/metrics" > "$TMP/metrics.txt"
check_eq "GET /metrics succeeds" 0 $?
grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/hdr"
check_eq "Content-Type is the text exposition format" 0 $?
promtool check metrics < "$TMP/metrics.txt" > "$TMP/promtool.out" 2>&1
rc=$?
check_eq "promtool check metrics passes$(tr '\n' ' ' < "$TMP/promtool.out" | cut -c1-200)" 0 $rc
grep -q '^skbtop_probe_info{probe="drops",mode="tp_btf"} 1$' "$TMP/metrics.txt"
check_eq "probe_info lists drops on tp_btf" 0 $?
grep -q '^# TYPE skbtop_napi_cache_gets_total' "$TMP/metrics.txt"
check_eq "families of unavailable probes are omitted" 1 $?
check_eq "process_cpu_seconds_total, process_open_fds, process_resident_memory_bytes" 3 \
	"$(grep -Ec '^process_(cpu_seconds_total|open_fds|resident_memory_bytes) [0-9.]+$' \
		"$TMP/metrics.txt")"
# OpenMetrics when the scraper asks for it (Prometheus does by default)
curl -sf -D "$TMP/omhdr" -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://$EXP_ADDR/metrics" > "$TMP/om.txt"
check_true "Accept: openmetrics gets application/openmetrics-text" \
	grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$TMP/omhdr"
check_eq "OpenMetrics ends with # EOF" "# EOF" "$(tail -1 "$TMP/om.txt")"
check_true "OpenMetrics counter family without _total" \
	grep -q '^# TYPE skbtop_kfree_skb counter$' "$TMP/om.txt"
# the same families (the scrapes are moments apart: series may differ)
grep '^# TYPE' "$TMP/metrics.txt" |
	awk '{ n = $3; if ($4 == "counter") sub(/_total$/, "", n); print n, $4 }' | sort > "$TMP/fam.txt"
grep '^# TYPE' "$TMP/om.txt" | awk '{ print $3, $4 }' | sort > "$TMP/fam.om"
check_eq "OpenMetrics and text have the same families ($(wc -l < "$TMP/fam.txt"))" "" \
	"$(diff "$TMP/fam.txt" "$TMP/fam.om" | head -3)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$EXP_ADDR/nope")
check_eq "unknown path is 404" 404 "$code"

# ---- busy port ----
"$SKBTOP" export --listen "$EXP_ADDR" 2> "$TMP/busy.err"
check_eq "second instance on a busy port exits 1" 1 $?
check_eq "busy port message" "skbtop: failed to listen on $EXP_ADDR: Address already in use" \
	"$(cat "$TMP/busy.err")"

# ---- a real Prometheus scrapes it; drops agree with /proc/net/snmp ----
PPORT=$(free_port)
mkdir -p "$TMP/prom"
cat > "$TMP/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: skbtop
    static_configs:
      - targets: ['$EXP_ADDR']
EOF
prometheus --config.file="$TMP/prom/prometheus.yml" --storage.tsdb.path="$TMP/prom/data" \
	--web.listen-address="127.0.0.1:$PPORT" > "$TMP/prom/log" 2>&1 &
PROM_PID=$!
on_exit "kill $PROM_PID 2>/dev/null; wait $PROM_PID 2>/dev/null"
PROM=http://127.0.0.1:$PPORT

# prom_value QUERY TIME: the instant value (0 when there is no series)
prom_value() {
	curl -sf "$PROM/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$2" |
		jq -r '.data.result[0].value[1] // "0"'
}
now() { date +%s.%N; }

i=0
while [ "$(prom_value 'up{job="skbtop"}' "$(now)")" != 1 ] && [ $i -lt 60 ]; do
	sleep 0.5; i=$((i + 1))
done
check_eq "Prometheus scrapes skbtop (up == 1)" 1 "$(prom_value 'up{job="skbtop"}' "$(now)")"

Q='sum(skbtop_drops_total{reason="SOCKET_RCVBUFF"})'
# Other tests on this host may drop SOCKET_RCVBUFF packets at the same time
# (skbtop counts the whole host; RcvbufErrors is per namespace): try 3 times.
attempt=1
while [ $attempt -le 3 ]; do
	# t1: after a scrape, before the workload
	sleep 1.5
	t1=$(now)
	"$GEN/udp_rcvbuf" --count $N > "$TMP/gen.json"
	grc=$?
	t_end=$(now)
	# one skbtop read (0.2 s) and at least one scrape (1 s) later
	sleep 2.5
	t2=$(now)
	last=$(prom_value 'timestamp(skbtop_build_info)' "$t2")
	v1=$(prom_value "$Q" "$t1")
	v2=$(prom_value "$Q" "$t2")
	snmp=$(jq .rcvbuf_errors "$TMP/gen.json")
	seen=$(awk -v a="$v1" -v b="$v2" 'BEGIN { printf "%d", b - a }')
	echo "# attempt $attempt: prometheus $v1 -> $v2 (+$seen), RcvbufErrors +$snmp, last scrape $last, workload end $t_end"
	[ "$seen" = "$snmp" ] && break
	attempt=$((attempt + 1))
done
check_eq "udp_rcvbuf exits 0" 0 $grc
awk -v l="$last" -v e="$t_end" 'BEGIN { exit !(l > e + 0.2) }'
check_eq "a scrape after the workload was used" 0 $?
check_true "workload dropped packets ($snmp)" [ "${snmp:-0}" -gt 0 ]
check_eq "Prometheus SOCKET_RCVBUFF increase == Udp RcvbufErrors delta" "$snmp" "$seen"

# ---- SIGTERM releases the port and the BPF links ----
ids=$(link_ids $EXP_PID)
check_true "export holds BPF links ($(echo $ids | wc -w))" [ -n "$ids" ]
kill -TERM $EXP_PID
wait $EXP_PID
check_eq "export exits 0 on SIGTERM" 0 $?
left=0
for id in $ids; do
	bpftool link show id "$id" >/dev/null 2>&1 && left=$((left + 1))
done
check_eq "no BPF link of the stopped export remains" 0 $left
links_after=$(bpftool link list -j | jq length)
# the host-wide count is only comparable when nothing else holds links
if [ -z "$others_before" ] && [ -z "$(pgrep -x skbtop)" ]; then
	check_eq "bpftool link list: as many links after as before" "$links_before" "$links_after"
else
	echo "# bpftool link list: $links_before before, $links_after after; other skbtop running, count not compared"
fi
check_eq "port released" "" "$(ss -Hltn "sport = :$PORT")"
export_start --listen "127.0.0.1:$PORT" -i 0.2
check_eq "a new instance binds the same port right away" "127.0.0.1:$PORT" "$EXP_ADDR"
curl -sf "http://$EXP_ADDR/metrics" > /dev/null
check_eq "... and serves /metrics" 0 $?
kill -TERM $EXP_PID
wait $EXP_PID

# ---- textfile: atomic replacement under a concurrent reader ----
# complete_prom FILE: every line is a comment or "name{labels} value", and the
# file ends with the last family's complete line and a newline.
complete_prom() {
	awk '
		/^# (HELP|TYPE) / { next }
		/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eE]+(Inf|NaN)?$/ { last = $0; next }
		{ bad = 1 }
		END { exit bad || last !~ /^skbtop_last_read_timestamp_seconds [0-9]+\.[0-9]+$/ }
	' "$1" && [ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
}
# the checker itself catches a cut file
head -c $(($(wc -c < "$TMP/metrics.txt") - 7)) "$TMP/metrics.txt" > "$TMP/cut.prom"
complete_prom "$TMP/cut.prom"
check_eq "checker rejects a cut file" 1 $?
complete_prom "$TMP/metrics.txt"
check_eq "checker accepts a whole file" 0 $?
mkdir -p "$TMP/tf"
TF=$TMP/tf/skbtop.prom
"$SKBTOP" export -d 120 --textfile "$TF" -i 0.05 2> "$TMP/tf.err" &
TF_PID=$!
on_exit "kill $TF_PID 2>/dev/null"
i=0
while [ ! -s "$TF" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
reads=0 bad=0 versions=""
end=$(($(date +%s) + 4))
while [ "$(date +%s)" -lt $end ] && [ $reads -lt 3000 ]; do
	# read as a scraper does: open once, read to the end (cp would refuse a
	# source renamed over between its stat and its open, which is no read)
	cat "$TF" > "$TMP/r" 2> "$TMP/cp.err" ||
		{ echo "# bad read: $(cat "$TMP/cp.err")"; bad=$((bad + 1)); reads=$((reads + 1)); continue; }
	reads=$((reads + 1))
	if ! complete_prom "$TMP/r"; then
		bad=$((bad + 1))
		cp "$TMP/r" "$TMP/bad.prom"
		# say what was wrong: the lines the checker refuses, the size, the end
		echo "# bad read $reads: $(wc -c < "$TMP/r") bytes, last line: $(tail -n1 "$TMP/r" | cut -c1-100)"
		grep -vE '^# (HELP|TYPE) |^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eE]+(Inf|NaN)?$' "$TMP/r" |
			head -3 | sed 's/^/# refused: /'
	fi
	[ $((reads % 5)) = 0 ] && versions="$versions $(tail -n1 "$TMP/r" | awk '{print $2}')"
done
nver=$(echo $versions | tr ' ' '\n' | sort -u | wc -l)
check_eq "textfile: no partial read in $reads reads" 0 $bad
check_true "textfile was rewritten while read ($nver versions seen)" [ "$nver" -ge 5 ]
promtool check metrics < "$TF" > /dev/null 2>&1
check_eq "textfile passes promtool" 0 $?
kill -TERM $TF_PID
wait $TF_PID
check_eq "textfile export exits 0 on SIGTERM" 0 $?
check_eq "no temporary files left; the .prom is removed on exit" "" "$(ls -A "$TMP/tf")"

# ---- per-CPU series: at most --top-cpus N CPUs plus cpu="other"; -C: every CPU ----
NCPU=$(($(sed "s/.*-//" /sys/devices/system/cpu/possible) + 1))	# possible CPUs, as skbtop counts them
if [ "$NCPU" -ge 2 ]; then
	export_start --listen 0 -i 0.2 --top-cpus 1
	# drops on every CPU, pinned: each CPU has drops, only one can have its series
	c=0; want=0
	while [ $c -lt "$NCPU" ]; do
		taskset -c $c "$GEN/udp_rcvbuf" --count 300 > "$TMP/cpu$c.json" || break
		want=$((want + $(jq .rcvbuf_errors "$TMP/cpu$c.json")))
		c=$((c + 1))
	done
	sleep 0.6
	curl -sf "http://$EXP_ADDR/metrics" > "$TMP/cpus.txt"
	promtool check metrics < "$TMP/cpus.txt" > /dev/null 2>&1
	check_eq "with --top-cpus 1: promtool passes" 0 $?
	n=$(grep -c '^skbtop_kfree_skb_total{cpu="[0-9]*"}' "$TMP/cpus.txt")
	check_eq "with --top-cpus 1: one numbered CPU series of skbtop_kfree_skb_total" 1 "$n"
	check_eq "with --top-cpus 1: one cpu=\"other\" series of skbtop_kfree_skb_total" 1 \
		"$(grep -c '^skbtop_kfree_skb_total{cpu="other"}' "$TMP/cpus.txt")"
	n=$(grep '^skbtop_drops_total{reason="SOCKET_RCVBUFF",cpu=' "$TMP/cpus.txt" | grep -vc 'cpu="other"')
	check_eq "with --top-cpus 1: one numbered CPU series of SOCKET_RCVBUFF drops" 1 "$n"
	# all series of the reason add up to at least what the pinned senders dropped
	# (the whole host is counted: only other drops can add to it)
	got=$(awk '/^skbtop_drops_total\{reason="SOCKET_RCVBUFF",/ { s += $2 } END { printf "%d", s }' "$TMP/cpus.txt")
	check_true "with --top-cpus 1: numbered + other SOCKET_RCVBUFF ($got) >= the $want dropped on $NCPU CPUs" \
		[ "$got" -ge "$want" -a "$want" -gt 0 ]
	kill -TERM $EXP_PID; wait $EXP_PID

	export_start --listen 0 -i 0.2 -C
	sleep 0.5
	curl -sf "http://$EXP_ADDR/metrics" > "$TMP/percpu.txt"
	check_eq "with -C: one skbtop_kfree_skb_total series per possible CPU" "$NCPU" \
		"$(grep -c '^skbtop_kfree_skb_total{cpu="[0-9]*"}' "$TMP/percpu.txt")"
	check_eq "with -C: no cpu=\"other\"" 0 "$(grep -c 'cpu="other"' "$TMP/percpu.txt")"
	kill -TERM $EXP_PID; wait $EXP_PID
	"$SKBTOP" export --listen 0 -d 1 -C --top-cpus 2 2> "$TMP/both.err"
	check_eq "--top-cpus with -C exits 64" 64 $?
else
	echo "# skip: --top-cpus needs 2 CPUs or more ($NCPU here)"
fi

# ---- opt-in per-location and per-queue series stay within their limits ----
if "$SKBTOP" --help | grep -q -- '--locations'; then
	export_start --listen 0 -i 0.2 --locations=2 --queues=2
	IFN=skbexp$$
	"$GEN/udp_rcvbuf" --count 1000 > /dev/null
	"$GEN/tap_flood" -q 4 -n 300 -l 100 -i "$IFN" > "$TMP/tap.json"
	check_eq "tap_flood exits 0" 0 $?
	sleep 0.6
	curl -sf "http://$EXP_ADDR/metrics" > "$TMP/limits.txt"
	promtool check metrics < "$TMP/limits.txt" > /dev/null 2>&1
	check_eq "with --locations/--queues: promtool passes" 0 $?
	nloc=$(grep '^skbtop_drops_by_location_total{' "$TMP/limits.txt" | grep -vc 'location="other"')
	check_true "at most 2 location series besides other ($nloc)" [ "$nloc" -le 2 -a "$nloc" -ge 1 ]
	grep -q '^skbtop_drops_by_location_total{reason="SOCKET_RCVBUFF",location="udp' "$TMP/limits.txt" ||
		grep -q '^skbtop_drops_by_location_total{reason="SOCKET_RCVBUFF",location="other"' "$TMP/limits.txt"
	check_eq "SOCKET_RCVBUFF has a udp location or other" 0 $?
	nq=$(grep '^skbtop_queue_drops_total{' "$TMP/limits.txt" | grep -vc 'ifname="other"')
	check_eq "2 queue series besides other" 2 "$nq"
	dropped=$(jq .dropped "$TMP/tap.json")
	ours=$(awk -v n="$IFN" '$0 ~ "^skbtop_queue_drops_total\\{ifname=\"" n "\"" { s += $2 } END { print s + 0 }' "$TMP/limits.txt")
	other=$(awk '/^skbtop_queue_drops_total\{ifname="other"/ { s += $2 } END { print s + 0 }' "$TMP/limits.txt")
	check_true "queue drops: named ($ours) + other ($other) cover the tap's $dropped" \
		[ "$ours" -le "$dropped" -a $((ours + other)) -ge "$dropped" -a "$dropped" -gt 0 ]
	kill -TERM $EXP_PID
	wait $EXP_PID
	check_eq "exits 0 on SIGTERM" 0 $?
else
	echo "# skip: this skbtop has no --queues/--locations"
fi
finish
