#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with fentry: napi_consume_skb() classes and NAPI cache
# refills/flushes, checked against bpftrace counting the same functions over
# the same window while the cross-CPU defer workload, UDP drops and a
# cpumap redirect run.
. "$(dirname "$0")/../live/lib.sh"
need_root
bulk_alloc_facts
# a recycle is napi_consume_skb() handing its skb to napi_skb_cache_put(),
# a function of its own on 7.2 (inlined elsewhere); not a deferred call's,
# which skb_attempt_defer_free() may still free to the cache when it
# cannot queue the skb (skbtop counts that call deferred)
PUT=
grep -qE " [tT] napi_skb_cache_put\$" /proc/kallsyms &&
	PUT='kfunc:napi_skb_cache_put /@cur[cpu] == (uint64)args->skb/ { @recycled = count(); }'

skbtop_start -P consume,cache_refill,cache_flush,defer_queue,bulk
bpftrace -e "
	kfunc:napi_consume_skb { @calls = count(); @cur[cpu] = (uint64)args->skb;
		@b0x[cpu] = args->budget == 0 ? 1 : 0; }
	kfunc:skb_attempt_defer_free /@cur[cpu] == (uint64)args->skb && @b0x[cpu] == 0/ {
		@deferred = count(); @cur[cpu] = 0; }
	kretfunc:napi_consume_skb { if (@b0x[cpu]) { @b0 = count(); } @cur[cpu] = 0; }
	$PUT
	kretfunc:$ALLOC /str(args->s->name) == \"skbuff_head_cache\"/ {
		@refills = count(); @heads = sum($HEADS); }
	kfunc:kmem_cache_free_bulk /args->size == 32 && str(args->s->name) == \"skbuff_head_cache\"/ {
		@flushes = count(); }
	kfunc:kmem_cache_free_bulk /args->size != 32 && str(args->s->name) == \"skbuff_head_cache\"/ {
		@frees_other = count(); }
	END { clear(@cur); clear(@b0x); }" > "$TMP/bt.raw" 2>&1 &
BT=$!
on_exit "kill $BT 2>/dev/null"
bt_wait "$TMP/bt.raw"
sleep 1
"$GEN/defer_kick" --count 20000 > "$TMP/gen.json"
check_eq "defer_kick exits 0" 0 $?
"$GEN/udp_rcvbuf" --count 5000 > /dev/null
# the cpumap kthread refills the cache through napi_skb_cache_get_bulk()
"$GEN/cpumap_xdp" --count 5000 > /dev/null
bt_end $BT
skbtop_stop
# bpftrace prints each map at exit: "@name: value"; absent maps counted 0
bt() { bt_map "$TMP/bt.raw" "$1"; }
grep -q Attaching "$TMP/bt.raw" || { not_ok "bpftrace failed: $(tail -3 "$TMP/bt.raw")"; finish; }
bt_recycled=$(bt recycled)
set -- "$(bt calls)" "$(bt b0)" "$(bt deferred)" "$(bt refills)" "$(bt heads)" "$(bt flushes)"
calls=$(skb_sum '.totals.consume_calls')
b0=$(skb_sum '.totals.consume_budget0')
deferred=$(skb_sum '.totals.consume_deferred')
recycled=$(skb_sum '.totals.consume_recycled')
# skbtop's window holds bpftrace's; the guest has no other traffic
check_eq "napi_consume_skb calls == bpftrace" "$1" "$calls"
check_eq "budget-0 calls == bpftrace" "$2" "$b0"
check_eq "deferred calls == bpftrace" "$3" "$deferred"
check_true "budget-0 + deferred + recycled <= calls ($b0 + $deferred + $recycled <= $calls)" \
	[ $((b0 + deferred + recycled)) -le "$calls" ]
if [ -n "$PUT" ]; then
	check_eq "recycled == bpftrace napi_skb_cache_put inside napi_consume_skb" \
		"$bt_recycled" "$recycled"
	check_true "the workload recycled heads ($recycled)" [ "$recycled" -ge 100 ]
else
	echo "# napi_skb_cache_put inlined on $(uname -r): recycles not reconciled here"
fi
check_true "the workload made napi_consume_skb calls ($calls)" [ "$calls" -ge 1000 ]
# every slab bulk allocation on the skbuff head cache is a refill of a NAPI
# cache, napi_skb_cache_get_bulk()'s top-up past it, or another caller's
check_eq "refills + get_bulk top-ups + others == bpftrace kretfunc:$ALLOC on skbuff_head_cache" \
	"$4" "$(skb_sum '.totals.cache_refills + .totals.slab_bulk_getbulk_calls
		+ .totals.slab_bulk_other_calls')"
check_true "the cpumap run refilled the cache" [ "$(skb_sum '.totals.cache_refills')" -ge 1 ]
check_eq "their heads == bpftrace sum of $HEADS" "$5" \
	"$(skb_sum '.totals.cache_refill_heads + .totals.slab_bulk_getbulk_heads
		+ .totals.slab_bulk_other_heads')"
# the cache flushes 32 heads (half of 64 up to 6.18, NAPI_SKB_CACHE_FREE
# after); kfree_skb_list_reason() frees up to 16 at a time
check_eq "cache flushes == bpftrace kmem_cache_free_bulk(32) on skbuff_head_cache" "$6" \
	"$(skb_sum '.totals.cache_flushes')"
check_eq "other bulk frees == bpftrace kmem_cache_free_bulk(not 32) on skbuff_head_cache" \
	"$(bt frees_other)" "$(skb_sum '.totals.slab_free_bulk_other_calls')"
finish
