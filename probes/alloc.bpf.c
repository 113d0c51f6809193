// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation side: the NAPI skb cache, napi_skb_cache_get_bulk(), the skb
 * builders, and tun_sendmsg() context for per-queue attribution.
 *
 *   cache_get:   fentry/kprobe napi_skb_cache_get (a symbol up to 6.18,
 *                inline from 6.19)
 *   cache_refill: fexit kmem_cache_alloc_bulk{,_noprof} on the skbuff head cache
 *   cache_flush: fentry/kprobe kmem_cache_free_bulk{,_noprof} on that cache
 *                with the cache's flush size (32 heads: half of 64 up to
 *                6.18, NAPI_SKB_CACHE_FREE from 6.19)
 *   bulk:        fexit napi_skb_cache_get_bulk (6.14+), or kprobe+kretprobe
 *   build:       fentry/kprobe build_skb, build_skb_around, napi_build_skb
 *   tun_sendmsg: fentry+fexit tun_sendmsg (tun module BTF)
 */
#include "common.bpf.h"

#define TUN_MSG_PTR	2	/* include/linux/if_tun.h */
#define SOFTIRQ_MASK	0xff00	/* include/linux/preempt.h: SOFTIRQ_BITS 8 at shift 8 */

const volatile __u32 cache_flush_size = 32;

/* tun types live in the tun module's BTF; only the fields we read. */
struct tun_struct___skbtop {
	struct net_device *dev;
} __attribute__((preserve_access_index));

struct tun_file___skbtop {
	struct socket socket;
	struct tun_struct___skbtop *tun;
	__u16 queue_index;
} __attribute__((preserve_access_index));

struct tun_msg_ctl___skbtop {
	unsigned short type;
	unsigned short num;
	void *ptr;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_QUEUE_KEYS);
	__type(key, struct queue_key);
	__type(value, struct queue_counters);
} queue_counters SEC(".maps");

/* Thread id -> the tun queue whose tun_sendmsg() it is inside. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct queue_key);
} tun_ctx SEC(".maps");

/* kprobe fallback for the bulk call: thread id -> heads asked. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} bulk_args SEC(".maps");

/* Threads inside tun_sendmsg(): skips the tun_ctx lookup when zero. */
__u64 tun_ctx_active;
/* The skbuff head cache, learned from its name on first sight. */
__u64 skbuff_cache_ptr;

static const struct queue_counters zero_queue;

extern int __preempt_count __ksym __weak;

static __always_inline struct queue_counters *current_tun_queue(void)
{
	struct queue_key *qk;
	__u32 tid;

	if (!tun_ctx_active)
		return NULL;
	tid = (__u32)bpf_get_current_pid_tgid();
	qk = bpf_map_lookup_elem(&tun_ctx, &tid);
	if (!qk)
		return NULL;
	return percpu_hash_get(&queue_counters, qk, &zero_queue);
}

static __always_inline bool is_skbuff_cache(struct kmem_cache *s)
{
	static const char want[] = "skbuff_head_cache";
	char name[sizeof(want)] = {};

	if (skbuff_cache_ptr)
		return (__u64)s == skbuff_cache_ptr;
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(s, name)) != sizeof(want))
		return false;
	for (int i = 0; i < sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	skbuff_cache_ptr = (__u64)s;
	return true;
}

/* cache_get */
static __always_inline int handle_cache_get(void)
{
	struct cpu_counters *c = this_cpu_counters();

	if (c)
		INC(c->cache_gets);
	return 0;
}

SEC("fentry/napi_skb_cache_get")
int BPF_PROG(cache_get)
{
	return handle_cache_get();
}

SEC("kprobe/napi_skb_cache_get")
int BPF_KPROBE(cache_get_kprobe)
{
	return handle_cache_get();
}

/* cache_refill: attach target set at load (kmem_cache_alloc_bulk_noprof on 6.10+) */
SEC("fexit/kmem_cache_alloc_bulk")
int BPF_PROG(cache_refill, struct kmem_cache *s, gfp_t flags, size_t size, void **p, int ret)
{
	struct cpu_counters *c;

	if (!is_skbuff_cache(s))
		return 0;
	c = this_cpu_counters();
	if (c) {
		INC(c->cache_refills);
		ADD(c->cache_refill_heads, ret);
	}
	return 0;
}

/* cache_flush */
static __always_inline int handle_cache_flush(struct kmem_cache *s, size_t size)
{
	struct cpu_counters *c;

	if (size != cache_flush_size || !is_skbuff_cache(s))
		return 0;
	c = this_cpu_counters();
	if (c) {
		INC(c->cache_flushes);
		ADD(c->cache_flush_heads, size);
	}
	return 0;
}

SEC("fentry/kmem_cache_free_bulk")
int BPF_PROG(cache_flush, struct kmem_cache *s, size_t size, void **p)
{
	return handle_cache_flush(s, size);
}

SEC("kprobe/kmem_cache_free_bulk")
int BPF_KPROBE(cache_flush_kprobe, struct kmem_cache *s, size_t size, void **p)
{
	return handle_cache_flush(s, size);
}

/* bulk */
static __always_inline int handle_bulk(__u32 asked, __u32 got, bool check_bh)
{
	struct cpu_counters *c = this_cpu_counters();
	struct queue_counters *q;

	if (!c)
		return 0;
	INC(c->bulk_calls);
	ADD(c->bulk_asked, asked);
	ADD(c->bulk_got, got);
	INC(c->bulk_hist[log2_slot(asked)]);
	if (got < asked)
		INC(c->bulk_short_calls);
	if (check_bh) {
		int *pc = bpf_this_cpu_ptr(&__preempt_count);

		if (!(*pc & SOFTIRQ_MASK))
			INC(c->bulk_nonbh_calls);
	}
	q = current_tun_queue();
	if (q) {
		INC(q->bulk_calls);
		ADD(q->bulk_asked, asked);
		ADD(q->bulk_got, got);
		if (got < asked)
			INC(q->bulk_short_calls);
	}
	return 0;
}

SEC("fexit/napi_skb_cache_get_bulk")
int BPF_PROG(bulk, void **skbs, __u32 n, __u32 ret)
{
	return handle_bulk(n, ret, true);
}

/* Same, where __preempt_count cannot be resolved (no KALLSYMS_ALL). */
SEC("fexit/napi_skb_cache_get_bulk")
int BPF_PROG(bulk_nobh, void **skbs, __u32 n, __u32 ret)
{
	return handle_bulk(n, ret, false);
}

SEC("kprobe/napi_skb_cache_get_bulk")
int BPF_KPROBE(bulk_kprobe, void **skbs, __u32 n)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_update_elem(&bulk_args, &tid, &n, BPF_ANY);
	return 0;
}

SEC("kretprobe/napi_skb_cache_get_bulk")
int BPF_KRETPROBE(bulk_kretprobe, __u32 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 *asked = bpf_map_lookup_elem(&bulk_args, &tid);

	if (!asked)
		return 0;
	handle_bulk(*asked, ret, false);
	bpf_map_delete_elem(&bulk_args, &tid);
	return 0;
}

/* build */
static __always_inline int handle_build(void)
{
	struct cpu_counters *c = this_cpu_counters();
	struct queue_counters *q;

	if (c)
		INC(c->builds);
	q = current_tun_queue();
	if (q)
		INC(q->builds);
	return 0;
}

SEC("fentry/build_skb")
int BPF_PROG(build)
{
	return handle_build();
}

SEC("fentry/build_skb_around")
int BPF_PROG(build_around)
{
	return handle_build();
}

SEC("fentry/napi_build_skb")
int BPF_PROG(build_napi)
{
	return handle_build();
}

SEC("kprobe/build_skb")
int BPF_KPROBE(build_kprobe)
{
	return handle_build();
}

SEC("kprobe/build_skb_around")
int BPF_KPROBE(build_around_kprobe)
{
	return handle_build();
}

SEC("kprobe/napi_build_skb")
int BPF_KPROBE(build_napi_kprobe)
{
	return handle_build();
}

/* tun_sendmsg: the queue is container_of(sock, struct tun_file, socket)->queue_index */
SEC("fentry/tun_sendmsg")
int BPF_PROG(tun_sendmsg_entry, struct socket *sock, struct msghdr *m, size_t total_len)
{
	struct tun_file___skbtop *tf;
	struct tun_msg_ctl___skbtop *ctl;
	struct queue_counters *q;
	struct net_device *dev;
	struct queue_key qk = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	tf = (void *)sock - bpf_core_field_offset(struct tun_file___skbtop, socket);
	dev = BPF_CORE_READ(tf, tun, dev);
	if (!dev)
		return 0;
	qk.ifindex = BPF_CORE_READ(dev, ifindex);
	bpf_probe_read_kernel_str(qk.ifname, sizeof(qk.ifname), dev->name);
	qk.queue = BPF_CORE_READ(tf, queue_index);
	qk.dir = QUEUE_RX;
	q = percpu_hash_get(&queue_counters, &qk, &zero_queue);
	if (!q)
		return 0;
	INC(q->sendmsg_calls);
	ctl = BPF_CORE_READ(m, msg_control);
	if (ctl && BPF_CORE_READ(m, msg_controllen) == sizeof(struct tun_msg_ctl___skbtop) &&
	    BPF_CORE_READ(ctl, type) == TUN_MSG_PTR) {
		INC(q->sendmsg_batches);
		ADD(q->sendmsg_frames, BPF_CORE_READ(ctl, num));
	}
	if (!bpf_map_update_elem(&tun_ctx, &tid, &qk, BPF_ANY))
		__sync_fetch_and_add(&tun_ctx_active, 1);
	return 0;
}

SEC("fexit/tun_sendmsg")
int BPF_PROG(tun_sendmsg_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!bpf_map_delete_elem(&tun_ctx, &tid))
		__sync_fetch_and_sub(&tun_ctx_active, 1);
	return 0;
}
