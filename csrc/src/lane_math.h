/*
 * lane_math.h -- element-wise arithmetic for the vector kernels
 * (vector_rows.inc): branch-free, so that compilers vectorize the loops it
 * is inlined into.  Internal.
 *
 * Included once per instruction-set variant, after the variant has said
 * whether fused multiply-add is a hardware instruction (PSM_LANE_FMA 1 or
 * 0): with it the exact products use fma(), without it Veltkamp splitting.
 * The build turns FMA contraction off (-ffp-contract=off), so no other
 * multiply and add is ever fused: every variant rounds as written.
 */
#ifndef PSM_LANE_MATH_H
#define PSM_LANE_MATH_H

#include <stdint.h>
#include <string.h>

#include "portability.h"

#if !defined(PSM_LANE_FMA)
#error "define PSM_LANE_FMA (0 or 1) before including lane_math.h"
#endif

#if PSM_LANE_FMA
#define PSM_MULTIPLY_ADD(a, b, c) fma((a), (b), (c))
#else
#define PSM_MULTIPLY_ADD(a, b, c) ((a) * (b) + (c))
#endif

/* Below this, exp(z) is under 2^-1009: no sum of such terms can change
 * S = 1 + s (>= 1) in its 106 bits, and they are left out of it. */
#define PSM_LANE_NEGLIGIBLE (-700.0)
/* Arguments are clamped here: exp of anything below is 0 after rounding,
 * and 2^k stays the product of two normal numbers. */
#define PSM_LANE_FLOOR (-1000.0)

PSM_INTERNAL uint64_t psm_lane_bits(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

PSM_INTERNAL double psm_lane_from_bits(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* 2^k for an integral k in [-1022, 1023], from its bits. */
PSM_INTERNAL double psm_lane_pow2(double k)
{
    /* k + 2^52 + 2^51 holds k in its low mantissa bits (|k| < 2^51). */
    const double shifter = 0x1.8p52;
    uint64_t biased = psm_lane_bits(k + shifter) - psm_lane_bits(shifter) + 1023u;
    return psm_lane_from_bits(biased << 52);
}

/* ln2 in two parts (Cody-Waite): the high part has 32 significant bits, so
 * k * ln2_hi is exact and so is z - k * ln2_hi, for |z| <= 1100. */
#define PSM_LANE_LN2_HI 0x1.62e42feep-1
#define PSM_LANE_LN2_LO 0x1.a39ef35793c76p-33

/* round(z / ln2), as a double. */
PSM_INTERNAL double psm_lane_exponent(double z)
{
    const double inv_ln2 = 0x1.71547652b82fep0;
    const double shifter = 0x1.8p52;
    return PSM_MULTIPLY_ADD(z, inv_ln2, shifter) - shifter;
}

/* exp(z) for z in [-708, 0], relative error below 2^-27.9: what float
 * results need when they are computed from it in double and rounded once.
 * With the sum S of such terms (the same relative error), e / S is within
 * 2^-26.9 of the exact value, under a quarter of a float's ULP, so the float
 * result is the correctly rounded one or its neighbour: within 1 ULP.  As
 * few operations as that allows: one-constant range reduction (k ln2 is off
 * by 2^-43 at most), a degree-6 polynomial fitted to exp on [-ln2/2, ln2/2]
 * in the relative sense (Chebyshev nodes; measured error 2^-28.0 with its
 * coefficients rounded to double), and 2^k added to the exponent bits. */
PSM_INTERNAL double psm_lane_exp_narrow(double z)
{
    const double inv_ln2 = 0x1.71547652b82fep0;
    const double ln2 = 0x1.62e42fefa39efp-1;
    const double shifter = 0x1.8p52;
    double t = PSM_MULTIPLY_ADD(z, inv_ln2, shifter); /* k in the low mantissa bits */
    double k = t - shifter;
    double r = PSM_MULTIPLY_ADD(k, -ln2, z);
    double p = 0.0013751407895822138;
    p = PSM_MULTIPLY_ADD(p, r, 0.008368916341375127);
    p = PSM_MULTIPLY_ADD(p, r, 0.04166953310922325);
    p = PSM_MULTIPLY_ADD(p, r, 0.16666518459980376);
    p = PSM_MULTIPLY_ADD(p, r, 0.49999988595112804);
    p = PSM_MULTIPLY_ADD(p, r, 1.0);
    p = PSM_MULTIPLY_ADD(p, r, 1.0);
    /* p in [0.7, 1.42] and k >= -1021: adding k to the exponent field keeps
     * the result normal.  The low 12 bits of t's bits hold k (mod 2^12). */
    return psm_lane_from_bits(psm_lane_bits(p) + (psm_lane_bits(t) << 52));
}

/* a + b exactly (TwoSum), and a + b exactly when |a| >= |b| (Fast2Sum). */
PSM_INTERNAL double psm_lane_two_sum(double a, double b, double *error)
{
    double sum = a + b;
    double b_virtual = sum - a;
    *error = (a - (sum - b_virtual)) + (b - b_virtual);
    return sum;
}

PSM_INTERNAL double psm_lane_fast_two_sum(double a, double b, double *error)
{
    double sum = a + b;
    *error = b - (sum - a);
    return sum;
}

/* a * b exactly (the error; |a|, |b| < 2^995, no underflow). */
PSM_INTERNAL double psm_lane_two_product(double a, double b, double *error)
{
    double product = a * b;
#if PSM_LANE_FMA
    *error = fma(a, b, -product);
#else
    const double splitter = 134217729.0; /* 2^27 + 1 */
    double ca = splitter * a, cb = splitter * b;
    double a_hi = ca - (ca - a), a_lo = a - a_hi;
    double b_hi = cb - (cb - b), b_lo = b - b_hi;
    *error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
#endif
    return product;
}

/* (a_hi + a_lo) * (b_hi + b_lo) as a double-double, to about 2^-104. */
PSM_INTERNAL double psm_lane_dd_multiply(double a_hi, double a_lo, double b_hi, double b_lo,
                                         double *lo)
{
    double error;
    double product = psm_lane_two_product(a_hi, b_hi, &error);
    error += a_hi * b_lo + a_lo * b_hi;
    return psm_lane_fast_two_sum(product, error, lo);
}

/* exp(z_hi + z_lo) = (e_hi + e_lo) * 2^k for z_hi in [-1000, 0], relative
 * error below 2^-60 (the method of psm_exp_dd in double_double.h, in lane
 * form: Taylor series to r^14 / 14!). */
PSM_INTERNAL double psm_lane_exp_dd(double z_hi, double z_lo, double *e_lo, double *k)
{
    double r_hi, r_lo, p, one_plus_r, one_plus_r_lo;
    *k = psm_lane_exponent(z_hi);
    r_hi = psm_lane_fast_two_sum(PSM_MULTIPLY_ADD(*k, -PSM_LANE_LN2_HI, z_hi),
                                 PSM_MULTIPLY_ADD(*k, -PSM_LANE_LN2_LO, z_lo), &r_lo);
    p = 1.0 / 87178291200.0;
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 6227020800.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 479001600.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 39916800.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 3628800.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 362880.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 40320.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 5040.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 720.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 120.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 24.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 6.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 0.5);
    p = p * (r_hi * r_hi);
    /* exp(r_hi + r_lo) = 1 + r_hi + p + r_lo (1 + r_hi), to 2^-60 */
    one_plus_r = psm_lane_fast_two_sum(1.0, r_hi, &one_plus_r_lo);
    one_plus_r_lo += p + PSM_MULTIPLY_ADD(r_lo, r_hi, r_lo);
    return psm_lane_fast_two_sum(one_plus_r, one_plus_r_lo, e_lo);
}

/* value * 2^k for an integral k in [-2000, 0], rounded once: two normal
 * factors, the first product exact (0 below the subnormals). */
PSM_INTERNAL double psm_lane_scale(double value, double k)
{
    const double shifter = 0x1.8p52;
    double half = (0.5 * k + shifter) - shifter; /* an integer near k / 2 */
    return (value * psm_lane_pow2(half)) * psm_lane_pow2(k - half);
}

#endif /* PSM_LANE_MATH_H */
