/*
 * fuzz_weighted.c -- libFuzzer harness of the weighted logsumexp (added in
 * 0.2.0), psm_logsumexp_weighted_f32 and _f64: log|sum_i b_i exp(x_i)| per
 * row and, when asked, the sum's sign.
 *
 * Each input is one call: the element type; rows and n (as fuzz_rows.c reads
 * them); x's strides; the weights' strides and place (an allocation of
 * their own, b == x, inside x's allocation, NULL); out's and sign's strides
 * (1, -1, 0, small, padded, arbitrary) and places (their own, inside x's,
 * b's or each other's allocation, NULL; sign NULL: not asked); the caller's
 * floating-point state; x's rows (fuzz_rows.h's styles) and the weights
 * (all 1, +-1, normal of any scale with zeros, any bit pattern, special
 * values sprinkled in, alternating signs for sums that cancel, positive of
 * any magnitude, 0/1 as a mask).
 *
 * Invariants checked on every call:
 * - the status is the first that applies of PSM_E_SIZE_OVERFLOW (the span of
 *   x, b, out or sign beyond PTRDIFF_MAX bytes), PSM_E_NULL_POINTER (x or b
 *   NULL with rows * n > 0, out NULL with rows > 0), PSM_E_STRIDE (out or
 *   sign with stride 0 and rows > 1), PSM_E_OVERLAP (out or sign overlapping
 *   x, b or each other), else PSM_OK; up to the known deviations KD1 and KD3
 *   (out or sign in place over x on rows of one, stride 0) of
 *   csrc/fuzz/README.md;
 * - on error nothing is written; on success only out and sign are;
 * - the caller's exception flags and MXCSR's control bits are kept;
 * - the header's rules, exactly: terms with b == 0 or x == -inf left out
 *   whatever the other holds; a NaN among the others gives NaN (sign NaN);
 *   infinite terms decide alone (+inf with their sign, NaN when the signs
 *   differ); an empty sum (n == 0 included) gives -inf with sign 0; without
 *   sign, a negative sum gives NaN;
 * - finite sums against a long double reference: each term b exp(z), z =
 *   x - max carried by TwoSum, as b + b expm1(z) (so that an exp near 1
 *   keeps its digits), both parts added with TwoSum into a pair of long
 *   doubles, the products' errors by fmal: the reference's own error is
 *   expm1l's, 2^-63 of each b expm1(z).  Where the terms cancel by at most
 *   2^40 (c = sum |terms| / |S|), the sign is the reference's and out
 *   within 2 ULP of max(|out|, |max x|) (the header's logsumexp bound, as
 *   csrc/tests/test_weighted.c reads it) plus 2^-54 sum |terms| / |S| over
 *   the terms with x != max, twice what the library's exponentials (2^-55.5
 *   of each term, measured; exp(0) = 1 is exact) cost the sum
 *   (docs/c-api.md: about c 2^-55), plus
 *   the reference's error carried to log|S|; beyond
 *   it, or where the
 *   reference's S is within its own error of 0, only the rules' consistency
 *   (sign 1, -1 or 0, and 0 exactly with out = -inf).  The library's exact
 *   cancellations are csrc/tests/test_weighted.c's closed forms.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rows.h"

typedef struct {
    int f64;
    size_t rows, n;
    int x, b, out, sign; /* indices in `set` */
    int sign_null;       /* sign not asked */
    fz_environment environment;
    fz_arrays set;
    int expected, got;
} fz_case;

static fz_case fz_now;

static int fz_format(const fz_case *c)
{
    return c->f64 ? FZ_F64 : FZ_F32;
}

static void fz_describe_case(void)
{
    const fz_case *c = &fz_now;
    size_t i;
    fprintf(stderr, "  case: logsumexp_weighted_%s  rows=%zu n=%zu  sign %s\n",
            c->f64 ? "f64" : "f32", c->rows, c->n, c->sign_null ? "not asked" : "asked");
    fprintf(stderr, "  caller's flags %#x, FTZ %d, DAZ %d\n",
            (unsigned)c->environment.raised_flags, c->environment.ftz, c->environment.daz);
    fz_describe_arrays(&c->set);
    fprintf(stderr, "  status: expected %d %s, got %d %s\n", c->expected,
            fz_status_name(c->expected), c->got, fz_status_name(c->got));
    if (c->set.before[0] != NULL && fz_usable(&c->set, c->x) && fz_usable(&c->set, c->b) &&
        fz_failing_row < c->rows) {
        fprintf(stderr, "  row %zu (x, b):", fz_failing_row);
        for (i = 0; i < c->n && i < 32; i++)
            fprintf(stderr, " (%La, %La)", fz_get(&c->set, c->x, fz_failing_row, i, 1),
                    fz_get(&c->set, c->b, fz_failing_row, i, 1));
        fprintf(stderr, c->n > 32 ? " ...\n" : "\n");
    }
}

/* ------------------------------------------------------------ the status */

/* KD3: an output over x in place on rows of one entry (x_stride 0, the
 * output's stride x's row stride), which the library accepts. */
static int fz_in_place_of_one(const fz_case *c, const fz_array *output)
{
    const fz_array *x = &c->set.a[c->x];
    return output->pointer == x->pointer && c->n == 1 && x->s == 0 && x->rs == output->rs;
}

/* PSM_E_OVERLAP's pairs; `lenient`: KD3's pairs left out. */
static int fz_any_overlap(const fz_case *c, int lenient)
{
    const fz_arrays *s = &c->set;
    const fz_array *x = &s->a[c->x], *b = &s->a[c->b], *out = &s->a[c->out];
    const fz_array *sign = c->sign_null ? NULL : &s->a[c->sign];
    if (fz_overlap(out, x) && !(lenient && fz_in_place_of_one(c, out)))
        return 1;
    if (fz_overlap(out, b))
        return 1;
    if (sign != NULL && ((fz_overlap(sign, x) && !(lenient && fz_in_place_of_one(c, sign))) ||
                         fz_overlap(sign, b) || fz_overlap(sign, out)))
        return 1;
    return 0;
}

static int fz_expected_status(const fz_case *c)
{
    const fz_arrays *s = &c->set;
    const fz_array *x = &s->a[c->x], *b = &s->a[c->b], *out = &s->a[c->out];
    const fz_array *sign = c->sign_null ? NULL : &s->a[c->sign];
    if (fz_too_large(x) || fz_too_large(b) || fz_too_large(out) || (sign && fz_too_large(sign)))
        return PSM_E_SIZE_OVERFLOW;
    if (fz_is_null(x) || fz_is_null(b) || fz_is_null(out))
        return PSM_E_NULL_POINTER;
    if (fz_collides(out) || (sign && fz_collides(sign)))
        return PSM_E_STRIDE;
    if (fz_any_overlap(c, 0))
        return PSM_E_OVERLAP;
    return PSM_OK;
}

static int fz_known_deviation(const fz_case *c, int expected, int got)
{
    const fz_arrays *s = &c->set;
    if (PSM_FUZZ_STRICT)
        return 0;
    if (got == PSM_E_SIZE_OVERFLOW &&
        (fz_library_rejects(&s->a[c->x]) || fz_library_rejects(&s->a[c->b]) ||
         fz_library_rejects(&s->a[c->out]) ||
         (!c->sign_null && fz_library_rejects(&s->a[c->sign]))))
        return 1; /* KD1 */
    if (expected == PSM_E_OVERLAP && got == PSM_OK && !fz_any_overlap(c, 1))
        return 1; /* KD3 */
    return 0;
}

/* ------------------------------------------------------------ the call */

static int fz_call(void *context)
{
    const fz_case *c = (const fz_case *)context;
    const fz_arrays *s = &c->set;
    const fz_array *x = &s->a[c->x], *b = &s->a[c->b], *out = &s->a[c->out];
    const fz_array *sign = &s->a[c->sign];
    void *sign_pointer = c->sign_null ? NULL : sign->pointer;
    if (c->f64)
        return psm_logsumexp_weighted_f64((const double *)x->pointer, x->rs, x->s,
                                          (const double *)b->pointer, b->rs, b->s,
                                          (double *)out->pointer, out->rs, (double *)sign_pointer,
                                          sign->rs, c->rows, c->n);
    return psm_logsumexp_weighted_f32((const float *)x->pointer, x->rs, x->s,
                                      (const float *)b->pointer, b->rs, b->s,
                                      (float *)out->pointer, out->rs, (float *)sign_pointer,
                                      sign->rs, c->rows, c->n);
}

/* ------------------------------------------------------------ checking */

/* a + b exactly, as hi + lo (TwoSum). */
static void fz_two_sum(long double a, long double b, long double *hi, long double *lo)
{
    long double s = a + b, bv = s - a;
    *hi = s;
    *lo = (a - (s - bv)) + (b - bv);
}

static void fz_check_weighted_row(const fz_case *c, size_t r)
{
    const fz_arrays *s = &c->set;
    const int format = fz_format(c);
    long double out = fz_get(s, c->out, r, 0, 0);
    long double sign = c->sign_null ? 0.0L : fz_get(s, c->sign, r, 0, 0);
    long double max = -INFINITY, sum_hi = 0.0L, sum_lo = 0.0L, magnitude = 0.0L;
    long double inexact = 0.0L; /* of the terms whose exp(x - max) is not exactly 1 */
    long double error = 0.0L, reference, scale, bound;
    int positive_infinite = 0, negative_infinite = 0, has_nan = 0, counted = 0;
    size_t i;
    fz_failing_row = r;
    for (i = 0; i < c->n; i++) {
        long double x = fz_get(s, c->x, r, i, 1), b = fz_get(s, c->b, r, i, 1);
        if (b == 0.0L || x == -INFINITY)
            continue; /* left out, whatever the other holds */
        if (isnan(x) || isnan(b)) {
            has_nan = 1;
            continue;
        }
        if (x == INFINITY || isinf(b)) {
            positive_infinite |= b > 0.0L;
            negative_infinite |= b < 0.0L;
            continue;
        }
        counted = 1;
        if (x > max)
            max = x;
    }
    if (has_nan || (positive_infinite && negative_infinite)) {
        FZ_CHECK(isnan(out), "out[%zu] = %La, the rules say NaN (%s)", r, out,
                 has_nan ? "a NaN term" : "infinite terms of both signs");
        FZ_CHECK(c->sign_null || isnan(sign), "sign[%zu] = %La with a NaN result", r, sign);
        return;
    }
    if (positive_infinite || negative_infinite) {
        FZ_CHECK(c->sign_null || sign == (positive_infinite ? 1.0L : -1.0L),
                 "sign[%zu] = %La for infinite terms of sign %d", r, sign,
                 positive_infinite ? 1 : -1);
        if (c->sign_null && negative_infinite)
            FZ_CHECK(isnan(out), "out[%zu] = %La for a sum of -inf without sign: NaN", r, out);
        else
            FZ_CHECK(out == INFINITY, "out[%zu] = %La for infinite terms: +inf", r, out);
        return;
    }
    if (!counted) {
        FZ_CHECK(out == -INFINITY, "out[%zu] = %La for an empty sum: -inf", r, out);
        FZ_CHECK(c->sign_null || (sign == 0.0L && !signbit(sign)),
                 "sign[%zu] = %La for an empty sum: 0", r, sign);
        return;
    }
    /* S = sum of b exp(x - max) = sum of b + b expm1(x - max), as the pair
     * sum_hi + sum_lo */
    for (i = 0; i < c->n; i++) {
        long double x = fz_get(s, c->x, r, i, 1), b = fz_get(s, c->b, r, i, 1);
        long double hi, lo, m, product, product_error, t, u;
        if (b == 0.0L || x == -INFINITY)
            continue;
        fz_shifted(x, max, 1.0L, &hi, &lo);
        m = hi < -12000.0L ? -1.0L : expm1l(hi) + lo * expl(hi); /* exp(hi + lo) - 1 */
        product = b * m;
        product_error = fmal(b, m, -product);
        fz_two_sum(sum_hi, b, &t, &u);
        sum_hi = t;
        sum_lo += u;
        fz_two_sum(sum_hi, product, &t, &u);
        sum_hi = t;
        sum_lo += u + product_error;
        magnitude += fabsl(b + product);
        if (x != max)
            inexact += fabsl(b + product);
        error += fabsl(product) * 0x1p-62L + fabsl(b) * 0x1p-120L;
    }
    fz_two_sum(sum_hi, sum_lo, &sum_hi, &sum_lo);
    if (fabsl(sum_hi) <= 2.0L * error || magnitude > 0x1p40L * fabsl(sum_hi)) {
        /* the sign cannot be told here, or the terms cancel beyond the
         * documented limit: only the rules' consistency */
        FZ_CHECK(c->sign_null || sign == 1.0L || sign == -1.0L || sign == 0.0L,
                 "sign[%zu] = %La, not 1, -1 or 0", r, sign);
        FZ_CHECK(c->sign_null || (sign == 0.0L) == (out == -INFINITY),
                 "sign[%zu] = %La with out %La", r, sign, out);
        return;
    }
    if (!c->sign_null)
        FZ_CHECK(sign == (sum_hi > 0.0L ? 1.0L : -1.0L), "sign[%zu] = %La, the sum is %La", r,
                 sign, sum_hi);
    if (c->sign_null && sum_hi < 0.0L) {
        FZ_CHECK(isnan(out), "out[%zu] = %La for a negative sum without sign: NaN", r, out);
        return;
    }
    if (!fz_compare_values(format))
        return;
    reference = max + logl(fabsl(sum_hi)) + sum_lo / sum_hi;
    scale = fabsl(reference) > fabsl(max) ? fabsl(reference) : fabsl(max);
    bound = 2.0L * fz_ulp_at(format, scale) + 0x1p-54L * inexact / fabsl(sum_hi) +
            2.0L * error / fabsl(sum_hi);
    if (!(fabsl(out - reference) <= bound))
        FZ_FAIL("out[%zu] = %La, reference %La (S = %La, scale %La): off by %Lg ULP of the "
                "scale, bound %Lg", r, out, reference, sum_hi, scale,
                fabsl(out - reference) / fz_ulp_at(format, scale),
                bound / fz_ulp_at(format, scale));
}

/* ------------------------------------------------------------ one input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_describe = fz_describe_case;
    fz_check_isa("fuzz_weighted");
    fz_probe_long_double("fuzz_weighted");
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}

/* One row of weights in one of the modes (values of the element type). */
static void fz_fill_weights(fz_input *in, fz_case *c, size_t r)
{
    unsigned mode = fz_byte(in) % 8;
    double scale = ldexp(1.0, (int)(fz_byte(in) % 60) - 30);
    fz_style style = fz_read_style(in, c->f64);
    size_t i;
    for (i = 0; i < c->n; i++) {
        double w;
        switch (mode) {
        case 0:
            w = 1.0;
            break;
        case 1:
            w = (fz_random(in) & 1) ? 1.0 : -1.0;
            break;
        case 2:
            w = (fz_random(in) % 5 == 0) ? 0.0 : scale * fz_normal(in);
            break;
        case 3:
            w = fz_raw_value(in, c->f64);
            break;
        case 4:
            w = fz_entry(in, &style, c->f64, 1.0);
            break;
        case 5: /* alternating signs: with near-equal x, sums that cancel */
            w = ((i & 1) ? -1.0 : 1.0) * (1.0 + scale * 0x1p-30 * fz_normal(in));
            break;
        case 6:
            w = fabs(fz_wide_value(in, c->f64));
            break;
        default:
            w = (double)(fz_random(in) & 1);
            break;
        }
        fz_put(&c->set, c->b, r, i, c->f64 ? w : (double)(float)w);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = fz_start(data, size);
    fz_case *c = &fz_now;
    fz_arrays *s = &c->set;
    unsigned mode;
    ptrdiff_t rs, st;
    int format, status;
    size_t r, i;

    memset(c, 0, sizeof *c);
    fz_failing_row = 0;
    c->f64 = (int)(fz_byte(&in) & 1u);
    format = fz_format(c);
    c->rows = fz_read_rows(&in);
    c->n = fz_read_n(&in);

    fz_read_layout(&in, c->rows, c->n, &rs, &st);
    c->x = fz_add(s, "x", format, c->rows, c->n, rs, st, 0);
    mode = fz_byte(&in) % 8;
    if (mode == 4) {
        c->b = fz_add(s, "b", format, c->rows, c->n, rs, st, 0); /* b == x */
        s->a[c->b].group = s->a[c->x].group;
    } else {
        if (fz_byte(&in) % 3 != 0)
            fz_read_layout(&in, c->rows, c->n, &rs, &st);
        c->b = fz_add(s, "b", format, c->rows, c->n, rs, st, 0);
        if (mode == 5)
            fz_shift_into(&in, s, c->b, c->x);
        else if (mode == 6)
            s->a[c->b].null = 1;
        else if (mode == 7)
            s->a[c->x].null = 1;
    }
    c->out = fz_add(s, "out", format, c->rows, 1, fz_read_row_stride(&in), 0, 1);
    mode = fz_byte(&in) % 10;
    if (mode == 6)
        fz_shift_into(&in, s, c->out, c->x);
    else if (mode == 7)
        fz_shift_into(&in, s, c->out, c->b);
    else if (mode == 8)
        s->a[c->out].null = 1;
    else if (mode == 9) /* over x with x's row stride: KD3's in place */
        s->a[c->out].group = s->a[c->x].group, s->a[c->out].rs = s->a[c->x].rs;
    mode = fz_byte(&in) % 10;
    c->sign_null = mode < 3;
    c->sign = fz_add(s, "sign", format, c->rows, 1,
                     mode == 3 ? s->a[c->out].rs : fz_read_row_stride(&in), 0, 1);
    s->a[c->sign].null = s->a[c->sign].absent = c->sign_null;
    if (mode == 6)
        fz_shift_into(&in, s, c->sign, c->out);
    else if (mode == 7)
        fz_shift_into(&in, s, c->sign, c->x);
    else if (mode == 8)
        fz_shift_into(&in, s, c->sign, c->b);
    c->environment = fz_read_environment(&in);

    fz_place(s);
    if (s->fits) {
        if (!s->a[c->x].null)
            for (r = 0; r < c->rows; r++) {
                fz_style style = fz_read_style(&in, c->f64);
                for (i = 0; i < c->n; i++)
                    fz_put(s, c->x, r, i, fz_entry(&in, &style, c->f64, 1.0));
            }
        if (!s->a[c->b].null && s->a[c->b].pointer != s->a[c->x].pointer)
            for (r = 0; r < c->rows; r++)
                fz_fill_weights(&in, c, r);
    }
    fz_snapshot(s);

    c->expected = fz_expected_status(c);
    if (!s->fits && (c->expected == PSM_OK || fz_known_deviation(c, c->expected, PSM_OK)))
        goto done; /* too large to run here (KD3: the library may compute) */
    status = fz_call_in_environment(&c->environment, fz_call, c, &c->got);
    if (status != c->expected && !fz_known_deviation(c, c->expected, status))
        FZ_FAIL("status %d (%s), expected %d (%s)", status, fz_status_name(status), c->expected,
                fz_status_name(c->expected));
    if (status != PSM_OK) {
        fz_check_untouched(s, "logsumexp_weighted", status);
        goto done;
    }
    fz_check_only_outputs_written(s);
    if (fz_long_double_is_emulated)
        goto done;
    for (r = 0; r < c->rows; r++) {
        if (c->n == 0) {
            long double out = fz_get(s, c->out, r, 0, 0);
            FZ_CHECK(out == -INFINITY, "out[%zu] = %La for n == 0: -inf", r, out);
            FZ_CHECK(c->sign_null || fz_bits(s, c->sign, r, 0, 0) == 0,
                     "sign[%zu] = %La for n == 0: +0", r, fz_get(s, c->sign, r, 0, 0));
            continue;
        }
        fz_check_weighted_row(c, r);
    }

done:
    fz_free_arrays(s);
    return 0;
}
