/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture files: a versioned JSON document holding the environment, the
 * probe table, every per-interval delta and their totals, and the names of
 * every drop reason and location the deltas mention, so `report` and `diff`
 * need no kernel. The format is documented in man/capture-format.md.
 *
 * Nothing here touches BPF: the writer takes deltas the caller read, the
 * reader rebuilds a totals snapshot that the ordinary views render.
 * capture_env.c collects the environment and frees; capture_write.c
 * writes (through jsonw.c); capture_read.c reads, streaming the samples.
 */
#ifndef SKBTOP_CAPTURE_H
#define SKBTOP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "snapshot.h"
#include "probes.h"
#include "view.h"

#define CAPTURE_FORMAT		"skbtop-capture"
#define CAPTURE_VERSION_MAJOR	1	/* incompatible changes: readers refuse a newer major */
#define CAPTURE_VERSION_MINOR	6	/* additions only: older readers ignore unknown keys */

/* The sysctls every capture records, in this order. */
#define CAPTURE_NSYSCTLS	6
extern const char *const capture_sysctl_names[CAPTURE_NSYSCTLS];

/* Reader limits: a hostile file is refused before it can cost much. */
struct capture_limits {
	size_t max_bytes;		/* file size */
	__u32 max_ncpus;
	size_t max_samples;
	size_t max_rows;		/* drop/queue/kick/cpu/prog rows in one sample */
	size_t max_total_rows;		/* the same, summed over the file */
	size_t max_names;		/* entries in each name table */
	int max_depth;			/* JSON nesting */
};
extern const struct capture_limits capture_default_limits;

struct capture_env {
	char *kernel_release;		/* uname -r */
	char *kernel_version;		/* uname -v */
	char *kernel_cmdline;		/* /proc/cmdline */
	char *cpu_model;		/* /proc/cpuinfo "model name" */
	char *hostname;
	__u32 ncpus;			/* possible CPUs, as the probes size their maps */
	char *sysctls[CAPTURE_NSYSCTLS];	/* value text, NULL when unreadable */
};

struct capture_name {
	__u64 key;			/* reason id or location address */
	char *name;
};

struct capture_reason_count {
	__u32 reason;
	__u64 count;
};

/* One interval as diff needs it: sums over CPUs, drops per reason, queues. */
struct capture_sample {
	__u64 time_ns;			/* CLOCK_REALTIME at the end of the interval */
	__u64 interval_ns;		/* length of the interval */
	__u64 user_cpu_ns;
	struct cpu_counters sum;	/* every CPU's counters added */
	struct capture_reason_count *drops;	/* sorted by reason, one row per reason */
	size_t ndrops;
	struct queue_row *queues;	/* sorted by key, one row per key */
	size_t nqueues;
	__u64 sendmsg_calls;		/* 1.6: calls in its tun_sendmsg() latency rows */
};

struct capture {
	unsigned int major, minor;	/* file version */
	char *skbtop_version;
	struct capture_env env;
	struct probe_status *probes;	/* strings owned by the capture */
	size_t nprobes;
	char **argv;			/* CMD, NULL-terminated; argc 0 when none */
	int argc;
	int exit_status;		/* shell style: code, or 128 + signal; -1 unknown */
	int term_signal;		/* signal that ended CMD, 0 if it exited */
	__u64 start_ns, end_ns;		/* CLOCK_REALTIME */
	__u64 interval_ns;		/* requested interval */
	struct capture_name *reasons;	/* sorted by key */
	size_t nreasons;
	struct capture_name *locations;	/* sorted by key */
	size_t nlocations;
	struct capture_sample *samples;	/* NULL when read by capture__read_each() */
	size_t nsamples;
	struct snapshot totals;		/* every sample added; totals.ncpus == env.ncpus */
};

void capture__free(struct capture *cap);

/* Fill env from this host (uname, /proc). ncpus is the caller's. 0 or -ENOMEM. */
int capture_env__collect(struct capture_env *env, __u32 ncpus);
/* Copy a probe table into cap (strings duplicated). 0 or -ENOMEM. */
int capture__set_probes(struct capture *cap, const struct probe_status *p, size_t n);
/* Copy CMD into cap. 0 or -ENOMEM. */
int capture__set_command(struct capture *cap, char **argv, int argc);

/*
 * Writer: add deltas as they are read; each is serialised at once into a
 * spool file (unlinked, so nothing is left behind), so memory stays flat
 * however long the recording runs: only the running totals stay in memory.
 * Then write the document: its header, names and totals, and the spooled
 * samples copied in. Names for every reason and location in the totals
 * come from the names context (the live kernel when recording).
 */
struct jsonw;
struct capture_writer {
	FILE *spool;		/* the samples so far, as comma-separated JSON objects */
	struct jsonw *jw;
	struct snapshot totals;
	size_t nsamples;
};

/*
 * spool_near: the spool is created beside this path (the output file, on
 * the filesystem that will hold the capture), else in $TMPDIR. 0 or -errno.
 */
int capture_writer__init(struct capture_writer *w, __u32 ncpus, const char *spool_near);
/*
 * -EPROTO: d's per-CPU drop counts by reason do not add up to its drop rows
 * (the collector was not asked for them): the interval is not written.
 */
int capture_writer__add(struct capture_writer *w, const struct snapshot *d);
/* The whole document to out; meta supplies everything but samples, totals and names. */
int capture_writer__write(struct capture_writer *w, const struct capture *meta,
			  const struct view_ctx *names, FILE *out);
/* The same, to path atomically and durably (outfile__write in files.h). */
int capture_writer__write_file(struct capture_writer *w, const struct capture *meta,
			       const struct view_ctx *names, const char *path, char *err,
			       size_t errlen);
void capture_writer__free(struct capture_writer *w);

/*
 * Read and validate a capture. Every failure (I/O, not JSON, truncated,
 * newer major version, wrong types, out-of-range values, limits) returns
 * -errno with a one-line message in err and leaves cap empty.
 * lim NULL: capture_default_limits. capture__read() and capture__parse()
 * (the text in memory) keep every sample in cap->samples.
 */
int capture__read(const char *path, struct capture *cap, const struct capture_limits *lim,
		  char *err, size_t errlen);
int capture__parse(const char *buf, size_t len, struct capture *cap,
		   const struct capture_limits *lim, char *err, size_t errlen);
/*
 * Streaming: each sample, once validated, is given to fn (which may be NULL)
 * with the capture's header already read (environment, probes, names), then
 * freed; cap->samples stays NULL and cap->nsamples counts them. The file's
 * text is never held whole. fn returns 0 or -errno (which ends the read).
 */
typedef int (*capture_sample_fn)(void *arg, const struct capture *cap,
				 const struct capture_sample *s);
int capture__read_each(const char *path, struct capture *cap, const struct capture_limits *lim,
		       capture_sample_fn fn, void *arg, char *err, size_t errlen);

/* A view context whose names come from the capture's tables. */
void capture__view_ctx(const struct capture *cap, struct view_ctx *ctx);
/* Names through the capture's tables ("UNKNOWN(n)", "0x..." when absent). */
const char *capture__reason_name(const struct capture *cap, __u32 id, char *buf, size_t len);
const char *capture__location_name(const struct capture *cap, __u64 addr, char *buf, size_t len);

/* Total recorded time in seconds (sum of sample intervals). */
double capture__seconds(const struct capture *cap);

/* ---- diff (diff.c): two captures, metric by metric ---- */

#include "stats.h"

#define DIFF_ALPHA		0.01	/* p below this: a real difference ... */
#define DIFF_MIN_CHANGE		1.0	/* ... if the means differ by at least this % */
#define DIFF_STRONG_ALPHA	0.001	/* '++'/'--': p below this ... */
#define DIFF_STRONG_CHANGE	10.0	/* ... and at least this % */
#define DIFF_TEXT_WIDTH		72	/* text mode: pastes into a mail reply */

struct diff_row {
	char name[112];		/* "defer_kicks_sent", "drop:SOCKET_RCVBUFF", "tap0/tx1:builds" */
	const char *kind;	/* "counter", "drop", "queue", "ratio" */
	const char *unit;	/* "/s" (mean of per-interval rates) or "%" */
	double before, after;	/* means over the intervals */
	__u64 before_total, after_total;	/* counts over the whole capture (counters) */
	double change_pct;	/* NAN when before is 0 */
	struct welch w;
	bool before_na, after_na;	/* the probe feeding it was not attached */
	char verdict[4];	/* "~", "+", "++", "-", "--", "new", "?" */
};

/*
 * tun_sendmsg() latency of one (queue, batch class) in either capture, from
 * their totals: side by side, no noise test (a histogram, not a rate).
 */
struct diff_lat_row {
	struct sendmsg_key key;
	struct sendmsg_hist before, after;
	bool before_na, after_na;	/* that capture has no histogram (before 1.6, no probe) */
};

struct diff_result {
	struct diff_row *rows;
	size_t nrows;
	struct diff_lat_row *lat;	/* in key order */
	size_t nlat;
	size_t nzero;		/* metrics zero in both captures, left out */
	size_t nunmeasured;	/* metrics no probe measured in either capture, left out */
	char **warnings;
	size_t nwarnings;
	size_t nsamples_before, nsamples_after;	/* intervals the test used */
	double seconds_before, seconds_after;
};

/*
 * One capture's per-interval statistics, fed its samples one at a time
 * (diff_side__add is a capture_sample_fn for capture__read_each): memory
 * per metric, not per sample. Then compared with the other side's.
 */
struct diff_side;
struct diff_side *diff_side__new(void);
int diff_side__add(void *side, const struct capture *cap, const struct capture_sample *s);
void diff_side__free(struct diff_side *sd);
int diff__compare_sides(const struct capture *before, struct diff_side *before_side,
			const struct capture *after, struct diff_side *after_side,
			struct diff_result *r);
/* The same for captures read with their samples (capture__read, capture__parse). */
int diff__compare(const struct capture *before, const struct capture *after,
		  struct diff_result *r);
void diff__free(struct diff_result *r);
const struct diff_row *diff__find(const struct diff_result *r, const char *name);
void diff__text(FILE *f, const struct diff_result *r, const char *bname, const char *aname);
void diff__markdown(FILE *f, const struct diff_result *r, const char *bname, const char *aname);
json_t *diff__json(const struct diff_result *r, const char *bname, const char *aname);

/* report.c: one capture summarised; fmt "text", "json" or "markdown". */
int report__print(FILE *f, const struct capture *cap, const char *path, const char *fmt);
/* Operands and a trailing --format of report/diff: operand count, or -1 (message printed). */
struct env;
int report__args(struct env *env, const char **pos, int max);

#endif /* SKBTOP_CAPTURE_H */
