/*
 * kernels_avx512.c -- the fast row kernels compiled for AVX-512 (F, DQ, VL,
 * BW; x86-64, GCC or Clang), 512-bit vectors; chosen at run time only where
 * the processor and the operating system support them.
 */
#include "kernel_table.h"

#if defined(PSM_X86_VARIANTS)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"))), \
                             apply_to = function)
#else
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512")
#endif

#define PSM_VARIANT(base) PSM_VARIANT_PASTE(base, _avx512)
#define PSM_VARIANT_PASTE(base, suffix) base##suffix
#define PSM_VARIANT_NAME "avx512"
#define PSM_LANE_FMA 1

#include "vector_rows.inc"
#include "backward_rows.inc"

#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int psm_no_avx512_variant; /* ISO C forbids an empty translation unit */
#endif
