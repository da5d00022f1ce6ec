/*
 * test_threads.c -- "No global state, no allocation: any number of threads
 * may call any function at once, on different outputs."  8 threads call the
 * six kernels concurrently, many times, on shared read-only inputs, each into
 * its own outputs; every result must be bit-identical to the one computed
 * single-threaded beforehand.  Where there are no POSIX threads the test is
 * skipped (exit 77).
 */
#if defined(PSM_TEST_HAVE_PTHREADS)
#define _POSIX_C_SOURCE 200112L
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pysoftmax.h"
#include "psm_test.h"

#if defined(PSM_TEST_HAVE_PTHREADS)
#include <pthread.h>

#define THREADS 8
#define ROWS 24
#define N 257
#define ITERATIONS 30
#define KERNELS 6

static float input32[ROWS * N];
static double input64[ROWS * N];
static const double temperatures[3] = {0.37, 1.0, 6.5};

/* Outputs of kernel k for temperature index ti: single-threaded reference,
 * and one per thread.  logsumexp uses only the first ROWS elements. */
typedef struct {
    float f32[KERNELS][3][ROWS * N];
    double f64[KERNELS][3][ROWS * N];
    int failures;
} results;

static results expected;
static results per_thread[THREADS];

static int run_kernel(int kernel, size_t ti, results *out)
{
    const double temperature = temperatures[ti];
    switch (kernel) {
    case 0:
        return psm_softmax_f32(input32, out->f32[0][ti], ROWS, N, (float)temperature);
    case 1:
        return psm_log_softmax_f32(input32, out->f32[1][ti], ROWS, N, (float)temperature);
    case 2:
        return psm_logsumexp_f32(input32, out->f32[2][ti], ROWS, N);
    case 3:
        return psm_softmax_f64(input64, out->f64[3][ti], ROWS, N, temperature);
    case 4:
        return psm_log_softmax_f64(input64, out->f64[4][ti], ROWS, N, temperature);
    default:
        return psm_logsumexp_f64(input64, out->f64[5][ti], ROWS, N);
    }
}

static int same_result(int kernel, size_t ti, const results *a, const results *b)
{
    size_t count = (kernel == 2 || kernel == 5) ? ROWS : (size_t)ROWS * N;
    if (kernel < 3)
        return memcmp(a->f32[kernel][ti], b->f32[kernel][ti], count * sizeof(float)) == 0;
    return memcmp(a->f64[kernel][ti], b->f64[kernel][ti], count * sizeof(double)) == 0;
}

static void *worker(void *argument)
{
    results *mine = (results *)argument;
    size_t thread = (size_t)(mine - per_thread);
    int iteration, kernel;
    size_t ti;
    for (iteration = 0; iteration < ITERATIONS; iteration++) {
        /* Each thread walks the kernels in its own order, so that different
         * kernels really overlap in time. */
        for (kernel = 0; kernel < KERNELS; kernel++) {
            int k = (kernel + (int)thread + iteration) % KERNELS;
            for (ti = 0; ti < 3; ti++) {
                memset(mine->f32[k][ti], 0, sizeof mine->f32[k][ti]);
                memset(mine->f64[k][ti], 0, sizeof mine->f64[k][ti]);
                if (run_kernel(k, ti, mine) != PSM_OK || !same_result(k, ti, mine, &expected))
                    mine->failures++;
            }
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    psm_rng rng = psm_rng_seed(99);
    size_t i, ti;
    int kernel, t, started = 0;

    for (i = 0; i < (size_t)ROWS * N; i++) {
        double v = 15.0 * psm_rng_normalish(&rng);
        /* Special values in some rows: every rule runs concurrently too. */
        if (i / N == 3 && i % 5 == 0)
            v = -INFINITY;
        if (i / N == 5 && i % 50 == 0)
            v = INFINITY;
        if (i / N == 7 && i % N == 100)
            v = NAN;
        if (i / N == 9)
            v = 1e4 + psm_rng_normalish(&rng);
        input64[i] = v;
        input32[i] = (float)v;
    }
    for (kernel = 0; kernel < KERNELS; kernel++)
        for (ti = 0; ti < 3; ti++)
            CHECK(run_kernel(kernel, ti, &expected) == PSM_OK, "single-threaded kernel %d failed",
                  kernel);

    for (t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], NULL, worker, &per_thread[t]) != 0) {
            CHECK(0, "pthread_create failed for thread %d", t);
            break;
        }
        started++;
    }
    for (t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    for (t = 0; t < started; t++)
        CHECK(per_thread[t].failures == 0,
              "thread %d: %d kernel calls differed from the single-threaded results", t,
              per_thread[t].failures);
    CHECK(started == THREADS, "only %d of %d threads started", started, THREADS);
    return psm_test_finish("test_threads");
}

#else /* no pthreads */

int main(void)
{
    printf("test_threads: skipped, built without POSIX threads\n");
    return 77;
}

#endif
