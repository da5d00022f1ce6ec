/*
 * fuzz_rows.c -- libFuzzer harness for one of softmax, log_softmax and
 * logsumexp (PSM_FUZZ_FUNCTION = 0, 1 or 2 at compile time: fuzz_softmax,
 * fuzz_log_softmax, fuzz_logsumexp), each in float32 and float64, through the
 * contiguous and the strided entry points.
 *
 * Each input is decoded into one call: element type, entry point, rows and n
 * (small, long rows across the kernels' thresholds of 1024 and 4096, many
 * side-by-side rows for the kernel across rows, sizes whose byte count
 * overflows), strides (contiguous, transposed, reversed, padded, broadcast,
 * random small, arbitrary 64-bit), where x and y lie (apart, in place,
 * overlapping or adjacent in one allocation, NULL), the temperature (1,
 * special values, any bit pattern, powers of two), the caller's
 * floating-point state (exception flags raised, flush-to-zero and
 * denormals-are-zero) and the rows themselves (any bit pattern: NaN payloads,
 * +-inf, subnormals; or normal noise of any scale, near ties, constants,
 * values deep enough for subnormal outputs, specials sprinkled in).  Short
 * inputs are stretched by a PRNG seeded from the bytes.
 *
 * Invariants checked on every call (any violation aborts with a report):
 * - the status is the one the header's rules give (fz_expected_status), the
 *   first of SIZE_OVERFLOW, NULL_POINTER, STRIDE, OVERLAP, TEMPERATURE that
 *   applies, else OK (see docs/bad-inputs.md), up to the library's known,
 *   reported deviations below;
 * - on error nothing is written: every byte of the input and the output
 *   allocations is as before; on success only the outputs are written (the
 *   gaps between strided outputs, the input and the rest stay as they were);
 * - the caller's exception flags and MXCSR (flush-to-zero, denormals-are-
 *   zero) are as before the call;
 * - the special-value and temperature rules of the header, exactly (NaN,
 *   1/k and -log k on the selected entries, 0 and -inf on the others);
 * - softmax outputs in [0, 1], every row summing to 1 within n ULP of 1;
 *   log_softmax <= 0; +0, not -0, where the exact value is 0; logsumexp
 *   +-inf/NaN exactly by the rules;
 * - agreement with the long double reference of fz_reference_row (max
 *   shift, expl, a compensated sum, log1pl of the sum of the non-max terms):
 *   2 ULP in float32, 3 in float64 (long double has only 11 more bits than
 *   double, see csrc/tests/test_accuracy.c; the reference here also carries
 *   x - max and (x - max) / T exactly, so it is meaningful for any
 *   temperature), logsumexp in ULPs of max(|max x|, log S) as the header
 *   bounds it.  Where long double is not wider than double (or does not
 *   compute so: valgrind emulates x87 in double precision) the float64
 *   values are not compared (the other checks still run).
 *
 * Defects found by this harness (csrc/fuzz/README.md; reproducers in
 * known_defects.c).  Fixed, and checked like everything else since: D1 (a
 * subnormal float32 temperature read as 0 under the caller's DAZ), D2
 * (FE_INVALID raised in the caller's flags for a signaling-NaN float32
 * temperature), D3 (the baseline kernels' float64 log_softmax gave NaN for
 * |x - max| > 2^996), D4 (float64 log_softmax gave NaN where x - max is
 * finite but TwoSum's partial sums overflowed, max near DBL_MAX).
 *
 * Known deviations of the library from its header, found by this harness and
 * reported (csrc/fuzz/README.md); each is accepted here unless the harness is
 * built with -DPSM_FUZZ_STRICT=1, so that a run goes on finding new ones:
 *   KD1 the strided functions' size check is conservative: it rejects with
 *       PSM_E_SIZE_OVERFLOW every dimension whose extent exceeds
 *       PTRDIFF_MAX / 2 bytes or whose stride is PTRDIFF_MIN, even where
 *       the array is empty or the span fits;
 *   (KD2, interleaved output rows that share no element refused with
 *       PSM_E_STRIDE, is fixed: the check is exact now, and checked as such);
 *   KD3 psm_logsumexp_strided_* accepts out == x when n == 1, x_stride == 0
 *       and out_stride == x_row_stride (in place), which the header forbids
 *       ("out must not overlap x") -- harmless, the result is right.
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "psm_test.h"

#if defined(__SSE2__) || defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#define FZ_HAS_MXCSR 1
#endif

#ifndef PSM_FUZZ_FUNCTION
#error "define PSM_FUZZ_FUNCTION: 0 softmax, 1 log_softmax, 2 logsumexp"
#endif
#ifndef PSM_FUZZ_STRICT
#define PSM_FUZZ_STRICT 0
#endif

enum { FZ_SOFTMAX, FZ_LOG_SOFTMAX, FZ_LOGSUMEXP };
static const char *const fz_function_names[3] = {"softmax", "log_softmax", "logsumexp"};
#define FZ_FUNCTION PSM_FUZZ_FUNCTION
#define FZ_LSE (FZ_FUNCTION == FZ_LOGSUMEXP)

/* A case runs (rather than being skipped) only where its arrays fit these. */
#define FZ_MAX_ENTRIES 40000u    /* rows * n, and rows of logsumexp */
#define FZ_MAX_SPAN (1u << 18)  /* elements of one allocation */

__extension__ typedef __int128 fz_wide;
__extension__ typedef unsigned __int128 fz_uwide;

/* Where x and y are put. */
enum {
    FZ_APART,      /* two allocations */
    FZ_IN_PLACE,   /* y == x (same strides for the strided functions) */
    FZ_SHIFTED,    /* one allocation, y at an offset from x: overlapping or adjacent */
    FZ_X_NULL,
    FZ_Y_NULL,
    FZ_BOTH_NULL
};
static const char *const fz_alias_names[6] = {"apart",  "in place", "shifted",
                                              "x NULL", "y NULL",   "both NULL"};

typedef struct {
    int f64;
    size_t size;
    int strided;
    int alias;
    size_t rows, n, out_n; /* out_n: n, or 1 for logsumexp */
    ptrdiff_t xrs, xs;     /* x's strides, in elements */
    ptrdiff_t yrs, ys;     /* y's (logsumexp: out_stride, 0) */
    float t32;
    double t64;
    int raised_flags, ftz, daz;
    /* Allocations, and where x and y start in them (element indices). */
    unsigned char *x_arena, *y_arena; /* y_arena == x_arena: one allocation */
    size_t x_count, y_count;
    ptrdiff_t x_origin, y_origin;
    const void *x;
    void *y;
    const unsigned char *x_before; /* the x allocation as it was before the call */
    int expected, got;
    size_t failing_row;
} fz_case;

static fz_case fz_now;

static const char *fz_status_name(int status)
{
    switch (status) {
    case PSM_OK:
        return "PSM_OK";
    case PSM_E_NULL_POINTER:
        return "PSM_E_NULL_POINTER";
    case PSM_E_TEMPERATURE:
        return "PSM_E_TEMPERATURE";
    case PSM_E_SIZE_OVERFLOW:
        return "PSM_E_SIZE_OVERFLOW";
    case PSM_E_OVERLAP:
        return "PSM_E_OVERLAP";
    case PSM_E_STRIDE:
        return "PSM_E_STRIDE";
    default:
        return "(not a status)";
    }
}

static long double fz_load(const fz_case *c, const unsigned char *arena, ptrdiff_t index)
{
    if (c->f64) {
        double v;
        memcpy(&v, arena + (size_t)index * sizeof v, sizeof v);
        return v;
    } else {
        float v;
        memcpy(&v, arena + (size_t)index * sizeof v, sizeof v);
        return v;
    }
}

static void fz_store(const fz_case *c, unsigned char *arena, ptrdiff_t index, double value)
{
    if (c->f64) {
        memcpy(arena + (size_t)index * sizeof value, &value, sizeof value);
    } else {
        float v = (float)value;
        memcpy(arena + (size_t)index * sizeof v, &v, sizeof v);
    }
}

static ptrdiff_t fz_x_index(const fz_case *c, size_t r, size_t i)
{
    return c->x_origin + (ptrdiff_t)r * c->xrs + (ptrdiff_t)i * c->xs;
}

static ptrdiff_t fz_y_index(const fz_case *c, size_t r, size_t i)
{
    return c->y_origin + (ptrdiff_t)r * c->yrs + (ptrdiff_t)i * c->ys;
}

static void fz_describe_case(void)
{
    const fz_case *c = &fz_now;
    size_t i;
    fprintf(stderr,
            "  case: %s_%s%s  rows=%zu n=%zu  x strides (%td, %td)  y strides (%td, %td)  "
            "placement: %s\n",
            fz_function_names[FZ_FUNCTION], c->f64 ? "f64" : "f32",
            c->strided ? " (strided)" : "", c->rows, c->n, c->xrs, c->xs, c->yrs, c->ys,
            fz_alias_names[c->alias]);
    if (!FZ_LSE)
        fprintf(stderr, "  temperature %a (%.17g)\n", c->f64 ? c->t64 : (double)c->t32,
                c->f64 ? c->t64 : (double)c->t32);
    fprintf(stderr, "  caller's flags %#x, FTZ %d, DAZ %d; kernels %s\n",
            (unsigned)c->raised_flags, c->ftz, c->daz, psm_isa());
    fprintf(stderr, "  status: expected %d %s, got %d %s\n", c->expected,
            fz_status_name(c->expected), c->got, fz_status_name(c->got));
    if (c->x_before != NULL && c->x != NULL && c->rows > 0 && c->failing_row < c->rows &&
        c->n <= FZ_MAX_ENTRIES) {
        fprintf(stderr, "  row %zu of x:", c->failing_row);
        for (i = 0; i < c->n && i < 64; i++)
            fprintf(stderr, " %a",
                    (double)fz_load(c, c->x_before, fz_x_index(c, c->failing_row, i)));
        fprintf(stderr, c->n > 64 ? " ...\n" : "\n");
    }
}

/* ------------------------------------------------------------ layouts */

static fz_wide fz_clamp(fz_wide v)
{
    const fz_wide bound = (fz_wide)1 << 120;
    return v > bound ? bound : v < -bound ? -bound : v;
}

/* The lowest and highest element offsets of a rows x n array with these
 * strides; 0 when it is empty. */
static int fz_span(size_t rows, size_t n, ptrdiff_t row_stride, ptrdiff_t stride, fz_wide *low,
                   fz_wide *high)
{
    fz_wide a, b;
    if (rows == 0 || n == 0) {
        *low = *high = 0;
        return 0;
    }
    /* Each extent is below 2^127 in magnitude; clamped to 2^120 (far beyond
     * any span that fits), their sum cannot overflow. */
    a = fz_clamp((fz_wide)(rows - 1) * row_stride);
    b = fz_clamp((fz_wide)(n - 1) * stride);
    *low = (a < 0 ? a : 0) + (b < 0 ? b : 0);
    *high = (a > 0 ? a : 0) + (b > 0 ? b : 0);
    return 1;
}

static uint64_t fz_magnitude(ptrdiff_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static uint64_t fz_gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Whether two distinct (r, i) of a rows x n array reach the same element:
 * exactly when some (dr, di) != 0 with |dr| < rows, |di| < n has
 * dr * row_stride + di * stride = 0; the smallest such is
 * (stride, -row_stride) / gcd. */
static int fz_outputs_collide(size_t rows, size_t n, ptrdiff_t row_stride, ptrdiff_t stride)
{
    uint64_t rs = fz_magnitude(row_stride), s = fz_magnitude(stride), g;
    if (rows == 0 || n == 0)
        return 0;
    if (rows == 1)
        return n > 1 && s == 0;
    if (n == 1)
        return rs == 0;
    if (rs == 0 || s == 0)
        return 1;
    g = fz_gcd(rs, s);
    return s / g < rows && rs / g < n;
}

/* The library's own span check (arguments.c: element_span), for KD1. */
static int fz_library_span_rejects(size_t rows, size_t n, ptrdiff_t row_stride, ptrdiff_t stride,
                                   size_t size)
{
    const uint64_t limit = (uint64_t)(PTRDIFF_MAX / (ptrdiff_t)size / 2);
    const size_t counts[2] = {rows, n};
    const ptrdiff_t strides[2] = {row_stride, stride};
    int k;
    for (k = 0; k < 2; k++) {
        uint64_t steps = counts[k] == 0 ? 0 : (uint64_t)counts[k] - 1;
        uint64_t magnitude = fz_magnitude(strides[k]);
        if (strides[k] == PTRDIFF_MIN || steps > limit)
            return 1;
        if (magnitude != 0 && steps > limit / magnitude)
            return 1;
    }
    return 0;
}

static int fz_temperature_is_invalid(const fz_case *c)
{
    if (c->f64)
        return isnan(c->t64) || c->t64 < 0.0;
    return isnan(c->t32) || c->t32 < 0.0f;
}

static int fz_bytes_overlap(const void *a, fz_wide a_low, fz_wide a_high, const void *b,
                            fz_wide b_low, fz_wide b_high, size_t size)
{
    fz_wide a0 = (fz_wide)(uintptr_t)a + a_low * (fz_wide)size;
    fz_wide a1 = (fz_wide)(uintptr_t)a + (a_high + 1) * (fz_wide)size;
    fz_wide b0 = (fz_wide)(uintptr_t)b + b_low * (fz_wide)size;
    fz_wide b1 = (fz_wide)(uintptr_t)b + (b_high + 1) * (fz_wide)size;
    return a0 < b1 && b0 < a1;
}

/* The status the header's rules give, the first that applies of:
 * SIZE_OVERFLOW, NULL_POINTER, STRIDE (strided only), OVERLAP, TEMPERATURE. */
static int fz_expected_status(const fz_case *c)
{
    const fz_wide max_bytes = PTRDIFF_MAX;
    int x_empty = c->rows == 0 || c->n == 0, y_empty = c->rows == 0 || c->out_n == 0;
    fz_wide xl, xh, yl, yh;
    if (!c->strided) {
        fz_uwide in = (fz_uwide)c->rows * c->n;
        fz_uwide out = (fz_uwide)c->rows * c->out_n;
        if (in > (fz_uwide)(max_bytes / (fz_wide)c->size) ||
            out > (fz_uwide)(max_bytes / (fz_wide)c->size))
            return PSM_E_SIZE_OVERFLOW;
        if ((c->x == NULL && !x_empty) || (c->y == NULL && !y_empty))
            return PSM_E_NULL_POINTER;
        if (!x_empty && !y_empty && c->x != c->y &&
            fz_bytes_overlap(c->x, 0, (fz_wide)in - 1, c->y, 0, (fz_wide)out - 1, c->size))
            return PSM_E_OVERLAP;
    } else {
        if ((fz_span(c->rows, c->n, c->xrs, c->xs, &xl, &xh) &&
             (xh - xl + 1) > max_bytes / (fz_wide)c->size) ||
            (fz_span(c->rows, c->out_n, c->yrs, c->ys, &yl, &yh) &&
             (yh - yl + 1) > max_bytes / (fz_wide)c->size))
            return PSM_E_SIZE_OVERFLOW;
        if ((c->x == NULL && !x_empty) || (c->y == NULL && !y_empty))
            return PSM_E_NULL_POINTER;
        if (fz_outputs_collide(c->rows, c->out_n, c->yrs, c->ys))
            return PSM_E_STRIDE;
        fz_span(c->rows, c->n, c->xrs, c->xs, &xl, &xh);
        fz_span(c->rows, c->out_n, c->yrs, c->ys, &yl, &yh);
        if (!x_empty && !y_empty &&
            !(!FZ_LSE && c->x == c->y && c->xrs == c->yrs && c->xs == c->ys) &&
            fz_bytes_overlap(c->x, xl, xh, c->y, yl, yh, c->size))
            return PSM_E_OVERLAP;
    }
    if (!FZ_LSE && fz_temperature_is_invalid(c))
        return PSM_E_TEMPERATURE;
    return PSM_OK;
}

/* Whether `got` instead of `expected` is one of the known deviations. */
static int fz_known_deviation(const fz_case *c, int expected, int got)
{
    if (PSM_FUZZ_STRICT || !c->strided)
        return 0;
    /* KD1: the library's span check rejects more than spans beyond PTRDIFF_MAX. */
    if (got == PSM_E_SIZE_OVERFLOW &&
        (fz_library_span_rejects(c->rows, c->n, c->xrs, c->xs, c->size) ||
         fz_library_span_rejects(c->rows, c->out_n, c->yrs, c->ys, c->size)))
        return 1;
    /* KD3: strided logsumexp in place on a row of one. */
    if (FZ_LSE && expected == PSM_E_OVERLAP && got == PSM_OK && c->x == c->y && c->n == 1 &&
        c->xs == 0 && c->xrs == c->yrs)
        return 1;
    return 0;
}

/* ------------------------------------------------------------ decoding */

static double fz_special(unsigned k, int f64)
{
    switch (k % 16) {
    case 0:
        return NAN;
    case 1:
        return -NAN;
    case 2:
        return INFINITY;
    case 3:
        return -INFINITY;
    case 4:
        return 0.0;
    case 5:
        return -0.0;
    case 6:
        return f64 ? 0x1p-1074 : 0x1p-149;
    case 7:
        return f64 ? -0x1p-1074 : -0x1p-149;
    case 8:
        return f64 ? DBL_MAX : FLT_MAX;
    case 9:
        return f64 ? -DBL_MAX : -FLT_MAX;
    case 10:
        return f64 ? DBL_MIN : FLT_MIN;
    case 11:
        return 1.0;
    case 12:
        return -1.0;
    case 13:
        return f64 ? 0x1.fffffffffffffp-1023 : 0x1.fffffcp-127; /* largest subnormal */
    case 14:
        return f64 ? 709.78 : 88.72; /* where exp overflows */
    default:
        return f64 ? -745.13 : -103.97; /* where exp underflows to 0 */
    }
}

/* Any bit pattern of the element type (as a double: exact for float, and
 * a float NaN keeps being a NaN). */
static double fz_raw_value(fz_input *in, int f64)
{
    if (f64) {
        uint64_t bits = fz_bytes(in, 8);
        double v;
        memcpy(&v, &bits, sizeof v);
        return v;
    } else {
        uint32_t bits = (uint32_t)fz_bytes(in, 4);
        float v;
        memcpy(&v, &bits, sizeof v);
        return (double)v;
    }
}

/* A finite value of any magnitude: random sign, exponent and mantissa. */
static double fz_wide_value(fz_input *in, int f64)
{
    int lowest = f64 ? -1074 : -149, highest = f64 ? 1023 : 127;
    int e = lowest + (int)(fz_random(in) % (uint64_t)(highest - lowest + 1));
    double v = ldexp(1.0 + fz_uniform(in), e);
    if (!f64 && v > FLT_MAX)
        v = FLT_MAX;
    if (f64 && isinf(v))
        v = DBL_MAX;
    return (fz_random(in) & 1) ? -v : v;
}

typedef struct {
    int kind;
    double scale, center;
    unsigned special_rate;
} fz_style;

enum {
    FZ_RAW,       /* any bit pattern, from the fuzzer's bytes */
    FZ_NORMAL,    /* scale * normal noise */
    FZ_NEAR,      /* center and its neighbours a few ULP away */
    FZ_SPRINKLED, /* normal noise with special values in it */
    FZ_DEEP,      /* (x - max) / T down to where exp(x / T) is subnormal */
    FZ_CONSTANT,  /* every entry the same */
    FZ_WIDE,      /* finite values of any magnitude */
    FZ_INTEGERS,  /* small integers times a scale: many ties */
    FZ_STYLES
};

static fz_style fz_read_style(fz_input *in, int f64)
{
    static const double centers[10] = {0.0, 1.0, -1.0, 1e4, -1e4, 88.5, 700.0, 1e30, -3e38, 1e-40};
    fz_style style;
    unsigned scale_byte, center_byte;
    style.kind = (int)(fz_byte(in) % FZ_STYLES);
    scale_byte = fz_byte(in);
    center_byte = fz_byte(in);
    style.special_rate = fz_byte(in);
    if (scale_byte >= 250)
        style.scale = f64 ? 1e300 : 1e37;
    else
        style.scale = ldexp(1.0, (int)(scale_byte % 80) - 40);
    if (center_byte < 200)
        style.center = centers[center_byte % 10];
    else
        style.center = fz_wide_value(in, f64);
    if (!f64)
        style.center = (double)(float)style.center;
    return style;
}

static double fz_neighbour(double v, int steps, int f64)
{
    if (!f64) {
        float f = (float)v;
        for (; steps > 0; steps--)
            f = nextafterf(f, INFINITY);
        for (; steps < 0; steps++)
            f = nextafterf(f, -INFINITY);
        return (double)f;
    }
    for (; steps > 0; steps--)
        v = nextafter(v, INFINITY);
    for (; steps < 0; steps++)
        v = nextafter(v, -INFINITY);
    return v;
}

static double fz_entry(fz_input *in, const fz_style *style, int f64, double temperature)
{
    double v;
    switch (style->kind) {
    case FZ_RAW:
        return fz_raw_value(in, f64);
    case FZ_NORMAL:
        v = style->scale * fz_normal(in);
        break;
    case FZ_NEAR:
        v = fz_neighbour(style->center, (int)(fz_random(in) % 9) - 4, f64);
        break;
    case FZ_SPRINKLED:
        if ((fz_random(in) & 255) < style->special_rate / 4)
            return fz_special((unsigned)fz_random(in), f64);
        v = style->scale * fz_normal(in);
        break;
    case FZ_DEEP: {
        double t = (isfinite(temperature) && temperature > 0.0) ? temperature : 1.0;
        v = -(f64 ? 760.0 : 110.0) * t * fz_uniform(in);
        break;
    }
    case FZ_CONSTANT:
        v = style->center;
        break;
    case FZ_WIDE:
        v = fz_wide_value(in, f64);
        break;
    default: /* FZ_INTEGERS */
        v = style->scale * (double)((int)(fz_random(in) % 9) - 4);
        break;
    }
    if (!f64) {
        /* Round to float without overflowing to inf by accident. */
        if (v > FLT_MAX)
            v = FLT_MAX;
        if (v < -FLT_MAX)
            v = -FLT_MAX;
        v = (double)(float)v;
    }
    return v;
}

static void fz_read_temperature(fz_input *in, fz_case *c)
{
    static const double listed[20] = {0.0,   -0.0,    INFINITY, -INFINITY, NAN,      -NAN,  0.37,
                                      6.5,   100.0,   1e-3,     1e-30,     1e30,     0.5,   2.0,
                                      3e38,  1e300,   0x1p-149, 0x1p-1074, 0x1p-126, 0x1.8p997};
    unsigned mode = fz_byte(in) % 8;
    double t = 1.0;
    switch (mode) {
    case 2:
        t = listed[fz_byte(in) % 20];
        break;
    case 3:
        if (c->f64) {
            t = fz_raw_value(in, 1);
        } else {
            uint32_t bits = (uint32_t)fz_bytes(in, 4);
            memcpy(&c->t32, &bits, sizeof c->t32);
            c->t64 = (double)c->t32;
            return;
        }
        break;
    case 4: {
        int e = (int)fz_bytes(in, 2) % (c->f64 ? 2100 : 280) - (c->f64 ? 1075 : 150);
        t = ldexp(1.0 + (double)fz_byte(in) / 256.0, e);
        break;
    }
    case 5:
        t = 0.01 + 10.0 * fz_uniform(in);
        break;
    case 6:
        t = fabs(fz_raw_value(in, c->f64));
        break;
    default:
        break;
    }
    if (c->f64) {
        c->t64 = t;
        c->t32 = 1.0f;
    } else {
        /* Huge float64 temperatures become inf in float: that is a case too. */
        c->t32 = (float)t;
        c->t64 = (double)c->t32;
    }
}

static size_t fz_read_rows(fz_input *in)
{
    unsigned mode = fz_byte(in) % 32;
    if (mode < 20)
        return mode % 10;
    if (mode < 26)
        return 16 + fz_byte(in) % 48;
    if (mode < 29)
        return 1;
    if (mode == 29)
        return 2;
    if (mode == 30)
        return (size_t)fz_bytes(in, 8);
    return (size_t)1 << (fz_byte(in) % 64);
}

static size_t fz_read_n(fz_input *in)
{
    unsigned mode = fz_byte(in);
    if (mode < 150)
        return mode % 48;
    if (mode < 200)
        return 48 + fz_byte(in) % 200;
    if (mode < 225)
        return 1000 + fz_byte(in) % 64; /* across the kernels' 1024-entry scratch */
    if (mode < 240)
        return 4064 + fz_byte(in) % 64; /* across the 4096-entry gather buffer */
    if (mode < 248)
        return (size_t)1 << (fz_byte(in) % 64);
    return (size_t)fz_bytes(in, 8);
}

/* a + b and -a with wrap-around (strides made from huge sizes). */
static ptrdiff_t fz_wrap_add(ptrdiff_t a, ptrdiff_t b)
{
    return (ptrdiff_t)((uint64_t)a + (uint64_t)b);
}

static ptrdiff_t fz_wrap_negate(ptrdiff_t a)
{
    return (ptrdiff_t)((uint64_t)0 - (uint64_t)a);
}

static ptrdiff_t fz_small_stride(fz_input *in)
{
    return (ptrdiff_t)(fz_byte(in) % 49) - 24;
}

static void fz_read_x_strides(fz_input *in, fz_case *c)
{
    const ptrdiff_t n = (ptrdiff_t)c->n, rows = (ptrdiff_t)c->rows;
    switch (fz_byte(in) % 12) {
    case 0: /* contiguous */
        c->xrs = n, c->xs = 1;
        break;
    case 1: /* transposed: rows side by side */
        c->xrs = 1, c->xs = rows;
        break;
    case 2: /* reversed */
        c->xrs = fz_wrap_negate(n), c->xs = -1;
        break;
    case 3: /* padded rows */
        c->xrs = fz_wrap_add(n, (ptrdiff_t)(fz_byte(in) % 8)), c->xs = 1;
        break;
    case 4: /* padded, transposed */
        c->xrs = 1, c->xs = fz_wrap_add(rows, (ptrdiff_t)(fz_byte(in) % 8));
        break;
    case 5:
        c->xrs = fz_small_stride(in), c->xs = fz_small_stride(in);
        break;
    case 6: /* one row for all */
        c->xrs = 0, c->xs = 1;
        break;
    case 7: /* one entry for the whole row */
        c->xrs = n, c->xs = 0;
        break;
    case 8:
        c->xrs = 0, c->xs = 0;
        break;
    case 9:
        c->xrs = n, c->xs = -1;
        break;
    case 10:
        c->xrs = (ptrdiff_t)fz_bytes(in, 8), c->xs = 1;
        break;
    default:
        c->xrs = (ptrdiff_t)fz_bytes(in, 8), c->xs = (ptrdiff_t)fz_bytes(in, 8);
        break;
    }
}

static void fz_read_y_strides(fz_input *in, fz_case *c)
{
    const ptrdiff_t n = (ptrdiff_t)c->n, rows = (ptrdiff_t)c->rows;
    if (FZ_LSE) {
        c->ys = 0;
        switch (fz_byte(in) % 7) {
        case 0:
        case 1:
            c->yrs = 1;
            break;
        case 2:
            c->yrs = -1;
            break;
        case 3:
            c->yrs = 0;
            break;
        case 4:
            c->yrs = fz_small_stride(in);
            break;
        case 5:
            c->yrs = c->xrs;
            break;
        default:
            c->yrs = (ptrdiff_t)fz_bytes(in, 8);
            break;
        }
        return;
    }
    switch (fz_byte(in) % 11) {
    case 0:
        c->yrs = n, c->ys = 1;
        break;
    case 1:
        c->yrs = 1, c->ys = rows;
        break;
    case 2:
        c->yrs = fz_wrap_negate(n), c->ys = -1;
        break;
    case 3:
        c->yrs = fz_wrap_add(n, (ptrdiff_t)(fz_byte(in) % 8)), c->ys = 1;
        break;
    case 4:
        c->yrs = 1, c->ys = fz_wrap_add(rows, (ptrdiff_t)(fz_byte(in) % 8));
        break;
    case 5:
        c->yrs = fz_small_stride(in), c->ys = fz_small_stride(in);
        break;
    case 6:
        c->yrs = 0, c->ys = 1;
        break;
    case 7:
        c->yrs = n, c->ys = 0;
        break;
    case 8:
        c->yrs = (ptrdiff_t)fz_bytes(in, 8), c->ys = (ptrdiff_t)fz_bytes(in, 8);
        break;
    default: /* the same as x's */
        c->yrs = c->xrs, c->ys = c->xs;
        break;
    }
}

/* ------------------------------------------------------------ the call */

static int fz_call(const fz_case *c)
{
    if (c->f64) {
        const double *x = (const double *)c->x;
        double *y = (double *)c->y;
        if (!c->strided) {
            switch (FZ_FUNCTION) {
            case FZ_SOFTMAX:
                return psm_softmax_f64(x, y, c->rows, c->n, c->t64);
            case FZ_LOG_SOFTMAX:
                return psm_log_softmax_f64(x, y, c->rows, c->n, c->t64);
            default:
                return psm_logsumexp_f64(x, y, c->rows, c->n);
            }
        }
        switch (FZ_FUNCTION) {
        case FZ_SOFTMAX:
            return psm_softmax_strided_f64(x, c->xrs, c->xs, y, c->yrs, c->ys, c->rows, c->n,
                                           c->t64);
        case FZ_LOG_SOFTMAX:
            return psm_log_softmax_strided_f64(x, c->xrs, c->xs, y, c->yrs, c->ys, c->rows, c->n,
                                               c->t64);
        default:
            return psm_logsumexp_strided_f64(x, c->xrs, c->xs, y, c->yrs, c->rows, c->n);
        }
    } else {
        const float *x = (const float *)c->x;
        float *y = (float *)c->y;
        if (!c->strided) {
            switch (FZ_FUNCTION) {
            case FZ_SOFTMAX:
                return psm_softmax_f32(x, y, c->rows, c->n, c->t32);
            case FZ_LOG_SOFTMAX:
                return psm_log_softmax_f32(x, y, c->rows, c->n, c->t32);
            default:
                return psm_logsumexp_f32(x, y, c->rows, c->n);
            }
        }
        switch (FZ_FUNCTION) {
        case FZ_SOFTMAX:
            return psm_softmax_strided_f32(x, c->xrs, c->xs, y, c->yrs, c->ys, c->rows, c->n,
                                           c->t32);
        case FZ_LOG_SOFTMAX:
            return psm_log_softmax_strided_f32(x, c->xrs, c->xs, y, c->yrs, c->ys, c->rows, c->n,
                                               c->t32);
        default:
            return psm_logsumexp_strided_f32(x, c->xrs, c->xs, y, c->yrs, c->rows, c->n);
        }
    }
}

/* The call with the caller's floating-point state set as the case says;
 * checks that the library leaves it as it was. */
static int fz_call_in_environment(const fz_case *c)
{
    int status, before, after;
#if defined(FZ_HAS_MXCSR)
    unsigned int saved = _mm_getcsr(), set, csr_before, csr_after;
#endif
    feclearexcept(FE_ALL_EXCEPT);
    if (c->raised_flags != 0)
        feraiseexcept(c->raised_flags);
#if defined(FZ_HAS_MXCSR)
    set = saved | (c->ftz ? 0x8000u : 0u) | (c->daz ? 0x0040u : 0u);
    _mm_setcsr(set);
    csr_before = _mm_getcsr();
#endif
    before = fetestexcept(FE_ALL_EXCEPT);
    status = fz_call(c);
    after = fetestexcept(FE_ALL_EXCEPT);
#if defined(FZ_HAS_MXCSR)
    csr_after = _mm_getcsr();
    _mm_setcsr(saved & ~0x3fu);
#endif
    feclearexcept(FE_ALL_EXCEPT);
    fz_now.got = status;
    FZ_CHECK(after == before, "the caller's exception flags changed: %#x before, %#x after",
             (unsigned)before, (unsigned)after);
#if defined(FZ_HAS_MXCSR)
    /* The control bits (rounding, flush-to-zero, denormals-are-zero, masks);
     * the flag bits are the exception flags, checked above through <fenv.h>
     * (glibc's fesetexceptflag writes flags raised in the x87 unit into
     * MXCSR too, which the caller cannot tell apart). */
    FZ_CHECK((csr_after & ~0x3fu) == (csr_before & ~0x3fu),
             "MXCSR's control bits changed: %#x before, %#x after", csr_before, csr_after);
#endif
    return status;
}

/* ------------------------------------------------------------ the reference */

enum { FZ_RULE_NONE, FZ_RULE_NAN, FZ_RULE_ALL_NEGATIVE_INFINITY, FZ_RULE_POSITIVE_INFINITY,
       FZ_RULE_ZERO_TEMPERATURE, FZ_RULE_INFINITE_TEMPERATURE };

/* The header's rule for a row (in the edge-case table's order of
 * precedence), its max and how many entries the rule selects. */
static int fz_rule(const long double *v, size_t n, long double temperature, long double *max,
                   size_t *selected)
{
    size_t i, count = 0;
    int has_nan = 0;
    *max = -INFINITY;
    for (i = 0; i < n; i++) {
        if (isnan(v[i]))
            has_nan = 1;
        else if (v[i] > *max)
            *max = v[i];
    }
    if (has_nan)
        return FZ_RULE_NAN;
    if (*max == -INFINITY)
        return FZ_RULE_ALL_NEGATIVE_INFINITY;
    if (*max == INFINITY || (!FZ_LSE && (temperature == 0.0L || temperature == INFINITY))) {
        int rule = *max == INFINITY            ? FZ_RULE_POSITIVE_INFINITY
                   : temperature == 0.0L       ? FZ_RULE_ZERO_TEMPERATURE
                                               : FZ_RULE_INFINITE_TEMPERATURE;
        for (i = 0; i < n; i++)
            if (rule == FZ_RULE_INFINITE_TEMPERATURE ? v[i] > -INFINITY : v[i] == *max)
                count++;
        *selected = count;
        return rule;
    }
    return FZ_RULE_NONE;
}

/* z = (v - max) / T as hi + lo, carried beyond long double: the difference
 * by TwoSum, the quotient's remainder by fmal. */
static void fz_shifted(long double v, long double max, long double temperature, long double *hi,
                       long double *lo)
{
    long double d = v - max;
    long double bv = d - v;
    long double error = (v - (d - bv)) + (-max - bv);
    long double q = d / temperature;
    long double r = fmal(-q, temperature, d);
    *hi = q;
    *lo = (r + error) / temperature;
}

/* The reference of one finite row (rule NONE): softmax or log_softmax of
 * every entry in out[], or logsumexp (out[0]) and its error scale. */
static void fz_reference_row(const long double *v, size_t n, long double max,
                             long double temperature, long double *out, long double *scale)
{
    size_t i, argmax = n;
    long double sum = 0.0L, compensation = 0.0L, log_sum;
    for (i = 0; i < n; i++)
        if (v[i] == max) {
            argmax = i;
            break;
        }
    /* Neumaier's compensated sum of the non-max terms. */
    for (i = 0; i < n; i++) {
        long double hi, lo, e, t;
        if (i == argmax || v[i] == -INFINITY)
            continue;
        fz_shifted(v[i], max, temperature, &hi, &lo);
        e = hi < -12000.0L ? 0.0L : expl(hi) * (1.0L + lo);
        t = sum + e;
        if (fabsl(sum) >= fabsl(e))
            compensation += (sum - t) + e;
        else
            compensation += (e - t) + sum;
        sum = t;
    }
    sum += compensation;
    log_sum = log1pl(sum);
    if (FZ_LSE) {
        out[0] = max + log_sum;
        *scale = fabsl(max) > log_sum ? fabsl(max) : log_sum;
        return;
    }
    for (i = 0; i < n; i++) {
        long double hi, lo;
        if (v[i] == -INFINITY) {
            out[i] = FZ_FUNCTION == FZ_SOFTMAX ? 0.0L : -INFINITY;
            continue;
        }
        if (i == argmax)
            hi = lo = 0.0L;
        else
            fz_shifted(v[i], max, temperature, &hi, &lo);
        if (FZ_FUNCTION == FZ_SOFTMAX)
            out[i] = (hi < -12000.0L ? 0.0L : expl(hi) * (1.0L + lo)) / (1.0L + sum);
        else
            out[i] = (hi - log_sum) + lo;
    }
}

/* ------------------------------------------------------------ checking */

/* Whether long double is wider than double (else the float64 values are
 * not compared), and whether it computes as its type says at run time: not
 * under valgrind, whose x87 emulation has only double's precision and range
 * and mangles infinities, so that no value can be checked there (statuses,
 * memory and the floating-point state still are). */
static int fz_long_double_is_wide = LDBL_MANT_DIG >= 64;
static int fz_long_double_is_emulated = 0;

static int fz_probe_emulated_long_double(void)
{
    volatile long double one = 1.0L, tiny = 0x1p-60L;
    volatile float infinity = INFINITY;
    volatile long double widened = infinity;
    return LDBL_MANT_DIG >= 64 && (one + tiny == one || !isinf(widened));
}

static int fz_compare_values(const fz_case *c)
{
    return !c->f64 || fz_long_double_is_wide;
}

static uint64_t fz_ulps(const fz_case *c, long double got, long double reference)
{
    if (c->f64)
        return psm_ulp_distance_f64((double)got, (double)reference);
    return psm_ulp_distance_f32((float)got, (float)reference);
}

static long double fz_ulp_at(const fz_case *c, long double v)
{
    int exponent;
    long double smallest = c->f64 ? 0x1p-1074L : 0x1p-149L, u;
    frexpl(fabsl(v), &exponent);
    u = ldexpl(1.0L, exponent - (c->f64 ? 53 : 24));
    return u > smallest ? u : smallest;
}

static void fz_check_close(const fz_case *c, size_t r, size_t i, long double got,
                           long double reference, const char *what)
{
    const uint64_t tolerance = c->f64 ? 3 : 2;
    uint64_t distance;
    if (!fz_compare_values(c))
        return;
    distance = fz_ulps(c, got, reference);
    if (distance > tolerance) {
        fz_now.failing_row = r;
        FZ_FAIL("%s[%zu, %zu] = %La, reference %La (rounded %a): %llu ULP > %llu", what, r, i,
                got, reference, c->f64 ? (double)reference : (double)(float)reference,
                (unsigned long long)distance, (unsigned long long)tolerance);
    }
}

/* A value a known, unfixed defect explains (csrc/fuzz/README.md); none now. */
static int fz_known_defect_value(const fz_case *c, long double v, long double max,
                                 long double got)
{
    /* None left: D4 is fixed (row_numerics.h, psm_shifted). */
    (void)c, (void)v, (void)max, (void)got;
    return 0;
}

static void fz_check_row(const fz_case *c, const unsigned char *x_before, size_t r,
                         long double *v, long double *out)
{
    const long double temperature = c->f64 ? (long double)c->t64 : (long double)c->t32;
    const char *name = fz_function_names[FZ_FUNCTION];
    long double max, scale = 0.0L;
    size_t i, selected = 0;
    int rule;
    fz_now.failing_row = r;
    for (i = 0; i < c->n; i++)
        v[i] = fz_load(c, x_before, fz_x_index(c, r, i));
    rule = fz_rule(v, c->n, temperature, &max, &selected);

    if (FZ_LSE) {
        long double got = fz_load(c, c->y_arena, fz_y_index(c, r, 0)), reference;
        switch (rule) {
        case FZ_RULE_NAN:
            FZ_CHECK(isnan(got), "logsumexp of a row with NaN = %La, not NaN", got);
            return;
        case FZ_RULE_ALL_NEGATIVE_INFINITY:
            FZ_CHECK(got == -INFINITY, "logsumexp of an all -inf row = %La, not -inf", got);
            return;
        case FZ_RULE_POSITIVE_INFINITY:
            FZ_CHECK(got == INFINITY, "logsumexp of a row with +inf = %La, not +inf", got);
            return;
        default:
            break;
        }
        FZ_CHECK(isfinite(got), "logsumexp of a finite row = %La", got);
        fz_reference_row(v, c->n, max, 1.0L, out, &scale);
        reference = out[0];
        if (!fz_compare_values(c))
            return;
        if (fz_ulp_at(c, reference) >= fz_ulp_at(c, scale)) {
            fz_check_close(c, r, 0, got, reference, name);
        } else {
            /* Cancellation (max ~ -log S): the header's bound is in ULPs of
             * max(|max|, log S). */
            long double rounded = c->f64 ? (long double)(double)reference
                                         : (long double)(float)reference;
            long double error = fabsl(got - rounded) / fz_ulp_at(c, scale);
            if (error > (c->f64 ? 3.0L : 2.0L))
                FZ_FAIL("logsumexp[%zu] = %La, reference %La: %Lg ULP of the scale %La", r, got,
                        reference, error, scale);
        }
        return;
    }

    {
        long double row_sum = 0.0L;
        int sum_checked = 1;
        if (rule == FZ_RULE_NAN || rule == FZ_RULE_ALL_NEGATIVE_INFINITY) {
            for (i = 0; i < c->n; i++) {
                long double got = fz_load(c, c->y_arena, fz_y_index(c, r, i));
                FZ_CHECK(isnan(got), "%s[%zu, %zu] = %La, the rule says NaN (%s)", name, r, i,
                         got, rule == FZ_RULE_NAN ? "a NaN in the row" : "all -inf");
            }
            return;
        }
        size_t finite = 0; /* entries above -inf */
        for (i = 0; i < c->n; i++)
            finite += v[i] > -INFINITY;
        if (rule == FZ_RULE_NONE)
            fz_reference_row(v, c->n, max, temperature, out, &scale);
        for (i = 0; i < c->n; i++) {
            long double got = fz_load(c, c->y_arena, fz_y_index(c, r, i));
            if (rule == FZ_RULE_NONE && fz_known_defect_value(c, v[i], max, got))
                continue;
            if (rule != FZ_RULE_NONE) {
                int on = rule == FZ_RULE_INFINITE_TEMPERATURE ? v[i] > -INFINITY : v[i] == max;
                if (!on) {
                    FZ_CHECK(FZ_FUNCTION == FZ_SOFTMAX ? got == 0.0L : got == -INFINITY,
                             "%s[%zu, %zu] = %La, the rule (%d) says %s", name, r, i, got, rule,
                             FZ_FUNCTION == FZ_SOFTMAX ? "0" : "-inf");
                } else {
                    long double reference = FZ_FUNCTION == FZ_SOFTMAX
                                                ? 1.0L / (long double)selected
                                                : -logl((long double)selected);
                    fz_check_close(c, r, i, got, reference, name);
                }
            } else if (v[i] == -INFINITY) {
                FZ_CHECK(FZ_FUNCTION == FZ_SOFTMAX ? got == 0.0L : got == -INFINITY,
                         "%s[%zu, %zu] = %La for an entry -inf", name, r, i, got);
            } else {
                fz_check_close(c, r, i, got, out[i], name);
            }
            /* A zero is +0 where the exact value is 0: softmax's zeros, the table's
             * -log(1), log_softmax of the only entry above -inf.  (log_softmax at the max
             * of a row whose other terms underflow is a tiny negative number: -0.0 is
             * its correct rounding.) */
            if (got == 0.0L && signbit(got))
                FZ_CHECK(FZ_FUNCTION == FZ_LOG_SOFTMAX && rule == FZ_RULE_NONE && finite > 1,
                         "%s[%zu, %zu] = -0.0 where the exact value is 0", name, r, i);
            if (FZ_FUNCTION == FZ_SOFTMAX)
                FZ_CHECK(got >= 0.0L && got <= 1.0L, "softmax[%zu, %zu] = %La, not in [0, 1]", r,
                         i, got);
            else
                FZ_CHECK(got <= 0.0L, "log_softmax[%zu, %zu] = %La > 0 or NaN", r, i, got);
            if (FZ_FUNCTION == FZ_SOFTMAX)
                row_sum += got;
        }
        if (FZ_FUNCTION == FZ_SOFTMAX && sum_checked) {
            long double epsilon = c->f64 ? DBL_EPSILON : FLT_EPSILON;
            FZ_CHECK(fabsl(row_sum - 1.0L) <= (long double)c->n * epsilon,
                     "softmax row %zu sums to 1 %+La, beyond n ULP (n = %zu)", r,
                     row_sum - 1.0L, c->n);
        }
    }
}

/* ------------------------------------------------------------ one input */

static unsigned char *fz_allocate(size_t count, size_t size)
{
    unsigned char *p = (unsigned char *)malloc(count ? count * size : 1);
    if (p == NULL) {
        fprintf(stderr, "fuzz: out of memory\n");
        abort();
    }
    return p;
}

static void fz_fill_sentinel(const fz_case *c, unsigned char *arena, size_t count)
{
    size_t i;
    for (i = 0; i < count; i++)
        fz_store(c, arena, (ptrdiff_t)i, -12345.6875);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char name[64];
    (void)argc;
    (void)argv;
    snprintf(name, sizeof name, "fuzz_%s", fz_function_names[FZ_FUNCTION]);
    fz_describe = fz_describe_case;
    fz_check_isa(name);
    fz_long_double_is_emulated = fz_probe_emulated_long_double();
    feclearexcept(FE_ALL_EXCEPT);
    if (fz_long_double_is_emulated)
        fprintf(stderr,
                "%s: long double does not compute as an 80-bit type here (valgrind?): values "
                "are not checked, only statuses, memory and the floating-point state\n",
                name);
    else if (!fz_long_double_is_wide)
        fprintf(stderr, "%s: long double has %d bits: float64 values are not compared\n", name,
                LDBL_MANT_DIG);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int flag_list[5] = {FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW,
                                     FE_INEXACT};
    fz_input in = fz_start(data, size);
    fz_case *c = &fz_now;
    unsigned char *x_before = NULL, *y_before = NULL, *written = NULL;
    long double *values = NULL, *reference = NULL;
    fz_wide xl = 0, xh = -1, yl = 0, yh = -1;
    int x_nonempty, y_nonempty, fits, expected, status;
    size_t r, i;
    unsigned placement, environment;

    memset(c, 0, sizeof *c);
    {
        unsigned head = fz_byte(&in);
        c->f64 = (int)(head & 1u);
        c->strided = (int)((head >> 1) & 1u);
    }
    c->size = c->f64 ? sizeof(double) : sizeof(float);
    placement = fz_byte(&in) % 16;
    c->alias = placement < 9    ? FZ_APART
               : placement < 11 ? FZ_IN_PLACE
               : placement < 13 ? FZ_SHIFTED
               : placement == 13 ? FZ_X_NULL
               : placement == 14 ? FZ_Y_NULL
                                 : FZ_BOTH_NULL;
    c->rows = fz_read_rows(&in);
    c->n = fz_read_n(&in);
    c->out_n = FZ_LSE ? 1 : c->n;
    if (c->strided) {
        fz_read_x_strides(&in, c);
        fz_read_y_strides(&in, c);
        if (c->alias == FZ_IN_PLACE && !FZ_LSE)
            c->yrs = c->xrs, c->ys = c->xs;
    } else {
        c->xrs = (ptrdiff_t)c->n, c->xs = 1;
        c->yrs = FZ_LSE ? 1 : (ptrdiff_t)c->n, c->ys = FZ_LSE ? 0 : 1;
    }
    if (!FZ_LSE)
        fz_read_temperature(&in, c);
    else
        c->t32 = 1.0f, c->t64 = 1.0;
    environment = fz_byte(&in);
    for (i = 0; i < 5; i++)
        if (environment & (1u << i))
            c->raised_flags |= flag_list[i];
    c->ftz = (int)((environment >> 5) & 1u);
    c->daz = (int)((environment >> 6) & 1u);

    /* The arrays' spans (element offsets from x and y); do they fit? */
    x_nonempty = fz_span(c->rows, c->n, c->xrs, c->xs, &xl, &xh);
    y_nonempty = fz_span(c->rows, c->out_n, c->yrs, c->ys, &yl, &yh);
    fits = (fz_uwide)c->rows * c->n <= FZ_MAX_ENTRIES && c->rows <= FZ_MAX_ENTRIES &&
           (!x_nonempty || xh - xl + 1 <= FZ_MAX_SPAN) &&
           (!y_nonempty || yh - yl + 1 <= FZ_MAX_SPAN);

    if (!fits) {
        /* Only an error can be checked: the pointers lead to 4 elements. */
        c->x_count = c->y_count = 4;
        c->x_arena = fz_allocate(4, c->size);
        c->y_arena = fz_allocate(4, c->size);
        fz_fill_sentinel(c, c->x_arena, 4);
        fz_fill_sentinel(c, c->y_arena, 4);
    } else if (c->alias == FZ_IN_PLACE || c->alias == FZ_SHIFTED) {
        /* One allocation holding both spans, y at `shift` elements from x. */
        fz_wide shift = 0, low, high;
        if (c->alias == FZ_SHIFTED) {
            fz_wide range = (x_nonempty ? xh - xl + 1 : 1) + (y_nonempty ? yh - yl + 1 : 1) + 2;
            shift = (fz_wide)(fz_bytes(&in, 4) % (uint64_t)range) - (y_nonempty ? yh - yl + 1 : 1) -
                    1 + (x_nonempty ? xl - yl : 0);
        }
        low = x_nonempty ? xl : 0;
        high = x_nonempty ? xh : 0;
        if (y_nonempty) {
            if (yl + shift < low)
                low = yl + shift;
            if (yh + shift > high)
                high = yh + shift;
        }
        c->x_count = (size_t)(high - low + 1);
        c->x_arena = c->y_arena = fz_allocate(c->x_count, c->size);
        c->y_count = c->x_count;
        c->x_origin = (ptrdiff_t)-low;
        c->y_origin = (ptrdiff_t)(shift - low);
        fz_fill_sentinel(c, c->x_arena, c->x_count);
    } else {
        c->x_count = x_nonempty ? (size_t)(xh - xl + 1) : 0;
        c->y_count = y_nonempty ? (size_t)(yh - yl + 1) : 0;
        c->x_arena = fz_allocate(c->x_count, c->size);
        c->y_arena = fz_allocate(c->y_count, c->size);
        c->x_origin = (ptrdiff_t)-xl;
        c->y_origin = (ptrdiff_t)-yl;
        fz_fill_sentinel(c, c->x_arena, c->x_count);
        fz_fill_sentinel(c, c->y_arena, c->y_count);
    }
    /* x and y as the library gets them (pointers computed as integers: the
     * origin may lie outside the allocation for negative strides). */
    c->x = (const void *)((uintptr_t)c->x_arena + (uintptr_t)(c->x_origin * (ptrdiff_t)c->size));
    c->y = (void *)((uintptr_t)c->y_arena + (uintptr_t)(c->y_origin * (ptrdiff_t)c->size));
    if (c->alias == FZ_X_NULL || c->alias == FZ_BOTH_NULL)
        c->x = NULL;
    if (c->alias == FZ_Y_NULL || c->alias == FZ_BOTH_NULL)
        c->y = NULL;

    /* The rows. */
    if (fits && c->x != NULL) {
        double temperature = c->f64 ? c->t64 : (double)c->t32;
        for (r = 0; r < c->rows; r++) {
            fz_style style = fz_read_style(&in, c->f64);
            for (i = 0; i < c->n; i++)
                fz_store(c, c->x_arena, fz_x_index(c, r, i),
                         fz_entry(&in, &style, c->f64, temperature));
        }
    }

    expected = fz_expected_status(c);
    c->expected = expected;
    if (!fits && expected == PSM_OK)
        goto done; /* too large to run here */

    x_before = fz_allocate(c->x_count, c->size);
    memcpy(x_before, c->x_arena, c->x_count * c->size);
    c->x_before = x_before;
    if (c->y_arena != c->x_arena) {
        y_before = fz_allocate(c->y_count, c->size);
        memcpy(y_before, c->y_arena, c->y_count * c->size);
    }

    status = fz_call_in_environment(c);
    if (status != expected && !fz_known_deviation(c, expected, status))
        FZ_FAIL("status %d (%s), expected %d (%s)", status, fz_status_name(status), expected,
                fz_status_name(expected));

    if (status != PSM_OK) {
        FZ_CHECK(memcmp(x_before, c->x_arena, c->x_count * c->size) == 0,
                 "%s failed with %s but changed memory", fz_function_names[FZ_FUNCTION],
                 fz_status_name(status));
        FZ_CHECK(y_before == NULL || memcmp(y_before, c->y_arena, c->y_count * c->size) == 0,
                 "%s failed with %s but wrote to the output", fz_function_names[FZ_FUNCTION],
                 fz_status_name(status));
        goto done;
    }

    /* Success: only the outputs changed... */
    written = (unsigned char *)calloc(c->y_count ? c->y_count : 1, 1);
    if (written == NULL)
        abort();
    if (c->y != NULL)
        for (r = 0; r < c->rows; r++)
            for (i = 0; i < c->out_n; i++)
                written[fz_y_index(c, r, i)] = 1;
    for (i = 0; i < c->y_count; i++) {
        const unsigned char *before = y_before != NULL ? y_before : x_before;
        FZ_CHECK(written[i] || memcmp(before + i * c->size, c->y_arena + i * c->size, c->size) == 0,
                 "element %zu of the output allocation, not an output, was written", i);
    }
    if (y_before != NULL)
        FZ_CHECK(memcmp(x_before, c->x_arena, c->x_count * c->size) == 0,
                 "the input changed (not in place)");
    if (c->y == NULL || c->rows == 0 || c->out_n == 0 || fz_long_double_is_emulated)
        goto done;
    if (c->n == 0) { /* logsumexp of empty rows: -inf */
        for (r = 0; r < c->rows; r++)
            FZ_CHECK(fz_load(c, c->y_arena, fz_y_index(c, r, 0)) == -INFINITY,
                     "logsumexp of an empty row = %La, not -inf",
                     fz_load(c, c->y_arena, fz_y_index(c, r, 0)));
        goto done;
    }
    /* ...and each row is right. */
    values = (long double *)malloc(c->n * sizeof *values);
    reference = (long double *)malloc(c->n * sizeof *reference);
    if (values == NULL || reference == NULL)
        abort();
    for (r = 0; r < c->rows; r++)
        fz_check_row(c, x_before, r, values, reference);

done:
    free(values);
    free(reference);
    free(written);
    free(x_before);
    free(y_before);
    c->x_before = NULL;
    if (c->y_arena != c->x_arena)
        free(c->y_arena);
    free(c->x_arena);
    c->x_arena = c->y_arena = NULL;
    return 0;
}
