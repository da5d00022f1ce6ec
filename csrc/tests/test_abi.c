/*
 * test_abi.c -- the contract of pysoftmax.h outside of the numbers: status
 * codes, "nothing written on error", empty arrays, in-place calls,
 * psm_strerror, the version functions, and the caller's floating-point
 * exception flags.  Built twice: against the shared and the static library.
 */
#include <fenv.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pysoftmax.h"
#include "psm_test.h"

/* Fills `count` elements with a mix of ordinary values and, when `special`,
 * the occasional special value, row by row. */
static void fill_values(const dtype *t, void *buffer, size_t rows, size_t n, psm_rng *rng,
                        int special)
{
    size_t r, i;
    for (r = 0; r < rows; r++) {
        int kind = special ? (int)(r % 6) : 0;
        for (i = 0; i < n; i++) {
            double v = 8.0 * psm_rng_normalish(rng);
            if (kind == 1 && i % 3 == 0)
                v = -INFINITY;
            else if (kind == 2 && i == n / 2)
                v = INFINITY;
            else if (kind == 3 && i == n - 1)
                v = NAN;
            else if (kind == 4)
                v = (i % 2 ? -1.0 : 1.0) * t->max_finite * psm_rng_uniform(rng);
            else if (kind == 5)
                v = -INFINITY;
            set(t, buffer, r * n + i, v);
        }
    }
}

/* ------------------------------------------------------------------ statuses */

static void test_null_pointers(const dtype *t)
{
    const size_t rows = 2, n = 3;
    void *x = sentinel_buffer(t, rows * n);
    void *y = sentinel_buffer(t, rows * n);
    void *before = copy_buffer(y, rows * n * t->size);
    int k, status;

    for (k = 0; k < 2; k++) {
        normalize_fn f = t->normalize[k];
        const char *name = normalize_names[k];
        status = f(NULL, y, rows, n, 1.0);
        CHECK(status == PSM_E_NULL_POINTER, "%s_%s(NULL, y, 2, 3): status %d", name, t->name,
              status);
        CHECK(memcmp(y, before, rows * n * t->size) == 0,
              "%s_%s(NULL, y, 2, 3) wrote to y", name, t->name);
        status = f(x, NULL, rows, n, 1.0);
        CHECK(status == PSM_E_NULL_POINTER, "%s_%s(x, NULL, 2, 3): status %d", name, t->name,
              status);
        status = f(NULL, NULL, rows, n, 1.0);
        CHECK(status == PSM_E_NULL_POINTER, "%s_%s(NULL, NULL, 2, 3): status %d", name, t->name,
              status);
        /* Empty arrays: NULL is fine. */
        status = f(NULL, NULL, 0, n, 1.0);
        CHECK(status == PSM_OK, "%s_%s(NULL, NULL, 0, 3): status %d", name, t->name, status);
        status = f(NULL, NULL, rows, 0, 1.0);
        CHECK(status == PSM_OK, "%s_%s(NULL, NULL, 2, 0): status %d", name, t->name, status);
        status = f(NULL, NULL, 0, 0, 1.0);
        CHECK(status == PSM_OK, "%s_%s(NULL, NULL, 0, 0): status %d", name, t->name, status);
        status = f(x, NULL, 0, n, 1.0);
        CHECK(status == PSM_OK, "%s_%s(x, NULL, 0, 3): status %d", name, t->name, status);
        status = f(NULL, y, rows, 0, 1.0);
        CHECK(status == PSM_OK, "%s_%s(NULL, y, 2, 0): status %d", name, t->name, status);
        CHECK(memcmp(y, before, rows * n * t->size) == 0, "%s_%s(NULL, y, 2, 0) wrote to y",
              name, t->name);
    }

    status = t->logsumexp(NULL, y, rows, n);
    CHECK(status == PSM_E_NULL_POINTER, "logsumexp_%s(NULL, out, 2, 3): status %d", t->name,
          status);
    CHECK(memcmp(y, before, rows * n * t->size) == 0, "logsumexp_%s(NULL, out, 2, 3) wrote",
          t->name);
    status = t->logsumexp(x, NULL, rows, n);
    CHECK(status == PSM_E_NULL_POINTER, "logsumexp_%s(x, NULL, 2, 3): status %d", t->name,
          status);
    /* n == 0 but rows > 0: the output is not empty, so it may not be NULL... */
    status = t->logsumexp(x, NULL, rows, 0);
    CHECK(status == PSM_E_NULL_POINTER, "logsumexp_%s(x, NULL, 2, 0): status %d", t->name,
          status);
    /* ...while the input is, so it may. */
    status = t->logsumexp(NULL, y, rows, 0);
    CHECK(status == PSM_OK, "logsumexp_%s(NULL, out, 2, 0): status %d", t->name, status);
    CHECK(get(t, y, 0) == -INFINITY && get(t, y, 1) == -INFINITY,
          "logsumexp_%s(NULL, out, 2, 0) gave %g, %g, expected -inf", t->name, get(t, y, 0),
          get(t, y, 1));
    CHECK(memcmp((char *)y + 2 * t->size, (char *)before + 2 * t->size, (rows * n - 2) * t->size)
              == 0,
          "logsumexp_%s(NULL, out, 2, 0) wrote past out[1]", t->name);
    status = t->logsumexp(NULL, NULL, 0, n);
    CHECK(status == PSM_OK, "logsumexp_%s(NULL, NULL, 0, 3): status %d", t->name, status);
    status = t->logsumexp(NULL, NULL, 0, 0);
    CHECK(status == PSM_OK, "logsumexp_%s(NULL, NULL, 0, 0): status %d", t->name, status);

    free(x);
    free(y);
    free(before);
}

static void test_size_overflow(const dtype *t)
{
    /* rows * n (or its byte count) overflows size_t.  The buffers are small:
     * the library must reject the call before it touches them. */
    const size_t cases[][2] = {
        {SIZE_MAX, 2},                 /* rows * n overflows */
        {2, SIZE_MAX / 2 + 1},         /* rows * n wraps to exactly 0 */
        {SIZE_MAX / 2 + 1, 4},         /* wraps to 0 again */
        {1, SIZE_MAX / 2},             /* elements fit, bytes do not */
        {SIZE_MAX / 64, 16},           /* elements fit, bytes do not */
        {3, SIZE_MAX / 3},             /* elements fit exactly, bytes do not */
    };
    const size_t count = 16;
    void *x = sentinel_buffer(t, count);
    void *y = sentinel_buffer(t, count);
    void *before = copy_buffer(y, count * t->size);
    size_t c;
    int k, status;

    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t rows = cases[c][0], n = cases[c][1];
        for (k = 0; k < 2; k++) {
            status = t->normalize[k](x, y, rows, n, 1.0);
            CHECK(status == PSM_E_SIZE_OVERFLOW, "%s_%s(rows=%lu, n=%lu): status %d",
                  normalize_names[k], t->name, (unsigned long)rows, (unsigned long)n, status);
        }
        status = t->logsumexp(x, y, rows, n);
        CHECK(status == PSM_E_SIZE_OVERFLOW, "logsumexp_%s(rows=%lu, n=%lu): status %d", t->name,
              (unsigned long)rows, (unsigned long)n, status);
        CHECK(memcmp(y, before, count * t->size) == 0, "%s: overflow case %lu wrote output",
              t->name, (unsigned long)c);
    }
    /* logsumexp: its output alone (rows elements) overflows. */
    status = t->logsumexp(x, y, SIZE_MAX, 1);
    CHECK(status == PSM_E_SIZE_OVERFLOW, "logsumexp_%s(rows=SIZE_MAX, n=1): status %d", t->name,
          status);
    status = t->logsumexp(x, y, SIZE_MAX / 2, 0);
    CHECK(status == PSM_E_SIZE_OVERFLOW, "logsumexp_%s(rows=SIZE_MAX/2, n=0): status %d",
          t->name, status);
    CHECK(memcmp(y, before, count * t->size) == 0, "%s: logsumexp overflow wrote output",
          t->name);
    free(x);
    free(y);
    free(before);
}

static void test_temperature(const dtype *t)
{
    const size_t rows = 3, n = 5;
    const double invalid[] = {-1.0, -1e-30, -INFINITY, NAN, -NAN, -1e30};
    const double valid[] = {0.0, -0.0, 1e-30, 1e-3, 1.0, 1e30, INFINITY};
    void *x = sentinel_buffer(t, rows * n);
    void *y = sentinel_buffer(t, rows * n);
    void *before = copy_buffer(y, rows * n * t->size);
    psm_rng rng = psm_rng_seed(7);
    size_t i, j;
    int k, status;

    fill_values(t, x, rows, n, &rng, 0);
    for (k = 0; k < 2; k++) {
        for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
            status = t->normalize[k](x, y, rows, n, invalid[i]);
            CHECK(status == PSM_E_TEMPERATURE, "%s_%s(T=%g): status %d", normalize_names[k],
                  t->name, invalid[i], status);
            CHECK(memcmp(y, before, rows * n * t->size) == 0, "%s_%s(T=%g) wrote output",
                  normalize_names[k], t->name, invalid[i]);
        }
        /* The smallest negative number of the type. */
        status = t->normalize[k](x, y, rows, n, -t->min_subnormal);
        CHECK(status == PSM_E_TEMPERATURE, "%s_%s(T=-min_subnormal): status %d",
              normalize_names[k], t->name, status);
        CHECK(memcmp(y, before, rows * n * t->size) == 0, "%s_%s(T=-min_subnormal) wrote",
              normalize_names[k], t->name);
        for (i = 0; i < sizeof valid / sizeof valid[0]; i++) {
            double sum = 0.0;
            status = t->normalize[k](x, y, rows, n, valid[i]);
            CHECK(status == PSM_OK, "%s_%s(T=%g): status %d", normalize_names[k], t->name,
                  valid[i], status);
            for (j = 0; j < n; j++) {
                double v = get(t, y, j);
                sum += k == 0 ? v : exp(v);
                CHECK(!isnan(v), "%s_%s(T=%g) gave NaN", normalize_names[k], t->name, valid[i]);
            }
            CHECK(fabs(sum - 1.0) < 1e-5, "%s_%s(T=%g): row 0 sums to %.9g", normalize_names[k],
                  t->name, valid[i], sum);
            memcpy(y, before, rows * n * t->size);
        }
        status = t->normalize[k](x, y, rows, n, t->min_subnormal);
        CHECK(status == PSM_OK, "%s_%s(T=min_subnormal): status %d", normalize_names[k], t->name,
              status);
        status = t->normalize[k](x, y, rows, n, t->max_finite);
        CHECK(status == PSM_OK, "%s_%s(T=max_finite): status %d", normalize_names[k], t->name,
              status);
        memcpy(y, before, rows * n * t->size);
    }
    free(x);
    free(y);
    free(before);
}

static void test_overlap(const dtype *t)
{
    const size_t rows = 3, n = 4, size = rows * n;
    /* x sits in the middle of buffer so that outputs just before and just
     * after it can be tried. */
    void *buffer = sentinel_buffer(t, 3 * size);
    char *base = (char *)buffer;
    const void *x = base + size * t->size;
    void *before;
    psm_rng rng = psm_rng_seed(11);
    /* Offsets of y (in elements) from x, for softmax (output of `size`). */
    const long overlapping[] = {1, -1, (long)size - 1, 1 - (long)size, 2};
    const long disjoint[] = {(long)size, -(long)size};
    /* For logsumexp (output of `rows`). */
    const long lse_overlapping[] = {1, -1, 1 - (long)rows, (long)size - 1, (long)rows};
    const long lse_disjoint[] = {(long)size, -(long)rows};
    size_t i;
    int k, status;

    fill_values(t, buffer, 3, size, &rng, 0);
    before = copy_buffer(buffer, 3 * size * t->size);
    for (k = 0; k < 2; k++) {
        for (i = 0; i < sizeof overlapping / sizeof overlapping[0]; i++) {
            void *y = base + (size_t)((long)size + overlapping[i]) * t->size;
            status = t->normalize[k](x, y, rows, n, 1.0);
            CHECK(status == PSM_E_OVERLAP, "%s_%s(y = x%+ld): status %d", normalize_names[k],
                  t->name, overlapping[i], status);
            CHECK(memcmp(buffer, before, 3 * size * t->size) == 0, "%s_%s(y = x%+ld) wrote",
                  normalize_names[k], t->name, overlapping[i]);
        }
        for (i = 0; i < sizeof disjoint / sizeof disjoint[0]; i++) {
            void *y = base + (size_t)((long)size + disjoint[i]) * t->size;
            status = t->normalize[k](x, y, rows, n, 1.0);
            CHECK(status == PSM_OK, "%s_%s(y = x%+ld, adjacent): status %d", normalize_names[k],
                  t->name, disjoint[i], status);
            memcpy(buffer, before, 3 * size * t->size);
        }
        status = t->normalize[k](x, base + size * t->size, rows, n, 1.0);
        CHECK(status == PSM_OK, "%s_%s(y == x): status %d", normalize_names[k], t->name, status);
        memcpy(buffer, before, 3 * size * t->size);
    }
    for (i = 0; i < sizeof lse_overlapping / sizeof lse_overlapping[0]; i++) {
        void *out = base + (size_t)((long)size + lse_overlapping[i]) * t->size;
        status = t->logsumexp(x, out, rows, n);
        CHECK(status == PSM_E_OVERLAP, "logsumexp_%s(out = x%+ld): status %d", t->name,
              lse_overlapping[i], status);
        CHECK(memcmp(buffer, before, 3 * size * t->size) == 0, "logsumexp_%s(out = x%+ld) wrote",
              t->name, lse_overlapping[i]);
    }
    for (i = 0; i < sizeof lse_disjoint / sizeof lse_disjoint[0]; i++) {
        void *out = base + (size_t)((long)size + lse_disjoint[i]) * t->size;
        status = t->logsumexp(x, out, rows, n);
        CHECK(status == PSM_OK, "logsumexp_%s(out = x%+ld, adjacent): status %d", t->name,
              lse_disjoint[i], status);
        memcpy(buffer, before, 3 * size * t->size);
    }
    free(buffer);
    free(before);
}

/* ------------------------------------------------------------------ empty */

static void test_empty(const dtype *t)
{
    const size_t count = 12;
    void *x = sentinel_buffer(t, count);
    void *y = sentinel_buffer(t, count);
    void *before = copy_buffer(y, count * t->size);
    size_t i;
    int k, status;

    for (k = 0; k < 2; k++) {
        status = t->normalize[k](x, y, 0, 5, 1.0);
        CHECK(status == PSM_OK, "%s_%s(rows=0): status %d", normalize_names[k], t->name, status);
        status = t->normalize[k](x, y, 5, 0, 1.0);
        CHECK(status == PSM_OK, "%s_%s(n=0): status %d", normalize_names[k], t->name, status);
        status = t->normalize[k](x, y, 0, 0, 0.0);
        CHECK(status == PSM_OK, "%s_%s(rows=n=0): status %d", normalize_names[k], t->name,
              status);
        CHECK(memcmp(y, before, count * t->size) == 0, "%s_%s: empty call wrote output",
              normalize_names[k], t->name);
    }
    status = t->logsumexp(x, y, 0, 5);
    CHECK(status == PSM_OK, "logsumexp_%s(rows=0): status %d", t->name, status);
    CHECK(memcmp(y, before, count * t->size) == 0, "logsumexp_%s(rows=0) wrote", t->name);
    status = t->logsumexp(x, y, 5, 0);
    CHECK(status == PSM_OK, "logsumexp_%s(n=0): status %d", t->name, status);
    for (i = 0; i < 5; i++)
        CHECK(get(t, y, i) == -INFINITY, "logsumexp_%s(n=0)[%lu] = %g, expected -inf", t->name,
              (unsigned long)i, get(t, y, i));
    CHECK(memcmp((char *)y + 5 * t->size, (char *)before + 5 * t->size, (count - 5) * t->size)
              == 0,
          "logsumexp_%s(rows=5, n=0) wrote past out[4]", t->name);
    free(x);
    free(y);
    free(before);
}

/* ------------------------------------------------------------------ in place */

static void test_in_place(const dtype *t)
{
    const size_t lengths[] = {1, 2, 3, 7, 33, 300};
    const double temperatures[] = {0.0, 0.37, 1.0, 6.5, INFINITY};
    const size_t rows = 12;
    psm_rng rng = psm_rng_seed(12345);
    size_t li, ti;
    int k, status;

    for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li], bytes = rows * n * t->size;
        void *x = sentinel_buffer(t, rows * n);
        void *y = sentinel_buffer(t, rows * n);
        void *z;
        fill_values(t, x, rows, n, &rng, 1);
        z = copy_buffer(x, bytes);
        for (k = 0; k < 2; k++) {
            for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++) {
                double temperature = temperatures[ti];
                status = t->normalize[k](x, y, rows, n, temperature);
                CHECK(status == PSM_OK, "%s_%s out of place: status %d", normalize_names[k],
                      t->name, status);
                memcpy(z, x, bytes);
                status = t->normalize[k](z, z, rows, n, temperature);
                CHECK(status == PSM_OK, "%s_%s in place: status %d", normalize_names[k], t->name,
                      status);
                CHECK(memcmp(y, z, bytes) == 0,
                      "%s_%s(n=%lu, T=%g): in-place result differs from out-of-place",
                      normalize_names[k], t->name, (unsigned long)n, temperature);
            }
        }
        /* logsumexp with out == x: row r's result lands in x[r]. */
        status = t->logsumexp(x, y, rows, n);
        CHECK(status == PSM_OK, "logsumexp_%s out of place: status %d", t->name, status);
        memcpy(z, x, bytes);
        status = t->logsumexp(z, z, rows, n);
        CHECK(status == PSM_OK, "logsumexp_%s(out == x): status %d", t->name, status);
        CHECK(memcmp(y, z, rows * t->size) == 0,
              "logsumexp_%s(n=%lu, out == x): results differ from out of place", t->name,
              (unsigned long)n);
        CHECK(memcmp((char *)z + rows * t->size, (char *)x + rows * t->size,
                     bytes - rows * t->size) == 0,
              "logsumexp_%s(n=%lu, out == x) wrote past out[rows - 1]", t->name,
              (unsigned long)n);
        free(x);
        free(y);
        free(z);
    }
}

/* ------------------------------------------------------------------ messages */

static void test_strerror(void)
{
    const int statuses[] = {PSM_OK,        PSM_E_NULL_POINTER, PSM_E_TEMPERATURE,
                            PSM_E_SIZE_OVERFLOW, PSM_E_OVERLAP, PSM_E_STRIDE,
                            PSM_E_NO_DISTRIBUTION};
    const int others[] = {1, 2, -7, -8, -99, -100, 100, INT_MIN, INT_MAX};
    const size_t count = sizeof statuses / sizeof statuses[0];
    size_t i, j;

    CHECK(PSM_OK == 0 && PSM_E_NULL_POINTER == -1 && PSM_E_TEMPERATURE == -2
              && PSM_E_SIZE_OVERFLOW == -3 && PSM_E_OVERLAP == -4 && PSM_E_STRIDE == -5
              && PSM_E_NO_DISTRIBUTION == -6,
          "status values changed");
    for (i = 0; i < count; i++) {
        const char *message = psm_strerror(statuses[i]);
        if (!CHECK(message != NULL, "psm_strerror(%d) is NULL", statuses[i]))
            continue;
        CHECK(message[0] != '\0', "psm_strerror(%d) is empty", statuses[i]);
        CHECK(strcmp(message, "unknown status") != 0, "psm_strerror(%d) is \"unknown status\"",
              statuses[i]);
        for (j = 0; j < i; j++) {
            const char *other = psm_strerror(statuses[j]);
            CHECK(other == NULL || strcmp(message, other) != 0,
                  "psm_strerror(%d) and psm_strerror(%d) are the same: \"%s\"", statuses[i],
                  statuses[j], message);
        }
    }
    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        const char *message = psm_strerror(others[i]);
        CHECK(message != NULL && strcmp(message, "unknown status") == 0,
              "psm_strerror(%d) = \"%s\", expected \"unknown status\"", others[i],
              message ? message : "(null)");
    }
}

static void test_version(void)
{
    char expected[64];
    const char *version = psm_version();
    int major = -1, minor = -1, patch = -1;
    char trailing = 0;

    snprintf(expected, sizeof expected, "%d.%d.%d", PSM_VERSION_MAJOR, PSM_VERSION_MINOR,
             PSM_VERSION_PATCH);
    if (!CHECK(version != NULL, "psm_version() is NULL"))
        return;
    CHECK(strcmp(version, expected) == 0, "psm_version() = \"%s\", header says \"%s\"", version,
          expected);
    CHECK(psm_version_number() == PSM_VERSION_NUMBER, "psm_version_number() = %d, header %d",
          psm_version_number(), PSM_VERSION_NUMBER);
    CHECK(PSM_VERSION_NUMBER
              == PSM_VERSION_MAJOR * 10000 + PSM_VERSION_MINOR * 100 + PSM_VERSION_PATCH,
          "PSM_VERSION_NUMBER is not MAJOR * 10000 + MINOR * 100 + PATCH");
    /* The library agrees with itself, whatever header this test was built with. */
    CHECK(sscanf(version, "%d.%d.%d%c", &major, &minor, &patch, &trailing) == 3,
          "psm_version() = \"%s\" is not MAJOR.MINOR.PATCH", version);
    CHECK(psm_version_number() == major * 10000 + minor * 100 + patch,
          "psm_version_number() = %d does not match psm_version() = \"%s\"",
          psm_version_number(), version);
}

/* ------------------------------------------------------------------ fenv */

/* The exception flags the platform has. */
static int all_flags(void)
{
    int flags = 0;
#ifdef FE_INVALID
    flags |= FE_INVALID;
#endif
#ifdef FE_DIVBYZERO
    flags |= FE_DIVBYZERO;
#endif
#ifdef FE_OVERFLOW
    flags |= FE_OVERFLOW;
#endif
#ifdef FE_UNDERFLOW
    flags |= FE_UNDERFLOW;
#endif
#ifdef FE_INEXACT
    flags |= FE_INEXACT;
#endif
    return flags;
}

/* Sets the flags to exactly `flags`; 0 if the platform cannot. */
static int set_flags(int flags)
{
    if (feclearexcept(all_flags()) != 0)
        return 0;
    if (flags != 0 && feraiseexcept(flags) != 0)
        return 0;
    return fetestexcept(all_flags()) == flags;
}

#define FENV_ROWS 8
#define FENV_N 6

/* Rows that make the kernels overflow, underflow, divide by zero and
 * compare NaNs internally.  Between setting the flags and testing them only
 * the library call runs: every argument is prepared beforehand, in the
 * argument's own type. */
static void test_fenv(void)
{
    static const double rows64[FENV_ROWS][FENV_N] = {
        {1e308, -1e308, 0.0, 5.0, -DBL_MAX, DBL_MAX},
        {0.0, -720.0, -745.0, -1000.0, -1e300, 3.0},
        {-INFINITY, 1.0, -INFINITY, 2.0, -1e308, 0.5},
        {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY},
        {1.0, NAN, 2.0, -INFINITY, INFINITY, 0.0},
        {INFINITY, 1.0, INFINITY, -INFINITY, 1e308, -1e308},
        {1e-310, -1e-310, 0x1p-1074, 0.0, -0x1p-1074, 1e-300},
        {0.1, 0.2, 0.3, 0.4, 0.5, 0.6},
    };
    static const float rows32[FENV_ROWS][FENV_N] = {
        {3e38f, -3e38f, 0.0f, 5.0f, -FLT_MAX, FLT_MAX},
        {0.0f, -100.0f, -104.0f, -1000.0f, -1e30f, 3.0f},
        {-INFINITY, 1.0f, -INFINITY, 2.0f, -3e38f, 0.5f},
        {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY},
        {1.0f, NAN, 2.0f, -INFINITY, INFINITY, 0.0f},
        {INFINITY, 1.0f, INFINITY, -INFINITY, 3e38f, -3e38f},
        {1e-40f, -1e-40f, 0x1p-149f, 0.0f, -0x1p-149f, 1e-30f},
        {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f},
    };
    static const double temperatures64[] = {1.0, 1e-300, 0x1p-1074, 0.0, INFINITY, 1e300, 0.37};
    static const float temperatures32[] = {1.0f, 1e-30f, 0x1p-149f, 0.0f, INFINITY, 1e30f, 0.37f};
    static double out64[FENV_ROWS * FENV_N];
    static float out32[FENV_ROWS * FENV_N];
    const int initial[3] = {0, all_flags(), 0};
    int state, flags_after, status;
    size_t ti;
    int initial_flags;
    int mixed = 0;

#ifdef FE_DIVBYZERO
    mixed |= FE_DIVBYZERO;
#endif
#ifdef FE_INVALID
    mixed |= FE_INVALID;
#endif
    for (state = 0; state < 3; state++) {
        initial_flags = state == 2 ? mixed : initial[state];
        if (!set_flags(initial_flags)) {
            printf("note: cannot set the floating-point exception flags here; fenv checks "
                   "skipped\n");
            return;
        }
        for (ti = 0; ti < sizeof temperatures64 / sizeof temperatures64[0]; ti++) {
            /* float64 */
            set_flags(initial_flags);
            status = psm_softmax_f64(&rows64[0][0], out64, FENV_ROWS, FENV_N, temperatures64[ti]);
            flags_after = fetestexcept(all_flags());
            CHECK(status == PSM_OK && flags_after == initial_flags,
                  "softmax_f64(T=%g): flags %#x before, %#x after (status %d)",
                  temperatures64[ti], (unsigned)initial_flags, (unsigned)flags_after, status);
            set_flags(initial_flags);
            status = psm_log_softmax_f64(&rows64[0][0], out64, FENV_ROWS, FENV_N,
                                         temperatures64[ti]);
            flags_after = fetestexcept(all_flags());
            CHECK(status == PSM_OK && flags_after == initial_flags,
                  "log_softmax_f64(T=%g): flags %#x before, %#x after (status %d)",
                  temperatures64[ti], (unsigned)initial_flags, (unsigned)flags_after, status);
            /* float32 */
            set_flags(initial_flags);
            status = psm_softmax_f32(&rows32[0][0], out32, FENV_ROWS, FENV_N, temperatures32[ti]);
            flags_after = fetestexcept(all_flags());
            CHECK(status == PSM_OK && flags_after == initial_flags,
                  "softmax_f32(T=%g): flags %#x before, %#x after (status %d)",
                  (double)temperatures32[ti], (unsigned)initial_flags, (unsigned)flags_after,
                  status);
            set_flags(initial_flags);
            status = psm_log_softmax_f32(&rows32[0][0], out32, FENV_ROWS, FENV_N,
                                         temperatures32[ti]);
            flags_after = fetestexcept(all_flags());
            CHECK(status == PSM_OK && flags_after == initial_flags,
                  "log_softmax_f32(T=%g): flags %#x before, %#x after (status %d)",
                  (double)temperatures32[ti], (unsigned)initial_flags, (unsigned)flags_after,
                  status);
        }
        set_flags(initial_flags);
        status = psm_logsumexp_f64(&rows64[0][0], out64, FENV_ROWS, FENV_N);
        flags_after = fetestexcept(all_flags());
        CHECK(status == PSM_OK && flags_after == initial_flags,
              "logsumexp_f64: flags %#x before, %#x after (status %d)", (unsigned)initial_flags,
              (unsigned)flags_after, status);
        set_flags(initial_flags);
        status = psm_logsumexp_f32(&rows32[0][0], out32, FENV_ROWS, FENV_N);
        flags_after = fetestexcept(all_flags());
        CHECK(status == PSM_OK && flags_after == initial_flags,
              "logsumexp_f32: flags %#x before, %#x after (status %d)", (unsigned)initial_flags,
              (unsigned)flags_after, status);
        /* Empty rows (logsumexp -inf) must not raise divide-by-zero. */
        set_flags(initial_flags);
        status = psm_logsumexp_f64(&rows64[0][0], out64, FENV_ROWS, 0);
        flags_after = fetestexcept(all_flags());
        CHECK(status == PSM_OK && flags_after == initial_flags,
              "logsumexp_f64(n=0): flags %#x before, %#x after (status %d)",
              (unsigned)initial_flags, (unsigned)flags_after, status);
        set_flags(initial_flags);
        status = psm_logsumexp_f32(&rows32[0][0], out32, FENV_ROWS, 0);
        flags_after = fetestexcept(all_flags());
        CHECK(status == PSM_OK && flags_after == initial_flags,
              "logsumexp_f32(n=0): flags %#x before, %#x after (status %d)",
              (unsigned)initial_flags, (unsigned)flags_after, status);
        /* Rejected calls with an ordinary bad temperature. */
        set_flags(initial_flags);
        status = psm_softmax_f64(&rows64[0][0], out64, FENV_ROWS, FENV_N, -1.0);
        flags_after = fetestexcept(all_flags());
        CHECK(status == PSM_E_TEMPERATURE && flags_after == initial_flags,
              "softmax_f64(T=-1): flags %#x before, %#x after (status %d)",
              (unsigned)initial_flags, (unsigned)flags_after, status);
        set_flags(initial_flags);
        status = psm_log_softmax_f32(&rows32[0][0], out32, FENV_ROWS, FENV_N, -1.0f);
        flags_after = fetestexcept(all_flags());
        CHECK(status == PSM_E_TEMPERATURE && flags_after == initial_flags,
              "log_softmax_f32(T=-1): flags %#x before, %#x after (status %d)",
              (unsigned)initial_flags, (unsigned)flags_after, status);
    }
    feclearexcept(all_flags());
}

int main(void)
{
    size_t d;
    for (d = 0; d < 2; d++) {
        const dtype *t = &dtypes[d];
        test_null_pointers(t);
        test_size_overflow(t);
        test_temperature(t);
        test_overlap(t);
        test_empty(t);
        test_in_place(t);
    }
    test_strerror();
    test_version();
    test_fenv();
    return psm_test_finish("test_abi");
}
