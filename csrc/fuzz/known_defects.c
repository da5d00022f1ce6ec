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
 *                      is finite but TwoSum's intermediate overflows (open)
 *
 * Exit status 1 while the defect shows, 0 once it is fixed, 77 where the
 * case cannot be shown here (no MXCSR; the baseline kernels not in use).
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        printf("usage: known_defects D1|D2|D3|D4\n");
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
    printf("unknown case %s\n", argv[1]);
    return 2;
}
