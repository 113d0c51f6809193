// SPDX-License-Identifier: GPL-2.0
/*
 * Welch's t-test and the incomplete beta against reference values computed
 * with scipy 1.10.1 (scipy.stats.ttest_ind(b, a, equal_var=False),
 * scipy.special.betainc, 2 * scipy.stats.t.sf) for the inputs listed here.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "stats.h"

#define close_rel(x, ref, tol) assert_true(fabs((x) - (ref)) <= (tol) * fabs(ref) + 1e-300)

static struct welch run(const double *a, size_t na, const double *b, size_t nb)
{
	struct stats_summary sa, sb;

	stats__summary(a, na, &sa);
	stats__summary(b, nb, &sb);
	return stats__welch(&sa, &sb);
}

static void test_welch_reference(void **state)
{
	static const double a1[] = { 10.1, 9.8, 10.3, 10.0, 9.9 };
	static const double b1[] = { 10.9, 11.2, 10.8, 11.1, 11.0 };
	static const double a2[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const double b2[] = { 2, 4, 6, 8, 10 };
	static const double a3[] = { 100, 102, 98, 101, 99, 100 };
	static const double b3[] = { 100, 101, 99, 100, 102, 98 };
	static const double a4[] = { 5.0, 5.5, 4.5 };
	static const double b4[] = { 0, 0, 0, 0 };
	static const double a5[] = { 3.1, 2.9, 3.05, 3.0, 2.95, 3.2, 2.8 };
	static const double b5[] = { 3.0, 3.3, 2.7, 3.1 };
	struct welch w;

	(void)state;
	w = run(a1, 5, b1, 5);
	close_rel(w.t, 8.800659799312003, 1e-9);
	close_rel(w.df, 7.711133400200592, 1e-9);
	close_rel(w.p, 2.7461329543062943e-05, 1e-7);
	w = run(a2, 8, b2, 5);
	close_rel(w.t, 0.9045340337332909, 1e-9);
	close_rel(w.df, 7.0, 1e-9);
	close_rel(w.p, 0.3957752653188465, 1e-7);
	w = run(a3, 6, b3, 6);
	assert_true(w.t == 0.0);
	close_rel(w.p, 1.0, 1e-12);
	w = run(a4, 3, b4, 4);		/* one side constant */
	close_rel(w.t, -17.320508075688775, 1e-9);
	close_rel(w.df, 2.0, 1e-9);
	close_rel(w.p, 0.00331675872235686, 1e-7);
	w = run(a5, 7, b5, 4);
	close_rel(w.t, 0.18569533817705128, 1e-9);
	close_rel(w.df, 3.98578199052133, 1e-9);
	close_rel(w.p, 0.8617506876709973, 1e-7);
}

static void test_welch_edges(void **state)
{
	static const double one[] = { 4 };
	static const double c1[] = { 7, 7, 7 }, c2[] = { 7, 7 }, c3[] = { 8, 8, 8 };
	struct welch w;

	(void)state;
	w = run(one, 1, c1, 3);
	assert_int_equal(w.valid, 0);
	w = run(c1, 3, c2, 2);		/* both constant, equal */
	assert_int_equal(w.valid, 1);
	assert_true(w.p == 1.0);
	w = run(c1, 3, c3, 3);		/* both constant, different: certain */
	assert_true(w.p == 0.0);
	assert_true(isinf(w.t) && w.t > 0);
}

static void test_incbeta_reference(void **state)
{
	(void)state;
	close_rel(stats__incbeta(0.3, 2, 3), 0.3483, 1e-10);
	close_rel(stats__incbeta(0.9, 0.5, 0.5), 0.7951672353008662, 1e-10);
	close_rel(stats__incbeta(0.01, 10, 0.5), 1.7700349655285743e-21, 1e-8);
	close_rel(stats__incbeta(0.5, 100, 0.5), 6.255662994307412e-32, 1e-8);
	close_rel(stats__incbeta(0.999, 3.5, 0.5), 0.9356322688440224, 1e-10);
	assert_true(stats__incbeta(0, 2, 3) == 0.0);
	assert_true(stats__incbeta(1, 2, 3) == 1.0);
	assert_true(isnan(stats__incbeta(1.5, 2, 3)));
	assert_true(isnan(stats__incbeta(0.5, -1, 3)));
}

static void test_t_reference(void **state)
{
	(void)state;
	close_rel(stats__t_p2(2.228138851986, 10), 0.05000000000002323, 1e-9);
	close_rel(stats__t_p2(-2.228138851986, 10), 0.05000000000002323, 1e-9);
	close_rel(stats__t_p2(3.0, 2.5), 0.07257609554903183, 1e-9);
	close_rel(stats__t_p2(10, 30), 4.5752514082296097e-11, 1e-7);
	close_rel(stats__t_p2(0.5, 1), 0.7048327646991336, 1e-9);
	close_rel(stats__t_p2(25, 4), 1.5197525763315744e-05, 1e-8);
	assert_true(stats__t_p2(INFINITY, 3) == 0.0);
	assert_true(isnan(stats__t_p2(1, 0)));
}

static void test_summary(void **state)
{
	static const double x[] = { 1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16 };
	struct stats_summary s;

	(void)state;
	stats__summary(x, 4, &s);
	assert_int_equal(s.n, 4);
	close_rel(s.mean, 1e9 + 10, 1e-15);
	close_rel(s.var, 30.0, 1e-9);
	stats__summary(x, 0, &s);
	assert_true(s.mean == 0 && s.var == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_welch_reference),
		cmocka_unit_test(test_welch_edges),
		cmocka_unit_test(test_incbeta_reference),
		cmocka_unit_test(test_t_reference),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
