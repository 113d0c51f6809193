// SPDX-License-Identifier: GPL-2.0
/*
 * XDP program for the cpumap_xdp generator: redirect every frame to one
 * cpumap entry and count what happened, plus two tracepoint programs that
 * count the cpumap's enqueue and kthread events for this map only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "cpumap_xdp.h"

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1);		/* set to the number of CPUs at load */
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

const volatile __u32 target_cpu = 1;
const volatile __u16 udp_dport;		/* host order; frames counted as "ours" */

/* written by userspace after load; 0 = count events of any cpumap */
__u32 cpumap_id;

static __always_inline void stat_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&stats, &idx);

	if (p)
		*p += v;
}

static __always_inline bool is_ours(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return false;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return false;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return false;
	return udp->dest == bpf_htons(udp_dport);
}

SEC("xdp")
int xdp_to_cpumap(struct xdp_md *ctx)
{
	long ret;

	stat_add(ST_SEEN, 1);
	if (is_ours(ctx))
		stat_add(ST_OURS, 1);
	ret = bpf_redirect_map(&cpu_map, target_cpu, XDP_PASS);
	stat_add(ret == XDP_REDIRECT ? ST_REDIRECTED : ST_PASS, 1);
	return ret;
}

SEC("tracepoint/xdp/xdp_cpumap_enqueue")
int tp_cpumap_enqueue(struct trace_event_raw_xdp_cpumap_enqueue *ctx)
{
	if (cpumap_id && ctx->map_id != (int)cpumap_id)
		return 0;
	stat_add(ST_ENQ_PROCESSED, ctx->processed);
	stat_add(ST_ENQ_DROPS, ctx->drops);
	return 0;
}

SEC("tracepoint/xdp/xdp_cpumap_kthread")
int tp_cpumap_kthread(struct trace_event_raw_xdp_cpumap_kthread *ctx)
{
	if (cpumap_id && ctx->map_id != (int)cpumap_id)
		return 0;
	stat_add(ST_KT_RUNS, 1);
	stat_add(ST_KT_PROCESSED, ctx->processed);
	stat_add(ST_KT_DROPS, ctx->drops);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
