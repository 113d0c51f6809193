// SPDX-License-Identifier: GPL-2.0
/*
 * Capture files: writer (sparse JSON per delta, atomic file replace) and a
 * validating reader. The reader treats every file as hostile: size, depth,
 * row and CPU limits are checked before anything is allocated for them, and
 * every field's type and range is checked before it is used.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "capture.h"
#include "files.h"

const char *const capture_sysctl_names[CAPTURE_NSYSCTLS] = {
	"net.core.skb_defer_max",
	"net.core.netdev_budget",
	"net.core.netdev_budget_usecs",
	"net.core.dev_weight",
	"net.core.busy_poll",
	"net.core.busy_read",
};

const struct capture_limits capture_default_limits = {
	.max_bytes = 256UL << 20,
	.max_ncpus = 8192,	/* NR_CPUS upper bound in Kconfig */
	.max_samples = 1000000,
	.max_rows = 1 << 16,
	.max_total_rows = 1 << 22,
	.max_names = 1 << 16,
	.max_depth = 16,	/* the format needs 5 */
};

#define MAX_STRING	65536	/* any string in the file */
#define MAX_PROGS	256	/* prog rows in one sample */
#define MAX_PROBES	256
#define MAX_ARGS	4096

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- freeing ---- */

static void free_probes(struct probe_status *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)p[i].name);
		free((char *)p[i].group);
		free((char *)p[i].target);
		free((char *)p[i].metrics);
		free((char *)p[i].variant);
		free((char *)p[i].note);
	}
	free(p);
}

static void free_names(struct capture_name *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

static void free_env(struct capture_env *e)
{
	free(e->kernel_release);
	free(e->kernel_version);
	free(e->kernel_cmdline);
	free(e->cpu_model);
	free(e->hostname);
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++)
		free(e->sysctls[i]);
	memset(e, 0, sizeof(*e));
}

void capture__free(struct capture *cap)
{
	free(cap->skbtop_version);
	free_env(&cap->env);
	free_probes(cap->probes, cap->nprobes);
	for (int i = 0; i < cap->argc; i++)
		free(cap->argv[i]);
	free(cap->argv);
	free_names(cap->reasons, cap->nreasons);
	free_names(cap->locations, cap->nlocations);
	for (size_t i = 0; i < cap->nsamples; i++) {
		free(cap->samples[i].drops);
		free(cap->samples[i].queues);
	}
	free(cap->samples);
	snapshot__free(&cap->totals);
	memset(cap, 0, sizeof(*cap));
}

/* ---- environment ---- */

static char *read_text(const char *path, size_t max)
{
	char *buf = malloc(max + 1);
	size_t n;
	FILE *f;

	if (!buf)
		return NULL;
	f = fopen(path, "re");
	if (!f) {
		free(buf);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	return buf;
}

static char *cpu_model(void)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *model = NULL;

	if (!f)
		return NULL;
	while (!model && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		model = strdup(colon);
	}
	fclose(f);
	return model;
}

int capture_env__collect(struct capture_env *env, __u32 ncpus)
{
	struct utsname u;

	memset(env, 0, sizeof(*env));
	env->ncpus = ncpus;
	if (!uname(&u)) {
		env->kernel_release = strdup(u.release);
		env->kernel_version = strdup(u.version);
		env->hostname = strdup(u.nodename);
	}
	env->kernel_cmdline = read_text("/proc/cmdline", 4096);
	env->cpu_model = cpu_model();
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++) {
		char path[128];

		snprintf(path, sizeof(path), "/proc/sys/%s", capture_sysctl_names[i]);
		for (char *c = path + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		env->sysctls[i] = read_text(path, 256);
	}
	if (!env->kernel_release || !env->kernel_cmdline)
		return -ENOMEM;
	return 0;
}

int capture__set_probes(struct capture *cap, const struct probe_status *p, size_t n)
{
	struct probe_status *c = calloc(n ? n : 1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i].name = xstrdup(p[i].name ? p[i].name : "");
		c[i].group = xstrdup(p[i].group ? p[i].group : "");
		c[i].target = xstrdup(p[i].target ? p[i].target : "");
		c[i].metrics = xstrdup(p[i].metrics);
		c[i].variant = xstrdup(p[i].variant);
		c[i].note = xstrdup(p[i].note);
		c[i].mode = p[i].mode;
		c[i].caps = p[i].caps;
		snprintf(c[i].reason, sizeof(c[i].reason), "%s", p[i].reason);
	}
	free_probes(cap->probes, cap->nprobes);
	cap->probes = c;
	cap->nprobes = n;
	return 0;
}

int capture__set_command(struct capture *cap, char **argv, int argc)
{
	char **a = calloc(argc + 1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	for (int i = 0; i < argc; i++)
		if (!(a[i] = strdup(argv[i]))) {
			while (i--)
				free(a[i]);
			free(a);
			return -ENOMEM;
		}
	cap->argv = a;
	cap->argc = argc;
	return 0;
}

/* ---- writer ---- */

static const char *dir_str(__u8 dir)
{
	return dir == QUEUE_RX ? "rx" : dir == QUEUE_TX ? "tx" : NULL;
}

static json_t *jint(__u64 v)
{
	return json_integer((json_int_t)v);
}

static void set_nonzero(json_t *o, const char *key, __u64 v)
{
	if (v)
		json_object_set_new(o, key, jint(v));
}

static json_t *hist_json(const __u64 *h)
{
	int last = -1;
	json_t *a;

	for (int i = 0; i < SKBTOP_HIST_SLOTS; i++)
		if (h[i])
			last = i;
	if (last < 0)
		return NULL;
	a = json_array();
	for (int i = 0; i <= last; i++)
		json_array_append_new(a, jint(h[i]));
	return a;
}

static void hex_addr(char *buf, size_t len, __u64 a)
{
	snprintf(buf, len, "0x%" PRIx64, (uint64_t)a);
}

/* Do d's drop rows carry more than a reason (recorded with -L)? */
static bool drops_have_detail(const struct snapshot *d)
{
	for (size_t i = 0; i < d->ndrops; i++)
		if (d->drops[i].key.location || d->drops[i].key.ifindex || d->drops[i].key.dir)
			return true;
	return false;
}

static json_t *drop_detail_json(const struct drop_row *r)
{
	json_t *row = json_object();
	char addr[24];

	json_object_set_new(row, "reason", json_integer(r->key.reason));
	json_object_set_new(row, "count", jint(r->count));
	hex_addr(addr, sizeof(addr), r->key.location);
	json_object_set_new(row, "location", json_string(addr));
	if (r->key.ifindex) {
		json_object_set_new(row, "ifindex", json_integer(r->key.ifindex));
		json_object_set_new(row, "ifname",
				    json_stringn(r->key.ifname,
						 strnlen(r->key.ifname, SKBTOP_IFNAMSIZ - 1)));
	}
	if (dir_str(r->key.dir)) {
		json_object_set_new(row, "dir", json_string(dir_str(r->key.dir)));
		json_object_set_new(row, "queue", json_integer(r->key.queue));
	}
	return row;
}

json_t *capture__sample_json(const struct snapshot *d)
{
	json_t *o = json_object(), *cpus = json_array(), *kicks = json_array();
	json_t *drops = json_array(), *queues = json_array(), *progs = json_array();

	json_object_set_new(o, "time_ns", jint(d->real_ns));
	json_object_set_new(o, "interval_ns", jint(d->mono_ns));
	json_object_set_new(o, "user_cpu_ns", jint(d->user_cpu_ns));
	for (__u32 c = 0; c < d->ncpus; c++) {
		const struct cpu_counters *cc = &d->cpus[c];
		json_t *row = json_object(), *h;

		for (size_t i = 0; i < cpu_nfields; i++)
			if (cpu_fields[i].kind == FIELD_COUNT)
				set_nonzero(row, cpu_fields[i].name, field_count(&cpu_fields[i], cc));
		if ((h = hist_json(cc->bulk_hist)))
			json_object_set_new(row, "bulk_hist", h);
		if ((h = hist_json(cc->defer_flush_hist)))
			json_object_set_new(row, "defer_flush_hist", h);
		if (!json_object_size(row)) {
			json_decref(row);
			continue;
		}
		json_object_set_new(row, "cpu", json_integer(c));
		json_array_append_new(cpus, row);
	}
	json_object_set_new(o, "cpus", cpus);
	for (__u32 s = 0; s < d->ncpus; s++)
		for (__u32 t = 0; t < d->ncpus; t++) {
			const struct kick_cell *k = &d->kicks[(size_t)s * d->ncpus + t];
			json_t *row;

			if (!k->queued && !k->kicks && !k->ipis)
				continue;
			row = json_object();
			json_object_set_new(row, "from_cpu", json_integer(s));	/* 1.4 */
			json_object_set_new(row, "to_cpu", json_integer(t));
			set_nonzero(row, "queued", k->queued);
			set_nonzero(row, "kicks", k->kicks);
			set_nonzero(row, "ipis", k->ipis);
			json_array_append_new(kicks, row);
		}
	json_object_set_new(o, "kicks", kicks);
	/* drops: per (reason, CPU), as 1.1 files have them (location 0x0) */
	for (size_t i = 0; i < d->ncpu_drop_reasons; i++) {
		const __u64 *counts = snapshot__cpu_drops(d, i);

		for (__u32 c = 0; c < d->ncpus; c++) {
			json_t *row;

			if (!counts[c])
				continue;
			row = json_object();
			json_object_set_new(row, "reason", json_integer(d->cpu_drop_reasons[i]));
			json_object_set_new(row, "cpu", json_integer(c));
			json_object_set_new(row, "count", jint(counts[c]));
			json_object_set_new(row, "location", json_string("0x0"));
			json_array_append_new(drops, row);
		}
	}
	json_object_set_new(o, "drops", drops);
	if (drops_have_detail(d)) {	/* 1.2: -L rows, summed over CPUs */
		json_t *details = json_array();

		for (size_t i = 0; i < d->ndrops; i++)
			json_array_append_new(details, drop_detail_json(&d->drops[i]));
		json_object_set_new(o, "drop_details", details);
	}
	for (size_t i = 0; i < d->nqueues; i++) {
		const struct queue_row *q = &d->queues[i];
		json_t *row = json_object();

		json_object_set_new(row, "ifindex", json_integer(q->key.ifindex));
		json_object_set_new(row, "ifname",
				    json_stringn(q->key.ifname,
						 strnlen(q->key.ifname, SKBTOP_IFNAMSIZ - 1)));
		json_object_set_new(row, "queue", json_integer(q->key.queue));
		if (dir_str(q->key.dir))
			json_object_set_new(row, "dir", json_string(dir_str(q->key.dir)));
		for (size_t f = 0; f < queue_nfields; f++)
			if (queue_fields[f].kind == FIELD_COUNT)
				set_nonzero(row, queue_fields[f].name,
					    field_count(&queue_fields[f], &q->c));
		json_array_append_new(queues, row);
	}
	json_object_set_new(o, "queues", queues);
	for (size_t i = 0; i < d->nprogs; i++) {
		json_t *row = json_object();

		json_object_set_new(row, "name", json_string(d->progs[i].name));
		/* 1.4: left out when 0 (record does not turn run-time stats on) */
		set_nonzero(row, "run_ns", d->progs[i].run_ns);
		set_nonzero(row, "run_cnt", d->progs[i].run_cnt);
		if (d->progs[i].misses)	/* 1.1: runs the kernel skipped (recursion) */
			json_object_set_new(row, "misses", jint(d->progs[i].misses));
		json_array_append_new(progs, row);
	}
	json_object_set_new(o, "progs", progs);
	return o;
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
	w->spool = open_spool(spool_near);
	if (!w->spool)
		return -errno;
	return snapshot__init(&w->totals, ncpus);
}

void capture_writer__free(struct capture_writer *w)
{
	if (w->spool)
		fclose(w->spool);
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

int capture_writer__add(struct capture_writer *w, const struct snapshot *d)
{
	struct snapshot c = {};
	json_t *o;
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
	o = capture__sample_json(&c);
	if (!o) {
		snapshot__free(&c);
		return -ENOMEM;
	}
	errno = 0;	/* a failed write below leaves its errno (ENOSPC, EDQUOT) */
	if (w->nsamples)
		fputc(',', w->spool);
	err = json_dumpf(o, w->spool, JSON_COMPACT | JSON_ENSURE_ASCII) || ferror(w->spool)
		? (errno ? -errno : -EIO) : 0;
	json_decref(o);
	err = err ?: snapshot__accumulate(&w->totals, &c);
	snapshot__free(&c);
	if (!err)
		w->nsamples++;
	return err;
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
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
static json_t *measured_sums(const struct snapshot *t, const struct probe_status *probes,
			     size_t nprobes)
{
	json_t *o = json_object();
	struct cpu_counters sum;

	snapshot__sum_cpus(t, &sum);
	for (size_t i = 0; i < cpu_nfields; i++) {
		const struct field *f = &cpu_fields[i];
		double v;

		if (f->kind == FIELD_GAUGE ||	/* captures hold no levels */
		    !field_measured(f, nprobes ? probes : NULL, nprobes) ||
		    !field_value(f, &sum, &v))
			json_object_set_new(o, f->name, json_null());
		else if (f->kind == FIELD_RATIO)
			json_object_set_new(o, f->name, json_real(v));
		else
			json_object_set_new(o, f->name, jint(field_count(f, &sum)));
	}
	return o;
}

/* Everything but the samples. */
static json_t *writer_header(const struct capture_writer *w, const struct capture *meta,
			     const struct view_ctx *names)
{
	json_t *doc = json_object(), *env = json_object(), *sys = json_object();
	json_t *probes = json_array(), *nm = json_object(), *rs = json_array(), *ls = json_array();
	const struct snapshot *t = &w->totals;
	char ver[32], buf[160];
	__u64 *keys;
	size_t n;

	snprintf(ver, sizeof(ver), "%d.%d", CAPTURE_VERSION_MAJOR, CAPTURE_VERSION_MINOR);
	json_object_set_new(doc, "format", json_string(CAPTURE_FORMAT));
	json_object_set_new(doc, "version", json_string(ver));
	json_object_set_new(doc, "skbtop_version",
			    json_string(meta->skbtop_version ? meta->skbtop_version : "unknown"));
	json_object_set_new(doc, "start_time_ns", jint(meta->start_ns));
	json_object_set_new(doc, "end_time_ns", jint(meta->end_ns));
	json_object_set_new(doc, "interval_ns", jint(meta->interval_ns));
	if (meta->argc > 0) {
		json_t *cmd = json_object(), *argv = json_array();

		for (int i = 0; i < meta->argc; i++)
			json_array_append_new(argv, json_string(meta->argv[i]));
		json_object_set_new(cmd, "argv", argv);
		json_object_set_new(cmd, "exit_status", json_integer(meta->exit_status));
		json_object_set_new(cmd, "signal", json_integer(meta->term_signal));
		json_object_set_new(doc, "command", cmd);
	} else {
		json_object_set_new(doc, "command", json_null());
	}
	json_object_set_new(env, "kernel_release", jstr_or_null(meta->env.kernel_release));
	json_object_set_new(env, "kernel_version", jstr_or_null(meta->env.kernel_version));
	json_object_set_new(env, "kernel_cmdline", jstr_or_null(meta->env.kernel_cmdline));
	json_object_set_new(env, "cpu_model", jstr_or_null(meta->env.cpu_model));
	json_object_set_new(env, "hostname", jstr_or_null(meta->env.hostname));
	json_object_set_new(env, "ncpus", json_integer(t->ncpus));
	for (int i = 0; i < CAPTURE_NSYSCTLS; i++)
		json_object_set_new(sys, capture_sysctl_names[i], jstr_or_null(meta->env.sysctls[i]));
	json_object_set_new(env, "sysctls", sys);
	json_object_set_new(doc, "environment", env);
	for (size_t i = 0; i < meta->nprobes; i++) {
		const struct probe_status *p = &meta->probes[i];
		json_t *row = json_object();

		json_object_set_new(row, "probe", json_string(p->name));
		json_object_set_new(row, "group", json_string(p->group));
		json_object_set_new(row, "target", json_string(p->target));
		json_object_set_new(row, "mode", json_string(probe_mode_name(p->mode)));
		if (p->variant)
			json_object_set_new(row, "variant", json_string(p->variant));
		if (p->reason[0])
			json_object_set_new(row, "reason", json_string(p->reason));
		if (p->note)
			json_object_set_new(row, "note", json_string(p->note));
		/* a capture holds counts, no levels: its gauges are unmeasured */
		if (p->caps & ~PROBE_CAP_LEVEL) {	/* 1.3; 1.4: every PROBE_CAP_* bit */
			json_t *caps = json_array();

			for (size_t c = 0; c < probe_ncap_names; c++)
				if (p->caps & ~PROBE_CAP_LEVEL & probe_cap_names[c].bit)
					json_array_append_new(caps,
							      json_string(probe_cap_names[c].name));
			json_object_set_new(row, "caps", caps);
		}
		json_array_append_new(probes, row);
	}
	json_object_set_new(doc, "probes", probes);

	/* name tables: every distinct reason and location in the totals */
	keys = malloc((t->ndrops ? t->ndrops : 1) * sizeof(*keys));
	if (keys) {
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < t->ndrops; i++)
				keys[i] = pass ? t->drops[i].key.location : t->drops[i].key.reason;
			qsort(keys, t->ndrops, sizeof(*keys), cmp_u64);
			n = 0;
			for (size_t i = 0; i < t->ndrops; i++) {
				json_t *row;

				if ((i && keys[i] == keys[i - 1]) || (pass && !keys[i]))
					continue;
				row = json_object();
				n++;
				if (pass) {
					char addr[24];

					hex_addr(addr, sizeof(addr), keys[i]);
					json_object_set_new(row, "addr", json_string(addr));
					json_object_set_new(row, "name", json_string(
						names->location_name(names, keys[i], buf, sizeof(buf))));
					json_array_append_new(ls, row);
				} else {
					json_object_set_new(row, "id", jint(keys[i]));
					json_object_set_new(row, "name", json_string(
						names->reason_name(names, (__u32)keys[i], buf, sizeof(buf))));
					json_array_append_new(rs, row);
				}
			}
		}
		free(keys);
	}
	json_object_set_new(nm, "reasons", rs);
	json_object_set_new(nm, "locations", ls);
	json_object_set_new(doc, "names", nm);
	json_object_set_new(doc, "totals", capture__sample_json(t));
	json_object_set_new(json_object_get(doc, "totals"), "fields",
			    measured_sums(t, meta->probes, meta->nprobes));
	if (!keys) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int emit_doc(FILE *f, void *doc)
{
	if (json_dumpf(doc, f, JSON_COMPACT | JSON_ENSURE_ASCII))
		return ferror(f) ? -errno : -ENOMEM;
	return fputc('\n', f) == EOF ? -errno : 0;
}

int capture__write_file(const char *path, json_t *doc, char *err, size_t errlen)
{
	return outfile__write(path, emit_doc, doc, true, NULL, err, errlen);
}

int capture_writer__write(struct capture_writer *w, const struct capture *meta,
			  const struct view_ctx *names, FILE *out)
{
	json_t *doc = writer_header(w, meta, names);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	char buf[65536];
	size_t len, n;
	int ret = 0;

	json_decref(doc);
	if (!text)
		return -ENOMEM;
	/* the header object, opened again for its last member: the samples;
	 * a failed write keeps its errno (ENOSPC is not "I/O error") */
	len = strlen(text);
	if (fwrite(text, 1, len - 1, out) != len - 1 || fputs(",\"samples\":[", out) == EOF)
		ret = -errno;
	free(text);
	if (ret)
		return ret;
	if (fflush(w->spool) || fseek(w->spool, 0, SEEK_SET))
		return -errno;
	while (!ret && (n = fread(buf, 1, sizeof(buf), w->spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = -errno;
	if (!ret && ferror(w->spool))
		ret = -EIO;
	fseek(w->spool, 0, SEEK_END);	/* more samples may follow */
	if (!ret && fputs("]}\n", out) == EOF)
		ret = -errno;
	if (!ret && ferror(out))
		ret = -EIO;
	return ret;
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

/* ---- reader ---- */

struct parser {
	const struct capture_limits *lim;
	char *err;
	size_t errlen;
	size_t total_rows;
	__u32 ncpus;
	/* running totals over the samples: no count may pass 2^64 (issue 20) */
	struct cpu_counters sum;
	__u64 drops;
	bool wrapped;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Integer member in [0, max]; absent is 0 unless required. */
static int get_uint(struct parser *p, const json_t *o, const char *key, bool required,
		    __u64 max, __u64 *out, const char *where)
{
	const json_t *v = json_object_get(o, key);
	json_int_t x;

	*out = 0;
	if (!v) {
		if (required)
			return fail(p, "%s: missing \"%s\"", where, key);
		return 0;
	}
	if (!json_is_integer(v))
		return fail(p, "%s.%s: expected an integer", where, key);
	x = json_integer_value(v);
	if (x < 0)
		return fail(p, "%s.%s: negative value %lld", where, key, (long long)x);
	if ((__u64)x > max)
		return fail(p, "%s.%s: %lld out of range (max %llu)", where, key, (long long)x,
			    (unsigned long long)max);
	*out = (__u64)x;
	return 0;
}

/* String member: no NULs, at most maxlen bytes; absent or null gives NULL. */
static int get_str(struct parser *p, const json_t *o, const char *key, bool required,
		   size_t maxlen, const char **out, const char *where)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || (json_is_null(v) && !required)) {
		if (required)
			return fail(p, "%s: missing \"%s\"", where, key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(p, "%s.%s: expected a string", where, key);
	if (json_string_length(v) > maxlen)
		return fail(p, "%s.%s: string longer than %zu bytes", where, key, maxlen);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(p, "%s.%s: string contains NUL", where, key);
	*out = json_string_value(v);
	return 0;
}

static int dup_str(struct parser *p, const json_t *o, const char *key, bool required,
		   char **out, const char *where)
{
	const char *s;
	int err = get_str(p, o, key, required, MAX_STRING, &s, where);

	*out = NULL;
	if (err || !s)
		return err;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int get_array(struct parser *p, const json_t *o, const char *key, bool required,
		     size_t max, const json_t **out, const char *where)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v) {
		if (required)
			return fail(p, "%s: missing \"%s\"", where, key);
		return 0;
	}
	if (!json_is_array(v))
		return fail(p, "%s.%s: expected an array", where, key);
	if (json_array_size(v) > max)
		return fail(p, "%s.%s: %zu entries, more than the limit %zu", where, key,
			    json_array_size(v), max);
	*out = v;
	return 0;
}

/* A probe's "caps" (1.3): names of PROBE_CAP_* bits; unknown names are a newer minor's. */
static int read_caps(struct parser *p, const json_t *row, unsigned int *caps, const char *where)
{
	const json_t *a;
	int err = get_array(p, row, "caps", false, 32, &a, where);

	*caps = 0;
	for (size_t i = 0; !err && a && i < json_array_size(a); i++) {
		const char *name = json_string_value(json_array_get(a, i));

		if (!name)
			return fail(p, "%s.caps[%zu]: expected a string", where, i);
		for (size_t c = 0; c < probe_ncap_names; c++)
			if (!strcmp(name, probe_cap_names[c].name))
				*caps |= probe_cap_names[c].bit;
	}
	return err;
}

static int parse_addr(const char *s, __u64 *out)
{
	__u64 v = 0;
	size_t i;

	if (strncmp(s, "0x", 2) || !s[2] || strlen(s) > 18)
		return -EINVAL;
	for (i = 2; s[i]; i++) {
		int c = tolower((unsigned char)s[i]);

		if (!isxdigit(c))
			return -EINVAL;
		v = v << 4 | (__u64)(isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	*out = v;
	return 0;
}

static int parse_dir(struct parser *p, const json_t *row, __u8 *dir, const char *where)
{
	const char *s;
	int err = get_str(p, row, "dir", false, 8, &s, where);

	*dir = QUEUE_NONE;
	if (err || !s)
		return err;
	if (!strcmp(s, "rx"))
		*dir = QUEUE_RX;
	else if (!strcmp(s, "tx"))
		*dir = QUEUE_TX;
	else
		return fail(p, "%s.dir: \"%s\" is not rx or tx", where, s);
	return 0;
}

static int parse_ifname(struct parser *p, const json_t *row, char *ifname, const char *where)
{
	const char *s;
	int err = get_str(p, row, "ifname", false, SKBTOP_IFNAMSIZ - 1, &s, where);

	memset(ifname, 0, SKBTOP_IFNAMSIZ);
	if (!err && s)
		memcpy(ifname, s, strlen(s));
	return err;
}

static int parse_hist(struct parser *p, const json_t *row, const char *key, __u64 *h,
		      const char *where)
{
	const json_t *a;
	int err = get_array(p, row, key, false, SKBTOP_HIST_SLOTS, &a, where);

	memset(h, 0, SKBTOP_HIST_SLOTS * sizeof(*h));
	if (err || !a)
		return err;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *v = json_array_get(a, i);

		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return fail(p, "%s.%s[%zu]: expected a count", where, key, i);
		h[i] = (__u64)json_integer_value(v);
	}
	return 0;
}

static int cmp_reason_count(const void *a, const void *b)
{
	const struct capture_reason_count *x = a, *y = b;

	return (x->reason > y->reason) - (x->reason < y->reason);
}

static int cmp_queue_row(const void *a, const void *b)
{
	const struct queue_row *x = a, *y = b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* acc += d, word by word; true if a sum passed 2^64 (the reader then refuses the file) */
static bool add_words(__u64 *acc, const __u64 *d, size_t n)
{
	bool wrapped = false;

	for (size_t i = 0; i < n; i++)
		wrapped |= __builtin_add_overflow(acc[i], d[i], &acc[i]);
	return wrapped;
}

/* Sort rows by key and add up duplicates; returns the new count. */
static size_t merge_queues(struct queue_row *q, size_t n, bool *wrapped)
{
	size_t out = 0;

	if (!n)
		return 0;
	qsort(q, n, sizeof(*q), cmp_queue_row);
	for (size_t i = 1; i < n; i++) {
		if (!memcmp(&q[i].key, &q[out].key, sizeof(q[i].key)))
			*wrapped |= add_words((__u64 *)&q[out].c, (const __u64 *)&q[i].c,
					      NWORDS(struct queue_counters));
		else
			q[++out] = q[i];
	}
	return out + 1;
}

static int count_rows(struct parser *p, size_t n, const char *where)
{
	p->total_rows += n;
	if (p->total_rows > p->lim->max_total_rows)
		return fail(p, "%s: more than %zu rows in the file", where, p->lim->max_total_rows);
	return 0;
}

/* Sort (reason, count) pairs by reason and add up each reason's: the new count. */
static size_t merge_reason_counts(struct capture_reason_count *rc, size_t n)
{
	size_t o = 0;

	if (!n)
		return 0;
	qsort(rc, n, sizeof(*rc), cmp_reason_count);
	for (size_t i = 1; i < n; i++) {
		if (rc[i].reason == rc[o].reason)
			rc[o].count += rc[i].count;
		else
			rc[++o] = rc[i];
	}
	return o + 1;
}

static __u64 reason_count(const struct capture_reason_count *rc, size_t n, __u32 reason)
{
	for (size_t i = 0; i < n; i++)
		if (rc[i].reason == reason)
			return rc[i].count;
	return 0;
}

/* A drop row's key and count (drops[] and drop_details[] rows). */
static int parse_drop_row(struct parser *p, const json_t *row, struct drop_key *key, __u64 *count,
			  const char *w)
{
	__u64 reason, ifindex, queue;
	const char *loc;
	int err;

	memset(key, 0, sizeof(*key));
	if (!json_is_object(row))
		return fail(p, "%s: expected an object", w);
	err = get_uint(p, row, "reason", true, UINT32_MAX, &reason, w);
	err = err ?: get_uint(p, row, "count", true, INT64_MAX, count, w);
	err = err ?: get_uint(p, row, "ifindex", false, UINT32_MAX, &ifindex, w);
	err = err ?: get_uint(p, row, "queue", false, UINT16_MAX, &queue, w);
	err = err ?: get_str(p, row, "location", false, 18, &loc, w);
	err = err ?: parse_dir(p, row, &key->dir, w);
	err = err ?: parse_ifname(p, row, key->ifname, w);
	if (!err && loc && parse_addr(loc, &key->location))
		err = fail(p, "%s.location: \"%s\" is not a 0x address", w, loc);
	if (err)
		return err;
	key->reason = (__u32)reason;
	key->ifindex = (__u32)ifindex;
	key->queue = (__u16)queue;
	return 0;
}

/*
 * One sample (or the totals) into out; when acc is set, its rows are added
 * into acc as well (drops and queues appended, merged at the end).
 */
static int parse_sample(struct parser *p, const json_t *js, const char *where,
			struct capture_sample *out, struct snapshot *acc)
{
	const json_t *cpus, *kicks, *drops, *details = NULL, *queues, *progs;
	size_t max = p->lim->max_rows, ndetail;
	struct capture_reason_count *rc = NULL, *drc;
	__u64 v, dsum = 0, detail_sum = 0;
	char w[96];
	int err;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(js))
		return fail(p, "%s: expected an object", where);
	err = get_uint(p, js, "time_ns", true, INT64_MAX, &out->time_ns, where);
	err = err ?: get_uint(p, js, "interval_ns", true, INT64_MAX, &out->interval_ns, where);
	err = err ?: get_uint(p, js, "user_cpu_ns", false, INT64_MAX, &out->user_cpu_ns, where);
	err = err ?: get_array(p, js, "cpus", false, p->ncpus, &cpus, where);
	err = err ?: get_array(p, js, "kicks", false, max, &kicks, where);
	err = err ?: get_array(p, js, "drops", false, max, &drops, where);
	if (!err && json_object_get(js, "drop_details"))
		err = get_array(p, js, "drop_details", false, max, &details, where);
	err = err ?: get_array(p, js, "queues", false, max, &queues, where);
	err = err ?: get_array(p, js, "progs", false, MAX_PROGS, &progs, where);
	if (err)
		return err;
	err = count_rows(p, json_array_size(cpus) + json_array_size(kicks) +
			    json_array_size(drops) + json_array_size(details) +
			    json_array_size(queues), where);
	if (err)
		return err;
	if (acc) {
		acc->mono_ns += out->interval_ns;
		if (out->time_ns > acc->real_ns)
			acc->real_ns = out->time_ns;
		acc->user_cpu_ns += out->user_cpu_ns;
	}

	for (size_t i = 0; i < json_array_size(cpus); i++) {
		const json_t *row = json_array_get(cpus, i);
		struct cpu_counters c = {};

		snprintf(w, sizeof(w), "%s.cpus[%zu]", where, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		err = get_uint(p, row, "cpu", true, p->ncpus - 1, &v, w);
		for (size_t f = 0; f < cpu_nfields && !err; f++)
			if (cpu_fields[f].kind == FIELD_COUNT)
				err = get_uint(p, row, cpu_fields[f].name, false, INT64_MAX,
					       (__u64 *)((char *)&c + cpu_fields[f].offset), w);
		err = err ?: parse_hist(p, row, "bulk_hist", c.bulk_hist, w);
		err = err ?: parse_hist(p, row, "defer_flush_hist", c.defer_flush_hist, w);
		if (err)
			return err;
		p->wrapped |= add_words((__u64 *)&out->sum, (const __u64 *)&c,
					NWORDS(struct cpu_counters));
		if (acc)
			p->wrapped |= add_words((__u64 *)&acc->cpus[v], (const __u64 *)&c,
						NWORDS(struct cpu_counters)) ||
				      add_words((__u64 *)&p->sum, (const __u64 *)&c,
						NWORDS(struct cpu_counters));
	}

	for (size_t i = 0; i < json_array_size(kicks); i++) {
		const json_t *row = json_array_get(kicks, i);
		struct kick_cell k;
		__u64 from, to;

		snprintf(w, sizeof(w), "%s.kicks[%zu]", where, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		/* "from"/"to" before 1.4 */
		err = get_uint(p, row, json_object_get(row, "from") ? "from" : "from_cpu", true,
			       p->ncpus - 1, &from, w);
		err = err ?: get_uint(p, row, json_object_get(row, "to") ? "to" : "to_cpu", true,
				      p->ncpus - 1, &to, w);
		err = err ?: get_uint(p, row, "queued", false, INT64_MAX, &k.queued, w);
		err = err ?: get_uint(p, row, "kicks", false, INT64_MAX, &k.kicks, w);
		err = err ?: get_uint(p, row, "ipis", false, INT64_MAX, &k.ipis, w);
		if (err)
			return err;
		out->sum.defer_ipis_recv += k.ipis;
		if (acc)
			p->wrapped |= add_words((__u64 *)&acc->kicks[from * p->ncpus + to],
						(const __u64 *)&k, NWORDS(struct kick_cell));
	}

	/*
	 * drops: per (reason, CPU). 1.1 files recorded with -L carry the
	 * location and device in these rows; 1.2 files keep them, summed over
	 * CPUs, in drop_details, which must add up to the same count.
	 */
	rc = calloc(json_array_size(drops) ? json_array_size(drops) : 1, sizeof(*rc));
	drc = calloc(json_array_size(details) ? json_array_size(details) : 1, sizeof(*drc));
	if (!rc || !drc) {
		free(rc);
		free(drc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < json_array_size(drops) && !err; i++) {
		struct drop_key key;
		__u64 cpu, count;

		snprintf(w, sizeof(w), "%s.drops[%zu]", where, i);
		err = parse_drop_row(p, json_array_get(drops, i), &key, &count, w);
		err = err ?: get_uint(p, json_array_get(drops, i), "cpu", true, p->ncpus - 1, &cpu,
				      w);
		if (!err && (dsum += count) > (__u64)INT64_MAX)
			err = fail(p, "%s: the counts add up past 2^63", w);
		if (err)
			break;
		rc[i].reason = key.reason;
		rc[i].count = count;
		if (acc)
			err = snapshot__add_cpu_drop(acc, key.reason, (__u32)cpu, count);
		if (acc && !err && acc->ncpu_drop_reasons * p->ncpus > p->lim->max_total_rows)
			err = fail(p, "%s: more than %zu per-CPU drop counts", w,
				   p->lim->max_total_rows);
		if (acc && !err && !details)
			err = snapshot__add_drop(acc, &key, count);
	}
	for (size_t i = 0; i < json_array_size(details) && !err; i++) {
		struct drop_key key;
		__u64 count;

		snprintf(w, sizeof(w), "%s.drop_details[%zu]", where, i);
		err = parse_drop_row(p, json_array_get(details, i), &key, &count, w);
		if (!err && (detail_sum += count) > (__u64)INT64_MAX)
			err = fail(p, "%s: the counts add up past 2^63", w);
		if (err)
			break;
		drc[i].reason = key.reason;
		drc[i].count = count;
		if (acc)
			err = snapshot__add_drop(acc, &key, count);
	}
	if (acc && !err)	/* every drop row and per-CPU cell is at most this */
		p->wrapped |= __builtin_add_overflow(p->drops, dsum, &p->drops);
	/* one row per reason, sorted; drop_details must give each reason the same count */
	out->ndrops = err ? 0 : merge_reason_counts(rc, json_array_size(drops));
	ndetail = err ? 0 : merge_reason_counts(drc, json_array_size(details));
	for (size_t i = 0; details && !err && (i < out->ndrops || i < ndetail); i++) {
		__u32 r;

		if (i < out->ndrops && i < ndetail && rc[i].reason == drc[i].reason &&
		    rc[i].count == drc[i].count)
			continue;
		/* the smaller reason of the two rows is missing from, or differs in, the other */
		r = i < ndetail && (i >= out->ndrops || drc[i].reason <= rc[i].reason) ?
			drc[i].reason : rc[i].reason;
		err = fail(p, "%s.drop_details: reason %u has %llu drops, drops has %llu", where, r,
			   (unsigned long long)reason_count(drc, ndetail, r),
			   (unsigned long long)reason_count(rc, out->ndrops, r));
	}
	free(drc);
	if (err) {
		free(rc);
		return err;
	}
	out->drops = rc;

	out->queues = calloc(json_array_size(queues) ? json_array_size(queues) : 1,
			     sizeof(*out->queues));
	if (!out->queues)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(queues); i++) {
		const json_t *row = json_array_get(queues, i);
		struct queue_row *q = &out->queues[i];
		__u64 ifindex, queue;

		snprintf(w, sizeof(w), "%s.queues[%zu]", where, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		err = get_uint(p, row, "ifindex", false, UINT32_MAX, &ifindex, w);
		err = err ?: get_uint(p, row, "queue", false, UINT16_MAX, &queue, w);
		err = err ?: parse_dir(p, row, &q->key.dir, w);
		err = err ?: parse_ifname(p, row, q->key.ifname, w);
		for (size_t f = 0; f < queue_nfields && !err; f++)
			if (queue_fields[f].kind == FIELD_COUNT)
				err = get_uint(p, row, queue_fields[f].name, false, INT64_MAX,
					       (__u64 *)((char *)&q->c + queue_fields[f].offset), w);
		if (err)
			return err;
		q->key.ifindex = (__u32)ifindex;
		q->key.queue = (__u16)queue;
		if (acc && (err = snapshot__add_queue(acc, &q->key, &q->c)))
			return err;
	}
	out->nqueues = merge_queues(out->queues, json_array_size(queues), &p->wrapped);

	for (size_t i = 0; i < json_array_size(progs); i++) {
		const json_t *row = json_array_get(progs, i);
		const char *name;
		__u64 run_ns, run_cnt, misses = 0;
		size_t j;

		snprintf(w, sizeof(w), "%s.progs[%zu]", where, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		err = get_str(p, row, "name", true, sizeof(((struct prog_row *)0)->name) - 1,
			      &name, w);
		err = err ?: get_uint(p, row, "run_ns", false, INT64_MAX, &run_ns, w);
		err = err ?: get_uint(p, row, "run_cnt", false, INT64_MAX, &run_cnt, w);
		err = err ?: get_uint(p, row, "misses", false, INT64_MAX, &misses, w);
		if (err)
			return err;
		if (!acc)
			continue;
		for (j = 0; j < acc->nprogs; j++)
			if (!strcmp(acc->progs[j].name, name))
				break;
		if (j < acc->nprogs) {
			acc->progs[j].run_ns += run_ns;
			acc->progs[j].run_cnt += run_cnt;
			acc->progs[j].misses += misses;
		} else if (acc->nprogs >= MAX_PROGS) {
			return fail(p, "%s: more than %d distinct programs", w, MAX_PROGS);
		} else if ((err = snapshot__add_prog(acc, name, run_ns, run_cnt))) {
			return err;
		} else {
			acc->progs[acc->nprogs - 1].misses = misses;
		}
	}
	return 0;
}

static void free_sample(struct capture_sample *s)
{
	free(s->drops);
	free(s->queues);
	memset(s, 0, sizeof(*s));
}

static int cmp_drop_row(const void *a, const void *b)
{
	const struct drop_row *x = a, *y = b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static void merge_drops(struct snapshot *s)
{
	size_t o = 0;

	if (!s->ndrops)
		return;
	qsort(s->drops, s->ndrops, sizeof(*s->drops), cmp_drop_row);
	for (size_t i = 1; i < s->ndrops; i++) {
		if (!cmp_drop_row(&s->drops[i], &s->drops[o]))
			s->drops[o].count += s->drops[i].count;
		else
			s->drops[++o] = s->drops[i];
	}
	s->ndrops = o + 1;
}

static int cmp_name(const void *a, const void *b)
{
	return cmp_u64(&((const struct capture_name *)a)->key,
		       &((const struct capture_name *)b)->key);
}

static int parse_names(struct parser *p, const json_t *names, const char *key, bool addr,
		       struct capture_name **out, size_t *nout)
{
	const json_t *a;
	char w[64];
	int err;

	snprintf(w, sizeof(w), "names.%s", key);
	err = get_array(p, names, key, false, p->lim->max_names, &a, "names");
	if (err || !a)
		return err;
	*out = calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *row = json_array_get(a, i);
		const char *s, *name;
		char rw[96];

		snprintf(rw, sizeof(rw), "%s[%zu]", w, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", rw);
		if (addr) {
			err = get_str(p, row, "addr", true, 18, &s, rw);
			if (!err && parse_addr(s, &(*out)[i].key))
				err = fail(p, "%s.addr: \"%s\" is not a 0x address", rw, s);
		} else {
			err = get_uint(p, row, "id", true, UINT32_MAX, &(*out)[i].key, rw);
		}
		err = err ?: get_str(p, row, "name", true, 256, &name, rw);
		if (err)
			return err;
		if (!((*out)[i].name = strdup(name)))
			return -ENOMEM;
		(*nout)++;
	}
	qsort(*out, *nout, sizeof(**out), cmp_name);
	for (size_t i = 1; i < *nout; i++)
		if ((*out)[i].key == (*out)[i - 1].key)
			return fail(p, "%s: %s 0x%llx is named twice", w, addr ? "address" : "id",
				    (unsigned long long)(*out)[i].key);
	return 0;
}

static int parse_mode(const char *s, enum probe_mode *m)
{
	for (int i = MODE_UNAVAILABLE; i <= MODE_DISABLED; i++)
		if (!strcmp(s, probe_mode_name(i))) {
			*m = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_probes(struct parser *p, const json_t *doc, struct capture *cap)
{
	const json_t *a;
	int err = get_array(p, doc, "probes", true, MAX_PROBES, &a, "capture");

	if (err)
		return err;
	cap->probes = calloc(json_array_size(a) ? json_array_size(a) : 1, sizeof(*cap->probes));
	if (!cap->probes)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *row = json_array_get(a, i);
		struct probe_status *ps = &cap->probes[i];
		const char *mode, *reason;
		char w[48];

		snprintf(w, sizeof(w), "probes[%zu]", i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		cap->nprobes++;
		err = dup_str(p, row, "probe", true, (char **)&ps->name, w);
		err = err ?: dup_str(p, row, "group", true, (char **)&ps->group, w);
		err = err ?: dup_str(p, row, "target", false, (char **)&ps->target, w);
		err = err ?: dup_str(p, row, "variant", false, (char **)&ps->variant, w);
		err = err ?: dup_str(p, row, "note", false, (char **)&ps->note, w);
		err = err ?: get_str(p, row, "mode", true, 64, &mode, w);
		err = err ?: get_str(p, row, "reason", false, PROBE_REASON_LEN - 1, &reason, w);
		if (err)
			return err;
		if (!ps->target && !(ps->target = strdup("")))
			return -ENOMEM;
		/* a mode added by a newer minor version: counted, but not exactly */
		if (parse_mode(mode, &ps->mode))
			ps->mode = MODE_DERIVED;
		if (reason)
			snprintf(ps->reason, sizeof(ps->reason), "%s", reason);
		err = read_caps(p, row, &ps->caps, w);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Files before 1.4 name only cache_hits; the other capabilities were told
 * by the mode's variant and note, as skbtop did then.
 */
static void compat_caps(struct capture *cap)
{
	for (size_t i = 0; i < cap->nprobes; i++) {
		struct probe_status *ps = &cap->probes[i];

		if (!strcmp(ps->name, "bulk") && ps->variant && strstr(ps->variant, "BH check"))
			ps->caps |= PROBE_CAP_BH_CHECK;
		if (!strcmp(ps->name, "defer_flush") && ps->mode != MODE_DERIVED)
			ps->caps |= PROBE_CAP_FLUSH_COUNT;
		if (!strcmp(ps->name, "consume") && !ps->note)
			ps->caps |= PROBE_CAP_DEFER_SPLIT;
	}
}

static int parse_command(struct parser *p, const json_t *doc, struct capture *cap)
{
	const json_t *cmd = json_object_get(doc, "command"), *argv;
	json_int_t st = -1, sig = 0;
	int err;

	cap->exit_status = -1;
	if (!cmd || json_is_null(cmd))
		return 0;
	if (!json_is_object(cmd))
		return fail(p, "command: expected an object or null");
	err = get_array(p, cmd, "argv", true, MAX_ARGS, &argv, "command");
	if (err)
		return err;
	cap->argv = calloc(json_array_size(argv) + 1, sizeof(*cap->argv));
	if (!cap->argv)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(argv); i++) {
		const json_t *s = json_array_get(argv, i);

		if (!json_is_string(s) || json_string_length(s) > MAX_STRING ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return fail(p, "command.argv[%zu]: expected a string", i);
		if (!(cap->argv[i] = strdup(json_string_value(s))))
			return -ENOMEM;
		cap->argc++;
	}
	if (json_object_get(cmd, "exit_status")) {
		const json_t *v = json_object_get(cmd, "exit_status");

		if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) > 511)
			return fail(p, "command.exit_status: expected an integer -1..511");
		st = json_integer_value(v);
	}
	if (json_object_get(cmd, "signal")) {
		const json_t *v = json_object_get(cmd, "signal");

		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
			return fail(p, "command.signal: expected an integer 0..255");
		sig = json_integer_value(v);
	}
	cap->exit_status = (int)st;
	cap->term_signal = (int)sig;
	return 0;
}

static int parse_env(struct parser *p, const json_t *doc, struct capture *cap)
{
	const json_t *env = json_object_get(doc, "environment"), *sys;
	struct capture_env *e = &cap->env;
	__u64 n;
	int err;

	if (!json_is_object(env))
		return fail(p, "environment: %s", env ? "expected an object" : "missing");
	err = get_uint(p, env, "ncpus", true, p->lim->max_ncpus, &n, "environment");
	if (err)
		return err;
	if (!n)
		return fail(p, "environment.ncpus: must be at least 1");
	e->ncpus = p->ncpus = (__u32)n;
	err = dup_str(p, env, "kernel_release", false, &e->kernel_release, "environment");
	err = err ?: dup_str(p, env, "kernel_version", false, &e->kernel_version, "environment");
	err = err ?: dup_str(p, env, "kernel_cmdline", false, &e->kernel_cmdline, "environment");
	err = err ?: dup_str(p, env, "cpu_model", false, &e->cpu_model, "environment");
	err = err ?: dup_str(p, env, "hostname", false, &e->hostname, "environment");
	if (err)
		return err;
	sys = json_object_get(env, "sysctls");
	if (sys && !json_is_object(sys))
		return fail(p, "environment.sysctls: expected an object");
	for (int i = 0; sys && i < CAPTURE_NSYSCTLS && !err; i++)
		err = dup_str(p, sys, capture_sysctl_names[i], false, &e->sysctls[i],
			      "environment.sysctls");
	return err;
}

static int parse_version(struct parser *p, const json_t *doc, struct capture *cap)
{
	const json_t *v = json_object_get(doc, "version");
	unsigned long major, minor = 0;
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
			return fail(p, "version: %lld is not a version",
				    (long long)json_integer_value(v));
		major = (unsigned long)json_integer_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (!isdigit((unsigned char)s[0]))
			return fail(p, "version: \"%.32s\" is not MAJOR.MINOR", s);
		errno = 0;
		major = strtoul(s, &end, 10);
		if (*end == '.' && isdigit((unsigned char)end[1]))
			minor = strtoul(end + 1, &end, 10);
		if (errno || *end || major > 1000000 || minor > 1000000)
			return fail(p, "version: \"%.32s\" is not MAJOR.MINOR", s);
	} else {
		return fail(p, "version: %s", v ? "expected \"MAJOR.MINOR\"" : "missing");
	}
	if (major > CAPTURE_VERSION_MAJOR)
		return fail(p, "capture format version %lu.%lu is newer than this skbtop reads "
			    "(%d.x); use a newer skbtop", major, minor, CAPTURE_VERSION_MAJOR);
	if (major < 1)
		return fail(p, "capture format version %lu.%lu is not supported", major, minor);
	cap->major = (unsigned int)major;
	cap->minor = (unsigned int)minor;
	return 0;
}

/* Nesting depth, outside strings; -1 when it exceeds max (before jansson recurses). */
static int json_depth_ok(const char *buf, size_t len, int max)
{
	bool in_str = false, esc = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				return 0;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 1;
}

/* The totals the file states must be the sum of its samples. */
static int check_totals(struct parser *p, const struct capture_sample *t,
			const struct capture *cap)
{
	struct cpu_counters sum;
	__u64 dsum = 0, tdsum = 0;

	snapshot__sum_cpus(&cap->totals, &sum);
	for (size_t f = 0; f < cpu_nfields; f++)
		if (cpu_fields[f].kind == FIELD_COUNT &&
		    field_count(&cpu_fields[f], &sum) != field_count(&cpu_fields[f], &t->sum))
			return fail(p, "totals.%s does not equal the sum of the samples",
				    cpu_fields[f].name);
	for (size_t i = 0; i < cap->totals.ndrops; i++)
		dsum += cap->totals.drops[i].count;
	for (size_t i = 0; i < t->ndrops; i++)
		tdsum += t->drops[i].count;
	if (dsum != tdsum)
		return fail(p, "totals.drops does not equal the sum of the samples");
	return 0;
}

/* One element of the samples array, as [start, end) of the file's text. */
struct span {
	size_t start, end;
};

/*
 * Samples come from doc's "samples" array, or, when spans is not NULL, from
 * those pieces of buf, parsed one at a time (doc then holds "samples": []).
 * -EAGAIN: a piece is not valid JSON; the caller parses the whole file.
 */
static int parse_doc(struct parser *p, const json_t *doc, struct capture *cap,
		     const char *buf, const struct span *spans, size_t nspans)
{
	const json_t *fmt = json_object_get(doc, "format"), *samples, *names;
	struct capture_sample tot = {};
	size_t nsamples;
	__u64 v;
	int err;

	if (!json_is_string(fmt) || strcmp(json_string_value(fmt), CAPTURE_FORMAT))
		return fail(p, "not a skbtop capture (\"format\" is not \"%s\")", CAPTURE_FORMAT);
	err = parse_version(p, doc, cap);
	err = err ?: dup_str(p, doc, "skbtop_version", false, &cap->skbtop_version, "capture");
	err = err ?: get_uint(p, doc, "start_time_ns", true, INT64_MAX, &cap->start_ns, "capture");
	err = err ?: get_uint(p, doc, "end_time_ns", true, INT64_MAX, &cap->end_ns, "capture");
	err = err ?: get_uint(p, doc, "interval_ns", false, INT64_MAX, &v, "capture");
	if (err)
		return err;
	cap->interval_ns = v;
	err = parse_env(p, doc, cap);
	err = err ?: parse_command(p, doc, cap);
	err = err ?: parse_probes(p, doc, cap);
	if (err)
		return err;
	if (cap->major == 1 && cap->minor < 4)
		compat_caps(cap);
	names = json_object_get(doc, "names");
	if (names && !json_is_object(names))
		return fail(p, "names: expected an object");
	if (names) {
		err = parse_names(p, names, "reasons", false, &cap->reasons, &cap->nreasons);
		err = err ?: parse_names(p, names, "locations", true, &cap->locations,
					 &cap->nlocations);
		if (err)
			return err;
	}
	err = get_array(p, doc, "samples", true, p->lim->max_samples, &samples, "capture");
	if (err)
		return err;
	nsamples = spans ? nspans : json_array_size(samples);
	if (nsamples > p->lim->max_samples)
		return fail(p, "capture.samples: %zu entries, more than the limit %zu", nsamples,
			    p->lim->max_samples);
	err = snapshot__init(&cap->totals, p->ncpus);
	if (err)
		return err;
	cap->samples = calloc(nsamples ? nsamples : 1, sizeof(*cap->samples));
	if (!cap->samples)
		return -ENOMEM;
	for (size_t i = 0; i < nsamples; i++) {
		json_t *piece = NULL;
		char w[40];

		if (spans) {
			piece = json_loadb(buf + spans[i].start, spans[i].end - spans[i].start,
					   JSON_REJECT_DUPLICATES, NULL);
			if (!piece)
				return -EAGAIN;
		}
		snprintf(w, sizeof(w), "samples[%zu]", i);
		err = parse_sample(p, spans ? piece : json_array_get(samples, i), w,
				   &cap->samples[i], &cap->totals);
		json_decref(piece);
		cap->nsamples++;
		if (err)
			return err;
		/* keep the totals' rows merged as we go so they stay small */
		if (cap->totals.ndrops > p->lim->max_rows) {
			merge_drops(&cap->totals);
			if (cap->totals.ndrops > p->lim->max_rows)
				return fail(p, "%s: more than %zu distinct drop rows", w,
					    p->lim->max_rows);
		}
		if (cap->totals.nqueues > p->lim->max_rows) {
			cap->totals.nqueues = merge_queues(cap->totals.queues, cap->totals.nqueues,
							   &p->wrapped);
			if (cap->totals.nqueues > p->lim->max_rows)
				return fail(p, "%s: more than %zu distinct queues", w,
					    p->lim->max_rows);
		}
	}
	merge_drops(&cap->totals);
	cap->totals.nqueues = merge_queues(cap->totals.queues, cap->totals.nqueues, &p->wrapped);
	if (p->wrapped)
		return fail(p, "samples: the counts add up past 2^64");
	err = parse_sample(p, json_object_get(doc, "totals"), "totals", &tot, NULL);
	if (err == -EINVAL && !json_object_get(doc, "totals"))
		err = fail(p, "capture: missing \"totals\"");
	err = err ?: check_totals(p, &tot, cap);
	free_sample(&tot);
	if (!err)
		snapshot__fill_ipis_recv(&cap->totals);
	return err;
}

/* Past the JSON value at buf[i] (string, container or scalar); 0 if it runs off the end. */
static size_t skip_value(const char *buf, size_t len, size_t i)
{
	bool in_str = buf[i] == '"', esc = false;
	int depth = 0;

	if (!in_str && buf[i] != '{' && buf[i] != '[') {	/* a scalar */
		while (i < len && !strchr(",]} \t\r\n", buf[i]))
			i++;
		return i < len ? i : 0;
	}
	for (i += in_str; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (esc) {
				esc = false;
			} else if (c == '\\') {
				esc = true;
			} else if (c == '"') {
				in_str = false;
				if (!depth)	/* the value was this string */
					return i + 1;
			}
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && !--depth) {
			return i + 1;
		}
	}
	return 0;
}

static size_t skip_ws(const char *buf, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", buf[i]) && buf[i])
		i++;
	return i;
}

/*
 * Find the top-level "samples" array in the text and the span of each of
 * its elements, so that a long capture is never one jansson tree (a 10-minute
 * capture of a 256-CPU machine is 74 MB of text and was a 1.1 GB tree).
 * Returns the number of elements, or -1 when the text is not that simple
 * shape: the caller then parses the whole document, which also gives the
 * canonical error for a malformed file.
 */
static long find_samples(const char *buf, size_t len, size_t *arr_start, size_t *arr_end,
			 struct span **out)
{
	struct span *spans = NULL;
	size_t i = skip_ws(buf, len, 0), n = 0, cap = 0;
	bool found = false;

	*out = NULL;
	if (i >= len || buf[i] != '{')
		return -1;
	i = skip_ws(buf, len, i + 1);
	while (i < len && buf[i] != '}') {
		size_t key = i, key_end = buf[i] == '"' ? skip_value(buf, len, i) : 0;

		i = key_end ? skip_ws(buf, len, key_end) : len;
		if (i >= len || buf[i] != ':')
			goto fail;
		i = skip_ws(buf, len, i + 1);
		if (i >= len)
			goto fail;
		if (!found && key_end - key == 9 && !memcmp(buf + key, "\"samples\"", 9) &&
		    buf[i] == '[') {
			found = true;
			*arr_start = i;
			i = skip_ws(buf, len, i + 1);
			while (i < len && buf[i] != ']') {
				size_t end = skip_value(buf, len, i);

				if (!end)
					goto fail;
				if (n == cap) {
					struct span *more = realloc(spans, (cap ? cap * 2 : 64) *
									   sizeof(*spans));

					if (!more)
						goto fail;
					spans = more;
					cap = cap ? cap * 2 : 64;
				}
				spans[n].start = i;
				spans[n++].end = end;
				i = skip_ws(buf, len, end);
				if (i < len && buf[i] == ',')
					i = skip_ws(buf, len, i + 1);
				else if (i >= len || buf[i] != ']')
					goto fail;
			}
			if (i >= len)
				goto fail;
			*arr_end = ++i;
		} else {
			i = skip_value(buf, len, i);
			if (!i)
				goto fail;
		}
		i = skip_ws(buf, len, i);
		if (i < len && buf[i] == ',')
			i = skip_ws(buf, len, i + 1);
		else if (i >= len || buf[i] != '}')
			goto fail;
	}
	if (i >= len || !found || skip_ws(buf, len, i + 1) != len)
		goto fail;
	*out = spans;
	return (long)n;
fail:
	free(spans);
	return -1;
}

/* The capture without its samples' text: "samples": [] and everything else. */
static json_t *load_header(const char *buf, size_t len, size_t a0, size_t a1)
{
	char *text = malloc(len - (a1 - a0) + 3);
	json_t *doc;

	if (!text)
		return NULL;
	memcpy(text, buf, a0);
	memcpy(text + a0, "[]", 2);
	memcpy(text + a0 + 2, buf + a1, len - a1);
	doc = json_loadb(text, len - (a1 - a0) + 2, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	return doc;
}

int capture__parse(const char *buf, size_t len, struct capture *cap,
		   const struct capture_limits *lim, char *err, size_t errlen)
{
	struct parser p = { .lim = lim ? lim : &capture_default_limits, .err = err,
			    .errlen = errlen };
	struct span *spans;
	size_t a0 = 0, a1 = 0;
	json_error_t jerr;
	long nspans;
	json_t *doc;
	int ret;

	memset(cap, 0, sizeof(*cap));
	if (len > p.lim->max_bytes)
		return fail(&p, "file is larger than %zu bytes", p.lim->max_bytes);
	if (!len)
		return fail(&p, "empty file: not a skbtop capture");
	if (!json_depth_ok(buf, len, p.lim->max_depth))
		return fail(&p, "JSON nested deeper than %d levels: not a skbtop capture",
			    p.lim->max_depth);
	/* the usual file: the header as a tree, the samples one at a time */
	nspans = find_samples(buf, len, &a0, &a1, &spans);
	doc = nspans >= 0 ? load_header(buf, len, a0, a1) : NULL;
	if (doc && json_is_object(doc)) {
		ret = parse_doc(&p, doc, cap, buf, spans, nspans);
		json_decref(doc);
		free(spans);
		if (ret != -EAGAIN)
			goto done;
		capture__free(cap);
		memset(cap, 0, sizeof(*cap));
		p = (struct parser){ .lim = p.lim, .err = err, .errlen = errlen };
	} else {
		json_decref(doc);
		free(spans);
	}
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc && json_error_code(&jerr) == json_error_out_of_memory) {
		ret = -ENOMEM;	/* not "not valid JSON (line -1)" */
		goto done;
	}
	if (!doc) {
		bool at_end = jerr.position >= (int)len - 1 || strstr(jerr.text, "end of file");

		return fail(&p, "not valid JSON%s (line %d, column %d: %s)",
			    at_end ? ", the file looks truncated" : "", jerr.line, jerr.column,
			    jerr.text);
	}
	if (!json_is_object(doc))
		ret = fail(&p, "not a skbtop capture (the top level is not a JSON object)");
	else
		ret = parse_doc(&p, doc, cap, NULL, NULL, 0);
	json_decref(doc);
done:
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "out of memory reading the capture");
		capture__free(cap);
	}
	return ret;
}

int capture__read(const char *path, struct capture *cap, const struct capture_limits *lim,
		  char *err, size_t errlen)
{
	const struct capture_limits *l = lim ? lim : &capture_default_limits;
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd, ret;

	memset(cap, 0, sizeof(*cap));
	fd = infile__open(path, err, errlen);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "failed to read %s: %s", path, strerror(-ret));
		return ret;
	}
	if ((unsigned long long)st.st_size > l->max_bytes) {
		close(fd);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, l->max_bytes);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "failed to read %s: out of memory", path);
		return -ENOMEM;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	ret = capture__parse(buf, n, cap, l, err, errlen);
	free(buf);
	if (ret) {
		/* prefix the file name */
		char *msg = strdup(err);

		if (msg) {
			snprintf(err, errlen, "%s: %s", path, msg);
			free(msg);
		}
	}
	return ret;
}

/* ---- names ---- */

static const struct capture_name *find_name(const struct capture_name *t, size_t n, __u64 key)
{
	struct capture_name k = { .key = key };

	return n ? bsearch(&k, t, n, sizeof(*t), cmp_name) : NULL;
}

const char *capture__reason_name(const struct capture *cap, __u32 id, char *buf, size_t len)
{
	const struct capture_name *n = find_name(cap->reasons, cap->nreasons, id);

	if (n)
		snprintf(buf, len, "%s", n->name);
	else
		snprintf(buf, len, "UNKNOWN(%u)", id);
	return buf;
}

const char *capture__location_name(const struct capture *cap, __u64 addr, char *buf, size_t len)
{
	const struct capture_name *n = find_name(cap->locations, cap->nlocations, addr);

	if (n)
		snprintf(buf, len, "%s", n->name);
	else
		snprintf(buf, len, "0x%" PRIx64, (uint64_t)addr);
	return buf;
}

static const char *ctx_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	return capture__reason_name(ctx->priv, r, buf, len);
}

static const char *ctx_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	return capture__location_name(ctx->priv, a, buf, len);
}

void capture__view_ctx(const struct capture *cap, struct view_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->reason_name = ctx_reason;
	ctx->location_name = ctx_location;
	ctx->priv = (void *)cap;
	/* no probe table (a synthetic capture): every column counts */
	ctx->probes = cap->nprobes ? cap->probes : NULL;
	ctx->nprobes = cap->nprobes;
	ctx->top = 10;
}

double capture__seconds(const struct capture *cap)
{
	return cap->totals.mono_ns / 1e9;
}
