"""Double-double arithmetic on float64 arrays, written with the array API only.

The same error-free transformations as ``csrc/src/double_double.h``, applied
elementwise, so that a backend without the C core computes with the same
method and keeps the same 2-ULP bound.  A pair ``(hi, lo)`` stands for the
unevaluated sum ``hi + lo``.  Every function is warning-free on finite
inputs: callers replace special values before calling.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

Array = Any
Namespace = Any

INV_LN2 = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # 32 significant bits: k * LN2_HI is exact
LN2_LO = 1.90821492927058770002e-10
SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp's constant
# 1/j! for j = 14 down to 2: the Taylor tail of exp on |r| <= ln2/2.
TAYLOR_TAIL = tuple(1.0 / math.factorial(j) for j in range(14, 1, -1))
_SMALLEST_POWER = -1074
_POWERS_OF_TWO = [math.ldexp(1.0, j) for j in range(_SMALLEST_POWER, 1024)]
# exp(z) for z below this is under 2^-1154: negligible next to any sum or output.
EXP_NEGLIGIBLE = -800.0


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """Return ``(s, e)`` with ``s + e == a + b`` exactly (Knuth's TwoSum)."""
    s = a + b
    b_virtual = s - a
    return s, (a - (s - b_virtual)) + (b - b_virtual)


def fast_two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """Return ``(s, e)`` with ``s + e == a + b`` exactly, for ``|a| >= |b|``."""
    s = a + b
    return s, b - (s - a)


def two_product(a: Array, b: Array) -> tuple[Array, Array]:
    """Return ``(p, e)`` with ``p + e == a * b`` exactly, for ``|a|, |b| < 2**995``."""
    p = a * b
    ca = SPLITTER * a
    cb = SPLITTER * b
    a_hi = ca - (ca - a)
    a_lo = a - a_hi
    b_hi = cb - (cb - b)
    b_lo = b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def divide(hi: Array, lo: Array, divisor: Array | float) -> tuple[Array, Array]:
    """Return ``(hi + lo) / divisor`` as a double-double (quotient below 2**995)."""
    quotient = hi / divisor
    p, p_error = two_product(quotient, divisor)
    correction = (((hi - p) - p_error) + lo) / divisor
    return fast_two_sum(quotient, correction)


def exp(xp: Namespace, hi: Array, lo: Array) -> tuple[Array, Array, Array]:
    """Return ``(e_hi, e_lo, k)`` with ``exp(hi + lo) = (e_hi + e_lo) * 2**k``.

    ``e_hi`` lies in [0.7, 1.42] and ``k`` is an integer-valued float array;
    needs ``-800 <= hi <= 709``.  Relative error below 2**-60: the method of
    ``psm_exp_dd`` in the C core.
    """
    k = xp.floor(hi * INV_LN2 + 0.5)
    r_hi, r_lo = fast_two_sum(hi - k * LN2_HI, lo - k * LN2_LO)
    tail = xp.zeros_like(r_hi) + TAYLOR_TAIL[0]
    for coefficient in TAYLOR_TAIL[1:]:
        tail = tail * r_hi + coefficient
    tail = tail * (r_hi * r_hi)
    one_hi, one_lo = fast_two_sum(1.0, r_hi)
    one_lo = one_lo + (tail + r_lo * (1.0 + r_hi))
    e_hi, e_lo = fast_two_sum(one_hi, one_lo)
    return e_hi, e_lo, k


def power_of_two(xp: Namespace, k: Array) -> Array:
    """Return ``2**k`` exactly for integer-valued ``k`` in [-1074, 1023].

    A lookup in a table of the powers of two (one gather), because ``pow`` is
    not required to be exact by the standard.
    """
    device = array_api_compat.device(k)
    table = xp.asarray(_POWERS_OF_TWO, dtype=k.dtype, device=device)
    # Entries the caller will discard may hold anything: keep every index valid.
    k = xp.where(xp.isnan(k), 0.0, xp.clip(k, float(_SMALLEST_POWER), 1023.0))
    indices = xp.astype(xp.reshape(k, (-1,)) - _SMALLEST_POWER, xp.int64)
    return xp.reshape(xp.take(table, indices), k.shape)


def scale(xp: Namespace, value: Array, k: Array) -> Array:
    """Return ``value * 2**k`` rounded once, for value in [2**-70, 2], k in [-1160, 60]."""
    # Below 2**-1022 the product is subnormal: scale to a normal number first
    # (exact), then round once with the last multiplication.
    small = k < -1022
    first = power_of_two(xp, xp.where(small, k + 300.0, k))
    second = xp.where(small, xp.zeros_like(value) + 2.0**-300, 1.0)
    return (value * first) * second


def times_power_of_two(xp: Namespace, value: Array, exponent: Array) -> Array:
    """Return ``value * 2**exponent`` for an integer-valued ``exponent`` in [-2148, 2046].

    Two factors within the table's range (the exponent's truncated half, as
    the C core's ``-e / 2``, and the rest): exact where the result is normal,
    one rounding where it is subnormal.
    """
    first = xp.where(exponent < 0, -xp.floor(-exponent / 2.0), xp.floor(exponent / 2.0))
    return value * power_of_two(xp, first) * power_of_two(xp, exponent - first)


def binary_exponent(xp: Namespace, value: Array) -> Array:
    """Return ``e`` with ``value * 2**-e`` in [0.5, 1) (C's ``frexp``), for finite ``value > 0``.

    ``floor(log2(value)) + 1``, corrected by one where the library's ``log2``
    rounds across a power of two; exact for subnormals too.  Its derivative
    is 0 (a step function), as ``frexp``'s exponent's is.
    """
    exponent = xp.floor(xp.log2(value)) + 1.0
    mantissa = times_power_of_two(xp, value, -exponent)
    exponent = xp.where(mantissa >= 1.0, exponent + 1.0, exponent)
    return xp.where(mantissa < 0.5, exponent - 1.0, exponent)


def log1p(xp: Namespace, s_hi: Array, s_lo: Array) -> tuple[Array, Array]:
    """Return ``log(1 + s_hi + s_lo)`` as a double-double, for ``0 <= s < 2**60``.

    The library's ``log1p``, then one Newton step on ``exp(L) = 1 + s`` in
    double-double, which removes the library's error (as ``psm_log1p_dd``).
    """
    estimate = xp.log1p(s_hi)
    e_hi, e_lo, k = exp(xp, estimate, xp.zeros_like(estimate))
    factor = power_of_two(xp, k)
    exp_hi = e_hi * factor
    exp_lo = e_lo * factor
    one_hi, one_lo = two_sum(1.0, s_hi)
    difference_hi, difference_lo = two_sum(one_hi, -exp_hi)
    difference_lo = difference_lo + ((one_lo + s_lo) - exp_lo)
    return fast_two_sum(estimate, (difference_hi + difference_lo) / exp_hi)


def accurate_sum(
    xp: Namespace, terms: Array, axes: tuple[int, ...], bound: float, count: int
) -> tuple[Array, Array]:
    """Sum ``terms`` over ``axes`` (keeping them) as a double-double.

    ``|terms| <= bound`` and at most ``count`` terms per sum.  Rump, Ogita and
    Oishi's extraction: adding and subtracting a power of two ``sigma`` above
    ``count * bound`` keeps each term's high bits, whose sums are exact in
    any order; the remainders are at most ``2**-53 sigma`` and are extracted
    again until a plain sum of what is left cannot matter.  The result is
    accurate to about 2**-70 of ``bound`` whatever the library's summation
    order, which a plain ``sum`` (error growing with ``count``) is not.
    """
    spread = 2.0 ** math.ceil(math.log2(count + 2))
    total_hi = xp.zeros_like(xp.sum(terms, axis=axes, keepdims=True))
    total_lo = xp.zeros_like(total_hi)
    while True:
        sigma = spread * 2.0 ** math.ceil(math.log2(bound)) if bound > 0 else 0.0
        if sigma == 0.0 or spread * spread * bound * 2.0**-53 <= 2.0**-72:
            break
        high = (sigma + terms) - sigma
        terms = terms - high
        total_hi, error = two_sum(total_hi, xp.sum(high, axis=axes, keepdims=True))
        total_lo = total_lo + error
        bound = sigma * 2.0**-53
    total_lo = total_lo + xp.sum(terms, axis=axes, keepdims=True)
    return fast_two_sum(total_hi, total_lo)
