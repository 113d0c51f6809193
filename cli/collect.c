// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "collect.h"

int collector__init(struct collector *c, __u32 ncpus, bool drops_by_cpu)
{
	memset(c, 0, sizeof(*c));
	c->ncpus = ncpus;
	c->drops_by_cpu = drops_by_cpu;
	/*
	 * Zeroed: valgrind does not know per-CPU lookups fill ncpus values, nor
	 * batch lookups at all, and would flag every counter read as undefined.
	 */
	c->valbuf = calloc(ncpus ? ncpus : 1, collect_stride(sizeof(struct cpu_counters)));
	if (!c->valbuf || drop_cells__init(&c->cells, ncpus)) {
		collector__free(c);
		return -ENOMEM;
	}
	return 0;
}

void collector__free(struct collector *c)
{
	free(c->valbuf);
	drop_cells__free(&c->cells);
	memset(c, 0, sizeof(*c));
}

/* Every CPU's value of one per-CPU cpu_counters map, added to its row. */
static int read_cpu_counters(struct collector *c, const struct collect_source *src,
			     enum collect_map m, struct snapshot *s)
{
	size_t stride = collect_stride(sizeof(struct cpu_counters));
	int err = src->lookup(src->arg, m, 0, c->valbuf);

	if (err)
		return err;
	for (__u32 cpu = 0; cpu < c->ncpus; cpu++) {
		const __u64 *v = (const __u64 *)((char *)c->valbuf + cpu * stride);
		__u64 *acc = (__u64 *)&s->cpus[cpu];

		for (size_t w = 0; w < sizeof(struct cpu_counters) / 8; w++)
			acc[w] += v[w];
	}
	return 0;
}

/* The kick matrix: one key per target CPU, one value per sender. */
static int read_kicks(struct collector *c, const struct collect_source *src, struct snapshot *s)
{
	size_t stride = collect_stride(sizeof(struct kick_cell));

	for (__u32 t = 0; t < c->ncpus; t++) {
		int err = src->lookup(src->arg, CM_KICKS, t, c->valbuf);

		if (err)
			return err;
		for (__u32 cpu = 0; cpu < c->ncpus; cpu++)
			s->kicks[cpu * c->ncpus + t] =
				*(struct kick_cell *)((char *)c->valbuf + cpu * stride);
	}
	return 0;
}

/* One index of the -L cell array: each CPU's owner, kept for the merge. */
static int cell_row(struct collector *c, struct snapshot *s, const void *key, const void *vals)
{
	drop_cells__add(&c->cells, vals, collect_stride(sizeof(struct drop_cell)));
	return 0;
}

/* Drop rows of one key, and the per-CPU drop totals (the probe keeps no other). */
static int drop_row(struct collector *c, struct snapshot *s, const void *key, const void *vals)
{
	return drop_cells__hash_row(&c->cells, s, key, vals, c->drops_by_cpu);
}

/* One slot of the per-reason drop array: rows with no device or location. */
static int reason_row(struct collector *c, struct snapshot *s, const void *key, const void *vals)
{
	struct drop_key dk = { .reason = drop_slot_reason(*(const __u32 *)key) };

	/* no location: never the key of a -L cell, so nothing to merge */
	return snapshot__add_percpu_drops(s, &dk, vals, c->drops_by_cpu);
}

/* Add qc to the row of key, or append one (rows of a queue come from several maps). */
static int merge_queue(struct snapshot *s, const struct queue_key *key,
		       const struct queue_counters *qc)
{
	for (size_t i = 0; i < s->nqueues; i++) {
		if (memcmp(&s->queues[i].key, key, sizeof(*key)))
			continue;
		for (size_t w = 0; w < sizeof(*qc) / 8; w++)
			((__u64 *)&s->queues[i].c)[w] += ((const __u64 *)qc)[w];
		return 0;
	}
	return snapshot__add_queue(s, key, qc);
}

static int queue_row(struct collector *c, struct snapshot *s, const void *key, const void *vals)
{
	size_t stride = collect_stride(sizeof(struct queue_counters));
	struct queue_counters sum = {};

	for (__u32 cpu = 0; cpu < c->ncpus; cpu++) {
		const __u64 *v = (const __u64 *)((const char *)vals + cpu * stride);

		for (size_t w = 0; w < sizeof(sum) / 8; w++)
			((__u64 *)&sum)[w] += v[w];
	}
	return merge_queue(s, key, &sum);
}

/* One cell of the per-CPU direct-mapped tun queue array: each CPU's owner. */
static int queue_slot_row(struct collector *c, struct snapshot *s, const void *key,
			  const void *vals)
{
	size_t stride = collect_stride(sizeof(struct queue_slot));

	for (__u32 cpu = 0; cpu < c->ncpus; cpu++) {
		const struct queue_slot *cell =
			(const struct queue_slot *)((const char *)vals + cpu * stride);
		struct queue_counters qc = { .drops = cell->drops, .consumes = cell->consumes };
		struct queue_key qk;
		int err;

		if (!cell->key.ifindex)
			continue;
		qk = cell->key;
		qk.pad = 0;
		qk.ifname[SKBTOP_IFNAMSIZ - 1] = '\0';
		err = merge_queue(s, &qk, &qc);
		if (err)
			return err;
	}
	return 0;
}

/* One (queue, batch class) of the tun_sendmsg() latency map: its CPUs' buckets added. */
static int sendmsg_row(struct collector *c, struct snapshot *s, const void *key, const void *vals)
{
	size_t stride = collect_stride(sizeof(struct sendmsg_hist));
	struct sendmsg_hist sum = {};
	struct sendmsg_key k = *(const struct sendmsg_key *)key;

	for (__u32 cpu = 0; cpu < c->ncpus; cpu++) {
		const struct sendmsg_hist *h =
			(const struct sendmsg_hist *)((const char *)vals + cpu * stride);

		for (int b = 0; b < SKBTOP_LAT_SLOTS; b++)
			sum.ns[b] += h->ns[b];
	}
	k.pad = 0;
	k.q.pad = 0;
	return snapshot__add_sendmsg(s, &k, &sum, NULL);
}

/*
 * One cell of softirq_where's task array, or one task of its hash: a row
 * per CPU where a task holds it (pid set) and ran softirqs. A (task, CPU)
 * is in one of the two maps only (include/skbtop.h).
 */
static int task_cell_row(struct collector *c, struct snapshot *s, const void *key,
			 const void *vals)
{
	size_t stride = collect_stride(sizeof(struct sirq_task_cell));

	(void)key;	/* the cell says whose it is */
	for (__u32 cpu = 0; cpu < c->ncpus; cpu++) {
		const struct sirq_task_cell *t =
			(const struct sirq_task_cell *)((const char *)vals + cpu * stride);
		struct sirq_task_key k = { .pid = t->pid, .tgid = t->tgid };
		int err;

		if (!t->pid || (!t->n.runs[0] && !t->n.runs[1]))
			continue;
		memcpy(k.comm, t->comm, sizeof(k.comm) - 1);
		err = snapshot__add_task(s, &k, cpu, &t->n);
		if (err)
			return err;
	}
	return 0;
}

static bool has(const struct collect_source *src, enum collect_map m)
{
	return src->maps & (1u << m);
}

static int walk(struct collector *c, const struct collect_source *src, enum collect_map m,
		collect_row_fn row, struct snapshot *s)
{
	return has(src, m) ? src->walk(src->arg, m, row, c, s) : 0;
}

int collector__read(struct collector *c, const struct collect_source *src, struct snapshot *s)
{
	struct rusage ru;
	int err;

	err = snapshot__reset(s, c->ncpus);
	if (err)
		return err;
	s->mono_ns = now_ns(CLOCK_MONOTONIC);
	s->real_ns = now_ns(CLOCK_REALTIME);
	if (has(src, CM_DROPS_CPU))
		err = read_cpu_counters(c, src, CM_DROPS_CPU, s);
	err = err ?: walk(c, src, CM_DROP_REASONS, reason_row, s);
	c->cells.ncells = 0;
	err = err ?: walk(c, src, CM_DROP_CELLS, cell_row, s);
	drop_cells__sort(&c->cells);
	err = err ?: walk(c, src, CM_DROP_COUNTS, drop_row, s);
	err = err ?: drop_cells__rest(&c->cells, s, c->drops_by_cpu);
	err = err ?: walk(c, src, CM_QUEUE_SLOTS, queue_slot_row, s);
	err = err ?: walk(c, src, CM_DROPS_QUEUES, queue_row, s);
	if (!err && has(src, CM_DEFER_CPU))
		err = read_cpu_counters(c, src, CM_DEFER_CPU, s);
	if (!err && has(src, CM_KICKS))
		err = read_kicks(c, src, s);
	if (!err && has(src, CM_ALLOC_CPU))
		err = read_cpu_counters(c, src, CM_ALLOC_CPU, s);
	err = err ?: walk(c, src, CM_ALLOC_QUEUES, queue_row, s);
	if (!err && has(src, CM_CONSUME_CPU))
		err = read_cpu_counters(c, src, CM_CONSUME_CPU, s);
	err = err ?: walk(c, src, CM_CONSUME_QUEUES, queue_row, s);
	err = err ?: walk(c, src, CM_ALLOC_SENDMSG, sendmsg_row, s);
	if (!err && has(src, CM_SOFTIRQ_CPU))
		err = read_cpu_counters(c, src, CM_SOFTIRQ_CPU, s);
	err = err ?: walk(c, src, CM_SOFTIRQ_TASK_CELLS, task_cell_row, s);
	err = err ?: walk(c, src, CM_SOFTIRQ_TASKS, task_cell_row, s);
	err = err ?: (src->progs ? src->progs(src->arg, s) : 0);
	if (!err)
		snapshot__fill_ipis_recv(s);
	if (!err && !getrusage(RUSAGE_SELF, &ru))
		s->user_cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
				 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	if (err)
		snapshot__free(s);
	return err;
}
