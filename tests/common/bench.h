/* SPDX-License-Identifier: BSD-3-Clause */
/* Benchmark helper: medians of repeated runs. */
#ifndef SDNFV_TEST_BENCH_H
#define SDNFV_TEST_BENCH_H

#include <stdlib.h>

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0, n) (sorts v). */
static inline double
bench_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
