/*
 * psm_test.h -- the little the C tests share: failure reporting, exact ULP
 * distances from bit patterns, and a deterministic PRNG.  Header-only, every
 * function static, so each test stays one C99 translation unit.
 */
#ifndef PSM_TEST_H
#define PSM_TEST_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- reporting */

static long psm_test_checks = 0;
static long psm_test_failures = 0;

/* Prints a failure (only the first 50 of them in full) and counts it. */
static int psm_test_check(int ok, const char *file, int line, const char *format, ...)
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
static int psm_test_finish(const char *name)
{
    if (psm_test_failures != 0) {
        printf("%s: %ld of %ld checks FAILED\n", name, psm_test_failures, psm_test_checks);
        return 1;
    }
    printf("%s: all %ld checks passed\n", name, psm_test_checks);
    return 0;
}

/* ---------------------------------------------------------------- bits, ULPs */

static uint32_t psm_bits_f32(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static uint64_t psm_bits_f64(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static int psm_same_bits_f32(float a, float b)
{
    return psm_bits_f32(a) == psm_bits_f32(b);
}

static int psm_same_bits_f64(double a, double b)
{
    return psm_bits_f64(a) == psm_bits_f64(b);
}

/* The ULP distance between two floats: the number of representable values
 * between them, counted on the integer line where the bit patterns of
 * non-negative floats increase with the value and negative ones mirror them
 * (so +0 and -0 are the same point).  Both NaN: 0; one NaN: UINT64_MAX. */
static uint64_t psm_ulp_distance_f32(float a, float b)
{
    int64_t ka, kb;
    uint32_t ba = psm_bits_f32(a), bb = psm_bits_f32(b);
    if (isnan(a) || isnan(b))
        return (isnan(a) && isnan(b)) ? 0 : UINT64_MAX;
    ka = (ba & 0x80000000u) ? -(int64_t)(ba & 0x7fffffffu) : (int64_t)ba;
    kb = (bb & 0x80000000u) ? -(int64_t)(bb & 0x7fffffffu) : (int64_t)bb;
    return ka > kb ? (uint64_t)(ka - kb) : (uint64_t)(kb - ka);
}

static uint64_t psm_ulp_distance_f64(double a, double b)
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

static psm_rng psm_rng_seed(uint64_t seed)
{
    psm_rng rng;
    rng.state = seed ? seed : 0x9e3779b97f4a7c15u;
    return rng;
}

static uint64_t psm_rng_next(psm_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545f4914f6cdd1du;
}

/* Uniform in [0, 1), 53 random bits. */
static double psm_rng_uniform(psm_rng *rng)
{
    return (double)(psm_rng_next(rng) >> 11) * 0x1p-53;
}

/* Roughly standard normal (Irwin-Hall with 12 terms: mean 0, variance 1). */
static double psm_rng_normalish(psm_rng *rng)
{
    double sum = 0.0;
    int i;
    for (i = 0; i < 12; i++)
        sum += psm_rng_uniform(rng);
    return sum - 6.0;
}

/* An integer in [0, bound). */
static size_t psm_rng_below(psm_rng *rng, size_t bound)
{
    return (size_t)(psm_rng_next(rng) % (uint64_t)bound);
}

#endif /* PSM_TEST_H */
