// SPDX-License-Identifier: GPL-2.0
/*
 * The overhead floor: the cheapest programs that can observe every drop.
 * floor_count adds one to a per-CPU counter (what any counting tool must
 * at least do); floor_empty does nothing (the price of the attachment
 * alone). The loader attaches one of them to skb:kfree_skb.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

SEC("tp_btf/kfree_skb")
int BPF_PROG(floor_count)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&drops, &zero);

	if (v)
		*v += 1;	/* per-CPU: no atomic needed */
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(floor_empty)
{
	return 0;
}
