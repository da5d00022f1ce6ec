/*
 * arguments.h -- the checks every public function makes before it reads or
 * writes anything.  Internal.
 */
#ifndef PSM_ARGUMENTS_H
#define PSM_ARGUMENTS_H

#include <stddef.h>

/* PSM_OK, or the status for the first problem found with an input of
 * `input_count` elements and an output of `output_count` elements, each
 * `element_size` bytes: a size whose byte count exceeds PTRDIFF_MAX, a NULL
 * pointer to a non-empty array, or an output that overlaps the input
 * without being equal to it.  The counts are given as rows and per-row
 * lengths so that their product is checked here too. */
int psm_check_arrays(const void *input, const void *output, size_t rows, size_t n,
                     size_t output_per_row, size_t element_size);

/* The strided functions' checks: PSM_E_SIZE_OVERFLOW if a span exceeds
 * PTRDIFF_MAX bytes, PSM_E_NULL_POINTER, PSM_E_STRIDE if two outputs share an
 * element, PSM_E_OVERLAP if the spans of input and output overlap (unless
 * they are the same array with the same strides).  The output has `rows`
 * rows of `output_n` entries (1 for logsumexp, with output_stride 0). */
int psm_check_strided(const void *input, ptrdiff_t input_row_stride, ptrdiff_t input_stride,
                      const void *output, ptrdiff_t output_row_stride, ptrdiff_t output_stride,
                      size_t rows, size_t n, size_t output_n, size_t element_size);

/* The checks of a second, read-only input (a mask, the per-row
 * temperatures) of `rows` x `n` elements of `element_size` bytes:
 * PSM_E_SIZE_OVERFLOW if its span exceeds PTRDIFF_MAX bytes, PSM_E_NULL_POINTER
 * if it is NULL but not empty, PSM_E_OVERLAP if its span overlaps the output's
 * (as psm_check_strided describes the output, output_element_size bytes each):
 * the output is written while the input is still being read. */
int psm_check_side_input(const void *input, ptrdiff_t row_stride, ptrdiff_t stride, size_t rows,
                         size_t n, size_t element_size, const void *output,
                         ptrdiff_t output_row_stride, ptrdiff_t output_stride, size_t output_n,
                         size_t output_element_size);

/* The same checks for an output whose elements differ in size from the
 * input's (16-bit values in, float out): sizes and spans counted with each
 * array's own element size, and an output equal to the input is an overlap
 * (PSM_E_OVERLAP) too, as in place means nothing across element sizes. */
int psm_check_arrays_mixed(const void *input, size_t input_element_size, const void *output,
                           size_t output_element_size, size_t rows, size_t n,
                           size_t output_per_row);
int psm_check_strided_mixed(const void *input, size_t input_element_size,
                            ptrdiff_t input_row_stride, ptrdiff_t input_stride,
                            const void *output, size_t output_element_size,
                            ptrdiff_t output_row_stride, ptrdiff_t output_stride, size_t rows,
                            size_t n, size_t output_n);

/* Of two statuses, the one the documented order reports first:
 * PSM_E_SIZE_OVERFLOW, PSM_E_NULL_POINTER, PSM_E_STRIDE, PSM_E_OVERLAP,
 * PSM_E_TEMPERATURE.  A function that checks several pairs of arrays
 * combines their statuses with it, so that the order holds over all of its
 * arguments, not only within each pair. */
int psm_first_status(int a, int b);

/* PSM_OK, or PSM_E_TEMPERATURE for a negative or NaN temperature. */
int psm_check_temperature(double temperature);

#endif /* PSM_ARGUMENTS_H */
