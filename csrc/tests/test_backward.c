/*
 * test_backward.c -- psm_softmax_backward_* and psm_log_softmax_backward_*:
 * accuracy against a long double reference, the finite-gradient rule, the
 * temperature limits, in place, strided layouts against contiguous ones,
 * the rows that take the plain method, and every bad argument.
 *
 * The reference evaluates the same formulas in long double from the same
 * y, dy and T (the inputs are exact; only the derivative's arithmetic is
 * checked): s = sum dy y (S = sum dy) with a compensated sum, then
 * y (dy - s) / T or (dy - expl(y) S) / T.  Where dy - s cancels, the error
 * of either side grows with the condition number
 *   c = (|dy| + sum |dy y|) / |dy - s|   (log_softmax: with exp(y) S),
 * so the bound is 1 ULP plus c times what the two methods can lose:
 *   float32: ours 2^-49 (the exp) relative, the reference's 2^-63: c 2^-22 ULP;
 *   float64: softmax ours 2^-100, the reference (long double products,
 *            2^-64): c 2^-8 ULP; log_softmax ours 2^-55.7 (lane_math.h's
 *            double-double exp, measured): c 2^-2.
 * The worst distances where c <= 2 are printed: the figure the header's
 * "within 1 ULP" is about.  Where long double is not wider than double the
 * float64 accuracy part is skipped (the reference would not be better).
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psm_test.h"
#include "pysoftmax.h"

enum { SOFTMAX, LOG_SOFTMAX };

/* The backward functions behind one signature (temperature given as a
 * double; the float wrappers round it to float first). */
static int backward(const dtype *t, int function, const void *y, const void *dy, void *dx,
                    size_t rows, size_t n, double temperature)
{
    if (t->size == sizeof(float))
        return function == SOFTMAX
                   ? psm_softmax_backward_f32((const float *)y, (const float *)dy, (float *)dx,
                                              rows, n, (float)temperature)
                   : psm_log_softmax_backward_f32((const float *)y, (const float *)dy,
                                                  (float *)dx, rows, n, (float)temperature);
    return function == SOFTMAX
               ? psm_softmax_backward_f64((const double *)y, (const double *)dy, (double *)dx,
                                          rows, n, temperature)
               : psm_log_softmax_backward_f64((const double *)y, (const double *)dy,
                                              (double *)dx, rows, n, temperature);
}

static int backward_strided(const dtype *t, int function, const void *y, ptrdiff_t y_row,
                            ptrdiff_t y_step, const void *dy, ptrdiff_t dy_row, ptrdiff_t dy_step,
                            void *dx, ptrdiff_t dx_row, ptrdiff_t dx_step, size_t rows, size_t n,
                            double temperature)
{
    if (t->size == sizeof(float)) {
        const float *fy = (const float *)y, *fdy = (const float *)dy;
        float *fdx = (float *)dx;
        return function == SOFTMAX
                   ? psm_softmax_backward_strided_f32(fy, y_row, y_step, fdy, dy_row, dy_step,
                                                      fdx, dx_row, dx_step, rows, n,
                                                      (float)temperature)
                   : psm_log_softmax_backward_strided_f32(fy, y_row, y_step, fdy, dy_row,
                                                          dy_step, fdx, dx_row, dx_step, rows,
                                                          n, (float)temperature);
    }
    return function == SOFTMAX
               ? psm_softmax_backward_strided_f64((const double *)y, y_row, y_step,
                                                  (const double *)dy, dy_row, dy_step,
                                                  (double *)dx, dx_row, dx_step, rows, n,
                                                  temperature)
               : psm_log_softmax_backward_strided_f64((const double *)y, y_row, y_step,
                                                      (const double *)dy, dy_row, dy_step,
                                                      (double *)dx, dx_row, dx_step, rows, n,
                                                      temperature);
}

static int backward_general(const dtype *t, int function, const void *y, ptrdiff_t y_row,
                            ptrdiff_t y_step, const void *dy, ptrdiff_t dy_row, ptrdiff_t dy_step,
                            const void *temperatures, ptrdiff_t temperature_stride, void *dx,
                            ptrdiff_t dx_row, ptrdiff_t dx_step, size_t rows, size_t n)
{
    if (t->size == sizeof(float))
        return function == SOFTMAX
                   ? psm_softmax_backward_general_f32(
                         (const float *)y, y_row, y_step, (const float *)dy, dy_row, dy_step,
                         (const float *)temperatures, temperature_stride, (float *)dx, dx_row,
                         dx_step, rows, n)
                   : psm_log_softmax_backward_general_f32(
                         (const float *)y, y_row, y_step, (const float *)dy, dy_row, dy_step,
                         (const float *)temperatures, temperature_stride, (float *)dx, dx_row,
                         dx_step, rows, n);
    return function == SOFTMAX
               ? psm_softmax_backward_general_f64(
                     (const double *)y, y_row, y_step, (const double *)dy, dy_row, dy_step,
                     (const double *)temperatures, temperature_stride, (double *)dx, dx_row,
                     dx_step, rows, n)
               : psm_log_softmax_backward_general_f64(
                     (const double *)y, y_row, y_step, (const double *)dy, dy_row, dy_step,
                     (const double *)temperatures, temperature_stride, (double *)dx, dx_row,
                     dx_step, rows, n);
}

static const char *const function_names_b[2] = {"softmax_backward", "log_softmax_backward"};

static int counts(int function, double y)
{
    return function == SOFTMAX ? y != 0.0 : y != -INFINITY;
}

static int is_positive_zero(const dtype *t, double v)
{
    if (t->size == sizeof(float))
        return psm_bits_f32((float)v) == 0u;
    return psm_bits_f64(v) == 0u;
}

/* ---------------------------------------------------------------- accuracy */

static double worst_well_conditioned[2][2]; /* [dtype][function], c <= 2 */
static double worst_any[2][2];
static long accuracy_checks[2][2];

/* Compensated (Neumaier) long double sum. */
typedef struct {
    long double sum, compensation;
} ld_sum;

static void ld_add(ld_sum *s, long double v)
{
    long double t = s->sum + v;
    if (fabsl(s->sum) >= fabsl(v))
        s->compensation += (s->sum - t) + v;
    else
        s->compensation += (v - t) + s->sum;
    s->sum = t;
}

/* Checks one row (y, dy as the dtype's values; dx the library's result). */
static void check_row_accuracy(const dtype *t, size_t d, int function, const void *y,
                               const void *dy, const void *dx, size_t n, double temperature,
                               const char *what)
{
    ld_sum sum = {0.0L, 0.0L};
    long double magnitude = 0.0L, s;
    long double T = t->size == sizeof(float) ? (long double)(float)temperature
                                             : (long double)temperature;
    size_t i;
    for (i = 0; i < n; i++) {
        long double v = get(t, y, i), g = get(t, dy, i);
        if (!counts(function, (double)v))
            continue;
        ld_add(&sum, function == SOFTMAX ? g * v : g);
        magnitude += fabsl(function == SOFTMAX ? g * v : g);
    }
    s = sum.sum + sum.compensation;
    for (i = 0; i < n; i++) {
        long double v = get(t, y, i), g = get(t, dy, i), exact, cancel, condition, bound;
        double got = get(t, dx, i), expected;
        uint64_t distance;
        if (!counts(function, (double)v)) {
            CHECK(is_positive_zero(t, got), "%s_%s %s: dx[%lu] = %g where y = %g, not +0",
                  function_names_b[function], t->name, what, (unsigned long)i, got, (double)v);
            continue;
        }
        if (function == SOFTMAX) {
            exact = v * (g - s) / T;
            cancel = g - s;
            condition = (fabsl(g) + magnitude) / fabsl(cancel);
        } else {
            long double e = expl(v);
            exact = (g - e * s) / T;
            cancel = g - e * s;
            condition = (fabsl(g) + e * magnitude) / fabsl(cancel);
        }
        expected = t->size == sizeof(float) ? (double)(float)exact : (double)exact;
        distance = ulp_distance(t, got, expected);
        if (cancel == 0.0L)
            condition = 1e300L;
        if (t->size == sizeof(float))
            bound = 1.0L + condition * 0x1p-22L;
        else
            bound = 1.0L + condition * (function == SOFTMAX ? 0x1p-8L : 0x1p-2L);
        if (fabsl(exact) < (t->size == sizeof(float) ? (long double)FLT_MIN : (long double)DBL_MIN))
            bound += 1.0L; /* a subnormal result may be rounded twice */
        accuracy_checks[d][function]++;
        if ((double)distance > worst_any[d][function])
            worst_any[d][function] = (double)distance;
        if (condition <= 2.0L && (double)distance > worst_well_conditioned[d][function])
            worst_well_conditioned[d][function] = (double)distance;
        CHECK((long double)distance <= bound,
              "%s_%s %s (n=%lu, T=%g): dx[%lu] = %.17g, reference %.17g: %llu ULP, "
              "condition %.3Lg",
              function_names_b[function], t->name, what, (unsigned long)n, temperature,
              (unsigned long)i, got, expected, (unsigned long long)distance, condition);
    }
}

enum {
    GRADIENT_NORMAL,  /* normal-ish */
    GRADIENT_ONE_HOT, /* -1 at one entry (cross-entropy), 0 elsewhere */
    GRADIENT_ONES,    /* 1 everywhere: softmax's dx is 0 up to rounding (cancels) */
    GRADIENT_WIDE,    /* magnitudes over 2^+-40 */
    GRADIENT_HUGE,    /* around 2^1000 (float32: 2^120) */
    GRADIENT_TINY,    /* around 2^-1000 (float32: 2^-120) */
    GRADIENTS
};

static double draw_gradient(const dtype *t, psm_rng *rng, int kind, size_t i, size_t hot)
{
    int f32 = t->size == sizeof(float);
    double g = psm_rng_normalish(rng);
    switch (kind) {
    case GRADIENT_ONE_HOT:
        return i == hot ? -1.0 : 0.0;
    case GRADIENT_ONES:
        return 1.0;
    case GRADIENT_WIDE:
        return ldexp(g, (int)psm_rng_below(rng, 81) - 40);
    case GRADIENT_HUGE:
        return ldexp(g, f32 ? 120 : 1000);
    case GRADIENT_TINY:
        return ldexp(g, f32 ? -120 : -1000);
    default:
        return g;
    }
}

static void test_accuracy(void)
{
    static const size_t lengths[] = {1, 2, 3, 5, 31, 32, 33, 100, 1023, 1024, 1025, 2500};
    static const double temperatures[] = {1.0, 0.37, 6.5, 1e-3, 1e6};
    static const double scales[] = {1e-3, 1.0, 30.0, 300.0};
    psm_rng rng = psm_rng_seed(88);
    size_t d, l, k, i, trial;
    int function, kind;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        if (t->size == sizeof(double) && LDBL_MANT_DIG < 64) {
            printf("test_backward: long double is not wider than double: float64 accuracy "
                   "skipped\n");
            continue;
        }
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++)
            for (l = 0; l < sizeof lengths / sizeof lengths[0]; l++)
                for (k = 0; k < sizeof temperatures / sizeof temperatures[0]; k++)
                    for (kind = 0; kind < GRADIENTS; kind++)
                        for (trial = 0; trial < 2; trial++) {
                            size_t n = lengths[l], hot = psm_rng_below(&rng, n);
                            double scale = scales[psm_rng_below(&rng, 4)];
                            void *x = sentinel_buffer(t, n), *y = sentinel_buffer(t, n);
                            void *dy = sentinel_buffer(t, n), *dx = sentinel_buffer(t, n);
                            char what[80];
                            for (i = 0; i < n; i++) {
                                set(t, x, i, psm_rng_normalish(&rng) * scale);
                                set(t, dy, i, draw_gradient(t, &rng, kind, i, hot));
                            }
                            if (trial == 1 && n > 2) /* entries that do not count */
                                for (i = 0; i < n; i += 3)
                                    set(t, x, i, i == hot ? 0.0 : -INFINITY);
                            CHECK(t->normalize[function](x, y, 1, n, temperatures[k]) == PSM_OK,
                                  "forward pass failed");
                            CHECK(backward(t, function, y, dy, dx, 1, n, temperatures[k]) ==
                                      PSM_OK,
                                  "backward pass failed");
                            sprintf(what, "gradient kind %d, x scale %g%s", kind, scale,
                                    trial ? ", with -inf entries" : "");
                            check_row_accuracy(t, d, function, y, dy, dx, n, temperatures[k],
                                               what);
                            free(x);
                            free(y);
                            free(dy);
                            free(dx);
                        }
    }
}

/* Temperatures at the ends of the range, and gradients at the ends of
 * theirs (the float64 kernels scale them): still within the bound. */
static void test_extreme_ranges(void)
{
    static const double f64_temperatures[] = {0x1p-1000, 0x1p-600, 0x1p600, 0x1p1000, 5e-324};
    static const double f32_temperatures[] = {0x1p-140, 0x1p-100, 0x1p100, 0x1p126};
    static const int f64_gradient_exponents[] = {-1070, -1000, -900, -800, 0, 800, 900, 1000};
    static const int f32_gradient_exponents[] = {-140, -120, 0, 100, 120};
    psm_rng rng = psm_rng_seed(7);
    size_t d, k, e, i;
    int function;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        int f32 = t->size == sizeof(float);
        const double *temperatures = f32 ? f32_temperatures : f64_temperatures;
        const int *exponents = f32 ? f32_gradient_exponents : f64_gradient_exponents;
        size_t temperature_count = f32 ? 4 : 5, exponent_count = f32 ? 5 : 8;
        if (!f32 && LDBL_MANT_DIG < 64)
            continue;
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++)
            for (k = 0; k < temperature_count; k++)
                for (e = 0; e < exponent_count; e++) {
                    const size_t n = 40;
                    void *x = sentinel_buffer(t, n), *y = sentinel_buffer(t, n);
                    void *dy = sentinel_buffer(t, n), *dx = sentinel_buffer(t, n);
                    for (i = 0; i < n; i++) {
                        set(t, x, i, psm_rng_normalish(&rng) * 3.0);
                        set(t, dy, i, ldexp(psm_rng_normalish(&rng), exponents[e]));
                    }
                    /* the forward pass at T = 1: y's own range is not the point here */
                    t->normalize[function](x, y, 1, n, 1.0);
                    CHECK(backward(t, function, y, dy, dx, 1, n, temperatures[k]) == PSM_OK,
                          "backward pass failed");
                    check_row_accuracy(t, d, function, y, dy, dx, n, temperatures[k],
                                       "extreme ranges");
                    free(x);
                    free(y);
                    free(dy);
                    free(dx);
                }
    }
}

/* ------------------------------------------------------------ the rules */

/* Entries that do not count get +0, and a NaN or infinity of dy there
 * changes nothing else: the row equals the one with 0 in dy there. */
static void test_finite_gradients(void)
{
    const size_t n = 70;
    psm_rng rng = psm_rng_seed(11);
    size_t d, i;
    int function, poison;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++)
            for (poison = 0; poison < 3; poison++) {
                void *x = sentinel_buffer(t, n), *y = sentinel_buffer(t, n);
                void *dy = sentinel_buffer(t, n), *dy_clean = sentinel_buffer(t, n);
                void *dx = sentinel_buffer(t, n), *dx_clean = sentinel_buffer(t, n);
                const double poisons[3] = {NAN, INFINITY, -INFINITY};
                for (i = 0; i < n; i++) {
                    int masked = i % 4 == 1;
                    set(t, x, i, masked ? -INFINITY : psm_rng_normalish(&rng));
                    set(t, dy, i, masked ? poisons[poison] : psm_rng_normalish(&rng));
                    set(t, dy_clean, i, masked ? 0.0 : get(t, dy, i));
                }
                set(t, x, 2, -2000.0); /* softmax: an underflowed probability, y == 0 */
                if (function == SOFTMAX) {
                    set(t, dy, 2, poisons[poison]);
                    set(t, dy_clean, 2, 0.0);
                }
                t->normalize[function](x, y, 1, n, 0.8);
                CHECK(backward(t, function, y, dy, dx, 1, n, 0.8) == PSM_OK, "failed");
                CHECK(backward(t, function, y, dy_clean, dx_clean, 1, n, 0.8) == PSM_OK,
                      "failed");
                for (i = 0; i < n; i++) {
                    double got = get(t, dx, i);
                    if (!counts(function, get(t, y, i)))
                        CHECK(is_positive_zero(t, got), "%s_%s: dx[%lu] = %g, not +0",
                              function_names_b[function], t->name, (unsigned long)i, got);
                    CHECK(isfinite(got) && ulp_distance(t, got, get(t, dx_clean, i)) == 0,
                          "%s_%s poison %d: dx[%lu] = %g, %g without the poison",
                          function_names_b[function], t->name, poison, (unsigned long)i, got,
                          get(t, dx_clean, i));
                }
                free(x);
                free(y);
                free(dy);
                free(dy_clean);
                free(dx);
                free(dx_clean);
            }
    }
}

/* A NaN row of the forward pass gives NaN wherever y counts; a row where
 * nothing counts gives +0 everywhere; T = 0 and T = inf give +0 everywhere,
 * whatever y and dy hold. */
static void test_special_rows(void)
{
    size_t d, i, k;
    int function;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++) {
            const size_t n = 37;
            void *x = sentinel_buffer(t, n), *y = sentinel_buffer(t, n);
            void *dy = sentinel_buffer(t, n), *dx = sentinel_buffer(t, n);
            const double limits[2] = {0.0, INFINITY};
            for (i = 0; i < n; i++) {
                set(t, x, i, -INFINITY);
                set(t, dy, i, (double)i - 3.0);
            }
            t->normalize[function](x, y, 1, n, 1.0); /* all -inf: NaN */
            CHECK(backward(t, function, y, dy, dx, 1, n, 1.0) == PSM_OK, "failed");
            for (i = 0; i < n; i++)
                CHECK(isnan(get(t, dx, i)), "%s_%s: NaN row gave dx[%lu] = %g",
                      function_names_b[function], t->name, (unsigned long)i, get(t, dx, i));
            for (i = 0; i < n; i++) /* nothing counts */
                set(t, y, i, function == SOFTMAX ? 0.0 : -INFINITY);
            set(t, dy, 0, NAN);
            CHECK(backward(t, function, y, dy, dx, 1, n, 1.0) == PSM_OK, "failed");
            for (i = 0; i < n; i++)
                CHECK(is_positive_zero(t, get(t, dx, i)), "%s_%s: empty row gave dx[%lu] = %g",
                      function_names_b[function], t->name, (unsigned long)i, get(t, dx, i));
            for (k = 0; k < 2; k++) {
                for (i = 0; i < n; i++) {
                    set(t, y, i, i % 5 == 0 ? NAN : 1.0 / (double)n);
                    set(t, dy, i, i % 7 == 0 ? NAN : 1.0);
                }
                CHECK(backward(t, function, y, dy, dx, 1, n, limits[k]) == PSM_OK, "failed");
                for (i = 0; i < n; i++)
                    CHECK(is_positive_zero(t, get(t, dx, i)), "%s_%s T=%g: dx[%lu] = %g",
                          function_names_b[function], t->name, limits[k], (unsigned long)i,
                          get(t, dx, i));
            }
            free(x);
            free(y);
            free(dy);
            free(dx);
        }
    }
}

/* Rows the float64 kernels hand to the plain method: the formulas as IEEE
 * arithmetic evaluates them (float32 gets the same from its kernel). */
static void test_plain_rows(void)
{
    size_t d;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        void *y = sentinel_buffer(t, 3), *dy = sentinel_buffer(t, 3), *dx = sentinel_buffer(t, 3);
        /* softmax: s = inf, so 0.5 (inf - inf) and 0.25 (1 - inf) */
        set(t, y, 0, 0.5);
        set(t, y, 1, 0.25);
        set(t, y, 2, 0.25);
        set(t, dy, 0, INFINITY);
        set(t, dy, 1, 1.0);
        set(t, dy, 2, 2.0);
        CHECK(backward(t, SOFTMAX, y, dy, dx, 1, 3, 1.0) == PSM_OK, "failed");
        CHECK(isnan(get(t, dx, 0)) && get(t, dx, 1) == -INFINITY && get(t, dx, 2) == -INFINITY,
              "softmax_backward_%s with an infinite dy: %g %g %g", t->name, get(t, dx, 0),
              get(t, dx, 1), get(t, dx, 2));
        /* log_softmax: S = inf */
        set(t, y, 0, log(0.5));
        set(t, y, 1, log(0.25));
        set(t, y, 2, log(0.25));
        CHECK(backward(t, LOG_SOFTMAX, y, dy, dx, 1, 3, 1.0) == PSM_OK, "failed");
        CHECK(isnan(get(t, dx, 0)) && get(t, dx, 1) == -INFINITY && get(t, dx, 2) == -INFINITY,
              "log_softmax_backward_%s with an infinite dy: %g %g %g", t->name, get(t, dx, 0),
              get(t, dx, 1), get(t, dx, 2));
        /* a NaN in dy where y counts: the whole row (softmax), its own
         * entry and, through S, every other (log_softmax) */
        set(t, dy, 0, NAN);
        CHECK(backward(t, LOG_SOFTMAX, y, dy, dx, 1, 3, 1.0) == PSM_OK, "failed");
        CHECK(isnan(get(t, dx, 0)) && isnan(get(t, dx, 1)) && isnan(get(t, dx, 2)),
              "log_softmax_backward_%s with a NaN dy", t->name);
        free(y);
        free(dy);
        free(dx);
    }
}

/* ----------------------------------------------------- layouts, in place */

/* In place (dx == dy, dx == y) and every strided layout give the bits of the
 * contiguous call: rows long enough to take several pieces, a transposed
 * layout, reversed entries, and a dy broadcast along the row (stride 0). */
static void test_layouts(void)
{
    enum { ROWS = 3, N = 2100 };
    psm_rng rng = psm_rng_seed(5);
    size_t d, r, i;
    int function;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        size_t e = t->size;
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++) {
            char *x = sentinel_buffer(t, ROWS * N), *y = sentinel_buffer(t, ROWS * N);
            char *dy = sentinel_buffer(t, ROWS * N), *expected = sentinel_buffer(t, ROWS * N);
            char *yt = sentinel_buffer(t, ROWS * N), *dyt = sentinel_buffer(t, ROWS * N);
            char *dx = sentinel_buffer(t, ROWS * N), *copy = sentinel_buffer(t, ROWS * N);
            char *broadcast = sentinel_buffer(t, ROWS);
            for (i = 0; i < ROWS * N; i++) {
                set(t, x, i, i % 97 == 3 ? -INFINITY : psm_rng_normalish(&rng) * 4.0);
                set(t, dy, i, psm_rng_normalish(&rng));
            }
            t->normalize[function](x, y, ROWS, N, 0.7);
            CHECK(backward(t, function, y, dy, expected, ROWS, N, 0.7) == PSM_OK, "failed");
            /* in place, over dy and over y */
            memcpy(copy, dy, ROWS * N * e);
            CHECK(backward(t, function, y, copy, copy, ROWS, N, 0.7) == PSM_OK, "failed");
            CHECK(memcmp(copy, expected, ROWS * N * e) == 0, "%s_%s: dx == dy differs",
                  function_names_b[function], t->name);
            memcpy(copy, y, ROWS * N * e);
            CHECK(backward(t, function, copy, dy, copy, ROWS, N, 0.7) == PSM_OK, "failed");
            CHECK(memcmp(copy, expected, ROWS * N * e) == 0, "%s_%s: dx == y differs",
                  function_names_b[function], t->name);
            /* transposed: entry i of row r at [i * ROWS + r] */
            for (r = 0; r < ROWS; r++)
                for (i = 0; i < N; i++) {
                    set(t, yt, i * ROWS + r, get(t, y, r * N + i));
                    set(t, dyt, i * ROWS + r, get(t, dy, r * N + i));
                }
            CHECK(backward_strided(t, function, yt, 1, ROWS, dyt, 1, ROWS, dx, 1, ROWS, ROWS, N,
                                   0.7) == PSM_OK,
                  "failed");
            for (r = 0; r < ROWS; r++)
                for (i = 0; i < N; i++)
                    CHECK(ulp_distance(t, get(t, dx, i * ROWS + r), get(t, expected, r * N + i)) ==
                              0,
                          "%s_%s transposed: row %lu entry %lu", function_names_b[function],
                          t->name, (unsigned long)r, (unsigned long)i);
            /* transposed, in place over dy */
            CHECK(backward_strided(t, function, yt, 1, ROWS, dyt, 1, ROWS, dyt, 1, ROWS, ROWS, N,
                                   0.7) == PSM_OK,
                  "failed");
            CHECK(memcmp(dyt, dx, ROWS * N * e) == 0, "%s_%s transposed in place differs",
                  function_names_b[function], t->name);
            /* reversed: every row read and written from its end */
            CHECK(backward_strided(t, function, y + (N - 1) * e, (ptrdiff_t)N, -1,
                                   dy + (N - 1) * e, (ptrdiff_t)N, -1, dx + (N - 1) * e,
                                   (ptrdiff_t)N, -1, ROWS, N, 0.7) == PSM_OK,
                  "failed");
            CHECK(memcmp(dx, expected, ROWS * N * e) == 0, "%s_%s reversed differs",
                  function_names_b[function], t->name);
            /* dy the same along each row: stride 0 */
            for (r = 0; r < ROWS; r++) {
                set(t, broadcast, r, 0.25 * (double)r - 0.3);
                for (i = 0; i < N; i++)
                    set(t, copy, r * N + i, get(t, broadcast, r));
            }
            CHECK(backward(t, function, y, copy, expected, ROWS, N, 0.7) == PSM_OK, "failed");
            CHECK(backward_strided(t, function, y, (ptrdiff_t)N, 1, broadcast, 1, 0, dx,
                                   (ptrdiff_t)N, 1, ROWS, N, 0.7) == PSM_OK,
                  "failed");
            CHECK(memcmp(dx, expected, ROWS * N * e) == 0, "%s_%s broadcast dy differs",
                  function_names_b[function], t->name);
            free(x);
            free(y);
            free(dy);
            free(expected);
            free(yt);
            free(dyt);
            free(dx);
            free(copy);
            free(broadcast);
        }
    }
}

/* ---------------------------------------------------------- bad arguments */

static int unchanged(const dtype *t, const void *buffer, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++)
        if (get(t, buffer, i) != -12345.6875)
            return 0;
    return 1;
}

static void test_bad_arguments(void)
{
    size_t d;
    int function;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        size_t e = t->size;
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++) {
            const char *name = function_names_b[function];
            char *y = sentinel_buffer(t, 64), *dy = sentinel_buffer(t, 64);
            char *dx = sentinel_buffer(t, 64);
            size_t huge = ((size_t)-1) / 4;
#define EXPECT(call, status, what)                                                                \
    CHECK((call) == (status) && unchanged(t, dx, 64), "%s_%s %s: not %d or written", name,       \
          t->name, what, status)
            EXPECT(backward(t, function, NULL, dy, dx, 2, 8, 1.0), PSM_E_NULL_POINTER, "y NULL");
            EXPECT(backward(t, function, y, NULL, dx, 2, 8, 1.0), PSM_E_NULL_POINTER, "dy NULL");
            EXPECT(backward(t, function, y, dy, NULL, 2, 8, 1.0), PSM_E_NULL_POINTER, "dx NULL");
            EXPECT(backward(t, function, NULL, NULL, NULL, 0, 8, 1.0), PSM_OK, "empty, NULL");
            EXPECT(backward(t, function, NULL, NULL, NULL, 3, 0, 1.0), PSM_OK, "n 0, NULL");
            EXPECT(backward(t, function, y, dy, dx, huge, 8, 1.0), PSM_E_SIZE_OVERFLOW,
                   "rows * n overflow");
            EXPECT(backward(t, function, NULL, dy, dx, huge, 8, 1.0), PSM_E_SIZE_OVERFLOW,
                   "overflow before NULL");
            EXPECT(backward(t, function, y, dy, y + e, 2, 8, 1.0), PSM_E_OVERLAP,
                   "dx overlaps y");
            EXPECT(backward(t, function, y, dy, dy + 3 * e, 2, 8, 1.0), PSM_E_OVERLAP,
                   "dx overlaps dy");
            EXPECT(backward(t, function, NULL, dy, dy + e, 2, 8, 1.0), PSM_E_NULL_POINTER,
                   "NULL before overlap");
            EXPECT(backward(t, function, y, dy, dx, 2, 8, -1.0), PSM_E_TEMPERATURE,
                   "negative temperature");
            EXPECT(backward(t, function, y, dy, dx, 2, 8, -INFINITY), PSM_E_TEMPERATURE,
                   "-inf temperature");
            EXPECT(backward(t, function, y, dy, dx, 2, 8, NAN), PSM_E_TEMPERATURE,
                   "NaN temperature");
            EXPECT(backward(t, function, y, dy, y + e, 2, 8, NAN), PSM_E_OVERLAP,
                   "overlap before temperature");
            /* y and dy may overlap each other (both are read only) */
            CHECK(backward(t, function, y, y + e, dx, 2, 8, 1.0) == PSM_OK,
                  "%s_%s: overlapping inputs refused", name, t->name);
            memset(dx, 0, 64 * e);
            {
                size_t i;
                for (i = 0; i < 64; i++)
                    set(t, dx, i, -12345.6875);
            }
            /* strided */
            EXPECT(backward_strided(t, function, y, 8, 1, dy, 8, 1, dx, 8, 0, 2, 8, 1.0),
                   PSM_E_STRIDE, "dx entry stride 0");
            EXPECT(backward_strided(t, function, y, 8, 1, dy, 8, 1, dx, 0, 1, 2, 8, 1.0),
                   PSM_E_STRIDE, "dx row stride 0");
            EXPECT(backward_strided(t, function, y, 8, 1, dy, 8, 1, dx, 4, 1, 2, 8, 1.0),
                   PSM_E_STRIDE, "dx rows overlapping");
            EXPECT(backward_strided(t, function, y, 8, 1, dy, 8, 1, dx, PTRDIFF_MAX, 1, 2, 8,
                                    1.0),
                   PSM_E_SIZE_OVERFLOW, "huge dx stride");
            EXPECT(backward_strided(t, function, y, 8, 1, dy, PTRDIFF_MIN, 1, dx, 8, 1, 2, 8,
                                    1.0),
                   PSM_E_SIZE_OVERFLOW, "PTRDIFF_MIN dy stride");
            EXPECT(backward_strided(t, function, y, 8, 1, dy, 8, 1, y, 8, 2, 2, 4, 1.0),
                   PSM_E_OVERLAP, "dx == y, other strides");
            EXPECT(backward_strided(t, function, y, 8, 1, NULL, 8, 1, dx, 8, 0, 2, 8, 1.0),
                   PSM_E_NULL_POINTER, "NULL before stride");
            EXPECT(backward_strided(t, function, y, 8, 1, dy, 8, 1, dx, 8, 1, 2, 8, NAN),
                   PSM_E_TEMPERATURE, "strided NaN temperature");
#undef EXPECT
            free(y);
            free(dy);
            free(dx);
        }
    }
}

/* One temperature per row: each row as the strided call with its own T, bit
 * for bit; rows at T = 0 and inf +0; stride 0 the one-temperature call; a bad
 * temperature in any row, a NULL or overlapping temperature array refused
 * with nothing written. */
static void test_general(void)
{
    enum { ROWS = 5, N = 1300 };
    psm_rng rng = psm_rng_seed(9);
    size_t d, r, i;
    int function;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        size_t e = t->size;
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++) {
            const char *name = function_names_b[function];
            const double values[ROWS] = {0.7, 0.0, 3.0, INFINITY, 1e-3};
            char *x = sentinel_buffer(t, ROWS * N), *y = sentinel_buffer(t, ROWS * N);
            char *dy = sentinel_buffer(t, ROWS * N), *dx = sentinel_buffer(t, ROWS * N);
            char *row = sentinel_buffer(t, N), *temperatures = sentinel_buffer(t, 2 * ROWS);
            char *scratch = sentinel_buffer(t, ROWS * N + 8);
            for (i = 0; i < ROWS * N; i++) {
                set(t, x, i, i % 89 == 5 ? -INFINITY : psm_rng_normalish(&rng) * 3.0);
                set(t, dy, i, i % 61 == 7 ? NAN : psm_rng_normalish(&rng));
            }
            for (r = 0; r < ROWS; r++) /* every other element: stride 2 */
                set(t, temperatures, 2 * r, values[r]);
            t->normalize[function](x, y, ROWS, N, 1.0);
            CHECK(backward_general(t, function, y, N, 1, dy, N, 1, temperatures, 2, dx, N, 1,
                                   ROWS, N) == PSM_OK,
                  "%s_general_%s failed", name, t->name);
            for (r = 0; r < ROWS; r++) {
                CHECK(backward_strided(t, function, y + r * N * e, N, 1, dy + r * N * e, N, 1,
                                       row, N, 1, 1, N, values[r]) == PSM_OK,
                      "failed");
                CHECK(memcmp(row, dx + r * N * e, N * e) == 0,
                      "%s_general_%s: row %lu (T=%g) differs from the strided call", name,
                      t->name, (unsigned long)r, values[r]);
                if (values[r] == 0.0 || values[r] == INFINITY)
                    for (i = 0; i < N; i++)
                        CHECK(is_positive_zero(t, get(t, dx, r * N + i)),
                              "%s_general_%s: T=%g row not +0", name, t->name, values[r]);
            }
            /* stride 0: one temperature for every row */
            CHECK(backward_general(t, function, y, N, 1, dy, N, 1, temperatures, 0, dx, N, 1,
                                   ROWS, N) == PSM_OK,
                  "failed");
            CHECK(backward(t, function, y, dy, scratch, ROWS, N, values[0]) == PSM_OK, "failed");
            CHECK(memcmp(scratch, dx, ROWS * N * e) == 0, "%s_general_%s: stride 0 differs",
                  name, t->name);
            /* refused, nothing written */
            for (i = 0; i < ROWS * N + 8; i++)
                set(t, scratch, i, -12345.6875);
            set(t, temperatures, 2 * 3, -1.0);
            CHECK(backward_general(t, function, y, N, 1, dy, N, 1, temperatures, 2, scratch, N,
                                   1, ROWS, N) == PSM_E_TEMPERATURE &&
                      unchanged(t, scratch, ROWS * N + 8),
                  "%s_general_%s: a negative T in row 3 not refused", name, t->name);
            set(t, temperatures, 2 * 3, NAN);
            CHECK(backward_general(t, function, y, N, 1, dy, N, 1, temperatures, 2, scratch, N,
                                   1, ROWS, N) == PSM_E_TEMPERATURE &&
                      unchanged(t, scratch, ROWS * N + 8),
                  "%s_general_%s: a NaN T in row 3 not refused", name, t->name);
            CHECK(backward_general(t, function, y, N, 1, dy, N, 1, NULL, 1, scratch, N, 1, ROWS,
                                   N) == PSM_E_NULL_POINTER &&
                      unchanged(t, scratch, ROWS * N + 8),
                  "%s_general_%s: NULL temperatures not refused", name, t->name);
            CHECK(backward_general(t, function, y, N, 1, dy, N, 1, scratch + e, 1, scratch, N, 1,
                                   ROWS, N) == PSM_E_OVERLAP &&
                      unchanged(t, scratch, ROWS * N + 8),
                  "%s_general_%s: temperatures inside dx not refused", name, t->name);
            CHECK(backward_general(t, function, NULL, N, 1, NULL, N, 1, NULL, 1, NULL, N, 1, 0,
                                   N) == PSM_OK,
                  "%s_general_%s: no rows", name, t->name);
            free(x);
            free(y);
            free(dy);
            free(dx);
            free(row);
            free(temperatures);
            free(scratch);
        }
    }
}

/* The caller's floating-point flags are left as they were. */
static void test_flags_untouched(void)
{
    float y[4] = {0.0f, 0.25f, 0.75f, 0.0f}, dy[4] = {NAN, 1e30f, -1e30f, 1.0f}, dx[4];
    double yd[4] = {0.0, 1e-310, 1.0, 0.0}, dyd[4] = {1.0, 1e300, -1e300, 2.0}, dxd[4];
    feclearexcept(FE_ALL_EXCEPT);
    psm_softmax_backward_f32(y, dy, dx, 1, 4, 1e-30f);
    psm_log_softmax_backward_f32(y, dy, dx, 1, 4, 1e-30f);
    psm_softmax_backward_f64(yd, dyd, dxd, 1, 4, 1e-300);
    psm_log_softmax_backward_f64(yd, dyd, dxd, 1, 4, 1e-300);
    CHECK(fetestexcept(FE_ALL_EXCEPT) == 0, "the backward functions left flags raised");
}

int main(void)
{
    size_t d;
    int function;
    test_accuracy();
    test_extreme_ranges();
    test_finite_gradients();
    test_special_rows();
    test_plain_rows();
    test_layouts();
    test_bad_arguments();
    test_general();
    test_flags_untouched();
    for (d = 0; d < 2; d++)
        for (function = SOFTMAX; function <= LOG_SOFTMAX; function++)
            if (accuracy_checks[d][function] > 0)
                printf("%s_%s (%s): worst %g ULP where the condition number is <= 2, %g "
                       "anywhere, %ld entries\n",
                       function_names_b[function], dtypes[d].name, psm_isa(),
                       worst_well_conditioned[d][function], worst_any[d][function],
                       accuracy_checks[d][function]);
    return psm_test_finish("test_backward");
}
