// SPDX-License-Identifier: GPL-2.0
/*
 * The sampler (cli/sampler.c) over a synthetic read: deltas, totals (from
 * the first read, or with its counts), zero, the deadline grid, -d ending
 * the last interval early, the stop flag, and what a mode does between
 * ticks. The collector (cli/collect.c) over a synthetic source: every map
 * read in its place, per-CPU values summed, rows merged, absent maps skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "sampler.h"
#include "collect.h"

#define MS	1000000ULL

/* ---- a synthetic read: read n has drops 10 n on CPU 0, a drop row 5 n, a queue 7 n ---- */

struct fake {
	__u64 n;		/* reads so far */
	__u64 sleep_ns;		/* each read takes this long */
	int fail_at;		/* the read with this number fails (0: none) */
};

static int fake_read(void *arg, struct snapshot *s)
{
	struct fake *f = arg;
	struct drop_key k = { .reason = 2 };
	struct queue_key q = { .ifindex = 9, .queue = 1, .dir = 1, .ifname = "tap0" };
	struct queue_counters qc = {};
	int err;

	if (f->sleep_ns) {
		struct timespec ts = { f->sleep_ns / 1000000000ULL, f->sleep_ns % 1000000000ULL };

		nanosleep(&ts, NULL);
	}
	if (f->fail_at && (int)f->n + 1 == f->fail_at)
		return -EIO;
	f->n++;
	err = snapshot__reset(s, 2);
	if (err)
		return err;
	s->mono_ns = now_ns(CLOCK_MONOTONIC);
	s->cpus[0].drops = 10 * f->n;
	qc.consumes = 7 * f->n;
	err = snapshot__add_drop(s, &k, 5 * f->n) ?: snapshot__add_queue(s, &q, &qc);
	if (err)
		snapshot__free(s);
	return err;
}

static void setup(struct sampler *s, struct fake *f)
{
	memset(s, 0, sizeof(*s));
	memset(f, 0, sizeof(*f));
	s->read = fake_read;
	s->arg = f;
}

static void test_deltas_and_totals(void **state)
{
	struct sampler s;
	struct fake f;

	setup(&s, &f);
	assert_int_equal(sampler__start(&s, 1, 0, SAMPLER_TOTAL), 0);
	assert_int_equal(s.total.cpus[0].drops, 0);	/* counts from the first read */
	for (int i = 0; i < 3; i++)
		assert_int_equal(sampler__step(&s), 0);
	assert_int_equal(s.ticks, 3);
	assert_int_equal(s.prev.cpus[0].drops, 40);	/* the fourth read */
	assert_int_equal(s.delta.cpus[0].drops, 10);
	assert_int_equal(s.delta.ndrops, 1);
	assert_int_equal(s.delta.drops[0].count, 5);
	assert_int_equal(s.delta.queues[0].c.consumes, 7);
	assert_int_equal(s.total.cpus[0].drops, 30);
	assert_int_equal(s.total.drops[0].count, 15);
	assert_int_equal(s.total.queues[0].c.consumes, 21);
	assert_int_equal(s.total.mono_ns, s.prev.mono_ns - s.start_ns);

	/* z: a fresh read, everything from it */
	assert_int_equal(sampler__zero(&s), 0);
	assert_int_equal(s.total.cpus[0].drops, 0);
	assert_int_equal(s.delta.cpus[0].drops, 0);
	assert_int_equal(s.total.ndrops, 0);
	assert_int_equal(sampler__step(&s), 0);
	assert_int_equal(s.total.cpus[0].drops, 10);
	assert_int_equal(s.total.drops[0].count, 5);
	sampler__free(&s);
}

/* export: the maps are new, so the first read's counts are in the total */
static void test_total_since_attach(void **state)
{
	struct sampler s;
	struct fake f;

	setup(&s, &f);
	assert_int_equal(sampler__start(&s, 1, 0, SAMPLER_TOTAL_ATTACH), 0);
	assert_int_equal(s.total.cpus[0].drops, 10);
	assert_int_equal(s.total.drops[0].count, 5);
	assert_int_equal(sampler__step(&s), 0);
	assert_int_equal(sampler__step(&s), 0);
	assert_int_equal(s.total.cpus[0].drops, 30);	/* = the last read */
	assert_int_equal(s.total.queues[0].c.consumes, 21);
	sampler__free(&s);
}

/* A failed read keeps prev (the next delta spans both intervals); no total without the flag. */
static void test_failed_read(void **state)
{
	struct sampler s;
	struct fake f;

	setup(&s, &f);
	assert_int_equal(sampler__start(&s, 1, 0, 0), 0);
	assert_null(s.total.cpus);
	f.fail_at = 2;
	assert_int_equal(sampler__step(&s), -EIO);
	assert_int_equal(s.ticks, 0);
	assert_int_equal(s.prev.cpus[0].drops, 10);
	f.fail_at = 0;
	assert_int_equal(sampler__step(&s), 0);
	assert_int_equal(s.delta.cpus[0].drops, 10);
	sampler__free(&s);
}

/*
 * Ticks keep to the grid start + k * interval whatever a read costs: a
 * read longer than an interval skips the ticks it overran, never shifts
 * the later ones. -d ends the last interval at start + duration.
 */
static void test_deadline_grid(void **state)
{
	struct sampler s;
	struct fake f;
	__u64 iv = 40 * MS;

	setup(&s, &f);
	assert_int_equal(sampler__start(&s, 0.04, 0.1, 0), 0);
	assert_int_equal(s.deadline_ns, s.start_ns + iv);
	assert_int_equal(s.end_ns, s.start_ns + 100 * MS);
	while (!sampler__over(&s)) {
		__u64 wake = s.deadline_ns < s.end_ns ? s.deadline_ns : s.end_ns;

		assert_int_equal(sampler__wait(&s, NULL), 0);
		assert_true(now_ns(CLOCK_MONOTONIC) >= wake);	/* never early */
		f.sleep_ns = s.ticks == 0 ? 50 * MS : 0;	/* the first read overruns */
		assert_int_equal(sampler__step(&s), 0);
		assert_true(s.prev.mono_ns >= wake);
		assert_int_equal((s.deadline_ns - s.start_ns) % iv, 0);
		assert_true(s.deadline_ns > s.prev.mono_ns);
		assert_true(s.deadline_ns <= s.prev.mono_ns + iv);
		assert_true(s.ticks <= 3);
	}
	/* the last tick is the end of the duration (or late past it), not a grid point */
	assert_true(s.prev.mono_ns >= s.end_ns);
	sampler__free(&s);
}

static volatile sig_atomic_t stop_flag;

struct idle_log {
	int calls, ret, set_interval_at;
	__u64 max_ahead;	/* the longest until - now a call was given */
	bool past_deadline;	/* a call was given an until past the deadline */
	struct sampler *s;
};

static int idle_fn(void *arg, __u64 until)
{
	struct idle_log *l = arg;
	__u64 now = now_ns(CLOCK_MONOTONIC);

	l->calls++;
	if (until - now > l->max_ahead)
		l->max_ahead = until - now;
	l->past_deadline |= until > l->s->deadline_ns;
	if (l->set_interval_at && l->calls == l->set_interval_at)
		sampler__set_interval(l->s, 0.02);	/* as the screen's `-` key does */
	return l->calls >= 3 ? l->ret : 0;
}

static void test_stop_and_idle(void **state)
{
	struct sampler s;
	struct fake f;
	struct idle_log l = {};
	struct sampler_idle idle = { .every_ns = 5 * MS, .fn = idle_fn, .arg = &l };
	__u64 t0;

	setup(&s, &f);
	s.stop = &stop_flag;
	assert_int_equal(sampler__start(&s, 10, 0, 0), 0);
	l.s = &s;

	/* the stop flag ends a wait at once, unless the mode waits for something else */
	stop_flag = 1;
	t0 = now_ns(CLOCK_MONOTONIC);
	assert_int_equal(sampler__wait(&s, NULL), SAMPLER_STOPPED);
	assert_true(now_ns(CLOCK_MONOTONIC) - t0 < 1000 * MS);
	idle.ignore_stop = true;
	l.ret = 7;
	assert_int_equal(sampler__wait(&s, &idle), 7);	/* record: CMD exited */
	assert_int_equal(l.calls, 3);
	stop_flag = 0;

	/* between ticks: called every every_ns at most, never past the deadline */
	assert_true(l.max_ahead <= idle.every_ns);
	assert_false(l.past_deadline);

	/* a new interval set between ticks moves the deadline of the wait under way */
	memset(&l, 0, sizeof(l));
	l.s = &s;
	l.set_interval_at = 1;
	l.ret = 0;
	t0 = now_ns(CLOCK_MONOTONIC);
	assert_int_equal(sampler__wait(&s, &idle), 0);
	assert_true(now_ns(CLOCK_MONOTONIC) - t0 < 5000 * MS);	/* not the 10 s interval */
	assert_int_equal(s.interval_ns, 20 * MS);
	sampler__free(&s);
}

/* ---- the collector over a synthetic source ---- */

#define NC 3

struct src {
	unsigned int called;	/* bit per map asked */
	int fail_map;		/* this map's walk fails with -EIO (-1: none) */
	int progs;
};

/*
 * softirq_where's task cells: cell 7 is task 7's on CPUs 1 and 2, task 263's
 * (7 + 256) on CPU 0; the hash holds task 7 on CPU 0 (its cell there was
 * taken), made there; the other CPUs' copies untouched (pid 0, no row)
 */
static const __u32 tcell_idx = 7;
static const struct sirq_task_cell tcells[NC] = {
	{ .pid = 263, .tgid = 263, .comm = "udp", .n = { .runs = { 4, 0 }, .ns = { 40, 0 } } },
	{ .pid = 7, .tgid = 5, .comm = "vhost-5", .n = { .runs = { 3, 0 }, .ns = { 30, 0 } } },
	{ .pid = 7, .tgid = 5, .comm = "vhost-5", .n = { .runs = { 0, 1 }, .ns = { 0, 9 } } },
};
static const struct sirq_task_id tid = { .pid = 7, .tgid = 5 };
static const struct sirq_task_cell thash[NC] = {
	{ .pid = 7, .tgid = 5, .comm = "vhost-5", .n = { .runs = { 2, 2 }, .ns = { 20, 20 } } },
	{ .n = { .runs = { 0 } } },
	{ .comm = "" },
};

static int src_lookup(void *arg, enum collect_map m, __u32 key, void *vals)
{
	struct src *sr = arg;

	sr->called |= 1u << m;
	if (m == CM_KICKS) {
		struct kick_cell *k = vals;	/* 24 bytes: the stride is the size */

		for (__u32 c = 0; c < NC; c++)
			k[c] = (struct kick_cell){ .queued = 100 * c + key, .kicks = c, .ipis = c + key };
		return 0;
	}
	assert_int_equal(key, 0);
	for (__u32 c = 0; c < NC; c++) {
		struct cpu_counters *cc = (struct cpu_counters *)vals + c;

		memset(cc, 0, sizeof(*cc));
		cc->builds = c + 1;
		cc->consume_calls = m == CM_CONSUME_CPU ? 4 : 0;
	}
	return 0;
}

static int src_walk(void *arg, enum collect_map m, collect_row_fn row, struct collector *c,
		    struct snapshot *s)
{
	struct src *sr = arg;
	struct queue_key q = { .ifindex = 9, .queue = 1, .dir = 1, .ifname = "tap0" };
	struct queue_counters qv[NC] = { { .consumes = 1 }, { .consumes = 2 }, { .consumes = 3 } };
	struct queue_slot slots[NC] = { { .key = q, .drops = 5 }, { .drops = 99 /* no owner */ },
					{ .key = q, .consumes = 6 } };
	__u64 vals[NC] = { 1, 2, 3 };
	__u32 slot = 2, idx = 0;

	sr->called |= 1u << m;
	if ((int)m == sr->fail_map)
		return -EIO;
	switch (m) {
	case CM_DROP_REASONS:
		return row(c, s, &slot, vals);
	case CM_QUEUE_SLOTS:
		return row(c, s, &idx, slots);
	case CM_DROPS_QUEUES:
	case CM_ALLOC_QUEUES:
		return row(c, s, &q, qv);
	case CM_SOFTIRQ_TASK_CELLS:
		return row(c, s, &tcell_idx, tcells);
	case CM_SOFTIRQ_TASKS:
		return row(c, s, &tid, thash);
	default:
		return 0;
	}
}

static int src_progs(void *arg, struct snapshot *s)
{
	((struct src *)arg)->progs++;
	return snapshot__add_prog(s, "p", 1, 2);
}

static void test_collector(void **state)
{
	struct src sr = { .fail_map = -1 };
	struct collect_source src = {
		.maps = 1u << CM_DROPS_CPU | 1u << CM_DROP_REASONS | 1u << CM_QUEUE_SLOTS |
			1u << CM_DROPS_QUEUES | 1u << CM_KICKS | 1u << CM_ALLOC_CPU |
			1u << CM_ALLOC_QUEUES | 1u << CM_CONSUME_CPU |
			1u << CM_SOFTIRQ_TASK_CELLS | 1u << CM_SOFTIRQ_TASKS,
		.lookup = src_lookup, .walk = src_walk, .progs = src_progs, .arg = &sr,
	};
	struct collector col;
	struct snapshot s = {};

	assert_int_equal(collector__init(&col, NC, true), 0);
	assert_int_equal(collector__read(&col, &src, &s), 0);
	/* absent maps (the defer object's counters, drop cells and hash) are never asked */
	assert_int_equal(sr.called, src.maps);
	assert_int_equal(sr.progs, 1);
	assert_true(s.mono_ns > 0 && s.real_ns > 0);
	/* three cpu_counters maps add up, CPU by CPU */
	for (__u32 c = 0; c < NC; c++) {
		assert_int_equal(s.cpus[c].builds, 3 * (c + 1));
		assert_int_equal(s.cpus[c].consume_calls, 4);
		assert_int_equal(s.cpus[c].drops, c + 1);	/* from the reason slot */
	}
	/* kicks: key = target, values per sender; IPIs received = the target's column */
	for (__u32 snd = 0; snd < NC; snd++)
		for (__u32 t = 0; t < NC; t++)
			assert_int_equal(s.kicks[snd * NC + t].queued, 100 * snd + t);
	for (__u32 t = 0; t < NC; t++)
		assert_int_equal(s.cpus[t].defer_ipis_recv, 0 + 1 + 2 + NC * t);
	/* one drop row for slot 2 (reason 2), summed; per-CPU counts kept */
	assert_int_equal(s.ndrops, 1);
	assert_int_equal(s.drops[0].key.reason, 2);
	assert_int_equal(s.drops[0].count, 6);
	assert_int_equal(s.ncpu_drop_reasons, 1);
	assert_int_equal(snapshot__cpu_drops(&s, 0)[2], 3);
	/* the queue's rows from the slots (owned cells only) and two hashes merge */
	assert_int_equal(s.nqueues, 1);
	assert_int_equal(s.queues[0].c.drops, 5);
	assert_int_equal(s.queues[0].c.consumes, 6 + 6 + 6);
	assert_int_equal(s.nprogs, 1);
	/* task cells and hash: a row per (task, CPU) that holds one */
	assert_int_equal(sizeof(tcells[0]), collect_stride(sizeof(tcells[0])));
	assert_int_equal(s.ntasks, 4);
	for (size_t i = 0; i < s.ntasks; i++) {
		const struct sirq_task_row *t = &s.tasks[i];
		const struct sirq_task_cell *want = t->key.pid == 7 && t->cpu == 0 ?
						    &thash[0] : &tcells[t->cpu];

		assert_int_equal(t->key.pid, want->pid);
		assert_int_equal(t->key.tgid, want->tgid);
		assert_string_equal(t->key.comm, want->comm);
		assert_memory_equal(&t->c, &want->n, sizeof(t->c));
	}
	assert_int_equal(s.tasks[0].cpu + s.tasks[1].cpu + s.tasks[2].cpu + s.tasks[3].cpu,
			 0 + 1 + 2 + 0);

	/* a failed walk fails the read and frees the snapshot */
	sr.fail_map = CM_ALLOC_QUEUES;
	assert_int_equal(collector__read(&col, &src, &s), -EIO);
	assert_null(s.cpus);
	collector__free(&col);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deltas_and_totals),
		cmocka_unit_test(test_total_since_attach),
		cmocka_unit_test(test_failed_read),
		cmocka_unit_test(test_deadline_grid),
		cmocka_unit_test(test_stop_and_idle),
		cmocka_unit_test(test_collector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
