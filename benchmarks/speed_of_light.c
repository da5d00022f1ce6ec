/*
 * speed_of_light.c -- how fast can a float32 softmax be on this machine?
 *
 * Times, in one process and interleaved, one thread each:
 *   copy      memcpy of the input into a preallocated output;
 *   minimal   the fewest operations a float32 softmax can do: torch's design
 *             (a float exp of ~1-2 ULP, a float sum, a float reciprocal),
 *             vectorized by the compiler for the machine it is built on;
 *             NOT within pysoftmax's 2-ULP bound (nor meant to be);
 *   pysoftmax psm_softmax_f32, within 2 ULP,
 * on float32 4096x1024, 64x32000 and 1x4000000, and prints each time and its
 * ratio to the copy.  The performance issue's float32 one-thread bars ask for
 * 1.5x torch's speed; torch's CPU kernel is the minimal design above, so if
 * `minimal` is not 1.5x faster than torch (benchmarks/bench.py gives torch's
 * time over the copy), no kernel of that structure meets the bar here.
 *
 * Build (after the CMake build of the library in build/):
 *   cc -O3 -march=native -mprefer-vector-width=512 -fno-trapping-math \
 *      -std=c99 -D_POSIX_C_SOURCE=199309L -Icsrc/include \
 *      benchmarks/speed_of_light.c build/libpysoftmax.a -lm -lpthread \
 *      -o speed_of_light && ./speed_of_light
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pysoftmax.h"

#define LANES 16
#define ROUNDS 30

static double seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* exp(z) for z <= 0, float arithmetic only: Cody-Waite reduction, a
 * degree-6 polynomial, 2^k through the exponent bits (about 1-2 ULP). */
static float minimal_exp(float z)
{
    const float shifter = 0x1.8p23f;
    float t, k, r, p;
    uint32_t bits, k_bits;
    z = z < -87.0f ? -87.0f : z;
    t = z * 0x1.715476p0f + shifter;
    k = t - shifter;
    r = z - k * 0x1.62e43p-1f;
    r = r - k * -0x1.05c610p-29f;
    p = 0x1.6850e4p-10f;
    p = p * r + 0x1.123bccp-7f;
    p = p * r + 0x1.555b98p-5f;
    p = p * r + 0x1.55540ap-3f;
    p = p * r + 0x1.fffff6p-2f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    memcpy(&bits, &p, sizeof bits);
    memcpy(&k_bits, &t, sizeof k_bits);
    bits += k_bits << 23;
    memcpy(&p, &bits, sizeof p);
    return p;
}

/* max; e_i into y and their sum; y_i *= 1/sum: three passes, 16 lanes. */
static void minimal_softmax_row(const float *restrict x, float *restrict y, size_t n)
{
    float maxima[LANES], sums[LANES], max, sum, inverse;
    size_t i, j;
    for (j = 0; j < LANES; j++) {
        maxima[j] = -INFINITY;
        sums[j] = 0.0f;
    }
    for (i = 0; i + LANES <= n; i += LANES)
        for (j = 0; j < LANES; j++)
            maxima[j] = x[i + j] > maxima[j] ? x[i + j] : maxima[j];
    for (j = 0; i < n; i++, j++)
        maxima[j] = x[i] > maxima[j] ? x[i] : maxima[j];
    for (max = maxima[0], j = 1; j < LANES; j++)
        max = maxima[j] > max ? maxima[j] : max;
    for (i = 0; i + LANES <= n; i += LANES)
        for (j = 0; j < LANES; j++) {
            y[i + j] = minimal_exp(x[i + j] - max);
            sums[j] += y[i + j];
        }
    for (j = 0; i < n; i++, j++) {
        y[i] = minimal_exp(x[i] - max);
        sums[j] += y[i];
    }
    for (sum = 0.0f, j = 0; j < LANES; j++)
        sum += sums[j];
    inverse = 1.0f / sum;
    for (i = 0; i < n; i++)
        y[i] *= inverse;
}

static void measure(size_t rows, size_t n)
{
    size_t total = rows * n, i, r;
    float *x = malloc(total * sizeof *x), *y = malloc(total * sizeof *y);
    double best[3] = {INFINITY, INFINITY, INFINITY};
    int round;
    if (x == NULL || y == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    srand(1);
    for (i = 0; i < total; i++) /* uniform on [-9, 9]: about bench.py's 3 x normal */
        x[i] = (float)(18.0 * rand() / RAND_MAX - 9.0);
    memset(y, 0, total * sizeof *y);
    for (round = 0; round < ROUNDS; round++) {
        double start = seconds();
        memcpy(y, x, total * sizeof *x);
        best[0] = fmin(best[0], seconds() - start);
        start = seconds();
        for (r = 0; r < rows; r++)
            minimal_softmax_row(x + r * n, y + r * n, n);
        best[1] = fmin(best[1], seconds() - start);
        start = seconds();
        if (psm_softmax_f32(x, y, rows, n, 1.0f) != PSM_OK) {
            fprintf(stderr, "psm_softmax_f32 failed\n");
            exit(1);
        }
        best[2] = fmin(best[2], seconds() - start);
    }
    printf("| float32 %zux%zu | %.3f ms | %.3f ms (%.2fx) | %.3f ms (%.2fx) |\n", rows, n,
           best[0] * 1e3, best[1] * 1e3, best[1] / best[0], best[2] * 1e3, best[2] / best[0]);
    free(x);
    free(y);
}

int main(void)
{
    printf("pysoftmax %s, %s kernels; best of %d interleaved rounds, 1 thread\n\n",
           psm_version(), psm_isa(), ROUNDS);
    printf("| case | copy | minimal float32 softmax (x copy) | pysoftmax (x copy) |\n");
    printf("|---|---:|---:|---:|\n");
    measure(4096, 1024);
    measure(64, 32000);
    measure(1, 4000000);
    return 0;
}
