/*
 * Allocation side: the NAPI skb cache, napi_skb_cache_get_bulk(), the skb
 * builders, and tun_sendmsg() context for per-queue attribution.
 *
 * The cache is this CPU's napi_alloc_cache (net/core/skbuff.c), read through
 * its BTF ksym: a get is a hit when skb_count > 0 as it starts. Gets:
 *   cache_get:         fentry napi_skb_cache_get, where it is a function (gcc
 *                      builds up to 6.19; "net: inline napi_skb_cache_get()"
 *                      made it inline in 7.0, clang builds earlier)
 *   cache_get_callers: where it is inline, at its out-of-line callers:
 *                      napi_build_skb(), napi_alloc_skb() and __alloc_skb(),
 *                      which on 7.x also tries the cache in process context
 *                      (no refill: a miss falls back to kmem_cache_alloc_node,
 *                      traced to tell it from a hit); __alloc_skb() at its
 *                      exit only
 *   cache_put:         fentry napi_skb_cache_put (static, out of line from 6.12)
 *   cache_refill:      fexit kmem_cache_alloc_bulk{,_noprof} on the skbuff head
 *                      cache: into this CPU's skb_cache array = a refill, else
 *                      napi_skb_cache_get_bulk()'s direct top-up, else an xsk
 *                      batch (inside xsk_alloc_batch_skb(), of the xsk batch
 *                      RFC, where it exists: in no rig kernel), else other.
 *                      Heads given: the return value where it is a count, all
 *                      asked where it is a bool (7.2+: all or nothing);
 *                      userspace reads which from BTF (refill_returns_bool).
 *   cache_flush:       fentry kmem_cache_free_bulk on that cache: out of this
 *                      CPU's skb_cache array = a flush, else another bulk free.
 *   cache_level:       a syscall program userspace runs (bpf_prog_test_run) at
 *                      each read: every possible CPU's skb_count, a gauge.
 *   bulk:        fexit napi_skb_cache_get_bulk (6.14+), or kprobe+kretprobe
 *   build:       fentry/kprobe build_skb, build_skb_around, napi_build_skb
 *   tun_sendmsg: fentry+fexit tun_sendmsg (tun module BTF): per-queue attribution,
 *                and the call's duration per queue and batch class (log2 ns)
 */
#include "common.bpf.h"

#define TUN_MSG_PTR	2	/* include/linux/if_tun.h */
#define SOFTIRQ_MASK	0xff00	/* include/linux/preempt.h: SOFTIRQ_BITS 8 at shift 8 */
#define HARDIRQ_MASK	0xf0000	/* include/linux/preempt.h: HARDIRQ_BITS 4 at shift 16 */
#define SKB_ALLOC_FCLONE 0x01	/* include/linux/skbuff.h */
#define SKB_ALLOC_NAPI	0x04
#define NUMA_NO_NODE	(-1)

/* kmem_cache_alloc_bulk{,_noprof}() returns bool (all or nothing), not a count */
const volatile bool refill_returns_bool;
/* xsk_alloc_batch_skb() is traced: its bulk calls are a class of their own */
const volatile bool xsk_split;

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

/*
 * Thread id -> the tun_sendmsg() it is inside: its queue (the attribution
 * of builds and bulk calls), batch class and start time (the latency
 * histogram, counted at the fexit).
 */
struct tun_call {
	struct sendmsg_key key;
	__u64 start_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct tun_call);
} tun_ctx SEC(".maps");

/* tun_sendmsg() durations per (queue, batch class): log2-ns buckets. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SKBTOP_MAX_SENDMSG_KEYS);
	__type(key, struct sendmsg_key);
	__type(value, struct sendmsg_hist);
} sendmsg_hist SEC(".maps");

/* kprobe fallback for the bulk call: thread id -> heads asked. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} bulk_args SEC(".maps");

/*
 * Where this CPU is in the cache's callers. Every path that touches the
 * cache runs with BH disabled, so nothing else on this CPU changes it
 * between an entry and an exit seen here.
 */
struct cache_cpu_state {
	__u32 in_get_bulk;	/* inside napi_skb_cache_get_bulk() */
	__u32 in_napi_alloc;	/* inside napi_alloc_skb() */
	__u32 napi_alloc_level;	/* skb_count as napi_alloc_skb() started */
	__u32 napi_alloc_counted; /* its get was counted by __alloc_skb() */
	__u32 refill_failed;	/* a refill on this CPU gave nothing */
	__u32 fell_back;	/* a BH-off __alloc_skb() here fell back to the slab */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cache_cpu_state);
} cache_cpu_state SEC(".maps");

/*
 * A process-context __alloc_skb() (BH enabled) on 7.x that fell back to the
 * slab after its get, in the task's local storage: set at the fallback
 * (kmem_cache_alloc_node on the skbuff head cache), read and cleared at the
 * exit. The task may be preempted or migrated, or a softirq may run at its
 * local_bh_enable(), and other users of a CPU's cache then change the level:
 * only the fallback itself tells a miss from a hit. Storage of the task, not
 * of a CPU: a task is inside at most one such __alloc_skb() (it does not
 * recurse; a nested softirq's or hardirq's never touches this slot), so the
 * fallback and the exit see the same slot wherever the task runs. Created at
 * a task's first fallback and kept for its life: a lookup is a pointer
 * compare in the task's storage cache (the thread-id hash this replaced took
 * a bucket lock and a free-list element twice a packet). The same slot
 * holds the task's xsk batch mark (in_xsk_batch(), below).
 */
struct alloc_start {
	__u32 fell_back;
	__u32 in_xsk_batch;	/* the task is inside xsk_alloc_batch_skb() */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct alloc_start);
} alloc_start SEC(".maps");

/* Threads inside tun_sendmsg(): skips the tun_ctx lookup when zero. */
__u64 tun_ctx_active;
/* The skbuff head cache, learned from its name on first sight. */
__u64 skbuff_cache_ptr;

static const struct queue_counters zero_queue;
static const struct sendmsg_hist zero_hist;

extern int __preempt_count __ksym __weak;
extern struct napi_alloc_cache napi_alloc_cache __ksym __weak;

static __always_inline struct queue_counters *current_tun_queue(void)
{
	struct tun_call *t;
	__u32 tid;

	if (!tun_ctx_active)
		return NULL;
	tid = (__u32)bpf_get_current_pid_tgid();
	t = bpf_map_lookup_elem(&tun_ctx, &tid);
	if (!t)
		return NULL;
	return percpu_hash_get(&queue_counters, &t->key.q, &zero_queue);
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

static __always_inline struct cache_cpu_state *cache_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cache_cpu_state, &zero);
}

static __always_inline __u32 cache_level(void)
{
	struct napi_alloc_cache *nc = bpf_this_cpu_ptr(&napi_alloc_cache);

	return nc->skb_count;
}

/* Whether p points into this CPU's skb_cache array. */
static __always_inline bool in_this_cache(void *p)
{
	struct napi_alloc_cache *nc = bpf_this_cpu_ptr(&napi_alloc_cache);
	__u64 lo = (__u64)nc + bpf_core_field_offset(struct napi_alloc_cache, skb_cache);
	__u64 hi = lo + bpf_core_field_size(struct napi_alloc_cache, skb_cache);

	return (__u64)p >= lo && (__u64)p < hi;
}

static __always_inline int preempt_bits(void)
{
	return *(int *)bpf_this_cpu_ptr(&__preempt_count);
}

/* One get, classified by the level it found. Misses that refill are counted at the refill. */
static __always_inline void count_get(__u32 level, bool may_refill)
{
	struct cpu_counters *c = this_cpu_counters();

	if (!c)
		return;
	INC(c->cache_gets);
	if (level)
		INC(c->cache_hits);
	else if (!may_refill)
		INC(c->cache_misses_slab);
}

/* cache_get: napi_skb_cache_get() out of line; 6.19 gave it bool alloc */
SEC("fentry/napi_skb_cache_get")
int BPF_PROG(cache_get)
{
	count_get(cache_level(), true);
	return 0;
}

SEC("fentry/napi_skb_cache_get")
int BPF_PROG(cache_get_alloc, bool alloc)
{
	count_get(cache_level(), alloc);
	return 0;
}

/* Gets only: no fill level to tell hits (no napi_alloc_cache in kallsyms). */
static __always_inline int handle_cache_get_count(void)
{
	struct cpu_counters *c = this_cpu_counters();

	if (c)
		INC(c->cache_gets);
	return 0;
}

SEC("fentry/napi_skb_cache_get")
int BPF_PROG(cache_get_count)
{
	return handle_cache_get_count();
}

SEC("kprobe/napi_skb_cache_get")
int BPF_KPROBE(cache_get_kprobe)
{
	return handle_cache_get_count();
}

/*
 * cache_get_callers: napi_skb_cache_get() inline (7.x). Its callers:
 * __napi_build_skb() (inline in napi_build_skb() and napi_alloc_skb()) and
 * __alloc_skb(): SKB_ALLOC_NAPI gets with refill; otherwise, outside
 * hardirq, a get without refill whose miss falls back to the slab.
 */
SEC("fentry/napi_build_skb")
int BPF_PROG(cache_get_build)
{
	count_get(cache_level(), true);
	return 0;
}

SEC("fentry/napi_alloc_skb")
int BPF_PROG(cache_get_napi_alloc)
{
	struct cache_cpu_state *st = cache_state();

	if (st) {
		st->in_napi_alloc = 1;
		st->napi_alloc_counted = 0;
		st->refill_failed = 0;
		st->napi_alloc_level = cache_level();
	}
	return 0;
}

/*
 * Not counted by __alloc_skb(): the head came from __napi_build_skb(), or
 * its refill failed, or the page fragment failed first (no get at all).
 */
SEC("fexit/napi_alloc_skb")
int BPF_PROG(cache_get_napi_alloc_exit, struct napi_struct *napi, unsigned int len,
	     struct sk_buff *ret)
{
	struct cache_cpu_state *st = cache_state();

	if (!st || !st->in_napi_alloc)
		return 0;
	st->in_napi_alloc = 0;
	if (!st->napi_alloc_counted && (ret || st->refill_failed))
		count_get(st->napi_alloc_level, true);
	return 0;
}

/*
 * Every get of __alloc_skb() is counted at its exit: no entry program on a
 * function every socket send calls. Its context at the exit is its context
 * at the entry (BH and hardirq state are balanced across a call).
 */
SEC("fexit/__alloc_skb")
int BPF_PROG(cache_get_alloc_skb_exit, unsigned int size, gfp_t gfp, int flags, int node,
	     struct sk_buff *ret)
{
	struct cache_cpu_state *st;
	struct alloc_start *start;
	struct cpu_counters *c;
	bool fell_back;
	int pc;

	if (flags & SKB_ALLOC_FCLONE)
		return 0;	/* its own slab cache: no get, no mark */
	pc = preempt_bits();
	if (pc & HARDIRQ_MASK)
		return 0;	/* no get in hardirq; its fallback marked nothing */
	st = cache_state();
	if (!st)
		return 0;
	/* take this call's fallback mark, whether or not it made a get */
	if (pc & SOFTIRQ_MASK) {	/* BH off: nothing else on this CPU ran inside */
		fell_back = st->fell_back;
		st->fell_back = 0;
	} else {
		start = bpf_task_storage_get(&alloc_start, bpf_get_current_task_btf(), NULL, 0);
		fell_back = start && start->fell_back;
		if (fell_back)
			start->fell_back = 0;
	}
	if (node != NUMA_NO_NODE && node != bpf_get_numa_node_id())
		return 0;	/* another node's memory: straight to the slab, no get */
	if (flags & SKB_ALLOC_NAPI) {
		/*
		 * Only napi_alloc_skb() passes it (BH off): the level at its
		 * entry is the level this get found. A miss refills (counted
		 * there) or returns NULL; it never falls back.
		 */
		if (st->in_napi_alloc && !st->napi_alloc_counted) {
			st->napi_alloc_counted = 1;
			count_get(st->napi_alloc_level, true);
		}
		return 0;
	}
	c = this_cpu_counters();
	if (!c)
		return 0;
	INC(c->cache_gets);
	if (fell_back)
		INC(c->cache_misses_slab);
	else
		INC(c->cache_hits);
	return 0;
}

/*
 * The slab fallback of a non-NAPI __alloc_skb(): this CPU's mark with BH
 * off, the task's with BH on; read by the exit above. kmem_cache_alloc_node
 * on the skbuff head cache has no other caller.
 */
SEC("fentry/kmem_cache_alloc_node_noprof")
int BPF_PROG(cache_get_slab_fallback, struct kmem_cache *s)
{
	struct cache_cpu_state *st;
	struct alloc_start *start;
	struct cpu_counters *c;
	int pc;

	if (skbuff_cache_ptr ? (__u64)s != skbuff_cache_ptr : !is_skbuff_cache(s))
		return 0;
	pc = preempt_bits();
	if (pc & HARDIRQ_MASK)
		return 0;
	if (pc & SOFTIRQ_MASK) {
		st = cache_state();
		if (st)
			st->fell_back = 1;
		return 0;
	}
	start = bpf_task_storage_get(&alloc_start, bpf_get_current_task_btf(), NULL,
				     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (start)
		start->fell_back = 1;
	else if ((c = this_cpu_counters()))
		__sync_fetch_and_add(&c->map_full, 1);	/* no memory for the task's slot */
	return 0;
}

/* cache_put */
SEC("fentry/napi_skb_cache_put")
int BPF_PROG(cache_put)
{
	struct cpu_counters *c = this_cpu_counters();

	if (c)
		INC(c->cache_puts);
	return 0;
}

/*
 * xsk_alloc_batch_skb() (the xsk batch RFC: "xsk: add xsk_alloc_batch_skb()
 * to build skbs in batch", net-next v3 3/9, Oct 2025; no rig kernel has it)
 * bulk-allocates skb heads from the skbuff head cache straight into its
 * socket's own array, in process context with a gfp that may sleep: the
 * task may move between CPUs, so the mark is the task's (its local
 * storage), set at the entry and cleared at the exit. Loaded only where
 * the function is present and traceable (variant "fexit+xsk").
 */
static __always_inline bool in_xsk_batch(void)
{
	struct alloc_start *t;

	if (!xsk_split)
		return false;
	t = bpf_task_storage_get(&alloc_start, bpf_get_current_task_btf(), NULL, 0);
	return t && t->in_xsk_batch;
}

SEC("fentry/xsk_alloc_batch_skb")
int BPF_PROG(cache_refill_xsk_entry)
{
	struct alloc_start *t = bpf_task_storage_get(&alloc_start, bpf_get_current_task_btf(),
						     NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct cpu_counters *c;

	if (t)
		t->in_xsk_batch = 1;
	else if ((c = this_cpu_counters()))
		__sync_fetch_and_add(&c->map_full, 1);	/* no memory for the task's slot */
	return 0;
}

SEC("fexit/xsk_alloc_batch_skb")
int BPF_PROG(cache_refill_xsk_exit)
{
	struct alloc_start *t = bpf_task_storage_get(&alloc_start, bpf_get_current_task_btf(),
						     NULL, 0);

	if (t)
		t->in_xsk_batch = 0;
	return 0;
}

/*
 * cache_refill: every slab bulk allocation on the skbuff head cache, by
 * where the heads go. The attach target is set at load
 * (kmem_cache_alloc_bulk_noprof on 6.10+).
 */
/*
 * The destination and the return value come through bpf_get_func_arg() and
 * bpf_get_func_ret(): 6.1's verifier refuses a direct read of a void **
 * argument ("arg3 type PTR is not a struct").
 */
SEC("fexit/kmem_cache_alloc_bulk")
int BPF_PROG(cache_refill, struct kmem_cache *s, gfp_t flags, size_t size)
{
	struct cache_cpu_state *st;
	struct cpu_counters *c;
	__u64 heads, p = 0, ret = 0;

	if (!is_skbuff_cache(s))
		return 0;
	bpf_get_func_arg(ctx, 3, &p);
	bpf_get_func_ret(ctx, &ret);
	c = this_cpu_counters();
	st = cache_state();
	if (!c || !st)
		return 0;
	heads = refill_returns_bool ? ((ret & 0xff) ? size : 0) : (__u64)(int)ret;
	if (in_this_cache((void *)p)) {
		INC(c->cache_refills);
		ADD(c->cache_refill_heads, heads);
		if (!st->in_get_bulk) {	/* a single get found the cache empty */
			if (heads)
				INC(c->cache_misses_refilled);
			else
				st->refill_failed = 1;
		}
	} else if (st->in_get_bulk) {
		INC(c->slab_bulk_getbulk_calls);
		ADD(c->slab_bulk_getbulk_heads, heads);
	} else if (in_xsk_batch()) {
		INC(c->slab_bulk_xsk_calls);
		ADD(c->slab_bulk_xsk_heads, heads);
	} else {
		INC(c->slab_bulk_other_calls);
		ADD(c->slab_bulk_other_heads, heads);
	}
	return 0;
}

/* Marks refills made for napi_skb_cache_get_bulk(); ends in the bulk probe's fexit. */
SEC("fentry/napi_skb_cache_get_bulk")
int BPF_PROG(cache_refill_bulk_entry)
{
	struct cache_cpu_state *st = cache_state();

	if (st)
		st->in_get_bulk = 1;
	return 0;
}

SEC("fexit/napi_skb_cache_get_bulk")
int BPF_PROG(cache_refill_bulk_exit)
{
	struct cache_cpu_state *st = cache_state();

	if (st)
		st->in_get_bulk = 0;
	return 0;
}

/* cache_flush */
SEC("fentry/kmem_cache_free_bulk")
int BPF_PROG(cache_flush, struct kmem_cache *s, size_t size)
{
	struct cpu_counters *c;
	__u64 p = 0;

	if (!is_skbuff_cache(s))
		return 0;
	bpf_get_func_arg(ctx, 2, &p);
	c = this_cpu_counters();
	if (!c)
		return 0;
	if (in_this_cache((void *)p)) {
		INC(c->cache_flushes);
		ADD(c->cache_flush_heads, size);
	} else {
		INC(c->slab_free_bulk_other_calls);
		ADD(c->slab_free_bulk_other_heads, size);
	}
	return 0;
}

/*
 * cache_level: not attached anywhere; userspace runs it right before it
 * reads cpu_counters, and it writes each possible CPU's fill level into
 * that CPU's cell (bpf_map_lookup_percpu_elem, 5.19+). Other programs on
 * that CPU add to other words of the cell; this word is only ever stored.
 */
const volatile __u32 nr_cpus;	/* possible CPUs, set at open */

static long store_level(__u32 cpu, __u32 *stored)
{
	struct napi_alloc_cache *nc = bpf_per_cpu_ptr(&napi_alloc_cache, cpu);
	struct cpu_counters *c;
	__u32 zero = 0;

	c = bpf_map_lookup_percpu_elem(&cpu_counters, &zero, cpu);
	if (!nc || !c)
		return 1;	/* not a possible CPU: stop, short of nr_cpus */
	c->cache_level = nc->skb_count;
	*stored += 1;
	return 0;
}

/* Returns the CPUs it read: userspace wants nr_cpus. */
SEC("syscall")
int cache_level_read(void *ctx)
{
	__u32 stored = 0;

	bpf_loop(nr_cpus, store_level, &stored, 0);
	return stored;
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

/*
 * tun_sendmsg: the queue is container_of(sock, struct tun_file, socket)->queue_index.
 * The entry keeps the call's queue, batch class and start time for the
 * exit; the start is read last, so this program's own cost stays out.
 */
SEC("fentry/tun_sendmsg")
int BPF_PROG(tun_sendmsg_entry, struct socket *sock, struct msghdr *m, size_t total_len)
{
	struct tun_file___skbtop *tf;
	struct tun_msg_ctl___skbtop *ctl;
	struct cpu_counters *c = this_cpu_counters();
	struct queue_counters *q;
	struct net_device *dev;
	struct tun_call call = {};
	struct queue_key *qk = &call.key.q;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u16 num = 0;
	bool ptr;

	tf = (void *)sock - bpf_core_field_offset(struct tun_file___skbtop, socket);
	dev = BPF_CORE_READ(tf, tun, dev);
	if (!dev)
		return 0;
	if (c)
		INC(c->tun_sendmsg_calls);
	qk->ifindex = BPF_CORE_READ(dev, ifindex);
	bpf_probe_read_kernel_str(qk->ifname, sizeof(qk->ifname), dev->name);
	qk->queue = BPF_CORE_READ(tf, queue_index);
	qk->dir = QUEUE_RX;
	q = percpu_hash_get(&queue_counters, qk, &zero_queue);
	if (!q)
		return 0;
	INC(q->sendmsg_calls);
	ctl = BPF_CORE_READ(m, msg_control);
	ptr = ctl && BPF_CORE_READ(m, msg_controllen) == sizeof(struct tun_msg_ctl___skbtop) &&
	      BPF_CORE_READ(ctl, type) == TUN_MSG_PTR;
	if (ptr) {
		num = BPF_CORE_READ(ctl, num);
		INC(q->sendmsg_batches);
		ADD(q->sendmsg_frames, num);
	}
	call.key.batch = skbtop_sendmsg_class(ptr, num);
	call.start_ns = bpf_ktime_get_ns();
	if (!bpf_map_update_elem(&tun_ctx, &tid, &call, BPF_ANY))
		__sync_fetch_and_add(&tun_ctx_active, 1);
	return 0;
}

/* One lookup of the call, one of its histogram, one add; then the call is gone. */
SEC("fexit/tun_sendmsg")
int BPF_PROG(tun_sendmsg_exit)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sendmsg_hist *h;
	struct tun_call *t;
	__u32 b;

	t = bpf_map_lookup_elem(&tun_ctx, &tid);
	if (!t)
		return 0;
	b = skbtop_log2_bucket(now - t->start_ns, SKBTOP_LAT_SLOTS);
	barrier_var(b);	/* the verifier sees the bound below, not the one clang folded */
	h = percpu_hash_get(&sendmsg_hist, &t->key, &zero_hist);
	if (h && b < SKBTOP_LAT_SLOTS)
		INC(h->ns[b]);
	if (!bpf_map_delete_elem(&tun_ctx, &tid))
		__sync_fetch_and_sub(&tun_ctx_active, 1);
	return 0;
}
