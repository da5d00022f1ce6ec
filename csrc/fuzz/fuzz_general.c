/*
 * fuzz_general.c -- libFuzzer harness of the general forms (added in 0.2.0):
 * psm_softmax_general_*, psm_log_softmax_general_*, psm_logsumexp_general_*,
 * float32 and float64: strided rows, an optional byte mask with strides of
 * its own, one temperature per row with a stride.
 *
 * Each input is one call: the function and element type; rows and n (as
 * fuzz_rows.c reads them: small, long rows across the kernels' thresholds,
 * many rows side by side, sizes that overflow); x's strides (contiguous,
 * transposed, reversed, padded, broadcast, arbitrary 64-bit); where y lies
 * (apart, in place, overlapping or adjacent in x's allocation, NULL) and its
 * strides; the mask (NULL, with strides that must then be ignored, or bytes
 * of its own or inside x's or y's allocation: all included, none, random
 * densities, any byte values, whole rows masked); the temperatures (one for
 * all rows, any per row, one invalid among valid ones, any bit pattern; a
 * stride 0, +-1, small, padded or arbitrary; an allocation of their own,
 * inside x's or y's, NULL); the caller's floating-point state; the rows.
 *
 * Invariants checked on every call:
 * - the status is the first that applies of PSM_E_SIZE_OVERFLOW (the span of
 *   x, y, the mask or the temperatures beyond PTRDIFF_MAX bytes),
 *   PSM_E_NULL_POINTER (x or y NULL with their array not empty, the
 *   temperatures NULL with rows > 0), PSM_E_STRIDE (two outputs share an
 *   element), PSM_E_OVERLAP (y and x overlap without being in place, the
 *   mask or the temperatures overlap y), PSM_E_TEMPERATURE (any row's
 *   temperature negative or NaN), else PSM_OK -- the header's order over
 *   all the arrays, computed here; up to the known deviations KD1 and KD3
 *   of csrc/fuzz/README.md;
 * - on error nothing is written; on success only the outputs are;
 * - the caller's exception flags and MXCSR's control bits are kept;
 * - per row: a row with no included entry is all +0 (log_softmax all -inf,
 *   logsumexp -inf); a row whose included entries hold a NaN or are all
 *   -inf is all NaN; otherwise the masked entries are +0 (-inf) whatever
 *   they hold, and the included ones are the row of the included entries
 *   alone with the row's temperature: the header's rules and the long
 *   double reference of fuzz_rows.h (2 ULP float32, 3 float64);
 * - with no mask and temperature stride 0 (softmax, log_softmax), and with
 *   no mask (logsumexp), the result is bit for bit the strided function's
 *   (with temperature temperatures[0]) on the same arrays, as the header
 *   says.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_rows.h"

typedef struct {
    int function, f64;
    size_t rows, n;
    int x, where, temperatures, y; /* indices in `set`; -1: not an argument */
    int where_null;                /* where == NULL (every entry included) */
    ptrdiff_t where_rs, where_s;   /* what is passed for its strides */
    ptrdiff_t temperature_stride;
    fz_environment environment;
    fz_arrays set;
    int expected, got;
} fz_case;

static fz_case fz_now;

static int fz_format(const fz_case *c)
{
    return c->f64 ? FZ_F64 : FZ_F32;
}

static void fz_describe_case(void)
{
    const fz_case *c = &fz_now;
    size_t i;
    fprintf(stderr, "  case: %s_general_%s  rows=%zu n=%zu  mask %s (strides %td, %td)",
            fz_function_names[c->function], c->f64 ? "f64" : "f32", c->rows, c->n,
            c->where_null ? "NULL" : "given", c->where_rs, c->where_s);
    if (c->function != FZ_LOGSUMEXP)
        fprintf(stderr, "  temperature stride %td", c->temperature_stride);
    fprintf(stderr, "\n  caller's flags %#x, FTZ %d, DAZ %d; kernels %s\n",
            (unsigned)c->environment.raised_flags, c->environment.ftz, c->environment.daz,
            psm_isa());
    fz_describe_arrays(&c->set);
    fprintf(stderr, "  status: expected %d %s, got %d %s\n", c->expected,
            fz_status_name(c->expected), c->got, fz_status_name(c->got));
    if (c->set.before[0] != NULL && fz_usable(&c->set, c->x) && fz_failing_row < c->rows) {
        fprintf(stderr, "  row %zu (x, mask):", fz_failing_row);
        for (i = 0; i < c->n && i < 48; i++)
            fprintf(stderr, " %a%s", (double)fz_get(&c->set, c->x, fz_failing_row, i, 1),
                    c->where_null || fz_get(&c->set, c->where, fz_failing_row, i, 1) != 0.0L
                        ? ""
                        : "(masked)");
        fprintf(stderr, c->n > 48 ? " ...\n" : "\n");
        if (c->temperatures >= 0 && fz_usable(&c->set, c->temperatures))
            fprintf(stderr, "  its temperature %La\n",
                    fz_get(&c->set, c->temperatures, fz_failing_row, 0, 1));
    }
}

/* ------------------------------------------------------------ the status */

static int fz_expected_status(const fz_case *c)
{
    const fz_arrays *s = &c->set;
    const fz_array *x = &s->a[c->x], *y = &s->a[c->y];
    const fz_array *where = c->where_null ? NULL : &s->a[c->where];
    const fz_array *t = c->temperatures >= 0 ? &s->a[c->temperatures] : NULL;
    size_t r;
    if (fz_too_large(x) || fz_too_large(y) || (where && fz_too_large(where)) ||
        (t && fz_too_large(t)))
        return PSM_E_SIZE_OVERFLOW;
    if (fz_is_null(x) || fz_is_null(y) || (t && fz_is_null(t)))
        return PSM_E_NULL_POINTER;
    if (fz_collides(y))
        return PSM_E_STRIDE;
    if ((fz_overlap(x, y) && !(c->function != FZ_LOGSUMEXP && fz_same(x, y))) ||
        (where && fz_overlap(where, y)) || (t && fz_overlap(t, y)))
        return PSM_E_OVERLAP;
    if (t == NULL || !s->fits)
        return PSM_OK; /* !fits: the temperatures cannot be read (the caller skips) */
    for (r = 0; r < c->rows; r++)
        if (fz_temperature_is_invalid(fz_get_double(s, c->temperatures, r, 0, 1)))
            return PSM_E_TEMPERATURE;
    return PSM_OK;
}

/* The known deviations (csrc/fuzz/README.md), unless PSM_FUZZ_STRICT. */
static int fz_known_deviation(const fz_case *c, int expected, int got)
{
    const fz_arrays *s = &c->set;
    const fz_array *x = &s->a[c->x], *y = &s->a[c->y];
    if (PSM_FUZZ_STRICT)
        return 0;
    /* KD1: the conservative span check, on every array the library checks. */
    if (got == PSM_E_SIZE_OVERFLOW &&
        (fz_library_rejects(x) || fz_library_rejects(y) ||
         (!c->where_null && fz_library_rejects(&s->a[c->where])) ||
         (c->temperatures >= 0 && fz_library_rejects(&s->a[c->temperatures]))))
        return 1;
    /* KD3: logsumexp in place on rows of one entry. */
    if (c->function == FZ_LOGSUMEXP && expected == PSM_E_OVERLAP && got == PSM_OK &&
        x->pointer == y->pointer && c->n == 1 && x->s == 0 && x->rs == y->rs &&
        (c->where_null || !fz_overlap(&s->a[c->where], y)))
        return 1;
    return 0;
}

/* ------------------------------------------------------------ the call */

static int fz_call_general(const fz_case *c, void *x, const unsigned char *where,
                           const void *temperatures, void *y)
{
    const fz_array *ax = &c->set.a[c->x], *ay = &c->set.a[c->y];
    if (c->f64) {
        switch (c->function) {
        case FZ_SOFTMAX:
            return psm_softmax_general_f64((const double *)x, ax->rs, ax->s, where, c->where_rs,
                                           c->where_s, (const double *)temperatures,
                                           c->temperature_stride, (double *)y, ay->rs, ay->s,
                                           c->rows, c->n);
        case FZ_LOG_SOFTMAX:
            return psm_log_softmax_general_f64((const double *)x, ax->rs, ax->s, where,
                                               c->where_rs, c->where_s,
                                               (const double *)temperatures,
                                               c->temperature_stride, (double *)y, ay->rs, ay->s,
                                               c->rows, c->n);
        default:
            return psm_logsumexp_general_f64((const double *)x, ax->rs, ax->s, where,
                                             c->where_rs, c->where_s, (double *)y, ay->rs,
                                             c->rows, c->n);
        }
    }
    switch (c->function) {
    case FZ_SOFTMAX:
        return psm_softmax_general_f32((const float *)x, ax->rs, ax->s, where, c->where_rs,
                                       c->where_s, (const float *)temperatures,
                                       c->temperature_stride, (float *)y, ay->rs, ay->s, c->rows,
                                       c->n);
    case FZ_LOG_SOFTMAX:
        return psm_log_softmax_general_f32((const float *)x, ax->rs, ax->s, where, c->where_rs,
                                           c->where_s, (const float *)temperatures,
                                           c->temperature_stride, (float *)y, ay->rs, ay->s,
                                           c->rows, c->n);
    default:
        return psm_logsumexp_general_f32((const float *)x, ax->rs, ax->s, where, c->where_rs,
                                         c->where_s, (float *)y, ay->rs, c->rows, c->n);
    }
}

static int fz_call(void *context)
{
    const fz_case *c = (const fz_case *)context;
    const fz_arrays *s = &c->set;
    return fz_call_general(c, s->a[c->x].pointer,
                           c->where_null ? NULL : (const unsigned char *)s->a[c->where].pointer,
                           c->temperatures >= 0 ? s->a[c->temperatures].pointer : NULL,
                           s->a[c->y].pointer);
}

/* ------------------------------------------------------------ checking */

/* Row r of a successful call; v, got and scratch hold n entries. */
static void fz_check_general_row(const fz_case *c, size_t r, long double *v, long double *got,
                                 long double *scratch)
{
    const fz_arrays *s = &c->set;
    const int format = fz_format(c);
    const char *name = fz_function_names[c->function];
    long double temperature = 1.0L, max;
    size_t i, included = 0, selected;
    int rule;
    fz_failing_row = r;
    if (c->function != FZ_LOGSUMEXP)
        temperature = fz_get(s, c->temperatures, r, 0, 1);
    /* the row of the included entries alone */
    for (i = 0; i < c->n; i++)
        if (c->where_null || fz_get(s, c->where, r, i, 1) != 0.0L) {
            v[included] = fz_get(s, c->x, r, i, 1);
            if (c->function != FZ_LOGSUMEXP)
                got[included] = fz_get(s, c->y, r, i, 0);
            included++;
        }
    if (c->function == FZ_LOGSUMEXP) {
        got[0] = fz_get(s, c->y, r, 0, 0);
        if (included == 0)
            FZ_CHECK(got[0] == -INFINITY, "logsumexp of a row with nothing included = %La",
                     got[0]);
        else
            fz_check_row(FZ_LOGSUMEXP, format, r, v, included, 1.0L, got, scratch);
        return;
    }
    if (included == 0) { /* the empty distribution: 0 (log -inf), not NaN */
        for (i = 0; i < c->n; i++) {
            long double out = fz_get(s, c->y, r, i, 0);
            fz_failing_entry = i;
            FZ_CHECK(c->function == FZ_SOFTMAX ? out == 0.0L && !signbit(out) : out == -INFINITY,
                     "%s[%zu, %zu] = %La in a row with nothing included", name, r, i, out);
        }
        return;
    }
    rule = fz_rule(c->function, v, included, temperature, &max, &selected);
    for (i = 0; i < c->n; i++) {
        long double out = fz_get(s, c->y, r, i, 0);
        fz_failing_entry = i;
        if (rule == FZ_RULE_NAN || rule == FZ_RULE_ALL_NEGATIVE_INFINITY)
            /* the edge-case table's NaN row, masked entries too */
            FZ_CHECK(isnan(out), "%s[%zu, %zu] = %La: the included entries %s, the row is NaN",
                     name, r, i, out, rule == FZ_RULE_NAN ? "hold a NaN" : "are all -inf");
        else if (!c->where_null && fz_get(s, c->where, r, i, 1) == 0.0L)
            FZ_CHECK(c->function == FZ_SOFTMAX ? out == 0.0L && !signbit(out) : out == -INFINITY,
                     "%s[%zu, %zu] = %La for a masked entry", name, r, i, out);
    }
    if (rule != FZ_RULE_NAN && rule != FZ_RULE_ALL_NEGATIVE_INFINITY)
        fz_check_row(c->function, format, r, v, included, temperature, got, scratch);
}

/* The strided function on copies of the allocations as they were, compared
 * bit for bit with the general function's outputs (no mask; softmax and
 * log_softmax: temperature stride 0). */
static void fz_check_same_as_strided(const fz_case *c)
{
    const fz_arrays *s = &c->set;
    const fz_array *x = &s->a[c->x], *y = &s->a[c->y];
    unsigned char *copies[FZ_MAX_ARRAYS];
    void *x_copy, *y_copy;
    size_t r, i;
    int k, status;
    for (k = 0; k < s->arenas; k++) {
        copies[k] = (unsigned char *)fz_allocate(s->bytes[k]);
        memcpy(copies[k], s->before[k], s->bytes[k]);
    }
    x_copy = (void *)((uintptr_t)copies[x->arena] + (uintptr_t)x->origin);
    y_copy = (void *)((uintptr_t)copies[y->arena] + (uintptr_t)y->origin);
    if (c->function == FZ_LOGSUMEXP) {
        status = c->f64 ? psm_logsumexp_strided_f64((const double *)x_copy, x->rs, x->s,
                                                    (double *)y_copy, y->rs, c->rows, c->n)
                        : psm_logsumexp_strided_f32((const float *)x_copy, x->rs, x->s,
                                                    (float *)y_copy, y->rs, c->rows, c->n);
    } else {
        const fz_array *t = &s->a[c->temperatures];
        /* temperatures[0], bit for bit (a signaling NaN stays one) */
        double t64 = 0.0;
        float t32 = 0.0f;
        if (c->f64)
            memcpy(&t64, s->before[t->arena] + t->origin, sizeof t64);
        else
            memcpy(&t32, s->before[t->arena] + t->origin, sizeof t32);
        if (c->f64)
            status = (c->function == FZ_SOFTMAX ? psm_softmax_strided_f64
                                                : psm_log_softmax_strided_f64)(
                (const double *)x_copy, x->rs, x->s, (double *)y_copy, y->rs, y->s, c->rows, c->n,
                t64);
        else
            status = (c->function == FZ_SOFTMAX ? psm_softmax_strided_f32
                                                : psm_log_softmax_strided_f32)(
                (const float *)x_copy, x->rs, x->s, (float *)y_copy, y->rs, y->s, c->rows, c->n,
                t32);
    }
    FZ_CHECK(status == PSM_OK, "the strided function returned %d (%s) where the general one "
             "returned PSM_OK", status, fz_status_name(status));
    for (r = 0; r < c->rows; r++)
        for (i = 0; i < y->n; i++) {
            const unsigned char *a = fz_at(s, y, r, i, 0);
            const unsigned char *b =
                copies[y->arena] + y->origin + (ptrdiff_t)fz_offset(y, r, i) * (ptrdiff_t)fz_size(y);
            if (memcmp(a, b, fz_size(y)) != 0) {
                fz_failing_row = r, fz_failing_entry = i;
                FZ_FAIL("%s[%zu, %zu] = %La, the strided function's %La: not bit for bit",
                        fz_function_names[c->function], r, i, fz_get(s, c->y, r, i, 0),
                        c->f64 ? (long double)*(const double *)(const void *)b
                               : (long double)*(const float *)(const void *)b);
            }
        }
    for (k = 0; k < s->arenas; k++)
        free(copies[k]);
}

/* ------------------------------------------------------------ one input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_describe = fz_describe_case;
    fz_check_isa("fuzz_general");
    fz_probe_long_double("fuzz_general");
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}

/* The mask's bytes, row by row: all included, none, a random density, any
 * byte values, whole rows in or out. */
static void fz_fill_mask(fz_input *in, fz_case *c)
{
    unsigned mode = fz_byte(in) % 6, density = fz_byte(in);
    size_t r, i;
    for (r = 0; r < c->rows; r++) {
        unsigned row_mode = mode == 4 ? fz_byte(in) % 3 : 0;
        for (i = 0; i < c->n; i++) {
            unsigned value;
            switch (mode) {
            case 0:
                value = 1;
                break;
            case 1:
                value = 0;
                break;
            case 2:
                value = (fz_random(in) >> 56) < density;
                break;
            case 3:
                value = fz_byte(in);
                break;
            case 4:
                value = row_mode == 0 ? 0u : row_mode == 1 ? 1u : (unsigned)(fz_random(in) & 1);
                break;
            default: /* any non-zero byte includes */
                value = (fz_random(in) & 1) ? (unsigned)(1 + (fz_random(in) >> 57)) * 2 - 1 : 0;
                break;
            }
            fz_put(&c->set, c->where, r, i, (double)(value & 0xffu));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input in = fz_start(data, size);
    fz_case *c = &fz_now;
    fz_arrays *s = &c->set;
    long double *v = NULL, *got = NULL, *scratch = NULL;
    unsigned head, placement, mode;
    ptrdiff_t rs, st;
    int format, status;
    size_t r, i;

    memset(c, 0, sizeof *c);
    fz_failing_row = 0;
    head = fz_byte(&in);
    c->f64 = (int)(head & 1u);
    c->function = (int)((head >> 1) % 3);
    format = fz_format(c);
    c->rows = fz_read_rows(&in);
    c->n = fz_read_n(&in);
    c->where = c->temperatures = -1;

    /* x and y */
    fz_read_layout(&in, c->rows, c->n, &rs, &st);
    c->x = fz_add(s, "x", format, c->rows, c->n, rs, st, 0);
    placement = fz_byte(&in) % 16;
    if (c->function == FZ_LOGSUMEXP) {
        ptrdiff_t out_stride = (fz_byte(&in) % 4 == 0) ? rs : fz_read_row_stride(&in);
        c->y = fz_add(s, "out", format, c->rows, 1, out_stride, 0, 1);
    } else if (placement == 9 || placement == 10 || fz_byte(&in) % 4 == 0) {
        c->y = fz_add(s, "y", format, c->rows, c->n, rs, st, 1); /* x's strides */
    } else {
        fz_read_layout(&in, c->rows, c->n, &rs, &st);
        c->y = fz_add(s, "y", format, c->rows, c->n, rs, st, 1);
    }
    if (placement == 9 || placement == 10) {
        s->a[c->y].group = s->a[c->x].group; /* the same pointer: in place (or KD3's case) */
    } else if (placement == 11 || placement == 12) {
        fz_shift_into(&in, s, c->y, c->x);
    } else {
        s->a[c->x].null = placement == 13 || placement == 15;
        s->a[c->y].null = placement == 14 || placement == 15;
    }

    /* the mask */
    mode = fz_byte(&in) % 8;
    c->where_null = mode < 2;
    if (c->where_null) {
        /* strides that must be ignored */
        c->where_rs = mode == 0 ? 0 : (ptrdiff_t)fz_bytes(&in, 8);
        c->where_s = mode == 0 ? 0 : (ptrdiff_t)fz_bytes(&in, 8);
    } else {
        fz_read_layout(&in, c->rows, c->n, &c->where_rs, &c->where_s);
        c->where = fz_add(s, "where", FZ_BYTE, c->rows, c->n, c->where_rs, c->where_s, 0);
        if (mode == 5)
            fz_shift_into(&in, s, c->where, c->y);
        else if (mode == 6)
            fz_shift_into(&in, s, c->where, c->x);
    }

    /* the temperatures */
    if (c->function != FZ_LOGSUMEXP) {
        c->temperature_stride = fz_read_row_stride(&in);
        c->temperatures = fz_add(s, "temperatures", format, c->rows, 1, c->temperature_stride,
                                 0, 0);
        mode = fz_byte(&in) % 8;
        if (mode == 5)
            fz_shift_into(&in, s, c->temperatures, c->y);
        else if (mode == 6)
            fz_shift_into(&in, s, c->temperatures, c->x);
        else if (mode == 7)
            s->a[c->temperatures].null = 1;
    }
    c->environment = fz_read_environment(&in);

    fz_place(s);
    if (s->fits) {
        if (!s->a[c->x].null)
            for (r = 0; r < c->rows; r++) {
                fz_style style = fz_read_style(&in, c->f64);
                for (i = 0; i < c->n; i++)
                    fz_put(s, c->x, r, i, fz_entry(&in, &style, c->f64, 1.0));
            }
        if (!c->where_null)
            fz_fill_mask(&in, c);
        if (c->temperatures >= 0 && !s->a[c->temperatures].null)
            fz_fill_temperatures(&in, &c->set, c->temperatures, c->rows, c->f64);
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
    if (c->rows == 0 || s->a[c->y].null)
        goto done;
    if (c->where_null && (c->function == FZ_LOGSUMEXP || c->temperature_stride == 0))
        fz_check_same_as_strided(c);
    if (fz_long_double_is_emulated)
        goto done; /* the values are read as long doubles */
    if (c->n == 0) {
        for (r = 0; r < c->rows && c->function == FZ_LOGSUMEXP; r++)
            FZ_CHECK(fz_get(s, c->y, r, 0, 0) == -INFINITY,
                     "logsumexp of an empty row = %La, not -inf", fz_get(s, c->y, r, 0, 0));
        goto done;
    }
    v = (long double *)fz_allocate(c->n * sizeof *v);
    got = (long double *)fz_allocate(c->n * sizeof *got);
    scratch = (long double *)fz_allocate(c->n * sizeof *scratch);
    for (r = 0; r < c->rows; r++)
        fz_check_general_row(c, r, v, got, scratch);

done:
    free(v);
    free(got);
    free(scratch);
    fz_free_arrays(s);
    return 0;
}
