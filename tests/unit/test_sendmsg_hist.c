// SPDX-License-Identifier: GPL-2.0
/*
 * The tun_sendmsg() latency histogram: bucket and batch-class math (shared
 * with the BPF side, include/skbtop.h), quantiles and their text, the
 * snapshot rows (sorted, delta, sums), and every output of it: -j
 * queues[].sendmsg_ns, the TUN_SENDMSG text table, a capture round trip
 * (format 1.6 sendmsg_hist[]) and a capture from before 1.6, whose
 * histogram is unmeasured: null, '-', n/a, never 0.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "capture.h"
#include "fields.h"
#include "view.h"
#include "fake_names.h"

static void test_buckets(void **state)
{
	(void)state;
	assert_int_equal(skbtop_log2_bucket(0, SKBTOP_LAT_SLOTS), 0);
	assert_int_equal(skbtop_log2_bucket(1, SKBTOP_LAT_SLOTS), 1);
	assert_int_equal(skbtop_log2_bucket(2, SKBTOP_LAT_SLOTS), 2);
	assert_int_equal(skbtop_log2_bucket(3, SKBTOP_LAT_SLOTS), 2);
	assert_int_equal(skbtop_log2_bucket(4, SKBTOP_LAT_SLOTS), 3);
	assert_int_equal(skbtop_log2_bucket(1023, SKBTOP_LAT_SLOTS), 10);
	assert_int_equal(skbtop_log2_bucket(1024, SKBTOP_LAT_SLOTS), 11);
	assert_int_equal(skbtop_log2_bucket((1ULL << 30) - 1, SKBTOP_LAT_SLOTS), 30);
	assert_int_equal(skbtop_log2_bucket(1ULL << 30, SKBTOP_LAT_SLOTS), 31);
	assert_int_equal(skbtop_log2_bucket(1ULL << 40, SKBTOP_LAT_SLOTS), 31);
	assert_int_equal(skbtop_log2_bucket(UINT64_MAX, SKBTOP_LAT_SLOTS), 31);
	assert_int_equal(skbtop_log2_bucket(5, 4), 3);	/* capped at the open last bucket */
	/* every value lands in the bucket whose bounds hold it */
	for (__u64 v = 1; v < (1ULL << 31); v = v * 3 + 1) {
		__u32 b = skbtop_log2_bucket(v, SKBTOP_LAT_SLOTS);

		if (b == SKBTOP_LAT_SLOTS - 1) {
			assert_true(v >= hist_bucket_ns(b, SKBTOP_LAT_SLOTS));
		} else {
			assert_true(v >= 1ULL << (b - 1));
			assert_true(v <= hist_bucket_ns(b, SKBTOP_LAT_SLOTS));
		}
	}
	assert_int_equal(hist_bucket_ns(0, SKBTOP_LAT_SLOTS), 0);
	assert_int_equal(hist_bucket_ns(3, SKBTOP_LAT_SLOTS), 7);
	assert_int_equal(hist_bucket_ns(31, SKBTOP_LAT_SLOTS), 1ULL << 30);
}

/* A class name's bounds: "plain" -1, "N" N..N, "A-B", "128+" 128..65535. */
static void class_bounds(const char *name, long *lo, long *hi)
{
	if (!strcmp(name, "plain")) {
		*lo = *hi = -1;
	} else if (strchr(name, '+')) {
		*lo = atol(name);
		*hi = 65535;
	} else if (strchr(name, '-')) {
		*lo = atol(name);
		*hi = atol(strchr(name, '-') + 1);
	} else {
		*lo = *hi = atol(name);
	}
}

static void test_batch_classes(void **state)
{
	long lo, hi;

	(void)state;
	assert_int_equal(skbtop_sendmsg_class(0, 64), 0);
	assert_int_equal(skbtop_sendmsg_class(1, 0), 1);
	assert_int_equal(skbtop_sendmsg_class(1, 1), 2);
	assert_int_equal(skbtop_sendmsg_class(1, 3), 3);
	assert_int_equal(skbtop_sendmsg_class(1, 63), 7);
	assert_int_equal(skbtop_sendmsg_class(1, 64), 8);	/* VHOST_NET_BATCH */
	assert_int_equal(skbtop_sendmsg_class(1, 127), 8);
	assert_int_equal(skbtop_sendmsg_class(1, 128), 9);
	assert_int_equal(skbtop_sendmsg_class(1, 65535), 9);
	assert_string_equal(sendmsg_batch_name(0), "plain");
	assert_string_equal(sendmsg_batch_name(8), "64-127");
	assert_string_equal(sendmsg_batch_name(9), "128+");
	assert_null(sendmsg_batch_name(SKBTOP_SENDMSG_CLASSES));
	/* each frame count's class name holds it */
	for (long num = 0; num <= 65535; num++) {
		class_bounds(sendmsg_batch_name(skbtop_sendmsg_class(1, (__u32)num)), &lo, &hi);
		assert_true(lo <= num && num <= hi);
	}
	class_bounds(sendmsg_batch_name(skbtop_sendmsg_class(0, 0)), &lo, &hi);
	assert_int_equal(lo, -1);
}

static void test_quantiles(void **state)
{
	__u64 h[SKBTOP_LAT_SLOTS] = {}, one[SKBTOP_LAT_SLOTS] = {};
	char buf[16];

	(void)state;
	assert_int_equal(hist_quantile_bucket(h, SKBTOP_LAT_SLOTS, 0.5), -1);
	assert_int_equal(hist_max_bucket(h, SKBTOP_LAT_SLOTS), -1);
	h[3] = 50;
	h[5] = 49;
	h[7] = 1;
	assert_int_equal(hist_count(h, SKBTOP_LAT_SLOTS), 100);
	assert_int_equal(hist_quantile_bucket(h, SKBTOP_LAT_SLOTS, 0.5), 3);	/* rank 50 */
	assert_int_equal(hist_quantile_bucket(h, SKBTOP_LAT_SLOTS, 0.51), 5);	/* rank 51 */
	assert_int_equal(hist_quantile_bucket(h, SKBTOP_LAT_SLOTS, 0.99), 5);	/* rank 99 */
	assert_int_equal(hist_quantile_bucket(h, SKBTOP_LAT_SLOTS, 1.0), 7);
	assert_int_equal(hist_max_bucket(h, SKBTOP_LAT_SLOTS), 7);
	one[0] = 1;
	assert_int_equal(hist_quantile_bucket(one, SKBTOP_LAT_SLOTS, 0.99), 0);
	hist_bucket_text(buf, sizeof(buf), -1, SKBTOP_LAT_SLOTS);
	assert_string_equal(buf, "-");
	hist_bucket_text(buf, sizeof(buf), 0, SKBTOP_LAT_SLOTS);
	assert_string_equal(buf, "0");
	hist_bucket_text(buf, sizeof(buf), 5, SKBTOP_LAT_SLOTS);
	assert_string_equal(buf, "<32ns");
	hist_bucket_text(buf, sizeof(buf), 11, SKBTOP_LAT_SLOTS);
	assert_string_equal(buf, "<2.0us");
	hist_bucket_text(buf, sizeof(buf), 21, SKBTOP_LAT_SLOTS);
	assert_string_equal(buf, "<2.1ms");
	hist_bucket_text(buf, sizeof(buf), 31, SKBTOP_LAT_SLOTS);
	assert_string_equal(buf, ">=1.07s");
}

static const struct queue_key q0 = { .ifindex = 5, .queue = 0, .dir = QUEUE_RX, .ifname = "tap0" };
static const struct queue_key q1 = { .ifindex = 5, .queue = 1, .dir = QUEUE_RX, .ifname = "tap0" };

static void add_hist(struct snapshot *s, const struct queue_key *q, __u32 batch, int bucket,
		     __u64 n)
{
	struct sendmsg_key k = { .q = *q, .batch = batch };
	struct sendmsg_hist h = {};

	h.ns[bucket] = n;
	assert_int_equal(snapshot__add_sendmsg(s, &k, &h, NULL), 0);
}

static void test_snapshot_rows(void **state)
{
	struct snapshot a, b, d = {}, acc;
	struct sendmsg_key k = { .q = q0, .batch = 8 };
	struct sendmsg_hist big = {};
	bool wrapped = false;

	(void)state;
	assert_int_equal(snapshot__init(&a, 2), 0);
	add_hist(&a, &q1, 8, 12, 5);
	add_hist(&a, &q0, 8, 12, 7);
	add_hist(&a, &q0, 6, 10, 1);
	add_hist(&a, &q0, 8, 13, 2);	/* same key: added */
	assert_int_equal(a.nsendmsg, 3);
	for (size_t i = 1; i < a.nsendmsg; i++)	/* sorted by key */
		assert_true(memcmp(&a.sendmsg[i - 1].key, &a.sendmsg[i].key,
				   sizeof(a.sendmsg[i].key)) < 0);
	assert_int_equal(snapshot__find_sendmsg(&a, &k)->h.ns[12], 7);
	assert_int_equal(snapshot__find_sendmsg(&a, &k)->h.ns[13], 2);
	/* a later read: q0/8 grew, q1 did not, q0/2 is new */
	assert_int_equal(snapshot__copy(&b, &a), 0);
	add_hist(&b, &q0, 8, 12, 4);
	add_hist(&b, &q0, 2, 3, 1);
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.nsendmsg, 2);	/* rows without calls in the interval: none */
	assert_int_equal(snapshot__find_sendmsg(&d, &k)->h.ns[12], 4);
	assert_int_equal(snapshot__find_sendmsg(&d, &k)->h.ns[13], 0);
	k.batch = 2;
	assert_int_equal(snapshot__find_sendmsg(&d, &k)->h.ns[3], 1);
	/* totals: a + d */
	assert_int_equal(snapshot__copy(&acc, &a), 0);
	assert_int_equal(snapshot__accumulate(&acc, &d), 0);
	assert_int_equal(acc.nsendmsg, 4);
	k.batch = 8;
	assert_int_equal(snapshot__find_sendmsg(&acc, &k)->h.ns[12], 11);
	/* a bucket past 2^64 is reported */
	big.ns[12] = UINT64_MAX;
	assert_int_equal(snapshot__add_sendmsg(&acc, &k, &big, &wrapped), 0);
	assert_true(wrapped);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
	snapshot__free(&acc);
}

/* Probe tables: the histogram measured; tun_sendmsg without the cap (a 1.5 capture); none. */
static struct probe_status with_cap[] = {
	{ .name = "tun_sendmsg", .group = "tun", .mode = MODE_FENTRY, .variant = "fentry+fexit",
	  .caps = PROBE_CAP_SENDMSG_LAT },
};
static struct probe_status without_cap[] = {
	{ .name = "tun_sendmsg", .group = "tun", .mode = MODE_FENTRY, .variant = "fentry+fexit" },
};
static struct probe_status unavailable[] = {
	{ .name = "tun_sendmsg", .group = "tun", .mode = MODE_UNAVAILABLE },
};

/* Two queues of tap0 with tun_sendmsg() calls: q0 in two batch classes, q1 in one. */
static void make_snapshot(struct snapshot *s)
{
	struct queue_counters c0 = { .sendmsg_calls = 10, .sendmsg_batches = 10 };
	struct queue_counters c1 = { .sendmsg_calls = 4, .sendmsg_batches = 4 };

	assert_int_equal(snapshot__init(s, 2), 0);
	s->mono_ns = 1000000000ULL;
	s->real_ns = 1700000000000000000ULL;
	assert_int_equal(snapshot__add_queue(s, &q0, &c0), 0);
	assert_int_equal(snapshot__add_queue(s, &q1, &c1), 0);
	add_hist(s, &q0, 8, 16, 8);	/* 64-127 frames: [32768, 65535] ns */
	add_hist(s, &q0, 6, 14, 2);	/* 16-31 frames: [8192, 16383] ns */
	add_hist(s, &q1, 8, 17, 4);
}

static void make_ctx(struct view_ctx *ctx, struct probe_status *p, size_t n)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->reason_name = rname;
	ctx->location_name = lname;
	ctx->probes = p;
	ctx->nprobes = n;
	ctx->top = 10;
}

static json_t *json_of(const struct snapshot *s, const struct view_ctx *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw w;
	json_t *o;

	assert_non_null(f);
	jw_init(&w, f, 0);
	view_json_write(&w, s, ctx);
	fclose(f);
	o = json_loads(buf, 0, NULL);
	assert_non_null(o);
	free(buf);
	return o;
}

static char *text_of(const struct snapshot *s, const struct view_ctx *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	view_text(f, s, ctx);
	fclose(f);
	return buf;
}

static void test_json(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	json_t *o, *q, *h, *b;

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx, with_cap, 1);
	o = json_of(&s, &ctx);
	q = json_array_get(json_object_get(o, "queues"), 0);
	h = json_object_get(q, "sendmsg_ns");
	assert_true(json_is_object(h));
	assert_int_equal(json_integer_value(json_object_get(h, "count")), 10);
	assert_int_equal(json_array_size(json_object_get(h, "buckets")), SKBTOP_LAT_SLOTS);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "buckets"), 16)), 8);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(h, "buckets"), 14)), 2);
	assert_int_equal(json_integer_value(json_object_get(h, "p50_ns")), 65535);
	assert_int_equal(json_integer_value(json_object_get(h, "p99_ns")), 65535);
	assert_int_equal(json_array_size(json_object_get(h, "batches")), 2);
	b = json_array_get(json_object_get(h, "batches"), 0);	/* in class order */
	assert_string_equal(json_string_value(json_object_get(b, "batch")), "16-31");
	assert_int_equal(json_integer_value(json_object_get(b, "batch_class")), 6);
	assert_int_equal(json_integer_value(json_object_get(b, "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(b, "p50_ns")), 16383);
	b = json_array_get(json_object_get(h, "batches"), 1);
	assert_string_equal(json_string_value(json_object_get(b, "batch")), "64-127");
	assert_int_equal(json_integer_value(json_object_get(b, "count")), 8);
	q = json_array_get(json_object_get(o, "queues"), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(q, "sendmsg_ns"),
							    "count")), 4);
	json_decref(o);
	/* unmeasured: null, never an empty histogram */
	make_ctx(&ctx, without_cap, 1);
	o = json_of(&s, &ctx);
	q = json_array_get(json_object_get(o, "queues"), 0);
	assert_true(json_is_null(json_object_get(q, "sendmsg_ns")));
	assert_int_equal(json_integer_value(json_object_get(q, "sendmsg_calls")), 10);
	json_decref(o);
	make_ctx(&ctx, unavailable, 1);
	o = json_of(&s, &ctx);
	q = json_array_get(json_object_get(o, "queues"), 1);
	assert_true(json_is_null(json_object_get(q, "sendmsg_ns")));
	json_decref(o);
	/* measured, no calls: a count of 0 and no quantiles */
	s.nsendmsg = 0;
	make_ctx(&ctx, with_cap, 1);
	o = json_of(&s, &ctx);
	h = json_object_get(json_array_get(json_object_get(o, "queues"), 0), "sendmsg_ns");
	assert_int_equal(json_integer_value(json_object_get(h, "count")), 0);
	assert_true(json_is_null(json_object_get(h, "p50_ns")));
	json_decref(o);
	snapshot__free(&s);
}

static void test_text(void **state)
{
	struct snapshot s;
	struct view_ctx ctx;
	char *t;

	(void)state;
	make_snapshot(&s);
	make_ctx(&ctx, with_cap, 1);
	t = text_of(&s, &ctx);
	assert_non_null(strstr(t, "TUN_SENDMSG  QUEUE BATCH     CALLS      p50      p99      max\n"));
	assert_non_null(strstr(t, "tap0           rx0 16-31         2  <16.4us  <16.4us  <16.4us\n"));
	assert_non_null(strstr(t, "tap0           rx0 64-127        8  <65.5us  <65.5us  <65.5us\n"));
	assert_non_null(strstr(t, "tap0           rx0 all          10  <65.5us  <65.5us  <65.5us\n"));
	assert_non_null(strstr(t, "tap0           rx1 64-127        4 <131.1us <131.1us <131.1us\n"));
	assert_null(strstr(t, "rx1 all"));	/* one class: no sum row */
	free(t);
	ctx.top = 1;	/* at most top queues */
	t = text_of(&s, &ctx);
	assert_non_null(strstr(t, "tap0           rx0 all          10"));
	assert_null(strstr(t, "rx1 64-127"));
	assert_non_null(strstr(t, "  (1 more tun_sendmsg() queues; -j for all)\n"));
	free(t);
	ctx.top = 10;
	/* unmeasured: each queue with calls, '-' (n/a in report), never 0 */
	make_ctx(&ctx, without_cap, 1);
	t = text_of(&s, &ctx);
	assert_non_null(strstr(t, "tap0           rx0 all           -        -        -        -\n"));
	assert_non_null(strstr(t, "tap0           rx1 all           -        -        -        -\n"));
	free(t);
	ctx.na = "n/a";
	t = text_of(&s, &ctx);
	assert_non_null(strstr(t, "tap0           rx1 all         n/a      n/a      n/a      n/a\n"));
	free(t);
	snapshot__free(&s);
}

static const char *cap_reason(const struct view_ctx *c, __u32 r, char *b, size_t l)
{
	return rname(c, r, b, l);
}

/* A capture of two intervals of s written, read back: the rows add up; then 1.5 shows n/a. */
static void test_capture(void **state)
{
	struct capture_writer w;
	struct capture meta = { .exit_status = 0 }, cap;
	struct view_ctx names = { .reason_name = cap_reason, .location_name = lname };
	struct snapshot s;
	struct sendmsg_key k = { .q = q0, .batch = 8 };
	char *text = NULL, *rep = NULL, err[256], *p;
	size_t len = 0, rlen = 0;
	FILE *f;

	(void)state;
	make_snapshot(&s);
	assert_int_equal(capture_writer__init(&w, 2, NULL), 0);
	assert_int_equal(capture_writer__add(&w, &s), 0);
	assert_int_equal(capture_writer__add(&w, &s), 0);
	meta.env.ncpus = 2;
	meta.probes = with_cap;
	meta.nprobes = 1;
	meta.start_ns = 1699999999000000000ULL;
	meta.end_ns = 1700000002000000000ULL;
	f = open_memstream(&text, &len);
	assert_int_equal(capture_writer__write(&w, &meta, &names, f), 0);
	fclose(f);
	capture_writer__free(&w);
	assert_non_null(strstr(text, "\"version\":\"1.6\""));
	assert_non_null(strstr(text, "\"sendmsg_hist\":[{\"ifindex\":5,\"ifname\":\"tap0\","
				     "\"queue\":0,\"dir\":\"rx\",\"batch\":6,"));
	if (capture__parse(text, len, &cap, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(cap.totals.nsendmsg, 3);
	assert_int_equal(snapshot__find_sendmsg(&cap.totals, &k)->h.ns[16], 16);
	f = open_memstream(&rep, &rlen);
	assert_int_equal(report__print(f, &cap, "t.json", "text"), 0);
	fclose(f);
	assert_non_null(strstr(rep, "tap0           rx0 all          20  <65.5us  <65.5us  <65.5us\n"));
	free(rep);
	capture__free(&cap);
	/* the totals must be the samples' sum */
	p = strstr(text, "\"totals\"");
	assert_non_null(p);
	p = strstr(p, "\"ns\":[");
	assert_non_null(p);
	p = strchr(p, '[') + 1;
	*p = '9';	/* the first bucket of the totals' first row: 0 -> 9 */
	assert_int_not_equal(capture__parse(text, len, &cap, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "totals.sendmsg_hist"));
	free(text);

	/* a capture before 1.6: no sendmsg_hist, no sendmsg_lat cap: n/a, null */
	meta.probes = without_cap;
	assert_int_equal(capture_writer__init(&w, 2, NULL), 0);
	s.nsendmsg = 0;		/* what 1.5 wrote: the queue rows only */
	assert_int_equal(capture_writer__add(&w, &s), 0);
	text = NULL;
	f = open_memstream(&text, &len);
	assert_int_equal(capture_writer__write(&w, &meta, &names, f), 0);
	fclose(f);
	capture_writer__free(&w);
	p = strstr(text, "\"version\":\"1.6\"");
	assert_non_null(p);
	p[13] = '5';
	if (capture__parse(text, len, &cap, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(cap.minor, 5);
	assert_int_equal(cap.totals.nsendmsg, 0);
	rep = NULL;
	f = open_memstream(&rep, &rlen);
	assert_int_equal(report__print(f, &cap, "old.json", "text"), 0);
	fclose(f);
	assert_non_null(strstr(rep, "tap0           rx0 all         n/a      n/a      n/a      n/a\n"));
	free(rep);
	rep = NULL;
	f = open_memstream(&rep, &rlen);
	assert_int_equal(report__print(f, &cap, "old.json", "json"), 0);
	fclose(f);
	{
		json_t *o = json_loads(rep, 0, NULL), *q;

		assert_non_null(o);
		q = json_array_get(json_object_get(json_object_get(o, "totals"), "queues"), 0);
		assert_true(json_is_null(json_object_get(q, "sendmsg_ns")));
		assert_int_equal(json_integer_value(json_object_get(q, "sendmsg_calls")), 10);
		json_decref(o);
	}
	free(rep);
	capture__free(&cap);
	free(text);
	snapshot__free(&s);
}

/* A capture of two intervals of make_snapshot(); old: as 1.5 wrote it (no histogram, no cap). */
static char *capture_doc(bool old, size_t *len)
{
	struct capture_writer w;
	struct capture meta = { .exit_status = 0 };
	struct view_ctx names = { .reason_name = cap_reason, .location_name = lname };
	struct snapshot s;
	char *text = NULL, *p;
	FILE *f;

	make_snapshot(&s);
	if (old)
		s.nsendmsg = 0;
	assert_int_equal(capture_writer__init(&w, 2, NULL), 0);
	assert_int_equal(capture_writer__add(&w, &s), 0);
	assert_int_equal(capture_writer__add(&w, &s), 0);
	meta.env.ncpus = 2;
	meta.probes = old ? without_cap : with_cap;
	meta.nprobes = 1;
	meta.start_ns = 1699999999000000000ULL;
	meta.end_ns = 1700000002000000000ULL;
	f = open_memstream(&text, len);
	assert_int_equal(capture_writer__write(&w, &meta, &names, f), 0);
	fclose(f);
	capture_writer__free(&w);
	snapshot__free(&s);
	if (old) {
		p = strstr(text, "\"version\":\"1.6\"");
		assert_non_null(p);
		p[13] = '5';
	}
	return text;
}

/* diff: the rows side by side from the totals; a 1.5 side is n/a, never 0 */
static void test_diff(void **state)
{
	struct capture a, b;
	struct diff_result r;
	size_t la, lb;
	char *ta = capture_doc(true, &la), *tb = capture_doc(false, &lb), err[256], *out = NULL;
	size_t olen = 0;
	json_t *j, *row;
	FILE *f;

	(void)state;
	if (capture__parse(ta, la, &a, NULL, err, sizeof(err)) ||
	    capture__parse(tb, lb, &b, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(diff__compare(&a, &b, &r), 0);
	assert_int_equal(r.nlat, 3);
	assert_true(r.lat[0].before_na);
	assert_false(r.lat[0].after_na);
	f = open_memstream(&out, &olen);
	diff__text(f, &r, "old.json", "new.json");
	fclose(f);
	assert_non_null(strstr(out, "\ntap0/rx0 batch 16-31: calls n/a -> 4\n"
				    "  p50 n/a -> <16.4us, p99 n/a -> <16.4us\n"));
	assert_non_null(strstr(out, "\ntap0/rx1 batch 64-127: calls n/a -> 8\n"));
	for (char *l = out; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		assert_true(strcspn(l, "\n") <= DIFF_TEXT_WIDTH);
	free(out);
	j = diff__json(&r, "old.json", "new.json");
	row = json_array_get(json_object_get(j, "sendmsg_latency"), 2);
	assert_string_equal(json_string_value(json_object_get(row, "batch")), "64-127");
	assert_int_equal(json_integer_value(json_object_get(row, "queue")), 1);
	assert_true(json_is_null(json_object_get(row, "before")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(row, "after"),
							    "count")), 8);
	json_decref(j);
	diff__free(&r);
	/* the same capture on both sides: equal; two 1.5 captures: no latency rows */
	assert_int_equal(diff__compare(&b, &b, &r), 0);
	assert_int_equal(r.nlat, 3);
	assert_false(r.lat[1].before_na);
	assert_int_equal(hist_count(r.lat[1].before.ns, SKBTOP_LAT_SLOTS), 16);
	assert_memory_equal(&r.lat[1].before, &r.lat[1].after, sizeof(r.lat[1].after));
	diff__free(&r);
	assert_int_equal(diff__compare(&a, &a, &r), 0);
	assert_int_equal(r.nlat, 0);
	diff__free(&r);
	capture__free(&a);
	capture__free(&b);
	free(ta);
	free(tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_batch_classes),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_snapshot_rows),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
