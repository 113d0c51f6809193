// SPDX-License-Identifier: GPL-2.0
/*
 * napi_consume_skb(skb, budget): calls with budget 0 (non-NAPI callers),
 * calls deferred to the allocating CPU (6.19+), and heads recycled into the
 * NAPI cache. fentry classifies, fexit settles; skb_attempt_defer_free()
 * seen in between marks the call deferred.
 */
#include "common.bpf.h"

#define SKB_FCLONE_UNAVAILABLE 0

struct consume_state {
	__u64 skb;		/* the skb of the napi_consume_skb() in progress */
	__u32 would_recycle;	/* last reference, not a clone */
	__u32 deferred;
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
		st->skb = 0;
		return 0;
	}
	st->skb = (__u64)skb;
	st->deferred = 0;
	st->would_recycle = skb->users.refs.counter == 1 &&
			    BPF_CORE_READ_BITFIELD(skb, fclone) == SKB_FCLONE_UNAVAILABLE;
	return 0;
}

SEC("fentry/skb_attempt_defer_free")
int BPF_PROG(consume_defer, struct sk_buff *skb)
{
	struct consume_state *st = this_consume_state();

	if (st && st->skb == (__u64)skb)
		st->deferred = 1;
	return 0;
}

SEC("fexit/napi_consume_skb")
int BPF_PROG(consume_exit, struct sk_buff *skb, int budget)
{
	struct cpu_counters *c = this_cpu_counters();
	struct consume_state *st = this_consume_state();

	if (!c || !st || !budget || st->skb != (__u64)skb)
		return 0;
	if (st->deferred)
		INC(c->consume_deferred);
	else if (st->would_recycle)
		INC(c->consume_recycled);
	st->skb = 0;
	return 0;
}
