// SPDX-License-Identifier: GPL-2.0
/*
 * The capture writer: each delta is written as a sparse JSON object (zero
 * counters and rows left out) into a spool file as it is read, through the
 * same streaming writer as `-j` and report (jsonw.c, with JSON_ENSURE_ASCII's
 * escapes); at the end the document's header, names and totals are written
 * and the spooled samples copied in. Only the running totals stay in memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "files.h"
#include "jsonw.h"

static const char *dir_str(__u8 dir)
{
	return dir == QUEUE_RX ? "rx" : dir == QUEUE_TX ? "tx" : NULL;
}

static void kv_nonzero(struct jsonw *w, const char *key, __u64 v)
{
	if (v)
		jw_kv_u64(w, key, v);
}

/* A log2 histogram up to its last non-zero slot; nothing when all are zero. */
static void kv_hist(struct jsonw *w, const char *key, const __u64 *h)
{
	int last = -1;

	for (int i = 0; i < SKBTOP_HIST_SLOTS; i++)
		if (h[i])
			last = i;
	if (last < 0)
		return;
	jw_key(w, key);
	jw_array(w);
	for (int i = 0; i <= last; i++)
		jw_u64(w, h[i]);
	jw_end(w);
}

static void kv_addr(struct jsonw *w, const char *key, __u64 a)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)a);
	jw_kv_string(w, key, buf);
}

/* An interface name of up to SKBTOP_IFNAMSIZ - 1 bytes, not always NUL-terminated. */
static void kv_ifname(struct jsonw *w, const char *ifname)
{
	char buf[SKBTOP_IFNAMSIZ];

	snprintf(buf, sizeof(buf), "%.*s", SKBTOP_IFNAMSIZ - 1, ifname);
	jw_kv_string(w, "ifname", buf);
}

/* Do d's drop rows carry more than a reason (recorded with -L)? */
static bool drops_have_detail(const struct snapshot *d)
{
	for (size_t i = 0; i < d->ndrops; i++)
		if (d->drops[i].key.location || d->drops[i].key.ifindex || d->drops[i].key.dir)
			return true;
	return false;
}

static void cpu_rows(struct jsonw *w, const struct snapshot *d)
{
	jw_key(w, "cpus");
	jw_array(w);
	for (__u32 c = 0; c < d->ncpus; c++) {
		const struct cpu_counters *cc = &d->cpus[c];
		bool any = false;

		for (size_t i = 0; i < cpu_nfields && !any; i++)
			any = cpu_fields[i].kind == FIELD_COUNT && field_count(&cpu_fields[i], cc);
		for (int i = 0; i < SKBTOP_HIST_SLOTS && !any; i++)
			any = cc->bulk_hist[i] || cc->defer_flush_hist[i];
		if (!any)	/* an idle CPU has no row */
			continue;
		jw_object(w);
		for (size_t i = 0; i < cpu_nfields; i++)
			if (cpu_fields[i].kind == FIELD_COUNT)
				kv_nonzero(w, cpu_fields[i].name, field_count(&cpu_fields[i], cc));
		kv_hist(w, "bulk_hist", cc->bulk_hist);
		kv_hist(w, "defer_flush_hist", cc->defer_flush_hist);
		jw_kv_u64(w, "cpu", c);
		jw_end(w);
	}
	jw_end(w);
}

static void kick_rows(struct jsonw *w, const struct snapshot *d)
{
	jw_key(w, "kicks");
	jw_array(w);
	for (__u32 s = 0; s < d->ncpus; s++)
		for (__u32 t = 0; t < d->ncpus; t++) {
			const struct kick_cell *k = &d->kicks[(size_t)s * d->ncpus + t];

			if (!k->queued && !k->kicks && !k->ipis)
				continue;
			jw_object(w);
			jw_kv_u64(w, "from_cpu", s);	/* 1.4 */
			jw_kv_u64(w, "to_cpu", t);
			kv_nonzero(w, "queued", k->queued);
			kv_nonzero(w, "kicks", k->kicks);
			kv_nonzero(w, "ipis", k->ipis);
			jw_end(w);
		}
	jw_end(w);
}

/* drops: per (reason, CPU), as 1.1 files have them (location 0x0); 1.2: -L rows */
static void drop_rows(struct jsonw *w, const struct snapshot *d)
{
	jw_key(w, "drops");
	jw_array(w);
	for (size_t i = 0; i < d->ncpu_drop_reasons; i++) {
		const __u64 *counts = snapshot__cpu_drops(d, i);

		for (__u32 c = 0; c < d->ncpus; c++) {
			if (!counts[c])
				continue;
			jw_object(w);
			jw_kv_u64(w, "reason", d->cpu_drop_reasons[i]);
			jw_kv_u64(w, "cpu", c);
			jw_kv_u64(w, "count", counts[c]);
			jw_kv_string(w, "location", "0x0");
			jw_end(w);
		}
	}
	jw_end(w);
	if (!drops_have_detail(d))
		return;
	jw_key(w, "drop_details");	/* summed over CPUs */
	jw_array(w);
	for (size_t i = 0; i < d->ndrops; i++) {
		const struct drop_row *r = &d->drops[i];

		jw_object(w);
		jw_kv_u64(w, "reason", r->key.reason);
		jw_kv_u64(w, "count", r->count);
		kv_addr(w, "location", r->key.location);
		if (r->key.ifindex) {
			jw_kv_u64(w, "ifindex", r->key.ifindex);
			kv_ifname(w, r->key.ifname);
		}
		if (dir_str(r->key.dir)) {
			jw_kv_string(w, "dir", dir_str(r->key.dir));
			jw_kv_u64(w, "queue", r->key.queue);
		}
		jw_end(w);
	}
	jw_end(w);
}

static void queue_rows(struct jsonw *w, const struct snapshot *d)
{
	jw_key(w, "queues");
	jw_array(w);
	for (size_t i = 0; i < d->nqueues; i++) {
		const struct queue_row *q = &d->queues[i];

		jw_object(w);
		jw_kv_u64(w, "ifindex", q->key.ifindex);
		kv_ifname(w, q->key.ifname);
		jw_kv_u64(w, "queue", q->key.queue);
		if (dir_str(q->key.dir))
			jw_kv_string(w, "dir", dir_str(q->key.dir));
		for (size_t f = 0; f < queue_nfields; f++)
			if (queue_fields[f].kind == FIELD_COUNT)
				kv_nonzero(w, queue_fields[f].name, field_count(&queue_fields[f], &q->c));
		jw_end(w);
	}
	jw_end(w);
}

/* 1.6: tun_sendmsg() latency per (queue, batch class), buckets up to the last non-zero */
static void sendmsg_rows(struct jsonw *w, const struct snapshot *d)
{
	if (!d->nsendmsg)
		return;
	jw_key(w, "sendmsg_hist");
	jw_array(w);
	for (size_t i = 0; i < d->nsendmsg; i++) {
		const struct sendmsg_row *r = &d->sendmsg[i];
		int last = -1;

		for (int b = 0; b < SKBTOP_LAT_SLOTS; b++)
			if (r->h.ns[b])
				last = b;
		if (last < 0)
			continue;
		jw_object(w);
		jw_kv_u64(w, "ifindex", r->key.q.ifindex);
		kv_ifname(w, r->key.q.ifname);
		jw_kv_u64(w, "queue", r->key.q.queue);
		if (dir_str(r->key.q.dir))
			jw_kv_string(w, "dir", dir_str(r->key.q.dir));
		jw_kv_u64(w, "batch", r->key.batch);
		jw_key(w, "ns");
		jw_array(w);
		for (int b = 0; b <= last; b++)
			jw_u64(w, r->h.ns[b]);
		jw_end(w);
		jw_end(w);
	}
	jw_end(w);
}

static void prog_rows(struct jsonw *w, const struct snapshot *d)
{
	jw_key(w, "progs");
	jw_array(w);
	for (size_t i = 0; i < d->nprogs; i++) {
		jw_object(w);
		jw_kv_string(w, "name", d->progs[i].name);
		/* 1.4: left out when 0 (record does not turn run-time stats on) */
		kv_nonzero(w, "run_ns", d->progs[i].run_ns);
		kv_nonzero(w, "run_cnt", d->progs[i].run_cnt);
		kv_nonzero(w, "misses", d->progs[i].misses);	/* 1.1: runs the kernel skipped */
		jw_end(w);
	}
	jw_end(w);
}

/* 1.6: the SKBTOP_SIRQ_TOP_TASKS tasks that ran most NET_RX/NET_TX in their do_softirq() */
static void sirq_task_rows(struct jsonw *w, const struct snapshot *d)
{
	const struct sirq_task_row *top[SKBTOP_SIRQ_TOP_TASKS];
	size_t n = snapshot__top_tasks(d, top, SKBTOP_SIRQ_TOP_TASKS);

	if (!n)
		return;
	jw_key(w, "sirq_tasks");
	jw_array(w);
	for (size_t i = 0; i < n; i++)
		sirq_task_json(w, top[i], true);
	jw_end(w);
}

/* One delta's members (the object is the caller's: totals add "fields"). */
static void sample_members(struct jsonw *w, const struct snapshot *d)
{
	jw_kv_u64(w, "time_ns", d->real_ns);
	jw_kv_u64(w, "interval_ns", d->mono_ns);
	jw_kv_u64(w, "user_cpu_ns", d->user_cpu_ns);
	cpu_rows(w, d);
	kick_rows(w, d);
	drop_rows(w, d);
	queue_rows(w, d);
	sendmsg_rows(w, d);
	prog_rows(w, d);
	sirq_task_rows(w, d);
}

/*
 * A nameless read-write file in near's directory (O_TMPFILE), so nothing is
 * left behind however skbtop ends; where the filesystem lacks O_TMPFILE, a
 * file unlinked at once. Without near: tmpfile() ($TMPDIR). NULL, errno set.
 */
static FILE *open_spool(const char *near)
{
	char *path = NULL, *dir;
	FILE *f;
	int fd;

	if (!near)
		return tmpfile();
	dir = strdup(near);
	if (!dir || asprintf(&path, "%s.spool.XXXXXX", near) < 0) {
		free(dir);
		errno = ENOMEM;
		return NULL;
	}
	fd = open(dirname(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	free(dir);
	free(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w+");
	if (!f)
		close(fd);
	return f;
}

int capture_writer__init(struct capture_writer *w, __u32 ncpus, const char *spool_near)
{
	memset(w, 0, sizeof(*w));
	w->jw = malloc(sizeof(*w->jw));
	if (!w->jw)
		return -ENOMEM;
	w->spool = open_spool(spool_near);
	if (!w->spool)
		return -errno;
	return snapshot__init(&w->totals, ncpus);
}

void capture_writer__free(struct capture_writer *w)
{
	if (w->spool)
		fclose(w->spool);
	free(w->jw);
	snapshot__free(&w->totals);
	memset(w, 0, sizeof(*w));
}

/*
 * A counter that went backwards (a map was reset) subtracts to 2^64 - x;
 * such a delta is meaningless and does not fit a JSON integer: count it 0.
 */
static void sanitize_words(__u64 *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] > (__u64)INT64_MAX)
			w[i] = 0;
}

#define NWORDS(type) (sizeof(type) / sizeof(__u64))

/* Do s's drop rows give each reason what its per-CPU counts add up to? */
static bool drops_agree(const struct snapshot *s)
{
	for (size_t i = 0; i < s->ncpu_drop_reasons; i++) {
		const __u64 *counts = snapshot__cpu_drops(s, i);
		__u64 cpu_sum = 0, row_sum = 0;

		for (__u32 c = 0; c < s->ncpus; c++)
			cpu_sum += counts[c];
		for (size_t r = 0; r < s->ndrops; r++)
			if (s->drops[r].key.reason == s->cpu_drop_reasons[i])
				row_sum += s->drops[r].count;
		if (cpu_sum != row_sum)
			return false;
	}
	/* and no drop row has a reason without per-CPU counts */
	for (size_t r = 0; r < s->ndrops; r++) {
		size_t i;

		for (i = 0; i < s->ncpu_drop_reasons; i++)
			if (s->cpu_drop_reasons[i] == s->drops[r].key.reason)
				break;
		if (s->drops[r].count && i == s->ncpu_drop_reasons)
			return false;
	}
	return true;
}

/* A write error's errno (ENOSPC, EDQUOT), EIO when stdio kept none. */
static int stream_error(FILE *f)
{
	return ferror(f) ? (errno ? -errno : -EIO) : 0;
}

int capture_writer__add(struct capture_writer *w, const struct snapshot *d)
{
	struct snapshot c = {};
	int err;

	err = snapshot__copy(&c, d);
	if (err)
		return err;
	for (__u32 i = 0; i < c.ncpus; i++)
		sanitize_words((__u64 *)&c.cpus[i], NWORDS(struct cpu_counters));
	sanitize_words((__u64 *)c.kicks, (size_t)c.ncpus * c.ncpus * NWORDS(struct kick_cell));
	for (size_t i = 0; i < c.ndrops; i++)
		sanitize_words(&c.drops[i].count, 1);
	sanitize_words(c.cpu_drop_counts, c.ncpu_drop_reasons * c.ncpus);
	for (size_t i = 0; i < c.nqueues; i++)
		sanitize_words((__u64 *)&c.queues[i].c, NWORDS(struct queue_counters));
	for (size_t i = 0; i < c.nsendmsg; i++)
		sanitize_words(c.sendmsg[i].h.ns, SKBTOP_LAT_SLOTS);
	for (size_t i = 0; i < c.nprogs; i++) {
		sanitize_words(&c.progs[i].run_ns, 1);
		sanitize_words(&c.progs[i].run_cnt, 1);
		sanitize_words(&c.progs[i].misses, 1);
	}
	sanitize_words(&c.user_cpu_ns, 1);
	/* a file keeps drops per (reason, CPU): the collector must have read them,
	 * and a reader refuses a sample whose drop_details disagree with them */
	if (!drops_agree(&c)) {
		snapshot__free(&c);
		return -EPROTO;
	}
	errno = 0;	/* a failed write below leaves its errno */
	if (w->nsamples)
		fputc(',', w->spool);
	jw_init(w->jw, w->spool, 0);
	w->jw->ascii = true;
	jw_object(w->jw);
	sample_members(w->jw, &c);
	jw_end(w->jw);
	err = stream_error(w->spool);
	err = err ?: snapshot__accumulate(&w->totals, &c);
	snapshot__free(&c);
	if (!err)
		w->nsamples++;
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

/*
 * 1.4: every cpu field summed over CPUs, null where nothing measured it
 * (readers take the counts from the CPU rows; this is for other tools).
 */
static void measured_sums(struct jsonw *w, const struct snapshot *t,
			  const struct probe_status *probes, size_t nprobes)
{
	struct cpu_counters sum;

	snapshot__sum_cpus(t, &sum);
	jw_key(w, "fields");
	jw_object(w);
	for (size_t i = 0; i < cpu_nfields; i++) {
		const struct field *f = &cpu_fields[i];
		double v;

		jw_key(w, f->name);
		if (f->kind == FIELD_GAUGE ||	/* captures hold no levels */
		    !field_measured(f, nprobes ? probes : NULL, nprobes) ||
		    !field_value(f, &sum, &v))
			jw_null(w);
		else if (f->kind == FIELD_RATIO)
			jw_real(w, v);
		else
			jw_u64(w, field_count(f, &sum));
	}
	jw_end(w);
}

static void command(struct jsonw *w, const struct capture *meta)
{
	jw_key(w, "command");
	if (meta->argc <= 0) {
		jw_null(w);
		return;
	}
	jw_object(w);
	jw_key(w, "argv");
	jw_array(w);
	for (int i = 0; i < meta->argc; i++)
		jw_string(w, meta->argv[i]);
	jw_end(w);
	jw_key(w, "exit_status");
	jw_s64(w, meta->exit_status);
	jw_key(w, "signal");
	jw_s64(w, meta->term_signal);
	jw_end(w);
}

static void environment(struct jsonw *w, const struct capture *meta, __u32 ncpus)
{
	const struct capture_env *e = &meta->env;

	jw_key(w, "environment");
	jw_object(w);
	jw_kv_string(w, "kernel_release", e->kernel_release);
	jw_kv_string(w, "kernel_version", e->kernel_version);
	jw_kv_string(w, "kernel_cmdline", e->kernel_cmdline);
	jw_kv_string(w, "cpu_model", e->cpu_model);
	jw_kv_string(w, "hostname", e->hostname);
	jw_kv_u64(w, "ncpus", ncpus);
	jw_key(w, "sysctls");
	jw_object(w);
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++)
		jw_kv_string(w, capture_sysctl_names[i], e->sysctls[i]);
	jw_end(w);
	jw_end(w);
}

static void probes(struct jsonw *w, const struct capture *meta)
{
	jw_key(w, "probes");
	jw_array(w);
	for (size_t i = 0; i < meta->nprobes; i++) {
		const struct probe_status *p = &meta->probes[i];

		jw_object(w);
		jw_kv_string(w, "probe", p->name);
		jw_kv_string(w, "group", p->group);
		jw_kv_string(w, "target", p->target);
		jw_kv_string(w, "mode", probe_mode_name(p->mode));
		if (p->variant)
			jw_kv_string(w, "variant", p->variant);
		if (p->reason[0])
			jw_kv_string(w, "reason", p->reason);
		if (p->note)
			jw_kv_string(w, "note", p->note);
		/* a capture holds counts, no levels: its gauges are unmeasured */
		if (p->caps & ~PROBE_CAP_LEVEL) {	/* 1.3; 1.4: every PROBE_CAP_* bit */
			jw_key(w, "caps");
			jw_array(w);
			for (size_t c = 0; c < probe_ncap_names; c++)
				if (p->caps & ~PROBE_CAP_LEVEL & probe_cap_names[c].bit)
					jw_string(w, probe_cap_names[c].name);
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
}

/* Name tables: every distinct reason and location in the totals. keys: ndrops slots. */
static void names(struct jsonw *w, const struct snapshot *t, const struct view_ctx *nm,
		  __u64 *keys)
{
	char buf[160];

	jw_key(w, "names");
	jw_object(w);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->ndrops; i++)
			keys[i] = pass ? t->drops[i].key.location : t->drops[i].key.reason;
		qsort(keys, t->ndrops, sizeof(*keys), cmp_u64);
		jw_key(w, pass ? "locations" : "reasons");
		jw_array(w);
		for (size_t i = 0; i < t->ndrops; i++) {
			if ((i && keys[i] == keys[i - 1]) || (pass && !keys[i]))
				continue;
			jw_object(w);
			if (pass) {
				kv_addr(w, "addr", keys[i]);
				jw_kv_string(w, "name",
					     nm->location_name(nm, keys[i], buf, sizeof(buf)));
			} else {
				jw_kv_u64(w, "id", keys[i]);
				jw_kv_string(w, "name",
					     nm->reason_name(nm, (__u32)keys[i], buf, sizeof(buf)));
			}
			jw_end(w);
		}
		jw_end(w);
	}
	jw_end(w);
}

int capture_writer__write(struct capture_writer *w, const struct capture *meta,
			  const struct view_ctx *nm, FILE *out)
{
	const struct snapshot *t = &w->totals;
	__u64 *keys = malloc((t->ndrops ? t->ndrops : 1) * sizeof(*keys));
	struct jsonw *j = w->jw;
	char ver[32], buf[65536];
	int ret = 0;
	size_t n;

	if (!keys)
		return -ENOMEM;
	errno = 0;	/* a failed write keeps its errno (ENOSPC is not "I/O error") */
	snprintf(ver, sizeof(ver), "%d.%d", CAPTURE_VERSION_MAJOR, CAPTURE_VERSION_MINOR);
	jw_init(j, out, 0);
	j->ascii = true;
	jw_object(j);
	jw_kv_string(j, "format", CAPTURE_FORMAT);
	jw_kv_string(j, "version", ver);
	jw_kv_string(j, "skbtop_version", meta->skbtop_version ? meta->skbtop_version : "unknown");
	jw_kv_u64(j, "start_time_ns", meta->start_ns);
	jw_kv_u64(j, "end_time_ns", meta->end_ns);
	jw_kv_u64(j, "interval_ns", meta->interval_ns);
	command(j, meta);
	environment(j, meta, t->ncpus);
	probes(j, meta);
	names(j, t, nm, keys);
	free(keys);
	jw_key(j, "totals");
	jw_object(j);
	sample_members(j, t);
	measured_sums(j, t, meta->probes, meta->nprobes);
	jw_end(j);
	/* the last member, the samples: the spool's text, copied into the open array */
	jw_key(j, "samples");
	jw_array(j);
	jw_flush(j);
	if ((ret = stream_error(out)))
		return ret;
	if (fflush(w->spool) || fseek(w->spool, 0, SEEK_SET))
		return -errno;
	while (!ret && (n = fread(buf, 1, sizeof(buf), w->spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = -errno;
	if (!ret && ferror(w->spool))
		ret = -EIO;
	fseek(w->spool, 0, SEEK_END);	/* more samples may follow */
	if (ret)
		return ret;
	jw_end(j);
	jw_end(j);
	if (fputc('\n', out) == EOF)
		return -errno;
	return stream_error(out);
}

struct writer_emit {
	struct capture_writer *w;
	const struct capture *meta;
	const struct view_ctx *names;
};

static int emit_writer(FILE *f, void *arg)
{
	struct writer_emit *e = arg;

	return capture_writer__write(e->w, e->meta, e->names, f);
}

int capture_writer__write_file(struct capture_writer *w, const struct capture *meta,
			       const struct view_ctx *names, const char *path, char *err,
			       size_t errlen)
{
	struct writer_emit e = { w, meta, names };

	return outfile__write(path, emit_writer, &e, true, NULL, err, errlen);
}
