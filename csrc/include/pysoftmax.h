/*
 * pysoftmax.h -- the whole public C ABI of libpysoftmax.
 *
 * Numerically stable softmax, log-softmax and logsumexp, with a temperature,
 * for float32 and float64 (and float16 and bfloat16, computed in float32:
 * see their section).  Every output of softmax and log_softmax is within
 * 2 ULP of the correctly rounded exact value, for any finite input and any
 * row length; logsumexp is within 2 ULP of max(|max(x)|, log(sum exp(x - max))).
 *
 * Conventions shared by every function
 * ------------------------------------
 * - `x` holds `rows` contiguous rows of `n` values; each row is reduced on
 *   its own.  Outputs have the same layout (logsumexp: one value per row).
 * - In place is allowed: `y == x`.  Any other overlap of `x` and `y` is
 *   rejected with PSM_E_OVERLAP.
 * - The return value is a status: PSM_OK (0) or a negative PSM_E_* code.
 *   On error nothing has been written to the output.
 * - Pointers may be NULL only when the array they point to is empty.
 * - No global state, no allocation: any number of threads may call any
 *   function at once, on different outputs.
 * - Identifiers beginning with psm_ or PSM_ are the library's: the static
 *   library also defines internal psm_* symbols (the shared one exports only
 *   the functions below).
 * - The caller's floating-point exception flags are left as they were.
 * - The accuracy promise assumes the default rounding mode, to nearest
 *   (another mode stays within a few ULP but is not what was promised).
 *
 * Special values (one row):
 *   any NaN               -> softmax, log_softmax all NaN;   logsumexp NaN
 *   k entries +inf        -> 1/k there, 0 elsewhere (log: -log k, -inf); +inf
 *   all entries -inf      -> all NaN;                        logsumexp -inf
 *   some entries -inf     -> 0 there (log: -inf);            finite
 *   n == 0                -> nothing written;                logsumexp -inf
 * (The sampler, psm_sample_*, has rules of its own: see its section.)
 * Temperature T: the exact softmax of x / T.  T == 0 is the limit (one-hot
 * spread evenly over the maximal entries), T == +inf the uniform
 * distribution over the entries that are not -inf.  T < 0 or NaN is
 * PSM_E_TEMPERATURE.
 *
 * ABI stability: names, signatures and status values below never change
 * meaning within a major version; new functions are only ever added.
 */
#ifndef PYSOFTMAX_H_INCLUDED
#define PYSOFTMAX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define PSM_VERSION_MAJOR 0
#define PSM_VERSION_MINOR 2
#define PSM_VERSION_PATCH 0
/* MAJOR * 10000 + MINOR * 100 + PATCH, to compare versions in #if. */
#define PSM_VERSION_NUMBER (PSM_VERSION_MAJOR * 10000 + PSM_VERSION_MINOR * 100 + PSM_VERSION_PATCH)

/* PSM_API marks exported functions.  It stands on a line of its own above
 * each declaration so that the declarations stay parseable as they are by
 * FFI generators (cffi reads this header). */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(PSM_BUILDING_LIBRARY) && !defined(PSM_STATIC)
#    define PSM_API __declspec(dllexport)
#  elif !defined(PSM_STATIC)
#    define PSM_API __declspec(dllimport)
#  else
#    define PSM_API
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define PSM_API __attribute__((visibility("default")))
#else
#  define PSM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes.  Values are fixed forever; -1 to -99 is the stable range. */
enum psm_status {
    PSM_OK = 0,
    PSM_E_NULL_POINTER = -1,    /* a pointer is NULL but its array is not empty */
    PSM_E_TEMPERATURE = -2,     /* temperature is negative or NaN */
    PSM_E_SIZE_OVERFLOW = -3,   /* rows * n * sizeof(element) exceeds PTRDIFF_MAX */
    PSM_E_OVERLAP = -4,         /* x and y overlap without being equal */
    PSM_E_STRIDE = -5,          /* output strides make two outputs share an element */
    PSM_E_NO_DISTRIBUTION = -6  /* sampling: a row holds NaN, is empty or is all -inf */
};

/* Softmax of each row of x divided by `temperature` (1 for the plain softmax).
 * @param x            rows * n input values (row-major)
 * @param y            rows * n outputs; may equal x
 * @param rows         number of independent rows
 * @param n            length of each row
 * @param temperature  T >= 0, +inf allowed
 * @return PSM_OK or a PSM_E_* status (nothing written on error) */
PSM_API
int psm_softmax_f32(const float *x, float *y, size_t rows, size_t n, float temperature);
PSM_API
int psm_softmax_f64(const double *x, double *y, size_t rows, size_t n, double temperature);

/* Log of the softmax of each row of x divided by `temperature`, computed as
 * (x - max)/T - log(sum exp((x - max)/T)) so that no digit is lost.
 * Same parameters and rules as psm_softmax_f32/f64. */
PSM_API
int psm_log_softmax_f32(const float *x, float *y, size_t rows, size_t n, float temperature);
PSM_API
int psm_log_softmax_f64(const double *x, double *y, size_t rows, size_t n, double temperature);

/* log(sum(exp(x))) of each row, as max + log1p(sum of the others' exp).
 * @param x     rows * n input values
 * @param out   `rows` outputs, one per row; may equal x (row r's result
 *              then overwrites x[r] after rows 0..r have been read), must
 *              not overlap x otherwise
 * @return PSM_OK or a PSM_E_* status (nothing written on error) */
PSM_API
int psm_logsumexp_f32(const float *x, float *out, size_t rows, size_t n);
PSM_API
int psm_logsumexp_f64(const double *x, double *out, size_t rows, size_t n);

/* Strided variants, for rows that are not contiguous (a reduced axis that is
 * not the last, a transposed or sliced array) without a copy.  Entry i of row
 * r is x[r * x_row_stride + i * x_stride], and likewise for y; strides count
 * elements, not bytes, and may be negative; an input stride may be 0.
 * y may be x with the same strides (in place); any other overlap of the
 * memory spans of x and y is PSM_E_OVERLAP.  Output strides under which two
 * outputs would share an element are PSM_E_STRIDE.  A span that does not fit
 * in PTRDIFF_MAX bytes is PSM_E_SIZE_OVERFLOW.  Otherwise the same rules,
 * results and accuracy as the contiguous functions. */
PSM_API
int psm_softmax_strided_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride, float *y,
                            ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows, size_t n,
                            float temperature);
PSM_API
int psm_softmax_strided_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride, double *y,
                            ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows, size_t n,
                            double temperature);
PSM_API
int psm_log_softmax_strided_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                float *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows,
                                size_t n, float temperature);
PSM_API
int psm_log_softmax_strided_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                double *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows,
                                size_t n, double temperature);
/* out[r * out_stride] = logsumexp of row r; out must not overlap x. */
PSM_API
int psm_logsumexp_strided_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                              float *out, ptrdiff_t out_stride, size_t rows, size_t n);
PSM_API
int psm_logsumexp_strided_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                              double *out, ptrdiff_t out_stride, size_t rows, size_t n);

/* ---- Masks and per-row temperatures (added in 0.2.0) ----
 * The general form of each function: strided rows as in the *_strided
 * functions, an optional mask, and one temperature per row.
 * @param where        NULL (every entry included), or one byte per entry,
 *                     laid out with its own strides (in bytes, which are its
 *                     elements): entry i of row r is included when
 *                     where[r * where_row_stride + i * where_stride] != 0.
 *                     Masked entries are left out of the row: softmax gives
 *                     0 there (log_softmax -inf) whatever they hold, NaN
 *                     included; a row with no included entry gives all 0
 *                     (log_softmax all -inf; logsumexp -inf), not NaN.  A NaN
 *                     in an included entry still makes its row NaN.
 * @param temperatures the temperature of row r is
 *                     temperatures[r * temperature_stride] (stride 0: one
 *                     temperature for every row); each must be >= 0 (+inf
 *                     allowed), else PSM_E_TEMPERATURE before anything is
 *                     written.
 * Neither the mask nor the temperatures may overlap the output
 * (PSM_E_OVERLAP).  Otherwise the same rules, results and accuracy as the
 * strided functions: with where == NULL and temperature_stride == 0 they are
 * psm_softmax_strided_* with temperature temperatures[0]. */
PSM_API
int psm_softmax_general_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                            const unsigned char *where, ptrdiff_t where_row_stride,
                            ptrdiff_t where_stride, const float *temperatures,
                            ptrdiff_t temperature_stride, float *y, ptrdiff_t y_row_stride,
                            ptrdiff_t y_stride, size_t rows, size_t n);
PSM_API
int psm_softmax_general_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                            const unsigned char *where, ptrdiff_t where_row_stride,
                            ptrdiff_t where_stride, const double *temperatures,
                            ptrdiff_t temperature_stride, double *y, ptrdiff_t y_row_stride,
                            ptrdiff_t y_stride, size_t rows, size_t n);
PSM_API
int psm_log_softmax_general_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                const unsigned char *where, ptrdiff_t where_row_stride,
                                ptrdiff_t where_stride, const float *temperatures,
                                ptrdiff_t temperature_stride, float *y, ptrdiff_t y_row_stride,
                                ptrdiff_t y_stride, size_t rows, size_t n);
PSM_API
int psm_log_softmax_general_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                const unsigned char *where, ptrdiff_t where_row_stride,
                                ptrdiff_t where_stride, const double *temperatures,
                                ptrdiff_t temperature_stride, double *y, ptrdiff_t y_row_stride,
                                ptrdiff_t y_stride, size_t rows, size_t n);
/* logsumexp over the included entries of each row (where may be NULL);
 * out[r * out_stride] for row r; out must not overlap x or where. */
PSM_API
int psm_logsumexp_general_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                              const unsigned char *where, ptrdiff_t where_row_stride,
                              ptrdiff_t where_stride, float *out, ptrdiff_t out_stride,
                              size_t rows, size_t n);
PSM_API
int psm_logsumexp_general_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                              const unsigned char *where, ptrdiff_t where_row_stride,
                              ptrdiff_t where_stride, double *out, ptrdiff_t out_stride,
                              size_t rows, size_t n);

/* ---- Weighted logsumexp (added in 0.2.0) ----
 * out[r * out_stride] = log|sum_i b_i exp(x_i)| over row r, and, when sign
 * is not NULL, sign[r * sign_stride] = the sum's sign (1 or -1; 0 for a sum
 * that is empty or cancels exactly, then out is -inf; NaN with a NaN out).
 * Weights may be negative: every term and the sum are double-doubles, the
 * exponentials good to about 2^-55.5, so out is within the logsumexp bound
 * of the exact value plus about c 2^-55, c = sum |terms| / |sum| the factor
 * by which the terms cancel (docs/c-api.md).  Without sign (NULL), a negative
 * sum gives NaN.
 * Terms with b == 0 or x == -inf are left out whatever the other holds (b
 * is also a mask); a NaN among the others gives NaN; infinite terms (x ==
 * +inf or |b| == inf) decide alone: +inf with their sign, NaN if their signs
 * differ.  b has x's shape with its own strides; out and sign must not
 * overlap x, b or each other (PSM_E_OVERLAP).  n == 0: -inf, sign 0. */
PSM_API
int psm_logsumexp_weighted_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                               const float *b, ptrdiff_t b_row_stride, ptrdiff_t b_stride,
                               float *out, ptrdiff_t out_stride, float *sign,
                               ptrdiff_t sign_stride, size_t rows, size_t n);
PSM_API
int psm_logsumexp_weighted_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                               const double *b, ptrdiff_t b_row_stride, ptrdiff_t b_stride,
                               double *out, ptrdiff_t out_stride, double *sign,
                               ptrdiff_t sign_stride, size_t rows, size_t n);

/* ---- Sampling ----
 * Draw one index per row from softmax(x / temperature), as an LLM decoder
 * does, by the Gumbel-max trick: the index of the largest
 *   key[i] = (x[i] - max) / T + g(seed, row, i)
 * (for T > 1 computed as (x[i]/2 - max/2) / (T/2), which cannot overflow),
 * with g Gumbel noise that depends only on (seed, row, column): Philox4x32-10
 * of the position under the seed, then -log(-log(u)) by a logarithm made of
 * IEEE operations only, so that any implementation gets the same bits
 * (docs/sampling.md gives every step).  No normalization pass is made.
 *   T == 0           the first maximal index (greedy decoding), no noise
 *   T == +inf        uniform over the entries that are not -inf
 *   k entries +inf   uniform over them (for T == 0: the first of them)
 * Ties between keys go to the lower index.  A row that holds a NaN, that has
 * no entry above -inf, or that is empty (n == 0 with rows > 0) has no
 * distribution to draw from: PSM_E_NO_DISTRIBUTION, and nothing is written.
 * @param x            rows * n logits (row-major), read only
 * @param rows, n      as for psm_softmax_f32
 * @param temperature  T >= 0, +inf allowed (PSM_E_TEMPERATURE otherwise)
 * @param seed         any 64-bit value; the same seed gives the same draws
 * @param indices      `rows` outputs: the index in [0, n) drawn in each row;
 *                     must not overlap x
 * @return PSM_OK or a PSM_E_* status (nothing written on error), checked in
 *         the order SIZE_OVERFLOW, NULL_POINTER, OVERLAP, TEMPERATURE,
 *         NO_DISTRIBUTION */
PSM_API
int psm_sample_f32(const float *x, size_t rows, size_t n, float temperature, uint64_t seed,
                   int64_t *indices);
PSM_API
int psm_sample_f64(const double *x, size_t rows, size_t n, double temperature, uint64_t seed,
                   int64_t *indices);

/* The same on strided rows (entry i of row r at x[r * x_row_stride +
 * i * x_stride], strides in elements, any sign, 0 allowed), with the rows
 * numbered from `first_row`: row r of the call draws with the noise of row
 * first_row + r (mod 2^64), so that a caller who splits the rows into
 * blocks (threads, processes, Dask chunks) draws what one call over all of
 * them would.  The contiguous functions are first_row = 0. */
PSM_API
int psm_sample_strided_f32(const float *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                           size_t rows, size_t n, float temperature, uint64_t seed,
                           uint64_t first_row, int64_t *indices);
PSM_API
int psm_sample_strided_f64(const double *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                           size_t rows, size_t n, double temperature, uint64_t seed,
                           uint64_t first_row, int64_t *indices);

/* The Gumbel noise g(seed, row, column) that the sampler adds: finite, in
 * [-3.61, 36.74], the same bits on every platform.  For reimplementations
 * of the generator (and their tests). */
PSM_API
double psm_sample_noise(uint64_t seed, uint64_t row, uint64_t column);
/* ---- Backward functions (vector-Jacobian products) ------------------------
 * Given y, the output of the forward function on x with temperature T, and
 * dy, the gradient of a loss with respect to y, write dx, its gradient with
 * respect to x (what an autograd backward pass needs; y and dy have the
 * layout of x, one row per reduced row):
 *   softmax:      dx = y * (dy - sum(dy * y)) / T
 *   log_softmax:  dx = (dy - exp(y) * sum(dy)) / T
 * Finite gradients: the entries where y == 0 (softmax; -inf entries and
 * underflowed probabilities) or y == -inf (log_softmax) get dx = +0
 * exactly and are left out of the sums, so that a NaN or an infinity of dy
 * there never reaches the row (nothing is multiplied by 0).  Elsewhere NaN
 * and infinities propagate as IEEE arithmetic on the formulas does (a NaN
 * row of a forward pass gives a NaN row).  T == 0 and T == +inf give
 * dx = +0 everywhere: the limits are locally constant in x.  T < 0 or NaN
 * is PSM_E_TEMPERATURE.
 * Accuracy: float32 is computed in double, float64 in double-double (the
 * sums compensated), rounded once: dx is within 1 ULP of the exact value of
 * the formula for the given y, dy and T unless dy - sum(dy * y)
 * (dy - exp(y) * sum(dy)) cancels digits; a cancellation by c costs at
 * most about c * 2^-24 ULP in float32, c * 2^-45 in float64 softmax and
 * c / 4 in float64 log_softmax (its exp(y) is good to 2^-55).  Known
 * exceptions at the edges of double's range, float64 only (csrc/fuzz/
 * README.md, D10-D12, open): a row whose dy spans more than 2^1022 loses
 * the smallest entries' own terms; log_softmax takes exp(y) as 0 below
 * y = -1000 even where exp(y) * sum(dy) is representable; softmax with
 * T far below 1 and products dy * y below 2^-1022 keeps about 29 bits.
 * In place: dx may equal dy, or y (same strides); any other overlap of dx
 * with y or dy is PSM_E_OVERLAP.  y and dy may overlap each other.
 * Statuses, in the order checked: PSM_E_SIZE_OVERFLOW, PSM_E_NULL_POINTER,
 * (strided, general: PSM_E_STRIDE,) PSM_E_OVERLAP, PSM_E_TEMPERATURE; nothing
 * is written on error.  The strided variants follow the conventions of the
 * forward ones (strides in elements, any sign, 0 allowed for y and dy). */
PSM_API
int psm_softmax_backward_f32(const float *y, const float *dy, float *dx, size_t rows, size_t n,
                             float temperature);
PSM_API
int psm_softmax_backward_f64(const double *y, const double *dy, double *dx, size_t rows,
                             size_t n, double temperature);
PSM_API
int psm_log_softmax_backward_f32(const float *y, const float *dy, float *dx, size_t rows,
                                 size_t n, float temperature);
PSM_API
int psm_log_softmax_backward_f64(const double *y, const double *dy, double *dx, size_t rows,
                                 size_t n, double temperature);
PSM_API
int psm_softmax_backward_strided_f32(const float *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                     const float *dy, ptrdiff_t dy_row_stride,
                                     ptrdiff_t dy_stride, float *dx, ptrdiff_t dx_row_stride,
                                     ptrdiff_t dx_stride, size_t rows, size_t n,
                                     float temperature);
PSM_API
int psm_softmax_backward_strided_f64(const double *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                     const double *dy, ptrdiff_t dy_row_stride,
                                     ptrdiff_t dy_stride, double *dx, ptrdiff_t dx_row_stride,
                                     ptrdiff_t dx_stride, size_t rows, size_t n,
                                     double temperature);
PSM_API
int psm_log_softmax_backward_strided_f32(const float *y, ptrdiff_t y_row_stride,
                                         ptrdiff_t y_stride, const float *dy,
                                         ptrdiff_t dy_row_stride, ptrdiff_t dy_stride, float *dx,
                                         ptrdiff_t dx_row_stride, ptrdiff_t dx_stride,
                                         size_t rows, size_t n, float temperature);
PSM_API
int psm_log_softmax_backward_strided_f64(const double *y, ptrdiff_t y_row_stride,
                                         ptrdiff_t y_stride, const double *dy,
                                         ptrdiff_t dy_row_stride, ptrdiff_t dy_stride,
                                         double *dx, ptrdiff_t dx_row_stride,
                                         ptrdiff_t dx_stride, size_t rows, size_t n,
                                         double temperature);

/* One temperature per row, as the general forward functions take them:
 * row r's is temperatures[r * temperature_stride] (stride 0: one for every
 * row), each >= 0 (+inf allowed) else PSM_E_TEMPERATURE before anything is
 * written; the temperatures must not overlap dx (PSM_E_OVERLAP); a row at
 * T == 0 or +inf gets +0.  The forward functions' masks need nothing here:
 * their masked entries have y == 0 (log_softmax -inf), which the rule above
 * leaves out, and a row with nothing included gets +0. */
PSM_API
int psm_softmax_backward_general_f32(const float *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                     const float *dy, ptrdiff_t dy_row_stride, ptrdiff_t dy_stride,
                                     const float *temperatures, ptrdiff_t temperature_stride,
                                     float *dx, ptrdiff_t dx_row_stride, ptrdiff_t dx_stride,
                                     size_t rows, size_t n);
PSM_API
int psm_softmax_backward_general_f64(const double *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                     const double *dy, ptrdiff_t dy_row_stride,
                                     ptrdiff_t dy_stride, const double *temperatures,
                                     ptrdiff_t temperature_stride, double *dx,
                                     ptrdiff_t dx_row_stride, ptrdiff_t dx_stride, size_t rows,
                                     size_t n);
PSM_API
int psm_log_softmax_backward_general_f32(const float *y, ptrdiff_t y_row_stride,
                                         ptrdiff_t y_stride, const float *dy,
                                         ptrdiff_t dy_row_stride, ptrdiff_t dy_stride,
                                         const float *temperatures, ptrdiff_t temperature_stride,
                                         float *dx, ptrdiff_t dx_row_stride, ptrdiff_t dx_stride,
                                         size_t rows, size_t n);
PSM_API
int psm_log_softmax_backward_general_f64(const double *y, ptrdiff_t y_row_stride,
                                         ptrdiff_t y_stride, const double *dy,
                                         ptrdiff_t dy_row_stride, ptrdiff_t dy_stride,
                                         const double *temperatures, ptrdiff_t temperature_stride,
                                         double *dx, ptrdiff_t dx_row_stride, ptrdiff_t dx_stride,
                                         size_t rows, size_t n);

/* ---- float16 and bfloat16 (added in 0.2.0) ----
 * The 16-bit formats travel as their bit patterns in uint16_t (C99 has no
 * 16-bit floating type): `_f16` is IEEE 754 binary16 (5 exponent bits, 10
 * fraction bits), `_bf16` is bfloat16 (the top half of a float: 8 and 7).
 * Each value is widened exactly to float and computed by the float32
 * functions, whose float result is rounded to the 16-bit format (to
 * nearest, ties to even, with subnormals; overflow to inf; NaN stays NaN):
 * every output within 1 ULP of the 16-bit format of the exact value, most
 * of them correctly rounded (the 2-ULP promise holds with room).  Rows of
 * more than 4096 entries take the exact scalar method instead, which rounds
 * once, from double, to the 16-bit format; they are several times slower.
 * The rows are widened a few at a time in a buffer on the stack: nothing is
 * allocated.  The temperature is a float, as for float32: the results are
 * those of x / T with that T.
 * Same parameters, rules, statuses and special values as the float32
 * functions above, with uint16_t in place of float for x and y; in place
 * (y == x) is allowed.  The strided variants take the same strides, in
 * elements (of two bytes). */
PSM_API
int psm_softmax_f16(const uint16_t *x, uint16_t *y, size_t rows, size_t n, float temperature);
PSM_API
int psm_softmax_bf16(const uint16_t *x, uint16_t *y, size_t rows, size_t n, float temperature);
PSM_API
int psm_log_softmax_f16(const uint16_t *x, uint16_t *y, size_t rows, size_t n,
                        float temperature);
PSM_API
int psm_log_softmax_bf16(const uint16_t *x, uint16_t *y, size_t rows, size_t n,
                         float temperature);
PSM_API
int psm_logsumexp_f16(const uint16_t *x, uint16_t *out, size_t rows, size_t n);
PSM_API
int psm_logsumexp_bf16(const uint16_t *x, uint16_t *out, size_t rows, size_t n);
PSM_API
int psm_softmax_strided_f16(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                            uint16_t *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows,
                            size_t n, float temperature);
PSM_API
int psm_softmax_strided_bf16(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                             uint16_t *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows,
                             size_t n, float temperature);
PSM_API
int psm_log_softmax_strided_f16(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                uint16_t *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                size_t rows, size_t n, float temperature);
PSM_API
int psm_log_softmax_strided_bf16(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                 uint16_t *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                 size_t rows, size_t n, float temperature);
PSM_API
int psm_logsumexp_strided_f16(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                              uint16_t *out, ptrdiff_t out_stride, size_t rows, size_t n);
PSM_API
int psm_logsumexp_strided_bf16(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                               uint16_t *out, ptrdiff_t out_stride, size_t rows, size_t n);

/* float16 or bfloat16 in, float32 out: bit for bit what the float32
 * functions give for the float widening of x, at any row length, without a
 * float copy of x (softmax and log_softmax widen x into y and compute there;
 * logsumexp widens a few rows at a time on the stack).  The output must not
 * overlap the input at all: y == x is PSM_E_OVERLAP, as in place means
 * nothing across element sizes.  Otherwise the same rules as above; the
 * output strides count floats. */
PSM_API
int psm_softmax_f16_f32(const uint16_t *x, float *y, size_t rows, size_t n, float temperature);
PSM_API
int psm_softmax_bf16_f32(const uint16_t *x, float *y, size_t rows, size_t n, float temperature);
PSM_API
int psm_log_softmax_f16_f32(const uint16_t *x, float *y, size_t rows, size_t n,
                            float temperature);
PSM_API
int psm_log_softmax_bf16_f32(const uint16_t *x, float *y, size_t rows, size_t n,
                             float temperature);
PSM_API
int psm_logsumexp_f16_f32(const uint16_t *x, float *out, size_t rows, size_t n);
PSM_API
int psm_logsumexp_bf16_f32(const uint16_t *x, float *out, size_t rows, size_t n);
PSM_API
int psm_softmax_strided_f16_f32(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                float *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride, size_t rows,
                                size_t n, float temperature);
PSM_API
int psm_softmax_strided_bf16_f32(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                 float *y, ptrdiff_t y_row_stride, ptrdiff_t y_stride,
                                 size_t rows, size_t n, float temperature);
PSM_API
int psm_log_softmax_strided_f16_f32(const uint16_t *x, ptrdiff_t x_row_stride,
                                    ptrdiff_t x_stride, float *y, ptrdiff_t y_row_stride,
                                    ptrdiff_t y_stride, size_t rows, size_t n,
                                    float temperature);
PSM_API
int psm_log_softmax_strided_bf16_f32(const uint16_t *x, ptrdiff_t x_row_stride,
                                     ptrdiff_t x_stride, float *y, ptrdiff_t y_row_stride,
                                     ptrdiff_t y_stride, size_t rows, size_t n,
                                     float temperature);
PSM_API
int psm_logsumexp_strided_f16_f32(const uint16_t *x, ptrdiff_t x_row_stride, ptrdiff_t x_stride,
                                  float *out, ptrdiff_t out_stride, size_t rows, size_t n);
PSM_API
int psm_logsumexp_strided_bf16_f32(const uint16_t *x, ptrdiff_t x_row_stride,
                                   ptrdiff_t x_stride, float *out, ptrdiff_t out_stride,
                                   size_t rows, size_t n);

/* A static, human-readable message for a status; "unknown status" for any
 * value that is not a PSM status.  Never NULL. */
PSM_API
const char *psm_strerror(int status);

/* The library's version as "MAJOR.MINOR.PATCH" (static storage).  Compare it
 * with the PSM_VERSION_* macros to tell the header from the library. */
PSM_API
const char *psm_version(void);

/* The library's version as PSM_VERSION_NUMBER would give it. */
PSM_API
int psm_version_number(void);

/* The instruction set the kernels run with in this process: "baseline",
 * "avx2" or "avx512" (static storage).  Chosen once, when the library is
 * loaded: the best one the processor supports, or the one the environment
 * variable PSM_ISA names if the processor supports it.  Every variant meets
 * the same accuracy promise; their results may differ in the last bit. */
PSM_API
const char *psm_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* PYSOFTMAX_H_INCLUDED */
