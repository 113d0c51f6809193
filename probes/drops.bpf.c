// SPDX-License-Identifier: GPL-2.0
/*
 * kfree_skb() drops by reason and CPU, and consume_skb() of skbs on tun/tap
 * devices, per queue. Attach chain for both: tp_btf -> raw_tp.
 *
 * Hot path, per drop: one add in a per-CPU array slot chosen by the reason;
 * for skbs on a tun/tap device, one add in a per-CPU direct-mapped queue
 * cell. No hash, no string read. With -L (drop_detail) each drop instead
 * counts its (reason, device, queue, location) tuple, the dropwatch view:
 * in a per-CPU direct-mapped cell when the tuple owns one, else in a
 * per-CPU hash (a hash update and a name read per drop).
 */
#include "common.bpf.h"

const volatile bool drop_detail;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBTOP_DROP_REASON_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} drop_reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBTOP_DROP_CELLS);
	__type(key, __u32);
	__type(value, struct drop_cell);
} drop_cells SEC(".maps");

/* -L rows without a cell, and reasons that have no slot in drop_reasons */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_DROP_KEYS);
	__type(key, struct drop_key);
	__type(value, __u64);
} drop_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SKBTOP_QUEUE_SLOTS);
	__type(key, __u32);
	__type(value, struct queue_slot);
} queue_slots SEC(".maps");

/* queues whose cell in queue_slots another queue owns */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_QUEUE_KEYS);
	__type(key, struct queue_key);
	__type(value, struct queue_counters);
} queue_counters SEC(".maps");

static const __u64 zero_u64;
static const struct queue_counters zero_queue;

/* One drop (is_drop) or consume on a tun/tap queue. */
static __always_inline void count_tun_queue(struct net_device *dev, __u32 ifindex, __u16 queue,
					    __u8 dir, bool is_drop)
{
	__u32 idx = queue_slot_index(ifindex, queue, dir);
	struct queue_slot *cell = bpf_map_lookup_elem(&queue_slots, &idx);
	struct queue_counters *q;
	struct queue_key qk = {};

	if (!cell)
		return;
	if (!cell->key.ifindex) {
		/* claim: one program run at a time per CPU, so no race here */
		bpf_probe_read_kernel_str(cell->key.ifname, SKBTOP_IFNAMSIZ, dev->name);
		cell->key.queue = queue;
		cell->key.dir = dir;
		cell->dev = (__u64)dev;
		asm volatile("" ::: "memory");	/* owner complete before it is marked */
		cell->key.ifindex = ifindex;
	}
	if (cell->dev == (__u64)dev && cell->key.ifindex == ifindex &&
	    cell->key.queue == queue && cell->key.dir == dir) {
		if (is_drop)
			INC(cell->drops);
		else
			INC(cell->consumes);
		return;
	}
	qk.ifindex = ifindex;
	qk.queue = queue;
	qk.dir = dir;
	bpf_probe_read_kernel_str(qk.ifname, SKBTOP_IFNAMSIZ, dev->name);
	q = percpu_hash_get(&queue_counters, &qk, &zero_queue);
	if (!q)
		return;
	if (is_drop)
		INC(q->drops);
	else
		INC(q->consumes);
}

static __always_inline void count_drop_detail(struct sk_buff *skb, void *location, __u32 reason,
					      bool btf)
{
	struct net_device *dev = btf ? skb->dev : BPF_CORE_READ(skb, dev);
	struct drop_key key = {};
	struct drop_cell *cell;
	__u64 *count;
	__u32 idx;

	key.reason = reason;
	key.location = (__u64)location;
	if (dev) {
		/* any device: its index; a tun/tap one: its queue and dir too */
		key.ifindex = btf ? dev->ifindex : BPF_CORE_READ(dev, ifindex);
		skb_tun_queue(skb, &key.ifindex, &key.queue, &key.dir, btf);
	}
	idx = drop_cell_index(reason, key.location, key.ifindex, key.queue);
	cell = bpf_map_lookup_elem(&drop_cells, &idx);
	if (!cell)
		return;
	if (!cell->taken) {
		/* claim: one program run at a time per CPU, so no race here */
		cell->key = key;
		if (dev)
			bpf_probe_read_kernel_str(cell->key.ifname, SKBTOP_IFNAMSIZ, dev->name);
		cell->dev = (__u64)dev;
		asm volatile("" ::: "memory");	/* owner complete before it is marked */
		cell->taken = 1;
	}
	if (cell->dev == (__u64)dev && cell->key.reason == reason &&
	    cell->key.location == key.location && cell->key.ifindex == key.ifindex &&
	    cell->key.queue == key.queue && cell->key.dir == key.dir) {
		INC(cell->count);
		return;
	}
	if (dev)
		bpf_probe_read_kernel_str(key.ifname, SKBTOP_IFNAMSIZ, dev->name);
	count = percpu_hash_get(&drop_counts, &key, &zero_u64);
	if (count)
		INC(*count);
}

static __always_inline int handle_kfree_skb(struct sk_buff *skb, void *location, __u32 reason,
					    bool btf)
{
	__u32 slot = drop_reason_slot(reason), ifindex;
	struct net_device *dev;
	__u64 *count;
	__u16 queue;
	__u8 dir;

	/* per-CPU totals (cpu_counters.drops) are the sum of these, in userspace */
	if (drop_detail || slot >= SKBTOP_DROP_REASON_SLOTS)
		count_drop_detail(skb, location, reason, btf);
	else if ((count = bpf_map_lookup_elem(&drop_reasons, &slot)))
		INC(*count);
	dev = skb_tun_queue(skb, &ifindex, &queue, &dir, btf);
	if (dev)
		count_tun_queue(dev, ifindex, queue, dir, true);
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
	struct net_device *dev;
	struct cpu_counters *c;
	__u32 ifindex;
	__u16 queue;
	__u8 dir;

	dev = skb_tun_queue(skb, &ifindex, &queue, &dir, btf);
	if (!dev)
		return 0;
	c = this_cpu_counters();
	if (c)
		INC(c->tun_consumes);
	count_tun_queue(dev, ifindex, queue, dir, false);
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
