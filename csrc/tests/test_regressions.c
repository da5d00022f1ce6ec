/*
 * test_regressions.c -- problems of the library found while writing the C
 * tests, kept as regression tests.  Each case is a separate CTest test (the
 * case name is the program's argument).
 *
 *   nan_temperature_flags    psm_check_temperature (csrc/src/arguments.c)
 *       used `!(temperature >= 0.0)`, an ordered comparison that raises
 *       FE_INVALID for a quiet NaN (x86-64: comisd): a call rejected with
 *       PSM_E_TEMPERATURE changed the caller's exception flags, against
 *       "The caller's floating-point exception flags are left as they were".
 *
 *   huge_temperature         psm_two_product (csrc/src/double_double.h),
 *       through psm_dd_div from psm_shifted (row_numerics.h): without
 *       FP_FAST_FMA, Veltkamp splitting computes 134217729.0 * T, which
 *       overflows for T > DBL_MAX / (2^27 + 1) ~ 2^997: float64 softmax
 *       returned all 0 and log_softmax all NaN for such temperatures.
 *
 *   overflowing_difference   psm_shifted (row_numerics.h): when x - max
 *       overflows (float64, x = -1e308 with max = 1e308) the entry was taken
 *       as -inf, but for T > 1 the exact (x - max) / T is finite:
 *       log_softmax returned -inf instead of about (x - max) / T.
 *
 *   subnormal_temperature    psm_two_product / psm_dd_div: with a subnormal
 *       float64 temperature the partial products of the splitting
 *       underflowed, and the division's correction term, divided by T again,
 *       was wrong by up to order 1 in z = (x - max) / T: relative errors
 *       around 3e-8 (2e8 ULP).
 */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pysoftmax.h"
#include "psm_test.h"

static int nan_temperature_flags(void)
{
    static const double x64[4] = {1.0, 2.0, 3.0, 4.0};
    static const float x32[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    static double y64[4];
    static float y32[4];
    /* Read through volatile: no NaN arithmetic of the test's own between
     * clearing the flags and testing them. */
    static volatile double nan64_source = NAN;
    static volatile float nan32_source = NAN;
    const double nan64 = nan64_source;
    const float nan32 = nan32_source;
    int status, flags;

    feclearexcept(FE_ALL_EXCEPT);
    status = psm_softmax_f64(x64, y64, 1, 4, nan64);
    flags = fetestexcept(FE_ALL_EXCEPT);
    CHECK(status == PSM_E_TEMPERATURE, "softmax_f64(T=NaN): status %d", status);
    CHECK(flags == 0, "softmax_f64(T=NaN) raised flags %#x (FE_INVALID is %#x)", (unsigned)flags,
          (unsigned)FE_INVALID);

    feclearexcept(FE_ALL_EXCEPT);
    status = psm_log_softmax_f64(x64, y64, 1, 4, nan64);
    flags = fetestexcept(FE_ALL_EXCEPT);
    CHECK(status == PSM_E_TEMPERATURE, "log_softmax_f64(T=NaN): status %d", status);
    CHECK(flags == 0, "log_softmax_f64(T=NaN) raised flags %#x", (unsigned)flags);

    feclearexcept(FE_ALL_EXCEPT);
    status = psm_softmax_f32(x32, y32, 1, 4, nan32);
    flags = fetestexcept(FE_ALL_EXCEPT);
    CHECK(status == PSM_E_TEMPERATURE, "softmax_f32(T=NaN): status %d", status);
    CHECK(flags == 0, "softmax_f32(T=NaN) raised flags %#x", (unsigned)flags);

    feclearexcept(FE_ALL_EXCEPT);
    status = psm_log_softmax_f32(x32, y32, 1, 4, nan32);
    flags = fetestexcept(FE_ALL_EXCEPT);
    CHECK(status == PSM_E_TEMPERATURE, "log_softmax_f32(T=NaN): status %d", status);
    CHECK(flags == 0, "log_softmax_f32(T=NaN) raised flags %#x", (unsigned)flags);
    feclearexcept(FE_ALL_EXCEPT);
    return 0;
}

static int huge_temperature(void)
{
    /* x / T is within 2^-995 of 0 for each T: softmax 1/4 each, log_softmax
     * -log 4 (to far below an ULP). */
    static const double x[4] = {1.0, 3.0, 3.0, 2.0};
    const double temperatures[] = {0x1p997, 1.4e300, 1e305, DBL_MAX};
    const double quarter = 0.25, minus_log4 = (double)-logl(4.0L);
    double y[4];
    size_t ti, i;
    for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++) {
        CHECK(psm_softmax_f64(x, y, 1, 4, temperatures[ti]) == PSM_OK, "status");
        for (i = 0; i < 4; i++)
            CHECK(psm_ulp_distance_f64(y[i], quarter) <= 2,
                  "softmax_f64([1, 3, 3, 2], T=%g)[%lu] = %.17g, expected 0.25", temperatures[ti],
                  (unsigned long)i, y[i]);
        CHECK(psm_log_softmax_f64(x, y, 1, 4, temperatures[ti]) == PSM_OK, "status");
        for (i = 0; i < 4; i++)
            CHECK(psm_ulp_distance_f64(y[i], minus_log4) <= 2,
                  "log_softmax_f64([1, 3, 3, 2], T=%g)[%lu] = %.17g, expected %.17g",
                  temperatures[ti], (unsigned long)i, y[i], minus_log4);
    }
    return 0;
}

static int overflowing_difference(void)
{
    static const double x[2] = {-1e308, 1e308};
    const double temperatures[] = {2.0, 7.0, 1e10};
    double y[2];
    size_t ti;
    for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++) {
        /* log_softmax[0] = -2e308 / T - log1p(exp(-2e308 / T)) = -2e308 / T. */
        const double expected = (double)(-2e308L / (long double)temperatures[ti]);
        CHECK(psm_log_softmax_f64(x, y, 1, 2, temperatures[ti]) == PSM_OK, "status");
        CHECK(psm_ulp_distance_f64(y[0], expected) <= 2,
              "log_softmax_f64([-1e308, 1e308], T=%g)[0] = %.17g, expected %.17g",
              temperatures[ti], y[0], expected);
        CHECK(y[1] == 0.0, "log_softmax_f64([-1e308, 1e308], T=%g)[1] = %.17g, expected 0",
              temperatures[ti], y[1]);
    }
    return 0;
}

static int subnormal_temperature(void)
{
    /* A case found by a random search; every value is a float64 subnormal. */
    const double temperature = 0x0.0000001ep-1022;
    static const double x[3] = {-0x0.0000006b80831p-1022, -0x0.000000176a9fcp-1022,
                                -0x0.0000004a2d2f2p-1022};
    long double z[3], max = x[1], others = 0.0L;
    double y[3];
    size_t i;
    /* The long double reference (x / T is exact to 2^-64 relative). */
    for (i = 0; i < 3; i++) {
        z[i] = ((long double)x[i] - max) / (long double)temperature;
        if (i != 1)
            others += expl(z[i]);
    }
    CHECK(psm_softmax_f64(x, y, 1, 3, temperature) == PSM_OK, "status");
    for (i = 0; i < 3; i++) {
        double expected = (double)(expl(z[i]) / (1.0L + others));
        CHECK(psm_ulp_distance_f64(y[i], expected) <= 3,
              "softmax_f64(subnormal row, T=%a)[%lu] = %.17g, expected %.17g", temperature,
              (unsigned long)i, y[i], expected);
    }
    CHECK(psm_log_softmax_f64(x, y, 1, 3, temperature) == PSM_OK, "status");
    for (i = 0; i < 3; i++) {
        double expected = (double)(z[i] - log1pl(others));
        CHECK(psm_ulp_distance_f64(y[i], expected) <= 3,
              "log_softmax_f64(subnormal row, T=%a)[%lu] = %.17g, expected %.17g", temperature,
              (unsigned long)i, y[i], expected);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(void);
    } cases[] = {
        {"nan_temperature_flags", nan_temperature_flags},
        {"huge_temperature", huge_temperature},
        {"overflowing_difference", overflowing_difference},
        {"subnormal_temperature", subnormal_temperature},
    };
    size_t c;
    if (argc != 2) {
        printf("usage: %s CASE (one of:", argv[0]);
        for (c = 0; c < sizeof cases / sizeof cases[0]; c++)
            printf(" %s", cases[c].name);
        printf(")\n");
        return 2;
    }
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (strcmp(argv[1], cases[c].name) == 0) {
            cases[c].run();
            return psm_test_finish(cases[c].name);
        }
    }
    printf("unknown case %s\n", argv[1]);
    return 2;
}
