// SPDX-License-Identifier: GPL-2.0
/*
 * The screen's drop and queue tables from synthetic snapshots: reasons from
 * the drop rows (summed over CPUs), from the per-CPU counts by reason under
 * a cpu: filter, the CPU drill-down, and each queue's top drop reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "tui.h"
#include "fake_names.h"


static const struct view_ctx ctx = { .reason_name = rname, .location_name = lname };

/* n drops of (reason, loc, device queue) on cpu, kept as the collector keeps them */
static void drop(struct snapshot *s, __u32 reason, __u64 loc, const char *dev, __u16 q,
		 __u32 cpu, __u64 n)
{
	struct drop_key k = { .reason = reason, .location = loc, .queue = q };

	if (dev) {
		k.ifindex = 7;
		k.dir = QUEUE_TX;
		strcpy(k.ifname, dev);
	}
	assert_int_equal(snapshot__merge_drop(s, &k, n), 0);
	assert_int_equal(snapshot__add_cpu_drop(s, reason, cpu, n), 0);
	s->cpus[cpu].drops += n;
}

/* the count column of the row whose id is id; -1 if none */
static double count_of(const struct tui_table *t, __u64 id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].id == id)
			return t->rows[i].key[1];
	return -1;
}

static int col_of(const struct tui_table *t, const char *head)
{
	for (int c = 0; c < t->ncols; c++)
		if (strstr(t->cols[c].head, head))
			return c;
	fail_msg("no column %s", head);
	return -1;
}

/*
 * Reason 2: 10 on CPU 0 at two locations (tap0 queue 1), 5 on CPU 1;
 * reason 6: 20 on CPU 1 (tap0 queue 1), 3 on CPU 2 (tap0 queue 0).
 */
static void fill(struct snapshot *s)
{
	assert_int_equal(snapshot__init(s, 3), 0);
	s->mono_ns = 1000000000ULL;
	drop(s, 2, 0x10, "tap0", 1, 0, 6);
	drop(s, 2, 0x20, "tap0", 1, 0, 4);
	drop(s, 2, 0x10, NULL, 0, 1, 5);
	drop(s, 6, 0x30, "tap0", 1, 1, 20);
	drop(s, 6, 0x40, "tap0", 0, 2, 3);
}

static void test_drops_tables(void **state)
{
	struct snapshot s;
	struct tui_filter f = {};
	struct tui_data d = { .ctx = &ctx };
	struct tui_table t = {};
	char err[64];

	(void)state;
	fill(&s);
	d.delta = d.total = &s;
	assert_int_equal(tui_build_drops(&t, &d), 0);
	assert_int_equal(t.n, 2);
	assert_true(count_of(&t, 2) == 15);
	assert_true(count_of(&t, 6) == 23);
	assert_non_null(strstr(t.rows[0].cell[col_of(&t, "TOP")], "fn+0x10"));

	/* cpu:1 from the per-CPU counts by reason */
	assert_int_equal(tui_filter__parse(&f, "cpu:1", err, sizeof(err)), 0);
	d.filter = &f;
	assert_false(tui_drops_cpu_filter_ignored(&d, false));
	assert_true(tui_drops_cpu_filter_ignored(&d, true));	/* the drill's locations */
	assert_int_equal(tui_build_drops(&t, &d), 0);
	assert_true(count_of(&t, 2) == 5);
	assert_true(count_of(&t, 6) == 20);
	assert_int_equal(tui_filter__parse(&f, "cpu:0,2", err, sizeof(err)), 0);
	assert_int_equal(tui_build_drops(&t, &d), 0);
	assert_true(count_of(&t, 2) == 10);
	assert_true(count_of(&t, 6) == 3);

	/* cpu: with dev: the rows have devices but no CPU: the cpu part is not applied */
	assert_int_equal(tui_filter__parse(&f, "cpu:1 dev:tap0", err, sizeof(err)), 0);
	assert_true(tui_drops_cpu_filter_ignored(&d, false));
	assert_int_equal(tui_build_drops(&t, &d), 0);
	assert_true(count_of(&t, 2) == 10);
	assert_true(count_of(&t, 6) == 23);

	/* the drill-down: by CPU under the filter, by location over all CPUs */
	assert_int_equal(tui_filter__parse(&f, "cpu:0-1", err, sizeof(err)), 0);
	assert_int_equal(tui_build_drop_cpus(&t, &d, 2), 0);
	assert_int_equal(t.n, 2);
	assert_true(count_of(&t, 0) == 10);
	assert_true(count_of(&t, 1) == 5);
	assert_int_equal(tui_build_drop_cpus(&t, &d, 6), 0);
	assert_int_equal(t.n, 1);
	assert_true(count_of(&t, 1) == 20);
	assert_int_equal(tui_build_drop_locations(&t, &d, 2), 0);
	assert_int_equal(t.n, 2);
	assert_true(count_of(&t, 0x10) == 11);
	assert_true(count_of(&t, 0x20) == 4);
	/* dev: the locations are tap0's; the CPU table has no device: all devices */
	assert_int_equal(tui_filter__parse(&f, "dev:tap0", err, sizeof(err)), 0);
	assert_int_equal(tui_build_drop_locations(&t, &d, 2), 0);
	assert_int_equal(t.n, 2);
	assert_true(count_of(&t, 0x10) == 6);
	assert_true(count_of(&t, 0x20) == 4);
	assert_int_equal(tui_build_drop_cpus(&t, &d, 2), 0);
	assert_true(count_of(&t, 0) == 10);
	assert_true(count_of(&t, 1) == 5);
	tui_table__free(&t);
	snapshot__free(&s);
}

/* Each queue's top drop reason; the delta lists the queues in another order. */
static void test_queue_top_reason(void **state)
{
	struct snapshot s, delta;
	struct queue_key q0 = { .ifindex = 7, .queue = 0, .dir = QUEUE_TX, .ifname = "tap0" };
	struct queue_key q1 = { .ifindex = 7, .queue = 1, .dir = QUEUE_TX, .ifname = "tap0" };
	struct queue_key q2 = { .ifindex = 7, .queue = 2, .dir = QUEUE_TX, .ifname = "tap0" };
	struct queue_counters c0 = { .drops = 3 }, c1 = { .drops = 30 }, c2 = { .consumes = 1 };
	struct tui_data d = { .ctx = &ctx, .totals = true };
	struct tui_table t = {};
	int top, drops;

	(void)state;
	fill(&s);
	assert_int_equal(snapshot__add_queue(&s, &q0, &c0), 0);
	assert_int_equal(snapshot__add_queue(&s, &q1, &c1), 0);
	assert_int_equal(snapshot__add_queue(&s, &q2, &c2), 0);
	assert_int_equal(snapshot__init(&delta, 3), 0);
	delta.mono_ns = 1000000000ULL;
	assert_int_equal(snapshot__add_queue(&delta, &q1, &c1), 0);
	assert_int_equal(snapshot__add_queue(&delta, &q0, &c0), 0);
	d.delta = &delta;
	d.total = &s;
	assert_int_equal(tui_build_queues(&t, &d), 0);
	assert_int_equal(t.n, 3);
	top = col_of(&t, "TOP DROP REASON");
	drops = col_of(&t, "drops");
	assert_string_equal(t.rows[0].cell[top], "  R6 (3)");	/* queue 0 */
	assert_true(t.rows[0].key[drops] == 3);
	assert_string_equal(t.rows[1].cell[top], "  R6 (20)");	/* queue 1: R6 20 over R2 10 */
	assert_true(t.rows[1].key[drops] == 30);
	assert_string_equal(t.rows[2].cell[top], "");		/* queue 2: no drops */
	tui_table__free(&t);
	snapshot__free(&s);
	snapshot__free(&delta);
}

/* Counts and rates: exact up to 5 digits, then 3 significant digits, the same units. */
static void test_fmt(void **state)
{
	static const struct { double v; const char *count, *rate; } cases[] = {
		{ 0, "0", "0" },		{ 0.26, "0", "0.3" },
		{ 7, "7", "7.0" },		{ 42, "42", "42" },
		{ 999, "999", "999" },		{ 9998, "9998", "9998" },
		{ 99999, "99999", "99999" },	{ 99999.6, "100k", "100k" },
		{ 123456, "123k", "123k" },	{ 456789, "457k", "457k" },
		{ 999499, "999k", "999k" },	{ 999500, "1.00M", "1.00M" },
		{ 1.5e6, "1.50M", "1.50M" },	{ 2.5e9, "2.50G", "2.50G" },
		{ 3e12, "3.00T", "3.00T" },	{ NAN, "-", "-" },
	};
	char buf[16];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tui_fmt_count(buf, sizeof(buf), cases[i].v);
		assert_string_equal(buf, cases[i].count);
		tui_fmt_rate(buf, sizeof(buf), cases[i].v);
		assert_string_equal(buf, cases[i].rate);
		assert_true(strlen(buf) <= 5);
	}
}

/* The history ring: rates per second, oldest first in the sparkline, scaled to the window. */
static void test_history(void **state)
{
	struct tui_history h;
	struct snapshot d;
	struct view_ctx c = ctx;	/* no probe table: every series measured */
	char spark[TUI_HIST + 1];

	(void)state;
	tui_history__init(&h, &c);
	assert_int_equal(snapshot__init(&d, 2), 0);
	d.mono_ns = 500000000ULL;	/* 0.5 s intervals */
	for (int i = 0; i < 7; i++) {
		d.cpus[0].drops = i;	/* 0, 2, 4, ... 12 per second */
		d.cpus[1].drops = i;
		d.cpus[0].cache_gets = 4;
		d.cpus[0].cache_hits = i < 4 ? 4 : 3;
		tui_history__push(&h, &d);
	}
	assert_true(tui_history__get(&h, TH_DROPS, 0) == 24.0);	/* 12 drops / 0.5 s */
	assert_true(tui_history__get(&h, TH_DROPS, 6) == 0.0);
	assert_true(isnan(tui_history__get(&h, TH_DROPS, 7)));
	assert_true(tui_history__get(&h, TH_HIT, 0) == 75.0);
	tui_history__spark(&h, TH_DROPS, 10, spark);
	assert_string_equal(spark, "    :-=+*#");	/* 0, 4 .. 24: blank, then by sevenths */
	tui_history__spark(&h, TH_HIT, 5, spark);	/* 100, 100, 75, 75, 75 */
	assert_string_equal(spark, "##***");
	/* the ring wraps: only the last TUI_HIST intervals are kept */
	for (int i = 0; i < TUI_HIST + 5; i++)
		tui_history__push(&h, &d);
	assert_int_equal(h.n, TUI_HIST);
	assert_true(tui_history__get(&h, TH_DROPS, TUI_HIST - 1) == 24.0);
	snapshot__free(&d);
}

/* Enter on a row: one CPU's or one queue's history, and its bar graph. */
static void test_row_history(void **state)
{
	struct tui_history h, q;
	struct snapshot d;
	struct view_ctx c = ctx;	/* no probe table: every series measured */
	struct queue_key k = { .ifindex = 7, .queue = 1, .dir = QUEUE_TX };
	struct queue_counters qc = {};
	char buf[3][6], *rows[3] = { buf[0], buf[1], buf[2] };

	(void)state;
	tui_history__init_cpu(&h, &c, 1);
	tui_history__init_queue(&q, &c, &k);
	assert_int_equal(q.nseries, TH_MAX);
	for (int i = 0; i < q.nseries; i++)	/* count fields, most wanted first */
		assert_int_equal(q.f[i]->kind, FIELD_COUNT);
	assert_int_equal(snapshot__init(&d, 2), 0);
	d.mono_ns = 1000000000ULL;
	for (int i = 0; i < 4; i++) {
		d.cpus[0].drops = 100;	/* another CPU: not in CPU 1's history */
		d.cpus[1].drops = i;	/* 0, 1, 2, 3 per second */
		if (i == 2) {		/* the queue has a row in one interval only */
			qc.drops = 6;
			qc.consumes = 9;
			strcpy(k.ifname, "tap0");
			assert_int_equal(snapshot__add_queue(&d, &k, &qc), 0);
		}
		tui_history__push(&h, &d);
		tui_history__push(&q, &d);
		assert_int_equal(snapshot__reset(&d, 2), 0);
		d.mono_ns = 1000000000ULL;
	}
	assert_true(tui_history__get(&h, TH_DROPS, 0) == 3.0);
	assert_true(tui_history__get(&h, TH_DROPS, 3) == 0.0);
	for (int i = 0; i < q.nseries; i++) {
		double want = !strcmp(q.f[i]->name, "drops") ? 6.0 :
			      !strcmp(q.f[i]->name, "consumes") ? 9.0 : 0.0;

		assert_true(tui_history__get(&q, i, 1) == want);
		assert_true(tui_history__get(&q, i, 0) == 0.0);	/* no row: no events */
		assert_true(tui_history__get(&q, i, 2) == 0.0);
	}
	/* CPU 1's drops 0, 1, 2, 3 in 3 rows: bars of 0, 1, 2 and 3 rows */
	assert_true(tui_history__graph(&h, TH_DROPS, 5, 3, rows) == 3.0);
	assert_string_equal(buf[0], "    #");
	assert_string_equal(buf[1], "   ##");
	assert_string_equal(buf[2], "  ###");
	snapshot__free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_row_history),
		cmocka_unit_test(test_drops_tables),
		cmocka_unit_test(test_queue_top_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
