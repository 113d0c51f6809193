/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The field registry: every value skbtop shows, with all of its facts in
 * one row (htop's Process_fields[] is the model). Text, -j, the screen,
 * captures, report, diff and /metrics iterate these tables; none names a
 * field by hand. A field is measured when its probe is attached in a mode
 * that declares the capabilities it needs (probe_status.caps); a value
 * nothing measured is printed as '-', null or n/a, never 0.
 */
#ifndef SKBTOP_FIELDS_H
#define SKBTOP_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "skbtop.h"

struct probe_status;

enum field_kind {
	FIELD_COUNT,	/* the __u64 at offset */
	FIELD_DIFF,	/* offset minus offset2 (never below 0) */
	FIELD_RATIO,	/* offset / offset2; no value when offset2 is 0 */
	FIELD_KICKS,	/* a count userspace fills from the kick matrix
			 * (snapshot__fill_ipis_recv): not stored in captures */
	FIELD_GAUGE,	/* a level read at each refresh, not a count: a delta and
			 * a sum of deltas keep the latest level, never a
			 * difference; the total over CPUs is their sum; no rate;
			 * /metrics family skbtop_<metric> of type gauge; not in
			 * captures (their probe tables drop PROBE_CAP_LEVEL) */
	FIELD_HIST,	/* a log2 histogram, not a count: its own rows and views
			 * (hist_fields; offset into struct sendmsg_hist) */
};

struct field {
	const char *name;	/* JSON and capture key, diff and report row */
	const char *metric;	/* /metrics family skbtop_<metric>_total (a gauge:
				 * skbtop_<metric>); NULL: none */
	const char *title;	/* column title in --text and on the screen (<= 6 chars); NULL: none */
	const char *group;	/* cache, slab, bulk, build, consume, defer, drops, tun, health */
	const char *probe;	/* the probe that feeds it; NULL: skbtop's own, always measured */
	const char *probe2;	/* a second probe it needs too (per-queue attribution) */
	unsigned int need;	/* PROBE_CAP_* bits the probe's mode must declare */
	enum field_kind kind;
	size_t offset, offset2;	/* into struct cpu_counters / queue_counters */
	int text;		/* column order in the --text table; 0: not a column */
	int screen;		/* column order on the screen; 0: not a column */
	int prio;		/* screen: columns dropped first when narrow have the highest */
	const char *unit;
	const char *help;
};

#define FIELDS_MAX 96	/* rows in any one table (checked in fields.c) */

extern const struct field cpu_fields[];
extern const size_t cpu_nfields;
extern const struct field queue_fields[];
extern const size_t queue_nfields;
extern const struct field kick_fields[];	/* offsets into struct kick_cell */
extern const size_t kick_nfields;
extern const struct field hist_fields[];	/* FIELD_HIST: histograms with rows of their own */
extern const size_t hist_nfields;

/* Is f measured under this probe table? probes NULL: synthetic data, all measured. */
bool field_measured(const struct field *f, const struct probe_status *probes, size_t nprobes);
/* f's value in c (a struct cpu_counters, queue_counters or kick_cell): false when it has none. */
bool field_value(const struct field *f, const void *c, double *v);
/* FIELD_COUNT and FIELD_DIFF: the count. */
__u64 field_count(const struct field *f, const void *c);
/* The row named name in fields[n], or NULL. */
const struct field *field_find(const struct field *fields, size_t n, const char *name);

/*
 * The --text (screen false) or screen columns of fields[n] in their order
 * (orders are 1, 2, ... without gaps) into out[max]; returns how many.
 */
size_t field_columns(const struct field *fields, size_t n, bool screen, const struct field **out,
		     size_t max);

/* Names of the PROBE_CAP_* bits, for -j, captures and the man page. */
struct cap_name {
	unsigned int bit;
	const char *name;
	const char *help;
};
extern const struct cap_name probe_cap_names[];
extern const size_t probe_ncap_names;

#endif /* SKBTOP_FIELDS_H */
