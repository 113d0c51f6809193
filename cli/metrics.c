// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition of a cumulative snapshot. Family order is
 * fixed and series are sorted, so the output of one snapshot is always the
 * same bytes (unit tests compare exact lines).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "esc.h"
#include "env.h"
#include "metrics.h"

#define NAME_LEN	128	/* reason or location name */
#define ESC_LEN		(2 * NAME_LEN + 1)

static bool live(const struct view_ctx *ctx, const struct field *f)
{
	return field_measured(f, ctx->probes, ctx->nprobes);
}

/* ---- text format helpers ---- */

const char *metrics__escape(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	/* a device named with an escape sequence reaches `curl /metrics` in a
	 * terminal: control bytes become the text \xHH (esc.h), then the
	 * format's own escapes apply (its backslash doubled) */
	for (s = esc(s); *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			buf[o++] = '\\';
			buf[o++] = *s;
		} else if (*s == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else {
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* HELP text escapes only backslash and newline. */
static void help_line(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
	fputc('\n', f);
}

/* The format of the render under way (one thread renders). */
static bool openmetrics;

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	char base[128];
	size_t n = strlen(name);

	/* OpenMetrics names a counter family without the _total of its samples */
	if (openmetrics && !strcmp(type, "counter") && n > 6 && !strcmp(name + n - 6, "_total")) {
		snprintf(base, sizeof(base), "%.*s", (int)(n - 6), name);
		name = base;
	}
	help_line(f, name, help);
	fprintf(f, "# TYPE %s %s\n", name, type);
}

static void sample(FILE *f, const char *name, const char *labels, __u64 v)
{
	if (labels && *labels)
		fprintf(f, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
	else
		fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void sample_seconds(FILE *f, const char *name, const char *labels, __u64 ns)
{
	if (labels && *labels)
		fprintf(f, "%s{%s} %llu.%09llu\n", name, labels,
			(unsigned long long)(ns / 1000000000ULL),
			(unsigned long long)(ns % 1000000000ULL));
	else
		fprintf(f, "%s %llu.%09llu\n", name, (unsigned long long)(ns / 1000000000ULL),
			(unsigned long long)(ns % 1000000000ULL));
}

static const char *dir_label(__u8 dir)
{
	return dir == QUEUE_RX ? "rx" : dir == QUEUE_TX ? "tx" : "none";
}

/* ---- bounded key sets ---- */

static int keyset_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static bool keyset_has(const struct metrics_keyset *ks, const char *key)
{
	return ks->n && bsearch(&key, ks->keys, ks->n, sizeof(*ks->keys), keyset_cmp);
}

/* Insert keeping the array sorted. */
static int keyset_add(struct metrics_keyset *ks, const char *key)
{
	size_t lo = 0, hi = ks->n;
	char *dup;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;
		char **k = realloc(ks->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		ks->keys = k;
		ks->cap = cap;
	}
	dup = strdup(key);
	if (!dup)
		return -ENOMEM;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(ks->keys[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&ks->keys[lo + 1], &ks->keys[lo], (ks->n - lo) * sizeof(*ks->keys));
	ks->keys[lo] = dup;
	ks->n++;
	return 0;
}

static void keyset_free(struct metrics_keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->keys[i]);
	free(ks->keys);
	memset(ks, 0, sizeof(*ks));
}

/*
 * Decide for each of n rows (keys[i], weight[i]) whether it gets its own
 * series: rows already admitted keep theirs; new rows are admitted by
 * descending weight while the set has room. sel[i] receives the answer.
 */
struct admit_row {
	const char *key;
	__u64 weight;
	size_t idx;
};

static int cmp_admit(const void *a, const void *b)
{
	const struct admit_row *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight < y->weight ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int admit(struct metrics_keyset *ks, size_t limit, const char **keys,
		 const __u64 *weight, size_t n, bool *sel)
{
	struct admit_row *rows = malloc((n ? n : 1) * sizeof(*rows));
	int err = 0;

	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rows[i] = (struct admit_row){ keys[i], weight[i], i };
	qsort(rows, n, sizeof(*rows), cmp_admit);
	for (size_t i = 0; i < n && !err; i++) {
		bool in = keyset_has(ks, rows[i].key);

		if (!in && ks->n < limit) {
			err = keyset_add(ks, rows[i].key);
			in = !err;
		}
		sel[rows[i].idx] = in;
	}
	free(rows);
	return err;
}

/*
 * With opts.cpus, which CPUs of a per-CPU family get a series of their own:
 * those admitted to set ks (CPUs with a non-zero count, largest first, while
 * there is room); the rest are summed in cpu="other". sel[c] receives the
 * answer. Without opts.cpus every CPU is selected.
 */
static int select_cpus(const struct metrics *m, struct metrics_keyset *ks, const __u64 *count,
		       __u32 ncpus, bool *sel)
{
	char (*names)[12] = calloc(ncpus ? ncpus : 1, sizeof(*names));
	const char **keys = calloc(ncpus ? ncpus : 1, sizeof(*keys));
	__u64 *w = calloc(ncpus ? ncpus : 1, sizeof(*w));
	bool *s = calloc(ncpus ? ncpus : 1, sizeof(*s));
	__u32 *idx = calloc(ncpus ? ncpus : 1, sizeof(*idx));
	size_t n = 0;
	int err = -ENOMEM;

	for (__u32 c = 0; c < ncpus; c++)
		sel[c] = !m->opts.cpus;
	if (!names || !keys || !w || !s || !idx)
		goto out;
	err = 0;
	if (!m->opts.cpus)
		goto out;
	for (__u32 c = 0; c < ncpus; c++) {
		snprintf(names[c], sizeof(names[c]), "%u", c);
		if (!count[c] && !keyset_has(ks, names[c]))
			continue;	/* an idle CPU takes no place in the set */
		keys[n] = names[c];
		w[n] = count[c];
		idx[n++] = c;
	}
	err = admit(ks, (size_t)m->opts.cpus, keys, w, n, s);
	for (size_t i = 0; i < n && !err; i++)
		sel[idx[i]] = s[i];
out:
	free(names);
	free(keys);
	free(w);
	free(s);
	free(idx);
	return err;
}

/* ---- drops ---- */

struct drop_agg {
	char reason[NAME_LEN];
	char location[NAME_LEN];
	__u32 cpu;
	__u64 count;
};

static int cmp_drop_cpu(const void *a, const void *b)
{
	const struct drop_agg *x = a, *y = b;
	int c = strcmp(x->reason, y->reason);

	return c ? c : (x->cpu > y->cpu) - (x->cpu < y->cpu);
}

static int cmp_drop_loc(const void *a, const void *b)
{
	const struct drop_agg *x = a, *y = b;
	int c = strcmp(x->reason, y->reason);

	return c ? c : strcmp(x->location, y->location);
}

/* Sort rows and add up neighbours equal under cmp; returns the new count. */
static size_t merge_drops(struct drop_agg *a, size_t n, int (*cmp)(const void *, const void *))
{
	size_t o = 0;

	qsort(a, n, sizeof(*a), cmp);
	for (size_t i = 0; i < n; i++) {
		if (o && !cmp(&a[o - 1], &a[i]))
			a[o - 1].count += a[i].count;
		else
			a[o++] = a[i];
	}
	return o;
}

/* The drop rows, one element per (reason, location), summed over CPUs. */
static struct drop_agg *drop_rows(const struct snapshot *s, const struct view_ctx *ctx)
{
	struct drop_agg *a = calloc(s->ndrops ? s->ndrops : 1, sizeof(*a));

	if (!a)
		return NULL;
	for (size_t i = 0; i < s->ndrops; i++) {
		const struct drop_row *r = &s->drops[i];

		ctx->reason_name(ctx, r->key.reason, a[i].reason, sizeof(a[i].reason));
		view_location(ctx, r->key.location, a[i].location, sizeof(a[i].location));
		a[i].count = r->count;
	}
	return a;
}

/* The per-CPU drops by reason, one element per (reason, CPU) with a count. */
static struct drop_agg *cpu_drop_rows(const struct snapshot *s, const struct view_ctx *ctx,
				      size_t *n)
{
	struct drop_agg *a;

	*n = snapshot__cpu_drop_cells(s);
	a = calloc(*n ? *n : 1, sizeof(*a));
	if (!a)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < s->ncpu_drop_reasons; i++) {
		const __u64 *counts = snapshot__cpu_drops(s, i);

		for (__u32 c = 0; c < s->ncpus; c++) {
			if (!counts[c])
				continue;
			ctx->reason_name(ctx, s->cpu_drop_reasons[i], a[*n].reason,
					 sizeof(a[*n].reason));
			a[*n].cpu = c;
			a[(*n)++].count = counts[c];
		}
	}
	return a;
}

static int render_drops(struct metrics *m, FILE *f, const struct snapshot *s,
			const struct view_ctx *ctx)
{
	static const char name[] = "skbtop_drops_total";
	char esc[ESC_LEN], labels[ESC_LEN + 32];
	__u64 *per_cpu = calloc(s->ncpus ? s->ncpus : 1, sizeof(*per_cpu));
	bool *sel = calloc(s->ncpus ? s->ncpus : 1, sizeof(*sel));
	struct drop_agg *a = NULL;
	size_t n;
	int err = -ENOMEM;

	if (!per_cpu || !sel)
		goto out;
	a = cpu_drop_rows(s, ctx, &n);
	if (!a)
		goto out;
	n = merge_drops(a, n, cmp_drop_cpu);
	for (size_t i = 0; i < n; i++)
		if (a[i].cpu < s->ncpus)
			per_cpu[a[i].cpu] += a[i].count;
	err = select_cpus(m, m->cpus ? &m->cpus[cpu_nfields] : NULL, per_cpu, s->ncpus, sel);
	if (err)
		goto out;
	family(f, name, "counter",
	       "Packets freed by kfree_skb(), by drop reason (kernel BTF name) and CPU.");
	/* rows are sorted by reason, then CPU: one "other" per reason */
	for (size_t i = 0; i < n;) {
		__u64 other = 0;
		bool any = false;
		size_t j;

		for (j = i; j < n && !strcmp(a[j].reason, a[i].reason); j++) {
			if (a[j].cpu < s->ncpus && !sel[a[j].cpu]) {
				other += a[j].count;
				any = true;
				continue;
			}
			snprintf(labels, sizeof(labels), "reason=\"%s\",cpu=\"%u\"",
				 metrics__escape(a[j].reason, esc, sizeof(esc)), a[j].cpu);
			sample(f, name, labels, a[j].count);
		}
		if (any) {
			snprintf(labels, sizeof(labels), "reason=\"%s\",cpu=\"other\"",
				 metrics__escape(a[i].reason, esc, sizeof(esc)));
			sample(f, name, labels, other);
		}
		i = j;
	}
out:
	free(per_cpu);
	free(sel);
	free(a);
	return err;
}

static int render_locations(struct metrics *m, FILE *f, const struct snapshot *s,
			    const struct view_ctx *ctx)
{
	static const char name[] = "skbtop_drops_by_location_total";
	struct drop_agg *a = drop_rows(s, ctx);
	char e1[ESC_LEN], e2[ESC_LEN], labels[2 * ESC_LEN + 32];
	const char **keys = NULL;
	__u64 *weights = NULL;
	bool *sel = NULL;
	size_t n;
	int err = -ENOMEM;

	if (!a)
		return -ENOMEM;
	n = merge_drops(a, s->ndrops, cmp_drop_loc);
	keys = calloc(n ? n : 1, sizeof(*keys));
	weights = calloc(n ? n : 1, sizeof(*weights));
	sel = calloc(n ? n : 1, sizeof(*sel));
	if (!keys || !weights || !sel)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		char *k = malloc(2 * NAME_LEN + 2);

		if (!k)
			goto cleanup;
		snprintf(k, 2 * NAME_LEN + 2, "%s\x1f%s", a[i].reason, a[i].location);
		keys[i] = k;
		weights[i] = a[i].count;
	}
	err = admit(&m->locations, (size_t)m->opts.locations, keys, weights, n, sel);
	if (err)
		goto cleanup;
	family(f, name, "counter",
	       "Packets freed by kfree_skb(), by drop reason and calling function "
	       "(symbol+offset); locations beyond the --locations limit are summed "
	       "in location=\"other\".");
	for (size_t i = 0; i < n; i++) {
		if (!sel[i])
			continue;
		snprintf(labels, sizeof(labels), "reason=\"%s\",location=\"%s\"",
			 metrics__escape(a[i].reason, e1, sizeof(e1)),
			 metrics__escape(a[i].location, e2, sizeof(e2)));
		sample(f, name, labels, a[i].count);
	}
	/* rows are sorted by reason: one "other" per reason with unselected rows */
	for (size_t i = 0; i < n;) {
		__u64 other = 0;
		bool any = false;
		size_t j;

		for (j = i; j < n && !strcmp(a[j].reason, a[i].reason); j++)
			if (!sel[j]) {
				other += a[j].count;
				any = true;
			}
		if (any) {
			snprintf(labels, sizeof(labels), "reason=\"%s\",location=\"other\"",
				 metrics__escape(a[i].reason, e1, sizeof(e1)));
			sample(f, name, labels, other);
		}
		i = j;
	}
	err = 0;
cleanup:
	if (keys)
		for (size_t i = 0; i < n; i++)
			free((char *)keys[i]);
	free(keys);
	free(weights);
	free(sel);
	free(a);
	return err;
}

/* ---- per-CPU counters ---- */

/*
 * Every measured per-CPU field with a family of its own (ratios have none):
 * one series per CPU, or with opts.cpus the admitted CPUs plus cpu="other"
 * (always present, so the family's sum is the total); counters as
 * skbtop_<metric>_total, gauges (levels) as skbtop_<metric>.
 */
static int render_cpu_fields(struct metrics *m, FILE *f, const struct snapshot *s,
			     const struct view_ctx *ctx)
{
	__u64 *count = calloc(s->ncpus ? s->ncpus : 1, sizeof(*count));
	bool *sel = calloc(s->ncpus ? s->ncpus : 1, sizeof(*sel));
	char name[128], labels[32];
	int err = count && sel ? 0 : -ENOMEM;

	for (size_t i = 0; i < cpu_nfields && !err; i++) {
		const struct field *cf = &cpu_fields[i];
		bool gauge = cf->kind == FIELD_GAUGE;
		/* a time kept in ns goes out in the base unit, seconds (its name says so) */
		bool secs = cf->unit && !strcmp(cf->unit, "ns");
		__u64 other = 0;

		if (!cf->metric || cf->kind == FIELD_RATIO || !live(ctx, cf))
			continue;
		for (__u32 c = 0; c < s->ncpus; c++)
			count[c] = field_count(cf, &s->cpus[c]);
		err = select_cpus(m, m->cpus ? &m->cpus[i] : NULL, count, s->ncpus, sel);
		if (err)
			break;
		snprintf(name, sizeof(name), gauge ? "skbtop_%s" : "skbtop_%s_total", cf->metric);
		family(f, name, gauge ? "gauge" : "counter", cf->help);
		for (__u32 c = 0; c < s->ncpus; c++) {
			if (!sel[c]) {
				other += count[c];
				continue;
			}
			snprintf(labels, sizeof(labels), "cpu=\"%u\"", c);
			(secs ? sample_seconds : sample)(f, name, labels, count[c]);
		}
		if (m->opts.cpus)
			(secs ? sample_seconds : sample)(f, name, "cpu=\"other\"", other);
	}
	free(count);
	free(sel);
	return err;
}

/*
 * A log2 histogram (slot 0: value 0; slot k: 2^(k-1) .. 2^k - 1; the last
 * slot also holds everything above) as a Prometheus histogram over all CPUs.
 */
static void render_hist(FILE *f, const char *name, const char *help,
			const struct snapshot *s, size_t hist_off, size_t sum_off)
{
	char bucket[128], le[48];
	__u64 h[SKBTOP_HIST_SLOTS] = {}, sum = 0, cum = 0;

	for (__u32 c = 0; c < s->ncpus; c++) {
		const char *base = (const char *)&s->cpus[c];

		for (int k = 0; k < SKBTOP_HIST_SLOTS; k++)
			h[k] += ((const __u64 *)(base + hist_off))[k];
		sum += counter_at(&s->cpus[c], sum_off);
	}
	family(f, name, "histogram", help);
	snprintf(bucket, sizeof(bucket), "%s_bucket", name);
	for (int k = 0; k < SKBTOP_HIST_SLOTS - 1; k++) {
		cum += h[k];
		snprintf(le, sizeof(le), "le=\"%llu\"", k ? (1ULL << k) - 1 : 0ULL);
		sample(f, bucket, le, cum);
	}
	cum += h[SKBTOP_HIST_SLOTS - 1];
	sample(f, bucket, "le=\"+Inf\"", cum);
	snprintf(bucket, sizeof(bucket), "%s_sum", name);
	sample(f, bucket, NULL, sum);
	snprintf(bucket, sizeof(bucket), "%s_count", name);
	sample(f, bucket, NULL, cum);
}

/* ---- defer sender x target matrix ---- */

static void render_kicks(FILE *f, const struct snapshot *s, const struct view_ctx *ctx)
{
	char name[128], labels[64];

	for (size_t i = 0; i < kick_nfields; i++) {
		if (!live(ctx, &kick_fields[i]))
			continue;
		snprintf(name, sizeof(name), "skbtop_%s_total", kick_fields[i].metric);
		family(f, name, "counter", kick_fields[i].help);
		for (__u32 from = 0; from < s->ncpus; from++)
			for (__u32 to = 0; to < s->ncpus; to++) {
				__u64 v = field_count(&kick_fields[i], &s->kicks[from * s->ncpus + to]);

				/* only pairs that ever saw traffic: ncpus^2 would be too many */
				if (!v)
					continue;
				snprintf(labels, sizeof(labels), "from_cpu=\"%u\",to_cpu=\"%u\"",
					 from, to);
				sample(f, name, labels, v);
			}
	}
}

/* ---- per tun/tap queue ---- */

struct queue_agg {
	char ifname[SKBTOP_IFNAMSIZ + 1];
	__u16 queue;
	__u8 dir;
	struct queue_counters c;
};

static int cmp_queue(const void *a, const void *b)
{
	const struct queue_agg *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c)
		return c;
	if (x->dir != y->dir)
		return x->dir - y->dir;
	return x->queue - y->queue;
}

static int render_queues(struct metrics *m, FILE *f, const struct snapshot *s,
			 const struct view_ctx *ctx)
{
	const size_t nw = sizeof(struct queue_counters) / sizeof(__u64);
	struct queue_agg *a = calloc(s->nqueues ? s->nqueues : 1, sizeof(*a));
	char (*keys)[SKBTOP_IFNAMSIZ + 32] = NULL;
	const char **kp = NULL;
	__u64 *weights = NULL;
	struct queue_counters other = {};
	bool *sel = NULL, any_other = false;
	char name[128], esc[2 * SKBTOP_IFNAMSIZ + 4], labels[2 * SKBTOP_IFNAMSIZ + 64];
	size_t n = 0;
	int err = -ENOMEM;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < s->nqueues; i++) {
		memcpy(a[i].ifname, s->queues[i].key.ifname, SKBTOP_IFNAMSIZ);
		a[i].queue = s->queues[i].key.queue;
		a[i].dir = s->queues[i].key.dir;
		a[i].c = s->queues[i].c;
	}
	/* same name, queue and direction (e.g. in two namespaces): one series */
	qsort(a, s->nqueues, sizeof(*a), cmp_queue);
	for (size_t i = 0; i < s->nqueues; i++) {
		if (n && !cmp_queue(&a[n - 1], &a[i])) {
			for (size_t w = 0; w < nw; w++)
				((__u64 *)&a[n - 1].c)[w] += ((__u64 *)&a[i].c)[w];
		} else {
			a[n++] = a[i];
		}
	}
	keys = calloc(n ? n : 1, sizeof(*keys));
	kp = calloc(n ? n : 1, sizeof(*kp));
	weights = calloc(n ? n : 1, sizeof(*weights));
	sel = calloc(n ? n : 1, sizeof(*sel));
	if (!keys || !kp || !weights || !sel)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s\x1f%u\x1f%u", a[i].ifname, a[i].queue,
			 a[i].dir);
		kp[i] = keys[i];
		for (size_t w = 0; w < nw; w++)
			weights[i] += ((__u64 *)&a[i].c)[w];
	}
	err = admit(&m->queues, (size_t)m->opts.queues, kp, weights, n, sel);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if (!sel[i]) {
			any_other = true;
			for (size_t w = 0; w < nw; w++)
				((__u64 *)&other)[w] += ((__u64 *)&a[i].c)[w];
		}
	for (size_t fi = 0; fi < queue_nfields; fi++) {
		const struct field *qf = &queue_fields[fi];
		char help[256];

		if (!live(ctx, qf))
			continue;
		snprintf(name, sizeof(name), "skbtop_%s_total", qf->metric);
		snprintf(help, sizeof(help), "Per tun/tap queue: %s.", qf->help);
		family(f, name, "counter", help);
		for (size_t i = 0; i < n; i++) {
			if (!sel[i])
				continue;
			snprintf(labels, sizeof(labels), "ifname=\"%s\",queue=\"%u\",dir=\"%s\"",
				 metrics__escape(a[i].ifname, esc, sizeof(esc)), a[i].queue,
				 dir_label(a[i].dir));
			sample(f, name, labels, field_count(qf, &a[i].c));
		}
		if (any_other)
			sample(f, name, "ifname=\"other\",queue=\"other\",dir=\"other\"",
			       field_count(qf, &other));
	}
	err = 0;
cleanup:
	free(keys);
	free(kp);
	free(weights);
	free(sel);
	free(a);
	return err;
}

/* ---- skbtop itself ---- */

static int cmp_prog(const void *a, const void *b)
{
	return strcmp(((const struct prog_row *)a)->name, ((const struct prog_row *)b)->name);
}

static int render_self(FILE *f, const struct metrics *m, const struct snapshot *s,
		       const struct view_ctx *ctx)
{
	static const char secs[] = "skbtop_bpf_run_seconds_total";
	static const char cnt[] = "skbtop_bpf_run_count_total";
	struct prog_row *p = NULL;
	char esc[2 * sizeof(p->name) + 1], labels[sizeof(esc) + 16];

	if (s->nprogs && ctx->prog_stats) {	/* without stats, run times are not measured */
		p = malloc(s->nprogs * sizeof(*p));
		if (!p)
			return -ENOMEM;
		memcpy(p, s->progs, s->nprogs * sizeof(*p));
		qsort(p, s->nprogs, sizeof(*p), cmp_prog);
		family(f, secs, "counter",
		       "Time the kernel spent running each skbtop BPF program "
		       "(BPF run-time stats, turned on by --prog-stats).");
		for (size_t i = 0; i < s->nprogs; i++) {
			snprintf(labels, sizeof(labels), "prog=\"%s\"",
				 metrics__escape(p[i].name, esc, sizeof(esc)));
			sample_seconds(f, secs, labels, p[i].run_ns);
		}
		family(f, cnt, "counter", "Runs of each skbtop BPF program.");
		for (size_t i = 0; i < s->nprogs; i++) {
			snprintf(labels, sizeof(labels), "prog=\"%s\"",
				 metrics__escape(p[i].name, esc, sizeof(esc)));
			sample(f, cnt, labels, p[i].run_cnt);
		}
		free(p);
	}
	/* the process_* families of the Prometheus client conventions */
	family(f, "process_cpu_seconds_total", "counter",
	       "Total user and system CPU time spent in seconds.");
	sample_seconds(f, "process_cpu_seconds_total", NULL, s->user_cpu_ns);
	if (m->proc.start_time_s > 0) {
		family(f, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.");
		fprintf(f, "process_start_time_seconds %.2f\n", m->proc.start_time_s);
	}
	if (m->proc.resident_bytes) {
		family(f, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		sample(f, "process_resident_memory_bytes", NULL, m->proc.resident_bytes);
	}
	if (m->proc.max_fds) {
		family(f, "process_open_fds", "gauge", "Number of open file descriptors.");
		sample(f, "process_open_fds", NULL, m->proc.open_fds);
		family(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		sample(f, "process_max_fds", NULL, m->proc.max_fds);
	}
	return 0;
}

static void render_probes(FILE *f, const struct view_ctx *ctx)
{
	char esc[ESC_LEN], labels[ESC_LEN + 48];

	if (!ctx->probes)
		return;
	family(f, "skbtop_probe_info", "gauge",
	       "Always 1: each probe and the mode it attached in (unavailable, disabled: "
	       "its metric families are not exported).");
	for (size_t i = 0; i < ctx->nprobes; i++) {
		snprintf(labels, sizeof(labels), "probe=\"%s\",mode=\"%s\"",
			 metrics__escape(ctx->probes[i].name, esc, sizeof(esc)),
			 probe_mode_name(ctx->probes[i].mode));
		sample(f, "skbtop_probe_info", labels, 1);
	}
}

/* ---- entry points ---- */

void metrics__init(struct metrics *m, const struct metrics_opts *opts)
{
	memset(m, 0, sizeof(*m));
	if (opts)
		m->opts = *opts;
	if (m->opts.cpus > 0) {
		m->cpus = calloc(cpu_nfields + 1, sizeof(*m->cpus));
		if (!m->cpus)	/* out of memory: every CPU gets its series */
			m->opts.cpus = 0;
	}
}

void metrics__free(struct metrics *m)
{
	keyset_free(&m->locations);
	keyset_free(&m->queues);
	for (size_t i = 0; m->cpus && i <= cpu_nfields; i++)
		keyset_free(&m->cpus[i]);
	free(m->cpus);
	m->cpus = NULL;
}

static int render_all(struct metrics *m, FILE *f, const struct snapshot *total,
		      const struct view_ctx *ctx)
{
	const struct field *drops = field_find(cpu_fields, cpu_nfields, "drops");
	int err = 0;

	family(f, "skbtop_build_info", "gauge", "Always 1: the skbtop version.");
	fprintf(f, "skbtop_build_info{version=\"%s\"} 1\n", SKBTOP_VERSION);
	render_probes(f, ctx);
	if (live(ctx, drops))
		err = render_drops(m, f, total, ctx);
	if (!err && m->opts.locations > 0 && live(ctx, drops))
		err = render_locations(m, f, total, ctx);
	if (err)
		return err;
	err = render_cpu_fields(m, f, total, ctx);
	if (err)
		return err;
	if (live(ctx, field_find(cpu_fields, cpu_nfields, "bulk_asked")))
		render_hist(f, "skbtop_bulk_request_heads",
			    "skb heads asked per napi_skb_cache_get_bulk() call.", total,
			    offsetof(struct cpu_counters, bulk_hist),
			    offsetof(struct cpu_counters, bulk_asked));
	if (live(ctx, field_find(cpu_fields, cpu_nfields, "defer_flushes")))
		render_hist(f, "skbtop_defer_flush_batch_skbs",
			    "skbs freed per skb_defer_free_flush() run that freed any.", total,
			    offsetof(struct cpu_counters, defer_flush_hist),
			    offsetof(struct cpu_counters, defer_flush_skbs));
	render_kicks(f, total, ctx);
	if (m->opts.queues > 0)
		err = render_queues(m, f, total, ctx);
	if (!err)
		err = render_self(f, m, total, ctx);
	if (!err) {
		family(f, "skbtop_last_read_timestamp_seconds", "gauge",
		       "Wall-clock time of the map read these values come from.");
		sample_seconds(f, "skbtop_last_read_timestamp_seconds", NULL, total->real_ns);
	}
	if (!err && openmetrics)
		fputs("# EOF\n", f);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
	return err;
}

int metrics__render(struct metrics *m, FILE *f, const struct snapshot *total,
		    const struct view_ctx *ctx)
{
	openmetrics = false;
	return render_all(m, f, total, ctx);
}

int metrics__render_openmetrics(struct metrics *m, FILE *f, const struct snapshot *total,
				const struct view_ctx *ctx)
{
	int err;

	openmetrics = true;
	err = render_all(m, f, total, ctx);
	openmetrics = false;
	return err;
}
