/*
 * test_general.c -- the general entry points (masks, per-row temperatures):
 * against a long double reference of the included entries alone, against the
 * strided functions where they must agree bit for bit, the masked-row rules,
 * in place, and every argument error (nothing written).
 */
#include "psm_test.h"

/* The general functions of both dtypes behind one signature. */
typedef int (*general_fn)(const void *x, ptrdiff_t xr, ptrdiff_t xs, const unsigned char *where,
                          ptrdiff_t wr, ptrdiff_t ws, const void *temperatures, ptrdiff_t ts,
                          void *y, ptrdiff_t yr, ptrdiff_t ys, size_t rows, size_t n);
typedef int (*general_reduce_fn)(const void *x, ptrdiff_t xr, ptrdiff_t xs,
                                 const unsigned char *where, ptrdiff_t wr, ptrdiff_t ws, void *out,
                                 ptrdiff_t os, size_t rows, size_t n);

#define GENERAL_WRAPPER(name, T)                                                                  \
    static int name##_any(const void *x, ptrdiff_t xr, ptrdiff_t xs, const unsigned char *where, \
                          ptrdiff_t wr, ptrdiff_t ws, const void *temperatures, ptrdiff_t ts,     \
                          void *y, ptrdiff_t yr, ptrdiff_t ys, size_t rows, size_t n)             \
    {                                                                                             \
        return name((const T *)x, xr, xs, where, wr, ws, (const T *)temperatures, ts, (T *)y, yr, \
                    ys, rows, n);                                                                 \
    }
GENERAL_WRAPPER(psm_softmax_general_f32, float)
GENERAL_WRAPPER(psm_log_softmax_general_f32, float)
GENERAL_WRAPPER(psm_softmax_general_f64, double)
GENERAL_WRAPPER(psm_log_softmax_general_f64, double)

static int logsumexp_general_f32_any(const void *x, ptrdiff_t xr, ptrdiff_t xs,
                                     const unsigned char *where, ptrdiff_t wr, ptrdiff_t ws,
                                     void *out, ptrdiff_t os, size_t rows, size_t n)
{
    return psm_logsumexp_general_f32((const float *)x, xr, xs, where, wr, ws, (float *)out, os,
                                     rows, n);
}
static int logsumexp_general_f64_any(const void *x, ptrdiff_t xr, ptrdiff_t xs,
                                     const unsigned char *where, ptrdiff_t wr, ptrdiff_t ws,
                                     void *out, ptrdiff_t os, size_t rows, size_t n)
{
    return psm_logsumexp_general_f64((const double *)x, xr, xs, where, wr, ws, (double *)out, os,
                                     rows, n);
}

static const general_fn general[2][2] = {
    {psm_softmax_general_f32_any, psm_log_softmax_general_f32_any},
    {psm_softmax_general_f64_any, psm_log_softmax_general_f64_any}};
static const general_reduce_fn general_logsumexp[2] = {logsumexp_general_f32_any,
                                                       logsumexp_general_f64_any};

/* The exact-enough reference of one row: softmax (log) of the included
 * entries of x / T in long double; masked entries 0 (-inf); nothing
 * included: all 0 (-inf).  Finite x and 0 < T < inf only. */
static void reference_row(const dtype *t, const void *x, const unsigned char *where, size_t n,
                          double temperature, int log_output, long double *out,
                          long double *logsumexp)
{
    long double max = -INFINITY, others = 0.0L, log_sum;
    size_t i, argmax = n;
    for (i = 0; i < n; i++)
        if (where[i] && (long double)get(t, x, i) > max) {
            max = (long double)get(t, x, i);
            argmax = i;
        }
    /* the sum as 1 + others, and log1p(others): log(sum) of a sum near 1
     * keeps its digits (a float64 log_softmax near 0 needs them) */
    for (i = 0; i < n; i++)
        if (where[i] && i != argmax)
            others += expl(((long double)get(t, x, i) - max) / (long double)temperature);
    log_sum = log1pl(others);
    *logsumexp = max == -INFINITY ? -INFINITY : max + log_sum;
    for (i = 0; i < n; i++) {
        long double z = ((long double)get(t, x, i) - max) / (long double)temperature;
        if (!where[i] || max == -INFINITY)
            out[i] = log_output ? -INFINITY : 0.0L;
        else
            out[i] = log_output ? z - log_sum : expl(z) / (1.0L + others);
    }
}

/* Row r of a rows x n array whose entries lie d apart, and its mask,
 * gathered into new contiguous buffers (the caller frees both). */
static void *gather_row(const dtype *t, const void *x, const unsigned char *where, size_t r,
                        size_t n, size_t d, unsigned char **row_where)
{
    void *row = sentinel_buffer(t, n);
    size_t i;
    *row_where = malloc(n ? n : 1);
    for (i = 0; i < n; i++) {
        set(t, row, i, get(t, x, (r * n + i) * d));
        (*row_where)[i] = where[(r * n + i) * d];
    }
    return row;
}

/* Random rows, masks of several densities, one temperature per row: every
 * output within 2 ULP of the reference, on contiguous and spaced layouts. */
static void test_against_reference(void)
{
    static const size_t lengths[] = {1, 2, 3, 5, 17, 64, 1000, 1025, 5000};
    static const double densities[] = {0.0, 0.1, 0.5, 0.9, 1.0};
    enum { ROWS = 4 };
    psm_rng rng = psm_rng_seed(20261201);
    size_t d, l, k, r, i;
    int f, log_output;
    for (f = 0; f < 2; f++) {
        const dtype *t = &dtypes[f];
        for (l = 0; l < sizeof lengths / sizeof *lengths; l++)
            for (k = 0; k < sizeof densities / sizeof *densities; k++)
                for (d = 1; d <= 2; d++) { /* entry spacing 1 (contiguous) and 2 */
                    size_t n = lengths[l];
                    size_t count = ROWS * n * d;
                    void *x = sentinel_buffer(t, count);
                    void *y = sentinel_buffer(t, count);
                    void *out = sentinel_buffer(t, ROWS);
                    void *temperatures = sentinel_buffer(t, ROWS);
                    unsigned char *where = malloc(count);
                    long double *expected = malloc(n * sizeof *expected);
                    long double lse;
                    for (i = 0; i < count; i++) {
                        set(t, x, i, 8.0 * psm_rng_normalish(&rng));
                        where[i] = (unsigned char)(psm_rng_uniform(&rng) < densities[k]
                                                       ? 1 + psm_rng_below(&rng, 255)
                                                       : 0);
                    }
                    for (r = 0; r < ROWS; r++)
                        set(t, temperatures, r, r == 0 ? 1.0 : 0.25 + 3.0 * psm_rng_uniform(&rng));
                    for (log_output = 0; log_output < 2; log_output++) {
                        int status = general[f][log_output](
                            x, (ptrdiff_t)(n * d), (ptrdiff_t)d, where, (ptrdiff_t)(n * d),
                            (ptrdiff_t)d, temperatures, 1, y, (ptrdiff_t)(n * d), (ptrdiff_t)d,
                            ROWS, n);
                        CHECK(status == PSM_OK, "%s %s status %d", t->name,
                              normalize_names[log_output], status);
                        for (r = 0; r < ROWS; r++) {
                            unsigned char *row_where;
                            void *row = gather_row(t, x, where, r, n, d, &row_where);
                            reference_row(t, row, row_where, n, get(t, temperatures, r),
                                          log_output, expected, &lse);
                            for (i = 0; i < n; i++) {
                                double got = get(t, y, (r * n + i) * d);
                                uint64_t ulps = ulp_distance(t, got, (double)expected[i]);
                                CHECK(ulps <= 2,
                                      "%s %s n=%zu density %.1f spacing %zu row %zu entry %zu: "
                                      "%.17g vs %.17Lg (%llu ULP)",
                                      t->name, normalize_names[log_output], n, densities[k], d,
                                      r, i, got, expected[i], (unsigned long long)ulps);
                            }
                            free(row);
                            free(row_where);
                        }
                    }
                    /* logsumexp over the included entries (no temperature) */
                    set(t, temperatures, 0, 1.0);
                    CHECK(general_logsumexp[f](x, (ptrdiff_t)(n * d), (ptrdiff_t)d, where,
                                               (ptrdiff_t)(n * d), (ptrdiff_t)d, out, 1, ROWS,
                                               n) == PSM_OK,
                          "%s logsumexp status", t->name);
                    for (r = 0; r < ROWS; r++) {
                        unsigned char *row_where;
                        void *row = gather_row(t, x, where, r, n, d, &row_where);
                        reference_row(t, row, row_where, n, 1.0, 1, expected, &lse);
                        CHECK(ulp_distance(t, get(t, out, r), (double)lse) <= 2,
                              "%s logsumexp n=%zu density %.1f row %zu: %.17g vs %.17Lg",
                              t->name, n, densities[k], r, get(t, out, r), lse);
                        free(row);
                        free(row_where);
                    }
                    free(x);
                    free(y);
                    free(out);
                    free(temperatures);
                    free(where);
                    free(expected);
                }
    }
}

/* No mask and one temperature: the strided functions' bits exactly (the
 * kernels across rows included: row stride 1). */
static void test_plain_form_is_strided(void)
{
    enum { ROWS = 40, N = 300 };
    psm_rng rng = psm_rng_seed(7);
    static float x32[ROWS * N], a32[ROWS * N], b32[ROWS * N];
    static double x64[ROWS * N], a64[ROWS * N], b64[ROWS * N];
    float t32 = 0.75f;
    double t64 = 0.75;
    size_t i;
    int layout;
    for (i = 0; i < ROWS * N; i++)
        x64[i] = (double)(x32[i] = (float)(5.0 * psm_rng_normalish(&rng)));
    for (layout = 0; layout < 2; layout++) {
        /* 0: rows contiguous; 1: rows side by side (axis 0 of an N x ROWS matrix) */
        ptrdiff_t rs = layout ? 1 : N, s = layout ? ROWS : 1;
        psm_softmax_strided_f32(x32, rs, s, a32, rs, s, ROWS, N, t32);
        psm_softmax_general_f32(x32, rs, s, NULL, 0, 0, &t32, 0, b32, rs, s, ROWS, N);
        CHECK(memcmp(a32, b32, sizeof a32) == 0, "f32 softmax layout %d differs", layout);
        psm_log_softmax_strided_f64(x64, rs, s, a64, rs, s, ROWS, N, t64);
        psm_log_softmax_general_f64(x64, rs, s, NULL, 0, 0, &t64, 0, b64, rs, s, ROWS, N);
        CHECK(memcmp(a64, b64, sizeof a64) == 0, "f64 log_softmax layout %d differs", layout);
    }
    /* per-row temperatures: each row as the contiguous function gives it */
    {
        float temps[ROWS];
        for (i = 0; i < ROWS; i++)
            temps[i] = (float)(0.1 + 0.2 * (double)i);
        temps[3] = 0.0f;
        temps[4] = INFINITY;
        psm_softmax_general_f32(x32, N, 1, NULL, 0, 0, temps, 1, b32, N, 1, ROWS, N);
        for (i = 0; i < ROWS; i++) {
            psm_softmax_f32(x32 + i * N, a32 + i * N, 1, N, temps[i]);
            CHECK(memcmp(a32 + i * N, b32 + i * N, N * sizeof(float)) == 0,
                  "f32 row %zu with temperature %g differs", i, (double)temps[i]);
        }
    }
}

/* The rules of masked rows, on special values and limits. */
static void test_masked_rules(void)
{
    const float nan = NAN, inf = INFINITY;
    float x[6] = {1.0f, nan, 3.0f, inf, -inf, 2.0f};
    float y[6], expected[6];
    unsigned char none[6] = {0, 0, 0, 0, 0, 0};
    unsigned char skip_specials[6] = {1, 0, 1, 0, 0, 1};
    unsigned char with_nan[6] = {1, 1, 0, 0, 0, 0};
    unsigned char only_minus_inf[6] = {0, 0, 0, 0, 1, 0};
    unsigned char with_inf[6] = {1, 0, 0, 1, 0, 1};
    float one = 1.0f, zero = 0.0f, out;
    size_t i;

    /* nothing included: all 0, log all -inf, logsumexp -inf (not NaN) */
    psm_softmax_general_f32(x, 6, 1, none, 6, 1, &one, 0, y, 6, 1, 1, 6);
    for (i = 0; i < 6; i++)
        CHECK(y[i] == 0.0f && !signbit(y[i]), "all masked: y[%zu] = %g", i, (double)y[i]);
    psm_log_softmax_general_f32(x, 6, 1, none, 6, 1, &one, 0, y, 6, 1, 1, 6);
    for (i = 0; i < 6; i++)
        CHECK(y[i] == -inf, "all masked, log: y[%zu] = %g", i, (double)y[i]);
    psm_logsumexp_general_f32(x, 6, 1, none, 6, 1, &out, 1, 1, 6);
    CHECK(out == -inf, "all masked logsumexp %g", (double)out);

    /* NaN, +inf, -inf masked away: the softmax of {1, 3, 2} */
    {
        float kept[3] = {1.0f, 3.0f, 2.0f}, p[3];
        psm_softmax_f32(kept, p, 1, 3, 1.0f);
        expected[0] = p[0], expected[2] = p[1], expected[5] = p[2];
        expected[1] = expected[3] = expected[4] = 0.0f;
        psm_softmax_general_f32(x, 6, 1, skip_specials, 6, 1, &one, 0, y, 6, 1, 1, 6);
        CHECK(memcmp(y, expected, sizeof y) == 0, "masked specials differ");
        psm_logsumexp_general_f32(x, 6, 1, skip_specials, 6, 1, &out, 1, 1, 6);
        psm_logsumexp_f32(kept, p, 1, 3);
        CHECK(out == p[0], "masked logsumexp %g vs %g", (double)out, (double)p[0]);
    }
    /* a NaN that is included still makes the row NaN */
    psm_softmax_general_f32(x, 6, 1, with_nan, 6, 1, &one, 0, y, 6, 1, 1, 6);
    for (i = 0; i < 6; i++)
        CHECK(y[i] != y[i], "included NaN: y[%zu] = %g", i, (double)y[i]);
    /* included entries all -inf: the unmasked rule (NaN), not the empty row */
    psm_softmax_general_f32(x, 6, 1, only_minus_inf, 6, 1, &one, 0, y, 6, 1, 1, 6);
    CHECK(y[4] != y[4], "only -inf included: %g", (double)y[4]);
    /* +inf included: 1 there, 0 elsewhere */
    psm_softmax_general_f32(x, 6, 1, with_inf, 6, 1, &one, 0, y, 6, 1, 1, 6);
    CHECK(y[3] == 1.0f && y[0] == 0.0f && y[5] == 0.0f && y[1] == 0.0f, "+inf included");
    /* T = 0: one-hot on the largest included entry (3 is masked here) */
    {
        unsigned char mask[6] = {1, 0, 0, 0, 1, 1};
        psm_softmax_general_f32(x, 6, 1, mask, 6, 1, &zero, 0, y, 6, 1, 1, 6);
        CHECK(y[5] == 1.0f && y[0] == 0.0f && y[2] == 0.0f, "T = 0 masked: %g %g", (double)y[5],
              (double)y[2]);
    }
    /* in place: y == x */
    {
        double z[4] = {1.0, 2.0, 3.0, 4.0}, kept[3] = {1.0, 2.0, 4.0}, p[3], one64 = 1.0;
        unsigned char mask[4] = {1, 1, 0, 1};
        psm_log_softmax_f64(kept, p, 1, 3, 1.0);
        CHECK(psm_log_softmax_general_f64(z, 4, 1, mask, 4, 1, &one64, 0, z, 4, 1, 1, 4) ==
                  PSM_OK,
              "in place status");
        CHECK(z[0] == p[0] && z[1] == p[1] && z[2] == -INFINITY && z[3] == p[2],
              "in place masked log_softmax");
    }
}

/* Bad arguments: the status, and nothing written. */
static void test_errors(void)
{
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8], temps[2] = {1.0f, -1.0f};
    unsigned char where[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    float good = 1.0f, nan = NAN, out[2];
    size_t i;
    int status;
#define NOTHING_WRITTEN(buffer, count)                                                             \
    do {                                                                                           \
        for (i = 0; i < (count); i++)                                                              \
            CHECK((buffer)[i] == -7.0f, "written at %zu after an error", i);                      \
    } while (0)
#define RESET(buffer, count)                                                                       \
    for (i = 0; i < (count); i++)                                                                  \
    (buffer)[i] = -7.0f

    RESET(y, 8);
    status = psm_softmax_general_f32(x, 4, 1, where, 4, 1, temps, 1, y, 4, 1, 2, 4);
    CHECK(status == PSM_E_TEMPERATURE, "negative temperature of row 1: %d", status);
    NOTHING_WRITTEN(y, 8);
    status = psm_log_softmax_general_f32(x, 4, 1, NULL, 0, 0, &nan, 0, y, 4, 1, 2, 4);
    CHECK(status == PSM_E_TEMPERATURE, "NaN temperature: %d", status);
    NOTHING_WRITTEN(y, 8);
    status = psm_softmax_general_f32(x, 4, 1, NULL, 0, 0, NULL, 0, y, 4, 1, 2, 4);
    CHECK(status == PSM_E_NULL_POINTER, "NULL temperatures: %d", status);
    NOTHING_WRITTEN(y, 8);
    status = psm_softmax_general_f32(x, 4, 1, NULL, 0, 0, NULL, 0, NULL, 4, 1, 0, 4);
    CHECK(status == PSM_OK, "no rows, NULL everywhere: %d", status);
    /* the mask or the temperatures inside the output */
    status = psm_softmax_general_f32(x, 4, 1, (const unsigned char *)y, 4, 1, &good, 0, y, 4, 1,
                                     2, 4);
    CHECK(status == PSM_E_OVERLAP, "mask overlaps output: %d", status);
    NOTHING_WRITTEN(y, 8);
    status = psm_softmax_general_f32(x, 4, 1, where, 4, 1, y + 5, 0, y, 4, 1, 2, 4);
    CHECK(status == PSM_E_OVERLAP, "temperatures overlap output: %d", status);
    NOTHING_WRITTEN(y, 8);
    status = psm_softmax_general_f32(x, 4, 1, where, PTRDIFF_MAX, 1, &good, 0, y, 4, 1, 2, 4);
    CHECK(status == PSM_E_SIZE_OVERFLOW, "mask span overflows: %d", status);
    NOTHING_WRITTEN(y, 8);
    status = psm_softmax_general_f32(x, 4, 1, where, 4, 1, &good, 0, y, 0, 1, 2, 4);
    CHECK(status == PSM_E_STRIDE, "rows share outputs: %d", status);
    NOTHING_WRITTEN(y, 8);
    RESET(out, 2);
    status = psm_logsumexp_general_f32(x, 4, 1, (const unsigned char *)out, 4, 1, out, 1, 2, 4);
    CHECK(status == PSM_E_OVERLAP, "logsumexp mask overlaps out: %d", status);
    NOTHING_WRITTEN(out, 2);
    status = psm_logsumexp_general_f32(x, 4, 1, where, 4, 1, NULL, 1, 2, 4);
    CHECK(status == PSM_E_NULL_POINTER, "logsumexp NULL out: %d", status);
#undef NOTHING_WRITTEN
#undef RESET
}

int main(void)
{
    test_against_reference();
    test_plain_form_is_strided();
    test_masked_rules();
    test_errors();
    return psm_test_finish("test_general");
}
