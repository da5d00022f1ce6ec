/*
 * test_stress.c -- thread-safety stress test: 8 threads, released together
 * by a barrier, call every function of the ABI at once -- the six
 * contiguous and six strided kernels (softmax, log_softmax, logsumexp;
 * float32 and float64), in place and not, and psm_strerror, psm_version,
 * psm_version_number and psm_isa -- on the same shared, read-only inputs,
 * each into its own outputs.  Every result must be bit-identical to the one
 * computed by a single thread beforehand.
 *
 * The jobs cover every kernel path: contiguous rows, strided rows gathered
 * (reversed, padded), rows side by side (the kernel across rows), a row
 * broadcast to every row (input row stride 0), a long row (online chunks
 * past 1024 entries and past the 4096-entry gather buffer), special values
 * in some rows and the temperature rules (0, inf).  Half of the threads run
 * with flush-to-zero and denormals-are-zero set (the floating-point
 * environment is per thread: the library must switch it off for its own
 * call only), and every thread checks that its exception flags are as it
 * left them.
 *
 * Run plainly by ctest, and under ThreadSanitizer by
 * tests/test_c_hardening.py (-DPSM_TSAN=ON): the kernels are chosen in a
 * load-time constructor and nothing else is shared, so it must be clean.
 * Without POSIX threads it is skipped (exit 77).  `test_stress N` runs N
 * iterations instead of 6.
 */
#if defined(PSM_TEST_HAVE_PTHREADS)
#define _POSIX_C_SOURCE 200112L
#endif

#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psm_test.h"
#include "pysoftmax.h"

#if defined(PSM_TEST_HAVE_PTHREADS)
#include <pthread.h>

#if defined(__SSE2__) || defined(__x86_64__)
#include <xmmintrin.h>
#define STRESS_HAS_MXCSR 1
#endif

#define THREADS 8
static int iterations = 6; /* argv[1] may say fewer (valgrind runs one) */
#define ROWS 24
#define N 300
#define LONG_N 5000
/* The most elements a job writes (PADDED: rows of N + 3). */
#define MAX_OUT (ROWS * (N + 3) > LONG_N ? ROWS * (N + 3) : LONG_N)

enum { SOFTMAX, LOG_SOFTMAX, LOGSUMEXP };
enum {
    CONTIGUOUS,
    IN_PLACE,       /* contiguous, y == x (a private copy of the input) */
    REVERSED,       /* strided: rows and entries backwards */
    PADDED,         /* strided: row stride N + 3, x and y */
    SIDE_BY_SIDE,   /* strided: the transposed input (row stride 1): the kernel across rows */
    BROADCAST,      /* strided: every row is row 5 of x (row stride 0) */
    LONG_ROW        /* contiguous: one row of LONG_N */
};

typedef struct {
    int f64;
    int function;
    int layout;
    double temperature;
    float temperature32; /* rounded once, here: the conversion raises FE_INEXACT */
} job;

static float x32[ROWS * N], xt32[ROWS * N], long32[LONG_N];
static double x64[ROWS * N], xt64[ROWS * N], long64[LONG_N];

#define MAX_JOBS 128
static job jobs[MAX_JOBS];
static size_t job_count = 0;
static unsigned char *expected[MAX_JOBS];

static size_t job_rows(const job *j)
{
    return j->layout == LONG_ROW ? 1 : ROWS;
}

static size_t job_n(const job *j)
{
    return j->layout == LONG_ROW ? LONG_N : N;
}

/* Elements of the output buffer a job writes (and compares). */
static size_t job_outputs(const job *j)
{
    if (j->function == LOGSUMEXP)
        return j->layout == PADDED ? 2 * job_rows(j) : job_rows(j);
    return j->layout == PADDED ? ROWS * (N + 3) : job_rows(j) * job_n(j);
}

/* Runs one job into `out` (job_outputs elements, zeroed by the caller);
 * `scratch` holds a private copy of the input for the in-place jobs. */
static int run_job(const job *j, void *out, void *scratch)
{
    const size_t rows = job_rows(j), n = job_n(j);
    if (j->f64) {
        const double *x = j->layout == LONG_ROW ? long64 : j->layout == SIDE_BY_SIDE ? xt64 : x64;
        double *y = (double *)out;
        const double T = j->temperature;
        switch (j->layout) {
        case CONTIGUOUS:
        case LONG_ROW:
            return j->function == SOFTMAX       ? psm_softmax_f64(x, y, rows, n, T)
                   : j->function == LOG_SOFTMAX ? psm_log_softmax_f64(x, y, rows, n, T)
                                                : psm_logsumexp_f64(x, y, rows, n);
        case IN_PLACE: {
            double *s = (double *)scratch;
            int status;
            memcpy(s, x, sizeof x64);
            status = j->function == SOFTMAX       ? psm_softmax_f64(s, s, rows, n, T)
                     : j->function == LOG_SOFTMAX ? psm_log_softmax_f64(s, s, rows, n, T)
                                                  : psm_logsumexp_f64(s, s, rows, n);
            memcpy(y, s, job_outputs(j) * sizeof *y);
            return status;
        }
        case REVERSED: {
            const double *x0 = x + ROWS * N - 1;
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f64(x0, -N, -1, y + ROWS - 1, -1, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f64 : psm_log_softmax_strided_f64)(
                x0, -N, -1, y + ROWS * N - 1, -N, -1, rows, n, T);
        }
        case PADDED: /* input rows of N read with stride 1 from rows N apart; outputs padded */
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f64(x, N, 1, y, 2, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f64 : psm_log_softmax_strided_f64)(
                x, N, 1, y, N + 3, 1, rows, n, T);
        case SIDE_BY_SIDE: /* xt is x transposed: entry i of row r at xt[i * ROWS + r] */
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f64(x, 1, ROWS, y, 1, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f64 : psm_log_softmax_strided_f64)(
                x, 1, ROWS, y, 1, ROWS, rows, n, T);
        default: /* BROADCAST */
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f64(x + 5 * N, 0, 1, y, 1, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f64 : psm_log_softmax_strided_f64)(
                x + 5 * N, 0, 1, y, N, 1, rows, n, T);
        }
    } else {
        const float *x = j->layout == LONG_ROW ? long32 : j->layout == SIDE_BY_SIDE ? xt32 : x32;
        float *y = (float *)out;
        const float T = j->temperature32;
        switch (j->layout) {
        case CONTIGUOUS:
        case LONG_ROW:
            return j->function == SOFTMAX       ? psm_softmax_f32(x, y, rows, n, T)
                   : j->function == LOG_SOFTMAX ? psm_log_softmax_f32(x, y, rows, n, T)
                                                : psm_logsumexp_f32(x, y, rows, n);
        case IN_PLACE: {
            float *s = (float *)scratch;
            int status;
            memcpy(s, x, sizeof x32);
            status = j->function == SOFTMAX       ? psm_softmax_f32(s, s, rows, n, T)
                     : j->function == LOG_SOFTMAX ? psm_log_softmax_f32(s, s, rows, n, T)
                                                  : psm_logsumexp_f32(s, s, rows, n);
            memcpy(y, s, job_outputs(j) * sizeof *y);
            return status;
        }
        case REVERSED: {
            const float *x0 = x + ROWS * N - 1;
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f32(x0, -N, -1, y + ROWS - 1, -1, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f32 : psm_log_softmax_strided_f32)(
                x0, -N, -1, y + ROWS * N - 1, -N, -1, rows, n, T);
        }
        case PADDED:
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f32(x, N, 1, y, 2, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f32 : psm_log_softmax_strided_f32)(
                x, N, 1, y, N + 3, 1, rows, n, T);
        case SIDE_BY_SIDE:
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f32(x, 1, ROWS, y, 1, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f32 : psm_log_softmax_strided_f32)(
                x, 1, ROWS, y, 1, ROWS, rows, n, T);
        default:
            if (j->function == LOGSUMEXP)
                return psm_logsumexp_strided_f32(x + 5 * N, 0, 1, y, 1, rows, n);
            return (j->function == SOFTMAX ? psm_softmax_strided_f32 : psm_log_softmax_strided_f32)(
                x + 5 * N, 0, 1, y, N, 1, rows, n, T);
        }
    }
}

static void add_job(int f64, int function, int layout, double temperature)
{
    if (job_count == MAX_JOBS) {
        printf("too many jobs\n");
        exit(2);
    }
    jobs[job_count].f64 = f64;
    jobs[job_count].function = function;
    jobs[job_count].layout = layout;
    jobs[job_count].temperature = temperature;
    jobs[job_count].temperature32 = (float)temperature;
    job_count++;
}

static void make_jobs(void)
{
    static const double temperatures[5] = {1.0, 0.37, 6.5, 0.0, INFINITY};
    int f64, function, layout;
    size_t t;
    for (f64 = 0; f64 < 2; f64++)
        for (function = SOFTMAX; function <= LOGSUMEXP; function++)
            for (layout = CONTIGUOUS; layout <= LONG_ROW; layout++) {
                size_t count = function == LOGSUMEXP ? 1 : layout == CONTIGUOUS ? 5 : 2;
                for (t = 0; t < count; t++)
                    add_job(f64, function, layout, temperatures[t]);
            }
}

static void make_inputs(void)
{
    psm_rng rng = psm_rng_seed(7);
    size_t r, i;
    for (r = 0; r < ROWS; r++)
        for (i = 0; i < N; i++) {
            double v = 12.0 * psm_rng_normalish(&rng);
            if (r == 2 && i % 7 == 0)
                v = -INFINITY;
            if (r == 4 && i % 90 == 3)
                v = INFINITY;
            if (r == 6 && i == 150)
                v = NAN;
            if (r == 8)
                v = -INFINITY;
            if (r == 10)
                v = 3e4 + psm_rng_normalish(&rng);
            if (r == 12)
                v = -700.0 * psm_rng_uniform(&rng); /* subnormal outputs */
            x64[r * N + i] = v;
            x32[r * N + i] = (float)v;
            xt64[i * ROWS + r] = v;
            xt32[i * ROWS + r] = (float)v;
        }
    for (i = 0; i < LONG_N; i++) {
        /* Rising, so that the online max of the long-row path moves. */
        double v = 0.01 * (double)i + 4.0 * psm_rng_normalish(&rng);
        long64[i] = v;
        long32[i] = (float)v;
    }
}

/* A barrier from a mutex and a condition (pthread_barrier_t is optional in
 * POSIX and missing on some systems). */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_open = PTHREAD_COND_INITIALIZER;
static int gate_waiting = 0;

static void wait_at_gate(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_waiting++;
    if (gate_waiting == THREADS)
        pthread_cond_broadcast(&gate_open);
    while (gate_waiting < THREADS)
        pthread_cond_wait(&gate_open, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

typedef struct {
    int index;
    long calls;
    long mismatches;
    long bad_status;
    long flag_changes;
    long other_failures;
    const char *isa;
    const char *version;
} thread_report;

static thread_report reports[THREADS];

static void *worker(void *argument)
{
    thread_report *me = (thread_report *)argument;
    size_t bytes = MAX_OUT * sizeof(double);
    unsigned char *out = (unsigned char *)malloc(bytes);
    unsigned char *scratch = (unsigned char *)malloc(sizeof x64);
    int iteration;
    size_t k;
    if (out == NULL || scratch == NULL) {
        me->other_failures++;
        free(out);
        free(scratch);
        return NULL;
    }
#if defined(STRESS_HAS_MXCSR)
    if (me->index % 2 == 1) /* flush-to-zero and denormals-are-zero in this thread */
        _mm_setcsr(_mm_getcsr() | 0x8040u);
#endif
    /* Flags of this thread's own, which no call may change. */
    feclearexcept(FE_ALL_EXCEPT);
    if (me->index % 4 == 2)
        feraiseexcept(FE_INEXACT);
    wait_at_gate();
    for (iteration = 0; iteration < iterations; iteration++) {
        for (k = 0; k < job_count; k++) {
            /* Each thread walks the jobs in its own order, so that different
             * functions overlap in time. */
            size_t which = (k * 7 + (size_t)me->index * 13 + (size_t)iteration * 5) % job_count;
            const job *j = &jobs[which];
            size_t size = j->f64 ? sizeof(double) : sizeof(float);
            int before = fetestexcept(FE_ALL_EXCEPT), status;
            memset(out, 0, job_outputs(j) * size);
            status = run_job(j, out, scratch);
            if (fetestexcept(FE_ALL_EXCEPT) != before)
                me->flag_changes++;
            if (status != PSM_OK)
                me->bad_status++;
            else if (memcmp(out, expected[which], job_outputs(j) * size) != 0)
                me->mismatches++;
            me->calls++;
            /* The functions without arrays, in between. */
            if (strcmp(psm_strerror((int)(k % 7) - 5), "") == 0 ||
                strcmp(psm_version(), me->version) != 0 ||
                psm_version_number() != PSM_VERSION_NUMBER || strcmp(psm_isa(), me->isa) != 0)
                me->other_failures++;
        }
    }
    free(out);
    free(scratch);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[THREADS];
    static unsigned char scratch[sizeof x64];
    const char *isa = psm_isa(), *version = psm_version();
    int t, started = 0;
    size_t k;

    if (argc > 1 && atoi(argv[1]) > 0)
        iterations = atoi(argv[1]);
    make_inputs();
    make_jobs();
    for (k = 0; k < job_count; k++) {
        size_t size = jobs[k].f64 ? sizeof(double) : sizeof(float);
        int status;
        expected[k] = (unsigned char *)calloc(job_outputs(&jobs[k]), size);
        if (expected[k] == NULL) {
            printf("out of memory\n");
            return 2;
        }
        status = run_job(&jobs[k], expected[k], scratch);
        CHECK(status == PSM_OK, "job %lu (f64 %d, function %d, layout %d): status %d",
              (unsigned long)k, jobs[k].f64, jobs[k].function, jobs[k].layout, status);
    }
    for (t = 0; t < THREADS; t++) {
        reports[t].index = t;
        reports[t].isa = isa;
        reports[t].version = version;
    }
    for (t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], NULL, worker, &reports[t]) != 0) {
            CHECK(0, "pthread_create failed for thread %d", t);
            break;
        }
        started++;
    }
    if (started < THREADS) {
        /* The gate would never open: nothing more can be tested. */
        printf("only %d of %d threads started\n", started, THREADS);
        return 1;
    }
    for (t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    for (t = 0; t < started; t++) {
        const thread_report *r = &reports[t];
        CHECK(r->calls == (long)iterations * (long)job_count, "thread %d made %ld of %ld calls",
              t, r->calls, (long)iterations * (long)job_count);
        CHECK(r->mismatches == 0, "thread %d: %ld results differ from the single-threaded ones", t,
              r->mismatches);
        CHECK(r->bad_status == 0, "thread %d: %ld calls failed", t, r->bad_status);
        CHECK(r->flag_changes == 0, "thread %d: %ld calls changed its exception flags", t,
              r->flag_changes);
        CHECK(r->other_failures == 0, "thread %d: %ld failures of strerror/version/isa", t,
              r->other_failures);
    }
    printf("test_stress: %d threads x %d iterations x %lu jobs (kernels %s)\n", THREADS,
           iterations, (unsigned long)job_count, isa);
    for (k = 0; k < job_count; k++)
        free(expected[k]);
    return psm_test_finish("test_stress");
}

#else /* no pthreads */

int main(void)
{
    printf("test_stress: skipped, built without POSIX threads\n");
    return 77;
}

#endif
