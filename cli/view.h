/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Views over one delta (or a total): plain text and JSON. Names come through
 * the context, so the same code runs on live data (kallsyms, kernel BTF) and
 * on recorded data (the name tables stored in a capture file).
 */
#ifndef SKBTOP_VIEW_H
#define SKBTOP_VIEW_H

#include <stdbool.h>
#include <stdio.h>
#include "jsonw.h"
#include "snapshot.h"
#include "probes.h"

struct view_ctx {
	const char *(*reason_name)(const struct view_ctx *ctx, __u32 reason, char *buf, size_t len);
	const char *(*location_name)(const struct view_ctx *ctx, __u64 addr, char *buf, size_t len);
	void *priv;
	const struct probe_status *probes;	/* [nprobes] */
	size_t nprobes;
	bool per_cpu;		/* text: one row per CPU, not only the total */
	bool prog_stats;	/* BPF run-time stats on: progs' run_ns and run_cnt measured */
	int top;		/* text: rows of drops to show */
	const char *na;		/* text: an unmeasured value in the TUN_SENDMSG table
				 * (NULL: "-"; report: "n/a") */
};

/* The name of a drop location; "-" for 0 (counted without locations: no -L). */
const char *view_location(const struct view_ctx *ctx, __u64 addr, char *buf, size_t len);

/*
 * The NAPI cache hit rate of c, hits / gets, into *rate (0..1): false when
 * the cache_get probe measured no hits (unavailable, or a gets-only mode)
 * or there were no gets. probes NULL: synthetic data, everything measured.
 */
bool cache_hit_rate(const struct probe_status *probes, size_t nprobes,
		    const struct cpu_counters *c, double *rate);


/*
 * tun_sendmsg() latency histograms (struct sendmsg_hist: SKBTOP_LAT_SLOTS
 * log2-ns buckets). A batch class's name: "plain", "0", "1", "2-3", ...,
 * "64-127", "128+" (NULL out of range).
 */
const char *sendmsg_batch_name(__u32 batch);
/* Calls in a histogram. */
__u64 hist_count(const __u64 *h, int n);
/*
 * The bucket holding the p-quantile (0 < p <= 1) of the calls, the
 * smallest b whose cumulative count reaches ceil(p x count); -1 when empty.
 */
int hist_quantile_bucket(const __u64 *h, int n, double p);
/* Highest non-empty bucket; -1 when empty. */
int hist_max_bucket(const __u64 *h, int n);
/*
 * A bucket's bound in ns for the quantiles of -j: its upper bound 2^b - 1
 * (0 for bucket 0); the open last bucket (n - 1) gives its lower bound 2^(n-2).
 */
__u64 hist_bucket_ns(int b, int n);
/* Text: "0", "<1.0us" (below the bucket's exclusive upper bound 2^b), ">=1.07s" (last). */
void hist_bucket_text(char *buf, size_t len, int b, int n);
/* The sendmsg rows of queue q (contiguous: rows are sorted by key): first index, count. */
size_t sendmsg_rows_of(const struct snapshot *s, const struct queue_key *q, size_t *first);

/* first, then text wrapped at width columns, continuation lines indented as far. */
void view_wrap(FILE *f, const char *first, const char *text, size_t width);

void view_text(FILE *f, const struct snapshot *d, const struct view_ctx *ctx);
/* One softirq_where task row as a JSON object ({"comm", "pid", "tgid", "cpu",
 * "net_rx", "net_tx", "net_rx_ns", "net_tx_ns"}); skip_zero leaves zero
 * counts out (captures). -j and captures share it. */
struct sirq_task_row;
void sirq_task_json(struct jsonw *w, const struct sirq_task_row *t, bool skip_zero);

/* The delta as one JSON object (the -j record of an interval). */
void view_json_write(struct jsonw *w, const struct snapshot *d, const struct view_ctx *ctx);
/* The probe table as a JSON array / text. */
void view_probes_write(struct jsonw *w, const struct probe_status *p, size_t n);
void view_probes_text(FILE *f, const struct probe_status *p, size_t n);

#endif
