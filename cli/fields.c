// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "fields.h"
#include "probes.h"

#define CPU(n) offsetof(struct cpu_counters, n)
#define QUEUE(n) offsetof(struct queue_counters, n)

/*
 * Columns: text is the --text table's order (its default columns), screen
 * the screen's; prio ranks screen columns by what a narrow terminal keeps
 * (1 kept longest). Titles are at most 6 characters, one vocabulary for
 * both; `skbtop --legend` and the man page explain them.
 */
const struct field cpu_fields[] = {
	{ "cache_gets", "napi_cache_gets", "gets", "cache", "cache_get", NULL, 0, FIELD_COUNT,
	  CPU(cache_gets), 0, 1, 0, 0, "calls",
	  "single-head gets from the NAPI skb cache (napi_skb_cache_get(), inline or not)" },
	{ "cache_hits", "napi_cache_hits", NULL, "cache", "cache_get", NULL, PROBE_CAP_CACHE_HITS,
	  FIELD_COUNT, CPU(cache_hits), 0, 0, 0, 0, "calls",
	  "gets that found a head in the cache" },
	{ "cache_hit_rate", NULL, "hit%", "cache", "cache_get", NULL, PROBE_CAP_CACHE_HITS,
	  FIELD_RATIO, CPU(cache_hits), CPU(cache_gets), 0, 1, 2, "ratio",
	  "NAPI cache hit rate: hits / gets (no value without gets)" },
	{ "cache_misses_refilled", "napi_cache_misses_refilled", NULL, "cache", "cache_get", NULL,
	  PROBE_CAP_CACHE_HITS, FIELD_COUNT, CPU(cache_misses_refilled), 0, 0, 0, 0, "calls",
	  "gets that found the cache empty and refilled it from the slab" },
	{ "cache_misses_slab", "napi_cache_misses_slab", NULL, "cache", "cache_get", NULL,
	  PROBE_CAP_CACHE_HITS, FIELD_COUNT, CPU(cache_misses_slab), 0, 0, 0, 0, "calls",
	  "gets that found the cache empty and fell back to one slab allocation" },
	{ "cache_puts", "napi_cache_puts", "puts", "cache", "cache_put", NULL, 0, FIELD_COUNT,
	  CPU(cache_puts), 0, 0, 0, 0, "heads",
	  "skb heads returned to the cache (napi_skb_cache_put())" },
	{ "cache_refills", "napi_cache_refills", "refil", "cache", "cache_refill", NULL, 0,
	  FIELD_COUNT, CPU(cache_refills), 0, 2, 2, 5, "calls",
	  "bulk refills of the NAPI skb cache from the slab" },
	{ "cache_refill_heads", "napi_cache_refill_heads", NULL, "cache", "cache_refill", NULL, 0,
	  FIELD_COUNT, CPU(cache_refill_heads), 0, 0, 0, 0, "heads",
	  "skb heads those refills gave" },
	{ "cache_flushes", "napi_cache_flushes", NULL, "cache", "cache_flush", NULL, 0, FIELD_COUNT,
	  CPU(cache_flushes), 0, 0, 0, 0, "calls",
	  "NAPI skb cache flushes to the slab when full" },
	{ "cache_flush_heads", "napi_cache_flush_heads", NULL, "cache", "cache_flush", NULL, 0,
	  FIELD_COUNT, CPU(cache_flush_heads), 0, 0, 0, 0, "heads",
	  "skb heads those flushes released" },
	{ "slab_bulk_getbulk_calls", "slab_bulk_getbulk_calls", NULL, "cache", "cache_refill", NULL,
	  0, FIELD_COUNT, CPU(slab_bulk_getbulk_calls), 0, 0, 0, 0, "calls",
	  "slab bulk allocations by napi_skb_cache_get_bulk() past the cache" },
	{ "slab_bulk_getbulk_heads", "slab_bulk_getbulk_heads", NULL, "cache", "cache_refill", NULL,
	  0, FIELD_COUNT, CPU(slab_bulk_getbulk_heads), 0, 0, 0, 0, "heads",
	  "skb heads those allocations gave" },
	{ "slab_bulk_other_calls", "slab_bulk_other_calls", NULL, "cache", "cache_refill", NULL, 0,
	  FIELD_COUNT, CPU(slab_bulk_other_calls), 0, 0, 0, 0, "calls",
	  "other slab bulk allocations of skb heads (not into the NAPI cache)" },
	{ "slab_bulk_other_heads", "slab_bulk_other_heads", NULL, "cache", "cache_refill", NULL, 0,
	  FIELD_COUNT, CPU(slab_bulk_other_heads), 0, 0, 0, 0, "heads",
	  "skb heads those allocations gave" },
	{ "slab_free_bulk_other_calls", "slab_free_bulk_other_calls", NULL, "cache", "cache_flush",
	  NULL, 0, FIELD_COUNT, CPU(slab_free_bulk_other_calls), 0, 0, 0, 0, "calls",
	  "slab bulk frees of skb heads not out of the NAPI cache" },
	{ "slab_free_bulk_other_heads", "slab_free_bulk_other_heads", NULL, "cache", "cache_flush",
	  NULL, 0, FIELD_COUNT, CPU(slab_free_bulk_other_heads), 0, 0, 0, 0, "heads",
	  "skb heads those frees released" },
	{ "bulk_calls", "bulk_calls", "bulk", "bulk", "bulk", NULL, 0, FIELD_COUNT, CPU(bulk_calls),
	  0, 3, 3, 4, "calls", "napi_skb_cache_get_bulk() calls" },
	{ "bulk_asked", "bulk_heads_asked", "asked", "bulk", "bulk", NULL, 0, FIELD_COUNT,
	  CPU(bulk_asked), 0, 0, 4, 9, "heads", "skb heads asked of napi_skb_cache_get_bulk()" },
	{ "bulk_got", "bulk_heads_got", "got", "bulk", "bulk", NULL, 0, FIELD_COUNT, CPU(bulk_got),
	  0, 0, 5, 10, "heads", "skb heads napi_skb_cache_get_bulk() returned" },
	{ "bulk_short_heads", "bulk_heads_short", NULL, "bulk", "bulk", NULL, 0, FIELD_DIFF,
	  CPU(bulk_asked), CPU(bulk_got), 0, 0, 0, "heads",
	  "skb heads napi_skb_cache_get_bulk() did not supply (asked minus got)" },
	{ "bulk_short_calls", "bulk_short_calls", "short", "bulk", "bulk", NULL, 0, FIELD_COUNT,
	  CPU(bulk_short_calls), 0, 4, 6, 3, "calls",
	  "napi_skb_cache_get_bulk() calls that returned fewer than asked" },
	{ "bulk_nonbh_calls", "bulk_nonbh_calls", "nonBH", "bulk", "bulk", NULL, PROBE_CAP_BH_CHECK,
	  FIELD_COUNT, CPU(bulk_nonbh_calls), 0, 0, 7, 11, "calls",
	  "napi_skb_cache_get_bulk() calls outside BH context" },
	{ "builds", "skb_builds", "builds", "build", "build", NULL, 0, FIELD_COUNT, CPU(builds), 0,
	  0, 0, 0, "skbs", "skbs built by build_skb(), build_skb_around(), napi_build_skb()" },
	{ "consume_calls", "napi_consume_calls", "cons", "consume", "consume", NULL, 0, FIELD_COUNT,
	  CPU(consume_calls), 0, 5, 0, 0, "calls", "napi_consume_skb() calls" },
	{ "consume_budget0", "napi_consume_budget0_calls", "bdg0", "consume", "consume", NULL, 0,
	  FIELD_COUNT, CPU(consume_budget0), 0, 6, 8, 12, "calls",
	  "napi_consume_skb() calls with budget 0 (non-NAPI)" },
	{ "consume_deferred", "napi_consume_deferred", "cdefer", "consume", "consume", NULL,
	  PROBE_CAP_DEFER_SPLIT, FIELD_COUNT, CPU(consume_deferred), 0, 0, 9, 13, "calls",
	  "napi_consume_skb() calls deferred to the allocating CPU" },
	{ "consume_recycled", "napi_consume_recycled", "recyc", "consume", "consume", NULL, 0,
	  FIELD_COUNT, CPU(consume_recycled), 0, 7, 10, 14, "calls",
	  "napi_consume_skb() calls that recycled the head into the NAPI cache" },
	{ "defer_queued", "defer_queued", "defQ", "defer", "defer_queue", NULL, 0, FIELD_COUNT,
	  CPU(defer_queued), 0, 8, 11, 6, "skbs",
	  "skbs queued for deferred free on another CPU" },
	{ "defer_kicks_sent", "defer_kicks_sent", "kick>", "defer", "defer_kick", NULL, 0,
	  FIELD_COUNT, CPU(defer_kicks_sent), 0, 9, 12, 7, "kicks",
	  "defer-list kicks (trigger_rx_softirq csds) sent" },
	{ "defer_kicks_recv", "defer_kicks_received", "kick<", "defer", "defer_recv", NULL, 0,
	  FIELD_COUNT, CPU(defer_kicks_recv), 0, 0, 13, 15, "kicks",
	  "defer-list kicks run on this CPU" },
	{ "defer_ipis_sent", "defer_ipis_sent", "ipi>", "defer", "defer_ipi", NULL, 0, FIELD_COUNT,
	  CPU(defer_ipis_sent), 0, 10, 14, 8, "IPIs", "IPIs sent for defer-list kicks" },
	{ "defer_ipis_recv", "defer_ipis_received", "ipi<", "defer", "defer_ipi", NULL, 0,
	  FIELD_KICKS, CPU(defer_ipis_recv), 0, 0, 15, 16, "IPIs",
	  "IPIs received for defer-list kicks (from the sender x target matrix)" },
	{ "defer_flushes", "defer_flushes", "flush", "defer", "defer_flush", NULL,
	  PROBE_CAP_FLUSH_COUNT, FIELD_COUNT, CPU(defer_flushes), 0, 0, 16, 17, "calls",
	  "defer-list flushes that freed skbs" },
	{ "defer_flush_skbs", "defer_flush_skbs", "flskb", "defer", "defer_flush", NULL, 0,
	  FIELD_COUNT, CPU(defer_flush_skbs), 0, 0, 17, 18, "skbs",
	  "skbs freed by defer-list flushes" },
	/* skbtop_drops_total is the per-reason family; this one counts every drop */
	{ "drops", "kfree_skb", "drops", "drops", "drops", NULL, 0, FIELD_COUNT, CPU(drops), 0, 11,
	  18, 1, "skbs", "kfree_skb() drops" },
	{ "tun_consumes", "tun_consumes", NULL, "tun", "tun_consume", NULL, 0, FIELD_COUNT,
	  CPU(tun_consumes), 0, 0, 0, 0, "skbs", "consume_skb() of skbs on tun/tap devices" },
	{ "map_full", "map_full", NULL, "health", NULL, NULL, 0, FIELD_COUNT, CPU(map_full), 0, 0,
	  0, 0, "updates", "map updates refused because a map was full" },
};
const size_t cpu_nfields = sizeof(cpu_fields) / sizeof(cpu_fields[0]);
_Static_assert(sizeof(cpu_fields) / sizeof(cpu_fields[0]) <= FIELDS_MAX, "raise FIELDS_MAX");

/* Per tun/tap queue: /metrics families skbtop_queue_<name>_total. */
const struct field queue_fields[] = {
	{ "builds", "queue_builds", "builds", "tun", "tun_sendmsg", "build", 0, FIELD_COUNT,
	  QUEUE(builds), 0, 1, 1, 3, "skbs", "skbs built inside tun_sendmsg()" },
	{ "bulk_calls", "queue_bulk_calls", "bulk", "tun", "tun_sendmsg", "bulk", 0, FIELD_COUNT,
	  QUEUE(bulk_calls), 0, 2, 2, 4, "calls",
	  "napi_skb_cache_get_bulk() calls inside tun_sendmsg()" },
	{ "bulk_asked", "queue_bulk_asked", "asked", "tun", "tun_sendmsg", "bulk", 0, FIELD_COUNT,
	  QUEUE(bulk_asked), 0, 3, 0, 0, "heads", "skb heads asked by those calls" },
	{ "bulk_got", "queue_bulk_got", "got", "tun", "tun_sendmsg", "bulk", 0, FIELD_COUNT,
	  QUEUE(bulk_got), 0, 4, 0, 0, "heads", "skb heads returned to those calls" },
	{ "bulk_short_calls", "queue_bulk_short_calls", "short", "tun", "tun_sendmsg", "bulk", 0,
	  FIELD_COUNT, QUEUE(bulk_short_calls), 0, 5, 3, 2, "calls",
	  "those calls that returned fewer than asked" },
	{ "sendmsg_calls", "queue_sendmsg_calls", "sendm", "tun", "tun_sendmsg", NULL, 0,
	  FIELD_COUNT, QUEUE(sendmsg_calls), 0, 0, 4, 5, "calls", "tun_sendmsg() calls" },
	{ "sendmsg_batches", "queue_sendmsg_batches", NULL, "tun", "tun_sendmsg", NULL, 0,
	  FIELD_COUNT, QUEUE(sendmsg_batches), 0, 0, 0, 0, "calls",
	  "tun_sendmsg() TUN_MSG_PTR batches" },
	{ "sendmsg_frames", "queue_sendmsg_frames", NULL, "tun", "tun_sendmsg", NULL, 0,
	  FIELD_COUNT, QUEUE(sendmsg_frames), 0, 0, 0, 0, "frames", "frames in those batches" },
	{ "consumes", "queue_consumes", "cons", "tun", "tun_consume", NULL, 0, FIELD_COUNT,
	  QUEUE(consumes), 0, 6, 5, 6, "skbs", "consume_skb() of the queue's skbs" },
	{ "napi_consumes", "queue_napi_consumes", NULL, "tun", "consume", NULL, 0, FIELD_COUNT,
	  QUEUE(napi_consumes), 0, 0, 0, 0, "skbs", "napi_consume_skb() of the queue's skbs" },
	{ "drops", "queue_drops", "drops", "tun", "drops", NULL, 0, FIELD_COUNT, QUEUE(drops), 0, 7,
	  6, 1, "skbs", "kfree_skb() of the queue's skbs" },
};
const size_t queue_nfields = sizeof(queue_fields) / sizeof(queue_fields[0]);

/* The defer sender x target matrix, per (from_cpu, to_cpu) pair. */
const struct field kick_fields[] = {
	{ "queued", "defer_queued_skbs", "queued", "defer", "defer_queue", NULL, 0, FIELD_COUNT,
	  offsetof(struct kick_cell, queued), 0, 1, 0, 0, "skbs",
	  "skbs queued by from_cpu for deferred free on to_cpu (their allocating CPU)" },
	{ "kicks", "defer_kicks", "kicks", "defer", "defer_kick", NULL, 0, FIELD_COUNT,
	  offsetof(struct kick_cell, kicks), 0, 2, 0, 0, "kicks",
	  "defer-list kicks (trigger_rx_softirq csds) queued by from_cpu for to_cpu" },
	{ "ipis", "defer_ipis", "ipis", "defer", "defer_ipi", NULL, 0, FIELD_COUNT,
	  offsetof(struct kick_cell, ipis), 0, 3, 0, 0, "IPIs",
	  "IPIs from_cpu sent to to_cpu for defer-list kicks" },
};
const size_t kick_nfields = sizeof(kick_fields) / sizeof(kick_fields[0]);

const struct cap_name probe_cap_names[] = {
	{ PROBE_CAP_CACHE_HITS, "cache_hits",
	  "cache_get: hits and misses (the cache's fill level is read)" },
	{ PROBE_CAP_BH_CHECK, "bh_check", "bulk: calls outside BH context (the preempt count is read)" },
	{ PROBE_CAP_FLUSH_COUNT, "flush_count", "defer_flush: flushes counted (fexit)" },
	{ PROBE_CAP_DEFER_SPLIT, "defer_split",
	  "consume: calls handed to skb_attempt_defer_free() told apart" },
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

static __u64 at(const void *c, size_t off)
{
	return *(const __u64 *)((const char *)c + off);
}

__u64 field_count(const struct field *f, const void *c)
{
	__u64 a = at(c, f->offset);

	if (f->kind == FIELD_DIFF)
		return a > at(c, f->offset2) ? a - at(c, f->offset2) : 0;
	return a;
}

bool field_value(const struct field *f, const void *c, double *v)
{
	if (f->kind != FIELD_RATIO) {
		*v = (double)field_count(f, c);
		return true;
	}
	if (!at(c, f->offset2))
		return false;
	*v = (double)at(c, f->offset) / (double)at(c, f->offset2);
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
