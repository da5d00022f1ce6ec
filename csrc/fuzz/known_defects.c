/*
 * known_defects.c -- minimal reproducers of the library's defects that the
 * fuzz harnesses found (csrc/fuzz/README.md), one case per argument:
 *
 *   known_defects D1   float32 temperature read with the caller's
 *                      denormals-are-zero: a subnormal T became 0 (fixed)
 *   known_defects D2   float32 temperature converted before the caller's
 *                      flags were saved: a signaling NaN raised FE_INVALID
 *                      (fixed)
 *   known_defects D3   baseline kernels, float64 log_softmax: NaN where
 *                      |x - max| > 2^996 but (x - max) / T is finite (fixed)
 *   known_defects D4   float64 log_softmax, any kernels: NaN where x - max
 *                      is finite but TwoSum's intermediate overflows (fixed)
 *   known_defects D5   the general, weighted and general backward functions
 *                      with bad arguments in more than one array: the
 *                      status was the first problem of the first pair of
 *                      arrays checked, not the first in the documented
 *                      order over all of them (fixed)
 *   known_defects D6   float64 weighted logsumexp: every weight was scaled
 *                      by the row's largest |b| first, so a weight 2^1022
 *                      times smaller lost digits or became 0, even where
 *                      its term dominates the sum, and a term 800 below
 *                      the max was dropped whatever its weight (fixed)
 *   known_defects D7   weighted logsumexp, float32 and float64: a result
 *                      near 0 lost every digit below 2^-85 (the scale's
 *                      E ln2 cancelling): {1e-30} with b = {1} gave 0 (fixed)
 *   known_defects D8   the backward functions with one temperature checked
 *                      it once per row: with rows == 0 a negative or NaN T
 *                      was PSM_OK, where every other function returns
 *                      PSM_E_TEMPERATURE (fixed)
 *   known_defects D9   float64 softmax backward: rows with a y beyond about
 *                      2^211 (but below 2^400) or below -2^424 took the
 *                      vector kernel, whose y 2^600 (dy - s) overflows: inf
 *                      or NaN where the formula is finite (fixed)
 *   known_defects D10  float64 log_softmax backward: dy is scaled so that
 *                      its largest entry is in [1, 2); an entry more than
 *                      2^1022 below it is flushed, though it decides its own
 *                      dx where exp(y) S is smaller still (open: KD4)
 *   known_defects D11  float64 log_softmax backward: exp(y) is taken as 0
 *                      below y = -1000 (PSM_LANE_FLOOR), though exp(y) S / T
 *                      is representable for y down to about -2200 (S up to
 *                      2^1024 n, T down to 2^-1074): dx lost that term (open:
 *                      KD5)
 *   known_defects D12  float64 softmax backward: the sum s = sum dy y is
 *                      formed from unscaled products (and scaled by 2^L with
 *                      dy): where they fall below 2^-1022 they lose digits,
 *                      though a small T makes dx = y (dy - s) / T normal
 *                      (open: KD4)
 *
 * Exit status 1 while the defect shows, 0 once it is fixed, 77 where the
 * case cannot be shown here (no MXCSR; the baseline kernels not in use).
 * CMake runs each as a test (known_defect_D1, ...; D10, open, must fail).
 * tests/test_fuzz.py runs them on the fuzz build: the fixed ones as
 * regression tests, the open ones as strict expected failures (so that a
 * fix is noticed, and the harness's tolerance of it can go).  D1 and D2
 * showed where the compiler put the conversion first (clang -O3).
 */
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pysoftmax.h"

#if defined(__SSE2__) || defined(__x86_64__)
#include <xmmintrin.h>
#define KD_HAS_MXCSR 1
#endif

static int d1(void)
{
#if defined(KD_HAS_MXCSR)
    /* softmax([0, 2^-140] / 2^-140) = softmax([0, 1]) = [0.2689, 0.7311]. */
    const float x[2] = {0.0f, 0x1p-140f};
    float y[2];
    unsigned int saved = _mm_getcsr();
    int status;
    _mm_setcsr(saved | 0x0040u); /* DAZ, as torch.set_flush_denormal(True) or XLA threads */
    status = psm_softmax_f32(x, y, 1, 2, 0x1p-140f);
    _mm_setcsr(saved);
    printf("D1: DAZ on, psm_softmax_f32({0, 0x1p-140}, T = 0x1p-140) = {%.6g, %.6g} (status %d); "
           "right: {0.268941, 0.731059}\n",
           (double)y[0], (double)y[1], status);
    return status != PSM_OK || fabs((double)y[0] - 0.268941) > 1e-6;
#else
    printf("D1: no MXCSR here\n");
    return 77;
#endif
}

static int d2(void)
{
    const float x[2] = {1.0f, 2.0f};
    const unsigned bits = 0x7fa00000u; /* a signaling NaN */
    float y[2], temperature;
    int status, raised;
    memcpy(&temperature, &bits, sizeof temperature);
    feclearexcept(FE_ALL_EXCEPT);
    status = psm_softmax_f32(x, y, 1, 2, temperature);
    raised = fetestexcept(FE_ALL_EXCEPT);
    feclearexcept(FE_ALL_EXCEPT);
    printf("D2: psm_softmax_f32(T = signaling NaN): status %d, flags raised %#x (right: -2, 0)\n",
           status, (unsigned)raised);
    return status != PSM_E_TEMPERATURE || raised != 0;
}

static int d3(void)
{
    const double x[3] = {1.0, 2.0, -0x1.8p999};
    double y[3];
    int status;
    if (strcmp(psm_isa(), "baseline") != 0) {
        printf("D3: needs the baseline kernels (PSM_ISA=baseline), not %s\n", psm_isa());
        return 77;
    }
    status = psm_log_softmax_f64(x, y, 1, 3, 1024.0);
    printf("D3: baseline psm_log_softmax_f64({1, 2, -0x1.8p999}, T = 1024) = {%a, %a, %a} "
           "(right: y[2] = -0x1.8p+989)\n",
           y[0], y[1], y[2]);
    return status != PSM_OK || !(fabs(y[2] + 0x1.8p989) <= 2 * 0x1p937); /* 2 ULP */
}

static int d4(void)
{
    /* DBL_MAX and 0x1.7333333333333p+1022: x - max = -0x1.4666666666666p+1023 exactly
     * representable, but TwoSum's (x - max) - x rounds to -inf. */
    const double x[2] = {0x1.fffffffffffffp+1023, 0x1.7333333333333p+1022};
    double y[2];
    int status = psm_log_softmax_f64(x, y, 1, 2, 1.0);
    printf("D4: psm_log_softmax_f64({DBL_MAX, 0x1.7333333333333p+1022}, T = 1) = {%a, %a} "
           "(right: {0, -0x1.4666666666666p+1023})\n",
           y[0], y[1]);
    return status != PSM_OK || !(fabs(y[1] + 0x1.4666666666666p+1023) <= 2 * 0x1p971); /* 2 ULP */
}

/* D5: each call has two bad arguments in different arrays; the documented
 * order (SIZE_OVERFLOW, NULL_POINTER, STRIDE, OVERLAP, TEMPERATURE) says
 * which status it returns. */
static int d5(void)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, y[8], one = 1.0f;
    double y64[6] = {0.2, 0.3, 0.5, 0.1, 0.1, 0.8}, dy64[6] = {1, 2, 3, 4, 5, 6};
    unsigned char mask[6] = {1, 1, 1, 1, 1, 1};
    int got[4], want[4], k, failed = 0;
    /* the mask's span beyond PTRDIFF_MAX, and y's row stride 0 with two rows */
    got[0] = psm_softmax_general_f32(x, 3, 1, mask, PTRDIFF_MAX, 1, &one, 0, y, 0, 1, 2, 3);
    want[0] = PSM_E_SIZE_OVERFLOW;
    /* the same for logsumexp, out_stride 0 with two rows */
    got[1] = psm_logsumexp_general_f32(x, 3, 1, mask, PTRDIFF_MAX, 1, y, 0, 2, 3);
    want[1] = PSM_E_SIZE_OVERFLOW;
    /* weighted: out inside x, and b NULL */
    got[2] = psm_logsumexp_weighted_f32(x, 3, 1, NULL, 3, 1, x + 1, 1, NULL, 0, 2, 3);
    want[2] = PSM_E_NULL_POINTER;
    /* backward, general: dx overlapping y (not in place), and the temperatures NULL */
    got[3] = psm_softmax_backward_general_f64(y64, 3, 1, dy64, 3, 1, NULL, 0, y64 + 1, 3, 1, 2,
                                              3);
    want[3] = PSM_E_NULL_POINTER;
    for (k = 0; k < 4; k++) {
        printf("D5 case %d: status %d (%s), documented order: %d (%s)\n", k, got[k],
               psm_strerror(got[k]), want[k], psm_strerror(want[k]));
        failed |= got[k] != want[k];
    }
    return failed;
}

/* D6: log(1e-200 e^0 + 1e200 e^-1e6) = log(1e-200) (the second term is 0 in
 * any precision; the first became 0); log(1e-15 e^0 + 1e307 e^-1e6) =
 * log(1e-15) (the first term kept 4 bits); log(-1e-300 e^1000 + 1e300 e^0)
 * = log(1e300) (the second term, 1000 below the max, was dropped as
 * negligible: a negative sum). */
static int d6(void)
{
    const double x[6] = {0.0, -1e6, 0.0, -1e6, 1000.0, 0.0};
    const double b[6] = {1e-200, 1e200, 1e-15, 1e307, -1e-300, 1e300};
    /* log(1e-200), log(1e-15), log(1e300) (mpmath: the other term changes nothing) */
    const double want[3] = {-460.51701859880916, -34.538776394910684, 690.77552789821368};
    double out[3], sign[3];
    int status = psm_logsumexp_weighted_f64(x, 2, 1, b, 2, 1, out, 1, sign, 1, 3, 2);
    int k, failed = status != PSM_OK;
    for (k = 0; k < 3; k++) {
        double error = fabs(out[k] - want[k]) / (nextafter(fabs(want[k]), INFINITY) - fabs(want[k]));
        printf("D6: psm_logsumexp_weighted_f64(x = {%g, %g}, b = {%g, %g}) = %.17g, sign %g "
               "(right: %.17g, sign 1; %.3g ULP off)\n",
               x[2 * k], x[2 * k + 1], b[2 * k], b[2 * k + 1], out[k], sign[k], want[k], error);
        failed |= !(error <= 2.0) || sign[k] != 1.0;
    }
    return failed;
}

/* D7: log(1 e^(1e-30)) = 1e-30, and log(e^t - e^t + e^t) = t for t = 2^-100. */
static int d7(void)
{
    const double x64[4] = {1e-30, 0x1p-100, 0x1p-100, 0x1p-100}, b64[4] = {1, 1, -1, 1};
    const float x32[4] = {1e-30f, 0x1p-100f, 0x1p-100f, 0x1p-100f}, b32[4] = {1, 1, -1, 1};
    double out64[2];
    float out32[2];
    int s64 = psm_logsumexp_weighted_f64(x64, 1, 1, b64, 1, 1, out64, 1, NULL, 0, 1, 1);
    int s32 = psm_logsumexp_weighted_f32(x32, 1, 1, b32, 1, 1, out32, 1, NULL, 0, 1, 1);
    s64 |= psm_logsumexp_weighted_f64(x64 + 1, 3, 1, b64 + 1, 3, 1, out64 + 1, 1, NULL, 0, 1, 3);
    s32 |= psm_logsumexp_weighted_f32(x32 + 1, 3, 1, b32 + 1, 3, 1, out32 + 1, 1, NULL, 0, 1, 3);
    printf("D7: weighted logsumexp of {1e-30}, b = {1}: f64 %g, f32 %g (right: 1e-30); of "
           "{2^-100} x 3, b = {1, -1, 1}: f64 %a, f32 %a (right: 0x1p-100)\n",
           out64[0], (double)out32[0], out64[1], (double)out32[1]);
    return s64 != PSM_OK || s32 != PSM_OK || out64[0] != 1e-30 || out32[0] != 1e-30f ||
           out64[1] != 0x1p-100 || out32[1] != 0x1p-100f;
}

/* D8: rows == 0, T = -1 or NaN: PSM_E_TEMPERATURE, as psm_softmax_f32 gives. */
static int d8(void)
{
    float y[3] = {0.2f, 0.3f, 0.5f}, dy[3] = {1, 2, 3}, dx[3];
    double y64[3] = {0.2, 0.3, 0.5}, dy64[3] = {1, 2, 3}, dx64[3];
    int got[4], k, failed = 0;
    got[0] = psm_softmax_backward_f32(y, dy, dx, 0, 3, -1.0f);
    got[1] = psm_log_softmax_backward_f64(y64, dy64, dx64, 0, 3, NAN);
    got[2] = psm_softmax_backward_strided_f64(y64, 3, 1, dy64, 3, 1, dx64, 3, 1, 0, 3, -1.0);
    got[3] = psm_softmax_f32(y, dx, 0, 3, -1.0f); /* the forward function, for comparison */
    for (k = 0; k < 4; k++) {
        printf("D8 case %d (rows = 0, T invalid): status %d (%s); right: %d\n", k, got[k],
               psm_strerror(got[k]), PSM_E_TEMPERATURE);
        failed |= got[k] != PSM_E_TEMPERATURE;
    }
    return failed;
}

/* D9: y = {2^285, 2^285}, dy = {1, 1}: dx = 2^285 (1 - 2^286) = 2^285 - 2^571 each;
 * y = {-1e300, 0.5}, dy = {1e-300, 1}: s = -0.5, dx = {-1e300 (1e-300 + 0.5), 0.75}. */
static int d9(void)
{
    const double y[4] = {0x1p285, 0x1p285, -1e300, 0.5}, dy[4] = {1.0, 1.0, 1e-300, 1.0};
    const double want[4] = {0x1p285 - 0x1p571, 0x1p285 - 0x1p571, -5e299, 0.75};
    double dx[4];
    int status = psm_softmax_backward_f64(y, dy, dx, 2, 2, 1.0), k, failed = status != PSM_OK;
    for (k = 0; k < 4; k++) {
        printf("D9: psm_softmax_backward_f64 row %d entry %d: y %g, dy %g: dx = %.17g "
               "(right: %.17g)\n", k / 2, k % 2, y[k], dy[k], dx[k], want[k]);
        failed |= !(fabs(dx[k] - want[k]) <= 1e-15 * fabs(want[k]));
    }
    return failed;
}

/* D10: y = {0, -2000}, dy = {1e300, 1e-300}, T = 1: S = 1e300 + 1e-300, and
 * dx[1] = 1e-300 - e^-2000 S = 1e-300 (e^-2000 S is about 1e-569). */
static int d10(void)
{
    const double y[2] = {0.0, -2000.0}, dy[2] = {1e300, 1e-300};
    double dx[2];
    int status = psm_log_softmax_backward_f64(y, dy, dx, 1, 2, 1.0);
    printf("D10: psm_log_softmax_backward_f64(y = {0, -2000}, dy = {1e300, 1e-300}): dx[1] = %g "
           "(right: 1e-300)\n",
           dx[1]);
    return status != PSM_OK || !(fabs(dx[1] - 1e-300) <= 1e-315);
}

/* D11: y = {0, -1100}, dy = {2^1020, 0}, T = 1: S = 2^1020, dx[1] = -e^-1100 2^1020,
 * about -0x1.065e8969p-567. */
static int d11(void)
{
    const double y[2] = {0.0, -1100.0}, dy[2] = {0x1p1020, 0.0};
    const double want = -0x1.065e89690ca1fp-567; /* -expl(-1100) 2^1020, rounded */
    double dx[2];
    int status = psm_log_softmax_backward_f64(y, dy, dx, 1, 2, 1.0);
    printf("D11: psm_log_softmax_backward_f64(y = {0, -1100}, dy = {2^1020, 0}): dx[1] = %a "
           "(right: %a)\n",
           dx[1], want);
    return status != PSM_OK || !(fabs(dx[1] - want) <= 1e-15 * fabs(want));
}

/* D12: y = {1.1 2^-1000, 0.5}, dy = {1.3 2^-40, 0}, T = 2^-900: s = dy[0] y[0], about
 * 2^-1040 (subnormal), dx[1] = 0.5 (0 - s) / T, about -2^-141. */
static int d12(void)
{
    const double y[2] = {0x1.199999999999ap-1000, 0.5}, dy[2] = {0x1.4cccccccccccdp-40, 0.0};
    const double temperature = 0x1p-900;
    /* dy[0] y[0] exactly: 0x1.6e147ae147ae2p-1040 + a tail; dx[1] = -0.5 s 2^900 */
    const long double s = (long double)dy[0] * (long double)y[0];
    const double want = (double)(-0.5L * s / temperature);
    double dx[2];
    int status = psm_softmax_backward_f64(y, dy, dx, 1, 2, temperature);
    printf("D12: psm_softmax_backward_f64(y = {%a, 0.5}, dy = {%a, 0}, T = 2^-900): dx[1] = %a "
           "(right: %a)\n",
           y[0], dy[0], dx[1], want);
    return status != PSM_OK || !(fabs(dx[1] - want) <= 2e-16 * fabs(want));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: known_defects D1|D2|D3|D4|D5|D6|D7|D8|D9|D10|D11|D12\n");
        return 2;
    }
    if (strcmp(argv[1], "D1") == 0)
        return d1();
    if (strcmp(argv[1], "D2") == 0)
        return d2();
    if (strcmp(argv[1], "D3") == 0)
        return d3();
    if (strcmp(argv[1], "D4") == 0)
        return d4();
    if (strcmp(argv[1], "D5") == 0)
        return d5();
    if (strcmp(argv[1], "D6") == 0)
        return d6();
    if (strcmp(argv[1], "D7") == 0)
        return d7();
    if (strcmp(argv[1], "D8") == 0)
        return d8();
    if (strcmp(argv[1], "D9") == 0)
        return d9();
    if (strcmp(argv[1], "D10") == 0)
        return d10();
    if (strcmp(argv[1], "D11") == 0)
        return d11();
    if (strcmp(argv[1], "D12") == 0)
        return d12();
    printf("unknown case %s\n", argv[1]);
    return 2;
}
