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
	assert_int_equal(snapshot__add_drop(&a, &k1, 10), 0);
	assert_int_equal(snapshot__add_drop(&b, &k1, 25), 0);
	assert_int_equal(snapshot__add_drop(&b, &k2, 4), 0);	/* new key */
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
 * by key when they do not: shifted rows, a row gone, a new row, and a row
 * summed from per-CPU values.
 */
static void test_delta_order(void **state)
{
	struct snapshot a, b, d = {};
	struct drop_key k[5] = { dkey(2, 0), dkey(3, 0), dkey(4, 0x10), dkey(5, 0), dkey(6, 0) };
	__u64 vals_a[2] = { 7, 0 }, vals_b[2] = { 9, 1 };

	(void)state;
	assert_int_equal(snapshot__init(&a, 2), 0);
	assert_int_equal(snapshot__init(&b, 2), 0);
	/* a: k0 k1 k2 k3; b: k0 k2 k3 k1 k4 */
	assert_int_equal(snapshot__add_drop(&a, &k[0], 100), 0);
	assert_int_equal(snapshot__add_drop(&a, &k[1], 200), 0);
	assert_int_equal(snapshot__add_drop(&a, &k[2], 300), 0);
	assert_int_equal(snapshot__add_percpu_drops(&a, &k[3], vals_a, false), 0);
	assert_int_equal(snapshot__add_drop(&b, &k[0], 110), 0);	/* same position */
	assert_int_equal(snapshot__add_drop(&b, &k[2], 330), 0);	/* moved up */
	assert_int_equal(snapshot__add_percpu_drops(&b, &k[3], vals_b, false), 0);
	assert_int_equal(snapshot__add_drop(&b, &k[1], 245), 0);	/* moved down */
	assert_int_equal(snapshot__add_drop(&b, &k[4], 5), 0);	/* new key */
	assert_int_equal(a.cpus[0].drops, 7);	/* add_percpu_drops feeds CPU totals */
	assert_int_equal(b.cpus[1].drops, 1);
	assert_int_equal(a.drops[3].count, 7);	/* one row, summed over CPUs */
	assert_int_equal(a.ncpu_drop_reasons, 0);	/* per_cpu false: no per-CPU rows */
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ndrops, 5);
	assert_int_equal(d.drops[0].count, 10);
	assert_int_equal(d.drops[1].count, 30);
	assert_int_equal(d.drops[2].count, 3);
	assert_int_equal(d.drops[3].count, 45);
	assert_int_equal(d.drops[4].count, 5);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
}

/*
 * Per-CPU drops by reason: the keys of one reason (-L: one per location)
 * add into one row of ncpus counts, while the drop rows stay one per key;
 * deltas match reasons in any order and leave out reasons with no drops;
 * accumulate and copy keep them, also when CPUs are added.
 */
static void test_cpu_drops(void **state)
{
	struct snapshot a, b, d = {}, acc = {}, c = {};
	struct drop_key k2a = dkey(2, 0xa), k2b = dkey(2, 0xb), k3 = dkey(3, 0xc), k4 = dkey(4, 0);
	__u64 v2a[2] = { 5, 1 }, v2b[2] = { 0, 7 }, v3[2] = { 4, 0 };
	__u64 w2a[2] = { 6, 1 }, w2b[2] = { 2, 7 }, w3[2] = { 4, 0 }, w4[2] = { 0, 9 };

	(void)state;
	assert_int_equal(snapshot__init(&a, 2), 0);
	assert_int_equal(snapshot__init(&b, 2), 0);
	assert_int_equal(snapshot__add_percpu_drops(&a, &k2a, v2a, true), 0);
	assert_int_equal(snapshot__add_percpu_drops(&a, &k3, v3, true), 0);
	assert_int_equal(snapshot__add_percpu_drops(&a, &k2b, v2b, true), 0);
	assert_int_equal(a.ndrops, 3);
	assert_int_equal(a.ncpu_drop_reasons, 2);
	assert_int_equal(a.cpu_drop_reasons[0], 2);
	assert_int_equal(snapshot__cpu_drops(&a, 0)[0], 5);
	assert_int_equal(snapshot__cpu_drops(&a, 0)[1], 8);
	assert_int_equal(snapshot__cpu_drops(&a, 1)[0], 4);
	assert_int_equal(a.cpus[1].drops, 8);
	/* b: a new reason first, reason 3 unchanged, reason 2's keys grown */
	assert_int_equal(snapshot__add_percpu_drops(&b, &k4, w4, true), 0);
	assert_int_equal(snapshot__add_percpu_drops(&b, &k3, w3, true), 0);
	assert_int_equal(snapshot__add_percpu_drops(&b, &k2b, w2b, true), 0);
	assert_int_equal(snapshot__add_percpu_drops(&b, &k2a, w2a, true), 0);
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ncpu_drop_reasons, 2);	/* reason 3 had no drops */
	assert_int_equal(d.cpu_drop_reasons[0], 4);
	assert_int_equal(snapshot__cpu_drops(&d, 0)[0], 0);
	assert_int_equal(snapshot__cpu_drops(&d, 0)[1], 9);
	assert_int_equal(d.cpu_drop_reasons[1], 2);
	assert_int_equal(snapshot__cpu_drops(&d, 1)[0], 3);	/* 1 on k2a, 2 on k2b */
	assert_int_equal(snapshot__cpu_drops(&d, 1)[1], 0);
	assert_int_equal(d.ndrops, 3);	/* k4 9, k2b 2, k2a 1 */
	/* accumulate into a one-CPU total: its rows widen to two CPUs */
	assert_int_equal(snapshot__init(&acc, 1), 0);
	assert_int_equal(snapshot__add_cpu_drop(&acc, 4, 0, 100), 0);
	assert_int_equal(snapshot__accumulate(&acc, &d), 0);
	assert_int_equal(acc.ncpus, 2);
	assert_int_equal(acc.ncpu_drop_reasons, 2);
	assert_int_equal(snapshot__cpu_drops(&acc, 0)[0], 100);
	assert_int_equal(snapshot__cpu_drops(&acc, 0)[1], 9);
	assert_int_equal(snapshot__cpu_drops(&acc, 1)[0], 3);
	assert_int_equal(snapshot__copy(&c, &acc), 0);
	assert_int_equal(c.ncpu_drop_reasons, 2);
	assert_int_equal(snapshot__cpu_drops(&c, 1)[0], 3);
	assert_int_equal(snapshot__cpu_drops(&c, 0)[1], 9);
	/* a CPU out of range adds the reason but no count */
	assert_int_equal(snapshot__add_cpu_drop(&c, 7, 2, 1), 0);
	assert_int_equal(c.ncpu_drop_reasons, 3);
	assert_int_equal(snapshot__cpu_drops(&c, 2)[0] + snapshot__cpu_drops(&c, 2)[1], 0);
	/* reset keeps the storage and empties the rows */
	assert_int_equal(snapshot__reset(&c, 2), 0);
	assert_int_equal(c.ncpu_drop_reasons, 0);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
	snapshot__free(&acc);
	snapshot__free(&c);
}

/*
 * Thousands of reasons in any order (the index), rows of no drops removed
 * from a delta while later reasons still resolve, reset keeping storage,
 * reset to another CPU count, and a delta from a snapshot with fewer CPUs.
 */
static void test_cpu_drops_many(void **state)
{
	struct snapshot a, b, d = {};
	__u32 *kept;
	size_t n = 3000;

	(void)state;
	assert_int_equal(snapshot__init(&a, 4), 0);
	assert_int_equal(snapshot__init(&b, 4), 0);
	for (size_t i = 0; i < n; i++) {
		__u32 r = (__u32)((i * 7919) % n) << 8;	/* scattered ids, colliding low bits */

		assert_int_equal(snapshot__add_cpu_drop(&a, r, i % 4, i + 1), 0);
		/* b: the reverse order; every third reason unchanged */
		r = (__u32)(((n - 1 - i) * 7919) % n) << 8;
		assert_int_equal(snapshot__add_cpu_drop(&b, r, (n - 1 - i) % 4,
							(n - i) + ((n - 1 - i) % 3 ? 5 : 0)), 0);
	}
	assert_int_equal(a.ncpu_drop_reasons, n);
	for (size_t i = 0; i < n; i++)	/* adding again finds the row: no new one */
		assert_int_equal(snapshot__add_cpu_drop(&a, a.cpu_drop_reasons[i], 0, 0), 0);
	assert_int_equal(a.ncpu_drop_reasons, n);
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ncpu_drop_reasons, n - n / 3);
	for (size_t i = 0; i < d.ncpu_drop_reasons; i++) {
		__u64 sum = 0;

		for (int c = 0; c < 4; c++)
			sum += snapshot__cpu_drops(&d, i)[c];
		assert_int_equal(sum, 5);
	}
	/* the delta's index survived the removals: adding finds every row */
	for (size_t i = 0; i < d.ncpu_drop_reasons; i++)
		assert_int_equal(snapshot__add_cpu_drop(&d, d.cpu_drop_reasons[i], 1, 1), 0);
	assert_int_equal(d.ncpu_drop_reasons, n - n / 3);
	/* reset keeps the storage; another CPU count starts the rows afresh */
	kept = a.cpu_drop_reasons;
	assert_int_equal(snapshot__reset(&a, 4), 0);
	assert_ptr_equal(a.cpu_drop_reasons, kept);
	assert_int_equal(a.ncpu_drop_reasons, 0);
	assert_int_equal(snapshot__add_cpu_drop(&a, 77, 3, 9), 0);
	assert_int_equal(a.ncpu_drop_reasons, 1);
	assert_int_equal(snapshot__reset(&a, 2), 0);
	assert_int_equal(a.ncpu_drop_reasons, 0);
	assert_int_equal(snapshot__add_cpu_drop(&a, 77, 1, 4), 0);
	assert_int_equal(snapshot__cpu_drops(&a, 0)[1], 4);
	/* a delta from 2 CPUs to 4: the new CPUs count from zero */
	assert_int_equal(snapshot__reset(&b, 4), 0);
	assert_int_equal(snapshot__add_cpu_drop(&b, 77, 1, 10), 0);
	assert_int_equal(snapshot__add_cpu_drop(&b, 77, 3, 6), 0);
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.ncpu_drop_reasons, 1);
	assert_int_equal(snapshot__cpu_drops(&d, 0)[1], 6);
	assert_int_equal(snapshot__cpu_drops(&d, 0)[3], 6);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
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

/*
 * A gauge (the NAPI cache level) is a level: a delta holds the later read's
 * level (never a difference, which would wrap below 0 when it falls), a sum
 * of deltas the latest, the total over CPUs their sum.
 */
static void test_gauge(void **state)
{
	struct snapshot a, b, d = {}, acc;
	struct cpu_counters total;

	(void)state;
	snapshot__init(&a, 2);
	snapshot__init(&b, 2);
	snapshot__init(&acc, 2);
	a.cpus[0].cache_level = 40;
	a.cpus[1].cache_level = 3;
	a.cpus[0].cache_gets = 100;
	b.cpus[0].cache_level = 7;	/* fell */
	b.cpus[1].cache_level = 60;	/* rose */
	b.cpus[0].cache_gets = 150;
	assert_int_equal(snapshot__delta(&a, &b, &d), 0);
	assert_int_equal(d.cpus[0].cache_level, 7);
	assert_int_equal(d.cpus[1].cache_level, 60);
	assert_int_equal(d.cpus[0].cache_gets, 50);	/* counters still subtract */
	snapshot__sum_cpus(&d, &total);
	assert_int_equal(total.cache_level, 67);
	assert_int_equal(snapshot__accumulate(&acc, &d), 0);
	d.cpus[0].cache_level = 9;
	assert_int_equal(snapshot__accumulate(&acc, &d), 0);
	assert_int_equal(acc.cpus[0].cache_level, 9);
	assert_int_equal(acc.cpus[1].cache_level, 60);
	assert_int_equal(acc.cpus[0].cache_gets, 100);
	assert_int_equal(snapshot__delta(NULL, &b, &d), 0);	/* the first read */
	assert_int_equal(d.cpus[1].cache_level, 60);
	snapshot__free(&a);
	snapshot__free(&b);
	snapshot__free(&d);
	snapshot__free(&acc);
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
	snapshot__add_drop(&d1, &k6, 5);
	snapshot__add_drop(&d2, &k6, 2);
	snapshot__add_drop(&d2, &k80, 4);
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

/* softirq_where's task rows: delta by (task, CPU), rows without runs dropped, top by runs. */
static void test_sirq_tasks(void **state)
{
	struct sirq_task_key a = { .pid = 10, .tgid = 10, .comm = "vhost-10" };
	struct sirq_task_key b = { .pid = 20, .tgid = 20, .comm = "udp" };
	struct sirq_task_counters c;
	struct snapshot prev = {}, cur = {}, d = {}, acc = {};
	const struct sirq_task_row *top[2];

	(void)state;
	assert_int_equal(snapshot__init(&prev, 2), 0);
	assert_int_equal(snapshot__init(&cur, 2), 0);
	assert_int_equal(snapshot__init(&acc, 2), 0);
	c = (struct sirq_task_counters){ .runs = { 5, 0 }, .ns = { 50, 0 } };
	assert_int_equal(snapshot__add_task(&prev, &a, 0, &c), 0);
	assert_int_equal(snapshot__add_task(&prev, &b, 1, &c), 0);
	/* cur: a moved on (same CPU, 7 more), b idle, a new row of a on CPU 1 */
	c = (struct sirq_task_counters){ .runs = { 12, 1 }, .ns = { 130, 9 } };
	assert_int_equal(snapshot__add_task(&cur, &a, 0, &c), 0);
	c = (struct sirq_task_counters){ .runs = { 5, 0 }, .ns = { 50, 0 } };
	assert_int_equal(snapshot__add_task(&cur, &b, 1, &c), 0);
	c = (struct sirq_task_counters){ .runs = { 9, 0 }, .ns = { 90, 0 } };
	assert_int_equal(snapshot__add_task(&cur, &a, 1, &c), 0);
	assert_int_equal(snapshot__delta(&prev, &cur, &d), 0);
	assert_int_equal(d.ntasks, 2);	/* b had no runs in the interval: no row */
	assert_int_equal(snapshot__top_tasks(&d, top, 2), 2);
	assert_int_equal(top[0]->cpu, 1);	/* 9 runs before 7 + 1 */
	assert_int_equal(top[0]->c.runs[SIRQ_NET_RX], 9);
	assert_int_equal(top[1]->cpu, 0);
	assert_int_equal(top[1]->c.runs[SIRQ_NET_RX], 7);
	assert_int_equal(top[1]->c.runs[SIRQ_NET_TX], 1);
	assert_int_equal(top[1]->c.ns[SIRQ_NET_RX], 80);
	assert_int_equal(snapshot__top_tasks(&d, top, 1), 1);
	assert_int_equal(top[0]->c.runs[SIRQ_NET_RX], 9);
	assert_int_equal(snapshot__accumulate(&acc, &d), 0);
	assert_int_equal(snapshot__accumulate(&acc, &d), 0);
	assert_int_equal(acc.ntasks, 2);
	assert_int_equal(acc.tasks[0].c.runs[SIRQ_NET_RX] + acc.tasks[1].c.runs[SIRQ_NET_RX], 32);
	snapshot__free(&prev);
	snapshot__free(&cur);
	snapshot__free(&d);
	snapshot__free(&acc);
}

static void test_many_rows(void **state)
{
	struct snapshot a, b, d = {};

	(void)state;
	snapshot__init(&a, 1);
	snapshot__init(&b, 1);
	for (__u32 i = 0; i < 5000; i++) {
		struct drop_key k = dkey(i, i);

		snapshot__add_drop(&a, &k, i);
		snapshot__add_drop(&b, &k, 2 * i);
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
		assert_int_equal(snapshot__add_drop(&d, &extra, 5), 0);
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
		cmocka_unit_test(test_cpu_drops),
		cmocka_unit_test(test_cpu_drops_many),
		cmocka_unit_test(test_delta_wrap),
		cmocka_unit_test(test_delta_hotadd),
		cmocka_unit_test(test_first_delta),
		cmocka_unit_test(test_accumulate_and_reasons),
		cmocka_unit_test(test_gauge),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_sirq_tasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
