/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus text exposition (format 0.0.4) of a cumulative snapshot, for
 * `skbtop export`. Pure rendering: no BPF, no I/O but the FILE it is given,
 * so unit tests feed it synthetic snapshots.
 *
 * Counters are cumulative since skbtop started; the caller keeps the total
 * (first read plus every later delta) and renders it after each read.
 * Families whose probe is not attached are left out, not exposed as zeros;
 * skbtop_probe_info says which probes run and in which mode.
 */
#ifndef SKBTOP_METRICS_H
#define SKBTOP_METRICS_H

#include <stdio.h>
#include "snapshot.h"
#include "view.h"

#define METRICS_DEFAULT_LIMIT	50	/* --queues / --locations without a number */
#define METRICS_DEFAULT_CPUS	8	/* export without --top-cpus or --per-cpu */
#define METRICS_MAX_LIMIT	1000

/* Content-Types of the two formats this renders (a scraper's Accept picks one). */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct metrics_opts {
	long queues;		/* per-queue series: 0 off, else at most this many queues */
	long locations;		/* per-location drop series: 0 off, else at most this many */
	long cpus;		/* per-CPU series: 0 one per CPU, else at most this many
				 * CPUs per family plus cpu="other" for the rest */
};

/*
 * Which label sets got their own series. Bounded series are admitted in
 * order of count the first time they are seen while there is room, and
 * then kept for the life of the process; later keys go to one "other"
 * series. Membership never changes once full, so "other" stays monotonic.
 */
struct metrics_keyset {
	char **keys;		/* label strings, as rendered */
	size_t n;
	size_t cap;
};

/*
 * The process_* families of the Prometheus client conventions, read by the
 * exporter from /proc/self before a render; 0: not read, no family.
 */
struct metrics_process {
	double start_time_s;		/* process_start_time_seconds (since the epoch) */
	__u64 resident_bytes;		/* process_resident_memory_bytes */
	__u64 open_fds, max_fds;	/* process_open_fds, process_max_fds */
};

struct metrics {
	struct metrics_opts opts;
	struct metrics_keyset locations;
	struct metrics_keyset queues;
	struct metrics_keyset *cpus;	/* with opts.cpus: one set per family of CPU fields,
					 * then one for skbtop_drops_total */
	struct metrics_process proc;
};

void metrics__init(struct metrics *m, const struct metrics_opts *opts);
void metrics__free(struct metrics *m);

/*
 * Write every family for the cumulative snapshot `total`. Names of drop
 * reasons and locations come from ctx; ctx->probes (NULL: all live) decides
 * which families exist. Returns 0 or -ENOMEM / -EIO.
 */
int metrics__render(struct metrics *m, FILE *f, const struct snapshot *total,
		    const struct view_ctx *ctx);
/*
 * The same in the OpenMetrics 1.0 text format: counter families named
 * without their _total suffix, and "# EOF" last.
 */
int metrics__render_openmetrics(struct metrics *m, FILE *f, const struct snapshot *total,
				const struct view_ctx *ctx);

/* Escape a label value into buf (control bytes as the text \\xHH, then \\ and \"); returns buf. */
const char *metrics__escape(const char *s, char *buf, size_t len);

#endif /* SKBTOP_METRICS_H */
