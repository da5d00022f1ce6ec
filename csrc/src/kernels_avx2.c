/*
 * kernels_avx2.c -- the fast row kernels compiled for AVX2 with FMA (x86-64,
 * GCC or Clang); chosen at run time only where the processor has both.
 */
#include "kernel_table.h"

#if defined(PSM_X86_VARIANTS)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif

#define PSM_VARIANT(base) PSM_VARIANT_PASTE(base, _avx2)
#define PSM_VARIANT_PASTE(base, suffix) base##suffix
#define PSM_VARIANT_NAME "avx2"
#define PSM_LANE_FMA 1

#include "vector_rows.inc"
#include "backward_rows.inc"

#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int psm_no_avx2_variant; /* ISO C forbids an empty translation unit */
#endif
