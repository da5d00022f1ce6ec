/*
 * fuzz_rows.h -- what the harnesses of row functions share (fuzz_rows.c,
 * fuzz_general.c, fuzz_weighted.c, fuzz_backward.c, fuzz_half.c): layouts
 * and the header's status rules for them, values of every kind, the
 * caller's floating-point state around a call, the element formats (float32,
 * float64, float16, bfloat16, bytes) and their ULPs, the long double
 * reference of softmax, log_softmax and logsumexp with the check of one row
 * of results against it, and arrays placed in exact-span allocations.
 * Header-only, every function static inline (a harness uses what it needs).
 */
#ifndef PSM_FUZZ_ROWS_H
#define PSM_FUZZ_ROWS_H

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

/* -DPSM_FUZZ_STRICT=1: the library's known deviations from its header are
 * failures too (csrc/fuzz/README.md). */
#ifndef PSM_FUZZ_STRICT
#define PSM_FUZZ_STRICT 0
#endif

/* A case runs (rather than being skipped) only where its arrays fit these. */
#define FZ_MAX_ENTRIES 40000u  /* rows * n, and rows of logsumexp */
#define FZ_MAX_SPAN (1u << 18) /* elements of one allocation */

__extension__ typedef __int128 fz_wide;
__extension__ typedef unsigned __int128 fz_uwide;

static inline const char *fz_status_name(int status)
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

static inline void *fz_allocate(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (p == NULL) {
        fprintf(stderr, "fuzz: out of memory\n");
        abort();
    }
    return p;
}

/* ------------------------------------------------------------ layouts */

static inline fz_wide fz_clamp(fz_wide v)
{
    const fz_wide bound = (fz_wide)1 << 120;
    return v > bound ? bound : v < -bound ? -bound : v;
}

/* The lowest and highest element offsets of a rows x n array with these
 * strides; 0 when it is empty. */
static inline int fz_span(size_t rows, size_t n, ptrdiff_t row_stride, ptrdiff_t stride,
                          fz_wide *low, fz_wide *high)
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

static inline uint64_t fz_magnitude(ptrdiff_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static inline uint64_t fz_gcd(uint64_t a, uint64_t b)
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
static inline int fz_outputs_collide(size_t rows, size_t n, ptrdiff_t row_stride,
                                     ptrdiff_t stride)
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
static inline int fz_library_span_rejects(size_t rows, size_t n, ptrdiff_t row_stride,
                                          ptrdiff_t stride, size_t size)
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

static inline int fz_bytes_overlap(const void *a, fz_wide a_low, fz_wide a_high, const void *b,
                                   fz_wide b_low, fz_wide b_high, size_t size)
{
    fz_wide a0 = (fz_wide)(uintptr_t)a + a_low * (fz_wide)size;
    fz_wide a1 = (fz_wide)(uintptr_t)a + (a_high + 1) * (fz_wide)size;
    fz_wide b0 = (fz_wide)(uintptr_t)b + b_low * (fz_wide)size;
    fz_wide b1 = (fz_wide)(uintptr_t)b + (b_high + 1) * (fz_wide)size;
    return a0 < b1 && b0 < a1;
}

/* a + b and -a with wrap-around (strides made from huge sizes). */
static inline ptrdiff_t fz_wrap_add(ptrdiff_t a, ptrdiff_t b)
{
    return (ptrdiff_t)((uint64_t)a + (uint64_t)b);
}

static inline ptrdiff_t fz_wrap_negate(ptrdiff_t a)
{
    return (ptrdiff_t)((uint64_t)0 - (uint64_t)a);
}

static inline ptrdiff_t fz_small_stride(fz_input *in)
{
    return (ptrdiff_t)(fz_byte(in) % 49) - 24;
}

/* The strides of a rows x n array: contiguous, transposed, reversed,
 * padded, small random, broadcast (a row, an entry, everything), arbitrary
 * 64-bit values. */
static inline void fz_read_layout(fz_input *in, size_t rows_count, size_t n_count,
                                  ptrdiff_t *row_stride, ptrdiff_t *stride)
{
    const ptrdiff_t n = (ptrdiff_t)n_count, rows = (ptrdiff_t)rows_count;
    switch (fz_byte(in) % 12) {
    case 0: /* contiguous */
        *row_stride = n, *stride = 1;
        break;
    case 1: /* transposed: rows side by side */
        *row_stride = 1, *stride = rows;
        break;
    case 2: /* reversed */
        *row_stride = fz_wrap_negate(n), *stride = -1;
        break;
    case 3: /* padded rows */
        *row_stride = fz_wrap_add(n, (ptrdiff_t)(fz_byte(in) % 8)), *stride = 1;
        break;
    case 4: /* padded, transposed */
        *row_stride = 1, *stride = fz_wrap_add(rows, (ptrdiff_t)(fz_byte(in) % 8));
        break;
    case 5:
        *row_stride = fz_small_stride(in), *stride = fz_small_stride(in);
        break;
    case 6: /* one row for all */
        *row_stride = 0, *stride = 1;
        break;
    case 7: /* one entry for the whole row */
        *row_stride = n, *stride = 0;
        break;
    case 8:
        *row_stride = 0, *stride = 0;
        break;
    case 9:
        *row_stride = n, *stride = -1;
        break;
    case 10:
        *row_stride = (ptrdiff_t)fz_bytes(in, 8), *stride = 1;
        break;
    default:
        *row_stride = (ptrdiff_t)fz_bytes(in, 8), *stride = (ptrdiff_t)fz_bytes(in, 8);
        break;
    }
}

/* The stride of a per-row array (one value per row: logsumexp's out, the
 * temperatures): 1, -1, 0 (one for all), small, padded, arbitrary. */
static inline ptrdiff_t fz_read_row_stride(fz_input *in)
{
    switch (fz_byte(in) % 8) {
    case 0:
    case 1:
        return 1;
    case 2:
        return -1;
    case 3:
        return 0;
    case 4:
        return fz_small_stride(in);
    case 5:
        return 2 + (ptrdiff_t)(fz_byte(in) % 8);
    default:
        return (ptrdiff_t)fz_bytes(in, 8);
    }
}

static inline size_t fz_read_rows(fz_input *in)
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

static inline size_t fz_read_n(fz_input *in)
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

/* ------------------------------------------------------------ values */

static inline double fz_special(unsigned k, int f64)
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
static inline double fz_raw_value(fz_input *in, int f64)
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
static inline double fz_wide_value(fz_input *in, int f64)
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

static inline fz_style fz_read_style(fz_input *in, int f64)
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

static inline double fz_neighbour(double v, int steps, int f64)
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

/* One entry of a row in the given style, a value of the element type (f64:
 * double, else float). */
static inline double fz_entry(fz_input *in, const fz_style *style, int f64, double temperature)
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

/* A temperature: the float32 functions take t32 (its bits as read: a
 * signaling NaN stays one), the float64 ones t64; t64 == t32 for float. */
typedef struct {
    float t32;
    double t64;
} fz_temperature;

/* 1, special values, any bit pattern, powers of two of any exponent,
 * random moderate values, absolute values of any pattern. */
static inline fz_temperature fz_read_temperature(fz_input *in, int f64)
{
    static const double listed[20] = {0.0,   -0.0,    INFINITY, -INFINITY, NAN,      -NAN,  0.37,
                                      6.5,   100.0,   1e-3,     1e-30,     1e30,     0.5,   2.0,
                                      3e38,  1e300,   0x1p-149, 0x1p-1074, 0x1p-126, 0x1.8p997};
    fz_temperature result;
    unsigned mode = fz_byte(in) % 8;
    double t = 1.0;
    switch (mode) {
    case 2:
        t = listed[fz_byte(in) % 20];
        break;
    case 3:
        if (f64) {
            t = fz_raw_value(in, 1);
        } else {
            uint32_t bits = (uint32_t)fz_bytes(in, 4);
            memcpy(&result.t32, &bits, sizeof result.t32);
            result.t64 = (double)result.t32;
            return result;
        }
        break;
    case 4: {
        int e = (int)fz_bytes(in, 2) % (f64 ? 2100 : 280) - (f64 ? 1075 : 150);
        t = ldexp(1.0 + (double)fz_byte(in) / 256.0, e);
        break;
    }
    case 5:
        t = 0.01 + 10.0 * fz_uniform(in);
        break;
    case 6:
        t = fabs(fz_raw_value(in, f64));
        break;
    default:
        break;
    }
    if (f64) {
        result.t64 = t;
        result.t32 = 1.0f;
    } else {
        /* Huge float64 temperatures become inf in float: that is a case too. */
        result.t32 = (float)t;
        result.t64 = (double)result.t32;
    }
    return result;
}

static inline int fz_temperature_is_invalid(double t)
{
    return isnan(t) || t < 0.0;
}

/* ------------------------------------------------------------ the caller's state */

/* The floating-point state the caller leaves for the call: exception flags
 * raised, flush-to-zero, denormals-are-zero. */
typedef struct {
    int raised_flags, ftz, daz;
} fz_environment;

static inline fz_environment fz_read_environment(fz_input *in)
{
    static const int flag_list[5] = {FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW,
                                     FE_INEXACT};
    fz_environment environment;
    unsigned bits = fz_byte(in);
    int i;
    environment.raised_flags = 0;
    for (i = 0; i < 5; i++)
        if (bits & (1u << i))
            environment.raised_flags |= flag_list[i];
    environment.ftz = (int)((bits >> 5) & 1u);
    environment.daz = (int)((bits >> 6) & 1u);
    return environment;
}

/* call(context) with the caller's floating-point state set as `environment`
 * says; checks that the library leaves it as it was.  *status is set before
 * any check fails (the report shows it). */
static inline int fz_call_in_environment(const fz_environment *environment,
                                         int (*call)(void *), void *context, int *status)
{
    int before, after;
#if defined(FZ_HAS_MXCSR)
    unsigned int saved = _mm_getcsr(), set, csr_before, csr_after;
#endif
    feclearexcept(FE_ALL_EXCEPT);
    if (environment->raised_flags != 0)
        feraiseexcept(environment->raised_flags);
#if defined(FZ_HAS_MXCSR)
    set = saved | (environment->ftz ? 0x8000u : 0u) | (environment->daz ? 0x0040u : 0u);
    _mm_setcsr(set);
    csr_before = _mm_getcsr();
#endif
    before = fetestexcept(FE_ALL_EXCEPT);
    *status = call(context);
    after = fetestexcept(FE_ALL_EXCEPT);
#if defined(FZ_HAS_MXCSR)
    csr_after = _mm_getcsr();
    _mm_setcsr(saved & ~0x3fu);
#endif
    feclearexcept(FE_ALL_EXCEPT);
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
    return *status;
}

/* ------------------------------------------------------------ formats */

/* Element formats: the library's float types, the 16-bit ones (as bit
 * patterns in uint16_t) and bytes (masks). */
enum { FZ_F32, FZ_F64, FZ_F16, FZ_BF16, FZ_BYTE };
static const char *const fz_format_names[5] = {"f32", "f64", "f16", "bf16", "byte"};

static inline size_t fz_format_size(int format)
{
    static const size_t sizes[5] = {4, 8, 2, 2, 1};
    return sizes[format];
}

/* Significand bits (with the leading one) and the normal exponent range. */
static inline int fz_precision(int format)
{
    static const int bits[4] = {24, 53, 11, 8};
    return bits[format];
}

static inline int fz_min_exponent(int format)
{
    static const int e[4] = {-126, -1022, -14, -126};
    return e[format];
}

static inline int fz_max_exponent(int format)
{
    static const int e[4] = {127, 1023, 15, 127};
    return e[format];
}

static inline int fz_is_half(int format)
{
    return format == FZ_F16 || format == FZ_BF16;
}

/* The value of a 16-bit pattern, from its fields (independent of the
 * library's conversions). */
static inline long double fz_half_value(int format, uint16_t bits)
{
    const int fraction_bits = fz_precision(format) - 1;
    const int exponent_bits = 15 - fraction_bits;
    const unsigned exponent_mask = (1u << exponent_bits) - 1u;
    const int bias = (int)exponent_mask / 2;
    unsigned exponent = (bits >> fraction_bits) & exponent_mask;
    unsigned fraction = bits & ((1u << fraction_bits) - 1u);
    long double magnitude;
    if (exponent == exponent_mask)
        magnitude = fraction != 0 ? (long double)NAN : (long double)INFINITY;
    else if (exponent == 0)
        magnitude = ldexpl((long double)fraction, 1 - bias - fraction_bits);
    else
        magnitude = ldexpl((long double)(fraction | (1u << fraction_bits)),
                           (int)exponent - bias - fraction_bits);
    return (bits & 0x8000u) ? -magnitude : magnitude;
}

/* v rounded to the format (to nearest, ties to even, with subnormals and
 * overflow to inf); exact in long double, whose significand is wider. */
static inline long double fz_round(int format, long double v)
{
    int exponent, lead, p;
    long double quantum, rounded, largest;
    if (format == FZ_F32)
        return (long double)(float)v;
    if (format == FZ_F64)
        return (long double)(double)v;
    if (isnan(v) || isinf(v) || v == 0.0L)
        return v;
    p = fz_precision(format);
    frexpl(fabsl(v), &exponent);
    lead = exponent - 1; /* |v| in [2^lead, 2^(lead + 1)) */
    if (lead < fz_min_exponent(format))
        lead = fz_min_exponent(format);
    quantum = ldexpl(1.0L, lead - (p - 1));
    rounded = rintl(v / quantum) * quantum;
    largest = ldexpl(2.0L - ldexpl(1.0L, 1 - p), fz_max_exponent(format));
    if (fabsl(rounded) > largest)
        return copysignl((long double)INFINITY, v);
    return rounded;
}

/* The 16-bit pattern of a value the format holds exactly (NaN: a quiet NaN). */
static inline uint16_t fz_half_bits(int format, long double v)
{
    const int fraction_bits = fz_precision(format) - 1;
    const int exponent_bits = 15 - fraction_bits;
    const unsigned exponent_mask = (1u << exponent_bits) - 1u;
    const int bias = (int)exponent_mask / 2;
    unsigned sign = signbit(v) ? 0x8000u : 0u, bits;
    long double magnitude = fabsl(v);
    int exponent;
    if (isnan(v))
        return (uint16_t)((exponent_mask << fraction_bits) | (1u << (fraction_bits - 1)));
    if (isinf(v))
        return (uint16_t)(sign | (exponent_mask << fraction_bits));
    if (magnitude == 0.0L)
        return (uint16_t)sign;
    frexpl(magnitude, &exponent);
    if (exponent - 1 < 1 - bias) /* subnormal */
        bits = (unsigned)ldexpl(magnitude, bias - 1 + fraction_bits);
    else
        bits = ((unsigned)(exponent - 1 + bias) << fraction_bits) |
               ((unsigned)ldexpl(magnitude, fraction_bits - (exponent - 1)) &
                ((1u << fraction_bits) - 1u));
    return (uint16_t)(sign | bits);
}

/* The ULP distance between got (a value of the format) and the reference
 * rounded to the format: representable values between them, +0 and -0 the
 * same point; both NaN 0, one NaN UINT64_MAX. */
static inline uint64_t fz_distance(int format, long double got, long double reference)
{
    if (format == FZ_F32)
        return psm_ulp_distance_f32((float)got, (float)reference);
    if (format == FZ_F64)
        return psm_ulp_distance_f64((double)got, (double)reference);
    if (isnan(got) || isnan(reference))
        return (isnan(got) && isnan(reference)) ? 0 : UINT64_MAX;
    {
        uint16_t a = fz_half_bits(format, got), b = fz_half_bits(format, fz_round(format, reference));
        int64_t ka = (a & 0x8000u) ? -(int64_t)(a & 0x7fffu) : (int64_t)a;
        int64_t kb = (b & 0x8000u) ? -(int64_t)(b & 0x7fffu) : (int64_t)b;
        return ka > kb ? (uint64_t)(ka - kb) : (uint64_t)(kb - ka);
    }
}

/* The format's ULP at |v| (its smallest subnormal below the normal range). */
static inline long double fz_ulp_at(int format, long double v)
{
    int exponent, lead;
    frexpl(fabsl(v), &exponent);
    lead = exponent - 1;
    if (lead < fz_min_exponent(format) || v == 0.0L)
        lead = fz_min_exponent(format);
    return ldexpl(1.0L, lead - (fz_precision(format) - 1));
}

static inline long double fz_epsilon(int format)
{
    return ldexpl(1.0L, 1 - fz_precision(format));
}

/* ------------------------------------------------------------ long double */

/* Whether long double is wider than double (else the float64 values are
 * not compared), and whether it computes as its type says at run time: not
 * under valgrind, whose x87 emulation has only double's precision and range
 * and mangles infinities, so that no value can be checked there (statuses,
 * memory and the floating-point state still are).  Set by
 * fz_probe_long_double() at start-up. */
static int fz_long_double_is_wide = LDBL_MANT_DIG >= 64;
static int fz_long_double_is_emulated = 0;

static inline void fz_probe_long_double(const char *harness)
{
    volatile long double one = 1.0L, tiny = 0x1p-60L;
    volatile float infinity = INFINITY;
    volatile long double widened = infinity;
    fz_long_double_is_emulated = LDBL_MANT_DIG >= 64 && (one + tiny == one || !isinf(widened));
    if (fz_long_double_is_emulated)
        fprintf(stderr,
                "%s: long double does not compute as an 80-bit type here (valgrind?): values "
                "are not checked, only statuses, memory and the floating-point state\n",
                harness);
    else if (!fz_long_double_is_wide)
        fprintf(stderr, "%s: long double has %d bits: float64 values are not compared\n",
                harness, LDBL_MANT_DIG);
}

/* Whether values of this format are compared with the long double reference. */
static inline int fz_compare_values(int format)
{
    return !fz_long_double_is_emulated && (format != FZ_F64 || fz_long_double_is_wide);
}

/* ------------------------------------------------------------ the reference */

enum { FZ_SOFTMAX, FZ_LOG_SOFTMAX, FZ_LOGSUMEXP };
static const char *const fz_function_names[3] = {"softmax", "log_softmax", "logsumexp"};

enum { FZ_RULE_NONE, FZ_RULE_NAN, FZ_RULE_ALL_NEGATIVE_INFINITY, FZ_RULE_POSITIVE_INFINITY,
       FZ_RULE_ZERO_TEMPERATURE, FZ_RULE_INFINITE_TEMPERATURE };

/* The header's rule for a row (in the edge-case table's order of
 * precedence), its max and how many entries the rule selects.  logsumexp
 * has no temperature. */
static inline int fz_rule(int function, const long double *v, size_t n, long double temperature,
                          long double *max, size_t *selected)
{
    const int lse = function == FZ_LOGSUMEXP;
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
    if (*max == INFINITY || (!lse && (temperature == 0.0L || temperature == INFINITY))) {
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
static inline void fz_shifted(long double v, long double max, long double temperature,
                              long double *hi, long double *lo)
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
static inline void fz_reference_row(int function, const long double *v, size_t n,
                                    long double max, long double temperature, long double *out,
                                    long double *scale)
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
    if (function == FZ_LOGSUMEXP) {
        out[0] = max + log_sum;
        *scale = fabsl(max) > log_sum ? fabsl(max) : log_sum;
        return;
    }
    for (i = 0; i < n; i++) {
        long double hi, lo;
        if (v[i] == -INFINITY) {
            out[i] = function == FZ_SOFTMAX ? 0.0L : -INFINITY;
            continue;
        }
        if (i == argmax)
            hi = lo = 0.0L;
        else
            fz_shifted(v[i], max, temperature, &hi, &lo);
        if (function == FZ_SOFTMAX)
            out[i] = (hi < -12000.0L ? 0.0L : expl(hi) * (1.0L + lo)) / (1.0L + sum);
        else
            out[i] = (hi - log_sum) + lo;
    }
}

/* ------------------------------------------------------------ checking a row */

/* The row and entry a failure is about (the harness's report prints them). */
static size_t fz_failing_row = 0, fz_failing_entry = 0;

/* The tolerance of softmax and log_softmax, in ULPs of the format: the
 * header's 2; 3 in float64, where long double has only 11 more bits (see
 * csrc/tests/test_accuracy.c); float16 and bfloat16, computed in float32
 * and rounded: 1 (the header: "within 1 ULP of the 16-bit format"). */
static inline uint64_t fz_tolerance(int format)
{
    return format == FZ_F64 ? 3 : fz_is_half(format) ? 1 : 2;
}

static inline void fz_check_close(int format, size_t r, size_t i, long double got,
                                  long double reference, const char *what)
{
    const uint64_t tolerance = fz_tolerance(format);
    uint64_t distance;
    if (!fz_compare_values(format))
        return;
    distance = fz_distance(format, got, reference);
    if (distance > tolerance) {
        fz_failing_row = r, fz_failing_entry = i;
        FZ_FAIL("%s[%zu, %zu] = %La, reference %La (rounded %La): %llu ULP > %llu", what, r, i,
                got, reference, fz_round(format, reference), (unsigned long long)distance,
                (unsigned long long)tolerance);
    }
}

/* Checks one row of results, got[0..n) (logsumexp: got[0]), of `function`
 * on the row v[0..n) with temperature T, given in `format`: the header's
 * special-value and temperature rules exactly, softmax in [0, 1] summing to
 * 1 within n ULP of 1, log_softmax <= 0, +0 (not -0) where the exact value
 * is 0, and the long double reference within fz_tolerance (logsumexp: in
 * ULPs of max(|max x|, log S) where that is larger, as the header bounds
 * it).  scratch holds n entries.  n > 0. */
static inline void fz_check_row(int function, int format, size_t r, const long double *v,
                                size_t n, long double temperature, const long double *got,
                                long double *scratch)
{
    const char *name = fz_function_names[function];
    long double max, scale = 0.0L;
    size_t i, selected = 0, finite = 0;
    int rule;
    fz_failing_row = r, fz_failing_entry = 0;
    rule = fz_rule(function, v, n, temperature, &max, &selected);

    if (function == FZ_LOGSUMEXP) {
        long double reference;
        switch (rule) {
        case FZ_RULE_NAN:
            FZ_CHECK(isnan(got[0]), "logsumexp of a row with NaN = %La, not NaN", got[0]);
            return;
        case FZ_RULE_ALL_NEGATIVE_INFINITY:
            FZ_CHECK(got[0] == -INFINITY, "logsumexp of an all -inf row = %La, not -inf", got[0]);
            return;
        case FZ_RULE_POSITIVE_INFINITY:
            FZ_CHECK(got[0] == INFINITY, "logsumexp of a row with +inf = %La, not +inf", got[0]);
            return;
        default:
            break;
        }
        /* Finite (float16: beyond 65504 it rounds to inf, which the ULP
         * distance below judges). */
        fz_reference_row(function, v, n, max, 1.0L, scratch, &scale);
        reference = scratch[0];
        FZ_CHECK(isfinite(got[0]) || fz_is_half(format),
                 "logsumexp of a finite row = %La (reference %La)", got[0], reference);
        if (!fz_compare_values(format))
            return;
        if (fz_ulp_at(format, reference) >= fz_ulp_at(format, scale)) {
            fz_check_close(format, r, 0, got[0], reference, name);
        } else {
            /* Cancellation (max ~ -log S): the header's bound is in ULPs of
             * max(|max|, log S); a 16-bit result adds its own rounding, half
             * a ULP of a value below the scale. */
            long double error =
                fabsl(got[0] - fz_round(format, reference)) / fz_ulp_at(format, scale);
            long double bound = format == FZ_F64 ? 3.0L : format == FZ_F32 ? 2.0L : 1.01L;
            if (error > bound)
                FZ_FAIL("logsumexp[%zu] = %La, reference %La: %Lg ULP of the scale %La", r,
                        got[0], reference, error, scale);
        }
        return;
    }

    if (rule == FZ_RULE_NAN || rule == FZ_RULE_ALL_NEGATIVE_INFINITY) {
        for (i = 0; i < n; i++) {
            fz_failing_entry = i;
            FZ_CHECK(isnan(got[i]), "%s[%zu, %zu] = %La, the rule says NaN (%s)", name, r, i,
                     got[i], rule == FZ_RULE_NAN ? "a NaN in the row" : "all -inf");
        }
        return;
    }
    for (i = 0; i < n; i++)
        finite += v[i] > -INFINITY;
    if (rule == FZ_RULE_NONE)
        fz_reference_row(function, v, n, max, temperature, scratch, &scale);
    {
        long double row_sum = 0.0L;
        for (i = 0; i < n; i++) {
            fz_failing_entry = i;
            if (rule != FZ_RULE_NONE) {
                int on = rule == FZ_RULE_INFINITE_TEMPERATURE ? v[i] > -INFINITY : v[i] == max;
                if (!on) {
                    FZ_CHECK(function == FZ_SOFTMAX ? got[i] == 0.0L : got[i] == -INFINITY,
                             "%s[%zu, %zu] = %La, the rule (%d) says %s", name, r, i, got[i],
                             rule, function == FZ_SOFTMAX ? "0" : "-inf");
                } else {
                    long double reference = function == FZ_SOFTMAX
                                                ? 1.0L / (long double)selected
                                                : -logl((long double)selected);
                    fz_check_close(format, r, i, got[i], reference, name);
                }
            } else if (v[i] == -INFINITY) {
                FZ_CHECK(function == FZ_SOFTMAX ? got[i] == 0.0L : got[i] == -INFINITY,
                         "%s[%zu, %zu] = %La for an entry -inf", name, r, i, got[i]);
            } else {
                fz_check_close(format, r, i, got[i], scratch[i], name);
            }
            /* A zero is +0 where the exact value is 0: softmax's zeros, the table's
             * -log(1), log_softmax of the only entry above -inf.  (log_softmax at the max
             * of a row whose other terms underflow is a tiny negative number: -0.0 is
             * its correct rounding.) */
            if (got[i] == 0.0L && signbit(got[i]))
                FZ_CHECK(function == FZ_LOG_SOFTMAX && rule == FZ_RULE_NONE && finite > 1,
                         "%s[%zu, %zu] = -0.0 where the exact value is 0", name, r, i);
            if (function == FZ_SOFTMAX)
                FZ_CHECK(got[i] >= 0.0L && got[i] <= 1.0L,
                         "softmax[%zu, %zu] = %La, not in [0, 1]", r, i, got[i]);
            else
                FZ_CHECK(got[i] <= 0.0L, "log_softmax[%zu, %zu] = %La > 0 or NaN", r, i, got[i]);
            if (function == FZ_SOFTMAX)
                row_sum += got[i];
        }
        if (function == FZ_SOFTMAX)
            FZ_CHECK(fabsl(row_sum - 1.0L) <= (long double)n * fz_epsilon(format),
                     "softmax row %zu sums to 1 %+La, beyond n ULP (n = %zu)", r, row_sum - 1.0L,
                     n);
    }
}

/* ------------------------------------------------------------ arrays */

/* The arrays of one call, each placed in an allocation of exactly its span
 * (or sharing one with other arrays: in place, overlapping, adjacent), so
 * that AddressSanitizer sees any access outside the spans; what the
 * allocations held before the call is kept, to tell what the call wrote. */
#define FZ_MAX_ARRAYS 6

typedef struct {
    const char *name;
    int format;          /* FZ_F32, ..., FZ_BYTE */
    size_t rows, n;      /* rows x n elements */
    ptrdiff_t rs, s;     /* strides, in elements (contiguous: n, 1) */
    int contiguous;      /* laid out as rows * n, whatever rows * n is */
    int output;          /* written by the call */
    int null;            /* passed as NULL */
    int absent;          /* NULL meaning "none" (an optional array): its strides do not count */
    int group;           /* arrays of the same group share one allocation */
    fz_wide offset;      /* bytes from the group's first array to this one's origin */
    /* set by fz_place */
    int nonempty;
    fz_wide low, high; /* element offsets of the span (0, -1: empty) */
    int arena;         /* index of its allocation */
    ptrdiff_t origin;  /* byte offset of element (0, 0) in the allocation */
    void *pointer;     /* what the call gets */
} fz_array;

typedef struct {
    fz_array a[FZ_MAX_ARRAYS];
    int count;
    int fits; /* allocated in full (else small stand-ins: only errors can be checked) */
    unsigned char *arena[FZ_MAX_ARRAYS], *before[FZ_MAX_ARRAYS];
    size_t bytes[FZ_MAX_ARRAYS];
    int arenas;
} fz_arrays;

/* Adds an array of its own group; returns its index. */
static inline int fz_add(fz_arrays *set, const char *name, int format, size_t rows, size_t n,
                         ptrdiff_t rs, ptrdiff_t s, int output)
{
    fz_array *a = &set->a[set->count];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->format = format;
    a->rows = rows;
    a->n = n;
    a->rs = rs;
    a->s = s;
    a->output = output;
    a->group = set->count;
    return set->count++;
}

static inline size_t fz_size(const fz_array *a)
{
    return fz_format_size(a->format);
}

/* The element offset of (r, i) from the origin. */
static inline fz_wide fz_offset(const fz_array *a, size_t r, size_t i)
{
    if (a->contiguous)
        return (fz_wide)r * (fz_wide)a->n + (fz_wide)i;
    return (fz_wide)r * a->rs + (fz_wide)i * a->s;
}

static inline int fz_nonempty(const fz_array *a)
{
    return a->rows != 0 && a->n != 0;
}

/* The span's element offsets; 0 when empty. */
static inline int fz_array_span(const fz_array *a, fz_wide *low, fz_wide *high)
{
    if (a->contiguous) {
        /* rows * n may pass 2^127: clamped as fz_span clamps (far beyond any
         * span that fits) */
        fz_uwide count = (fz_uwide)a->rows * (fz_uwide)a->n;
        *low = 0;
        *high = count > ((fz_uwide)1 << 120) ? (fz_wide)1 << 120 : (fz_wide)count - 1;
        return fz_nonempty(a);
    }
    return fz_span(a->rows, a->n, a->rs, a->s, low, high);
}

/* The header's SIZE_OVERFLOW: the bytes of a non-empty array's span
 * (contiguous: rows * n * size) beyond PTRDIFF_MAX. */
static inline int fz_too_large(const fz_array *a)
{
    fz_wide low, high;
    if (!fz_array_span(a, &low, &high))
        return 0;
    return (high - low + 1) > (fz_wide)PTRDIFF_MAX / (fz_wide)fz_size(a);
}

/* KD1: what the library's conservative span check rejects besides. */
static inline int fz_library_rejects(const fz_array *a)
{
    return !a->contiguous && fz_library_span_rejects(a->rows, a->n, a->rs, a->s, fz_size(a));
}

static inline int fz_is_null(const fz_array *a)
{
    return a->null && fz_nonempty(a);
}

static inline int fz_collides(const fz_array *a)
{
    return !a->contiguous && fz_outputs_collide(a->rows, a->n, a->rs, a->s);
}

/* Whether the memory spans of two non-empty, non-NULL arrays share a byte. */
static inline int fz_overlap(const fz_array *a, const fz_array *b)
{
    fz_wide al, ah, bl, bh, a0, a1, b0, b1;
    if (a->null || b->null || !fz_array_span(a, &al, &ah) || !fz_array_span(b, &bl, &bh))
        return 0;
    a0 = (fz_wide)(uintptr_t)a->pointer + al * (fz_wide)fz_size(a);
    a1 = (fz_wide)(uintptr_t)a->pointer + (ah + 1) * (fz_wide)fz_size(a);
    b0 = (fz_wide)(uintptr_t)b->pointer + bl * (fz_wide)fz_size(b);
    b1 = (fz_wide)(uintptr_t)b->pointer + (bh + 1) * (fz_wide)fz_size(b);
    return a0 < b1 && b0 < a1;
}

/* In place: the same pointer, element size, shape and strides. */
static inline int fz_same(const fz_array *a, const fz_array *b)
{
    return a->pointer == b->pointer && fz_size(a) == fz_size(b) && a->n == b->n &&
           a->rows == b->rows && fz_offset(a, 1, 0) == fz_offset(b, 1, 0) &&
           fz_offset(a, 0, 1) == fz_offset(b, 0, 1);
}

/* The sentinel a byte of an allocation holds before the call. */
#define FZ_SENTINEL_BYTE 0xa7u

/* Makes the allocations: each group one allocation of its members' spans'
 * union (from an 8-byte-aligned start, so that every member is aligned),
 * filled with the sentinel.  Where a span exceeds the limits (or a group's
 * members lie too far apart) nothing is allocated in full: each group gets
 * a small stand-in, its members keep their byte distances (clamped to
 * 2^40, so that no address computation overflows) and only an error can be
 * checked. */
static inline void fz_place(fz_arrays *set)
{
    fz_wide start[FZ_MAX_ARRAYS], end[FZ_MAX_ARRAYS];
    int used[FZ_MAX_ARRAYS];
    int k, g;
    set->fits = 1;
    for (k = 0; k < set->count; k++) {
        fz_array *a = &set->a[k];
        a->nonempty = !a->absent && fz_array_span(a, &a->low, &a->high);
        if (!a->nonempty)
            a->low = 0, a->high = -1;
        if ((a->nonempty && a->high - a->low + 1 > (fz_wide)FZ_MAX_SPAN) ||
            (fz_uwide)a->rows * a->n > FZ_MAX_ENTRIES || a->rows > FZ_MAX_ENTRIES)
            set->fits = 0;
    }
    for (g = 0; g < set->count; g++) {
        used[g] = 0;
        start[g] = end[g] = 0;
        for (k = 0; k < set->count; k++) {
            const fz_array *a = &set->a[k];
            fz_wide first = a->offset + a->low * (fz_wide)fz_size(a);
            fz_wide last = a->offset + (a->high + 1) * (fz_wide)fz_size(a);
            if (a->group != g)
                continue;
            if (!a->nonempty)
                first = last = a->offset;
            if (!used[g] || first < start[g])
                start[g] = first;
            if (!used[g] || last > end[g])
                end[g] = last;
            used[g] = 1;
        }
        start[g] -= ((start[g] % 8) + 8) % 8; /* floor to a multiple of 8 */
        if (used[g] && end[g] - start[g] > (fz_wide)FZ_MAX_SPAN * 8)
            set->fits = 0;
    }
    set->arenas = 0;
    for (g = 0; g < set->count; g++) {
        int index = set->arenas;
        if (!used[g])
            continue;
        set->bytes[index] = set->fits ? (size_t)(end[g] - start[g]) : 64;
        set->arena[index] = (unsigned char *)fz_allocate(set->bytes[index]);
        memset(set->arena[index], (int)FZ_SENTINEL_BYTE, set->bytes[index]);
        set->before[index] = NULL;
        set->arenas++;
        for (k = 0; k < set->count; k++) {
            fz_array *a = &set->a[k];
            if (a->group != g)
                continue;
            a->arena = index;
            if (set->fits) {
                a->origin = (ptrdiff_t)(a->offset - start[g]);
            } else {
                const fz_wide bound = (fz_wide)1 << 40;
                fz_wide offset = a->offset > bound ? bound : a->offset < -bound ? -bound : a->offset;
                a->origin = (ptrdiff_t)(offset - offset % 8) + 16;
            }
            /* computed as an integer: the origin may lie outside the allocation */
            a->pointer = a->null ? NULL
                                 : (void *)((uintptr_t)set->arena[index] + (uintptr_t)a->origin);
        }
    }
}

/* The byte of element (r, i) in its allocation. */
static inline unsigned char *fz_at(const fz_arrays *set, const fz_array *a, size_t r, size_t i,
                                   int before)
{
    unsigned char *base = before ? set->before[a->arena] : set->arena[a->arena];
    return base + a->origin + (ptrdiff_t)fz_offset(a, r, i) * (ptrdiff_t)fz_size(a);
}

/* Element (r, i) as a long double: in the allocation now, or as it was
 * before the call.  A byte is its value (a mask entry). */
static inline long double fz_get(const fz_arrays *set, int k, size_t r, size_t i, int before)
{
    const fz_array *a = &set->a[k];
    const unsigned char *p = fz_at(set, a, r, i, before);
    switch (a->format) {
    case FZ_F32: {
        float v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case FZ_F64: {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    case FZ_BYTE:
        return (long double)*p;
    default: {
        uint16_t bits;
        memcpy(&bits, p, sizeof bits);
        return fz_half_value(a->format, bits);
    }
    }
}

/* Element (r, i) of a float32 or float64 array as a double, without long
 * double (whose infinities and NaN valgrind mangles): for what decides a
 * status, such as a temperature. */
static inline double fz_get_double(const fz_arrays *set, int k, size_t r, size_t i, int before)
{
    const fz_array *a = &set->a[k];
    const unsigned char *p = fz_at(set, a, r, i, before);
    if (a->format == FZ_F32) {
        float v;
        memcpy(&v, p, sizeof v);
        return (double)v;
    } else {
        double v;
        memcpy(&v, p, sizeof v);
        return v;
    }
}

/* The raw bits of element (r, i) (up to 8 bytes). */
static inline uint64_t fz_bits(const fz_arrays *set, int k, size_t r, size_t i, int before)
{
    const fz_array *a = &set->a[k];
    uint64_t bits = 0;
    memcpy(&bits, fz_at(set, a, r, i, before), fz_size(a));
    return bits;
}

/* Stores v (a value of the element type: double for f64, a float's value
 * for f32, the pattern for 16-bit formats and bytes) at (r, i). */
static inline void fz_put(fz_arrays *set, int k, size_t r, size_t i, double v)
{
    const fz_array *a = &set->a[k];
    unsigned char *p = fz_at(set, a, r, i, 0);
    switch (a->format) {
    case FZ_F32: {
        float f = (float)v;
        memcpy(p, &f, sizeof f);
        break;
    }
    case FZ_F64:
        memcpy(p, &v, sizeof v);
        break;
    case FZ_BYTE:
        *p = (unsigned char)v;
        break;
    default: {
        uint16_t bits = (uint16_t)v;
        memcpy(p, &bits, sizeof bits);
        break;
    }
    }
}

static inline void fz_put_bits(fz_arrays *set, int k, size_t r, size_t i, uint64_t bits)
{
    const fz_array *a = &set->a[k];
    memcpy(fz_at(set, a, r, i, 0), &bits, fz_size(a));
}

/* The per-row temperatures of the general functions (forward and
 * backward), array k of `rows` entries: one for all, any per row, or one
 * invalid among 1s. */
static inline void fz_fill_temperatures(fz_input *in, fz_arrays *set, int k, size_t rows, int f64)
{
    unsigned mode = fz_byte(in) % 8;
    fz_temperature one = fz_read_temperature(in, f64);
    size_t r, bad = rows ? (size_t)(fz_random(in) % rows) : 0;
    for (r = 0; r < rows; r++) {
        fz_temperature t = one;
        if (mode >= 4 && mode < 7)
            t = fz_read_temperature(in, f64);
        if (mode == 7) {
            t.t32 = 1.0f, t.t64 = 1.0;
            if (r == bad)
                t.t32 = (fz_random(in) & 1) ? -0x1p-149f : NAN, t.t64 = (double)t.t32;
        }
        if (f64)
            fz_put_bits(set, k, r, 0, psm_bits_f64(t.t64));
        else
            fz_put_bits(set, k, r, 0, psm_bits_f32(t.t32));
    }
}

/* Whether an array's elements can be read or written here (it fits and is
 * not NULL). */
static inline int fz_usable(const fz_arrays *set, int k)
{
    return set->fits && !set->a[k].null;
}

/* Keeps what the allocations hold now (after the inputs are written). */
static inline void fz_snapshot(fz_arrays *set)
{
    int k;
    for (k = 0; k < set->arenas; k++) {
        set->before[k] = (unsigned char *)fz_allocate(set->bytes[k]);
        memcpy(set->before[k], set->arena[k], set->bytes[k]);
    }
}

/* On an error: nothing written anywhere. */
static inline void fz_check_untouched(const fz_arrays *set, const char *function, int status)
{
    int k;
    for (k = 0; k < set->arenas; k++)
        FZ_CHECK(memcmp(set->before[k], set->arena[k], set->bytes[k]) == 0,
                 "%s failed with %s but changed memory (allocation %d)", function,
                 fz_status_name(status), k);
}

/* On success: every byte that is not in an output element is as before. */
static inline void fz_check_only_outputs_written(const fz_arrays *set)
{
    int k, j;
    size_t r, i, b;
    for (k = 0; k < set->arenas; k++) {
        unsigned char *written = (unsigned char *)calloc(set->bytes[k], 1);
        if (written == NULL)
            abort();
        for (j = 0; j < set->count; j++) {
            const fz_array *a = &set->a[j];
            if (!a->output || a->arena != k || a->null)
                continue;
            for (r = 0; r < a->rows; r++)
                for (i = 0; i < a->n; i++) {
                    ptrdiff_t at = a->origin + (ptrdiff_t)fz_offset(a, r, i) * (ptrdiff_t)fz_size(a);
                    for (b = 0; b < fz_size(a); b++)
                        written[at + (ptrdiff_t)b] = 1;
                }
        }
        for (b = 0; b < set->bytes[k]; b++)
            if (!written[b] && set->arena[k][b] != set->before[k][b]) {
                const char *name = "?";
                for (j = 0; j < set->count; j++)
                    if (set->a[j].arena == k)
                        name = set->a[j].name;
                free(written);
                FZ_FAIL("byte %zu of the allocation of %s, not an output, was written", b, name);
            }
        free(written);
    }
}

static inline void fz_free_arrays(fz_arrays *set)
{
    int k;
    for (k = 0; k < set->arenas; k++) {
        free(set->arena[k]);
        free(set->before[k]);
        set->arena[k] = set->before[k] = NULL;
    }
    set->arenas = 0;
}

static inline void fz_describe_arrays(const fz_arrays *set)
{
    int k;
    for (k = 0; k < set->count; k++) {
        const fz_array *a = &set->a[k];
        fprintf(stderr, "  %-12s %s %zu x %zu, ", a->name, fz_format_names[a->format], a->rows,
                a->n);
        if (a->contiguous)
            fprintf(stderr, "contiguous");
        else
            fprintf(stderr, "strides (%td, %td)", a->rs, a->s);
        fprintf(stderr, "%s, allocation %d at byte %td%s\n", a->null ? ", NULL" : "", a->arena,
                a->origin, a->output ? " (output)" : "");
    }
    fprintf(stderr, "  %s\n", set->fits ? "allocated in full" : "too large: stand-ins");
}

/* Where a second array goes relative to a first: its own allocation, the
 * same pointer (and, as the caller sets them, strides), inside the first's
 * allocation at some byte distance (overlapping or adjacent), or NULL. */
enum { FZ_PUT_OWN, FZ_PUT_SAME, FZ_PUT_SHIFTED, FZ_PUT_NULL };

/* Puts array k in array j's group at a byte distance read from the input:
 * anywhere from just below j's span to just above it, a multiple of both
 * element sizes' larger one.  Spans are those of fz_array_span (call before
 * fz_place). */
static inline void fz_shift_into(fz_input *in, fz_arrays *set, int k, int j)
{
    fz_array *a = &set->a[k], *b = &set->a[j];
    fz_wide al = 0, ah = -1, bl = 0, bh = -1, range, step, pick;
    size_t unit = fz_size(a) > fz_size(b) ? fz_size(a) : fz_size(b);
    int a_nonempty = fz_array_span(a, &al, &ah), b_nonempty = fz_array_span(b, &bl, &bh);
    fz_wide a_low = a_nonempty ? al * (fz_wide)fz_size(a) : 0;
    fz_wide a_bytes = a_nonempty ? (ah - al + 1) * (fz_wide)fz_size(a) : (fz_wide)unit;
    fz_wide b_low = b_nonempty ? bl * (fz_wide)fz_size(b) : 0;
    fz_wide b_bytes = b_nonempty ? (bh - bl + 1) * (fz_wide)fz_size(b) : (fz_wide)unit;
    a->group = b->group;
    /* a's lowest byte from (b's lowest - a's bytes - unit) to (b's highest + unit) */
    range = a_bytes + b_bytes + 2 * (fz_wide)unit;
    step = (fz_wide)unit;
    if (range / step > ((fz_wide)1 << 40))
        range = step << 40;
    pick = (fz_wide)(fz_bytes(in, 4) % (uint64_t)(range / step + 1)) * step;
    a->offset = b->offset + b_low - a_bytes - (fz_wide)unit + pick - a_low;
    a->offset -= a->offset % (fz_wide)unit;
}

#endif /* PSM_FUZZ_ROWS_H */
