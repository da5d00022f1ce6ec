/*
 * kernels_baseline.c -- the fast row kernels for any processor: what the
 * compiler's default target can vectorize (SSE2 on x86-64, NEON on arm64),
 * no fused multiply-add.
 */
#define PSM_VARIANT(base) PSM_VARIANT_PASTE(base, _baseline)
#define PSM_VARIANT_PASTE(base, suffix) base##suffix
#define PSM_VARIANT_NAME "baseline"
#define PSM_LANE_FMA 0

#include "vector_rows.inc"
#include "backward_rows.inc"
