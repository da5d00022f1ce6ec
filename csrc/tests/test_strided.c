/*
 * test_strided.c -- the strided entry points: every layout gives the
 * contiguous functions' results bit for bit, and every bad stride, overlap
 * and size is an error status with nothing written.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "psm_test.h"
#include "pysoftmax.h"

#define ROWS 5
#define N 7

static double source[ROWS * N];
static float source_f32[ROWS * N];

/* A row-major ROWS x N matrix laid out with the given element strides in a
 * buffer large enough for any of them; returns a pointer to element (0, 0). */
static double *lay_out(double *buffer, ptrdiff_t row_stride, ptrdiff_t stride, size_t buffer_size)
{
    ptrdiff_t origin = (ptrdiff_t)buffer_size / 2;
    size_t r, i;
    for (r = 0; r < buffer_size; r++)
        buffer[r] = 12345.0; /* sentinel */
    for (r = 0; r < ROWS; r++)
        for (i = 0; i < N; i++)
            buffer[origin + (ptrdiff_t)r * row_stride + (ptrdiff_t)i * stride] = source[r * N + i];
    return buffer + origin;
}

static void test_layouts_match_contiguous(void)
{
    static const ptrdiff_t layouts[][2] = {{N, 1}, {1, ROWS}, {2 * N, 2}, {-N, 1}, {N, -1},
                                           {-1, -ROWS}, {3 * N, -3}};
    static double buffer[8 * ROWS * N], output[8 * ROWS * N];
    double expected[ROWS * N], expected_lse[ROWS], lse[3 * ROWS];
    size_t k, r, i;
    int log_output;
    for (log_output = 0; log_output < 2; log_output++) {
        int status = log_output ? psm_log_softmax_f64(source, expected, ROWS, N, 0.37)
                                : psm_softmax_f64(source, expected, ROWS, N, 0.37);
        CHECK(status == PSM_OK, "contiguous call failed: %d", status);
        for (k = 0; k < sizeof layouts / sizeof layouts[0]; k++) {
            ptrdiff_t rs = layouts[k][0], s = layouts[k][1];
            double *x = lay_out(buffer, rs, s, sizeof buffer / sizeof buffer[0]);
            double *y = output + (sizeof output / sizeof output[0]) / 2;
            /* y in yet another layout: row-major, both axes reversed. */
            status = log_output ? psm_log_softmax_strided_f64(x, rs, s, y, -N, -1, ROWS, N, 0.37)
                                : psm_softmax_strided_f64(x, rs, s, y, -N, -1, ROWS, N, 0.37);
            CHECK(status == PSM_OK, "strided (%ld, %ld): status %d", (long)rs, (long)s, status);
            for (r = 0; r < ROWS; r++)
                for (i = 0; i < N; i++) {
                    double got = y[-(ptrdiff_t)r * N - (ptrdiff_t)i];
                    CHECK(psm_bits_f64(got) == psm_bits_f64(expected[r * N + i]),
                          "layout (%ld, %ld) log %d: (%lu, %lu) = %a, expected %a", (long)rs,
                          (long)s, log_output, (unsigned long)r, (unsigned long)i, got,
                          expected[r * N + i]);
                }
            /* In place, with the input's own strides. */
            status = log_output ? psm_log_softmax_strided_f64(x, rs, s, x, rs, s, ROWS, N, 0.37)
                                : psm_softmax_strided_f64(x, rs, s, x, rs, s, ROWS, N, 0.37);
            CHECK(status == PSM_OK, "in place (%ld, %ld): status %d", (long)rs, (long)s, status);
            for (r = 0; r < ROWS; r++)
                for (i = 0; i < N; i++)
                    CHECK(psm_bits_f64(x[(ptrdiff_t)r * rs + (ptrdiff_t)i * s]) ==
                              psm_bits_f64(expected[r * N + i]),
                          "in place (%ld, %ld): (%lu, %lu)", (long)rs, (long)s, (unsigned long)r,
                          (unsigned long)i);
        }
    }
    CHECK(psm_logsumexp_f64(source, expected_lse, ROWS, N) == PSM_OK, "logsumexp failed");
    for (k = 0; k < sizeof layouts / sizeof layouts[0]; k++) {
        ptrdiff_t rs = layouts[k][0], s = layouts[k][1];
        double *x = lay_out(buffer, rs, s, sizeof buffer / sizeof buffer[0]);
        for (r = 0; r < 3 * ROWS; r++)
            lse[r] = 12345.0;
        CHECK(psm_logsumexp_strided_f64(x, rs, s, lse, 3, ROWS, N) == PSM_OK, "logsumexp strided");
        for (r = 0; r < ROWS; r++) {
            CHECK(psm_bits_f64(lse[3 * r]) == psm_bits_f64(expected_lse[r]), "lse row %lu",
                  (unsigned long)r);
            CHECK(lse[3 * r + 1] == 12345.0 && lse[3 * r + 2] == 12345.0,
                  "logsumexp wrote between its outputs");
        }
    }
}

static void test_float32_transposed(void)
{
    float transposed[ROWS * N], expected[ROWS * N], got[ROWS * N];
    size_t r, i;
    for (r = 0; r < ROWS; r++)
        for (i = 0; i < N; i++)
            transposed[i * ROWS + r] = source_f32[r * N + i];
    CHECK(psm_softmax_f32(source_f32, expected, ROWS, N, 6.5f) == PSM_OK, "f32 contiguous");
    CHECK(psm_softmax_strided_f32(transposed, 1, ROWS, got, N, 1, ROWS, N, 6.5f) == PSM_OK,
          "f32 strided");
    for (r = 0; r < ROWS * N; r++)
        CHECK(psm_bits_f32(got[r]) == psm_bits_f32(expected[r]), "f32 entry %lu",
              (unsigned long)r);
}

static void test_errors_write_nothing(void)
{
    static double x[4 * ROWS * N], y[4 * ROWS * N];
    size_t k;
    struct {
        const double *x;
        ptrdiff_t xr, xs;
        double *y;
        ptrdiff_t yr, ys;
        size_t rows, n;
        int expected;
    } cases[] = {
        {x, N, 1, y, N, 0, ROWS, N, PSM_E_STRIDE},      /* every output of a row on one element */
        {x, N, 1, y, 0, 1, ROWS, N, PSM_E_STRIDE},      /* every row on the same outputs */
        {x, N, 1, y, 1, 1, ROWS, N, PSM_E_STRIDE},      /* rows overlap by N - 1 outputs */
        {x, N, 1, x + 1, N, 1, ROWS, N, PSM_E_OVERLAP}, /* shifted in-place */
        {x, N, 1, x, N, 2, 2, 3, PSM_E_OVERLAP},        /* same start, other strides */
        {NULL, N, 1, y, N, 1, ROWS, N, PSM_E_NULL_POINTER},
        {x, N, 1, NULL, N, 1, ROWS, N, PSM_E_NULL_POINTER},
        {x, PTRDIFF_MAX, 1, y, N, 1, ROWS, N, PSM_E_SIZE_OVERFLOW},
        {x, PTRDIFF_MIN, 1, y, N, 1, ROWS, N, PSM_E_SIZE_OVERFLOW},
        {x, N, 1, y, N, PTRDIFF_MAX / 4, ROWS, N, PSM_E_SIZE_OVERFLOW},
        {x, 0, 0, y, N, 1, ROWS, N, PSM_OK}, /* a broadcast input is fine */
        {NULL, 3, 1, NULL, 3, 1, 0, 3, PSM_OK},  /* nothing to do, nothing to point at */
    };
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t i;
        int status;
        for (i = 0; i < sizeof y / sizeof y[0]; i++)
            y[i] = 12345.0;
        for (i = 0; i < sizeof x / sizeof x[0]; i++)
            x[i] = (double)i / 7.0;
        status = psm_softmax_strided_f64(cases[k].x, cases[k].xr, cases[k].xs, cases[k].y,
                                         cases[k].yr, cases[k].ys, cases[k].rows, cases[k].n, 1.0);
        CHECK(status == cases[k].expected, "case %lu: status %d, expected %d", (unsigned long)k,
              status, cases[k].expected);
        if (cases[k].expected != PSM_OK) {
            for (i = 0; i < sizeof y / sizeof y[0]; i++)
                if (!CHECK(y[i] == 12345.0, "case %lu wrote y[%lu]", (unsigned long)k,
                           (unsigned long)i))
                    break;
            for (i = 0; i < sizeof x / sizeof x[0]; i++)
                if (!CHECK(x[i] == (double)i / 7.0, "case %lu wrote x[%lu]", (unsigned long)k,
                           (unsigned long)i))
                    break;
        }
    }
    CHECK(psm_logsumexp_strided_f64(x, N, 1, y, 0, ROWS, N) == PSM_E_STRIDE,
          "logsumexp with out_stride 0");
    CHECK(psm_logsumexp_strided_f64(x, N, 1, x + 3, 1, ROWS, N) == PSM_E_OVERLAP,
          "logsumexp into its input");
    CHECK(psm_softmax_strided_f64(x, N, 1, y, N, 1, ROWS, N, -1.0) == PSM_E_TEMPERATURE,
          "negative temperature");
}

int main(void)
{
    size_t k;
    psm_rng rng = psm_rng_seed(2026);
    for (k = 0; k < ROWS * N; k++) {
        source[k] = psm_rng_uniform(&rng) * 40.0 - 20.0;
        source_f32[k] = (float)source[k];
    }
    source[3] = -INFINITY; /* an edge rule in one row, the general case in the others */
    test_layouts_match_contiguous();
    test_float32_transposed();
    test_errors_write_nothing();
    return psm_test_finish("test_strided");
}
