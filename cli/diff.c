// SPDX-License-Identifier: GPL-2.0
/*
 * `skbtop diff BEFORE AFTER`: every metric's mean per-second rate before
 * and after, the change, and a verdict from Welch's t-test over the
 * per-interval rates, so a reviewer sees which differences are real.
 * Environment differences are warned about first. Text fits 72 columns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <search.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "esc.h"
#include "files.h"
#include "commands.h"
#include "capture.h"
#include "view.h"

/* ---- metrics ---- */

enum metric_kind { M_COUNTER, M_DROP, M_QUEUE, M_RATIO };

struct metric {
	enum metric_kind kind;
	char name[112];
	const struct field *f;		/* its registry row (M_DROP: cpu field "drops") */
	size_t idx;			/* M_DROP: reason index; M_QUEUE: queue key index */
};

/* Intervals shorter than half the requested one (the last, cut short) are noisy. */
static bool sample_used(const struct capture *cap, const struct capture_sample *s)
{
	if (!s->interval_ns)
		return false;
	return !cap->interval_ns || s->interval_ns * 2 >= cap->interval_ns;
}

static int cmp_qkey(const void *a, const void *b)
{
	const struct queue_key *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->queue != y->queue)
		return x->queue < y->queue ? -1 : 1;
	return strncmp(x->ifname, y->ifname, SKBTOP_IFNAMSIZ);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- one capture's statistics, a sample at a time ---- */

/*
 * A drop or queue metric's per-interval rates, summarised as the samples
 * go by without a dense series: only intervals with a row are added
 * (Welford), each run of intervals without one merged as zeros at once
 * (Chan's merge), so a metric costs O(its rows), not O(samples).
 */
struct sparse {
	double n, mean, q;
	double x;			/* this interval's count so far (two ids may share a name) */
	bool pending;			/* x is this interval's */
};

struct reason_acc {
	char *name;			/* by name: the ids of two captures differ */
	struct sparse s;
};

struct queue_acc {
	struct queue_key key;		/* compared without ifindex, as the metric names */
	struct sparse *s;		/* one per queue field */
};

/*
 * Memory: the cpu fields, and one accumulator per reason name and queue key
 * the capture has; the samples themselves are not kept.
 */
struct diff_side {
	size_t nused;			/* samples used (sample_used()) */
	struct stats_acc *fields;	/* per cpu field: counters' rates, ratios' percentages */
	void *reasons, *queues;		/* tsearch() trees of reason_acc, queue_acc */
	struct sparse **touched;	/* this sample's accumulators */
	size_t ntouched, touched_cap;
	/* from the totals, at compare time */
	const struct capture *cap;
	__u64 *dtotal;			/* per reason index */
	struct queue_counters *qtotal;	/* per queue key index */
};

static int cmp_reason_acc(const void *a, const void *b)
{
	return strcmp(((const struct reason_acc *)a)->name, ((const struct reason_acc *)b)->name);
}

static int cmp_queue_acc(const void *a, const void *b)
{
	return cmp_qkey(&((const struct queue_acc *)a)->key, &((const struct queue_acc *)b)->key);
}

struct diff_side *diff_side__new(void)
{
	struct diff_side *sd = calloc(1, sizeof(*sd));

	if (sd && !(sd->fields = calloc(cpu_nfields, sizeof(*sd->fields)))) {
		free(sd);
		sd = NULL;
	}
	return sd;
}

static void free_reason_acc(void *p)
{
	free(((struct reason_acc *)p)->name);
	free(p);
}

static void free_queue_acc(void *p)
{
	free(((struct queue_acc *)p)->s);
	free(p);
}

void diff_side__free(struct diff_side *sd)
{
	if (!sd)
		return;
	tdestroy(sd->reasons, free_reason_acc);
	tdestroy(sd->queues, free_queue_acc);
	free(sd->fields);
	free(sd->touched);
	free(sd->dtotal);
	free(sd->qtotal);
	free(sd);
}

/* Add count to s for this interval. */
static int touch(struct diff_side *sd, struct sparse *s, double count)
{
	if (!s->pending) {
		if (sd->ntouched == sd->touched_cap) {
			size_t nc = sd->touched_cap ? sd->touched_cap * 2 : 64;
			struct sparse **g = realloc(sd->touched, nc * sizeof(*g));

			if (!g)
				return -ENOMEM;
			sd->touched = g;
			sd->touched_cap = nc;
		}
		sd->touched[sd->ntouched++] = s;
		s->pending = true;
		s->x = 0;
	}
	s->x += count;
	return 0;
}

/* The intervals before ord without a row, as zeros; then n = ord. */
static void sparse_zeros(struct sparse *s, size_t ord)
{
	double z = (double)ord - s->n;

	if (z > 0 && s->n > 0) {
		s->q += s->mean * s->mean * s->n * z / (s->n + z);
		s->mean = s->mean * s->n / (s->n + z);
	}
	s->n = (double)ord;
}

/* Interval ord's rate. */
static void sparse_add(struct sparse *s, size_t ord, double secs)
{
	double x = s->x / secs, d;

	sparse_zeros(s, ord);
	s->n += 1;
	d = x - s->mean;
	s->mean += d / s->n;
	s->q += d * (x - s->mean);
	s->pending = false;
}

/* Summary over nused intervals; s NULL: a metric without rows on this side. */
static void sparse_result(const struct sparse *s, size_t nused, struct stats_summary *out)
{
	struct sparse t = s ? *s : (struct sparse){};

	sparse_zeros(&t, nused);
	out->n = nused;
	out->mean = nused ? t.mean : 0;
	out->var = nused > 1 ? t.q / (double)(nused - 1) : 0;
}

static struct reason_acc *reason_acc(struct diff_side *sd, const char *name)
{
	struct reason_acc k = { .name = (char *)name }, *a, **hit;

	hit = tfind(&k, &sd->reasons, cmp_reason_acc);
	if (hit)
		return *hit;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(name)))
		goto fail;
	hit = tsearch(a, &sd->reasons, cmp_reason_acc);
	if (hit)
		return a;
fail:
	if (a)
		free(a->name);
	free(a);
	return NULL;
}

static struct queue_acc *queue_acc(struct diff_side *sd, const struct queue_key *key)
{
	struct queue_acc k = { .key = *key }, *a, **hit;

	hit = tfind(&k, &sd->queues, cmp_queue_acc);
	if (hit)
		return *hit;
	a = calloc(1, sizeof(*a));
	if (!a || !(a->s = calloc(queue_nfields, sizeof(*a->s))))
		goto fail;
	a->key = *key;
	hit = tsearch(a, &sd->queues, cmp_queue_acc);
	if (hit)
		return a;
fail:
	if (a)
		free(a->s);
	free(a);
	return NULL;
}

int diff_side__add(void *side, const struct capture *cap, const struct capture_sample *s)
{
	struct diff_side *sd = side;
	double secs = s->interval_ns / 1e9;
	size_t ord = sd->nused;
	char buf[128];
	int err = 0;

	if (!sample_used(cap, s))
		return 0;
	for (size_t f = 0; f < cpu_nfields; f++) {
		double v;

		if (cpu_fields[f].kind == FIELD_RATIO) {
			double ratio;

			v = field_value(&cpu_fields[f], &s->sum, &ratio) ? 100.0 * ratio : -1;
			if (v >= 0)
				stats__add(&sd->fields[f], v);
		} else {
			stats__add(&sd->fields[f], (double)field_count(&cpu_fields[f], &s->sum) / secs);
		}
	}
	for (size_t j = 0; j < s->ndrops && !err; j++) {
		struct reason_acc *a = reason_acc(sd, capture__reason_name(cap, s->drops[j].reason,
									  buf, sizeof(buf)));

		err = a ? touch(sd, &a->s, (double)s->drops[j].count) : -ENOMEM;
	}
	for (size_t j = 0; j < s->nqueues && !err; j++) {
		struct queue_acc *a = queue_acc(sd, &s->queues[j].key);

		for (size_t f = 0; f < queue_nfields && !err; f++)
			err = a ? touch(sd, &a->s[f], (double)field_count(&queue_fields[f],
									   &s->queues[j].c)) : -ENOMEM;
	}
	for (size_t i = 0; i < sd->ntouched; i++)
		sparse_add(sd->touched[i], ord, secs);
	sd->ntouched = 0;
	sd->nused++;
	return err;
}

/* Index of the reason with this id's name in the sorted names; -1 if none. */
static long reason_idx(const struct capture *cap, __u32 id, char *const *names, size_t n)
{
	char buf[128];
	const char *nm = capture__reason_name(cap, id, buf, sizeof(buf));
	char *const *hit = n ? bsearch(&nm, names, n, sizeof(*names), cmp_str) : NULL;

	return hit ? hit - names : -1;
}

/* A queue key and where it was first seen (rows keep that order). */
struct key_pos {
	struct queue_key key;
	size_t pos;
};

static int cmp_key_pos(const void *a, const void *b)
{
	const struct key_pos *x = a, *y = b;
	int c = cmp_qkey(&x->key, &y->key);

	return c ? c : x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_pos(const void *a, const void *b)
{
	const struct key_pos *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_key_in(const void *key, const void *elem)
{
	return cmp_qkey(key, &((const struct key_pos *)elem)->key);
}

/* k's index in the metric order; sorted: unique_keys()'s lookup table */
static long qkey_idx(const struct queue_key *k, const struct key_pos *sorted, size_t n)
{
	const struct key_pos *hit = n ? bsearch(k, sorted, n, sizeof(*sorted), cmp_key_in) : NULL;

	return hit ? (long)hit->pos : -1;
}

/* The side's totals per reason index and queue key index (every metric's total). */
static int side_totals(struct diff_side *sd, const struct capture *cap, char *const *reasons,
		       size_t nreasons, const struct key_pos *keys, size_t nkeys)
{
	sd->cap = cap;
	sd->dtotal = calloc(nreasons + 1, sizeof(*sd->dtotal));
	sd->qtotal = calloc(nkeys + 1, sizeof(*sd->qtotal));
	if (!sd->dtotal || !sd->qtotal)
		return -ENOMEM;
	for (size_t i = 0; i < cap->totals.ndrops; i++) {
		const struct drop_row *r = &cap->totals.drops[i];
		long x = reason_idx(cap, r->key.reason, reasons, nreasons);

		if (x >= 0)
			sd->dtotal[x] += r->count;
	}
	for (size_t i = 0; i < cap->totals.nqueues; i++) {
		long x = qkey_idx(&cap->totals.queues[i].key, keys, nkeys);

		if (x < 0)
			continue;
		for (size_t w = 0; w < sizeof(struct queue_counters) / sizeof(__u64); w++)
			((__u64 *)&sd->qtotal[x])[w] += ((const __u64 *)&cap->totals.queues[i].c)[w];
	}
	return 0;
}

static __u64 total_value(const struct diff_side *sd, const struct metric *m)
{
	struct cpu_counters sum;

	switch (m->kind) {
	case M_COUNTER:
		snapshot__sum_cpus(&sd->cap->totals, &sum);
		return field_count(m->f, &sum);
	case M_DROP:
		return sd->dtotal[m->idx];
	case M_QUEUE:
		return field_count(m->f, &sd->qtotal[m->idx]);
	case M_RATIO:		/* its denominator: a ratio of nothing is not shown */
		snapshot__sum_cpus(&sd->cap->totals, &sum);
		return counter_at(&sum, m->f->offset2);
	}
	return 0;
}

/* No probe table: synthetic data, everything measured (as capture__view_ctx). */
static bool measured(const struct capture *cap, const struct field *f)
{
	return field_measured(f, cap->nprobes ? cap->probes : NULL, cap->nprobes);
}

/* The metric's mean and variance on one side. qkey: M_QUEUE's key. */
static void summary(const struct diff_side *sd, const struct metric *m, const char *reason,
		    const struct queue_key *qkey, struct stats_summary *out)
{
	const struct sparse *s = NULL;

	if (m->kind == M_DROP) {
		struct reason_acc k = { .name = (char *)reason }, **hit;

		hit = tfind(&k, &sd->reasons, cmp_reason_acc);
		s = hit ? &(*hit)->s : NULL;
	} else if (m->kind == M_QUEUE) {
		struct queue_acc k = { .key = *qkey }, **hit;

		hit = tfind(&k, &sd->queues, cmp_queue_acc);
		s = hit ? &(*hit)->s[m->f - queue_fields] : NULL;
	} else {
		stats__result(&sd->fields[m->f - cpu_fields], out);
		return;
	}
	sparse_result(s, sd->nused, out);
}

static void verdict(struct diff_row *r)
{
	double c = r->change_pct;
	bool up = r->after > r->before;
	double mag = isnan(c) ? INFINITY : fabs(c);

	if (r->before_na || r->after_na || !r->w.valid) {
		snprintf(r->verdict, sizeof(r->verdict), "?");
		return;
	}
	if (isnan(c)) {		/* zero before: it appeared, whatever the noise */
		snprintf(r->verdict, sizeof(r->verdict), "new");
		return;
	}
	/* a ratio's change is in points, and small point moves matter */
	if (!strcmp(r->unit, "%"))
		mag = fabs(r->after - r->before) * 10;
	if (r->w.p < DIFF_STRONG_ALPHA && mag >= DIFF_STRONG_CHANGE)
		snprintf(r->verdict, sizeof(r->verdict), "%s", up ? "++" : "--");
	else if (r->w.p < DIFF_ALPHA && mag >= DIFF_MIN_CHANGE)
		snprintf(r->verdict, sizeof(r->verdict), "%s", up ? "+" : "-");
	else
		snprintf(r->verdict, sizeof(r->verdict), "~");
}

static int add_row(struct diff_result *r, const struct diff_side *a, const struct diff_side *b,
		   const struct metric *m, const char *reason, const struct queue_key *qkey)
{
	struct stats_summary sa, sb;
	struct diff_row *row, *rows;
	bool ana = !measured(a->cap, m->f), bna = !measured(b->cap, m->f);
	__u64 ta = total_value(a, m), tb = total_value(b, m);

	if (ana && bna) {	/* n/a on both sides: not a zero */
		r->nunmeasured++;
		return 0;
	}
	if (ta == 0 && tb == 0 && !ana && !bna) {
		r->nzero++;
		return 0;
	}
	if (m->kind == M_RATIO && (!ta || !tb) && !ana && !bna)
		return 0;
	rows = realloc(r->rows, (r->nrows + 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	r->rows = rows;
	row = &rows[r->nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", m->name);
	row->kind = m->kind == M_COUNTER ? "counter" : m->kind == M_DROP ? "drop" :
		    m->kind == M_QUEUE ? "queue" : "ratio";
	row->unit = m->kind == M_RATIO ? "%" : "/s";
	row->before_na = ana;
	row->after_na = bna;
	row->before_total = ta;
	row->after_total = tb;
	summary(a, m, reason, qkey, &sa);
	summary(b, m, reason, qkey, &sb);
	row->before = sa.mean;
	row->after = sb.mean;
	row->change_pct = sa.mean != 0 ? 100.0 * (sb.mean - sa.mean) / fabs(sa.mean) :
			  sb.mean == 0 ? 0 : NAN;
	row->w = stats__welch(&sa, &sb);
	verdict(row);
	return 0;
}

/* ---- environment warnings ---- */

__attribute__((format(printf, 2, 3)))
static int warn(struct diff_result *r, const char *fmt, ...)
{
	char **w = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*w));
	va_list ap;
	int n;

	if (!w)
		return -ENOMEM;
	r->warnings = w;
	va_start(ap, fmt);
	n = vasprintf(&w[r->nwarnings], fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	r->nwarnings++;
	return 0;
}

static bool str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

#define S(x) ((x) ? (x) : "unknown")

static int env_warnings(struct diff_result *r, const struct capture *a, const struct capture *b)
{
	const struct capture_env *ea = &a->env, *eb = &b->env;
	int err = 0;

	if (str_differs(ea->kernel_release, eb->kernel_release))
		err = err ?: warn(r, "kernel differs: %s -> %s", S(ea->kernel_release),
				  S(eb->kernel_release));
	if (str_differs(ea->kernel_cmdline, eb->kernel_cmdline))
		err = err ?: warn(r, "kernel command line differs: \"%s\" -> \"%s\"",
				  S(ea->kernel_cmdline), S(eb->kernel_cmdline));
	if (ea->ncpus != eb->ncpus)
		err = err ?: warn(r, "CPU count differs: %u -> %u", ea->ncpus, eb->ncpus);
	if (str_differs(ea->cpu_model, eb->cpu_model))
		err = err ?: warn(r, "CPU model differs: %s -> %s", S(ea->cpu_model),
				  S(eb->cpu_model));
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++)
		if (str_differs(ea->sysctls[i], eb->sysctls[i]))
			err = err ?: warn(r, "%s differs: %s -> %s", capture_sysctl_names[i],
					  S(ea->sysctls[i]), S(eb->sysctls[i]));
	for (size_t i = 0; i < a->nprobes; i++) {
		const struct probe_status *pa = &a->probes[i], *pb = NULL;

		for (size_t j = 0; j < b->nprobes; j++)
			if (!strcmp(b->probes[j].name, pa->name))
				pb = &b->probes[j];
		if (!pb)
			err = err ?: warn(r, "probe %s is missing after", pa->name);
		else if (pa->mode != pb->mode)
			err = err ?: warn(r, "probe %s mode differs: %s -> %s", pa->name,
					  probe_mode_name(pa->mode), probe_mode_name(pb->mode));
	}
	for (size_t j = 0; j < b->nprobes; j++) {
		bool found = false;

		for (size_t i = 0; i < a->nprobes; i++)
			found |= !strcmp(a->probes[i].name, b->probes[j].name);
		if (!found)
			err = err ?: warn(r, "probe %s is new after", b->probes[j].name);
	}
	for (int side = 0; side < 2; side++) {
		const struct capture *c = side ? b : a;

		for (size_t i = 0; i < c->totals.nprogs; i++)
			if (c->totals.progs[i].misses)
				err = err ?: warn(r, "%s: program %s skipped %llu events (BPF "
						  "recursion): its counts are low", side ? "after" :
						  "before", c->totals.progs[i].name,
						  (unsigned long long)c->totals.progs[i].misses);
	}
	if (a->interval_ns != b->interval_ns)
		err = err ?: warn(r, "interval differs: %.3f s -> %.3f s", a->interval_ns / 1e9,
				  b->interval_ns / 1e9);
	if (a->argc != b->argc)
		err = err ?: warn(r, "command differs");
	for (int i = 0; i < a->argc && a->argc == b->argc; i++)
		if (strcmp(a->argv[i], b->argv[i])) {
			err = err ?: warn(r, "command differs");
			break;
		}
	if (a->argc && b->argc && a->exit_status != b->exit_status)
		err = err ?: warn(r, "command exit status differs: %d -> %d", a->exit_status,
				  b->exit_status);
	return err;
}

/* ---- compare ---- */

/* Every reason name in cap's totals appended to names (sorted and deduplicated later). */
static int add_reason_names(const struct capture *cap, char ***names, size_t *n)
{
	char **grown = realloc(*names, (*n + cap->totals.ndrops + 1) * sizeof(**names));
	char buf[128];

	if (!grown)
		return -ENOMEM;
	*names = grown;
	for (size_t i = 0; i < cap->totals.ndrops; i++) {
		const char *nm = capture__reason_name(cap, cap->totals.drops[i].key.reason, buf,
						      sizeof(buf));

		if (!(grown[*n] = strdup(nm)))
			return -ENOMEM;
		(*n)++;
	}
	return 0;
}

static size_t unique_names(char **names, size_t n)
{
	size_t o = 0;

	if (!n)
		return 0;
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(names[i], names[o]))
			names[++o] = names[i];
		else
			free(names[i]);
	}
	return o + 1;
}

static int add_queue_keys(const struct capture *cap, struct queue_key **keys, size_t *n)
{
	struct queue_key *grown = realloc(*keys, (*n + cap->totals.nqueues + 1) * sizeof(**keys));

	if (!grown)
		return -ENOMEM;
	*keys = grown;
	for (size_t i = 0; i < cap->totals.nqueues; i++)
		grown[(*n)++] = cap->totals.queues[i].key;
	return 0;
}

/*
 * Drop repeated keys, keeping each key's first position; keys stay in that
 * order, and *sorted gets the same keys sorted for lookups, with their index.
 */
static int unique_keys(struct queue_key *keys, size_t *n, struct key_pos **sorted)
{
	struct key_pos *kp = malloc((*n + 1) * sizeof(*kp));
	size_t o = 0;

	if (!kp)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++)
		kp[i] = (struct key_pos){ keys[i], i };
	qsort(kp, *n, sizeof(*kp), cmp_key_pos);
	for (size_t i = 0; i < *n; i++)
		if (!o || cmp_qkey(&kp[i].key, &kp[o - 1].key))
			kp[o++] = kp[i];
	qsort(kp, o, sizeof(*kp), cmp_pos);
	for (size_t i = 0; i < o; i++) {
		keys[i] = kp[i].key;
		kp[i].pos = i;		/* now: the index in keys */
	}
	qsort(kp, o, sizeof(*kp), cmp_key_pos);
	*n = o;
	*sorted = kp;
	return 0;
}

/* The (queue, batch class) rows of either capture's totals, merged in key order. */
static int lat_rows(struct diff_result *r, const struct capture *a, const struct capture *b)
{
	const struct field *f = field_find(hist_fields, hist_nfields, "sendmsg_ns");
	const struct snapshot *ta = &a->totals, *tb = &b->totals;
	bool ma = measured(a, f), mb = measured(b, f);
	size_t i = 0, j = 0;

	if (!ma && !mb)
		return 0;
	r->lat = calloc(ta->nsendmsg + tb->nsendmsg + 1, sizeof(*r->lat));
	if (!r->lat)
		return -ENOMEM;
	while (i < ta->nsendmsg || j < tb->nsendmsg) {
		struct diff_lat_row *l = &r->lat[r->nlat++];
		int c = i == ta->nsendmsg ? 1 : j == tb->nsendmsg ? -1 :
			memcmp(&ta->sendmsg[i].key, &tb->sendmsg[j].key, sizeof(l->key));

		l->key = c <= 0 ? ta->sendmsg[i].key : tb->sendmsg[j].key;
		if (c <= 0)
			l->before = ta->sendmsg[i++].h;
		if (c >= 0)
			l->after = tb->sendmsg[j++].h;
		l->before_na = !ma;
		l->after_na = !mb;
	}
	return 0;
}

int diff__compare_sides(const struct capture *a, struct diff_side *sa, const struct capture *b,
			struct diff_side *sb, struct diff_result *r)
{
	struct queue_key *qkeys = NULL;
	struct key_pos *qsorted = NULL;
	char **reasons = NULL;
	size_t nreasons = 0, nq = 0;
	struct metric m;
	int err;

	memset(r, 0, sizeof(*r));
	r->nsamples_before = sa->nused;
	r->nsamples_after = sb->nused;
	r->seconds_before = capture__seconds(a);
	r->seconds_after = capture__seconds(b);
	err = env_warnings(r, a, b);
	err = err ?: add_reason_names(a, &reasons, &nreasons);
	err = err ?: add_reason_names(b, &reasons, &nreasons);
	nreasons = err ? nreasons : unique_names(reasons, nreasons);
	err = err ?: add_queue_keys(a, &qkeys, &nq);
	err = err ?: add_queue_keys(b, &qkeys, &nq);
	err = err ?: unique_keys(qkeys, &nq, &qsorted);
	err = err ?: side_totals(sa, a, reasons, nreasons, qsorted, nq);
	err = err ?: side_totals(sb, b, reasons, nreasons, qsorted, nq);

	for (size_t f = 0; f < cpu_nfields && !err; f++) {
		memset(&m, 0, sizeof(m));
		m.kind = cpu_fields[f].kind == FIELD_RATIO ? M_RATIO : M_COUNTER;
		m.f = &cpu_fields[f];
		snprintf(m.name, sizeof(m.name), "%s", cpu_fields[f].name);
		err = add_row(r, sa, sb, &m, NULL, NULL);
	}
	for (size_t i = 0; i < nreasons && !err; i++) {
		memset(&m, 0, sizeof(m));
		m.kind = M_DROP;
		m.f = field_find(cpu_fields, cpu_nfields, "drops");
		m.idx = i;
		snprintf(m.name, sizeof(m.name), "drop:%s", reasons[i]);
		err = add_row(r, sa, sb, &m, reasons[i], NULL);
	}
	for (size_t i = 0; i < nq && !err; i++)
		for (size_t f = 0; f < queue_nfields && !err; f++) {
			memset(&m, 0, sizeof(m));
			m.kind = M_QUEUE;
			m.f = &queue_fields[f];
			m.idx = i;
			snprintf(m.name, sizeof(m.name), "%.*s/%s%u:%s", SKBTOP_IFNAMSIZ,
				 qkeys[i].ifname,
				 qkeys[i].dir == QUEUE_RX ? "rx" : qkeys[i].dir == QUEUE_TX ? "tx" : "q",
				 qkeys[i].queue, queue_fields[f].name);
			err = add_row(r, sa, sb, &m, NULL, &qkeys[i]);
		}
	err = err ?: lat_rows(r, a, b);
	for (size_t i = 0; i < nreasons; i++)
		free(reasons[i]);
	free(reasons);
	free(qkeys);
	free(qsorted);
	if (err)
		diff__free(r);
	return err;
}

int diff__compare(const struct capture *a, const struct capture *b, struct diff_result *r)
{
	struct diff_side *sa = diff_side__new(), *sb = diff_side__new();
	int err = sa && sb ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < a->nsamples; i++)
		err = diff_side__add(sa, a, &a->samples[i]);
	for (size_t i = 0; !err && i < b->nsamples; i++)
		err = diff_side__add(sb, b, &b->samples[i]);
	if (err)
		memset(r, 0, sizeof(*r));
	else
		err = diff__compare_sides(a, sa, b, sb, r);
	diff_side__free(sa);
	diff_side__free(sb);
	return err;
}

void diff__free(struct diff_result *r)
{
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	free(r->rows);
	free(r->lat);
	memset(r, 0, sizeof(*r));
}

const struct diff_row *diff__find(const struct diff_result *r, const char *name)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (!strcmp(r->rows[i].name, name))
			return &r->rows[i];
	return NULL;
}

/* ---- output ---- */

/* Rate in at most 9 characters. */
static void fmt_value(char *buf, size_t len, double v, const char *unit, bool na)
{
	double a = fabs(v);

	if (na)
		snprintf(buf, len, "n/a");
	else if (!strcmp(unit, "%"))
		snprintf(buf, len, "%.2f%%", v);
	else if (a == 0)
		snprintf(buf, len, "0");
	else if (a < 10)
		snprintf(buf, len, "%.2f", v);
	else if (a < 1000)
		snprintf(buf, len, "%.1f", v);
	else if (a < 1e6)
		snprintf(buf, len, "%.4gk", v / 1e3);
	else if (a < 1e9)
		snprintf(buf, len, "%.4gM", v / 1e6);
	else if (a < 1e12)
		snprintf(buf, len, "%.4gG", v / 1e9);
	else
		snprintf(buf, len, "%.2e", v);
}

static void fmt_change(char *buf, size_t len, const struct diff_row *r)
{
	if (r->before_na || r->after_na)
		snprintf(buf, len, "-");
	else if (!strcmp(r->unit, "%"))
		snprintf(buf, len, "%+.2fpt", r->after - r->before);
	else if (isnan(r->change_pct))
		snprintf(buf, len, "new");
	else if (fabs(r->change_pct) < 1000)
		snprintf(buf, len, "%+.1f%%", r->change_pct);
	else if (r->change_pct < 1e6)
		snprintf(buf, len, "%+.0f%%", r->change_pct);
	else
		snprintf(buf, len, "huge");
}

static void fmt_p(char *buf, size_t len, const struct diff_row *r)
{
	if (!r->w.valid || r->before_na || r->after_na)
		snprintf(buf, len, "-");
	else if (r->w.p < 0.001)
		snprintf(buf, len, "<.001");
	else
		snprintf(buf, len, "%.3f", r->w.p);
}

static void wrap(FILE *f, const char *first, const char *text)
{
	view_wrap(f, first, text, DIFF_TEXT_WIDTH);
}

#define NAME_W 26

/* "skbvhost0/rx0 batch 64-127" */
static void lat_name(char *buf, size_t len, const struct diff_lat_row *l)
{
	const char *b = sendmsg_batch_name(l->key.batch);

	snprintf(buf, len, "%.*s/%s%u batch %s", SKBTOP_IFNAMSIZ - 1, l->key.q.ifname,
		 l->key.q.dir == QUEUE_RX ? "rx" : l->key.q.dir == QUEUE_TX ? "tx" : "q",
		 l->key.q.queue, b ? b : "?");
}

/* One side's calls, p50 and p99 bucket as text; "n/a" when unmeasured. */
static void lat_cells(const struct sendmsg_hist *h, bool na, char *calls, char *p50, char *p99,
		      size_t len)
{
	if (na) {
		snprintf(calls, len, "n/a");
		snprintf(p50, len, "n/a");
		snprintf(p99, len, "n/a");
		return;
	}
	snprintf(calls, len, "%llu", (unsigned long long)hist_count(h->ns, SKBTOP_LAT_SLOTS));
	hist_bucket_text(p50, len, hist_quantile_bucket(h->ns, SKBTOP_LAT_SLOTS, 0.5),
			 SKBTOP_LAT_SLOTS);
	hist_bucket_text(p99, len, hist_quantile_bucket(h->ns, SKBTOP_LAT_SLOTS, 0.99),
			 SKBTOP_LAT_SLOTS);
}

static void lat_text(FILE *f, const struct diff_result *r)
{
	char name[64], line[160], cb[24], ca[24], pb50[16], pa50[16], pb99[16], pa99[16];

	if (!r->nlat)
		return;
	fputc('\n', f);
	wrap(f, "", "tun_sendmsg() latency per queue and batch class, before -> after: "
		    "calls, and the log2-ns bucket of p50 and p99 (within a factor of 2; "
		    "no noise test; under QEMU TCG worth comparing only with each other):");
	for (size_t i = 0; i < r->nlat; i++) {
		const struct diff_lat_row *l = &r->lat[i];

		lat_name(name, sizeof(name), l);
		lat_cells(&l->before, l->before_na, cb, pb50, pb99, 16);
		lat_cells(&l->after, l->after_na, ca, pa50, pa99, 16);
		snprintf(line, sizeof(line), "%s: calls %s -> %s", esc(name), cb, ca);
		wrap(f, "", line);
		fprintf(f, "  p50 %s -> %s, p99 %s -> %s\n", pb50, pa50, pb99, pa99);
	}
}

void diff__text(FILE *f, const struct diff_result *r, const char *bname, const char *aname)
{
	char line[256];

	snprintf(line, sizeof(line), "before %s (%zu intervals, %.1f s), after %s (%zu intervals, "
		 "%.1f s)", esc(bname), r->nsamples_before, r->seconds_before, esc(aname),
		 r->nsamples_after, r->seconds_after);
	wrap(f, "skbtop diff: ", line);
	for (size_t i = 0; i < r->nwarnings; i++)
		wrap(f, "WARNING: ", esc(r->warnings[i]));	/* capture strings in it */
	fputc('\n', f);
	fprintf(f, "%-*s %9s %9s %8s %6s %s\n", NAME_W, "metric (mean per second)", "before",
		"after", "change", "p", "");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct diff_row *row = &r->rows[i];
		const char *name = esc(row->name);	/* reason and device names */
		char b[24], a[24], c[24], p[16];

		fmt_value(b, sizeof(b), row->before, row->unit, row->before_na);
		fmt_value(a, sizeof(a), row->after, row->unit, row->after_na);
		fmt_change(c, sizeof(c), row);
		fmt_p(p, sizeof(p), row);
		if (strlen(name) > NAME_W) {
			wrap(f, "", name);
			fprintf(f, "%-*s", NAME_W, "");
		} else {
			fprintf(f, "%-*s", NAME_W, name);
		}
		fprintf(f, " %9s %9s %8s %6s %s\n", b, a, c, p, row->verdict);
	}
	lat_text(f, r);
	if (r->nzero)
		fprintf(f, "(%zu metrics zero in both captures not shown)\n", r->nzero);
	if (r->nunmeasured)
		fprintf(f, "(%zu metrics measured in neither capture not shown)\n",
			r->nunmeasured);
	fputc('\n', f);
	wrap(f, "", "Verdict from Welch's t-test on the per-interval rates: "
		    "++/-- p<0.001 and change>=10%, +/- p<0.01 and change>=1% (a "
		    "direction, not better or worse), ~ within noise, new: zero before, "
		    "? too few intervals or probe missing (n/a).");
}

/* Markdown cells must not break the table (nor the terminal: esc.h). */
static void md_cell(FILE *f, const char *s)
{
	for (s = esc(s); *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

void diff__markdown(FILE *f, const struct diff_result *r, const char *bname, const char *aname)
{
	fprintf(f, "### skbtop diff\n\n");
	fprintf(f, "- before: `");
	md_cell(f, bname);
	fprintf(f, "` (%zu intervals, %.1f s)\n- after: `", r->nsamples_before, r->seconds_before);
	md_cell(f, aname);
	fprintf(f, "` (%zu intervals, %.1f s)\n\n", r->nsamples_after, r->seconds_after);
	for (size_t i = 0; i < r->nwarnings; i++) {
		fprintf(f, "> **Warning:** ");
		md_cell(f, r->warnings[i]);
		fprintf(f, "\n>\n");
	}
	if (r->nwarnings)
		fputc('\n', f);
	fprintf(f, "| metric | before | after | change | p | verdict |\n");
	fprintf(f, "|---|---:|---:|---:|---:|:---:|\n");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct diff_row *row = &r->rows[i];
		char b[24], a[24], c[24], p[16];

		fmt_value(b, sizeof(b), row->before, row->unit, row->before_na);
		fmt_value(a, sizeof(a), row->after, row->unit, row->after_na);
		fmt_change(c, sizeof(c), row);
		fmt_p(p, sizeof(p), row);
		fprintf(f, "| `");
		md_cell(f, row->name);
		fprintf(f, "` | %s | %s | %s | %s | %s |\n", b, a, c, p,
			!strcmp(row->verdict, "~") ? "\\~" : row->verdict);
	}
	if (r->nlat) {
		fprintf(f, "\n| tun_sendmsg() queue, batch | calls before | calls after | p50 before "
			   "| p50 after | p99 before | p99 after |\n|---|---:|---:|---:|---:|---:|---:|\n");
		for (size_t i = 0; i < r->nlat; i++) {
			char name[64], cb[24], ca[24], pb50[16], pa50[16], pb99[16], pa99[16];

			lat_name(name, sizeof(name), &r->lat[i]);
			lat_cells(&r->lat[i].before, r->lat[i].before_na, cb, pb50, pb99, 16);
			lat_cells(&r->lat[i].after, r->lat[i].after_na, ca, pa50, pa99, 16);
			fprintf(f, "| `");
			md_cell(f, name);
			fprintf(f, "` | %s | %s | %s | %s | %s | %s |\n", cb, ca, pb50, pa50, pb99, pa99);
		}
		fprintf(f, "\nLatency: log2-ns buckets (p50, p99 within a factor of 2), no noise "
			   "test; under QEMU TCG worth comparing only with each other.\n");
	}
	fprintf(f, "\nMean per-second rates over the intervals (`%%` rows: percent). Verdict "
		   "from Welch's t-test: ++/-- p<0.001 and change>=10%%, +/- p<0.01 and "
		   "change>=1%% (a direction, not better or worse), ~ within noise, new: zero "
		   "before, ? too few intervals or probe missing (n/a).");
	if (r->nzero)
		fprintf(f, " %zu metrics zero in both captures are not shown.", r->nzero);
	if (r->nunmeasured)
		fprintf(f, " %zu metrics measured in neither capture are not shown.",
			r->nunmeasured);
	fputc('\n', f);
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *diff__json(const struct diff_result *r, const char *bname, const char *aname)
{
	json_t *o = json_object(), *w = json_array(), *rows = json_array();

	json_object_set_new(o, "before", json_string(bname));
	json_object_set_new(o, "after", json_string(aname));
	json_object_set_new(o, "intervals_before", json_integer((json_int_t)r->nsamples_before));
	json_object_set_new(o, "intervals_after", json_integer((json_int_t)r->nsamples_after));
	json_object_set_new(o, "alpha", json_real(DIFF_ALPHA));
	for (size_t i = 0; i < r->nwarnings; i++)
		json_array_append_new(w, json_string(r->warnings[i]));
	json_object_set_new(o, "warnings", w);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct diff_row *row = &r->rows[i];
		json_t *j = json_object();

		json_object_set_new(j, "metric", json_string(row->name));
		json_object_set_new(j, "kind", json_string(row->kind));
		json_object_set_new(j, "unit", json_string(row->unit));
		json_object_set_new(j, "before", row->before_na ? json_null() : jnum(row->before));
		json_object_set_new(j, "after", row->after_na ? json_null() : jnum(row->after));
		json_object_set_new(j, "before_total", json_integer((json_int_t)row->before_total));
		json_object_set_new(j, "after_total", json_integer((json_int_t)row->after_total));
		json_object_set_new(j, "change_pct", jnum(row->change_pct));
		json_object_set_new(j, "t", row->w.valid ? jnum(row->w.t) : json_null());
		json_object_set_new(j, "df", row->w.valid ? jnum(row->w.df) : json_null());
		json_object_set_new(j, "p", row->w.valid ? jnum(row->w.p) : json_null());
		json_object_set_new(j, "verdict", json_string(row->verdict));
		json_array_append_new(rows, j);
	}
	json_object_set_new(o, "metrics", rows);
	rows = json_array();
	for (size_t i = 0; i < r->nlat; i++) {
		const struct diff_lat_row *l = &r->lat[i];
		const char *b = sendmsg_batch_name(l->key.batch);
		json_t *j = json_object();

		json_object_set_new(j, "ifname", json_stringn(l->key.q.ifname,
							      strnlen(l->key.q.ifname,
								      SKBTOP_IFNAMSIZ - 1)));
		json_object_set_new(j, "queue", json_integer(l->key.q.queue));
		json_object_set_new(j, "dir", json_string(l->key.q.dir == QUEUE_RX ? "rx" : "tx"));
		json_object_set_new(j, "batch", json_string(b ? b : "?"));
		for (int side = 0; side < 2; side++) {
			const struct sendmsg_hist *h = side ? &l->after : &l->before;
			int p50 = hist_quantile_bucket(h->ns, SKBTOP_LAT_SLOTS, 0.5);
			int p99 = hist_quantile_bucket(h->ns, SKBTOP_LAT_SLOTS, 0.99);
			json_t *s;

			if (side ? l->after_na : l->before_na) {
				json_object_set_new(j, side ? "after" : "before", json_null());
				continue;
			}
			s = json_object();
			json_object_set_new(s, "count", json_integer((json_int_t)hist_count(
							    h->ns, SKBTOP_LAT_SLOTS)));
			json_object_set_new(s, "p50_ns", p50 < 0 ? json_null() : json_integer(
						    (json_int_t)hist_bucket_ns(p50, SKBTOP_LAT_SLOTS)));
			json_object_set_new(s, "p99_ns", p99 < 0 ? json_null() : json_integer(
						    (json_int_t)hist_bucket_ns(p99, SKBTOP_LAT_SLOTS)));
			json_object_set_new(j, side ? "after" : "before", s);
		}
		json_array_append_new(rows, j);
	}
	json_object_set_new(o, "sendmsg_latency", rows);
	json_object_set_new(o, "zero_in_both", json_integer((json_int_t)r->nzero));
	json_object_set_new(o, "measured_in_neither", json_integer((json_int_t)r->nunmeasured));
	return o;
}

int cmd_diff(struct env *env)
{
	struct diff_side *sa = diff_side__new(), *sb = diff_side__new();
	struct capture a = {}, b = {};
	struct diff_result r;
	int ret = EXIT_FAIL;
	const char *pos[2];
	const char *fmt;
	char err[512];
	int n = report__args(env, pos, 2);

	if (n < 0 || n != 2) {
		if (n >= 0)
			fprintf(stderr, "skbtop: diff needs two capture files: BEFORE AFTER\n"
					"Try 'skbtop --help'.\n");
		ret = EXIT_USAGE;
		goto out;
	}
	fmt = env->format ? env->format : "text";
	if (!sa || !sb) {
		fprintf(stderr, "skbtop: failed to compare the captures: out of memory\n");
		goto out;
	}
	/* each capture streamed once: its samples feed the statistics, none is kept */
	if (capture__read_each(pos[0], &a, NULL, diff_side__add, sa, err, sizeof(err)) ||
	    capture__read_each(pos[1], &b, NULL, diff_side__add, sb, err, sizeof(err))) {
		fprintf(stderr, "skbtop: %s\n", err);
		goto out;
	}
	if (diff__compare_sides(&a, sa, &b, sb, &r)) {
		fprintf(stderr, "skbtop: failed to compare the captures: out of memory\n");
		goto out;
	}
	if (!strcmp(fmt, "json")) {
		json_t *o = diff__json(&r, pos[0], pos[1]);

		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if (!strcmp(fmt, "markdown")) {
		diff__markdown(stdout, &r, pos[0], pos[1]);
	} else {
		diff__text(stdout, &r, pos[0], pos[1]);
	}
	diff__free(&r);
	ret = stdout__flush() < 0 ? EXIT_FAIL : EXIT_OK;	/* a closed pipe: 0 */
out:
	diff_side__free(sa);
	diff_side__free(sb);
	capture__free(&a);
	capture__free(&b);
	return ret;
}
