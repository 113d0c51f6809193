// SPDX-License-Identifier: GPL-2.0
/*
 * Deferred skb frees: skbs queued for their allocating CPU, the
 * trigger_rx_softirq kicks (csds) and IPIs they cause, and the flushes.
 *
 *   defer_queue: fentry/kprobe skb_attempt_defer_free
 * The csd tracepoints are raw_tp only: tp_btf cannot read their
 * smp_call_func_t argument.
 *
 *   defer_kick:  csd:csd_queue_cpu with func == trigger_rx_softirq
 *   defer_ipi:   ipi:ipi_send_cpu right after such a csd on the same CPU
 *   defer_recv:  csd:csd_function_entry with func == trigger_rx_softirq
 *   defer_flush: consume_skb events whose location lies in
 *                skb_defer_free_flush are the skbs it frees, one event
 *                each, in list order (napi_consume_skb() with budget 1 on
 *                this CPU's own skbs: never re-deferred, and each holds its
 *                last reference). The last skb of a list has a NULL next
 *                pointer (ll_node.next on 6.19+, which overlays skb->next,
 *                the link of the list on 6.12 and 6.18): its event closes
 *                the flush (count, histogram). A flush is therefore one
 *                defer list emptied: one per call, except on 6.19+ NUMA
 *                machines, where a call empties one list per node whose
 *                CPUs queued skbs here.
 *
 * No program on skb_defer_free_flush itself: it runs on every pass of
 * net_rx_action's poll loop (and of threaded NAPI), nearly always with an
 * empty list, and an fexit there cost two trampolines a packet on
 * loopback (the fexit this replaced). The location is napi_consume_skb()'s
 * return address, so it is only right while nothing rewrites that
 * address: an fexit or fmod_ret on napi_consume_skb (skbtop's consume
 * probe is fentry-only for this, and userspace looks for another tool's),
 * a kretprobe or the function_graph tracer on it (not detected).
 */
#include "common.bpf.h"

const volatile __u64 trigger_rx_softirq_addr;	/* from /proc/kallsyms */
const volatile __u64 flush_text_lo;		/* skb_defer_free_flush text range */
const volatile __u64 flush_text_hi;
const volatile __u32 nr_cpus;

/* Sender (this CPU) x target (index) matrix; sized to the CPU count at load. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kick_cell);
} kick_matrix SEC(".maps");

struct defer_state {
	__u32 pending_ipi_target;	/* target + 1 of the last kick not yet matched */
	__u32 pad;
	__u64 flush_skbs;		/* skbs of the flush in progress, until its last */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct defer_state);
} defer_state SEC(".maps");

static __always_inline struct defer_state *this_defer_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&defer_state, &zero);
}

static __always_inline int handle_defer_queue(struct sk_buff *skb)
{
	__u32 target = BPF_CORE_READ(skb, alloc_cpu);
	struct cpu_counters *c;
	struct kick_cell *cell;

	/* skb_attempt_defer_free() frees locally when the skb is this CPU's */
	if (target == bpf_get_smp_processor_id() || target >= nr_cpus)
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->defer_queued);
	cell = bpf_map_lookup_elem(&kick_matrix, &target);
	if (cell)
		INC(cell->queued);
	return 0;
}

SEC("fentry/skb_attempt_defer_free")
int BPF_PROG(defer_queue, struct sk_buff *skb)
{
	return handle_defer_queue(skb);
}

SEC("kprobe/skb_attempt_defer_free")
int BPF_KPROBE(defer_queue_kprobe, struct sk_buff *skb)
{
	return handle_defer_queue(skb);
}

static __always_inline int handle_csd_queue(__u32 target, void *func)
{
	struct defer_state *st = this_defer_state();
	struct cpu_counters *c;
	struct kick_cell *cell;

	if (!st)
		return 0;
	if ((__u64)func != trigger_rx_softirq_addr || target >= nr_cpus) {
		st->pending_ipi_target = 0;
		return 0;
	}
	st->pending_ipi_target = target + 1;
	c = this_cpu_counters();
	if (c)
		INC(c->defer_kicks_sent);
	cell = bpf_map_lookup_elem(&kick_matrix, &target);
	if (cell)
		INC(cell->kicks);
	return 0;
}

SEC("raw_tp/csd_queue_cpu")
int BPF_PROG(defer_kick_raw, unsigned int cpu, unsigned long callsite, void *func, void *csd)
{
	return handle_csd_queue(cpu, func);
}

/*
 * __smp_call_single_queue() sends the IPI right after queueing the csd,
 * only when the target's queue was empty; the two events run back to back
 * on the sending CPU, so an IPI to the pending target belongs to the kick.
 */
static __always_inline int handle_ipi_send(__u32 target)
{
	struct defer_state *st = this_defer_state();
	struct cpu_counters *c;
	struct kick_cell *cell;
	__u32 pending;

	if (!st)
		return 0;
	pending = st->pending_ipi_target;
	st->pending_ipi_target = 0;
	if (!pending || pending - 1 != target || target >= nr_cpus)
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->defer_ipis_sent);
	cell = bpf_map_lookup_elem(&kick_matrix, &target);
	if (cell)
		INC(cell->ipis);
	return 0;
}

SEC("raw_tp/ipi_send_cpu")
int BPF_PROG(defer_ipi_raw, unsigned int cpu, unsigned long callsite, void *callback)
{
	return handle_ipi_send(cpu);
}

static __always_inline int handle_csd_run(void *func)
{
	struct cpu_counters *c;

	if ((__u64)func != trigger_rx_softirq_addr)
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->defer_kicks_recv);
	return 0;
}

SEC("raw_tp/csd_function_entry")
int BPF_PROG(defer_recv_raw, void *func, void *csd)
{
	return handle_csd_run(func);
}

/* One skb freed by a flush; last: it ends its list (next == NULL), and so the flush. */
static __always_inline int handle_flush_consume(void *location, bool last)
{
	struct defer_state *st;
	struct cpu_counters *c;
	__u64 n;

	if ((__u64)location < flush_text_lo || (__u64)location >= flush_text_hi)
		return 0;
	c = this_cpu_counters();
	st = this_defer_state();
	if (!c || !st)
		return 0;
	INC(c->defer_flush_skbs);
	n = ++st->flush_skbs;
	if (!last)
		return 0;
	st->flush_skbs = 0;
	INC(c->defer_flushes);
	INC(c->defer_flush_hist[log2_slot(n)]);
	return 0;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(flush_consume_btf, struct sk_buff *skb, void *location)
{
	return handle_flush_consume(location, !skb->next);
}

SEC("raw_tp/consume_skb")
int BPF_PROG(flush_consume_raw, struct sk_buff *skb, void *location)
{
	return handle_flush_consume(location, !BPF_CORE_READ(skb, next));
}
