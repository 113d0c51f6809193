/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small statistics for diff: mean and variance, Student's t distribution
 * through the regularized incomplete beta function, and Welch's unequal
 * variances t-test. No library: a continued fraction (Lentz's method).
 */
#ifndef SKBTOP_STATS_H
#define SKBTOP_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t n;
	double mean;
	double var;		/* sample variance (n - 1) */
};

void stats__summary(const double *x, size_t n, struct stats_summary *s);

/* The same, one value at a time (Welford): zero-initialise, add, then summarise. */
struct stats_acc {
	size_t n;
	double mean, q;
};
void stats__add(struct stats_acc *a, double x);
void stats__result(const struct stats_acc *a, struct stats_summary *s);

/* Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1; NAN on bad input. */
double stats__incbeta(double x, double a, double b);

/* Two-sided p-value of Student's t with df degrees of freedom: P(|T| >= |t|). */
double stats__t_p2(double t, double df);

struct welch {
	double t;		/* (mean_b - mean_a) / se */
	double df;		/* Welch-Satterthwaite degrees of freedom */
	double p;		/* two-sided */
	int valid;		/* 0: fewer than two samples on a side */
};

/*
 * Welch's t-test of b against a. Both variances zero: p is 1 when the means
 * are equal and 0 when they differ (a constant shift is certain).
 */
struct welch stats__welch(const struct stats_summary *a, const struct stats_summary *b);

#endif
