// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include "stats.h"

/* Welford: stable for large, close values */
void stats__add(struct stats_acc *a, double x)
{
	double d = x - a->mean;

	a->mean += d / (double)(a->n + 1);
	a->q += d * (x - a->mean);
	a->n++;
}

void stats__result(const struct stats_acc *a, struct stats_summary *s)
{
	s->n = a->n;
	s->mean = a->n ? a->mean : 0;
	s->var = a->n > 1 ? a->q / (double)(a->n - 1) : 0;
}

void stats__summary(const double *x, size_t n, struct stats_summary *s)
{
	struct stats_acc a = {};

	for (size_t i = 0; i < n; i++)
		stats__add(&a, x[i]);
	stats__result(&a, s);
}

/* Continued fraction for I_x(a, b) (modified Lentz), valid for x < (a+1)/(a+b+2). */
static double betacf(double x, double a, double b)
{
	const double tiny = 1e-300, eps = 1e-15;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 10000; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

double stats__incbeta(double x, double a, double b)
{
	double lbt;

	if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
		return NAN;
	if (x == 0 || x == 1)
		return x;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * betacf(x, a, b) / a;
	return 1 - exp(lbt) * betacf(1 - x, b, a) / b;
}

double stats__t_p2(double t, double df)
{
	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return 0;
	return stats__incbeta(df / (df + t * t), df / 2, 0.5);
}

struct welch stats__welch(const struct stats_summary *a, const struct stats_summary *b)
{
	struct welch w = { .t = 0, .df = 0, .p = 1, .valid = 0 };
	double va, vb, se2;

	if (a->n < 2 || b->n < 2)
		return w;
	w.valid = 1;
	va = a->var / (double)a->n;
	vb = b->var / (double)b->n;
	se2 = va + vb;
	if (!(se2 > 0)) {
		w.df = (double)(a->n + b->n - 2);
		w.t = a->mean == b->mean ? 0 : copysign(INFINITY, b->mean - a->mean);
		w.p = a->mean == b->mean ? 1 : 0;
		return w;
	}
	w.t = (b->mean - a->mean) / sqrt(se2);
	w.df = se2 * se2 / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
	w.p = stats__t_p2(w.t, w.df);
	return w;
}
