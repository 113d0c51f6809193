/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by every probe object. BPF side only. */
#ifndef SKBTOP_COMMON_BPF_H
#define SKBTOP_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "skbtop.h"

#define E2BIG 7	/* include/uapi/asm-generic/errno-base.h */

char LICENSE[] SEC("license") = "GPL";

/* Every object owns its per-CPU counters; userspace sums the objects. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cpu_counters);
} cpu_counters SEC(".maps");

static __always_inline struct cpu_counters *this_cpu_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_counters, &zero);
}

/* floor(log2(v)) for v > 0, branch-free (no loops for the verifier) */
static __always_inline __u32 log2_u32(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xffff) << 4; v >>= r;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Bucket 0 holds 0; bucket i holds [2^(i-1), 2^i - 1]; the last is open. */
static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 slot;

	if (v == 0)
		return 0;
	slot = v > 0xffffffffULL ? 33 : log2_u32((__u32)v) + 1;
	return slot < SKBTOP_HIST_SLOTS ? slot : SKBTOP_HIST_SLOTS - 1;
}

/* Every counter lives in a per-CPU map: plain adds, no locked instructions. */
#define INC(x) ((x) += 1)
#define ADD(x, v) ((x) += (v))

static __always_inline void *percpu_hash_get(void *map, const void *key, const void *zero)
{
	void *val = bpf_map_lookup_elem(map, key);
	struct cpu_counters *c;

	if (val)
		return val;
	/* -EEXIST: another CPU inserted it first; only -E2BIG loses a count */
	if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) == -E2BIG &&
	    (c = this_cpu_counters()))
		__sync_fetch_and_add(&c->map_full, 1);
	return bpf_map_lookup_elem(map, key);
}

/*
 * rtnl_link_ops of the tun driver and of one other driver, learned on first
 * sight: after that, tun-ness is one pointer compare, not a string read.
 */
__u64 tun_ops_seen;
__u64 other_ops_seen;

static __always_inline bool ops_is_tun(const struct rtnl_link_ops *ops)
{
	char buf[4] = {};

	if (!ops)
		return false;
	if ((__u64)ops == tun_ops_seen)
		return true;
	if ((__u64)ops == other_ops_seen)
		return false;
	if (bpf_probe_read_kernel_str(buf, sizeof(buf), BPF_CORE_READ(ops, kind)) == 4 &&
	    buf[0] == 't' && buf[1] == 'u' && buf[2] == 'n') {
		tun_ops_seen = (__u64)ops;
		return true;
	}
	other_ops_seen = (__u64)ops;
	return false;
}

/*
 * The tun/tap device an skb is on, with its queue and direction; NULL for
 * any other device. skbs received from a tun file carry queue_mapping =
 * queue + 1 and skb_iif == the device; skbs sent to the device carry the
 * 0-based TX queue. No name read: the hot path of the drop and consume
 * probes. btf: direct loads through a BTF-typed pointer (tp_btf, fentry);
 * otherwise CO-RE probe reads (raw_tp).
 */
static __always_inline struct net_device *skb_tun_queue(struct sk_buff *skb, __u32 *ifindex,
							__u16 *queue, __u8 *dir, bool btf)
{
	struct net_device *dev = btf ? skb->dev : BPF_CORE_READ(skb, dev);
	__u16 qm;

	if (!dev || !ops_is_tun(btf ? dev->rtnl_link_ops : BPF_CORE_READ(dev, rtnl_link_ops)))
		return NULL;
	*ifindex = btf ? dev->ifindex : BPF_CORE_READ(dev, ifindex);
	qm = btf ? skb->queue_mapping : BPF_CORE_READ(skb, queue_mapping);
	if ((btf ? skb->skb_iif : BPF_CORE_READ(skb, skb_iif)) == *ifindex) {
		*dir = QUEUE_RX;
		*queue = qm ? qm - 1 : 0;
	} else {
		*dir = QUEUE_TX;
		*queue = qm;
	}
	return dev;
}

#endif /* SKBTOP_COMMON_BPF_H */
