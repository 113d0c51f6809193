// SPDX-License-Identifier: GPL-2.0
/*
 * kfree_skb() drops by reason, CPU, device+queue and location, and
 * consume_skb() of skbs on tun/tap devices, per queue.
 * Attach chain for both: tp_btf -> raw_tp.
 */
#include "common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_DROP_KEYS);
	__type(key, struct drop_key);
	__type(value, __u64);
} drop_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_QUEUE_KEYS);
	__type(key, struct queue_key);
	__type(value, struct queue_counters);
} queue_counters SEC(".maps");

static const __u64 zero_u64;
static const struct queue_counters zero_queue;

static __always_inline int handle_kfree_skb(struct sk_buff *skb, void *location, __u32 reason,
					    bool btf)
{
	struct cpu_counters *c = this_cpu_counters();
	struct drop_key key = {};
	__u64 *count;

	if (c)
		INC(c->drops);
	key.reason = reason;
	key.location = (__u64)location;
	if (btf ? skb_dev_queue_btf(skb, &key.ifindex, key.ifname, &key.queue, &key.dir, true)
		: skb_dev_queue(skb, &key.ifindex, key.ifname, &key.queue, &key.dir)) {
		struct queue_key qk = {
			.ifindex = key.ifindex, .queue = key.queue, .dir = key.dir,
		};
		struct queue_counters *q;

		__builtin_memcpy(qk.ifname, key.ifname, sizeof(qk.ifname));
		q = percpu_hash_get(&queue_counters, &qk, &zero_queue);
		if (q)
			INC(q->drops);
	}
	count = percpu_hash_get(&drop_counts, &key, &zero_u64);
	if (count)
		INC(*count);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return handle_kfree_skb(skb, location, reason, true);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return handle_kfree_skb(skb, location, reason, false);
}

static __always_inline int handle_consume_skb(struct sk_buff *skb, bool btf)
{
	struct queue_key qk = {};
	struct queue_counters *q;
	struct cpu_counters *c;

	if (!(btf ? skb_dev_queue_btf(skb, &qk.ifindex, qk.ifname, &qk.queue, &qk.dir, false)
		  : skb_dev_queue(skb, &qk.ifindex, qk.ifname, &qk.queue, &qk.dir)))
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->tun_consumes);
	q = percpu_hash_get(&queue_counters, &qk, &zero_queue);
	if (q)
		INC(q->consumes);
	return 0;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(tun_consume_btf, struct sk_buff *skb)
{
	return handle_consume_skb(skb, true);
}

SEC("raw_tp/consume_skb")
int BPF_PROG(tun_consume_raw, struct sk_buff *skb)
{
	return handle_consume_skb(skb, false);
}
