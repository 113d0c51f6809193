#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry and vhost_net: the tun_sendmsg() latency
# histogram (-j queues[].sendmsg_ns) counts every call of each tun queue,
# in the batch class of its TUN_MSG_PTR frame count, exactly as bpftrace
# counts them in the same window (vhost_tx, 2 queues, N frames each, run
# by bpftrace -c while skbtop runs from before to after). bpftrace finds
# the queue on its own: the tun_file's queue_index at offsets read from the
# tun module's BTF with bpftool, and ctl->num from the msghdr's control
# block (struct tun_msg_ctl, include/linux/if_tun.h); the classes are
# folded here in awk. The buckets' contents are not compared: bpftrace's
# timing is not skbtop's (their sums are: the calls). Then the same under
# skbtop record: the report's (-j) per-queue count == bpftrace's, and its
# text has the TUN_SENDMSG table.
# The two vhost workers run on CPUs of their own (vhost_tx --spread-workers):
# a tracing program runs preemptibly (migrate_disable only) on a preemptible
# kernel, and a worker entering tun_sendmsg() on the CPU where the other was
# preempted inside the program is a run the kernel skips (a recursion miss:
# seen on the built kernel with 1-9, 5 of skbtop's runs, before the
# workers were spread). Both sides' misses are checked to be 0.
# With NAME=KO arguments (tests/review/build-tun-series.sh), each tun.ko in
# turn; without, the running kernel's tun.
#   tests/vm/guest_sendmsg_hist.sh N [NAME=KO...]
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?frames per queue}
shift
if [ $# = 0 ]; then set -- running=; fi

# btf_off STRUCT MEMBER: MEMBER's byte offset in STRUCT of the tun module's
# BTF, looking into anonymous unions and structs
btf_off() {
	bpftool -B /sys/kernel/btf/vmlinux btf dump file /sys/kernel/btf/tun format raw |
	awk -v S="'$1'" -v M="'$2'" '
	function find(t, base,   k, r) {
		for (k = 0; k < nm[t]; k++) {
			if (mn[t, k] == M) return base + mo[t, k]
			if (mn[t, k] == "'"'"'(anon)'"'"'") {
				r = find(mt[t, k], base + mo[t, k]); if (r != "") return r
			}
		}
		return ""
	}
	/^\[/ { id = substr($1, 2, length($1) - 2); kind[id] = $2; name[id] = $3; next }
	/^\t'"'"'/ { k = nm[id]++; mn[id, k] = $1; sub(/.*=/, "", $2); mt[id, k] = $2
		sub(/.*=/, "", $3); mo[id, k] = $3 }
	END { for (i in kind) if (kind[i] == "STRUCT" && name[i] == S) { r = find(i, 0)
		if (r != "") print r / 8; exit } }'
}

# class NUM: the batch class name skbtop gives a TUN_MSG_PTR batch of NUM frames
class_awk='function cls(n,   lo) { if (n >= 128) return "128+"; if (n < 2) return n ""
	lo = 1; while (lo * 2 <= n) lo *= 2; return lo "-" (2 * lo - 1) }'

# bpftrace in the background (its window inside skbtop's), and the runs of
# its program the kernel skipped (recursion: a run preempted on this CPU
# while another task entered tun_sendmsg()), read before it exits
bt_start() {	# OUT
	bpftrace -e "$prog" > "$1" 2>&1 &
	BT=$!
	bt_wait "$1"
	kill -0 $BT 2>/dev/null && grep -q Attaching "$1" ||
		{ not_ok "$var: bpftrace: $(tail -3 "$1")"; return 1; }
	sleep 1
}
bt_stop() {	# OUT
	# bpftrace's program is named after the function (skbtop's: tun_sendmsg_entry, _exit)
	bpftool prog show -j > "$1.progs"
	BT_MISSES=$(jq '[.[] | select(.type == "tracing" and .name == "tun_sendmsg") |
		.recursion_misses // 0] | add // "no program of bpftrace found"' "$1.progs")
	bt_end $BT
	echo "# $var: bpftrace's program skipped $BT_MISSES runs"
}

echo "# kernel $(uname -r)"
for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	if [ "$var" != running ]; then
		for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
		insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	else
		modprobe tun
	fi
	[ -e /dev/vhost-net ] || modprobe vhost_net
	SOCK=$(btf_off tun_file socket) QI=$(btf_off tun_file queue_index)
	echo "# $var: tun_file.socket at $SOCK, queue_index at $QI (tun BTF)"
	[ -n "$SOCK" ] && [ -n "$QI" ] || { not_ok "$var: tun_file offsets from BTF"; continue; }
	prog="kfunc:tun_sendmsg {
		@all = count();
		\$q = *(uint16 *)((uint64)args->sock - $SOCK + $QI);
		\$c = (uint64)args->m->msg_control;
		@q[\$q] = count();
		if (\$c != 0 && args->m->msg_controllen == 16 && *(uint16 *)\$c == 2) {
			@b[\$q, *(uint16 *)(\$c + 2)] = count();
		} else {
			@plain[\$q] = count();
		}
	}"

	# live: skbtop -j around bpftrace around vhost_tx
	skbtop_start -P tun_sendmsg
	bt_start "$TMP/$var.bt" || continue
	gen=$("$GEN/vhost_tx" --queues 2 --count "$N" --spread-workers)
	bt_stop "$TMP/$var.bt"
	skbtop_stop
	check_eq "$var: bpftrace's program skipped no run (else its counts are low)" 0 \
		"$BT_MISSES"
	check_eq "$var: skbtop's tun_sendmsg programs missed no run" 0 \
		"$(skb_sum '[.progs[] | select(.name | startswith("tun_sendmsg")) | .misses] | add')"
	IF=$(echo "$gen" | jq -r .ifname)
	grep '^@' "$TMP/$var.bt" | sed "s/^/# $var: /"
	check_eq "$var: vhost_tx completed 2 x N frames" $((2 * N)) \
		"$(echo "$gen" | jq '[.queues[].completed] | add')"
	check_eq "$var: probe mode" "fentry fentry+fexit sendmsg_lat" \
		"$("$SKBTOP" probes -j | jq -r '.[] | select(.probe == "tun_sendmsg") |
			"\(.mode) \(.variant) \(.caps // [] | join(","))"')"
	for q in 0 1; do
		sel=".queues[] | select(.ifname == \"$IF\" and .queue == $q and .dir == \"rx\")"
		bt=$(sed -n "s/^@q\[$q\]: //p" "$TMP/$var.bt")
		check_true "$var: queue $q: tun_sendmsg called (${bt:-0})" test "${bt:-0}" -gt 0
		check_eq "$var: queue $q: histogram count == bpftrace" "${bt:-0}" \
			"$(skb_sum "$sel | .sendmsg_ns.count")"
		check_eq "$var: queue $q: buckets add up to the count" \
			"$(skb_sum "$sel | .sendmsg_ns.count")" \
			"$(skb_sum "$sel | .sendmsg_ns.buckets | add")"
		check_eq "$var: queue $q: histogram count == sendmsg_calls" \
			"$(skb_sum "$sel | .sendmsg_calls")" "$(skb_sum "$sel | .sendmsg_ns.count")"
		# per batch class: bpftrace's exact ctl->num folded into classes here
		sed -n "s/^@b\[$q, \([0-9]*\)\]: \([0-9]*\)$/\1 \2/p" "$TMP/$var.bt" |
			awk "$class_awk"' { c[cls($1)] += $2 } END { for (k in c) print k, c[k] }' |
			sort > "$TMP/$var.$q.btc"
		p=$(sed -n "s/^@plain\[$q\]: //p" "$TMP/$var.bt")
		[ -z "$p" ] || echo "plain $p" >> "$TMP/$var.$q.btc"
		jq -rs "[.[] | $sel | .sendmsg_ns.batches[]] | group_by(.batch)[] |
			\"\(.[0].batch) \(map(.count) | add)\"" "$SKB_OUT" | sort > "$TMP/$var.$q.skc"
		sort -o "$TMP/$var.$q.btc" "$TMP/$var.$q.btc"
		echo "# $var: queue $q classes (bpftrace): $(tr '\n' ';' < "$TMP/$var.$q.btc")"
		check_eq "$var: queue $q: calls per batch class == bpftrace" \
			"$(tr '\n' ';' < "$TMP/$var.$q.btc")" "$(tr '\n' ';' < "$TMP/$var.$q.skc")"
	done

	# record + report
	bt_start "$TMP/$var.rec.bt" || continue
	"$SKBTOP" record -i 0.5 -P tun_sendmsg -o "$TMP/$var.cap.json" -- \
		"$GEN/vhost_tx" --queues 2 --count "$N" --spread-workers > "$TMP/$var.rec.gen" \
		2> "$TMP/$var.rec.err"
	check_eq "$var: record exits 0 ($(tail -2 "$TMP/$var.rec.err"))" 0 $?
	bt_stop "$TMP/$var.rec.bt"
	grep '^@' "$TMP/$var.rec.bt" | sed "s/^/# $var: record: /"
	check_true "$var: record wrote a capture" test -s "$TMP/$var.cap.json"
	"$SKBTOP" report "$TMP/$var.cap.json" --format json > "$TMP/$var.rep.json"
	"$SKBTOP" report "$TMP/$var.cap.json" > "$TMP/$var.rep.txt"
	sed -n '/^TUN_SENDMSG/,/^  (p50/p' "$TMP/$var.rep.txt" | sed "s/^/# $var: /"
	IF=$(jq -r '.totals.queues[0].ifname' "$TMP/$var.rep.json")
	check_eq "$var: record: bpftrace's program skipped no run" 0 "$BT_MISSES"
	check_eq "$var: record: skbtop's tun_sendmsg programs missed no run" 0 \
		"$(jq '[.recursion_misses | to_entries[] | select(.key | startswith("tun_sendmsg"))
			| .value] | add // 0' "$TMP/$var.rep.json")"
	for q in 0 1; do
		bt=$(sed -n "s/^@q\[$q\]: //p" "$TMP/$var.rec.bt")
		check_eq "$var: record, queue $q: report's histogram count == bpftrace" "${bt:-0}" \
			"$(jq ".totals.queues[] | select(.ifname == \"$IF\" and .queue == $q and
				.dir == \"rx\") | .sendmsg_ns.count" "$TMP/$var.rep.json")"
		# the text table's "all" row (or the one class row) has the same calls
		check_eq "$var: record, queue $q: report text calls == bpftrace" "${bt:-0}" \
			"$(awk -v q="rx$q" '/^TUN_SENDMSG/ { t = 1; next } t && $2 == q { c = $4 }
				t && /^  \(p50/ { t = 0 } END { print c }' "$TMP/$var.rep.txt")"
	done
	check_eq "$var: report text has no n/a in TUN_SENDMSG" 0 \
		"$(sed -n '/^TUN_SENDMSG/,/^  (p50/p' "$TMP/$var.rep.txt" | grep -c 'n/a')"
done
finish
