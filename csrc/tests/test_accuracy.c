/*
 * test_accuracy.c -- softmax, log_softmax and logsumexp against a reference
 * computed here in long double, on many pseudo-random rows.
 *
 * The reference is the textbook method in long double: shift by the max,
 * expl, sum, divide (softmax) or subtract the log (log_softmax, logsumexp).
 * The one refinement: the sum is kept as S = 1 + s, s over every entry but
 * one maximal one, and log S is log1pl(s), because logl(1 + s) would lose
 * the digits of a small log S (log_softmax at the maximum is -log S).
 *
 * Bounds (ULP distances counted exactly on the bit patterns):
 *   float32: 2 ULP from the reference rounded to float.  long double has 40
 *            more bits than float, so the reference is as good as exact.
 *   float64: 3 ULP from the reference rounded to double.  x87 long double
 *            has only 11 more bits than double: (x - max) / T is rounded to
 *            64 bits, and exp() turns that absolute error of |z| 2^-64 into
 *            a relative one, up to about 700 * 2^-64 ~ 2^-54.5 (half an ULP
 *            of double) for |x / T| up to ~700; the header's 2 ULP plus that
 *            is below 3.
 *   logsumexp: the header bounds its error by 2 ULP of max(|max x|, log S),
 *            not of the result, which can be near 0 by cancellation
 *            (max x ~ -log S).  Without cancellation the bit-pattern
 *            distance is used; with it, |got - reference| in ULPs of that
 *            scale.
 * On a platform where long double is not wider than double the float64
 * part is skipped (the reference would not be good enough).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pysoftmax.h"
#include "psm_test.h"

enum { SOFTMAX, LOG_SOFTMAX, LOGSUMEXP, FUNCTIONS };
static const char *const function_names[FUNCTIONS] = {"softmax", "log_softmax", "logsumexp"};

enum {
    DIST_NORMAL,     /* normal-ish, scale 1, 10 or 100 */
    DIST_UNIFORM,    /* uniform in [-1, 1] or [-50, 50] */
    DIST_OFFSET,     /* 1e4 + normal-ish noise of scale 1..10 */
    DIST_NEAR_TIES,  /* c and its neighbours a few ULP away */
    DIST_SUBNORMAL,  /* x / T spread down to where exp(x / T) is subnormal */
    DIST_MIXED_SIGN, /* normal-ish scale 3 around +-5: logsumexp cancels */
    DISTRIBUTIONS
};
static const char *const distribution_names[DISTRIBUTIONS] = {
    "normal", "uniform", "offset 1e4", "near ties", "subnormal outputs", "mixed sign"};

typedef struct {
    double worst;
    const char *where_distribution;
    size_t where_n;
    double where_temperature;
    double got, expected;
} worst_case;

/* worst[dtype][function] */
static worst_case worst[2][FUNCTIONS];

/* Largest ULP distances allowed, per dtype. */
static const double tolerance[2] = {2.0, 3.0};

static double round_to(const dtype *t, long double v)
{
    if (t->size == sizeof(float))
        return (double)(float)v;
    return (double)v;
}

/* The unit in the last place of the dtype at |v| (normal range). */
static long double ulp_at(const dtype *t, long double v)
{
    int exponent;
    long double smallest = t->size == sizeof(float) ? 0x1p-149L : 0x1p-1074L;
    long double u;
    frexpl(fabsl(v), &exponent);
    u = ldexpl(1.0L, exponent - (t->size == sizeof(float) ? 24 : 53));
    return u > smallest ? u : smallest;
}

static void record(size_t d, int function, double error, const char *distribution, size_t n,
                   double temperature, double got, double expected)
{
    worst_case *w = &worst[d][function];
    if (error > w->worst || w->where_distribution == NULL) {
        w->worst = error;
        w->where_distribution = distribution;
        w->where_n = n;
        w->where_temperature = temperature;
        w->got = got;
        w->expected = expected;
    }
    CHECK(error <= tolerance[d],
          "%s_%s: %.3g ULP (row of %lu, %s, T=%g): got %.17g, reference %.17g",
          function_names[function], dtypes[d].name, error, (unsigned long)n, distribution,
          temperature, got, expected);
}

/* Reference for one row; x widened to double, temperature as given to the
 * library. */
typedef struct {
    long double max;
    long double log_sum; /* log S = log1p(s) */
    long double sum;     /* S = 1 + s */
} row_reference;

static row_reference reference_row(const double *x, size_t n, long double temperature)
{
    row_reference ref;
    long double others = 0.0L;
    size_t i, argmax = 0;
    ref.max = x[0];
    for (i = 1; i < n; i++)
        if ((long double)x[i] > ref.max) {
            ref.max = x[i];
            argmax = i;
        }
    for (i = 0; i < n; i++)
        if (i != argmax)
            others += expl(((long double)x[i] - ref.max) / temperature);
    ref.sum = 1.0L + others;
    ref.log_sum = log1pl(others);
    return ref;
}

/* One batch of `rows` rows of length n: run the three kernels, compare. */
static void check_batch(size_t d, const double *x, size_t rows, size_t n, double temperature,
                        const char *distribution, void *xbuf, void *ybuf)
{
    const dtype *t = &dtypes[d];
    size_t r, i;
    int k;

    for (i = 0; i < rows * n; i++)
        set(t, xbuf, i, x[i]);
    for (k = 0; k < 2; k++) {
        int status = t->normalize[k](xbuf, ybuf, rows, n, temperature);
        if (!CHECK(status == PSM_OK, "%s_%s: status %d", normalize_names[k], t->name, status))
            continue;
        for (r = 0; r < rows; r++) {
            const double *row = x + r * n;
            row_reference ref = reference_row(row, n, temperature);
            for (i = 0; i < n; i++) {
                long double z = ((long double)row[i] - ref.max) / (long double)temperature;
                long double exact = k == SOFTMAX ? expl(z) / ref.sum : z - ref.log_sum;
                double expected = round_to(t, exact);
                double got = get(t, ybuf, r * n + i);
                record(d, k, (double)ulp_distance(t, got, expected), distribution, n, temperature,
                       got, expected);
            }
        }
    }
    {
        int status = t->logsumexp(xbuf, ybuf, rows, n);
        if (!CHECK(status == PSM_OK, "logsumexp_%s: status %d", t->name, status))
            return;
        for (r = 0; r < rows; r++) {
            row_reference ref = reference_row(x + r * n, n, 1.0L);
            long double exact = ref.max + ref.log_sum;
            long double scale = fabsl(ref.max) > ref.log_sum ? fabsl(ref.max) : ref.log_sum;
            double expected = round_to(t, exact);
            double got = get(t, ybuf, r);
            double error;
            if (ulp_at(t, exact) >= ulp_at(t, scale))
                error = (double)ulp_distance(t, got, expected);
            else /* cancellation: count in ULPs of the scale */
                error = (double)(fabsl((long double)got - (long double)expected) / ulp_at(t, scale));
            record(d, LOGSUMEXP, error, distribution, n, 1.0, got, expected);
        }
    }
}

/* The value v rounded to the dtype and moved `steps` representable values
 * up (steps > 0) or down. */
static double neighbour(const dtype *t, double v, int steps)
{
    if (t->size == sizeof(float)) {
        float f = (float)v;
        for (; steps > 0; steps--)
            f = nextafterf(f, INFINITY);
        for (; steps < 0; steps++)
            f = nextafterf(f, -INFINITY);
        return (double)f;
    }
    for (; steps > 0; steps--)
        v = nextafter(v, INFINITY);
    for (; steps < 0; steps++)
        v = nextafter(v, -INFINITY);
    return v;
}

static void fill_row(const dtype *t, double *row, size_t n, int distribution, double temperature,
                     size_t repeat, psm_rng *rng)
{
    static const double normal_scales[3] = {1.0, 10.0, 100.0};
    static const double uniform_widths[2] = {1.0, 50.0};
    /* exp(z) is subnormal below about -708 (double), -87 (float): spread
     * z = x / T down to a little past the smallest subnormal. */
    const double deepest = t->size == sizeof(float) ? 110.0 : 760.0;
    double center = 20.0 * psm_rng_uniform(rng) - 10.0;
    double noise_scale = 1.0 + 9.0 * psm_rng_uniform(rng);
    size_t i;
    for (i = 0; i < n; i++) {
        double v;
        switch (distribution) {
        case DIST_NORMAL:
            v = normal_scales[repeat % 3] * psm_rng_normalish(rng);
            break;
        case DIST_UNIFORM:
            v = uniform_widths[repeat % 2] * (2.0 * psm_rng_uniform(rng) - 1.0);
            break;
        case DIST_OFFSET:
            v = 1e4 + noise_scale * psm_rng_normalish(rng);
            break;
        case DIST_NEAR_TIES:
            v = neighbour(t, center, (int)psm_rng_below(rng, 9) - 4);
            break;
        case DIST_SUBNORMAL:
            v = -deepest * temperature * psm_rng_uniform(rng);
            break;
        default: /* DIST_MIXED_SIGN */
            v = (repeat % 2 ? -5.0 : 5.0) + 3.0 * psm_rng_normalish(rng);
            break;
        }
        row[i] = round_to(t, v);
    }
}

static void random_rows(size_t d)
{
    static const size_t lengths[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 255, 256, 257, 4097};
    static const double temperatures[] = {1e-3, 0.37, 1.0, 6.5, 100.0};
    const dtype *t = &dtypes[d];
    const size_t max_rows = 6, max_n = 4097;
    double *x = malloc(max_rows * max_n * sizeof(double));
    void *xbuf = malloc(max_rows * max_n * t->size);
    void *ybuf = malloc(max_rows * max_n * t->size);
    psm_rng rng = psm_rng_seed(0x5eed0000u + d);
    size_t li, ti, r;
    int distribution;

    if (x == NULL || xbuf == NULL || ybuf == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (distribution = 0; distribution < DISTRIBUTIONS; distribution++) {
        for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
            size_t n = lengths[li];
            size_t rows = n > 300 ? 1 : max_rows;
            for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++) {
                double temperature = round_to(t, temperatures[ti]);
                for (r = 0; r < rows; r++)
                    fill_row(t, x + r * n, n, distribution, temperature, r, &rng);
                check_batch(d, x, rows, n, temperature, distribution_names[distribution], xbuf,
                            ybuf);
            }
        }
    }
    free(x);
    free(xbuf);
    free(ybuf);
}

/* The classic examples. */
static void seed_examples(void)
{
    static const double big_gap[4] = {10.0, 2.0, 10000.0, 4.0};
    static const double moderate[4] = {10.0, 2.0, 40.0, 4.0};
    /* Rounded values of softmax([10, 2, 40, 4]) (what the task states). */
    static const double moderate_approx[4] = {9.36e-14, 3.14e-17, 1.0, 2.32e-16};
    unsigned char xbuf[4 * sizeof(double)], ybuf[4 * sizeof(double)];
    size_t d, i;

    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        row_reference ref;
        for (i = 0; i < 4; i++)
            set(t, xbuf, i, big_gap[i]);
        CHECK(t->normalize[SOFTMAX](xbuf, ybuf, 1, 4, 1.0) == PSM_OK, "status");
        for (i = 0; i < 4; i++)
            CHECK(get(t, ybuf, i) == (i == 2 ? 1.0 : 0.0),
                  "softmax_%s([10, 2, 10000, 4])[%lu] = %.17g, expected %g", t->name,
                  (unsigned long)i, get(t, ybuf, i), i == 2 ? 1.0 : 0.0);

        for (i = 0; i < 4; i++)
            set(t, xbuf, i, moderate[i]);
        CHECK(t->normalize[SOFTMAX](xbuf, ybuf, 1, 4, 1.0) == PSM_OK, "status");
        ref = reference_row(moderate, 4, 1.0L);
        for (i = 0; i < 4; i++) {
            long double exact = expl((long double)moderate[i] - ref.max) / ref.sum;
            double expected = round_to(t, exact);
            double got = get(t, ybuf, i);
            /* The reference agrees with the stated approximations... */
            CHECK(fabsl(exact - moderate_approx[i]) <= 0.01L * moderate_approx[i],
                  "reference softmax([10, 2, 40, 4])[%lu] = %.6Lg, not ~%g", (unsigned long)i,
                  exact, moderate_approx[i]);
            /* ...and the library with the reference. */
            CHECK((double)ulp_distance(t, got, expected) <= tolerance[d],
                  "softmax_%s([10, 2, 40, 4])[%lu] = %.17g, reference %.17g", t->name,
                  (unsigned long)i, got, expected);
        }
    }
    {
        /* float32 log_softmax([0, -30, -40]): the first entry is -log1p(e^-30
         * + e^-40) ~ -9.36e-14, which naive float code rounds to 0. */
        static const float x[3] = {0.0f, -30.0f, -40.0f};
        static const double xd[3] = {0.0, -30.0, -40.0};
        float y[3];
        row_reference ref = reference_row(xd, 3, 1.0L);
        float expected = (float)(-ref.log_sum);
        CHECK(psm_log_softmax_f32(x, y, 1, 3, 1.0f) == PSM_OK, "status");
        CHECK(y[0] != 0.0f, "log_softmax_f32([0, -30, -40])[0] is 0 (digits lost)");
        CHECK(fabs((double)y[0] + 9.36e-14) < 0.01e-13,
              "log_softmax_f32([0, -30, -40])[0] = %.9g, expected about -9.36e-14",
              (double)y[0]);
        CHECK(psm_ulp_distance_f32(y[0], expected) <= 2,
              "log_softmax_f32([0, -30, -40])[0] = %.9g, reference %.9g", (double)y[0],
              (double)expected);
        for (i = 1; i < 3; i++) {
            float e = (float)((long double)xd[i] - ref.log_sum);
            CHECK(psm_ulp_distance_f32(y[i], e) <= 2,
                  "log_softmax_f32([0, -30, -40])[%lu] = %.9g, reference %.9g", (unsigned long)i,
                  (double)y[i], (double)e);
        }
    }
}

int main(void)
{
    size_t d;
    int f;
    int wide_long_double = LDBL_MANT_DIG >= 64;

    seed_examples();
    random_rows(0);
    if (wide_long_double)
        random_rows(1);
    else
        printf("note: long double has %d bits, not enough for a float64 reference; "
               "float64 random rows skipped\n",
               LDBL_MANT_DIG);

    printf("worst error in ULP (bound: float32 %.0f, float64 %.0f):\n", tolerance[0],
           tolerance[1]);
    for (d = 0; d < (wide_long_double ? 2u : 1u); d++)
        for (f = 0; f < FUNCTIONS; f++) {
            const worst_case *w = &worst[d][f];
            printf("  %-12s %s: %.3g ULP  (row of %lu, %s, T=%g: got %.17g, reference %.17g)\n",
                   function_names[f], dtypes[d].name, w->worst, (unsigned long)w->where_n,
                   w->where_distribution ? w->where_distribution : "-", w->where_temperature,
                   w->got, w->expected);
        }
    return psm_test_finish("test_accuracy");
}
