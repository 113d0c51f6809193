// SPDX-License-Identifier: GPL-2.0
/*
 * refresh: user-space cost of one skbtop refresh over synthetic maps, with
 * no BPF and no root. The real collector (cli/collect.c) reads synthetic
 * map contents, a batch at a time as cli/probes.c hands them over (per-CPU
 * drop keys x CPUs values, as bpf_map_lookup_batch returns them), and the
 * real sampler (cli/sampler.c) rotates the snapshots as every mode does;
 * then the views run. Timed, for one interval:
 *
 *   read   collector__read(): map contents -> snapshot rows (filling the
 *          buffers, which stands in for the kernel's copy, is not counted)
 *   delta  the rest of sampler__step(): snapshot__delta(prev, cur), and
 *          with -S the total's snapshot__accumulate()
 *   json   view_json_write() to /dev/null (skbtop --text -j)
 *   text   view_text() to /dev/null     (skbtop --text)
 *
 * -S: the live screen's interval instead (cli/tui.c): its sampler keeps a
 * total since start, and it builds the CPU, queue and drop panels and a
 * drop drill-down (cli/tui_model.c); "screen" is those.
 *
 * Several refreshes run back to back, the sampler reusing its snapshots'
 * storage as the live loop does; reports the median CPU time of each phase
 * and the peak RSS.
 *
 *   refresh [-c CPUS] [-k DROP_KEYS] [-q QUEUE_KEYS] [-f FILL] [-n REFRESHES]
 *
 * FILL is the fraction of (key, CPU) cells with a non-zero count: 1 is the
 * worst case (every key seen on every CPU). Drop keys are reason slots of
 * the drop_reasons array with -R (at most SKBTOP_DROP_REASON_SLOTS), else
 * keys of the -L drop hash. Drop rows are one per key, summed over CPUs;
 * unless -s, each key's per-CPU values are also added to its reason's
 * per-CPU counts, as -C, the screen and record ask.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "collect.h"
#include "sampler.h"
#include "snapshot.h"
#include "tui.h"
#include "view.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* names copied from a table into buf, as reasons__name() copies a core reason's */
static char reason_names[SKBTOP_DROP_REASON_SLOTS][24];

static const char *dummy_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	size_t n;

	if (r >= SKBTOP_DROP_REASON_SLOTS || !len) {
		snprintf(buf, len, "REASON_%u", r);
		return buf;
	}
	n = strnlen(reason_names[r], len - 1);
	memcpy(buf, reason_names[r], n);
	buf[n] = '\0';
	return buf;
}

static const char *dummy_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	snprintf(buf, len, "func_%llx+0x%llx", (unsigned long long)(a >> 12),
		 (unsigned long long)(a & 0xfff));
	return buf;
}

struct shape {
	__u32 ncpus, nkeys, nqueues;
	double fill;
	bool summed;	/* no per-CPU counts by reason (no -C) */
};

/* Deterministic per-cell pseudo-random numbers. */
static __u64 mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

/* A /dev/null that counts what it is given. */
static size_t sink_bytes;

static ssize_t sink_write(void *cookie, const char *buf, size_t len)
{
	sink_bytes += len;
	return len;
}

static double fill_ms;	/* time spent standing in for the kernel's copy: not counted */


static __u64 cell(const struct shape *sh, __u32 k, __u32 cpu)
{
	__u64 r = mix((__u64)k << 32 | cpu);

	return (r & 0xffff) < sh->fill * 65536 ? 1 + (r >> 48) : 0;
}

/* The synthetic maps: what each collector read is handed. */
struct synth {
	const struct shape *sh;
	bool reasons_only;		/* drop keys are reason slots (-R) */
	const struct drop_key *keys;
	const struct queue_key *qkeys;
	struct cpu_counters *cbuf;	/* the drops object's cpu_counters, per CPU */
	struct kick_cell *kbuf;		/* the kick matrix, [target][sender] */
	__u64 *vbuf;			/* one batch of drop values */
	struct queue_counters *qbuf;	/* one batch of queue values */
	__u64 gen;			/* reads so far: counts grow with it */
	struct collector col;
	double read_ms;			/* the last read, its fill excluded */
};

/* One key of a per-CPU array: a copy of the contents made for this read. */
static int synth_lookup(void *arg, enum collect_map m, __u32 key, void *vals)
{
	struct synth *sy = arg;
	__u32 n = sy->sh->ncpus;

	if (m == CM_KICKS)
		memcpy(vals, &sy->kbuf[(size_t)key * n], n * sizeof(*sy->kbuf));
	else if (m == CM_DROPS_CPU)	/* the drops object's counts; the others' zero */
		memcpy(vals, sy->cbuf, n * sizeof(*sy->cbuf));
	else
		memset(vals, 0, n * sizeof(*sy->cbuf));
	return 0;
}

/* The per-CPU arrays' contents for this read (not counted: the kernel's side). */
static void synth_fill_arrays(struct synth *sy)
{
	__u32 n = sy->sh->ncpus;
	double t = cpu_ms();

	for (__u32 c = 0; c < n; c++)
		for (size_t w = 0; w < sizeof(*sy->cbuf) / 8; w++)
			((__u64 *)&sy->cbuf[c])[w] = sy->gen * (c + w);
	/* kick matrix cells are as sparse as the drop cells; key: the target */
	for (__u32 tg = 0; tg < n; tg++)
		for (__u32 c = 0; c < n; c++) {
			size_t i = (size_t)c * n + tg;
			struct kick_cell *k = &sy->kbuf[(size_t)tg * n + c];

			memset(k, 0, sizeof(*k));
			if ((mix(i ^ 0x5bd1e995) & 0xffff) < sy->sh->fill * 65536)
				k->queued = k->kicks = k->ipis = sy->gen * (1 + (i & 7));
		}
	fill_ms += cpu_ms() - t;
}

/*
 * A per-CPU map a batch at a time (snapshot_batch_keys(), as cli/probes.c),
 * in buffers of the size cli/probes.c uses; filling a buffer stands in for
 * the syscall's copy and is not counted.
 */
static int synth_walk(void *arg, enum collect_map m, collect_row_fn row, struct collector *col,
		      struct snapshot *s)
{
	struct synth *sy = arg;
	const struct shape *sh = sy->sh;
	bool queues = m == CM_DROPS_QUEUES;
	__u32 nkeys = queues ? sh->nqueues : sh->nkeys;
	__u32 batch = snapshot_batch_keys(sh->ncpus * (queues ? sizeof(*sy->qbuf) : sizeof(__u64)));
	int err = 0;

	for (__u32 k0 = 0; k0 < nkeys && !err; k0 += batch) {
		__u32 n = nkeys - k0 < batch ? nkeys - k0 : batch;
		double t = cpu_ms();

		for (__u32 i = 0; i < n; i++)
			for (__u32 c = 0; c < sh->ncpus; c++) {
				size_t at = (size_t)i * sh->ncpus + c;

				if (queues) {
					memset(&sy->qbuf[at], 0, sizeof(*sy->qbuf));
					sy->qbuf[at].consumes = (k0 + i + c) * sy->gen;
				} else {
					sy->vbuf[at] = cell(sh, k0 + i, c) * sy->gen;
				}
			}
		fill_ms += cpu_ms() - t;
		for (__u32 i = 0; i < n && !err; i++) {
			__u32 slot = k0 + i;

			if (queues)
				err = row(col, s, &sy->qkeys[k0 + i], &sy->qbuf[(size_t)i * sh->ncpus]);
			else
				err = row(col, s, sy->reasons_only ? (const void *)&slot
								   : (const void *)&sy->keys[k0 + i],
					  &sy->vbuf[(size_t)i * sh->ncpus]);
		}
	}
	return err;
}

static int synth_progs(void *arg, struct snapshot *s)
{
	struct synth *sy = arg;
	int err = 0;

	for (int p = 0; p < 16 && !err; p++) {
		char name[32];

		snprintf(name, sizeof(name), "prog_%d", p);
		err = snapshot__add_prog(s, name, sy->gen * 1000, sy->gen * 10);
	}
	return err;
}

/* The sampler's read: the real collector over the synthetic maps. */
static int synth_read(void *arg, struct snapshot *s)
{
	struct synth *sy = arg;
	struct collect_source src = {
		.maps = 1u << CM_DROPS_CPU | 1u << (sy->reasons_only ? CM_DROP_REASONS : CM_DROP_COUNTS) |
			1u << CM_DROPS_QUEUES | 1u << CM_DEFER_CPU | 1u << CM_KICKS |
			1u << CM_ALLOC_CPU | 1u << CM_CONSUME_CPU,
		.lookup = synth_lookup, .walk = synth_walk, .progs = synth_progs, .arg = sy,
	};
	double t = cpu_ms();
	int err;

	fill_ms = 0;
	sy->gen++;
	synth_fill_arrays(sy);
	err = collector__read(&sy->col, &src, s);
	sy->read_ms = cpu_ms() - t - fill_ms;
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int oom(void)
{
	fprintf(stderr, "refresh: out of memory\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct shape sh = { .ncpus = 256, .nkeys = 4096, .nqueues = 1024, .fill = 1.0 };
	struct view_ctx ctx = {
		.reason_name = dummy_reason, .location_name = dummy_location, .top = 10,
	};
	bool reasons_only = false, text_only = false, screen = false;
	struct synth sy = { .sh = &sh };
	struct sampler smp = { .read = synth_read, .arg = &sy };
	struct tui_table tbl = {}, drill = {};
	double t_screen[64];
	int n = 5, c;
	double t_read[64], t_delta[64], t_json[64], t_text[64], t_total[64];
	size_t json_bytes = 0, rows = 0, cpu_cells = 0;
	struct drop_key *keys;
	struct queue_key *qkeys;
	struct rusage ru;
	FILE *devnull;

	while ((c = getopt(argc, argv, "c:k:q:f:n:sRtS")) != -1) {
		switch (c) {
		case 'c': sh.ncpus = atoi(optarg); break;
		case 'k': sh.nkeys = atoi(optarg); break;
		case 'q': sh.nqueues = atoi(optarg); break;
		case 'f': sh.fill = atof(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 's': sh.summed = true; break;
		case 't': text_only = true; break;
		case 'R': reasons_only = true; break;
		case 'S': screen = true; break;
		default:
			fprintf(stderr, "usage: refresh [-c CPUS] [-k KEYS] [-q QUEUES] [-f FILL] [-n N]"
				" [-s] [-R] [-t] [-S]\n"
				"  -s  no per-CPU drops by reason (the text table and -j without -C)\n"
				"  -R  keys are reason slots (the default probe; without -L)\n"
				"  -t  text table only (no -j): peak RSS of a text refresh\n"
				"  -S  the live screen's refresh (its snapshots and panels)\n");
			return 64;
		}
	}
	if (n < 1 || n > 64 || !sh.ncpus || sh.fill < 0 || sh.fill > 1 ||
	    (reasons_only && sh.nkeys > SKBTOP_DROP_REASON_SLOTS))
		return fprintf(stderr, "refresh: bad arguments\n"), 64;
	ctx.per_cpu = !sh.summed;	/* -C: the per-CPU table and -j's drops_by_cpu */

	/* the shape of the maps: what bpf_map_lookup_batch hands over */
	for (__u32 r = 0; r < SKBTOP_DROP_REASON_SLOTS; r++)
		snprintf(reason_names[r], sizeof(reason_names[r]), "REASON_%u", r);
	keys = calloc(sh.nkeys ? sh.nkeys : 1, sizeof(*keys));
	sy.vbuf = calloc((size_t)snapshot_batch_keys(sh.ncpus * sizeof(*sy.vbuf)) * sh.ncpus,
			 sizeof(*sy.vbuf));
	qkeys = calloc(sh.nqueues ? sh.nqueues : 1, sizeof(*qkeys));
	sy.qbuf = calloc((size_t)snapshot_batch_keys(sh.ncpus * sizeof(*sy.qbuf)) * sh.ncpus,
			 sizeof(*sy.qbuf));
	sy.cbuf = calloc(sh.ncpus, sizeof(*sy.cbuf));
	sy.kbuf = calloc((size_t)sh.ncpus * sh.ncpus, sizeof(*sy.kbuf));
	devnull = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = sink_write });
	if (!keys || !sy.vbuf || !qkeys || !sy.qbuf || !sy.cbuf || !sy.kbuf || !devnull ||
	    collector__init(&sy.col, sh.ncpus, !sh.summed))
		return oom();
	sy.keys = keys;
	sy.qkeys = qkeys;
	sy.reasons_only = reasons_only;
	for (__u32 k = 0; k < sh.nkeys && !reasons_only; k++) {
		keys[k].reason = 2 + k % 100;
		keys[k].ifindex = k % 64;
		keys[k].queue = k % 8;
		keys[k].dir = k % 3;
		snprintf(keys[k].ifname, sizeof(keys[k].ifname), "eth%u", k % 64);
		keys[k].location = 0xffffffff81000000ULL + (mix(k) & 0xffffff);
	}
	for (__u32 q = 0; q < sh.nqueues; q++) {
		qkeys[q].ifindex = 1000 + q / 16;
		qkeys[q].queue = q % 16;
		qkeys[q].dir = 1 + q % 2;
		snprintf(qkeys[q].ifname, sizeof(qkeys[q].ifname), "tap%u", q / 16);
	}

	/* the first read; the screen keeps a total since it */
	if (sampler__start(&smp, 1, 0, screen ? SAMPLER_TOTAL : 0))
		return oom();
	for (int i = 0; i < n; i++) {
		double t0 = cpu_ms(), t2, t3, t4;

		if (sampler__step(&smp))
			return oom();
		t2 = cpu_ms();
		t_read[i] = sy.read_ms;
		t_delta[i] = t2 - t0 - sy.read_ms - fill_ms;
		if (screen) {
			struct tui_data td = { .delta = &smp.delta, .total = &smp.total, .ctx = &ctx };

			if (tui_build_cpus(&tbl, &td) || tui_build_queues(&tbl, &td) ||
			    tui_build_drops(&tbl, &td) ||
			    (tbl.n && (tui_build_drop_locations(&drill, &td, tbl.rows[0].id) ||
				       tui_build_drop_cpus(&drill, &td, tbl.rows[0].id))))
				return oom();
			t_screen[i] = cpu_ms() - t2;
		}
		if (!text_only && !screen) {
			struct jsonw w;
			size_t at = sink_bytes;

			jw_init(&w, devnull, 0);
			view_json_write(&w, &smp.delta, &ctx);
			fflush(devnull);
			json_bytes = sink_bytes - at;
		}
		t3 = cpu_ms();
		if (!screen)
			view_text(devnull, &smp.delta, &ctx);
		fflush(devnull);
		t4 = cpu_ms();
		rows = smp.delta.ndrops;
		cpu_cells = snapshot__cpu_drop_cells(&smp.delta);
		t_json[i] = t3 - t2;
		t_text[i] = t4 - t3;
		t_total[i] = t_read[i] + t_delta[i] + t_json[i];	/* one -j refresh */
	}
	getrusage(RUSAGE_SELF, &ru);
	if (screen) {
		printf("{\"screen\":true,\"ncpus\":%u,\"drop_keys\":%u,\"queue_keys\":%u,"
		       "\"fill\":%.3f,\"drop_rows\":%zu,\"cpu_drop_cells\":%zu,\"refreshes\":%d,"
		       "\"read_ms\":%.2f,\"delta_ms\":%.2f,\"screen_ms\":%.2f,"
		       "\"refresh_screen_ms\":%.2f,\"maxrss_kb\":%ld}\n",
		       sh.ncpus, sh.nkeys, sh.nqueues, sh.fill, rows, cpu_cells, n,
		       median(t_read, n), median(t_delta, n), median(t_screen, n),
		       median(t_read, n) + median(t_delta, n) + median(t_screen, n), ru.ru_maxrss);
		goto out;
	}
	printf("{\"text_only\":%s,\"summed\":%s,\"reasons_only\":%s,\"ncpus\":%u,\"drop_keys\":%u,\"queue_keys\":%u,\"fill\":%.3f,\"drop_rows\":%zu,\"cpu_drop_cells\":%zu,"
	       "\"refreshes\":%d,\"read_ms\":%.2f,\"delta_ms\":%.2f,\"json_ms\":%.2f,"
	       "\"text_ms\":%.2f,\"refresh_json_ms\":%.2f,\"refresh_text_ms\":%.2f,"
	       "\"json_bytes\":%zu,\"maxrss_kb\":%ld}\n",
	       text_only ? "true" : "false", sh.summed ? "true" : "false", reasons_only ? "true" : "false",
	       sh.ncpus, sh.nkeys, sh.nqueues, sh.fill, rows, cpu_cells, n, median(t_read, n),
	       median(t_delta, n), median(t_json, n), median(t_text, n), median(t_total, n),
	       median(t_read, n) + median(t_delta, n) + median(t_text, n), json_bytes,
	       ru.ru_maxrss);
out:
	sampler__free(&smp);
	collector__free(&sy.col);
	tui_table__free(&tbl);
	tui_table__free(&drill);
	return 0;
}
