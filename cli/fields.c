// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "fields.h"
#include "snapshot.h"
#include "probes.h"

#define CPU(n) offsetof(struct cpu_counters, n)
#define QUEUE(n) offsetof(struct queue_counters, n)
#define KICK(n) offsetof(struct kick_cell, n)

/*
 * Columns: text is the --text table's order (its default columns), screen
 * the screen's; prio ranks screen columns by what a narrow terminal keeps
 * (1 kept longest). Titles are at most 6 characters, one vocabulary for
 * both; `skbtop fields` and the man page explain them.
 */
const struct field cpu_fields[] = {
	{ .name = "cache_gets", .metric = "napi_cache_gets", .title = "gets",
	  .group = "cache", .probe = "cache_get",
	  .offset = CPU(cache_gets), .text = 1, .unit = "calls",
	  .help = "single-head gets from the NAPI skb cache (napi_skb_cache_get(), inline or not)" },
	{ .name = "cache_hits", .metric = "napi_cache_hits",
	  .group = "cache", .probe = "cache_get", .need = PROBE_CAP_CACHE_HITS,
	  .offset = CPU(cache_hits), .unit = "calls",
	  .help = "gets that found a head in the cache" },
	{ .name = "cache_hit_rate", .title = "hit%",
	  .group = "cache", .probe = "cache_get", .need = PROBE_CAP_CACHE_HITS,
	  .kind = FIELD_RATIO, .offset = CPU(cache_hits), .offset2 = CPU(cache_gets),
	  .screen = 1, .prio = 2, .unit = "ratio",
	  .help = "NAPI cache hit rate: hits / gets (no value without gets)" },
	{ .name = "cache_level", .metric = "napi_cache_level", .title = "level",
	  .group = "cache", .probe = "cache_level", .need = PROBE_CAP_LEVEL,
	  .kind = FIELD_GAUGE, .offset = CPU(cache_level), .screen = 2, .prio = 19,
	  .unit = "heads",
	  .help = "skb heads in the NAPI cache when read (its skb_count, a gauge read at every "
		  "refresh; the total is the sum over CPUs); not in captures" },
	{ .name = "cache_misses_refilled", .metric = "napi_cache_misses_refilled",
	  .group = "cache", .probe = "cache_get", .need = PROBE_CAP_CACHE_HITS,
	  .offset = CPU(cache_misses_refilled), .unit = "calls",
	  .help = "gets that found the cache empty and refilled it from the slab" },
	{ .name = "cache_misses_slab", .metric = "napi_cache_misses_slab",
	  .group = "cache", .probe = "cache_get", .need = PROBE_CAP_CACHE_HITS,
	  .offset = CPU(cache_misses_slab), .unit = "calls",
	  .help = "gets that found the cache empty and fell back to one slab allocation" },
	{ .name = "cache_puts", .metric = "napi_cache_puts",
	  .group = "cache", .probe = "cache_put",
	  .offset = CPU(cache_puts), .unit = "heads",
	  .help = "skb heads returned to the cache (napi_skb_cache_put())" },
	{ .name = "cache_refills", .metric = "napi_cache_refills", .title = "refil",
	  .group = "cache", .probe = "cache_refill",
	  .offset = CPU(cache_refills), .text = 2, .screen = 3, .prio = 5, .unit = "calls",
	  .help = "bulk refills of the NAPI skb cache from the slab" },
	{ .name = "cache_refill_heads", .metric = "napi_cache_refill_heads",
	  .group = "cache", .probe = "cache_refill",
	  .offset = CPU(cache_refill_heads), .unit = "heads",
	  .help = "skb heads those refills gave" },
	{ .name = "cache_flushes", .metric = "napi_cache_flushes",
	  .group = "cache", .probe = "cache_flush",
	  .offset = CPU(cache_flushes), .unit = "calls",
	  .help = "NAPI skb cache flushes to the slab when full" },
	{ .name = "cache_flush_heads", .metric = "napi_cache_flush_heads",
	  .group = "cache", .probe = "cache_flush",
	  .offset = CPU(cache_flush_heads), .unit = "heads",
	  .help = "skb heads those flushes released" },
	{ .name = "slab_bulk_getbulk_calls", .metric = "slab_bulk_getbulk_calls",
	  .group = "cache", .probe = "cache_refill",
	  .offset = CPU(slab_bulk_getbulk_calls), .unit = "calls",
	  .help = "slab bulk allocations by napi_skb_cache_get_bulk() past the cache" },
	{ .name = "slab_bulk_getbulk_heads", .metric = "slab_bulk_getbulk_heads",
	  .group = "cache", .probe = "cache_refill",
	  .offset = CPU(slab_bulk_getbulk_heads), .unit = "heads",
	  .help = "skb heads those allocations gave" },
	{ .name = "slab_bulk_xsk_calls", .metric = "slab_bulk_xsk_calls",
	  .group = "cache", .probe = "cache_refill", .need = PROBE_CAP_XSK_SPLIT,
	  .offset = CPU(slab_bulk_xsk_calls), .unit = "calls",
	  .help = "slab bulk allocations by an xsk batch (xsk_alloc_batch_skb(), the xsk batch "
		  "RFC; where it is absent they would be other)" },
	{ .name = "slab_bulk_xsk_heads", .metric = "slab_bulk_xsk_heads",
	  .group = "cache", .probe = "cache_refill", .need = PROBE_CAP_XSK_SPLIT,
	  .offset = CPU(slab_bulk_xsk_heads), .unit = "heads",
	  .help = "skb heads those allocations gave" },
	{ .name = "slab_bulk_other_calls", .metric = "slab_bulk_other_calls",
	  .group = "cache", .probe = "cache_refill",
	  .offset = CPU(slab_bulk_other_calls), .unit = "calls",
	  .help = "other slab bulk allocations of skb heads (not into the NAPI cache)" },
	{ .name = "slab_bulk_other_heads", .metric = "slab_bulk_other_heads",
	  .group = "cache", .probe = "cache_refill",
	  .offset = CPU(slab_bulk_other_heads), .unit = "heads",
	  .help = "skb heads those allocations gave" },
	{ .name = "slab_free_bulk_other_calls", .metric = "slab_free_bulk_other_calls",
	  .group = "cache", .probe = "cache_flush",
	  .offset = CPU(slab_free_bulk_other_calls), .unit = "calls",
	  .help = "slab bulk frees of skb heads not out of the NAPI cache" },
	{ .name = "slab_free_bulk_other_heads", .metric = "slab_free_bulk_other_heads",
	  .group = "cache", .probe = "cache_flush",
	  .offset = CPU(slab_free_bulk_other_heads), .unit = "heads",
	  .help = "skb heads those frees released" },
	{ .name = "bulk_calls", .metric = "bulk_calls", .title = "bulk",
	  .group = "bulk", .probe = "bulk",
	  .offset = CPU(bulk_calls), .text = 3, .screen = 4, .prio = 4, .unit = "calls",
	  .help = "napi_skb_cache_get_bulk() calls" },
	{ .name = "bulk_asked", .metric = "bulk_heads_asked", .title = "asked",
	  .group = "bulk", .probe = "bulk",
	  .offset = CPU(bulk_asked), .screen = 5, .prio = 9, .unit = "heads",
	  .help = "skb heads asked of napi_skb_cache_get_bulk()" },
	{ .name = "bulk_got", .metric = "bulk_heads_got", .title = "got",
	  .group = "bulk", .probe = "bulk",
	  .offset = CPU(bulk_got), .screen = 6, .prio = 10, .unit = "heads",
	  .help = "skb heads napi_skb_cache_get_bulk() returned" },
	{ .name = "bulk_short_heads", .metric = "bulk_heads_short",
	  .group = "bulk", .probe = "bulk",
	  .kind = FIELD_DIFF, .offset = CPU(bulk_asked), .offset2 = CPU(bulk_got),
	  .unit = "heads",
	  .help = "skb heads napi_skb_cache_get_bulk() did not supply (asked minus got)" },
	{ .name = "bulk_short_calls", .metric = "bulk_short_calls", .title = "short",
	  .group = "bulk", .probe = "bulk",
	  .offset = CPU(bulk_short_calls), .text = 4, .screen = 7, .prio = 3, .unit = "calls",
	  .help = "napi_skb_cache_get_bulk() calls that returned fewer than asked" },
	{ .name = "bulk_nonbh_calls", .metric = "bulk_nonbh_calls", .title = "nonBH",
	  .group = "bulk", .probe = "bulk", .need = PROBE_CAP_BH_CHECK,
	  .offset = CPU(bulk_nonbh_calls), .screen = 8, .prio = 11, .unit = "calls",
	  .help = "napi_skb_cache_get_bulk() calls outside BH context" },
	{ .name = "builds", .metric = "skb_builds",
	  .group = "build", .probe = "build",
	  .offset = CPU(builds), .unit = "skbs",
	  .help = "skbs built by build_skb(), build_skb_around(), napi_build_skb()" },
	{ .name = "consume_calls", .metric = "napi_consume_calls", .title = "cons",
	  .group = "consume", .probe = "consume",
	  .offset = CPU(consume_calls), .text = 5, .unit = "calls",
	  .help = "napi_consume_skb() calls" },
	{ .name = "consume_budget0", .metric = "napi_consume_budget0_calls", .title = "bdg0",
	  .group = "consume", .probe = "consume",
	  .offset = CPU(consume_budget0), .text = 6, .screen = 9, .prio = 12, .unit = "calls",
	  .help = "napi_consume_skb() calls with budget 0 (non-NAPI)" },
	{ .name = "consume_deferred", .metric = "napi_consume_deferred", .title = "cdefer",
	  .group = "consume", .probe = "consume", .need = PROBE_CAP_DEFER_SPLIT,
	  .offset = CPU(consume_deferred), .screen = 10, .prio = 13, .unit = "calls",
	  .help = "napi_consume_skb() calls deferred to the allocating CPU" },
	{ .name = "consume_recycled", .metric = "napi_consume_recycled", .title = "recyc",
	  .group = "consume", .probe = "consume",
	  .offset = CPU(consume_recycled), .text = 7, .screen = 11, .prio = 14, .unit = "calls",
	  .help = "napi_consume_skb() calls that recycled the head into the NAPI cache" },
	{ .name = "consume_budget_task", .metric = "napi_consume_budget_task_calls",
	  .title = "bdgtsk",
	  .group = "consume", .probe = "consume_task",
	  .offset = CPU(consume_budget_task), .unit = "calls",
	  .help = "napi_consume_skb() calls with a non-zero budget in task context, no softirq "
		  "being served: outside a NAPI poll (threaded NAPI and busy polling count too)" },
	{ .name = "defer_queued", .metric = "defer_queued", .title = "defQ",
	  .group = "defer", .probe = "defer_queue",
	  .offset = CPU(defer_queued), .text = 8, .screen = 12, .prio = 6, .unit = "skbs",
	  .help = "skbs queued for deferred free on another CPU" },
	{ .name = "defer_kicks_sent", .metric = "defer_kicks_sent", .title = "kick>",
	  .group = "defer", .probe = "defer_kick",
	  .offset = CPU(defer_kicks_sent), .text = 9, .screen = 13, .prio = 7, .unit = "kicks",
	  .help = "defer-list kicks (trigger_rx_softirq csds) sent" },
	{ .name = "defer_kicks_recv", .metric = "defer_kicks_received", .title = "kick<",
	  .group = "defer", .probe = "defer_recv",
	  .offset = CPU(defer_kicks_recv), .screen = 14, .prio = 15, .unit = "kicks",
	  .help = "defer-list kicks run on this CPU" },
	{ .name = "defer_ipis_sent", .metric = "defer_ipis_sent", .title = "ipi>",
	  .group = "defer", .probe = "defer_ipi",
	  .offset = CPU(defer_ipis_sent), .text = 10, .screen = 15, .prio = 8, .unit = "IPIs",
	  .help = "IPIs sent for defer-list kicks" },
	{ .name = "defer_ipis_recv", .metric = "defer_ipis_received", .title = "ipi<",
	  .group = "defer", .probe = "defer_ipi",
	  .kind = FIELD_KICKS, .offset = CPU(defer_ipis_recv),
	  .screen = 16, .prio = 16, .unit = "IPIs",
	  .help = "IPIs received for defer-list kicks (from the sender x target matrix)" },
	{ .name = "defer_flushes", .metric = "defer_flushes", .title = "flush",
	  .group = "defer", .probe = "defer_flush", .need = PROBE_CAP_FLUSH_COUNT,
	  .offset = CPU(defer_flushes), .screen = 17, .prio = 17, .unit = "calls",
	  .help = "defer-list flushes that freed skbs: lists emptied by skb_defer_free_flush() "
		  "(one a call; on 6.19+ NUMA machines one per node whose CPUs queued skbs)" },
	{ .name = "defer_flush_skbs", .metric = "defer_flush_skbs", .title = "flskb",
	  .group = "defer", .probe = "defer_flush",
	  .offset = CPU(defer_flush_skbs), .screen = 18, .prio = 18, .unit = "skbs",
	  .help = "skbs freed by defer-list flushes" },
	/* skbtop_drops_total is the per-reason family; this one counts every drop */
	{ .name = "drops", .metric = "kfree_skb", .title = "drops",
	  .group = "drops", .probe = "drops",
	  .offset = CPU(drops), .text = 11, .screen = 19, .prio = 1, .unit = "skbs",
	  .help = "kfree_skb() drops" },
	{ .name = "tun_consumes", .metric = "tun_consumes",
	  .group = "tun", .probe = "tun_consume",
	  .offset = CPU(tun_consumes), .unit = "skbs",
	  .help = "consume_skb() of skbs on tun/tap devices" },
	{ .name = "tun_sendmsg_calls", .metric = "tun_sendmsg_calls",
	  .group = "tun", .probe = "tun_sendmsg",
	  .offset = CPU(tun_sendmsg_calls), .unit = "calls",
	  .help = "tun_sendmsg() calls run on this CPU (vhost-net TX: the vhost worker's CPU)" },
	{ .name = "sirq_rx_task", .metric = "softirq_net_rx_task_runs", .title = "rxtsk",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_RX][SIRQ_TASK]), .screen = 20, .prio = 20, .unit = "runs",
	  .help = "NET_RX softirq runs in a task's do_softirq(): local_bh_enable() (spin_unlock_bh(), netif_rx(), ...) with the softirq pending, not the idle task" },
	{ .name = "sirq_rx_task_ns", .metric = "softirq_net_rx_task_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_RX][SIRQ_TASK]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_rx_irq", .metric = "softirq_net_rx_irq_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_RX][SIRQ_IRQ]), .unit = "runs",
	  .help = "NET_RX softirq runs on hardirq exit (irq_exit_rcu(), irq_exit())" },
	{ .name = "sirq_rx_irq_ns", .metric = "softirq_net_rx_irq_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_RX][SIRQ_IRQ]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_rx_ksoftirqd", .metric = "softirq_net_rx_ksoftirqd_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_RX][SIRQ_KSOFTIRQD]), .unit = "runs",
	  .help = "NET_RX softirq runs in ksoftirqd (run_ksoftirqd())" },
	{ .name = "sirq_rx_ksoftirqd_ns", .metric = "softirq_net_rx_ksoftirqd_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_RX][SIRQ_KSOFTIRQD]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_rx_idle", .metric = "softirq_net_rx_idle_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_RX][SIRQ_IDLE]), .unit = "runs",
	  .help = "NET_RX softirq runs in the idle task's do_softirq() (after its flush of smp-call-function requests)" },
	{ .name = "sirq_rx_idle_ns", .metric = "softirq_net_rx_idle_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_RX][SIRQ_IDLE]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_rx_unknown", .metric = "softirq_net_rx_unknown_runs",
	  .group = "softirq", .probe = "softirq_where", .need = PROBE_CAP_SIRQ_STACK,
	  .offset = CPU(sirq_runs[SIRQ_NET_RX][SIRQ_UNKNOWN]), .unit = "runs",
	  .help = "NET_RX softirq runs with no known caller in the stack walk (tracepoint mode only: the fentry mode has no unknown)" },
	{ .name = "sirq_rx_unknown_ns", .metric = "softirq_net_rx_unknown_seconds",
	  .group = "softirq", .probe = "softirq_where", .need = PROBE_CAP_SIRQ_STACK,
	  .offset = CPU(sirq_ns[SIRQ_NET_RX][SIRQ_UNKNOWN]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_tx_task", .metric = "softirq_net_tx_task_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_TX][SIRQ_TASK]), .unit = "runs",
	  .help = "NET_TX softirq runs in a task's do_softirq(): local_bh_enable() (spin_unlock_bh(), netif_rx(), ...) with the softirq pending, not the idle task" },
	{ .name = "sirq_tx_task_ns", .metric = "softirq_net_tx_task_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_TX][SIRQ_TASK]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_tx_irq", .metric = "softirq_net_tx_irq_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_TX][SIRQ_IRQ]), .unit = "runs",
	  .help = "NET_TX softirq runs on hardirq exit (irq_exit_rcu(), irq_exit())" },
	{ .name = "sirq_tx_irq_ns", .metric = "softirq_net_tx_irq_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_TX][SIRQ_IRQ]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_tx_ksoftirqd", .metric = "softirq_net_tx_ksoftirqd_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_TX][SIRQ_KSOFTIRQD]), .unit = "runs",
	  .help = "NET_TX softirq runs in ksoftirqd (run_ksoftirqd())" },
	{ .name = "sirq_tx_ksoftirqd_ns", .metric = "softirq_net_tx_ksoftirqd_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_TX][SIRQ_KSOFTIRQD]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_tx_idle", .metric = "softirq_net_tx_idle_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_runs[SIRQ_NET_TX][SIRQ_IDLE]), .unit = "runs",
	  .help = "NET_TX softirq runs in the idle task's do_softirq() (after its flush of smp-call-function requests)" },
	{ .name = "sirq_tx_idle_ns", .metric = "softirq_net_tx_idle_seconds",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_ns[SIRQ_NET_TX][SIRQ_IDLE]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_tx_unknown", .metric = "softirq_net_tx_unknown_runs",
	  .group = "softirq", .probe = "softirq_where", .need = PROBE_CAP_SIRQ_STACK,
	  .offset = CPU(sirq_runs[SIRQ_NET_TX][SIRQ_UNKNOWN]), .unit = "runs",
	  .help = "NET_TX softirq runs with no known caller in the stack walk (tracepoint mode only: the fentry mode has no unknown)" },
	{ .name = "sirq_tx_unknown_ns", .metric = "softirq_net_tx_unknown_seconds",
	  .group = "softirq", .probe = "softirq_where", .need = PROBE_CAP_SIRQ_STACK,
	  .offset = CPU(sirq_ns[SIRQ_NET_TX][SIRQ_UNKNOWN]), .unit = "ns",
	  .help = "time in those runs, softirq_entry to softirq_exit (hardirqs in between "
		  "included; /metrics: in seconds)" },
	{ .name = "sirq_task_untracked", .metric = "softirq_task_untracked_runs",
	  .group = "softirq", .probe = "softirq_where",
	  .offset = CPU(sirq_task_untracked), .unit = "runs",
	  .help = "NET_RX/NET_TX runs in a task that no task row holds (its cell in the "
		  "per-CPU array of 256 was another task's and the table of 1024 tasks "
		  "was full)" },
	{ .name = "map_full", .metric = "map_full",
	  .group = "health",
	  .offset = CPU(map_full), .unit = "updates",
	  .help = "map updates refused because a map was full" },
};
const size_t cpu_nfields = sizeof(cpu_fields) / sizeof(cpu_fields[0]);
_Static_assert(sizeof(cpu_fields) / sizeof(cpu_fields[0]) <= FIELDS_MAX, "raise FIELDS_MAX");

/* Per tun/tap queue: /metrics families skbtop_queue_<name>_total. */
const struct field queue_fields[] = {
	{ .name = "builds", .metric = "queue_builds", .title = "builds",
	  .group = "tun", .probe = "tun_sendmsg", .probe2 = "build",
	  .offset = QUEUE(builds), .text = 1, .screen = 1, .prio = 3, .unit = "skbs",
	  .help = "skbs built inside tun_sendmsg()" },
	{ .name = "bulk_calls", .metric = "queue_bulk_calls", .title = "bulk",
	  .group = "tun", .probe = "tun_sendmsg", .probe2 = "bulk",
	  .offset = QUEUE(bulk_calls), .text = 2, .screen = 2, .prio = 4, .unit = "calls",
	  .help = "napi_skb_cache_get_bulk() calls inside tun_sendmsg()" },
	{ .name = "bulk_asked", .metric = "queue_bulk_asked", .title = "asked",
	  .group = "tun", .probe = "tun_sendmsg", .probe2 = "bulk",
	  .offset = QUEUE(bulk_asked), .text = 3, .unit = "heads",
	  .help = "skb heads asked by those calls" },
	{ .name = "bulk_got", .metric = "queue_bulk_got", .title = "got",
	  .group = "tun", .probe = "tun_sendmsg", .probe2 = "bulk",
	  .offset = QUEUE(bulk_got), .text = 4, .unit = "heads",
	  .help = "skb heads returned to those calls" },
	{ .name = "bulk_short_calls", .metric = "queue_bulk_short_calls", .title = "short",
	  .group = "tun", .probe = "tun_sendmsg", .probe2 = "bulk",
	  .offset = QUEUE(bulk_short_calls), .text = 5, .screen = 3, .prio = 2, .unit = "calls",
	  .help = "those calls that returned fewer than asked" },
	{ .name = "sendmsg_calls", .metric = "queue_sendmsg_calls", .title = "sendm",
	  .group = "tun", .probe = "tun_sendmsg",
	  .offset = QUEUE(sendmsg_calls), .screen = 4, .prio = 5, .unit = "calls",
	  .help = "tun_sendmsg() calls" },
	{ .name = "sendmsg_batches", .metric = "queue_sendmsg_batches",
	  .group = "tun", .probe = "tun_sendmsg",
	  .offset = QUEUE(sendmsg_batches), .unit = "calls",
	  .help = "tun_sendmsg() TUN_MSG_PTR batches" },
	{ .name = "sendmsg_frames", .metric = "queue_sendmsg_frames",
	  .group = "tun", .probe = "tun_sendmsg",
	  .offset = QUEUE(sendmsg_frames), .unit = "frames",
	  .help = "frames in those batches" },
	{ .name = "consumes", .metric = "queue_consumes", .title = "cons",
	  .group = "tun", .probe = "tun_consume",
	  .offset = QUEUE(consumes), .text = 6, .screen = 5, .prio = 6, .unit = "skbs",
	  .help = "consume_skb() of the queue's skbs" },
	{ .name = "napi_consumes", .metric = "queue_napi_consumes",
	  .group = "tun", .probe = "consume",
	  .offset = QUEUE(napi_consumes), .unit = "skbs",
	  .help = "napi_consume_skb() of the queue's skbs" },
	{ .name = "napi_consumes_task", .metric = "queue_napi_consumes_task",
	  .group = "tun", .probe = "consume_task",
	  .offset = QUEUE(napi_consumes_task), .unit = "skbs",
	  .help = "napi_consume_skb() of the queue's skbs with a non-zero budget in task context "
		  "(outside a NAPI poll)" },
	{ .name = "drops", .metric = "queue_drops", .title = "drops",
	  .group = "tun", .probe = "drops",
	  .offset = QUEUE(drops), .text = 7, .screen = 6, .prio = 1, .unit = "skbs",
	  .help = "kfree_skb() of the queue's skbs" },
};
const size_t queue_nfields = sizeof(queue_fields) / sizeof(queue_fields[0]);

/* The defer sender x target matrix, per (from_cpu, to_cpu) pair. */
const struct field kick_fields[] = {
	{ .name = "queued", .metric = "defer_queued_skbs", .title = "queued",
	  .group = "defer", .probe = "defer_queue",
	  .offset = KICK(queued), .text = 1, .unit = "skbs",
	  .help = "skbs queued by from_cpu for deferred free on to_cpu (their allocating CPU)" },
	{ .name = "kicks", .metric = "defer_kicks", .title = "kicks",
	  .group = "defer", .probe = "defer_kick",
	  .offset = KICK(kicks), .text = 2, .unit = "kicks",
	  .help = "defer-list kicks (trigger_rx_softirq csds) queued by from_cpu for to_cpu" },
	{ .name = "ipis", .metric = "defer_ipis", .title = "ipis",
	  .group = "defer", .probe = "defer_ipi",
	  .offset = KICK(ipis), .text = 3, .unit = "IPIs",
	  .help = "IPIs from_cpu sent to to_cpu for defer-list kicks" },
};
const size_t kick_nfields = sizeof(kick_fields) / sizeof(kick_fields[0]);

/* Histograms per (tun queue, batch class): rows of their own (struct sendmsg_row). */
const struct field hist_fields[] = {
	{ .name = "sendmsg_ns",
	  .group = "tun", .probe = "tun_sendmsg", .need = PROBE_CAP_SENDMSG_LAT,
	  .kind = FIELD_HIST, .offset = offsetof(struct sendmsg_hist, ns),
	  .unit = "calls per log2-ns bucket",
	  .help = "tun_sendmsg() durations, fentry to fexit (bpf_ktime_get_ns), in 32 log2 buckets "
		  "(0 ns; [2^(i-1), 2^i - 1] ns; from 2^30 ns up), per tun queue and batch class: "
		  "plain (a sendmsg() without TUN_MSG_PTR: one frame) or a TUN_MSG_PTR batch of "
		  "0, 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64-127 or 128+ frames (vhost-net TX batches "
		  "up to 64). -j: queues[].sendmsg_ns {count, buckets, p50_ns, p99_ns, batches[]}; "
		  "--text and report: the TUN_SENDMSG table (calls, p50, p99, max: the upper bound "
		  "of the bucket each falls in, so within a factor of 2); diff: calls, p50 and p99 "
		  "before and after, no noise test; captures: sendmsg_hist[] (format 1.6). Under QEMU TCG the ns are emulated time: compare classes, queues "
		  "and kernels with each other, never with hardware" },
};
const size_t hist_nfields = sizeof(hist_fields) / sizeof(hist_fields[0]);

const struct cap_name probe_cap_names[] = {
	{ PROBE_CAP_CACHE_HITS, "cache_hits",
	  "cache_get: hits and misses (the cache's fill level is read)" },
	{ PROBE_CAP_BH_CHECK, "bh_check", "bulk: calls outside BH context (the preempt count is read)" },
	{ PROBE_CAP_FLUSH_COUNT, "flush_count", "defer_flush: flushes counted (a list's last skb)" },
	{ PROBE_CAP_DEFER_SPLIT, "defer_split",
	  "consume: calls handed to skb_attempt_defer_free() told apart" },
	{ PROBE_CAP_XSK_SPLIT, "xsk_split",
	  "cache_refill: xsk_alloc_batch_skb()'s slab bulk calls told apart (xsk batch RFC)" },
	{ PROBE_CAP_LEVEL, "level",
	  "cache_level: the cache's fill level is read (live only: captures hold no levels)" },
	{ PROBE_CAP_SENDMSG_LAT, "sendmsg_lat",
	  "tun_sendmsg: each call timed from fentry to fexit, per queue and batch class "
	  "(captures before format 1.6 have none)" },
	{ PROBE_CAP_SIRQ_STACK, "sirq_stack",
	  "softirq_where: located by a stack walk (runs it finds no caller for counted as unknown)" },
};
const size_t probe_ncap_names = sizeof(probe_cap_names) / sizeof(probe_cap_names[0]);

static bool probe_has(const char *name, unsigned int need, const struct probe_status *p,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return p[i].mode != MODE_UNAVAILABLE && p[i].mode != MODE_DISABLED &&
			       (p[i].caps & need) == need;
	return false;
}

bool field_measured(const struct field *f, const struct probe_status *probes, size_t nprobes)
{
	if (!probes || !f->probe)
		return true;
	return probe_has(f->probe, f->need, probes, nprobes) &&
	       (!f->probe2 || probe_has(f->probe2, 0, probes, nprobes));
}

__u64 field_count(const struct field *f, const void *c)
{
	__u64 a = counter_at(c, f->offset);

	if (f->kind == FIELD_DIFF)
		return a > counter_at(c, f->offset2) ? a - counter_at(c, f->offset2) : 0;
	return a;
}

bool field_value(const struct field *f, const void *c, double *v)
{
	if (f->kind != FIELD_RATIO) {
		*v = (double)field_count(f, c);
		return true;
	}
	if (!counter_at(c, f->offset2))
		return false;
	*v = (double)counter_at(c, f->offset) / (double)counter_at(c, f->offset2);
	return true;
}

const struct field *field_find(const struct field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

size_t field_columns(const struct field *fields, size_t n, bool screen, const struct field **out,
		     size_t max)
{
	size_t k = 0;

	for (int order = 1; k < max; order++) {
		size_t i;

		for (i = 0; i < n && (screen ? fields[i].screen : fields[i].text) != order; i++)
			;
		if (i == n)
			break;
		out[k++] = &fields[i];
	}
	return k;
}
