// SPDX-License-Identifier: GPL-2.0
/* Delta and rate math: wrap, hot-added CPUs, new keys, accumulation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "snapshot.h"

static struct drop_key dkey(__u32 reason, __u64 loc)
{
	struct drop_key k = { .reason = reason, .location = loc };

	return k;
}

static void test_delta_basic(void **state)
{
	struct snapshot a, b, d = {};
	struct drop_key k1 = dkey(6, 0x1000), k2 = dkey(80, 0x2000);

	(void)state;
	assert_int_equal(snapshot__init(&a, 2), 0);
	assert_int_equal(snapshot__init(&b, 2), 0);
	a.mono_ns = 1000000000ULL;
	b.mono_ns = 3000000000ULL;
	a.cpus[0].drops = 10;
	b.cpus[0].drops = 25;
	b.cpus[1].bulk_asked = 64;
	a.kicks[0 * 2 + 1].kicks = 3;
	b.kicks[0 * 2 + 1].kicks = 7;
	assert_int_equal(snapshot__add_drop(&a, &k1, 0, 10), 0);
	assert_int_equal(snapshot__add_drop(&b, &k1, 0, 25), 0);
	assert_int_equal(snapshot__add_drop(&b, &k2, 1, 4), 0);	/* new key */
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.mono_ns, 2000000000ULL);
	assert_int_equal(d.cpus[0].drops, 15);
	assert_int_equal(d.cpus[1].bulk_asked, 64);
	assert_int_equal(d.kicks[1].kicks, 4);
	assert_int_equal(d.ndrops, 2);
	assert_int_equal(d.drops[0].count, 15);
	assert_int_equal(d.drops[1].count, 4);
	assert_int_equal(d.drops[1].key.reason, 80);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
}

/*
 * Rows matched by position when both reads list them in the same order,
 * by key when they do not: shifted rows, a row gone, summed (all-CPU) rows
 * next to per-CPU rows of the same key.
 */
static void test_delta_order(void **state)
{
	struct snapshot a, b, d = {};
	struct drop_key k[4] = { dkey(2, 0), dkey(3, 0), dkey(4, 0x10), dkey(5, 0) };
	__u64 vals_a[2] = { 7, 0 }, vals_b[2] = { 9, 1 };

	(void)state;
	assert_int_equal(snapshot__init(&a, 2), 0);
	assert_int_equal(snapshot__init(&b, 2), 0);
	/* a: k0 k1 k2(cpu1) k3(all); b: k0 k2(cpu1) k3(all) k1 k1(cpu1) */
	assert_int_equal(snapshot__add_drop(&a, &k[0], 0, 100), 0);
	assert_int_equal(snapshot__add_drop(&a, &k[1], 0, 200), 0);
	assert_int_equal(snapshot__add_drop(&a, &k[2], 1, 300), 0);
	assert_int_equal(snapshot__add_percpu_drops(&a, &k[3], vals_a, false), 0);
	assert_int_equal(snapshot__add_drop(&b, &k[0], 0, 110), 0);	/* same position */
	assert_int_equal(snapshot__add_drop(&b, &k[2], 1, 330), 0);	/* moved up */
	assert_int_equal(snapshot__add_percpu_drops(&b, &k[3], vals_b, false), 0);
	assert_int_equal(snapshot__add_drop(&b, &k[1], 0, 240), 0);	/* moved down */
	assert_int_equal(snapshot__add_drop(&b, &k[1], 1, 5), 0);	/* new (key, cpu) */
	assert_int_equal(a.cpus[0].drops, 7);	/* add_percpu_drops feeds CPU totals */
	assert_int_equal(b.cpus[1].drops, 1);
	assert_int_equal(a.drops[3].cpu, SNAPSHOT_ALL_CPUS);
	assert_int_equal(a.drops[3].count, 7);
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ndrops, 5);
	assert_int_equal(d.drops[0].count, 10);
	assert_int_equal(d.drops[1].count, 30);
	assert_int_equal(d.drops[2].count, 3);
	assert_int_equal(d.drops[2].cpu, SNAPSHOT_ALL_CPUS);
	assert_int_equal(d.drops[3].count, 40);
	assert_int_equal(d.drops[4].count, 5);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
	/* per-CPU mode: one row per CPU with a count */
	assert_int_equal(snapshot__init(&a, 2), 0);
	assert_int_equal(snapshot__add_percpu_drops(&a, &k[0], vals_b, true), 0);
	assert_int_equal(a.ndrops, 2);
	assert_int_equal(a.drops[1].cpu, 1);
	assert_int_equal(a.drops[1].count, 1);
	snapshot__free(&a);
}

static void test_delta_wrap(void **state)
{
	struct snapshot a, b, d = {};

	(void)state;
	snapshot__init(&a, 1);
	snapshot__init(&b, 1);
	a.cpus[0].cache_gets = UINT64_MAX - 4;	/* wraps past 2^64 by 6 */
	b.cpus[0].cache_gets = 5;
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.cpus[0].cache_gets, 10);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
}

static void test_delta_hotadd(void **state)
{
	struct snapshot a, b, d = {};

	(void)state;
	snapshot__init(&a, 2);
	snapshot__init(&b, 4);	/* two CPUs came online */
	a.cpus[1].drops = 100;
	b.cpus[1].drops = 130;
	b.cpus[3].drops = 7;
	a.kicks[1 * 2 + 0].ipis = 5;	/* 1 -> 0 */
	b.kicks[1 * 4 + 0].ipis = 9;
	b.kicks[3 * 4 + 2].ipis = 2;	/* 3 -> 2: new */
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ncpus, 4);
	assert_int_equal(d.cpus[1].drops, 30);
	assert_int_equal(d.cpus[3].drops, 7);
	assert_int_equal(d.kicks[1 * 4 + 0].ipis, 4);
	assert_int_equal(d.kicks[3 * 4 + 2].ipis, 2);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
}

static void test_first_delta(void **state)
{
	struct snapshot b, d = {};

	(void)state;
	snapshot__init(&b, 1);
	b.cpus[0].drops = 3;
	b.mono_ns = 5;
	assert_int_equal(snapshot__delta(NULL, &b, &d), 0);
	assert_int_equal(d.cpus[0].drops, 3);
	assert_int_equal(d.mono_ns, 0);
	snapshot__free(&b);
	snapshot__free(&d);
}

static void test_accumulate_and_reasons(void **state)
{
	struct snapshot acc, d1, d2;
	struct drop_key k6 = dkey(6, 1), k80 = dkey(80, 2);
	__u32 reasons[4];
	__u64 counts[4];
	struct cpu_counters total;

	(void)state;
	snapshot__init(&acc, 1);
	snapshot__init(&d1, 1);
	snapshot__init(&d2, 2);
	d1.cpus[0].drops = 5;
	d2.cpus[1].drops = 6;
	d1.mono_ns = d2.mono_ns = 500;
	snapshot__add_drop(&d1, &k6, 0, 5);
	snapshot__add_drop(&d2, &k6, 0, 2);
	snapshot__add_drop(&d2, &k80, 1, 4);
	assert_int_equal(snapshot__accumulate(&acc, &d1), 0);
	assert_int_equal(snapshot__accumulate(&acc, &d2), 0);
	assert_int_equal(acc.ncpus, 2);
	assert_int_equal(acc.mono_ns, 1000);
	snapshot__sum_cpus(&acc, &total);
	assert_int_equal(total.drops, 11);
	assert_int_equal(snapshot__drops_by_reason(&acc, reasons, counts, 4), 2);
	assert_int_equal(reasons[0], 6);
	assert_int_equal(counts[0], 7);
	assert_int_equal(reasons[1], 80);
	assert_int_equal(counts[1], 4);
	snapshot__free(&acc);
	snapshot__free(&d1);
	snapshot__free(&d2);
}

static void test_many_rows(void **state)
{
	struct snapshot a, b, d = {};

	(void)state;
	snapshot__init(&a, 1);
	snapshot__init(&b, 1);
	for (__u32 i = 0; i < 5000; i++) {
		struct drop_key k = dkey(i, i);

		snapshot__add_drop(&a, &k, 0, i);
		snapshot__add_drop(&b, &k, 0, 2 * i);
	}
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ndrops, 4999);	/* key 0 did not move */
	for (size_t i = 0; i < d.ndrops; i++)
		assert_int_equal(d.drops[i].count, d.drops[i].key.reason);
	{
		/* accumulating twice doubles every row, and the new ones appear once */
		struct snapshot acc;
		struct drop_key extra = dkey(99999, 1);
		__u64 sum = 0;

		snapshot__init(&acc, 1);
		assert_int_equal(snapshot__accumulate(&acc, &d), 0);
		assert_int_equal(snapshot__add_drop(&d, &extra, 0, 5), 0);
		assert_int_equal(snapshot__accumulate(&acc, &d), 0);
		assert_int_equal(acc.ndrops, 5000);
		for (size_t i = 0; i < acc.ndrops; i++)
			sum += acc.drops[i].count;
		assert_int_equal(sum, 2ULL * (4999ULL * 5000 / 2) + 5);
		snapshot__free(&acc);
	}
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delta_basic),
		cmocka_unit_test(test_delta_order),
		cmocka_unit_test(test_delta_wrap),
		cmocka_unit_test(test_delta_hotadd),
		cmocka_unit_test(test_first_delta),
		cmocka_unit_test(test_accumulate_and_reasons),
		cmocka_unit_test(test_many_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
