#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest: skbtop reports the mode each probe must have on this
# kernel, from the kernel's own facts (kallsyms, tracefs), and why not.
. "$(dirname "$0")/../live/lib.sh"
need_root
"$SKBTOP" probes -j > "$TMP/p.json"
check_eq "probes -j exits 0" 0 $?
mode() { jq -r ".[] | select(.probe == \"$1\") | .mode" "$TMP/p.json"; }
reason() { jq -r ".[] | select(.probe == \"$1\") | .reason // \"\"" "$TMP/p.json"; }
has_sym() { grep -qE " [tTwW] $1([[:space:]]|$)" /proc/kallsyms; }

# fentry loads here: every probe whose function is a symbol uses fentry
for p in defer_queue:skb_attempt_defer_free \
	 cache_put:napi_skb_cache_put cache_flush:kmem_cache_free_bulk \
	 bulk:napi_skb_cache_get_bulk build:napi_build_skb tun_sendmsg:tun_sendmsg \
	 consume:napi_consume_skb; do
	probe=${p%%:*} fn=${p#*:}
	if has_sym "$fn"; then
		check_eq "$probe attached with fentry/fexit" fentry "$(mode "$probe")"
	else
		check_eq "$probe unavailable: $fn not on this kernel" unavailable "$(mode "$probe")"
		case "$(reason "$probe")" in
		*absent*|*inlined*) ok "$probe reason says absent/inlined" ;;
		*) not_ok "$probe reason: $(reason "$probe")" ;;
		esac
	fi
done
# defer_flush: no program on skb_defer_free_flush, only consume_skb events
# located in it (tp_btf), where it is a symbol (not 6.12: inlined) and the
# tracepoint passes a location (not 6.1)
if has_sym skb_defer_free_flush &&
	grep -q ' location;' /sys/kernel/tracing/events/skb/consume_skb/format 2>/dev/null; then
	check_eq "defer_flush attached with tp_btf" "tp_btf consume_skb location" \
		"$(jq -r '.[] | select(.probe == "defer_flush") | "\(.mode) \(.variant)"' "$TMP/p.json")"
else
	check_eq "defer_flush unavailable" unavailable "$(mode defer_flush)"
fi
# napi_consume_skb's calling context: needs the preempt count (KALLSYMS_ALL)
if has_sym napi_consume_skb && grep -qE " [a-zA-Z] __preempt_count\$" /proc/kallsyms; then
	check_eq "consume_task attached with fentry" fentry "$(mode consume_task)"
else
	check_eq "consume_task unavailable" unavailable "$(mode consume_task)"
fi
# cache gets: at napi_skb_cache_get where it is a function, else at its
# callers (inline from 7.0); hits from the per-CPU napi_alloc_cache
if has_sym napi_skb_cache_get; then want="fentry+level"; else want="callers+level"; fi
check_eq "cache_get attached, gets counted at $want" "fentry $want" \
	"$(jq -r '.[] | select(.probe == "cache_get") | "\(.mode) \(.variant)"' "$TMP/p.json")"
if grep -qE ' napi_alloc_cache$' /proc/kallsyms; then
	check_eq "cache_level: a syscall program reads the fill level" syscall "$(mode cache_level)"
else
	check_eq "cache_level unavailable: napi_alloc_cache not in kallsyms" unavailable \
		"$(mode cache_level)"
fi
if has_sym kmem_cache_alloc_bulk_noprof || has_sym kmem_cache_alloc_bulk; then
	check_eq "cache_refill attached with fexit" fentry "$(mode cache_refill)"
fi
if has_sym napi_skb_cache_get_bulk && grep -q ' __preempt_count$' /proc/kallsyms; then
	check_eq "bulk checks BH context" "fexit+BH check" \
		"$(jq -r '.[] | select(.probe == "bulk") | .variant' "$TMP/p.json")"
fi
for p in defer_kick:csd/csd_queue_cpu defer_ipi:ipi/ipi_send_cpu defer_recv:csd/csd_function_entry; do
	probe=${p%%:*} tp=${p#*:}
	if [ -d "/sys/kernel/tracing/events/$tp" ]; then
		check_eq "$probe on raw_tp" raw_tp "$(mode "$probe")"
	else
		check_eq "$probe unavailable: no $tp" unavailable "$(mode "$probe")"
		case "$(reason "$probe")" in
		*absent*) ok "$probe reason says absent" ;;
		*) not_ok "$probe reason: $(reason "$probe")" ;;
		esac
	fi
done
check_eq "drops on tp_btf" tp_btf "$(mode drops)"

# an fexit that fails to attach moves bulk to its next variant, the one
# without the BH check (SKBTOP_FAIL_ATTACH: a testing hook), and nothing
# else moves (6.14+: napi_skb_cache_get_bulk)
if [ "$(mode bulk)" = fentry ]; then
	SKBTOP_FAIL_ATTACH=bulk "$SKBTOP" probes -j > "$TMP/pf.json"
	check_eq "bulk after a failed fexit attach" "fentry fexit" \
		"$(jq -r '.[] | select(.probe == "bulk") | "\(.mode) \(.variant)"' "$TMP/pf.json")"
	check_eq "the other probes keep their modes" \
		"$(jq -c '[.[] | select(.probe != "bulk") | [.probe, .mode, .variant]]' "$TMP/p.json")" \
		"$(jq -c '[.[] | select(.probe != "bulk") | [.probe, .mode, .variant]]' "$TMP/pf.json")"
fi

# defer_flush reads napi_consume_skb's return address: another tool's fexit
# there hides it, and skbtop must say which program does that
if [ "$(mode defer_flush)" = tp_btf ]; then
	check_eq "defer_flush: no note without a foreign fexit" "" \
		"$(jq -r '.[] | select(.probe == "defer_flush") | .note // ""' "$TMP/p.json")"
	bpftrace -e 'kretfunc:napi_consume_skb { @n = count(); }' > "$TMP/bt.raw" 2>&1 &
	BT=$!
	on_exit "kill $BT 2>/dev/null"
	bt_wait "$TMP/bt.raw"
	# bpftrace prints "Attaching" before its link exists: wait for the link (10 s at most)
	i=0 id=
	while [ -z "$id" ] && [ $i -lt 100 ]; do
		id=$(bpftool -j link show | jq -r '[.[] | select(.type == "tracing" and
			.attach_type == "trace_fexit")] | .[0].prog_id // empty')
		[ -n "$id" ] || sleep 0.1
		i=$((i + 1))
	done
	"$SKBTOP" probes -j > "$TMP/p2.json"
	check_eq "defer_flush note names bpftrace's fexit on napi_consume_skb" \
		"BPF prog $id has an fexit on napi_consume_skb" \
		"$(jq -r '.[] | select(.probe == "defer_flush") | .note // ""' "$TMP/p2.json" | cut -d: -f1)"
	"$SKBTOP" --text -j 0.1 1 > /dev/null 2> "$TMP/warn"
	check_true "a live run warns on stderr ($(head -c 120 "$TMP/warn"))" \
		grep -q "^skbtop: warning: defer_flush: BPF prog $id has an fexit on napi_consume_skb" "$TMP/warn"
	bt_end $BT
	# attached while skbtop runs: the next look (every 5 s of reads) says so
	SKB_INTERVAL=0.5 skbtop_start
	before=$(bpftool -j link show | jq -c '[.[].id]')
	bpftrace -e 'kretfunc:napi_consume_skb { @n = count(); }' > "$TMP/bt2.raw" 2>&1 &
	BT=$!
	bt_wait "$TMP/bt2.raw"
	# bpftool 7.1 shows no link target: bpftrace's is the one link that is new
	# (bpftrace prints "Attaching" before its links exist: wait for it, as above)
	id= i=0
	while [ -z "$id" ] && [ $i -lt 100 ]; do
		id=$(bpftool -j link show | jq -r --argjson b "$before" '[.[] | select(.type == "tracing"
			and .attach_type == "trace_fexit" and (.id as $i | $b | index($i) | not))]
			| .[0].prog_id // empty')
		[ -n "$id" ] || sleep 0.1
		i=$((i + 1))
	done
	sleep 7
	bt_end $BT
	skbtop_stop
	check_true "a program attached mid-run is reported ($(head -c 120 "$SKB_OUT.err"))" \
		grep -q "^skbtop: warning: defer_flush: BPF prog $id has an fexit on napi_consume_skb" \
		"$SKB_OUT.err"
	check_eq "... once" 1 "$(grep -c 'warning: defer_flush' "$SKB_OUT.err")"
	# the screen: a warning found mid-run shows on its message line, and is
	# printed once more after the screen closes (curses owns the terminal)
	if command -v tmux > /dev/null; then
		SOCK=skbtop-vmtui-$$
		tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
		on_exit "tmux -L $SOCK kill-server 2>/dev/null"
		tm new-session -d -s w -x 200 -y 40 \
			"'$SKBTOP' -i 0.5 2> '$TMP/tui.err'; echo \$? > '$TMP/tui.rc'; sleep 600"
		i=0
		while ! tm capture-pane -p -t w | grep -q "q quit" && [ $i -lt 600 ]; do
			sleep 0.1; i=$((i + 1))
		done
		before=$(bpftool -j link show | jq -c '[.[].id]')
		bpftrace -e 'kretfunc:napi_consume_skb { @n = count(); }' > "$TMP/bt3.raw" 2>&1 &
		BT=$!
		bt_wait "$TMP/bt3.raw"
		i=0 id=
		while [ -z "$id" ] && [ $i -lt 100 ]; do
			id=$(bpftool -j link show | jq -r --argjson b "$before" '[.[] |
				select(.type == "tracing" and .attach_type == "trace_fexit" and
				(.id as $i | $b | index($i) | not))] | .[0].prog_id // empty')
			[ -n "$id" ] || sleep 0.1
			i=$((i + 1))
		done
		# the next look comes within 5 s of reads
		i=0
		while ! tm capture-pane -p -t w | grep -q "^warning: defer_flush" && [ $i -lt 200 ]; do
			sleep 0.1; i=$((i + 1))
		done
		tm capture-pane -p -t w > "$TMP/tui.screen"
		check_true "the screen shows a warning found mid-run ($(grep warning "$TMP/tui.screen" | cut -c1-100))" \
			grep -q "^warning: defer_flush: BPF prog $id has an fexit on napi_consume_skb" \
			"$TMP/tui.screen"
		bt_end $BT
		tm send-keys -t w q
		i=0
		while [ ! -s "$TMP/tui.rc" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		check_eq "the screen exits 0 on q" 0 "$(cat "$TMP/tui.rc" 2> /dev/null)"
		check_eq "... and prints the warning once after it closes" 1 \
			"$(grep -c "^skbtop: warning: defer_flush: BPF prog $id has an fexit" "$TMP/tui.err")"
	else
		not_ok "tmux not installed: the screen's warning is not checked"
	fi
fi
finish
