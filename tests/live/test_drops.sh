#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# SOCKET_RCVBUFF drops: skbtop's count over the run equals the namespace's
# Udp RcvbufErrors delta and equals datagrams sent minus datagrams received.
. "$(dirname "$0")/lib.sh"
need_root
N=20000

skbtop_start
"$GEN/udp_rcvbuf" --count $N > "$TMP/gen.json"
check_eq "udp_rcvbuf generator exits 0" 0 $?
skbtop_stop
check_eq "skbtop exits 0 on SIGINT" 0 "$SKB_RC"

sent=$(jq .sent "$TMP/gen.json")
received=$(jq .received "$TMP/gen.json")
snmp=$(jq .rcvbuf_errors "$TMP/gen.json")
seen=$(skb_sum '.drops[] | select(.reason == "SOCKET_RCVBUFF") | .count')
check_eq "generator sent N" $N "$sent"
check_eq "SOCKET_RCVBUFF == Udp RcvbufErrors delta" "$snmp" "$seen"
check_eq "SOCKET_RCVBUFF == sent - received" $((sent - received)) "$seen"
# every drop row carries cpu and location; the device is the namespace's lo
rows=$(jq -s '[.[] | .drops[] | select(.reason == "SOCKET_RCVBUFF")] | length' "$SKB_OUT")
bad=$(jq -s '[.[] | .drops[] | select(.reason == "SOCKET_RCVBUFF")
	| select((.cpu | type) != "number" or (.location | test("^udp")) == false)] | length' "$SKB_OUT")
check_eq "rows carry cpu and a udp location ($rows rows)" 0 "$bad"
# totals agree with the rows
tot=$(skb_sum '.totals.drops')
allrows=$(skb_sum '.drops[] | .count')
check_eq "totals.drops == sum of drop rows" "$allrows" "$tot"
finish
