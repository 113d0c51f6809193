#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with napi_skb_cache_get_bulk(): native XDP on a veth
# redirects N frames into a cpumap; its kthread takes skb heads with one
# bulk call per batch. skbtop's bulk counters must reconcile exactly with
# the XDP program's own redirect counter and the xdp_cpumap_kthread
# tracepoint counted in a tracefs instance.
. "$(dirname "$0")/../live/lib.sh"
need_root
N=10000
mount_tracefs
INST=/sys/kernel/tracing/instances/skbtop-cpumap-$$
skbtop_start -P bulk,drops
mkdir "$INST"
on_exit "rmdir $INST 2>/dev/null"
echo 4096 > "$INST/buffer_size_kb"
echo 1 > "$INST/events/xdp/xdp_cpumap_kthread/enable"
"$GEN/cpumap_xdp" --count $N > "$TMP/gen.json"
check_eq "cpumap_xdp generator exits 0" 0 $?
# tracing stops after skbtop's last read: the trace window holds skbtop's
skbtop_stop
echo 0 > "$INST/tracing_on"
# the kthread makes one bulk call per batch that holds frames
runs=$(grep -c ' xdp_cpumap_kthread: .*processed=[1-9]' "$INST/trace")
processed=$(grep -o ' xdp_cpumap_kthread: .*processed=[0-9]*' "$INST/trace" |
	sed 's/.*processed=//' | awk '{ s += $1 } END { print s + 0 }')
echo 0 > "$INST/events/xdp/xdp_cpumap_kthread/enable"
redirected=$(jq .redirected "$TMP/gen.json")
# the generator's own kthread count can stop short under TCG: information only
echo "# generator: kthread_processed $(jq .kthread_processed "$TMP/gen.json")"
check_eq "XDP redirected every frame" $N "$redirected"
check_eq "bulk heads asked == frames redirected" "$redirected" "$(skb_sum '.totals.bulk_asked')"
check_eq "bulk heads asked == tracefs xdp_cpumap_kthread frames processed" "$processed" \
	"$(skb_sum '.totals.bulk_asked')"
check_eq "bulk heads got == asked" "$(skb_sum '.totals.bulk_asked')" "$(skb_sum '.totals.bulk_got')"
check_eq "bulk calls == tracefs xdp_cpumap_kthread events with frames" "$runs" "$(skb_sum '.totals.bulk_calls')"
check_eq "no short bulk calls" 0 "$(skb_sum '.totals.bulk_short_calls')"
check_eq "no bulk calls outside BH context" 0 "$(skb_sum '.totals.bulk_nonbh_calls')"
hist=$(jq -s '[.[] | .totals.bulk_hist | add] | add' "$SKB_OUT")
check_eq "size histogram holds every call" "$(skb_sum '.totals.bulk_calls')" "$hist"
big=$(jq -s '[.[] | .totals.bulk_hist[5:] | add] | add' "$SKB_OUT")
check_eq "no call asked more than CPUMAP_BATCH (8)" 0 "$big"
finish
