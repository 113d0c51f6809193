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
#define METRICS_MAX_LIMIT	1000

/* Content-Type of the text exposition format this renders. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_opts {
	long queues;		/* per-queue series: 0 off, else at most this many queues */
	long locations;		/* per-location drop series: 0 off, else at most this many */
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

struct metrics {
	struct metrics_opts opts;
	struct metrics_keyset locations;
	struct metrics_keyset queues;
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

/* Escape a label value into buf (control bytes as the text \\xHH, then \\ and \"); returns buf. */
const char *metrics__escape(const char *s, char *buf, size_t len);

#endif /* SKBTOP_METRICS_H */
