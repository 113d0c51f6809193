// SPDX-License-Identifier: GPL-2.0
/* Option parsing: accepted forms and every misuse exits 64. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "env.h"
#include "options.h"

static int parse(struct env *env, int *done, ...)
{
	static char *argv[16];	/* env->argv points into it after return */
	int argc = 1;
	va_list ap;
	char *a;

	memset(argv, 0, sizeof(argv));
	argv[0] = "skbtop";
	memset(env, 0, sizeof(*env));
	env->interval = 1.0;
	va_start(ap, done);
	while ((a = va_arg(ap, char *)) && argc < 15)
		argv[argc++] = a;
	va_end(ap);
	return parse_args(argc, argv, env, done);
}

static void test_good(void **state)
{
	struct env env;
	int done;

	(void)state;
	assert_int_equal(parse(&env, &done, "-i", "0.5", "-d", "3", "-C", "-j", "--pretty",
			       "--text", "-n", "7", "-P", "drops,bulk", "2", "5", NULL), 0);
	assert_false(done);
	assert_true(env.interval == 0.5);
	assert_true(env.duration == 3.0);
	assert_true(env.per_cpu && env.json && env.pretty && env.text);
	assert_int_equal(env.max_iterations, 7);
	assert_string_equal(env.probe_opts.only, "drops,bulk");
	assert_int_equal(env.argc, 2);
	assert_string_equal(env.argv[0], "2");
	assert_string_equal(env.argv[1], "5");
	/* record: everything after -- is the command */
	assert_int_equal(parse(&env, &done, "-o", "x.json", "--", "sleep", "-1", NULL), 0);
	assert_string_equal(env.output, "x.json");
	assert_int_equal(env.argc, 2);
	assert_string_equal(env.argv[1], "-1");
	assert_int_equal(parse(&env, &done, "--format", "markdown", "--max-mode", "kprobe",
			       "--btf", "/x", NULL), 0);
	assert_string_equal(env.format, "markdown");
	assert_string_equal(env.probe_opts.max_mode, "kprobe");
	assert_string_equal(env.probe_opts.btf_path, "/x");
}

static void test_bad(void **state)
{
	struct env env;
	int done;

	(void)state;
	assert_int_equal(parse(&env, &done, "--bogus", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-i", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-i", "abc", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-i", "1e9", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-i", "nan", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-d", "-1", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-n", "0", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-n", "12x", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "--format", "html", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "--max-mode", "fast", NULL), EXIT_USAGE);
	assert_int_equal(parse(&env, &done, "-i", NULL), EXIT_USAGE);
}

/* issue 20: 33 options once overflowed a given[32] and escaped the per-command check */
static void test_many_options(void **state)
{
	static const char *const probes_opts[] = { "json", "pretty", NULL };
	char *argv[48];
	struct env env = { .interval = 1.0 };
	int argc = 0, done;

	(void)state;
	argv[argc++] = "skbtop";
	while (argc < 41)
		argv[argc++] = "-j";
	argv[argc++] = "-d";
	argv[argc++] = "1";
	assert_int_equal(parse_args(argc, argv, &env, &done), 0);
	assert_int_equal(check_options(&env, "probes", probes_opts), EXIT_USAGE);
	memset(&env, 0, sizeof(env));
	assert_int_equal(parse_args(argc - 2, argv, &env, &done), 0);
	assert_int_equal(check_options(&env, "probes", probes_opts), EXIT_OK);
}

static void test_help(void **state)
{
	struct env env;
	int done;

	(void)state;
	assert_int_equal(parse(&env, &done, "-h", NULL), 0);
	assert_true(done);
	assert_non_null(strstr(usage, "EXAMPLES") ? usage : strstr(usage, "Examples"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_many_options),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
