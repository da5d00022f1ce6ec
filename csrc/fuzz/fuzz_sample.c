/*
 * fuzz_sample.c -- libFuzzer harness of the sampler, psm_sample_strided_f32/f64
 * (and the contiguous functions, for contiguous layouts).
 *
 * The input chooses the dtype, the rows' layout (contiguous, transposed,
 * reversed, padded, every other entry, a broadcast row, entries reversed),
 * rows (0..8) and n (0..255, or 1000..1255), the temperature (0, inf, 1,
 * tiny, random over 600 orders of magnitude, NaN, negative, raw bits), the
 * seed and first_row (raw 64-bit values), each row's values (normal at any
 * scale, with -inf, +inf or NaN entries, all -inf, ties, near the largest
 * finite values, raw bits) and, now and then, a bad argument (NULL x or
 * indices, indices over x, a size that overflows).  Invariants:
 *   - the status is the one the header's rules give, checked in their order
 *     (SIZE_OVERFLOW, NULL_POINTER, OVERLAP, TEMPERATURE, NO_DISTRIBUTION);
 *   - on PSM_OK every index is the first index of the largest key, every
 *     key computed here from psm_sample_noise (so the blocks and skipped
 *     blocks of the library change nothing), and in [0, n);
 *   - on an error nothing is written; x is never written;
 *   - the caller's floating-point flags, and MXCSR's control bits, are as
 *     they were, with flush-to-zero and denormals-are-zero set or not (the
 *     draws are those of IEEE arithmetic either way).
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "../tests/sample_reference.h"

#if defined(__SSE2__) || defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>
#define FZ_HAS_MXCSR 1
#endif

#define FZ_MAX_ROWS 8
#define FZ_SENTINEL INT64_C(-4242)

typedef struct {
    int is_float, layout, rows_count, injected;
    size_t rows, n;
    double temperature;
    uint64_t seed, first_row;
} fz_case;

static fz_case fz_current;

static void fz_describe_case(void)
{
    fprintf(stderr, "case: %s, layout %d, rows %lu, n %lu, T %.17g, seed %llu, first_row %llu, "
                    "injected %d\n",
            fz_current.is_float ? "f32" : "f64", fz_current.layout,
            (unsigned long)fz_current.rows, (unsigned long)fz_current.n, fz_current.temperature,
            (unsigned long long)fz_current.seed, (unsigned long long)fz_current.first_row,
            fz_current.injected);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_check_isa("fuzz_sample");
    fz_describe = fz_describe_case;
    return 0;
}

/* The temperature: a menu of the interesting ones, and random or raw ones. */
static double fz_temperature(fz_input *in, int is_float)
{
    unsigned mode = fz_byte(in) % 9;
    double value;
    switch (mode) {
    case 0:
        return 0.0;
    case 1:
        return INFINITY;
    case 2:
        return 1.0;
    case 3:
        return is_float ? 0x1p-149 : 0x1p-1074;
    case 4:
        return NAN;
    case 5:
        value = -1.0 - fz_uniform(in);
        return is_float ? (double)(float)value : value;
    case 6: {
        uint64_t bits = fz_bytes(in, 8);
        if (is_float) {
            uint32_t low = (uint32_t)bits;
            float f;
            memcpy(&f, &low, sizeof f);
            return (double)f;
        }
        memcpy(&value, &bits, sizeof value);
        return value;
    }
    default: /* log-uniform over the dtype's range */
        value = exp((fz_uniform(in) * 2.0 - 1.0) * (is_float ? 85.0 : 690.0));
        return is_float ? (double)(float)value : value;
    }
}

/* One row's values: `kind` picks the style. */
static void fz_fill_row(fz_input *in, double *row, size_t n, int is_float)
{
    unsigned kind = fz_byte(in) % 8;
    double scale = ldexp(1.0, (int)(fz_byte(in) % 40) - 10), huge = is_float ? FLT_MAX : DBL_MAX;
    size_t i;
    for (i = 0; i < n; i++) {
        double v = scale * fz_normal(in);
        switch (kind) {
        case 1:
            if (fz_random(in) % 3 == 0)
                v = -INFINITY;
            break;
        case 2:
            if (fz_random(in) % 5 == 0)
                v = INFINITY;
            break;
        case 3:
            if (fz_random(in) % 17 == 0)
                v = NAN;
            break;
        case 4:
            v = -INFINITY;
            break;
        case 5:
            v = (double)(int)(fz_random(in) % 4);
            break;
        case 6:
            v = (fz_random(in) % 2 ? 1.0 : -1.0) * huge * (1.0 - fz_uniform(in) * 1e-3);
            break;
        case 7: {
            uint64_t bits = fz_random(in);
            if (is_float) {
                uint32_t low = (uint32_t)bits;
                float f;
                memcpy(&f, &low, sizeof f);
                v = (double)f;
            } else {
                memcpy(&v, &bits, sizeof v);
            }
            break;
        }
        default:
            break;
        }
        row[i] = is_float ? (double)(float)v : v;
    }
}


static int fz_row_is_drawable(const double *x, size_t n)
{
    int alive = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (isnan(x[i]))
            return 0;
        alive |= x[i] > -INFINITY;
    }
    return alive;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = fz_start(data, size);
    unsigned first = fz_byte(&in);
    fz_case c;
    double values[FZ_MAX_ROWS * 1256];
    ptrdiff_t row_stride, stride, low = 0, high = 0, offset;
    size_t r, i, span, element;
    void *buffer, *copy;
    const void *x;
    int64_t indices[FZ_MAX_ROWS + 1], *target;
    int status, expected, flags_before, flags_after, all_drawable = 1;
    volatile float temperature32; /* converted before FTZ is set, not after */
#if defined(FZ_HAS_MXCSR)
    unsigned int saved_csr = _mm_getcsr(), csr_before, csr_after;
#endif

    memset(&c, 0, sizeof c);
    c.is_float = (int)(first & 1);
    c.layout = (int)((first >> 1) % 7);
    c.injected = (first >> 4) >= 12 ? (int)((first >> 4) - 11) : 0; /* 1..4, one input in 4 */
    c.rows = fz_byte(&in) % (FZ_MAX_ROWS + 1);
    c.n = fz_byte(&in);
    if (c.n == 255)
        c.n = 1000 + fz_byte(&in);
    c.temperature = fz_temperature(&in, c.is_float);
    c.seed = fz_bytes(&in, 8);
    c.first_row = fz_bytes(&in, 8);
    if (c.layout == 5 && c.rows > 0) /* a broadcast row: every row the same values */
        fz_fill_row(&in, values, c.n, c.is_float);
    for (r = 0; r < c.rows; r++) {
        if (c.layout == 5)
            memcpy(values + r * c.n, values, c.n * sizeof(double));
        else
            fz_fill_row(&in, values + r * c.n, c.n, c.is_float);
    }
    fz_current = c;

    /* The layout: entry i of row r at base[r * row_stride + i * stride]. */
    element = c.is_float ? sizeof(float) : sizeof(double);
    switch (c.layout) {
    case 1: /* transposed */
        row_stride = 1;
        stride = (ptrdiff_t)(c.rows ? c.rows : 1);
        break;
    case 2: /* rows reversed */
        row_stride = -(ptrdiff_t)c.n;
        stride = 1;
        break;
    case 3: /* padded */
        row_stride = (ptrdiff_t)c.n + 3;
        stride = 1;
        break;
    case 4: /* every other entry */
        row_stride = 2 * (ptrdiff_t)c.n;
        stride = 2;
        break;
    case 5: /* broadcast row */
        row_stride = 0;
        stride = 1;
        break;
    case 6: /* entries reversed */
        row_stride = (ptrdiff_t)c.n;
        stride = -1;
        break;
    default:
        row_stride = (ptrdiff_t)c.n;
        stride = 1;
        break;
    }
    if (c.rows > 1) {
        if (row_stride < 0)
            low += (ptrdiff_t)(c.rows - 1) * row_stride;
        else
            high += (ptrdiff_t)(c.rows - 1) * row_stride;
    }
    if (c.n > 1) {
        if (stride < 0)
            low += (ptrdiff_t)(c.n - 1) * stride;
        else
            high += (ptrdiff_t)(c.n - 1) * stride;
    }
    span = (size_t)(high - low + 1);
    offset = -low;
    buffer = malloc(span * element < sizeof(int64_t) ? sizeof(int64_t) : span * element);
    FZ_CHECK(buffer != NULL, "out of memory");
    memset(buffer, 0x7f, span * element);
    for (r = 0; r < c.rows; r++)
        for (i = 0; i < c.n; i++) {
            ptrdiff_t at = offset + (ptrdiff_t)r * row_stride + (ptrdiff_t)i * stride;
            if (c.is_float)
                ((float *)buffer)[at] = (float)values[r * c.n + i];
            else
                ((double *)buffer)[at] = values[r * c.n + i];
        }
    copy = malloc(span * element);
    FZ_CHECK(copy != NULL, "out of memory");
    memcpy(copy, buffer, span * element);
    x = (const char *)buffer + offset * (ptrdiff_t)element;
    target = indices;
    for (r = 0; r <= FZ_MAX_ROWS; r++)
        indices[r] = FZ_SENTINEL;

    /* The status the rules give, in their order. */
    for (r = 0; r < c.rows; r++)
        all_drawable &= c.n > 0 && fz_row_is_drawable(values + r * c.n, c.n);
    expected = PSM_OK;
    if (c.injected == 1) {
        /* a size that overflows: nothing may be read */
        c.rows = (size_t)PTRDIFF_MAX / 4;
        c.n = c.n ? c.n : 1;
        row_stride = (ptrdiff_t)c.n;
        stride = 1;
        expected = PSM_E_SIZE_OVERFLOW;
    } else if (c.injected == 2 && c.rows > 0 && c.n > 0) {
        x = NULL;
        expected = PSM_E_NULL_POINTER;
    } else if (c.injected == 3 && c.rows > 0) {
        target = NULL;
        expected = PSM_E_NULL_POINTER;
    } else if (c.injected == 4 && c.rows > 0 && c.n > 0) {
        target = (int64_t *)buffer; /* indices over x's lowest entry (malloc: aligned) */
        expected = PSM_E_OVERLAP;
    }
    if (expected == PSM_OK && (isnan(c.temperature) || c.temperature < 0.0))
        expected = PSM_E_TEMPERATURE;
    if (expected == PSM_OK && c.rows > 0 && !all_drawable)
        expected = PSM_E_NO_DISTRIBUTION;
    fz_current = c;

    temperature32 = (float)c.temperature; /* exact: a float's value (before the flags are read) */
    feclearexcept(FE_ALL_EXCEPT);
    if (size > 0 && (data[0] & 0x8))
        feraiseexcept(FE_INEXACT);
#if defined(FZ_HAS_MXCSR)
    /* flush-to-zero (0x8000) and denormals-are-zero (0x0040), as XLA's threads run */
    _mm_setcsr(saved_csr | ((first & 0x80) && (first & 0x2) ? 0x8040u : 0u));
    csr_before = _mm_getcsr();
#endif
    flags_before = fetestexcept(FE_ALL_EXCEPT);
    if (c.layout == 0 && (first & 0x4) && c.injected == 0) {
        status = c.is_float ? psm_sample_f32((const float *)x, c.rows, c.n, temperature32, c.seed,
                                             target)
                            : psm_sample_f64((const double *)x, c.rows, c.n, c.temperature,
                                             c.seed, target);
        c.first_row = 0;
        fz_current = c;
    } else if (c.is_float) {
        status = psm_sample_strided_f32((const float *)x, row_stride, stride, c.rows, c.n,
                                        temperature32, c.seed, c.first_row, target);
    } else {
        status = psm_sample_strided_f64((const double *)x, row_stride, stride, c.rows, c.n,
                                        c.temperature, c.seed, c.first_row, target);
    }
    flags_after = fetestexcept(FE_ALL_EXCEPT);
#if defined(FZ_HAS_MXCSR)
    csr_after = _mm_getcsr();
    _mm_setcsr(saved_csr & ~0x3fu); /* IEEE again for the reference below */
    FZ_CHECK((csr_after & ~0x3fu) == (csr_before & ~0x3fu),
             "MXCSR's control bits changed: %#x before, %#x after", csr_before, csr_after);
#endif
    FZ_CHECK(flags_after == flags_before, "the call changed the flags from %#x to %#x",
             flags_before, flags_after);
    FZ_CHECK(status == expected, "status %d (%s), expected %d", status, psm_strerror(status),
             expected);
    FZ_CHECK(memcmp(buffer, copy, span * element) == 0, "x was written");
    if (target == indices) {
        for (r = 0; r < (status == PSM_OK ? c.rows : 0); r++) {
            int64_t want = psm_reference_draw(values + r * c.n, c.n,
                                             c.is_float ? (double)(float)c.temperature
                                                        : c.temperature,
                                             c.seed, c.first_row + r);
            FZ_CHECK(indices[r] >= 0 && (size_t)indices[r] < c.n, "row %lu: index %lld",
                     (unsigned long)r, (long long)indices[r]);
            FZ_CHECK(indices[r] == want, "row %lu: drew %lld, the keys' argmax is %lld",
                     (unsigned long)r, (long long)indices[r], (long long)want);
        }
        for (r = status == PSM_OK ? c.rows : 0; r <= FZ_MAX_ROWS; r++)
            FZ_CHECK(indices[r] == FZ_SENTINEL, "index %lu written (status %d)",
                     (unsigned long)r, status);
    }
    free(copy);
    free(buffer);
    return 0;
}
