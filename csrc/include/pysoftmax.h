/*
 * pysoftmax.h -- the whole public C ABI of libpysoftmax.
 *
 * Numerically stable softmax, log-softmax and logsumexp, with a temperature,
 * for float32 and float64.  Every output of softmax and log_softmax is within
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

#define PSM_VERSION_MAJOR 0
#define PSM_VERSION_MINOR 1
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
    PSM_E_STRIDE = -5           /* output strides make two outputs share an element */
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
 * c / 4 in float64 log_softmax (its exp(y) is good to 2^-55).
 * In place: dx may equal dy, or y (same strides); any other overlap of dx
 * with y or dy is PSM_E_OVERLAP.  y and dy may overlap each other.
 * Statuses, in the order checked: PSM_E_SIZE_OVERFLOW, PSM_E_NULL_POINTER,
 * (strided: PSM_E_STRIDE,) PSM_E_OVERLAP, PSM_E_TEMPERATURE; nothing is
 * written on error.  The strided variants follow the conventions of the
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
