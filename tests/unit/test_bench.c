// SPDX-License-Identifier: GPL-2.0
/*
 * The bench helpers build and run (make test-unit builds them first with
 * `make -C bench bin/refresh bin/record`): `make -C bench` once failed for a
 * whole session and nothing noticed. refresh runs the real collector and
 * sampler over a small synthetic shape and its JSON line must say what
 * that shape gives exactly; record's capture must read back with the
 * counts it was fed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <cmocka.h>
#include "capture.h"

/* The one JSON object cmd prints. */
static json_t *run_json(const char *cmd)
{
	char line[4096];
	json_error_t jerr;
	FILE *p = popen(cmd, "r");
	json_t *o = NULL;

	assert_non_null(p);
	if (fgets(line, sizeof(line), p))
		o = json_loads(line, 0, &jerr);
	assert_int_equal(pclose(p), 0);
	if (!o)
		fail_msg("%s: no JSON object: %s", cmd, line);
	return o;
}

static json_int_t num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", k);
	return json_integer_value(v);
}

/* Every *_ms a number of milliseconds, none negative. */
static void check_times(const json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v)
		if (strstr(k, "_ms") && (!json_is_real(v) || json_real_value(v) < 0))
			fail_msg("%s is not a time", k);
}

static void test_refresh_reasons(void **state)
{
	/* 8 reason slots on 4 CPUs, every cell counting: 8 rows, 32 per-CPU cells */
	json_t *o = run_json("bench/bin/refresh -c 4 -k 8 -q 3 -f 1 -n 3 -R");

	assert_int_equal(num(o, "ncpus"), 4);
	assert_int_equal(num(o, "refreshes"), 3);
	assert_int_equal(num(o, "drop_rows"), 8);
	assert_int_equal(num(o, "cpu_drop_cells"), 32);
	assert_true(json_is_true(json_object_get(o, "reasons_only")));
	check_times(o);
	json_decref(o);
}

static void test_refresh_detail_summed(void **state)
{
	/* 64 -L keys, summed (no -C): rows, and no per-CPU cells */
	json_t *o = run_json("bench/bin/refresh -c 4 -k 64 -q 3 -f 1 -n 2 -s -t");

	assert_int_equal(num(o, "drop_rows"), 64);
	assert_int_equal(num(o, "cpu_drop_cells"), 0);
	assert_true(json_is_true(json_object_get(o, "summed")));
	check_times(o);
	json_decref(o);
}

static void test_refresh_screen(void **state)
{
	json_t *o = run_json("bench/bin/refresh -c 4 -k 8 -q 3 -f 1 -n 2 -R -S");

	assert_true(json_is_true(json_object_get(o, "screen")));
	assert_int_equal(num(o, "drop_rows"), 8);
	assert_int_equal(num(o, "cpu_drop_cells"), 32);
	check_times(o);
	json_decref(o);
}

static void test_record(void **state)
{
	char dir[] = "/tmp/skbtop-bench.XXXXXX", path[64], cmd[160], err[256];
	struct capture cap = {};
	struct stat sb;
	json_t *o;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cap.json", dir);
	snprintf(cmd, sizeof(cmd), "bench/bin/record -c 4 -r 2 -n 3 -o %s", path);
	o = run_json(cmd);
	assert_int_equal(num(o, "intervals"), 3);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(num(o, "file_bytes"), sb.st_size);
	json_decref(o);
	/* 3 intervals x 4 CPUs x reasons 2 and 3 with 10 and 11 drops */
	assert_int_equal(capture__read(path, &cap, NULL, err, sizeof(err)), 0);
	assert_int_equal(cap.nsamples, 3);
	assert_int_equal(cap.totals.ncpus, 4);
	assert_int_equal(cap.totals.ndrops, 2);
	assert_int_equal(cap.totals.drops[0].count + cap.totals.drops[1].count, 3 * 4 * 21);
	assert_int_equal(cap.totals.cpus[1].cache_gets, 3 * 5001);
	capture__free(&cap);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);	/* nothing else left: the spool is gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh_reasons),
		cmocka_unit_test(test_refresh_detail_summed),
		cmocka_unit_test(test_refresh_screen),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
