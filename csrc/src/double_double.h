/*
 * double_double.h -- error-free transformations and the few double-double
 * operations the kernels need.  Internal; not installed.
 *
 * A double-double is an unevaluated sum hi + lo with |lo| <= ulp(hi) / 2,
 * about 106 bits.  The kernels need it for three things only: carrying the
 * rounding error of x - max, dividing by a temperature, and exp/log of the
 * result, because in float64 the rounding error of x - max alone would cost
 * up to |x - max| * 2^-53 relative in exp(x - max): hundreds of ULP.
 *
 * These identities hold only with round-to-nearest binary64 arithmetic that
 * is evaluated in binary64 (no x87 excess precision) and not contracted into
 * FMAs behind our back: the build passes -ffp-contract=off.
 */
#ifndef PSM_DOUBLE_DOUBLE_H
#define PSM_DOUBLE_DOUBLE_H

#include "portability.h"

#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0 && FLT_EVAL_METHOD != -1
#error "pysoftmax needs FLT_EVAL_METHOD == 0 (on 32-bit x86, build with SSE2 math)"
#endif

typedef struct {
    double hi;
    double lo;
} psm_dd;

/* a + b exactly, for any a, b (Knuth's TwoSum). */
PSM_INTERNAL psm_dd psm_two_sum(double a, double b)
{
    psm_dd r;
    double b_virtual;
    r.hi = a + b;
    b_virtual = r.hi - a;
    r.lo = (a - (r.hi - b_virtual)) + (b - b_virtual);
    return r;
}

/* a + b exactly, when |a| >= |b| or a == 0 (Dekker's Fast2Sum). */
PSM_INTERNAL psm_dd psm_fast_two_sum(double a, double b)
{
    psm_dd r;
    r.hi = a + b;
    r.lo = b - (r.hi - a);
    return r;
}

/* a * b exactly (barring underflow), for |a|, |b| < 2^995. */
PSM_INTERNAL psm_dd psm_two_product(double a, double b)
{
    psm_dd r;
    r.hi = a * b;
#if defined(PSM_HAS_FAST_FMA)
    r.lo = fma(a, b, -r.hi);
#else
    {
        /* Veltkamp splitting: each half has at most 26 significant bits, so
         * every partial product below is exact. */
        const double splitter = 134217729.0; /* 2^27 + 1 */
        double ca = splitter * a, cb = splitter * b;
        double a_hi = ca - (ca - a), a_lo = a - a_hi;
        double b_hi = cb - (cb - b), b_lo = b - b_hi;
        r.lo = ((a_hi * b_hi - r.hi) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo;
    }
#endif
    return r;
}

/* (a.hi + a.lo) / b, to about 2^-104 relative; b finite and non-zero, the
 * quotient finite and below 2^995 in magnitude (callers check). */
PSM_INTERNAL psm_dd psm_dd_div(psm_dd a, double b)
{
    double q = a.hi / b;
    psm_dd p = psm_two_product(q, b);
    double correction = (((a.hi - p.hi) - p.lo) + a.lo) / b;
    return psm_fast_two_sum(q, correction);
}

/* A double-double scaled by a power of two: (hi + lo) * 2^exponent, with hi
 * in [0.7, 1.42].  exp() returns this so that results far below the
 * smallest normal double keep all their digits until the final rounding. */
typedef struct {
    double hi;
    double lo;
    int exponent;
} psm_scaled_dd;

/* 2^k for -1022 <= k <= 1023, exactly. */
PSM_INTERNAL double psm_pow2(int k)
{
    return ldexp(1.0, k);
}

/* exp(z.hi + z.lo) for -2400 <= z.hi <= 709 (the rows need -800 and up; the
 * weighted logsumexp goes further, as a weight may make up for a small exp),
 * relative error below 2^-55: measured over 2 million z in [-2400, 0], at
 * worst 2^-55.55 (z = -240.168), against long double expl; the rounding of
 * p in double dominates (the comment said 2^-60, which the fuzz harness of
 * the weighted logsumexp showed wrong).
 *
 * z = k ln2 + r with |r| <= ln2/2 (Cody-Waite with a two-part ln2 whose
 * high part has 32 significant bits, so k * LN2_HI is exact for |k| below
 * 2^21), then
 * exp(r) = 1 + r + p(r) with p the Taylor tail to r^14/14!: the first
 * omitted term is below 1e-19, and p is small enough (<= 0.07) that its
 * rounding errors reach about 2^-55.5 of the result, measured. */
PSM_INTERNAL psm_scaled_dd psm_exp_dd(psm_dd z)
{
    const double inv_ln2 = 1.4426950408889634;
    const double ln2_hi = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
    const double ln2_lo = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
    psm_scaled_dd e;
    psm_dd r, one_plus_r;
    double k = floor(z.hi * inv_ln2 + 0.5);
    double p;

    r = psm_fast_two_sum(z.hi - k * ln2_hi, z.lo - k * ln2_lo);
    p = 1.0 / 87178291200.0;                 /* 1/14! */
    p = p * r.hi + 1.0 / 6227020800.0;       /* 1/13! */
    p = p * r.hi + 1.0 / 479001600.0;        /* 1/12! */
    p = p * r.hi + 1.0 / 39916800.0;         /* 1/11! */
    p = p * r.hi + 1.0 / 3628800.0;          /* 1/10! */
    p = p * r.hi + 1.0 / 362880.0;           /* 1/9!  */
    p = p * r.hi + 1.0 / 40320.0;            /* 1/8!  */
    p = p * r.hi + 1.0 / 5040.0;             /* 1/7!  */
    p = p * r.hi + 1.0 / 720.0;              /* 1/6!  */
    p = p * r.hi + 1.0 / 120.0;              /* 1/5!  */
    p = p * r.hi + 1.0 / 24.0;               /* 1/4!  */
    p = p * r.hi + 1.0 / 6.0;                /* 1/3!  */
    p = p * r.hi + 0.5;                      /* 1/2!  */
    p = p * (r.hi * r.hi);
    /* exp(r.hi + r.lo) = exp(r.hi) (1 + r.lo + ...) = 1 + r.hi + p + r.lo (1 + r.hi) */
    one_plus_r = psm_fast_two_sum(1.0, r.hi);
    one_plus_r.lo += p + r.lo * (1.0 + r.hi);
    one_plus_r = psm_fast_two_sum(one_plus_r.hi, one_plus_r.lo);
    e.hi = one_plus_r.hi;
    e.lo = one_plus_r.lo;
    e.exponent = (int)k;
    return e;
}

/* value * 2^exponent with a single rounding, for value in [2^-70, 2] and
 * exponent in [-1160, 60]: results in the subnormal range are rounded once,
 * by the last multiplication, never twice. */
PSM_INTERNAL double psm_scale(double value, int exponent)
{
    if (exponent >= -1022)
        return value * psm_pow2(exponent);
    /* value * 2^(exponent + 300) is a normal number (>= 2^-930): exact. */
    return (value * psm_pow2(exponent + 300)) * psm_pow2(-300);
}

#endif /* PSM_DOUBLE_DOUBLE_H */
