// SPDX-License-Identifier: GPL-2.0
/* esc.c: control bytes out, everything else (UTF-8 included) untouched. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "esc.h"

static void test_clean_is_same_pointer(void **state)
{
	const char *s = "eth0 caf\xc3\xa9 \xe2\x82\xac tab-free";

	(void)state;
	assert_ptr_equal(esc(s), s);
	assert_null(esc(NULL));
}

static void test_controls(void **state)
{
	(void)state;
	assert_string_equal(esc("\033[31mEV\033[0m"), "\\x1b[31mEV\\x1b[0m");
	assert_string_equal(esc("a\r\nFORGED"), "a\\x0d\\x0aFORGED");
	assert_string_equal(esc("\033]0;PWNED\a"), "\\x1b]0;PWNED\\x07");
	assert_string_equal(esc("del\x7f"), "del\\x7f");
	assert_string_equal(esc("tab\there"), "tab\\x09here");
	/* U+009B (CSI) as UTF-8; U+00A9 stays */
	assert_string_equal(esc("\xc2\x9b" "2J \xc2\xa9"), "\\xc2\\x9b2J \xc2\xa9");
}

static void test_truncation(void **state)
{
	char buf[8];

	(void)state;
	/* never a partial escape, always terminated */
	assert_string_equal(esc_into("ab\033cd", buf, sizeof(buf)), "ab\\x1bc");
	assert_string_equal(esc_into("abcdef\033", buf, sizeof(buf)), "abcdef");
	/* eight rotating buffers: printf arguments do not overwrite each other */
	{
		const char *a = esc("\001"), *b = esc("\002");

		assert_string_equal(a, "\\x01");
		assert_string_equal(b, "\\x02");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_is_same_pointer),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
