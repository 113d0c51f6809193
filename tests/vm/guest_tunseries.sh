#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest on the kernel tests/vm/build-kernel built (it carries the
# review's patch 8): the three tun.ko tests/review/build-tun-series.sh
# builds each do what their patches say, under vhost-net TX
# (tests/gen/bin/vhost_tx, one queue, N frames), counted by bpftrace and
# the generator, not by skbtop:
#   every variant: the loaded tun is the file asked for (build id), the
#     generator's N frames all reach the tap (rx_packets) and none is
#     dropped;
#   stock: no napi_skb_cache_get_bulk() and no skb_defer_free_flush()
#     called from tun;
#   1-7, 1-9: one napi_skb_cache_get_bulk() per tun_sendmsg() (batches are
#     at most 64, one bulk call each), heads asked == got == N;
#   1-9: skb_defer_free_flush() called from tun_sendmsg() once per call.
# Callers are read from the return address at the kprobe (the top of the
# stack at function entry).
#   tests/vm/guest_tunseries.sh N NAME=KO...
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?frames}
shift

for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
	insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	modprobe vhost_net || { not_ok "$var: modprobe vhost_net"; continue; }
	want=$(readelf -n "$ko" | sed -n 's/.*Build ID: *//p')
	have=$(od -An -tx1 -v /sys/module/tun/notes/.note.gnu.build-id | tr -d ' \n')
	case $have in *"$want") ok "$var: the loaded tun is $ko" ;; *) not_ok "$var: build id $have" ;; esac

	bpftrace -e '
	kfunc:tun_sendmsg { @sendmsg = count(); }
	kretfunc:napi_skb_cache_get_bulk { @bulk = count(); @asked = sum(args->n); @got = sum(retval); }
	kprobe:skb_defer_free_flush { @flush[ksym(*(uint64 *)reg("sp"))] = count(); }' \
		-c "$GEN/vhost_tx --queues 1 --count $N" > "$TMP/$var.bt" 2>&1
	gen=$(grep '^{' "$TMP/$var.bt" | tail -n1)
	echo "# $var: $gen"
	grep '^@' "$TMP/$var.bt" | sed 's/^/# /'
	check_eq "$var: tap rx_packets == frames" "$N" "$(echo "$gen" | jq .rx_packets)"
	check_eq "$var: tap rx_dropped" 0 "$(echo "$gen" | jq .rx_dropped)"
	calls=$(bt_map "$TMP/$var.bt" sendmsg)
	check_true "$var: tun_sendmsg called ($calls)" test "$calls" -gt 0
	fl=$(sed -n 's/^@flush\[tun_sendmsg\]: //p' "$TMP/$var.bt")
	case $var in
	stock)
		check_eq "$var: napi_skb_cache_get_bulk calls" 0 "$(bt_map "$TMP/$var.bt" bulk)"
		check_eq "$var: skb_defer_free_flush from tun_sendmsg" "" "$fl" ;;
	*)
		check_eq "$var: napi_skb_cache_get_bulk calls == tun_sendmsg calls" \
			"$calls" "$(bt_map "$TMP/$var.bt" bulk)"
		check_eq "$var: heads asked == frames" "$N" "$(bt_map "$TMP/$var.bt" asked)"
		check_eq "$var: heads got == frames" "$N" "$(bt_map "$TMP/$var.bt" got)"
		case $var in
		1-9) check_eq "$var: skb_defer_free_flush from tun_sendmsg == tun_sendmsg calls" \
			"$calls" "$fl" ;;
		*) check_eq "$var: skb_defer_free_flush from tun_sendmsg" "" "$fl" ;;
		esac ;;
	esac
done
finish
