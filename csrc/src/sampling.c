/*
 * sampling.c -- psm_sample_*: one index per row drawn from softmax(x / T)
 * by the Gumbel-max trick, with the counter-based noise of
 * sampling_noise.h, so that a draw depends only on the logits, T, the seed
 * and the row's number.
 *
 * Per row: one scan for the maximum and its first index a; the key of a is
 * its noise (its z is 0); then the entries' z = (x - max) / T block by block,
 * and only for a block whose largest z + PSM_NOISE_GUMBEL_BOUND reaches the
 * best key so far is the noise computed (entries further below cannot win:
 * the result is that of the full argmax, at a fraction of the cost for
 * peaked logits).
 */
#include <math.h>
#include <stdint.h>

#include "arguments.h"
#include "float_environment.h"
#include "pysoftmax.h"
#include "sampling_noise.h"

/* Entry i of a row, widened to double. */
static double load(const void *row, int is_float, ptrdiff_t stride, size_t i)
{
    ptrdiff_t offset = (ptrdiff_t)i * stride;
    return is_float ? (double)((const float *)row)[offset] : ((const double *)row)[offset];
}

/* Whether a row has a distribution: no NaN, and some entry above -inf. */
static int row_is_drawable(const void *row, int is_float, ptrdiff_t stride, size_t n)
{
    int above_negative_infinity = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        double v = load(row, is_float, stride, i);
        if (isnan(v))
            return 0;
        above_negative_infinity |= v > -INFINITY;
    }
    return above_negative_infinity;
}

/* The first index of the largest noise over the selected entries: those
 * equal to +inf (selects_infinite) or all entries above -inf.  The row has
 * at least one of them. */
static int64_t draw_uniform(const void *row, int is_float, ptrdiff_t stride, size_t n,
                            int selects_infinite, uint64_t seed, uint64_t row_number)
{
    double noise[PSM_NOISE_BLOCK];
    unsigned char selected[PSM_NOISE_BLOCK];
    int64_t best = -1;
    double best_key = 0.0;
    size_t start, j, count;
    for (start = 0; start < n; start += count) {
        int any = 0;
        count = n - start < PSM_NOISE_BLOCK ? n - start : PSM_NOISE_BLOCK;
        for (j = 0; j < count; j++) {
            double v = load(row, is_float, stride, start + j);
            selected[j] = (unsigned char)(selects_infinite ? v == INFINITY : v > -INFINITY);
            any |= selected[j];
        }
        if (!any)
            continue;
        psm_noise_gumbel_block(seed, row_number, (uint64_t)start, count, noise);
        for (j = 0; j < count; j++)
            if (selected[j] && (best < 0 || noise[j] > best_key)) {
                best = (int64_t)(start + j);
                best_key = noise[j];
            }
    }
    return best;
}

/* The index drawn from one drawable row of n >= 1 entries.  The entries go
 * in blocks of PSM_NOISE_BLOCK; a block whose largest z cannot reach the
 * best key even with the largest noise is skipped without its noise. */
static int64_t draw_row(const void *row, int is_float, ptrdiff_t stride, size_t n,
                        double temperature, uint64_t seed, uint64_t row_number)
{
    double z[PSM_NOISE_BLOCK], noise[PSM_NOISE_BLOCK];
    double max = -INFINITY, best_key, half_max, half_temperature;
    size_t i, j, start, count, argmax = 0;
    int64_t best;
    for (i = 0; i < n; i++) {
        double v = load(row, is_float, stride, i);
        if (v > max) {
            max = v;
            argmax = i;
        }
    }
    if (max == INFINITY)
        return temperature == 0.0 ? (int64_t)argmax
                                  : draw_uniform(row, is_float, stride, n, 1, seed, row_number);
    if (temperature == 0.0)
        return (int64_t)argmax;
    if (temperature == INFINITY)
        return draw_uniform(row, is_float, stride, n, 0, seed, row_number);

    /* The first maximal entry's key (its z is 0) bounds the others from the start. */
    best = (int64_t)argmax;
    best_key = psm_noise_gumbel(seed, row_number, (uint64_t)argmax);
    half_max = 0.5 * max;
    half_temperature = 0.5 * temperature;
    for (start = 0; start < n; start += count) {
        double top = -INFINITY;
        count = n - start < PSM_NOISE_BLOCK ? n - start : PSM_NOISE_BLOCK;
        for (j = 0; j < count; j++) {
            double v = load(row, is_float, stride, start + j);
            /* For T > 1 the halves: (x - max) may overflow, (x - max) / T not;
             * halving is exact here, so the two forms agree wherever both
             * are finite.  -inf entries get z = -inf, and never win. */
            z[j] = temperature > 1.0 ? (0.5 * v - half_max) / half_temperature
                                     : (v - max) / temperature;
            top = z[j] > top ? z[j] : top;
        }
        if (top + PSM_NOISE_GUMBEL_BOUND < best_key)
            continue;
        psm_noise_gumbel_block(seed, row_number, (uint64_t)start, count, noise);
        for (j = 0; j < count; j++) {
            double key = z[j] + noise[j];
            if (key > best_key || (key == best_key && (int64_t)(start + j) < best)) {
                best = (int64_t)(start + j);
                best_key = key;
            }
        }
    }
    return best;
}

static int sample_strided(const void *x, int is_float, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                          size_t rows, size_t n, double temperature, uint64_t seed,
                          uint64_t first_row, int64_t *indices)
{
    const char *base = (const char *)x;
    size_t element_size = is_float ? sizeof(float) : sizeof(double);
    size_t r;
    for (r = 0; r < rows; r++) {
        if (n == 0 || !row_is_drawable(base + (ptrdiff_t)r * x_row_stride * (ptrdiff_t)element_size,
                                       is_float, x_stride, n))
            return PSM_E_NO_DISTRIBUTION;
    }
    for (r = 0; r < rows; r++)
        indices[r] = draw_row(base + (ptrdiff_t)r * x_row_stride * (ptrdiff_t)element_size,
                              is_float, x_stride, n, temperature, seed, first_row + r);
    return PSM_OK;
}

/* The checks and the floating-point environment around sample_strided.
 * A float temperature is widened only once the caller's state is saved and
 * denormals-are-zero is off (a subnormal T would read as 0 otherwise). */
static int sample_checked(const void *x, int is_float, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                          size_t rows, size_t n, const float *temperature_f32,
                          double temperature_f64, uint64_t seed, uint64_t first_row,
                          int64_t *indices)
{
    psm_float_environment saved;
    double temperature;
    /* x is a side input of the indices (one per row): the spans, NULL x,
     * overlap; then NULL indices, which the side-input check lets pass. */
    int status = psm_check_side_input(x, x_row_stride, x_stride, rows, n,
                                      is_float ? sizeof(float) : sizeof(double), indices, 1, 0,
                                      1, sizeof(int64_t));
    if (status == PSM_OK && indices == NULL && rows != 0)
        status = PSM_E_NULL_POINTER;
    if (status != PSM_OK)
        return status;
    saved = psm_enter();
    if (temperature_f32 != NULL) {
        /* The volatile copy keeps the compiler from converting before psm_enter,
         * where the caller's DAZ would read a subnormal T as 0 (defect D1 of the
         * kernels, csrc/fuzz/README.md; row_kernels.inc does the same). */
        volatile float temperature_copy = *temperature_f32;
        temperature = (double)temperature_copy;
    } else {
        temperature = temperature_f64;
    }
    status = psm_check_temperature(temperature);
    if (status == PSM_OK && rows != 0)
        status = sample_strided(x, is_float, x_row_stride, x_stride, rows, n, temperature, seed,
                                first_row, indices);
    psm_leave(&saved);
    return status;
}

/* A contiguous row stride: n, or 0 for a single row (n may then exceed
 * PTRDIFF_MAX, which the span check reports). */
static ptrdiff_t contiguous_row_stride(size_t rows, size_t n)
{
    return rows > 1 && n <= (size_t)PTRDIFF_MAX ? (ptrdiff_t)n : 0;
}

int psm_sample_f32(const float *x, size_t rows, size_t n, float temperature, uint64_t seed,
                   int64_t *indices)
{
    if (rows > 1 && n > (size_t)PTRDIFF_MAX)
        return PSM_E_SIZE_OVERFLOW;
    return sample_checked(x, 1, contiguous_row_stride(rows, n), 1, rows, n, &temperature, 0.0,
                          seed, 0, indices);
}

int psm_sample_f64(const double *x, size_t rows, size_t n, double temperature, uint64_t seed,
                   int64_t *indices)
{
    if (rows > 1 && n > (size_t)PTRDIFF_MAX)
        return PSM_E_SIZE_OVERFLOW;
    return sample_checked(x, 0, contiguous_row_stride(rows, n), 1, rows, n, NULL, temperature,
                          seed, 0, indices);
}

int psm_sample_strided_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                           size_t rows, size_t n, float temperature, uint64_t seed,
                           uint64_t first_row, int64_t *indices)
{
    return sample_checked(x, 1, x_row_stride, x_stride, rows, n, &temperature, 0.0, seed,
                          first_row, indices);
}

int psm_sample_strided_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                           size_t rows, size_t n, double temperature, uint64_t seed,
                           uint64_t first_row, int64_t *indices)
{
    return sample_checked(x, 0, x_row_stride, x_stride, rows, n, NULL, temperature, seed,
                          first_row, indices);
}

double psm_sample_noise(uint64_t seed, uint64_t row, uint64_t column)
{
    psm_float_environment saved = psm_enter();
    /* volatile: the computation must happen before the flags are restored,
     * and a value that lives in a register could be computed after. */
    volatile double noise = psm_noise_gumbel(seed, row, column);
    psm_leave(&saved);
    return noise;
}
