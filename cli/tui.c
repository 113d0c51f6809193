// SPDX-License-Identifier: GPL-2.0
/*
 * The live ncurses screen. The sampler (cli/sampler.c) keeps the ticks and
 * gives each refresh the interval delta and the total since start (or
 * since `z`); between ticks the screen reads keys (getch() with a timeout
 * up to the next tick, at most 100 ms). Panels are structs with a draw and
 * a key handler; global keys live in one table.
 *
 * While curses owns the terminal nothing may write to stdout/stderr: libbpf
 * messages and our own errors are buffered and printed after endwin().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include <curses.h>
#include "commands.h"
#include "tui.h"
#include "session.h"

#define MIN_COLS	60
#define MIN_LINES	15
#define TICK_MS		100
#define HEAD_LINES	5	/* title, rates, probes/overhead, tabs, panel title */
#define FOOT_LINES	2	/* message/prompt, keys */

enum { CP_HEAD = 1, CP_ALERT, CP_TAB, CP_OK, CP_WARN, CP_MATCH };
enum overlay { OV_NONE, OV_HELP, OV_PROBES, OV_GRAPH };
enum { P_CPUS, P_QUEUES, P_DROPS, P_IPI, P_HIST, NPANELS };

struct tui;

struct panel {
	const char *name;
	const char *keys;				/* footer: this panel's own keys */
	void (*draw)(struct tui *t, int y, int h);
	bool (*key)(struct tui *t, int ch);		/* true when handled */
	int default_sort;
	bool table;					/* rows: select, sort, search */
};

struct panel_state {
	int sel, top, sort;
};

struct tui {
	struct env *env;
	struct skbtop *st;
	struct view_ctx ctx;
	struct sampler smp;		/* delta: the last interval; total: since start or `z` */
	struct tui_filter filter;
	struct tui_table table, table2;
	int panel;
	struct panel_state ps[NPANELS];
	bool drill;			/* drops: one reason's locations and CPUs */
	__u32 drill_reason;
	enum overlay overlay;
	int ov_top;
	int ipi_metric;			/* 0 kicks, 1 IPIs, 2 skbs queued */
	bool paused, totals, color, quit;
	bool all_cols;			/* `a`: unmeasured columns shown too */
	struct tui_history hist;	/* headline rates of the last intervals */
	struct tui_history *cpu_hist;	/* the same per CPU, for Enter on a CPU row */
	struct tui_history row_hist;	/* Enter on a queue row: from then on */
	const struct tui_history *graph;	/* the history OV_GRAPH shows */
	char graph_name[96];		/* "CPU 3", "tap0 tx1 (since Enter)" */
	bool zeroed;			/* `z` was pressed: totals count from then */
	char search[64];
	bool search_jump;		/* move the selection to the next match on draw */
	int prompt;			/* 0, 'f' or '/' while reading a line */
	char line[128];
	char msg[200];
	bool msg_err;
	double interval;
	/*
	 * Overhead of the last regular tick: a pause or `z` read closes a short
	 * interval, where rusage's tick granularity would make noise.
	 */
	__u64 ovh_run_ns, ovh_run_cnt, ovh_user_ns, ovh_mono_ns;
	long refreshes;
	char release[65];
};

/* ---- log buffer: libbpf and our messages, printed after endwin() ---- */

static char *logbuf;
static size_t loglen;
static bool log_verbose;

static void log_vadd(const char *fmt, va_list ap)
{
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	char *nb;

	if (n < 0)
		return;
	nb = realloc(logbuf, loglen + n + 1);
	if (nb) {
		memcpy(nb + loglen, s, n + 1);
		logbuf = nb;
		loglen += n;
	}
	free(s);
}

static void tui_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vadd(fmt, ap);
	va_end(ap);
}

static int tui_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* as outside the TUI, libbpf speaks only with -v */
	if (log_verbose)
		log_vadd(fmt, ap);
	return 0;
}

static void log_flush(void)
{
	if (logbuf)
		fputs(logbuf, stderr);
	free(logbuf);
	logbuf = NULL;
	loglen = 0;
}

/* ---- data ---- */

/* A read out of schedule (pause) or on the tick: the history takes its delta. */
static int data_refresh(struct tui *t)
{
	int err = sampler__step(&t->smp);

	if (!err)
		tui_history__push(&t->hist, &t->smp.delta);
	for (__u32 c = 0; !err && t->cpu_hist && c < t->smp.delta.ncpus; c++)
		tui_history__push(&t->cpu_hist[c], &t->smp.delta);
	if (!err && t->row_hist.queue)
		tui_history__push(&t->row_hist, &t->smp.delta);
	return err;
}

static void note_overhead(struct tui *t)
{
	t->ovh_run_ns = t->ovh_run_cnt = 0;
	for (size_t i = 0; i < t->smp.delta.nprogs; i++) {
		t->ovh_run_ns += t->smp.delta.progs[i].run_ns;
		t->ovh_run_cnt += t->smp.delta.progs[i].run_cnt;
	}
	t->ovh_user_ns = t->smp.delta.user_cpu_ns;
	t->ovh_mono_ns = t->smp.delta.mono_ns;
}

static struct tui_data tdata(struct tui *t)
{
	return (struct tui_data){ .delta = &t->smp.delta, .total = &t->smp.total, .ctx = &t->ctx,
				  .filter = &t->filter, .totals = t->totals, .width = COLS,
				  .all_cols = t->all_cols };
}

/* ---- drawing helpers ---- */

static attr_t cattr(struct tui *t, int pair, attr_t mono)
{
	return t->color ? COLOR_PAIR(pair) : mono;
}

/* Print at (y, x), clipped to the screen width; never wraps. */
static void put(int y, int x, attr_t a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (y < 0 || y >= LINES || x >= COLS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attron(a);
	mvaddnstr(y, x, buf, COLS - x);
	attroff(a);
}

static void fill_line(int y, attr_t a)
{
	attron(a);
	mvhline(y, 0, ' ', COLS);
	attroff(a);
}

static void interval_text(char *buf, size_t len, double s)
{
	if (s < 1)
		snprintf(buf, len, "%.0f ms", s * 1000);
	else
		snprintf(buf, len, "%g s", s);
}

/* ---- tables ---- */

static void row_text(const struct tui_table *tb, const struct tui_row *r, char *out, size_t len,
		     const struct panel_state *ps, bool head)
{
	size_t off = 0;

	out[0] = '\0';
	for (int c = 0; c < tb->ncols && off + 1 < len; c++) {
		const struct tui_col *col = &tb->cols[c];
		char h[TUI_CELL + 2];
		const char *s = r ? r->cell[c] : h;
		int w = col->width;

		if (!tui_col_shown(tb, c))
			continue;
		if (head)
			snprintf(h, sizeof(h), "%s%s", col->head, ps && ps->sort == c ? "*" : "");
		/* right-aligned cells keep one blank in front of them */
		if (col->left)
			off += snprintf(out + off, len - off, "%-*.*s", w, w, s);
		else
			off += snprintf(out + off, len - off, " %*.*s", w - 1, w - 1, s);
		if (off >= len)
			break;
	}
	/* trailing blanks carry nothing */
	while (off && out[off - 1] == ' ')
		out[--off] = '\0';
}

static bool row_matches(const struct tui_table *tb, const struct tui_row *r, const char *s)
{
	if (!s[0])
		return false;
	for (int c = 0; c < tb->ncols; c++)
		if (strcasestr(r->cell[c], s))
			return true;
	return false;
}

/* Header, rows (selected one reversed), then the sum row; h lines in all. */
static void draw_table(struct tui *t, struct tui_table *tb, int y, int h, struct panel_state *ps,
		       bool select)
{
	char line[1024];
	int body = h - 1 - (tb->has_sum ? 1 : 0);

	if (h < 2)
		return;
	row_text(tb, NULL, line, sizeof(line), ps, true);
	put(y, 0, A_BOLD | A_UNDERLINE, "%s", line);
	if (body < 1)
		body = 1;
	if (ps) {
		if (t->search_jump && select && t->search[0]) {
			for (size_t k = 1; k <= tb->n; k++) {
				size_t i = (ps->sel + k) % tb->n;

				if (row_matches(tb, &tb->rows[i], t->search)) {
					ps->sel = i;
					break;
				}
			}
			t->search_jump = false;
		}
		if (ps->sel >= (int)tb->n)
			ps->sel = tb->n ? (int)tb->n - 1 : 0;
		if (ps->sel < 0)
			ps->sel = 0;
		if (ps->top > ps->sel)
			ps->top = ps->sel;
		if (ps->sel >= ps->top + body)
			ps->top = ps->sel - body + 1;
		if (ps->top > (int)tb->n - body)
			ps->top = tb->n > (size_t)body ? (int)tb->n - body : 0;
		if (ps->top < 0)
			ps->top = 0;
	}
	if (!tb->n)
		put(y + 1, 0, A_DIM, "  (nothing yet%s)",
		    tui_filter__empty(&t->filter) ? "" : " for this filter");
	for (int i = 0; i < body; i++) {
		size_t ri = (ps ? ps->top : 0) + i;
		const struct tui_row *r;
		attr_t a = A_NORMAL;

		if (ri >= tb->n)
			break;
		r = &tb->rows[ri];
		row_text(tb, r, line, sizeof(line), NULL, false);
		if (r->alert)
			a |= cattr(t, CP_ALERT, A_BOLD);
		if (row_matches(tb, r, t->search))
			a |= cattr(t, CP_MATCH, A_UNDERLINE) | A_BOLD;
		if (select && ps && (int)ri == ps->sel) {
			a = A_REVERSE;
			fill_line(y + 1 + i, a);
		}
		put(y + 1 + i, 0, a, "%s", line);
	}
	if (tb->has_sum) {
		row_text(tb, &tb->sum, line, sizeof(line), NULL, false);
		put(y + 1 + (int)(tb->n < (size_t)body ? tb->n : (size_t)body), 0, A_BOLD, "%s",
		    line);
	}
}

/*
 * The history strip: each measured headline series as a sparkline of the
 * last intervals, oldest left, with its last value.
 */
static void draw_history(struct tui *t, int y)
{
	static const char *const label[TH_N] = { "drops", "kicks", "IPIs", "bulk", "hit%" };
	int shown = 0, x = 0, w;
	char spark[TUI_HIST + 1], val[16];

	for (int k = 0; k < TH_N; k++)
		shown += t->hist.measured[k];
	if (!shown)
		return;
	w = (COLS - 8) / shown - 13;	/* "drops " + sparkline + " 12.3k  " */
	if (w > TUI_HIST)
		w = TUI_HIST;
	if (w < 4)
		return;
	put(y, x, A_DIM, "history");
	x = 8;
	for (int k = 0; k < TH_N; k++) {
		if (!t->hist.measured[k])
			continue;
		tui_history__spark(&t->hist, k, w, spark);
		tui_fmt_rate(val, sizeof(val), tui_history__get(&t->hist, k, 0));
		put(y, x, A_BOLD, "%s", label[k]);
		put(y, x + (int)strlen(label[k]) + 1, cattr(t, CP_OK, A_NORMAL), "%s", spark);
		put(y, x + (int)strlen(label[k]) + 1 + w, A_NORMAL, " %-5s", val);
		x += (int)strlen(label[k]) + 1 + w + 8;
	}
}

/* ---- panels ---- */

static const char *since(const struct tui *t)
{
	return t->zeroed ? "z" : "start";
}

static const char *rate_title(struct tui *t)
{
	static char buf[96];
	char iv[32];

	interval_text(iv, sizeof(iv), t->smp.delta.mono_ns ? t->smp.delta.mono_ns / 1e9 : t->interval);
	if (t->totals)
		snprintf(buf, sizeof(buf), "totals since %s (%.*f s)", since(t),
			 t->smp.total.mono_ns < 10000000000ULL ? 1 : 0, t->smp.total.mono_ns / 1e9);
	else
		snprintf(buf, sizeof(buf), "per second over the last %s", iv);
	return buf;
}

static void cpus_draw(struct tui *t, int y, int h)
{
	struct tui_data d = tdata(t);

	put(y - 1, 0, A_DIM, "Per CPU, %s   %s", rate_title(t),
	    t->all_cols ? "'-': unmeasured (P)   a: hide them" : "a: all columns   t: totals");
	if (tui_build_cpus(&t->table, &d))
		return;
	tui_table__sort(&t->table, t->ps[P_CPUS].sort);
	draw_table(t, &t->table, y, h, &t->ps[P_CPUS], true);
}

static void queues_draw(struct tui *t, int y, int h)
{
	struct tui_data d = tdata(t);

	put(y - 1, 0, A_DIM, "tun/tap queues, %s   top reason: drops since %s", rate_title(t),
	    since(t));
	if (tui_build_queues(&t->table, &d))
		return;
	tui_table__sort(&t->table, t->ps[P_QUEUES].sort);
	draw_table(t, &t->table, y, h, &t->ps[P_QUEUES], true);
}

static void drops_draw(struct tui *t, int y, int h)
{
	struct tui_data d = tdata(t);
	const char *cpus_note;
	char name[96];
	int h1;

	if (!tui_probe_live(&t->ctx, "drops")) {
		put(y, 0, A_NORMAL, "drops probe unavailable: see P");
		return;
	}
	if (!t->drill) {
		if (t->filter.dev[0] && !t->env->probe_opts.drop_detail)
			/* the rows have no device to match: say why the panel is empty */
			put(y - 1, 0, cattr(t, CP_WARN, A_BOLD),
			    "Drops carry no device without -L: dev: matches none here "
			    "(tun/tap drops per queue: Queues panel)");
		else if (tui_drops_cpu_filter_ignored(&d, false))
			put(y - 1, 0, cattr(t, CP_WARN, A_BOLD),
			    "Drops by device are summed over CPUs: the cpu: filter is not applied");
		else
			put(y - 1, 0, A_DIM,
			    "Drops by reason%s: count since %s, rate over the last interval",
			    !t->filter.has_cpus ? "" : t->env->probe_opts.drop_detail ?
			    " on the filtered CPUs (top locations: all CPUs)" : " on the filtered CPUs",
			    since(t));
		if (tui_build_drops(&t->table, &d))
			return;
		tui_table__sort(&t->table, t->ps[P_DROPS].sort);
		draw_table(t, &t->table, y, h, &t->ps[P_DROPS], true);
		return;
	}
	t->ctx.reason_name(&t->ctx, t->drill_reason, name, sizeof(name));
	if (tui_build_drop_locations(&t->table, &d, t->drill_reason) ||
	    tui_build_drop_cpus(&t->table2, &d, t->drill_reason))
		return;
	/* without -L every drop of a reason has location 0, shown as "-" */
	/* the CPU table has no device, the location table no CPU: say which filter each skips */
	cpus_note = t->filter.dev[0] ? " (all devices)" : "";
	if (t->table.n == 1 && t->table.rows[0].id == 0)
		put(y - 1, 0, A_BOLD, "%s: by CPU%s; by location with -L (Esc: back)", name,
		    cpus_note);
	else
		put(y - 1, 0, A_BOLD, "%s: by location%s and by CPU%s (Esc: back)", name,
		    tui_drops_cpu_filter_ignored(&d, true) ? " (all CPUs)" : "", cpus_note);
	tui_table__sort(&t->table, 1);
	tui_table__sort(&t->table2, 0);
	h1 = h / 2;
	if ((int)t->table.n + 2 < h1)
		h1 = t->table.n + 2;
	draw_table(t, &t->table, y, h1, NULL, false);
	draw_table(t, &t->table2, y + h1, h - h1, NULL, false);
}

static bool drops_key(struct tui *t, int ch)
{
	if ((ch == '\n' || ch == KEY_ENTER || ch == '\r') && !t->drill) {
		if (t->ps[P_DROPS].sel < (int)t->table.n) {
			t->drill_reason = (__u32)t->table.rows[t->ps[P_DROPS].sel].id;
			t->drill = true;
		}
		return true;
	}
	if ((ch == 27 || ch == KEY_BACKSPACE || ch == KEY_LEFT) && t->drill) {
		t->drill = false;
		return true;
	}
	return false;
}

static const char *const ipi_metric_names[] = { "defer kicks", "IPIs", "skbs queued" };
static const char *const ipi_metric_probes[] = { "defer_kick", "defer_ipi", "defer_queue" };

static __u64 kick_val(const struct kick_cell *k, int m)
{
	return m == 0 ? k->kicks : m == 1 ? k->ipis : k->queued;
}

static void ipi_draw(struct tui *t, int y, int h)
{
	const struct snapshot *s = t->totals ? &t->smp.total : &t->smp.delta;
	double div = t->totals ? 1 : (s->mono_ns ? s->mono_ns / 1e9 : 1);
	int m = t->ipi_metric, cw = 7, lw = 9, x, shown = 0, hidden = 0;
	struct panel_state *ps = &t->ps[P_IPI];
	__u32 cpus[TUI_MAXCPUS], n = 0;
	char cell[32];

	put(y - 1, 0, A_DIM, "%s, sender (row) -> target (column), %s   m: metric",
	    ipi_metric_names[m], rate_title(t));
	if (!tui_probe_live(&t->ctx, ipi_metric_probes[m])) {
		put(y, 0, A_NORMAL, "%s: probe %s unavailable on this kernel (P for why)",
		    ipi_metric_names[m], ipi_metric_probes[m]);
		return;
	}
	for (__u32 c = 0; c < s->ncpus && n < TUI_MAXCPUS; c++)
		if (tui_filter__cpu(&t->filter, c))
			cpus[n++] = c;
	put(y, 0, A_BOLD | A_UNDERLINE, "%-*s", lw, "from\\to");
	x = lw;
	for (__u32 j = 0; j < n; j++) {
		if (x + cw + 8 > COLS) {
			hidden = n - j;
			break;
		}
		put(y, x, A_BOLD | A_UNDERLINE, "%*u", cw, cpus[j]);
		x += cw;
		shown++;
	}
	put(y, x, A_BOLD | A_UNDERLINE, "%*s", 8, "sum");
	if (ps->top > (int)n - (h - 2))
		ps->top = (int)n - (h - 2);
	if (ps->top < 0)
		ps->top = 0;
	for (int i = 0; i + 2 < h && ps->top + i < (int)n; i++) {
		__u32 sc = cpus[ps->top + i];
		__u64 sum = 0;

		put(y + 1 + i, 0, A_BOLD, "%-*u", lw, sc);
		for (__u32 j = 0; j < n; j++) {
			__u64 v = kick_val(&s->kicks[sc * s->ncpus + cpus[j]], m);

			sum += v;
			if ((int)j >= shown)
				continue;
			if (v)
				tui_fmt_rate(cell, sizeof(cell), v / div);
			else
				snprintf(cell, sizeof(cell), ".");
			put(y + 1 + i, lw + j * cw, v ? cattr(t, CP_WARN, A_BOLD) : A_DIM, "%*s", cw,
			    cell);
		}
		tui_fmt_rate(cell, sizeof(cell), sum / div);
		put(y + 1 + i, lw + shown * cw, A_BOLD, "%*s", 8, cell);
	}
	if (hidden)
		put(y + h - 1, 0, A_DIM, "%d more target CPUs: narrow with f (e.g. cpu:0-7)", hidden);
}

/* One log2 histogram in the style of bcc's print_log2_hist. */
static int draw_hist(struct tui *t, int y, int ymax, const char *what, const __u64 *h)
{
	int last = -1, width = COLS - 42;
	__u64 max = 0;

	if (width > 40)
		width = 40;
	if (width < 10)
		width = 10;
	for (int i = 0; i < SKBTOP_HIST_SLOTS; i++) {
		if (h[i])
			last = i;
		if (h[i] > max)
			max = h[i];
	}
	if (y < ymax)
		put(y++, 0, A_BOLD, "%21s : count     distribution", what);
	if (last < 0) {
		if (y < ymax)
			put(y++, 0, A_DIM, "%21s   (no events yet)", "");
		return y;
	}
	for (int i = 0; i <= last && y < ymax; i++) {
		unsigned long long lo = i ? 1ULL << (i - 1) : 0, hi = i ? (1ULL << i) - 1 : 0;
		int stars = max ? (int)((double)h[i] * width / max + 0.5) : 0;
		char bar[64];

		if (i == SKBTOP_HIST_SLOTS - 1)
			hi = ~0ULL;
		memset(bar, '*', stars);
		memset(bar + stars, ' ', width - stars);
		bar[width] = '\0';
		if (hi == ~0ULL)
			put(y++, 0, A_NORMAL, "%10llu -> %-8s : %-9llu |%s|", lo, "max",
			    (unsigned long long)h[i], bar);
		else
			put(y++, 0, A_NORMAL, "%10llu -> %-8llu : %-9llu |%s|", lo, hi,
			    (unsigned long long)h[i], bar);
	}
	return y;
}

static void hist_draw(struct tui *t, int y, int h)
{
	__u64 bulk[SKBTOP_HIST_SLOTS] = {}, flush[SKBTOP_HIST_SLOTS] = {};
	enum probe_mode fm = tui_probe_mode(&t->ctx, "defer_flush");
	int ymax = y + h;

	put(y - 1, 0, A_DIM, "log2 histograms since %s (CPU filter applies)",
	    since(t));
	for (__u32 c = 0; c < t->smp.total.ncpus; c++) {
		if (!tui_filter__cpu(&t->filter, c))
			continue;
		for (int i = 0; i < SKBTOP_HIST_SLOTS; i++) {
			bulk[i] += t->smp.total.cpus[c].bulk_hist[i];
			flush[i] += t->smp.total.cpus[c].defer_flush_hist[i];
		}
	}
	put(y++, 0, A_BOLD, "napi_skb_cache_get_bulk(): heads asked per call");
	if (tui_probe_live(&t->ctx, "bulk"))
		y = draw_hist(t, y, ymax, "heads", bulk);
	else if (y < ymax)
		put(y++, 0, A_DIM, "  unavailable: probe 'bulk' did not attach (P for why)");
	y++;
	if (y < ymax)
		put(y++, 0, A_BOLD, "skb_defer_free_flush(): skbs freed per flush");
	if (fm == MODE_DERIVED) {
		__u64 skbs = 0;

		for (__u32 c = 0; c < t->smp.total.ncpus; c++)
			if (tui_filter__cpu(&t->filter, c))
				skbs += t->smp.total.cpus[c].defer_flush_skbs;
		if (y < ymax)
			put(y++, 0, A_DIM, "  needs fentry on skb_defer_free_flush; the derived mode "
			    "counts skbs only: %llu", (unsigned long long)skbs);
	} else if (tui_probe_live(&t->ctx, "defer_flush")) {
		draw_hist(t, y, ymax, "skbs", flush);
	} else if (y < ymax) {
		put(y++, 0, A_DIM, "  unavailable: probe 'defer_flush' did not attach (P for why)");
	}
}

static bool ipi_key(struct tui *t, int ch)
{
	if (ch == 'm') {
		t->ipi_metric = (t->ipi_metric + 1) % 3;
		return true;
	}
	return false;
}

static const struct panel panels[NPANELS] = {
	[P_CPUS] = { "CPUs", "Enter graph  ", cpus_draw, NULL, 0, true },
	[P_QUEUES] = { "Queues", "Enter graph  ", queues_draw, NULL, 0, true },
	[P_DROPS] = { "Drops", "Enter drill  Esc back  ", drops_draw, drops_key, 1, true },
	[P_IPI] = { "IPI matrix", "m metric  ", ipi_draw, ipi_key, 0, false },
	[P_HIST] = { "Histograms", "", hist_draw, NULL, 0, false },
};

/* ---- header, tabs, footer ---- */

static void draw_header(struct tui *t)
{
	struct cpu_counters s;
	double iv = t->smp.delta.mono_ns ? t->smp.delta.mono_ns / 1e9 : 0;
	double rate;
	__u64 run_ns = 0, run_cnt = 0;
	int exact = 0, derived = 0, unav = 0;
	char ivs[32], clock[16], a[16], b[16], c[16], e[16], hit[16], per[16], ovh[160];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	interval_text(ivs, sizeof(ivs), t->interval);
	fill_line(0, cattr(t, CP_HEAD, A_REVERSE));
	put(0, 0, cattr(t, CP_HEAD, A_REVERSE) | A_BOLD,
	    "skbtop %s  Linux %s  %u CPUs  interval %s  %s%s%s", SKBTOP_VERSION, t->release,
	    skbtop__ncpus(t->st), ivs, clock, t->paused ? "  [PAUSED]" : "",
	    t->totals ? "  [TOTALS]" : "");

	snapshot__sum_cpus(&t->smp.delta, &s);
#define RATE(buf, v, probe) tui_fmt_rate(buf, sizeof(buf), \
		tui_probe_live(&t->ctx, probe) && iv ? (v) / iv : tui_probe_live(&t->ctx, probe) ? 0 : NAN)
	RATE(a, s.drops, "drops");
	RATE(b, s.defer_kicks_sent, "defer_kick");
	RATE(c, s.defer_ipis_sent, "defer_ipi");
	RATE(e, s.bulk_calls, "bulk");
#undef RATE
	if (cache_hit_rate(t->ctx.probes, t->ctx.nprobes, &s, &rate))
		snprintf(hit, sizeof(hit), "%.1f%%", 100.0 * rate);
	else
		snprintf(hit, sizeof(hit), "-");
	put(1, 0, A_NORMAL, "drops %s/s  defer kicks %s/s  IPIs %s/s  bulk calls %s/s  cache hit %s",
	    a, b, c, e, hit);

	skbtop__mode_counts(t->st, &exact, &derived, &unav);
	run_ns = t->ovh_run_ns;
	run_cnt = t->ovh_run_cnt;
	if (run_cnt)
		snprintf(per, sizeof(per), "%.0f", (double)run_ns / run_cnt);
	else
		snprintf(per, sizeof(per), "-");
	if (!t->ovh_mono_ns)
		snprintf(ovh, sizeof(ovh), "overhead: after the first refresh");
	else if (!run_cnt)	/* no BPF run-time stats: --prog-stats */
		snprintf(ovh, sizeof(ovh), COLS >= 110 ? "overhead: BPF not measured "
			 "(--prog-stats); skbtop %.2f%% of a CPU" : "BPF -- self %.2f%%",
			 100.0 * t->ovh_user_ns / t->ovh_mono_ns);
	else if (COLS >= 110)
		snprintf(ovh, sizeof(ovh), "overhead: BPF %s ns/event, %.3f%% of a CPU; "
			 "skbtop %.2f%% of a CPU", per, 100.0 * run_ns / t->ovh_mono_ns,
			 100.0 * t->ovh_user_ns / t->ovh_mono_ns);
	else
		snprintf(ovh, sizeof(ovh), "BPF %sns/ev %.3f%% self %.2f%%", per,
			 100.0 * run_ns / t->ovh_mono_ns, 100.0 * t->ovh_user_ns / t->ovh_mono_ns);
	if (COLS >= 110)
		put(2, 0, A_NORMAL, "probes %d exact, %d derived, %d unavailable (P)   %s", exact,
		    derived, unav, ovh);
	else
		put(2, 0, A_NORMAL, "probes %d/%d/%d (P)  %s", exact, derived, unav, ovh);

	/* tabs */
	move(3, 0);
	clrtoeol();
	for (int i = 0, x = 0; i < NPANELS; i++) {
		char tab[32];

		snprintf(tab, sizeof(tab), " %d %s ", i + 1, panels[i].name);
		put(3, x, i == t->panel ? cattr(t, CP_TAB, A_REVERSE) | A_BOLD : A_NORMAL, "%s", tab);
		x += strlen(tab) + 1;
	}
	if (!tui_filter__empty(&t->filter))
		put(3, COLS > 90 ? 70 : 0, cattr(t, CP_WARN, A_BOLD), "filter: %s", t->filter.text);
}

static void draw_footer(struct tui *t)
{
	const struct panel *p = &panels[t->panel];
	char keys[400];
	int cursor_x = 0;

	if (t->prompt) {
		const char *label = t->prompt == 'f' ?
			"filter (cpu:0-3,5 dev:NAME reason:TEXT; empty clears): " : "search: ";

		put(LINES - 2, 0, A_BOLD, "%s%s", label, t->line);
		cursor_x = strlen(label) + strlen(t->line);
	} else {
		curs_set(0);
		if (t->msg[0])
			put(LINES - 2, 0, t->msg_err ? cattr(t, CP_ALERT, A_BOLD) | A_BOLD : A_NORMAL,
			    "%s", t->msg);
		else if (t->search[0] && p->table)
			put(LINES - 2, 0, A_DIM, "search: %s (n: next)", t->search);
	}
	snprintf(keys, sizeof(keys), "%sq quit  h help  Tab/1-5 panel  %ss sort  f filter  %st %s  p %s  "
		 "+/- interval  z zero  P probes",
		 p->keys, p->table ? "j/k move  " : "j/k scroll  ", p->table ? "/ search  " : "",
		 t->totals ? "rates" : "totals", t->paused ? "resume" : "pause");
	fill_line(LINES - 1, cattr(t, CP_HEAD, A_REVERSE));
	put(LINES - 1, 0, cattr(t, CP_HEAD, A_REVERSE), "%s", keys);
	if (t->prompt) {
		move(LINES - 2, cursor_x < COLS - 1 ? cursor_x : COLS - 1);
		curs_set(1);
	}
}

/* ---- overlays ---- */

/*
 * The keys as the help overlay shows them; man/gen-sections.sh makes the
 * man page's SCREEN section from this table (one "{ keys, text }" a line),
 * and the docs tier checks that every key of key_table[] is named here.
 */
static const struct key_help {
	const char *keys, *what;
} key_help[] = {
	{ "Tab, Shift-Tab, 1-5", "switch panel: CPUs, Queues, Drops, IPI matrix, Histograms" },
	{ "Up/Down, j/k", "move the selection (scroll in the matrix and overlays)" },
	{ "PgUp/PgDn, Home/End, g/G", "page, first, last" },
	{ "Enter / Esc", "CPUs, Queues: the row's time graph; Drops: drill into a reason / back" },
	{ "s", "sort by the next column shown (marked *)" },
	{ "f", "filter: cpu:0-3,5  dev:tap0  reason:RCVBUF (bare words too)" },
	{ "/  n", "search rows, next match" },
	{ "t", "rates per second <-> totals since start or z" },
	{ "a", "all columns: also those no attached probe measures ('-')" },
	{ "m", "IPI matrix: kicks, IPIs, skbs queued" },
	{ "p", "pause (the screen keeps the last refresh)" },
	{ "+ (=) / -", "longer / shorter interval" },
	{ "z", "zero: counts and totals start from now" },
	{ "P", "probe list: attach mode per probe and why others are missing" },
	{ "h, ?", "this help;  Esc closes" },
	{ "q, Q", "quit" },
};

static const char *const help_lines[] = {
	"skbtop: live view of skb allocation, deferred free, IPIs and drops",
	"",
	"Overhead: BPF run time per event and share of one CPU (with --prog-stats);",
	"  skbtop's own user+system CPU. Bold red rows: drops, or short bulk gets.",
	"",
	"Columns (`skbtop fields` lists them all; a narrow screen drops the least wanted):",
};

/* Word-wrap text into columns [x, x + w) from line y, below ymax; the next free line. */
static int put_wrapped(int y, int ymax, int x, int w, attr_t a, const char *text)
{
	const char *p = text;

	do {
		int n = strlen(p);

		if (n > w) {
			n = w;
			while (n > 0 && p[n] != ' ')
				n--;
			if (!n)
				n = w;
		}
		put(y++, x, a, "%.*s", n, p);
		p += n;
		while (*p == ' ')
			p++;
	} while (*p && y < ymax);
	return y;
}

/*
 * Enter on a CPU or queue row: each measured series of its history as a
 * bar graph, one column an interval, newest right, scaled to the window's
 * largest value (printed at the top left of each graph).
 */
static void draw_graph(struct tui *t, int h)
{
	const struct tui_history *g = t->graph;
	int m = 0, y = 0, w = COLS - 10, gh;
	char *rows[8], buf[8][TUI_HIST + 1], val[16], top[16], iv[32];

	for (int k = 0; k < g->nseries; k++)
		m += g->measured[k];
	interval_text(iv, sizeof(iv), t->interval);
	put(y++, 0, A_BOLD, "%s: per second (hit%%: percent), one column an interval of %s, "
	    "newest right", t->graph_name, iv);
	if (!m) {
		put(y, 0, A_NORMAL, "no attached probe measures this row's fields");
		return;
	}
	gh = (h - 1) / m - 1;
	gh = gh > 8 ? 8 : gh;
	if (gh < 1 || w < 10)
		return;
	w = w > TUI_HIST ? TUI_HIST : w;
	for (int r = 0; r < gh; r++)
		rows[r] = buf[r];
	for (int k = 0; k < g->nseries && y + gh < h; k++) {
		double max;

		if (!g->measured[k])
			continue;
		max = tui_history__graph(g, k, w, gh, rows);
		tui_fmt_rate(val, sizeof(val), tui_history__get(g, k, 0));
		tui_fmt_rate(top, sizeof(top), max);
		put(y++, 0, A_BOLD, "%-8s last %-6s max %s", g->f[k]->title, val, top);
		for (int r = 0; r < gh; r++)
			put(y++, 9, cattr(t, CP_OK, A_NORMAL), "%s", rows[r]);
	}
}

static void draw_overlay(struct tui *t)
{
	int y = 0, h = LINES - 1, n = 0;
	char line[512];

	erase();
	if (t->overlay == OV_HELP) {
		int nk = sizeof(key_help) / sizeof(key_help[0]);
		int nh = sizeof(help_lines) / sizeof(help_lines[0]) + nk;
		const struct field *cols[2][TUI_MAXCOLS];
		int nc[2];

		/* the column legend comes from the registry, as the columns do */
		nc[0] = field_columns(cpu_fields, cpu_nfields, true, cols[0], TUI_MAXCOLS);
		nc[1] = field_columns(queue_fields, queue_nfields, true, cols[1], TUI_MAXCOLS);
		n = nh + nc[0] + nc[1];
		if (t->ov_top > n - 1)
			t->ov_top = n - 1;
		for (int i = t->ov_top; i < n && y < h; i++) {
			const struct field *f;

			if (i >= 2 && i < 2 + nk) {	/* the keys, under the title */
				put(y++, 0, A_NORMAL, "  %-24s %s", key_help[i - 2].keys,
				    key_help[i - 2].what);
				continue;
			}
			if (i < nh) {
				put(y++, 0, i == 0 ? A_BOLD : A_NORMAL, "%s",
				    help_lines[i < 2 ? i : i - nk]);
				continue;
			}
			f = i < nh + nc[0] ? cols[0][i - nh] : cols[1][i - nh - nc[0]];
			put(y++, 0, A_NORMAL, "  %-6s %-5s %s", f->title,
			    i < nh + nc[0] ? "CPU" : "queue", f->help);
		}
	} else if (t->overlay == OV_GRAPH) {
		draw_graph(t, h);
	} else {
		size_t np = skbtop__nprobes(t->st);
		int skip = t->ov_top;

		put(y++, 0, A_BOLD | A_UNDERLINE, "%-13s %-12s %-26s %s", "PROBE", "MODE", "TARGET",
		    "WHY / NOTE");
		for (size_t i = 0; i < np && y < h; i++) {
			const struct probe_status *p = skbtop__probe(t->st, i);
			attr_t a = p->mode == MODE_UNAVAILABLE ? cattr(t, CP_ALERT, A_DIM) :
				   p->mode == MODE_DERIVED ? cattr(t, CP_WARN, A_NORMAL) :
				   cattr(t, CP_OK, A_NORMAL);
			const char *why = p->reason[0] ? p->reason : p->variant ? p->variant : "";
			int w = COLS - 54 > 20 ? COLS - 54 : 20;

			if (skip > 0) {
				skip--;
				continue;
			}
			snprintf(line, sizeof(line), "%-13s %-12s %-26.26s ", p->name,
				 probe_mode_name(p->mode), p->target);
			put(y, 0, a, "%s", line);
			y = put_wrapped(y, h, 54, w, a, why);
			if (p->note && p->mode != MODE_UNAVAILABLE && y < h) {
				snprintf(line, sizeof(line), "note: %s", p->note);
				y = put_wrapped(y, h, 54, w, A_DIM, line);
			}
		}
	}
	fill_line(LINES - 1, cattr(t, CP_HEAD, A_REVERSE));
	put(LINES - 1, 0, cattr(t, CP_HEAD, A_REVERSE), "j/k scroll  Esc close  q quit");
}

/* ---- whole screen ---- */

static void draw(struct tui *t)
{
	int bodyh;

	erase();
	if (LINES < MIN_LINES || COLS < MIN_COLS) {
		put(0, 0, A_BOLD, "skbtop: terminal too small");
		put(1, 0, A_NORMAL, "need %dx%d, have %dx%d", MIN_COLS, MIN_LINES, COLS, LINES);
		put(2, 0, A_NORMAL, "enlarge it, or q to quit");
		curs_set(0);
		refresh();
		return;
	}
	if (t->overlay) {
		draw_overlay(t);
		refresh();
		return;
	}
	draw_header(t);
	bodyh = LINES - HEAD_LINES - FOOT_LINES;
	if (LINES >= MIN_LINES + 5) {	/* room to spare: the history strip */
		bodyh--;
		draw_history(t, HEAD_LINES + bodyh);
	}
	panels[t->panel].draw(t, HEAD_LINES, bodyh);
	draw_footer(t);
	refresh();
}

/* ---- keys ---- */

static void set_msg(struct tui *t, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_err = err;
}

static const double intervals[] = { 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60 };
#define NINTERVALS (sizeof(intervals) / sizeof(intervals[0]))

static void key_quit(struct tui *t, int ch) { t->quit = true; }

static void key_panel(struct tui *t, int ch)
{
	if (ch >= '1' && ch <= '0' + NPANELS)
		t->panel = ch - '1';
	else if (ch == '\t')
		t->panel = (t->panel + 1) % NPANELS;
	else if (ch == KEY_BTAB)
		t->panel = (t->panel + NPANELS - 1) % NPANELS;
	t->msg[0] = '\0';
}

static void key_move(struct tui *t, int ch)
{
	struct panel_state *ps = &t->ps[t->panel];
	int page = LINES - HEAD_LINES - FOOT_LINES - 2;
	int *v = panels[t->panel].table ? &ps->sel : &ps->top;

	if (t->panel == P_DROPS && t->drill)
		return;
	switch (ch) {
	case KEY_UP: case 'k': (*v)--; break;
	case KEY_DOWN: case 'j': (*v)++; break;
	case KEY_PPAGE: *v -= page; break;
	case KEY_NPAGE: *v += page; break;
	case KEY_HOME: case 'g': *v = 0; break;
	case KEY_END: case 'G': *v = 1 << 20; break;
	}
	if (*v < 0)
		*v = 0;
}

static void key_sort(struct tui *t, int ch)
{
	struct panel_state *ps = &t->ps[t->panel];
	const struct tui_table *tb = &t->table;	/* the current panel's, as last drawn */

	if (!panels[t->panel].table || (t->panel == P_DROPS && t->drill) || tb->ncols < 1) {
		set_msg(t, false, "nothing to sort in this panel");
		return;
	}
	/* the next column drawn; the queue panel's last (a reason) is not a count */
	for (int k = 0; k < tb->ncols; k++) {
		ps->sort = (ps->sort + 1) % (tb->ncols - (t->panel == P_QUEUES));
		if (tui_col_shown(tb, ps->sort))
			break;
	}
	/* the column name is marked with * in the header */
	t->msg[0] = '\0';
}

static void key_prompt(struct tui *t, int ch)
{
	if (ch == '/' && !panels[t->panel].table) {
		set_msg(t, false, "search works in the CPU, Queue and Drops panels");
		return;
	}
	t->prompt = ch;
	t->line[0] = '\0';
	t->msg[0] = '\0';
}

static void key_next(struct tui *t, int ch)
{
	t->search_jump = true;
}

static void key_totals(struct tui *t, int ch) { t->totals = !t->totals; }
static void key_all_cols(struct tui *t, int ch) { t->all_cols = !t->all_cols; }

static void key_pause(struct tui *t, int ch)
{
	int err = 0;

	t->paused = !t->paused;
	if (t->paused) {
		/* freeze on numbers that include everything up to the key press */
		err = data_refresh(t);
		set_msg(t, false, "paused: p resumes");
	} else {
		sampler__reschedule(&t->smp);
		t->msg[0] = '\0';
	}
	if (err)
		set_msg(t, true, "failed to read maps: %s", strerror(-err));
}

static void key_interval(struct tui *t, int ch)
{
	size_t i = 0;

	while (i + 1 < NINTERVALS && intervals[i] < t->interval - 1e-9)
		i++;
	if (ch == '+' || ch == '=') {
		if (intervals[i] <= t->interval + 1e-9 && i + 1 < NINTERVALS)
			i++;
	} else if (i > 0) {
		i--;
	}
	t->interval = intervals[i];
	sampler__set_interval(&t->smp, t->interval);
	set_msg(t, false, "interval %g s", t->interval);
}

static void key_zero(struct tui *t, int ch)
{
	int err = sampler__zero(&t->smp);

	if (err)
		set_msg(t, true, "failed to read maps: %s", strerror(-err));
	else
		set_msg(t, false, "zeroed: counts from now");
	t->zeroed = !err;
}

static void key_overlay(struct tui *t, int ch)
{
	enum overlay o = ch == 'P' ? OV_PROBES : OV_HELP;

	t->overlay = t->overlay == o ? OV_NONE : o;
	t->ov_top = 0;
}

/* Enter on the CPUs or Queues panel: the selected row's time graph. */
static void key_graph(struct tui *t, int ch)
{
	const struct panel_state *ps = &t->ps[t->panel];
	const struct tui_row *r;

	if ((t->panel != P_CPUS && t->panel != P_QUEUES) || ps->sel >= (int)t->table.n)
		return;
	r = &t->table.rows[ps->sel];
	if (t->panel == P_CPUS) {
		if (!t->cpu_hist || r->id >= t->smp.delta.ncpus)
			return;
		t->graph = &t->cpu_hist[r->id];
		snprintf(t->graph_name, sizeof(t->graph_name), "CPU %llu",
			 (unsigned long long)r->id);
	} else {
		if (r->id >= t->smp.total.nqueues)
			return;
		tui_history__init_queue(&t->row_hist, &t->ctx, &t->smp.total.queues[r->id].key);
		t->graph = &t->row_hist;
		snprintf(t->graph_name, sizeof(t->graph_name), "%s %s (since Enter)",
			 r->cell[0], r->cell[1]);
	}
	t->overlay = OV_GRAPH;
	t->ov_top = 0;
	(void)ch;
}

static void key_escape(struct tui *t, int ch)
{
	if (t->search[0]) {
		t->search[0] = '\0';
		return;
	}
	t->msg[0] = '\0';
}

struct key_binding {
	int key;
	void (*fn)(struct tui *t, int ch);
};

static const struct key_binding key_table[] = {
	{ 'q', key_quit }, { 'Q', key_quit },
	{ '\t', key_panel }, { KEY_BTAB, key_panel },
	{ '1', key_panel }, { '2', key_panel }, { '3', key_panel }, { '4', key_panel },
	{ '5', key_panel },
	{ KEY_UP, key_move }, { KEY_DOWN, key_move }, { 'j', key_move }, { 'k', key_move },
	{ KEY_PPAGE, key_move }, { KEY_NPAGE, key_move }, { KEY_HOME, key_move },
	{ KEY_END, key_move }, { 'g', key_move }, { 'G', key_move },
	{ 's', key_sort },
	{ 'f', key_prompt }, { '/', key_prompt }, { 'n', key_next },
	{ 't', key_totals }, { 'a', key_all_cols },
	{ 'p', key_pause },
	{ '+', key_interval }, { '=', key_interval }, { '-', key_interval },
	{ 'z', key_zero },
	{ 'h', key_overlay }, { '?', key_overlay }, { 'P', key_overlay },
	{ '\n', key_graph }, { '\r', key_graph }, { KEY_ENTER, key_graph },
	{ 27, key_escape },
};

/* A line being typed after f or /. */
static void prompt_key(struct tui *t, int ch)
{
	size_t n = strlen(t->line);
	char err[160];

	if (ch == 27) {
		t->prompt = 0;
		return;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n)
			t->line[n - 1] = '\0';
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (t->prompt == 'f') {
			if (tui_filter__parse(&t->filter, t->line, err, sizeof(err)))
				set_msg(t, true, "bad filter: %s", err);
			else
				set_msg(t, false, t->filter.text[0] ? "filter: %s" : "filter cleared",
					t->filter.text);
		} else {
			snprintf(t->search, sizeof(t->search), "%.63s", t->line);
			t->search_jump = true;
		}
		t->prompt = 0;
		return;
	}
	if (ch >= 32 && ch < 127 && n + 1 < sizeof(t->line)) {
		t->line[n] = ch;
		t->line[n + 1] = '\0';
	}
}

static void handle_key(struct tui *t, int ch)
{
	if (ch == KEY_RESIZE)
		return;		/* the redraw that follows every key does it */
	if (t->prompt) {
		prompt_key(t, ch);
		return;
	}
	if (t->overlay) {
		if (ch == 'q')
			t->quit = true;
		else if (t->overlay == OV_GRAPH && (ch == 27 || ch == '\n' || ch == '\r' ||
						    ch == KEY_ENTER || ch == KEY_LEFT))
			t->overlay = OV_NONE;
		else if (ch == 27 || ch == 'h' || ch == '?' || ch == 'P')
			key_overlay(t, ch == 27 ? (t->overlay == OV_PROBES ? 'P' : 'h') : ch);
		else if (ch == 'j' || ch == KEY_DOWN)
			t->ov_top++;
		else if ((ch == 'k' || ch == KEY_UP) && t->ov_top > 0)
			t->ov_top--;
		return;
	}
	if (panels[t->panel].key && panels[t->panel].key(t, ch))
		return;
	for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++)
		if (key_table[i].key == ch) {
			key_table[i].fn(t, ch);
			return;
		}
}

/* ---- lifecycle ---- */

static void init_colors(struct tui *t)
{
	t->color = !t->env->no_color && has_colors();
	if (!t->color)
		return;
	start_color();
	use_default_colors();
	init_pair(CP_HEAD, COLOR_BLACK, COLOR_CYAN);
	init_pair(CP_ALERT, COLOR_RED, -1);
	init_pair(CP_TAB, COLOR_BLACK, COLOR_YELLOW);
	init_pair(CP_OK, COLOR_GREEN, -1);
	init_pair(CP_WARN, COLOR_YELLOW, -1);
	init_pair(CP_MATCH, COLOR_MAGENTA, -1);
}

/* A warning found by a read: on the message line, and in the log printed after the screen closes. */
static void tui_warning(void *arg, const char *msg)
{
	struct tui *t = arg;

	set_msg(t, true, "warning: %s", msg);
	tui_log("skbtop: warning: %s\n", msg);
}

/* Between ticks: keys, until the next wake-up (at most TICK_MS away) or `q`. */
static int tui_idle(void *arg, __u64 until)
{
	struct tui *t = arg;

	while (!t->quit && !stop_requested) {
		__u64 now = now_ns(CLOCK_MONOTONIC);
		int ch;

		if (now >= until)
			break;
		timeout((int)((until - now + 999999) / 1000000));
		ch = getch();
		if (ch != ERR) {
			handle_key(t, ch);
			draw(t);
		}
	}
	return t->quit;
}

int tui_run(struct env *env, struct session *sess)
{
	libbpf_print_fn_t old_print;
	struct tui *t = calloc(1, sizeof(*t));	/* on the heap: the session's warnings point to it */
	struct sampler_idle idle = { .every_ns = TICK_MS * 1000000ULL, .fn = tui_idle, .arg = t };
	struct utsname u;
	SCREEN *scr;
	int err = 0, ret;

	if (!t) {
		fprintf(stderr, "skbtop: out of memory\n");
		return EXIT_FAIL;
	}
	t->env = env;
	t->st = sess->st;
	t->ctx = sess->names;

	t->interval = env->interval > 0 ? env->interval : 1;
	for (int i = 0; i < NPANELS; i++)
		t->ps[i].sort = panels[i].default_sort;
	if (!uname(&u))
		snprintf(t->release, sizeof(t->release), "%s", u.release);
	tui_history__init(&t->hist, &t->ctx);
	session__sampler(sess, &t->smp);
	err = sampler__start(&t->smp, t->interval, env->duration, SAMPLER_TOTAL);
	if (err) {
		fprintf(stderr, "skbtop: failed to read maps: %s\n", strerror(-err));
		ret = EXIT_FAIL;
		goto out;
	}
	/* per-CPU histories for Enter on a CPU row (none if out of memory: no graph) */
	t->cpu_hist = calloc(t->smp.prev.ncpus ? t->smp.prev.ncpus : 1, sizeof(*t->cpu_hist));
	for (__u32 c = 0; t->cpu_hist && c < t->smp.prev.ncpus; c++)
		tui_history__init_cpu(&t->cpu_hist[c], &t->ctx, (int)c);

	/* newterm() returns NULL on an unusable terminal, where initscr() would exit */
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		ret = -1;	/* the caller falls back to text */
		goto out;
	}
	log_verbose = env->probe_opts.verbose;
	old_print = libbpf_set_print(tui_libbpf_print);
	sess->on_warning = tui_warning;
	sess->warning_arg = t;
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	init_colors(t);

	draw(t);
	while (!t->quit) {
		if (sampler__wait(&t->smp, &idle) == SAMPLER_STOPPED || t->quit)
			break;
		/* -d ends the screen as it ends --text (a pause does not stop its clock) */
		if (t->smp.end_ns && now_ns(CLOCK_MONOTONIC) >= t->smp.end_ns)
			break;
		if (t->paused) {
			sampler__skip(&t->smp);
			continue;
		}
		err = data_refresh(t);
		if (err) {
			tui_log("skbtop: failed to read maps: %s\n", strerror(-err));
			break;
		}
		t->refreshes++;
		note_overhead(t);
		draw(t);
		/* COUNT and -n end the screen as they end --text */
		if ((env->count && t->refreshes >= env->count) ||
		    (!env->count && env->max_iterations && t->refreshes >= env->max_iterations))
			break;
	}

	sess->on_warning = NULL;
	sess->warning_arg = NULL;
	curs_set(1);
	endwin();
	delscreen(scr);
	libbpf_set_print(old_print);
	log_flush();
	tui_table__free(&t->table);
	tui_table__free(&t->table2);
	ret = err ? EXIT_FAIL : EXIT_OK;
out:
	sampler__free(&t->smp);
	free(t->cpu_hist);
	free(t);
	return ret;
}
