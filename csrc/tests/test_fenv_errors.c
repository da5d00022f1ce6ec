/*
 * test_fenv_errors.c -- the caller's floating-point exception flags on the
 * error path of a NaN temperature.
 *
 * pysoftmax.h: "The caller's floating-point exception flags are left as they
 * were" (a convention shared by every function, error returns included).
 * A NaN temperature is rejected with PSM_E_TEMPERATURE, and the check that
 * rejects it must not raise FE_INVALID: an ordered comparison such as
 * `!(t >= 0.0)` does raise it for a quiet NaN (x86-64: comisd); isnan() or
 * isgreaterequal() do not.
 *
 * KNOWN ISSUE at the time of writing (csrc/src/arguments.c,
 * psm_check_temperature): this test fails, and CMakeLists.txt registers it
 * with WILL_FAIL.  Once the check is fixed, ctest reports this test as
 * failing: remove WILL_FAIL there.
 */
#include <fenv.h>
#include <math.h>
#include <stdio.h>

#include "pysoftmax.h"
#include "psm_test.h"

int main(void)
{
    static const double x64[4] = {1.0, 2.0, 3.0, 4.0};
    static const float x32[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    static double y64[4];
    static float y32[4];
    /* Read through volatile so that the compiler makes no NaN arithmetic of
     * its own between clearing and testing the flags. */
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
    return psm_test_finish("test_fenv_errors");
}
