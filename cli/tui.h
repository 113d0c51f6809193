/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live screen's model: filters and the tables the panels show, built
 * from one interval delta and one total (since start or the last `z`).
 * Nothing here touches curses, so the same code can be tested on
 * synthetic snapshots.
 */
#ifndef SKBTOP_TUI_H
#define SKBTOP_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include "snapshot.h"
#include "view.h"

#define TUI_MAXCOLS	20
#define TUI_CELL	40
#define TUI_MAXCPUS	4096

/* `f` filter: a CPU list, a device name, a reason substring; all optional. */
struct tui_filter {
	bool has_cpus;
	unsigned char cpus[TUI_MAXCPUS / 8];	/* bitmap */
	char dev[SKBTOP_IFNAMSIZ];
	char reason[64];
	char text[128];				/* as typed, for the header */
};

/*
 * Parse "cpu:0-3,5 dev:tap0 reason:RCVBUF"; bare words are a CPU list when
 * they look like one, else a device or reason substring (either matches).
 * Empty input clears the filter. Returns 0, or -EINVAL with a message.
 */
int tui_filter__parse(struct tui_filter *f, const char *in, char *err, size_t errlen);
bool tui_filter__cpu(const struct tui_filter *f, __u32 cpu);
bool tui_filter__dev(const struct tui_filter *f, const char *ifname);
bool tui_filter__reason(const struct tui_filter *f, const char *reason_name);
bool tui_filter__empty(const struct tui_filter *f);

struct tui_col {
	const char *head;
	int width;
	bool left;		/* left-aligned text (labels) */
};

struct tui_row {
	char cell[TUI_MAXCOLS][TUI_CELL];
	double key[TUI_MAXCOLS];	/* sort keys; NaN for '-' */
	__u64 id;			/* what Enter acts on (reason value, CPU) */
	bool alert;			/* highlight (drops, short bulk calls) */
};

struct tui_table {
	const struct tui_col *cols;
	int ncols;
	bool hide[TUI_MAXCOLS];		/* columns not drawn: unmeasured, or no room */
	struct tui_row *rows;
	size_t n, cap;
	struct tui_row sum;		/* a totals row drawn under the others */
	bool has_sum;
};

/* Append an empty row; NULL on -ENOMEM. */
struct tui_row *tui_table__add(struct tui_table *t);
void tui_table__reset(struct tui_table *t);
void tui_table__free(struct tui_table *t);
/* Is column c drawn (built, not hidden)? */
static inline bool tui_col_shown(const struct tui_table *t, int c)
{
	return c >= 0 && c < t->ncols && !t->hide[c];
}
/* Sort by column col: the first column ascending, the others descending. */
void tui_table__sort(struct tui_table *t, int col);

/* What the tables are built from. */
struct tui_data {
	const struct snapshot *delta;	/* last interval: rates */
	const struct snapshot *total;	/* since start or `z`: counts */
	const struct view_ctx *ctx;
	const struct tui_filter *filter;
	bool totals;			/* `t`: show totals instead of rates */
	int width;			/* screen columns: lowest-priority columns give way; 0 all */
	bool all_cols;			/* `a`: show columns whose field is unmeasured too */
};

/* Format helpers: 3 significant digits with k/M/G/T, at most 5 characters; "-" for NaN. */
void tui_fmt_count(char *buf, size_t len, double v);
void tui_fmt_rate(char *buf, size_t len, double v);

/* Panel tables. cols/ncols are set by the builders. */
int tui_build_cpus(struct tui_table *t, const struct tui_data *d);
int tui_build_queues(struct tui_table *t, const struct tui_data *d);
int tui_build_drops(struct tui_table *t, const struct tui_data *d);
/* Drill-down of one reason: by location, and by CPU. */
int tui_build_drop_locations(struct tui_table *t, const struct tui_data *d, __u32 reason);
int tui_build_drop_cpus(struct tui_table *t, const struct tui_data *d, __u32 reason);
/*
 * Drop rows (devices, locations) are summed over CPUs; only the per-CPU
 * counts by reason split them, and they have no device. True when a CPU
 * filter is set and the table shown (the drill-down's locations, or
 * reasons under a dev: filter) is counted over all CPUs. (The drill-down's
 * CPU table is over all devices under a dev: filter.)
 */
bool tui_drops_cpu_filter_ignored(const struct tui_data *d, bool drill);

/*
 * History: rates of the last TUI_HIST intervals, a ring the screen draws as
 * sparklines and graphs. Each series is a field of the registry; one whose
 * field is not measured is not kept (measured false). A history follows all
 * CPUs (the headline strip), one CPU, or one tun/tap queue (Enter on a row).
 */
#define TUI_HIST	120
#define TH_MAX		6
enum { TH_DROPS, TH_KICKS, TH_IPIS, TH_BULK, TH_HIT, TH_N };	/* the headline series */

struct tui_history {
	const struct field *f[TH_MAX];	/* drops, defer_kicks_sent, ... */
	bool measured[TH_MAX];
	int nseries;
	int cpu;			/* the CPU followed; -1: all CPUs */
	bool queue;			/* following the queue qkey (queue fields) */
	struct queue_key qkey;
	double v[TH_MAX][TUI_HIST];	/* per second (hit rate: percent); NaN: no value */
	int n, head;			/* values kept; the next slot */
};

/* Empty, with the headline series of all CPUs and whether ctx's probes measure them. */
void tui_history__init(struct tui_history *h, const struct view_ctx *ctx);
/* The same series for one CPU. */
void tui_history__init_cpu(struct tui_history *h, const struct view_ctx *ctx, int cpu);
/* The first TH_MAX measured count fields of a queue, by screen priority. */
void tui_history__init_queue(struct tui_history *h, const struct view_ctx *ctx,
			     const struct queue_key *key);
/* Add one interval (its delta; a queue without a row in it had no events). */
void tui_history__push(struct tui_history *h, const struct snapshot *delta);
/* The value of series k i intervals ago (0: the last); NaN if none. */
double tui_history__get(const struct tui_history *h, int k, int i);
/*
 * Series k over the last width intervals as a sparkline, oldest first, one
 * character an interval from " .:-=+*#" (blank: zero or none; '#': the
 * largest in the window), right-aligned in width. out holds width + 1.
 */
void tui_history__spark(const struct tui_history *h, int k, int width, char *out);
/*
 * Series k over the last width intervals as a bar graph of height rows:
 * rows[r] (r = 0 the top row, each width + 1 bytes) gets '#' where the
 * interval's bar reaches that row, ' ' elsewhere; bars are scaled to max,
 * the largest value in the window, which is returned (0: none).
 */
double tui_history__graph(const struct tui_history *h, int k, int width, int height, char **rows);

/* Is the probe of this name attached (not unavailable or disabled)? */
bool tui_probe_live(const struct view_ctx *ctx, const char *name);
enum probe_mode tui_probe_mode(const struct view_ctx *ctx, const char *name);

#endif /* SKBTOP_TUI_H */
