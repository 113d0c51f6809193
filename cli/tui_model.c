// SPDX-License-Identifier: GPL-2.0
/* The live screen's tables and filters; no curses here (see tui.h). */
#define _GNU_SOURCE	/* strcasestr */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"
#include "esc.h"

/* ---- filter ---- */

static void cpu_set(struct tui_filter *f, unsigned int c)
{
	f->cpus[c / 8] |= 1u << (c % 8);
}

bool tui_filter__cpu(const struct tui_filter *f, __u32 cpu)
{
	if (!f || !f->has_cpus)
		return true;
	return cpu < TUI_MAXCPUS && (f->cpus[cpu / 8] & (1u << (cpu % 8)));
}

bool tui_filter__dev(const struct tui_filter *f, const char *ifname)
{
	if (!f || !f->dev[0])
		return true;
	return ifname && !strcmp(f->dev, ifname);
}

bool tui_filter__reason(const struct tui_filter *f, const char *name)
{
	if (!f || !f->reason[0])
		return true;
	return name && strcasestr(name, f->reason);
}

bool tui_filter__empty(const struct tui_filter *f)
{
	return !f->has_cpus && !f->dev[0] && !f->reason[0];
}

static bool looks_like_cpu_list(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-')
			return false;
	return true;
}

/* "0-3,5" into the bitmap. */
static int parse_cpu_list(struct tui_filter *f, const char *s, char *err, size_t errlen)
{
	const char *p = s;

	if (!*p) {
		snprintf(err, errlen, "empty CPU list");
		return -EINVAL;
	}
	while (*p) {
		unsigned long lo, hi;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto bad;
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (lo > hi || hi >= TUI_MAXCPUS) {
			snprintf(err, errlen, "bad CPU range in '%s' (want e.g. 0-3,5)", s);
			return -EINVAL;
		}
		for (unsigned long c = lo; c <= hi; c++)
			cpu_set(f, c);
		if (*p == ',') {
			p++;
			if (!*p)
				goto bad;
		} else if (*p) {
			goto bad;
		}
	}
	f->has_cpus = true;
	return 0;
bad:
	snprintf(err, errlen, "bad CPU list '%s' (want e.g. 0-3,5)", s);
	return -EINVAL;
}

int tui_filter__parse(struct tui_filter *out, const char *in, char *err, size_t errlen)
{
	struct tui_filter f = {};
	char buf[sizeof(f.text)], *tok, *save = NULL;

	if (strlen(in) >= sizeof(buf)) {
		snprintf(err, errlen, "filter too long");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", in);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *colon = strchr(tok, ':');
		const char *val = colon ? colon + 1 : tok;

		if (colon)
			*colon = '\0';
		if ((colon && !strcmp(tok, "cpu")) || (!colon && looks_like_cpu_list(tok))) {
			if (parse_cpu_list(&f, val, err, errlen))
				return -EINVAL;
		} else if (colon && (!strcmp(tok, "dev") || !strcmp(tok, "device"))) {
			if (!*val || strlen(val) >= sizeof(f.dev)) {
				snprintf(err, errlen, "bad device name '%s'", val);
				return -EINVAL;
			}
			snprintf(f.dev, sizeof(f.dev), "%s", val);
		} else if (colon && !strcmp(tok, "reason")) {
			if (!*val) {
				snprintf(err, errlen, "empty reason");
				return -EINVAL;
			}
			snprintf(f.reason, sizeof(f.reason), "%.63s", val);
		} else if (colon) {
			snprintf(err, errlen, "unknown filter key '%s' (cpu:, dev:, reason:)", tok);
			return -EINVAL;
		} else {
			/* a bare word: a reason substring (device names are matched exactly) */
			snprintf(f.reason, sizeof(f.reason), "%.63s", tok);
		}
	}
	snprintf(f.text, sizeof(f.text), "%s", in);
	*out = f;
	return 0;
}

/* ---- tables ---- */

struct tui_row *tui_table__add(struct tui_table *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct tui_row *r = realloc(t->rows, cap * sizeof(*r));

		if (!r)
			return NULL;
		t->rows = r;
		t->cap = cap;
	}
	memset(&t->rows[t->n], 0, sizeof(t->rows[0]));
	for (int i = 0; i < TUI_MAXCOLS; i++)
		t->rows[t->n].key[i] = NAN;
	return &t->rows[t->n++];
}

void tui_table__reset(struct tui_table *t)
{
	t->n = 0;
	t->has_sum = false;
	memset(t->hide, 0, sizeof(t->hide));
}

void tui_table__free(struct tui_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

static int sort_col;

static int cmp_rows(const void *a, const void *b)
{
	const struct tui_row *x = a, *y = b;
	double kx = x->key[sort_col], ky = y->key[sort_col];

	if (sort_col == 0) {
		int c;

		if (!isnan(kx) && !isnan(ky) && kx != ky)
			return kx < ky ? -1 : 1;
		c = strcmp(x->cell[0], y->cell[0]);
		if (c)
			return c;
		/* same label (a device's queues): by the second column */
		if (!isnan(x->key[1]) && !isnan(y->key[1]) && x->key[1] != y->key[1])
			return x->key[1] < y->key[1] ? -1 : 1;
		return strcmp(x->cell[1], y->cell[1]);
	}
	/* descending; '-' (NaN) last; ties by the first column */
	if (isnan(kx) != isnan(ky))
		return isnan(kx) ? 1 : -1;
	if (!isnan(kx) && kx != ky)
		return kx > ky ? -1 : 1;
	if (!isnan(x->key[0]) && !isnan(y->key[0]) && x->key[0] != y->key[0])
		return x->key[0] < y->key[0] ? -1 : 1;
	return strcmp(x->cell[0], y->cell[0]);
}

void tui_table__sort(struct tui_table *t, int col)
{
	if (col < 0 || col >= t->ncols || col >= TUI_MAXCOLS)
		col = 0;
	sort_col = col;
	qsort(t->rows, t->n, sizeof(*t->rows), cmp_rows);
}

/* ---- formatting ---- */

/*
 * Counts and rates alike: exact while 5 digits hold them (a count on the
 * screen can be checked against the kernel's), then 3 significant digits
 * with k, M, G, T (123k, 1.23M, 12.3G, ...), so 100k-1M pps reads as
 * such; rates below 10 keep one decimal. At most 5 characters below 1000T.
 */
static void fmt_num(char *buf, size_t len, double v, bool rate)
{
	static const char units[] = "kMGT";
	int u = -1;

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (v < 99999.5) {
		if (rate && v > 0 && v < 9.95)
			snprintf(buf, len, "%.1f", v);
		else
			snprintf(buf, len, "%.0f", v);
		return;
	}
	while (v >= 999.5 && u < 3) {	/* v >= 99999.5: at least k */
		v /= 1000;
		u++;
	}
	snprintf(buf, len, v < 9.995 ? "%.2f%c" : v < 99.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

void tui_fmt_count(char *buf, size_t len, double v)
{
	fmt_num(buf, len, v, false);
}

void tui_fmt_rate(char *buf, size_t len, double v)
{
	fmt_num(buf, len, v, true);
}

/* ---- probes ---- */

enum probe_mode tui_probe_mode(const struct view_ctx *ctx, const char *name)
{
	if (!ctx->probes)
		return MODE_TP_BTF;	/* synthetic data: everything live */
	for (size_t i = 0; i < ctx->nprobes; i++)
		if (!strcmp(ctx->probes[i].name, name))
			return ctx->probes[i].mode;
	return MODE_UNAVAILABLE;
}

bool tui_probe_live(const struct view_ctx *ctx, const char *name)
{
	enum probe_mode m = tui_probe_mode(ctx, name);

	return m != MODE_UNAVAILABLE && m != MODE_DISABLED;
}

/* ---- values ---- */

static double interval_s(const struct tui_data *d)
{
	return d->delta->mono_ns ? d->delta->mono_ns / 1e9 : 1.0;
}

/* A counter as shown: per second over the last interval, or the total. */
static double shown(const struct tui_data *d, __u64 delta_v, __u64 total_v)
{
	return d->totals ? (double)total_v : delta_v / interval_s(d);
}

static void set_num(struct tui_row *r, int col, double v, bool live, const struct tui_data *d)
{
	if (!live)
		v = NAN;
	r->key[col] = v;
	if (d->totals)
		tui_fmt_count(r->cell[col], TUI_CELL, v);
	else
		tui_fmt_rate(r->cell[col], TUI_CELL, v);
}

/*
 * A panel's columns from the registry: its label columns, then the
 * fields' screen columns in order. Built once (the registry is constant).
 */
struct panel_cols {
	struct tui_col cols[TUI_MAXCOLS];
	const struct field *f[TUI_MAXCOLS];	/* NULL for label columns */
	int n;
};

static void panel_cols_init(struct panel_cols *p, const struct tui_col *labels, int nlabels,
			    const struct field *fields, size_t n, const struct tui_col *tail)
{
	const struct field *f[TUI_MAXCOLS];
	size_t k;

	if (p->n)
		return;
	for (int i = 0; i < nlabels; i++)
		p->cols[p->n++] = labels[i];
	k = field_columns(fields, n, true, f, TUI_MAXCOLS - p->n - (tail != NULL));
	for (size_t i = 0; i < k; i++) {
		int w = (int)strlen(f[i]->title) + 1;

		p->f[p->n] = f[i];
		p->cols[p->n++] = (struct tui_col){ f[i]->title, w < 7 ? 7 : w };
	}
	if (tail)
		p->cols[p->n++] = *tail;
}

/* The field columns of a row: rates or totals, '-' where nothing measured them. */
static void fill_fields(struct tui_row *r, const struct panel_cols *p, const struct tui_data *d,
			const void *dc, const void *tc)
{
	const struct view_ctx *ctx = d->ctx;

	for (int col = 0; col < p->n; col++) {
		const struct field *f = p->f[col];
		double v;

		if (!f)
			continue;
		if (f->kind == FIELD_RATIO) {
			if (field_measured(f, ctx->probes, ctx->nprobes) &&
			    field_value(f, d->totals ? tc : dc, &v)) {
				r->key[col] = 100.0 * v;
				snprintf(r->cell[col], TUI_CELL, "%.1f", r->key[col]);
			} else {
				r->key[col] = NAN;
				snprintf(r->cell[col], TUI_CELL, "-");
			}
			continue;
		}
		if (f->kind == FIELD_GAUGE) {	/* a level: as read, in rates and totals alike */
			r->key[col] = field_measured(f, ctx->probes, ctx->nprobes)
					      ? (double)field_count(f, d->totals ? tc : dc) : NAN;
			tui_fmt_count(r->cell[col], TUI_CELL, r->key[col]);
			continue;
		}
		set_num(r, col, shown(d, field_count(f, dc), field_count(f, tc)),
			field_measured(f, ctx->probes, ctx->nprobes), d);
	}
}

/*
 * Which columns are drawn: unmeasured fields are hidden unless d->all_cols;
 * then, while the labels and the shown fields are wider than d->width, the
 * shown field with the highest prio (the least wanted) gives way. Columns
 * after the fields (the queue panel's top reason) are cut at the edge.
 */
static void fit_columns(struct tui_table *t, const struct panel_cols *p,
			const struct tui_data *d)
{
	int used = 0;

	memset(t->hide, 0, sizeof(t->hide));
	for (int c = 0; c < p->n; c++) {
		if (p->f[c] && !d->all_cols && !field_measured(p->f[c], d->ctx->probes,
							      d->ctx->nprobes))
			t->hide[c] = true;
		else if (p->f[c] || !p->cols[c].left || c < 2)
			used += p->cols[c].width;
	}
	while (d->width > 0 && used > d->width) {
		int worst = -1;

		for (int c = 0; c < p->n; c++)
			if (p->f[c] && !t->hide[c] &&
			    (worst < 0 || p->f[c]->prio > p->f[worst]->prio))
				worst = c;
		if (worst < 0)
			break;
		t->hide[worst] = true;
		used -= p->cols[worst].width;
	}
}

static bool measured(const struct view_ctx *ctx, const struct field *fields, size_t n,
		     const char *name)
{
	return field_measured(field_find(fields, n, name), ctx->probes, ctx->nprobes);
}

/* ---- per-CPU panel ---- */

static struct panel_cols cpu_panel;

static void fill_cpu_row(struct tui_row *r, const struct tui_data *d,
			 const struct cpu_counters *dc, const struct cpu_counters *tc)
{
	const struct cpu_counters *h = d->totals ? tc : dc;

	fill_fields(r, &cpu_panel, d, dc, tc);
	r->alert = (measured(d->ctx, cpu_fields, cpu_nfields, "bulk_short_calls") &&
		    h->bulk_short_calls) || h->drops;
}

static const struct cpu_counters *cpu_at(const struct snapshot *s, __u32 c)
{
	static const struct cpu_counters zero;

	return c < s->ncpus ? &s->cpus[c] : &zero;
}

int tui_build_cpus(struct tui_table *t, const struct tui_data *d)
{
	static const struct tui_col label = { "CPU", 4, true };
	struct cpu_counters dsum = {}, tsum = {};

	panel_cols_init(&cpu_panel, &label, 1, cpu_fields, cpu_nfields, NULL);
	t->cols = cpu_panel.cols;
	t->ncols = cpu_panel.n;
	tui_table__reset(t);
	fit_columns(t, &cpu_panel, d);
	for (__u32 c = 0; c < d->delta->ncpus; c++) {
		const struct cpu_counters *dc = cpu_at(d->delta, c), *tc = cpu_at(d->total, c);
		struct tui_row *r;

		if (!tui_filter__cpu(d->filter, c))
			continue;
		r = tui_table__add(t);
		if (!r)
			return -ENOMEM;
		snprintf(r->cell[0], TUI_CELL, "%u", c);
		r->key[0] = c;
		r->id = c;
		fill_cpu_row(r, d, dc, tc);
		for (size_t w = 0; w < sizeof(dsum) / sizeof(__u64); w++) {
			((__u64 *)&dsum)[w] += ((const __u64 *)dc)[w];
			((__u64 *)&tsum)[w] += ((const __u64 *)tc)[w];
		}
	}
	memset(&t->sum, 0, sizeof(t->sum));
	snprintf(t->sum.cell[0], TUI_CELL, "all");
	fill_cpu_row(&t->sum, d, &dsum, &tsum);
	t->has_sum = true;
	return 0;
}

/* ---- drops ---- */

static bool reason_passes(const struct tui_data *d, __u32 reason)
{
	char name[96];

	return !d->filter || !d->filter->reason[0] ||
	       tui_filter__reason(d->filter, d->ctx->reason_name(d->ctx, reason, name, sizeof(name)));
}

/* Drop rows are summed over CPUs: the device and reason parts of the filter. */
static bool drop_passes(const struct tui_data *d, const struct drop_row *r)
{
	if (d->filter && d->filter->dev[0] && !tui_filter__dev(d->filter, r->key.ifname))
		return false;
	return reason_passes(d, r->key.reason);
}

/* A small (key -> total, delta) accumulator for group-by. */
struct agg {
	__u64 key;
	__u64 total, delta;
};

struct aggs {
	struct agg *a;
	size_t n, cap;
};

static struct agg *agg_get(struct aggs *s, __u64 key)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->a[i].key == key)
			return &s->a[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct agg *a = realloc(s->a, cap * sizeof(*a));

		if (!a)
			return NULL;
		s->a = a;
		s->cap = cap;
	}
	s->a[s->n] = (struct agg){ .key = key };
	return &s->a[s->n++];
}

static int cmp_agg_desc(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

enum { DR_BY_REASON, DR_BY_LOCATION, DR_BY_CPU };

static bool drops_by_cpu(const struct tui_data *d, int by)
{
	return by == DR_BY_CPU ||
	       (by == DR_BY_REASON && d->filter && d->filter->has_cpus && !d->filter->dev[0]);
}

bool tui_drops_cpu_filter_ignored(const struct tui_data *d, bool drill)
{
	return d->filter && d->filter->has_cpus && (drill || d->filter->dev[0]);
}

/*
 * Group the drops that pass the filter (and match reason, unless ~0). By
 * CPU, and by reason under a CPU filter, from the per-CPU counts by reason;
 * else from the drop rows, which are summed over CPUs and so pass any CPU
 * filter whole (tui_drops_cpu_filter_ignored() tells the panel).
 */
static int group_drops(struct aggs *s, const struct tui_data *d, int by, __u64 reason)
{
	const struct snapshot *snaps[2] = { d->total, d->delta };

	if (drops_by_cpu(d, by)) {
		for (int k = 0; k < 2; k++)
			for (size_t i = 0; i < snaps[k]->ncpu_drop_reasons; i++) {
				__u32 rs = snaps[k]->cpu_drop_reasons[i];
				const __u64 *counts = snapshot__cpu_drops(snaps[k], i);
				struct agg *a = NULL;

				if ((reason != ~0ULL && rs != reason) || !reason_passes(d, rs))
					continue;
				for (__u32 c = 0; c < snaps[k]->ncpus; c++) {
					if (!counts[c] || !tui_filter__cpu(d->filter, c))
						continue;
					if (by == DR_BY_CPU || !a)
						a = agg_get(s, by == DR_BY_CPU ? c : rs);
					if (!a)
						return -ENOMEM;
					if (k == 0)
						a->total += counts[c];
					else
						a->delta += counts[c];
				}
			}
		return 0;
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < snaps[k]->ndrops; i++) {
			const struct drop_row *r = &snaps[k]->drops[i];
			__u64 key = by == DR_BY_REASON ? r->key.reason : r->key.location;
			struct agg *a;

			if (reason != ~0ULL && r->key.reason != reason)
				continue;
			if (!drop_passes(d, r))
				continue;
			a = agg_get(s, key);
			if (!a)
				return -ENOMEM;
			if (k == 0)
				a->total += r->count;
			else
				a->delta += r->count;
		}
	return 0;
}

enum { DC_REASON, DC_COUNT, DC_RATE, DC_SHARE, DC_TOP, DC_N };

static const struct tui_col drop_cols[DC_N] = {
	[DC_REASON] = { "REASON", 28, true },	[DC_COUNT] = { "count", 10 },
	[DC_RATE] = { "rate/s", 9 },		[DC_SHARE] = { "share", 7 },
	[DC_TOP] = { "  TOP LOCATIONS", 60, true },
};

static void fill_drop_row(struct tui_row *r, const struct tui_data *d, const struct agg *a,
			  __u64 all)
{
	r->key[DC_COUNT] = a->total;
	tui_fmt_count(r->cell[DC_COUNT], TUI_CELL, a->total);
	r->key[DC_RATE] = a->delta / interval_s(d);
	tui_fmt_rate(r->cell[DC_RATE], TUI_CELL, r->key[DC_RATE]);
	r->key[DC_SHARE] = all ? 100.0 * a->total / all : 0;
	snprintf(r->cell[DC_SHARE], TUI_CELL, "%.1f%%", r->key[DC_SHARE]);
	r->alert = a->delta > 0;
}

int tui_build_drops(struct tui_table *t, const struct tui_data *d)
{
	struct aggs s = {};
	__u64 all = 0;
	char name[128];
	int err;

	t->cols = drop_cols;
	t->ncols = DC_N;
	tui_table__reset(t);
	err = group_drops(&s, d, DR_BY_REASON, ~0ULL);
	for (size_t i = 0; i < s.n; i++)
		all += s.a[i].total;
	for (size_t i = 0; !err && i < s.n; i++) {
		struct tui_row *r = tui_table__add(t);
		struct aggs locs = {};
		size_t off = 0;

		if (!r) {
			err = -ENOMEM;
			break;
		}
		r->id = s.a[i].key;
		d->ctx->reason_name(d->ctx, (__u32)s.a[i].key, name, sizeof(name));
		snprintf(r->cell[DC_REASON], TUI_CELL, "%s", esc(name));
		fill_drop_row(r, d, &s.a[i], all);
		err = group_drops(&locs, d, DR_BY_LOCATION, s.a[i].key);
		qsort(locs.a, locs.n, sizeof(*locs.a), cmp_agg_desc);
		off = snprintf(r->cell[DC_TOP], TUI_CELL, "  ");
		for (size_t l = 0; !err && l < locs.n && l < 3 && off < TUI_CELL; l++) {
			char loc[128];

			view_location(d->ctx, locs.a[l].key, loc, sizeof(loc));
			off += snprintf(r->cell[DC_TOP] + off, TUI_CELL - off, "%s%s", l ? ", " : "",
					esc(loc));
		}
		free(locs.a);
	}
	free(s.a);
	return err;
}

enum { DL_LOC, DL_COUNT, DL_RATE, DL_SHARE, DL_N };

static const struct tui_col loc_cols[DL_N] = {
	[DL_LOC] = { "LOCATION", 39, true },	[DL_COUNT] = { "count", 10 },
	[DL_RATE] = { "rate/s", 9 },		[DL_SHARE] = { "share", 7 },
};

static const struct tui_col dcpu_cols[DL_N] = {
	[DL_LOC] = { "CPU", 39, true },	[DL_COUNT] = { "count", 10 },
	[DL_RATE] = { "rate/s", 9 },	[DL_SHARE] = { "share", 7 },
};

static int build_drill(struct tui_table *t, const struct tui_data *d, __u32 reason, int by)
{
	struct aggs s = {};
	__u64 all = 0;
	int err;

	t->cols = by == DR_BY_CPU ? dcpu_cols : loc_cols;
	t->ncols = DL_N;
	tui_table__reset(t);
	err = group_drops(&s, d, by, reason);
	for (size_t i = 0; i < s.n; i++)
		all += s.a[i].total;
	for (size_t i = 0; !err && i < s.n; i++) {
		struct tui_row *r = tui_table__add(t);

		if (!r) {
			err = -ENOMEM;
			break;
		}
		r->id = s.a[i].key;
		if (by == DR_BY_CPU) {
			snprintf(r->cell[0], TUI_CELL, "%llu", (unsigned long long)s.a[i].key);
			r->key[0] = s.a[i].key;
		} else {
			char loc[128];

			view_location(d->ctx, s.a[i].key, loc, sizeof(loc));
			snprintf(r->cell[0], TUI_CELL, "%s", esc(loc));
		}
		/* the columns line up with the reason table's count/rate/share */
		fill_drop_row(r, d, &s.a[i], all);
	}
	free(s.a);
	return err;
}

int tui_build_drop_locations(struct tui_table *t, const struct tui_data *d, __u32 reason)
{
	return build_drill(t, d, reason, DR_BY_LOCATION);
}

int tui_build_drop_cpus(struct tui_table *t, const struct tui_data *d, __u32 reason)
{
	return build_drill(t, d, reason, DR_BY_CPU);
}

/* ---- tun/tap queues ---- */

static struct panel_cols queue_panel;

static const char *dir_name(__u8 dir)
{
	return dir == QUEUE_RX ? "rx" : dir == QUEUE_TX ? "tx" : "";
}

static bool same_queue(const struct queue_key *a, const struct queue_key *b)
{
	return a->ifindex == b->ifindex && a->queue == b->queue && a->dir == b->dir;
}

/* k's row in s; row hint first (two reads list the queues in the same order) */
static const struct queue_row *find_queue(const struct snapshot *s, const struct queue_key *k,
					  size_t hint)
{
	if (hint < s->nqueues && same_queue(&s->queues[hint].key, k))
		return &s->queues[hint];
	for (size_t i = 0; i < s->nqueues; i++)
		if (same_queue(&s->queues[i].key, k))
			return &s->queues[i];
	return NULL;
}

/* Drop rows by device name, queue and direction (-L rows of tun/tap queues). */
static int cmp_queue_drop(const struct drop_key *x, const char *ifname, __u16 queue, __u8 dir)
{
	int c = strncmp(x->ifname, ifname, SKBTOP_IFNAMSIZ);

	if (c)
		return c;
	if (x->queue != queue)
		return x->queue < queue ? -1 : 1;
	return (x->dir > dir) - (x->dir < dir);
}

static int cmp_queue_drop_rows(const void *a, const void *b)
{
	const struct drop_row *x = *(const struct drop_row * const *)a;
	const struct drop_row *y = *(const struct drop_row * const *)b;

	return cmp_queue_drop(&x->key, y->key.ifname, y->key.queue, y->key.dir);
}

/*
 * The total's drop rows of a queue, sorted for top_reason(): one pass
 * over the rows per screen, not one per queue. *n = 0 without -L (drop
 * rows carry no queue). NULL when out of memory.
 */
static const struct drop_row **queue_drop_index(const struct snapshot *s, size_t *n)
{
	const struct drop_row **idx = malloc((s->ndrops ? s->ndrops : 1) * sizeof(*idx));

	*n = 0;
	if (!idx)
		return NULL;
	for (size_t i = 0; i < s->ndrops; i++)
		if (s->drops[i].key.dir)
			idx[(*n)++] = &s->drops[i];
	qsort(idx, *n, sizeof(*idx), cmp_queue_drop_rows);
	return idx;
}

/* The reason with most drops (since start/`z`) on this device and queue. */
static void top_reason(char *out, size_t len, const struct tui_data *d, const struct queue_key *k,
		       const struct drop_row **idx, size_t n)
{
	struct aggs s = {};
	size_t lo = 0, hi = n;
	char name[96];

	while (lo < hi) {	/* the first row not below k */
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_queue_drop(&idx[mid]->key, k->ifname, k->queue, k->dir) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !cmp_queue_drop(&idx[lo]->key, k->ifname, k->queue, k->dir); lo++) {
		struct agg *a = agg_get(&s, idx[lo]->key.reason);

		if (a)
			a->total += idx[lo]->count;
	}
	if (s.n) {
		qsort(s.a, s.n, sizeof(*s.a), cmp_agg_desc);
		snprintf(out, len, "  %s (%llu)",
			 esc(d->ctx->reason_name(d->ctx, (__u32)s.a[0].key, name, sizeof(name))),
			 (unsigned long long)s.a[0].total);
	}
	free(s.a);
}

int tui_build_queues(struct tui_table *t, const struct tui_data *d)
{
	static const struct tui_col labels[] = { { "DEVICE", 16, true }, { "queue", 6 } };
	static const struct tui_col top = { "  TOP DROP REASON", 40, true };
	static const struct queue_counters zero;
	const struct drop_row **idx;
	size_t nidx;

	panel_cols_init(&queue_panel, labels, 2, queue_fields, queue_nfields, &top);
	t->cols = queue_panel.cols;
	t->ncols = queue_panel.n;
	tui_table__reset(t);
	fit_columns(t, &queue_panel, d);
	idx = queue_drop_index(d->total, &nidx);
	if (!idx)
		return -ENOMEM;
	/* every queue seen since start/`z`; this interval's counts where it has any */
	for (size_t i = 0; i < d->total->nqueues; i++) {
		const struct queue_row *tq = &d->total->queues[i], *dq = find_queue(d->delta, &tq->key, i);
		const struct queue_counters *dc = dq ? &dq->c : &zero, *tc = &tq->c;
		char dev[SKBTOP_IFNAMSIZ + 1];
		struct tui_row *r;

		if (!tui_filter__dev(d->filter, tq->key.ifname))
			continue;
		r = tui_table__add(t);
		if (!r) {
			free(idx);
			return -ENOMEM;
		}
		snprintf(dev, sizeof(dev), "%.*s", SKBTOP_IFNAMSIZ, tq->key.ifname);
		snprintf(r->cell[0], TUI_CELL, "%s", esc(dev));
		snprintf(r->cell[1], TUI_CELL, "%s%u", dir_name(tq->key.dir), tq->key.queue);
		r->key[1] = tq->key.queue;
		r->id = i;
		fill_fields(r, &queue_panel, d, dc, tc);
		top_reason(r->cell[queue_panel.n - 1], TUI_CELL, d, &tq->key, idx, nidx);
		r->alert = dc->drops || dc->bulk_short_calls;
	}
	free(idx);
	return 0;
}

/* ---- history ---- */

void tui_history__init_cpu(struct tui_history *h, const struct view_ctx *ctx, int cpu)
{
	static const char *const names[TH_N] = {
		[TH_DROPS] = "drops", [TH_KICKS] = "defer_kicks_sent",
		[TH_IPIS] = "defer_ipis_sent", [TH_BULK] = "bulk_calls",
		[TH_HIT] = "cache_hit_rate",
	};

	memset(h, 0, sizeof(*h));
	h->cpu = cpu;
	h->nseries = TH_N;
	for (int k = 0; k < TH_N; k++) {
		h->f[k] = field_find(cpu_fields, cpu_nfields, names[k]);
		h->measured[k] = field_measured(h->f[k], ctx->probes, ctx->nprobes);
	}
}

void tui_history__init(struct tui_history *h, const struct view_ctx *ctx)
{
	tui_history__init_cpu(h, ctx, -1);
}

void tui_history__init_queue(struct tui_history *h, const struct view_ctx *ctx,
			     const struct queue_key *key)
{
	memset(h, 0, sizeof(*h));
	h->cpu = -1;
	h->queue = true;
	h->qkey = *key;
	for (int prio = 0; prio < 100 && h->nseries < TH_MAX; prio++)
		for (size_t i = 0; i < queue_nfields && h->nseries < TH_MAX; i++) {
			const struct field *f = &queue_fields[i];

			if (f->prio == prio && f->kind == FIELD_COUNT &&
			    field_measured(f, ctx->probes, ctx->nprobes)) {
				h->f[h->nseries] = f;
				h->measured[h->nseries++] = true;
			}
		}
}

void tui_history__push(struct tui_history *h, const struct snapshot *delta)
{
	static const struct queue_counters no_events;
	struct cpu_counters sum;
	const void *c = &sum;
	double secs = delta->mono_ns ? delta->mono_ns / 1e9 : 1.0;

	if (h->queue) {
		const struct queue_row *q = find_queue(delta, &h->qkey, 0);

		c = q ? (const void *)&q->c : (const void *)&no_events;
	} else if (h->cpu >= 0 && (__u32)h->cpu < delta->ncpus) {
		c = &delta->cpus[h->cpu];
	} else {
		snapshot__sum_cpus(delta, &sum);
	}
	for (int k = 0; k < h->nseries; k++) {
		double v = NAN;

		if (h->measured[k] && field_value(h->f[k], c, &v))
			v = h->f[k]->kind == FIELD_RATIO ? 100.0 * v : v / secs;
		h->v[k][h->head] = v;
	}
	h->head = (h->head + 1) % TUI_HIST;
	if (h->n < TUI_HIST)
		h->n++;
}

double tui_history__get(const struct tui_history *h, int k, int i)
{
	if (k < 0 || k >= h->nseries || i < 0 || i >= h->n)
		return NAN;
	return h->v[k][(h->head - 1 - i + 2 * TUI_HIST) % TUI_HIST];
}

/* The largest value of series k over its last n intervals (0: none). */
static double window_max(const struct tui_history *h, int k, int n)
{
	double max = 0;

	for (int i = 0; i < n; i++) {
		double v = tui_history__get(h, k, i);

		if (!isnan(v) && v > max)
			max = v;
	}
	return max;
}

void tui_history__spark(const struct tui_history *h, int k, int width, char *out)
{
	static const char levels[] = " .:-=+*#";
	int n = width < h->n ? width : h->n;
	double max = window_max(h, k, n);

	memset(out, ' ', width);
	out[width] = '\0';
	for (int i = 0; i < n; i++) {
		double v = tui_history__get(h, k, i);
		int l = 0;

		if (!isnan(v) && v > 0 && max > 0)
			l = 1 + (int)(6.999 * v / max);
		out[width - 1 - i] = levels[l];
	}
}

double tui_history__graph(const struct tui_history *h, int k, int width, int height, char **rows)
{
	int n = width < h->n ? width : h->n;
	double max = window_max(h, k, n);

	for (int r = 0; r < height; r++) {
		memset(rows[r], ' ', width);
		rows[r][width] = '\0';
	}
	for (int i = 0; i < n && max > 0; i++) {
		double v = tui_history__get(h, k, i);
		/* rows filled from the bottom: a bar of any value > 0 fills at least one */
		int fill = isnan(v) || v <= 0 ? 0 : (int)ceil(height * v / max);

		for (int r = height - fill; r < height; r++)
			rows[r][width - 1 - i] = '#';
	}
	return max;
}
