// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "view.h"
#include "esc.h"

const char *probe_mode_name(enum probe_mode m)
{
	switch (m) {
	case MODE_FENTRY: return "fentry";
	case MODE_KPROBE: return "kprobe";
	case MODE_TP_BTF: return "tp_btf";
	case MODE_RAW_TP: return "raw_tp";
	case MODE_DERIVED: return "derived";
	case MODE_SYSCALL: return "syscall";
	case MODE_DISABLED: return "disabled";
	default: return "unavailable";
	}
}

const char *view_location(const struct view_ctx *ctx, __u64 addr, char *buf, size_t len)
{
	if (!addr) {
		snprintf(buf, len, "-");
		return buf;
	}
	return ctx->location_name(ctx, addr, buf, len);
}

bool cache_hit_rate(const struct probe_status *probes, size_t nprobes,
		    const struct cpu_counters *c, double *rate)
{
	const struct field *f = field_find(cpu_fields, cpu_nfields, "cache_hit_rate");

	return field_measured(f, probes, nprobes) && field_value(f, c, rate);
}

static const char *dir_name(__u8 dir)
{
	return dir == QUEUE_RX ? "rx" : dir == QUEUE_TX ? "tx" : "";
}

/* ---- tun_sendmsg() latency histograms ---- */

const char *sendmsg_batch_name(__u32 batch)
{
	static const char *const names[SKBTOP_SENDMSG_CLASSES] = {
		"plain", "0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128+",
	};

	return batch < SKBTOP_SENDMSG_CLASSES ? names[batch] : NULL;
}

__u64 hist_count(const __u64 *h, int n)
{
	__u64 sum = 0;

	for (int b = 0; b < n; b++)
		sum += h[b];
	return sum;
}

int hist_quantile_bucket(const __u64 *h, int n, double p)
{
	__u64 total = hist_count(h, n), rank, cum = 0;

	if (!total)
		return -1;
	rank = (__u64)(p * (double)total);
	if ((double)rank < p * (double)total)
		rank++;		/* ceil */
	if (rank < 1)
		rank = 1;
	for (int b = 0; b < n; b++) {
		cum += h[b];
		if (cum >= rank)
			return b;
	}
	return n - 1;
}

int hist_max_bucket(const __u64 *h, int n)
{
	for (int b = n - 1; b >= 0; b--)
		if (h[b])
			return b;
	return -1;
}

__u64 hist_bucket_ns(int b, int n)
{
	if (b <= 0)
		return 0;
	if (b == n - 1)
		return 1ULL << (n - 2);
	return (1ULL << b) - 1;
}

static void fmt_ns(char *buf, size_t len, const char *pre, __u64 ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%s%lluns", pre, (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%s%.1fus", pre, ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%s%.1fms", pre, ns / 1e6);
	else
		snprintf(buf, len, "%s%.2fs", pre, ns / 1e9);
}

void hist_bucket_text(char *buf, size_t len, int b, int n)
{
	if (b < 0)
		snprintf(buf, len, "-");
	else if (b == 0)
		snprintf(buf, len, "0");
	else if (b == n - 1)
		fmt_ns(buf, len, ">=", 1ULL << (n - 2));
	else
		fmt_ns(buf, len, "<", 1ULL << b);
}

size_t sendmsg_rows_of(const struct snapshot *s, const struct queue_key *q, size_t *first)
{
	size_t i = 0, k = 0;

	while (i < s->nsendmsg && memcmp(&s->sendmsg[i].key.q, q, sizeof(*q)))
		i++;
	*first = i;
	while (i + k < s->nsendmsg && !memcmp(&s->sendmsg[i + k].key.q, q, sizeof(*q)))
		k++;
	return k;
}

static bool sendmsg_measured(const struct view_ctx *ctx)
{
	return field_measured(field_find(hist_fields, hist_nfields, "sendmsg_ns"), ctx->probes,
			      ctx->nprobes);
}

/* One line of the TUN_SENDMSG table: calls, p50, p99, max; h NULL: unmeasured. */
static void sendmsg_text_row(FILE *f, const char *ifname, const char *qs, const char *batch,
			     const __u64 *h, const char *na)
{
	char p50[16], p99[16], max[16], calls[16];
	int n = SKBTOP_LAT_SLOTS;

	if (!h) {
		fprintf(f, "%-12.12s %5s %-6s %8s %8s %8s %8s\n", ifname, qs, batch, na, na, na, na);
		return;
	}
	snprintf(calls, sizeof(calls), "%llu", (unsigned long long)hist_count(h, n));
	hist_bucket_text(p50, sizeof(p50), hist_quantile_bucket(h, n, 0.5), n);
	hist_bucket_text(p99, sizeof(p99), hist_quantile_bucket(h, n, 0.99), n);
	hist_bucket_text(max, sizeof(max), hist_max_bucket(h, n), n);
	fprintf(f, "%-12.12s %5s %-6s %8s %8s %8s %8s\n", ifname, qs, batch, calls, p50, p99, max);
}

/*
 * The TUN_SENDMSG table: per tun queue and batch class, the calls and the
 * buckets their median, 99th percentile and maximum fall in; "all" sums a
 * queue's classes when it has several. Unmeasured (no probe, or a capture
 * before format 1.6): each queue that saw tun_sendmsg() calls, with na.
 * At most ctx->top queues, in key order.
 */
static void sendmsg_text(FILE *f, const struct snapshot *d, const struct view_ctx *ctx)
{
	const char *na = ctx->na ? ctx->na : "-";
	bool measured = sendmsg_measured(ctx), head = false;
	size_t i = 0, shown = 0, more = 0;

	while (i < (measured ? d->nsendmsg : d->nqueues)) {
		const struct queue_key *q = measured ? &d->sendmsg[i].key.q : &d->queues[i].key;
		char qs[12], ifname[SKBTOP_IFNAMSIZ];
		size_t first, k = measured ? sendmsg_rows_of(d, q, &first) : 1;

		if (!measured && !d->queues[i].c.sendmsg_calls) {
			i++;
			continue;
		}
		if (ctx->top <= 0 || shown == (size_t)ctx->top) {
			more++;
			i = measured ? first + k : i + 1;
			continue;
		}
		shown++;
		if (!head)
			fprintf(f, "%-12s %5s %-6s %8s %8s %8s %8s\n", "TUN_SENDMSG", "QUEUE",
				"BATCH", "CALLS", "p50", "p99", "max");
		head = true;
		snprintf(qs, sizeof(qs), "%s%u", dir_name(q->dir), q->queue);
		snprintf(ifname, sizeof(ifname), "%.*s", SKBTOP_IFNAMSIZ - 1, q->ifname);
		if (!measured) {
			sendmsg_text_row(f, esc(ifname), qs, "all", NULL, na);
			i++;
			continue;
		}
		for (size_t j = first; j < first + k; j++)
			sendmsg_text_row(f, esc(ifname), qs,
					 sendmsg_batch_name(d->sendmsg[j].key.batch) ?: "?",
					 d->sendmsg[j].h.ns, na);
		if (k > 1) {
			__u64 all[SKBTOP_LAT_SLOTS] = {};

			for (size_t j = first; j < first + k; j++)
				for (int b = 0; b < SKBTOP_LAT_SLOTS; b++)
					all[b] += d->sendmsg[j].h.ns[b];
			sendmsg_text_row(f, esc(ifname), qs, "all", all, na);
		}
		i = first + k;
	}
	if (more)
		fprintf(f, "  (%zu more tun_sendmsg() queues; -j for all)\n", more);
	if (head && measured)
		fprintf(f, "  (p50, p99, max: log2-ns buckets, within a factor of 2)\n");
}

/* ---- text ---- */

void view_wrap(FILE *f, const char *first, const char *text, size_t width)
{
	size_t col = 0, indent = strlen(first);
	const char *p = text;

	fputs(first, f);
	col = indent;
	while (*p) {
		size_t wlen = strcspn(p, " ");

		if (col > indent && col + 1 + wlen > width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		/* a word longer than the line: break it hard */
		while (col + wlen > width) {
			size_t room = width - col;

			fwrite(p, 1, room, f);
			fprintf(f, "\n%*s", (int)indent, "");
			p += room;
			wlen -= room;
			col = indent;
		}
		fwrite(p, 1, wlen, f);
		col += wlen;
		p += wlen;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}


#define MAX_COLS 32

/* The --text columns of a field table, in order. */
struct columns {
	const struct field *f[MAX_COLS];
	size_t n;
};

static void columns_init(struct columns *c, const struct field *fields, size_t n)
{
	c->n = field_columns(fields, n, false, c->f, MAX_COLS);
}

/* At most 5 characters for any u64: exact below 100000, then k, M, G, T, P, E. */
static void fmt_count(char *buf, size_t len, __u64 v)
{
	static const char units[] = "kMGTPE";
	int u = -1;

	if (v < 100000) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	while (v >= 10000) {	/* 4 digits and a unit */
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
}

/* One row of counts under cols, '-' where nothing measured them; w: column width. */
static void text_counts(FILE *f, const struct columns *cols, const void *c, int w,
			const struct view_ctx *ctx)
{
	for (size_t i = 0; i < cols->n; i++) {
		char buf[16] = "-";

		if (field_measured(cols->f[i], ctx->probes, ctx->nprobes))
			fmt_count(buf, sizeof(buf), field_count(cols->f[i], c));
		fprintf(f, " %*s", w - 1, buf);
	}
	fputc('\n', f);
}

static void text_heads(FILE *f, const struct columns *cols, int w)
{
	for (size_t i = 0; i < cols->n; i++)
		fprintf(f, " %*s", w - 1, cols->f[i]->title);
	fputc('\n', f);
}

/*
 * Indices of the (at most) want items with the largest non-zero weight,
 * largest first, into out[]; returns how many. O(n x want): the text table
 * prints a few rows of maybe a million and copies none.
 */
static size_t top_items(size_t n, size_t want, __u64 (*weight)(const void *items, size_t i),
			const void *items, size_t *out, __u64 *w)
{
	size_t k = 0;

	for (size_t i = 0; i < n && want; i++) {
		__u64 v = weight(items, i);
		size_t j;

		if (!v || (k == want && v <= w[k - 1]))
			continue;
		j = k < want ? k++ : k - 1;
		for (; j > 0 && v > w[j - 1]; j--) {
			out[j] = out[j - 1];
			w[j] = w[j - 1];
		}
		out[j] = i;
		w[j] = v;
	}
	return k;
}

static __u64 drop_weight(const void *items, size_t i)
{
	return ((const struct drop_row *)items)[i].count;
}

static __u64 u64_weight(const void *items, size_t i)
{
	return ((const __u64 *)items)[i];
}

static __u64 queue_weight(const void *items, size_t i)
{
	const struct queue_counters *c = &((const struct queue_row *)items)[i].c;
	__u64 sum = 0;

	for (size_t w = 0; w < sizeof(*c) / 8; w++)
		sum += ((const __u64 *)c)[w];
	return sum;
}

static __u64 kick_weight(const void *items, size_t i)
{
	const struct kick_cell *k = &((const struct kick_cell *)items)[i];

	return k->queued + k->kicks + k->ipis;
}

static const char *const sirq_vecs[2] = { "rx", "tx" };
static const char *const sirq_locs[SIRQ_NR_LOCS] = { "task", "irq", "ksoftirqd", "idle",
						     "unknown" };

/* softirq_where's field for vector v (0 NET_RX, 1 NET_TX) and location l; ns: its time. */
static const struct field *sirq_field(int v, int l, bool ns)
{
	char name[48];

	snprintf(name, sizeof(name), "sirq_%s_%s%s", sirq_vecs[v], sirq_locs[l], ns ? "_ns" : "");
	return field_find(cpu_fields, cpu_nfields, name);
}

/*
 * Where NET_RX/NET_TX ran (runs per location, '-' unmeasured), per CPU with
 * -C, then the tasks that ran most in their do_softirq(); nothing when
 * softirq_where is not measuring.
 */
static void text_softirq(FILE *f, const struct snapshot *d, const struct cpu_counters *total,
			 const struct view_ctx *ctx)
{
	const struct sirq_task_row *top[SKBTOP_SIRQ_TOP_TASKS];
	size_t n;

	if (!field_measured(sirq_field(0, SIRQ_TASK, false), ctx->probes, ctx->nprobes))
		return;
	fprintf(f, "%-11s %4s %7s %7s %7s %7s %7s\n", "SOFTIRQ RUN", "CPU", "task", "irq",
		"ksirqd", "idle", "unknown");
	for (int v = 0; v < 2; v++) {
		for (__u32 c = 0; c <= d->ncpus; c++) {
			const struct cpu_counters *cc = c < d->ncpus ? &d->cpus[c] : total;
			char cpu[12] = "all";

			if (c < d->ncpus)
				snprintf(cpu, sizeof(cpu), "%u", c);
			if (c < d->ncpus && !ctx->per_cpu)
				continue;
			fprintf(f, "%-11s %4s", v ? "NET_TX" : "NET_RX", cpu);
			for (int l = 0; l < SIRQ_NR_LOCS; l++) {
				const struct field *fl = sirq_field(v, l, false);
				char buf[16] = "-";

				if (field_measured(fl, ctx->probes, ctx->nprobes))
					fmt_count(buf, sizeof(buf), field_count(fl, cc));
				fprintf(f, " %7s", buf);
			}
			fputc('\n', f);
		}
	}
	n = snapshot__top_tasks(d, top, SKBTOP_SIRQ_TOP_TASKS);
	if (!n)
		return;
	fprintf(f, "%-16s %7s %4s %8s %8s\n", "SOFTIRQ IN TASK", "PID", "CPU", "NET_RX", "NET_TX");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-16.16s %7u %4u %8llu %8llu\n", esc(top[i]->key.comm), top[i]->key.pid,
			top[i]->cpu, (unsigned long long)top[i]->c.runs[SIRQ_NET_RX],
			(unsigned long long)top[i]->c.runs[SIRQ_NET_TX]);
	if (total->sirq_task_untracked)
		fprintf(f, "  (%llu runs in tasks the task table had no room for)\n",
			(unsigned long long)total->sirq_task_untracked);
}

void view_text(FILE *f, const struct snapshot *d, const struct view_ctx *ctx)
{
	struct cpu_counters total;
	double rate;
	char tbuf[32], name[96], loc[128];
	time_t t = d->real_ns / 1000000000ULL;
	struct tm tm;
	size_t want, n, *idx = NULL;
	__u64 *w = NULL;
	struct columns cols;

	columns_init(&cols, cpu_fields, cpu_nfields);
	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	snapshot__sum_cpus(d, &total);
	fprintf(f, "%s  interval %.3f s  counts; '-' unmeasured; skbtop fields\n", tbuf,
		d->mono_ns / 1e9);
	fprintf(f, "%-5s", "CPU");
	text_heads(f, &cols, 6);
	if (ctx->per_cpu) {
		for (__u32 c = 0; c < d->ncpus; c++) {
			fprintf(f, "%-5u", c);
			text_counts(f, &cols, &d->cpus[c], 6, ctx);
		}
	}
	fprintf(f, "%-5s", "all");
	text_counts(f, &cols, &total, 6, ctx);
	if (cache_hit_rate(ctx->probes, ctx->nprobes, &total, &rate))
		fprintf(f, "NAPI cache hit rate %.1f%% (%llu gets, %llu hits, %llu puts)\n",
			100.0 * rate, (unsigned long long)total.cache_gets,
			(unsigned long long)total.cache_hits, (unsigned long long)total.cache_puts);
	for (size_t i = 0; i < d->nprogs; i++)
		if (d->progs[i].misses)
			fprintf(f, "WARNING: %s skipped %llu events (BPF recursion): counts are low\n",
				esc(d->progs[i].name), (unsigned long long)d->progs[i].misses);
	if (total.map_full)
		fprintf(f, "WARNING: %llu map updates refused (map full): counts are low\n",
			(unsigned long long)total.map_full);

	want = ctx->top > 0 ? (size_t)ctx->top : 0;
	idx = calloc(want ? want : 1, sizeof(*idx));
	w = calloc(want ? want : 1, sizeof(*w));
	if (!idx || !w)
		goto out;
	n = top_items(d->ndrops, want, drop_weight, d->drops, idx, w);
	if (n) {
		bool detail = false;	/* -L rows: device, queue and location columns */

		for (size_t i = 0; i < n; i++)
			detail |= d->drops[idx[i]].key.location || d->drops[idx[i]].key.ifindex;
		fprintf(f, "%-22s %8s", "DROP REASON", "COUNT");
		if (detail)
			fprintf(f, " %-12s %5s %s", "DEVICE", "QUEUE", "LOCATION");
		fputc('\n', f);
		for (size_t i = 0; i < n; i++) {
			const struct drop_row *r = &d->drops[idx[i]];
			char q[12] = "";

			if (r->key.dir)
				snprintf(q, sizeof(q), "%s%u", dir_name(r->key.dir), r->key.queue);
			fprintf(f, "%-22.22s %8llu",
				esc(ctx->reason_name(ctx, r->key.reason, name, sizeof(name))),
				(unsigned long long)r->count);
			if (detail) {
				const char *l = esc(view_location(ctx, r->key.location, loc,
								  sizeof(loc)));

				/* within 72 columns: a long location on a line of its own */
				fprintf(f, " %-12.12s %5s%s%s", r->key.ifindex ? esc(r->key.ifname) : "-",
					q, 51 + strlen(l) > 72 ? "\n    " : " ", l);
			}
			fputc('\n', f);
		}
		if (d->ndrops > n)
			fprintf(f, "  (%zu more drop rows; -j for all)\n", d->ndrops - n);
	}
	/* -C: the (reason, CPU) cells with most drops */
	n = ctx->per_cpu ? top_items(d->ncpu_drop_reasons * d->ncpus, want, u64_weight,
				     d->cpu_drop_counts, idx, w) : 0;
	if (n) {
		size_t cells = snapshot__cpu_drop_cells(d);

		fprintf(f, "%-22s %8s %4s\n", "DROPS PER CPU", "COUNT", "CPU");
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%-22.22s %8llu %4zu\n",
				esc(ctx->reason_name(ctx, d->cpu_drop_reasons[idx[i] / d->ncpus],
						     name, sizeof(name))),
				(unsigned long long)w[i], idx[i] % d->ncpus);
		if (cells > n)
			fprintf(f, "  (%zu more reason/CPU rows; -j for all)\n", cells - n);
	}
	n = top_items(d->nqueues, want, queue_weight, d->queues, idx, w);
	if (n) {
		columns_init(&cols, queue_fields, queue_nfields);
		fprintf(f, "%-12s %5s", "TUN DEVICE", "QUEUE");
		text_heads(f, &cols, 7);
		for (size_t i = 0; i < n; i++) {
			const struct queue_row *q = &d->queues[idx[i]];
			char qs[12];

			snprintf(qs, sizeof(qs), "%s%u", dir_name(q->key.dir), q->key.queue);
			fprintf(f, "%-12.12s %5s", esc(q->key.ifname), qs);
			text_counts(f, &cols, &q->c, 7, ctx);
		}
		if (d->nqueues > n)
			fprintf(f, "  (%zu more queue rows; -j for all)\n", d->nqueues - n);
	}
	sendmsg_text(f, d, ctx);
	n = top_items((size_t)d->ncpus * d->ncpus, want, kick_weight, d->kicks, idx, w);
	if (n) {
		size_t cells = 0;

		columns_init(&cols, kick_fields, kick_nfields);
		fprintf(f, "%-14s", "DEFER CPU->CPU");
		text_heads(f, &cols, 9);
		for (size_t i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%zu->%zu", idx[i] / d->ncpus,
				 idx[i] % d->ncpus);
			fprintf(f, "%-14s", name);
			text_counts(f, &cols, &d->kicks[idx[i]], 9, ctx);
		}
		for (size_t i = 0; i < (size_t)d->ncpus * d->ncpus; i++)
			cells += kick_weight(d->kicks, i) != 0;
		if (cells > n)
			fprintf(f, "  (%zu more CPU pairs; -j for all)\n", cells - n);
	}
	text_softirq(f, d, &total, ctx);
out:
	free(idx);
	free(w);
	fputc('\n', f);
}

/* ---- JSON ---- */

/* Every field of a table: its count, its ratio, or null where nothing measured it. */
static void fields_write(struct jsonw *w, const struct field *fields, size_t n, const void *c,
			 const bool *measured)
{
	for (size_t i = 0; i < n; i++) {
		double v;

		jw_key(w, fields[i].name);
		if (!measured[i] || !field_value(&fields[i], c, &v))
			jw_null(w);
		else if (fields[i].kind == FIELD_RATIO)
			jw_real(w, v);
		else
			jw_u64(w, field_count(&fields[i], c));
	}
}

static void measured_init(bool *m, const struct field *fields, size_t n,
			  const struct view_ctx *ctx)
{
	for (size_t i = 0; i < n; i++)
		m[i] = field_measured(&fields[i], ctx->probes, ctx->nprobes);
}

/* A histogram, null unless the field named with it is measured. */
static void hist_write(struct jsonw *w, const char *key, const __u64 *h, bool measured)
{
	jw_key(w, key);
	if (!measured) {
		jw_null(w);
		return;
	}
	jw_array(w);
	for (int i = 0; i < SKBTOP_HIST_SLOTS; i++)
		jw_u64(w, h[i]);
	jw_end(w);
}

/* A histogram's count, buckets and quantile bounds (null without calls). */
static void lat_members(struct jsonw *w, const __u64 *h)
{
	int n = SKBTOP_LAT_SLOTS, p50 = hist_quantile_bucket(h, n, 0.5),
	    p99 = hist_quantile_bucket(h, n, 0.99);

	jw_kv_u64(w, "count", hist_count(h, n));
	jw_key(w, "buckets");
	jw_array(w);
	for (int b = 0; b < n; b++)
		jw_u64(w, h[b]);
	jw_end(w);
	jw_key(w, "p50_ns");
	if (p50 < 0)
		jw_null(w);
	else
		jw_u64(w, hist_bucket_ns(p50, n));
	jw_key(w, "p99_ns");
	if (p99 < 0)
		jw_null(w);
	else
		jw_u64(w, hist_bucket_ns(p99, n));
}

/* queues[].sendmsg_ns: all classes added, then each batch class with calls. */
static void sendmsg_json(struct jsonw *w, const struct snapshot *d, const struct queue_key *q)
{
	__u64 all[SKBTOP_LAT_SLOTS] = {};
	size_t first, k = sendmsg_rows_of(d, q, &first);

	for (size_t j = first; j < first + k; j++)
		for (int b = 0; b < SKBTOP_LAT_SLOTS; b++)
			all[b] += d->sendmsg[j].h.ns[b];
	jw_object(w);
	lat_members(w, all);
	jw_key(w, "batches");
	jw_array(w);
	for (size_t j = first; j < first + k; j++) {
		const char *name = sendmsg_batch_name(d->sendmsg[j].key.batch);

		jw_object(w);
		jw_kv_string(w, "batch", name ? name : "?");
		jw_kv_u64(w, "batch_class", d->sendmsg[j].key.batch);
		lat_members(w, d->sendmsg[j].h.ns);
		jw_end(w);
	}
	jw_end(w);
	jw_end(w);
}

static void sirq_kv(struct jsonw *w, const char *key, __u64 v, bool skip_zero)
{
	if (v || !skip_zero)
		jw_kv_u64(w, key, v);
}

void sirq_task_json(struct jsonw *w, const struct sirq_task_row *t, bool skip_zero)
{
	jw_object(w);
	jw_kv_string(w, "comm", t->key.comm);
	jw_kv_u64(w, "pid", t->key.pid);
	jw_kv_u64(w, "tgid", t->key.tgid);
	jw_kv_u64(w, "cpu", t->cpu);
	sirq_kv(w, "net_rx", t->c.runs[SIRQ_NET_RX], skip_zero);
	sirq_kv(w, "net_tx", t->c.runs[SIRQ_NET_TX], skip_zero);
	sirq_kv(w, "net_rx_ns", t->c.ns[SIRQ_NET_RX], skip_zero);
	sirq_kv(w, "net_tx_ns", t->c.ns[SIRQ_NET_TX], skip_zero);
	jw_end(w);
}

/*
 * The SKBTOP_SIRQ_TOP_TASKS (task, CPU) rows with most NET_RX/NET_TX runs in
 * their do_softirq(), and how many more rows had runs; null when
 * softirq_where is not measuring.
 */
static void sirq_tasks_write(struct jsonw *w, const struct snapshot *d, const struct view_ctx *ctx)
{
	const struct sirq_task_row *top[SKBTOP_SIRQ_TOP_TASKS];
	size_t n, rows = 0;

	jw_key(w, "sirq_tasks");
	if (!field_measured(sirq_field(0, SIRQ_TASK, false), ctx->probes, ctx->nprobes)) {
		jw_null(w);
		jw_key(w, "sirq_tasks_more");
		jw_null(w);
		return;
	}
	n = snapshot__top_tasks(d, top, SKBTOP_SIRQ_TOP_TASKS);
	jw_array(w);
	for (size_t i = 0; i < n; i++)
		sirq_task_json(w, top[i], false);
	jw_end(w);
	for (size_t i = 0; i < d->ntasks; i++)
		rows += d->tasks[i].c.runs[0] || d->tasks[i].c.runs[1];
	jw_kv_u64(w, "sirq_tasks_more", rows - n);
}

void view_json_write(struct jsonw *w, const struct snapshot *d, const struct view_ctx *ctx)
{
	struct cpu_counters total;
	bool cm[FIELDS_MAX], qm[FIELDS_MAX], km[FIELDS_MAX], bulk, flush;
	char name[96], loc[128];

	measured_init(cm, cpu_fields, cpu_nfields, ctx);
	measured_init(qm, queue_fields, queue_nfields, ctx);
	measured_init(km, kick_fields, kick_nfields, ctx);
	bulk = field_measured(field_find(cpu_fields, cpu_nfields, "bulk_asked"), ctx->probes,
			      ctx->nprobes);
	flush = field_measured(field_find(cpu_fields, cpu_nfields, "defer_flushes"), ctx->probes,
			       ctx->nprobes);
	snapshot__sum_cpus(d, &total);
	jw_object(w);
	jw_kv_u64(w, "time_ns", d->real_ns);
	jw_kv_u64(w, "interval_ns", d->mono_ns);
	jw_kv_u64(w, "ncpus", d->ncpus);
	jw_key(w, "totals");
	jw_object(w);
	fields_write(w, cpu_fields, cpu_nfields, &total, cm);
	hist_write(w, "bulk_hist", total.bulk_hist, bulk);
	hist_write(w, "defer_flush_hist", total.defer_flush_hist, flush);
	jw_end(w);
	jw_key(w, "cpus");
	jw_array(w);
	for (__u32 c = 0; c < d->ncpus; c++) {
		jw_object(w);
		fields_write(w, cpu_fields, cpu_nfields, &d->cpus[c], cm);
		jw_kv_u64(w, "cpu", c);
		hist_write(w, "bulk_hist", d->cpus[c].bulk_hist, bulk);
		hist_write(w, "defer_flush_hist", d->cpus[c].defer_flush_hist, flush);
		jw_end(w);
	}
	jw_end(w);
	jw_key(w, "drops");
	jw_array(w);
	for (size_t i = 0; i < d->ndrops; i++) {
		const struct drop_row *r = &d->drops[i];

		jw_object(w);
		jw_kv_string(w, "reason", ctx->reason_name(ctx, r->key.reason, name, sizeof(name)));
		jw_kv_u64(w, "reason_id", r->key.reason);
		jw_kv_u64(w, "count", r->count);
		if (r->key.ifindex) {
			jw_kv_string(w, "ifname", r->key.ifname);
			jw_kv_u64(w, "ifindex", r->key.ifindex);
		}
		if (r->key.dir) {
			jw_kv_u64(w, "queue", r->key.queue);
			jw_kv_string(w, "dir", dir_name(r->key.dir));
		}
		if (r->key.location) {	/* -L */
			jw_kv_string(w, "location",
				     ctx->location_name(ctx, r->key.location, loc, sizeof(loc)));
			/* hex, as the kernel prints addresses; above 2^63 as a number
			 * it would overflow most parsers' signed 64 bits */
			snprintf(loc, sizeof(loc), "0x%llx", (unsigned long long)r->key.location);
			jw_kv_string(w, "location_addr", loc);
		}
		jw_end(w);
	}
	jw_end(w);
	if (ctx->per_cpu) {	/* -C: each reason's drops on every CPU, cpus[N] for CPU N */
		jw_key(w, "drops_by_cpu");
		jw_array(w);
		for (size_t i = 0; i < d->ncpu_drop_reasons; i++) {
			const __u64 *counts = snapshot__cpu_drops(d, i);
			__u64 sum = 0;

			for (__u32 c = 0; c < d->ncpus; c++)
				sum += counts[c];
			jw_object(w);
			jw_kv_string(w, "reason", ctx->reason_name(ctx, d->cpu_drop_reasons[i], name,
								  sizeof(name)));
			jw_kv_u64(w, "reason_id", d->cpu_drop_reasons[i]);
			jw_kv_u64(w, "count", sum);
			jw_key(w, "cpus");
			jw_array(w);
			for (__u32 c = 0; c < d->ncpus; c++)
				jw_u64(w, counts[c]);
			jw_end(w);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_key(w, "queues");
	jw_array(w);
	for (size_t i = 0; i < d->nqueues; i++) {
		const struct queue_row *q = &d->queues[i];

		jw_object(w);
		jw_kv_string(w, "ifname", q->key.ifname);
		jw_kv_u64(w, "ifindex", q->key.ifindex);
		jw_kv_u64(w, "queue", q->key.queue);
		jw_kv_string(w, "dir", dir_name(q->key.dir));
		fields_write(w, queue_fields, queue_nfields, &q->c, qm);
		jw_key(w, "sendmsg_ns");
		if (sendmsg_measured(ctx))
			sendmsg_json(w, d, &q->key);
		else
			jw_null(w);
		jw_end(w);
	}
	jw_end(w);
	jw_key(w, "kicks");
	jw_array(w);
	for (__u32 s = 0; s < d->ncpus; s++)
		for (__u32 tg = 0; tg < d->ncpus; tg++) {
			const struct kick_cell *k = &d->kicks[s * d->ncpus + tg];

			if (!k->kicks && !k->ipis && !k->queued)
				continue;
			jw_object(w);
			jw_kv_u64(w, "from_cpu", s);
			jw_kv_u64(w, "to_cpu", tg);
			fields_write(w, kick_fields, kick_nfields, k, km);
			jw_end(w);
		}
	jw_end(w);
	jw_key(w, "progs");
	jw_array(w);
	for (size_t i = 0; i < d->nprogs; i++) {
		jw_object(w);
		jw_kv_string(w, "name", d->progs[i].name);
		/* run time and count are measured only with --prog-stats (no probe
		 * table: synthetic data, everything measured) */
		jw_key(w, "run_ns");
		if (ctx->prog_stats || !ctx->probes)
			jw_u64(w, d->progs[i].run_ns);
		else
			jw_null(w);
		jw_key(w, "run_cnt");
		if (ctx->prog_stats || !ctx->probes)
			jw_u64(w, d->progs[i].run_cnt);
		else
			jw_null(w);
		jw_kv_u64(w, "misses", d->progs[i].misses);
		jw_end(w);
	}
	jw_end(w);
	sirq_tasks_write(w, d, ctx);
	jw_kv_u64(w, "user_cpu_ns", d->user_cpu_ns);
	jw_end(w);
}

void view_probes_write(struct jsonw *w, const struct probe_status *p, size_t n)
{
	jw_array(w);
	for (size_t i = 0; i < n; i++) {
		jw_object(w);
		jw_kv_string(w, "probe", p[i].name);
		jw_kv_string(w, "group", p[i].group);
		jw_kv_string(w, "target", p[i].target);
		jw_kv_string(w, "mode", probe_mode_name(p[i].mode));
		if (p[i].variant)
			jw_kv_string(w, "variant", p[i].variant);
		if (p[i].reason[0])
			jw_kv_string(w, "reason", p[i].reason);
		if (p[i].note)
			jw_kv_string(w, "note", p[i].note);
		if (p[i].caps) {
			jw_key(w, "caps");
			jw_array(w);
			for (size_t c = 0; c < probe_ncap_names; c++)
				if (p[i].caps & probe_cap_names[c].bit)
					jw_string(w, probe_cap_names[c].name);
			jw_end(w);
		}
		jw_kv_string(w, "metrics", p[i].metrics);
		jw_end(w);
	}
	jw_end(w);
}

void view_probes_text(FILE *f, const struct probe_status *p, size_t n)
{
	fprintf(f, "%-13s %-11s %-24s %s\n", "PROBE", "MODE", "TARGET", "DETAIL");
	for (size_t i = 0; i < n; i++) {
		const char *detail = p[i].mode == MODE_UNAVAILABLE || p[i].mode == MODE_DISABLED
					     ? p[i].reason : p[i].variant ? p[i].variant : "";

		/* a capture's probe table is read from the file: escape it */
		fprintf(f, "%-13s %-11s %-24s %s\n", esc(p[i].name), probe_mode_name(p[i].mode),
			esc(p[i].target), esc(detail));
		if (p[i].mode != MODE_UNAVAILABLE && p[i].reason[0])
			fprintf(f, "%-13s %-11s %-24s   (better mode not used: %s)\n", "", "", "",
				esc(p[i].reason));
		if (p[i].note && p[i].mode != MODE_UNAVAILABLE)
			fprintf(f, "%-13s %-11s %-24s   note: %s\n", "", "", "", esc(p[i].note));
	}
}
