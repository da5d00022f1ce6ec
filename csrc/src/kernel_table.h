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
 * contiguous; y may equal x.  `next` is the row of n entries the caller will
 * pass next, or NULL: a hint (the kernels may prefetch it), never written.
 */
#ifndef PSM_KERNEL_TABLE_H
#define PSM_KERNEL_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    int (*softmax_row_f32)(const float *x, float *y, size_t n, double temperature,
                           const float *next);
    int (*log_softmax_row_f32)(const float *x, float *y, size_t n, double temperature,
                               const float *next);
    int (*logsumexp_row_f32)(const float *x, size_t n, double *result, const float *next);
    int (*softmax_row_f64)(const double *x, double *y, size_t n, double temperature,
                           const double *next);
    int (*log_softmax_row_f64)(const double *x, double *y, size_t n, double temperature,
                               const double *next);
    int (*logsumexp_row_f64)(const double *x, size_t n, double *result, const double *next);
    /* Up to max_columns_f32 (f64) rows side by side (row w's entry i at
     * x[i * x_stride + w], likewise y), multiples of PSM_COLUMN_STRIP:
     * softmax (log_output 0) or log_softmax (1).  Returns a mask of the
     * strips of PSM_COLUMN_STRIP rows written (bit s: rows from s *
     * PSM_COLUMN_STRIP), declining each strip on its own, as a call on
     * that strip alone would: a strip declined is not touched. */
    size_t max_columns_f32;
    size_t max_columns_f64;
    unsigned (*normalize_columns_f32)(const float *x, ptrdiff_t x_stride, float *y,
                                      ptrdiff_t y_stride, size_t columns, size_t n,
                                      double temperature, int log_output);
    unsigned (*normalize_columns_f64)(const double *x, ptrdiff_t x_stride, double *y,
                                      ptrdiff_t y_stride, size_t columns, size_t n,
                                      double temperature, int log_output);
    /* y_i = x_i where where_i != 0, else -inf (contiguous; y may be x);
     * returns how many entries are included. */
    size_t (*mask_row_f32)(const float *x, const unsigned char *where, float *y, size_t n);
    size_t (*mask_row_f64)(const double *x, const unsigned char *where, double *y, size_t n);
    /* For the 16-bit formats (half_rows.inc): max(x) of n >= 1 floats, NaN
     * if one is NaN; and n contiguous float16 or bfloat16 bit patterns
     * widened to float, or floats rounded to them (half_conversions.h). */
    float (*max_f32)(const float *x, size_t n);
    void (*f16_to_f32)(const uint16_t *x, float *y, size_t n);
    void (*f32_to_f16)(const float *x, uint16_t *y, size_t n);
    void (*bf16_to_f32)(const uint16_t *x, float *y, size_t n);
    void (*f32_to_bf16)(const float *x, uint16_t *y, size_t n);
} psm_row_kernels;

/* Rows side by side are declined (and so computed by the row path) by
 * strips of this many, whatever the tile: pysoftmax's threads cut such rows
 * at strips (COLUMN_STRIP in pysoftmax/_backends/c.py), and each row gets
 * the same bits either way. */
#define PSM_COLUMN_STRIP 512

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
