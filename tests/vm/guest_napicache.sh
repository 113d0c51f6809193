#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest: the NAPI skb cache hit rate. A tap opened IFF_NAPI_FRAGS
# takes one skb per written frame from napi_skb_cache_get() and frees it to
# the slab (kfree_skb, UNHANDLED_PROTO), so the cache runs empty and refills
# from kmem_cache_alloc_bulk() on skbuff_head_cache. Over one window:
#   gets == bpftrace kfunc:napi_skb_cache_get (all callers), and the gets
#     bpftrace sees in tap_write's own context == frames written + the
#     napi_get_frags_check() calls there (netif_napi_add() takes and frees
#     one frags skb to check the NAPI, 5.19+: one per tap),
#   refills and heads == bpftrace kretfunc on the slab bulk allocator
#     filtered on the skbuff head cache,
#   the hit rate skbtop prints (text and JSON) == 1 - refills/gets computed
#     from bpftrace's counts,
#   UNHANDLED_PROTO drops == frames == the tap's rx_dropped + rx_nohandler
#     delta (__netif_receive_skb_core counts a frame no handler took in
#     rx_dropped, or in rx_nohandler when delivery was exact-only).
# Where napi_skb_cache_get is inline (6.19+), skbtop must say the gets are
# unavailable and why, and print no hit rate.
. "$(dirname "$0")/../live/lib.sh"
need_root
N=10000
ALLOC=kmem_cache_alloc_bulk_noprof
grep -qE " [tT] $ALLOC\$" /proc/kallsyms || ALLOC=kmem_cache_alloc_bulk

if ! grep -qE " [tT] napi_skb_cache_get\$" /proc/kallsyms; then
	"$SKBTOP" probes -j > "$TMP/p.json"
	check_eq "cache_get unavailable without the symbol" unavailable \
		"$(jq -r '.[] | select(.probe == "cache_get") | .mode' "$TMP/p.json")"
	"$SKBTOP" --text 0.2 1 > "$TMP/text.out" 2>&1
	check_eq "no hit rate printed without gets" 0 "$(grep -c 'hit rate' "$TMP/text.out")"
	finish
fi

# Windows, outermost first: the JSON instance; bpftrace, which runs the
# workload script itself (-c: attached before it starts, maps printed when
# it ends, no signal to race with a slow attach under TCG); one text
# interval of 25 s, started and attached before tap_write and ending after
# it. Each holds every get of the workload.
SKB_INTERVAL=0.5 skbtop_start -P cache_get,cache_refill,drops
cat > "$TMP/work.sh" <<EOF
#!/bin/sh
"$SKBTOP" --text -P cache_get,cache_refill 25 1 > "$TMP/text.out" 2>&1 &
T=\$!
i=0
while ! grep -qs '^link_id:' /proc/\$T/fdinfo/* && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i + 1)); done
sleep 0.3
"$GEN/tap_write" --count $N > "$TMP/gen.json"
echo \$? > "$TMP/gen.rc"
wait \$T
echo \$? > "$TMP/text.rc"
EOF
chmod +x "$TMP/work.sh"
CHECK_PROBE=
grep -qE " [tT] napi_get_frags_check\$" /proc/kallsyms &&
	CHECK_PROBE='kfunc:napi_get_frags_check /comm == "tap_write"/ { @checks = count(); }'
timeout 300 bpftrace -c "/bin/sh $TMP/work.sh" -e "$CHECK_PROBE
	kfunc:napi_skb_cache_get { @gets = count(); }
	kfunc:napi_skb_cache_get /comm == \"tap_write\"/ { @gets_tw = count(); }
	kretfunc:$ALLOC /str(args->s->name) == \"skbuff_head_cache\"/ {
		@refills = count(); @heads = sum(retval); }" > "$TMP/bt.raw" 2>&1
check_eq "bpftrace -c runs the workload and exits 0" 0 $?
skbtop_stop
check_eq "tap_write exits 0" 0 "$(cat "$TMP/gen.rc" 2> /dev/null)"
check_eq "text run exits 0" 0 "$(cat "$TMP/text.rc" 2> /dev/null)"

bt() { bt_map "$TMP/bt.raw" "$1"; }
grep -q Attaching "$TMP/bt.raw" || { not_ok "bpftrace failed: $(tail -3 "$TMP/bt.raw")"; finish; }
written=$(jq .written "$TMP/gen.json")
gets=$(skb_sum '.totals.cache_gets')
refills=$(skb_sum '.totals.cache_refills')
check_eq "frames written" $N "$written"
check_eq "cache gets == bpftrace kfunc:napi_skb_cache_get" "$(bt gets)" "$gets"
check_eq "gets in tap_write's context (bpftrace) == frames written + NAPI checks ($(bt checks))" \
	$((written + $(bt checks))) "$(bt gets_tw)"
echo "# gets from other contexts in the window: $(($(bt gets) - $(bt gets_tw)))"
check_eq "refills == bpftrace kretfunc:$ALLOC on skbuff_head_cache" "$(bt refills)" "$refills"
check_eq "heads refilled == bpftrace sum of returns" "$(bt heads)" \
	"$(skb_sum '.totals.cache_refill_heads')"
# every head taken was refilled (the cache ends with fewer than one bulk left)
check_true "the cache refilled for the run ($refills refills, $(bt heads) heads >= $gets - 64)" \
	[ "$(bt heads)" -ge $((gets - 64)) -a "$refills" -ge 1 ]
want=$(awk -v g="$(bt gets)" -v r="$(bt refills)" 'BEGIN { printf "%.1f", 100 * (1 - r / g) }')
check_true "the text interval saw every get" grep -q "hit rate .*($gets gets, $refills refills)" \
	"$TMP/text.out"
got=$(sed -n 's/^NAPI cache hit rate \([0-9.]*\)%.*/\1/p' "$TMP/text.out")
check_eq "printed hit rate == 1 - refills/gets from bpftrace" "$want" "$got"
json=$(jq -s "[.[] | select(.totals.cache_gets > 0)] | last | .totals.cache_hit_rate" "$SKB_OUT")
check_true "JSON hit rate of an interval is 1 - refills/gets of that interval ($json)" \
	test "$(jq -s '[.[] | select(.totals.cache_gets > 0)] | last
		| (1 - .totals.cache_refills / .totals.cache_gets) - .totals.cache_hit_rate
		| fabs < 1e-9' "$SKB_OUT")" = true
drops=$(skb_sum '.drops[] | select(.reason == "UNHANDLED_PROTO") | .count')
check_eq "UNHANDLED_PROTO drops == frames written" "$written" "$drops"
check_eq "the tap's rx_packets == frames written" "$written" "$(jq .rx_packets "$TMP/gen.json")"
check_eq "the tap's rx_dropped + rx_nohandler == frames written" "$written" \
	"$(jq '.rx_dropped + .rx_nohandler' "$TMP/gen.json")"
finish
