/*
 * backward_numerics.h -- between the two passes of a backward row: from
 * what pass 1 found (psm_backward_sums), how pass 2 runs and with which
 * constants (psm_backward_row).  Internal; used by backward_functions.inc.
 */
#ifndef PSM_BACKWARD_NUMERICS_H
#define PSM_BACKWARD_NUMERICS_H

#include "backward_table.h"
#include "double_double.h"

/* How pass 2 of a row runs. */
enum {
    PSM_BACKWARD_VECTOR,  /* the vector kernel, with the row's constants */
    PSM_BACKWARD_RESCALE, /* pass 1 again with dy times row->scale first */
    PSM_BACKWARD_PLAIN    /* the plain method (backward_functions.inc) */
};

PSM_INTERNAL psm_backward_sums psm_backward_sums_start(void)
{
    psm_backward_sums sums;
    sums.hi = sums.lo = sums.max_abs = sums.nans = 0.0;
    sums.max_y = -INFINITY;
    return sums;
}

/* float32: everything in double, which has the range of any float product
 * and quotient here; the vector kernel takes every row. */
PSM_INTERNAL int psm_backward_prepare_f32(const psm_backward_sums *sums, int log_output,
                                          double temperature, double scale,
                                          psm_backward_row *row)
{
    (void)log_output;
    (void)scale;
    row->scale = row->scale_a = row->scale_b = 1.0;
    row->sum_hi = sums->hi;
    row->sum_lo = 0.0;
    row->factor_hi = 1.0 / temperature; /* T a positive finite float: in range */
    row->factor_lo = 0.0;
    row->pow2_high = row->pow2_low = 1.0;
    return PSM_BACKWARD_VECTOR;
}

/* 2^exponent as two factors, each within the normal range, for |exponent|
 * up to 2044: halves of the same sign, so that the first product lies
 * between the value and the result. */
PSM_INTERNAL void psm_backward_pow2_pair(int exponent, double *a, double *b)
{
    int half = exponent / 2;
    *a = ldexp(1.0, half);
    *b = ldexp(1.0, exponent - half);
}

/* float64.  The vector kernel's double-double products are exact while
 * their factors stay within about 2^+-900 (Veltkamp's split, on variants
 * without FMA, needs them below 2^995) and above the subnormals.  So:
 * - a row with a NaN, an infinite dy (whose sum would be NaN in
 *   double-double where plain arithmetic gives the infinity), a |y| above
 *   2^180 (softmax; 0 <= y <= 1 from a forward pass) or a y above 0
 *   (log_softmax) takes the plain method, which propagates them as IEEE
 *   arithmetic does.  The softmax kernel forms (y 2^600) (dy 2^L - s), s up
 *   to 2 n |y|: below 2^(2 * 180 + 601) n, which stays finite for any row
 *   that fits in memory (the limit was 2^400 on y alone: |y| past 2^211, or
 *   y below -2^424, overflowed);
 * - when the largest |dy|, D, is beyond 2^+-900, pass 1 runs again with dy
 *   scaled by a power of two that brings D near 1;
 * - pass 2 scales dy by 2^L, L = -ilogb(D), so that the largest is in
 *   [1, 2) (exact but for entries 2^1022 times smaller than D, which cannot
 *   matter next to it), and the sum likewise; softmax scales y by 2^600;
 * - 1 / (T 2^L) (softmax: times 2^-600) is a mantissa 1 / m in (1, 2] as a
 *   double-double (T = m 2^t) and 2^E, applied after the final rounding in
 *   two factors; E is clamped to [-2044, 2046], where every result is
 *   already 0 or inf;
 * - log_softmax: where E > 0 (T < 1), up to 2^900 of it is moved into L,
 *   so that a term exp(y) S that underflows in the scaled row is one that
 *   underflows in dx too (with dy = 0, dx is that term alone). */
PSM_INTERNAL int psm_backward_prepare_f64(const psm_backward_sums *sums, int log_output,
                                          double temperature, double scale,
                                          psm_backward_row *row)
{
    const double y_limit = log_output ? 0.0 : 0x1p180;
    const double max_abs = sums->max_abs;
    double mantissa;
    int t_exponent, exponent, shift;
    psm_dd product;
    if (sums->nans > 0.0 || !(max_abs < INFINITY) || !(sums->max_y <= y_limit))
        return PSM_BACKWARD_PLAIN;
    /* (or when the sum overflowed: |dy| up to 2^900 times |y| up to 2^180) */
    if (scale == 1.0 && max_abs > 0.0 &&
        (max_abs < 0x1p-900 || max_abs > 0x1p900 || !(fabs(sums->hi) < INFINITY))) {
        int rescale = -ilogb(max_abs);
        row->scale = ldexp(1.0, rescale < 1023 ? rescale : 1023);
        return PSM_BACKWARD_RESCALE;
    }
    if (!(fabs(sums->hi) < INFINITY))
        return PSM_BACKWARD_PLAIN; /* cannot happen after the rescaling above */
    mantissa = frexp(temperature, &t_exponent);
    shift = max_abs > 0.0 ? -ilogb(max_abs) : 0;
    exponent = -t_exponent - shift - (log_output ? 0 : 600);
    if (log_output && exponent > 0) {
        int moved = exponent < 900 ? exponent : 900;
        shift += moved;
        exponent -= moved;
    }
    exponent = exponent < -2044 ? -2044 : (exponent > 2046 ? 2046 : exponent);
    psm_backward_pow2_pair(shift, &row->scale_a, &row->scale_b);
    psm_backward_pow2_pair(exponent, &row->pow2_high, &row->pow2_low);
    /* the sums were taken at `scale`: bring them to 2^shift (exactly) */
    row->sum_hi = ldexp(sums->hi, shift - ilogb(scale));
    row->sum_lo = ldexp(sums->lo, shift - ilogb(scale));
    row->factor_hi = 1.0 / mantissa;
    product = psm_two_product(row->factor_hi, mantissa);
    row->factor_lo = ((1.0 - product.hi) - product.lo) / mantissa;
    return PSM_BACKWARD_VECTOR;
}

#endif /* PSM_BACKWARD_NUMERICS_H */
