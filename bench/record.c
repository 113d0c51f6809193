// SPDX-License-Identifier: GPL-2.0
/*
 * record: peak memory of `skbtop record`'s capture writer over a long run,
 * with no BPF and no root. Feeds N synthetic intervals of a 256-CPU machine
 * (every CPU with counters and 8 drop reasons, a sparse defer matrix) to
 * capture_writer__add(), then writes the capture as record does. Prints the
 * peak RSS after adding and after writing, and the file's size.
 *
 *   record [-c CPUS] [-r REASONS] -n INTERVALS -o FILE
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture.h"

static const char *reason_name(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	snprintf(buf, len, "REASON_%u", r);
	return buf;
}

static const char *location_name(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	snprintf(buf, len, "func+0x%llx", (unsigned long long)a);
	return buf;
}

static long peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(int argc, char **argv)
{
	struct view_ctx names = { .reason_name = reason_name, .location_name = location_name };
	struct capture meta = { .skbtop_version = "bench", .interval_ns = 1000000000ULL };
	__u32 ncpus = 256, nreasons = 8;
	struct capture_writer w;
	const char *out = NULL;
	char err[512];
	long n = 0, after_add;
	struct stat sb;
	int c;

	while ((c = getopt(argc, argv, "c:r:n:o:")) != -1) {
		switch (c) {
		case 'c': ncpus = atoi(optarg); break;
		case 'r': nreasons = atoi(optarg); break;
		case 'n': n = atol(optarg); break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, "usage: record [-c CPUS] [-r REASONS] -n INTERVALS -o FILE\n");
			return 64;
		}
	}
	if (!out || n < 1 || !ncpus || ncpus > 4096)
		return fprintf(stderr, "record: bad arguments (-n INTERVALS -o FILE)\n"), 64;
	if (capture_writer__init(&w, ncpus, out))
		return fprintf(stderr, "record: cannot create a spool beside %s\n", out), 1;
	for (long i = 0; i < n; i++) {
		struct snapshot d;

		if (snapshot__init(&d, ncpus))
			return fprintf(stderr, "record: out of memory\n"), 1;
		d.mono_ns = 1000000000ULL;
		d.real_ns = 1700000000000000000ULL + i * 1000000000ULL;
		for (__u32 cpu = 0; cpu < ncpus; cpu++) {
			d.cpus[cpu].cache_gets = 5000 + cpu;
			d.cpus[cpu].builds = 77;
			d.cpus[cpu].defer_queued = 3;
			for (__u32 r = 0; r < nreasons; r++) {
				struct drop_key k = { .reason = 2 + r };

				if (snapshot__merge_drop(&d, &k, 10 + r) ||
				    snapshot__add_cpu_drop(&d, k.reason, cpu, 10 + r))
					return fprintf(stderr, "record: out of memory\n"), 1;
				d.cpus[cpu].drops += 10 + r;
			}
		}
		for (__u32 s = 0; s < ncpus; s += 8)
			d.kicks[(size_t)s * ncpus + (s + 1) % ncpus].kicks = 4;
		if (capture_writer__add(&w, &d))
			return fprintf(stderr, "record: failed to add an interval\n"), 1;
		snapshot__free(&d);
	}
	after_add = peak_kb();
	if (capture_writer__write_file(&w, &meta, &names, out, err, sizeof(err)))
		return fprintf(stderr, "record: %s\n", err), 1;
	capture_writer__free(&w);
	if (stat(out, &sb))
		return perror("record: stat"), 1;
	printf("{\"ncpus\":%u,\"reasons\":%u,\"intervals\":%ld,\"file_bytes\":%lld,"
	       "\"maxrss_kb_added\":%ld,\"maxrss_kb_written\":%ld}\n",
	       ncpus, nreasons, n, (long long)sb.st_size, after_add, peak_kb());
	return 0;
}
