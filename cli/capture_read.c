// SPDX-License-Identifier: GPL-2.0
/*
 * The capture reader. Every file is treated as hostile: size, depth, row
 * and CPU limits are checked before anything is allocated for them, and
 * every field's type and range before it is used. The text is streamed:
 * a first pass takes the header apart from the samples, a second parses
 * the samples one at a time, so memory follows the rows in use (CPUs,
 * reasons, queues), not the length of the capture.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "capture.h"
#include "files.h"

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

/* ---- fields ---- */

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
	/*
	 * The totals' drop and queue rows: appended per sample and merged
	 * when they pass twice what the last merge left (memory follows the
	 * distinct rows); the row limit is checked where merging only past
	 * it would have found it, so a refusal names the same sample.
	 */
	size_t drop_rows, queue_rows;		/* as if merged only past the limit */
	size_t drops_merged, queues_merged;	/* rows the last merge left */
	/* what becomes of each sample: handed to fn, kept in the capture */
	capture_sample_fn fn;
	void *arg;
	bool keep;
};

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return (x > y) - (x < y);
}

#define NWORDS(type) (sizeof(type) / sizeof(__u64))

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

/* ---- one sample ---- */

/* acc->cpus[cpu] and out->sum += each CPU row; p->sum too when accumulating */
static int parse_cpus(struct parser *p, const json_t *cpus, const char *where,
		      struct capture_sample *out, struct snapshot *acc)
{
	char w[96];
	int err;

	for (size_t i = 0; i < json_array_size(cpus); i++) {
		const json_t *row = json_array_get(cpus, i);
		struct cpu_counters c = {};
		__u64 v;

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
	return 0;
}

static int parse_kicks(struct parser *p, const json_t *kicks, const char *where,
		       struct capture_sample *out, struct snapshot *acc)
{
	char w[96];
	int err;

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
	return 0;
}

/*
 * drops[]: per (reason, CPU) into rc (one pair per row); into acc's per-CPU
 * counts, and its drop rows when the sample has no drop_details (1.1 files
 * recorded with -L carry the location and device in these rows).
 */
static int parse_cpu_drops(struct parser *p, const json_t *drops, bool details, const char *where,
			   struct capture_reason_count *rc, struct snapshot *acc)
{
	__u64 dsum = 0;
	char w[96];
	int err = 0;

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
	if (acc && !err)	/* every drop row and per-CPU cell is at most this */
		p->wrapped |= __builtin_add_overflow(p->drops, dsum, &p->drops);
	return err;
}

/* drop_details[] (1.2: -L rows summed over CPUs) into drc and acc's drop rows. */
static int parse_drop_details(struct parser *p, const json_t *details, const char *where,
			      struct capture_reason_count *drc, struct snapshot *acc)
{
	__u64 detail_sum = 0;
	char w[96];
	int err = 0;

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
	return err;
}

/* drop_details must give each reason (rc, drc: merged and sorted) the count drops gives it. */
static int check_details(struct parser *p, const char *where,
			 const struct capture_reason_count *rc, size_t nrc,
			 const struct capture_reason_count *drc, size_t ndrc)
{
	for (size_t i = 0; i < nrc || i < ndrc; i++) {
		__u32 r;

		if (i < nrc && i < ndrc && rc[i].reason == drc[i].reason &&
		    rc[i].count == drc[i].count)
			continue;
		/* the smaller reason of the two rows is missing from, or differs in, the other */
		r = i < ndrc && (i >= nrc || drc[i].reason <= rc[i].reason) ?
			drc[i].reason : rc[i].reason;
		return fail(p, "%s.drop_details: reason %u has %llu drops, drops has %llu", where, r,
			    (unsigned long long)reason_count(drc, ndrc, r),
			    (unsigned long long)reason_count(rc, nrc, r));
	}
	return 0;
}

/* out->drops: one row per reason, sorted. */
static int parse_drops(struct parser *p, const json_t *drops, const json_t *details,
		       const char *where, struct capture_sample *out, struct snapshot *acc)
{
	size_t ndrops = json_array_size(drops), ndetails = json_array_size(details);
	struct capture_reason_count *rc = calloc(ndrops ? ndrops : 1, sizeof(*rc));
	struct capture_reason_count *drc = calloc(ndetails ? ndetails : 1, sizeof(*drc));
	int err;

	if (!rc || !drc) {
		free(rc);
		free(drc);
		return -ENOMEM;
	}
	err = parse_cpu_drops(p, drops, details, where, rc, acc);
	err = err ?: parse_drop_details(p, details, where, drc, acc);
	if (!err) {
		out->ndrops = merge_reason_counts(rc, ndrops);
		ndetails = merge_reason_counts(drc, ndetails);
		if (details)
			err = check_details(p, where, rc, out->ndrops, drc, ndetails);
	}
	free(drc);
	if (err) {
		out->ndrops = 0;
		free(rc);
		return err;
	}
	out->drops = rc;
	return 0;
}

static int parse_queues(struct parser *p, const json_t *queues, const char *where,
			struct capture_sample *out, struct snapshot *acc)
{
	char w[96];
	int err;

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
	return 0;
}

/*
 * sendmsg_hist[] (1.6): tun_sendmsg() latency per (queue, batch class); the
 * calls into out->sendmsg_calls, the buckets into acc's rows (kept sorted
 * and distinct, at most SKBTOP_MAX_SENDMSG_KEYS of them).
 */
static int parse_sendmsg(struct parser *p, const json_t *rows, const char *where,
			 struct capture_sample *out, struct snapshot *acc)
{
	char w[96];
	int err;

	for (size_t i = 0; i < json_array_size(rows); i++) {
		const json_t *row = json_array_get(rows, i), *a;
		struct sendmsg_key key = {};
		struct sendmsg_hist h = {};
		__u64 ifindex, queue, batch;

		snprintf(w, sizeof(w), "%s.sendmsg_hist[%zu]", where, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		err = get_uint(p, row, "ifindex", false, UINT32_MAX, &ifindex, w);
		err = err ?: get_uint(p, row, "queue", false, UINT16_MAX, &queue, w);
		err = err ?: get_uint(p, row, "batch", true, SKBTOP_SENDMSG_CLASSES - 1, &batch, w);
		err = err ?: parse_dir(p, row, &key.q.dir, w);
		err = err ?: parse_ifname(p, row, key.q.ifname, w);
		err = err ?: get_array(p, row, "ns", true, SKBTOP_LAT_SLOTS, &a, w);
		if (err)
			return err;
		for (size_t b = 0; b < json_array_size(a); b++) {
			const json_t *v = json_array_get(a, b);

			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return fail(p, "%s.ns[%zu]: expected a count", w, b);
			h.ns[b] = (__u64)json_integer_value(v);
			p->wrapped |= __builtin_add_overflow(out->sendmsg_calls, h.ns[b],
							     &out->sendmsg_calls);
		}
		key.q.ifindex = (__u32)ifindex;
		key.q.queue = (__u16)queue;
		key.batch = (__u32)batch;
		if (!acc)
			continue;
		if ((err = snapshot__add_sendmsg(acc, &key, &h, &p->wrapped)))
			return err;
		/* the probe's map holds no more: nor can a capture */
		if (acc->nsendmsg > SKBTOP_MAX_SENDMSG_KEYS)
			return fail(p, "%s: more than %d distinct sendmsg_hist rows", w,
				    SKBTOP_MAX_SENDMSG_KEYS);
	}
	return 0;
}

/* 1.6: softirq_where's top tasks of a sample, merged into acc's task rows. */
static int parse_sirq_tasks(struct parser *p, const json_t *tasks, const char *where,
			    struct snapshot *acc)
{
	char w[96];
	int err;

	for (size_t i = 0; i < json_array_size(tasks); i++) {
		const json_t *row = json_array_get(tasks, i);
		struct sirq_task_counters c = {};
		struct sirq_task_key k = {};
		__u64 pid, tgid, cpu;
		const char *comm;

		snprintf(w, sizeof(w), "%s.sirq_tasks[%zu]", where, i);
		if (!json_is_object(row))
			return fail(p, "%s: expected an object", w);
		err = get_str(p, row, "comm", true, SKBTOP_TASK_COMM_LEN - 1, &comm, w);
		err = err ?: get_uint(p, row, "pid", true, UINT32_MAX, &pid, w);
		err = err ?: get_uint(p, row, "tgid", false, UINT32_MAX, &tgid, w);
		err = err ?: get_uint(p, row, "cpu", true, p->ncpus - 1, &cpu, w);
		err = err ?: get_uint(p, row, "net_rx", false, INT64_MAX, &c.runs[SIRQ_NET_RX], w);
		err = err ?: get_uint(p, row, "net_tx", false, INT64_MAX, &c.runs[SIRQ_NET_TX], w);
		err = err ?: get_uint(p, row, "net_rx_ns", false, INT64_MAX, &c.ns[SIRQ_NET_RX], w);
		err = err ?: get_uint(p, row, "net_tx_ns", false, INT64_MAX, &c.ns[SIRQ_NET_TX], w);
		if (err)
			return err;
		if (!acc)
			continue;
		snprintf(k.comm, sizeof(k.comm), "%s", comm);
		k.pid = (__u32)pid;
		k.tgid = (__u32)tgid;
		err = snapshot__merge_task(acc, &k, (__u32)cpu, &c);
		if (err)
			return err;
	}
	return 0;
}

/* Program rows, added by name into acc's. */
static int parse_progs(struct parser *p, const json_t *progs, const char *where,
		       struct snapshot *acc)
{
	char w[96];
	int err;

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

/*
 * One sample (or the totals) into out; when acc is set, its rows are added
 * into acc as well (drops and queues appended, merged by the caller).
 */
static int parse_sample(struct parser *p, const json_t *js, const char *where,
			struct capture_sample *out, struct snapshot *acc)
{
	const json_t *cpus, *kicks, *drops, *details = NULL, *queues, *progs, *sendmsg;
	const json_t *tasks = NULL;
	size_t max = p->lim->max_rows;
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
	err = err ?: get_array(p, js, "sendmsg_hist", false, max, &sendmsg, where);
	if (!err && json_object_get(js, "sirq_tasks"))	/* 1.6 */
		err = get_array(p, js, "sirq_tasks", false, max, &tasks, where);
	err = err ?: count_rows(p, json_array_size(cpus) + json_array_size(kicks) +
				   json_array_size(drops) + json_array_size(details) +
				   json_array_size(queues) + json_array_size(sendmsg) +
				   json_array_size(tasks), where);
	if (err)
		return err;
	if (acc) {
		acc->mono_ns += out->interval_ns;
		if (out->time_ns > acc->real_ns)
			acc->real_ns = out->time_ns;
		acc->user_cpu_ns += out->user_cpu_ns;
	}
	err = parse_cpus(p, cpus, where, out, acc);
	err = err ?: parse_kicks(p, kicks, where, out, acc);
	err = err ?: parse_drops(p, drops, details, where, out, acc);
	err = err ?: parse_queues(p, queues, where, out, acc);
	err = err ?: parse_sendmsg(p, sendmsg, where, out, acc);
	err = err ?: parse_sirq_tasks(p, tasks, where, acc);
	return err ?: parse_progs(p, progs, where, acc);
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
	dsum = 0;
	for (size_t i = 0; i < cap->totals.nsendmsg; i++)
		dsum += hist_count(cap->totals.sendmsg[i].h.ns, SKBTOP_LAT_SLOTS);
	if (dsum != t->sendmsg_calls)
		return fail(p, "totals.sendmsg_hist does not equal the sum of the samples");
	return 0;
}

/* ---- the document: header, samples one at a time, totals ---- */

/*
 * Everything but the samples and totals, from doc (whose "samples" may be
 * the empty stand-in for nsamples samples streamed after it; -1: doc's own).
 */
static int parse_header(struct parser *p, const json_t *doc, struct capture *cap, long nsamples)
{
	const json_t *fmt = json_object_get(doc, "format"), *samples, *names;
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
	if (nsamples < 0)
		nsamples = (long)json_array_size(samples);
	if ((size_t)nsamples > p->lim->max_samples)
		return fail(p, "capture.samples: %zu entries, more than the limit %zu",
			    (size_t)nsamples, p->lim->max_samples);
	err = snapshot__init(&cap->totals, p->ncpus);
	if (err)
		return err;
	if (p->keep) {
		cap->samples = calloc(nsamples ? nsamples : 1, sizeof(*cap->samples));
		if (!cap->samples)
			return -ENOMEM;
	}
	return 0;
}

/* Merge the totals' rows when they passed the limit or doubled. */
static int merge_totals(struct parser *p, struct snapshot *t, size_t nd, size_t nq,
			const char *w)
{
	size_t max = p->lim->max_rows;

	p->drop_rows += t->ndrops - nd;
	p->queue_rows += t->nqueues - nq;
	if (p->drop_rows > max || t->ndrops > 2 * p->drops_merged + 1024) {
		merge_drops(t);
		p->drops_merged = t->ndrops;
		if (p->drop_rows > max && (p->drop_rows = t->ndrops) > max)
			return fail(p, "%s: more than %zu distinct drop rows", w, max);
	}
	if (p->queue_rows > max || t->nqueues > 2 * p->queues_merged + 1024) {
		t->nqueues = merge_queues(t->queues, t->nqueues, &p->wrapped);
		p->queues_merged = t->nqueues;
		if (p->queue_rows > max && (p->queue_rows = t->nqueues) > max)
			return fail(p, "%s: more than %zu distinct queues", w, max);
	}
	return 0;
}

/* Sample i: added into the totals, handed to p->fn, kept when p->keep. */
static int take_sample(struct parser *p, const json_t *js, size_t i, struct capture *cap)
{
	struct capture_sample one = {}, *s = p->keep ? &cap->samples[i] : &one;
	size_t nd = cap->totals.ndrops, nq = cap->totals.nqueues;
	char w[40];
	int err;

	snprintf(w, sizeof(w), "samples[%zu]", i);
	err = parse_sample(p, js, w, s, &cap->totals);
	cap->nsamples++;
	if (!err && p->fn)
		err = p->fn(p->arg, cap, s);
	if (!p->keep)
		free_sample(s);
	return err ?: merge_totals(p, &cap->totals, nd, nq, w);
}

/* After the samples: the totals merged, and checked against the file's. */
static int parse_totals(struct parser *p, const json_t *doc, struct capture *cap)
{
	struct capture_sample tot = {};
	int err;

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

/* A whole document as one tree: files the scanner below does not take apart. */
static int parse_doc(struct parser *p, const json_t *doc, struct capture *cap)
{
	const json_t *samples = json_object_get(doc, "samples");
	int err = parse_header(p, doc, cap, -1);

	for (size_t i = 0; !err && i < json_array_size(samples); i++)
		err = take_sample(p, json_array_get(samples, i), i, cap);
	return err ?: parse_totals(p, doc, cap);
}

/* ---- the text, scanned as a stream ---- */

/*
 * A capture's bytes, from memory or read from a file 64 KB at a time, so
 * that a long capture is never held whole (a 10-minute capture of a
 * 256-CPU machine is 74 MB of text). Bytes taken may be copied to a text
 * buffer, and their nesting (outside strings) tracked against the depth
 * limit before jansson, which recurses, sees any of them.
 */
struct text {
	char *p;
	size_t len, cap;
	bool failed;		/* out of memory: the caller falls back */
};

struct src {
	const char *data;	/* the whole text (memory), or buf (a file) */
	size_t len;		/* bytes in the text */
	size_t off;		/* offset of data[0] in the text */
	size_t pos, fill;	/* next byte, end of the bytes in data */
	int fd;			/* -1: memory */
	struct text *copy;	/* bytes taken are appended here, when set */
	bool track;		/* nesting: */
	bool in_str, esc;
	int depth, max_depth;
	bool too_deep;
	char buf[65536];
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t nc = (t->len + n + 1) * 2;
		char *g = t->failed ? NULL : realloc(t->p, nc);

		if (!g) {
			t->failed = true;
			return;
		}
		t->p = g;
		t->cap = nc;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static bool src_refill(struct src *s)
{
	ssize_t r;

	if (s->fd < 0)
		return false;
	s->off += s->fill;
	s->pos = s->fill = 0;
	if (s->off >= s->len)
		return false;
	do
		r = read(s->fd, s->buf, sizeof(s->buf) < s->len - s->off ? sizeof(s->buf) :
									    s->len - s->off);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {		/* an error or a file cut short: its text ends here */
		s->len = s->off;
		return false;
	}
	s->fill = (size_t)r;
	return true;
}

/* The next byte, or -1 at the end; it stays there. */
static inline int src_peek(struct src *s)
{
	if (s->pos == s->fill && !src_refill(s))
		return -1;
	return (unsigned char)s->data[s->pos];
}

static inline int src_get(struct src *s)
{
	int c = src_peek(s);

	if (c < 0)
		return c;
	s->pos++;
	if (s->copy) {
		char ch = (char)c;

		text_add(s->copy, &ch, 1);
	}
	if (!s->track)
		return c;
	if (s->in_str) {
		if (s->esc)
			s->esc = false;
		else if (c == '\\')
			s->esc = true;
		else if (c == '"')
			s->in_str = false;
	} else if (c == '"') {
		s->in_str = true;
	} else if (c == '[' || c == '{') {
		s->too_deep |= ++s->depth > s->max_depth;
	} else if (c == ']' || c == '}') {
		s->depth--;
	}
	return c;
}

static size_t src_tell(const struct src *s)
{
	return s->off + s->pos;
}

static int src_seek(struct src *s, size_t off)
{
	if (s->fd < 0) {
		s->pos = off;
		return 0;
	}
	if (lseek(s->fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	s->off = off;
	s->pos = s->fill = 0;
	return 0;
}

static void skip_ws(struct src *s)
{
	int c;

	while ((c = src_peek(s)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		src_get(s);
}

/*
 * Past the JSON value at the next byte (string, container or scalar),
 * without checking it (jansson does that), into out when set: 0, or -1
 * when the text ends first.
 */
static int skip_value(struct src *s, struct text *out)
{
	int c = src_peek(s), depth = 0;
	bool in_str = c == '"', esc = false;

	s->copy = out;
	if (!in_str && c != '{' && c != '[') {	/* a scalar: up to a delimiter (or NUL) */
		while ((c = src_peek(s)) >= 0 && c && !strchr(",]} \t\r\n", c))
			src_get(s);
		return c < 0 ? -1 : 0;
	}
	if (in_str)
		src_get(s);
	while ((c = src_get(s)) >= 0) {
		if (in_str) {
			if (esc) {
				esc = false;
			} else if (c == '\\') {
				esc = true;
			} else if (c == '"') {
				in_str = false;
				if (!depth)	/* the value was this string */
					return 0;
			}
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && !--depth) {
			return 0;
		}
	}
	return -1;
}

/*
 * Pass 1: the top-level object's text into head, with its "samples" array
 * replaced by [] (its offset in *at, its element count returned), nesting
 * checked on the way. -1 when the text is not that simple shape: the caller
 * then parses the whole document, which also gives the canonical error for
 * a malformed file.
 */
static long scan_header(struct src *s, struct text *head, size_t *at)
{
	bool found = false;
	long n = 0;

	s->copy = head;
	skip_ws(s);
	if (src_get(s) != '{')
		return -1;
	skip_ws(s);
	while (src_peek(s) >= 0 && src_peek(s) != '}') {
		size_t key = head->len;
		bool samples;

		if (src_peek(s) != '"' || skip_value(s, head))
			return -1;
		samples = !found && head->len - key == 9 && !memcmp(head->p + key, "\"samples\"", 9);
		skip_ws(s);
		if (src_get(s) != ':')
			return -1;
		skip_ws(s);
		if (src_peek(s) < 0)
			return -1;
		if (samples && src_peek(s) == '[') {
			found = true;
			*at = src_tell(s);
			s->copy = NULL;
			src_get(s);
			skip_ws(s);
			while (src_peek(s) >= 0 && src_peek(s) != ']') {
				if (skip_value(s, NULL))
					return -1;
				n++;
				skip_ws(s);
				if (src_peek(s) == ',') {
					src_get(s);
					skip_ws(s);
				} else if (src_peek(s) != ']') {
					return -1;
				}
			}
			if (src_get(s) < 0)
				return -1;
			text_add(head, "[]", 2);
			s->copy = head;
		} else if (skip_value(s, head)) {
			return -1;
		}
		s->copy = head;
		skip_ws(s);
		if (src_peek(s) == ',') {
			src_get(s);
			skip_ws(s);
		} else if (src_peek(s) != '}') {
			return -1;
		}
	}
	if (src_get(s) < 0 || !found)
		return -1;
	skip_ws(s);
	return src_peek(s) < 0 && !head->failed ? n : -1;
}

/*
 * Pass 2: the n samples of the array at offset at, one at a time, each
 * its own small tree. -EAGAIN: an element is not valid JSON (the caller
 * parses the whole file for jansson's message).
 */
static int stream_samples(struct parser *p, struct src *s, size_t at, long n,
			  struct capture *cap)
{
	struct text piece = {};
	int err = src_seek(s, at + 1);

	for (long i = 0; !err && i < n; i++) {
		json_t *js;

		skip_ws(s);
		piece.len = 0;
		if (skip_value(s, &piece) || piece.failed) {
			err = piece.failed ? -ENOMEM : -EAGAIN;
			break;
		}
		js = json_loadb(piece.p ? piece.p : "", piece.len, JSON_REJECT_DUPLICATES, NULL);
		if (!js) {	/* not JSON, or a scalar: the whole tree says which */
			err = -EAGAIN;
			break;
		}
		err = take_sample(p, js, (size_t)i, cap);
		json_decref(js);
		skip_ws(s);
		if (src_peek(s) == ',')
			src_get(s);
	}
	s->copy = NULL;
	free(piece.p);
	return err;
}

/* The whole text in memory, for jansson (the fallback for files the scanner refuses). */
static char *src_slurp(struct src *s)
{
	char *buf = malloc(s->len + 1);
	size_t n = 0;

	if (!buf || src_seek(s, 0)) {
		free(buf);
		return NULL;
	}
	while (n < s->len) {
		ssize_t r = read(s->fd, buf + n, s->len - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	s->len = n;
	return buf;
}

static int parse_whole(struct parser *p, struct src *s, struct capture *cap)
{
	char *own = s->fd < 0 ? NULL : src_slurp(s);
	const char *buf = s->fd < 0 ? s->data : own;
	json_error_t jerr;
	json_t *doc;
	int ret;

	if (!buf)
		return -ENOMEM;
	doc = json_loadb(buf, s->len, JSON_REJECT_DUPLICATES, &jerr);
	free(own);
	if (!doc && json_error_code(&jerr) == json_error_out_of_memory)
		return -ENOMEM;	/* not "not valid JSON (line -1)" */
	if (!doc) {
		bool at_end = jerr.position >= (int)s->len - 1 || strstr(jerr.text, "end of file");

		return fail(p, "not valid JSON%s (line %d, column %d: %s)",
			    at_end ? ", the file looks truncated" : "", jerr.line, jerr.column,
			    jerr.text);
	}
	if (!json_is_object(doc))
		ret = fail(p, "not a skbtop capture (the top level is not a JSON object)");
	else
		ret = parse_doc(p, doc, cap);
	json_decref(doc);
	return ret;
}

/*
 * The usual file: the header as a tree, then the samples one at a time;
 * anything else as one tree. Memory: the header, one sample and the totals.
 */
static int parse_src(struct parser *p, struct src *s, struct capture *cap)
{
	struct text head = {};
	size_t at = 0;
	json_t *doc = NULL;
	long n;
	int ret;

	memset(cap, 0, sizeof(*cap));
	if (s->len > p->lim->max_bytes)
		return fail(p, "file is larger than %zu bytes", p->lim->max_bytes);
	if (!s->len)
		return fail(p, "empty file: not a skbtop capture");
	s->track = true;
	s->max_depth = p->lim->max_depth;
	n = scan_header(s, &head, &at);
	s->copy = NULL;
	while (src_get(s) >= 0)		/* the depth check covers every byte */
		;
	s->track = false;
	if (s->too_deep) {
		free(head.p);
		return fail(p, "JSON nested deeper than %d levels: not a skbtop capture",
			    p->lim->max_depth);
	}
	if (n >= 0)
		doc = json_loadb(head.p, head.len, JSON_REJECT_DUPLICATES, NULL);
	free(head.p);
	if (doc && json_is_object(doc)) {
		ret = parse_header(p, doc, cap, n);
		ret = ret ?: stream_samples(p, s, at, n, cap);
		ret = ret ?: parse_totals(p, doc, cap);
		json_decref(doc);
		if (ret != -EAGAIN)
			return ret;
		/* an element that is not JSON: jansson's message for the whole file */
		capture__free(cap);
		*p = (struct parser){ .lim = p->lim, .err = p->err, .errlen = p->errlen,
				      .keep = p->keep };
		ret = parse_whole(p, s, cap);
		return ret ? ret : fail(p, "samples: not valid JSON");
	}
	json_decref(doc);
	return parse_whole(p, s, cap);
}

static int parse_with(struct parser *p, struct src *s, struct capture *cap)
{
	int ret = parse_src(p, s, cap);

	if (ret) {
		if (ret == -ENOMEM)
			snprintf(p->err, p->errlen, "out of memory reading the capture");
		capture__free(cap);
	}
	return ret;
}

int capture__parse(const char *buf, size_t len, struct capture *cap,
		   const struct capture_limits *lim, char *err, size_t errlen)
{
	struct parser p = { .lim = lim ? lim : &capture_default_limits, .err = err,
			    .errlen = errlen, .keep = true };
	struct src *s = calloc(1, sizeof(*s));
	int ret;

	memset(cap, 0, sizeof(*cap));
	if (!s) {
		snprintf(err, errlen, "out of memory reading the capture");
		return -ENOMEM;
	}
	s->data = buf;
	s->len = s->fill = len;
	s->fd = -1;
	ret = parse_with(&p, s, cap);
	free(s);
	return ret;
}

static int read_path(const char *path, struct capture *cap, const struct capture_limits *lim,
		     capture_sample_fn fn, void *arg, bool keep, char *err, size_t errlen)
{
	struct parser p = { .lim = lim ? lim : &capture_default_limits, .err = err,
			    .errlen = errlen, .fn = fn, .arg = arg, .keep = keep };
	struct stat st;
	struct src *s;
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
	if ((unsigned long long)st.st_size > p.lim->max_bytes) {
		close(fd);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, p.lim->max_bytes);
		return -EFBIG;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		snprintf(err, errlen, "failed to read %s: out of memory", path);
		return -ENOMEM;
	}
	s->data = s->buf;
	s->len = (size_t)st.st_size;
	s->fd = fd;
	ret = parse_with(&p, s, cap);
	free(s);
	close(fd);
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

int capture__read(const char *path, struct capture *cap, const struct capture_limits *lim,
		  char *err, size_t errlen)
{
	return read_path(path, cap, lim, NULL, NULL, true, err, errlen);
}

int capture__read_each(const char *path, struct capture *cap, const struct capture_limits *lim,
		       capture_sample_fn fn, void *arg, char *err, size_t errlen)
{
	return read_path(path, cap, lim, fn, arg, false, err, errlen);
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
