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

/* ------------------------------------------ the float64 kernels' exp */

/* exp(z) for the float64 kernels, table-driven: z = (64 k + j) ln2/64 + r
 * with |r| <= ln2/128, so exp(z) = 2^k * 2^(j/64) * (1 + expm1(r)).  The
 * tables give 2^(j/64) as a double s_j and a correction c_j with
 * 2^(j/64) = s_j (1 + c_j) to 2^-106 (|c_j| < 2^-53); s_j's bits are stored
 * already multiplied by PSM_LANE_EXP_SCALE = 2^600 and less j * 2^46, so
 * that adding (64 k + j) * 2^46 to them makes s_j * 2^(k + 600): one
 * integer addition, no multiplication.  The scale keeps every result normal
 * for z in (-1000, 0] (2^-843 and above), however small exp(z) is; the
 * callers divide it out once, after their last multiplication.
 * Generated with mpmath (tests/test_accuracy.py checks every entry). */
#define PSM_LANE_EXP_SCALE 0x1p600
#define PSM_LANE_EXP_UNSCALE 0x1p-600
static const uint64_t psm_lane_exp_bits[64] = {
    UINT64_C(0x6570000000000000), UINT64_C(0x656fec9a3e778061), UINT64_C(0x656fd9b0d3158574),
    UINT64_C(0x656fc74518759bc8), UINT64_C(0x656fb5586cf9890f), UINT64_C(0x656fa3ec32d3d1a2),
    UINT64_C(0x656f9301d0125b51), UINT64_C(0x656f829aaea92de0), UINT64_C(0x656f72b83c7d517b),
    UINT64_C(0x656f635beb6fcb75), UINT64_C(0x656f54873168b9aa), UINT64_C(0x656f463b88628cd6),
    UINT64_C(0x656f387a6e756238), UINT64_C(0x656f2b4565e27cdd), UINT64_C(0x656f1e9df51fdee1),
    UINT64_C(0x656f1285a6e4030b), UINT64_C(0x656f06fe0a31b715), UINT64_C(0x656efc08b26416ff),
    UINT64_C(0x656ef1a7373aa9cb), UINT64_C(0x656ee7db34e59ff7), UINT64_C(0x656edea64c123422),
    UINT64_C(0x656ed60a21f72e2a), UINT64_C(0x656ece086061892d), UINT64_C(0x656ec6a2b5c13cd0),
    UINT64_C(0x656ebfdad5362a27), UINT64_C(0x656eb9b2769d2ca7), UINT64_C(0x656eb42b569d4f82),
    UINT64_C(0x656eaf4736b527da), UINT64_C(0x656eab07dd485429), UINT64_C(0x656ea76f15ad2148),
    UINT64_C(0x656ea47eb03a5585), UINT64_C(0x656ea23882552225), UINT64_C(0x656ea09e667f3bcd),
    UINT64_C(0x656e9fb23c651a2f), UINT64_C(0x656e9f75e8ec5f74), UINT64_C(0x656e9feb564267c9),
    UINT64_C(0x656ea11473eb0187), UINT64_C(0x656ea2f336cf4e62), UINT64_C(0x656ea589994cce13),
    UINT64_C(0x656ea8d99b4492ed), UINT64_C(0x656eace5422aa0db), UINT64_C(0x656eb1ae99157736),
    UINT64_C(0x656eb737b0cdc5e5), UINT64_C(0x656ebd829fde4e50), UINT64_C(0x656ec49182a3f090),
    UINT64_C(0x656ecc667b5de565), UINT64_C(0x656ed503b23e255d), UINT64_C(0x656ede6b5579fdbf),
    UINT64_C(0x656ee89f995ad3ad), UINT64_C(0x656ef3a2b84f15fb), UINT64_C(0x656eff76f2fb5e47),
    UINT64_C(0x656f0c1e904bc1d2), UINT64_C(0x656f199bdd85529c), UINT64_C(0x656f27f12e57d14b),
    UINT64_C(0x656f3720dcef9069), UINT64_C(0x656f472d4a07897c), UINT64_C(0x656f5818dcfba487),
    UINT64_C(0x656f69e603db3285), UINT64_C(0x656f7c97337b9b5f), UINT64_C(0x656f902ee78b3ff6),
    UINT64_C(0x656fa4afa2a490da), UINT64_C(0x656fba1bee615a27), UINT64_C(0x656fd0765b6e4540),
    UINT64_C(0x656fe7c1819e90d8),
};
static const double psm_lane_exp_corrections[64] = {
    0x0.0p+0, -0x1.160139cd8dc5dp-56, 0x1.cd2523567f613p-55,
    0x1.0f74e61e6c861p-57, 0x1.79aa65d837b6dp-54, 0x1.ebe3d702f9cd1p-60,
    -0x1.556522a2fbd0ep-54, -0x1.1c923b9d5f416p-54, -0x1.01b15eaa59348p-55,
    0x1.b898c3f1353bfp-55, 0x1.aecf73e3a2f60p-54, 0x1.a6f4144a6c38dp-55,
    0x1.68efde3a8a894p-54, 0x1.0472b981fe7f2p-55, 0x1.2f7e16d09ab31p-55,
    0x1.b3782720c0ab4p-55, 0x1.34d754db0abb6p-55, 0x1.fdd395dd3f84ap-55,
    -0x1.24aedcc4b5068p-54, -0x1.1d1e83e9436d2p-56, 0x1.59f48a72a4c6dp-55,
    -0x1.8a78f4817895bp-58, 0x1.363ed60c2ac11p-59, 0x1.ecce1daa10379p-57,
    0x1.690cebb7aafb0p-56, -0x1.f94340071a38ep-55, -0x1.8dec6bd0f385fp-56,
    0x1.3350518fdd78ep-54, 0x1.063e1e21c5409p-54, 0x1.432e62b64c035p-54,
    -0x1.c33c53bef4da8p-55, -0x1.3cedd78565858p-54, -0x1.3b3efbf5e2228p-54,
    -0x1.367efb86da9eep-57, -0x1.81f647e5a3ecfp-56, -0x1.619321e55e68ap-55,
    -0x1.b32dcb94da51dp-56, 0x1.5ebe1abd66c55p-57, -0x1.369b6f13b3734p-54,
    -0x1.4d450d872576ep-54, 0x1.db72fc1f0eab4p-55, 0x1.bf68359f35f44p-56,
    -0x1.da9b88b6c1e29p-58, -0x1.2434322f4f9aap-54, 0x1.1affc2b91ce27p-56,
    -0x1.7c50422622263p-55, -0x1.1bbd1d3bcbb15p-54, 0x1.469846e735ab3p-55,
    0x1.c1a7792cb3387p-55, -0x1.5c3d956dcaebap-58, -0x1.8d6f438ad9334p-57,
    0x1.4ffd70a5fddcdp-56, 0x1.36eae30af0cb3p-56, 0x1.4e08fd10959acp-55,
    0x1.76b2c6c921968p-57, -0x1.fad5d3ffffa6fp-55, 0x1.4a385a63d07a7p-56,
    0x1.e5a50d5c192acp-55, -0x1.2d52107b43e1fp-55, 0x1.4b604603a88d3p-56,
    -0x1.ff7128fd391f0p-55, 0x1.ec3bc41aa2008p-55, 0x1.a64a931d185eep-55,
    0x1.7893b4d91cd9dp-56,
};

/* ln2/64 = PSM_LANE_LN2_64 + PSM_LANE_LN2_64_LO to 2^-116; the first in two
 * parts of 36 and 11 significant bits for the variants without FMA. */
#define PSM_LANE_LN2_64 0x1.62e42fefa39efp-7
#define PSM_LANE_LN2_64_HEAD 0x1.62e42fefa0000p-7
#define PSM_LANE_LN2_64_TAIL 0x1.cf78p-46
#define PSM_LANE_LN2_64_LO 0x1.abc9e3b39803fp-62

/* exp(z_hi + z_lo) * 2^600 as an unevaluated pair e_hi + e_lo (|e_lo| <
 * 2^-52 e_hi), relative error below 2^-59.9, for z_hi in (-1000, 0] and
 * |z_lo| <= 2^-53 |z_hi|.  Any other z_hi (below, -inf or NaN) is taken as
 * -1000: the result is then exp(-1000) * 2^600 < 2^-842, which is 0 once
 * divided by the sum and scaled back, and negligible in any sum (callers
 * need no mask, and the loads of the tables are unconditional, which keeps
 * GCC's if-conversion from making them masked gathers it cannot emulate).
 *
 * Why 2^-59.9.  With kj = round(z_hi * 64/ln2) (|kj| < 2^17), the reduced
 * argument r_hi = z_hi - kj * LN2_64 is exact: both terms are multiples of
 * 2^-60 and |r_hi| < 2^-7 (fma rounds the exact value, which is
 * representable; without FMA kj * HEAD and kj * TAIL are exact products and
 * both subtractions exact, so both give the same r_hi).  r_lo = z_lo -
 * kj * LN2_64_LO is below 2^-43, and with d = r_lo + c (the table's
 * correction, c < 2^-53),
 *   e / s = (1 + c) exp(r_hi + r_lo) = 1 + w,
 *   w = r_hi + r_hi^2 (p(r_hi) + d/2) + d (1 + r_hi),
 * p the Taylor series of (expm1(r) - r) / r^2 to r^4/720: the first term
 * left out, r^7/5040, is below 2^-65, the others (c r_lo, r_lo^2, r_lo r^3)
 * below 2^-85.  w is rounded once (|w| < 2^-7: 2^-61, the terms added into
 * it are rounded far below that), s * w once (2^-61 s), and e_hi + e_lo =
 * s + s w exactly (Fast2Sum, |s w| < s): below 2^-59.9 of e in all. */
PSM_INTERNAL double psm_lane_exp_scaled(double z_hi, double z_lo, double *e_lo)
{
    const double shifter = 0x1.8p52;
    int in_range = z_hi > PSM_LANE_FLOOR;
    double t, kj, r_hi, r_lo, d, s, p, w, sw;
    uint64_t t_bits, j;
    z_lo = in_range ? z_lo : 0.0;
    z_hi = in_range ? z_hi : PSM_LANE_FLOOR;
    t = PSM_MULTIPLY_ADD(z_hi, 0x1.71547652b82fep6, shifter); /* 64/ln2 */
    kj = t - shifter;
    t_bits = psm_lane_bits(t); /* kj in its low bits, two's complement */
    j = t_bits & 63u;
#if PSM_LANE_FMA
    r_hi = fma(kj, -PSM_LANE_LN2_64, z_hi);
#else
    r_hi = (z_hi - kj * PSM_LANE_LN2_64_HEAD) - kj * PSM_LANE_LN2_64_TAIL;
#endif
    r_lo = PSM_MULTIPLY_ADD(kj, -PSM_LANE_LN2_64_LO, z_lo);
    d = r_lo + psm_lane_exp_corrections[j];
    s = psm_lane_from_bits(psm_lane_exp_bits[j] + (t_bits << 46));
    p = 1.0 / 720.0;
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 120.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 24.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 6.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 0.5);
    p = PSM_MULTIPLY_ADD(d, 0.5, p);
    w = r_hi + PSM_MULTIPLY_ADD(r_hi * r_hi, p, PSM_MULTIPLY_ADD(d, r_hi, d));
    sw = s * w;
    return psm_lane_fast_two_sum(s, sw, e_lo);
}

#endif /* PSM_LANE_MATH_H */
