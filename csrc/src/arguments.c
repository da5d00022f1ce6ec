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

int psm_check_arrays(const void *input, const void *output, size_t rows, size_t n,
                     size_t output_per_row, size_t element_size)
{
    int overflow = 0;
    size_t input_bytes = byte_count(rows, n, element_size, &overflow);
    size_t output_bytes = byte_count(rows, output_per_row, element_size, &overflow);
    uintptr_t in_start, out_start;
    if (overflow)
        return PSM_E_SIZE_OVERFLOW;
    if ((input == NULL && input_bytes != 0) || (output == NULL && output_bytes != 0))
        return PSM_E_NULL_POINTER;
    if (input == output || input_bytes == 0 || output_bytes == 0)
        return PSM_OK;
    in_start = (uintptr_t)input;
    out_start = (uintptr_t)output;
    if (in_start < out_start + output_bytes && out_start < in_start + input_bytes)
        return PSM_E_OVERLAP;
    return PSM_OK;
}

int psm_check_temperature(double temperature)
{
    /* isnan first: an ordered comparison with NaN would raise FE_INVALID in
     * the caller's flags. */
    if (isnan(temperature) || temperature < 0.0)
        return PSM_E_TEMPERATURE;
    return PSM_OK;
}
