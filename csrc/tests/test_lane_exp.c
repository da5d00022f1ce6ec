/*
 * test_lane_exp.c -- the float64 kernels' exponential (src/lane_math.h,
 * psm_lane_exp_scaled) on its own, against long double: relative error
 * below 2^-60.5 (lane_math.h proves 2^-61; the reference adds up to about
 * 3 * 2^-64) for arguments z_hi + z_lo across [-1000, 0], where it is used,
 * with low parts as large as the kernels give them (|z_lo| <= 2^-53 |z_hi|);
 * z = 0 exactly 2^600; NaN for NaN (in the pair's sum: the kernels find a
 * NaN entry by it); and the clamped form: finite, positive and below 2^-842
 * (0 once divided out) for arguments below -1000, -inf and NaN.
 *
 * Built twice (CMakeLists.txt): PSM_LANE_FMA 1 reduces the argument with
 * fma() (a correctly rounded fma from the C library where the processor has
 * none), PSM_LANE_FMA 0 with the split constant of the variants without
 * FMA.  Skipped (77) where long double is not wider than double, or does not
 * compute as such at run time (valgrind emulates x87 in double precision).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "lane_math.h"
#include "psm_test.h"

/* exp(z_hi + z_lo) in long double: expl of the double z_hi (exact as an
 * argument), times exp(z_lo) = 1 + z_lo to 2^-88 (|z_lo| < 2^-43). */
static long double reference(double z_hi, double z_lo)
{
    return expl((long double)z_hi) * (1.0L + (long double)z_lo);
}

/* The relative error of psm_lane_exp_scaled at z_hi + z_lo. */
static long double relative_error(double z_hi, double z_lo)
{
    double lo, hi = psm_lane_exp_scaled(z_hi, z_lo, &lo);
    long double got = ((long double)hi + (long double)lo) * 0x1p-600L;
    long double exact = reference(z_hi, z_lo);
    return fabsl(got - exact) / exact;
}

int main(void)
{
    const long double bound = 0x1.6a09e667f3bcdp-61L; /* 2^-60.5 */
    volatile long double one = 1.0L, tiny = 0x1p-60L;
    psm_rng rng = psm_rng_seed(20261201);
    long double worst = 0.0L;
    double worst_at = 0.0, lo, hi;
    long i;
    if (!(LDBL_MANT_DIG >= 64 && one + tiny != one)) {
        printf("test_lane_exp: SKIPPED (long double is not wider than double here)\n");
        return 77;
    }
    for (i = 0; i < 4000000; i++) {
        /* the whole range, the first reduction intervals, and mid range */
        double scale = (i % 4 == 0) ? 1000.0 : (i % 4 == 1) ? 0.01 : (i % 4 == 2) ? 40.0 : 745.0;
        double z_hi = -psm_rng_uniform(&rng) * scale;
        double z_lo = z_hi * 0x1p-53 * (2.0 * psm_rng_uniform(&rng) - 1.0);
        long double error = relative_error(z_hi, z_lo);
        if (error > worst) {
            worst = error;
            worst_at = z_hi;
        }
    }
    /* the ends of the range, and multiples of ln2/256 (r_hi = 0 or tiny) */
    for (i = 0; i <= 256 * 1443; i += 97) {
        double z_hi = -(double)i * 0x1.62e42fefa39efp-9;
        long double error;
        if (z_hi < -1000.0)
            break;
        error = relative_error(z_hi, 0.0);
        if (error > worst) {
            worst = error;
            worst_at = z_hi;
        }
    }
    {
        long double error = relative_error(-1000.0, 0.0);
        if (error > worst) {
            worst = error;
            worst_at = -1000.0;
        }
    }
    CHECK(worst < bound, "worst relative error 2^%.2f at z = %.17g, bound 2^-60.5",
          (double)log2l(worst), worst_at);
    printf("worst relative error 2^%.2f (at z = %.17g)\n", (double)log2l(worst), worst_at);

    hi = psm_lane_exp_scaled(0.0, 0.0, &lo);
    CHECK(hi == 0x1p600 && lo == 0.0, "exp(0) * 2^600 = %a + %a", hi, lo);
    hi = psm_lane_exp_scaled(NAN, 0.0, &lo);
    CHECK(hi + lo != hi + lo, "exp(NaN) = %a + %a, not NaN", hi, lo);
    {
        const double below[] = {-1000.5, -2000.0, -1e300, -INFINITY, NAN};
        size_t k;
        for (k = 0; k < sizeof below / sizeof below[0]; k++) {
            /* the low parts a -inf or an overflowing difference leaves */
            double lows[3];
            size_t m;
            lows[0] = 0.0;
            lows[1] = NAN;
            lows[2] = 1e280;
            for (m = 0; m < 3; m++) {
                hi = psm_lane_exp_scaled_clamped(below[k], lows[m], &lo);
                CHECK(hi > 0.0 && hi < 0x1p-842 && fabs(lo) <= 0x1p-52 * hi,
                      "clamped exp(%g + %g) * 2^600 = %a + %a", below[k], lows[m], hi, lo);
            }
        }
    }
    return psm_test_finish("test_lane_exp");
}
