/*
 * arguments.c -- argument checks shared by every public function.
 */
#include "arguments.h"

#include <math.h>
#include <stdint.h>

#include "pysoftmax.h"

/* count * element_size bytes, or 0 with *overflow set when that exceeds
 * PTRDIFF_MAX (pointer arithmetic past it is undefined). */
static size_t byte_count(size_t a, size_t b, size_t element_size, int *overflow)
{
    size_t limit = (size_t)PTRDIFF_MAX / element_size;
    if (b != 0 && a > limit / b) {
        *overflow = 1;
        return 0;
    }
    return a * b * element_size;
}

/* psm_check_arrays with an element size for each array; `same_allowed`: an
 * output equal to the input is in place, not an overlap. */
static int check_arrays(const void *input, size_t input_element_size, const void *output,
                        size_t output_element_size, size_t rows, size_t n, size_t output_per_row,
                        int same_allowed)
{
    int overflow = 0;
    size_t input_bytes = byte_count(rows, n, input_element_size, &overflow);
    size_t output_bytes = byte_count(rows, output_per_row, output_element_size, &overflow);
    uintptr_t in_start, out_start;
    if (overflow)
        return PSM_E_SIZE_OVERFLOW;
    if ((input == NULL && input_bytes != 0) || (output == NULL && output_bytes != 0))
        return PSM_E_NULL_POINTER;
    if ((same_allowed && input == output) || input_bytes == 0 || output_bytes == 0)
        return PSM_OK;
    in_start = (uintptr_t)input;
    out_start = (uintptr_t)output;
    if (in_start < out_start + output_bytes && out_start < in_start + input_bytes)
        return PSM_E_OVERLAP;
    return PSM_OK;
}

int psm_check_arrays(const void *input, const void *output, size_t rows, size_t n,
                     size_t output_per_row, size_t element_size)
{
    return check_arrays(input, element_size, output, element_size, rows, n, output_per_row, 1);
}

int psm_check_arrays_mixed(const void *input, size_t input_element_size, const void *output,
                           size_t output_element_size, size_t rows, size_t n,
                           size_t output_per_row)
{
    return check_arrays(input, input_element_size, output, output_element_size, rows, n,
                        output_per_row, 0);
}

/* The byte offsets of the lowest and highest element of a rows x n array with
 * these strides, or 0 when that span does not fit in ptrdiff_t. */
static int element_span(ptrdiff_t row_stride, ptrdiff_t stride, size_t rows, size_t n,
                        size_t element_size, ptrdiff_t *low, ptrdiff_t *high)
{
    ptrdiff_t limit = PTRDIFF_MAX / (ptrdiff_t)element_size / 2;
    ptrdiff_t extent[2];
    ptrdiff_t strides[2];
    size_t counts[2];
    int k;
    strides[0] = row_stride;
    strides[1] = stride;
    counts[0] = rows;
    counts[1] = n;
    *low = *high = 0;
    for (k = 0; k < 2; k++) {
        size_t steps = counts[k] == 0 ? 0 : counts[k] - 1;
        ptrdiff_t magnitude;
        if (strides[k] == PTRDIFF_MIN || steps > (size_t)limit)
            return 0;
        magnitude = strides[k] < 0 ? -strides[k] : strides[k];
        if (magnitude != 0 && (ptrdiff_t)steps > limit / magnitude)
            return 0;
        extent[k] = (ptrdiff_t)steps * strides[k];
        if (extent[k] < 0)
            *low += extent[k];
        else
            *high += extent[k];
    }
    *low *= (ptrdiff_t)element_size;
    *high = *high * (ptrdiff_t)element_size + (ptrdiff_t)element_size;
    return 1;
}

/* Whether distinct (r, i) of a rows x n array reach distinct elements.  Two
 * entries meet where dr * row_stride + di * stride = 0 with |dr| < rows,
 * |di| < n; the smallest such (dr, di) is (stride, -row_stride) / g, with g
 * their gcd: so they meet exactly when stride / g < rows and row_stride / g
 * < n (interleaved rows that share no element are distinct). */
static int elements_are_distinct(ptrdiff_t row_stride, ptrdiff_t stride, size_t rows, size_t n)
{
    size_t row_step = (size_t)(row_stride < 0 ? -row_stride : row_stride);
    size_t step = (size_t)(stride < 0 ? -stride : stride);
    size_t a, b;
    if (rows <= 1)
        return n <= 1 || step != 0;
    if (n <= 1)
        return row_step != 0;
    if (row_step == 0 || step == 0)
        return 0;
    for (a = row_step, b = step; b != 0;) {
        size_t remainder = a % b;
        a = b;
        b = remainder;
    }
    return !(step / a < rows && row_step / a < n);
}

/* psm_check_strided with an element size for each array; `same_allowed` as
 * for check_arrays. */
static int check_strided(const void *input, size_t input_element_size, ptrdiff_t input_row_stride,
                         ptrdiff_t input_stride, const void *output, size_t output_element_size,
                         ptrdiff_t output_row_stride, ptrdiff_t output_stride, size_t rows,
                         size_t n, size_t output_n, int same_allowed)
{
    ptrdiff_t in_low, in_high, out_low, out_high;
    int input_empty = rows == 0 || n == 0, output_empty = rows == 0 || output_n == 0;
    if (!element_span(input_row_stride, input_stride, rows, n, input_element_size, &in_low,
                      &in_high) ||
        !element_span(output_row_stride, output_stride, rows, output_n, output_element_size,
                      &out_low, &out_high))
        return PSM_E_SIZE_OVERFLOW;
    if ((input == NULL && !input_empty) || (output == NULL && !output_empty))
        return PSM_E_NULL_POINTER;
    if (!output_empty && !elements_are_distinct(output_row_stride, output_stride, rows, output_n))
        return PSM_E_STRIDE;
    if (input_empty || output_empty)
        return PSM_OK;
    if (same_allowed && input == output && output_n == n && input_row_stride == output_row_stride &&
        input_stride == output_stride)
        return PSM_OK; /* in place: each entry is read before it is written */
    {
        /* Compared as integers: pointers into different objects may not be. */
        intptr_t in_start = (intptr_t)input, out_start = (intptr_t)output;
        if (in_start + in_low < out_start + out_high && out_start + out_low < in_start + in_high)
            return PSM_E_OVERLAP;
    }
    return PSM_OK;
}

int psm_check_strided(const void *input, ptrdiff_t input_row_stride, ptrdiff_t input_stride,
                      const void *output, ptrdiff_t output_row_stride, ptrdiff_t output_stride,
                      size_t rows, size_t n, size_t output_n, size_t element_size)
{
    return check_strided(input, element_size, input_row_stride, input_stride, output,
                         element_size, output_row_stride, output_stride, rows, n, output_n, 1);
}

int psm_check_strided_mixed(const void *input, size_t input_element_size,
                            ptrdiff_t input_row_stride, ptrdiff_t input_stride,
                            const void *output, size_t output_element_size,
                            ptrdiff_t output_row_stride, ptrdiff_t output_stride, size_t rows,
                            size_t n, size_t output_n)
{
    return check_strided(input, input_element_size, input_row_stride, input_stride, output,
                         output_element_size, output_row_stride, output_stride, rows, n,
                         output_n, 0);
}

int psm_check_side_input(const void *input, ptrdiff_t row_stride, ptrdiff_t stride, size_t rows,
                         size_t n, size_t element_size, const void *output,
                         ptrdiff_t output_row_stride, ptrdiff_t output_stride, size_t output_n,
                         size_t output_element_size)
{
    ptrdiff_t in_low, in_high, out_low, out_high;
    if (!element_span(row_stride, stride, rows, n, element_size, &in_low, &in_high) ||
        !element_span(output_row_stride, output_stride, rows, output_n, output_element_size,
                      &out_low, &out_high))
        return PSM_E_SIZE_OVERFLOW;
    if (rows == 0 || n == 0)
        return PSM_OK;
    if (input == NULL)
        return PSM_E_NULL_POINTER;
    if (output == NULL || output_n == 0)
        return PSM_OK;
    {
        intptr_t in_start = (intptr_t)input, out_start = (intptr_t)output;
        if (in_start + in_low < out_start + out_high && out_start + out_low < in_start + in_high)
            return PSM_E_OVERLAP;
    }
    return PSM_OK;
}

int psm_first_status(int a, int b)
{
    static const int order[] = {PSM_E_SIZE_OVERFLOW, PSM_E_NULL_POINTER, PSM_E_STRIDE,
                                PSM_E_OVERLAP, PSM_E_TEMPERATURE};
    size_t k;
    for (k = 0; k < sizeof order / sizeof order[0]; k++)
        if (a == order[k] || b == order[k])
            return order[k];
    return a != PSM_OK ? a : b;
}

int psm_check_temperature(double temperature)
{
    /* isnan first: an ordered comparison with NaN would raise FE_INVALID in
     * the caller's flags. */
    if (isnan(temperature) || temperature < 0.0)
        return PSM_E_TEMPERATURE;
    return PSM_OK;
}
