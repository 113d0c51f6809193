// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"


#define NWORDS(type) (sizeof(type) / sizeof(__u64))

int snapshot__init(struct snapshot *s, __u32 ncpus)
{
	memset(s, 0, sizeof(*s));
	s->ncpus = ncpus;
	s->cpus = calloc(ncpus ? ncpus : 1, sizeof(*s->cpus));
	s->kicks = calloc(ncpus ? (size_t)ncpus * ncpus : 1, sizeof(*s->kicks));
	if (!s->cpus || !s->kicks) {
		snapshot__free(s);
		return -ENOMEM;
	}
	return 0;
}

void snapshot__free(struct snapshot *s)
{
	free(s->cpus);
	free(s->kicks);
	free(s->queues);
	free(s->drops);
	free(s->cpu_drop_reasons);
	free(s->cpu_drop_counts);
	free(s->cpu_drop_index);
	free(s->progs);
	free(s->sendmsg);
	free(s->tasks);
	memset(s, 0, sizeof(*s));
}

int snapshot__reset(struct snapshot *s, __u32 ncpus)
{
	if (!s->cpus || s->ncpus != ncpus) {
		struct snapshot fresh;

		if (snapshot__init(&fresh, ncpus)) {
			snapshot__free(s);
			return -ENOMEM;
		}
		free(s->cpus);
		free(s->kicks);
		s->cpus = fresh.cpus;
		s->kicks = fresh.kicks;
		s->ncpus = ncpus;
		/* the per-CPU drop rows are ncpus wide: start them afresh */
		free(s->cpu_drop_reasons);
		free(s->cpu_drop_counts);
		s->cpu_drop_reasons = NULL;
		s->cpu_drop_counts = NULL;
		s->cpu_drops_cap = 0;
	} else {
		memset(s->cpus, 0, (ncpus ? ncpus : 1) * sizeof(*s->cpus));
		memset(s->kicks, 0, (ncpus ? (size_t)ncpus * ncpus : 1) * sizeof(*s->kicks));
	}
	s->mono_ns = s->real_ns = s->user_cpu_ns = 0;
	s->ndrops = s->ncpu_drop_reasons = s->nqueues = s->nprogs = s->ntasks = 0;
	s->nsendmsg = 0;
	if (s->cpu_drop_index)	/* rows are gone: so are their index entries */
		memset(s->cpu_drop_index, 0, s->cpu_drop_index_cap * sizeof(*s->cpu_drop_index));
	return 0;
}

/* Room for one more row in *arr (doubling); NULL when out of memory. */
static void *grow(void *arr, size_t n, size_t *cap, size_t elem)
{
	void *bigger;

	if (n < *cap)
		return arr;
	bigger = realloc(arr, (*cap ? *cap * 2 : 16) * elem);
	if (bigger)
		*cap = *cap ? *cap * 2 : 16;
	return bigger;
}

int snapshot__add_drop(struct snapshot *s, const struct drop_key *key, __u64 count)
{
	struct drop_row *rows = grow(s->drops, s->ndrops, &s->drops_cap, sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	s->drops = rows;
	rows[s->ndrops].key = *key;
	rows[s->ndrops].count = count;
	s->ndrops++;
	return 0;
}

int snapshot__merge_drop(struct snapshot *s, const struct drop_key *key, __u64 count)
{
	for (size_t i = s->ndrops; i-- > 0;)
		if (!memcmp(&s->drops[i].key, key, sizeof(*key))) {
			s->drops[i].count += count;
			return 0;
		}
	return snapshot__add_drop(s, key, count);
}

/*
 * Per-CPU rows are found through an open-addressed index of reason ->
 * row + 1 (0: empty), at least twice as large as the rows: -L keys and
 * capture files meet reasons in any order.
 */
static size_t reason_hash(__u32 reason, size_t cap)
{
	return (size_t)((reason * 2654435761u) ^ (reason >> 16)) & (cap - 1);
}

/* The per-CPU row of reason, or -1. */
static long find_cpu_drop_row(const struct snapshot *s, __u32 reason)
{
	if (!s->cpu_drop_index_cap)
		return -1;
	for (size_t h = reason_hash(reason, s->cpu_drop_index_cap);;
	     h = (h + 1) & (s->cpu_drop_index_cap - 1)) {
		__u32 row = s->cpu_drop_index[h];

		if (!row)
			return -1;
		if (s->cpu_drop_reasons[row - 1] == reason)
			return (long)row - 1;
	}
}

static void index_cpu_drop_row(struct snapshot *s, size_t row)
{
	size_t h = reason_hash(s->cpu_drop_reasons[row], s->cpu_drop_index_cap);

	while (s->cpu_drop_index[h])
		h = (h + 1) & (s->cpu_drop_index_cap - 1);
	s->cpu_drop_index[h] = row + 1;
}

/* A new zeroed per-CPU row for reason (absent); -1 when out of memory. */
static long append_cpu_drop_row(struct snapshot *s, __u32 reason)
{
	size_t n = s->ncpu_drop_reasons, cap = s->cpu_drops_cap;

	if (n == cap) {
		__u32 *reasons;
		__u64 *counts;

		cap = cap ? cap * 2 : 16;
		reasons = realloc(s->cpu_drop_reasons, cap * sizeof(*reasons));
		if (!reasons)
			return -1;
		s->cpu_drop_reasons = reasons;
		counts = realloc(s->cpu_drop_counts, cap * (s->ncpus ? s->ncpus : 1) * sizeof(*counts));
		if (!counts)
			return -1;
		s->cpu_drop_counts = counts;
		s->cpu_drops_cap = cap;
	}
	if (2 * (n + 1) > s->cpu_drop_index_cap) {	/* grow the index and re-enter every row */
		size_t icap = s->cpu_drop_index_cap ? 2 * s->cpu_drop_index_cap : 64;
		__u32 *idx = calloc(icap, sizeof(*idx));

		if (!idx)
			return -1;
		free(s->cpu_drop_index);
		s->cpu_drop_index = idx;
		s->cpu_drop_index_cap = icap;
		for (size_t i = 0; i < n; i++)
			index_cpu_drop_row(s, i);
	}
	s->cpu_drop_reasons[n] = reason;
	memset(snapshot__cpu_drops(s, n), 0, s->ncpus * sizeof(__u64));
	index_cpu_drop_row(s, n);
	s->ncpu_drop_reasons++;
	return (long)n;
}

/* The per-CPU row of reason, appended if absent. */
static long cpu_drop_row(struct snapshot *s, __u32 reason)
{
	long i = find_cpu_drop_row(s, reason);

	return i >= 0 ? i : append_cpu_drop_row(s, reason);
}

/* Add n per-CPU counts of reason (vals[n], n <= s->ncpus) to s. 0 or -ENOMEM. */
static int add_cpu_drops(struct snapshot *s, __u32 reason, const __u64 *vals, __u32 n)
{
	long i = cpu_drop_row(s, reason);
	__u64 *row;

	if (i < 0)
		return -ENOMEM;
	row = snapshot__cpu_drops(s, i);
	for (__u32 c = 0; c < n; c++)
		row[c] += vals[c];
	return 0;
}

int snapshot__add_cpu_drop(struct snapshot *s, __u32 reason, __u32 cpu, __u64 count)
{
	long i = cpu_drop_row(s, reason);

	if (i < 0)
		return -ENOMEM;
	if (cpu < s->ncpus)
		snapshot__cpu_drops(s, i)[cpu] += count;
	return 0;
}

int snapshot__add_percpu_drops(struct snapshot *s, const struct drop_key *key, const __u64 *vals,
			       bool per_cpu)
{
	__u64 sum = 0;

	for (__u32 c = 0; c < s->ncpus; c++) {
		s->cpus[c].drops += vals[c];
		sum += vals[c];
	}
	if (!sum)
		return 0;
	if (per_cpu && add_cpu_drops(s, key->reason, vals, s->ncpus))
		return -ENOMEM;
	return snapshot__add_drop(s, key, sum);
}


int snapshot__add_queue(struct snapshot *s, const struct queue_key *key,
			const struct queue_counters *c)
{
	struct queue_row *rows = grow(s->queues, s->nqueues, &s->queues_cap, sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	s->queues = rows;
	rows[s->nqueues].key = *key;
	rows[s->nqueues].c = *c;
	s->nqueues++;
	return 0;
}

static struct sirq_task_row *find_task(const struct snapshot *s, const struct sirq_task_key *k,
				       __u32 cpu)
{
	for (size_t i = 0; i < s->ntasks; i++)
		if (s->tasks[i].cpu == cpu && !memcmp(&s->tasks[i].key, k, sizeof(*k)))
			return &s->tasks[i];
	return NULL;
}

int snapshot__add_task(struct snapshot *s, const struct sirq_task_key *key, __u32 cpu,
		       const struct sirq_task_counters *c)
{
	struct sirq_task_row *rows = grow(s->tasks, s->ntasks, &s->tasks_cap, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	s->tasks = rows;
	memset(&rows[s->ntasks], 0, sizeof(rows[0]));
	rows[s->ntasks].key = *key;
	rows[s->ntasks].cpu = cpu;
	rows[s->ntasks].c = *c;
	s->ntasks++;
	return 0;
}

int snapshot__merge_task(struct snapshot *s, const struct sirq_task_key *key, __u32 cpu,
			 const struct sirq_task_counters *c)
{
	struct sirq_task_row *p = find_task(s, key, cpu);

	if (!p)
		return snapshot__add_task(s, key, cpu, c);
	for (int v = 0; v < 2; v++) {
		p->c.runs[v] += c->runs[v];
		p->c.ns[v] += c->ns[v];
	}
	return 0;
}

static bool task_before(const struct sirq_task_row *a, const struct sirq_task_row *b)
{
	__u64 na = a->c.runs[0] + a->c.runs[1], nb = b->c.runs[0] + b->c.runs[1];

	if (na != nb)
		return na > nb;
	if (a->key.pid != b->key.pid)
		return a->key.pid < b->key.pid;
	return a->cpu < b->cpu;
}

size_t snapshot__top_tasks(const struct snapshot *s, const struct sirq_task_row **out, size_t max)
{
	size_t n = 0;

	/* insertion into a short sorted list: max is small (the top 8) */
	for (size_t i = 0; i < s->ntasks; i++) {
		const struct sirq_task_row *r = &s->tasks[i];
		size_t j;

		if (!r->c.runs[0] && !r->c.runs[1])
			continue;
		if (n == max && (!max || !task_before(r, out[n - 1])))
			continue;
		j = n < max ? n++ : n - 1;
		for (; j > 0 && task_before(r, out[j - 1]); j--)
			out[j] = out[j - 1];
		out[j] = r;
	}
	return n;
}

int snapshot__add_prog(struct snapshot *s, const char *name, __u64 run_ns, __u64 run_cnt)
{
	struct prog_row *rows = grow(s->progs, s->nprogs, &s->progs_cap, sizeof(*rows));

	if (!rows)
		return -ENOMEM;
	s->progs = rows;
	memset(&rows[s->nprogs], 0, sizeof(rows[0]));
	strncpy(rows[s->nprogs].name, name, sizeof(rows[0].name) - 1);
	rows[s->nprogs].run_ns = run_ns;
	rows[s->nprogs].run_cnt = run_cnt;
	s->nprogs++;
	return 0;
}

static int cmp_sendmsg_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sendmsg_key));
}

/* Where key's row is, or would be inserted (rows are sorted). */
static size_t sendmsg_pos(const struct snapshot *s, const struct sendmsg_key *key, bool *found)
{
	size_t lo = 0, hi = s->nsendmsg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_sendmsg_key(&s->sendmsg[mid].key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct sendmsg_row *snapshot__find_sendmsg(const struct snapshot *s,
						 const struct sendmsg_key *key)
{
	bool found;
	size_t i = sendmsg_pos(s, key, &found);

	return found ? &s->sendmsg[i] : NULL;
}

int snapshot__add_sendmsg(struct snapshot *s, const struct sendmsg_key *key,
			  const struct sendmsg_hist *h, bool *wrapped)
{
	struct sendmsg_row *rows;
	bool found, w = false;
	size_t i = sendmsg_pos(s, key, &found);

	if (!found) {
		rows = grow(s->sendmsg, s->nsendmsg, &s->sendmsg_cap, sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		s->sendmsg = rows;
		memmove(&rows[i + 1], &rows[i], (s->nsendmsg - i) * sizeof(*rows));
		memset(&rows[i], 0, sizeof(*rows));
		rows[i].key = *key;
		s->nsendmsg++;
	}
	for (int b = 0; b < SKBTOP_LAT_SLOTS; b++)
		w |= __builtin_add_overflow(s->sendmsg[i].h.ns[b], h->ns[b], &s->sendmsg[i].h.ns[b]);
	if (wrapped)
		*wrapped |= w;
	return 0;
}

int snapshot__copy(struct snapshot *dst, const struct snapshot *src)
{
	size_t i;
	int err;

	err = snapshot__init(dst, src->ncpus);
	if (err)
		return err;
	dst->mono_ns = src->mono_ns;
	dst->real_ns = src->real_ns;
	dst->user_cpu_ns = src->user_cpu_ns;
	memcpy(dst->cpus, src->cpus, src->ncpus * sizeof(*src->cpus));
	memcpy(dst->kicks, src->kicks, (size_t)src->ncpus * src->ncpus * sizeof(*src->kicks));
	for (i = 0; i < src->ndrops && !err; i++)
		err = snapshot__add_drop(dst, &src->drops[i].key, src->drops[i].count);
	for (i = 0; i < src->ncpu_drop_reasons && !err; i++)
		err = add_cpu_drops(dst, src->cpu_drop_reasons[i], snapshot__cpu_drops(src, i),
				    src->ncpus);
	for (i = 0; i < src->nqueues && !err; i++)
		err = snapshot__add_queue(dst, &src->queues[i].key, &src->queues[i].c);
	for (i = 0; i < src->ntasks && !err; i++)
		err = snapshot__add_task(dst, &src->tasks[i].key, src->tasks[i].cpu, &src->tasks[i].c);
	for (i = 0; i < src->nprogs && !err; i++)
		if (!(err = snapshot__add_prog(dst, src->progs[i].name, src->progs[i].run_ns,
					       src->progs[i].run_cnt)))
			dst->progs[dst->nprogs - 1].misses = src->progs[i].misses;
	for (i = 0; i < src->nsendmsg && !err; i++)
		err = snapshot__add_sendmsg(dst, &src->sendmsg[i].key, &src->sendmsg[i].h, NULL);
	if (err)
		snapshot__free(dst);
	return err;
}

/* Remove the row appended last (and its index entry). */
static void drop_last_cpu_drop_row(struct snapshot *s)
{
	size_t row = --s->ncpu_drop_reasons;

	for (size_t h = reason_hash(s->cpu_drop_reasons[row], s->cpu_drop_index_cap);;
	     h = (h + 1) & (s->cpu_drop_index_cap - 1))
		if (s->cpu_drop_index[h] == row + 1) {
			/* re-enter the probe run after it, so no lookup stops early */
			s->cpu_drop_index[h] = 0;
			for (h = (h + 1) & (s->cpu_drop_index_cap - 1); s->cpu_drop_index[h];
			     h = (h + 1) & (s->cpu_drop_index_cap - 1)) {
				size_t r = s->cpu_drop_index[h] - 1;

				s->cpu_drop_index[h] = 0;
				index_cpu_drop_row(s, r);
			}
			return;
		}
}

static void sub_words(__u64 *out, const __u64 *cur, const __u64 *prev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cur[i] - (prev ? prev[i] : 0);	/* modulo 2^64 */
}

/*
 * Row lookup by key: a sorted index of pointers and binary search, so a
 * delta over thousands of keys on hundreds of CPUs stays O(n log n).
 */
static int cmp_drop_row(const void *a, const void *b)
{
	const struct drop_row *x = *(const struct drop_row * const *)a;
	const struct drop_row *y = *(const struct drop_row * const *)b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static const struct drop_row **drop_index(const struct snapshot *s)
{
	const struct drop_row **idx = malloc((s->ndrops ? s->ndrops : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < s->ndrops; i++)
		idx[i] = &s->drops[i];
	qsort(idx, s->ndrops, sizeof(*idx), cmp_drop_row);
	return idx;
}

static const struct drop_row *find_drop_idx(const struct drop_row **idx, size_t n,
					    const struct drop_row *r)
{
	const struct drop_row **hit = bsearch(&r, idx, n, sizeof(*idx), cmp_drop_row);

	return hit ? *hit : NULL;
}

static const struct queue_row *find_queue(const struct snapshot *s, const struct queue_key *k)
{
	for (size_t i = 0; i < s->nqueues; i++)
		if (!memcmp(&s->queues[i].key, k, sizeof(*k)))
			return &s->queues[i];
	return NULL;
}

static const struct prog_row *find_prog(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->nprogs; i++)
		if (!strcmp(s->progs[i].name, name))
			return &s->progs[i];
	return NULL;
}

/* Gauges are levels: a delta, and a sum of deltas, keep the later one (fields.h). */
static void keep_gauges(struct cpu_counters *out, const struct cpu_counters *cur)
{
	for (size_t i = 0; i < cpu_nfields; i++)
		if (cpu_fields[i].kind == FIELD_GAUGE)
			*(__u64 *)((char *)out + cpu_fields[i].offset) =
				counter_at(cur, cpu_fields[i].offset);
}

int snapshot__delta(const struct snapshot *prev, const struct snapshot *cur,
		    struct snapshot *out)
{
	__u32 n = cur->ncpus, pn = prev ? prev->ncpus : 0;
	const struct drop_row **pidx = NULL;
	size_t i;
	int err;

	err = snapshot__reset(out, n);
	if (err)
		return err;
	out->mono_ns = cur->mono_ns - (prev ? prev->mono_ns : cur->mono_ns);
	out->real_ns = cur->real_ns;
	out->user_cpu_ns = cur->user_cpu_ns - (prev ? prev->user_cpu_ns : 0);
	for (__u32 c = 0; c < n; c++) {
		sub_words((__u64 *)&out->cpus[c], (const __u64 *)&cur->cpus[c],
			  c < pn ? (const __u64 *)&prev->cpus[c] : NULL,
			  NWORDS(struct cpu_counters));
		keep_gauges(&out->cpus[c], &cur->cpus[c]);
	}
	for (__u32 s = 0; s < n; s++)
		for (__u32 t = 0; t < n; t++)
			sub_words((__u64 *)&out->kicks[s * n + t],
				  (const __u64 *)&cur->kicks[s * n + t],
				  s < pn && t < pn ? (const __u64 *)&prev->kicks[s * pn + t] : NULL,
				  NWORDS(struct kick_cell));
	/*
	 * Two reads of the same maps list rows in the same order unless keys
	 * came or went: try the row at the same position first, and sort an
	 * index of prev only when that fails.
	 */
	for (i = 0; i < cur->ndrops && !err; i++) {
		const struct drop_row *p = NULL, *c = &cur->drops[i];
		__u64 d;

		if (prev && i < prev->ndrops &&
		    !memcmp(&prev->drops[i].key, &c->key, sizeof(c->key))) {
			p = &prev->drops[i];
		} else if (prev && prev->ndrops) {
			if (!pidx && !(pidx = drop_index(prev))) {
				err = -ENOMEM;
				break;
			}
			p = find_drop_idx(pidx, prev->ndrops, c);
		}
		d = cur->drops[i].count - (p ? p->count : 0);

		if (d)
			err = snapshot__add_drop(out, &cur->drops[i].key, d);
	}
	for (i = 0; i < cur->ncpu_drop_reasons && !err; i++) {
		__u32 reason = cur->cpu_drop_reasons[i];
		const __u64 *c = snapshot__cpu_drops(cur, i), *p = NULL;
		__u64 *o, any;
		long j;

		if (prev && i < prev->ncpu_drop_reasons && prev->cpu_drop_reasons[i] == reason)
			p = snapshot__cpu_drops(prev, i);	/* same position: the usual case */
		else if (prev && (j = find_cpu_drop_row(prev, reason)) >= 0)
			p = snapshot__cpu_drops(prev, j);
		j = append_cpu_drop_row(out, reason);	/* cur's reasons are distinct */
		if (j < 0) {
			err = -ENOMEM;
			break;
		}
		o = snapshot__cpu_drops(out, j);
		any = 0;
		for (__u32 k = 0; k < n; k++)
			any |= o[k] = c[k] - (p && k < pn ? p[k] : 0);
		if (!any)	/* no drops of this reason in the interval: no row */
			drop_last_cpu_drop_row(out);
	}
	for (i = 0; i < cur->nqueues && !err; i++) {
		const struct queue_row *p = NULL;
		struct queue_counters d;

		if (prev && i < prev->nqueues &&
		    !memcmp(&prev->queues[i].key, &cur->queues[i].key, sizeof(cur->queues[i].key)))
			p = &prev->queues[i];	/* same position: the usual case */
		else if (prev)
			p = find_queue(prev, &cur->queues[i].key);

		sub_words((__u64 *)&d, (const __u64 *)&cur->queues[i].c,
			  p ? (const __u64 *)&p->c : NULL, NWORDS(struct queue_counters));
		err = snapshot__add_queue(out, &cur->queues[i].key, &d);
	}
	for (i = 0; i < cur->ntasks && !err; i++) {
		const struct sirq_task_row *c = &cur->tasks[i], *p = NULL;
		struct sirq_task_counters d;

		if (prev && i < prev->ntasks && prev->tasks[i].cpu == c->cpu &&
		    !memcmp(&prev->tasks[i].key, &c->key, sizeof(c->key)))
			p = &prev->tasks[i];	/* same position: the usual case */
		else if (prev)
			p = find_task(prev, &c->key, c->cpu);
		sub_words((__u64 *)&d, (const __u64 *)&c->c, p ? (const __u64 *)&p->c : NULL,
			  NWORDS(struct sirq_task_counters));
		if (d.runs[0] || d.runs[1] || d.ns[0] || d.ns[1])
			err = snapshot__add_task(out, &c->key, c->cpu, &d);
	}
	for (i = 0; i < cur->nprogs && !err; i++) {
		const struct prog_row *p = prev ? find_prog(prev, cur->progs[i].name) : NULL;

		err = snapshot__add_prog(out, cur->progs[i].name,
					 cur->progs[i].run_ns - (p ? p->run_ns : 0),
					 cur->progs[i].run_cnt - (p ? p->run_cnt : 0));
		if (!err)
			out->progs[out->nprogs - 1].misses = cur->progs[i].misses -
							     (p ? p->misses : 0);
	}
	/* latency rows: those with calls in the interval (cur's are sorted: out's too) */
	for (i = 0; i < cur->nsendmsg && !err; i++) {
		const struct sendmsg_row *p = prev ? snapshot__find_sendmsg(prev, &cur->sendmsg[i].key)
						   : NULL;
		struct sendmsg_hist d = {};	/* sub_words() fills it (cppcheck cannot tell) */
		__u64 any = 0;

		sub_words(d.ns, cur->sendmsg[i].h.ns, p ? p->h.ns : NULL, SKBTOP_LAT_SLOTS);
		for (int b = 0; b < SKBTOP_LAT_SLOTS; b++)
			any |= d.ns[b];
		if (any)
			err = snapshot__add_sendmsg(out, &cur->sendmsg[i].key, &d, NULL);
	}
	free(pidx);
	if (err)
		snapshot__free(out);
	return err;
}

static void add_words(__u64 *acc, const __u64 *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc[i] += d[i];
}

int snapshot__accumulate(struct snapshot *acc, const struct snapshot *d)
{
	const struct drop_row **aidx = NULL;
	size_t i, n_old;
	bool *fresh;
	int err = 0;

	if (d->ncpus > acc->ncpus) {
		struct snapshot grown;

		err = snapshot__init(&grown, d->ncpus);
		if (err)
			return err;
		memcpy(grown.cpus, acc->cpus, acc->ncpus * sizeof(*acc->cpus));
		for (__u32 s = 0; s < acc->ncpus; s++)
			for (__u32 t = 0; t < acc->ncpus; t++)
				grown.kicks[s * d->ncpus + t] = acc->kicks[s * acc->ncpus + t];
		for (i = 0; i < acc->ncpu_drop_reasons && !err; i++)
			err = add_cpu_drops(&grown, acc->cpu_drop_reasons[i],
					    snapshot__cpu_drops(acc, i), acc->ncpus);
		if (err) {
			snapshot__free(&grown);
			return err;
		}
		free(acc->cpus);
		free(acc->kicks);
		free(acc->cpu_drop_reasons);
		free(acc->cpu_drop_counts);
		free(acc->cpu_drop_index);
		acc->cpus = grown.cpus;
		acc->kicks = grown.kicks;
		acc->cpu_drop_reasons = grown.cpu_drop_reasons;
		acc->cpu_drop_counts = grown.cpu_drop_counts;
		acc->cpu_drop_index = grown.cpu_drop_index;
		acc->ncpu_drop_reasons = grown.ncpu_drop_reasons;
		acc->cpu_drops_cap = grown.cpu_drops_cap;
		acc->cpu_drop_index_cap = grown.cpu_drop_index_cap;
		acc->ncpus = d->ncpus;
	}
	acc->mono_ns += d->mono_ns;
	acc->real_ns = d->real_ns;
	acc->user_cpu_ns += d->user_cpu_ns;
	for (__u32 c = 0; c < d->ncpus; c++) {
		add_words((__u64 *)&acc->cpus[c], (const __u64 *)&d->cpus[c],
			  NWORDS(struct cpu_counters));
		keep_gauges(&acc->cpus[c], &d->cpus[c]);
	}
	for (__u32 s = 0; s < d->ncpus; s++)
		for (__u32 t = 0; t < d->ncpus; t++)
			add_words((__u64 *)&acc->kicks[s * acc->ncpus + t],
				  (const __u64 *)&d->kicks[s * d->ncpus + t],
				  NWORDS(struct kick_cell));
	/*
	 * First add into existing rows, then append the new ones: appending
	 * may move acc->drops and the index points into it. As in
	 * snapshot__delta(), the row at the same position is tried first (a
	 * sampler's deltas list rows in its total's order while no key comes
	 * or goes); the index of acc is sorted only when that fails.
	 */
	n_old = acc->ndrops;
	fresh = calloc(d->ndrops ? d->ndrops : 1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	for (i = 0; i < d->ndrops; i++) {
		struct drop_row *p = NULL;

		if (i < n_old && !memcmp(&acc->drops[i].key, &d->drops[i].key, sizeof(d->drops[i].key))) {
			p = &acc->drops[i];
		} else if (n_old) {
			if (!aidx && !(aidx = drop_index(acc))) {
				free(fresh);
				return -ENOMEM;
			}
			p = (struct drop_row *)find_drop_idx(aidx, n_old, &d->drops[i]);
		}
		if (p)
			p->count += d->drops[i].count;
		else
			fresh[i] = true;
	}
	free(aidx);
	for (i = 0; i < d->ndrops && !err; i++)
		if (fresh[i])
			err = snapshot__add_drop(acc, &d->drops[i].key, d->drops[i].count);
	free(fresh);
	for (i = 0; i < d->ncpu_drop_reasons && !err; i++)
		err = add_cpu_drops(acc, d->cpu_drop_reasons[i], snapshot__cpu_drops(d, i), d->ncpus);
	for (i = 0; i < d->nqueues && !err; i++) {
		struct queue_row *p = &acc->queues[i];	/* same position: the usual case */

		if (i >= acc->nqueues || memcmp(&p->key, &d->queues[i].key, sizeof(p->key)))
			p = (struct queue_row *)find_queue(acc, &d->queues[i].key);

		if (p)
			add_words((__u64 *)&p->c, (const __u64 *)&d->queues[i].c,
				  NWORDS(struct queue_counters));
		else
			err = snapshot__add_queue(acc, &d->queues[i].key, &d->queues[i].c);
	}
	for (i = 0; i < d->ntasks && !err; i++)
		err = snapshot__merge_task(acc, &d->tasks[i].key, d->tasks[i].cpu, &d->tasks[i].c);
	for (i = 0; i < d->nprogs && !err; i++) {
		struct prog_row *p = (struct prog_row *)find_prog(acc, d->progs[i].name);

		if (p) {
			p->run_ns += d->progs[i].run_ns;
			p->run_cnt += d->progs[i].run_cnt;
			p->misses += d->progs[i].misses;
		} else if (!(err = snapshot__add_prog(acc, d->progs[i].name, d->progs[i].run_ns,
						      d->progs[i].run_cnt))) {
			acc->progs[acc->nprogs - 1].misses = d->progs[i].misses;
		}
	}
	for (i = 0; i < d->nsendmsg && !err; i++)
		err = snapshot__add_sendmsg(acc, &d->sendmsg[i].key, &d->sendmsg[i].h, NULL);
	return err;
}

size_t snapshot__cpu_drop_cells(const struct snapshot *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->ncpu_drop_reasons * s->ncpus; i++)
		n += s->cpu_drop_counts[i] != 0;
	return n;
}

void snapshot__sum_cpus(const struct snapshot *s, struct cpu_counters *total)
{
	memset(total, 0, sizeof(*total));
	for (__u32 c = 0; c < s->ncpus; c++)
		add_words((__u64 *)total, (const __u64 *)&s->cpus[c], NWORDS(struct cpu_counters));
}

void snapshot__fill_ipis_recv(struct snapshot *s)
{
	for (__u32 t = 0; t < s->ncpus; t++) {
		s->cpus[t].defer_ipis_recv = 0;
		for (__u32 c = 0; c < s->ncpus; c++)
			s->cpus[t].defer_ipis_recv += s->kicks[(size_t)c * s->ncpus + t].ipis;
	}
}

size_t snapshot__drops_by_reason(const struct snapshot *s, __u32 *reasons, __u64 *counts,
				 size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->ndrops; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (reasons[j] == s->drops[i].key.reason)
				break;
		if (j == n) {
			if (n == max)
				continue;
			reasons[n] = s->drops[i].key.reason;
			counts[n++] = 0;
		}
		counts[j] += s->drops[i].count;
	}
	return n;
}
