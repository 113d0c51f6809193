// SPDX-License-Identifier: GPL-2.0
/*
 * -L cells merged with the drop hash: a key owning cells on some CPUs and
 * hash entries on others gives one summed row, each (key, CPU) count lands
 * once in its reason's per-CPU counts, and the per-CPU drop totals add up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "dropcells.h"

#define NCPUS 3

static struct drop_key key(__u32 reason, __u64 loc, const char *dev)
{
	struct drop_key k = { .reason = reason, .location = loc, .ifindex = dev ? 4 : 0 };

	if (dev)
		strcpy(k.ifname, dev);
	return k;
}

static void cell(struct drop_cell *c, struct drop_key k, __u64 count)
{
	memset(c, 0, sizeof(*c));
	c->key = k;
	c->count = count;
	c->taken = 1;
}

static const struct drop_key *A, *B, *C, *D;
static struct drop_key ka, kb, kc, kd;

/* Two cell indexes of three CPUs each, then the hash rows of B and D. */
static void fill(struct drop_cells *dc, struct snapshot *s, bool per_cpu)
{
	struct drop_cell idx0[NCPUS], idx1[NCPUS];
	/* B on CPU 1 in its cell and in the hash too (two devices, one key) */
	__u64 hash_b[NCPUS] = { 2, 1, 9 }, hash_d[NCPUS] = { 0, 1, 0 };

	cell(&idx0[0], ka, 5);
	cell(&idx0[1], kb, 7);
	memset(&idx0[2], 0, sizeof(idx0[2]));		/* not taken */
	cell(&idx1[0], kc, 3);
	cell(&idx1[1], ka, 0);				/* taken, nothing counted yet */
	cell(&idx1[2], ka, 4);
	idx1[2].key.pad = 0xff;				/* garbage the reader clears */
	idx1[2].key.ifname[SKBTOP_IFNAMSIZ - 1] = 'x';
	drop_cells__add(dc, idx0, sizeof(idx0[0]));
	drop_cells__add(dc, idx1, sizeof(idx1[0]));
	drop_cells__sort(dc);
	assert_int_equal(drop_cells__hash_row(dc, s, B, hash_b, per_cpu), 0);
	assert_int_equal(drop_cells__hash_row(dc, s, D, hash_d, per_cpu), 0);
	assert_int_equal(drop_cells__rest(dc, s, per_cpu), 0);
	assert_int_equal(dc->ncells, 0);
}

static __u64 count_of(const struct snapshot *s, const struct drop_key *k, int *rows)
{
	__u64 n = 0;

	*rows = 0;
	for (size_t i = 0; i < s->ndrops; i++)
		if (!memcmp(&s->drops[i].key, k, sizeof(*k))) {
			n += s->drops[i].count;
			(*rows)++;
		}
	return n;
}

/* key's drops, summed over CPUs, in exactly one row */
static void expect(const struct snapshot *s, const struct drop_key *k, __u64 want)
{
	int rows;

	assert_int_equal(count_of(s, k, &rows), want);
	assert_int_equal(rows, want ? 1 : 0);
}

/* reason's drops on cpu, from the per-CPU counts by reason */
static void expect_cpu(const struct snapshot *s, __u32 reason, __u32 cpu, __u64 want)
{
	for (size_t i = 0; i < s->ncpu_drop_reasons; i++)
		if (s->cpu_drop_reasons[i] == reason) {
			assert_int_equal(snapshot__cpu_drops(s, i)[cpu], want);
			return;
		}
	assert_int_equal(0, want);
}

/* The cells and the snapshot a read fills, and the four keys. */
struct fixture {
	struct drop_cells dc;
	struct snapshot s;
};

static int setup(void **state)
{
	static struct fixture f;

	ka = key(6, 0x1000, NULL);
	kb = key(6, 0x2000, "tap0");
	kc = key(2, 0x1000, NULL);
	kd = key(77, 0x3000, "veth1");
	A = &ka, B = &kb, C = &kc, D = &kd;
	if (drop_cells__init(&f.dc, NCPUS) || snapshot__init(&f.s, NCPUS))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	snapshot__free(&f->s);
	drop_cells__free(&f->dc);
	return 0;
}

static void test_per_cpu(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = &f->s;

	fill(&f->dc, s, true);
	assert_int_equal(s->ndrops, 4);
	expect(s, A, 9);
	expect(s, B, 19);
	expect(s, C, 3);
	expect(s, D, 1);
	assert_int_equal(s->ncpu_drop_reasons, 3);
	expect_cpu(s, 6, 0, 5 + 2);	/* A and B */
	expect_cpu(s, 6, 1, 0 + 8);
	expect_cpu(s, 6, 2, 4 + 9);
	expect_cpu(s, 2, 0, 3);
	expect_cpu(s, 2, 1, 0);
	expect_cpu(s, 77, 1, 1);
	assert_int_equal(s->cpus[0].drops, 10);
	assert_int_equal(s->cpus[1].drops, 9);
	assert_int_equal(s->cpus[2].drops, 13);
}

static void test_summed_and_reuse(void **state)
{
	struct fixture *f = *state;
	struct snapshot *s = &f->s;

	for (int read = 0; read < 2; read++) {	/* the second read reuses the cells */
		assert_int_equal(snapshot__reset(s, NCPUS), 0);
		fill(&f->dc, s, false);
		assert_int_equal(s->ndrops, 4);
		expect(s, A, 9);
		expect(s, B, 19);
		expect(s, C, 3);
		expect(s, D, 1);
		assert_int_equal(s->ncpu_drop_reasons, 0);
		assert_int_equal(s->cpus[0].drops + s->cpus[1].drops + s->cpus[2].drops, 32);
	}
}

/* More owned cells than the array can hold are ignored, not written past it. */
static void test_capacity(void **state)
{
	struct drop_cells dc;
	struct drop_cell cells[2];

	(void)state;
	assert_int_equal(drop_cells__init(&dc, 2), 0);
	cell(&cells[0], key(1, 1, NULL), 1);
	cell(&cells[1], key(1, 2, NULL), 1);
	for (int i = 0; i < SKBTOP_DROP_CELLS + 5; i++)
		drop_cells__add(&dc, cells, sizeof(cells[0]));
	assert_int_equal(dc.ncells, (size_t)SKBTOP_DROP_CELLS * 2);
	drop_cells__free(&dc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_per_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summed_and_reuse, setup, teardown),
		cmocka_unit_test(test_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
