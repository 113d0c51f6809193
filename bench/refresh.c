// SPDX-License-Identifier: GPL-2.0
/*
 * refresh: user-space cost of one skbtop refresh over synthetic maps, with
 * no BPF and no root. Builds the snapshot the collector builds from a
 * batch lookup of a per-CPU drop map (keys x CPUs values, as
 * bpf_map_lookup_batch returns them), then times what one interval does:
 *
 *   read   batch buffers -> snapshot rows (skbtop__read's part after the
 *          syscalls; filling the buffers, the kernel's copy, is not counted)
 *   delta  snapshot__delta(prev, cur)
 *   json   view_json_write() to /dev/null (skbtop --text -j)
 *   text   view_text() to /dev/null     (skbtop --text)
 *
 * -S: the live screen's interval instead (cli/tui.c): it holds seven
 * snapshots (base, prev, delta, total and the three it rotates through),
 * takes a second delta (since start) and builds the CPU, queue and drop
 * panels and a drop drill-down (cli/tui_model.c); "screen" is those.
 *
 * Several refreshes run back to back, rotating prev/cur and reusing their
 * storage as the live loop does; reports the median CPU time of each phase
 * and the peak RSS.
 *
 *   refresh [-c CPUS] [-k DROP_KEYS] [-q QUEUE_KEYS] [-f FILL] [-n REFRESHES]
 *
 * FILL is the fraction of (key, CPU) cells with a non-zero count: 1 is the
 * worst case (every key seen on every CPU). Drop rows are one per key,
 * summed over CPUs; unless -s, each key's per-CPU values are also added to
 * its reason's per-CPU counts, as -C, the screen and record ask.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
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

/*
 * One collector read: cpu counters, kicks, then the per-CPU hash maps a
 * batch at a time (snapshot_batch_keys(), as cli/probes.c), into buffers of
 * the size cli/probes.c uses (filling the buffer stands in for the syscall's copy), turned into
 * rows as drop_row() and queue_row() do.
 */
static int build(struct snapshot *s, const struct shape *sh, const struct drop_key *keys,
		 const struct queue_key *qkeys, __u64 *vbuf, struct queue_counters *qbuf,
		 __u64 gen)
{
	__u32 dbatch = snapshot_batch_keys(sh->ncpus * sizeof(__u64));
	__u32 qbatch = snapshot_batch_keys(sh->ncpus * sizeof(struct queue_counters));
	int err = snapshot__reset(s, sh->ncpus);

	if (err)
		return err;
	s->mono_ns = gen * 1000000000ULL;
	s->real_ns = s->mono_ns;
	for (__u32 c = 0; c < sh->ncpus; c++)
		for (size_t w = 0; w < sizeof(struct cpu_counters) / 8; w++)
			((__u64 *)&s->cpus[c])[w] = gen * (c + w);
	/* kick matrix cells are as sparse as the drop cells */
	for (size_t i = 0; i < (size_t)sh->ncpus * sh->ncpus; i++)
		if ((mix(i ^ 0x5bd1e995) & 0xffff) < sh->fill * 65536)
			s->kicks[i].queued = s->kicks[i].kicks = s->kicks[i].ipis = gen * (1 + (i & 7));
	for (__u32 k0 = 0; k0 < sh->nkeys; k0 += dbatch) {
		__u32 n = sh->nkeys - k0 < dbatch ? sh->nkeys - k0 : dbatch;

		double t = cpu_ms();

		for (__u32 i = 0; i < n; i++)
			for (__u32 c = 0; c < sh->ncpus; c++)
				vbuf[(size_t)i * sh->ncpus + c] = cell(sh, k0 + i, c) * gen;
		fill_ms += cpu_ms() - t;
		for (__u32 i = 0; i < n; i++)
			if ((err = snapshot__add_percpu_drops(s, &keys[k0 + i],
							      &vbuf[(size_t)i * sh->ncpus],
							      !sh->summed)))
				return err;
	}
	for (__u32 q0 = 0; q0 < sh->nqueues; q0 += qbatch) {
		__u32 n = sh->nqueues - q0 < qbatch ? sh->nqueues - q0 : qbatch;
		double t = cpu_ms();

		for (__u32 i = 0; i < n; i++)
			for (__u32 c = 0; c < sh->ncpus; c++) {
				memset(&qbuf[(size_t)i * sh->ncpus + c], 0, sizeof(*qbuf));
				qbuf[(size_t)i * sh->ncpus + c].consumes = (q0 + i + c) * gen;
			}
		fill_ms += cpu_ms() - t;
		for (__u32 i = 0; i < n; i++) {
			struct queue_counters sum = {};

			for (__u32 c = 0; c < sh->ncpus; c++)
				for (size_t w = 0; w < sizeof(sum) / 8; w++)
					((__u64 *)&sum)[w] += ((const __u64 *)&qbuf[(size_t)i * sh->ncpus + c])[w];
			if ((err = snapshot__add_queue(s, &qkeys[q0 + i], &sum)))
				return err;
		}
	}
	for (int p = 0; p < 16; p++) {
		char name[32];

		snprintf(name, sizeof(name), "prog_%d", p);
		if ((err = snapshot__add_prog(s, name, gen * 1000, gen * 10)))
			return err;
	}
	return 0;
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

int main(int argc, char **argv)
{
	struct shape sh = { .ncpus = 256, .nkeys = 4096, .nqueues = 1024, .fill = 1.0 };
	struct snapshot prev = {}, cur = {}, delta = {};
	struct view_ctx ctx = {
		.reason_name = dummy_reason, .location_name = dummy_location, .top = 10,
	};
	bool reasons_only = false, text_only = false, screen = false;
	struct snapshot base = {}, total = {}, spare_delta = {}, spare_total = {};
	struct tui_table tbl = {}, drill = {};
	double t_screen[64];
	int n = 5, c;
	double t_read[64], t_delta[64], t_json[64], t_text[64], t_total[64];
	size_t json_bytes = 0, rows = 0, cpu_cells = 0;
	struct drop_key *keys;
	struct queue_key *qkeys;
	struct queue_counters *qbuf;
	struct rusage ru;
	__u64 *vbuf;
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
				" [-s] [-R]\n"
				"  -s  no per-CPU drops by reason (the text table and -j without -C)\n"
				"  -R  keys are reasons only (the default probe; without -L)\n"
				"  -t  text table only (no -j): peak RSS of a text refresh\n"
				"  -S  the live screen's refresh (its snapshots and panels)\n");
			return 64;
		}
	}
	if (n < 1 || n > 64 || !sh.ncpus || sh.fill < 0 || sh.fill > 1)
		return fprintf(stderr, "refresh: bad arguments\n"), 64;
	ctx.per_cpu = !sh.summed;	/* -C: the per-CPU table and -j's drops_by_cpu */

	/* the shape of the maps: what bpf_map_lookup_batch hands over */
	for (__u32 r = 0; r < SKBTOP_DROP_REASON_SLOTS; r++)
		snprintf(reason_names[r], sizeof(reason_names[r]), "REASON_%u", r);
	keys = calloc(sh.nkeys, sizeof(*keys));
	vbuf = calloc((size_t)snapshot_batch_keys(sh.ncpus * sizeof(*vbuf)) * sh.ncpus, sizeof(*vbuf));
	qkeys = calloc(sh.nqueues ? sh.nqueues : 1, sizeof(*qkeys));
	qbuf = calloc((size_t)snapshot_batch_keys(sh.ncpus * sizeof(*qbuf)) * sh.ncpus, sizeof(*qbuf));
	devnull = fopencookie(NULL, "w", (cookie_io_functions_t){ .write = sink_write });
	if (!keys || !vbuf || !qkeys || !qbuf || !devnull)
		return fprintf(stderr, "refresh: out of memory\n"), 1;
	for (__u32 k = 0; k < sh.nkeys && reasons_only; k++)
		keys[k].reason = k;
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

	if (build(&prev, &sh, keys, qkeys, vbuf, qbuf, 1))
		return fprintf(stderr, "refresh: out of memory\n"), 1;
	if (screen && snapshot__copy(&base, &prev))	/* the screen's first read */
		return fprintf(stderr, "refresh: out of memory\n"), 1;
	for (int i = 0; i < n; i++) {
		double t0 = cpu_ms(), t1, t2, t3, t4;

		fill_ms = 0;
		if (build(&cur, &sh, keys, qkeys, vbuf, qbuf, i + 2))
			return fprintf(stderr, "refresh: out of memory\n"), 1;
		t1 = cpu_ms();
		t0 += fill_ms;
		if (snapshot__delta(&prev, &cur, screen ? &spare_delta : &delta))
			return fprintf(stderr, "refresh: out of memory\n"), 1;
		t2 = cpu_ms();
		if (screen) {
			struct tui_data td = { .delta = &spare_delta, .total = &spare_total, .ctx = &ctx };

			if (snapshot__delta(&base, &cur, &spare_total))
				return fprintf(stderr, "refresh: out of memory\n"), 1;
			snapshot__swap(&delta, &spare_delta);
			snapshot__swap(&total, &spare_total);
			td.delta = &delta;
			td.total = &total;
			if (tui_build_cpus(&tbl, &td) || tui_build_queues(&tbl, &td) ||
			    tui_build_drops(&tbl, &td) ||
			    (tbl.n && (tui_build_drop_locations(&drill, &td, tbl.rows[0].id) ||
				       tui_build_drop_cpus(&drill, &td, tbl.rows[0].id))))
				return fprintf(stderr, "refresh: out of memory\n"), 1;
			t_screen[i] = cpu_ms() - t2;
		}
		if (!text_only && !screen) {
			struct jsonw w;
			size_t at = sink_bytes;

			jw_init(&w, devnull, 0);
			view_json_write(&w, &delta, &ctx);
			fflush(devnull);
			json_bytes = sink_bytes - at;
		}
		t3 = cpu_ms();
		if (!screen)
			view_text(devnull, &delta, &ctx);
		fflush(devnull);
		t4 = cpu_ms();
		rows = delta.ndrops;
		cpu_cells = snapshot__cpu_drop_cells(&delta);
		snapshot__swap(&prev, &cur);	/* as the live loop: storage reused */
		t_read[i] = t1 - t0;
		t_delta[i] = t2 - t1;
		t_json[i] = t3 - t2;
		t_text[i] = t4 - t3;
		t_total[i] = t3 - t0;	/* one -j refresh: read + delta + json */
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
	snapshot__free(&prev);
	snapshot__free(&cur);
	snapshot__free(&delta);
	snapshot__free(&base);
	snapshot__free(&total);
	snapshot__free(&spare_delta);
	snapshot__free(&spare_total);
	tui_table__free(&tbl);
	tui_table__free(&drill);
	return 0;
}
