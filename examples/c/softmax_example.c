/*
 * softmax_example.c -- the pysoftmax C API from a C99 program: the seed
 * tutorial's examples, a reduction over columns, and the error statuses.
 *
 * Build it against the installed library (`cmake --install build --prefix
 * PREFIX`, see docs/c-api.md); it needs nothing else, not even libm:
 *
 *   export PKG_CONFIG_PATH=PREFIX/lib/pkgconfig
 *   cc -std=c99 softmax_example.c $(pkg-config --cflags --libs pysoftmax) \
 *      -Wl,-rpath,PREFIX/lib -o softmax_example
 *   ./softmax_example
 *
 * Every result is printed as `label = [values]` with enough digits to read
 * the value back exactly (%.17g for double, %.9g for float).  The program
 * checks the claims it makes and exits with status 1 if a call fails or a
 * claim does not hold.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pysoftmax.h>

static int failures = 0;

/* A claim the example makes: printed and counted when it does not hold. */
static void claim(int holds, const char *what)
{
    if (!holds) {
        printf("CLAIM DOES NOT HOLD: %s\n", what);
        failures++;
    }
}

/* Whether a call succeeded; prints the status's message when it did not. */
static int succeeded(int status, const char *call)
{
    if (status == PSM_OK)
        return 1;
    printf("%s failed: %s (status %d)\n", call, psm_strerror(status), status);
    failures++;
    return 0;
}

static void print_f64(const char *label, const double *y, size_t count)
{
    size_t i;
    printf("%s = [", label);
    for (i = 0; i < count; i++)
        printf("%s%.17g", i ? ", " : "", y[i]);
    printf("]\n");
}

static void print_f32(const char *label, const float *y, size_t count)
{
    size_t i;
    printf("%s = [", label);
    for (i = 0; i < count; i++)
        printf("%s%.9g", i ? ", " : "", (double)y[i]);
    printf("]\n");
}

/* log(2) to 21 digits (the double nearest it), and the spacing of the
 * doubles in [512, 1024): the example needs no libm of its own. */
#define LN_2 0.693147180559945309417
#define ULP_OF_1000 0x1p-43

int main(void)
{
    char header_version[32];

    /* ---- the version: header (compile time) and library (run time) */
    snprintf(header_version, sizeof header_version, "%d.%d.%d", PSM_VERSION_MAJOR, PSM_VERSION_MINOR, PSM_VERSION_PATCH);
    printf("pysoftmax %s (header %s), kernels: %s\n", psm_version(), header_version, psm_isa());
    claim(strcmp(psm_version(), header_version) == 0, "the library is the header's version");
    claim(psm_version_number() == PSM_VERSION_NUMBER, "psm_version_number() == PSM_VERSION_NUMBER");

    /* ---- 1. overflow: exp(10000) is inf, yet softmax is [0, 0, 1, 0] */
    {
        const double x[4] = {10, 2, 10000, 4};
        double y[4];
        if (succeeded(psm_softmax_f64(x, y, 1, 4, 1.0), "psm_softmax_f64")) {
            print_f64("softmax([10, 2, 10000, 4])", y, 4);
            claim(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 0, "softmax is [0, 0, 1, 0]");
        }
    }

    /* ---- 2. the max shift: softmax(x) == softmax(x + 1e6) */
    {
        const double x[4] = {10, 2, 40, 4};
        double shifted[4], y[4], y_shifted[4];
        int i;
        for (i = 0; i < 4; i++)
            shifted[i] = x[i] + 1e6;
        if (succeeded(psm_softmax_f64(x, y, 1, 4, 1.0), "psm_softmax_f64") &&
            succeeded(psm_softmax_f64(shifted, y_shifted, 1, 4, 1.0), "psm_softmax_f64")) {
            print_f64("softmax([10, 2, 40, 4])", y, 4);
            print_f64("softmax([10, 2, 40, 4] + 1e6)", y_shifted, 4);
            claim(memcmp(y, y_shifted, sizeof y) == 0, "the shift changes no bit");
        }
    }

    /* ---- 3. log-softmax keeps the digits of the largest entry (float32, in place) */
    {
        float x[3] = {0, -30, -40};
        if (succeeded(psm_log_softmax_f32(x, x, 1, 3, 1.0f), "psm_log_softmax_f32")) {
            print_f32("log_softmax(float32 [0, -30, -40])", x, 3);
            claim(x[0] < 0 && x[0] > -1e-13f, "the first entry is about -9.358e-14, not 0");
        }
    }

    /* ---- 4. logsumexp: max + log1p(sum of the others' exp) */
    {
        const double x[2] = {1000, 1000};
        double out;
        if (succeeded(psm_logsumexp_f64(x, &out, 1, 2), "psm_logsumexp_f64")) {
            printf("logsumexp([1000, 1000]) = %.17g   (1000 + log(2) = %.17g)\n", out,
                   1000 + LN_2);
            claim(out - (1000 + LN_2) <= 2 * ULP_OF_1000 && (1000 + LN_2) - out <= 2 * ULP_OF_1000,
                  "it is 1000 + log(2), within 2 ULP");
        }
    }

    /* ---- 5. temperature: softmax(x / T) for "The boy ___ to the market" */
    {
        static const char *const words[4] = {"goes", "go", "went", "comes"};
        static const char *const labels[5] = {"0.001", "1", "100", "0", "inf"};
        const double logits[4] = {38, 20, 40, 39};
        const double temperatures[5] = {0.001, 1, 100, 0, INFINITY};
        double y[4];
        char label[64];
        int t, i;
        for (t = 0; t < 5; t++) {
            if (!succeeded(psm_softmax_f64(logits, y, 1, 4, temperatures[t]), "psm_softmax_f64"))
                continue;
            snprintf(label, sizeof label, "softmax([38, 20, 40, 39], T=%s)", labels[t]);
            print_f64(label, y, 4);
            printf("   ");
            for (i = 0; i < 4; i++)
                printf(" %s=%.4f", words[i], y[i]);
            printf("\n");
        }
        /* The limits, exactly: T = 0 is the argmax, T = inf the uniform distribution. */
        if (succeeded(psm_softmax_f64(logits, y, 1, 4, 0.0), "psm_softmax_f64"))
            claim(y[0] == 0 && y[1] == 0 && y[2] == 1 && y[3] == 0, "T = 0 gives [0, 0, 1, 0]");
        if (succeeded(psm_softmax_f64(logits, y, 1, 4, INFINITY), "psm_softmax_f64"))
            claim(y[0] == 0.25 && y[1] == 0.25 && y[2] == 0.25 && y[3] == 0.25,
                  "T = inf gives [0.25, 0.25, 0.25, 0.25]");
    }

    /* ---- 6. another axis: softmax down the columns of a 2 x 3 matrix, no copy.
     * Row r of the call is column r of the matrix: entry i of it is
     * m[r * 1 + i * 3] (strides in elements). */
    {
        const double m[2][3] = {{1, 2, 3}, {4, 5, 6}};
        double y[2][3];
        if (succeeded(psm_softmax_strided_f64(&m[0][0], 1, 3, &y[0][0], 1, 3, 3, 2, 1.0),
                      "psm_softmax_strided_f64")) {
            print_f64("softmax([[1, 2, 3], [4, 5, 6]], axis=0)", &y[0][0], 6);
            claim(y[0][0] == y[0][1] && y[0][1] == y[0][2] && y[1][0] == y[1][2],
                  "every column is [1, 4] shifted, so every column has the same softmax");
        }
    }

    /* ---- 7. errors: a status, a message, and nothing written */
    {
        double x[3] = {1, 2, 3};
        double y[3] = {-1, -1, -1};
        int status = psm_softmax_f64(x, y, 1, 3, -1.0);
        printf("psm_softmax_f64(temperature -1) = %d: %s\n", status, psm_strerror(status));
        claim(status == PSM_E_TEMPERATURE, "a negative temperature is PSM_E_TEMPERATURE");
        claim(y[0] == -1 && y[1] == -1 && y[2] == -1, "nothing is written on error");
        status = psm_softmax_f64(x, x + 1, 1, 2, 1.0);
        printf("psm_softmax_f64(y = x + 1) = %d: %s\n", status, psm_strerror(status));
        claim(status == PSM_E_OVERLAP, "an output that overlaps the input is PSM_E_OVERLAP");
        status = psm_logsumexp_f64(NULL, y, 1, 3);
        printf("psm_logsumexp_f64(x = NULL) = %d: %s\n", status, psm_strerror(status));
        claim(status == PSM_E_NULL_POINTER, "NULL for a non-empty array is PSM_E_NULL_POINTER");
    }

    if (failures != 0) {
        printf("example: %d FAILURES\n", failures);
        return 1;
    }
    printf("example: OK\n");
    return 0;
}
