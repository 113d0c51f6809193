// SPDX-License-Identifier: GPL-2.0
/*
 * `skbtop report FILE`: a capture summarised. The totals are rebuilt from
 * the file's samples into an ordinary snapshot and rendered by the same
 * view code as live data, with names from the file's tables.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "capture.h"
#include "esc.h"
#include "files.h"

static void fmt_time(char *buf, size_t len, __u64 ns)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
}

static const char *S(const char *s)
{
	return s ? s : "unknown";
}

static void command_line(char *buf, size_t len, const struct capture *cap)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < cap->argc && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", esc(cap->argv[i]));
}

static void status_text(char *buf, size_t len, const struct capture *cap)
{
	if (cap->term_signal)
		snprintf(buf, len, "%d (killed by signal %d)", cap->exit_status, cap->term_signal);
	else
		snprintf(buf, len, "%d", cap->exit_status);
}

#define REPORT_WIDTH 72
#define HEADLINE_PAIRS 16

static const struct kick_cell *kick_at(const struct snapshot *t, size_t i)
{
	return &t->kicks[i];
}

static __u64 kick_total(const struct kick_cell *k)
{
	return k->queued + k->kicks + k->ipis;
}

/*
 * The headline: defer kicks and IPIs per sender -> target CPU pair, the
 * busiest first, every CPU that ran tun_sendmsg() (vhost-net TX: the vhost
 * worker) marked '*'. What the tun series' v2 (a defer-list flush in
 * tun_sendmsg()) is meant to change: IPIs to the vhost worker's CPU.
 */
static void print_kick_headline(FILE *f, const struct capture *cap, const struct view_ctx *ctx)
{
	const struct snapshot *t = &cap->totals;
	const struct field *cols[8], *vf = field_find(cpu_fields, cpu_nfields, "tun_sendmsg_calls");
	size_t ncols = field_columns(kick_fields, kick_nfields, false, cols, 8);
	size_t npairs = (size_t)t->ncpus * t->ncpus, shown = 0, cells = 0;
	bool vhost = vf && field_measured(vf, ctx->probes, ctx->nprobes), kick_any = false;
	bool any = false;
	char line[REPORT_WIDTH + 1];
	size_t len = 0;

	for (size_t c = 0; c < ncols; c++)
		kick_any |= field_measured(cols[c], ctx->probes, ctx->nprobes);
	fprintf(f, "DEFER KICKS AND IPIS, sender -> target CPU (* ran tun_sendmsg())\n");
	if (!kick_any) {
		fprintf(f, "  n/a (defer probes unavailable)\n");
	} else {
		fprintf(f, "  %5s %6s", "FROM", "TO");
		for (size_t c = 0; c < ncols; c++)
			fprintf(f, " %11s", cols[c]->title);
		fputc('\n', f);
		for (size_t i = 0; i < npairs; i++)
			cells += kick_total(kick_at(t, i)) != 0;
		/* the busiest pairs first: a selection, HEADLINE_PAIRS rows at most */
		for (__u64 floor = ~0ULL; shown < HEADLINE_PAIRS && shown < cells;) {
			__u64 best = 0;
			size_t bi = npairs;

			for (size_t i = 0; i < npairs; i++) {
				__u64 w = kick_total(kick_at(t, i));

				if (w && w < floor && w > best) {
					best = w;
					bi = i;
				}
			}
			if (bi == npairs)
				break;
			for (size_t i = 0; i < npairs && shown < HEADLINE_PAIRS; i++) {
				const struct kick_cell *k = kick_at(t, i);
				__u32 from = i / t->ncpus, to = i % t->ncpus;

				if (kick_total(k) != best)
					continue;
				fprintf(f, "  %4u%s %5u%s", from,
					vhost && t->cpus[from].tun_sendmsg_calls ? "*" : " ", to,
					vhost && t->cpus[to].tun_sendmsg_calls ? "*" : " ");
				for (size_t c = 0; c < ncols; c++)
					if (field_measured(cols[c], ctx->probes, ctx->nprobes))
						fprintf(f, " %11llu",
							(unsigned long long)field_count(cols[c], k));
					else
						fprintf(f, " %11s", "n/a");
				fputc('\n', f);
				shown++;
			}
			floor = best;
		}
		if (!cells)
			fprintf(f, "  none between CPUs\n");
		else if (cells > shown)
			fprintf(f, "  (%zu more CPU pairs below)\n", cells - shown);
	}
	len = snprintf(line, sizeof(line), "vhost worker CPU (tun_sendmsg() calls):");
	if (!vhost) {
		fprintf(f, "%s n/a (tun_sendmsg unavailable)\n\n", line);
		return;
	}
	for (__u32 c = 0; c < t->ncpus; c++) {
		char cell[40];
		int n;

		if (!t->cpus[c].tun_sendmsg_calls)
			continue;
		any = true;
		n = snprintf(cell, sizeof(cell), " %u (%llu)", c,
			     (unsigned long long)t->cpus[c].tun_sendmsg_calls);
		if (len + n > REPORT_WIDTH) {
			fprintf(f, "%s\n", line);
			len = snprintf(line, sizeof(line), "  ");
		}
		len += snprintf(line + len, sizeof(line) - len, "%s", cell);
	}
	fprintf(f, "%s%s\n\n", line, any ? "" : " none");
}

static void print_text(FILE *f, const struct capture *cap, const char *path)
{
	struct view_ctx ctx;
	struct cpu_counters sum;
	double sec = capture__seconds(cap);
	char t0[32], t1[32], cmd[1024], st[64], line[1200];

	/* for mailing lists: every line within REPORT_WIDTH (the kernel command
	 * line is in --format json only); every string from the capture escaped */
	fmt_time(t0, sizeof(t0), cap->start_ns);
	fmt_time(t1, sizeof(t1), cap->end_ns);
	snprintf(line, sizeof(line), "%s (format %u.%u, skbtop %s)", esc(path), cap->major,
		 cap->minor, esc(S(cap->skbtop_version)));
	view_wrap(f, "capture  ", line, REPORT_WIDTH);
	fprintf(f, "time     %s .. %s\n", t0, t1);
	fprintf(f, "         %.3f s in %zu intervals of %.3f s\n", sec, cap->nsamples,
		cap->interval_ns / 1e9);
	if (cap->argc) {
		command_line(cmd, sizeof(cmd), cap);
		status_text(st, sizeof(st), cap);
		snprintf(line, sizeof(line), "%s (exit status %s)", cmd, st);
		view_wrap(f, "command  ", line, REPORT_WIDTH);
	}
	view_wrap(f, "kernel   ", esc(S(cap->env.kernel_release)), REPORT_WIDTH);
	snprintf(line, sizeof(line), "%u x %s", cap->env.ncpus, esc(S(cap->env.cpu_model)));
	view_wrap(f, "cpus     ", line, REPORT_WIDTH);
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++) {
		snprintf(line, sizeof(line), "%s = %s", capture_sysctl_names[i],
			 esc(S(cap->env.sysctls[i])));
		view_wrap(f, "sysctl   ", line, REPORT_WIDTH);
	}
	fputc('\n', f);
	capture__view_ctx(cap, &ctx);
	print_kick_headline(f, cap, &ctx);
	if (cap->nprobes) {
		fprintf(f, "%-13s %-11s %s\n", "PROBE", "MODE", "DETAIL");
		for (size_t i = 0; i < cap->nprobes; i++) {
			const struct probe_status *p = &cap->probes[i];
			bool up = p->mode != MODE_UNAVAILABLE && p->mode != MODE_DISABLED;
			char first[40];

			snprintf(first, sizeof(first), "%-13.13s %-11s ", esc(p->name),
				 probe_mode_name(p->mode));
			view_wrap(f, first, esc(up ? S(p->variant) : p->reason), REPORT_WIDTH);
			if (up && p->note)
				view_wrap(f, "                          note: ", esc(p->note),
					  REPORT_WIDTH);
		}
		fputc('\n', f);
	}
	fprintf(f, "Totals over the capture:\n");
	capture__view_ctx(cap, &ctx);
	ctx.per_cpu = true;
	ctx.top = 20;
	ctx.na = "n/a";
	view_text(f, &cap->totals, &ctx);
	snapshot__sum_cpus(&cap->totals, &sum);
	if (sec > 0) {
		char na[1024] = "";

		fprintf(f, "%-26s %14s %14s\n", "RATES", "total", "per second");
		for (size_t i = 0; i < cpu_nfields; i++) {
			const struct field *fd = &cpu_fields[i];
			__u64 v = field_count(fd, &sum);

			if (!field_measured(fd, ctx.probes, ctx.nprobes))
				snprintf(na + strlen(na), sizeof(na) - strlen(na), "%s%s",
					 *na ? ", " : "", fd->name);
			else if (fd->kind != FIELD_RATIO && v)
				fprintf(f, "%-26s %14llu %14.1f\n", fd->name,
					(unsigned long long)v, v / sec);
		}
		if (*na)
			view_wrap(f, "not measured (probe unavailable): ", na, 72);
	}
	if (cap->totals.ndrops) {
		__u32 reasons[256];
		__u64 counts[256];
		size_t n = snapshot__drops_by_reason(&cap->totals, reasons, counts, 256);
		char name[128];

		fprintf(f, "\n%-32s %14s %14s\n", "DROPS BY REASON", "total", "per second");
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%-32s %14llu %14.1f\n",
				esc(capture__reason_name(cap, reasons[i], name, sizeof(name))),
				(unsigned long long)counts[i], sec > 0 ? counts[i] / sec : 0);
	}
}

static void report_json(struct jsonw *w, const struct capture *cap, const char *path)
{
	struct view_ctx ctx;
	struct cpu_counters sum;
	double sec = capture__seconds(cap);
	char ver[32];

	snprintf(ver, sizeof(ver), "%u.%u", cap->major, cap->minor);
	jw_object(w);
	jw_kv_string(w, "file", path);
	jw_kv_string(w, "capture_version", ver);
	/* programs whose runs the kernel skipped: their counts are low */
	jw_key(w, "recursion_misses");
	jw_object(w);
	for (size_t i = 0; i < cap->totals.nprogs; i++)
		if (cap->totals.progs[i].misses)
			jw_kv_u64(w, cap->totals.progs[i].name, cap->totals.progs[i].misses);
	jw_end(w);
	jw_kv_string(w, "skbtop_version", cap->skbtop_version);
	jw_kv_u64(w, "start_time_ns", cap->start_ns);
	jw_kv_u64(w, "end_time_ns", cap->end_ns);
	jw_key(w, "seconds");
	jw_real(w, sec);
	jw_kv_u64(w, "intervals", cap->nsamples);
	jw_key(w, "command");
	if (cap->argc) {
		jw_object(w);
		jw_key(w, "argv");
		jw_array(w);
		for (int i = 0; i < cap->argc; i++)
			jw_string(w, cap->argv[i]);
		jw_end(w);
		jw_key(w, "exit_status");
		jw_s64(w, cap->exit_status);
		jw_key(w, "signal");
		jw_s64(w, cap->term_signal);
		jw_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "environment");
	jw_object(w);
	jw_kv_string(w, "kernel_release", cap->env.kernel_release);
	jw_kv_string(w, "kernel_cmdline", cap->env.kernel_cmdline);
	jw_kv_string(w, "cpu_model", cap->env.cpu_model);
	jw_kv_u64(w, "ncpus", cap->env.ncpus);
	jw_key(w, "sysctls");
	jw_object(w);
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++)
		jw_kv_string(w, capture_sysctl_names[i], cap->env.sysctls[i]);
	jw_end(w);
	jw_end(w);
	jw_key(w, "probes");
	view_probes_write(w, cap->probes, cap->nprobes);
	capture__view_ctx(cap, &ctx);
	jw_key(w, "totals");
	view_json_write(w, &cap->totals, &ctx);
	snapshot__sum_cpus(&cap->totals, &sum);
	jw_key(w, "rates_per_second");
	jw_object(w);
	for (size_t i = 0; i < cpu_nfields; i++) {
		if (cpu_fields[i].kind == FIELD_RATIO)
			continue;
		jw_key(w, cpu_fields[i].name);
		if (field_measured(&cpu_fields[i], ctx.probes, ctx.nprobes))
			jw_real(w, sec > 0 ? field_count(&cpu_fields[i], &sum) / sec : 0);
		else
			jw_null(w);
	}
	jw_end(w);
	jw_key(w, "drops_by_reason");
	jw_array(w);
	if (cap->totals.ndrops) {
		__u32 reasons[256];
		__u64 counts[256];
		size_t n = snapshot__drops_by_reason(&cap->totals, reasons, counts, 256);
		char name[128];

		for (size_t i = 0; i < n; i++) {
			jw_object(w);
			jw_kv_string(w, "reason",
				     capture__reason_name(cap, reasons[i], name, sizeof(name)));
			jw_kv_u64(w, "reason_id", reasons[i]);
			jw_kv_u64(w, "count", counts[i]);
			jw_key(w, "per_second");
			jw_real(w, sec > 0 ? counts[i] / sec : 0);
			jw_end(w);
		}
	}
	jw_end(w);
	jw_end(w);
}

/* s in a markdown cell: control bytes escaped, '|' quoted */
static void md_text(FILE *f, const char *s)
{
	for (s = esc(s); s && *s; s++)
		fputs(*s == '|' ? "\\|" : *s == '\n' ? " " : (char[2]){ *s, 0 }, f);
}

/* A markdown table's header: lead's columns, then the --text columns of fields. */
static void md_field_table(FILE *f, const char *lead, const struct field *fields, size_t n,
			   const struct view_ctx *ctx)
{
	const struct field *cols[FIELDS_MAX];
	size_t k = field_columns(fields, n, false, cols, FIELDS_MAX);

	fprintf(f, "\n| %s |", lead);
	for (size_t i = 0; i < k; i++)
		fprintf(f, " %s |", cols[i]->title);
	fprintf(f, "\n|");
	for (const char *p = lead; p; p = strchr(p + 1, '|'))
		fprintf(f, "---|");
	for (size_t i = 0; i < k; i++)
		fprintf(f, "---:|");
	fputc('\n', f);
}

/* The rest of a row: each column's count, n/a where nothing measured it. */
static void md_field_row(FILE *f, const struct field *fields, size_t n, const void *c,
			 const struct view_ctx *ctx)
{
	const struct field *cols[FIELDS_MAX];
	size_t k = field_columns(fields, n, false, cols, FIELDS_MAX);

	for (size_t i = 0; i < k; i++)
		if (field_measured(cols[i], ctx->probes, ctx->nprobes))
			fprintf(f, " %llu |", (unsigned long long)field_count(cols[i], c));
		else
			fprintf(f, " n/a |");
	fputc('\n', f);
}

static void print_markdown(FILE *f, const struct capture *cap, const char *path)
{
	struct view_ctx ctx;
	struct cpu_counters sum;
	double sec = capture__seconds(cap);
	char t0[32], cmd[1024], st[64], name[128], loc[160];
	bool any = false;

	capture__view_ctx(cap, &ctx);
	fmt_time(t0, sizeof(t0), cap->start_ns);
	fprintf(f, "### skbtop capture `");
	md_text(f, path);
	fprintf(f, "`\n\n| | |\n|---|---|\n");
	fprintf(f, "| format | %u.%u (skbtop ", cap->major, cap->minor);
	md_text(f, S(cap->skbtop_version));
	fprintf(f, ") |\n");
	fprintf(f, "| start | %s |\n| duration | %.3f s, %zu intervals of %.3f s |\n", t0, sec,
		cap->nsamples, cap->interval_ns / 1e9);
	for (size_t i = 0; i < cap->totals.nprogs; i++)
		if (cap->totals.progs[i].misses)
			fprintf(f, "| **warning** | %s skipped %llu events (BPF recursion): "
				"counts are low |\n", esc(cap->totals.progs[i].name),
				(unsigned long long)cap->totals.progs[i].misses);
	if (cap->argc) {
		command_line(cmd, sizeof(cmd), cap);
		status_text(st, sizeof(st), cap);
		fprintf(f, "| command | `");
		md_text(f, cmd);
		fprintf(f, "` (exit status %s) |\n", st);
	}
	fprintf(f, "| kernel | ");
	md_text(f, S(cap->env.kernel_release));
	fprintf(f, " |\n| cmdline | ");
	md_text(f, S(cap->env.kernel_cmdline));
	fprintf(f, " |\n| CPUs | %u x ", cap->env.ncpus);
	md_text(f, S(cap->env.cpu_model));
	fprintf(f, " |\n");
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++) {
		fprintf(f, "| %s | ", capture_sysctl_names[i]);
		md_text(f, S(cap->env.sysctls[i]));
		fprintf(f, " |\n");
	}
	if (cap->nprobes) {
		fprintf(f, "\n| probe | mode | detail |\n|---|---|---|\n");
		for (size_t i = 0; i < cap->nprobes; i++) {
			const struct probe_status *p = &cap->probes[i];

			fprintf(f, "| %s | %s | ", esc(p->name), probe_mode_name(p->mode));
			md_text(f, p->mode == MODE_UNAVAILABLE ? p->reason : p->variant);
			fprintf(f, " |\n");
		}
	}
	snapshot__sum_cpus(&cap->totals, &sum);
	fprintf(f, "\n| counter | total | per second |\n|---|---:|---:|\n");
	for (size_t i = 0; i < cpu_nfields; i++) {
		const struct field *fd = &cpu_fields[i];
		double v;

		if (!field_measured(fd, ctx.probes, ctx.nprobes) || !field_value(fd, &sum, &v))
			fprintf(f, "| %s | n/a | n/a |\n", fd->name);
		else if (fd->kind == FIELD_RATIO)
			fprintf(f, "| %s | %.2f%% | |\n", fd->name, 100.0 * v);
		else
			fprintf(f, "| %s | %llu | %.1f |\n", fd->name,
				(unsigned long long)field_count(fd, &sum), sec > 0 ? v / sec : 0);
	}
	md_field_table(f, "CPU", cpu_fields, cpu_nfields, &ctx);
	for (__u32 c = 0; c < cap->totals.ncpus; c++) {
		fprintf(f, "| %u |", c);
		md_field_row(f, cpu_fields, cpu_nfields, &cap->totals.cpus[c], &ctx);
	}
	if (cap->totals.ndrops) {
		fprintf(f, "\n| drop reason | count | device | location |\n"
			   "|---|---:|---|---|\n");
		for (size_t i = 0; i < cap->totals.ndrops; i++) {
			const struct drop_row *r = &cap->totals.drops[i];

			fprintf(f, "| ");
			md_text(f, capture__reason_name(cap, r->key.reason, name, sizeof(name)));
			fprintf(f, " | %llu | ", (unsigned long long)r->count);
			md_text(f, r->key.ifindex ? r->key.ifname : "-");
			fprintf(f, " | ");
			md_text(f, view_location(&ctx, r->key.location, loc, sizeof(loc)));
			fprintf(f, " |\n");
		}
	}
	if (cap->totals.ncpu_drop_reasons) {
		fprintf(f, "\n| drop reason | CPU | count |\n|---|---:|---:|\n");
		for (size_t i = 0; i < cap->totals.ncpu_drop_reasons; i++) {
			const __u64 *counts = snapshot__cpu_drops(&cap->totals, i);

			for (__u32 c = 0; c < cap->totals.ncpus; c++) {
				if (!counts[c])
					continue;
				fprintf(f, "| ");
				md_text(f, capture__reason_name(cap, cap->totals.cpu_drop_reasons[i],
								name, sizeof(name)));
				fprintf(f, " | %u | %llu |\n", c, (unsigned long long)counts[c]);
			}
		}
	}
	if (cap->totals.nqueues) {
		md_field_table(f, "device | queue", queue_fields, queue_nfields, &ctx);
		for (size_t i = 0; i < cap->totals.nqueues; i++) {
			const struct queue_row *qr = &cap->totals.queues[i];

			fprintf(f, "| ");
			md_text(f, qr->key.ifname);
			fprintf(f, " | %s%u |", qr->key.dir == QUEUE_RX ? "rx" :
				qr->key.dir == QUEUE_TX ? "tx" : "", qr->key.queue);
			md_field_row(f, queue_fields, queue_nfields, &qr->c, &ctx);
		}
	}
	for (__u32 s = 0; s < cap->totals.ncpus; s++)
		for (__u32 t = 0; t < cap->totals.ncpus; t++) {
			const struct kick_cell *k = &cap->totals.kicks[(size_t)s * cap->totals.ncpus + t];

			if (!k->queued && !k->kicks && !k->ipis)
				continue;
			if (!any)
				fprintf(f, "\n| defer CPU->CPU | queued | kicks | IPIs |\n"
					   "|---|---:|---:|---:|\n");
			any = true;
			fprintf(f, "| %u->%u | %llu | %llu | %llu |\n", s, t,
				(unsigned long long)k->queued, (unsigned long long)k->kicks,
				(unsigned long long)k->ipis);
		}
}

int report__print(FILE *f, const struct capture *cap, const char *path, const char *fmt)
{
	if (!fmt || !strcmp(fmt, "text")) {
		print_text(f, cap, path);
	} else if (!strcmp(fmt, "json")) {
		struct jsonw w;

		jw_init(&w, f, 2);
		report_json(&w, cap, path);
		fputc('\n', f);
	} else if (!strcmp(fmt, "markdown")) {
		print_markdown(f, cap, path);
	} else {
		return -1;
	}
	return 0;
}

int report__args(struct env *env, const char **pos, int max)
{
	int n = 0;

	/* main.c stops option parsing at the first operand (its optstring
	 * starts with '+' so record's CMD keeps its options): take --format
	 * after the file names here */
	for (int i = 0; i < env->argc; i++) {
		const char *a = env->argv[i], *v = NULL;

		if (!strcmp(a, "--format")) {
			if (++i >= env->argc) {
				fprintf(stderr, "skbtop: option '--format' needs an argument\n");
				return -1;
			}
			v = env->argv[i];
		} else if (!strncmp(a, "--format=", 9)) {
			v = a + 9;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "skbtop: unknown option '%s'\nTry 'skbtop --help'.\n", a);
			return -1;
		} else {
			if (n == max) {
				fprintf(stderr, "skbtop: too many arguments\nTry 'skbtop --help'.\n");
				return -1;
			}
			pos[n++] = a;
			continue;
		}
		if (strcmp(v, "text") && strcmp(v, "json") && strcmp(v, "markdown")) {
			fprintf(stderr, "skbtop: invalid --format '%s' (text, json or markdown)\n", v);
			return -1;
		}
		env->format = v;
	}
	return n;
}

int cmd_report(struct env *env)
{
	struct capture cap;
	const char *pos[1];
	char err[512];
	int ret, n;

	n = report__args(env, pos, 1);
	if (n < 0)
		return EXIT_USAGE;
	if (n != 1) {
		fprintf(stderr, "skbtop: report needs one capture file\nTry 'skbtop --help'.\n");
		return EXIT_USAGE;
	}
	/* the totals are all a report needs: the samples are read and let go */
	if (capture__read_each(pos[0], &cap, NULL, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "skbtop: %s\n", err);
		return EXIT_FAIL;
	}
	ret = report__print(stdout, &cap, pos[0], env->format);
	capture__free(&cap);
	if (ret)
		return EXIT_FAIL;
	return stdout__flush() < 0 ? EXIT_FAIL : EXIT_OK;	/* a closed pipe: 0 */
}
