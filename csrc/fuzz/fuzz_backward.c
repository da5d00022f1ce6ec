/*
 * fuzz_backward.c -- libFuzzer harness of the backward functions (added in
 * 0.2.0): psm_softmax_backward_* and psm_log_softmax_backward_*, float32 and
 * float64, contiguous, strided and general (one temperature per row).
 *
 * Each input is one call: the function, element type and entry point; rows
 * and n (as fuzz_rows.c reads them); the strides of y, dy and dx
 * (fuzz_rows.h's layouts); where they lie (dy == y, dy overlapping y, dx ==
 * dy or dx == y in place, dx overlapping either, any of them NULL); the
 * temperature (fuzz_rows.h's: 1, special values, any bit pattern) or, for
 * the general functions, the temperatures (one for all, any per row, one
 * invalid among valid ones; strides 0, +-1, small, padded, arbitrary; their
 * own allocation, inside y's or dx's, NULL); the caller's floating-point
 * state; y (the forward function's output on random rows, computed here in
 * long double and rounded; with entries 0 or -inf, NaN sprinkled in; or any
 * values of fuzz_rows.h's styles) and dy (fuzz_rows.h's styles).
 *
 * Invariants checked on every call:
 * - the status is the first that applies, in the header's order, of
 *   PSM_E_SIZE_OVERFLOW (the span of y, dy, dx or the temperatures beyond
 *   PTRDIFF_MAX bytes; contiguous: rows * n * size), PSM_E_NULL_POINTER (y,
 *   dy or dx NULL with rows * n > 0; the temperatures NULL with rows > 0),
 *   PSM_E_STRIDE (strided, general: two dx share an element), PSM_E_OVERLAP
 *   (dx overlapping y or dy without being it with the same strides; the
 *   temperatures overlapping dx), PSM_E_TEMPERATURE (T < 0 or NaN; general:
 *   any row's), else PSM_OK; up to KD1 (csrc/fuzz/README.md);
 * - on error nothing is written; on success only dx is;
 * - the caller's exception flags and MXCSR's control bits are kept;
 * - the header's rules, exactly: T == 0 or +inf gives dx = +0 everywhere;
 *   the entries where y == 0 (softmax) or y == -inf (log_softmax) get
 *   dx = +0 and are left out of the sums; a NaN in y or dy of the others
 *   makes their whole row NaN (log_softmax: a NaN dy does; a NaN y its own
 *   entry), and the infinities and NaN of the formulas evaluated as IEEE
 *   arithmetic does (where the order of the sum cannot matter);
 * - finite rows (float64 softmax: |y| <= 2^180, past the forward range
 *   [0, 1], up to where the library's vector kernel goes, beyond which it
 *   evaluates the formula in plain double; log_softmax: y <= 0, the forward
 *   range) against the formula in long
 *   double (the products' errors by fmal, the sums in pairs of long
 *   doubles, x - s by TwoSum): within 1 ULP of the exact value plus what
 *   the header allows where dy - sum cancels, twice over (float32 c 2^-24
 *   ULP, float64 softmax c 2^-45, log_softmax c / 4, c the cancellation);
 *   Known deviations, accepted unless PSM_FUZZ_STRICT: KD4 (D10, D12, open):
 *   float64 scales dy so that the row's largest counted |dy|, D, is in
 *   [1, 2), and the double-double arithmetic after it loses what falls below
 *   2^-1022 there (a tiny dy that decides its own dx, log_softmax; the
 *   products dy y and the sum s 2^L, softmax), though a small T may bring
 *   the result back to the normal range: an entry may be off by D 2^-1020 / T
 *   (log_softmax), |y| (n + 2) 2^-1073 max(1, D) / T + D 2^-1600 / T
 *   (softmax), nothing next to the values of ordinary rows.  KD5 (D11, open): float64 log_softmax
 *   takes exp(y) as 0 below y = -1000 (the vector kernel) or -745 (the
 *   plain method, in double), though exp(y) S / T may be representable: an
 *   entry with y < -700 may be off by exp(y) sum |dy| / T.  KD6: float64
 *   log_softmax rows with a NaN y take the plain method (backward_numerics.h),
 *   formulas in double and the sum not compensated: the entries beside the
 *   NaN are a few ULP off, more where the sum cancels, NaN where the sum
 *   overflows double; only the rules are checked on such rows;
 * - the strided and general functions give, bit for bit, what the
 *   contiguous functions give on the same rows (docs/c-api.md: "the same
 *   results as the contiguous functions, bit for bit, for every layout").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rows.h"

enum { FZ_CONTIGUOUS, FZ_STRIDED, FZ_GENERAL };
static const char *const fz_kind_names[3] = {"", "_strided", "_general"};

typedef struct {
    int log_output, f64, kind;
    size_t rows, n;
    int y, dy, dx, temperatures; /* indices in `set`; temperatures -1 unless general */
    fz_temperature temperature;  /* contiguous, strided */
    fz_environment environment;
    fz_arrays set;
    int expected, got;
} fz_case;

static fz_case fz_now;

static int fz_format(const fz_case *c)
{
    return c->f64 ? FZ_F64 : FZ_F32;
}

static const char *fz_name(const fz_case *c)
{
    return c->log_output ? "log_softmax_backward" : "softmax_backward";
}

/* Row r's temperature (as the library reads it). */
static long double fz_row_temperature(const fz_case *c, size_t r)
{
    if (c->kind == FZ_GENERAL)
        return fz_get(&c->set, c->temperatures, r, 0, 1);
    return c->f64 ? (long double)c->temperature.t64 : (long double)c->temperature.t32;
}

static void fz_describe_case(void)
{
    const fz_case *c = &fz_now;
    size_t i;
    fprintf(stderr, "  case: %s%s_%s  rows=%zu n=%zu", fz_name(c), fz_kind_names[c->kind],
            c->f64 ? "f64" : "f32", c->rows, c->n);
    if (c->kind != FZ_GENERAL)
        fprintf(stderr, "  temperature %La", fz_row_temperature(c, 0));
    fprintf(stderr, "\n  caller's flags %#x, FTZ %d, DAZ %d; kernels %s\n",
            (unsigned)c->environment.raised_flags, c->environment.ftz, c->environment.daz,
            psm_isa());
    fz_describe_arrays(&c->set);
    fprintf(stderr, "  status: expected %d %s, got %d %s\n", c->expected,
            fz_status_name(c->expected), c->got, fz_status_name(c->got));
    if (c->set.before[0] != NULL && fz_usable(&c->set, c->y) && fz_usable(&c->set, c->dy) &&
        fz_failing_row < c->rows) {
        fprintf(stderr, "  row %zu (y, dy):", fz_failing_row);
        for (i = 0; i < c->n && i < 32; i++)
            fprintf(stderr, " (%La, %La)", fz_get(&c->set, c->y, fz_failing_row, i, 1),
                    fz_get(&c->set, c->dy, fz_failing_row, i, 1));
        fprintf(stderr, c->n > 32 ? " ...\n" : "\n");
        if (c->kind == FZ_GENERAL && fz_usable(&c->set, c->temperatures))
            fprintf(stderr, "  its temperature %La\n", fz_row_temperature(c, fz_failing_row));
    }
}

/* ------------------------------------------------------------ the status */

static int fz_expected_status(const fz_case *c)
{
    const fz_arrays *s = &c->set;
    const fz_array *y = &s->a[c->y], *dy = &s->a[c->dy], *dx = &s->a[c->dx];
    const fz_array *t = c->kind == FZ_GENERAL ? &s->a[c->temperatures] : NULL;
    size_t r;
    if (fz_too_large(y) || fz_too_large(dy) || fz_too_large(dx) || (t && fz_too_large(t)))
        return PSM_E_SIZE_OVERFLOW;
    if (fz_is_null(y) || fz_is_null(dy) || fz_is_null(dx) || (t && fz_is_null(t)))
        return PSM_E_NULL_POINTER;
    if (c->kind != FZ_CONTIGUOUS && fz_collides(dx))
        return PSM_E_STRIDE;
    if ((fz_overlap(dx, y) && !fz_same(dx, y)) || (fz_overlap(dx, dy) && !fz_same(dx, dy)) ||
        (t && fz_overlap(t, dx)))
        return PSM_E_OVERLAP;
    if (t == NULL)
        return fz_temperature_is_invalid(c->f64 ? c->temperature.t64
                                                : (double)c->temperature.t32)
                   ? PSM_E_TEMPERATURE
                   : PSM_OK;
    if (!s->fits)
        return PSM_OK; /* the temperatures cannot be read (the caller skips) */
    for (r = 0; r < c->rows; r++)
        if (fz_temperature_is_invalid(fz_get_double(s, c->temperatures, r, 0, 1)))
            return PSM_E_TEMPERATURE;
    return PSM_OK;
}

static int fz_known_deviation(const fz_case *c, int expected, int got)
{
    const fz_arrays *s = &c->set;
    (void)expected;
    if (PSM_FUZZ_STRICT)
        return 0;
    return got == PSM_E_SIZE_OVERFLOW &&
           (fz_library_rejects(&s->a[c->y]) || fz_library_rejects(&s->a[c->dy]) ||
            fz_library_rejects(&s->a[c->dx]) ||
            (c->kind == FZ_GENERAL && fz_library_rejects(&s->a[c->temperatures])));
}

/* ------------------------------------------------------------ the call */

typedef struct {
    const void *y, *dy, *temperatures;
    void *dx;
} fz_pointers;

static int fz_call_with(const fz_case *c, const fz_pointers *p)
{
    const fz_arrays *s = &c->set;
    const fz_array *y = &s->a[c->y], *dy = &s->a[c->dy], *dx = &s->a[c->dx];
    const ptrdiff_t ts = c->kind == FZ_GENERAL ? s->a[c->temperatures].rs : 0;
    const float t32 = c->temperature.t32;
    const double t64 = c->temperature.t64;
    if (c->f64) {
        const double *yp = (const double *)p->y, *dyp = (const double *)p->dy;
        double *dxp = (double *)p->dx;
        switch (c->kind) {
        case FZ_CONTIGUOUS:
            return (c->log_output ? psm_log_softmax_backward_f64 : psm_softmax_backward_f64)(
                yp, dyp, dxp, c->rows, c->n, t64);
        case FZ_STRIDED:
            return (c->log_output ? psm_log_softmax_backward_strided_f64
                                  : psm_softmax_backward_strided_f64)(
                yp, y->rs, y->s, dyp, dy->rs, dy->s, dxp, dx->rs, dx->s, c->rows, c->n, t64);
        default:
            return (c->log_output ? psm_log_softmax_backward_general_f64
                                  : psm_softmax_backward_general_f64)(
                yp, y->rs, y->s, dyp, dy->rs, dy->s, (const double *)p->temperatures, ts, dxp,
                dx->rs, dx->s, c->rows, c->n);
        }
    } else {
        const float *yp = (const float *)p->y, *dyp = (const float *)p->dy;
        float *dxp = (float *)p->dx;
        switch (c->kind) {
        case FZ_CONTIGUOUS:
            return (c->log_output ? psm_log_softmax_backward_f32 : psm_softmax_backward_f32)(
                yp, dyp, dxp, c->rows, c->n, t32);
        case FZ_STRIDED:
            return (c->log_output ? psm_log_softmax_backward_strided_f32
                                  : psm_softmax_backward_strided_f32)(
                yp, y->rs, y->s, dyp, dy->rs, dy->s, dxp, dx->rs, dx->s, c->rows, c->n, t32);
        default:
            return (c->log_output ? psm_log_softmax_backward_general_f32
                                  : psm_softmax_backward_general_f32)(
                yp, y->rs, y->s, dyp, dy->rs, dy->s, (const float *)p->temperatures, ts, dxp,
                dx->rs, dx->s, c->rows, c->n);
        }
    }
}

static int fz_call(void *context)
{
    const fz_case *c = (const fz_case *)context;
    const fz_arrays *s = &c->set;
    fz_pointers p;
    p.y = s->a[c->y].pointer;
    p.dy = s->a[c->dy].pointer;
    p.dx = s->a[c->dx].pointer;
    p.temperatures = c->kind == FZ_GENERAL ? s->a[c->temperatures].pointer : NULL;
    return fz_call_with(c, &p);
}

/* ------------------------------------------------------------ checking */

static void fz_two_sum(long double a, long double b, long double *hi, long double *lo)
{
    long double s = a + b, bv = s - a;
    *hi = s;
    *lo = (a - (s - bv)) + (b - bv);
}

/* Whether entry (r, i) counts: y != 0 (softmax), y != -inf (log_softmax). */
static int fz_counts(const fz_case *c, long double y)
{
    return c->log_output ? y != -INFINITY : y != 0.0L;
}

/* got within the allowed error of the reference; an infinite got where some
 * value within the allowed error rounds to it (beyond the format's largest
 * finite value plus half an ULP, on got's side). */
static void fz_check_gradient(const fz_case *c, size_t r, size_t i, long double got,
                              long double reference, long double allowed)
{
    const int format = fz_format(c);
    const long double rounded = fz_round(format, reference);
    const long double overflow =
        ldexpl(1.0L, fz_max_exponent(format) + 1) * (1.0L - ldexpl(1.0L, -fz_precision(format) - 1));
    int ok;
    if (isinf(got))
        ok = got > 0 ? reference + allowed >= overflow : reference - allowed <= -overflow;
    else
        ok = fabsl(got - reference) <= allowed;
    if (!ok) {
        fz_failing_row = r, fz_failing_entry = i;
        FZ_FAIL("dx[%zu, %zu] = %La, the formula gives %La (rounded %La): off by %Lg ULP, "
                "allowed %Lg", r, i, got, reference, rounded,
                fabsl(got - reference) / fz_ulp_at(format, reference),
                allowed / fz_ulp_at(format, reference));
    }
}

static void fz_check_backward_row(const fz_case *c, size_t r)
{
    const fz_arrays *s = &c->set;
    const int format = fz_format(c);
    const long double temperature = fz_row_temperature(c, r);
    const char *name = fz_name(c);
    long double sum_hi = 0.0L, sum_lo = 0.0L, magnitude = 0.0L, infinite_sum = 0.0L;
    long double largest_dy = 0.0L;
    int nan_y = 0, nan_term = 0, infinite = 0, in_range = 1;
    size_t i;
    fz_failing_row = r;
    if (temperature == 0.0L || temperature == INFINITY) {
        for (i = 0; i < c->n; i++)
            FZ_CHECK(fz_bits(s, c->dx, r, i, 0) == 0, "%s[%zu, %zu] = %La at T = %La: +0", name,
                     r, i, fz_get(s, c->dx, r, i, 0), temperature);
        return;
    }
    /* the sum, over the entries that count, and what the row holds */
    for (i = 0; i < c->n; i++) {
        long double y = fz_get(s, c->y, r, i, 1), dy = fz_get(s, c->dy, r, i, 1);
        long double term, term_error, t, u;
        if (!fz_counts(c, y))
            continue;
        nan_y |= isnan(y);
        infinite |= isinf(y) || isinf(dy);
        if (c->log_output)
            in_range &= !(y > 0.0L);
        else if (c->f64)
            in_range &= fabsl(y) <= 0x1p180L;
        term = c->log_output ? dy : dy * y; /* log_softmax: a NaN y counts, with its dy */
        if (isnan(term)) { /* NaN, or 0 * inf: the sum is NaN, and with it the row */
            nan_term = 1;
            continue;
        }
        if (fabsl(dy) > largest_dy)
            largest_dy = fabsl(dy);
        if (!isfinite(term)) { /* inf (or inf * 0: NaN), apart from the finite terms */
            infinite_sum += term;
            continue;
        }
        term_error = c->log_output ? 0.0L : fmal(dy, y, -term);
        fz_two_sum(sum_hi, term, &t, &u);
        sum_hi = t;
        sum_lo += u + term_error;
        magnitude += fabsl(term);
    }
    fz_two_sum(sum_hi, sum_lo, &sum_hi, &sum_lo);
    for (i = 0; i < c->n; i++) {
        long double y = fz_get(s, c->y, r, i, 1), dy = fz_get(s, c->dy, r, i, 1);
        long double got = fz_get(s, c->dx, r, i, 0), reference, allowed, entry_magnitude;
        fz_failing_entry = i;
        if (!fz_counts(c, y)) {
            FZ_CHECK(fz_bits(s, c->dx, r, i, 0) == 0,
                     "%s[%zu, %zu] = %La where y = %La does not count: +0", name, r, i, got, y);
            continue;
        }
        if (nan_term || isnan(y)) {
            FZ_CHECK(isnan(got), "%s[%zu, %zu] = %La: a NaN in the row's sum (or in y) makes it "
                     "NaN", name, r, i, got);
            continue;
        }
        if (infinite || !in_range) {
            /* IEEE arithmetic's infinities and NaN (the formula in long
             * double, plainly), where neither the sum's order nor an overflow
             * of its finite terms (float64) nor an exp underflowing in double
             * can change them; the rest is not the forward functions' range:
             * no value to compare */
            long double sum = infinite_sum + sum_hi;
            int order_free = !c->f64 || magnitude < 0x1p1020L;
            int exp_defined = !c->log_output || !(y < -700.0L) || isfinite(sum);
            if (!infinite || !order_free || !exp_defined || !in_range)
                continue;
            reference = c->log_output ? (dy - expl(y) * sum) / temperature
                                      : y * (dy - sum) / temperature;
            if (isnan(reference))
                FZ_CHECK(isnan(got), "%s[%zu, %zu] = %La, IEEE arithmetic on the formula: NaN",
                         name, r, i, got);
            else if (isinf(reference))
                FZ_CHECK(got == reference,
                         "%s[%zu, %zu] = %La, IEEE arithmetic on the formula: %La", name, r, i,
                         got, reference);
            continue;
        }
        if (c->log_output) {
            long double e = expl(y), p = e * sum_hi, p_error = fmal(e, sum_hi, -p), t, u;
            fz_two_sum(dy, -p, &t, &u);
            reference = (t + (u - p_error - e * sum_lo)) / temperature;
            entry_magnitude = (fabsl(dy) + e * magnitude) / temperature;
        } else {
            long double t, u;
            fz_two_sum(dy, -sum_hi, &t, &u);
            reference = y * (t + (u - sum_lo)) / temperature;
            entry_magnitude = fabsl(y) * (fabsl(dy) + magnitude) / temperature;
        }
        if (!fz_compare_values(format))
            continue;
        /* 1 ULP (the reference's own error: 2^-8 of it), and the header's
         * allowance for cancellation, twice over */
        allowed = fz_ulp_at(format, reference) * (1.0L + 0x1p-8L) +
                  entry_magnitude * (!c->f64 ? 0x1p-46L : c->log_output ? 0x1p-53L : 0x1p-96L);
        if (!PSM_FUZZ_STRICT && c->f64) /* KD4 */
            allowed += (c->log_output ? largest_dy * 0x1p-1020L
                                      : fabsl(y) * (long double)(c->n + 2) * 0x1p-1073L *
                                                (largest_dy > 1.0L ? largest_dy : 1.0L) +
                                            largest_dy * 0x1p-1600L) /
                       temperature;
        if (!PSM_FUZZ_STRICT && c->f64 && c->log_output && y < -700.0L)
            allowed += expl(y) * magnitude / temperature; /* KD5 */
        if (!PSM_FUZZ_STRICT && c->f64 && nan_y)
            continue; /* KD6: the plain method */
        fz_check_gradient(c, r, i, got, reference, allowed);
    }
}

/* The contiguous function on each row gathered from the allocations as
 * they were, compared bit for bit (docs/c-api.md: the same results for
 * every layout). */
static void fz_check_same_as_contiguous(const fz_case *c)
{
    const fz_arrays *s = &c->set;
    const size_t size = fz_format_size(fz_format(c));
    unsigned char *y = (unsigned char *)fz_allocate(c->n * size);
    unsigned char *dy = (unsigned char *)fz_allocate(c->n * size);
    unsigned char *dx = (unsigned char *)fz_allocate(c->n * size);
    size_t r, i;
    for (r = 0; r < c->rows; r++) {
        fz_case one = *c;
        fz_pointers p;
        int status;
        for (i = 0; i < c->n; i++) {
            memcpy(y + i * size, fz_at(s, &s->a[c->y], r, i, 1), size);
            memcpy(dy + i * size, fz_at(s, &s->a[c->dy], r, i, 1), size);
        }
        one.kind = FZ_CONTIGUOUS;
        one.rows = 1;
        if (c->kind == FZ_GENERAL)
            memcpy(c->f64 ? (void *)&one.temperature.t64 : (void *)&one.temperature.t32,
                   fz_at(s, &s->a[c->temperatures], r, 0, 1), size);
        p.y = y, p.dy = dy, p.dx = dx, p.temperatures = NULL;
        status = fz_call_with(&one, &p);
        FZ_CHECK(status == PSM_OK, "the contiguous function on row %zu returned %d (%s)", r,
                 status, fz_status_name(status));
        for (i = 0; i < c->n; i++)
            if (memcmp(dx + i * size, fz_at(s, &s->a[c->dx], r, i, 0), size) != 0) {
                fz_failing_row = r, fz_failing_entry = i;
                FZ_FAIL("dx[%zu, %zu] = %La, the contiguous function's %La: not bit for bit", r,
                        i, fz_get(s, c->dx, r, i, 0),
                        c->f64 ? (long double)*(const double *)(const void *)(dx + i * size)
                               : (long double)*(const float *)(const void *)(dx + i * size));
            }
    }
    free(y);
    free(dy);
    free(dx);
}

/* ------------------------------------------------------------ one input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_describe = fz_describe_case;
    fz_check_isa("fuzz_backward");
    fz_probe_long_double("fuzz_backward");
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}

/* Row r of y: the forward function's output on a random row (softmax or
 * log_softmax in long double, rounded), with entries 0 (-inf) or NaN put
 * in, or values of one of fuzz_rows.h's styles. */
static void fz_fill_y(fz_input *in, fz_case *c, size_t r, long double *scratch)
{
    unsigned mode = fz_byte(in) % 6;
    double scale = ldexp(1.0, (int)(fz_byte(in) % 16) - 4);
    unsigned rate = fz_byte(in);
    size_t i;
    if (mode >= 4) {
        fz_style style = fz_read_style(in, c->f64);
        for (i = 0; i < c->n; i++)
            fz_put(&c->set, c->y, r, i, fz_entry(in, &style, c->f64, 1.0));
        return;
    }
    {
        long double max = -INFINITY, sum = 0.0L;
        for (i = 0; i < c->n; i++) {
            scratch[i] = (long double)(scale * fz_normal(in));
            if (scratch[i] > max)
                max = scratch[i];
        }
        for (i = 0; i < c->n; i++)
            sum += expl(scratch[i] - max);
        for (i = 0; i < c->n; i++) {
            long double v = c->log_output ? (scratch[i] - max) - logl(sum)
                                          : expl(scratch[i] - max) / sum;
            double value = c->f64 ? (double)v : (double)(float)v;
            if (mode >= 1 && (fz_random(in) >> 56) < rate / 2)
                value = c->log_output ? -INFINITY : 0.0; /* masked, or underflowed */
            if (mode >= 2 && (fz_random(in) >> 56) < rate / 16)
                value = mode == 2 ? NAN : fz_special((unsigned)fz_random(in), c->f64);
            fz_put(&c->set, c->y, r, i, value);
        }
    }
}

/* An array of rows x n with strides read from the input (contiguous for the
 * contiguous entry points), or those of `like`. */
static int fz_add_rows(fz_input *in, fz_case *c, const char *name, int output, int like)
{
    fz_arrays *s = &c->set;
    ptrdiff_t rs = (ptrdiff_t)c->n, st = 1;
    int k;
    if (c->kind != FZ_CONTIGUOUS) {
        if (like >= 0)
            rs = s->a[like].rs, st = s->a[like].s;
        else
            fz_read_layout(in, c->rows, c->n, &rs, &st);
    }
    k = fz_add(s, name, fz_format(c), c->rows, c->n, rs, st, output);
    s->a[k].contiguous = c->kind == FZ_CONTIGUOUS;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = fz_start(data, size);
    fz_case *c = &fz_now;
    fz_arrays *s = &c->set;
    long double *scratch = NULL;
    unsigned head, mode;
    int status;
    size_t r, i;

    memset(c, 0, sizeof *c);
    fz_failing_row = 0;
    head = fz_byte(&in);
    c->f64 = (int)(head & 1u);
    c->log_output = (int)((head >> 1) & 1u);
    c->kind = (int)((head >> 2) % 3);
    c->rows = fz_read_rows(&in);
    c->n = fz_read_n(&in);
    c->temperatures = -1;

    c->y = fz_add_rows(&in, c, "y", 0, -1);
    mode = fz_byte(&in) % 8;
    c->dy = fz_add_rows(&in, c, "dy", 0, mode == 5 || fz_byte(&in) % 3 == 0 ? c->y : -1);
    if (mode == 5)
        s->a[c->dy].group = s->a[c->y].group; /* dy == y */
    else if (mode == 6)
        fz_shift_into(&in, s, c->dy, c->y);
    else if (mode == 7)
        s->a[c->dy].null = 1;
    mode = fz_byte(&in) % 12;
    c->dx = fz_add_rows(&in, c, "dx", 1,
                        mode == 6 || mode == 7 ? c->dy
                        : mode == 8 || fz_byte(&in) % 3 == 0 ? c->y
                                                              : -1);
    if (mode == 6 || mode == 7)
        s->a[c->dx].group = s->a[c->dy].group, s->a[c->dx].offset = s->a[c->dy].offset;
    else if (mode == 8)
        s->a[c->dx].group = s->a[c->y].group, s->a[c->dx].offset = s->a[c->y].offset;
    else if (mode == 9)
        fz_shift_into(&in, s, c->dx, c->y);
    else if (mode == 10)
        fz_shift_into(&in, s, c->dx, c->dy);
    else if (mode == 11)
        s->a[c->dx].null = 1;
    if (fz_byte(&in) % 16 == 0)
        s->a[c->y].null = 1;
    if (c->kind == FZ_GENERAL) {
        c->temperatures = fz_add(s, "temperatures", fz_format(c), c->rows, 1,
                                 fz_read_row_stride(&in), 0, 0);
        mode = fz_byte(&in) % 8;
        if (mode == 5)
            fz_shift_into(&in, s, c->temperatures, c->dx);
        else if (mode == 6)
            fz_shift_into(&in, s, c->temperatures, c->y);
        else if (mode == 7)
            s->a[c->temperatures].null = 1;
    } else {
        c->temperature = fz_read_temperature(&in, c->f64);
    }
    c->environment = fz_read_environment(&in);

    fz_place(s);
    if (s->fits && c->rows > 0) {
        scratch = (long double *)fz_allocate(c->n * sizeof *scratch);
        if (!s->a[c->y].null)
            for (r = 0; r < c->rows; r++)
                fz_fill_y(&in, c, r, scratch);
        if (!s->a[c->dy].null && s->a[c->dy].pointer != s->a[c->y].pointer)
            for (r = 0; r < c->rows; r++) {
                fz_style style = fz_read_style(&in, c->f64);
                for (i = 0; i < c->n; i++)
                    fz_put(s, c->dy, r, i, fz_entry(&in, &style, c->f64, 1.0));
            }
        if (c->kind == FZ_GENERAL && !s->a[c->temperatures].null)
            fz_fill_temperatures(&in, &c->set, c->temperatures, c->rows, c->f64);
    }
    fz_snapshot(s);

    c->expected = fz_expected_status(c);
    if (!s->fits && c->expected == PSM_OK)
        goto done; /* too large to run here */
    status = fz_call_in_environment(&c->environment, fz_call, c, &c->got);
    if (status != c->expected && !fz_known_deviation(c, c->expected, status))
        FZ_FAIL("status %d (%s), expected %d (%s)", status, fz_status_name(status), c->expected,
                fz_status_name(c->expected));
    if (status != PSM_OK) {
        fz_check_untouched(s, fz_name(c), status);
        goto done;
    }
    fz_check_only_outputs_written(s);
    if (c->rows == 0 || c->n == 0)
        goto done;
    if (c->kind != FZ_CONTIGUOUS)
        fz_check_same_as_contiguous(c);
    if (fz_long_double_is_emulated)
        goto done;
    for (r = 0; r < c->rows; r++)
        fz_check_backward_row(c, r);

done:
    free(scratch);
    fz_free_arrays(s);
    return 0;
}
