// SPDX-License-Identifier: GPL-2.0
/*
 * napi_consume_skb(skb, budget): calls with budget 0 (non-NAPI callers),
 * calls deferred to the allocating CPU (6.19+), and heads recycled into the
 * NAPI cache. The fentry notes the skb when this call holds its last
 * reference; skb_attempt_defer_free() on it marks the call deferred; the
 * consume_skb event that napi_consume_skb() fires on its free path marks it
 * freed here, and recycled unless it is a clone.
 *
 * consume_task counts calls with a non-zero budget made in task context,
 * with no softirq being served: outside a NAPI poll (the preempt count, an
 * x86 per-CPU variable that needs KALLSYMS_ALL). Threaded NAPI and busy
 * polling also poll from a task with BH disabled, and count here.
 *
 * No fexit: a trampoline that calls napi_consume_skb() would put itself in
 * the consume_skb event's location, which the defer_flush probe reads.
 */
#include "common.bpf.h"

#define SKB_FCLONE_UNAVAILABLE 0
/* include/linux/preempt.h: a softirq being served, a hardirq, an NMI */
#define SOFTIRQ_OFFSET	0x100
#define HARDIRQ_MASK	0xf0000
#define NMI_MASK	0xf00000

extern int __preempt_count __ksym __weak;

const volatile __u64 consume_text_lo;	/* napi_consume_skb text range */
const volatile __u64 consume_text_hi;

struct consume_state {
	__u64 skb;	/* last reference held by the napi_consume_skb() in progress */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct consume_state);
} consume_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_QUEUE_KEYS);
	__type(key, struct queue_key);
	__type(value, struct queue_counters);
} queue_counters SEC(".maps");

static const struct queue_counters zero_queue;

static __always_inline struct consume_state *this_consume_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&consume_state, &zero);
}

SEC("fentry/napi_consume_skb")
int BPF_PROG(consume_entry, struct sk_buff *skb, int budget)
{
	struct cpu_counters *c = this_cpu_counters();
	struct consume_state *st = this_consume_state();
	struct queue_key qk = {};
	struct queue_counters *q;
	struct net_device *dev;

	if (!c || !st)
		return 0;
	st->skb = 0;
	if (!skb)
		return 0;
	INC(c->consume_calls);
	/* direct loads through the BTF-typed skb; the name only for tun/tap */
	dev = skb_tun_queue(skb, &qk.ifindex, &qk.queue, &qk.dir, true);
	if (dev) {
		bpf_probe_read_kernel_str(qk.ifname, SKBTOP_IFNAMSIZ, dev->name);
		q = percpu_hash_get(&queue_counters, &qk, &zero_queue);
		if (q)
			INC(q->napi_consumes);
	}
	if (!budget) {
		INC(c->consume_budget0);
		return 0;
	}
	/* a reference held elsewhere: this call only drops ours */
	if (skb->users.refs.counter == 1)
		st->skb = (__u64)skb;
	return 0;
}

SEC("fentry/napi_consume_skb")
int BPF_PROG(consume_task, struct sk_buff *skb, int budget)
{
	struct queue_key qk = {};
	struct cpu_counters *c;
	struct queue_counters *q;
	struct net_device *dev;

	if (!budget || !skb ||
	    *(int *)bpf_this_cpu_ptr(&__preempt_count) & (SOFTIRQ_OFFSET | HARDIRQ_MASK | NMI_MASK))
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->consume_budget_task);
	dev = skb_tun_queue(skb, &qk.ifindex, &qk.queue, &qk.dir, true);
	if (dev) {
		bpf_probe_read_kernel_str(qk.ifname, SKBTOP_IFNAMSIZ, dev->name);
		q = percpu_hash_get(&queue_counters, &qk, &zero_queue);
		if (q)
			INC(q->napi_consumes_task);
	}
	return 0;
}

SEC("fentry/skb_attempt_defer_free")
int BPF_PROG(consume_defer, struct sk_buff *skb)
{
	struct consume_state *st = this_consume_state();
	struct cpu_counters *c;

	if (!st || st->skb != (__u64)skb)
		return 0;
	st->skb = 0;
	c = this_cpu_counters();
	if (c)
		INC(c->consume_deferred);
	return 0;
}

/*
 * consume_skb() called from inside napi_consume_skb() (a zerocopy skb on the
 * 6.19+ defer path) frees to the slab: its location is napi_consume_skb.
 */
static __always_inline int handle_consume_freed(struct sk_buff *skb, __u64 location)
{
	struct consume_state *st = this_consume_state();
	struct cpu_counters *c;

	if (!st || !skb || st->skb != (__u64)skb)
		return 0;
	st->skb = 0;
	if (location >= consume_text_lo && location < consume_text_hi)
		return 0;
	if (BPF_CORE_READ_BITFIELD(skb, fclone) != SKB_FCLONE_UNAVAILABLE)
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->consume_recycled);
	return 0;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(consume_freed, struct sk_buff *skb, void *location)
{
	return handle_consume_freed(skb, (__u64)location);
}

/* before 6.3 the event has no location, and napi_consume_skb() no defer path */
SEC("tp_btf/consume_skb")
int BPF_PROG(consume_freed_noloc, struct sk_buff *skb)
{
	return handle_consume_freed(skb, 0);
}
