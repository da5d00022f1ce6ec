/*
 * fuzz_half.c -- libFuzzer harness of the float16 and bfloat16 functions
 * (added in 0.2.0): psm_{softmax,log_softmax,logsumexp}[_strided]_{f16,bf16}
 * and their float-output forms ..._{f16,bf16}_f32.
 *
 * Each input is one call: the function, format (float16, bfloat16), output
 * (16-bit or float) and entry point (contiguous, strided); rows and n (as
 * fuzz_rows.c reads them: rows across the 4096-entry buffer too); strides;
 * where y lies (apart, in place, overlapping or adjacent in x's allocation,
 * NULL); the float temperature (fuzz_rows.h's); the caller's floating-point
 * state; the rows, as 16-bit patterns: any pattern (NaN payloads, +-inf,
 * subnormals), or values of fuzz_rows.h's styles rounded to the format.
 *
 * Invariants checked on every call:
 * - the status is the float32 functions' (fuzz_rows.c's order), with the
 *   arrays' own element sizes, y == x in place for 16-bit outputs and an
 *   overlap for float outputs (any overlap at all); up to KD1 and KD3;
 * - on error nothing is written; on success only the outputs are;
 * - the caller's exception flags and MXCSR's control bits are kept;
 * - 16-bit outputs: the header's rules and the long double reference of the
 *   widened row, within 1 ULP of the 16-bit format (logsumexp: in ULPs of
 *   max(|max|, log S) where that is larger); and for rows of up to 4096
 *   entries, bit for bit the float32 function's result on the widened row,
 *   rounded to the format (docs/c-api.md);
 * - float outputs: bit for bit what the float32 function gives on the
 *   widened input (softmax, log_softmax: x widened into y's layout and
 *   computed there in place, as the header says; logsumexp: rows of up to
 *   4096, above which docs/c-api.md allows the last bit), and the float32
 *   accuracy (fuzz_rows.h's reference, 2 ULP).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rows.h"

/* Where y lies. */
enum { FZ_APART, FZ_IN_PLACE, FZ_SHIFTED, FZ_X_NULL, FZ_Y_NULL, FZ_BOTH_NULL };

typedef struct {
    int function, format, float_output, strided;
    size_t rows, n;
    int placement;
    int x, y; /* indices in `set` */
    float temperature;
    fz_environment environment;
    fz_arrays set;
    int expected, got;
} fz_case;

static fz_case fz_now;

static int fz_out_format(const fz_case *c)
{
    return c->float_output ? FZ_F32 : c->format;
}

static void fz_describe_case(void)
{
    const fz_case *c = &fz_now;
    size_t i;
    fprintf(stderr, "  case: %s%s_%s%s  rows=%zu n=%zu", fz_function_names[c->function],
            c->strided ? "_strided" : "", fz_format_names[c->format],
            c->float_output ? "_f32" : "", c->rows, c->n);
    if (c->function != FZ_LOGSUMEXP)
        fprintf(stderr, "  temperature %a", (double)c->temperature);
    fprintf(stderr, "\n  caller's flags %#x, FTZ %d, DAZ %d; kernels %s\n",
            (unsigned)c->environment.raised_flags, c->environment.ftz, c->environment.daz,
            psm_isa());
    fz_describe_arrays(&c->set);
    fprintf(stderr, "  status: expected %d %s, got %d %s\n", c->expected,
            fz_status_name(c->expected), c->got, fz_status_name(c->got));
    if (c->set.before[0] != NULL && fz_usable(&c->set, c->x) && fz_failing_row < c->rows) {
        fprintf(stderr, "  row %zu of x (bits):", fz_failing_row);
        for (i = 0; i < c->n && i < 48; i++)
            fprintf(stderr, " %04x", (unsigned)fz_bits(&c->set, c->x, fz_failing_row, i, 1));
        fprintf(stderr, c->n > 48 ? " ...\n" : "\n");
    }
}

/* ------------------------------------------------------------ the status */

static int fz_expected_status(const fz_case *c)
{
    const fz_array *x = &c->set.a[c->x], *y = &c->set.a[c->y];
    if (fz_too_large(x) || fz_too_large(y))
        return PSM_E_SIZE_OVERFLOW;
    if (fz_is_null(x) || fz_is_null(y))
        return PSM_E_NULL_POINTER;
    if (c->strided && fz_collides(y))
        return PSM_E_STRIDE;
    if (fz_overlap(x, y)) {
        /* in place: 16-bit outputs only; contiguous logsumexp's out == x as
         * psm_logsumexp_f32's (strided logsumexp: KD3) */
        int in_place = !c->float_output && x->pointer == y->pointer &&
                       (c->function == FZ_LOGSUMEXP ? !c->strided : fz_same(x, y));
        if (!in_place)
            return PSM_E_OVERLAP;
    }
    if (c->function != FZ_LOGSUMEXP && fz_temperature_is_invalid((double)c->temperature))
        return PSM_E_TEMPERATURE;
    return PSM_OK;
}

static int fz_known_deviation(const fz_case *c, int expected, int got)
{
    const fz_array *x = &c->set.a[c->x], *y = &c->set.a[c->y];
    if (PSM_FUZZ_STRICT)
        return 0;
    if (got == PSM_E_SIZE_OVERFLOW && (fz_library_rejects(x) || fz_library_rejects(y)))
        return 1; /* KD1 */
    /* KD3: strided logsumexp in place on rows of one (16-bit output) */
    return c->function == FZ_LOGSUMEXP && c->strided && !c->float_output &&
           expected == PSM_E_OVERLAP && got == PSM_OK && x->pointer == y->pointer &&
           c->n == 1 && x->s == 0 && x->rs == y->rs;
}

/* ------------------------------------------------------------ the call */

typedef int (*fz_half_normalize)(const uint16_t *, uint16_t *, size_t, size_t, float);
typedef int (*fz_half_reduce)(const uint16_t *, uint16_t *, size_t, size_t);
typedef int (*fz_wide_normalize)(const uint16_t *, float *, size_t, size_t, float);
typedef int (*fz_wide_reduce)(const uint16_t *, float *, size_t, size_t);
typedef int (*fz_half_normalize_strided)(const uint16_t *, ptrdiff_t, ptrdiff_t, uint16_t *,
                                         ptrdiff_t, ptrdiff_t, size_t, size_t, float);
typedef int (*fz_half_reduce_strided)(const uint16_t *, ptrdiff_t, ptrdiff_t, uint16_t *,
                                      ptrdiff_t, size_t, size_t);
typedef int (*fz_wide_normalize_strided)(const uint16_t *, ptrdiff_t, ptrdiff_t, float *,
                                         ptrdiff_t, ptrdiff_t, size_t, size_t, float);
typedef int (*fz_wide_reduce_strided)(const uint16_t *, ptrdiff_t, ptrdiff_t, float *,
                                      ptrdiff_t, size_t, size_t);

/* [format: 0 f16, 1 bf16][function: softmax, log_softmax] */
static const fz_half_normalize fz_half_normalizers[2][2] = {
    {psm_softmax_f16, psm_log_softmax_f16}, {psm_softmax_bf16, psm_log_softmax_bf16}};
static const fz_half_reduce fz_half_reducers[2] = {psm_logsumexp_f16, psm_logsumexp_bf16};
static const fz_wide_normalize fz_wide_normalizers[2][2] = {
    {psm_softmax_f16_f32, psm_log_softmax_f16_f32},
    {psm_softmax_bf16_f32, psm_log_softmax_bf16_f32}};
static const fz_wide_reduce fz_wide_reducers[2] = {psm_logsumexp_f16_f32, psm_logsumexp_bf16_f32};
static const fz_half_normalize_strided fz_half_normalizers_strided[2][2] = {
    {psm_softmax_strided_f16, psm_log_softmax_strided_f16},
    {psm_softmax_strided_bf16, psm_log_softmax_strided_bf16}};
static const fz_half_reduce_strided fz_half_reducers_strided[2] = {psm_logsumexp_strided_f16,
                                                                   psm_logsumexp_strided_bf16};
static const fz_wide_normalize_strided fz_wide_normalizers_strided[2][2] = {
    {psm_softmax_strided_f16_f32, psm_log_softmax_strided_f16_f32},
    {psm_softmax_strided_bf16_f32, psm_log_softmax_strided_bf16_f32}};
static const fz_wide_reduce_strided fz_wide_reducers_strided[2] = {
    psm_logsumexp_strided_f16_f32, psm_logsumexp_strided_bf16_f32};

static int fz_call(void *context)
{
    const fz_case *c = (const fz_case *)context;
    const fz_array *x = &c->set.a[c->x], *y = &c->set.a[c->y];
    const uint16_t *xp = (const uint16_t *)x->pointer;
    const int f = c->format == FZ_BF16, lse = c->function == FZ_LOGSUMEXP;
    const int log_output = c->function == FZ_LOG_SOFTMAX;
    if (c->float_output) {
        float *yp = (float *)y->pointer;
        if (!c->strided)
            return lse ? fz_wide_reducers[f](xp, yp, c->rows, c->n)
                       : fz_wide_normalizers[f][log_output](xp, yp, c->rows, c->n,
                                                            c->temperature);
        return lse ? fz_wide_reducers_strided[f](xp, x->rs, x->s, yp, y->rs, c->rows, c->n)
                   : fz_wide_normalizers_strided[f][log_output](xp, x->rs, x->s, yp, y->rs,
                                                                y->s, c->rows, c->n,
                                                                c->temperature);
    } else {
        uint16_t *yp = (uint16_t *)y->pointer;
        if (!c->strided)
            return lse ? fz_half_reducers[f](xp, yp, c->rows, c->n)
                       : fz_half_normalizers[f][log_output](xp, yp, c->rows, c->n,
                                                            c->temperature);
        return lse ? fz_half_reducers_strided[f](xp, x->rs, x->s, yp, y->rs, c->rows, c->n)
                   : fz_half_normalizers_strided[f][log_output](xp, x->rs, x->s, yp, y->rs,
                                                                y->s, c->rows, c->n,
                                                                c->temperature);
    }
}

/* ------------------------------------------------------------ checking */

/* The float32 function on a float array (contiguous, or strided in place). */
static int fz_float32(int function, float *values, ptrdiff_t rs, ptrdiff_t s, size_t rows,
                      size_t n, float temperature, int strided, float *out)
{
    switch (function) {
    case FZ_SOFTMAX:
        return strided ? psm_softmax_strided_f32(values, rs, s, values, rs, s, rows, n,
                                                 temperature)
                       : psm_softmax_f32(values, values, rows, n, temperature);
    case FZ_LOG_SOFTMAX:
        return strided ? psm_log_softmax_strided_f32(values, rs, s, values, rs, s, rows, n,
                                                     temperature)
                       : psm_log_softmax_f32(values, values, rows, n, temperature);
    default:
        return psm_logsumexp_f32(values, out, rows, n);
    }
}

/* The results against the rules, the reference and the float32 functions. */
static void fz_check_results(const fz_case *c)
{
    const fz_arrays *s = &c->set;
    const fz_array *y = &s->a[c->y];
    const int lse = c->function == FZ_LOGSUMEXP;
    const size_t out_n = lse ? 1 : c->n;
    long double *v = (long double *)fz_allocate(c->n * sizeof *v);
    long double *got = (long double *)fz_allocate(c->n * sizeof *got);
    long double *scratch = (long double *)fz_allocate(c->n * sizeof *scratch);
    float *row = (float *)fz_allocate(c->n * sizeof *row);
    float result;
    size_t r, i;
    int status;

    for (r = 0; r < c->rows; r++) {
        fz_failing_row = r;
        for (i = 0; i < c->n; i++) {
            v[i] = fz_get(s, c->x, r, i, 1);
            row[i] = (float)v[i]; /* exact */
        }
        for (i = 0; i < out_n; i++)
            got[i] = fz_get(s, c->y, r, i, 0);
        fz_check_row(c->function, fz_out_format(c), r, v, c->n, (long double)c->temperature, got,
                     scratch);
        /* 16-bit outputs of rows up to 4096: the float32 function's, rounded;
         * float logsumexp of such rows: the float32 function's */
        if (c->n <= 4096 && (!c->float_output || lse)) {
            status = fz_float32(c->function, row, 0, 0, 1, c->n, c->temperature, 0, &result);
            FZ_CHECK(status == PSM_OK, "the float32 function returned %d", status);
            for (i = 0; i < out_n; i++) {
                long double want = lse ? (long double)result : (long double)row[i];
                uint64_t bits = fz_bits(s, c->y, r, i, 0);
                int same = c->float_output
                               ? bits == psm_bits_f32((float)want)
                               : (isnan(want) ? isnan(got[i])
                                              : bits == fz_half_bits(c->format,
                                                                     fz_round(c->format, want)));
                if (!same) {
                    fz_failing_entry = i;
                    FZ_FAIL("%s[%zu, %zu] = %La, the float32 function's %La%s: not bit for bit",
                            fz_function_names[c->function], r, i, got[i], want,
                            c->float_output ? "" : " rounded to the format");
                }
            }
        }
    }
    /* float softmax, log_softmax: x widened into y's layout, computed there in place */
    if (c->float_output && !lse) {
        unsigned char *copy = (unsigned char *)fz_allocate(s->bytes[y->arena]);
        float *base = (float *)(void *)(copy + y->origin);
        memcpy(copy, s->before[y->arena], s->bytes[y->arena]);
        for (r = 0; r < c->rows; r++)
            for (i = 0; i < c->n; i++)
                base[(ptrdiff_t)fz_offset(y, r, i)] = (float)fz_get(s, c->x, r, i, 1);
        status = fz_float32(c->function, base, y->rs, y->s, c->rows, c->n, c->temperature,
                            c->strided, &result);
        FZ_CHECK(status == PSM_OK, "the float32 function returned %d", status);
        for (r = 0; r < c->rows; r++)
            for (i = 0; i < c->n; i++) {
                float want = base[(ptrdiff_t)fz_offset(y, r, i)];
                if (fz_bits(s, c->y, r, i, 0) != psm_bits_f32(want)) {
                    fz_failing_row = r, fz_failing_entry = i;
                    FZ_FAIL("%s[%zu, %zu] = %La, the float32 function on the widened x in y's "
                            "layout gives %a: not bit for bit",
                            fz_function_names[c->function], r, i, fz_get(s, c->y, r, i, 0),
                            (double)want);
                }
            }
        free(copy);
    }
    free(v);
    free(got);
    free(scratch);
    free(row);
}

/* ------------------------------------------------------------ one input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_describe = fz_describe_case;
    fz_check_isa("fuzz_half");
    fz_probe_long_double("fuzz_half");
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}

/* One entry: any 16-bit pattern, or a value of the row's style rounded to
 * the format (float16 values beyond its range clamped to +-65504 or left
 * to round to inf, as the style gives). */
static uint16_t fz_half_entry(fz_input *in, int format, int raw, const fz_style *style)
{
    double v;
    if (raw)
        return (uint16_t)fz_bytes(in, 2);
    v = fz_entry(in, style, 0, 1.0);
    if (format == FZ_F16 && !isnan(v) && fabs(v) > 65504.0 && (fz_random(in) & 1))
        v = v > 0 ? 65504.0 : -65504.0;
    return fz_half_bits(format, fz_round(format, (long double)v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = fz_start(data, size);
    fz_case *c = &fz_now;
    fz_arrays *s = &c->set;
    unsigned head, mode;
    ptrdiff_t rs, st;
    int status;
    size_t r, i;

    memset(c, 0, sizeof *c);
    fz_failing_row = 0;
    head = fz_byte(&in);
    c->format = (head & 1u) ? FZ_BF16 : FZ_F16;
    c->float_output = (int)((head >> 1) & 1u);
    c->strided = (int)((head >> 2) & 1u);
    c->function = (int)((head >> 3) % 3);
    mode = fz_byte(&in) % 16;
    c->placement = mode < 9 ? FZ_APART : mode < 11 ? FZ_IN_PLACE : mode < 13 ? FZ_SHIFTED
                   : mode == 13 ? FZ_X_NULL : mode == 14 ? FZ_Y_NULL : FZ_BOTH_NULL;
    c->rows = fz_read_rows(&in);
    c->n = fz_read_n(&in);

    rs = (ptrdiff_t)c->n, st = 1;
    if (c->strided)
        fz_read_layout(&in, c->rows, c->n, &rs, &st);
    c->x = fz_add(s, "x", c->format, c->rows, c->n, rs, st, 0);
    s->a[c->x].contiguous = !c->strided;
    if (c->function == FZ_LOGSUMEXP) {
        ptrdiff_t out_stride = 1;
        if (c->strided)
            out_stride = (fz_byte(&in) % 4 == 0) ? rs : fz_read_row_stride(&in);
        c->y = fz_add(s, "out", fz_out_format(c), c->rows, 1, out_stride, 0, 1);
        s->a[c->y].contiguous = !c->strided;
    } else {
        if (c->strided && c->placement != FZ_IN_PLACE && fz_byte(&in) % 4 != 0)
            fz_read_layout(&in, c->rows, c->n, &rs, &st);
        c->y = fz_add(s, "y", fz_out_format(c), c->rows, c->n, rs, st, 1);
        s->a[c->y].contiguous = !c->strided;
    }
    if (c->placement == FZ_IN_PLACE)
        s->a[c->y].group = s->a[c->x].group;
    else if (c->placement == FZ_SHIFTED)
        fz_shift_into(&in, s, c->y, c->x);
    s->a[c->x].null = c->placement == FZ_X_NULL || c->placement == FZ_BOTH_NULL;
    s->a[c->y].null = c->placement == FZ_Y_NULL || c->placement == FZ_BOTH_NULL;
    c->temperature = fz_read_temperature(&in, 0).t32;
    c->environment = fz_read_environment(&in);

    fz_place(s);
    if (s->fits && !s->a[c->x].null)
        for (r = 0; r < c->rows; r++) {
            int raw = fz_byte(&in) % 4 == 0;
            fz_style style = fz_read_style(&in, 0);
            for (i = 0; i < c->n; i++)
                fz_put_bits(s, c->x, r, i, fz_half_entry(&in, c->format, raw, &style));
        }
    fz_snapshot(s);

    c->expected = fz_expected_status(c);
    if (!s->fits && (c->expected == PSM_OK || fz_known_deviation(c, c->expected, PSM_OK)))
        goto done; /* too large to run here (KD3: the library may compute) */
    status = fz_call_in_environment(&c->environment, fz_call, c, &c->got);
    if (status != c->expected && !fz_known_deviation(c, c->expected, status))
        FZ_FAIL("status %d (%s), expected %d (%s)", status, fz_status_name(status), c->expected,
                fz_status_name(c->expected));
    if (status != PSM_OK) {
        fz_check_untouched(s, fz_function_names[c->function], status);
        goto done;
    }
    fz_check_only_outputs_written(s);
    if (c->rows == 0 || s->a[c->y].null || fz_long_double_is_emulated)
        goto done; /* (values are read as long doubles) */
    if (c->n == 0) { /* logsumexp of empty rows: -inf; the others write nothing */
        for (r = 0; r < c->rows && c->function == FZ_LOGSUMEXP; r++)
            FZ_CHECK(fz_get(s, c->y, r, 0, 0) == -INFINITY,
                     "logsumexp of an empty row = %La, not -inf", fz_get(s, c->y, r, 0, 0));
        goto done;
    }
    fz_check_results(c);

done:
    fz_free_arrays(s);
    return 0;
}
