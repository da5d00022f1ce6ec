/*
 * test_weighted.c -- psm_logsumexp_weighted_*: against long double sums,
 * against closed forms where the sum cancels (log(e^t - e^(t-d)) =
 * t + log(-expm1(-d))), the rules of zero, infinite and NaN terms, and the
 * argument errors.
 */
#include "psm_test.h"

/* Within 2 ULP of max(|reference|, |max x|): the logsumexp bound. */
static int close_enough(double got, long double expected, double scale_value, int f64)
{
    double magnitude = fabs((double)expected) > fabs(scale_value) ? fabs((double)expected)
                                                                  : fabs(scale_value);
    double ulp = f64 ? nextafter(magnitude, INFINITY) - magnitude
                     : (double)(nextafterf((float)magnitude, INFINITY) - (float)magnitude);
    if (magnitude == 0.0)
        ulp = f64 ? 0x1p-1074 : 0x1p-149;
    return fabsl((long double)got - expected) <= 2.0L * (long double)ulp;
}

static void test_random_signed_weights(void)
{
    psm_rng rng = psm_rng_seed(99);
    enum { ROWS = 200, N = 37 };
    static double x[ROWS * N], b[ROWS * N], out[ROWS], sign[ROWS];
    static float xf[ROWS * N], bf[ROWS * N], outf[ROWS], signf[ROWS];
    size_t r, i;
    for (i = 0; i < ROWS * N; i++) {
        xf[i] = (float)(10.0 * psm_rng_normalish(&rng));
        x[i] = (double)xf[i];
        /* mostly positive weights of every size, some negative, some zero */
        bf[i] = (float)(psm_rng_uniform(&rng) < 0.15 ? 0.0
                        : (psm_rng_uniform(&rng) < 0.2 ? -1.0 : 1.0) *
                              exp(4.0 * psm_rng_normalish(&rng)));
        b[i] = (double)bf[i];
    }
    CHECK(psm_logsumexp_weighted_f64(x, N, 1, b, N, 1, out, 1, sign, 1, ROWS, N) == PSM_OK,
          "f64 status");
    CHECK(psm_logsumexp_weighted_f32(xf, N, 1, bf, N, 1, outf, 1, signf, 1, ROWS, N) == PSM_OK,
          "f32 status");
    for (r = 0; r < ROWS; r++) {
        long double max = -INFINITY, sum = 0.0L, sum_abs = 0.0L;
        for (i = 0; i < N; i++)
            if (b[r * N + i] != 0.0 && x[r * N + i] > max)
                max = x[r * N + i];
        for (i = 0; i < N; i++)
            if (b[r * N + i] != 0.0) {
                long double term = (long double)b[r * N + i] * expl(x[r * N + i] - max);
                sum += term;
                sum_abs += fabsl(term);
            }
        if (fabsl(sum) < 1e-6L * sum_abs)
            continue; /* heavy cancellation: beyond long double; the closed forms test it */
        CHECK(sign[r] == (sum > 0 ? 1.0 : -1.0), "row %zu sign %g", r, sign[r]);
        CHECK(signf[r] == (float)sign[r], "row %zu f32 sign %g", r, (double)signf[r]);
        CHECK(close_enough(out[r], max + logl(fabsl(sum)), (double)max, 1),
              "f64 row %zu: %.17g vs %.20Lg", r, out[r], max + logl(fabsl(sum)));
        CHECK(close_enough((double)outf[r], max + logl(fabsl(sum)), (double)max, 0),
              "f32 row %zu: %.9g vs %.12Lg", r, (double)outf[r], max + logl(fabsl(sum)));
    }
}

static void test_cancellation_closed_forms(void)
{
    static const double ds[] = {1.0, 1e-3, 1e-6, 1e-9, 3e-11, 1e-12};
    static const double ts[] = {0.0, 1.0, -700.0, 700.0, 12345.678};
    size_t k, j;
    for (k = 0; k < sizeof ds / sizeof *ds; k++)
        for (j = 0; j < sizeof ts / sizeof *ts; j++) {
            /* x = [t, t - d] exactly (d is added to t's spacing: use t - d as rounded) */
            double x[2], b[2] = {1.0, -1.0}, out, sign;
            long double exact;
            x[0] = ts[j];
            x[1] = ts[j] - ds[k];
            exact = (long double)x[0] + logl(-expm1l((long double)x[1] - (long double)x[0]));
            CHECK(psm_logsumexp_weighted_f64(x, 2, 1, b, 2, 1, &out, 1, &sign, 1, 1, 2) ==
                      PSM_OK,
                  "status");
            CHECK(sign == 1.0 && close_enough(out, exact, x[0], 1),
                  "t=%g d=%g: %.17g vs %.20Lg (sign %g)", ts[j], ds[k], out, exact, sign);
            /* the other order of the weights: the same magnitude, sign -1 */
            b[0] = -1.0;
            b[1] = 1.0;
            psm_logsumexp_weighted_f64(x, 2, 1, b, 2, 1, &out, 1, &sign, 1, 1, 2);
            CHECK(sign == -1.0 && close_enough(out, exact, x[0], 1), "negated t=%g d=%g",
                  ts[j], ds[k]);
            /* without a sign output, a negative sum is NaN */
            psm_logsumexp_weighted_f64(x, 2, 1, b, 2, 1, &out, 1, NULL, 0, 1, 2);
            CHECK(out != out, "negative sum without sign: %g", out);
        }
}

static void test_rules(void)
{
    const double inf = INFINITY, nan = NAN;
    double out, sign;
    struct {
        double x[3], b[3];
        double out, sign; /* NaN: expect NaN */
    } cases[] = {
        {{1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}, -INFINITY, 0.0},    /* every weight 0 */
        {{1.0, 1.0, 5.0}, {1.0, -1.0, 0.0}, -INFINITY, 0.0},   /* exact cancellation */
        {{nan, inf, 0.0}, {0.0, 0.0, 1.0}, 0.0, 1.0},          /* b = 0 leaves NaN, inf out */
        {{-inf, 0.0, 0.0}, {inf, 1.0, 0.0}, 0.0, 1.0},          /* x = -inf leaves b = inf out */
        {{inf, 0.0, 1.0}, {-2.0, 1.0, 1.0}, INFINITY, -1.0},   /* +inf term decides */
        {{inf, inf, 1.0}, {1.0, -1.0, 1.0}, NAN, NAN},         /* infinite terms disagree */
        {{0.0, 1.0, 2.0}, {1.0, inf, 1.0}, INFINITY, 1.0},     /* an infinite weight */
        {{0.0, nan, 2.0}, {1.0, 1.0, 1.0}, NAN, NAN},          /* NaN counts */
        {{0.0, 1.0, 2.0}, {1.0, nan, 1.0}, NAN, NAN},          /* a NaN weight too */
        {{0.0, 0.0, 0.0}, {1e300, 1e300, 1e300}, 0.0, 1.0},    /* huge weights: no overflow */
    };
    size_t k;
    cases[9].out = log(3e300);
    for (k = 0; k < sizeof cases / sizeof *cases; k++) {
        CHECK(psm_logsumexp_weighted_f64(cases[k].x, 3, 1, cases[k].b, 3, 1, &out, 1, &sign, 1,
                                         1, 3) == PSM_OK,
              "case %zu status", k);
        if (cases[k].out != cases[k].out)
            CHECK(out != out && sign != sign, "case %zu: %g %g, expected NaN", k, out, sign);
        else
            CHECK(sign == cases[k].sign &&
                      (out == cases[k].out || close_enough(out, cases[k].out, 0.0, 1)),
                  "case %zu: %.17g sign %g, expected %.17g sign %g", k, out, sign, cases[k].out,
                  cases[k].sign);
    }
    /* n == 0: the empty sum */
    CHECK(psm_logsumexp_weighted_f64(NULL, 0, 1, NULL, 0, 1, &out, 1, &sign, 1, 1, 0) == PSM_OK &&
              out == -INFINITY && sign == 0.0,
          "n == 0: %g %g", out, sign);
    /* unit weights are logsumexp itself */
    {
        double x[5] = {3.0, -1.0, 0.5, 700.0, 699.0}, b[5] = {1, 1, 1, 1, 1}, plain;
        psm_logsumexp_weighted_f64(x, 5, 1, b, 5, 1, &out, 1, NULL, 0, 1, 5);
        psm_logsumexp_f64(x, &plain, 1, 5);
        CHECK(out == plain, "unit weights: %.17g vs %.17g", out, plain);
    }
}

static void test_errors(void)
{
    double x[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 1, 1, 1, 1, 1}, out[2] = {-7, -7},
           sign[2] = {-7, -7};
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, NULL, 3, 1, out, 1, sign, 1, 2, 3) ==
              PSM_E_NULL_POINTER,
          "NULL b");
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, NULL, 1, sign, 1, 2, 3) ==
              PSM_E_NULL_POINTER,
          "NULL out");
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, b, 1, sign, 1, 2, 3) == PSM_E_OVERLAP,
          "out inside b");
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, out, 1, x + 1, 1, 2, 3) ==
              PSM_E_OVERLAP,
          "sign inside x");
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, out, 1, out + 1, 1, 2, 3) ==
              PSM_E_OVERLAP,
          "sign overlaps out");
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, b, 3, 1, out, 0, sign, 1, 2, 3) == PSM_E_STRIDE,
          "out stride 0");
    CHECK(psm_logsumexp_weighted_f64(x, 3, 1, b, PTRDIFF_MAX, 1, out, 1, sign, 1, 2, 3) ==
              PSM_E_SIZE_OVERFLOW,
          "b span");
    CHECK(out[0] == -7 && out[1] == -7 && sign[0] == -7 && sign[1] == -7,
          "nothing written on error");
}

int main(void)
{
    test_random_signed_weights();
    test_cancellation_closed_forms();
    test_rules();
    test_errors();
    return psm_test_finish("test_weighted");
}
