/*
 * kernels_f32.c -- the float instantiation of row_kernels.inc and weighted_rows.inc.
 */
#define PSM_ELEM float
#define PSM_NAME(base) PSM_NAME_WITH_SUFFIX(base, _f32)
#define PSM_NAME_WITH_SUFFIX(base, suffix) PSM_NAME_PASTE(base, suffix)
#define PSM_NAME_PASTE(base, suffix) base##suffix

#include "row_kernels.inc"
#include "weighted_rows.inc"
