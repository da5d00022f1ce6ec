/*
 * row_numerics.h -- the algorithm for one row, on values already widened to
 * double.  Internal; shared by the float32 and float64 kernels, so both
 * dtypes follow one set of rules and one numerical method:
 *
 *   1. scan:      max m, its first index and count, NaN, count of -inf;
 *   2. rule:      the edge-case table picks a constant answer, or the general case;
 *   3. sum:       s = sum of exp((x_i - m) / T) over every i but one argmax,
 *                 each term a double-double, so S = 1 + s and
 *                 log S = log1p(s) keep the digits of the largest entry;
 *   4. write:     softmax e_i / S, log_softmax z_i - log S, logsumexp m + log S.
 *
 * float32 inputs go through the same double-double path; the double result
 * is then rounded to float (two roundings: within 1 ULP, nearly always the
 * correctly rounded float).
 */
#ifndef PSM_ROW_NUMERICS_H
#define PSM_ROW_NUMERICS_H

#include "double_double.h"
#include "edge_rules.h"

/* Below this, exp(z) * 2^64 (more terms than any row can hold) is under half
 * the smallest subnormal double: such terms cannot change any result. */
#define PSM_EXP_NEGLIGIBLE (-800.0)

/* What one pass over a row finds. */
typedef struct {
    double max;
    size_t argmax;          /* first index holding max */
    size_t count_max;       /* entries equal to max */
    size_t count_neg_inf;   /* entries equal to -inf */
    int has_nan;
} psm_row_scan;

PSM_INTERNAL psm_row_scan psm_scan_start(void)
{
    psm_row_scan scan;
    scan.max = -INFINITY;
    scan.argmax = 0;
    scan.count_max = 0;
    scan.count_neg_inf = 0;
    scan.has_nan = 0;
    return scan;
}

PSM_INTERNAL void psm_scan_push(psm_row_scan *scan, double value, size_t index)
{
    if (value > scan->max) {
        scan->max = value;
        scan->argmax = index;
        scan->count_max = 1;
    } else if (value == scan->max) {
        scan->count_max++;
    } else if (value != value) {
        scan->has_nan = 1;
    }
    if (value == -INFINITY)
        scan->count_neg_inf++;
}

/* The scan of a row from the scans of two disjoint parts of it, in either
 * order (for rows split across threads): argmax stays the first index. */
PSM_INTERNAL psm_row_scan psm_scan_merge(psm_row_scan a, psm_row_scan b)
{
    psm_row_scan scan = a;
    scan.count_neg_inf += b.count_neg_inf;
    scan.has_nan |= b.has_nan;
    if (b.count_max == 0) /* b saw no number: nothing, or only NaN */
        return scan;
    if (a.count_max == 0 || b.max > a.max) {
        scan.max = b.max;
        scan.argmax = b.argmax;
        scan.count_max = b.count_max;
    } else if (b.max == a.max) {
        scan.count_max += b.count_max;
        if (b.argmax < a.argmax)
            scan.argmax = b.argmax;
    }
    return scan;
}

PSM_INTERNAL int psm_condition_holds(psm_condition condition, const psm_row_scan *scan,
                                      double temperature)
{
    switch (condition) {
    case PSM_WHEN_ROW_HAS_NAN:
        return scan->has_nan;
    case PSM_WHEN_MAX_IS_NEGATIVE_INFINITY:
        return scan->max == -INFINITY;
    case PSM_WHEN_MAX_IS_POSITIVE_INFINITY:
        return scan->max == INFINITY;
    case PSM_WHEN_TEMPERATURE_IS_ZERO:
        return temperature == 0.0;
    case PSM_WHEN_TEMPERATURE_IS_INFINITE:
        return temperature == INFINITY;
    }
    return 0;
}

/* The first rule of the edge-case table (edge_rules.h, generated from
 * pysoftmax/edge_cases.json) that holds for the row, or NULL: the general
 * case.  logsumexp passes temperature 1, so only its own rules can hold. */
PSM_INTERNAL const psm_edge_rule *psm_find_rule(const psm_row_scan *scan, double temperature)
{
    size_t i;
    for (i = 0; i < PSM_EDGE_RULE_COUNT; i++) {
        if (psm_condition_holds(psm_edge_rules[i].applies_when, scan, temperature))
            return &psm_edge_rules[i];
    }
    return NULL;
}

/* How many entries a rule selects. */
PSM_INTERNAL size_t psm_selected_count(psm_selection selects, const psm_row_scan *scan, size_t n)
{
    switch (selects) {
    case PSM_SELECTS_MAXIMAL:
        return scan->count_max;
    case PSM_SELECTS_ABOVE_NEGATIVE_INFINITY:
        return n - scan->count_neg_inf;
    case PSM_SELECTS_ALL:
        break;
    }
    return n;
}

PSM_INTERNAL int psm_is_selected(psm_selection selects, double value, double max)
{
    switch (selects) {
    case PSM_SELECTS_MAXIMAL:
        return value == max;
    case PSM_SELECTS_ABOVE_NEGATIVE_INFINITY:
        return value > -INFINITY;
    case PSM_SELECTS_ALL:
        break;
    }
    return 1;
}

PSM_INTERNAL double psm_rule_value(psm_value value, size_t count)
{
    switch (value) {
    case PSM_VALUE_ZERO:
        return 0.0;
    case PSM_VALUE_NEGATIVE_INFINITY:
        return -INFINITY;
    case PSM_VALUE_POSITIVE_INFINITY:
        return INFINITY;
    case PSM_VALUE_ONE_OVER_COUNT:
        return 1.0 / (double)count;
    case PSM_VALUE_MINUS_LOG_COUNT:
        return 0.0 - log((double)count); /* +0 for one entry, as log(1) is; -log(1) is -0 */
    case PSM_VALUE_NAN:
    case PSM_VALUE_NONE:
        break;
    }
    return NAN;
}

/* z = (x - max) / T as a double-double.  When z is below -2^995 only its
 * rounded value is returned (lo = 0; -inf if it overflows): exp(z) is 0
 * there, and log-softmax is z itself to within its rounding. */
PSM_INTERNAL psm_dd psm_shifted(double value, double max, double temperature)
{
    psm_dd minus_infinity, d, quotient;
    double scale = 1.0;
    minus_infinity.hi = -INFINITY;
    minus_infinity.lo = 0.0;
    if (value == -INFINITY)
        return minus_infinity;
    d = psm_two_sum(value, -max);
    if (d.lo != d.lo && d.hi > -INFINITY) {
        /* x - max is finite but a partial sum of TwoSum overflowed (both near
         * DBL_MAX): the halves' difference is exact, and so is doubling it. */
        psm_dd half = psm_two_sum(0.5 * value, -0.5 * max);
        d.hi = 2.0 * half.hi;
        d.lo = 2.0 * half.lo;
    }
    if (!(d.hi > -INFINITY)) {
        /* x - max is below -DBL_MAX; (x - max) / T is finite only if T > 1,
         * and then it is (x/2 - max/2) / (T/2), with every step exact. */
        if (!(temperature > 1.0))
            return minus_infinity;
        d = psm_two_sum(0.5 * value, -0.5 * max);
        temperature *= 0.5;
    }
    if (temperature == 1.0)
        return d;
    quotient.hi = d.hi / temperature;
    if (quotient.hi < -0x1p995) {
        /* Too large for an exact product, and its low part is irrelevant. */
        quotient.lo = 0.0;
        return quotient;
    }
    /* Veltkamp splitting needs its partial products, about d = q * T, to
     * neither overflow nor underflow: bring an extreme T or d (both
     * together, so that q stays) nearer to 1.  Both cannot be extreme in
     * opposite directions here: that quotient would exceed 2^995. */
    if (temperature > 0x1p996 || fabs(d.hi) > 0x1p960)
        scale = 0x1p-128;
    else if (temperature < 0x1p-900)
        scale = 0x1p128;
    d.hi *= scale;
    d.lo *= scale;
    return psm_dd_div(d, temperature * scale);
}

/* The sum of exp terms, split in two accumulators so that terms far in the
 * subnormal range keep their digits: `tiny` holds terms scaled by 2^600. */
typedef struct {
    psm_dd main;
    psm_dd tiny;
} psm_exp_sum;

PSM_INTERNAL psm_exp_sum psm_exp_sum_start(void)
{
    psm_exp_sum sum;
    sum.main.hi = sum.main.lo = sum.tiny.hi = sum.tiny.lo = 0.0;
    return sum;
}

PSM_INTERNAL void psm_dd_accumulate(psm_dd *acc, double hi, double lo)
{
    psm_dd t = psm_two_sum(acc->hi, hi);
    acc->hi = t.hi;
    acc->lo += t.lo + lo;
}

PSM_INTERNAL void psm_exp_sum_add(psm_exp_sum *sum, psm_dd z)
{
    psm_scaled_dd e;
    if (!(z.hi >= PSM_EXP_NEGLIGIBLE))
        return;
    e = psm_exp_dd(z);
    if (e.exponent >= -960) {
        double scale = psm_pow2(e.exponent);
        psm_dd_accumulate(&sum->main, e.hi * scale, e.lo * scale);
    } else {
        double scale = psm_pow2(e.exponent + 600);
        psm_dd_accumulate(&sum->tiny, e.hi * scale, e.lo * scale);
    }
}

/* Adds the terms gathered in `other` (another part of the row) to `sum`. */
PSM_INTERNAL void psm_exp_sum_merge(psm_exp_sum *sum, const psm_exp_sum *other)
{
    psm_dd_accumulate(&sum->main, other->main.hi, other->main.lo);
    psm_dd_accumulate(&sum->tiny, other->tiny.hi, other->tiny.lo);
}

/* s = the accumulated sum, as one normalized double-double. */
PSM_INTERNAL psm_dd psm_exp_sum_total(const psm_exp_sum *sum)
{
    double tiny_hi = sum->tiny.hi * psm_pow2(-600);
    double tiny_lo = sum->tiny.lo * psm_pow2(-600);
    psm_dd t = psm_two_sum(sum->main.hi, tiny_hi);
    return psm_fast_two_sum(t.hi, t.lo + (sum->main.lo + tiny_lo));
}

/* log(1 + s) as a double-double: libm's log1p, then one Newton step on
 * exp(L) = 1 + s evaluated in double-double, which removes libm's error. */
PSM_INTERNAL psm_dd psm_log1p_dd(psm_dd s)
{
    psm_dd log_sum, one_plus_s, difference;
    psm_scaled_dd e;
    double exp_hi, exp_lo;
    log_sum.hi = log1p(s.hi);
    log_sum.lo = 0.0;
    if (log_sum.hi == 0.0)
        return log_sum;
    e = psm_exp_dd(log_sum);
    exp_hi = e.hi * psm_pow2(e.exponent);
    exp_lo = e.lo * psm_pow2(e.exponent);
    one_plus_s = psm_two_sum(1.0, s.hi);
    difference = psm_two_sum(one_plus_s.hi, -exp_hi);
    difference.lo += (one_plus_s.lo + s.lo) - exp_lo;
    return psm_fast_two_sum(log_sum.hi, (difference.hi + difference.lo) / exp_hi);
}

/* exp(z) / S, rounded once; S = 1 + s >= 1. */
PSM_INTERNAL double psm_softmax_value(psm_dd z, psm_dd total)
{
    psm_scaled_dd e;
    psm_dd product;
    double quotient, remainder;
    if (!(z.hi >= PSM_EXP_NEGLIGIBLE))
        return 0.0;
    e = psm_exp_dd(z);
    quotient = e.hi / total.hi;
    product = psm_two_product(quotient, total.hi);
    remainder = ((e.hi - product.hi) - product.lo) + (e.lo - quotient * total.lo);
    return psm_scale(quotient + remainder / total.hi, e.exponent);
}

/* z - log S, rounded once. */
PSM_INTERNAL double psm_log_softmax_value(psm_dd z, psm_dd log_total)
{
    psm_dd t;
    if (z.hi == -INFINITY)
        return -INFINITY;
    t = psm_two_sum(z.hi, -log_total.hi);
    return t.hi + (t.lo + (z.lo - log_total.lo));
}

/* max + log S, rounded once. */
PSM_INTERNAL double psm_logsumexp_value(double max, psm_dd log_total)
{
    psm_dd t = psm_two_sum(max, log_total.hi);
    return t.hi + (t.lo + log_total.lo);
}

/* S = 1 + s as a double-double. */
PSM_INTERNAL psm_dd psm_one_plus(psm_dd s)
{
    psm_dd total = psm_two_sum(1.0, s.hi);
    total.lo += s.lo;
    return psm_fast_two_sum(total.hi, total.lo);
}

#endif /* PSM_ROW_NUMERICS_H */
