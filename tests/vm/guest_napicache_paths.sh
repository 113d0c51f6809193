#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest: the NAPI skb cache counters on its two other paths, each
# workload in its own window (skbtop -j outermost; bpftrace -c running the
# workload, attached before it starts), every counter against bpftrace:
#
#   sender:  a process-context UDP sender over loopback, pinned to CPU 0:
#            N datagrams into a never-read socket (each head is freed to the
#            slab), then N sent and read back one by one (the read frees the
#            head into CPU 0's NAPI cache on 6.18+: skb_attempt_defer_free()
#            on the allocating CPU). On 7.x every send's __alloc_skb() takes
#            a head from the cache or, when it is empty, from the slab.
#            All four kernels.
#   cpumap:  native XDP on a veth redirecting N frames into a cpumap: the
#            kthread takes heads with napi_skb_cache_get_bulk() (6.14+: 7.2
#            and 7.3 only; the sender's UDP sends and veth's XDP copies are
#            gets too, reconciled the same way).
#
# The truths, from bpftrace kfunc/kretfunc on out-of-line functions:
#   gets: kfunc:napi_skb_cache_get where it is a function (6.1, 6.12);
#     where it is inline (7.x) its call sites: napi_build_skb() calls +
#     napi_alloc_skb() calls that did not go through __alloc_skb() +
#     __alloc_skb() calls that take the cache path (not SKB_ALLOC_FCLONE,
#     node NUMA_NO_NODE or this one; SKB_ALLOC_NAPI or not). The kernel
#     also skips the cache in hardirq or with IRQs off; bpftrace cannot see
#     either (nor can skbtop see the IRQ flag): the guest has no NIC, so no
#     skb is allocated in hardirq, and equality is asserted;
#   misses that fell back to the slab (7.x): kmem_cache_alloc_node on
#     skbuff_head_cache inside such a non-NAPI __alloc_skb(); 0 on 6.x;
#   refills: slab bulk allocations on skbuff_head_cache outside
#     napi_skb_cache_get_bulk(), plus the first one inside it (into the
#     cache); its second one is the direct top-up (slab_bulk_getbulk);
#     heads given from the return type in BTF (bulk_alloc_facts);
#   misses that refilled: the refills outside napi_skb_cache_get_bulk();
#   hits == gets - refilled misses - slab misses (no refill failed),
#     exactly (see check_split);
#   puts: kfunc:napi_skb_cache_put (a function on 6.12+; inline on 6.1);
#   flushes: kmem_cache_free_bulk on skbuff_head_cache inside
#     napi_skb_cache_put() (6.1: of 32 heads; kfree_skb_list's are <= 16);
#   bulk calls/asked/got: napi_skb_cache_get_bulk() n and return;
#   heads taken from the caches (hits + refilled misses + bulk heads not
#     topped up) == heads put in (refill heads + puts - flush heads) within
#     what 2 CPUs x the cache size (BTF) held at the window's ends (6.12+);
#   every datagram sent is one cache-path __alloc_skb() inside
#     udp_sendmsg() (bpftrace), and the generators' own counts.
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${NAPICACHE_PATHS_N:-2000}
WINDOWS=${NAPICACHE_PATHS_WINDOWS:-sender cpumap}	# to run one alone
bulk_alloc_facts
echo "# $(uname -r): napi_alloc_cache holds ${cache_size:-?} heads"
NODE_ALLOC=kmem_cache_alloc_node_noprof
has_func $NODE_ALLOC || NODE_ALLOC=kmem_cache_alloc_node

# The probes common to both windows.
if has_func napi_skb_cache_get; then
	INLINE=0
	GETS='kfunc:napi_skb_cache_get { @g_fn = count(); }'
else
	INLINE=1
	GETS="kfunc:napi_build_skb { @g_build = count(); }
	kfunc:napi_alloc_skb { @na[tid] = 1; }
	kretfunc:napi_alloc_skb { if (@na[tid] == 1) { @g_nalloc = count(); }
		if (retval == 0) { @nalloc_null = count(); } delete(@na[tid]); }
	kfunc:$NODE_ALLOC /@cp[tid] && str(args->s->name) == \"skbuff_head_cache\"/ {
		@g_slab = count(); }"
fi
# __alloc_skb() on the cache path (7.x), counted on every kernel: the sends
ALLOC_SKB="kfunc:__alloc_skb /!(args->flags & 1) && (args->node == -1 || args->node == numaid)/ {
		if (@pa[cpu]) { @between = count(); @bw[probe, tid == @pa[cpu]] = count(); }
		if (args->flags & 4) { @g_napi = count(); if (@na[tid]) { @na[tid] = 2; } }
		else { @g_proc = count(); @cp[tid] = cpu + 1; @pa[cpu] = tid;
			if (@us[tid]) { @g_send = count(); } } }
	kretfunc:__alloc_skb /@cp[tid] && !(args->flags & 4)/ {
		if (@cp[tid] != cpu + 1) { @moved = count(); }
		@pa[@cp[tid] - 1] = 0; delete(@cp[tid]); }
	kfunc:udp_sendmsg { @us[tid] = 1; }
	kretfunc:udp_sendmsg { delete(@us[tid]); }"
# the cache touched on this CPU while a non-NAPI __alloc_skb() is inside
# (a softirq, or another task after a preemption): information only
BETWEEN='/@pa[cpu]/ { @between = count(); @bw[probe, tid == @pa[cpu]] = count(); }'
ALLOC_SKB="$ALLOC_SKB
	kfunc:napi_build_skb $BETWEEN"
has_func napi_alloc_skb && ALLOC_SKB="$ALLOC_SKB
	kfunc:napi_alloc_skb $BETWEEN"
has_func napi_skb_cache_put && ALLOC_SKB="$ALLOC_SKB
	kfunc:napi_skb_cache_put $BETWEEN"
has_func napi_skb_cache_get_bulk && ALLOC_SKB="$ALLOC_SKB
	kfunc:napi_skb_cache_get_bulk $BETWEEN"
PUTS= INP_CLEAR=
FLUSH_IN='args->size == 32'
if has_func napi_skb_cache_put; then
	PUTS='kfunc:napi_skb_cache_put { @puts = count(); @inp[cpu] = 1; }
	kretfunc:napi_skb_cache_put { @inp[cpu] = 0; }'
	FLUSH_IN='@inp[cpu]'
	INP_CLEAR='clear(@inp);'
fi
GETBULK=
has_func napi_skb_cache_get_bulk &&
	GETBULK='kfunc:napi_skb_cache_get_bulk { @gb[cpu] = 1; @bulk_calls = count();
		@bulk_asked = sum(args->n); }
	kretfunc:napi_skb_cache_get_bulk { @gb[cpu] = 0; @bulk_got = sum(retval); }'
# @gb[cpu]: 0 outside napi_skb_cache_get_bulk (BH off inside: the CPU is
# the key), 1 before its first slab call (the refill), 2 after (top-up)
BT="$GETS
	$ALLOC_SKB
	$PUTS
	$GETBULK
	kretfunc:$ALLOC /str(args->s->name) == \"skbuff_head_cache\"/ {
		if (@gb[cpu] == 2) { @topups = count(); @topup_heads = sum($HEADS); }
		else {
			@refill_calls = count(); @rheads = sum($HEADS);
			if (!($OK)) { @refill_fails = count(); }
			if (@gb[cpu] == 1) { @gb[cpu] = 2; } else if ($OK) { @mref = count(); }
		} }
	kfunc:kmem_cache_free_bulk /str(args->s->name) == \"skbuff_head_cache\"/ {
		if ($FLUSH_IN) { @flushes = count(); @fheads = sum(args->size); }
		else { @frees_other = count(); @frees_other_heads = sum(args->size); } }
	END { clear(@na); clear(@cp); clear(@us); clear(@gb); clear(@pa); $INP_CLEAR }"

# window NAME: skbtop -j around bpftrace -c "$TMP/NAME.sh"; sets BT_OUT
window() {
	t0=$(date +%s)
	SKB_INTERVAL=0.5 skbtop_start -P cache_get,cache_put,cache_refill,cache_flush,bulk
	timeout 300 bpftrace -c "/bin/sh $TMP/$1.sh" -e "$BT" > "$TMP/$1.bt" 2>&1
	check_eq "$1: bpftrace -c runs the workload and exits 0" 0 $?
	skbtop_stop
	tot_read
	echo "# $1: window of $(($(date +%s) - t0)) s"
	BT_OUT=$TMP/$1.bt
	grep -q Attaching "$BT_OUT" || { not_ok "$1: bpftrace failed: $(tail -3 "$BT_OUT")"; finish; }
	# "@name: value" as bpftrace prints its maps at exit, read once: bt NAME
	[ -f "$TMP/bt.sh" ] && unset $(sed 's/=.*//' "$TMP/bt.sh")
	sed -n 's/^@\([a-z_]*\): \([0-9]*\)$/B_\1=\2/p' "$BT_OUT" > "$TMP/bt.sh"
	. "$TMP/bt.sh"
}
bt() { eval "echo \${B_$1:-0}"; }
# every numeric total summed over the window's intervals, read once (jq is
# slow under TCG): tot NAME
tot_read() {
	[ -f "$TMP/tot.sh" ] && unset $(sed 's/=.*//' "$TMP/tot.sh")
	jq -rs '[.[] | .totals // {} | to_entries[] | select(.value | type == "number")]
		| group_by(.key)[] | "T_\(.[0].key)=\(map(.value) | add)"' "$SKB_OUT" > "$TMP/tot.sh"
	. "$TMP/tot.sh"
}
tot() { eval "echo \${T_$1:-0}"; }

# check_split NAME TRUTH SKBTOP: the hit/slab-miss split of the gets, exact.
# skbtop tells a process-context __alloc_skb() miss (BH enabled at entry) by
# its slab fallback, as bpftrace does, so a softirq, another task after a
# preemption, or a migration between the entry and the get changes nothing
# (before ecd17af+1 it compared heads and could be off by one per such event:
# bpftrace's count of those events is printed for the record).
check_split() {
	echo "# $1: $(($(bt between) + $(bt moved))) other uses of the cache or migrations inside a process-context __alloc_skb()"
	check_eq "$1" "$2" "$3"
}

# reconcile NAME: every cache counter of the window against bpftrace
reconcile() {
	w=$1
	gets=$(tot cache_gets); hits=$(tot cache_hits)
	mref=$(tot cache_misses_refilled); mslab=$(tot cache_misses_slab)
	if [ $INLINE = 1 ]; then
		bt_gets=$(($(bt g_build) + $(bt g_nalloc) + $(bt g_napi) + $(bt g_proc)))
		echo "# $w: bpftrace gets: napi_build_skb $(bt g_build), napi_alloc_skb (frag)" \
			"$(bt g_nalloc), __alloc_skb NAPI $(bt g_napi), other $(bt g_proc)"
		check_eq "$w: napi_alloc_skb() never failed (bpftrace)" 0 "$(bt nalloc_null)"
		check_eq "$w: gets == the cache's call sites (bpftrace; no hardirq skbs here)" \
			"$bt_gets" "$gets"
		check_split "$w: misses to the slab == bpftrace $NODE_ALLOC(skbuff_head_cache) in them" \
			"$(bt g_slab)" "$mslab"
	else
		bt_gets=$(bt g_fn)
		check_eq "$w: gets == bpftrace kfunc:napi_skb_cache_get" "$bt_gets" "$gets"
		check_eq "$w: no misses to the slab (6.x: __alloc_skb takes no cache head)" 0 "$mslab"
	fi
	check_eq "$w: failed refills (bpftrace): none" 0 "$(bt refill_fails)"
	check_eq "$w: refills == bpftrace kretfunc:$ALLOC into the cache" \
		"$(bt refill_calls)" "$(tot cache_refills)"
	check_eq "$w: heads refilled == bpftrace $HEADS of those" "$(bt rheads)" "$(tot cache_refill_heads)"
	check_eq "$w: misses that refilled == bpftrace refills outside get_bulk" "$(bt mref)" "$mref"
	check_split "$w: hits == bpftrace gets - refilled misses - slab misses" \
		$((bt_gets - $(bt mref) - $(bt g_slab))) "$hits"
	check_eq "$w: hits + misses (refilled + slab) == gets" "$gets" $((hits + mref + mslab))
	check_eq "$w: slab bulk top-ups in get_bulk == bpftrace (2nd call)" \
		"$(bt topups)" "$(tot slab_bulk_getbulk_calls)"
	check_eq "$w: their heads == bpftrace" "$(bt topup_heads)" "$(tot slab_bulk_getbulk_heads)"
	# bpftrace counted every slab bulk call on the cache as a refill or top-up
	check_eq "$w: other slab bulk allocations: none" \
		0 "$(tot slab_bulk_other_calls)"
	check_eq "$w: flushes == bpftrace kmem_cache_free_bulk from the cache" \
		"$(bt flushes)" "$(tot cache_flushes)"
	check_eq "$w: flush heads == bpftrace" "$(bt fheads)" "$(tot cache_flush_heads)"
	check_eq "$w: other bulk frees == bpftrace" "$(bt frees_other)" \
		"$(tot slab_free_bulk_other_calls)"
	check_eq "$w: their heads == bpftrace" "$(bt frees_other_heads)" \
		"$(tot slab_free_bulk_other_heads)"
	if [ -n "$PUTS" ]; then
		puts=$(tot cache_puts)
		check_eq "$w: puts == bpftrace kfunc:napi_skb_cache_put" "$(bt puts)" "$puts"
		taken=$((hits + mref + $(tot bulk_got) - $(tot slab_bulk_getbulk_heads)))
		put=$(($(tot cache_refill_heads) + puts - $(tot cache_flush_heads)))
		check_true "$w: heads taken ($taken) == heads put in ($put) within 2 x $cache_size" \
			[ $((taken - put)) -le $((2 * cache_size)) -a $((put - taken)) -le $((2 * cache_size)) ]
	else
		echo "# $w: napi_skb_cache_put inline on $(uname -r): puts and the heads identity not checked"
	fi
	[ $INLINE = 0 ] || echo "# $w: bpftrace: $(bt moved) cache-path __alloc_skb() returned on another CPU;" \
		"$(bt between) cache calls on a CPU inside one" \
		"$(grep '^@bw\[' "$BT_OUT" | tr -d '\n')"
	echo "# $w: skbtop gets $gets hits $hits refilled $mref slab $mslab refills" \
		"$(tot cache_refills) puts $(tot cache_puts) flushes $(tot cache_flushes)" \
		"bulk $(tot bulk_calls)/$(tot bulk_asked)/$(tot bulk_got) topups $(tot slab_bulk_getbulk_calls)"
}

# ---- sender: process context, all kernels
case " $WINDOWS " in *" sender "*)
cat > "$TMP/sender.sh" <<EOF
#!/bin/sh
"$GEN/udp_rcvbuf" --cpu 0 --count $N > "$TMP/flood.json" || echo fail > "$TMP/gen.rc"
"$GEN/udp_rcvbuf" --cpu 0 --count $N --drain > "$TMP/drain.json" || echo fail > "$TMP/gen.rc"
EOF
window sender
check_eq "sender: udp_rcvbuf runs exit 0" "" "$(cat "$TMP/gen.rc" 2> /dev/null)"
sent=$(jq -s 'map(.sent) | add' "$TMP/flood.json" "$TMP/drain.json")
check_eq "sender: datagrams sent" $((2 * N)) "$sent"
check_eq "sender: no send retried" 0 "$(jq -s 'map(.send_retries) | add' "$TMP/flood.json" "$TMP/drain.json")"
check_eq "sender: --drain read every datagram back" $N "$(jq .received "$TMP/drain.json")"
check_eq "sender: each send is one cache-path __alloc_skb in udp_sendmsg (bpftrace)" \
	"$sent" "$(bt g_send)"
reconcile sender
if [ $INLINE = 1 ]; then
	# the flood frees every head to the slab: past what the cache held at
	# the start, its gets find it empty; each read-back put a head into
	# CPU 0's cache that the next send takes
	check_true "sender: slab misses ($(tot cache_misses_slab)) >= flood sends - $cache_size" \
		[ "$(tot cache_misses_slab)" -ge $((N - cache_size)) ]
	check_true "sender: hits ($(tot cache_hits)) >= drained sends - 1" \
		[ "$(tot cache_hits)" -ge $((N - 1)) ]
fi
;; esac

# ---- cpumap: napi_skb_cache_get_bulk() (6.14+)
case " $WINDOWS " in *" cpumap "*) ;; *) finish ;; esac
if [ -z "$GETBULK" ]; then
	echo "# cpumap: no napi_skb_cache_get_bulk() on $(uname -r) (6.14+): skipped"
	finish
fi
rm -f "$TMP/gen.rc"
cat > "$TMP/cpumap.sh" <<EOF
#!/bin/sh
"$GEN/cpumap_xdp" --count $N > "$TMP/cpumap.json" || echo fail > "$TMP/gen.rc"
EOF
window cpumap
check_eq "cpumap: cpumap_xdp exits 0" "" "$(cat "$TMP/gen.rc" 2> /dev/null)"
check_eq "cpumap: frames sent" $N "$(jq .sent "$TMP/cpumap.json")"
check_eq "cpumap: XDP redirected every frame" $N "$(jq .redirected "$TMP/cpumap.json")"
check_eq "cpumap: no send retried" 0 "$(jq .send_retries "$TMP/cpumap.json")"
check_eq "cpumap: each send is one cache-path __alloc_skb in udp_sendmsg (bpftrace)" \
	$N "$(bt g_send)"
check_eq "cpumap: bulk calls == bpftrace napi_skb_cache_get_bulk" "$(bt bulk_calls)" "$(tot bulk_calls)"
check_eq "cpumap: bulk heads asked == bpftrace sum(n)" "$(bt bulk_asked)" "$(tot bulk_asked)"
check_eq "cpumap: bulk heads got == bpftrace sum(retval)" "$(bt bulk_got)" "$(tot bulk_got)"
check_eq "cpumap: bulk heads asked == frames redirected" $N "$(tot bulk_asked)"
reconcile cpumap
finish
