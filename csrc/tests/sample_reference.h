/*
 * sample_reference.h -- the sampler's definition, computed directly: every
 * key (x - max)/T + g(seed, row, i) of a row and the first index of the
 * largest.  Shared by the C test (test_sampling.c) and the fuzz harness
 * (csrc/fuzz/fuzz_sample.c), which hold psm_sample_* to it.  Header-only.
 */
#ifndef PSM_SAMPLE_REFERENCE_H
#define PSM_SAMPLE_REFERENCE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "pysoftmax.h"

/* The index drawn from row `row_number` of the row x[0..n), computed here by
 * the definition: the first index of the largest key, every key computed. */
static int64_t psm_reference_draw(const double *x, size_t n, double temperature, uint64_t seed,
                              uint64_t row_number)
{
    double max = -INFINITY, best_key = -INFINITY;
    int64_t best = -1, first_max = -1;
    size_t i;
    for (i = 0; i < n; i++)
        if (x[i] > max) {
            max = x[i];
            first_max = (int64_t)i;
        }
    if (temperature == 0.0)
        return first_max;
    for (i = 0; i < n; i++) {
        double key;
        if (max == INFINITY)
            key = x[i] == INFINITY ? psm_sample_noise(seed, row_number, i) : -INFINITY;
        else if (temperature == INFINITY)
            key = x[i] > -INFINITY ? psm_sample_noise(seed, row_number, i) : -INFINITY;
        else if (temperature > 1.0)
            key = (0.5 * x[i] - 0.5 * max) / (0.5 * temperature) +
                  psm_sample_noise(seed, row_number, i);
        else
            key = (x[i] - max) / temperature + psm_sample_noise(seed, row_number, i);
        if (best < 0 || key > best_key) {
            best = (int64_t)i;
            best_key = key;
        }
    }
    return best;
}

#endif /* PSM_SAMPLE_REFERENCE_H */
