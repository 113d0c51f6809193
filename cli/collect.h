/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The collector: one read of every map into a snapshot. Everything but the
 * map reads themselves is here, pure code: which maps are read in which
 * order, how per-CPU values become rows, the -L cell merge, the clocks.
 * The reads come through a source: cli/probes.c reads the BPF maps
 * (batch lookups), bench/refresh.c and unit tests hand over synthetic
 * map contents, and both run this same code.
 */
#ifndef SKBTOP_COLLECT_H
#define SKBTOP_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include "snapshot.h"
#include "dropcells.h"

/* The maps of one read, in the order they are read. */
enum collect_map {
	CM_DROPS_CPU,		/* drops: cpu_counters, per-CPU array, key 0 */
	CM_DROP_REASONS,	/* drops: drop_reasons, per-CPU array by reason slot (__u64) */
	CM_DROP_CELLS,		/* drops: drop_cells, the -L per-CPU cells (struct drop_cell) */
	CM_DROP_COUNTS,		/* drops: drop_counts, per-CPU hash by drop_key (__u64) */
	CM_QUEUE_SLOTS,		/* drops: queue_slots, per-CPU cells (struct queue_slot) */
	CM_DROPS_QUEUES,	/* drops: queue_counters, per-CPU hash by queue_key */
	CM_DEFER_CPU,		/* defer: cpu_counters */
	CM_KICKS,		/* defer: kick_matrix, per-CPU array by target CPU (kick_cell) */
	CM_ALLOC_CPU,		/* alloc: cpu_counters */
	CM_ALLOC_QUEUES,	/* alloc: queue_counters */
	CM_CONSUME_CPU,		/* consume: cpu_counters */
	CM_CONSUME_QUEUES,	/* consume: queue_counters */
	CM_ALLOC_SENDMSG,	/* alloc: sendmsg_hist, per-CPU hash by sendmsg_key */
	CM_SOFTIRQ_CPU,		/* softirq: cpu_counters */
	CM_SOFTIRQ_TASK_CELLS,	/* softirq: sirq_task_cells, per-CPU cells (struct sirq_task_cell) */
	CM_SOFTIRQ_TASKS,	/* softirq: sirq_tasks, per-CPU hash of sirq_task_cell by sirq_task_id */
	CM_NR
};

struct collector;

/* One key of a per-CPU map and its values: ncpus of them, 8-byte aligned each. */
typedef int (*collect_row_fn)(struct collector *c, struct snapshot *s, const void *key,
			      const void *vals);

/* Where the map contents come from. */
struct collect_source {
	unsigned int maps;	/* bit CM_x: map x exists (its object is loaded) */
	/* One key of a per-CPU array into vals (ncpus values). 0 or -errno. */
	int (*lookup)(void *arg, enum collect_map m, __u32 key, void *vals);
	/* Every key of a per-CPU map, each handed to row(c, s, key, vals). 0 or -errno. */
	int (*walk)(void *arg, enum collect_map m, collect_row_fn row, struct collector *c,
		    struct snapshot *s);
	/* The programs' run-time statistics (snapshot__add_prog). 0 or -errno. */
	int (*progs)(void *arg, struct snapshot *s);
	void *arg;
};

struct collector {
	__u32 ncpus;
	bool drops_by_cpu;		/* per-CPU drops by reason too (snapshot.cpu_drop_*) */
	void *valbuf;			/* one key's per-CPU values (the largest: cpu_counters) */
	struct drop_cells cells;	/* -L cells of one read, merged into the drop rows */
};

/* 0 or -ENOMEM. */
int collector__init(struct collector *c, __u32 ncpus, bool drops_by_cpu);
void collector__free(struct collector *c);

/*
 * Read every map of src once into s (reset by this call: zeroed, or
 * reused), stamped with CLOCK_MONOTONIC and CLOCK_REALTIME before the
 * reads and with skbtop's own CPU time after them. Returns 0 or -errno
 * (s then freed).
 */
int collector__read(struct collector *c, const struct collect_source *src, struct snapshot *s);

/* The stride of one CPU's value in a per-CPU map: the size rounded up to 8 bytes. */
static inline size_t collect_stride(size_t value_size)
{
	return (value_size + 7) & ~(size_t)7;
}

#endif
