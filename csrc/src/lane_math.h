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
 * S = 1 + s (>= 1) in its 106 bits (the float64 rows leave them out when a
 * chunk raises the max). */
#define PSM_LANE_NEGLIGIBLE (-700.0)
/* The float64 exponentials clamp their arguments here (when they need to;
 * the backward kernels test for it): exp of anything below is 0 after
 * rounding, and exp(z) * 2^600 stays a normal number. */
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
 * error below 2^-55 (the method of psm_exp_dd in double_double.h, in lane
 * form: Taylor series to r^14 / 14!; test_backward.c measures 2^-55.7,
 * psm_exp_dd's is 2^-55.55 at worst -- both were said 2^-60): the backward
 * kernels' (backward_rows.inc); the forward ones have their own, below. */
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
    /* exp(r_hi + r_lo) = 1 + r_hi + p + r_lo (1 + r_hi), to about 2^-55.5 */
    one_plus_r = psm_lane_fast_two_sum(1.0, r_hi, &one_plus_r_lo);
    one_plus_r_lo += p + PSM_MULTIPLY_ADD(r_lo, r_hi, r_lo);
    return psm_lane_fast_two_sum(one_plus_r, one_plus_r_lo, e_lo);
}

/* ------------------------------------------ the float64 kernels' exp */

/* exp(z) for the float64 kernels, table-driven: z = (256 k + j) ln2/256 + r
 * with |r| <= ln2/512, so exp(z) = 2^k * 2^(j/256) * (1 + expm1(r)).  The
 * tables give 2^(j/256) as a double s_j and a correction c_j with
 * 2^(j/256) = s_j (1 + c_j) to 2^-106 (|c_j| < 2^-53); s_j's bits are
 * stored already multiplied by PSM_LANE_EXP_SCALE = 2^600 and less j * 2^44,
 * so that adding (256 k + j) * 2^44 to them makes s_j * 2^(k + 600): one
 * integer addition, no multiplication.  The scale keeps every result normal
 * for z in (-1000, 0] (2^-843 and above), however small exp(z) is; the
 * callers divide it out once, after their last multiplication.
 * Generated with mpmath (tests/test_accuracy.py checks every entry). */
#define PSM_LANE_EXP_SCALE 0x1p600
#define PSM_LANE_EXP_UNSCALE 0x1p-600
static const uint64_t psm_lane_exp_bits[256] = {
    UINT64_C(0x6570000000000000), UINT64_C(0x656ffb1afa5abcbf), UINT64_C(0x656ff63da9fb3335),
    UINT64_C(0x656ff168143b0281), UINT64_C(0x656fec9a3e778061), UINT64_C(0x656fe7d42e11bbcc),
    UINT64_C(0x656fe315e86e7f85), UINT64_C(0x656fde5f72f654b1), UINT64_C(0x656fd9b0d3158574),
    UINT64_C(0x656fd50a0e3c1f89), UINT64_C(0x656fd06b29ddf6de), UINT64_C(0x656fcbd42b72a836),
    UINT64_C(0x656fc74518759bc8), UINT64_C(0x656fc2bdf66607e0), UINT64_C(0x656fbe3ecac6f383),
    UINT64_C(0x656fb9c79b1f3919), UINT64_C(0x656fb5586cf9890f), UINT64_C(0x656fb0f145e46c85),
    UINT64_C(0x656fac922b7247f7), UINT64_C(0x656fa83b23395dec), UINT64_C(0x656fa3ec32d3d1a2),
    UINT64_C(0x656f9fa55fdfa9c5), UINT64_C(0x656f9b66affed31b), UINT64_C(0x656f973028d7233e),
    UINT64_C(0x656f9301d0125b51), UINT64_C(0x656f8edbab5e2ab6), UINT64_C(0x656f8abdc06c31cc),
    UINT64_C(0x656f86a814f204ab), UINT64_C(0x656f829aaea92de0), UINT64_C(0x656f7e95934f312e),
    UINT64_C(0x656f7a98c8a58e51), UINT64_C(0x656f76a45471c3c2), UINT64_C(0x656f72b83c7d517b),
    UINT64_C(0x656f6ed48695bbc0), UINT64_C(0x656f6af9388c8dea), UINT64_C(0x656f672658375d2f),
    UINT64_C(0x656f635beb6fcb75), UINT64_C(0x656f5f99f8138a1c), UINT64_C(0x656f5be084045cd4),
    UINT64_C(0x656f582f95281c6b), UINT64_C(0x656f54873168b9aa), UINT64_C(0x656f50e75eb44027),
    UINT64_C(0x656f4d5022fcd91d), UINT64_C(0x656f49c18438ce4d), UINT64_C(0x656f463b88628cd6),
    UINT64_C(0x656f42be3578a819), UINT64_C(0x656f3f49917ddc96), UINT64_C(0x656f3bdda27912d1),
    UINT64_C(0x656f387a6e756238), UINT64_C(0x656f351ffb82140a), UINT64_C(0x656f31ce4fb2a63f),
    UINT64_C(0x656f2e85711ece75), UINT64_C(0x656f2b4565e27cdd), UINT64_C(0x656f280e341ddf29),
    UINT64_C(0x656f24dfe1f56381), UINT64_C(0x656f21ba7591bb70), UINT64_C(0x656f1e9df51fdee1),
    UINT64_C(0x656f1b8a66d10f13), UINT64_C(0x656f187fd0dad990), UINT64_C(0x656f157e39771b2f),
    UINT64_C(0x656f1285a6e4030b), UINT64_C(0x656f0f961f641589), UINT64_C(0x656f0cafa93e2f56),
    UINT64_C(0x656f09d24abd886b), UINT64_C(0x656f06fe0a31b715), UINT64_C(0x656f0432edeeb2fd),
    UINT64_C(0x656f0170fc4cd831), UINT64_C(0x656efeb83ba8ea32), UINT64_C(0x656efc08b26416ff),
    UINT64_C(0x656ef96266e3fa2d), UINT64_C(0x656ef6c55f929ff1), UINT64_C(0x656ef431a2de883b),
    UINT64_C(0x656ef1a7373aa9cb), UINT64_C(0x656eef26231e754a), UINT64_C(0x656eecae6d05d866),
    UINT64_C(0x656eea401b7140ef), UINT64_C(0x656ee7db34e59ff7), UINT64_C(0x656ee57fbfec6cf4),
    UINT64_C(0x656ee32dc313a8e5), UINT64_C(0x656ee0e544ede173), UINT64_C(0x656edea64c123422),
    UINT64_C(0x656edc70df1c5175), UINT64_C(0x656eda4504ac801c), UINT64_C(0x656ed822c367a024),
    UINT64_C(0x656ed60a21f72e2a), UINT64_C(0x656ed3fb2709468a), UINT64_C(0x656ed1f5d950a897),
    UINT64_C(0x656ecffa3f84b9d4), UINT64_C(0x656ece086061892d), UINT64_C(0x656ecc2042a7d232),
    UINT64_C(0x656eca41ed1d0057), UINT64_C(0x656ec86d668b3237), UINT64_C(0x656ec6a2b5c13cd0),
    UINT64_C(0x656ec4e1e192aed2), UINT64_C(0x656ec32af0d7d3de), UINT64_C(0x656ec17dea6db7d7),
    UINT64_C(0x656ebfdad5362a27), UINT64_C(0x656ebe41b817c114), UINT64_C(0x656ebcb299fddd0d),
    UINT64_C(0x656ebb2d81d8abff), UINT64_C(0x656eb9b2769d2ca7), UINT64_C(0x656eb8417f4531ee),
    UINT64_C(0x656eb6daa2cf6642), UINT64_C(0x656eb57de83f4eef), UINT64_C(0x656eb42b569d4f82),
    UINT64_C(0x656eb2e2f4f6ad27), UINT64_C(0x656eb1a4ca5d920f), UINT64_C(0x656eb070dde910d2),
    UINT64_C(0x656eaf4736b527da), UINT64_C(0x656eae27dbe2c4cf), UINT64_C(0x656ead12d497c7fd),
    UINT64_C(0x656eac0827ff07cc), UINT64_C(0x656eab07dd485429), UINT64_C(0x656eaa11fba87a03),
    UINT64_C(0x656ea9268a5946b7), UINT64_C(0x656ea84590998b93), UINT64_C(0x656ea76f15ad2148),
    UINT64_C(0x656ea6a320dceb71), UINT64_C(0x656ea5e1b976dc09), UINT64_C(0x656ea52ae6cdf6f4),
    UINT64_C(0x656ea47eb03a5585), UINT64_C(0x656ea3dd1d1929fd), UINT64_C(0x656ea34634ccc320),
    UINT64_C(0x656ea2b9febc8fb7), UINT64_C(0x656ea23882552225), UINT64_C(0x656ea1c1c70833f6),
    UINT64_C(0x656ea155d44ca973), UINT64_C(0x656ea0f4b19e9538), UINT64_C(0x656ea09e667f3bcd),
    UINT64_C(0x656ea052fa75173e), UINT64_C(0x656ea012750bdabf), UINT64_C(0x656e9fdcddd47645),
    UINT64_C(0x656e9fb23c651a2f), UINT64_C(0x656e9f9298593ae5), UINT64_C(0x656e9f7df9519484),
    UINT64_C(0x656e9f7466f42e87), UINT64_C(0x656e9f75e8ec5f74), UINT64_C(0x656e9f8286ead08a),
    UINT64_C(0x656e9f9a48a58174), UINT64_C(0x656e9fbd35d7cbfd), UINT64_C(0x656e9feb564267c9),
    UINT64_C(0x656ea024b1ab6e09), UINT64_C(0x656ea0694fde5d3f), UINT64_C(0x656ea0b938ac1cf6),
    UINT64_C(0x656ea11473eb0187), UINT64_C(0x656ea17b0976cfdb), UINT64_C(0x656ea1ed0130c132),
    UINT64_C(0x656ea26a62ff86f0), UINT64_C(0x656ea2f336cf4e62), UINT64_C(0x656ea3878491c491),
    UINT64_C(0x656ea427543e1a12), UINT64_C(0x656ea4d2add106d9), UINT64_C(0x656ea589994cce13),
    UINT64_C(0x656ea64c1eb941f7), UINT64_C(0x656ea71a4623c7ad), UINT64_C(0x656ea7f4179f5b21),
    UINT64_C(0x656ea8d99b4492ed), UINT64_C(0x656ea9cad931a436), UINT64_C(0x656eaac7d98a6699),
    UINT64_C(0x656eabd0a478580f), UINT64_C(0x656eace5422aa0db), UINT64_C(0x656eae05bad61778),
    UINT64_C(0x656eaf3216b5448c), UINT64_C(0x656eb06a5e0866d9), UINT64_C(0x656eb1ae99157736),
    UINT64_C(0x656eb2fed0282c8a), UINT64_C(0x656eb45b0b91ffc6), UINT64_C(0x656eb5c353aa2fe2),
    UINT64_C(0x656eb737b0cdc5e5), UINT64_C(0x656eb8b82b5f98e5), UINT64_C(0x656eba44cbc8520f),
    UINT64_C(0x656ebbdd9a7670b3), UINT64_C(0x656ebd829fde4e50), UINT64_C(0x656ebf33e47a22a2),
    UINT64_C(0x656ec0f170ca07ba), UINT64_C(0x656ec2bb4d53fe0d), UINT64_C(0x656ec49182a3f090),
    UINT64_C(0x656ec674194bb8d5), UINT64_C(0x656ec86319e32323), UINT64_C(0x656eca5e8d07f29e),
    UINT64_C(0x656ecc667b5de565), UINT64_C(0x656ece7aed8eb8bb), UINT64_C(0x656ed09bec4a2d33),
    UINT64_C(0x656ed2c980460ad8), UINT64_C(0x656ed503b23e255d), UINT64_C(0x656ed74a8af46052),
    UINT64_C(0x656ed99e1330b358), UINT64_C(0x656edbfe53c12e59), UINT64_C(0x656ede6b5579fdbf),
    UINT64_C(0x656ee0e521356eba), UINT64_C(0x656ee36bbfd3f37a), UINT64_C(0x656ee5ff3a3c2774),
    UINT64_C(0x656ee89f995ad3ad), UINT64_C(0x656eeb4ce622f2ff), UINT64_C(0x656eee07298db666),
    UINT64_C(0x656ef0ce6c9a8952), UINT64_C(0x656ef3a2b84f15fb), UINT64_C(0x656ef68415b749b1),
    UINT64_C(0x656ef9728de5593a), UINT64_C(0x656efc6e29f1c52a), UINT64_C(0x656eff76f2fb5e47),
    UINT64_C(0x656f028cf22749e4), UINT64_C(0x656f05b030a1064a), UINT64_C(0x656f08e0b79a6f1f),
    UINT64_C(0x656f0c1e904bc1d2), UINT64_C(0x656f0f69c3f3a207), UINT64_C(0x656f12c25bd71e09),
    UINT64_C(0x656f16286141b33d), UINT64_C(0x656f199bdd85529c), UINT64_C(0x656f1d1cd9fa652c),
    UINT64_C(0x656f20ab5fffd07a), UINT64_C(0x656f244778fafb22), UINT64_C(0x656f27f12e57d14b),
    UINT64_C(0x656f2ba88988c933), UINT64_C(0x656f2f6d9406e7b5), UINT64_C(0x656f33405751c4db),
    UINT64_C(0x656f3720dcef9069), UINT64_C(0x656f3b0f2e6d1675), UINT64_C(0x656f3f0b555dc3fa),
    UINT64_C(0x656f43155b5bab74), UINT64_C(0x656f472d4a07897c), UINT64_C(0x656f4b532b08c968),
    UINT64_C(0x656f4f87080d89f2), UINT64_C(0x656f53c8eacaa1d6), UINT64_C(0x656f5818dcfba487),
    UINT64_C(0x656f5c76e862e6d3), UINT64_C(0x656f60e316c98398), UINT64_C(0x656f655d71ff6075),
    UINT64_C(0x656f69e603db3285), UINT64_C(0x656f6e7cd63a8315), UINT64_C(0x656f7321f301b460),
    UINT64_C(0x656f77d5641c0658), UINT64_C(0x656f7c97337b9b5f), UINT64_C(0x656f81676b197d17),
    UINT64_C(0x656f864614f5a129), UINT64_C(0x656f8b333b16ee12), UINT64_C(0x656f902ee78b3ff6),
    UINT64_C(0x656f953924676d76), UINT64_C(0x656f9a51fbc74c83), UINT64_C(0x656f9f7977cdb740),
    UINT64_C(0x656fa4afa2a490da), UINT64_C(0x656fa9f4867cca6e), UINT64_C(0x656faf482d8e67f1),
    UINT64_C(0x656fb4aaa2188510), UINT64_C(0x656fba1bee615a27), UINT64_C(0x656fbf9c1cb6412a),
    UINT64_C(0x656fc52b376bba97), UINT64_C(0x656fcac948dd7274), UINT64_C(0x656fd0765b6e4540),
    UINT64_C(0x656fd632798844f8), UINT64_C(0x656fdbfdad9cbe14), UINT64_C(0x656fe1d802243c89),
    UINT64_C(0x656fe7c1819e90d8), UINT64_C(0x656fedba3692d514), UINT64_C(0x656ff3c22b8f71f1),
    UINT64_C(0x656ff9d96b2a23d9),
};
static const double psm_lane_exp_corrections[256] = {
    0x0.0p+0, -0x1.4e82fc61851acp-55, 0x1.b3b4f1a88bf6ep-54,
    -0x1.2985dd8521d32p-55, -0x1.160139cd8dc5dp-56, 0x1.51e617061bfbdp-57,
    -0x1.05e7a108766d1p-54, 0x1.45fad437fa426p-55, 0x1.cd2523567f613p-55,
    -0x1.54529642b232fp-54, -0x1.bce8023f98efap-55, 0x1.293708ef5c32ep-55,
    0x1.0f74e61e6c861p-57, -0x1.5b9280905b2a4p-54, 0x1.0a3e45b33d399p-54,
    0x1.4f31f32c4b7e7p-55, 0x1.79aa65d837b6dp-54, 0x1.407fb30d06420p-54,
    0x1.eb51a92fdeffcp-55, -0x1.a5d04b3b9911bp-54, 0x1.ebe3d702f9cd1p-60,
    -0x1.37a01f0739546p-54, -0x1.a033489906e0bp-57, 0x1.b8268b04ef0a5p-55,
    -0x1.556522a2fbd0ep-54, -0x1.ac46e44a2ebccp-54, -0x1.080ef8c4eea55p-58,
    -0x1.5704e90c9f860p-57, -0x1.1c923b9d5f416p-54, -0x1.97cea57e46280p-55,
    0x1.0d3e3e95c55afp-55, 0x1.6f01429e2b9d2p-58, -0x1.01b15eaa59348p-55,
    0x1.e653b2459034bp-57, -0x1.f1ff055de323dp-55, 0x1.2cc7ea345b7dcp-54,
    0x1.b898c3f1353bfp-55, 0x1.57bfb2876ea9ep-54, -0x1.6d99c7611eb26p-54,
    0x1.cdc1873af2155p-55, 0x1.aecf73e3a2f60p-54, -0x1.493684653a131p-54,
    -0x1.fe782cb86389dp-55, -0x1.8e2899077520ap-54, 0x1.a6f4144a6c38dp-55,
    0x1.120fcd4f59273p-54, 0x1.07a05b0e4047dp-55, 0x1.9b788c188c9b8p-55,
    0x1.68efde3a8a894p-54, 0x1.77afbca90ef84p-55, 0x1.75e18f274487dp-55,
    0x1.1512f082876eep-54, 0x1.0472b981fe7f2p-55, 0x1.a02f0c7d75ec6p-54,
    -0x1.6b87b3f71085ep-54, -0x1.03297e78260bfp-55, 0x1.2f7e16d09ab31p-55,
    -0x1.5b77e5ccd9fbfp-54, -0x1.d219b1a6fbffap-60, -0x1.1e75c40b4251ep-54,
    0x1.b3782720c0ab4p-55, 0x1.8a911f1f7785ap-54, 0x1.e149289cecb8fp-57,
    -0x1.1e7c998db7dbbp-57, 0x1.34d754db0abb6p-55, 0x1.5425c11faadf4p-55,
    0x1.64201e2ac744cp-55, -0x1.79517a03e2847p-54, 0x1.fdd395dd3f84ap-55,
    -0x1.00e2a46da4beep-55, -0x1.6a3803b8e5b04p-55, -0x1.7430803972b34p-55,
    -0x1.24aedcc4b5068p-54, -0x1.54de30ae02d94p-54, -0x1.907f81b512d8ep-54,
    -0x1.4f2487e1c03ecp-54, -0x1.1d1e83e9436d2p-56, 0x1.14a5432fcb2f4p-54,
    -0x1.91919b3ce1b15p-54, 0x1.9c3bba5562a2fp-56, 0x1.59f48a72a4c6dp-55,
    -0x1.5a71612e21658p-55, -0x1.312607a28698ap-54, 0x1.6421f6f1d24d6p-55,
    -0x1.8a78f4817895bp-58, -0x1.348a6815fce65p-54, -0x1.c2c9b67499a1bp-56,
    0x1.35c43984d9871p-55, 0x1.363ed60c2ac11p-59, -0x1.32afc8d9473a0p-57,
    0x1.666093b0664efp-54, -0x1.5fc5e44de020ep-54, 0x1.ecce1daa10379p-57,
    -0x1.ea0148327c42fp-56, 0x1.3ff8e3f0f1230p-54, -0x1.a843ad1a88022p-56,
    0x1.690cebb7aafb0p-56, 0x1.92ca3bf144e63p-55, 0x1.31dbdeb54e077p-54,
    -0x1.02c99b04aa8b0p-54, -0x1.f94340071a38ep-55, 0x1.3e34f67e67118p-56,
    -0x1.7deccdc93a349p-55, -0x1.5a3b1197ba0f0p-56, -0x1.8dec6bd0f385fp-56,
    0x1.1bd2888075068p-55, -0x1.61246ec7b5cf6p-55, -0x1.96be8ae89ef8fp-55,
    0x1.3350518fdd78ep-54, -0x1.8e6ac90348602p-55, 0x1.b98b72f8a9b05p-56,
    -0x1.1af7f1365c3acp-54, 0x1.063e1e21c5409p-54, -0x1.43a3540d1898ap-54,
    0x1.4c7855019c6eap-60, -0x1.51f58ddaa8090p-54, 0x1.432e62b64c035p-54,
    -0x1.2e1648e50a17cp-55, -0x1.ce44a6199769fp-55, 0x1.5f30eda98a575p-54,
    -0x1.c33c53bef4da8p-55, 0x1.17ecda8a72159p-54, -0x1.45378892be9aep-55,
    -0x1.345f3cee1ae6ep-54, -0x1.3cedd78565858p-54, -0x1.5c33fdf910406p-55,
    0x1.710aa807e1964p-58, 0x1.1079ab5789604p-55, -0x1.3b3efbf5e2228p-54,
    0x1.27df161cd7778p-56, -0x1.a12ad8734b982p-57, 0x1.3f9924a05b767p-54,
    -0x1.367efb86da9eep-57, -0x1.7557939a8b5efp-55, -0x1.0dc3d54e08851p-55,
    0x1.1ed2f56fa9d1ap-58, -0x1.81f647e5a3ecfp-56, -0x1.8e67a9006c909p-55,
    -0x1.6ee4ac08b7db0p-55, 0x1.6597566977ac8p-55, -0x1.619321e55e68ap-55,
    0x1.2c0b7028a5c3ap-54, 0x1.09ccb5e09d4d3p-54, 0x1.a30faf49cc78cp-55,
    -0x1.b32dcb94da51dp-56, -0x1.2dad3519d7b5bp-54, 0x1.4ecfd5467c06bp-54,
    0x1.7d51410fd15c2p-55, 0x1.5ebe1abd66c55p-57, -0x1.60a3629969871p-56,
    -0x1.8a1c52fb3cf42p-55, 0x1.b18c6e3fdef5dp-55, -0x1.369b6f13b3734p-54,
    0x1.0ec1ddcb1390ap-54, -0x1.05e843a19ff1ep-55, -0x1.22cea4f3afa1ep-58,
    -0x1.4d450d872576ep-54, 0x1.c88549b958471p-56, 0x1.0ad675b0e8a00p-54,
    0x1.31143962f7877p-54, 0x1.db72fc1f0eab4p-55, 0x1.3e9e96f112479p-54,
    -0x1.5b6609cc5e7ffp-57, -0x1.dac42a4a38df0p-55, 0x1.bf68359f35f44p-56,
    0x1.b99dd98b1ed84p-55, -0x1.3091fa71e3d83p-54, -0x1.885ad50cbb750p-56,
    -0x1.da9b88b6c1e29p-58, -0x1.2d5e85f3e0301p-55, -0x1.c23f97c90b959p-57,
    -0x1.1669428996971p-58, -0x1.2434322f4f9aap-54, 0x1.1f2b2c1c4c014p-56,
    -0x1.5ca6cd7668e4bp-55, -0x1.294f304f166b6p-54, 0x1.1affc2b91ce27p-56,
    -0x1.a1e58414c07d3p-55, 0x1.dd235e10a73bbp-57, -0x1.9740b58a20091p-56,
    -0x1.7c50422622263p-55, 0x1.165830a2b96c2p-54, 0x1.b1c86e3e231d5p-55,
    -0x1.03d5cbe27874bp-54, -0x1.1bbd1d3bcbb15p-54, 0x1.986178980fce0p-58,
    0x1.0cc319cee31d2p-54, -0x1.9472975b1f2a5p-55, 0x1.469846e735ab3p-55,
    0x1.d8157a34b7e7fp-56, -0x1.2dfcd978e9db4p-55, 0x1.c8a4e231ebb7dp-55,
    0x1.c1a7792cb3387p-55, -0x1.88c8d11a142e5p-55, -0x1.07b8f4ad1d9fap-54,
    0x1.89c2ea41433c7p-55, -0x1.5c3d956dcaebap-58, -0x1.274aedac8ff80p-56,
    -0x1.0a40e3da6f640p-54, 0x1.5c620ce76df06p-55, -0x1.8d6f438ad9334p-57,
    -0x1.fda52e1b51e41p-55, -0x1.1eee26b588a35p-54, -0x1.2141a7b3e2cd8p-60,
    0x1.4ffd70a5fddcdp-56, -0x1.02899507554e5p-60, -0x1.1bdfbfa9298acp-54,
    -0x1.0dda2d4c0010cp-55, 0x1.36eae30af0cb3p-56, -0x1.a007daadf8d68p-55,
    0x1.ee3325c9ffd94p-55, 0x1.36909391181d3p-55, 0x1.4e08fd10959acp-55,
    -0x1.11cd7dbdf9547p-55, 0x1.3cdaf384e1a67p-57, -0x1.ac28b7bef6621p-56,
    0x1.76b2c6c921968p-57, -0x1.030587207b9e1p-56, -0x1.08a1883ccb5d2p-55,
    -0x1.cc734592af7fcp-55, -0x1.fad5d3ffffa6fp-55, 0x1.7752a44f587e8p-55,
    -0x1.00dae3875a949p-54, 0x1.5b66fefeef52ep-55, 0x1.4a385a63d07a7p-56,
    0x1.159d9d908a96ep-58, -0x1.2919e2040220fp-55, 0x1.c254d16117a68p-55,
    0x1.e5a50d5c192acp-55, -0x1.d8c329fbd0e03p-55, 0x1.43a59ac016b4bp-55,
    -0x1.ea6e6fbd5f2a6p-55, -0x1.2d52107b43e1fp-55, -0x1.3e8e3eab2cbb4p-57,
    -0x1.92ab93b470dc9p-55, -0x1.b7966cd0d2cd9p-55, 0x1.4b604603a88d3p-56,
    -0x1.76caa4c2ff1cfp-56, 0x1.3c5ec519d7271p-55, -0x1.1d5fc525d9940p-55,
    -0x1.ff7128fd391f0p-55, 0x1.55cd8aaea3d21p-55, -0x1.dae98e223747dp-55,
    0x1.269947c2bed4ap-55, 0x1.ec3bc41aa2008p-55, -0x1.3b6137e9afe9ep-55,
    0x1.42b94c3a9eb32p-55, -0x1.9fa74878ba7c7p-57, 0x1.a64a931d185eep-55,
    0x1.01f3a75ee0efep-54, -0x1.e37bae43be3edp-55, -0x1.16a9ce6ed84fap-58,
    0x1.7893b4d91cd9dp-56, -0x1.99c7db2effc76p-57, 0x1.305c14160cc89p-58,
    0x1.4b458677f9840p-57,
};

/* ln2/256 = PSM_LANE_LN2_256 + PSM_LANE_LN2_256_LO to 2^-117; the first
 * also in two parts of 34 and 18 significant bits, for the variants without
 * FMA. */
#define PSM_LANE_LN2_256 0x1.62e42fefa39efp-9
#define PSM_LANE_LN2_256_HEAD 0x1.62e42fef8p-9
#define PSM_LANE_LN2_256_TAIL 0x1.1cf78p-44
#define PSM_LANE_LN2_256_LO 0x1.abc9e3b39803fp-64

/* exp(z_hi + z_lo) * 2^600 as an unevaluated pair e_hi + e_lo (|e_lo| <
 * 2^-52 e_hi), relative error below 2^-61, for z_hi in [-1000, 0] and
 * |z_lo| <= 2^-53 |z_hi|; NaN for a NaN z_hi (and finite nonsense for
 * other values: see psm_lane_exp_scaled_clamped).
 *
 * Why 2^-61.  With kj = round(z_hi * 256/ln2) (|kj| < 2^19), the reduced
 * argument r_hi = z_hi - kj * LN2_256 is exact: |r_hi| < 2^-9.4 and both
 * terms are multiples of 2^-62 (z_hi is at least 2^-10 when kj is not 0),
 * so fma rounds an exact value that is representable; without FMA kj * HEAD
 * and kj * TAIL are exact products, and both subtractions are exact for the
 * same reason, so both give the same r_hi.  r_lo = z_lo - kj * LN2_256_LO
 * is below 2^-43.4, and with d = r_lo + c (c the table's correction),
 *   e / s = (1 + c) exp(r_hi + r_lo) = 1 + w,
 *   w = r_hi + (r_hi (r_hi p(r_hi) + d) + d),
 * p the Taylor series of (expm1(r) - r) / r^2 to r^3/120: the first term
 * left out, r^6/720, is below 2^-66.7, the largest other one (r_lo r^2/2)
 * below 2^-63.3.  w is rounded once (|w| < 2^-9: 2^-63; the two fma before
 * it round terms below 2^-19.8 and 2^-10.4 times r_hi, far below that),
 * s * w once (2^-62.5 s), and e_hi + e_lo = s + s w exactly (Fast2Sum,
 * |s w| < s): renormalized, so that sums of such pairs, in any order, are
 * exact to about 2^-100 (the row kernels and the kernel across rows then
 * agree to the bit). */
PSM_INTERNAL double psm_lane_exp_scaled(double z_hi, double z_lo, double *e_lo)
{
    const double shifter = 0x1.8p52;
    double t, kj, r_hi, r_lo, d, s, p, w;
    uint64_t t_bits, j;
    t = PSM_MULTIPLY_ADD(z_hi, 0x1.71547652b82fep8, shifter); /* 256/ln2 */
    kj = t - shifter;
    t_bits = psm_lane_bits(t); /* kj in its low bits, two's complement */
    j = t_bits & 255u;
#if PSM_LANE_FMA
    r_hi = fma(kj, -PSM_LANE_LN2_256, z_hi);
#else
    r_hi = (z_hi - kj * PSM_LANE_LN2_256_HEAD) - kj * PSM_LANE_LN2_256_TAIL;
#endif
    r_lo = PSM_MULTIPLY_ADD(kj, -PSM_LANE_LN2_256_LO, z_lo);
    d = r_lo + psm_lane_exp_corrections[j];
    s = psm_lane_from_bits(psm_lane_exp_bits[j] + (t_bits << 44));
    p = 1.0 / 120.0;
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 24.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 1.0 / 6.0);
    p = PSM_MULTIPLY_ADD(p, r_hi, 0.5);
    w = r_hi + PSM_MULTIPLY_ADD(r_hi, PSM_MULTIPLY_ADD(r_hi, p, d), d);
    return psm_lane_fast_two_sum(s, s * w, e_lo);
}

/* The same for any z_hi: below -1000 (-inf, NaN included) it is taken as
 * -1000, and the result is exp(-1000) * 2^600 < 2^-842, which is 0 once
 * divided by the sum and scaled back, and negligible in any sum: callers
 * need no mask (and the loads of the tables stay unconditional, which keeps
 * GCC's if-conversion from making them masked gathers it cannot emulate).
 * 4 operations more; the row kernels take them only for rows that need
 * them (psm_lane_exp_span). */
PSM_INTERNAL double psm_lane_exp_scaled_clamped(double z_hi, double z_lo, double *e_lo)
{
    int in_range = z_hi > PSM_LANE_FLOOR;
    return psm_lane_exp_scaled(in_range ? z_hi : PSM_LANE_FLOOR, in_range ? z_lo : 0.0, e_lo);
}

/* Whether exp(z) needs no clamp for any z = (x - max) / T of entries x in
 * [min, max]: then z_hi stays above -1000 whatever the rounding of z. */
PSM_INTERNAL int psm_lane_exp_span(double max, double min, double inv_t)
{
    return min > -INFINITY && (max - min) * inv_t < 990.0;
}

#endif /* PSM_LANE_MATH_H */
