#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo` (tests/demo.sh), the README's first command: exits 0, and the
# table it prints counts exactly what its generators report: SOCKET_RCVBUFF
# == udp_rcvbuf's RcvbufErrors delta, FULL_RING == tap_flood's tx_dropped,
# and the tap's per-queue drops == tap_flood's per-queue count.
. "$(dirname "$0")/lib.sh"
need_root
sh "$ROOT/tests/demo.sh" > "$TMP/demo.out" 2>&1
check_eq "demo exits 0" 0 $?
udp=$(grep '"netns":"skbgen-udp-' "$TMP/demo.out")
tap=$(grep '"netns":"skbgen-tap-' "$TMP/demo.out")
# sumcol REASON TABLE: REASON's counts in every drop table (reasons, or per CPU)
sumcol() {
	awk -v r="$1" -v want="$2" '
		$1 == "DROP" && $2 == "REASON" { t = "reasons"; next }
		$1 == "DROPS" && $2 == "PER" { t = "cpus"; next }
		$1 == "TUN" || $1 == "DEFER" || $1 == "CPU" || /^[0-9:]+ / { t = "" }
		t == want && $1 == r { s += $2 }
		END { print s + 0 }' "$TMP/demo.out"
}
for t in reasons cpus; do
	check_eq "$t table SOCKET_RCVBUFF == udp_rcvbuf rcvbuf_errors" \
		"$(echo "$udp" | jq .rcvbuf_errors)" "$(sumcol SOCKET_RCVBUFF $t)"
	check_eq "$t table FULL_RING == tap_flood tx_dropped" \
		"$(echo "$tap" | jq .tx_dropped)" "$(sumcol FULL_RING $t)"
done
for q in 0 1; do
	check_eq "table skbtap0 tx$q drops == tap_flood queue $q" \
		"$(echo "$tap" | jq ".queues[] | select(.queue == $q) | .dropped")" \
		"$(awk -v q="tx$q" '$1 == "skbtap0" && $2 == q { s += $9 } END { print s + 0 }' "$TMP/demo.out")"
done
finish
