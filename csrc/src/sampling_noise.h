/*
 * sampling_noise.h -- the sampler's random numbers: Gumbel noise that is a
 * function of (seed, row, column) alone, computed with IEEE double
 * operations only, so that every implementation that follows these steps
 * (this header, pysoftmax/_sampling.py's array operations, any other
 * language) gets the same bits.  Internal; written with portability.h's
 * PSM_INTERNAL so that it compiles as CUDA device code too.
 *
 * The generator, exactly (docs/sampling.md repeats it):
 *   1. Philox4x32-10 (Salmon et al., SC'11; Random123's philox4x32_10) with
 *      key = (seed mod 2^32, seed >> 32) and
 *      counter = (column mod 2^32, column >> 32, row mod 2^32, row >> 32)
 *      gives four 32-bit words w0..w3.
 *   2. k = ((w1 << 32) | w0) >> 12, a 52-bit integer;
 *      u = (2k + 1) * 2^-53, uniform on (0, 1) and never 0 or 1 (exact).
 *   3. g = -psm_noise_log(-psm_noise_log(u)), where psm_noise_log is the
 *      logarithm below: a fixed sequence of IEEE double operations (no libm
 *      log, whose last bit differs between libraries), within 1 ULP, and
 *      deterministic.
 * g lies in [-3.61, 36.74]: finite for every (seed, row, column).
 */
#ifndef PSM_SAMPLING_NOISE_H
#define PSM_SAMPLING_NOISE_H

#include "portability.h"

#if !defined(__CUDACC_RTC__)
#include <stdint.h>
#endif

/* Philox4x32's multipliers and Weyl key increments (Random123). */
#define PSM_PHILOX_M0 0xD2511F53u
#define PSM_PHILOX_M1 0xCD9E8D57u
#define PSM_PHILOX_W0 0x9E3779B9u
#define PSM_PHILOX_W1 0xBB67AE85u

/* The most entries whose noise is computed together: each step below is a
 * loop over the block, so that the compiler runs the entries side by side
 * (in SIMD lanes, or at least in parallel in the pipeline); measured 3 times
 * faster than one entry at a time, with the same bits. */
#define PSM_NOISE_BLOCK 32

/* Philox4x32-10 under `key`, in place on `count` counters given as four
 * arrays of words (c0[j], c1[j], c2[j], c3[j]); the outputs replace them. */
PSM_INTERNAL void psm_philox4x32_10(uint32_t *c0, uint32_t *c1, uint32_t *c2, uint32_t *c3,
                                    size_t count, const uint32_t key[2])
{
    uint32_t k0 = key[0], k1 = key[1];
    size_t j;
    int round;
    for (round = 0; round < 10; round++) {
        for (j = 0; j < count; j++) {
            uint64_t p0 = (uint64_t)PSM_PHILOX_M0 * c0[j];
            uint64_t p1 = (uint64_t)PSM_PHILOX_M1 * c2[j];
            uint32_t next0 = (uint32_t)(p1 >> 32) ^ c1[j] ^ k0;
            uint32_t next2 = (uint32_t)(p0 >> 32) ^ c3[j] ^ k1;
            c1[j] = (uint32_t)p1;
            c3[j] = (uint32_t)p0;
            c0[j] = next0;
            c2[j] = next2;
        }
        k0 += PSM_PHILOX_W0; /* the key of the next round (wraps mod 2^32) */
        k1 += PSM_PHILOX_W1;
    }
}

/* The uniform variates of columns first_column .. first_column + count - 1
 * of `row` (count <= PSM_NOISE_BLOCK): (2k + 1) 2^-53, in (0, 1). */
PSM_INTERNAL void psm_noise_uniforms(uint64_t seed, uint64_t row, uint64_t first_column,
                                     size_t count, double *u)
{
    uint32_t c0[PSM_NOISE_BLOCK], c1[PSM_NOISE_BLOCK], c2[PSM_NOISE_BLOCK], c3[PSM_NOISE_BLOCK];
    uint32_t key[2];
    size_t j;
    key[0] = (uint32_t)seed;
    key[1] = (uint32_t)(seed >> 32);
    for (j = 0; j < count; j++) {
        uint64_t column = first_column + j;
        c0[j] = (uint32_t)column;
        c1[j] = (uint32_t)(column >> 32);
        c2[j] = (uint32_t)row;
        c3[j] = (uint32_t)(row >> 32);
    }
    psm_philox4x32_10(c0, c1, c2, c3, count, key);
    for (j = 0; j < count; j++) {
        uint64_t k = (((uint64_t)c1[j] << 32) | c0[j]) >> 12;
        u[j] = (double)(2 * k + 1) * 0x1p-53; /* 2k + 1 < 2^53: exact */
    }
}

/* ln 2 in two parts (fdlibm's): the high part has 32 significant bits, so
 * e * PSM_NOISE_LN2_HI is exact for |e| < 2^20. */
#define PSM_NOISE_LN2_HI 0x1.62e42feep-1
#define PSM_NOISE_LN2_LO 0x1.a39ef35793c76p-33
#define PSM_NOISE_SQRT2 0x1.6a09e667f3bcdp+0

/* log(v) for a positive normal v, to within 1 ULP, by IEEE operations only
 * (fdlibm's reduction, with the Taylor series of atanh):
 *   v = m 2^e with m in [sqrt(1/2), sqrt(2))        (exact)
 *   f = m - 1, h = f * f / 2, s = f / (2 + f), z = s * s   (f exact: Sterbenz)
 *   R = 2z/3 + 2z^2/5 + ... + 2z^10/21              (Horner, from 2/21 down)
 *   log m = f - (h - s (h + R))                     (= 2 atanh(s))
 *   log v = e LN2_HI - ((h - (s (h + R) + e LN2_LO)) - f)
 * Each operation rounds to nearest as written (the build turns FMA
 * contraction off), so every IEEE implementation gets the same bits.  m and
 * e come from the bits of v (exact, as frexp is; and vectorizable). */
PSM_INTERNAL double psm_noise_log(double v)
{
    union {
        double value;
        uint64_t bits;
    } word;
    double m, e, f, h, s, z, r;
    word.value = v;
    e = (double)((int)(word.bits >> 52) - 1023);
    word.bits = (word.bits & 0x000FFFFFFFFFFFFFu) | 0x3FF0000000000000u;
    m = word.value; /* [1, 2): v = m 2^e */
    if (m >= PSM_NOISE_SQRT2) {
        m = 0.5 * m;
        e = e + 1.0;
    }
    f = m - 1.0;
    h = 0.5 * (f * f);
    s = f / (2.0 + f);
    z = s * s;
    r = 2.0 / 21.0;
    r = r * z + 2.0 / 19.0;
    r = r * z + 2.0 / 17.0;
    r = r * z + 2.0 / 15.0;
    r = r * z + 2.0 / 13.0;
    r = r * z + 2.0 / 11.0;
    r = r * z + 2.0 / 9.0;
    r = r * z + 2.0 / 7.0;
    r = r * z + 2.0 / 5.0;
    r = r * z + 2.0 / 3.0;
    r = r * z;
    return e * PSM_NOISE_LN2_HI - ((h - (s * (h + r) + e * PSM_NOISE_LN2_LO)) - f);
}

/* The Gumbel noise -log(-log(u)) of `count` <= PSM_NOISE_BLOCK consecutive
 * columns of `row`, from first_column on. */
PSM_INTERNAL void psm_noise_gumbel_block(uint64_t seed, uint64_t row, uint64_t first_column,
                                         size_t count, double *noise)
{
    size_t j;
    psm_noise_uniforms(seed, row, first_column, count, noise);
    for (j = 0; j < count; j++)
        noise[j] = -psm_noise_log(noise[j]);
    for (j = 0; j < count; j++)
        noise[j] = -psm_noise_log(noise[j]);
}

/* The Gumbel noise of one (seed, row, column). */
PSM_INTERNAL double psm_noise_gumbel(uint64_t seed, uint64_t row, uint64_t column)
{
    double noise;
    psm_noise_gumbel_block(seed, row, column, 1, &noise);
    return noise;
}

/* An upper bound of psm_noise_gumbel: u <= 1 - 2^-53 gives -log(u) >= 2^-53
 * (less a few ULP of the log's error) and g <= 53 ln 2 = 36.7368...; 37 leaves
 * room for every rounding.  Since rounded addition is monotonic, a key
 * z + g never exceeds z + PSM_NOISE_GUMBEL_BOUND, which lets the sampler
 * skip the noise of entries too far below the best key, with the same
 * result. */
#define PSM_NOISE_GUMBEL_BOUND 37.0

#endif /* PSM_SAMPLING_NOISE_H */
