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
 * g lies in [-3.6, 36.74]: finite for every (seed, row, column).
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

/* Philox4x32-10 of `counter` under `key`, into `out` (four words each way). */
PSM_INTERNAL void psm_philox4x32_10(const uint32_t counter[4], const uint32_t key[2],
                                    uint32_t out[4])
{
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    int round;
    for (round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PSM_PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PSM_PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PSM_PHILOX_W0; /* the key of the next round (wraps mod 2^32) */
        k1 += PSM_PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* The uniform variate of (seed, row, column): (2k + 1) 2^-53, in (0, 1). */
PSM_INTERNAL double psm_noise_uniform(uint64_t seed, uint64_t row, uint64_t column)
{
    uint32_t counter[4], key[2], out[4];
    uint64_t k;
    counter[0] = (uint32_t)column;
    counter[1] = (uint32_t)(column >> 32);
    counter[2] = (uint32_t)row;
    counter[3] = (uint32_t)(row >> 32);
    key[0] = (uint32_t)seed;
    key[1] = (uint32_t)(seed >> 32);
    psm_philox4x32_10(counter, key, out);
    k = (((uint64_t)out[1] << 32) | out[0]) >> 12;
    return (double)(2 * k + 1) * 0x1p-53; /* 2k + 1 < 2^53: exact */
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
 * contraction off), so every IEEE implementation gets the same bits; frexp
 * is exact. */
PSM_INTERNAL double psm_noise_log(double v)
{
    int exponent;
    double m = 2.0 * frexp(v, &exponent); /* [1, 2): v = m 2^(exponent - 1) */
    double e = (double)(exponent - 1);
    double f, h, s, z, r;
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

/* The Gumbel noise of (seed, row, column): -log(-log(u)). */
PSM_INTERNAL double psm_noise_gumbel(uint64_t seed, uint64_t row, uint64_t column)
{
    double u = psm_noise_uniform(seed, row, column);
    return -psm_noise_log(-psm_noise_log(u));
}

/* An upper bound of psm_noise_gumbel: u <= 1 - 2^-53 gives -log(u) >= 2^-53
 * (less a few ULP of the log's error) and g <= 53 ln 2 = 36.7368...; 37 leaves
 * room for every rounding.  Since rounded addition is monotonic, a key
 * z + g never exceeds z + PSM_NOISE_GUMBEL_BOUND, which lets the sampler
 * skip the noise of entries too far below the best key, with the same
 * result. */
#define PSM_NOISE_GUMBEL_BOUND 37.0

#endif /* PSM_SAMPLING_NOISE_H */
