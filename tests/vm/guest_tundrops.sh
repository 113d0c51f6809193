#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside a guest with vhost-net: tun's error paths that the tun series'
# patches 1 to 4 change, each driven N times per queue (2 queues), and
# skbtop -L's drops at tun's functions, per reason, reconciled exactly with
# the generators' counts, the tap's counters and bpftrace's count of
# skb:kfree_skb by (function of the location, reason) in the same window.
#   3 (tun_do_read): tap_flood --read-error einval (a 2-byte read, shorter
#     than struct tun_pi) and efault (a read into a PROT_NONE page): each
#     failed read drops one skb. stock: NOT_SPECIFIED; patched: DEV_HDR
#     and SKB_UCOPY_FAULT.
#   1 (tun_xdp_one): vhost_tx --bad-gso (virtio-net gso_type 7): each frame
#     fails virtio_net_hdr_to_skb(). stock: NOT_SPECIFIED; patched:
#     DEV_HDR. (tun_xdp_one() also counts it in rx_frame_errors, which a
#     tap does not report: see below.)
#   4 (tun_xdp_one): vhost_tx --runt 10 (frames shorter than ETH_HLEN):
#     dropped before an skb exists, so no drop reason anywhere. stock: no
#     counter moves; patched: the tap's rx_dropped counts each.
#   2 (tun_xdp_one): vhost_tx --napi --detach (an IFF_NAPI tap whose queues
#     are all detached before the first frame: a detached queue keeps its
#     tun, so tun_sendmsg() still runs and tun_xdp_one() frees each skb on
#     its NAPI path). stock: NOT_SPECIFIED; patched: DEV_READY. No race is
#     needed: the detach comes first. (The drop's location is tun_sendmsg,
#     which inlines tun_xdp_one() on 7.2, or patch 5's tun_xdp_batch.)
# With no NAME=KO argument, the running kernel's tun (expected: stock);
# with them, each tun.ko in turn (tests/review/build-tun-series.sh).
#   tests/vm/guest_tundrops.sh N [NAME=KO...]
. "$(dirname "$0")/../live/lib.sh"
need_root
N=${1:?frames per queue}
shift
[ $# != 0 ] || set -- running=
# reason ids from the kernel's BTF, not from skbtop
bpftool btf dump file /sys/kernel/btf/vmlinux > "$TMP/btf.txt"
rid() { sed -n "s/^.*'SKB_DROP_REASON_$1' val=\([0-9]*\)\$/\1/p" "$TMP/btf.txt"; }
R_NS=$(rid NOT_SPECIFIED) R_HDR=$(rid DEV_HDR) R_UCOPY=$(rid SKB_UCOPY_FAULT) R_READY=$(rid DEV_READY)
echo "# reason ids (BTF): NOT_SPECIFIED $R_NS, DEV_HDR $R_HDR, SKB_UCOPY_FAULT $R_UCOPY, DEV_READY $R_READY"
[ -n "$R_NS" ] && [ -n "$R_HDR" ] && [ -n "$R_UCOPY" ] && [ -n "$R_READY" ] ||
	{ not_ok "drop reason ids not in BTF"; finish; }

for v in "$@"; do
	var=${v%%=*} ko=${v#*=}
	for m in vhost_net tun; do [ ! -d /sys/module/$m ] || rmmod $m; done
	if [ "$var" = running ]; then
		modprobe tun || { not_ok "$var: modprobe tun"; continue; }
	else
		insmod "$ko" || { not_ok "$var: insmod $ko"; continue; }
	fi
	modprobe vhost_net || { not_ok "$var: modprobe vhost_net"; continue; }
	# the tun module's functions: a drop's location is in one of them
	awk '$4 == "[tun]" { print $3 }' /proc/kallsyms | sort -u > "$TMP/$var.funcs"
	skbtop_start -L -P drops
	bpftrace -e 'tracepoint:skb:kfree_skb {
		@d[ksym(args->location), (uint64)args->reason] = count(); }' \
		> "$TMP/$var.bt" 2>&1 &
	BT=$!
	bt_wait "$TMP/$var.bt"
	kill -0 $BT 2>/dev/null || { not_ok "$var: bpftrace: $(tail -3 "$TMP/$var.bt")"; skbtop_stop; continue; }
	sleep 1
	ok=0
	"$GEN/tap_flood" -q 2 -n "$N" -i skbtd0 --read-error einval > "$TMP/$var.einval" || ok=1
	"$GEN/tap_flood" -q 2 -n "$N" -i skbtd0 --read-error efault > "$TMP/$var.efault" || ok=1
	"$GEN/vhost_tx" -q 2 -n "$N" --bad-gso > "$TMP/$var.gso" || ok=1
	"$GEN/vhost_tx" -q 2 -n "$N" --runt 10 > "$TMP/$var.runt" || ok=1
	"$GEN/vhost_tx" -q 2 -n "$N" --napi --detach -i skbtdet0 > "$TMP/$var.detach" || ok=1
	check_eq "$var: the five generators exit 0" 0 $ok
	bt_end $BT
	skbtop_stop
	grep -q Attaching "$TMP/$var.bt" || { not_ok "$var: bpftrace: $(tail -3 "$TMP/$var.bt")"; continue; }
	for f in einval efault gso runt detach; do echo "# $var $f: $(cat "$TMP/$var.$f")"; done
	einval=$(jq .read_errors "$TMP/$var.einval")
	efault=$(jq .read_errors "$TMP/$var.efault")
	gso=$(jq .completed "$TMP/$var.gso")
	runt=$(jq .completed "$TMP/$var.runt")
	detach=$(jq .completed "$TMP/$var.detach")
	check_eq "$var: every read meant to fail failed (einval)" $((2 * N)) "$einval"
	check_eq "$var: every read meant to fail failed (efault)" $((2 * N)) "$efault"
	check_eq "$var: vhost completed every bad-gso frame" $((2 * N)) "$gso"
	check_eq "$var: vhost completed every runt frame" $((2 * N)) "$runt"
	check_eq "$var: vhost completed every frame on the detached queues" $((2 * N)) "$detach"
	check_eq "$var: both queues were detached, IFF_NAPI" "2 true" \
		"$(jq -r '"\(.detached) \(.napi)"' "$TMP/$var.detach")"
	check_eq "$var: no frame on a detached queue reached the tap (rx_packets, delivered)" "0 0" \
		"$(jq -r '"\(.rx_packets) \(.delivered)"' "$TMP/$var.detach")"
	# tun_xdp_one() counts these in tun->rx_frame_errors, but only a tun
	# device reports that counter: tap_netdev_ops has no ndo_get_stats64
	# (7.2), so a tap shows 0 and cannot be the independent count here
	echo "# $var: the tap's rx_frame_errors delta: $(jq .rx_frame_errors "$TMP/$var.gso")"
	check_eq "$var: no bad-gso frame delivered" 0 "$(jq .delivered "$TMP/$var.gso")"
	check_eq "$var: no runt frame delivered" 0 "$(jq .delivered "$TMP/$var.runt")"
	# bpftrace's drops at tun's functions, per reason
	grep '^@d\[' "$TMP/$var.bt" | sed 's/^@d\[\(.*\), \([0-9]*\)\]: \([0-9]*\)$/\1 \2 \3/' \
		> "$TMP/$var.btd"
	grep -F -w -f "$TMP/$var.funcs" "$TMP/$var.btd" | sed "s/^/# $var: bpftrace at tun: /"
	bt_tun() {
		awk -v r="$1" 'NR == FNR { f[$1] = 1; next } ($1 in f) && $2 == r { s += $3 }
			END { print s + 0 }' "$TMP/$var.funcs" "$TMP/$var.btd"
	}
	sk_tun() {
		jq -s --rawfile funcs "$TMP/$var.funcs" --argjson r "$1" '
			($funcs | split("\n") | map(select(. != "")) | map({(.): 1}) | add) as $f
			| [.[] | .drops[] | select(.reason_id == $r and
				(.location // "" | split("+")[0]) as $fn | $f[$fn] != null) | .count]
			| add // 0' "$SKB_OUT"
	}
	jq -s -c '[.[] | .drops[] | select(.location // "" | test("^tun_"))
		| {reason, location, ifname, queue, dir, count}]' "$SKB_OUT" |
		sed "s/^/# $var: skbtop at tun_*: /"
	for r in "$R_NS" "$R_HDR" "$R_UCOPY" "$R_READY"; do
		check_eq "$var: reason $r at tun's functions: skbtop == bpftrace" "$(bt_tun "$r")" "$(sk_tun "$r")"
	done
	case $var in
	stock | running)
		check_eq "$var: NOT_SPECIFIED at tun == failed reads + bad-gso frames + detached-queue frames" \
			$((einval + efault + gso + detach)) "$(sk_tun "$R_NS")"
		check_eq "$var: DEV_READY at tun == 0" 0 "$(sk_tun "$R_READY")"
		check_eq "$var: DEV_HDR at tun == 0" 0 "$(sk_tun "$R_HDR")"
		check_eq "$var: SKB_UCOPY_FAULT at tun == 0" 0 "$(sk_tun "$R_UCOPY")"
		check_eq "$var: runt frames leave rx_dropped alone" 0 "$(jq .rx_dropped "$TMP/$var.runt")"
		;;
	*)
		check_eq "$var: NOT_SPECIFIED at tun == 0 (patches 1, 2, 3)" 0 "$(sk_tun "$R_NS")"
		check_eq "$var: DEV_READY at tun == detached-queue frames (patch 2)" \
			"$detach" "$(sk_tun "$R_READY")"
		check_eq "$var: DEV_HDR at tun == short reads + bad-gso frames (patches 1, 3)" \
			$((einval + gso)) "$(sk_tun "$R_HDR")"
		check_eq "$var: SKB_UCOPY_FAULT at tun == faulting reads (patch 3)" \
			"$efault" "$(sk_tun "$R_UCOPY")"
		check_eq "$var: runt frames == the tap's rx_dropped delta (patch 4)" \
			"$runt" "$(jq .rx_dropped "$TMP/$var.runt")"
		;;
	esac
done
finish
