/*
 * test_special_values.c -- the special-value table of pysoftmax.h, checked
 * against the rules as the header states them (the expected rows are
 * derived here from the rules, not taken from the library):
 *
 *   any NaN               -> softmax, log_softmax all NaN;   logsumexp NaN
 *   k entries +inf        -> 1/k there, 0 elsewhere (log: -log k, -inf); +inf
 *   all entries -inf      -> all NaN;                        logsumexp -inf
 *   some entries -inf     -> 0 there (log: -inf);            finite
 *   n == 0                -> nothing written;                logsumexp -inf
 *   T == 0                -> one-hot spread evenly over the maximal entries
 *   T == +inf             -> uniform over the entries that are not -inf
 *
 * Precedence where two rules meet (the header lists the rules; the order is
 * the one of the edge-case table, pysoftmax/edge_cases.json): NaN, then all
 * -inf, then +inf entries, then T == 0, then T == +inf, then the finite case.
 *
 * Exact expectations (0, 1, NaN, +-inf) must hold exactly (any NaN, either
 * sign of zero: the header does not fix them); 1/k and -log k within 1 ULP of the correctly rounded value
 * (the library may round them twice, through double); finite-case entries
 * within 4 ULP of a long double reference (the tight bound is the accuracy
 * test's business).  Built twice: against the shared and the static library.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pysoftmax.h"
#include "psm_test.h"

#define MAX_N 64

/* What the table says one row's outputs must be. */
typedef enum { EXACT, NEAR_1ULP, FINITE_REF } expectation;

typedef struct {
    long double value[MAX_N];
    expectation how[MAX_N];
    long double lse;
    expectation lse_how;
    const char *rule;
} expected_row;

static int is_nan_ld(long double v)
{
    return v != v;
}

/* The long double reference for a row with finite maximum: max shift, expl,
 * sum, divide or subtract the log.  The sum is split as S = 1 + s (s over
 * every entry but one maximal one) and log S taken as log1pl(s): logl(1 + s)
 * would lose the digits of log S, and with them those of log_softmax at the
 * maximum, whenever s is small. */
static void finite_reference(const double *x, size_t n, long double temperature, int log_output,
                             long double *out)
{
    long double max = -INFINITY, others = 0.0L, log_sum;
    size_t i, argmax = 0;
    for (i = 0; i < n; i++)
        if ((long double)x[i] > max) {
            max = x[i];
            argmax = i;
        }
    for (i = 0; i < n; i++)
        if (i != argmax && x[i] != -INFINITY)
            others += expl(((long double)x[i] - max) / temperature);
    log_sum = log1pl(others);
    for (i = 0; i < n; i++) {
        if (x[i] == -INFINITY)
            out[i] = log_output ? -INFINITY : 0.0L;
        else if (log_output)
            out[i] = ((long double)x[i] - max) / temperature - log_sum;
        else
            out[i] = expl(((long double)x[i] - max) / temperature) / (1.0L + others);
    }
}

/* The table's answer for one row (x given widened to double). */
static expected_row expect(const double *x, size_t n, double temperature, int log_output)
{
    expected_row e;
    size_t i, count_nan = 0, count_pos_inf = 0, count_neg_inf = 0, count_max = 0;
    double max = -INFINITY;

    for (i = 0; i < n; i++) {
        if (isnan(x[i]))
            count_nan++;
        else if (x[i] == INFINITY)
            count_pos_inf++;
        else if (x[i] == -INFINITY)
            count_neg_inf++;
        if (!isnan(x[i]) && x[i] > max)
            max = x[i];
    }
    for (i = 0; i < n; i++)
        if (x[i] == max)
            count_max++;

    if (count_nan > 0) {
        e.rule = "NaN";
        for (i = 0; i < n; i++) {
            e.value[i] = NAN;
            e.how[i] = EXACT;
        }
        e.lse = NAN;
        e.lse_how = EXACT;
        return e;
    }
    if (count_neg_inf == n) {
        e.rule = n == 0 ? "empty" : "all -inf";
        for (i = 0; i < n; i++) {
            e.value[i] = NAN;
            e.how[i] = EXACT;
        }
        e.lse = -INFINITY;
        e.lse_how = EXACT;
        return e;
    }
    if (count_pos_inf > 0) {
        e.rule = "+inf entries";
        for (i = 0; i < n; i++) {
            int chosen = x[i] == INFINITY;
            if (log_output)
                e.value[i] = chosen ? -logl((long double)count_pos_inf) : -INFINITY;
            else
                e.value[i] = chosen ? 1.0L / (long double)count_pos_inf : 0.0L;
            e.how[i] = (chosen && count_pos_inf > 1) ? NEAR_1ULP : EXACT;
        }
        e.lse = INFINITY;
        e.lse_how = EXACT;
        return e;
    }
    /* From here on the row is finite apart from some -inf entries:
     * logsumexp is finite. */
    e.lse_how = FINITE_REF;
    {
        long double others = 0.0L;
        size_t argmax = n;
        for (i = 0; i < n; i++) {
            if (argmax == n && x[i] == max)
                argmax = i;
            else if (x[i] != -INFINITY)
                others += expl((long double)x[i] - (long double)max);
        }
        e.lse = (long double)max + log1pl(others);
    }
    if (temperature == 0.0 || temperature == INFINITY) {
        size_t count = temperature == 0.0 ? count_max : n - count_neg_inf;
        e.rule = temperature == 0.0 ? "T == 0" : "T == +inf";
        for (i = 0; i < n; i++) {
            int chosen = temperature == 0.0 ? x[i] == max : x[i] != -INFINITY;
            if (log_output)
                e.value[i] = chosen ? -logl((long double)count) : -INFINITY;
            else
                e.value[i] = chosen ? 1.0L / (long double)count : 0.0L;
            e.how[i] = (chosen && count > 1) ? NEAR_1ULP : EXACT;
        }
        return e;
    }
    e.rule = count_neg_inf > 0 ? "some -inf" : "finite";
    finite_reference(x, n, temperature, log_output, e.value);
    for (i = 0; i < n; i++)
        e.how[i] = x[i] == -INFINITY ? EXACT : FINITE_REF;
    return e;
}

/* The correctly rounded value of v in the dtype, widened back to double. */
static double round_to(const dtype *t, long double v)
{
    if (t->size == sizeof(float))
        return (double)(float)v;
    return (double)v;
}

/* Error of logsumexp in units of the last place of max(|max x|, log S), the
 * scale the header's bound refers to (the result itself may be near zero by
 * cancellation). */
static double lse_error_units(const dtype *t, const double *x, size_t n, double got,
                              long double reference)
{
    long double max = -INFINITY, scale, ulp;
    size_t i;
    int exponent;
    for (i = 0; i < n; i++)
        if ((long double)x[i] > max)
            max = x[i];
    scale = fabsl(max);
    if (fabsl(reference - max) > scale)
        scale = fabsl(reference - max);
    if (fabsl(reference) > scale)
        scale = fabsl(reference);
    frexpl(scale, &exponent);
    ulp = ldexpl(1.0L, exponent - (t->size == sizeof(float) ? 24 : 53));
    return (double)(fabsl((long double)got - reference) / ulp);
}

static void check_row(const dtype *t, const double *values, size_t n, double requested_temperature,
                      const char *label)
{
    unsigned char xbuf[MAX_N * sizeof(double)], ybuf[MAX_N * sizeof(double)];
    double x[MAX_N];
    /* What the library is actually given: the row and T in the dtype. */
    double temperature = round_to(t, requested_temperature);
    size_t i;
    int k, status;

    for (i = 0; i < n; i++) {
        set(t, xbuf, i, values[i]);
        x[i] = get(t, xbuf, i);
    }
    for (k = 0; k < 2; k++) {
        expected_row e = expect(x, n, temperature, k);
        status = t->normalize[k](xbuf, ybuf, 1, n, temperature);
        if (!CHECK(status == PSM_OK, "%s_%s %s: status %d", normalize_names[k], t->name, label,
                   status))
            continue;
        for (i = 0; i < n; i++) {
            double got = get(t, ybuf, i);
            double want = round_to(t, e.value[i]);
            int ok;
            if (e.how[i] == EXACT)
                ok = is_nan_ld(e.value[i]) ? isnan(got) : got == want;
            else if (e.how[i] == NEAR_1ULP)
                ok = ulp_distance(t, got, want) <= 1;
            else
                ok = ulp_distance(t, got, want) <= 4; /* -inf: (x - max)/T overflowed */
            CHECK(ok, "%s_%s %s (rule: %s, T=%g) [%lu]: got %.17g, expected %.17g",
                  normalize_names[k], t->name, label, e.rule, temperature, (unsigned long)i, got,
                  want);
        }
    }
    {
        expected_row e = expect(x, n, 1.0, 0);
        double got, want = round_to(t, e.lse);
        int ok;
        status = t->logsumexp(xbuf, ybuf, 1, n);
        if (CHECK(status == PSM_OK, "logsumexp_%s %s: status %d", t->name, label, status)) {
            got = get(t, ybuf, 0);
            if (e.lse_how == EXACT)
                ok = is_nan_ld(e.lse) ? isnan(got) : got == want;
            else
                ok = isfinite(got) && lse_error_units(t, x, n, got, e.lse) <= 4.0;
            CHECK(ok, "logsumexp_%s %s (rule: %s): got %.17g, expected %.17g", t->name, label,
                  e.rule, got, want);
        }
    }
}

/* The table's own examples, for both dtypes; "big" is the dtype's largest
 * power of ten, so that the rows mean the same in float32 (in float64,
 * big - (-big) overflows). */
static void test_listed_cases(const dtype *t)
{
    const double big = t->size == sizeof(float) ? 1e38 : 1e308;
    const double small = t->size == sizeof(float) ? 1e-38 : 1e-300;
    const double temperatures[] = {0.0, 0.5, 1.0, 7.0, INFINITY};
    struct {
        const char *label;
        size_t n;
        double x[5];
    } rows[20];
    size_t count = 0, r, ti;

#define ROW(label_, n_, a, b, c, d)                                                       \
    do {                                                                                  \
        rows[count].label = (label_);                                                     \
        rows[count].n = (n_);                                                             \
        rows[count].x[0] = (a);                                                           \
        rows[count].x[1] = (b);                                                           \
        rows[count].x[2] = (c);                                                           \
        rows[count].x[3] = (d);                                                           \
        count++;                                                                          \
    } while (0)
    ROW("[1, nan, 2]", 3, 1.0, NAN, 2.0, 0.0);
    ROW("[nan, inf, -inf]", 3, NAN, INFINITY, -INFINITY, 0.0);
    ROW("[-inf, -inf]", 2, -INFINITY, -INFINITY, 0.0, 0.0);
    ROW("[-inf]", 1, -INFINITY, 0.0, 0.0, 0.0);
    ROW("[inf, 0, inf]", 3, INFINITY, 0.0, INFINITY, 0.0);
    ROW("[-inf, inf, 5]", 3, -INFINITY, INFINITY, 5.0, 0.0);
    ROW("[inf, inf, inf]", 3, INFINITY, INFINITY, INFINITY, 0.0);
    ROW("[inf]", 1, INFINITY, 0.0, 0.0, 0.0);
    ROW("[1, 3, 3, 2]", 4, 1.0, 3.0, 3.0, 2.0);
    ROW("[-big, small, -inf]", 3, -big, small, -INFINITY, 0.0);
    ROW("[1, -inf, 5, 2]", 4, 1.0, -INFINITY, 5.0, 2.0);
    ROW("[-big, big]", 2, -big, big, 0.0, 0.0);
    ROW("[0, -inf, 0]", 3, 0.0, -INFINITY, 0.0, 0.0);
    ROW("[-inf, 7]", 2, -INFINITY, 7.0, 0.0, 0.0);
    ROW("[-3.5]", 1, -3.5, 0.0, 0.0, 0.0);
    ROW("[big]", 1, big, 0.0, 0.0, 0.0);
    ROW("[-0.0, 0.0]", 2, -0.0, 0.0, 0.0, 0.0);
    ROW("[big, big, -big, -inf]", 4, big, big, -big, -INFINITY);
    ROW("[nan]", 1, NAN, 0.0, 0.0, 0.0);
#undef ROW

    for (r = 0; r < count; r++)
        for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++)
            check_row(t, rows[r].x, rows[r].n, temperatures[ti], rows[r].label);
    /* Temperatures at the ends of the range. */
    check_row(t, rows[15].x, 1, small, "[big], T = small");
    check_row(t, rows[8].x, 4, t->min_subnormal, "[1, 3, 3, 2], T = min_subnormal");
    check_row(t, rows[8].x, 4, t->max_finite, "[1, 3, 3, 2], T = max_finite");
    check_row(t, rows[11].x, 2, t->max_finite, "[-big, big], T = max_finite");
    check_row(t, rows[11].x, 2, t->min_subnormal, "[-big, big], T = min_subnormal");
    check_row(t, rows[13].x, 2, 0.5, "[-inf, 7], T = 0.5");
}

/* Random rows salted with special values, every combination of rule. */
static void test_random_rows(const dtype *t)
{
    const size_t lengths[] = {1, 2, 3, 5, 17, 64};
    const double temperatures[] = {0.0, 0.37, 1.0, 6.5, INFINITY};
    psm_rng rng = psm_rng_seed(2024);
    double x[MAX_N];
    char label[96];
    size_t li, ti, i;
    int kind, repeat;

    for (li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
        size_t n = lengths[li];
        for (kind = 0; kind < 7; kind++) {
            for (repeat = 0; repeat < 6; repeat++) {
                for (i = 0; i < n; i++) {
                    /* Small integers: ties are frequent, so T == 0 spreads. */
                    x[i] = kind == 6 ? (double)psm_rng_below(&rng, 4)
                                     : 10.0 * psm_rng_normalish(&rng);
                    if (t->size == sizeof(float))
                        x[i] = (double)(float)x[i];
                }
                switch (kind) {
                case 1: /* some -inf */
                    for (i = 0; i < n; i++)
                        if (psm_rng_below(&rng, 3) == 0)
                            x[i] = -INFINITY;
                    break;
                case 2: /* all -inf */
                    for (i = 0; i < n; i++)
                        x[i] = -INFINITY;
                    break;
                case 3: /* k entries +inf, maybe some -inf as well */
                    for (i = 1 + psm_rng_below(&rng, 3); i > 0; i--)
                        x[psm_rng_below(&rng, n)] = INFINITY;
                    if (n > 2)
                        x[psm_rng_below(&rng, n)] = -INFINITY;
                    break;
                case 4: /* a NaN among anything */
                    x[psm_rng_below(&rng, n)] = INFINITY;
                    x[psm_rng_below(&rng, n)] = -INFINITY;
                    x[psm_rng_below(&rng, n)] = NAN;
                    break;
                case 5: /* huge magnitudes: x - max may overflow */
                    for (i = 0; i < n; i++)
                        x[i] = (psm_rng_below(&rng, 2) ? 1.0 : -1.0) * t->max_finite
                               * (0.5 + 0.5 * psm_rng_uniform(&rng));
                    break;
                default:
                    break;
                }
                for (ti = 0; ti < sizeof temperatures / sizeof temperatures[0]; ti++) {
                    snprintf(label, sizeof label, "random row (n=%lu, kind %d, repeat %d)", (unsigned long)n,
                            kind, repeat);
                    check_row(t, x, n, temperatures[ti], label);
                }
            }
        }
    }
}

/* Several rows in one call: each row is decided on its own. */
static void test_mixed_rows(const dtype *t)
{
    const size_t rows = 5, n = 3;
    const double x[5][3] = {
        {1.0, NAN, 2.0},
        {-INFINITY, -INFINITY, -INFINITY},
        {INFINITY, 0.0, INFINITY},
        {0.0, -INFINITY, 0.0},
        {1.0, 2.0, 3.0},
    };
    unsigned char xbuf[15 * sizeof(double)], ybuf[15 * sizeof(double)];
    size_t r, i;
    int k;

    for (r = 0; r < rows; r++)
        for (i = 0; i < n; i++)
            set(t, xbuf, r * n + i, x[r][i]);
    for (k = 0; k < 2; k++) {
        CHECK(t->normalize[k](xbuf, ybuf, rows, n, 1.0) == PSM_OK, "mixed rows: status");
        for (r = 0; r < rows; r++) {
            expected_row e = expect(x[r], n, 1.0, k);
            for (i = 0; i < n; i++) {
                double got = get(t, ybuf, r * n + i), want = round_to(t, e.value[i]);
                int ok = is_nan_ld(e.value[i]) ? isnan(got) : ulp_distance(t, got, want) <= 4;
                CHECK(ok, "%s_%s mixed rows, row %lu [%lu]: got %.17g, expected %.17g",
                      normalize_names[k], t->name, (unsigned long)r, (unsigned long)i, got, want);
            }
        }
    }
    CHECK(t->logsumexp(xbuf, ybuf, rows, n) == PSM_OK, "mixed rows: logsumexp status");
    CHECK(isnan(get(t, ybuf, 0)), "logsumexp_%s mixed row 0 (NaN): %g", t->name, get(t, ybuf, 0));
    CHECK(get(t, ybuf, 1) == -INFINITY, "logsumexp_%s mixed row 1 (all -inf): %g", t->name,
          get(t, ybuf, 1));
    CHECK(get(t, ybuf, 2) == INFINITY, "logsumexp_%s mixed row 2 (+inf): %g", t->name,
          get(t, ybuf, 2));
    CHECK(ulp_distance(t, get(t, ybuf, 3), round_to(t, logl(2.0L))) <= 1,
          "logsumexp_%s mixed row 3 [0, -inf, 0]: %.17g, expected log 2", t->name,
          get(t, ybuf, 3));
    CHECK(ulp_distance(t, get(t, ybuf, 4),
                       round_to(t, 3.0L + logl(1.0L + expl(-1.0L) + expl(-2.0L))))
              <= 2,
          "logsumexp_%s mixed row 4 [1, 2, 3]: %.17g", t->name, get(t, ybuf, 4));
}

int main(void)
{
    size_t d;
    for (d = 0; d < 2; d++) {
        test_listed_cases(&dtypes[d]);
        test_random_rows(&dtypes[d]);
        test_mixed_rows(&dtypes[d]);
    }
    return psm_test_finish("test_special_values");
}
