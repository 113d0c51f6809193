#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A variant that fails to attach moves its probe to the next variant and
# leaves the other probes up. SKBTOP_FAIL_ATTACH (a testing hook) makes the
# drops probe's tp_btf program fail to attach, as lockdown or an LSM would:
# skbtop probes reports drops on raw_tp with the failure as its reason, the
# other probes keep their modes, and the raw_tp drops still count exactly
# (SOCKET_RCVBUFF == the namespace's Udp RcvbufErrors delta).
. "$(dirname "$0")/lib.sh"
need_root
N=5000

"$SKBTOP" probes -j > "$TMP/before.json"
SKBTOP_FAIL_ATTACH=kfree_skb_btf "$SKBTOP" probes -j > "$TMP/p.json"
check_eq "probes -j exits 0 with a failed attach" 0 $?
row() { jq -r ".[] | select(.probe == \"$1\") | $2" "$TMP/p.json"; }
check_eq "drops moved to its next variant" "raw_tp raw_tp" "$(row drops '"\(.mode) \(.variant)"')"
check_eq "its reason names the failed attach" \
	"tp_btf: attach kfree_skb_btf failed: Operation not permitted" "$(row drops .reason)"
check_eq "every other probe keeps its mode and variant" \
	"$(jq -c '[.[] | select(.probe != "drops") | [.probe, .mode, .variant]]' "$TMP/before.json")" \
	"$(jq -c '[.[] | select(.probe != "drops") | [.probe, .mode, .variant]]' "$TMP/p.json")"
# every variant failing: unavailable, with both failures, and skbtop still runs
SKBTOP_FAIL_ATTACH=kfree_skb_btf,kfree_skb_raw "$SKBTOP" probes -j > "$TMP/p.json"
check_eq "both drop variants failing: drops unavailable" unavailable "$(row drops .mode)"
check_eq "... with both reasons" \
	"tp_btf: attach kfree_skb_btf failed: Operation not permitted; raw_tp: attach kfree_skb_raw failed: Operation not permitted" \
	"$(row drops .reason)"

export SKBTOP_FAIL_ATTACH=kfree_skb_btf
skbtop_start
"$GEN/udp_rcvbuf" --count $N > "$TMP/gen.json"
check_eq "udp_rcvbuf exits 0" 0 $?
skbtop_stop
unset SKBTOP_FAIL_ATTACH
check_eq "skbtop exits 0 on SIGINT" 0 "$SKB_RC"
check_eq "raw_tp drops: SOCKET_RCVBUFF == Udp RcvbufErrors delta" "$(jq .rcvbuf_errors "$TMP/gen.json")" \
	"$(skb_sum '.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count')"
finish
