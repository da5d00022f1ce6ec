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
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rows.h"

#ifndef PSM_FUZZ_FUNCTION
#error "define PSM_FUZZ_FUNCTION: 0 softmax, 1 log_softmax, 2 logsumexp"
#endif

#define FZ_FUNCTION PSM_FUZZ_FUNCTION
#define FZ_LSE (FZ_FUNCTION == FZ_LOGSUMEXP)

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
    fz_environment environment;
    /* Allocations, and where x and y start in them (element indices). */
    unsigned char *x_arena, *y_arena; /* y_arena == x_arena: one allocation */
    size_t x_count, y_count;
    ptrdiff_t x_origin, y_origin;
    const void *x;
    void *y;
    const unsigned char *x_before; /* the x allocation as it was before the call */
    int expected, got;
} fz_case;

static fz_case fz_now;

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
            (unsigned)c->environment.raised_flags, c->environment.ftz, c->environment.daz,
            psm_isa());
    fprintf(stderr, "  status: expected %d %s, got %d %s\n", c->expected,
            fz_status_name(c->expected), c->got, fz_status_name(c->got));
    if (c->x_before != NULL && c->x != NULL && c->rows > 0 && fz_failing_row < c->rows &&
        c->n <= FZ_MAX_ENTRIES) {
        fprintf(stderr, "  row %zu of x:", fz_failing_row);
        for (i = 0; i < c->n && i < 64; i++)
            fprintf(stderr, " %a",
                    (double)fz_load(c, c->x_before, fz_x_index(c, fz_failing_row, i)));
        fprintf(stderr, c->n > 64 ? " ...\n" : "\n");
    }
}

/* ------------------------------------------------------------ the status */

static int fz_case_temperature_is_invalid(const fz_case *c)
{
    return fz_temperature_is_invalid(c->f64 ? c->t64 : (double)c->t32);
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
    if (!FZ_LSE && fz_case_temperature_is_invalid(c))
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

static void fz_read_x_strides(fz_input *in, fz_case *c)
{
    fz_read_layout(in, c->rows, c->n, &c->xrs, &c->xs);
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

static int fz_call_case(void *context)
{
    return fz_call((const fz_case *)context);
}

/* ------------------------------------------------------------ checking */

/* Row r against the header's rules and the long double reference
 * (fz_check_row of fuzz_rows.h); v and got hold n entries, scratch too. */
static void fz_check_case_row(const fz_case *c, const unsigned char *x_before, size_t r,
                              long double *v, long double *got, long double *scratch)
{
    const long double temperature = c->f64 ? (long double)c->t64 : (long double)c->t32;
    size_t i;
    for (i = 0; i < c->n; i++)
        v[i] = fz_load(c, x_before, fz_x_index(c, r, i));
    for (i = 0; i < c->out_n; i++)
        got[i] = fz_load(c, c->y_arena, fz_y_index(c, r, i));
    fz_check_row(FZ_FUNCTION, c->f64 ? FZ_F64 : FZ_F32, r, v, c->n, temperature, got, scratch);
}

/* ------------------------------------------------------------ one input */

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
    fz_probe_long_double(name);
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = fz_start(data, size);
    fz_case *c = &fz_now;
    unsigned char *x_before = NULL, *y_before = NULL, *written = NULL;
    long double *values = NULL, *got = NULL, *scratch = NULL;
    fz_wide xl = 0, xh = -1, yl = 0, yh = -1;
    int x_nonempty, y_nonempty, fits, expected, status;
    size_t r, i;
    unsigned placement;

    memset(c, 0, sizeof *c);
    fz_failing_row = 0;
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
    if (!FZ_LSE) {
        fz_temperature t = fz_read_temperature(&in, c->f64);
        c->t32 = t.t32, c->t64 = t.t64;
    } else {
        c->t32 = 1.0f, c->t64 = 1.0;
    }
    c->environment = fz_read_environment(&in);

    /* The arrays' spans (element offsets from x and y); do they fit? */
    x_nonempty = fz_span(c->rows, c->n, c->xrs, c->xs, &xl, &xh);
    y_nonempty = fz_span(c->rows, c->out_n, c->yrs, c->ys, &yl, &yh);
    fits = (fz_uwide)c->rows * c->n <= FZ_MAX_ENTRIES && c->rows <= FZ_MAX_ENTRIES &&
           (!x_nonempty || xh - xl + 1 <= FZ_MAX_SPAN) &&
           (!y_nonempty || yh - yl + 1 <= FZ_MAX_SPAN);

    if (!fits) {
        /* Only an error can be checked: the pointers lead to 4 elements. */
        c->x_count = c->y_count = 4;
        c->x_arena = (unsigned char *)fz_allocate(4 * c->size);
        c->y_arena = (unsigned char *)fz_allocate(4 * c->size);
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
        c->x_arena = c->y_arena = (unsigned char *)fz_allocate(c->x_count * c->size);
        c->y_count = c->x_count;
        c->x_origin = (ptrdiff_t)-low;
        c->y_origin = (ptrdiff_t)(shift - low);
        fz_fill_sentinel(c, c->x_arena, c->x_count);
    } else {
        c->x_count = x_nonempty ? (size_t)(xh - xl + 1) : 0;
        c->y_count = y_nonempty ? (size_t)(yh - yl + 1) : 0;
        c->x_arena = (unsigned char *)fz_allocate(c->x_count * c->size);
        c->y_arena = (unsigned char *)fz_allocate(c->y_count * c->size);
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

    x_before = (unsigned char *)fz_allocate(c->x_count * c->size);
    memcpy(x_before, c->x_arena, c->x_count * c->size);
    c->x_before = x_before;
    if (c->y_arena != c->x_arena) {
        y_before = (unsigned char *)fz_allocate(c->y_count * c->size);
        memcpy(y_before, c->y_arena, c->y_count * c->size);
    }

    status = fz_call_in_environment(&c->environment, fz_call_case, c, &c->got);
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
    values = (long double *)fz_allocate(c->n * sizeof *values);
    got = (long double *)fz_allocate(c->n * sizeof *got);
    scratch = (long double *)fz_allocate(c->n * sizeof *scratch);
    for (r = 0; r < c->rows; r++)
        fz_check_case_row(c, x_before, r, values, got, scratch);

done:
    free(values);
    free(got);
    free(scratch);
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
