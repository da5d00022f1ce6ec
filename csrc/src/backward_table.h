/*
 * backward_table.h -- the vector kernels of the backward functions
 * (psm_softmax_backward_*, psm_log_softmax_backward_*) of one
 * instruction-set variant, as a table.  Internal.
 *
 * Each variant is backward_rows.inc compiled for that instruction set, in
 * the same translation unit as its forward kernels (kernels_baseline.c,
 * kernels_avx2.c, kernels_avx512.c); the variant in use is the one the
 * forward kernels use (psm_active_backward_kernels, kernel_dispatch.c).
 *
 * A row is taken in two passes, each a kernel called on consecutive pieces
 * of the row (backward_functions.inc cuts every row the same way, so the
 * result does not depend on the layout):
 *   1. `sum` adds the row's sum (softmax: dy * y; log_softmax: dy) over
 *      the entries that count (y != 0; y != -inf) into a psm_backward_sums,
 *      and notes what decides how pass 2 may run;
 *   2. `apply` writes dx from y, dy and the row's constants
 *      (psm_backward_row, made from the sums by backward_numerics.h).
 * Entries that do not count get dx = +0 and are never multiplied: a NaN or
 * an infinity in dy there cannot reach the row.
 */
#ifndef PSM_BACKWARD_TABLE_H
#define PSM_BACKWARD_TABLE_H

#include <stddef.h>

#include "kernel_table.h" /* PSM_X86_VARIANTS */

/* What pass 1 leaves.  float32 sums dy in double (lo stays 0); float64 in
 * double-double, dy multiplied by `scale` (a power of two) first. */
typedef struct {
    double hi, lo;   /* the sum */
    double max_abs;  /* the largest |dy| among the entries that count */
    double max_y;    /* the largest y among them (float64 softmax: |y|) (-inf: none) */
    double nans;     /* how many of them have a NaN y or dy */
} psm_backward_sums;

/* What pass 2 needs. */
typedef struct {
    double scale_a, scale_b;     /* float64: dy is multiplied by these powers of two */
    double sum_hi, sum_lo;       /* the row's sum, at that scale */
    double factor_hi, factor_lo; /* float32: 1/T (hi); float64: 1 / (T's mantissa) */
    double pow2_high, pow2_low;  /* float64: the rest, two powers of two */
    double scale;                /* pass 1's scale, when it must run again */
} psm_backward_row;

typedef struct {
    void (*softmax_sum_f32)(const float *y, const float *dy, size_t n, double scale,
                            psm_backward_sums *sums);
    void (*softmax_apply_f32)(const float *y, const float *dy, float *dx, size_t n,
                              const psm_backward_row *row);
    void (*log_softmax_sum_f32)(const float *y, const float *dy, size_t n, double scale,
                                psm_backward_sums *sums);
    void (*log_softmax_apply_f32)(const float *y, const float *dy, float *dx, size_t n,
                                  const psm_backward_row *row);
    void (*softmax_sum_f64)(const double *y, const double *dy, size_t n, double scale,
                            psm_backward_sums *sums);
    void (*softmax_apply_f64)(const double *y, const double *dy, double *dx, size_t n,
                              const psm_backward_row *row);
    void (*log_softmax_sum_f64)(const double *y, const double *dy, size_t n, double scale,
                                psm_backward_sums *sums);
    void (*log_softmax_apply_f64)(const double *y, const double *dy, double *dx, size_t n,
                                  const psm_backward_row *row);
} psm_backward_kernels;

extern const psm_backward_kernels psm_backward_kernels_baseline;
#if defined(PSM_X86_VARIANTS)
extern const psm_backward_kernels psm_backward_kernels_avx2;
extern const psm_backward_kernels psm_backward_kernels_avx512;
#endif

/* The variant of the forward kernels in use (psm_active_kernels). */
const psm_backward_kernels *psm_active_backward_kernels(void);

#endif /* PSM_BACKWARD_TABLE_H */
