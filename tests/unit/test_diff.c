// SPDX-License-Identifier: GPL-2.0
/*
 * diff on synthetic captures with known differences and known noise: it
 * flags exactly the planted ones, warns about environment differences, and
 * its text output fits 72 columns.
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
#include "capture.h"

/* Deterministic noise: xorshift64* and Box-Muller. */
static __u64 rng = 0x9e3779b97f4a7c15ULL;

static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((rng * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}

static __u64 noisy(double mean, double rel_sd)
{
	double u1 = uniform(), u2 = uniform(), z;

	if (u1 < 1e-300)
		u1 = 1e-300;
	z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
	z = mean * (1 + rel_sd * z);
	return z < 0 ? 0 : (__u64)llround(z);
}

static const char *long_reason = "OPENVSWITCH:OVS_DROP_EXPLICIT_WITH_A_VERY_LONG_NAME";

static const char *fake_reason(const struct view_ctx *ctx, __u32 r, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "%s", r == 41 || r == 142 ? "SOCKET_RCVBUFF" : r == 3 ? "NO_SOCKET" :
				 r == (2 << 16 | 1) ? long_reason : "OTHER");
	return buf;
}

static const char *fake_location(const struct view_ctx *ctx, __u64 a, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "loc_%llx", (unsigned long long)a);
	return buf;
}

struct plant {
	double kicks, rcvbuf, tap_builds, gets;
	const char *defer_max;
	__u32 rcvbuf_id;	/* the reason's id: differs between kernels */
};

/*
 * 20 one-second intervals on 2 CPUs, 3% noise on every counter. Unplanted
 * metrics share their means between before and after.
 */
static void make_capture(struct capture *cap, const struct plant *pl, int nint)
{
	struct view_ctx names = { .reason_name = fake_reason, .location_name = fake_location };
	struct capture meta = { .exit_status = 0 };
	struct queue_key q0 = { .ifindex = 7, .queue = 0, .dir = QUEUE_TX, .ifname = "tap0" };
	struct queue_key q1 = { .ifindex = 7, .queue = 1, .dir = QUEUE_TX, .ifname = "tap0" };
	struct capture_writer w;
	char err[256], *text;

	assert_int_equal(capture_writer__init(&w, 2, NULL), 0);
	for (int i = 0; i < nint; i++) {
		struct snapshot d;
		struct drop_key kr = { .reason = pl->rcvbuf_id, .location = 0x1000 };
		struct drop_key kn = { .reason = 3, .location = 0x2000 };
		struct drop_key kl = { .reason = 2 << 16 | 1, .location = 0x3000 };
		struct queue_counters c0 = { .builds = noisy(pl->tap_builds, 0.03),
					     .sendmsg_calls = noisy(400, 0.03) };
		struct queue_counters c1 = { .builds = noisy(2000, 0.03),
					     .sendmsg_calls = noisy(400, 0.03) };
		__u64 k = noisy(pl->kicks, 0.03), r = noisy(pl->rcvbuf, 0.03);
		__u64 n = noisy(200, 0.03), l = noisy(50, 0.03), gets = noisy(pl->gets, 0.03);

		assert_int_equal(snapshot__init(&d, 2), 0);
		d.mono_ns = 1000000000ULL;
		d.real_ns = 1700000000000000000ULL + (i + 1) * 1000000000ULL;
		d.cpus[0].cache_gets = gets;
		d.cpus[0].cache_refills = gets / 16;
		d.cpus[0].cache_hits = gets - gets / 16;	/* hit rate stays 93.75% */
		d.cpus[0].consume_calls = noisy(30000, 0.03);
		d.cpus[0].drops = r + n + l;
		d.cpus[1].defer_kicks_sent = k;
		d.cpus[1].defer_ipis_sent = k;
		d.cpus[0].defer_kicks_recv = k;
		d.cpus[1].defer_flush_skbs = noisy(9000, 0.03);
		d.kicks[1 * 2 + 0].kicks = k;
		d.kicks[1 * 2 + 0].ipis = k;
		assert_int_equal(snapshot__add_drop(&d, &kr, r), 0);
		assert_int_equal(snapshot__add_drop(&d, &kn, n), 0);
		assert_int_equal(snapshot__add_drop(&d, &kl, l), 0);
		assert_int_equal(snapshot__add_cpu_drop(&d, kr.reason, 0, r), 0);
		assert_int_equal(snapshot__add_cpu_drop(&d, kn.reason, 0, n), 0);
		assert_int_equal(snapshot__add_cpu_drop(&d, kl.reason, 1, l), 0);
		assert_int_equal(snapshot__add_queue(&d, &q0, &c0), 0);
		assert_int_equal(snapshot__add_queue(&d, &q1, &c1), 0);
		assert_int_equal(capture_writer__add(&w, &d), 0);
		snapshot__free(&d);
	}
	/* a last, cut-short interval: recorded, but left out of the test */
	{
		struct snapshot d;

		assert_int_equal(snapshot__init(&d, 2), 0);
		d.mono_ns = 10000000ULL;
		d.cpus[1].defer_kicks_sent = 1;
		d.cpus[0].defer_kicks_recv = 1;
		d.cpus[1].defer_ipis_sent = 1;
		assert_int_equal(capture_writer__add(&w, &d), 0);
		snapshot__free(&d);
	}
	meta.skbtop_version = "0.1.0";
	meta.env.kernel_release = "6.18.44";
	meta.env.ncpus = 2;
	meta.env.sysctls[0] = (char *)pl->defer_max;
	meta.interval_ns = 1000000000ULL;
	{
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_int_equal(capture_writer__write(&w, &meta, &names, f), 0);
		fclose(f);
		assert_int_equal(capture__parse(text, len, cap, NULL, err, sizeof(err)), 0);
		free(text);
	}
	capture_writer__free(&w);
}

static void expect(const struct diff_result *r, const char *name, const char *verdict)
{
	const struct diff_row *row = diff__find(r, name);

	if (!row)
		fail_msg("no row %s", name);
	if (strcmp(row->verdict, verdict))
		fail_msg("%s: verdict %s, expected %s (before %.1f after %.1f p %g)", name,
			 row->verdict, verdict, row->before, row->after, row->w.p);
}

static void test_planted(void **state)
{
	struct plant before = { .kicks = 1000, .rcvbuf = 3000, .tap_builds = 2000, .gets = 50000,
				.defer_max = "64", .rcvbuf_id = 41 };
	/* kicks -50%, SOCKET_RCVBUFF +30%, tap0/tx0 builds +5%: planted; the rest equal */
	struct plant after = { .kicks = 500, .rcvbuf = 3900, .tap_builds = 2100, .gets = 50000,
			       .defer_max = "0", .rcvbuf_id = 41 };
	struct capture a, b;
	struct diff_result r;
	size_t flagged = 0;

	(void)state;
	rng = 0x9e3779b97f4a7c15ULL;
	make_capture(&a, &before, 20);
	make_capture(&b, &after, 20);
	assert_int_equal(diff__compare(&a, &b, &r), 0);
	assert_int_equal(r.nsamples_before, 20);	/* the short interval is left out */
	assert_int_equal(r.nsamples_after, 20);

	expect(&r, "defer_kicks_sent", "--");
	expect(&r, "defer_kicks_recv", "--");
	expect(&r, "defer_ipis_sent", "--");
	expect(&r, "defer_ipis_recv", "--");	/* the same IPIs, by target */
	expect(&r, "drop:SOCKET_RCVBUFF", "++");
	expect(&r, "tap0/tx0:builds", "+");
	expect(&r, "drops", "++");	/* the sum of the drop rows moves with them */
	expect(&r, "cache_gets", "~");
	expect(&r, "cache_refills", "~");
	expect(&r, "cache_hit_rate", "~");
	expect(&r, "consume_calls", "~");
	expect(&r, "defer_flush_skbs", "~");
	expect(&r, "drop:NO_SOCKET", "~");
	expect(&r, "drop:OPENVSWITCH:OVS_DROP_EXPLICIT_WITH_A_VERY_LONG_NAME", "~");
	expect(&r, "tap0/tx1:builds", "~");
	expect(&r, "tap0/tx0:sendmsg_calls", "~");
	expect(&r, "tap0/tx1:sendmsg_calls", "~");
	for (size_t i = 0; i < r.nrows; i++)
		flagged += strcmp(r.rows[i].verdict, "~") != 0;
	assert_int_equal(flagged, 7);

	/* exact means: the totals are the sums the rows were built from */
	{
		const struct diff_row *k = diff__find(&r, "defer_kicks_sent");
		struct cpu_counters s;

		snapshot__sum_cpus(&a.totals, &s);
		assert_int_equal(k->before_total, s.defer_kicks_sent);
		/* the mean of 20 one-second rates of the full intervals: the total
		 * minus the short interval's 1, over 20 */
		assert_true(fabs(k->before - (double)(s.defer_kicks_sent - 1) / 20) < 1e-9);
	}

	/* warnings: only the sysctl differs */
	assert_int_equal(r.nwarnings, 1);
	assert_string_equal(r.warnings[0], "net.core.skb_defer_max differs: 64 -> 0");

	/* text fits 72 columns; markdown is a table; JSON parses */
	{
		char *out = NULL, *line, *save = NULL;
		size_t len = 0, lines = 0;
		FILE *f = open_memstream(&out, &len);
		json_t *j;

		diff__text(f, &r, "/a/very/long/path/to/the/before/capture/file/base-6.18.json",
			   "/a/very/long/path/to/the/after/capture/file/patched-6.18.json");
		fclose(f);
		if (getenv("SKBTOP_TEST_VERBOSE"))
			fputs(out, stderr);
		assert_non_null(strstr(out, "WARNING: net.core.skb_defer_max differs: 64 -> 0"));
		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strlen(line) > DIFF_TEXT_WIDTH)
				fail_msg("line longer than 72: \"%s\"", line);
			lines++;
		}
		assert_true(lines > 15);
		free(out);
		f = open_memstream(&out, &len);
		diff__markdown(f, &r, "a|b", "c");
		fclose(f);
		assert_non_null(strstr(out, "| metric | before | after | change | p | verdict |"));
		assert_non_null(strstr(out, "| `defer_kicks_sent` | 1000.0 | 498.5 | -50.1% | <.001 | -- |"));
		assert_non_null(strstr(out, "`a\\|b`"));
		free(out);
		j = diff__json(&r, "a", "b");
		assert_int_equal(json_array_size(json_object_get(j, "metrics")), r.nrows);
		json_decref(j);
	}
	diff__free(&r);
	capture__free(&a);
	capture__free(&b);
}

/* Identical distributions, different seeds, and ids renumbered between kernels: all ~. */
static void test_noise_only(void **state)
{
	struct plant p1 = { .kicks = 1000, .rcvbuf = 3000, .tap_builds = 2000, .gets = 50000,
			    .defer_max = "64", .rcvbuf_id = 41 };
	struct plant p2 = p1;
	struct capture a, b;
	struct diff_result r;

	(void)state;
	p2.rcvbuf_id = 142;	/* same name, another kernel's number */
	rng = 12345;
	make_capture(&a, &p1, 20);
	make_capture(&b, &p2, 20);
	assert_int_equal(diff__compare(&a, &b, &r), 0);
	assert_int_equal(r.nwarnings, 0);
	for (size_t i = 0; i < r.nrows; i++)
		if (strcmp(r.rows[i].verdict, "~"))
			fail_msg("%s flagged %s on noise alone (p %g)", r.rows[i].name,
				 r.rows[i].verdict, r.rows[i].w.p);
	assert_true(r.nrows >= 15);
	diff__free(&r);
	capture__free(&a);
	capture__free(&b);
}

/* Too few intervals: '?' rather than a verdict. */
static void test_too_few(void **state)
{
	struct plant p = { .kicks = 1000, .rcvbuf = 3000, .tap_builds = 2000, .gets = 50000,
			   .defer_max = "64", .rcvbuf_id = 41 };
	struct capture a, b;
	struct diff_result r;

	(void)state;
	make_capture(&a, &p, 1);
	make_capture(&b, &p, 5);
	assert_int_equal(diff__compare(&a, &b, &r), 0);
	expect(&r, "defer_kicks_sent", "?");
	diff__free(&r);
	capture__free(&a);
	capture__free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_planted),
		cmocka_unit_test(test_noise_only),
		cmocka_unit_test(test_too_few),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
