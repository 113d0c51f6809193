#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest: the NAPI skb cache. A tap opened IFF_NAPI_FRAGS takes one
# skb per written frame from the cache (napi_alloc_skb) and frees it to the
# slab (kfree_skb, UNHANDLED_PROTO), so the cache runs empty and refills
# from the slab's bulk allocator on skbuff_head_cache. Over one window,
# against bpftrace in the same window:
#   gets == bpftrace kfunc:napi_skb_cache_get where it is a function (6.1,
#     6.12); everywhere (7.x: inline, counted at its callers) gets are
#     frames written + the napi_get_frags_check() calls .. + 64 (netlink
#     and other process-context allocations of the window, 7.x),
#   refills == bpftrace kretfunc on the slab bulk allocator on the skbuff
#     head cache; heads refilled == the heads those calls gave: the return
#     value where it is a count, size x success where it is a bool (7.2+),
#     the return type read from BTF with bpftool here, not by skbtop,
#   misses that refilled == those refills (no napi_skb_cache_get_bulk in
#     the window: bpftrace counts its calls where it exists),
#   hits + misses == gets, and the heads taken from the cache (hits +
#     refilled misses) are the heads put in (refill heads + bpftrace's
#     napi_skb_cache_put count - flush heads) to within what the caches
#     held at the window's ends (2 CPUs x the cache size from BTF),
#   the hit rate skbtop prints (text and JSON) == hits / gets,
#   UNHANDLED_PROTO drops == frames == the tap's rx_dropped + rx_nohandler
#     delta (__netif_receive_skb_core counts a frame no handler took in
#     rx_dropped, or in rx_nohandler when delivery was exact-only).
# Runs on every kernel of the rig (6.1, 6.12, 7.2, 7.3): none skips it.
. "$(dirname "$0")/../live/lib.sh"
need_root
N=10000
bulk_alloc_facts
echo "# napi_alloc_cache holds ${cache_size:-?} heads"

# Windows, outermost first: the JSON instance; bpftrace, which runs the
# workload script itself (-c: attached before it starts, maps printed when
# it ends, no signal to race with a slow attach under TCG); one text
# interval of 25 s, started and attached before tap_write and ending after
# it. Each holds every get of the workload.
"$SKBTOP" probes -j > "$TMP/p.json"
SKB_INTERVAL=0.5 skbtop_start -P cache_get,cache_put,cache_refill,cache_flush,drops
cat > "$TMP/work.sh" <<EOF
#!/bin/sh
"$SKBTOP" --text -P cache_get,cache_put,cache_refill,cache_flush 25 1 > "$TMP/text.out" 2>&1 &
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
has_func napi_get_frags_check &&
	CHECK_PROBE='kfunc:napi_get_frags_check /comm == "tap_write"/ { @checks = count(); }'
GET_PROBE=
has_func napi_skb_cache_get && GET_PROBE='kfunc:napi_skb_cache_get { @gets = count(); }'
PUT_PROBE=
has_func napi_skb_cache_put && PUT_PROBE='kfunc:napi_skb_cache_put { @puts = count(); }'
BULK_PROBE=
has_func napi_skb_cache_get_bulk && BULK_PROBE='kfunc:napi_skb_cache_get_bulk { @getbulk = count(); }'
timeout 300 bpftrace -c "/bin/sh $TMP/work.sh" -e "$CHECK_PROBE $GET_PROBE $PUT_PROBE $BULK_PROBE
	kretfunc:$ALLOC /str(args->s->name) == \"skbuff_head_cache\" && $OK/ {
		@refills = count(); @heads = sum($HEADS); }
	kretfunc:$ALLOC /str(args->s->name) == \"skbuff_head_cache\" && !($OK)/ {
		@refill_fails = count(); }" > "$TMP/bt.raw" 2>&1
check_eq "bpftrace -c runs the workload and exits 0" 0 $?
skbtop_stop
check_eq "tap_write exits 0" 0 "$(cat "$TMP/gen.rc" 2> /dev/null)"
check_eq "text run exits 0" 0 "$(cat "$TMP/text.rc" 2> /dev/null)"

bt() { bt_map "$TMP/bt.raw" "$1"; }
grep -q Attaching "$TMP/bt.raw" || { not_ok "bpftrace failed: $(tail -3 "$TMP/bt.raw")"; finish; }
written=$(jq .written "$TMP/gen.json")
gets=$(skb_sum '.totals.cache_gets')
hits=$(skb_sum '.totals.cache_hits')
mref=$(skb_sum '.totals.cache_misses_refilled')
mslab=$(skb_sum '.totals.cache_misses_slab')
refills=$(skb_sum '.totals.cache_refills')
rheads=$(skb_sum '.totals.cache_refill_heads')
fheads=$(skb_sum '.totals.cache_flush_heads')
check_eq "frames written" $N "$written"
check_eq "cache_get measures hits on this kernel" '["cache_hits"]' \
	"$(jq -c '.[] | select(.probe == "cache_get") | .caps' "$TMP/p.json")"
if [ -n "$GET_PROBE" ]; then
	check_eq "cache gets == bpftrace kfunc:napi_skb_cache_get" "$(bt gets)" "$gets"
else
	echo "# napi_skb_cache_get is inline: gets counted at its callers ($(jq -r \
		'.[] | select(.probe == "cache_get") | .variant' "$TMP/p.json"))"
fi
lo=$((written + $(bt checks)))
check_true "frames + NAPI checks ($lo) <= gets ($gets) <= $lo + 64" \
	[ "$gets" -ge $lo -a "$gets" -le $((lo + 64)) ]
check_eq "refills == bpftrace kretfunc:$ALLOC on skbuff_head_cache that gave heads" \
	"$(bt refills)" "$refills"
check_eq "heads refilled == the heads those calls gave (bpftrace: $HEADS)" "$(bt heads)" "$rheads"
check_eq "no napi_skb_cache_get_bulk in the window (bpftrace)" 0 "$(bt getbulk)"
check_eq "misses that refilled == the refills (bpftrace)" "$(bt refills)" "$mref"
check_eq "failed refills (bpftrace): none" 0 "$(bt refill_fails)"
check_eq "hits + misses (refilled + slab) == gets" "$gets" $((hits + mref + mslab))
check_true "the window refilled the cache ($refills refills)" [ "$refills" -ge $((N / 64)) ]
taken=$((hits + mref)); put=$((rheads + $(bt puts) - fheads))
check_true "heads taken ($taken) == heads put in ($put: refills + puts - flushes) within 2 x ${cache_size} held at the ends" \
	[ $((taken - put)) -le $((2 * cache_size)) -a $((put - taken)) -le $((2 * cache_size)) ]
want=$(awk -v h="$hits" -v g="$gets" 'BEGIN { printf "%.1f", 100 * h / g }')
check_true "the text interval saw every get" grep -q "hit rate .*($gets gets, $hits hits" \
	"$TMP/text.out"
got=$(sed -n 's/^NAPI cache hit rate \([0-9.]*\)%.*/\1/p' "$TMP/text.out")
check_eq "printed hit rate == hits / gets" "$want" "$got"
json=$(jq -s "[.[] | select(.totals.cache_gets > 0)] | last | .totals.cache_hit_rate" "$SKB_OUT")
check_true "JSON hit rate of an interval is hits / gets of that interval ($json)" \
	test "$(jq -s '[.[] | select(.totals.cache_gets > 0)] | last
		| (.totals.cache_hits / .totals.cache_gets) - .totals.cache_hit_rate
		| fabs < 1e-9' "$SKB_OUT")" = true
drops=$(skb_sum '.drops[] | select(.reason == "UNHANDLED_PROTO") | .count')
check_eq "UNHANDLED_PROTO drops == frames written" "$written" "$drops"
check_eq "the tap's rx_packets == frames written" "$written" "$(jq .rx_packets "$TMP/gen.json")"
check_eq "the tap's rx_dropped + rx_nohandler == frames written" "$written" \
	"$(jq '.rx_dropped + .rx_nohandler' "$TMP/gen.json")"
finish
