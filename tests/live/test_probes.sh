#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `skbtop probes` on this host reports what it can attach and why not.
. "$(dirname "$0")/lib.sh"
need_root
mount_tracefs

"$SKBTOP" probes -j > "$TMP/p.json"
check_eq "probes -j exits 0" 0 $?
mode() { jq -r ".[] | select(.probe == \"$1\") | .mode" "$TMP/p.json"; }
reason() { jq -r ".[] | select(.probe == \"$1\") | .reason // \"\"" "$TMP/p.json"; }

# Expected modes follow from this kernel's own facts, checked independently:
# fentry is refused here (lockdown), tracepoints exist in tracefs.
fentry_ok=no
if bpftrace -e 'kfunc:napi_consume_skb { exit(); }' >/dev/null 2>&1 </dev/null; then
	fentry_ok=yes
fi
for p in defer_queue cache_get cache_refill cache_flush bulk build tun_sendmsg consume consume_task; do
	if [ $fentry_ok = no ]; then
		check_eq "$p unavailable without fentry" unavailable "$(mode $p)"
		case "$(reason $p)" in
		*"Operation not permitted"*) ok "$p reason names EPERM" ;;
		*) not_ok "$p reason: $(reason $p)" ;;
		esac
	elif [ $p = consume_task ] && ! grep -qE " [a-zA-Z] __preempt_count\$" /proc/kallsyms; then
		check_eq "$p unavailable: no __preempt_count in kallsyms" unavailable "$(mode $p)"
	else
		check_eq "$p uses fentry" fentry "$(mode $p)"
	fi
done
check_eq "drops on tp_btf" tp_btf "$(mode drops)"
check_eq "tun_consume on tp_btf" tp_btf "$(mode tun_consume)"
for p in defer_kick defer_ipi defer_recv; do
	tp=$(jq -r ".[] | select(.probe == \"$p\") | .target" "$TMP/p.json")
	if [ -d "/sys/kernel/tracing/events/$(echo "$tp" | tr : /)" ]; then
		check_eq "$p on raw_tp" raw_tp "$(mode $p)"
	else
		check_eq "$p unavailable (no $tp)" unavailable "$(mode $p)"
	fi
done
# defer_flush: no program on skb_defer_free_flush, only consume_skb events
# located in it, where it is a symbol and the tracepoint passes a location;
# tp_btf needs no fentry, so lockdown does not change it
if has_func skb_defer_free_flush &&
	grep -q ' location;' /sys/kernel/tracing/events/skb/consume_skb/format 2>/dev/null; then
	check_eq "defer_flush on tp_btf, counting flushes" "tp_btf consume_skb location flush_count" \
		"$(jq -r '.[] | select(.probe == "defer_flush") | "\(.mode) \(.variant) \(.caps | join(","))"' "$TMP/p.json")"
else
	check_eq "defer_flush unavailable" unavailable "$(mode defer_flush)"
fi
# where NET_RX/NET_TX ran: fentry on irq_exit_rcu where allowed, else the
# softirq tracepoints with a stack walk (the tracepoint exists on every kernel)
if [ $fentry_ok = no ]; then
	check_eq "softirq_where on tp_btf with a stack walk" "tp_btf tp_btf+stack sirq_stack" \
		"$(jq -r '.[] | select(.probe == "softirq_where") | "\(.mode) \(.variant) \(.caps | join(","))"' \
		"$TMP/p.json")"
else
	check_eq "softirq_where uses fentry" fentry "$(mode softirq_where)"
fi
# the cache level: a syscall program run at each read; it needs the per-CPU
# variable's address, in kallsyms only with KALLSYMS_ALL (off on this host)
if grep -qE ' napi_alloc_cache$' /proc/kallsyms; then
	check_eq "cache_level runs as a syscall program" syscall "$(mode cache_level)"
else
	check_eq "cache_level unavailable: napi_alloc_cache not in kallsyms" unavailable \
		"$(mode cache_level)"
	check_eq "cache_level reason says so" "syscall: napi_alloc_cache not in /proc/kallsyms" \
		"$(reason cache_level)"
	check_eq "-j: cache_level null where unmeasured, never 0" null \
		"$("$SKBTOP" --text -j 0.2 1 | jq -c '[.totals.cache_level, (.cpus[] | .cache_level)] | unique | .[]')"
fi

# text form lists every probe
n_text=$("$SKBTOP" probes | grep -cE '^(drops|tun_consume|defer_[a-z]+|cache_[a-z]+|bulk|build|tun_sendmsg|consume|consume_task|softirq_where) ')
n_json=$(jq length "$TMP/p.json")
check_eq "text lists every probe" "$n_json" "$n_text"

# privileges: a user without CAP_BPF/CAP_PERFMON gets a message and exit 1
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SKBTOP" --text 1 1 2>&1)
check_eq "unprivileged exits 1" 1 $?
case "$out" in *"needs root"*) ok "unprivileged message says so" ;; *) not_ok "message: $out" ;; esac

# usage errors exit 64
for args in "--bogus" "-i 0" "-i x" "--text 1 0" "--text 1 2 3" "probes extra" "--format html report x"; do
	# shellcheck disable=SC2086
	"$SKBTOP" $args >/dev/null 2>&1
	check_eq "'skbtop $args' exits 64" 64 $?
done
"$SKBTOP" -h | grep -q EXAMPLES
check_eq "-h shows EXAMPLES" 0 $?

# -P -NAME: every probe but NAME, each in the mode it has without -P
"$SKBTOP" probes -j > "$TMP/all.json"
"$SKBTOP" probes -j -P -softirq_where,-drops > "$TMP/but.json"
check_eq "-P -softirq_where,-drops: those two disabled" "disabled disabled" \
	"$(jq -r '[.[] | select(.probe == "softirq_where" or .probe == "drops") | .mode] | join(" ")' \
	"$TMP/but.json")"
check_eq "-P -softirq_where,-drops: every other probe as without -P" \
	"$(jq -c '[.[] | select(.probe != "softirq_where" and .probe != "drops") | [.probe, .mode]]' \
	"$TMP/all.json")" \
	"$(jq -c '[.[] | select(.probe != "softirq_where" and .probe != "drops") | [.probe, .mode]]' \
	"$TMP/but.json")"
finish
