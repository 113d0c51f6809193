#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Deferred-free kicks: a sender on CPU 0 fills a UDP socket, a receiver on
# CPU 1 drains it, so skbs allocated on CPU 0 are freed from CPU 1 through
# skb_attempt_defer_free() and CPU 0 gets kicked. skbtop's kicks, kicks run
# and IPIs must equal the same events counted independently in a tracefs
# instance over the same window.
. "$(dirname "$0")/lib.sh"
need_root
mount_tracefs
[ "$(nproc)" -ge 2 ] || { not_ok "needs 2 CPUs"; exit 1; }
N=20000
INST=/sys/kernel/tracing/instances/skbtop-test-$$

skbtop_start
mkdir "$INST"
on_exit "rmdir $INST 2>/dev/null"
echo 16384 > "$INST/buffer_size_kb"
for e in csd/csd_queue_cpu csd/csd_function_entry ipi/ipi_send_cpu skb/consume_skb; do
	echo 1 > "$INST/events/$e/enable"
done
echo 1 > "$INST/tracing_on"
"$GEN/defer_kick" --count $N > "$TMP/gen.json"
check_eq "defer_kick generator exits 0" 0 $?
echo 0 > "$INST/tracing_on"
skbtop_stop
cat "$INST/trace" > "$TMP/trace"
for e in csd/csd_queue_cpu csd/csd_function_entry ipi/ipi_send_cpu skb/consume_skb; do
	echo 0 > "$INST/events/$e/enable"
done
rmdir "$INST"

lost=$(grep -c 'LOST' "$TMP/trace")
check_eq "tracefs lost no events" 0 "$lost"
# Independent counts. An IPI belongs to a kick when it is the next event on
# the sending CPU and goes to the kick's target.
counts=$(awk '
	{ for (i = 1; i <= NF; i++) if ($i ~ /^\[[0-9]+\]$/) { c = $i; break } }
	/ csd_queue_cpu: / {
		pend[c] = ""
		if ($0 ~ /func=trigger_rx_softirq[ ,]/) {
			kicks++
			match($0, /cpu=[0-9]+/); pend[c] = substr($0, RSTART + 4, RLENGTH - 4)
		}
		next
	}
	/ ipi_send_cpu: / {
		match($0, /cpu=[0-9]+/); t = substr($0, RSTART + 4, RLENGTH - 4)
		if (pend[c] != "" && pend[c] == t) ipis++
		pend[c] = ""
		next
	}
	/ csd_function_entry: / && /func=trigger_rx_softirq[ ,]/ { recv++ }
	/ consume_skb: / && /location=skb_defer_free_flush\+/ { flushed++ }
	END { printf "%d %d %d %d\n", kicks, ipis, recv, flushed }' "$TMP/trace")
set -- $counts
trace_kicks=$1 trace_ipis=$2 trace_recv=$3 trace_flushed=$4

kicks=$(skb_sum '.totals.defer_kicks_sent')
ipis=$(skb_sum '.totals.defer_ipis_sent')
recv=$(skb_sum '.totals.defer_kicks_recv')
mkicks=$(skb_sum '.kicks[] | .kicks')
check_eq "kicks == tracefs csd_queue_cpu(trigger_rx_softirq)" "$trace_kicks" "$kicks"
check_eq "IPIs == tracefs ipi_send_cpu following a kick" "$trace_ipis" "$ipis"
check_eq "kicks run == tracefs csd_function_entry(trigger_rx_softirq)" "$trace_recv" "$recv"
flushed=$(skb_sum '.totals.defer_flush_skbs')
check_eq "skbs freed by defer flushes == tracefs consume_skb in skb_defer_free_flush" \
	"$trace_flushed" "$flushed"
check_eq "kick matrix sums to the kick total" "$kicks" "$mkicks"
# the workload is what made them: hundreds of kicks, to CPU 0 from CPU 1
to0=$(skb_sum '.kicks[] | select(.from_cpu == 1 and .to_cpu == 0) | .kicks')
check_true "workload kicked CPU 0 from CPU 1 at least N/128 times ($to0)" [ "$to0" -ge $((N / 128)) ]
received=$(jq .received "$TMP/gen.json")
check_eq "receiver drained every datagram" $N "$received"
finish
