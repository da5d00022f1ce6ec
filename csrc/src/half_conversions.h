/*
 * half_conversions.h -- IEEE binary16 (float16) and bfloat16, given as their
 * bits in a uint16_t, to and from float and double.  Internal.
 *
 * C99 has no 16-bit floating type, so the values travel as bit patterns.
 * Widening (16 bits to float or double) is exact.  Narrowing rounds once,
 * to nearest with ties to even, with gradual underflow into the 16-bit
 * subnormals and overflow to infinity, as IEEE 754 prescribes; a NaN stays
 * a NaN (quiet, sign and the top payload bits kept), infinities and signed
 * zeros stay what they are.
 *
 * The conversions are integer arithmetic on the patterns, written without
 * branches so that the compiler vectorizes the loops over a row, with two
 * floating-point steps where they are cheaper: widening a float16
 * subnormal is an exact int-to-float conversion and product (no flag, no
 * mode matters), and narrowing a float to a float16 subnormal is one float
 * addition, which rounds to nearest-even in the default rounding mode
 * (the library's promise assumes it) and raises at most FE_INEXACT (and
 * FE_INVALID for a signaling NaN, whose sum is not used); the
 * library calls it between psm_enter and psm_leave, which restore the
 * caller's flags.  Flush-to-zero and denormals-are-zero change no result:
 * no operand or result of those steps is a float subnormal that matters.
 *
 *   format     sign  exponent  fraction  bias  largest finite
 *   float16    1     5         10        15    65504
 *   bfloat16   1     8         7         127   about 3.39e38 (float's range)
 */
#ifndef PSM_HALF_CONVERSIONS_H
#define PSM_HALF_CONVERSIONS_H

#include <stdint.h>
#include <string.h>

static inline float psm_float_from_bits(uint32_t bits)
{
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline uint32_t psm_bits_of_float(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static inline uint64_t psm_bits_of_double(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/* The float bits of a float16: exact.  Normal numbers and infinities or
 * NaN (payload kept) by moving the fields; a subnormal (fraction * 2^-24)
 * is that product, exact in float. */
static inline uint32_t psm_f16_to_float_bits(uint16_t half)
{
    uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
    uint32_t magnitude = (uint32_t)half & 0x7fffu;
    uint32_t normal = (magnitude << 13) + ((uint32_t)(127 - 15) << 23);
    uint32_t special = (magnitude << 13) | 0x7f800000u;
    uint32_t subnormal = psm_bits_of_float((float)magnitude * 0x1p-24f);
    return sign | (magnitude < 0x400u ? subnormal : magnitude >= 0x7c00u ? special : normal);
}

/* The float bits of a bfloat16: its top half, exactly. */
static inline uint32_t psm_bf16_to_float_bits(uint16_t half)
{
    return (uint32_t)half << 16;
}

static inline float psm_f16_to_float(uint16_t half)
{
    return psm_float_from_bits(psm_f16_to_float_bits(half));
}

static inline float psm_bf16_to_float(uint16_t half)
{
    return psm_float_from_bits(psm_bf16_to_float_bits(half));
}

/* A binary floating-point number (`source_fraction` fraction bits, exponent
 * bias `source_bias`, given as its bits) rounded to the 16-bit format with
 * `fraction_bits` fraction bits and bias `bias`: once, to nearest, ties to
 * even.  The parameters are constants at every call, so each use compiles
 * to straight integer code for its pair of formats. */
static inline uint16_t psm_narrow_bits(uint64_t bits, int source_fraction, int source_bias,
                                       int fraction_bits, int bias)
{
    const int source_exponent_bits = 64 - 1 - source_fraction;
    const uint64_t source_fraction_mask = ((uint64_t)1 << source_fraction) - 1;
    const uint64_t source_exponent_max = ((uint64_t)1 << source_exponent_bits) - 1;
    const uint16_t infinity = (uint16_t)(((1u << (15 - fraction_bits)) - 1) << fraction_bits);
    uint16_t sign = (uint16_t)((bits >> 63) << 15);
    uint64_t biased = (bits >> source_fraction) & source_exponent_max;
    uint64_t significand = bits & source_fraction_mask;
    uint64_t rounded, remainder, half_quantum;
    int exponent, target_exponent, shift;
    if (biased == source_exponent_max) {
        if (significand == 0)
            return (uint16_t)(sign | infinity);
        /* NaN: quiet, with the payload's top bits. */
        return (uint16_t)(sign | infinity | (1u << (fraction_bits - 1)) |
                          (uint16_t)(significand >> (source_fraction - fraction_bits)));
    }
    /* value = significand * 2^(exponent - source_fraction), the hidden bit
     * included for a normal number. */
    if (biased != 0) {
        significand |= (uint64_t)1 << source_fraction;
        exponent = (int)biased - source_bias;
    } else {
        exponent = 1 - source_bias;
    }
    if (exponent > bias)
        return (uint16_t)(sign | infinity);
    /* Rounded to a multiple of the target's spacing at this exponent: its
     * normal spacing, or the subnormal one below its smallest normal.  (A
     * subnormal source number is far below the target's smallest normal
     * in every pair of formats used here, so its own exponent is never
     * needed.) */
    target_exponent = exponent > 1 - bias ? exponent : 1 - bias;
    shift = source_fraction - fraction_bits + (target_exponent - exponent);
    if (shift > source_fraction + 1) /* below half the smallest subnormal */
        return sign;
    rounded = significand >> shift;
    remainder = significand & (((uint64_t)1 << shift) - 1);
    half_quantum = (uint64_t)1 << (shift - 1);
    if (remainder > half_quantum || (remainder == half_quantum && (rounded & 1u)))
        rounded++;
    /* The hidden bit of `rounded` (or its carry, when rounding reaches the
     * next binade, the smallest normal, or infinity) adds one to the
     * exponent field. */
    return (uint16_t)(sign | ((((uint64_t)(target_exponent + bias - 1)) << fraction_bits) + rounded));
}

static inline uint16_t psm_float_to_f16(float value)
{
    uint32_t bits = psm_bits_of_float(value);
    uint32_t sign = (bits >> 16) & 0x8000u;
    uint32_t magnitude = bits & 0x7fffffffu;
    /* [2^-14, 65520): a normal float16.  The exponent rebiased, then the
     * low 13 bits rounded away (half of them, and one more when the kept
     * part is odd, is what carries: ties to even). */
    uint32_t normal = (magnitude - ((uint32_t)(127 - 15) << 23) + 0xfffu + ((magnitude >> 13) & 1u)) >> 13;
    /* Below 2^-14: adding 0.5 (float spacing 2^-24 there, the float16
     * subnormal spacing) rounds the value to a multiple of 2^-24, which is
     * then the low bits of the sum; 2^-14 itself may come out. */
    uint32_t subnormal =
        psm_bits_of_float(psm_float_from_bits(magnitude) + 0.5f) - psm_bits_of_float(0.5f);
    /* From 65520 on: infinity; NaN: quiet, the payload's top bits kept. */
    uint32_t special = magnitude > 0x7f800000u ? 0x7e00u | ((magnitude >> 13) & 0x3ffu) : 0x7c00u;
    return (uint16_t)(sign | (magnitude < 0x38800000u   ? subnormal
                              : magnitude < 0x477ff000u ? normal
                                                        : special));
}

/* A double rounded to float to odd: where it is not exact, the neighbour of
 * the two whose last bit is 1.  A float rounded so keeps what the 16-bit
 * rounding of the double needs (it has 13 or 16 more bits than float16 or
 * bfloat16, subnormals included): rounding it to nearest-even to 16 bits
 * gives the correctly rounded 16 bits of the double, in vector-friendly
 * steps (two conversions, a comparison, an integer add).  One float
 * conversion: call it between psm_enter and psm_leave (the default rounding
 * mode; flags restored; no flush-to-zero). */
static inline float psm_double_to_float_odd(double value)
{
    float nearest = (float)value;
    uint32_t bits = psm_bits_of_float(nearest);
    double back = (double)nearest;
    /* Inexact with an even last bit: step one towards the value (the
     * magnitude down if it rounded away from zero, up if towards; from
     * infinity down to the largest float). */
    uint32_t step = back == value || (bits & 1u) ? 0u
                    : (back > value) == (value > 0.0) ? (uint32_t)-1 : 1u;
    return psm_float_from_bits(bits + step);
}

static inline uint16_t psm_double_to_f16(double value)
{
    return psm_narrow_bits(psm_bits_of_double(value), 52, 1023, 10, 15);
}

/* The top half of the float, rounded: the low 16 bits rounded away as
 * above (a carry may reach the exponent, the largest finite value's into
 * infinity); NaN quiet with its payload's top bits. */
static inline uint16_t psm_float_to_bf16(float value)
{
    uint32_t bits = psm_bits_of_float(value);
    uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    uint32_t nan = (bits >> 16) | 0x40u;
    return (uint16_t)((bits & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

static inline uint16_t psm_double_to_bf16(double value)
{
    return psm_narrow_bits(psm_bits_of_double(value), 52, 1023, 7, 127);
}

#endif /* PSM_HALF_CONVERSIONS_H */
