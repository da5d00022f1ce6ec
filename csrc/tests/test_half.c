/*
 * test_half.c -- float16 and bfloat16: the conversions (exhaustively, for
 * every 16-bit pattern) and the public functions (every pattern as an
 * input, random rows against an exact reference, special values, layouts,
 * argument errors).
 *
 * The reference is written here, independently of the library:
 *   - a 16-bit pattern's value from its fields with ldexp;
 *   - rounding to the 16-bit format by searching the sorted table of every
 *     finite value and comparing with the midpoint of the two neighbours
 *     (exact in double): ties to even, and beyond the largest finite value
 *     plus half its ULP, infinity;
 *   - softmax and log_softmax in long double (64-bit significand against 11
 *     or 8 bits: as good as exact), rounded once to the format.
 * Errors are ULP distances on the bit patterns (+0 and -0 the same point);
 * the header's bound is 2, the claim 1.  The worst errors and how many
 * results are not the correctly rounded ones are printed.
 *
 * The library's own conversions (half_conversions.h, internal) are tested
 * directly too: every pattern widened, every float that can round to a
 * float16 narrowed (a sweep of 3.4e8 floats), every bfloat16 neighbourhood,
 * and doubles around every midpoint.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "half_conversions.h"
#include "psm_test.h"
#include "pysoftmax.h"

/* ---------------------------------------------------------------- formats */

typedef int (*half_normalize_fn)(const uint16_t *, uint16_t *, size_t, size_t, float);
typedef int (*half_reduce_fn)(const uint16_t *, uint16_t *, size_t, size_t);
typedef int (*wide_normalize_fn)(const uint16_t *, float *, size_t, size_t, float);
typedef int (*wide_reduce_fn)(const uint16_t *, float *, size_t, size_t);
typedef int (*half_normalize_strided_fn)(const uint16_t *, ptrdiff_t, ptrdiff_t, uint16_t *,
                                         ptrdiff_t, ptrdiff_t, size_t, size_t, float);
typedef int (*half_reduce_strided_fn)(const uint16_t *, ptrdiff_t, ptrdiff_t, uint16_t *,
                                      ptrdiff_t, size_t, size_t);
typedef int (*wide_normalize_strided_fn)(const uint16_t *, ptrdiff_t, ptrdiff_t, float *,
                                         ptrdiff_t, ptrdiff_t, size_t, size_t, float);
typedef int (*wide_reduce_strided_fn)(const uint16_t *, ptrdiff_t, ptrdiff_t, float *,
                                      ptrdiff_t, size_t, size_t);

typedef struct {
    const char *name;
    int fraction_bits;
    int bias;
    uint16_t max_finite; /* pattern */
    uint16_t infinity;   /* pattern */
    half_normalize_fn normalize[2];
    half_reduce_fn logsumexp;
    wide_normalize_fn normalize_wide[2];
    wide_reduce_fn logsumexp_wide;
    half_normalize_strided_fn normalize_strided[2];
    half_reduce_strided_fn logsumexp_strided;
    wide_normalize_strided_fn normalize_strided_wide[2];
    wide_reduce_strided_fn logsumexp_strided_wide;
    /* The library's conversions, tested against the reference below. */
    float (*to_float)(uint16_t);
    uint16_t (*from_float)(float);
    uint16_t (*from_double)(double);
    /* Every positive finite value, by pattern (0 .. max_finite). */
    double *values;
} format;

static format formats[2] = {
    {"f16", 10, 15, 0x7bffu, 0x7c00u,
     {psm_softmax_f16, psm_log_softmax_f16}, psm_logsumexp_f16,
     {psm_softmax_f16_f32, psm_log_softmax_f16_f32}, psm_logsumexp_f16_f32,
     {psm_softmax_strided_f16, psm_log_softmax_strided_f16}, psm_logsumexp_strided_f16,
     {psm_softmax_strided_f16_f32, psm_log_softmax_strided_f16_f32}, psm_logsumexp_strided_f16_f32,
     psm_f16_to_float, psm_float_to_f16, psm_double_to_f16, NULL},
    {"bf16", 7, 127, 0x7f7fu, 0x7f80u,
     {psm_softmax_bf16, psm_log_softmax_bf16}, psm_logsumexp_bf16,
     {psm_softmax_bf16_f32, psm_log_softmax_bf16_f32}, psm_logsumexp_bf16_f32,
     {psm_softmax_strided_bf16, psm_log_softmax_strided_bf16}, psm_logsumexp_strided_bf16,
     {psm_softmax_strided_bf16_f32, psm_log_softmax_strided_bf16_f32},
     psm_logsumexp_strided_bf16_f32,
     psm_bf16_to_float, psm_float_to_bf16, psm_double_to_bf16, NULL},
};

static const char *const kind_names[3] = {"softmax", "log_softmax", "logsumexp"};

/* ------------------------------------------------------- the reference */

static int is_nan_pattern(const format *f, uint16_t h)
{
    return (h & 0x7fffu) > f->infinity;
}

/* The value of a pattern, from its fields: sign, exponent, fraction. */
static double reference_value(const format *f, uint16_t h)
{
    int exponent_field = (h & 0x7fffu) >> f->fraction_bits;
    int fraction = h & ((1u << f->fraction_bits) - 1u);
    double sign = (h & 0x8000u) ? -1.0 : 1.0;
    int all_ones = (1 << (15 - f->fraction_bits)) - 1;
    if (exponent_field == all_ones)
        return fraction ? NAN : sign * INFINITY;
    if (exponent_field == 0)
        return sign * ldexp((double)fraction, 1 - f->bias - f->fraction_bits);
    return sign * ldexp((double)((1 << f->fraction_bits) + fraction),
                        exponent_field - f->bias - f->fraction_bits);
}

static void build_value_table(format *f)
{
    size_t h;
    f->values = malloc(((size_t)f->max_finite + 1) * sizeof(double));
    if (f->values == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (h = 0; h <= f->max_finite; h++)
        f->values[h] = reference_value(f, (uint16_t)h);
}

/* `value` rounded to the format: the nearest of the two neighbours found in
 * the table (the midpoint of two 16-bit numbers is exact in long double),
 * ties to the even pattern; past max + ULP(max)/2, infinity. */
static uint16_t reference_round(const format *f, long double value)
{
    uint16_t sign = signbit(value) ? 0x8000u : 0;
    long double magnitude = fabsl(value);
    size_t low = 0, high = f->max_finite, below;
    long double next, midpoint;
    if (value != value)
        return (uint16_t)(f->infinity | (1u << (f->fraction_bits - 1)));
    if (magnitude >= (long double)f->values[f->max_finite]) {
        below = f->max_finite;
    } else {
        while (high - low > 1) { /* values[low] <= magnitude < values[high] */
            size_t middle = (low + high) / 2;
            if ((long double)f->values[middle] <= magnitude)
                low = middle;
            else
                high = middle;
        }
        below = low;
    }
    next = below == f->max_finite
               ? (long double)f->values[below] + (long double)(f->values[below] - f->values[below - 1])
               : (long double)f->values[below + 1];
    midpoint = ((long double)f->values[below] + next) / 2.0L;
    if (magnitude < midpoint || (magnitude == midpoint && (below & 1u) == 0))
        return (uint16_t)(sign | below);
    return (uint16_t)(sign | (below + 1)); /* max_finite + 1 is infinity */
}

/* ULP distance of two patterns on the integer line (-0 == +0); both NaN: 0. */
static uint64_t ulp_distance_half(const format *f, uint16_t a, uint16_t b)
{
    long ka, kb;
    if (is_nan_pattern(f, a) || is_nan_pattern(f, b))
        return (is_nan_pattern(f, a) && is_nan_pattern(f, b)) ? 0 : UINT64_MAX;
    ka = (a & 0x8000u) ? -(long)(a & 0x7fffu) : (long)a;
    kb = (b & 0x8000u) ? -(long)(b & 0x7fffu) : (long)b;
    return (uint64_t)(ka > kb ? ka - kb : kb - ka);
}

/* The format's spacing at |value| (the subnormal spacing below). */
static long double ulp_of(const format *f, long double value)
{
    int exponent;
    frexpl(fabsl(value), &exponent);
    exponent -= 1; /* value in [2^exponent, 2^(exponent+1)) */
    if (exponent < 1 - f->bias)
        exponent = 1 - f->bias;
    return ldexpl(1.0L, exponent - f->fraction_bits);
}

/* ---------------------------------------------------- 1. the conversions */

/* Every pattern widened: the float is the reference value, NaN's sign and
 * payload kept; and narrowed back, the same pattern. */
static void widening_every_pattern(const format *f)
{
    uint32_t h;
    long failures_before = psm_test_failures;
    for (h = 0; h <= 0xffffu; h++) {
        uint16_t half = (uint16_t)h;
        float widened = f->to_float(half);
        double expected = reference_value(f, half);
        if (is_nan_pattern(f, half)) {
            uint32_t bits = psm_bits_f32(widened);
            uint32_t payload_shift = (uint32_t)(23 - f->fraction_bits);
            CHECK(isnan(widened) && (bits >> 31) == (h >> 15) &&
                      ((bits & 0x7fffffu) >> payload_shift) ==
                          (h & ((1u << f->fraction_bits) - 1u)),
                  "%s widen(0x%04x): 0x%08x, not the NaN of the same sign and payload", f->name,
                  (unsigned)h, (unsigned)bits);
            CHECK(is_nan_pattern(f, f->from_float(widened)) &&
                      (f->from_float(widened) & 0x8000u) == (h & 0x8000u),
                  "%s narrow(widen(NaN 0x%04x)) = 0x%04x", f->name, (unsigned)h,
                  (unsigned)f->from_float(widened));
            continue;
        }
        CHECK(psm_bits_f32(widened) == psm_bits_f32((float)expected),
              "%s widen(0x%04x) = %a, reference %a", f->name, (unsigned)h, (double)widened,
              expected);
        CHECK(f->from_float(widened) == half && f->from_double((double)widened) == half,
              "%s narrow(widen(0x%04x)) = 0x%04x / 0x%04x", f->name, (unsigned)h,
              (unsigned)f->from_float(widened), (unsigned)f->from_double((double)widened));
    }
    if (psm_test_failures == failures_before)
        printf("  %s: all 65536 patterns widened exactly and narrowed back\n", f->name);
}

/* `value` narrowed from a double, or (as_float) from the float it rounds to. */
static void check_narrowing(const format *f, double value, int as_float)
{
    uint16_t expected, got;
    if (as_float)
        value = (double)(float)value;
    expected = reference_round(f, (long double)value);
    got = as_float ? f->from_float((float)value) : f->from_double(value);
    CHECK(got == expected, "%s narrow_%s(%a) = 0x%04x, reference 0x%04x", f->name,
          as_float ? "float" : "double", value, (unsigned)got, (unsigned)expected);
}

/* Around every pair of neighbours (both signs): the midpoint (a tie), the
 * doubles and floats next to it, the values themselves; then random
 * doubles over the whole range, and the overflow threshold. */
static void narrowing_around_every_midpoint(const format *f)
{
    size_t h;
    psm_rng rng = psm_rng_seed(0x4a1fu + (uint64_t)f->fraction_bits);
    long failures_before = psm_test_failures, i;
    int sign;
    for (sign = 0; sign < 2; sign++) {
        double s = sign ? -1.0 : 1.0;
        for (h = 0; h <= f->max_finite; h++) {
            double low = f->values[h];
            double high = h == f->max_finite ? 2.0 * low - f->values[h - 1] : f->values[h + 1];
            double midpoint = (low + high) / 2.0;
            float midpoint_f = (float)midpoint; /* exact: 12 bits at most */
            check_narrowing(f, s * low, 0);
            check_narrowing(f, s * low, 1);
            check_narrowing(f, s * midpoint, 0);
            check_narrowing(f, s * nextafter(midpoint, 0.0), 0);
            check_narrowing(f, s * nextafter(midpoint, INFINITY), 0);
            check_narrowing(f, s * midpoint, 1);
            check_narrowing(f, s * (double)nextafterf(midpoint_f, 0.0f), 1);
            check_narrowing(f, s * (double)nextafterf(midpoint_f, INFINITY), 1);
            check_narrowing(f, s * (low + (high - low) * psm_rng_uniform(&rng)), 0);
        }
    }
    for (i = 0; i < 2000000; i++) {
        /* Any double: random bits, NaN and infinity included. */
        uint64_t bits = psm_rng_next(&rng);
        double value;
        memcpy(&value, &bits, sizeof value);
        if (value != value) {
            CHECK(is_nan_pattern(f, f->from_double(value)), "%s narrow(NaN %a) not NaN",
                  f->name, value);
            continue;
        }
        check_narrowing(f, value, 0);
        /* and a double of the format's range */
        check_narrowing(f,
                        ldexp(psm_rng_uniform(&rng) + 0.5,
                              (int)psm_rng_below(&rng, (size_t)(2 * f->bias + f->fraction_bits + 4)) -
                                  f->bias - f->fraction_bits - 2),
                        (int)(i & 1));
    }
    check_narrowing(f, INFINITY, 0);
    check_narrowing(f, -INFINITY, 1);
    check_narrowing(f, DBL_MAX, 0);
    check_narrowing(f, 0x1p-1074, 0);
    check_narrowing(f, -0.0, 0);
    check_narrowing(f, -0.0, 1);
    CHECK(f->from_double(-0.0) == 0x8000u, "%s: -0.0 narrowed to 0x%04x", f->name,
          (unsigned)f->from_double(-0.0));
    if (psm_test_failures == failures_before)
        printf("  %s: narrowing right around every midpoint and on 4e6 random doubles\n",
               f->name);
}

/* float16: every float from half the smallest subnormal up to 65536, in
 * order (3.4e8 of them), each checked against the neighbours it lies
 * between; the floats outside that range are 0 or infinity. */
static void narrowing_every_float_to_f16(const format *f)
{
    uint32_t bits, first = psm_bits_f32(0x1p-25f), last = psm_bits_f32(65536.0f) - 1;
    size_t below = 0; /* values[below] <= value < next */
    long failures_before = psm_test_failures;
    double next = f->values[1];
    for (bits = first; bits <= last; bits++) {
        float value;
        double low, midpoint;
        uint16_t expected, got;
        memcpy(&value, &bits, sizeof value);
        while ((double)value >= next) {
            below++;
            next = below == f->max_finite ? 65536.0 : f->values[below + 1];
        }
        low = f->values[below];
        midpoint = (low + next) / 2.0;
        if ((double)value < midpoint || ((double)value == midpoint && (below & 1u) == 0))
            expected = (uint16_t)below;
        else
            expected = (uint16_t)(below + 1);
        got = f->from_float(value);
        if (got != expected) /* one CHECK a float would take longer than the sweep */
            CHECK(0, "f16 narrow(%a) = 0x%04x, expected 0x%04x", (double)value, (unsigned)got,
                  (unsigned)expected);
    }
    CHECK(f->from_float(65536.0f) == f->infinity, "65536 is beyond the largest float16");
    CHECK(f->from_float(nextafterf(0x1p-25f, 0.0f)) == 0, "below half the smallest subnormal");
    CHECK(f->from_float(0x1p-100f) == 0 && f->from_float(-0x1p-149f) == 0x8000u, "tiny floats");
    CHECK(f->from_float(FLT_MAX) == f->infinity && f->from_float(-1e30f) == (0x8000u | f->infinity),
          "huge floats");
    if (psm_test_failures == failures_before)
        printf("  f16: every float from 2^-25 to 65536 narrowed right (%lu floats)\n",
               (unsigned long)(last - first + 1));
}

/* bfloat16: a float rounds by its low 16 bits against the parity of bit 16;
 * for every upper half (every bfloat16 pattern) the low halves that decide
 * it: 0, 1, just below, at and above the tie, the largest, and random. */
static void narrowing_every_float_to_bf16(const format *f)
{
    static const uint32_t lows[] = {0x0000u, 0x0001u, 0x7ffeu, 0x7fffu, 0x8000u, 0x8001u,
                                    0xc000u, 0xfffeu, 0xffffu, 0x4000u};
    uint32_t upper;
    size_t k;
    psm_rng rng = psm_rng_seed(0xbf16u);
    long failures_before = psm_test_failures;
    for (upper = 0; upper <= 0xffffu; upper++) {
        for (k = 0; k < sizeof lows / sizeof lows[0] + 4; k++) {
            uint32_t low = k < sizeof lows / sizeof lows[0] ? lows[k]
                                                            : (uint32_t)(psm_rng_next(&rng) & 0xffffu);
            uint32_t bits = (upper << 16) | low;
            float value;
            memcpy(&value, &bits, sizeof value);
            if (value != value) {
                CHECK(is_nan_pattern(f, f->from_float(value)) &&
                          (f->from_float(value) & 0x8000u) == (bits >> 31 << 15),
                      "bf16 narrow(NaN 0x%08x) = 0x%04x", (unsigned)bits,
                      (unsigned)f->from_float(value));
                continue;
            }
            check_narrowing(f, (double)value, 1);
            check_narrowing(f, (double)value, 0);
        }
    }
    if (psm_test_failures == failures_before)
        printf("  bf16: every pattern's rounding neighbourhood narrowed right\n");
}

/* ------------------------------------------- 2. every pattern, through the ABI */

static uint16_t *half_buffer(size_t count)
{
    uint16_t *buffer = malloc(count ? count * sizeof(uint16_t) : 1);
    size_t i;
    if (buffer == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (i = 0; i < count; i++)
        buffer[i] = 0x1234u; /* a sentinel */
    return buffer;
}

static float *float_buffer(size_t count)
{
    float *buffer = malloc(count ? count * sizeof(float) : 1);
    size_t i;
    if (buffer == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (i = 0; i < count; i++)
        buffer[i] = -12345.6875f;
    return buffer;
}

/* Worst error and the count of results that are not correctly rounded,
 * per format and function. */
typedef struct {
    uint64_t worst;
    long results;
    long not_correctly_rounded;
    char where[160];
} tally;

static tally tallies[2][3][2]; /* format, function, row longer than 4096 entries */

static void record(size_t fi, int kind, size_t n, uint64_t error, const char *where,
                   uint16_t got, uint16_t expected)
{
    tally *t = &tallies[fi][kind][n > 4096];
    t->results++;
    if (error != 0)
        t->not_correctly_rounded++;
    if (error > t->worst || t->results == 1) {
        t->worst = error;
        snprintf(t->where, sizeof t->where, "%s: got 0x%04x, reference 0x%04x", where,
                 (unsigned)got, (unsigned)expected);
    }
    CHECK(error <= 2, "%s_%s %s: got 0x%04x, reference 0x%04x (%lu ULP)", kind_names[kind],
          formats[fi].name, where, (unsigned)got, (unsigned)expected, (unsigned long)error);
}

/* The long double reference of one row (entries given as values), either
 * function; -inf entries as the edge-case table says, finite max assumed. */
static void reference_row(const long double *x, size_t n, long double temperature,
                          int log_output, long double *out, long double *logsumexp)
{
    long double max = -INFINITY, others = 0.0L, log_sum;
    size_t i, argmax = 0;
    for (i = 0; i < n; i++)
        if (x[i] > max) {
            max = x[i];
            argmax = i;
        }
    for (i = 0; i < n; i++)
        if (i != argmax && x[i] != -INFINITY)
            others += expl((x[i] - max) / temperature);
    log_sum = log1pl(others);
    for (i = 0; i < n && out != NULL; i++) {
        if (x[i] == -INFINITY)
            out[i] = log_output ? -INFINITY : 0.0L;
        else if (log_output)
            out[i] = (x[i] - max) / temperature - log_sum;
        else
            out[i] = expl((x[i] - max) / temperature) / (1.0L + others);
    }
    if (logsumexp != NULL)
        *logsumexp = max + log_sum;
}

/* Every pattern p as the first entry of the row [p, partner...]: softmax
 * and log_softmax against the reference (rows with a NaN: all NaN; with
 * +inf: 1 there; -inf: 0 there), and logsumexp of [p] alone is p itself,
 * its float version the widened p. */
static void every_pattern_as_input(size_t fi)
{
    const format *f = &formats[fi];
    static const double partners[][2] = {{0.0, 0.0}, {1.5, -3.0}, {-20.0, 7.25}};
    const size_t rows = 65536, n = 3;
    uint16_t *x = half_buffer(rows * n), *y = half_buffer(rows * n);
    float *wide = float_buffer(rows);
    size_t r, i, p;
    int k;
    for (p = 0; p < sizeof partners / sizeof partners[0]; p++) {
        for (r = 0; r < rows; r++) {
            x[r * n] = (uint16_t)r;
            x[r * n + 1] = reference_round(f, partners[p][0]);
            x[r * n + 2] = reference_round(f, partners[p][1]);
        }
        for (k = 0; k < 2; k++) {
            int status = f->normalize[k](x, y, rows, n, 1.0f);
            CHECK(status == PSM_OK, "%s_%s status %d", kind_names[k], f->name, status);
            for (r = 0; r < rows; r++) {
                long double values[3], exact[3];
                char where[96];
                int has_nan = is_nan_pattern(f, (uint16_t)r);
                double first = reference_value(f, (uint16_t)r);
                for (i = 0; i < n; i++)
                    values[i] = (long double)reference_value(f, x[r * n + i]);
                snprintf(where, sizeof where, "row [0x%04zx, %g, %g]", r, partners[p][0],
                         partners[p][1]);
                if (has_nan) {
                    for (i = 0; i < n; i++)
                        CHECK(is_nan_pattern(f, y[r * n + i]), "%s_%s %s[%zu] not NaN",
                              kind_names[k], f->name, where, i);
                    continue;
                }
                if (first == INFINITY) {
                    exact[0] = k ? 0.0L : 1.0L;
                    exact[1] = exact[2] = k ? -INFINITY : 0.0L;
                } else {
                    reference_row(values, n, 1.0L, k, exact, NULL);
                }
                for (i = 0; i < n; i++) {
                    uint16_t expected = reference_round(f, exact[i]);
                    record(fi, k, n, ulp_distance_half(f, y[r * n + i], expected), where,
                           y[r * n + i], expected);
                }
            }
        }
    }
    /* logsumexp of one entry is the entry: every pattern in, the same out. */
    for (r = 0; r < rows; r++)
        x[r] = (uint16_t)r;
    CHECK(f->logsumexp(x, y, rows, 1) == PSM_OK, "logsumexp status");
    CHECK(f->logsumexp_wide(x, wide, rows, 1) == PSM_OK, "logsumexp wide status");
    for (r = 0; r < rows; r++) {
        if (is_nan_pattern(f, (uint16_t)r)) {
            CHECK(is_nan_pattern(f, y[r]) && isnan(wide[r]), "logsumexp_%s(NaN 0x%04zx)",
                  f->name, r);
            continue;
        }
        /* -0 sums to +0 (logsumexp of [-0] is log(exp(0)) = 0) */
        CHECK(ulp_distance_half(f, y[r], (uint16_t)r) == 0 &&
                  (y[r] == (uint16_t)r || (r == 0x8000u && y[r] == 0)),
              "logsumexp_%s([0x%04zx]) = 0x%04x", f->name, r, (unsigned)y[r]);
        CHECK((double)wide[r] == reference_value(f, (uint16_t)r),
              "logsumexp_%s_f32([0x%04zx]) = %a, not %a", f->name, r, (double)wide[r],
              reference_value(f, (uint16_t)r));
    }
    free(x);
    free(y);
    free(wide);
}

/* ---------------------------------------------------- 3. random rows */

enum { NORMAL, UNIFORM, NEAR_TIES, SUBNORMAL_OUTPUTS, LARGE, DISTRIBUTIONS };
static const char *const distribution_names[DISTRIBUTIONS] = {
    "normal", "uniform", "near ties", "subnormal outputs", "large magnitudes"};

static uint16_t random_entry(const format *f, int distribution, double temperature,
                             psm_rng *rng)
{
    /* exp(z) reaches the 16-bit subnormals below about -17 (f16), -92 (bf16) */
    double deepest = f->fraction_bits == 10 ? 19.0 : 96.0;
    double value;
    switch (distribution) {
    case NORMAL:
        value = 4.0 * psm_rng_normalish(rng);
        break;
    case UNIFORM:
        value = 30.0 * (2.0 * psm_rng_uniform(rng) - 1.0);
        break;
    case NEAR_TIES:
        return (uint16_t)(reference_round(f, 3.0) + (int)psm_rng_below(rng, 7) - 3);
    case SUBNORMAL_OUTPUTS:
        value = -deepest * temperature * psm_rng_uniform(rng);
        break;
    default: /* LARGE: up to near the format's largest finite value */
        value = (2.0 * psm_rng_uniform(rng) - 1.0) *
                (f->fraction_bits == 10 ? 60000.0 : 1e38) * psm_rng_uniform(rng);
        break;
    }
    return reference_round(f, value);
}

/* One batch: rows x n, every function and layout, against the reference. */
static void check_batch(size_t fi, const uint16_t *x, size_t rows, size_t n, float temperature,
                        const char *distribution)
{
    const format *f = &formats[fi];
    size_t count = rows * n, r, i;
    uint16_t *y = half_buffer(count), *transposed = half_buffer(count);
    uint16_t *y_transposed = half_buffer(count), *in_place = half_buffer(count);
    float *wide = float_buffer(count), *widened = float_buffer(count), *f32 = float_buffer(count);
    long double *values = malloc(n * sizeof(long double)), *exact = malloc(n * sizeof(long double));
    char where[128];
    int k;
    if (values == NULL || exact == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (i = 0; i < count; i++)
        widened[i] = (float)reference_value(f, x[i]);
    /* the transpose: entry i of row r at [i * rows + r] (rows side by side) */
    for (r = 0; r < rows; r++)
        for (i = 0; i < n; i++)
            transposed[i * rows + r] = x[r * n + i];
    snprintf(where, sizeof where, "(%s, %zu x %zu, T=%g)", distribution, rows, n,
             (double)temperature);
    for (k = 0; k < 2; k++) {
        CHECK(f->normalize[k](x, y, rows, n, temperature) == PSM_OK, "status %s", where);
        for (r = 0; r < rows; r++) {
            for (i = 0; i < n; i++)
                values[i] = (long double)reference_value(f, x[r * n + i]);
            reference_row(values, n, (long double)temperature, k, exact, NULL);
            for (i = 0; i < n; i++) {
                uint16_t expected = reference_round(f, exact[i]);
                record(fi, k, n, ulp_distance_half(f, y[r * n + i], expected), where,
                       y[r * n + i], expected);
            }
        }
        /* The same bits by every other route: */
        /* strided, rows side by side */
        CHECK(f->normalize_strided[k](transposed, 1, (ptrdiff_t)rows, y_transposed, 1,
                                      (ptrdiff_t)rows, rows, n, temperature) == PSM_OK,
              "status");
        /* in place */
        memcpy(in_place, x, count * sizeof(uint16_t));
        CHECK(f->normalize[k](in_place, in_place, rows, n, temperature) == PSM_OK, "status");
        /* float output, against the float32 function on the widened rows */
        CHECK(f->normalize_wide[k](x, wide, rows, n, temperature) == PSM_OK, "status");
        CHECK((k ? psm_log_softmax_f32 : psm_softmax_f32)(widened, f32, rows, n, temperature) ==
                  PSM_OK,
              "status");
        for (r = 0; r < rows; r++)
            for (i = 0; i < n; i++) {
                uint16_t got = y[r * n + i];
                CHECK(ulp_distance_half(f, y_transposed[i * rows + r], got) <= 1,
                      "%s_strided_%s %s [%zu, %zu]: 0x%04x, contiguous 0x%04x", kind_names[k],
                      f->name, where, r, i, (unsigned)y_transposed[i * rows + r], (unsigned)got);
                CHECK(in_place[r * n + i] == got, "%s_%s in place %s [%zu, %zu]: 0x%04x, not 0x%04x",
                      kind_names[k], f->name, where, r, i, (unsigned)in_place[r * n + i],
                      (unsigned)got);
                CHECK(psm_bits_f32(wide[r * n + i]) == psm_bits_f32(f32[r * n + i]),
                      "%s_%s_f32 %s [%zu, %zu]: %a, float32 function %a", kind_names[k], f->name,
                      where, r, i, (double)wide[r * n + i], (double)f32[r * n + i]);
                /* rows that fit the buffer: the float32 result rounded, bit for bit */
                if (n <= 4096)
                    CHECK(got == f->from_float(f32[r * n + i]),
                          "%s_%s %s [%zu, %zu]: 0x%04x, the float32 result rounds to 0x%04x",
                          kind_names[k], f->name, where, r, i, (unsigned)got,
                          (unsigned)f->from_float(f32[r * n + i]));
            }
    }
    /* logsumexp: within 2 ULP of max(|max|, log S) */
    CHECK(f->logsumexp(x, y, rows, n) == PSM_OK, "status");
    CHECK(f->logsumexp_wide(x, wide, rows, n) == PSM_OK, "status");
    CHECK(f->logsumexp_strided(transposed, 1, (ptrdiff_t)rows, y_transposed, 1, rows, n) ==
              PSM_OK,
          "status");
    CHECK(psm_logsumexp_f32(widened, f32, rows, n) == PSM_OK, "status");
    for (r = 0; r < rows; r++) {
        long double lse, max = -INFINITY, scale;
        uint16_t expected;
        uint64_t error;
        for (i = 0; i < n; i++) {
            values[i] = (long double)reference_value(f, x[r * n + i]);
            if (values[i] > max)
                max = values[i];
        }
        reference_row(values, n, 1.0L, 0, NULL, &lse);
        scale = fabsl(max) > lse - max ? fabsl(max) : lse - max;
        expected = reference_round(f, lse);
        if (ulp_of(f, lse) >= ulp_of(f, scale) || y[r] == expected)
            error = ulp_distance_half(f, y[r], expected);
        else /* cancellation: counted in ULPs of the scale */
            error = (uint64_t)ceill(fabsl((long double)reference_value(f, y[r]) - lse) /
                                    ulp_of(f, scale));
        record(fi, 2, n, error, where, y[r], expected);
        CHECK(y_transposed[r] == y[r], "logsumexp_strided_%s %s [%zu]", f->name, where, r);
        if (n <= 4096) {
            CHECK(psm_bits_f32(wide[r]) == psm_bits_f32(f32[r]),
                  "logsumexp_%s_f32 %s [%zu]: %a, float32 %a", f->name, where, r, (double)wide[r],
                  (double)f32[r]);
            CHECK(y[r] == f->from_float(f32[r]), "logsumexp_%s %s [%zu]", f->name, where, r);
        } else {
            CHECK(fabsl((long double)wide[r] - lse) <= 2.0L * ldexpl(ulp_of(f, scale), f->fraction_bits - 23),
                  "logsumexp_%s_f32 %s [%zu]: %a, reference %La", f->name, where, r,
                  (double)wide[r], lse);
        }
    }
    free(y);
    free(transposed);
    free(y_transposed);
    free(in_place);
    free(wide);
    free(widened);
    free(f32);
    free(values);
    free(exact);
}

static void random_rows(size_t fi)
{
    static const size_t lengths[] = {1, 2, 3, 7, 16, 33, 255, 1000, 4096, 4097, 10000};
    static const float temperatures[] = {1e-3f, 0.37f, 1.0f, 6.5f, 100.0f};
    const format *f = &formats[fi];
    psm_rng rng = psm_rng_seed(0x16b175u + fi);
    size_t li, ti, i;
    int distribution;
    for (distribution = 0; distribution < DISTRIBUTIONS; distribution++)
        for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++)
            for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++) {
                size_t n = lengths[li], rows = n >= 1000 ? 2 : 40;
                uint16_t *x = half_buffer(rows * n);
                for (i = 0; i < rows * n; i++)
                    x[i] = random_entry(f, distribution, (double)temperatures[ti], &rng);
                check_batch(fi, x, rows, n, temperatures[ti], distribution_names[distribution]);
                free(x);
            }
}

/* --------------------------------------------------- 4. special values */

/* Rows that the edge-case table decides, and extremes of the format: exact
 * expectations. */
static void special_values(size_t fi)
{
    const format *f = &formats[fi];
    const uint16_t inf = f->infinity, minus_inf = (uint16_t)(0x8000u | f->infinity);
    const uint16_t nan = (uint16_t)(f->infinity | 1u), one = reference_round(f, 1.0);
    const uint16_t half = reference_round(f, 0.5), max = f->max_finite;
    const uint16_t minus_max = (uint16_t)(0x8000u | f->max_finite);
    uint16_t x[4], y[4], out;
    float wide[4];
    size_t i;

    /* NaN anywhere: all NaN; logsumexp NaN */
    x[0] = one; x[1] = nan; x[2] = inf; x[3] = 0;
    CHECK(f->normalize[0](x, y, 1, 4, 1.0f) == PSM_OK, "status");
    for (i = 0; i < 4; i++)
        CHECK(is_nan_pattern(f, y[i]), "softmax_%s NaN row [%zu] = 0x%04x", f->name, i, (unsigned)y[i]);
    CHECK(f->logsumexp(x, &out, 1, 4) == PSM_OK && is_nan_pattern(f, out), "logsumexp NaN row");
    /* two +inf: 1/2 there, 0 elsewhere; log: -log 2, -inf; logsumexp +inf */
    x[0] = inf; x[1] = one; x[2] = inf; x[3] = minus_inf;
    CHECK(f->normalize[0](x, y, 1, 4, 1.0f) == PSM_OK, "status");
    CHECK(y[0] == half && y[2] == half && y[1] == 0 && y[3] == 0,
          "softmax_%s [inf, 1, inf, -inf] = %04x %04x %04x %04x", f->name, y[0], y[1], y[2], y[3]);
    CHECK(f->normalize[1](x, y, 1, 4, 1.0f) == PSM_OK, "status");
    CHECK(y[0] == reference_round(f, -0.69314718055994530942L) && y[0] == y[2] &&
              y[1] == minus_inf && y[3] == minus_inf,
          "log_softmax_%s [inf, 1, inf, -inf]", f->name);
    CHECK(f->logsumexp(x, &out, 1, 4) == PSM_OK && out == inf, "logsumexp +inf row");
    /* all -inf: NaN; logsumexp -inf */
    x[0] = x[1] = minus_inf;
    CHECK(f->normalize[0](x, y, 1, 2, 1.0f) == PSM_OK && is_nan_pattern(f, y[0]) &&
              is_nan_pattern(f, y[1]),
          "softmax all -inf");
    CHECK(f->logsumexp(x, &out, 1, 2) == PSM_OK && out == minus_inf, "logsumexp all -inf");
    /* T = 0: one-hot over the maxima; T = inf: uniform over the entries above -inf;
     * T = -0: the T = 0 limit */
    x[0] = one; x[1] = reference_round(f, 3.0); x[2] = x[1]; x[3] = minus_inf;
    CHECK(f->normalize[0](x, y, 1, 4, 0.0f) == PSM_OK, "status");
    CHECK(y[0] == 0 && y[1] == half && y[2] == half && y[3] == 0, "softmax T=0");
    CHECK(f->normalize[0](x, y, 1, 4, -0.0f) == PSM_OK && y[1] == half, "softmax T=-0");
    CHECK(f->normalize[0](x, y, 1, 4, INFINITY) == PSM_OK, "status");
    CHECK(y[0] == reference_round(f, 1.0L / 3) && y[1] == y[0] && y[2] == y[0] && y[3] == 0,
          "softmax T=inf");
    CHECK(f->normalize[1](x, y, 1, 4, INFINITY) == PSM_OK &&
              y[0] == reference_round(f, -1.0986122886681098L) && y[3] == minus_inf,
          "log_softmax T=inf");
    /* Extremes: log_softmax beyond the format's range rounds to -inf (f16:
     * -65504 - 65504); softmax of [max, -max] is [1, 0]; logsumexp of
     * [max, max] is max + log 2, which rounds to max. */
    x[0] = max; x[1] = minus_max;
    CHECK(f->normalize[1](x, y, 1, 2, 1.0f) == PSM_OK, "status");
    CHECK(y[0] == 0 && y[1] == minus_inf && reference_round(f, -2.0L * reference_value(f, max)) == minus_inf,
          "log_softmax_%s [max, -max] = %04x %04x", f->name, y[0], y[1]);
    /* as a float: -131008 for float16, beyond float's range (-inf) for bfloat16 */
    CHECK(f->normalize_wide[1](x, wide, 1, 2, 1.0f) == PSM_OK &&
              wide[1] == (fi == 0 ? -131008.0f : -INFINITY),
          "log_softmax_%s_f32 [max, -max][1] = %a", f->name, (double)wide[1]);
    CHECK(f->normalize[0](x, y, 1, 2, 1.0f) == PSM_OK && y[0] == one && y[1] == 0,
          "softmax [max, -max]");
    x[1] = max;
    CHECK(f->logsumexp(x, &out, 1, 2) == PSM_OK && out == max &&
              reference_round(f, reference_value(f, max) + 0.69314718055994530942L) == max,
          "logsumexp_%s [max, max] = 0x%04x", f->name, (unsigned)out);
    /* the smallest subnormal in, and a subnormal out */
    x[0] = 1; x[1] = 0;
    CHECK(f->normalize[0](x, y, 1, 2, 1.0f) == PSM_OK && y[0] == half && y[1] == half,
          "softmax [subnormal, 0]");
    /* Empty rows: nothing written; logsumexp -inf; NULL allowed */
    y[0] = 0x1234u;
    CHECK(f->normalize[0](x, y, 1, 0, 1.0f) == PSM_OK && y[0] == 0x1234u, "n = 0");
    CHECK(f->normalize[0](NULL, NULL, 0, 5, 1.0f) == PSM_OK, "rows = 0, NULL");
    CHECK(f->normalize_wide[0](NULL, NULL, 7, 0, 1.0f) == PSM_OK, "n = 0, NULL");
    CHECK(f->logsumexp(NULL, y, 2, 0) == PSM_OK && y[0] == minus_inf && y[1] == minus_inf,
          "logsumexp of empty rows");
    CHECK(f->logsumexp_wide(NULL, wide, 2, 0) == PSM_OK && wide[0] == -INFINITY &&
              wide[1] == -INFINITY,
          "logsumexp_f32 of empty rows");
}

/* Rows longer than the buffer (4096 entries) are computed in chunks of at
 * most 4096 whose sums are combined: chunks of only -inf, a new maximum in
 * each chunk, the maximum in the last or the first chunk dominating
 * (log_softmax there a tiny negative number, which must keep its relative
 * precision), ties across chunks; then the rows the edge-case table decides (NaN or +inf in
 * a late chunk, only -inf, T = 0 and inf), strided and in place. */
static void long_rows_in_chunks(size_t fi)
{
    const format *f = &formats[fi];
    static const size_t lengths[] = {4097, 8193, 10000};
    psm_rng rng = psm_rng_seed(0x10e6u + fi);
    const uint16_t minus_inf = (uint16_t)(0x8000u | f->infinity);
    size_t li, i, n;
    int shape;
    /* the others' offset below the dominant maximum: bfloat16 keeps a
     * relative precision of 2^-8 down to 1e-38, float16 only down to 6e-5 */
    const double dominated = f->fraction_bits == 10 ? -12.0 : -30.0;
    for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        n = lengths[li];
        for (shape = 0; shape < 5; shape++) {
            static const char *const names[5] = {"a chunk of -inf", "rising maxima",
                                                 "dominant last maximum", "ties across chunks",
                                                 "dominant first maximum"};
            uint16_t *x = half_buffer(2 * n);
            for (i = 0; i < 2 * n; i++) {
                size_t j = i % n;
                double v = 3.0 * psm_rng_normalish(&rng);
                if (shape == 0 && j >= n / 3 && j < 2 * n / 3)
                    v = -INFINITY;
                else if (shape == 1)
                    v = 12.0 * (double)j / (double)n + 0.5 * psm_rng_normalish(&rng);
                else if (shape == 2)
                    v = j == n - 5 ? 0.0 : dominated + 0.25 * psm_rng_normalish(&rng);
                else if (shape == 3)
                    v = j % 1500 == 7 ? 9.5 : v;
                else if (shape == 4)
                    v = j == 2 ? 0.0 : dominated + 0.25 * psm_rng_normalish(&rng);
                x[i] = reference_round(f, v);
            }
            check_batch(fi, x, 2, n, 1.0f, names[shape]);
            check_batch(fi, x, 2, n, 0.37f, names[shape]);
            free(x);
        }
    }
    n = 10000;
    {
        uint16_t *x = half_buffer(n), *y = half_buffer(n), *strided = half_buffer(3 * n);
        uint16_t *strided_out = half_buffer(2 * n);
        uint16_t one = reference_round(f, 1.0), half = reference_round(f, 0.5);
        uint16_t out;
        for (i = 0; i < n; i++)
            x[i] = reference_round(f, 2.0 * psm_rng_normalish(&rng));
        /* NaN in the last chunk: all NaN */
        x[n - 3] = (uint16_t)(f->infinity | 3u);
        CHECK(f->normalize[1](x, y, 1, n, 1.0f) == PSM_OK, "status");
        for (i = 0; i < n; i++)
            CHECK(is_nan_pattern(f, y[i]), "%s long row with a late NaN: [%zu] = 0x%04x", f->name,
                  i, (unsigned)y[i]);
        CHECK(f->logsumexp(x, &out, 1, n) == PSM_OK && is_nan_pattern(f, out), "logsumexp NaN");
        /* two +inf, one early, one late: 1/2 there, 0 elsewhere */
        x[n - 3] = f->infinity;
        x[5] = f->infinity;
        CHECK(f->normalize[0](x, y, 1, n, 1.0f) == PSM_OK, "status");
        for (i = 0; i < n; i++)
            CHECK(y[i] == (i == 5 || i == n - 3 ? half : 0), "%s long row, two +inf: [%zu] = 0x%04x",
                  f->name, i, (unsigned)y[i]);
        CHECK(f->logsumexp(x, &out, 1, n) == PSM_OK && out == f->infinity, "logsumexp +inf");
        /* T = 0 and T = inf */
        x[n - 3] = x[5] = reference_round(f, 50.0);
        CHECK(f->normalize[0](x, y, 1, n, 0.0f) == PSM_OK, "status");
        for (i = 0; i < n; i++)
            CHECK(y[i] == (i == 5 || i == n - 3 ? half : 0), "%s long row, T = 0: [%zu]", f->name,
                  i);
        x[0] = minus_inf;
        CHECK(f->normalize[0](x, y, 1, n, INFINITY) == PSM_OK, "status");
        for (i = 0; i < n; i++)
            CHECK(y[i] == (i == 0 ? 0 : reference_round(f, 1.0L / (long double)(n - 1))),
                  "%s long row, T = inf: [%zu] = 0x%04x", f->name, i, (unsigned)y[i]);
        /* only -inf: NaN; logsumexp -inf */
        for (i = 0; i < n; i++)
            x[i] = minus_inf;
        CHECK(f->normalize[0](x, y, 1, n, 1.0f) == PSM_OK && is_nan_pattern(f, y[0]) &&
                  is_nan_pattern(f, y[n - 1]),
              "%s long row of -inf", f->name);
        CHECK(f->logsumexp(x, &out, 1, n) == PSM_OK && out == minus_inf, "logsumexp of -inf");
        /* strided (every third entry, written every second) and in place:
         * the contiguous result */
        for (i = 0; i < n; i++)
            x[i] = strided[3 * i] = reference_round(f, 4.0 * psm_rng_normalish(&rng));
        x[n / 2] = strided[3 * (n / 2)] = one;
        CHECK(f->normalize[0](x, y, 1, n, 1.0f) == PSM_OK, "status");
        CHECK(f->normalize_strided[0](strided, 0, 3, strided_out, 0, 2, 1, n, 1.0f) == PSM_OK,
              "status");
        CHECK(f->normalize[0](x, x, 1, n, 1.0f) == PSM_OK, "status");
        for (i = 0; i < n; i++) {
            CHECK(strided_out[2 * i] == y[i], "%s long strided row [%zu]", f->name, i);
            CHECK(x[i] == y[i], "%s long row in place [%zu]", f->name, i);
        }
        free(x);
        free(y);
        free(strided);
        free(strided_out);
    }
}

/* --------------------------------------------------- 5. argument errors */

static int flags_now(void)
{
    return fetestexcept(FE_ALL_EXCEPT);
}

/* Each bad call returns its status, writes nothing and leaves the
 * floating-point flags as they were. */
static void argument_errors(size_t fi)
{
    const format *f = &formats[fi];
    /* allocated, so that it may be seen as floats too (aligned, no declared type) */
    uint16_t *x = malloc(16 * sizeof(uint16_t)), y[16];
    float wide[16];
    size_t i, huge = (size_t)PTRDIFF_MAX / 2 + 1;
    float nan_temperature = NAN;
    uint16_t expected_x[16];
    int flags_before;
    if (x == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (i = 0; i < 16; i++) {
        x[i] = expected_x[i] = reference_round(f, (double)i);
        y[i] = 0x1234u;
        wide[i] = -1.0f;
    }
    feclearexcept(FE_ALL_EXCEPT);
    feraiseexcept(FE_INEXACT);
    flags_before = flags_now();
#define EXPECT(call, status)                                                                 \
    do {                                                                                     \
        int got_ = (call);                                                                   \
        CHECK(got_ == (status), "%s: %s gave %d, expected %d", f->name, #call, got_, status); \
    } while (0)
    EXPECT(f->normalize[0](NULL, y, 1, 4, 1.0f), PSM_E_NULL_POINTER);
    EXPECT(f->normalize[1](x, NULL, 1, 4, 1.0f), PSM_E_NULL_POINTER);
    EXPECT(f->logsumexp(x, NULL, 1, 4), PSM_E_NULL_POINTER);
    EXPECT(f->normalize_wide[0](x, NULL, 1, 4, 1.0f), PSM_E_NULL_POINTER);
    EXPECT(f->logsumexp_wide(NULL, wide, 1, 4), PSM_E_NULL_POINTER);
    EXPECT(f->normalize[0](x, y, huge, 2, 1.0f), PSM_E_SIZE_OVERFLOW);
    /* 2^61 + 1 entries: as 16-bit values 2^62 + 2 bytes, as floats beyond PTRDIFF_MAX */
    EXPECT(f->normalize_wide[0](x, wide, huge / 2 + 1, 1, 1.0f), PSM_E_SIZE_OVERFLOW);
    EXPECT(f->logsumexp_wide(x, wide, huge / 2 + 1, 1), PSM_E_SIZE_OVERFLOW);
    EXPECT(f->normalize[0](x, x + 1, 1, 4, 1.0f), PSM_E_OVERLAP);
    EXPECT(f->logsumexp(x, x + 1, 2, 4), PSM_E_OVERLAP);
    /* float outputs: any overlap, the same address included */
    EXPECT(f->normalize_wide[0](x, (float *)(void *)x, 1, 4, 1.0f), PSM_E_OVERLAP);
    EXPECT(f->normalize_wide[1](x + 2, (float *)(void *)x, 1, 4, 1.0f), PSM_E_OVERLAP);
    EXPECT(f->logsumexp_wide(x, (float *)(void *)x, 1, 4), PSM_E_OVERLAP);
    EXPECT(f->normalize_strided_wide[0](x, 4, 1, (float *)(void *)x, 4, 1, 1, 4, 1.0f),
           PSM_E_OVERLAP);
    /* strides */
    EXPECT(f->normalize_strided[0](x, 4, 1, y, 4, 0, 1, 4, 1.0f), PSM_E_STRIDE);
    EXPECT(f->normalize_strided[1](x, 4, 1, y, 0, 1, 2, 4, 1.0f), PSM_E_STRIDE);
    EXPECT(f->logsumexp_strided(x, 4, 1, y, 0, 2, 4), PSM_E_STRIDE);
    EXPECT(f->normalize_strided_wide[0](x, 4, 1, wide, 4, 0, 1, 4, 1.0f), PSM_E_STRIDE);
    EXPECT(f->logsumexp_strided_wide(x, 4, 1, wide, 0, 2, 4), PSM_E_STRIDE);
    EXPECT(f->normalize_strided[0](x, PTRDIFF_MIN, 1, y, 4, 1, 2, 4, 1.0f), PSM_E_SIZE_OVERFLOW);
    EXPECT(f->normalize_strided[0](x, 4, 1, x + 1, 4, 1, 2, 4, 1.0f), PSM_E_OVERLAP);
    /* temperatures */
    EXPECT(f->normalize[0](x, y, 1, 4, -1.0f), PSM_E_TEMPERATURE);
    EXPECT(f->normalize[1](x, y, 1, 4, -INFINITY), PSM_E_TEMPERATURE);
    EXPECT(f->normalize[0](x, y, 1, 4, nan_temperature), PSM_E_TEMPERATURE);
    EXPECT(f->normalize_wide[0](x, wide, 1, 4, -0x1p-149f), PSM_E_TEMPERATURE);
    EXPECT(f->normalize_strided_wide[1](x, 4, 1, wide, 4, 1, 1, 4, nan_temperature),
           PSM_E_TEMPERATURE);
    /* the first error in the documented order */
    EXPECT(f->normalize[0](x, NULL, 1, 4, nan_temperature), PSM_E_NULL_POINTER);
#undef EXPECT
    CHECK(flags_now() == flags_before, "%s: the flags changed: 0x%x, were 0x%x", f->name,
          flags_now(), flags_before);
    for (i = 0; i < 16; i++) {
        CHECK(y[i] == 0x1234u, "%s: y[%zu] written on error", f->name, i);
        CHECK(psm_bits_f32(wide[i]) == psm_bits_f32(-1.0f), "%s: wide[%zu] written on error",
              f->name, i);
        CHECK(x[i] == expected_x[i], "%s: x[%zu] written on error", f->name, i);
    }
    /* good calls leave the flags too */
    CHECK(f->normalize[0](x, y, 2, 8, 0.37f) == PSM_OK && f->logsumexp(x, y, 16, 1) == PSM_OK,
          "status");
    x[3] = (uint16_t)(f->infinity | 1u);
    CHECK(f->normalize[1](x, y, 2, 8, 1.0f) == PSM_OK, "status");
    CHECK(flags_now() == flags_before, "%s: a good call changed the flags: 0x%x, were 0x%x",
          f->name, flags_now(), flags_before);
    feclearexcept(FE_ALL_EXCEPT);
    free(x);
}

/* ------------------------------------------------------------------ main */

int main(void)
{
    size_t fi;
    int k, long_rows;
    printf("conversions:\n");
    for (fi = 0; fi < 2; fi++) {
        build_value_table(&formats[fi]);
        widening_every_pattern(&formats[fi]);
        narrowing_around_every_midpoint(&formats[fi]);
    }
    narrowing_every_float_to_f16(&formats[0]);
    narrowing_every_float_to_bf16(&formats[1]);
    for (fi = 0; fi < 2; fi++) {
        every_pattern_as_input(fi);
        random_rows(fi);
        special_values(fi);
        long_rows_in_chunks(fi);
        argument_errors(fi);
    }
    printf("worst error in ULP of the 16-bit format (bound 2), and the results that are not "
           "correctly rounded:\n");
    for (fi = 0; fi < 2; fi++)
        for (k = 0; k < 3; k++)
            for (long_rows = 0; long_rows < 2; long_rows++) {
                const tally *t = &tallies[fi][k][long_rows];
                printf("  %-12s %-4s %s: %lu ULP, %ld of %ld not correctly rounded (worst: %s)\n",
                       kind_names[k], formats[fi].name,
                       long_rows ? "rows > 4096" : "rows <= 4096", (unsigned long)t->worst,
                       t->not_correctly_rounded, t->results, t->where);
            }
    for (fi = 0; fi < 2; fi++)
        free(formats[fi].values);
    return psm_test_finish("test_half");
}
