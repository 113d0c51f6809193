// SPDX-License-Identifier: GPL-2.0
/*
 * The streaming JSON writer against jansson, the independent reference:
 * every document it writes parses, and (where every integer fits jansson's
 * signed 64 bits) re-dumps byte for byte the same, compact and indented.
 * Exact forms of what jansson cannot hold: u64 above 2^63, invalid UTF-8.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "jsonw.h"
#include "view.h"

typedef void (*writer_fn)(struct jsonw *w, void *arg);

/* What fn writes with the given indent (and ascii mode), as a malloc'd string. */
static char *render_mode(writer_fn fn, void *arg, int indent, bool ascii)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw w;

	assert_non_null(f);
	jw_init(&w, f, indent);
	w.ascii = ascii;
	fn(&w, arg);
	assert_int_equal(w.depth, 0);
	fclose(f);
	return buf;
}

static char *render(writer_fn fn, void *arg, int indent)
{
	return render_mode(fn, arg, indent, false);
}

/* Parsed by jansson and dumped again with the matching flags: the same bytes. */
static void assert_same_as_jansson(writer_fn fn, void *arg)
{
	static const struct { int indent; size_t flags; bool ascii; } modes[] = {
		{ 0, JSON_COMPACT }, { 2, JSON_INDENT(2) }, { 4, JSON_INDENT(4) },
		/* captures: every character past ASCII escaped, surrogate pairs past U+FFFF */
		{ 0, JSON_COMPACT | JSON_ENSURE_ASCII, true },
		{ 2, JSON_INDENT(2) | JSON_ENSURE_ASCII, true },
	};

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		char *ours = render_mode(fn, arg, modes[m].indent, modes[m].ascii), *theirs;
		json_error_t err;
		json_t *doc = json_loads(ours, JSON_DECODE_ANY, &err);

		if (!doc)
			fail_msg("jansson rejects %s: %s", ours, err.text);
		theirs = json_dumps(doc, modes[m].flags | JSON_ENCODE_ANY);
		assert_string_equal(ours, theirs);
		free(theirs);
		free(ours);
		json_decref(doc);
	}
}

static void nested(struct jsonw *w, void *arg)
{
	(void)arg;
	jw_object(w);
	jw_kv_u64(w, "zero", 0);
	jw_kv_u64(w, "max_s64", INT64_MAX);
	jw_key(w, "neg");
	jw_s64(w, -42);
	jw_key(w, "min");
	jw_s64(w, INT64_MIN);
	jw_key(w, "empty_obj");
	jw_object(w);
	jw_end(w);
	jw_key(w, "empty_arr");
	jw_array(w);
	jw_end(w);
	jw_key(w, "arr");
	jw_array(w);
	jw_u64(w, 1);
	jw_array(w);
	jw_null(w);
	jw_string(w, NULL);
	jw_end(w);
	jw_object(w);
	jw_kv_string(w, "k", "v");
	jw_end(w);
	jw_end(w);
	jw_kv_string(w, "escapes", "q\" b\\ /\b\f\n\r\t \x01\x1f \x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	{	/* the counter-row path: first member, escaped and 64+ byte keys fall back */
		static const char *const keys[] = {
			"plain", "quote\"key", "k_64_bytes_01234567890123456789012345678901234567890123456789012",
			"k_65_bytes_012345678901234567890123456789012345678901234567890123", "last",
		};
		const __u64 vals[] = { 1, 2, 3, UINT64_MAX >> 1, 0 };

		jw_key(w, "row");
		jw_object(w);
		jw_kv_u64s(w, keys, vals, 5);
		jw_end(w);
		jw_key(w, "row_after");
		jw_object(w);
		jw_kv_u64(w, "x", 9);
		jw_kv_u64s(w, keys, vals, 1);
		jw_end(w);
	}
	{	/* keys quoted once: plain and 32-byte keys copied, an escape or 33 bytes fall back */
		static const char *const plain_keys[] = { "from_cpu", "to_cpu",
			"k_32_bytes_012345678901234567890" };
		static const char *const odd_keys[] = { "ok", "tab\tkey" };
		static const char *const long_keys[] = { "k_33_bytes_0123456789012345678901" };
		const __u64 vals[] = { 0, INT64_MAX, 12345 };
		struct jw_keys k;

		jw_keys_init(&k, plain_keys, 3);
		assert_true(k.quoted);
		jw_key(w, "rows_quoted");
		jw_array(w);
		for (int i = 0; i < 3; i++) {
			jw_object(w);
			jw_kv_u64s_keys(w, &k, vals);
			jw_end(w);
		}
		jw_object(w);	/* after a member: the separator */
		jw_kv_u64(w, "first", 1);
		jw_kv_u64s_keys(w, &k, vals);
		jw_end(w);
		jw_end(w);
		jw_keys_init(&k, odd_keys, 2);
		assert_false(k.quoted);
		jw_key(w, "rows_escaped");
		jw_object(w);
		jw_kv_u64s_keys(w, &k, vals);
		jw_end(w);
		jw_keys_init(&k, long_keys, 1);
		assert_false(k.quoted);
		jw_key(w, "rows_long");
		jw_object(w);
		jw_kv_u64s_keys(w, &k, vals);
		jw_end(w);
	}
	jw_key(w, "reals");
	jw_array(w);
	jw_real(w, 0.5);
	jw_real(w, 3.0);
	jw_real(w, 1e20);
	jw_real(w, 1e-5);
	jw_real(w, -2.5e-300);
	jw_real(w, 0.93);
	jw_real(w, 1.0 / 3);
	jw_end(w);
	jw_end(w);
}

static void test_matches_jansson(void **state)
{
	(void)state;
	assert_same_as_jansson(nested, NULL);
}

static void scalars(struct jsonw *w, void *arg)
{
	(void)arg;
	jw_array(w);
	jw_u64(w, UINT64_MAX);
	jw_u64(w, (__u64)INT64_MAX + 1);
	jw_real(w, NAN);
	jw_real(w, INFINITY);
	jw_string(w, "a\xff" "b\xc3(\xe0\x80\xaf\xed\xa0\x80\xf4\x90\x80\x80z");
	jw_end(w);
}

/* A string longer than the writer's buffer, every kind of byte in every chunk. */
static void long_string(struct jsonw *w, void *arg)
{
	jw_string(w, arg);
}

static void test_long_string(void **state)
{
	static const char piece[] = "ab\"\xff\xc3\xa9\n", want_piece[] = "ab\\\"\\u00FF\xc3\xa9\\n";
	size_t n = 20000, plen = strlen(piece), wlen = strlen(want_piece);
	char *in = malloc(n * plen + 1), *want = malloc(n * wlen + 3), *out;

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	want[0] = '"';
	for (size_t i = 0; i < n; i++) {
		memcpy(in + i * plen, piece, plen);
		memcpy(want + 1 + i * wlen, want_piece, wlen);
	}
	in[n * plen] = 0;
	strcpy(want + 1 + n * wlen, "\"");
	out = render(long_string, in, 0);
	assert_int_equal(strlen(out), strlen(want));
	assert_string_equal(out, want);
	free(out);
	free(in);
	free(want);
}

/* ascii mode over many chunks: 4-byte sequences become 12 bytes, at every offset. */
static void test_long_string_ascii(void **state)
{
	static const char piece[] = "\xf0\x9f\x98\x80" "a\xc3\xa9\xe2\x82\xac\n";
	size_t n = 20000, plen = strlen(piece);
	char *in = malloc(n * plen + 1);

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		memcpy(in + i * plen, piece, plen);
	in[n * plen] = 0;
	assert_same_as_jansson(long_string, in);
	free(in);
}

/* Beyond jansson: full u64, non-finite reals, bytes that are not UTF-8. */
static void test_exact_forms(void **state)
{
	char *s = render(scalars, NULL, 0);

	(void)state;
	assert_string_equal(s, "[18446744073709551615,9223372036854775808,null,null,"
			       "\"a\\u00FFb\\u00C3(\\u00E0\\u0080\\u00AF\\u00ED\\u00A0\\u0080"
			       "\\u00F4\\u0090\\u0080\\u0080z\"]");
	free(s);
}

static const char *rname(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	snprintf(buf, len, "REASON_%u", r);
	return buf;
}

static const char *lname(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	snprintf(buf, len, "fn+0x%llx", (unsigned long long)(a & 0xff));
	return buf;
}

static void write_view(struct jsonw *w, void *arg)
{
	struct view_ctx ctx = { .reason_name = rname, .location_name = lname, .per_cpu = true };

	view_json_write(w, arg, &ctx);
}

/* The -j record of a delta: jansson's layout, and the numbers put in. */
static void test_view_json(void **state)
{
	struct snapshot s;
	struct drop_key k1 = { .reason = 2 }, k2 = { .reason = 6, .ifindex = 9, .queue = 3,
						     .dir = 1, .location = 0xffffffff81000012ULL };
	struct queue_key q = { .ifindex = 9, .queue = 3, .dir = 2 };
	struct queue_counters qc = { .sendmsg_frames = 64, .drops = 5 };
	json_t *doc, *row;
	char *out;

	(void)state;
	assert_int_equal(snapshot__init(&s, 2), 0);
	s.mono_ns = 1000000000;
	s.real_ns = 1790000000000000001ULL;
	s.cpus[0].cache_gets = 200;
	s.cpus[1].cache_gets = 56;
	s.cpus[1].cache_refills = 16;
	s.cpus[0].cache_hits = 200;	/* hit rate = hits / gets = 240 / 256 */
	s.cpus[1].cache_hits = 40;
	s.cpus[1].bulk_hist[4] = 7;
	s.kicks[0 * 2 + 1].queued = 11;
	s.kicks[0 * 2 + 1].ipis = 1;
	strcpy(k2.ifname, "tap0");
	strcpy(q.ifname, "tap0");
	assert_int_equal(snapshot__add_drop(&s, &k1, 1000), 0);
	assert_int_equal(snapshot__add_drop(&s, &k2, 3), 0);
	assert_int_equal(snapshot__add_cpu_drop(&s, 2, 0, 600), 0);
	assert_int_equal(snapshot__add_cpu_drop(&s, 2, 1, 400), 0);
	assert_int_equal(snapshot__add_cpu_drop(&s, 6, 1, 3), 0);
	assert_int_equal(snapshot__add_queue(&s, &q, &qc), 0);
	assert_int_equal(snapshot__add_prog(&s, "drops_tp", 5000, 100), 0);
	assert_same_as_jansson(write_view, &s);

	out = render(write_view, &s, 0);
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "time_ns")), 1790000000000000001LL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "totals"),
							    "cache_gets")), 256);
	assert_true(fabs(json_real_value(json_object_get(json_object_get(doc, "totals"),
							 "cache_hit_rate")) - (1 - 16.0 / 256)) < 1e-15);
	row = json_array_get(json_object_get(doc, "cpus"), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "cpu")), 1);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(row, "bulk_hist"), 4)), 7);
	assert_int_equal(json_array_size(json_object_get(doc, "drops")), 2);
	row = json_array_get(json_object_get(doc, "drops"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "reason")), "REASON_2");
	assert_int_equal(json_integer_value(json_object_get(row, "count")), 1000);
	assert_null(json_object_get(row, "cpu"));	/* summed over CPUs */
	row = json_array_get(json_object_get(doc, "drops"), 1);
	assert_null(json_object_get(row, "cpu"));
	assert_int_equal(json_integer_value(json_object_get(row, "count")), 3);
	assert_string_equal(json_string_value(json_object_get(row, "dir")), "rx");
	assert_string_equal(json_string_value(json_object_get(row, "location")), "fn+0x12");
	assert_string_equal(json_string_value(json_object_get(row, "location_addr")),
			    "0xffffffff81000012");
	/* -C: each reason's counts, cpus[N] for CPU N */
	assert_int_equal(json_array_size(json_object_get(doc, "drops_by_cpu")), 2);
	row = json_array_get(json_object_get(doc, "drops_by_cpu"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "reason")), "REASON_2");
	assert_int_equal(json_integer_value(json_object_get(row, "count")), 1000);
	assert_int_equal(json_array_size(json_object_get(row, "cpus")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(row, "cpus"), 0)), 600);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(row, "cpus"), 1)), 400);
	row = json_array_get(json_object_get(doc, "drops_by_cpu"), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "reason_id")), 6);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(row, "cpus"), 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(row, "cpus"), 1)), 3);
	row = json_array_get(json_object_get(doc, "queues"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "sendmsg_frames")), 64);
	assert_int_equal(json_integer_value(json_object_get(row, "drops")), 5);
	assert_int_equal(json_array_size(json_object_get(doc, "kicks")), 1);
	row = json_array_get(json_object_get(doc, "kicks"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "to_cpu")), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "queued")), 11);
	assert_int_equal(json_integer_value(json_object_get(row, "ipis")), 1);
	row = json_array_get(json_object_get(doc, "progs"), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "run_ns")), 5000);
	json_decref(doc);
	free(out);
	snapshot__free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_jansson),
		cmocka_unit_test(test_exact_forms),
		cmocka_unit_test(test_long_string),
		cmocka_unit_test(test_long_string_ascii),
		cmocka_unit_test(test_view_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
