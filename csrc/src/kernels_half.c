/*
 * kernels_half.c -- float16 and bfloat16: half_rows.inc for each format,
 * on the scalar rows of row_kernels.inc for that format (the 16-bit values
 * read as doubles and the results rounded once to 16 bits) and the float32
 * functions.
 */
#include <stdint.h>

#include "half_conversions.h"
#include "pysoftmax.h"

#define PSM_ELEM uint16_t
#define PSM_SCALAR_ROWS_ONLY 1
#define PSM_NAME(base) PSM_NAME_WITH_SUFFIX(base, PSM_HALF_SUFFIX)
#define PSM_FLOAT_OUTPUT_NAME(base) PSM_NAME_WITH_SUFFIX(PSM_NAME(base), _f32)
#define PSM_NAME_WITH_SUFFIX(base, suffix) PSM_NAME_PASTE(base, suffix)
#define PSM_NAME_PASTE(base, suffix) base##suffix

/* Whether a rows x n array walks its rows faster than its entries (rows
 * side by side: a reduced axis that is not the last).  The conversions then
 * go entry by entry, across the rows, so that they read memory in order,
 * and the buffer keeps that layout: the float32 functions take their
 * kernel across rows there, as they do on such a float32 array. */
static int psm_rows_side_by_side(ptrdiff_t row_stride, ptrdiff_t stride, size_t rows)
{
    ptrdiff_t row_step = row_stride < 0 ? -row_stride : row_stride;
    ptrdiff_t step = stride < 0 ? -stride : stride;
    return rows > 1 && row_step < step;
}

/* Rows longer than the buffer (half_rows.inc, PSM_HALF_BUFFER floats) are
 * cut into chunks of nearly equal lengths, of at most 1024 entries, which
 * the float32 softmax kernel computes with each exponential once (it keeps
 * up to PSM_CHUNK_F32 of them in double, vector_rows.inc; measured when that
 * was 1024: 10-15% faster than chunks of 4096 for rows of 32000 and 128256
 * entries). */
static size_t psm_chunk_length(size_t n)
{
    size_t most = 1024, count = (n + most - 1) / most;
    return (n + count - 1) / count;
}

/* ---------------------------------------------------------------- float16 */
#define PSM_HALF_SUFFIX _f16
#define PSM_LOAD(row, stride, i) ((double)psm_f16_to_float(PSM_AT(row, stride, i)))
#define PSM_STORE(row, stride, i, value) (PSM_AT(row, stride, i) = psm_double_to_f16(value))
#define PSM_HALF_TO_FLOAT psm_f16_to_float
#define PSM_FLOAT_TO_HALF psm_float_to_f16
#define PSM_DOUBLE_TO_HALF psm_double_to_f16
#define PSM_WIDEN_ROW f16_to_f32
#define PSM_NARROW_ROW f32_to_f16
#define PSM_HALF_NEGATIVE_INFINITY 0xfc00u
#include "row_kernels.inc"
#include "half_rows.inc"
#undef PSM_HALF_SUFFIX
#undef PSM_LOAD
#undef PSM_STORE
#undef PSM_HALF_TO_FLOAT
#undef PSM_FLOAT_TO_HALF
#undef PSM_DOUBLE_TO_HALF
#undef PSM_WIDEN_ROW
#undef PSM_NARROW_ROW
#undef PSM_HALF_NEGATIVE_INFINITY

/* --------------------------------------------------------------- bfloat16 */
#define PSM_HALF_SUFFIX _bf16
#define PSM_LOAD(row, stride, i) ((double)psm_bf16_to_float(PSM_AT(row, stride, i)))
#define PSM_STORE(row, stride, i, value) (PSM_AT(row, stride, i) = psm_double_to_bf16(value))
#define PSM_HALF_TO_FLOAT psm_bf16_to_float
#define PSM_FLOAT_TO_HALF psm_float_to_bf16
#define PSM_DOUBLE_TO_HALF psm_double_to_bf16
#define PSM_WIDEN_ROW bf16_to_f32
#define PSM_NARROW_ROW f32_to_bf16
#define PSM_HALF_NEGATIVE_INFINITY 0xff80u
#include "row_kernels.inc"
#include "half_rows.inc"
