#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest on the kernel tests/vm/build-kernel built (failslab): the
# tun series' patch 5 drops only the frames a short bulk get left without a
# head. failslab fails half of the slab allocations on skbuff_head_cache
# (probability 50; kmem_cache_alloc_bulk() fails whole: it returns a bool on
# 7.2) while tests/gen/bin/vhost_tx pushes N frames through vhost-net TX, so
# napi_skb_cache_get_bulk() returns fewer heads than tun asked for whenever
# the NAPI cache runs dry. Four counts of the same frames must agree:
#   heads missing (bpftrace: sum of asked - got at napi_skb_cache_get_bulk's
#     return) == frames the generator sent that never reached the tap
#     (N - rx_packets) == the tap's rx_dropped delta (the patch counts each
#     one there) == skbtop's bulk_short_heads (record, totals), on the CPU
#     totals and on the tap's queue;
# and bulk gets that came back short must have happened (the run is not a
# test of nothing). Only for the tun.ko variants that carry patch 5.
#   tests/vm/guest_shortbulk.sh N NAME=KO...
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?frames}
shift
D=/sys/kernel/debug/failslab
F=/sys/kernel/slab/skbuff_head_cache/failslab
[ -e $F ] && [ -d $D ] || { not_ok "failslab is not in this kernel (tests/vm/kernel.config)"; finish; }

disarm() { echo 0 > $F; echo 0 > $D/probability; }
on_exit disarm

for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	[ "$var" = stock ] && continue		# no bulk get: nothing to fall short
	for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
	insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	modprobe vhost_net || { not_ok "$var: modprobe vhost_net"; continue; }

	# only skbuff_head_cache, half of its allocations, no log per failure
	echo Y > $D/cache-filter
	echo 1 > $D/interval
	echo -1 > $D/times
	echo 0 > $D/space
	echo 0 > $D/verbose
	echo 1 > $F
	echo 50 > $D/probability
	bpftrace -e '
	kretfunc:napi_skb_cache_get_bulk { @calls = count(); @asked = sum(args->n); @got = sum(retval);
		if (retval < args->n) { @short = count(); } }' \
		-c "$SKBTOP record -i 1 -o $TMP/$var.json -- $GEN/vhost_tx --queues 1 --count $N" \
		> "$TMP/$var.bt" 2>&1
	disarm
	gen=$(grep '^{' "$TMP/$var.bt" | tail -n1)
	echo "# $var: $gen"
	grep '^@' "$TMP/$var.bt" | sed 's/^/# /'
	asked=$(bt_map "$TMP/$var.bt" asked)
	got=$(bt_map "$TMP/$var.bt" got)
	missing=$((asked - got))
	rx=$(echo "$gen" | jq .rx_packets)
	dropped=$(echo "$gen" | jq .rx_dropped)
	short=$(jq '.totals.fields.bulk_short_heads' "$TMP/$var.json")
	qshort=$(jq --arg d "$(echo "$gen" | jq -r .ifname)" '[.samples[].queues[]? |
		select(.ifname == $d) | (.bulk_asked // 0) - (.bulk_got // 0)] | add // 0' "$TMP/$var.json")
	check_eq "$var: every frame was sent (completed)" "$N" "$(echo "$gen" | jq .completed)"
	check_true "$var: bulk gets came back short ($(bt_map "$TMP/$var.bt" short) calls)" \
		test "$(bt_map "$TMP/$var.bt" short)" -gt 0
	check_eq "$var: heads asked == frames (every frame is a full-size frame)" "$N" "$asked"
	check_eq "$var: frames that never reached the tap == heads missing" "$missing" $((N - rx))
	check_eq "$var: tap rx_dropped delta == heads missing" "$missing" "$dropped"
	check_eq "$var: skbtop bulk_short_heads (CPU totals) == heads missing" "$missing" "$short"
	check_eq "$var: skbtop bulk asked - got on the tap's queue == heads missing" "$missing" "$qshort"
done
finish
