/*
 * test_sampling.c -- psm_sample_* and psm_sample_noise: the generator
 * (Philox4x32-10 against Random123's known answers, the logarithm against
 * libm's long double one, the noise's range), every draw against the full
 * argmax of the keys computed here from psm_sample_noise (so the skipping
 * of hopeless entries changes nothing), the frequencies against
 * softmax(x / T), the special rows and temperatures, strided rows and
 * first_row, and every bad argument (status, nothing written, flags kept).
 * Built twice: against the shared and the static library.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psm_test.h"
#include "sample_reference.h"
#include "pysoftmax.h"
#include "sampling_noise.h"

#define SENTINEL_INDEX INT64_C(-777)

/* ------------------------------------------------------------- the generator */

static void test_philox_known_answers(void)
{
    /* Random123 1.14, tests/kat_vectors, the three "philox4x32 10" lines:
     * counter (4 words), key (2 words), expected (4 words). */
    static const uint32_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
        {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu,
         0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
        {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u,
         0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u},
    };
    int c, w;
    for (c = 0; c < 3; c++) {
        uint32_t out[4];
        out[0] = cases[c][0];
        out[1] = cases[c][1];
        out[2] = cases[c][2];
        out[3] = cases[c][3];
        psm_philox4x32_10(out, out + 1, out + 2, out + 3, 1, cases[c] + 4);
        for (w = 0; w < 4; w++)
            CHECK(out[w] == cases[c][6 + w], "philox4x32_10 case %d word %d: %08lx, expected %08lx",
                  c, w, (unsigned long)out[w], (unsigned long)cases[c][6 + w]);
    }
}

/* The ULP distance of the library's logarithm from libm's long double one. */
static double log_error_ulp(double v)
{
    long double exact = logl((long double)v);
    double got = psm_noise_log(v);
    double spacing = nextafter(fabs((double)exact), INFINITY) - fabs((double)exact);
    return (double)(fabsl((long double)got - exact) / (long double)spacing);
}

static void test_logarithm(void)
{
    psm_rng rng = psm_rng_seed(11);
    double worst = 0.0, v, error;
    int i;
    for (i = 0; i < 200000; i++) {
        /* the two ranges the noise uses: u in (0, 1), -log(u) in (0, 37) */
        v = i % 2 ? psm_rng_uniform(&rng) + 0x1p-60 : 37.0 * psm_rng_uniform(&rng) + 0x1p-60;
        if (i % 7 == 0)
            v = ldexp(1.0 + psm_rng_uniform(&rng), (int)psm_rng_below(&rng, 120) - 60);
        error = log_error_ulp(v);
        if (error > worst)
            worst = error;
    }
    /* near 1, where log is smallest, and the edges of the reduction */
    {
        static const double edges[] = {1.0 - 0x1p-53, 1.0 + 0x1p-52, 0x1.6a09e667f3bcdp+0,
                                       0x1.6a09e667f3bccp+0, 0x1p-53, 0.5, 2.0, 36.7368005696771};
        size_t k;
        for (k = 0; k < sizeof edges / sizeof edges[0]; k++) {
            error = log_error_ulp(edges[k]);
            if (error > worst)
                worst = error;
        }
    }
    CHECK(psm_noise_log(1.0) == 0.0, "log(1) = %g", psm_noise_log(1.0));
    {
        /* Only a long double that is wider at run time is a reference (valgrind
         * computes the x87's long double in double precision). */
        volatile long double one = 1.0L, tiny = 0x1p-60L;
        if (one + tiny != one) {
            CHECK(worst <= 1.0, "the noise's logarithm is %.2f ULP off libm's long double log",
                  worst);
            printf("noise logarithm: worst error %.3f ULP\n", worst);
        } else {
            printf("noise logarithm: not checked (long double is no wider than double here)\n");
        }
    }
}

static void test_noise(void)
{
    double low = INFINITY, high = -INFINITY, u, g;
    uint64_t row, column;
    int i;
    /* The extremes of u, (2k + 1) 2^-53 with k = 0 and 2^52 - 1. */
    g = -psm_noise_log(-psm_noise_log(1.0 - 0x1p-53));
    CHECK(g <= PSM_NOISE_GUMBEL_BOUND && g > 36.7, "the largest noise %.17g", g);
    g = -psm_noise_log(-psm_noise_log(0x1p-53));
    CHECK(g > -3.61 && g < -3.6, "the smallest noise %.17g", g);
    for (i = 0; i < 100000; i++) {
        row = (uint64_t)i * 0x9e3779b97f4a7c15u;
        column = (uint64_t)i;
        psm_noise_uniforms(12345, row, column, 1, &u);
        CHECK(u > 0.0 && u < 1.0, "u(%d) = %.17g", i, u);
        g = psm_sample_noise(12345, row, column);
        CHECK(g == psm_noise_gumbel(12345, row, column), "psm_sample_noise is the header's noise");
        if (g < low)
            low = g;
        if (g > high)
            high = g;
    }
    CHECK(low > -3.61 && high < PSM_NOISE_GUMBEL_BOUND, "noise range [%g, %g]", low, high);
    /* Different seeds, rows and columns give different noise. */
    CHECK(psm_sample_noise(1, 0, 0) != psm_sample_noise(2, 0, 0), "seeds 1 and 2 agree");
    CHECK(psm_sample_noise(1, 0, 0) != psm_sample_noise(1, 1, 0), "rows 0 and 1 agree");
    CHECK(psm_sample_noise(1, 0, 0) != psm_sample_noise(1, 0, 1), "columns 0 and 1 agree");
    CHECK(psm_sample_noise(1, (uint64_t)1 << 32, 0) != psm_sample_noise(1, 0, 0),
          "row 2^32 is row 0");
    CHECK(psm_sample_noise((uint64_t)1 << 32, 0, 0) != psm_sample_noise(0, 0, 0),
          "seed 2^32 is seed 0");
    /* The mean of Gumbel noise is the Euler-Mascheroni constant. */
    {
        double sum = 0.0;
        for (i = 0; i < 200000; i++)
            sum += psm_sample_noise(7, (uint64_t)i, 3);
        sum /= 200000.0;
        CHECK(fabs(sum - 0.5772156649015329) < 5 * 1.2825 / sqrt(200000.0),
              "the noise's mean is %.5f, not 0.57722", sum);
    }
}

/* ------------------------------------------------------------------ the draws */


static void test_draws_are_the_argmax_of_the_keys(void)
{
    static const double temperatures[] = {1e-300, 1e-3, 0.1, 0.5, 1.0, 1.5, 3.0, 50.0, 1e300, 0.0};
    psm_rng rng = psm_rng_seed(5);
    double x[160];
    float x32[160];
    double widened[160];
    int trial;
    for (trial = 0; trial < 4000; trial++) {
        size_t n = 1 + psm_rng_below(&rng, trial % 4 == 0 ? 160 : 40), i; /* blocks of 32 */
        double temperature = temperatures[trial % 10];
        double scale = trial % 3 == 0 ? 40.0 : trial % 3 == 1 ? 3.0 : 1e300;
        uint64_t seed = psm_rng_next(&rng), row = psm_rng_next(&rng) >> (trial % 64);
        int64_t got = SENTINEL_INDEX;
        int status;
        for (i = 0; i < n; i++) {
            x[i] = scale * (psm_rng_uniform(&rng) * 2.0 - 1.0);
            if (trial % 11 == 0 && i % 3 == 0)
                x[i] = -INFINITY;
            if (trial % 13 == 0 && i % 4 == 1)
                x[i] = x[0]; /* ties */
        }
        if (trial % 17 == 0)
            x[n - 1] = INFINITY;
        if (trial % 11 == 0)
            x[n / 2] = 1.0; /* one entry above -inf at least */
        status = psm_sample_strided_f64(x, (ptrdiff_t)n, 1, 1, n, temperature, seed, row, &got);
        CHECK(status == PSM_OK, "trial %d: status %d", trial, status);
        CHECK(got == psm_reference_draw(x, n, temperature, seed, row),
              "trial %d (n %lu, T %g): drew %ld, the keys' argmax is %ld", trial,
              (unsigned long)n, temperature, (long)got,
              (long)psm_reference_draw(x, n, temperature, seed, row));
        /* float32: the same, on the rounded values and temperature */
        if (scale < 1e30) {
            for (i = 0; i < n; i++) {
                x32[i] = (float)x[i];
                widened[i] = (double)x32[i];
            }
            status = psm_sample_strided_f32(x32, (ptrdiff_t)n, 1, 1, n, (float)temperature, seed,
                                            row, &got);
            CHECK(status == PSM_OK, "trial %d f32: status %d", trial, status);
            CHECK(got == psm_reference_draw(widened, n, (double)(float)temperature, seed, row),
                  "trial %d f32: drew %ld", trial, (long)got);
        }
    }
}

/* Frequencies of 10^5 draws of "The boy ___ to the market" against
 * softmax(x / T) in long double: every count within 5 standard deviations. */
static void test_frequencies(void)
{
    enum { ROWS = 100000, N = 4 };
    static const double logits[N] = {38.0, 20.0, 40.0, 39.0};
    static const double temperatures[3] = {0.5, 1.0, 3.0};
    double *x = malloc(sizeof(double) * ROWS * N);
    int64_t *indices = malloc(sizeof(int64_t) * ROWS);
    int t;
    size_t r, i;
    if (x == NULL || indices == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (r = 0; r < ROWS; r++)
        memcpy(x + r * N, logits, sizeof logits);
    for (t = 0; t < 3; t++) {
        long counts[N] = {0, 0, 0, 0};
        long double total = 0.0L, p;
        int status = psm_sample_f64(x, ROWS, N, temperatures[t], 2024, indices);
        CHECK(status == PSM_OK, "frequencies: status %d", status);
        for (r = 0; r < ROWS; r++) {
            CHECK(indices[r] >= 0 && indices[r] < N, "index %ld", (long)indices[r]);
            if (indices[r] >= 0 && indices[r] < N)
                counts[indices[r]]++;
        }
        for (i = 0; i < N; i++)
            total += expl((long double)((logits[i] - 40.0) / temperatures[t]));
        for (i = 0; i < N; i++) {
            double expected;
            p = expl((long double)((logits[i] - 40.0) / temperatures[t])) / total;
            expected = (double)p * ROWS;
            CHECK(fabs((double)counts[i] - expected) <= 5.0 * sqrt(expected * (1.0 - (double)p)) + 1.0,
                  "T = %g, entry %lu: %ld draws, %.1f expected", temperatures[t],
                  (unsigned long)i, counts[i], expected);
        }
        if (t == 1)
            printf("T = 1: 'went' drawn %ld times in %d (softmax: 0.6652)\n", counts[2], ROWS);
    }
    free(x);
    free(indices);
}

static void test_special_rows(void)
{
    int64_t index[2];
    int status;
    {
        /* T = 0: the first maximal index, whatever the seed. */
        const double x[5] = {1, 7, 3, 7, -INFINITY};
        uint64_t seed;
        for (seed = 0; seed < 50; seed++) {
            status = psm_sample_f64(x, 1, 5, 0.0, seed, index);
            CHECK(status == PSM_OK && index[0] == 1, "T = 0: %ld", (long)index[0]);
        }
    }
    {
        /* Tiny temperatures: the unique maximum, never NaN. */
        const double x[4] = {38, 20, 40, 39};
        const float x32[4] = {38, 20, 40, 39};
        const float tiny32[3] = {0x1p-149f, FLT_MIN, 1e-30f};
        const double tiny64[3] = {0x1p-1074, DBL_MIN, 1e-30};
        int k;
        uint64_t seed;
        for (k = 0; k < 3; k++)
            for (seed = 0; seed < 200; seed++) {
                status = psm_sample_f64(x, 1, 4, tiny64[k], seed, index);
                CHECK(status == PSM_OK && index[0] == 2, "T = %g: %ld", tiny64[k], (long)index[0]);
                status = psm_sample_f32(x32, 1, 4, tiny32[k], seed, index);
                CHECK(status == PSM_OK && index[0] == 2, "f32 T = %g: %ld", (double)tiny32[k],
                      (long)index[0]);
            }
    }
    {
        /* Tied maxima at a tiny T: each of them, about evenly. */
        const double x[4] = {5, 1, 5, 5};
        long counts[4] = {0, 0, 0, 0};
        uint64_t seed;
        for (seed = 0; seed < 3000; seed++) {
            status = psm_sample_f64(x, 1, 4, 1e-300, seed, index);
            if (status == PSM_OK && index[0] >= 0 && index[0] < 4)
                counts[index[0]]++;
        }
        CHECK(counts[1] == 0 && counts[0] > 850 && counts[2] > 850 && counts[3] > 850,
              "tied maxima at T = 1e-300: %ld %ld %ld %ld", counts[0], counts[1], counts[2],
              counts[3]);
    }
    {
        /* T = inf: uniform over the entries above -inf; k entries +inf:
         * uniform over them (T = 0: the first of them). */
        const double x[5] = {-INFINITY, 3, -1e300, 1e300, -INFINITY};
        const double with_infinities[5] = {1, INFINITY, -INFINITY, INFINITY, 2};
        long uniform[5] = {0, 0, 0, 0, 0}, infinite[5] = {0, 0, 0, 0, 0};
        uint64_t seed;
        for (seed = 0; seed < 6000; seed++) {
            if (psm_sample_f64(x, 1, 5, INFINITY, seed, index) == PSM_OK)
                uniform[index[0]]++;
            if (psm_sample_f64(with_infinities, 1, 5, 1.0, seed, index) == PSM_OK)
                infinite[index[0]]++;
        }
        CHECK(uniform[0] == 0 && uniform[4] == 0 && uniform[1] > 1800 && uniform[2] > 1800 &&
                  uniform[3] > 1800,
              "T = inf: %ld %ld %ld %ld %ld", uniform[0], uniform[1], uniform[2], uniform[3],
              uniform[4]);
        CHECK(infinite[1] > 2800 && infinite[3] > 2800 && infinite[1] + infinite[3] == 6000,
              "+inf entries: %ld and %ld of 6000", infinite[1], infinite[3]);
        status = psm_sample_f64(with_infinities, 1, 5, 0.0, 9, index);
        CHECK(status == PSM_OK && index[0] == 1, "+inf entries at T = 0: %ld", (long)index[0]);
    }
    {
        /* Huge differences at a huge temperature: (x - max) overflows, the
         * halves do not: the low entry keeps its probability e^-2 / (1 + e^-2). */
        const double x[2] = {-1e308, 1e308};
        long low = 0;
        uint64_t seed;
        for (seed = 0; seed < 20000; seed++)
            if (psm_sample_f64(x, 1, 2, 1e308, seed, index) == PSM_OK && index[0] == 0)
                low++;
        CHECK(fabs((double)low - 20000 * 0.11920292202211755) < 5 * sqrt(20000 * 0.105),
              "x = [-1e308, 1e308], T = 1e308: the low entry drawn %ld times of 20000", low);
    }
    {
        /* One entry: always 0 (unless it is NaN or -inf). */
        const double x[1] = {-3};
        status = psm_sample_f64(x, 1, 1, 2.0, 1, index);
        CHECK(status == PSM_OK && index[0] == 0, "one entry: %ld", (long)index[0]);
    }
}

static void test_strided_and_first_row(void)
{
    enum { ROWS = 37, N = 23 };
    double x[ROWS][N], transposed[N][ROWS];
    int64_t whole[ROWS], split[ROWS], columns[ROWS], reversed[ROWS];
    psm_rng rng = psm_rng_seed(3);
    size_t r, i;
    int status;
    for (r = 0; r < ROWS; r++)
        for (i = 0; i < N; i++)
            transposed[i][r] = x[r][i] = 4.0 * psm_rng_normalish(&rng);
    status = psm_sample_f64(&x[0][0], ROWS, N, 1.0, 99, whole);
    CHECK(status == PSM_OK, "contiguous: %d", status);
    /* two calls, rows 0..9 and 10..36 with first_row 10 */
    status = psm_sample_strided_f64(&x[0][0], N, 1, 10, N, 1.0, 99, 0, split);
    CHECK(status == PSM_OK, "first block: %d", status);
    status = psm_sample_strided_f64(&x[10][0], N, 1, ROWS - 10, N, 1.0, 99, 10, split + 10);
    CHECK(status == PSM_OK, "second block: %d", status);
    /* the rows as the columns of the transposed matrix */
    status = psm_sample_strided_f64(&transposed[0][0], 1, ROWS, ROWS, N, 1.0, 99, 0, columns);
    CHECK(status == PSM_OK, "columns: %d", status);
    /* the rows in reverse order, numbered so (row ROWS-1-r is row r of the call) */
    for (r = 0; r < ROWS; r++) {
        status = psm_sample_strided_f64(&x[ROWS - 1 - r][0], -(ptrdiff_t)N, 1, 1, N, 1.0, 99,
                                        ROWS - 1 - r, reversed + r);
        CHECK(status == PSM_OK, "reversed: %d", status);
    }
    for (r = 0; r < ROWS; r++) {
        CHECK(whole[r] == split[r], "row %lu: %ld in one call, %ld in two", (unsigned long)r,
              (long)whole[r], (long)split[r]);
        CHECK(whole[r] == columns[r], "row %lu: %ld contiguous, %ld as a column", (unsigned long)r,
              (long)whole[r], (long)columns[r]);
        CHECK(whole[ROWS - 1 - r] == reversed[r], "row %lu reversed", (unsigned long)r);
        CHECK(whole[r] == psm_reference_draw(x[r], N, 1.0, 99, r), "row %lu: not the keys' argmax",
              (unsigned long)r);
    }
    /* a broadcast row (row stride 0): the same logits, a different draw per row */
    {
        int64_t broadcast[ROWS];
        int differ = 0;
        status = psm_sample_strided_f64(&x[0][0], 0, 1, ROWS, N, 1.0, 99, 0, broadcast);
        CHECK(status == PSM_OK, "broadcast: %d", status);
        for (r = 0; r < ROWS; r++) {
            CHECK(broadcast[r] == psm_reference_draw(x[0], N, 1.0, 99, r), "broadcast row %lu",
                  (unsigned long)r);
            differ |= broadcast[r] != broadcast[0];
        }
        CHECK(differ, "every broadcast row drew the same index");
    }
    /* other seeds give other draws */
    {
        int64_t other[ROWS];
        int same = 0;
        status = psm_sample_f64(&x[0][0], ROWS, N, 1.0, 100, other);
        for (r = 0; r < ROWS; r++)
            same += other[r] == whole[r];
        CHECK(status == PSM_OK && same < ROWS, "seeds 99 and 100 drew the same %d rows", same);
    }
}

/* ------------------------------------------------------------------ bad arguments */

static void expect_status(int status, int expected, const int64_t *indices, size_t count,
                          const char *what)
{
    size_t i;
    int untouched = 1;
    CHECK(status == expected, "%s: status %d, expected %d", what, status, expected);
    for (i = 0; i < count; i++)
        untouched &= indices[i] == SENTINEL_INDEX;
    CHECK(untouched, "%s: wrote to indices", what);
}

static void test_bad_arguments(void)
{
    double x[6] = {1, 2, 3, 4, 5, 6};
    float x32[6] = {1, 2, 3, 4, 5, 6};
    int64_t indices[4] = {SENTINEL_INDEX, SENTINEL_INDEX, SENTINEL_INDEX, SENTINEL_INDEX};
    double nan_row[6] = {1, 2, 3, 4, NAN, 6};
    double dead_row[6] = {1, 2, 3, -INFINITY, -INFINITY, -INFINITY};
    int64_t *as_indices = (int64_t *)(void *)x;

    expect_status(psm_sample_f64(NULL, 2, 3, 1.0, 0, indices), PSM_E_NULL_POINTER, indices, 4,
                  "x NULL");
    expect_status(psm_sample_f64(x, 2, 3, 1.0, 0, NULL), PSM_E_NULL_POINTER, indices, 4,
                  "indices NULL");
    expect_status(psm_sample_f64(NULL, 0, 3, 1.0, 0, NULL), PSM_OK, indices, 4, "no rows");
    expect_status(psm_sample_f32(NULL, 0, 0, 1.0f, 0, NULL), PSM_OK, indices, 4, "nothing");
    expect_status(psm_sample_f64(NULL, 2, 0, 1.0, 0, indices), PSM_E_NO_DISTRIBUTION, indices, 4,
                  "empty rows");
    expect_status(psm_sample_f64(x, 2, 3, -1.0, 0, indices), PSM_E_TEMPERATURE, indices, 4,
                  "T = -1");
    expect_status(psm_sample_f64(x, 2, 3, NAN, 0, indices), PSM_E_TEMPERATURE, indices, 4,
                  "T = NaN");
    expect_status(psm_sample_f32(x32, 2, 3, -INFINITY, 0, indices), PSM_E_TEMPERATURE, indices, 4,
                  "f32 T = -inf");
    expect_status(psm_sample_f32(x32, 2, 3, NAN, 0, indices), PSM_E_TEMPERATURE, indices, 4,
                  "f32 T = NaN");
    expect_status(psm_sample_f64(nan_row, 2, 3, 1.0, 0, indices), PSM_E_NO_DISTRIBUTION, indices,
                  4, "a NaN in row 1");
    expect_status(psm_sample_f64(nan_row, 2, 3, 0.0, 0, indices), PSM_E_NO_DISTRIBUTION, indices,
                  4, "a NaN in row 1, T = 0");
    expect_status(psm_sample_f64(dead_row, 2, 3, INFINITY, 0, indices), PSM_E_NO_DISTRIBUTION,
                  indices, 4, "row 1 all -inf");
    expect_status(psm_sample_f64(x, 2, 3, 1.0, 0, as_indices), PSM_E_OVERLAP, indices, 4,
                  "indices on x");
    expect_status(psm_sample_f64(x, 2, 3, 1.0, 0, as_indices + 5), PSM_E_OVERLAP, indices, 4,
                  "indices on x's last entry");
    {
        /* indices right after x, in one buffer: no overlap */
        double both[8] = {1, 2, 3, 4, 5, 6, 0, 0};
        int status = psm_sample_f64(both, 2, 3, 1.0, 0, (int64_t *)(void *)(both + 6));
        CHECK(status == PSM_OK, "indices just after x: status %d", status);
        CHECK(both[0] == 1 && both[5] == 6, "indices just after x: x changed");
    }
    expect_status(psm_sample_f64(x, SIZE_MAX / 4, 4, 1.0, 0, indices), PSM_E_SIZE_OVERFLOW,
                  indices, 4, "rows * n overflow");
    expect_status(psm_sample_f64(x, 2, SIZE_MAX, 1.0, 0, indices), PSM_E_SIZE_OVERFLOW, indices, 4,
                  "n = SIZE_MAX");
    expect_status(psm_sample_f64(x, 1, SIZE_MAX, 1.0, 0, indices), PSM_E_SIZE_OVERFLOW, indices, 4,
                  "n = SIZE_MAX, one row");
    expect_status(psm_sample_f64(x, SIZE_MAX / 4, 0, 1.0, 0, indices), PSM_E_SIZE_OVERFLOW, indices,
                  4, "too many outputs");
    expect_status(psm_sample_strided_f64(x, PTRDIFF_MIN, 1, 2, 3, 1.0, 0, 0, indices),
                  PSM_E_SIZE_OVERFLOW, indices, 4, "row stride PTRDIFF_MIN");
    expect_status(psm_sample_strided_f64(x, PTRDIFF_MAX / 2, 1, 3, 3, 1.0, 0, 0, indices),
                  PSM_E_SIZE_OVERFLOW, indices, 4, "huge row stride");
    /* Order: size before NULL before overlap before temperature before rows. */
    expect_status(psm_sample_f64(NULL, SIZE_MAX / 4, 4, -1.0, 0, NULL), PSM_E_SIZE_OVERFLOW,
                  indices, 4, "size first");
    expect_status(psm_sample_f64(NULL, 2, 3, -1.0, 0, as_indices), PSM_E_NULL_POINTER, indices, 4,
                  "NULL second");
    expect_status(psm_sample_f64(nan_row, 2, 3, -1.0, 0, (int64_t *)(void *)nan_row),
                  PSM_E_OVERLAP, indices, 4, "overlap third");
    expect_status(psm_sample_f64(nan_row, 2, 3, -1.0, 0, indices), PSM_E_TEMPERATURE, indices, 4,
                  "temperature fourth");
    /* Every status has its message. */
    CHECK(strcmp(psm_strerror(PSM_E_NO_DISTRIBUTION), "unknown status") != 0,
          "PSM_E_NO_DISTRIBUTION has no message");
}

static void test_flags_are_kept(void)
{
    const double x[4] = {-1e308, 1e308, 0, 3};
    const float x32[3] = {1e-45f, 0, 3};
    int64_t indices[1];
    int raised;
    feclearexcept(FE_ALL_EXCEPT);
    psm_sample_f64(x, 1, 4, 1e-300, 1, indices); /* overflows to -inf inside */
    psm_sample_f64(x, 1, 4, 1e300, 1, indices);
    psm_sample_f32(x32, 1, 3, 1e-45f, 1, indices);
    psm_sample_f64(x, 1, 4, NAN, 1, indices);
    (void)psm_sample_noise(1, 2, 3);
    raised = fetestexcept(FE_ALL_EXCEPT);
    CHECK(raised == 0, "the calls raised floating-point flags %#x", raised);
}

int main(void)
{
    test_philox_known_answers();
    test_logarithm();
    test_noise();
    test_draws_are_the_argmax_of_the_keys();
    test_frequencies();
    test_special_rows();
    test_strided_and_first_row();
    test_bad_arguments();
    test_flags_are_kept();
    return psm_test_finish("test_sampling");
}
