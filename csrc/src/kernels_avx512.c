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
/* tune=sapphirerapids: GCC's generic tuning reads a table at eight indices
 * (the float64 exp's, lane_math.h) as eight scalar loads and inserts: it
 * avoids the gather instructions, slow on some processors and, since the
 * Downfall microcode, on many Intel ones (not on Sapphire Rapids and later).
 * vgatherqpd made the float64 softmax 1.3x faster on the Xeon of the
 * benchmarks (8.1 -> 6.2 ms for 4096 x 1024).  For the whole file: a
 * function tuned otherwise than the helpers it calls cannot inline them. */
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,fma,prefer-vector-width=512", \
                   "tune=sapphirerapids")
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
