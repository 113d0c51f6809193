/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the BPF probes and userspace. Compiles on both sides:
 * fixed-size integers, fixed arrays, no pointers. Every limit lives here.
 */
#ifndef SKBTOP_H
#define SKBTOP_H

#define SKBTOP_HIST_SLOTS	16	/* log2 buckets: [0], [1], [2,3], [4,7] ... */
#define SKBTOP_IFNAMSIZ		16
#define SKBTOP_MAX_DROP_KEYS	8192	/* -L: (reason, device, queue, location) tuples */
#define SKBTOP_DROP_CELLS	64	/* -L: per-CPU direct-mapped cells for those tuples */
#define SKBTOP_DROP_REASON_SLOTS 512	/* per-CPU array of drop counts, one slot per reason */
#define SKBTOP_QUEUE_SLOTS	256	/* per-CPU direct-mapped tun queue drop/consume cells */
#define SKBTOP_MAX_QUEUE_KEYS	1024	/* (device, queue, direction) tuples */
#define SKBTOP_TASK_COMM_LEN	16
#define SKBTOP_SIRQ_TASK_CELLS	256	/* per-CPU direct-mapped cells of tasks that ran NET_RX/NET_TX in do_softirq() */
#define SKBTOP_SIRQ_TASK_KEYS	1024	/* tasks whose cell another task owns */
#define SKBTOP_SIRQ_TOP_TASKS	8	/* task rows an interval shows (text, -j, captures) */
#define SKBTOP_SIRQ_STACK_DEPTH	8	/* frames the tracepoint mode walks to find a softirq's caller */
#define SKBTOP_SIRQ_RANGES	8	/* caller functions it looks for */

/*
 * Where a NET_RX or NET_TX softirq ran (softirq_where): in a task's
 * do_softirq() (local_bh_enable() and the like), on hardirq exit, in
 * ksoftirqd, in the idle task's do_softirq() (after it flushed
 * smp-call-function requests), or (tracepoint mode only) a stack walk that
 * found none of their callers.
 */
enum sirq_loc {
	SIRQ_TASK = 0,
	SIRQ_IRQ = 1,
	SIRQ_KSOFTIRQD = 2,
	SIRQ_IDLE = 3,
	SIRQ_UNKNOWN = 4,
	SIRQ_NR_LOCS = 5,
};

/* The vector index of sirq_* arrays: [0] NET_RX (vec 3), [1] NET_TX (vec 2). */
#define SIRQ_NET_RX 0
#define SIRQ_NET_TX 1

/*
 * Per-CPU counters. Each probe object owns one PERCPU_ARRAY of this struct
 * and writes only its own fields; userspace adds the objects together.
 */
struct cpu_counters {
	/* NAPI skb cache (this CPU's napi_alloc_cache) */
	__u64 cache_gets;		/* single-head gets: napi_skb_cache_get(), inline or not */
	__u64 cache_refills;		/* slab bulk allocations into this CPU's cache */
	__u64 cache_refill_heads;	/* heads those refills gave (count, or all-or-nothing) */
	__u64 cache_flushes;		/* slab bulk frees out of this CPU's cache (cache full) */
	__u64 cache_flush_heads;	/* heads those flushes released */
	__u64 cache_hits;		/* gets that found a head in the cache */
	__u64 cache_misses_refilled;	/* gets that found it empty and refilled it */
	__u64 cache_misses_slab;	/* gets that found it empty and fell back to the slab */
	__u64 cache_puts;		/* heads returned to the cache: napi_skb_cache_put() */
	/* other slab bulk calls on the skbuff head cache */
	__u64 slab_bulk_getbulk_calls;	/* napi_skb_cache_get_bulk() topping up from the slab */
	__u64 slab_bulk_getbulk_heads;
	__u64 slab_bulk_xsk_calls;	/* inside xsk_alloc_batch_skb() (the xsk batch RFC) */
	__u64 slab_bulk_xsk_heads;
	__u64 slab_bulk_other_calls;	/* any other caller: xdp_alloc_skb_bulk(), ... */
	__u64 slab_bulk_other_heads;
	__u64 slab_free_bulk_other_calls; /* bulk frees not out of the NAPI cache */
	__u64 slab_free_bulk_other_heads;
	/* napi_skb_cache_get_bulk() */
	__u64 bulk_calls;
	__u64 bulk_asked;
	__u64 bulk_got;
	__u64 bulk_short_calls;		/* returned fewer than asked */
	__u64 bulk_nonbh_calls;		/* called with no softirq/BH-disable count */
	__u64 bulk_hist[SKBTOP_HIST_SLOTS];	/* log2 of heads asked */
	/* skb builders: build_skb(), build_skb_around(), napi_build_skb() */
	__u64 builds;
	/* napi_consume_skb() */
	__u64 consume_calls;
	__u64 consume_budget0;		/* budget == 0: non-NAPI caller */
	__u64 consume_deferred;		/* handed to skb_attempt_defer_free() */
	__u64 consume_recycled;		/* last reference, head back to the NAPI cache */
	__u64 consume_budget_task;	/* budget != 0 in task context: outside a NAPI poll */
	/* where NET_RX/NET_TX softirqs ran: [SIRQ_NET_RX or _TX][enum sirq_loc] */
	__u64 sirq_runs[2][SIRQ_NR_LOCS];	/* runs, counted at softirq_exit */
	__u64 sirq_ns[2][SIRQ_NR_LOCS];		/* ns from softirq_entry to softirq_exit */
	__u64 sirq_task_untracked;	/* SIRQ_TASK runs no task row holds (task map full) */
	/* deferred free */
	__u64 defer_queued;		/* skbs this CPU queued for another CPU */
	__u64 defer_kicks_sent;		/* trigger_rx_softirq csds queued by this CPU */
	__u64 defer_kicks_recv;		/* trigger_rx_softirq csds run on this CPU */
	__u64 defer_ipis_sent;		/* IPIs this CPU sent for those kicks */
	__u64 defer_ipis_recv;		/* IPIs sent to this CPU: filled in by userspace from
					 * the kick matrix (snapshot__fill_ipis_recv) */
	__u64 defer_flushes;		/* skb_defer_free_flush() runs that freed >= 1 skb */
	__u64 defer_flush_skbs;		/* skbs freed by defer flushes on this CPU */
	__u64 defer_flush_hist[SKBTOP_HIST_SLOTS];	/* log2 of skbs per flush */
	/* kfree_skb() */
	__u64 drops;
	/* consume_skb() of skbs on tun/tap devices */
	__u64 tun_consumes;
	/* tun_sendmsg() calls run on this CPU: vhost-net TX, the vhost worker's CPU */
	__u64 tun_sendmsg_calls;
	/* health: updates refused because a map was full */
	__u64 map_full;
	/*
	 * Gauges: levels at the moment of a read, not counts. A delta keeps the
	 * later level, totals over CPUs add them (snapshot.c, FIELD_GAUGE).
	 */
	__u64 cache_level;		/* heads in this CPU's NAPI cache (skb_count), written
					 * by the cache_level program that userspace runs at
					 * each read (bpf_prog_test_run) */
};

/* One cell of the sender x target matrix; PERCPU_ARRAY indexed by target. */
struct kick_cell {
	__u64 queued;	/* skbs queued by the sender (this CPU) for the target */
	__u64 kicks;	/* trigger_rx_softirq csds queued for the target */
	__u64 ipis;	/* IPIs sent to the target for those csds */
};

enum queue_dir {
	QUEUE_NONE = 0,	/* not a tun/tap device */
	QUEUE_RX = 1,	/* skb came from a tun file (queue_mapping = queue + 1) */
	QUEUE_TX = 2,	/* skb was sent to the device (queue_mapping = queue) */
};

/* A task that ran NET_RX/NET_TX softirqs in its do_softirq(): a snapshot row. */
struct sirq_task_key {
	__u32 pid;
	__u32 tgid;
	char comm[SKBTOP_TASK_COMM_LEN];
};

struct sirq_task_counters {
	__u64 runs[2];	/* [SIRQ_NET_RX], [SIRQ_NET_TX] */
	__u64 ns[2];
};

/*
 * softirq_where counts a task's runs first in a per-CPU direct-mapped array
 * of cells (index pid % SKBTOP_SIRQ_TASK_CELLS), owned as the queue cells
 * are: the first task to reach a cell on a CPU keeps it there for the life
 * of the program, and pid != 0, written last, marks it taken. A task whose
 * cell another owns goes to the per-CPU hash of cells by sirq_task_id. So a
 * (task, CPU) is in one of the two, never both. comm: the task's name when
 * it took the cell (an exec's new name is not picked up).
 */
struct sirq_task_cell {
	__u32 pid;
	__u32 tgid;
	char comm[SKBTOP_TASK_COMM_LEN];
	struct sirq_task_counters n;
};

struct sirq_task_id {
	__u32 pid;
	__u32 tgid;
};

static inline __u32 sirq_task_cell_index(__u32 pid)
{
	return pid & (SKBTOP_SIRQ_TASK_CELLS - 1);
}

struct queue_key {
	__u32 ifindex;
	__u16 queue;
	__u8 dir;		/* enum queue_dir */
	__u8 pad;
	char ifname[SKBTOP_IFNAMSIZ];
};

struct queue_counters {
	__u64 builds;		/* skbs built inside tun_sendmsg() for this queue */
	__u64 bulk_calls;	/* napi_skb_cache_get_bulk() inside tun_sendmsg() */
	__u64 bulk_asked;
	__u64 bulk_got;
	__u64 bulk_short_calls;
	__u64 sendmsg_calls;	/* tun_sendmsg() calls */
	__u64 sendmsg_batches;	/* ... of them TUN_MSG_PTR batches */
	__u64 sendmsg_frames;	/* frames carried by those batches */
	__u64 consumes;		/* consume_skb() of this queue's skbs */
	__u64 napi_consumes;	/* napi_consume_skb() of this queue's skbs */
	__u64 napi_consumes_task; /* ... of them with budget != 0 in task context */
	__u64 drops;		/* kfree_skb() of this queue's skbs */
};

struct drop_key {
	__u32 reason;		/* enum skb_drop_reason value, subsystem bits included */
	__u32 ifindex;		/* 0 when the skb has no device */
	__u16 queue;
	__u8 dir;		/* enum queue_dir */
	__u8 pad;
	char ifname[SKBTOP_IFNAMSIZ];
	__u32 pad2;		/* explicit, zero: keys are compared with memcmp */
	__u64 location;		/* kernel text address of the kfree_skb() caller (-L) */
};

/*
 * Drop reasons index a per-CPU array (one add per drop, no hash): core
 * reasons 0..383 directly, subsystem reasons (subsystem << 16 | code,
 * subsystems 1..4, codes < 32) in 384..511. Any other value has no slot
 * (SKBTOP_DROP_REASON_SLOTS) and is counted in the drop hash instead.
 */
#define SKBTOP_CORE_REASON_SLOTS 384
#define SKBTOP_SUBSYS_REASON_CODES 32

static inline __u32 drop_reason_slot(__u32 reason)
{
	__u32 subsys = reason >> 16, code = reason & 0xffff;

	if (!subsys)
		return code < SKBTOP_CORE_REASON_SLOTS ? code : SKBTOP_DROP_REASON_SLOTS;
	if (subsys <= 4 && code < SKBTOP_SUBSYS_REASON_CODES)
		return SKBTOP_CORE_REASON_SLOTS + (subsys - 1) * SKBTOP_SUBSYS_REASON_CODES + code;
	return SKBTOP_DROP_REASON_SLOTS;
}

/* Inverse of drop_reason_slot() for slot < SKBTOP_DROP_REASON_SLOTS. */
static inline __u32 drop_slot_reason(__u32 slot)
{
	if (slot < SKBTOP_CORE_REASON_SLOTS)
		return slot;
	slot -= SKBTOP_CORE_REASON_SLOTS;
	return (slot / SKBTOP_SUBSYS_REASON_CODES + 1) << 16 | slot % SKBTOP_SUBSYS_REASON_CODES;
}

/*
 * Drops and consume_skb() on tun/tap queues go to a per-CPU direct-mapped
 * array: the first queue that hashes to a cell owns it for the life of the
 * program (so counts never move between keys); a queue whose cell is owned
 * by another goes to the queue hash. dev identifies the owner (the
 * net_device address, with ifindex, queue and dir); key.ifindex != 0 marks
 * the cell taken and is written last.
 */
struct queue_slot {
	struct queue_key key;
	__u64 dev;
	__u64 drops;
	__u64 consumes;
};

static inline __u32 queue_slot_index(__u32 ifindex, __u16 queue, __u8 dir)
{
	return (ifindex * 37 + queue * 2u + dir) & (SKBTOP_QUEUE_SLOTS - 1);
}

/*
 * -L drops go first to a per-CPU direct-mapped array of cells, owned as the
 * queue cells are: a hit is a compare and an add, no hash and no name read.
 * A tuple whose cell another owns goes to the drop hash. taken != 0 marks
 * the cell owned and is written last; dev is the net_device address (0 for
 * none).
 */
struct drop_cell {
	struct drop_key key;
	__u64 dev;
	__u64 count;
	__u32 taken;
	__u32 pad;
};

static inline __u32 drop_cell_index(__u32 reason, __u64 location, __u32 ifindex, __u16 queue)
{
	__u64 h = location ^ ((__u64)reason << 40) ^ ((__u64)ifindex << 16) ^ queue;

	return (__u32)((h * 0x9e3779b97f4a7c15ULL) >> 58) & (SKBTOP_DROP_CELLS - 1);
}

/*
 * tun_sendmsg() latency: a log2-ns histogram per tun queue and batch class,
 * timed from its fentry to its fexit (bpf_ktime_get_ns). Bucket 0 holds 0 ns,
 * bucket i (1..30) [2^(i-1), 2^i - 1] ns, bucket 31 from 2^30 ns (1.07 s) up.
 * Batch classes: 0 is a plain sendmsg() (no TUN_MSG_PTR control: one frame
 * from an iov, as vhost-net sends a frame too large to batch or a zerocopy
 * one); a TUN_MSG_PTR batch
 * of num frames is 1 + skbtop_log2_bucket(num, 9): 1 = 0 frames, 2 = 1,
 * 3 = 2-3, 4 = 4-7, 5 = 8-15, 6 = 16-31, 7 = 32-63, 8 = 64-127, 9 = 128 and
 * more (vhost-net batches at most 64: VHOST_NET_BATCH).
 */
#define SKBTOP_LAT_SLOTS	32
#define SKBTOP_SENDMSG_CLASSES	10
#define SKBTOP_MAX_SENDMSG_KEYS	512	/* (queue, batch class) pairs */

/* floor(log2(v)) for v > 0, branch-free (no loops for the verifier). */
static inline __u32 skbtop_log2_u64(__u64 v)
{
	__u32 r, s;

	r = (__u32)(v > 0xffffffffULL) << 5; v >>= r;
	s = (__u32)(v > 0xffff) << 4; v >>= s; r |= s;
	s = (__u32)(v > 0xff) << 3; v >>= s; r |= s;
	s = (__u32)(v > 0xf) << 2; v >>= s; r |= s;
	s = (__u32)(v > 0x3) << 1; v >>= s; r |= s;
	return r | (__u32)(v >> 1);
}

/* Bucket 0 holds 0; bucket i holds [2^(i-1), 2^i - 1]; the last (nslots - 1) is open. */
static inline __u32 skbtop_log2_bucket(__u64 v, __u32 nslots)
{
	__u32 b = v ? skbtop_log2_u64(v) + 1 : 0;

	return b < nslots ? b : nslots - 1;
}

/* The batch class of a tun_sendmsg() call: ptr, a TUN_MSG_PTR batch of num frames. */
static inline __u32 skbtop_sendmsg_class(int ptr, __u32 num)
{
	return ptr ? 1 + skbtop_log2_bucket(num, SKBTOP_SENDMSG_CLASSES - 1) : 0;
}

struct sendmsg_key {
	struct queue_key q;	/* the tun file's queue, dir QUEUE_RX */
	__u32 batch;		/* batch class, skbtop_sendmsg_class() */
	__u32 pad;		/* zero: keys are compared with memcmp */
};

struct sendmsg_hist {
	__u64 ns[SKBTOP_LAT_SLOTS];	/* calls per log2-ns bucket of their duration */
};

#endif /* SKBTOP_H */
