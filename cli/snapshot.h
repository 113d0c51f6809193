/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One snapshot: every counter the probes keep, read once per interval.
 * A delta has the same shape and holds the counts of one interval. Every
 * view (text, JSON, TUI, record file, /metrics, diff) consumes these; none
 * reads a BPF map itself.
 */
#ifndef SKBTOP_SNAPSHOT_H
#define SKBTOP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include "skbtop.h"
#include "fields.h"

/* Drops of one key (reason; with -L also device, queue and location), summed over CPUs. */
struct drop_row {
	struct drop_key key;
	__u64 count;
};

struct queue_row {
	struct queue_key key;
	struct queue_counters c;	/* summed over CPUs */
};

/* tun_sendmsg() durations of one (queue, batch class), summed over CPUs. */
struct sendmsg_row {
	struct sendmsg_key key;
	struct sendmsg_hist h;
};

/* NET_RX/NET_TX runs of one task in its do_softirq() (softirq_where), on one CPU. */
struct sirq_task_row {
	struct sirq_task_key key;
	__u32 cpu;
	__u32 pad;
	struct sirq_task_counters c;
};

/* BPF run-time statistics of one attached program (kernel.bpf_stats_enabled). */
struct prog_row {
	char name[32];
	__u64 run_ns;
	__u64 run_cnt;
	__u64 misses;	/* runs the kernel skipped (recursion): events lost */
};

struct snapshot {
	__u64 mono_ns;			/* CLOCK_MONOTONIC at read; for a delta, the interval */
	__u64 real_ns;			/* CLOCK_REALTIME at read (end of interval for a delta) */
	__u32 ncpus;
	struct cpu_counters *cpus;	/* [ncpus] */
	struct kick_cell *kicks;	/* [ncpus * ncpus], index sender * ncpus + target */
	struct queue_row *queues;
	size_t nqueues, queues_cap;	/* rows used, rows allocated */
	struct drop_row *drops;		/* one row per key with a non-zero count */
	size_t ndrops, drops_cap;
	/*
	 * Per-CPU drops by reason (when the collector was asked for them: -C,
	 * the screen, record, export): row i holds reason cpu_drop_reasons[i]
	 * and its ncpus counts at snapshot__cpu_drops(s, i). Locations and
	 * devices are summed over CPUs: at 256 CPUs x 4096 -L keys, rows per
	 * (key, CPU) would be a million per interval.
	 */
	__u32 *cpu_drop_reasons;
	__u64 *cpu_drop_counts;		/* [ncpu_drop_reasons * ncpus] */
	size_t ncpu_drop_reasons, cpu_drops_cap;
	__u32 *cpu_drop_index;		/* reason -> row + 1, open addressing (snapshot.c) */
	size_t cpu_drop_index_cap;
	struct prog_row *progs;
	size_t nprogs, progs_cap;
	struct sirq_task_row *tasks;	/* softirq_where: one row per (task, CPU) */
	size_t ntasks, tasks_cap;
	__u64 user_cpu_ns;		/* skbtop's own user+system CPU time */
	struct sendmsg_row *sendmsg;	/* sorted by key, keys distinct */
	size_t nsendmsg, sendmsg_cap;
};

/*
 * The collector reads a per-CPU map in batches of up to 256 keys whose
 * values (value_bytes for all CPUs of one key) fit in 1 MB: at 256 CPUs a
 * queue map key holds 22 KB, and 256 of them would be a 6 MB buffer.
 */
#define SNAPSHOT_BATCH_KEYS 256
#define SNAPSHOT_BATCH_BYTES (1u << 20)

static inline __u32 snapshot_batch_keys(size_t value_bytes)
{
	size_t n = value_bytes ? SNAPSHOT_BATCH_BYTES / value_bytes : SNAPSHOT_BATCH_KEYS;

	return n < 1 ? 1 : n > SNAPSHOT_BATCH_KEYS ? SNAPSHOT_BATCH_KEYS : (__u32)n;
}

/* Allocate the per-CPU arrays, zeroed. Returns 0 or -ENOMEM. */
int snapshot__init(struct snapshot *s, __u32 ncpus);
/*
 * Empty s for the next interval and keep its storage, so a loop that
 * rotates its snapshots allocates (and page-faults) nothing once warm. s
 * must be zeroed or hold a snapshot. Returns 0 or -ENOMEM (s then freed).
 */
int snapshot__reset(struct snapshot *s, __u32 ncpus);
void snapshot__free(struct snapshot *s);

static inline void snapshot__swap(struct snapshot *a, struct snapshot *b)
{
	struct snapshot t = *a;

	*a = *b;
	*b = t;
}
/* Deep copy; dst must be empty (zeroed). Returns 0 or -ENOMEM. */
int snapshot__copy(struct snapshot *dst, const struct snapshot *src);

static inline __u64 *snapshot__cpu_drops(const struct snapshot *s, size_t i)
{
	return s->cpu_drop_counts + i * s->ncpus;
}

/* Append a row (amortized growth); the caller keeps keys distinct. 0 or -ENOMEM. */
int snapshot__add_drop(struct snapshot *s, const struct drop_key *key, __u64 count);
/* Add count to key's row, appending it if absent (a linear search: readers of small files). */
int snapshot__merge_drop(struct snapshot *s, const struct drop_key *key, __u64 count);
/* Add count to reason's count on cpu (< ncpus), adding the reason's row if absent. */
int snapshot__add_cpu_drop(struct snapshot *s, __u32 reason, __u32 cpu, __u64 count);
/*
 * One drop key from its per-CPU values vals[s->ncpus]: a row with their
 * sum, each CPU's value added to cpus[c].drops and, with per_cpu, to the
 * reason's per-CPU counts. Returns 0 or -ENOMEM.
 */
int snapshot__add_percpu_drops(struct snapshot *s, const struct drop_key *key, const __u64 *vals,
			       bool per_cpu);
int snapshot__add_queue(struct snapshot *s, const struct queue_key *key,
			const struct queue_counters *c);
/* Append a row; the caller keeps (key, cpu) pairs distinct. 0 or -ENOMEM. */
int snapshot__add_task(struct snapshot *s, const struct sirq_task_key *key, __u32 cpu,
		       const struct sirq_task_counters *c);
/* Add c to the row of (key, cpu), appending it if absent (a linear search). 0 or -ENOMEM. */
int snapshot__merge_task(struct snapshot *s, const struct sirq_task_key *key, __u32 cpu,
			 const struct sirq_task_counters *c);
/*
 * The rows of s with the most NET_RX+NET_TX runs, most first (ties: lower
 * pid, then CPU), rows without runs left out: up to max pointers into
 * s->tasks in out; returns how many.
 */
size_t snapshot__top_tasks(const struct snapshot *s, const struct sirq_task_row **out, size_t max);
int snapshot__add_prog(struct snapshot *s, const char *name, __u64 run_ns, __u64 run_cnt);
/*
 * Add h to key's row, inserting it in key order if absent. *wrapped (when
 * not NULL) is set if a bucket passed 2^64. Returns 0 or -ENOMEM.
 */
int snapshot__add_sendmsg(struct snapshot *s, const struct sendmsg_key *key,
			  const struct sendmsg_hist *h, bool *wrapped);
/* key's row, or NULL. */
const struct sendmsg_row *snapshot__find_sendmsg(const struct snapshot *s,
						 const struct sendmsg_key *key);

/*
 * out = cur - prev, counter by counter, matching rows by key. Counters are
 * free-running u64s and are subtracted modulo 2^64, so a wrapped counter
 * gives the right delta. CPUs or rows absent from prev (hot-added CPUs, new
 * keys) count from zero. out is reset first (zeroed, or an earlier delta
 * whose storage is reused). Returns 0 or -ENOMEM (out then freed).
 */
int snapshot__delta(const struct snapshot *prev, const struct snapshot *cur,
		    struct snapshot *out);

/* acc += d (for totals over many deltas). ncpus grows as needed. */
int snapshot__accumulate(struct snapshot *acc, const struct snapshot *d);

/* The (reason, CPU) pairs with a per-CPU drop count. */
size_t snapshot__cpu_drop_cells(const struct snapshot *s);

/* Sum of every CPU's counters. */
void snapshot__sum_cpus(const struct snapshot *s, struct cpu_counters *total);

/* Sum of drop counts per reason: fills reasons[]/counts[] (up to max), returns count. */
size_t snapshot__drops_by_reason(const struct snapshot *s, __u32 *reasons, __u64 *counts,
				 size_t max);

/*
 * defer_ipis_recv of every CPU from the kick matrix (IPIs sent to it): the
 * collector and the capture reader call this after filling a snapshot.
 */
void snapshot__fill_ipis_recv(struct snapshot *s);

/* clk's time in ns: what snapshots are stamped with (CLOCK_MONOTONIC, CLOCK_REALTIME). */
static inline __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static inline __u64 counter_at(const void *base, size_t offset)
{
	return *(const __u64 *)((const char *)base + offset);
}

#endif /* SKBTOP_SNAPSHOT_H */
