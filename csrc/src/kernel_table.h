/*
 * kernel_table.h -- the fast row kernels of one instruction-set variant, as
 * a table, and the choice of the variant for this processor.  Internal.
 *
 * Each variant (kernels_baseline.c, kernels_avx2.c, kernels_avx512.c) is
 * vector_rows.inc compiled for that instruction set; kernel_dispatch.c picks
 * the best one the processor and the operating system support, once, when
 * the library is loaded, unless the environment variable PSM_ISA names one
 * (baseline, avx2, avx512).
 *
 * A row kernel returns 1 when it has written the row (or, for logsumexp,
 * *result), and 0 when it declines the row, having written nothing: the
 * caller then runs the exact scalar method (row_numerics.h).  Rows are
 * contiguous; y may equal x.
 */
#ifndef PSM_KERNEL_TABLE_H
#define PSM_KERNEL_TABLE_H

#include <stddef.h>

typedef struct {
    const char *name;
    int (*softmax_row_f32)(const float *x, float *y, size_t n, double temperature);
    int (*log_softmax_row_f32)(const float *x, float *y, size_t n, double temperature);
    int (*logsumexp_row_f32)(const float *x, size_t n, double *result);
    int (*softmax_row_f64)(const double *x, double *y, size_t n, double temperature);
    int (*log_softmax_row_f64)(const double *x, double *y, size_t n, double temperature);
    int (*logsumexp_row_f64)(const double *x, size_t n, double *result);
    /* Up to max_columns rows side by side (row w's entry i at
     * x[i * x_stride + w], likewise y): softmax (log_output 0) or
     * log_softmax (1). */
    size_t max_columns;
    int (*normalize_columns_f32)(const float *x, ptrdiff_t x_stride, float *y,
                                 ptrdiff_t y_stride, size_t columns, size_t n,
                                 double temperature, int log_output);
    int (*normalize_columns_f64)(const double *x, ptrdiff_t x_stride, double *y,
                                 ptrdiff_t y_stride, size_t columns, size_t n,
                                 double temperature, int log_output);
    /* y_i = x_i where where_i != 0, else -inf (contiguous; y may be x);
     * returns how many entries are included. */
    size_t (*mask_row_f32)(const float *x, const unsigned char *where, float *y, size_t n);
    size_t (*mask_row_f64)(const double *x, const unsigned char *where, double *y, size_t n);
} psm_row_kernels;

/* Variants for x86-64 need GCC or Clang (target pragmas, __builtin_cpu_supports). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define PSM_X86_VARIANTS 1
#endif

extern const psm_row_kernels psm_row_kernels_baseline;
#if defined(PSM_X86_VARIANTS)
extern const psm_row_kernels psm_row_kernels_avx2;
extern const psm_row_kernels psm_row_kernels_avx512;
#endif

/* The variant in use (chosen once). */
const psm_row_kernels *psm_active_kernels(void);

#endif /* PSM_KERNEL_TABLE_H */
