/*
 * psm_test.h -- the little the C tests share: failure reporting, exact ULP
 * distances from bit patterns, and a deterministic PRNG.  Header-only, every
 * function static, so each test stays one C99 translation unit.
 */
#ifndef PSM_TEST_H
#define PSM_TEST_H

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pysoftmax.h"

/* ---------------------------------------------------------------- reporting */

static long psm_test_checks = 0;
static long psm_test_failures = 0;

/* Prints a failure (only the first 50 of them in full) and counts it. */
static inline int psm_test_check(int ok, const char *file, int line, const char *format, ...)
{
    psm_test_checks++;
    if (!ok) {
        psm_test_failures++;
        if (psm_test_failures <= 50) {
            va_list args;
            fprintf(stdout, "FAIL %s:%d: ", file, line);
            va_start(args, format);
            vfprintf(stdout, format, args);
            va_end(args);
            fputc('\n', stdout);
        } else if (psm_test_failures == 51) {
            fprintf(stdout, "(further failures are counted, not printed)\n");
        }
    }
    return ok;
}

/* CHECK(condition, printf-format, args...): the format is mandatory. */
#define CHECK(cond, ...) psm_test_check((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

/* The exit status of a test program: prints a summary line. */
static inline int psm_test_finish(const char *name)
{
    if (psm_test_failures != 0) {
        printf("%s: %ld of %ld checks FAILED\n", name, psm_test_failures, psm_test_checks);
        return 1;
    }
    printf("%s: all %ld checks passed\n", name, psm_test_checks);
    return 0;
}

/* ---------------------------------------------------------------- bits, ULPs */

static inline uint32_t psm_bits_f32(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline uint64_t psm_bits_f64(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/* The ULP distance between two floats: the number of representable values
 * between them, counted on the integer line where the bit patterns of
 * non-negative floats increase with the value and negative ones mirror them
 * (so +0 and -0 are the same point).  Both NaN: 0; one NaN: UINT64_MAX. */
static inline uint64_t psm_ulp_distance_f32(float a, float b)
{
    int64_t ka, kb;
    uint32_t ba = psm_bits_f32(a), bb = psm_bits_f32(b);
    if (isnan(a) || isnan(b))
        return (isnan(a) && isnan(b)) ? 0 : UINT64_MAX;
    ka = (ba & 0x80000000u) ? -(int64_t)(ba & 0x7fffffffu) : (int64_t)ba;
    kb = (bb & 0x80000000u) ? -(int64_t)(bb & 0x7fffffffu) : (int64_t)bb;
    return ka > kb ? (uint64_t)(ka - kb) : (uint64_t)(kb - ka);
}

static inline uint64_t psm_ulp_distance_f64(double a, double b)
{
    uint64_t ba = psm_bits_f64(a), bb = psm_bits_f64(b);
    uint64_t magnitude_a = ba & 0x7fffffffffffffffu, magnitude_b = bb & 0x7fffffffffffffffu;
    int negative_a = (ba >> 63) != 0, negative_b = (bb >> 63) != 0;
    if (isnan(a) || isnan(b))
        return (isnan(a) && isnan(b)) ? 0 : UINT64_MAX;
    if (negative_a == negative_b)
        return magnitude_a > magnitude_b ? magnitude_a - magnitude_b : magnitude_b - magnitude_a;
    /* Opposite signs: the distance passes through zero (cannot overflow
     * for finite values: each magnitude is below 2^63 - 2^52). */
    return magnitude_a + magnitude_b;
}

/* ---------------------------------------------------------------- PRNG */

/* xorshift64*: deterministic, platform-independent. */
typedef struct {
    uint64_t state;
} psm_rng;

static inline psm_rng psm_rng_seed(uint64_t seed)
{
    psm_rng rng;
    rng.state = seed ? seed : 0x9e3779b97f4a7c15u;
    return rng;
}

static inline uint64_t psm_rng_next(psm_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545f4914f6cdd1du;
}

/* Uniform in [0, 1), 53 random bits. */
static inline double psm_rng_uniform(psm_rng *rng)
{
    return (double)(psm_rng_next(rng) >> 11) * 0x1p-53;
}

/* Roughly standard normal (Irwin-Hall with 12 terms: mean 0, variance 1). */
static inline double psm_rng_normalish(psm_rng *rng)
{
    double sum = 0.0;
    int i;
    for (i = 0; i < 12; i++)
        sum += psm_rng_uniform(rng);
    return sum - 6.0;
}

/* An integer in [0, bound). */
static inline size_t psm_rng_below(psm_rng *rng, size_t bound)
{
    return (size_t)(psm_rng_next(rng) % (uint64_t)bound);
}

/* ------------------------------------------------------------------ dtypes */

/* The six kernels behind one signature per kind, so that a check can be
 * written once for float32 and float64.  (The float wrappers convert the
 * temperature to float, which can raise floating-point flags by itself.) */
typedef int (*normalize_fn)(const void *x, void *y, size_t rows, size_t n, double temperature);
typedef int (*reduce_fn)(const void *x, void *out, size_t rows, size_t n);

static inline int softmax_f32(const void *x, void *y, size_t rows, size_t n, double temperature)
{
    return psm_softmax_f32((const float *)x, (float *)y, rows, n, (float)temperature);
}
static inline int log_softmax_f32(const void *x, void *y, size_t rows, size_t n, double temperature)
{
    return psm_log_softmax_f32((const float *)x, (float *)y, rows, n, (float)temperature);
}
static inline int logsumexp_f32(const void *x, void *out, size_t rows, size_t n)
{
    return psm_logsumexp_f32((const float *)x, (float *)out, rows, n);
}
static inline int softmax_f64(const void *x, void *y, size_t rows, size_t n, double temperature)
{
    return psm_softmax_f64((const double *)x, (double *)y, rows, n, temperature);
}
static inline int log_softmax_f64(const void *x, void *y, size_t rows, size_t n, double temperature)
{
    return psm_log_softmax_f64((const double *)x, (double *)y, rows, n, temperature);
}
static inline int logsumexp_f64(const void *x, void *out, size_t rows, size_t n)
{
    return psm_logsumexp_f64((const double *)x, (double *)out, rows, n);
}

typedef struct {
    const char *name;
    size_t size;
    normalize_fn normalize[2]; /* softmax, log_softmax */
    reduce_fn logsumexp;
    double max_finite;
    double min_subnormal;
} dtype;

static const char *const normalize_names[2] = {"softmax", "log_softmax"};

static const dtype dtypes[2] = {
    {"f32", sizeof(float), {softmax_f32, log_softmax_f32}, logsumexp_f32, FLT_MAX, 0x1p-149},
    {"f64", sizeof(double), {softmax_f64, log_softmax_f64}, logsumexp_f64, DBL_MAX, 0x1p-1074},
};

static inline double get(const dtype *t, const void *buffer, size_t i)
{
    if (t->size == sizeof(float))
        return (double)((const float *)buffer)[i];
    return ((const double *)buffer)[i];
}

static inline void set(const dtype *t, void *buffer, size_t i, double value)
{
    if (t->size == sizeof(float))
        ((float *)buffer)[i] = (float)value;
    else
        ((double *)buffer)[i] = value;
}

/* A buffer of `count` elements, every one set to a sentinel value. */
static inline void *sentinel_buffer(const dtype *t, size_t count)
{
    void *buffer = malloc(count ? count * t->size : 1);
    size_t i;
    if (buffer == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    for (i = 0; i < count; i++)
        set(t, buffer, i, -12345.6875);
    return buffer;
}

/* The ULP distance of two values of the dtype (given widened to double). */
static inline uint64_t ulp_distance(const dtype *t, double a, double b)
{
    if (t->size == sizeof(float))
        return psm_ulp_distance_f32((float)a, (float)b);
    return psm_ulp_distance_f64(a, b);
}

static inline void *copy_buffer(const void *source, size_t bytes)
{
    void *copy = malloc(bytes ? bytes : 1);
    if (copy == NULL) {
        printf("out of memory\n");
        exit(2);
    }
    memcpy(copy, source, bytes);
    return copy;
}

#endif /* PSM_TEST_H */
